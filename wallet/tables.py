"""The columns and marks the wallet's tables share: money right-aligned, ids and dates
unbroken, a voucher's standing, the cursor of a page that has more; and the console that
prints tables with their headers in the wallet's language (wallet/i18n.py), so that a
verb names its columns in English once."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
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
                if self.is_terminal:  # a file or a pipe is printed wide (Wallet.emit)
                    thing = fitted(self, thing)
            shown.append(visible_lines(thing) if isinstance(thing, str) else thing)
        super().print(*shown, **kwargs)


def _ranges(console: Console, table: Table) -> list[tuple[int, int]]:
    """Each column's (narrowest, widest) in cells, padding included: a column that must
    not wrap (an id, an amount, a date) is as narrow as its widest cell; another is as
    narrow as its longest word."""
    options = console.options.update_width(10_000)
    found = []
    for column in table.columns:
        least, most = table._measure_column(console, options, column)
        found.append((most if column.no_wrap else least, most))
    return found


def _shrunk(widths: list[int], least: list[int], room: int) -> list[int] | None:
    """`widths` narrowed, the widest wrapping column first and none below its `least`,
    until they add up to `room` or less; None when they cannot."""
    if sum(least) > room:
        return None
    widths = list(widths)
    while sum(widths) > room:
        i = max((j for j in range(len(widths)) if widths[j] > least[j]),
                key=lambda j: widths[j])
        widths[i] -= 1
    return widths


def fitted(console: Console, table: Table) -> Any:
    """`table` as it fits the console's width without cutting a cell that must not wrap:
    as it is when it fits; else without its outer frame and with the wrapping columns
    (a status, a reason) wrapped; else each row as lines of `header  value` (a narrow
    terminal: an id shown cut, `1a2b3c…`, is one no command takes)."""
    if table.width is not None or sum(most for _, most in _ranges(console, table)) \
            + table._extra_width <= console.width:
        return table
    table.box, table.show_edge, table.pad_edge = box.SIMPLE_HEAD, False, False
    table.padding = (0, 1, 0, 0)  # with the space between columns: two apart
    ranges = _ranges(console, table)
    widths = _shrunk([most for _, most in ranges], [least for least, _ in ranges],
                     console.width - table._extra_width)
    if widths is not None:
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width - table._get_padding_width(column._index)
        return table
    return stacked(table)


def stacked(table: Table) -> Any:
    """Each row of `table` as lines of `header  value`, a blank line between rows."""
    if not table.rows:
        return _("(none)")
    headers = [column.header for column in table.columns]
    cells = [list(column.cells) for column in table.columns]
    blocks: list[Any] = []
    for row in range(len(table.rows)):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for header, column in zip(headers, cells, strict=True):
            grid.add_row(header, column[row])
        blocks += [grid, ""] if row < len(table.rows) - 1 else [grid]
    return Group(*blocks)
