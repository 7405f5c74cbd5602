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

Within those bounds nobody may take more than a share ([limits] of network.toml,
`node.config.Limits`), so that a faulty member or validator cannot fill mempools with
well-signed transactions that fail their rules:

- Each member (every signer of a transaction counts it) holds at most
  `member_pending_txs` pending transactions and `member_pending_bytes` of them; past that
  its next one is refused with `mempool.member_quota`, while other members go on.
- Each transaction that fails its rules when a block executes it costs every member that
  signed it `member_failure_cost_txs` of that quota, once however often peers bring it
  back (one that expired while it waited here costs nothing: that is this node's
  backlog); the cost heals linearly, a whole quota's worth in `failure_heal_s`. A
  member whose quota its failures ate is refused with `mempool.member_throttled` and
  told when to retry.
- Gossip is held apart from this node's own clients' transactions: one peer's gossip
  holds at most `peer_share_percent` of the mempool's count and bytes, all peers'
  gossip together leaves `own_reserve_percent` of it to the own clients, and a gossiped
  transaction that fails in a block costs its peer `peer_failure_cost_txs` of its share.
  Gossip beyond a share is dropped before it is decoded (`mempool.peer_quota`) and
  counted per peer (`gossip_dropped`). A peer's transaction that a client then submits
  here becomes the node's own and leaves the peer's share.

Failures at block time are seen by the node whose block left them out (its proposal or
its single-validator producer), so penalties are each node's own view; they are not
ledger state.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict

from contracts.errors import LedgerError
from contracts.ledger import BlockInfo, CheckedTx, apply_transaction, check_transaction
from contracts.state import Overlay
from contracts.tx import MAX_LARGE_TX_BYTES, decode_transaction
from node.chain import Chain
from node.config import Limits

log = logging.getLogger("claimledger.mempool")

MAX_REJECTED_KEPT = 10_000
MAX_MEMPOOL_BYTES = 128 * 1024 * 1024
RECHECK_MAX_TXS = 500  # own pending transactions run again after a block; beyond: unchecked
INVARIANTS_MAX_TXS = 100  # after a block, the invariants are checked while at most this many wait
MAX_PENALIZED = 100_000  # members or peers whose penalties are remembered (oldest forgiven)
UNNAMED_PEER = b""  # gossip whose peer the caller did not name
# Failures in a block that say how long a transaction waited here, not how its members
# or the peer that gossiped it behave: a backlog of this node's must not throttle them.


class QuotaExceeded(LedgerError):
    """A member or peer over its share of the mempool; `retry_after_s` says when the
    share has room again (at the latest: when transactions leave in blocks, sooner)."""

    def __init__(self, code: str, message: str, retry_after_s: int) -> None:
        super().__init__(code, message)
        assert retry_after_s >= 1
        self.retry_after_s = retry_after_s


class Penalties:
    """Penalty points per key (a member or a peer), healing linearly at `capacity`
    points per `heal_ms`, never above `capacity`; at most MAX_PENALIZED keys."""

    def __init__(self, capacity: int, heal_ms: int) -> None:
        assert capacity >= 1 and heal_ms >= 1
        self.capacity = capacity
        self.heal_ms = heal_ms
        self.points: OrderedDict[bytes, tuple[float, int]] = OrderedDict()  # points, at_ms

    def __len__(self) -> int:
        return len(self.points)

    def of(self, key: bytes, now_ms: int) -> int:
        """The key's penalty now, in whole points (rounded up: a part still counts)."""
        entry = self.points.get(key)
        if entry is None:
            return 0
        points, at_ms = entry
        left = points - max(0, now_ms - at_ms) * self.capacity / self.heal_ms
        if left <= 0:
            del self.points[key]
            return 0
        return math.ceil(left)

    def add(self, key: bytes, cost: int, now_ms: int) -> None:
        if cost <= 0:
            return
        points = min(self.capacity, self.of(key, now_ms) + cost)
        self.points.pop(key, None)
        self.points[key] = (float(points), now_ms)
        while len(self.points) > MAX_PENALIZED:
            self.points.popitem(last=False)

    def heal_s(self, points: int) -> int:
        """Seconds until a penalty is down by `points` (at least 1)."""
        assert points >= 1
        return max(1, math.ceil(points * self.heal_ms / self.capacity / 1000))


class Mempool:
    def __init__(self, chain: Chain, max_txs: int, max_bytes: int = MAX_MEMPOOL_BYTES,
                 limits: Limits | None = None) -> None:
        assert max_txs >= 1 and max_bytes >= 1
        self.chain = chain
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self.limits = limits = limits or Limits()
        # Shares, in transactions and bytes; at least one transaction of any size.
        self.peer_max_txs = max(1, max_txs * limits.peer_share_percent // 100)
        self.peer_max_bytes = max(MAX_LARGE_TX_BYTES,
                                  max_bytes * limits.peer_share_percent // 100)
        self.gossip_max_txs = max(1, max_txs * (100 - limits.own_reserve_percent) // 100)
        self.gossip_max_bytes = max(self.peer_max_bytes,
                                    max_bytes * (100 - limits.own_reserve_percent) // 100)
        heal_ms = limits.failure_heal_s * 1000
        self.member_penalties = Penalties(limits.member_pending_txs, heal_ms)
        self.peer_penalties = Penalties(self.peer_max_txs, heal_ms)
        # Pending per member that signed (count, bytes), per peer whose gossip is pending
        # (count, bytes); keys with nothing pending are removed.
        self.member_load: dict[bytes, tuple[int, int]] = {}
        self.peer_load: dict[bytes, tuple[int, int]] = {}
        self.source: dict[bytes, bytes] = {}  # pending gossiped id -> its peer (not own)
        self.gossip_bytes = 0  # of the transactions in `source`
        self.gossip_dropped: dict[bytes, int] = {}  # per peer: over its share or the reserve
        self.gossip_failed: dict[bytes, int] = {}  # per peer: failed their rules in a block
        self.bytes = 0  # of the pending transactions' raw forms
        self.pending: OrderedDict[bytes, CheckedTx] = OrderedDict()
        self.by_raw: dict[bytes, CheckedTx] = {}  # the same, by the bytes that were checked
        # Each with its signers: they, and the agency and regulators, read why (node/http).
        self.rejected: OrderedDict[bytes, tuple[LedgerError, tuple[bytes, ...]]] = \
            OrderedDict()
        # Transactions whose failure in a block its members paid for already: a peer may
        # bring one back after each block (it stays well signed until it expires), and
        # only the peer pays for that again. At most MAX_REJECTED_KEPT, the oldest forgotten.
        self.charged: OrderedDict[bytes, None] = OrderedDict()
        self.own: set[bytes] = set()  # pending ids submitted through this node's API
        # The state after the pending transactions in `own`, while dry-runs are on; None
        # while more of them wait than a recheck may run again (the module's docstring).
        self.overlay: Overlay | None = Overlay(chain.store)
        self.recheck_due = False  # a block was committed; own ones to run again (`recheck`)

    def __len__(self) -> int:
        return len(self.pending)

    def _remember_rejection(self, checked: CheckedTx, error: LedgerError) -> None:
        tx_id = checked.id
        self.rejected[tx_id] = (error, tuple(signers_of(checked)))
        self.rejected.move_to_end(tx_id)
        while len(self.rejected) > MAX_REJECTED_KEPT:
            self.rejected.popitem(last=False)

    def submit(self, raw: bytes, wall_ms: int, own: bool = True,
               peer: bytes = UNNAMED_PEER) -> tuple[CheckedTx, bool]:
        """Check and admit a transaction; returns it and whether it was new. `own`: a
        client submitted it here (dry-run it); else `peer` gossiped it (do not).

        Raises `LedgerError`: envelope and signature codes, `tx.replay` for one already on
        the ledger, `mempool.full`, the peer's `mempool.peer_quota`, the member's
        `mempool.member_quota` or `mempool.member_throttled` (`QuotaExceeded`), or the
        code of the rule that refuses it.
        """
        head = self.chain.head
        known = self.by_raw.get(raw)  # the same bytes again: no second check
        if known is None:
            # A full mempool refuses before any decoding or signature check: a client
            # retrying a large batch against it costs a lookup per transaction.
            if len(self.pending) >= self.max_txs or self.bytes + len(raw) > self.max_bytes:
                raise LedgerError("mempool.full", "the mempool is full; retry in a moment")
            if not own:
                self._gossip_room(peer, len(raw), wall_ms)  # before its signatures too
            # Before the signatures are verified (a few microseconds against a hundred
            # and more): a member over its quota is refused whether its signature holds
            # or not, and only verified transactions ever count against a quota.
            tx = decode_transaction(raw)  # once, for the quota and for the check
            self._member_room([s.signer for s in tx.signatures], len(raw), wall_ms)
            checked = check_transaction(self.chain.registry, self.chain.chain_id, raw,
                                        head.height + 1, decoded=tx)
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
                self._remember_rejection(checked, e)
                raise
        self.rejected.pop(checked.id, None)
        self.pending[checked.id] = checked
        size = len(checked.raw)
        if own:
            self.own.add(checked.id)
        else:
            self.source[checked.id] = peer
            self.gossip_bytes += size
            self._load(self.peer_load, peer, 1, size)
        for signer in signers_of(checked):
            self._load(self.member_load, signer, 1, size)
        self.by_raw[checked.raw] = checked
        self.bytes += size
        return checked, True

    @staticmethod
    def _load(loads: dict[bytes, tuple[int, int]], key: bytes, txs: int, size: int) -> None:
        count, total = loads.get(key, (0, 0))
        count, total = count + txs, total + size
        assert count >= 0 and total >= 0
        if count:
            loads[key] = (count, total)
        else:
            assert total == 0
            loads.pop(key, None)

    def _gossip_room(self, peer: bytes, size: int, wall_ms: int) -> None:
        """Refuse a peer's transaction past its share or the own clients' reserve (with
        `mempool.peer_quota`, counted), before anything is decoded."""
        count, total = self.peer_load.get(peer, (0, 0))
        allowed = self.peer_max_txs - self.peer_penalties.of(peer, wall_ms)
        reason = None
        if count + 1 > allowed or total + size > self.peer_max_bytes:
            reason = f"its share of this mempool ({allowed} transactions, " \
                     f"{self.peer_max_bytes} bytes)"
        elif len(self.source) + 1 > self.gossip_max_txs or \
                self.gossip_bytes + size > self.gossip_max_bytes:
            reason = "what gossip may hold beside this node's own clients' transactions"
        if reason is not None:
            self.gossip_dropped[peer] = self.gossip_dropped.get(peer, 0) + 1
            raise QuotaExceeded("mempool.peer_quota", f"the peer's gossip fills {reason}", 1)

    def _member_room(self, signers: list[bytes], size: int, wall_ms: int) -> None:
        """Refuse a transaction of members one of which is over its quota, or whose
        failures in blocks ate that quota for now (`QuotaExceeded`)."""
        limits = self.limits
        for signer in signers:
            count, total = self.member_load.get(signer, (0, 0))
            penalty = self.member_penalties.of(signer, wall_ms)
            who = f"member {signer.hex()[:16]}…"
            if total + size > limits.member_pending_bytes:
                raise QuotaExceeded("mempool.member_quota", (
                    f"{who} has {total} bytes of transactions pending; a member may have at "
                    f"most {limits.member_pending_bytes}; retry once some are in blocks"), 1)
            if count + 1 <= limits.member_pending_txs - penalty:
                continue
            if count + 1 > limits.member_pending_txs:
                raise QuotaExceeded("mempool.member_quota", (
                    f"{who} has {count} transactions pending; a member may have at most "
                    f"{limits.member_pending_txs}; retry once some are in blocks"), 1)
            over = count + 1 - (limits.member_pending_txs - penalty)
            retry_s = self.member_penalties.heal_s(over)
            raise QuotaExceeded("mempool.member_throttled", (
                f"{who} is throttled: its transactions that failed their rules in blocks "
                f"hold back {penalty} of its {limits.member_pending_txs} pending "
                f"transactions ({count} pending); retry in {retry_s} s"), retry_s)

    def _adopt(self, tx_id: bytes, wall_ms: int) -> None:
        """A client submits here one a peer gossiped first: from now on it is this node's
        own, in the dry-run state, so the client's next transaction may rest on it. One
        that fails there stays pending (the block decides) and a recheck drops it."""
        self.own.add(tx_id)
        peer = self.source.pop(tx_id, None)
        if peer is not None:  # it leaves the peer's share
            size = len(self.pending[tx_id].raw)
            self.gossip_bytes -= size
            self._load(self.peer_load, peer, -1, -size)
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
            size = len(checked.raw)
            self.by_raw.pop(checked.raw, None)
            self.bytes -= size
            assert self.bytes >= 0
            peer = self.source.pop(tx_id, None)
            if peer is not None:
                self.gossip_bytes -= size
                assert self.gossip_bytes >= 0
                self._load(self.peer_load, peer, -1, -size)
            for signer in signers_of(checked):
                self._load(self.member_load, signer, -1, -size)

    def penalize(self, failed: list[tuple[CheckedTx, LedgerError]], wall_ms: int) -> None:
        """Charge the members that signed transactions which failed their rules in a
        block, and the peers that gossiped them (before they leave the mempool). Its
        members pay for one transaction once, however often peers bring it back
        (`charged`); one that expired while it waited never reaches a block (`batch`)."""
        limits = self.limits
        for checked, _ in failed:
            if checked.id not in self.charged:
                self.charged[checked.id] = None
                while len(self.charged) > MAX_REJECTED_KEPT:
                    self.charged.popitem(last=False)
                for signer in signers_of(checked):
                    self.member_penalties.add(signer, limits.member_failure_cost_txs, wall_ms)
            peer = self.source.get(checked.id)
            if peer is not None:
                self.peer_penalties.add(peer, limits.peer_failure_cost_txs, wall_ms)
                self.gossip_failed[peer] = self.gossip_failed.get(peer, 0) + 1

    def check_invariants(self) -> None:
        """Assert that every count the mempool keeps agrees with what it holds: O(n)."""
        assert len(self.pending) == len(self.by_raw) <= self.max_txs
        assert self.bytes == sum(len(c.raw) for c in self.pending.values())
        assert all(self.by_raw[c.raw] is c for c in self.pending.values())
        assert self.own <= self.pending.keys() and self.source.keys() <= self.pending.keys()
        assert not (self.own & self.source.keys())
        assert self.gossip_bytes == sum(len(self.pending[i].raw) for i in self.source)
        members: dict[bytes, tuple[int, int]] = {}
        peers: dict[bytes, tuple[int, int]] = {}
        for tx_id, checked in self.pending.items():
            for signer in signers_of(checked):
                self._load(members, signer, 1, len(checked.raw))
            if tx_id in self.source:
                self._load(peers, self.source[tx_id], 1, len(checked.raw))
        assert members == self.member_load and peers == self.peer_load

    def batch(self, max_txs: int, max_bytes: int) -> list[CheckedTx]:
        """The oldest pending transactions, in arrival order: at most `max_txs` of them and
        `max_bytes` of their raw forms, and at least the oldest one if it fits alone.

        The batch ends at the first transaction that does not fit: one after it may rest
        on it (an application on the document attached just before) and must not go first.
        The same for an operation bounded per block (`Operation.per_block`): the batch
        ends before the first one past its bound. One that expired while it waited
        leaves the mempool here (`tx.expired`), never reaching a block: the wait was
        this node's, so it costs its members and its peer nothing.
        """
        assert max_txs >= 1 and max_bytes >= 1
        out = []
        size = 0
        counted: dict[tuple[str, str], int] = {}
        next_height = self.chain.head.height + 1
        expired = []
        for checked in self.pending.values():
            if checked.tx.payload.expiry_height < next_height:
                expired.append(checked)
                continue
            if len(out) >= max_txs or size + len(checked.raw) > max_bytes:
                break
            bound = checked.operation.per_block
            if bound:
                op = (checked.contract.name, checked.operation.name)
                if counted.get(op, 0) >= bound:
                    break
                counted[op] = counted.get(op, 0) + 1
            out.append(checked)
            size += len(checked.raw)
        for checked in expired:
            self._drop(checked.id)
            self._remember_rejection(checked, LedgerError(
                "tx.expired", f"expired at height {checked.tx.payload.expiry_height} while "
                "it waited in the mempool"))
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
        self.penalize(failed, wall_ms)
        for checked in included:
            self._drop(checked.id)
        for checked, error in failed:
            self._drop(checked.id)
            self._remember_rejection(checked, error)
        self.overlay = None
        self.recheck_due = len(self.own) <= RECHECK_MAX_TXS
        if len(self.pending) <= INVARIANTS_MAX_TXS:
            self.check_invariants()  # ~1.5 ms then; tests check it at any size
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
                self._remember_rejection(checked, e)

    def status(self, tx_id: bytes) -> tuple[str, LedgerError | None]:
        if tx_id in self.pending:
            return "pending", None
        if tx_id in self.rejected:
            return "rejected", self.rejected[tx_id][0]
        return "unknown", None

    def rejected_signers(self, tx_id: bytes) -> tuple[bytes, ...]:
        """The signers of a transaction remembered as rejected (none if it is not)."""
        entry = self.rejected.get(tx_id)
        return () if entry is None else entry[1]


def signers_of(checked: CheckedTx) -> list[bytes]:
    """Whom a transaction counts against: every key that signed it, verified (a member's
    current key, its address until it changes: a quota follows the key, and a rejection
    is read by the members those keys are or were, node/http/chain.py)."""
    return [s.signer for s in checked.tx.signatures]
