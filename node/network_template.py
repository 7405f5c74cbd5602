"""network.toml, a network's plan, turned into its genesis document and node settings.

network.toml is what people write first (the devnet's plan, a test's network): the
chain's rules and every node's addresses in one TOML file, keys left empty until
generated. `genesis_of` turns it into the genesis document (node/genesis.py) with the
contract versions of this release filled in; the local parts it also holds
(`max_mempool_txs` and `sync_batch_blocks` in [timing], and [limits]) become the node's
own settings. Both pass through the same strict models as genesis.json and node.toml,
so `run --network` and `run --home` read a network one way.

A validator's or observer's `operator` names a genesis member by handle, name or
address; left out, it is the agency (the first member with the agency role), which runs
the network's nodes until each institution registers its own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field, ValidationError

from contracts.contract import Registry, default_registry
from contracts.errors import LedgerError
from contracts.ledger import BLACKLIST_DEFAULTS
from contracts.tls_binding import default_api_tls
from node.config import Limits
from node.genesis import (
    PROTOCOL_VERSION,
    ApiTls,
    GenesisDocument,
    Parameters,
    contracts_in_force,
    rfc3339_of_ms,
)
from node.node_config import MAX_MEMPOOL_TXS, SYNC_BATCH_BLOCKS, parse_limits
from node.schema import Strict, describe, validated

PARAMETER_DEFAULTS = {
    "block_interval_ms": 100, "empty_block_interval_ms": 10_000, "max_block_txs": 2_000,
    "timeout_propose_ms": 3000, "timeout_vote_ms": 1000, "timeout_delta_ms": 500,
    "clock_drift_ms": 1000, "message_delay_ms": 500,
}


class TemplateTiming(Strict):
    """[timing]: the genesis's consensus timings and two of the node's own settings."""

    block_interval_ms: int = PARAMETER_DEFAULTS["block_interval_ms"]
    empty_block_interval_ms: int = PARAMETER_DEFAULTS["empty_block_interval_ms"]
    max_block_txs: int = PARAMETER_DEFAULTS["max_block_txs"]
    timeout_propose_ms: int = PARAMETER_DEFAULTS["timeout_propose_ms"]
    timeout_vote_ms: int = PARAMETER_DEFAULTS["timeout_vote_ms"]
    timeout_delta_ms: int = PARAMETER_DEFAULTS["timeout_delta_ms"]
    clock_drift_ms: int = PARAMETER_DEFAULTS["clock_drift_ms"]
    message_delay_ms: int = PARAMETER_DEFAULTS["message_delay_ms"]
    max_mempool_txs: MAX_MEMPOOL_TXS = 20_000  # type: ignore[valid-type]
    sync_batch_blocks: SYNC_BATCH_BLOCKS = 64  # type: ignore[valid-type]


class TemplateNode(Strict):
    name: Annotated[str, Field(min_length=1)]
    key: str = ""  # filled by scripts/devnet, or by hand
    api: str = ""
    peer: str = ""  # validators
    power: int = 1
    api_tls: ApiTls | None = None  # left out: "off" on a loopback API, else "node-key"
    operator: str = ""  # a member's handle, name or address; left out: the agency


class TemplateBlacklist(Strict):
    """[blacklist]: the criteria (contracts.credit) in force until the agency sets others."""

    overdue_vouchers: int = BLACKLIST_DEFAULTS.overdue_vouchers
    late_confirmations: int = BLACKLIST_DEFAULTS.late_confirmations
    period_days: int = BLACKLIST_DEFAULTS.period_days


class TemplateMember(Strict):
    handle: str = ""
    name: Annotated[str, Field(min_length=1)]
    roles: list[str]
    address: str = ""
    identity: dict[str, str] | None = None  # node.genesis.GenesisIdentity checks it


class NetworkTemplate(Strict):
    chain_id: Annotated[str, Field(min_length=1)]
    genesis_time: datetime | int = 0  # an offset date-time, or milliseconds since 1970
    fee_rate_bp: int = 0
    timing: TemplateTiming = TemplateTiming()
    blacklist: TemplateBlacklist = TemplateBlacklist()
    validators: list[TemplateNode] = Field(default_factory=list)
    observers: list[TemplateNode] = Field(default_factory=list)
    members: list[TemplateMember] = Field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """A network.toml read: its genesis document and the node settings it holds."""

    genesis: GenesisDocument
    max_mempool_txs: int
    sync_batch_blocks: int
    limits: Limits


def _time_text(value: datetime | int) -> str:
    if isinstance(value, int):
        if value < 0:
            raise LedgerError("config.invalid", "genesis_time: milliseconds since 1970 "
                              "cannot be negative")
        return rfc3339_of_ms(value)
    if value.tzinfo is None:
        raise LedgerError("config.invalid", "genesis_time needs a UTC offset, e.g. "
                          "2026-11-01T00:00:00+08:00")
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")


def _filled(text: str, what: str) -> str:
    if not text:
        raise LedgerError("config.invalid", f"{what} is empty; run scripts/devnet, which "
                          "writes the keys, or fill it in")
    return text


def read_plan(text: str, registry: Registry | None = None) -> Plan:
    """network.toml's `text` as a genesis document and node settings; `config.invalid`
    (`config.bad_limits` for [limits]) naming the field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LedgerError("config.invalid", f"network.toml is not valid TOML: {e}") from e
    limits = parse_limits(raw.pop("limits", {}), "network.toml [limits]")
    plan: NetworkTemplate = validated(NetworkTemplate, raw, "network.toml")
    members = []
    for i, m in enumerate(plan.members):
        address = _filled(m.address, f"members[{i}].address ({m.name})")
        members.append({"handle": m.handle, "name": m.name, "address": address,
                        "roles": sorted(set(m.roles)),
                        **({} if m.identity is None else {"identity": m.identity})})
    agency = next((m["address"] for m in members if "agency" in m["roles"]), "")

    def operator(node: TemplateNode) -> str:
        if not node.operator:
            return agency
        for m in members:
            if node.operator in (m["handle"], m["name"], m["address"]):
                return m["address"]
        return node.operator  # an address of no member: the genesis refuses it, named

    def node(kind: str, i: int, n: TemplateNode) -> dict:
        entry = {"name": n.name, "key": _filled(n.key, f"{kind}[{i}].key ({n.name})")}
        if kind == "validators":
            if not n.peer:
                raise LedgerError("config.invalid", f"validators[{i}].peer: validator "
                                  f"{n.name} has no peer address (host:port of its TLS "
                                  "peer links)")
            entry |= {"power": n.power, "operator": operator(n), "peer": n.peer}
        else:
            entry |= {"operator": operator(n)}
        return entry | {"api": n.api, "api_tls": n.api_tls or default_api_tls(n.api)}

    timing = plan.timing.model_dump()
    document = {
        "chain_id": plan.chain_id,
        "genesis_time": _time_text(plan.genesis_time),
        "protocol_version": PROTOCOL_VERSION,
        "parameters": {"fee_rate_bp": plan.fee_rate_bp,
                       **{name: timing[name] for name in Parameters.model_fields
                          if name in timing},
                       **{f"blacklist_{name}": value
                          for name, value in plan.blacklist.model_dump().items()}},
        "validators": [node("validators", i, v) for i, v in enumerate(plan.validators)],
        "observers": [node("observers", i, o) for i, o in enumerate(plan.observers)],
        "members": members,
        "contracts": [c.model_dump() for c in
                      contracts_in_force(registry or default_registry())],
    }
    try:
        genesis = GenesisDocument.model_validate(document)
    except ValidationError as e:  # the genesis's checks, named as network.toml spells them
        message = describe(e).replace("parameters.fee_rate_bp", "fee_rate_bp") \
            .replace("parameters.blacklist_", "blacklist.").replace("parameters.", "timing.")
        raise LedgerError("config.invalid", f"network.toml: {message}") from None
    return Plan(genesis, plan.timing.max_mempool_txs, plan.timing.sync_batch_blocks, limits)
