"""The peer port before a link is authenticated: what a stranger may cost.

The node accepts TCP connections on its peer port itself (`Listener`), so that it can
refuse one before reading a byte of it or spending a TLS handshake on it: beyond
`max_pending` connections not yet authenticated in all, `max_pending_per_address` from
one address, or the address's bucket of new connections (`connection_burst`, then
`connections_per_s`). Each admitted connection gets a `Gate`: TLS on its socket, then
the HTTP server (upgrade requests with short lines, few headers and no body), under a
deadline counted from the TCP accept (`handshake_deadline_s`: TLS handshake, upgrade
and handshake frames included) and a budget of `preauth_bytes` for all it sends after
TLS until node/peers.py says it is authenticated. A connection over the deadline or the
budget is closed. Refusals are counted by code and logged at most once per
`refusal_log_interval_s` with the count of the others, and what a peer chose is clipped
and escaped in a log line, so that no one can fill the log.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from node import tls

log = logging.getLogger("claimledger.peers")

LOGGED_CHARS = 160  # of any text a peer chose, in a log line
LINGER_RESET = struct.pack("ii", 1, 0)  # close with a reset: no lingering state


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


def clip(text: object, chars: int = LOGGED_CHARS) -> str:
    """Text a peer chose, cut short and escaped for a log line."""
    shown = repr(text) if not isinstance(text, str) else text
    shown = shown.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= chars else shown[:chars] + f"…[{len(shown)} chars]"



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
        self.logger.log(self.level, self.what + "%s", clip(who, 64), clip(code, 64), more,
                        extra={"code": clip(code, 64), "peer": clip(who, 64),
                               "unlogged": self._unlogged})
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
