"""Supervision: freezes on court orders, voiding, and disputes (冻结, 作废, 异议).

Freeze (冻结). A regulator or the agency freezes all or part of a live voucher state on a
court order (its reference and the order document's SHA-256 recorded). A part is split
off first (contracts.vouchers.split_off), so the rest keeps moving; the frozen state then
moves in no way (contracts.holds, enforced by contracts.vouchers' writers whichever
contract asks: `voucher.frozen`). The authority that froze it, or the agency, unfreezes
it on the order lifting it. A pledged or reserved state is frozen whole only (splitting
it would end its pledge or reservation). A pledged state stays pledged while frozen: the
bank may still release its pledge (that moves nothing), but not enforce it, since the
claim would change holder; a court lifts or keeps its order knowing the bank's prior
right. A reserved state may be let go by whoever reserved it (a withdrawn offer, a
refused quote) but not taken. Extension and overdue marking go on: they are time, not
movement.

Void (作废, §001-二(一)1: the agency's 注销 where the basis fell away). The agency voids an
issued voucher, every live part at once:
- `void_agreed`, co-signed by the creditor and the debtor, while no part has passed on:
  every live part is still the creditor's, none pledged or reserved;
- `void_decided`, the agency alone, on a recorded decision (its reason and the decision
  document's SHA-256): every live part, whoever holds it, leaves circulation, and each
  holder, the creditor and the debtor are told. A pledged or reserved part must be
  freed first (the bank releases, the offer is withdrawn): a decision does not take a
  bank's collateral silently. Naming an open dispute on the voucher resolves it as
  upheld in the same transaction.
No frozen part is voided (the court's order stands first). A voided part is neither
redeemed nor set off: its origin's and its debtor's `voided_fen` count it, and live
parts add up to face − redeemed − set off − voided. The basis stays registered to the
voucher (a void basis backs nothing else).

Dispute (异议). A party raises a dispute, with its reason and documents (SHA-256 of each),
on an issuance application (its creditor or debtor), an issued voucher (its creditor, its
debtor, or the holder of one of its live parts, naming that part) or an obligation (its
creditor or debtor). While open it holds the thing: an application is neither confirmed
nor issued (`issuance.disputed`), no live part of the voucher moves (`voucher.disputed`),
an obligation is not confirmed, assigned or set off (`obligation.disputed`). Nothing of a
disputed voucher moves, so the holders named when it was raised stay its holders. The
agency resolves it, upheld or dismissed, with a reason and documents; an upheld dispute
on a voucher leads to `void_decided` (naming it), on an application to the agency's
rejection, on an obligation to its withdrawal by both. A member has at most
MAX_OPEN_DISPUTES_PER_PARTY disputes open at a time (`dispute.too_many_open`), and one
subject one open dispute (`dispute.already_open`).

  fz/<id>                        a freeze order (its id: the freezing transaction)
  fzo/<origin><id>, fzp/<party><id>   orders by issued voucher / by holder and debtor
  fzl/<id>                       orders in force
  ds/<id>                        a dispute
  dss/<subject><id>, dsp/<party><id>  disputes by subject / by party
  dso/<id>                       open disputes
  dsn/<member>                   how many disputes a member has open
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from contracts import holds, issuance, obligations, vouchers
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import Fen, Hash32, Height, OneOf, Size, Text, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.pledge import pledgee_of
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    indexed_page,
    put_record,
    records_page,
    with_status,
)
from contracts.vouchers import Voucher

NAME = "supervision"
VERSION = 1

MAX_OPEN_DISPUTES_PER_PARTY = 16  # a spam bound: a member holds at most this many open
MAX_DOCUMENTS = 8
# A voiding or a voucher dispute reaches every live part of an issued voucher: at most this
# many, found by walking its lineage through at most MAX_WALK states.
MAX_LIVE_PARTS = 61  # with the creditor, the debtor and the agency: an event's 64 parties
MAX_WALK = 1024

FREEZE_STATUSES = frozenset({"frozen", "unfrozen"})
DISPUTE_KINDS = frozenset({"application", "voucher", "obligation"})
DISPUTE_STATUSES = frozenset({"open", "upheld", "dismissed"})
OUTCOMES = frozenset({"upheld", "dismissed"})

OrderRef = Annotated[str, Size(1, 256)]
Reason = Annotated[str, Size(1, 512)]
DocumentHashes = Annotated[tuple[Hash32, ...], Size(0, MAX_DOCUMENTS)]
Parties = Annotated[tuple[Hash32, ...], Size(1, MAX_LIVE_PARTS + 2)]


@dataclass(frozen=True)
class FreezeOrder:
    """A court's freeze of one voucher state, as a regulator or the agency recorded it."""

    id: Hash32
    voucher: Hash32  # the frozen state (split off for a part): it keeps its id while frozen
    origin: Hash32
    holder: Hash32
    debtor: Hash32
    amount_fen: Fen
    authority: Hash32  # the regulator or the agency that froze it
    order_ref: OrderRef  # the court order's reference
    order_sha256: Hash32  # the court order document's digest
    status: Annotated[str, OneOf(FREEZE_STATUSES)]
    frozen_at_ms: TimeMs
    frozen_height: Height
    unfrozen_at_ms: TimeMs | None
    unfrozen_by: Hash32 | None
    release_ref: Annotated[str, Size(0, 256)]  # the order lifting it
    release_sha256: Hash32 | None


@dataclass(frozen=True)
class Dispute:
    """异议: what a party disputes, why, and how the agency resolved it."""

    id: Hash32
    kind: Annotated[str, OneOf(DISPUTE_KINDS)]
    subject: Hash32  # the application, the issued voucher (origin) or the obligation
    raised_by: Hash32
    parties: Parties  # sorted: who it concerns (and reads it) when raised
    reason: Reason
    documents: DocumentHashes
    status: Annotated[str, OneOf(DISPUTE_STATUSES)]
    raised_at_ms: TimeMs
    raised_height: Height
    resolved_at_ms: TimeMs | None
    resolved_by: Hash32 | None
    resolution: Text  # the agency's reason
    resolution_documents: DocumentHashes


# ------------------------------------------------------------------ bodies


@dataclass(frozen=True)
class Freeze:
    authority: Hash32
    voucher: Hash32
    amount_fen: Fen  # all of the state, or the part to split off and freeze
    order_ref: OrderRef
    order_sha256: Hash32


@dataclass(frozen=True)
class Unfreeze:
    authority: Hash32
    order: Hash32
    release_ref: OrderRef
    release_sha256: Hash32


@dataclass(frozen=True)
class VoidAgreed:
    agency: Hash32
    creditor: Hash32
    debtor: Hash32
    voucher: Hash32  # the issued voucher (origin)
    reason: Reason
    agreement_sha256: Hash32  # the parties' agreement that the basis fell away


@dataclass(frozen=True)
class VoidDecided:
    agency: Hash32
    voucher: Hash32  # the issued voucher (origin)
    reason: Reason
    decision_sha256: Hash32
    dispute: Hash32 | None  # an open dispute on it that this voiding upholds


@dataclass(frozen=True)
class RaiseDispute:
    party: Hash32
    kind: Annotated[str, OneOf(DISPUTE_KINDS)]
    subject: Hash32  # application id, a voucher state of the claim, or obligation id
    reason: Reason
    documents: Annotated[tuple[Hash32, ...], Size(1, MAX_DOCUMENTS)]


@dataclass(frozen=True)
class ResolveDispute:
    agency: Hash32
    dispute: Hash32
    outcome: Annotated[str, OneOf(OUTCOMES)]
    reason: Reason
    documents: DocumentHashes


# ------------------------------------------------------------------ keys and reads


def freeze_key(order: bytes) -> bytes:
    return b"fz/" + order


def freeze_origin_key(origin: bytes, order: bytes) -> bytes:
    return b"fzo/" + origin + order


def freeze_party_key(party: bytes, order: bytes) -> bytes:
    return b"fzp/" + party + order


def frozen_key(order: bytes) -> bytes:
    return b"fzl/" + order


def dispute_key(dispute: bytes) -> bytes:
    return b"ds/" + dispute


def dispute_subject_key(subject: bytes, dispute: bytes) -> bytes:
    return b"dss/" + subject + dispute


def dispute_party_key(party: bytes, dispute: bytes) -> bytes:
    return b"dsp/" + party + dispute


def open_dispute_key(dispute: bytes) -> bytes:
    return b"dso/" + dispute


def open_count_key(member: bytes) -> bytes:
    return b"dsn/" + member


def get_freeze(state: Reader, order: bytes) -> FreezeOrder | None:
    return get_record(state, freeze_key(order), FreezeOrder)


def get_dispute(state: Reader, dispute: bytes) -> Dispute | None:
    return get_record(state, dispute_key(dispute), Dispute)


def open_count(state: Reader, member: bytes) -> int:
    """How many disputes `member` raised that are still open."""
    return get_count(state, open_count_key(member))


def freezes_page(state: Reader, after: bytes | None, limit: int, *,
                 voucher: bytes | None = None, party: bytes | None = None,
                 in_force: bool = False) -> tuple[list[FreezeOrder], bytes | None]:
    """Freeze orders by id after `after`: of an issued voucher (`voucher`: its origin), of
    a party (the frozen state's holder or debtor), or all those in force; `in_force`
    keeps those still frozen."""
    if voucher is not None:
        prefix = freeze_origin_key(voucher, b"")
    elif party is not None:
        prefix = freeze_party_key(party, b"")
    else:
        assert in_force, "all orders are listed in force only"
        prefix = frozen_key(b"")
    return indexed_page(state, prefix, after, limit, get_freeze,
                        lambda order: not in_force or order.status == "frozen")


def disputes_page(state: Reader, after: bytes | None, limit: int, *,
                  subject: bytes | None = None, party: bytes | None = None,
                  open_only: bool = False) -> tuple[list[Dispute], bytes | None]:
    """Disputes by id after `after`: on a subject (an application, an issued voucher's
    origin, an obligation), of a party, or all open ones; `open_only` keeps open ones."""
    if subject is not None:
        prefix = dispute_subject_key(subject, b"")
    elif party is not None:
        prefix = dispute_party_key(party, b"")
    else:
        assert open_only, "all disputes are listed open only"
        prefix = open_dispute_key(b"")
    return indexed_page(state, prefix, after, limit, get_dispute,
                        lambda dispute: not open_only or dispute.status == "open")


def every_dispute_page(state: Reader, after: bytes | None, limit: int,
                       status: str | None = None) -> tuple[list[Dispute], bytes | None]:
    """Every dispute ever raised, by id after `after`, with `status` (any if None): the
    agency's and the regulators' record of open and resolved ones."""
    return records_page(state, dispute_key(b""), Dispute, after, limit, with_status(status))


def orders_in_force(state: Reader) -> Iterator[FreezeOrder]:
    """Every freeze order in force, by id (the caller bounds how many it reads)."""
    for key, _ in state.scan(frozen_key(b"")):
        order = get_freeze(state, key[4:])
        assert order is not None
        yield order


def open_disputes(state: Reader) -> Iterator[Dispute]:
    """Every open dispute, by id (the caller bounds how many it reads)."""
    for key, _ in state.scan(open_dispute_key(b"")):
        dispute = get_dispute(state, key[4:])
        assert dispute is not None
        yield dispute


def live_parts(state: Reader, origin: bytes) -> list[Voucher] | None:
    """The live states of an issued voucher, found by walking its lineage from the issue
    (children in id order), or None if it has more than MAX_LIVE_PARTS of them or the
    walk would pass more than MAX_WALK states."""
    found: list[Voucher] = []
    todo = [origin]
    walked = 0
    while todo:
        walked += 1
        if walked > MAX_WALK:
            return None
        voucher = vouchers.get_voucher(state, todo.pop())
        assert voucher is not None
        if voucher.status == "active":
            found.append(voucher)
            if len(found) > MAX_LIVE_PARTS:
                return None
        else:
            todo.extend(reversed(vouchers.first_children_ids(state, voucher.id, MAX_WALK)))
    return found


def is_held(state: Reader, kind: str, debt_id: bytes) -> bool:
    """Whether a court order or an open dispute holds a debt a set-off would take: a
    voucher state (frozen, or of a disputed voucher) or an obligation (disputed). The
    set-off contract v1 predates holds; a plan leaves held debts out, as the rules
    would refuse them (`voucher.frozen`, `voucher.disputed`, `obligation.disputed`)."""
    if kind == "obligation":
        return holds.dispute_holding(state, debt_id) is not None
    voucher = vouchers.get_voucher(state, debt_id)
    assert voucher is not None
    return holds.freeze_holding(state, debt_id) is not None \
        or holds.dispute_holding(state, voucher.origin) is not None


# ------------------------------------------------------------------ freeze


def _require_authority(state: Reader, address: bytes) -> None:
    member = require_active(state, address)
    require("regulator" in member.roles or "agency" in member.roles, "freeze.not_authority",
            "a court order is recorded by a regulator or the agency")


def _put_freeze(state: Overlay, order: FreezeOrder) -> None:
    put_record(state, freeze_key(order.id), order)
    if order.status == "frozen":
        state.put(frozen_key(order.id), b"")
    else:
        state.delete(frozen_key(order.id))


def freeze(ctx: Context, body: Freeze) -> None:
    _require_authority(ctx.state, body.authority)
    voucher = vouchers.load_live(ctx.state, body.voucher)
    holds.require_not_frozen(ctx.state, voucher.id)
    vouchers.require_amount(body.amount_fen, voucher.amount_fen)
    if body.amount_fen < voucher.amount_fen:
        # Splitting would end the pledge or the reservation on the state.
        require(voucher.pledge is None, "voucher.pledged",
                "a pledged state is frozen whole, or after its bank releases it")
        require(voucher.reserved_by is None, "voucher.reserved",
                "a reserved state is frozen whole, or after its reservation ends")
    part, remainder = vouchers.split_off(ctx.state, voucher, body.amount_fen, ctx.tx_id,
                                         ctx.time_ms, ctx.height, for_order=True)
    if remainder is not None:
        for state in (part, remainder):
            ctx.emit("voucher.split", state.id, state.holder, state.debtor)
    order = FreezeOrder(
        id=ctx.tx_id, voucher=part.id, origin=part.origin, holder=part.holder,
        debtor=part.debtor, amount_fen=part.amount_fen, authority=body.authority,
        order_ref=body.order_ref, order_sha256=body.order_sha256, status="frozen",
        frozen_at_ms=ctx.time_ms, frozen_height=ctx.height, unfrozen_at_ms=None,
        unfrozen_by=None, release_ref="", release_sha256=None)
    _put_freeze(ctx.state, order)
    holds.hold_by_freeze(ctx.state, part.id, order.id)
    ctx.state.put(freeze_origin_key(part.origin, order.id), b"")
    for party in sorted({part.holder, part.debtor}):
        ctx.state.put(freeze_party_key(party, order.id), b"")
    ctx.emit("voucher.frozen", part.id, part.holder, part.debtor, body.authority,
             *pledgee_of(ctx.state, part))


def unfreeze(ctx: Context, body: Unfreeze) -> None:
    member = require_active(ctx.state, body.authority)
    order = get_freeze(ctx.state, body.order)
    if order is None:
        raise Rejected("freeze.unknown", f"no freeze order {body.order.hex()}")
    require(order.status == "frozen", "freeze.not_frozen", "the order was lifted already")
    require(body.authority == order.authority or "agency" in member.roles,
            "freeze.not_authority", "the authority that froze it, or the agency, unfreezes")
    _put_freeze(ctx.state, replace(order, status="unfrozen", unfrozen_at_ms=ctx.time_ms,
                                   unfrozen_by=body.authority, release_ref=body.release_ref,
                                   release_sha256=body.release_sha256))
    holds.release_freeze(ctx.state, order.voucher, order.id)
    voucher = vouchers.get_voucher(ctx.state, order.voucher)
    assert voucher is not None and voucher.status == "active", "a frozen state stays live"
    ctx.emit("voucher.unfrozen", voucher.id, voucher.holder, voucher.debtor, order.authority,
             body.authority, *pledgee_of(ctx.state, voucher))


# ------------------------------------------------------------------ void


def _parts_to_void(state: Reader, origin_id: bytes) -> tuple[vouchers.Origin, bytes,
                                                             list[Voucher]]:
    """The origin, its creditor and its live parts, each free to be voided."""
    origin = vouchers.get_origin(state, origin_id)
    if origin is None:
        raise Rejected("void.unknown_voucher", f"no issued voucher {origin_id.hex()}")
    issued = vouchers.get_voucher(state, origin_id)
    assert issued is not None
    require(origin.live_parts > 0, "void.nothing_live",
            "no part of the voucher is live: it was settled, set off or voided already")
    parts = live_parts(state, origin_id)
    require(parts is not None, "void.too_many_parts",
            f"the voucher has more than {MAX_LIVE_PARTS} live parts; they are voided "
            "after some are settled")
    assert parts is not None and len(parts) == origin.live_parts
    for part in parts:
        holds.require_not_frozen(state, part.id)
        require(part.pledge is None, "voucher.pledged",
                f"part {part.id.hex()} is pledged; its bank releases it first")
        require(part.reserved_by is None, "voucher.reserved",
                f"part {part.id.hex()} is reserved; the pending request ends first")
    return origin, issued.holder, parts


def _void_all(ctx: Context, origin: vouchers.Origin, creditor: bytes,
              parts: list[Voucher], agency: bytes) -> None:
    for part in parts:
        vouchers.void(ctx.state, part, ctx.tx_id)
        ctx.emit("voucher.voided", part.id, part.holder, part.debtor, creditor, agency)
    record = vouchers.get_debtor_record(ctx.state, origin.debtor)
    vouchers.write_debtor_record(ctx.state, replace(
        record, voided_vouchers=record.voided_vouchers + 1))


def void_agreed(ctx: Context, body: VoidAgreed) -> None:
    require_active(ctx.state, body.agency, "agency")
    origin, creditor, parts = _parts_to_void(ctx.state, body.voucher)
    require(creditor == body.creditor and origin.debtor == body.debtor, "void.not_parties",
            "the voucher's creditor and debtor co-sign its voiding")
    for part in parts:
        require(part.holder == creditor, "void.passed_on",
                f"part {part.id.hex()} has passed on; the agency voids it by a decision")
    _void_all(ctx, origin, creditor, parts, body.agency)


def void_decided(ctx: Context, body: VoidDecided) -> None:
    require_active(ctx.state, body.agency, "agency")
    origin, creditor, parts = _parts_to_void(ctx.state, body.voucher)
    if body.dispute is not None:
        dispute = _load_open(ctx.state, body.dispute)
        require(dispute.kind == "voucher" and dispute.subject == origin.id,
                "dispute.other_subject", "the dispute named is not on this voucher")
        _resolve(ctx, dispute, body.agency, "upheld", body.reason, (body.decision_sha256,))
    _void_all(ctx, origin, creditor, parts, body.agency)


# ------------------------------------------------------------------ disputes


def _subject_of(state: Reader, body: RaiseDispute) -> tuple[bytes, list[bytes], bool]:
    """The subject a dispute holds, who it concerns, and whether the raiser is one."""
    if body.kind == "application":
        application = issuance.load_application(state, body.subject)
        require(application.status in ("applied", "confirmed"), "dispute.subject_closed",
                f"the application is {application.status}")
        parties = [application.creditor, application.terms.debtor]
        return application.id, parties, body.party in parties
    if body.kind == "obligation":
        obligation = obligations.load_obligation(state, body.subject)
        require(obligation.status in ("pending", obligations.LIVE), "dispute.subject_closed",
                f"the obligation is {obligation.status}")
        parties = [obligation.creditor, obligation.debtor]
        return obligation.id, parties, body.party in parties
    named = vouchers.get_voucher(state, body.subject)
    if named is None:
        raise Rejected("voucher.unknown", f"no voucher {body.subject.hex()}")
    origin = vouchers.get_origin(state, named.origin)
    issued = vouchers.get_voucher(state, named.origin)
    assert origin is not None and issued is not None
    require(origin.live_parts > 0, "dispute.subject_closed", "no part of the voucher is live")
    parts = live_parts(state, origin.id)
    require(parts is not None, "dispute.too_many_parts",
            f"the voucher has more than {MAX_LIVE_PARTS} live parts")
    assert parts is not None
    concerned = [issued.holder, origin.debtor, *(p.holder for p in parts)]
    # A holder raises it on the part it holds (named), the creditor and the debtor on any.
    is_party = body.party in (issued.holder, origin.debtor) or (
        named.status == "active" and named.holder == body.party)
    return origin.id, concerned, is_party


def raise_dispute(ctx: Context, body: RaiseDispute) -> None:
    require_active(ctx.state, body.party)
    subject, concerned, is_party = _subject_of(ctx.state, body)
    require(is_party, "dispute.not_party",
            f"only a party to the {body.kind} raises a dispute on it")
    require(holds.dispute_holding(ctx.state, subject) is None, "dispute.already_open",
            f"a dispute on this {body.kind} is open; add to it through the agency")
    count = open_count(ctx.state, body.party)
    require(count < MAX_OPEN_DISPUTES_PER_PARTY, "dispute.too_many_open",
            f"you have {MAX_OPEN_DISPUTES_PER_PARTY} disputes open; raise more once the "
            "agency resolved some")
    parties = tuple(sorted(set(concerned) | {body.party}))
    dispute = Dispute(
        id=ctx.tx_id, kind=body.kind, subject=subject, raised_by=body.party, parties=parties,
        reason=body.reason, documents=body.documents, status="open", raised_at_ms=ctx.time_ms,
        raised_height=ctx.height, resolved_at_ms=None, resolved_by=None, resolution="",
        resolution_documents=())
    put_record(ctx.state, dispute_key(dispute.id), dispute)
    holds.hold_by_dispute(ctx.state, subject, dispute.id)
    ctx.state.put(open_dispute_key(dispute.id), b"")
    add_count(ctx.state, open_count_key(body.party), 1, MAX_OPEN_DISPUTES_PER_PARTY)
    ctx.state.put(dispute_subject_key(subject, dispute.id), b"")
    for party in parties:
        ctx.state.put(dispute_party_key(party, dispute.id), b"")
    ctx.emit("dispute.raised", dispute.id, *parties)


def _load_open(state: Reader, dispute_id: bytes) -> Dispute:
    dispute = get_dispute(state, dispute_id)
    if dispute is None:
        raise Rejected("dispute.unknown", f"no dispute {dispute_id.hex()}")
    require(dispute.status == "open", "dispute.not_open", f"the dispute is {dispute.status}")
    return dispute


def _resolve(ctx: Context, dispute: Dispute, agency: bytes, outcome: str, reason: str,
             documents: tuple[bytes, ...]) -> None:
    put_record(ctx.state, dispute_key(dispute.id), replace(
        dispute, status=outcome, resolved_at_ms=ctx.time_ms, resolved_by=agency,
        resolution=reason, resolution_documents=documents))
    holds.release_dispute(ctx.state, dispute.subject, dispute.id)
    ctx.state.delete(open_dispute_key(dispute.id))
    add_count(ctx.state, open_count_key(dispute.raised_by), -1, MAX_OPEN_DISPUTES_PER_PARTY)
    ctx.emit("dispute.resolved", dispute.id, *dispute.parties, agency)


def resolve_dispute(ctx: Context, body: ResolveDispute) -> None:
    require_active(ctx.state, body.agency, "agency")
    dispute = _load_open(ctx.state, body.dispute)
    _resolve(ctx, dispute, body.agency, body.outcome, body.reason, body.documents)


# ------------------------------------------------------------------ who may read


def may_read_freeze(state: Reader, caller: Caller, order: FreezeOrder) -> bool:
    """A freeze order is read by the holder of the frozen claim and its debtor, whose
    rights it holds, and by the agency and the regulators who record court orders; a
    court order is not published to other members."""
    return caller.oversees or caller.one_of(order.holder, order.debtor)


def may_read_dispute(state: Reader, caller: Caller, dispute: Dispute) -> bool:
    """A dispute, its reason and documents are read by the parties it names (the
    creditor, the debtor and the holders of the disputed claim's parts when it was
    raised: nothing of it moves meanwhile), the agency that resolves it and the
    regulators."""
    return caller.oversees or caller.one_of(*dispute.parties)


READS = (
    Read("freeze", ("holder", "debtor", *OVERSIGHT), may_read_freeze),
    Read("dispute", ("party", *OVERSIGHT), may_read_dispute),
)


OPERATIONS = (
    Operation("freeze", Freeze, lambda b: (b.authority,), freeze),
    Operation("unfreeze", Unfreeze, lambda b: (b.authority,), unfreeze),
    Operation("void_agreed", VoidAgreed, lambda b: (b.agency, b.creditor, b.debtor),
              void_agreed),
    Operation("void_decided", VoidDecided, lambda b: (b.agency,), void_decided),
    Operation("raise_dispute", RaiseDispute, lambda b: (b.party,), raise_dispute),
    Operation("resolve_dispute", ResolveDispute, lambda b: (b.agency,), resolve_dispute),
)
