"""Credit limits and the blacklist (node/http/credit.py)."""

from __future__ import annotations

from typing import Any

from contracts import credit
from node.http.openapi.common import PAGING, answer, get, page, path_id, query
from node.http.schemas import enum, ref


def credit_paths() -> dict[str, Any]:
    return {
        "/v1/credit/limits": get(
            "Every debtor's issuance limit (授信额度) with its use, listing and standing, by "
            "debtor address (agency, regulators)", PAGING,
            page("limits", "DebtorCredit", "a page of debtors' credit, each with a limit"),
            400),
        "/v1/credit/debtors/{address}": get(
            "A debtor's issuance limit (授信额度) and its use (outstanding + pending "
            "applications), its blacklist listing and its standing under the criteria",
            [path_id("address", "debtor address")],
            answer(ref("DebtorCredit"), "the debtor's credit"), 400, 404),
        "/v1/credit/exposures/{funder}/{debtor}": get(
            "A funder's exposure (大额风险暴露) to a debtor: claims pledged to it plus held "
            "by it, and the limit it set (the funder's own and oversight's)",
            [path_id("funder", "funder address"), path_id("debtor", "debtor address")],
            answer(ref("Exposure"), "exposure"), 400, 404),
        "/v1/credit/blacklist": get(
            "The blacklist (失信名单): the debtors listed now, by address",
            [query("status", "listed (default), delisted, or any",
                   enum(credit.LISTING_STATUSES | {"any"})), *PAGING],
            page("listings", "Listing", "a page of listings"), 400),
        "/v1/credit/criteria": get(
            "The blacklist criteria in force", [],
            answer(ref("BlacklistCriteria"), "criteria")),
    }
