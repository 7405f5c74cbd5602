"""The member's part of the ledger: its events, proven complete, and the records they
name, each proven against a header the light node verified.

One round (`sync_member`):
1. the member's stream record `ms/<member>` with its proof, at the upstream's head P
   (the light node first follows headers up to P);
2. the events after its cursor up to height P, which must carry the last proven stream
   record to the one just proven (contracts.streams.chain_of): an upstream that holds
   back, adds or alters an event is caught here (`proof.bad_stream`);
3. the member's own records and every record those events name (node/light/naming.py),
   each with its proof against the header of the height it is proven at. A round with
   no new event proves the stream record only: every change of a member's own records
   (totals, debtor record, fees, membership) comes with an event addressed to it.
Nothing of the round is stored unless all of it verifies; then it is stored in one
batch. A record the member may not read (the full node answers `read.forbidden`, e.g. the
part it transferred away) is not stored: the light node holds what its member may read.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from contracts import state_tree, vouchers
from contracts.codec import decode, encode
from contracts.errors import LedgerError
from contracts.proofs import ProofError, verify_record
from contracts.record_proofs import provable
from contracts.streams import START, AddressedEvent, Stream, chain_of
from node.light.naming import named_records, own_records
from node.light.store import LightStore, ProvenRecord, StreamPoint, Verified
from node.light.upstream import Upstream, UpstreamError

log = logging.getLogger("claimledger.light")

EVENTS_PAGE = 1000
MAX_EVENT_PAGES = 10_000

# Follows headers up to a height (at least); the light node's trusted height after.
EnsureHeight = Callable[[int], Awaitable[int]]


def event_from_json(view: Any) -> AddressedEvent:
    """An event as GET /v1/events shows it; `proof.malformed` for anything else."""
    try:
        tx_id = view["tx_id"]
        return AddressedEvent(int(view["height"]), int(view["seq"]), int(view["time_ms"]),
                              None if tx_id is None else bytes.fromhex(tx_id),
                              str(view["kind"]), bytes.fromhex(view["subject"]),
                              tuple(bytes.fromhex(p) for p in view["parties"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ProofError("proof.malformed", f"not an event: {e}") from None


@dataclass
class Round:
    """What one round has verified so far, written only once it is whole."""

    store: LightStore
    upstream: Upstream
    ensure_height: EnsureHeight
    member: bytes
    records: dict[tuple[str, bytes], ProvenRecord] = field(default_factory=dict)
    refused_reads: int = 0  # records the member may not read, not stored

    async def prove(self, kind: str, record_id: bytes) -> ProvenRecord | None:
        """The record of `kind` and `record_id`, or its absence, with its proof verified
        against the header of the height the upstream proves it at; None when the member
        may not read it."""
        if (kind, record_id) in self.records:
            return self.records[(kind, record_id)]
        try:
            view = await self.upstream.get(f"/v1/proofs/{kind}/{record_id.hex()}")
        except UpstreamError as e:
            if e.code != "read.forbidden":
                raise
            self.refused_reads += 1
            return None
        try:
            height = int(view["height"])
            value = None if view["value"] is None else bytes.fromhex(view["value"])
            proof = decode(state_tree.Proof, bytes.fromhex(view["proof"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ProofError("proof.malformed", f"not a record proof: {e}") from None
        except LedgerError as e:
            raise ProofError("proof.malformed", f"not a record proof: {e.message}") from None
        if await self.ensure_height(height) < height:
            raise ProofError("proof.not_next", f"the record is proven at height {height}, "
                             "above every header the upstream gives")
        stored = self.store.header(height)
        assert stored is not None, "every height up to the trusted one has its header"
        key = provable(kind).key(record_id)  # its own key, never the upstream's word
        verify_record(stored.header, key, value, proof)
        if value is not None:
            decode(provable(kind).record, value)  # proven bytes decode: assert it
        proven = ProvenRecord(kind, record_id, height, key, value, encode(proof))
        self.records[(kind, record_id)] = proven
        return proven

    def voucher(self, voucher_id: bytes) -> vouchers.Voucher | None:
        """A voucher state as this round proved it, else as the store holds it."""
        proven = self.records.get(("voucher", voucher_id)) or \
            self.store.record("voucher", voucher_id)
        if proven is None or proven.value is None:
            return None
        return decode(vouchers.Voucher, proven.value)

    async def refresh_vouchers(self, events: list[AddressedEvent]) -> None:
        """The states a voucher event changes that its subject does not name: the parent
        of each new part the member reads, and, for a part it may not read (it gave it
        away), its own live states of that claim's debtor."""
        for event in events:
            if not event.kind.startswith("voucher.") and event.kind != "payment.accepted":
                continue
            proven = await self.prove("voucher", event.subject)
            part = self.voucher(event.subject) if proven is not None else None
            if part is not None and part.parent is not None:
                await self.prove("voucher", part.parent)
            elif proven is None:
                for held in list(self.store.records("voucher")):
                    state = self.voucher(held.record_id)
                    if state is not None and state.status == "active" \
                            and state.holder == self.member and state.debtor in event.parties:
                        await self.prove("voucher", held.record_id)


async def new_events(upstream: Upstream, member: bytes, held: StreamPoint,
                     up_to_height: int, count: int) -> list[AddressedEvent]:
    """The member's events after `held`'s cursor, at heights up to `up_to_height`: at
    most `count` of them (as many as the proven stream says there are)."""
    events: list[AddressedEvent] = []
    after = held.cursor or None
    for _ in range(MAX_EVENT_PAGES):
        if len(events) >= count:
            break
        page = await upstream.get("/v1/events", address=member.hex(),
                                  after=None if after is None else after.hex(),
                                  limit=min(EVENTS_PAGE, count - len(events)))
        views = page.get("events") if isinstance(page, dict) else None
        if not isinstance(views, list):
            raise ProofError("proof.malformed", "the events answer has no list of events")
        got = [event_from_json(v) for v in views]
        below = [e for e in got if e.height <= up_to_height]
        events.extend(below)
        if not got or len(below) < len(got) or page.get("next") is None:
            break
        after = got[-1].cursor
    return events[:count]


async def sync_member(store: LightStore, upstream: Upstream, ensure_height: EnsureHeight,
                      member: bytes) -> Verified | None:
    """One round of the member's part, verified whole (None: nothing new to store).
    Raises `ProofError` (and stores nothing) when any of it does not verify."""
    work = Round(store, upstream, ensure_height, member)
    held = store.stream(member)
    proven_stream = await work.prove("stream", member)
    assert proven_stream is not None, "a member reads its own stream"
    if proven_stream.height <= held.height and held.height > 0:
        return None  # an upstream behind the last proven stream: nothing newer
    stream = Stream(member, 0, START) if proven_stream.value is None else \
        decode(Stream, proven_stream.value)  # absent: no event was ever addressed to it
    if stream.count < held.stream.count:
        raise ProofError("proof.bad_stream", f"the stream proven at height "
                         f"{proven_stream.height} counts {stream.count} events, fewer than "
                         f"the {held.stream.count} proven before")
    missing = stream.count - held.stream.count
    events = await new_events(upstream, member, held, proven_stream.height, missing) \
        if missing else []
    if chain_of(held.stream, events) != stream:
        raise ProofError("proof.bad_stream", f"the {len(events)} events after "
                         f"{held.cursor.hex() or 'the start'} do not carry the member's "
                         f"stream to the one proven at height {proven_stream.height} "
                         f"({stream.count} events): some were held back, added or altered")
    if not events and held.height > 0:  # nothing new: no record of its own changed either
        return Verified(stream=StreamPoint(stream, proven_stream.height, held.cursor),
                        records=tuple(work.records.values()))
    for kind, record_id in [*own_records(member), *named_records(events)]:
        await work.prove(kind, record_id)
    await work.refresh_vouchers(events)
    cursor = events[-1].cursor if events else held.cursor
    if work.refused_reads:
        log.debug("%d records named by the member's events are not its to read",
                  work.refused_reads)
    return Verified(events=tuple(events),
                    stream=StreamPoint(stream, proven_stream.height, cursor),
                    records=tuple(work.records.values()))
