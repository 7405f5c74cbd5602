"""The HTTP API: JSON under /v1, errors as {"error": {"code", "message"}}.

Nothing a client sends can crash the node: every handler's failures become a JSON error
with a stable code and the right status; unexpected ones are logged and answered 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from contracts.codec import decode, to_json
from contracts.errors import LedgerError, Rejected
from contracts.identity import parse_address, parse_hash
from contracts.issuance import Application, application_key
from contracts.ledger import resolve
from contracts.membership import Member, member_key
from contracts.tx import MAX_TX_BYTES, Transaction, decode_transaction, payload_id
from contracts.vouchers import (
    VOUCHER_STATUSES,
    Voucher,
    debtor_index_key,
    get_voucher,
    holder_index_key,
    voucher_key,
)
from node.blocks import Block
from node.openapi import openapi_document
from node.service import Node, wall_ms

log = logging.getLogger("claimledger.api")

MAX_BODY_BYTES = 256 * 1024
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_WAIT_MS = 30_000
MAX_LINEAGE = 10_000

NODE = web.AppKey("node", Node)
T = TypeVar("T")

STATUS_BY_CODE = {
    "tx.replay": 409,
    "mempool.full": 503,
    "observer.read_only": 403,
    "not_found": 404,
}


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
        return await handler(request)
    except LedgerError as e:
        headers = {"Retry-After": "1"} if e.code == "mempool.full" else {}
        return error_response(status_of(e), e.code, e.message, **headers)
    except web.HTTPRequestEntityTooLarge:
        return error_response(
            413, "request.too_large", f"the request body exceeds {MAX_BODY_BYTES} bytes"
        )
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
        log.exception("unexpected error in %s %s", request.method, request.path)
        return error_response(500, "internal", "the node failed to answer; this is a bug")


# ---------------------------------------------------------------- request helpers


def bad_request(code: str, message: str) -> LedgerError:
    return LedgerError(f"request.{code}", message)


def not_found(message: str) -> LedgerError:
    return LedgerError("not_found", message)


def hex_id(text: str, what: str) -> bytes:
    return parse_hash(text, what, "request.bad_id")


def cursor_param(request: web.Request) -> bytes | None:
    after = request.query.get("after")
    return None if after is None else hex_id(after, "after")


def int_param(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request("bad_parameter", f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise bad_request("bad_parameter", f"{name} must lie in [{lo}, {hi}]")
    return value


def address_param(request: web.Request, name: str) -> bytes | None:
    text = request.query.get(name)
    return None if text is None else parse_address(text)


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
    try:
        _, _, body = resolve(node.registry, tx)
        view["body"] = to_json(body)
    except LedgerError:
        view["body"] = None
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


def lineage(node: Node, voucher: Voucher) -> list[str]:
    """Ids from the origin down to this voucher state's parent."""
    chain: list[str] = []
    current = voucher
    while current.parent is not None and len(chain) < MAX_LINEAGE:
        parent = get_voucher(node.store, current.parent)
        assert parent is not None, "a voucher's parent is stored"
        chain.append(parent.id.hex())
        current = parent
    return list(reversed(chain))


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


# ---------------------------------------------------------------- handlers


async def get_status(request: web.Request) -> web.Response:
    node = request.app[NODE]
    head = node.chain.head
    return web.json_response({
        "chain_id": node.chain.chain_id,
        "node": node.name,
        "role": node.identity.role,
        "address": node.key.address.hex(),
        "height": head.height,
        "block_id": head.block_id.hex(),
        "state_root": head.state_root.hex(),
        "time_ms": head.time_ms,
        "genesis_id": (node.store.genesis_id() or b"").hex(),
        "mempool": len(node.mempool),
        "validators": [
            {"name": v.name, "key": v.key.hex(), "power": v.power}
            for v in node.config.validators
        ],
    })


async def read_submission(request: web.Request) -> bytes:
    body = await request.read()
    if request.content_type in ("application/msgpack", "application/octet-stream"):
        return body
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("bad_json", "the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("tx"), str):
        raise bad_request("bad_json", 'expected {"tx": "<hex of the signed transaction>"}')
    if len(document["tx"]) > 2 * MAX_TX_BYTES:
        raise LedgerError("codec.too_long", f"a transaction is at most {MAX_TX_BYTES} bytes")
    try:
        return bytes.fromhex(document["tx"])
    except ValueError:
        raise bad_request("bad_hex", "tx must be the transaction's bytes in hex") from None


async def post_tx(request: web.Request) -> web.Response:
    node = request.app[NODE]
    if not node.is_validator:
        raise LedgerError(
            "observer.read_only", "this is a read-only observer node; submit to a validator"
        )
    raw = await read_submission(request)
    checked, _ = node.mempool.submit(raw, wall_ms())
    return web.json_response({"id": checked.id.hex(), "status": "pending"}, status=202)


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
    try:
        height = int(request.match_info["height"])
    except ValueError:
        raise bad_request("bad_height", "a height is a non-negative integer") from None
    block = node.store.block(height) if 0 <= height <= node.chain.head.height else None
    if block is None:
        raise not_found(f"no block at height {height} (head is {node.chain.head.height})")
    return web.json_response(block_view(node, block))


async def get_voucher_route(request: web.Request) -> web.Response:
    node = request.app[NODE]
    voucher_id = hex_id(request.match_info["id"], "a voucher id")
    voucher = stored(node, voucher_key(voucher_id), Voucher, f"no voucher {voucher_id.hex()}")
    return web.json_response({**to_json(voucher), "lineage": lineage(node, voucher)})


async def list_vouchers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    holder = address_param(request, "holder")
    debtor = address_param(request, "debtor")
    status = request.query.get("status")
    if status is not None and status not in VOUCHER_STATUSES:
        allowed = ", ".join(sorted(VOUCHER_STATUSES))
        raise bad_request("bad_parameter", f"status is one of {allowed}")
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = cursor_param(request)
    if holder is None and debtor is None:
        raise bad_request("missing_parameter", "give holder=ADDRESS or debtor=ADDRESS")
    prefix = holder_index_key(holder, b"") if holder else debtor_index_key(debtor, b"")
    out = []
    next_cursor = None
    # Filters apply after the index; the cursor walks the index so paging stays exact.
    while True:
        ids, next_cursor = page(node, prefix, cursor, limit)
        for voucher_id in ids:
            voucher = get_voucher(node.store, voucher_id)
            assert voucher is not None, "an indexed voucher is stored"
            if debtor is not None and voucher.debtor != debtor:
                continue
            if status is not None and voucher.status != status:
                continue
            out.append(to_json(voucher))
        if next_cursor is None or len(out) >= limit:
            break
        cursor = bytes.fromhex(next_cursor)
    return web.json_response({"vouchers": out[:limit], "next": next_cursor})


def stored(node: Node, key: bytes, cls: type[T], missing: str) -> T:
    """The record stored at a state key, or a 404 saying what is missing."""
    raw = node.store.get(key)
    if raw is None:
        raise not_found(missing)
    return decode(cls, raw)


async def get_member(request: web.Request) -> web.Response:
    address = parse_address(request.match_info["address"])
    member = stored(request.app[NODE], member_key(address), Member,
                    f"{address.hex()} is not a member")
    return web.json_response(to_json(member))


async def list_members(request: web.Request) -> web.Response:
    node = request.app[NODE]
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    ids, next_cursor = page(node, b"m/", cursor_param(request), limit)
    members = [to_json(stored(node, member_key(a), Member, "member")) for a in ids]
    return web.json_response({"members": members, "next": next_cursor})


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


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def make_app(node: Node) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[errors_as_json])
    app[NODE] = node
    app.add_routes([
        web.get("/v1/status", get_status),
        web.post("/v1/txs", post_tx),
        web.get("/v1/txs/{id}", get_tx),
        web.get("/v1/blocks/{height}", get_block),
        web.get("/v1/vouchers", list_vouchers),
        web.get("/v1/vouchers/{id}", get_voucher_route),
        web.get("/v1/members", list_members),
        web.get("/v1/members/{address}", get_member),
        web.get("/v1/applications", list_applications),
        web.get("/v1/applications/{id}", get_application),
        web.get("/v1/openapi.json", get_openapi),
    ])
    return app
