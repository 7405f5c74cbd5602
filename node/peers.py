"""Peer links: authenticated websockets over TLS between the nodes listed in network.toml.

Every validator serves `GET /v1/peer` (a websocket) over TLS on its peer address, with
a fresh TLS key whose certificate the node key vouches for (node/tls.py). A validator
dials every validator whose key sorts after its own, and an observer dials every
validator, so each pair of nodes shares one link (a validator refuses a link from one it
dials itself). The dialling end accepts only a certificate bound to the node key
network.toml lists for the peer. Then both ends prove they hold the node key
network.toml lists for them, in four frames:

    dialler -> hello   [chain id, its key, its nonce]
    server  -> welcome [its key, its nonce]
    dialler -> proof   signature of ("client", chain, server nonce, dialler nonce, both
                       keys, the server's TLS key)
    server  -> proof   signature of ("server", chain, dialler nonce, server nonce, both
                       keys, its TLS key)

The server signs only for a peer that has proved its key: a stranger gets no signature
to relay. Each proof names the server's TLS key, so it cannot be replayed through
another TLS endpoint. An unknown key, a wrong chain or a bad signature closes the link.

Before a link is authenticated it is a stranger and costs little (`PeerLimits`): at
most `max_pending` such connections in all and `max_pending_per_address` per address
and `connections_per_s` new ones per address (more are closed before a byte is read,
and before a TLS handshake is spent on them), `handshake_deadline_s` from the TCP accept to
the last proof (TLS handshake and HTTP upgrade included), `preauth_bytes` in all that it
may send after TLS (upgrade request and handshake frames), handshake frames of at most
`handshake_frame_bytes`, small HTTP headers. Refusals are counted by code and logged at
most once per `refusal_log_interval_s`, so that no stranger can fill the log.

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
import socket
import ssl
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import msgpack
from aiohttp import web

from contracts.identity import KeyPair, verify
from node import tls
from node.config import NetworkConfig
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
LOGGED_CHARS = 160  # of any text a peer chose, in a log line
CLOSE_REFUSED_S = 0.5  # a refused stranger's websocket close, at most
LINGER_RESET = struct.pack("ii", 1, 0)  # close with a reset: no lingering state

Handler = Callable[["Link", str, object], Awaitable[None]]


@dataclass(frozen=True)
class PeerLimits:
    """What a connection to the peer port may cost before and after it is authenticated."""

    handshake_deadline_s: float = 5.0  # TCP accept to authenticated, TLS and upgrade included
    handshake_frame_bytes: int = 4096  # a handshake frame is about 150 bytes
    preauth_bytes: int = 16 << 10  # all a stranger may send after TLS: upgrade and frames
    max_pending: int = 64  # connections not yet authenticated, in all
    max_pending_per_address: int = 4  # and from one IP address
    connection_burst: int = 32  # new connections from one address at once (a TLS
    connections_per_s: float = 16.0  # handshake each), then per second
    tracked_addresses: int = 4096  # addresses whose connection rate is remembered
    upgrade_body_bytes: int = 1024  # client_max_size of the upgrade request (it has no body)
    header_line_bytes: int = 2048  # request line and each header
    max_headers: int = 16
    max_queued_bytes: int = 64 << 20  # waiting for one peer to read them
    refusal_log_interval_s: float = 10.0
    renew_s: float = tls.RENEW_S  # a new TLS key and binding this often


class PeerError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def clip(text: object, chars: int = LOGGED_CHARS) -> str:
    """Text a peer chose, cut short and escaped for a log line."""
    shown = repr(text) if not isinstance(text, str) else text
    shown = shown.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= chars else shown[:chars] + f"…[{len(shown)} chars]"


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


class RefusalLog:
    """Refusals (of connections not yet authenticated, by default), counted by code; at
    most one log line per interval, so that a peer or a stranger cannot fill the log."""

    def __init__(self, interval_s: float, logger: logging.Logger = log,
                 what: str = "refused a peer connection from %s: %s",
                 level: int = logging.WARNING) -> None:
        self.interval_s = interval_s
        self.logger, self.what, self.level = logger, what, level
        self.counts: Counter[str] = Counter()
        self._last = -interval_s
        self._unlogged = 0

    def note(self, code: str, who: str) -> None:
        self.counts[code] += 1
        now = time.monotonic()
        if now - self._last < self.interval_s:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more since the last line)" if self._unlogged else ""
        self.logger.log(self.level, self.what + "%s", clip(who, 64), clip(code, 64), more)
        self._last, self._unlogged = now, 0


class QuietHttpLog(logging.Filter):
    """The peer port's HTTP server reports a bad request (a header too long, not HTTP)
    with a traceback: here it only counts as a refusal."""

    def __init__(self, refusals: RefusalLog) -> None:
        super().__init__()
        self.refusals = refusals

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            self.refusals.note("peer.bad_http", "-")
        return False


def http_logger(refusals: RefusalLog) -> logging.Logger:
    """A logger of the peer port's HTTP server of its own (not in the logging tree)."""
    logger = logging.Logger("claimledger.peers.http")
    logger.addFilter(QuietHttpLog(refusals))
    logger.addHandler(logging.NullHandler())
    return logger


class Gate(asyncio.Protocol):
    """One incoming connection, admitted under the caps: TLS, then the HTTP server; until
    its peer is authenticated it has a deadline (from the TCP accept) and a byte budget."""

    def __init__(self, listener: Listener, address: str) -> None:
        self.listener = listener
        self.limits = listener.limits
        self.address = address
        self.pending = False
        self.transport: asyncio.Transport | None = None  # the TLS one
        self.handler: asyncio.Protocol | None = None
        self.identity: tls.TlsIdentity | None = None
        self.received = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._task: asyncio.Task | None = None

    def start(self, sock: socket.socket) -> None:
        """TLS over the accepted socket, within the deadline."""
        loop = asyncio.get_running_loop()
        self.identity = self.listener.identity  # the certificate this handshake serves
        self._deadline = loop.call_later(self.limits.handshake_deadline_s, self.expire)
        self._task = loop.create_task(self._start_tls(sock))

    async def _start_tls(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(
                lambda: self, sock, ssl=self.listener.context,
                ssl_handshake_timeout=self.limits.handshake_deadline_s + 1)  # ours first
        except asyncio.CancelledError:
            sock.close()
            raise
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError, RuntimeError):
            sock.close()
            self.refuse("peer.tls_failed")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        if not self.pending:  # the deadline passed during the TLS handshake
            transport.abort()  # type: ignore[attr-defined]
            return
        self.handler = self.listener.server()
        self.listener.gates[transport] = self
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.pending:
            self.received += len(data)
            if self.received > self.limits.preauth_bytes:
                self.refuse("peer.preauth_bytes")
                return
        if self.handler is not None:
            self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received() if self.handler is not None else None

    def pause_writing(self) -> None:
        if self.handler is not None:
            self.handler.pause_writing()

    def resume_writing(self) -> None:
        if self.handler is not None:
            self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        if self.transport is not None:
            self.listener.gates.pop(self.transport, None)
        if self.handler is not None:
            handler, self.handler = self.handler, None
            handler.connection_lost(exc)

    def authenticated(self) -> None:
        """The peer proved its key: no deadline, no byte budget, its slot is free."""
        self._release()

    def settle(self, code: str) -> None:
        """The handshake failed with `code`: counted once; the caller closes."""
        if self.pending:
            self.listener.refusals.note(code, self.address)
        self._release()

    def expire(self) -> None:
        if self.pending:
            self.refuse("peer.handshake_timeout")

    def refuse(self, code: str) -> None:
        if self.pending:
            self.listener.refusals.note(code, self.address)
        self._release()
        if self.transport is not None:
            self.transport.abort()
        elif self._task is not None:
            self._task.cancel()  # still in the TLS handshake

    def _release(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self.pending:
            self.pending = False
            self.listener.release(self)


class Listener:
    """The peer port: it accepts TCP connections itself, so that a connection beyond the
    caps is closed before a byte of it is read, and each one it admits gets a `Gate`."""

    def __init__(self, limits: PeerLimits, identity: tls.TlsIdentity,
                 server: Callable[[], asyncio.Protocol], refusals: RefusalLog) -> None:
        self.limits = limits
        self.identity = identity
        self.context = tls.server_context(identity)
        self.server = server
        self.refusals = refusals
        self.pending_by_address: Counter[str] = Counter()
        self.rates: dict[str, tuple[float, float]] = {}  # address -> (tokens, when), LRU
        self.gates: dict[asyncio.BaseTransport, Gate] = {}  # TLS transport -> its gate
        self.open: set[Gate] = set()
        self._socket: socket.socket | None = None
        self._task: asyncio.Task | None = None

    @property
    def pending(self) -> int:
        return sum(self.pending_by_address.values())

    def admit(self, gate: Gate) -> str | None:
        """Count a new connection as pending; the code that refuses it, if a cap does."""
        if self.pending >= self.limits.max_pending:
            return "peer.too_many_pending"
        if self.pending_by_address[gate.address] >= self.limits.max_pending_per_address:
            return "peer.too_many_pending_from_address"
        if not self._spend_connection(gate.address):
            return "peer.connection_rate"
        self.pending_by_address[gate.address] += 1
        gate.pending = True
        self.open.add(gate)
        return None

    def _spend_connection(self, address: str) -> bool:
        """A token of the address's bucket of new connections, if one is left."""
        limits = self.limits
        now = time.monotonic()
        tokens, last = self.rates.pop(address, (float(limits.connection_burst), now))
        tokens = min(float(limits.connection_burst),
                     tokens + (now - last) * limits.connections_per_s)
        if len(self.rates) >= limits.tracked_addresses:  # the least recently seen goes
            del self.rates[next(iter(self.rates))]
        if tokens < 1:
            self.rates[address] = (tokens, now)
            return False
        self.rates[address] = (tokens - 1, now)
        return True

    def release(self, gate: Gate) -> None:
        self.open.discard(gate)
        self.pending_by_address[gate.address] -= 1
        if self.pending_by_address[gate.address] <= 0:
            del self.pending_by_address[gate.address]

    def renew(self, identity: tls.TlsIdentity) -> None:
        tls.renew(self.context, identity)
        self.identity = identity

    async def start(self, host: str, port: int) -> None:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        listening = socket.socket(family, kind, proto)
        try:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind(address)
            listening.listen(self.limits.max_pending)
            listening.setblocking(False)
        except OSError:
            listening.close()
            raise
        self._socket = listening
        self._task = asyncio.create_task(self._accept())

    async def _accept(self) -> None:
        assert self._socket is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, peer = await loop.sock_accept(self._socket)
            except OSError as e:  # out of file descriptors: let some close first
                log.warning("cannot accept a peer connection: %s", e)
                await asyncio.sleep(0.1)
                continue
            gate = Gate(self, str(peer[0]) if peer else "?")
            code = self.admit(gate)
            if code is not None:
                self.refusals.note(code, gate.address)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
                sock.close()  # before a byte is read
                continue
            gate.start(sock)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._socket is not None:
            self._socket.close()
        for gate in list(self.open):  # strangers still in their handshake: no log line
            gate.pending = False
            gate.refuse("peer.stopping")
        self.open.clear()
        self.pending_by_address.clear()


class Peers:
    """The links of one node, and the tasks that keep its outgoing ones up."""

    def __init__(self, config: NetworkConfig, signer: NodeSigner | KeyPair,
                 kinds: frozenset[str],
                 handler: Handler, routes: dict[bytes, str] | None = None,
                 budget: Callable[[], Budget] = Budget,
                 limits: PeerLimits | None = None) -> None:
        """`routes` overrides the address dialled for a peer (a proxy, in fault tests)."""
        self.budget = budget
        self.limits = limits or PeerLimits()
        self.config = config
        self.signer = as_signer(signer)
        self.address = self.signer.address
        self.kinds = kinds
        self.handler = handler
        self.known = {e.key: e for e in (*config.validators, *config.observers)}
        self.validators = {e.key for e in config.validators}
        self.routes = {e.key: e.peer for e in config.validators} | (routes or {})
        self.links: dict[bytes, Link] = {}
        self.on_connect: Callable[[Link], None] | None = None
        self.listener: Listener | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._client_tls = tls.client_context()
        self._runner: web.AppRunner | None = None

    def make_identity(self) -> tls.TlsIdentity:
        me = self.config.node_by_key(self.address)
        return tls.make_identity(self.signer, self.config.chain_id, me[1].name if me else "node")

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
        while True:
            await asyncio.sleep(self.limits.renew_s)
            if self.listener is not None:
                self.listener.renew(self.make_identity())

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
        me = self.address
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
        if self.listener is not None:
            await self.listener.stop()
        for link in list(self.links.values()):
            link.closed = True
            await link.ws.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _keep_dialling(self, target: bytes) -> None:
        entry = self.known[target]
        url = f"https://{self.routes[target]}/v1/peer"
        deadline_s = self.limits.handshake_deadline_s
        async with aiohttp.ClientSession() as session:
            while not self._stopping:
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
                    log.warning("refused the peer at %s for %s: %s", url, entry.name, e)
                except (aiohttp.ClientError, OSError, TimeoutError, PeerError,
                        ssl.SSLError) as e:
                    log.debug("link to %s: %s", entry.name, clip(e))
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
        return Link(peer, self.known[peer].name, ws, max_queued_bytes=self.limits.max_queued_bytes)

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
        await self._serve_link(Link(peer, self.known[peer].name, ws,
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
        if not (isinstance(peer, bytes) and peer in self.known and peer != self.address):
            raise PeerError("peer.unknown_key", "the key is not a node of network.toml")
        me_validator = self.address in self.validators
        if peer not in self.validators and not me_validator:
            raise PeerError("peer.unknown_key", "observers link only to validators")
        if peer in self.validators and me_validator and peer > self.address:
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
