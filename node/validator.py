"""Consensus and block sync of a node in a network of several validators.

`Replication` ties a node's chain and mempool to its peer links:

- Consensus (validators): a `consensus.Driver` per height, fed with the proposals and
  votes of peers, its timers (asyncio, dropped when the height changes) and the
  application's answers; its signing log is DATA/consensus.wal. A proposal travels with
  its block (frame "proposal": [proposal wire, block bytes]); votes are frames "vote".
  A block is executed once, when it is built or validated, and the result is kept by
  block id until the height is decided. A validator judges a proposed block invalid
  when it does not execute exactly, or when its time lies more than clock_drift_ms +
  message_delay_ms ahead of its own clock (proposer-based timestamps).
- Evidence: an equivocation the driver finds (two different votes of one validator for
  one height, round and step) goes to the node's `EvidencePool`; the next block this
  node proposes carries it, and every node verifies and records it (node/evidence.py).
  Two different proposals of one proposer are logged only.
- Transactions from peers count against the peer's share of the mempool (`peer` of
  `Mempool.submit`): past it they are dropped before decoding, and counted.
- Empty blocks: at a new height, round 0 waits (its proposer does not build, the others
  do not start the propose timeout) while the mempool is empty and ledger time has not
  stood still for empty_block_interval_ms; later rounds never wait.
- Transactions submitted to a validator are sent to the other validators in batches
  (frame "txs": [raw transaction, ...]): what is submitted in one turn of the event loop
  goes in one frame, sent at the end of that turn (no added latency), or earlier once
  MAX_TXS_PER_FRAME transactions or TXS_FRAME_BYTES bytes wait. Its pending ones go
  again, in such frames, to a validator whose link comes up. A refused transaction is
  logged and the link goes on; a frame that is not a list of at most MAX_TXS_PER_FRAME
  byte strings closes the link.
- Block sync (every node): heads are exchanged on connect and after each commit (frame
  "status"); a node behind asks for at most sync_batch_blocks blocks (frame
  "get_blocks" [from, to]) and gets frame "blocks" [[block bytes, certificate wire],
  ...], as many of them as fit SYNC_FRAME_BYTES (at least one). Each certificate is
  verified against the validator set before the block is executed; a block that fails
  either is refused with its code and the link is closed.
- Resync (`sync_only`): block sync alone, for a node rebuilding its store from genesis
  (`claimledger-node resync`): no consensus, its signing log left alone, no transactions
  taken; `sync_target` says which head counts as caught up.
- A write to the signing log that fails (a full disk) stops the node like a store fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from consensus.certificate import Certificate, CertificateError
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
from contracts.tx import MAX_LARGE_TX_BYTES
from node.blocks import MAX_BLOCK_TX_BYTES, Block, body_matches_header
from node.chain import Execution, InvalidBlock
from node.peer_gate import RefusalLog
from node.peers import MAX_FRAME_BYTES, Link, PeerError, Peers, pack
from node.service import Node, wall_ms
from node.store import StoreFault, StoreWriteFailed

log = logging.getLogger("claimledger.consensus")

KINDS = frozenset({"proposal", "vote", "txs", "status", "get_blocks", "blocks"})
TICK_S = 0.02
REBROADCAST_MS = 1000
MAX_BLOCKS_KEPT = 16  # proposed blocks kept, of this height and the next (see `_keep`)
REJECTION_LOG_INTERVAL_S = 10.0
MAX_TXS_ON_CONNECT = 5_000  # pending transactions sent to a peer when a link comes up
MAX_TXS_PER_FRAME = 1_000  # transactions in one "txs" frame
TXS_FRAME_BYTES = 1 << 20  # a "txs" frame is sent once its transactions reach this size
TXS_YIELD_EVERY = 100  # transactions of a frame admitted between two turns of the loop
# A frame keeps this much room beside its blocks' transactions: headers, certificates (a
# precommit of each of up to 1,024 validators), the msgpack around them.
FRAME_ROOM_BYTES = 1 << 20
SYNC_FRAME_BYTES = MAX_FRAME_BYTES - FRAME_ROOM_BYTES  # blocks and certificates per frame
assert MAX_BLOCK_TX_BYTES + FRAME_ROOM_BYTES <= MAX_FRAME_BYTES  # a proposal frame fits
# A "txs" frame holds under TXS_FRAME_BYTES, then one more transaction of any size.
assert TXS_FRAME_BYTES + MAX_LARGE_TX_BYTES + FRAME_ROOM_BYTES <= MAX_FRAME_BYTES


def tx_frames(raws: Iterable[bytes]) -> Iterator[list[bytes]]:
    """The transactions cut into "txs" frames, in order: each frame at most
    MAX_TXS_PER_FRAME of them, closed once it reaches TXS_FRAME_BYTES."""
    frame: list[bytes] = []
    size = 0
    for raw in raws:
        frame.append(raw)
        size += len(raw)
        if len(frame) >= MAX_TXS_PER_FRAME or size >= TXS_FRAME_BYTES:
            yield frame
            frame, size = [], 0
    if frame:
        yield frame


def txs_of(payload: object) -> list[bytes]:
    """The transactions of a "txs" frame; `PeerError` peer.bad_frame if it is not a list
    of at most MAX_TXS_PER_FRAME byte strings."""
    if not isinstance(payload, list) or len(payload) > MAX_TXS_PER_FRAME:
        raise PeerError("peer.bad_frame",
                        f"txs is a list of at most {MAX_TXS_PER_FRAME} transactions")
    if not all(isinstance(raw, bytes) for raw in payload):
        raise PeerError("peer.bad_frame", "each transaction of a txs frame is bytes")
    return payload


class Replication:
    def __init__(self, node: Node, data_dir: Path, sync_only: bool = False,
                 routes: dict[bytes, str] | None = None) -> None:
        self.node = node
        self.chain = node.chain
        self.config = node.config
        timing = self.config.timing
        self.timing = timing
        self.peers = Peers(self.config, node.signer, KINDS, self.on_frame, routes)
        self.peers.on_connect = self.on_connect
        self.peer_heights: dict[bytes, int] = {}
        self.requested: dict[bytes, float] = {}  # peer -> loop time of the last request
        self.validators = ValidatorSet.from_powers(self.config.validator_powers())
        self.timeouts = TimeoutConfig(
            propose_ms=timing.timeout_propose_ms, propose_delta_ms=timing.timeout_delta_ms,
            prevote_ms=timing.timeout_vote_ms, prevote_delta_ms=timing.timeout_delta_ms,
            precommit_ms=timing.timeout_vote_ms, precommit_delta_ms=timing.timeout_delta_ms,
        )
        # With one validator the node's producer makes the blocks (node.service); the
        # consensus runs when there are several.
        self.sync_only = sync_only
        self.consensus = node.is_validator and len(self.validators) > 1 and not sync_only
        self.guard: SigningGuard | None = None
        self.wal: FileWal | None = None
        if self.consensus:
            self.wal = FileWal(data_dir / "consensus.wal")
            self.guard = SigningGuard(self.chain.chain_id, node.signer.sign_consensus,
                                      self.wal)
        self.driver: Driver | None = None
        self.blocks: dict[bytes, Block] = {}
        self.block_rounds: dict[bytes, tuple[int, int]] = {}  # kept block -> height, round
        self.runs: dict[bytes, Execution] = {}
        self.wanted: set[bytes] = set()  # value ids the driver asked about, block unseen
        self.timers: list[asyncio.TimerHandle] = []
        self.gated: list[StartTimer] = []  # round-0 propose timers waiting for work
        self.request: RequestValue | None = None
        self.last_progress_ms = wall_ms()
        self._task: asyncio.Task | None = None
        self.outgoing: list[bytes] = []  # submitted transactions for the next "txs" frame
        self.outgoing_bytes = 0
        self._flush: asyncio.Handle | None = None
        # A faulty validator may send any number of bad votes: a line per interval.
        self.rejections = RefusalLog(REJECTION_LOG_INTERVAL_S, log,
                                     "rejected a consensus message from %s: %s", logging.INFO)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self.consensus:
            self._new_driver()
        self.node.on_submit = self.on_submit
        self.node.on_commit = self.on_commit
        self.peers.start()
        self._task = asyncio.create_task(self._ticker())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._cancel_timers()
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        await self.peers.stop()
        if self.wal is not None:
            self.wal.close()

    def _new_driver(self) -> None:
        self._cancel_timers()
        self.blocks = {k: b for k, b in self.blocks.items()
                       if b.header.height > self.chain.head.height}
        self.runs = {}
        self.wanted = set()
        self.request = None
        self.driver = Driver(
            chain_id=self.chain.chain_id, validators=self.validators, verify=verify,
            height=self.chain.head.height + 1, timeouts=self.timeouts,
            me=self.node.address, guard=self.guard,
        )
        self._drive(self.driver.start)

    def _cancel_timers(self) -> None:
        for handle in self.timers:
            handle.cancel()
        self.timers = []
        self.gated = []

    # ------------------------------------------------------------------ the driver

    def feed(self, event: Event) -> None:
        if self.driver is None:
            return
        driver = self.driver
        self._drive(lambda: driver.handle(event))

    def _drive(self, step: Callable[[], list[Action]]) -> None:
        """Run the driver's answer to one input. A write to the signing log that fails (a
        full disk) stops the node before anything is signed; so does a store fault."""
        try:
            actions = step()
        except OSError as e:
            self.node.fail(StoreWriteFailed(
                f"writing {self.wal.path if self.wal else 'the signing log'} failed: "
                f"{e.strerror or e}"))
            return
        try:
            self.run(actions)
        except StoreFault:
            pass  # the store has stopped the node

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
            self._new_driver()
            return
        run = self.runs.get(decided.value_id)
        if run is None:
            run = self.chain.validate_block(block, self.node.mempool.checked)
        self._commit(block, decided.certificate, run)
        # The driver has moved to the next height already: drop this height's state.
        self._cancel_timers()
        self.blocks = {k: b for k, b in self.blocks.items()
                       if b.header.height > self.chain.head.height}
        self.runs = {}
        self.wanted = set()
        self.request = None

    def _commit(self, block: Block, certificate: Certificate, run: Execution) -> None:
        node = self.node
        head = self.chain.commit(block, certificate, run)
        node.mempool.after_commit(run.included, run.failed, wall_ms(), defer=True)
        node.evidence.after_commit(run.evidence)
        log.info("committed height=%d round=%d txs=%d id=%s", head.height,
                 certificate.round, len(run.included), head.block_id.hex()[:16])
        node.committed.set()
        node.committed = asyncio.Event()
        self.on_commit(head.height)

    def on_commit(self, height: int) -> None:
        self.last_progress_ms = wall_ms()
        self.peers.broadcast("status", [height])

    async def _ticker(self) -> None:
        last_rebroadcast = wall_ms()
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self._tick(last_rebroadcast)
                self.node.mempool.recheck(wall_ms())  # after a proposal, off its path
                now = wall_ms()
                if self.driver is not None and now - last_rebroadcast >= REBROADCAST_MS:
                    last_rebroadcast = now
                    if now - self.last_progress_ms >= REBROADCAST_MS:
                        self.run(list(self.driver.rebroadcast()))
            except StoreFault:
                pass  # the store has stopped the node
            except Exception:
                log.exception("consensus tick failed")

    def _tick(self, _: int) -> None:
        # A block request lost with a closing link is asked again: a node behind must not
        # wait for a status frame that peers without a quorum will never send.
        for link in list(self.peers.links.values()):
            self._maybe_request(link)
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

    # ------------------------------------------------------------------ transactions

    def on_submit(self, raw: bytes) -> None:
        """Gossip a transaction the mempool took in: it joins the next "txs" frame, sent
        at the end of this turn of the event loop, or now if the frame is full."""
        self.outgoing.append(raw)
        self.outgoing_bytes += len(raw)
        if len(self.outgoing) >= MAX_TXS_PER_FRAME or self.outgoing_bytes >= TXS_FRAME_BYTES:
            self.flush_txs()
        elif self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self.flush_txs)

    def flush_txs(self) -> None:
        """Send the transactions gossip holds, in one "txs" frame to each validator."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        txs, self.outgoing, self.outgoing_bytes = self.outgoing, [], 0
        if txs:
            assert len(txs) <= MAX_TXS_PER_FRAME
            self.peers.broadcast("txs", txs, validators_only=True)

    # ------------------------------------------------------------------ frames

    def on_connect(self, link: Link) -> None:
        self.requested.pop(link.peer, None)  # a request on the link it replaces is lost
        link.send("status", [self.chain.head.height])
        if self.node.is_validator and not self.sync_only and link.peer in self.validators:
            # What was submitted while the link was down has not reached the peer.
            mempool = self.node.mempool
            pending = mempool.batch(MAX_TXS_ON_CONNECT, mempool.max_bytes)
            for frame in tx_frames(checked.raw for checked in pending):
                link.send("txs", frame)

    async def on_frame(self, link: Link, kind: str, payload: object) -> None:
        try:
            if kind == "vote" or kind == "proposal":
                if self.driver is not None and link.peer in self.validators:
                    self._on_consensus(kind, payload)
            elif kind == "txs":
                await self._on_txs(link, txs_of(payload))
            elif kind == "status":
                self._on_status(link, payload)
            elif kind == "get_blocks":
                self._on_get_blocks(link, payload)
            elif kind == "blocks":
                self._on_blocks(link, payload)
        except (MessageError, CertificateError, LedgerError) as e:
            code = getattr(e, "code", "peer.bad_frame")
            log.warning("refused a %s frame from %s: %s", kind, link.name, code)
            raise PeerError(code, str(e)) from e
        except PeerError:
            raise
        except Exception as e:  # a bug must cost one link, never the node or its redialling
            log.exception("handling a %s frame from %s failed", kind, link.name)
            raise PeerError("peer.internal", repr(e)) from e

    async def _on_txs(self, link: Link, txs: list[bytes]) -> None:
        """Admit a peer's transactions to the mempool, in order; a refusal (one already
        here or committed, a rule) is the peer's view of an older state, not a fault.
        Gossip past the peer's share is dropped before it is decoded, and counted."""
        if not self.node.is_validator or self.sync_only:
            return
        dropped = 0
        for i, raw in enumerate(txs):
            if i and i % TXS_YIELD_EVERY == 0:
                await asyncio.sleep(0)  # consensus goes on while a large frame is checked
            try:
                self.node.mempool.submit(raw, wall_ms(), own=False, peer=link.peer)
            except StoreFault:
                return  # the store has stopped the node
            except LedgerError as e:
                if e.code == "mempool.peer_quota":
                    dropped += 1
                else:
                    log.debug("a transaction from %s is refused: %s", link.name, e.code)
        if dropped:
            log.info("dropped %d of %d transactions from %s: past its share of the mempool",
                     dropped, len(txs), link.name)

    def _on_consensus(self, kind: str, payload: object) -> None:
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
        assert self.driver is not None
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
        if proposal.proposer != self.validators.proposer(proposal.height, proposal.round) \
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

    def sync_target(self) -> int | None:
        """The head a resync catches up with: the highest one the other validators
        reported, once f + 1 of them did (all of them when there are fewer); None before.
        f + 1 reports include an honest validator's, so a few faulty ones cannot end a
        resync early (a report too high only makes it wait)."""
        me = self.node.address
        others = [v.key for v in self.config.validators if v.key != me]
        heard = [self.peer_heights[k] for k in others if k in self.peer_heights]
        needed = min(len(others), (len(self.config.validators) - 1) // 3 + 1)
        if not heard or len(heard) < needed:
            return None
        return max(heard)

    def _on_status(self, link: Link, payload: object) -> None:
        if not (isinstance(payload, list) and len(payload) == 1 and type(payload[0]) is int):
            raise PeerError("peer.bad_frame", "status is [height]")
        self.peer_heights[link.peer] = payload[0]
        self._maybe_request(link)

    def _maybe_request(self, link: Link) -> None:
        mine = self.chain.head.height
        theirs = self.peer_heights.get(link.peer, 0)
        if theirs <= mine:
            return
        now = asyncio.get_running_loop().time()
        if now - self.requested.get(link.peer, 0.0) < 2.0:
            return
        self.requested[link.peer] = now
        to = min(theirs, mine + self.timing.sync_batch_blocks)
        link.send("get_blocks", [mine + 1, to])

    def _on_get_blocks(self, link: Link, payload: object) -> None:
        if not (isinstance(payload, list) and len(payload) == 2
                and all(type(x) is int for x in payload)):
            raise PeerError("peer.bad_frame", "get_blocks is [from, to]")
        start, end = payload
        end = min(end, start + self.timing.sync_batch_blocks - 1, self.chain.head.height)
        out = []
        size = 0
        store = self.node.store
        for height in range(max(start, 1), end + 1):
            raw = store.block_bytes(height)
            certificate = store.certificate(height)
            if raw is None or certificate is None:
                break
            entry = [raw, certificate.to_wire()]
            size += len(raw) + len(pack("", entry[1])) + 16  # the array around them
            if out and size > SYNC_FRAME_BYTES:
                break  # the peer asks again from where this frame ends
            out.append(entry)
        link.send("blocks", out)

    def _on_blocks(self, link: Link, payload: object) -> None:
        if not isinstance(payload, list):
            raise PeerError("peer.bad_frame", "blocks is a list")
        self.requested.pop(link.peer, None)
        advanced = False
        for item in payload:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], bytes)):
                raise PeerError("peer.bad_frame", "a block entry is [block, certificate]")
            block = self.chain.decode_block(item[0])
            certificate = Certificate.from_wire(item[1])
            if block.header.height != self.chain.head.height + 1:
                continue
            try:
                self.chain.verify_certificate(block, certificate)
                run = self.chain.validate_block(block, self.node.mempool.checked)
            except InvalidBlock as e:
                log.warning("refused block %d from %s: %s", block.header.height, link.name,
                            e.code)
                raise
            self._commit(block, certificate, run)
            advanced = True
        if advanced and self.driver is not None:
            self._new_driver()
        self._maybe_request(link)
