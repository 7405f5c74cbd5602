"""network.toml: a bad value is refused at start with `config.invalid`, naming the field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from node.config import Limits, parse_network
from node.network_template import PARAMETER_DEFAULTS
from node.node_config import LimitsTable
from tests.nodeproc import MEMBER_ROLES, network_toml

MEMBERS = {name: KeyPair.generate() for name in MEMBER_ROLES}
BASE = network_toml("config-test", KeyPair.generate(), MEMBERS, port=1, genesis_ms=0)


def with_line(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def with_timing(name: str, value: str) -> str:
    """The base network with `name = value` in [timing], replacing a line it has."""
    lines = [line for line in BASE.splitlines() if not line.startswith(f"{name} =")]
    at = lines.index("[timing]") + 1
    return "\n".join([*lines[:at], f"{name} = {value}", *lines[at:]]) + "\n"


def test_the_base_network_parses_with_its_timings_and_fee_rate() -> None:
    config = parse_network(with_line("fee_rate_bp = 0", "fee_rate_bp = 5"))
    assert config.fee_rate_bp == 5 and config.genesis.fee_rate_bp == 5
    assert config.timing.block_interval_ms == 50
    assert config.timing.timeout_propose_ms == PARAMETER_DEFAULTS["timeout_propose_ms"]


@pytest.mark.parametrize("value", ["-1", "1001", '"5"', "2.5", "true"])
def test_a_fee_rate_outside_0_to_1000_basis_points_is_refused(value: str) -> None:
    with pytest.raises(LedgerError) as e:
        parse_network(with_line("fee_rate_bp = 0", f"fee_rate_bp = {value}"))
    assert e.value.code == "config.invalid" and "fee_rate_bp" in e.value.message


@pytest.mark.parametrize(("name", "value"), [
    ("block_interval_ms", "0"),
    ("empty_block_interval_ms", '"soon"'),
    ("max_block_txs", "10001"),
    ("timeout_propose_ms", "1.5"),
    ("clock_drift_ms", "-1"),
    ("sync_batch_blocks", "0"),
])
def test_a_timing_out_of_bounds_or_not_an_integer_is_refused(name: str, value: str) -> None:
    with pytest.raises(LedgerError) as e:
        parse_network(with_timing(name, value))
    assert e.value.code == "config.invalid" and f"timing.{name}" in e.value.message


def with_limits(*lines: str) -> str:
    """The base network with a [limits] table of `lines` (and no other limits)."""
    return network_toml("config-test", KeyPair.generate(), MEMBERS, port=1, genesis_ms=0,
                        limits=None) + "\n[limits]\n" + "\n".join(lines) + "\n"


def test_limits_are_read_and_the_rest_keep_their_defaults() -> None:
    limits = parse_network(with_limits("submit_rate_per_s = 200", "submit_burst = 2000",
                                       "peer_share_percent = 30")).limits
    assert (limits.submit_rate_per_s, limits.submit_burst) == (200, 2000)
    assert limits.peer_share_percent == 30
    assert limits.member_pending_txs == Limits().member_pending_txs


def test_the_repository_network_toml_states_the_defaults() -> None:
    text = (Path(__file__).resolve().parent.parent / "network.toml").read_text()
    assert tomllib.loads(text)["limits"] == {
        name: getattr(Limits(), name) for name in LimitsTable.model_fields}


@pytest.mark.parametrize(("line", "named"), [
    ("submit_rate_per_s = 0", "limits.submit_rate_per_s"),
    ('submit_burst = "500"', "limits.submit_burst"),
    ("member_pending_txs = -1", "limits.member_pending_txs"),
    ("member_pending_bytes = 1024", "limits.member_pending_bytes"),  # below one document
    ("peer_share_percent = 101", "limits.peer_share_percent"),
    ("own_reserve_percent = 100", "limits.own_reserve_percent"),
    ("failure_heal_s = 2.5", "limits.failure_heal_s"),
    ("tx_per_second = 5", "limits.tx_per_second"),  # a misspelt name is not ignored
    ("submit_rate_per_s = 100\nsubmit_burst = 10", "limits.submit_burst"),
])
def test_bad_limits_are_refused_naming_the_limit(line: str, named: str) -> None:
    with pytest.raises(LedgerError) as e:
        parse_network(with_limits(line))
    assert e.value.code == "config.bad_limits" and named in e.value.message


def test_limits_must_be_a_table() -> None:
    text = network_toml("config-test", KeyPair.generate(), MEMBERS, port=1, genesis_ms=0,
                        limits=None).replace("[timing]", "limits = 5\n\n[timing]")
    with pytest.raises(LedgerError) as e:
        parse_network(text)
    assert e.value.code == "config.bad_limits"
