"""Each member's event stream, committed: what lets a member prove it missed nothing.

Every event of a block is shown, in order, to each party it names (the node keeps them
as `AddressedEvent`s, node/store.py). Beside them the state holds, per member, the
number of events addressed to it so far and a hash chain over them:

    ms/<member>   Stream(member, count, head)
    head_0 = 32 zero bytes
    head_n = sha256(b"claimledger/stream\\x00" || head_n-1 || encode(event_n))

Because the stream record is in the state root, a member holding a proof of its stream
at a height, and the events from its last proven place on, checks that those are all
its events, in order: a node that answers it can hold some back only by making the
chain not add up. An event naming a party twice counts once for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated

from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, U64, Hash32, Height, Name, Size, TimeMs, encode, sha256
from contracts.contract import Event
from contracts.state import Overlay, Reader, get_record

STREAM_TAG = b"claimledger/stream\x00"
START = bytes(32)


@dataclass(frozen=True)
class AddressedEvent:
    """An event as a member's stream shows it: where it happened and whom it concerns."""

    height: Height
    seq: U32  # its place among the block's events
    time_ms: TimeMs
    tx_id: Hash32 | None  # None for the end-of-block step
    kind: Name
    subject: Hash32
    parties: Annotated[tuple[Hash32, ...], Size(0, 64)]

    @property
    def cursor(self) -> bytes:
        return event_cursor(self.height, self.seq)


@dataclass(frozen=True)
class Stream:
    member: Hash32
    count: U64  # events addressed to the member so far
    head: Hash32  # the hash chain over them


def event_cursor(height: int, seq: int) -> bytes:
    return height.to_bytes(8, "big") + seq.to_bytes(4, "big")


def stream_key(member: bytes) -> bytes:
    return b"ms/" + member


def addressed(height: int, time_ms: int,
              tagged: Iterable[tuple[bytes | None, Event]]) -> Iterator[AddressedEvent]:
    """A block's events in stream order, each with the transaction it came from (None:
    the end-of-block step): its transactions' events, then the end-of-block step's."""
    for seq, (tx_id, event) in enumerate(tagged):
        assert seq < 2**32
        yield AddressedEvent(height, seq, time_ms, tx_id, event.kind, event.subject,
                             event.parties)


def next_head(head: bytes, event: AddressedEvent) -> bytes:
    """The stream's hash chain after one more event."""
    return sha256(STREAM_TAG + head + encode(event))


def get_stream(state: Reader, member: bytes) -> Stream:
    return get_record(state, stream_key(member), Stream) or Stream(member, 0, START)


def record(state: Overlay, events: Iterable[AddressedEvent]) -> None:
    """Add a block's events to the streams of the parties they name, in stream order."""
    streams: dict[bytes, Stream] = {}
    for event in events:
        value = encode(event)
        for party in dict.fromkeys(event.parties):  # each party once, in order
            stream = streams.get(party) or get_stream(state, party)
            streams[party] = Stream(party, stream.count + 1,
                                    sha256(STREAM_TAG + stream.head + value))
    for party in sorted(streams):
        state.put_record(stream_key(party), streams[party])


def chain_of(start: Stream, events: Iterable[AddressedEvent]) -> Stream:
    """`start` carried over `events` (addressed to its member, in order): what a member
    compares with its proven stream record."""
    count, head = start.count, start.head
    for event in events:
        count, head = count + 1, next_head(head, event)
    return Stream(start.member, count, head)


def may_read_stream(state: Reader, caller: Caller, stream: Stream) -> bool:
    """A member's stream record (how many events it received, and their hash chain) is
    its own, as its events are: it tells how busy a member is."""
    return caller.one_of(stream.member)


READS = (Read("stream", ("self",), may_read_stream, not_readers=OVERSIGHT),)
