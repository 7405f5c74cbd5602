"""A period report as a table for people: CSV and XLSX with Chinese column headers.

The JSON answer (node/http/reports.py) keys every field in English; the exports carry
the same rows under Chinese headers (with the English in parentheses), each figure as
its count, its amount in yuan written as text with two decimals (made from the integer
fen, never through a float) and the amount in fen as an integer. The last row is the
total (合计).

CSV is UTF-8 with a byte-order mark, so that a spreadsheet opened on a Chinese desktop
reads the headers right; XLSX is written by openpyxl, the yuan cells typed as text and
counts and fen as numbers (as text past 2^53, where a spreadsheet's double would round).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from contracts.reports import FIGURES

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_EXACT_INT = 2**53 - 1  # the largest integer a spreadsheet's double holds exactly
# How each grouping names its rows' key.
KEY_HEADERS = {
    "total": ("合计", "Total"),
    "debtor": ("债务人", "Debtor"),
    "bank": ("资金方", "Bank or funder"),
    "region": ("地区代码", "Region code"),
    "month": ("月份", "Month"),
}


def yuan_text(fen: int) -> str:
    """Integer fen as yuan with two decimals: 123456 -> "1234.56"."""
    assert isinstance(fen, int) and fen >= 0, fen
    return f"{fen // 100}.{fen % 100:02d}"


def headers(by: str) -> list[str]:
    """The export's column headers, Chinese first, the English in parentheses."""
    zh, en = KEY_HEADERS[by]
    columns = ["期间 (Period)", f"{zh} (Key: {en})", "名称 (Name)"]
    for figure_zh, figure_en in FIGURES.values():
        columns += [f"{figure_zh}笔数 ({figure_en}: count)",
                    f"{figure_zh}金额（元） ({figure_en}: yuan)",
                    f"{figure_zh}金额（分） ({figure_en}: fen)"]
    return columns


def _cells(period: str, row: dict[str, Any]) -> list[Any]:
    cells: list[Any] = [period, row["key"], row.get("name") or ""]
    for figure in FIGURES:
        sums = row[figure]
        cells += [sums["count"], yuan_text(sums["amount_fen"]), sums["amount_fen"]]
    return cells


def table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows (the total last) of a report's JSON view."""
    period = report["period"]["name"]
    rows = [_cells(period, row) for row in report["rows"]]
    rows.append(_cells(period, {**report["total"], "key": "合计 total", "name": ""}))
    return headers(report["by"]), rows


def csv_bytes(report: dict[str, Any]) -> bytes:
    """The report as CSV (UTF-8 with a byte-order mark)."""
    head, rows = table(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(report: dict[str, Any]) -> bytes:
    """The report as an XLSX workbook of one sheet; yuan cells are text, counts and fen
    integers."""
    from openpyxl import Workbook  # imported when asked: most nodes never export

    head, rows = table(report)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"报表 {report['period']['name']}"[:31]
    sheet.append(head)
    for row in rows:
        # A spreadsheet's numbers are doubles: an integer past 2^53 would be rounded, so
        # it is written as its digits instead (no ledger sum comes near: 9*10^13 yuan).
        sheet.append([str(v) if isinstance(v, int) and abs(v) > MAX_EXACT_INT else v
                      for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # "1234.56" stays text, as written
    sheet.freeze_panes = "D2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(report: dict[str, Any], fmt: str) -> bytes:
    """The report's bytes in `fmt` ("csv" or "xlsx")."""
    if fmt == "csv":
        return csv_bytes(report)
    assert fmt == "xlsx", fmt
    return xlsx_bytes(report)
