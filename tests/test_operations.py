"""Operating a node: what /v1/status, /health, /ready and /metrics tell an operator, the
JSON log lines, a peer's refusal logged once at WARNING, and an online backup restored as
the README's runbook says. Real node processes on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from contracts.contract import default_registry
from contracts.identity import KeyPair
from contracts.keystore import seal
from contracts.tx import Transaction
from node.http.app import make_app
from node.metrics import CONTENT_TYPE
from tests.nodeproc import (
    DAY_MS,
    NODE_BIN,
    PASSPHRASE,
    Network,
    NodeProcess,
    Reply,
    apply_tx,
    approve_tx,
    commit,
    confirm_tx,
    free_port,
    get,
    issue_voucher,
    local_node,
    make_cluster,
    make_network,
    network_toml,
    node_command,
    now_ms,
    post_tx,
    running,
    tx_id,
    wait_committed,
)

pytestmark = pytest.mark.process


def until(what: Callable[[], object], timeout: float = 20, every: float = 0.1) -> object:
    """`what()` once it is truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(every)


def unsigned(net: Network, path: str) -> Reply:
    return get(net.api, path, key=None)


def metrics(net: Network) -> dict[str, float]:
    """Every sample of /metrics by name and labels, parsed by prometheus_client."""
    reply = unsigned(net, "/metrics")
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == CONTENT_TYPE  # Prometheus' text format
    out = {}
    for family in text_string_to_metric_families(reply.body.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


@contextmanager
def started(nets: list[tuple[Network, Path | None]]) -> Iterator[list[NodeProcess]]:
    procs = [NodeProcess(net, network_file).start() for net, network_file in nets]
    try:
        for proc in procs:
            proc.wait_ready()
        yield procs
    finally:
        for proc in procs:
            if proc.alive():
                proc.kill()


# ------------------------------------------------------------------ status, health, ready


def test_status_health_ready_and_metrics_of_a_network(tmp_path: Path) -> None:
    """Two validators and two observers; the second observer holds another genesis (its
    network.toml has another fee rate), so every block it is sent fails to link: it hears
    the validators' head and stays behind."""
    v0, v1, o0, o1 = make_cluster(tmp_path, validators=2, observers=2)
    elsewhere = tmp_path / "other-genesis.toml"
    elsewhere.write_text(v0.network_file.read_text(encoding="utf-8").replace(
        "fee_rate_bp = 0", "fee_rate_bp = 7"), encoding="utf-8")
    with started([(v0, None), (v1, None), (o0, None), (o1, elsewhere)]) as procs:
        issue_voucher(v0)
        status = get(v0.api, "/v1/status").json()
        assert status["version"] == metadata.version("claimledger")
        assert status["protocol"] == {"in_force": 1, "release": 1, "scheduled": []}
        assert status["contracts_scheduled"] == [] and status["upgrade_needed"] is None
        registry = default_registry()
        in_force = {c["name"]: c for c in status["contracts"]}
        assert set(in_force) == set(registry.names())
        for name, c in in_force.items():
            first = registry.first(name)
            assert (c["version"], c["code_hash"], c["from_height"]) == \
                (first.version, first.code_hash.hex(), 0)

        # Links come up: the validator sees the other validator and the observers.
        def links(net: Network) -> dict[str, dict]:
            view = get(net.api, "/v1/status").json()["peers"]
            assert view["count"] == len(view["links"])
            return {link["name"]: link for link in view["links"]}

        seen = until(lambda: (lambda ls: ls if {"validator-1", "observer-0"} <= set(ls)
                              else None)(links(v0)))
        assert seen["validator-1"]["role"] == "validator"
        assert seen["validator-1"]["key"] == v1.validator.address.hex()
        assert seen["observer-0"]["role"] == "observer"
        assert seen["observer-0"]["direction"] == "inbound"  # observers dial validators
        dials_v1 = v0.validator.address < v1.validator.address  # the lower key dials
        assert seen["validator-1"]["direction"] == ("outbound" if dials_v1 else "inbound")
        assert all(link["direction"] == "outbound" and link["role"] == "validator"
                   for link in until(lambda: links(o0)).values())

        # Healthy and ready; the observer that follows is ready and not catching up.
        assert unsigned(v0, "/health").json() == {"status": "ok"}
        until(lambda: unsigned(v0, "/ready").status == 200)
        until(lambda: unsigned(o0, "/ready").status == 200)
        assert get(o0.api, "/v1/status").json()["catching_up"] is False

        # The observer on another genesis hears the head but cannot follow: behind.
        behind = until(lambda: (lambda s: s if s["catching_up"] else None)(
            get(o1.api, "/v1/status").json()))
        assert behind["height"] == 0 and behind["sync_lag"] > 0
        reply = unsigned(o1, "/ready")
        assert reply.status == 503 and reply.error_code() == "node.catching_up"
        assert unsigned(o1, "/health").status == 200  # up, and its store answers

        # Metrics: they parse, and the counters move with a block.
        before = metrics(v0)
        assert before["claimledger_height{}"] >= status["height"]
        tx = apply_tx(v0.chain_id, v0.members, now_ms() + 90 * DAY_MS, "HT-METRICS")
        commit(v0.api, tx)
        after = metrics(v0)
        assert after["claimledger_height{}"] > before["claimledger_height{}"]
        assert after["claimledger_committed_transactions_total{}"] >= \
            before["claimledger_committed_transactions_total{}"] + 1
        assert after["claimledger_block_interval_seconds_count{}"] > \
            before["claimledger_block_interval_seconds_count{}"]
        assert after["claimledger_block_size_bytes_sum{}"] > \
            before["claimledger_block_size_bytes_sum{}"]
        assert after["claimledger_block_execution_seconds_count{}"] > \
            before["claimledger_block_execution_seconds_count{}"]
        assert after["claimledger_peers{}"] >= 2
        assert after["claimledger_store_bytes{}"] > 0
        assert after["claimledger_sync_lag_blocks{}"] == 0
        assert after["claimledger_api_request_seconds_count{method=POST,route=/v1/txs}"] >= 1
        # Labelled by the route's template, never the path a client sent.
        assert any(k.startswith("claimledger_api_request_seconds_count{method=GET,"
                                "route=/v1/txs/{id}}") for k in after)
        assert get(v0.api, "/v1/blocks/999999").status == 404
        refused = metrics(v0)
        assert refused["claimledger_api_refusals_total{code=not_found}"] >= 1
        text = unsigned(v0, "/metrics").body.decode()
        assert "/v1/blocks/999999" not in text
        for member in v0.members.values():  # nothing a read rule would deny
            assert member.address.hex() not in text
        # The observer's lag shows in its metrics too.
        assert metrics(o1)["claimledger_sync_lag_blocks{}"] > 0

        # A validator whose peer is down is no longer ready (no quorum), still healthy.
        procs[1].kill()
        reply = until(lambda: (lambda r: r if r.status == 503 else None)(
            unsigned(v0, "/ready")))
        assert reply.error_code() == "node.no_quorum"
        assert unsigned(v0, "/health").status == 200
        assert get(v0.api, "/v1/status").json()["peers"]["count"] >= 1  # observers stay


# ------------------------------------------------------------------ logs


def json_lines(log: Path) -> list[dict]:
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line]
    assert lines
    out = [json.loads(line) for line in lines]  # every line is one JSON object
    for line in out:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert line["time"].endswith("Z")
    return out


def test_json_logs_and_a_peer_refusal_once_at_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer whose key the validator's network.toml lacks dials it every half second:
    both ends log the refusal once at WARNING with its reason, not once per attempt."""
    monkeypatch.setenv("CLAIMLEDGER_LOG_FORMAT", "json")
    net = make_network(tmp_path / "net")
    newcomer_key = KeyPair.generate()
    home = tmp_path / "newcomer"
    home.mkdir()
    key_file = home / "key.json"
    key_file.write_text(json.dumps(seal(newcomer_key, PASSPHRASE, "newcomer")),
                        encoding="utf-8")
    port = free_port()
    its_network = home / "network.toml"
    its_network.write_text(network_toml(
        net.chain_id, net.validator, net.members, net.port, net.genesis_ms,
        observers={"newcomer": newcomer_key}, peer_port=net.peer_port,
    ).replace('api = "127.0.0.1:1"', f'api = "127.0.0.1:{port}"'), encoding="utf-8")
    newcomer = replace(net, root=home, port=port, validator=newcomer_key,
                       network_file=its_network, key_file=key_file, data_dir=home / "data",
                       logs=[])
    with started([(net, None), (newcomer, None)]) as procs:
        time.sleep(3.5)  # about seven dials, all refused
        for proc in procs:
            proc.stop()
    validator_lines = json_lines(net.logs[-1])
    refusals = [line for line in validator_lines if line.get("code") == "peer.unknown_key"]
    assert len(refusals) == 1, refusals
    assert refusals[0]["level"] == "WARNING" and "peer.unknown_key" in refusals[0]["message"]
    assert any(line["message"].startswith("validator (validator at height ")
               for line in validator_lines)
    dialler = [line for line in json_lines(newcomer.logs[-1])
               if line.get("code") == "peer.unknown_key"]
    assert len(dialler) == 1, dialler
    assert dialler[0]["level"] == "WARNING" and dialler[0]["peer"] == "validator"
    assert "refused this node's link" in dialler[0]["message"]


# ------------------------------------------------------------------ backup and restore


class Load:
    """Vouchers issued batch after batch from a thread until stopped: twenty applications,
    then their confirmations, then their approvals (a debtor holds at most 200
    applications waiting for it)."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.sent: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _batch(self, txs: list[Transaction]) -> None:
        for tx in txs:
            reply = post_tx(self.net.api, tx)
            assert reply.status == 202, reply.body
            self.sent.append(tx_id(tx).hex())
        wait_committed(self.net.api, tx_id(txs[-1]).hex())

    def _run(self) -> None:
        n = 0
        chain, members = self.net.chain_id, self.net.members
        while not self._stop.is_set():
            applies = []
            for _ in range(20):
                n += 1
                applies.append(apply_tx(chain, members, now_ms() + 90 * DAY_MS,
                                        f"HT-LOAD-{n}"))
            self._batch(applies)
            self._batch([confirm_tx(chain, members, tx_id(tx)) for tx in applies])
            self._batch([approve_tx(chain, members, tx_id(tx)) for tx in applies])

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def backup(data_dir: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NODE_BIN), "backup", "--data", str(data_dir), "--out",
                           str(out)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_backup_of_a_running_node_under_load_restores_to_its_head(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    out = tmp_path / "backup"
    with running(net) as proc:
        issue_voucher(net)
        with Load(net) as load:
            until(lambda: len(load.sent) >= 50)
            sent = len(load.sent)
            first_sent = load.sent[0]
            made = backup(net.data_dir, out)
            assert made.returncode == 0, made.stderr
            assert len(load.sent) > sent  # submissions went on while it copied
        manifest = json.loads((out / "backup.json").read_text(encoding="utf-8"))
        assert sorted(p.name for p in out.iterdir()) == ["backup.json", "ledger"]
        assert f"backed up height {manifest['height']}" in made.stdout
        original = get(net.api, f"/v1/blocks/{manifest['height']}").json()
        assert original["id"] == manifest["block_id"]
        assert original["header"]["state_root"] == manifest["state_root"]
        assert get(net.api, "/v1/status").json()["height"] > manifest["height"]
        # A second backup never overwrites the first.
        again = backup(net.data_dir, out)
        assert again.returncode == 6 and "backup.target_exists" in again.stderr
        proc.stop()
    assert not (net.data_dir / "admin.sock").exists()
    gone = backup(net.data_dir, tmp_path / "nothing")
    assert gone.returncode == 6 and "backup.no_node" in gone.stderr

    # The runbook: a fresh data directory, the backup's ledger in it, checked, started.
    restored = replace(net, data_dir=tmp_path / "restored", logs=net.logs)
    restored.data_dir.mkdir()
    shutil.copytree(out / "ledger", restored.data_dir / "ledger")
    checked = node_command(restored, "verify-store", key=False, timeout=120)
    assert checked.returncode == 0, checked.stderr
    with running(restored):
        # It resumes from the backup's head: that block is its, and (a lone validator going
        # on at once) it may have committed more since it started.
        status = get(restored.api, "/v1/status").json()
        assert status["height"] >= manifest["height"]
        head = get(restored.api, f"/v1/blocks/{manifest['height']}").json()
        assert (head["id"], head["header"]["state_root"]) == \
            (manifest["block_id"], manifest["state_root"])
        assert status["genesis_id"] == manifest["genesis_id"]
        early = get(restored.api, f"/v1/txs/{first_sent}").json()  # committed before it
        assert early["status"] == "committed" and early["height"] <= manifest["height"]
        tx = apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS, "HT-AFTER-RESTORE")
        view = commit(restored.api, tx)
        assert view["height"] > manifest["height"]  # it goes on making blocks


# ------------------------------------------------------------------ bounded labels


async def test_metric_labels_stay_a_bounded_set_whatever_clients_send(tmp_path: Path) -> None:
    """Paths and methods a client makes up share one label each: a scraper's series
    cannot be multiplied from outside."""
    with local_node(tmp_path, "claimledger-labels", now_ms() - 60_000) as local:
        async with TestClient(TestServer(make_app(local.node))) as client:
            for n in range(20):
                assert (await client.get(f"/v1/nothing/{n}")).status == 401  # unsigned
            assert (await client.get(f"/v1/blocks/{10**9}")).status == 401
            await client.request("TRACE", "/v1/status")
        text = local.node.metrics.exposition().decode()
    assert 'route="unmatched"' in text and "/v1/nothing/" not in text
    assert 'route="/v1/blocks/{height}"' in text and str(10**9) not in text
    assert 'method="other"' in text and "TRACE" not in text
    samples = {s.name + str(sorted(s.labels.items())): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples["claimledger_api_refusals_total[('code', 'auth.required')]"] >= 21
