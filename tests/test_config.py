"""network.toml: a bad value is refused at start with `config.invalid`, naming the field."""

from __future__ import annotations

import pytest

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from node.config import TIMING_BOUNDS, parse_network
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
    assert config.timing.timeout_propose_ms == TIMING_BOUNDS["timeout_propose_ms"][0]


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
