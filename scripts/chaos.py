"""A chaos run of a real network: faults from a seed, steady load, and a checker. Run
through `scripts/chaos`.

    scripts/chaos --minutes M --seed S [--rate W] [--membership on|off] [--work DIR]
                  [--keep] [--quiet]

Four validators and an observer run as processes on 127.0.0.1. Every peer link goes
through a fault-injecting TCP proxy run here (one per directed dialler -> peer pair; the
nodes dial them with `--peer-route`, certificates stay pinned). A nemesis follows a
schedule drawn from the seed at a fixed step: it kills validators (SIGKILL) and restarts
them, pauses processes (SIGSTOP / SIGCONT), and drops, delays or cuts one direction of
links; usually at most f = 1 validator is faulty, sometimes f + 1 = 2 go down together
(killed, or one killed and one paused) and the chain must halt without forking.
With --membership on (the default) the nemesis also changes the members through the node
registry, as operators do (the agency proposes, the validators' operator approves; in
force two heights after the approving block): it removes a validator and adds it back,
changes one's power, rotates one's key (the node restarts with a new key store once the
new key is in force), admits an observer started from a fresh home and removes it, and
adds a fifth validator started from a fresh home (Fault, make_schedule). Faulty power is
counted against the set in force: a removed validator is not faulty, a new or re-added
one is until it has caught up; no change is planned that would leave the set unable to
reach 2/3.
Meanwhile a load generator runs issuance workflows (apply, confirm, approve) against
random live validators and notes every transaction the API reports committed, with its
height.

At the end everything is healed, the nodes converge and stop, and the checker reads
every node's store: nothing reported committed is missing (at its height, on every
node; a removed observer, stopped for good, is checked for forks only), no two nodes
differ in block id or state root at any height, every commit certificate verifies
against the validator set in force at its height (the registry in the node's store),
`claimledger-node verify-store` passes on every node, every key a join or rotation
brings in signs a certificate, and the chain advanced in every window of WINDOW_S seconds
in which the faulty power (killed, paused, cut off, restarting or catching up) stayed
within what the set in force tolerates, from GRACE_S before the window on (a delayed
link is not a fault there). The report, with the membership changes and the heights
that applied and undid them, and the validator sets by height, is one JSON
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
import dataclasses
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
from contracts import nodes as registry  # noqa: E402
from contracts.codec import encode  # noqa: E402
from contracts.identity import KeyPair, verify  # noqa: E402
from contracts.keystore import seal  # noqa: E402
from contracts.tx import decode_transaction, payload_id  # noqa: E402
from node.genesis import encode_genesis  # noqa: E402
from node.home import GENESIS_FILE, NODE_TOML, render_node_toml  # noqa: E402
from node.network_template import read_plan  # noqa: E402
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
    build_tx,
    confirm_tx,
    free_port_block,
    make_cluster,
    now_ms,
    register_signer,
    signer_of,
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
# After a membership change's end the planner counts the set as changing this long yet:
# the undoing transactions commit, a restarted or new node starts and catches up.
RECOVERY_S = {"kill": 4.0, "pause": 2.0, "drop": 1.5, "delay": 0.5, "cut": 1.5,
              "remove": 6.0, "power": 4.0, "rotate": 6.0, "observe": 2.0, "join": 8.0}
MIN_FAULT_S = 2.0
P_NEW = 0.6  # a new fault at a step (after every kind has been injected once)
EPISODE_EVERY_S = 150.0  # an f + 1 episode about this often, when nothing else runs
DELAY_MS = (50, 500)
# Membership changes: the agency proposes, the operators approve (the agency operates
# every validator here), and the change is in force two heights after the approval.
MEMBERSHIP_KINDS = ("remove", "power", "rotate", "observe", "join")
CHANGE_S = {"remove": (6.0, 12.0), "power": (6.0, 12.0), "rotate": (6.0, 8.0),
            "observe": (6.0, 15.0), "join": (6.0, 8.0)}
CHANGED_POWER = 2
JOINER = f"validator-{VALIDATORS}"  # the new validator a `join` adds
NEW_OBSERVER = f"observer-{OBSERVERS}"  # the observer an `observe` admits
MEMBERSHIP_DEFAULT = "on"
P_CHANGE = 0.05  # a new change at a step (after the first ones)
MEMBERSHIP_SHORT = 2  # the changes a run shorter than MEMBERSHIP_ALL_S starts with
MEMBERSHIP_ALL_S = 150.0

WORKERS = 16
RESUBMIT_S = 10.0  # a workflow's transactions go to another validator after this
RETRY_S = 1.0  # after a refusal (mempool full, rate limited) or no answer
WORKFLOW_TIMEOUT_S = 120.0
DRAIN_S = 45.0  # how long the last workflows may take once the load stops
CHANGE_COMMIT_S = 30.0  # how long a registry transaction may take to commit
CONVERGE_S = 120.0
READY_S = 60.0
PROXY_CHUNK = 1 << 16
PROXY_QUEUE_CHUNKS = 256
PROXY_CONNECT_S = 3.0
UP, DOWN = "up", "down"  # through a proxy: dialler -> peer, peer -> dialler


# ------------------------------------------------------------------ the schedule


@dataclass(frozen=True)
class Fault:
    """One planned fault or membership change. `target` is (node,) for kill and pause,
    (a, b) for a link: drop and delay act on both directions, cut stops the bytes from a
    to b. A membership change (MEMBERSHIP_KINDS) names its node: `remove` takes a
    validator out of the set at `start_s` and adds it back at `end_s`; `power` gives it
    CHANGED_POWER and then its power of 1 back; `rotate` gives it a new key (it restarts
    with a new key store once the new key is in force); `observe` admits a new observer
    and removes it at `end_s`; `join` adds a new validator, caught up by `end_s`."""

    id: int
    kind: str
    target: tuple[str, ...]
    start_s: float
    end_s: float
    delay_ms: int = 0
    episode: int | None = None  # the f + 1 episode this kill belongs to


def min_cover(powers: Mapping[str, int], down: Iterable[str],
              broken: Iterable[tuple[str, str]]) -> int:
    """The least power of validators that, counted as faulty, leave all the others up and
    linked to each other both ways (a minimum weight vertex cover of the broken links,
    over the down ones)."""
    members = set(powers)
    down_set = set(down) & members
    edges = [(a, b) for a, b in broken if a in members and b in members and a != b]
    rest = sorted(members - down_set)
    best = None
    for size in range(len(rest) + 1):
        for extra in itertools.combinations(rest, size):
            chosen = down_set | set(extra)
            if all(a in chosen or b in chosen for a, b in edges):
                power = sum(powers[n] for n in chosen)
                best = power if best is None else min(best, power)
    assert best is not None, "every validator faulty covers every link"
    return best


def faulty_count(validators: Sequence[str], down: Iterable[str],
                 broken: Iterable[tuple[str, str]]) -> int:
    """The fewest validators that, counted as faulty, leave all the others up and linked
    to each other both ways (a minimum vertex cover of the broken links, over the down)."""
    return min_cover({v: 1 for v in validators}, down, broken)


def tolerated(powers: Mapping[str, int]) -> int:
    """The most power that may be faulty while the rest holds more than 2/3 of it all."""
    return (sum(powers.values()) - 1) // 3


def faults_faulty(validators: Sequence[str], faults: Iterable[Fault]) -> int:
    faults = list(faults)
    down = [f.target[0] for f in faults if f.kind in PROCESS_KINDS]
    broken = [(f.target[0], f.target[1]) for f in faults if f.kind in BREAKING_KINDS]
    return faulty_count(validators, down, broken)


def powers_during(validators: Sequence[str], changes: Iterable[Fault], t: float
                  ) -> dict[str, int]:
    """The validators' powers the planner counts at `t`: a join from its start on, a
    removal and a power change from their start to their end (and RECOVERY_S after, as
    if the set had changed back only then: the stricter of the two sets)."""
    powers = {v: 1 for v in validators}
    for change in changes:
        node = change.target[0]
        if change.kind == "join" and change.start_s <= t:
            powers[node] = 1
        elif change.start_s <= t < change.end_s + RECOVERY_S[change.kind]:
            if change.kind == "remove":
                powers.pop(node, None)
            elif change.kind == "power":
                powers[node] = CHANGED_POWER
    return powers


def load_at(validators: Sequence[str], busy: Iterable[Fault], changes: Iterable[Fault],
            t: float) -> tuple[int, int]:
    """(faulty power, tolerated power) the planner counts at `t`: `busy` faults, plus a
    joining validator until it has caught up and a rotating one until it answers again
    with its new key, against the set as `changes` leave it."""
    changes = list(changes)
    powers = powers_during(validators, changes, t)
    busy = list(busy)
    down = [f.target[0] for f in busy if f.kind in PROCESS_KINDS]
    down += [c.target[0] for c in changes if c.kind in ("join", "rotate")
             and c.start_s <= t < c.end_s + RECOVERY_S[c.kind]]
    broken = [(f.target[0], f.target[1]) for f in busy if f.kind in BREAKING_KINDS]
    return min_cover(powers, down, broken), tolerated(powers)


def _link(fault: Fault) -> frozenset[str]:
    return frozenset(fault.target)


def _touches_validators(fault: Fault, validators: Sequence[str]) -> bool:
    return all(node in validators for node in fault.target)


def _changing(changes: Iterable[Fault], t: float) -> list[Fault]:
    """The membership changes under way at `t` (with their RECOVERY_S)."""
    return [c for c in changes if c.start_s <= t < c.end_s + RECOVERY_S[c.kind]]


def _plan_fault(rng: random.Random, kind: str, t: float, horizon: float, busy: list[Fault],
                validators: list[str], nodes: list[str], links: list[tuple[str, str]],
                next_id: int, changes: Sequence[Fault] = ()) -> Fault | None:
    # A node a membership change acts on takes no fault meanwhile (its process is the
    # nemesis's to stop and start, its links are changing).
    changing = {c.target[0] for c in _changing(changes, t)}
    if kind in PROCESS_KINDS:
        taken = {f.target[0] for f in busy if f.kind in PROCESS_KINDS} | changing
        pool = validators if kind == "kill" else nodes
        targets = [(n,) for n in pool if n not in taken]
    else:
        taken_links = {_link(f) for f in busy if f.kind not in PROCESS_KINDS}
        targets = [link for link in links if frozenset(link) not in taken_links
                   and not changing & set(link)]
    lo, hi = DURATION_S[kind]
    duration = round(rng.uniform(lo, hi), 1)
    end = min(round(t + duration, 1), horizon)
    if end - t < MIN_FAULT_S:
        return None
    delay_ms = rng.randrange(DELAY_MS[0], DELAY_MS[1] + 1, 10) if kind == "delay" else 0
    before, _ = load_at(validators, busy, changes, t)
    fitting = []
    for target in targets:
        candidate = Fault(next_id, kind, target, t, end, delay_ms)
        # Counted over the whole fault: a set that changes meanwhile must tolerate it too.
        worst = max(
            (load_at(validators, [*busy, candidate], changes, moment)
             for moment in _moments(changes, t, end + RECOVERY_S[kind])),
            key=lambda load: load[0] - load[1])
        after, allowed = worst
        if after <= allowed or (after == before and
                                not _touches_validators(candidate, validators)):
            fitting.append(candidate)
    if not fitting:
        return None
    chosen = fitting[rng.randrange(len(fitting))]
    if kind == "cut" and rng.random() < 0.5:  # either direction of the link
        chosen = Fault(chosen.id, kind, chosen.target[::-1], t, end)
    return chosen


def _moments(changes: Iterable[Fault], start: float, end: float) -> list[float]:
    """`start` and every moment in [start, end) at which the planner's set changes."""
    out = {start}
    for c in changes:
        for moment in (c.start_s, c.end_s + RECOVERY_S[c.kind]):
            if start < moment < end:
                out.add(moment)
    return sorted(out)


def _plan_episode(rng: random.Random, t: float, horizon: float, busy: list[Fault],
                  validators: list[str], next_id: int, episode: int,
                  changes: Sequence[Fault] = ()) -> list[Fault]:
    if any(_touches_validators(f, validators) for f in busy):
        return []
    if any(c.kind != "observe" for c in _changing(changes, t)):
        return []
    pair = rng.sample(validators, 2)
    out = []
    for i, node in enumerate(pair):
        kind = "kill" if i == 0 else rng.choice(("kill", "pause"))
        end = round(t + rng.uniform(*EPISODE_S), 1)
        if end > horizon:
            return []
        out.append(Fault(next_id + i, kind, (node,), t, end, episode=episode))
    if any(c.start_s < max(f.end_s for f in out) + RECOVERY_S["kill"]
           for c in changes if c.start_s > t and c.kind != "observe"):
        return []
    return out


def _plan_change(rng: random.Random, kind: str, t: float, horizon: float,
                 busy: list[Fault], validators: list[str], changes: list[Fault],
                 next_id: int) -> Fault | None:
    """A membership change at `t`, if it fits: one change of the validators at a time (and
    one of the observers), none while an f + 1
    episode or a fault of the node it names runs, and only if the set, while it changes
    and after, still holds more than 2/3 of its power up and linked (a removal while
    another validator is down leaves three of which one is faulty: no)."""
    # An observer holds no vote: its admission runs beside a change of the validators.
    under_way = [c for c in _changing(changes, t) if (c.kind == "observe") == (kind == "observe")]
    if under_way or any(f.episode is not None for f in busy):
        return None
    lo, hi = CHANGE_S[kind]
    end = round(t + rng.uniform(lo, hi), 1)
    if end + RECOVERY_S[kind] > horizon:
        return None
    if kind == "join":
        if any(c.kind == "join" for c in changes):
            return None  # one newcomer per run, JOINER
        targets = [JOINER]
    elif kind == "observe":
        if any(c.kind == "observe" for c in changes):
            return None
        targets = [NEW_OBSERVER]
    else:
        touched = {n for f in busy for n in f.target}
        targets = [v for v in validators if v not in touched]
    members = [*validators, *(c.target[0] for c in changes if c.kind == "join")]
    fitting = []
    for node in targets:
        candidate = Fault(next_id, kind, (node,), t, end)
        trial = [*changes, candidate]
        loads = [load_at(members, busy, trial, moment)
                 for moment in _moments(trial, t, end + RECOVERY_S[kind])]
        if all(faulty <= allowed for faulty, allowed in loads):
            fitting.append(candidate)
    if not fitting:
        return None
    return fitting[rng.randrange(len(fitting))]


def make_schedule(seed: int, minutes: float, validators: Sequence[str],
                  observers: Sequence[str], step_s: float = STEP_S,
                  tail_s: float = TAIL_S, membership: bool = True) -> list[Fault]:
    """The faults of a run, from the seed alone. Every kind (and one f + 1 episode) comes
    first, in an order drawn from the seed, as soon as each fits; then a new fault
    at a step with probability P_NEW, and about every EPISODE_EVERY_S an f + 1 episode
    (two validators killed, or one killed and one paused, at once: no new fault until
    every validator is healthy for it). A fault is planned only if it keeps the faulty
    power within what the set in force tolerates (counting each fault until RECOVERY_S
    after its end), or touches no validator; f + 1 episodes start only when no validator
    is faulty. With `membership`, membership changes (MEMBERSHIP_KINDS) come beside the
    faults, at most one at a time: MEMBERSHIP_SHORT of them first in a short run (every
    kind in a run of MEMBERSHIP_ALL_S or more), then one with probability P_CHANGE at a
    step. Every fault and change ends by the tail of the run."""
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
    # The membership changes draw from a generator of their own, so that a run with
    # them off plans the very faults it planned before they existed.
    change_rng = random.Random(seed * 7919 + 1)
    pending_changes = list(MEMBERSHIP_KINDS) if membership else []
    change_rng.shuffle(pending_changes)
    if horizon < MEMBERSHIP_ALL_S:
        pending_changes = pending_changes[:MEMBERSHIP_SHORT]
    faults: list[Fault] = []
    changes: list[Fault] = []
    episodes = 0
    episode_due = False  # drawn: no new fault until the validators are healthy for it
    for step in itertools.count(1):
        t = round(step * step_s, 1)
        if t + MIN_FAULT_S > horizon:
            break
        busy = [f for f in faults if f.start_s <= t < f.end_s + RECOVERY_S[f.kind]]
        # The first episode needs every validator healthy: changes start after it.
        if membership and EPISODE not in uncovered and \
                (pending_changes or change_rng.random() < P_CHANGE):
            wish = pending_changes[0] if pending_changes else change_rng.choice(
                [k for k in MEMBERSHIP_KINDS if k not in ("join", "observe")])
            made_change = _plan_change(change_rng, wish, t, horizon, busy, validators,
                                       changes, len(faults) + len(changes))
            if made_change is not None:
                changes.append(made_change)
                if wish in pending_changes:
                    pending_changes.remove(wish)
        if uncovered:
            wishes = list(uncovered)
        else:
            episode_due = episode_due or rng.random() < step_s / EPISODE_EVERY_S
            wishes = [EPISODE] if episode_due else []
            if not episode_due and rng.random() < P_NEW:
                wishes.append(rng.choices(KINDS, [WEIGHTS[k] for k in KINDS])[0])
        for wish in wishes:
            next_id = len(faults) + len(changes)
            if wish == EPISODE:
                made = _plan_episode(rng, t, horizon, busy, validators, next_id, episodes,
                                     changes)
                episodes += bool(made)
                episode_due = episode_due and not made
            else:
                one = _plan_fault(rng, wish, t, horizon, busy, validators, nodes, links,
                                  next_id, changes)
                made = [one] if one else []
            if made:
                faults.extend(made)
                if wish in uncovered:
                    uncovered.remove(wish)
                break
    return sorted([*faults, *changes], key=lambda f: f.id)


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
    """Heights at which nodes hold different blocks or state roots. A state-synced node's
    chain holds block 0 and the blocks from its base on: it is compared where it has
    blocks."""
    forks = []
    held = {node: {block.height: block for block in chain} for node, chain in chains.items()}
    top = max((max(blocks, default=-1) + 1 for blocks in held.values()), default=0)
    for height in range(top):
        versions: dict[tuple[str, str], list[str]] = {}
        for node, blocks in sorted(held.items()):
            block = blocks.get(height)
            if block is not None:
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
    # A state-synced node holds no blocks between genesis and its base.
    base = {node: min((b.height for b in chain if b.height > 0), default=0)
            for node, chain in chains.items()}
    lost = []
    for commit in commits:
        found = {node: index[node].get(commit.tx_id, []) for node in sorted(chains)
                 if commit.height >= base[node]}
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
    the power of the validators faulty and of those down (killed, paused, restarting),
    and the faulty power the set in force then tolerates."""

    t: float
    height: int | None
    faulty: int
    down: int
    tolerated: int = F


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


def check_liveness(samples: Sequence[Sample], window_s: float = WINDOW_S,
                   grace_s: float = GRACE_S, halt_grace_s: float = HALT_GRACE_S) -> dict:
    """Every window of `window_s` in which the faulty power stayed within what the set
    in force tolerated (f), from `grace_s` before its start to its end, must see the
    highest head grow. Stretches with more than f faulty are reported apart; where more
    than f were down the whole time, the head must not grow after `halt_grace_s` (no
    quorum can sign)."""
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
        if any(s.faulty > s.tolerated for s in samples[k:j + 1]):
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
    for a, b in _stretches(samples, [s.faulty > s.tolerated for s in samples]):
        over.append({"from_s": samples[a].t, "to_s": samples[b].t,
                     "faulty": max(s.faulty for s in samples[a:b + 1]),
                     "height_from": heads[a], "height_to": heads[b],
                     "grew_by": heads[b] - heads[a]})
    halts = []
    for a, b in _stretches(samples, [s.down > s.tolerated for s in samples]):
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

    def __init__(self, net: Network, routes: list[str], code: Path,
                 home: Path | None = None) -> None:
        super().__init__(net)
        self.routes = routes
        self.code = code
        self.home = home

    def start(self, preexec_fn: Callable[[], None] | None = None) -> RoutedNode:
        if self.home is not None:  # a node the genesis does not list, or a rotated key
            args = [str(NODE_BIN), "run", "--home", str(self.home)]
        else:
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
    home: Path | None = None  # genesis.json and node.toml, when it runs from a home
    in_set: bool = True  # a validator the registry counts (the load submits to it)
    retired: bool = False  # stopped for good by the nemesis (a removed observer)

    @property
    def proc(self) -> RoutedNode:
        return self.runs[-1]

    @property
    def popen(self) -> subprocess.Popen:
        process = self.proc.process
        assert process is not None
        return process


def build_network(root: Path, validators: int = VALIDATORS, observers: int = OBSERVERS,
                  extra: int = 2) -> tuple[list[Network], dict[str, int], int]:
    """Keys and one network.toml with every port in one block below the ephemeral range
    (a restarted node binds its ports again; no outgoing connection may hold one).
    Returns the networks (validators first), the peer ports and the first port after
    them: the proxies' and then `extra` more (JOINER's API and peer ports, then
    NEW_OBSERVER's)."""
    nodes = validators + observers
    diallers = nodes + 2  # JOINER and NEW_OBSERVER dial too
    proxies = diallers * (validators + 1) - (validators + 1)  # to the validators and JOINER
    base = free_port_block(nodes + validators + proxies + extra + 1)
    nets = make_cluster(root, validators, observers, chain_id="claimledger-chaos",
                        port_base=base, limits=LOAD_LIMITS)  # its load is past the defaults
    peer_ports = {n.root.name: n.peer_port for n in nets[:validators]}
    return nets, peer_ports, base + nodes + validators


def write_home(home: Path, net: Network, name: str, peer: str | None,
               state_sync: bool = False) -> Path:
    """A node's home as `claimledger-node init` makes one: the network's genesis.json, a
    node.toml with its listen addresses, key store and data directory (the network's
    [limits]), so that a key the genesis does not list runs by node.toml's name. With
    `state_sync` the node starts from a peer's snapshot (NEW_OBSERVER does: the run has
    a state-synced node among those that must agree)."""
    plan = read_plan(net.network_file.read_text(encoding="utf-8"))
    home.mkdir(parents=True, exist_ok=True)
    (home / GENESIS_FILE).write_bytes(encode_genesis(plan.genesis))
    text = render_node_toml(
        name, f"127.0.0.1:{net.port}", peer, key_file=str(net.key_file),
        data_dir=str(net.data_dir), limits=dataclasses.asdict(plan.limits),
        max_mempool_txs=plan.max_mempool_txs, sync_batch_blocks=plan.sync_batch_blocks)
    if state_sync:
        assert "\n# state_sync = true" in text
        text = text.replace("\n# state_sync = true", "\nstate_sync = true")
    (home / NODE_TOML).write_text(text, encoding="utf-8")
    return home


def new_key_store(path: Path, name: str) -> KeyPair:
    """A fresh node key sealed with the passphrase the nodes share, as the others are."""
    key = KeyPair.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(seal(key, PASSPHRASE, name)), encoding="utf-8")
    return key


class Cluster:
    """The node processes, the proxies between them, and the faults acting on both. With
    `membership`, JOINER and NEW_OBSERVER have their ports, keys, homes and proxies from
    the start (not running: a membership change starts them), and every node is told
    the route to JOINER."""

    def __init__(self, root: Path, say: Callable[[str], None],
                 membership: bool = False) -> None:
        nets, peer_ports, port = build_network(root / "net")
        self.code = snapshot_code(root)
        self.say = say
        self.membership = membership
        self.validators = [n.root.name for n in nets[:VALIDATORS]]
        self.observers = [n.root.name for n in nets[VALIDATORS:]]
        self.extra: list[str] = []
        if membership:
            template = nets[0]
            for name, api, peer in ((JOINER, port, port + 1), (NEW_OBSERVER, port + 2, 0)):
                home = root / "net" / name
                key_file = home / "key.json"
                net = Network(root=home, chain_id=template.chain_id, port=api,
                              genesis_ms=template.genesis_ms,
                              validator=new_key_store(key_file, name),
                              members=template.members, network_file=template.network_file,
                              key_file=key_file, data_dir=home / "data", peer_port=peer)
                register_signer(net.api, signer_of(template.api))  # the load signs to it
                nets.append(net)
                self.extra.append(name)
            peer_ports[JOINER] = port + 1
            port += 3
        peers = [*self.validators, *(n for n in self.extra if n == JOINER)]
        self.proxies: dict[tuple[str, str], Proxy] = {}
        for dialler in self.validators + self.observers + self.extra:
            for peer in peers:
                if peer != dialler:
                    self.proxies[(dialler, peer)] = Proxy(f"{dialler}->{peer}",
                                                          peer_ports[peer], port)
                    port += 1
        self.members: dict[str, Member] = {}
        for net in nets:
            name = net.root.name
            routes = [f"{peer}=127.0.0.1:{self.proxies[(name, peer)].port}"
                      for peer in peers if peer != name]
            self.members[name] = Member(name, net, name in self.validators, routes)
        for name in self.extra:
            member = self.members[name]
            member.validator = name == JOINER
            member.in_set = False
            member.home = write_home(member.net.root / "home", member.net, name,
                                     f"127.0.0.1:{member.net.peer_port}"
                                     if member.validator else None,
                                     state_sync=name == NEW_OBSERVER)
        self.chain_id = nets[0].chain_id
        self.crashes: list[dict] = []
        self.t0 = 0.0

    def now_s(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    # ---------------------------------------------------------------- processes

    def spawn(self, name: str) -> None:
        member = self.members[name]
        member.runs.append(RoutedNode(member.net, member.routes, self.code,
                                      member.home).start())
        member.state = "starting"

    def rotate_key(self, name: str, count: int) -> KeyPair:
        """A new key store for `name` (its `count`th) and a home that runs the node from
        its data with it; the node starts from there at its next spawn."""
        member = self.members[name]
        net = member.net
        key_file = net.root / f"key-rotated-{count}.json"
        net.validator = new_key_store(key_file, name)
        net.key_file = key_file
        member.home = write_home(net.root / f"home-rotated-{count}", net, name,
                                 f"127.0.0.1:{net.peer_port}" if member.validator else None)
        return net.validator

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
            if name not in self.extra:
                self.spawn(name)
        for name in self.members:
            if name in self.extra:
                continue
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
        """The validators the registry counts now that answer."""
        return [n for n, m in self.members.items()
                if m.validator and m.in_set and m.state == "up"]

    def live_nodes(self) -> list[str]:
        return [n for n, m in self.members.items() if m.state == "up"]

    def running(self) -> list[Member]:
        """The nodes started once and not retired: those that must converge and agree."""
        return [m for m in self.members.values() if m.runs and not m.retired]

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
    height: int | None = None  # a membership change: the block that applied it ...
    undone_height: int | None = None  # ... and the one that undid it (remove, power, observe)
    new_key: str = ""  # the key a join or a rotation brings in, in hex


class ChangeFailed(Exception):
    """A registry transaction the nemesis could not get committed."""


class Run:
    """One chaos run in `work`: the schedule drawn from the seed, or the one given."""

    def __init__(self, args: argparse.Namespace, work: Path,
                 schedule: list[Fault] | None = None) -> None:
        self.args = args
        self.work = work
        self.rng = random.Random(args.seed + 1)  # node choices for the load
        membership = getattr(args, "membership", "off") == "on"
        self.cluster = Cluster(work, self.say, membership)
        self.schedule = schedule if schedule is not None else make_schedule(
            args.seed, args.minutes, self.cluster.validators, self.cluster.observers,
            membership=membership)
        self.happened = {f.id: Happened() for f in self.schedule}
        # What the registry counted when, as the nemesis saw its transactions commit:
        # (seconds, validator, power; 0 is out of the set), and the nodes counted faulty
        # from a moment until they answer again (a rotated key's restart: down) or have
        # caught up with the others (a newcomer, a validator added back: syncing).
        self.power_log: list[tuple[float, str, int]] = [
            (0.0, v, 1) for v in self.cluster.validators]
        self.restarting: list[tuple[str, float, float | None]] = []
        self.syncing: list[tuple[str, float]] = []
        self.rotations = 0
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
            if fault.kind in MEMBERSHIP_KINDS:
                if is_start:  # its end is the same task's: the undoing waits for the doing
                    self.tasks.append(asyncio.create_task(self.change(http, fault)))
            elif is_start:
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
            if cluster.members[name].state != "killed":  # another hand started it already
                happened.note = f"not restarted: {name} is {cluster.members[name].state}"
                return
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

    # ---------------------------------------------------------------- membership

    async def change(self, http: aiohttp.ClientSession, fault: Fault) -> None:
        """Carry out one membership change: its registry transactions (the agency
        proposes, the agency as every validator's operator approves), then its process
        part once the change is in force; at `end_s` its undoing. A change the chain
        would not take is noted and left."""
        happened = self.happened[fault.id]
        name = fault.target[0]
        member = self.cluster.members[name]
        try:
            happened.applied_s = self.cluster.now_s()
            if fault.kind == "remove":
                happened.height = await self.govern(http, registry.Change(
                    "remove_validator", member.net.validator.address))
                member.in_set = False
                self.power_log.append((self.cluster.now_s(), name, 0))
            elif fault.kind == "power":
                happened.height = await self.govern(http, registry.Change(
                    "set_power", member.net.validator.address, power=CHANGED_POWER))
                self.power_log.append((self.cluster.now_s(), name, CHANGED_POWER))
            elif fault.kind == "rotate":
                await self.rotate(http, fault, member)
            elif fault.kind == "observe":
                self.cluster.spawn(name)  # it follows, refused by its peers until admitted
                happened.height = await self.observer_tx(http, "admit_observer", member)
                if await self.cluster.wait_ready(http, name):
                    happened.ready_s = self.cluster.now_s()
            elif fault.kind == "join":
                self.cluster.spawn(name)  # it follows until the change is in force
                happened.new_key = member.net.validator.address.hex()
                happened.height = await self.govern(http, self.addition(member))
                member.in_set = True
                self.power_log.append((self.cluster.now_s(), name, 1))
                self.syncing.append((name, self.cluster.now_s()))
                if await self.cluster.wait_ready(http, name):
                    happened.ready_s = self.cluster.now_s()
            self.say(f"change {fault.id}: {fault.kind} {name} applied at height "
                     f"{happened.height}")
            await asyncio.sleep(max(0.0, self.cluster.t0 + fault.end_s - time.monotonic()))
            if fault.kind == "remove":
                happened.undone_height = await self.govern(http, self.addition(member))
                member.in_set = True
                self.power_log.append((self.cluster.now_s(), name, 1))
                self.syncing.append((name, self.cluster.now_s()))
            elif fault.kind == "power":
                happened.undone_height = await self.govern(http, registry.Change(
                    "set_power", member.net.validator.address, power=1))
                self.power_log.append((self.cluster.now_s(), name, 1))
            elif fault.kind == "observe":
                happened.undone_height = await self.observer_tx(http, "remove_observer", member)
                member.retired = True
                member.state = "stopped"
                member.proc.stop()
            happened.healed_s = self.cluster.now_s()
            if happened.undone_height is not None:
                self.say(f"change {fault.id}: {fault.kind} {name} undone at height "
                         f"{happened.undone_height}")
        except ChangeFailed as e:
            happened.note = str(e)
            self.say(f"change {fault.id}: {fault.kind} {name} failed: {e}")

    async def rotate(self, http: aiohttp.ClientSession, fault: Fault, member: Member) -> None:
        """A new key for the validator; once the chain is past H + 1 (the new key is in
        force at H + 2), the node stops and starts again with its new key store."""
        happened = self.happened[fault.id]
        old = member.net.validator.address
        self.rotations += 1
        key_file = member.net.root / f"key-rotated-{self.rotations}.json"
        new = new_key_store(key_file, member.name)
        happened.new_key = new.address.hex()
        happened.height = await self.govern(http, registry.Change(
            "rotate_key", old, new_key=new.address))
        await self.wait_height(http, happened.height + 1)
        stopped_s = self.cluster.now_s()
        self.restarting.append((member.name, stopped_s, None))
        if member.state in ("up", "starting", "paused"):
            self.cluster.kill(member.name)
        member.net.validator, member.net.key_file = new, key_file
        member.home = write_home(member.net.root / f"home-rotated-{self.rotations}",
                                 member.net, member.name, f"127.0.0.1:{member.net.peer_port}")
        self.cluster.spawn(member.name)
        ready = await self.cluster.wait_ready(http, member.name)
        happened.ready_s = self.cluster.now_s() if ready else None
        self.restarting[-1] = (member.name, stopped_s, happened.ready_s)
        if not ready:
            raise ChangeFailed(f"{member.name} did not answer with its new key")

    def addition(self, member: Member) -> registry.Change:
        agency = member.net.members["agency"].address
        return registry.Change("add_validator", member.net.validator.address, power=1,
                               peer=f"127.0.0.1:{member.net.peer_port}", operator=agency,
                               name=member.name)

    async def observer_tx(self, http: aiohttp.ClientSession, operation: str,
                          member: Member) -> int:
        agency = member.net.members["agency"]
        if operation == "admit_observer":
            body: object = registry.AdmitObserver(agency.address, member.net.validator.address,
                                                  agency.address, member.name)
        else:
            body = registry.RemoveObserver(agency.address, member.net.validator.address)
        view = await self.commit_tx(http, operation, body)
        return int(view["height"])

    async def govern(self, http: aiohttp.ClientSession, change: registry.Change) -> int:
        """Propose `change` as the agency and approve it as the validators' operator; the
        height of the block that applied it."""
        net = self.cluster.members[self.cluster.validators[0]].net
        agency = net.members["agency"]
        proposal = await self.commit_tx(http, "propose", registry.Propose(
            agency.address, change, now_ms() + 3_600_000))
        view = await self.commit_tx(http, "approve", registry.Approve(
            agency.address, bytes.fromhex(proposal["id"])))
        if "node.change_applied" not in {e.get("kind") for e in view.get("events", [])}:
            raise ChangeFailed(f"the approval of {change.kind} did not apply it: {view}")
        return int(view["height"])

    async def commit_tx(self, http: aiohttp.ClientSession, operation: str,
                        body: object) -> dict:
        """Submit one registry transaction signed by the agency to live validators until
        one reports it committed; its view."""
        net = self.cluster.members[self.cluster.validators[0]].net
        tx = build_tx(net.chain_id, "nodes", operation, body, net.members["agency"])
        raw, ident = encode(tx), tx_id(tx).hex()
        deadline = time.monotonic() + CHANGE_COMMIT_S
        while time.monotonic() < deadline:
            live = self.cluster.live_validators()
            if not live:
                await asyncio.sleep(0.5)
                continue
            api = self.cluster.members[self.rng.choice(live)].net.api
            status, document = await http_json(http, "POST", f"{api}/v1/txs", raw)
            if status not in (202, 409) or (status == 409 and
                                            error_code(document) != "tx.replay"):
                if status and 400 <= status < 500 and status != 429:
                    raise ChangeFailed(f"{operation} refused: {error_code(document)}")
                await asyncio.sleep(RETRY_S)
                continue
            until = time.monotonic() + RESUBMIT_S
            while time.monotonic() < until:
                status, view = await http_json(
                    http, "GET", f"{api}/v1/txs/{ident}?wait_ms=2000", timeout_s=4)
                if status == 200 and view and view.get("status") == "committed":
                    return {**view, "id": ident}
                if status == 200 and view and view.get("status") == "rejected":
                    raise ChangeFailed(f"{operation} rejected: {view}")
                if status != 200 or not view or view.get("status") != "pending":
                    await asyncio.sleep(0.2)
        raise ChangeFailed(f"{operation} not committed within {CHANGE_COMMIT_S:g} s")

    async def wait_height(self, http: aiohttp.ClientSession, height: int) -> None:
        """Until a live validator's head reaches `height`."""
        deadline = time.monotonic() + CHANGE_COMMIT_S
        while time.monotonic() < deadline:
            for name in self.cluster.live_validators():
                api = self.cluster.members[name].net.api
                status, view = await http_json(http, "GET", f"{api}/v1/status", timeout_s=1)
                if status == 200 and view and int(view["height"]) >= height:
                    return
            await asyncio.sleep(0.2)
        raise ChangeFailed(f"the chain did not reach height {height}")

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
            if h.applied_s is None or fault.kind in MEMBERSHIP_KINDS:
                continue
            until = h.ready_s if fault.kind == "kill" else h.healed_s
            out.append((fault.kind, fault.target, h.applied_s,
                        until if until is not None else end_s))
        for crash in self.cluster.crashes:
            out.append(("kill", (crash["node"],), crash["at_s"], end_s))
        return out

    def powers_at(self, t: float) -> dict[str, int]:
        """The validators' powers in force at `t`, as the registry transactions the
        nemesis saw commit left them (a removed validator is not faulty: it is out)."""
        powers: dict[str, int] = {}
        for at_s, name, power in sorted(self.power_log, key=lambda e: e[0]):
            if at_s > t:
                break
            powers[name] = power
        return {n: p for n, p in powers.items() if p > 0}

    def liveness_samples(self) -> list[Sample]:
        """Each sample's faulty and down power against the set in force then: the faults
        as they happened, a rotated validator from its stop until it answers with its new
        key (down), and a validator added (or added back) from then until its own head
        is within a block of the highest (syncing: faulty, not down)."""
        end_s = self.samples[-1][0] if self.samples else 0.0
        faults = self.actual_faults(end_s + 1)
        caught_up: dict[tuple[str, float], float] = {}
        for name, since in self.syncing:
            for t, heights in self.samples:
                known = [h for h in heights.values() if h is not None]
                mine = heights.get(name)
                if t >= since and mine is not None and known and mine >= max(known) - 1:
                    caught_up[(name, since)] = t
                    break
        out = []
        for t, heights in self.samples:
            powers = self.powers_at(t)
            active = [(k, tg) for k, tg, a, b in faults if a <= t < b]
            down = {tg[0] for k, tg in active if k in PROCESS_KINDS and tg[0] in powers}
            down |= {n for n, a, b in self.restarting
                     if n in powers and a <= t < (b if b is not None else end_s + 1)}
            syncing = {n for n, since in self.syncing if n in powers and since <= t <
                       caught_up.get((n, since), end_s + 1)}
            broken = [(tg[0], tg[1]) for k, tg in active if k in BREAKING_KINDS]
            known = [h for h in heights.values() if h is not None]
            out.append(Sample(t, max(known) if known else None,
                              min_cover(powers, down | syncing, broken),
                              sum(powers[n] for n in down), tolerated(powers)))
        return out

    # ---------------------------------------------------------------- the end

    async def heal_everything(self, http: aiohttp.ClientSession) -> None:
        for proxy in self.cluster.proxies.values():
            proxy.heal()
        for name, member in self.cluster.members.items():
            if member.retired or not member.runs:
                continue
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
        running = self.cluster.running()

        async def statuses() -> dict[str, dict | None]:
            views = await asyncio.gather(*(
                http_json(http, "GET", f"{m.net.api}/v1/status", timeout_s=2)
                for m in running))
            return {m.name: (v if s == 200 else None)
                    for m, (s, v) in zip(running, views, strict=True)}

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
        against the validator set in force at their height (the node registry in the
        node's own store), and the stores that could not be read. Also the validator
        sets the first readable store holds, by the height they are in force from."""
        chains, failures, unreadable = {}, [], []
        self.state_synced: dict[str, int] = {}  # node -> the base its store starts at
        self.validator_sets = []
        self.first_signed: dict[str, int] = {}  # key -> the first certificate it is in
        for name, member in self.cluster.members.items():
            if not member.runs:
                continue  # a node a membership change would have started
            try:
                store = Store(member.net.data_dir / "ledger", create=False)
            except Exception as e:
                unreadable.append({"node": name, "error": repr(e)})
                continue
            try:
                head = store.head()
                assert head is not None, "no head"
                history = list(registry.set_history(store))
                starts = [s.from_height for s in history]
                if not self.validator_sets:
                    self.validator_sets = [
                        {"from_height": s.from_height,
                         "validators": {v.name: v.power for v in s.validators}}
                        for s in history]
                chain = []
                if store.base():
                    self.state_synced[name] = store.base()
                for height in (0, *range(max(store.base(), 1), head.height + 1)):
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
                        if not chains:  # one store is enough: the certificates agree
                            for precommit in certificate.precommits:
                                self.first_signed.setdefault(precommit.validator.hex(),
                                                             height)
                        in_force = history[bisect.bisect_right(starts, height) - 1]
                        powers = {v.key: v.power for v in in_force.validators}
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

        started = [m for m in self.cluster.members.values() if m.runs]
        with ThreadPoolExecutor(2) as pool:
            results = pool.map(one, started)
        return {m.name: result for m, result in zip(started, results, strict=True)}

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
        # A node stopped for good (a removed observer) holds what it held: forks only.
        retired = {n for n, m in self.cluster.members.items() if m.retired}
        lost = find_lost({n: c for n, c in chains.items() if n not in retired}, commits)
        forks = find_forks(chains)
        duplicates = find_duplicates(chains)
        liveness = check_liveness(self.liveness_samples())
        liveness_violations = len(liveness["violations"]) + (not convergence["converged"])
        injected = Counter(f.kind for f in self.schedule
                           if self.happened[f.id].applied_s is not None
                           and f.kind not in MEMBERSHIP_KINDS)
        membership = []
        for change in self.schedule:
            if change.kind not in MEMBERSHIP_KINDS:
                continue
            h = self.happened[change.id]
            entry = {"id": change.id, "kind": change.kind, "node": change.target[0],
                     "planned_s": [change.start_s, change.end_s]}
            if h.height is not None:
                entry |= {"applied_height": h.height,
                          "in_force_height": h.height + registry.APPLY_DELAY
                          if change.kind != "observe" else h.height}
            if h.undone_height is not None:
                entry |= {"undone_height": h.undone_height}
            if h.new_key and h.height is not None:
                signed = getattr(self, "first_signed", {}).get(h.new_key)
                entry |= {"new_key_signed_from": signed}
                if signed is None:
                    h.note = h.note or "the new key signed no certificate"
            entry |= {k: v for k, v in (("applied_s", h.applied_s), ("ready_s", h.ready_s),
                                        ("undone_s", h.healed_s), ("note", h.note)) if v}
            membership.append(entry)
        failed_changes = [m for m in membership if m.get("note")]
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
            ("membership_changes_failed", len(failed_changes)),
        ) if count]
        schedule = []
        for fault in self.schedule:
            if fault.kind in MEMBERSHIP_KINDS:
                continue
            entry = {k: v for k, v in asdict(fault).items()
                     if v is not None and not (k == "delay_ms" and not v)}
            entry["target"] = "->".join(fault.target) if fault.kind == "cut" else \
                "<->".join(fault.target)
            happened = {k: v for k, v in asdict(self.happened[fault.id]).items() if v}
            schedule.append({**entry, **happened})
        final = min((c[-1].height for n, c in chains.items() if n not in retired), default=0)
        return {
            "seed": self.args.seed,
            "minutes": self.args.minutes,
            "ok": not failures,
            "failures": failures,
            "faults_injected": {**{k: injected.get(k, 0) for k in KINDS},
                                "f+1_episodes": len(episodes)},
            "membership_changes": membership,
            "validator_sets": getattr(self, "validator_sets", []),
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
            "heads": {n: c[-1].height for n, c in chains.items()},
            # Nodes that started from a peer's snapshot, with the height their store
            # starts at: compared with the others from there on.
            "state_synced": getattr(self, "state_synced", {}),
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
    parser.add_argument("--membership", choices=("on", "off"), default=MEMBERSHIP_DEFAULT,
                        help="membership changes in the nemesis: validators removed and "
                             "added back, a power changed, a key rotated, an observer "
                             f"admitted and removed, a fifth validator added "
                             f"({MEMBERSHIP_DEFAULT})")
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
