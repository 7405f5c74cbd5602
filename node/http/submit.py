"""Submission: POST /v1/txs and POST /v1/txs/batch, and what bounds them.

Submissions are admitted per client (its IP address) through a token bucket: a burst,
then a steady rate (`SubmitLimit`, from [limits] of network.toml); past it the client is
answered 429 `submit.rate_limited` with Retry-After, while other clients go on. The
defaults suit a node facing the internet (50 a second, a burst of 500: see
`node.config.Limits`); benchmarks and load tests that send thousands a second from
127.0.0.1 set higher limits in their network.toml. The mempool's own bound answers 503
`mempool.full` with Retry-After; a member over its quota in the mempool, 429
`mempool.member_quota` or `mempool.member_throttled` with Retry-After.

A body is at most MAX_BODY_BYTES (node/http/params.py): the hex of the largest
transaction (a sealed 4 MiB document) in JSON; raw bytes (application/msgpack) take half
as much. Bodies over SMALL_BODY_BYTES are read at most LARGE_READS at a time
(LARGE_READS_PER_CLIENT from one client), so concurrent uploads cannot hold more than a
bounded amount of memory; past that a client is answered 503 `submit.busy` with
Retry-After. A body must keep arriving at the front's minimum rate (node/front.py), so a
trickling client frees its slot soon.

POST /v1/txs/batch takes up to MAX_BATCH_TXS ordinary transactions in a body of at most
MAX_BATCH_BODY_BYTES and answers, in the order sent, whether each is pending or the
error POST /v1/txs would have given it. It costs the client one token per transaction,
all or nothing. A few batches are read and checked at once (BATCH_SLOTS), a bounded
number wait for their turn, and past that a client is answered 503 `submit.busy`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import msgpack
from aiohttp import web

from contracts.errors import LedgerError
from contracts.tx import MAX_LARGE_TX_BYTES, decode_transaction, payload_id
from node.config import Limits
from node.front import read_body
from node.http.params import (
    MAX_BODY_BYTES,
    NODE,
    bad_request,
    error_response,
    hex_bytes,
)
from node.mempool import QuotaExceeded
from node.service import wall_ms
from node.store import StoreFault

# POST /v1/txs/batch: transactions and body bytes (ordinary transactions, 64 KiB at
# most each); the OpenAPI document (node/http/openapi/submit.py) states these.
MAX_BATCH_TXS = 1_000
MAX_BATCH_BODY_BYTES = 4 << 20

SMALL_BODY_BYTES = 256 * 1024  # any ordinary transaction, even as JSON hex
LARGE_READS = 4  # bodies over SMALL_BODY_BYTES read at once
LARGE_READS_PER_CLIENT = 2  # of those, from one client: one client cannot hold them all
BATCH_SLOTS = 4  # batches read and checked at once
MAX_BATCH_WAITING = 64  # batches waiting for a slot; past that submit.busy
BATCH_YIELD_EVERY = 100  # transactions checked between two turns of the event loop


@dataclass(frozen=True)
class SubmitLimit:
    """How fast one client may submit: `burst` transactions at once, then `rate_per_s`
    a second; at most `max_clients` clients are remembered (the idlest are forgotten).
    The defaults are [limits]' (`node.config.Limits`), fit for a node facing the internet."""

    rate_per_s: int = Limits.submit_rate_per_s
    burst: int = Limits.submit_burst
    max_clients: int = Limits.max_clients

    def __post_init__(self) -> None:
        if min(self.rate_per_s, self.burst, self.max_clients) < 1:
            raise ValueError("rate_per_s, burst and max_clients are at least 1")

    @classmethod
    def of(cls, limits: Limits) -> SubmitLimit:
        """The submission budget [limits] of network.toml gives."""
        return cls(limits.submit_rate_per_s, limits.submit_burst, limits.max_clients)


class ClientBuckets:
    """A token bucket per client, in least recently seen order.

    A bucket idle long enough to have filled up again says nothing, so it is forgotten;
    beyond `max_clients` the idlest bucket is forgotten too (that client starts afresh
    with a full bucket). The table never holds more than `max_clients` entries.
    """

    def __init__(self, limit: SubmitLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.refill_s = limit.burst / limit.rate_per_s
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at_s

    def __len__(self) -> int:
        return len(self.buckets)

    def take(self, client: str, n: int = 1) -> float:
        """Spend `n` of the client's tokens: 0 if it had them, else the seconds until it
        has them (nothing is spent then). More than the burst never fits at once."""
        return self._charge(client, n, spend=True)

    def wait_s(self, client: str, n: int = 1) -> float:
        """The seconds until the client has `n` tokens (0: it has them); spends nothing."""
        return self._charge(client, n, spend=False)

    def _charge(self, client: str, n: int, spend: bool) -> float:
        assert n >= 1
        now = self.clock()
        tokens, at = self.buckets.pop(client, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + (now - at) * self.limit.rate_per_s)
        wait_s = 0.0
        if tokens < n:
            wait_s = (n - tokens) / self.limit.rate_per_s
        elif spend:
            tokens -= n
        self.buckets[client] = (tokens, now)
        self._forget_idle(now)
        assert len(self.buckets) <= self.limit.max_clients
        return wait_s

    def _forget_idle(self, now: float) -> None:
        while self.buckets:
            _, (_, at) = next(iter(self.buckets.items()))
            if len(self.buckets) <= self.limit.max_clients and now - at < self.refill_s:
                return
            self.buckets.popitem(last=False)


class BatchGate:
    """At most `slots` batches are read and checked at once and at most `waiting` more
    wait for a slot (holding no more than their socket buffers); past that a client is
    answered 503 `submit.busy`. So batches hold a bounded amount of memory and time."""

    def __init__(self, slots: int, waiting: int) -> None:
        assert slots >= 1 and waiting >= 0
        self.slots = asyncio.Semaphore(slots)
        self.max_waiting = waiting
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.slots.locked() and self.waiting >= self.max_waiting:
            raise LedgerError("submit.busy", f"{self.max_waiting} batches are waiting to be "
                              "received; retry in a moment")
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.slots.release()


def remote_address(request: web.Request) -> str:
    """The client a submission is counted against: the peer's IP address."""
    return request.remote or ""


SUBMIT_BUCKETS = web.AppKey("submit_buckets", ClientBuckets)
LARGE_READ_GATE = web.AppKey("large_read_gate", asyncio.Semaphore)
LARGE_READERS = web.AppKey("large_readers", Counter)  # large bodies being read, by client
BATCH_GATE = web.AppKey("batch_gate", BatchGate)
CLIENT_KEY = web.AppKey("client_key", Callable[[web.Request], str])


async def read_submission(request: web.Request, max_bytes: int) -> bytes:
    body = await read_body(request, max_bytes, f"a transaction's body is at most {max_bytes} "
                           "bytes (the largest transaction, as JSON hex)")
    if request.content_type in ("application/msgpack", "application/octet-stream"):
        return body
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting deeper than Python's
        raise bad_request("bad_json", "the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("tx"), str):
        raise bad_request("bad_json", 'expected {"tx": "<hex of the signed transaction>"}')
    if len(document["tx"]) > 2 * MAX_LARGE_TX_BYTES:
        raise LedgerError("codec.too_long",
                          f"a transaction is at most {MAX_LARGE_TX_BYTES} bytes")
    raw = hex_bytes(document["tx"], MAX_LARGE_TX_BYTES)
    if raw is None:
        raise bad_request("bad_hex", "tx must be the transaction's bytes in hex")
    return raw


def rate_limited(request: web.Request, n: int = 1, spend: bool = True) -> web.Response | None:
    """The 429 answer for a client without `n` tokens of its submission budget, or None
    to go on (the tokens are spent then, unless `spend` is false)."""
    buckets = request.app[SUBMIT_BUCKETS]
    client = request.app[CLIENT_KEY](request)
    wait_s = buckets.take(client, n) if spend else buckets.wait_s(client, n)
    if wait_s <= 0:
        return None
    retry_s = max(1, math.ceil(wait_s))
    limit = buckets.limit
    message = (f"this client submits more than {limit.rate_per_s} transactions a second "
               f"(burst {limit.burst}); retry in {retry_s} s")
    if n > limit.burst:
        message = (f"a batch of {n} transactions is more than this client's burst of "
                   f"{limit.burst}; send smaller batches")
    return error_response(429, "submit.rate_limited", message,
                          **{"Retry-After": str(retry_s)})


@asynccontextmanager
async def large_read_slot(request: web.Request) -> AsyncIterator[None]:
    """A place among the LARGE_READS bodies read at once (LARGE_READS_PER_CLIENT of them
    from one client), held while the body is read; else 503 `submit.busy`. The request
    check (node/http/auth.py) reads a large body in one before it checks its signature."""
    gate = request.app[LARGE_READ_GATE]
    if gate.locked():
        raise LedgerError("submit.busy", f"{LARGE_READS} large transactions are being "
                          "received; retry in a moment")
    readers = request.app[LARGE_READERS]
    client = request.app[CLIENT_KEY](request)
    if readers[client] >= LARGE_READS_PER_CLIENT:
        raise LedgerError("submit.busy", f"this client is sending {readers[client]} large "
                          "transactions already; send the next when one is received")
    readers[client] += 1
    try:
        async with gate:
            yield
    finally:
        readers[client] -= 1
        if not readers[client]:
            del readers[client]


def body_slot(request: web.Request) -> AbstractAsyncContextManager[None]:
    """Where a large body waits its turn to be read: a batch in the batch gate, any other
    in a large read's place (node/http/auth.py reads bodies before the handlers)."""
    if request.path == "/v1/txs/batch":
        return request.app[BATCH_GATE].slot()
    return large_read_slot(request)


async def post_tx(request: web.Request) -> web.Response:
    node = request.app[NODE]
    if not node.is_validator:
        raise LedgerError(
            "observer.read_only", "this is a read-only observer node; submit to a validator"
        )
    refused = rate_limited(request)  # before the body is read or a signature checked
    if refused is not None:
        return refused
    length = request.content_length
    if length is not None and length <= SMALL_BODY_BYTES:
        raw = await read_submission(request, SMALL_BODY_BYTES)  # the length is enforced
    else:
        async with large_read_slot(request):
            raw = await read_submission(request, MAX_BODY_BYTES)
    checked, new = node.mempool.submit(raw, wall_ms())
    if new and node.on_submit is not None:
        node.on_submit(raw)
    return web.json_response({"id": checked.id.hex(), "status": "pending"}, status=202)


# ---------------------------------------------------------------- batch submission


def msgpack_batch(body: bytes) -> list[bytes]:
    """The transactions of a msgpack array of byte strings; the array's length is read
    (and bounded) before any element is decoded."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=True, max_ext_len=0,
                                max_buffer_size=max(1, len(body)))
    unpacker.feed(body)
    try:
        count = unpacker.read_array_header()
        if count > MAX_BATCH_TXS:
            raise bad_request("too_many_txs",
                              f"a batch holds at most {MAX_BATCH_TXS} transactions, not {count}")
        items = [unpacker.unpack() for _ in range(count)]
    except (ValueError, msgpack.UnpackException, UnicodeDecodeError, RecursionError):
        raise bad_request("bad_msgpack", "the body is not one msgpack array of byte "
                          "strings") from None
    if unpacker.tell() != len(body):
        raise bad_request("bad_msgpack", "the body holds more than one msgpack array")
    for i, item in enumerate(items):
        if not isinstance(item, bytes):
            raise bad_request("bad_batch", f"element {i} is not a byte string (msgpack bin)")
    return items


def json_batch(body: bytes) -> list[bytes]:
    """The transactions of {"txs": ["<hex>", ...]}."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request("bad_json", "the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("txs"), list):
        raise bad_request("bad_json", 'expected {"txs": ["<hex of a signed transaction>", '
                          "...]}")
    texts = document["txs"]
    if len(texts) > MAX_BATCH_TXS:
        raise bad_request("too_many_txs",
                          f"a batch holds at most {MAX_BATCH_TXS} transactions, not {len(texts)}")
    raws = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise bad_request("bad_batch", f"txs[{i}] is not a string")
        raw = hex_bytes(text, MAX_BATCH_BODY_BYTES)
        if raw is None:
            raise bad_request("bad_hex", f"txs[{i}] must be a transaction's bytes in hex")
        raws.append(raw)
    return raws


def id_of(raw: bytes) -> str | None:
    """The id of the transaction these bytes encode, if they decode."""
    try:
        return payload_id(decode_transaction(raw).payload).hex()
    except LedgerError:
        return None


async def post_tx_batch(request: web.Request) -> web.Response:
    """Submit up to MAX_BATCH_TXS transactions, each checked as POST /v1/txs checks one;
    the answer says for each, in the order sent, whether it is pending or why not."""
    node = request.app[NODE]
    if not node.is_validator:
        raise LedgerError(
            "observer.read_only", "this is a read-only observer node; submit to a validator"
        )
    refused = rate_limited(request, spend=False)  # nothing read for a client out of tokens
    if refused is not None:
        return refused
    async with request.app[BATCH_GATE].slot():
        body = await read_body(request, MAX_BATCH_BODY_BYTES, f"a batch body is at most "
                               f"{MAX_BATCH_BODY_BYTES} bytes; split the batch")
        if request.content_type in ("application/msgpack", "application/octet-stream"):
            raws = msgpack_batch(body)
        else:
            raws = json_batch(body)
        refused = rate_limited(request, max(1, len(raws)))  # before any signature check
        if refused is not None:
            return refused
        results: list[dict[str, Any]] = []
        admitted: list[bytes] = []
        retry_s = 0  # the longest wait one of them was told
        try:
            for i, raw in enumerate(raws):
                if i and i % BATCH_YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # consensus and other requests go on meanwhile
                try:
                    checked, new = node.mempool.submit(raw, wall_ms())
                except StoreFault:
                    raise
                except LedgerError as e:
                    results.append({"id": id_of(raw),
                                    "error": {"code": e.code, "message": e.message}})
                    if isinstance(e, QuotaExceeded):
                        retry_s = max(retry_s, e.retry_after_s)
                    elif e.code == "mempool.full":
                        retry_s = max(retry_s, 1)
                    continue
                if new:
                    admitted.append(raw)
                results.append({"id": checked.id.hex(), "status": "pending"})
        finally:
            # What got in is gossiped even if the client went away: one "txs" frame.
            if node.on_submit is not None:
                for raw in admitted:
                    node.on_submit(raw)
    assert len(results) == len(raws)
    return web.json_response({"results": results},
                             headers={"Retry-After": str(retry_s)} if retry_s else None)
