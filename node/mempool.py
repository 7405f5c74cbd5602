"""The mempool: transactions checked on arrival, waiting for a block.

On arrival a transaction is decoded and its envelope and signatures verified (once: the
block path reuses the checked object). A transaction a client submits through this
node's API is also dry-run against the state after the pending transactions this node
took from its own clients, so the client hears at once that a rule refuses it, and a
transaction resting on one just submitted here (an application on the document
attached before it) is accepted; after each block those are run again on the new state
(a recheck) and the ones that now fail are dropped with their code.

Transactions gossiped by other validators are not dry-run here: their entry validator
answered for them, and the block decides (each validator executing each transaction
once per block, not three times). A conflict between transactions that entered through
different validators is settled by the block: the later one fails there and is dropped
with its code (`GET /v1/txs/{id}` answers `rejected`).

Under load the recheck would cost more than the blocks themselves, so it is bounded:
when more than `RECHECK_MAX_TXS` of the node's own transactions remain after a block,
dry-runs stop and what arrives is held verified but unchecked until a block leaves at
most that many behind. Execution in a block is what counts either way: the mempool's
view only answers early.

The mempool is bounded twice: by count (`max_mempool_txs` of network.toml) and by the
bytes it holds, so a flood of large transactions cannot exhaust memory either; when full
it refuses with `mempool.full` and the API tells the client to retry. Its byte budget
holds some 28 of the largest (document) transactions, or thousands of ordinary ones.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from contracts.errors import LedgerError
from contracts.ledger import BlockInfo, CheckedTx, apply_transaction, check_transaction
from contracts.state import Overlay
from node.chain import Chain

log = logging.getLogger("claimledger.mempool")

MAX_REJECTED_KEPT = 10_000
MAX_MEMPOOL_BYTES = 128 * 1024 * 1024
RECHECK_MAX_TXS = 500  # own pending transactions run again after a block; beyond: unchecked


class Mempool:
    def __init__(self, chain: Chain, max_txs: int, max_bytes: int = MAX_MEMPOOL_BYTES) -> None:
        assert max_txs >= 1 and max_bytes >= 1
        self.chain = chain
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self.bytes = 0  # of the pending transactions' raw forms
        self.pending: OrderedDict[bytes, CheckedTx] = OrderedDict()
        self.by_raw: dict[bytes, CheckedTx] = {}  # the same, by the bytes that were checked
        self.rejected: OrderedDict[bytes, LedgerError] = OrderedDict()
        self.own: set[bytes] = set()  # pending ids submitted through this node's API
        # The state after the pending transactions in `own`, while dry-runs are on; None
        # while more of them wait than a recheck may run again (the module's docstring).
        self.overlay: Overlay | None = Overlay(chain.store)
        self.recheck_due = False  # a block was committed; own ones to run again (`recheck`)

    def __len__(self) -> int:
        return len(self.pending)

    def _remember_rejection(self, tx_id: bytes, error: LedgerError) -> None:
        self.rejected[tx_id] = error
        self.rejected.move_to_end(tx_id)
        while len(self.rejected) > MAX_REJECTED_KEPT:
            self.rejected.popitem(last=False)

    def submit(self, raw: bytes, wall_ms: int, own: bool = True) -> tuple[CheckedTx, bool]:
        """Check and admit a transaction; returns it and whether it was new. `own`: a
        client submitted it here (dry-run it); else a peer gossiped it (do not).

        Raises `LedgerError`: envelope and signature codes, `tx.replay` for one already on
        the ledger, `mempool.full`, or the code of the rule that refuses it.
        """
        head = self.chain.head
        known = self.by_raw.get(raw)  # the same bytes again: no second check
        if known is None:
            # A full mempool refuses before any decoding or signature check: a client
            # retrying a large batch against it costs a lookup per transaction.
            if len(self.pending) >= self.max_txs or self.bytes + len(raw) > self.max_bytes:
                raise LedgerError("mempool.full", "the mempool is full; retry in a moment")
            checked = check_transaction(self.chain.registry, self.chain.chain_id, raw,
                                        head.height + 1)
            known = self.pending.get(checked.id)  # the same transaction in other bytes
        if known is not None:
            if own and known.id not in self.own:
                self._adopt(known.id, wall_ms)
            return known, False
        if self.chain.store.tx_record(checked.id) is not None:
            raise LedgerError("tx.replay", "this transaction is already on the ledger")
        if own and self.recheck_due:
            self.recheck(wall_ms)
        if self.overlay is None and not self.own:
            self.overlay = Overlay(self.chain.store)
        if own and self.overlay is not None:
            info = BlockInfo(self.chain.chain_id, head.height + 1,
                             self.chain.next_time_ms(wall_ms))
            try:
                apply_transaction(self.chain.registry, self.overlay, checked, info)
            except LedgerError as e:
                self._remember_rejection(checked.id, e)
                raise
        self.rejected.pop(checked.id, None)
        self.pending[checked.id] = checked
        if own:
            self.own.add(checked.id)
        self.by_raw[checked.raw] = checked
        self.bytes += len(checked.raw)
        return checked, True

    def _adopt(self, tx_id: bytes, wall_ms: int) -> None:
        """A client submits here one a peer gossiped first: from now on it is this node's
        own, in the dry-run state, so the client's next transaction may rest on it. One
        that fails there stays pending (the block decides) and a recheck drops it."""
        self.own.add(tx_id)
        if self.recheck_due:
            self.recheck(wall_ms)  # runs it with the others
        elif self.overlay is not None:
            head = self.chain.head
            info = BlockInfo(self.chain.chain_id, head.height + 1,
                             self.chain.next_time_ms(wall_ms))
            try:
                apply_transaction(self.chain.registry, self.overlay, self.pending[tx_id], info)
            except LedgerError as e:
                log.debug("%s, first gossiped here, fails its dry-run: %s",
                          tx_id.hex()[:16], e.code)

    def checked(self, raw: bytes) -> CheckedTx | None:
        """The pending transaction with exactly these bytes, already verified, if any."""
        return self.by_raw.get(raw)

    def _drop(self, tx_id: bytes) -> None:
        checked = self.pending.pop(tx_id, None)
        self.own.discard(tx_id)
        if checked is not None:
            self.by_raw.pop(checked.raw, None)
            self.bytes -= len(checked.raw)
            assert self.bytes >= 0

    def batch(self, max_txs: int, max_bytes: int) -> list[CheckedTx]:
        """The oldest pending transactions, in arrival order: at most `max_txs` of them and
        `max_bytes` of their raw forms, and at least the oldest one if it fits alone.

        The batch ends at the first transaction that does not fit: one after it may rest
        on it (an application on the document attached just before) and must not go first.
        """
        assert max_txs >= 1 and max_bytes >= 1
        out = []
        size = 0
        for checked in self.pending.values():
            if len(out) >= max_txs or size + len(checked.raw) > max_bytes:
                break
            out.append(checked)
            size += len(checked.raw)
        return out

    @property
    def dry_running(self) -> bool:
        """Whether arrivals are dry-run against the pending state (not under load)."""
        return self.overlay is not None or self.recheck_due

    def after_commit(self, included: list[CheckedTx],
                     failed: list[tuple[CheckedTx, LedgerError]], wall_ms: int,
                     defer: bool = False) -> None:
        """Drop what the block took or refused; then run this node's own remaining ones
        again on the new state when few enough remain (`RECHECK_MAX_TXS`), else leave
        them unchecked. `defer`: the caller runs `recheck` itself a little later (a
        validator, once it has proposed: the recheck is off the consensus's path); an
        own submission before then runs it first."""
        for checked in included:
            self._drop(checked.id)
        for checked, error in failed:
            self._drop(checked.id)
            self._remember_rejection(checked.id, error)
        self.overlay = None
        self.recheck_due = len(self.own) <= RECHECK_MAX_TXS
        if not defer:
            self.recheck(wall_ms)

    def recheck(self, wall_ms: int) -> None:
        """Run the own pending transactions again on the committed state, if a block
        asked for it; those that now fail are dropped with their code."""
        if not self.recheck_due:
            return
        self.recheck_due = False
        head = self.chain.head
        info = BlockInfo(self.chain.chain_id, head.height + 1, self.chain.next_time_ms(wall_ms))
        self.overlay = Overlay(self.chain.store)
        for tx_id in [i for i in self.pending if i in self.own]:
            checked = self.pending[tx_id]
            try:
                apply_transaction(self.chain.registry, self.overlay, checked, info)
            except LedgerError as e:
                self._drop(tx_id)
                self._remember_rejection(tx_id, e)

    def status(self, tx_id: bytes) -> tuple[str, LedgerError | None]:
        if tx_id in self.pending:
            return "pending", None
        if tx_id in self.rejected:
            return "rejected", self.rejected[tx_id]
        return "unknown", None
