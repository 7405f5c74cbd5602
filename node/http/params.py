"""Request parameters and error answers: the bottom of the HTTP API (node/http/).

Every error a client sees is JSON, {"error": {"code", "message"}}, with a stable code and
the status `status_of` gives it; `errors_as_json` turns every handler's failure into one,
so nothing a client sends can crash the node (unexpected failures are logged and answered
500). The parameter readers here refuse malformed input with `request.*` codes before a
handler reads the store.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from contracts.errors import LedgerError, Rejected, Unauthenticated
from contracts.membership import Member, get_member
from contracts.tx import MAX_LARGE_TX_BYTES
from node.front import refuse_encoded_body
from node.http.auth import AUTH_STATUS, WWW_AUTHENTICATE, Busy
from node.mempool import QuotaExceeded
from node.service import Node

MAX_BODY_BYTES = 2 * MAX_LARGE_TX_BYTES + 64 * 1024  # the largest transaction as JSON hex
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MAX_WAIT_MS = 30_000

HEX32_TEXT = re.compile(r"[0-9a-fA-F]{64}")  # a fixed length: never more than 64 steps
INTEGER_TEXT = re.compile(r"-?[0-9]{1,18}")
HEIGHT_TEXT = re.compile(r"[0-9]+")

T = TypeVar("T")

NODE = web.AppKey("node", Node)
API_LOG = web.AppKey("api_log", logging.Logger)

STATUS_BY_CODE = {
    "tx.replay": 409,
    "mempool.full": 503,
    "mempool.member_quota": 429,
    "mempool.member_throttled": 429,
    "submit.busy": 503,
    "observer.read_only": 403,
    "not_found": 404,
    "proof.unknown_kind": 404,
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
    for kind, status in AUTH_STATUS.items():  # 401 who are you, 403 not yours, 503 busy
        if isinstance(error, kind):
            return status
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
    except Busy as e:
        return error_response(status_of(e), e.code, e.message,
                              **{"Retry-After": str(e.retry_after_s)})
    except Unauthenticated as e:
        return error_response(status_of(e), e.code, e.message,
                              **{"WWW-Authenticate": WWW_AUTHENTICATE})
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


def found(record: T | None, missing: str) -> T:
    """The record a read found, or a 404 saying what is missing."""
    if record is None:
        raise not_found(missing)
    return record


def require_member(node: Node, address: bytes) -> Member:
    """The member at `address`, or a 404: records kept per member exist for members only."""
    return found(get_member(node.store, address), f"{address.hex()} is not a member")


def next_text(cursor: bytes | None) -> str | None:
    """A page's next cursor as the API writes it (hex; null at the end)."""
    return None if cursor is None else cursor.hex()


def page_answer(name: str, views: list[dict[str, Any]], next_cursor: bytes | None
                ) -> web.Response:
    """A page of one kind of record: {name: [views], "next": the cursor or null}."""
    return web.json_response({name: views, "next": next_text(next_cursor)})
