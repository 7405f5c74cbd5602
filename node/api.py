"""The HTTP API: JSON under /v1, errors as {"error": {"code", "message"}}.

Nothing a client sends can crash the node: every handler's failures become a JSON error
with a stable code and the right status; unexpected ones are logged and answered 500.
Every answer is described by the OpenAPI document (node/openapi.py).

Submissions are admitted per client (its IP address) through a token bucket: a burst,
then a steady rate (`SubmitLimit`, from [limits] of network.toml); past it the client is
answered 429 `submit.rate_limited` with Retry-After, while other clients go on. The
defaults suit a node facing the internet (50 a second, a burst of 500: see
`node.config.Limits`); benchmarks and load tests that send thousands a second from
127.0.0.1 set higher limits in their network.toml. The mempool's own bound answers 503
`mempool.full` with Retry-After; a member over its quota in the mempool, 429
`mempool.member_quota` or `mempool.member_throttled` with Retry-After.

A body is at most MAX_BODY_BYTES: the hex of the largest transaction (a sealed 4 MiB
document) in JSON; raw bytes (application/msgpack) take half as much. Bodies over
SMALL_BODY_BYTES are read at most LARGE_READS at a time (LARGE_READS_PER_CLIENT from one
client), so concurrent uploads cannot hold more than a bounded amount of memory; past
that a client is answered 503 `submit.busy` with Retry-After. A body must keep arriving
at the front's minimum rate (node/front.py), so a trickling client frees its slot soon.

POST /v1/txs/batch takes up to MAX_BATCH_TXS ordinary transactions in a body of at most
MAX_BATCH_BODY_BYTES and answers, in the order sent, whether each is pending or the
error POST /v1/txs would have given it. It costs the client one token per transaction,
all or nothing. A few batches are read and checked at once (BATCH_SLOTS), a bounded
number wait for their turn, and past that a client is answered 503 `submit.busy`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

import msgpack
from aiohttp import web

from contracts import (
    acquisition,
    documents,
    evidence,
    fees,
    obligations,
    pledge,
    redemption,
    setoff,
)
from contracts.codec import decode, to_json
from contracts.errors import LedgerError, Rejected
from contracts.issuance import Application, application_key
from contracts.ledger import resolve
from contracts.membership import ROLES, Member, member_key
from contracts.tx import MAX_LARGE_TX_BYTES, Transaction, decode_transaction, payload_id
from contracts.vouchers import (
    VOUCHER_STATUSES,
    Origin,
    Voucher,
    child_key,
    debtor_index_key,
    extended_key,
    get_debtor_record,
    get_holder_totals,
    get_voucher,
    holder_index_key,
    live_debtor_key,
    live_holder_key,
    origin_key,
    overdue_key,
    voucher_key,
)
from node import setoff_plan
from node.blocks import Block
from node.config import Limits
from node.front import (
    FRONT_LIMITS,
    FRONT_LOG,
    FrontLimits,
    answer_deadline,
    read_body,
    refuse_encoded_body,
    throttled_logger,
)
from node.mempool import QuotaExceeded
from node.openapi import MAX_BATCH_BODY_BYTES, MAX_BATCH_TXS, openapi_document
from node.service import Node, wall_ms
from node.store import CURSOR_BYTES, AddressedEvent, StateSnapshot, StoreFault

log = logging.getLogger("claimledger.api")

MAX_BODY_BYTES = 2 * MAX_LARGE_TX_BYTES + 64 * 1024  # the largest transaction as JSON hex
SMALL_BODY_BYTES = 256 * 1024  # any ordinary transaction, even as JSON hex
LARGE_READS = 4  # bodies over SMALL_BODY_BYTES read at once
LARGE_READS_PER_CLIENT = 2  # of those, from one client: one client cannot hold them all
BATCH_SLOTS = 4  # batches read and checked at once
MAX_BATCH_WAITING = 64  # batches waiting for a slot; past that submit.busy
BATCH_YIELD_EVERY = 100  # transactions checked between two turns of the event loop
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_WAIT_MS = 30_000
MAX_LINEAGE = 10_000
MAX_TREE_NODES = 10_000  # descendants shown by /lineage
MAX_TREE_DEPTH = 100  # levels of nesting in that tree: JSON parsers have depth limits
MAX_CHILDREN = 1_000  # one operation creates at most 16; a bound all the same
MAX_SCAN = 10 * MAX_PAGE  # index entries one filtered page may examine
STANDINGS = {"overdue": overdue_key(b""), "extended": extended_key(b"")}
CHARGE_CURSOR_BYTES = 8 + 32  # fc/<member> suffix: height:8 + tx id

MAX_EXCLUDE = 1000  # members one plan request may leave out
PLAN_CACHE_ENTRIES = 32  # plans kept, by (head block id, exclusions)
PLAN_BATCHES_KEPT = 2  # of those, the newest that keep their run's batches
MAX_PLAN_TURNS = 4  # computations for other exclusions a plan request waits through

HEX32_TEXT = re.compile(r"[0-9a-fA-F]{64}")  # a fixed length: never more than 64 steps
INTEGER_TEXT = re.compile(r"-?[0-9]{1,18}")
HEIGHT_TEXT = re.compile(r"[0-9]+")

T = TypeVar("T")


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


NODE = web.AppKey("node", Node)
SUBMIT_BUCKETS = web.AppKey("submit_buckets", ClientBuckets)
LARGE_READ_GATE = web.AppKey("large_read_gate", asyncio.Semaphore)
LARGE_READERS = web.AppKey("large_readers", Counter)  # large bodies being read, by client
BATCH_GATE = web.AppKey("batch_gate", BatchGate)
API_LOG = web.AppKey("api_log", logging.Logger)
CLIENT_KEY = web.AppKey("client_key", Callable[[web.Request], str])

STATUS_BY_CODE = {
    "tx.replay": 409,
    "mempool.full": 503,
    "mempool.member_quota": 429,
    "mempool.member_throttled": 429,
    "submit.busy": 503,
    "observer.read_only": 403,
    "not_found": 404,
    "request.too_large": 413,
    "store.corrupt": 503,
    "store.write_failed": 503,
    "request.encoding_refused": 415,
    "request.body_timeout": 408,
    "setoff.plan_too_large": 503,
    "setoff.plan_busy": 503,
}
RETRY_CODES = frozenset({"mempool.full", "submit.busy", "setoff.plan_busy"})
# Answers to a body the node stops reading: the connection closes after them, so the
# rest of that body is not read (beyond FrontLimits.linger_s of draining).
CLOSING_CODES = frozenset({"request.too_large", "request.encoding_refused",
                           "request.body_timeout", "request.bad_body"})


def error_response(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


def status_of(error: LedgerError) -> int:
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    if isinstance(error, Rejected) and not error.code.startswith("tx."):
        return 422  # well-formed, but a rule of the ledger refuses it
    return 400


@web.middleware
async def errors_as_json(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        if request.body_exists:
            refuse_encoded_body(request)  # on every route, read or not: nothing inflates
        return await handler(request)
    except QuotaExceeded as e:
        return error_response(429, e.code, e.message, **{"Retry-After": str(e.retry_after_s)})
    except LedgerError as e:
        headers = {"Retry-After": "1"} if e.code in RETRY_CODES else {}
        response = error_response(status_of(e), e.code, e.message, **headers)
        if e.code in CLOSING_CODES:
            response.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        response = error_response(
            413, "request.too_large", f"the request body exceeds {MAX_BODY_BYTES} bytes"
        )
        response.force_close()
        return response
    except web.HTTPNotFound:
        return error_response(404, "not_found", f"no route {request.method} {request.path}")
    except web.HTTPMethodNotAllowed as e:
        return error_response(
            405, "method_not_allowed", f"{request.method} is not allowed on {request.path}",
            Allow=", ".join(sorted(e.allowed_methods)),
        )
    except web.HTTPException as e:
        return error_response(e.status, f"http.{e.status}", e.reason)
    except asyncio.CancelledError:
        raise
    except Exception:
        # The path as sent (percent-encoded): decoded, a client's %0A would end the line.
        request.app[API_LOG].exception("unexpected error in %s %s", request.method,
                                       request.raw_path[:200])
        return error_response(500, "internal", "the node failed to answer; this is a bug")


# ---------------------------------------------------------------- request helpers


def bad_request(code: str, message: str) -> LedgerError:
    return LedgerError(f"request.{code}", message)


def not_found(message: str) -> LedgerError:
    return LedgerError("not_found", message)


def hex_bytes(text: str, max_bytes: int) -> bytes | None:
    """The bytes `text` spells in hex digits (either case, nothing else), or None.

    No regular expression: the length is checked first, then bytes.fromhex (linear, in
    C) decodes; it skips whitespace between bytes, which the length comparison catches.
    """
    if len(text) > 2 * max_bytes or len(text) % 2 or not text.isascii():
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if 2 * len(raw) == len(text) else None


def hex_id(text: str, what: str) -> bytes:
    """A 32-byte id written as 64 hex digits; `request.bad_id` otherwise."""
    if not HEX32_TEXT.fullmatch(text):
        raise LedgerError("request.bad_id", f"{what} must be 64 hex digits")
    return bytes.fromhex(text)


def address_of(text: str) -> bytes:
    """A member address written as 64 hex digits; `address.malformed` otherwise."""
    if not HEX32_TEXT.fullmatch(text):
        raise LedgerError("address.malformed",
                          f"{text[:80]!r} is not an address (64 hex digits)")
    return bytes.fromhex(text)


def cursor_param(request: web.Request) -> bytes | None:
    after = request.query.get("after")
    return None if after is None else hex_id(after, "after")


def int_param(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not INTEGER_TEXT.fullmatch(text):
        raise bad_request("bad_parameter", f"{name} must be an integer in [{lo}, {hi}]")
    value = int(text)
    if not lo <= value <= hi:
        raise bad_request("bad_parameter", f"{name} must lie in [{lo}, {hi}]")
    return value


def address_param(request: web.Request, name: str) -> bytes | None:
    text = request.query.get(name)
    return None if text is None else address_of(text)


def id_param(request: web.Request, name: str) -> bytes | None:
    text = request.query.get(name)
    return None if text is None else hex_id(text, name)


def choice_param(request: web.Request, name: str, allowed: frozenset[str] | set[str]
                 ) -> str | None:
    value = request.query.get(name)
    if value is not None and value not in allowed:
        raise bad_request("bad_parameter", f"{name} is one of {', '.join(sorted(allowed))}")
    return value


def hex_cursor_param(request: web.Request, size: int) -> bytes | None:
    """A cursor that is not an id (`size` bytes as hex); `request.bad_parameter` otherwise."""
    text = request.query.get("after")
    if text is None:
        return None
    raw = hex_bytes(text, size)
    if raw is None or len(raw) != size:
        raise bad_request("bad_parameter", f"after must be {2 * size} hex digits")
    return raw


def only_one(**given: bytes | None) -> tuple[str, bytes]:
    """The one parameter given among several exclusive ones."""
    present = [(name, value) for name, value in given.items() if value is not None]
    names = " or ".join(f"{name}=" for name in given)
    if not present:
        raise bad_request("missing_parameter", f"give one of {names}")
    if len(present) > 1:
        raise bad_request("bad_parameter", f"give only one of {names}")
    return present[0]


def require_member(node: Node, address: bytes) -> Member:
    return stored(node, member_key(address), Member, f"{address.hex()} is not a member")


# ---------------------------------------------------------------- views


def tx_view(node: Node, tx: Transaction) -> dict[str, Any]:
    payload = tx.payload
    view: dict[str, Any] = {
        "id": payload_id(payload).hex(),
        "chain_id": payload.chain_id,
        "contract": to_json(payload.contract),
        "operation": payload.operation,
        "expiry_height": payload.expiry_height,
        "nonce": payload.nonce,
        "signers": [s.signer.hex() for s in tx.signatures],
    }
    body = None
    try:
        _, _, body = resolve(node.registry, tx)
        view["body"] = to_json(body)
    except LedgerError:
        view["body"] = None
    if isinstance(body, documents.Attach):
        # Megabytes of ciphertext stay out of transaction views: GET /v1/documents has them.
        view["body"]["envelope"] = {"ciphertext_bytes": len(body.envelope.ciphertext),
                                    "readers": [k.reader.hex() for k in body.envelope.keys]}
    return view


def committed_tx(node: Node, tx_id: bytes) -> dict[str, Any] | None:
    record = node.store.tx_record(tx_id)
    if record is None:
        return None
    block = node.store.block(record.height)
    assert block is not None, "a committed transaction's block is stored"
    view = tx_view(node, decode_transaction(block.txs[record.index]))
    view.update(
        status="committed",
        height=record.height,
        index=record.index,
        block_id=block.id.hex(),
        time_ms=block.header.time_ms,
        events=to_json(record.events),
    )
    return view


def tx_status(node: Node, tx_id: bytes) -> dict[str, Any]:
    view = committed_tx(node, tx_id)
    if view is not None:
        return view
    status, error = node.mempool.status(tx_id)
    if status == "pending":
        view = tx_view(node, node.mempool.pending[tx_id].tx)
        view["status"] = "pending"
        return view
    if status == "rejected":
        assert error is not None
        return {
            "id": tx_id.hex(),
            "status": "rejected",
            "error": {"code": error.code, "message": error.message},
        }
    raise not_found(f"no transaction {tx_id.hex()} on the ledger or in the mempool")


def block_view(node: Node, block: Block) -> dict[str, Any]:
    height = block.header.height
    certificate = node.store.certificate(height)
    events = node.store.block_events(height)
    return {
        "id": block.id.hex(),
        "header": to_json(block.header),
        "txs": [payload_id(decode_transaction(raw).payload).hex() for raw in block.txs],
        "evidence": to_json(block.evidence),  # [{vote_a, vote_b}]: see GET /v1/evidence
        "certificate": None if certificate is None else {
            "height": certificate.height,
            "round": certificate.round,
            "block_id": certificate.block_id.hex(),
            "precommits": [
                {"validator": p.validator.hex(), "signature": p.signature.hex()}
                for p in certificate.precommits
            ],
        },
        "events": to_json(events.events) if events else [],
    }


def ancestors(node: Node, voucher: Voucher) -> list[Voucher]:
    """The states from the origin down to this voucher state's parent (at most MAX_LINEAGE,
    the nearest ones, if the line is longer)."""
    chain: list[Voucher] = []
    current = voucher
    while current.parent is not None and len(chain) < MAX_LINEAGE:
        parent = get_voucher(node.store, current.parent)
        assert parent is not None, "a voucher's parent is stored"
        chain.append(parent)
        current = parent
    return list(reversed(chain))


def lineage(node: Node, voucher: Voucher) -> list[str]:
    """Ids from the origin down to this voucher state's parent."""
    return [v.id.hex() for v in ancestors(node, voucher)]


def children_of(node: Node, voucher_id: bytes) -> list[bytes]:
    prefix = child_key(voucher_id, b"")
    return [key[len(prefix):] for key, _ in islice(node.store.scan(prefix), MAX_CHILDREN)]


def descendant_tree(node: Node, root: Voucher) -> tuple[list[dict[str, Any]], bool]:
    """The states descending from `root`, breadth first, as nested {voucher, children}.

    At most MAX_TREE_NODES nodes and MAX_TREE_DEPTH levels; a node whose children are
    left out carries "truncated": true, and so does the answer.
    """
    top: list[dict[str, Any]] = []
    queue: deque[tuple[bytes, dict[str, Any] | None, int]] = deque([(root.id, None, 0)])
    count = 0
    truncated = False
    while queue:
        voucher_id, entry, depth = queue.popleft()
        child_ids = children_of(node, voucher_id)
        if child_ids and (count + len(child_ids) > MAX_TREE_NODES or depth >= MAX_TREE_DEPTH):
            truncated = True
            if entry is not None:
                entry["truncated"] = True
            if count >= MAX_TREE_NODES:
                continue  # no room left: only mark the nodes that have children
            child_ids = child_ids[:MAX_TREE_NODES - count] if depth < MAX_TREE_DEPTH else []
        siblings = top if entry is None else entry["children"]
        for child_id in child_ids:
            child = get_voucher(node.store, child_id)
            assert child is not None, "an indexed child is stored"
            node_entry: dict[str, Any] = {"voucher": to_json(child), "children": []}
            siblings.append(node_entry)
            count += 1
            queue.append((child_id, node_entry, depth + 1))
    return top, truncated


def page(
    node: Node, prefix: bytes, after: bytes | None, limit: int
) -> tuple[list[bytes], str | None]:
    """Ids under an index prefix, after a cursor, at most `limit`, and the next cursor."""
    start = prefix + after + b"\x00" if after else prefix
    ids = []
    for key, _ in node.store.scan(prefix, start):
        ids.append(key[len(prefix):])
        if len(ids) > limit:
            break
    more = len(ids) > limit
    ids = ids[:limit]
    return ids, (ids[-1].hex() if more and ids else None)


def filtered_page(
    node: Node, prefix: bytes, after: bytes | None, limit: int,
    keep: Callable[[bytes], T | None],
) -> tuple[list[T], str | None]:
    """Like `page`, keeping what `keep` returns for each key suffix (None drops it).

    At most MAX_SCAN index entries are examined, so a page may hold fewer than `limit`
    items and still have a `next` cursor: the last suffix examined.
    """
    start = prefix + after + b"\x00" if after else prefix
    out: list[T] = []
    examined = 0
    last = b""
    for key, _ in node.store.scan(prefix, start):
        if len(out) >= limit or examined >= MAX_SCAN:
            return out, last.hex()
        examined += 1
        last = key[len(prefix):]
        item = keep(last)
        if item is not None:
            out.append(item)
    return out, None


# ---------------------------------------------------------------- handlers


async def get_status(request: web.Request) -> web.Response:
    node = request.app[NODE]
    head = node.chain.head
    mempool = node.mempool
    return web.json_response({
        "chain_id": node.chain.chain_id,
        "node": node.name,
        "role": node.identity.role,
        "address": node.address.hex(),
        "height": head.height,
        "block_id": head.block_id.hex(),
        "state_root": head.state_root.hex(),
        "time_ms": head.time_ms,
        "genesis_id": (node.store.genesis_id() or b"").hex(),
        "mempool": len(node.mempool),
        "evidence_pending": len(node.evidence),
        # What each peer's gossip holds here, and what of it was dropped past its share
        # or failed its rules in this node's blocks (since this node started).
        "validators": [
            {"name": v.name, "key": v.key.hex(), "power": v.power,
             "gossip_pending": mempool.peer_load.get(v.key, (0, 0))[0],
             "gossip_dropped": mempool.gossip_dropped.get(v.key, 0),
             "gossip_failed": mempool.gossip_failed.get(v.key, 0)}
            for v in node.config.validators
        ],
    })


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
                raw = await read_submission(request, MAX_BODY_BYTES)
        finally:
            readers[client] -= 1
            if not readers[client]:
                del readers[client]
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


async def get_tx(request: web.Request) -> web.Response:
    node = request.app[NODE]
    tx_id = hex_id(request.match_info["id"], "a transaction id")
    wait_ms = int_param(request, "wait_ms", 0, 0, MAX_WAIT_MS)
    deadline = asyncio.get_running_loop().time() + wait_ms / 1000
    while True:
        view = tx_status(node, tx_id)
        remaining = deadline - asyncio.get_running_loop().time()
        if view["status"] != "pending" or remaining <= 0:
            return web.json_response(view)
        try:
            await asyncio.wait_for(node.committed.wait(), timeout=remaining)
        except TimeoutError:
            pass


async def get_block(request: web.Request) -> web.Response:
    node = request.app[NODE]
    text = request.match_info["height"]
    if not HEIGHT_TEXT.fullmatch(text):
        raise bad_request("bad_height", "a height is a non-negative integer")
    head = node.chain.head.height
    height = int(text) if len(text) <= 20 else head + 1  # more digits: beyond any head
    block = node.store.block(height) if height <= head else None
    if block is None:
        raise not_found(f"no block at height {text[:40]} (head is {head})")
    return web.json_response(block_view(node, block))


async def get_voucher_route(request: web.Request) -> web.Response:
    node = request.app[NODE]
    voucher_id = hex_id(request.match_info["id"], "a voucher id")
    voucher = stored(node, voucher_key(voucher_id), Voucher, f"no voucher {voucher_id.hex()}")
    origin = stored(node, origin_key(voucher.origin), Origin, "origin")
    return web.json_response({
        **to_json(voucher),
        "lineage": lineage(node, voucher),
        "children": [c.hex() for c in children_of(node, voucher.id)],
        "origin_record": to_json(origin),
    })


async def get_voucher_lineage(request: web.Request) -> web.Response:
    node = request.app[NODE]
    voucher_id = hex_id(request.match_info["id"], "a voucher id")
    voucher = stored(node, voucher_key(voucher_id), Voucher, f"no voucher {voucher_id.hex()}")
    line = ancestors(node, voucher)
    tree, truncated = descendant_tree(node, voucher)
    cut_above = bool(line) and line[0].parent is not None
    return web.json_response({
        "ancestors": [to_json(v) for v in line],
        "voucher": to_json(voucher),
        "descendants": tree,
        "truncated": truncated or cut_above,
    })


async def list_vouchers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    holder = address_param(request, "holder")
    debtor = address_param(request, "debtor")
    status = choice_param(request, "status", VOUCHER_STATUSES)
    standing = choice_param(request, "standing", set(STANDINGS))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = cursor_param(request)
    if standing is not None:
        if status not in (None, "active"):
            raise bad_request("bad_parameter", "standing lists live (active) states only")
        prefix = STANDINGS[standing]
    elif holder is None and debtor is None:
        raise bad_request("missing_parameter", "give holder=ADDRESS, debtor=ADDRESS or standing=")
    elif status == "active":  # the live indices: no walk over history
        prefix = live_holder_key(holder, b"") if holder else live_debtor_key(debtor, b"")
    else:
        prefix = holder_index_key(holder, b"") if holder else debtor_index_key(debtor, b"")

    def keep(voucher_id: bytes) -> dict[str, Any] | None:
        voucher = get_voucher(node.store, voucher_id)
        assert voucher is not None, "an indexed voucher is stored"
        if holder is not None and voucher.holder != holder:
            return None
        if debtor is not None and voucher.debtor != debtor:
            return None
        if status is not None and voucher.status != status:
            return None
        return to_json(voucher)

    found, next_cursor = filtered_page(node, prefix, cursor, limit, keep)
    return web.json_response({"vouchers": found, "next": next_cursor})


def stored(node: Node, key: bytes, cls: type[T], missing: str) -> T:
    """The record stored at a state key, or a 404 saying what is missing."""
    raw = node.store.get(key)
    if raw is None:
        raise not_found(missing)
    return decode(cls, raw)


async def get_member(request: web.Request) -> web.Response:
    address = address_of(request.match_info["address"])
    member = stored(request.app[NODE], member_key(address), Member,
                    f"{address.hex()} is not a member")
    return web.json_response(to_json(member))


async def list_members(request: web.Request) -> web.Response:
    node = request.app[NODE]
    role = choice_param(request, "role", set(ROLES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    # With role=, the index of active members by role (contracts.membership, mr/).
    prefix = b"m/" if role is None else b"mr/" + role.encode() + b"/"
    ids, next_cursor = page(node, prefix, cursor_param(request), limit)
    members = [to_json(stored(node, member_key(a), Member, "member")) for a in ids]
    return web.json_response({"members": members, "next": next_cursor})


async def get_document(request: web.Request) -> web.Response:
    """A confidential document's attachment record and, unless envelope=false, its sealed
    envelope (ciphertext and sealed keys) read from the attach transaction's block."""
    node = request.app[NODE]
    document = hex_id(request.match_info["id"], "a document id")
    with_envelope = choice_param(request, "envelope", {"true", "false"}) != "false"
    attachment = documents.get_attachment(node.store, document)
    if attachment is None:
        raise not_found(f"no document {document.hex()} is attached")
    view = to_json(attachment)
    if with_envelope:
        record = node.store.tx_record(attachment.tx_id)
        block = None if record is None else node.store.block(record.height)
        assert record is not None and block is not None, "an attachment's block is stored"
        _, _, body = resolve(node.registry, decode_transaction(block.txs[record.index]))
        assert isinstance(body, documents.Attach) and body.commitment == attachment.commitment
        view["envelope"] = to_json(body.envelope)
    return web.json_response(view)


async def get_application(request: web.Request) -> web.Response:
    application_id = hex_id(request.match_info["id"], "an application id")
    application = stored(request.app[NODE], application_key(application_id), Application,
                         f"no application {application_id.hex()}")
    return web.json_response(to_json(application))


async def list_applications(request: web.Request) -> web.Response:
    node = request.app[NODE]
    creditor = address_param(request, "creditor")
    debtor = address_param(request, "debtor")
    if (creditor is None) == (debtor is None):
        raise bad_request("missing_parameter", "give creditor=ADDRESS or debtor=ADDRESS")
    prefix = b"ac/" + creditor if creditor else b"ad/" + (debtor or b"")
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    ids, next_cursor = page(node, prefix, cursor_param(request), limit)
    found = [to_json(stored(node, application_key(i), Application, "application"))
             for i in ids]
    return web.json_response({"applications": found, "next": next_cursor})


async def get_holder(request: web.Request) -> web.Response:
    node = request.app[NODE]
    address = address_of(request.match_info["address"])
    require_member(node, address)
    return web.json_response(to_json(get_holder_totals(node.store, address)))


async def get_debtor(request: web.Request) -> web.Response:
    node = request.app[NODE]
    address = address_of(request.match_info["address"])
    require_member(node, address)
    record = get_debtor_record(node.store, address)
    average = (record.confirmation_delay_ms // record.confirmations
               if record.confirmations else None)
    return web.json_response({**to_json(record), "average_confirmation_delay_ms": average})


async def get_origin(request: web.Request) -> web.Response:
    origin_id = hex_id(request.match_info["id"], "an origin id")
    origin = stored(request.app[NODE], origin_key(origin_id), Origin,
                    f"no issued voucher {origin_id.hex()}")
    return web.json_response(to_json(origin))


# ---------------------------------------------------------------- pledges


async def list_pledges(request: web.Request) -> web.Response:
    node = request.app[NODE]
    name, key = only_one(voucher=id_param(request, "voucher"),
                         origin=id_param(request, "origin"), bank=address_param(request, "bank"))
    status = choice_param(request, "status", pledge.PLEDGE_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    by = {"voucher": pledge.by_voucher_key, "origin": pledge.by_origin_key,
          "bank": pledge.by_bank_key}
    prefix = by[name](key, b"")

    def keep(pledge_id: bytes) -> dict[str, Any] | None:
        found = stored(node, pledge.pledge_key(pledge_id), pledge.Pledge, "pledge")
        return to_json(found) if status is None or found.status == status else None

    found, next_cursor = filtered_page(node, prefix, cursor_param(request), limit, keep)
    return web.json_response({"pledges": found, "next": next_cursor})


async def get_pledge(request: web.Request) -> web.Response:
    pledge_id = hex_id(request.match_info["id"], "a pledge id")
    found = stored(request.app[NODE], pledge.pledge_key(pledge_id), pledge.Pledge,
                   f"no pledge {pledge_id.hex()}")
    return web.json_response(to_json(found))


# ---------------------------------------------------------------- acquisition commitments


def commitment_view(commitment: acquisition.Commitment, now_ms: int) -> dict[str, Any]:
    """The commitment and whether a holder may exercise it at the head's ledger time."""
    exercisable = (commitment.status == "open"
                   and commitment.lock_until_ms <= now_ms < commitment.expires_ms)
    return {**to_json(commitment), "exercisable": exercisable}


def load_commitment_view(node: Node, commitment_id: bytes) -> dict[str, Any]:
    found = stored(node, acquisition.commitment_key(commitment_id), acquisition.Commitment,
                   f"no commitment {commitment_id.hex()}")
    return commitment_view(found, node.chain.head.time_ms)


async def list_commitments(request: web.Request) -> web.Response:
    node = request.app[NODE]
    name, key = only_one(voucher=id_param(request, "voucher"),
                         acquirer=address_param(request, "acquirer"))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = cursor_param(request)
    if name == "acquirer":
        ids, next_cursor = page(node, acquisition.by_acquirer_key(key, b""), cursor, limit)
    else:
        # The commitments a voucher state carries (at most MAX_COMMITMENTS), in its order.
        voucher = stored(node, voucher_key(key), Voucher, f"no voucher {key.hex()}")
        carried = list(voucher.commitments)
        if cursor is None:
            start = 0
        elif cursor in carried:
            start = carried.index(cursor) + 1
        else:
            start = len(carried)  # not a cursor this voucher gave: nothing follows it
        ids = carried[start:start + limit]
        more = start + limit < len(carried)
        next_cursor = ids[-1].hex() if more and ids else None
    views = [load_commitment_view(node, i) for i in ids]
    return web.json_response({"commitments": views, "next": next_cursor})


async def get_commitment(request: web.Request) -> web.Response:
    node = request.app[NODE]
    commitment_id = hex_id(request.match_info["id"], "a commitment id")
    view = load_commitment_view(node, commitment_id)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    prefix = acquisition.exercise_key(commitment_id, b"")
    tx_ids, next_cursor = page(node, prefix, cursor_param(request), limit)
    sales = [
        {"tx_id": tx_id.hex(),
         **to_json(stored(node, prefix + tx_id, acquisition.Sale, "sale"))}
        for tx_id in tx_ids
    ]
    return web.json_response({**view, "sales": sales, "next": next_cursor})


# ---------------------------------------------------------------- offers and redemptions


async def list_offers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    debtor = address_param(request, "debtor")
    if debtor is None:
        raise bad_request("missing_parameter", "give debtor=ADDRESS")
    status = choice_param(request, "status", redemption.OFFER_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)

    def keep(offer_id: bytes) -> dict[str, Any] | None:
        offer = stored(node, redemption.offer_key(offer_id), redemption.Offer, "offer")
        return to_json(offer) if status is None or offer.status == status else None

    found, next_cursor = filtered_page(node, redemption.debtor_offer_key(debtor, b""),
                                       cursor_param(request), limit, keep)
    return web.json_response({"offers": found, "next": next_cursor})


async def get_offer(request: web.Request) -> web.Response:
    offer_id = hex_id(request.match_info["id"], "an offer id")
    offer = stored(request.app[NODE], redemption.offer_key(offer_id), redemption.Offer,
                   f"no offer {offer_id.hex()}")
    return web.json_response(to_json(offer))


async def list_redemptions(request: web.Request) -> web.Response:
    node = request.app[NODE]
    name, address = only_one(holder=address_param(request, "holder"),
                             debtor=address_param(request, "debtor"))
    status = choice_param(request, "status", redemption.REQUEST_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    by = {"holder": redemption.holder_request_key, "debtor": redemption.debtor_request_key}
    prefix = by[name](address, b"")

    def keep(request_id: bytes) -> dict[str, Any] | None:
        found = stored(node, redemption.request_key(request_id), redemption.Request,
                       "redemption request")
        return to_json(found) if status is None or found.status == status else None

    found, next_cursor = filtered_page(node, prefix, cursor_param(request), limit, keep)
    return web.json_response({"redemptions": found, "next": next_cursor})


async def get_redemption(request: web.Request) -> web.Response:
    request_id = hex_id(request.match_info["id"], "a redemption request id")
    found = stored(request.app[NODE], redemption.request_key(request_id), redemption.Request,
                   f"no redemption request {request_id.hex()}")
    return web.json_response(to_json(found))


# ---------------------------------------------------------------- fees


async def get_fee_schedule(request: web.Request) -> web.Response:
    return web.json_response(to_json(fees.get_schedule(request.app[NODE].store)))


async def get_fee_account(request: web.Request) -> web.Response:
    """A member's fee account and a page of its charges and payments, oldest first.

    The cursor is the charge's key suffix: its height (8 bytes, big-endian) and its
    transaction id, as 80 hex digits; each charge carries it as `cursor`.
    """
    node = request.app[NODE]
    address = address_of(request.match_info["address"])
    require_member(node, address)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    after = hex_cursor_param(request, CHARGE_CURSOR_BYTES)
    prefix = b"fc/" + address
    suffixes, next_cursor = page(node, prefix, after, limit)
    charges = [
        {**to_json(stored(node, prefix + suffix, fees.Charge, "charge")),
         "height": int.from_bytes(suffix[:8], "big"), "cursor": suffix.hex()}
        for suffix in suffixes
    ]
    account = fees.get_account(node.store, address)
    return web.json_response({**to_json(account), "owed_fen": account.owed_fen,
                              "charges": charges, "next": next_cursor})


# ---------------------------------------------------------------- obligations


def obligation_view(node: Node, obligation: obligations.Obligation) -> dict[str, Any]:
    """The obligation and the open set-off round it is in, if any."""
    in_round = setoff.open_round_of(node.store, obligation.id)
    return {**to_json(obligation), "open_round": None if in_round is None else in_round.hex()}


async def list_obligations(request: web.Request) -> web.Response:
    node = request.app[NODE]
    name, address = only_one(creditor=address_param(request, "creditor"),
                             debtor=address_param(request, "debtor"))
    status = choice_param(request, "status", obligations.STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    by = {"creditor": obligations.creditor_key, "debtor": obligations.debtor_key}
    prefix = by[name](address, b"")

    def keep(obligation_id: bytes) -> dict[str, Any] | None:
        found = stored(node, obligations.obligation_key(obligation_id),
                       obligations.Obligation, "obligation")
        return obligation_view(node, found) if status is None or found.status == status \
            else None

    found, next_cursor = filtered_page(node, prefix, cursor_param(request), limit, keep)
    return web.json_response({"obligations": found, "next": next_cursor})


async def get_obligation(request: web.Request) -> web.Response:
    node = request.app[NODE]
    obligation_id = hex_id(request.match_info["id"], "an obligation id")
    found = stored(node, obligations.obligation_key(obligation_id), obligations.Obligation,
                   f"no obligation {obligation_id.hex()}")
    return web.json_response(obligation_view(node, found))


# ---------------------------------------------------------------- set-off


def round_asks(round_: setoff.Round, only: bytes | None) -> list[dict[str, Any]]:
    """Per member of the round (or only `only`): the legs it is cleared of (as debtor) and
    cleared to (as creditor), with their totals; the two are equal by the contract's rule."""
    of: dict[bytes, list[setoff.Leg]] = {m: [] for m in round_.members}
    to: dict[bytes, list[setoff.Leg]] = {m: [] for m in round_.members}
    for leg in round_.legs:
        of[leg.debtor].append(leg)
        to[leg.creditor].append(leg)
    return [
        {"member": member.hex(),
         "cleared_of": to_json(of[member]),
         "cleared_of_fen": sum(leg.amount_fen for leg in of[member]),
         "cleared_to": to_json(to[member]),
         "cleared_to_fen": sum(leg.amount_fen for leg in to[member])}
        for member in round_.members if only is None or member == only
    ]


def round_view(round_: setoff.Round, member: bytes | None) -> dict[str, Any]:
    """The round as recorded, who has yet to consent, its figures and what it asks of whom.

    remaining_fen is the debt of the agency's graph the round leaves; bound_fen that
    graph's net internal debt, below which no set-off goes; gap_fen the distance to it.
    """
    remaining_fen = round_.graph_total_fen - round_.cleared_fen
    return {
        **to_json(round_),
        "waiting_for": [m.hex() for m in round_.members if m not in round_.consented],
        "remaining_fen": remaining_fen,
        "bound_fen": round_.graph_bound_fen,
        "gap_fen": remaining_fen - round_.graph_bound_fen,
        "asks": round_asks(round_, member),
    }


def load_round(node: Node, round_id: bytes) -> setoff.Round:
    return stored(node, setoff.round_key(round_id), setoff.Round,
                  f"no set-off round {round_id.hex()}")


async def list_setoff_rounds(request: web.Request) -> web.Response:
    node = request.app[NODE]
    member = address_param(request, "member")
    status = choice_param(request, "status", setoff.ROUND_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    if member is not None:
        prefix = setoff.member_round_key(member, b"")
    elif status is None:
        raise bad_request("missing_parameter", "give member=ADDRESS or status=open")
    elif status != "open":
        raise bad_request("bad_parameter", "without member=, only status=open is listed")
    else:
        prefix = setoff.open_key(b"")

    def keep(round_id: bytes) -> dict[str, Any] | None:
        found = load_round(node, round_id)
        return round_view(found, member) if status is None or found.status == status else None

    found, next_cursor = filtered_page(node, prefix, cursor_param(request), limit, keep)
    return web.json_response({"rounds": found, "next": next_cursor})


async def get_setoff_round(request: web.Request) -> web.Response:
    node = request.app[NODE]
    round_id = hex_id(request.match_info["id"], "a round id")
    member = address_param(request, "member")
    return web.json_response(round_view(load_round(node, round_id), member))


def exclude_param(request: web.Request) -> frozenset[bytes]:
    """`exclude=ADDR,ADDR` (or the parameter repeated): members a plan leaves out."""
    texts = [part for value in request.query.getall("exclude", []) if value
             for part in value.split(",")]
    if len(texts) > MAX_EXCLUDE:
        raise bad_request("bad_parameter", f"exclude names at most {MAX_EXCLUDE} members")
    return frozenset(address_of(text) for text in texts)


def plan_view(plan: setoff_plan.Plan, graph: setoff_plan.Graph,
              seconds: dict[str, float] | None = None) -> dict[str, Any]:
    debts = {debt.id: debt for debt in graph.debts}
    rounds = []
    for reductions in plan.rounds:
        parties = [debts[r.id] for r in reductions]
        rounds.append({
            "reductions": [{**to_json(r), "debtor": d.debtor.hex(), "creditor": d.creditor.hex()}
                           for r, d in zip(reductions, parties, strict=True)],
            "members": sorted({d.debtor.hex() for d in parties} | {d.creditor.hex()
                                                                    for d in parties}),
            "cleared_fen": sum(r.amount_fen for r in reductions),
        })
    remaining_fen = plan.total_fen - plan.cleared_fen
    run = plan.run
    return {
        "total_fen": plan.total_fen, "bound_fen": plan.bound_fen,
        "cleared_fen": plan.cleared_fen, "remaining_fen": remaining_fen,
        "gap_fen": remaining_fen - plan.bound_fen,
        "in_rounds_fen": sum(r["cleared_fen"] for r in rounds),
        "bilateral_fen": plan.bilateral_fen, "deferred_fen": plan.deferred_fen,
        "debts": len(graph.debts), "members": plan.members, "arcs": plan.arcs,
        "rounds": rounds,
        "run": {
            "open_run": graph.open_run.hex() if graph.open_run else None,
            "mandated_members": run.mandated_members, "members": run.members,
            "optimum_fen": run.optimum_fen, "planned_fen": run.planned_fen,
            "planned_share": round(run.planned_fen / run.optimum_fen, 6)
            if run.optimum_fen else None,
            "held_by_limits_fen": run.held_by_limits_fen, "deferred_fen": run.deferred_fen,
            "bilateral_fen": run.bilateral_fen, "loops": run.loops,
            "batches": len(run.batches), "legs": sum(len(b) for b in run.batches),
        },
        # For the agency's `setoff run`: [kind, id, amount_fen] per reduction, as JSON text
        # encoded here, off the event loop, and kept as one string (see `Planner`).
        "run_batches": json.dumps([[[r.kind, r.id.hex(), r.amount_fen] for r in batch]
                                   for batch in run.batches], separators=(",", ":")),
        "unmandated_fen": plan.unmandated_fen, "rounds_optimum_fen": plan.rounds_optimum_fen,
        "seconds": {k: round(v, 3) for k, v in {**(seconds or {}), **plan.seconds}.items()},
    }


def plan_answer(state: StateSnapshot, exclude: frozenset[bytes],
                time_ms: int | None = None) -> dict[str, Any]:
    """A plan's answer, less the head: reads and solves, so it runs in a worker thread,
    which closes the snapshot when done with it (nothing else may close it under it).
    Mandates count as they stand at ledger time `time_ms` (the head's)."""
    started = time.perf_counter()
    try:
        graph = setoff_plan.collect(state, exclude, setoff_plan.MAX_PLAN_DEBTS, time_ms)
    finally:
        state.close()
    collected = time.perf_counter() - started
    return plan_view(setoff_plan.plan_of(graph), graph, {"collect": collected})


class Planner:
    """Set-off plans of the head: one computed at a time, in a worker thread, from a
    snapshot of the state taken between two blocks; answers kept per (head block id,
    exclusions), so asking again costs nothing until the next block.

    A computation runs to its end even if the client that started it went away (its
    thread could not be stopped anyway), and requests for the same exclusions share it.
    """

    def __init__(self) -> None:
        self.cache: OrderedDict[tuple[bytes, frozenset[bytes]], dict[str, Any]] = OrderedDict()
        self.job: asyncio.Future[dict[str, Any]] | None = None
        self.job_exclude: frozenset[bytes] | None = None
        self.computed = 0  # plans computed (the rest were answered from the cache)

    async def answer(self, node: Node, exclude: frozenset[bytes],
                     with_batches: bool = False) -> dict[str, Any]:
        for _ in range(MAX_PLAN_TURNS):
            key = (node.chain.head.block_id, exclude)
            if key in self.cache and with_batches and "run_batches" not in self.cache[key]:
                del self.cache[key]  # its batches were let go: compute it again
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
            if self.job is None or self.job.done():
                self.job = asyncio.ensure_future(self._compute(node, exclude))
                self.job.add_done_callback(_retrieved)  # no "never retrieved" log lines
                self.job_exclude = exclude
            job = self.job
            if self.job_exclude == exclude:
                return await asyncio.shield(job)  # the head when it started, or newer
            with suppress(LedgerError):  # another request's plan: wait for the solver
                await asyncio.shield(job)
        raise LedgerError("setoff.plan_busy", "set-off plans for other exclusions are being "
                          "computed; retry in a moment")

    async def _compute(self, node: Node, exclude: frozenset[bytes]) -> dict[str, Any]:
        head = node.chain.head
        snapshot = node.store.snapshot()  # taken with the head: no block commits between
        try:
            view = await asyncio.get_running_loop().run_in_executor(
                None, plan_answer, snapshot, exclude, head.time_ms)
        except StoreFault as fault:
            raise node.store.report(fault) from fault
        self.computed += 1
        answer = {"height": head.height, "block_id": head.block_id.hex(),
                  "time_ms": head.time_ms, "exclude": sorted(m.hex() for m in exclude),
                  **view}
        self.cache[(head.block_id, exclude)] = answer
        while len(self.cache) > PLAN_CACHE_ENTRIES:
            self.cache.popitem(last=False)
        # A run's batches take some 20 MB at 10^5 debts: only the newest plans keep them.
        for key in list(self.cache)[:-PLAN_BATCHES_KEPT]:
            if "run_batches" in self.cache[key]:
                self.cache[key] = {k: v for k, v in self.cache[key].items()
                                   if k != "run_batches"}
        return answer


async def finish_plans(app: web.Application) -> None:
    """On the way down, before the store closes: a plan still reading its snapshot in a
    worker thread finishes first (its reads are bounded by MAX_PLAN_DEBTS), so no thread
    reads a closed LevelDB."""
    job = app[PLANNER].job
    if job is not None and not job.done():
        log.info("waiting for the set-off plan being computed before closing the store")
        with suppress(Exception):
            await asyncio.shield(job)


def _retrieved(job: asyncio.Future[Any]) -> None:
    if not job.cancelled():
        job.exception()


PLANNER = web.AppKey("setoff_planner", Planner)


async def get_setoff_plan(request: web.Request) -> web.Response:
    """The optimal set-off of the state at the head: the run over mandated members' debts
    and rounds for the rest (see `Planner`); the run's batches only with run_batches=1 (the
    agency submits them; they are large); 503 `setoff.plan_too_large` past
    setoff_plan.MAX_PLAN_DEBTS live debts."""
    exclude = exclude_param(request)
    with_batches = choice_param(request, "run_batches", {"0", "1"}) == "1"
    answer = await request.app[PLANNER].answer(request.app[NODE], exclude, with_batches)
    summary = json.dumps({k: v for k, v in answer.items() if k != "run_batches"})
    if not with_batches:
        return web.Response(text=summary, content_type="application/json")
    assert summary.endswith("}") and len(summary) > 2
    return web.Response(text=f'{summary[:-1]}, "run_batches": {answer["run_batches"]}}}',
                        content_type="application/json")


def mandate_view(mandate: setoff.Mandate, time_ms: int) -> dict[str, Any]:
    return {**to_json(mandate), "live": setoff.mandate_live(mandate, time_ms)}


async def get_setoff_mandates(request: web.Request) -> web.Response:
    """Every mandate a member signed, oldest first, and whether its latest stands now."""
    node = request.app[NODE]
    member = address_of(request.match_info["member"])
    require_member(node, member)
    now = node.chain.head.time_ms
    mandates = setoff.mandates_of(node.store, member)
    current = mandates[-1] if mandates else None
    return web.json_response({
        "member": member.hex(),
        "live": setoff.mandate_live(current, now),
        "mandates": [mandate_view(m, now) for m in mandates],
    })


def run_view(node: Node, run: setoff.Run, member: bytes | None) -> dict[str, Any]:
    now = node.chain.head.time_ms
    view = {**to_json(run), "open": run.status == "open" and now < run.closes_ms,
            "executed_share": round(run.cleared_fen / run.optimum_fen, 6)
            if run.optimum_fen else None}
    if member is not None:
        usage = setoff.get_usage(node.store, run.id, member)
        view["usage"] = {"member": member.hex(), "cleared_of_fen": usage.cleared_of_fen,
                         "cleared_to_fen": usage.cleared_to_fen, "batches": usage.batches}
    return view


def load_run(node: Node, run_id: bytes) -> setoff.Run:
    return stored(node, setoff.run_key(run_id), setoff.Run, f"no set-off run {run_id.hex()}")


async def list_setoff_runs(request: web.Request) -> web.Response:
    """Runs in id order; with member=, the runs that cleared something of that member, each
    with what it cleared of the member's debts and claims."""
    node = request.app[NODE]
    member = address_param(request, "member")
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    prefix = setoff.run_key(b"") if member is None else setoff.member_run_key(member, b"")
    found, next_cursor = filtered_page(node, prefix, cursor_param(request), limit,
                                       lambda run_id: run_view(node, load_run(node, run_id),
                                                               member))
    return web.json_response({"runs": found, "next": next_cursor})


async def get_setoff_run(request: web.Request) -> web.Response:
    node = request.app[NODE]
    run_id = hex_id(request.match_info["id"], "a run id")
    return web.json_response(run_view(node, load_run(node, run_id),
                                      address_param(request, "member")))


async def get_setoff_run_batch(request: web.Request) -> web.Response:
    """One batch of a run: its legs (debts named as the run named them) and its figures."""
    node = request.app[NODE]
    run_id = hex_id(request.match_info["id"], "a run id")
    number = request.match_info["number"]
    if not number.isdigit() or int(number) >= 2**32:
        raise bad_request("bad_parameter", "a batch number is 0 to 4294967295")
    batch = stored(node, setoff.batch_key(run_id, int(number)), setoff.Batch,
                   f"no batch {number} of run {run_id.hex()}")
    return web.json_response(to_json(batch))


async def get_setoff_limit(request: web.Request) -> web.Response:
    node = request.app[NODE]
    member = address_of(request.match_info["member"])
    require_member(node, member)
    limit = setoff.get_limit(node.store, member)
    if limit is None:
        return web.json_response({"member": member.hex(), "opted_out": False,
                                  "max_fen_per_round": None, "set_at_ms": None})
    return web.json_response(to_json(limit))


async def get_setoff_totals(request: web.Request) -> web.Response:
    node = request.app[NODE]
    raw = node.store.get(b"srn")
    proposed = 0 if raw is None else int.from_bytes(raw, "big")
    runs = setoff.get_run_totals(node.store)
    return web.json_response({**to_json(setoff.get_totals(node.store)),
                              "rounds_proposed": proposed, "runs": runs.runs,
                              "run_batches": runs.batches, "run_cleared_fen": runs.cleared_fen})


# ---------------------------------------------------------------- events


def event_view(event: AddressedEvent) -> dict[str, Any]:
    return {"cursor": event.cursor.hex(), **to_json(event)}


async def get_events(request: web.Request) -> web.Response:
    """Events addressed to a member, oldest first; waits up to wait_ms for the next one."""
    node = request.app[NODE]
    address = address_param(request, "address")
    if address is None:
        raise bad_request("missing_parameter", "give address=ADDRESS")
    after = hex_cursor_param(request, CURSOR_BYTES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    wait_ms = int_param(request, "wait_ms", 0, 0, MAX_WAIT_MS)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_ms / 1000
    while True:
        events, next_cursor = node.store.events_for(address, after, limit)
        remaining = deadline - loop.time()
        if events or remaining <= 0:
            return web.json_response({
                "events": [event_view(e) for e in events],
                "next": None if next_cursor is None else next_cursor.hex(),
            })
        try:
            await asyncio.wait_for(node.committed.wait(), timeout=remaining)
        except TimeoutError:
            pass


EVIDENCE_CURSOR_TEXT = re.compile(f"[0-9a-fA-F]{{{2 * evidence.KEY_BYTES}}}")


async def list_evidence(request: web.Request) -> web.Response:
    """Equivocations on the ledger (every one, or one validator's), in key order:
    validator, height, round, step."""
    node = request.app[NODE]
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    validator = request.query.get("validator")
    prefix = evidence.PREFIX if validator is None else \
        evidence.validator_prefix(address_of(validator))
    after = request.query.get("after")
    if after is not None and not EVIDENCE_CURSOR_TEXT.fullmatch(after):
        raise bad_request("bad_cursor", f"after must be {2 * evidence.KEY_BYTES} hex digits "
                          "(the `next` of the previous page)")
    out: list[dict[str, Any]] = []
    last = b""
    for suffix, record in evidence.scan_evidence(
            node.store, prefix, b"" if after is None else bytes.fromhex(after)):
        if len(out) >= limit:
            return web.json_response({"evidence": out, "next": last.hex()})
        out.append(to_json(record))
        last = suffix
    return web.json_response({"evidence": out, "next": None})


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def make_app(node: Node, submit_limit: SubmitLimit | None = None,
             client_key: Callable[[web.Request], str] = remote_address,
             front_limits: FrontLimits | None = None) -> web.Application:
    """The HTTP API (peer links have their own TLS listener, node/peers.py).

    `submit_limit` bounds each client's submissions (default: the node's [limits]);
    `client_key` names the client a request counts against (default its IP address);
    `front_limits` what one connection may cost (node/front.py, default `FrontLimits()`;
    served with node.front.start_front, which applies its connection limits).
    """
    # The deadline outermost: it sends every answer, error answers included.
    app = web.Application(client_max_size=MAX_BODY_BYTES,
                          middlewares=[answer_deadline, errors_as_json])
    app[NODE] = node
    app[FRONT_LIMITS] = front_limits or FrontLimits()
    app[API_LOG] = throttled_logger(log.name, app[FRONT_LIMITS])  # bugs any client may reach
    app[FRONT_LOG] = throttled_logger("claimledger.http", app[FRONT_LIMITS])
    app[PLANNER] = Planner()
    app.on_cleanup.append(finish_plans)
    app[SUBMIT_BUCKETS] = ClientBuckets(submit_limit or SubmitLimit.of(node.config.limits))
    app[LARGE_READ_GATE] = asyncio.Semaphore(LARGE_READS)
    app[LARGE_READERS] = Counter()
    app[BATCH_GATE] = BatchGate(BATCH_SLOTS, MAX_BATCH_WAITING)
    app[CLIENT_KEY] = client_key
    app.add_routes([
        web.get("/v1/status", get_status),
        web.post("/v1/txs", post_tx),
        web.post("/v1/txs/batch", post_tx_batch),
        web.get("/v1/txs/{id}", get_tx),
        web.get("/v1/blocks/{height}", get_block),
        web.get("/v1/vouchers", list_vouchers),
        web.get("/v1/vouchers/{id}", get_voucher_route),
        web.get("/v1/vouchers/{id}/lineage", get_voucher_lineage),
        web.get("/v1/holders/{address}", get_holder),
        web.get("/v1/debtors/{address}", get_debtor),
        web.get("/v1/origins/{id}", get_origin),
        web.get("/v1/pledges", list_pledges),
        web.get("/v1/pledges/{id}", get_pledge),
        web.get("/v1/commitments", list_commitments),
        web.get("/v1/commitments/{id}", get_commitment),
        web.get("/v1/offers", list_offers),
        web.get("/v1/offers/{id}", get_offer),
        web.get("/v1/redemptions", list_redemptions),
        web.get("/v1/redemptions/{id}", get_redemption),
        web.get("/v1/fees", get_fee_schedule),
        web.get("/v1/fees/{address}", get_fee_account),
        web.get("/v1/obligations", list_obligations),
        web.get("/v1/obligations/{id}", get_obligation),
        web.get("/v1/setoff/rounds", list_setoff_rounds),
        web.get("/v1/setoff/rounds/{id}", get_setoff_round),
        web.get("/v1/setoff/plan", get_setoff_plan),
        web.get("/v1/setoff/limits/{member}", get_setoff_limit),
        web.get("/v1/setoff/totals", get_setoff_totals),
        web.get("/v1/setoff/mandates/{member}", get_setoff_mandates),
        web.get("/v1/setoff/runs", list_setoff_runs),
        web.get("/v1/setoff/runs/{id}", get_setoff_run),
        web.get("/v1/setoff/runs/{id}/batches/{number}", get_setoff_run_batch),
        web.get("/v1/events", get_events),
        web.get("/v1/members", list_members),
        web.get("/v1/members/{address}", get_member),
        web.get("/v1/applications", list_applications),
        web.get("/v1/applications/{id}", get_application),
        web.get("/v1/documents/{id}", get_document),
        web.get("/v1/evidence", list_evidence),
        web.get("/v1/openapi.json", get_openapi),
    ])
    from node.explorer import add_explorer  # it builds on this module's helpers

    add_explorer(app)  # the regulator's explorer at /explorer/ and the reads it needs
    return app
