"""How fast and how well the optimal multilateral set-off clears debt, as JSON.

The obligation graphs are generated from --seed (numpy's default_rng) to look like a
supply chain. Each member gets a size, Pareto-distributed (shape 1.3, minimum 1): a few large
core enterprises and many small suppliers. Each obligation picks its two members
independently with probability proportional to size (no self-loops, resampled), so degrees
are heavy-tailed too. The bigger member owes the smaller one (the core enterprise owes its
supplier, a supplier owes its sub-supplier), except for a share BACKWARD_SHARE (20%)
whose direction is reversed (returns, services bought back, cross trade), so cycles exist.
Amounts are integer fen, lognormal (median 20,000 yuan, sigma 1.6), clipped to 1 yuan ..
10 million yuan.

For each (members, obligations) size it reports:
- ours: `node.setoff_solver.optimal_setoff` timed alone (time.perf_counter), in a fresh
  spawned process; its peak RSS during the call (VmHWM after resetting it through
  /proc/self/clear_refs) and the process's whole peak; the result checked independently.
- networkx: `nx.network_simplex` on the same aggregated and pruned (debtor, creditor) arcs
  (capacity = owed, weight 1, demand = net position), in its own process with a timeout.
  Its time covers network_simplex only, not building the graph nor aggregating or pruning.
- naive: cycle-by-cycle clearing by depth-first search (each cycle found is cleared by its
  smallest arc), until no cycle is left or --naive-seconds run out.
- before (with --before REV): the solver as it was at git revision REV, on the same graph
  in its own process, given --before-timeout seconds.

Then the adversarial shapes (see SHAPES), each of --shape-size members or so, amounts
uniform in 1 .. 10**9 fen: ours (time, peak RSS), the known optimum where there is one,
networkx on the shapes small enough, and `before` as above. The goals: the supply-chain
graph of 10**5 members / 10**6 obligations and a single loop of 10**5 members each within
5 s; memory in proportion to the debts (extra RSS per obligation, on every shape alike).

    scripts/bench_setoff [--seed 1] [--sizes 1000:10000,...] [--quick] [--naive-seconds 60]
                         [--networkx-timeout 120] [--networkx-max-obligations 100000]
                         [--shapes long_loop,...] [--shape-size 100000]
                         [--before REV] [--before-timeout 60]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from node.setoff_solver import check, net_positions, optimal_setoff  # noqa: E402

PARETO_SHAPE = 1.3
BACKWARD_SHARE = 0.2
AMOUNT_MEDIAN_FEN = 2_000_000  # 20,000 yuan
AMOUNT_SIGMA = 1.6
AMOUNT_MIN_FEN = 100  # 1 yuan
AMOUNT_MAX_FEN = 1_000_000_000  # 10 million yuan

DEFAULT_SIZES = ((1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000))
QUICK_SIZES = ((300, 3_000), (1_000, 10_000))
GOAL_SIZE = (100_000, 1_000_000)
GOAL_SECONDS = 5.0
GOAL_SPEEDUP = 50.0
GOAL_LOOP_MEMBERS = 100_000
SHAPE_FEN = 10**9  # amounts of the adversarial shapes: uniform in 1..SHAPE_FEN
DEFAULT_SHAPE_SIZE = 100_000
QUICK_SHAPE_SIZE = 2_000
CHILD_MARGIN_SECONDS = 600.0  # generating, importing and checking, on top of the timed part


@dataclass(frozen=True)
class Obligations:
    """`debtor[i]` owes `creditor[i]` `amount[i]` fen; members are 0..members-1 (int64);
    `limit` per member (-1: none) or None."""

    debtor: np.ndarray
    creditor: np.ndarray
    amount: np.ndarray
    members: int
    limit: np.ndarray | None = None

    def digest(self) -> str:
        """A short hash of the arrays, to see that two processes generated the same graph."""
        h = hashlib.sha256()
        for array in (self.debtor, self.creditor, self.amount):
            h.update(np.ascontiguousarray(array, dtype="<i8").tobytes())
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class Arcs:
    """(debtor, creditor) pairs that may lie on a cycle, with what is owed on each.

    Sorted by (tail, head); `total_fen` is what they carry; `members` is how many members
    they touch.
    """

    tails: np.ndarray
    heads: np.ndarray
    owed: np.ndarray
    members: int

    @property
    def total_fen(self) -> int:
        return int(self.owed.sum())


def generate(seed: int, members: int, obligations: int) -> Obligations:
    """A supply-chain-like obligation graph, the same for the same arguments (see above)."""
    if members < 2 or obligations < 0:
        raise ValueError("at least 2 members and no negative count of obligations")
    rng = np.random.default_rng(seed)
    size = rng.pareto(PARETO_SHAPE, members) + 1.0
    p = size / size.sum()
    first = rng.choice(members, obligations, p=p)
    second = rng.choice(members, obligations, p=p)
    while True:
        same = np.flatnonzero(first == second)
        if len(same) == 0:
            break
        second[same] = rng.choice(members, len(same), p=p)
    first_bigger = (size[first] > size[second]) | (
        (size[first] == size[second]) & (first < second))
    backward = rng.random(obligations) < BACKWARD_SHARE
    swap = first_bigger == backward
    debtor = np.where(swap, second, first).astype(np.int64)
    creditor = np.where(swap, first, second).astype(np.int64)
    fen = rng.lognormal(np.log(AMOUNT_MEDIAN_FEN), AMOUNT_SIGMA, obligations)
    amount = np.clip(np.rint(fen), AMOUNT_MIN_FEN, AMOUNT_MAX_FEN).astype(np.int64)
    return Obligations(debtor, creditor, amount, members)


def aggregate_and_prune(g: Obligations) -> Arcs:
    """The (debtor, creditor) pairs summed (debts to oneself left out), then only the arcs
    inside a strongly connected part kept (the others lie on no loop), as the solver does
    before it solves."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    keep = g.debtor != g.creditor
    debtor, creditor, amount = g.debtor[keep], g.creditor[keep], g.amount[keep]
    if len(amount) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Arcs(empty, empty, empty, 0)
    ids, dense = np.unique(np.r_[debtor, creditor], return_inverse=True)
    n = len(ids)
    key = dense[:len(debtor)] * n + dense[len(debtor):]
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    owed = np.add.reduceat(amount[order], starts)
    tails, heads = sorted_key[starts] // n, sorted_key[starts] % n
    tails, heads, owed = tails[owed > 0], heads[owed > 0], owed[owed > 0]
    graph = csr_matrix((np.ones(len(tails)), (tails, heads)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    inside = labels[tails] == labels[heads]
    tails, heads, owed = ids[tails[inside]], ids[heads[inside]], owed[inside]
    return Arcs(tails, heads, owed, len(np.unique(np.r_[tails, heads])))


def _ring(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return members, np.roll(members, -1)


def _shape(rng: np.random.Generator, debtor: np.ndarray, creditor: np.ndarray,
           members: int, limit: np.ndarray | None = None) -> Obligations:
    amount = rng.integers(1, SHAPE_FEN, len(debtor), endpoint=True).astype(np.int64)
    return Obligations(debtor.astype(np.int64), creditor.astype(np.int64), amount, members,
                       limit)


def shape_long_loop(rng: np.random.Generator, n: int) -> Obligations:
    """One loop of n members: the optimum is n times its smallest debt."""
    return _shape(rng, *_ring(np.arange(n)), n)


def shape_limited_loop(rng: np.random.Generator, n: int) -> Obligations:
    """One loop of n members, 1% of them limited to amounts of the same spread."""
    limit = np.full(n, -1, dtype=np.int64)
    some = rng.choice(n, max(1, n // 100), replace=False)
    limit[some] = rng.integers(1, SHAPE_FEN, len(some), endpoint=True)
    return _shape(rng, *_ring(np.arange(n)), n, limit)


def shape_nested_loops(rng: np.random.Generator, n: int) -> Obligations:
    """One loop of n members and n/10 chords back along it: loops inside loops that
    share long stretches of arcs."""
    tails, heads = _ring(np.arange(n))
    chord_tail = rng.integers(0, n, n // 10)
    chord_head = (chord_tail - rng.integers(2, max(3, n // 2), n // 10)) % n
    return _shape(rng, np.r_[tails, chord_tail], np.r_[heads, chord_head], n)


def shape_chain_into_loop(rng: np.random.Generator, n: int) -> Obligations:
    """A chain of n members owing onwards into a loop of n members: only the loop clears."""
    chain = np.arange(n, 2 * n)
    tails, heads = _ring(np.arange(n))
    return _shape(rng, np.r_[chain, tails], np.r_[np.r_[chain[1:], 0], heads], 2 * n)


def shape_parallel_debts(rng: np.random.Generator, n: int) -> Obligations:
    """A loop of n/100 members over which 10n debts are spread: many debts per pair."""
    k = max(2, n // 100)
    arc = rng.integers(0, k, 10 * n)
    return _shape(rng, arc, (arc + 1) % k, k)


def shape_sparse_members(rng: np.random.Generator, n: int) -> Obligations:
    """The supply-chain graph of n members and 10n obligations, its members numbered by
    distinct odd numbers below 2**62, of 2**62 members."""
    g = generate(int(rng.integers(1 << 31)), n, 10 * n)
    ids = np.unique(rng.integers(0, 1 << 61, 2 * n))[:n] * 2 + 1
    while len(ids) < n:  # collisions: vanishingly rare, but the graph must be exact
        ids = np.unique(np.r_[ids, rng.integers(0, 1 << 61, n) * 2 + 1])[:n]
    return Obligations(ids[g.debtor], ids[g.creditor], g.amount, 1 << 62)


def shape_self_debts(rng: np.random.Generator, n: int) -> Obligations:
    """The supply-chain graph of n members and 10n obligations, a tenth of them turned
    into debts a member owes itself."""
    g = generate(int(rng.integers(1 << 31)), n, 10 * n)
    own = rng.random(len(g.debtor)) < 0.1
    return Obligations(g.debtor, np.where(own, g.debtor, g.creditor), g.amount, n)


SHAPES: dict[str, Callable[[np.random.Generator, int], Obligations]] = {
    "long_loop": shape_long_loop,
    "limited_loop": shape_limited_loop,
    "nested_loops": shape_nested_loops,
    "chain_into_loop": shape_chain_into_loop,
    "parallel_debts": shape_parallel_debts,
    "sparse_members": shape_sparse_members,
    "self_debts": shape_self_debts,
}


def generate_shape(shape: str, seed: int, size: int) -> Obligations:
    if shape not in SHAPES:
        raise ValueError(f"no shape {shape!r}; shapes: {', '.join(SHAPES)}")
    if size < 3:
        raise ValueError("a shape has at least 3 members")
    return SHAPES[shape](np.random.default_rng(seed), size)


def known_optimum(shape: str, g: Obligations) -> int | None:
    """The optimum where the shape makes it plain: a single loop clears its smallest debt
    (or limit) all the way round."""
    if shape in ("long_loop", "limited_loop"):
        limits = g.limit[g.limit >= 0] if g.limit is not None else g.amount[:0]
        return len(g.amount) * int(min(g.amount.min(), limits.min(initial=SHAPE_FEN)))
    if shape == "chain_into_loop":
        ring = g.amount[len(g.amount) // 2:]
        return len(ring) * int(ring.min())
    return None


def check_circulation(tails: np.ndarray, heads: np.ndarray, owed: np.ndarray,
                      cleared: np.ndarray, members: int) -> None:
    """Raise AssertionError unless 0 <= cleared <= owed on every arc and, for every member,
    what it clears on the debts it owes equals what it clears on the debts owed to it."""
    if np.any(cleared < 0) or np.any(cleared > owed):
        raise AssertionError("an arc is cleared outside 0..owed")
    if members > 2 * len(tails) + 1:  # sparse numbers: count on the members named
        _, dense = np.unique(np.r_[tails, heads], return_inverse=True)
        tails, heads, members = dense[:len(tails)], dense[len(tails):], int(dense.max()) + 1
    out = np.zeros(members, dtype=np.int64)
    np.add.at(out, tails, cleared)
    into = np.zeros(members, dtype=np.int64)
    np.add.at(into, heads, cleared)
    if not np.array_equal(out, into):
        raise AssertionError("the clearing is not a circulation: a net position changed")


@dataclass
class NaiveResult:
    """What cycle-by-cycle clearing achieved, with the clearing per arc."""

    cleared_fen: int
    cleared: np.ndarray
    cycles: int
    finished: bool
    seconds: float


def naive_cycle_clearing(arcs: Arcs, budget_seconds: float) -> NaiveResult:
    """Clear directed cycles one by one until none is left or the budget is spent.

    An iterative depth-first search walks the arcs in (tail, head) order; an arc back to a
    member on the search path closes a cycle, which is cleared by its smallest remaining
    debt, and the search backs up to the tail of the first arc that cycle saturated.
    A member whose every arc was searched without closing a cycle lies on no cycle (arcs
    are only ever emptied), so it is never searched again. Greedy, so not optimal.
    """
    start = time.perf_counter()
    deadline = start + budget_seconds
    ends = np.unique(np.r_[arcs.tails, arcs.heads])
    n = len(ends)
    tail_nodes = np.searchsorted(ends, arcs.tails)
    head_nodes = np.searchsorted(ends, arcs.heads)
    head = head_nodes.tolist()
    cap = arcs.owed.tolist()
    cleared = [0] * len(cap)
    # Arcs are sorted by tail, so each node's arcs are one run: first[v] .. first[v + 1].
    first = np.searchsorted(tail_nodes, np.arange(n + 1)).tolist()
    nxt = first[:n]  # the next arc of each node to look at
    state = [0] * n  # 0: not seen, 1: on the search path, 2: on no cycle
    depth = [0] * n  # where on the path a node on it is
    total_cleared = cycles = steps = 0
    finished = True
    for root in range(n):
        if state[root]:
            continue
        path, path_arcs = [root], []  # path_arcs[i] goes from path[i] to path[i + 1]
        state[root], depth[root] = 1, 0
        while path:
            steps += 1
            if steps & 0xFFF == 0 and time.perf_counter() > deadline:
                finished = False
                break
            v = path[-1]
            a, end = nxt[v], first[v + 1]
            while a < end and (cap[a] == 0 or state[head[a]] == 2):
                a += 1
            nxt[v] = a
            if a == end:
                state[v] = 2
                path.pop()
                if path_arcs:
                    path_arcs.pop()
                continue
            w = head[a]
            if state[w] == 0:
                state[w], depth[w] = 1, len(path)
                path.append(w)
                path_arcs.append(a)
                continue
            cycle = path_arcs[depth[w]:]
            cycle.append(a)
            delta = min(cap[c] for c in cycle)
            saturated = -1
            for i, c in enumerate(cycle):
                cap[c] -= delta
                cleared[c] += delta
                if saturated < 0 and cap[c] == 0:
                    saturated = i
            total_cleared += delta * len(cycle)
            cycles += 1
            cut = depth[w] + saturated  # path[cut] is the tail of the first saturated arc
            for u in path[cut + 1:]:
                state[u] = 0
            del path[cut + 1:]
            del path_arcs[cut:]
        if not finished:
            break
    seconds = time.perf_counter() - start
    result = np.array(cleared, dtype=np.int64)
    check_circulation(tail_nodes, head_nodes, arcs.owed, result, n)
    if int(result.sum()) != total_cleared:
        raise AssertionError("the cycles cleared do not add up")
    return NaiveResult(total_cleared, result, cycles, finished, seconds)


def networkx_setoff(arcs: Arcs) -> dict[str, Any]:
    """The optimum by networkx's network simplex on the same arcs: cleared, and seconds.

    The debt that remains on each arc is the flow (capacity = owed, cost 1 per fen); a
    member's demand, in networkx's sign (inflow − outflow), is then in_owed − out_owed,
    its net position on these arcs. Cleared = total − cost.
    """
    import networkx as nx

    start = time.perf_counter()
    ends, dense = np.unique(np.r_[arcs.tails, arcs.heads], return_inverse=True)
    out_owed = np.zeros(len(ends), dtype=np.int64)
    in_owed = np.zeros_like(out_owed)
    np.add.at(out_owed, dense[:len(arcs.tails)], arcs.owed)
    np.add.at(in_owed, dense[len(arcs.tails):], arcs.owed)
    graph = nx.DiGraph()
    graph.add_nodes_from((int(m), {"demand": int(i - o)})
                         for m, i, o in zip(ends, in_owed, out_owed, strict=True))
    graph.add_edges_from((int(t), int(h), {"capacity": int(c), "weight": 1})
                         for t, h, c in zip(arcs.tails, arcs.heads, arcs.owed, strict=True))
    build_seconds = time.perf_counter() - start
    start = time.perf_counter()
    cost, flow = nx.network_simplex(graph)
    seconds = time.perf_counter() - start
    remaining = np.array([flow[int(t)][int(h)] for t, h in zip(arcs.tails, arcs.heads,
                                                               strict=True)], dtype=np.int64)
    if int(remaining.sum()) != cost:
        raise AssertionError("networkx's cost is not the debt its flow leaves")
    cleared = arcs.owed - remaining
    check_circulation(arcs.tails, arcs.heads, arcs.owed, cleared, int(ends.max(initial=-1)) + 1)
    return {"cleared_fen": arcs.total_fen - int(cost), "seconds": seconds,
            "build_seconds": build_seconds}


def _status_kib(field: str) -> int | None:
    """A `VmRSS`/`VmHWM` line of /proc/self/status in KiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0); False if it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


Spec = tuple[Any, ...]  # ("tiered", seed, members, obligations) | ("shape", name, seed, size)


def build(spec: Spec) -> Obligations:
    """The graph a spec names, the same in every process."""
    if spec[0] == "tiered":
        return generate(*spec[1:])
    return generate_shape(*spec[1:])


def git_solver_source(revision: str) -> str:
    """node/setoff_solver.py as it was at a git revision of this checkout."""
    done = subprocess.run(["git", "show", f"{revision}:node/setoff_solver.py"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise SystemExit(f"bench_setoff: git show {revision}: {done.stderr.strip()}")
    return done.stdout


def load_solver(source: str | None) -> Callable[..., Any]:
    """`optimal_setoff` from source text (another revision), or ours."""
    if source is None:
        return optimal_setoff
    module = types.ModuleType("setoff_solver_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "setoff_solver_before.py", "exec"), module.__dict__)
    return module.optimal_setoff


def measure_ours(spec: Spec, digest: str, repeat: int,
                 source: str | None = None) -> dict[str, Any]:
    """In a fresh process: rebuild the graph, time `optimal_setoff`, check its answer."""
    g = build(spec)
    if g.digest() != digest:
        raise AssertionError("the child generated a different graph than the parent")
    solve = load_solver(source)
    hwm_before = _status_kib("VmHWM")
    rss_before = _status_kib("VmRSS")
    reset = _reset_peak_rss()
    times = []
    solution = None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            solution = solve(g.debtor, g.creditor, g.amount, g.members, g.limit)
        except Exception as e:
            if source is None:
                raise
            return {"refused": f"{type(e).__name__}: {e}"}
        times.append(time.perf_counter() - start)
    assert solution is not None
    solver_peak = _status_kib("VmHWM")
    setoff = solution.setoff_fen
    check_circulation(g.debtor, g.creditor, g.amount, setoff, g.members)
    if np.any(setoff[g.debtor == g.creditor]):
        raise AssertionError("a debt a member owes itself was set off")
    if g.limit is not None:
        limited = g.limit >= 0
        out = np.zeros(g.members, dtype=np.int64)
        np.add.at(out, g.debtor, setoff)
        if np.any(out[limited] > g.limit[limited]):
            raise AssertionError("a member cleared over its limit")
    if source is None:
        check(g.debtor, g.creditor, g.amount, g.members, g.limit, setoff)
    _, dense = np.unique(np.r_[g.debtor, g.creditor], return_inverse=True)
    net = net_positions(dense[:len(g.debtor)], dense[len(g.debtor):], g.amount,
                        int(dense.max(initial=-1)) + 1)
    if solution.cleared_fen != int(setoff.sum()) \
            or solution.total_fen != int(g.amount.sum()) \
            or solution.bound_fen != int(net[net > 0].sum()) \
            or solution.total_fen - solution.cleared_fen < solution.bound_fen:
        raise AssertionError("the solution's totals do not add up")
    peaks = [kib for kib in (hwm_before, solver_peak) if kib is not None]
    return {
        "seconds": min(times),
        "all_seconds": times,
        "cleared_fen": solution.cleared_fen,
        "total_fen": solution.total_fen,
        "bound_fen": solution.bound_fen,
        "arcs": solution.arcs,
        "members": solution.members,
        "rss_before_solve_kib": rss_before,
        "solver_peak_rss_kib": solver_peak if reset else None,
        "solver_extra_rss_kib": solver_peak - rss_before
        if reset and solver_peak is not None and rss_before is not None else None,
        "process_peak_rss_kib": max(peaks) if peaks else None,
    }


def measure_before(spec: Spec, digest: str, args: argparse.Namespace,
                   cleared: int) -> dict[str, Any] | str | None:
    """The solver of --before on the same graph within --before-timeout, or None."""
    if args.before_source is None:
        return None
    result = run_in_child(measure_ours, (spec, digest, 1, args.before_source),
                          args.before_timeout)
    if result is None:
        return (f"timed out: no answer within --before-timeout {args.before_timeout} s "
                "(process start included)")
    if "error" in result:
        return f"failed: {result['error']}"
    if "refused" in result:
        return f"refused the input: {result['refused']}"
    return {"seconds": round(result["seconds"], 4), "cleared_fen": result["cleared_fen"],
            "same_optimum": result["cleared_fen"] == cleared,
            "solver_extra_rss_kib": result["solver_extra_rss_kib"]}


def measure_networkx(spec: Spec, digest: str) -> dict[str, Any]:
    """In a fresh process: rebuild the graph, aggregate, prune, run networkx."""
    g = build(spec)
    if g.digest() != digest:
        raise AssertionError("the child generated a different graph than the parent")
    result = networkx_setoff(aggregate_and_prune(g))
    result["process_peak_rss_kib"] = _status_kib("VmHWM")
    return result


def _child_main(conn: multiprocessing.connection.Connection,
                task: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> None:
    try:
        result: dict[str, Any] = task(*args)
    except BaseException:
        result = {"error": traceback.format_exc()}
    conn.send(result)
    conn.close()


def run_in_child(task: Callable[..., dict[str, Any]], args: tuple[Any, ...],
                 timeout: float | None) -> dict[str, Any] | None:
    """`task(*args)` in a freshly spawned interpreter; None if it ran past `timeout` s."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child_main, args=(send, task, args), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(timeout):
            return None
        try:
            return receive.recv()
        except EOFError:
            return {"error": f"the child died with exit code {process.exitcode}"}
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        receive.close()


def networkx_in_child(spec: Spec, digest: str, args: argparse.Namespace
                      ) -> dict[str, Any] | str:
    """networkx on the same problem in a fresh process: its result, or why there is none."""
    result = run_in_child(measure_networkx, (spec, digest), args.networkx_timeout)
    if result is None:
        return (f"timed out: no answer within --networkx-timeout {args.networkx_timeout} s "
                "(process start included)")
    if "error" in result:
        return f"failed: {result['error']}"
    return result


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def bench_size(seed: int, members: int, obligations: int, args: argparse.Namespace
               ) -> dict[str, Any]:
    """Every measurement for one size, as a JSON-ready dict."""
    start = time.perf_counter()
    g = generate(seed, members, obligations)
    generate_seconds = time.perf_counter() - start
    digest = g.digest()
    report: dict[str, Any] = {"members": members, "obligations": obligations,
                              "graph_digest": digest,
                              "generate_seconds": round(generate_seconds, 4)}

    _progress(f"{members}:{obligations} ours")
    spec = ("tiered", seed, members, obligations)
    ours = run_in_child(measure_ours, (spec, digest, args.repeat), None)
    if ours is None or "error" in ours:
        raise RuntimeError(f"our solver failed at {members}:{obligations}: {ours}")
    cleared, total, bound = ours["cleared_fen"], ours["total_fen"], ours["bound_fen"]
    arcs = aggregate_and_prune(g)
    if (len(arcs.owed), arcs.members) != (ours["arcs"], ours["members"]):
        raise AssertionError("the pruning reproduced here differs from the solver's")
    report["ours"] = {
        "seconds": round(ours["seconds"], 4),
        "all_seconds": [round(s, 4) for s in ours["all_seconds"]],
        "cleared_fen": cleared,
        "total_fen": total,
        "bound_fen": bound,
        "remaining_fen": total - cleared,
        "cleared_share": _ratio(cleared, total),
        "cleared_of_upper_bound": _ratio(cleared, total - bound),
        "arcs_after_pruning": ours["arcs"],
        "members_after_pruning": ours["members"],
        "rss_before_solve_kib": ours["rss_before_solve_kib"],
        "solver_peak_rss_kib": ours["solver_peak_rss_kib"],
        "solver_extra_rss_kib": ours["solver_extra_rss_kib"],
        "process_peak_rss_kib": ours["process_peak_rss_kib"],
    }

    if obligations > args.networkx_max_obligations:
        report["networkx"] = (f"skipped: {obligations} obligations > "
                              f"--networkx-max-obligations {args.networkx_max_obligations}")
    else:
        _progress(f"{members}:{obligations} networkx")
        nx_result = networkx_in_child(spec, digest, args)
        report["networkx"] = nx_result if isinstance(nx_result, str) else {
            "networkx_seconds": round(nx_result["seconds"], 4),
            "networkx_build_seconds": round(nx_result["build_seconds"], 4),
            "networkx_cleared_fen": nx_result["cleared_fen"],
            "same_optimum": nx_result["cleared_fen"] == cleared,
            "speedup": round(nx_result["seconds"] / ours["seconds"], 1),
            "process_peak_rss_kib": nx_result["process_peak_rss_kib"],
        }

    if args.before_source is not None:
        _progress(f"{members}:{obligations} before")
        report["before"] = measure_before(spec, digest, args, cleared)

    _progress(f"{members}:{obligations} naive")
    naive = naive_cycle_clearing(arcs, args.naive_seconds)
    if naive.cleared_fen > cleared:
        raise AssertionError("the naive heuristic cleared more than the optimum")
    report["naive"] = {
        "cleared_fen": naive.cleared_fen,
        "share_of_optimum": _ratio(naive.cleared_fen, cleared),
        "seconds": round(naive.seconds, 4),
        "cycles": naive.cycles,
        "finished": naive.finished,
        "stopped_by": "no cycle left" if naive.finished
        else f"--naive-seconds {args.naive_seconds}",
    }
    report["bench_peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report["children_peak_rss_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return report


def bench_shape(shape: str, seed: int, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement for one adversarial shape, as a JSON-ready dict."""
    g = generate_shape(shape, seed, size)
    digest = g.digest()
    spec = ("shape", shape, seed, size)
    report: dict[str, Any] = {"shape": shape, "size": size, "obligations": len(g.amount),
                              "member_numbers_below": g.members,
                              "graph_digest": digest, "doc": SHAPES[shape].__doc__}
    _progress(f"{shape} {size} ours")
    ours = run_in_child(measure_ours, (spec, digest, args.repeat), None)
    if ours is None or "error" in ours:
        raise RuntimeError(f"our solver failed on {shape} {size}: {ours}")
    known = known_optimum(shape, g)
    if known is not None and known != ours["cleared_fen"]:
        raise AssertionError(f"{shape}: cleared {ours['cleared_fen']}, the optimum is {known}")
    report["ours"] = {
        "seconds": round(ours["seconds"], 4),
        "all_seconds": [round(x, 4) for x in ours["all_seconds"]],
        "cleared_fen": ours["cleared_fen"],
        "total_fen": ours["total_fen"],
        "known_optimum_fen": known,
        "arcs_on_loops": ours["arcs"],
        "members_on_loops": ours["members"],
        "solver_extra_rss_kib": ours["solver_extra_rss_kib"],
        "solver_extra_bytes_per_obligation": round(
            ours["solver_extra_rss_kib"] * 1024 / len(g.amount), 1)
        if ours["solver_extra_rss_kib"] is not None and len(g.amount) else None,
        "process_peak_rss_kib": ours["process_peak_rss_kib"],
    }
    if g.limit is not None:
        report["networkx"] = "skipped: limits (the known optimum is checked instead)"
    elif len(g.amount) > args.networkx_max_obligations:
        report["networkx"] = (f"skipped: {len(g.amount)} obligations > "
                              f"--networkx-max-obligations {args.networkx_max_obligations}")
    else:
        _progress(f"{shape} {size} networkx")
        nx_result = networkx_in_child(spec, digest, args)
        report["networkx"] = nx_result if isinstance(nx_result, str) else {
            "networkx_seconds": round(nx_result["seconds"], 4),
            "same_optimum": nx_result["cleared_fen"] == ours["cleared_fen"]}
    if args.before_source is not None:
        _progress(f"{shape} {size} before")
        report["before"] = measure_before(spec, digest, args, ours["cleared_fen"])
    return report


def goals(sizes: list[dict[str, Any]], shapes: list[dict[str, Any]]) -> dict[str, Any]:
    """The goal lines: the largest size within 5 s; a loop of 10**5 members within 5 s;
    extra memory per obligation on every shape; >= 50x networkx where it finished."""
    out: dict[str, Any] = {}
    loops = [r for r in shapes if r["shape"] == "long_loop"]
    if loops:
        top = max(loops, key=lambda r: r["size"])
        out["long_loop_members"] = top["size"]
        out["long_loop_is_goal_size"] = top["size"] == GOAL_LOOP_MEMBERS
        out["long_loop_seconds"] = top["ours"]["seconds"]
        out["long_loop_within_5s"] = top["ours"]["seconds"] <= GOAL_SECONDS
    if shapes:
        out["extra_bytes_per_obligation_by_shape"] = {
            r["shape"]: r["ours"]["solver_extra_bytes_per_obligation"] for r in shapes}
        solved = [r for r in shapes if isinstance(r.get("networkx"), dict)]
        out["shapes_same_optimum_as_networkx"] = all(r["networkx"]["same_optimum"]
                                                     for r in solved) if solved else None
    if not sizes:
        return out
    largest = max(sizes, key=lambda r: (r["obligations"], r["members"]))
    goal_run = (largest["members"], largest["obligations"]) == GOAL_SIZE
    out["largest_size"] = f"{largest['members']} members / {largest['obligations']} obligations"
    out["largest_is_goal_size"] = goal_run
    out["largest_seconds"] = largest["ours"]["seconds"]
    out["largest_solved_within_5s"] = largest["ours"]["seconds"] <= GOAL_SECONDS
    solved = [r for r in sizes if isinstance(r.get("networkx"), dict)]
    if solved:
        top = max(solved, key=lambda r: (r["obligations"], r["members"]))
        out["networkx_largest_solved"] = f"{top['members']} members / {top['obligations']} " \
                                         "obligations"
        out["speedup_at_networkx_largest"] = top["networkx"]["speedup"]
        out["speedup_goal_50x_met"] = top["networkx"]["speedup"] >= GOAL_SPEEDUP
        out["same_optimum_everywhere"] = all(r["networkx"]["same_optimum"] for r in solved)
    else:
        out["networkx_largest_solved"] = None
        out["speedup_goal_50x_met"] = None
    return out


def machine() -> dict[str, Any]:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {"cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "ortools": version("ortools"),
            "networkx": version("networkx"), "numpy": version("numpy")}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """`1000:10000,10000:100000` -> [(1000, 10000), (10000, 100000)]."""
    sizes = []
    for part in text.split(","):
        members, sep, obligations = part.strip().partition(":")
        if not sep:
            raise argparse.ArgumentTypeError(f"a size is MEMBERS:OBLIGATIONS, not {part!r}")
        sizes.append((int(members), int(obligations)))
    return sizes


def _progress(message: str) -> None:
    print(f"bench_setoff: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", type=parse_sizes, help="MEMBERS:OBLIGATIONS,...")
    parser.add_argument("--quick", action="store_true",
                        help="a small ladder: " + ",".join(f"{m}:{o}" for m, o in QUICK_SIZES))
    parser.add_argument("--repeat", type=int, default=1,
                        help="times our solver runs per size; the fastest is reported")
    parser.add_argument("--naive-seconds", type=float, default=60.0)
    parser.add_argument("--networkx-timeout", type=float, default=120.0,
                        help="seconds for networkx's whole process, start included")
    parser.add_argument("--networkx-max-obligations", type=int, default=100_000)
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help="adversarial shapes to run, or 'none': " + ",".join(SHAPES))
    parser.add_argument("--shape-size", type=int,
                        help=f"members of each shape (default {DEFAULT_SHAPE_SIZE}, "
                             f"--quick {QUICK_SHAPE_SIZE})")
    parser.add_argument("--before", metavar="REV",
                        help="also run node/setoff_solver.py as it was at git revision REV")
    parser.add_argument("--before-timeout", type=float, default=60.0,
                        help="seconds for the --before solver's whole process, start included")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat is at least 1")
    shapes = [] if args.shapes == "none" else [x for x in args.shapes.split(",") if x]
    for shape in shapes:
        if shape not in SHAPES:
            parser.error(f"no shape {shape!r}; shapes: {', '.join(SHAPES)}")
    shape_size = args.shape_size or (QUICK_SHAPE_SIZE if args.quick else DEFAULT_SHAPE_SIZE)
    if shape_size < 3:
        parser.error("--shape-size is at least 3")
    args.before_source = git_solver_source(args.before) if args.before else None
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    results = [bench_size(args.seed, members, obligations, args)
               for members, obligations in sizes]
    shape_results = [bench_shape(shape, args.seed, shape_size, args) for shape in shapes]
    report = {
        "benchmark": "optimal multilateral set-off",
        "command": shlex.join([sys.argv[0], *(sys.argv[1:] if argv is None else argv)]),
        "seed": args.seed,
        "machine": machine(),
        "model": {"size": f"Pareto shape {PARETO_SHAPE} + 1",
                  "backward_share": BACKWARD_SHARE,
                  "amount_fen": f"lognormal median {AMOUNT_MEDIAN_FEN} sigma {AMOUNT_SIGMA}, "
                                f"clipped to {AMOUNT_MIN_FEN}..{AMOUNT_MAX_FEN}"},
        "before": args.before,
        "sizes": results,
        "shapes": shape_results,
        "goals": goals(results, shape_results),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
