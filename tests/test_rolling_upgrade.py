"""Upgrades that keep the chain: a release that adds a contract version replaces the nodes
one at a time; the agency activates the version from a height; a node left on the old
release warns from the block that schedules it, and stops, whole, at the height before
it instead of forking; started again from the new release it catches up."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from pathlib import Path

import pytest

from contracts import fees, governance, issuance
from contracts.code_identity import source_code_hash
from contracts.codec import encode
from contracts.contract import Registry, contract_from_module, default_registry
from contracts.identity import KeyPair
from contracts.keystore import seal
from contracts.ledger import sign_transaction
from contracts.tx import ContractRef, Payload, Transaction, payload_id
from node import cli, operations
from node.chain import ReleaseBehind
from node.config import parse_network
from node.service import Node
from node.store import StoreFault
from tests.fixtures import issuance_v2
from tests.nodeproc import (
    DAY_MS,
    FAR_EXPIRY,
    MEMBER_ROLES,
    PASSPHRASE,
    Network,
    NodeProcess,
    build_tx,
    get,
    make_cluster,
    make_release,
    network_toml,
    now_ms,
    post_tx,
    release_command,
    terms,
    tx_id,
)

pytestmark = pytest.mark.process

REGISTRY = default_registry()


# ------------------------------------------------------------------ one node, in process


def registry_with_v3() -> Registry:
    return Registry([*REGISTRY.by_key.values(), contract_from_module(issuance_v2)])


def v3_hash() -> bytes:
    return contract_from_module(issuance_v2).code_hash


def lone_node(tmp_path: Path) -> tuple[str, KeyPair, dict[str, KeyPair]]:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    text = network_toml("upgrade-test", validator, members, port=1,
                        genesis_ms=now_ms() - 60_000)
    return text, validator, members


def produce(node: Node, *txs: Transaction) -> int:
    at = node.chain.head.time_ms + 1000
    for tx in txs:
        node.mempool.submit(encode(tx), at)
    return node.produce(at).height


def test_a_running_node_lacking_a_scheduled_version_warns_then_stops_before_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    text, validator, members = lone_node(tmp_path)
    config = parse_network(text)
    data = tmp_path / "node"
    node = Node(config, data, validator)  # this release: no issuance v3
    activate = governance.Activate(members["agency"].address, "issuance", 3, v3_hash(), 5)
    with caplog.at_level(logging.WARNING, logger="claimledger.chain"):
        assert produce(node, build_tx("upgrade-test", "governance", "activate", activate,
                                      members["agency"])) == 1  # the old release applies it
    warning = (f"contract issuance v3 (code hash {v3_hash().hex()}) is in force from height "
               "5; this release lacks it: upgrade before then")
    assert warning in caplog.text
    needed = operations.upgrade_needed(node)
    assert needed is not None
    assert (needed["contract"], needed["version"], needed["code_hash"],
            needed["from_height"], needed["blocks_left"]) == \
        ("issuance", 3, v3_hash().hex(), 5, 3)
    ready = operations.readiness(node)
    assert (ready.ok, ready.code) == (False, "node.upgrade_needed")
    assert operations.health(node).ok  # it still serves and makes blocks
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="claimledger.chain"):
        assert produce(node) == 2
        assert produce(node) == 3
    assert caplog.text.count(warning) == 2  # at every commit
    with pytest.raises(ReleaseBehind) as stopped:
        produce(node)  # block 4 commits; block 5 is not this release's to execute
    assert stopped.value.code == "node.missing_contract"
    assert "issuance v3" in stopped.value.message and "from height 5" in stopped.value.message
    assert node.fault is not None and node.fault.code == "node.missing_contract"
    assert node.stopping and node.chain.head.height == 4
    with pytest.raises(StoreFault):
        node.chain.execute([], node.chain.head.time_ms + 1000)
    node.close()

    with pytest.raises(cli.Failure) as failed:  # the old release again: refused, exit 7
        cli.open_node(config, data, validator)  # type: ignore[arg-type]
    assert failed.value.exit_code == cli.EXIT_MISSING_CONTRACT == 7

    upgraded = Node(config, data, validator, registry=registry_with_v3())
    try:
        assert upgraded.chain.head.height == 4 and upgraded.chain.release_gap is None
        body = issuance.Apply(members["supplier"].address, issuance.Terms(
            members["core"].address, 100, now_ms() + 90 * DAY_MS, True, False, 0, 0,
            "HT-V2", b"v2".ljust(32, b".")))
        tx = sign_transaction(Transaction(Payload(
            "upgrade-test", ContractRef("issuance", 3, v3_hash()), "apply", encode(body),
            FAR_EXPIRY, 7), ()), members["supplier"])
        assert produce(upgraded, tx) == 5
        assert upgraded.store.tx_record(payload_id(tx.payload)) is not None
    finally:
        upgraded.close()


def test_a_node_syncing_blocks_stops_at_the_height_before_a_version_it_lacks(
    tmp_path: Path,
) -> None:
    """Block sync's path: blocks made by a node of the new release, validated and
    committed one by one by a node of the old release (node/replication/sync.py)."""
    text, validator, members = lone_node(tmp_path)
    config = parse_network(text)
    new = Node(config, tmp_path / "new", validator, registry=registry_with_v3())
    old = Node(config, tmp_path / "old", validator)
    try:
        activate = governance.Activate(members["agency"].address, "issuance", 3, v3_hash(), 4)
        produce(new, build_tx("upgrade-test", "governance", "activate", activate,
                              members["agency"]))
        while new.chain.head.height < 6:
            produce(new)
        for height in (1, 2):
            block = new.chain.block(height)
            assert block is not None
            old.chain.commit(block, new.store.certificate(height),  # type: ignore[arg-type]
                             old.chain.validate_block(block))
        block3 = new.chain.block(3)
        assert block3 is not None
        run = old.chain.validate_block(block3)
        with pytest.raises(ReleaseBehind):
            old.chain.commit(block3, new.store.certificate(3), run)  # type: ignore[arg-type]
        assert old.chain.head.height == 3 and old.fault is not None
        block4 = new.chain.block(4)
        assert block4 is not None
        with pytest.raises(StoreFault) as refused:
            old.chain.validate_block(block4)  # never a verdict on block 4: the node stopped
        assert refused.value.code == "node.missing_contract"
        old.close()
        # Its store holds blocks 1 to 3, whole; the new release goes on from there.
        old = Node(config, tmp_path / "old", validator, registry=registry_with_v3())
        assert old.chain.head.height == 3
        for height in (4, 5, 6):
            block = new.chain.block(height)
            assert block is not None
            old.chain.commit(block, new.store.certificate(height),  # type: ignore[arg-type]
                             old.chain.validate_block(block))
        assert old.chain.head == new.chain.head
    finally:
        new.close()
        old.close()


def test_a_node_stops_before_a_protocol_version_its_release_does_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    text, validator, members = lone_node(tmp_path)
    config = parse_network(text)
    data = tmp_path / "node"
    node = Node(config, data, validator)
    body = governance.ActivateProtocol(members["agency"].address, 2, 4)
    produce(node, build_tx("upgrade-test", "governance", "activate_protocol", body,
                           members["agency"]))
    assert operations.protocol_view(node) == {
        "in_force": 1, "release": 1, "scheduled": [{"version": 2, "from_height": 4}]}
    assert operations.upgrade_needed(node)["contract"] is None  # type: ignore[index]
    produce(node)
    with pytest.raises(ReleaseBehind) as stopped:
        produce(node)  # block 3
    assert stopped.value.code == "node.unsupported_protocol"
    assert node.chain.head.height == 3
    node.close()
    with pytest.raises(cli.Failure) as failed:
        cli.open_node(config, data, validator)  # type: ignore[arg-type]
    assert failed.value.exit_code == cli.EXIT_UNSUPPORTED_PROTOCOL == 8

    # A release that runs protocol 2 (this one, told so) goes on from block 3; a release
    # runs one protocol version, so it could not have executed blocks 1 to 3.
    monkeypatch.setattr("node.chain.PROTOCOL_VERSION", 2)
    upgraded = Node(config, data, validator)
    try:
        assert produce(upgraded) == 4
        assert governance.protocol_version(upgraded.store, 4) == 2
    finally:
        upgraded.close()


def test_the_wallet_signs_only_versions_its_release_runs() -> None:
    from click.testing import CliRunner

    from wallet.cli import main

    runner = CliRunner()
    for args, named in ((["activate", "fees", "9", "--from-height", "100"], "fees v9"),
                        (["protocol", "2", "--from-height", "100"], "protocol version 1")):
        result = runner.invoke(main, ["--node", "http://127.0.0.1:1", "governance", *args])
        assert result.exit_code == 1, result.output
        assert "wallet.unknown_version" in result.output and named in result.output


# ------------------------------------------------------------------ four processes

FEES_V2 = '''"""Service fees, version 2: the agency may set rates up to 20% (version 1: 10%)."""

from contracts.contract import Context, Operation
from contracts.errors import require
from contracts.fees import RecordPayment, Schedule, SetSchedule, record_payment, schedule_key
from contracts.membership import require_active
from contracts.state import put_record

NAME = "fees"
VERSION = 2

MAX_RATE_BP = 2000


def set_schedule(ctx: Context, body: SetSchedule) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(body.transfer_bp <= MAX_RATE_BP and body.pledge_bp <= MAX_RATE_BP,
            "fees.bad_rate", f"a fee rate is at most {MAX_RATE_BP} basis points")
    put_record(ctx.state, schedule_key(),
               Schedule(body.transfer_bp, body.pledge_bp, ctx.time_ms, ctx.height))
    ctx.emit("fees.schedule_set", ctx.tx_id, body.agency)


OPERATIONS = (
    Operation("set_schedule", SetSchedule, lambda b: (b.agency,), set_schedule),
    Operation("record_payment", RecordPayment, lambda b: (b.agency,), record_payment),
)
'''
FEES_V2_HASH = source_code_hash(FEES_V2)
RUN_BOUND_S = 180
LOAD_INTERVAL_S = 0.12
PAIRS = [(c, d) for c in ("core", "supplier", "supplier2")
         for d in ("core", "supplier", "supplier2") if c != d]


class Load:
    """Steady load: a thread submitting issuance applications, one every ~120 ms, each to
    the next node that is up (a refused connection tries the next); every one accepted
    must commit."""

    def __init__(self, nets: list[Network]) -> None:
        self.nets = nets
        self.up: set[int] = set()
        self.accepted: list[str] = []
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:  # the test then fails on it, not on a silent stop
            self.errors.append(repr(e))
            raise

    def _run(self) -> None:
        net = self.nets[0]
        n = 0
        while not self.stopped.is_set():
            n += 1
            # Between the three enterprises in turn: each pair has its own bound on the
            # applications waiting (issuance.MAX_PENDING_PER_DEBTOR).
            creditor, debtor = PAIRS[n % len(PAIRS)]
            body = issuance.Apply(net.members[creditor].address, terms(
                net.members[debtor], now_ms() + 180 * DAY_MS, f"LOAD-{n:06d}"))
            tx = build_tx(net.chain_id, "issuance", "apply", body, net.members[creditor])
            with self.lock:
                targets = sorted(self.up)
            turn = n % max(1, len(targets))
            for i in targets[turn:] + targets[:turn]:
                try:  # a node being stopped may drop the connection mid-answer
                    reply = post_tx(self.nets[i].api, tx)
                except Exception:
                    continue  # the same transaction to the next node
                if reply.status == 202 or (reply.status < 500
                                           and reply.error_code() == "tx.replay"):
                    self.accepted.append(tx_id(tx).hex())
                else:
                    self.errors.append(reply.body.decode(errors="replace"))
                break
            time.sleep(LOAD_INTERVAL_S)

    def set_up(self, index: int, up: bool) -> None:
        with self.lock:
            (self.up.add if up else self.up.discard)(index)


def height(net: Network) -> int:
    return get(net.api, "/v1/status").json()["height"]


def block_id(net: Network, at: int) -> str:
    reply = get(net.api, f"/v1/blocks/{at}")
    assert reply.status == 200, reply.body
    return reply.json()["id"]


def wait_height(net: Network, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = height(net)
        except OSError:
            found = -1
        if found >= at_least:
            return found
        assert time.monotonic() < deadline, f"{net.root.name} stays at {found} < {at_least}"
        time.sleep(0.1)


def wallet(release: Path | None, net: Network, key_file: Path,
           *args: str) -> subprocess.CompletedProcess[str]:
    command, env = release_command(release, "wallet")
    return subprocess.run([*command, "--node", net.api, "--key", str(key_file), "--json", *args],
                          env=env, cwd=release, capture_output=True, text=True, timeout=90)


def fee_schedule(release: Path, net: Network, key_file: Path, rate_bp: int) -> dict:
    """`claimledger-wallet fees schedule` of `release`: the contract it signed under."""
    done = wallet(release, net, key_file, "fees", "schedule", "--transfer-bp", str(rate_bp),
                  "--pledge-bp", str(rate_bp))
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["status"] == "committed", view
    return view["contract"]


def fees_v2_tx(net: Network, transfer_bp: int, nonce: int) -> Transaction:
    """fees v2 set_schedule, signed by the agency: the test's release lacks fees v2, so the
    transaction is built from the new release's code hash."""
    body = fees.SetSchedule(net.members["agency"].address, transfer_bp, transfer_bp)
    payload = Payload(net.chain_id, ContractRef("fees", 2, FEES_V2_HASH), "set_schedule",
                      encode(body), FAR_EXPIRY, nonce)
    return sign_transaction(Transaction(payload, ()), net.members["agency"])


def refusal(net: Network, tx: Transaction) -> str:
    """The code a node refuses `tx` with, at submission or in its status."""
    reply = post_tx(net.api, tx)
    if reply.status != 202:
        return reply.error_code()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        view = get(net.api, f"/v1/txs/{reply.json()['id']}?wait_ms=1000").json()
        if view["status"] == "rejected":
            return view["error"]["code"]
        assert view["status"] == "pending", view
    raise AssertionError("neither refused nor rejected")


def test_a_rolling_upgrade_keeps_the_chain_and_the_old_release_stops_at_the_height(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    release = make_release(tmp_path / "release-2", {"contracts/fees_v2.py": FEES_V2},
                           ("fees_v2",))
    nets = make_cluster(tmp_path / "net", validators=4)
    agency_key = tmp_path / "agency.json"
    agency_key.write_text(json.dumps(seal(nets[0].members["agency"], PASSPHRASE, "agency")),
                          encoding="utf-8")
    procs = [NodeProcess(net).start() for net in nets]
    load = Load(nets)
    try:
        for i, proc in enumerate(procs):
            proc.wait_ready()
            if i < 3:  # the fourth stays on the old release: no load of its own
                load.set_up(i, True)
        load.thread.start()
        wait_height(nets[0], 3)

        # Replace three nodes one at a time; the network commits all the while.
        for i in range(3):
            load.set_up(i, False)
            time.sleep(0.3)  # what it accepted has been gossiped
            assert procs[i].stop() == 0
            other = nets[(i + 1) % 3]
            before = height(other)
            wait_height(other, before + 3, timeout=30)  # the others commit without it
            procs[i] = NodeProcess(nets[i], release=release).start()
            procs[i].wait_ready()
            wait_height(nets[i], height(other))
            load.set_up(i, True)
        versions = subprocess.run([*release_command(release, "node")[0], "--version"],
                                  cwd=release, env=release_command(release, "node")[1],
                                  capture_output=True, text=True, timeout=60).stdout
        assert f"contract fees v2 {FEES_V2_HASH.hex()}" in versions

        # The old release's wallet refuses to activate a version it does not run.
        refused = wallet(None, nets[0], agency_key, "governance", "activate", "fees", "2",
                         "--from-height", str(height(nets[0]) + 1000))
        assert refused.returncode == 1 and "wallet.unknown_version" in refused.stderr

        # The agency activates fees v2 from the new release's wallet, from height H.
        at = height(nets[0]) + 120
        activated = wallet(release, nets[0], agency_key, "governance", "activate", "fees",
                           "2", "--from-height", str(at))
        assert activated.returncode == 0, activated.stderr
        assert json.loads(activated.stdout)["status"] == "committed"
        assert height(nets[0]) < at - 10, "the activation came too late to test before it"
        committed_at = height(nets[0])
        for net in nets:  # every node has the activation's block before it is asked
            wait_height(net, committed_at)

        # The old release's node warns and says so in its status and readiness.
        old = nets[3]
        status = get(old.api, "/v1/status").json()
        assert status["upgrade_needed"]["contract"] == "fees"
        assert (status["upgrade_needed"]["version"], status["upgrade_needed"]["code_hash"],
                status["upgrade_needed"]["from_height"]) == (2, FEES_V2_HASH.hex(), at)
        assert get(old.api, "/ready").error_code() == "node.upgrade_needed"
        upgraded_status = get(nets[0].api, "/v1/status").json()
        assert upgraded_status["upgrade_needed"] is None
        assert [(c["name"], c["version"], c["from_height"], c["this_release_runs"])
                for c in upgraded_status["contracts_scheduled"]] == [("fees", 2, at, True)]
        shown = wallet(release, nets[1], agency_key, "governance", "show")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["contracts_scheduled"][0]["from_height"] == at

        # Before H a transaction under fees v2 is refused; the new release's wallet signs
        # under the version in force, v1.
        assert refusal(nets[0], fees_v2_tx(nets[0], 1500, 1)) == "tx.contract_inactive"
        assert fee_schedule(release, nets[1], agency_key, 5)["version"] == 1

        # The old node stops at H - 1, cleanly, naming the version; it never executes H.
        assert procs[3].wait_exit(timeout=90) == cli.EXIT_MISSING_CONTRACT
        stderr = procs[3].stderr()
        assert stderr.rstrip().splitlines()[-1].startswith(
            f"Error: node.missing_contract: the chain runs fees v2 (code hash "
            f"{FEES_V2_HASH.hex()}) from height {at}")
        assert f"is in force from height {at}; this release lacks it" in stderr

        # After H: under fees v2 the rate v1 refuses commits, on every upgraded node.
        wait_height(nets[0], at + 2)
        v2_tx = fees_v2_tx(nets[0], 1500, 2)
        reply = post_tx(nets[0].api, v2_tx)
        assert reply.status == 202, reply.body
        for net in nets[:3]:
            deadline = time.monotonic() + 30
            while get(net.api, "/v1/fees").json()["transfer_bp"] != 1500:
                assert time.monotonic() < deadline, "fees v2 did not take"
                time.sleep(0.2)
        assert fee_schedule(release, nets[2], agency_key, 7)["version"] == 2
        old_wallet = wallet(None, nets[0], agency_key, "fees", "schedule", "--transfer-bp",
                            "7", "--pledge-bp", "7")
        assert old_wallet.returncode == 1 and "wallet.unknown_version" in old_wallet.stderr
        top = wait_height(nets[0], at + 5)
        for check in range(at - 3, top + 1):  # agreement before and after H
            assert len({block_id(net, check) for net in nets[:3]}) == 1, check
        for check in (at, at + 1):  # the old node signed nothing at H or after
            certificate = get(nets[0].api, f"/v1/blocks/{check}").json()["certificate"]
            signers = {p["validator"] for p in certificate["precommits"]}
            assert nets[3].validator.address.hex() not in signers and len(signers) == 3

        # The old node's store holds whole blocks up to H - 1, those of the network.
        command, env = release_command(release, "node")
        home = nets[3].root / "home"
        verified = subprocess.run([*command, "verify-store", "--home", str(home)], cwd=release,
                                  env=env, capture_output=True, text=True, timeout=120)
        assert verified.returncode == 0, verified.stderr
        assert f"store ok: height {at - 1}, block {block_id(nets[0], at - 1)}" \
            in verified.stdout

        # Started from the new release, it catches up and agrees.
        procs[3] = NodeProcess(old, release=release).start()
        procs[3].wait_ready()
        top = wait_height(old, height(nets[0]))
        for check in (at - 1, at, at + 1, top):
            assert block_id(old, check) == block_id(nets[0], check)
        assert get(old.api, "/v1/status").json()["upgrade_needed"] is None

        # Every transaction of the load committed; nothing was refused.
        load.stopped.set()
        load.thread.join(timeout=10)
        assert not load.errors, load.errors[:3]
        assert len(load.accepted) > 50
        for accepted in load.accepted:
            view = get(nets[0].api, f"/v1/txs/{accepted}?wait_ms=5000").json()
            assert view["status"] == "committed", view
        assert get(nets[0].api, f"/v1/txs/{tx_id(v2_tx).hex()}").json()["status"] == \
            "committed"
        assert time.monotonic() - started < RUN_BOUND_S
    finally:
        load.stopped.set()
        (tmp_path / "load.json").write_text(json.dumps(
            {"accepted": len(load.accepted), "errors": load.errors[:20]}), encoding="utf-8")
        for proc in procs:
            if proc.alive():
                proc.kill()
