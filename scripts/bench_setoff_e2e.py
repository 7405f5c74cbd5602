"""Set-off end to end on a real node: from the ledger's state to executed set-off, as JSON.

Starts one validator process on 127.0.0.1 in a temporary directory (high [limits], as
tests/nodeproc.LOAD_LIMITS, since one client sends everything) and builds the obligation
graph of scripts/bench_setoff.py (same generator, --seed) through real transactions: the
agency admits the members, each creditor submits its obligations and each debtor
confirms them (in waves, so that no creditor has more than 200 waiting for one debtor),
and the members sign set-off mandates (all, or all but --unmandated-share). Then it times:

- plan: GET /v1/setoff/plan?run_batches=1, the node's own collect (from a snapshot of the
  head), solve, run and rounds, each as the node reports it, and the request's wall time;
- submit: open_run, then every batch (signed by the agency; --window batches submitted
  before waiting for their commits) and close_run;
- executed: until every batch is committed; the blocks the run took, and the run's record
  read back: cleared_fen against the plan's optimum over mandated members (executed_share).

    scripts/bench_setoff_e2e [--members 10000] [--obligations 100000] [--seed 1]
                             [--unmandated-share 0] [--window 40] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_setoff import generate  # noqa: E402

from contracts import membership, obligations, setoff  # noqa: E402
from contracts.codec import encode, sha256  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.keystore import seal  # noqa: E402
from contracts.ledger import make_transaction, sign_transaction  # noqa: E402
from contracts.legal_identity import complete_credit_code  # noqa: E402
from contracts.tx import payload_id  # noqa: E402
from tests.nodeproc import LOAD_LIMITS  # noqa: E402
from tests.signing import Signer, aiohttp_signing  # noqa: E402

PASSPHRASE = "bench"
CHAIN = "bench-e2e"
DAY_MS = 86_400_000
SUBMIT_CHUNK = 1_000  # transactions per POST /v1/txs/batch (its bound)
MAX_PENDING = obligations.MAX_PENDING_PER_DEBTOR


def bench_identity(i: int) -> membership.Identity:
    """A valid legal identity for the benchmark's i-th member (a made-up enterprise)."""
    return membership.Identity("legal_person", complete_credit_code(f"91150802{i:08d}"), b"",
                               "Representative", "bench", "C", "150802")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, http: aiohttp.ClientSession, api: str) -> None:
        self.http, self.api = http, api
        self.registry = default_registry()
        self.nonce = 0

    async def get(self, path: str, timeout_s: float = 600) -> dict:
        async with self.http.get(self.api + path,
                                 timeout=aiohttp.ClientTimeout(total=timeout_s)) as r:
            return await r.json()

    def tx(self, height: int, contract: str, operation: str, body: Any, *keys: KeyPair):
        self.nonce += 1
        tx = make_transaction(self.registry, CHAIN, contract, operation, body, height + 100_000,
                              self.nonce)
        for key in keys:
            tx = sign_transaction(tx, key)
        return tx

    async def submit(self, txs: list, chunk: int = SUBMIT_CHUNK) -> list[str]:
        """Submit in batches; wait until the last of them is committed; their ids."""
        ids = []
        for start in range(0, len(txs), chunk):
            part = txs[start:start + chunk]
            body = msgpack.packb([encode(t) for t in part], use_bin_type=True)
            for _ in range(600):
                async with self.http.post(f"{self.api}/v1/txs/batch", data=body, headers={
                        "Content-Type": "application/msgpack"}) as r:
                    answer = await r.json()
                errors = [x["error"] for x in answer.get("results", []) if "error" in x]
                retry = [e for e in errors if e["code"] in ("mempool.full", "submit.rate_limited")]
                if r.status == 429 or retry:
                    await asyncio.sleep(0.5)
                    if not errors or len(retry) == len(part):
                        continue
                if errors and not retry:
                    raise SystemExit(f"refused: {errors[:3]}")
                break
            ids += [payload_id(t.payload).hex() for t in part]
        await self.wait([ids[-1]] if ids else [])
        return ids

    async def wait(self, ids: list[str]) -> list[dict]:
        views = []
        for tx_id in ids:
            for _ in range(200):
                view = await self.get(f"/v1/txs/{tx_id}?wait_ms=10000")
                if view.get("status") in ("committed", "rejected"):
                    break
            views.append(view)
        return views

    async def height(self) -> int:
        return (await self.get("/v1/status"))["height"]


async def build(c: Client, args: argparse.Namespace, agency: KeyPair,
                keys: list[KeyPair]) -> dict[str, Any]:
    g = generate(args.seed, args.members, args.obligations)
    started = time.perf_counter()
    h = await c.height()
    await c.submit([c.tx(h, "membership", "admit", membership.Admit(
        agency.address, k.address, f"m{i}", ("enterprise",), bench_identity(i), ()), agency, k)
        for i, k in enumerate(keys)])
    admitted = time.perf_counter() - started
    # Waves: the n-th obligation of a (creditor, debtor) pair goes in wave n // 200.
    seen: Counter[tuple[int, int]] = Counter()
    wave = np.zeros(args.obligations, dtype=np.int64)
    for i in range(args.obligations):
        pair = (int(g.debtor[i]), int(g.creditor[i]))
        wave[i] = seen[pair] // MAX_PENDING
        seen[pair] += 1
    due = int(time.time() * 1000) + 180 * DAY_MS
    started = time.perf_counter()
    for w in range(int(wave.max()) + 1 if args.obligations else 0):
        index = np.flatnonzero(wave == w).tolist()
        h = await c.height()
        submits = []
        for i in index:
            creditor, debtor = keys[g.creditor[i]], keys[g.debtor[i]]
            basis = sha256(b"basis/%d" % i)
            submits.append(c.tx(h, "obligation", "submit", obligations.Submit(
                creditor.address, debtor.address, int(g.amount[i]), due, f"INV-{i}", basis),
                creditor))
        await c.submit(submits)
        h = await c.height()
        await c.submit([c.tx(h, "obligation", "confirm", obligations.Confirm(
            keys[g.debtor[i]].address, payload_id(t.payload)), keys[g.debtor[i]])
            for i, t in zip(index, submits, strict=True)])
    uploaded = time.perf_counter() - started
    rng = np.random.default_rng(args.seed + 7)
    without = set(np.flatnonzero(rng.random(args.members) < args.unmandated_share).tolist())
    started = time.perf_counter()
    h = await c.height()
    now_ms = (await c.get("/v1/status"))["time_ms"]
    await c.submit([c.tx(h, "setoff", "mandate", setoff.SignMandate(
        k.address, 10**15, now_ms + 60 * DAY_MS), k)
        for i, k in enumerate(keys) if i not in without])
    mandated = time.perf_counter() - started
    return {"members": args.members, "obligations": args.obligations,
            "members_without_mandate": len(without), "obligation_waves": int(wave.max()) + 1,
            "setup_seconds": {"admit": round(admitted, 1), "upload_and_confirm":
                              round(uploaded, 1), "mandates": round(mandated, 1)}}


async def run_setoff(c: Client, args: argparse.Namespace, agency: KeyPair) -> dict[str, Any]:
    started = time.perf_counter()
    plan = await c.get("/v1/setoff/plan?run_batches=1")
    plan_wall = time.perf_counter() - started
    if "error" in plan:
        raise SystemExit(f"plan: {plan['error']}")
    batches = plan.pop("run_batches")
    figures = plan["run"]
    start_height = await c.height()
    started = time.perf_counter()
    status = await c.get("/v1/status")
    opening = c.tx(status["height"], "setoff", "open_run", setoff.OpenRun(
        agency.address, status["time_ms"] + 3 * 3_600_000, figures["planned_fen"],
        figures["optimum_fen"], plan["total_fen"], plan["bound_fen"]), agency)
    await c.submit([opening])
    run_id = payload_id(opening.payload)
    txs = [c.tx(status["height"], "setoff", "run_batch", setoff.RunBatch(
        agency.address, run_id, n, tuple(setoff.Reduction(k, bytes.fromhex(i), a)
                                         for k, i, a in batch)), agency)
        for n, batch in enumerate(batches)]
    signed = time.perf_counter() - started
    views: list[dict] = []
    submit_seconds = 0.0
    for start in range(0, len(txs), args.window):
        part = txs[start:start + args.window]
        t0 = time.perf_counter()
        body = msgpack.packb([encode(t) for t in part], use_bin_type=True)
        async with c.http.post(f"{c.api}/v1/txs/batch", data=body,
                               headers={"Content-Type": "application/msgpack"}) as r:
            answer = await r.json()
        submit_seconds += time.perf_counter() - t0
        refused = [x for x in answer.get("results", []) if "error" in x]
        if refused:
            raise SystemExit(f"run batches refused on arrival: {refused[:3]}")
        views += await c.wait([payload_id(t.payload).hex() for t in part])
    await c.submit([c.tx(await c.height(), "setoff", "close_run",
                         setoff.CloseRun(agency.address, run_id), agency)])
    executed = time.perf_counter() - started
    run = await c.get(f"/v1/setoff/runs/{run_id.hex()}")
    heights = sorted({v["height"] for v in views if v.get("status") == "committed"})
    rejected = [v for v in views if v.get("status") != "committed"]
    return {
        "plan": {k: v for k, v in plan.items() if k not in ("rounds",)},
        "rounds_planned": len(plan["rounds"]),
        "seconds": {**plan["seconds"], "plan_request_wall": round(plan_wall, 3),
                    "sign_batches": round(signed, 3), "submit_batches": round(submit_seconds, 3),
                    "submit_to_executed": round(executed, 3)},
        "batches": len(txs),
        "batches_committed": len(views) - len(rejected),
        "batch_refusals": Counter(v.get("error", {}).get("code", v.get("status"))
                                  for v in rejected),
        "blocks_with_batches": len(heights),
        "blocks_from_open_to_close": await c.height() - start_height,
        "largest_batch_tx_bytes": max((len(encode(t)) for t in txs), default=0),
        "run": run,
        "executed_share": round(run["cleared_fen"] / figures["optimum_fen"], 6)
        if figures["optimum_fen"] else None,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="claimledger-setoff-e2e-"))
    node_key, agency = KeyPair.generate(), KeyPair.generate()
    keys = [KeyPair(sha256(b"e2e-member/%d" % i)) for i in range(args.members)]
    (work / "node.json").write_text(json.dumps(seal(node_key, PASSPHRASE)))
    (work / "node.json").chmod(0o600)
    port = free_port()
    (work / "network.toml").write_text(
        f'chain_id = "{CHAIN}"\ngenesis_time = {int(time.time() * 1000) - 60_000}\n'
        "[timing]\nblock_interval_ms = 100\nmax_block_txs = 2000\nmax_mempool_txs = 100000\n"
        "timeout_propose_ms = 60000\n"
        + "[limits]\n" + "".join(f"{k} = {v}\n" for k, v in LOAD_LIMITS.items())
        + f'[[validators]]\nname = "v"\nkey = "{node_key.address.hex()}"\n'
        f'api = "127.0.0.1:{port}"\npeer = "127.0.0.1:{free_port()}"\n'
        f'[[members]]\nname = "agency"\nroles = ["agency"]\naddress = "{agency.address.hex()}"\n')
    log = (work / "node.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/claimledger-node"), "run", "--network", str(work / "network.toml"),
         "--data", str(work / "data"), "--key", str(work / "node.json"), "--log-level",
         "WARNING"], env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
        stdout=log, stderr=log)
    api = f"http://127.0.0.1:{port}"
    try:
        # The agency signs every request: it reads the plan and every transaction.
        signing = aiohttp_signing(Signer.of(CHAIN, agency))
        async with aiohttp.ClientSession(middlewares=(signing,)) as http:
            c = Client(http, api)
            for _ in range(300):
                try:
                    await c.get("/v1/status")
                    break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            t0 = time.perf_counter()
            report = await build(c, args, agency, keys)
            report["setup_seconds"]["all"] = round(time.perf_counter() - t0, 1)
            print(f"bench_setoff_e2e: built in {report['setup_seconds']}", file=sys.stderr,
                  flush=True)
            report.update(await run_setoff(c, args, agency))
        return report
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if args.keep:
            print(f"bench_setoff_e2e: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--obligations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--unmandated-share", type=float, default=0.0)
    parser.add_argument("--window", type=int, default=40,
                        help="run batches submitted before waiting for their commits")
    parser.add_argument("--keep", action="store_true", help="keep the node's directory")
    args = parser.parse_args()
    report = {"benchmark": "set-off end to end on a single-validator node",
              "command": " ".join(sys.argv), **asyncio.run(main_async(args))}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
