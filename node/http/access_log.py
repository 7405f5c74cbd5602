"""The access log: one JSON line for every API request, saying who read what.

A line holds the caller's member address (`request["caller"]`, set by the authentication
middleware; null for an anonymous request), the client's IP address, the method, the
route's pattern and the path as sent (query included), the status, the bytes of the
answer sent (its head included, as nginx's $bytes_sent; the body alone for an aiohttp
HTTPException raised through), the time the request arrived (UTC) and how long it took. Every
request is logged, the regulator's and the agency's included: who watches is watched.

Lines are JSON with every non-ASCII character escaped (`ensure_ascii`), so whatever a
client puts in a path, a query or a header, it stays inside one JSON string on one line:
no client can forge a line or split one.

Writing never waits on the disk in the event loop: a request costs one `json.dumps` and
one put on a bounded queue (a few microseconds; see tests/test_access_log.py); a thread
takes the lines off the queue and writes them through the standard library's
`RotatingFileHandler`, which rolls the file over before it would pass `max_bytes` and
keeps `backups` old files (FILE.1 the newest ... FILE.<backups> the oldest). When the
disk cannot keep up and the queue is full, lines are dropped and counted, and a line
`{"dropped": N}` says how many as soon as there is room again: a slow disk never slows
the API and never fills memory.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

MAX_PATH_CHARS = 2048  # of a path logged; the rest is cut (and the line says so)


@dataclass(frozen=True)
class AccessLogConfig:
    """Where the access log goes and how much of it is kept (node config: the
    `--access-log*` options of `claimledger-node run`)."""

    path: Path
    max_bytes: int = 64 << 20  # a file is rolled over before it passes this size ...
    backups: int = 10  # ... and this many rolled-over files are kept
    queue_lines: int = 10_000  # lines waiting for the writer thread at most

    def __post_init__(self) -> None:
        if self.max_bytes < 4096 or self.backups < 1 or self.queue_lines < 1:
            raise ValueError("access log: max_bytes is at least 4096, backups and "
                             "queue_lines at least 1")


class _LineListener(logging.handlers.QueueListener):
    """Turns the queued lines into log records in the writer thread, not in the loop."""

    def prepare(self, record: Any) -> logging.LogRecord:
        return logging.LogRecord("claimledger.access", logging.INFO, "", 0, record, None,
                                 None)

    def enqueue_sentinel(self) -> None:
        self.queue.put(self._sentinel)  # at close, after the lines waiting (the queue drains)


class AccessLog:
    """JSON lines to a size-rotated file, written by a thread of its own."""

    def __init__(self, config: AccessLogConfig) -> None:
        self.config = config
        config.path.parent.mkdir(parents=True, exist_ok=True)
        self.handler = logging.handlers.RotatingFileHandler(
            config.path, maxBytes=config.max_bytes, backupCount=config.backups,
            encoding="ascii")
        self.handler.setFormatter(logging.Formatter("%(message)s"))
        self.queue: queue.Queue[str] = queue.Queue(config.queue_lines)
        self.listener = _LineListener(self.queue, self.handler)
        self.dropped = 0
        self.started = False

    def start(self) -> None:
        self.listener.start()
        self.started = True

    def close(self) -> None:
        """Write what waits, then close the file."""
        if self.started:
            self.listener.stop()
            self.started = False
        self.handler.close()

    def write(self, entry: dict[str, Any]) -> None:
        """Queue one line (never blocks; dropped and counted when the queue is full)."""
        line = json.dumps(entry, ensure_ascii=True, separators=(",", ":"))
        try:
            if self.dropped:
                self.queue.put_nowait(json.dumps({"dropped": self.dropped}))
                self.dropped = 0
            self.queue.put_nowait(line)
        except queue.Full:
            self.dropped += 1


def caller_text(caller: object) -> str | None:
    """The caller as logged: an address as hex, None when anonymous."""
    if caller is None:
        return None
    if isinstance(caller, bytes | bytearray):
        return bytes(caller).hex()
    return str(caller)


def entry_of(request: web.Request, status: int, sent_bytes: int, started_s: float,
             duration_s: float) -> dict[str, Any]:
    """The line of one request."""
    resource = request.match_info.route.resource
    path = request.raw_path
    return {
        "time": datetime.fromtimestamp(started_s, UTC).isoformat(timespec="milliseconds"),
        "caller": caller_text(request.get("caller")),
        "remote": request.remote,
        "method": request.method,
        "route": resource.canonical if resource is not None else None,
        "path": path[:MAX_PATH_CHARS],
        **({"path_cut": len(path)} if len(path) > MAX_PATH_CHARS else {}),
        "status": status,
        "bytes": sent_bytes,
        "duration_ms": round(duration_s * 1000, 3),
    }


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def access_logged(log: AccessLog) -> Callable[[web.Request, Handler],
                                              Awaitable[web.StreamResponse]]:
    """A middleware that logs every request to `log`. Put it first in the app's
    middlewares (outermost), so that it sees the status the client gets, the caller the
    authentication middleware found, and the answer sent (it sends an answer that nothing
    inside it sent yet, to count its bytes)."""

    @web.middleware
    async def access_log(request: web.Request, handler: Handler) -> web.StreamResponse:
        started_s, clock = time.time(), time.perf_counter()
        status, response, sent = 500, None, 0
        try:
            response = await handler(request)
            if not response.prepared:
                await response.prepare(request)
                await response.write_eof()
            status = response.status
            return response
        except web.HTTPException as e:  # aiohttp sends it as it is
            status, sent = e.status, e.content_length or 0
            raise
        except BaseException:
            status = 499 if request.transport is None or request.transport.is_closing() \
                else 500  # 499: the client went away before its answer (as nginx logs it)
            raise
        finally:
            if response is not None and response.prepared:
                sent = response.body_length
            log.write(entry_of(request, status, sent, started_s,
                               time.perf_counter() - clock))

    return access_log
