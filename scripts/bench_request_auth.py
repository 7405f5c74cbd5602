"""What a signed API request costs the node, as JSON.

In one run, on this machine:

All in-process figures are CPU time of this process (time.process_time), the server's
from /proc: other work on the machine slows the clock less than it slows wall time.

- ed25519: raw Ed25519 verifications per second on one core (pynacl's crypto_sign_open,
  as contracts.identity.verify calls it) of a message the size of a signed request's
  bytes: the bound a signed request cannot beat;
- verify: microseconds per request through node.http.auth.RequestVerifier (parse the
  four headers, check the time, sha256 of the body, the signature over the canonical
  bytes, the nonce memory), for a read (GET with a query, no body) and a 300-byte POST,
  each a fresh nonce, and that figure in raw verifications (`in_raw_verifications`);
  with the part of each step;
- http: a small aiohttp app (one JSON read route) served from its own process on
  127.0.0.1, without the middleware (unsigned), with it but the route exempt (exempt:
  what the middleware itself costs) and with it (signed), driven by keep-alive clients from this
  process with requests signed beforehand (the client's signing is not counted): the
  server's CPU microseconds per request (from /proc) and requests per second, and the
  difference signed minus unsigned.

    scripts/bench_request_auth [--seconds 2] [--requests 4000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from contracts.codec import sha256  # noqa: E402
from contracts.identity import KeyPair, verify  # noqa: E402
from contracts.requests import (  # noqa: E402
    SignedRequest,
    check_signature,
    parse_credentials,
    request_headers,
    signing_bytes,
)
from node.http.auth import NonceLimits, RequestVerifier, request_auth  # noqa: E402

CHAIN = "claimledger-bench"
READ_TARGET = "/v1/vouchers?holder=" + "ab" * 32 + "&limit=100"
ROUNDS = 3  # each HTTP variant is measured this many times, alternating; medians reported
# The bench sends more than one member's share of the nonce memory within a window.
BENCH_LIMITS = NonceLimits(max_entries=2_000_000, max_per_caller=2_000_000,
                           max_strangers=0)


def log(message: str) -> None:
    print(f"[bench_request_auth {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr,
          flush=True)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


# ------------------------------------------------------------------ in process


def raw_verify_per_s(seconds: float) -> float:
    key = KeyPair.generate()
    message = signing_bytes(SignedRequest(CHAIN, "GET", READ_TARGET, sha256(b""), wall_ms(),
                                          os.urandom(16)))
    signature = key.sign(message)
    count, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(500):
            assert verify(key.address, message, signature)
        count += 500
    return count / (time.process_time() - start)


def per_request_us(method: str, target: str, body: bytes, count: int) -> dict[str, float]:
    """Microseconds per request through the verifier, and per step."""
    key = KeyPair.generate()
    now = wall_ms()
    signed = [request_headers(key, CHAIN, method, target, body, now) for _ in range(count)]
    verifier = RequestVerifier(CHAIN, limits=BENCH_LIMITS, clock_ms=lambda: now)

    start = time.process_time()
    for headers in signed:
        verifier.verify(verifier.credentials(headers), method, target, body)
    total = time.process_time() - start

    start = time.process_time()
    parsed = [parse_credentials(h) for h in signed]
    parse = time.process_time() - start
    start = time.process_time()
    for credentials in parsed:
        check_signature(credentials, CHAIN, method, target, body)
    signature = time.process_time() - start
    memory = RequestVerifier(CHAIN, limits=BENCH_LIMITS, clock_ms=lambda: now).nonces
    start = time.process_time()
    for credentials in parsed:
        memory.remember(credentials.address, credentials.nonce, credentials.time_ms, now)
    nonces = time.process_time() - start
    us = 1e6 / count
    return {"us": round(total * us, 2), "parse_headers_us": round(parse * us, 2),
            "body_hash_and_signature_us": round(signature * us, 2),
            "nonce_memory_us": round(nonces * us, 2)}


# ------------------------------------------------------------------ over HTTP


async def read_route(request: web.Request) -> web.Response:
    return web.json_response({"vouchers": [], "next": None})


VARIANTS = ("unsigned", "exempt", "signed")


def serve(port: int, variant: str, ready: Any) -> None:
    async def main() -> None:
        # exempt: the middleware in place, the route exempt (what the middleware costs
        # before any check); signed: the route authenticated.
        exempt = frozenset({"/v1/vouchers"}) if variant == "exempt" else frozenset()
        middlewares = [request_auth(RequestVerifier(CHAIN, limits=BENCH_LIMITS),
                                    max_body_bytes=1 << 16, exempt_paths=exempt)]
        if variant == "unsigned":
            middlewares = []
        app = web.Application(middlewares=middlewares)
        app.add_routes([web.get("/v1/vouchers", read_route)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    import warnings

    warnings.simplefilter("ignore")  # aiohttp's advice on request keys, once per process
    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, headers: list[dict[str, str]], concurrency: int) -> float:
    """Send one request per headers entry (empty: unsigned); seconds taken."""
    url = f"http://127.0.0.1:{port}{READ_TARGET}"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(h: dict[str, str]) -> None:
            async with session.get(aiohttp.client.URL(url, encoded=True), headers=h) as r:
                assert r.status == 200, (r.status, await r.text())
                await r.read()

        queue = list(reversed(headers))

        async def worker() -> None:
            while queue:
                await one(queue.pop())

        await one({} if not headers[0] else headers[0])  # connect first
        queue.pop()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start


def http_overhead(requests: int, concurrency: int) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    servers = {}
    for variant in VARIANTS:
        port, ready = free_port(), context.Event()
        process = context.Process(target=serve, args=(port, variant, ready),
                                  daemon=True)
        process.start()
        if not ready.wait(30):
            raise SystemExit(f"the {variant} server did not start")
        servers[variant] = (port, process)
    key = KeyPair.generate()
    results: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    try:
        for _ in range(ROUNDS):
            for variant, (port, process) in servers.items():
                if variant == "signed":
                    now = wall_ms()
                    headers = [request_headers(key, CHAIN, "GET", READ_TARGET, b"", now)
                               for _ in range(requests + 1)]
                else:
                    headers = [{} for _ in range(requests + 1)]
                before = cpu_seconds(process.pid)
                seconds = asyncio.run(drive(port, headers, concurrency))
                cpu = cpu_seconds(process.pid) - before
                results[variant].append((cpu / requests * 1e6, requests / seconds))
    finally:
        for _, process in servers.values():
            process.kill()
            process.join(10)
    summary: dict[str, Any] = {"requests": requests, "concurrency": concurrency,
                               "rounds": ROUNDS}
    for variant, runs in results.items():
        summary[variant] = {
            "server_cpu_us_per_request": round(statistics.median(r[0] for r in runs), 1),
            "requests_per_s": round(statistics.median(r[1] for r in runs), 1),
        }
    summary["signed_minus_unsigned_server_cpu_us"] = round(
        summary["signed"]["server_cpu_us_per_request"]
        - summary["unsigned"]["server_cpu_us_per_request"], 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="how long the raw Ed25519 rate is measured")
    parser.add_argument("--requests", type=int, default=4000,
                        help="requests per HTTP run, and per in-process measurement x5")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    log("raw Ed25519 verifications")
    before = raw_verify_per_s(args.seconds)
    log("the verifier, in process")
    read = per_request_us("GET", READ_TARGET, b"", 5 * args.requests)
    post = per_request_us("POST", "/v1/txs", os.urandom(300), 5 * args.requests)
    after = raw_verify_per_s(args.seconds)  # the machine's speed may drift: both reported
    rate = (before + after) / 2
    raw_us = 1e6 / rate
    for figures in (read, post):
        figures["in_raw_verifications"] = round(figures["us"] / raw_us, 2)
    log("over HTTP, unsigned and signed")
    http = http_overhead(args.requests, args.concurrency)
    http["signed_minus_unsigned_in_raw_verifications"] = round(
        http["signed_minus_unsigned_server_cpu_us"] / raw_us, 2)
    print(json.dumps({
        "ed25519": {"verify_per_s_one_core": round(rate, 1), "verify_us": round(raw_us, 2),
                    "before_and_after_per_s": [round(before, 1), round(after, 1)]},
        "verify": {"read": read, "post_300_bytes": post},
        "http": http,
        "python": sys.version.split()[0], "aiohttp": aiohttp.__version__,
    }, indent=2))


if __name__ == "__main__":
    main()
