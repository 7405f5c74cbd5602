"""scripts/bench_setoff.py: its generator, its naive heuristic, its networkx side, its report."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import networkx as nx
import numpy as np
import pytest

from node.setoff_solver import optimal_setoff

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "bench_setoff.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_setoff", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_setoff"] = module
    spec.loader.exec_module(module)
    return module


def test_generator_is_deterministic_per_seed_and_well_formed(bench: ModuleType) -> None:
    a, b = bench.generate(7, 200, 2000), bench.generate(7, 200, 2000)
    c = bench.generate(8, 200, 2000)
    for x, y in ((a.debtor, b.debtor), (a.creditor, b.creditor), (a.amount, b.amount)):
        assert np.array_equal(x, y)
    assert a.digest() == b.digest() != c.digest()
    assert not np.array_equal(a.amount, c.amount)
    for array in (a.debtor, a.creditor, a.amount):
        assert array.dtype == np.int64 and len(array) == 2000
    assert not np.any(a.debtor == a.creditor)
    assert a.debtor.min() >= 0 and max(a.debtor.max(), a.creditor.max()) < 200
    assert a.amount.min() >= bench.AMOUNT_MIN_FEN and a.amount.max() <= bench.AMOUNT_MAX_FEN
    # Heavy-tailed: the busiest tenth of the members is on more than half the obligations.
    degree = np.bincount(np.r_[a.debtor, a.creditor], minlength=200)
    assert np.sort(degree)[-20:].sum() > 2000
    # Mostly downstream: the bigger member owes the smaller one about 80% of the time.
    size = np.random.default_rng(7).pareto(bench.PARETO_SHAPE, 200) + 1.0
    downstream = np.mean(size[a.debtor] > size[a.creditor])
    assert 0.75 < downstream < 0.85


def _arcs(bench: ModuleType, edges: list[tuple[int, int, int]], members: int):
    g = bench.Obligations(np.array([e[0] for e in edges], dtype=np.int64),
                          np.array([e[1] for e in edges], dtype=np.int64),
                          np.array([e[2] for e in edges], dtype=np.int64), members)
    return g, bench.aggregate_and_prune(g)


def test_naive_is_greedy_and_below_the_optimum(bench: ModuleType) -> None:
    # From 0 the search takes 0→1, then 1→0 (the smaller head first) and clears 0→1→0,
    # which empties 0→1 and leaves the longer cycle 0→1→2→0 unclearable: 10 of 15.
    # Member 3 owes 0 but is owed nothing, so pruning drops it.
    edges = [(0, 1, 5), (1, 0, 5), (1, 2, 5), (2, 0, 5), (3, 0, 7)]
    g, arcs = _arcs(bench, edges, 4)
    assert arcs.members == 3 and len(arcs.owed) == 4 and arcs.total_fen == 20
    naive = bench.naive_cycle_clearing(arcs, 5.0)
    assert naive.finished and naive.cycles == 1 and naive.cleared_fen == 10
    assert naive.cleared.tolist() == [5, 5, 0, 0]  # arcs (0,1), (1,0), (1,2), (2,0)
    assert optimal_setoff(g.debtor, g.creditor, g.amount, 4).cleared_fen == 15
    assert bench.networkx_setoff(arcs)["cleared_fen"] == 15


def test_naive_leaves_no_cycle_and_stays_below_the_optimum(bench: ModuleType) -> None:
    for seed in (1, 2, 3):
        g = bench.generate(seed, 150, 1200)
        arcs = bench.aggregate_and_prune(g)
        naive = bench.naive_cycle_clearing(arcs, 5.0)
        assert naive.finished and naive.cycles > 0
        bench.check_circulation(arcs.tails, arcs.heads, arcs.owed, naive.cleared, g.members)
        left = arcs.owed - naive.cleared
        rest = nx.DiGraph()
        rest.add_edges_from(zip(arcs.tails[left > 0].tolist(), arcs.heads[left > 0].tolist(),
                                strict=True))
        assert nx.is_directed_acyclic_graph(rest)
        best = optimal_setoff(g.debtor, g.creditor, g.amount, g.members).cleared_fen
        assert 0 < naive.cleared_fen <= best


def test_check_circulation_refuses_bad_clearing(bench: ModuleType) -> None:
    tails, heads = np.array([0, 1], dtype=np.int64), np.array([1, 0], dtype=np.int64)
    owed = np.array([5, 3], dtype=np.int64)
    bench.check_circulation(tails, heads, owed, np.array([3, 3]), 2)
    with pytest.raises(AssertionError, match="outside"):
        bench.check_circulation(tails, heads, owed, np.array([4, 4]), 2)
    with pytest.raises(AssertionError, match="circulation"):
        bench.check_circulation(tails, heads, owed, np.array([2, 3]), 2)


def test_networkx_side_matches_the_solver(bench: ModuleType) -> None:
    for seed in (4, 5, 6):
        g = bench.generate(seed, 120, 900)
        arcs = bench.aggregate_and_prune(g)
        ours = optimal_setoff(g.debtor, g.creditor, g.amount, g.members)
        assert (ours.arcs, ours.members) == (len(arcs.owed), arcs.members)
        assert bench.networkx_setoff(arcs)["cleared_fen"] == ours.cleared_fen > 0


def test_parse_sizes(bench: ModuleType) -> None:
    assert bench.parse_sizes("1000:10000, 10:20") == [(1000, 10000), (10, 20)]
    with pytest.raises(Exception, match="MEMBERS:OBLIGATIONS"):
        bench.parse_sizes("1000")


def _run(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_script_reports_every_field(bench: ModuleType) -> None:
    report = _run("--sizes", "200:2000", "--naive-seconds", "5", "--shapes", "none",
                  "--seed", "3")
    assert report["seed"] == 3 and report["command"].endswith("--seed 3")
    assert report["shapes"] == [] and report["before"] is None
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["ortools"]
    [size] = report["sizes"]
    g = bench.generate(3, 200, 2000)
    assert (size["members"], size["obligations"]) == (200, 2000)
    assert size["graph_digest"] == g.digest()
    ours = size["ours"]
    solution = optimal_setoff(g.debtor, g.creditor, g.amount, g.members)
    assert ours["cleared_fen"] == solution.cleared_fen > 0
    assert ours["total_fen"] == int(g.amount.sum())
    assert ours["bound_fen"] == solution.bound_fen
    assert ours["remaining_fen"] == ours["total_fen"] - ours["cleared_fen"] >= ours["bound_fen"]
    assert ours["cleared_share"] == round(ours["cleared_fen"] / ours["total_fen"], 4)
    assert (ours["arcs_after_pruning"], ours["members_after_pruning"]) == (
        solution.arcs, solution.members)
    assert ours["seconds"] > 0 and ours["solver_peak_rss_kib"] > 0
    assert ours["process_peak_rss_kib"] >= ours["solver_peak_rss_kib"]
    networkx = size["networkx"]
    assert networkx["same_optimum"] is True
    assert networkx["networkx_cleared_fen"] == ours["cleared_fen"]
    assert networkx["networkx_seconds"] > 0 and networkx["speedup"] > 0
    naive = size["naive"]
    assert naive["finished"] is True and naive["cycles"] > 0
    assert 0 < naive["cleared_fen"] <= ours["cleared_fen"]
    assert 0 < naive["share_of_optimum"] <= 1
    assert size["bench_peak_rss_kib"] > 0 and size["children_peak_rss_kib"] > 0
    goals = report["goals"]
    assert goals["largest_is_goal_size"] is False
    assert goals["networkx_largest_solved"] == "200 members / 2000 obligations"
    assert goals["speedup_at_networkx_largest"] == networkx["speedup"]


def test_script_skips_networkx_above_its_limit() -> None:
    report = _run("--sizes", "60:400", "--networkx-max-obligations", "100", "--shapes", "none")
    assert report["sizes"][0]["networkx"].startswith("skipped: 400 obligations")
    assert report["goals"]["networkx_largest_solved"] is None
    assert report["goals"]["speedup_goal_50x_met"] is None


def test_shapes_are_deterministic_and_what_their_names_say(bench: ModuleType) -> None:
    for shape in bench.SHAPES:
        a, b = bench.generate_shape(shape, 5, 60), bench.generate_shape(shape, 5, 60)
        assert a.digest() == b.digest() != bench.generate_shape(shape, 6, 60).digest()
        assert a.amount.min() >= 1 and a.amount.max() <= bench.SHAPE_FEN
    ring = bench.generate_shape("long_loop", 1, 50)
    assert ring.creditor.tolist() == [*range(1, 50), 0]
    sparse = bench.generate_shape("sparse_members", 1, 50)
    assert sparse.members == 1 << 62 and np.all(sparse.debtor % 2 == 1)
    assert len(np.unique(np.r_[sparse.debtor, sparse.creditor])) <= 50
    own = bench.generate_shape("self_debts", 1, 200)
    assert 0.05 < np.mean(own.debtor == own.creditor) < 0.15
    parallel = bench.generate_shape("parallel_debts", 1, 300)
    assert len(parallel.amount) == 3000 and parallel.members == 3
    with pytest.raises(ValueError, match="no shape"):
        bench.generate_shape("spiral", 1, 50)


def test_every_shape_s_optimum_is_the_known_one_and_networkx_s(bench: ModuleType) -> None:
    for shape in bench.SHAPES:
        g = bench.generate_shape(shape, 2, 80)
        ours = optimal_setoff(g.debtor, g.creditor, g.amount, g.members, g.limit)
        known = bench.known_optimum(shape, g)
        assert known is None or known == ours.cleared_fen > 0, shape
        if g.limit is None:
            arcs = bench.aggregate_and_prune(g)
            assert bench.networkx_setoff(arcs)["cleared_fen"] == ours.cleared_fen, shape


def test_script_reports_shapes_and_the_solver_of_another_revision() -> None:
    report = _run("--sizes", "60:400", "--shapes", "long_loop,self_debts", "--shape-size",
                  "300", "--before", "HEAD", "--naive-seconds", "2")
    assert report["before"] == "HEAD"
    assert report["sizes"][0]["before"]["same_optimum"] is True
    loop, own = report["shapes"]
    assert (loop["shape"], loop["size"], loop["obligations"]) == ("long_loop", 300, 300)
    assert loop["ours"]["cleared_fen"] == loop["ours"]["known_optimum_fen"]
    assert loop["networkx"]["same_optimum"] is True
    assert loop["before"]["same_optimum"] is True and own["before"]["same_optimum"] is True
    assert own["ours"]["solver_extra_bytes_per_obligation"] is not None
    goals = report["goals"]
    assert goals["long_loop_members"] == 300 and goals["long_loop_is_goal_size"] is False
    assert goals["long_loop_within_5s"] is True
    assert goals["shapes_same_optimum_as_networkx"] is True
    assert set(goals["extra_bytes_per_obligation_by_shape"]) == {"long_loop", "self_debts"}
