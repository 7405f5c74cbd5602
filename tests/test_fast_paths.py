"""The shortcuts taken for throughput give exactly what the plain paths give: records
decoded once per overlay and per store, the generated codec, the fast `replace`, the
state root's change set written directly, and the mempool's bounded recheck under load
(the block decides what the mempool no longer dry-runs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.codec import decode, encode, replace
from contracts.errors import CodecError, LedgerError
from contracts.issuance import Application, application_key
from contracts.state import (
    MemoryStore,
    Overlay,
    get_record,
    put_record,
)
from contracts.vouchers import HolderTotals, Voucher
from node import mempool as mempool_module
from tests.nodeproc import (
    DAY_MS,
    LocalNode,
    apply_tx,
    confirm_tx,
    local_node,
    tx_id,
)

CHAIN_ID = "claimledger-fast-paths"
T0 = 1_800_000_000_000
SEC = 1000
DUE = T0 + 180 * DAY_MS
A = bytes(range(32))
B = bytes(range(1, 33))


# ------------------------------------------------------------------ records in overlays


def test_a_record_put_is_read_back_as_the_same_object_and_its_bytes_are_canonical() -> None:
    overlay = Overlay(MemoryStore())
    totals = HolderTotals(A, 500, 2)
    put_record(overlay, b"k", totals)
    assert get_record(overlay, b"k", HolderTotals) is totals
    assert overlay.get(b"k") == encode(totals)
    assert overlay.changes() == [(b"k", encode(totals))]


def test_a_record_is_decoded_once_then_shared_and_raw_writes_replace_it() -> None:
    base = MemoryStore({b"k": encode(HolderTotals(A, 1, 1))})
    overlay = Overlay(base)
    child = overlay.child()
    put_record(child, b"k", HolderTotals(A, 7, 1))
    child.commit()
    first = get_record(overlay, b"k", HolderTotals)
    assert first == HolderTotals(A, 7, 1)
    assert get_record(overlay, b"k", HolderTotals) is first
    overlay.put(b"k", encode(HolderTotals(A, 9, 3)))  # bytes written: the old record goes
    assert get_record(overlay, b"k", HolderTotals) == HolderTotals(A, 9, 3)
    overlay.delete(b"k")
    assert get_record(overlay, b"k", HolderTotals) is None
    assert get_record(base, b"k", HolderTotals) == HolderTotals(A, 1, 1)  # untouched


def test_a_child_overlay_that_is_not_committed_leaves_its_parent_as_it_was() -> None:
    overlay = Overlay(MemoryStore())
    put_record(overlay, b"k", HolderTotals(A, 1, 1))
    child = overlay.child()
    put_record(child, b"k", HolderTotals(A, 2, 2))
    assert get_record(child, b"k", HolderTotals) == HolderTotals(A, 2, 2)
    assert get_record(overlay, b"k", HolderTotals) == HolderTotals(A, 1, 1)


def test_a_record_out_of_range_fails_when_it_is_written_not_at_the_end_of_the_block() -> None:
    overlay = Overlay(MemoryStore())
    with pytest.raises(CodecError) as e:
        put_record(overlay, b"k", HolderTotals(A, 2**64, 1))
    assert e.value.code == "codec.range"
    assert overlay.changes() == []


# ------------------------------------------------------------------ the codec


values = st.builds(
    HolderTotals, st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1),
    st.integers(0, 2**32 - 1))


@given(values, st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1))
def test_fast_replace_gives_what_dataclasses_replace_gives(
    totals: HolderTotals, held: int, parts: int
) -> None:
    fast = replace(totals, held_fen=held, live_parts=parts)
    plain = dataclasses.replace(totals, held_fen=held, live_parts=parts)
    assert fast == plain and hash(fast) == hash(plain) and type(fast) is HolderTotals
    assert encode(fast) == encode(plain)
    assert totals == HolderTotals(totals.holder, totals.held_fen, totals.live_parts)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.held_fen = 1  # type: ignore[misc]


def test_fast_replace_refuses_a_field_the_record_does_not_have() -> None:
    with pytest.raises(TypeError):
        replace(HolderTotals(A, 1, 1), amount_fen=3)


@given(values)
def test_decoded_records_equal_constructed_ones(totals: HolderTotals) -> None:
    decoded = decode(HolderTotals, encode(totals))
    assert decoded == totals and hash(decoded) == hash(totals)
    assert dataclasses.asdict(decoded) == dataclasses.asdict(totals)


def test_codec_errors_still_name_the_field_they_are_about() -> None:
    with pytest.raises(CodecError) as e:
        decode(HolderTotals, msgpack.packb([A[:31], 1, 1]))
    assert e.value.code == "codec.size" and "HolderTotals.holder:" in str(e.value)
    with pytest.raises(CodecError) as e:
        decode(Voucher, msgpack.packb([1]))
    assert e.value.code == "codec.field_count" and "Voucher has 25 fields, got 1" in str(e.value)


# ------------------------------------------------------------------ a node


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalNode]:
    with local_node(tmp_path, CHAIN_ID, T0) as made:
        yield made



def test_the_store_forgets_a_decoded_record_when_a_block_changes_it(local: LocalNode) -> None:
    node, members = local.node, local.members
    apply = apply_tx(CHAIN_ID, members, DUE)
    node.mempool.submit(encode(apply), T0 + SEC)
    node.produce(T0 + SEC)
    key = application_key(tx_id(apply))
    cached = node.store.record(key, Application)
    assert cached is not None and cached.status == "applied"
    assert node.store.record(key, Application) is cached  # decoded once
    node.mempool.submit(encode(confirm_tx(CHAIN_ID, members, tx_id(apply))), T0 + 2 * SEC)
    node.produce(T0 + 2 * SEC)
    fresh = node.store.record(key, Application)
    assert fresh is not None and fresh.status == "confirmed"
    assert fresh == decode(Application, node.store.get(key) or b"")


def test_under_load_the_mempool_admits_without_dry_run_and_the_block_decides(
    local: LocalNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    node, members = local.node, local.members
    monkeypatch.setattr(mempool_module, "RECHECK_MAX_TXS", 2)
    pool = node.mempool
    applies = [apply_tx(CHAIN_ID, members, DUE, basis=f"HT-{i}") for i in range(4)]
    for tx in applies:
        pool.submit(encode(tx), T0 + SEC)
    assert pool.dry_running
    pool.after_commit([], [], T0 + SEC)  # a block that took none of them: 4 > 2 remain
    assert not pool.dry_running

    # A confirm by a member who is not the debtor: admitted (no dry-run under load)...
    not_debtor = confirm_tx(CHAIN_ID, members, tx_id(applies[0]), signer="supplier")
    pool.submit(encode(not_debtor), T0 + SEC)
    assert pool.status(tx_id(not_debtor)) == ("pending", None)
    # ...and a confirm resting on a pending apply is admitted too, and commits after it.
    confirm = confirm_tx(CHAIN_ID, members, tx_id(applies[1]))
    pool.submit(encode(confirm), T0 + SEC)

    head = node.produce(T0 + 2 * SEC)
    block = node.store.block(head.height)
    assert block is not None
    assert block.txs == (*(encode(t) for t in applies), encode(confirm))
    status, error = pool.status(tx_id(not_debtor))
    assert status == "rejected" and error is not None and error.code == "issuance.not_debtor"
    assert len(pool) == 0 and pool.dry_running  # few enough remain: dry-runs resume

    with pytest.raises(LedgerError) as e:  # refused at once again
        pool.submit(encode(confirm_tx(CHAIN_ID, members, tx_id(applies[2]),
                                      signer="supplier")), T0 + 3 * SEC)
    assert e.value.code == "issuance.not_debtor"


def test_a_gossiped_transaction_is_not_dry_run_here_and_the_block_decides(local: LocalNode) -> None:
    node, members = local.node, local.members
    pool = node.mempool
    apply = apply_tx(CHAIN_ID, members, DUE)
    pool.submit(encode(apply), T0 + SEC)  # a client's: dry-run
    not_debtor = confirm_tx(CHAIN_ID, members, tx_id(apply), signer="supplier")
    with pytest.raises(LedgerError):  # from a client: refused at once
        pool.submit(encode(not_debtor), T0 + SEC)
    _, new = pool.submit(encode(not_debtor), T0 + SEC, own=False)  # from a peer: held
    assert new and pool.status(tx_id(not_debtor)) == ("pending", None)
    assert pool.own == {tx_id(apply)}

    head = node.produce(T0 + 2 * SEC)
    block = node.store.block(head.height)
    assert block is not None and block.txs == (encode(apply),)
    status, error = pool.status(tx_id(not_debtor))
    assert status == "rejected" and error is not None and error.code == "issuance.not_debtor"
    assert len(pool) == 0 and not pool.own


keys = st.binary(min_size=1, max_size=3, )
operations = st.lists(st.tuples(st.sampled_from(["put", "delete", "child_put", "scan"]), keys,
                                st.binary(max_size=4)), max_size=60)


@given(st.dictionaries(keys, st.binary(max_size=4), max_size=20), operations)
@settings(max_examples=300)
def test_an_overlay_scans_and_lists_changes_as_a_plain_dictionary_would(
    base: dict[bytes, bytes], ops: list[tuple[str, bytes, bytes]]
) -> None:
    overlay = Overlay(MemoryStore(base))
    model = dict(base)
    written: dict[bytes, bytes | None] = {}
    for op, key, value in ops:
        if op == "put":
            overlay.put(key, value)
            model[key], written[key] = value, value
        elif op == "delete":
            overlay.delete(key)
            model.pop(key, None)
            written[key] = None
        elif op == "child_put":
            child = overlay.child()
            child.put(key, value)
            child.delete(key + b"\x00")
            child.commit()
            model[key], written[key] = value, value
            model.pop(key + b"\x00", None)
            written[key + b"\x00"] = None
        prefix, start = key[:1], key
        # Its own writes, before a scan sorts its keys (after a new key) and after.
        own = sorted((k, v) for k, v in written.items() if k.startswith(prefix) and k >= start)
        assert overlay.written(prefix, start) == own
        expected = sorted((k, v) for k, v in model.items() if k.startswith(prefix))
        assert list(overlay.scan(prefix)) == expected
        assert list(overlay.scan(prefix, start)) == [kv for kv in expected if kv[0] >= start]
        assert overlay.written(prefix, start) == own
    assert overlay.changes() == sorted(written.items())


def test_a_full_mempool_refuses_before_decoding_and_a_repeat_is_not_checked_again(
    local: LocalNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    node, members = local.node, local.members
    pool = node.mempool
    checks: list[bytes] = []
    real_check = mempool_module.check_transaction

    def counting(registry, chain_id, raw, height, **decoded):  # type: ignore[no-untyped-def]
        checks.append(raw)
        return real_check(registry, chain_id, raw, height, **decoded)

    monkeypatch.setattr(mempool_module, "check_transaction", counting)
    monkeypatch.setattr(pool, "max_txs", 2)
    first, second, third = (encode(apply_tx(CHAIN_ID, members, DUE, basis=f"HT-{i}"))
                            for i in range(3))
    pool.submit(first, T0 + SEC)
    pool.submit(second, T0 + SEC)
    assert len(checks) == 2
    _, new = pool.submit(first, T0 + SEC)  # the same bytes: pending, not checked again
    assert not new and len(checks) == 2
    with pytest.raises(LedgerError) as e:
        pool.submit(third, T0 + SEC)
    assert e.value.code == "mempool.full" and len(checks) == 2  # refused unverified
    with pytest.raises(LedgerError) as e:
        pool.submit(b"\x00not a transaction", T0 + SEC)
    assert e.value.code == "mempool.full"
