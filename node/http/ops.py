"""The operator's routes: /health, /ready and /metrics, and the middleware that times
every answer and counts every refusal for /metrics.

/health and /ready are open (no signed request: a load balancer holds no member key) and
say only ok or the code of what is wrong. /metrics is open to clients on a loopback or
private address only (an operator's Prometheus sits beside the node, never on the
internet); it holds the node's own figures, never a member's address or an amount.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from node import operations
from node.http.params import NODE, error_response
from node.metrics import CONTENT_TYPE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,3}$")
MAX_CODES = 256  # distinct error codes labelled; any further one counts as "other"
MAX_CODE_CHARS = 64


def route_label(request: web.Request) -> str:
    """The route's template as the router spells it (`/v1/txs/{id}`), never the path the
    client sent: the label's values stay the API's routes."""
    route = request.match_info.route
    resource = getattr(route, "resource", None)
    return "unmatched" if resource is None else resource.canonical


def error_code(response: web.StreamResponse) -> str | None:
    """The code of an error answer (node/http/params.error_response), if it is one."""
    if response.status < 400 or not isinstance(response, web.Response):
        return None
    body = response.body
    if not isinstance(body, bytes | bytearray) or len(body) > 64 << 10:
        return "other"
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return "other"
    return code if isinstance(code, str) else "other"


def measured() -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Middleware: each answer's time by route template and method, and each error
    answer by its code (outermost, so it sees every answer the API sends)."""
    seen: set[str] = set()

    def bounded(code: str) -> str:
        if code in seen:
            return code
        if len(code) > MAX_CODE_CHARS or not CODE.match(code) or len(seen) >= MAX_CODES:
            return "other"
        seen.add(code)
        return code

    @web.middleware
    async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
        metrics = request.app[NODE].metrics
        started = time.perf_counter()
        method = request.method if request.method in METHODS else "other"
        try:
            response = await handler(request)
        except web.HTTPException as e:
            if e.status >= 400:
                metrics.refusals.labels(bounded(f"http.{e.status}")).inc()
            raise
        finally:
            metrics.api_latency.labels(route_label(request), method).observe(
                time.perf_counter() - started)
        code = error_code(response)
        if code is not None:
            metrics.refusals.labels(bounded(code)).inc()
        return response

    return measure


def verdict_response(verdict: operations.Verdict) -> web.Response:
    if verdict.ok:
        return web.json_response({"status": "ok"})
    return error_response(503, verdict.code, verdict.message)


async def get_health(request: web.Request) -> web.Response:
    """200 while the process runs and its store answers; 503 with the code otherwise."""
    return verdict_response(operations.health(request.app[NODE]))


async def get_ready(request: web.Request) -> web.Response:
    """200 when caught up and, for a validator, linked to a quorum; 503 with the reason."""
    return verdict_response(operations.readiness(request.app[NODE]))


def private_client(request: web.Request) -> bool:
    """A client on a loopback or private network address (RFC 1918, fc00::/7, ...)."""
    try:
        address = ipaddress.ip_address((request.remote or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_loopback or address.is_private


async def get_metrics(request: web.Request) -> web.Response:
    """The node's metrics in Prometheus' text format, for clients on a private address."""
    if not private_client(request):
        return error_response(403, "metrics.forbidden", "the metrics are served to "
                              "clients on a loopback or private network address only")
    node = request.app[NODE]
    response = web.Response(body=node.metrics.exposition())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
