"""Replication: what a node does with its peers, in three parts and one facade.

- `facade.Replication`: the object the node creates (node/cli.py); its links, the frames
  handed to the parts, the commit epilogue, the validator set of a height, the ticker.
- `consensus_loop.ConsensusLoop`: a validator's `consensus.Driver` per height, its
  timers, proposing, validating and deciding.
- `gossip.TxGossip`: transactions out to the other validators and in from them.
- `sync.BlockSync`: heads exchanged, blocks asked for, served and taken in.
- `frames`: the frame kinds and the room a frame keeps beside its payload.
"""

from node.replication.facade import Replication
from node.replication.frames import KINDS

__all__ = ["KINDS", "Replication"]
