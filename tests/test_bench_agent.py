"""scripts/bench_agent runs and reports what the README quotes (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_agent_reports_the_agent_against_the_raw_bound() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_agent.py"),
                           "--seconds", "0.2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["agent_signatures"] > 0
    assert report["ed25519_signs_per_s"] > 0 and report["agent_signs_per_s"] > 0
    assert report["agent_in_raw_signatures"] > 0
    assert report["message_bytes"] > len(b"claimledger/tx/v1\x00")
