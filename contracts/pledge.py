"""Pledge (质押, §001-三(三)): a holder pledges a voucher to a bank for a loan.

Holder and bank both sign; the pledge is registered with a number, the pledgee, the
secured amount and the loan's due date, so the same claim is never pledged twice
(§002-(十四)). While pledged, the voucher is not pledged again, transferred, split,
redeemed, paid to a merchant, sold to an acquirer or set off unless the bank co-signs
that operation (the body names it as `pledgee`), which ends the pledge. The bank
releases a pledge (解除质押), or after the loan's due date enforces it (债权抵偿到期贷款
本息): it becomes holder of the secured amount, and any excess stays with the pledgor.
  p/<pledge>                     the registration
  pn                             the last registration number given
  pv/<voucher><pledge>, po/<origin><pledge>, pb/<bank><pledge>   the registry's indices
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import fees
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import Fen, Hash32, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.state import (
    Overlay,
    Reader,
    get_record,
    indexed_page,
    put_record,
    records_page,
    with_status,
)
from contracts.vouchers import Voucher, load_held, load_live, replace_with, require_amount, update

NAME = "pledge"
VERSION = 1

PLEDGE_STATUSES = frozenset({"active", "released", "enforced"})
Ref = Annotated[str, Size(1, 256)]


@dataclass(frozen=True)
class Pledge:
    id: Hash32
    registration_no: Annotated[str, Size(1, 32)]
    voucher: Hash32
    origin: Hash32
    pledgor: Hash32
    bank: Hash32
    secured_fen: Fen
    loan_due_ms: TimeMs
    loan_ref: Ref
    status: Annotated[str, OneOf(PLEDGE_STATUSES)]
    registered_at_ms: TimeMs
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


def get_pledge(state: Reader, pledge_id: bytes) -> Pledge | None:
    return get_record(state, pledge_key(pledge_id), Pledge)


def pledges_page(state: Reader, after: bytes | None, limit: int, *,
                 voucher: bytes | None = None, origin: bytes | None = None,
                 bank: bytes | None = None, status: str | None = None
                 ) -> tuple[list[Pledge], bytes | None]:
    """The pledges of a voucher state, of an origin or of a bank (one is given), by id after
    `after`, only those with `status` if given."""
    assert [voucher, origin, bank].count(None) == 2
    if voucher is not None:
        prefix = by_voucher_key(voucher, b"")
    elif origin is not None:
        prefix = by_origin_key(origin, b"")
    else:
        prefix = by_bank_key(bank or b"", b"")

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
    require_active(ctx.state, pledge.bank, "bank")
    _finish(ctx, pledge, "released", f"consented: {operation}"[:64])
    ctx.emit("pledge.released", pledge.id, pledge.pledgor, pledge.bank, voucher.debtor)
    return update(ctx.state, voucher, pledge=None)


# ------------------------------------------------------------------ operations


def create(ctx: Context, body: Create) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    require_active(ctx.state, body.bank, "bank")
    require(body.bank != body.holder, "pledge.self", "a member does not pledge to itself")
    if voucher.pledge is not None:
        existing = load_pledge(ctx.state, voucher.pledge)
        raise Rejected(
            "voucher.pledged",
            f"the voucher is already pledged (registration {existing.registration_no}); "
            "a claim is pledged once",
        )
    require_amount(body.secured_fen, voucher.amount_fen)
    require(body.loan_due_ms > ctx.time_ms, "pledge.loan_due_in_past",
            "the loan's due date lies after the ledger time")
    pledge = Pledge(
        id=ctx.tx_id,
        registration_no=_next_registration_no(ctx.state),
        voucher=voucher.id,
        origin=voucher.origin,
        pledgor=body.holder,
        bank=body.bank,
        secured_fen=body.secured_fen,
        loan_due_ms=body.loan_due_ms,
        loan_ref=body.loan_ref,
        status="active",
        registered_at_ms=ctx.time_ms,
        ended_at_ms=None,
        ended_by=None,
        end_reason="",
    )
    put_record(ctx.state, pledge_key(pledge.id), pledge)
    ctx.state.put(by_voucher_key(voucher.id, pledge.id), b"")
    ctx.state.put(by_origin_key(voucher.origin, pledge.id), b"")
    ctx.state.put(by_bank_key(body.bank, pledge.id), b"")
    update(ctx.state, voucher, pledge=pledge.id)
    fees.charge(ctx, body.holder, "pledge", voucher.amount_fen)
    ctx.emit("pledge.registered", pledge.id, body.holder, body.bank, voucher.debtor)


def _active_pledge_of_bank(ctx: Context, pledge_id: bytes, bank: bytes) -> Pledge:
    pledge = load_pledge(ctx.state, pledge_id)
    require(pledge.bank == bank, "pledge.not_pledgee", "only the pledgee bank may do this")
    require_active(ctx.state, bank, "bank")
    require(pledge.status == "active", "pledge.not_active", f"the pledge is {pledge.status}")
    return pledge


def release(ctx: Context, body: Release) -> None:
    pledge = _active_pledge_of_bank(ctx, body.pledge, body.bank)
    voucher = load_live(ctx.state, pledge.voucher)
    _finish(ctx, pledge, "released", "released by the bank")
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
    """What the registry shows every member of a pledge (登记公示, §000-三(五)): which
    claim is pledged to which bank, under which number, since when, and whether it still
    is; not the pledgor, nor the loan it secures."""

    id: Hash32
    registration_no: Annotated[str, Size(1, 32)]
    voucher: Hash32
    origin: Hash32
    bank: Hash32
    status: Annotated[str, OneOf(PLEDGE_STATUSES)]
    registered_at_ms: TimeMs
    ended_at_ms: TimeMs | None


def notice_of(pledge: Pledge) -> Notice:
    """The registry's public notice of a pledge."""
    return Notice(pledge.id, pledge.registration_no, pledge.voucher, pledge.origin,
                  pledge.bank, pledge.status, pledge.registered_at_ms, pledge.ended_at_ms)


def may_read_pledge(state: Reader, caller: Caller, pledge: Pledge) -> bool:
    """A registration with its loan (secured amount, loan due date and reference) is the
    pledgor's and the bank's; a member the holder asked to co-sign on the pledged state
    reads it to decide. The debtor learns of the pledge and reads its notice: the loan is
    not its business."""
    return caller.oversees or caller.one_of(pledge.pledgor, pledge.bank) \
        or (caller.member and pledge.voucher in caller.asked)


def may_read_pledge_notice(state: Reader, caller: Caller, notice: Notice) -> bool:
    """Any member may ask whether a claim is pledged and to whom (the registry's public
    notice, 登记公示), so that nobody takes or lends on a claim pledged already
    (§002-(十四): 重复抵质押)."""
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
    Operation("release", Release, lambda b: (b.bank,), release),
    Operation("enforce", Enforce, lambda b: (b.bank,), enforce),
)
