"""The columns and marks the wallet's tables share: money right-aligned, ids and dates
unbroken, a voucher's standing, the cursor of a page that has more."""

from __future__ import annotations

from rich.console import Console
from rich.table import Column


def standing(v: dict) -> str:
    marks = []
    if v.get("overdue_since_ms") is not None:
        marks.append("overdue")
    if v.get("extensions_used"):
        marks.append(f"extended ×{v['extensions_used']}")
    if v.get("pledge"):
        marks.append("pledged")
    if v.get("reserved_by"):
        marks.append("reserved")
    if v.get("commitments"):
        marks.append("commitment")
    return ", ".join(marks)


def money(header: str) -> Column:
    return Column(header, justify="right", no_wrap=True)


def fixed(header: str) -> Column:
    return Column(header, no_wrap=True)


def more(console: Console, found: dict) -> None:
    if found.get("next"):
        console.print(f"(more after {found['next']})")
