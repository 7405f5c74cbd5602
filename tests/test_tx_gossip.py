"""Transaction gossip in batches: what a validator takes in during one turn of its event
loop goes to the other validators in one "txs" frame; pending transactions go in such
frames to a validator whose link comes up; a peer's refused transaction keeps the link,
a malformed "txs" frame closes it; and a batch sent to one validator of four commits
everywhere."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import msgpack
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts.codec import encode
from contracts.identity import KeyPair
from contracts.tx import Transaction
from node.config import NetworkConfig, parse_network
from node.http.app import make_app
from node.peers import Link, PeerError, pack, unpack
from node.replication import Replication
from node.replication.gossip import MAX_TXS_PER_FRAME, TXS_FRAME_BYTES, tx_frames
from node.service import Node
from tests.nodeproc import (
    CLUSTER_MEMBERS,
    CLUSTER_TIMING,
    DAY_MS,
    apply_tx,
    cluster_toml,
    free_port,
    get,
    make_cluster,
    now_ms,
    request,
    tx_id,
)
from tests.signing import signed_by
from tests.test_bft_network import started, wait_tx

CHAIN = "gossip-test"


@dataclass
class Cluster:
    config: NetworkConfig
    keys: list[KeyPair]  # validators, in the order of network.toml
    members: dict[str, KeyPair]
    peer_ports: list[int]

    def applies(self, count: int, prefix: str = "G") -> list[Transaction]:
        due = now_ms() + 100 * DAY_MS
        return [apply_tx(CHAIN, self.members, due, basis=f"{prefix}-{i}") for i in range(count)]


def cluster(validators: int = 4) -> Cluster:
    keys = [KeyPair.generate() for _ in range(validators)]
    ports = [free_port() for _ in keys]
    members = {name: KeyPair.generate() for name in CLUSTER_MEMBERS}
    entries = {f"v{i}": (key, 1) for i, key in enumerate(keys)}
    config = parse_network(cluster_toml(
        CHAIN, entries, {}, members, now_ms() - 60_000, CLUSTER_TIMING,
        {f"v{i}": port for i, port in enumerate(ports)}))
    return Cluster(config, keys, members, ports)


def fake_link(peer: KeyPair, name: str) -> Link:
    """A link whose frames pile up in its queue (nothing pumps them to a socket)."""
    return Link(peer.address, name, None)  # type: ignore[arg-type]


def frames_of(link: Link) -> list[tuple[str, object]]:
    frames = []
    while not link.queue.empty():
        frames.append(unpack(link.queue.get_nowait()))
    return frames


@asynccontextmanager
async def validator(tmp_path: Path, c: Cluster, index: int = 0
                    ) -> AsyncIterator[tuple[Node, Replication]]:
    """A validator's node and its replication, not started: no links, no consensus."""
    home = tmp_path / f"v{index}"
    node = Node(c.config, home, c.keys[index])
    replication = Replication(node, home)
    node.on_submit = replication.gossip.on_submit  # as Replication.start wires it
    try:
        yield node, replication
    finally:
        peers = replication.peers
        peers.links = {k: link for k, link in peers.links.items() if link.ws is not None}
        await replication.stop()
        node.close()


# ------------------------------------------------------------------ sending


async def test_a_batch_submitted_in_one_request_goes_out_in_one_txs_frame(
        tmp_path: Path) -> None:
    c = cluster()
    async with validator(tmp_path, c) as (node, replication):
        links = [fake_link(key, f"v{i}") for i, key in enumerate(c.keys) if i]
        replication.peers.links = {link.peer: link for link in links}
        client = TestClient(TestServer(make_app(node)), **signed_by(CHAIN, c.members))
        await client.start_server()
        try:
            txs = c.applies(30)
            raws = [encode(tx) for tx in txs]
            bad = raws[5][:-1]
            response = await client.post(
                "/v1/txs/batch", data=msgpack.packb([*raws, bad, raws[0]], use_bin_type=True),
                headers={"Content-Type": "application/msgpack"})
            assert response.status == 200
            await asyncio.sleep(0)  # the turn of the loop in which the frame is sent
            for link in links:
                # Every validator gets the admitted ones, once each, in order, in one frame.
                assert frames_of(link) == [("txs", raws)]
            # A single submission is gossiped the same way, in a frame of its own.
            one = encode(c.applies(1, "ONE")[0])
            response = await client.post("/v1/txs", json={"tx": one.hex()})
            assert response.status == 202
            await asyncio.sleep(0)
            assert all(frames_of(link) == [("txs", [one])] for link in links)
        finally:
            await client.close()


async def test_gossip_sends_a_frame_early_when_it_reaches_its_bound(tmp_path: Path) -> None:
    c = cluster()
    async with validator(tmp_path, c) as (_, replication):
        link = fake_link(c.keys[1], "v1")
        replication.peers.links = {link.peer: link}
        small = [i.to_bytes(4, "big") for i in range(MAX_TXS_PER_FRAME + 5)]
        for raw in small:
            replication.gossip.on_submit(raw)
        assert frames_of(link) == [("txs", small[:MAX_TXS_PER_FRAME])]  # at once, when full
        await asyncio.sleep(0)
        assert frames_of(link) == [("txs", small[MAX_TXS_PER_FRAME:])]  # the rest, this turn
        large = [bytes([i]) * (TXS_FRAME_BYTES // 3 + 1) for i in range(4)]
        for raw in large:
            replication.gossip.on_submit(raw)
        assert frames_of(link) == [("txs", large[:3])]  # over TXS_FRAME_BYTES with the third
        await asyncio.sleep(0)
        assert frames_of(link) == [("txs", large[3:])]
        await asyncio.sleep(0)
        assert frames_of(link) == []  # nothing more, no empty frames


def test_pending_transactions_are_cut_into_frames_in_order() -> None:
    raws = [i.to_bytes(3, "big") for i in range(2 * MAX_TXS_PER_FRAME + 1)]
    frames = list(tx_frames(raws))
    assert [len(f) for f in frames] == [MAX_TXS_PER_FRAME, MAX_TXS_PER_FRAME, 1]
    assert [raw for frame in frames for raw in frame] == raws
    big = [b"x" * (TXS_FRAME_BYTES - 10), b"y" * 20, b"z"]
    assert list(tx_frames(big)) == [big[:2], big[2:]]
    assert list(tx_frames([])) == []


async def test_a_validator_whose_link_comes_up_gets_the_pending_ones_in_frames(
        tmp_path: Path) -> None:
    c = cluster()
    async with validator(tmp_path, c) as (node, replication):
        txs = c.applies(12)
        for tx in txs:
            node.mempool.submit(encode(tx), now_ms())
        link = fake_link(c.keys[2], "v2")
        replication.on_connect(link)
        assert frames_of(link) == [("status", [0]), ("txs", [encode(tx) for tx in txs])]


# ------------------------------------------------------------------ receiving


async def test_a_peers_txs_frame_is_admitted_and_its_refusals_keep_the_link(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    c = cluster()
    async with validator(tmp_path, c, 1) as (node, replication):
        good, later = c.applies(2)
        wrong_chain = apply_tx("another-chain", c.members, now_ms() + DAY_MS, basis="X")
        link = fake_link(c.keys[0], "v0")
        with caplog.at_level(logging.DEBUG, logger="claimledger.consensus"):
            await replication.on_frame(link, "txs", [encode(good), b"\x00garbage",
                                                     encode(wrong_chain), encode(good),
                                                     encode(later)])
        assert list(node.mempool.pending) == [tx_id(good), tx_id(later)]
        assert "tx.wrong_chain" in caplog.text
        assert not link.closed
        await replication.on_frame(link, "txs", [])  # nothing to admit: still fine


@pytest.mark.parametrize("payload", [
    b"one transaction", None, 5, {"txs": []}, [b"ok", 5], [b"ok", "text"], [[b"nested"]],
    [b""] * (MAX_TXS_PER_FRAME + 1),
], ids=["bytes", "nil", "int", "map", "int element", "str element", "list element",
        "too many"])
async def test_a_malformed_txs_frame_is_a_bad_frame(tmp_path: Path, payload: object) -> None:
    c = cluster()
    async with validator(tmp_path, c, 1) as (node, replication):
        good = encode(c.applies(1)[0])
        if isinstance(payload, list):
            payload = [good, *payload]
        with pytest.raises(PeerError) as refused:
            await replication.on_frame(fake_link(c.keys[0], "v0"), "txs", payload)
        assert refused.value.code == "peer.bad_frame"
        assert len(node.mempool) == 0  # the frame is refused before anything is admitted


# ------------------------------------------------------------------ over real links


@asynccontextmanager
async def three_linked(tmp_path: Path, c: Cluster
                       ) -> AsyncIterator[list[tuple[Node, Replication]]]:
    """Three of the validators with real TLS peer links to each other and gossip wired,
    but no consensus running (no driver, no ticker): transactions stay in the mempools."""
    async with validator(tmp_path, c, 0) as a, validator(tmp_path, c, 1) as b, \
            validator(tmp_path, c, 2) as third:
        nodes = [a, b, third]
        for i, (_, replication) in enumerate(nodes):
            await replication.peers.listen("127.0.0.1", c.peer_ports[i])
        for _, replication in nodes:
            replication.peers.start()
        for _, replication in nodes:
            await eventually(lambda r=replication: linked_to(r, 2))
        yield nodes


def linked_to(replication: Replication, count: int) -> bool:
    return sum(not link.closed for link in replication.peers.links.values()) == count


async def eventually(condition, timeout_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def test_a_batch_reaches_the_other_validators_over_their_links(tmp_path: Path) -> None:
    c = cluster()
    async with three_linked(tmp_path, c) as nodes:
        (a, _), (b, _), (third, _) = nodes
        client = TestClient(TestServer(make_app(a)), **signed_by(CHAIN, c.members))
        await client.start_server()
        try:
            txs = c.applies(200)
            response = await client.post(
                "/v1/txs/batch", data=msgpack.packb([encode(tx) for tx in txs]),
                headers={"Content-Type": "application/msgpack"})
            assert response.status == 200
        finally:
            await client.close()
        ids = [tx_id(tx) for tx in txs]
        await eventually(lambda: len(b.mempool) == len(txs) and len(third.mempool) == len(txs))
        assert list(b.mempool.pending) == ids and list(third.mempool.pending) == ids


async def test_a_malformed_txs_frame_closes_only_that_link(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    c = cluster()
    async with three_linked(tmp_path, c) as nodes:
        (_, a), (_, b), (_, third) = nodes
        a_key, b_key, third_key = (k.address for k in c.keys[:3])
        doomed = a.peers.links[b_key]
        kept = a.peers.links[third_key]
        with caplog.at_level(logging.WARNING):
            await b.peers.links[a_key].ws.send_bytes(pack("txs", [b"fine", 7]))
            await eventually(lambda: doomed.closed)
        assert "peer.bad_frame" in caplog.text
        assert not kept.closed and a.peers.links[third_key] is kept
        # The link to the third validator still carries gossip.
        tx = c.applies(1)[0]
        third.node.mempool.submit(encode(tx), now_ms())
        third.gossip.on_submit(encode(tx))
        await eventually(lambda: tx_id(tx) in a.node.mempool.pending)


# ------------------------------------------------------------------ four processes


@pytest.mark.process
def test_a_batch_sent_to_one_of_four_validators_commits_everywhere_and_mempools_drain(
        tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4)
    with started(nets):
        net = nets[0]
        due = now_ms() + 100 * DAY_MS
        txs = [apply_tx(net.chain_id, net.members, due, basis=f"P-{i}") for i in range(200)]
        reply = request(f"{net.api}/v1/txs/batch", "POST",
                        msgpack.packb([encode(tx) for tx in txs]), "application/msgpack")
        assert reply.status == 200, reply.body
        assert [r["status"] for r in reply.json()["results"]] == ["pending"] * len(txs)
        for other in nets:
            for tx in (txs[0], txs[-1]):
                wait_tx(other, tx_id(tx).hex())
        for other in nets:
            for tx in txs:
                view = get(other.api, f"/v1/txs/{tx_id(tx).hex()}").json()
                assert view["status"] == "committed", view
        deadline = time.monotonic() + 10
        while any(get(n.api, "/v1/status").json()["mempool"] for n in nets):
            assert time.monotonic() < deadline, "a mempool never drained"
            time.sleep(0.05)
