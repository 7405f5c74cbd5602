"""Court freezes and disputes (node/http/supervision.py)."""

from __future__ import annotations

from typing import Any

from contracts import supervision
from node.http.openapi.common import PAGING, STATUS_FILTER, answer, get, page, path_id, query
from node.http.schemas import enum, ref


def supervision_paths() -> dict[str, Any]:
    return {
        "/v1/freezes": get(
            "Freeze orders (冻结): a party's (holder or debtor; a member lists its own), an "
            "issued voucher's, or, with neither, every order in force (agency, regulators)",
            [query("party", "holder or debtor address"),
             query("voucher", "the issued voucher (origin id)"),
             query("status", STATUS_FILTER, enum(supervision.FREEZE_STATUSES)), *PAGING],
            page("freezes", "FreezeOrder", "a page of freeze orders"), 400),
        "/v1/freezes/{id}": get(
            "A freeze order", [path_id("id", "order id (the freezing transaction's id)")],
            answer(ref("FreezeOrder"), "freeze order"), 400, 404),
        "/v1/disputes": get(
            "Disputes (异议): a party's (a member lists its own), a subject's, or, with "
            "neither, every open dispute, or every one of a status (agency, regulators)",
            [query("party", "party address"),
             query("subject", "application id, issued voucher (origin) id or obligation id"),
             query("status", STATUS_FILTER + " (any: every status; with neither party nor "
                   "subject the default is open)",
                   enum(supervision.DISPUTE_STATUSES | {"any"})), *PAGING],
            page("disputes", "Dispute", "a page of disputes"), 400),
        "/v1/disputes/{id}": get(
            "A dispute", [path_id("id", "dispute id (the raising transaction's id)")],
            answer(ref("Dispute"), "dispute"), 400, 404),
    }
