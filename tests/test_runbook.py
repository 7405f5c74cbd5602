"""The README's runbook, "Start a network of several hosts", followed as an operator would:
four founding nodes made by `claimledger-node init` without a genesis, member keys by
`claimledger-wallet keygen`, the agency's network.toml from what they print, the genesis
written by `claimledger-node genesis`, copied into each home, and four nodes run with
`run --home` on 127.0.0.1: they make blocks together, and a wallet given the genesis
reads their status."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.error import URLError

import pytest

from tests.nodeproc import NODE_BIN, ROOT, free_port_block, get

pytestmark = pytest.mark.process

WALLET_BIN = ROOT / ".venv" / "bin" / "claimledger-wallet"
PASSPHRASE = "runbook passphrase"
NAMES = ("agency-node", "citybank-node", "provbank-node", "core-node")
MEMBERS = (("agency", ["agency"]), ("citybank", ["bank"]), ("core", ["enterprise"]))


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0, done.stderr
    return done.stdout


def entry_of(printed: str) -> str:
    """The `[[validators]]` entry `init` printed, as the operator sends it."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "[[validators]]")
    entry = []
    for line in lines[start:]:
        if not line.strip():
            break
        entry.append(line.strip())
    return "\n".join(entry)


def test_the_founding_runbook_starts_a_network_of_four_hosts(tmp_path: Path) -> None:
    base = free_port_block(2 * len(NAMES))
    entries = []
    for i, name in enumerate(NAMES):  # on each founding node's host
        printed = run([str(NODE_BIN), "init", "--name", name, "--home", str(tmp_path / name),
                       "--api", f"127.0.0.1:{base + i}",
                       "--peer", f"127.0.0.1:{base + len(NAMES) + i}"], tmp_path)
        assert "no genesis yet" in printed
        assert not (tmp_path / name / "genesis.json").exists()
        operator = "agency" if i == 0 else ("citybank" if i == 1 else "core")
        entries.append(entry_of(printed).replace(
            '<the handle of the member that runs this node>', operator))
    addresses = {}
    for handle, _ in MEMBERS:  # each founding member
        out = json.loads(run([str(WALLET_BIN), "--json", "keygen", "--out",
                              str(tmp_path / f"{handle}.json"), "--name", handle], tmp_path))
        addresses[handle] = out["address"]

    # The agency's network.toml, from what the others sent.
    plan = ['chain_id = "claimledger-runbook"', "genesis_time = 2026-11-01T00:00:00+08:00",
            "", "[timing]", "block_interval_ms = 100", "empty_block_interval_ms = 500", ""]
    for entry in entries:
        plan += [re.sub(r"\s+#.*$", "", line) for line in entry.splitlines()] + [""]
    for handle, roles in MEMBERS:
        plan += ["[[members]]", f'handle = "{handle}"', f'name = "{handle}"',
                 f"roles = {json.dumps(roles)}", f'address = "{addresses[handle]}"', ""]
    (tmp_path / "network.toml").write_text("\n".join(plan), encoding="utf-8")
    printed = run([str(NODE_BIN), "genesis", "--network", "network.toml", "--out",
                   "genesis.json"], tmp_path)
    announced = hashlib.sha256((tmp_path / "genesis.json").read_bytes()).hexdigest()
    assert announced in printed

    processes = []
    try:
        for name in NAMES:  # each operator: the genesis into its home, run
            home = tmp_path / name
            (home / "genesis.json").write_bytes((tmp_path / "genesis.json").read_bytes())
            assert hashlib.sha256((home / "genesis.json").read_bytes()).hexdigest() \
                == announced
            log = (tmp_path / f"{name}.log").open("wb")
            processes.append(subprocess.Popen(
                [str(NODE_BIN), "run", "--home", str(home)], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE}))
        deadline = time.monotonic() + 60
        heights = [0] * len(NAMES)
        while time.monotonic() < deadline and min(heights) < 3:
            for i in range(len(NAMES)):
                assert processes[i].poll() is None, \
                    (tmp_path / f"{NAMES[i]}.log").read_text(errors="replace")
                try:
                    reply = get(f"http://127.0.0.1:{base + i}", "/v1/status", key=None)
                except URLError:
                    continue  # not listening yet
                if reply.status == 200:
                    heights[i] = reply.json()["height"]
            time.sleep(0.3)
        assert min(heights) >= 3, heights
        for name in NAMES:
            assert f"{name} (validator at height" in \
                (tmp_path / f"{name}.log").read_text(errors="replace")
        status = json.loads(run([str(WALLET_BIN), "--json", "--network", "genesis.json",
                                 "--node", "citybank-node", "--key", "citybank.json",
                                 "status"], tmp_path))
        assert status["chain_id"] == "claimledger-runbook" and status["height"] >= 3
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
