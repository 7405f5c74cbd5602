"""Block sync (every node): a node behind fetches blocks with their certificates.

Heads are exchanged on connect and after each commit (frame "status": [height]); a node
behind asks a peer ahead of it for at most sync_batch_blocks blocks (frame "get_blocks":
[from, to]) and gets frame "blocks": [[block bytes, certificate wire], ...], as many of
them as fit SYNC_FRAME_BYTES (at least one). A request lost with a closing link is asked
again after REQUEST_AGAIN_S. Each certificate is verified against the validator set
before the block is executed; a block that fails either is refused with its code and
the link is closed. `sync_target` says which head a resync counts as caught up. A node
that state-syncs holds its requests (`held`) until its snapshot is restored; a
state-synced node serves blocks from its base on (none below: the peer asks another).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from consensus.certificate import Certificate
from consensus.validators import ValidatorSet
from node.blocks import Block
from node.chain import Execution, InvalidBlock
from node.peers import MAX_FRAME_BYTES, Link, PeerError, pack
from node.replication.frames import FRAME_ROOM_BYTES
from node.service import Node

log = logging.getLogger("claimledger.consensus")

SYNC_FRAME_BYTES = MAX_FRAME_BYTES - FRAME_ROOM_BYTES  # blocks and certificates per frame
REQUEST_AGAIN_S = 2.0  # a request to one peer unanswered this long is sent again


class BlockSync:
    """Heads of the peers, block requests out, blocks served and taken in.

    `commit` is the replication's commit epilogue, called for each block taken in;
    `advanced` is called after each block taken in, before the event loop takes another
    turn (the consensus follows the new head at once)."""

    def __init__(self, node: Node, validators_at: Callable[[int], ValidatorSet],
                 commit: Callable[[Block, Certificate, Execution], None],
                 advanced: Callable[[], None]) -> None:
        self.node = node
        self.chain = node.chain
        self.timing = node.config.timing
        self.validators_at = validators_at
        self.commit = commit
        self.advanced = advanced
        self.peer_heights: dict[bytes, int] = {}
        self.requested: dict[bytes, float] = {}  # peer -> loop time of the last request
        self.held = False  # while a state sync (node.replication.state_sync) runs

    def on_connect(self, link: Link) -> None:
        """Tell a new link this node's head; a request on the link it replaces is lost."""
        self.requested.pop(link.peer, None)
        link.send("status", [self.chain.head.height])

    def on_status(self, link: Link, payload: object) -> None:
        if not (isinstance(payload, list) and len(payload) == 1 and type(payload[0]) is int):
            raise PeerError("peer.bad_frame", "status is [height]")
        self.peer_heights[link.peer] = payload[0]
        self.maybe_request(link)

    def maybe_request(self, link: Link) -> None:
        """Ask the peer for the next blocks if it is ahead and no request to it waits."""
        mine = self.chain.head.height
        theirs = self.peer_heights.get(link.peer, 0)
        if theirs <= mine or self.held:
            return
        now = asyncio.get_running_loop().time()
        if now - self.requested.get(link.peer, 0.0) < REQUEST_AGAIN_S:
            return
        self.requested[link.peer] = now
        to = min(theirs, mine + self.timing.sync_batch_blocks)
        link.send("get_blocks", [mine + 1, to])

    def on_get_blocks(self, link: Link, payload: object) -> None:
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

    async def on_blocks(self, link: Link, payload: object) -> None:
        """Verify, execute and commit a frame's blocks in order, giving the event loop a
        turn after each: a frame holds up to SYNC_FRAME_BYTES of blocks (seconds of
        signature checks), and meanwhile the links' heartbeats, the API and the consensus
        must go on, or a node catching up loses its links and answers nobody."""
        if not isinstance(payload, list):
            raise PeerError("peer.bad_frame", "blocks is a list")
        self.requested.pop(link.peer, None)
        for item in payload:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], bytes)):
                raise PeerError("peer.bad_frame", "a block entry is [block, certificate]")
            block = self.chain.decode_block(item[0])
            certificate = Certificate.from_wire(item[1])
            if block.header.height != self.chain.head.height + 1:
                continue  # taken in already (from another link, meanwhile)
            try:
                self.chain.verify_certificate(block, certificate)
                run = self.chain.validate_block(block, self.node.mempool.checked)
            except InvalidBlock as e:
                log.warning("refused block %d from %s: %s", block.header.height,
                            link.name, e.code)
                raise
            self.commit(block, certificate, run)
            self.advanced()  # before the turn: no driver decides a height synced here
            await asyncio.sleep(0)  # the next block is checked against the head then
        self.maybe_request(link)

    def sync_target(self) -> int | None:
        """The head a resync catches up with: the highest one the other validators
        reported, once f + 1 of them did (all of them when there are fewer); None before.
        f + 1 reports include an honest validator's, so a few faulty ones cannot end a
        resync early (a report too high only makes it wait)."""
        me = self.node.address
        validators = self.validators_at(self.chain.head.height + 1)
        others = [key for key in validators.powers if key != me]
        heard = [self.peer_heights[k] for k in others if k in self.peer_heights]
        needed = min(len(others), (len(validators) - 1) // 3 + 1)
        if not heard or len(heard) < needed:
            return None
        return max(heard)
