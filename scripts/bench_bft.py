"""Throughput and commit latency of a network of validators agreeing by BFT, as JSON.

Starts N validators (default 4) as processes on 127.0.0.1 in a temporary directory
with the production timeouts of network.toml's defaults, submits M pre-signed issuance
applications that do not conflict round-robin to all validators over several HTTP
connections, and reports committed tx/s; then sends single transactions one at a time
and reports the commit latency a client sees (submit until committed on the validator
it submitted to).

    .venv/bin/python scripts/bench_bft.py [--validators 4] [--txs 4000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.codec import encode  # noqa: E402
from tests.nodeproc import (  # noqa: E402
    DAY_MS,
    NodeProcess,
    apply_tx,
    make_cluster,
    now_ms,
    tx_id,
)

TIMING = {"block_interval_ms": 50, "empty_block_interval_ms": 5_000,
          "max_block_txs": 2_000, "max_mempool_txs": 50_000, "timeout_propose_ms": 3000,
          "timeout_vote_ms": 1000, "timeout_delta_ms": 500, "message_delay_ms": 500}


async def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="claimledger-bench-bft-"))
    nets = make_cluster(work / "net", validators=args.validators, timing=TIMING)
    procs = [NodeProcess(n).start() for n in nets]
    apis = [n.api for n in nets]
    try:
        for p in procs:
            p.wait_ready()
        members = nets[0].members
        due = now_ms() + 90 * DAY_MS
        txs = [apply_tx(nets[0].chain_id, members, due, f"B-{i}") for i in range(args.txs)]
        async with aiohttp.ClientSession() as http:
            async def status(api: str) -> dict:
                async with http.get(f"{api}/v1/status") as r:
                    return await r.json()

            first = await status(apis[0])
            queue = list(enumerate(txs))

            async def client() -> None:
                while queue:
                    i, tx = queue.pop()
                    async with http.post(f"{apis[i % len(apis)]}/v1/txs", data=encode(tx),
                                         headers={"Content-Type": "application/msgpack"}) as r:
                        assert r.status == 202, await r.text()

            start = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(args.clients)))
            last = txs[0]
            while True:
                async with http.get(f"{apis[0]}/v1/txs/{tx_id(last).hex()}") as r:
                    done = (await r.json()).get("status") == "committed"
                views = [await status(a) for a in apis]
                if done and all(v["mempool"] == 0 for v in views):
                    break
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - start
            final = await status(apis[0])
            latencies = []
            for i in range(args.singles):
                tx = apply_tx(nets[0].chain_id, members, due, f"S-{i}")
                t0 = time.perf_counter()
                api = apis[i % len(apis)]
                async with http.post(f"{api}/v1/txs", data=encode(tx),
                                     headers={"Content-Type": "application/msgpack"}) as r:
                    assert r.status == 202
                async with http.get(f"{api}/v1/txs/{tx_id(tx).hex()}?wait_ms=30000") as r:
                    assert (await r.json())["status"] == "committed"
                latencies.append(time.perf_counter() - t0)
        latencies.sort()
        return {
            "validators": args.validators,
            "txs": args.txs,
            "clients": args.clients,
            "blocks": final["height"] - first["height"],
            "committed_tps": round(args.txs / elapsed, 1),
            "single_tx_commit_latency_s": {
                "p50": round(latencies[len(latencies) // 2], 3),
                "max": round(latencies[-1], 3),
            },
        }
    finally:
        for p in procs:
            if p.alive():
                p.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--txs", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--singles", type=int, default=20)
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
