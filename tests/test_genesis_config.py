"""genesis.json and node.toml: strict documents whose mistakes are named by field, a
genesis identified by its bytes, and a node made by `init` that runs from its home."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from node.config import Limits
from node.genesis import (
    PROTOCOL_VERSION,
    encode_genesis,
    genesis_hash,
    network_config,
    parse_genesis,
)
from node.home import render_node_toml
from node.network_template import read_plan
from node.node_config import parse_node_config
from tests.nodeproc import MEMBER_ROLES, NODE_BIN, make_network, network_toml, request

MEMBERS = {name: KeyPair.generate() for name in MEMBER_ROLES}
PLAN = read_plan(network_toml("genesis-test", KeyPair.generate(), MEMBERS, port=8700,
                              genesis_ms=1_700_000_000_000,
                              observers={"regulator": KeyPair.generate()}))
GENESIS = encode_genesis(PLAN.genesis)


def edited(change) -> bytes:
    """The genesis with `change` applied to its JSON."""
    document = json.loads(GENESIS)
    change(document)
    return json.dumps(document, indent=2).encode()


def refusal(data: bytes) -> LedgerError:
    with pytest.raises(LedgerError) as e:
        parse_genesis(data)
    return e.value


# ------------------------------------------------------------------ genesis.json


def test_the_written_genesis_reads_back_the_same_network() -> None:
    document = parse_genesis(GENESIS)
    assert document == PLAN.genesis
    assert encode_genesis(document) == GENESIS  # the tools' byte form is stable
    assert document.protocol_version == PROTOCOL_VERSION
    assert document.genesis_time == "2023-11-14T22:13:20.000+00:00"
    assert document.time_ms == 1_700_000_000_000
    config = network_config(document, genesis_hash(GENESIS), 100, 8, Limits(),
                            default_registry())
    assert config.genesis_hash == hashlib.sha256(GENESIS).digest()
    assert config.validators[0].api == "127.0.0.1:8700"
    assert [c.name for c in document.contracts] == default_registry().names()


def test_a_misspelt_genesis_field_is_refused_naming_it() -> None:
    def typo(document: dict) -> None:
        document["validators"][0]["pwer"] = document["validators"][0].pop("power")

    error = refusal(edited(typo))
    assert error.code == "config.invalid"
    assert "validators[0].pwer: Extra inputs are not permitted" in error.message
    assert "validators[0].power: Field required" in error.message


@pytest.mark.parametrize(("path", "value", "named"), [
    (("validators", 0, "power"), "1", "validators[0].power: Input should be a valid integer"),
    (("parameters", "block_interval_ms"), 2.5,
     "parameters.block_interval_ms: Input should be a valid integer"),
    (("parameters", "fee_rate_bp"), True,
     "parameters.fee_rate_bp: Input should be a valid integer"),
    (("members", 1, "roles", 0), "banker", "members[1].roles[0]: Input should be"),
    (("observers", 0, "api"), "nowhere", "observers[0].api: 'nowhere' is not HOST:PORT"),
    (("genesis_time",), "2026-11-01 00:00:00", "needs a date, a time and a UTC offset"),
])
def test_a_wrong_type_in_the_genesis_is_refused_naming_the_field(
        path: tuple, value: object, named: str) -> None:
    def wrong(document: dict) -> None:
        at = document
        for part in path[:-1]:
            at = at[part]
        at[path[-1]] = value

    error = refusal(edited(wrong))
    assert error.code == "config.invalid" and named in error.message, error.message


def test_an_operator_must_be_a_genesis_member() -> None:
    def stranger(document: dict) -> None:
        document["validators"][0]["operator"] = "ab" * 32

    error = refusal(edited(stranger))
    assert "validators[0].operator" in error.message


def test_the_genesis_hash_covers_every_byte() -> None:
    spaced = GENESIS.replace(b'"chain_id": ', b'"chain_id":  ')
    assert parse_genesis(spaced) == parse_genesis(GENESIS)  # the same network to read ...
    assert genesis_hash(spaced) != genesis_hash(GENESIS)  # ... but another document


def test_a_contract_whose_code_differs_from_the_release_is_refused_naming_it() -> None:
    def other_code(document: dict) -> None:
        entry = next(c for c in document["contracts"] if c["name"] == "transfer")
        entry["code_hash"] = "00" * 32

    data = edited(other_code)
    with pytest.raises(LedgerError) as e:
        network_config(parse_genesis(data), genesis_hash(data), 100, 8, Limits(),
                       default_registry())
    assert e.value.code == "genesis.contract_mismatch"
    assert "contract transfer version 1" in e.value.message

    def unknown(document: dict) -> None:
        document["contracts"].append({"name": "factoring", "version": 1,
                                      "code_hash": "11" * 32})

    data = edited(unknown)
    with pytest.raises(LedgerError) as e:
        network_config(parse_genesis(data), genesis_hash(data), 100, 8, Limits(),
                       default_registry())
    assert e.value.code == "genesis.contract_mismatch" and "factoring" in e.value.message


# ------------------------------------------------------------------ node.toml


def node_toml(**changes: str) -> str:
    text = render_node_toml("validator", "127.0.0.1:8700", "127.0.0.1:8701",
                            passphrase_file="secret/pass")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_node_toml_paths_are_taken_from_its_directory(tmp_path: Path) -> None:
    settings = parse_node_config(node_toml(), tmp_path / "node.toml")
    assert settings.genesis == tmp_path / "genesis.json"
    assert settings.data_dir == tmp_path / "data"
    assert settings.key_file == tmp_path / "node-key.json"
    assert settings.passphrase_file == tmp_path / "secret" / "pass"
    assert (settings.api, settings.peer) == ("127.0.0.1:8700", "127.0.0.1:8701")
    assert settings.limits == Limits() and settings.max_mempool_txs == 20_000
    assert settings.log_format == "text"
    json_logs = parse_node_config(node_toml(**{'log_format = "text"': 'log_format = "json"'}),
                                  tmp_path / "node.toml")
    assert json_logs.log_format == "json"


@pytest.mark.parametrize(("old", "new", "named"), [
    ("max_mempool_txs =", "max_mempool_tx =", "max_mempool_tx: Extra inputs are not permitted"),
    ("max_mempool_txs = 20000", 'max_mempool_txs = "20000"',
     "max_mempool_txs: Input should be a valid integer"),
    ('api = "127.0.0.1:8700"', "api = 8700", "listen.api: Input should be a valid string"),
    ("[key]", "[key]\nfiel = 'x'", "key.fiel: Extra inputs are not permitted"),
    ('log_level = "INFO"', 'log_level = "LOUD"', "log_level: String should match"),
    ('log_format = "text"', 'log_format = "xml"', "log_format: Input should be"),
])
def test_a_mistake_in_node_toml_is_refused_naming_the_field(
        tmp_path: Path, old: str, new: str, named: str) -> None:
    with pytest.raises(LedgerError) as e:
        parse_node_config(node_toml(**{old: new}), tmp_path / "node.toml")
    assert e.value.code == "config.invalid" and named in e.value.message, e.value.message


def test_a_bad_limit_in_node_toml_is_config_bad_limits(tmp_path: Path) -> None:
    text = node_toml(**{"[limits]": "[limits]\nsubmit_rate_per_second = 5"})
    with pytest.raises(LedgerError) as e:
        parse_node_config(text, tmp_path / "node.toml")
    assert e.value.code == "config.bad_limits"
    assert "limits.submit_rate_per_second" in e.value.message


# ------------------------------------------------------------------ the command line


def node(*args: str, env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "CLAIMLEDGER_PASSPHRASE"}
    return subprocess.run([str(NODE_BIN), *args], env={**clean, **(env or {})},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def test_version_names_the_release_protocol_and_contracts() -> None:
    out = node("--version")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert re.fullmatch(r"claimledger-node \d+\.\d+\.\d+.*", lines[0])
    assert lines[1] == f"protocol {PROTOCOL_VERSION}"
    registry = default_registry()
    transfer = registry.get("transfer", 1)
    assert transfer is not None
    assert f"contract transfer v1 {transfer.code_hash.hex()}" in lines


def wait_status(api: str, process: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with contextlib.suppress(OSError):  # not listening yet
            reply = request(f"{api}/v1/status", timeout=1)
            if reply.status == 200:
                return reply.json()
        time.sleep(0.1)
    raise AssertionError(f"no answer in 30 s:\n{log.read_text()}")


@pytest.mark.process
def test_init_then_run_from_the_home_and_an_edited_genesis_is_refused(tmp_path: Path) -> None:
    # The network's plan lists the validator; its operator makes the node's home first
    # (against a draft genesis), then the genesis is written with the key init printed.
    net = make_network(tmp_path / "plan")
    draft = tmp_path / "draft-genesis.json"
    made = node("genesis", "--network", str(net.network_file), "--out", str(draft))
    assert made.returncode == 0, made.stderr
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("init-test-passphrase\n")
    home = tmp_path / "home"
    init = node("init", "--genesis", str(draft), "--name", "validator", "--home", str(home),
                "--passphrase-file", str(passphrase))
    assert init.returncode == 0, init.stderr
    key = re.search(r"node key: ([0-9a-f]{64})", init.stdout)
    assert key is not None, init.stdout
    assert f'key = "{key[1]}"' in init.stdout  # what the operators register
    assert (home / "node-key.json").stat().st_mode & 0o077 == 0
    again = node("init", "--genesis", str(draft), "--name", "validator", "--home", str(home),
                 "--passphrase-file", str(passphrase))
    assert again.returncode != 0 and "init.exists" in again.stderr  # never overwritten

    plan = net.network_file.read_text().replace(net.validator.address.hex(), key[1])
    (tmp_path / "network.toml").write_text(plan)
    final = tmp_path / "genesis.json"
    assert node("genesis", "--network", str(tmp_path / "network.toml"),
                "--out", str(final)).returncode == 0
    (home / "genesis.json").write_bytes(final.read_bytes())

    log = tmp_path / "run.log"
    with log.open("wb") as out:  # no passphrase in the environment: node.toml names its file
        process = subprocess.Popen(
            [str(NODE_BIN), "run", "--home", str(home)], stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={k: v for k, v in os.environ.items() if k != "CLAIMLEDGER_PASSPHRASE"})
    try:
        status = wait_status(net.api, process, log)
        assert status["chain_id"] == net.chain_id
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0

    # One byte more (still the same JSON) is another genesis: the store refuses it.
    kept = hashlib.sha256(final.read_bytes()).hexdigest()
    (home / "genesis.json").write_bytes(final.read_bytes() + b"\n")
    given = hashlib.sha256(final.read_bytes() + b"\n").hexdigest()
    refused = node("run", "--home", str(home), timeout=60)
    assert refused.returncode == 1
    last = refused.stderr.strip().splitlines()[-1]
    assert "genesis.mismatch" in last and kept in last and given in last


@pytest.mark.process
def test_init_refuses_a_genesis_whose_contracts_this_release_does_not_run(
        tmp_path: Path) -> None:
    def other_code(document: dict) -> None:
        document["contracts"][0]["code_hash"] = "00" * 32

    bad = tmp_path / "genesis.json"
    bad.write_bytes(edited(other_code))
    out = node("init", "--genesis", str(bad), "--name", "validator", "--home",
               str(tmp_path / "home"), env={"CLAIMLEDGER_PASSPHRASE": "x"})
    first = PLAN.genesis.contracts[0].name
    assert out.returncode == 1
    assert "genesis.contract_mismatch" in out.stderr and f"contract {first}" in out.stderr
    assert not (tmp_path / "home").exists()
