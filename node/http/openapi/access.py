"""Who may call what, laid over every path once the families are assembled: a signed
request (401 without), the ledger's read rules (403), and a co-sign draft a read may carry
(node/http/auth.py and node/http/reads.py enforce them)."""

from __future__ import annotations

from typing import Any

from node.http.openapi.common import ERROR, answer
from node.http.reads import DRAFT_HEADER, MAX_DRAFT_BYTES

# Routes that hold no member's business: no signature, no read rule (node.http.app's
# OPEN_PATHS, the routes it reaches "open"; tests/test_openapi_layout.py holds them equal).
OPEN_PATHS = frozenset({"/v1/status", "/v1/openapi.json", "/explorer/", "/explorer/{file}",
                        "/explorer/sign-in", "/explorer/sign-out", "/health", "/ready",
                        "/metrics"})
DRAFT = {"name": DRAFT_HEADER, "in": "header", "required": False,
         "description": "A member asked to co-sign a transaction on a voucher state (a bank "
         "on a pledge, an acquirer, a merchant on a payment) presents the draft it was asked "
         f"to sign: the transaction's canonical bytes in hex (at most {MAX_DRAFT_BYTES} "
         "bytes), signed by the voucher's holder and not yet by the caller. It then reads "
         "what it needs to decide: the voucher state, its lineage and its pledge. A draft "
         "that grants nothing is answered 403 read.bad_draft; malformed hex 400 "
         "request.bad_draft.",
         "schema": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$",
                    "maxLength": 2 * MAX_DRAFT_BYTES}}
READ_ERRORS = {
    "401": answer(ERROR, "auth.required, auth.bad_signature, auth.stale, auth.replayed, "
                  "auth.key_rotated: the request is not signed by a member key "
                  "(X-Claimledger-Member, -Time, -Nonce, -Signature), was sent before, or is "
                  "signed by a key its member replaced"),
    "403": answer(ERROR, "read.forbidden: the ledger's read rules do not let the caller read "
                  "this record or listing (a member lists its own records only); "
                  f"read.bad_draft: the {DRAFT_HEADER} grants nothing"),
}
BAD_DRAFT = answer(ERROR, f"request.bad_draft: the {DRAFT_HEADER} header is not hex of "
                   f"at most {MAX_DRAFT_BYTES} bytes")


def with_read_access(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation but the open ones answers 401 unsigned and 403 when the read rules
    refuse; every read takes a co-sign draft."""
    for path, operations in paths.items():
        if path in OPEN_PATHS:
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses["401"] = READ_ERRORS["401"]
            if method == "get":
                responses["403"] = READ_ERRORS["403"]
                responses.setdefault("400", BAD_DRAFT)
                operation["parameters"] = [*operation.get("parameters", []), DRAFT]
    return paths
