"""State access: a key-value view of the ledger with read/write overlays.

The committed state lives in the node's store; a block executes on an overlay of it,
each transaction on an overlay of the block's, so a failed transaction leaves nothing
behind. Keys and values are bytes; values are canonical encodings of records.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from contracts.codec import decode, encode

T = TypeVar("T")

_DELETED = None


class Reader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """Live (key, value) pairs with `prefix`, keys >= `start`, in ascending key order."""
        ...


class MemoryStore:
    """A committed state held in memory (genesis computation, tests)."""

    def __init__(self, items: dict[bytes, bytes] | None = None) -> None:
        self.items = dict(items or {})

    def get(self, key: bytes) -> bytes | None:
        return self.items.get(key)

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        lower = max(prefix, start)
        for key in sorted(k for k in self.items if k.startswith(prefix) and k >= lower):
            yield key, self.items[key]

    def apply(self, changes: list[tuple[bytes, bytes | None]]) -> None:
        for key, value in changes:
            if value is None:
                self.items.pop(key, None)
            else:
                self.items[key] = value


class Overlay:
    """Writes buffered over a parent reader; `commit` pushes them into a parent overlay.

    Beside the bytes of each write the overlay keeps the record they encode when it has
    it (written with `put_record`, or read once with `get_record`), so a record read by
    every transaction of a block (a holder's totals, the fee schedule, a member) is
    decoded once, not once per transaction. Records are frozen, so sharing them is safe.
    A record is still encoded when it is written: a value out of its type's range fails
    the transaction that writes it, nothing later.
    """

    def __init__(self, parent: Reader) -> None:
        self.parent = parent
        self.writes: dict[bytes, bytes | None] = {}
        self.records: dict[bytes, object] = {}  # the decoded form of some of `writes`
        self._keys: list[bytes] | None = []  # `writes`' keys in order; None: to sort again

    def _written_keys(self) -> list[bytes]:
        """The written keys in ascending order, sorted again only after a new key."""
        if self._keys is None:
            self._keys = sorted(self.writes)
        return self._keys

    def get(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.parent.get(key)

    def record(self, key: bytes, cls: type[T]) -> T | None:
        """The record at `key`, decoded at most once along the overlay chain."""
        if key in self.writes:
            found = self.records.get(key)
            if type(found) is cls:
                return found  # type: ignore[return-value]
            raw = self.writes[key]
            if raw is None:
                return None
            found = decode(cls, raw)
            self.records[key] = found
            return found
        return get_record(self.parent, key, cls)

    def put(self, key: bytes, value: bytes) -> None:
        if key not in self.writes:
            self._keys = None
        self.writes[key] = value
        self.records.pop(key, None)

    def put_record(self, key: bytes, record: object) -> None:
        raw = encode(record)
        if key not in self.writes:
            self._keys = None
        self.writes[key] = raw
        self.records[key] = record

    def delete(self, key: bytes) -> None:
        if key not in self.writes:
            self._keys = None
        self.writes[key] = _DELETED
        self.records.pop(key, None)

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        mine = self.written(prefix, start)
        written = {k for k, _ in mine}
        theirs = ((k, v) for k, v in self.parent.scan(prefix, start) if k not in written)
        for key, value in heapq.merge(mine, theirs, key=lambda kv: kv[0]):
            if value is not _DELETED:
                yield key, value

    def written(self, prefix: bytes, start: bytes = b"") -> list[tuple[bytes, bytes | None]]:
        """This overlay's own writes under `prefix` from `start` on, in key order (None:
        deleted): what a block did to a key space, without reading the state beneath.

        When a new key has come since the keys were last sorted, the writes are filtered
        and only those found are sorted: a block's end reads its applied ids this way
        and then writes again, so sorting all its writes here would be done twice."""
        lower = max(prefix, start)
        writes = self.writes
        if self._keys is None:
            return [(key, writes[key]) for key in
                    sorted(k for k in writes if k >= lower and k.startswith(prefix))]
        keys = self._keys
        found = []
        for i in range(bisect_left(keys, lower), len(keys)):
            key = keys[i]
            if not key.startswith(prefix):
                break
            found.append((key, writes[key]))
        return found

    def child(self) -> Overlay:
        return Overlay(self)

    def commit(self) -> None:
        """Push this overlay's writes into its parent, which must be an overlay."""
        parent = self.parent
        assert isinstance(parent, Overlay), "only a child overlay can be committed"
        if parent._keys is not None and not self.writes.keys() <= parent.writes.keys():
            parent._keys = None
        parent.writes.update(self.writes)
        records = self.records
        for key in self.writes:
            if key in records:
                parent.records[key] = records[key]
            else:
                parent.records.pop(key, None)
        self.writes = {}
        self.records = {}
        self._keys = []

    def changes(self) -> list[tuple[bytes, bytes | None]]:
        """The writes in key order: what a block commits and what its state root covers."""
        writes = self.writes
        return [(key, writes[key]) for key in self._written_keys()]


def get_record(state: Reader, key: bytes, cls: type[T]) -> T | None:
    """The record of type `cls` at `key`, or None; decoded once where the reader keeps
    records (an overlay, the node's store)."""
    record = getattr(state, "record", None)
    if record is not None:
        return record(key, cls)
    raw = state.get(key)
    return None if raw is None else decode(cls, raw)


def put_record(state: Overlay, key: bytes, record: object) -> None:
    state.put_record(key, record)


# ------------------------------------------------------------------ paged reads
# A family's reads page over its own indices with these (contracts/vouchers.py, ...);
# a cursor is the key suffix of the last item a page gave.

MAX_SCAN = 10_000  # index entries one filtered page may examine


def get_count(state: Reader, key: bytes) -> int:
    """The counter kept at `key` (big-endian bytes), 0 where none is kept."""
    raw = state.get(key)
    return 0 if raw is None else int.from_bytes(raw, "big")


def add_count(state: Overlay, key: bytes, change: int, most: int, width: int = 4) -> int:
    """Add `change` to the counter at `key` and return it. A counter lies within
    [0, `most`] (the rules refuse first: this asserts it) and 0 is kept as no entry, so
    what a counter holds is the same however it got there."""
    count = get_count(state, key) + change
    assert 0 <= count <= most, f"a counter within [0, {most}], not {count}"
    if count:
        state.put(key, count.to_bytes(width, "big"))
    else:
        state.delete(key)
    return count


def page_suffixes(state: Reader, prefix: bytes, after: bytes | None, limit: int
                  ) -> tuple[list[bytes], bytes | None]:
    """Key suffixes under `prefix` after the cursor `after`, at most `limit`, and the next
    cursor (the last suffix given) if more follow."""
    assert limit >= 1
    start = prefix + after + b"\x00" if after else prefix
    suffixes = []
    for key, _ in state.scan(prefix, start):
        suffixes.append(key[len(prefix):])
        if len(suffixes) > limit:
            break
    more = len(suffixes) > limit
    suffixes = suffixes[:limit]
    return suffixes, (suffixes[-1] if more and suffixes else None)


def suffixed_records_page(state: Reader, prefix: bytes, cls: type[T], after: bytes | None,
                          limit: int) -> tuple[list[tuple[bytes, T]], bytes | None]:
    """Records stored under `prefix` itself, each with its key suffix (its cursor), paged
    as `page_suffixes` pages."""
    suffixes, next_cursor = page_suffixes(state, prefix, after, limit)
    found = []
    for suffix in suffixes:
        record = get_record(state, prefix + suffix, cls)
        assert record is not None, "a listed key holds its record"
        found.append((suffix, record))
    return found, next_cursor


def filtered_page(state: Reader, prefix: bytes, after: bytes | None, limit: int,
                  keep: Callable[[bytes], T | None], max_scan: int = MAX_SCAN
                  ) -> tuple[list[T], bytes | None]:
    """Like `page_suffixes`, keeping what `keep` returns for each key suffix (None drops
    it). At most `max_scan` index entries are examined, so a page may hold fewer than
    `limit` items and still have a next cursor: the last suffix examined."""
    return _scanned_page(state, prefix, after, limit, lambda suffix, _: keep(suffix), max_scan)


def records_page(state: Reader, prefix: bytes, cls: type[T], after: bytes | None,
                 limit: int, keep: Callable[[T], bool] = lambda _: True,
                 max_scan: int = MAX_SCAN) -> tuple[list[T], bytes | None]:
    """Records of one key space holding one record per item (not an index), in key order
    after `after`: like `filtered_page`, the values decoded as `cls` and kept by `keep`."""
    def kept(_: bytes, value: bytes) -> T | None:
        record = decode(cls, value)
        return record if keep(record) else None

    return _scanned_page(state, prefix, after, limit, kept, max_scan)


def indexed_page(state: Reader, prefix: bytes, after: bytes | None, limit: int,
                 load: Callable[[Reader, bytes], T | None],
                 keep: Callable[[T], bool] = lambda _: True, max_scan: int = MAX_SCAN
                 ) -> tuple[list[T], bytes | None]:
    """The records an index names (its key suffixes are their ids), read with `load` and
    kept by `keep`, paged as `filtered_page` pages."""
    def kept(record_id: bytes) -> T | None:
        record = load(state, record_id)
        assert record is not None, "an indexed record is stored"
        return record if keep(record) else None

    return filtered_page(state, prefix, after, limit, kept, max_scan)


def with_status(status: str | None) -> Callable[[Any], bool]:
    """A `keep` for records with this status (every record if None)."""
    return lambda record: status is None or record.status == status


def _scanned_page(state: Reader, prefix: bytes, after: bytes | None, limit: int,
                  keep: Callable[[bytes, bytes], T | None], max_scan: int
                  ) -> tuple[list[T], bytes | None]:
    assert limit >= 1 and max_scan >= 1
    start = prefix + after + b"\x00" if after else prefix
    out: list[T] = []
    examined = 0
    last = b""
    for key, value in state.scan(prefix, start):
        if len(out) >= limit or examined >= max_scan:
            return out, last
        examined += 1
        last = key[len(prefix):]
        item = keep(last, value)
        if item is not None:
            out.append(item)
    return out, None
