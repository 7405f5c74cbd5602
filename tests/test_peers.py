"""Peer links: TLS pinned to node keys, the handshake proves each node's key, strangers,
garbage, floods and replays are cut off."""

from __future__ import annotations

import asyncio
import logging
import ssl

import aiohttp
import pytest

from contracts.identity import KeyPair
from node import tls
from node.config import NetworkConfig, NodeEntry, Timing
from node.peers import (
    MAX_FRAME_BYTES,
    Budget,
    GenesisDirectory,
    Link,
    Peers,
    handshake_bytes,
    pack,
    unpack,
)
from node.signer import LocalSigner
from tests.nodeproc import free_port

CHAIN = "claimledger-peers-test"


def config(validators: dict[str, tuple[KeyPair, int]],
           observers: dict[str, tuple[KeyPair, int]] | None = None) -> NetworkConfig:
    def entries(nodes: dict[str, tuple[KeyPair, int]]) -> tuple[NodeEntry, ...]:
        return tuple(NodeEntry(name, key.address, "127.0.0.1:1", 1, f"127.0.0.1:{port}")
                     for name, (key, port) in nodes.items())

    return NetworkConfig(CHAIN, None, entries(validators),  # type: ignore[arg-type]
                         entries(observers or {}), Timing(100, 5000, 100, 100), 0)


class Endpoint:
    """A `Peers` listening on its own TLS port, recording the frames it receives."""

    def __init__(self, cfg: NetworkConfig, key: KeyPair, port: int,
                 budget: type[Budget] | None = None) -> None:
        self.received: list[tuple[str, str, object]] = []
        self.peers = Peers(cfg, key, frozenset({"ping"}), self.handle,
                           **({"budget": budget} if budget else {}))
        self.port = port

    async def handle(self, link: Link, kind: str, payload: object) -> None:
        self.received.append((link.name, kind, payload))

    async def start(self) -> Endpoint:
        await self.peers.listen("127.0.0.1", self.port)
        self.peers.start()
        return self

    async def stop(self) -> None:
        await self.peers.stop()


def peer_url(port: int) -> str:
    return f"https://127.0.0.1:{port}/v1/peer"


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


class ChangingRegistry(GenesisDirectory):
    """The node registry as a chain would answer it, with observers admitted and removed
    by the test (as a transaction would)."""

    def __init__(self, cfg: NetworkConfig) -> None:
        super().__init__(cfg)
        self.admitted: set[bytes] = set()

    def node_role(self, key: bytes) -> str | None:
        return "observer" if key in self.admitted else super().node_role(key)


async def test_an_observer_links_once_admitted_and_is_cut_once_removed(three, caplog) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    registry = ChangingRegistry(cfg)
    validator = Peers(cfg, key, frozenset({"ping"}), lambda *_: asyncio.sleep(0),
                      directory=registry)
    await validator.listen("127.0.0.1", port)
    validator.start()
    newcomer = KeyPair.generate()
    observer = Peers(cfg, newcomer, frozenset({"ping"}), lambda *_: asyncio.sleep(0))
    try:
        with caplog.at_level(logging.WARNING, logger="claimledger.peers"):
            observer.start()  # it dials every validator of its registry (here: a, b, c)
            await eventually(lambda: validator.listener.refusals.counts["peer.unknown_key"] > 0)
        assert f"refused the node key {newcomer.address.hex()}: peer.unknown_key, the " \
            "registry lists no such node" in caplog.text
        assert newcomer.address not in validator.links
        registry.admitted.add(newcomer.address)  # a transaction admits it: no restart
        await eventually(lambda: newcomer.address in validator.links)
        registry.admitted.clear()  # removed: the next block's refresh cuts its link
        validator.refresh()
        await eventually(lambda: newcomer.address not in validator.links)
    finally:
        await observer.stop()
        await validator.stop()


async def test_a_key_not_in_network_toml_is_refused(three) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    stranger = KeyPair.generate()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
            await ws.send_bytes(pack("hello", [CHAIN, stranger.address, bytes(32)]))
            reply = await ws.receive()
            assert unpack(reply.data) == ("refused", "peer.unknown_key")
        assert stranger.address not in end.peers.links
    finally:
        await end.stop()


def dialler_and_dialled(nodes: dict[str, tuple[KeyPair, int]]) -> tuple[KeyPair, KeyPair, int]:
    """Of a and b, the one that dials (the lower key), the other one and its port."""
    low, high = sorted((nodes["a"], nodes["b"]), key=lambda node: node[0].address)
    return low[0], high[0], high[1]


async def test_a_node_that_cannot_sign_for_its_key_is_refused(three) -> None:
    cfg, nodes = three
    claimed, key, port = dialler_and_dialled(nodes)
    end = await Endpoint(cfg, key, port).start()
    impostor = KeyPair.generate()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
            tls_key = tls.check_binding(ws.get_extra_info("ssl_object"), CHAIN, key.address)
            await ws.send_bytes(pack("hello", [CHAIN, claimed.address, bytes(32)]))
            kind, (peer, challenge) = unpack((await ws.receive()).data)
            assert kind == "welcome" and peer == key.address
            # Signed with a key that is not the claimed one: the proof does not verify.
            forged = impostor.sign(handshake_bytes("client", CHAIN, challenge, bytes(32),
                                                   claimed.address, peer, tls_key))
            await ws.send_bytes(pack("proof", forged))
            assert unpack((await ws.receive()).data) == ("refused", "peer.bad_proof")
        assert claimed.address not in end.peers.links
    finally:
        await end.stop()


async def test_a_stranger_gets_no_signature_of_the_node_key(three) -> None:
    # Before: the welcome carried the server's proof over the stranger's challenge, a
    # signature it could relay to another node as the client proof of this one.
    cfg, nodes = three
    claimed, key, port = dialler_and_dialled(nodes)
    end = await Endpoint(cfg, key, port).start()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
            await ws.send_bytes(pack("hello", [CHAIN, claimed.address, bytes(32)]))
            kind, welcome = unpack((await ws.receive()).data)
            assert kind == "welcome"
            assert welcome == [key.address, welcome[1]] and len(welcome[1]) == 32
            await ws.send_bytes(pack("proof", bytes(64)))
            assert unpack((await ws.receive()).data) == ("refused", "peer.bad_proof")
    finally:
        await end.stop()


async def test_wrong_chain_is_refused(three) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
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


async def test_links_are_tls_with_the_certificate_of_the_node_key(three) -> None:
    cfg, nodes = three
    key, port = nodes["a"]
    end = await Endpoint(cfg, key, port).start()
    try:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(peer_url(port), ssl=tls.client_context()) as ws:
            ssl_object = ws.get_extra_info("ssl_object")
            assert ssl_object.version() == "TLSv1.3"
            tls_key = tls.check_binding(ssl_object, CHAIN, key.address)
            assert tls_key != key.address  # the node key never serves TLS
            with pytest.raises(tls.TlsError) as refused:
                tls.check_binding(ssl_object, CHAIN, nodes["b"][0].address)
            assert refused.value.code == "peer.tls_key_mismatch"
            with pytest.raises(tls.TlsError) as refused:
                tls.check_binding(ssl_object, "another-chain", key.address)
            assert refused.value.code == "peer.tls_bad_binding"
        # Plain HTTP on the peer port gets no websocket.
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientError):
                await session.ws_connect(f"http://127.0.0.1:{port}/v1/peer")
    finally:
        await end.stop()


async def test_a_server_without_the_pinned_key_is_never_linked(three, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="claimledger.peers")
    # An impostor listens at the peer address of the validator the other one dials (keys
    # sort: the lower dials the higher) with a certificate for its own key: the dialler
    # sees the wrong certificate and never sends it a frame.
    cfg, nodes = three
    dialler, dialled = sorted((nodes["a"], nodes["b"]), key=lambda node: node[0].address)
    impostor = KeyPair.generate()
    seen: list[str] = []

    async def record(link: Link, kind: str, payload: object) -> None:
        seen.append(kind)

    fake = Peers(cfg, impostor, frozenset({"ping"}), record)
    await fake.listen("127.0.0.1", dialled[1])
    end = await Endpoint(cfg, dialler[0], dialler[1]).start()
    try:
        await eventually(lambda: "peer.tls_key_mismatch" in caplog.text)
        assert dialled[0].address not in end.peers.links
        assert not fake.links and not seen
    finally:
        await end.stop()
        await fake.stop()


class SmallBudget(Budget):
    def __init__(self) -> None:
        super().__init__(burst=50, rate_per_s=10, tokens=50.0)


async def test_a_flooding_peer_is_cut_off_and_the_others_keep_going(three, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="claimledger.peers")
    cfg, nodes = three
    ends = {name: await Endpoint(cfg, key, port, SmallBudget).start()
            for name, (key, port) in nodes.items()}
    try:
        for end in ends.values():
            await eventually(lambda end=end: len(end.peers.links) == 2)
        a, c = nodes["a"][0].address, nodes["c"][0].address
        link = ends["b"].peers.links[a]
        for i in range(200):  # far over a burst of 50
            await link.ws.send_bytes(pack("ping", i))
        await eventually(lambda: "peer.flood" in caplog.text)
        assert len([r for r in ends["a"].received if r[0] == "b"]) <= 60
        ends["a"].peers.send(c, "ping", "still here")
        await eventually(lambda: ("a", "ping", "still here") in ends["c"].received)
    finally:
        for end in ends.values():
            await end.stop()


async def test_a_peer_replaying_frames_is_cut_off(three, caplog, monkeypatch) -> None:
    caplog.set_level(logging.WARNING, logger="claimledger.peers")
    monkeypatch.setattr("node.peers.MAX_REPLAYS", 20)
    cfg, nodes = three
    ends = {name: await Endpoint(cfg, key, port).start() for name, (key, port) in nodes.items()}
    try:
        for end in ends.values():
            await eventually(lambda end=end: len(end.peers.links) == 2)
        link = ends["b"].peers.links[nodes["a"][0].address]
        for _ in range(40):
            await link.ws.send_bytes(pack("ping", "the same old vote"))
        await eventually(lambda: "peer.replay" in caplog.text)
        assert len([r for r in ends["a"].received if r[0] == "b"]) <= 21
    finally:
        for end in ends.values():
            await end.stop()


async def test_an_oversized_frame_closes_the_link(three, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="claimledger.peers")
    cfg, nodes = three
    ends = {name: await Endpoint(cfg, key, port).start() for name, (key, port) in nodes.items()}
    try:
        for end in ends.values():
            await eventually(lambda end=end: len(end.peers.links) == 2)
        a, b = nodes["a"][0].address, nodes["b"][0].address
        link = ends["b"].peers.links[a]
        await link.ws.send_bytes(pack("ping", bytes(MAX_FRAME_BYTES + 1)))
        await eventually(lambda: b not in ends["a"].peers.links
                         or ends["a"].peers.links[b].closed)
        assert not any(r[0] == "b" for r in ends["a"].received)
    finally:
        for end in ends.values():
            await end.stop()


def test_certificates_carry_a_fresh_tls_key_bound_to_the_node_key() -> None:
    key = KeyPair.generate()
    first = tls.make_identity(LocalSigner(key), CHAIN, "a")
    second = tls.make_identity(LocalSigner(key), CHAIN, "a")
    der = ssl.PEM_cert_to_DER_cert(first.certificate_pem.decode())
    assert tls.certificate_binding(der, CHAIN, key.address) == first.tls_key
    assert first.tls_key != second.tls_key != key.address
    with pytest.raises(tls.TlsError) as expired:
        tls.certificate_binding(der, CHAIN, key.address, now_s=first.not_after_s + 1)
    assert expired.value.code == "peer.tls_expired"
