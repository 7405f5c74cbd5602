"""The node's index of report facts: each committed block read once, its facts kept by
month, so that a period report sums the facts of its months instead of reading every
block again.

contracts.reports derives a block's facts from what the node stores of it (each
transaction's record with its events, the end-of-block events, and the body of a
transaction that registered a pledge) and from record fields no later block changes.
So the facts need not be written anywhere: the index is rebuilt from the stored blocks
after a restart and comes out the same. It is brought up to the head when a report is
asked for (`catch_up`), reading only the blocks committed since the last time: each
block is read once in the life of the process.

Why not counters per period in the block's write batch: they would be a fourth kind of
derived data in the synced batch, which `Chain.verify_all` and state sync would have to
count and rebuild, for sums the blocks already determine; and the facts, unlike fixed
counters, answer any grouping (debtor, bank, region, month) and any member's own
figures. scripts/bench_reports.py measures what that costs on a ledger of 10^4
transactions (the first catch-up, a later one, a report).

A request reads blocks for at most a budget of time (node/http/reports.py), since the
node answers on one event loop: on a long chain the first reports say how far they
counted (`complete`, `height`) and each later one goes on from there.

A state-synced node holds no blocks before its base: its index starts after the base,
and a report says from which height its figures count (`from_height`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from contracts import reports
from contracts.ledger import resolve
from contracts.report_periods import Period, month_name, months_of
from contracts.reports import Fact
from contracts.tx import decode_transaction, payload_id
from node.service import Node


@dataclass
class ReportIndex:
    """Facts of the blocks up to `height`, by the China-time month of their block."""

    height: int = -1  # the last block read; -1: none yet
    from_height: int = 1  # the first block whose facts count (after a state sync's base)
    by_month: dict[str, list[Fact]] = field(default_factory=dict)
    blocks_read: int = 0

    def catch_up(self, node: Node, budget_ms: float | None = None) -> int:
        """Read the blocks committed since the last call, oldest first, for at most
        `budget_ms` (None: up to the head); how many were read. The node answers every
        request on one event loop, so a request reads for a bounded time: on a long chain
        the first reports count up to the height they reached (`complete` false) and each
        later one goes on from there."""
        head = node.chain.head.height
        if self.height < 0:
            self.from_height = node.store.base() + 1
            self.height = self.from_height - 1
        started = time.perf_counter()
        read = 0
        for height in range(self.height + 1, head + 1):
            self.add(height, block_facts(node, height))
            read += 1
            if budget_ms is not None and (time.perf_counter() - started) * 1000 > budget_ms:
                break
        self.blocks_read += read
        return read

    def complete(self, node: Node) -> bool:
        """Has the index read every block up to the head?"""
        return self.height >= node.chain.head.height

    def add(self, height: int, facts: list[Fact]) -> None:
        assert height == self.height + 1, "blocks are indexed in order"
        for fact in facts:
            self.by_month.setdefault(month_name(fact.time_ms), []).append(fact)
        self.height = height

    def facts_in(self, period: Period) -> Iterator[Fact]:
        """The facts of the months `period` spans (its own bounds are applied by
        contracts.reports.aggregate)."""
        for month in months_of(period):
            yield from self.by_month.get(month, ())

    def facts(self) -> Iterator[Fact]:
        for month in sorted(self.by_month):
            yield from self.by_month[month]


def block_facts(node: Node, height: int) -> list[Fact]:
    """The facts of stored block `height`, its records read in the node's current state
    (only fields no later block changes are read)."""
    store = node.store
    block = store.block(height)
    assert block is not None, "every height up to the head holds a block"
    time_ms = block.header.time_ms
    facts: list[Fact] = []
    for raw in block.txs:
        tx = decode_transaction(raw)
        tx_id = payload_id(tx.payload)
        record = store.tx_record(tx_id)
        assert record is not None, "a committed transaction has its record"
        body = resolve(node.registry, tx)[2] if reports.needs_body(record.events) else None
        facts += reports.facts_of_tx(store, height, time_ms, tx_id, record.events, body)
    ended = store.block_events(height)
    if ended is not None:
        facts += reports.facts_of_block_end(store, height, time_ms, ended.events)
    return facts
