"""Transaction gossip: a validator's submitted transactions out to the other validators,
theirs into its mempool.

- Out: what is submitted in one turn of the event loop goes in one frame "txs": [raw
  transaction, ...], sent at the end of that turn (no added latency), or earlier once
  MAX_TXS_PER_FRAME transactions or TXS_FRAME_BYTES bytes wait. The pending ones go
  again, in such frames, to a validator whose link comes up.
- In: a peer's transactions count against the peer's share of the mempool (`peer` of
  `Mempool.submit`): past it they are dropped before decoding, and counted. A refused
  transaction is logged and the link goes on; a frame that is not a list of at most
  MAX_TXS_PER_FRAME byte strings closes the link.
- Observers and a resyncing node (`sync_only`) neither take nor send transactions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator

from contracts.errors import LedgerError
from contracts.tx import MAX_LARGE_TX_BYTES
from node.peers import MAX_FRAME_BYTES, Link, PeerError, Peers
from node.replication.frames import FRAME_ROOM_BYTES
from node.service import Node, wall_ms
from node.store import StoreFault

log = logging.getLogger("claimledger.consensus")

MAX_TXS_ON_CONNECT = 5_000  # pending transactions sent to a peer when a link comes up
MAX_TXS_PER_FRAME = 1_000  # transactions in one "txs" frame
TXS_FRAME_BYTES = 1 << 20  # a "txs" frame is sent once its transactions reach this size
TXS_YIELD_EVERY = 100  # transactions of a frame admitted between two turns of the loop
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


class TxGossip:
    """A node's transaction gossip over its peer links."""

    def __init__(self, node: Node, peers: Peers, sync_only: bool) -> None:
        self.node = node
        self.peers = peers
        self.sync_only = sync_only
        self.outgoing: list[bytes] = []  # submitted transactions for the next "txs" frame
        self.outgoing_bytes = 0
        self._flush: asyncio.Handle | None = None

    @property
    def active(self) -> bool:
        """Takes and sends transactions: a validator (as the registry says now)."""
        return self.node.is_validator and not self.sync_only

    def on_submit(self, raw: bytes) -> None:
        """Gossip a transaction the mempool took in: it joins the next "txs" frame, sent
        at the end of this turn of the event loop, or now if the frame is full."""
        self.outgoing.append(raw)
        self.outgoing_bytes += len(raw)
        if len(self.outgoing) >= MAX_TXS_PER_FRAME or self.outgoing_bytes >= TXS_FRAME_BYTES:
            self.flush()
        elif self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Send the transactions gossip holds, in one "txs" frame to each validator."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        txs, self.outgoing, self.outgoing_bytes = self.outgoing, [], 0
        if txs:
            assert len(txs) <= MAX_TXS_PER_FRAME
            self.peers.broadcast("txs", txs, validators_only=True)

    def stop(self) -> None:
        """Drop a flush still scheduled: the links are closing."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None

    def on_validator_linked(self, link: Link) -> None:
        """Send a validator whose link came up what was submitted while it was down."""
        if not self.active:
            return
        mempool = self.node.mempool
        pending = mempool.batch(MAX_TXS_ON_CONNECT, mempool.max_bytes)
        for frame in tx_frames(checked.raw for checked in pending):
            link.send("txs", frame)

    async def on_txs(self, link: Link, txs: list[bytes]) -> None:
        """Admit a peer's transactions to the mempool, in order; a refusal (one already
        here or committed, a rule) is the peer's view of an older state, not a fault.
        Gossip past the peer's share is dropped before it is decoded, and counted."""
        if not self.active:
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
