"""The node registry's reads: which nodes validate (in force and coming), which observe,
and the changes proposed to the validators with their approvals.

Every record is the `node` read family's (contracts/nodes.py READS: every member's);
the views add what a reader would otherwise compute from several records: the heights a
validator's place holds from and until, and the power an approval has gathered.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import nodes
from contracts.access import require_read
from contracts.codec import to_json
from node.http.params import NODE
from node.http.reads import reader


def validator_view(v: nodes.Validator, **heights: int | None) -> dict[str, Any]:
    return {**to_json(v), **heights}


async def get_nodes(request: web.Request) -> web.Response:
    """GET /v1/nodes: the validators in force at the height after the head (with the
    height their set holds from, and the height a decided change ends their place),
    those a decided change adds at a later height, every set already decided for a later
    height, and the observers."""
    caller = reader(request)
    node = request.app[NODE]
    state = node.store
    at = node.chain.head.height + 1
    history = list(nodes.set_history(state))
    in_force = nodes.set_at(state, at)
    if in_force is None:
        return web.json_response({"height": at, "from_height": None, "total_power": 0,
                                  "validators": [], "upcoming": [], "later_sets": [],
                                  "observers": []})
    later = [s for s in history if s.from_height > at]
    for record in (in_force, *later):
        require_read(state, caller, "node", record)

    def until(key: bytes) -> int | None:
        gone = next((s for s in later if nodes.validator_entry(s, key) is None), None)
        return gone.from_height if gone is not None else None

    upcoming: dict[bytes, dict[str, Any]] = {}
    for node_set in later:
        for v in node_set.validators:
            if nodes.validator_entry(in_force, v.key) is None and v.key not in upcoming:
                upcoming[v.key] = validator_view(v, from_height=node_set.from_height)
    observers = nodes.observers(state)
    for observer in observers:
        require_read(state, caller, "node", observer)
    return web.json_response({
        "height": at,
        "from_height": in_force.from_height,
        "total_power": nodes.total_power(in_force),
        "validators": [validator_view(v, until_height=until(v.key))
                       for v in in_force.validators],
        "upcoming": [upcoming[k] for k in sorted(upcoming)],
        "later_sets": [{"from_height": s.from_height, "total_power": nodes.total_power(s),
                        "validators": [validator_view(v) for v in s.validators]}
                       for s in later],
        "observers": [to_json(o) for o in observers],
    })


async def list_proposals(request: web.Request) -> web.Response:
    """GET /v1/nodes/proposals: the changes proposed and not yet applied, withdrawn or
    replaced, by id, with the power their approvals hold in the set in force at the
    height after the head, what they need (more than two thirds of it) and whether
    they have expired (by the head's ledger time)."""
    caller = reader(request)
    node = request.app[NODE]
    state = node.store
    head = node.chain.head
    in_force = nodes.set_at(state, head.height + 1)
    total = nodes.total_power(in_force) if in_force is not None else 0
    rows = []
    for pending in nodes.pending_changes(state):
        require_read(state, caller, "node", pending)
        approved = sum(v.power for v in (in_force.validators if in_force else ())
                       if v.operator in pending.approvals)
        rows.append({**to_json(pending), "approved_power": approved, "total_power": total,
                     "needed_power": 2 * total // 3 + 1,
                     "expired": pending.expires_at_ms <= head.time_ms})
    return web.json_response({"height": head.height, "proposals": rows})
