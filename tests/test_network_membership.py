"""The network's members change while it runs, under steady load, with no restart but
the node whose key changes: real node processes on 127.0.0.1 with real LevelDB.

One network of four validators, operated by three members (the agency runs two), lives
through the whole test, in order:
1. an observer made with `claimledger-node init` starts unknown, is refused, and follows
   the chain as soon as the agency admits it (`claimledger-wallet nodes admit-observer`);
2. a fifth validator (a new bank's node, made with `init` from the network's genesis) is
   proposed by the agency and approved by operators holding more than 2/3 of the power
   (`nodes propose add-validator`, `nodes approve`); it syncs and its precommits appear in
   the certificates from H+2;
3. a validator's key is rotated: from H+2 the certificates carry the new key, the node
   restarts with its new key store, and the old key is refused;
4. a validator is removed: from H+2 it is no longer counted, the others go on, and its
   links are refused.
Throughout, a background task submits transactions; at the end every accepted one is
committed, and every node holds the same blocks.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from contracts import issuance, nodes
from contracts.codec import encode
from contracts.identity import KeyPair
from contracts.keystore import seal, unseal
from node.service import Node
from tests.nodeproc import (
    DAY_MS,
    PASSPHRASE,
    ROOT,
    Network,
    NodeProcess,
    apply_tx,
    build_tx,
    free_port,
    get,
    local_node,
    make_cluster,
    now_ms,
    post_tx,
    register_signer,
    signer_of,
    terms,
    tx_id,
    wait_until,
)

pytestmark = pytest.mark.process

NODE_BIN = ROOT / ".venv" / "bin" / "claimledger-node"
# Who runs which validator: the agency two, core and supplier2 one each. A change needs
# more than 2/3 of the power: the agency's approval alone (2 of 4) never passes one.
OPERATORS = {"validator-0": "agency", "validator-1": "agency", "validator-2": "core",
             "validator-3": "supplier2"}


# ------------------------------------------------------------------ helpers


def wallet(net: Network | Path, key: Path, *args: str) -> dict:
    """`claimledger-wallet --json` against `net`'s API (or, given the genesis, against
    validator-0 by name, as the runbook does), signed with the key store `key`."""
    node = ["--node", net.api] if isinstance(net, Network) else \
        ["--network", str(net), "--node", "validator-0"]
    result = subprocess.run(
        [sys.executable, "-m", "wallet.cli", *node, "--json", "--key", str(key),
         *args], capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def status(net: Network) -> dict:
    return get(net.api, "/v1/status", timeout=5).json()


def block(net: Network, height: int) -> dict:
    return get(net.api, f"/v1/blocks/{height}", timeout=5).json()


def signers(net: Network, height: int) -> set[str]:
    return {p["validator"] for p in block(net, height)["certificate"]["precommits"]}


def operator_keys(root: Path, net: Network) -> dict[str, Path]:
    """A wallet key store for each member."""
    out = {}
    for name, key in net.members.items():
        path = root / f"{name}-wallet.json"
        path.write_text(json.dumps(seal(key, PASSPHRASE, name)), encoding="utf-8")
        out[name] = path
    return out


def init_home(root: Path, genesis: Path, name: str, net: Network) -> Network:
    """A node made as a new operator makes one: `claimledger-node init` from the
    network's genesis; its Network (for the test's helpers) runs from that home."""
    home = root / name
    passphrase = root / f"{name}-passphrase"
    passphrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    api, peer = free_port(), free_port()
    made = subprocess.run(
        [str(NODE_BIN), "init", "--genesis", str(genesis), "--name", name, "--home", str(home),
         "--passphrase-file", str(passphrase), "--api", f"127.0.0.1:{api}",
         "--peer", f"127.0.0.1:{peer}"], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    key = unseal(json.loads((home / "node-key.json").read_text()), PASSPHRASE)
    assert f"node key: {key.address.hex()}" in made.stdout
    assert "nodes propose add-validator" in made.stdout  # what the operators submit
    new = Network(root=home, chain_id=net.chain_id, port=api, genesis_ms=net.genesis_ms,
                  validator=key, members=net.members, network_file=net.network_file,
                  key_file=home / "node-key.json", data_dir=home / "data", peer_port=peer,
                  home=home)
    register_signer(new.api, signer_of(net.api))
    return new


def approve_change(nets: list[Network], wallets: dict[str, Path], proposal: dict,
                   operators: list[str]) -> int:
    """The operators approve; the height of the block that applied the change."""
    applied = None
    for operator in operators:
        view = wallet(nets[0], wallets[operator], "nodes", "approve", proposal["id"])
        kinds = {e["kind"] for e in view["events"]}
        if "node.change_applied" in kinds:
            applied = view["height"]
    assert applied is not None, "the approvals did not pass the change"
    return applied


# Issuance applications between each ordered pair of enterprises: a creditor keeps at most
# MAX_PENDING_PER_DEBTOR of them waiting for one debtor, so the load spreads over six pairs
# and stops short of their room (an application past it fails, by the rules).
PAIRS = [(c, d) for c in ("supplier", "supplier2", "core") for d in ("supplier", "supplier2",
                                                                      "core") if c != d]
MAX_LOAD_TXS = len(PAIRS) * issuance.MAX_PENDING_PER_DEBTOR - 50


class Load:
    """Transactions submitted throughout to the validators that stay, each one recorded
    when a node accepted it (202)."""

    def __init__(self, nets: list[Network]) -> None:
        self.nets = nets
        self.accepted: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        i = 0
        while not self.stopped.is_set() and i < MAX_LOAD_TXS:
            net = self.nets[i % len(self.nets)]
            creditor, debtor = PAIRS[i % len(PAIRS)]
            body = issuance.Apply(net.members[creditor].address,
                                  terms(net.members[debtor], now_ms() + 90 * DAY_MS, f"L-{i}"))
            tx = build_tx(net.chain_id, "issuance", "apply", body, net.members[creditor])
            try:
                if post_tx(net.api, tx).status == 202:
                    self.accepted.append(tx_id(tx).hex())
            except OSError:
                pass  # a refused connection: not accepted, not counted
            i += 1
            time.sleep(0.05)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)


# ------------------------------------------------------------------ the test


def test_nodes_join_rotate_and_leave_by_governance_under_load(tmp_path: Path) -> None:
    nets = make_cluster(tmp_path / "net", validators=4)
    text = nets[0].network_file.read_text(encoding="utf-8")
    for name, operator in OPERATORS.items():
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\noperator = "{operator}"\n')
    nets[0].network_file.write_text(text, encoding="utf-8")
    wallets = operator_keys(tmp_path, nets[0])
    procs = [NodeProcess(net).start() for net in nets]
    extra: list[NodeProcess] = []
    try:
        for proc in procs:
            proc.wait_ready()
        genesis = nets[0].root / "home" / "genesis.json"
        keys = {net.validator.address.hex(): net for net in nets}
        with Load(nets[:2]) as load:
            # 1. An observer, unknown at first: refused, then admitted by a transaction.
            observer = init_home(tmp_path, genesis, "regulator-node", nets[0])
            watching = NodeProcess(observer).start()
            extra.append(watching)
            watching.wait_ready()
            assert status(observer)["role"] == "follower"
            assert "not yet registered: waiting for admission" in watching.stderr()
            wait_until("the validators refuse the unknown observer", lambda: any(
                f"refused the node key {observer.validator.address.hex()}: peer.unknown_key"
                in p.stderr() for p in procs))
            wallet(nets[0], wallets["agency"], "nodes", "admit-observer", "--key",
                   observer.validator.address.hex(), "--operator",
                   nets[0].members["agency"].address.hex(), "--name", "regulator-node")
            head = status(nets[0])["height"]
            wait_until("the observer follows", lambda: status(observer)["height"] > head + 2)
            assert status(observer)["role"] == "observer"

            # 2. A fifth validator: a new bank's node, proposed, approved, syncing, signing.
            bank = init_home(tmp_path, genesis, "bank-5", nets[0])
            joining = NodeProcess(bank).start()
            extra.append(joining)
            joining.wait_ready()
            assert status(bank)["role"] == "follower"
            proposal = wallet(
                nets[0], wallets["agency"], "nodes", "propose", "add-validator", "--key",
                bank.validator.address.hex(), "--power", "1", "--peer",
                f"127.0.0.1:{bank.peer_port}", "--operator",
                nets[0].members["supplier"].address.hex(), "--name", "bank-5")
            listed = wallet(genesis, wallets["core"], "nodes", "list")
            assert [p["id"] for p in listed["proposals"]] == [proposal["id"]]
            h = approve_change(nets, wallets, proposal, ["agency", "core"])
            wait_until("the bank's precommits in a certificate after H+2", lambda: any(
                bank.validator.address.hex() in signers(nets[0], height)
                for height in range(h + 2, status(nets[0])["height"] + 1)), timeout=45)
            assert bank.validator.address.hex() not in signers(nets[0], h + 1)
            assert status(bank)["role"] == "validator"
            registry = wallet(nets[0], wallets["supplier"], "nodes", "list")
            assert bank.validator.address.hex() in {v["key"] for v in registry["validators"]}

            # 3. validator-3's key is rotated; it restarts with its new key store.
            rotated = nets[3]
            old, new = rotated.validator, KeyPair.generate()
            new_store = rotated.root / "key-rotated.json"
            new_store.write_text(json.dumps(seal(new, PASSPHRASE, "validator-3")))
            proposal = wallet(nets[0], wallets["agency"], "nodes", "propose", "rotate-key",
                              "--key", old.address.hex(), "--new-key", new.address.hex())
            h = approve_change(nets, wallets, proposal, ["agency", "core", "supplier2"])
            wait_until("the old key is refused", lambda: any(
                f"refused the node key {old.address.hex()}: peer.unknown_key" in p.stderr()
                for p in procs[:3]), timeout=30)
            procs[3].stop()
            home = rotated.root / "home"
            toml = (home / "node.toml").read_text(encoding="utf-8")
            (home / "node.toml").write_text(
                toml.replace(str(rotated.key_file), str(new_store)), encoding="utf-8")
            rotated.validator, rotated.key_file, rotated.home = new, new_store, home
            restarted = NodeProcess(rotated).start()
            procs[3] = restarted
            restarted.wait_ready()
            wait_until("the new key's precommits after H+2", lambda: any(
                new.address.hex() in signers(nets[0], height)
                for height in range(h + 2, status(nets[0])["height"] + 1)), timeout=45)
            later = status(nets[0])["height"]
            assert old.address.hex() not in signers(nets[0], later)

            # 4. validator-2 is removed: no longer counted; the rest go on; refused.
            removed = nets[2]
            gone = removed.validator.address.hex()
            proposal = wallet(nets[0], wallets["agency"], "nodes", "propose",
                              "remove-validator", "--key", gone)
            h = approve_change(nets, wallets, proposal, ["agency", "core", "supplier2"])
            wait_until("the chain goes on past H+4", lambda: status(nets[0])["height"] > h + 4)
            for height in range(h + 2, h + 5):
                assert gone not in signers(nets[0], height)
            wait_until("the removed validator is refused", lambda: any(
                f"refused the node key {gone}: peer.unknown_key" in p.stderr()
                for p in (procs[0], procs[1], procs[3], joining)), timeout=30)
            assert status(removed)["role"] == "follower"

        # Nothing lost: every accepted transaction committed; no fork anywhere.
        assert len(load.accepted) > 50
        for tx in load.accepted:
            view = get(nets[0].api, f"/v1/txs/{tx}?wait_ms=5000").json()
            assert view.get("status") == "committed", (tx, view)
        followers = [nets[0], nets[1], nets[3], bank, observer]
        top = status(nets[0])["height"]
        wait_until("every node at the head", lambda: all(
            status(n)["height"] >= top for n in followers), timeout=30)
        for height in sorted({*range(1, top + 1, max(1, top // 40)), top}):
            ids = {block(n, height)["id"] for n in followers}
            assert len(ids) == 1, (height, ids)
        assert keys  # every genesis validator had its own key
        registry = wallet(nets[0], wallets["agency"], "nodes", "list")
        assert {v["name"] for v in registry["validators"]} == {
            "validator-0", "validator-1", "validator-3", "bank-5"}
        assert {o["name"] for o in registry["observers"]} == {"regulator-node"}
        assert re.search(r"validator-3 \(validator (at height \d+|from a coming height)",
                         restarted.stderr())
    finally:
        for proc in [*procs, *extra]:
            if proc.process is not None and proc.alive():
                proc.kill()


def test_a_lone_validator_stops_making_blocks_alone_once_a_second_one_counts(
        tmp_path: Path) -> None:
    """A network of one validator makes its blocks with its producer, certified by its
    signature alone: once the registry adds a validator, a block so certified would not
    be valid at the height it counts from, so the producer stops before it."""
    with local_node(tmp_path, "claimledger-lone", now_ms() - 60_000) as local:
        node, agency = local.node, local.members["agency"]
        newcomer = KeyPair.generate()

        def block_of(contract: str, operation: str, body: object) -> dict:
            tx = build_tx(node.chain.chain_id, contract, operation, body, agency)
            node.mempool.submit(encode(tx), now_ms())
            node.produce(now_ms())
            return node.store.tx_record(tx_id(tx))

        change = nodes.Change("add_validator", newcomer.address, power=1,
                              peer="127.0.0.1:1", operator=agency.address, name="second")
        proposal = build_tx(node.chain.chain_id, "nodes", "propose", nodes.Propose(
            agency.address, change, node.chain.head.time_ms + 86_400_000), agency)
        node.mempool.submit(encode(proposal), now_ms())
        node.produce(now_ms())
        assert node.producing_alone()
        applied = block_of("nodes", "approve", nodes.Approve(agency.address, tx_id(proposal)))
        assert applied is not None and node.chain.head.height == applied.height
        assert node.producing_alone()  # block H+1 still has the lone validator's set
        node.produce(now_ms())
        assert not node.producing_alone()  # H+2 counts the newcomer: no block made alone
        waiting = apply_tx(node.chain.chain_id, local.members, now_ms() + 90 * DAY_MS)
        node.mempool.submit(encode(waiting), now_ms())  # work a producer would take up
        asyncio.run(asyncio.wait_for(stop_soon(node), 5))
        assert node.chain.head.height == applied.height + 1


async def stop_soon(node: Node) -> None:
    """Run the producer until it has had a chance to make a block, then stop it."""
    producing = asyncio.create_task(node.run_producer())
    await asyncio.sleep(0.5)
    node.stop()
    await producing
