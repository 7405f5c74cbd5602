"""The state tree: one root per key set, proofs of presence and absence, tampering refused."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.codec import decode, encode, sha256
from contracts.state_tree import (
    EMPTY_ROOT,
    MemoryNodeStore,
    MissingNode,
    Proof,
    ProofLeaf,
    TreeOverlay,
    apply,
    build,
    key_path,
    prove,
    root_of,
    verify,
)

KEYS = st.binary(min_size=1, max_size=3)  # a small key space, so batches collide often
VALUES = st.binary(min_size=0, max_size=8)
CHANGE = st.tuples(KEYS, st.one_of(st.none(), VALUES))
BATCH = st.lists(CHANGE, max_size=12, unique_by=lambda c: c[0])
BATCHES = st.lists(BATCH, min_size=1, max_size=6)


def _run(batches: list[list[tuple[bytes, bytes | None]]],
         probes: Iterable[bytes] = ()):
    """Apply the batches in turn; the store, each root and each state after it. After
    each batch, every key of the state and of `probes` is proven against the new root."""
    store = MemoryNodeStore()
    root = EMPTY_ROOT
    state: dict[bytes, bytes] = {}
    history = []
    for batch in batches:
        root = apply(store, root, batch)
        for key, value in batch:
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        history.append((root, dict(state)))
        for key in sorted(set(state) | set(probes)):
            _check_proof(store, root, key, state.get(key))
    return store, history


def _check_proof(store: MemoryNodeStore, root: bytes, key: bytes, value: bytes | None) -> None:
    proof = prove(store, root, key)
    assert verify(root, key, value, proof)
    assert decode(Proof, encode(proof)) == proof
    if value is None:
        assert not verify(root, key, b"anything", proof)
    else:
        assert not verify(root, key, None, proof)
        assert not verify(root, key, value + b"x", proof)


def test_empty_tree_root_is_the_constant() -> None:
    store = MemoryNodeStore()
    assert build(store, []) == EMPTY_ROOT == bytes(32)
    assert apply(store, EMPTY_ROOT, [(b"k", None)]) == EMPTY_ROOT
    root = apply(store, EMPTY_ROOT, [(b"k", b"v")])
    assert apply(store, root, [(b"k", None)]) == EMPTY_ROOT


def test_single_key_root_is_its_leaf_hash() -> None:
    root = build(MemoryNodeStore(), [(b"k", b"v")])
    assert root == sha256(b"claimledger/state/leaf\x00" + sha256(b"k") + sha256(b"v"))


def test_two_keys_root_follows_the_documented_hashing() -> None:
    # Two keys whose paths differ in the first bit hang directly under the root.
    keys = [bytes([i]) for i in range(256)]
    a = next(k for k in keys if key_path(k)[0] < 0x80)
    b = next(k for k in keys if key_path(k)[0] >= 0x80)
    leaf_a = sha256(b"claimledger/state/leaf\x00" + key_path(a) + sha256(b"1"))
    leaf_b = sha256(b"claimledger/state/leaf\x00" + key_path(b) + sha256(b"2"))
    root = build(MemoryNodeStore(), [(b, b"2"), (a, b"1")])
    assert root == sha256(b"claimledger/state/node\x00" + leaf_a + leaf_b)


def test_a_key_twice_in_one_batch_is_refused() -> None:
    try:
        apply(MemoryNodeStore(), EMPTY_ROOT, [(b"k", b"1"), (b"k", b"2")])
    except ValueError:
        return
    raise AssertionError("a duplicated key was accepted")


@settings(max_examples=150, deadline=None)
@given(BATCHES, st.randoms(use_true_random=False))
def test_root_equals_a_fresh_build_whatever_the_order(batches, rnd: random.Random) -> None:
    _, history = _run(batches)
    for root, state in history:
        items = list(state.items())
        rnd.shuffle(items)
        assert build(MemoryNodeStore(), items) == root
    # The same batches, each shuffled, reach the same roots.
    shuffled = [rnd.sample(batch, len(batch)) for batch in batches]
    _, again = _run(shuffled)
    assert [r for r, _ in again] == [r for r, _ in history]


@settings(max_examples=100, deadline=None)
@given(BATCHES, st.lists(KEYS, max_size=6))
def test_proofs_hold_across_inserts_updates_and_deletes(batches, probes) -> None:
    store, history = _run(batches, probes)
    # The store keeps the current tree only: an older root is refused, not misread.
    if len({root for root, _ in history}) > 1:
        old = next(root for root, _ in history if root != history[-1][0])
        with pytest.raises(MissingNode):
            prove(store, old, b"k")


@settings(max_examples=150, deadline=None)
@given(BATCHES)
def test_the_stored_tree_is_exactly_a_fresh_build(batches) -> None:
    """Nodes moved or emptied by a batch are deleted: after any batches the store holds
    the same nodes, position for position, as a tree built at once from the state."""
    store, history = _run(batches)
    fresh = MemoryNodeStore()
    build(fresh, history[-1][1].items())
    assert store.nodes == fresh.nodes


def _flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(changed)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=2, max_size=40), KEYS, st.data())
def test_tampered_proofs_are_refused(state, probe, data) -> None:
    store = MemoryNodeStore()
    root = build(store, list(state.items()))
    key = data.draw(st.sampled_from(sorted(state)))
    for k in (key, probe):
        value = state.get(k)
        proof = prove(store, root, k)
        assert verify(root, k, value, proof)
        if proof.siblings:
            # A flipped bit in any sibling.
            i = data.draw(st.integers(0, len(proof.siblings) - 1))
            bit = data.draw(st.integers(0, 255))
            siblings = list(proof.siblings)
            siblings[i] = _flip(siblings[i], bit)
            assert not verify(root, k, value, Proof(tuple(siblings), proof.leaf))
            # A truncated proof: the last sibling dropped, or the first.
            assert not verify(root, k, value, Proof(proof.siblings[:-1], proof.leaf))
            assert not verify(root, k, value, Proof(proof.siblings[1:], proof.leaf))
        # An extra sibling.
        assert not verify(root, k, value, Proof((*proof.siblings, bytes(32)), proof.leaf))
        # A different leaf, or none.
        if proof.leaf is not None:
            bent = ProofLeaf(proof.leaf.path, _flip(proof.leaf.value_hash, 3))
            assert not verify(root, k, value, Proof(proof.siblings, bent))
            assert not verify(root, k, value, Proof(proof.siblings, None))
        # Another root.
        assert not verify(_flip(root, 0), k, value, proof)
        assert not verify(EMPTY_ROOT, k, value, proof)
    # A proof of one key does not prove another key with the first key's value.
    other = data.draw(st.sampled_from(sorted(state)))
    if other != key:
        assert not verify(root, other, state[key], prove(store, root, key))
        assert not verify(root, other, state[other], prove(store, root, key))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=30), st.data())
def test_an_old_proof_fails_against_a_root_that_changed_its_key(state, data) -> None:
    store = MemoryNodeStore()
    root = build(store, list(state.items()))
    key = data.draw(st.sampled_from(sorted(state)))
    proof = prove(store, root, key)
    # Two batches over the same stored tree, each in its own overlay (two proposals of
    # one height): neither sees the other, and the store is untouched.
    one, two = TreeOverlay(store), TreeOverlay(store)
    updated = apply(one, root, [(key, state[key] + b"!")])
    deleted = apply(two, root, [(key, None)])
    assert not verify(updated, key, state[key], proof)
    assert not verify(deleted, key, state[key], proof)
    assert verify(updated, key, state[key] + b"!", prove(one, updated, key))
    assert verify(deleted, key, None, prove(two, deleted, key))
    assert verify(root, key, state[key], proof)
    assert prove(store, root, key) == proof
    # Committing an overlay's changes gives the store the overlay's tree.
    store.apply(one.changes())
    assert root_of(store) == updated


def test_proof_depth_grows_as_log_of_size() -> None:
    store = MemoryNodeStore()
    root = build(store, [(i.to_bytes(4, "big"), b"v") for i in range(4096)])
    depths = [len(prove(store, root, i.to_bytes(4, "big")).siblings) for i in range(0, 4096, 97)]
    assert max(depths) <= 30  # ~12 expected; 256 would mean the compression is lost
    assert sum(depths) / len(depths) < 16


def test_an_absence_proof_naming_a_leaf_off_the_key_path_is_refused() -> None:
    # A leaf may prove a key absent only if it stands where the key's path leads: here
    # the root (not one an honest tree builds) holds a right-going leaf on the left.
    keys = [bytes([i]) for i in range(256)]
    left_key = next(k for k in keys if key_path(k)[0] < 0x80)
    right_key = next(k for k in keys if key_path(k)[0] >= 0x80)
    stray = ProofLeaf(key_path(right_key), sha256(b"v"))
    forged_root = sha256(b"claimledger/state/node\x00"
                         + sha256(b"claimledger/state/leaf\x00" + stray.path + stray.value_hash)
                         + EMPTY_ROOT)
    assert not verify(forged_root, left_key, None, Proof((EMPTY_ROOT,), stray))
