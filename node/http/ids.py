"""Ids by prefix: GET /v1/ids/{kind}?prefix=HEX answers

    {"kind", "prefix", "matches": [{"id", "record"}], "more"}

the records of a provable kind (contracts.record_proofs) whose id starts with `prefix`
(8 hex digits at least) and that the caller may read, at most 10, in id order, each as
its own route shows it (a member's personal data withheld as there); `more`:
the answer stopped before the end of the scan. The wallet resolves an abbreviated id
with it. A prefix that matches only records the caller may not read answers no match,
as one that matches nothing (contracts.id_prefixes).

Transactions are no state records: GET /v1/ids/transaction?prefix= answers from the
node's transaction index (committed) and its mempool (pending, and rejected ones it
still remembers), each match as GET /v1/txs/{id} shows it and only if that route would
show it to the caller (its signers, the agency and the regulators), so a prefix tells
nothing of a transaction the caller may not read. Bounded: at most MAX_TX_SCANNED
committed ids read (each read costs its block) besides the mempool's bounded sets.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.access import may_read
from contracts.caller import Caller
from contracts.codec import to_json
from contracts.errors import Forbidden
from contracts.id_prefixes import MAX_MATCHES, check_hex_prefix, ids_with_prefix
from contracts.record_proofs import provable
from contracts.state import Reader
from node.http.chain import tx_status
from node.http.members import member_view
from node.http.params import NODE, bad_request
from node.http.reads import reader
from node.service import Node

TRANSACTION = "transaction"  # the kind the route answers from the transaction index
MAX_TX_SCANNED = 100


def match_view(state: Reader, caller: Caller, kind: str, record: Any) -> dict[str, Any]:
    """A matching record as its own route shows it: a member's personal data only to who
    reads it (its member_private rule), as GET /v1/members/{address}."""
    if kind == "member":
        return member_view(record, may_read(state, caller, "member_private", record))
    return to_json(record)


def tx_matches(node: Node, caller: Caller, prefix_hex: str
               ) -> tuple[list[dict[str, Any]], bool]:
    """The transactions whose id starts with `prefix_hex` that GET /v1/txs/{id} shows
    `caller` (committed, pending or rejected), as it shows them, in id order, at most
    MAX_MATCHES; and whether there may be more (a readable one past them, or the scan of
    committed ids stopped at its bound)."""
    text = check_hex_prefix(TRANSACTION, 32, prefix_hex)
    whole_bytes = bytes.fromhex(text[:len(text) // 2 * 2])
    committed, stopped = node.store.tx_ids(whole_bytes, MAX_TX_SCANNED)
    in_mempool = (i for ids in (node.mempool.pending, node.mempool.rejected) for i in ids
                  if i.startswith(whole_bytes))
    candidates = sorted({i for i in (*committed, *in_mempool) if i.hex().startswith(text)})
    found: list[dict[str, Any]] = []
    for tx_id in candidates:
        try:
            view = tx_status(node, tx_id, caller)
        except Forbidden:
            continue  # not the caller's to read: no match, as an absent one
        if len(found) == MAX_MATCHES:
            return found, True
        found.append({"id": tx_id.hex(), "record": view})
    return found, stopped


async def get_ids(request: web.Request) -> web.Response:
    """The ids of one kind the caller may read that start with `prefix`."""
    caller = reader(request)
    prefix = request.query.get("prefix")
    if prefix is None:
        raise bad_request("missing_parameter", "give prefix= (8 or more hex digits)")
    if request.match_info["kind"] == TRANSACTION:
        found, more = tx_matches(request.app[NODE], caller, prefix)
        return web.json_response({"kind": TRANSACTION, "prefix": prefix.lower(),
                                  "matches": found, "more": more})
    kind = provable(request.match_info["kind"])
    state = request.app[NODE].store
    matches, more = ids_with_prefix(state, caller, kind, prefix)
    return web.json_response({
        "kind": kind.kind, "prefix": prefix.lower(),
        "matches": [{"id": m.record_id.hex(),
                     "record": match_view(state, caller, kind.kind, m.record)}
                    for m in matches],
        "more": more,
    })
