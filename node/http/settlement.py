"""Settlement records: debtors' redemption offers, holders' redemption requests and
obligations (the debts, besides vouchers, that set-off clears).

Each handler answers with the record kind its name and its view function say; the reads
are contracts/' (redemption, obligations), which own the keys.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import obligations, redemption, setoff
from contracts.access import readable
from contracts.codec import to_json
from contracts.state import Reader
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_param,
    bad_request,
    choice_param,
    cursor_param,
    int_param,
    only_one,
    page_answer,
)
from node.http.reads import own_listing, reader, record_by_id
from node.service import Node

# ---------------------------------------------------------------- offers and redemptions


def offer_view(store: Reader, offer: redemption.Offer) -> dict[str, Any]:
    """The offer with its stock (title number, cap and what is used of it), if any."""
    stock = redemption.get_stock(store, offer.id)
    return {**to_json(offer), "stock": None if stock is None else to_json(stock)}


def redemption_view(request: redemption.Request) -> dict[str, Any]:
    return to_json(request)


async def list_offers(request: web.Request) -> web.Response:
    """A page of a debtor's redemption offers (every member's to read)."""
    node = request.app[NODE]
    caller = reader(request)
    debtor = address_param(request, "debtor")
    if debtor is None:
        raise bad_request("missing_parameter", "give debtor=ADDRESS")
    status = choice_param(request, "status", redemption.OFFER_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = redemption.offers_page(node.store, debtor, cursor_param(request),
                                               limit, status)
    rows = readable(node.store, caller, "offer", page)
    return page_answer("offers", [offer_view(node.store, o) for o in rows], next_cursor)


async def get_offer(request: web.Request) -> web.Response:
    """A redemption offer."""
    offer = record_by_id(request, "offer", "offer", redemption.get_offer)
    return web.json_response(offer_view(request.app[NODE].store, offer))


async def list_redemptions(request: web.Request) -> web.Response:
    """A page of a holder's or a debtor's redemption requests (a member lists its own)."""
    node = request.app[NODE]
    caller = reader(request)
    name, address = only_one(holder=address_param(request, "holder"),
                             debtor=address_param(request, "debtor"))
    own_listing(caller, **{name: address})
    status = choice_param(request, "status", redemption.REQUEST_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = redemption.requests_page(node.store, cursor_param(request), limit,
                                                 status=status, **{name: address})
    rows = readable(node.store, caller, "redemption", page)
    return page_answer("redemptions", [redemption_view(r) for r in rows], next_cursor)


async def get_redemption(request: web.Request) -> web.Response:
    """A redemption request."""
    found_request = record_by_id(request, "redemption", "redemption request",
                                 redemption.get_request)
    return web.json_response(redemption_view(found_request))


# ---------------------------------------------------------------- obligations


def obligation_view(node: Node, obligation: obligations.Obligation) -> dict[str, Any]:
    """The obligation and the open set-off round it is in, if any."""
    in_round = setoff.open_round_of(node.store, obligation.id)
    return {**to_json(obligation), "open_round": None if in_round is None else in_round.hex()}


async def list_obligations(request: web.Request) -> web.Response:
    """A page of a creditor's or a debtor's obligations (a member lists its own)."""
    node = request.app[NODE]
    caller = reader(request)
    name, address = only_one(creditor=address_param(request, "creditor"),
                             debtor=address_param(request, "debtor"))
    own_listing(caller, **{name: address})
    status = choice_param(request, "status", obligations.STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = obligations.obligations_page(node.store, cursor_param(request), limit,
                                                     status=status, **{name: address})
    rows = readable(node.store, caller, "obligation", page)
    return page_answer("obligations", [obligation_view(node, o) for o in rows], next_cursor)


async def get_obligation(request: web.Request) -> web.Response:
    """An obligation."""
    obligation = record_by_id(request, "obligation", "obligation", obligations.get_obligation)
    return web.json_response(obligation_view(request.app[NODE], obligation))
