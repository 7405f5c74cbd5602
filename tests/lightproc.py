"""Run a member's light node (`claimledger-node run --member`) from a test's or a
benchmark's directory, and talk to it (requests signed by its member's key)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts.identity import KeyPair
from contracts.keystore import seal
from node.home import GENESIS_FILE
from node.light.config import render_light_toml
from tests import nodeproc
from tests.nodeproc import NODE_BIN, PASSPHRASE, Network, free_port, get, register_signer
from tests.signing import Signer


def wait_until(what: str, condition: Callable[[], Any], timeout: float = 60) -> Any:
    """nodeproc.wait_until with the light node's longer default (a catch-up from genesis)."""
    return nodeproc.wait_until(what, condition, timeout, poll_s=0.2)


class LightProcess:
    """`claimledger-node run --member` from a light home, its output to a log file."""

    def __init__(self, root: Path, genesis: Path, member: KeyPair, upstream: list[str],
                 chain_id: str) -> None:
        self.home = root
        self.member = member
        root.mkdir(parents=True)
        (root / GENESIS_FILE).write_bytes(genesis.read_bytes())
        key_file = root / "member-key.json"
        key_file.write_text(json.dumps(seal(member, PASSPHRASE, "member")), encoding="utf-8")
        key_file.chmod(0o600)
        self.port = free_port()
        (root / "node.toml").write_text(render_light_toml(
            member.address, upstream, f"127.0.0.1:{self.port}", key_file.name, poll_ms=200),
            encoding="utf-8")
        self.api = f"http://127.0.0.1:{self.port}"
        register_signer(self.api, Signer.of(chain_id, member))
        self.log = root / "light.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> LightProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(NODE_BIN), "run", "--member", self.member.address.hex(), "--home",
                 str(self.home)], env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        wait_until("the light node answers", self.answers, timeout=30)
        return self

    def answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.output()
        try:
            return get(self.api, "/v1/status", timeout=2).status == 200
        except OSError:
            return False

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def status(self) -> dict:
        return get(self.api, "/v1/status", timeout=5).json()

    def records(self) -> list[dict]:
        return get(self.api, "/v1/light/records", timeout=10).json()["records"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def stream_count(net: Network, member: KeyPair) -> int:
    """How many events the full node's state says are addressed to `member`."""
    view = get(net.api, f"/v1/proofs/stream/{member.address.hex()}", key=member).json()
    return 0 if view["record"] is None else view["record"]["count"]


def caught_up(light: LightProcess, net: Network) -> bool:
    """Whether the light node holds every event the full node has for its member."""
    return light.status()["events"] == stream_count(net, light.member)
