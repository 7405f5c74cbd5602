"""Run the consensus simulator over many seeds. Run through `scripts/simulate`.

    scripts/simulate --seeds N [--from S] [--validators 4|7] [--changes off|mix|all] [--jobs J]

Each seed is a whole run: validators, faults and all, drawn from the seed, so a seed
replays exactly. `--changes` mixes in runs whose validator set changes at heights drawn
from the seed (validators added, removed, reweighed, keys rotated): "mix" (the default)
for every third seed, "all" for every seed, "off" for none. Progress goes to stderr, a
JSON summary to stdout. A failing seed is printed with its violations and the command
that replays it; the exit status is 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consensus.sim import (  # noqa: E402
    SimResult,
    changes_for,
    replay_command,
    run,
    validators_for,
)


def _run(job: tuple[int, int, bool]) -> SimResult:
    seed, validators, changes = job
    return run(seed, validators, changes)


def _results(jobs: list[tuple[int, int, bool]], workers: int) -> Iterator[SimResult]:
    if workers == 1:
        yield from map(_run, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_run, jobs, chunksize=8)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/simulate",
        description="Run the consensus simulator over many seeds; exit 1 on any violation.",
    )
    parser.add_argument("--seeds", type=int, default=1000, help="how many seeds (1000)")
    parser.add_argument("--from", dest="first", type=int, default=0, help="first seed (0)")
    parser.add_argument(
        "--validators", type=int, choices=(4, 7),
        help="validators per run (default: 4 for even seeds, 7 for odd ones)",
    )
    parser.add_argument(
        "--changes", choices=("off", "mix", "all"), default="mix",
        help="runs with changing validator sets: every third seed (mix), all or none",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1,
        help="processes to run seeds in (default: one per CPU)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.first < 0 or args.jobs < 1:
        parser.error("--seeds and --jobs must be positive, --from non-negative")

    started = time.monotonic()
    jobs = [
        (seed, args.validators or validators_for(seed), changes_for(seed, args.changes))
        for seed in range(args.first, args.first + args.seeds)
    ]
    faults: Counter = Counter()
    observed: Counter = Counter()
    by_validators: Counter = Counter()
    changing = 0
    failures: list[dict] = []
    decisions = 0
    every = max(1, args.seeds // 20)
    for done, result in enumerate(_results(jobs, min(args.jobs, args.seeds)), start=1):
        by_validators[str(result.validators)] += 1
        changing += result.set_changes > 0
        decisions += result.decisions
        faults.update(result.faults)
        observed.update(result.observed)
        if not result.ok:
            replay = replay_command(result.seed, result.validators,
                                    changes_for(result.seed, args.changes))
            failures.append({
                "seed": result.seed, "validators": result.validators,
                "violations": result.violations, "replay": replay,
            })
            print(f"FAIL seed {result.seed} ({result.validators} validators)", file=sys.stderr)
            for violation in result.violations[:10]:
                print(f"  {violation}", file=sys.stderr)
            print(f"  replay: {replay}", file=sys.stderr)
        if not args.quiet and (done % every == 0 or done == args.seeds):
            print(
                f"{done}/{args.seeds} seeds, {len(failures)} failing, "
                f"{time.monotonic() - started:.1f} s",
                file=sys.stderr,
            )
    summary = {
        "seeds_run": args.seeds,
        "first_seed": args.first,
        "runs_by_validators": dict(sorted(by_validators.items())),
        "runs_with_set_changes": changing,
        "decisions": decisions,
        "faults_injected": dict(sorted(faults.items())),
        "observed": dict(sorted(observed.items())),
        "violations": sum(len(f["violations"]) for f in failures),
        "failing_seeds": failures,
        "seconds": round(time.monotonic() - started, 2),
    }
    print(json.dumps(summary, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
