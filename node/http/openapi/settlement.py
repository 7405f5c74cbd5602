"""How a claim changes hands or is paid: transfers (node/http/transfers.py), redemption
offers and requests (node/http/settlement.py)."""

from __future__ import annotations

from typing import Any

from contracts import redemption, transfer
from node.http.openapi.common import PAGING, STATUS_FILTER, answer, get, page, path_id, query
from node.http.schemas import enum, ref


def settlement_paths() -> dict[str, Any]:
    return {
        "/v1/transfers": get(
            "Transfers (签收) a holder offered or a transferee is to sign (one of them)",
            [query("holder", "holder address"), query("to", "transferee address"),
             query("status", STATUS_FILTER, enum(transfer.STATUSES)), *PAGING],
            page("transfers", "Transfer", "a page of transfers"), 400),
        "/v1/transfers/{id}": get(
            "A transfer offer and its answer",
            [path_id("id", "transfer id (the offer transaction's id)")],
            answer(ref("Transfer"), "transfer"), 400, 404),
        "/v1/offers": get(
            "A debtor's redemption offers",
            [query("debtor", "debtor address", required=True),
             query("status", STATUS_FILTER, enum(redemption.OFFER_STATUSES)), *PAGING],
            page("offers", "Offer", "a page of offers"), 400),
        "/v1/offers/{id}": get(
            "A redemption offer", [path_id("id", "offer id (the publish transaction's id)")],
            answer(ref("Offer"), "offer"), 400, 404),
        "/v1/redemptions": get(
            "Redemption requests by holder or by debtor (one of them)",
            [query("holder", "holder address"), query("debtor", "debtor address"),
             query("status", STATUS_FILTER, enum(redemption.REQUEST_STATUSES)), *PAGING],
            page("redemptions", "Redemption", "a page of redemption requests"), 400),
        "/v1/redemptions/{id}": get(
            "A redemption request",
            [path_id("id", "request id (the request transaction's id)")],
            answer(ref("Redemption"), "redemption request"), 400, 404),
    }
