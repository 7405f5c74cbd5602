"""Transfer and split (流转/转让, §001-三(三)): the holder passes all or part of a claim on.

A transfer is an act of both parties (双方当事人): it completes only when the transferee
signs (签收). Either both sign one `transfer` on the spot, or the holder `offer`s alone
and the transferee signs, refuses (with a reason) or lets the offer lapse, and the
holder may withdraw it until then. While an offer is pending the offered part is
reserved (contracts.vouchers.reserve: split off first, so the remainder stays free for
its holder) and nothing else moves it; on signing that reserved state passes whole to
the transferee. A transfer records its transfer contract's reference (转让合同) and may
name confidential documents attached beforehand and sealed to both parties.

A transfer consumes the voucher and creates the transferred part for the transferee
and, for a part transfer, the remainder for the holder; each new state points to its
parent and its origin. The debtor's obligation and settlement method never change. The
debtor is notified (an event addressed to it) when a transfer completes, and the
transferor owes the service fee. A split divides a voucher among its own holder (to
pledge or pay a part), without fee.

A holder offers alone, so it could fill a member's list: at most MAX_PENDING_PER_PAIR of
one holder's offers wait for one transferee at a time. An offer is signed within
1..MAX_SIGN_DAYS days by ledger time; the end-of-block step lapses at most
MAX_LAPSES_PER_BLOCK offers whose time passed, the rest in the next blocks.
  tp/<id>                        pending transfers (signed, refused, withdrawn, lapsed too)
  tph/<holder><id>, tpt/<to><id>     a holder's offers / a transferee's
  tpq/<sign_by_ms:8><id>         offers waiting for their transferee, by deadline
  tpn/<holder><to>               how many of the holder's offers wait for the transferee
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import credit, fees
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, Fen, Hash32, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.documents import Documents, require_documents
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.pledge import clear_for
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
    MAX_PARTS,
    Voucher,
    load_held,
    part_id,
    replace_with,
    require_amount,
    require_can_hold,
    reserve,
    unreserve,
)

NAME = "transfer"
VERSION = 1

DAY_MS = 86_400_000
MAX_SIGN_DAYS = 30  # an offer waits a month at most for its transferee
MAX_PENDING_PER_PAIR = 100  # one holder's offers waiting for one transferee
MAX_LAPSES_PER_BLOCK = 200  # the end-of-block step's bound; the rest lapse in the next blocks
MAX_END_BLOCK_EVENTS = MAX_LAPSES_PER_BLOCK  # one `transfer.lapsed` each

STATUSES = ("pending", "signed", "refused", "withdrawn", "lapsed")
ContractRef = Annotated[str, Size(1, 256)]  # the transfer contract (转让合同) it rests on
Reason = Annotated[str, Size(0, 256)]


@dataclass(frozen=True)
class Transfer:
    """A transfer both parties sign at once."""

    holder: Hash32
    voucher: Hash32
    to: Hash32
    amount_fen: Fen
    pledgee: Hash32 | None  # the bank of a pledged voucher, co-signing its release
    contract_ref: ContractRef
    documents: Documents = ()  # ids of attached documents sealed to holder and transferee


@dataclass(frozen=True)
class Offer:
    """A transfer the holder signs alone, for the transferee to sign within `days`."""

    holder: Hash32
    voucher: Hash32
    to: Hash32
    amount_fen: Fen
    pledgee: Hash32 | None
    contract_ref: ContractRef
    days: U32  # the transferee signs within this many days (1..MAX_SIGN_DAYS)
    documents: Documents = ()


@dataclass(frozen=True)
class PendingTransfer:
    id: Hash32  # the offer transaction's id
    holder: Hash32
    to: Hash32
    debtor: Hash32
    voucher: Hash32  # the reserved state the transferee receives whole
    amount_fen: Fen
    contract_ref: ContractRef
    documents: Documents
    offered_at_ms: TimeMs
    sign_by_ms: TimeMs
    status: Annotated[str, OneOf(frozenset(STATUSES))]
    decided_at_ms: TimeMs | None  # signed, refused, withdrawn or lapsed
    moved: Hash32 | None  # the transferee's state, once signed
    reason: Reason  # why the transferee refused


@dataclass(frozen=True)
class Sign:
    to: Hash32
    transfer: Hash32


@dataclass(frozen=True)
class Refuse:
    to: Hash32
    transfer: Hash32
    reason: Annotated[str, Size(1, 256)]


@dataclass(frozen=True)
class Withdraw:
    holder: Hash32
    transfer: Hash32


@dataclass(frozen=True)
class Split:
    holder: Hash32
    voucher: Hash32
    amounts_fen: Annotated[tuple[Fen, ...], Size(2, MAX_PARTS)]
    pledgee: Hash32 | None


def with_pledgee(signers: tuple[bytes, ...], pledgee: bytes | None) -> tuple[bytes, ...]:
    return signers if pledgee is None else (*signers, pledgee)


# ------------------------------------------------------------------ state keys


def pending_transfer_key(transfer_id: bytes) -> bytes:
    return b"tp/" + transfer_id


def holder_index_key(holder: bytes, transfer_id: bytes) -> bytes:
    return b"tph/" + holder + transfer_id


def transferee_index_key(to: bytes, transfer_id: bytes) -> bytes:
    return b"tpt/" + to + transfer_id


def deadline_key(sign_by_ms: int, transfer_id: bytes) -> bytes:
    return b"tpq/" + sign_by_ms.to_bytes(8, "big") + transfer_id


def pair_key(holder: bytes, to: bytes) -> bytes:
    return b"tpn/" + holder + to


def pending_count(state: Reader, holder: bytes, to: bytes) -> int:
    """How many of `holder`'s offers wait for `to` to sign."""
    return get_count(state, pair_key(holder, to))


def _count_pending(state: Overlay, pending: PendingTransfer, change: int) -> None:
    add_count(state, pair_key(pending.holder, pending.to), change, MAX_PENDING_PER_PAIR)


def get_pending_transfer(state: Reader, transfer_id: bytes) -> PendingTransfer | None:
    return get_record(state, pending_transfer_key(transfer_id), PendingTransfer)


def transfers_page(state: Reader, after: bytes | None, limit: int, *,
                   holder: bytes | None = None, to: bytes | None = None,
                   status: str | None = None) -> tuple[list[PendingTransfer], bytes | None]:
    """A holder's or a transferee's transfers (one is given), by id after `after`, only
    those with `status` if given."""
    assert (holder is None) != (to is None)
    prefix = holder_index_key(holder, b"") if holder is not None \
        else transferee_index_key(to or b"", b"")
    return indexed_page(state, prefix, after, limit, get_pending_transfer, with_status(status))


# ------------------------------------------------------------------ rules


def _check_move(ctx: Context, holder: bytes, voucher_id: bytes, to: bytes,
                amount_fen: int, pledgee: bytes | None, operation: str) -> Voucher:
    """The held voucher, freed of its pledge, once `to` may take `amount_fen` of it."""
    voucher = load_held(ctx.state, voucher_id, holder)
    require(to != voucher.holder, "transfer.to_self", "the transferee is already the holder")
    require(to != voucher.debtor, "transfer.to_debtor",
            "a claim passed to its own debtor would be settled; use a redemption")
    require_can_hold(ctx.state, to)
    require_amount(amount_fen, voucher.amount_fen)
    return clear_for(ctx, voucher, pledgee, operation)


def _hand_over(ctx: Context, voucher: Voucher, to: bytes, amount_fen: int, cause: str) -> bytes:
    """Give `amount_fen` of a freed voucher to `to`, the rest staying with its holder; the
    debtor is told and the transferor owes the fee. Returns the moved part's id."""
    parts = [(to, amount_fen, cause)]
    if amount_fen < voucher.amount_fen:
        parts.append((voucher.holder, voucher.amount_fen - amount_fen, "remainder"))
    moved, *rest = replace_with(ctx.state, voucher, parts, ctx.tx_id, ctx.time_ms, ctx.height)
    ctx.emit("voucher.transferred", moved.id, voucher.holder, to, voucher.debtor)
    for remainder in rest:
        ctx.emit("voucher.remainder", remainder.id, voucher.holder, voucher.debtor)
    fees.charge(ctx, voucher.holder, "transfer", amount_fen)
    return moved.id


def move_part(ctx: Context, body_holder: bytes, voucher_id: bytes, to: bytes, amount_fen: int,
              pledgee: bytes | None, cause: str, operation: str) -> bytes:
    """Move `amount_fen` of a voucher from its holder to `to`; returns the moved part's id.
    Both sign the transaction that calls it (a transfer, a merchant payment)."""
    voucher = _check_move(ctx, body_holder, voucher_id, to, amount_fen, pledgee, operation)
    # Checked where the transferee signs (here and in `sign`, not at an offer): the refusal
    # names its exposure, which is the transferee's to read.
    credit.require_exposure_within_limit(ctx.state, to, voucher.debtor, amount_fen)
    return _hand_over(ctx, voucher, to, amount_fen, cause)


def transfer(ctx: Context, body: Transfer) -> None:
    require_documents(ctx.state, body.documents, (body.holder, body.to))
    move_part(ctx, body.holder, body.voucher, body.to, body.amount_fen, body.pledgee,
              "transfer", "transfer")


def offer(ctx: Context, body: Offer) -> None:
    require(1 <= body.days <= MAX_SIGN_DAYS, "transfer.bad_days",
            f"the transferee signs within 1 to {MAX_SIGN_DAYS} days, not {body.days}")
    require(pending_count(ctx.state, body.holder, body.to) < MAX_PENDING_PER_PAIR,
            "transfer.too_many_pending",
            f"{MAX_PENDING_PER_PAIR} of your transfers already wait for this transferee to "
            "sign; offer again once it has answered some (or withdraw one)")
    require_documents(ctx.state, body.documents, (body.holder, body.to))
    voucher = _check_move(ctx, body.holder, body.voucher, body.to, body.amount_fen,
                          body.pledgee, "transfer offer")
    reserved, remainder = reserve(ctx.state, voucher, body.amount_fen, ctx.tx_id, ctx.tx_id,
                                  ctx.time_ms, ctx.height)
    if remainder is not None:
        ctx.emit("voucher.split", reserved.id, voucher.holder, voucher.debtor)
        ctx.emit("voucher.remainder", remainder.id, voucher.holder, voucher.debtor)
    pending = PendingTransfer(
        id=ctx.tx_id, holder=body.holder, to=body.to, debtor=voucher.debtor,
        voucher=reserved.id, amount_fen=body.amount_fen, contract_ref=body.contract_ref,
        documents=body.documents, offered_at_ms=ctx.time_ms,
        sign_by_ms=ctx.time_ms + body.days * DAY_MS, status="pending", decided_at_ms=None,
        moved=None, reason="",
    )
    put_record(ctx.state, pending_transfer_key(pending.id), pending)
    ctx.state.put(holder_index_key(pending.holder, pending.id), b"")
    ctx.state.put(transferee_index_key(pending.to, pending.id), b"")
    ctx.state.put(deadline_key(pending.sign_by_ms, pending.id), b"")
    _count_pending(ctx.state, pending, +1)
    ctx.emit("transfer.offered", pending.id, pending.holder, pending.to)


def _load(state: Reader, transfer_id: bytes) -> PendingTransfer:
    pending = get_pending_transfer(state, transfer_id)
    if pending is None:
        raise Rejected("transfer.unknown", f"no pending transfer {transfer_id.hex()}")
    return pending


def _awaiting(ctx: Context, transfer_id: bytes) -> PendingTransfer:
    """A transfer still waiting for its transferee, within its time to sign."""
    pending = _load(ctx.state, transfer_id)
    require(pending.status in ("pending", "lapsed"), "transfer.not_pending",
            f"the transfer is {pending.status}")
    require(pending.status == "pending" and ctx.time_ms <= pending.sign_by_ms,
            "transfer.lapsed", "the time to sign this transfer has passed; the holder may "
            "offer it again")
    return pending


def _close(ctx: Context, pending: PendingTransfer, status: str, **changes) -> Voucher:
    """The offer no longer waits: it takes `status`, and its part is free again (the
    caller may then move it)."""
    assert pending.status == "pending"
    put_record(ctx.state, pending_transfer_key(pending.id), replace(
        pending, status=status, decided_at_ms=ctx.time_ms, **changes))
    ctx.state.delete(deadline_key(pending.sign_by_ms, pending.id))
    _count_pending(ctx.state, pending, -1)
    return unreserve(ctx.state, pending.voucher, pending.id)


def sign(ctx: Context, body: Sign) -> None:
    pending = _awaiting(ctx, body.transfer)
    require(pending.to == body.to, "transfer.not_transferee",
            "only the transferee named in the transfer signs or refuses it")
    require_can_hold(ctx.state, body.to)
    require_active(ctx.state, pending.holder)
    credit.require_exposure_within_limit(ctx.state, body.to, pending.debtor, pending.amount_fen)
    # The part's id is known before it is created: the state's first part in this tx.
    moved_id = part_id(ctx.tx_id, pending.voucher, 0)
    voucher = _close(ctx, pending, "signed", moved=moved_id)
    assert voucher.amount_fen == pending.amount_fen and voucher.holder == pending.holder
    assert _hand_over(ctx, voucher, body.to, voucher.amount_fen, "transfer") == moved_id
    ctx.emit("transfer.signed", pending.id, pending.holder, pending.to)


def refuse(ctx: Context, body: Refuse) -> None:
    pending = _awaiting(ctx, body.transfer)
    require(pending.to == body.to, "transfer.not_transferee",
            "only the transferee named in the transfer signs or refuses it")
    _close(ctx, pending, "refused", reason=body.reason)
    ctx.emit("transfer.refused", pending.id, pending.holder, pending.to)


def withdraw(ctx: Context, body: Withdraw) -> None:
    pending = _load(ctx.state, body.transfer)
    require(pending.holder == body.holder, "transfer.not_holder",
            "only the holder who offered a transfer withdraws it")
    require(pending.status == "pending", "transfer.not_pending",
            f"the transfer is {pending.status}")
    _close(ctx, pending, "withdrawn")
    ctx.emit("transfer.withdrawn", pending.id, pending.holder, pending.to)


def split(ctx: Context, body: Split) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    for amount_fen in body.amounts_fen:
        require(amount_fen > 0, "voucher.bad_amount", "every part is at least 1 fen")
    require(
        sum(body.amounts_fen) == voucher.amount_fen,
        "voucher.parts_mismatch",
        f"the parts add up to {sum(body.amounts_fen)} fen; the voucher holds "
        f"{voucher.amount_fen}",
    )
    voucher = clear_for(ctx, voucher, body.pledgee, "split")
    parts = [(voucher.holder, amount_fen, "split") for amount_fen in body.amounts_fen]
    for part in replace_with(ctx.state, voucher, parts, ctx.tx_id, ctx.time_ms, ctx.height):
        ctx.emit("voucher.split", part.id, voucher.holder, voucher.debtor)


def end_block(ctx: Context) -> None:
    """Lapse the offers whose time to sign passed before this block's time, earliest
    first and at most MAX_LAPSES_PER_BLOCK; the rest stay queued for the next blocks
    (nobody can sign or refuse them meanwhile: their time is over). Each part is free
    again for its holder."""
    lapsed: list[bytes] = []
    for key, _ in ctx.state.scan(b"tpq/"):
        sign_by_ms = int.from_bytes(key[4:12], "big")
        if sign_by_ms >= ctx.time_ms or len(lapsed) >= MAX_LAPSES_PER_BLOCK:
            break
        lapsed.append(key[12:])
    for transfer_id in lapsed:
        pending = _load(ctx.state, transfer_id)
        _close(ctx, pending, "lapsed")
        ctx.emit("transfer.lapsed", pending.id, pending.holder, pending.to)


# ------------------------------------------------------------------ who may read


def may_read_pending_transfer(state: Reader, caller: Caller, pending: PendingTransfer) -> bool:
    """A transfer offer is its holder's and its transferee's, who agree it; the debtor
    learns of the transfer when it completes, from the voucher and its event."""
    return caller.oversees or caller.one_of(pending.holder, pending.to)


def may_read_voucher_as_transferee(state: Reader, caller: Caller, voucher: Voucher) -> bool:
    """The member a pending transfer is offered to reads the reserved state, and with it
    its lineage back to the debtor's confirmation, before it signs for it (签收): it takes
    the claim on what that state says. Once the offer ends it reads no more (unless it
    signed: then it holds the new state)."""
    if voucher.reserved_by is None or not caller.member or caller.address is None:
        return False
    offer = get_pending_transfer(state, voucher.reserved_by)
    return offer is not None and offer.status == "pending" and offer.voucher == voucher.id \
        and caller.one_of(offer.to)


READS = (
    Read("transfer", ("holder", "transferee", *OVERSIGHT), may_read_pending_transfer,
         not_readers=("debtor",)),
    Read("voucher", ("transferee",), may_read_voucher_as_transferee),
)


OPERATIONS = (
    Operation("transfer", Transfer,
              lambda b: with_pledgee((b.holder, b.to), b.pledgee), transfer),
    Operation("offer", Offer, lambda b: with_pledgee((b.holder,), b.pledgee), offer),
    Operation("sign", Sign, lambda b: (b.to,), sign),
    Operation("refuse", Refuse, lambda b: (b.to,), refuse),
    Operation("withdraw", Withdraw, lambda b: (b.holder,), withdraw),
    Operation("split", Split, lambda b: with_pledgee((b.holder,), b.pledgee), split),
)
