"""The set-off plan of the head: GET /v1/setoff/plan, computed by `Planner` off the
event loop from a snapshot of the state (node/setoff_plan.py reads and solves it)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from contextlib import suppress
from typing import Any

from aiohttp import web

from contracts.access import require_read
from contracts.codec import to_json
from contracts.errors import LedgerError
from node import setoff_plan
from node.http.params import NODE, address_of, bad_request, choice_param
from node.http.reads import reader
from node.service import Node
from node.store import StateSnapshot, StoreFault

log = logging.getLogger("claimledger.api")

MAX_EXCLUDE = 1000  # members one plan request may leave out
PLAN_CACHE_ENTRIES = 32  # plans kept, by (head block id, exclusions)
PLAN_BATCHES_KEPT = 2  # of those, the newest that keep their run's batches
MAX_PLAN_TURNS = 4  # computations for other exclusions a plan request waits through

def exclude_param(request: web.Request) -> frozenset[bytes]:
    """`exclude=ADDR,ADDR` (or the parameter repeated): members a plan leaves out."""
    texts = [part for value in request.query.getall("exclude", []) if value
             for part in value.split(",")]
    if len(texts) > MAX_EXCLUDE:
        raise bad_request("bad_parameter", f"exclude names at most {MAX_EXCLUDE} members")
    return frozenset(address_of(text) for text in texts)


def plan_view(plan: setoff_plan.Plan, graph: setoff_plan.Graph,
              seconds: dict[str, float] | None = None) -> dict[str, Any]:
    debts = {debt.id: debt for debt in graph.debts}
    rounds = []
    for reductions in plan.rounds:
        parties = [debts[r.id] for r in reductions]
        rounds.append({
            "reductions": [{**to_json(r), "debtor": d.debtor.hex(), "creditor": d.creditor.hex()}
                           for r, d in zip(reductions, parties, strict=True)],
            "members": sorted({d.debtor.hex() for d in parties} | {d.creditor.hex()
                                                                    for d in parties}),
            "cleared_fen": sum(r.amount_fen for r in reductions),
        })
    remaining_fen = plan.total_fen - plan.cleared_fen
    run = plan.run
    return {
        "total_fen": plan.total_fen, "bound_fen": plan.bound_fen,
        "cleared_fen": plan.cleared_fen, "remaining_fen": remaining_fen,
        "gap_fen": remaining_fen - plan.bound_fen,
        "in_rounds_fen": sum(r["cleared_fen"] for r in rounds),
        "bilateral_fen": plan.bilateral_fen, "deferred_fen": plan.deferred_fen,
        "debts": len(graph.debts), "members": plan.members, "arcs": plan.arcs,
        "rounds": rounds,
        "run": {
            "open_run": graph.open_run.hex() if graph.open_run else None,
            "mandated_members": run.mandated_members, "members": run.members,
            "optimum_fen": run.optimum_fen, "planned_fen": run.planned_fen,
            "planned_share": round(run.planned_fen / run.optimum_fen, 6)
            if run.optimum_fen else None,
            "held_by_limits_fen": run.held_by_limits_fen, "deferred_fen": run.deferred_fen,
            "bilateral_fen": run.bilateral_fen, "loops": run.loops,
            "batches": len(run.batches), "legs": sum(len(b) for b in run.batches),
        },
        # For the agency's `setoff run`: [kind, id, amount_fen] per reduction, as JSON text
        # encoded here, off the event loop, and kept as one string (see `Planner`).
        "run_batches": json.dumps([[[r.kind, r.id.hex(), r.amount_fen] for r in batch]
                                   for batch in run.batches], separators=(",", ":")),
        "unmandated_fen": plan.unmandated_fen, "rounds_optimum_fen": plan.rounds_optimum_fen,
        "seconds": {k: round(v, 3) for k, v in {**(seconds or {}), **plan.seconds}.items()},
    }


def plan_answer(state: StateSnapshot, exclude: frozenset[bytes],
                time_ms: int | None = None) -> dict[str, Any]:
    """A plan's answer, less the head: reads and solves, so it runs in a worker thread,
    which closes the snapshot when done with it (nothing else may close it under it).
    Mandates count as they stand at ledger time `time_ms` (the head's)."""
    started = time.perf_counter()
    try:
        graph = setoff_plan.collect(state, exclude, setoff_plan.MAX_PLAN_DEBTS, time_ms)
    finally:
        state.close()
    collected = time.perf_counter() - started
    return plan_view(setoff_plan.plan_of(graph), graph, {"collect": collected})


class Planner:
    """Set-off plans of the head: one computed at a time, in a worker thread, from a
    snapshot of the state taken between two blocks; answers kept per (head block id,
    exclusions), so asking again costs nothing until the next block.

    A computation runs to its end even if the client that started it went away (its
    thread could not be stopped anyway), and requests for the same exclusions share it.
    """

    def __init__(self) -> None:
        self.cache: OrderedDict[tuple[bytes, frozenset[bytes]], dict[str, Any]] = OrderedDict()
        self.job: asyncio.Future[dict[str, Any]] | None = None
        self.job_exclude: frozenset[bytes] | None = None
        self.computed = 0  # plans computed (the rest were answered from the cache)

    async def answer(self, node: Node, exclude: frozenset[bytes],
                     with_batches: bool = False) -> dict[str, Any]:
        for _ in range(MAX_PLAN_TURNS):
            key = (node.chain.head.block_id, exclude)
            if key in self.cache and with_batches and "run_batches" not in self.cache[key]:
                del self.cache[key]  # its batches were let go: compute it again
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
            if self.job is None or self.job.done():
                self.job = asyncio.ensure_future(self._compute(node, exclude))
                self.job.add_done_callback(_retrieved)  # no "never retrieved" log lines
                self.job_exclude = exclude
            job = self.job
            if self.job_exclude == exclude:
                return await asyncio.shield(job)  # the head when it started, or newer
            with suppress(LedgerError):  # another request's plan: wait for the solver
                await asyncio.shield(job)
        raise LedgerError("setoff.plan_busy", "set-off plans for other exclusions are being "
                          "computed; retry in a moment")

    async def _compute(self, node: Node, exclude: frozenset[bytes]) -> dict[str, Any]:
        head = node.chain.head
        snapshot = node.store.snapshot()  # taken with the head: no block commits between
        try:
            view = await asyncio.get_running_loop().run_in_executor(
                None, plan_answer, snapshot, exclude, head.time_ms)
        except StoreFault as fault:
            raise node.store.report(fault) from fault
        self.computed += 1
        answer = {"height": head.height, "block_id": head.block_id.hex(),
                  "time_ms": head.time_ms, "exclude": sorted(m.hex() for m in exclude),
                  **view}
        self.cache[(head.block_id, exclude)] = answer
        while len(self.cache) > PLAN_CACHE_ENTRIES:
            self.cache.popitem(last=False)
        # A run's batches take some 20 MB at 10^5 debts: only the newest plans keep them.
        for key in list(self.cache)[:-PLAN_BATCHES_KEPT]:
            if "run_batches" in self.cache[key]:
                self.cache[key] = {k: v for k, v in self.cache[key].items()
                                   if k != "run_batches"}
        return answer


async def finish_plans(app: web.Application) -> None:
    """On the way down, before the store closes: a plan still reading its snapshot in a
    worker thread finishes first (its reads are bounded by MAX_PLAN_DEBTS), so no thread
    reads a closed LevelDB."""
    job = app[PLANNER].job
    if job is not None and not job.done():
        log.info("waiting for the set-off plan being computed before closing the store")
        with suppress(Exception):
            await asyncio.shield(job)


def _retrieved(job: asyncio.Future[Any]) -> None:
    if not job.cancelled():
        job.exception()


PLANNER = web.AppKey("setoff_planner", Planner)


async def get_setoff_plan(request: web.Request) -> web.Response:
    """The optimal set-off of the state at the head: the run over mandated members' debts
    and rounds for the rest (see `Planner`); the run's batches only with run_batches=1 (the
    agency submits them; they are large); 503 `setoff.plan_too_large` past
    setoff_plan.MAX_PLAN_DEBTS live debts. The agency's and the regulators' only: checked
    before anything is computed."""
    # The rule reads no record (the plan is every member's debts): it is asked first.
    require_read(request.app[NODE].store, reader(request), "setoff_plan", None)
    exclude = exclude_param(request)
    with_batches = choice_param(request, "run_batches", {"0", "1"}) == "1"
    answer = await request.app[PLANNER].answer(request.app[NODE], exclude, with_batches)
    summary = json.dumps({k: v for k, v in answer.items() if k != "run_batches"})
    if not with_batches:
        return web.Response(text=summary, content_type="application/json")
    assert summary.endswith("}") and len(summary) > 2
    return web.Response(text=f'{summary[:-1]}, "run_batches": {answer["run_batches"]}}}',
                        content_type="application/json")
