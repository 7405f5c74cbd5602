"""Evidence of equivocation kept on the ledger: a validator that signed two different
votes for one height, round and step.

A proposer puts the evidence its node found into its block; every validator and
observer verifies it with the consensus' own vote verification (node/evidence.py) before
block execution records it here. This family keeps the records and knows nothing of
how votes are signed: it is handed the two votes' bytes as they were verified.

Key layout (one record per validator and step, so the same equivocation is kept once
whichever two of its votes prove it and whichever proposer brings it):
  eq/<validator:32><height:8><round:4><step:1>   the record
(`eq/`, not `ev/`: the store keeps members' event streams under ev/.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from contracts.caller import Caller, Read
from contracts.codec import U32, Hash32, Height, OneOf, Size, TimeMs, decode, sha256
from contracts.contract import Event
from contracts.errors import require
from contracts.state import Overlay, Reader, get_record, put_record

PREFIX = b"eq/"
STEPS = ("prevote", "precommit")  # the byte in the key: 1 + its index
MAX_VOTE_BYTES = 256  # one vote's wire bytes (a nil or 32-byte value, a key, a signature)
EVENT_KIND = "evidence.equivocation"
KEY_BYTES = 32 + 8 + 4 + 1
VoteBytes = Annotated[bytes, Size(1, MAX_VOTE_BYTES)]
ValueId = Annotated[bytes, Size(0, 32)]  # empty: a vote for nil


@dataclass(frozen=True)
class Equivocation:
    """Two votes `validator` signed for (height, round, step), values in byte order."""

    validator: Hash32
    height: Height
    round: U32
    step: Annotated[str, OneOf(frozenset(STEPS))]
    value_a: ValueId
    value_b: ValueId
    vote_a: VoteBytes  # the votes as signed and sent (consensus wire bytes)
    vote_b: VoteBytes
    included_height: Height  # the block that brought it to the ledger
    included_time_ms: TimeMs


def evidence_key(validator: bytes, height: int, round_: int, step: str) -> bytes:
    assert len(validator) == 32 and step in STEPS
    return (PREFIX + validator + height.to_bytes(8, "big") + round_.to_bytes(4, "big")
            + bytes([1 + STEPS.index(step)]))


def validator_prefix(validator: bytes) -> bytes:
    """The keys of one validator's equivocations, in height order."""
    assert len(validator) == 32
    return PREFIX + validator


def get_evidence(state: Reader, validator: bytes, height: int, round_: int,
                 step: str) -> Equivocation | None:
    return get_record(state, evidence_key(validator, height, round_, step), Equivocation)


def record_evidence(state: Overlay, record: Equivocation) -> Event:
    """Keep an equivocation (once); the event that tells of it, addressed to the
    validator's key. `evidence.duplicate` if that step's equivocation is kept already."""
    require(record.value_a < record.value_b, "evidence.not_conflicting",
            "the two votes' values must differ, in byte order")
    key = evidence_key(record.validator, record.height, record.round, record.step)
    require(state.get(key) is None, "evidence.duplicate",
            "this validator's equivocation at that height, round and step is on the "
            "ledger already")
    put_record(state, key, record)
    return Event(EVENT_KIND, sha256(key), (record.validator,))


def scan_evidence(state: Reader, prefix: bytes = PREFIX,
                  after: bytes = b"") -> Iterator[tuple[bytes, Equivocation]]:
    """Records under `prefix` (all, or one validator's), in key order, after the key
    suffix `after` (a cursor: the key without PREFIX)."""
    assert prefix.startswith(PREFIX)
    start = PREFIX + after + b"\x00" if after else prefix
    for key, value in state.scan(prefix, start):
        yield key[len(PREFIX):], decode(Equivocation, value)


# ------------------------------------------------------------------ who may read


def may_read_evidence(state: Reader, caller: Caller, record: Equivocation) -> bool:
    """A validator's equivocation is every member's to see: each trusts the validators
    with its records, and the evidence names a validator, no member's business."""
    return caller.member


READS = (Read("evidence", ("member",), may_read_evidence),)
