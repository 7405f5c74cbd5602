"""Peer links: authenticated websockets over TLS between the nodes listed in network.toml.

Every validator serves `GET /v1/peer` (a websocket) over TLS on its peer address, with
a certificate for its own node key (node/tls.py). A validator dials every validator
whose key sorts after its own, and an observer dials every validator, so each pair of
nodes shares one link. The dialling end accepts only the certificate of the node key
network.toml lists for the peer (pinned). Both ends prove they hold the key network.toml
lists for them by signing the other's fresh challenge (with the chain id and both keys,
under a domain tag); an unknown key, a wrong chain or a bad signature closes the link.

After the handshake, frames are msgpack arrays `[kind, payload]` of at most
`MAX_FRAME_BYTES`; a frame that does not parse, or of an unknown kind, closes that link
and nothing else. So does a flood (more frames than a token bucket allows: a burst
the size of a full mempool, then a steady rate far above an honest peer's) and a replay
(many copies of frames the link already carried). What a frame means is the node's
business: the link hands `(peer key, kind, payload)` to a handler.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import msgpack
from aiohttp import web

from contracts.identity import KeyPair, verify
from node import tls
from node.config import NetworkConfig

log = logging.getLogger("claimledger.peers")

HANDSHAKE_DOMAIN = b"claimledger/peer/v1\x00"
MAX_FRAME_BYTES = 16 << 20  # a block of 2,000 transactions fits many times over
MAX_QUEUED_FRAMES = 10_000  # per link: a slow peer is cut off, never buffered without bound
HANDSHAKE_TIMEOUT_S = 5
RECONNECT_S = 0.5
NONCE_BYTES = 32
FRAME_BURST = 100_000  # frames a link may send at once (a full mempool on connect)
FRAME_RATE_PER_S = 20_000  # and then per second
REPLAY_WINDOW = 4096  # recent frames of a link remembered by digest
MAX_REPLAYS = 1024  # copies of remembered frames before the link is cut off

Handler = Callable[["Link", str, object], Awaitable[None]]


class PeerError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def handshake_bytes(chain_id: str, challenge: bytes, signer: bytes, verifier: bytes) -> bytes:
    """What a node signs to prove its key: the other's challenge, both keys, the chain."""
    return HANDSHAKE_DOMAIN + msgpack.packb(
        [chain_id, challenge, signer, verifier], use_bin_type=True
    )


def pack(kind: str, payload: object) -> bytes:
    return msgpack.packb([kind, payload], use_bin_type=True)


def unpack(data: bytes) -> tuple[str, object]:
    try:
        frame = msgpack.unpackb(data, raw=False, strict_map_key=True, max_ext_len=0)
    except (ValueError, msgpack.UnpackException, UnicodeDecodeError, RecursionError) as e:
        raise PeerError("peer.bad_frame", f"not msgpack: {e}") from e
    if not (isinstance(frame, list) and len(frame) == 2 and isinstance(frame[0], str)):
        raise PeerError("peer.bad_frame", "a frame is [kind, payload]")
    return frame[0], frame[1]


@dataclass
class Budget:
    """What an incoming link may still send: a token bucket of frames and a replay count."""

    burst: int = FRAME_BURST
    rate_per_s: int = FRAME_RATE_PER_S
    tokens: float = float(FRAME_BURST)
    last_s: float = field(default_factory=time.monotonic)
    recent: deque = field(default_factory=lambda: deque(maxlen=REPLAY_WINDOW))
    seen: dict = field(default_factory=dict)  # digest -> copies in `recent`
    replays: int = 0

    def spend(self, data: bytes) -> None:
        """Count one incoming frame; `PeerError` when the peer floods or replays."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last_s) * self.rate_per_s)
        self.last_s = now
        if self.tokens < 1:
            raise PeerError("peer.flood", f"more than {self.rate_per_s} frames a second")
        self.tokens -= 1
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if digest in self.seen:
            self.replays += 1
            if self.replays > MAX_REPLAYS:
                raise PeerError("peer.replay", f"{self.replays} frames sent again")
        if len(self.recent) == self.recent.maxlen:
            old = self.recent[0]
            self.seen[old] -= 1
            if not self.seen[old]:
                del self.seen[old]
        self.recent.append(digest)
        self.seen[digest] = self.seen.get(digest, 0) + 1


@dataclass
class Link:
    """One authenticated connection to a peer."""

    peer: bytes  # the peer's node key
    name: str
    ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(MAX_QUEUED_FRAMES))
    closed: bool = False

    def send(self, kind: str, payload: object) -> bool:
        """Queue a frame; a link whose queue is full is closed (the peer is too slow)."""
        if self.closed:
            return False
        try:
            self.queue.put_nowait(pack(kind, payload))
        except asyncio.QueueFull:
            log.warning("peer %s is not keeping up; closing its link", self.name)
            self.closed = True
            return False
        return True

    async def pump(self) -> None:
        while not self.closed:
            frame = await self.queue.get()
            await self.ws.send_bytes(frame)


class Peers:
    """The links of one node, and the tasks that keep its outgoing ones up."""

    def __init__(self, config: NetworkConfig, key: KeyPair, kinds: frozenset[str],
                 handler: Handler, routes: dict[bytes, str] | None = None,
                 budget: Callable[[], Budget] = Budget) -> None:
        """`routes` overrides the address dialled for a peer (a proxy, in fault tests)."""
        self.budget = budget
        self.config = config
        self.key = key
        self.kinds = kinds
        self.handler = handler
        self.known = {e.key: e for e in (*config.validators, *config.observers)}
        self.validators = {e.key for e in config.validators}
        self.routes = {e.key: e.peer for e in config.validators} | (routes or {})
        self.links: dict[bytes, Link] = {}
        self.on_connect: Callable[[Link], None] | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._client_tls = tls.client_context()
        self._runner: web.AppRunner | None = None

    async def listen(self, host: str, port: int, tls_dir: Path) -> None:
        """Serve `/v1/peer` over TLS with a certificate for this node's key."""
        me = self.config.node_by_key(self.key.address)
        name = me[1].name if me else "node"
        cert_path, key_path = tls.write_certificate(self.key, name, tls_dir)
        app = web.Application(client_max_size=1024)
        app.router.add_get("/v1/peer", self.accept)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port,
                          ssl_context=tls.server_context(cert_path, key_path)).start()

    # ------------------------------------------------------------------ sending

    def broadcast(self, kind: str, payload: object, validators_only: bool = False) -> None:
        for link in list(self.links.values()):
            if not validators_only or link.peer in self.validators:
                link.send(kind, payload)

    def send(self, peer: bytes, kind: str, payload: object) -> bool:
        link = self.links.get(peer)
        return link is not None and link.send(kind, payload)

    # ------------------------------------------------------------------ dialling

    def dial_targets(self) -> list[bytes]:
        me = self.key.address
        if me in self.validators:
            return sorted(k for k in self.validators if k > me)
        return sorted(self.validators)

    def start(self) -> None:
        for target in self.dial_targets():
            self._tasks.append(asyncio.create_task(self._keep_dialling(target)))

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for link in list(self.links.values()):
            link.closed = True
            await link.ws.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _keep_dialling(self, target: bytes) -> None:
        entry = self.known[target]
        url = f"https://{self.routes[target]}/v1/peer"
        async with aiohttp.ClientSession() as session:
            while not self._stopping:
                try:
                    async with session.ws_connect(
                        url, max_msg_size=MAX_FRAME_BYTES, heartbeat=5,
                        timeout=aiohttp.ClientWSTimeout(ws_close=2), ssl=self._client_tls,
                    ) as ws:
                        tls.check_pinned(ws.get_extra_info("ssl_object"), target)
                        link = await self._client_handshake(ws, target)
                        await self._serve_link(link)
                except tls.TlsError as e:
                    log.warning("refused the peer at %s for %s: %s", url, entry.name, e)
                except (aiohttp.ClientError, OSError, TimeoutError, PeerError,
                        ssl.SSLError) as e:
                    log.debug("link to %s: %s", entry.name, e)
                except asyncio.CancelledError:
                    raise
                await asyncio.sleep(RECONNECT_S)

    # ------------------------------------------------------------------ handshakes

    async def _receive(self, ws) -> tuple[str, object]:
        message = await asyncio.wait_for(ws.receive(), HANDSHAKE_TIMEOUT_S)
        if message.type != aiohttp.WSMsgType.BINARY:
            raise PeerError("peer.closed", "the peer closed the link during the handshake")
        return unpack(message.data)

    def _check_proof(self, peer: bytes, challenge: bytes, signature: object) -> None:
        message = handshake_bytes(self.config.chain_id, challenge, peer, self.key.address)
        if not (isinstance(signature, bytes) and verify(peer, message, signature)):
            raise PeerError("peer.bad_proof", "the peer's handshake signature does not verify")

    def _prove(self, challenge: bytes, peer: bytes) -> bytes:
        return self.key.sign(handshake_bytes(self.config.chain_id, challenge,
                                             self.key.address, peer))

    async def _client_handshake(self, ws, target: bytes) -> Link:
        mine = os.urandom(NONCE_BYTES)
        await ws.send_bytes(pack("hello", [self.config.chain_id, self.key.address, mine]))
        kind, payload = await self._receive(ws)
        if kind == "refused":
            raise PeerError("peer.refused", f"the peer refused us: {payload}")
        if not (kind == "welcome" and isinstance(payload, list) and len(payload) == 3):
            raise PeerError("peer.bad_handshake", "expected welcome")
        peer, theirs, proof = payload
        if peer != target:
            raise PeerError("peer.unknown_key", "the peer answered with another key")
        if not (isinstance(theirs, bytes) and len(theirs) == NONCE_BYTES):
            raise PeerError("peer.bad_handshake", "bad challenge")
        self._check_proof(peer, mine, proof)
        await ws.send_bytes(pack("proof", self._prove(theirs, peer)))
        return Link(peer, self.known[peer].name, ws)

    async def accept(self, request: web.Request) -> web.WebSocketResponse:
        """The `/v1/peer` route: authenticate an incoming link, then serve it."""
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=5)
        await ws.prepare(request)
        try:
            kind, payload = await self._receive(ws)
            if not (kind == "hello" and isinstance(payload, list) and len(payload) == 3):
                raise PeerError("peer.bad_handshake", "expected hello")
            chain_id, peer, theirs = payload
            if chain_id != self.config.chain_id:
                raise PeerError("peer.wrong_chain", f"the peer runs chain {chain_id!r}")
            if not (isinstance(peer, bytes) and peer in self.known and peer != self.key.address):
                raise PeerError("peer.unknown_key", "the key is not a node of network.toml")
            if peer not in self.validators and self.key.address not in self.validators:
                raise PeerError("peer.unknown_key", "observers link only to validators")
            if not (isinstance(theirs, bytes) and len(theirs) == NONCE_BYTES):
                raise PeerError("peer.bad_handshake", "bad challenge")
            mine = os.urandom(NONCE_BYTES)
            await ws.send_bytes(pack("welcome", [self.key.address, mine,
                                                 self._prove(theirs, peer)]))
            kind, proof = await self._receive(ws)
            if kind != "proof":
                raise PeerError("peer.bad_handshake", "expected proof")
            self._check_proof(peer, mine, proof)
        except (PeerError, TimeoutError) as e:
            code = e.code if isinstance(e, PeerError) else "peer.timeout"
            log.warning("refused a peer link from %s: %s", request.remote, code)
            if not ws.closed:
                await ws.send_bytes(pack("refused", code))
                await ws.close()
            return ws
        await self._serve_link(Link(peer, self.known[peer].name, ws))
        return ws

    # ------------------------------------------------------------------ serving

    async def _serve_link(self, link: Link) -> None:
        previous = self.links.get(link.peer)
        if previous is not None:  # the newer link wins; the old one is closed
            previous.closed = True
            await previous.ws.close()
        self.links[link.peer] = link
        log.info("linked with %s", link.name)
        pump = asyncio.create_task(link.pump())
        if self.on_connect is not None:
            self.on_connect(link)
        budget = self.budget()
        try:
            async for message in link.ws:
                if link.closed:
                    break
                if message.type != aiohttp.WSMsgType.BINARY:
                    if message.type == aiohttp.WSMsgType.ERROR:
                        log.warning("closing the link to %s: %s", link.name,
                                    link.ws.exception())
                        break
                    continue
                try:
                    budget.spend(message.data)
                    kind, payload = unpack(message.data)
                    if kind not in self.kinds:
                        raise PeerError("peer.bad_frame", f"unknown kind {kind!r}")
                    await self.handler(link, kind, payload)
                except PeerError as e:
                    log.warning("closing the link to %s: %s", link.name, e)
                    break
        except ConnectionResetError as e:  # the transport went away under the link
            log.info("the link to %s was reset: %s", link.name, e)
        finally:
            link.closed = True
            pump.cancel()
            if self.links.get(link.peer) is link:
                del self.links[link.peer]
            if not link.ws.closed:
                await link.ws.close()
            log.info("link with %s closed", link.name)
