"""Ids by their first hex digits: which records of a kind a caller may read whose id
starts with a prefix, as git resolves an abbreviated commit.

People copy ids from tables that show their first digits; the wallet resolves such a
prefix to the one id it names. The kinds are contracts.record_proofs' (each kept whole
at one state key that ends with its id, under the family's own key function), and each
match is filtered by the kind's read rule (contracts.access.may_read), so a prefix never
reveals that an id the caller may not read exists: an unreadable match is skipped
exactly as an absent one.

Bounded: at least MIN_PREFIX_DIGITS hex digits (4 bytes: a scan of some n / 2**32 of a
kind's n records), at most MAX_MATCHES answered and MAX_SCANNED keys read per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from contracts.access import may_read
from contracts.caller import Caller
from contracts.codec import CodecError, decode
from contracts.errors import LedgerError
from contracts.record_proofs import Provable
from contracts.state import Reader

MIN_PREFIX_DIGITS = 8
MAX_MATCHES = 10
MAX_SCANNED = 1_000
HEX = re.compile(r"[0-9a-f]*")


@dataclass(frozen=True)
class Match:
    """A record whose id starts with the prefix asked, which the caller may read."""

    record_id: bytes
    record: Any


def key_prefix(kind: Provable) -> bytes:
    """The state key every id of `kind` is appended to (the family's key function's, as
    record_proofs checks: an id is the end of its key)."""
    sample = bytes(kind.id_bytes)
    key = kind.key(sample)
    return key[:-kind.id_bytes]


def check_hex_prefix(what: str, id_bytes: int, prefix_hex: str) -> str:
    """`prefix_hex` in lower case; `request.bad_prefix` unless it is 8 to `id_bytes`
    * 2 hex digits (`what`: the kind of id, as sentences name it)."""
    text = prefix_hex.lower()
    if not (MIN_PREFIX_DIGITS <= len(text) <= 2 * id_bytes) or not HEX.fullmatch(text):
        raise LedgerError("request.bad_prefix",
                          f"a prefix of a {what} id is {MIN_PREFIX_DIGITS} to "
                          f"{2 * id_bytes} hex digits")
    return text


def check_prefix(kind: Provable, prefix_hex: str) -> str:
    """`prefix_hex` in lower case; `request.bad_prefix` unless it is 8 to the id's
    length of hex digits."""
    return check_hex_prefix(kind.kind.replace("_", " "), kind.id_bytes, prefix_hex)


def ids_with_prefix(state: Reader, caller: Caller, kind: Provable, prefix_hex: str,
                    limit: int = MAX_MATCHES) -> tuple[list[Match], bool]:
    """The records of `kind` whose id starts with `prefix_hex` and that `caller` may read,
    in id order, at most `limit`; and whether the scan stopped before its end (more
    matches may exist)."""
    assert 1 <= limit <= MAX_MATCHES
    text = check_prefix(kind, prefix_hex)
    base = key_prefix(kind)
    found: list[Match] = []
    stopped = False
    whole_bytes = bytes.fromhex(text[:len(text) // 2 * 2])
    for scanned, (key, value) in enumerate(state.scan(base + whole_bytes)):
        if scanned >= MAX_SCANNED:
            stopped = True
            break
        record_id = key[len(base):]
        # Another index may share the prefix with a longer key: only whole ids count.
        if len(record_id) != kind.id_bytes or not record_id.hex().startswith(text):
            continue
        try:
            record = decode(kind.record, value)
        except CodecError:
            continue
        if may_read(state, caller, kind.read_kind, record):
            if len(found) == limit:
                # Only a readable record past the limit says there are more: an
                # unreadable one tells nothing, as an absent one.
                stopped = True
                break
            found.append(Match(record_id, record))
    return found, stopped
