"""A light node's trust root: block 0, computed from the genesis document.

The light node takes nothing about the chain from the nodes it asks until it has checked
it against this. It computes the genesis block with the nodes' own code
(node.chain.genesis_block) from its genesis.json, the file every node of the network
holds byte for byte; the genesis block's id and the validator powers it names start
contracts.proofs' chain of trust. Then each later header must carry the precommits of
more than 2/3 of the power of a set the light node already trusts (contracts.proofs).

On a restart it resumes from its store: the trust point and the header of its height,
after checking that the stored genesis header is the one the genesis.json gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts import nodes
from contracts.blocks import Header, block_id
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.proofs import Trusted, trust_genesis
from contracts.state import MemoryStore
from node.chain import genesis_block
from node.config import Limits
from node.genesis import load_genesis, network_config
from node.light.store import LightStore, StoredHeader, TrustPoint, Verified, powers_tuple


@dataclass(frozen=True)
class Genesis:
    """What a light node knows from the genesis document alone."""

    chain_id: str
    header: Header
    block_id: bytes
    powers: dict[bytes, int]  # in force at height 0
    next_powers: dict[bytes, int]  # in force at height 1


def genesis_of(path: Path) -> Genesis:
    """Block 0 of the genesis document at `path`, as every node of its network makes it."""
    registry = default_registry()
    document, hash_ = load_genesis(path)
    config = network_config(document, hash_, 1, 1, Limits(), registry)
    block, changes, _ = genesis_block(registry, config.genesis)
    state = MemoryStore()
    state.apply(changes)
    at_zero, at_one = nodes.set_at(state, 0), nodes.set_at(state, 1)
    assert at_zero is not None and at_one is not None, "genesis_block checked them"
    return Genesis(config.chain_id, block.header, block_id(block.header),
                   {v.key: v.power for v in at_zero.validators},
                   {v.key: v.power for v in at_one.validators})


def open_trust(store: LightStore, genesis: Genesis) -> Trusted:
    """Where the light node stands: its stored trust point, or the genesis on a first
    start (written to the store). `light.genesis_mismatch` for a store of another chain."""
    point = store.trust()
    if point is None:
        trusted = trust_genesis(genesis.block_id, genesis.header, genesis.powers,
                                genesis.next_powers)
        store.write(Verified(headers=(StoredHeader(genesis.header, None),),
                             trust=TrustPoint(0, powers_tuple(trusted.validators))))
        return trusted
    stored_genesis = store.header(0)
    if stored_genesis is None or block_id(stored_genesis.header) != genesis.block_id:
        raise LedgerError("light.genesis_mismatch", "this light store follows another chain "
                          "than the genesis.json given: use the genesis it started with, or "
                          "a new data directory")
    head = store.header(point.height)
    if head is None:
        raise LedgerError("light.store_corrupt", f"no stored header at the trusted height "
                          f"{point.height}")
    return Trusted(genesis.chain_id, point.height, head.header, point.powers)
