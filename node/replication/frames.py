"""The frames replication exchanges with its peers, and the room a frame keeps.

Kinds: "proposal" and "vote" (consensus, node.replication.consensus_loop), "txs"
(transaction gossip, node.replication.gossip), "status", "get_blocks" and "blocks"
(block sync, node.replication.sync), "get_snapshot", "snapshot", "get_headers", "headers",
"get_chunk" and "chunk" (state sync, node.state_sync). Every frame fits
`node.peers.MAX_FRAME_BYTES`.
"""

from __future__ import annotations

KINDS = frozenset({"proposal", "vote", "txs", "status", "get_blocks", "blocks",
                   "get_snapshot", "snapshot", "get_headers", "headers", "get_chunk", "chunk"})
STATE_SYNC_ANSWERS = frozenset({"snapshot", "headers", "chunk"})
# A frame keeps this much room beside its blocks' or transactions' bytes: headers,
# certificates (a precommit of each of up to 1,024 validators), the msgpack around them.
FRAME_ROOM_BYTES = 1 << 20
