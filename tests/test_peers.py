"""Peer links: the handshake proves each node's key, strangers and garbage are cut off."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from contracts.identity import KeyPair
from node.config import NetworkConfig, NodeEntry, Timing
from node.peers import Link, Peers, handshake_bytes, pack, unpack
from tests.nodeproc import free_port

CHAIN = "claimledger-peers-test"


def config(validators: dict[str, tuple[KeyPair, int]],
           observers: dict[str, tuple[KeyPair, int]] | None = None) -> NetworkConfig:
    def entries(nodes: dict[str, tuple[KeyPair, int]]) -> tuple[NodeEntry, ...]:
        return tuple(NodeEntry(name, key.address, f"127.0.0.1:{port}", 1)
                     for name, (key, port) in nodes.items())

    return NetworkConfig(CHAIN, None, entries(validators),  # type: ignore[arg-type]
                         entries(observers or {}), Timing(100, 5000, 100, 100), 0)


class Endpoint:
    """A `Peers` behind its own aiohttp server, recording the frames it receives."""

    def __init__(self, cfg: NetworkConfig, key: KeyPair, port: int) -> None:
        self.received: list[tuple[str, str, object]] = []
        self.peers = Peers(cfg, key, frozenset({"ping"}), self.handle)
        self.port = port
        self.runner: web.AppRunner | None = None

    async def handle(self, link: Link, kind: str, payload: object) -> None:
        self.received.append((link.name, kind, payload))

    async def start(self) -> Endpoint:
        app = web.Application()
        app.router.add_get("/v1/peer", self.peers.accept)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.peers.start()
        return self

    async def stop(self) -> None:
        await self.peers.stop()
        assert self.runner is not None
        await self.runner.cleanup()


async def eventually(condition, timeout_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


@pytest.fixture
def three() -> tuple[NetworkConfig, dict[str, tuple[KeyPair, int]]]:
    nodes = {name: (KeyPair.generate(), free_port()) for name in ("a", "b", "c")}
    return config(nodes), nodes


async def test_validators_link_pairwise_and_exchange_frames(three) -> None:
    cfg, nodes = three
    ends = [await Endpoint(cfg, key, port).start() for key, port in nodes.values()]
    try:
        for end in ends:
            await eventually(lambda end=end: len(end.peers.links) == 2)
        ends[0].peers.broadcast("ping", [1, b"x"])
        await eventually(lambda: all(len(e.received) == 1 for e in ends[1:]))
        assert ends[1].received == [("a", "ping", [1, b"x"])]
    finally:
        for end in ends:
            await end.stop()


async def test_a_key_not_in_network_toml_is_refused(three) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    stranger = KeyPair.generate()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"http://127.0.0.1:{port}/v1/peer") as ws:
            await ws.send_bytes(pack("hello", [CHAIN, stranger.address, bytes(32)]))
            reply = await ws.receive()
            assert unpack(reply.data) == ("refused", "peer.unknown_key")
        assert stranger.address not in end.peers.links
    finally:
        await end.stop()


async def test_a_node_that_cannot_sign_for_its_key_is_refused(three) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    b_key = nodes["b"][0]
    impostor = KeyPair.generate()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"http://127.0.0.1:{port}/v1/peer") as ws:
            await ws.send_bytes(pack("hello", [CHAIN, b_key.address, bytes(32)]))
            kind, (peer, challenge, _proof) = unpack((await ws.receive()).data)
            assert kind == "welcome" and peer == key.address
            # Signed with a key that is not b's: the proof does not verify.
            forged = impostor.sign(handshake_bytes(CHAIN, challenge, b_key.address, peer))
            await ws.send_bytes(pack("proof", forged))
            assert unpack((await ws.receive()).data) == ("refused", "peer.bad_proof")
        assert b_key.address not in end.peers.links
    finally:
        await end.stop()


async def test_wrong_chain_is_refused(three) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"http://127.0.0.1:{port}/v1/peer") as ws:
            await ws.send_bytes(pack("hello", ["other-chain", nodes["b"][0].address,
                                               bytes(32)]))
            assert unpack((await ws.receive()).data) == ("refused", "peer.wrong_chain")
    finally:
        await end.stop()


async def test_a_malformed_frame_closes_only_that_link(three) -> None:
    cfg, nodes = three
    ends = {name: await Endpoint(cfg, key, port).start() for name, (key, port) in nodes.items()}
    try:
        for end in ends.values():
            await eventually(lambda end=end: len(end.peers.links) == 2)
        a, b, c = (nodes[n][0].address for n in "abc")
        # b sends garbage to a: a cuts that link, keeps its link to c.
        await ends["b"].peers.links[a].ws.send_bytes(b"\xc1 not msgpack")
        await eventually(lambda: b not in ends["a"].peers.links
                         or ends["a"].peers.links[b].closed)
        assert c in ends["a"].peers.links
        ends["a"].peers.send(c, "ping", "still here")
        await eventually(lambda: ("a", "ping", "still here") in ends["c"].received)
        # The dialling side of the a–b pair dials again and the link comes back.
        await eventually(lambda: len(ends["a"].peers.links) == 2, timeout_s=15)
    finally:
        for end in ends.values():
            await end.stop()
