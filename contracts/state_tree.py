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

Nodes are kept by their hash in a `NodeStore` and never overwritten, so every root
written stays readable (proofs at a past height) for as long as its nodes are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from contracts.codec import Hash32, Size, sha256

EMPTY_ROOT = bytes(32)
LEAF_TAG = b"claimledger/state/leaf\x00"
NODE_TAG = b"claimledger/state/node\x00"
PATH_BITS = 256

# A stored node: a kind byte and its two 32-byte fields (leaf: path, value hash;
# internal: left, right), 65 bytes, so a key-value store can hold it as it is.
_LEAF = 0
_INTERNAL = 1


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


class NodeStore(Protocol):
    """Where nodes live, by hash; a node once written is never changed."""

    def get(self, node_hash: bytes) -> bytes | None: ...

    def put(self, node_hash: bytes, node: bytes) -> None: ...


class MemoryNodeStore:
    """Nodes in a dict (tests, measurements)."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, bytes] = {}

    def get(self, node_hash: bytes) -> bytes | None:
        return self.nodes.get(node_hash)

    def put(self, node_hash: bytes, node: bytes) -> None:
        self.nodes[node_hash] = node


class MissingNode(LookupError):
    """A node under a root is not in the store (the root is unknown or was pruned)."""


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


def _load(store: NodeStore, node_hash: bytes) -> bytes:
    node = store.get(node_hash)
    if node is None:
        raise MissingNode(f"state tree node {node_hash.hex()} is not in the store")
    assert len(node) == 65 and node[0] in (_LEAF, _INTERNAL), "corrupt state tree node"
    return node


# A subtree as the updates see it: its hash and whether it is a leaf, or None when not
# yet looked up (a leaf moves up when its sibling empties; its hash does not depend on
# its depth).
_Sub = tuple[bytes, bool | None]
_EMPTY_SUB: _Sub = (EMPTY_ROOT, False)


def _put_leaf(store: NodeStore, path: bytes, value_hash: bytes) -> _Sub:
    h = leaf_hash(path, value_hash)
    store.put(h, bytes([_LEAF]) + path + value_hash)
    return h, True


def _join(store: NodeStore, left: _Sub, right: _Sub) -> _Sub:
    """The subtree over two children, collapsed so that only its key set decides its shape.
    A child's leaf flag may be None (not looked up): it matters only beside an empty one."""
    if right[0] == EMPTY_ROOT:
        if left[0] == EMPTY_ROOT or _leaf_flag(store, left):
            return left[0], left[0] != EMPTY_ROOT
    elif left[0] == EMPTY_ROOT and _leaf_flag(store, right):
        return right[0], True
    h = internal_hash(left[0], right[0])
    store.put(h, bytes([_INTERNAL]) + left[0] + right[0])
    return h, False


def _split(entries: list, depth: int) -> int:
    """Index of the first entry (sorted by path) whose bit at `depth` is 1."""
    lo, hi = 0, len(entries)
    while lo < hi:
        mid = (lo + hi) // 2
        if _bit(entries[mid][0], depth):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _build(store: NodeStore, depth: int, entries: list[tuple[bytes, bytes]]) -> _Sub:
    """The subtree at `depth` of live (path, value hash) entries, sorted by path."""
    if not entries:
        return _EMPTY_SUB
    if len(entries) == 1:
        return _put_leaf(store, entries[0][0], entries[0][1])
    assert depth < PATH_BITS, "two entries with one path"
    cut = _split(entries, depth)
    return _join(store, _build(store, depth + 1, entries[:cut]),
                 _build(store, depth + 1, entries[cut:]))


def _update(store: NodeStore, sub: _Sub, depth: int,
            changes: list[tuple[bytes, bytes | None]]) -> _Sub:
    """`sub` at `depth` with the (path, value hash or None) changes under it applied."""
    if not changes:
        return sub
    if sub[0] == EMPTY_ROOT:
        return _build(store, depth, [(p, v) for p, v in changes if v is not None])
    node = _load(store, sub[0])
    if node[0] == _LEAF:
        path, value_hash = node[1:33], node[33:]
        entries = [(p, v) for p, v in changes if v is not None]
        if all(p != path for p, _ in changes):
            entries.append((path, value_hash))
            entries.sort()
        return _build(store, depth, entries)
    cut = _split(changes, depth)
    left = _update(store, (node[1:33], None), depth + 1, changes[:cut])
    right = _update(store, (node[33:], None), depth + 1, changes[cut:])
    return _join(store, left, right)


def _leaf_flag(store: NodeStore, sub: _Sub) -> bool:
    if sub[1] is not None:
        return sub[1]
    return sub[0] != EMPTY_ROOT and _load(store, sub[0])[0] == _LEAF


def apply(store: NodeStore, root: bytes,
          changes: list[tuple[bytes, bytes | None]]) -> bytes:
    """The root after writing a batch of (key, value) changes into the tree at `root`
    (value None deletes the key; deleting an absent key changes nothing). The result does
    not depend on the order of the batch; a key may appear in it once. The tree at `root`
    stays readable."""
    by_path: dict[bytes, bytes | None] = {}
    for key, value in changes:
        path = key_path(key)
        if path in by_path:
            raise ValueError(f"key {key!r} appears twice in one batch")
        by_path[path] = None if value is None else sha256(value)
    ordered = sorted(by_path.items())
    return _update(store, (root, None), 0, ordered)[0]


def build(store: NodeStore, items: list[tuple[bytes, bytes]]) -> bytes:
    """The root of a tree holding exactly `items` (key, value), built from nothing."""
    return apply(store, EMPTY_ROOT, list(items))


def prove(store: NodeStore, root: bytes, key: bytes) -> Proof:
    """A proof of `key`'s presence (with its value's hash) or absence under `root`."""
    path = key_path(key)
    siblings: list[bytes] = []
    node_hash = root
    while node_hash != EMPTY_ROOT:
        node = _load(store, node_hash)
        if node[0] == _LEAF:
            return Proof(tuple(siblings), ProofLeaf(node[1:33], node[33:]))
        assert len(siblings) < PATH_BITS, "state tree deeper than a path"
        left, right = node[1:33], node[33:]
        if _bit(path, len(siblings)):
            siblings.append(left)
            node_hash = right
        else:
            siblings.append(right)
            node_hash = left
    return Proof(tuple(siblings), None)


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
