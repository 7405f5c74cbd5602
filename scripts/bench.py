"""Throughput and latency of a network of validator processes, against the machine's bound.

    scripts/bench [--validators 4] [--txs 40000] [--clients 8] [--batch 200]
                  [--half-seconds 20] [--work DIR] [--keep] [--profile DIR]

Starts the validators (and one observer, left stopped) as processes on 127.0.0.1 with
network.toml's timing and fee rate, issues vouchers and splits them into M parts held
by one supplier, pre-signs M transfers of those parts to another member (two signatures
each, the holder's and the transferee's: 签收; no two touching the same voucher) and then:

1. Maximum rate: `--clients` tasks, each with its own HTTP connection to one validator
   (round-robin), submit the transfers as fast as the network takes them (a 503 or 429
   is retried after a short pause), in batches of `--batch` through
   `POST /v1/txs/batch`, or one per `POST /v1/txs` with `--batch 0`. A watcher reads
   every new block of validator 0 as it commits; a transaction's commit latency is from
   the moment its client sent it to the moment the watcher saw it committed. Committed
   tx/s is taken over the steady window between the 10th and the 90th percentile of
   commit times. Each node's CPU seconds come from /proc.
2. Half load: the parts just transferred are transferred back, paced open-loop at half
   the rate measured in 1, for `--half-seconds`; latency again.
3. Observer sync: the observer starts with an empty store and fetches, verifies
   (certificates) and re-executes the whole chain; verified tx/s.

In the same run it measures Ed25519 verifications per second on one core with pynacl
(before the nodes start) and prints
`bound_tps = cores × verify_per_s / (validators × signatures_per_tx)` and
`ratio = tps / bound_tps`. The result is JSON on stdout; progress goes to stderr.
`--profile DIR` records validator 0 with py-spy during phase 1 (py-spy must be
installed: `.venv/bin/pip install py-spy`).

Every request is signed, as every API route but status wants, by the network's agency
(tests/nodeproc.py registers it for each node): its cost is in the figures. The node
remembers at most 20,000 nonces of one key (node/http/auth.py, NonceLimits), each for
about a minute, so `--batch 0` past some 300 requests a second meets 503 `auth.busy`
(retried like any 503).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import msgpack
from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import issuance, transfer, vouchers  # noqa: E402
from contracts.codec import encode  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from tests.nodeproc import (  # noqa: E402
    DAY_MS,
    LOAD_LIMITS,
    Network,
    NodeProcess,
    approve_tx,
    build_tx,
    confirm_tx,
    make_cluster,
    now_ms,
    signing_middleware,
    terms,
    tx_id,
)

PART_FEN = 100_000  # each part transferred: ¥1,000
SPLIT_PARTS = vouchers.MAX_PARTS
SETUP_BATCH = 200
MSGPACK = {"Content-Type": "application/msgpack"}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the machine's bound


def verify_per_second(seconds: float = 2.0) -> float:
    """Ed25519 verifications per second on this core, with pynacl, of a transaction-sized
    message."""
    key = SigningKey.generate()
    verify_key = key.verify_key
    signed = key.sign(os.urandom(300))
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(500):
            verify_key.verify(signed)
        count += 500
    return count / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quantile(values: list[float], q: float) -> float:
    assert values
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def devnet_timing() -> tuple[dict[str, int], int]:
    """The [timing] table and fee rate of the repository's network.toml."""
    config = tomllib.loads((ROOT / "network.toml").read_text(encoding="utf-8"))
    return dict(config["timing"]), int(config.get("fee_rate_bp", 0))


# ------------------------------------------------------------------ talking to nodes


@dataclass
class Seen:
    """What the watcher saw: the time each transaction was seen committed, and blocks."""

    at: dict[str, float] = field(default_factory=dict)
    blocks: list[tuple[int, int, int, float]] = field(default_factory=list)  # h, txs, ms, seen
    height: int = 0


class Client:
    """One HTTP connection to one validator."""

    def __init__(self, api: str, batch: int) -> None:
        self.api = api
        self.batch = batch
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=60), middlewares=(signing_middleware(),))
        self.retries = 0
        self.refused: dict[str, int] = {}
        self.accepted_at: dict[bytes, float] = {}  # raw -> when a node took it (202/pending)

    async def close(self) -> None:
        await self.session.close()

    async def submit(self, raws: list[bytes]) -> list[bytes]:
        """Submit until accepted; returns what was refused for good (by a rule)."""
        refused: list[bytes] = []
        while raws:
            if self.batch:
                async with self.session.post(f"{self.api}/v1/txs/batch",
                                             data=msgpack.packb(raws), headers=MSGPACK) as r:
                    body = await r.json()
                    if r.status != 200:
                        await self._pause(r.status, body)
                        continue
                retry = []
                now = time.perf_counter()
                for raw, result in zip(raws, body["results"], strict=True):
                    error = result.get("error")
                    if error is None:
                        self.accepted_at[raw] = now
                        continue
                    if error["code"] in ("mempool.full", "submit.rate_limited",
                                         "submit.busy"):
                        retry.append(raw)
                    else:
                        self.refused[error["code"]] = self.refused.get(error["code"], 0) + 1
                        refused.append(raw)
                if retry:
                    self.retries += 1
                    await asyncio.sleep(0.05)
                raws = retry
            else:
                raw = raws[0]
                async with self.session.post(f"{self.api}/v1/txs", data=raw,
                                             headers=MSGPACK) as r:
                    if r.status == 202:
                        await r.read()
                        self.accepted_at[raw] = time.perf_counter()
                        raws = raws[1:]
                        continue
                    body = await r.json()
                    if r.status in (429, 503):
                        await self._pause(r.status, body)
                        continue
                    code = body["error"]["code"]
                    self.refused[code] = self.refused.get(code, 0) + 1
                    refused.append(raw)
                    raws = raws[1:]
        return refused

    async def _pause(self, status: int, body: dict) -> None:
        if status not in (429, 503):
            raise RuntimeError(f"{self.api} answered {status}: {body}")
        self.retries += 1
        await asyncio.sleep(0.05)


async def get_json(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as r:
        return await r.json()


async def watch(api: str, seen: Seen, stop: asyncio.Event) -> None:
    """Read each block of `api` as it commits; note when each transaction was seen."""
    async with aiohttp.ClientSession(middlewares=(signing_middleware(),)) as session:
        seen.height = (await get_json(session, f"{api}/v1/status"))["height"]
        while not stop.is_set():
            head = (await get_json(session, f"{api}/v1/status"))["height"]
            while seen.height < head:
                height = seen.height + 1
                block = await get_json(session, f"{api}/v1/blocks/{height}")
                now = time.perf_counter()
                for tx in block["txs"]:
                    seen.at[tx] = now
                seen.blocks.append((height, len(block["txs"]), block["header"]["time_ms"], now))
                seen.height = height
            await asyncio.sleep(0.01)


async def wait_for(seen: Seen, ids: list[str], timeout_s: float) -> int:
    """Wait until every id is seen committed (or the timeout); how many were not."""
    deadline = time.perf_counter() + timeout_s
    missing = [i for i in ids if i not in seen.at]
    while missing and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        missing = [i for i in missing if i not in seen.at]
    return len(missing)


# ------------------------------------------------------------------ preparing vouchers


async def submit_all(clients: list[Client], raws: list[bytes]) -> None:
    chunks = [raws[i:i + SETUP_BATCH] for i in range(0, len(raws), SETUP_BATCH)]

    async def one(client: Client) -> None:
        while chunks:
            refused = await client.submit(chunks.pop(0))
            if refused:
                raise RuntimeError(f"setup transactions refused: {client.refused}")

    await asyncio.gather(*(one(c) for c in clients))


async def run_level(clients: list[Client], seen: Seen, txs: list) -> None:
    """Submit transactions that depend only on committed ones; wait until all commit."""
    await submit_all(clients, [encode(t) for t in txs])
    missing = await wait_for(seen, [tx_id(t).hex() for t in txs], 120)
    if missing:
        raise RuntimeError(f"{missing} setup transactions did not commit in 120 s")


async def prepare(net: Network, clients: list[Client], seen: Seen, count: int) -> list[bytes]:
    """At least `count` live vouchers of PART_FEN held by the supplier: vouchers issued
    (apply, confirm, approve), then split in levels of 16 parts."""
    chain_id, members = net.chain_id, net.members
    holder = members["supplier"]
    leaves = SPLIT_PARTS
    while leaves < count and leaves < SPLIT_PARTS ** 3:
        leaves *= SPLIT_PARTS
    due = now_ms() + 180 * DAY_MS
    applications = [
        build_tx(chain_id, "issuance", "apply", issuance.Apply(
            holder.address, terms(members["core"], due, f"BENCH-{i}", leaves * PART_FEN)),
            holder)
        for i in range(-(-count // leaves))
    ]
    await run_level(clients, seen, applications)
    app_ids = [tx_id(a) for a in applications]
    await run_level(clients, seen, [confirm_tx(chain_id, members, a) for a in app_ids])
    await run_level(clients, seen, [approve_tx(chain_id, members, a) for a in app_ids])
    current = [vouchers.issued_voucher_id(a) for a in app_ids]
    amount = leaves * PART_FEN
    while amount > PART_FEN:
        amount //= SPLIT_PARTS
        txs, parts = [], []
        for voucher in current:
            body = transfer.Split(holder.address, voucher, (amount,) * SPLIT_PARTS, None)
            tx = build_tx(chain_id, "transfer", "split", body, holder)
            txs.append(tx)
            parts += [vouchers.part_id(tx_id(tx), voucher, i) for i in range(SPLIT_PARTS)]
        log(f"splitting {len(current)} vouchers into {len(parts)}")
        await run_level(clients, seen, txs)
        current = parts
    return current[:count]


def transfers(chain_id: str, parts: list[bytes], holder: KeyPair, to: KeyPair
              ) -> list[tuple[str, bytes, bytes]]:
    """(id, raw, the part it creates) of a whole-part transfer of each part, signed by
    holder and transferee."""
    out = []
    for part in parts:
        tx = build_tx(chain_id, "transfer", "transfer",
                      transfer.Transfer(holder.address, part, to.address, PART_FEN, None, "TC-1"),
                      holder, to)
        tid = tx_id(tx)
        out.append((tid.hex(), encode(tx), vouchers.part_id(tid, part, 0)))
    return out


# ------------------------------------------------------------------ the phases


@dataclass
class Phase:
    sent_at: dict[str, float] = field(default_factory=dict)  # first attempt
    accepted_at: dict[str, float] = field(default_factory=dict)  # taken by a validator
    started: float = 0.0
    ended: float = 0.0

    def note_accepted(self, clients: list[Client], txs: list[tuple[str, bytes, bytes]]) -> None:
        taken: dict[bytes, float] = {}
        for c in clients:
            taken.update(c.accepted_at)
        self.accepted_at = {tid: taken[raw] for tid, raw, _ in txs if raw in taken}


async def flood(clients: list[Client], txs: list[tuple[str, bytes, bytes]], batch: int,
                phase: Phase) -> None:
    """Everything, as fast as the validators take it."""
    queue = list(reversed(txs))
    step = max(1, batch)

    async def one(client: Client) -> None:
        while queue:
            chunk = [queue.pop() for _ in range(min(step, len(queue)))]
            now = time.perf_counter()
            for tid, _, _ in chunk:
                phase.sent_at[tid] = now
            await client.submit([raw for _, raw, _ in chunk])

    phase.started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients))
    phase.ended = time.perf_counter()


async def paced(clients: list[Client], txs: list[tuple[str, bytes, bytes]], rate: float,
                phase: Phase) -> None:
    """Open loop: transaction i is sent at i / rate seconds, round-robin over clients."""
    tick_s = 0.02
    queues: list[asyncio.Queue] = [asyncio.Queue() for _ in clients]

    async def one(client: Client, queue: asyncio.Queue) -> None:
        while True:
            chunk = await queue.get()
            if chunk is None:
                return
            await client.submit(chunk)

    workers = [asyncio.create_task(one(c, q)) for c, q in zip(clients, queues, strict=True)]
    phase.started = start = time.perf_counter()
    sent = 0
    turn = 0
    while sent < len(txs):
        due = min(len(txs), int((time.perf_counter() - start) * rate) + 1)
        if due > sent:
            chunk = txs[sent:due]
            now = time.perf_counter()
            for tid, _, _ in chunk:
                phase.sent_at[tid] = now
            queues[turn % len(queues)].put_nowait([raw for _, raw, _ in chunk])
            turn += 1
            sent = due
        await asyncio.sleep(tick_s)
    for q in queues:
        q.put_nowait(None)
    await asyncio.gather(*workers)
    phase.ended = time.perf_counter()


def summarise(phase: Phase, seen: Seen, cpu: dict[str, float]) -> dict:
    latencies = [seen.at[t] - s for t, s in phase.sent_at.items() if t in seen.at]
    from_accept = [seen.at[t] - s for t, s in phase.accepted_at.items() if t in seen.at]
    commits = sorted(seen.at[t] for t in phase.sent_at if t in seen.at)
    n = len(commits)
    lo, hi = commits[n // 10], commits[min(n - 1, (9 * n) // 10)]
    in_window = sum(1 for c in commits if lo <= c <= hi)
    blocks = [b for b in seen.blocks if phase.started <= b[3] <= commits[-1] and b[1] > 0]
    window = [b for b in seen.blocks if lo <= b[3] <= hi]
    intervals = [b[2] - a[2] for a, b in itertools.pairwise(window)]
    total_cpu = sum(cpu.values())
    return {
        "txs": len(phase.sent_at),
        "committed": n,
        "not_committed": len(phase.sent_at) - n,
        "submit_s": round(phase.ended - phase.started, 3),
        "committed_tps": round(in_window / (hi - lo), 1) if hi > lo else None,
        "committed_tps_whole": round(n / (commits[-1] - phase.started), 1),
        "latency_s": {  # first attempt (retries after 503 included) to seen committed
            "p50": round(quantile(latencies, 0.50), 3),
            "p99": round(quantile(latencies, 0.99), 3),
            "max": round(max(latencies), 3),
        },
        "latency_from_accepted_s": {  # the node said pending to seen committed
            "p50": round(quantile(from_accept, 0.50), 3),
            "p99": round(quantile(from_accept, 0.99), 3),
            "max": round(max(from_accept), 3),
        } if from_accept else None,
        "blocks": {
            "count": len(blocks),
            "txs_mean": round(sum(b[1] for b in blocks) / max(1, len(blocks)), 1),
            "txs_max": max((b[1] for b in blocks), default=0),
            "interval_ms_mean": round(sum(intervals) / len(intervals), 1) if intervals else None,
            "interval_ms_p50": quantile(intervals, 0.5) if intervals else None,
        },
        "cpu_s": {name: round(s, 2) for name, s in cpu.items()},
        "cpu_ms_per_tx_all_nodes": round(1000 * total_cpu / max(1, n), 3),
    }


def cpu_of(procs: dict[str, NodeProcess]) -> dict[str, float]:
    return {name: cpu_seconds(p.process.pid) for name, p in procs.items()
            if p.process is not None and p.alive()}


def cpu_since(before: dict[str, float], procs: dict[str, NodeProcess]) -> dict[str, float]:
    now = cpu_of(procs)
    return {name: now[name] - before[name] for name in before if name in now}


def start_profiler(directory: str | None, procs: dict[str, NodeProcess], phase: str
                   ) -> subprocess.Popen | None:
    """py-spy sampling validator 0 into DIRECTORY/validator-0-PHASE.txt (collapsed stacks)."""
    if not directory:
        return None
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    pid = procs["validator-0"].process.pid  # type: ignore[union-attr]
    return subprocess.Popen(
        [shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record",
         "--pid", str(pid), "--rate", "50", "--format", "raw", "--nonblocking",
         "-o", str(out / f"validator-0-{phase}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(30)


async def observer_sync(observer: Network, api: str, txs_in_chain: int) -> dict:
    """Start the fresh observer and time it until it holds the validators' head."""
    async with aiohttp.ClientSession(middlewares=(signing_middleware(),)) as session:
        target = (await get_json(session, f"{api}/v1/status"))["height"]
        started = time.perf_counter()
        proc = NodeProcess(observer).start()
        try:
            proc.wait_ready(60)
            answering = time.perf_counter()
            while True:
                status = await get_json(session, f"{observer.api}/v1/status")
                if status["height"] >= target:
                    break
                if not proc.alive():
                    raise RuntimeError(f"the observer exited:\n{proc.stderr()[-2000:]}")
                await asyncio.sleep(0.05)
            done = time.perf_counter()
            cpu = cpu_seconds(proc.process.pid)
        finally:
            proc.stop()
    return {
        "blocks": target,
        "txs": txs_in_chain,
        "seconds_from_start": round(done - started, 3),
        "seconds_syncing": round(done - answering, 3),
        "verified_tps": round(txs_in_chain / (done - started), 1),
        "observer_cpu_s": round(cpu, 2),
    }


async def run(args: argparse.Namespace) -> dict:
    verify_rate = verify_per_second()
    cores = os.cpu_count() or 1
    log(f"ed25519: {verify_rate:,.0f} verifications/s on one core; {cores} cores")
    timing, fee_rate_bp = devnet_timing()
    if args.mempool:
        timing["max_mempool_txs"] = args.mempool
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="claimledger-bench-"))
    nets = make_cluster(work / "net", validators=args.validators, observers=1,
                        chain_id="claimledger-bench", timing=timing, fee_rate_bp=fee_rate_bp,
                        limits=LOAD_LIMITS)  # clients send far past the internet defaults
    validators, observer = nets[:-1], nets[-1]
    procs = {n.root.name: NodeProcess(n).start() for n in validators}
    apis = [n.api for n in validators]
    stop = asyncio.Event()
    seen = Seen()
    profiler = None
    clients = [Client(apis[i % len(apis)], args.batch) for i in range(args.clients)]
    try:
        for p in procs.values():
            p.wait_ready(60)
        watcher = asyncio.create_task(watch(apis[0], seen, stop))
        members = validators[0].members
        t0 = time.perf_counter()
        parts = await prepare(validators[0], clients, seen, args.txs)
        log(f"prepared {len(parts)} vouchers in {time.perf_counter() - t0:.1f} s")
        chain_id = validators[0].chain_id
        t0 = time.perf_counter()
        forward = transfers(chain_id, parts, members["supplier"], members["supplier2"])
        signatures = len(msgpack.unpackb(forward[0][1])[1])
        log(f"signed {len(forward)} transfers in {time.perf_counter() - t0:.1f} s")
        await asyncio.sleep(1)

        profiler = start_profiler(args.profile, procs, "max")
        log(f"phase 1: {len(forward)} transfers as fast as they are taken")
        before = cpu_of(procs)
        first = Phase()
        client_cpu = time.process_time()
        await flood(clients, forward, args.batch, first)
        missing = await wait_for(seen, [t for t, _, _ in forward], 120)
        first.note_accepted(clients, forward)
        client_cpu = time.process_time() - client_cpu
        cpu1 = cpu_since(before, procs)
        stop_profiler(profiler)
        max_rate = summarise(first, seen, cpu1)
        max_rate["bench_client_cpu_s"] = round(client_cpu, 2)
        log(f"phase 1: {max_rate['committed_tps']} tx/s, {missing} not committed")

        rate = (max_rate["committed_tps"] or max_rate["committed_tps_whole"]) / 2
        count = min(len(forward), int(rate * args.half_seconds))
        back = transfers(chain_id, [moved for _, _, moved in forward[:count]],
                         members["supplier2"], members["supplier"])
        await asyncio.sleep(1)
        log(f"phase 2: {count} transfers at {rate:.0f} tx/s")
        before = cpu_of(procs)
        second = Phase()
        profiler = start_profiler(args.profile, procs, "half")
        await paced(clients, back, rate, second)
        await wait_for(seen, [t for t, _, _ in back], 120)
        second.note_accepted(clients, back)
        stop_profiler(profiler)
        half = summarise(second, seen, cpu_since(before, procs))
        half["target_tps"] = round(rate, 1)

        stop.set()
        await watcher
        txs_in_chain = sum(b[1] for b in seen.blocks)
        async with aiohttp.ClientSession(middlewares=(signing_middleware(),)) as session:
            height = (await get_json(session, f"{apis[0]}/v1/status"))["height"]
            for h in range(1, height + 1):
                if h <= seen.blocks[0][0] - 1:
                    txs_in_chain += len((await get_json(
                        session, f"{apis[0]}/v1/blocks/{h}"))["txs"])
        log("phase 3: a fresh observer syncs the chain")
        sync = await observer_sync(observer, apis[0], txs_in_chain)
        bound = cores * verify_rate / (args.validators * signatures)
        tps = max_rate["committed_tps"] or max_rate["committed_tps_whole"]
        return {
            "validators": args.validators,
            "clients": args.clients,
            "batch": args.batch,
            "cores": cores,
            "fee_rate_bp": fee_rate_bp,
            "timing": timing,
            "ed25519_verify_per_s_one_core": round(verify_rate, 1),
            "signatures_per_tx": signatures,
            "bound_tps": round(bound, 1),
            "tps": tps,
            "ratio": round(tps / bound, 3),
            "max_rate": max_rate,
            "half_rate": half,
            "observer_sync": sync,
            "refused": {c.api: c.refused for c in clients if c.refused},
            "retries": sum(c.retries for c in clients),
        }
    finally:
        stop.set()
        if profiler is not None and profiler.poll() is None:
            profiler.kill()
        for c in clients:
            await c.close()
        for p in procs.values():
            if p.alive():
                p.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--txs", type=int, default=40_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=200,
                        help="transactions per POST /v1/txs/batch; 0: one per POST /v1/txs")
    parser.add_argument("--half-seconds", type=float, default=20)
    parser.add_argument("--mempool", type=int, default=0,
                        help="max_mempool_txs (default: network.toml's)")
    parser.add_argument("--work", help="run directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument("--profile", help="record validator 0 with py-spy into this directory")
    args = parser.parse_args()
    if args.validators < 1 or args.txs < 1 or args.clients < 1 or args.batch < 0:
        parser.error("validators, txs and clients are at least 1; batch at least 0")
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
