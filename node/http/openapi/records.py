"""Records by kind and id, read through the state tree: a record with its Merkle proof
(node/http/proofs.py), and the ids that start with a prefix (node/http/ids.py). Both take
the kinds of contracts.record_proofs.PROVABLE."""

from __future__ import annotations

from typing import Any

from contracts.id_prefixes import MAX_MATCHES, MIN_PREFIX_DIGITS
from contracts.record_proofs import PROVABLE
from node.http.ids import MAX_TX_SCANNED, TRANSACTION
from node.http.openapi.common import ERROR, answer, get, path_id, query
from node.http.schemas import enum, ref

LONGEST_ID_BYTES = max(p.id_bytes for p in PROVABLE.values())


def proof_paths() -> dict[str, Any]:
    """GET /v1/proofs/{kind}/{id} (node/http/proofs.py)."""
    ids = "; ".join(f"{p.kind}: {2 * p.id_bytes}" for p in PROVABLE.values())
    return {"/v1/proofs/{kind}/{id}": get(
        "A record, or its absence, with its Merkle proof against the head's state root",
        [path_id("kind", "a kind of record kept whole at one state key", enum(PROVABLE)),
         path_id("id", "the record's id in hex; its length is the kind's",
                 {"type": "string", "pattern": f"^([0-9a-fA-F]{{2}}){{1,{LONGEST_ID_BYTES}}}$"})],
        answer(ref("RecordProof"), "the record or its absence, proven"), 400,
        more={"404": answer(ERROR, "proof.unknown_kind: not a kind of record with proofs")},
        description="contracts.state_tree.verify(state_root, key, value, proof) holds, "
        "and state_root is the one in the header of block `height` (GET "
        "/v1/blocks/{height}). A record is shown to whoever its read rule lets read it; "
        "its absence to any member, or for a record kept per member (holder totals, "
        "debtor record, fee account, stream, set-off limit, mandate, usage) to whoever "
        "may read that member's zero record. A set-off mandate's id is the member's "
        "address then its number (4 bytes), a usage's the run's id then the member's "
        "address, a sale's the commitment's id then the exercise transaction's, a "
        "validator set's the height it holds from (8 bytes). Hex digits per kind: "
        f"{ids}. An id of another length: 400 request.bad_id.")}


def id_paths() -> dict[str, Any]:
    """GET /v1/ids/{kind} (node/http/ids.py): ids by prefix, the caller's readable only."""
    match = {"type": "object", "required": ["id", "record"], "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]+$"},
        "record": {"type": "object", "description": "the record, as its own route shows "
                   "its fields"}}}
    return {"/v1/ids/{kind}": get(
        "The ids of a kind of record that start with a prefix, among those the caller reads",
        [path_id("kind", "a kind of record kept whole at one state key, or `transaction`",
                 enum((*PROVABLE, TRANSACTION))),
         query("prefix", f"the id's first hex digits (at least {MIN_PREFIX_DIGITS})",
               {"type": "string",
                "pattern": f"^[0-9a-fA-F]{{{MIN_PREFIX_DIGITS},{2 * LONGEST_ID_BYTES}}}$"},
               required=True)],
        answer({"type": "object", "required": ["kind", "prefix", "matches", "more"],
                "properties": {"kind": {"type": "string"}, "prefix": {"type": "string"},
                               "matches": {"type": "array", "maxItems": MAX_MATCHES,
                                           "items": match},
                               "more": {"type": "boolean"}}},
               f"at most {MAX_MATCHES} matches in id order; more: the scan stopped before "
               "its end"), 400,
        more={"404": answer(ERROR, "proof.unknown_kind: not a kind of record kept by id")},
        description="A record the caller may not read is never a match, so that a prefix "
        "tells nothing of ids the caller does not read (contracts/id_prefixes.py). Kind "
        "`transaction`: the transactions committed, pending or rejected (as the node "
        "still remembers them) whose id starts with the prefix, each as GET /v1/txs/{id} "
        "shows it and only to whom that route shows it (its signers, the agency, the "
        f"regulators); at most {MAX_TX_SCANNED} committed ids are read per request "
        "(node/http/ids.py).")}
