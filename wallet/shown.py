"""Text that reaches the ledger from other members, shown on a terminal as what it is.

A draft's free text (a contract reference, a reason, a description) and the directory's
names are any Unicode a member chose. Shown raw, a newline would start a line of the
review screen the bytes do not say ("Fee: none"), an escape sequence (ESC [ …) would
move the cursor or erase what was printed, and a bidirectional override (U+202E) would
show "gpj.exe" for "exe.jpg". So every character that prints nothing by itself —
controls, formats, private and unassigned code points, line and paragraph separators
(Unicode categories C*, Zl, Zp) — is shown as its escape, \\n or \\u202e, before
anything reaches the terminal. Letters, digits, punctuation and spaces (the ideographic
space of Chinese text too) pass unchanged."""

from __future__ import annotations

import unicodedata

# Characters shown by their usual escape rather than \\uXXXX.
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _silent(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


def visible(text: str) -> str:
    """`text` with each character that prints nothing by itself as its escape."""
    if text.isprintable():  # the common case: nothing to change (the space is printable)
        return text
    return "".join(NAMED.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF
                                     else f"\\U{ord(ch):08x}") if _silent(ch) else ch
                   for ch in text)


def visible_lines(text: str) -> str:
    """`text` whose own line breaks stay, each line made `visible`."""
    return "\n".join(visible(line) for line in text.split("\n"))
