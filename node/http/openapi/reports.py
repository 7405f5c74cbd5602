"""Period reports (node/http/reports.py) and oversight alerts (node/http/alerts.py): the
report's table and the alerts' entries are views of the node's, typed here; their
figures, groupings, periods and alert kinds are read from where they are defined."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from contracts import supervision
from contracts.report_periods import KINDS, PERIOD_PATTERN
from contracts.reports import FIGURES, GROUPINGS, Figure
from node.http.alerts import DEFAULT_THRESHOLD_PCT
from node.http.alerts import SOURCES as ALERT_SOURCES
from node.http.openapi.common import LIMIT, answer, get, query
from node.http.schemas import HEX32, HEX32_OR_NULL, INT, STR, enum, record
from node.report_export import CONTENT_TYPES as EXPORT_TYPES
from node.report_export import FORMATS as EXPORT_FORMATS

COUNT = {"type": "integer", "minimum": 0}


def report_paths() -> dict[str, Any]:
    """Period reports (node/http/reports.py) and oversight alerts (node/http/alerts.py)."""
    sums = [f.name for f in fields(Figure)]  # a count and an amount in fen
    figure = record(sums, **dict.fromkeys(sums, COUNT))
    figures = {name: figure for name in FIGURES}
    row = record(["key", "name", *FIGURES], key=STR, name=STR, **figures)
    report = record(
        ["period", "by", "key_header", "member", "figures", "rows", "total", "facts",
         "from_height", "height", "complete"],
        period=record(["name", "kind", "start_ms", "end_ms", "time_zone", "due", "seed"],
                      name=STR, kind=enum(KINDS), start_ms=INT, end_ms=INT,
                      time_zone={"const": "UTC+8"},
                      due={"type": ["string", "null"], "description":
                           "the annual report's due date (§000-四(二): 31 January)"},
                      seed=STR),
        by=enum(GROUPINGS), key_header=record(["zh", "en"], zh=STR, en=STR),
        member=HEX32_OR_NULL,
        figures={"type": "array", "items": record(["key", "zh", "en"], key=enum(FIGURES),
                                                   zh=STR, en=STR)},
        rows={"type": "array", "items": row}, total=record(list(FIGURES), **figures),
        facts=INT, from_height=INT, height=INT,
        complete={"type": "boolean", "description": "the figures count every block up to "
                  "the head (false: the node's index is still reading a long chain; ask "
                  "again)"})
    alert = record(["kind", "subject", "debtor", "member", "amount_fen", "since_ms"],
                   kind=enum(ALERT_SOURCES), subject=HEX32, debtor=HEX32, member=HEX32_OR_NULL,
                   amount_fen=INT, since_ms=INT,
                   # what the disputes and freezes sources add
                   dispute={**HEX32, "description": "disputes: the dispute's id (subject: "
                            "what it disputes)"},
                   dispute_kind={**enum(supervision.DISPUTE_KINDS), "description":
                                 "disputes: what is disputed"},
                   reason={**STR, "description": "disputes: the raising party's reason"},
                   age_days={**INT, "description": "disputes: whole days open, in ledger "
                             "time"},
                   voucher={**HEX32, "description": "freezes: the frozen voucher state"},
                   authority={**HEX32, "description": "freezes: the regulator or agency "
                              "that froze it"},
                   order_ref={**STR, "description": "freezes: the court order's reference"})
    alerts = record(["threshold_pct", "height", "sources"], threshold_pct=INT, height=INT,
                    sources={"type": "array", "items": record(
                        ["kind", "zh", "en", "alerts", "complete"], kind=enum(ALERT_SOURCES),
                        zh=STR, en=STR, alerts={"type": "array", "items": alert},
                        complete={"type": "boolean"})})
    period_text = {"type": "string", "pattern": PERIOD_PATTERN}
    download = {"description": "the report as a table (Chinese headers; yuan as text with "
                "two decimals beside integer fen)", "content": {
                    "application/json": {"schema": report},
                    "text/csv": {"schema": STR},
                    EXPORT_TYPES["xlsx"]: {"schema": {"type": "string",
                                                      "format": "binary"}}}}
    return {
        "/v1/reports": get(
            "A period's figures by debtor, bank, region or month, as JSON, CSV or XLSX",
            [query("period", "YYYY-MM, YYYY-Qn, YYYY or YYYY-annual: a calendar period "
                   "in China Standard Time (UTC+8)", period_text, required=True),
             query("by", "how the rows group (default total)", enum(GROUPINGS)),
             query("member", "only this member's business (the facts whose debtor or bank "
                   "it is); required of a member that is neither agency nor regulator"),
             query("format", "json (default), csv or xlsx", enum(EXPORT_FORMATS))],
            download, 400,
            description="Counts and amounts in fen of vouchers issued, transferred, "
            "financed (loans accepted, claims sold), pledged, redeemed, set off, extended "
            "and overdue, and of late confirmations, in [start_ms, end_ms) of block time. "
            "The agency and regulators read every report; another member reads its own "
            "(member= its address), else 403 read.forbidden."),
        "/v1/alerts": get(
            "Oversight alerts: overdue vouchers, late confirmations, concentration, open "
            "disputes, freeze orders in force",
            [query("kind", "only this kind of alert", enum(ALERT_SOURCES)),
             query("threshold_pct", "concentration: a holder's or bank's share of one "
                   f"debtor's outstanding above this percent (default {DEFAULT_THRESHOLD_PCT})",
                   {"type": "integer", "minimum": 1, "maximum": 100}),
             LIMIT],
            answer(alerts, "each alert source's alerts"), 400,
            description="One entry per alert source (node/http/alerts.py ALERT_SOURCES); "
            "the agency and regulators only."),
    }
