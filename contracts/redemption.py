"""Redemption (抵付, §001-三(五)): the debtor settles claims with its assets or consumption.

The debtor publishes offers (an asset such as a flat, or a consumption scope), each
with a description and a price in fen, and may change or withdraw them. A holder
requests an offer at an agreed price; the voucher is reserved until the debtor
accepts (after checking holder and status), declines, or the holder cancels. On
acceptance the claim is reduced by the price: if the claim exceeds it, the remainder
stays with the holder and keeps circulating; if it falls short, the holder pays the
difference in money, recorded by reference. A voucher reduced to zero is cancelled
(注销). An asset's title transfer is recorded by its registration number. A request may
name confidential documents (a delivery note, an invoice) attached beforehand and sealed
to the holder and the debtor. A holder asks alone, and parts of a voucher are cheap to
make, so a holder has at most MAX_OPEN_PER_DEBTOR requests waiting for one debtor.

One flat is sold once (§002-(十四)): an asset offer names the asset's title certificate
number (产权证号), which no other listed or redeemed offer may name
(`redemption.title_in_use`), and an accepted redemption consumes it: the offer is then
`redeemed`, further requests on it are refused and open ones can no longer be accepted
(`redemption.offer_taken`). A consumption offer may carry a cap in fen: each accepted
redemption uses its agreed price of the cap, a request over what is left is refused
(`redemption.over_cap`), and a cap used up redeems the offer. Withdrawing an offer frees
its title number; a redeemed asset keeps it for good (the debtor no longer owns it).
  r/<offer>, rd/<debtor><offer>          offers and the debtor's list
  rs/<offer>                             an offer's stock: its title number, its cap, used
  rt/<sha256(normalised title number)>   the offer that names a title number
  rq/<request>                           redemption requests
  rqh/<holder><request>, rqd/<debtor><request>
  rqp/<holder><debtor>                   how many of the holder's requests wait for the debtor
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.basis import normalise_ref
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import Fen, Hash32, OneOf, Size, TimeMs, replace, sha256
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
from contracts.transfer import with_pledgee
from contracts.vouchers import (
    cancel,
    load_held,
    load_live,
    reduce_origin,
    replace_with,
    update,
)

NAME = "redemption"
VERSION = 2

OFFER_KINDS = frozenset({"asset", "consumption"})
OFFER_STATUSES = frozenset({"listed", "withdrawn", "redeemed"})
REQUEST_STATUSES = frozenset({"requested", "accepted", "declined", "cancelled"})
Description = Annotated[str, Size(1, 512)]
Ref = Annotated[str, Size(0, 256)]
MAX_OPEN_PER_DEBTOR = 200  # a holder's requests waiting for one debtor's decision


@dataclass(frozen=True)
class Offer:
    id: Hash32
    debtor: Hash32
    kind: Annotated[str, OneOf(OFFER_KINDS)]
    description: Description
    price_fen: Fen
    status: Annotated[str, OneOf(OFFER_STATUSES)]
    listed_at_ms: TimeMs
    updated_at_ms: TimeMs


@dataclass(frozen=True)
class Stock:
    """What an offer can still settle, beside the offer record: an asset's title
    certificate number, a consumption offer's cap and how much of it accepted
    redemptions used. An uncapped consumption offer has none."""

    offer: Hash32
    title_ref: Ref  # 产权证号 of the asset offered; "" for consumption
    cap_fen: Fen  # the most a consumption offer settles in all; 0 for no cap
    used_fen: Fen  # the agreed prices of its accepted redemptions, counted against the cap


@dataclass(frozen=True)
class Request:
    id: Hash32
    voucher: Hash32
    holder: Hash32
    debtor: Hash32
    offer: Hash32
    price_fen: Fen  # the price both agreed
    status: Annotated[str, OneOf(REQUEST_STATUSES)]
    requested_at_ms: TimeMs
    decided_at_ms: TimeMs | None
    reduced_fen: Fen  # how much claim the acceptance settled
    shortfall_fen: Fen  # what the holder paid in money on top
    title_ref: Ref  # the asset's title transfer registration
    shortfall_ref: Ref  # the holder's money payment of the shortfall
    remainder: Hash32 | None  # the state that keeps circulating, if any
    reason: Ref


@dataclass(frozen=True)
class Publish:
    debtor: Hash32
    kind: Annotated[str, OneOf(OFFER_KINDS)]
    description: Description
    price_fen: Fen
    title_ref: Ref = ""  # an asset's title certificate number (产权证号), required for one
    cap_fen: Fen = 0  # a consumption offer's cap in fen; 0 for none


@dataclass(frozen=True)
class Change:
    debtor: Hash32
    offer: Hash32
    description: Description
    price_fen: Fen


@dataclass(frozen=True)
class WithdrawOffer:
    debtor: Hash32
    offer: Hash32


@dataclass(frozen=True)
class Ask:
    holder: Hash32
    voucher: Hash32
    offer: Hash32
    price_fen: Fen
    pledgee: Hash32 | None
    documents: Documents = ()  # ids of attached documents it rests on


@dataclass(frozen=True)
class Accept:
    debtor: Hash32
    request: Hash32
    title_ref: Ref
    shortfall_ref: Ref


@dataclass(frozen=True)
class Decline:
    debtor: Hash32
    request: Hash32
    reason: Annotated[str, Size(1, 256)]


@dataclass(frozen=True)
class Cancel:
    holder: Hash32
    request: Hash32


def offer_key(offer_id: bytes) -> bytes:
    return b"r/" + offer_id


def debtor_offer_key(debtor: bytes, offer_id: bytes) -> bytes:
    return b"rd/" + debtor + offer_id


def request_key(request_id: bytes) -> bytes:
    return b"rq/" + request_id


def holder_request_key(holder: bytes, request_id: bytes) -> bytes:
    return b"rqh/" + holder + request_id


def debtor_request_key(debtor: bytes, request_id: bytes) -> bytes:
    return b"rqd/" + debtor + request_id


def stock_key(offer_id: bytes) -> bytes:
    return b"rs/" + offer_id


def title_key(title_ref: str) -> bytes:
    return b"rt/" + sha256(normalise_ref(title_ref).encode())


def get_stock(state: Reader, offer_id: bytes) -> Stock | None:
    """An offer's title number and cap, if it has them."""
    return get_record(state, stock_key(offer_id), Stock)


def title_holder(state: Reader, title_ref: str) -> bytes | None:
    """The listed or redeemed offer that names this title certificate number, if any."""
    return state.get(title_key(title_ref))


def open_key(holder: bytes, debtor: bytes) -> bytes:
    return b"rqp/" + holder + debtor


def open_count(state: Reader, holder: bytes, debtor: bytes) -> int:
    """How many of `holder`'s requests wait for `debtor` to accept or decline."""
    return get_count(state, open_key(holder, debtor))


def _count_open(state: Overlay, request: Request, change: int) -> None:
    add_count(state, open_key(request.holder, request.debtor), change, MAX_OPEN_PER_DEBTOR)


def get_offer(state: Reader, offer_id: bytes) -> Offer | None:
    return get_record(state, offer_key(offer_id), Offer)


def get_request(state: Reader, request_id: bytes) -> Request | None:
    return get_record(state, request_key(request_id), Request)


def offers_page(state: Reader, debtor: bytes, after: bytes | None, limit: int,
                status: str | None = None) -> tuple[list[Offer], bytes | None]:
    """A debtor's offers, by id after `after`, only those with `status` if given."""
    return indexed_page(state, debtor_offer_key(debtor, b""), after, limit, get_offer,
                        with_status(status))


def requests_page(state: Reader, after: bytes | None, limit: int, *,
                  holder: bytes | None = None, debtor: bytes | None = None,
                  status: str | None = None) -> tuple[list[Request], bytes | None]:
    """A holder's or a debtor's redemption requests (one is given), by id after `after`,
    only those with `status` if given."""
    assert (holder is None) != (debtor is None)
    prefix = holder_request_key(holder, b"") if holder is not None \
        else debtor_request_key(debtor or b"", b"")
    return indexed_page(state, prefix, after, limit, get_request, with_status(status))


def _require_listed(offer: Offer) -> None:
    require(offer.status != "redeemed", "redemption.offer_taken",
            f"offer {offer.id.hex()} is redeemed: its asset is already sold, or its cap "
            "used up")
    require(offer.status == "listed", "redemption.offer_withdrawn", "the offer was withdrawn")


def _left_fen(stock: Stock | None) -> int | None:
    """What a capped offer can still settle; None when it has no cap."""
    if stock is None or stock.cap_fen == 0:
        return None
    return stock.cap_fen - stock.used_fen


def _require_within_cap(offer: Offer, stock: Stock | None, price_fen: int) -> None:
    left = _left_fen(stock)
    require(left is None or price_fen <= left, "redemption.over_cap",
            f"offer {offer.id.hex()} settles {left} fen more at most; ask for less")


def _own_listed_offer(ctx: Context, offer_id: bytes, debtor: bytes) -> Offer:
    offer = get_offer(ctx.state, offer_id)
    if offer is None:
        raise Rejected("redemption.unknown_offer", f"no offer {offer_id.hex()}")
    require(offer.debtor == debtor, "redemption.not_debtor",
            "only the debtor who published an offer changes it")
    _require_listed(offer)
    return offer


def _consume(ctx: Context, offer: Offer, price_fen: int) -> None:
    """An accepted redemption takes an asset offer, and its price of a capped one."""
    stock = get_stock(ctx.state, offer.id)
    if offer.kind == "consumption":
        if _left_fen(stock) is None:
            return  # an open consumption scope: nothing to use up
        assert stock is not None
        stock = replace(stock, used_fen=stock.used_fen + price_fen)
        put_record(ctx.state, stock_key(offer.id), stock)
        if stock.used_fen < stock.cap_fen or offer.status != "listed":
            return  # something left, or withdrawn already (it stays withdrawn)
    put_record(ctx.state, offer_key(offer.id), replace(
        offer, status="redeemed", updated_at_ms=ctx.time_ms))
    ctx.emit("offer.redeemed", offer.id, offer.debtor)


def _open_request(ctx: Context, request_id: bytes) -> Request:
    request = get_request(ctx.state, request_id)
    if request is None:
        raise Rejected("redemption.unknown_request", f"no redemption request {request_id.hex()}")
    require(request.status == "requested", "redemption.already_decided",
            f"the request is {request.status}")
    return request


def _close(ctx: Context, request: Request, status: str, **changes) -> None:
    voucher = load_live(ctx.state, request.voucher)
    assert voucher.reserved_by == request.id
    update(ctx.state, voucher, reserved_by=None)
    put_record(ctx.state, request_key(request.id), replace(
        request, status=status, decided_at_ms=ctx.time_ms, **changes))
    _count_open(ctx.state, request, -1)


# ------------------------------------------------------------------ offers


def publish(ctx: Context, body: Publish) -> None:
    require_active(ctx.state, body.debtor)
    require(body.price_fen > 0, "redemption.bad_price", "a price is at least 1 fen")
    if body.kind == "asset":
        require(normalise_ref(body.title_ref) != "", "redemption.title_ref_required",
                "an asset offer names the asset's title certificate number (产权证号)")
        require(body.cap_fen == 0, "redemption.bad_cap",
                "an asset is one item at its price; only a consumption offer has a cap")
        held = title_holder(ctx.state, body.title_ref)
        require(held is None, "redemption.title_in_use",
                f"offer {(held or b'').hex()} already names title {body.title_ref!r}; one "
                "asset is offered once")
        ctx.state.put(title_key(body.title_ref), ctx.tx_id)
    else:
        require(body.title_ref == "", "redemption.bad_title_ref",
                "a consumption offer names no title certificate")
    offer = Offer(ctx.tx_id, body.debtor, body.kind, body.description, body.price_fen,
                  "listed", ctx.time_ms, ctx.time_ms)
    put_record(ctx.state, offer_key(offer.id), offer)
    if body.title_ref or body.cap_fen:
        put_record(ctx.state, stock_key(offer.id),
                   Stock(offer.id, body.title_ref, body.cap_fen, 0))
    ctx.state.put(debtor_offer_key(body.debtor, offer.id), b"")
    ctx.emit("offer.published", offer.id, body.debtor)


def change(ctx: Context, body: Change) -> None:
    offer = _own_listed_offer(ctx, body.offer, body.debtor)
    require(body.price_fen > 0, "redemption.bad_price", "a price is at least 1 fen")
    put_record(ctx.state, offer_key(offer.id), replace(
        offer, description=body.description, price_fen=body.price_fen,
        updated_at_ms=ctx.time_ms))
    ctx.emit("offer.changed", offer.id, body.debtor)


def withdraw_offer(ctx: Context, body: WithdrawOffer) -> None:
    offer = _own_listed_offer(ctx, body.offer, body.debtor)
    put_record(ctx.state, offer_key(offer.id), replace(
        offer, status="withdrawn", updated_at_ms=ctx.time_ms))
    stock = get_stock(ctx.state, offer.id)
    if stock is not None and stock.title_ref:  # the asset may be offered again
        assert title_holder(ctx.state, stock.title_ref) == offer.id
        ctx.state.delete(title_key(stock.title_ref))
    ctx.emit("offer.withdrawn", offer.id, body.debtor)


# ------------------------------------------------------------------ requests


def ask(ctx: Context, body: Ask) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    offer = get_offer(ctx.state, body.offer)
    if offer is None:
        raise Rejected("redemption.unknown_offer", f"no offer {body.offer.hex()}")
    _require_listed(offer)
    require(offer.debtor == voucher.debtor, "redemption.wrong_debtor",
            "the offer is another debtor's; a claim is redeemed only against its own debtor")
    allowed = voucher.asset_offset if offer.kind == "asset" else voucher.consumption_offset
    require(allowed, "redemption.method_not_allowed",
            f"the voucher is not settled by {offer.kind} offset")
    require(body.price_fen > 0, "redemption.bad_price", "a price is at least 1 fen")
    _require_within_cap(offer, get_stock(ctx.state, offer.id), body.price_fen)
    require(open_count(ctx.state, body.holder, voucher.debtor) < MAX_OPEN_PER_DEBTOR,
            "redemption.too_many_open",
            f"{MAX_OPEN_PER_DEBTOR} of your requests already wait for this debtor; ask again "
            "once it has decided some (or cancel one)")
    require_documents(ctx.state, body.documents, (body.holder, voucher.debtor))
    voucher = clear_for(ctx, voucher, body.pledgee, "redemption")
    request = Request(
        id=ctx.tx_id, voucher=voucher.id, holder=body.holder, debtor=voucher.debtor,
        offer=offer.id, price_fen=body.price_fen, status="requested",
        requested_at_ms=ctx.time_ms, decided_at_ms=None, reduced_fen=0, shortfall_fen=0,
        title_ref="", shortfall_ref="", remainder=None, reason="",
    )
    put_record(ctx.state, request_key(request.id), request)
    ctx.state.put(holder_request_key(body.holder, request.id), b"")
    ctx.state.put(debtor_request_key(voucher.debtor, request.id), b"")
    _count_open(ctx.state, request, +1)
    update(ctx.state, voucher, reserved_by=request.id)
    ctx.emit("redemption.requested", request.id, body.holder, voucher.debtor)


def accept(ctx: Context, body: Accept) -> None:
    request = _open_request(ctx, body.request)
    require(request.debtor == body.debtor, "redemption.not_debtor",
            "only the voucher's debtor accepts its redemption")
    require_active(ctx.state, request.holder)
    offer = get_offer(ctx.state, request.offer)
    assert offer is not None
    # Another request may have taken the asset, or used the cap, since this one asked.
    if offer.kind == "asset":
        _require_listed(offer)
    else:
        require(offer.status != "redeemed", "redemption.offer_taken",
                f"offer {offer.id.hex()} is redeemed: its cap is used up")
        _require_within_cap(offer, get_stock(ctx.state, offer.id), request.price_fen)
    require(offer.kind != "asset" or body.title_ref, "redemption.title_ref_required",
            "an asset offset records the title transfer's registration number")
    voucher = load_live(ctx.state, request.voucher)
    reduced_fen = min(request.price_fen, voucher.amount_fen)
    shortfall_fen = request.price_fen - reduced_fen
    require(shortfall_fen == 0 or body.shortfall_ref, "redemption.shortfall_ref_required",
            f"the holder pays {shortfall_fen} fen in money; record its payment reference")
    voucher = update(ctx.state, voucher, reserved_by=None)
    reduce_origin(ctx.state, voucher, reduced_fen, "redeemed")
    remainder = None
    if reduced_fen < voucher.amount_fen:
        (kept,) = replace_with(ctx.state, voucher, [
            (voucher.holder, voucher.amount_fen - reduced_fen, "redemption_remainder")],
            ctx.tx_id, ctx.time_ms, ctx.height)
        remainder = kept.id
        ctx.emit("voucher.remainder", kept.id, voucher.holder, voucher.debtor)
    else:
        cancel(ctx.state, voucher, ctx.tx_id)
        ctx.emit("voucher.cancelled", voucher.id, voucher.holder, voucher.debtor)
    put_record(ctx.state, request_key(request.id), replace(
        request, status="accepted", decided_at_ms=ctx.time_ms, reduced_fen=reduced_fen,
        shortfall_fen=shortfall_fen, title_ref=body.title_ref,
        shortfall_ref=body.shortfall_ref, remainder=remainder))
    _count_open(ctx.state, request, -1)
    _consume(ctx, offer, request.price_fen)
    ctx.emit("redemption.accepted", request.id, request.holder, request.debtor)


def decline(ctx: Context, body: Decline) -> None:
    request = _open_request(ctx, body.request)
    require(request.debtor == body.debtor, "redemption.not_debtor",
            "only the voucher's debtor declines its redemption")
    _close(ctx, request, "declined", reason=body.reason)
    ctx.emit("redemption.declined", request.id, request.holder, request.debtor)


def cancel_request(ctx: Context, body: Cancel) -> None:
    request = _open_request(ctx, body.request)
    require(request.holder == body.holder, "redemption.not_holder",
            "only the holder who asked cancels a request")
    _close(ctx, request, "cancelled")
    ctx.emit("redemption.cancelled", request.id, request.holder, request.debtor)


# ------------------------------------------------------------------ who may read


def may_read_offer(state: Reader, caller: Caller, offer: Offer) -> bool:
    """A debtor's offers (the assets and consumption it settles with) are listed for every
    member: holders and whoever considers taking its claims choose from them."""
    return caller.member


def may_read_request(state: Reader, caller: Caller, request: Request) -> bool:
    """A redemption request is the holder's and the debtor's, who agree its price."""
    return caller.oversees or caller.one_of(request.holder, request.debtor)


READS = (
    Read("offer", ("member",), may_read_offer),
    Read("redemption", ("holder", "debtor", *OVERSIGHT), may_read_request),
)


OPERATIONS = (
    Operation("publish", Publish, lambda b: (b.debtor,), publish),
    Operation("change", Change, lambda b: (b.debtor,), change),
    Operation("withdraw_offer", WithdrawOffer, lambda b: (b.debtor,), withdraw_offer),
    Operation("request", Ask, lambda b: with_pledgee((b.holder,), b.pledgee), ask),
    Operation("accept", Accept, lambda b: (b.debtor,), accept),
    Operation("decline", Decline, lambda b: (b.debtor,), decline),
    Operation("cancel", Cancel, lambda b: (b.holder,), cancel_request),
)
