"""Set-off records: rounds (with what each asks of whom), members' standing limits and
mandates, runs with their batches and usage, and the ledger's set-off totals. The plan
of the next set-off is node/http/plan.py's.

Each handler answers with the record kind its name and its view function say; the reads
are contracts.setoff's, which owns the keys.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import setoff
from contracts.access import readable, require_read
from contracts.caller import Caller
from contracts.codec import to_json
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_of,
    address_param,
    bad_request,
    choice_param,
    cursor_param,
    found,
    hex_id,
    int_param,
    page_answer,
    require_member,
)
from node.http.reads import own_listing, reader
from node.service import Node

# ---------------------------------------------------------------- rounds


def round_asks(round_: setoff.Round, only: bytes | None) -> list[dict[str, Any]]:
    """Per member of the round (or only `only`): the legs it is cleared of (as debtor) and
    cleared to (as creditor), with their totals; the two are equal by the contract's rule."""
    of: dict[bytes, list[setoff.Leg]] = {m: [] for m in round_.members}
    to: dict[bytes, list[setoff.Leg]] = {m: [] for m in round_.members}
    for leg in round_.legs:
        of[leg.debtor].append(leg)
        to[leg.creditor].append(leg)
    return [
        {"member": member.hex(),
         "cleared_of": to_json(of[member]),
         "cleared_of_fen": sum(leg.amount_fen for leg in of[member]),
         "cleared_to": to_json(to[member]),
         "cleared_to_fen": sum(leg.amount_fen for leg in to[member])}
        for member in round_.members if only is None or member == only
    ]


def round_view(round_: setoff.Round, member: bytes | None) -> dict[str, Any]:
    """The round as recorded, who has yet to consent, its figures and what it asks of whom.

    remaining_fen is the debt of the agency's graph the round leaves; bound_fen that
    graph's net internal debt, below which no set-off goes; gap_fen the distance to it.
    """
    remaining_fen = round_.graph_total_fen - round_.cleared_fen
    return {
        **to_json(round_),
        "waiting_for": [m.hex() for m in round_.members if m not in round_.consented],
        "remaining_fen": remaining_fen,
        "bound_fen": round_.graph_bound_fen,
        "gap_fen": remaining_fen - round_.graph_bound_fen,
        "asks": round_asks(round_, member),
    }


def load_round(node: Node, round_id: bytes) -> setoff.Round:
    return found(setoff.get_round(node.store, round_id), f"no set-off round {round_id.hex()}")


async def list_setoff_rounds(request: web.Request) -> web.Response:
    """A page of a member's rounds (a member lists its own), or of the open rounds (the
    agency's and the regulators')."""
    node = request.app[NODE]
    caller = reader(request)
    member = address_param(request, "member")
    status = choice_param(request, "status", setoff.ROUND_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    if member is None and status is None:
        raise bad_request("missing_parameter", "give member=ADDRESS or status=open")
    if member is None and status != "open":
        raise bad_request("bad_parameter", "without member=, only status=open is listed")
    own_listing(caller, member=member)
    page, next_cursor = setoff.rounds_page(node.store, cursor_param(request), limit,
                                           member=member, status=status)
    rows = readable(node.store, caller, "setoff_round", page)
    return page_answer("rounds", [round_view(r, member) for r in rows], next_cursor)


async def get_setoff_round(request: web.Request) -> web.Response:
    """A round, with what it asks of each member (or of `member` only)."""
    node = request.app[NODE]
    caller = reader(request)
    round_id = hex_id(request.match_info["id"], "a round id")
    member = address_param(request, "member")
    round_ = load_round(node, round_id)
    require_read(node.store, caller, "setoff_round", round_)
    return web.json_response(round_view(round_, member))


# ---------------------------------------------------------------- limits and mandates


async def get_setoff_limit(request: web.Request) -> web.Response:
    """A member's standing set-off limit (its own, or any for the agency and regulators)."""
    node = request.app[NODE]
    caller = reader(request)
    member = address_of(request.match_info["member"])
    require_member(node, member)
    limit = setoff.get_limit(node.store, member)
    if limit is not None:
        require_read(node.store, caller, "setoff_limit", limit)
    else:
        own_listing(caller, member=member)  # none set: whether it is is the member's too
    if limit is None:
        return web.json_response({"member": member.hex(), "opted_out": False,
                                  "max_fen_per_round": None, "set_at_ms": None})
    return web.json_response(to_json(limit))


def mandate_view(mandate: setoff.Mandate, time_ms: int) -> dict[str, Any]:
    return {**to_json(mandate), "live": setoff.mandate_live(mandate, time_ms)}


async def get_setoff_mandates(request: web.Request) -> web.Response:
    """Every mandate a member signed, oldest first, and whether its latest stands now (its
    own, or any member's for the agency and regulators)."""
    node = request.app[NODE]
    caller = reader(request)
    member = address_of(request.match_info["member"])
    require_member(node, member)
    own_listing(caller, member=member)
    now = node.chain.head.time_ms
    mandates = setoff.mandates_of(node.store, member)
    for mandate in mandates:
        require_read(node.store, caller, "setoff_mandate", mandate)
    current = mandates[-1] if mandates else None
    return web.json_response({
        "member": member.hex(),
        "live": setoff.mandate_live(current, now),
        "mandates": [mandate_view(m, now) for m in mandates],
    })


# ---------------------------------------------------------------- runs


def run_view(node: Node, run: setoff.Run, member: bytes | None, caller: Caller
             ) -> dict[str, Any]:
    """The run; with `member`, what it cleared of that member (`caller` reads it: its own)."""
    now = node.chain.head.time_ms
    view = {**to_json(run), "open": run.status == "open" and now < run.closes_ms,
            "executed_share": round(run.cleared_fen / run.optimum_fen, 6)
            if run.optimum_fen else None}
    if member is not None:
        usage = setoff.get_usage(node.store, run.id, member)
        require_read(node.store, caller, "setoff_usage", usage)
        view["usage"] = {"member": member.hex(), "cleared_of_fen": usage.cleared_of_fen,
                         "cleared_to_fen": usage.cleared_to_fen, "batches": usage.batches}
    return view


def load_run(node: Node, run_id: bytes) -> setoff.Run:
    return found(setoff.get_run(node.store, run_id), f"no set-off run {run_id.hex()}")


async def list_setoff_runs(request: web.Request) -> web.Response:
    """Runs in id order; with member=, the runs that cleared something of that member, each
    with what it cleared of the member's debts and claims. A member lists its own; every
    run, the agency and the regulators."""
    node = request.app[NODE]
    caller = reader(request)
    member = address_param(request, "member")
    own_listing(caller, member=member)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = setoff.runs_page(node.store, cursor_param(request), limit, member)
    rows = readable(node.store, caller, "setoff_run", page)
    return page_answer("runs", [run_view(node, r, member, caller) for r in rows], next_cursor)


async def get_setoff_run(request: web.Request) -> web.Response:
    """A run, with what it cleared of `member` if given."""
    node = request.app[NODE]
    caller = reader(request)
    run_id = hex_id(request.match_info["id"], "a run id")
    member = address_param(request, "member")
    run = load_run(node, run_id)
    require_read(node.store, caller, "setoff_run", run)
    return web.json_response(run_view(node, run, member, caller))


def batch_view(batch: setoff.Batch) -> dict[str, Any]:
    return to_json(batch)


async def get_setoff_run_batch(request: web.Request) -> web.Response:
    """One batch of a run: its legs (debts named as the run named them) and its figures."""
    node = request.app[NODE]
    caller = reader(request)
    run_id = hex_id(request.match_info["id"], "a run id")
    number = request.match_info["number"]
    if not number.isdigit() or int(number) >= 2**32:
        raise bad_request("bad_parameter", "a batch number is 0 to 4294967295")
    batch = found(setoff.get_batch(node.store, run_id, int(number)),
                  f"no batch {number} of run {run_id.hex()}")
    require_read(node.store, caller, "setoff_batch", batch)
    return web.json_response(batch_view(batch))


def totals_view(node: Node) -> dict[str, Any]:
    """The ledger's set-off totals: rounds and runs."""
    runs = setoff.get_run_totals(node.store)
    return {**to_json(setoff.get_totals(node.store)),
            "rounds_proposed": setoff.rounds_proposed(node.store), "runs": runs.runs,
            "run_batches": runs.batches, "run_cleared_fen": runs.cleared_fen}


async def get_setoff_totals(request: web.Request) -> web.Response:
    """The ledger's set-off totals."""
    caller = reader(request)
    state = request.app[NODE].store
    for totals in (setoff.get_totals(state), setoff.get_run_totals(state)):
        require_read(state, caller, "setoff_totals", totals)
    return web.json_response(totals_view(request.app[NODE]))
