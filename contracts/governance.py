"""Governance: which version of each contract is in force, from which height.

Rules change by adding a contract module with a new version beside the old one; the
agency then activates the new version from a future height. Until that height the old
version applies, after it only the new one, so every node replays history exactly.

Whether an activation is valid depends on what the ledger knows only, never on the code
a node runs: a node whose release lacks the version must still accept the block that
schedules it (else it forks, or stalls, long before the version is in force). The
agency's wallet checks before signing that its release runs the version with that code
hash; a node lacking it warns from the commit that schedules it and stops before
executing the first block under it (node/chain.py).

The protocol version (contracts.protocol) changes the same way, by its own schedule: a
release runs one protocol version, and a node stops before a height whose protocol
version is not its release's.

Keys: `g/<contract>` the schedule of each contract (the genesis state writes its first
version); `gp/` the schedule of the protocol version (the genesis state writes the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.caller import Caller, Read
from contracts.codec import U32, Hash32, Height, Name, Size, decode
from contracts.contract import Context, Operation
from contracts.errors import LedgerError, require
from contracts.membership import require_active
from contracts.state import Overlay, Reader, get_record, put_record

NAME = "governance"
VERSION = 1

MAX_ACTIVATIONS = 256


@dataclass(frozen=True)
class Activation:
    version: U32
    code_hash: Hash32
    from_height: Height


@dataclass(frozen=True)
class Schedule:
    """The activations of one contract, in ascending version and height."""

    contract: Name
    activations: Annotated[tuple[Activation, ...], Size(1, MAX_ACTIVATIONS)]


@dataclass(frozen=True)
class ProtocolActivation:
    version: U32
    from_height: Height


@dataclass(frozen=True)
class ProtocolSchedule:
    """The protocol versions (contracts.protocol), in ascending version and height."""

    activations: Annotated[tuple[ProtocolActivation, ...], Size(1, MAX_ACTIVATIONS)]


@dataclass(frozen=True)
class Activate:
    agency: Hash32
    contract: Name
    version: U32
    code_hash: Hash32
    from_height: Height


@dataclass(frozen=True)
class ActivateProtocol:
    agency: Hash32
    version: U32
    from_height: Height


def schedule_key(contract: str) -> bytes:
    return b"g/" + contract.encode()


def get_schedule(state: Reader, contract: str) -> Schedule | None:
    return get_record(state, schedule_key(contract), Schedule)


def schedules(state: Reader) -> list[Schedule]:
    """Every contract's schedule, in contract-name order."""
    return [decode(Schedule, raw) for _, raw in state.scan(schedule_key(""))]


def active_activation(state: Reader, contract: str, height: int) -> Activation | None:
    """The version of `contract` in force at `height`, if any."""
    schedule = get_schedule(state, contract)
    if schedule is None:
        return None
    current = None
    for activation in schedule.activations:
        if activation.from_height <= height:
            current = activation
    return current


def write_schedule(state: Overlay, schedule: Schedule) -> None:
    put_record(state, schedule_key(schedule.contract), schedule)


def protocol_key() -> bytes:
    return b"gp/"


def is_schedule_key(key: bytes) -> bool:
    """A key of a contract's schedule or of the protocol's (what a release must run)."""
    return key.startswith(schedule_key("")) or key == protocol_key()


def write_protocol_version(state: Overlay, version: int) -> None:
    """The genesis state's protocol schedule: `version` from height 0."""
    put_record(state, protocol_key(), ProtocolSchedule((ProtocolActivation(version, 0),)))


def protocol_schedule(state: Reader) -> ProtocolSchedule:
    """The protocol versions of `state`'s chain, each from its height."""
    record = get_record(state, protocol_key(), ProtocolSchedule)
    if record is None:
        raise LedgerError("governance.no_protocol", "this state holds no protocol version: "
                          "it was not made by this release's genesis")
    return record


def protocol_activation(state: Reader, height: int) -> ProtocolActivation:
    """The protocol version in force at `height`, with the height it is in force from."""
    activations = protocol_schedule(state).activations
    current = activations[0]
    for activation in activations:
        if activation.from_height <= height:
            current = activation
    return current


def protocol_version(state: Reader, height: int) -> int:
    """The protocol version in force at `height` (the genesis state writes the first)."""
    return protocol_activation(state, height).version


def activate(ctx: Context, body: Activate) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(
        body.from_height > ctx.height,
        "governance.height_not_future",
        "a version is activated from a future height",
    )
    schedule = get_schedule(ctx.state, body.contract)
    previous = schedule.activations if schedule else ()
    require(
        not previous
        or (body.version > previous[-1].version and body.from_height > previous[-1].from_height),
        "governance.not_newer",
        "a new activation needs a higher version and a later height than the last one",
    )
    require(len(previous) < MAX_ACTIVATIONS, "governance.too_many", "too many activations")
    activation = Activation(body.version, body.code_hash, body.from_height)
    write_schedule(ctx.state, Schedule(body.contract, (*previous, activation)))
    ctx.emit("contract.activated", body.code_hash, body.agency)


def activate_protocol(ctx: Context, body: ActivateProtocol) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(
        body.from_height > ctx.height,
        "governance.height_not_future",
        "a protocol version is activated from a future height",
    )
    previous = protocol_schedule(ctx.state).activations
    require(
        body.version > previous[-1].version and body.from_height > previous[-1].from_height,
        "governance.not_newer",
        "a new protocol version needs a higher version and a later height than the last one",
    )
    require(len(previous) < MAX_ACTIVATIONS, "governance.too_many", "too many activations")
    activation = ProtocolActivation(body.version, body.from_height)
    put_record(ctx.state, protocol_key(), ProtocolSchedule((*previous, activation)))
    ctx.emit("protocol.activated", ctx.tx_id, body.agency)


# ------------------------------------------------------------------ who may read


def may_read_contract_schedule(state: Reader, caller: Caller, schedule: Schedule) -> bool:
    """Which version of each contract is in force, from which height, is every member's:
    they are the rules it signs under."""
    return caller.member


READS = (Read("contract_schedule", ("member",), may_read_contract_schedule),)


OPERATIONS = (
    Operation("activate", Activate, lambda b: (b.agency,), activate),
    Operation("activate_protocol", ActivateProtocol, lambda b: (b.agency,), activate_protocol),
)
