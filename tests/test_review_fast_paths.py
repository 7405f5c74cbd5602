"""Review of the fast paths: what each shortcut must still give, checked against the plain
way it replaced.

- `replace_with` writes the totals net of the consumed and the created parts: the state
  it leaves is the state the per-part accounting (end the voucher, then bring each part
  live) leaves, for every shape of parts a transfer, split, pledge enforcement,
  acquisition, redemption or set-off remainder makes, on a voucher in any standing.
- `_end` deletes only the index keys its voucher has: a live voucher has its due-date key
  iff it is not overdue, its overdue key iff it is, its extended key iff it was extended.
- Overlays keep decoded records: a record read back is always what its bytes decode to,
  even when one key is read as two record types, after a child overlay commits or is
  dropped, and after deletes.
- The mempool's own set: what this node's clients submitted, and nothing else.

Two tests protect fixes of defects the review found: a cached record is never served
after a store fault, and a client may rest a transaction on one a peer gossiped first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant

from consensus.certificate import make_certificate
from contracts import vouchers
from contracts.codec import U32, U64, Hash32, decode, encode, sha256
from contracts.errors import CodecError
from contracts.state import MemoryStore, Overlay, get_record, put_record
from contracts.tx import Transaction
from contracts.vouchers import (
    HolderTotals,
    Origin,
    Voucher,
    child_key,
    debtor_index_key,
    due_key,
    extended_key,
    holder_index_key,
    live_debtor_key,
    live_holder_key,
    overdue_key,
    part_id,
)
from node.service import Node
from node.store import Store, StoreCorrupt
from tests.nodeproc import DAY_MS, LocalNode, apply_tx, confirm_tx, local_node, tx_id
from tests.test_lifecycle_machine import LifecycleMachine

T0 = 1_800_000_000_000
HOLDERS = [bytes([i]) * 32 for i in (1, 2, 3)]
FRESH = bytes([4]) * 32  # holds nothing before the operation
DEBTOR = bytes([9]) * 32
TX = bytes([7]) * 32


# ------------------------------------------------------------------ the plain way, as it was


def per_part_replace_with(state: Overlay, voucher: Voucher, parts: list[tuple[bytes, int, str]],
                          tx_id_: bytes, time_ms: int, height: int) -> None:
    """`replace_with` as it was before the totals were written net (bdb5f1e): the voucher
    ends (every index key deleted, its totals taken off), then each part goes live."""
    for key in (live_holder_key(voucher.holder, voucher.id),
                live_debtor_key(voucher.debtor, voucher.id),
                due_key(voucher.due_ms, voucher.id), overdue_key(voucher.id),
                extended_key(voucher.id)):
        state.delete(key)
    vouchers._add_totals(state, voucher, -1)
    put_record(state, vouchers.voucher_key(voucher.id), dataclasses.replace(
        voucher, status="consumed", ended_by=tx_id_, reserved_by=None))
    for index, (holder, amount_fen, cause) in enumerate(parts):
        child = dataclasses.replace(
            voucher, id=part_id(tx_id_, voucher.id, index), parent=voucher.id, holder=holder,
            amount_fen=amount_fen, cause=cause, created_by=tx_id_, created_at_ms=time_ms,
            created_height=height, status="active", ended_by=None, pledge=None,
            reserved_by=None)
        vouchers._go_live(state, child)  # with its totals, one part at a time
        state.put(child_key(voucher.id, child.id), b"")


def live_voucher(holder: bytes, amount_fen: int, extensions_used: int,
                 overdue: bool) -> Voucher:
    voucher_id = sha256(b"review" + holder + amount_fen.to_bytes(8, "big"))
    return Voucher(
        id=voucher_id, origin=voucher_id, parent=None, application=voucher_id, debtor=DEBTOR,
        holder=holder, amount_fen=amount_fen, due_ms=T0 + 30 * DAY_MS, asset_offset=True,
        consumption_offset=False, extension_days=10, extension_max=3,
        extensions_used=extensions_used, overdue_since_ms=T0 if overdue else None,
        basis_ref="HT-1", basis_sha256=sha256(b"HT-1"), cause="issue", created_by=TX,
        created_at_ms=T0, created_height=1, status="active", ended_by=None, pledge=None,
        reserved_by=None, commitments=())


def index_keys(state: Overlay | MemoryStore) -> set[bytes]:
    return {key for prefix in (b"vq/", b"vov/", b"vex/") for key, _ in state.scan(prefix)}


def expected_index_keys(live: list[Voucher]) -> set[bytes]:
    """The due / overdue / extended keys the live vouchers must have, and no others."""
    keys = set()
    for v in live:
        keys.add(due_key(v.due_ms, v.id) if v.overdue_since_ms is None else overdue_key(v.id))
        if v.extensions_used:
            keys.add(extended_key(v.id))
    return keys


@st.composite
def replacements(draw: st.DrawFn) -> tuple[Voucher, list[tuple[bytes, int, str]], int]:
    """A live voucher in any standing and the parts an operation replaces it with: all of
    it or less (a redemption or set-off remainder), to its holder or to others."""
    amount_fen = draw(st.integers(1, 10**6))
    voucher = live_voucher(draw(st.sampled_from(HOLDERS)), amount_fen,
                           draw(st.sampled_from([0, 1, 3])), draw(st.booleans()))
    count = draw(st.integers(1, min(vouchers.MAX_PARTS, amount_fen)))
    settled_fen = draw(st.integers(0, amount_fen - count))  # taken off by reduce_origin
    cuts = sorted(draw(st.lists(st.integers(1, amount_fen - settled_fen - 1), min_size=count - 1,
                                max_size=count - 1, unique=True))) if count > 1 else []
    bounds = [0, *cuts, amount_fen - settled_fen]
    parts = [(draw(st.sampled_from([*HOLDERS, FRESH])), hi - lo,
              draw(st.sampled_from(["transfer", "split", "remainder", "setoff_remainder",
                                    "redemption_remainder", "acquisition", "enforcement"])))
             for lo, hi in pairwise(bounds)]
    other_fen = draw(st.integers(0, 10**6))  # the holders' other claims on the same debtor
    return voucher, parts, other_fen


def base_with(voucher: Voucher, other_fen: int) -> MemoryStore:
    """A committed state holding `voucher` live, its origin and debtor record, and other
    holdings of every holder (so no total starts at zero)."""
    overlay = Overlay(MemoryStore())
    vouchers.issue(overlay, voucher)
    for holder in HOLDERS:
        totals = vouchers.get_holder_totals(overlay, holder)
        put_record(overlay, vouchers.holder_totals_key(holder), HolderTotals(
            holder, totals.held_fen + other_fen, totals.live_parts + 1))
    store = MemoryStore()
    store.apply(overlay.changes())
    return store


@given(replacements())
@settings(max_examples=300, deadline=None)
def test_net_totals_leave_the_state_the_per_part_accounting_leaves(
    case: tuple[Voucher, list[tuple[bytes, int, str]], int]
) -> None:
    voucher, parts, other_fen = case
    base = base_with(voucher, other_fen)
    net, plain = Overlay(base), Overlay(base)
    created = vouchers.replace_with(net, voucher, parts, TX, T0 + 1, 2)
    per_part_replace_with(plain, voucher, parts, TX, T0 + 1, 2)

    # The same state: every key either wrote reads the same through both.
    written = dict(net.changes()) | dict(plain.changes())
    assert {key: net.get(key) for key in written} == {key: plain.get(key) for key in written}
    # What only the per-part way wrote rewrites what was there already (a total back to
    # its value, an index key the voucher never had deleted): the change set is smaller,
    # the state the same.
    only_plain = dict(plain.changes()).keys() - dict(net.changes()).keys()
    assert all(plain.get(key) == base.get(key) for key in only_plain)
    assert not dict(net.changes()).keys() - dict(plain.changes()).keys()

    # The index keys are exactly the live parts'.
    assert index_keys(net) == expected_index_keys(created)
    holders = {key[4:] for key, _ in net.scan(b"vhl/")}
    assert holders == {p.holder + p.id for p in created}
    for holder in HOLDERS:
        mine = [p.amount_fen for p in created if p.holder == holder]
        totals = vouchers.get_holder_totals(net, holder)
        assert (totals.held_fen, totals.live_parts) == (other_fen + sum(mine), 1 + len(mine))
    mine = [p.amount_fen for p in created if p.holder == FRESH]
    assert vouchers.get_holder_totals(net, FRESH) == HolderTotals(FRESH, sum(mine), len(mine))
    assert (net.get(vouchers.holder_totals_key(FRESH)) is None) == (not mine)


@given(st.sampled_from(HOLDERS), st.integers(1, 10**6), st.sampled_from([0, 2]), st.booleans())
@settings(max_examples=50, deadline=None)
def test_a_cancelled_voucher_leaves_no_index_key_and_no_total_behind(
    holder: bytes, amount_fen: int, extensions_used: int, overdue: bool
) -> None:
    voucher = live_voucher(holder, amount_fen, extensions_used, overdue)
    base = base_with(voucher, 0)
    state = Overlay(base)
    vouchers.cancel(state, voucher, TX)
    assert index_keys(state) == set()
    for key in (debtor_index_key(DEBTOR, voucher.id), holder_index_key(holder, voucher.id)):
        assert state.get(key) == b""  # the history stays
    assert not list(state.scan(b"vhl/")) and not list(state.scan(b"vdl/"))
    assert vouchers.get_holder_totals(state, holder) == HolderTotals(holder, 0, 1)
    assert vouchers.get_debtor_record(state, DEBTOR).outstanding_fen == 0
    origin = vouchers.get_origin(state, voucher.id)
    assert origin is not None and origin.live_parts == 0


class IndexedLifecycleMachine(LifecycleMachine):
    """The lifecycle machine, checking also that the due / overdue / extended index keys
    are exactly the live vouchers' after every step (extensions, overdue marking,
    transfers, splits, payments, pledges, enforcement, acquisitions, redemptions)."""

    @invariant()
    def index_keys_match_the_live_vouchers(self) -> None:
        state = self.ledger.store
        live = [decode(Voucher, raw) for _, raw in state.scan(b"v/")]
        live = [v for v in live if v.status == "active"]
        found = {key for prefix in (b"vq/", b"vov/", b"vex/") for key, _ in state.scan(prefix)}
        assert found == expected_index_keys(live)


IndexedLifecycleMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=40, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestIndexedLifecycle = IndexedLifecycleMachine.TestCase


# ------------------------------------------------------------------ records kept by overlays


@dataclass(frozen=True)
class TwinTotals:
    """The shape of HolderTotals under another name: the same bytes decode as either."""

    holder: Hash32
    held_fen: U64
    live_parts: U32


TYPES = (HolderTotals, TwinTotals, Origin)  # Origin: bytes of the others do not decode


def read(state: Overlay | MemoryStore, key: bytes, cls: type) -> object:
    """A record as the plain way reads it: decoded from the bytes, or the error code."""
    raw = state.get(key)
    if raw is None:
        return None
    try:
        return decode(cls, raw)
    except CodecError as e:
        return e.code


def cached_read(state: Overlay, key: bytes, cls: type) -> object:
    try:
        return get_record(state, key, cls)
    except CodecError as e:
        return e.code


record_keys = st.sampled_from([b"a", b"a1", b"a2", b"b", b"b\x00"])
operations = st.lists(st.tuples(
    st.sampled_from(["put_record", "put_twin", "put_raw", "delete", "read", "child",
                     "commit", "drop", "scan"]),
    record_keys, st.integers(0, 3)), max_size=60)


@given(st.dictionaries(record_keys, st.integers(0, 3), max_size=4), operations)
@settings(max_examples=300, deadline=None)
def test_a_kept_record_is_always_what_the_bytes_under_it_decode_to(
    base_values: dict[bytes, int], ops: list[tuple[str, bytes, int]]
) -> None:
    holder = bytes(32)
    base = MemoryStore({k: encode(HolderTotals(holder, n, n)) for k, n in base_values.items()})
    block = Overlay(base)
    stack = [block]  # the block's overlay, then a transaction's, then its child's ...
    for op, key, n in ops:
        top = stack[-1]
        if op == "put_record":
            put_record(top, key, HolderTotals(holder, n, n))
        elif op == "put_twin":
            put_record(top, key, TwinTotals(holder, n, n + 1))
        elif op == "put_raw":
            top.put(key, encode(HolderTotals(holder, n + 10, n)))
        elif op == "delete":
            top.delete(key)
        elif op == "child" and len(stack) < 4:
            stack.append(top.child())
        elif op == "commit" and len(stack) > 1:
            stack.pop().commit()
        elif op == "drop" and len(stack) > 1:
            stack.pop()
        elif op == "scan":
            expected = sorted((k, v) for k in {*base.items, *(w for o in stack for w in o.writes)}
                              if k.startswith(key[:1]) and (v := top.get(k)) is not None)
            assert list(top.scan(key[:1])) == expected
        # Every overlay of the stack reads every key as its bytes decode, for every type.
        for overlay in stack:
            for cls in TYPES[n % 3:] + TYPES[:n % 3]:
                assert cached_read(overlay, key, cls) == read(overlay, key, cls)
    while len(stack) > 1:
        stack.pop().commit()
    for key in {*base.items, *block.writes}:
        for cls in TYPES:
            assert cached_read(block, key, cls) == read(block, key, cls)
    assert block.changes() == sorted(block.writes.items())


def test_a_record_read_as_another_type_is_not_handed_out_as_the_first() -> None:
    overlay = Overlay(MemoryStore())
    put_record(overlay, b"k", HolderTotals(HOLDERS[0], 5, 1))
    twin = get_record(overlay, b"k", TwinTotals)
    assert type(twin) is TwinTotals and (twin.held_fen, twin.live_parts) == (5, 1)
    totals = get_record(overlay, b"k", HolderTotals)
    assert type(totals) is HolderTotals and totals == HolderTotals(HOLDERS[0], 5, 1)
    with pytest.raises(CodecError):
        get_record(overlay, b"k", Origin)


# ------------------------------------------------------------------ the store's records


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "db")
    yield opened
    opened.close()


def test_the_store_reads_one_key_as_two_record_types_each_as_its_bytes_decode(
    store: Store
) -> None:
    raw = encode(HolderTotals(HOLDERS[0], 5, 1))
    store.db.put(b"s/k", raw)  # as a committed block leaves it
    twin = store.record(b"k", TwinTotals)
    assert type(twin) is TwinTotals
    totals = store.record(b"k", HolderTotals)
    assert type(totals) is HolderTotals and totals == decode(HolderTotals, raw)
    assert store.record(b"k", HolderTotals) is totals
    with pytest.raises(CodecError):
        store.record(b"k", Origin)
    assert store.record(b"missing", HolderTotals) is None


def test_a_faulted_store_answers_no_record_from_its_cache(store: Store) -> None:
    store.db.put(b"s/k", encode(HolderTotals(HOLDERS[0], 5, 1)))
    assert store.record(b"k", HolderTotals) is not None
    store._fail(StoreCorrupt("a bad checksum somewhere"))
    with pytest.raises(StoreCorrupt):
        store.get(b"k")
    with pytest.raises(StoreCorrupt):
        store.record(b"k", HolderTotals)


# ------------------------------------------------------------------ the mempool's own set


CHAIN_ID = "claimledger-review"
DUE = T0 + 180 * DAY_MS
SEC = 1000
NOT_AWAITING = "issuance.not_awaiting_confirmation"


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalNode]:
    with local_node(tmp_path, CHAIN_ID, T0) as made:
        yield made


def check_pool(node: Node) -> None:
    pool = node.mempool
    assert pool.own <= pool.pending.keys()
    assert pool.by_raw == {c.raw: c for c in pool.pending.values()}
    assert pool.bytes == sum(len(c.raw) for c in pool.pending.values())


def commit_only(node: Node, txs: list[Transaction], now_ms: int) -> None:
    """Commit a block of just `txs` (a proposer that took only these), then tell the pool."""
    chain = node.chain
    checked = [node.mempool.checked(encode(tx)) for tx in txs]
    assert all(c is not None for c in checked)
    run = chain.execute(checked, chain.next_time_ms(now_ms))  # type: ignore[arg-type]
    block = chain.make_block(run, node.address)
    certificate = make_certificate(chain.chain_id, block.header.height, 0, block.id,
                                   {node.address: node.signer.sign_consensus})
    chain.commit(block, certificate, run)
    node.mempool.after_commit(run.included, run.failed, now_ms)


def test_own_set_follows_every_way_out_of_the_pool(local: LocalNode) -> None:
    node, members = local.node, local.members
    pool = node.mempool
    apply = apply_tx(CHAIN_ID, members, DUE)
    pool.submit(encode(apply), T0 + SEC)
    node.produce(T0 + 2 * SEC)  # taken by a block: out of `own`
    assert not pool.own and len(pool) == 0

    mine = confirm_tx(CHAIN_ID, members, tx_id(apply), nonce=1)
    theirs = confirm_tx(CHAIN_ID, members, tx_id(apply), nonce=2)  # the same confirm again
    late = confirm_tx(CHAIN_ID, members, tx_id(apply), nonce=3)
    pool.submit(encode(theirs), T0 + 3 * SEC, own=False)
    pool.submit(encode(mine), T0 + 3 * SEC)  # dry-run on the state without `theirs`: passes
    pool.submit(encode(late), T0 + 3 * SEC, own=False)
    assert pool.own == {tx_id(mine)}
    check_pool(node)

    commit_only(node, [theirs], T0 + 4 * SEC)  # `mine` now fails: the recheck drops it
    status, error = pool.status(tx_id(mine))
    assert status == "rejected" and error is not None and error.code == NOT_AWAITING
    assert not pool.own and list(pool.pending) == [tx_id(late)]  # a peer's: not rechecked
    check_pool(node)

    node.produce(T0 + 5 * SEC)  # the block refuses the peer's: dropped with its code
    status, error = pool.status(tx_id(late))
    assert status == "rejected" and error is not None and error.code == NOT_AWAITING
    assert not pool.own and len(pool) == 0 and pool.dry_running
    check_pool(node)


def test_a_transaction_gossiped_first_is_pending_when_a_client_sends_it_too(
    local: LocalNode,
) -> None:
    node, members = local.node, local.members
    pool = node.mempool
    apply = apply_tx(CHAIN_ID, members, DUE)
    pool.submit(encode(apply), T0 + SEC, own=False)
    checked, new = pool.submit(encode(apply), T0 + SEC)  # the client sends it here too
    assert not new and checked.id == tx_id(apply)
    assert pool.status(tx_id(apply)) == ("pending", None)
    node.produce(T0 + 2 * SEC)
    assert pool.status(tx_id(apply)) == ("unknown", None)  # committed: GET /v1/txs says so
    assert node.store.tx_record(tx_id(apply)) is not None
    check_pool(node)


def test_a_client_may_rest_a_transaction_on_one_it_sent_here_after_a_peer_did(
    local: LocalNode
) -> None:
    node, members = local.node, local.members
    pool = node.mempool
    apply = apply_tx(CHAIN_ID, members, DUE)
    pool.submit(encode(apply), T0 + SEC, own=False)  # the client's first try went elsewhere
    pool.submit(encode(apply), T0 + SEC)  # its retry comes here: "pending"
    confirm = confirm_tx(CHAIN_ID, members, tx_id(apply))
    pool.submit(encode(confirm), T0 + SEC)  # rests on `apply`: refused by the dry-run
    head = node.produce(T0 + 2 * SEC)
    block = node.store.block(head.height)
    assert block is not None and block.txs == (encode(apply), encode(confirm))
