"""State access: a key-value view of the ledger with read/write overlays.

The committed state lives in the node's store; a block executes on an overlay of it,
each transaction on an overlay of the block's, so a failed transaction leaves nothing
behind. Keys and values are bytes; values are canonical encodings of records.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Protocol, TypeVar

from contracts.codec import Hash32, Size, decode, encode, sha256

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
    """Writes buffered over a parent reader; `commit` pushes them into a parent overlay."""

    def __init__(self, parent: Reader) -> None:
        self.parent = parent
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.parent.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.writes[key] = value

    def delete(self, key: bytes) -> None:
        self.writes[key] = _DELETED

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        lower = max(prefix, start)
        mine = sorted(
            (k, v) for k, v in self.writes.items() if k.startswith(prefix) and k >= lower
        )
        written = {k for k, _ in mine}
        theirs = ((k, v) for k, v in self.parent.scan(prefix, start) if k not in written)
        for key, value in heapq.merge(mine, theirs, key=lambda kv: kv[0]):
            if value is not _DELETED:
                yield key, value

    def child(self) -> Overlay:
        return Overlay(self)

    def commit(self) -> None:
        """Push this overlay's writes into its parent, which must be an overlay."""
        assert isinstance(self.parent, Overlay), "only a child overlay can be committed"
        self.parent.writes.update(self.writes)
        self.writes = {}

    def changes(self) -> list[tuple[bytes, bytes | None]]:
        """The writes in key order: what a block commits and what its state root covers."""
        return sorted(self.writes.items())


def get_record(state: Reader, key: bytes, cls: type[T]) -> T | None:
    raw = state.get(key)
    return None if raw is None else decode(cls, raw)


def put_record(state: Overlay, key: bytes, record: object) -> None:
    state.put(key, encode(record))


@dataclass(frozen=True)
class Change:
    key: Annotated[bytes, Size(1, 1024)]
    value: Annotated[bytes, Size(0, 1 << 24)] | None


@dataclass(frozen=True)
class ChangeSet:
    changes: Annotated[tuple[Change, ...], Size(0, 1 << 24)]


@dataclass(frozen=True)
class StateRootInput:
    previous_root: Hash32
    changes_hash: Hash32


def next_state_root(previous_root: bytes, changes: list[tuple[bytes, bytes | None]]) -> bytes:
    """The state commitment after a block: a hash chain over each block's sorted changes."""
    change_set = ChangeSet(tuple(Change(k, v) for k, v in changes))
    return sha256(b"claimledger/state/v1\x00" + encode(
        StateRootInput(previous_root, sha256(encode(change_set)))
    ))
