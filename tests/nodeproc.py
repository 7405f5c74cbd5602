"""Run a real `claimledger-node` on 127.0.0.1 from a test's tmp_path, and talk to it.

`make_network` writes fresh keys (a validator, members agency/core/supplier) and a
network.toml with a free port, and registers the network's `Signer` (tests/signing.py)
for its API: the HTTP helpers sign every request to it with the agency's key (which reads
every record), or a member's own key for its event stream, unless told another key or
`key=None` (unsigned); `NodeProcess` starts the node as a subprocess, waits for
GET /v1/status, and stops it with SIGTERM or SIGKILL. `running` is the context manager
fixtures use: the process is always gone when it exits. The transaction helpers are
plain functions so in-process tests can build the same transactions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.client_middlewares import ClientMiddlewareType

from contracts import issuance
from contracts.codec import encode
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import seal
from contracts.ledger import make_transaction, sign_transaction
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, payload_id
from node.config import parse_network
from node.genesis import encode_genesis
from node.home import GENESIS_FILE, NODE_TOML, render_node_toml
from node.network_template import read_plan
from node.service import Node
from tests.signing import Signer, aiohttp_signing

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / ".venv" / "bin" / "claimledger-node"
PASSPHRASE = "node-test-passphrase"
MEMBER_ROLES = {"agency": ("agency",), "core": ("enterprise",), "supplier": ("enterprise",)}
DAY_MS = issuance.DAY_MS
FAR_EXPIRY = MAX_VALIDITY_BLOCKS  # within the validity window from any height
REGISTRY = default_registry()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free ports, below the ephemeral range (from
    32768 on Linux), so that no outgoing connection takes one of them meanwhile."""
    rng = random.Random()
    # Test workers running side by side (pytest-xdist: gw0, gw1, ...) draw from ranges of
    # their own, so two networks never race for one port between check and bind.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0) % 4
    low = 20_000 + worker * 3_000
    for _ in range(200):
        base = rng.randrange(low, low + 3_000 - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError(f"no {count} consecutive free ports")


def wait_until(what: str, condition: Callable[[], Any], timeout: float = 30,
               poll_s: float = 0.1) -> Any:
    """What `condition` returns once it is truthy; an assertion naming `what` when it is
    not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(poll_s)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# Tests and benchmarks send thousands of transactions a second from 127.0.0.1, signed by
# a few members, and every validator gossips all of its clients' transactions: limits far
# above the internet-facing defaults of [limits] (node.config.Limits), set explicitly.
LOAD_LIMITS = {
    "submit_rate_per_s": 100_000, "submit_burst": 1_000_000,
    "member_pending_txs": 1_000_000, "member_pending_bytes": 1 << 34,
    "peer_share_percent": 100, "own_reserve_percent": 0,
}


def limits_lines(limits: dict[str, int] | None) -> list[str]:
    """A [limits] table (none for None: the defaults)."""
    if limits is None:
        return []
    return ["", "[limits]", *(f"{k} = {v}" for k, v in limits.items())]


# ------------------------------------------------------------------ network directory


def network_toml(
    chain_id: str,
    validator: KeyPair,
    members: dict[str, KeyPair],
    port: int,
    genesis_ms: int,
    block_interval_ms: int = 50,
    empty_block_interval_ms: int = 10_000,
    observers: dict[str, KeyPair] | None = None,
    peer_port: int = 0,
    limits: dict[str, int] | None = LOAD_LIMITS,
) -> str:
    lines = [
        f'chain_id = "{chain_id}"',
        f"genesis_time = {genesis_ms}",
        "fee_rate_bp = 0",
        "",
        "[timing]",
        f"block_interval_ms = {block_interval_ms}",
        f"empty_block_interval_ms = {empty_block_interval_ms}",
        *limits_lines(limits),
        "",
        "[[validators]]",
        'name = "validator"',
        f'key = "{validator.address.hex()}"',
        f'api = "127.0.0.1:{port}"',
        f'peer = "127.0.0.1:{peer_port or port + 1}"',
        "power = 1",
    ]
    for name, key in (observers or {}).items():
        lines += ["", "[[observers]]", f'name = "{name}"', f'key = "{key.address.hex()}"',
                  'api = "127.0.0.1:1"']
    for name, key in members.items():
        roles = ", ".join(f'"{r}"' for r in MEMBER_ROLES[name])
        lines += ["", "[[members]]", f'name = "{name}"', f"roles = [{roles}]",
                  f'address = "{key.address.hex()}"']
    return "\n".join(lines) + "\n"


@dataclass
class Network:
    root: Path
    chain_id: str
    port: int
    genesis_ms: int
    validator: KeyPair
    members: dict[str, KeyPair]
    network_file: Path
    key_file: Path
    data_dir: Path
    logs: list[Path] = field(default_factory=list)
    peer_port: int = 0  # its TLS peer links (validators)
    home: Path | None = None  # a home made by `claimledger-node init`: run from it as it is

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_network(self, path: Path, chain_id: str) -> Path:
        """Another network.toml with the same keys and port but `chain_id`."""
        path.write_text(network_toml(chain_id, self.validator, self.members, self.port,
                                     self.genesis_ms, peer_port=self.peer_port),
                        encoding="utf-8")
        return path


# The signer of each node's API by "host:port": the helpers below find a URL's signer here,
# so that a test names a key only when the key matters to it. Filled by make_network and
# make_cluster (and register_signer), for the life of the test process; ports are fresh.
SIGNERS: dict[str, Signer] = {}
DEFAULT = object()  # the `key` of the helpers below: the URL's registered signer decides


def register_signer(api: str, signer: Signer) -> Signer:
    """Sign requests to `api` (a base URL) with `signer`; returns it."""
    SIGNERS[urllib.parse.urlsplit(api).netloc] = signer
    return signer


def signer_of(api: str) -> Signer:
    """The signer registered for the node at `api` (any URL of it)."""
    return SIGNERS[urllib.parse.urlsplit(api).netloc]


def signing_middleware() -> ClientMiddlewareType:
    """An aiohttp client middleware that signs each request with the signer registered for
    its node (unsigned if none is)."""
    return aiohttp_signing(SIGNERS.get)


def network_signer(net: Network) -> Signer:
    """Reads as the agency (every record); each member and the validator read their own
    events."""
    return Signer.of(net.chain_id, net.members["agency"], [*net.members.values(),
                                                           net.validator])


def make_network(root: Path, chain_id: str = "claimledger-test") -> Network:
    root.mkdir(parents=True, exist_ok=True)
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    key_file = root / "validator-key.json"
    key_file.write_text(json.dumps(seal(validator, PASSPHRASE, "validator")), encoding="utf-8")
    net = Network(
        root=root, chain_id=chain_id, port=free_port(), genesis_ms=now_ms() - 60_000,
        validator=validator, members=members, network_file=root / "network.toml",
        key_file=key_file, data_dir=root / "data", peer_port=free_port(),
    )
    net.write_network(net.network_file, chain_id)
    register_signer(net.api, network_signer(net))
    return net


# ------------------------------------------------------------------ a node in process


@dataclass
class LocalNode:
    """A node opened in this process (no API, no peers: its mempool and producer are
    driven by hand) and the keys of its genesis members."""

    node: Node
    members: dict[str, KeyPair]


def member_key_files(net: Network, where: Path) -> dict[str, Path]:
    """Each member's key sealed under PASSPHRASE in `where`/<name>.json (owner-only), as
    a member's wallet keeps it; by member name."""
    files = {}
    for name, key in net.members.items():
        files[name] = where / f"{name}.json"
        files[name].write_text(json.dumps(seal(key, PASSPHRASE, name)), encoding="utf-8")
        files[name].chmod(0o600)
    return files


@contextmanager
def local_node(root: Path, chain_id: str, genesis_ms: int,
               limits: dict[str, int] | None = LOAD_LIMITS) -> Iterator[LocalNode]:
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    validator = KeyPair.generate()
    config = parse_network(network_toml(chain_id, validator, members, port=1,
                                        genesis_ms=genesis_ms, limits=limits))
    node = Node(config, root / "node", validator)
    try:
        yield LocalNode(node, members)
    finally:
        node.close()


# ------------------------------------------------------------------ several nodes

CLUSTER_MEMBERS = {**MEMBER_ROLES, "supplier2": ("enterprise",)}
CLUSTER_TIMING = {
    "block_interval_ms": 50, "empty_block_interval_ms": 2_000, "timeout_propose_ms": 300,
    "timeout_vote_ms": 200, "timeout_delta_ms": 100, "message_delay_ms": 200,
}


def cluster_toml(chain_id: str, validators: dict[str, tuple[KeyPair, int]],
                 observers: dict[str, tuple[KeyPair, int]], members: dict[str, KeyPair],
                 genesis_ms: int, timing: dict[str, int],
                 peer_ports: dict[str, int] | None = None, fee_rate_bp: int = 0,
                 limits: dict[str, int] | None = LOAD_LIMITS) -> str:
    """Validators' TLS peer links on `peer_ports` (default: each API port + 1); [limits]
    from `limits` (None: the defaults)."""
    lines = [f'chain_id = "{chain_id}"', f"genesis_time = {genesis_ms}",
             f"fee_rate_bp = {fee_rate_bp}",
             "", "[timing]", *(f"{k} = {v}" for k, v in timing.items()),
             *limits_lines(limits)]
    for table, nodes in (("validators", validators), ("observers", observers)):
        for name, (key, port) in nodes.items():
            lines += ["", f"[[{table}]]", f'name = "{name}"', f'key = "{key.address.hex()}"',
                      f'api = "127.0.0.1:{port}"', "power = 1"]
            if table == "validators":
                peer = (peer_ports or {}).get(name, port + 1)
                lines.append(f'peer = "127.0.0.1:{peer}"')
    for name, key in members.items():
        roles = ", ".join(f'"{r}"' for r in CLUSTER_MEMBERS[name])
        lines += ["", "[[members]]", f'name = "{name}"', f"roles = [{roles}]",
                  f'address = "{key.address.hex()}"']
    return "\n".join(lines) + "\n"


def make_cluster(root: Path, validators: int = 4, observers: int = 0,
                 chain_id: str = "claimledger-bft-test",
                 timing: dict[str, int] | None = None, fee_rate_bp: int = 0,
                 port_base: int | None = None,
                 limits: dict[str, int] | None = LOAD_LIMITS) -> list[Network]:
    """One shared network.toml for `validators` validators and `observers` observers,
    each with its own key file, data directory and free port; validators come first.
    Each `Network` of the list can be started with `NodeProcess`. With `port_base`, the
    API ports are port_base, port_base + 1, … and the validators' peer ports follow.
    `limits`: its [limits] (default LOAD_LIMITS; None writes none: the defaults)."""
    root.mkdir(parents=True, exist_ok=True)
    members = {name: KeyPair.generate() for name in CLUSTER_MEMBERS}
    genesis_ms = now_ms() - 60_000
    names = [f"validator-{i}" for i in range(validators)] + \
            [f"observer-{i}" for i in range(observers)]
    if port_base is None:
        ports = [free_port() for _ in range(len(names) + validators)]
    else:
        ports = list(range(port_base, port_base + len(names) + validators))
    keys = {name: (KeyPair.generate(), ports[i]) for i, name in enumerate(names)}
    peer_ports = {name: ports[len(names) + i] for i, name in enumerate(names[:validators])}
    network_file = root / "network.toml"
    network_file.write_text(cluster_toml(
        chain_id, {n: keys[n] for n in names[:validators]},
        {n: keys[n] for n in names[validators:]}, members, genesis_ms,
        {**CLUSTER_TIMING, **(timing or {})}, peer_ports, fee_rate_bp, limits),
        encoding="utf-8")
    out = []
    for name in names:
        key, port = keys[name]
        home = root / name
        home.mkdir()
        key_file = home / "key.json"
        key_file.write_text(json.dumps(seal(key, PASSPHRASE, name)), encoding="utf-8")
        out.append(Network(root=home, chain_id=chain_id, port=port, genesis_ms=genesis_ms,
                           validator=key, members=members, network_file=network_file,
                           key_file=key_file, data_dir=home / "data",
                           peer_port=peer_ports.get(name, 0)))
    validator_keys = [key for key, _ in keys.values()]
    for net in out:
        register_signer(net.api, Signer.of(chain_id, members["agency"],
                                           [*members.values(), *validator_keys]))
    return out


# ------------------------------------------------------------------ the process


def node_home(net: Network, network_file: Path | None = None) -> Path | None:
    """The node's home (NET.root/home: genesis.json and node.toml; the key store and data
    directory stay where they are), made afresh from `network_file` (default: the
    network's) as an operator makes one: the genesis the network.toml plans, written by
    the same code as `claimledger-node genesis`, and a node.toml with the node's listen
    addresses, [limits], mempool and sync settings. None when network.toml does not read
    (the node, started with --network, then reports it itself). A network with a
    `home` of its own (made by `init`) runs from it as it is."""
    if net.home is not None:
        return net.home
    try:
        plan = read_plan((network_file or net.network_file).read_text(encoding="utf-8"))
    except LedgerError:
        return None
    mine = net.validator.address.hex()
    entry = next((e for e in [*plan.genesis.validators, *plan.genesis.observers]
                  if e.key == mine), None)
    if entry is None:
        return None  # a key the network does not list: --network says so
    home = net.root / "home"
    home.mkdir(exist_ok=True)
    (home / GENESIS_FILE).write_bytes(encode_genesis(plan.genesis))
    (home / NODE_TOML).write_text(render_node_toml(
        entry.name, entry.api, getattr(entry, "peer", None), key_file=str(net.key_file),
        data_dir=str(net.data_dir), limits=dataclasses.asdict(plan.limits),
        max_mempool_txs=plan.max_mempool_txs, sync_batch_blocks=plan.sync_batch_blocks),
        encoding="utf-8")
    return home


RELEASE_PACKAGES = ("consensus", "contracts", "node", "wallet")


def make_release(root: Path, modules: dict[str, str], registered: tuple[str, ...] = ()
                 ) -> Path:
    """Another release of this source tree, as an operator would install it: a copy of
    its packages under `root`, with `modules` added (path inside the tree -> source) and
    the contract modules `registered` (names in `contracts`) added to its
    contracts.contract.default_registry. Nodes and wallets run from it with
    `release=` (NodeProcess, release_command)."""
    import shutil

    for package in RELEASE_PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for path, text in modules.items():
        (root / path).write_text(text, encoding="utf-8")
    if registered:
        contract = root / "contracts" / "contract.py"
        source = contract.read_text(encoding="utf-8")
        anchor = "    return Registry.from_modules(["
        assert source.count(anchor) == 1, "default_registry is where it was"
        names = ", ".join(registered)
        source = source.replace(anchor, f"    from contracts import {names}\n\n"
                                f"    return Registry.from_modules([{names}, ")
        contract.write_text(source, encoding="utf-8")
    return root


def release_command(release: Path | None, program: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run `program` ("node" or "wallet") of
    `release` (None: this tree's installed console script)."""
    env = {**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE}
    if release is None:
        return [str(NODE_BIN.with_name(f"claimledger-{program}"))], env
    env["PYTHONPATH"] = str(release)  # before the installed tree on sys.path
    return [sys.executable, "-m", f"{program}.cli"], env


class NodeProcess:
    """One run of `claimledger-node run --home` from the node's home (`node_home`); its
    stderr goes to its own log file. `release`: a directory of another release
    (`make_release`) to run the node from, with the same home and data."""

    def __init__(self, net: Network, network_file: Path | None = None,
                 release: Path | None = None) -> None:
        self.net = net
        self.release = release
        self.network_file = network_file or net.network_file
        self.log = net.root / f"node-run-{len(net.logs) + 1}.log"
        net.logs.append(self.log)
        self.process: subprocess.Popen | None = None

    def start(self, preexec_fn: Callable[[], None] | None = None,
              args: tuple[str, ...] = ()) -> NodeProcess:
        """`preexec_fn` runs in the child before the node starts (e.g. to set a limit);
        `args` go after `run`'s own (e.g. --state-sync)."""
        home = node_home(self.net, self.network_file)
        where = ["--home", str(home)] if home is not None else [
            "--network", str(self.network_file), "--data", str(self.net.data_dir),
            "--key", str(self.net.key_file)]
        command, env = release_command(self.release, "node")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "run", *where, *args], env=env, cwd=self.release,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=preexec_fn,
            )
        return self

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 30, path: str = "/v1/status") -> dict:
        """The first 200 answer of `path` (/health: the node answers without reading its
        state, which /v1/status does for the contract versions in force)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise AssertionError(f"the node exited before answering:\n{self.stderr()}")
            try:
                reply = request(f"{self.net.api}{path}", timeout=1)
                if reply.status == 200:
                    return reply.json()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the node did not answer in {timeout}s:\n{self.stderr()}")
            time.sleep(0.05)

    def wait_exit(self, timeout: float = 30) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, then SIGKILL if it does not stop within `timeout` seconds."""
        assert self.process is not None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill(self) -> int:
        assert self.process is not None
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=10)


def node_command(net: Network, command: str, *extra: str, key: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `claimledger-node COMMAND --network … --data … [--key …] EXTRA…` to its end."""
    args = [str(NODE_BIN), command, "--network", str(net.network_file),
            "--data", str(net.data_dir)]
    if key:
        args += ["--key", str(net.key_file)]
    return subprocess.run(
        [*args, *extra], env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
    )


@contextmanager
def running(net: Network, network_file: Path | None = None) -> Iterator[NodeProcess]:
    """A started node that answers /v1/status; killed on the way out whatever happens."""
    node = NodeProcess(net, network_file).start()
    try:
        node.wait_ready()
        yield node
    finally:
        if node.alive():
            node.kill()


# ------------------------------------------------------------------ HTTP


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)

    def error_code(self) -> str:
        document = self.json()
        assert set(document) == {"error"}, document
        assert set(document["error"]) == {"code", "message"}, document
        assert document["error"]["message"], document
        return document["error"]["code"]


def request(url: str, method: str = "GET", body: bytes | None = None,
            content_type: str = "application/json", timeout: float = 10,
            key: Any = DEFAULT, headers: dict[str, str] | None = None) -> Reply:
    """`method url` with `body`, signed as `key` says: DEFAULT by the URL's registered
    signer (unsigned if none is registered), a KeyPair by that key for the signer's
    chain, None not at all. `headers` are added (after the signature's: they may spoil it)."""
    sent = {} if body is None else {"Content-Type": content_type}
    req = urllib.request.Request(url, data=body, method=method, headers=sent)
    if key is not None:
        signer = SIGNERS.get(urllib.parse.urlsplit(url).netloc)
        if signer is not None:
            for name, value in signer.headers(method, req.selector, body or b"",
                                              None if key is DEFAULT else key).items():
                req.add_header(name, value)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Reply(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.read(), dict(e.headers))


def get(api: str, path: str, timeout: float = 10, key: Any = DEFAULT) -> Reply:
    """GET `path` of the node at `api`, signed as `request` says."""
    return request(api + path, timeout=timeout, key=key)


def post_tx(api: str, tx: Transaction | bytes, key: Any = DEFAULT) -> Reply:
    """POST a transaction to /v1/txs, signed as `request` says."""
    raw = tx if isinstance(tx, bytes) else encode(tx)
    return request(f"{api}/v1/txs", "POST", json.dumps({"tx": raw.hex()}).encode(), key=key)


def wait_committed(api: str, tx_id: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        view = get(api, f"/v1/txs/{tx_id}?wait_ms=1000").json()
        if view.get("status") != "pending" or time.monotonic() > deadline:
            assert view.get("status") == "committed", view
            return view


def commit(api: str, tx: Transaction) -> dict:
    reply = post_tx(api, tx)
    assert reply.status == 202, reply.body
    return wait_committed(api, reply.json()["id"])


# ------------------------------------------------------------------ transactions


def build_tx(chain_id: str, contract: str, operation: str, body: Any, *signers: KeyPair,
             expiry_height: int = FAR_EXPIRY, nonce: int | None = None) -> Transaction:
    nonce = int.from_bytes(os.urandom(7), "big") if nonce is None else nonce
    tx = make_transaction(REGISTRY, chain_id, contract, operation, body, expiry_height, nonce)
    for key in signers:
        tx = sign_transaction(tx, key)
    return tx


def tx_id(tx: Transaction) -> bytes:
    return payload_id(tx.payload)


def terms(debtor: KeyPair, due_ms: int, basis: str = "HT-TEST-0001",
          amount_fen: int = 1_000_000) -> issuance.Terms:
    return issuance.Terms(
        debtor=debtor.address, amount_fen=amount_fen, due_ms=due_ms,
        asset_offset=True, consumption_offset=False, extension_days=0, extension_max=0,
        basis_ref=basis, basis_sha256=hashlib.sha256(basis.encode()).digest(),
    )


def apply_tx(chain_id: str, members: dict[str, KeyPair], due_ms: int,
             basis: str = "HT-TEST-0001", **kw: Any) -> Transaction:
    body = issuance.Apply(members["supplier"].address, terms(members["core"], due_ms, basis))
    return build_tx(chain_id, "issuance", "apply", body, members["supplier"], **kw)


def confirm_tx(chain_id: str, members: dict[str, KeyPair], application: bytes,
               signer: str = "core", **kw: Any) -> Transaction:
    body = issuance.Confirm(members[signer].address, application)
    return build_tx(chain_id, "issuance", "confirm", body, members[signer], **kw)


def approve_tx(chain_id: str, members: dict[str, KeyPair], application: bytes,
               **kw: Any) -> Transaction:
    body = issuance.Approve(members["agency"].address, application)
    return build_tx(chain_id, "issuance", "approve", body, members["agency"], **kw)


def issue_voucher(net: Network, basis: str = "HT-TEST-0001") -> tuple[bytes, str]:
    """Apply, confirm and approve over HTTP; the application id and the voucher id."""
    apply = apply_tx(net.chain_id, net.members, now_ms() + 180 * DAY_MS, basis)
    commit(net.api, apply)
    application = tx_id(apply)
    commit(net.api, confirm_tx(net.chain_id, net.members, application))
    approved = commit(net.api, approve_tx(net.chain_id, net.members, application))
    voucher = next(e["subject"] for e in approved["events"] if e["kind"] == "voucher.issued")
    return application, voucher


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the server closes the connection within `seconds` (reading what it sends):
    what the peer port's and the API's deadlines promise a stranger."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(1 << 16):
                pass
    except TimeoutError:
        return False
    except (ConnectionError, ssl.SSLError):
        pass  # torn down mid-read: closed all the same
    return True
