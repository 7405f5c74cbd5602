"""An observer node is read-only: writes get 403 observer.read_only, reads work."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from contracts.identity import KeyPair
from node.api import make_app
from node.config import parse_network
from node.service import Node
from tests.nodeproc import MEMBER_ROLES, network_toml, now_ms


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
