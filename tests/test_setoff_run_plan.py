"""The planner's run: executed batch by batch on a ledger, it clears exactly the solver's
optimum over the debts between mandated members and leaves every net position as it was;
what members without a mandate could add comes out as rounds."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import obligations, setoff, vouchers
from node.setoff_plan import Debt, Graph, _loops, collect, plan_of
from node.setoff_solver import optimal_setoff
from tests.memledger import Ledger
from tests.test_setoff_runs import batch_tx, close_tx, mandate, open_run, owe

MEMBERS = ("core", "supplier", "supplier2", "supplier3", "merchant", "acquirer")


def net_positions(ledger: Ledger) -> dict[bytes, int]:
    """Owed to each member less owed by it, over confirmed obligations and live vouchers."""
    position: dict[bytes, int] = defaultdict(int)
    for obligation_id in obligations.live_ids(ledger.store):
        o = obligations.get_obligation(ledger.store, obligation_id)
        assert o is not None
        position[o.creditor] += o.amount_fen
        position[o.debtor] -= o.amount_fen
    for key, _ in ledger.store.scan(b"vhl/"):
        v = vouchers.get_voucher(ledger.store, key[-32:])
        assert v is not None
        position[v.holder] += v.amount_fen
        position[v.debtor] -= v.amount_fen
    return {m: fen for m, fen in position.items() if fen}


def debt_total(ledger: Ledger) -> int:
    return sum(d.amount_fen for d in collect(ledger.store).debts)


def optimum_over(graph: Graph, members: set[bytes]) -> int:
    """The solver's optimum over the debts between two of `members`, no limit."""
    debts = [d for d in graph.debts if d.debtor in members and d.creditor in members]
    if not debts:
        return 0
    names = sorted({d.debtor for d in debts} | {d.creditor for d in debts})
    number = {m: i for i, m in enumerate(names)}
    return optimal_setoff(np.array([number[d.debtor] for d in debts]),
                          np.array([number[d.creditor] for d in debts]),
                          np.array([d.amount_fen for d in debts]), len(names)).cleared_fen


def execute_run(ledger: Ledger, batches: list[list[setoff.Reduction]]) -> bytes:
    """Open a run, submit every batch in its own block, checking net positions after each."""
    before = net_positions(ledger)
    run_id = open_run(ledger)
    for number, batch in enumerate(batches):
        ledger.block(batch_tx(ledger, run_id, number, tuple(batch)))
        assert net_positions(ledger) == before  # every prefix of the run
    ledger.block(close_tx(ledger, run_id))
    return run_id


debt_lists = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 5_000),
              st.booleans()).filter(lambda d: d[0] != d[1]),
    min_size=3, max_size=16)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(debt_lists, st.sets(st.integers(0, 5), min_size=2))
def test_a_run_executes_exactly_the_optimum_over_mandated_members(debts, mandated) -> None:
    ledger = Ledger()
    for debtor, creditor, fen, as_voucher in debts:
        if as_voucher and MEMBERS[debtor] in ("core", "supplier", "supplier2"):
            ledger.issue(fen, creditor=MEMBERS[creditor], debtor=MEMBERS[debtor])
        else:
            owe(ledger, MEMBERS[debtor], MEMBERS[creditor], fen)
    names = [MEMBERS[i] for i in sorted(mandated)]
    mandate(ledger, *names)
    graph = collect(ledger.store, time_ms=ledger.time_ms)
    addresses = {ledger.addr(n) for n in names}
    assert set(graph.mandates) == addresses & (
        {d.debtor for d in graph.debts} | {d.creditor for d in graph.debts})
    plan = plan_of(graph)
    optimum = optimum_over(graph, addresses)
    assert plan.run.optimum_fen == plan.run.planned_fen == optimum
    total_before = debt_total(ledger)
    run_id = execute_run(ledger, plan.run.batches)
    assert setoff.get_run(ledger.store, run_id).cleared_fen == optimum
    assert debt_total(ledger) == total_before - optimum
    # Nothing is left between mandated members: a new plan finds no run.
    after = plan_of(collect(ledger.store, time_ms=ledger.time_ms))
    assert after.run.optimum_fen == 0
    # The rounds of the first plan clear at most what the run left of the whole optimum
    # (the run goes first, so together they may fall short of it, never beyond).
    assert plan.run.planned_fen + plan.rounds_optimum_fen <= plan.cleared_fen


def test_a_run_keeps_each_member_within_its_mandate_and_reports_what_the_limit_held() -> None:
    ledger = Ledger()
    owe(ledger, "supplier", "supplier2", 300_000)
    owe(ledger, "supplier2", "supplier3", 300_000)
    owe(ledger, "supplier3", "supplier", 300_000)
    mandate(ledger, "supplier", "supplier3")
    mandate(ledger, "supplier2", max_fen=120_000)
    plan = plan_of(collect(ledger.store, time_ms=ledger.time_ms))
    assert (plan.run.optimum_fen, plan.run.planned_fen, plan.run.held_by_limits_fen) == (
        900_000, 360_000, 540_000)
    execute_run(ledger, plan.run.batches)
    assert debt_total(ledger) == 540_000


def test_rounds_carry_what_needs_a_member_without_a_mandate() -> None:
    ledger = Ledger()
    owe(ledger, "supplier", "supplier2", 300_000)  # a mandated loop
    owe(ledger, "supplier2", "supplier3", 300_000)
    owe(ledger, "supplier3", "supplier", 400_000)
    owe(ledger, "supplier", "merchant", 100_000)  # a loop through merchant, no mandate
    owe(ledger, "merchant", "supplier3", 100_000)
    mandate(ledger, "supplier", "supplier2", "supplier3")
    plan = plan_of(collect(ledger.store, time_ms=ledger.time_ms))
    assert plan.run.planned_fen == 900_000
    assert plan.unmandated_fen == 300_000 and plan.rounds_optimum_fen == 300_000
    (round_,) = plan.rounds
    assert sum(r.amount_fen for r in round_) == 300_000
    # The round is proposed after the run: every debt it names still owes its leg then.
    execute_run(ledger, plan.run.batches)
    owed = {d.id: d.amount_fen for d in collect(ledger.store).debts}
    assert all(owed[r.id] >= r.amount_fen for r in round_)


def test_the_walk_decomposes_a_circulation_into_simple_loops_adding_up_to_it() -> None:
    a, b, c, d = (bytes([i]) * 32 for i in range(1, 5))
    flow = [(Debt("obligation", bytes([10 + i]) * 32, x, y, fen, 0), fen)
            for i, (x, y, fen) in enumerate([(a, b, 5), (b, c, 3), (c, a, 3), (b, d, 2),
                                             (d, a, 2), (a, c, 1), (c, b, 1), (b, a, 1)])]
    loops = _loops(flow)
    cleared: dict[bytes, int] = defaultdict(int)
    for loop in loops:
        members = [debt.debtor for debt, _ in loop]
        assert len(set(members)) == len(members)  # simple
        assert all(loop[i][0].creditor == loop[(i + 1) % len(loop)][0].debtor
                   for i in range(len(loop)))
        for debt, fen in loop:
            cleared[debt.id] += fen
    assert cleared == {debt.id: fen for debt, fen in flow}


def test_rounds_take_the_shortest_loops_first() -> None:
    a, b, c, d = (bytes([i]) * 32 for i in range(1, 5))
    flow = [(Debt("obligation", bytes([20 + i]) * 32, x, y, fen, 0), fen)
            for i, (x, y, fen) in enumerate([(a, b, 2), (b, d, 1), (d, c, 1), (b, c, 1),
                                             (c, a, 2)])]
    loops = _loops(flow)
    assert [len(loop) for loop in loops] == [3, 4]
    assert {debt.creditor for debt, _ in loops[0]} == {a, b, c}
