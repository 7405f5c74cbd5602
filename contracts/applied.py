"""Which transactions the ledger has applied: what refuses a replay, kept per block.

A transaction is refused as `tx.replay` when its id is on the ledger already. The state
keeps, per block, the ids of the transactions the block applied, sorted:

    ta/<height>   AppliedBlock(ids)       (committed: one record per block)
    t/<id>        b""                     (derived from the records above: the index a
                                           replay check reads, not in the state root)

So a block of n transactions changes one committed record for them, not n, and a node
restoring a snapshot rebuilds the index from the records (contracts.commitment).

Nothing older than the validity window is kept. A transaction applied at height a was
admitted when the next height was at most a, so its expiry height is at most
a + MAX_VALIDITY_BLOCKS (contracts.ledger.check_transaction), and from the height after
that it is refused as `tx.expired` before its id is looked up. So at the end of block h
the ids applied at h - MAX_VALIDITY_BLOCKS are dropped, with their index: the state
holds the ids of at most the last MAX_VALIDITY_BLOCKS + 1 blocks, however long the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.codec import Hash32, Size, decode
from contracts.state import Overlay, Reader, get_record, put_record
from contracts.tx import MAX_VALIDITY_BLOCKS

INDEX_PREFIX = b"t/"
RECORD_PREFIX = b"ta/"
MAX_BLOCK_TXS = 10_000  # a block holds at most this many transactions (node.blocks)


@dataclass(frozen=True)
class AppliedBlock:
    """The ids of the transactions one block applied, in ascending order."""

    ids: Annotated[tuple[Hash32, ...], Size(1, MAX_BLOCK_TXS)]


def index_key(tx_id: bytes) -> bytes:
    return INDEX_PREFIX + tx_id


def record_key(height: int) -> bytes:
    return RECORD_PREFIX + height.to_bytes(8, "big")


def is_applied(state: Reader, tx_id: bytes) -> bool:
    """Whether a transaction with this id is on the ledger (within the validity window:
    an older one is refused as expired before this is asked)."""
    return state.get(index_key(tx_id)) is not None


def mark(state: Overlay, tx_id: bytes) -> None:
    """Note a transaction applied in the block `state` is building (`close_block` then
    records the block's ids)."""
    state.put(index_key(tx_id), b"")


def close_block(state: Overlay, height: int) -> None:
    """At the end of block `height`, on the block's own overlay: record the ids it applied
    and drop those of the block that leaves the validity window."""
    ids = tuple(key[len(INDEX_PREFIX):] for key, value in state.written(INDEX_PREFIX)
                if value is not None)
    if ids:
        put_record(state, record_key(height), AppliedBlock(ids))
    leaving = height - MAX_VALIDITY_BLOCKS
    if leaving <= 0:
        return
    old = get_record(state, record_key(leaving), AppliedBlock)
    if old is None:
        return
    state.delete(record_key(leaving))
    for tx_id in old.ids:
        state.delete(index_key(tx_id))


def index_entries(raw: bytes) -> list[tuple[bytes, bytes]]:
    """The index items an `AppliedBlock` record implies (contracts.commitment)."""
    return [(index_key(tx_id), b"") for tx_id in decode(AppliedBlock, raw).ids]
