"""Ids by prefix: GET /v1/ids/{kind}?prefix=HEX answers

    {"kind", "prefix", "matches": [{"id", "record"}], "more"}

the records of a provable kind (contracts.record_proofs) whose id starts with `prefix`
(8 hex digits at least) and that the caller may read, at most 10, in id order, each as
its own route shows it (a member's personal data withheld as there); `more`:
the answer stopped before the end of the scan. The wallet resolves an abbreviated id
with it. A prefix that matches only records the caller may not read answers no match,
as one that matches nothing (contracts.id_prefixes).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.access import may_read
from contracts.caller import Caller
from contracts.codec import to_json
from contracts.id_prefixes import ids_with_prefix
from contracts.record_proofs import provable
from contracts.state import Reader
from node.http.members import member_view
from node.http.params import NODE, bad_request
from node.http.reads import reader


def match_view(state: Reader, caller: Caller, kind: str, record: Any) -> dict[str, Any]:
    """A matching record as its own route shows it: a member's personal data only to who
    reads it (its member_private rule), as GET /v1/members/{address}."""
    if kind == "member":
        return member_view(record, may_read(state, caller, "member_private", record))
    return to_json(record)


async def get_ids(request: web.Request) -> web.Response:
    """The ids of one kind the caller may read that start with `prefix`."""
    caller = reader(request)
    kind = provable(request.match_info["kind"])
    prefix = request.query.get("prefix")
    if prefix is None:
        raise bad_request("missing_parameter", "give prefix= (8 or more hex digits)")
    state = request.app[NODE].store
    matches, more = ids_with_prefix(state, caller, kind, prefix)
    return web.json_response({
        "kind": kind.kind, "prefix": prefix.lower(),
        "matches": [{"id": m.record_id.hex(),
                     "record": match_view(state, caller, kind.kind, m.record)}
                    for m in matches],
        "more": more,
    })
