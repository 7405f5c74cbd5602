"""A light node's storage for a member with many vouchers in a ledger of many more
transactions, printed as JSON.

Starts four validators on 127.0.0.1 (real processes, real LevelDB), issues `--vouchers`
vouchers to one supplier (apply, confirm, approve, in waves the issuance rules allow),
fills the chain with `--txs` other transactions (membership admissions, as
scripts/bench_join.py does), then starts the supplier's light node from the genesis and
reports, once it has every event of its member: the time it took, how many headers,
events and records it holds, their bytes (keys and values as stored, and the files of
its LevelDB directory), and the same files of a validator's store beside it.

The light node's store grows with the chain's blocks (one header and certificate each)
and with its member's own events and records (each record with its proof: about
log2(records in the state) siblings of 32 bytes); the other members' transactions add
nothing but the blocks that carry them.

With --sync, the same chain then serves the state-sync figure too: two observers of the
genesis catch up with it, one by a snapshot and one block by block, as
scripts/bench_state_sync.py measures them (one fill of a long chain for both figures).
--validators 1 fills a long chain several times faster on a small machine (one process
executes each block instead of four); the catch-up figures do not depend on it.

    .venv/bin/python scripts/bench_light.py [--txs 100000] [--vouchers 1000]
        [--validators 4] [--sync] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncio  # noqa: E402

from contracts import issuance  # noqa: E402
from contracts.codec import encode  # noqa: E402
from contracts.tx import decode_transaction, payload_id  # noqa: E402
from node.light.run import STORE_DIR  # noqa: E402
from node.light.store import EVENT, HEADER, RECORD, LightStore  # noqa: E402
from scripts.bench_join import TIMING, admissions, fill, status, tidy  # noqa: E402
from scripts.bench_node import verify_per_second  # noqa: E402
from scripts.bench_state_sync import catch_up, synced_figures  # noqa: E402
from tests.lightproc import LightProcess, caught_up  # noqa: E402
from tests.nodeproc import (  # noqa: E402
    DAY_MS,
    Network,
    NodeProcess,
    build_tx,
    get,
    make_cluster,
    now_ms,
    terms,
    tx_id,
)
from tests.signing import Signer  # noqa: E402

WAVE = issuance.MAX_PENDING_PER_DEBTOR  # applications a creditor keeps waiting on a debtor


def wait_committed(api: str, raws: list[bytes]) -> None:
    """Until the last of `raws` is committed (each wave is submitted in order)."""
    last = payload_id(decode_transaction(raws[-1]).payload).hex()
    deadline = time.monotonic() + 600
    while get(api, f"/v1/txs/{last}?wait_ms=2000", timeout=10).json().get("status") \
            != "committed":
        assert time.monotonic() < deadline, "a wave did not commit in 10 minutes"


def issue_vouchers(net: Network, count: int, signer: Signer) -> None:
    """`count` vouchers of core to supplier, WAVE at a time: applications, then their
    confirmations, then their approvals, each step committed before the next."""
    members = net.members
    for start in range(0, count, WAVE):
        applies = []
        for i in range(start, min(count, start + WAVE)):
            body = issuance.Apply(members["supplier"].address,
                                  terms(members["core"], now_ms() + 180 * DAY_MS, f"B-{i}"))
            applies.append(build_tx(net.chain_id, "issuance", "apply", body,
                                    members["supplier"]))
        confirms = [build_tx(net.chain_id, "issuance", "confirm",
                             issuance.Confirm(members["core"].address, tx_id(a)),
                             members["core"]) for a in applies]
        approves = [build_tx(net.chain_id, "issuance", "approve",
                             issuance.Approve(members["agency"].address, tx_id(a)),
                             members["agency"]) for a in applies]
        for step in (applies, confirms, approves):
            raws = [encode(tx) for tx in step]
            asyncio.run(fill([net.api], signer, raws, 200))
            wait_committed(net.api, raws)


def store_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def logical_bytes(path: Path) -> dict[str, int]:
    """Keys and values as stored, by kind (the light node stopped: its store is free)."""
    store = LightStore(path)
    try:
        out = {}
        for name, prefix in (("headers", HEADER), ("events", EVENT), ("records", RECORD)):
            out[name] = sum(len(k) + len(v) for k, v in store.db.iterator(prefix=prefix))
        return out
    finally:
        store.close()


def progress(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


def sync(observers: list[Network], target: int, txs: int, procs: list[NodeProcess],
         limit_s: float) -> dict:
    """Two observers catch up with the chain's `target` height from empty stores, one
    after the other: by a snapshot (--state-sync), then block by block."""
    out: dict = {}
    for name, net, flags in (("state_sync", observers[0], ("--state-sync",)),
                             ("block_sync", observers[1], ())):
        proc = NodeProcess(net)
        proc.args = flags  # type: ignore[attr-defined]
        procs.append(proc)
        seconds = catch_up(proc, net.api, target, limit_s)
        entry = {"catch_up_s": round(seconds, 2), "history_tx_per_s": round(txs / seconds),
                 **synced_figures(proc.stderr())}
        out[name] = entry
        proc.stop()
        progress(f"{name}: {entry}")
    out["speedup"] = round(out["block_sync"]["catch_up_s"] / out["state_sync"]["catch_up_s"],
                           1)
    out["ed25519_verify_per_s_one_core"] = round(verify_per_second())
    return out


def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="claimledger-bench-light-"))
    everyone = make_cluster(work / "net", validators=args.validators,
                            observers=2 if args.sync else 0, timing=TIMING)
    nets, observers = everyone[:args.validators], everyone[args.validators:]
    procs = [NodeProcess(net).start() for net in nets]
    light = None
    try:
        for proc in procs:
            proc.wait_ready(timeout=60)
        net = nets[0]
        agency = net.members["agency"]
        signer = Signer.of(net.chain_id, agency)
        started = time.perf_counter()
        issue_vouchers(net, args.vouchers, signer)
        vouchers_s = time.perf_counter() - started
        progress(f"{args.vouchers} vouchers issued in {vouchers_s:.0f} s")
        started = time.perf_counter()
        raws = admissions(net.chain_id, agency, args.txs, status(net.api)["height"])
        asyncio.run(fill([n.api for n in nets], signer, raws, args.batch))
        while any(status(n.api)["mempool"] for n in nets):  # every one committed
            time.sleep(0.2)
        fill_s = time.perf_counter() - started
        head = status(net.api)
        progress(f"{len(raws)} transactions committed in {fill_s:.0f} s, "
                 f"height {head['height']}")

        genesis = net.root / "home" / "genesis.json"
        supplier = net.members["supplier"]
        t0 = time.perf_counter()
        light = LightProcess(work / "light", genesis, supplier, [n.api for n in nets[:2]],
                             net.chain_id).start()
        ready_s = time.perf_counter() - t0
        while not caught_up(light, net):
            assert time.perf_counter() - t0 < 3600, "the light node did not catch up"
            time.sleep(0.5)
        caught_up_s = time.perf_counter() - t0
        light_status = light.status()
        records = light.records()
        light.stop()
        progress(f"light node caught up in {caught_up_s:.0f} s")
        path = work / "light" / "data" / STORE_DIR
        logical = logical_bytes(path)
        kinds: dict[str, int] = {}
        for r in records:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        proof_bytes = [len(r["proof"]) // 2 for r in records]
        headers = light_status["height"] + 1
        out = {
            "txs_other_members": len(raws),
            "validators": args.validators,
            "txs_member_vouchers": 3 * args.vouchers,
            "blocks": head["height"],
            "vouchers_issued_s": round(vouchers_s, 1),
            "fill_s": round(fill_s, 1),
            "light": {
                "start_to_api_s": round(ready_s, 2),
                "start_to_caught_up_s": round(caught_up_s, 1),
                "headers": headers,
                "events": light_status["events"],
                "records": len(records),
                "records_by_kind": kinds,
                "bytes_on_disk": store_bytes(path),
                "bytes_logical": logical,
                "bytes_per_header": round(logical["headers"] / headers),
                "bytes_per_record": round(logical["records"] / max(1, len(records))),
                "proof_bytes_mean": round(sum(proof_bytes) / max(1, len(proof_bytes))),
            },
            "validator_bytes_on_disk": store_bytes(nets[0].data_dir),
            "work": str(work) if args.keep else None,
        }
        if args.sync:
            out["sync"] = sync(observers, head["height"], out["txs_other_members"]
                               + out["txs_member_vouchers"], procs, args.limit_s)
        return out
    finally:
        if light is not None:
            light.stop()
        tidy(procs, work, args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=100_000,
                        help="other members' transactions (membership admissions)")
    parser.add_argument("--vouchers", type=int, default=1000,
                        help="vouchers issued to the light node's member")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--sync", action="store_true",
                        help="then measure state sync and block sync on the same chain")
    parser.add_argument("--limit-s", type=float, default=3600.0,
                        help="give up on a node that has not caught up after this long")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    os.environ.setdefault("CLAIMLEDGER_EVENT_LOOP", "uvloop")
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
