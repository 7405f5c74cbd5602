"""The node registry: which nodes validate (with what power) and which observe, changed by
governance and in force two heights after the block that decides a change.

Validators change by two steps. The agency proposes one change (add a validator, remove
one, set its power, rotate its node key) with an expiry in ledger time; the operators of
the validators approve it, each approval counting the power of the validators its member
operates in the set in force at the approving block. The approval that takes the
approvals past two thirds of that power applies the change in its block H, and the new
set is in force from height H+2, as in CometBFT: the header of H+1 already names it
(`next_validators_hash`), and every node knows the set of a height before it votes there.
Each live proposal touches its nodes alone (`nodes.change_pending`), so two changes never
race for one node; a later proposal is applied on top of whatever was applied before it.

Observers only read: they hold no vote, so admitting one cannot touch safety or
liveness. What an observer receives is every block, which the read rules let the agency
and the regulators read already (contracts.caller.OVERSIGHT); so the agency alone admits
or removes an observer, run by an active agency or regulator member, at once. A
regulator's observer needs no validator's consent to follow the ledger it oversees.

Key layout (owned here):
- `n/s/<from height, 8 bytes big-endian>` → `NodeSet`: the validators in force from that
  height until the next record's height. Every set the chain ever had stays, so the set
  of any height is read from the state alone (block sync, evidence, a node that starts
  from a snapshot); there is one record per applied change, rare by nature.
- `n/o/<node key>` → `Observer`.
- `n/p/<proposal id>` → `Pending`: a proposed change and its approvals (the id is the
  proposing transaction's id).
- `n/k/<node key>` → the id of the live proposal that touches that key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Annotated

from contracts.caller import Caller, Read
from contracts.codec import U32, Hash32, Height, Name, OneOf, Size, TimeMs
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import get_member, require_active
from contracts.state import Overlay, Reader, get_record, put_record

NAME = "nodes"
VERSION = 1

MAX_VALIDATORS = 1024  # consensus.validators.MAX_VALIDATORS: a certificate's bound
MAX_OBSERVERS = 1024
MAX_POWER = 1_000_000  # one validator's power; 1024 of them stay far below 2**32
MAX_PROPOSAL_MS = 30 * 86_400_000  # a proposal lives at most 30 days of ledger time
APPLY_DELAY = 2  # a change applied in block H is in force from H + APPLY_DELAY

PeerAddress = Annotated[str, Size(3, 255)]  # host:port of the node's TLS peer links
NodeName = Name
CHANGES = ("add_validator", "remove_validator", "set_power", "rotate_key")
ChangeKind = Annotated[str, OneOf(frozenset(CHANGES))]


@dataclass(frozen=True)
class Validator:
    key: Hash32  # the node's Ed25519 public key: what it signs votes with
    power: U32
    peer: PeerAddress
    operator: Hash32  # the member that runs the node and approves changes for it
    name: NodeName


@dataclass(frozen=True)
class NodeSet:
    """The validators in force from `from_height`, sorted by key."""

    from_height: Height
    validators: Annotated[tuple[Validator, ...], Size(1, MAX_VALIDATORS)]


@dataclass(frozen=True)
class Observer:
    key: Hash32
    operator: Hash32
    name: NodeName


@dataclass(frozen=True)
class Change:
    """One change of the validator set. Fields a kind does not use are zero or empty:
    add_validator uses key, power, peer, operator, name; remove_validator key; set_power
    key, power; rotate_key key, new_key."""

    kind: ChangeKind
    key: Hash32
    new_key: Hash32 = bytes(32)
    power: U32 = 0
    peer: Annotated[str, Size(0, 255)] = ""
    operator: Hash32 = bytes(32)
    name: Annotated[str, Size(0, 64)] = ""


@dataclass(frozen=True)
class Pending:
    id: Hash32
    change: Change
    proposed_by: Hash32
    proposed_height: Height
    expires_at_ms: TimeMs
    approvals: Annotated[tuple[Hash32, ...], Size(0, MAX_VALIDATORS)]  # operators, sorted


@dataclass(frozen=True)
class Propose:
    agency: Hash32
    change: Change
    expires_at_ms: TimeMs


@dataclass(frozen=True)
class Approve:
    operator: Hash32
    proposal: Hash32


@dataclass(frozen=True)
class Withdraw:
    agency: Hash32
    proposal: Hash32


@dataclass(frozen=True)
class AdmitObserver:
    agency: Hash32
    key: Hash32
    operator: Hash32
    name: NodeName


@dataclass(frozen=True)
class RemoveObserver:
    agency: Hash32
    key: Hash32


# ------------------------------------------------------------------ keys and readers


SETS = b"n/s/"  # the prefix of the validator sets' records


def set_key(from_height: int) -> bytes:
    return SETS + from_height.to_bytes(8, "big")


def observer_key(key: bytes) -> bytes:
    return b"n/o/" + key


def pending_key(proposal: bytes) -> bytes:
    return b"n/p/" + proposal


def touched_key(key: bytes) -> bytes:
    return b"n/k/" + key


def set_history(state: Reader) -> Iterator[NodeSet]:
    """Every validator set the chain has had or will have, by ascending `from_height`."""
    for key, _ in state.scan(SETS):
        found = get_record(state, key, NodeSet)
        assert found is not None
        yield found


def set_at(state: Reader, height: int) -> NodeSet | None:
    """The validators in force at `height`: known for every height up to two after the
    block that produced `state`. None before genesis wrote a set (rule tests)."""
    current = None
    for node_set in set_history(state):
        if node_set.from_height > height:
            break
        current = node_set
    return current


def latest_set(state: Reader) -> NodeSet | None:
    """The set of the last change applied: what a new change is applied on top of."""
    history = list(set_history(state))
    return history[-1] if history else None


def get_observer(state: Reader, key: bytes) -> Observer | None:
    return get_record(state, observer_key(key), Observer)


def observers(state: Reader) -> list[Observer]:
    """The observers, by key."""
    found = [get_record(state, k, Observer) for k, _ in state.scan(b"n/o/")]
    return [o for o in found if o is not None]


def get_pending(state: Reader, proposal: bytes) -> Pending | None:
    return get_record(state, pending_key(proposal), Pending)


def pending_changes(state: Reader) -> list[Pending]:
    """The proposals not applied, withdrawn or replaced yet (expired ones included), by id."""
    found = [get_record(state, k, Pending) for k, _ in state.scan(b"n/p/")]
    return [p for p in found if p is not None]


def validator_entry(node_set: NodeSet, key: bytes) -> Validator | None:
    for v in node_set.validators:
        if v.key == key:
            return v
    return None


def node_role(state: Reader, key: bytes, height: int) -> str | None:
    """What `key` is to the network for links at `height` (the next height a node
    executes): "validator" when it validates at `height` or at a later height already
    decided (a newcomer syncs before it votes), "observer", or None (refuse the link)."""
    in_force = set_at(state, height)
    later = [s for s in set_history(state) if s.from_height > height]
    for node_set in ([in_force] if in_force is not None else []) + later:
        if validator_entry(node_set, key) is not None:
            return "validator"
    return "observer" if get_observer(state, key) is not None else None


def total_power(node_set: NodeSet) -> int:
    return sum(v.power for v in node_set.validators)


# ------------------------------------------------------------------ the rules


def check_power(power: int) -> None:
    require(0 < power <= MAX_POWER, "nodes.bad_power",
            f"a validator's power is 1..{MAX_POWER}, not {power}")


def check_peer(peer: str) -> None:
    host, colon, port = peer.rpartition(":")
    ok = bool(colon and host and port.isdigit() and 0 < int(port) < 65536
              and peer.isprintable() and " " not in peer)
    require(ok, "nodes.bad_peer", f"a peer address is host:port, not {peer!r}")


def require_new_key(state: Reader, key: bytes) -> None:
    """`key` is no node's and no member's: one key signs for one party only, so a vote and
    a member's signature can never be confused."""
    latest = latest_set(state)
    taken = (latest is not None and validator_entry(latest, key) is not None) \
        or get_observer(state, key) is not None
    require(not taken, "nodes.duplicate_key", f"{key.hex()[:16]}… is a node's key already")
    require(get_member(state, key) is None, "nodes.key_in_use",
            f"{key.hex()[:16]}… is a member's address; a node has a key of its own")
    require(state.get(touched_key(key)) is None, "nodes.change_pending",
            f"a pending change names {key.hex()[:16]}… already")


def require_validator(node_set: NodeSet, key: bytes) -> Validator:
    found = validator_entry(node_set, key)
    if found is None:
        raise Rejected("nodes.unknown_node", f"{key.hex()[:16]}… is not a validator")
    return found


def changed_set(state: Reader, change: Change) -> tuple[Validator, ...]:
    """The validators after `change`, applied on top of the last applied set; `Rejected`
    with a nodes.* code when the change does not fit it."""
    latest = latest_set(state)
    require(latest is not None, "nodes.no_registry", "this chain has no validator registry")
    assert latest is not None
    validators = list(latest.validators)
    match change.kind:
        case "add_validator":
            require_new_key(state, change.key)
            check_power(change.power)
            check_peer(change.peer)
            require(bool(change.name), "nodes.bad_name", "a validator has a name")
            require(len(validators) < MAX_VALIDATORS, "nodes.too_many",
                    f"a set holds at most {MAX_VALIDATORS} validators")
            require_active(state, change.operator)
            validators.append(Validator(change.key, change.power, change.peer,
                                        change.operator, change.name))
        case "remove_validator":
            gone = require_validator(latest, change.key)
            require(len(validators) > 1, "nodes.last_validator",
                    "removing it would leave no validator")
            validators.remove(gone)
        case "set_power":
            old = require_validator(latest, change.key)
            check_power(change.power)
            require(change.power != old.power, "nodes.no_change", "the power is that already")
            validators[validators.index(old)] = replace(old, power=change.power)
        case "rotate_key":
            old = require_validator(latest, change.key)
            require(change.new_key != change.key, "nodes.no_change", "the new key is the old")
            require_new_key(state, change.new_key)
            validators[validators.index(old)] = replace(old, key=change.new_key)
        case _:
            raise AssertionError(change.kind)
    return tuple(sorted(validators, key=lambda v: v.key))


def touched(change: Change) -> tuple[bytes, ...]:
    return (change.key, change.new_key) if change.kind == "rotate_key" else (change.key,)


def live_pending_on(ctx: Context, key: bytes) -> Pending | None:
    """The live proposal touching `key`; an expired one is dropped on the way, so an
    abandoned proposal never blocks its node beyond its expiry."""
    raw = ctx.state.get(touched_key(key))
    if raw is None:
        return None
    found = get_pending(ctx.state, raw)
    assert found is not None, "the key index names a stored proposal"
    if found.expires_at_ms > ctx.time_ms:
        return found
    drop_pending(ctx.state, found)
    return None


def drop_pending(state: Overlay, pending: Pending) -> None:
    state.delete(pending_key(pending.id))
    for key in touched(pending.change):
        state.delete(touched_key(key))


def propose(ctx: Context, body: Propose) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(ctx.time_ms < body.expires_at_ms <= ctx.time_ms + MAX_PROPOSAL_MS,
            "nodes.bad_expiry", "a proposal expires after this block and within 30 days")
    for key in touched(body.change):
        require(live_pending_on(ctx, key) is None, "nodes.change_pending",
                f"another pending change touches node {key.hex()[:16]}…")
    changed_set(ctx.state, body.change)  # it must fit the set now
    pending = Pending(ctx.tx_id, body.change, body.agency, ctx.height, body.expires_at_ms, ())
    put_record(ctx.state, pending_key(ctx.tx_id), pending)
    for key in touched(body.change):
        ctx.state.put(touched_key(key), ctx.tx_id)
    ctx.emit("node.change_proposed", ctx.tx_id, body.agency, *concerned(ctx.state, body.change))


def concerned(state: Reader, change: Change) -> tuple[bytes, ...]:
    """The operator of the node a change is about (a newcomer's, or the validator's): one
    party, so that an event stays within its bound however large the set."""
    if change.kind == "add_validator":
        return (change.operator,)
    latest = latest_set(state)
    found = validator_entry(latest, change.key) if latest is not None else None
    return (found.operator,) if found is not None else ()


def approve(ctx: Context, body: Approve) -> None:
    pending = get_pending(ctx.state, body.proposal)
    require(pending is not None, "nodes.unknown_proposal", "no such pending change")
    assert pending is not None
    if pending.expires_at_ms <= ctx.time_ms:
        raise Rejected("nodes.expired", "the proposal expired; the agency proposes it again")
    in_force = set_at(ctx.state, ctx.height)
    assert in_force is not None, "a pending change implies a registry"
    require(any(v.operator == body.operator for v in in_force.validators),
            "nodes.not_operator", "only the operator of a validator in force approves")
    require(body.operator not in pending.approvals, "nodes.already_approved",
            "this operator approved the change already")
    approvals = tuple(sorted((*pending.approvals, body.operator)))
    power = sum(v.power for v in in_force.validators if v.operator in approvals)
    ctx.emit("node.change_approved", pending.id, body.operator, pending.proposed_by)
    about = concerned(ctx.state, pending.change)
    if 3 * power <= 2 * total_power(in_force):
        put_record(ctx.state, pending_key(pending.id), replace(pending, approvals=approvals))
        return
    drop_pending(ctx.state, pending)  # first: its keys are no longer "pending" to itself
    validators = changed_set(ctx.state, pending.change)  # it must still fit the set
    from_height = ctx.height + APPLY_DELAY
    put_record(ctx.state, set_key(from_height), NodeSet(from_height, validators))
    ctx.emit("node.change_applied", pending.id, pending.proposed_by, *about)


def withdraw(ctx: Context, body: Withdraw) -> None:
    require_active(ctx.state, body.agency, "agency")
    pending = get_pending(ctx.state, body.proposal)
    require(pending is not None, "nodes.unknown_proposal", "no such pending change")
    assert pending is not None
    drop_pending(ctx.state, pending)
    ctx.emit("node.change_withdrawn", pending.id, body.agency)


def require_overseer(state: Reader, operator: bytes) -> None:
    member = require_active(state, operator)
    require("agency" in member.roles or "regulator" in member.roles, "nodes.bad_operator",
            "an observer receives every block: only the agency or a regulator runs one")


def admit_observer(ctx: Context, body: AdmitObserver) -> None:
    require_active(ctx.state, body.agency, "agency")
    require_new_key(ctx.state, body.key)
    require_overseer(ctx.state, body.operator)
    count = sum(1 for _ in ctx.state.scan(b"n/o/"))
    require(count < MAX_OBSERVERS, "nodes.too_many", f"at most {MAX_OBSERVERS} observers")
    put_record(ctx.state, observer_key(body.key), Observer(body.key, body.operator, body.name))
    ctx.emit("node.observer_admitted", body.key, body.agency, body.operator)


def remove_observer(ctx: Context, body: RemoveObserver) -> None:
    require_active(ctx.state, body.agency, "agency")
    found = get_observer(ctx.state, body.key)
    if found is None:
        raise Rejected("nodes.unknown_node", f"{body.key.hex()[:16]}… is not an observer")
    ctx.state.delete(observer_key(body.key))
    ctx.emit("node.observer_removed", body.key, body.agency, found.operator)


# ------------------------------------------------------------------ genesis


def write_genesis(state: Overlay, validators: tuple[Validator, ...],
                  observer_list: tuple[Observer, ...]) -> None:
    """The registry before block 1: `validators` in force from height 0, `observer_list`.
    Each must be one a transaction could have admitted (same codes)."""
    if not validators:
        require(not observer_list, "nodes.no_registry", "observers need validators")
        return
    seen: set[bytes] = set()
    for v in validators:
        check_power(v.power)
        check_peer(v.peer)
        require_active(state, v.operator)
    for o in observer_list:
        require_overseer(state, o.operator)
    for key in [v.key for v in validators] + [o.key for o in observer_list]:
        require(key not in seen, "nodes.duplicate_key", f"{key.hex()[:16]}… is listed twice")
        require(get_member(state, key) is None, "nodes.key_in_use",
                f"{key.hex()[:16]}… is a member's address; a node has a key of its own")
        seen.add(key)
    ordered = tuple(sorted(validators, key=lambda v: v.key))
    put_record(state, set_key(0), NodeSet(0, ordered))
    for o in observer_list:
        put_record(state, observer_key(o.key), o)


# ------------------------------------------------------------------ who may read


def may_read_node(state: Reader, caller: Caller, record: object) -> bool:
    """Which nodes validate and observe, and who runs them, is every member's: they are
    whom a member trusts with its ledger."""
    return caller.member


READS = (Read("node", ("member",), may_read_node),)


OPERATIONS = (
    Operation("propose", Propose, lambda b: (b.agency,), propose),
    Operation("approve", Approve, lambda b: (b.operator,), approve),
    Operation("withdraw", Withdraw, lambda b: (b.agency,), withdraw),
    Operation("admit_observer", AdmitObserver, lambda b: (b.agency,), admit_observer),
    Operation("remove_observer", RemoveObserver, lambda b: (b.agency,), remove_observer),
)
