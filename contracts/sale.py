"""Sale of a claim to a funder (保理, 应收账款转让融资; §000-二(二), §001-一 routes 3–4,
§002-(十)): the holder of a voucher, or the creditor of a confirmed obligation, sells all
or part of it at a discount to a bank, a commercial factoring company or a microlender.

The price is the face discounted at an annual rate for the whole days of ledger time
until the claim falls due (contracts.pricing: ACT/360, the discount rounded down to the
fen, so that the seller, who bears the discount, never bears a fraction of a fen more
than the rate says). Seller and
buyer both sign the face, the rate and the resulting price: the ledger recomputes the
price and refuses any other integer (`sale.bad_price`), so both parties sign the same
figure under the ledger's rounding rule. The price itself is paid outside the ledger;
the ledger records the sale, its price and its terms.

A sale moves the claim (the voucher state, cause "sale"; or a new confirmed obligation
of the same debtor, due date and basis) to the buyer and tells the debtor (转让通知,
event `sale.notice`). The buyer may pass the claim on like any holder, or hold it until
the debtor settles. A sale with recourse (有追索权) lets the buyer give an overdue claim
back to the seller (`recourse`): the state it bought, still whole in its hands, returns
to the seller, who repays the buyer outside the ledger as their factoring contract
says. A sale without recourse (无追索权) leaves the debtor's default with the buyer.

The buyer may give its registration of the transfer in the 中征动产融资统一登记公示系统
(中登网, §002-(十): 应收账款转让登记; its number and period, checked as a pledge's filing):
the ledger then shows which national registration stands for the sale. The transfer fee
is charged to the seller of a voucher, as for a transfer; an obligation is not a voucher
and carries no fee.
  cs/<sale>                      the sale (a record of kind "claim_sale": "sale" names an
                                 acquirer's purchase under a commitment, contracts.acquisition)
  css/<seller><sale>, csb/<buyer><sale>, csd/<debtor><sale>   a party's sales
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import credit, fees, obligations
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, Fen, Hash32, OneOf, Size, TimeMs, replace, sha256
from contracts.contract import Context, Operation
from contracts.documents import Documents, require_documents
from contracts.errors import Rejected, require
from contracts.membership import is_funder, require_active
from contracts.pledge import Filing, clear_for, require_filing
from contracts.pricing import discounted_fen, whole_days
from contracts.state import (
    Reader,
    get_record,
    indexed_page,
    put_record,
    records_page,
    with_status,
)
from contracts.vouchers import (
    Voucher,
    get_voucher,
    load_held,
    replace_with,
    require_amount,
    split_off,
)

NAME = "sale"
VERSION = 1

KINDS = ("voucher", "obligation")
STATUSES = ("sold", "recourse_exercised")
# Annual discount rates in basis points, bounded as a pledge loan's rate is
# (contracts.pledge.MAX_RATE_BP): 36 % a year is far above any factoring discount.
MAX_RATE_BP = 3_600
ContractRef = Annotated[str, Size(1, 256)]  # the factoring contract's number (保理合同编号)
ID_DOMAIN = b"claimledger/sale\x00"


@dataclass(frozen=True)
class ClaimSale:
    id: Hash32
    seller: Hash32
    buyer: Hash32
    debtor: Hash32
    kind: Annotated[str, OneOf(frozenset(KINDS))]
    sold_from: Hash32  # the voucher state or obligation the claim was taken out of
    sold: Hash32  # the buyer's new voucher state or new obligation
    face_fen: Fen
    price_fen: Fen
    rate_bp: U32  # the annual discount rate the price follows from
    days: U32  # whole days from the sale to the due date, as priced
    recourse: bool  # 有追索权: the buyer may give an overdue claim back to the seller
    contract_ref: ContractRef
    documents: Documents  # the factoring contract and what else it rests on
    filing: Filing | None  # the buyer's 转让登记 in the 中登网, if it gives it
    sold_at_ms: TimeMs
    status: Annotated[str, OneOf(frozenset(STATUSES))]
    returned: Hash32 | None  # the seller's state or obligation after recourse
    recourse_at_ms: TimeMs | None


@dataclass(frozen=True)
class Sell:
    """The seller sells `amount_fen` of a voucher state it holds to `buyer` at `price_fen`,
    which is `amount_fen` discounted at `rate_bp` (contracts.pricing.discounted_fen) for
    the whole days until the voucher falls due."""

    seller: Hash32
    buyer: Hash32
    voucher: Hash32
    amount_fen: Fen
    rate_bp: U32
    price_fen: Fen
    recourse: bool
    contract_ref: ContractRef
    documents: Documents
    pledgee: Hash32 | None  # the bank of a pledged voucher, co-signing its release
    filing: Filing | None = None  # the 中登网 registration of the transfer, if filed


@dataclass(frozen=True)
class SellObligation:
    """The creditor sells `amount_fen` of a confirmed obligation to `buyer`, priced as a
    voucher sale is, until the obligation's due date."""

    creditor: Hash32
    buyer: Hash32
    obligation: Hash32
    amount_fen: Fen
    rate_bp: U32
    price_fen: Fen
    recourse: bool
    contract_ref: ContractRef
    documents: Documents
    filing: Filing | None = None  # the 中登网 registration of the transfer, if filed


@dataclass(frozen=True)
class Recourse:
    buyer: Hash32
    sale: Hash32


def sale_id(tx_id: bytes, sold_from: bytes) -> bytes:
    """The id of the sale a transaction makes of the state or obligation `sold_from`."""
    return sha256(ID_DOMAIN + tx_id + sold_from)


def sale_key(sale: bytes) -> bytes:
    return b"cs/" + sale


def seller_key(seller: bytes, sale: bytes) -> bytes:
    return b"css/" + seller + sale


def buyer_key(buyer: bytes, sale: bytes) -> bytes:
    return b"csb/" + buyer + sale


def debtor_key(debtor: bytes, sale: bytes) -> bytes:
    return b"csd/" + debtor + sale


# A party's sales by its role in them: what each listing reads, by its index.
PARTY_INDEX = {"seller": seller_key, "buyer": buyer_key, "debtor": debtor_key}
ROLES = tuple(PARTY_INDEX)


def get_sale(state: Reader, sale: bytes) -> ClaimSale | None:
    return get_record(state, sale_key(sale), ClaimSale)


def load_sale(state: Reader, sale: bytes) -> ClaimSale:
    found = get_sale(state, sale)
    if found is None:
        raise Rejected("sale.unknown", f"no sale {sale.hex()}")
    return found


def all_sales_page(state: Reader, after: bytes | None, limit: int,
                   status: str | None = None) -> tuple[list[ClaimSale], bytes | None]:
    """Every sale of a claim, by id after `after`, only those with `status` if given."""
    return records_page(state, sale_key(b""), ClaimSale, after, limit, with_status(status))


def sales_page(state: Reader, party: bytes, after: bytes | None, limit: int, *,
               role: str | None = None, status: str | None = None
               ) -> tuple[list[ClaimSale], bytes | None]:
    """The sales `party` is seller, buyer or debtor of (only the `role` given, if one),
    by id after `after`, only those with `status` if given. Each role's index is read
    in id order and the pages merged: the next cursor is where the first of them stopped,
    so that no sale is skipped nor given twice."""
    assert role is None or role in PARTY_INDEX
    found: dict[bytes, ClaimSale] = {}
    stops: list[bytes] = []
    for by in (role,) if role is not None else ROLES:
        page, stop = indexed_page(state, PARTY_INDEX[by](party, b""), after, limit,
                                  get_sale, with_status(status))
        found.update((sale.id, sale) for sale in page)
        if stop is not None:
            stops.append(stop)
    frontier = min(stops) if stops else None
    seen = sorted(i for i in found if frontier is None or i <= frontier)
    if len(seen) > limit:
        return [found[i] for i in seen[:limit]], seen[limit - 1]
    return [found[i] for i in seen], frontier


# ------------------------------------------------------------------ rules


def require_buyer(state: Reader, seller: bytes, debtor: bytes, buyer: bytes) -> None:
    """The buyer is an active funder, neither the seller nor the claim's debtor."""
    require(buyer != seller, "sale.self", "a member does not buy its own claim")
    require(buyer != debtor, "sale.to_debtor",
            "a claim sold to its own debtor would be settled; use a redemption")
    member = require_active(state, buyer)
    require(is_funder(member), "sale.not_funder",
            f"member {member.name} is no funder: banks, factoring companies and "
            "microlenders buy claims")


def require_terms(rate_bp: int, price_fen: int, face_fen: int, contract_ref: str) -> None:
    """A rate within MAX_RATE_BP, a price of 1 fen up to the face, a contract number."""
    require(rate_bp <= MAX_RATE_BP, "sale.bad_rate",
            f"an annual discount rate is at most {MAX_RATE_BP} basis points "
            f"({MAX_RATE_BP // 100} %), not {rate_bp}")
    require(0 < price_fen <= face_fen, "sale.bad_price",
            f"a price is at least 1 fen and at most the face of {face_fen} fen")
    require(0 < len(contract_ref) <= 256, "sale.bad_contract_ref",
            "the factoring contract's number has 1 to 256 characters")


def require_priced(face_fen: int, rate_bp: int, days: int, price_fen: int) -> None:
    """`price_fen` is `face_fen` discounted at `rate_bp` for `days` (contracts.pricing)."""
    expected = discounted_fen(face_fen, rate_bp, days)
    require(price_fen == expected, "sale.bad_price",
            f"{face_fen} fen discounted at {rate_bp} basis points a year for {days} days "
            f"costs {expected} fen (ACT/360, the discount rounded down), not {price_fen}")


def require_not_due(due_ms: int, time_ms: int) -> None:
    require(time_ms < due_ms, "sale.due",
            "the claim is due already: a funder buys a claim before it falls due, and an "
            "overdue one is collected, not discounted")


def _record(ctx: Context, sale: ClaimSale) -> None:
    put_record(ctx.state, sale_key(sale.id), sale)
    ctx.state.put(seller_key(sale.seller, sale.id), b"")
    ctx.state.put(buyer_key(sale.buyer, sale.id), b"")
    ctx.state.put(debtor_key(sale.debtor, sale.id), b"")
    ctx.emit("sale.sold", sale.id, sale.seller, sale.buyer)
    ctx.emit("sale.notice", sale.id, sale.debtor)  # 转让通知: the debtor learns its creditor


def execute(ctx: Context, voucher: Voucher, buyer: bytes, price_fen: int, rate_bp: int,
            recourse: bool, contract_ref: str, documents: tuple[bytes, ...],
            filing: Filing | None = None) -> bytes:
    """Sell the whole of `voucher` (a live state its holder holds, neither reserved nor
    pledged: the caller frees it first) to `buyer` at `price_fen`; returns the sale id.

    For every operation that ends in a sale (this contract's `sell`, an accepted quote of
    a financing request). The caller has checked the price against its own terms; this
    checks the parties, the rate, that the price lies within the face, the documents
    (attached by seller or buyer, sealed to both) and the 中登网 filing if one is given
    (its number and period as a pledge's, contracts.pledge.require_filing)."""
    assert voucher.status == "active" and voucher.reserved_by is None \
        and voucher.pledge is None, "a state is sold free"
    seller = voucher.holder
    require_not_due(voucher.due_ms, ctx.time_ms)
    require_buyer(ctx.state, seller, voucher.debtor, buyer)
    require_terms(rate_bp, price_fen, voucher.amount_fen, contract_ref)
    require_documents(ctx.state, documents, (seller, buyer))
    require_filing(filing, ctx.time_ms)
    credit.require_exposure_within_limit(ctx.state, buyer, voucher.debtor, voucher.amount_fen)
    (sold,) = replace_with(ctx.state, voucher, [(buyer, voucher.amount_fen, "sale")],
                           ctx.tx_id, ctx.time_ms, ctx.height)
    sale = ClaimSale(
        id=sale_id(ctx.tx_id, voucher.id), seller=seller, buyer=buyer, debtor=voucher.debtor,
        kind="voucher", sold_from=voucher.id, sold=sold.id, face_fen=voucher.amount_fen,
        price_fen=price_fen, rate_bp=rate_bp, days=whole_days(ctx.time_ms, voucher.due_ms),
        recourse=recourse, contract_ref=contract_ref, documents=tuple(documents),
        filing=filing, sold_at_ms=ctx.time_ms, status="sold", returned=None,
        recourse_at_ms=None,
    )
    ctx.emit("voucher.sold", sold.id, seller, buyer, voucher.debtor)
    _record(ctx, sale)
    fees.charge(ctx, seller, "transfer", voucher.amount_fen)
    return sale.id


# ------------------------------------------------------------------ operations


def sell(ctx: Context, body: Sell) -> None:
    voucher = load_held(ctx.state, body.voucher, body.seller)
    require_amount(body.amount_fen, voucher.amount_fen)
    require_not_due(voucher.due_ms, ctx.time_ms)
    require_buyer(ctx.state, body.seller, voucher.debtor, body.buyer)
    require_terms(body.rate_bp, body.price_fen, body.amount_fen, body.contract_ref)
    require_priced(body.amount_fen, body.rate_bp, whole_days(ctx.time_ms, voucher.due_ms),
                   body.price_fen)
    voucher = clear_for(ctx, voucher, body.pledgee, "sale")
    # The part sold is split off first; the remainder stays the seller's.
    voucher, remainder = split_off(ctx.state, voucher, body.amount_fen, ctx.tx_id,
                                   ctx.time_ms, ctx.height)
    if remainder is not None:
        # The part sold is named to the seller too: the state the buyer gets is not the
        # seller's to read, so only this event tells the seller's light node of the part.
        ctx.emit("voucher.split", voucher.id, body.seller, voucher.debtor)
        ctx.emit("voucher.remainder", remainder.id, body.seller, voucher.debtor)
    execute(ctx, voucher, body.buyer, body.price_fen, body.rate_bp, body.recourse,
            body.contract_ref, body.documents, body.filing)


def sell_obligation(ctx: Context, body: SellObligation) -> None:
    obligation = obligations.load_live(ctx.state, body.obligation)
    require(obligation.creditor == body.creditor, "sale.not_creditor",
            "only the obligation's creditor sells it")
    require(body.amount_fen > 0, "obligation.bad_amount", "an amount is at least 1 fen")
    require(body.amount_fen <= obligation.amount_fen, "obligation.over_amount",
            f"{obligation.amount_fen} fen is owed, less than {body.amount_fen}")
    require_not_due(obligation.due_ms, ctx.time_ms)
    require_buyer(ctx.state, body.creditor, obligation.debtor, body.buyer)
    require_terms(body.rate_bp, body.price_fen, body.amount_fen, body.contract_ref)
    days = whole_days(ctx.time_ms, obligation.due_ms)
    require_priced(body.amount_fen, body.rate_bp, days, body.price_fen)
    require_documents(ctx.state, body.documents, (body.creditor, body.buyer))
    require_filing(body.filing, ctx.time_ms)
    sold = obligations.assign(ctx, obligation, body.amount_fen, body.buyer)
    _record(ctx, ClaimSale(
        id=sale_id(ctx.tx_id, obligation.id), seller=body.creditor, buyer=body.buyer,
        debtor=obligation.debtor, kind="obligation", sold_from=obligation.id, sold=sold,
        face_fen=body.amount_fen, price_fen=body.price_fen, rate_bp=body.rate_bp, days=days,
        recourse=body.recourse, contract_ref=body.contract_ref, documents=body.documents,
        filing=body.filing, sold_at_ms=ctx.time_ms, status="sold", returned=None,
        recourse_at_ms=None,
    ))


def recourse(ctx: Context, body: Recourse) -> None:
    sale = load_sale(ctx.state, body.sale)
    require(sale.buyer == body.buyer, "sale.not_buyer", "only the sale's buyer may do this")
    require(sale.recourse, "sale.no_recourse",
            "the claim was sold without recourse (无追索权): the debtor's default is the "
            "buyer's")
    require(sale.status == "sold", "sale.not_sold", f"the sale is {sale.status} already")
    if sale.kind == "voucher":
        returned = _voucher_back(ctx, sale)
    else:
        returned = _obligation_back(ctx, sale)
    put_record(ctx.state, sale_key(sale.id), replace(
        sale, status="recourse_exercised", returned=returned, recourse_at_ms=ctx.time_ms))
    ctx.emit("sale.recourse", sale.id, sale.seller, sale.buyer)
    ctx.emit("sale.notice", sale.id, sale.debtor)  # the debtor's creditor changes again


def _voucher_back(ctx: Context, sale: ClaimSale) -> bytes:
    """The state the buyer bought, still whole in its hands and overdue, to the seller."""
    voucher = get_voucher(ctx.state, sale.sold)
    assert voucher is not None, "a sold state is stored"
    require(voucher.status == "active" and voucher.holder == sale.buyer, "sale.not_held",
            "the buyer no longer holds the state it bought whole (it passed it on, split "
            "it, or the debtor settled it): recourse is on that state only")
    require(voucher.reserved_by is None and voucher.pledge is None, "sale.not_held",
            "the bought state is reserved or pledged; end that first")
    require(voucher.overdue_since_ms is not None, "sale.not_overdue",
            "the bought claim is not overdue (逾期): recourse is for a debtor's default")
    (back,) = replace_with(ctx.state, voucher, [(sale.seller, voucher.amount_fen, "recourse")],
                           ctx.tx_id, ctx.time_ms, ctx.height)
    ctx.emit("voucher.recourse", back.id, sale.seller, sale.buyer, sale.debtor)
    return back.id


def _obligation_back(ctx: Context, sale: ClaimSale) -> bytes:
    """The obligation the buyer bought, still owed to it and past due, to the seller."""
    obligation = obligations.load_obligation(ctx.state, sale.sold)
    require(obligation.status == obligations.LIVE and obligation.creditor == sale.buyer,
            "sale.not_held", "the bought obligation is no longer owed to the buyer")
    require(ctx.time_ms > obligation.due_ms, "sale.not_overdue",
            "the bought obligation is not past its due date: recourse is for a default")
    return obligations.assign(ctx, obligation, obligation.amount_fen, sale.seller)


# ------------------------------------------------------------------ who may read


def may_read_claim_sale(state: Reader, caller: Caller, sale: ClaimSale) -> bool:
    """A sale of a claim to a funder is its seller's and its buyer's, who signed it, and
    the debtor's, who is told of it (转让通知, §001-三(三)) and pays the buyer from then
    on. Whoever held the claim before the seller does not read its terms."""
    return caller.oversees or caller.one_of(sale.seller, sale.buyer, sale.debtor)


READS = (
    Read("claim_sale", ("debtor", "seller", "buyer", *OVERSIGHT), may_read_claim_sale,
         not_readers=("earlier_holder",)),
)


OPERATIONS = (
    Operation("sell", Sell, lambda b: (b.seller, b.buyer) if b.pledgee is None
              else (b.seller, b.buyer, b.pledgee), sell),
    Operation("sell_obligation", SellObligation, lambda b: (b.creditor, b.buyer),
              sell_obligation),
    Operation("recourse", Recourse, lambda b: (b.buyer,), recourse),
)
