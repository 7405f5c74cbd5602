"""The optimal multilateral set-off (债权债务闭环抵销), computed off the ledger.

Given debts (confirmed obligations and unpledged vouchers, each owed by a debtor to a
creditor), the best set-off clears the most debt while no member's net position
(owed to it − owed by it) changes. With r the debt that remains on each arc this is a
min-cost flow: 0 ≤ r ≤ owed, cost 1 per unit of r, each member's net position as its
supply; set-off = owed − r, a circulation. OR-Tools' min-cost flow solves it in
integers. Then each (debtor, creditor) pair's set-off is split onto its debts in the
order given (the caller passes them sorted by due date, then id), so every node that
computes a plan from the same state gets the same split. The result is checked before
it is returned: a circulation, within every debt, within every member's limit.

A member's standing limit (never more than X fen per round) bounds what it clears: the
debt it owes that is set off (equal to the debt owed to it that is set off). In the
flow this is a lower bound on the debt it keeps owing, out_owed − X, put on an arc
from the member to a copy of it that carries its outgoing arcs, and removed by the
usual shift of supplies. A member with limit 0 (opted out) is left out of the graph.

Amounts are int64 numpy arrays; the total debt must stay below 2**62 fen (so no sum
overflows), which is far above any real economy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

MAX_TOTAL_FEN = 1 << 62


class SetoffError(Exception):
    """The input cannot be solved (bad arrays, a sum out of range) or the check failed."""


@dataclass(frozen=True)
class Solution:
    setoff_fen: np.ndarray  # per input debt, int64
    cleared_fen: int  # sum of setoff_fen
    total_fen: int  # all debt given
    bound_fen: int  # net internal debt: the sum of positive net positions, a floor on what remains
    arcs: int  # (debtor, creditor) pairs handed to the solver after pruning
    members: int  # members on those arcs


def _as_int64(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise SetoffError(f"{what} must be a one-dimensional integer array")
    return array.astype(np.int64, copy=False)


def net_positions(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray,
                  members: int) -> np.ndarray:
    """(owed to it) − (owed by it) for each member, exact in int64."""
    net = np.zeros(members, dtype=np.int64)
    np.add.at(net, creditor, amount)
    np.subtract.at(net, debtor, amount)
    return net


def _aggregate(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray, members: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (debtor, creditor) pair: tails, heads, owed; and each debt's pair, stable order."""
    if len(debtor) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, empty
    pair = debtor * members + creditor
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    starts = np.flatnonzero(np.r_[True, sorted_pair[1:] != sorted_pair[:-1]])
    owed = np.add.reduceat(amount[order], starts)
    pair_of_sorted = np.cumsum(np.r_[False, sorted_pair[1:] != sorted_pair[:-1]])
    keys = sorted_pair[starts]
    return keys // members, keys % members, owed, order, pair_of_sorted


def _prune(tails: np.ndarray, heads: np.ndarray, members: int) -> np.ndarray:
    """Which arcs can lie on a cycle: both ends owe and are owed, repeated until stable."""
    keep = np.ones(len(tails), dtype=bool)
    while True:
        has_out = np.zeros(members, dtype=bool)
        has_in = np.zeros(members, dtype=bool)
        has_out[tails[keep]] = True
        has_in[heads[keep]] = True
        both = has_out & has_in
        still = keep & both[tails] & both[heads]
        if still.sum() == keep.sum():
            return keep
        keep = still


def optimal_setoff(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray,
                   members: int, limit: np.ndarray | None = None) -> Solution:
    """The set-off per debt that clears the most while every net position stays the same.

    `debtor[i]` owes `creditor[i]` `amount[i]` fen; members are numbered 0..members-1.
    `limit[m]` is the most member m may clear (-1: no limit, 0: opted out). Debts of the
    same pair are set off in the order given.
    """
    debtor = _as_int64(debtor, "debtor")
    creditor = _as_int64(creditor, "creditor")
    amount = _as_int64(amount, "amount")
    if not len(debtor) == len(creditor) == len(amount):
        raise SetoffError("debtor, creditor and amount differ in length")
    if len(amount) and (amount.min() < 0 or min(debtor.min(), creditor.min()) < 0
                        or max(debtor.max(), creditor.max()) >= members):
        raise SetoffError("amounts are at least 0 and members lie in 0..members-1")
    if np.any(debtor == creditor):
        raise SetoffError("a member does not owe itself")
    if len(amount) and int(amount.max()) * len(amount) >= MAX_TOTAL_FEN \
            and int(amount.astype(object).sum()) >= MAX_TOTAL_FEN:
        raise SetoffError("the total debt reaches 2**62 fen")
    total_fen = int(amount.sum()) if len(amount) else 0
    net = net_positions(debtor, creditor, amount, members)
    bound_fen = int(net[net > 0].sum())
    setoff = np.zeros(len(amount), dtype=np.int64)
    if limit is None:
        limit = np.full(members, -1, dtype=np.int64)
    limit = _as_int64(limit, "limit")
    if len(limit) != members:
        raise SetoffError("one limit per member")

    # Opted-out members and empty debts take no part.
    usable = (limit[debtor] != 0) & (limit[creditor] != 0) & (amount > 0)
    index = np.flatnonzero(usable)
    tails, heads, owed, order, pair_of_sorted = _aggregate(
        debtor[index], creditor[index], amount[index], members)
    keep = _prune(tails, heads, members)
    arcs = np.flatnonzero(keep)
    if len(arcs) == 0:
        return Solution(setoff, 0, total_fen, bound_fen, 0, 0)

    # Number the members on kept arcs 0..n-1; a limited member gets a copy n.. that
    # carries its outgoing arcs.
    ends = np.unique(np.r_[tails[arcs], heads[arcs]])
    node_of = np.full(members, -1, dtype=np.int64)
    node_of[ends] = np.arange(len(ends))
    t, h, cap = node_of[tails[arcs]], node_of[heads[arcs]], owed[arcs]
    out_owed = np.zeros(len(ends), dtype=np.int64)
    np.add.at(out_owed, t, cap)
    in_owed = np.zeros(len(ends), dtype=np.int64)
    np.add.at(in_owed, h, cap)
    supply = out_owed - in_owed
    node_limit = limit[ends]
    limited = np.flatnonzero((node_limit > 0) & (node_limit < out_owed))
    copy_of = np.full(len(ends), -1, dtype=np.int64)
    copy_of[limited] = len(ends) + np.arange(len(limited))
    tail_nodes = np.where(copy_of[t] >= 0, copy_of[t], t)
    lower = out_owed[limited] - node_limit[limited]
    supply = np.r_[supply, np.zeros(len(limited), dtype=np.int64)]
    supply[limited] -= lower
    supply[copy_of[limited]] = lower

    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        tail_nodes.astype(np.int32), h.astype(np.int32), cap,
        np.ones(len(arcs), dtype=np.int64))
    if len(limited):
        solver.add_arcs_with_capacity_and_unit_cost(
            limited.astype(np.int32), copy_of[limited].astype(np.int32),
            out_owed[limited] - lower, np.zeros(len(limited), dtype=np.int64))
    solver.set_nodes_supplies(np.arange(len(supply), dtype=np.int32), supply)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise SetoffError(f"the min-cost flow solver answered {status!r}")
    remaining = solver.flows(np.arange(len(arcs), dtype=np.int32))
    pair_setoff = np.zeros(len(owed), dtype=np.int64)
    pair_setoff[arcs] = cap - remaining

    # Split each pair's set-off onto its debts in the order given.
    amount_sorted = amount[index][order]
    before = np.cumsum(amount_sorted) - amount_sorted
    group_start = np.r_[0, np.flatnonzero(pair_of_sorted[1:] != pair_of_sorted[:-1]) + 1]
    starts_of_sorted = group_start[pair_of_sorted]
    before -= before[starts_of_sorted]
    take = np.clip(pair_setoff[pair_of_sorted] - before, 0, amount_sorted)
    setoff[index[order]] = take

    solution = Solution(setoff, int(setoff.sum()), total_fen, bound_fen, len(arcs), len(ends))
    check(debtor, creditor, amount, members, limit, setoff)
    return solution


def check(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray, members: int,
          limit: np.ndarray, setoff: np.ndarray) -> None:
    """Raise `SetoffError` unless `setoff` is a circulation within every debt and limit."""
    if np.any(setoff < 0) or np.any(setoff > amount):
        raise SetoffError("a set-off lies outside its debt")
    cleared_out = np.zeros(members, dtype=np.int64)
    np.add.at(cleared_out, debtor, setoff)
    cleared_in = np.zeros(members, dtype=np.int64)
    np.add.at(cleared_in, creditor, setoff)
    if not np.array_equal(cleared_out, cleared_in):
        raise SetoffError("the set-off is not a circulation: a net position would change")
    over = (limit >= 0) & (cleared_out > np.maximum(limit, 0))
    if np.any(over):
        raise SetoffError(f"member {int(np.flatnonzero(over)[0])} would clear over its limit")
