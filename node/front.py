"""The API's front door: what one client without a key may cost the node, bounded.

Every limit below holds from a connection's first byte to the last of its answer:

- connections: at most `max_connections_per_address` open at once from one address and
  `max_connections` in all; a connection past either is closed at once, before a byte
  of it is read (`GuardedProtocol`, installed by `FrontSite`);
- request heads: a connection that has not sent a whole request line and headers within
  `head_timeout_s` of opening, or of the end of its previous answer, is closed; that is
  also how long an idle keep-alive connection stays open (aiohttp's keep-alive timer,
  which runs exactly while the connection waits for a request head);
- bodies: `read_body` refuses a body past the route's maximum as it arrives (413
  `request.too_large`, counted on the bytes held, never on a declared length alone) and
  one that arrives slower than `min_body_bytes_per_s` after `body_grace_s` (408
  `request.body_timeout`), so a trickling client cannot hold an upload slot;
- content codings: a body with a Content-Encoding other than identity is refused (415
  `request.encoding_refused`) and the server never decompresses. Transactions are
  signatures, hashes and ciphertext, which do not compress, so no client gains by it,
  while a few kilobytes of gzip expand to megabytes before any size check could see them;
- answers: a client that does not take its answer within `answer_grace_s` plus its
  length at `min_answer_bytes_per_s` is cut off (`answer_deadline`): a client that never
  reads would otherwise hold the answer's bytes and its connection for ever;
- logs: what an anonymous request can make the node log goes through `LogThrottle`:
  a client's malformed HTTP is one line without a traceback, and a burst of lines of
  one kind is cut to a few, then one summary of how many were left out.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from contracts.errors import LedgerError

log = logging.getLogger("claimledger.http")

IDENTITY_CODINGS = frozenset({"", "identity"})


@dataclass(frozen=True)
class FrontLimits:
    """What one client may hold of the node's API: connections, time and bytes."""

    head_timeout_s: float = 10.0  # a request head, counted from connect or the last answer
    body_grace_s: float = 10.0  # a body may start slowly ...
    min_body_bytes_per_s: int = 64 * 1024  # ... but then keeps up this rate on average
    linger_s: float = 2.0  # unread body bytes drained after an answer, then the link closes
    answer_grace_s: float = 10.0  # a client takes its answer within this ...
    min_answer_bytes_per_s: int = 64 * 1024  # ... plus its length at this rate
    max_connections: int = 1024
    max_connections_per_address: int = 32
    log_burst: int = 10  # log lines of one kind let through at once ...
    log_window_s: float = 60.0  # ... per this window; the rest summarised

    def __post_init__(self) -> None:
        if min(self.head_timeout_s, self.body_grace_s, self.answer_grace_s,
               self.log_window_s) <= 0:
            raise ValueError("timeouts and the log window are positive")
        if min(self.min_body_bytes_per_s, self.min_answer_bytes_per_s, self.max_connections,
               self.max_connections_per_address, self.log_burst) < 1 or self.linger_s < 0:
            raise ValueError("rates, connection caps and the log burst are at least 1")
        if self.max_connections_per_address > self.max_connections:
            raise ValueError("max_connections_per_address exceeds max_connections")


FRONT_LIMITS = web.AppKey("front_limits", FrontLimits)
FRONT_LOG = web.AppKey("front_log", logging.Logger)  # throttled (see throttled_logger)


# ---------------------------------------------------------------- request bodies


def refuse_encoded_body(request: web.Request) -> None:
    """415 `request.encoding_refused` for a body in any content coding but identity."""
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in IDENTITY_CODINGS:
        raise LedgerError("request.encoding_refused",
                          f"request bodies are taken as sent, without a Content-Encoding "
                          f"(got {coding[:40]!r}); send the bytes uncompressed")


async def read_body(request: web.Request, max_bytes: int, too_large: str) -> bytes:
    """The body, at most `max_bytes` as held in memory (413 `request.too_large` with the
    sentence `too_large` as soon as it is exceeded), arriving no slower than the front's
    minimum rate (408 `request.body_timeout` otherwise). The answer to either closes the
    connection after at most `linger_s` more of draining (`errors_as_json`)."""
    refuse_encoded_body(request)
    limits = request.app.get(FRONT_LIMITS) or FrontLimits()
    if request.content_length is not None and request.content_length > max_bytes:
        raise LedgerError("request.too_large", too_large)
    loop = asyncio.get_running_loop()
    start = loop.time()
    body = bytearray()
    try:
        while True:
            # After the grace, the body has come at least at the minimum rate on average.
            deadline = start + limits.body_grace_s + len(body) / limits.min_body_bytes_per_s
            async with asyncio.timeout_at(deadline):
                chunk = await request.content.readany()
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > max_bytes:
                raise LedgerError("request.too_large", too_large)
    except TimeoutError:
        raise LedgerError(
            "request.body_timeout",
            f"the body came slower than {limits.min_body_bytes_per_s} bytes a second "
            f"(after {limits.body_grace_s:g} s); {len(body)} bytes had arrived") from None
    except web.RequestPayloadError:
        raise LedgerError("request.bad_body", "the body could not be read as sent (its "
                          "chunking is broken)") from None


@web.middleware
async def answer_deadline(
    request: web.Request,
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Send the handler's answer here, under a deadline: aiohttp would wait for a client
    that stops reading for ever, holding the answer in memory. Past the deadline the
    connection is dropped (aiohttp then takes the client for gone)."""
    response = await handler(request)
    limits = request.app.get(FRONT_LIMITS) or FrontLimits()
    length = response.content_length or 0
    deadline_s = limits.answer_grace_s + length / limits.min_answer_bytes_per_s
    try:
        async with asyncio.timeout(deadline_s):
            await response.prepare(request)
            await response.write_eof()
    except TimeoutError:
        transport = request.transport
        if transport is not None:
            transport.abort()
        request.app.get(FRONT_LOG, log).info(
            "cut off %s after %.0f s: it did not take its answer to %s %s",
            request.remote, deadline_s, request.method, request.raw_path[:100])  # as sent
    return response


# ---------------------------------------------------------------- connections


class ConnectionCounts:
    """Open connections, in all and per client address."""

    def __init__(self, limits: FrontLimits) -> None:
        self.limits = limits
        self.total = 0
        self.by_address: Counter[str] = Counter()
        self.refused = 0

    def admit(self, address: str) -> bool:
        if self.total >= self.limits.max_connections \
                or self.by_address[address] >= self.limits.max_connections_per_address:
            self.refused += 1
            return False
        self.total += 1
        self.by_address[address] += 1
        return True

    def release(self, address: str) -> None:
        assert self.total > 0 and self.by_address[address] > 0
        self.total -= 1
        self.by_address[address] -= 1
        if not self.by_address[address]:
            del self.by_address[address]


class GuardedProtocol(asyncio.Protocol):
    """A connection admitted by its address before aiohttp's protocol is even made; one
    past the caps is aborted on arrival, so nothing of it is read or parsed."""

    def __init__(self, counts: ConnectionCounts, make_inner: Callable[[], Any],
                 logger: logging.Logger = log) -> None:
        self.counts = counts
        self.make_inner = make_inner
        self.inner: Any = None
        self.address: str | None = None
        self.log = logger

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) and peer else str(peer)
        if not self.counts.admit(address):
            assert isinstance(transport, asyncio.Transport)
            transport.abort()
            self.log.warning("refused a connection from %s: %d open from it, %d in all",
                        address, self.counts.by_address[address], self.counts.total)
            return
        self.address = address
        self.inner = self.make_inner()
        self.inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.address is not None:
            self.counts.release(self.address)
            self.address = None
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return None if self.inner is None else self.inner.eof_received()

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


class FrontSite(web.BaseSite):
    """A TCP site whose connections pass the front's caps (see `GuardedProtocol`)."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int,
                 limits: FrontLimits, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self.host = host
        self.port = port
        self.counts = ConnectionCounts(limits)
        self.log = throttled_logger("claimledger.http", limits)

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            lambda: GuardedProtocol(self.counts, server, self.log), self.host, self.port,
            ssl=self._ssl_context, reuse_address=True,
            # The handshake within the head's deadline: a client that never finishes it
            # holds a connection slot no longer than one that never sends a request.
            ssl_handshake_timeout=self.counts.limits.head_timeout_s
            if self._ssl_context is not None else None)

    @property
    def port_bound(self) -> int:
        """The port listened on (the one asked for, or the one given for port 0)."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])


def runner_options(limits: FrontLimits) -> dict[str, Any]:
    """aiohttp server settings that carry the front's limits (see the module's text)."""
    return {
        "keepalive_timeout": limits.head_timeout_s,
        "lingering_time": limits.linger_s,
        "auto_decompress": False,  # never inflate a client's bytes (see refuse_encoded_body)
        "access_log": None,
        "logger": throttled_logger("claimledger.http.server", limits),
        "handler_cancellation": True,  # a client gone away stops costing: its handler ends
    }


async def start_front(app: web.Application, host: str, port: int,
                      ssl_context: ssl.SSLContext | None = None
                      ) -> tuple[web.AppRunner, FrontSite]:
    """Serve `app` on host:port behind its front's limits (`FRONT_LIMITS`, set by
    make_app), over TLS with `ssl_context` (node/api_tls.py) or plain without; the
    runner to clean up and the site."""
    limits = app[FRONT_LIMITS]
    runner = web.AppRunner(app, **runner_options(limits))
    await runner.setup()
    site = FrontSite(runner, host, port, limits, ssl_context)
    await site.start()
    return runner, site


# ---------------------------------------------------------------- logs


class LogThrottle(logging.Filter):
    """Lets `burst` records of one kind (logger and message template) through per window,
    and then, on the first record of the next window, says how many were left out.

    A record about a client's malformed HTTP (aiohttp's HttpProcessingError) loses its
    traceback and is logged at INFO: it describes the client, not a fault of the node.
    """

    def __init__(self, burst: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst = burst
        self.window_s = window_s
        self.clock = clock
        self.windows: dict[tuple[str, str, str], tuple[float, int, int]] = {}  # start, seen, cut

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        kind = (record.name, str(record.msg), type(exc).__name__)
        if isinstance(exc, HttpProcessingError):
            said = " ".join(str(exc).split())[:200]  # one line, whatever the client sent
            if record.args:  # the template is formatted with them: its "%" stays text
                said = said.replace("%", "%%")
            record.msg = f"{record.msg}: {type(exc).__name__}: {said}"
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        now = self.clock()
        start, seen, cut = self.windows.get(kind, (now, 0, 0))
        if now - start >= self.window_s:
            if cut:
                record.msg = f"{record.msg} [{cut} more like this left out in the last " \
                             f"{now - start:.0f} s]"
            start, seen, cut = now, 0, 0
        if seen >= self.burst:
            self.windows[kind] = (start, seen, cut + 1)
            return False
        if len(self.windows) >= 1024 and kind not in self.windows:
            self.windows.clear()  # message templates are few; a bound all the same
        self.windows[kind] = (start, seen + 1, cut)
        return True


def throttled_logger(name: str, limits: FrontLimits) -> logging.Logger:
    """A logger of its own under the name `name`, with a `LogThrottle` of these limits.

    Not the registered logger of that name (which would share one throttle among every
    app in the process): a child of it, so its records reach the same handlers.
    """
    logger = logging.Logger(name)
    logger.parent = logging.getLogger(name)
    logger.addFilter(LogThrottle(limits.log_burst, limits.log_window_s))
    return logger
