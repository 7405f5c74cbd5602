"""Set-off: obligations, rounds, runs and their batches, mandates and limits
(node/http/setoff.py, node/http/settlement.py), and the plan of the head
(node/http/plan.py)."""

from __future__ import annotations

from typing import Any

from contracts import obligations, setoff
from node.http.openapi.common import PAGING, STATUS_FILTER, answer, get, page, path_id, query
from node.http.plan import MAX_EXCLUDE
from node.http.schemas import enum, ref
from node.setoff_plan import MAX_PLAN_DEBTS


def setoff_paths() -> dict[str, Any]:
    return {
        "/v1/obligations": get(
            "Obligations uploaded for set-off, by creditor or by debtor (one of them)",
            [query("creditor", "creditor address"), query("debtor", "debtor address"),
             query("status", STATUS_FILTER, enum(obligations.STATUSES)), *PAGING],
            page("obligations", "Obligation", "a page of obligations"), 400),
        "/v1/obligations/{id}": get(
            "An obligation", [path_id("id", "obligation id (the submit transaction's id)")],
            answer(ref("Obligation"), "obligation"), 400, 404),
        "/v1/setoff/rounds": get(
            "Set-off rounds concerning a member (its own debts, or proposed by it), or every "
            "open round",
            [query("member", "member address"),
             query("status", STATUS_FILTER + "; without member= only open",
                   enum(setoff.ROUND_STATUSES)), *PAGING],
            page("rounds", "SetoffRound", "a page of rounds, in round id order"), 400,
            description="With member=, each round's `asks` holds that member's only."),
        "/v1/setoff/rounds/{id}": get(
            "A set-off round: legs, members, consents, result figures and what it asks of "
            "each member",
            [path_id("id", "round id (the propose transaction's id)"),
             query("member", "only this member's entry in `asks`")],
            answer(ref("SetoffRound"), "round"), 400, 404),
        "/v1/setoff/plan": get(
            "The optimal set-off of the debts now, cut into rounds the contract accepts",
            [query("exclude", "addresses to leave out, comma separated (or the parameter "
                   f"repeated), at most {MAX_EXCLUDE}",
                   {"type": "string", "pattern": "^([0-9a-fA-F]{64}(,[0-9a-fA-F]{64})*)?$"}),
             query("run_batches", "1: include the run's batches", enum(["0", "1"]))],
            answer(ref("SetoffPlan"), "plan"), 400,
            description="Confirmed obligations and live vouchers that are not pledged, not "
            "reserved and in no open round, between active members that did not opt out. "
            "The optimum comes from a min-cost flow. The run is the optimum over debts "
            "between members with a live mandate, within their per-run limits, in batches "
            "of at most 500 debts; the rounds are the optimum of what the run leaves, each "
            "connected part with 3 or more members a round. Debts are read from a snapshot "
            "of one head beside the node, one plan at a time, and the answer is kept per "
            "head and exclusions. Past "
            f"{MAX_PLAN_DEBTS:,} live obligations and vouchers it answers 503 "
            "setoff.plan_too_large; while plans for other exclusions keep the solver busy, "
            "503 setoff.plan_busy with Retry-After."),
        "/v1/setoff/limits/{member}": get(
            "A member's standing set-off limit",
            [path_id("member", "member address")], answer(ref("SetoffLimit"), "limit"),
            400, 404),
        "/v1/setoff/totals": get(
            "Set-off rounds executed and what they cleared in all; runs, their batches and "
            "what they cleared", [],
            answer(ref("SetoffTotals"), "totals")),
        "/v1/setoff/mandates/{member}": get(
            "Every set-off mandate a member signed, and whether the latest stands",
            [path_id("member", "member address")], answer(ref("SetoffMandates"), "mandates"),
            400, 404),
        "/v1/setoff/runs": get(
            "Set-off runs in id order, or those that cleared something of a member",
            [query("member", "member address: its runs, each with its `usage`"), *PAGING],
            page("runs", "SetoffRun", "a page of runs"), 400),
        "/v1/setoff/runs/{id}": get(
            "A set-off run: its figures and, with member=, what it cleared of that member",
            [path_id("id", "run id (the open_run transaction's id)"),
             query("member", "member address")], answer(ref("SetoffRun"), "run"), 400, 404),
        "/v1/setoff/runs/{id}/batches/{number}": get(
            "One batch of a run, with its legs",
            [path_id("id", "run id"),
             path_id("number", "batch number", {"type": "string", "pattern": "^[0-9]+$"})],
            answer(ref("SetoffRunBatch"), "batch"), 400, 404),
    }
