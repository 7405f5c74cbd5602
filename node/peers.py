"""Peer links: authenticated websockets over TLS between the nodes of the node registry.

Every validator serves `GET /v1/peer` (a websocket) over TLS on its peer address, with
a fresh TLS key whose certificate the node key vouches for (node/tls.py). A validator
dials every validator whose key sorts after its own, and an observer dials every
validator, so each pair of nodes shares one link (a validator refuses a link from one it
dials itself). Who is a node is the node registry's word (contracts/nodes.py, read through
a `Directory`: the chain), read again at each handshake and after each commit: a
validator added by governance is dialled and accepted (from the block that decides it,
so that it syncs before it votes), an observer admitted by a transaction links at once,
and the links of a node the registry no longer lists are cut and it is refused. The
dialling end accepts only a certificate bound to the node key the registry lists for the
peer. Then both ends prove they hold their node keys, in four frames:

    dialler -> hello   [chain id, its key, its nonce]
    server  -> welcome [its key, its nonce]
    dialler -> proof   signature of ("client", chain, server nonce, dialler nonce, both
                       keys, the server's TLS key)
    server  -> proof   signature of ("server", chain, dialler nonce, server nonce, both
                       keys, its TLS key)

The server signs only for a peer that has proved its key: a stranger gets no signature
to relay. Each proof names the server's TLS key, so it cannot be replayed through
another TLS endpoint. An unknown key, a wrong chain or a bad signature closes the link;
an unknown key is logged at WARNING with its reason, a line per interval at most.

Before a link is authenticated it is a stranger, and node/peer_gate.py keeps what it
can cost small (`PeerLimits`).

After the handshake, frames are msgpack arrays `[kind, payload]` of at most
`MAX_FRAME_BYTES`; a frame that does not parse, or of an unknown kind, closes that link
and nothing else. So does a flood (more frames than a token bucket allows: a burst
the size of a full mempool, then a steady rate far above an honest peer's), a replay
(many copies of frames the link already carried) and a peer that does not read what it
asked for (more than `max_queued_bytes` waiting for it). What a frame means is the
node's business: the link hands `(peer key, kind, payload)` to a handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
import msgpack
from aiohttp import web

from contracts import nodes
from contracts.identity import KeyPair, verify
from node import tls
from node.chain import NodeEntries
from node.config import NetworkConfig
from node.peer_gate import Listener, PeerLimits, RefusalLog, clip, http_logger
from node.signer import HANDSHAKE_DOMAIN, NodeSigner, as_signer

log = logging.getLogger("claimledger.peers")

MAX_FRAME_BYTES = 16 << 20  # a block of 2,000 transactions fits many times over
MAX_QUEUED_FRAMES = 10_000  # per link: a slow peer is cut off, never buffered without bound
RECONNECT_S = 0.5
NONCE_BYTES = 32
FRAME_BURST = 100_000  # frames a link may send at once (a full mempool on connect)
FRAME_RATE_PER_S = 20_000  # and then per second
REPLAY_WINDOW = 4096  # recent frames of a link remembered by digest
MAX_REPLAYS = 1024  # copies of remembered frames before the link is cut off
CLOSE_REFUSED_S = 0.5  # a refused stranger's websocket close, at most

Handler = Callable[["Link", str, object], Awaitable[None]]


class Directory(Protocol):
    """The node registry as links read it (node.chain.Chain is one)."""

    def node_role(self, key: bytes) -> str | None: ...

    def registry_entries(self, height: int | None = None) -> NodeEntries: ...


class GenesisDirectory:
    """The configuration's nodes, for links without a chain (tests of the links alone)."""

    def __init__(self, config: NetworkConfig) -> None:
        nobody = bytes(32)
        validators = (nodes.Validator(e.key, e.power, e.peer, nobody, e.name)
                      for e in config.validators)
        observers = (nodes.Observer(e.key, nobody, e.name) for e in config.observers)
        self.entries = NodeEntries(0, tuple(sorted(validators, key=lambda v: v.key)), (),
                                   tuple(sorted(observers, key=lambda o: o.key)))

    def node_role(self, key: bytes) -> str | None:
        if any(v.key == key for v in self.entries.validators):
            return "validator"
        return "observer" if any(o.key == key for o in self.entries.observers) else None

    def registry_entries(self, height: int | None = None) -> NodeEntries:
        return self.entries


class PeerError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def refusal(self) -> str:
        """The code a refusing peer sent (`peer.refused`), else this error's own code."""
        if self.code == "peer.refused":
            return self.message.rpartition(": ")[2]
        return self.code


def handshake_bytes(role: str, chain_id: str, challenge: bytes, nonce: bytes, signer: bytes,
                    verifier: bytes, tls_key: bytes) -> bytes:
    """What a node signs to prove its key: its role, the other's challenge and its own
    nonce, both keys, the chain and the server's TLS key."""
    return HANDSHAKE_DOMAIN + msgpack.packb(
        [role, chain_id, challenge, nonce, signer, verifier, tls_key], use_bin_type=True
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
    max_queued_bytes: int = PeerLimits.max_queued_bytes
    queued_bytes: int = 0
    _closing: asyncio.Task | None = None

    def send(self, kind: str, payload: object) -> bool:
        """Queue a frame; a link whose queue is full is closed (the peer is too slow)."""
        if self.closed:
            return False
        frame = pack(kind, payload)
        if self.queued_bytes + len(frame) > self.max_queued_bytes:
            self.cut(f"{self.queued_bytes + len(frame)} bytes wait for it")
            return False
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.cut(f"{self.queue.qsize()} frames wait for it")
            return False
        self.queued_bytes += len(frame)
        return True

    def cut(self, why: str) -> None:
        """Close a link whose peer does not read: drop what waits for it."""
        log.warning("peer %s is not keeping up (%s); closing its link", self.name, why)
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queued_bytes = 0
        if self.ws is not None and self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self.ws.close())

    async def pump(self) -> None:
        while not self.closed:
            frame = await self.queue.get()
            self.queued_bytes -= len(frame)
            await self.ws.send_bytes(frame)


class Peers:
    """The links of one node, and the tasks that keep its outgoing ones up."""

    def __init__(self, config: NetworkConfig, signer: NodeSigner | KeyPair,
                 kinds: frozenset[str],
                 handler: Handler, routes: dict[bytes | str, str] | None = None,
                 budget: Callable[[], Budget] = Budget,
                 limits: PeerLimits | None = None,
                 directory: Directory | None = None) -> None:
        """`routes` overrides the address dialled for a peer (a proxy, in fault tests);
        `directory` is the node registry (default: the genesis's nodes)."""
        self.budget = budget
        self.limits = limits or PeerLimits()
        self.config = config
        self.signer = as_signer(signer)
        self.address = self.signer.address
        self.kinds = kinds
        self.handler = handler
        self.directory: Directory = directory or GenesisDirectory(config)
        # Key (or name, for a node the genesis does not list) -> address, over the registry's.
        self.routes: dict[bytes | str, str] = dict(routes or {})
        self.names: dict[bytes, str] = {}  # node key -> name, as the registry gives it
        self.peer_addresses: dict[bytes, str] = {}  # validator key -> its peer address
        self.validators: set[bytes] = set()  # in force or upcoming: consensus goes to them
        self.dialling: dict[bytes, asyncio.Task] = {}
        self._closing: set[asyncio.Task] = set()
        self.unknown = RefusalLog(self.limits.refusal_log_interval_s, log,
                                  "refused the node key %s: peer.unknown_key, %s")
        self.links: dict[bytes, Link] = {}
        self.on_connect: Callable[[Link], None] | None = None
        self.listener: Listener | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._client_tls = tls.client_context()
        self._runner: web.AppRunner | None = None
        # A peer that refuses this node's link (its key not registered there, another
        # chain): at WARNING with the reason, at most a line per interval however often
        # the dialling repeats.
        self.dial_refusals = RefusalLog(self.limits.refusal_log_interval_s, log,
                                        "the peer %s refused this node's link: %s")
        self.read_registry()

    def make_identity(self) -> tls.TlsIdentity:
        return tls.make_identity(self.signer, self.config.chain_id,
                                 self.names.get(self.address, "node"))

    async def listen(self, host: str, port: int) -> None:
        """Serve `/v1/peer` over TLS with a fresh TLS key bound to this node's key."""
        limits = self.limits
        app = web.Application(client_max_size=limits.upgrade_body_bytes)
        app.router.add_get("/v1/peer", self.accept)
        refusals = RefusalLog(limits.refusal_log_interval_s)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, max_line_size=limits.header_line_bytes,
            max_field_size=limits.header_line_bytes, max_headers=limits.max_headers,
            logger=http_logger(refusals))
        await self._runner.setup()
        assert self._runner.server is not None
        self.listener = Listener(limits, self.make_identity(), self._runner.server, refusals)
        await self.listener.start(host, port)
        self._tasks.append(asyncio.create_task(self._renew_identity()))

    async def _renew_identity(self) -> None:
        """A fresh TLS key and binding every `renew_s` (see tls.keep_renewing)."""

        def renew() -> None:
            if self.listener is not None:
                self.listener.renew(self.make_identity())

        await tls.keep_renewing(renew, self.limits.renew_s, "the peer port's")

    # ------------------------------------------------------------------ sending

    def broadcast(self, kind: str, payload: object, validators_only: bool = False) -> None:
        for link in list(self.links.values()):
            if not validators_only or link.peer in self.validators:
                link.send(kind, payload)

    def send(self, peer: bytes, kind: str, payload: object) -> bool:
        link = self.links.get(peer)
        return link is not None and link.send(kind, payload)

    # ------------------------------------------------------------------ dialling

    def name_of(self, key: bytes) -> str:
        return self.names.get(key) or key.hex()[:16]

    def read_registry(self) -> None:
        """The registry's validators (in force and upcoming), their names and peer
        addresses, as the directory gives them now."""
        entries = self.directory.registry_entries()
        validators = (*entries.validators, *entries.upcoming)
        self.validators = {v.key for v in validators}
        self.peer_addresses = {v.key: v.peer for v in validators}
        self.names = {**{o.key: o.name for o in entries.observers},
                      **{v.key: v.name for v in validators}}

    def dial_targets(self) -> list[bytes]:
        """A validator dials the validators whose keys sort after its own; any other node
        (an observer, a node not yet admitted) dials every validator. Never this node
        under its old key: while a rotation is coming, the registry lists both keys at
        this node's peer address."""
        me = self.address
        mine = self.peer_addresses.get(me)
        others = {k for k in self.validators
                  if k != me and (mine is None or self.peer_addresses.get(k) != mine)}
        if me in self.validators:
            return sorted(k for k in others if k > me)
        return sorted(others)

    def start(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Read the registry again (after each commit): dial the validators it adds, stop
        dialling those it drops, and cut the links of the nodes it no longer lists."""
        if self._stopping:
            return
        self.read_registry()
        targets = set(self.dial_targets())
        for key in [k for k in self.dialling if k not in targets]:
            self.dialling.pop(key).cancel()
        for key in sorted(targets - self.dialling.keys()):
            self.dialling[key] = asyncio.create_task(self._keep_dialling(key))
        for link in list(self.links.values()):
            if self.directory.node_role(link.peer) is None:
                log.warning("the node registry no longer lists %s: closing its link",
                            link.name)
                link.closed = True
                closing = asyncio.get_running_loop().create_task(link.ws.close())
                self._closing.add(closing)  # held until done: a bare task may be collected
                closing.add_done_callback(self._closing.discard)

    async def stop(self) -> None:
        self._stopping = True
        for task in (*self._tasks, *self.dialling.values()):
            task.cancel()
        if self.listener is not None:
            await self.listener.stop()
        for link in list(self.links.values()):
            link.closed = True
            await link.ws.close()
        await asyncio.gather(*self._tasks, *self.dialling.values(), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _keep_dialling(self, target: bytes) -> None:
        deadline_s = self.limits.handshake_deadline_s
        async with aiohttp.ClientSession() as session:
            while not self._stopping:
                # Read each time: a validator's peer address may change in the registry.
                name = self.name_of(target)
                address = self.routes.get(target) or self.routes.get(name) \
                    or self.peer_addresses.get(target)
                url = f"https://{address}/v1/peer"
                try:
                    ws = await asyncio.wait_for(session.ws_connect(
                        url, max_msg_size=MAX_FRAME_BYTES, heartbeat=5,
                        timeout=aiohttp.ClientWSTimeout(ws_close=2), ssl=self._client_tls,
                    ), deadline_s)
                    try:
                        tls_key = tls.check_binding(ws.get_extra_info("ssl_object"),
                                                    self.config.chain_id, target)
                        link = await asyncio.wait_for(
                            self._client_handshake(ws, target, tls_key), deadline_s)
                        await self._serve_link(link)
                    finally:
                        await ws.close()
                except tls.TlsError as e:
                    log.warning("refused the peer at %s for %s: %s", url, name, e)
                except PeerError as e:
                    if e.code == "peer.closed":  # going away (a restart), not a refusal
                        log.debug("link to %s: %s", name, clip(e))
                    else:
                        self.dial_refusals.note(e.refusal, name)
                except (aiohttp.ClientError, OSError, TimeoutError, ssl.SSLError) as e:
                    log.debug("link to %s: %s", name, clip(e))
                except asyncio.CancelledError:
                    raise
                await asyncio.sleep(RECONNECT_S)

    # ------------------------------------------------------------------ handshakes

    async def _receive(self, ws) -> tuple[str, object]:
        message = await asyncio.wait_for(ws.receive(), self.limits.handshake_deadline_s)
        if message.type != aiohttp.WSMsgType.BINARY:
            raise PeerError("peer.closed", "the peer closed the link during the handshake")
        if len(message.data) > self.limits.handshake_frame_bytes:
            raise PeerError("peer.handshake_frame_too_big",
                            f"a handshake frame holds at most "
                            f"{self.limits.handshake_frame_bytes} bytes")
        return unpack(message.data)

    def _check_proof(self, role: str, peer: bytes, mine: bytes, theirs: bytes,
                     signature: object, tls_key: bytes) -> None:
        message = handshake_bytes(role, self.config.chain_id, mine, theirs, peer,
                                  self.address, tls_key)
        if not (isinstance(signature, bytes) and verify(peer, message, signature)):
            raise PeerError("peer.bad_proof", "the peer's handshake signature does not verify")

    def _prove(self, role: str, theirs: bytes, mine: bytes, peer: bytes,
               tls_key: bytes) -> bytes:
        return self.signer.sign_handshake(handshake_bytes(
            role, self.config.chain_id, theirs, mine, self.address, peer, tls_key))

    async def _client_handshake(self, ws, target: bytes, tls_key: bytes) -> Link:
        mine = os.urandom(NONCE_BYTES)
        await ws.send_bytes(pack("hello", [self.config.chain_id, self.address, mine]))
        kind, payload = await self._receive(ws)
        if kind == "refused":
            raise PeerError("peer.refused", f"the peer refused us: {clip(payload)}")
        if not (kind == "welcome" and isinstance(payload, list) and len(payload) == 2):
            raise PeerError("peer.bad_handshake", "expected welcome")
        peer, theirs = payload
        if peer != target:
            raise PeerError("peer.unknown_key", "the peer answered with another key")
        if not (isinstance(theirs, bytes) and len(theirs) == NONCE_BYTES):
            raise PeerError("peer.bad_handshake", "bad challenge")
        await ws.send_bytes(pack("proof", self._prove("client", theirs, mine, peer, tls_key)))
        kind, proof = await self._receive(ws)
        if kind == "refused":
            raise PeerError("peer.refused", f"the peer refused us: {clip(proof)}")
        if kind != "proof":
            raise PeerError("peer.bad_handshake", "expected proof")
        self._check_proof("server", peer, mine, theirs, proof, tls_key)
        return Link(peer, self.name_of(peer), ws, max_queued_bytes=self.limits.max_queued_bytes)

    async def accept(self, request: web.Request) -> web.StreamResponse:
        """The `/v1/peer` route: authenticate an incoming link, then serve it."""
        assert self.listener is not None
        gate = self.listener.gates.get(request.transport)  # type: ignore[arg-type]
        if gate is None or gate.identity is None:
            raise web.HTTPForbidden(text="peer links come through the peer port")
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=5)
        await ws.prepare(request)
        try:
            peer = await self._server_handshake(ws, gate.identity.tls_key)
        except (PeerError, TimeoutError) as e:
            code = e.code if isinstance(e, PeerError) else "peer.handshake_timeout"
            gate.settle(code)
            if not ws.closed:  # say why, then close: briefly, a stranger need not answer
                with contextlib.suppress(ConnectionError, aiohttp.ClientError, TimeoutError):
                    await ws.send_bytes(pack("refused", code))
                    await asyncio.wait_for(ws.close(), CLOSE_REFUSED_S)
            if gate.transport is not None:
                gate.transport.abort()
            return ws
        gate.authenticated()
        await self._serve_link(Link(peer, self.name_of(peer), ws,
                                    max_queued_bytes=self.limits.max_queued_bytes))
        return ws

    async def _server_handshake(self, ws: web.WebSocketResponse, tls_key: bytes) -> bytes:
        """The peer's key, once it has proved it; `PeerError` otherwise."""
        kind, payload = await self._receive(ws)
        if not (kind == "hello" and isinstance(payload, list) and len(payload) == 3):
            raise PeerError("peer.bad_handshake", "expected hello")
        chain_id, peer, theirs = payload
        if chain_id != self.config.chain_id:
            raise PeerError("peer.wrong_chain", "the peer runs another chain")
        if not isinstance(peer, bytes) or peer == self.address:
            raise PeerError("peer.bad_handshake", "a node key is 32 bytes, and not mine")
        role = self.directory.node_role(peer)  # at each handshake: the registry now
        if role is None:
            self.unknown.note("the registry lists no such node (not admitted, or removed)",
                              peer.hex())
            raise PeerError("peer.unknown_key", "the node registry lists no node of this key")
        me_validator = self.address in self.validators
        if role != "validator" and not me_validator:
            self.unknown.note("observers link only to validators", peer.hex())
            raise PeerError("peer.unknown_key", "observers link only to validators")
        if role == "validator" and me_validator and peer > self.address:
            raise PeerError("peer.wrong_direction", "this node dials that peer itself")
        if not (isinstance(theirs, bytes) and len(theirs) == NONCE_BYTES):
            raise PeerError("peer.bad_handshake", "bad challenge")
        mine = os.urandom(NONCE_BYTES)
        await ws.send_bytes(pack("welcome", [self.address, mine]))
        kind, proof = await self._receive(ws)
        if kind != "proof":
            raise PeerError("peer.bad_handshake", "expected proof")
        self._check_proof("client", peer, mine, theirs, proof, tls_key)
        await ws.send_bytes(pack("proof", self._prove("server", theirs, mine, peer, tls_key)))
        return peer

    # ------------------------------------------------------------------ serving

    async def _serve_link(self, link: Link) -> None:
        previous = self.links.get(link.peer)
        if previous is not None:  # the newer link of the same key wins; the old one closes
            log.info("a new link with %s replaces its previous one", link.name)
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
                                    clip(link.ws.exception()))
                        break
                    continue
                try:
                    budget.spend(message.data)
                    kind, payload = unpack(message.data)
                    if kind not in self.kinds:
                        raise PeerError("peer.bad_frame", f"unknown kind {clip(kind, 40)}")
                    await self.handler(link, kind, payload)
                except PeerError as e:
                    log.warning("closing the link to %s: %s", link.name, clip(e))
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
