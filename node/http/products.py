"""Funders' products: the financing a bank, a factor or a microlender offers, listed for
every member (contracts/products.py owns the keys, the pages and the read rule)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import products
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
    page_answer,
)
from node.http.reads import reader, record_by_id


def product_view(product: products.Product) -> dict[str, Any]:
    return to_json(product)


async def list_products(request: web.Request) -> web.Response:
    """A page of products, every funder's or one funder's, of one kind or status if given."""
    node = request.app[NODE]
    caller = reader(request)
    funder = address_param(request, "funder")
    kind = choice_param(request, "kind", set(products.KINDS))
    status = choice_param(request, "status", set(products.STATUSES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = products.products_page(node.store, cursor_param(request), limit,
                                               funder=funder, kind=kind, status=status)
    rows = readable(node.store, caller, "product", page)
    return page_answer("products", [product_view(p) for p in rows], next_cursor)


async def get_product(request: web.Request) -> web.Response:
    """A funder's product."""
    product = record_by_id(request, "product", "product", products.get_product)
    return web.json_response(product_view(product))
