"""genesis.json: the document every node of a network holds byte for byte.

It fixes what all nodes must agree on from block 0: the chain id and time, the protocol
version, the chain's parameters (the fee rate and the consensus timings that decide
whether a block is valid), the validators (key, power, operator, peer and API
addresses), the observers, the genesis members and their roles, and the contract
versions in force by name, version and code hash. What one node may choose alone (where
it listens, its data, its key store, its mempool and limits) is in its node.toml
(node/node_config.py).

Its identity is the sha256 of the file's bytes, the genesis hash: a node records it in
its store at first start and refuses, at every later start, a genesis of another hash
(`genesis.mismatch`), so a node is never run against a document edited after the fact,
however small the edit. `encode_genesis` writes the one byte form the tools produce
(`claimledger-node genesis`, scripts/devnet); a document written by hand is taken as its
bytes are.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contracts import membership, nodes
from contracts.contract import Registry
from contracts.credit import MAX_PERIOD_DAYS, MAX_RECENT
from contracts.errors import LedgerError
from contracts.fees import MAX_RATE_BP
from contracts.identity import parse_address
from contracts.ledger import BLACKLIST_DEFAULTS, BlacklistCriteria, Genesis, GenesisMember
from contracts.membership import ROLES
from node.blocks import MAX_BLOCK_TXS
from node.config import Limits, NetworkConfig, NodeEntry, Timing
from node.schema import HexHash, HexKey, HostPort, Name, Strict, validated

try:  # the protocol version lives beside the shared consensus code when that is there
    from contracts.protocol import PROTOCOL_VERSION  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - until contracts/protocol.py exists
    PROTOCOL_VERSION = 1  # codec, state root and block format of this release

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ApiTls = Literal["node-key", "ca", "off"]  # contracts.tls_binding.API_TLS_MODES
Role = Literal[ROLES]  # type: ignore[valid-type]


def _bounded(lo: int, hi: int) -> type[int]:
    return Annotated[int, Field(ge=lo, le=hi)]  # type: ignore[return-value]


class Parameters(Strict):
    """The chain's rules that are numbers: every validator must hold the same."""

    fee_rate_bp: _bounded(0, MAX_RATE_BP)  # service fee on transfers and pledges, basis points
    block_interval_ms: _bounded(1, 60_000)  # a validator gathers transactions this long
    empty_block_interval_ms: _bounded(1, 3_600_000)  # ledger time stands still no longer
    max_block_txs: _bounded(1, MAX_BLOCK_TXS)
    timeout_propose_ms: _bounded(1, 600_000)  # Tendermint's step timeouts ...
    timeout_vote_ms: _bounded(1, 600_000)
    timeout_delta_ms: _bounded(0, 600_000)  # ... grow by this each round
    clock_drift_ms: _bounded(0, 60_000)  # a block time this far ahead (plus the delay) is refused
    message_delay_ms: _bounded(0, 60_000)
    # The blacklist criteria (contracts.credit) until the agency sets others: listed at
    # this many overdue vouchers or late confirmations within this many days.
    blacklist_overdue_vouchers: _bounded(1, MAX_RECENT) = BLACKLIST_DEFAULTS.overdue_vouchers
    blacklist_late_confirmations: _bounded(1, MAX_RECENT) = \
        BLACKLIST_DEFAULTS.late_confirmations
    blacklist_period_days: _bounded(1, MAX_PERIOD_DAYS) = BLACKLIST_DEFAULTS.period_days


class GenesisValidator(Strict):
    name: Name
    key: HexKey  # the node key (Ed25519 public key)
    power: _bounded(1, 1_000_000)
    operator: HexKey  # the address of the genesis member that runs it
    peer: HostPort  # its TLS peer links
    api: HostPort
    api_tls: ApiTls


class GenesisObserver(Strict):
    name: Name
    key: HexKey
    operator: HexKey
    api: HostPort
    api_tls: ApiTls


class GenesisIdentity(Strict):
    """A genesis member's legal identity (contracts.membership.Identity); its fields are
    checked by the ledger's rules when the genesis is read (`genesis_identity`)."""

    person_type: Literal[membership.PERSON_TYPES]  # type: ignore[valid-type]
    credit_code: str = ""  # organisations: 统一社会信用代码
    id_reference: str = ""  # natural persons: 64 hex digits (legal_identity.id_reference)
    legal_representative: str = ""  # organisations
    contacts: str
    industry: str  # a GB/T 4754-2017 section letter
    region: str  # a GB/T 2260 division code, six digits


class GenesisMemberEntry(Strict):
    handle: str = ""  # a short name for scripts and people (devnet: `agency`)
    name: Annotated[str, Field(min_length=1, max_length=256)]
    address: HexKey
    roles: Annotated[list[Role], Field(min_length=1)]
    # Left out only on test networks: a real network's members are identified (实名).
    identity: GenesisIdentity | None = None


class ContractInForce(Strict):
    name: Name
    version: _bounded(1, 1_000_000)
    code_hash: HexHash


def _rfc3339(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is None or "T" not in text:
        raise ValueError(f"{text!r} needs a date, a time and a UTC offset, "
                         "e.g. 2026-11-01T00:00:00+08:00")
    return value


class GenesisDocument(Strict):
    chain_id: Name
    genesis_time: str  # RFC 3339 with its offset: 2026-11-01T00:00:00+08:00
    protocol_version: _bounded(1, 1_000_000)
    parameters: Parameters
    validators: Annotated[list[GenesisValidator], Field(min_length=1)]
    observers: list[GenesisObserver] = Field(default_factory=list)
    members: Annotated[list[GenesisMemberEntry], Field(min_length=1)]
    contracts: list[ContractInForce]

    @model_validator(mode="after")
    def _consistent(self) -> GenesisDocument:
        _rfc3339(self.genesis_time)
        nodes = [*self.validators, *self.observers]
        for what, values in (("node name", [n.name for n in nodes]),
                             ("node key", [n.key for n in nodes]),
                             ("member address", [m.address for m in self.members]),
                             ("contract", [(c.name, c.version) for c in self.contracts])):
            repeated = sorted({str(v) for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"{what} {repeated[0]} is listed twice")
        addresses = {m.address for m in self.members}
        for kind, entries in (("validators", self.validators), ("observers", self.observers)):
            for i, entry in enumerate(entries):
                if entry.operator not in addresses:
                    raise ValueError(f"{kind}[{i}].operator: {entry.operator} is not the "
                                     "address of a genesis member")
        return self

    @property
    def time_ms(self) -> int:
        return (_rfc3339(self.genesis_time) - EPOCH) // timedelta(milliseconds=1)


def rfc3339_of_ms(time_ms: int) -> str:
    """Milliseconds since 1970 as an RFC 3339 date-time in UTC."""
    return (EPOCH + timedelta(milliseconds=time_ms)).isoformat(timespec="milliseconds")


def encode_genesis(document: GenesisDocument) -> bytes:
    """The byte form the tools write: JSON, fields in the schema's order, two-space
    indents, UTF-8 and a final newline."""
    text = json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def genesis_hash(data: bytes) -> bytes:
    """The genesis hash: sha256 of the document's bytes, exactly as held."""
    return hashlib.sha256(data).digest()


def parse_genesis(data: bytes, where: str = "genesis.json") -> GenesisDocument:
    """The document in `data`; `config.invalid` naming the field for anything amiss."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LedgerError("config.invalid", f"{where} is not JSON: {e}") from None
    return validated(GenesisDocument, raw, where)


def load_genesis(path: Path) -> tuple[GenesisDocument, bytes]:
    """The document at `path` and its genesis hash."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LedgerError("config.invalid", f"cannot read {path}: {e.strerror}") from None
    return parse_genesis(data, str(path)), genesis_hash(data)


def contracts_in_force(registry: Registry) -> list[ContractInForce]:
    """What a new genesis puts in force: version 1 (the first) of every contract of the
    release, as contracts.ledger.genesis_state schedules them."""
    return [ContractInForce(name=name, version=registry.first(name).version,
                            code_hash=registry.first(name).code_hash.hex())
            for name in registry.names()]


def check_contracts(document: GenesisDocument, registry: Registry) -> None:
    """`genesis.contract_mismatch` naming the first contract version the genesis puts in
    force that this release does not run with the same code hash."""
    for entry in document.contracts:
        found = registry.get(entry.name, entry.version)
        if found is None:
            raise LedgerError("genesis.contract_mismatch", f"the genesis puts contract "
                              f"{entry.name} version {entry.version} in force, which this "
                              "release does not run; run a release that has it")
        if found.code_hash.hex() != entry.code_hash:
            raise LedgerError("genesis.contract_mismatch", f"contract {entry.name} version "
                              f"{entry.version}: the genesis gives code hash "
                              f"{entry.code_hash[:16]}…, this release runs "
                              f"{found.code_hash.hex()[:16]}…; its rules differ")


def genesis_identity(entry: GenesisMemberEntry) -> membership.Identity | None:
    """The identity of a genesis member, checked by the ledger's rules: `LedgerError`
    with the field's code (`membership.bad_credit_code`, ...) naming the member."""
    given = entry.identity
    if given is None:
        return None
    try:
        reference = bytes.fromhex(given.id_reference)
    except ValueError:
        reference = b"?"
    identity = membership.Identity(given.person_type, given.credit_code, reference,
                                   given.legal_representative, given.contacts,
                                   given.industry, given.region)
    try:
        membership.check_identity(identity)
    except LedgerError as e:
        raise LedgerError(e.code, f"genesis member {entry.name}: {e.message}") from None
    return identity


def check_protocol(document: GenesisDocument) -> None:
    if document.protocol_version != PROTOCOL_VERSION:
        raise LedgerError("genesis.protocol", f"the genesis is of protocol version "
                          f"{document.protocol_version}; this release runs protocol "
                          f"version {PROTOCOL_VERSION}")


def network_config(document: GenesisDocument, hash_: bytes, max_mempool_txs: int,
                   sync_batch_blocks: int, limits: Limits,
                   registry: Registry | None = None) -> NetworkConfig:
    """What a node runs by: the genesis's rules with this node's own mempool size, sync
    batch and limits; the genesis's protocol and contracts checked against this release
    when `registry` is given."""
    check_protocol(document)
    if registry is not None:
        check_contracts(document, registry)
    p = document.parameters
    members = tuple(GenesisMember(parse_address(m.address), m.name,
                                  tuple(sorted(set(m.roles))), genesis_identity(m))
                    for m in document.members)
    validators = tuple(NodeEntry(v.name, parse_address(v.key), v.api, v.power, v.peer,
                                 v.api_tls) for v in document.validators)
    observers = tuple(NodeEntry(o.name, parse_address(o.key), o.api, 0, "", o.api_tls)
                      for o in document.observers)
    timing = Timing(
        block_interval_ms=p.block_interval_ms,
        empty_block_interval_ms=p.empty_block_interval_ms,
        max_block_txs=p.max_block_txs, max_mempool_txs=max_mempool_txs,
        timeout_propose_ms=p.timeout_propose_ms, timeout_vote_ms=p.timeout_vote_ms,
        timeout_delta_ms=p.timeout_delta_ms, clock_drift_ms=p.clock_drift_ms,
        message_delay_ms=p.message_delay_ms, sync_batch_blocks=sync_batch_blocks,
    )
    return NetworkConfig(
        chain_id=document.chain_id,
        genesis=Genesis(
            document.chain_id, document.time_ms, members, p.fee_rate_bp,
            tuple(nodes.Validator(parse_address(v.key), v.power, v.peer,
                                  parse_address(v.operator), v.name)
                  for v in document.validators),
            tuple(nodes.Observer(parse_address(o.key), parse_address(o.operator), o.name)
                  for o in document.observers),
            BlacklistCriteria(p.blacklist_overdue_vouchers, p.blacklist_late_confirmations,
                              p.blacklist_period_days)),
        validators=validators, observers=observers, timing=timing,
        fee_rate_bp=p.fee_rate_bp, limits=limits, genesis_hash=hash_,
    )
