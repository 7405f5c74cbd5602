"""A running node: its chain, mempool and key, block production and shutdown.

A network of one validator runs the producer here: it makes a block whenever
transactions wait (after a short gathering interval) and an empty block when ledger
time has stood still for the configured idle interval, with a commit certificate signed
by that validator alone. With several validators the blocks come from the BFT
consensus instead (node.replication), in the same format with more precommits.

A store fault (a read that fails its checksum, a write the disk refuses) stops the node:
`fail` keeps the fault, logs it and stops; the command line exits with its code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consensus.certificate import make_certificate
from contracts.contract import Registry, default_registry
from contracts.errors import LedgerError
from contracts.evidence import Equivocation
from contracts.identity import KeyPair, verify
from node import operations
from node.blocks import MAX_BLOCK_TX_BYTES, Head
from node.chain import Chain
from node.config import NetworkConfig, NodeEntry
from node.evidence import EvidencePool
from node.mempool import Mempool
from node.metrics import NodeMetrics
from node.signer import NodeSigner, as_signer
from node.store import Store, StoreFault

log = logging.getLogger("claimledger.node")


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Identity:
    """How the genesis lists this node ("validator" or "observer"), or, for a node the
    genesis does not list (a newcomer, a rotated key), "" and the entry its node.toml
    gives. What the node is now is the registry's word: `Node.role`."""

    role: str
    entry: NodeEntry


def identify(config: NetworkConfig, key: KeyPair | NodeSigner,
             own: NodeEntry | None = None) -> Identity:
    """The genesis's entry of `key`; else `own` (node.toml's name and addresses), for a
    node the registry may admit later; `config.unknown_node` when neither."""
    found = config.node_by_key(key.address)
    if found is not None:
        return Identity(*found)
    if own is None:
        raise LedgerError(
            "config.unknown_node",
            f"the node key {key.address.hex()} is neither a validator nor an observer in "
            "network.toml",
        )
    return Identity("", own)


class Node:
    def __init__(
        self,
        config: NetworkConfig,
        data_dir: Path,
        key: KeyPair | NodeSigner,
        registry: Registry | None = None,
        own: NodeEntry | None = None,
    ) -> None:
        """`own`: this node's name and addresses when the genesis does not list its key
        (node.toml's); the node then follows until the registry admits it."""
        self.config = config
        # The node key only through its signer (node/signer.py): a bare key pair is wrapped.
        self.signer = as_signer(key)
        self.address = self.signer.address
        self.identity = identify(config, self.signer, own)
        self._role: tuple[int, str] | None = None  # (head height, role) last read
        self.registry = registry or default_registry()
        self._stopping = asyncio.Event()  # before the store: a fault at start stops the node
        self.store = Store(data_dir / "ledger")
        self.fault: StoreFault | None = None
        self.store.on_fault = self.fail
        try:
            self.chain = Chain(self.store, self.registry, config)
        except Exception:
            self.store.close()
            raise
        self.mempool = Mempool(self.chain, config.timing.max_mempool_txs, limits=config.limits)
        # Its own metrics registry (node/metrics.py) and the peer wiring, once started
        # (node.validator.Replication): /v1/status, /ready and /metrics read them.
        self.metrics = NodeMetrics()
        self.chain.metrics = self.metrics
        self.replication: Any = None
        operations.watch(self)
        self.evidence = EvidencePool()  # equivocations found, for this node's next block
        self.committed = asyncio.Event()  # set and replaced at every commit
        # Hooks of the peer wiring (node.replication): a new transaction, a new head.
        self.on_submit: Callable[[bytes], None] | None = None
        self.on_commit: Callable[[int], None] | None = None

    @property
    def role(self) -> str:
        """What the node registry makes this node for the height it works on:
        "validator" (in force, or in a set already decided for a later height: it syncs
        before it votes), "observer", or "" (not registered, or removed: it follows).
        Read again after each new head."""
        head = self.chain.head.height
        if self._role is None or self._role[0] != head:
            self._role = (head, self.chain.node_role(self.address) or "")
        return self._role[1]

    @property
    def is_validator(self) -> bool:
        return self.role == "validator"

    def describe_role(self) -> str:
        """The role in words, for the log at start and the status."""
        role = self.role
        if role == "validator":
            here = self.chain.validators_at(self.chain.head.height + 1)
            if self.address in here:
                return f"validator at height {self.chain.head.height + 1}"
            return "validator from a coming height (syncing first)"
        if role == "observer":
            return "observer"
        return "not yet registered: waiting for admission (following the chain)"

    @property
    def name(self) -> str:
        return self.identity.entry.name

    def produce(self, now_ms: int) -> Head:
        """Build, certify and commit one block from the pending transactions."""
        chain = self.chain
        batch = self.mempool.batch(self.config.timing.max_block_txs, MAX_BLOCK_TX_BYTES)
        run = chain.execute(batch, *self.block_extras(now_ms))
        block = chain.make_block(run, self.address)
        certificate = make_certificate(
            chain.chain_id, block.header.height, 0, block.id,
            {self.address: self.signer.sign_consensus},
        )
        head = chain.commit(block, certificate, run)
        self.mempool.after_commit(run.included, run.failed, now_ms)
        self.evidence.after_commit(run.evidence)
        for checked, error in run.failed:
            log.info("left out %s: %s", checked.id.hex()[:16], error.code)
        log.info(
            "committed height=%d txs=%d id=%s", head.height, len(run.included),
            head.block_id.hex()[:16],
        )
        self.committed.set()
        self.committed = asyncio.Event()
        if self.on_commit is not None:
            self.on_commit(head.height)
        return head

    def block_extras(self, now_ms: int) -> tuple[int, list[Equivocation]]:
        """The time of a block this node makes now and the evidence it carries."""
        chain = self.chain
        time_ms = chain.next_time_ms(now_ms)
        evidence = self.evidence.for_block(chain.chain_id, chain.powers_at, verify,
                                           chain.store, chain.head.height + 1, time_ms)
        return time_ms, evidence

    def producing_alone(self) -> bool:
        """This node is the only validator at the next height: its producer's blocks,
        certified by its signature alone, are valid there."""
        return set(self.chain.validators_at(self.chain.head.height + 1).powers) == \
            {self.address}

    async def run_producer(self) -> None:
        """Make the blocks while this node is the only validator. When the registry adds
        validators the producer stops before the height they count from (a block it
        certified alone would not be valid there): the node then waits, and a restart
        runs it with the consensus (node.replication) from its head."""
        timing = self.config.timing
        while not self._stopping.is_set():
            if not self.producing_alone():
                log.warning("the node registry makes %d validators from height %d: this "
                            "node no longer makes blocks alone; restart it to run the "
                            "consensus with them", len(self.chain.validators_at(
                                self.chain.head.height + 1)), self.chain.head.height + 1)
                await self._stopping.wait()
                break
            with contextlib.suppress(TimeoutError):  # the interval passed: a block is due
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=timing.block_interval_ms / 1000
                )
            if self._stopping.is_set():
                break
            now = wall_ms()
            idle = now - self.chain.head.time_ms >= timing.empty_block_interval_ms
            if len(self.mempool) or idle:
                try:
                    self.produce(now)
                except StoreFault:
                    break  # `fail` has stopped the node

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    def fail(self, fault: StoreFault) -> None:
        """Stop because the store cannot be trusted or written: nothing more is served."""
        if self.fault is None:
            self.fault = fault
            log.critical("%s: %s; the node stops", fault.code, fault.message)
        self.stop()

    def close(self) -> None:
        self.store.close()
