"""How a transaction is checked and applied, how a block ends, and the genesis state.

`check_transaction` is what needs no state (decoding, chain, contract, each signature
against its key): a node does it once, on arrival. Which keys must have signed is state
(a member's key can change), checked by `apply_transaction`, which runs the operation's
rules against the state at ledger time and either changes the state or raises and
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from contracts import applied, credit, fees, governance, membership, nodes
from contracts.codec import U32, Hash32, Name, Size, TimeMs, decode, encode, sha256
from contracts.contract import Context, Contract, Event, Operation, Registry
from contracts.errors import LedgerError, Rejected
from contracts.identity import MemberSigner
from contracts.protocol import PROTOCOL_VERSION
from contracts.state import MemoryStore, Overlay, Reader
from contracts.tx import (
    MAX_VALIDITY_BLOCKS,
    TX_DOMAIN,
    ContractRef,
    Payload,
    Transaction,
    add_signature,
    decode_transaction,
    signing_bytes,
    verify_signatures,
)

NO_TX = bytes(32)  # the tx id end-of-block steps run under


@dataclass(frozen=True)
class BlockInfo:
    chain_id: str
    height: int
    time_ms: int


@dataclass(frozen=True)
class CheckedTx:
    """A transaction whose envelope and signatures were verified, decoded once."""

    tx: Transaction
    raw: bytes
    id: bytes
    contract: Contract
    operation: Operation
    body: Any

    @property
    def signers(self) -> tuple[bytes, ...]:
        """The addresses that must sign (the operation's, from the body), sorted, each once;
        the keys that sign for them are the state's (contracts.membership.signing_key)."""
        return tuple(sorted(set(self.operation.signers(self.body))))


def resolve(registry: Registry, tx: Transaction) -> tuple[Contract, Operation, Any]:
    """The contract, operation and decoded body a transaction invokes."""
    ref = tx.payload.contract
    contract = registry.get(ref.name, ref.version)
    if contract is None or contract.code_hash != ref.code_hash:
        raise LedgerError(
            "tx.unknown_contract",
            f"this node does not run {ref.name} v{ref.version} with code hash "
            f"{ref.code_hash.hex()[:16]}…",
        )
    operation = contract.operations.get(tx.payload.operation)
    if operation is None:
        raise LedgerError(
            "tx.unknown_operation", f"{ref.name} v{ref.version} has no operation "
            f"{tx.payload.operation!r}"
        )
    size = len(tx.payload.body)
    if size > contract.max_body_bytes:
        raise LedgerError(
            "tx.body_too_large", f"an operation body of {ref.name} is at most "
            f"{contract.max_body_bytes} bytes; this one has {size}"
        )
    body = decode(operation.body, tx.payload.body, max_bytes=contract.max_body_bytes)
    return contract, operation, body


def check_transaction(
    registry: Registry, chain_id: str, raw: bytes, next_height: int,
    decoded: Transaction | None = None,
) -> CheckedTx:
    """Everything about a transaction that needs no state. Raises `LedgerError`.

    `decoded`: `decode_transaction(raw)`, when the caller decoded it already."""
    tx = decoded if decoded is not None else decode_transaction(raw)
    payload = tx.payload
    if payload.chain_id != chain_id:
        raise LedgerError(
            "tx.wrong_chain", f"signed for chain {payload.chain_id!r}, this is {chain_id!r}"
        )
    if payload.expiry_height < next_height:
        raise LedgerError(
            "tx.expired", f"expired at height {payload.expiry_height}; the next is {next_height}"
        )
    if payload.expiry_height > next_height + MAX_VALIDITY_BLOCKS:
        raise LedgerError(
            "tx.expiry_too_far",
            f"expires at height {payload.expiry_height}, more than {MAX_VALIDITY_BLOCKS} "
            f"blocks after the next ({next_height}); sign it again with a nearer expiry",
        )
    contract, operation, body = resolve(registry, tx)
    payload_bytes = encode(payload)  # once, for both the id and the signed message
    verify_signatures(tx, len(set(operation.signers(body))), TX_DOMAIN + payload_bytes)
    return CheckedTx(tx, raw, sha256(payload_bytes), contract, operation, body)


def apply_transaction(
    registry: Registry, state: Overlay, checked: CheckedTx, block: BlockInfo
) -> list[Event]:
    """Apply one checked transaction to `state` at `block`; on any error nothing changes."""
    payload = checked.tx.payload
    if payload.expiry_height < block.height:
        raise Rejected("tx.expired", f"expired at height {payload.expiry_height}")
    if payload.expiry_height > block.height + MAX_VALIDITY_BLOCKS:  # contracts.applied
        raise Rejected("tx.expiry_too_far", f"expires at height {payload.expiry_height}, "
                       f"more than {MAX_VALIDITY_BLOCKS} blocks after {block.height}")
    if applied.is_applied(state, checked.id):
        raise Rejected("tx.replay", "this transaction is already on the ledger")
    active = governance.active_activation(state, checked.contract.name, block.height)
    if (
        active is None
        or active.version != checked.contract.version
        or active.code_hash != checked.contract.code_hash
    ):
        in_force = f"v{active.version}" if active else "no version"
        raise Rejected(
            "tx.contract_inactive",
            f"{checked.contract.name} v{checked.contract.version} is not in force at height "
            f"{block.height} ({in_force} is)",
        )
    # The keys that signed (verified by check_transaction) are the required addresses'
    # current keys: checked here, against the state, because a key may have been replaced
    # since the transaction was admitted. Operations see addresses, never keys.
    signers = frozenset(checked.signers)
    membership.check_signer_keys(state, signers, (s.signer for s in checked.tx.signatures))
    membership.require_signers_active(state, signers)
    scratch = state.child()
    ctx = Context(
        state=scratch,
        height=block.height,
        time_ms=block.time_ms,
        tx_id=checked.id,
        signers=signers,
        registry=registry,
    )
    checked.operation.apply(ctx, checked.body)
    applied.mark(scratch, checked.id)
    scratch.commit()
    return ctx.events


def end_block(registry: Registry, state: Overlay, block: BlockInfo) -> list[Event]:
    """The deterministic end-of-block steps (lapses, due dates), in contract-name order,
    then the record of the transactions the block applied (contracts.applied): `state` is
    the block's own overlay.
    Each does a bounded amount of work and leaves the rest for the next blocks, so the
    events of all of them stay within contracts.contract.MAX_BLOCK_EVENTS.

    The contracts are those the state schedules, not those `registry` happens to run: a
    node lacking the version in force raises node.missing_contract rather than leave a
    step out (a node stops before it gets here: node/chain.py)."""
    events: list[Event] = []
    for schedule in governance.schedules(state):
        name = schedule.contract
        active = governance.active_activation(state, name, block.height)
        if active is None:
            continue
        contract = registry.get(name, active.version)
        if contract is None or contract.code_hash != active.code_hash:
            raise missing_contract(name, active)
        if contract.end_block is None:
            continue
        ctx = Context(state, block.height, block.time_ms, NO_TX, frozenset(), registry)
        contract.end_block(ctx)
        assert len(ctx.events) <= contract.max_end_block_events, \
            f"{name}'s end of block emitted {len(ctx.events)} events, over its bound"
        events.extend(ctx.events)
    applied.close_block(state, block.height)
    return events


def missing_contract(name: str, activation: governance.Activation) -> LedgerError:
    """The error of a node that lacks the code of a contract version the chain uses."""
    return LedgerError(
        "node.missing_contract",
        f"the chain runs {name} v{activation.version} (code hash "
        f"{activation.code_hash.hex()}) from height {activation.from_height}, and this "
        "node's release lacks that code: install a release that has it",
    )


@dataclass(frozen=True)
class ReleaseGap:
    """A contract version, or a protocol version, that a chain puts in force from
    `from_height` and a release does not run."""

    code: str  # node.missing_contract or node.unsupported_protocol
    from_height: int
    version: int
    contract: str | None = None  # None: the protocol version
    code_hash: bytes | None = None
    release_protocol: int = PROTOCOL_VERSION

    def error(self) -> LedgerError:
        """The error of a node that cannot execute `from_height` or later."""
        if self.contract is None:
            return LedgerError(
                self.code, f"the chain runs protocol version {self.version} from height "
                f"{self.from_height}, and this node's release runs protocol version "
                f"{self.release_protocol}: install a release that runs it")
        assert self.code_hash is not None
        return missing_contract(self.contract, governance.Activation(
            self.version, self.code_hash, self.from_height))

    def warning(self) -> str:
        """What an operator reads while the node still runs (before `from_height`)."""
        if self.contract is None:
            return (f"protocol version {self.version} is in force from height "
                    f"{self.from_height}; this release runs protocol version "
                    f"{self.release_protocol}: upgrade before then")
        assert self.code_hash is not None
        return (f"contract {self.contract} v{self.version} (code hash "
                f"{self.code_hash.hex()}) is in force from height {self.from_height}; this "
                "release lacks it: upgrade before then")


def release_gap(registry: Registry, state: Reader, height: int,
                protocol: int = PROTOCOL_VERSION) -> ReleaseGap | None:
    """The first contract or protocol version, in force at `height` or scheduled later by
    the governance schedules in `state`, that a release running `registry` and protocol
    version `protocol` lacks (the earliest in force first); None when it lacks none."""
    gaps: list[ReleaseGap] = []
    for schedule in governance.schedules(state):
        in_force = [a for a in schedule.activations if a.from_height <= height][-1:]
        coming = [a for a in schedule.activations if a.from_height > height]
        for activation in in_force + coming:
            runs = registry.get(schedule.contract, activation.version)
            if runs is None or runs.code_hash != activation.code_hash:
                gaps.append(ReleaseGap("node.missing_contract", activation.from_height,
                                       activation.version, schedule.contract,
                                       activation.code_hash, protocol))
                break
    activations = governance.protocol_schedule(state).activations
    in_force_p = [a for a in activations if a.from_height <= height][-1:]
    for activation in in_force_p + [a for a in activations if a.from_height > height]:
        if activation.version != protocol:
            gaps.append(ReleaseGap("node.unsupported_protocol", activation.from_height,
                                   activation.version, release_protocol=protocol))
            break
    return min(gaps, key=lambda g: (g.from_height, g.contract or ""), default=None)


def require_contracts_run(registry: Registry, state: Reader, height: int,
                          protocol: int = PROTOCOL_VERSION) -> None:
    """`LedgerError` node.missing_contract unless `registry` runs every contract version
    the governance schedules in `state` put in force at `height` or later (a node that
    would otherwise stop, or fork, at the height a version it lacks takes over);
    node.unsupported_protocol unless every protocol version in force there is
    `protocol`."""
    gap = release_gap(registry, state, height, protocol)
    if gap is not None:
        raise gap.error()


# ------------------------------------------------------------------ genesis


@dataclass(frozen=True)
class GenesisMember:
    address: Hash32
    name: membership.MemberName
    roles: membership.Roles
    # Its legal identity (network.toml states it); None only on a test network.
    identity: membership.Identity | None = None


@dataclass(frozen=True)
class BlacklistCriteria:
    """Listed at N overdue vouchers or M late confirmations within D days."""

    overdue_vouchers: U32
    late_confirmations: U32
    period_days: U32


BLACKLIST_DEFAULTS = BlacklistCriteria(3, 3, 365)


@dataclass(frozen=True)
class Genesis:
    chain_id: Name
    time_ms: TimeMs
    members: Annotated[tuple[GenesisMember, ...], Size(1, 4096)]
    fee_rate_bp: U32 = 0  # the service fee on transfers and pledges, until the agency sets one
    # The node registry at genesis (contracts.nodes): the validators in force from
    # height 0 and the observers. Empty only for rule tests that run no chain.
    validators: Annotated[tuple[nodes.Validator, ...], Size(0, nodes.MAX_VALIDATORS)] = ()
    observers: Annotated[tuple[nodes.Observer, ...], Size(0, nodes.MAX_OBSERVERS)] = ()
    # The blacklist criteria (contracts.credit.Criteria) until the agency sets others.
    blacklist: BlacklistCriteria = BLACKLIST_DEFAULTS


def genesis_state(registry: Registry, genesis: Genesis) -> list[tuple[bytes, bytes | None]]:
    """The state before block 1: the protocol version, the genesis members, the node
    registry, and the first version of every contract."""
    state = Overlay(MemoryStore())
    governance.write_protocol_version(state, PROTOCOL_VERSION)
    for m in genesis.members:
        if membership.key_entry(state, m.address) is not None:
            raise LedgerError("genesis.member_twice", f"member {m.address.hex()} is listed twice")
        if m.identity is not None and m.identity.credit_code and \
                membership.holder_of_credit_code(state, m.identity.credit_code) is not None:
            raise LedgerError("genesis.credit_code_twice",
                              f"credit code {m.identity.credit_code} is listed twice")
        record = membership.genesis_member(m.address, m.name, m.roles, genesis.time_ms,
                                           m.identity)
        membership.write_member(state, record)
    if not any("agency" in m.roles for m in genesis.members):
        raise LedgerError("genesis.no_agency", "the genesis members must include an agency")
    nodes.write_genesis(state, genesis.validators, genesis.observers)
    rate = genesis.fee_rate_bp
    fees.write_schedule(state, fees.Schedule(rate, rate, genesis.time_ms, 0))
    b = genesis.blacklist
    credit.write_criteria(state, credit.Criteria(
        b.overdue_vouchers, b.late_confirmations, b.period_days, genesis.time_ms, 0))
    for name in registry.names():
        first = registry.first(name)
        activation = governance.Activation(first.version, first.code_hash, 0)
        governance.write_schedule(state, governance.Schedule(name, (activation,)))
    return state.changes()


# ------------------------------------------------------------------ building transactions


def operation_of(registry: Registry, contract: str, operation: str, version: int | None = None):
    """The (contract, operation) a client means, the latest version unless one is named."""
    found = registry.get(contract, version) if version is not None else None
    if version is None and contract in registry.names():
        found = registry.latest(contract)
    if found is None or operation not in found.operations:
        raise LedgerError("tx.unknown_operation", f"no operation {contract}.{operation}")
    return found, found.operations[operation]


def make_transaction(
    registry: Registry,
    chain_id: str,
    contract: str,
    operation: str,
    body: Any,
    expiry_height: int,
    nonce: int,
    version: int | None = None,
) -> Transaction:
    """An unsigned transaction invoking `contract.operation` with `body`."""
    found, op = operation_of(registry, contract, operation, version)
    if type(body) is not op.body:
        raise TypeError(f"{contract}.{operation} takes a {op.body.__name__}")
    payload = Payload(
        chain_id=chain_id,
        contract=ContractRef(found.name, found.version, found.code_hash),
        operation=operation,
        body=encode(body),
        expiry_height=expiry_height,
        nonce=nonce,
    )
    return Transaction(payload, ())


def required_signers(registry: Registry, tx: Transaction) -> tuple[bytes, ...]:
    _, operation, body = resolve(registry, tx)
    return tuple(sorted(set(operation.signers(body))))


def sign_transaction(tx: Transaction, key: MemberSigner) -> Transaction:
    """`tx` signed by `key` (its signature names `key.address`, the public key)."""
    return add_signature(tx, key.address, key.sign(signing_bytes(tx.payload)))
