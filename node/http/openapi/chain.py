"""The chain's paths: its status, transactions, blocks, events and evidence
(node/http/chain.py), certified headers for light clients (node/http/headers.py), and the
registry of the nodes that keep it (node/http/nodes.py)."""

from __future__ import annotations

from typing import Any

from contracts import evidence
from node.http.headers import MAX_FROM, MAX_PAGE_BYTES
from node.http.openapi.common import (
    LIMIT,
    WAIT_MS,
    answer,
    cursor,
    error_answers,
    get,
    page,
    path_id,
    query,
)
from node.http.params import DEFAULT_PAGE, MAX_PAGE
from node.http.schemas import ref


def chain_paths() -> dict[str, Any]:
    return {
        "/v1/status": {"get": {
            "summary": "Chain id, this node, head height, block id and state root",
            "responses": {"200": answer(ref("Status"), "status"), **error_answers()},
        }},
        "/v1/txs/{id}": get(
            "A transaction's status (pending, committed, rejected), block and result",
            [path_id("id", "transaction id"),
             query("wait_ms", "wait up to this long while it is pending", WAIT_MS)],
            answer(ref("Tx"), "the tx"), 400, 404),
        "/v1/blocks/{height}": get(
            "A block: header, transaction ids, commit certificate, events",
            [path_id("height", "block height", {"type": "integer", "minimum": 0})],
            answer(ref("Block"), "block"), 400, 404),
        "/v1/events": get(
            "Events addressed to a member, oldest first",
            [query("address", "member address", required=True),
             cursor(24, "an event's `cursor` (24 hex digits): events after it"),
             LIMIT,
             query("wait_ms", "if no event follows the cursor, wait up to this long for "
                   "the next block that brings one", WAIT_MS)],
            page("events", "Event", "a page of events"), 400,
            description="An event is listed for each address among its parties. The cursor "
            "is the block height (8 bytes, big-endian) and the event's sequence number in "
            "that block (4 bytes, big-endian: transactions' events in order, then the "
            "end-of-block step's). `next` is null once the stream is read to its end; to "
            "follow it, pass the last event's `cursor` as `after` with wait_ms. A node "
            "that started from a snapshot (state sync) holds no events before its base: a "
            "read from the start or from an earlier cursor answers 400 events.before_base."),
        "/v1/evidence": get(
            "Equivocations on the ledger: validators that signed two different votes "
            "for one height, round and step",
            [query("validator", "only this validator's (its node key)"), LIMIT,
             cursor(2 * evidence.KEY_BYTES, "cursor: the `next` of the previous page")],
            page("evidence", "Equivocation", "a page of equivocations"), 400,
            description="In key order: validator, height, round, step. A proposer puts "
            "the evidence its node found into its block; every node verifies both votes "
            "(signatures for this chain, one validator of the set, one height, round "
            "and step, two values) before the block is executed, and each step's "
            "equivocation is kept once. `vote_a` and `vote_b` are the votes as signed "
            "and sent (msgpack [1, type, height, round, value, validator, signature]); "
            "anyone can verify them again against the vote sign bytes."),
        "/v1/headers": get(
            "Certified headers from a height up to the head, for light clients",
            [query("from", "the first height (default 1: genesis is at "
                   "/v1/headers/genesis)",
                   {"type": "integer", "minimum": 1, "maximum": MAX_FROM}),
             query("limit", f"at most this many headers (default {DEFAULT_PAGE})",
                   {"type": "integer", "minimum": 1, "maximum": MAX_PAGE})],
            answer(ref("Headers"), "a page of certified headers"), 400, 404,
            description="Each header with its commit certificate, as canonical bytes "
            "in hex (what contracts/proofs.py verifies), and the validator set it "
            "announces for the next height when it changes the set. A page may hold "
            "fewer than `limit` headers (it stops at the head, or at "
            f"{MAX_PAGE_BYTES >> 20} MiB); `next_from` is where the next starts. `from` "
            "beyond the head is 404 not_found: poll until the chain gets there."),
        "/v1/headers/genesis": get(
            "Block 0's header and the validator sets it names: a light client's start",
            [], answer(ref("GenesisHeader"), "the genesis header"),
            description="A client told the genesis block id checks that the header "
            "hashes to it and that the sets hash to its validators_hash and "
            "next_validators_hash (contracts.proofs.trust_genesis), then follows "
            "/v1/headers."),
        "/v1/nodes": get(
            "The node registry: validators in force and coming, later sets, observers",
            [], answer(ref("NodeRegistry"), "node registry"),
            description="Validators change by governance (the agency proposes, the "
            "operators of validators holding more than 2/3 of the power approve); a "
            "change applied in block H is in force from H+2. Observers are admitted and "
            "removed by the agency at once. Peer links read this registry at each "
            "handshake."),
        "/v1/nodes/proposals": get(
            "Proposed validator changes, with the power their approvals hold",
            [], answer(ref("NodeProposals"), "pending changes")),
    }
