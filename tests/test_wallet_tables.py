"""A table on a terminal too narrow for it keeps every id, address, amount and date whole
(a cut id, `51f4ee2e…`, is one no command takes): it drops its frame and wraps what may
wrap, or shows each row as lines of `header  value`."""

from __future__ import annotations

import io

from rich.cells import cell_len

from wallet.i18n import Speech, use
from wallet.tables import SpeakingConsole
from wallet.verbs.queries import voucher_table

HOLDER = "2bcf4d76d8dd4c99eb01a90c25a634b71c3d82101f863849ea05591cdccc5f2e"
DEBTOR = "f307964e0ce5c26200191733428b36b65609a50d8cb7f495043038c9bb30fa7a"


def voucher(n: int, **more: object) -> dict:
    return {"id": f"{n:02d}f4ee2ea0125c35176fdf9b8daef5241278a62f1188293ba9df4f125a238f3c",
            "holder": HOLDER, "debtor": DEBTOR, "amount_fen": 125_000_000,
            "due_ms": 1_809_000_000_000, "status": "active", **more}


def shown(width: int, vouchers: list[dict], language: str = "en") -> list[str]:
    out = io.StringIO()
    with use(Speech(language)):
        console = SpeakingConsole(file=out, width=width, force_terminal=True,
                                  color_system=None)
        console.print(voucher_table(vouchers))
    return out.getvalue().splitlines()


def whole_cells(lines: list[str]) -> bool:
    text = "\n".join(lines)
    return all(part in text for part in ("00f4ee2ea0", "2bcf4d76…5f2e", "f307964e…fa7a",
                                         "¥1,250,000.00"))


def test_a_table_that_fits_keeps_its_frame() -> None:
    lines = shown(200, [voucher(0)])
    assert lines[0].startswith("┏") and whole_cells(lines)


def test_on_80_columns_no_id_amount_or_date_is_cut() -> None:
    for language in ("en", "zh"):
        lines = shown(80, [voucher(0, extensions_used=1, pledge="p", reserved_by="t"),
                           voucher(1)], language)
        assert all(cell_len(line) <= 80 for line in lines), lines
        assert whole_cells(lines) and "…\n" not in "\n".join(lines) + "\n", lines
        assert not any(line.rstrip().endswith("…") for line in lines), lines


def test_a_table_that_fits_without_its_frame_stays_one_table_its_standing_wrapped() -> None:
    lines = shown(100, [voucher(0, extensions_used=1, pledge="p")])
    assert lines[0].split() == ["voucher", "holder", "debtor", "amount", "due", "by",
                                "status", "standing"] and whole_cells(lines), lines
    assert lines[2].split()[-2:] == ["extended", "×1,"] and lines[3].split() == ["pledged"]
    assert all(cell_len(line) <= 100 for line in lines), lines


def test_on_a_very_narrow_terminal_each_row_is_its_own_lines() -> None:
    lines = shown(40, [voucher(0), voucher(1)])
    assert lines[0].split() == ["voucher", "00f4ee2ea0"] and whole_cells(lines), lines
    assert "" in lines and any(line.split() == ["voucher", "01f4ee2ea0"] for line in lines)


def test_an_empty_table_too_wide_says_none() -> None:
    assert [line.strip() for line in shown(30, [], "zh")] == ["（无）"]
