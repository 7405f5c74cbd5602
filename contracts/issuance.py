"""Issuance (申请, 确权, 开具; §001-三(一)(二)): apply → confirm → approve → a voucher.

The creditor applies, naming the debtor and the terms with the basis contract's
reference and digest (contracts.documents.basis_digest: keyed by the creditor and the
debtor, so that only they can compute it and nobody can test a guessed contract
against it). The debtor confirms the debt (确权) within 30 days of the
application by ledger time, or the application lapses. The agency then reviews and
approves it, and the voucher is issued to the creditor. A basis contract backs one
financing (contracts.basis: the same document or reference between the same parties):
an application on a basis that backs a confirmed application, a voucher or an
obligation is refused (`basis.in_use`). The basis is taken when the debtor confirms,
not when the creditor applies, so the creditor's unconfirmed drafts hold nothing; it is
freed if the confirmed application is rejected or withdrawn, and stays with the voucher
for good once issued (a debt settled through its voucher is not owed again). The
application may name confidential documents (the basis contract, invoices, delivery
notes) attached beforehand and sealed to both parties (contracts.documents). The
documents it names are recorded with it (`docn/`): the voucher's basis documents, which
its holders may grant funders access to (contracts.documents.grant).

An application needs only the creditor's signature, so the debtor is protected from a
creditor that applies for debts it does not owe: the debtor declines (with a reason, kept
in the application; not a late confirmation, which only a lapse is), a creditor has at
most MAX_PENDING_PER_DEBTOR applications waiting for one debtor, and the end-of-block
step lapses at most MAX_LAPSES_PER_BLOCK applications, the rest in the next blocks.
A debtor on the blacklist issues nothing, and an application that would take the
debtor's outstanding and pending amounts over its issuance limit is refused
(contracts.credit: this family keeps the pending amount there, and notes each lapse).
  a/<id>                         the application
  ac/<creditor><id>, ad/<debtor><id>   every application of a creditor / against a debtor
  aq/<confirm_by_ms:8><id>       applications waiting for the debtor, by deadline
  ap/<creditor><debtor>          how many of the creditor's applications wait for the debtor
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import basis, credit, holds
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, Fen, Hash32, Height, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.documents import Documents, record_named, require_documents
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    page_suffixes,
    put_record,
)
from contracts.vouchers import (
    Voucher,
    get_debtor_record,
    issue,
    issued_voucher_id,
    write_debtor_record,
)

NAME = "issuance"
VERSION = 2

DAY_MS = 86_400_000
CONFIRMATION_WINDOW_MS = 30 * DAY_MS  # 《保障中小企业款项支付条例》: confirm within 30 days
MAX_EXTENSION_DAYS = 3650
MAX_EXTENSIONS = 12
# A creditor applies alone, so it could fill a debtor's queue: at most this many of one
# creditor's applications wait for one debtor's confirmation at a time. A supplier's
# month of invoices against one customer fits; a flood does not.
MAX_PENDING_PER_DEBTOR = 200
MAX_LAPSES_PER_BLOCK = 1_000  # the end-of-block step's bound; the rest lapse in the next blocks
MAX_END_BLOCK_EVENTS = MAX_LAPSES_PER_BLOCK  # one `application.lapsed` each

APPLICATION_STATUSES = frozenset(
    {"applied", "confirmed", "declined", "issued", "lapsed", "rejected", "withdrawn"}
)
Reason = Annotated[str, Size(0, 512)]


@dataclass(frozen=True)
class Terms:
    """What the voucher will say, as the creditor applies for it."""

    debtor: Hash32
    amount_fen: Fen
    due_ms: TimeMs
    asset_offset: bool
    consumption_offset: bool
    extension_days: U32  # 展期条款: days per extension, 0 for no extension clause
    extension_max: U32  # how many times the unsettled claim may extend
    basis_ref: Annotated[str, Size(1, 256)]
    basis_sha256: Hash32  # the basis digest (documents.basis_digest), under its v1 name


@dataclass(frozen=True)
class Application:
    id: Hash32
    creditor: Hash32
    terms: Terms
    status: Annotated[str, OneOf(APPLICATION_STATUSES)]
    applied_at_ms: TimeMs
    applied_height: Height
    confirm_by_ms: TimeMs
    confirmed_at_ms: TimeMs | None
    decided_at_ms: TimeMs | None  # issued, declined, rejected, withdrawn or lapsed
    voucher: Hash32 | None
    reason: Reason  # why the agency rejected it or the debtor declined it


@dataclass(frozen=True)
class Apply:
    creditor: Hash32
    terms: Terms
    documents: Documents = ()  # ids of attached documents it rests on


@dataclass(frozen=True)
class Confirm:
    debtor: Hash32
    application: Hash32


@dataclass(frozen=True)
class Decline:
    """The debtor says it does not owe what the application claims (no 确权)."""

    debtor: Hash32
    application: Hash32
    reason: Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class Approve:
    agency: Hash32
    application: Hash32


@dataclass(frozen=True)
class Reject:
    agency: Hash32
    application: Hash32
    reason: Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class Withdraw:
    creditor: Hash32
    application: Hash32


# ------------------------------------------------------------------ state keys


def application_key(application_id: bytes) -> bytes:
    return b"a/" + application_id


def creditor_index_key(creditor: bytes, application_id: bytes) -> bytes:
    return b"ac/" + creditor + application_id


def debtor_index_key(debtor: bytes, application_id: bytes) -> bytes:
    return b"ad/" + debtor + application_id


def _use(application: Application) -> basis.Use:
    return basis.Use("application", application.id)


def _basis_of(application: Application) -> tuple[bytes, bytes, str, bytes]:
    terms = application.terms
    return application.creditor, terms.debtor, terms.basis_ref, terms.basis_sha256


def require_basis_free(state: Reader, creditor: bytes, terms: Terms) -> None:
    """`basis.in_use` if the basis backs a confirmed application, a voucher or an
    obligation."""
    basis.require_free(state, creditor, terms.debtor, terms.basis_ref, terms.basis_sha256)


def deadline_key(confirm_by_ms: int, application_id: bytes) -> bytes:
    return b"aq/" + confirm_by_ms.to_bytes(8, "big") + application_id


def pending_key(creditor: bytes, debtor: bytes) -> bytes:
    return b"ap/" + creditor + debtor


def pending_count(state: Reader, creditor: bytes, debtor: bytes) -> int:
    """How many of `creditor`'s applications wait for `debtor`'s confirmation."""
    return get_count(state, pending_key(creditor, debtor))


def _count_pending(state: Overlay, application: Application, change: int) -> None:
    add_count(state, pending_key(application.creditor, application.terms.debtor), change,
              MAX_PENDING_PER_DEBTOR)


def get_application(state: Reader, application_id: bytes) -> Application | None:
    return get_record(state, application_key(application_id), Application)


def applications_page(state: Reader, after: bytes | None, limit: int, *,
                      creditor: bytes | None = None, debtor: bytes | None = None
                      ) -> tuple[list[Application], bytes | None]:
    """A creditor's or a debtor's applications (one of them is given), by id after `after`."""
    assert (creditor is None) != (debtor is None)
    prefix = creditor_index_key(creditor, b"") if creditor is not None \
        else debtor_index_key(debtor or b"", b"")
    ids, next_cursor = page_suffixes(state, prefix, after, limit)
    found = [get_application(state, i) for i in ids]
    assert all(a is not None for a in found), "an indexed application is stored"
    return found, next_cursor  # type: ignore[return-value]


def load_application(state: Reader, application_id: bytes) -> Application:
    application = get_application(state, application_id)
    if application is None:
        raise Rejected("issuance.unknown_application", f"no application {application_id.hex()}")
    return application


def with_status(application: Application, status: str, time_ms: int, **changes) -> Application:
    if status in ("issued", "declined", "rejected", "withdrawn", "lapsed"):
        changes["decided_at_ms"] = time_ms
    return replace(application, status=status, **changes)


def stop_waiting(state: Overlay, application: Application) -> None:
    """The debtor no longer owes an answer: drop the deadline and the pending count."""
    assert application.status == "applied"
    state.delete(deadline_key(application.confirm_by_ms, application.id))
    _count_pending(state, application, -1)


def close(state: Overlay, application: Application) -> None:
    """Free the basis contract, if this application holds it, and, if it still waited
    for the debtor, stop waiting."""
    basis.free(state, *_basis_of(application), _use(application))
    credit.add_pending(state, application.terms.debtor, -application.terms.amount_fen)
    if application.status == "applied":
        stop_waiting(state, application)


# ------------------------------------------------------------------ operations


def apply(ctx: Context, body: Apply) -> None:
    terms = body.terms
    require_active(ctx.state, body.creditor)
    require_active(ctx.state, terms.debtor)
    require(terms.debtor != body.creditor, "issuance.self_dealing", "creditor and debtor differ")
    require(terms.amount_fen > 0, "issuance.bad_amount", "the amount must be at least 1 fen")
    require(
        terms.due_ms > ctx.time_ms,
        "issuance.due_in_past",
        "the due date must lie after the ledger time of application",
    )
    require(
        terms.asset_offset or terms.consumption_offset,
        "issuance.no_settlement_method",
        "choose asset offset, consumption offset or both",
    )
    require(
        terms.extension_days <= MAX_EXTENSION_DAYS and terms.extension_max <= MAX_EXTENSIONS,
        "issuance.bad_extension",
        f"an extension clause is at most {MAX_EXTENSION_DAYS} days, {MAX_EXTENSIONS} times",
    )
    require(
        (terms.extension_days == 0) == (terms.extension_max == 0),
        "issuance.bad_extension",
        "an extension clause gives both the days per extension and how many times",
    )
    require_basis_free(ctx.state, body.creditor, terms)
    credit.require_not_listed(ctx.state, terms.debtor)
    credit.require_issuance_within_limit(ctx.state, terms.debtor, terms.amount_fen)
    require(
        pending_count(ctx.state, body.creditor, terms.debtor) < MAX_PENDING_PER_DEBTOR,
        "issuance.too_many_pending",
        f"{MAX_PENDING_PER_DEBTOR} of your applications already wait for this debtor's "
        "confirmation; apply again once it has answered some",
    )
    require_documents(ctx.state, body.documents, (body.creditor, terms.debtor))
    confirm_by_ms = ctx.time_ms + CONFIRMATION_WINDOW_MS
    application = Application(
        id=ctx.tx_id,
        creditor=body.creditor,
        terms=terms,
        status="applied",
        applied_at_ms=ctx.time_ms,
        applied_height=ctx.height,
        confirm_by_ms=confirm_by_ms,
        confirmed_at_ms=None,
        decided_at_ms=None,
        voucher=None,
        reason="",
    )
    put_record(ctx.state, application_key(application.id), application)
    # The voucher's holders grant access to these (contracts.documents.grant).
    record_named(ctx.state, application.id, body.documents)
    ctx.state.put(creditor_index_key(body.creditor, application.id), b"")
    ctx.state.put(debtor_index_key(terms.debtor, application.id), b"")
    ctx.state.put(deadline_key(confirm_by_ms, application.id), b"")
    _count_pending(ctx.state, application, +1)
    credit.add_pending(ctx.state, terms.debtor, terms.amount_fen)
    ctx.emit("application.submitted", application.id, body.creditor, terms.debtor)


def _awaiting_debtor(ctx: Context, application_id: bytes, debtor: bytes,
                     answer: str) -> Application:
    """An application that waits for `debtor`'s answer, within the 30 days."""
    application = load_application(ctx.state, application_id)
    require(
        application.terms.debtor == debtor,
        "issuance.not_debtor",
        f"only the debtor named in the application {answer} it",
    )
    require(
        application.status != "lapsed" and ctx.time_ms <= application.confirm_by_ms,
        "issuance.confirmation_lapsed",
        "the 30 days for confirmation have passed; the creditor must apply again",
    )
    require(
        application.status == "applied",
        "issuance.not_awaiting_confirmation",
        f"the application is {application.status}",
    )
    return application


def confirm(ctx: Context, body: Confirm) -> None:
    application = _awaiting_debtor(ctx, body.application, body.debtor, "confirms")
    _require_undisputed(ctx, application)
    require_basis_free(ctx.state, application.creditor, application.terms)
    basis.take(ctx.state, *_basis_of(application), "application", application.id)
    updated = with_status(application, "confirmed", ctx.time_ms, confirmed_at_ms=ctx.time_ms)
    put_record(ctx.state, application_key(application.id), updated)
    stop_waiting(ctx.state, application)
    record = get_debtor_record(ctx.state, body.debtor)
    write_debtor_record(ctx.state, replace(
        record, confirmations=record.confirmations + 1,
        confirmation_delay_ms=record.confirmation_delay_ms
        + ctx.time_ms - application.applied_at_ms))
    ctx.emit("application.confirmed", application.id, application.creditor, body.debtor)


def _require_undisputed(ctx: Context, application: Application) -> None:
    """An application under an open dispute (异议, contracts.supervision) is neither
    confirmed nor issued until the agency resolves it: `issuance.disputed`."""
    holds.require_undisputed(ctx.state, application.id, "issuance.disputed", "application")


def decline(ctx: Context, body: Decline) -> None:
    """The debtor refuses to confirm: the application closes with its reason, the basis
    document is free again, and the debtor's record is not touched (an answer within
    the 30 days is not a late confirmation)."""
    application = _awaiting_debtor(ctx, body.application, body.debtor, "declines")
    updated = with_status(application, "declined", ctx.time_ms, reason=body.reason)
    put_record(ctx.state, application_key(application.id), updated)
    close(ctx.state, application)
    ctx.emit("application.declined", application.id, application.creditor, body.debtor)


def approve(ctx: Context, body: Approve) -> None:
    require_active(ctx.state, body.agency, "agency")
    application = load_application(ctx.state, body.application)
    require(
        application.status == "confirmed",
        "issuance.not_confirmed",
        f"only a confirmed application is approved; this one is {application.status}",
    )
    _require_undisputed(ctx, application)
    terms = application.terms
    require(
        terms.due_ms > ctx.time_ms,
        "issuance.due_in_past",
        "the due date has passed; the application cannot be issued",
    )
    require_active(ctx.state, application.creditor)
    require_active(ctx.state, terms.debtor)
    credit.require_not_listed(ctx.state, terms.debtor)
    voucher_id = issued_voucher_id(application.id)
    issue(
        ctx.state,
        Voucher(
            id=voucher_id,
            origin=voucher_id,
            parent=None,
            application=application.id,
            debtor=terms.debtor,
            holder=application.creditor,
            amount_fen=terms.amount_fen,
            due_ms=terms.due_ms,
            asset_offset=terms.asset_offset,
            consumption_offset=terms.consumption_offset,
            extension_days=terms.extension_days,
            extension_max=terms.extension_max,
            extensions_used=0,
            overdue_since_ms=None,
            basis_ref=terms.basis_ref,
            basis_sha256=terms.basis_sha256,
            cause="issue",
            created_by=ctx.tx_id,
            created_at_ms=ctx.time_ms,
            created_height=ctx.height,
            status="active",
            ended_by=None,
            pledge=None,
            reserved_by=None,
            commitments=(),
        ),
    )
    updated = with_status(application, "issued", ctx.time_ms, voucher=voucher_id)
    put_record(ctx.state, application_key(application.id), updated)
    # No longer pending: the voucher's amount is outstanding on the debtor's record now.
    credit.add_pending(ctx.state, terms.debtor, -terms.amount_fen)
    # The basis stays taken for good: it now backs the voucher.
    basis.repoint(ctx.state, *_basis_of(application), _use(application),
                  basis.Use("voucher", voucher_id))
    ctx.emit("voucher.issued", voucher_id, application.creditor, terms.debtor, body.agency)


def reject(ctx: Context, body: Reject) -> None:
    require_active(ctx.state, body.agency, "agency")
    application = load_application(ctx.state, body.application)
    require(
        application.status in ("applied", "confirmed"),
        "issuance.already_decided",
        f"the application is {application.status}",
    )
    updated = with_status(application, "rejected", ctx.time_ms, reason=body.reason)
    put_record(ctx.state, application_key(application.id), updated)
    close(ctx.state, application)
    ctx.emit(
        "application.rejected", application.id, application.creditor, application.terms.debtor
    )


def withdraw(ctx: Context, body: Withdraw) -> None:
    application = load_application(ctx.state, body.application)
    require(
        application.creditor == body.creditor,
        "issuance.not_creditor",
        "only the creditor who applied withdraws an application",
    )
    require(
        application.status in ("applied", "confirmed"),
        "issuance.already_decided",
        f"the application is {application.status}",
    )
    updated = with_status(application, "withdrawn", ctx.time_ms)
    put_record(ctx.state, application_key(application.id), updated)
    close(ctx.state, application)
    ctx.emit(
        "application.withdrawn", application.id, application.creditor, application.terms.debtor
    )


def end_block(ctx: Context) -> None:
    """Lapse the applications whose confirmation deadline passed before this block's time,
    earliest deadline first and at most MAX_LAPSES_PER_BLOCK; the rest stay queued for
    the next blocks (nobody can confirm or decline them meanwhile: their 30 days are over)."""
    lapsed: list[bytes] = []
    for key, _ in ctx.state.scan(b"aq/"):
        confirm_by_ms = int.from_bytes(key[3:11], "big")
        if confirm_by_ms >= ctx.time_ms or len(lapsed) >= MAX_LAPSES_PER_BLOCK:
            break
        lapsed.append(key[11:])
    for application_id in lapsed:
        application = load_application(ctx.state, application_id)
        assert application.status == "applied", "only unconfirmed applications are queued"
        updated = with_status(application, "lapsed", ctx.time_ms)
        put_record(ctx.state, application_key(application_id), updated)
        close(ctx.state, application)
        # The 30-day rule: a debtor that let a confirmation lapse confirmed late; not one
        # a dispute kept from confirming (contracts.supervision).
        if holds.dispute_holding(ctx.state, application_id) is None:
            record = get_debtor_record(ctx.state, application.terms.debtor)
            write_debtor_record(ctx.state, replace(
                record, late_confirmations=record.late_confirmations + 1))
            credit.note_late_confirmation(ctx.state, application.terms.debtor, ctx.time_ms)
        ctx.emit(
            "application.lapsed", application_id, application.creditor, application.terms.debtor
        )


# ------------------------------------------------------------------ who may read


def may_read_application(state: Reader, caller: Caller, application: Application) -> bool:
    """An application is its creditor's and its debtor's, who apply and confirm. A later
    holder of the voucher it became reads the voucher's terms and basis in its lineage,
    not the application."""
    return caller.oversees or caller.one_of(application.creditor, application.terms.debtor)


READS = (
    Read("application", ("creditor", "debtor", *OVERSIGHT), may_read_application,
         not_readers=("holder",)),
)


OPERATIONS = (
    Operation("apply", Apply, lambda b: (b.creditor,), apply),
    Operation("confirm", Confirm, lambda b: (b.debtor,), confirm),
    Operation("decline", Decline, lambda b: (b.debtor,), decline),
    Operation("approve", Approve, lambda b: (b.agency,), approve),
    Operation("reject", Reject, lambda b: (b.agency,), reject),
    Operation("withdraw", Withdraw, lambda b: (b.creditor,), withdraw),
)
