"""Signed API requests on the node: who sent a request, checked before any handler runs.

`request_auth(verifier, max_body_bytes=...)` is an aiohttp middleware. On every route but
the exempt ones (contracts.requests.EXEMPT_PATHS: status, health, metrics, the OpenAPI
document) it checks, cheapest first:

1. the four headers are there and well formed (401 `auth.required`);
2. their time is within the window of the node's clock (401 `auth.stale`);
3. the body, read once and bounded (413 `request.too_large`, 408, 415 as `read_body`),
   and the signature over chain id, method, target, body hash, time and nonce
   (401 `auth.bad_signature`);
4. the nonce was not seen from that member within the window (401 `auth.replayed`),
   and there is room to remember it (503 `auth.busy`, with Retry-After).

It then sets `request["caller"]` to the member's 32-byte address (None on an exempt
route) and hands the request on; the handler can read the body again as usual. It only
authenticates: whether the address is a member, and what it may read, is decided by the
read rules (403 `read.forbidden`, contracts.errors.Forbidden).

The nonce memory is bounded and never forgets a nonce while a replay of it would still
be on time: when it is full it refuses new requests (`auth.busy`) until old nonces fall
out of the window. An address is a public key anyone can make, so an outsider can pass
steps 1-3 with a fresh key per request; `known` (e.g. membership) keeps strangers to a
share of the memory, so they cannot make the node refuse its members. One address may
hold `max_per_caller` nonces, so one member key cannot fill it either.

A browser holds no member key: the explorer's pages send instead the session cookie
that a one-time sign-in link set (node/http/sessions.py). A GET or HEAD request without
the four headers whose cookie names a live session is the session's member's; any other
request, or a cookie of no live session, must be signed as above.

Place it inside the API's error middleware (`[answer_deadline, errors_as_json,
request_auth(...)]`); it answers its own refusals in the API's JSON error shape
`{"error": {"code", "message"}}` wherever it stands.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from aiohttp import web
from aiohttp.streams import StreamReader

from contracts.errors import Forbidden, LedgerError, Unauthenticated
from contracts.requests import (
    AUTH_HEADERS,
    EXEMPT_PATHS,
    WINDOW_MS,
    Credentials,
    check_signature,
    check_time,
    parse_credentials,
)
from node.front import read_body
from node.http.sessions import COOKIE, SESSION_METHODS, SESSIONS

CALLER = "caller"  # request[CALLER]: the authenticated member's address, or None

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodySlot = Callable[[web.Request], AbstractAsyncContextManager[None]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

# What read_body refuses, as the API answers it; each closes the connection, so the rest
# of a refused body is not read.
BODY_STATUS = {"request.too_large": 413, "request.encoding_refused": 415,
               "request.body_timeout": 408, "request.bad_body": 400}
WWW_AUTHENTICATE = 'Claimledger-Ed25519 headers="' + " ".join(AUTH_HEADERS) + '"'


class Busy(LedgerError):
    """The nonce memory has no room for this request now: 503 `auth.busy`."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__("auth.busy", message)
        self.retry_after_s = retry_after_s


# The HTTP status of each kind of refusal. read.forbidden is raised by the read rules in
# handlers: the API's error middleware answers it with this status.
AUTH_STATUS: dict[type[LedgerError], int] = {Unauthenticated: 401, Forbidden: 403, Busy: 503}


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class NonceLimits:
    """How many nonces the node remembers, in all, per address and for strangers.

    An entry costs some 250 bytes (a 48-byte key in a dict, a heap item, a counter), so
    the default is some 50 MB at most. Nonces live 2 windows at most (a time up to one
    window ahead, remembered until it falls one window behind): 20,000 per address is
    over 80 signed requests a second from one member, sustained."""

    max_entries: int = 200_000
    max_per_caller: int = 20_000
    max_strangers: int = 50_000  # entries of addresses `known` does not know, together

    def __post_init__(self) -> None:
        if not 1 <= self.max_per_caller <= self.max_entries:
            raise ValueError("max_per_caller is between 1 and max_entries")
        if not 0 <= self.max_strangers <= self.max_entries:
            raise ValueError("max_strangers is between 0 and max_entries")


class NonceMemory:
    """The (address, nonce) pairs seen, each kept until its time leaves the window."""

    def __init__(self, window_ms: int = WINDOW_MS, limits: NonceLimits | None = None,
                 known: Callable[[bytes], bool] | None = None) -> None:
        assert window_ms > 0
        self.window_ms = window_ms
        self.limits = limits or NonceLimits()
        self.known = known
        self._expiry: dict[bytes, int] = {}  # address + nonce -> last ms a replay is on time
        self._queue: list[tuple[int, bytes, bool]] = []  # (expiry, key, stranger's)
        self._per_caller: Counter[bytes] = Counter()
        self._strangers = 0

    def __len__(self) -> int:
        return len(self._expiry)

    def remember(self, address: bytes, nonce: bytes, time_ms: int, now_ms: int) -> None:
        """Record `nonce` of `address`, signed at `time_ms` (already checked to be within the
        window of `now_ms`); `Unauthenticated("auth.replayed")` if it is recorded already,
        `Busy` if there is no room for it."""
        self._forget_before(now_ms)
        key = address + nonce
        if key in self._expiry:
            raise Unauthenticated(
                "auth.replayed", f"this request's nonce {nonce.hex()} was used by "
                f"{address.hex()} already; sign every request with a fresh nonce")
        limits = self.limits
        if len(self._expiry) >= limits.max_entries:
            raise Busy(f"the node remembers {limits.max_entries} recent requests, its most",
                       self._retry_after_s(now_ms))
        if self._per_caller[address] >= limits.max_per_caller:
            raise Busy(f"{address.hex()} sent {limits.max_per_caller} requests within "
                       f"{self.window_ms} ms; send fewer", math.ceil(self.window_ms / 1000))
        stranger = self.known is not None and not self.known(address)
        if stranger and self._strangers >= limits.max_strangers:
            raise Busy("the node's room for requests of addresses it does not know is full",
                       self._retry_after_s(now_ms))
        expiry = time_ms + self.window_ms
        self._expiry[key] = expiry
        heapq.heappush(self._queue, (expiry, key, stranger))
        self._per_caller[address] += 1
        self._strangers += stranger

    def _forget_before(self, now_ms: int) -> None:
        # A nonce whose time is more than a window behind now cannot be replayed on time.
        queue = self._queue
        while queue and queue[0][0] < now_ms:
            _, key, stranger = heapq.heappop(queue)
            del self._expiry[key]
            address = key[:32]
            left = self._per_caller[address] - 1
            if left:
                self._per_caller[address] = left
            else:
                del self._per_caller[address]
            self._strangers -= stranger

    def _retry_after_s(self, now_ms: int) -> int:
        oldest = self._queue[0][0] if self._queue else now_ms
        return max(1, math.ceil((oldest - now_ms + 1) / 1000))


class RequestVerifier:
    """Checks signed requests for one chain against the node's clock and nonce memory."""

    def __init__(self, chain_id: str, *, window_ms: int = WINDOW_MS,
                 limits: NonceLimits | None = None,
                 known: Callable[[bytes], bool] | None = None,
                 clock_ms: Callable[[], int] = wall_ms,
                 member_of_key: Callable[[bytes], bytes] | None = None) -> None:
        self.chain_id = chain_id
        # The member a signing key signs for (contracts.requests.member_of_key over the
        # node's state); without one, a key is its own address.
        self.member_of_key = member_of_key
        self.window_ms = window_ms
        self.clock_ms = clock_ms
        self.nonces = NonceMemory(window_ms, limits, known)
        self._latest_ms = 0

    def now_ms(self) -> int:
        """The clock, never going back: the nonce memory forgets a nonce once a time has
        passed, so a clock stepped back would make forgotten requests on time again."""
        self._latest_ms = max(self._latest_ms, self.clock_ms())
        return self._latest_ms

    def credentials(self, headers: Mapping[str, str]) -> Credentials:
        """The request's credentials if well formed and on time (`Unauthenticated`
        otherwise): what can be checked before its body is read."""
        credentials = parse_credentials(headers)
        check_time(credentials.time_ms, self.now_ms(), self.window_ms)
        return credentials

    def verify(self, credentials: Credentials, method: str, target: str, body: bytes) -> bytes:
        """The signer's member address once its signature over this request holds, its key
        is the member's current one and its nonce is new (then remembered);
        `Unauthenticated` or `Busy` otherwise."""
        check_signature(credentials, self.chain_id, method, target, body)
        address = credentials.address
        if self.member_of_key is not None:
            address = self.member_of_key(credentials.address)
        # The clock is read again: the body may have taken seconds to arrive.
        now_ms = self.now_ms()
        check_time(credentials.time_ms, now_ms, self.window_ms)
        self.nonces.remember(address, credentials.nonce, credentials.time_ms, now_ms)
        return address


def request_auth(verifier: RequestVerifier, *, max_body_bytes: int,
                 exempt_paths: frozenset[str] = EXEMPT_PATHS,
                 large_body: tuple[int, BodySlot] | None = None) -> Middleware:
    """A middleware that authenticates every request whose route is not in `exempt_paths`
    (matched on the route's canonical path, so the exemption follows the handler that
    runs), reading a body of at most `max_body_bytes` (see the module's docstring).
    `large_body` = (bytes, slot): a body longer than that, or of unstated length, is read
    inside `slot(request)` (the API's bound on large bodies read at once), so that the
    signature check, which needs the whole body, cannot be used to hold more of them."""
    too_large = f"the request body exceeds {max_body_bytes} bytes"

    @web.middleware
    async def authenticate_request(request: web.Request, handler: Handler
                                   ) -> web.StreamResponse:
        resource = request.match_info.route.resource
        if resource is not None and resource.canonical in exempt_paths:
            request[CALLER] = None
            return await handler(request)
        sessions = request.app.get(SESSIONS)
        if (sessions is not None and request.method in SESSION_METHODS
                and COOKIE in request.cookies
                and not any(name in request.headers for name in AUTH_HEADERS)):
            member = sessions.member_of(request.cookies[COOKIE], verifier.now_ms())
            if member is not None:
                request[CALLER] = member
                return await handler(request)
        try:
            credentials = verifier.credentials(request.headers)
            body = b""
            if request.body_exists:
                length = request.content_length
                if large_body is not None and (length is None or length > large_body[0]):
                    async with large_body[1](request):
                        body = await read_body(request, max_body_bytes, too_large)
                else:
                    body = await read_body(request, max_body_bytes, too_large)
                keep_body(request, body)
            request[CALLER] = verifier.verify(credentials, request.method, request.raw_path,
                                              body)
        except Unauthenticated as e:
            return error_response(AUTH_STATUS[Unauthenticated], e,
                                  {"WWW-Authenticate": WWW_AUTHENTICATE})
        except Busy as e:
            return error_response(AUTH_STATUS[Busy], e, {"Retry-After": str(e.retry_after_s)})
        except LedgerError as e:
            if e.code not in BODY_STATUS:
                raise
            response = error_response(BODY_STATUS[e.code], e, {})
            response.force_close()
            return response
        return await handler(request)

    return authenticate_request


def keep_body(request: web.Request, body: bytes) -> None:
    """Let the handler read `body` again, by any of aiohttp's means (`request.content`,
    `read()`, `json()`, node.front.read_body): the request's payload stream, consumed
    here, is replaced by one holding the same bytes, and `request.content`, which aiohttp
    caches on first use, is made to look again. The request stays the same object, so
    middlewares around this one see `request["caller"]`. aiohttp offers no public way to
    put a payload back, hence the private attributes; tests/test_request_auth.py guards
    them."""
    # A limit above the body's size: the stream never pauses the connection's reading.
    stream = StreamReader(request.protocol, max(len(body), 1) * 2,
                          loop=asyncio.get_running_loop())
    if body:
        stream.feed_data(body)
    stream.feed_eof()
    request._payload = stream  # type: ignore[attr-defined]
    request._cache.pop("content", None)  # type: ignore[attr-defined]


def error_response(status: int, error: LedgerError, headers: dict[str, str]) -> web.Response:
    """The API's JSON error answer (node.api.error_response's shape)."""
    return web.json_response({"error": {"code": error.code, "message": error.message}},
                             status=status, headers=headers)
