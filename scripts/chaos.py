"""A chaos run of a real network: faults from a seed, steady load, and a checker. Run
through `scripts/chaos`.

    scripts/chaos --minutes M --seed S [--rate W] [--work DIR] [--keep] [--quiet]

Four validators and an observer run as processes on 127.0.0.1. Every peer link goes
through a fault-injecting TCP proxy run here (one per directed dialler -> peer pair; the
nodes dial them with `--peer-route`, certificates stay pinned). A nemesis follows a
schedule drawn from the seed at a fixed step: it kills validators (SIGKILL) and restarts
them, pauses processes (SIGSTOP / SIGCONT), and drops, delays or cuts one direction of
links; usually at most f = 1 validator is faulty, sometimes f + 1 = 2 go down together
(killed, or one killed and one paused) and the chain must halt without forking.
Meanwhile a load generator runs issuance workflows (apply, confirm, approve) against
random live validators and notes every transaction the API reports committed, with its
height.

At the end everything is healed, the nodes converge and stop, and the checker reads
every node's store: nothing reported committed is missing (at its height, on every
node), no two nodes differ in block id or state root at any height, every commit
certificate verifies against the validator set, `claimledger-node verify-store` passes
on every node, and the chain advanced in every window of WINDOW_S seconds in which no
more than f validators were faulty (killed, paused, or cut off), from GRACE_S before the
window on (a delayed link is not a fault there). The report is one JSON
on stdout; the exit status is 1 if any check fails. The run directory (node logs, stores,
report.json) is kept when a check fails, or with --keep / --work. The nodes run a copy
of consensus/, contracts/ and node/ taken at the start (DIR/code), so a restart late in
the run runs the code the run began with.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consensus.certificate import CertificateError, verify_certificate  # noqa: E402
from contracts.codec import encode  # noqa: E402
from contracts.identity import verify  # noqa: E402
from contracts.tx import decode_transaction, payload_id  # noqa: E402
from node.store import Store  # noqa: E402
from tests.nodeproc import (  # noqa: E402
    DAY_MS,
    LOAD_LIMITS,
    NODE_BIN,
    PASSPHRASE,
    Network,
    NodeProcess,
    apply_tx,
    approve_tx,
    confirm_tx,
    free_port_block,
    make_cluster,
    now_ms,
    signing_middleware,
    tx_id,
)

F = 1  # faulty validators tolerated by 4
VALIDATORS = 4
OBSERVERS = 1
STEP_S = 2.0  # the nemesis decides at this fixed step
TAIL_S = 20.0  # the end of the run: load, no faults (the chain must resume)
WINDOW_S = 15.0  # the chain must grow in every such window with at most f faulty ...
GRACE_S = 5.0  # ... that starts this long after more than f were last faulty
HALT_GRACE_S = 2.0  # votes already on the wire when f + 1 went down
KINDS = ("kill", "pause", "drop", "delay", "cut")
EPISODE = "f+1"  # two validators down together (kill + kill or kill + pause)
PROCESS_KINDS = frozenset({"kill", "pause"})
BREAKING_KINDS = frozenset({"drop", "cut"})  # a delayed link still counts as a link
WEIGHTS = {"kill": 3, "pause": 2, "drop": 2, "delay": 2, "cut": 2}
DURATION_S = {"kill": (4.0, 14.0), "pause": (3.0, 10.0), "drop": (3.0, 12.0),
              "delay": (4.0, 15.0), "cut": (3.0, 12.0)}
EPISODE_S = (4.0, 10.0)
# After a fault ends the nemesis waits this long before counting the target healthy
# (a killed node starts, opens its store and catches up; links redial).
RECOVERY_S = {"kill": 4.0, "pause": 2.0, "drop": 1.5, "delay": 0.5, "cut": 1.5}
MIN_FAULT_S = 2.0
P_NEW = 0.6  # a new fault at a step (after every kind has been injected once)
EPISODE_EVERY_S = 150.0  # an f + 1 episode about this often, when nothing else runs
DELAY_MS = (50, 500)

WORKERS = 16
RESUBMIT_S = 10.0  # a workflow's transactions go to another validator after this
RETRY_S = 1.0  # after a refusal (mempool full, rate limited) or no answer
WORKFLOW_TIMEOUT_S = 120.0
DRAIN_S = 45.0  # how long the last workflows may take once the load stops
CONVERGE_S = 120.0
READY_S = 60.0
PROXY_CHUNK = 1 << 16
PROXY_QUEUE_CHUNKS = 256
PROXY_CONNECT_S = 3.0
UP, DOWN = "up", "down"  # through a proxy: dialler -> peer, peer -> dialler


# ------------------------------------------------------------------ the schedule


@dataclass(frozen=True)
class Fault:
    """One planned fault. `target` is (node,) for kill and pause, (a, b) for a link:
    drop and delay act on both directions, cut stops the bytes from a to b."""

    id: int
    kind: str
    target: tuple[str, ...]
    start_s: float
    end_s: float
    delay_ms: int = 0
    episode: int | None = None  # the f + 1 episode this kill belongs to


def faulty_count(validators: Sequence[str], down: Iterable[str],
                 broken: Iterable[tuple[str, str]]) -> int:
    """The fewest validators that, counted as faulty, leave all the others up and linked
    to each other both ways (a minimum vertex cover of the broken links, over the down)."""
    members = set(validators)
    down_set = set(down) & members
    edges = [(a, b) for a, b in broken if a in members and b in members and a != b]
    rest = sorted(members - down_set)
    for size in range(len(rest) + 1):
        for extra in itertools.combinations(rest, size):
            chosen = down_set | set(extra)
            if all(a in chosen or b in chosen for a, b in edges):
                return len(chosen)
    raise AssertionError("every validator faulty covers every link")


def faults_faulty(validators: Sequence[str], faults: Iterable[Fault]) -> int:
    faults = list(faults)
    down = [f.target[0] for f in faults if f.kind in PROCESS_KINDS]
    broken = [(f.target[0], f.target[1]) for f in faults if f.kind in BREAKING_KINDS]
    return faulty_count(validators, down, broken)


def _link(fault: Fault) -> frozenset[str]:
    return frozenset(fault.target)


def _touches_validators(fault: Fault, validators: Sequence[str]) -> bool:
    return all(node in validators for node in fault.target)


def _plan_fault(rng: random.Random, kind: str, t: float, horizon: float, busy: list[Fault],
                validators: list[str], nodes: list[str], links: list[tuple[str, str]],
                next_id: int) -> Fault | None:
    if kind in PROCESS_KINDS:
        taken = {f.target[0] for f in busy if f.kind in PROCESS_KINDS}
        pool = validators if kind == "kill" else nodes
        targets = [(n,) for n in pool if n not in taken]
    else:
        taken_links = {_link(f) for f in busy if f.kind not in PROCESS_KINDS}
        targets = [link for link in links if frozenset(link) not in taken_links]
    lo, hi = DURATION_S[kind]
    duration = round(rng.uniform(lo, hi), 1)
    end = min(round(t + duration, 1), horizon)
    if end - t < MIN_FAULT_S:
        return None
    delay_ms = rng.randrange(DELAY_MS[0], DELAY_MS[1] + 1, 10) if kind == "delay" else 0
    before = faults_faulty(validators, busy)
    fitting = []
    for target in targets:
        candidate = Fault(next_id, kind, target, t, end, delay_ms)
        after = faults_faulty(validators, [*busy, candidate])
        if after <= F or (after == before and not _touches_validators(candidate, validators)):
            fitting.append(candidate)
    if not fitting:
        return None
    chosen = fitting[rng.randrange(len(fitting))]
    if kind == "cut" and rng.random() < 0.5:  # either direction of the link
        chosen = Fault(chosen.id, kind, chosen.target[::-1], t, end)
    return chosen


def _plan_episode(rng: random.Random, t: float, horizon: float, busy: list[Fault],
                  validators: list[str], next_id: int, episode: int) -> list[Fault]:
    if any(_touches_validators(f, validators) for f in busy):
        return []
    pair = rng.sample(validators, 2)
    out = []
    for i, node in enumerate(pair):
        kind = "kill" if i == 0 else rng.choice(("kill", "pause"))
        end = round(t + rng.uniform(*EPISODE_S), 1)
        if end > horizon:
            return []
        out.append(Fault(next_id + i, kind, (node,), t, end, episode=episode))
    return out


def make_schedule(seed: int, minutes: float, validators: Sequence[str],
                  observers: Sequence[str], step_s: float = STEP_S,
                  tail_s: float = TAIL_S) -> list[Fault]:
    """The faults of a run, from the seed alone. Every kind (and one f + 1 episode) comes
    first, in an order drawn from the seed, as soon as each fits; then a new fault
    at a step with probability P_NEW, and about every EPISODE_EVERY_S an f + 1 episode
    (two validators killed, or one killed and one paused, at once: no new fault until
    every validator is healthy for it). A fault is planned only if it keeps at most f
    validators faulty (counting each fault until RECOVERY_S after its end), or touches
    no validator; f + 1 episodes start only when no validator is faulty. Every
    fault ends by the tail of the run."""
    rng = random.Random(seed)
    validators, observers = list(validators), list(observers)
    nodes = validators + observers
    links = [*itertools.combinations(validators, 2),
             *((o, v) for o in observers for v in validators)]
    horizon = round(minutes * 60 - tail_s, 1)
    uncovered = list(KINDS)
    rng.shuffle(uncovered)
    # Early (first in a short run): an episode needs every validator healthy.
    uncovered.insert(0 if horizon < 120 else rng.randrange(3), EPISODE)
    faults: list[Fault] = []
    episodes = 0
    episode_due = False  # drawn: no new fault until the validators are healthy for it
    for step in itertools.count(1):
        t = round(step * step_s, 1)
        if t + MIN_FAULT_S > horizon:
            break
        busy = [f for f in faults if f.start_s <= t < f.end_s + RECOVERY_S[f.kind]]
        if uncovered:
            wishes = list(uncovered)
        else:
            episode_due = episode_due or rng.random() < step_s / EPISODE_EVERY_S
            wishes = [EPISODE] if episode_due else []
            if not episode_due and rng.random() < P_NEW:
                wishes.append(rng.choices(KINDS, [WEIGHTS[k] for k in KINDS])[0])
        for wish in wishes:
            if wish == EPISODE:
                made = _plan_episode(rng, t, horizon, busy, validators, len(faults), episodes)
                episodes += bool(made)
                episode_due = episode_due and not made
            else:
                one = _plan_fault(rng, wish, t, horizon, busy, validators, nodes, links,
                                  len(faults))
                made = [one] if one else []
            if made:
                faults.extend(made)
                if wish in uncovered:
                    uncovered.remove(wish)
                break
    return faults


# ------------------------------------------------------------------ the proxy


class Proxy:
    """A TCP proxy from one dialler to one peer that injects faults: `drop` closes its
    connections and refuses new ones, `set_delay` holds every chunk N ms in each
    direction, `cut(UP | DOWN)` stops forwarding one direction (the bytes wait, unread,
    while the connection stays open) until `heal`."""

    def __init__(self, name: str, target_port: int, port: int = 0,
                 host: str = "127.0.0.1") -> None:
        self.name = name
        self.host = host
        self.port = port
        self.target_port = target_port
        self.dropped = False
        self.delay_ms = 0
        self.flowing = {UP: asyncio.Event(), DOWN: asyncio.Event()}
        for event in self.flowing.values():
            event.set()
        self.accepted = 0
        self._connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._handlers: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening, close every connection, and wait for their handlers to end."""
        if self._server is not None:
            self._server.close()
        self.dropped = True
        self._abort_all()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def drop(self) -> None:
        self.dropped = True
        self._abort_all()

    def set_delay(self, delay_ms: int) -> None:
        assert 0 <= delay_ms <= 60_000
        self.delay_ms = delay_ms

    def cut(self, direction: str) -> None:
        self.flowing[direction].clear()

    def heal(self) -> None:
        self.dropped = False
        self.delay_ms = 0
        for event in self.flowing.values():
            event.set()

    @property
    def connections(self) -> int:
        return len(self._connections)

    def _abort_all(self) -> None:
        for client, upstream in list(self._connections):
            client.transport.abort()
            upstream.transport.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            await self._forward(reader, writer)
        finally:
            self._handlers.discard(handler)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.dropped:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.target_port), PROXY_CONNECT_S)
        except (OSError, TimeoutError):
            writer.transport.abort()
            return
        if self.dropped:
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._connections.add(pair)
        pipes = [asyncio.create_task(self._pipe(reader, up_writer, UP)),
                 asyncio.create_task(self._pipe(up_reader, writer, DOWN))]
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._connections.discard(pair)
            writer.transport.abort()
            up_writer.transport.abort()
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    direction: str) -> None:
        """Read chunks, stamp each with the time it may leave, write them in order; a
        cut direction neither reads nor writes. Ends at EOF or a broken socket."""
        loop = asyncio.get_running_loop()
        flowing = self.flowing[direction]
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(PROXY_QUEUE_CHUNKS)

        async def read() -> None:
            try:
                while True:
                    await flowing.wait()
                    data = await src.read(PROXY_CHUNK)
                    if not data:
                        break
                    await queue.put((loop.time() + self.delay_ms / 1000, data))
            except OSError:
                pass  # the connection went away: this direction ends like a clean close
            await queue.put(None)

        reader = asyncio.create_task(read())
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                due, data = item
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                await flowing.wait()
                dst.write(data)
                await dst.drain()
        except OSError:
            return
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


# ------------------------------------------------------------------ the checker


@dataclass(frozen=True)
class BlockSummary:
    height: int
    block_id: str
    state_root: str
    tx_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Commit:
    """A transaction the API reported committed: at `height`, by node `node`."""

    tx_id: str
    height: int
    node: str


def find_forks(chains: Mapping[str, Sequence[BlockSummary]]) -> list[dict]:
    """Heights at which nodes hold different blocks or state roots."""
    forks = []
    top = max((len(chain) for chain in chains.values()), default=0)
    for height in range(top):
        versions: dict[tuple[str, str], list[str]] = {}
        for node, chain in sorted(chains.items()):
            if height < len(chain):
                block = chain[height]
                assert block.height == height, f"{node}'s chain skips height {height}"
                versions.setdefault((block.block_id, block.state_root), []).append(node)
        if len(versions) > 1:
            forks.append({"height": height, "versions": [
                {"block_id": b, "state_root": r, "nodes": nodes}
                for (b, r), nodes in versions.items()]})
    return forks


def tx_heights(chain: Sequence[BlockSummary]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for block in chain:
        for tx in block.tx_ids:
            where.setdefault(tx, []).append(block.height)
    return where


def find_lost(chains: Mapping[str, Sequence[BlockSummary]],
              commits: Iterable[Commit]) -> list[dict]:
    """Reported commits that some node does not hold exactly once, at the reported height."""
    index = {node: tx_heights(chain) for node, chain in chains.items()}
    lost = []
    for commit in commits:
        found = {node: index[node].get(commit.tx_id, []) for node in sorted(chains)}
        wrong = {node: heights for node, heights in found.items() if heights != [commit.height]}
        if wrong:
            lost.append({"tx": commit.tx_id, "height": commit.height,
                         "reported_by": commit.node, "found_at": wrong})
    return lost


def find_duplicates(chains: Mapping[str, Sequence[BlockSummary]]) -> list[dict]:
    """Transactions a node holds more than once (a replay)."""
    out = []
    for node, chain in sorted(chains.items()):
        for tx, heights in tx_heights(chain).items():
            if len(heights) > 1:
                out.append({"node": node, "tx": tx, "heights": heights})
    return out


@dataclass(frozen=True)
class Sample:
    """A second of the run: the highest head any node answered with (None: none did),
    how many validators were faulty and how many of them were down (killed, paused)."""

    t: float
    height: int | None
    faulty: int
    down: int


def _stretches(samples: Sequence[Sample], keep: Sequence[bool]) -> list[tuple[int, int]]:
    """Maximal runs of indices where `keep` holds, as (first, last)."""
    runs = []
    start = None
    for i, flag in enumerate(keep):
        if flag and start is None:
            start = i
        if not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(samples) - 1))
    return runs


def check_liveness(samples: Sequence[Sample], f: int = F, window_s: float = WINDOW_S,
                   grace_s: float = GRACE_S, halt_grace_s: float = HALT_GRACE_S) -> dict:
    """Every window of `window_s` in which at most f validators were faulty, from `grace_s`
    before its start to its end, must see the highest head grow. Stretches with more than
    f faulty are reported apart; where more than f were down the whole time, the head
    must not grow after `halt_grace_s` (no quorum can sign)."""
    times = [s.t for s in samples]
    heads: list[int] = []
    for s in samples:  # the highest head seen so far: a node that did not answer is not lower
        heads.append(max(heads[-1] if heads else 0, s.height or 0))
    bad_windows: list[tuple[int, int]] = []
    checked = 0
    for i, sample in enumerate(samples):
        if sample.t - grace_s < times[0]:
            continue
        j = bisect.bisect_left(times, sample.t + window_s)
        if j >= len(samples):
            break
        k = bisect.bisect_left(times, sample.t - grace_s)
        if any(s.faulty > f for s in samples[k:j + 1]):
            continue
        checked += 1
        if heads[j] <= heads[i]:
            bad_windows.append((i, j))
    violations = []
    for i, j in bad_windows:  # merge overlapping windows into stretches
        if violations and i <= violations[-1][1]:
            violations[-1][1] = max(violations[-1][1], j)
        else:
            violations.append([i, j])
    over = []
    for a, b in _stretches(samples, [s.faulty > f for s in samples]):
        over.append({"from_s": samples[a].t, "to_s": samples[b].t,
                     "faulty": max(s.faulty for s in samples[a:b + 1]),
                     "height_from": heads[a], "height_to": heads[b],
                     "grew_by": heads[b] - heads[a]})
    halts = []
    for a, b in _stretches(samples, [s.down > f for s in samples]):
        settled = bisect.bisect_left(times, samples[a].t + halt_grace_s, a, b + 1)
        if settled > b:
            continue
        halts.append({"from_s": samples[settled].t, "to_s": samples[b].t,
                      "height": heads[settled], "grew_by": heads[b] - heads[settled]})
    return {
        "window_s": window_s, "grace_s": grace_s, "windows_checked": checked,
        "violations": [{"from_s": samples[i].t, "to_s": samples[j].t, "height": heads[i],
                        "faulty_max": max(s.faulty for s in samples[i:j + 1])}
                       for i, j in violations],
        "f_plus_1_stretches": over,
        "halt_violations": [h for h in halts if h["grew_by"] > 0],
    }


# ------------------------------------------------------------------ the network


CODE_PACKAGES = ("consensus", "contracts", "node")


def snapshot_code(work: Path) -> Path:
    """A copy of the packages the nodes run, taken once: a node restarted late in the run
    runs the same code as at its start, whatever happens to the working tree meanwhile."""
    code = work / "code"
    for package in CODE_PACKAGES:
        shutil.copytree(ROOT / package, code / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return code


def node_env(code: Path) -> dict[str, str]:
    return {**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(code)}


class RoutedNode(NodeProcess):
    """`claimledger-node run` from the code snapshot, dialling each peer through its
    proxy."""

    def __init__(self, net: Network, routes: list[str], code: Path) -> None:
        super().__init__(net)
        self.routes = routes
        self.code = code

    def start(self, preexec_fn: Callable[[], None] | None = None) -> RoutedNode:
        args = [str(NODE_BIN), "run", "--network", str(self.network_file),
                "--data", str(self.net.data_dir), "--key", str(self.net.key_file)]
        for route in self.routes:
            args += ["--peer-route", route]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                args, env=node_env(self.code), cwd=self.code,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=preexec_fn,
            )
        return self


@dataclass
class Member:
    name: str
    net: Network
    validator: bool
    routes: list[str]
    runs: list[RoutedNode] = field(default_factory=list)
    state: str = "new"  # up, starting, killed, paused, crashed, stopped

    @property
    def proc(self) -> RoutedNode:
        return self.runs[-1]

    @property
    def popen(self) -> subprocess.Popen:
        process = self.proc.process
        assert process is not None
        return process


def build_network(root: Path, validators: int = VALIDATORS,
                  observers: int = OBSERVERS) -> tuple[list[Network], dict[str, int], int]:
    """Keys and one network.toml with every port in one block below the ephemeral range
    (a restarted node binds its ports again; no outgoing connection may hold one).
    Returns the networks (validators first), the peer ports and the first proxy port."""
    nodes = validators + observers
    proxies = validators * (validators - 1) + observers * validators
    base = free_port_block(nodes + validators + proxies)
    nets = make_cluster(root, validators, observers, chain_id="claimledger-chaos",
                        port_base=base, limits=LOAD_LIMITS)  # its load is past the defaults
    peer_ports = {n.root.name: n.peer_port for n in nets[:validators]}
    return nets, peer_ports, base + nodes + validators


class Cluster:
    """The node processes, the proxies between them, and the faults acting on both."""

    def __init__(self, root: Path, say: Callable[[str], None]) -> None:
        nets, peer_ports, proxy_base = build_network(root / "net")
        self.code = snapshot_code(root)
        self.say = say
        self.validators = [n.root.name for n in nets[:VALIDATORS]]
        self.observers = [n.root.name for n in nets[VALIDATORS:]]
        self.proxies: dict[tuple[str, str], Proxy] = {}
        port = proxy_base
        for dialler in self.validators + self.observers:
            for peer in self.validators:
                if peer != dialler:
                    self.proxies[(dialler, peer)] = Proxy(f"{dialler}->{peer}",
                                                          peer_ports[peer], port)
                    port += 1
        self.members: dict[str, Member] = {}
        for net in nets:
            name = net.root.name
            routes = [f"{peer}=127.0.0.1:{self.proxies[(name, peer)].port}"
                      for peer in self.validators if peer != name]
            self.members[name] = Member(name, net, name in self.validators, routes)
        self.chain_id = nets[0].chain_id
        self.crashes: list[dict] = []
        self.t0 = 0.0

    def now_s(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    # ---------------------------------------------------------------- processes

    def spawn(self, name: str) -> None:
        member = self.members[name]
        member.runs.append(RoutedNode(member.net, member.routes, self.code).start())
        member.state = "starting"

    async def wait_ready(self, http: aiohttp.ClientSession, name: str,
                         timeout_s: float = READY_S) -> bool:
        member = self.members[name]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not member.proc.alive() or member.state != "starting":
                return False
            status, _ = await http_json(http, "GET", f"{member.net.api}/v1/status", timeout_s=1)
            if status == 200:
                member.state = "up"
                return True
            await asyncio.sleep(0.1)
        return False

    async def start(self, http: aiohttp.ClientSession) -> None:
        for proxy in self.proxies.values():
            await proxy.start()
        for name in self.members:
            self.spawn(name)
        for name in self.members:
            if not await self.wait_ready(http, name):
                raise RuntimeError(f"{name} did not start:\n{self.members[name].proc.stderr()}")

    def kill(self, name: str) -> None:
        member = self.members[name]
        member.proc.kill()
        member.state = "killed"

    def pause(self, name: str) -> None:
        member = self.members[name]
        member.popen.send_signal(signal.SIGSTOP)
        member.state = "paused"

    def resume(self, name: str) -> None:
        member = self.members[name]
        member.popen.send_signal(signal.SIGCONT)
        member.state = "up"

    def live_validators(self) -> list[str]:
        return [n for n in self.validators if self.members[n].state == "up"]

    def live_nodes(self) -> list[str]:
        return [n for n, m in self.members.items() if m.state == "up"]

    def check_crashes(self) -> None:
        """A node that exited though nothing killed it: a finding, kept down."""
        for name, member in self.members.items():
            if member.state in ("up", "starting", "paused") and member.runs and \
                    not member.proc.alive():
                code = member.popen.poll()
                member.state = "crashed"
                tail = member.proc.stderr().splitlines()[-8:]
                self.crashes.append({"node": name, "exit_code": code, "at_s": self.now_s(),
                                     "log": str(member.proc.log), "last_lines": tail})
                self.say(f"{name} exited by itself with code {code}")

    def stop_all(self) -> dict[str, int | None]:
        """SIGCONT, then SIGTERM every running node; SIGKILL what does not stop in 15 s."""
        codes: dict[str, int | None] = {}
        running = [m for m in self.members.values() if m.runs and m.proc.alive()]
        for member in running:
            member.popen.send_signal(signal.SIGCONT)
            member.popen.send_signal(signal.SIGTERM)
        for member in running:
            try:
                codes[member.name] = member.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                codes[member.name] = member.proc.kill()
            member.state = "stopped"
        return codes

    def kill_all(self) -> None:
        """The last resort of every exit path: no process of ours outlives the run."""
        for member in self.members.values():
            for run in member.runs:
                if run.process is not None and run.process.poll() is None:
                    with contextlib.suppress(OSError):
                        run.process.send_signal(signal.SIGCONT)
                    run.kill()

    async def close_proxies(self) -> None:
        for proxy in self.proxies.values():
            await proxy.close()

    # ---------------------------------------------------------------- links

    def link_proxies(self, a: str, b: str) -> list[tuple[Proxy, str]]:
        """The proxies carrying a <-> b, each with the direction in which bytes go a -> b."""
        out = []
        if (a, b) in self.proxies:
            out.append((self.proxies[(a, b)], UP))
        if (b, a) in self.proxies:
            out.append((self.proxies[(b, a)], DOWN))
        return out

    def apply_link(self, fault: Fault) -> None:
        a, b = fault.target
        for proxy, a_to_b in self.link_proxies(a, b):
            if fault.kind == "drop":
                proxy.drop()
            elif fault.kind == "delay":
                proxy.set_delay(fault.delay_ms)
            else:
                proxy.cut(a_to_b)

    def heal_link(self, fault: Fault) -> None:
        for proxy, _ in self.link_proxies(*fault.target):
            proxy.heal()


# ------------------------------------------------------------------ HTTP


async def http_json(http: aiohttp.ClientSession, method: str, url: str,
                    data: bytes | None = None, timeout_s: float = 5) -> tuple[int, dict | None]:
    """(status, JSON body); status 0 when the node did not answer."""
    headers = {"Content-Type": "application/msgpack"} if data is not None else None
    try:
        async with http.request(method, url, data=data, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout_s)) as reply:
            body = await reply.read()
            try:
                return reply.status, json.loads(body)
            except ValueError:
                return reply.status, None
    except (aiohttp.ClientError, OSError, TimeoutError):
        return 0, None


def error_code(document: dict | None) -> str:
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        return str(document["error"].get("code"))
    return "no_answer"


# ------------------------------------------------------------------ the run


@dataclass
class TxEntry:
    id: str
    raw: bytes
    workflow: int
    accepted: bool = False
    committed: Commit | None = None


@dataclass
class Happened:
    """What the nemesis did with one planned fault, in seconds since the load began."""

    applied_s: float | None = None
    healed_s: float | None = None
    ready_s: float | None = None  # a restarted node answering again
    note: str = ""


class Run:
    """One chaos run in `work`: the schedule drawn from the seed, or the one given."""

    def __init__(self, args: argparse.Namespace, work: Path,
                 schedule: list[Fault] | None = None) -> None:
        self.args = args
        self.work = work
        self.rng = random.Random(args.seed + 1)  # node choices for the load
        self.cluster = Cluster(work, self.say)
        self.schedule = schedule if schedule is not None else make_schedule(
            args.seed, args.minutes, self.cluster.validators, self.cluster.observers)
        self.happened = {f.id: Happened() for f in self.schedule}
        self.entries: list[TxEntry] = []
        self.refusals: Counter = Counter()
        self.workflows = 0
        self.shed = 0
        self.samples: list[tuple[float, dict[str, int | None]]] = []
        self.tasks: list[asyncio.Task] = []
        self.stopping_load = asyncio.Event()

    def say(self, text: str) -> None:
        """A progress line on stderr, stamped with the seconds since the load began."""
        if not self.args.quiet:
            cluster = getattr(self, "cluster", None)
            stamp = f"{cluster.now_s():7.1f}s" if cluster and cluster.t0 else "  start"
            print(f"[chaos {stamp}] {text}", file=sys.stderr, flush=True)

    # ---------------------------------------------------------------- nemesis

    async def nemesis(self, http: aiohttp.ClientSession) -> None:
        events = sorted([(f.start_s, 1, f) for f in self.schedule] +
                        [(f.end_s, 0, f) for f in self.schedule],
                        key=lambda e: (e[0], e[1], e[2].id))  # ends first at equal times
        for at_s, is_start, fault in events:
            delay = self.cluster.t0 + at_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.cluster.check_crashes()
            if is_start:
                self.start_fault(fault)
            else:
                self.end_fault(http, fault)

    def start_fault(self, fault: Fault) -> None:
        cluster, happened = self.cluster, self.happened[fault.id]
        if fault.kind in PROCESS_KINDS:
            name = fault.target[0]
            if cluster.members[name].state != "up":  # still starting after a kill, or crashed
                happened.note = f"skipped: {name} is {cluster.members[name].state}"
                self.say(f"fault {fault.id} {fault.kind} {name} {happened.note}")
                return
            (cluster.kill if fault.kind == "kill" else cluster.pause)(name)
        else:
            cluster.apply_link(fault)
        happened.applied_s = cluster.now_s()
        extra = f" {fault.delay_ms} ms" if fault.kind == "delay" else ""
        episode = " (f+1)" if fault.episode is not None else ""
        self.say(f"fault {fault.id}: {fault.kind}{extra} {'->'.join(fault.target)}{episode}")

    def end_fault(self, http: aiohttp.ClientSession, fault: Fault) -> None:
        cluster, happened = self.cluster, self.happened[fault.id]
        if happened.applied_s is None:
            return
        if fault.kind == "kill":
            name = fault.target[0]
            cluster.spawn(name)
            self.tasks.append(asyncio.create_task(self._note_ready(http, fault, name)))
        elif fault.kind == "pause":
            if cluster.members[fault.target[0]].state == "paused":
                cluster.resume(fault.target[0])
        else:
            cluster.heal_link(fault)
        happened.healed_s = cluster.now_s()
        self.say(f"healed {fault.id}: {fault.kind} {'->'.join(fault.target)}")

    async def _note_ready(self, http: aiohttp.ClientSession, fault: Fault, name: str) -> None:
        if await self.cluster.wait_ready(http, name):
            self.happened[fault.id].ready_s = self.cluster.now_s()
        else:
            self.cluster.check_crashes()
            self.happened[fault.id].note = f"{name} did not answer after its restart"

    # ---------------------------------------------------------------- load

    async def produce(self, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        interval = 1 / self.args.rate
        due = loop.time()
        index = 0
        while not self.stopping_load.is_set():
            try:
                queue.put_nowait(index)
                index += 1
            except asyncio.QueueFull:
                self.shed += 1
            due += interval
            await asyncio.sleep(max(0.0, due - loop.time()))

    async def worker(self, http: aiohttp.ClientSession, queue: asyncio.Queue) -> None:
        while True:
            index = await queue.get()
            try:
                await self.workflow(http, index)
            finally:
                queue.task_done()

    async def workflow(self, http: aiohttp.ClientSession, index: int) -> None:
        """Apply, confirm and approve one voucher; submit what is not committed yet to a
        live validator, poll it, and go to another one when that one goes quiet."""
        self.workflows += 1
        net = self.cluster.members[self.cluster.validators[0]].net
        apply = apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS,
                         f"CHAOS-{self.args.seed}-{index}")
        application = tx_id(apply)
        txs = [apply, confirm_tx(net.chain_id, net.members, application),
               approve_tx(net.chain_id, net.members, application)]
        entries = [TxEntry(tx_id(tx).hex(), encode(tx), index) for tx in txs]
        self.entries.extend(entries)
        deadline = time.monotonic() + WORKFLOW_TIMEOUT_S
        while time.monotonic() < deadline:
            waiting = [e for e in entries if e.committed is None]
            if not waiting:
                return
            live = self.cluster.live_validators()
            if not live:
                await asyncio.sleep(0.5)
                continue
            name = self.rng.choice(live)
            if not await self.submit(http, name, waiting):
                await asyncio.sleep(RETRY_S)  # refused or unanswered: no hammering
            await self.poll(http, name, waiting, min(deadline, time.monotonic() + RESUBMIT_S))

    async def submit(self, http: aiohttp.ClientSession, name: str,
                     entries: list[TxEntry]) -> bool:
        """Submit in order until one is refused (the later ones depend on it); whether
        the first one was taken."""
        api = self.cluster.members[name].net.api
        for i, entry in enumerate(entries):
            status, document = await http_json(http, "POST", f"{api}/v1/txs", entry.raw)
            if status == 202 or (status == 409 and error_code(document) == "tx.replay"):
                entry.accepted = True
                continue
            self.refusals[f"{status}:{error_code(document)}"] += 1
            return i > 0
        return True

    async def poll(self, http: aiohttp.ClientSession, name: str, entries: list[TxEntry],
                   until: float) -> None:
        api = self.cluster.members[name].net.api
        for entry in entries:
            while True:
                if time.monotonic() >= until or self.cluster.members[name].state != "up":
                    return
                status, view = await http_json(
                    http, "GET", f"{api}/v1/txs/{entry.id}?wait_ms=2000", timeout_s=4)
                if status == 200 and view and view.get("status") == "committed":
                    entry.committed = Commit(entry.id, int(view["height"]), name)
                    break
                if status == 200 and view and view.get("status") == "pending":
                    continue
                if status == 0:
                    await asyncio.sleep(0.2)
                    continue
                return  # unknown here or refused: submit again, maybe elsewhere

    # ---------------------------------------------------------------- watching

    async def sample(self, http: aiohttp.ClientSession) -> None:
        """Every second, each node's height (None: no answer within 0.9 s)."""
        names = list(self.cluster.members)

        async def height(name: str) -> int | None:
            api = self.cluster.members[name].net.api
            status, view = await http_json(http, "GET", f"{api}/v1/status", timeout_s=0.9)
            return int(view["height"]) if status == 200 and view else None

        next_at = time.monotonic()
        while True:
            t = self.cluster.now_s()
            heights = await asyncio.gather(*(height(n) for n in names))
            self.samples.append((t, dict(zip(names, heights, strict=True))))
            self.cluster.check_crashes()
            if len(self.samples) % 30 == 0:
                committed = sum(1 for e in self.entries if e.committed)
                shown = " ".join(f"{n.split('-')[0][0]}{n[-1]}={h}"
                                 for n, h in zip(names, heights, strict=True))
                self.say(f"heights {shown}; {committed} txs committed")
            next_at += 1.0
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    def actual_faults(self, end_s: float) -> list[tuple[str, tuple[str, ...], float, float]]:
        """(kind, target, from, to) as they happened: a kill lasts until the node answers
        again, a crash until the end."""
        out = []
        for fault in self.schedule:
            h = self.happened[fault.id]
            if h.applied_s is None:
                continue
            until = h.ready_s if fault.kind == "kill" else h.healed_s
            out.append((fault.kind, fault.target, h.applied_s,
                        until if until is not None else end_s))
        for crash in self.cluster.crashes:
            out.append(("kill", (crash["node"],), crash["at_s"], end_s))
        return out

    def liveness_samples(self) -> list[Sample]:
        end_s = self.samples[-1][0] if self.samples else 0.0
        faults = self.actual_faults(end_s + 1)
        validators = self.cluster.validators
        out = []
        for t, heights in self.samples:
            active = [(k, tg) for k, tg, a, b in faults if a <= t < b]
            down = [tg[0] for k, tg in active if k in PROCESS_KINDS and tg[0] in validators]
            broken = [(tg[0], tg[1]) for k, tg in active if k in BREAKING_KINDS]
            known = [h for h in heights.values() if h is not None]
            out.append(Sample(t, max(known) if known else None,
                              faulty_count(validators, down, broken), len(set(down))))
        return out

    # ---------------------------------------------------------------- the end

    async def heal_everything(self, http: aiohttp.ClientSession) -> None:
        for proxy in self.cluster.proxies.values():
            proxy.heal()
        for name, member in self.cluster.members.items():
            if member.state == "paused":
                self.cluster.resume(name)
            elif member.state in ("killed", "crashed"):
                self.cluster.spawn(name)
        for name, member in self.cluster.members.items():
            if member.state == "starting":
                await self.cluster.wait_ready(http, name)

    async def converge(self, http: aiohttp.ClientSession) -> dict:
        """Wait until every node reaches the highest head any of them had once the load
        stopped and everything was healed."""
        async def statuses() -> dict[str, dict | None]:
            views = await asyncio.gather(*(
                http_json(http, "GET", f"{m.net.api}/v1/status", timeout_s=2)
                for m in self.cluster.members.values()))
            return {n: (v if s == 200 else None)
                    for n, (s, v) in zip(self.cluster.members, views, strict=True)}

        first = await statuses()
        target = max((v["height"] for v in first.values() if v), default=0)
        deadline = time.monotonic() + CONVERGE_S
        while True:
            views = await statuses()
            heights = {n: (v["height"] if v else None) for n, v in views.items()}
            if all(h is not None and h >= target for h in heights.values()):
                return {"converged": True, "target_height": target, "heights": heights}
            if time.monotonic() > deadline:
                return {"converged": False, "target_height": target, "heights": heights}
            await asyncio.sleep(0.5)

    def read_chains(self) -> tuple[dict[str, list[BlockSummary]], list[dict], list[dict]]:
        """Every stopped node's blocks from its store, the certificates that do not verify
        against the validator set, and the stores that could not be read."""
        powers = {m.net.validator.address: 1 for m in self.cluster.members.values()
                  if m.validator}
        chains, failures, unreadable = {}, [], []
        for name, member in self.cluster.members.items():
            try:
                store = Store(member.net.data_dir / "ledger", create=False)
            except Exception as e:
                unreadable.append({"node": name, "error": repr(e)})
                continue
            try:
                head = store.head()
                assert head is not None, "no head"
                chain = []
                for height in range(head.height + 1):
                    block = store.block(height)
                    assert block is not None, f"no block {height}"
                    ids = tuple(payload_id(decode_transaction(raw).payload).hex()
                                for raw in block.txs)
                    chain.append(BlockSummary(height, block.id.hex(),
                                              block.header.state_root.hex(), ids))
                    if height == 0:
                        continue
                    certificate = store.certificate(height)
                    try:
                        if certificate is None:
                            raise CertificateError("certificate.missing", "none stored")
                        verify_certificate(certificate, self.cluster.chain_id, height,
                                           block.id, powers, verify)
                    except CertificateError as e:
                        failures.append({"node": name, "height": height, "code": e.code})
                chains[name] = chain
            except Exception as e:
                unreadable.append({"node": name, "error": repr(e)})
            finally:
                store.close()
        return chains, failures, unreadable

    def verify_stores(self) -> dict[str, dict]:
        def one(member: Member) -> dict:
            try:
                done = subprocess.run(
                    [str(NODE_BIN), "verify-store", "--network", str(member.net.network_file),
                     "--data", str(member.net.data_dir)],
                    env=node_env(self.cluster.code), cwd=self.cluster.code,
                    stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800)
            except subprocess.TimeoutExpired:
                return {"exit": None, "output": "verify-store ran for more than 30 min"}
            lines = (done.stdout + done.stderr).strip().splitlines()
            return {"exit": done.returncode, "output": lines[-1] if lines else ""}

        with ThreadPoolExecutor(2) as pool:
            results = pool.map(one, list(self.cluster.members.values()))
        return dict(zip(self.cluster.members, results, strict=True))

    # ---------------------------------------------------------------- all of it

    async def run(self) -> dict:
        started = time.monotonic()
        cluster = self.cluster
        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()
        assert main_task is not None
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
        connector = aiohttp.TCPConnector(limit=200)
        # Every request signed by the network's agency (make_cluster registered it), which
        # reads every record; status needs none.
        async with aiohttp.ClientSession(connector=connector,
                                         middlewares=(signing_middleware(),)) as http:
            try:
                self.say(f"starting {len(cluster.members)} nodes and {len(cluster.proxies)} "
                         f"proxies in {self.work}")
                await cluster.start(http)
                cluster.t0 = time.monotonic()
                self.say(f"load {self.args.rate:g} workflows/s; {len(self.schedule)} faults "
                         f"planned over {self.args.minutes:g} min")
                queue: asyncio.Queue = asyncio.Queue(WORKERS * 2)
                workers = [asyncio.create_task(self.worker(http, queue))
                           for _ in range(WORKERS)]
                producer = asyncio.create_task(self.produce(queue))
                sampler = asyncio.create_task(self.sample(http))
                nemesis = asyncio.create_task(self.nemesis(http))
                self.tasks += [*workers, producer, sampler, nemesis]
                await nemesis
                await asyncio.sleep(max(0.0, cluster.t0 + self.args.minutes * 60
                                        - time.monotonic()))
                self.say("stopping the load")
                self.stopping_load.set()
                await producer
                while not queue.empty():
                    queue.get_nowait()
                    queue.task_done()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.join(), DRAIN_S)
                end_s = cluster.now_s()
                await self.heal_everything(http)
                convergence = await self.converge(http)
                self.say(f"converged: {convergence}")
                sampler.cancel()
                for task in self.tasks:
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)
                cluster.check_crashes()
                exits = cluster.stop_all()
            finally:
                loop.remove_signal_handler(signal.SIGTERM)
                for task in self.tasks:
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)
                cluster.kill_all()
                await cluster.close_proxies()
        self.say("checking the stores")
        chains, certificate_failures, unreadable = self.read_chains()
        verified = self.verify_stores()
        return self.report(chains, certificate_failures, unreadable, verified, convergence,
                           exits, end_s, time.monotonic() - started)

    def report(self, chains: dict[str, list[BlockSummary]], certificate_failures: list[dict],
               unreadable: list[dict], verified: dict[str, dict], convergence: dict,
               exits: dict[str, int | None], end_s: float, seconds: float) -> dict:
        commits = [e.committed for e in self.entries if e.committed is not None]
        lost = find_lost(chains, commits)
        forks = find_forks(chains)
        duplicates = find_duplicates(chains)
        liveness = check_liveness(self.liveness_samples())
        liveness_violations = len(liveness["violations"]) + (not convergence["converged"])
        injected = Counter(f.kind for f in self.schedule
                           if self.happened[f.id].applied_s is not None)
        episodes = {f.episode for f in self.schedule
                    if f.episode is not None and self.happened[f.id].applied_s is not None}
        bad_stores = [n for n, v in verified.items() if v["exit"] != 0]
        unclean = {n: c for n, c in exits.items() if c != 0}
        failures = [name for name, count in (
            ("lost", len(lost)), ("forks", len(forks)), ("duplicate_txs", len(duplicates)),
            ("certificate_failures", len(certificate_failures)),
            ("liveness_violations", liveness_violations),
            ("halt_violations", len(liveness["halt_violations"])),
            ("verify_store_failures", len(bad_stores)), ("unreadable_stores", len(unreadable)),
            ("crashes", len(self.cluster.crashes)), ("unclean_exits", len(unclean)),
        ) if count]
        schedule = []
        for fault in self.schedule:
            entry = {k: v for k, v in asdict(fault).items()
                     if v is not None and not (k == "delay_ms" and not v)}
            entry["target"] = "->".join(fault.target) if fault.kind == "cut" else \
                "<->".join(fault.target)
            happened = {k: v for k, v in asdict(self.happened[fault.id]).items() if v}
            schedule.append({**entry, **happened})
        final = min((len(c) - 1 for c in chains.values()), default=0)
        return {
            "seed": self.args.seed,
            "minutes": self.args.minutes,
            "ok": not failures,
            "failures": failures,
            "faults_injected": {**{k: injected.get(k, 0) for k in KINDS},
                                "f+1_episodes": len(episodes)},
            "transactions": {
                "workflows": self.workflows,
                "submitted": sum(1 for e in self.entries if e.accepted),
                "committed": len(commits),
                "lost": len(lost),
                "unconfirmed": sum(1 for e in self.entries if e.committed is None),
                "shed": self.shed,
                "refusals": dict(self.refusals.most_common()),
            },
            "lost": lost[:20],
            "forks": len(forks),
            "fork_heights": forks[:10],
            "duplicate_txs": duplicates[:20],
            "certificate_failures": len(certificate_failures),
            "certificate_failure_list": certificate_failures[:20],
            "liveness_violations": liveness_violations,
            "liveness": liveness,
            "convergence": convergence,
            "final_height": final,
            "heads": {n: len(c) - 1 for n, c in chains.items()},
            "verify_store": verified,
            "unreadable_stores": unreadable,
            "crashes": self.cluster.crashes,
            "exit_codes": exits,
            "load_seconds": end_s,
            "seconds": round(seconds, 1),
            "schedule": schedule,
        }


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/chaos",
        description="Run a 4-validator network under load and faults from a seed; check "
                    "that nothing is lost, nothing forks, certificates verify and the "
                    "chain stays live. Prints JSON; exits 1 on any violation.")
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="length of the loaded run, faults in all but its last "
                             f"{TAIL_S:g} s (10)")
    parser.add_argument("--seed", type=int, default=1, help="the nemesis' seed (1)")
    parser.add_argument("--rate", type=float, default=8.0,
                        help="issuance workflows (3 transactions each) per second (8)")
    parser.add_argument("--work", type=Path, default=None,
                        help="run directory (kept); default: a new temporary one, removed "
                             "when every check passes")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.minutes * 60 < TAIL_S + 10 or args.rate <= 0 or args.seed < 0:
        parser.error(f"--minutes must leave {TAIL_S + 10:g} s at least, --rate be "
                     "positive, --seed non-negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        work = args.work
    else:
        work = Path(tempfile.mkdtemp(prefix=f"claimledger-chaos-{args.seed}-"))
    run = Run(args, work)
    try:
        report = asyncio.run(run.run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        run.cluster.kill_all()
        print(f"chaos run interrupted; its directory is kept: {work}", file=sys.stderr)
        return 130
    except BaseException:
        run.cluster.kill_all()
        print(f"chaos run failed; its directory is kept: {work}", file=sys.stderr)
        raise
    keep = args.keep or args.work is not None or not report["ok"]
    if keep:
        report["run_dir"] = str(work)
        (work / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
