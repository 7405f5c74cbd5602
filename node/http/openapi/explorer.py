"""The regulator's explorer (node/http/explorer.py): its web page, its sign-in, and the
reads it needs beside the API's (the overview and the whole registries)."""

from __future__ import annotations

from typing import Any

from contracts import acquisition, financing, pledge, sale, setoff
from contracts.state import MAX_SCAN
from node.http.explorer import DEFAULT_BLOCKS, FILES, MAX_BLOCKS
from node.http.openapi.access import READ_ERRORS
from node.http.openapi.common import (
    ERROR,
    PAGING,
    STATUS_FILTER,
    answer,
    get,
    page,
    path_id,
    query,
)
from node.http.schemas import STR, enum, ref

REGISTRY_TEXT = ("Every record of one kind, in key order ({order}), after the cursor `after`. "
                 f"A page reads at most `limit` records; with `status=` at most {MAX_SCAN:,} "
                 "are examined, so a page may be short and still carry a `next`.")
HTML_PAGE = {"description": "the page", "content": {"text/html": {"schema": STR}}}


def explorer_paths() -> dict[str, Any]:
    """The regulator's explorer (a web page) and the reads it needs beside the API's."""

    def registry(summary: str, key: str, item: str, order: str, *statuses: str) -> dict:
        status = ([query("status", STATUS_FILTER, enum(statuses))] if statuses else [])
        return get(summary, [*status, *PAGING], page(key, item, f"a page of {key}"), 400,
                   description=REGISTRY_TEXT.format(order=order))

    return {
        "/explorer/": get("The explorer: a read-only web page over this API", [], HTML_PAGE,
                          description="A single-page app (hash routes: #/overview, "
                          "#/voucher/ID, #/pledges, #/commitments, #/overdue, #/debtors, "
                          "#/setoff, #/fees, #/reports, #/alerts) that reads the routes "
                          "below; every list has a filter box and a CSV download of the "
                          "rows it shows."),
        "/explorer/{file}": get(
            "A file of the explorer page",
            [path_id("file", "the file's name", enum(FILES))],
            {"description": "the file", "content": {
                content_type: {"schema": STR} for content_type in FILES.values()}}, 404),
        "/explorer/sign-in": get(
            "Open a one-time sign-in link: a session for the explorer's pages",
            [query("token", "the link's token (claimledger-wallet explorer)", STR)],
            {"description": "unused: a live token is answered 303"}, 503,
            description="A live token is spent and answered 303 to /explorer/ with the "
            "session cookie (claimledger_session: HttpOnly, SameSite=Strict, Secure over "
            "TLS); the pages' GET requests then carry it instead of a signature. An unknown, "
            "used or expired token is answered 403 with a page that says so.",
            more={"303": {"description": "signed in: on to /explorer/, the cookie set"},
                  "403": {"description": "the token is unknown, used or expired",
                          "content": {"text/html": {"schema": STR}}}}),
        "/explorer/sign-out": get("End the browser's explorer session", [], HTML_PAGE),
        "/v1/explorer/sign-in": {"post": {
            "summary": "A one-time link that opens the explorer (the agency and regulators)",
            "description": "Signed by the agency or a regulator (any other member: 403 "
            "read.forbidden); the link is good for one use within expires_in_ms.",
            "responses": {
                "200": answer({"type": "object", "required": [
                    "link", "expires_in_ms", "session_ms", "idle_ms"], "properties": {
                    "link": STR, "expires_in_ms": {"type": "integer"},
                    "session_ms": {"type": "integer"}, "idle_ms": {"type": "integer"}}},
                    "the link, a path on this node"),
                "403": READ_ERRORS["403"],
                "503": answer(ERROR, "session.busy: too many links wait to be opened")}}},
        "/v1/overview": get(
            "The head, the last blocks' times and transaction counts, the validators' last "
            "signatures, and the debtors' totals",
            [query("blocks", "how many blocks back from the head to read (default "
                   f"{DEFAULT_BLOCKS})", {"type": "integer", "minimum": 1, "maximum": MAX_BLOCKS})],
            answer(ref("Overview"), "overview"), 400,
            description="Blocks are read by height from the head down (headers and "
            "certificates only; a block read once is kept, so a later overview reads only "
            "newer blocks). The debtors' totals add up the debtor records, one per debtor, "
            "once per block."),
        "/v1/registry/debtors": registry(
            "Every debtor's record: outstanding, confirmations and their delay, late "
            "confirmations, extended and overdue vouchers", "debtors", "DebtorRecord",
            "by debtor address"),
        "/v1/registry/pledges": registry(
            "The whole pledge registry", "pledges", "Pledge", "by pledge id",
            *pledge.PLEDGE_STATUSES),
        "/v1/registry/financing": registry(
            "Every financing request (融资需求), whatever its status", "requests",
            "FinancingRequest", "by request id", *financing.REQUEST_STATUSES),
        "/v1/registry/sales": registry(
            "Every sale of a claim to a funder (保理)", "sales", "ClaimSale", "by sale id",
            *sale.STATUSES),
        "/v1/registry/commitments": registry(
            "Every acquisition commitment", "commitments", "Commitment", "by commitment id",
            *acquisition.COMMITMENT_STATUSES),
        "/v1/registry/rounds": registry(
            "Every set-off round, whatever its status", "rounds", "SetoffRound",
            "by round id; `round_no` and `proposed_at_ms` give the order they came in",
            *setoff.ROUND_STATUSES),
        "/v1/registry/fees": registry(
            "Every member's fee account: charged, paid, owed", "accounts",
            "FeeAccountSummary", "by member address"),
    }
