"""Credit limits and the blacklist (授信额度, 大额风险暴露, 失信名单; §002-(十三)(十九),
§000-二(三), §000-三(四)).

Issuance limit (授信额度). The agency sets, changes and removes a debtor's issuance
limit: the most the debtor may owe through the ledger at once. The limit governs the
agency's own review of issuance (开具), so the agency sets it; when it follows a bank's
credit line to the debtor (§000-三(四): the funder 合理确定…授信额度), the body names
that bank and the bank co-signs, so that nobody cites a bank's line without its consent.
A debtor's *use* of its limit is its outstanding claims (the debtor's record,
contracts.vouchers: live voucher states on it) plus its pending applications (applied
or confirmed, not yet issued or closed). An application whose amount would take the use
over the limit is refused (`credit.issuance_limit`, naming limit, used and asked); a
debtor with no limit set has none. Lowering a limit below the use refuses new
applications only: what is outstanding or pending stays.

Exposure limit (大额风险暴露, §002-(十三)). A funder (bank, factor, microlender) sets for
itself the most it holds on one debtor. Its *exposure* to a debtor is
  the claims on the debtor pledged to it (secured amounts of its active pledges)
  + the claims on the debtor it holds (live voucher states, contracts.vouchers.held_on).
A pledge registered to it (contracts.pledge.register: a pledge, an accepted pledge quote;
an amendment that raises the secured amount), a sale to it (contracts.sale.execute: a
sale, an accepted sale quote) or a transfer to it (contracts.transfer: a transfer, a
signed offer, a merchant payment) that would take its exposure over its limit is refused
(`credit.exposure_limit`). Enforcing a pledge does not raise it (the pledged amount
becomes held), nor does an acquirer's exercise of a commitment it made before (it bought
the claim then; refusing would break the commitment). Both terms are counters kept in step
by the writers (pledge here through `add_pledged`, holdings in contracts.vouchers), so a
rule reads two records: summing the existing indices (a debtor's pledges, a holder's live
states) would cost as much as a funder's whole book on every transaction.

Blacklist (失信名单, §002-(十九), §000-二(三)). The criteria are network parameters (genesis
defaults from network.toml, changed by the agency): at least N issued vouchers or
confirmed obligations gone overdue, or at least M confirmations (of applications or of
obligations) left to lapse (the 30-day rule), within the last D days. The agency lists a
debtor only when its record meets them at that time, and says why
(`credit.criteria_not_met` otherwise): the list punishes and is published to every member,
so it rests on what the ledger itself recorded, which every node and regulator checks, not
on a decision nobody can verify. The agency delists with its reason at any time (after
rectification). A listed debtor cannot issue: its applications, and the agency's approval
of its pending ones, are refused (`credit.blacklisted`). The listing is a record every
member reads (the `blacklist` registry), and the debtor is told. The times of overdue
vouchers and late confirmations are kept per debtor, the latest MAX_RECENT of each
(`note_overdue`, `note_late_confirmation`); the criteria's thresholds are at most
MAX_RECENT, so the latest times decide them exactly.

  ki/<debtor>                    a debtor's issuance limit
  kp/<debtor>                    its pending applications' amounts (fen)
  kx/<funder><debtor>            a funder's exposure limit on a debtor
  kg/<funder><debtor>            the claims on the debtor pledged to the funder (fen)
  kk                             the blacklist criteria in force
  kh/<debtor>                    the latest times of its overdue vouchers and late confirmations
  kb/<debtor>                    its listing (listed or delisted)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, U64, Hash32, Height, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import get_member, is_funder, require_active
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    put_record,
    records_page,
    with_status,
)
from contracts.vouchers import get_debtor_record, held_on

NAME = "credit"
VERSION = 1

DAY_MS = 86_400_000
MAX_AMOUNT_FEN = 2**64 - 1  # a sum of claims in fen, kept in 8 bytes
MAX_RECENT = 64  # times kept per debtor and kind; the criteria's thresholds are at most this
MAX_PERIOD_DAYS = 3650
LISTING_STATUSES = frozenset({"listed", "delisted"})
Reason = Annotated[str, Size(1, 512)]
Times = Annotated[tuple[TimeMs, ...], Size(0, MAX_RECENT)]


@dataclass(frozen=True)
class IssuanceLimit:
    debtor: Hash32
    limit_fen: U64
    bank: Hash32 | None  # the bank whose credit line it follows (it co-signed), if any
    reference: Annotated[str, Size(0, 256)]  # the credit line's contract, or the decision
    set_at_ms: TimeMs
    set_height: Height


@dataclass(frozen=True)
class ExposureLimit:
    funder: Hash32
    debtor: Hash32
    limit_fen: U64
    set_at_ms: TimeMs
    set_height: Height


@dataclass(frozen=True)
class Criteria:
    """When a debtor may be listed: `overdue_vouchers` issued vouchers gone overdue, or
    `late_confirmations` confirmations lapsed, within the last `period_days` days."""

    overdue_vouchers: U32
    late_confirmations: U32
    period_days: U32
    set_at_ms: TimeMs
    set_height: Height


@dataclass(frozen=True)
class History:
    """The latest times (ledger ms, oldest first) a debtor's vouchers went overdue and its
    confirmations lapsed: the blacklist criteria's window reads them."""

    debtor: Hash32
    overdue_ms: Times
    late_ms: Times


@dataclass(frozen=True)
class Listing:
    debtor: Hash32
    status: Annotated[str, OneOf(LISTING_STATUSES)]
    reason: Reason  # why the agency listed it
    listed_at_ms: TimeMs
    listed_height: Height
    listed_by: Hash32  # the listing transaction
    # What the criteria read when it was listed (counts within the period, capped at
    # MAX_RECENT) and the period they were read over.
    overdue_in_period: U32
    late_in_period: U32
    period_days: U32
    delisted_at_ms: TimeMs | None
    delist_reason: Annotated[str, Size(0, 512)]
    times_listed: U32


# ------------------------------------------------------------------ what reads show


@dataclass(frozen=True)
class Standing:
    """A debtor's record as the blacklist criteria read it at `time_ms`."""

    debtor: Hash32
    since_ms: TimeMs  # the period's start
    overdue_in_period: U32
    late_in_period: U32
    # Lifetime counts, from the debtor's record: vouchers and confirmed obligations gone
    # overdue; applications and obligations left unconfirmed past 30 days.
    overdue_vouchers: U32
    late_confirmations: U32


@dataclass(frozen=True)
class DebtorCredit:
    """A debtor's issuance limit and its use: outstanding claims plus pending applications."""

    debtor: Hash32
    limit: IssuanceLimit | None
    outstanding_fen: U64
    pending_fen: U64


@dataclass(frozen=True)
class Exposure:
    """A funder's exposure to a debtor: pledged to it plus held by it, and its limit."""

    funder: Hash32
    debtor: Hash32
    limit: ExposureLimit | None
    pledged_fen: U64
    held_fen: U64


# ------------------------------------------------------------------ bodies


@dataclass(frozen=True)
class SetLimit:
    agency: Hash32
    debtor: Hash32
    limit_fen: U64
    bank: Hash32 | None  # the bank whose credit line the limit follows; it co-signs
    reference: Annotated[str, Size(0, 256)]


@dataclass(frozen=True)
class RemoveLimit:
    agency: Hash32
    debtor: Hash32


@dataclass(frozen=True)
class SetExposureLimit:
    funder: Hash32
    debtor: Hash32
    limit_fen: U64


@dataclass(frozen=True)
class RemoveExposureLimit:
    funder: Hash32
    debtor: Hash32


@dataclass(frozen=True)
class SetCriteria:
    agency: Hash32
    overdue_vouchers: U32
    late_confirmations: U32
    period_days: U32


@dataclass(frozen=True)
class ListDebtor:
    agency: Hash32
    debtor: Hash32
    reason: Reason


@dataclass(frozen=True)
class Delist:
    agency: Hash32
    debtor: Hash32
    reason: Reason


# ------------------------------------------------------------------ keys


def limit_key(debtor: bytes) -> bytes:
    return b"ki/" + debtor


def pending_key(debtor: bytes) -> bytes:
    return b"kp/" + debtor


def exposure_limit_key(funder: bytes, debtor: bytes) -> bytes:
    return b"kx/" + funder + debtor


def pledged_key(funder: bytes, debtor: bytes) -> bytes:
    return b"kg/" + funder + debtor


def criteria_key() -> bytes:
    return b"kk"


def history_key(debtor: bytes) -> bytes:
    return b"kh/" + debtor


def listing_key(debtor: bytes) -> bytes:
    return b"kb/" + debtor


# ------------------------------------------------------------------ reads


def get_limit(state: Reader, debtor: bytes) -> IssuanceLimit | None:
    return get_record(state, limit_key(debtor), IssuanceLimit)


def get_exposure_limit(state: Reader, funder: bytes, debtor: bytes) -> ExposureLimit | None:
    return get_record(state, exposure_limit_key(funder, debtor), ExposureLimit)


def get_criteria(state: Reader) -> Criteria:
    found = get_record(state, criteria_key(), Criteria)
    assert found is not None, "the genesis state writes the criteria"
    return found


def get_history(state: Reader, debtor: bytes) -> History:
    return get_record(state, history_key(debtor), History) or History(debtor, (), ())


def get_listing(state: Reader, debtor: bytes) -> Listing | None:
    return get_record(state, listing_key(debtor), Listing)


def is_listed(state: Reader, debtor: bytes) -> bool:
    listing = get_listing(state, debtor)
    return listing is not None and listing.status == "listed"


def pending_fen(state: Reader, debtor: bytes) -> int:
    """The amounts of the debtor's applications that wait to be issued or closed."""
    return get_count(state, pending_key(debtor))


def pledged_fen(state: Reader, funder: bytes, debtor: bytes) -> int:
    """The claims on `debtor` pledged to `funder` (its active pledges' secured amounts)."""
    return get_count(state, pledged_key(funder, debtor))


def debtor_credit(state: Reader, debtor: bytes) -> DebtorCredit:
    """The debtor's issuance limit and what uses it."""
    return DebtorCredit(debtor, get_limit(state, debtor),
                        get_debtor_record(state, debtor).outstanding_fen,
                        pending_fen(state, debtor))


def exposure(state: Reader, funder: bytes, debtor: bytes) -> Exposure:
    """`funder`'s exposure to `debtor` and its limit."""
    return Exposure(funder, debtor, get_exposure_limit(state, funder, debtor),
                    pledged_fen(state, funder, debtor), held_on(state, funder, debtor))


def _within(times: tuple[int, ...], since_ms: int) -> int:
    return sum(1 for t in times if t >= since_ms)


def standing(state: Reader, debtor: bytes, time_ms: int,
             period_days: int | None = None) -> Standing:
    """The debtor's record as the criteria read it at `time_ms`, over the criteria's
    period (or `period_days`). The one place the blacklist reads the record: another
    kind of lapse that counts goes into its history through `note_overdue` and
    `note_late_confirmation`, and so into this."""
    days = get_criteria(state).period_days if period_days is None else period_days
    since_ms = max(0, time_ms - days * DAY_MS)
    history = get_history(state, debtor)
    record = get_debtor_record(state, debtor)
    return Standing(debtor, since_ms, _within(history.overdue_ms, since_ms),
                    _within(history.late_ms, since_ms),
                    record.overdue_vouchers + record.overdue_obligations,
                    record.late_confirmations + record.late_obligation_confirmations)


def meets_criteria(criteria: Criteria, found: Standing) -> bool:
    return found.overdue_in_period >= criteria.overdue_vouchers \
        or found.late_in_period >= criteria.late_confirmations


def listings_page(state: Reader, after: bytes | None, limit: int, status: str | None = "listed"
                  ) -> tuple[list[Listing], bytes | None]:
    """The blacklist: the listings (by debtor address after `after`) with `status`, the
    debtors listed now by default, every listing ever made if None."""
    return records_page(state, listing_key(b""), Listing, after, limit, with_status(status))


def limits_page(state: Reader, after: bytes | None, limit: int
                ) -> tuple[list[IssuanceLimit], bytes | None]:
    """Every debtor's issuance limit, by debtor address after `after` (oversight's list of
    limits and their use)."""
    return records_page(state, limit_key(b""), IssuanceLimit, after, limit)


# ------------------------------------------------------------------ what other families call


def require_not_listed(state: Reader, debtor: bytes) -> None:
    """`credit.blacklisted` if `debtor` is on the blacklist: it issues no voucher."""
    listing = get_listing(state, debtor)
    if listing is not None and listing.status == "listed":
        raise Rejected("credit.blacklisted",
                       f"the debtor is on the blacklist (失信名单) since ledger time "
                       f"{listing.listed_at_ms}: {listing.reason}; it issues no voucher "
                       "until the agency delists it")


def require_issuance_within_limit(state: Reader, debtor: bytes, amount_fen: int) -> None:
    """`credit.issuance_limit` if an application of `amount_fen` would take the debtor's
    outstanding claims plus pending applications over its issuance limit."""
    limit = get_limit(state, debtor)
    if limit is None:
        return
    used = get_debtor_record(state, debtor).outstanding_fen + pending_fen(state, debtor)
    require(used + amount_fen <= limit.limit_fen, "credit.issuance_limit",
            f"the debtor's issuance limit (授信额度) is {limit.limit_fen} fen, "
            f"{used} fen of it used (outstanding and pending), {amount_fen} fen asked")


def require_exposure_within_limit(state: Reader, funder: bytes, debtor: bytes,
                                  added_fen: int) -> None:
    """`credit.exposure_limit` if taking `added_fen` more of `debtor`'s claims (pledged to
    or held by `funder`) would take `funder`'s exposure over the limit it set."""
    limit = get_exposure_limit(state, funder, debtor)
    if limit is None or added_fen <= 0:
        return
    held = pledged_fen(state, funder, debtor) + held_on(state, funder, debtor)
    require(held + added_fen <= limit.limit_fen, "credit.exposure_limit",
            f"the funder's exposure limit (大额风险暴露) on this debtor is {limit.limit_fen} "
            f"fen, {held} fen of it taken (pledged and held), {added_fen} fen more asked")


def add_pending(state: Overlay, debtor: bytes, change_fen: int) -> None:
    """An application of the debtor was made (+) or issued or closed (−)."""
    add_count(state, pending_key(debtor), change_fen, MAX_AMOUNT_FEN, 8)


def add_pledged(state: Overlay, funder: bytes, debtor: bytes, change_fen: int) -> None:
    """A pledge to `funder` on `debtor`'s claims secures `change_fen` more (or less)."""
    add_count(state, pledged_key(funder, debtor), change_fen, MAX_AMOUNT_FEN, 8)


def _noted(times: tuple[int, ...], time_ms: int) -> tuple[int, ...]:
    return (*times, time_ms)[-MAX_RECENT:]


def note_overdue(state: Overlay, debtor: bytes, time_ms: int) -> None:
    """An issued voucher of the debtor (or another claim it owes) went overdue."""
    history = get_history(state, debtor)
    put_record(state, history_key(debtor),
               replace(history, overdue_ms=_noted(history.overdue_ms, time_ms)))


def note_late_confirmation(state: Overlay, debtor: bytes, time_ms: int) -> None:
    """The debtor let a confirmation lapse (the 30-day rule)."""
    history = get_history(state, debtor)
    put_record(state, history_key(debtor),
               replace(history, late_ms=_noted(history.late_ms, time_ms)))


def require_criteria(overdue_vouchers: int, late_confirmations: int, period_days: int) -> None:
    """`credit.bad_criteria` unless both thresholds lie in 1..MAX_RECENT and the period in
    1..MAX_PERIOD_DAYS."""
    require(1 <= overdue_vouchers <= MAX_RECENT and 1 <= late_confirmations <= MAX_RECENT,
            "credit.bad_criteria",
            f"a threshold of the blacklist criteria is 1 to {MAX_RECENT}")
    require(1 <= period_days <= MAX_PERIOD_DAYS, "credit.bad_criteria",
            f"the criteria's period is 1 to {MAX_PERIOD_DAYS} days")


def write_criteria(state: Overlay, criteria: Criteria) -> None:
    """The criteria in force (the genesis state writes the first)."""
    require_criteria(criteria.overdue_vouchers, criteria.late_confirmations,
                     criteria.period_days)
    put_record(state, criteria_key(), criteria)


# ------------------------------------------------------------------ operations


def _require_member(state: Reader, address: bytes) -> None:
    if get_member(state, address) is None:
        raise Rejected("membership.not_member", f"{address.hex()} is not a member")


def set_limit(ctx: Context, body: SetLimit) -> None:
    require_active(ctx.state, body.agency, "agency")
    _require_member(ctx.state, body.debtor)
    if body.bank is not None:
        require(body.bank != body.debtor, "credit.self",
                "a debtor's limit follows another member's credit line")
        bank = require_active(ctx.state, body.bank)
        # The lenders of contracts.pledge.LENDER_ROLES (which imports this module).
        require(any(role in ("bank", "microlender") for role in bank.roles),
                "membership.missing_role",
                f"member {bank.name} is not a lender: the limit follows a lender's credit line")
    limit = IssuanceLimit(body.debtor, body.limit_fen, body.bank, body.reference,
                          ctx.time_ms, ctx.height)
    put_record(ctx.state, limit_key(body.debtor), limit)
    ctx.emit("credit.limit_set", body.debtor, body.debtor, body.agency,
             *((body.bank,) if body.bank is not None else ()))


def remove_limit(ctx: Context, body: RemoveLimit) -> None:
    require_active(ctx.state, body.agency, "agency")
    limit = get_limit(ctx.state, body.debtor)
    require(limit is not None, "credit.no_limit", "the debtor has no issuance limit")
    ctx.state.delete(limit_key(body.debtor))
    ctx.emit("credit.limit_removed", body.debtor, body.debtor, body.agency,
             *((limit.bank,) if limit is not None and limit.bank is not None else ()))


def set_exposure_limit(ctx: Context, body: SetExposureLimit) -> None:
    funder = require_active(ctx.state, body.funder)
    require(is_funder(funder), "membership.missing_role",
            f"member {funder.name} is no funder: banks, factoring companies and "
            "microlenders set exposure limits")
    require(body.funder != body.debtor, "credit.self",
            "a funder's exposure is to another member")
    _require_member(ctx.state, body.debtor)
    put_record(ctx.state, exposure_limit_key(body.funder, body.debtor),
               ExposureLimit(body.funder, body.debtor, body.limit_fen, ctx.time_ms,
                             ctx.height))
    ctx.emit("credit.exposure_limit_set", body.debtor, body.funder)


def remove_exposure_limit(ctx: Context, body: RemoveExposureLimit) -> None:
    require_active(ctx.state, body.funder)
    require(get_exposure_limit(ctx.state, body.funder, body.debtor) is not None,
            "credit.no_exposure_limit", "no exposure limit on this debtor is set")
    ctx.state.delete(exposure_limit_key(body.funder, body.debtor))
    ctx.emit("credit.exposure_limit_removed", body.debtor, body.funder)


def set_criteria(ctx: Context, body: SetCriteria) -> None:
    require_active(ctx.state, body.agency, "agency")
    write_criteria(ctx.state, Criteria(body.overdue_vouchers, body.late_confirmations,
                                       body.period_days, ctx.time_ms, ctx.height))
    ctx.emit("credit.criteria_set", ctx.tx_id, body.agency)


def list_debtor(ctx: Context, body: ListDebtor) -> None:
    require_active(ctx.state, body.agency, "agency")
    _require_member(ctx.state, body.debtor)
    existing = get_listing(ctx.state, body.debtor)
    require(existing is None or existing.status != "listed", "credit.already_listed",
            "the debtor is on the blacklist already")
    criteria = get_criteria(ctx.state)
    found = standing(ctx.state, body.debtor, ctx.time_ms, criteria.period_days)
    require(meets_criteria(criteria, found), "credit.criteria_not_met",
            f"in the last {criteria.period_days} days the debtor's record shows "
            f"{found.overdue_in_period} overdue vouchers (the criteria: "
            f"{criteria.overdue_vouchers}) and {found.late_in_period} late confirmations "
            f"(the criteria: {criteria.late_confirmations}); it is not listed")
    listing = Listing(body.debtor, "listed", body.reason, ctx.time_ms, ctx.height, ctx.tx_id,
                      found.overdue_in_period, found.late_in_period, criteria.period_days,
                      None, "", (existing.times_listed if existing else 0) + 1)
    put_record(ctx.state, listing_key(body.debtor), listing)
    ctx.emit("credit.listed", body.debtor, body.debtor, body.agency)


def delist(ctx: Context, body: Delist) -> None:
    require_active(ctx.state, body.agency, "agency")
    listing = get_listing(ctx.state, body.debtor)
    require(listing is not None and listing.status == "listed", "credit.not_listed",
            "the debtor is not on the blacklist")
    assert listing is not None
    put_record(ctx.state, listing_key(body.debtor), replace(
        listing, status="delisted", delisted_at_ms=ctx.time_ms, delist_reason=body.reason))
    ctx.emit("credit.delisted", body.debtor, body.debtor, body.agency)


# ------------------------------------------------------------------ who may read


def may_read_debtor_credit(state: Reader, caller: Caller, credit: DebtorCredit) -> bool:
    """A debtor's issuance limit and its use are every member's: a creditor applying
    against the debtor, and whoever takes its claims, judges it by them (as by its
    record, §002-(十一)); a refused application names them anyway."""
    return caller.member


def may_read_exposure(state: Reader, caller: Caller, found: Exposure) -> bool:
    """A funder's exposure to a debtor and the limit it set itself are its own risk
    management (§002-(十三)) and the supervisors': not the debtor's, nor other funders'."""
    return caller.oversees or caller.one_of(found.funder)


def may_read_listing(state: Reader, caller: Caller, listing: Listing) -> bool:
    """The blacklist is published (§002-(十九): 定期披露…失信"黑名单"): every member reads
    who is listed, since when and why, before it takes the debtor's claims."""
    return caller.member


def may_read_criteria(state: Reader, caller: Caller, criteria: Criteria) -> bool:
    """The blacklist's criteria are every member's: a debtor knows what lists it."""
    return caller.member


READS = (
    Read("debtor_credit", ("member",), may_read_debtor_credit),
    Read("exposure", ("self", *OVERSIGHT), may_read_exposure, not_readers=("debtor",)),
    Read("listing", ("member",), may_read_listing),
    Read("blacklist_criteria", ("member",), may_read_criteria),
)


def _limit_signers(body: SetLimit) -> tuple[bytes, ...]:
    return (body.agency,) if body.bank is None else (body.agency, body.bank)


OPERATIONS = (
    Operation("set_limit", SetLimit, _limit_signers, set_limit),  # type: ignore[arg-type]
    Operation("remove_limit", RemoveLimit, lambda b: (b.agency,), remove_limit),
    Operation("set_exposure_limit", SetExposureLimit, lambda b: (b.funder,),
              set_exposure_limit),
    Operation("remove_exposure_limit", RemoveExposureLimit, lambda b: (b.funder,),
              remove_exposure_limit),
    Operation("set_criteria", SetCriteria, lambda b: (b.agency,), set_criteria),
    Operation("list", ListDebtor, lambda b: (b.agency,), list_debtor),
    Operation("delist", Delist, lambda b: (b.agency,), delist),
)
