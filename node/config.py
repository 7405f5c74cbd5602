"""network.toml: the chain id, genesis, validators, observers, members and timings.

Loaded once at start and passed down; nothing reads it again.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contracts import nodes
from contracts.errors import LedgerError
from contracts.fees import MAX_RATE_BP
from contracts.identity import parse_address
from contracts.ledger import Genesis, GenesisMember
from contracts.membership import ROLES
from contracts.tls_binding import API_TLS_MODES, default_api_tls
from contracts.tx import MAX_LARGE_TX_BYTES
from node.blocks import MAX_BLOCK_TXS


@dataclass(frozen=True)
class NodeEntry:
    name: str
    key: bytes  # the node's Ed25519 public key
    api: str  # host:port of its HTTP API
    power: int
    peer: str = ""  # host:port of its TLS peer links (validators)
    # How its API is served and how wallets check it (API_TLS_MODES): "node-key", a
    # certificate bound to the node key; "ca", a CA-issued certificate; "off", plain HTTP,
    # on a loopback address only. Default: "off" on a loopback api address (the devnet),
    # "node-key" elsewhere.
    api_tls: str = "node-key"


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
class Limits:
    """[limits] in network.toml: how much one client, member or peer may ask of a node.

    The defaults suit a node that faces the internet. 50 transactions a second per
    client address (a burst of 500) is more than a member's back office sends by hand or
    by batch job, and twenty such addresses still leave a validator, which verifies a few
    thousand signatures a second, most of its time for blocks; benchmarks and load tests
    set their own, higher limits. A member (counted against every member that signed a
    transaction) holds at most 1,000 pending transactions or 16 MiB (three of the largest
    document attachments): a wallet that floods fills its own quota, not the mempool.
    Every transaction of a member that fails its rules in a block costs that member
    `member_failure_cost_txs` of its quota, healing linearly within `failure_heal_s`, so
    well-signed transactions that fail cannot keep mempools full. A peer's gossip holds at
    most `peer_share_percent` of the mempool (its count and its bytes), all peers' gossip
    together leaves `own_reserve_percent` to this node's own clients, and every gossiped
    transaction that fails in a block costs its peer `peer_failure_cost_txs` of its share
    likewise.
    """

    submit_rate_per_s: int = 50  # transactions a second per client address
    submit_burst: int = 500  # submitted at once by one client address
    max_clients: int = 10_000  # client addresses whose budgets are remembered
    member_pending_txs: int = 1_000  # pending transactions one member signed
    member_pending_bytes: int = 16 << 20  # ... and their bytes
    member_failure_cost_txs: int = 10  # quota a transaction failing in a block costs
    peer_share_percent: int = 25  # of the mempool (count and bytes) one peer's gossip holds
    own_reserve_percent: int = 25  # of the mempool that gossip never fills
    peer_failure_cost_txs: int = 10  # share a gossiped transaction failing in a block costs
    failure_heal_s: int = 600  # a penalty as large as the whole quota heals in this time


# [limits] in network.toml: name → (lowest, highest); the defaults are Limits'.
LIMITS_BOUNDS = {
    "submit_rate_per_s": (1, 1_000_000),
    "submit_burst": (1, 10_000_000),
    "max_clients": (1, 10_000_000),
    "member_pending_txs": (1, 10_000_000),
    "member_pending_bytes": (MAX_LARGE_TX_BYTES, 1 << 40),  # one document always fits
    "member_failure_cost_txs": (0, 10_000_000),
    "peer_share_percent": (1, 100),
    "own_reserve_percent": (0, 99),
    "peer_failure_cost_txs": (0, 10_000_000),
    "failure_heal_s": (1, 86_400),
}


@dataclass(frozen=True)
class NetworkConfig:
    chain_id: str
    genesis: Genesis
    validators: tuple[NodeEntry, ...]
    observers: tuple[NodeEntry, ...]
    timing: Timing
    fee_rate_bp: int
    limits: Limits = Limits()

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


def _api_tls(item: dict, api: str, where: str) -> str:
    mode = item.get("api_tls", default_api_tls(api))
    if mode not in API_TLS_MODES:
        raise _fail(f"{where}: api_tls must be one of {', '.join(API_TLS_MODES)}, "
                    f"not {mode!r}")
    return str(mode)


def _nodes(raw: list, kind: str) -> tuple[NodeEntry, ...]:
    entries = []
    for item in raw:
        name = item.get("name") or _fail(f"a {kind} has no name")
        api = str(item.get("api", ""))
        entries.append(
            NodeEntry(
                name=str(name),
                key=_key(item, "key", f"{kind} {name}"),
                api=api,
                power=int(item.get("power", 1)),
                peer=str(item.get("peer", "")),
                api_tls=_api_tls(item, api, f"{kind} {name}"),
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
    observers = _nodes(raw.get("observers", []), "observer")
    registry = _genesis_registry(raw, members, validators, observers)
    return NetworkConfig(
        chain_id=str(chain_id),
        genesis=Genesis(str(chain_id), _time_ms(raw.get("genesis_time", 0)), tuple(members),
                        fee_rate_bp, *registry),
        validators=validators,
        observers=observers,
        timing=Timing(**{name: _int_in(timing, name, default, lo, hi, "timing.")
                         for name, (default, lo, hi) in TIMING_BOUNDS.items()}),
        fee_rate_bp=fee_rate_bp,
        limits=parse_limits(raw.get("limits", {})),
    )


def _genesis_registry(raw: dict, members: list[GenesisMember],
                      validators: tuple[NodeEntry, ...], observers: tuple[NodeEntry, ...]
                      ) -> tuple[tuple[nodes.Validator, ...], tuple[nodes.Observer, ...]]:
    """The node registry at genesis (contracts.nodes). A node's `operator` is the address
    of the member that runs it; left out, the first agency member runs a validator and the
    first regulator (else the agency) an observer."""
    def first(role: str) -> bytes:
        return next((m.address for m in members if role in m.roles), bytes(32))

    def operator(kind: str, index: int, default: bytes) -> bytes:
        text = raw[kind][index].get("operator", "")
        return parse_address(text) if text else default

    agency = first("agency")
    overseer = first("regulator") if any("regulator" in m.roles for m in members) else agency
    return (
        tuple(nodes.Validator(v.key, v.power, v.peer, operator("validators", i, agency), v.name)
              for i, v in enumerate(validators)),
        tuple(nodes.Observer(o.key, operator("observers", i, overseer), o.name)
              for i, o in enumerate(observers)),
    )


def parse_limits(raw: object) -> Limits:
    """[limits] of network.toml; `config.bad_limits` names a value out of bounds, an
    unknown name or a burst below the rate."""
    if not isinstance(raw, dict):
        raise LedgerError("config.bad_limits", "[limits] must be a table")
    unknown = sorted(set(raw) - set(LIMITS_BOUNDS))
    if unknown:
        raise LedgerError("config.bad_limits", f"limits.{unknown[0]} is not a limit; the "
                          f"limits are {', '.join(LIMITS_BOUNDS)}")
    values = {}
    for name, (lo, hi) in LIMITS_BOUNDS.items():
        value = raw.get(name, getattr(Limits, name))
        if type(value) is not int or not lo <= value <= hi:
            raise LedgerError("config.bad_limits",
                              f"limits.{name} must be an integer in {lo}..{hi}, not {value!r}")
        values[name] = value
    limits = Limits(**values)
    if limits.submit_burst < limits.submit_rate_per_s:
        raise LedgerError("config.bad_limits", "limits.submit_burst must be at least "
                          "limits.submit_rate_per_s (a second's worth)")
    return limits


def load_network(path: Path) -> NetworkConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise _fail(f"cannot read {path}: {e.strerror}") from e
    return parse_network(text)
