"""Text from other members is shown as what it is: nothing that prints nothing by itself
reaches the terminal, and printable text (Chinese included) is unchanged."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from wallet.shown import visible

SILENT = ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")


@given(st.text())
def test_nothing_silent_is_left(text: str) -> None:
    assert not any(unicodedata.category(ch) in SILENT for ch in visible(text))


@given(st.text(st.characters(blacklist_categories=SILENT)))
def test_printable_text_is_unchanged(text: str) -> None:
    assert visible(text) == text


@given(st.text(), st.text())
def test_no_line_break_survives(a: str, b: str) -> None:
    assert "\n" not in visible(a + "\n" + b) and "\r" not in visible(a + "\r" + b)


def test_chinese_names_and_the_ideographic_space_pass_unchanged() -> None:
    assert visible("鑫禾供应链有限公司　华东分公司") == "鑫禾供应链有限公司　华东分公司"


def test_controls_show_as_their_escapes() -> None:
    assert visible("a\nb\tc\x1b[2Kd\u202ee\U000e0001") == \
        "a\\nb\\tc\\u001b[2Kd\\u202ee\\U000e0001"
