"""The document assembled: its info, every family's paths in one table, the read access
laid over them, and the record schemas of node/http/schemas.py."""

from __future__ import annotations

from typing import Any

from node.http.openapi.access import with_read_access
from node.http.openapi.chain import chain_paths
from node.http.openapi.common import answer
from node.http.openapi.credit import credit_paths
from node.http.openapi.explorer import explorer_paths
from node.http.openapi.funding import funding_paths
from node.http.openapi.members import member_paths
from node.http.openapi.operator import operator_paths
from node.http.openapi.records import id_paths, proof_paths
from node.http.openapi.reports import report_paths
from node.http.openapi.setoff import setoff_paths
from node.http.openapi.settlement import settlement_paths
from node.http.openapi.submit import submit_paths
from node.http.openapi.supervision import supervision_paths
from node.http.openapi.vouchers import voucher_paths
from node.http.schemas import OBJECT, RECORD_SCHEMAS

INFO = {
    "title": "Claimledger node API",
    "version": "1",
    "description": "Receivable claim vouchers (应收账款债权凭证) on a permissioned "
    "ledger. Money is integer fen; times are ledger milliseconds since 1970 UTC; "
    "ids, addresses and bytes are lowercase hex in answers (either case in paths and "
    "queries). Errors are "
    '{"error": {"code", "message"}} with a stable code. Validators link to '
    "each other over TLS websockets at /v1/peer on their peer address, not on this "
    "API. Every request but /v1/status, /health, /ready, /metrics, this document "
    "and the explorer's files is "
    "signed by a member key (headers X-Claimledger-Member, -Time, -Nonce, "
    "-Signature; the wallet adds them; the Member header is the key that signed, "
    "the member's current key: a replaced key is 401 auth.key_rotated), and "
    "answers only what the ledger's read rules let that member read (403 "
    "read.forbidden otherwise).",
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the HTTP API, as GET /v1/openapi.json serves it."""
    paths = {
        **chain_paths(),
        **submit_paths(),
        **voucher_paths(),
        **settlement_paths(),
        **funding_paths(),
        **member_paths(),
        **supervision_paths(),
        **credit_paths(),
        **setoff_paths(),
        **report_paths(),
        **proof_paths(),
        **id_paths(),
        **explorer_paths(),
        **operator_paths(),
        "/v1/openapi.json": {"get": {
            "summary": "This document",
            "responses": {"200": answer(OBJECT, "OpenAPI document")},
        }},
    }
    return {"openapi": "3.1.0", "info": INFO, "paths": with_read_access(paths),
            "components": {"schemas": RECORD_SCHEMAS}}
