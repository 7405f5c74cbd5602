"""How fast a new node catches up with a chain of N transactions: by a snapshot of the
state (state sync) against by every block (full block sync), printed as JSON.

Starts four validators on 127.0.0.1 (real processes, real LevelDB) and fills the chain
with N committed transactions as scripts/bench_join.py does (member admissions: each one
adds a member record, so the state grows with the history). Then two observers of the
genesis start with empty stores, one after the other, while the validators idle: one
with --state-sync (it follows the headers from genesis, fetches and checks the snapshot
at the head, restores it), one without (it fetches, verifies and executes every block).
For each: the seconds from its start to holding the head the validators had, and the
transactions of chain history per second that makes. In the same run: this machine's
Ed25519 verifications per second on one core, the bound of block sync.

    .venv/bin/python scripts/bench_state_sync.py [--txs 100000] [--batch 500] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.tx import decode_transaction, payload_id  # noqa: E402
from scripts.bench_join import TIMING, admissions, fill, status, tidy  # noqa: E402
from scripts.bench_node import verify_per_second  # noqa: E402  (the same bound)
from tests.nodeproc import NodeProcess, get, make_cluster  # noqa: E402
from tests.signing import Signer  # noqa: E402

SYNCED = re.compile(r"state-synced to height (\d+) from \S+: (\d+) records in (\d+) chunks"
                    r", [\d.]+ s \(headers ([\d.]+) s, chunks ([\d.]+) s of which checking "
                    r"([\d.]+) s, restore ([\d.]+) s\)")


def synced_figures(log: str) -> dict:
    """What a state-synced node's log says of its snapshot and where the time went."""
    found = SYNCED.search(log)
    if not found:
        return {}
    return {"snapshot_height": int(found[1]), "records": int(found[2]),
            "chunks": int(found[3]), "headers_s": float(found[4]), "chunks_s": float(found[5]),
            "checking_s": float(found[6]), "restore_s": float(found[7])}


def catch_up(proc: NodeProcess, api: str, target: int, limit_s: float) -> float:
    """Seconds from `proc`'s start until its head reaches `target`."""
    t0 = time.perf_counter()
    proc.start(args=proc.args)  # type: ignore[attr-defined]
    while True:
        try:
            if get(api, "/v1/status", timeout=10).json()["height"] >= target:
                return time.perf_counter() - t0
        except (OSError, TimeoutError, ValueError):
            pass  # not listening yet
        assert proc.alive(), proc.stderr()[-2000:]
        assert time.perf_counter() - t0 < limit_s, f"{api} did not catch up in {limit_s} s"
        time.sleep(0.05)


def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="claimledger-bench-state-sync-"))
    nets = make_cluster(work / "net", validators=4, observers=2, timing=TIMING)
    validators, observers = nets[:4], nets[4:]
    procs = [NodeProcess(net).start() for net in validators]
    started_procs = list(procs)
    try:
        for proc in procs:
            proc.wait_ready(timeout=60)
        agency = nets[0].members["agency"]
        signer = Signer.of(nets[0].chain_id, agency)
        raws = admissions(nets[0].chain_id, agency, args.txs, status(nets[0].api)["height"])
        started = time.perf_counter()
        asyncio.run(fill([n.api for n in validators], signer, raws, args.batch))
        last = payload_id(decode_transaction(raws[-1]).payload).hex()
        while any(status(n.api)["mempool"] for n in validators):
            time.sleep(0.2)
        fill_s = time.perf_counter() - started
        assert get(nets[0].api, f"/v1/txs/{last}").json()["status"] == "committed"
        target = status(nets[0].api)["height"]
        txs = target_txs = len(raws)

        out: dict = {"txs": txs, "blocks": target, "validators": 4,
                     "fill_s": round(fill_s, 1)}
        for name, net, flags in (("state_sync", observers[0], ("--state-sync",)),
                                 ("block_sync", observers[1], ())):
            proc = NodeProcess(net)
            proc.args = flags  # type: ignore[attr-defined]
            started_procs.append(proc)
            seconds = catch_up(proc, net.api, target, args.limit_s)
            entry = {"catch_up_s": round(seconds, 2),
                     "history_tx_per_s": round(target_txs / seconds)}
            entry.update(synced_figures(proc.stderr()))
            out[name] = entry
            proc.stop()
        out["speedup"] = round(out["block_sync"]["catch_up_s"] /
                               out["state_sync"]["catch_up_s"], 1)
        out["ed25519_verify_per_s_one_core"] = round(verify_per_second())
        out["work"] = str(work) if args.keep else None
        return out
    finally:
        tidy(started_procs, work, args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--limit-s", type=float, default=3600.0,
                        help="give up on a node that has not caught up after this long")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    os.environ.setdefault("CLAIMLEDGER_EVENT_LOOP", "uvloop")
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
