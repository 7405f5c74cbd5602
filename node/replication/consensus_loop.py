"""The consensus of a validator in a network of several: a `consensus.Driver` per
height, fed with the proposals and votes of peers, its timers and the application's
answers, and its actions carried out.

- The driver's timers are asyncio timers, dropped when the height changes; its signing
  log is DATA/consensus.wal. A write to that log that fails (a full disk) stops the node
  like a store fault.
- A proposal travels with its block (frame "proposal": [proposal wire, block bytes]);
  votes are frames "vote". A block is executed once, when it is built or validated, and
  the result is kept by block id until the height is decided. A validator judges a
  proposed block invalid when it does not execute exactly, or when its time lies more
  than clock_drift_ms + message_delay_ms ahead of its own clock (proposer-based
  timestamps).
- Evidence: an equivocation the driver finds (two different votes of one validator for
  one height, round and step) goes to the node's `EvidencePool`; the next block this
  node proposes carries it, and every node verifies and records it (node/evidence.py).
  Two different proposals of one proposer are logged only.
- Empty blocks: at a new height, round 0 waits (its proposer does not build, the others
  do not start the propose timeout) while the mempool is empty and ledger time has not
  stood still for empty_block_interval_ms; later rounds never wait.
- A decided block is committed through the replication's commit epilogue (`commit`);
  then, as after block sync, `follow_head` drops the ended height's state and keeps a
  driver at the height after the head.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from consensus.certificate import Certificate
from consensus.driver import (
    MAX_PROPOSALS_PER_ROUND,
    Action,
    Broadcast,
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
from consensus.messages import MessageError, Proposal, Vote, message_from_wire
from consensus.timeouts import TimeoutConfig
from consensus.validators import ValidatorSet
from consensus.wal import FileWal
from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.identity import verify
from node.blocks import MAX_BLOCK_TX_BYTES, Block, body_matches_header
from node.chain import Execution
from node.peer_gate import RefusalLog
from node.peers import MAX_FRAME_BYTES, Peers
from node.replication.frames import FRAME_ROOM_BYTES
from node.service import Node, wall_ms
from node.store import StoreFault, StoreWriteFailed

log = logging.getLogger("claimledger.consensus")

REBROADCAST_MS = 1000
MAX_BLOCKS_KEPT = 16  # proposed blocks kept, of this height and the next (see `_keep`)
REJECTION_LOG_INTERVAL_S = 10.0
assert MAX_BLOCK_TX_BYTES + FRAME_ROOM_BYTES <= MAX_FRAME_BYTES  # a proposal frame fits


class ConsensusLoop:
    """The driver of the current height and what it needs around it."""

    def __init__(self, node: Node, data_dir: Path, peers: Peers,
                 validators_at: Callable[[int], ValidatorSet],
                 commit: Callable[[Block, Certificate, Execution], None]) -> None:
        self.node = node
        self.chain = node.chain
        self.timing = timing = node.config.timing
        self.peers = peers
        self.validators_at = validators_at
        self.commit = commit
        self.timeouts = TimeoutConfig(
            propose_ms=timing.timeout_propose_ms, propose_delta_ms=timing.timeout_delta_ms,
            prevote_ms=timing.timeout_vote_ms, prevote_delta_ms=timing.timeout_delta_ms,
            precommit_ms=timing.timeout_vote_ms, precommit_delta_ms=timing.timeout_delta_ms,
        )
        self.wal = FileWal(data_dir / "consensus.wal")
        self.guard = SigningGuard(self.chain.chain_id, node.signer.sign_consensus, self.wal)
        self.driver: Driver | None = None  # from `start`
        self.blocks: dict[bytes, Block] = {}
        self.block_rounds: dict[bytes, tuple[int, int]] = {}  # kept block -> height, round
        self.runs: dict[bytes, Execution] = {}
        self.wanted: set[bytes] = set()  # value ids the driver asked about, block unseen
        self.timers: list[asyncio.TimerHandle] = []
        self.gated: list[StartTimer] = []  # round-0 propose timers waiting for work
        self.request: RequestValue | None = None
        self.last_rebroadcast_ms = wall_ms()
        # A faulty validator may send any number of bad votes: a line per interval.
        self.rejections = RefusalLog(REJECTION_LOG_INTERVAL_S, log,
                                     "rejected a consensus message from %s: %s", logging.INFO)

    # ------------------------------------------------------------------ heights

    def start(self) -> None:
        """Run a driver at the height after the head."""
        self.last_rebroadcast_ms = wall_ms()
        self._new_driver()

    def stop(self) -> None:
        """No more timers: the node is stopping (frames may still come until `close`)."""
        self._end_height()

    def close(self) -> None:
        self.wal.close()

    def follow_head(self) -> None:
        """After a commit, whether consensus decided it or block sync brought it: drop
        the ended height's state, and keep a driver at the height after the head (the one
        that decided is there already; one left behind, or one that decided a block this
        process never saw, is replaced)."""
        if self.driver is None:
            return  # not started
        height = self.chain.head.height + 1
        if self.driver.height != height or \
                self.driver.validators != self.validators_at(height):
            self._new_driver()  # behind, or its set read before the change was known
        else:
            self._end_height()

    def _new_driver(self) -> None:
        self._end_height()
        height = self.chain.head.height + 1
        self.driver = Driver(
            chain_id=self.chain.chain_id, validators=self._known_set,
            verify=verify, height=height, timeouts=self.timeouts, me=self.node.address,
            guard=self.guard,
        )
        self._drive(self.driver.start)

    def _known_set(self, height: int) -> ValidatorSet:
        """The set of `height` for the driver, which moves to the next height when it
        decides, before the block is committed here: a set not known yet (head + 3, or a
        block this process never saw) is taken as the last one known, and `follow_head`
        replaces the driver if the committed block changed it."""
        return self.validators_at(min(height, self.chain.head.height + 2))

    def _end_height(self) -> None:
        """The per-height reset: timers, kept blocks up to the head, executions, the
        driver's open questions."""
        for handle in self.timers:
            handle.cancel()
        self.timers = []
        self.gated = []
        self.blocks = {k: b for k, b in self.blocks.items()
                       if b.header.height > self.chain.head.height}
        self.runs = {}
        self.wanted = set()
        self.request = None

    # ------------------------------------------------------------------ the driver

    def feed(self, event: Event) -> None:
        if self.driver is None:
            return
        driver = self.driver
        self._drive(lambda: driver.handle(event))

    def _drive(self, step: Callable[[], list[Action]]) -> None:
        """Run the driver's answer to one input. A write to the signing log that fails (a
        full disk) stops the node before anything is signed; so does a store fault. A
        node that is stopping (a fault, a release that cannot execute the next height,
        SIGTERM) signs nothing more."""
        if self.node.stopping:
            return
        try:
            actions = step()
        except OSError as e:
            self.node.fail(StoreWriteFailed(
                f"writing {self.wal.path} failed: {e.strerror or e}"))
            return
        with contextlib.suppress(StoreFault):  # the store has stopped the node
            self.run(actions)

    def run(self, actions: list[Action]) -> None:
        for action in actions:
            match action:
                case Broadcast(message=message):
                    self._broadcast(message)
                case StartTimer(timeout=timeout, duration_ms=ms):
                    if timeout.round == 0 and timeout.kind.name == "PROPOSE" and \
                            not self._work_waiting():
                        self.gated.append(action)
                    else:
                        self._start_timer(timeout, ms)
                case RequestValue():
                    self.request = action
                case ValidateValue(value_id=value_id):
                    block = self.blocks.get(value_id)
                    if block is None:
                        self.wanted.add(value_id)
                    else:
                        self._validate(block)
                case Decided():
                    self._decided(action)
                case Rejected(code=code):
                    self.rejections.note(code, "a peer")
                case EquivocationFound(evidence=evidence):
                    log.warning("equivocation: %s", evidence)
                    first, second = evidence.first, evidence.second
                    if isinstance(first, Vote) and isinstance(second, Vote):
                        self.node.evidence.add(first, second)  # for this node's next block
                case SigningRefused(code=code, message=message):
                    log.warning("signing refused: %s: %s", code, message)
                case EnteredRound(round=round_):
                    # A report: timers and requests for the round come as their own actions.
                    if round_ > 0:
                        self.node.metrics.round_changes.inc()
                case _:
                    raise AssertionError(f"unhandled consensus action {action!r}")

    def _start_timer(self, timeout: Timeout, ms: int) -> None:
        loop = asyncio.get_running_loop()
        self.timers.append(loop.call_later(ms / 1000, self.feed, timeout))

    def _broadcast(self, message: Proposal | Vote) -> None:
        if isinstance(message, Proposal):
            block = self.blocks.get(message.value_id)
            if block is None:
                return
            self.peers.broadcast("proposal", [message.to_wire(), encode(block)],
                                 validators_only=True)
        else:
            self.peers.broadcast("vote", message.to_wire(), validators_only=True)

    # ------------------------------------------------------------------ the application

    def _work_waiting(self) -> bool:
        idle = wall_ms() - self.chain.head.time_ms >= self.timing.empty_block_interval_ms
        return len(self.node.mempool) > 0 or idle

    def _propose(self) -> None:
        request, self.request = self.request, None
        assert request is not None and self.driver is not None
        if (request.height, request.round) != (self.driver.height, self.driver.round):
            return
        now = wall_ms()
        batch = self.node.mempool.batch(self.timing.max_block_txs, MAX_BLOCK_TX_BYTES)
        run = self.chain.execute(batch, *self.node.block_extras(now))
        block = self.chain.make_block(run, self.node.address)
        self.blocks[block.id] = block
        self.block_rounds[block.id] = (request.height, request.round)
        self.runs[block.id] = run
        log.debug("proposing height=%d round=%d txs=%d", request.height, request.round,
                  len(run.included))
        self.feed(ProposeValue(request.height, request.round, block.id))

    def _validate(self, block: Block) -> None:
        assert self.driver is not None
        value_id = block.id
        self.wanted.discard(value_id)
        if block.header.height != self.driver.height:
            return
        valid = True
        limit = wall_ms() + self.timing.clock_drift_ms + self.timing.message_delay_ms
        if block.header.time_ms > limit:
            log.info("block %s is %d ms ahead of this clock", value_id.hex()[:16],
                     block.header.time_ms - wall_ms())
            valid = False
        elif value_id not in self.runs:
            try:
                self.runs[value_id] = self.chain.validate_block(
                    block, self.node.mempool.checked)
            except StoreFault:
                raise  # not the block's fault: the node stops and votes nothing
            except LedgerError as e:
                log.info("invalid block %s: %s", value_id.hex()[:16], e.code)
                valid = False
        self.feed(Validity(block.header.height, value_id, valid))

    def _decided(self, decided: Decided) -> None:
        block = self.blocks.get(decided.value_id)
        if block is None:
            # Decided on a lock taken before a restart, whose block this process never
            # saw: stay at this height and let block sync bring the block.
            log.warning("decided block %s at height %d is unknown here; syncing it",
                        decided.value_id.hex()[:16], decided.height)
        else:
            run = self.runs.get(decided.value_id)
            if run is None:
                run = self.chain.validate_block(block, self.node.mempool.checked)
            self.commit(block, decided.certificate, run)
        self.follow_head()

    # ------------------------------------------------------------------ time

    def tick(self) -> None:
        """Start the round-0 timers and build the proposal that waited for work."""
        if self.driver is None:
            return
        work = self._work_waiting()
        if self.gated and work:
            gated, self.gated = self.gated, []
            for timer in gated:
                self._start_timer(timer.timeout, timer.duration_ms)
        request = self.request
        if request is not None and (request.round > 0 or work):
            ready = wall_ms() - self.chain.head.time_ms >= self.timing.block_interval_ms
            if ready or request.round > 0:
                self._propose()

    def rebroadcast_if_stalled(self, last_commit_ms: int) -> None:
        """Send this height's messages again, once a REBROADCAST_MS, while no block has
        been committed for as long (since `last_commit_ms`): a peer may have missed
        them."""
        now = wall_ms()
        if self.driver is None or now - self.last_rebroadcast_ms < REBROADCAST_MS:
            return
        self.last_rebroadcast_ms = now
        if now - last_commit_ms >= REBROADCAST_MS:
            self.run(list(self.driver.rebroadcast()))

    # ------------------------------------------------------------------ frames

    def on_frame(self, peer: bytes, kind: str, payload: object) -> None:
        """A "vote" or "proposal" frame of a validator's link."""
        if self.driver is None or (peer not in self.driver.validators
                                   and peer not in self._known_set(self.driver.height + 1)):
            return  # a node not validating here or next: its votes count for nothing
        if kind == "vote":
            message = message_from_wire(payload)
            if not isinstance(message, Vote):
                raise MessageError("consensus.malformed", "a vote frame holds a proposal")
            self.feed(message)
            return
        if not (isinstance(payload, list) and len(payload) == 2
                and isinstance(payload[1], bytes)):
            raise MessageError("consensus.malformed", "a proposal frame is [proposal, block]")
        message = message_from_wire(payload[0])
        if not isinstance(message, Proposal):
            raise MessageError("consensus.malformed", "a proposal frame holds a vote")
        if not self.driver.height <= message.height <= self.driver.height + 1:
            return
        block = self.chain.decode_block(payload[1])
        # Checked before the block is kept under its id: a genuine header with a body of a
        # relay's making (other transactions, forged evidence) would be judged invalid, and
        # a value's validity is judged once a height, so the genuine block would be too.
        if block.id != message.value_id or block.header.height != message.height \
                or not body_matches_header(block):
            raise MessageError("consensus.block_mismatch", "the block is not the proposed one")
        self._keep(message, block)
        self.feed(message)
        if block.id in self.wanted:
            self._validate(block)

    def _keep(self, proposal: Proposal, block: Block) -> None:
        """Keep a proposed block, to commit it once decided and to propose it again as a
        valid value: only that of a proposal its round's proposer signed (the driver
        refuses the others with their code), at most MAX_PROPOSALS_PER_ROUND a round (as
        the driver keeps proposals) and MAX_BLOCKS_KEPT in all, the earliest (height,
        round) first. Else blocks of proposals nobody signed, or a faulty proposer's many
        blocks for its own later rounds, took the room of the current round's block, and
        each height waited for block sync."""
        if block.id in self.blocks:
            return
        proposer = self._known_set(proposal.height).proposer(proposal.height,
                                                                proposal.round)
        if proposal.proposer != proposer \
                or not verify(proposal.proposer, proposal.sign_bytes(self.chain.chain_id),
                              proposal.signature):
            return
        where = (proposal.height, proposal.round)
        self.block_rounds = {k: r for k, r in self.block_rounds.items() if k in self.blocks}
        if sum(1 for r in self.block_rounds.values() if r == where) >= MAX_PROPOSALS_PER_ROUND:
            return
        if len(self.blocks) >= MAX_BLOCKS_KEPT:
            others = {k: r for k, r in self.block_rounds.items()  # never this node's own
                      if self.blocks[k].header.proposer != self.node.address}
            latest = max(others, key=others.__getitem__, default=None)
            if latest is None or others[latest] <= where:
                return
            del self.blocks[latest], self.block_rounds[latest]
        self.blocks[block.id] = block
        self.block_rounds[block.id] = where
