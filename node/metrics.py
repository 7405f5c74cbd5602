"""A node's Prometheus metrics, in a registry of its own (never the process-wide one: tests
run several nodes in one process, and each must count only its own work).

Counters and histograms are moved where the work happens (a commit, an executed block, an
answered request); what can be read at any moment (height, mempool, peers, lag, store
size) is read when the scraper asks, so nothing runs between scrapes. Every label has a
bounded set of values: an API route's template (never the path a client sent), an error
code. Nothing here names a member or an amount: the figures are the node's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds: blocks come every block_interval_ms (100 ms by default) up to the idle interval
# (10 s by default); a slow network's rounds take longer.
INTERVAL_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Bytes of a block's transactions: empty, one transaction, ... up to the 16 MiB bound.
SIZE_BUCKETS_BYTES = (0, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20,
                      4 << 20, 16 << 20)
WORK_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
API_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0)


def directory_bytes(path: Path) -> int:
    """Bytes of the files right under `path` (LevelDB keeps no subdirectories); 0 if it
    is gone."""
    total = 0
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue  # a table file compacted away while we looked
    except OSError:
        return 0
    return total


class NodeMetrics:
    """The instruments of one node. `read(...)` wires the figures read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.height = Gauge("claimledger_height", "Height of this node's head block",
                            registry=r)
        self.round_changes = Counter(
            "claimledger_consensus_round_changes", "Consensus rounds entered past round 0 "
            "(a proposer that did not propose in time, or votes that did not gather)",
            registry=r)
        self.block_interval = Histogram(
            "claimledger_block_interval_seconds", "Ledger time between a committed block "
            "and its parent", buckets=INTERVAL_BUCKETS_S, registry=r)
        self.block_size = Histogram(
            "claimledger_block_size_bytes", "Bytes of a committed block's transactions",
            buckets=SIZE_BUCKETS_BYTES, registry=r)
        self.committed_txs = Counter(
            "claimledger_committed_transactions", "Transactions in blocks this node "
            "committed since it started", registry=r)
        self.verification = Histogram(
            "claimledger_block_verification_seconds", "Checking a block received from a "
            "peer before executing it: header, certificate, evidence, signatures",
            buckets=WORK_BUCKETS_S, registry=r)
        self.execution = Histogram(
            "claimledger_block_execution_seconds", "Executing a block's transactions and "
            "end-of-block steps (proposed here or received)", buckets=WORK_BUCKETS_S,
            registry=r)
        self.api_latency = Histogram(
            "claimledger_api_request_seconds", "Time to answer an API request, by route "
            "template and method", ("route", "method"), buckets=API_BUCKETS_S, registry=r)
        self.refusals = Counter(
            "claimledger_api_refusals", "API requests answered with an error, by the "
            "error's code", ("code",), registry=r)
        self.mempool_txs = Gauge("claimledger_mempool_transactions",
                                 "Transactions waiting in the mempool", registry=r)
        self.mempool_bytes = Gauge("claimledger_mempool_bytes",
                                   "Bytes of the transactions waiting in the mempool",
                                   registry=r)
        self.peers = Gauge("claimledger_peers", "Authenticated peer links", registry=r)
        self.sync_lag = Gauge(
            "claimledger_sync_lag_blocks", "Blocks this node is behind the head its peers "
            "report (0 when caught up or when no peer has reported)", registry=r)
        self.store_bytes = Gauge("claimledger_store_bytes",
                                 "Bytes of the LevelDB store on disk", registry=r)

    def read(self, height: Callable[[], int], mempool: Callable[[], tuple[int, int]],
             peers: Callable[[], int], lag: Callable[[], int], store: Path) -> None:
        """What the gauges show, read when the scraper asks."""
        self.height.set_function(height)
        self.mempool_txs.set_function(lambda: mempool()[0])
        self.mempool_bytes.set_function(lambda: mempool()[1])
        self.peers.set_function(peers)
        self.sync_lag.set_function(lag)
        self.store_bytes.set_function(lambda: directory_bytes(store))

    def committed(self, time_ms: int, parent_time_ms: int, txs: int, tx_bytes: int) -> None:
        """A block is committed: its interval after its parent, its size, its transactions."""
        self.block_interval.observe(max(0, time_ms - parent_time_ms) / 1000)
        self.block_size.observe(tx_bytes)
        self.committed_txs.inc(txs)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
