"""network.toml: the chain id, genesis, validators, observers, members and timings.

Loaded once at start and passed down; nothing reads it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts.errors import LedgerError
from contracts.ledger import Genesis


@dataclass(frozen=True)
class NodeEntry:
    name: str
    key: bytes  # the node's Ed25519 public key
    api: str  # host:port of its HTTP API
    power: int
    peer: str = ""  # host:port of its TLS peer links (validators)
    # How its API is served and how wallets check it (API_TLS_MODES): "node-key", a
    # certificate bound to the node key; "ca", a CA-issued certificate; "off", plain HTTP,
    # on a loopback address only. Default: "off" on a loopback api address (the devnet),
    # "node-key" elsewhere.
    api_tls: str = "node-key"


@dataclass(frozen=True)
class Timing:
    block_interval_ms: int  # how long a validator gathers transactions before a block
    empty_block_interval_ms: int  # the longest ledger time stands still without a block
    max_block_txs: int
    max_mempool_txs: int
    # BFT consensus (networks of more than one validator); see node/replication/.
    timeout_propose_ms: int = 3000  # propose step; grows by timeout_delta_ms each round
    timeout_vote_ms: int = 1000  # prevote and precommit steps; grow likewise
    timeout_delta_ms: int = 500
    clock_drift_ms: int = 1000  # how far ahead of a validator's clock a block time may be
    message_delay_ms: int = 500  # added to clock_drift_ms for the proposal's travel time
    sync_batch_blocks: int = 64  # blocks per block sync request


@dataclass(frozen=True)
class Limits:
    """[limits] in network.toml: how much one client, member or peer may ask of a node.

    The defaults suit a node that faces the internet. 50 transactions a second per
    client address (a burst of 500) is more than a member's back office sends by hand or
    by batch job, and twenty such addresses still leave a validator, which verifies a few
    thousand signatures a second, most of its time for blocks; benchmarks and load tests
    set their own, higher limits. A member (counted against every member that signed a
    transaction) holds at most 1,000 pending transactions or 16 MiB (three of the largest
    document attachments): a wallet that floods fills its own quota, not the mempool.
    Every transaction of a member that fails its rules in a block costs that member
    `member_failure_cost_txs` of its quota, healing linearly within `failure_heal_s`, so
    well-signed transactions that fail cannot keep mempools full. A peer's gossip holds at
    most `peer_share_percent` of the mempool (its count and its bytes), all peers' gossip
    together leaves `own_reserve_percent` to this node's own clients, and every gossiped
    transaction that fails in a block costs its peer `peer_failure_cost_txs` of its share
    likewise.
    """

    submit_rate_per_s: int = 50  # transactions a second per client address
    submit_burst: int = 500  # submitted at once by one client address
    max_clients: int = 10_000  # client addresses whose budgets are remembered
    member_pending_txs: int = 1_000  # pending transactions one member signed
    member_pending_bytes: int = 16 << 20  # ... and their bytes
    member_failure_cost_txs: int = 10  # quota a transaction failing in a block costs
    peer_share_percent: int = 25  # of the mempool (count and bytes) one peer's gossip holds
    own_reserve_percent: int = 25  # of the mempool that gossip never fills
    peer_failure_cost_txs: int = 10  # share a gossiped transaction failing in a block costs
    failure_heal_s: int = 600  # a penalty as large as the whole quota heals in this time


@dataclass(frozen=True)
class NetworkConfig:
    chain_id: str
    genesis: Genesis
    validators: tuple[NodeEntry, ...]
    observers: tuple[NodeEntry, ...]
    timing: Timing
    fee_rate_bp: int
    limits: Limits = Limits()
    # sha256 of the genesis document's bytes (node/genesis.py): the store keeps it and
    # refuses another (genesis.mismatch); empty in tests that build a config by hand.
    genesis_hash: bytes = b""

    def node_by_key(self, key: bytes) -> tuple[str, NodeEntry] | None:
        for role, entries in (("validator", self.validators), ("observer", self.observers)):
            for entry in entries:
                if entry.key == key:
                    return role, entry
        return None

    def validator_powers(self) -> dict[bytes, int]:
        return {v.key: v.power for v in self.validators}


def parse_network(text: str) -> NetworkConfig:
    """network.toml's `text` as the configuration a node runs by, read through the
    genesis document and node settings it makes (node/network_template.py)."""
    from node.genesis import encode_genesis, genesis_hash, network_config
    from node.network_template import read_plan  # these build on the types above

    plan = read_plan(text)
    return network_config(plan.genesis, genesis_hash(encode_genesis(plan.genesis)),
                          plan.max_mempool_txs, plan.sync_batch_blocks, plan.limits)


def parse_limits(raw: object) -> Limits:
    """[limits]; `config.bad_limits` names a value out of bounds, an unknown name or a
    burst below the rate."""
    from node.node_config import parse_limits as parse

    return parse(raw)


def load_network(path: Path) -> NetworkConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LedgerError("config.invalid", f"cannot read {path}: {e.strerror}") from e
    return parse_network(text)
