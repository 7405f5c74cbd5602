"""What one client can cost a node, measured on a real node process.

Builds a one-validator ledger in process (scripts/bench_explorer.py's builder: vouchers
issued, passed on and pledged; --txs transactions), starts `claimledger-node run` on it
on 127.0.0.1, then sends the worst-case request shapes of each route class one at a
time and measures the node process while each runs: the peak of its resident set above
what it held before (sampled every 5 ms from /proc) and the CPU seconds it spent.

    .venv/bin/python scripts/abuse.py [--txs 30000] [--keep DIR] [--source DIR]
                                      [--only WORD,WORD]

Every route but status and health wants a request signed by a member key. The shapes
are sent signed by the agency, which reads every record (a member's event stream by that
member), so each reaches its route: what a member's key can cost. The `anonymous.` shapes
are the attacker without a key, unsigned on purpose: each must be refused 401
`auth.required` before its body is read or its route runs (the run exits 1 otherwise).

Each shape meets a freshly started node process, so memory freed by one shape and
reused by the next is not hidden from the measure. With --source DIR the node runs from
another checkout of the code (e.g. an older commit unpacked with `git archive`), to
compare before and after on the same ledger; --keep DIR builds the ledger there once
and reuses it; --only runs the shapes whose names hold one of the words. Prints one
JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import issuance  # noqa: E402
from contracts.codec import encode, sha256  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.keystore import seal  # noqa: E402
from contracts.ledger import make_transaction, sign_transaction  # noqa: E402
from contracts.tx import MAX_LARGE_TX_BYTES  # noqa: E402
from tests.signing import Signer, aiohttp_signing  # noqa: E402

PASSPHRASE = "abuse-passphrase"
MiB = 1 << 20
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def load_bench_explorer() -> Any:
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_explorer",
                                                  ROOT / "scripts" / "bench_explorer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_explorer"] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ the node process


class NodeUnderTest:
    def __init__(self, work: Path, source: Path) -> None:
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.network = work / "network.toml"
        key_file = work / "validator-key.json"
        validator = KeyPair(sha256(b"bench-explorer/validator"))  # the builder's validator
        key_file.write_text(json.dumps(seal(validator, PASSPHRASE, "validator")),
                            encoding="utf-8")
        self.log = (work / "node.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from node.cli import main; main()", "run",
             "--network", str(self.network), "--data", str(work), "--key", str(key_file),
             "--api", f"127.0.0.1:{self.port}", "--peer", f"127.0.0.1:{free_port()}",
             "--log-level", "WARNING"],
            cwd=source, env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE,
                             "PYTHONPATH": str(source)},
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(self.api + "/v1/status", timeout=2) as r:
                    self.status = json.loads(r.read())
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (work / "node.log").read_text()
                    raise SystemExit(f"the node did not start: {log}") from None
                time.sleep(0.1)

    rss_before = 0

    def rss(self) -> int:
        with open(f"/proc/{self.process.pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE

    def cpu_s(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


async def measured(node: NodeUnderTest, work: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    """The node's peak RSS above its level before, its CPU seconds, while `work` runs."""
    await asyncio.sleep(0.3)  # let the last shape's garbage settle
    base_rss, base_cpu = node.rss(), node.cpu_s()
    node.rss_before = base_rss
    peak = [base_rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], node.rss())
            except OSError:
                return
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        outcome = await work()
    finally:
        stop.set()
        sampler.join()
    wall_s = time.perf_counter() - started
    return {"rss_peak_delta_mib": round((peak[0] - base_rss) / MiB, 1),
            "cpu_s": round(node.cpu_s() - base_cpu, 3), "wall_s": round(wall_s, 3),
            "answer": outcome}


# ------------------------------------------------------------------ the shapes


async def answer_of(response: aiohttp.ClientResponse) -> str:
    raw = await response.read()
    try:
        code = json.loads(raw).get("error", {}).get("code")
    except (ValueError, AttributeError):
        code = None
    return f"{response.status} {code}" if code else str(response.status)


def signed_by_outsiders(count: int, status_height: int, chain_id: str) -> list[bytes]:
    """Well-formed transactions signed by keys no member holds: each costs the node a
    signature check before a rule refuses it."""
    registry = default_registry()
    out = []
    for i in range(count):
        key = KeyPair(sha256(f"abuse/outsider/{i}".encode()))
        terms = issuance.Terms(key.address, 1000 + i, 1 << 62, True, False, 0, 0, f"X-{i}",
                               sha256(f"x{i}".encode()))
        tx = make_transaction(registry, chain_id, "issuance", "apply",
                              issuance.Apply(key.address, terms), status_height + 10**6, i)
        out.append(encode(sign_transaction(tx, key)))
    return out


Shape = Callable[["Client"], Awaitable[Any]]


class Client:
    """One client of the node under test: signing as `signer` says, or anonymous (None)."""

    def __init__(self, node: NodeUnderTest, http: aiohttp.ClientSession, voucher: str,
                 holder: str, signer: Signer | None) -> None:
        self.node, self.http, self.voucher, self.holder = node, http, voucher, holder
        self.signer = signer

    async def post(self, path: str, data: bytes, headers: dict[str, str]) -> str:
        async with self.http.post(self.node.api + path, data=data, headers=headers) as r:
            return await answer_of(r)

    async def get(self, path: str) -> str:
        async with self.http.get(self.node.api + path) as response:
            return await answer_of(response)


JSON_TYPE = {"Content-Type": "application/json"}
GZIP_JSON = {**JSON_TYPE, "Content-Encoding": "gzip"}
NOBODY = "ab" * 32
EXCLUDE_100 = "&".join(f"exclude={KeyPair(sha256(bytes([i]))).address.hex()}"
                       for i in range(100))


def tx_bomb() -> bytes:
    return gzip.compress(b'{"tx": "' + b"00" * (MAX_LARGE_TX_BYTES - 4096) + b'"}', 9)


def batch_bomb() -> bytes:
    return gzip.compress(b'{"txs": ["' + b"00" * (2 * MiB - 64) + b'"]}', 9)


async def outsiders_batch(c: Client) -> str:
    status = c.node.status
    raws = signed_by_outsiders(1000, status["height"], status["chain_id"])
    return await c.post("/v1/txs/batch", json.dumps({"txs": [r.hex() for r in raws]}).encode(),
                        JSON_TYPE)


async def last_event_cursor(c: Client, address: str) -> str | None:
    """The cursor of the last event in `address`'s stream (paged, at most 100 pages)."""
    last, after = None, ""
    for _ in range(100):
        async with c.http.get(f"{c.node.api}/v1/events?address={address}&limit=1000"
                              f"{after}") as response:
            page = await response.json()
        if page.get("events"):
            last = page["events"][-1]["cursor"]
        if not page.get("next"):
            return last
        after = f"&after={page['next']}"
    return last


async def long_polls(c: Client, count: int) -> list[str]:
    """`count` polls of the holder's own stream past its last event: each waits 3 s."""
    cursor = await last_event_cursor(c, c.holder)
    after = "" if cursor is None else f"&after={cursor}"
    return sorted(set(await asyncio.gather(*(
        c.get(f"/v1/events?address={c.holder}&wait_ms=3000{after}") for _ in range(count)))))


async def plan_twice(c: Client) -> list[str]:
    return [await c.get("/v1/setoff/plan"), await c.get("/v1/setoff/plan")]


async def status_while_planning(c: Client) -> dict[str, Any]:
    """How long /v1/status takes while a plan is computed: the event loop's share."""
    plan = asyncio.ensure_future(c.get("/v1/setoff/plan"))
    latencies = []
    while not plan.done():
        started = time.perf_counter()
        await c.get("/v1/status")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
    return {"plan": await plan, "status_answers": len(latencies),
            "status_max_s": round(max(latencies, default=0), 3)}


SHAPES: dict[str, Shape] = {
    "post_tx.gzip_bomb_9kb": lambda c: c.post("/v1/txs", tx_bomb(), GZIP_JSON),
    "post_tx.largest_hex_body_9mb": lambda c: c.post("/v1/txs", json.dumps(
        {"tx": "00" * (MAX_LARGE_TX_BYTES - 4096)}).encode(), JSON_TYPE),
    "post_batch.gzip_bomb": lambda c: c.post("/v1/txs/batch", batch_bomb(), GZIP_JSON),
    "post_batch.one_4mb_hex_element": lambda c: c.post("/v1/txs/batch", json.dumps(
        {"txs": ["00" * (2 * MiB - 64)]}).encode(), JSON_TYPE),
    "post_batch.1000_signed_by_outsiders": outsiders_batch,
    "get.vouchers_filtered_scan": lambda c: c.get(
        f"/v1/vouchers?holder={c.holder}&status=cancelled&limit=1000"),
    "get.voucher_lineage": lambda c: c.get(f"/v1/vouchers/{c.voucher}/lineage"),
    "get.members_page": lambda c: c.get("/v1/members?limit=1000"),
    "get.events_page": lambda c: c.get(f"/v1/events?address={c.holder}&limit=1000"),
    "get.openapi": lambda c: c.get("/v1/openapi.json"),
    "explorer.overview_1000_blocks": lambda c: c.get("/v1/overview?blocks=1000"),
    "explorer.registry_debtors": lambda c: c.get("/v1/registry/debtors?limit=1000"),
    "explorer.registry_pledges_filtered": lambda c: c.get(
        "/v1/registry/pledges?status=released&limit=1000"),
    "explorer.page": lambda c: c.get("/explorer/"),
    "setoff_plan.twice_at_one_head": plan_twice,
    "setoff_plan.100_excluded": lambda c: c.get("/v1/setoff/plan?" + EXCLUDE_100),
    "setoff_plan.status_meanwhile": status_while_planning,
    "events.32_long_polls_3s": lambda c: long_polls(c, 32),
    "slow.32_trickled_heads": lambda c: trickled_heads(c.node, 32),
    "slow.4_trickled_bodies": lambda c: trickled_bodies(c, 4),
    "connections.200_from_one_address": lambda c: connection_flood(c.node, 200),
    # Without a key: refused 401 before any body is read or any route runs.
    "anonymous.post_tx.largest_hex_body_9mb": lambda c: c.post("/v1/txs", json.dumps(
        {"tx": "00" * (MAX_LARGE_TX_BYTES - 4096)}).encode(), JSON_TYPE),
    "anonymous.get.vouchers_filtered_scan": lambda c: c.get(
        f"/v1/vouchers?holder={c.holder}&status=cancelled&limit=1000"),
    "anonymous.setoff_plan": lambda c: c.get("/v1/setoff/plan"),
    "anonymous.events.32_long_polls": lambda c: long_polls_of(c, NOBODY, 32),
    "anonymous.slow.4_trickled_bodies": lambda c: trickled_bodies(c, 4),
}
ANONYMOUS = "anonymous."  # shapes sent unsigned, each to be refused 401 auth.required
REFUSED = "401 auth.required"


async def long_polls_of(c: Client, address: str, count: int) -> list[str]:
    return sorted(set(await asyncio.gather(*(
        c.get(f"/v1/events?address={address}&wait_ms=3000") for _ in range(count)))))


def refused_as_anonymous(answer: Any) -> bool:
    """Whether an anonymous shape's answer is its refusal: 401 auth.required every time."""
    if isinstance(answer, str):
        return answer == REFUSED
    if isinstance(answer, list):
        return bool(answer) and all(refused_as_anonymous(a) for a in answer)
    if isinstance(answer, dict):  # trickled bodies: the answers' status lines
        return bool(answer.get("answers")) and all(
            a.startswith("HTTP/1.1 401") for a in answer["answers"])
    return False


async def run_shape(node: NodeUnderTest, shape: Shape, voucher: str, holder: str,
                    signer: Signer | None) -> dict[str, Any]:
    """`shape` measured, its requests signed by `signer` (None: anonymous)."""
    timeout = aiohttp.ClientTimeout(total=120)
    signing = () if signer is None else (aiohttp_signing(signer),)
    async with aiohttp.ClientSession(timeout=timeout, middlewares=signing,
                                     connector=aiohttp.TCPConnector(force_close=True)) as http:
        client = Client(node, http, voucher, holder, signer)
        await client.get("/v1/status")  # warm: the first answer's own costs are not counted
        return await measured(node, lambda: shape(client))


async def trickled_heads(node: NodeUnderTest, count: int) -> dict[str, Any]:
    """`count` connections sending a header line every 0.5 s: how long the node keeps
    them (capped at 30 s here)."""
    async def one() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
        writer.write(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        try:
            while time.monotonic() - started < 30:
                writer.write(b"X-Slow: 1\r\n")
                try:
                    if not await asyncio.wait_for(reader.read(1), timeout=0.5):
                        break
                except TimeoutError:
                    continue
        except ConnectionError:
            pass
        finally:
            writer.close()
        return time.monotonic() - started

    held = await asyncio.gather(*(one() for _ in range(count)))
    return {"held_s_max": round(max(held), 1), "cut_at_30s": sum(h >= 30 for h in held)}


async def trickled_bodies(c: Client, count: int) -> dict[str, Any]:
    """`count` large uploads from one client at 10 bytes a second (signed over the whole
    body they would send, if the client signs): how long they hold the upload slots, and
    what a real large upload of another client gets meanwhile (capped at 40 s here)."""
    node = c.node
    length = 1_000_000
    start = b'{"tx": "'
    signed = "" if c.signer is None else "".join(
        f"{k}: {v}\r\n" for k, v in c.signer.headers(
            "POST", "/v1/txs", start + b"0" * (length - len(start))).items())

    async def one() -> tuple[float, str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
        writer.write(f"POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     f"\r\nContent-Length: {length}\r\n{signed}\r\n".encode() + start)
        started = time.monotonic()
        answer = b""
        try:
            while time.monotonic() - started < 40:
                writer.write(b"0")
                try:
                    answer = await asyncio.wait_for(reader.read(200), timeout=0.1)
                    break
                except TimeoutError:
                    continue
        except ConnectionError:
            pass
        finally:
            writer.close()
        return time.monotonic() - started, answer.split(b"\r\n", 1)[0].decode(errors="replace")

    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    await asyncio.sleep(1.0)
    large = json.dumps({"tx": "00" * 150_000}).encode()
    another_client = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    signing = () if c.signer is None else (aiohttp_signing(c.signer),)
    async with aiohttp.ClientSession(connector=another_client, middlewares=signing) as http, \
            http.post(
            node.api + "/v1/txs", data=large,
            headers={"Content-Type": "application/json"}) as response:
        meanwhile = await answer_of(response)
    outcomes = await asyncio.gather(*tasks)
    return {"held_s_max": round(max(s for s, _ in outcomes), 1),
            "answers": sorted({a for _, a in outcomes}),
            "a_300kb_upload_meanwhile": meanwhile}


async def connection_flood(node: NodeUnderTest, count: int) -> dict[str, Any]:
    """`count` connections from one address that send nothing: how many the node keeps."""
    pairs = []
    for _ in range(count):
        try:
            pairs.append(await asyncio.open_connection("127.0.0.1", node.port))
        except OSError:
            break
    await asyncio.sleep(1.0)
    kept = 0
    for reader, _ in pairs:
        try:
            if await asyncio.wait_for(reader.read(1), timeout=0.01):
                kept += 1
        except TimeoutError:
            kept += 1  # still open, nothing said
        except ConnectionError:
            pass
    for _, writer in pairs:
        writer.close()
    return {"opened": len(pairs), "kept_open": kept}


# ------------------------------------------------------------------ main


def build_ledger(work: Path, txs: int, bench: Any) -> None:
    started = time.perf_counter()
    ledger = bench.Ledger(work, 50, 200, 250)
    (work / "network.toml").write_text(bench.network_text(
        ledger.validator, [("agency", "agency", ledger.agency), ("bank", "bank", ledger.bank)]
        + [(f"Core enterprise {i:03d} (核心企业)", "enterprise", k)
           for i, k in enumerate(ledger.debtors)]
        + [(f"Supplier {i:03d} (供应商)", "enterprise", k)
           for i, k in enumerate(ledger.suppliers)], 250), encoding="utf-8")
    bench.build(ledger, txs)
    ledger.node.close()
    print(f"built {ledger.txs} transactions in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)


def ledger_facts(work: Path, bench: Any) -> tuple[str, str, int, Signer]:
    """A live voucher, its holder, how many live vouchers there are, and the signer of
    the agency (each member's event stream signed by that member)."""
    ledger = bench.Ledger(work, 50, 200, 250)
    try:
        live = [key for key, _ in ledger.node.store.scan(b"vhl/")]
        voucher = live[0][4 + 32:]
        holder = live[0][4:4 + 32]
        signer = Signer.of(ledger.node.chain.chain_id, ledger.agency,
                           [ledger.bank, *ledger.debtors, *ledger.suppliers])
        return voucher.hex(), holder.hex(), len(live), signer
    finally:
        ledger.node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=30_000)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--only", default="",
                        help="comma-separated words: run only shapes whose name has one")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="the checkout whose node runs (default: this one)")
    args = parser.parse_args()
    bench = load_bench_explorer()
    work = args.keep or Path(tempfile.mkdtemp(prefix="claimledger-abuse-"))
    try:
        if not (work / "ledger").exists():
            build_ledger(work, args.txs, bench)
        voucher, holder, live, signer = ledger_facts(work, bench)
        results: dict[str, Any] = {}
        failed: list[str] = []
        for name, shape in SHAPES.items():
            if args.only and not any(word in name for word in args.only.split(",")):
                continue
            node = NodeUnderTest(work, args.source.resolve())  # a fresh process per shape
            try:
                anonymous = name.startswith(ANONYMOUS)
                results[name] = asyncio.run(run_shape(node, shape, voucher, holder,
                                                      None if anonymous else signer))
                if anonymous and not refused_as_anonymous(results[name]["answer"]):
                    failed.append(name)
                results[name]["node_rss_mib_before"] = round(node.rss_before / MiB, 1)
            finally:
                node.stop()
            print(f"{name}: {results[name]}", file=sys.stderr)
        print(json.dumps({"source": str(args.source.resolve()), "live_vouchers": live,
                          "height": node.status["height"], "shapes": results,
                          "anonymous_not_refused": failed}, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        raise SystemExit(f"answered a client without a key: {', '.join(failed)}")


if __name__ == "__main__":
    main()
