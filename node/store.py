"""The node's LevelDB store: blocks, certificates, transaction records, state, head.

Key spaces (one byte-prefix each):
  s/<state key>            the ledger state (values are canonical records)
  b/<height:8>             block bytes          c/<height:8>  commit certificate
  e/<height:8>             end-of-block events  i/<block id>  height of a block id
  x/<tx id>                TxRecord of a committed transaction
  ev/<address><height:8><seq:4>   AddressedEvent: each event, once per party it concerns;
                           seq numbers a block's events (its transactions' in order, then
                           the end-of-block step's); height+seq is a member's stream cursor
  meta/head, meta/genesis  the last committed block; the genesis block id
Every block's writes go in one synced write batch: after a crash the store holds whole
blocks or none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import msgpack
import plyvel

from consensus.certificate import Certificate
from contracts.codec import U32, Hash32, Height, Name, Size, TimeMs, decode, encode
from contracts.contract import Event
from contracts.errors import LedgerError
from node.blocks import Block, BlockEvents, Head, TxRecord

STATE = b"s/"
HEAD = b"meta/head"
GENESIS = b"meta/genesis"
EVENTS = b"ev/"
MAX_BLOCK_BYTES = 64 << 20
CURSOR_BYTES = 12  # height:8 + seq:4


def _h(height: int) -> bytes:
    return height.to_bytes(8, "big")


class StoreError(LedgerError):
    pass


@dataclass(frozen=True)
class AddressedEvent:
    """An event as a member's stream shows it: where it happened and whom it concerns."""

    height: Height
    seq: U32  # its place among the block's events
    time_ms: TimeMs
    tx_id: Hash32 | None  # None for the end-of-block step
    kind: Name
    subject: Hash32
    parties: Annotated[tuple[Hash32, ...], Size(0, 64)]

    @property
    def cursor(self) -> bytes:
        return event_cursor(self.height, self.seq)


def event_cursor(height: int, seq: int) -> bytes:
    return _h(height) + seq.to_bytes(4, "big")


def _block_events(
    height: int, time_ms: int, records: list[TxRecord], block_events: BlockEvents
) -> Iterator[AddressedEvent]:
    """Every event of a block in stream order: its transactions', then the end-of-block's."""
    tagged: list[tuple[bytes | None, Event]] = [
        (record.tx_id, event) for record in records for event in record.events
    ]
    tagged += [(None, event) for event in block_events.events]
    assert len(tagged) < 2**32
    for seq, (tx_id, event) in enumerate(tagged):
        yield AddressedEvent(height, seq, time_ms, tx_id, event.kind, event.subject,
                             event.parties)


class Store:
    """A LevelDB database opened with checksum verification on every read."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.db = plyvel.DB(str(path), create_if_missing=True, paranoid_checks=True)
        except plyvel.Error as e:  # corruption or a lock held by another process
            raise StoreError("store.unavailable", f"cannot open the store at {path}: {e}") from e
        self._read = {"verify_checksums": True}

    def close(self) -> None:
        self.db.close()

    # ----------------------------------------------------------------- state reader

    def get(self, key: bytes) -> bytes | None:
        return self.db.get(STATE + key, **self._read)

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        lower = STATE + max(prefix, start)
        cut = len(STATE)
        with self.db.iterator(start=lower, **self._read) as it:
            for key, value in it:
                if not key.startswith(STATE + prefix):
                    break
                yield key[cut:], value

    # ----------------------------------------------------------------- chain

    def head(self) -> Head | None:
        raw = self.db.get(HEAD, **self._read)
        return None if raw is None else decode(Head, raw)

    def genesis_id(self) -> bytes | None:
        return self.db.get(GENESIS, **self._read)

    def block(self, height: int) -> Block | None:
        raw = self.db.get(b"b/" + _h(height), **self._read)
        return None if raw is None else decode(Block, raw, max_bytes=MAX_BLOCK_BYTES)

    def block_bytes(self, height: int) -> bytes | None:
        return self.db.get(b"b/" + _h(height), **self._read)

    def certificate(self, height: int) -> Certificate | None:
        raw = self.db.get(b"c/" + _h(height), **self._read)
        return None if raw is None else Certificate.from_wire(msgpack.unpackb(raw, raw=False))

    def block_events(self, height: int) -> BlockEvents | None:
        raw = self.db.get(b"e/" + _h(height), **self._read)
        return None if raw is None else decode(BlockEvents, raw, max_bytes=MAX_BLOCK_BYTES)

    def tx_record(self, tx_id: bytes) -> TxRecord | None:
        raw = self.db.get(b"x/" + tx_id, **self._read)
        return None if raw is None else decode(TxRecord, raw)

    def events_for(
        self, address: bytes, after_cursor: bytes | None, limit: int
    ) -> tuple[list[AddressedEvent], bytes | None]:
        """Events addressed to `address` after a cursor, oldest first, at most `limit`.

        The second value is the cursor to continue from when more events are stored
        already, None when this page reaches the end of the stream.
        """
        assert len(address) == 32 and limit > 0
        assert after_cursor is None or len(after_cursor) == CURSOR_BYTES
        prefix = EVENTS + address
        # Every key under the prefix has the same length: the first one after the cursor
        # is at or after cursor + 0x00.
        start = prefix + after_cursor + b"\x00" if after_cursor is not None else prefix
        found: list[AddressedEvent] = []
        with self.db.iterator(start=start, **self._read) as it:
            for key, value in it:
                if not key.startswith(prefix):
                    break
                if len(found) == limit:
                    return found, found[-1].cursor
                found.append(decode(AddressedEvent, value))
        return found, None

    def commit_block(
        self,
        block: Block,
        certificate: Certificate | None,
        records: list[TxRecord],
        block_events: BlockEvents,
        changes: list[tuple[bytes, bytes | None]],
        head: Head,
        genesis: bool = False,
    ) -> None:
        """Write everything a block brings in one synced batch."""
        height = _h(block.header.height)
        with self.db.write_batch(transaction=True, sync=True) as batch:
            batch.put(b"b/" + height, encode(block))
            if certificate is not None:
                batch.put(b"c/" + height, msgpack.packb(certificate.to_wire(), use_bin_type=True))
            batch.put(b"e/" + height, encode(block_events))
            batch.put(b"i/" + head.block_id, height)
            for record in records:
                batch.put(b"x/" + record.tx_id, encode(record))
            events = _block_events(block.header.height, block.header.time_ms, records,
                                   block_events)
            for event in events:
                value = encode(event)
                for party in event.parties:
                    batch.put(EVENTS + party + event.cursor, value)
            for key, value in changes:
                if value is None:
                    batch.delete(STATE + key)
                else:
                    batch.put(STATE + key, value)
            batch.put(HEAD, encode(head))
            if genesis:
                batch.put(GENESIS, head.block_id)
