"""Submission limits in-process: an observer is read-only; a full mempool says retry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from contracts.codec import encode
from contracts.identity import KeyPair
from node.api import make_app
from node.config import parse_network
from node.service import Node
from tests.nodeproc import DAY_MS, MEMBER_ROLES, apply_tx, network_toml, now_ms


async def test_observer_refuses_submissions_but_serves_reads(tmp_path: Path) -> None:
    validator, observer = KeyPair.generate(), KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    config = parse_network(network_toml(
        "observer-test", validator, members, 1, now_ms(), observers={"regulator": observer},
    ))
    node = Node(config, tmp_path, observer)
    client = TestClient(TestServer(make_app(node)))
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
    client = TestClient(TestServer(make_app(node)))
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
