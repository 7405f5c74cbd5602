"""State sync: a new node starts from a peer's snapshot of the state, checked against a
header it certified itself by following headers from genesis, then block syncs on.

Frames (node.replication.frames), all within node.peers.MAX_FRAME_BYTES:

  "get_snapshot" []             -> "snapshot" [manifest, block bytes, certificate wire]
      the serving node pins a LevelDB snapshot at its head (at most MAX_PINS, each let go
      PIN_S after its last use; with both in use it serves the newer one) and answers
      with the manifest of its committed state (contracts.snapshot) and that block;
  "get_headers" [from, to]      -> "headers" [[header bytes, certificate wire,
                                               next powers or nil], ...]
      at most MAX_HEADERS; "next powers" are the validators ([key, power] sorted by key)
      in force at the next height when they differ from this height's;
  "get_chunk" [height, index]   -> "chunk" ChunkPart bytes, one frame per part
      the committed items of chunk `index` of the pinned snapshot, read from the state
      tree's key range (leaves carry their keys) and the values beside them.

Trust. The restoring node trusts its genesis and nothing else: `follow_headers` checks
each header's certificate against the validators the previous header committed to (so
it follows validator set changes); the manifest must join to the state root of the
header of its height; each chunk must be its line of the manifest; the block of that
height must be that header's. Only then is anything written (Chain.restore), in one
batch. A peer that answers wrongly, or not at all, is left aside and another is asked.

A state-synced store starts at its base (store.BASE): it keeps block 0 and the blocks
from the base on; it serves blocks, headers and events from there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from consensus.certificate import Certificate, CertificateError, verify_certificate
from contracts import state_tree
from contracts.codec import CodecError, decode, encode
from contracts.errors import LedgerError
from contracts.identity import verify
from contracts.proofs import CertifiedHeader, ProofError, Trusted, advance, certificate_record
from contracts.snapshot import (
    ChunkPart,
    ChunkRef,
    Item,
    Manifest,
    SnapshotError,
    check_chunk,
    check_manifest,
    chunk_of,
    depth_for,
)
from node.blocks import Header, block_id
from node.chain import InvalidBlock
from node.peers import MAX_FRAME_BYTES, Link, PeerError, pack
from node.replication.frames import FRAME_ROOM_BYTES
from node.service import Node
from node.store import Head, StateSnapshot, StoreCorrupt, StoreFault

log = logging.getLogger("claimledger.state_sync")

MAX_PINS = 2  # snapshots a node keeps pinned for its peers at once
PIN_S = 120.0  # a pinned snapshot is let go this long after its last use
MAX_HEADERS = 512  # headers per "headers" frame (each with a certificate)
CHUNK_PART_BYTES = MAX_FRAME_BYTES - FRAME_ROOM_BYTES  # items per "chunk" frame
REQUEST_S = 60.0  # an answer not come this long after its request: ask another peer
RETRY_S = 1.0  # between attempts
ITEM_ROOM_BYTES = 16  # the msgpack around an item's key and value
POSITION_BYTES = 34  # a tree node's position (state_tree.position); other keys are not


class SyncError(LedgerError):
    """A peer's answer that does not prove what it claims (`sync.bad_header`,
    `sync.bad_answer`), or no answer (`sync.timeout`)."""


# ---------------------------------------------------------------- following headers


@dataclass(frozen=True)
class Followed:
    """The last header followed from genesis, its certificate (None for genesis), the
    validator powers that certified it, and those in force at the next height."""

    header: Header
    certificate: Certificate | None
    powers: Mapping[bytes, int]
    next_powers: Mapping[bytes, int]


def powers_wire(powers: Mapping[bytes, int]) -> list[list]:
    """Validator powers on the wire: [key, power] pairs sorted by key."""
    return [[key, powers[key]] for key in sorted(powers)]


def powers_of(wire: object) -> dict[bytes, int]:
    """Validator powers from the wire; `SyncError` sync.bad_answer if malformed."""
    if not (isinstance(wire, list) and 0 < len(wire) <= 1024 and all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], bytes)
            and len(p[0]) == 32 and type(p[1]) is int and p[1] > 0 for p in wire)):
        raise SyncError("sync.bad_answer", "validator powers are [[key, power], ...]")
    return {key: power for key, power in wire}


def follow_headers(chain_id: str, trusted: Followed, entries: object) -> Followed:
    """Follow `entries` ([header bytes, certificate wire, next powers or nil] of the
    heights after `trusted`'s, in order) from a header already trusted, with the light
    verifier (contracts.proofs.advance): each header links to the one before, names as its
    validators those the one before committed to as the next, carries a certificate by
    more than 2/3 of their power, and commits to the next height's validators (the powers
    sent, or its own when nil). The last header followed; `SyncError` sync.bad_header at
    the first that fails, naming the verifier's proof.* code."""
    if not isinstance(entries, list):
        raise SyncError("sync.bad_answer", "headers is a list")
    light = Trusted(chain_id, trusted.header.height, trusted.header, trusted.next_powers)
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], bytes)):
            raise SyncError("sync.bad_answer", "a header entry is [header, certificate, "
                            "next powers or nil]")
        try:
            header = decode(Header, entry[0])
            certificate = Certificate.from_wire(entry[1])
        except (CodecError, CertificateError) as e:
            raise SyncError("sync.bad_header", f"a header does not decode: {e.code}") from e
        powers = light.validators
        try:
            light = advance(light, CertifiedHeader(header, certificate_record(certificate)),
                            None if entry[2] is None else powers_of(entry[2]))
        except ProofError as e:
            raise SyncError("sync.bad_header", f"header {light.height + 1} is refused: "
                            f"{e.code}: {e.message}") from e
        trusted = Followed(header, certificate, powers, light.validators)
    return trusted


# ---------------------------------------------------------------- serving


@dataclass
class Pin:
    """A snapshot of the store pinned for peers: its head, manifest and where each chunk
    lies in the tree ((kind, position of its subtree's top node or None))."""

    snapshot: StateSnapshot
    head: Head
    manifest: Manifest
    places: list[tuple[int, bytes | None]]
    used_at: float
    readers: int = 0  # chunk reads under way (a pin is not let go meanwhile)


def _frontier(snap: StateSnapshot, depth: int) -> list[tuple[bytes, int, bytes | None]]:
    """(hash, kind, stored position) of each chunk's subtree at `depth`: read down from
    the root, no further than `depth` (a leaf standing higher belongs to one chunk)."""
    out: list[tuple[bytes, int, bytes | None]] = \
        [(state_tree.EMPTY_ROOT, state_tree.EMPTY, None)] * (1 << depth)
    root = snap.tree_get(state_tree.ROOT_KEY) or state_tree.EMPTY_ROOT
    if root == state_tree.EMPTY_ROOT:
        return out
    top = snap.tree_get(state_tree.ROOT_POSITION)
    assert top is not None, "a tree without its root node"
    stack = [(0, 0, state_tree.ROOT_POSITION, root, top[0] + 1)]
    while stack:
        d, prefix, at, hash_, kind = stack.pop()
        if kind == state_tree.EMPTY:
            continue
        if kind == state_tree.LEAF:
            node = snap.tree_get(at)
            assert node is not None and node[0] == 0, "a leaf the tree names is missing"
            out[chunk_of(node[1:33], depth)] = (hash_, kind, at)
            continue
        if d == depth:
            out[prefix >> (state_tree.PATH_BITS - depth) if depth else 0] = (hash_, kind, at)
            continue
        node = snap.tree_get(at)
        assert node is not None and node[0] == 1, "an internal node the tree names is missing"
        right_prefix = prefix | (1 << (state_tree.PATH_BITS - 1 - d))
        stack.append((d + 1, prefix, state_tree.position(d + 1, prefix), node[1:33],
                      node[65] & 3))
        stack.append((d + 1, right_prefix, state_tree.position(d + 1, right_prefix),
                      node[33:65], node[65] >> 2))
    return out


def _leaf_counts(snap: StateSnapshot) -> list[int]:
    """The tree's leaves counted by the top 16 bits of their paths (one pass)."""
    counts = [0] * (1 << 16)
    for at, node in snap.tree_range(b"", None):
        if len(at) == POSITION_BYTES and node[0] == 0:
            counts[int.from_bytes(node[1:3], "big")] += 1
    return counts


def make_pin(snap: StateSnapshot, chain_id: str, now: float) -> Pin:
    """Pin `snap`: its manifest, cut at the depth its record count calls for."""
    head = snap.head()
    assert head is not None
    counts = _leaf_counts(snap)
    depth = depth_for(sum(counts))
    frontier = _frontier(snap, depth)
    per = 1 << (16 - depth)
    refs = tuple(ChunkRef(hash_, kind, sum(counts[j * per:(j + 1) * per]))
                 for j, (hash_, kind, _) in enumerate(frontier))
    manifest = Manifest(chain_id, head.height, head.state_root, depth, refs)
    return Pin(snap, head, manifest, [(kind, at) for _, kind, at in frontier], now)


def read_chunk(pin: Pin, index: int) -> list[tuple[bytes, bytes]]:
    """The (key, value) items of chunk `index` of a pinned snapshot, sorted by path: the
    leaves of its subtree, one key range of the tree, and their values."""
    kind, at = pin.places[index]
    snap, depth = pin.snapshot, pin.manifest.depth
    if kind == state_tree.EMPTY:
        return []
    assert at is not None
    if kind == state_tree.LEAF:
        node = snap.tree_get(at)
        assert node is not None
        leaves = [(node[1:33], node[65:])]
    else:
        shift = state_tree.PATH_BITS - depth
        stop = state_tree.position(0, (index + 1) << shift) if index + 1 < 1 << depth \
            else None
        leaves = sorted((node[1:33], node[65:]) for position, node in snap.tree_range(at, stop)
                        if len(position) == POSITION_BYTES and node[0] == 0)
    out = []
    for _, key in leaves:
        value = snap.get(key)
        if value is None:
            raise StoreCorrupt(f"the state tree names key {key.hex()[:32]} the state lacks")
        out.append((key, value))
    return out


def chunk_parts(height: int, index: int, items: list[tuple[bytes, bytes]],
                part_bytes: int = CHUNK_PART_BYTES) -> list[ChunkPart]:
    """A chunk's items in runs that each fit a frame (at least one part, maybe empty)."""
    runs: list[list[Item]] = [[]]
    size = 0
    for key, value in items:
        cost = len(key) + len(value) + ITEM_ROOM_BYTES
        if runs[-1] and size + cost > part_bytes:
            runs.append([])
            size = 0
        runs[-1].append(Item(key, value))
        size += cost
    return [ChunkPart(height, index, i, len(runs), tuple(run)) for i, run in enumerate(runs)]


class SnapshotServer:
    """The serving side: pinned snapshots and the answers to state sync's requests."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.pins: dict[int, Pin] = {}  # by height
        self._pinning: asyncio.Task | None = None

    def release(self, now: float, keep: int | None = None) -> None:
        """Let go of pins unused for PIN_S (but `keep`)."""
        for height, pin in list(self.pins.items()):
            if height != keep and now - pin.used_at > PIN_S and not pin.readers:
                del self.pins[height]
                pin.snapshot.close()

    def close(self) -> None:
        for pin in self.pins.values():
            pin.snapshot.close()
        self.pins.clear()

    async def _pin_head(self) -> Pin:
        now = asyncio.get_running_loop().time()
        self.release(now)
        head = self.node.chain.head.height
        if head in self.pins:
            pin = self.pins[head]
        elif len(self.pins) >= MAX_PINS:
            pin = self.pins[max(self.pins)]  # both in use: the newer serves this peer too
        else:
            if self._pinning is None or self._pinning.done():
                snap = self.node.store.snapshot()
                self._pinning = asyncio.create_task(asyncio.to_thread(
                    make_pin, snap, self.node.chain.chain_id, now))
            task = self._pinning
            try:
                pin = await asyncio.shield(task)
            except StoreCorrupt as e:
                raise self.node.store.report(e) from e
            if pin.head.height not in self.pins:
                if len(self.pins) >= MAX_PINS:
                    pin.snapshot.close()
                    pin = self.pins[max(self.pins)]
                else:
                    self.pins[pin.head.height] = pin
        pin.used_at = now
        return pin

    async def on_get_snapshot(self, link: Link, payload: object) -> None:
        if payload != []:
            raise PeerError("peer.bad_frame", "get_snapshot is []")
        if self.node.chain.head.height == 0:
            raise PeerError("sync.no_snapshot", "this node holds the genesis only")
        pin = await self._pin_head()
        store = self.node.store
        raw = store.block_bytes(pin.head.height)
        certificate = store.certificate(pin.head.height)
        assert raw is not None and certificate is not None
        link.send("snapshot", [encode(pin.manifest), raw, certificate.to_wire()])

    def on_get_headers(self, link: Link, payload: object) -> None:
        if not (isinstance(payload, list) and len(payload) == 2
                and all(type(x) is int for x in payload) and 1 <= payload[0] <= payload[1]):
            raise PeerError("peer.bad_frame", "get_headers is [from, to], 1 <= from <= to")
        chain, store = self.node.chain, self.node.store
        start = payload[0]
        end = min(payload[1], start + MAX_HEADERS - 1, chain.head.height)
        out: list[list] = []
        size = 0
        if start > store.base() or store.base() == 0:  # none below a base
            for height in range(start, end + 1):
                header = store.header(height)
                certificate = store.certificate(height)
                if header is None or certificate is None:
                    break
                same = chain.validators_hash_at(height + 1) == header.validators_hash
                entry = [encode(header), certificate.to_wire(), None if same else
                         powers_wire(chain.validators_at(height + 1).powers)]
                size += len(pack("", entry))
                if out and size > CHUNK_PART_BYTES:
                    break  # the peer asks again from where this frame ends
                out.append(entry)
        link.send("headers", out)

    async def on_get_chunk(self, link: Link, payload: object) -> None:
        if not (isinstance(payload, list) and len(payload) == 2
                and all(type(x) is int for x in payload)):
            raise PeerError("peer.bad_frame", "get_chunk is [height, index]")
        height, index = payload
        pin = self.pins.get(height)
        if pin is None:
            raise PeerError("sync.no_snapshot", f"no snapshot of height {height} is pinned")
        if not 0 <= index < len(pin.places):
            raise PeerError("peer.bad_frame", f"the snapshot has no chunk {index}")
        pin.used_at = asyncio.get_running_loop().time()
        pin.readers += 1
        try:
            items = await asyncio.to_thread(read_chunk, pin, index)
        except StoreCorrupt as e:
            raise self.node.store.report(e) from e
        finally:
            pin.readers -= 1
        for part in chunk_parts(height, index, items, CHUNK_PART_BYTES):
            link.send("chunk", encode(part))


# ---------------------------------------------------------------- restoring


class StateSyncClient:
    """The restoring side: asks one peer at a time, checks everything, then restores.

    `links()` gives the linked peers; `heights` the heads they reported (block sync's
    status frames); `done()` is called once the chain stands on the snapshot."""

    def __init__(self, node: Node, links, heights: dict[bytes, int], done) -> None:
        self.node = node
        self.chain = node.chain
        self.links = links
        self.heights = heights
        self.done = done
        self.finished = False
        self._pending: tuple[bytes, str, asyncio.Future] | None = None
        self._parts: list[ChunkPart] = []
        self._items = 0  # items in `_parts`
        self._expected: tuple[int, int, int] = (0, 0, 0)  # the chunk asked: height, index, count
        self._failed: dict[bytes, float] = {}  # peer -> loop time of its last failure

    def on_answer(self, link: Link, kind: str, payload: object) -> None:
        """An answer frame ("snapshot", "headers", "chunk"); one not asked for is
        dropped (a late answer to a request given up)."""
        pending = self._pending
        if pending is None or pending[0] != link.peer or pending[1] != kind \
                or pending[2].done():
            return
        future = pending[2]
        if kind != "chunk":
            future.set_result(payload)
            return
        if not isinstance(payload, bytes):
            future.set_exception(SyncError("sync.bad_answer", "a chunk frame is bytes"))
            return
        try:
            part = decode(ChunkPart, payload, max_bytes=MAX_FRAME_BYTES)
        except CodecError as e:
            future.set_exception(SyncError("sync.bad_answer", f"a chunk part: {e.code}"))
            return
        if part.part != len(self._parts) or (self._parts and part.parts !=
                                             self._parts[0].parts):
            future.set_exception(SyncError("sync.bad_answer", "chunk parts out of order"))
            return
        height, index, count = self._expected
        self._items += len(part.items)
        if (part.height, part.index) != (height, index) or self._items > count:
            # Bounded: no more items are taken than the manifest's count for the chunk.
            future.set_exception(SyncError("sync.bad_answer", "a chunk part of another "
                                           "chunk, or more items than the chunk holds"))
            return
        self._parts.append(part)
        if part.part == part.parts - 1:
            future.set_result(self._parts)

    async def _ask(self, link: Link, kind: str, payload: object, answer: str) -> object:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending = (link.peer, answer, future)
        self._parts = []
        self._items = 0
        link.send(kind, payload)
        try:
            return await asyncio.wait_for(future, REQUEST_S)
        except TimeoutError as e:
            raise SyncError("sync.timeout", f"{link.name} did not answer {kind} within "
                            f"{REQUEST_S:g} s") from e
        finally:
            self._pending = None

    def _pick(self, now: float) -> Link | None:
        """The linked peer with the highest head that has not failed lately."""
        best = None
        for link in self.links():
            height = self.heights.get(link.peer, 0)
            if height < 1 or now - self._failed.get(link.peer, -1e9) < 10 * RETRY_S:
                continue
            if best is None or height > self.heights[best.peer]:
                best = link
        return best

    async def run(self) -> None:
        """Attempt after attempt, one peer each, until a snapshot is restored."""
        loop = asyncio.get_running_loop()
        while not self.finished:
            link = self._pick(loop.time())
            if link is None:
                await asyncio.sleep(RETRY_S / 4)
                continue
            try:
                await self.attempt(link)
            except (SyncError, SnapshotError, InvalidBlock, CertificateError,
                    CodecError) as e:
                log.warning("state sync from %s failed: %s", link.name, e,
                            extra={"code": e.code})
                self._failed[link.peer] = loop.time()  # others are asked first now
                await asyncio.sleep(RETRY_S)
            except PeerError as e:
                log.warning("state sync from %s failed: %s", link.name, e.code)
                self._failed[link.peer] = loop.time()
                await asyncio.sleep(RETRY_S)
            except StoreFault:
                return  # the node stops (Node.fail)
            except Exception:  # a bug must cost one attempt, never the state sync
                log.exception("state sync from %s failed", link.name)
                self._failed[link.peer] = loop.time()
                await asyncio.sleep(RETRY_S)

    async def attempt(self, link: Link) -> None:
        """Snapshot, headers, chunks from `link`, each checked; then the restore."""
        clock = asyncio.get_running_loop().time
        started = clock()
        answer = await self._ask(link, "get_snapshot", [], "snapshot")
        if not (isinstance(answer, list) and len(answer) == 3
                and isinstance(answer[0], bytes) and isinstance(answer[1], bytes)):
            raise SyncError("sync.bad_answer", "snapshot is [manifest, block, certificate]")
        manifest = decode(Manifest, answer[0], max_bytes=MAX_FRAME_BYTES)
        block = self.chain.decode_block(answer[1])
        certificate = Certificate.from_wire(answer[2])
        genesis = self.chain.genesis()[0].header
        one = self.chain.validators_at(1).powers
        trusted = Followed(genesis, None, self.chain.validators_at(0).powers, one)
        while trusted.header.height < manifest.height:
            wanted = [trusted.header.height + 1, manifest.height]
            entries = await self._ask(link, "get_headers", wanted, "headers")
            if not isinstance(entries, list) or not entries:
                raise SyncError("sync.bad_answer", f"no headers from {wanted[0]} on")
            trusted = follow_headers(self.chain.chain_id, trusted,
                                     entries[:manifest.height - trusted.header.height])
            await asyncio.sleep(0)
        header = trusted.header
        followed = clock()
        if block.id != block_id(header):
            raise SyncError("sync.bad_header", f"block {manifest.height} is not the header "
                            "followed to that height")
        verify_certificate(certificate, self.chain.chain_id, header.height, block.id,
                           trusted.powers, verify)
        check_manifest(manifest, self.chain.chain_id, header.height, header.state_root)
        items: list[tuple[bytes, bytes]] = []
        tree = state_tree.MemoryTree()
        builder = state_tree.ChunkBuilder(tree, manifest.depth)  # checked and built at once
        checking = 0.0  # of the chunks' time, what checking them took here
        for index, ref in enumerate(manifest.chunks):
            self._expected = (manifest.height, index, ref.count)
            parts = await self._ask(link, "get_chunk", [manifest.height, index], "chunk")
            received = clock()
            chunk = [(item.key, item.value) for part in parts  # type: ignore[attr-defined]
                     for item in part.items]
            check_chunk(manifest, index, chunk, builder)
            items += chunk
            checking += clock() - received
        builder.finish()
        fetched = clock()
        if self.finished or self.chain.head.height != 0:
            return
        # On the loop: nothing else may touch the chain while its state is replaced.
        head = self.chain.restore(block, certificate, items, tree)
        self.finished = True
        log.info("state-synced to height %d from %s: %d records in %d chunks, %.1f s "
                 "(headers %.1f s, chunks %.1f s of which checking %.1f s, restore %.1f s)",
                 head.height, link.name, len(items), len(manifest.chunks), clock() - started,
                 followed - started, fetched - followed, checking, clock() - fetched)
        self.done()


def wants_state_sync(node: Node) -> bool:
    """Whether a node asked to state-sync may: its store holds the genesis only."""
    return node.chain.head.height == 0 and node.store.base() == 0

