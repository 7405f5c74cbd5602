"""A snapshot of the committed state at a height, in chunks each checked on arrival.

The state tree (contracts.state_tree) at `depth` bits cuts the committed state into
2^depth chunks: chunk j holds the committed (key, value) items whose path begins with
the `depth` bits of j, sorted by path. A manifest names each chunk's subtree by its
hash, kind and item count; joining those 2^depth subtrees up the tree (`join`, the
tree's collapse rule) gives the state root. So a manifest is checked against a state
root taken from a certified header, and each chunk against its line of the manifest
(the count too, which the root does not commit to), before anything of it is kept: a
peer that sends one wrong byte is caught at the chunk it sent, and nothing but the
header is trusted.

Derived index items (contracts.commitment) are not in a snapshot: the restoring node
derives them from the records, as execution would have written them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import state_tree
from contracts.codec import Hash32, Height, IntRange, Name, Size, sha256
from contracts.commitment import is_committed
from contracts.errors import LedgerError

MAX_DEPTH = 16  # at most 65,536 chunks
MAX_TARGET_ITEMS = 4_000  # the server picks the least depth that brings chunks under this
MAX_KEY_BYTES = 1 << 10
MAX_VALUE_BYTES = 1 << 20
MAX_CHUNK_ITEMS = 1 << 20


class SnapshotError(LedgerError):
    """A manifest or chunk that does not prove what it claims: `snapshot.bad_manifest`,
    `snapshot.wrong_root`, `snapshot.bad_chunk`, `snapshot.wrong_chain`."""


@dataclass(frozen=True)
class ChunkRef:
    """One chunk as the manifest names it: the hash and kind (state_tree.EMPTY, LEAF,
    INTERNAL) of its subtree at the manifest's depth, and how many items it holds."""

    hash: Hash32
    kind: Annotated[int, IntRange(0, 2)]
    count: Annotated[int, IntRange(0, 2**63 - 1)]


@dataclass(frozen=True)
class Manifest:
    """The committed state at `height`, whose tree root is `state_root`, in 2^depth
    chunks."""

    chain_id: Name
    height: Height
    state_root: Hash32
    depth: Annotated[int, IntRange(0, MAX_DEPTH)]
    chunks: Annotated[tuple[ChunkRef, ...], Size(1, 1 << MAX_DEPTH)]


@dataclass(frozen=True)
class Item:
    """A committed state record: its key and canonical value bytes."""

    key: Annotated[bytes, Size(1, MAX_KEY_BYTES)]
    value: Annotated[bytes, Size(0, MAX_VALUE_BYTES)]


@dataclass(frozen=True)
class ChunkPart:
    """Part `part` of `parts` of chunk `index` of the snapshot at `height`: a chunk too
    large for one peer frame comes in parts, each a run of its items in path order."""

    height: Height
    index: Annotated[int, IntRange(0, (1 << MAX_DEPTH) - 1)]
    part: Annotated[int, IntRange(0, 2**32 - 1)]
    parts: Annotated[int, IntRange(1, 2**32)]
    items: Annotated[tuple[Item, ...], Size(0, MAX_CHUNK_ITEMS)]


def depth_for(count: int) -> int:
    """The depth a server cuts a state of `count` committed items at: the least that
    brings the mean chunk to MAX_TARGET_ITEMS or fewer (so 2,000 to 4,000 items, the
    paths being uniform), at most MAX_DEPTH."""
    depth = 0
    while depth < MAX_DEPTH and count > MAX_TARGET_ITEMS << depth:
        depth += 1
    return depth


def chunk_of(path: bytes, depth: int) -> int:
    """The chunk a path falls in at `depth`: its top `depth` bits."""
    return int.from_bytes(path[:4], "big") >> (32 - depth) if depth else 0


def chunks_of(items: list[tuple[bytes, bytes]], depth: int
              ) -> list[list[tuple[bytes, bytes]]]:
    """The committed (key, value) items of a state cut into its 2^depth chunks, each
    sorted by path (a server's or a test's whole state in memory)."""
    cut: list[list[tuple[bytes, bytes, bytes]]] = [[] for _ in range(1 << depth)]
    for key, value in items:
        if is_committed(key):
            path = state_tree.key_path(key)
            cut[chunk_of(path, depth)].append((path, key, value))
    return [[(key, value) for _, key, value in sorted(chunk)] for chunk in cut]


def chunk_ref(depth: int, items: list[tuple[bytes, bytes]]) -> ChunkRef:
    """The manifest's line for a chunk of (key, value) items sorted by path."""
    found = state_tree.subtree(depth, [(state_tree.key_path(k), sha256(v), k)
                                       for k, v in items])
    return ChunkRef(found[0], found[1], len(items))


def make_manifest(chain_id: str, height: int, state_root: bytes, depth: int,
                  chunks: list[list[tuple[bytes, bytes]]]) -> Manifest:
    """The manifest of a state given whole, as `chunks_of` cuts it."""
    return Manifest(chain_id, height, state_root, depth,
                    tuple(chunk_ref(depth, chunk) for chunk in chunks))


def frontier_root(depth: int, frontier: list[tuple[bytes, int]]) -> bytes:
    """The root the 2^depth subtrees at `depth` (hash, kind), left to right, join to."""
    assert len(frontier) == 1 << depth
    level = frontier
    for _ in range(depth):
        level = [state_tree.join(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0][0]


def check_manifest(manifest: Manifest, chain_id: str, height: int, state_root: bytes) -> None:
    """`SnapshotError` unless `manifest` is the snapshot of chain `chain_id` at `height`
    (from a certified header) and its chunks join to `state_root`, the root that header
    names."""
    if manifest.chain_id != chain_id or manifest.height != height:
        raise SnapshotError("snapshot.wrong_chain", f"the manifest is of {manifest.chain_id} "
                            f"at height {manifest.height}, not {chain_id} at {height}")
    if manifest.state_root != state_root:
        raise SnapshotError("snapshot.wrong_root", "the manifest names another state root "
                            "than the certified header")
    if not 0 <= manifest.depth <= MAX_DEPTH or len(manifest.chunks) != 1 << manifest.depth:
        raise SnapshotError("snapshot.bad_manifest",
                            f"a manifest of depth {manifest.depth} has 2^depth chunks")
    for j, ref in enumerate(manifest.chunks):
        fits = (ref.count == 0 and ref.hash == state_tree.EMPTY_ROOT) if ref.kind == \
            state_tree.EMPTY else ref.count == 1 if ref.kind == state_tree.LEAF else \
            ref.count >= 2
        if not fits:
            raise SnapshotError("snapshot.bad_manifest", f"chunk {j}'s kind and count "
                                "do not agree")
    found = frontier_root(manifest.depth, [(ref.hash, ref.kind) for ref in manifest.chunks])
    if found != state_root:
        raise SnapshotError("snapshot.wrong_root", "the manifest's chunks do not join to "
                            "the certified state root")


def check_chunk(manifest: Manifest, index: int, items: list[tuple[bytes, bytes]],
                builder: state_tree.ChunkBuilder | None = None) -> None:
    """`SnapshotError` snapshot.bad_chunk unless `items` are exactly chunk `index` of a
    manifest checked before: committed keys whose paths fall in the chunk, sorted by path
    without repeats, as many as the manifest says, and their subtree is the manifest's.
    With a `builder` (of the manifest's depth) the subtree is stored into its tree as it
    is checked: the restoring node hashes each record once."""
    if not 0 <= index < len(manifest.chunks):
        raise SnapshotError("snapshot.bad_chunk", f"the manifest has no chunk {index}")
    ref = manifest.chunks[index]
    if len(items) != ref.count:
        raise SnapshotError("snapshot.bad_chunk", f"chunk {index} holds {len(items)} items, "
                            f"the manifest says {ref.count}")
    entries = []
    previous = b""
    for key, value in items:
        path = state_tree.key_path(key)
        if not is_committed(key):
            raise SnapshotError("snapshot.bad_chunk", f"chunk {index} holds a derived key")
        if chunk_of(path, manifest.depth) != index:
            raise SnapshotError("snapshot.bad_chunk", f"chunk {index} holds a key of "
                                "another chunk")
        if path <= previous:
            raise SnapshotError("snapshot.bad_chunk", f"chunk {index} is not sorted by path "
                                "without repeats")
        previous = path
        entries.append((path, sha256(value), key))
    found = state_tree.subtree(manifest.depth, entries) if builder is None else \
        builder.add(index, entries)
    if found != (ref.hash, ref.kind):
        raise SnapshotError("snapshot.bad_chunk", f"chunk {index} is not the subtree the "
                            "manifest names")
