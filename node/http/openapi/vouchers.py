"""The vouchers' paths (node/http/vouchers.py): voucher states and their lineage, issued
vouchers, holders' and debtors' totals, the pledge registry and acquisition commitments."""

from __future__ import annotations

from typing import Any

from contracts import pledge, registry_query, vouchers
from node.http.openapi.common import (
    PAGING,
    STATUS_FILTER,
    answer,
    bare_page,
    get,
    page,
    path_id,
    query,
)
from node.http.schemas import NEXT, enum, ref

# The filters of the pledge registry, as a listing and as a signed certificate take them.
PLEDGE_FILTERS = [
    query("voucher", "voucher state id"), query("origin", "issued voucher id"),
    query("pledgor", "pledgor address"),
    query("debtor", "address of the debtor of the pledged claims")]
PLEDGE_STATUS = query("status", STATUS_FILTER, enum(pledge.PLEDGE_STATUSES))


def voucher_paths() -> dict[str, Any]:
    address = path_id("address", "member address")
    return {
        "/v1/vouchers": get(
            "Vouchers by holder or by debtor, optionally by status; or live overdue or "
            "extended states (standing), optionally by holder or debtor",
            [query("holder", "holder address"), query("debtor", "debtor address"),
             query("status", STATUS_FILTER, enum(vouchers.VOUCHER_STATUSES)),
             query("standing", "live states that are overdue or extended",
                   enum(vouchers.VOUCHER_STANDINGS)), *PAGING],
            bare_page("vouchers", "VoucherState", "a page of vouchers"), 400,
            description="status=active reads the live indices. A page may hold fewer "
            "than `limit` vouchers and still have a `next` cursor when filters apply."),
        "/v1/vouchers/{id}": get(
            "A voucher state with its lineage back to the issued voucher, its direct "
            "children and its origin record",
            [path_id("id", "voucher id")], answer(ref("Voucher"), "voucher"), 400, 404),
        "/v1/vouchers/{id}/lineage": get(
            "A voucher state with every ancestor state and the tree of its descendants",
            [path_id("id", "voucher id")], answer(ref("Lineage"), "lineage"), 400, 404),
        "/v1/holders/{address}": get(
            "What a member holds: live claim in fen and number of live parts",
            [address], answer(ref("HolderTotals"), "holder totals"), 400, 404),
        "/v1/debtors/{address}": get(
            "A debtor's record: outstanding, issued, redeemed, confirmations, lateness",
            [address], answer(ref("DebtorRecord"), "debtor record"), 400, 404),
        "/v1/origins/{id}": get(
            "An issued voucher as a whole: face value, redeemed, set off, live parts",
            [path_id("id", "id of the issued voucher")], answer(ref("Origin"), "origin"),
            400, 404),
        "/v1/pledges": get(
            "The pledge registry by voucher state, issued voucher, pledgor, debtor or bank "
            "(one of them)",
            [*PLEDGE_FILTERS, query("bank", "bank address (a bank lists its own)"),
             PLEDGE_STATUS, *PAGING],
            answer({"type": "object", "required": ["pledges", "next"], "properties": {
                "pledges": {"type": "array",
                            "items": {"anyOf": [ref("Pledge"), ref("PledgeNotice")]}},
                "next": NEXT}}, "a page of pledges: the registration to its parties, the "
                "public notice to other members"), 400),
        "/v1/pledges/certificate": get(
            "A query certificate (查询证明): the registry's answer signed by this node",
            [*PLEDGE_FILTERS, PLEDGE_STATUS,
             query("after", "the page after this pledge id")],
            answer(ref("PledgeCertificate"), "the certificate: verify it offline with "
                   "contracts.registry_query.verify_certificate (wallet: pledge-certificate)"),
            400, 403,
            description=f"One of voucher=, origin=, pledgor=, debtor=. At most "
            f"{registry_query.MAX_RESULTS} public notices, by pledge id, each with a proof "
            "of its index entry under the state root of the head it was answered at."),
        "/v1/pledges/{id}": get(
            "A pledge registration", [path_id("id", "pledge id (the create transaction's id)")],
            answer(ref("Pledge"), "pledge"), 400, 404),
        "/v1/commitments": get(
            "Acquisition commitments a voucher state carries, or an acquirer's (one of them)",
            [query("voucher", "voucher state id"), query("acquirer", "acquirer address"),
             *PAGING],
            page("commitments", "Commitment", "a page of commitments"), 400, 404),
        "/v1/commitments/{id}": get(
            "An acquisition commitment and a page of its sales",
            [path_id("id", "commitment id (the commit transaction's id)"), *PAGING],
            answer({"allOf": [ref("Commitment"), {"type": "object", "properties": {
                "sales": {"type": "array", "items": ref("Sale")}, "next": NEXT}}]},
                "commitment with sales"), 400, 404,
            description="`after` is the exercise transaction id of the last sale seen."),
    }
