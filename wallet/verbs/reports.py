"""Period reports: `report --period 2026-11 --by debtor --format csv --out FILE`.

The node computes the report (GET /v1/reports) and exports it; the wallet writes the
node's CSV or XLSX bytes to the file as they came, so the wallet's file and the
explorer's download are the same table. Without --format (or with table) it prints the
figures; --json prints the JSON answer.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts.errors import LedgerError
from contracts.reports import FIGURES, GROUPINGS
from wallet.files import write_private
from wallet.i18n import _, pgettext
from wallet.resolve import address_of
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money
from wallet.units import yuan

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()
FORMATS = ("table", "json", "csv", "xlsx")


def _member(w: Wallet, text: str | None) -> str | None:
    if text is None:
        return None
    return w.address().hex() if text == "me" else address_of(w, text).hex()


def report_table(report: dict) -> Table:
    """One line per row of the report: each figure's count and amount."""
    named = report["by"] in ("debtor", "bank")
    t = Table(fixed(report["key_header"]["en"].lower()),
              *(money(FIGURES[f["key"]][1].lower()) for f in report["figures"]))
    for row in [*report["rows"], {**report["total"], "key": "total"}]:
        key = addr(row["key"]) if named and len(row["key"]) == 64 else row["key"]
        t.add_row(key, *(f"{row[f]['count']} · {yuan(row[f]['amount_fen'])}"
                         for f in FIGURES))
    return t


@verbs.command("report")
@click.option("--period", required=True,
              help="YYYY-MM, YYYY-Qn, YYYY or YYYY-annual (China time, UTC+8)")
@click.option("--by", type=click.Choice(GROUPINGS), default="total", show_default=True,
              help="how the rows group: debtor, bank, region (the debtor's) or month")
@click.option("--member", help="only this member's business (its address, or `me`); a "
              "member that is neither agency nor regulator reads only its own")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="csv and xlsx need --out")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="write the report to this file (csv, xlsx or json)")
@pass_wallet
def report_verb(w: Wallet, period: str, by: str, member: str | None, fmt: str,
                out: Path | None) -> None:
    """A period's figures (issued, transferred, financed, pledged, redeemed, set off,
    extended, overdue, late confirmations) by debtor, bank, region or month."""
    who = _member(w, member)
    if fmt in ("csv", "xlsx"):
        if out is None:
            raise LedgerError("wallet.bad_option", f"--format {fmt} writes a file: give --out")
        data = w.ledger.report_file(period, by, fmt, who)
        write_private(out, data)
        w.emit({"out": str(out), "format": fmt, "bytes": len(data)},
               lambda c: c.print(_("wrote {out} ({format}, {size} bytes)").format(
                   out=out, format=fmt, size=len(data))))
        return
    report = w.ledger.report(period, by, who)
    if out is not None:
        import json

        write_private(out, json.dumps(report, ensure_ascii=False, indent=2).encode())

    def show(console: Console) -> None:
        p = report["period"]
        console.print(_("report {name} ({kind}, {zone}) by {by}").format(
            name=p["name"], kind=pgettext("report", p["kind"]), zone=p["time_zone"],
            by=pgettext("grouping", report["by"]))
                      + (_(", due {due}").format(due=p["due"]) if p["due"] else "")
                      + _(": heights {start}–{end}").format(start=report["from_height"],
                                                           end=report["height"]))
        console.print(report_table(report))
        if not report["complete"]:
            console.print(_("partial: the node has counted up to height {height} so far; ask "
                            "again for the rest").format(height=report["height"]))

    w.emit(report, show)
