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
  meta/genesis_hash        sha256 of the genesis document the store was started with
  meta/base                height:8 of the block a state-synced store starts from (absent:
                           the store holds every block from genesis); below it the store
                           keeps block 0 only, and no events, records or certificates
Every block's writes go in one synced write batch: after a crash the store holds whole
blocks or none.

Faults. Reads verify LevelDB's checksums; a read that meets a bad checksum (or bytes that
do not decode) raises `StoreCorrupt`, a batch the disk refuses (full, I/O error) raises
`StoreWriteFailed`, and LevelDB keeps a failed batch out whole. Either fault is kept: from
then on every call raises it again, so nothing more is read or written, and `on_fault`
tells the node to stop. Beside the LevelDB files, `HEAD_MARK` names the last head this
store committed (rewritten after each batch, not synced): LevelDB takes a cut-short log
for a crash and opens without the blocks in it, so a store whose head lies behind its
mark has lost committed blocks and is refused at open.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import TypeVar

import msgpack
import plyvel

from consensus.certificate import Certificate, CertificateError
from contracts import streams
from contracts.codec import Hash32, Height, decode, encode
from contracts.contract import Event
from contracts.errors import CodecError, LedgerError
from contracts.streams import AddressedEvent
from contracts.streams import event_cursor as event_cursor  # where readers of the store find it
from node.blocks import MAX_BLOCK_EVENTS_BYTES, Block, BlockEvents, Head, Header, TxRecord

log = logging.getLogger("claimledger.store")

STATE = b"s/"
TREE = b"st/"  # the state tree's nodes by position (contracts.state_tree)
HEAD = b"meta/head"
GENESIS = b"meta/genesis"
GENESIS_HASH = b"meta/genesis_hash"
BASE = b"meta/base"
EVENTS = b"ev/"
MAX_BLOCK_BYTES = 64 << 20
CURSOR_BYTES = 12  # height:8 + seq:4
MAX_CACHED_RECORDS = 100_000  # decoded state records a store keeps (then it starts afresh)
MAX_CACHED_TREE_NODES = 200_000  # state tree nodes likewise (about 20 MB)
KEY_SPACES = frozenset({"s/", "st/", "b/", "c/", "e/", "i/", "x/", "ev/", "meta/"})
T = TypeVar("T")
HEAD_MARK = "claimledger-head"  # in the LevelDB directory; LevelDB ignores names not its own


def _h(height: int) -> bytes:
    return height.to_bytes(8, "big")


class StoreError(LedgerError):
    pass


class StoreFault(StoreError):
    """The store cannot be trusted or written any more: the node must stop."""


class StoreCorrupt(StoreFault):
    def __init__(self, message: str) -> None:
        super().__init__("store.corrupt", message)


class StoreWriteFailed(StoreFault):
    def __init__(self, message: str) -> None:
        super().__init__("store.write_failed", message)


@dataclass(frozen=True)
class HeadMark:
    """The last head a store committed, kept outside LevelDB (see `HEAD_MARK`)."""

    height: Height
    block_id: Hash32


def addressed_events(
    height: int, time_ms: int, records: list[TxRecord], block_events: BlockEvents
) -> Iterator[AddressedEvent]:
    """Every event of a block in stream order: its transactions', then the end-of-block's."""
    tagged: list[tuple[bytes | None, Event]] = [
        (record.tx_id, event) for record in records for event in record.events
    ]
    tagged += [(None, event) for event in block_events.events]
    return streams.addressed(height, time_ms, tagged)


def _text(error: Exception) -> str:
    """LevelDB's own words for an error (plyvel hands them over as bytes)."""
    arg = error.args[0] if error.args else error
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


BY_HEIGHT = {b"b": "block", b"c": "the certificate of block", b"e": "the events of block"}


def _describe(key: bytes) -> str:
    """A key as people read it: `block 12`, `the certificate of block 12`, `s/7631…`."""
    space, slash, rest = key.partition(b"/")
    if not slash:
        return key.decode("ascii", "replace")
    if space in BY_HEIGHT and len(rest) == 8:
        return f"{BY_HEIGHT[space]} {int.from_bytes(rest, 'big')}"
    return f"{space.decode('ascii', 'replace')}/{rest.hex()[:24]}…"


class Store:
    """A LevelDB database opened with checksum verification on every read."""

    def __init__(self, path: Path, create: bool = True) -> None:
        if create:
            path.mkdir(parents=True, exist_ok=True)
        try:
            # A bloom filter spares a disk read for most keys that are not there (every
            # new transaction's replay check asks for one).
            self.db = plyvel.DB(str(path), create_if_missing=create, paranoid_checks=True,
                                bloom_filter_bits=10, lru_cache_size=32 << 20)
        except plyvel.CorruptionError as e:
            raise StoreCorrupt(f"LevelDB refuses to open {path}: {_text(e)}") from e
        except plyvel.Error as e:  # a lock held by another process, no store there
            raise StoreError("store.unavailable",
                             f"cannot open the store at {path}: {_text(e)}") from e
        self.path = path
        # State records decoded from verified reads, by key; a committed block drops the
        # keys it changes. Blocks read the same counters and members over and over.
        self._records: dict[bytes, object] = {}
        # State tree nodes read, by position; a committed block writes its own in. The
        # top levels are read by every block.
        self._tree_nodes: dict[bytes, bytes | None] = {}
        self.tree = _TreeView(self)
        self.fault: StoreFault | None = None
        self.on_fault: Callable[[StoreFault], None] | None = None
        try:
            self._check_mark()
        except StoreFault:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    # ----------------------------------------------------------------- faults

    def _fail(self, fault: StoreFault) -> StoreFault:
        """Keep the first fault (every later call raises it) and report it once."""
        if self.fault is None:
            self.fault = fault
            if self.on_fault is not None:
                self.on_fault(fault)
        return fault

    def halt(self, fault: StoreFault) -> StoreFault:
        """Refuse every later read and write with `fault`, found above the store (a block
        this release cannot execute), and report it as a store fault is reported; returns
        it, to raise. What the store holds stays as it is: whole blocks."""
        return self._fail(fault)

    def _check(self) -> None:
        fault = self.fault
        if fault is not None:
            raise type(fault)(fault.message)

    def _get(self, key: bytes) -> bytes | None:
        self._check()
        try:
            return self.db.get(key, verify_checksums=True)
        except plyvel.Error as e:
            raise self._fail(StoreCorrupt(f"reading {_describe(key)} failed: {_text(e)}")) from e

    def _items(self, start: bytes, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Keys >= `start` that begin with `prefix`, checksums verified."""
        self._check()
        try:
            with self.db.iterator(start=start, verify_checksums=True) as it:
                for key, value in it:
                    if not key.startswith(prefix):
                        return
                    yield key, value
        except plyvel.Error as e:
            message = f"reading keys from {_describe(start)} on failed: {_text(e)}"
            raise self._fail(StoreCorrupt(message)) from e

    def _record(self, cls: type[T], key: bytes, max_bytes: int = MAX_BLOCK_BYTES) -> T | None:
        raw = self._get(key)
        if raw is None:
            return None
        try:
            return decode(cls, raw, max_bytes=max_bytes)
        except CodecError as e:
            message = f"the record at {_describe(key)} does not decode: {e.code}"
            raise self._fail(StoreCorrupt(message)) from e

    # ----------------------------------------------------------------- head mark

    def _check_mark(self) -> None:
        try:
            raw = (self.path / HEAD_MARK).read_bytes()
        except FileNotFoundError:
            return  # a new store, or one from before the mark
        try:
            mark = decode(HeadMark, raw)
        except CodecError:
            log.warning("the head mark of %s is unreadable (a crash while it was written?); "
                        "not checked this time", self.path)
            return
        head = self.head()
        if head is None or head.height < mark.height:
            held = "no block" if head is None else f"block {head.height}"
            raise StoreCorrupt(
                f"the store holds {held} but committed block {mark.height} "
                f"({mark.block_id.hex()[:16]}…) before: LevelDB lost committed blocks "
                "(a cut-short or damaged log file)")
        block = self.block(mark.height)
        if block is None or block.id != mark.block_id:
            raise StoreCorrupt(f"block {mark.height} is not the block this store committed "
                               f"({mark.block_id.hex()[:16]}…)")

    def _write_mark(self, head: Head) -> None:
        """Name the new head beside LevelDB; not synced, so the mark may lag, never lead."""
        temporary = self.path / (HEAD_MARK + ".tmp")
        try:
            temporary.write_bytes(encode(HeadMark(head.height, head.block_id)))
            os.replace(temporary, self.path / HEAD_MARK)
        except OSError as e:
            message = (f"block {head.height} is stored, but writing {HEAD_MARK} beside it "
                       f"failed: {e.strerror or e}")
            raise self._fail(StoreWriteFailed(message)) from e

    # ----------------------------------------------------------------- state reader

    def get(self, key: bytes) -> bytes | None:
        return self._get(STATE + key)

    def record(self, key: bytes, cls: type[T]) -> T | None:
        """The state record at `key`, decoded once while it stays unchanged."""
        self._check()
        found = self._records.get(key)
        if type(found) is cls:
            return found  # type: ignore[return-value]
        raw = self.get(key)
        if raw is None:
            return None
        found = decode(cls, raw)
        if len(self._records) >= MAX_CACHED_RECORDS:
            self._records.clear()
        self._records[key] = found
        return found

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        cut = len(STATE)
        for key, value in self._items(STATE + max(prefix, start), STATE + prefix):
            yield key[cut:], value

    def tree_get(self, position: bytes) -> bytes | None:
        """A node of the state tree (or its root hash at state_tree.ROOT_KEY)."""
        self._check()
        if position in self._tree_nodes:
            return self._tree_nodes[position]
        node = self._get(TREE + position)
        if len(self._tree_nodes) >= MAX_CACHED_TREE_NODES:
            self._tree_nodes.clear()
        self._tree_nodes[position] = node
        return node

    def tree_items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every stored node of the state tree by position (and the root hash)."""
        cut = len(TREE)
        for key, value in self._items(TREE, TREE):
            yield key[cut:], value

    def snapshot(self) -> StateSnapshot:
        """The state as it is now, readable from any thread while blocks commit (a LevelDB
        snapshot); close it when done."""
        self._check()
        return StateSnapshot(self.db.snapshot())

    def report(self, fault: StoreFault) -> StoreFault:
        """Keep a fault met outside the store's own calls (a snapshot read in a worker
        thread): from then on the store refuses every call, and the node stops."""
        return self._fail(fault)

    # ----------------------------------------------------------------- chain

    def head(self) -> Head | None:
        return self._record(Head, HEAD)

    def genesis_id(self) -> bytes | None:
        return self._get(GENESIS)

    def genesis_hash(self) -> bytes | None:
        """The genesis document's hash recorded at first start (node/genesis.py)."""
        return self._get(GENESIS_HASH)

    def record_genesis_hash(self, value: bytes) -> None:
        """Keep the genesis document's hash (synced): every later start compares it."""
        self._check()
        try:
            self.db.put(GENESIS_HASH, value, sync=True)
        except plyvel.Error as e:
            message = f"recording the genesis hash failed (is the disk full?): {_text(e)}"
            raise self._fail(StoreWriteFailed(message)) from e

    def base(self) -> int:
        """The height a state-synced store starts from (node/state_sync.py), 0 for a store
        that holds every block from genesis."""
        raw = self._get(BASE)
        return 0 if raw is None else int.from_bytes(raw, "big")

    def restore(self, block: Block, certificate: Certificate,
                state: list[tuple[bytes, bytes]], tree: list[tuple[bytes, bytes]],
                head: Head) -> None:
        """Replace the state by a snapshot's at block `block` (a store holding the genesis
        only), in one synced batch: the state `state` (records and their indices) and its
        tree's nodes `tree` by position, the block and its certificate, the head, and the
        base mark. Everything the genesis state had is deleted in that batch."""
        self._check()
        height = _h(block.header.height)
        batch = self.db.write_batch(sync=True)
        for space in (STATE, TREE):
            for key, _ in self._items(space, space):
                batch.delete(key)
        for key, value in state:
            batch.put(STATE + key, value)
        for position, node in tree:
            batch.put(TREE + position, node)
        batch.put(b"b/" + height, encode(block))
        batch.put(b"c/" + height, msgpack.packb(certificate.to_wire(), use_bin_type=True))
        batch.put(b"i/" + head.block_id, height)
        batch.put(HEAD, encode(head))
        batch.put(BASE, height)
        try:
            batch.write()
        except plyvel.Error as e:
            message = f"writing the snapshot of block {block.header.height} failed: {_text(e)}"
            raise self._fail(StoreWriteFailed(message)) from e
        self._records.clear()
        self._tree_nodes.clear()
        self._write_mark(head)

    def block(self, height: int) -> Block | None:
        return self._record(Block, b"b/" + _h(height))

    def block_bytes(self, height: int) -> bytes | None:
        return self._get(b"b/" + _h(height))

    def header(self, height: int) -> Header | None:
        """A stored block's header, decoded from its own bytes without its transactions.

        A block is the canonical array [header, txs, evidence]: the header's canonical
        bytes are the first item's span, found by skipping it.
        """
        key = b"b/" + _h(height)
        raw = self._get(key)
        if raw is None:
            return None
        try:
            unpacker = msgpack.Unpacker(raw=False, max_buffer_size=len(raw))
            unpacker.feed(raw)
            if unpacker.read_array_header() != len(dataclass_fields(Block)):
                raise CodecError("codec.field_count", "a block is [header, txs, evidence]")
            start = unpacker.tell()
            unpacker.skip()
            return decode(Header, raw[start:unpacker.tell()])
        except (CodecError, ValueError, msgpack.UnpackException) as e:
            message = f"the block at {_describe(key)} has no readable header: {e}"
            raise self._fail(StoreCorrupt(message)) from e

    def height_of(self, block_id: bytes) -> int | None:
        """The height of a stored block, by its id."""
        raw = self._get(b"i/" + block_id)
        return None if raw is None else int.from_bytes(raw, "big")

    def certificate(self, height: int) -> Certificate | None:
        key = b"c/" + _h(height)
        raw = self._get(key)
        if raw is None:
            return None
        try:
            return Certificate.from_wire(msgpack.unpackb(raw, raw=False))
        except (CertificateError, ValueError, msgpack.UnpackException) as e:
            message = f"the certificate at {_describe(key)} does not decode: {e}"
            raise self._fail(StoreCorrupt(message)) from e

    def block_events(self, height: int) -> BlockEvents | None:
        return self._record(BlockEvents, b"e/" + _h(height), MAX_BLOCK_EVENTS_BYTES)

    def tx_record(self, tx_id: bytes) -> TxRecord | None:
        return self._record(TxRecord, b"x/" + tx_id)

    def tx_ids(self, id_prefix: bytes, limit: int) -> tuple[list[bytes], bool]:
        """The ids of committed transactions that start with `id_prefix`, in id order, at
        most `limit`; and whether more are stored (the scan stopped at `limit`)."""
        assert limit > 0
        found: list[bytes] = []
        for key, _ in self._items(b"x/" + id_prefix, b"x/" + id_prefix):
            if len(found) == limit:
                return found, True
            found.append(key[2:])
        return found, False

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
        for key, value in self._items(start, prefix):
            if len(found) == limit:
                return found, found[-1].cursor
            try:
                found.append(decode(AddressedEvent, value))
            except CodecError as e:
                message = f"the event at {_describe(key)} does not decode: {e.code}"
                raise self._fail(StoreCorrupt(message)) from e
        return found, None

    def event_bytes(self, party: bytes, cursor: bytes) -> bytes | None:
        """The stored bytes of one event in `party`'s stream."""
        return self._get(EVENTS + party + cursor)

    def count_keys(self) -> dict[str, int]:
        """Every key of the database read once, checksums verified, counted by key space
        (the bytes up to the first '/'; a key without one counts under itself)."""
        self._check()
        counts: dict[str, int] = {}
        try:
            with self.db.iterator(verify_checksums=True, fill_cache=False) as it:
                for key, _ in it:
                    space, slash, _ = key.partition(b"/")
                    name = space.decode("ascii", "replace") + slash.decode()
                    counts[name] = counts.get(name, 0) + 1
        except plyvel.Error as e:
            message = f"reading every key failed: {_text(e)}"
            raise self._fail(StoreCorrupt(message)) from e
        return counts

    def commit_block(
        self,
        block: Block,
        certificate: Certificate | None,
        records: list[TxRecord],
        block_events: BlockEvents,
        changes: list[tuple[bytes, bytes | None]],
        head: Head,
        tree_changes: list[tuple[bytes, bytes | None]],
        genesis: bool = False,
    ) -> None:
        """Write everything a block brings in one synced batch: all of it or, when the
        disk refuses, none of it and `StoreWriteFailed`."""
        self._check()
        height = _h(block.header.height)
        batch = self.db.write_batch(sync=True)
        batch.put(b"b/" + height, encode(block))
        if certificate is not None:
            batch.put(b"c/" + height, msgpack.packb(certificate.to_wire(), use_bin_type=True))
        batch.put(b"e/" + height, encode(block_events))
        batch.put(b"i/" + head.block_id, height)
        for record in records:
            batch.put(b"x/" + record.tx_id, encode(record))
        events = addressed_events(block.header.height, block.header.time_ms, records,
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
        for position, node in tree_changes:
            if node is None:
                batch.delete(TREE + position)
            else:
                batch.put(TREE + position, node)
        batch.put(HEAD, encode(head))
        if genesis:
            batch.put(GENESIS, head.block_id)
        try:
            batch.write()
        except plyvel.CorruptionError as e:
            message = f"LevelDB refused block {block.header.height}: {_text(e)}"
            raise self._fail(StoreCorrupt(message)) from e
        except plyvel.Error as e:
            message = (f"writing block {block.header.height} failed (is the disk full?): "
                       f"{_text(e)}; LevelDB keeps a batch whole or not at all")
            raise self._fail(StoreWriteFailed(message)) from e
        for key, _ in changes:
            self._records.pop(key, None)
        for position, node in tree_changes:
            if position in self._tree_nodes:
                self._tree_nodes[position] = node
        self._write_mark(head)


class _TreeView:
    """The store's state tree as contracts.state_tree reads it."""

    def __init__(self, store: Store) -> None:
        self.get = store.tree_get


class StateSnapshot:
    """The ledger state at one moment (a `contracts.state.Reader`), checksums verified.

    Its reads raise StoreCorrupt and nothing else: they may run in a worker thread, so
    the caller reports a fault to the store (`Store.report`) back on the event loop.
    """

    def __init__(self, snapshot: plyvel.Snapshot) -> None:
        self._snapshot = snapshot

    def get(self, key: bytes) -> bytes | None:
        try:
            return self._snapshot.get(STATE + key, verify_checksums=True)
        except plyvel.Error as e:
            raise StoreCorrupt(f"reading {_describe(STATE + key)} failed: {_text(e)}") from e

    def scan(self, prefix: bytes, start: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        cut = len(STATE)
        first = STATE + max(prefix, start)
        try:
            with self._snapshot.iterator(start=first, verify_checksums=True) as it:
                for key, value in it:
                    if not key.startswith(STATE + prefix):
                        return
                    yield key[cut:], value
        except plyvel.Error as e:
            message = f"reading keys from {_describe(first)} on failed: {_text(e)}"
            raise StoreCorrupt(message) from e

    def tree_get(self, position: bytes) -> bytes | None:
        """A node of the state tree as it was (or its root hash at state_tree.ROOT_KEY)."""
        try:
            return self._snapshot.get(TREE + position, verify_checksums=True)
        except plyvel.Error as e:
            raise StoreCorrupt(f"reading the state tree failed: {_text(e)}") from e

    def tree_range(self, start: bytes, stop: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        """The state tree's nodes by position from `start` up to `stop` (None: the last)."""
        try:
            with self._snapshot.iterator(start=TREE + start, stop=TREE + stop if stop else
                                         None, verify_checksums=True) as it:
                for key, value in it:
                    if not key.startswith(TREE):
                        return
                    yield key[len(TREE):], value
        except plyvel.Error as e:
            raise StoreCorrupt(f"reading the state tree failed: {_text(e)}") from e

    def head(self) -> Head | None:
        """The head the store had when this snapshot was taken."""
        try:
            raw = self._snapshot.get(HEAD, verify_checksums=True)
        except plyvel.Error as e:
            raise StoreCorrupt(f"reading the head failed: {_text(e)}") from e
        return None if raw is None else decode(Head, raw)

    def close(self) -> None:
        self._snapshot.close()
