"""What period reports cost on a ledger of --txs transactions, printed as JSON.

Builds the explorer benchmark's ledger (scripts/bench_explorer.py: one validator, real
LevelDB, signed transactions through the mempool; issues, transfers, pledges, overdue
and extended vouchers) and measures:

- the first catch-up of the report index (node/reports.py): every block read once and
  its facts derived; this is also what a design that scans every block on each request
  would pay on every request;
- one more block, as the index pays it when a report follows a new block;
- summing a year's facts by each grouping (contracts.reports.aggregate);
- GET /v1/reports as JSON, CSV and XLSX through the HTTP API, signed as the agency;
- beside them, as a bound, one full scan of all voucher states.

It checks that the year's issued figures equal the debtor records' own counters.

    .venv/bin/python scripts/bench_reports.py [--txs 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_explorer as explorer  # noqa: E402

from contracts import vouchers  # noqa: E402
from contracts.report_periods import china_date, parse_period  # noqa: E402
from contracts.reports import GROUPINGS, aggregate, region_of  # noqa: E402
from node.reports import ReportIndex, block_facts  # noqa: E402


def ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=10_000)
    parser.add_argument("--debtors", type=int, default=50)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--block-txs", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the ledger in this directory and keep it (reused if there)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="claimledger-bench-reports-"))
    reuse = (work / "ledger").exists()
    try:
        ledger = explorer.Ledger(work, args.debtors, args.suppliers, args.block_txs)
        started = time.perf_counter()
        if not reuse:
            explorer.build(ledger, args.txs)
        build_s = time.perf_counter() - started
        node = ledger.node
        head = node.chain.head.height
        txs = sum(explorer.header_at(node, h).tx_count for h in range(head + 1))

        index = ReportIndex()
        started = time.perf_counter()
        blocks = index.catch_up(node)
        first_ms = ms_since(started)
        facts = sum(len(f) for f in index.by_month.values())
        busiest = max(range(1, head + 1), key=lambda h: explorer.header_at(node, h).tx_count)
        started = time.perf_counter()
        for _ in range(args.repeat):
            block_facts(node, busiest)
        one_block_ms = round(ms_since(started) / args.repeat, 2)
        busiest_txs = explorer.header_at(node, busiest).tx_count

        year = parse_period(str(china_date(node.chain.head.time_ms).year))
        sums: dict[str, float] = {}
        for by in GROUPINGS:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                report = aggregate(index.facts_in(year), year, by,
                                   lambda d: region_of(node.store, d))
                times.append(ms_since(started))
            sums[by] = statistics.median(times)
        report = aggregate(index.facts_in(year), year, "total", lambda d: "unknown")
        records = list(vouchers.debtor_records(node.store))
        issued = report.total.figures["issued"]
        assert (issued.count, issued.amount_fen) == (
            sum(r.vouchers_issued for r in records), sum(r.issued_fen for r in records)), \
            "the report's issues are the debtor records' own counters"

        scan_ms, voucher_states = explorer.full_voucher_scan_ms(node)
        served = explorer.Served(node)
        try:
            reader = explorer.Reader(node.chain.chain_id, ledger.agency)
            routes = [f"/v1/reports?period={year.name}&by={by}&format={fmt}"
                      for by, fmt in (("debtor", "json"), ("debtor", "csv"),
                                      ("debtor", "xlsx"), ("month", "json"))]
            http = explorer.time_routes(served.url, reader, routes, args.repeat)
        finally:
            served.close()
            node.close()
        print(json.dumps({
            "ledger": {"txs": txs, "blocks": head, "voucher_states": voucher_states,
                       "debtors": args.debtors, "reused": reuse,
                       "build_s": round(build_s, 1)},
            "index": {"first_catch_up_ms": first_ms, "blocks_read": blocks, "facts": facts,
                      "first_catch_up_us_per_tx": round(first_ms * 1000 / max(1, txs), 1),
                      "one_block_ms": one_block_ms,
                      "one_block_txs": busiest_txs},
            "aggregate_year_ms": sums,
            "year_totals": {f: {"count": s.count, "amount_fen": s.amount_fen}
                            for f, s in report.total.figures.items()},
            "bound": {"full_scan_of_voucher_states_ms": round(scan_ms, 1)},
            "http": http,
        }, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
