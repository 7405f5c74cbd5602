"""The chain in process: blocks link and commit to their transactions and state, carry a
certificate only validators can sign, replay to the same state on a fresh node, survive
reopening the store; the mempool dry-runs against pending state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from consensus.certificate import Precommit, make_certificate
from contracts.codec import encode, sha256
from contracts.commitment import root_of
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.issuance import Confirm, get_application
from contracts.state_tree import prove, verify
from contracts.tx import Transaction
from contracts.vouchers import get_voucher, issued_voucher_id
from node import chain as chain_module
from node.blocks import ZERO_HASH, Block, Head, tx_root
from node.chain import Chain, InvalidBlock
from node.config import NetworkConfig, parse_network
from node.service import Node
from node.store import Store, StoreError
from tests.nodeproc import (
    DAY_MS,
    MEMBER_ROLES,
    apply_tx,
    approve_tx,
    build_tx,
    confirm_tx,
    network_toml,
    tx_id,
)

CHAIN_ID = "claimledger-chain-test"
T0 = 1_800_000_000_000  # genesis time; every block time below is T0 + n seconds
SEC = 1000
DUE = T0 + 180 * DAY_MS


@dataclass
class Net:
    config: NetworkConfig
    validator: KeyPair
    follower: KeyPair  # an observer: a second node with the same genesis
    members: dict[str, KeyPair]
    root: Path


@pytest.fixture
def net(tmp_path: Path) -> Net:
    validator, follower = KeyPair.generate(), KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    text = network_toml(CHAIN_ID, validator, members, port=1, genesis_ms=T0,
                        observers={"follower": follower})
    return Net(parse_network(text), validator, follower, members, tmp_path)


def open_node(net: Net, name: str, key: KeyPair | None = None) -> Node:
    return Node(net.config, net.root / name, key or net.validator)


@pytest.fixture
def producer(net: Net) -> Iterator[Node]:
    node = open_node(net, "producer")
    yield node
    node.close()


@pytest.fixture
def follower(net: Net) -> Iterator[Node]:
    node = open_node(net, "follower", net.follower)
    yield node
    node.close()


def submit(node: Node, tx: Transaction, at_ms: int) -> None:
    _, new = node.mempool.submit(encode(tx), at_ms)
    assert new


def issue_in_three_blocks(net: Net, node: Node) -> bytes:
    """apply, confirm, approve in blocks 1-3 and an empty block 4; the application id."""
    apply = apply_tx(CHAIN_ID, net.members, DUE)
    submit(node, apply, T0 + 1 * SEC)
    node.produce(T0 + 1 * SEC)
    submit(node, confirm_tx(CHAIN_ID, net.members, tx_id(apply)), T0 + 2 * SEC)
    node.produce(T0 + 2 * SEC)
    submit(node, approve_tx(CHAIN_ID, net.members, tx_id(apply)), T0 + 3 * SEC)
    node.produce(T0 + 3 * SEC)
    node.produce(T0 + 4 * SEC)
    assert node.chain.head.height == 4
    return tx_id(apply)


def blocks(node: Node) -> list[Block]:
    out = [node.store.block(h) for h in range(node.chain.head.height + 1)]
    assert all(b is not None for b in out)
    return out  # type: ignore[return-value]


# ------------------------------------------------------------------ blocks and headers


def test_blocks_link_by_prev_hash_and_commit_to_their_txs_and_state(
    net: Net, producer: Node
) -> None:
    heads: list[Head] = [producer.chain.head]
    apply = apply_tx(CHAIN_ID, net.members, DUE)
    submit(producer, apply, T0 + SEC)
    heads.append(producer.produce(T0 + SEC))
    submit(producer, confirm_tx(CHAIN_ID, net.members, tx_id(apply)), T0 + 2 * SEC)
    heads.append(producer.produce(T0 + 2 * SEC))
    heads.append(producer.produce(T0 + 3 * SEC))  # empty

    chain = blocks(producer)
    assert chain[0].header.prev_hash == ZERO_HASH
    assert [b.header.tx_count for b in chain] == [0, 1, 1, 0]
    for height, (block, head) in enumerate(zip(chain, heads, strict=True)):
        assert block.header.height == height
        assert block.header.chain_id == CHAIN_ID
        assert block.id == head.block_id
        assert block.header.state_root == head.state_root
        assert block.header.tx_root == tx_root(block.txs)
        assert block.header.tx_count == len(block.txs)
        if height:
            assert block.header.prev_hash == chain[height - 1].id
            assert block.header.time_ms > chain[height - 1].header.time_ms
            assert block.header.proposer == net.validator.address
    assert chain[1].txs == (encode(apply),)
    # A block with transactions changes the state root; every root is distinct because
    # the root is the state tree's over the state after it: a block with transactions
    # changes it, an empty block (nothing due, no events) leaves it as it was.
    roots = [h.state_root for h in heads]
    assert len(set(roots[:3])) == 3 and roots[3] == roots[2]
    assert roots[3] == root_of(producer.store.scan(b""))
    for key in (b"ms/" + net.members["supplier"].address, b"v/" + bytes(32)):
        value = producer.store.get(key)
        assert verify(roots[3], key, value, prove(producer.store.tree, roots[3], key))
    record = producer.store.tx_record(tx_id(apply))
    assert record is not None and (record.height, record.index) == (1, 0)


def test_each_block_has_a_certificate_that_only_the_validators_can_make(
    net: Net, producer: Node
) -> None:
    issue_in_three_blocks(net, producer)
    chain = producer.chain
    assert producer.store.certificate(0) is None  # genesis needs none
    for block in blocks(producer)[1:]:
        certificate = producer.store.certificate(block.header.height)
        assert certificate is not None
        assert [p.validator for p in certificate.precommits] == [net.validator.address]
        chain.verify_certificate(block, certificate)

    block = chain.block(2)
    assert block is not None
    outsider = KeyPair.generate()
    forged = make_certificate(CHAIN_ID, 2, 0, block.id, {outsider.address: outsider.sign})
    with pytest.raises(InvalidBlock) as e:
        chain.verify_certificate(block, forged)
    assert e.value.code == "certificate.unknown_validator"

    other = producer.store.certificate(3)
    assert other is not None
    with pytest.raises(InvalidBlock) as e:
        chain.verify_certificate(block, other)
    assert e.value.code == "certificate.wrong_block"

    own = producer.store.certificate(2)
    assert own is not None
    vote = own.precommits[0]
    bad = replace(own, precommits=(Precommit(vote.validator, bytes(64)),))
    with pytest.raises(InvalidBlock) as e:
        chain.verify_certificate(block, bad)
    assert e.value.code == "certificate.bad_signature"


# ------------------------------------------------------------------ replay on another node


def test_a_fresh_node_with_the_same_genesis_replays_every_block_to_the_same_state(
    net: Net, producer: Node, follower: Node
) -> None:
    application = issue_in_three_blocks(net, producer)
    assert follower.store.genesis_id() == producer.store.genesis_id()
    for block in blocks(producer)[1:]:
        run = follower.chain.validate_block(block)
        assert run.state_root == block.header.state_root
        assert len(run.included) == len(block.txs) and not run.failed
        certificate = producer.store.certificate(block.header.height)
        assert certificate is not None
        follower.chain.verify_certificate(block, certificate)
        follower.chain.commit(block, certificate, run)
    assert follower.chain.head == producer.chain.head
    voucher = get_voucher(follower.store, issued_voucher_id(application))
    assert voucher is not None and voucher.holder == net.members["supplier"].address


def test_a_block_of_transactions_the_mempool_verified_is_not_verified_again(
    net: Net, producer: Node, follower: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply = apply_tx(CHAIN_ID, net.members, DUE)
    submit(producer, apply, T0 + SEC)
    submit(follower, apply, T0 + SEC)  # the follower heard of it too, and checked it then
    producer.produce(T0 + SEC)
    block = producer.store.block(1)
    assert block is not None and len(block.txs) == 1

    verified: list[bytes] = []
    real = chain_module.check_transaction
    monkeypatch.setattr(chain_module, "check_transaction",
                        lambda *a: verified.append(a[2]) or real(*a))
    run = follower.chain.validate_block(block, follower.mempool.checked)
    assert verified == [] and run.state_root == block.header.state_root
    # Bytes the mempool never saw (another signature set would differ) are verified.
    follower.chain.validate_block(block)
    assert verified == [block.txs[0]]


def test_a_tampered_block_is_refused_and_changes_nothing(
    net: Net, producer: Node, follower: Node
) -> None:
    apply = apply_tx(CHAIN_ID, net.members, DUE)
    confirm = confirm_tx(CHAIN_ID, net.members, tx_id(apply))
    submit(producer, apply, T0 + SEC)
    submit(producer, confirm, T0 + SEC)
    producer.produce(T0 + SEC)
    block = producer.store.block(1)
    assert block is not None and len(block.txs) == 2
    before = follower.chain.head

    wrong_root = Block(replace(block.header, state_root=sha256(b"not the state")), block.txs)
    with pytest.raises(InvalidBlock) as e:
        follower.chain.validate_block(wrong_root)
    assert e.value.code == "block.bad_state_root"

    # The confirm alone, with a header that honestly commits to it: it fails on execution.
    only_confirm = (encode(confirm),)
    failing = Block(replace(block.header, tx_root=tx_root(only_confirm), tx_count=1),
                    only_confirm)
    with pytest.raises(InvalidBlock) as e:
        follower.chain.validate_block(failing)
    assert e.value.code == "block.bad_tx"
    assert tx_id(confirm).hex() in e.value.message

    swapped = Block(block.header, (block.txs[1], block.txs[0]))
    with pytest.raises(InvalidBlock) as e:
        follower.chain.validate_block(swapped)
    assert e.value.code == "block.bad_header"

    assert follower.chain.head == before
    assert follower.store.head() == before
    run = follower.chain.validate_block(block)  # the real block still goes through
    assert run.state_root == block.header.state_root


# ------------------------------------------------------------------ the store


def test_reopening_the_store_gives_the_same_head_and_the_chain_goes_on(net: Net) -> None:
    node = open_node(net, "producer")
    try:
        issue_in_three_blocks(net, node)
        head, genesis = node.chain.head, node.store.genesis_id()
    finally:
        node.close()

    again = open_node(net, "producer")
    try:
        assert again.chain.head == head
        assert again.store.head() == head
        assert again.store.genesis_id() == genesis
        following = again.produce(T0 + 10 * SEC)
        assert following.height == head.height + 1
        block = again.store.block(following.height)
        assert block is not None and block.header.prev_hash == head.block_id
    finally:
        again.close()

    other = parse_network(network_toml("claimledger-other", net.validator, net.members, 1, T0))
    store = Store(net.root / "producer" / "ledger")
    try:
        with pytest.raises(StoreError) as e:
            Chain(store, again.registry, other)
        assert e.value.code == "genesis.mismatch"  # another network's genesis document
    finally:
        store.close()


# ------------------------------------------------------------------ the mempool


def test_the_mempool_refuses_a_confirm_by_the_wrong_signer_at_submit(
    net: Net, producer: Node
) -> None:
    apply = apply_tx(CHAIN_ID, net.members, DUE)
    submit(producer, apply, T0 + SEC)
    producer.produce(T0 + SEC)

    # Names the debtor but is signed by the creditor: the envelope check refuses it.
    body = Confirm(net.members["core"].address, tx_id(apply))
    forged = build_tx(CHAIN_ID, "issuance", "confirm", body, net.members["supplier"])
    with pytest.raises(LedgerError) as e:
        producer.mempool.submit(encode(forged), T0 + 2 * SEC)
    assert e.value.code in ("tx.unexpected_signature", "tx.missing_signature")

    # Signed by the member it names, who is not the debtor: the dry-run refuses it.
    not_debtor = confirm_tx(CHAIN_ID, net.members, tx_id(apply), signer="supplier")
    with pytest.raises(LedgerError) as e:
        producer.mempool.submit(encode(not_debtor), T0 + 2 * SEC)
    assert e.value.code == "issuance.not_debtor"
    status, error = producer.mempool.status(tx_id(not_debtor))
    assert status == "rejected" and error is not None and error.code == "issuance.not_debtor"
    assert len(producer.mempool) == 0

    producer.produce(T0 + 2 * SEC)
    application = get_application(producer.store, tx_id(apply))
    assert application is not None and application.status == "applied"


def test_a_confirm_right_after_its_apply_is_accepted_against_pending_state(
    net: Net, producer: Node
) -> None:
    apply = apply_tx(CHAIN_ID, net.members, DUE)
    confirm = confirm_tx(CHAIN_ID, net.members, tx_id(apply))
    with pytest.raises(LedgerError) as e:  # on its own, nothing to confirm yet
        producer.mempool.submit(encode(confirm), T0 + SEC)
    assert e.value.code == "issuance.unknown_application"

    submit(producer, apply, T0 + SEC)
    submit(producer, confirm, T0 + SEC)  # no block in between
    assert producer.mempool.status(tx_id(confirm)) == ("pending", None)
    assert len(producer.mempool) == 2

    head = producer.produce(T0 + 2 * SEC)
    block = producer.store.block(head.height)
    assert block is not None and block.txs == (encode(apply), encode(confirm))
    assert len(producer.mempool) == 0
    application = get_application(producer.store, tx_id(apply))
    assert application is not None and application.status == "confirmed"


def test_a_tx_that_fails_in_its_block_is_left_out_and_reported_rejected(
    net: Net, producer: Node
) -> None:
    # Due 5 s after the time it is submitted at: fine then, in the past by the block.
    short = apply_tx(CHAIN_ID, net.members, T0 + 6 * SEC, basis="HT-SHORT")
    good = apply_tx(CHAIN_ID, net.members, DUE, basis="HT-GOOD")
    submit(producer, short, T0 + SEC)
    submit(producer, good, T0 + SEC)

    head = producer.produce(T0 + 10 * SEC)
    block = producer.store.block(head.height)
    assert block is not None and block.txs == (encode(good),)
    assert block.header.tx_root == tx_root((encode(good),))
    assert producer.store.tx_record(tx_id(short)) is None
    assert producer.store.tx_record(tx_id(good)) is not None
    status, error = producer.mempool.status(tx_id(short))
    assert status == "rejected"
    assert error is not None and error.code == "issuance.due_in_past"
    assert get_application(producer.store, tx_id(short)) is None
    assert len(producer.mempool) == 0


# ------------------------------------------------------------------ heavy operations per block


def test_an_operation_bounded_per_block_is_cut_by_the_proposer_and_refused_over_its_bound(
    net: Net, producer: Node, follower: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two applications at most in a block (as set-off run batches are bounded, being heavy).
    for node in (producer, follower):
        contract = node.registry.latest("issuance")
        monkeypatch.setitem(contract.operations, "apply",
                            replace(contract.operations["apply"], per_block=2))
    applies = [apply_tx(CHAIN_ID, net.members, DUE, basis=f"HT-PER-BLOCK-{i}")
               for i in range(3)]
    for tx in applies:
        submit(producer, tx, T0 + SEC)
    producer.produce(T0 + SEC)
    first = producer.store.block(1)
    assert first is not None and first.txs == tuple(encode(tx) for tx in applies[:2])
    producer.produce(T0 + 2 * SEC)
    second = producer.store.block(2)
    assert second is not None and second.txs == (encode(applies[2]),)

    # A proposer that packs three into one block: every other node refuses the block.
    raw = tuple(encode(tx) for tx in applies)
    packed = Block(replace(first.header, tx_root=tx_root(raw), tx_count=3), raw)
    with pytest.raises(InvalidBlock) as e:
        follower.chain.validate_block(packed)
    assert e.value.code == "block.too_many"
    assert follower.chain.validate_block(first).state_root == first.header.state_root


def test_run_batches_are_bounded_per_block() -> None:
    from contracts import setoff
    from contracts.contract import default_registry

    operation = default_registry().latest("setoff").operations["run_batch"]
    assert operation.per_block == setoff.MAX_RUN_BATCHES_PER_BLOCK
    assert 1 <= setoff.MAX_RUN_BATCHES_PER_BLOCK <= 50
