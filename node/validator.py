"""Replication moved to the package node.replication (a facade and three parts); the
names imported from here before are kept for code not yet updated."""

from node.replication.consensus_loop import MAX_BLOCKS_KEPT, REBROADCAST_MS
from node.replication.facade import TICK_S, Replication
from node.replication.frames import FRAME_ROOM_BYTES, KINDS
from node.replication.gossip import (
    MAX_TXS_ON_CONNECT,
    MAX_TXS_PER_FRAME,
    TXS_FRAME_BYTES,
    tx_frames,
    txs_of,
)
from node.replication.sync import SYNC_FRAME_BYTES

__all__ = [
    "FRAME_ROOM_BYTES", "KINDS", "MAX_BLOCKS_KEPT", "MAX_TXS_ON_CONNECT", "MAX_TXS_PER_FRAME",
    "REBROADCAST_MS", "SYNC_FRAME_BYTES", "TICK_S", "TXS_FRAME_BYTES", "Replication",
    "tx_frames", "txs_of",
]
