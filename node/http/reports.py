"""Period reports over HTTP: GET /v1/reports, as JSON, CSV or XLSX.

  GET /v1/reports?period=2026-11&by=debtor&member=<address>&format=json|csv|xlsx

`period` names a China-time month, quarter, year or annual report
(contracts.report_periods); `by` groups the rows (total, debtor, bank, region, month;
default total); `member` limits the figures to that member's own business (the facts
whose debtor or bank it is). The agency and the regulators read any report; any other
member must give its own address as `member` (contracts.reports.may_read_report;
`read.forbidden` otherwise). `format` is json (default), csv or xlsx
(node/report_export.py); CSV and XLSX come as a download named after the period.

The figures are summed from the node's report index (node/reports.py), brought
towards the head first for at most CATCH_UP_BUDGET_MS; the answer says the heights it
counts from and to, and whether that is the head (`complete`: on a long chain the first
reports after a start are partial, and each later one goes on from there).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import membership
from contracts.errors import Forbidden
from contracts.report_periods import PeriodError, parse_period
from contracts.reports import (
    FIGURES,
    GROUPINGS,
    NO_BANK,
    Report,
    ReportScope,
    Row,
    aggregate,
    may_read_report,
    region_of,
)
from node.http.params import NODE, address_param, bad_request, choice_param
from node.http.reads import reader
from node.report_export import CONTENT_TYPES, FORMATS, KEY_HEADERS, export
from node.reports import ReportIndex
from node.service import Node

REPORT_INDEX = web.AppKey("report_index", ReportIndex)
# How long one request reads blocks into the index (the first on a long chain stops
# there and says how far it counted); about a dozen blocks of 250 transactions.
CATCH_UP_BUDGET_MS = 250
SEEDS = {  # which seed section each kind of period answers
    "month": "§004-(六) 按月通报进展情况",
    "quarter": "§000-四(二) 定期监测",
    "year": "§000-四(二) 定期监测",
    "annual": "§000-四(二) 每年1月31日前报送上年度工作开展情况",
}


def member_name(node: Node, address_hex: str) -> str:
    """The member's name at the address, or "" (a bank row may be `none`)."""
    if address_hex == NO_BANK:
        return ""
    found = membership.get_member(node.store, bytes.fromhex(address_hex))
    return "" if found is None else found.name


def _row_view(row: Row) -> dict[str, Any]:
    return {figure: {"count": sums.count, "amount_fen": sums.amount_fen}
            for figure, sums in row.figures.items()}


def report_view(node: Node, index: ReportIndex, report: Report) -> dict[str, Any]:
    """A report as the API answers it (JSON keys in English; headers in Chinese too)."""
    period = report.period
    named = report.by in ("debtor", "bank")
    zh, en = KEY_HEADERS[report.by]
    return {
        "period": {"name": period.name, "kind": period.kind, "start_ms": period.start_ms,
                   "end_ms": period.end_ms, "time_zone": "UTC+8", "due": period.due,
                   "seed": SEEDS[period.kind]},
        "by": report.by,
        "key_header": {"zh": zh, "en": en},
        "member": None if report.member is None else report.member.hex(),
        "figures": [{"key": key, "zh": names[0], "en": names[1]}
                    for key, names in FIGURES.items()],
        "rows": [{"key": row.key, "name": member_name(node, row.key) if named else "",
                  **_row_view(row)} for row in report.rows],
        "total": _row_view(report.total),
        "facts": report.facts,
        "from_height": index.from_height,
        "height": index.height,
        "complete": index.complete(node),
    }


def compute(request: web.Request) -> dict[str, Any]:
    """The report a request asks for, as its JSON view, once the caller may read it."""
    caller = reader(request)
    node = request.app[NODE]
    text = request.query.get("period")
    if text is None:
        raise bad_request("missing_parameter", "give period= (YYYY-MM, YYYY-Qn, YYYY or "
                          "YYYY-annual)")
    try:
        period = parse_period(text)
    except PeriodError as e:
        raise bad_request("bad_parameter", str(e)) from None
    by = choice_param(request, "by", set(GROUPINGS)) or "total"
    member = address_param(request, "member")
    if not may_read_report(node.store, caller, ReportScope(member)):
        raise Forbidden("a member reads the report of its own business: give member= your "
                        "address (the agency and the regulators read every report)")
    index = request.app[REPORT_INDEX]
    index.catch_up(node, CATCH_UP_BUDGET_MS)
    report = aggregate(index.facts_in(period), period, by,
                       lambda debtor: region_of(node.store, debtor), member)
    return report_view(node, index, report)


async def get_report(request: web.Request) -> web.Response:
    """A period's figures (issued, transferred, financed, pledged, redeemed, set off,
    extended, overdue, late confirmations) by debtor, bank, region or month."""
    fmt = choice_param(request, "format", set(FORMATS)) or "json"
    view = compute(request)
    if fmt == "json":
        return web.json_response(view)
    name = f"claimledger-report-{view['period']['name']}-{view['by']}.{fmt}"
    return web.Response(body=export(view, fmt), headers={
        "Content-Type": CONTENT_TYPES[fmt] + ("; charset=utf-8" if fmt == "csv" else ""),
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
    })


def add_reports(app: web.Application) -> None:
    """Register GET /v1/reports and the index it reads."""
    app[REPORT_INDEX] = ReportIndex()
    app.add_routes([web.get("/v1/reports", get_report)])
