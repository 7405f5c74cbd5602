"""Sales of claims to funders (保理): a party's sales and one sale, as the read rules let
each caller read them (contracts/sale.py owns the keys, the pages and the read rule)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import sale
from contracts.access import readable
from contracts.codec import to_json
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_param,
    choice_param,
    cursor_param,
    int_param,
    only_one,
    page_answer,
)
from node.http.reads import own_listing, reader, record_by_id


def sale_view(claim_sale: sale.ClaimSale) -> dict[str, Any]:
    return to_json(claim_sale)


async def list_sales(request: web.Request) -> web.Response:
    """A page of the sales a party is seller, buyer or debtor of (a member lists its own;
    only one role, or one status, if given)."""
    node = request.app[NODE]
    caller = reader(request)
    _, party = only_one(party=address_param(request, "party"))
    own_listing(caller, party=party)
    role = choice_param(request, "role", set(sale.ROLES))
    status = choice_param(request, "status", set(sale.STATUSES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = sale.sales_page(node.store, party, cursor_param(request), limit,
                                        role=role, status=status)
    rows = readable(node.store, caller, "claim_sale", page)
    return page_answer("sales", [sale_view(s) for s in rows], next_cursor)


async def get_sale(request: web.Request) -> web.Response:
    """A sale of a claim to a funder."""
    claim_sale = record_by_id(request, "claim_sale", "sale", sale.get_sale)
    return web.json_response(sale_view(claim_sale))
