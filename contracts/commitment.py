"""What the state root commits to, and how the rest of the state follows from it.

The state root (contracts.state_tree) is a Merkle tree over the *committed* state:
every state key but the index keys a family derives from its own records. Those indices
are functions of the records they index, so committing the records commits them too,
and a block's tree work is the records it changes, not every index entry beside them (a
transfer writes 3 voucher states and 14 index keys). A node restoring a state from a
snapshot receives the committed records only, each proven, and rebuilds the indices with
`index_entries`, exactly as the families' writers keep them.

A family declares its derived key spaces here with the function that derives them; a
key space not declared is committed (the safe default: it costs tree work, never trust).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contracts import applied, state_tree, vouchers
from contracts.codec import decode


@dataclass(frozen=True)
class Derived:
    """Index key spaces derived from the records stored under `record_prefix`."""

    record_prefix: bytes
    spaces: tuple[bytes, ...]
    entries: Callable[[bytes], list[tuple[bytes, bytes]]]  # record bytes -> index items


def _voucher_indices(raw: bytes) -> list[tuple[bytes, bytes]]:
    return [(key, b"") for key in vouchers.index_entries(decode(vouchers.Voucher, raw))]


DERIVED = (
    Derived(vouchers.voucher_key(b""), vouchers.INDEX_SPACES, _voucher_indices),
    Derived(applied.RECORD_PREFIX, (applied.INDEX_PREFIX,), applied.index_entries),
)
DERIVED_SPACES = tuple(space for d in DERIVED for space in d.spaces)
assert not any(a != b and a.startswith(b) for a in DERIVED_SPACES
               for b in (*DERIVED_SPACES, *(d.record_prefix for d in DERIVED))), \
    "a derived key space must not overlap another key space"


def is_committed(key: bytes) -> bool:
    """Whether the state root commits to `key` itself (not only through a record)."""
    return not key.startswith(DERIVED_SPACES)


def committed(changes: Iterable[tuple[bytes, bytes | None]]
              ) -> list[tuple[bytes, bytes | None]]:
    """The changes the state tree takes: those of committed keys."""
    return [change for change in changes if not change[0].startswith(DERIVED_SPACES)]


def index_entries(key: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    """The derived index items a committed record implies (none for most records)."""
    for derived in DERIVED:
        if key.startswith(derived.record_prefix):
            return derived.entries(value)
    return []


def root_of(items: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The state root of a whole state given as (key, value) items, built from nothing."""
    return state_tree.build(state_tree.MemoryTree(), committed(items))
