"""The columns and marks the wallet's tables share: money right-aligned, ids and dates
unbroken, a voucher's standing, the cursor of a page that has more; and the console that
prints tables with their headers in the wallet's language (wallet/i18n.py), so that a
verb names its columns in English once."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Column, Table

from wallet.i18n import _
from wallet.shown import visible, visible_lines


def standing(v: dict) -> str:
    marks = []
    if v.get("overdue_since_ms") is not None:
        marks.append(_("overdue"))
    if v.get("extensions_used"):
        marks.append(_("extended ×{times}").format(times=v["extensions_used"]))
    if v.get("pledge"):
        marks.append(_("pledged"))
    if v.get("reserved_by"):
        marks.append(_("reserved"))
    if v.get("commitments"):
        marks.append(_("commitment"))
    return ", ".join(marks)


def money(header: str) -> Column:
    return Column(header, justify="right", no_wrap=True)


def fixed(header: str) -> Column:
    return Column(header, no_wrap=True)


def more(console: Console, found: dict) -> None:
    if found.get("next"):
        console.print(_("(more after {cursor})").format(cursor=found["next"]))


class SpeakingConsole(Console):
    """A rich Console whose tables' headers are shown in the wallet's language (a header
    with an entry in the catalogue is translated as the table is printed), and whose text
    and cells are shown `visible` (wallet/shown.py): a name or a reference a member chose
    moves no cursor and starts no line."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        shown: list[Any] = []
        for thing in objects:
            if isinstance(thing, Table):
                for column in thing.columns:
                    if isinstance(column.header, str) and column.header:
                        column.header = _(column.header)
                    column._cells = [visible(cell) if isinstance(cell, str) else cell
                                     for cell in column._cells]
            shown.append(visible_lines(thing) if isinstance(thing, str) else thing)
        super().print(*shown, **kwargs)
