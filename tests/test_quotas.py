"""Quotas in the mempool and budgets at the API ([limits] of network.toml): a member or a
peer that floods a node with well-signed transactions takes its own share, not the
mempool; transactions failing their rules in blocks cost their members and peers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from consensus.certificate import make_certificate
from contracts import issuance
from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.tx import decode_transaction, payload_id
from node.config import Limits, parse_network
from node.http.app import make_app
from node.http.submit import SUBMIT_BUCKETS
from node.mempool import Mempool
from node.replication import Replication
from node.service import Node
from tests.nodeproc import (
    DAY_MS,
    MEMBER_ROLES,
    LocalNode,
    apply_tx,
    build_tx,
    local_node,
    network_toml,
    now_ms,
    terms,
)
from tests.signing import signed_by

CHAIN = "quota-test"
T0 = now_ms() - 60_000
DUE = T0 + 200 * DAY_MS


def core_apply(members: dict[str, KeyPair], basis: str) -> bytes:
    """An application by the core enterprise (the supplier is its debtor)."""
    body = issuance.Apply(members["core"].address, terms(members["supplier"], DUE, basis))
    return encode(build_tx(CHAIN, "issuance", "apply", body, members["core"]))


def supplier_apply(members: dict[str, KeyPair], basis: str) -> bytes:
    return encode(apply_tx(CHAIN, members, DUE, basis))


def failing_apply(members: dict[str, KeyPair], basis: str) -> bytes:
    """Well signed by the supplier, but its debtor is no member: it fails in a block."""
    stranger = KeyPair.generate()
    body = issuance.Apply(members["supplier"].address, terms(stranger, DUE, basis))
    return encode(build_tx(CHAIN, "issuance", "apply", body, members["supplier"]))


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(LedgerError) as e:
        call()
    return e.value.code


def test_a_network_without_limits_gets_the_internet_facing_defaults(tmp_path: Path) -> None:
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    validator = KeyPair.generate()
    text = network_toml(CHAIN, validator, members, 1, T0, limits=None)
    assert "[limits]" not in text
    limits = parse_network(text).limits
    assert limits == Limits()
    assert (limits.submit_rate_per_s, limits.submit_burst) == (50, 500)
    assert (limits.member_pending_txs, limits.member_pending_bytes) == (1_000, 16 << 20)
    node = Node(parse_network(text), tmp_path, validator)
    try:
        bucket = make_app(node)[SUBMIT_BUCKETS].limit  # what the API enforces
        assert (bucket.rate_per_s, bucket.burst) == (50, 500)
        assert node.mempool.limits == Limits()
    finally:
        node.close()


def test_a_member_over_its_pending_quota_is_refused_while_another_goes_on(
        tmp_path: Path) -> None:
    with local_node(tmp_path, CHAIN, T0, limits={"member_pending_txs": 3}) as local:
        mempool, members, now = local.node.mempool, local.members, now_ms()
        for i in range(3):
            mempool.submit(supplier_apply(members, f"S-{i}"), now)
        assert code_of(lambda: mempool.submit(supplier_apply(members, "S-3"), now)) == \
            "mempool.member_quota"
        # Gossip counts against the member too: a peer cannot carry it past its quota.
        assert code_of(lambda: mempool.submit(supplier_apply(members, "S-4"), now,
                                              own=False, peer=b"p" * 32)) == \
            "mempool.member_quota"
        for i in range(3):
            mempool.submit(core_apply(members, f"C-{i}"), now)
        assert len(mempool) == 6
        mempool.check_invariants()
        local.node.produce(now)  # the block takes them: the quota is free again
        mempool.submit(supplier_apply(members, "S-5"), now)
        mempool.check_invariants()


def test_a_member_over_its_pending_bytes_is_refused(tmp_path: Path) -> None:
    with local_node(tmp_path, CHAIN, T0) as local:
        members, now = local.members, now_ms()
        size = len(supplier_apply(members, "B-0"))
        # network.toml keeps a member's bytes at least one document; the mempool takes any.
        node = local.node
        node.mempool = mempool = Mempool(node.chain, 100, limits=Limits(
            member_pending_bytes=3 * size + size // 2))
        for i in range(3):
            mempool.submit(supplier_apply(members, f"B-{i}"), now)
        with pytest.raises(LedgerError) as refused:
            mempool.submit(supplier_apply(members, "B-3"), now)
        assert refused.value.code == "mempool.member_quota"
        assert "bytes" in refused.value.message
        mempool.submit(core_apply(members, "C-0"), now)
        mempool.check_invariants()


def flood_failures(local: LocalNode, count: int, peer: bytes, at_ms: int) -> None:
    """`count` failing transactions of the supplier gossiped by `peer`, then a block."""
    mempool = local.node.mempool
    for i in range(count):
        mempool.submit(failing_apply(local.members, f"F-{at_ms}-{i}"), at_ms, own=False,
                       peer=peer)
    head = local.node.produce(at_ms)
    assert head.height >= 1 and len(mempool) == 0  # every one failed and left


def test_a_member_whose_transactions_fail_in_blocks_is_throttled_then_heals(
        tmp_path: Path) -> None:
    limits = {"member_pending_txs": 20, "member_failure_cost_txs": 10,
              "failure_heal_s": 100}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        mempool, members, now = local.node.mempool, local.members, now_ms()
        flood_failures(local, 1, b"p" * 32, now)  # 10 of 20 held back
        for i in range(10):
            mempool.submit(supplier_apply(members, f"OK-{i}"), now)
        with pytest.raises(LedgerError) as refused:
            mempool.submit(supplier_apply(members, "OK-10"), now)
        assert refused.value.code == "mempool.member_throttled"
        assert "failed their rules in blocks" in refused.value.message
        assert refused.value.retry_after_s == 5  # 1 of 20 points heals in 100 s / 20
        mempool.submit(core_apply(members, "CORE-0"), now)  # another member goes on
        local.node.produce(now)
        flood_failures(local, 3, b"p" * 32, now + 1)  # the whole quota held back
        assert code_of(lambda: mempool.submit(supplier_apply(members, "OK-11"), now + 2)) \
            == "mempool.member_throttled"
        # Healing is linear: after half the time, half the quota is back.
        later = now + 1 + 50_000  # the last failures came at now + 1
        for i in range(10):
            mempool.submit(supplier_apply(members, f"LATER-{i}"), later)
        assert code_of(lambda: mempool.submit(supplier_apply(members, "LATER-10"), later)) \
            == "mempool.member_throttled"
        mempool.submit(supplier_apply(members, "LATER-11"), later + 50_000)
        mempool.check_invariants()


def test_a_peer_flooding_gossip_past_its_share_does_not_displace_own_clients(
        tmp_path: Path) -> None:
    # A mempool of 40: a peer's gossip holds at most 10, all gossip at most 30.
    limits = {"peer_share_percent": 25, "own_reserve_percent": 25,
              "member_pending_txs": 1_000}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        node = local.node
        node.mempool = mempool = Mempool(node.chain, 40, limits=node.config.limits)
        members, now = local.members, now_ms()
        peers = [bytes([i]) * 32 for i in range(1, 5)]
        first = core_apply(members, "G-first")
        for p, peer in enumerate(peers):
            codes = []
            for i in range(15):
                raw = first if (p, i) == (0, 0) else core_apply(members, f"G-{p}-{i}")
                try:
                    mempool.submit(raw, now, own=False, peer=peer)
                except LedgerError as e:
                    codes.append(e.code)
            assert set(codes) == {"mempool.peer_quota"}
        assert [mempool.peer_load.get(p, (0, 0))[0] for p in peers] == [10, 10, 10, 0]
        assert [mempool.gossip_dropped[p] for p in peers] == [5, 5, 5, 15]
        for i in range(10):  # the own clients' reserve is whole
            mempool.submit(supplier_apply(members, f"OWN-{i}"), now)
        assert len(mempool) == 40 and len(mempool.own) == 10
        mempool.check_invariants()
        # A peer's transaction a client submits here becomes the node's own.
        mempool.submit(first, now)
        assert mempool.peer_load[peers[0]][0] == 9 and len(mempool.own) == 11
        mempool.check_invariants()


def test_a_peer_whose_gossip_keeps_failing_in_blocks_is_throttled(tmp_path: Path) -> None:
    limits = {"peer_share_percent": 50, "own_reserve_percent": 0,
              "peer_failure_cost_txs": 5, "member_failure_cost_txs": 0,
              "failure_heal_s": 600}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        node = local.node
        node.mempool = mempool = Mempool(node.chain, 40, limits=node.config.limits)
        bad, good = b"b" * 32, b"g" * 32
        now = now_ms()
        flood_failures(local, 3, bad, now)  # 15 of its 20 held back
        assert mempool.gossip_failed == {bad: 3}
        admitted = 0
        for i in range(20):
            try:
                mempool.submit(core_apply(local.members, f"B-{i}"), now + 1, own=False,
                               peer=bad)
                admitted += 1
            except LedgerError as e:
                assert e.code == "mempool.peer_quota"
        assert admitted == 5
        for i in range(20):  # the other peer keeps its whole share
            mempool.submit(core_apply(local.members, f"G-{i}"), now + 1, own=False, peer=good)
        mempool.check_invariants()


async def test_the_peer_path_counts_gossip_against_the_link_it_came_by(
        tmp_path: Path) -> None:
    limits = {"peer_share_percent": 25, "own_reserve_percent": 25}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        node = local.node
        node.mempool = mempool = Mempool(node.chain, 40, limits=node.config.limits)
        replication = Replication(node, tmp_path / "replication")

        class FakeLink:
            peer = b"v" * 32
            name = "validator-x"

        frame = [core_apply(local.members, f"FRAME-{i}") for i in range(30)]
        await replication.gossip.on_txs(FakeLink(), frame)  # type: ignore[arg-type]
        assert mempool.peer_load[FakeLink.peer][0] == 10
        assert mempool.gossip_dropped[FakeLink.peer] == 20
        mempool.check_invariants()


async def test_the_api_answers_a_member_over_quota_429_with_its_code(tmp_path: Path) -> None:
    with local_node(tmp_path, CHAIN, T0, limits={"member_pending_txs": 2}) as local:
        client = TestClient(TestServer(make_app(local.node)), **signed_by(CHAIN, local.members))
        await client.start_server()
        try:
            for i in range(2):
                response = await client.post(
                    "/v1/txs", json={"tx": supplier_apply(local.members, f"A-{i}").hex()})
                assert response.status == 202
            response = await client.post(
                "/v1/txs", json={"tx": supplier_apply(local.members, "A-2").hex()})
            assert response.status == 429 and response.headers["Retry-After"] == "1"
            assert (await response.json())["error"]["code"] == "mempool.member_quota"
            batch = [supplier_apply(local.members, "A-3").hex(),
                     core_apply(local.members, "C-0").hex()]
            response = await client.post("/v1/txs/batch", json={"txs": batch})
            results = (await response.json())["results"]
            assert results[0]["error"]["code"] == "mempool.member_quota"
            assert results[1]["status"] == "pending"
            assert response.headers["Retry-After"] == "1"
        finally:
            await client.close()


async def test_status_counts_each_peers_gossip_dropped_and_failed(tmp_path: Path) -> None:
    limits = {"peer_share_percent": 25, "own_reserve_percent": 25}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        node = local.node
        node.mempool = mempool = Mempool(node.chain, 8, limits=node.config.limits)
        peer = node.config.validators[0].key  # the status lists validators by key
        for i in range(3):
            try:
                mempool.submit(core_apply(local.members, f"P-{i}"), now_ms(), own=False,
                               peer=peer)
            except LedgerError as e:
                assert e.code == "mempool.peer_quota"
        client = TestClient(TestServer(make_app(node)), **signed_by(CHAIN, local.members))
        await client.start_server()
        try:
            status = await (await client.get("/v1/status")).json()
            [validator] = status["validators"]
            assert (validator["gossip_pending"], validator["gossip_dropped"],
                    validator["gossip_failed"]) == (2, 1, 0)
        finally:
            await client.close()


def commit_empty_block(local: LocalNode, at_ms: int) -> None:
    """A block another validator proposed without this mempool's transactions."""
    node, chain = local.node, local.node.chain
    run = chain.execute([], chain.next_time_ms(at_ms))
    block = chain.make_block(run, node.address)
    certificate = make_certificate(chain.chain_id, block.header.height, 0, block.id,
                                   {node.address: node.signer.sign_consensus})
    chain.commit(block, certificate, run)
    node.mempool.after_commit(run.included, run.failed, at_ms)


def test_transactions_that_expire_while_they_wait_cost_no_quota(tmp_path: Path) -> None:
    # Expiry says how long a transaction waited here, not how its members or peers
    # behave: a backlog of this node's own must not throttle them.
    limits = {"member_pending_txs": 10, "member_failure_cost_txs": 10,
              "peer_failure_cost_txs": 10, "peer_share_percent": 50}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        node = local.node
        node.mempool = mempool = Mempool(node.chain, 40, limits=node.config.limits)
        members, now, peer = local.members, now_ms(), b"p" * 32
        expiring = [encode(apply_tx(CHAIN, members, DUE, f"E-{i}", expiry_height=1))
                    for i in range(3)]
        for raw in expiring:
            mempool.submit(raw, now, own=False, peer=peer)
        commit_empty_block(local, now)  # height 1 without them: now they have expired
        node.produce(now + 1)  # height 2 leaves them out
        assert len(mempool) == 0
        assert node.store.block(2).txs == ()  # never proposed: no failure to charge
        assert {mempool.status(payload_id(decode_transaction(raw).payload))[1].code
                for raw in expiring} == {"tx.expired"}
        assert mempool.member_penalties.of(members["supplier"].address, now + 2) == 0
        assert mempool.peer_penalties.of(peer, now + 2) == 0 and not mempool.gossip_failed
        for i in range(10):  # the supplier's whole quota, the peer's whole share
            mempool.submit(supplier_apply(members, f"AFTER-{i}"), now + 2, own=False,
                           peer=peer)
        mempool.check_invariants()


def test_a_failed_transaction_gossiped_again_costs_its_member_once(tmp_path: Path) -> None:
    # A validator holds every transaction gossip brought it, those that failed included:
    # bringing one back after each block must not keep its member throttled for ever.
    limits = {"member_pending_txs": 100, "member_failure_cost_txs": 10,
              "peer_failure_cost_txs": 10, "failure_heal_s": 600}
    with local_node(tmp_path, CHAIN, T0, limits=limits) as local:
        mempool, members, now, faulty = local.node.mempool, local.members, now_ms(), b"f" * 32
        supplier = members["supplier"].address
        failing = failing_apply(members, "REPLAYED")
        for block in range(5):
            mempool.submit(failing, now, own=False, peer=faulty)
            local.node.produce(now)
            assert len(mempool) == 0 and mempool.gossip_failed[faulty] == block + 1
        assert mempool.member_penalties.of(supplier, now) == 10  # its one failure
        assert mempool.peer_penalties.of(faulty, now) == 50  # every time it brought it
        mempool.check_invariants()
