"""What one client may cost the node's API: compressed and oversized bodies, slow heads
and bodies, too many connections, expensive plans, log floods. Requests are signed by a
member key (the agency's), as every route but status and health wants: what a client
without a key costs is what a member's refused request costs, and less."""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import logging
import socket
import sys
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.test_utils import TestClient, TestServer

from contracts.identity import KeyPair
from contracts.tx import MAX_LARGE_TX_BYTES
from node import setoff_plan
from node.config import parse_network
from node.front import FrontLimits, FrontSite, LogThrottle, start_front
from node.http import chain, params, plan, setoff, submit
from node.http.app import make_app
from node.http.submit import LARGE_READS, MAX_BATCH_BODY_BYTES, SMALL_BODY_BYTES
from node.service import Node
from tests.nodeproc import (
    MEMBER_ROLES,
    get,
    make_network,
    network_toml,
    now_ms,
    request,
    running,
)
from tests.signing import Signer, aiohttp_signing

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20


SIGNER = web.AppKey("test_signer", Signer)  # who the test's clients sign as


def new_node(root: Path) -> tuple[Node, Signer]:
    """A node and the signer of its agency (a member that reads every record)."""
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    node = Node(parse_network(network_toml("front-test", validator, members, 1, now_ms())),
                root, validator)
    return node, Signer.of("front-test", members["agency"], members.values())


@asynccontextmanager
async def api_client(root: Path, limits: FrontLimits | None = None
                      ) -> AsyncIterator[TestClient]:
    """The API on aiohttp's test server (the app's own limits, not the front's sockets),
    and a client that signs as the agency (`client.app[SIGNER]`)."""
    node, signer = new_node(root)
    app = make_app(node, front_limits=limits)
    app[SIGNER] = signer
    client = TestClient(TestServer(app), middlewares=(aiohttp_signing(signer),))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        node.close()


@dataclass
class Front:
    node: Node
    port: int
    site: FrontSite
    signer: Signer  # the agency's

    def session(self, **kwargs: Any) -> aiohttp.ClientSession:
        """An HTTP client that signs as the agency."""
        return aiohttp.ClientSession(middlewares=(aiohttp_signing(self.signer),), **kwargs)


BIG_ANSWER = b"x" * (32 * MiB)


async def big_answer(request: web.Request) -> web.Response:
    return web.Response(body=BIG_ANSWER)


@asynccontextmanager
async def front(root: Path, limits: FrontLimits) -> AsyncIterator[Front]:
    """The API served as the node serves it (node.front.start_front) on 127.0.0.1, with
    one more route: GET /big answers 32 MiB."""
    node, signer = new_node(root)
    app = make_app(node, front_limits=limits)
    app.router.add_get("/big", big_answer)
    runner, site = await start_front(app, "127.0.0.1", 0)
    try:
        yield Front(node, site.port_bound, site, signer)
    finally:
        await runner.cleanup()
        node.close()


async def error_of(response: aiohttp.ClientResponse) -> str:
    document = await response.json()
    assert set(document["error"]) == {"code", "message"} and document["error"]["message"]
    return document["error"]["code"]


async def peak_bytes_while(work) -> tuple[object, int]:
    """What `work` returned and the most memory Python held (traced) while it ran."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = await work
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - base


# ------------------------------------------------------------------ compressed bodies


def gzip_bomb() -> bytes:
    """About 9 MB of JSON hex once inflated, about 9 KB as sent."""
    inflated = b'{"tx": "' + b"00" * (MAX_LARGE_TX_BYTES + 100_000) + b'"}'
    bomb = gzip.compress(inflated, 9)
    assert len(bomb) < 64 * 1024 and len(inflated) > 8 * MiB
    return bomb


@pytest.mark.parametrize("route", ["/v1/txs", "/v1/txs/batch"])
async def test_a_gzip_body_is_refused_415_and_never_inflated(tmp_path: Path, route: str) -> None:
    bomb = gzip_bomb()
    async with api_client(tmp_path) as client:
        async def send() -> tuple[int, str]:
            response = await client.post(route, data=bomb, headers={
                "Content-Type": "application/json", "Content-Encoding": "gzip"})
            return response.status, await error_of(response)

        (status, code), peak = await peak_bytes_while(send())
        assert (status, code) == (415, "request.encoding_refused")
        # aiohttp's test server still inflates what it drains after the answer, a chunk at
        # a time; the node's own front does not inflate at all (the test below).
        assert peak < 4 * MiB  # the inflated body is 9 MB


@pytest.mark.parametrize("route", ["/v1/txs", "/v1/txs/batch"])
async def test_the_front_refuses_a_gzip_body_holding_no_more_than_it(
        tmp_path: Path, route: str) -> None:
    bomb = gzip_bomb()
    async with front(tmp_path, FrontLimits()) as f, f.session() as http:
        async def send() -> tuple[int, str]:
            async with http.post(f"http://127.0.0.1:{f.port}{route}", data=bomb, headers={
                    "Content-Type": "application/json", "Content-Encoding": "gzip"}) as response:
                return response.status, await error_of(response)

        (status, code), peak = await peak_bytes_while(send())
        assert (status, code) == (415, "request.encoding_refused")
        assert peak < 1 * MiB


async def test_the_front_never_inflates_even_an_unknown_coding(tmp_path: Path) -> None:
    async with front(tmp_path, FrontLimits()) as f, f.session() as http:
        for coding in ("gzip", "deflate", "br", "x-unknown", "identity, gzip"):
            async with http.post(f"http://127.0.0.1:{f.port}/v1/txs", data=gzip_bomb(),
                                 headers={"Content-Type": "application/json",
                                          "Content-Encoding": coding}) as response:
                assert response.status == 415, coding
                assert await error_of(response) == "request.encoding_refused"


# ------------------------------------------------------------------ hex without regexes


@pytest.mark.parametrize("route, body", [
    ("/v1/txs", json.dumps({"tx": "00" * (MAX_LARGE_TX_BYTES // 2)}).encode()),
    ("/v1/txs/batch", json.dumps({"txs": ["ab" * (MAX_BATCH_BODY_BYTES // 2 - 16)]}).encode()),
    ("/v1/txs", json.dumps({"tx": "00" * (MAX_LARGE_TX_BYTES // 2) + "zz"}).encode()),
])
async def test_a_long_hex_string_costs_a_few_times_its_length(
        tmp_path: Path, route: str, body: bytes) -> None:
    async with api_client(tmp_path) as client:
        async def send() -> int:
            response = await client.post(route, data=body,
                                         headers={"Content-Type": "application/json"})
            await response.read()
            return response.status

        status, peak = await peak_bytes_while(send())
        assert status in (200, 400)  # refused (codec.*, request.bad_hex) or a batch result
        # Body, its copy, the decoded string and the bytes: a regular expression over the
        # string held about 60 bytes per character (540 MB for 9 MB).
        assert peak < 6 * len(body)


def test_hex_bytes_takes_hex_digits_only() -> None:
    assert params.hex_bytes("00aBff", 3) == b"\x00\xab\xff"
    for bad in ("0", "00 ff", " 00", "0x00", "gg", "٣٣", "00\n"):
        assert params.hex_bytes(bad, 8) is None, bad
    assert params.hex_bytes("00" * 9, 8) is None  # over the bound: nothing decoded


# ------------------------------------------------------------------ slow bodies


async def trickle_body(port: int, signer: Signer, length: int, source: str = "127.0.0.1"
                       ) -> bytes:
    """POST a body of `length` bytes a byte every 50 ms, signed by `signer` (over the whole
    body it would send); the answer once one comes."""
    start = b'{"tx": "'
    signed = "".join(f"{k}: {v}\r\n" for k, v in signer.headers(
        "POST", "/v1/txs", start + b"0" * (length - len(start))).items())
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(f"POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {length}\r\n{signed}\r\n".encode() + start)
    try:
        answer = asyncio.ensure_future(reader.read(4096))
        while not answer.done():
            writer.write(b"0")
            await asyncio.wait([answer], timeout=0.05)
        return answer.result()
    finally:
        writer.close()


LARGE = json.dumps({"tx": "00" * (SMALL_BODY_BYTES // 2 + 1000)}).encode()
assert len(LARGE) > SMALL_BODY_BYTES


async def test_trickling_bodies_time_out_and_free_the_large_upload_slots(
        tmp_path: Path) -> None:
    limits = FrontLimits(body_grace_s=1.5, min_body_bytes_per_s=2_000)
    async with api_client(tmp_path, limits) as client:
        port = client.server.port
        tricklers = [asyncio.ensure_future(trickle_body(port, client.app[SIGNER], len(LARGE),
                                                   f"127.0.0.{2 + i}"))
                     for i in range(LARGE_READS)]
        await asyncio.sleep(0.5)
        busy = await client.post("/v1/txs", data=LARGE,
                                 headers={"Content-Type": "application/json"})
        assert busy.status == 503 and await error_of(busy) == "submit.busy"  # slots held
        answers = await asyncio.wait_for(asyncio.gather(*tricklers), timeout=20)
        for answer in answers:
            assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
            assert b"request.body_timeout" in answer
        again = await client.post("/v1/txs", data=LARGE,
                                  headers={"Content-Type": "application/json"})
        assert again.status == 400  # read and checked: zeros are no transaction
        assert (await error_of(again)).startswith("codec.")


async def test_one_client_holds_at_most_its_share_of_the_large_upload_slots(
        tmp_path: Path) -> None:
    limits = FrontLimits(body_grace_s=1.5, min_body_bytes_per_s=2_000)
    async with api_client(tmp_path, limits) as client:
        port = client.server.port
        signer = client.app[SIGNER]
        held = [asyncio.ensure_future(trickle_body(port, signer, len(LARGE), "127.0.0.2"))
                for _ in range(submit.LARGE_READS_PER_CLIENT)]
        await asyncio.sleep(0.5)
        third = await asyncio.wait_for(trickle_body(port, signer, len(LARGE), "127.0.0.2"),
                                       timeout=5)
        assert third.startswith(b"HTTP/1.1 503") and b"submit.busy" in third
        other = await client.post("/v1/txs", data=LARGE,  # another client still gets in
                                  headers={"Content-Type": "application/json"})
        assert other.status == 400 and (await error_of(other)).startswith("codec.")
        await asyncio.wait_for(asyncio.gather(*held), timeout=20)


async def test_a_body_arriving_at_the_minimum_rate_is_read(tmp_path: Path) -> None:
    limits = FrontLimits(body_grace_s=0.2, min_body_bytes_per_s=50_000)
    async with api_client(tmp_path, limits) as client:
        async def paced() -> AsyncIterator[bytes]:
            yield b'{"tx": "'
            for _ in range(10):  # 100 KB/s, twice the minimum
                await asyncio.sleep(0.1)
                yield b"00" * 5_000
            yield b'"}'

        response = await client.post("/v1/txs", data=paced(),
                                     headers={"Content-Type": "application/json"})
        assert response.status == 400 and (await error_of(response)).startswith("codec.")


# ------------------------------------------------------------------ slow heads, idle links


async def closed_within(reader: asyncio.StreamReader, seconds: float,
                        keep_sending: asyncio.StreamWriter | None = None) -> bool:
    """Whether the server closed the connection within `seconds` (sending a header line
    every 100 ms meanwhile, if `keep_sending`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if keep_sending is not None:
            keep_sending.write(b"X-Slow: 1\r\n")
        try:
            data = await asyncio.wait_for(reader.read(4096), timeout=0.1)
        except TimeoutError:
            continue
        except ConnectionError:
            return True
        if not data:
            return True
    return False


async def test_a_slow_head_an_idle_connection_and_an_idle_keep_alive_are_closed(
        tmp_path: Path) -> None:
    async with front(tmp_path, FrontLimits(head_timeout_s=0.5)) as f:
        slow_reader, slow = await asyncio.open_connection("127.0.0.1", f.port)
        slow.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")
        idle_reader, idle = await asyncio.open_connection("127.0.0.1", f.port)
        kept_reader, kept = await asyncio.open_connection("127.0.0.1", f.port)
        kept.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await kept_reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 200")
        assert await closed_within(slow_reader, 5, keep_sending=slow)
        assert await closed_within(idle_reader, 5)
        assert await closed_within(kept_reader, 5)
        for writer in (slow, idle, kept):
            writer.close()


async def test_a_long_poll_is_not_cut_by_the_head_deadline(tmp_path: Path) -> None:
    async with front(tmp_path, FrontLimits(head_timeout_s=0.3)) as f, f.session() as http:
        address = f.signer.reader.address.hex()  # its own stream: nobody else reads it
        async with http.get(f"http://127.0.0.1:{f.port}/v1/events",
                            params={"address": address, "wait_ms": "1000"}) as response:
            assert response.status == 200 and (await response.json())["events"] == []


async def test_a_client_that_does_not_take_its_answer_is_cut_off(tmp_path: Path) -> None:
    limits = FrontLimits(answer_grace_s=0.5, min_answer_bytes_per_s=256 * MiB)
    async with front(tmp_path, limits) as f:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", f.port))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock)
        signed = "".join(f"{k}: {v}\r\n" for k, v in f.signer.headers("GET", "/big").items())
        writer.write(f"GET /big HTTP/1.1\r\nHost: x\r\n{signed}\r\n".encode())
        await asyncio.sleep(3)  # not reading: the node's send buffers fill up
        received, cut = 0, False
        try:
            while chunk := await asyncio.wait_for(reader.read(1 << 20), timeout=5):
                received += len(chunk)
            cut = True
        except ConnectionError:
            cut = True
        writer.close()
        assert cut and received < len(BIG_ANSWER)
        assert f.site.counts.total == 0  # and the connection no longer counts


async def test_a_client_that_reads_gets_a_large_answer_whole(tmp_path: Path) -> None:
    limits = FrontLimits(answer_grace_s=5, min_answer_bytes_per_s=1 * MiB)
    async with front(tmp_path, limits) as f, f.session() as http, \
            http.get(f"http://127.0.0.1:{f.port}/big") as response:
        assert len(await response.read()) == len(BIG_ANSWER)


# ------------------------------------------------------------------ connection caps


async def connect(port: int, source: str = "127.0.0.1"
                  ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def refused(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed a connection we sent nothing on, at once."""
    try:
        return await asyncio.wait_for(reader.read(1), timeout=1.0) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False


async def status_over(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
    return await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout=5)


async def test_connections_past_the_per_address_and_total_caps_are_closed_at_once(
        tmp_path: Path) -> None:
    limits = FrontLimits(max_connections_per_address=3, max_connections=4)
    async with front(tmp_path, limits) as f:
        mine = [await connect(f.port) for _ in range(3)]
        extra = await connect(f.port)
        assert await refused(extra[0])
        for reader, writer in mine:
            assert (await status_over(reader, writer)).startswith(b"HTTP/1.1 200")
        other = await connect(f.port, "127.0.0.2")  # another address: the 4th in all
        assert (await status_over(*other)).startswith(b"HTTP/1.1 200")
        third = await connect(f.port, "127.0.0.3")  # past the total
        assert await refused(third[0])
        mine[0][1].close()  # a slot of 127.0.0.1 frees up once the server saw it close
        for _ in range(50):
            again = await connect(f.port)
            if not await refused(again[0]):
                break
            await asyncio.sleep(0.05)
        assert (await status_over(*again)).startswith(b"HTTP/1.1 200")
        for _, writer in [*mine[1:], extra, other, third, again]:
            writer.close()


def test_the_node_process_caps_connections_and_refuses_compressed_bodies(
        tmp_path: Path) -> None:
    """The node as run (claimledger-node run) serves its API behind the front."""
    net = make_network(tmp_path)
    with running(net):
        per_address = FrontLimits().max_connections_per_address
        sockets = [socket.create_connection(("127.0.0.1", net.port), timeout=5)
                   for _ in range(per_address + 8)]
        try:
            time.sleep(0.5)
            closed = 0
            for s in sockets:
                s.settimeout(0.05)
                try:
                    closed += s.recv(1) == b""
                except ConnectionError:
                    closed += 1
                except TimeoutError:
                    pass
            assert closed == 8
        finally:
            for s in sockets:
                s.close()
        time.sleep(0.3)
        assert get(net.api, "/v1/status").status == 200
        reply = request(net.api + "/v1/txs", "POST", gzip.compress(b'{"tx": "00"}'),
                        headers={"Content-Encoding": "gzip"})  # signed as the agency
        assert (reply.status, reply.error_code()) == (415, "request.encoding_refused")


# ------------------------------------------------------------------ logs


async def test_malformed_http_is_logged_without_traceback_and_throttled(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with front(tmp_path, FrontLimits(log_burst=3)) as f:
        for _ in range(20):
            reader, writer = await asyncio.open_connection("127.0.0.1", f.port)
            writer.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
            assert (await reader.read(4096)).split(b" ")[1] == b"400"
            writer.close()
    about_requests = [r for r in caplog.records if "Error handling request" in r.getMessage()]
    assert 1 <= len(about_requests) <= 3
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]


async def test_a_failing_route_logs_a_burst_then_stays_quiet(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(node: Node, tx_id: bytes) -> dict:
        raise RuntimeError("a bug any client can reach")

    monkeypatch.setattr(chain, "tx_status", broken)
    caplog.set_level(logging.ERROR, logger="claimledger.api")
    async with api_client(tmp_path) as client:
        for _ in range(40):
            response = await client.get("/v1/txs/" + "00" * 32)
            assert response.status == 500 and await error_of(response) == "internal"
    logged = [r for r in caplog.records if r.name == "claimledger.api"]
    assert 1 <= len(logged) <= FrontLimits().log_burst


async def test_a_path_a_client_chose_stays_on_its_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # %0A in a path decodes to a line break: logged decoded, a client writes log lines.
    def broken(text: str) -> bytes:
        raise RuntimeError("a bug any client can reach")

    monkeypatch.setattr(setoff, "address_of", broken)
    caplog.set_level(logging.ERROR, logger="claimledger.api")
    async with api_client(tmp_path) as client:
        forged = "x%0A2026-01-01 00:00:00,000 ERROR claimledger.node: forged%0D"
        response = await client.get("/v1/setoff/limits/" + forged)
        assert response.status == 500
    logged = [r.getMessage() for r in caplog.records if r.name == "claimledger.api"]
    assert len(logged) == 1 and "/v1/setoff/limits/x" in logged[0]
    assert "\n" not in logged[0] and "\r" not in logged[0]


def test_log_throttle_summarises_what_it_left_out() -> None:
    now = [0.0]
    throttle = LogThrottle(burst=2, window_s=10, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("x", logging.ERROR, __file__, 1, msg, None, None)

    assert [throttle.filter(record("boom")) for _ in range(5)] == [True, True, False, False,
                                                                  False]
    assert throttle.filter(record("another kind"))
    now[0] = 11.0
    later = record("boom")
    assert throttle.filter(later)
    assert "3 more like this left out" in later.getMessage()


def test_a_client_s_percent_signs_reach_the_log_line_as_sent() -> None:
    # What a client sent is put into the line's template, which logging then formats
    # with the line's own arguments: its "%s" must stay text, not become a placeholder.
    throttle = LogThrottle(burst=2, window_s=10)
    sent = "GET /%s%d%(x)s HTTP/1.1"
    error = BadHttpMessage(f"bad request line {sent!r}")
    record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1,
                               "Error handling request from %s", ("10.0.0.1",),
                               (type(error), error, None))
    assert throttle.filter(record)
    line = record.getMessage()
    assert line.startswith("Error handling request from 10.0.0.1: BadHttpMessage")
    assert sent in line


# ------------------------------------------------------------------ set-off plans


def bench_explorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_explorer", ROOT / "scripts" / "bench_explorer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_explorer"] = module
    spec.loader.exec_module(module)
    return module


@asynccontextmanager
async def ledger_with_vouchers(root: Path) -> AsyncIterator[tuple[object, TestClient]]:
    bench = bench_explorer()
    ledger = bench.Ledger(root, debtors=3, suppliers=6, block_txs=50)
    bench.submit_voucher_units(ledger, 60)
    ledger.flush()
    signer = Signer.of(ledger.node.chain.chain_id, ledger.agency)
    client = TestClient(TestServer(make_app(ledger.node)), middlewares=(aiohttp_signing(signer),))
    await client.start_server()
    try:
        yield ledger, client
    finally:
        await client.close()
        ledger.node.close()


async def test_a_plan_reads_off_the_event_loop_once_per_head(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    collect = setoff_plan.collect

    def watched(*args, **kwargs):
        threads.append(threading.get_ident())
        return collect(*args, **kwargs)

    monkeypatch.setattr(setoff_plan, "collect", watched)
    async with ledger_with_vouchers(tmp_path) as (ledger, client):
        answers = [await (await client.get("/v1/setoff/plan")).json() for _ in range(3)]
        assert answers[0] == answers[1] == answers[2] and answers[0]["debts"] > 10
        assert len(threads) == 1 and threads[0] != threading.get_ident()
        ledger.produce()  # a new head: a new plan
        fresh = await (await client.get("/v1/setoff/plan")).json()
        assert fresh["height"] == answers[0]["height"] + 1 and len(threads) == 2
        other = await client.get("/v1/setoff/plan",
                                 params={"exclude": ledger.suppliers[0].address.hex()})
        assert other.status == 200 and len(threads) == 3


async def test_a_plan_over_too_many_debts_is_refused_with_a_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setoff_plan, "MAX_PLAN_DEBTS", 5)
    async with ledger_with_vouchers(tmp_path) as (_, client):
        response = await client.get("/v1/setoff/plan")
        assert response.status == 503
        assert await error_of(response) == "setoff.plan_too_large"


async def test_the_node_closes_its_store_only_after_a_plan_still_reading_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    finished: list[float] = []
    collect = setoff_plan.collect

    def slow(*args, **kwargs):
        time.sleep(0.5)
        graph = collect(*args, **kwargs)  # reads the snapshot after the client left
        finished.append(time.monotonic())
        return graph

    monkeypatch.setattr(setoff_plan, "collect", slow)
    async with ledger_with_vouchers(tmp_path) as (_, client):
        asking = asyncio.ensure_future(client.get("/v1/setoff/plan"))
        await asyncio.sleep(0.1)  # the plan is being read in its thread
        asking.cancel()
        await client.close()  # the app's cleanup, as the node's stop runs it
        closed = time.monotonic()
        assert finished and finished[0] <= closed


async def test_concurrent_plan_requests_share_one_computation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    collect = setoff_plan.collect

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(0.3)
        return collect(*args, **kwargs)

    monkeypatch.setattr(setoff_plan, "collect", slow)
    async with ledger_with_vouchers(tmp_path) as (_, client):
        async def ask() -> dict:
            return await (await client.get("/v1/setoff/plan")).json()

        status = asyncio.ensure_future(client.get("/v1/status"))
        answers = await asyncio.gather(*(ask() for _ in range(8)))
        assert (await status).status == 200
        assert len(calls) == 1 and all(a == answers[0] for a in answers)


async def test_only_the_newest_plans_keep_their_run_s_batches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    collect = setoff_plan.collect

    def counted(*args, **kwargs):
        calls.append(1)
        return collect(*args, **kwargs)

    monkeypatch.setattr(setoff_plan, "collect", counted)
    async with ledger_with_vouchers(tmp_path) as (ledger, client):
        with_batches = await (await client.get("/v1/setoff/plan",
                                               params={"run_batches": "1"})).json()
        assert with_batches["run_batches"] == [] and with_batches["run"]["batches"] == 0
        plain = await (await client.get("/v1/setoff/plan")).json()
        assert "run_batches" not in plain and len(calls) == 1
        for supplier in ledger.suppliers[:plan.PLAN_BATCHES_KEPT]:  # newer plans, same head
            await client.get("/v1/setoff/plan", params={"exclude": supplier.address.hex()})
        assert len(calls) == 1 + plan.PLAN_BATCHES_KEPT
        await client.get("/v1/setoff/plan")  # still cached, without its batches
        assert len(calls) == 1 + plan.PLAN_BATCHES_KEPT
        again = await (await client.get("/v1/setoff/plan", params={"run_batches": "1"})).json()
        assert again["run_batches"] == [] and len(calls) == 2 + plan.PLAN_BATCHES_KEPT
