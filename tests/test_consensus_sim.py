"""The simulation: many seeds of faulty networks; agreement, validity, signing, liveness."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from consensus.sim import SimResult, replay_command, run, validators_for

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(500)  # CI's share; scripts/simulate runs as many more as wanted


def _run(seed: int) -> SimResult:
    return run(seed)


@pytest.fixture(scope="module")
def results() -> list[SimResult]:
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return list(pool.map(_run, SEEDS, chunksize=10))


def test_every_seed_keeps_agreement_validity_signing_and_liveness(results):
    failing = {r.seed: r.violations for r in results if not r.ok}
    replays = [replay_command(seed, validators_for(seed)) for seed in failing]
    assert not failing, f"violations {failing}; replay with {replays}"


def test_the_seeds_cover_four_and_seven_validators_and_both_decide(results):
    by_size = Counter(r.validators for r in results)
    assert by_size[4] >= 200 and by_size[7] >= 200
    for size in (4, 7):
        assert sum(r.decisions for r in results if r.validators == size) > 1000


def test_the_seeds_inject_every_kind_of_fault(results):
    faults: Counter = Counter()
    observed: Counter = Counter()
    for r in results:
        faults.update(r.faults)
        observed.update(r.observed)
    for kind in (
        "drop", "duplicate", "delay", "corrupt", "partition", "crash", "torn_write",
        "torn_tail_recovered", "equivocation", "invalid_proposal",
    ):
        assert faults[kind] > 0, kind
    assert observed["consensus.bad_signature"] > 0  # corrupted messages were caught
    assert observed["evidence"] > 0  # equivocations were noticed
    assert sum(r.byzantine > 0 for r in results) > 400


def test_a_seed_replays_exactly():
    first, again = run(7), run(7)
    assert (first.digest, first.decisions, first.faults) == (
        again.digest, again.decisions, again.faults,
    )
    assert run(8).digest != first.digest


def test_a_seed_replays_exactly_in_another_process_with_other_hash_seeds():
    code = "from consensus.sim import run; print(run(11).digest)"
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
            text=True, check=True,
        )
        digests.add(out.stdout.strip())
    assert digests == {run(11).digest}


def _load_script():
    spec = importlib.util.spec_from_file_location("simulate", ROOT / "scripts" / "simulate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_prints_a_json_summary(capsys):
    simulate = _load_script()
    assert simulate.main(["--seeds", "2", "--from", "40", "--jobs", "1", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["seeds_run"] == 2
    assert summary["violations"] == 0
    assert summary["decisions"] > 0
    assert summary["faults_injected"]


def test_the_script_prints_a_failing_seed_with_its_replay_command(capsys, monkeypatch):
    simulate = _load_script()

    def failing_run(seed: int, validators: int, changes: bool = False) -> SimResult:
        result = run(seed, validators, changes)
        result.violations.append("agreement: made up for this test")
        return result

    monkeypatch.setattr(simulate, "run", failing_run)
    assert simulate.main(["--seeds", "1", "--from", "3", "--validators", "4", "--jobs", "1"]) == 1
    captured = capsys.readouterr()
    assert "scripts/simulate --seeds 1 --from 3 --validators 4" in captured.err
    summary = json.loads(captured.out)
    assert summary["failing_seeds"][0]["seed"] == 3
    assert summary["failing_seeds"][0]["replay"] == replay_command(3, 4)
    assert simulate.main(["--seeds", "1", "--from", "3", "--validators", "4", "--jobs", "1",
                          "--changes", "all"]) == 1
    captured = capsys.readouterr()
    assert "scripts/simulate --seeds 1 --from 3 --validators 4 --changes all" in captured.err
    assert json.loads(captured.out)["runs_with_set_changes"] == 1


# ------------------------------------------------------------------ changing validator sets

CHANGE_SEEDS = range(120)


def _run_changing(seed: int) -> SimResult:
    return run(seed, changes=True)


@pytest.fixture(scope="module")
def changing() -> list[SimResult]:
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return list(pool.map(_run_changing, CHANGE_SEEDS, chunksize=10))


def test_runs_with_changing_sets_keep_agreement_validity_signing_and_liveness(changing):
    failing = {r.seed: r.violations for r in changing if not r.ok}
    replays = [replay_command(seed, validators_for(seed), True) for seed in failing]
    assert not failing, f"violations {failing}; replay with {replays}"


def test_changing_runs_add_remove_reweigh_and_rotate_under_faults(changing):
    faults: Counter = Counter()
    for r in changing:
        faults.update(r.faults)
    for kind in ("set_add", "set_remove", "set_power", "set_rotate", "crash", "partition",
                 "equivocation", "drop"):
        assert faults[kind] > 0, kind
    assert sum(r.set_changes >= 2 for r in changing) > 80
    assert sum(r.decisions for r in changing) > 3000


def test_the_checks_use_each_height_s_set():
    """A run whose certificates were checked against the first set alone would miss a
    removed validator's signature; the simulation's own schedule says which set holds."""
    from consensus.sim import Simulation
    sim = Simulation(2, 4, changes=True)
    result = sim.run()
    assert result.ok and result.set_changes >= 1
    first = sim.schedule[0][1]
    moved = [h for h, s in sim.schedule[1:] if s != first]
    assert moved and all(sim.set_at(h) != first for h in moved)
    node = next(n for n in sim.nodes if not n.byzantine and n.decided)
    for height, (_, cert) in node.decided.items():
        signers = {p.validator for p in cert.precommits}
        assert signers <= set(sim.set_at(height).powers), height


def test_a_changing_seed_replays_exactly():
    assert run(5, changes=True).digest == run(5, changes=True).digest
    assert run(5, changes=True).digest != run(5).digest
