"""`Replication`: a node's peer links and the three parts that use them, wired together.

The parts: the consensus loop (validators of a network of several, not in a resync;
node.replication.consensus_loop), transaction gossip (node.replication.gossip), block
sync (every node; node.replication.sync) and state sync (snapshots served by every
node, restored by a new one asked to; node.replication.state_sync). Written here once,
for all of them:

- the frames of a link, handed to the part they belong to; a frame a part refuses closes
  the link with the refusal's code, and a bug costs the link, never the node;
- the commit epilogue (`commit`), for a block consensus decided or block sync brought:
  the new head stored, the mempool and evidence pool told, the node's waiters woken,
  the peers sent the new head; the consensus then follows the head (`follow_head`);
- the one place the validator set of a height is read (`validators_at`);
- the ticker that drives the parts' timed work.

Resync (`sync_only`): block sync alone, for a node rebuilding its store from genesis
(`claimledger-node resync`): no consensus, its signing log left alone, no transactions
taken; `sync_target` says which head counts as caught up.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from consensus.certificate import Certificate, CertificateError
from consensus.driver import Driver
from consensus.messages import MessageError
from consensus.validators import ValidatorSet
from contracts.errors import LedgerError
from node.blocks import Block
from node.chain import Execution
from node.peers import Link, PeerError, Peers
from node.replication.consensus_loop import ConsensusLoop
from node.replication.frames import KINDS, STATE_SYNC_ANSWERS
from node.replication.gossip import TxGossip, txs_of
from node.replication.state_sync import SnapshotServer, StateSyncClient, wants_state_sync
from node.replication.sync import BlockSync
from node.service import Node, wall_ms
from node.store import StoreFault

log = logging.getLogger("claimledger.consensus")

TICK_S = 0.02


class Replication:
    """What a node does with its peers: consensus, transaction gossip, block sync."""

    def __init__(self, node: Node, data_dir: Path, sync_only: bool = False,
                 routes: dict[bytes | str, str] | None = None,
                 state_sync: bool = False) -> None:
        """`state_sync`: start from a peer's snapshot when the store holds the genesis
        only (node.replication.state_sync), then block sync from there."""
        self.node = node
        self.chain = node.chain
        self.config = node.config
        self.sync_only = sync_only
        self.peers = Peers(self.config, node.signer, KINDS, self.on_frame, routes,
                           directory=self.chain)
        self.peers.on_connect = self.on_connect
        self.last_progress_ms = wall_ms()  # the last commit, here or by the producer
        self.gossip = TxGossip(node, self.peers, sync_only)
        self.sync = BlockSync(node, self.validators_at, self.commit, self.follow_head)
        self.snapshots = SnapshotServer(node)
        self.state_sync: StateSyncClient | None = None
        if state_sync and wants_state_sync(node):
            self.sync.held = True
            self.state_sync = StateSyncClient(node, lambda: list(self.peers.links.values()),
                                              self.sync.peer_heights, self.state_synced)
        self._state_task: asyncio.Task | None = None
        # With one validator the node's producer makes the blocks (node.service); the
        # consensus runs when there are several, on every node that validates or may be
        # made a validator by the registry (its driver signs nothing until then).
        several = len(self.validators_at(self.chain.head.height + 1)) > 1
        self.consensus = node.role != "observer" and several and not sync_only
        self.consensus_loop: ConsensusLoop | None = None
        if self.consensus:
            self.consensus_loop = ConsensusLoop(node, data_dir, self.peers,
                                                self.validators_at, self.commit)
        self._task: asyncio.Task | None = None

    def validators_at(self, height: int) -> ValidatorSet:
        """The validator set in force at `height`, for every reader of it here: the
        driver of a height, the proposer a proposal is checked against, which links are
        validators', the heads a resync waits for: the node registry's set of that
        height (known up to head + 2)."""
        return self.chain.validators_at(height)

    @property
    def driver(self) -> Driver | None:
        """The consensus driver of the current height, if this node runs consensus."""
        return self.consensus_loop.driver if self.consensus_loop is not None else None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self.consensus_loop is not None:
            self.consensus_loop.start()
        self.node.on_submit = self.gossip.on_submit
        self.node.on_commit = self.on_commit
        self.peers.start()
        self._task = asyncio.create_task(self._ticker())
        if self.state_sync is not None:
            self._state_task = asyncio.create_task(self.state_sync.run())

    async def stop(self) -> None:
        for task in (self._task, self._state_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self.snapshots.close()
        if self.consensus_loop is not None:
            self.consensus_loop.stop()
        self.gossip.stop()
        await self.peers.stop()
        if self.consensus_loop is not None:
            self.consensus_loop.close()

    # ------------------------------------------------------------------ commits

    def commit(self, block: Block, certificate: Certificate, run: Execution) -> None:
        """The commit epilogue, for a block consensus decided or block sync brought (its
        certificate verified, its execution `run` kept from validating it)."""
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
        """A new head, committed here or by the node's own producer: tell the peers, and
        read the node registry again (its block may have changed who links and votes)."""
        self.last_progress_ms = wall_ms()
        self.peers.refresh()
        self.peers.broadcast("status", [height])

    def state_synced(self) -> None:
        """The chain stands on a restored snapshot: wake the node's waiters, tell the
        peers, let the consensus and block sync go on from the new head."""
        node = self.node
        node.committed.set()
        node.committed = asyncio.Event()
        self.on_commit(self.chain.head.height)
        self.follow_head()
        self.sync.held = False
        for link in list(self.peers.links.values()):
            self.sync.maybe_request(link)

    def follow_head(self) -> None:
        """After block sync committed blocks: the consensus goes on from the new head."""
        if self.consensus_loop is not None:
            self.consensus_loop.follow_head()

    def sync_target(self) -> int | None:
        """The head a resync catches up with (`BlockSync.sync_target`)."""
        return self.sync.sync_target()

    # ------------------------------------------------------------------ time

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                # A block request lost with a closing link is asked again: a node behind
                # must not wait for a status frame that peers without a quorum never send.
                for link in list(self.peers.links.values()):
                    self.sync.maybe_request(link)
                if self.consensus_loop is not None:
                    self.consensus_loop.tick()
                self.node.mempool.recheck(wall_ms())  # after a proposal, off its path
                self.snapshots.release(asyncio.get_running_loop().time())
                if self.consensus_loop is not None:
                    self.consensus_loop.rebroadcast_if_stalled(self.last_progress_ms)
            except StoreFault:
                pass  # the store has stopped the node
            except Exception:
                log.exception("consensus tick failed")

    # ------------------------------------------------------------------ frames

    def on_connect(self, link: Link) -> None:
        self.sync.on_connect(link)
        if link.peer in self.peers.validators:
            self.gossip.on_validator_linked(link)

    async def on_frame(self, link: Link, kind: str, payload: object) -> None:
        """Hand a frame of a link to its part; `PeerError` with the refusal's code closes
        the link."""
        try:
            if kind == "vote" or kind == "proposal":
                if self.consensus_loop is not None:
                    self.consensus_loop.on_frame(link.peer, kind, payload)
            elif kind == "txs":
                await self.gossip.on_txs(link, txs_of(payload))
            elif kind == "status":
                self.sync.on_status(link, payload)
            elif kind == "get_blocks":
                self.sync.on_get_blocks(link, payload)
            elif kind == "blocks":
                await self.sync.on_blocks(link, payload)
            elif kind == "get_snapshot":
                await self.snapshots.on_get_snapshot(link, payload)
            elif kind == "get_headers":
                self.snapshots.on_get_headers(link, payload)
            elif kind == "get_chunk":
                await self.snapshots.on_get_chunk(link, payload)
            elif kind in STATE_SYNC_ANSWERS:
                if self.state_sync is not None:
                    self.state_sync.on_answer(link, kind, payload)
        except StoreFault:
            return  # the node stops (Node.fail): no fault of the peer's
        except (MessageError, CertificateError, LedgerError) as e:
            code = getattr(e, "code", "peer.bad_frame")
            log.warning("refused a %s frame from %s: %s", kind, link.name, code)
            raise PeerError(code, str(e)) from e
        except PeerError:
            raise
        except Exception as e:  # a bug must cost one link, never the node or its redialling
            log.exception("handling a %s frame from %s failed", kind, link.name)
            raise PeerError("peer.internal", repr(e)) from e
