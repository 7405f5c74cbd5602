"""Record proofs: a record (or its absence) with its Merkle proof against the state root
of the node's head, for a caller the read rules let learn it.

GET /v1/proofs/{kind}/{id} answers

    {"kind", "id", "height", "state_root", "key", "value", "record", "proof", "siblings"}

`key` is the state key (hex), `value` the bytes stored there (hex; null: absent), `record`
the record those bytes decode to as the record routes show its fields (null: absent),
`proof` the hex of the canonical encoding of contracts.state_tree.Proof, and `siblings`
its number of siblings. `state_tree.verify(state_root, key, value, proof)` holds; the
root is the one in the header of block `height` (GET /v1/blocks/{height}). The kinds,
their ids and who may learn what are contracts.record_proofs'.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.codec import encode, to_json
from contracts.errors import LedgerError
from contracts.record_proofs import RecordProof, provable, prove_record
from node.http.params import NODE, hex_bytes
from node.http.reads import reader


def proof_view(height: int, found: RecordProof) -> dict[str, Any]:
    """A record proof as the API shows it."""
    return {
        "kind": found.provable.kind,
        "id": found.record_id.hex(),
        "height": height,
        "state_root": found.root.hex(),
        "key": found.key.hex(),
        "value": None if found.value is None else found.value.hex(),
        "record": None if found.record is None else to_json(found.record),
        "proof": encode(found.proof).hex(),
        "siblings": len(found.proof.siblings),
    }


def record_id(text: str, id_bytes: int, kind: str) -> bytes:
    """The path's id: `id_bytes` bytes in hex; `request.bad_id` (400) otherwise."""
    raw = hex_bytes(text, id_bytes)
    if raw is None or len(raw) != id_bytes:
        raise LedgerError("request.bad_id", f"a {kind.replace('_', ' ')} id is "
                          f"{2 * id_bytes} hex digits")
    return raw


async def get_record_proof(request: web.Request) -> web.Response:
    """A record of any provable kind, or its absence, proven against the head's state
    root. The head, the state and the tree are read with no await between them, so all
    three are of one height (a block commits on this event loop)."""
    caller = reader(request)
    kind = provable(request.match_info["kind"])
    raw_id = record_id(request.match_info["id"], kind.id_bytes, kind.kind)
    node = request.app[NODE]
    head = node.chain.head
    found = prove_record(node.store, node.store.tree, head.state_root, caller, kind, raw_id)
    return web.json_response(proof_view(head.height, found))
