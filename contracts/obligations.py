"""Obligations members owe each other, uploaded for set-off (§001-三(六)).

The creditor submits an obligation (debtor, amount in fen, due date, the basis by
reference and document digest (contracts.documents.basis_digest: keyed by the two
parties, so only they can compute it), and any confidential documents attached
beforehand and sealed to both parties); it counts only once the debtor confirms it. Before
that the debtor may decline it and the creditor may retract it. A confirmed obligation
changes only with both signing: settled outside the ledger, reduced, or withdrawn. A
set-off round reduces it through `reduce_by_setoff`, the one write the set-off
contract makes here. A creditor submits alone, so it has at most MAX_PENDING_PER_DEBTOR
obligations waiting for one debtor's answer: it cannot fill the debtor's list.

One debt, one financing (§002-(十四)): an obligation takes its basis contract in the
registry of contracts.basis when submitted, so a basis that backs a confirmed issuance
application, a voucher or another obligation is refused (`basis.in_use`). A declined,
retracted or withdrawn obligation frees it (the debt is not, or no longer, on the
ledger: it may be financed otherwise); a settled or cleared one keeps it for good (a
debt paid is not owed again).

Assignment (债权转让, contracts.sale): the creditor sells all or part of a confirmed
obligation to a funder through `assign`, which creates a confirmed obligation of the same
debtor, due date and basis owed to the buyer, and reduces (or, for the whole, ends as
"assigned") the seller's; the debtor is told. The parts of one debt share its basis
entry: it stays registered to one of them (its holder) and lists the others that share it
(`obs/`). When the holder ends as declined, retracted, withdrawn or assigned, the basis
passes to a part still owed instead of being freed; it is freed only when the last part
leaves the ledger that way. So a debt sold in parts is never financed again while one
part of it is owed. A basis entry is keyed by the pair it was registered for
(contracts.basis): an assigned obligation keeps that pair's creditor (`basis_creditor`).
  ob/<id>                        the obligation
  obc/<creditor><id>, obd/<debtor><id>   every obligation of a creditor / a debtor
  obl/<id>                       confirmed obligations with something still owed
  obp/<creditor><debtor>         how many of the creditor's obligations wait for the debtor
  obs/<holder><part>             assigned parts sharing the basis <holder> is registered to
  obw/<confirm_by_ms:8><id>      pending obligations by the end of their 30 days to confirm
  obu/<due_ms:8><id>             confirmed obligations not yet overdue, by due date
  obo/<debt>                     the debt (the submitted obligation) counted overdue once

The same clock as vouchers and applications (§002-(三), §002-(十九)): a pending
obligation the debtor neither confirms nor declines within 30 days of its submission
lapses at the end of the block past that time (its basis is freed; the debtor's record
counts a late confirmation, `late_obligation_confirmations`, unless a dispute held it);
a confirmed obligation still owed at its due date goes overdue (`overdue_since_ms`; the
debtor's record counts the debt once in `overdue_obligations`, however many parts of it
were assigned). It stays confirmed: it may still be settled, reduced or set off. The
end-of-block step reads the two queues in time order, at most MAX_LAPSES_PER_BLOCK and
MAX_OVERDUE_PER_BLOCK a block, the rest in the next blocks.

A dispute (异议, contracts.supervision) holds an obligation: while it is open the
obligation is not confirmed, assigned or set off (`obligation.disputed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Annotated

from contracts import basis, credit, holds
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import Fen, Hash32, OneOf, Size, Text, TimeMs, replace, sha256
from contracts.contract import Context, Operation
from contracts.documents import Documents, require_documents
from contracts.errors import Rejected, require
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    indexed_page,
    put_record,
    with_status,
)
from contracts.vouchers import (
    BasisRef,
    get_debtor_record,
    require_can_hold,
    write_debtor_record,
)

NAME = "obligation"
VERSION = 2

# The ends that free the basis.
FREEING = frozenset({"declined", "retracted", "withdrawn", "lapsed"})
# The ends that hand the basis on to a part still owed (or free it, for FREEING).
HANDING = FREEING | {"assigned"}
STATUSES = frozenset({
    "pending",  # submitted by the creditor, waiting for the debtor
    "confirmed",  # the debtor confirmed: it counts, and set-off rounds may use it
    "declined",  # the debtor said it does not owe this
    "retracted",  # the creditor took it back before confirmation
    "settled",  # both say it was paid outside the ledger
    "withdrawn",  # both took it out of the ledger
    "cleared",  # set-off rounds cleared all of it
    "assigned",  # sold whole to a funder (contracts.sale): the buyer's obligation goes on
    "lapsed",  # the debtor did not answer within 30 days of its submission
})
LIVE = "confirmed"
MAX_PENDING_PER_DEBTOR = 200  # a creditor's obligations waiting for one debtor's answer
DAY_MS = 86_400_000
CONFIRMATION_WINDOW_MS = 30 * DAY_MS  # 《保障中小企业款项支付条例》, as for applications
# The end-of-block step's bounds; the rest wait in their queues for the next blocks.
MAX_LAPSES_PER_BLOCK = 200
MAX_OVERDUE_PER_BLOCK = 200
MAX_END_BLOCK_EVENTS = MAX_LAPSES_PER_BLOCK + MAX_OVERDUE_PER_BLOCK  # one event each
MAX_SHARED_PARTS = 64  # assigned parts of one debt live at once beside the basis holder
ASSIGN_DOMAIN = b"claimledger/obligation/assign\x00"


@dataclass(frozen=True)
class Obligation:
    id: Hash32
    creditor: Hash32
    debtor: Hash32
    face_fen: Fen  # as submitted
    amount_fen: Fen  # what is still owed
    setoff_fen: Fen  # cleared by set-off rounds so far
    reduced_fen: Fen  # reduced by both parties so far
    due_ms: TimeMs
    basis_ref: BasisRef
    basis_sha256: Hash32
    status: Annotated[str, OneOf(STATUSES)]
    submitted_at_ms: TimeMs
    confirmed_at_ms: TimeMs | None
    ended_at_ms: TimeMs | None
    ended_by: Hash32 | None
    note: Text  # why it was declined, settled, reduced or withdrawn
    assigned_fen: Fen = 0  # sold to funders so far (contracts.sale)
    assigned_from: Hash32 | None = None  # the obligation this one was assigned out of
    # The creditor the basis is registered for (contracts.basis keys it by the pair);
    # None: this obligation's own creditor, who submitted it.
    basis_creditor: Hash32 | None = None
    overdue_since_ms: TimeMs | None = None  # 逾期: still owed past its due date
    # The submitted obligation this one was assigned out of, through any number of sales;
    # None: itself. A debt counts overdue once on its debtor's record.
    debt: Hash32 | None = None


@dataclass(frozen=True)
class Submit:
    creditor: Hash32
    debtor: Hash32
    amount_fen: Fen
    due_ms: TimeMs
    basis_ref: BasisRef
    basis_sha256: Hash32  # the basis digest (documents.basis_digest), under its v1 name
    documents: Documents = ()  # ids of attached documents it rests on


@dataclass(frozen=True)
class Confirm:
    debtor: Hash32
    obligation: Hash32


@dataclass(frozen=True)
class Decline:
    debtor: Hash32
    obligation: Hash32
    reason: Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class Retract:
    creditor: Hash32
    obligation: Hash32


@dataclass(frozen=True)
class Settle:
    """Paid outside the ledger: both parties say nothing more is owed."""

    creditor: Hash32
    debtor: Hash32
    obligation: Hash32
    reference: Annotated[str, Size(1, 256)]


@dataclass(frozen=True)
class Reduce:
    creditor: Hash32
    debtor: Hash32
    obligation: Hash32
    by_fen: Fen
    reason: Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class Withdraw:
    creditor: Hash32
    debtor: Hash32
    obligation: Hash32
    reason: Annotated[str, Size(1, 512)]


def obligation_key(obligation_id: bytes) -> bytes:
    return b"ob/" + obligation_id


def creditor_key(creditor: bytes, obligation_id: bytes) -> bytes:
    return b"obc/" + creditor + obligation_id


def debtor_key(debtor: bytes, obligation_id: bytes) -> bytes:
    return b"obd/" + debtor + obligation_id


def live_key(obligation_id: bytes) -> bytes:
    return b"obl/" + obligation_id


def answer_deadline_key(confirm_by_ms: int, obligation_id: bytes) -> bytes:
    return b"obw/" + confirm_by_ms.to_bytes(8, "big") + obligation_id


def due_key(due_ms: int, obligation_id: bytes) -> bytes:
    return b"obu/" + due_ms.to_bytes(8, "big") + obligation_id


def overdue_debt_key(debt: bytes) -> bytes:
    return b"obo/" + debt


def confirm_by_ms(obligation: Obligation) -> int:
    """The end of the debtor's 30 days to confirm or decline the obligation."""
    return obligation.submitted_at_ms + CONFIRMATION_WINDOW_MS


def debt_of(obligation: Obligation) -> bytes:
    """The submitted obligation the debt began as (itself, unless assigned out of one)."""
    return obligation.debt or obligation.id


def _queue_keys(obligation: Obligation | None) -> list[bytes]:
    """The deadline queue entries `obligation` has: the 30 days while pending, the due
    date while confirmed and not overdue."""
    if obligation is None:
        return []
    if obligation.status == "pending":
        return [answer_deadline_key(confirm_by_ms(obligation), obligation.id)]
    if obligation.status == LIVE and obligation.overdue_since_ms is None:
        return [due_key(obligation.due_ms, obligation.id)]
    return []


def _use(obligation: Obligation) -> basis.Use:
    return basis.Use("obligation", obligation.id)


def share_key(holder: bytes, part: bytes) -> bytes:
    return b"obs/" + holder + part


def basis_creditor_of(obligation: Obligation) -> bytes:
    """The creditor of the pair the obligation's basis is registered for."""
    return obligation.basis_creditor or obligation.creditor


def _basis_keys(obligation: Obligation) -> tuple[bytes, bytes, str, bytes]:
    return (basis_creditor_of(obligation), obligation.debtor, obligation.basis_ref,
            obligation.basis_sha256)


def basis_holder(state: Reader, obligation: Obligation) -> bytes | None:
    """The obligation the basis of `obligation` is registered to, if an obligation."""
    use = basis.use_of(state, *_basis_keys(obligation))
    return use.id if use is not None and use.backer == "obligation" else None


def shared_parts(state: Reader, holder: bytes, most: int) -> list[bytes]:
    """The live assigned parts sharing the basis registered to `holder`, at most `most`."""
    prefix = share_key(holder, b"")
    return [key[len(prefix):] for key, _ in islice(state.scan(prefix), most)]


def _leave_basis(state: Overlay, obligation: Obligation, status: str) -> None:
    """`obligation` ends as `status`: its basis passes to a part that shares it, or is
    freed (FREEING, no part left), or stays registered to it for good (settled,
    cleared)."""
    holder = basis_holder(state, obligation)
    if holder != obligation.id:
        if holder is not None:
            state.delete(share_key(holder, obligation.id))
        return
    if status not in HANDING:
        return  # a debt paid keeps its basis; its parts' entries stay harmless
    parts = shared_parts(state, obligation.id, MAX_SHARED_PARTS + 1)
    if not parts:
        if status in FREEING:
            basis.free(state, *_basis_keys(obligation), _use(obligation))
        return
    heir, *others = parts
    basis.repoint(state, *_basis_keys(obligation), _use(obligation),
                  basis.Use("obligation", heir))
    state.delete(share_key(obligation.id, heir))
    for part in others:
        state.delete(share_key(obligation.id, part))
        state.put(share_key(heir, part), b"")


def pending_key(creditor: bytes, debtor: bytes) -> bytes:
    return b"obp/" + creditor + debtor


def pending_count(state: Reader, creditor: bytes, debtor: bytes) -> int:
    """How many of `creditor`'s obligations wait for `debtor` to confirm or decline."""
    return get_count(state, pending_key(creditor, debtor))


def _count_pending(state: Overlay, creditor: bytes, debtor: bytes, change: int) -> None:
    add_count(state, pending_key(creditor, debtor), change, MAX_PENDING_PER_DEBTOR)


def get_obligation(state: Reader, obligation_id: bytes) -> Obligation | None:
    return get_record(state, obligation_key(obligation_id), Obligation)


def load_obligation(state: Reader, obligation_id: bytes) -> Obligation:
    found = get_obligation(state, obligation_id)
    if found is None:
        raise Rejected("obligation.unknown", f"no obligation {obligation_id.hex()}")
    return found


def load_live(state: Reader, obligation_id: bytes) -> Obligation:
    """A confirmed obligation with something still owed, not under dispute (what a sale
    or a set-off takes); `Rejected` otherwise."""
    obligation = load_obligation(state, obligation_id)
    require(obligation.status == LIVE, "obligation.not_live",
            f"the obligation is {obligation.status}; only a confirmed one counts")
    require_undisputed(state, obligation)
    return obligation


def require_undisputed(state: Reader, obligation: Obligation) -> None:
    """`obligation.disputed` while an open dispute (contracts.supervision) holds it."""
    holds.require_undisputed(state, obligation.id, "obligation.disputed", "obligation")


def live_ids(state: Reader) -> list[bytes]:
    return [key[4:] for key, _ in state.scan(b"obl/")]


def obligations_page(state: Reader, after: bytes | None, limit: int, *,
                     creditor: bytes | None = None, debtor: bytes | None = None,
                     status: str | None = None) -> tuple[list[Obligation], bytes | None]:
    """A creditor's or a debtor's obligations (one is given), by id after `after`, only
    those with `status` if given."""
    assert (creditor is None) != (debtor is None)
    prefix = creditor_key(creditor, b"") if creditor is not None \
        else debtor_key(debtor or b"", b"")
    return indexed_page(state, prefix, after, limit, get_obligation, with_status(status))


def iter_live_ids(state: Reader) -> Iterator[bytes]:
    """The ids of the live (confirmed) obligations, read lazily."""
    prefix = live_key(b"")
    for key, _ in state.scan(prefix):
        yield key[len(prefix):]


def _put(state: Overlay, obligation: Obligation) -> None:
    """Write the obligation, keeping the live index and the pending count in step."""
    before = get_obligation(state, obligation.id)
    was_pending = before is not None and before.status == "pending"
    if was_pending != (obligation.status == "pending"):
        _count_pending(state, obligation.creditor, obligation.debtor,
                       1 if obligation.status == "pending" else -1)
    put_record(state, obligation_key(obligation.id), obligation)
    before_keys, after_keys = _queue_keys(before), _queue_keys(obligation)
    for key in before_keys:
        if key not in after_keys:
            state.delete(key)
    for key in after_keys:
        state.put(key, b"")
    if obligation.status == LIVE:
        assert obligation.amount_fen > 0
        state.put(live_key(obligation.id), b"")
    else:
        state.delete(live_key(obligation.id))


def _end(ctx: Context, obligation: Obligation, status: str, note: str) -> Obligation:
    ended = replace(obligation, status=status, ended_at_ms=ctx.time_ms, ended_by=ctx.tx_id,
                    note=note[:512])
    _put(ctx.state, ended)
    _leave_basis(ctx.state, ended, status)
    return ended


def _own(ctx: Context, obligation_id: bytes, creditor: bytes, debtor: bytes) -> Obligation:
    obligation = load_obligation(ctx.state, obligation_id)
    require(obligation.creditor == creditor and obligation.debtor == debtor,
            "obligation.not_party", "only the obligation's creditor and debtor may do this")
    return obligation


def reduce_by_setoff(ctx: Context, obligation: Obligation, amount_fen: int) -> Obligation:
    """A set-off round clears `amount_fen` of a live obligation (checked by the caller)."""
    assert obligation.status == LIVE and 0 < amount_fen <= obligation.amount_fen
    left = obligation.amount_fen - amount_fen
    changed = replace(obligation, amount_fen=left, setoff_fen=obligation.setoff_fen + amount_fen)
    ctx.emit("obligation.set_off", obligation.id, obligation.creditor, obligation.debtor)
    if left == 0:
        return _end(ctx, changed, "cleared", "cleared by set-off")
    _put(ctx.state, changed)
    return changed


def assign(ctx: Context, obligation: Obligation, amount_fen: int, to: bytes) -> bytes:
    """债权转让: `amount_fen` of a confirmed obligation is owed to `to` from now on, as a
    new confirmed obligation of the same debtor, due date and basis (returned by id);
    the seller's is reduced by it, or ends as "assigned" when it is the whole. The
    debtor is told. For contracts.sale, which checks the parties and the price."""
    assert obligation.status == LIVE and 0 < amount_fen <= obligation.amount_fen
    assert to not in (obligation.creditor, obligation.debtor)
    require_can_hold(ctx.state, to)
    holder = basis_holder(ctx.state, obligation)
    if holder is not None:
        require(len(shared_parts(ctx.state, holder, MAX_SHARED_PARTS)) < MAX_SHARED_PARTS,
                "obligation.too_many_parts",
                f"{MAX_SHARED_PARTS} parts of this debt are owed to others already; a "
                "part is sold whole, or after some are settled")
    new_id = sha256(ASSIGN_DOMAIN + ctx.tx_id + obligation.id)
    assert get_obligation(ctx.state, new_id) is None
    bought = Obligation(
        id=new_id, creditor=to, debtor=obligation.debtor, face_fen=amount_fen,
        amount_fen=amount_fen, setoff_fen=0, reduced_fen=0, due_ms=obligation.due_ms,
        basis_ref=obligation.basis_ref, basis_sha256=obligation.basis_sha256, status=LIVE,
        submitted_at_ms=ctx.time_ms, confirmed_at_ms=obligation.confirmed_at_ms,
        ended_at_ms=None, ended_by=None, note="", assigned_fen=0,
        assigned_from=obligation.id, basis_creditor=basis_creditor_of(obligation),
        overdue_since_ms=obligation.overdue_since_ms, debt=debt_of(obligation),
    )
    _put(ctx.state, bought)
    ctx.state.put(creditor_key(to, new_id), b"")
    ctx.state.put(debtor_key(obligation.debtor, new_id), b"")
    if holder is not None:
        ctx.state.put(share_key(holder, new_id), b"")
    left = obligation.amount_fen - amount_fen
    changed = replace(obligation, amount_fen=left,
                      assigned_fen=obligation.assigned_fen + amount_fen)
    if left == 0:
        _end(ctx, changed, "assigned", f"assigned to {to.hex()}")
    else:
        _put(ctx.state, changed)
    # Each told of the record it reads: the seller of its own, the buyer and the debtor
    # of the new one.
    ctx.emit("obligation.assigned_out", obligation.id, obligation.creditor, obligation.debtor)
    ctx.emit("obligation.assigned", new_id, to, obligation.debtor)
    return new_id


# ------------------------------------------------------------------ operations


def submit(ctx: Context, body: Submit) -> None:
    require(body.creditor != body.debtor, "obligation.self", "a member does not owe itself")
    require_can_hold(ctx.state, body.creditor)
    require_can_hold(ctx.state, body.debtor)
    require(body.amount_fen > 0, "obligation.bad_amount", "an obligation is at least 1 fen")
    require_documents(ctx.state, body.documents, (body.creditor, body.debtor))
    basis.require_free(ctx.state, body.creditor, body.debtor, body.basis_ref,
                       body.basis_sha256)
    require(pending_count(ctx.state, body.creditor, body.debtor) < MAX_PENDING_PER_DEBTOR,
            "obligation.too_many_pending",
            f"{MAX_PENDING_PER_DEBTOR} of your obligations already wait for this debtor's "
            "answer; submit more once it has confirmed or declined some")
    obligation = Obligation(
        id=ctx.tx_id, creditor=body.creditor, debtor=body.debtor, face_fen=body.amount_fen,
        amount_fen=body.amount_fen, setoff_fen=0, reduced_fen=0, due_ms=body.due_ms,
        basis_ref=body.basis_ref, basis_sha256=body.basis_sha256, status="pending",
        submitted_at_ms=ctx.time_ms, confirmed_at_ms=None, ended_at_ms=None, ended_by=None,
        note="",
    )
    _put(ctx.state, obligation)
    basis.take(ctx.state, body.creditor, body.debtor, body.basis_ref, body.basis_sha256,
               "obligation", obligation.id)
    ctx.state.put(creditor_key(body.creditor, obligation.id), b"")
    ctx.state.put(debtor_key(body.debtor, obligation.id), b"")
    ctx.emit("obligation.submitted", obligation.id, body.creditor, body.debtor)


def _pending_of_debtor(ctx: Context, obligation_id: bytes, debtor: bytes) -> Obligation:
    obligation = load_obligation(ctx.state, obligation_id)
    require(obligation.debtor == debtor, "obligation.not_debtor",
            "only the obligation's debtor may confirm or decline it")
    require(obligation.status != "lapsed" and ctx.time_ms <= confirm_by_ms(obligation),
            "obligation.confirmation_lapsed",
            "the 30 days to confirm have passed; the creditor must submit it again")
    require(obligation.status == "pending", "obligation.not_pending",
            f"the obligation is {obligation.status}, no longer waiting for the debtor")
    return obligation


def confirm(ctx: Context, body: Confirm) -> None:
    obligation = _pending_of_debtor(ctx, body.obligation, body.debtor)
    require_undisputed(ctx.state, obligation)
    require_can_hold(ctx.state, obligation.creditor)
    require_can_hold(ctx.state, body.debtor)
    _put(ctx.state, replace(obligation, status=LIVE, confirmed_at_ms=ctx.time_ms))
    ctx.emit("obligation.confirmed", obligation.id, obligation.creditor, obligation.debtor)


def decline(ctx: Context, body: Decline) -> None:
    obligation = _pending_of_debtor(ctx, body.obligation, body.debtor)
    _end(ctx, obligation, "declined", body.reason)
    ctx.emit("obligation.declined", obligation.id, obligation.creditor, obligation.debtor)


def retract(ctx: Context, body: Retract) -> None:
    obligation = load_obligation(ctx.state, body.obligation)
    require(obligation.creditor == body.creditor, "obligation.not_creditor",
            "only the creditor who submitted it may retract an obligation")
    require(obligation.status == "pending", "obligation.not_pending",
            f"the obligation is {obligation.status}; a confirmed one is withdrawn by both")
    _end(ctx, obligation, "retracted", "retracted by the creditor")
    ctx.emit("obligation.retracted", obligation.id, obligation.creditor, obligation.debtor)


def settle(ctx: Context, body: Settle) -> None:
    obligation = _own(ctx, body.obligation, body.creditor, body.debtor)
    require(obligation.status == LIVE, "obligation.not_live",
            f"the obligation is {obligation.status}; only a confirmed one is settled")
    _end(ctx, obligation, "settled", f"settled: {body.reference}")
    ctx.emit("obligation.settled", obligation.id, obligation.creditor, obligation.debtor)


def reduce(ctx: Context, body: Reduce) -> None:
    obligation = _own(ctx, body.obligation, body.creditor, body.debtor)
    require(obligation.status == LIVE, "obligation.not_live",
            f"the obligation is {obligation.status}; only a confirmed one is reduced")
    require(body.by_fen > 0, "obligation.bad_amount", "a reduction is at least 1 fen")
    require(body.by_fen < obligation.amount_fen, "obligation.over_amount",
            f"{obligation.amount_fen} fen is owed; a reduction leaves something owed "
            "(settle it to end it)")
    _put(ctx.state, replace(obligation, amount_fen=obligation.amount_fen - body.by_fen,
                            reduced_fen=obligation.reduced_fen + body.by_fen,
                            note=body.reason))
    ctx.emit("obligation.reduced", obligation.id, obligation.creditor, obligation.debtor)


def withdraw(ctx: Context, body: Withdraw) -> None:
    obligation = _own(ctx, body.obligation, body.creditor, body.debtor)
    require(obligation.status == LIVE, "obligation.not_live",
            f"the obligation is {obligation.status}; a pending one is retracted")
    _end(ctx, obligation, "withdrawn", body.reason)
    ctx.emit("obligation.withdrawn", obligation.id, obligation.creditor, obligation.debtor)


# ------------------------------------------------------------------ the clock


def _due_before(state: Reader, prefix: bytes, time_ms: int, most: int) -> list[bytes]:
    """The ids queued under `prefix` (8-byte time, then the id) before `time_ms`, earliest
    first, at most `most`."""
    found: list[bytes] = []
    for key, _ in state.scan(prefix):
        if int.from_bytes(key[len(prefix):len(prefix) + 8], "big") >= time_ms \
                or len(found) >= most:
            break
        found.append(key[len(prefix) + 8:])
    return found


def end_block(ctx: Context) -> None:
    """Lapse the pending obligations whose 30 days passed before this block's time, and
    mark overdue the confirmed ones whose due date passed, each earliest first and
    bounded; the debtor's record counts both (see the module's docstring)."""
    for obligation_id in _due_before(ctx.state, b"obw/", ctx.time_ms, MAX_LAPSES_PER_BLOCK):
        obligation = load_obligation(ctx.state, obligation_id)
        assert obligation.status == "pending", "only pending obligations wait for an answer"
        # No transaction ends it: `ended_by` stays None, as for a lapsed application.
        lapsed = replace(obligation, status="lapsed", ended_at_ms=ctx.time_ms,
                         note="not confirmed within 30 days")
        _put(ctx.state, lapsed)
        _leave_basis(ctx.state, lapsed, "lapsed")
        if holds.dispute_holding(ctx.state, obligation_id) is None:
            record = get_debtor_record(ctx.state, obligation.debtor)
            write_debtor_record(ctx.state, replace(
                record, late_obligation_confirmations=record.late_obligation_confirmations + 1))
            credit.note_late_confirmation(ctx.state, obligation.debtor, ctx.time_ms)
        ctx.emit("obligation.lapsed", obligation.id, obligation.creditor, obligation.debtor)
    for obligation_id in _due_before(ctx.state, b"obu/", ctx.time_ms, MAX_OVERDUE_PER_BLOCK):
        obligation = load_obligation(ctx.state, obligation_id)
        assert obligation.status == LIVE and obligation.overdue_since_ms is None
        _put(ctx.state, replace(obligation, overdue_since_ms=ctx.time_ms))
        debt = debt_of(obligation)
        if ctx.state.get(overdue_debt_key(debt)) is None:  # the debt's first part overdue
            ctx.state.put(overdue_debt_key(debt), b"")
            record = get_debtor_record(ctx.state, obligation.debtor)
            write_debtor_record(ctx.state, replace(
                record, overdue_obligations=record.overdue_obligations + 1))
            credit.note_overdue(ctx.state, obligation.debtor, ctx.time_ms)
        ctx.emit("obligation.overdue", obligation.id, obligation.creditor, obligation.debtor)


# ------------------------------------------------------------------ who may read


def may_read_obligation(state: Reader, caller: Caller, obligation: Obligation) -> bool:
    """An obligation is its creditor's and its debtor's. The other members of a set-off
    round that reduces it read the round's legs (amounts and parties), not the
    obligation with its basis and notes."""
    return caller.oversees or caller.one_of(obligation.creditor, obligation.debtor)


READS = (
    Read("obligation", ("creditor", "debtor", *OVERSIGHT), may_read_obligation,
         not_readers=("round_member",)),
)


OPERATIONS = (
    Operation("submit", Submit, lambda b: (b.creditor,), submit),
    Operation("confirm", Confirm, lambda b: (b.debtor,), confirm),
    Operation("decline", Decline, lambda b: (b.debtor,), decline),
    Operation("retract", Retract, lambda b: (b.creditor,), retract),
    Operation("settle", Settle, lambda b: (b.creditor, b.debtor), settle),
    Operation("reduce", Reduce, lambda b: (b.creditor, b.debtor), reduce),
    Operation("withdraw", Withdraw, lambda b: (b.creditor, b.debtor), withdraw),
)
