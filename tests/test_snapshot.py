"""A state snapshot in chunks: every chunk and manifest is checked against the state root
of a certified header, and a restored state has exactly that root."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import commitment, state_tree
from contracts.codec import decode, encode
from contracts.snapshot import (
    ChunkRef,
    Manifest,
    SnapshotError,
    check_chunk,
    check_manifest,
    chunks_of,
    depth_for,
    make_manifest,
)

CHAIN = "test-chain"
HEIGHT = 7

# Committed keys only (the derived voucher index spaces are not in a snapshot).
keys = st.binary(min_size=1, max_size=12).map(lambda b: b"zz/" + b)
states = st.dictionaries(keys, st.binary(max_size=16), max_size=60)


def snapshot_of(state: dict[bytes, bytes], depth: int
                ) -> tuple[bytes, Manifest, list[list[tuple[bytes, bytes]]]]:
    root = commitment.root_of(state.items())
    chunks = chunks_of(list(state.items()), depth)
    return root, make_manifest(CHAIN, HEIGHT, root, depth, chunks), chunks


@settings(max_examples=150, deadline=None)
@given(states, st.integers(0, 5))
def test_a_snapshot_of_any_state_restores_its_exact_root(state, depth):
    root, manifest, chunks = snapshot_of(state, depth)
    check_manifest(decode(Manifest, encode(manifest)), CHAIN, HEIGHT, root)
    restored = []
    built = state_tree.MemoryTree()
    builder = state_tree.ChunkBuilder(built, depth)
    for j, chunk in enumerate(chunks):
        check_chunk(manifest, j, chunk)
        check_chunk(manifest, j, chunk, builder)
        restored += chunk
    assert sorted(restored) == sorted(state.items())
    whole = state_tree.MemoryTree()
    assert state_tree.build(whole, restored) == root
    # Built chunk by chunk, the tree stores the very nodes execution would have stored.
    assert builder.finish() == root
    assert built.nodes == whole.nodes


@settings(max_examples=150, deadline=None)
@given(states.filter(lambda s: len(s) >= 1), st.integers(0, 4), st.data())
def test_any_tampered_item_is_refused(state, depth, data):
    _, manifest, chunks = snapshot_of(state, depth)
    j = data.draw(st.sampled_from([i for i, c in enumerate(chunks) if c]))
    chunk = list(chunks[j])
    i = data.draw(st.integers(0, len(chunk) - 1))
    key, value = chunk[i]
    how = data.draw(st.sampled_from(["value", "key", "drop", "add", "swap", "repeat"]))
    if how == "value":
        chunk[i] = (key, value + b"!")
    elif how == "key":
        chunk[i] = (key + b"!", value)
    elif how == "drop":
        del chunk[i]
    elif how == "add":
        extra = data.draw(keys.filter(lambda k: k not in state))
        chunk.insert(i, (extra, b""))
    elif how == "swap":
        if len(chunk) < 2:
            chunk.append(chunk[0])
        else:
            chunk[0], chunk[-1] = chunk[-1], chunk[0]
    else:
        chunk.insert(i, chunk[i])
    with pytest.raises(SnapshotError) as refused:
        check_chunk(manifest, j, chunk)
    assert refused.value.code == "snapshot.bad_chunk"


@settings(max_examples=150, deadline=None)
@given(states, st.integers(0, 4), st.data())
def test_any_tampered_manifest_is_refused(state, depth, data):
    root, manifest, true_chunks = snapshot_of(state, depth)
    j = data.draw(st.integers(0, len(manifest.chunks) - 1))
    ref = manifest.chunks[j]
    how = data.draw(st.sampled_from(["hash", "kind", "count", "root", "height", "depth",
                                     "swap"]))
    chunks = list(manifest.chunks)
    fields = {}
    if how == "hash":
        chunks[j] = ChunkRef(bytes(31) + b"\x01", ref.kind, ref.count)
    elif how == "kind":
        chunks[j] = ChunkRef(ref.hash, (ref.kind + 1) % 3, ref.count)
    elif how == "count":
        chunks[j] = ChunkRef(ref.hash, ref.kind, ref.count + 1)
    elif how == "root":
        fields["state_root"] = bytes(32) if root != bytes(32) else b"\x01" * 32
    elif how == "height":
        fields["height"] = HEIGHT + 1
    elif how == "depth":
        fields["depth"] = depth + 1
    else:
        if len(set(chunks)) < 2:
            chunks[j] = ChunkRef(bytes(31) + b"\x02", 2, 2)
        else:
            k = next(i for i, c in enumerate(chunks) if c != chunks[j])
            chunks[j], chunks[k] = chunks[k], chunks[j]
    tampered = Manifest(**{"chain_id": CHAIN, "height": HEIGHT, "state_root": root,
                           "depth": depth, "chunks": tuple(chunks), **fields})
    # Refused by the manifest check, or else (a count: the root does not commit to it)
    # by the check of the true chunk it misdescribes: the snapshot never restores.
    with pytest.raises(SnapshotError):
        check_manifest(tampered, CHAIN, HEIGHT, root)
        for index, chunk in enumerate(true_chunks):
            check_chunk(tampered, index, chunk)


def test_a_chunk_is_checked_against_its_own_line_of_the_manifest():
    state = {b"zz/" + bytes([i]): bytes([i]) for i in range(40)}
    root, manifest, chunks = snapshot_of(state, 2)
    check_manifest(manifest, CHAIN, HEIGHT, root)
    with pytest.raises(SnapshotError) as refused:
        check_chunk(manifest, 1, chunks[0])
    assert refused.value.code == "snapshot.bad_chunk"


def test_derived_index_keys_are_not_part_of_a_snapshot():
    derived = commitment.DERIVED_SPACES[0] + b"x"
    state = {b"zz/a": b"1", derived: b""}
    _, manifest, chunks = snapshot_of(state, 0)
    assert chunks == [[(b"zz/a", b"1")]]
    with pytest.raises(SnapshotError):
        check_chunk(manifest, 0, [(b"zz/a", b"1"), (derived, b"")])


def test_the_server_cuts_chunks_of_at_most_4000_items():
    assert depth_for(0) == 0 and depth_for(4_000) == 0 and depth_for(4_001) == 1
    assert 2_000 < 1_000_000 / (1 << depth_for(1_000_000)) <= 4_000
    assert depth_for(10**12) == 16
