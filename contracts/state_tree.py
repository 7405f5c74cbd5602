"""A Merkle commitment to the current state: a compressed sparse Merkle tree with proofs.

Each record sits at a 256-bit path, `path = sha256(key)`, read most significant bit
first (bit 0 is the top bit of byte 0; 0 goes left, 1 goes right). The tree is binary;
a subtree holding no key is *empty*, a subtree holding one key is that key's *leaf*
(standing as high as it can, not at depth 256), a subtree holding two or more keys is
an *internal* node. So the shape is a function of the key set alone. Hashes, with
`||` for concatenation and `H` for sha256:

    empty    = 32 zero bytes
    leaf     = H(b"claimledger/state/leaf\\x00" || path || H(value))      (path: 32 bytes)
    internal = H(b"claimledger/state/node\\x00" || left || right)        (32 bytes each)

An internal node may have one empty child when both keys below it share the next bit
(the other child is then internal); it never has an empty child beside a leaf, nor two
empty children. The root of the empty tree is `empty`.

The constant for `empty` is safe: producing 32 zero bytes as the hash of a leaf or an
internal node needs a sha256 preimage of zero, so no proof can pass a real subtree off
as empty or the reverse. The domain tags keep a leaf from being read as an internal
node (or as any other hash of this ledger) and fix the preimage lengths.

Proof of a key against a root: the siblings met from the root down to where the key's
path ends (`siblings[0]` is the child of the root), and the node found there: the key's
own leaf (presence, with its value's hash), another key's leaf whose path shares the
first `len(siblings)` bits (absence), or an empty subtree (absence). A verifier hashes
that node up through the siblings, taking the key's path bit at each depth for the side,
and compares with the root. Canonical bytes: `encode(Proof)` (contracts.codec).

Why this structure. A plain 256-level sparse Merkle tree has the same single root for a
key set but costs 256 hashes per update and 256 siblings per proof (compressible only
by bitmaps). A Patricia trie over the raw keys has paths as long as the keys, nodes of
variable arity and extension nodes to specify and implement everywhere. Here, with
paths that are uniform hashes, a tree of n keys is about log2(n) deep: a proof holds
about log2(n) siblings of 32 bytes, an update rehashes about log2(n) nodes, and the root
depends only on the set of (key, value) pairs, never on the order of inserts (as in the
Jellyfish Merkle tree, with binary nodes).

Storage. A tree is kept as its nodes by *position*: the depth and the path bits above
it (`position = path prefix, zero-padded to 32 bytes || depth as 2 bytes`), so a batch
rewrites the nodes along the changed paths in place and deletes those that moved: the
store holds exactly one tree, the current one, and nothing is left to collect. Keys sort
by prefix then depth, so a subtree's nodes are one key range. Stored forms:

    leaf     = 0x00 || path || H(value) || key                           (65 + key)
    internal = 0x01 || left || right || kinds  (kinds = left | right << 2;
                                                0 empty, 1 leaf, 2 internal)  (66 bytes)

and the root hash at the key `ROOT_KEY`. A stored leaf keeps its key (not hashed: the
path commits to it), so a subtree's key range names the state keys under it: a snapshot
is served from the tree by ranges, with no copy made. Proofs are taken of the current
tree; a past height's tree is read from a snapshot of the store taken at that height.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256 as _hash  # the hot paths skip a call
from typing import Annotated, Protocol

from contracts.codec import Hash32, Size, sha256

EMPTY_ROOT = bytes(32)
LEAF_TAG = b"claimledger/state/leaf\x00"
NODE_TAG = b"claimledger/state/node\x00"
PATH_BITS = 256
ROOT_KEY = b"root"  # where a stored tree keeps its root hash (positions are 34 bytes)

EMPTY, LEAF, INTERNAL = 0, 1, 2  # the kinds of subtree


@dataclass(frozen=True)
class ProofLeaf:
    """The leaf a proof ends on: its path and the hash of its value."""

    path: Hash32
    value_hash: Hash32


@dataclass(frozen=True)
class Proof:
    """Siblings from the root's children down, and the leaf met there (None: empty)."""

    siblings: Annotated[tuple[Hash32, ...], Size(0, PATH_BITS)]
    leaf: ProofLeaf | None


class TreeReader(Protocol):
    """A stored tree: node bytes by position (and the root hash at ROOT_KEY)."""

    def get(self, position: bytes) -> bytes | None: ...


class TreeWriter(TreeReader, Protocol):
    def put(self, position: bytes, node: bytes) -> None: ...

    def delete(self, position: bytes) -> None: ...


class MemoryTree:
    """A tree's nodes in a dict (tests, measurements, re-execution in memory)."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, bytes] = {}

    def get(self, position: bytes) -> bytes | None:
        return self.nodes.get(position)

    def put(self, position: bytes, node: bytes) -> None:
        self.nodes[position] = node

    def delete(self, position: bytes) -> None:
        self.nodes.pop(position, None)

    def apply(self, writes: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Take a batch's node writes (`TreeOverlay.changes`; None deletes)."""
        for position, node in writes:
            if node is None:
                self.nodes.pop(position, None)
            else:
                self.nodes[position] = node


class TreeOverlay:
    """A batch's node writes over a stored tree, kept apart until the block commits."""

    def __init__(self, parent: TreeReader) -> None:
        self.parent = parent
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, position: bytes) -> bytes | None:
        if position in self.writes:
            return self.writes[position]
        return self.parent.get(position)

    def put(self, position: bytes, node: bytes) -> None:
        self.writes[position] = node

    def delete(self, position: bytes) -> None:
        self.writes[position] = None

    def changes(self) -> list[tuple[bytes, bytes | None]]:
        """The writes by position (None deletes): what the block writes with its state."""
        return sorted(self.writes.items())


class MissingNode(LookupError):
    """The stored tree lacks a node it names, or is not the tree of the root asked for."""


def key_path(key: bytes) -> bytes:
    """The 256-bit path of a state key."""
    return sha256(key)


def leaf_hash(path: bytes, value_hash: bytes) -> bytes:
    """The hash of the leaf of `path` holding a value whose hash is `value_hash`."""
    return sha256(LEAF_TAG + path + value_hash)


def internal_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an internal node over its children's hashes."""
    return sha256(NODE_TAG + left + right)


def _bit(path: bytes, depth: int) -> int:
    return (path[depth >> 3] >> (7 - (depth & 7))) & 1


def position(depth: int, prefix: int) -> bytes:
    """The storage key of the node at `depth` whose path begins with `prefix`'s top
    `depth` bits (the rest of `prefix` is zero)."""
    return prefix.to_bytes(32, "big") + depth.to_bytes(2, "big")


ROOT_POSITION = position(0, 0)


def root_of(tree: TreeReader) -> bytes:
    """The root hash of the stored tree."""
    return tree.get(ROOT_KEY) or EMPTY_ROOT


def _node(tree: TreeReader, at: bytes) -> bytes:
    node = tree.get(at)
    if node is None:
        raise MissingNode(f"state tree node at {at.hex()} is not in the store")
    assert (node[0] == 0 and len(node) > 65) or (node[0] == 1 and len(node) == 66), \
        "corrupt state tree node"
    return node


# A subtree as a batch sees it: (hash, kind, leaf payload (path || value hash || key) or
# None when not read, the position it is stored at or None when not stored yet).
_Sub = tuple[bytes, int, bytes | None, bytes | None]
_EMPTY_SUB: _Sub = (EMPTY_ROOT, EMPTY, None, None)


# A change or a live entry as a batch takes it: (path, value hash or None, key).
_Entry = tuple[bytes, bytes | None, bytes]


def _leaf(path: bytes, value_hash: bytes, key: bytes) -> _Sub:
    return _hash(LEAF_TAG + path + value_hash).digest(), LEAF, path + value_hash + key, None


def _place(tree: TreeWriter, sub: _Sub, at: bytes) -> None:
    """Store the leaf `sub` at position `at` (it may stand elsewhere now, or nowhere)."""
    if sub[3] == at:
        return
    payload = sub[2]
    if payload is None:  # an untouched leaf moving up: read it before it is deleted
        assert sub[3] is not None
        payload = _node(tree, sub[3])[1:]
    if sub[3] is not None:
        tree.delete(sub[3])
    tree.put(at, b"\x00" + payload)


def _join(tree: TreeWriter, depth: int, prefix: int, left: _Sub, right: _Sub,
          at: bytes | None = None) -> _Sub:
    """The subtree at (`depth`, `prefix`) over two children, collapsed so that only its key
    set decides its shape; an internal node is stored at its position (`at`, if known), a
    leaf is returned for the caller to place."""
    left_kind, right_kind = left[1], right[1]
    if right_kind == EMPTY and left_kind != INTERNAL:
        return left
    if left_kind == EMPTY and right_kind == LEAF:
        return right
    if left_kind == LEAF:
        _place(tree, left, prefix.to_bytes(32, "big") + _DEPTHS[depth + 1])
    if right_kind == LEAF:
        right_prefix = prefix | (1 << (PATH_BITS - 1 - depth))
        _place(tree, right, right_prefix.to_bytes(32, "big") + _DEPTHS[depth + 1])
    if at is None:
        at = prefix.to_bytes(32, "big") + _DEPTHS[depth]
    tree.put(at, b"\x01" + left[0] + right[0] + _KINDS[left_kind | right_kind << 2])
    return _hash(NODE_TAG + left[0] + right[0]).digest(), INTERNAL, None, at


_DEPTHS = tuple(d.to_bytes(2, "big") for d in range(PATH_BITS + 1))
_KINDS = tuple(bytes([k]) for k in range(16))


def _build(tree: TreeWriter, depth: int, prefix: int, entries: list[_Entry],
           lo: int = 0, hi: int | None = None) -> _Sub:
    """The subtree at (`depth`, `prefix`) of the live (path, value hash, key) entries
    `entries[lo:hi]`, sorted by path."""
    if hi is None:
        hi = len(entries)
    if lo == hi:
        return _EMPTY_SUB
    if hi - lo == 1:
        path, value_hash, key = entries[lo]
        assert value_hash is not None
        return _leaf(path, value_hash, key)
    assert depth < PATH_BITS, "two entries with one path"
    cut = _split(entries, depth, lo, hi)
    return _join(tree, depth, prefix,
                 _build(tree, depth + 1, prefix, entries, lo, cut),
                 _build(tree, depth + 1, prefix | (1 << (PATH_BITS - 1 - depth)),
                        entries, cut, hi))


def _split(entries: list, depth: int, lo: int = 0, hi: int | None = None) -> int:
    """Index of the first entry of `entries[lo:hi]` (sorted by path) whose bit at `depth`
    is 1."""
    if hi is None:
        hi = len(entries)
    byte, shift = depth >> 3, 7 - (depth & 7)
    while lo < hi:
        mid = (lo + hi) // 2
        if (entries[mid][0][byte] >> shift) & 1:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _update(tree: TreeWriter, depth: int, prefix: int, sub: _Sub,
            changes: list[_Entry], lo: int, hi: int) -> _Sub:
    """`sub` at (`depth`, `prefix`) with the (path, value hash or None, key) changes
    `changes[lo:hi]` under it (at least one)."""
    kind, at = sub[1], sub[3]
    if kind == EMPTY:
        return _build(tree, depth, prefix, [c for c in changes[lo:hi] if c[1] is not None])
    assert at is not None
    node = tree.get(at)
    if node is None:
        raise MissingNode(f"state tree node at {at.hex()} is not in the store")
    if kind == LEAF:
        tree.delete(at)  # placed again by the caller, or gone
        path = node[1:33]
        entries = [c for c in changes[lo:hi] if c[1] is not None]
        if all(c[0] != path for c in changes[lo:hi]):
            entries.append((path, node[33:65], node[65:]))
            entries.sort()
        return _build(tree, depth, prefix, entries)
    assert node[0] == 1 and len(node) == 66, "corrupt state tree node"
    below = _DEPTHS[depth + 1]
    right_prefix = prefix | (1 << (PATH_BITS - 1 - depth))
    left_kind, right_kind = node[65] & 3, node[65] >> 2
    cut = _split(changes, depth, lo, hi)
    # A child's position is worked out only when it is read or may move: an untouched
    # internal child stays where it is, whatever happens beside it.
    left: _Sub = (node[1:33], left_kind, None,
                  prefix.to_bytes(32, "big") + below
                  if left_kind and (cut > lo or left_kind == LEAF) else None)
    right: _Sub = (node[33:65], right_kind, None,
                   right_prefix.to_bytes(32, "big") + below
                   if right_kind and (cut < hi or right_kind == LEAF) else None)
    if cut > lo:
        left = _update(tree, depth + 1, prefix, left, changes, lo, cut)
    if cut < hi:
        right = _update(tree, depth + 1, right_prefix, right, changes, cut, hi)
    joined = _join(tree, depth, prefix, left, right, at)
    if joined[1] != INTERNAL:
        tree.delete(at)  # what is left moves up: nothing stands here any more
    return joined


def _root_sub(tree: TreeReader) -> _Sub:
    root = root_of(tree)
    if root == EMPTY_ROOT:
        return _EMPTY_SUB
    return root, _node(tree, ROOT_POSITION)[0] + 1, None, ROOT_POSITION


def apply(tree: TreeWriter, root: bytes,
          changes: Iterable[tuple[bytes, bytes | None]]) -> bytes:
    """Write a batch of (key, value) changes into the stored tree whose root is `root`
    (value None deletes the key; deleting an absent key changes nothing) and return the
    new root. The result does not depend on the order of the batch; a key may appear in
    it once. `MissingNode` if `root` is not the stored tree's root."""
    if root_of(tree) != root:
        raise MissingNode(f"the stored tree's root is not {root.hex()}")
    entries: list[_Entry] = [(_hash(key).digest(),
                              None if value is None else _hash(value).digest(), key)
                             for key, value in changes]
    if not entries:
        return root
    entries.sort()
    for i in range(1, len(entries)):
        if entries[i][0] == entries[i - 1][0]:
            raise ValueError(f"key {entries[i][2]!r} appears twice in one batch")
    top = _update(tree, 0, 0, _root_sub(tree), entries, 0, len(entries))
    if top[1] == LEAF:
        _place(tree, top, ROOT_POSITION)
    elif top[1] == EMPTY:
        tree.delete(ROOT_POSITION)
    if top[0] == EMPTY_ROOT:
        tree.delete(ROOT_KEY)
    else:
        tree.put(ROOT_KEY, top[0])
    return top[0]


def build(tree: TreeWriter, items: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Store a tree holding exactly `items` (key, value) into an empty `tree`; its root."""
    return apply(tree, EMPTY_ROOT, list(items))


def subtree(depth: int, entries: list[tuple[bytes, bytes, bytes]]) -> tuple[bytes, int]:
    """The hash and kind of the subtree at `depth` holding exactly `entries` (path, value
    hash, key), sorted by path, all sharing their first `depth` bits: how a chunk of a
    snapshot is checked against the tree's frontier at that depth."""
    found = _build(MemoryTree(), depth, 0, entries)
    return found[0], found[1]


def join(left: tuple[bytes, int], right: tuple[bytes, int]) -> tuple[bytes, int]:
    """The hash and kind of a subtree over two children of known hash and kind, by the
    collapse rule (a leaf beside an empty sibling stands in its parent's place): a
    snapshot's frontier hashes up to the root with this."""
    if right[1] == EMPTY and left[1] != INTERNAL:
        return left
    if left[1] == EMPTY and right[1] == LEAF:
        return right
    return internal_hash(left[0], right[0]), INTERNAL


class ChunkBuilder:
    """A tree stored chunk by chunk, as a snapshot arrives: chunk j holds the entries
    whose paths begin with the `depth` bits of j. Each chunk's subtree is stored at its
    own positions when it is added (its hash and kind returned, to check against the
    snapshot's manifest); `finish` joins the chunks up to the root. The nodes stored are
    exactly those `build` stores for all the entries at once."""

    def __init__(self, tree: TreeWriter, depth: int) -> None:
        assert 0 <= depth <= 16
        self.tree = tree
        self.depth = depth
        self.subs: list[_Sub] = [_EMPTY_SUB] * (1 << depth)

    def add(self, index: int, entries: list[tuple[bytes, bytes, bytes]]) -> tuple[bytes, int]:
        """Store chunk `index` of live (path, value hash, key) entries sorted by path;
        the hash and kind of its subtree."""
        sub = _build(self.tree, self.depth, index << (PATH_BITS - self.depth),
                     list(entries))
        self.subs[index] = sub
        return sub[0], sub[1]

    def finish(self) -> bytes:
        """Join the chunks' subtrees up to the root and store it; the root hash."""
        level = self.subs
        for depth in range(self.depth - 1, -1, -1):
            level = [_join(self.tree, depth, i << (PATH_BITS - depth), level[2 * i],
                           level[2 * i + 1]) for i in range(len(level) // 2)]
        top = level[0]
        if top[1] == LEAF:
            _place(self.tree, top, ROOT_POSITION)
        if top[0] != EMPTY_ROOT:
            self.tree.put(ROOT_KEY, top[0])
        return top[0]


def prove(tree: TreeReader, root: bytes, key: bytes) -> Proof:
    """A proof of `key`'s presence (with its value's hash) or absence under `root`, the
    root of the stored tree (`MissingNode` if it is not)."""
    if root_of(tree) != root:
        raise MissingNode(f"the stored tree's root is not {root.hex()}")
    path = key_path(key)
    siblings: list[bytes] = []
    if root == EMPTY_ROOT:
        return Proof((), None)
    at, prefix = ROOT_POSITION, 0
    while True:
        node = _node(tree, at)
        if node[0] == 0:
            return Proof(tuple(siblings), ProofLeaf(node[1:33], node[33:65]))
        depth = len(siblings)
        assert depth < PATH_BITS, "state tree deeper than a path"
        kinds = node[65]
        if _bit(path, depth):
            siblings.append(node[1:33])
            prefix |= 1 << (PATH_BITS - 1 - depth)
            kind = kinds >> 2
        else:
            siblings.append(node[33:65])
            kind = kinds & 3
        if kind == EMPTY:
            return Proof(tuple(siblings), None)
        at = position(depth + 1, prefix)


def verify(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Whether `proof` shows that under `root` the state holds `value` at `key` (value
    None: that `key` is absent). Needs nothing but its arguments."""
    if len(proof.siblings) > PATH_BITS or len(root) != 32:
        return False
    path = key_path(key)
    depth = len(proof.siblings)
    leaf = proof.leaf
    if leaf is None:
        if value is not None:
            return False
        node_hash = EMPTY_ROOT
    else:
        if len(leaf.path) != 32 or len(leaf.value_hash) != 32:
            return False
        # The leaf must stand where the key's path leads.
        if any(_bit(leaf.path, d) != _bit(path, d) for d in range(depth)):
            return False
        if value is None:
            if leaf.path == path:
                return False
        elif leaf.path != path or leaf.value_hash != sha256(value):
            return False
        node_hash = leaf_hash(leaf.path, leaf.value_hash)
    for d in range(depth - 1, -1, -1):
        sibling = proof.siblings[d]
        if len(sibling) != 32:
            return False
        if _bit(path, d):
            node_hash = internal_hash(sibling, node_hash)
        else:
            node_hash = internal_hash(node_hash, sibling)
    return node_hash == root


# The names of before storage by position, for callers that hold a tree in memory.
MemoryNodeStore = MemoryTree
