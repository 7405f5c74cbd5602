"""network.toml: the chain id, genesis, validators, observers, members and timings.

Loaded once at start and passed down; nothing reads it again.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contracts.errors import LedgerError
from contracts.fees import MAX_RATE_BP
from contracts.identity import parse_address
from contracts.ledger import Genesis, GenesisMember
from contracts.membership import ROLES
from node.blocks import MAX_BLOCK_TXS


@dataclass(frozen=True)
class NodeEntry:
    name: str
    key: bytes  # the node's Ed25519 public key
    api: str  # host:port of its HTTP API
    power: int
    peer: str = ""  # host:port of its TLS peer links (validators)


@dataclass(frozen=True)
class Timing:
    block_interval_ms: int  # how long a validator gathers transactions before a block
    empty_block_interval_ms: int  # the longest ledger time stands still without a block
    max_block_txs: int
    max_mempool_txs: int
    # BFT consensus (networks of more than one validator); see node/validator.py.
    timeout_propose_ms: int = 3000  # propose step; grows by timeout_delta_ms each round
    timeout_vote_ms: int = 1000  # prevote and precommit steps; grow likewise
    timeout_delta_ms: int = 500
    clock_drift_ms: int = 1000  # how far ahead of a validator's clock a block time may be
    message_delay_ms: int = 500  # added to clock_drift_ms for the proposal's travel time
    sync_batch_blocks: int = 64  # blocks per block sync request


@dataclass(frozen=True)
class NetworkConfig:
    chain_id: str
    genesis: Genesis
    validators: tuple[NodeEntry, ...]
    observers: tuple[NodeEntry, ...]
    timing: Timing
    fee_rate_bp: int

    def node_by_key(self, key: bytes) -> tuple[str, NodeEntry] | None:
        for role, entries in (("validator", self.validators), ("observer", self.observers)):
            for entry in entries:
                if entry.key == key:
                    return role, entry
        return None

    def validator_powers(self) -> dict[bytes, int]:
        return {v.key: v.power for v in self.validators}


def _fail(message: str) -> LedgerError:
    return LedgerError("config.invalid", message)


def _time_ms(value: object) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _fail("genesis_time needs a UTC offset, e.g. 2026-11-01T00:00:00+08:00")
        return int(value.timestamp()) * 1000 + value.microsecond // 1000
    if isinstance(value, int) and value >= 0:
        return value
    raise _fail("genesis_time must be an offset date-time or milliseconds since 1970")


# [timing] in network.toml: name → (default, lowest, highest); all integers.
TIMING_BOUNDS = {
    "block_interval_ms": (100, 1, 60_000),
    "empty_block_interval_ms": (10_000, 1, 3_600_000),
    "max_block_txs": (2_000, 1, MAX_BLOCK_TXS),
    "max_mempool_txs": (20_000, 1, 10_000_000),
    "timeout_propose_ms": (3000, 1, 600_000),
    "timeout_vote_ms": (1000, 1, 600_000),
    "timeout_delta_ms": (500, 0, 600_000),
    "clock_drift_ms": (1000, 0, 60_000),
    "message_delay_ms": (500, 0, 60_000),
    "sync_batch_blocks": (64, 1, 1024),
}


def _int_in(table: dict, name: str, default: int, lo: int, hi: int, where: str = "") -> int:
    value = table.get(name, default)
    if type(value) is not int or not lo <= value <= hi:
        raise _fail(f"{where}{name} must be an integer in {lo}..{hi}, not {value!r}")
    return value


def _key(entry: dict, field: str, where: str) -> bytes:
    text = entry.get(field, "")
    if not text:
        raise _fail(f"{where} has no {field}; run scripts/devnet, which writes the keys")
    return parse_address(text)


def _nodes(raw: list, kind: str) -> tuple[NodeEntry, ...]:
    entries = []
    for item in raw:
        name = item.get("name") or _fail(f"a {kind} has no name")
        entries.append(
            NodeEntry(
                name=str(name),
                key=_key(item, "key", f"{kind} {name}"),
                api=str(item.get("api", "")),
                power=int(item.get("power", 1)),
                peer=str(item.get("peer", "")),
            )
        )
    return tuple(entries)


def parse_network(text: str) -> NetworkConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _fail(f"network.toml is not valid TOML: {e}") from e
    chain_id = raw.get("chain_id") or _fail("chain_id is missing")
    members = []
    for m in raw.get("members", []):
        name = m.get("name") or _fail("a member has no name")
        roles = tuple(sorted(set(m.get("roles", []))))
        unknown = [r for r in roles if r not in ROLES]
        if not roles or unknown:
            raise _fail(f"member {name}: roles must be some of {', '.join(ROLES)}")
        members.append(GenesisMember(_key(m, "address", f"member {name}"), str(name), roles))
    validators = _nodes(raw.get("validators", []), "validator")
    if not validators:
        raise _fail("at least one validator is needed")
    for entry in validators:
        if not entry.peer:
            raise _fail(f"validator {entry.name} has no peer address (host:port of its "
                        "TLS peer links)")

    timing = raw.get("timing", {})
    if not isinstance(timing, dict):
        raise _fail("[timing] must be a table")
    fee_rate_bp = _int_in(raw, "fee_rate_bp", 0, 0, MAX_RATE_BP)
    return NetworkConfig(
        chain_id=str(chain_id),
        genesis=Genesis(str(chain_id), _time_ms(raw.get("genesis_time", 0)), tuple(members),
                        fee_rate_bp),
        validators=validators,
        observers=_nodes(raw.get("observers", []), "observer"),
        timing=Timing(**{name: _int_in(timing, name, default, lo, hi, "timing.")
                         for name, (default, lo, hi) in TIMING_BOUNDS.items()}),
        fee_rate_bp=fee_rate_bp,
    )


def load_network(path: Path) -> NetworkConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise _fail(f"cannot read {path}: {e.strerror}") from e
    return parse_network(text)
