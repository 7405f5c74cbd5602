"""A set-off plan from the ledger's state: the debts, the optimum, a run and rounds.

`collect` takes what the contract lets be set off now (contracts.setoff.open_debts:
confirmed obligations and live vouchers that are neither pledged nor reserved by a
redemption request, and not already in an open round, between members who hold claims),
with each member's limit (0: opted out). `plan` solves the optimum
(node/setoff_solver.py) and cuts it into rounds the contract accepts: each connected
part of the set-off with 3 or more members is a round when it fits one
(contracts.setoff.MAX_MEMBERS, MAX_REDUCTIONS); a larger part is decomposed into loops,
packed into rounds that share no debt; what does not fit now is deferred to a later
plan. Parts of two members are bilateral (the parties set off directly) and are
reported, not proposed; so is any part of the set-off that runs both ways between two
members, taken off before the rounds are cut.

Members with a live mandate come first: the optimum over the debts between two of them,
within each one's per-run limit, is the run. Its set-off is decomposed into loops by
one walk of the flow (each step either extends the walk or closes a loop, so the time is
linear in the loops' legs), and the loops are packed in the order found into batches of
at most contracts.setoff.MAX_RUN_LEGS debts, each a circulation. Two-member loops belong
to the run: both members' mandates are the agreement. The rounds are the optimum of what
the run leaves (the debts less the run's set-off), for the members without a mandate to
consent to: they are proposed after the run executed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from contracts import setoff, supervision
from contracts.errors import LedgerError
from contracts.setoff import Debt
from contracts.state import Reader
from node.setoff_solver import Solution, optimal_setoff

LegList = list[tuple["Debt", int]]

MAX_PLAN_DEBTS = 200_000  # live obligations and vouchers a plan of the API may read


@dataclass(frozen=True)
class Graph:
    debts: list[Debt]  # in the canonical order: due date, then id
    limits: dict[bytes, int]  # member -> most it clears a round; 0: opted out
    # member -> what a run may still clear of its debts (its mandate's limit less what
    # the open run cleared of them), for members with a live mandate at the plan's time
    mandates: dict[bytes, int] = field(default_factory=dict)
    open_run: bytes | None = None  # the run open at the plan's time, if any


@dataclass
class RunPlan:
    """The part of the optimum a run carries: the mandated members' debts."""

    optimum_fen: int = 0  # the optimum over debts between mandated members, no limit per run
    planned_fen: int = 0  # what the batches clear: that optimum within each per-run limit
    held_by_limits_fen: int = 0  # optimum_fen - what the per-run limits let through
    deferred_fen: int = 0  # in loops longer than a batch (not cleared by this run)
    bilateral_fen: int = 0  # of planned_fen, what two members clear of debts both ways
    batches: list[list[setoff.Reduction]] = field(default_factory=list)
    loops: int = 0
    members: int = 0  # members the run clears something of
    mandated_members: int = 0  # members in the graph with a live mandate


@dataclass
class Plan:
    total_fen: int  # all debt in the graph
    bound_fen: int  # its net internal debt: no set-off leaves less than this
    cleared_fen: int  # the optimum
    rounds: list[list[setoff.Reduction]] = field(default_factory=list)
    bilateral_fen: int = 0  # set-off between two members only, left to them
    deferred_fen: int = 0  # did not fit the rounds of this plan
    members: int = 0  # members the graph concerns
    arcs: int = 0  # (debtor, creditor) pairs that could lie on a loop
    run: RunPlan = field(default_factory=RunPlan)
    unmandated_fen: int = 0  # the optimum less the run's: needs a member without a mandate
    rounds_optimum_fen: int = 0  # the optimum of what the run leaves, for the rounds
    seconds: dict[str, float] = field(default_factory=dict)  # solve, run, rounds


def collect(state: Reader, exclude: frozenset[bytes] = frozenset(),
            max_debts: int | None = None, time_ms: int | None = None) -> Graph:
    """Every debt a round may use now, every member's standing limit and, at ledger time
    `time_ms` (the head's), every live mandate with what a run may still clear under it.

    With `max_debts`, reading more live obligations and vouchers than that stops with
    `setoff.plan_too_large` (the time and memory of a plan grow with them).
    """
    read = 0

    def count() -> None:
        nonlocal read
        read += 1
        if max_debts is not None and read > max_debts:
            raise LedgerError("setoff.plan_too_large",
                              f"the ledger holds more than {max_debts} live obligations "
                              "and vouchers: more than one plan request may read")

    # Which debts may take part is the contract's rule (contracts.setoff.open_debts), less
    # those a court order or a dispute holds (contracts.supervision.is_held).
    debts = [d for d in setoff.open_debts(state, count)
             if d.debtor not in exclude and d.creditor not in exclude
             and not supervision.is_held(state, d.kind, d.id)]
    debts.sort(key=lambda d: (d.due_ms, d.id))
    limits: dict[bytes, int] = {}
    for member in sorted({d.debtor for d in debts} | {d.creditor for d in debts}):
        limit = setoff.get_limit(state, member)
        if limit is not None and limit.opted_out:
            limits[member] = 0
        elif limit is not None and limit.max_fen_per_round is not None:
            limits[member] = limit.max_fen_per_round
    mandates: dict[bytes, int] = {}
    run_id = None if time_ms is None else setoff.open_run_id(state, time_ms)
    if time_ms is not None:
        for member in sorted({d.debtor for d in debts} | {d.creditor for d in debts}):
            mandate = setoff.get_mandate(state, member)
            if limits.get(member) == 0 or not setoff.mandate_live(mandate, time_ms):
                continue
            assert mandate is not None
            used = 0 if run_id is None else \
                setoff.get_usage(state, run_id, member).cleared_of_fen
            mandates[member] = max(mandate.max_fen_per_run - used, 0)
    return Graph(debts, limits, mandates, run_id)


def solve(graph: Graph) -> tuple[Solution, list[bytes]]:
    """The optimum over the graph, and the members in the numbering the solver used."""
    members, debtor, creditor, amount = _arrays(graph.debts)
    limit = np.fromiter((graph.limits.get(m, -1) for m in members), np.int64, len(members))
    return optimal_setoff(debtor, creditor, amount, len(members), limit), members


def _arrays(debts: list[Debt]) -> tuple[list[bytes], np.ndarray, np.ndarray, np.ndarray]:
    members = sorted({d.debtor for d in debts} | {d.creditor for d in debts})
    number = {member: i for i, member in enumerate(members)}
    debtor = np.fromiter((number[d.debtor] for d in debts), np.int64, len(debts))
    creditor = np.fromiter((number[d.creditor] for d in debts), np.int64, len(debts))
    amount = np.fromiter((d.amount_fen for d in debts), np.int64, len(debts))
    return members, debtor, creditor, amount


def _solve_with(debts: list[Debt], amount: np.ndarray, limits: dict[bytes, int]
                ) -> np.ndarray:
    """The optimal set-off per debt of `debts` owing `amount`, each member within
    `limits` (absent: no limit; 0: takes no part)."""
    members, debtor, creditor, _ = _arrays(debts)
    limit = np.fromiter((limits.get(m, -1) for m in members), np.int64, len(members))
    return optimal_setoff(debtor, creditor, amount, len(members), limit).setoff_fen


def _without_bilateral(legs: list[tuple[Debt, int]]) -> tuple[list[tuple[Debt, int]], int]:
    """The set-off less what two members would clear of debts to each other both ways.

    Taking the same amount off both directions between two members keeps a circulation;
    what is left has no loop of two members, which a round may not hold (三个以上主体).
    Each pair keeps its earliest debts' reductions, as the solver's split does.
    """
    by_pair: dict[tuple[bytes, bytes], list[tuple[Debt, int]]] = defaultdict(list)
    for debt, amount in legs:
        by_pair[(debt.debtor, debt.creditor)].append((debt, amount))
    total = {pair: sum(amount for _, amount in pair_legs) for pair, pair_legs in by_pair.items()}
    bilateral_fen = 0
    kept: list[tuple[Debt, int]] = []
    for (debtor, creditor), pair_legs in by_pair.items():
        both_ways = min(total[(debtor, creditor)], total.get((creditor, debtor), 0))
        bilateral_fen += both_ways
        left = total[(debtor, creditor)] - both_ways
        for debt, amount in pair_legs:
            take = min(amount, left)
            left -= take
            if take:
                kept.append((debt, take))
    return kept, bilateral_fen


def _parts(legs: list[tuple[Debt, int]]) -> list[list[tuple[Debt, int]]]:
    """The legs grouped by connected part of the members they join, in a fixed order."""
    parent: dict[bytes, bytes] = {}

    def root(member: bytes) -> bytes:
        while parent.setdefault(member, member) != member:
            parent[member] = parent[parent[member]]
            member = parent[member]
        return member

    for debt, _ in legs:
        a, b = root(debt.debtor), root(debt.creditor)
        if a != b:
            parent[max(a, b)] = min(a, b)
    parts: dict[bytes, list[tuple[Debt, int]]] = defaultdict(list)
    for leg in legs:
        parts[root(leg[0].debtor)].append(leg)
    return [parts[key] for key in sorted(parts)]


def _loops(legs: LegList) -> list[LegList]:
    """A circulation decomposed into loops (each a list of (debt, amount)), deterministically,
    short ones first (see `_short_loops`)."""
    number: dict[bytes, int] = {}
    for debt, _ in legs:
        number.setdefault(debt.debtor, len(number))
        number.setdefault(debt.creditor, len(number))
    return [[(legs[i][0], amount) for i in arcs] for arcs, amount in _short_loops(
        [number[d.debtor] for d, _ in legs], [number[d.creditor] for d, _ in legs],
        [amount for _, amount in legs], len(number))]


SHORT_LOOP_HOPS = 6  # the longest loop the breadth-first search looks for
SHORT_LOOP_BUDGET = 3_000_000  # arcs it may look at in all, so its time stays bounded


def _short_loops(tails: list[int], heads: list[int], amounts: list[int], members: int
                 ) -> list[tuple[list[int], int]]:
    """A circulation decomposed into loops, short ones first: for each arc, largest amount
    first, a breadth-first search over arcs with an amount left finds the shortest way
    back from its head to its tail (at most SHORT_LOOP_HOPS arcs), and that loop is taken
    off, as long as the search finds one and its budget lasts; what is left is decomposed
    by `_walk`. Short loops concern few members and share few debts, so more of them fit
    rounds; the budget keeps a plan's time bounded on dense graphs."""
    left = list(amounts)
    out: list[list[int]] = [[] for _ in range(members)]
    for i, tail in enumerate(tails):
        out[tail].append(i)
    loops: list[tuple[list[int], int]] = []
    spent = 0
    for arc in sorted(range(len(tails)), key=lambda i: (-amounts[i], i)):
        while left[arc] and spent < SHORT_LOOP_BUDGET:
            target = tails[arc]
            parent = {heads[arc]: -1}  # member -> the arc the search reached it by
            frontier = [heads[arc]]
            found = False
            for _ in range(SHORT_LOOP_HOPS - 1):
                reached = []
                for member in frontier:
                    for e in out[member]:
                        spent += 1
                        if not left[e] or e == arc or heads[e] in parent:
                            continue
                        parent[heads[e]] = e
                        if heads[e] == target:
                            found = True
                            break
                        reached.append(heads[e])
                    if found:
                        break
                if found or not reached:
                    break
                frontier = reached
            if not found:
                break
            cycle = [arc]
            member = target
            while parent[member] != -1:
                cycle.append(parent[member])
                member = tails[parent[member]]
            cycle = [arc, *reversed(cycle[1:])]
            amount = min(left[i] for i in cycle)
            for i in cycle:
                left[i] -= amount
            loops.append((cycle, amount))
    rest = [i for i in range(len(tails)) if left[i]]
    loops += [([rest[j] for j in arcs], amount) for arcs, amount in _walk(
        [tails[i] for i in rest], [heads[i] for i in rest], [left[i] for i in rest], members)]
    return loops


def _walk(tails: list[int], heads: list[int], amounts: list[int], members: int
          ) -> list[tuple[list[int], int]]:
    """A circulation on arcs tails[i] -> heads[i] carrying amounts[i], decomposed into
    simple loops: (the arcs in order, the amount on each).

    One walk: from each member in turn (in the order first met), follow arcs with an amount
    left until the walk meets a member it passed; the loop closed there is taken off with
    its smallest amount and the walk goes on from that member. A member's arcs are looked
    at through a cursor that only moves forward, so the time is linear in the arcs plus
    the loops' legs.
    """
    left = list(amounts)
    out: list[list[int]] = [[] for _ in range(members)]
    for i, tail in enumerate(tails):
        out[tail].append(i)
    cursor = [0] * members
    on_path = [-1] * members  # where on the walk's path a member is, or -1
    loops: list[tuple[list[int], int]] = []
    for start in range(members):
        path_members = [start]
        path_arcs: list[int] = []
        on_path[start] = 0
        while True:
            member = path_members[-1]
            arcs, at = out[member], cursor[member]
            while at < len(arcs) and not left[arcs[at]]:
                at += 1
            cursor[member] = at
            if at == len(arcs):
                # A circulation never strands a walk: only its start runs out, with no path.
                assert not path_arcs, "the set-off is not a circulation"
                on_path[start] = -1
                break
            arc = arcs[at]
            path_arcs.append(arc)
            head = heads[arc]
            if on_path[head] < 0:
                on_path[head] = len(path_members)
                path_members.append(head)
                continue
            closed_at = on_path[head]
            cycle = path_arcs[closed_at:]
            amount = min(left[i] for i in cycle)
            for i in cycle:
                left[i] -= amount
            loops.append((cycle, amount))
            for gone in path_members[closed_at + 1:]:
                on_path[gone] = -1
            del path_members[closed_at + 1:]
            del path_arcs[closed_at:]
    assert not any(left), "the set-off is not a circulation"
    return loops


def _members(legs: list[tuple[Debt, int]]) -> set[bytes]:
    return {d.debtor for d, _ in legs} | {d.creditor for d, _ in legs}


def _reductions(legs: list[tuple[Debt, int]]) -> list[setoff.Reduction]:
    merged: dict[tuple[str, bytes], int] = defaultdict(int)
    for debt, amount in legs:
        merged[(debt.kind, debt.id)] += amount
    return [setoff.Reduction(kind, debt_id, amount)
            for (kind, debt_id), amount in sorted(merged.items())]


def _fits(legs: list[tuple[Debt, int]]) -> bool:
    return len(_members(legs)) <= setoff.MAX_MEMBERS \
        and len({d.id for d, _ in legs}) <= setoff.MAX_REDUCTIONS


def plan(state: Reader, exclude: frozenset[bytes] = frozenset(),
         max_rounds: int = 100) -> Plan:
    """The optimal set-off of what `state` holds, cut into rounds the contract accepts."""
    return plan_of(collect(state, exclude), max_rounds)


def plan_of(graph: Graph, max_rounds: int = 100) -> Plan:
    """The optimal set-off of a collected graph: a run over the mandated members' debts,
    cut into batches, and the optimum of what it leaves cut into rounds the contract
    accepts.

    Reads no state, so it may run in another thread than the one that collected.
    """
    started = time.perf_counter()
    solution, _ = solve(graph)
    result = Plan(solution.total_fen, solution.bound_fen, solution.cleared_fen,
                  members=solution.members, arcs=solution.arcs)
    result.seconds["solve"] = time.perf_counter() - started
    started = time.perf_counter()
    run_fen = _run_part(graph, result)
    result.unmandated_fen = max(result.cleared_fen - result.run.optimum_fen, 0)
    result.seconds["run"] = time.perf_counter() - started
    started = time.perf_counter()
    if run_fen.any():
        owed = np.fromiter((d.amount_fen for d in graph.debts), np.int64, len(graph.debts))
        rest = _solve_with(graph.debts, owed - run_fen, graph.limits)
    else:
        rest = solution.setoff_fen
    result.rounds_optimum_fen = int(rest.sum())
    _rounds(result, graph, rest, max_rounds)
    result.seconds["rounds"] = time.perf_counter() - started
    return result


def _rounds(result: Plan, graph: Graph, rest: np.ndarray, max_rounds: int) -> None:
    legs, result.bilateral_fen = _without_bilateral(
        [(debt, amount) for debt, amount in zip(graph.debts, rest.tolist(), strict=True)
         if amount > 0])
    for part in _parts(legs):
        part_fen = sum(amount for _, amount in part)
        if len(_members(part)) < setoff.MIN_LOOP_MEMBERS:
            result.bilateral_fen += part_fen
        elif len(result.rounds) >= max_rounds:
            result.deferred_fen += part_fen
        elif _fits(part):
            result.rounds.append(_reductions(part))
        else:
            _pack(result, part, max_rounds)


class _Round:
    """A round being packed: its loops' legs, members and debts."""

    def __init__(self) -> None:
        self.legs: LegList = []
        self.members: set[bytes] = set()
        self.debts: set[bytes] = set()

    def fits(self, loop: LegList) -> bool:
        members = len(self.members | _members(loop))
        debts = len(self.debts | {d.id for d, _ in loop})
        return members <= setoff.MAX_MEMBERS and debts <= setoff.MAX_REDUCTIONS

    def add(self, loop: LegList) -> None:
        self.legs += loop
        self.members |= _members(loop)
        self.debts |= {d.id for d, _ in loop}


def _pack(result: Plan, part: LegList, max_rounds: int) -> None:
    """Loops of a part too large for one round, packed into rounds that share no debt:
    a loop goes to the round that holds its debts already, else to the first round it
    fits, else to a new one; a loop whose debts lie in two rounds waits for a later plan."""
    rounds: list[_Round] = []
    owner: dict[bytes, int] = {}  # debt id -> the round of this plan that reduces it
    for loop in sorted(_loops(part), key=len):  # short loops first: they share less
        loop_fen = sum(amount for _, amount in loop)
        if len(_members(loop)) < setoff.MIN_LOOP_MEMBERS:
            result.bilateral_fen += loop_fen
            continue
        if not _fits(loop):
            result.deferred_fen += loop_fen
            continue
        taken = {owner[d.id] for d, _ in loop if d.id in owner}
        if len(taken) > 1:
            result.deferred_fen += loop_fen
            continue
        if taken:
            (target,) = taken
            if not rounds[target].fits(loop):
                result.deferred_fen += loop_fen
                continue
        else:
            target = next((i for i, r in enumerate(rounds) if r.fits(loop)), len(rounds))
            if target == len(rounds):
                if len(result.rounds) + len(rounds) >= max_rounds:
                    result.deferred_fen += loop_fen
                    continue
                rounds.append(_Round())
        rounds[target].add(loop)
        for debt, _ in loop:
            owner[debt.id] = target
    result.rounds += [_reductions(r.legs) for r in rounds]


def _batches(run: RunPlan, legs: LegList) -> None:
    """The run's set-off as batches of at most MAX_RUN_LEGS debts, each a circulation:
    its loops, in the order the walk found them (neighbours share debts), each added to
    the open batch while the batch's debts stay within the bound. A loop is simple, so it
    names each debt once."""
    number: dict[bytes, int] = {}
    for debt, _ in legs:
        number.setdefault(debt.debtor, len(number))
        number.setdefault(debt.creditor, len(number))
    loops = _walk([number[d.debtor] for d, _ in legs], [number[d.creditor] for d, _ in legs],
                  [amount for _, amount in legs], len(number))

    def close(batch: dict[int, int]) -> None:
        reductions = [setoff.Reduction(legs[i][0].kind, legs[i][0].id, fen)
                      for i, fen in batch.items()]
        run.batches.append(sorted(reductions, key=lambda r: (r.kind, r.id)))

    batch: dict[int, int] = {}
    for arcs, amount in loops:
        run.loops += 1
        if len(arcs) > setoff.MAX_RUN_LEGS:
            run.deferred_fen += amount * len(arcs)
            continue
        if len(batch) + sum(1 for i in arcs if i not in batch) > setoff.MAX_RUN_LEGS:
            close(batch)
            batch = {}
        for i in arcs:
            batch[i] = batch.get(i, 0) + amount
    if batch:
        close(batch)


def _run_part(graph: Graph, result: Plan) -> np.ndarray:
    """Plan the run over the mandated members' debts; the set-off per debt of the graph."""
    run = result.run
    run.mandated_members = len(graph.mandates)
    setoff_fen = np.zeros(len(graph.debts), dtype=np.int64)
    index = [i for i, d in enumerate(graph.debts)
             if d.debtor in graph.mandates and d.creditor in graph.mandates]
    if not index:
        return setoff_fen
    debts = [graph.debts[i] for i in index]
    amount = np.fromiter((d.amount_fen for d in debts), np.int64, len(debts))
    unlimited = _solve_with(debts, amount, {})
    run.optimum_fen = int(unlimited.sum())
    owes: dict[bytes, int] = defaultdict(int)
    for debt, fen in zip(debts, unlimited.tolist(), strict=True):
        owes[debt.debtor] += fen
    # If no limit binds the optimum, it is the run's; else solve again within every limit
    # (rerouting may reach members whose limit did not bind before). A limit of 0 means
    # "takes no part" to the solver, as it does to a run.
    binding = any(left < owes.get(m, 0) for m, left in graph.mandates.items())
    within = _solve_with(debts, amount, graph.mandates) if binding else unlimited
    setoff_fen[index] = within
    legs = [(debt, fen) for debt, fen in zip(debts, within.tolist(), strict=True) if fen]
    run.held_by_limits_fen = run.optimum_fen - int(within.sum())
    pairs: dict[tuple[bytes, bytes], int] = defaultdict(int)
    for debt, fen in legs:
        pairs[(debt.debtor, debt.creditor)] += fen
    run.bilateral_fen = sum(min(fen, pairs.get((b, a), 0)) for (a, b), fen in pairs.items())
    run.members = len(_members(legs))
    _batches(run, legs)
    run.planned_fen = sum(r.amount_fen for batch in run.batches for r in batch)
    assert run.planned_fen + run.deferred_fen == int(within.sum())
    return setoff_fen
