"""scripts/devnet, the README's first command: up with demo data, then stopped."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.nodeproc import free_port_block

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


@pytest.mark.process
def test_devnet_detach_lists_the_demo_voucher_and_stops(tmp_path: Path) -> None:
    directory = tmp_path / "devnet"
    # Four validators and an observer, the validators' peer links, two light nodes.
    port = free_port_block(11)
    up = subprocess.run(
        [str(ROOT / "scripts" / "devnet"), "--detach", "--dir", str(directory),
         "--port", str(port)],
        capture_output=True, text=True, timeout=120,
    )
    state_file = directory / "devnet.json"
    try:
        assert up.returncode == 0, up.stderr
        state = json.loads(state_file.read_text())
        assert state["nodes"][0]["api"] == f"http://127.0.0.1:{port}"
        creditor = next(m for m in state["members"] if m["handle"] == "mingda")
        listed = subprocess.run(
            [sys.executable, "-m", "wallet.cli", "--node", state["nodes"][0]["api"],
             "--key", creditor["key_file"], "--json", "vouchers", "--holder",
             creditor["address"]],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
            env={**os.environ, "CLAIMLEDGER_PASSPHRASE": state["passphrase"]},
        )
        assert listed.returncode == 0, listed.stderr
        vouchers = json.loads(listed.stdout)
        vouchers = vouchers["vouchers"] if isinstance(vouchers, dict) else vouchers
        demo = [v for v in vouchers if v["id"] == state["demo"]["voucher"]]
        assert demo and demo[0]["amount_fen"] == 125_000_000
        assert demo[0]["holder"] == creditor["address"]
        assert demo[0]["status"] == "consumed"  # the demo passed it on, split and spent it
        overdue = [v for v in vouchers if v["id"] == state["demo"]["overdue"]]
        assert overdue and overdue[0]["overdue_since_ms"] is not None
        # Mingda's light node holds the same states, each proven, once it has caught up.
        light = next(n for n in state["lights"] if n["member"] == "mingda")
        assert {n["member"] for n in state["lights"]} == {"mingda", "merchant"}
        deadline = time.monotonic() + 60
        while True:
            held = subprocess.run(
                [sys.executable, "-m", "wallet.cli", "--node", light["api"], "--key",
                 creditor["key_file"], "--json", "vouchers"],
                capture_output=True, text=True, timeout=60, cwd=ROOT,
                env={**os.environ, "CLAIMLEDGER_PASSPHRASE": state["passphrase"]})
            assert held.returncode == 0, held.stderr
            states = {v["id"]: v for v in json.loads(held.stdout)["vouchers"]}
            if states.keys() == {v["id"] for v in vouchers}:
                break
            assert time.monotonic() < deadline, (sorted(states), len(vouchers))
            time.sleep(1)
        for v in vouchers:
            assert {k: states[v["id"]][k] for k in v} == v
    finally:
        subprocess.run([str(ROOT / "scripts" / "devnet"), "stop", "--dir", str(directory)],
                       capture_output=True, timeout=60)
    stopped = json.loads(state_file.read_text())
    pids = [n["pid"] for n in [*stopped["nodes"], *stopped["lights"]]]
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in pids)


@pytest.mark.process
def test_devnet_with_tls_serves_apis_the_wallet_pins(tmp_path: Path) -> None:
    directory = tmp_path / "devnet"
    port = free_port_block(9)
    up = subprocess.run(
        [str(ROOT / "scripts" / "devnet"), "--detach", "--tls", "--dir", str(directory),
         "--port", str(port)],
        capture_output=True, text=True, timeout=120,
    )
    state_file = directory / "devnet.json"
    try:
        assert up.returncode == 0, up.stderr
        state = json.loads(state_file.read_text())
        assert state["nodes"][0]["api"] == f"https://127.0.0.1:{port}"
        assert "CLAIMLEDGER_NETWORK=" in up.stdout
        creditor = next(m for m in state["members"] if m["handle"] == "mingda")

        def wallet(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "wallet.cli", "--json", *args],
                capture_output=True, text=True, timeout=60, cwd=ROOT,
                env={**os.environ, "CLAIMLEDGER_PASSPHRASE": state["passphrase"]})

        listed = wallet("--network", state["network"], "--node", state["nodes"][0]["name"],
                        "--key", creditor["key_file"], "vouchers", "--holder",
                        creditor["address"])
        assert listed.returncode == 0, listed.stderr
        vouchers = json.loads(listed.stdout)
        vouchers = vouchers["vouchers"] if isinstance(vouchers, dict) else vouchers
        assert state["demo"]["voucher"] in {v["id"] for v in vouchers}
        # The regulator's observer too, by its name; without network.toml, no trust.
        observer = next(n for n in state["nodes"] if n["role"] == "observer")
        assert wallet("--network", state["network"], "--node", observer["name"],
                      "status").returncode == 0
        unpinned = wallet("--node", state["nodes"][0]["api"], "status")
        assert unpinned.returncode == 1
        assert "node.tls_unverified" in unpinned.stderr
    finally:
        subprocess.run([str(ROOT / "scripts" / "devnet"), "stop", "--dir", str(directory)],
                       capture_output=True, timeout=60)
