"""The optimal set-off: hand-made graphs with known optima, networkx as a second solver,
and the plan carried through the contract on an in-memory ledger.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import obligations, pledge, setoff, vouchers
from contracts.codec import sha256
from contracts.tx import Transaction, payload_id
from node.setoff_plan import plan
from node.setoff_solver import SetoffError, Solution, check, net_positions, optimal_setoff
from tests.memledger import DAY_MS, Ledger

Debts = list[tuple[int, int, int]]  # (debtor, creditor, amount_fen)


# ------------------------------------------------------------------ helpers


def arrays(debts: Debts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    columns = np.array(debts, dtype=np.int64).reshape(-1, 3)
    return columns[:, 0].copy(), columns[:, 1].copy(), columns[:, 2].copy()


def solve(debts: Debts, members: int, limit: list[int] | None = None) -> Solution:
    debtor, creditor, amount = arrays(debts)
    return optimal_setoff(debtor, creditor, amount, members,
                          None if limit is None else np.array(limit, dtype=np.int64))


def cleared_of(debts: Debts, setoff_fen: np.ndarray, members: int) -> list[int]:
    """What each member owed that the set-off clears."""
    out = [0] * members
    for (debtor, _, _), fen in zip(debts, setoff_fen.tolist(), strict=True):
        out[debtor] += fen
    return out


def cleared_to(debts: Debts, setoff_fen: np.ndarray, members: int) -> list[int]:
    """What was owed to each member that the set-off clears."""
    into = [0] * members
    for (_, creditor, _), fen in zip(debts, setoff_fen.tolist(), strict=True):
        into[creditor] += fen
    return into


def networkx_optimum(debts: Debts, members: int) -> int:
    """The most set-off: what remains is a min-cost flow with each member's net position as
    its demand (networkx: demand = inflow − outflow, and the remaining debt r satisfies
    in_r − out_r = owed to it − owed by it)."""
    graph = nx.DiGraph()
    net = [0] * members
    for debtor, creditor, amount in debts:
        net[creditor] += amount
        net[debtor] -= amount
    for member in range(members):
        graph.add_node(member, demand=net[member])
    owed: dict[tuple[int, int], int] = defaultdict(int)
    for debtor, creditor, amount in debts:
        owed[(debtor, creditor)] += amount
    for (debtor, creditor), amount in owed.items():
        graph.add_edge(debtor, creditor, capacity=amount, weight=1)
    total = sum(amount for _, _, amount in debts)
    return total - nx.min_cost_flow_cost(graph)


def networkx_limited_optimum(debts: Debts, members: int, limit: list[int]) -> int:
    """The most set-off when member m clears at most limit[m] (-1: any amount).

    A maximum-weight circulation: each member splits into (m, "in") → (m, "out") with
    capacity limit[m] (no capacity: unbounded) and weight 0; each debt is an arc
    (debtor, "out") → (creditor, "in") of capacity owed and weight −1, so every unit
    cleared lowers the cost by one. All demands are zero; every cycle has a debt arc, so
    none is negative and unbounded. What flows through (m, "in") → (m, "out") is what m
    is cleared of, which equals what it is cleared to.
    """
    graph = nx.DiGraph()
    for member in range(members):
        if limit[member] >= 0:
            graph.add_edge((member, "in"), (member, "out"), capacity=limit[member], weight=0)
        else:
            graph.add_edge((member, "in"), (member, "out"), weight=0)
    owed: dict[tuple[int, int], int] = defaultdict(int)
    for debtor, creditor, amount in debts:
        owed[(debtor, creditor)] += amount
    for (debtor, creditor), amount in owed.items():
        graph.add_edge((debtor, "out"), (creditor, "in"), capacity=amount, weight=-1)
    return -nx.min_cost_flow_cost(graph)


@st.composite
def graphs(draw: st.DrawFn, max_members: int = 7, max_debts: int = 16,
           max_fen: int = 40) -> tuple[Debts, int]:
    members = draw(st.integers(1, max_members))
    if members == 1:
        return [], 1
    debt = st.tuples(st.integers(0, members - 1), st.integers(1, members - 1),
                     st.integers(0, max_fen))
    return [(d, (d + step) % members, fen)
            for d, step, fen in draw(st.lists(debt, max_size=max_debts))], members


@st.composite
def limited_graphs(draw: st.DrawFn) -> tuple[Debts, int, list[int]]:
    debts, members = draw(graphs())
    limit = draw(st.lists(st.one_of(st.just(-1), st.integers(0, 60)),
                          min_size=members, max_size=members))
    return debts, members, limit


def assert_a_set_off(debts: Debts, members: int, solution: Solution) -> None:
    """Within every debt, a circulation, net positions kept, figures that add up."""
    debtor, creditor, amount = arrays(debts)
    setoff_fen = solution.setoff_fen
    assert setoff_fen.dtype == np.int64 and setoff_fen.shape == (len(debts),)
    assert all(0 <= s <= a for s, a in zip(setoff_fen.tolist(), amount.tolist(), strict=True))
    assert cleared_of(debts, setoff_fen, members) == cleared_to(debts, setoff_fen, members)
    assert np.array_equal(net_positions(debtor, creditor, amount - setoff_fen, members),
                          net_positions(debtor, creditor, amount, members))
    net = net_positions(debtor, creditor, amount, members)
    assert solution.cleared_fen == int(setoff_fen.sum())
    assert solution.total_fen == sum(a for _, _, a in debts)
    assert solution.bound_fen == int(net[net > 0].sum())
    assert solution.total_fen - solution.cleared_fen >= solution.bound_fen


# ------------------------------------------------------------------ known optima


def test_a_triangle_clears_three_times_its_smallest_debt() -> None:
    solution = solve([(0, 1, 10), (1, 2, 7), (2, 0, 4)], 3)
    assert solution.setoff_fen.tolist() == [4, 4, 4]
    assert (solution.cleared_fen, solution.total_fen, solution.bound_fen, solution.arcs,
            solution.members) == (12, 21, 6, 3, 3)


def test_two_loops_sharing_a_debt_both_clear_while_it_suffices() -> None:
    # 0→1→2→0 (6 clearable) and 0→1→3→0 (3 clearable) share 0→1 (10).
    debts = [(0, 1, 10), (1, 2, 6), (2, 0, 6), (1, 3, 3), (3, 0, 5)]
    solution = solve(debts, 4)
    assert solution.setoff_fen.tolist() == [9, 6, 6, 3, 3]
    assert (solution.cleared_fen, solution.arcs, solution.members) == (27, 5, 4)


def test_two_loops_sharing_a_short_debt_clear_what_it_carries() -> None:
    # 0→1 carries 7: either loop may take it, but 3 × 7 is cleared whichever does.
    debts = [(0, 1, 7), (1, 2, 6), (2, 0, 6), (1, 3, 3), (3, 0, 5)]
    solution = solve(debts, 4)
    assert solution.cleared_fen == 21
    assert solution.setoff_fen[0] == 7
    assert_a_set_off(debts, 4, solution)


def test_a_chain_without_a_loop_clears_nothing() -> None:
    solution = solve([(0, 1, 10), (1, 2, 7), (2, 3, 4)], 4)
    assert solution.setoff_fen.tolist() == [0, 0, 0]
    assert (solution.cleared_fen, solution.total_fen, solution.bound_fen, solution.arcs,
            solution.members) == (0, 21, 10, 0, 0)


def test_two_members_owing_each_other_clear_the_smaller_debt_both_ways() -> None:
    solution = solve([(0, 1, 5), (1, 0, 3)], 2)
    assert solution.setoff_fen.tolist() == [3, 3]
    assert (solution.cleared_fen, solution.bound_fen, solution.arcs) == (6, 2, 2)


@pytest.mark.parametrize(("limit", "expected"), [
    ([-1, 2, -1], [2, 2, 2]),  # member 1 clears at most 2
    ([-1, 4, -1], [4, 4, 4]),  # a limit equal to the optimum takes nothing away
    ([-1, 100, -1], [4, 4, 4]),
    ([3, 3, 3], [3, 3, 3]),
    ([-1, 0, -1], [0, 0, 0]),  # opted out: the loop through it clears nothing
])
def test_a_member_s_standing_limit_caps_what_the_loop_clears(limit: list[int],
                                                             expected: list[int]) -> None:
    solution = solve([(0, 1, 10), (1, 2, 7), (2, 0, 4)], 3, limit)
    assert solution.setoff_fen.tolist() == expected
    assert solution.cleared_fen == sum(expected)


def test_a_limit_on_the_shared_member_of_two_loops_caps_both_together() -> None:
    debts = [(0, 1, 10), (1, 2, 6), (2, 0, 6), (1, 3, 3), (3, 0, 5)]
    solution = solve(debts, 4, [5, -1, -1, -1])
    assert solution.cleared_fen == 15
    assert cleared_of(debts, solution.setoff_fen, 4)[0] == 5
    assert_a_set_off(debts, 4, solution)


def test_an_opted_out_member_is_left_out_and_other_loops_still_clear() -> None:
    debts = [(0, 1, 10), (1, 2, 6), (2, 0, 6), (1, 3, 3), (3, 0, 5)]
    solution = solve(debts, 4, [-1, -1, 0, -1])
    assert solution.setoff_fen.tolist() == [3, 0, 0, 3, 3]
    assert (solution.arcs, solution.members) == (3, 3)


@pytest.mark.parametrize("members", [0, 3])
def test_no_debts_clear_nothing(members: int) -> None:
    solution = solve([], members)
    assert solution.setoff_fen.shape == (0,)
    assert (solution.cleared_fen, solution.total_fen, solution.bound_fen, solution.arcs,
            solution.members) == (0, 0, 0, 0, 0)


def test_zero_amount_debts_take_no_part() -> None:
    solution = solve([(0, 1, 0), (1, 2, 5), (2, 0, 5), (0, 1, 5)], 3)
    assert solution.setoff_fen.tolist() == [0, 5, 5, 5]


@pytest.mark.parametrize(("debts", "expected"), [
    ([(0, 1, 5), (0, 1, 7), (1, 2, 9), (2, 0, 9)], [5, 4, 9, 9]),
    ([(0, 1, 7), (0, 1, 5), (1, 2, 9), (2, 0, 9)], [7, 2, 9, 9]),
    ([(0, 1, 3), (1, 2, 9), (0, 1, 3), (2, 0, 9), (0, 1, 3), (0, 1, 3)], [3, 9, 3, 9, 3, 0]),
])
def test_a_pair_s_set_off_goes_to_its_debts_in_the_order_given(debts: Debts,
                                                               expected: list[int]) -> None:
    assert solve(debts, 3).setoff_fen.tolist() == expected


@pytest.mark.parametrize(("debtor", "creditor", "amount", "members", "code"), [
    ([0, 1], [1, 0], [5], 2, "setoff.bad_length"),
    ([0, 1], [1, 0], [5, -1], 2, "setoff.bad_amount"),
    ([0, 2], [1, 0], [5, 5], 2, "setoff.bad_member"),  # outside 0..members-1
    ([0, -1], [1, 0], [5, 5], 2, "setoff.bad_member"),
    ([0, 1], [1, 0], [5, 5], -1, "setoff.bad_members"),
])
def test_inputs_outside_the_model_are_refused_with_the_check_that_failed(
        debtor: list[int], creditor: list[int], amount: list[int], members: int,
        code: str) -> None:
    with pytest.raises(SetoffError) as refused:
        optimal_setoff(np.array(debtor, dtype=np.int64), np.array(creditor, dtype=np.int64),
                       np.array(amount, dtype=np.int64), members)
    assert refused.value.code == code
    assert str(refused.value).startswith(code + ": ")


def test_arrays_that_are_not_one_dimensional_integers_are_refused() -> None:
    one = np.array([0], dtype=np.int64)
    for args, code in (
        ((np.array([0.0]), np.array([1]), np.array([5]), 2), "setoff.bad_array"),
        ((np.array([[0]]), np.array([[1]]), np.array([[5]]), 2), "setoff.bad_array"),
        ((one, np.array([1]), np.array([5]), 2, np.array([-1])), "setoff.bad_limit"),
        ((one, np.array([1]), np.array([5]), 2, np.array([-1, -2])), "setoff.bad_limit"),
        ((one, np.array([1]), np.array([5], dtype=np.uint64) << np.uint64(63), 2),
         "setoff.bad_array"),
    ):
        with pytest.raises(SetoffError) as refused:
            optimal_setoff(*args)
        assert refused.value.code == code


def test_a_total_reaching_2_62_fen_is_refused() -> None:
    huge = 1 << 61
    with pytest.raises(SetoffError) as refused:
        optimal_setoff(np.array([0, 1]), np.array([1, 0]), np.array([huge, huge]), 2)
    assert refused.value.code == "setoff.too_large"


def test_a_debt_a_member_owes_itself_is_dropped_and_counted_not_refused() -> None:
    debts = [(0, 0, 5), (0, 1, 4), (1, 2, 4), (2, 2, 9), (2, 0, 4)]
    solution = solve(debts, 3)
    assert solution.setoff_fen.tolist() == [0, 4, 4, 0, 4]
    assert (solution.cleared_fen, solution.total_fen, solution.self_debts) == (12, 26, 2)
    assert solve([(1, 1, 7)], 2).setoff_fen.tolist() == [0]


def test_the_check_refuses_what_is_not_a_set_off() -> None:
    debtor, creditor, amount = arrays([(0, 1, 10), (1, 2, 7), (2, 0, 4)])
    no_limit = np.full(3, -1, dtype=np.int64)
    check(debtor, creditor, amount, 3, no_limit, np.array([4, 4, 4]))
    for setoff_fen, limit in (
        (np.array([4, 4, 3]), no_limit),  # not a circulation
        (np.array([5, 5, 5]), no_limit),  # beyond the last debt
        (np.array([-1, -1, -1]), no_limit),
        (np.array([4, 4, 4]), np.array([-1, 3, -1])),  # over member 1's limit
        (np.array([1, 1, 1]), np.array([-1, 0, -1])),  # member 1 opted out
    ):
        with pytest.raises(SetoffError) as refused:
            check(debtor, creditor, amount, 3, limit, setoff_fen)
        assert refused.value.code == "setoff.check_failed"
    own = np.array([0, 1, 2]), np.array([0, 2, 1]), np.array([5, 1, 1])
    check(*own, 3, no_limit, np.array([0, 1, 1]))
    with pytest.raises(SetoffError, match="owes itself"):
        check(*own, 3, no_limit, np.array([1, 1, 1]))


# ------------------------------------------------------------------ properties on random graphs


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_the_optimum_is_a_set_off_and_equals_networkx(graph: tuple[Debts, int]) -> None:
    debts, members = graph
    solution = solve(debts, members)
    assert_a_set_off(debts, members, solution)
    assert solution.cleared_fen == networkx_optimum(debts, members)


@settings(max_examples=300, deadline=None)
@given(limited_graphs())
def test_the_optimum_under_limits_keeps_them_and_equals_networkx(
        graph: tuple[Debts, int, list[int]]) -> None:
    debts, members, limit = graph
    solution = solve(debts, members, limit)
    assert_a_set_off(debts, members, solution)
    for member, fen in enumerate(cleared_of(debts, solution.setoff_fen, members)):
        assert limit[member] < 0 or fen <= limit[member]
    assert solution.cleared_fen == networkx_limited_optimum(debts, members, limit)


@settings(max_examples=200, deadline=None)
@given(graphs(max_members=4, max_debts=14))
def test_a_pair_s_debts_are_cleared_in_the_order_given(graph: tuple[Debts, int]) -> None:
    debts, members = graph
    setoff_fen = solve(debts, members).setoff_fen.tolist()
    by_pair: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for (debtor, creditor, amount), fen in zip(debts, setoff_fen, strict=True):
        by_pair[(debtor, creditor)].append((amount, fen))
    for split in by_pair.values():
        pair_fen = sum(fen for _, fen in split)
        expected = []
        for amount, _ in split:
            expected.append(min(amount, pair_fen))
            pair_fen -= expected[-1]
        assert [fen for _, fen in split] == expected


# ------------------------------------------------------------------ adversarial shapes
# The shapes that once made the flow crawl or the arrays grow with the member numbers,
# small enough for networkx, with amounts of the widest spread.

WIDE_FEN = 10**9


def reference(debts: Debts, limit: dict[int, int] | None = None) -> int:
    """networkx's optimum on the same debts, members renumbered 0..n-1, debts to oneself
    left out (they change no net position, and the reference would count them cleared)."""
    named = sorted({m for d, c, _ in debts for m in (d, c)})
    number = {m: i for i, m in enumerate(named)}
    dense = [(number[d], number[c], a) for d, c, a in debts if d != c]
    if limit is None:
        return networkx_optimum(dense, len(named))
    return networkx_limited_optimum(dense, len(named),
                                    [limit.get(m, -1) for m in named])


def solve_sparse(debts: Debts, members: int, limit: dict[int, int] | None = None) -> Solution:
    """Limits per member when the numbers are few, else for the members named."""
    debtor, creditor, amount = arrays(debts)
    limits, limited = None, None
    if limit is not None and members <= 10_000:
        limits = np.full(members, -1, dtype=np.int64)
        limits[list(limit)] = list(limit.values())
    elif limit is not None:
        limited = (np.array(list(limit), dtype=np.int64),
                   np.array(list(limit.values()), dtype=np.int64))
    solution = optimal_setoff(debtor, creditor, amount, members, limits, limited=limited)
    check(debtor, creditor, amount, members, limits, solution.setoff_fen, limited=limited)
    return solution


def loop(members: list[int], amounts: list[int]) -> Debts:
    return [(m, members[(i + 1) % len(members)], a)
            for i, (m, a) in enumerate(zip(members, amounts, strict=True))]


def wide_amounts(seed: int, n: int) -> list[int]:
    return np.random.default_rng(seed).integers(1, WIDE_FEN, n).tolist()


def test_a_long_loop_clears_its_smallest_debt_all_the_way_round() -> None:
    amounts = wide_amounts(1, 300)
    solution = solve(loop(list(range(300)), amounts), 300)
    assert solution.setoff_fen.tolist() == [min(amounts)] * 300
    assert (solution.arcs, solution.members) == (300, 300)


def test_a_long_chain_feeding_a_loop_clears_only_the_loop() -> None:
    ring = loop(list(range(50)), wide_amounts(2, 50))
    chain = [(50 + i, 51 + i, a) for i, a in enumerate(wide_amounts(3, 200))]
    chain.append((250, 0, 7))  # the chain ends in the loop, and nothing leads back
    tail = [(3, 300, 5), (300, 301, 5)]  # and a chain leaving the loop
    debts = chain + ring + tail
    solution = solve(debts, 302)
    assert solution.cleared_fen == reference(debts) == 50 * min(a for *_, a in ring)
    assert not solution.setoff_fen[:len(chain)].any() and not solution.setoff_fen[-2:].any()
    assert (solution.arcs, solution.members) == (50, 50)


def test_many_parallel_debts_of_a_long_loop_clear_in_the_order_given() -> None:
    rng = np.random.default_rng(4)
    ring = loop(list(range(40)), wide_amounts(5, 40))
    parallel = [(*ring[int(i)][:2], int(a)) for i, a in
                zip(rng.integers(0, 40, 2000), rng.integers(0, WIDE_FEN, 2000), strict=True)]
    debts = ring + parallel
    solution = solve(debts, 40)
    assert solution.cleared_fen == reference(debts)
    assert solution.arcs == 40
    assert_a_set_off(debts, 40, solution)


def test_members_given_as_huge_sparse_numbers_cost_what_their_debts_cost() -> None:
    members = 1 << 62  # an array per member would not fit in any memory
    named = np.random.default_rng(6).choice(1 << 61, 30, replace=False) * 2 + 1
    ids = [int(m) for m in named]
    debts = loop(ids[:20], wide_amounts(7, 20)) + loop(ids[15:], wide_amounts(8, 15)) \
        + [(ids[0], ids[29], 5), (ids[3], ids[3], 9)]
    solution = solve_sparse(debts, members)
    assert solution.cleared_fen == reference(debts) > 0
    assert solution.self_debts == 1 and solution.members == 30
    with pytest.raises(SetoffError) as refused:
        solve_sparse([(0, members, 5)], members)
    assert refused.value.code == "setoff.bad_member"


def test_debts_to_oneself_among_loops_are_dropped_and_the_rest_is_optimal() -> None:
    debts = [*loop(list(range(6)), [9, 4, 7, 8, 6, 5]), (2, 2, 100), (0, 0, 1), (3, 0, 3)]
    solution = solve(debts, 6)
    assert solution.self_debts == 2
    assert solution.setoff_fen[6:8].tolist() == [0, 0]
    assert solution.cleared_fen == reference(debts)
    assert_a_set_off(debts, 6, solution)


def test_nested_loops_sharing_arcs_equal_networkx() -> None:
    # A long loop 0..59 with chords that close shorter loops over shared stretches of it,
    # and a loop that comes back to the same member through a run (60→61→62→10).
    amounts = wide_amounts(9, 60)
    debts = loop(list(range(60)), amounts)
    debts += [(20, 5, 10**8), (45, 30, 3 * 10**8), (50, 12, 2 * 10**8), (58, 40, 10**9)]
    debts += [(10, 60, 10**8), (60, 61, 5 * 10**7), (61, 62, 9 * 10**7), (62, 10, 10**8)]
    solution = solve(debts, 63)
    assert solution.cleared_fen == reference(debts)
    assert_a_set_off(debts, 63, solution)


@pytest.mark.parametrize("fen", [0, 1, 123_456, WIDE_FEN])
def test_a_limited_member_on_a_long_loop_caps_it(fen: int) -> None:
    amounts = wide_amounts(10, 200)
    debts = loop(list(range(200)), amounts)
    solution = solve_sparse(debts, 200, {77: fen})
    assert solution.setoff_fen.tolist() == [min(fen, *amounts)] * 200
    # The same member on a run of a larger part, and on a run back to itself.
    more = [*debts, (150, 20, 10**8), (77, 201, 10**8), (201, 77, 3 * 10**8)]
    for where in (77, 150, 201):
        for limit in ({where: fen}, {where: fen, 20: 5 * 10**7}):
            found = solve_sparse(more, 202, limit)
            assert found.cleared_fen == reference(more, limit), (where, limit)


@st.composite
def shaped_graphs(draw: st.DrawFn) -> tuple[Debts, int, dict[int, int]]:
    """Loops of random length over a few members (so runs, single loops and shared
    stretches abound), random chords, parallel and self debts, sparse member numbers,
    amounts up to 10**9 and a few limits."""
    n = draw(st.integers(2, 24))
    order = st.permutations(list(range(n)))
    debts: Debts = []
    for _ in range(draw(st.integers(1, 4))):
        members = draw(order)[:draw(st.integers(2, n))]
        debts += loop(members, draw(st.lists(st.integers(0, WIDE_FEN), min_size=len(members),
                                             max_size=len(members))))
    member = st.integers(0, n - 1)
    debts += draw(st.lists(st.tuples(member, member, st.integers(0, WIDE_FEN)), max_size=6))
    debts = draw(st.permutations(debts))
    sparse = draw(st.booleans())
    if sparse:
        ids = draw(st.lists(st.integers(0, (1 << 62) - 1), min_size=n, max_size=n,
                            unique=True))
        debts = [(ids[d], ids[c], a) for d, c, a in debts]
    limited = draw(st.dictionaries(st.sampled_from(sorted({d for d, _, _ in debts})),
                                   st.integers(0, WIDE_FEN), max_size=3))
    return debts, (1 << 62) if sparse else n, limited


@settings(max_examples=300, deadline=None)
@given(shaped_graphs())
def test_adversarial_shapes_equal_networkx(graph: tuple[Debts, int, dict[int, int]]) -> None:
    debts, members, limit = graph
    free = solve_sparse(debts, members)
    assert free.cleared_fen == reference(debts)
    assert free.self_debts == sum(d == c for d, c, _ in debts)
    limited = solve_sparse(debts, members, limit)
    assert limited.cleared_fen == reference(debts, limit)


# ------------------------------------------------------------------ the plan on a ledger

HOLDERS = ("core", "supplier", "supplier2", "supplier3", "merchant", "acquirer")


def owe_txs(ledger: Ledger, debtor: str, creditor: str, amount_fen: int,
            due_in_ms: int = 90 * DAY_MS) -> tuple[bytes, list[Transaction]]:
    """Submission and confirmation of what `debtor` owes `creditor`, for one block."""
    basis = f"INV-{ledger.nonce}"
    submit = ledger.tx("obligation", "submit", obligations.Submit(
        ledger.addr(creditor), ledger.addr(debtor), amount_fen, ledger.time_ms + due_in_ms,
        basis, sha256(basis.encode())), creditor)
    obligation_id = payload_id(submit.payload)
    confirm = ledger.tx("obligation", "confirm",
                        obligations.Confirm(ledger.addr(debtor), obligation_id), debtor)
    return obligation_id, [submit, confirm]


def owe(ledger: Ledger, debtor: str, creditor: str, amount_fen: int,
        due_in_ms: int = 90 * DAY_MS) -> bytes:
    obligation_id, txs = owe_txs(ledger, debtor, creditor, amount_fen, due_in_ms)
    ledger.block(*txs)
    return obligation_id


def ledger_debts(ledger: Ledger) -> list[tuple[bytes, bytes, int]]:
    """Every live debt on the ledger (pledged vouchers too): (debtor, creditor, amount)."""
    found = []
    for obligation_id in obligations.live_ids(ledger.store):
        o = obligations.get_obligation(ledger.store, obligation_id)
        assert o is not None
        found.append((o.debtor, o.creditor, o.amount_fen))
    for key, _ in ledger.store.scan(b"vhl/"):
        v = vouchers.get_voucher(ledger.store, key[-32:])
        assert v is not None
        found.append((v.debtor, v.holder, v.amount_fen))
    return found


def net_of(debts: list[tuple[bytes, bytes, int]]) -> dict[bytes, int]:
    net: dict[bytes, int] = defaultdict(int)
    for debtor, creditor, amount in debts:
        net[creditor] += amount
        net[debtor] -= amount
    return {member: fen for member, fen in net.items() if fen}


def run_plan(ledger: Ledger, rounds: list[list[setoff.Reduction]], total_fen: int,
             bound_fen: int) -> list[bytes]:
    """Propose every round in one block, then every member's consent in the next."""
    proposals = [ledger.tx("setoff", "propose", setoff.Propose(
        ledger.addr("agency"), tuple(r), ledger.time_ms + DAY_MS, total_fen, bound_fen),
        "agency") for r in rounds]
    ledger.block(*proposals)
    round_ids = [payload_id(tx.payload) for tx in proposals]
    consents = []
    for round_id in round_ids:
        found = setoff.get_round(ledger.store, round_id)
        assert found is not None
        consents += [ledger.tx("setoff", "consent", setoff.Consent(member, round_id),
                               name_of(ledger, member)) for member in found.members]
    ledger.block(*consents)
    return round_ids


def name_of(ledger: Ledger, address: bytes) -> str:
    (name,) = [n for n, key in ledger.keys.items() if key.address == address]
    return name


def status_of(ledger: Ledger, round_id: bytes) -> str:
    found = setoff.get_round(ledger.store, round_id)
    assert found is not None
    return found.status


def test_two_members_owing_each_other_are_reported_as_bilateral_not_proposed() -> None:
    ledger = Ledger()
    owe(ledger, "core", "supplier", 500_000)
    owe(ledger, "supplier", "core", 300_000)
    found = plan(ledger.store)
    assert (found.total_fen, found.bound_fen, found.cleared_fen, found.bilateral_fen,
            found.deferred_fen, found.rounds) == (800_000, 200_000, 600_000, 600_000, 0, [])


def test_the_plan_keeps_each_member_s_standing_limit_and_leaves_out_the_opted_out() -> None:
    ledger = Ledger()
    owe(ledger, "core", "supplier", 500_000)
    owe(ledger, "supplier", "supplier2", 400_000)
    owe(ledger, "supplier2", "core", 300_000)
    ledger.run("setoff", "set_limit", setoff.SetLimit(ledger.addr("supplier"), False, 120_000),
               "supplier")
    found = plan(ledger.store)
    assert (found.cleared_fen, [sum(r.amount_fen for r in rd) for rd in found.rounds]) == (
        360_000, [360_000])
    (round_id,) = run_plan(ledger, found.rounds, found.total_fen, found.bound_fen)
    assert status_of(ledger, round_id) == "executed"
    assert setoff.get_totals(ledger.store) == setoff.Totals(1, 360_000)
    ledger.run("setoff", "set_limit", setoff.SetLimit(ledger.addr("supplier2"), True, None),
               "supplier2")
    assert (plan(ledger.store).cleared_fen, plan(ledger.store).rounds) == (0, [])


@st.composite
def ledger_graphs(draw: st.DrawFn) -> tuple[list[tuple[int, int, int]],
                                            list[tuple[int, int, int, bool]]]:
    """Obligations (debtor, creditor, amount) among the first 3..6 holders, dense enough to
    hold loops, and up to 3 vouchers (debtor, holder, amount, pledged)."""
    members = draw(st.integers(3, len(HOLDERS)))
    pair = st.tuples(st.integers(0, members - 1), st.integers(1, members - 1)).map(
        lambda p: (p[0], (p[0] + p[1]) % members))
    owed = draw(st.lists(st.tuples(pair, st.integers(1, 12)), min_size=2, max_size=20))
    held = draw(st.lists(st.tuples(pair, st.integers(1, 12), st.booleans()), max_size=3))
    return ([(d, c, a) for (d, c), a in owed], [(d, c, a, p) for (d, c), a, p in held])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger_graphs())
def test_every_planned_round_executes_and_clears_what_the_plan_says(
        graph: tuple[list[tuple[int, int, int]], list[tuple[int, int, int, bool]]]) -> None:
    owed, held = graph
    ledger = Ledger(key_seed=b"setoff-plan")
    pledged = []
    for debtor, creditor, amount, is_pledged in held:
        v = ledger.issue(amount * 1000, creditor=HOLDERS[creditor], debtor=HOLDERS[debtor])
        if is_pledged:
            ledger.block(ledger.tx("pledge", "create", pledge.Create(
                ledger.addr(HOLDERS[creditor]), ledger.addr("bank"), v, 1,
                ledger.time_ms + 90 * DAY_MS, "LOAN-1", 1, 400, None), HOLDERS[creditor],
                "bank"))
            pledged.append(v)
    txs: list[Transaction] = []
    for debtor, creditor, amount in owed:
        txs += owe_txs(ledger, HOLDERS[debtor], HOLDERS[creditor], amount * 1000)[1]
    ledger.block(*txs)
    before = ledger_debts(ledger)

    found = plan(ledger.store)
    assert found.deferred_fen == 0  # a few members fit one round each
    proposed_fen = found.cleared_fen - found.bilateral_fen - found.deferred_fen
    assert sum(r.amount_fen for rd in found.rounds for r in rd) == proposed_fen
    assert not {r.id for rd in found.rounds for r in rd} & set(pledged)
    round_ids = run_plan(ledger, found.rounds, found.total_fen, found.bound_fen)
    assert [status_of(ledger, r) for r in round_ids] == ["executed"] * len(round_ids)
    assert setoff.get_totals(ledger.store) == setoff.Totals(len(found.rounds), proposed_fen)
    after = ledger_debts(ledger)
    assert net_of(after) == net_of(before)
    assert sum(a for _, _, a in after) == sum(a for _, _, a in before) - proposed_fen
    for v in pledged:
        kept = vouchers.get_voucher(ledger.store, v)
        assert kept is not None and kept.status == "active"

    # The rounds and the bilateral part were one optimum: what is left clears no more
    # than that bilateral part (rounds plus a better rest would beat the optimum). Among
    # equal optima the solver may net a part bilaterally that another optimum clears
    # through a loop of 3: a fresh plan then proposes it, within the same bound.
    fresh = plan(ledger.store)
    assert fresh.cleared_fen == found.bilateral_fen
    assert sum(r.amount_fen for rd in fresh.rounds for r in rd) + fresh.bilateral_fen \
        == fresh.cleared_fen


# ------------------------------------------------------------------ found defects


def test_rounds_packed_from_a_part_too_large_for_one_round_share_no_debt(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A part of 5 members where a round holds at most 4 is decomposed into loops, in the
    # order of the members' addresses and of the debts' due dates:
    #   a→b→c→a, then a→b→d→a (joins the first round through a→b), then b→d→e→b (shares
    #   b→d with the first round, yet would give it a 5th member).
    monkeypatch.setattr(setoff, "MAX_MEMBERS", 4)
    ledger = Ledger()
    a, b, c, d, e = sorted(HOLDERS, key=ledger.addr)[:5]
    loops = [(a, b, 2), (b, c, 1), (c, a, 1), (b, d, 2), (d, a, 1), (d, e, 1), (e, b, 1)]
    txs: list[Transaction] = []
    for day, (debtor, creditor, amount) in enumerate(loops, start=30):
        txs += owe_txs(ledger, debtor, creditor, amount * 1000, due_in_ms=day * DAY_MS)[1]
    ledger.block(*txs)
    found = plan(ledger.store)
    # The third loop cannot join the round that holds b→d, and no other round may hold
    # b→d: it waits for the next plan.
    assert (found.cleared_fen, found.bilateral_fen, found.deferred_fen) == (9000, 0, 3000)
    in_rounds = [r.id for rd in found.rounds for r in rd]
    assert len(in_rounds) == len(set(in_rounds)), "a debt is in two rounds of one plan"
    round_ids = run_plan(ledger, found.rounds, found.total_fen, found.bound_fen)
    assert [status_of(ledger, r) for r in round_ids] == ["executed"] * len(round_ids)
    assert setoff.get_totals(ledger.store).cleared_fen == 6000
    after = plan(ledger.store)
    assert (after.cleared_fen, after.deferred_fen, len(after.rounds)) == (3000, 0, 1)
    (last,) = run_plan(ledger, after.rounds, after.total_fen, after.bound_fen)
    assert status_of(ledger, last) == "executed"
    assert setoff.get_totals(ledger.store).cleared_fen == 9000
