"""How much of the set-off optimum one run carries to the ledger, as JSON.

For each size (members:obligations) the obligation graph of scripts/bench_setoff.py
(same generator and seed) is written into an in-memory ledger as confirmed obligations
between admitted members; then a share of the members (all, and --unmandated-share
without) sign set-off mandates with real transactions, and the agency's run is planned
(`node.setoff_plan.collect` + `plan_of`) and executed: its open_run and batch transactions
go through `contracts.ledger.check_transaction` and `apply_transaction` in blocks of at
most --batches-per-block, as a node executes them. Reported per size and variant:

- optimum_fen: the solver's optimum over the whole graph; mandated_optimum_fen: over the
  debts between two mandated members; executed_fen: what the run cleared on the ledger;
  executed_share = executed / mandated optimum; and the rest with its reasons
  (held_by_limits_fen, deferred_fen: in loops longer than a batch; unmandated_fen: the
  part of the whole optimum that needs a member without a mandate, left to rounds); a
  third variant gives --limited-share of the members a per-run limit of ¥50,000, so that
  what limits hold back shows (executed_of_planned: what the ledger took of the plan);
- seconds of each step (collect, solve + plan, execute), batches, legs, blocks;
- a check that every member's net position is the same before and after, and that the
  cleared debt equals what the debts went down by.

    scripts/bench_setoff_runs [--sizes 100:1000,1000:10000,10000:100000] [--seed 1]
                              [--unmandated-share 0.1] [--limited-share 0.1]
                              [--batches-per-block 100]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_setoff import generate  # noqa: E402

from contracts import membership, obligations, setoff  # noqa: E402
from contracts.codec import encode, sha256  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.ledger import (  # noqa: E402
    BlockInfo,
    Genesis,
    GenesisMember,
    apply_transaction,
    check_transaction,
    end_block,
    genesis_state,
    make_transaction,
    sign_transaction,
)
from contracts.state import MemoryStore, Overlay, put_record  # noqa: E402
from node.setoff_plan import collect, plan_of  # noqa: E402

CHAIN = "bench-setoff-runs"
GENESIS_MS = 1_800_000_000_000
DAY_MS = 86_400_000
DEFAULT_SIZES = ((100, 1_000), (1_000, 10_000), (10_000, 100_000))
NO_LIMIT_FEN = 10**15
LIMIT_FEN = 5_000_000  # ¥50,000 a run: the per-run limit of the "some_limited" variant


class Ledger:
    """An in-memory ledger: blocks of transactions checked and applied as a node does."""

    def __init__(self, members: int, seed: int) -> None:
        self.registry = default_registry()
        self.agency = KeyPair(sha256(b"agency%d" % seed))
        self.store = MemoryStore()
        genesis = Genesis(CHAIN, GENESIS_MS, (GenesisMember(self.agency.address, "agency",
                                                            ("agency",)),))
        self.store.apply(genesis_state(self.registry, genesis))
        self.height, self.time_ms, self.nonce = 0, GENESIS_MS, 0
        self.keys = [KeyPair(sha256(b"member%d/%d" % (seed, i))) for i in range(members)]

    def tx(self, operation: str, body: Any, key: KeyPair):
        self.nonce += 1
        tx = make_transaction(self.registry, CHAIN, "setoff", operation, body,
                              self.height + 1000, self.nonce)
        return sign_transaction(tx, key)

    def block(self, txs: list) -> list[str]:
        """One block of `txs`; the codes of those refused (left out, as a node would)."""
        self.height += 1
        self.time_ms += 1000
        info = BlockInfo(CHAIN, self.height, self.time_ms)
        overlay = Overlay(self.store)
        refused = []
        for tx in txs:
            try:
                checked = check_transaction(self.registry, CHAIN, encode(tx), self.height)
                apply_transaction(self.registry, overlay, checked, info)
            except Exception as error:  # reported, as a node reports it
                refused.append(getattr(error, "code", repr(error)))
        end_block(self.registry, overlay, info)
        self.store.apply(overlay.changes())
        return refused


def build(ledger: Ledger, seed: int, members: int, count: int) -> dict[str, int]:
    """Members and confirmed obligations written as records (the ledger's own writers'
    layout), so that the benchmark spends its time on the run, not on 10^5 uploads."""
    g = generate(seed, members, count)
    state = Overlay(ledger.store)
    for i, key in enumerate(ledger.keys):
        membership.write_member(state, membership.Member(
            key.address, f"m{i}", ("enterprise",), "active", GENESIS_MS, 0, "", None, None,
            key.address, 0))
    for i in range(count):
        debtor, creditor = ledger.keys[g.debtor[i]].address, ledger.keys[g.creditor[i]].address
        amount = int(g.amount[i])
        o = obligations.Obligation(
            sha256(b"obligation%d/%d" % (seed, i)), creditor, debtor, amount, amount, 0, 0,
            GENESIS_MS + 90 * DAY_MS, f"INV-{i}", sha256(b"basis%d" % i), obligations.LIVE,
            GENESIS_MS, GENESIS_MS, None, None, "")
        put_record(state, obligations.obligation_key(o.id), o)
        state.put(obligations.live_key(o.id), b"")
    ledger.store.apply(state.changes())
    return {"debtor": g.debtor, "creditor": g.creditor, "amount": g.amount}


def net_positions(ledger: Ledger) -> dict[bytes, int]:
    position: dict[bytes, int] = {}
    for key, _ in ledger.store.scan(obligations.live_key(b"")):
        o = obligations.get_obligation(ledger.store, key[4:])
        position[o.creditor] = position.get(o.creditor, 0) + o.amount_fen
        position[o.debtor] = position.get(o.debtor, 0) - o.amount_fen
    return {m: fen for m, fen in position.items() if fen}


def debt_total(ledger: Ledger) -> int:
    return sum(obligations.get_obligation(ledger.store, key[4:]).amount_fen
               for key, _ in ledger.store.scan(obligations.live_key(b"")))


def one_variant(seed: int, members: int, count: int, unmandated_share: float,
                batches_per_block: int, limited_share: float = 0.0) -> dict[str, Any]:
    ledger = Ledger(members, seed)
    build(ledger, seed, members, count)
    rng = np.random.default_rng(seed + 7)
    without = set(np.flatnonzero(rng.random(members) < unmandated_share).tolist())
    limited = set(np.flatnonzero(rng.random(members) < limited_share).tolist())
    mandates = [ledger.tx("mandate", setoff.SignMandate(
        key.address, LIMIT_FEN if i in limited else NO_LIMIT_FEN,
        ledger.time_ms + 30 * DAY_MS), key)
        for i, key in enumerate(ledger.keys) if i not in without]
    for start in range(0, len(mandates), 2_000):
        assert not ledger.block(mandates[start:start + 2_000])
    before_net = net_positions(ledger)
    before_total = debt_total(ledger)

    started = time.perf_counter()
    graph = collect(ledger.store, time_ms=ledger.time_ms)
    collect_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plan = plan_of(graph)
    plan_seconds = time.perf_counter() - started
    run = plan.run

    started = time.perf_counter()
    opening = ledger.tx("open_run", setoff.OpenRun(
        ledger.agency.address, ledger.time_ms + 3_600_000, run.planned_fen, run.optimum_fen,
        plan.total_fen, plan.bound_fen), ledger.agency)
    assert not ledger.block([opening])
    run_id = sha256(encode(opening.payload))
    txs = [ledger.tx("run_batch", setoff.RunBatch(ledger.agency.address, run_id, number,
                                                  tuple(batch)), ledger.agency)
           for number, batch in enumerate(run.batches)]
    sign_seconds = time.perf_counter() - started
    started = time.perf_counter()
    refused: list[str] = []
    blocks = 0
    for start in range(0, len(txs), batches_per_block):
        refused += ledger.block(txs[start:start + batches_per_block])
        blocks += 1
    execute_seconds = time.perf_counter() - started
    record = setoff.get_run(ledger.store, run_id)
    assert record is not None
    executed = record.cleared_fen
    after_total = debt_total(ledger)
    return {
        "mandated_members": members - len(without),
        "members_without_mandate": len(without),
        "members_with_a_limit": len(limited - without),
        "executed_of_planned": round(executed / run.planned_fen, 6) if run.planned_fen else None,
        "optimum_fen": plan.cleared_fen,
        "mandated_optimum_fen": run.optimum_fen,
        "planned_fen": run.planned_fen,
        "executed_fen": executed,
        "executed_share": round(executed / run.optimum_fen, 6) if run.optimum_fen else None,
        "executed_share_of_whole_optimum": round(executed / plan.cleared_fen, 6)
        if plan.cleared_fen else None,
        "not_executed": {
            "held_by_limits_fen": run.held_by_limits_fen,
            "deferred_fen": run.deferred_fen,
            "refused_batches": len(refused),
            "refusal_codes": sorted(set(refused)),
        },
        "unmandated_fen": plan.unmandated_fen,
        "rounds_optimum_fen": plan.rounds_optimum_fen,
        "rounds": len(plan.rounds),
        "in_rounds_fen": sum(r.amount_fen for rr in plan.rounds for r in rr),
        "bilateral_in_run_fen": run.bilateral_fen,
        "batches": len(run.batches),
        "legs": sum(len(b) for b in run.batches),
        "loops": run.loops,
        "members_cleared": run.members,
        "blocks": blocks + 1,  # with the block that opened the run
        "largest_batch_body_bytes": max((len(tx.payload.body) for tx in txs), default=0),
        "seconds": {"collect": round(collect_seconds, 3), "plan": round(plan_seconds, 3),
                    "plan_steps": {k: round(v, 3) for k, v in plan.seconds.items()},
                    "sign": round(sign_seconds, 3), "execute": round(execute_seconds, 3)},
        "net_positions_unchanged": net_positions(ledger) == before_net,
        "debt_went_down_by_executed": before_total - after_total == executed,
    }


def parse_sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(x) for x in part.split(":")) for part in text.split(",")]  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES))
    parser.add_argument("--unmandated-share", type=float, default=0.1)
    parser.add_argument("--batches-per-block", type=int, default=100)
    parser.add_argument("--limited-share", type=float, default=0.1,
                        help="members whose mandate clears at most ¥50,000 a run (0: skip)")
    args = parser.parse_args(argv)
    sizes = []
    for members, count in args.sizes:
        entry: dict[str, Any] = {"members": members, "obligations": count}
        for name, share, limited in (("all_mandated", 0.0, 0.0),
                                     ("some_without_mandate", args.unmandated_share, 0.0),
                                     ("some_limited", 0.0, args.limited_share)):
            if name == "some_limited" and not limited:
                continue
            print(f"bench_setoff_runs: {members}:{count} {name}", file=sys.stderr, flush=True)
            entry[name] = one_variant(args.seed, members, count, share, args.batches_per_block,
                                      limited)
        entry["executed_share"] = entry["all_mandated"]["executed_share"]
        sizes.append(entry)
    report = {
        "benchmark": "set-off runs: share of the optimum one run executes",
        "command": shlex.join([sys.argv[0], *(sys.argv[1:] if argv is None else argv)]),
        "seed": args.seed,
        "unmandated_share": args.unmandated_share,
        "sizes": sizes,
        "goal": {"executed_share_at_least": 0.99,
                 "met": all((s["executed_share"] or 0) >= 0.99 for s in sizes
                            if s["members"] >= 1_000)},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
