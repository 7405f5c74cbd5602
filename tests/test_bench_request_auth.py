"""scripts/bench_request_auth runs end to end on a small load and reports every figure it
promises. Figures are printed, never asserted against a speed: only their consistency."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.process


def test_the_request_auth_benchmark_reports_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_request_auth.py"), "--seconds", "0.2",
         "--requests", "200", "--concurrency", "4"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    raw_us = report["ed25519"]["verify_us"]
    assert raw_us == pytest.approx(1e6 / report["ed25519"]["verify_per_s_one_core"], rel=1e-2)
    for kind in ("read", "post_300_bytes"):
        figures = report["verify"][kind]
        assert figures["us"] > 0
        assert figures["in_raw_verifications"] == pytest.approx(figures["us"] / raw_us,
                                                                abs=0.01)
    http = report["http"]
    assert http["requests"] == 200
    for variant in ("unsigned", "signed"):
        assert http[variant]["requests_per_s"] > 0
    assert http["signed_minus_unsigned_server_cpu_us"] == pytest.approx(
        http["signed"]["server_cpu_us_per_request"]
        - http["unsigned"]["server_cpu_us_per_request"], abs=0.2)
