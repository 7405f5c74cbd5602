"""A network of four validators (and an observer) as real processes on 127.0.0.1.

They agree on blocks with Tendermint BFT: transactions sent to any validator commit,
one validator down changes nothing, two down halt the chain without forking it, a node
that was away catches up by block sync, and every node holds the same blocks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contracts.transfer import Transfer
from contracts.tx import Transaction
from tests.nodeproc import (
    DAY_MS,
    Network,
    NodeProcess,
    apply_tx,
    build_tx,
    get,
    issue_voucher,
    make_cluster,
    now_ms,
    post_tx,
    tx_id,
    wait_committed,
)

pytestmark = pytest.mark.process


@contextmanager
def started(nets: list[Network]) -> Iterator[list[NodeProcess]]:
    procs = [NodeProcess(net).start() for net in nets]
    try:
        for proc in procs:
            proc.wait_ready()
        yield procs
    finally:
        for proc in procs:
            if proc.process is not None and proc.alive():
                proc.kill()


def wait_tx(net: Network, tx: str, timeout: float = 20) -> dict:
    """Wait until `net` holds `tx` committed (it may not even know it yet)."""
    deadline = time.monotonic() + timeout
    while True:
        view = get(net.api, f"/v1/txs/{tx}?wait_ms=500").json()
        if view.get("status") == "committed":
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.05)


def status(net: Network) -> dict:
    return get(net.api, "/v1/status", timeout=5).json()


def wait_height(nets: list[Network], height: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        heights = [status(n)["height"] for n in nets]
        if min(heights) >= height:
            return
        assert time.monotonic() < deadline, f"heights {heights} never reached {height}"
        time.sleep(0.1)


def assert_same_chain(nets: list[Network], upto: int) -> None:
    """Every node reports the same block id, state root and certificate block at each
    height up to `upto`."""
    for height in range(1, upto + 1):
        views = [get(n.api, f"/v1/blocks/{height}").json() for n in nets]
        ids = {v["id"] for v in views}
        roots = {v["header"]["state_root"] for v in views}
        assert len(ids) == 1 and len(roots) == 1, (height, views)
        for v in views:
            assert v["certificate"]["block_id"] == v["id"]
            assert len(v["certificate"]["precommits"]) >= 3


def test_four_validators_commit_transactions_and_agree(tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4, observers=1)
    with started(nets):
        started_at = time.monotonic()
        issue_voucher(nets[0])
        other = apply_tx(nets[0].chain_id, nets[0].members, now_ms() + 90 * DAY_MS, "HT-2")
        reply = post_tx(nets[2].api, other)
        assert reply.status == 202, reply.body
        wait_committed(nets[2].api, tx_id(other).hex())
        wait_tx(nets[3], tx_id(other).hex())
        wait_tx(nets[4], tx_id(other).hex())
        assert time.monotonic() - started_at < 20
        height = max(status(n)["height"] for n in nets[:4])
        wait_height(nets, height)
        assert_same_chain(nets, height)
        assert status(nets[4])["role"] == "observer"


def transfer(net: Network, voucher: str, amount_fen: int) -> Transaction:
    body = Transfer(net.members["supplier"].address, bytes.fromhex(voucher),
                    net.members["supplier2"].address, amount_fen, None, "TC-1")
    return build_tx(net.chain_id, "transfer", "transfer", body, net.members["supplier"],
                    net.members["supplier2"])


def test_one_validator_killed_the_rest_commit_and_it_catches_up(tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4)
    with started(nets) as procs:
        issue_voucher(nets[0])
        procs[3].kill()
        started_at = time.monotonic()
        for i in range(3):
            tx = apply_tx(nets[0].chain_id, nets[0].members, now_ms() + 90 * DAY_MS, f"K-{i}")
            assert post_tx(nets[i % 3].api, tx).status == 202
            wait_tx(nets[i % 3], tx_id(tx).hex())
        assert time.monotonic() - started_at < 20
        height = max(status(n)["height"] for n in nets[:3])
        back = NodeProcess(nets[3]).start()
        procs.append(back)
        back.wait_ready()
        wait_height(nets, height)
        assert_same_chain(nets, height)
        # And it takes part again: a transaction sent to it commits everywhere.
        tx = apply_tx(nets[0].chain_id, nets[0].members, now_ms() + 90 * DAY_MS, "K-back")
        assert post_tx(nets[3].api, tx).status == 202
        for net in nets:
            wait_tx(net, tx_id(tx).hex())


def test_two_of_four_down_halts_without_fork_and_resumes(tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4)
    with started(nets) as procs:
        issue_voucher(nets[0])
        procs[2].stop()
        procs[3].stop()
        tx = apply_tx(nets[0].chain_id, nets[0].members, now_ms() + 90 * DAY_MS, "HALT")
        assert post_tx(nets[0].api, tx).status == 202
        time.sleep(2)
        halted = [status(n) for n in nets[:2]]
        assert get(nets[0].api, f"/v1/txs/{tx_id(tx).hex()}").json()["status"] == "pending"
        time.sleep(1)
        assert [status(n)["height"] for n in nets[:2]] == [s["height"] for s in halted]
        back = NodeProcess(nets[2]).start()
        procs.append(back)
        back.wait_ready()
        for net in nets[:3]:
            wait_tx(net, tx_id(tx).hex(), timeout=30)
        height = min(status(n)["height"] for n in nets[:3])
        assert_same_chain(nets[:3], height)


def test_a_double_spend_sent_to_two_validators_commits_once(tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4)
    with started(nets):
        _, voucher = issue_voucher(nets[0])
        first, second = transfer(nets[0], voucher, 1_000_000), transfer(nets[0], voucher, 400_000)

        replies: dict[int, int] = {}

        def send(i: int, tx) -> None:
            replies[i] = post_tx(nets[i].api, tx).status

        threads = [threading.Thread(target=send, args=(1, first)),
                   threading.Thread(target=send, args=(2, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert replies[1] == 202 or replies[2] == 202, replies
        deadline = time.monotonic() + 20
        while True:  # until one of them is in a block and the other nowhere pending
            views = [get(nets[0].api, f"/v1/txs/{tx_id(tx).hex()}").json()
                     for tx in (first, second)]
            states = sorted(v.get("status", v.get("error", {}).get("code")) for v in views)
            if "committed" in states and "pending" not in states:
                break
            assert time.monotonic() < deadline, views
            time.sleep(0.2)
        time.sleep(1)  # a few more blocks: the loser never follows
        for net in nets:
            states = [get(net.api, f"/v1/txs/{tx_id(tx).hex()}").json().get("status")
                      for tx in (first, second)]
            assert states.count("committed") == 1, states
        height = min(status(n)["height"] for n in nets)
        wait_height(nets, height)
        assert_same_chain(nets, height)
