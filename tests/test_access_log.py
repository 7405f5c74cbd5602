"""The access log (node/http/access_log.py) on a small aiohttp app: one JSON line per request
with who read what, rotation at the stated size, and no line a client can forge."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node.http.access_log import AccessLog, AccessLogConfig, access_logged
from tests.nodeproc import NODE_BIN, PASSPHRASE, NodeProcess, get, make_network

REGULATOR = bytes.fromhex("ab" * 32)


@web.middleware
async def fake_auth(request: web.Request, handler):
    """Stands for the authentication middleware: the caller named in a header."""
    who = request.headers.get("X-Test-Caller")
    try:
        request["caller"] = bytes.fromhex(who) if who else None
    except ValueError:
        request["caller"] = who  # whatever a client sent, to try the log's escaping
    return await handler(request)


async def voucher(request: web.Request) -> web.Response:
    return web.json_response({"id": request.match_info["voucher_id"], "pad": "x" * 100})


async def forbidden(request: web.Request) -> web.Response:
    raise web.HTTPForbidden(text="no")


def app_with(log: AccessLog) -> web.Application:
    app = web.Application(middlewares=[access_logged(log), fake_auth])
    app.router.add_get("/v1/vouchers/{voucher_id}", voucher)
    app.router.add_get("/v1/secret", forbidden)
    return app


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


async def serve_and(log: AccessLog, requests) -> None:
    log.start()
    try:
        async with TestClient(TestServer(app_with(log))) as client:
            await requests(client)
    finally:
        log.close()


async def test_a_line_says_who_read_what_the_regulator_included(tmp_path: Path) -> None:
    path = tmp_path / "access.log"

    async def requests(client: TestClient) -> None:
        answer = await client.get("/v1/vouchers/v1?x=1",
                                  headers={"X-Test-Caller": REGULATOR.hex()})
        body = await answer.read()
        assert answer.status == 200
        assert (await client.get("/v1/secret")).status == 403
        assert (await client.get("/nowhere")).status == 404
        requests.body_bytes = len(body)

    await serve_and(AccessLog(AccessLogConfig(path)), requests)
    read, refused, missing = lines(path)
    assert read["caller"] == REGULATOR.hex()  # the regulator's own read is logged
    assert (read["method"], read["route"], read["path"], read["status"]) == (
        "GET", "/v1/vouchers/{voucher_id}", "/v1/vouchers/v1?x=1", 200)
    # The bytes sent for the answer, its head included (as nginx's $bytes_sent).
    assert requests.body_bytes < read["bytes"] < requests.body_bytes + 400
    assert read["remote"] == "127.0.0.1"
    assert read["duration_ms"] >= 0 and read["time"].endswith("+00:00")
    assert (refused["caller"], refused["route"], refused["status"]) == (None, "/v1/secret", 403)
    assert refused["bytes"] == len("no")  # an HTTPException: its body as aiohttp sends it
    assert (missing["route"], missing["status"]) == (None, 404)


async def test_injection_stays_inside_one_json_string(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    forged = '"}\n{"caller":"agency","status":200}'
    raw_paths = [  # sent as raw bytes, not percent-encoded by a client library
        b'/v1/vouchers/"},{"caller":"agency"}\\',
        b"/v1/vouchers/%E2%80%A8{%C2%85}%0D",  # raw non-ASCII the HTTP parser refuses
        b"/v1/vouchers/" + forged.replace("\n", "%0A").encode(),
    ]

    async def requests(client: TestClient) -> None:
        host, port = client.server.host, client.server.port
        for raw in raw_paths:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b'X-Test-Caller: "}{"caller":"agency"\xe2\x80\xa8\r\n\r\n')
            await writer.drain()
            await reader.read()
            writer.close()

    await serve_and(AccessLog(AccessLogConfig(path)), requests)
    text = path.read_text(encoding="ascii")  # pure ASCII: every other character escaped
    found = lines(path)
    assert len(found) == len(raw_paths) == len(text.splitlines())
    assert all(set(line) == {"time", "caller", "remote", "method", "route", "path",
                             "status", "bytes", "duration_ms"} for line in found)
    # What the client sent is there, whole, inside its own fields.
    assert found[0]["path"] == raw_paths[0].decode()
    assert [line["path"] for line in found] == [raw.decode() for raw in raw_paths]
    assert all(line["caller"] == '"}{"caller":"agency"\u2028' for line in found)
    assert all(type(line["status"]) is int for line in found)


async def test_the_file_rolls_over_at_its_size_and_keeps_its_count(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    config = AccessLogConfig(path, max_bytes=4096, backups=2)

    async def requests(client: TestClient) -> None:
        for i in range(80):  # some 200 bytes a line: about 16 KiB in all
            assert (await client.get(f"/v1/vouchers/{i:04d}")).status == 200

    await serve_and(AccessLog(config), requests)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["access.log", "access.log.1", "access.log.2"]
    assert all(f.stat().st_size <= 4096 for f in files)
    assert all(json.loads(line) for f in files for line in f.read_text().splitlines())
    # The newest lines are in access.log, the older ones in .1; the oldest are gone.
    newest = lines(path)[-1]
    assert newest["path"] == "/v1/vouchers/0079"
    assert lines(tmp_path / "access.log.1")[-1]["path"] < newest["path"]


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    log = AccessLog(AccessLogConfig(tmp_path / "a.log", queue_lines=2))  # writer not started
    for i in range(5):
        log.write({"i": i})
    assert log.dropped == 3
    log.start()
    time.sleep(0.2)  # the writer empties the queue
    log.write({"i": 5})
    log.close()
    assert lines(tmp_path / "a.log") == [{"i": 0}, {"i": 1}, {"dropped": 3}, {"i": 5}]


def test_per_request_cost_in_the_event_loop_is_small(tmp_path: Path) -> None:
    """What a request costs the loop: building its line and queueing it. Printed, and
    bounded loosely (the disk's share runs in the writer thread)."""
    log = AccessLog(AccessLogConfig(tmp_path / "a.log", queue_lines=100_000))
    entry = {"time": "2026-12-04T21:00:00.000+00:00", "caller": REGULATOR.hex(),
             "remote": "127.0.0.1", "method": "GET", "route": "/v1/vouchers/{voucher_id}",
             "path": "/v1/vouchers/" + "cd" * 32, "status": 200, "bytes": 1234,
             "duration_ms": 0.5}
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        log.write(entry)
    per_request_us = (time.perf_counter() - started) / n * 1e6
    log.start()
    log.close()
    print(f"access log: {per_request_us:.1f} us per request in the event loop")
    assert len((tmp_path / "a.log").read_text().splitlines()) == n
    assert per_request_us < 200  # loose: a disk write in the loop would cost far more


@pytest.mark.parametrize("bad", [dict(max_bytes=100), dict(backups=0), dict(queue_lines=0)])
def test_config_bounds(tmp_path: Path, bad: dict) -> None:
    with pytest.raises(ValueError):
        AccessLogConfig(tmp_path / "a.log", **bad)


@pytest.mark.process
def test_a_node_run_with_access_log_logs_its_requests(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    path = tmp_path / "logs" / "access.log"
    log = (net.root / "node.log").open("wb")
    node = NodeProcess(net)
    node.log = net.root / "node.log"
    node.process = subprocess.Popen(
        [str(NODE_BIN), "run", "--network", str(net.network_file), "--data",
         str(net.data_dir), "--key", str(net.key_file), "--access-log", str(path),
         "--access-log-max-bytes", "65536", "--access-log-backups", "3"],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE}, stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        node.wait_ready()
        assert get(net.api, "/v1/vouchers/" + "00" * 32, key=net.members["core"]).status == 404
        assert get(net.api, "/v1/vouchers/" + "11" * 32, key=None).status == 401
    finally:
        assert node.stop() == 0  # a clean stop writes what waits
    found = lines(path)
    assert {"/v1/status", "/v1/vouchers/{id}"} <= {line["route"] for line in found}
    by_status = {line["status"]: line for line in found if line["route"] == "/v1/vouchers/{id}"}
    assert by_status[404]["caller"] == net.members["core"].address.hex()
    assert by_status[404]["bytes"] > 0
    assert by_status[401]["caller"] is None  # nobody signed it
