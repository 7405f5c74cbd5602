"""Pledge (质押, §001-三(三)): a holder pledges a voucher to a bank for a loan.

Holder and bank both sign; the pledge is registered with a number, the pledgee, the
secured amount and the loan's due date, so the same claim is never pledged twice
(§002-(十四)). While pledged, the voucher is not pledged again, transferred, split,
redeemed, paid to a merchant, sold to an acquirer or set off unless the bank co-signs
that operation (the body names it as `pledgee`), which ends the pledge. The bank
releases a pledge (解除质押), or after the loan's due date enforces it (债权抵偿到期贷款
本息): it becomes holder of the secured amount, and any excess stays with the pledgor.

The registration also carries what the national registry and the lender need (§001-三(三)
¶2, §000-三(五)): the pledgee's filing in the 中征动产融资统一登记公示系统 (its 登记编号
and registration period, as ledger dates), and the loan itself apart from the claim that
secures it (principal and annual rate in basis points). Pledgor and bank amend the
secured amount (within the pledged state), the loan's terms and the filing together,
and renew the loan (续贷, §003-(九)) with a later due date and a new loan reference; the
bank alone releases part of the secured claim: the pledged state splits into a part that
stays pledged and the released part, free for the holder again.
  p/<pledge>                     the registration
  pn                             the last registration number given
  pv/<voucher><pledge>, po/<origin><pledge>, pb/<bank><pledge>,
  pp/<pledgor><pledge>, pd/<debtor><pledge>   the registry's indices
A pledge that would take the bank's exposure to the debtor over the limit it set is
refused (contracts.credit: this family keeps the amounts pledged to each bank there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import credit, fees
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, Fen, Hash32, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import Member, require_active
from contracts.state import (
    Overlay,
    Reader,
    get_record,
    indexed_page,
    put_record,
    records_page,
    with_status,
)
from contracts.vouchers import (
    Voucher,
    load_held,
    load_live,
    replace_with,
    require_amount,
    update,
)

NAME = "pledge"
VERSION = 2

PLEDGE_STATUSES = frozenset({"active", "released", "enforced"})
Ref = Annotated[str, Size(1, 256)]
FilingNo = Annotated[str, Size(1, 32)]
# Annual loan rates in basis points: 36 % a year is far above any bank's pledge loan, and
# the line above which Chinese courts protect no interest at all; a larger figure is a
# typing error, not a loan.
MAX_RATE_BP = 3_600
# Who lends against a pledged claim (§000-二(二)): banks and microlenders. A factoring
# company buys claims rather than lending on them (a sale, not a pledge).
LENDER_ROLES = ("bank", "microlender")
# The 中征 registry takes a period of 1 to 30 years, in whole months; the ledger keeps its
# start and end as ledger times and bounds them the same way (365 days a year: ledger
# dates are milliseconds, the registry's calendar is not the ledger's business).
DAY_MS = 86_400_000
MAX_FILING_MS = 30 * 366 * DAY_MS
FILING_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-")


@dataclass(frozen=True)
class Filing:
    """The pledgee's registration in the 中征动产融资统一登记公示系统 (中登网): its 登记编号 and
    the registration period (登记期限) it chose, as ledger times."""

    number: FilingNo
    from_ms: TimeMs
    until_ms: TimeMs


@dataclass(frozen=True)
class Pledge:
    id: Hash32
    registration_no: Annotated[str, Size(1, 32)]
    voucher: Hash32  # the pledged state; a partial release moves it to the part kept
    origin: Hash32
    debtor: Hash32
    pledgor: Hash32
    bank: Hash32
    secured_fen: Fen  # the claim the pledge secures
    loan_due_ms: TimeMs
    loan_ref: Ref  # the loan contract's reference
    loan_fen: Fen  # the loan's principal, apart from the claim securing it
    loan_rate_bp: U32  # its annual rate, basis points of the principal
    filing: Filing | None
    status: Annotated[str, OneOf(PLEDGE_STATUSES)]
    registered_at_ms: TimeMs
    changed_at_ms: TimeMs  # the last amendment, renewal or partial release
    amendments: U32
    renewals: U32
    released_fen: Fen  # released in parts so far
    ended_at_ms: TimeMs | None
    ended_by: Hash32 | None  # the release, enforcement or consented operation
    end_reason: Annotated[str, Size(0, 64)]


@dataclass(frozen=True)
class Create:
    holder: Hash32
    bank: Hash32
    voucher: Hash32
    secured_fen: Fen
    loan_due_ms: TimeMs
    loan_ref: Ref
    loan_fen: Fen
    loan_rate_bp: U32
    filing: Filing | None


@dataclass(frozen=True)
class Amend:
    """New terms of an active pledge, all of them (those that stay are repeated); the loan's
    reference changes by a renewal only."""

    pledgor: Hash32
    bank: Hash32
    pledge: Hash32
    secured_fen: Fen
    loan_due_ms: TimeMs
    loan_fen: Fen
    loan_rate_bp: U32
    filing: Filing | None


@dataclass(frozen=True)
class Renew:
    """续贷: the pledge secures a new loan that replaces the old one, due later."""

    pledgor: Hash32
    bank: Hash32
    pledge: Hash32
    loan_due_ms: TimeMs
    loan_ref: Ref


@dataclass(frozen=True)
class ReleasePart:
    bank: Hash32
    pledge: Hash32
    amount_fen: Fen


@dataclass(frozen=True)
class Release:
    bank: Hash32
    pledge: Hash32


@dataclass(frozen=True)
class Enforce:
    bank: Hash32
    pledge: Hash32


def pledge_key(pledge_id: bytes) -> bytes:
    return b"p/" + pledge_id


def by_voucher_key(voucher: bytes, pledge_id: bytes) -> bytes:
    return b"pv/" + voucher + pledge_id


def by_origin_key(origin: bytes, pledge_id: bytes) -> bytes:
    return b"po/" + origin + pledge_id


def by_bank_key(bank: bytes, pledge_id: bytes) -> bytes:
    return b"pb/" + bank + pledge_id


def by_pledgor_key(pledgor: bytes, pledge_id: bytes) -> bytes:
    return b"pp/" + pledgor + pledge_id


def by_debtor_key(debtor: bytes, pledge_id: bytes) -> bytes:
    return b"pd/" + debtor + pledge_id


# The registry's queries: what each one lists, by its index.
QUERY_INDEX = {
    "voucher": by_voucher_key,
    "origin": by_origin_key,
    "bank": by_bank_key,
    "pledgor": by_pledgor_key,
    "debtor": by_debtor_key,
}
QUERY_KINDS = frozenset(QUERY_INDEX)


def get_pledge(state: Reader, pledge_id: bytes) -> Pledge | None:
    return get_record(state, pledge_key(pledge_id), Pledge)


def pledges_page(state: Reader, after: bytes | None, limit: int, *,
                 voucher: bytes | None = None, origin: bytes | None = None,
                 bank: bytes | None = None, pledgor: bytes | None = None,
                 debtor: bytes | None = None, status: str | None = None
                 ) -> tuple[list[Pledge], bytes | None]:
    """The pledges of a voucher state, of an origin, of a bank, of a pledgor or on the
    claims of a debtor (one is given), by id after `after`, only those with `status` if
    given."""
    given = {"voucher": voucher, "origin": origin, "bank": bank, "pledgor": pledgor,
             "debtor": debtor}
    named = [(by, key) for by, key in given.items() if key is not None]
    assert len(named) == 1, "a registry query is by one thing"
    by, key = named[0]
    return query_page(state, by, key, after, limit, status)


def query_page(state: Reader, by: str, key: bytes, after: bytes | None, limit: int,
               status: str | None = None) -> tuple[list[Pledge], bytes | None]:
    """A registry query: the pledges whose `by` (one of QUERY_KINDS) is `key`, by id after
    `after`, only those with `status` if given."""
    prefix = QUERY_INDEX[by](key, b"")
    return indexed_page(state, prefix, after, limit, get_pledge, with_status(status))


def all_pledges_page(state: Reader, after: bytes | None, limit: int,
                     status: str | None = None) -> tuple[list[Pledge], bytes | None]:
    """Every pledge registration, by id after `after`, only those with `status` if given."""
    return records_page(state, pledge_key(b""), Pledge, after, limit, with_status(status))


def load_pledge(state: Reader, pledge_id: bytes) -> Pledge:
    found = get_pledge(state, pledge_id)
    if found is None:
        raise Rejected("pledge.unknown", f"no pledge {pledge_id.hex()}")
    return found


def pledgee_of(state: Reader, voucher: Voucher) -> tuple[bytes, ...]:
    """The bank a live state is pledged to, as event parties: (bank,) or ()."""
    if voucher.pledge is None:
        return ()
    pledge = get_pledge(state, voucher.pledge)
    assert pledge is not None and pledge.status == "active", "a voucher's pledge is active"
    return (pledge.bank,)


def _next_registration_no(state: Overlay) -> str:
    raw = state.get(b"pn")
    number = (int.from_bytes(raw, "big") if raw else 0) + 1
    state.put(b"pn", number.to_bytes(8, "big"))
    return f"ZY{number:010d}"


def _finish(ctx: Context, pledge: Pledge, status: str, reason: str) -> None:
    put_record(ctx.state, pledge_key(pledge.id), replace(
        pledge, status=status, ended_at_ms=ctx.time_ms, ended_by=ctx.tx_id, end_reason=reason))


def clear_for(ctx: Context, voucher: Voucher, pledgee: bytes | None, operation: str) -> Voucher:
    """The voucher freed for `operation`: unpledged, or pledged with its bank co-signing.

    A pledged voucher moves only if the body names its bank as `pledgee` (so the bank
    signs); the pledge then ends as released by consent. Naming a pledgee on a voucher
    that is not pledged to it is refused, so nobody signs for a pledge that is not there.
    """
    if voucher.pledge is None:
        require(pledgee is None, "pledge.not_pledged",
                "the voucher is not pledged; name no pledgee")
        return voucher
    pledge = load_pledge(ctx.state, voucher.pledge)
    require(
        pledgee is not None,
        "voucher.pledged",
        f"the voucher is pledged to bank {pledge.bank.hex()} (registration "
        f"{pledge.registration_no}); it moves only with the bank co-signing",
    )
    require(pledgee == pledge.bank, "pledge.wrong_bank",
            f"the voucher is pledged to {pledge.bank.hex()}, not to {(pledgee or b'').hex()}")
    require_lender(ctx.state, pledge.bank)
    _finish(ctx, pledge, "released", f"consented: {operation}"[:64])
    credit.add_pledged(ctx.state, pledge.bank, pledge.debtor, -pledge.secured_fen)
    ctx.emit("pledge.released", pledge.id, pledge.pledgor, pledge.bank, voucher.debtor)
    return update(ctx.state, voucher, pledge=None)


# ------------------------------------------------------------------ terms


def require_loan(loan_fen: int, loan_rate_bp: int, loan_due_ms: int, time_ms: int) -> None:
    """A loan's terms: a principal, a rate within MAX_RATE_BP, due after `time_ms`."""
    require(loan_fen > 0, "pledge.bad_loan", "the loan's principal is at least 1 fen")
    require(loan_rate_bp <= MAX_RATE_BP, "pledge.bad_rate",
            f"the loan's annual rate is at most {MAX_RATE_BP} basis points "
            f"({MAX_RATE_BP // 100} %), not {loan_rate_bp}")
    require(loan_due_ms > time_ms, "pledge.loan_due_in_past",
            "the loan's due date lies after the ledger time")


def require_filing(filing: Filing | None, time_ms: int) -> None:
    """A 中登网 filing: a registry number of capitals, digits and hyphens, and a period that
    has not ended, of at most 30 years."""
    if filing is None:
        return
    require(set(filing.number) <= FILING_CHARACTERS, "pledge.bad_filing_no",
            "a 中登网 registration number has capital letters, digits and hyphens only")
    require(filing.from_ms < filing.until_ms, "pledge.bad_filing_period",
            "the registration period ends after it starts")
    require(filing.until_ms - filing.from_ms <= MAX_FILING_MS, "pledge.bad_filing_period",
            "a registration period is at most 30 years")
    require(filing.until_ms > time_ms, "pledge.filing_expired",
            "the registration period has ended already")


def _require_terms(ctx: Context, voucher: Voucher, body: Create | Amend) -> None:
    require_amount(body.secured_fen, voucher.amount_fen)
    require_loan(body.loan_fen, body.loan_rate_bp, body.loan_due_ms, ctx.time_ms)
    require_filing(body.filing, ctx.time_ms)


# ------------------------------------------------------------------ operations


def require_lender(state: Reader, address: bytes) -> Member:
    """The active member at `address`, holding a lender's role (LENDER_ROLES)."""
    member = require_active(state, address)
    require(any(role in LENDER_ROLES for role in member.roles), "membership.missing_role",
            f"member {member.name} is not a lender (a bank or a microlender): it takes no "
            "pledge")
    return member


def register(ctx: Context, voucher: Voucher, body: Create) -> Pledge:
    """Register the pledge `body` of `voucher` (a state its holder holds, not reserved),
    which holder and bank both sign; for every operation that ends in a pledge."""
    bank = body.bank
    require_lender(ctx.state, bank)
    require(bank != voucher.holder, "pledge.self", "a member does not pledge to itself")
    if voucher.pledge is not None:
        existing = load_pledge(ctx.state, voucher.pledge)
        raise Rejected(
            "voucher.pledged",
            f"the voucher is already pledged (registration {existing.registration_no}); "
            "a claim is pledged once",
        )
    _require_terms(ctx, voucher, body)
    credit.require_exposure_within_limit(ctx.state, bank, voucher.debtor, body.secured_fen)
    pledge = Pledge(
        id=ctx.tx_id,
        registration_no=_next_registration_no(ctx.state),
        voucher=voucher.id,
        origin=voucher.origin,
        debtor=voucher.debtor,
        pledgor=voucher.holder,
        bank=bank,
        secured_fen=body.secured_fen,
        loan_due_ms=body.loan_due_ms,
        loan_ref=body.loan_ref,
        loan_fen=body.loan_fen,
        loan_rate_bp=body.loan_rate_bp,
        filing=body.filing,
        status="active",
        registered_at_ms=ctx.time_ms,
        changed_at_ms=ctx.time_ms,
        amendments=0,
        renewals=0,
        released_fen=0,
        ended_at_ms=None,
        ended_by=None,
        end_reason="",
    )
    put_record(ctx.state, pledge_key(pledge.id), pledge)
    ctx.state.put(by_voucher_key(voucher.id, pledge.id), b"")
    ctx.state.put(by_origin_key(voucher.origin, pledge.id), b"")
    ctx.state.put(by_bank_key(bank, pledge.id), b"")
    ctx.state.put(by_pledgor_key(voucher.holder, pledge.id), b"")
    ctx.state.put(by_debtor_key(voucher.debtor, pledge.id), b"")
    update(ctx.state, voucher, pledge=pledge.id)
    credit.add_pledged(ctx.state, bank, voucher.debtor, body.secured_fen)
    fees.charge(ctx, voucher.holder, "pledge", voucher.amount_fen)
    ctx.emit("pledge.registered", pledge.id, voucher.holder, bank, voucher.debtor)
    return pledge


def create(ctx: Context, body: Create) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    register(ctx, voucher, body)


def _active_pledge_of_bank(ctx: Context, pledge_id: bytes, bank: bytes) -> Pledge:
    pledge = load_pledge(ctx.state, pledge_id)
    require(pledge.bank == bank, "pledge.not_pledgee", "only the pledgee bank may do this")
    require_lender(ctx.state, bank)
    require(pledge.status == "active", "pledge.not_active", f"the pledge is {pledge.status}")
    return pledge


def _active_pledge_of_both(ctx: Context, pledge_id: bytes, pledgor: bytes,
                           bank: bytes) -> Pledge:
    pledge = _active_pledge_of_bank(ctx, pledge_id, bank)
    require(pledge.pledgor == pledgor, "pledge.not_pledgor",
            "only the pledgor changes the pledge with its bank")
    return pledge


def amend(ctx: Context, body: Amend) -> None:
    pledge = _active_pledge_of_both(ctx, body.pledge, body.pledgor, body.bank)
    voucher = load_live(ctx.state, pledge.voucher)
    _require_terms(ctx, voucher, body)
    terms = dict(secured_fen=body.secured_fen, loan_due_ms=body.loan_due_ms,
                 loan_fen=body.loan_fen, loan_rate_bp=body.loan_rate_bp, filing=body.filing)
    require(any(getattr(pledge, name) != value for name, value in terms.items()),
            "pledge.no_change", "the new terms are the pledge's terms already")
    credit.require_exposure_within_limit(ctx.state, pledge.bank, pledge.debtor,
                                         body.secured_fen - pledge.secured_fen)
    credit.add_pledged(ctx.state, pledge.bank, pledge.debtor,
                       body.secured_fen - pledge.secured_fen)
    put_record(ctx.state, pledge_key(pledge.id), replace(
        pledge, **terms, changed_at_ms=ctx.time_ms, amendments=pledge.amendments + 1))
    ctx.emit("pledge.amended", pledge.id, pledge.pledgor, pledge.bank)


def renew(ctx: Context, body: Renew) -> None:
    pledge = _active_pledge_of_both(ctx, body.pledge, body.pledgor, body.bank)
    require(body.loan_due_ms > max(pledge.loan_due_ms, ctx.time_ms),
            "pledge.renewal_not_later",
            "a renewed loan falls due after the loan it replaces and after the ledger time")
    require(body.loan_ref != pledge.loan_ref, "pledge.same_loan",
            "a renewal is a new loan contract: give its reference")
    put_record(ctx.state, pledge_key(pledge.id), replace(
        pledge, loan_due_ms=body.loan_due_ms, loan_ref=body.loan_ref,
        changed_at_ms=ctx.time_ms, renewals=pledge.renewals + 1))
    ctx.emit("pledge.renewed", pledge.id, pledge.pledgor, pledge.bank)


def release_part(ctx: Context, body: ReleasePart) -> None:
    pledge = _active_pledge_of_bank(ctx, body.pledge, body.bank)
    require(body.amount_fen > 0, "voucher.bad_amount", "an amount is at least 1 fen")
    require(body.amount_fen < pledge.secured_fen, "pledge.part_not_less",
            f"a part released is less than the {pledge.secured_fen} fen secured; release "
            "the whole pledge instead")
    voucher = load_live(ctx.state, pledge.voucher)
    assert voucher.reserved_by is None, "a pledged voucher is never reserved"
    assert pledge.secured_fen <= voucher.amount_fen
    # The state splits in two, both the holder's: the part that stays pledged (what is
    # still secured, and what the pledge held beyond it) and the part released. They add
    # up to the state, so the claim's parts still add up to what the debtor owes.
    voucher = update(ctx.state, voucher, pledge=None)
    kept, freed = replace_with(ctx.state, voucher, [
        (voucher.holder, voucher.amount_fen - body.amount_fen, "split"),
        (voucher.holder, body.amount_fen, "split")], ctx.tx_id, ctx.time_ms, ctx.height)
    update(ctx.state, kept, pledge=pledge.id)
    ctx.state.put(by_voucher_key(kept.id, pledge.id), b"")
    put_record(ctx.state, pledge_key(pledge.id), replace(
        pledge, voucher=kept.id, secured_fen=pledge.secured_fen - body.amount_fen,
        released_fen=pledge.released_fen + body.amount_fen, changed_at_ms=ctx.time_ms))
    credit.add_pledged(ctx.state, pledge.bank, pledge.debtor, -body.amount_fen)
    ctx.emit("pledge.part_released", pledge.id, pledge.pledgor, pledge.bank, voucher.debtor)
    for part in (kept, freed):
        ctx.emit("voucher.split", part.id, voucher.holder, voucher.debtor)


def release(ctx: Context, body: Release) -> None:
    pledge = _active_pledge_of_bank(ctx, body.pledge, body.bank)
    voucher = load_live(ctx.state, pledge.voucher)
    _finish(ctx, pledge, "released", "released by the bank")
    credit.add_pledged(ctx.state, pledge.bank, pledge.debtor, -pledge.secured_fen)
    update(ctx.state, voucher, pledge=None)
    ctx.emit("pledge.released", pledge.id, pledge.pledgor, pledge.bank, voucher.debtor)


def enforce(ctx: Context, body: Enforce) -> None:
    pledge = _active_pledge_of_bank(ctx, body.pledge, body.bank)
    require(
        ctx.time_ms > pledge.loan_due_ms,
        "pledge.loan_not_due",
        "a pledge is enforced only after the loan's due date",
    )
    voucher = load_live(ctx.state, pledge.voucher)
    _finish(ctx, pledge, "enforced", "enforced after the loan fell due")
    # What was pledged becomes held (at most the secured amount): no new exposure.
    credit.add_pledged(ctx.state, pledge.bank, pledge.debtor, -pledge.secured_fen)
    assert voucher.reserved_by is None, "a pledged voucher is never reserved"
    voucher = update(ctx.state, voucher, pledge=None)
    taken_fen = min(pledge.secured_fen, voucher.amount_fen)
    parts = [(pledge.bank, taken_fen, "enforcement")]
    if voucher.amount_fen > taken_fen:
        parts.append((voucher.holder, voucher.amount_fen - taken_fen, "remainder"))
    created = replace_with(ctx.state, voucher, parts, ctx.tx_id, ctx.time_ms, ctx.height)
    ctx.emit("pledge.enforced", pledge.id, pledge.pledgor, pledge.bank, voucher.debtor)
    for part in created:
        ctx.emit("voucher.transferred" if part.holder == pledge.bank else "voucher.remainder",
                 part.id, part.holder, voucher.holder, voucher.debtor)


# ------------------------------------------------------------------ who may read


@dataclass(frozen=True)
class Notice:
    """What the registry shows every member of a pledge (登记公示, §000-三(五)), as the
    national registry (中登网) shows anyone who searches it: which claim (its state, its
    issued voucher, its debtor) is pledged by whom to which bank, under which numbers and
    period, since when, and whether it still is; not the loan it secures."""

    id: Hash32
    registration_no: Annotated[str, Size(1, 32)]
    voucher: Hash32
    origin: Hash32
    debtor: Hash32
    pledgor: Hash32
    bank: Hash32
    filing: Filing | None
    status: Annotated[str, OneOf(PLEDGE_STATUSES)]
    registered_at_ms: TimeMs
    changed_at_ms: TimeMs
    ended_at_ms: TimeMs | None


def notice_of(pledge: Pledge) -> Notice:
    """The registry's public notice of a pledge."""
    return Notice(pledge.id, pledge.registration_no, pledge.voucher, pledge.origin,
                  pledge.debtor, pledge.pledgor, pledge.bank, pledge.filing, pledge.status,
                  pledge.registered_at_ms, pledge.changed_at_ms, pledge.ended_at_ms)


def may_read_pledge(state: Reader, caller: Caller, pledge: Pledge) -> bool:
    """A registration with its loan (secured amount, principal, rate, due date and
    reference) is the pledgor's and the bank's; a member the holder asked to co-sign on the
    pledged state reads it to decide. The debtor learns of the pledge and reads its
    notice: the loan is not its business."""
    return caller.oversees or caller.one_of(pledge.pledgor, pledge.bank) \
        or (caller.member and pledge.voucher in caller.asked)


def may_read_pledge_notice(state: Reader, caller: Caller, notice: Notice) -> bool:
    """The registry is public to the members as the national one (中登网) is to anyone:
    any member asks which claims a pledgor pledged, which claims on a debtor are pledged,
    and whether a claim is pledged and to whom, under which filing, so that nobody takes
    or lends on a claim pledged already (§002-(十四): 重复抵质押); the answer may come as
    a signed query certificate (查询证明). The loan stays the parties'."""
    return caller.member


def may_read_voucher_as_pledgee(state: Reader, caller: Caller, voucher: Voucher) -> bool:
    """The bank reads a voucher state while its pledge on it is active: it must see what
    secures its loan. After a release the state is the holder's alone again; after an
    enforcement the bank holds its part."""
    if voucher.pledge is None or not caller.member:
        return False
    pledge = get_pledge(state, voucher.pledge)
    assert pledge is not None, "a voucher's pledge is registered"
    return caller.one_of(pledge.bank)


READS = (
    Read("pledge", ("pledgor", "pledgee", "asked", *OVERSIGHT), may_read_pledge,
         not_readers=("debtor",)),
    Read("pledge_notice", ("member",), may_read_pledge_notice),
    Read("voucher", ("pledgee",), may_read_voucher_as_pledgee),
)


OPERATIONS = (
    Operation("create", Create, lambda b: (b.holder, b.bank), create),
    Operation("amend", Amend, lambda b: (b.pledgor, b.bank), amend),
    Operation("renew", Renew, lambda b: (b.pledgor, b.bank), renew),
    Operation("release_part", ReleasePart, lambda b: (b.bank,), release_part),
    Operation("release", Release, lambda b: (b.bank,), release),
    Operation("enforce", Enforce, lambda b: (b.bank,), enforce),
)
