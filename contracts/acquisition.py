"""Acquisition commitments (附带锁定期的收购服务, §001-三(四)).

An acquirer, commissioned by the holder (both sign), commits to buy a voucher's claim
at a price per 10,000 fen of claim, after a lock time and until an expiry. The
commitment travels with the claim: every later state descending from that voucher
carries it, so after a split each part may be sold pro rata. After the lock the
current holder may exercise it: the claim (all or part) passes to the acquirer, and
the price and payment reference are recorded; the cash moves outside the ledger. The
acquirer may withdraw only before the lock ends.
  q/<commitment>                     the commitment
  qv/<voucher><commitment>           commitments made on a voucher state
  qa/<acquirer><commitment>          an acquirer's commitments
  qx/<commitment><exercise tx>       each sale: claim bought and price
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import fees, vouchers
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, U64, Fen, Hash32, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.pledge import clear_for
from contracts.state import (
    Reader,
    get_record,
    page_suffixes,
    put_record,
    records_page,
    suffixed_records_page,
    with_status,
)
from contracts.transfer import with_pledgee
from contracts.vouchers import (
    MAX_COMMITMENTS,
    Voucher,
    load_held,
    replace_with,
    require_amount,
    update,
)

NAME = "acquisition"
VERSION = 1

PER_FEN = 10_000  # prices are quoted per 10,000 fen (¥100) of claim
COMMITMENT_STATUSES = frozenset({"open", "withdrawn"})
Ref = Annotated[str, Size(0, 256)]


@dataclass(frozen=True)
class Commitment:
    id: Hash32
    acquirer: Hash32
    voucher: Hash32  # the state it was made on; its descendants carry it
    origin: Hash32
    price_per_10000_fen: U32  # price per 10,000 fen of claim
    lock_until_ms: TimeMs
    expires_ms: TimeMs
    terms_ref: Ref
    status: Annotated[str, OneOf(COMMITMENT_STATUSES)]
    committed_at_ms: TimeMs
    exercised_fen: U64  # claim bought so far
    paid_fen: U64  # price owed for it so far


@dataclass(frozen=True)
class Sale:
    """One exercise of a commitment: which part was sold, by whom, at what price."""

    commitment: Hash32
    voucher: Hash32  # the part sold
    seller: Hash32
    claim_fen: Fen
    price_fen: Fen
    payment_ref: Ref
    time_ms: TimeMs


@dataclass(frozen=True)
class Commit:
    acquirer: Hash32
    holder: Hash32
    voucher: Hash32
    price_per_10000_fen: U32
    lock_until_ms: TimeMs
    expires_ms: TimeMs
    terms_ref: Ref


@dataclass(frozen=True)
class Withdraw:
    acquirer: Hash32
    commitment: Hash32


@dataclass(frozen=True)
class Exercise:
    holder: Hash32
    voucher: Hash32
    commitment: Hash32
    amount_fen: Fen
    payment_ref: Ref
    pledgee: Hash32 | None


def commitment_key(commitment_id: bytes) -> bytes:
    return b"q/" + commitment_id


def by_voucher_key(voucher: bytes, commitment_id: bytes) -> bytes:
    return b"qv/" + voucher + commitment_id


def by_acquirer_key(acquirer: bytes, commitment_id: bytes) -> bytes:
    return b"qa/" + acquirer + commitment_id


def exercise_key(commitment_id: bytes, tx_id: bytes) -> bytes:
    return b"qx/" + commitment_id + tx_id


def get_commitment(state: Reader, commitment_id: bytes) -> Commitment | None:
    return get_record(state, commitment_key(commitment_id), Commitment)


def acquirer_commitments_page(state: Reader, acquirer: bytes, after: bytes | None, limit: int
                              ) -> tuple[list[Commitment], bytes | None]:
    """An acquirer's commitments, by id after `after`."""
    ids, next_cursor = page_suffixes(state, by_acquirer_key(acquirer, b""), after, limit)
    found = [get_commitment(state, i) for i in ids]
    assert all(c is not None for c in found), "an indexed commitment is stored"
    return found, next_cursor  # type: ignore[return-value]


def carried_commitments_page(state: Reader, voucher: Voucher, after: bytes | None,
                             limit: int) -> tuple[list[Commitment], bytes | None]:
    """The commitments a voucher state carries (at most MAX_COMMITMENTS), in its order,
    after the one `after` names (a cursor this voucher did not give: nothing follows)."""
    carried = list(voucher.commitments)
    if after is None:
        start = 0
    elif after in carried:
        start = carried.index(after) + 1
    else:
        start = len(carried)
    ids = carried[start:start + limit]
    more = start + limit < len(carried)
    found = [get_commitment(state, i) for i in ids]
    assert all(c is not None for c in found), "a carried commitment is stored"
    return found, (ids[-1] if more and ids else None)  # type: ignore[return-value]


def sales_page(state: Reader, commitment_id: bytes, after: bytes | None, limit: int
               ) -> tuple[list[tuple[bytes, Sale]], bytes | None]:
    """The sales made under a commitment, each with the id of its transaction, by that id
    after `after`."""
    return suffixed_records_page(state, exercise_key(commitment_id, b""), Sale, after, limit)


def all_commitments_page(state: Reader, after: bytes | None, limit: int,
                         status: str | None = None) -> tuple[list[Commitment], bytes | None]:
    """Every acquisition commitment, by id after `after`, only those with `status` if given."""
    return records_page(state, commitment_key(b""), Commitment, after, limit,
                        with_status(status))


def load_commitment(state: Reader, commitment_id: bytes) -> Commitment:
    found = get_commitment(state, commitment_id)
    if found is None:
        raise Rejected("acquisition.unknown", f"no commitment {commitment_id.hex()}")
    return found


def price_for(claim_fen: int, price_per_10000_fen: int) -> int:
    """The price of `claim_fen` of claim, rounded down to the fen."""
    return claim_fen * price_per_10000_fen // PER_FEN


# ------------------------------------------------------------------ operations


def commit(ctx: Context, body: Commit) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    require_active(ctx.state, body.acquirer, "acquirer")
    require(body.acquirer != body.holder, "acquisition.self",
            "an acquirer does not commit to buy its own claim")
    require(0 < body.price_per_10000_fen <= PER_FEN, "acquisition.bad_price",
            "the price per 10,000 fen of claim lies in 1..10,000 fen (no premium on par)")
    require(body.lock_until_ms > ctx.time_ms, "acquisition.lock_in_past",
            "the lock ends after the ledger time")
    require(body.expires_ms > body.lock_until_ms, "acquisition.bad_expiry",
            "the commitment expires after its lock ends")
    require(len(voucher.commitments) < MAX_COMMITMENTS, "acquisition.too_many",
            f"a voucher carries at most {MAX_COMMITMENTS} commitments")
    commitment = Commitment(
        id=ctx.tx_id, acquirer=body.acquirer, voucher=voucher.id, origin=voucher.origin,
        price_per_10000_fen=body.price_per_10000_fen, lock_until_ms=body.lock_until_ms,
        expires_ms=body.expires_ms, terms_ref=body.terms_ref, status="open",
        committed_at_ms=ctx.time_ms, exercised_fen=0, paid_fen=0,
    )
    put_record(ctx.state, commitment_key(commitment.id), commitment)
    ctx.state.put(by_voucher_key(voucher.id, commitment.id), b"")
    ctx.state.put(by_acquirer_key(body.acquirer, commitment.id), b"")
    update(ctx.state, voucher, commitments=(*voucher.commitments, commitment.id))
    ctx.emit("acquisition.committed", commitment.id, body.acquirer, body.holder, voucher.debtor)


def withdraw(ctx: Context, body: Withdraw) -> None:
    commitment = load_commitment(ctx.state, body.commitment)
    require(commitment.acquirer == body.acquirer, "acquisition.not_acquirer",
            "only the acquirer withdraws its commitment")
    require(commitment.status == "open", "acquisition.withdrawn", "the commitment is withdrawn")
    require(
        ctx.time_ms < commitment.lock_until_ms,
        "acquisition.locked",
        "the lock has ended: holders may now exercise, and the commitment stands",
    )
    put_record(ctx.state, commitment_key(commitment.id), replace(commitment, status="withdrawn"))
    ctx.emit("acquisition.withdrawn", commitment.id, body.acquirer)


def exercise(ctx: Context, body: Exercise) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    require(body.commitment in voucher.commitments, "acquisition.not_on_voucher",
            "this commitment does not cover this voucher")
    commitment = load_commitment(ctx.state, body.commitment)
    require(commitment.status == "open", "acquisition.withdrawn", "the commitment is withdrawn")
    require(
        ctx.time_ms >= commitment.lock_until_ms,
        "acquisition.locked",
        "the lock period has not ended; exercise after it",
    )
    require(ctx.time_ms < commitment.expires_ms, "acquisition.expired",
            "the commitment has expired")
    require(commitment.acquirer != body.holder, "acquisition.self",
            "the acquirer already holds this claim")
    require_active(ctx.state, commitment.acquirer, "acquirer")
    require_amount(body.amount_fen, voucher.amount_fen)
    voucher = clear_for(ctx, voucher, body.pledgee, "acquisition")
    price_fen = price_for(body.amount_fen, commitment.price_per_10000_fen)
    parts = [(commitment.acquirer, body.amount_fen, "acquisition")]
    if body.amount_fen < voucher.amount_fen:
        parts.append((voucher.holder, voucher.amount_fen - body.amount_fen, "remainder"))
    sold, *rest = replace_with(ctx.state, voucher, parts, ctx.tx_id, ctx.time_ms, ctx.height)
    # The acquirer's part no longer needs its own promise; other commitments travel on.
    update(ctx.state, sold, commitments=tuple(c for c in sold.commitments if c != commitment.id))
    put_record(ctx.state, commitment_key(commitment.id), replace(
        commitment, exercised_fen=commitment.exercised_fen + body.amount_fen,
        paid_fen=commitment.paid_fen + price_fen))
    put_record(ctx.state, exercise_key(commitment.id, ctx.tx_id), Sale(
        commitment.id, sold.id, body.holder, body.amount_fen, price_fen, body.payment_ref,
        ctx.time_ms))
    fees.charge(ctx, body.holder, "transfer", body.amount_fen)
    ctx.emit("acquisition.exercised", commitment.id, body.holder, commitment.acquirer,
             voucher.debtor)
    ctx.emit("voucher.transferred", sold.id, body.holder, commitment.acquirer, voucher.debtor)
    for remainder in rest:
        ctx.emit("voucher.remainder", remainder.id, body.holder, voucher.debtor)


# ------------------------------------------------------------------ who may read

# Voucher states one read of a commitment walks to find its carriers: the parts split
# from the state it was made on. Past the bound a holder of a part far down reads the
# commitment through its own voucher (the commitments a voucher carries).
READ_MAX_CARRIERS_WALKED = 4096


def may_read_commitment_as_carrier_holder(state: Reader, caller: Caller,
                                          commitment: Commitment) -> bool:
    """The caller holds a live state that carries `commitment`, or the state it was made
    on (its holder commissioned it)."""
    made_on = vouchers.get_voucher(state, commitment.voucher)
    assert made_on is not None, "a commitment's voucher is stored"
    if caller.one_of(made_on.holder):
        return True
    waiting = vouchers.children_ids(state, made_on.id)
    walked = 0
    while waiting and walked < READ_MAX_CARRIERS_WALKED:
        voucher = vouchers.get_voucher(state, waiting.pop())
        assert voucher is not None, "an indexed child is stored"
        walked += 1
        if commitment.id not in voucher.commitments:
            continue  # the part sold to the acquirer: nothing below it carries it
        if voucher.status == "active" and caller.one_of(voucher.holder):
            return True
        waiting.extend(vouchers.children_ids(state, voucher.id))
    return False


def may_read_commitment(state: Reader, caller: Caller, commitment: Commitment) -> bool:
    """A commitment is its acquirer's, the holder's that commissioned it, and that of every
    later holder of a part that carries it, who may exercise it (§001-三(四)). Its
    price is not the debtor's business: the debtor sees the commitment's id on its
    vouchers and learns of it, nothing more."""
    if caller.oversees or caller.one_of(commitment.acquirer):
        return True
    return caller.member and may_read_commitment_as_carrier_holder(state, caller,
                                                                   commitment)


def may_read_sale(state: Reader, caller: Caller, sale: Sale) -> bool:
    """A sale under a commitment (which part, at what price, paid how) is its seller's and
    the acquirer's; the holders of other parts carrying the commitment do not read it."""
    if caller.oversees or caller.one_of(sale.seller):
        return True
    commitment = get_commitment(state, sale.commitment)
    assert commitment is not None, "a sale's commitment is stored"
    return caller.one_of(commitment.acquirer)


def may_read_voucher_as_acquirer(state: Reader, caller: Caller,
                                 voucher: vouchers.Voucher) -> bool:
    """The acquirer of an open commitment a voucher state carries reads the state: it has
    promised to buy that claim."""
    if not caller.member:
        return False
    for commitment_id in voucher.commitments:
        commitment = get_commitment(state, commitment_id)
        assert commitment is not None, "a carried commitment is stored"
        if commitment.status == "open" and caller.one_of(commitment.acquirer):
            return True
    return False


READS = (
    Read("commitment", ("acquirer", "holder", *OVERSIGHT), may_read_commitment,
         not_readers=("debtor", "earlier_holder")),
    Read("sale", ("acquirer", "seller", *OVERSIGHT), may_read_sale,
         not_readers=("debtor",)),
    Read("voucher", ("acquirer",), may_read_voucher_as_acquirer),
)


OPERATIONS = (
    Operation("commit", Commit, lambda b: (b.acquirer, b.holder), commit),
    Operation("withdraw", Withdraw, lambda b: (b.acquirer,), withdraw),
    Operation("exercise", Exercise,
              lambda b: with_pledgee((b.holder,), b.pledgee), exercise),
)
