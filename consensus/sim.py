"""A deterministic simulation of validators running the consensus over a faulty network.

`run(seed, validators)` builds n validators (4 or 7), of which up to f are Byzantine and
equivocate, and runs them in simulated time through a network that drops, delays,
duplicates, reorders and corrupts messages, splits into partitions that heal, and
crash-restarts validators that keep only what they synced (sometimes in the middle of a
log write, leaving a torn record). Everything random comes from the seed, so a seed
replays exactly.

After the run it checks:
- agreement: no two correct validators decide differently at a height;
- validity: every decided value was proposed and is valid;
- no correct validator signed two different messages for one (height, round, step),
  counted over every signature it made, across its restarts;
- every decision carries a certificate that verifies;
- liveness: once faults have healed, every correct validator decides further heights.

With `changes`, the validator set changes during the run, as the ledger's node registry
changes it: validators added, removed, their power changed and their keys rotated at
heights drawn from the seed, known to every node as a function of the height (a
schedule fixed before the run, as a chain fixes a set two heights ahead). Spare nodes
run from the start and follow until a set names them; a removed validator follows from
then on; a rotated key is a spare node taking over the old key's power (the operator
starts the node again under the new key). Every check uses the set of its height, and
no set ever gives the Byzantine validators a third of the power.

Signatures here are keyed BLAKE2b, standing in for Ed25519 to keep runs fast; the
consensus sees only the `Signer` and `Verifier` it is handed.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import msgpack

from consensus.certificate import (
    VOTE_DOMAIN,
    Certificate,
    CertificateError,
    Signer,
    verify_certificate,
)
from consensus.driver import (
    Action,
    Broadcast,
    Commit,
    Decided,
    Driver,
    EnteredRound,
    EquivocationFound,
    Event,
    ProposeValue,
    Rejected,
    RequestValue,
    SigningRefused,
    StartTimer,
    Timeout,
    ValidateValue,
    Validity,
)
from consensus.guard import SigningGuard
from consensus.messages import NIL, PROPOSAL_DOMAIN, Message, Proposal, Vote
from consensus.timeouts import TimeoutConfig
from consensus.validators import ValidatorSet
from consensus.wal import MemoryWal, encode_record

CHAIN_ID = "claimledger-sim"
FIRST_HEIGHT = 1
FAULT_WINDOW_MS = 2_500  # partitions, crashes and torn writes happen before this
LIVENESS_BUDGET_MS = 40_000  # after healing, the chain must grow within this
GROWTH = 2  # heights every correct validator must decide after healing
GOSSIP_MS = 250  # a validator that made no progress for this long sends its messages again
CATCH_UP_MS = 100  # at most one certificate per (peer, height) this often
SYNC_BATCH = 16  # certificates sent to a lagging peer at once
MAX_EVENTS = 300_000
TIMEOUT_PROFILES = (
    # Comfortable: most rounds decide.
    TimeoutConfig(
        propose_ms=150, propose_delta_ms=40, prevote_ms=60, prevote_delta_ms=40,
        precommit_ms=60, precommit_delta_ms=40, max_ms=2_000,
    ),
    # Tight: shorter than many message delays, so rounds often end with validators
    # knowing different things: where locks matter.
    TimeoutConfig(
        propose_ms=30, propose_delta_ms=15, prevote_ms=10, prevote_delta_ms=15,
        precommit_ms=10, precommit_delta_ms=15, max_ms=2_000,
    ),
)


# A consensus message, certificates in order, or the height a node that votes nothing is at.
Packet = Message | tuple[Certificate, ...] | int


SPARES = 2  # nodes beyond the initial validators in a run with changing sets
CHANGE_HEIGHTS = range(2, 14)  # heights from which a changed set may be in force
MAX_CHANGE_POWER = 3


def replay_command(seed: int, validators: int, changes: bool = False) -> str:
    tail = " --changes all" if changes else ""
    return f"scripts/simulate --seeds 1 --from {seed} --validators {validators}{tail}"


def changes_for(seed: int, mode: str) -> bool:
    """Whether a seed runs with changing validator sets: "off", "all", or "mix" (every
    third seed)."""
    assert mode in ("off", "mix", "all")
    return mode == "all" or (mode == "mix" and seed % 3 == 2)


def validators_for(seed: int) -> int:
    """Without --validators, even seeds run 4 validators and odd seeds 7."""
    return 4 if seed % 2 == 0 else 7


def is_valid_value(value_id: bytes) -> bool:
    """The simulated application's rule: a value is valid when its first byte is even."""
    return len(value_id) == 32 and value_id[0] % 2 == 0


def sim_signer(key: bytes) -> Signer:
    return lambda message: hashlib.blake2b(message, key=key, digest_size=64).digest()


def sim_verify(key: bytes, message: bytes, signature: bytes) -> bool:
    return hashlib.blake2b(message, key=key, digest_size=64).digest() == signature


def _signed_position(message: bytes) -> tuple:
    """(height, round, step) of what sign bytes sign: proposal step 0, votes their type."""
    if message.startswith(PROPOSAL_DOMAIN):
        _, height, round_, _, _ = msgpack.unpackb(message[len(PROPOSAL_DOMAIN) :])
        return (height, round_, 0)
    assert message.startswith(VOTE_DOMAIN)
    _, type_, height, round_, _ = msgpack.unpackb(message[len(VOTE_DOMAIN) :])
    return (height, round_, type_)


class _Crashed(Exception):
    """The process died in the middle of handling an event."""


class _TearingWal(MemoryWal):
    """A log whose next append can be cut short by a crash, leaving a torn record."""

    tear_at: int | None = None

    def append(self, payload: bytes) -> None:
        if self.tear_at is not None:
            record = encode_record(payload)
            self.data += record[: 1 + self.tear_at % (len(record) - 1)]
            self.tear_at = None
            raise _Crashed
        super().append(payload)


@dataclass
class _Node:
    index: int
    key: bytes
    byzantine: bool
    signer: Signer
    wal: _TearingWal = field(default_factory=_TearingWal)
    driver: Driver | None = None
    incarnation: int = 0
    decided: dict[int, tuple[bytes, Certificate]] = field(default_factory=dict)  # durable
    seen_at_tick: int = -1  # the height at the last gossip tick
    tear_down_ms: int = 0

    @property
    def next_height(self) -> int:
        return max(self.decided, default=FIRST_HEIGHT - 1) + 1


@dataclass
class SimResult:
    seed: int
    validators: int
    byzantine: int
    min_height: int  # the lowest next height among correct validators at the end
    decisions: int  # decisions made by correct validators, all heights
    faults: Counter
    observed: Counter  # what the validators reported: rejections, evidence, refusals
    violations: list[str]
    sim_ms: int
    events: int
    digest: str
    set_changes: int = 0  # validator set changes in force during the run

    @property
    def ok(self) -> bool:
        return not self.violations


class Simulation:
    def __init__(self, seed: int, validators: int, changes: bool = False) -> None:
        assert validators in (4, 7), "the simulator runs 4 or 7 validators"
        self.seed = seed
        self.n = validators
        self.f = (validators - 1) // 3
        self.changes = changes
        self.rng = random.Random(f"claimledger-sim/{seed}/{validators}")
        rng = self.rng
        size = validators + (SPARES if changes else 0)
        keys = [hashlib.sha256(b"sim-validator-%d" % i).digest() for i in range(size)]
        self.validators = ValidatorSet.from_powers({k: 1 for k in keys[:validators]})
        byzantine = rng.choice([self.f, self.f, self.f, rng.randint(0, self.f)])
        bad = set(rng.sample(range(validators), byzantine))
        self.nodes = [
            _Node(i, k, i in bad, self._logging_signer(i, sim_signer(k)))
            for i, k in enumerate(keys)
        ]
        self.byzantine = byzantine
        self._correct = [node for node in self.nodes if not node.byzantine]
        # The network of this seed.
        self.drop_p = rng.choice([0.0, 0.02, 0.05, 0.1, 0.2])
        self.duplicate_p = rng.choice([0.0, 0.02, 0.1])
        self.corrupt_p = rng.choice([0.0, 0.0, 0.01])
        self.max_delay_ms = rng.choice([5, 20, 50])
        self.spike_p = rng.choice([0.0, 0.02, 0.1])
        self.equivocate_p = rng.choice([0.3, 0.7, 1.0])
        self.invalid_p = rng.choice([0.0, 0.5])
        self.timeouts = rng.choice(TIMEOUT_PROFILES)
        # Block sync is slower than consensus: a validator that decided lets a lagging
        # peer wait this long before sending it the certificate.
        self.sync_delay_ms = rng.choice([0, 300, 2_000])
        self.now = 0
        self._seq = 0
        self._queue: list[tuple[int, int, str, tuple]] = []
        self.partition: list[int] | None = None
        self.down: set[int] = set()  # membership only; never iterated
        self.faults: Counter = Counter()
        self.observed: Counter = Counter()
        self.violations: list[str] = []
        self.signed: dict[tuple[int, tuple], bytes] = {}  # (node, position) -> sign bytes
        self.proposed: set[bytes] = set()  # membership only
        self._round_values: dict[tuple[int, int], bytes] = {}  # first proposed, per round
        self._alternative: dict[tuple[int, int], bytes] = {}  # what Byzantines push instead
        self._catch_up_sent: dict[tuple[int, int, int], int] = {}
        self._digest = hashlib.sha256()
        self.events = 0
        self.baseline: tuple[int, int] | None = None  # (time, height) once faults healed
        # (from height, set), ascending: the set of a height is the last one from at or
        # before it. A run without changes keeps its first set throughout.
        self.schedule: list[tuple[int, ValidatorSet]] = [(FIRST_HEIGHT, self.validators)]
        if changes:
            self._plan_changes(keys, {keys[i] for i in bad})

    # -- the validator sets ---------------------------------------------------------------

    def set_at(self, height: int) -> ValidatorSet:
        """The validator set in force at `height`, the same for every node."""
        found = self.schedule[0][1]
        for from_height, node_set in self.schedule:
            if from_height > height:
                break
            found = node_set
        return found

    def _plan_changes(self, keys: list[bytes], bad: set[bytes]) -> None:
        """Changes at heights drawn from the seed, each kept only if the set stays
        non-empty and the Byzantine validators stay under a third of its power. Drawn
        from a generator of their own, so the faults of a seed are the same with or
        without changes."""
        rng = random.Random(f"claimledger-sim-changes/{self.seed}/{self.n}")
        heights = sorted(rng.sample(CHANGE_HEIGHTS, rng.randint(2, 4)))
        powers = dict(self.validators.powers)
        for height in heights:
            kind = rng.choice(("add", "remove", "power", "rotate"))
            new = dict(powers)
            outside = [k for k in keys if k not in powers and k not in bad]
            inside = sorted(powers)
            key = rng.choice(inside)
            if kind == "add" and outside:
                new[rng.choice(outside)] = rng.randint(1, MAX_CHANGE_POWER)
            elif kind == "remove" and len(inside) > 1:
                del new[key]
            elif kind == "power":
                new[key] = rng.randint(1, MAX_CHANGE_POWER)
            elif kind == "rotate" and outside:
                new[rng.choice(outside)] = new.pop(key)
            byzantine = sum(p for k, p in new.items() if k in bad)
            if new == powers or 3 * byzantine >= sum(new.values()):
                continue
            powers = new
            self.faults["set_" + kind] += 1
            self.schedule.append((height, ValidatorSet.from_powers(powers)))

    # -- the plan -------------------------------------------------------------------------

    def _plan_faults(self) -> None:
        rng = self.rng
        correct = [node.index for node in self._correct]
        for _ in range(rng.choice([0, 1, 1, 2])):
            start = rng.randrange(0, FAULT_WINDOW_MS - 200)
            end = min(start + rng.randrange(100, 1_500), FAULT_WINDOW_MS)
            groups = [rng.randrange(2) for _ in range(len(self.nodes))]
            if all(g == groups[0] for g in groups):
                groups[rng.randrange(len(self.nodes))] ^= 1  # two sides, each with someone
            self._at(start, "partition", (groups,))
            self._at(end, "heal", ())
        for _ in range(rng.choice([0, 1, 2, 3])):
            index = rng.choice(correct)
            start = rng.randrange(0, FAULT_WINDOW_MS - 200)
            down_ms = rng.randrange(20, 1_000)
            if rng.random() < 0.5:
                self._at(start, "tear", (index, down_ms, rng.randrange(1 << 16)))
            else:
                self._at(start, "crash", (index, down_ms))

    # -- the run --------------------------------------------------------------------------

    def run(self) -> SimResult:
        self._plan_faults()
        for node in self.nodes:
            self._start(node)
            self._at(self.rng.randrange(GOSSIP_MS), "gossip", (node.index, node.incarnation))
        while self._queue:
            self.events += 1
            if self.events > MAX_EVENTS:
                self.violations.append(f"the run exceeded {MAX_EVENTS} events")
                break
            when, _, kind, args = heapq.heappop(self._queue)
            self.now = when
            self._digest.update(f"{when}/{kind}/".encode())
            getattr(self, "_on_" + kind)(*args)
            if self._finished():
                break
        self._check()
        correct = self._correct
        return SimResult(
            seed=self.seed,
            validators=self.n,
            byzantine=self.byzantine,
            min_height=min(n.next_height for n in correct),
            decisions=sum(len(n.decided) for n in correct),
            faults=self.faults,
            observed=self.observed,
            violations=self.violations,
            sim_ms=self.now,
            events=self.events,
            digest=self._digest.hexdigest()[:16],
            set_changes=len(self.schedule) - 1,
        )

    def _finished(self) -> bool:
        correct = self._correct
        if self.baseline is None:
            healed = (
                self.now >= FAULT_WINDOW_MS and self.partition is None
                and not any(n.index in self.down for n in correct)
            )
            if healed:
                self.baseline = (self.now, max(n.next_height for n in correct))
                for node in self.nodes:
                    node.wal.tear_at = None  # no torn writes once faults are over
            return False
        since, height = self.baseline
        if all(n.next_height >= height + GROWTH for n in correct):
            return True
        if self.now - since > LIVENESS_BUDGET_MS:
            lagging = [n.index for n in correct if n.next_height < height + GROWTH]
            self.violations.append(
                f"liveness: validators {lagging} did not decide {GROWTH} more heights "
                f"within {LIVENESS_BUDGET_MS} ms of healing (height {height} then)"
            )
            return True
        return False

    def _at(self, when: int, kind: str, args: tuple) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, kind, args))

    # -- validators -----------------------------------------------------------------------

    def _logging_signer(self, index: int, sign: Signer) -> Signer:
        """Every signature the validator makes, remembered across its restarts."""

        def signer(message: bytes) -> bytes:
            position = (index, _signed_position(message))
            first = self.signed.setdefault(position, message)
            if first != message and not self.nodes[index].byzantine:
                self.violations.append(
                    f"validator {index} signed two messages at (height, round, step) "
                    f"{position[1]}"
                )
            return sign(message)

        return signer

    def _start(self, node: _Node) -> None:
        guard = SigningGuard(CHAIN_ID, node.signer, node.wal)
        node.driver = Driver(
            chain_id=CHAIN_ID, validators=self.set_at, verify=sim_verify,
            height=node.next_height, timeouts=self.timeouts, me=node.key, guard=guard,
        )
        self._carry_out(node, node.driver.start)

    def _feed(self, node: _Node, event: Event) -> None:
        assert node.driver is not None
        driver = node.driver
        self._carry_out(node, lambda: driver.handle(event))

    def _carry_out(self, node: _Node, step: Callable[[], list[Action]]) -> None:
        try:
            actions = step()
        except _Crashed:
            self.faults["torn_write"] += 1
            self._crash(node, node.tear_down_ms, keep_unsynced=True)
            return
        for action in actions:
            self._act(node, action)

    def _act(self, node: _Node, action: Action) -> None:
        match action:
            case Broadcast(message=m):
                self._broadcast(node, m)
            case StartTimer(timeout=t, duration_ms=d):
                self._at(self.now + d, "timer", (node.index, node.incarnation, t))
            case RequestValue(height=h, round=r):
                value = self._new_value(valid=True)
                self._answer(node, ProposeValue(h, r, value))
            case ValidateValue(height=h, value_id=v):
                self._answer(node, Validity(h, v, is_valid_value(v)))
            case Decided(height=h, value_id=v, certificate=cert):
                assert h == node.next_height, "decisions come in height order"
                node.decided[h] = (v, cert)  # a synced write before anything else
                self._digest.update(b"decide/%d/%d/" % (node.index, h) + v)
            case EnteredRound():
                pass  # rounds show in the messages the node sends; nothing to record
            case Rejected(code=code):
                self.observed[code] += 1
            case EquivocationFound():
                self.observed["evidence"] += 1
            case SigningRefused(code=code):
                self.observed[code] += 1

    def _answer(self, node: _Node, event: Event) -> None:
        """The application answers a little later, as building or executing a block does."""
        self._at(self.now + self.rng.randrange(1, 20), "app", (node.index, node.incarnation, event))

    def _new_value(self, valid: bool) -> bytes:
        value = bytearray(self.rng.randbytes(32))
        value[0] = (value[0] & 0xFE) | (0 if valid else 1)
        return bytes(value)

    # -- the network ----------------------------------------------------------------------

    def _broadcast(self, node: _Node, message: Message) -> None:
        if isinstance(message, Proposal):
            self.proposed.add(message.value_id)
            self._round_values.setdefault((message.height, message.round), message.value_id)
        peers = [i for i in range(len(self.nodes)) if i != node.index]
        if node.byzantine and self.rng.random() < self.equivocate_p:
            twin = self._twin(node, message)
            self.rng.shuffle(peers)
            cut = self.rng.randrange(1, len(peers))
            if isinstance(message, Proposal) and message.pol_round >= 0:
                cut = 0  # a fresh value to everyone instead of the one it should re-propose
            self.faults["equivocation"] += 1
            for i in peers[:cut]:
                self._send(node.index, i, message)
            for i in peers[cut:]:
                self._send(node.index, i, twin)
            return
        for i in peers:
            self._send(node.index, i, message)

    def _twin(self, node: _Node, message: Message) -> Message:
        """A Byzantine validator's second, conflicting message, signed past its guard.

        The Byzantine validators act together: at each (height, round) they push one
        alternative value, their own second proposal if they propose there, so that
        correct validators are split between two values, not scattered."""
        h, r = message.height, message.round
        if isinstance(message, Proposal):
            valid = self.rng.random() >= self.invalid_p
            if not valid:
                self.faults["invalid_proposal"] += 1
            value = self._new_value(valid)
            self.proposed.add(value)
            self._alternative[(h, r)] = value
            unsigned = Proposal(h, r, value, -1, node.key, b"")
            return Proposal(h, r, value, -1, node.key, node.signer(unsigned.sign_bytes(CHAIN_ID)))
        value = self._alternative.get((h, r), NIL)
        if value == message.value_id:
            value = NIL
        if value == message.value_id:  # a nil vote, and no alternative yet
            value = self._round_values.get((h, r), self._new_value(valid=True))
        unsigned = Vote(message.type, h, r, value, node.key, b"")
        return Vote(
            message.type, h, r, value, node.key, node.signer(unsigned.sign_bytes(CHAIN_ID))
        )

    def _send(self, source: int, target: int, message: Packet) -> None:
        rng = self.rng
        if self.partition is not None and self.partition[source] != self.partition[target]:
            self.faults["partitioned"] += 1
            return
        if rng.random() < self.drop_p:
            self.faults["drop"] += 1
            return
        copies = 1
        if rng.random() < self.duplicate_p:
            self.faults["duplicate"] += 1
            copies = 2
        for _ in range(copies):
            delay = rng.randrange(1, self.max_delay_ms + 1)
            if rng.random() < self.spike_p:
                self.faults["delay"] += 1
                delay += rng.randrange(50, 400)
            sent = message
            if rng.random() < self.corrupt_p and not isinstance(sent, tuple | int):
                self.faults["corrupt"] += 1
                signature = bytearray(sent.signature)
                signature[rng.randrange(len(signature))] ^= 1 << rng.randrange(8)
                sent = _with_signature(sent, bytes(signature))
            self._at(self.now + delay, "deliver", (source, target, sent))

    # -- events -----------------------------------------------------------------------------

    def _on_deliver(self, source: int, target: int, message: Packet) -> None:
        node = self.nodes[target]
        if node.driver is None:
            return  # down
        if isinstance(message, int):  # a node that votes nothing asks where it is
            self._help_catch_up(node, source, message)
            return
        if isinstance(message, tuple):
            for cert in message:
                if node.driver is None:
                    return  # crashed on the way
                self._feed(node, Commit(cert))
            return
        if message.height < node.driver.height:
            self._help_catch_up(node, source, message.height)
            return
        self._feed(node, message)

    def _help_catch_up(self, node: _Node, peer: int, height: int) -> None:
        """A peer is behind: send it the certificate of the height it is at (block sync)."""
        if height not in node.decided:
            return
        key = (node.index, peer, height)
        if self.now - self._catch_up_sent.get(key, -CATCH_UP_MS) < CATCH_UP_MS:
            return
        self._catch_up_sent[key] = self.now
        self._at(self.now + self.sync_delay_ms, "sync", (node.index, peer, height))

    def _on_sync(self, index: int, peer: int, height: int) -> None:
        """Send the certificates from `height` on, in order, as block sync sends blocks."""
        node = self.nodes[index]
        if node.driver is None:
            return
        batch = tuple(
            node.decided[h][1] for h in range(height, height + SYNC_BATCH) if h in node.decided
        )
        self.observed["certificates_sent"] += len(batch)
        self._send(index, peer, batch)

    def _on_timer(self, index: int, incarnation: int, timeout: Timeout) -> None:
        node = self.nodes[index]
        if node.driver is not None and node.incarnation == incarnation:
            self._feed(node, timeout)

    def _on_app(self, index: int, incarnation: int, event: Event) -> None:
        node = self.nodes[index]
        if node.driver is not None and node.incarnation == incarnation:
            self._feed(node, event)

    def _on_gossip(self, index: int, incarnation: int) -> None:
        node = self.nodes[index]
        if node.driver is None or node.incarnation != incarnation:
            return
        seen = node.driver.height
        if seen == node.seen_at_tick:
            for action in node.driver.rebroadcast():
                self._broadcast(node, action.message)
            if not node.driver.votes_here:
                # It sends no votes that would tell the others it lags: it asks.
                for i in range(len(self.nodes)):
                    if i != index:
                        self._send(index, i, seen)
        node.seen_at_tick = seen
        self._at(self.now + GOSSIP_MS, "gossip", (index, incarnation))

    def _on_partition(self, groups: list[int]) -> None:
        self.faults["partition"] += 1
        self.partition = groups

    def _on_heal(self) -> None:
        self.partition = None

    def _on_crash(self, index: int, down_ms: int) -> None:
        node = self.nodes[index]
        if node.driver is None:
            return
        self.faults["crash"] += 1
        self._crash(node, down_ms, keep_unsynced=False)

    def _on_tear(self, index: int, down_ms: int, cut: int) -> None:
        """The validator will crash during its next log write."""
        node = self.nodes[index]
        if node.driver is not None:
            node.wal.tear_at = cut
            node.tear_down_ms = down_ms

    def _crash(self, node: _Node, down_ms: int, keep_unsynced: bool) -> None:
        kept = len(node.wal.data) - node.wal.synced if keep_unsynced else 0
        node.wal = _TearingWal(bytes(node.wal.data[: node.wal.synced + kept]))
        node.driver = None
        node.incarnation += 1
        self.down.add(node.index)
        self._at(self.now + down_ms, "restart", (node.index,))

    def _on_restart(self, index: int) -> None:
        node = self.nodes[index]
        self.down.discard(index)
        if node.wal.torn_bytes:
            self.faults["torn_tail_recovered"] += 1
        self._start(node)
        self._at(self.now + GOSSIP_MS, "gossip", (index, node.incarnation))

    # -- the checks -------------------------------------------------------------------------

    def _check(self) -> None:
        correct = self._correct
        decided_at: dict[int, tuple[int, bytes]] = {}
        for node in correct:
            for height, (value, cert) in sorted(node.decided.items()):
                first = decided_at.setdefault(height, (node.index, value))
                if first[1] != value:
                    self.violations.append(
                        f"agreement: at height {height} validator {first[0]} decided "
                        f"{first[1].hex()[:12]} and validator {node.index} {value.hex()[:12]}"
                    )
                if value not in self.proposed or not is_valid_value(value):
                    self.violations.append(
                        f"validity: validator {node.index} decided {value.hex()[:12]} at "
                        f"height {height}, which was not proposed or is not valid"
                    )
                try:
                    verify_certificate(
                        cert, CHAIN_ID, height, value, self.set_at(height).powers, sim_verify
                    )
                except CertificateError as e:
                    self.violations.append(
                        f"certificate: validator {node.index} at height {height}: {e.code}"
                    )


def _with_signature(message: Message, signature: bytes) -> Message:
    if isinstance(message, Proposal):
        return Proposal(
            message.height, message.round, message.value_id, message.pol_round,
            message.proposer, signature,
        )
    return Vote(
        message.type, message.height, message.round, message.value_id, message.validator,
        signature,
    )


def run(seed: int, validators: int | None = None, changes: bool = False) -> SimResult:
    """Run one seed; the same (seed, validators, changes) always runs the same way."""
    return Simulation(seed, validators or validators_for(seed), changes).run()
