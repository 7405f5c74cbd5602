"""scripts/bench runs end to end on a small load and prints what the README promises:
committed tx/s against the Ed25519 bound, latency at the maximum and at half load, block
figures, each node's CPU seconds and a fresh observer's sync rate. Figures are printed,
never asserted against a speed: only their consistency is checked here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.process


def test_the_benchmark_reports_every_figure_of_a_small_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--validators", "1",
         "--txs", "300", "--clients", "3", "--batch", "50", "--half-seconds", "2",
         "--work", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    # A transfer is signed by its holder and its transferee (签收).
    assert report["validators"] == 1 and report["signatures_per_tx"] == 2
    bound = report["cores"] * report["ed25519_verify_per_s_one_core"] / 2
    assert report["bound_tps"] == pytest.approx(bound, rel=1e-3)
    assert report["ratio"] == pytest.approx(report["tps"] / report["bound_tps"], abs=1e-3)
    first, half = report["max_rate"], report["half_rate"]
    assert first["txs"] == first["committed"] == 300 and first["not_committed"] == 0
    assert 0 < half["txs"] == half["committed"] <= 300
    for phase in (first, half):
        latency = phase["latency_s"]
        assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
        assert phase["blocks"]["count"] >= 1 and phase["blocks"]["txs_max"] >= 1
        assert set(phase["cpu_s"]) == {"validator-0"}
    sync = report["observer_sync"]
    # Setup (issue, confirm, approve, two levels of splits) and both phases, all synced.
    assert sync["txs"] >= 300 + half["txs"] + 3 + 1 + 16 and sync["verified_tps"] > 0
    assert report["refused"] == {}
    assert not (tmp_path / "run").exists()  # the run directory is removed without --keep
