"""What the state tree costs per block, and its proof sizes; prints JSON.

    .venv/bin/python scripts/bench_state_tree.py [--records 100000 1000000]
                                                 [--batch 1000 10000] [--blocks 3]

For each N of `--records` it builds a tree of N records (8-byte keys, 128-byte values)
in memory, then for each B of `--batch` applies `--blocks` batches of B changes (half
updates of present keys, 40% inserts, 10% deletes, in random order) and reports the
median time per batch. Beside it, as the bound measured in the same run, the time of
sha256 alone over exactly the inputs that batch hashed (key paths, value hashes and every
node written), so `over_sha256` is what the tree's Python costs above its hashing.
Proof sizes are `len(encode(prove(...)))` over 1,000 present and 1,000 absent keys.

With `--execute T` (default 1000; 0 skips it) it also times execution itself: on the
in-memory ledger of the rule tests (tests/memledger.py, so run it from a checkout) it
issues T vouchers, then executes one block of T transfers, whole and then of part of each
voucher (apply_transaction, end_block, the members' event streams: what a validator does
with transactions its mempool checked; the signature checks are timed apart) and writes
that block's committed changes (contracts.commitment) into an overlay of the largest
tree; `tree_over_execute` is the tree's time over execution's for the block.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from contracts.codec import encode
from contracts.state_tree import LEAF_TAG, MemoryNodeStore, TreeOverlay, apply, prove

VALUE_BYTES = 128
NODE_INPUT_BYTES = len(LEAF_TAG) + 64  # a leaf's or an internal node's preimage


class CountingStore(MemoryNodeStore):
    """Counts the nodes written: each one was hashed once."""

    def __init__(self) -> None:
        super().__init__()
        self.puts = 0

    def put(self, position: bytes, node: bytes) -> None:
        self.puts += 1
        self.nodes[position] = node


def _key(i: int) -> bytes:
    return i.to_bytes(8, "big")


def _value(i: int, version: int) -> bytes:
    return (i * 1_000_003 + version).to_bytes(8, "big") * (VALUE_BYTES // 8)


def _sha256_seconds(calls: int, size: int) -> float:
    data = bytes(size)
    start = time.perf_counter()
    for _ in range(calls):
        hashlib.sha256(data).digest()
    return time.perf_counter() - start


def _batch(rnd: random.Random, live: list[int], next_id: int, size: int, version: int):
    """B changes: updates, inserts and deletes of distinct keys, shuffled."""
    picked = rnd.sample(range(len(live)), size * 6 // 10)
    updates = [live[j] for j in picked[: size // 2]]
    deletes = [live[j] for j in picked[size // 2:]]
    inserts = list(range(next_id, next_id + size - len(updates) - len(deletes)))
    changes = ([(_key(i), _value(i, version)) for i in updates + inserts]
               + [(_key(i), None) for i in deletes])
    rnd.shuffle(changes)
    return changes, set(deletes), inserts


def measure(records: int, batches: list[int], blocks: int,
            seed: int) -> tuple[dict, CountingStore, bytes]:
    """The figures for a tree of `records`, and that tree (store and root)."""
    rnd = random.Random(seed)
    store = CountingStore()
    start = time.perf_counter()
    root = apply(store, bytes(32), [(_key(i), _value(i, 0)) for i in range(records)])
    build_s = time.perf_counter() - start
    live = list(range(records))
    next_id = records
    result: dict = {"records": records, "build_s": round(build_s, 3),
                    "nodes": len(store.nodes), "per_batch": []}
    for size in batches:
        times, bounds = [], []
        for version in range(1, blocks + 1):
            changes, deleted, inserted = _batch(rnd, live, next_id, size, version)
            next_id += len(inserted)
            store.puts = 0
            start = time.perf_counter()
            root = apply(store, root, changes)
            times.append(time.perf_counter() - start)
            values = sum(1 for _, v in changes if v is not None)
            bounds.append(_sha256_seconds(store.puts, NODE_INPUT_BYTES)
                          + _sha256_seconds(len(changes), 8)
                          + _sha256_seconds(values, VALUE_BYTES))
            live = [i for i in live if i not in deleted] + inserted
            nodes_written = store.puts
        apply_ms = statistics.median(times) * 1000
        sha_ms = statistics.median(bounds) * 1000
        result["per_batch"].append({
            "batch": size, "apply_ms": round(apply_ms, 1),
            "apply_us_per_change": round(apply_ms * 1000 / size, 1),
            "nodes_written": nodes_written, "sha256_bound_ms": round(sha_ms, 1),
            "over_sha256": round(apply_ms / sha_ms, 1),
        })
    present = [prove(store, root, _key(i)) for i in rnd.sample(live, 1000)]
    absent = [prove(store, root, _key(next_id + 10**9 + i)) for i in range(1000)]
    for name, proofs in (("present", present), ("absent", absent)):
        sizes = [len(encode(p)) for p in proofs]
        depths = [len(p.siblings) for p in proofs]
        result[f"proof_bytes_{name}"] = {"mean": round(statistics.mean(sizes), 1),
                                         "max": max(sizes)}
        result[f"proof_siblings_{name}"] = {"mean": round(statistics.mean(depths), 2),
                                            "max": max(depths)}
    return result, store, root


def issue_many(ledger: Any, count: int, per_block: int = 1000) -> list[bytes]:
    """`count` vouchers of 10,000 yuan to the supplier, `per_block` of them a block (each
    applied, confirmed and approved in it), as `Ledger.issue` does one at a time."""
    from contracts import issuance
    from contracts.codec import sha256
    from contracts.tx import payload_id
    from contracts.vouchers import issued_voucher_id

    issued = []
    for start in range(0, count, per_block):
        txs = []
        for _ in range(min(per_block, count - start)):
            basis = f"HT-{ledger.nonce}"
            terms = issuance.Terms(ledger.addr("core"), 1_000_000,
                                   ledger.time_ms + 365 * 86_400_000, True, True, 0, 0,
                                   basis, sha256(basis.encode()))
            apply_tx = ledger.tx("issuance", "apply",
                                 issuance.Apply(ledger.addr("supplier"), terms), "supplier")
            application = payload_id(apply_tx.payload)
            txs += [apply_tx,
                    ledger.tx("issuance", "confirm",
                              issuance.Confirm(ledger.addr("core"), application), "core"),
                    ledger.tx("issuance", "approve",
                              issuance.Approve(ledger.addr("agency"), application), "agency")]
            issued.append(issued_voucher_id(application))
        ledger.block(*txs)
    return issued


def measure_execution(transfers: int, store: CountingStore, root: bytes,
                      part_fen: int | None) -> dict:
    """One block of `transfers` transfers (of `part_fen` of each voucher, or whole):
    execution as a validator does it, against the tree's time for the block."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from contracts import streams, transfer
    from contracts.commitment import committed
    from contracts.ledger import BlockInfo, apply_transaction, check_transaction, end_block
    from contracts.state import Overlay
    from node.blocks import BlockEvents, TxRecord
    from node.store import addressed_events
    from tests.memledger import CHAIN, Ledger

    ledger = Ledger(key_seed=b"bench-state-tree")
    vouchers = issue_many(ledger, transfers)
    txs = [encode(ledger.tx("transfer", "transfer", transfer.Transfer(
        ledger.addr("supplier"), v, ledger.addr("supplier2"), part_fen or 1_000_000, None,
        "TC-1"), "supplier", "supplier2")) for v in vouchers]
    ledger.height += 1
    ledger.time_ms += 1000
    info = BlockInfo(CHAIN, ledger.height, ledger.time_ms)
    # Signatures are checked when a transaction reaches the mempool, not again in a block
    # (node.mempool): a validator's block execution starts from checked transactions.
    start = time.perf_counter()
    checked = [check_transaction(ledger.registry, CHAIN, raw, ledger.height) for raw in txs]
    check_s = time.perf_counter() - start
    start = time.perf_counter()
    overlay = Overlay(ledger.store)
    records = []
    for index, tx in enumerate(checked):
        events = apply_transaction(ledger.registry, overlay, tx, info)
        records.append(TxRecord(tx.id, ledger.height, index, tuple(events)))
    block_events = BlockEvents(ledger.height, tuple(end_block(ledger.registry, overlay, info)))
    streams.record(overlay, addressed_events(ledger.height, ledger.time_ms, records,
                                             block_events))
    changes = overlay.changes()
    execute_s = time.perf_counter() - start
    start = time.perf_counter()
    tree_changes = committed(changes)
    apply(TreeOverlay(store), root, tree_changes)
    tree_s = time.perf_counter() - start
    return {"transfers": transfers, "kind": "part" if part_fen else "whole",
            "changes": len(changes), "committed_changes": len(tree_changes),
            "signature_checks_ms": round(check_s * 1000, 1),
            "execute_ms": round(execute_s * 1000, 1), "tree_ms": round(tree_s * 1000, 1),
            "tree_over_execute": round(tree_s / execute_s, 3),
            "tree_over_execute_with_signature_checks":
                round(tree_s / (execute_s + check_s), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000])
    parser.add_argument("--batch", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--execute", type=int, default=1000)
    args = parser.parse_args()
    runs = []
    for records in args.records:
        print(f"N = {records} ...", file=sys.stderr)
        run, store, root = measure(records, args.batch, args.blocks, args.seed)
        runs.append(run)
    report: dict = {"value_bytes": VALUE_BYTES, "blocks": args.blocks, "runs": runs}
    if args.execute:
        print(f"executing {args.execute} transfers ...", file=sys.stderr)
        report["execution"] = [
            {"records": args.records[-1], **measure_execution(args.execute, store, root, part)}
            for part in (None, 400_000)]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
