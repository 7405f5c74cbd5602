"""Block execution and commitment: the chain of blocks and the state they produce.

A block is executed once against the state after its parent, on an overlay; its
result (state changes, transaction records, end-of-block events, state root) is kept
and written in one batch when the block is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from consensus.certificate import Certificate, CertificateError, verify_certificate
from contracts.codec import decode
from contracts.contract import Registry
from contracts.errors import LedgerError
from contracts.identity import verify
from contracts.ledger import (
    BlockInfo,
    CheckedTx,
    apply_transaction,
    check_transaction,
    end_block,
    genesis_state,
)
from contracts.state import Overlay, next_state_root
from node.blocks import (
    ZERO_HASH,
    Block,
    BlockEvents,
    Head,
    Header,
    TxRecord,
    block_id,
    tx_root,
    validators_hash,
)
from node.config import NetworkConfig
from node.store import Store, StoreError

log = logging.getLogger("claimledger.chain")


class InvalidBlock(LedgerError):
    pass


@dataclass
class Execution:
    """The outcome of executing transactions on top of the head."""

    height: int
    time_ms: int
    overlay: Overlay
    included: list[CheckedTx] = field(default_factory=list)
    records: list[TxRecord] = field(default_factory=list)
    failed: list[tuple[CheckedTx, LedgerError]] = field(default_factory=list)
    block_events: BlockEvents | None = None
    state_root: bytes = ZERO_HASH


class Chain:
    def __init__(self, store: Store, registry: Registry, config: NetworkConfig) -> None:
        self.store = store
        self.registry = registry
        self.config = config
        self.chain_id = config.chain_id
        self.validators_hash = validators_hash(config.validator_powers())
        self.head = self._open()

    # ----------------------------------------------------------------- genesis

    def genesis(self) -> tuple[Block, list[tuple[bytes, bytes | None]]]:
        changes = genesis_state(self.registry, self.config.genesis)
        header = Header(
            chain_id=self.chain_id,
            height=0,
            prev_hash=ZERO_HASH,
            time_ms=self.config.genesis.time_ms,
            proposer=ZERO_HASH,
            tx_root=tx_root([]),
            tx_count=0,
            state_root=next_state_root(ZERO_HASH, changes),
            validators_hash=self.validators_hash,
        )
        return Block(header, ()), changes

    def _open(self) -> Head:
        block, changes = self.genesis()
        expected = block_id(block.header)
        stored = self.store.genesis_id()
        if stored is None:
            head = Head(0, expected, block.header.state_root, block.header.time_ms)
            self.store.commit_block(
                block, None, [], BlockEvents(0, ()), changes, head, genesis=True
            )
            log.info("initialised chain %s at genesis %s", self.chain_id, expected.hex())
            return head
        if stored != expected:
            raise StoreError(
                "store.other_network",
                "this data directory holds another network's chain (genesis "
                f"{stored.hex()[:16]}…, network.toml gives {expected.hex()[:16]}…)",
            )
        head = self.store.head()
        assert head is not None, "a store with a genesis has a head"
        return head

    # ----------------------------------------------------------------- execution

    def next_time_ms(self, wall_ms: int) -> int:
        """Block time: the proposer's clock, and always after the parent's time."""
        return max(wall_ms, self.head.time_ms + 1)

    def execute(self, txs: list[CheckedTx], time_ms: int) -> Execution:
        """Apply `txs` in order on top of the head; failing ones are left out and reported."""
        height = self.head.height + 1
        info = BlockInfo(self.chain_id, height, time_ms)
        run = Execution(height, time_ms, Overlay(self.store))
        for checked in txs:
            try:
                events = apply_transaction(self.registry, run.overlay, checked, info)
            except LedgerError as e:
                run.failed.append((checked, e))
                continue
            run.records.append(TxRecord(checked.id, height, len(run.included), tuple(events)))
            run.included.append(checked)
        run.block_events = BlockEvents(height, tuple(end_block(self.registry, run.overlay, info)))
        run.state_root = next_state_root(self.head.state_root, run.overlay.changes())
        return run

    def make_block(self, run: Execution, proposer: bytes) -> Block:
        raw = tuple(c.raw for c in run.included)
        header = Header(
            chain_id=self.chain_id,
            height=run.height,
            prev_hash=self.head.block_id,
            time_ms=run.time_ms,
            proposer=proposer,
            tx_root=tx_root(raw),
            tx_count=len(raw),
            state_root=run.state_root,
            validators_hash=self.validators_hash,
        )
        return Block(header, raw)

    def validate_block(
        self, block: Block, checked: Callable[[bytes], CheckedTx | None] = lambda raw: None
    ) -> Execution:
        """Execute a block received from elsewhere; `InvalidBlock` unless it is exactly right.

        `checked(raw)` gives a transaction this node already decoded and verified (its
        mempool), so a signature is verified once per node, not again in the block.
        """
        h = block.header
        expected = {
            "chain_id": self.chain_id,
            "height": self.head.height + 1,
            "prev_hash": self.head.block_id,
            "validators_hash": self.validators_hash,
            "tx_count": len(block.txs),
            "tx_root": tx_root(block.txs),
        }
        for name, value in expected.items():
            if getattr(h, name) != value:
                raise InvalidBlock("block.bad_header", f"header field {name} is wrong")
        if h.time_ms <= self.head.time_ms:
            raise InvalidBlock("block.bad_time", "block time is not after its parent's")
        txs = [checked(raw) or check_transaction(self.registry, self.chain_id, raw, h.height)
               for raw in block.txs]
        run = self.execute(txs, h.time_ms)
        if run.failed:
            tx, error = run.failed[0]
            raise InvalidBlock("block.bad_tx", f"transaction {tx.id.hex()} fails: {error.code}")
        if run.state_root != h.state_root:
            raise InvalidBlock("block.bad_state_root", "the state root does not match")
        return run

    def verify_certificate(self, block: Block, certificate: Certificate) -> None:
        try:
            verify_certificate(
                certificate, self.chain_id, block.header.height, block.id,
                self.config.validator_powers(), verify,
            )
        except CertificateError as e:
            raise InvalidBlock(e.code, e.message) from e

    def commit(self, block: Block, certificate: Certificate, run: Execution) -> Head:
        assert block.header.height == self.head.height + 1 == run.height
        assert block.header.state_root == run.state_root
        head = Head(run.height, block.id, run.state_root, run.time_ms)
        assert run.block_events is not None
        self.store.commit_block(
            block, certificate, run.records, run.block_events, run.overlay.changes(), head
        )
        self.head = head
        return head

    def block(self, height: int) -> Block | None:
        return self.store.block(height)

    def decode_block(self, raw: bytes) -> Block:
        return decode(Block, raw, max_bytes=64 << 20)
