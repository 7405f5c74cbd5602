"""A set-off plan from the ledger's state: the debts, the optimum, and rounds to propose.

`collect` reads what may be set off now: confirmed obligations and live vouchers that
are neither pledged (their bank has not agreed) nor reserved by a redemption request,
and not already in an open round, between members who hold claims and did not opt
out. `plan` solves the optimum (node/setoff_solver.py) and cuts it into rounds the
contract accepts: each connected part of the set-off with 3 or more members is a round
when it fits one (contracts.setoff.MAX_MEMBERS, MAX_REDUCTIONS); a larger part is
decomposed into loops, packed into rounds that share no debt; what does not fit now is
deferred to a later plan. Parts of two members are bilateral (the parties set off
directly) and are reported, not proposed; so is any part of the set-off that runs both
ways between two members, taken off before the rounds are cut.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from contracts import obligations, setoff, vouchers
from contracts.errors import LedgerError, Rejected
from contracts.state import Reader
from node.setoff_solver import Solution, optimal_setoff

MAX_PLAN_DEBTS = 200_000  # live obligations and vouchers a plan of the API may read


@dataclass(frozen=True)
class Debt:
    kind: str  # "obligation" | "voucher"
    id: bytes
    debtor: bytes
    creditor: bytes
    amount_fen: int
    due_ms: int


@dataclass(frozen=True)
class Graph:
    debts: list[Debt]  # in the canonical order: due date, then id
    limits: dict[bytes, int]  # member -> most it clears a round; 0: opted out


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


def _holds_claims(state: Reader, address: bytes, cache: dict[bytes, bool]) -> bool:
    """Whether the contract would let `address` take part (vouchers.require_can_hold)."""
    if address not in cache:
        try:
            vouchers.require_can_hold(state, address)
            cache[address] = True
        except Rejected:
            cache[address] = False
    return cache[address]


def collect(state: Reader, exclude: frozenset[bytes] = frozenset(),
            max_debts: int | None = None) -> Graph:
    """Every debt a round may use now, and every member's standing limit.

    With `max_debts`, reading more live obligations and vouchers than that stops with
    `setoff.plan_too_large` (the time and memory of a plan grow with them).
    """
    debts: list[Debt] = []
    read = 0

    def count() -> None:
        nonlocal read
        read += 1
        if max_debts is not None and read > max_debts:
            raise LedgerError("setoff.plan_too_large",
                              f"the ledger holds more than {max_debts} live obligations "
                              "and vouchers: more than one plan request may read")

    live = obligations.live_key(b"")  # live_ids, read one at a time under the bound
    for key, _ in state.scan(live):
        count()
        obligation_id = key[len(live):]
        if setoff.open_round_of(state, obligation_id) is not None:
            continue
        o = obligations.get_obligation(state, obligation_id)
        assert o is not None and o.status == obligations.LIVE
        debts.append(Debt("obligation", o.id, o.debtor, o.creditor, o.amount_fen, o.due_ms))
    for key, _ in state.scan(b"vhl/"):
        count()
        voucher_id = key[-32:]
        v = vouchers.get_voucher(state, voucher_id)
        assert v is not None and v.status == "active"
        if v.pledge is not None or v.reserved_by is not None \
                or setoff.open_round_of(state, voucher_id) is not None:
            continue
        debts.append(Debt("voucher", v.id, v.debtor, v.holder, v.amount_fen, v.due_ms))
    able: dict[bytes, bool] = {}
    # A voucher that came to its own debtor (an enforcing bank, an acquirer that is the
    # debtor) is not a debt between two members.
    debts = [d for d in debts if d.debtor != d.creditor
             and d.debtor not in exclude and d.creditor not in exclude
             and _holds_claims(state, d.debtor, able) and _holds_claims(state, d.creditor, able)]
    debts.sort(key=lambda d: (d.due_ms, d.id))
    limits: dict[bytes, int] = {}
    for member in sorted({d.debtor for d in debts} | {d.creditor for d in debts}):
        limit = setoff.get_limit(state, member)
        if limit is not None and limit.opted_out:
            limits[member] = 0
        elif limit is not None and limit.max_fen_per_round is not None:
            limits[member] = limit.max_fen_per_round
    return Graph(debts, limits)


def solve(graph: Graph) -> tuple[Solution, list[bytes]]:
    """The optimum over the graph, and the members in the numbering the solver used."""
    members = sorted({d.debtor for d in graph.debts} | {d.creditor for d in graph.debts})
    number = {member: i for i, member in enumerate(members)}
    debtor = np.fromiter((number[d.debtor] for d in graph.debts), np.int64, len(graph.debts))
    creditor = np.fromiter((number[d.creditor] for d in graph.debts), np.int64, len(graph.debts))
    amount = np.fromiter((d.amount_fen for d in graph.debts), np.int64, len(graph.debts))
    limit = np.fromiter((graph.limits.get(m, -1) for m in members), np.int64, len(members))
    return optimal_setoff(debtor, creditor, amount, len(members), limit), members


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


def _loops(legs: list[tuple[Debt, int]]) -> list[list[tuple[Debt, int]]]:
    """A circulation decomposed into loops (each a list of (debt, amount)), deterministically."""
    left = {i: amount for i, (_, amount) in enumerate(legs)}
    out: dict[bytes, list[int]] = defaultdict(list)
    for i, (debt, _) in enumerate(legs):
        out[debt.debtor].append(i)
    loops = []
    for start in sorted(out):
        while any(left[i] for i in out[start]):
            path: list[int] = []
            seen: dict[bytes, int] = {}
            node = start
            while node not in seen:
                seen[node] = len(path)
                arc = next(i for i in out[node] if left[i])  # a circulation never strands
                path.append(arc)
                node = legs[arc][0].creditor
            cycle = path[seen[node]:]
            amount = min(left[i] for i in cycle)
            for i in cycle:
                left[i] -= amount
            loops.append([(legs[i][0], amount) for i in cycle])
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
    """The optimal set-off of a collected graph, cut into rounds the contract accepts.

    Reads no state, so it may run in another thread than the one that collected.
    """
    solution, _ = solve(graph)
    result = Plan(solution.total_fen, solution.bound_fen, solution.cleared_fen,
                  members=solution.members, arcs=solution.arcs)
    legs, result.bilateral_fen = _without_bilateral(
        [(debt, int(amount)) for debt, amount in zip(graph.debts, solution.setoff_fen,
                                                     strict=True) if amount > 0])
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
    return result


def _pack(result: Plan, part: list[tuple[Debt, int]], max_rounds: int) -> None:
    """Loops of a part too large for one round, packed into rounds that share no debt."""
    rounds: list[list[tuple[Debt, int]]] = []
    owner: dict[bytes, int] = {}  # debt id -> the round of this plan that reduces it
    for loop in _loops(part):
        loop_fen = sum(amount for _, amount in loop)
        if not _fits(loop):
            result.deferred_fen += loop_fen
            continue
        if len(_members(loop)) < setoff.MIN_LOOP_MEMBERS:
            result.bilateral_fen += loop_fen
            continue
        taken = {owner[d.id] for d, _ in loop if d.id in owner}
        if len(taken) > 1:
            result.deferred_fen += loop_fen
            continue
        if taken:
            (target,) = taken
            if not _fits(rounds[target] + loop):
                result.deferred_fen += loop_fen
                continue
        elif len(result.rounds) + len(rounds) >= max_rounds:
            result.deferred_fen += loop_fen
            continue
        else:
            target = next((i for i, r in enumerate(rounds) if _fits(r + loop)), len(rounds))
            if target == len(rounds):
                rounds.append([])
        rounds[target] += loop
        for debt, _ in loop:
            owner[debt.id] = target
    result.rounds += [_reductions(r) for r in rounds]
