"""The optimal multilateral set-off (债权债务闭环抵销), computed off the ledger.

Given debts (confirmed obligations and unpledged vouchers, each owed by a debtor to a
creditor), the best set-off clears the most debt while no member's net position
(owed to it − owed by it) changes. With r the debt that remains on each arc this is a
min-cost flow: 0 ≤ r ≤ owed, cost 1 per unit of r, each member's net position as its
supply; set-off s = owed − r is then a circulation. Substituting r = owed − s gives the
same problem as a circulation: 0 ≤ s ≤ owed, cost −1 per unit set off, no supplies.
OR-Tools' min-cost flow (integers) solves that form, which it does about a quarter
faster on the benchmark's graphs.

Before the flow, the graph is reduced, each step linear in the debts:
1. Members are renumbered densely (their numbers may be huge and sparse), a debt owed
   to oneself is dropped (it changes no net position) and each pair's debts are summed.
2. Only an arc inside a strongly connected part lies on a loop, so only such arcs can
   carry set-off; the others are dropped (scipy's strong components, in C).
3. A strongly connected part that is a single loop (as many arcs as members) clears the
   smallest of its debts and limits all the way round: solved directly, no flow.
4. In the other parts, a run of members each with one debt in and one debt out is
   contracted into one arc: its capacity the smallest debt or limit along it, its cost
   −(the run's length), its set-off the same on every debt of the run.
5. Each arc's capacity is tightened to what its debtor is owed and its creditor owes
   (a circulation never sets off more), a few passes.

Why 3 to 5, the cause of a crawl: OR-Tools' cost scaling first saturates every arc of
negative reduced cost, which leaves each member with an excess (owed to it − owed by
it), then pushes excess back one arc at a time. On a loop of n members with amounts
of wide spread every fen above the loop's smallest debt goes back, in pieces of many
sizes that travel up to n arcs each: Θ(n²) pushes (a loop of 4,000 members took 1.4 s,
of 20,000 members 49 s, of 100,000 members 18 minutes; with amounts up to 100 the
pieces merge and it is fast). Single loops (3) and runs of one-in one-out members (4)
leave the flow no long path to push along: a loop of 100,000 members takes 0.05 s, a
loop with chords back along it 0.7 s instead of 12 s. Tighter capacities (5) leave
smaller excesses to push back: on the supply-chain graph of 10^6 debts the whole solve
took 6.1-7.2 s of CPU against 7.1-7.4 s before, nearly all of it in the flow itself (such
graphs have few runs to contract: one member in a hundred is one-in one-out). Handing the
solver its arcs sorted by (tail, head) lays them out in memory in the order it walks
them: the flow then takes 4.2-4.9 s instead of 5.6-5.9 s, the whole solve 4.1-4.9 s on
the quiet machine (4.8-5.8 s while other work shares its 2 cores).

Each (debtor, creditor) pair's set-off is split onto its debts in the order given (the
caller passes them sorted by due date, then id), so every node that computes a plan
from the same state gets the same split. The result is checked before it is returned:
a circulation, within every debt, within every member's limit.

A member's standing limit (never more than X fen per round) bounds what it clears: the
debt it owes that is set off (equal to the debt owed to it that is set off). Such a
member is split in two, its incoming arcs ending at the first, its outgoing arcs
leaving the second, joined by an arc of capacity X (on a run or a single loop, its limit
is one more bound on the run's capacity). A member with limit 0 (opted out) is left out.

Amounts are int64 numpy arrays; the total debt must stay below 2**62 fen (so no sum
overflows), which is far above any real economy. Time and memory grow with the debts,
not with the member numbers nor the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

MAX_TOTAL_FEN = 1 << 62
MAX_MEMBER = (1 << 63) - 1  # member numbers are int64
MAX_DEBTS = 1 << 28  # the flow numbers nodes in int32: 2 per debt, twice for a limited one
TIGHTEN_PASSES = 3  # more passes tighten little more on the benchmark's graphs


class SetoffError(Exception):
    """The input cannot be solved, or the result failed its check; `code` says which check.

    Codes: setoff.bad_array, setoff.bad_length, setoff.bad_members, setoff.bad_member,
    setoff.bad_amount, setoff.bad_limit, setoff.too_large, setoff.solver_failed,
    setoff.check_failed.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _require(condition: bool, code: str, message: str) -> None:
    if not condition:
        raise SetoffError(code, message)


@dataclass(frozen=True)
class Solution:
    setoff_fen: np.ndarray  # per input debt, int64
    cleared_fen: int  # sum of setoff_fen
    total_fen: int  # all debt given
    bound_fen: int  # net internal debt: the sum of positive net positions, a floor on what remains
    arcs: int  # (debtor, creditor) pairs inside a strongly connected part: those on a loop
    members: int  # members on those arcs
    self_debts: int = 0  # debts a member owes itself, dropped (their set-off is 0)


def _as_int64(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values)
    _require(array.ndim == 1 and array.dtype.kind in "iu", "setoff.bad_array",
             f"{what} must be a one-dimensional integer array")
    _require(array.dtype != np.uint64 or len(array) == 0 or int(array.max()) <= MAX_MEMBER,
             "setoff.bad_array", f"{what} must fit in int64")
    return array.astype(np.int64, copy=False)


def net_positions(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray,
                  members: int) -> np.ndarray:
    """(owed to it) − (owed by it) for each member, exact in int64."""
    net = np.zeros(members, dtype=np.int64)
    np.add.at(net, creditor, amount)
    np.subtract.at(net, debtor, amount)
    return net


def _dense(debtor: np.ndarray, creditor: np.ndarray, members: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Member numbers named, and debtor and creditor as indices into them.

    Numbers up to twice the debts are kept as they are (arrays that long cost no more
    than the debts); sparser ones are renumbered by sorting them.
    """
    if members <= 2 * len(debtor) + 1:
        return np.arange(members, dtype=np.int64), debtor, creditor
    member_ids, dense = np.unique(np.r_[debtor, creditor], return_inverse=True)
    return member_ids, dense[:len(debtor)], dense[len(debtor):]


def _aggregate(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray, members: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (debtor, creditor) pair: tails, heads, owed; and each debt's pair, stable order.

    Members are numbered densely here, so debtor * members + creditor fits in int64.
    """
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


def _strong_parts(tails: np.ndarray, heads: np.ndarray, members: int) -> np.ndarray:
    """The strongly connected part of each member (a label), linear in the arcs."""
    graph = csr_matrix((np.ones(len(tails), dtype=np.int8), (tails, heads)),
                       shape=(members, members))
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels.astype(np.int64, copy=False)


def _tighten(tails: np.ndarray, heads: np.ndarray, cap: np.ndarray, node_limit: np.ndarray
             ) -> np.ndarray:
    """Each arc's capacity bounded by what its tail is owed and its head owes (and their
    limits): what a member passes on is what it takes in, so no circulation loses."""
    nodes = len(node_limit)
    limited = node_limit >= 0
    for _ in range(TIGHTEN_PASSES):
        into = np.zeros(nodes, dtype=np.int64)
        np.add.at(into, heads, cap)
        out = np.zeros(nodes, dtype=np.int64)
        np.add.at(out, tails, cap)
        through = np.minimum(into, out)
        through[limited] = np.minimum(through[limited], node_limit[limited])
        cap = np.minimum(cap, np.minimum(through[tails], through[heads]))
    return cap


def _circulation(tails: np.ndarray, heads: np.ndarray, cap: np.ndarray, labels: np.ndarray,
                 node_limit: np.ndarray) -> np.ndarray:
    """The most set-off on arcs that all lie inside strongly connected parts (see 3-5);
    `labels` names each node's part by a number below the count of nodes."""
    arcs, nodes = len(tails), len(labels)
    flow = np.zeros(arcs, dtype=np.int64)
    in_degree = np.bincount(heads, minlength=nodes)
    out_degree = np.bincount(tails, minlength=nodes)
    through = (in_degree == 1) & (out_degree == 1)
    # A run's capacity takes the limit of each member inside it: the head of its arcs.
    head_limit = node_limit[heads]
    cap = np.where(through[heads] & (head_limit >= 0), np.minimum(cap, head_limit), cap)

    # 3. A part whose members are all one-in one-out is a single loop.
    part_arcs = np.bincount(labels[tails], minlength=nodes)
    part_members = np.bincount(labels, minlength=nodes)
    single = (part_arcs > 0) & (part_arcs == part_members)
    on_loop = single[labels[tails]]
    smallest = np.full(nodes, MAX_TOTAL_FEN, dtype=np.int64)
    np.minimum.at(smallest, labels[tails[on_loop]], cap[on_loop])
    flow[on_loop] = smallest[labels[tails[on_loop]]]

    # 4. Elsewhere each arc's run starts where its tail is not one-in one-out; the start
    # is found by pointer doubling (log of the longest run passes).
    rest = np.flatnonzero(~on_loop)
    if len(rest) == 0:
        return flow
    arc_into = np.full(nodes, -1, dtype=np.int64)
    arc_into[heads[rest]] = rest  # unique where it matters: at one-in members
    start = np.arange(arcs, dtype=np.int64)
    inner = rest[through[tails[rest]]]
    start[inner] = arc_into[tails[inner]]
    while True:
        further = start[start]
        if np.array_equal(further, start):
            break
        start = further
    ends = rest[~through[heads[rest]]]  # the last arc of each run
    run_start = start[rest]
    del arc_into, inner, start, further, on_loop  # arrays per arc: memory before the flow
    run_cap = np.full(arcs, MAX_TOTAL_FEN, dtype=np.int64)
    np.minimum.at(run_cap, run_start, cap[rest])
    run_length = np.bincount(run_start, minlength=arcs)
    first = run_start[np.searchsorted(rest, ends)]
    run_tail, run_head = tails[first], heads[ends]
    run_cap, run_length = run_cap[first], run_length[first]

    # A run back to an unlimited member is a loop of its own; it clears its capacity.
    run_flow = np.zeros(len(ends), dtype=np.int64)
    alone = (run_tail == run_head) & (node_limit[run_tail] < 0)
    run_flow[alone] = run_cap[alone]
    if not alone.any():  # no copies of arrays per arc when there is nothing to take out
        run_flow = _min_cost_flow(run_tail, run_head, run_cap, run_length, node_limit)
    elif not alone.all():
        network = np.flatnonzero(~alone)
        run_flow[network] = _min_cost_flow(run_tail[network], run_head[network],
                                           run_cap[network], run_length[network], node_limit)
    run_of_start = np.zeros(arcs, dtype=np.int64)
    run_of_start[first] = np.arange(len(ends))
    flow[rest] = run_flow[run_of_start[run_start]]
    return flow


def _min_cost_flow(tails: np.ndarray, heads: np.ndarray, cap: np.ndarray, length: np.ndarray,
                   node_limit: np.ndarray) -> np.ndarray:
    """OR-Tools on the contracted runs: cost −length per fen, limited members split."""
    used = np.zeros(len(node_limit), dtype=bool)
    used[tails] = True
    used[heads] = True
    ends = np.flatnonzero(used)
    node_of = np.cumsum(used) - 1
    t, h = node_of[tails], node_of[heads]
    limit = node_limit[ends]
    cap = _tighten(t, h, cap, limit)
    limited = np.flatnonzero(limit > 0)
    copy_of = np.full(len(ends), -1, dtype=np.int64)
    copy_of[limited] = len(ends) + np.arange(len(limited))
    tail_nodes = np.where(copy_of[t] >= 0, copy_of[t], t)
    nodes = len(ends) + len(limited)

    all_tails = np.r_[tail_nodes, limited]
    all_heads = np.r_[h, copy_of[limited]]
    # Given in order of (tail, head), the solver's arcs lie in memory as it walks them:
    # the flow on the supply-chain graph of 10^6 debts takes a fifth less time.
    order = np.lexsort((all_heads, all_tails))
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        all_tails[order].astype(np.int32), all_heads[order].astype(np.int32),
        np.r_[cap, limit[limited]][order],
        np.r_[-length.astype(np.int64), np.zeros(len(limited), dtype=np.int64)][order])
    solver.set_nodes_supplies(np.arange(nodes, dtype=np.int32),
                              np.zeros(nodes, dtype=np.int64))
    status = solver.solve()
    _require(status == solver.OPTIMAL, "setoff.solver_failed",
             f"the min-cost flow solver answered {status!r}")
    flows = np.empty(len(order), dtype=np.int64)
    flows[order] = solver.flows(np.arange(len(order), dtype=np.int32))
    return flows[:len(tails)]


def optimal_setoff(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray,
                   members: int, limit: np.ndarray | None = None, *,
                   limited: tuple[np.ndarray, np.ndarray] | None = None) -> Solution:
    """The set-off per debt that clears the most while every net position stays the same.

    `debtor[i]` owes `creditor[i]` `amount[i]` fen; members are numbered 0..members-1
    (any numbers in that range, however sparse). `limit[m]` is the most member m may
    clear (-1: no limit, 0: opted out). With sparse numbers, `limited` = (member numbers,
    their limits) says the same for the members named, without an array per member; one
    of the two at most; without either, no member has a limit. Debts of the same pair are
    set off in the order given; a debt a member owes itself is set off 0.
    """
    debtor = _as_int64(debtor, "debtor")
    creditor = _as_int64(creditor, "creditor")
    amount = _as_int64(amount, "amount")
    _require(isinstance(members, int | np.integer) and 0 <= int(members) <= MAX_MEMBER,
             "setoff.bad_members", f"members is an integer from 0 to {MAX_MEMBER}")
    members = int(members)
    _require(len(debtor) == len(creditor) == len(amount), "setoff.bad_length",
             "debtor, creditor and amount differ in length")
    _require(len(amount) <= MAX_DEBTS, "setoff.too_large",
             f"{len(amount)} debts, more than {MAX_DEBTS}")
    if len(amount):
        _require(min(int(debtor.min()), int(creditor.min())) >= 0
                 and max(int(debtor.max()), int(creditor.max())) < members,
                 "setoff.bad_member", "debtors and creditors lie in 0..members-1")
        _require(int(amount.min()) >= 0, "setoff.bad_amount", "amounts are at least 0 fen")
        _require(int(amount.max()) * len(amount) < MAX_TOTAL_FEN
                 or int(amount.astype(object).sum()) < MAX_TOTAL_FEN,
                 "setoff.too_large", "the total debt reaches 2**62 fen")
    _require(limit is None or limited is None, "setoff.bad_limit",
             "limits are given per member or for the members named, not both")
    limit = None if limit is None else _as_int64(limit, "limit")
    if limit is not None:
        _require(len(limit) == members and (members == 0 or int(limit.min()) >= -1),
                 "setoff.bad_limit", "one limit per member: -1 (none), 0 (opted out) or fen")
    total_fen = int(amount.sum()) if len(amount) else 0
    setoff = np.zeros(len(amount), dtype=np.int64)

    # 1. Dense numbers for the members named; a debt to oneself takes no part.
    member_ids, dense_debtor, dense_creditor = _dense(debtor, creditor, members)
    net = net_positions(dense_debtor, dense_creditor, amount, len(member_ids))
    bound_fen = int(net[net > 0].sum())
    node_limit = _node_limits(member_ids, members, limit, limited)
    own = debtor == creditor
    usable = ~own & (amount > 0) & (node_limit[dense_debtor] != 0) \
        & (node_limit[dense_creditor] != 0)
    index = np.flatnonzero(usable)
    tails, heads, owed, order, pair_of_sorted = _aggregate(
        dense_debtor[index], dense_creditor[index], amount[index], len(member_ids))

    # 2. Only arcs inside a strongly connected part lie on a loop.
    labels = _strong_parts(tails, heads, len(member_ids)) if len(tails) else tails
    arcs = np.flatnonzero(labels[tails] == labels[heads])
    self_debts = int(own.sum())
    if len(arcs) == 0:
        return Solution(setoff, 0, total_fen, bound_fen, 0, 0, self_debts)

    # 3-5 on those arcs; a member on none of them takes no part.
    if len(arcs) < len(tails):
        tails, heads, on_loop_owed = tails[arcs], heads[arcs], owed[arcs]
    else:
        on_loop_owed = owed
    pair_setoff = np.zeros(len(owed), dtype=np.int64)
    pair_setoff[arcs] = _circulation(tails, heads, on_loop_owed, labels, node_limit)
    on_arcs = int(np.count_nonzero(np.bincount(tails, minlength=len(member_ids))))

    # Split each pair's set-off onto its debts in the order given.
    amount_sorted = amount[index][order]
    before = np.cumsum(amount_sorted) - amount_sorted
    group_start = np.r_[0, np.flatnonzero(pair_of_sorted[1:] != pair_of_sorted[:-1]) + 1]
    starts_of_sorted = group_start[pair_of_sorted]
    before -= before[starts_of_sorted]
    take = np.clip(pair_setoff[pair_of_sorted] - before, 0, amount_sorted)
    setoff[index[order]] = take

    solution = Solution(setoff, int(setoff.sum()), total_fen, bound_fen, len(arcs), on_arcs,
                        self_debts)
    _check_dense(dense_debtor, dense_creditor, amount, member_ids, node_limit, setoff, own)
    return solution


def _node_limits(member_ids: np.ndarray, members: int, limit: np.ndarray | None,
                 limited: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """The limit of each member named (-1: none), from either form of `optimal_setoff`."""
    if limit is not None:
        return limit[member_ids]
    node_limit = np.full(len(member_ids), -1, dtype=np.int64)
    if limited is None:
        return node_limit
    _require(len(limited) == 2, "setoff.bad_limit", "limited is (member numbers, limits)")
    who, fen = _as_int64(limited[0], "limited members"), _as_int64(limited[1], "limits")
    _require(len(who) == len(fen), "setoff.bad_limit",
             "limited members and their limits differ in length")
    if len(who) == 0:
        return node_limit
    _require(int(who.min()) >= 0 and int(who.max()) < members and int(fen.min()) >= -1,
             "setoff.bad_limit", "limited members lie in 0..members-1 and limits are -1, "
             "0 (opted out) or fen")
    _require(len(np.unique(who)) == len(who), "setoff.bad_limit",
             "a member is given two limits")
    at = np.minimum(np.searchsorted(member_ids, who), max(len(member_ids) - 1, 0))
    named = (member_ids[at] == who) if len(member_ids) else np.zeros(len(who), dtype=bool)
    node_limit[at[named]] = fen[named]
    return node_limit


def check(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray, members: int,
          limit: np.ndarray | None, setoff: np.ndarray, *,
          limited: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Raise `SetoffError` (setoff.check_failed) unless `setoff` is a circulation within
    every debt and limit that sets off nothing a member owes itself."""
    member_ids, dense_debtor, dense_creditor = _dense(debtor, creditor, members)
    node_limit = _node_limits(member_ids, members, limit, limited)
    _check_dense(dense_debtor, dense_creditor, amount, member_ids, node_limit, setoff,
                 debtor == creditor)


def _check_dense(debtor: np.ndarray, creditor: np.ndarray, amount: np.ndarray,
                 member_ids: np.ndarray, node_limit: np.ndarray, setoff: np.ndarray,
                 own: np.ndarray) -> None:
    """`check` on members numbered densely; `member_ids` gives back their numbers."""
    _require(not (np.any(setoff < 0) or np.any(setoff > amount)), "setoff.check_failed",
             "a set-off lies outside its debt")
    _require(not np.any(setoff[own]), "setoff.check_failed",
             "a debt a member owes itself is set off")
    cleared_out = np.zeros(len(node_limit), dtype=np.int64)
    np.add.at(cleared_out, debtor, setoff)
    cleared_in = np.zeros(len(node_limit), dtype=np.int64)
    np.add.at(cleared_in, creditor, setoff)
    _require(np.array_equal(cleared_out, cleared_in), "setoff.check_failed",
             "the set-off is not a circulation: a net position would change")
    over = (node_limit >= 0) & (cleared_out > np.maximum(node_limit, 0))
    if np.any(over):
        raise SetoffError("setoff.check_failed", f"member "
                          f"{int(member_ids[np.flatnonzero(over)[0]])} would clear over its limit")
