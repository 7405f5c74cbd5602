"""The funders' paths: their products (node/http/products.py), financing requests
(node/http/financing.py) and claims sold to them (node/http/sales.py)."""

from __future__ import annotations

from typing import Any

from contracts import financing, products, sale
from node.http.openapi.common import PAGING, STATUS_FILTER, answer, get, page, path_id, query
from node.http.schemas import enum, ref


def funding_paths() -> dict[str, Any]:
    return {
        "/v1/products": get(
            "Funders' products (banks', factors' and microlenders'): every one, or one "
            "funder's, of one kind",
            [query("funder", "funder address"),
             query("kind", "only products of this kind", enum(products.KINDS)),
             query("status", STATUS_FILTER, enum(products.STATUSES)), *PAGING],
            page("products", "Product", "a page of products"), 400),
        "/v1/products/{id}": get(
            "A funder's product",
            [path_id("id", "product id (sha256 of a domain tag, the funder and the "
                     "product's name)")],
            answer(ref("Product"), "product"), 400, 404),
        "/v1/financing/requests": get(
            "Financing requests: a member's own (made, addressed to it or answered by it), "
            "or without party= the open requests to every funder",
            [query("party", "member address (a member lists its own)"),
             query("status", STATUS_FILTER, enum(financing.REQUEST_STATUSES)), *PAGING],
            page("requests", "FinancingRequest", "a page of financing requests"), 400, 403),
        "/v1/financing/requests/{id}": get(
            "A financing request with the answers the caller reads",
            [path_id("id", "request id (the request transaction's id)")],
            answer(ref("FinancingRequestAnswered"), "financing request"), 400, 404),
        "/v1/sales": get(
            "Sales of claims to funders (保理) a party is seller, buyer or debtor of (a "
            "member lists its own)",
            [query("party", "the party's address", required=True),
             query("role", "only sales in which the party has this role", enum(sale.ROLES)),
             query("status", STATUS_FILTER, enum(sale.STATUSES)), *PAGING],
            page("sales", "ClaimSale", "a page of sales"), 400),
        "/v1/sales/{id}": get(
            "A sale of a claim to a funder",
            [path_id("id", "sale id (sha256 of a domain tag, the transaction's id and the "
                     "state or obligation sold)")],
            answer(ref("ClaimSale"), "sale"), 400, 404),
    }
