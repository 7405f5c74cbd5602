"""Submission limits in-process: an observer is read-only; a full mempool says retry; a
client that floods is slowed down with 429 while other clients' transactions get in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts.codec import encode
from contracts.identity import KeyPair
from node.config import parse_network
from node.http.app import make_app
from node.http.submit import SUBMIT_BUCKETS, ClientBuckets, SubmitLimit
from node.service import Node
from tests.nodeproc import DAY_MS, MEMBER_ROLES, apply_tx, network_toml, now_ms, tx_id
from tests.signing import signed_by


async def test_observer_refuses_submissions_but_serves_reads(tmp_path: Path) -> None:
    validator, observer = KeyPair.generate(), KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    config = parse_network(network_toml(
        "observer-test", validator, members, 1, now_ms(), observers={"regulator": observer},
    ))
    node = Node(config, tmp_path, observer)
    client = TestClient(TestServer(make_app(node)),
                        **signed_by(node.chain.chain_id, members))
    await client.start_server()
    try:
        status = await (await client.get("/v1/status")).json()
        assert status["role"] == "observer" and status["node"] == "regulator"
        response = await client.post("/v1/txs", json={"tx": "00"})
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "observer.read_only"
        member = await client.get(f"/v1/members/{members['agency'].address.hex()}")
        assert member.status == 200
        assert (await member.json())["roles"] == ["agency"]
    finally:
        await client.close()
        node.close()


async def test_full_mempool_answers_503_with_a_retry_hint(tmp_path: Path) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    config = parse_network(network_toml("mempool-test", validator, members, 1, now_ms()))
    config = replace(config, timing=replace(config.timing, max_mempool_txs=2))
    node = Node(config, tmp_path, validator)  # its producer is not running: nothing drains
    client = TestClient(TestServer(make_app(node)),
                        **signed_by(node.chain.chain_id, members))
    await client.start_server()
    due = now_ms() + 100 * DAY_MS
    try:
        for i in range(2):
            tx = apply_tx("mempool-test", members, due, basis=f"B-{i}")
            response = await client.post("/v1/txs", json={"tx": encode(tx).hex()})
            assert response.status == 202
        tx = apply_tx("mempool-test", members, due, basis="B-2")
        response = await client.post("/v1/txs", json={"tx": encode(tx).hex()})
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"
        assert (await response.json())["error"]["code"] == "mempool.full"
        # Once a block drains it, the same transaction gets in.
        node.produce(now_ms())
        response = await client.post("/v1/txs", json={"tx": encode(tx).hex()})
        assert response.status == 202
    finally:
        await client.close()
        node.close()


# ------------------------------------------------------------------ per-client limits


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_a_bucket_allows_a_burst_then_its_rate() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(SubmitLimit(rate_per_s=2, burst=3, max_clients=10), clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)  # the next token comes in half a second
    assert buckets.take("b") == 0  # another client has its own bucket
    clock.now_s += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)


def test_the_table_of_clients_stays_bounded_and_forgets_idle_ones() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(SubmitLimit(rate_per_s=1, burst=2, max_clients=3), clock)
    for n in range(100):
        buckets.take(f"10.0.0.{n}")
        assert len(buckets) <= 3
    assert list(buckets.buckets) == ["10.0.0.97", "10.0.0.98", "10.0.0.99"]  # the latest
    clock.now_s += 2  # long enough for every bucket to be full again: nothing to remember
    buckets.take("10.0.0.1")
    assert list(buckets.buckets) == ["10.0.0.1"]


def test_a_submit_limit_needs_positive_numbers() -> None:
    with pytest.raises(ValueError):
        SubmitLimit(rate_per_s=0)


@asynccontextmanager
async def session_from(address: str, chain_id: str, members: dict[str, KeyPair]
                       ) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client whose connections leave from `address` (127.0.0.x: all loopback),
    signing as the agency of `members`."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector,
                                     **signed_by(chain_id, members)) as session:
        yield session


async def test_a_flooding_client_gets_429_while_another_gets_its_transactions_in(
        tmp_path: Path) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    config = parse_network(network_toml("flood-test", validator, members, 1, now_ms()))
    node = Node(config, tmp_path, validator)
    app = make_app(node)
    clock = FakeClock()  # time stands still: the flooder's bucket never refills
    app[SUBMIT_BUCKETS] = ClientBuckets(SubmitLimit(rate_per_s=1, burst=5), clock)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    due = now_ms() + 100 * DAY_MS
    flood = [apply_tx("flood-test", members, due, basis=f"FLOOD-{i}") for i in range(30)]
    honest = [apply_tx("flood-test", members, due, basis=f"HONEST-{i}") for i in range(3)]
    try:
        statuses = []
        async with session_from("127.0.0.1", "flood-test", members) as flooder:
            for tx in flood:
                async with flooder.post(server.make_url("/v1/txs"),
                                        json={"tx": encode(tx).hex()}) as response:
                    statuses.append(response.status)
                    if response.status == 429:
                        refused = await response.json()
                        retry_after = response.headers["Retry-After"]
        assert statuses[:5] == [202] * 5
        assert statuses[5:] == [429] * 25
        assert refused["error"]["code"] == "submit.rate_limited"
        assert int(retry_after) >= 1
        assert len(node.mempool) == 5  # the refused ones cost no signature check
        clock.now_s += 1  # a second later the flooder may send one more
        async with session_from("127.0.0.1", "flood-test", members) as flooder:
            async with flooder.post(server.make_url("/v1/txs"),
                                    json={"tx": encode(flood[5]).hex()}) as response:
                assert response.status == 202

        async with session_from("127.0.0.2", "flood-test", members) as member:
            for tx in honest:
                async with member.post(server.make_url("/v1/txs"),
                                       json={"tx": encode(tx).hex()}) as response:
                    assert response.status == 202, await response.text()
            node.produce(now_ms())
            for tx in honest:
                async with member.get(server.make_url(f"/v1/txs/{tx_id(tx).hex()}")) as reply:
                    assert (await reply.json())["status"] == "committed"
            async with member.get(server.make_url("/v1/status")) as reply:
                assert reply.status == 200 and (await reply.json())["height"] == 1
        assert len(app[SUBMIT_BUCKETS]) == 2
    finally:
        await server.close()
        node.close()


async def test_a_mempool_full_of_bytes_answers_503_with_a_retry_hint(tmp_path: Path) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    config = parse_network(network_toml("bytes-test", validator, members, 1, now_ms()))
    node = Node(config, tmp_path, validator)
    due = now_ms() + 100 * DAY_MS
    first, second = (apply_tx("bytes-test", members, due, basis=f"B-{i}") for i in range(2))
    node.mempool.max_bytes = len(encode(first)) + len(encode(second)) // 2
    client = TestClient(TestServer(make_app(node)),
                        **signed_by(node.chain.chain_id, members))
    await client.start_server()
    try:
        response = await client.post("/v1/txs", json={"tx": encode(first).hex()})
        assert response.status == 202
        response = await client.post("/v1/txs", json={"tx": encode(second).hex()})
        assert response.status == 503 and response.headers["Retry-After"] == "1"
        assert (await response.json())["error"]["code"] == "mempool.full"
        node.produce(now_ms())
        assert node.mempool.bytes == 0
        response = await client.post("/v1/txs", json={"tx": encode(second).hex()})
        assert response.status == 202
    finally:
        await client.close()
        node.close()
