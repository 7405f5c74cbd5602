"""What every family of paths is built from: parameters (path ids, queries, paging),
answers (JSON bodies, pages of records, errors) and one GET operation of them."""

from __future__ import annotations

from contracts.tx import MAX_LARGE_TX_BYTES
from node.http.params import DEFAULT_PAGE, MAX_PAGE, MAX_WAIT_MS
from node.http.schemas import NEXT, ref

# What the API takes in a path or a query: 64 hex digits, either case.
HEX32_IN = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
ERROR = {"$ref": "#/components/schemas/Error"}
RETRY_AFTER = {"Retry-After": {
    "description": "seconds to wait before trying again", "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
# An answer that carries Retry-After only when it asks the client to come back.
MAY_RETRY_AFTER = {"Retry-After": {**RETRY_AFTER["Retry-After"], "required": False}}


def answer(schema: dict, description: str) -> dict:
    """A JSON answer of this schema."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_TEXT = {
    400: "bad input: request.*, codec.*, address.malformed, tx.* (signature, chain, "
         "contract, expiry)",
    403: "observer.read_only: this node takes no submissions",
    404: "not_found",
    408: "request.body_timeout: the body came slower than the node's minimum rate (after a "
         "grace of seconds); the connection is closed",
    409: "tx.replay: already on the ledger",
    413: "request.too_large: the body exceeds the hex of the largest transaction in JSON "
         f"(2 x {MAX_LARGE_TX_BYTES} bytes + 64 KiB)",
    415: "request.encoding_refused: a body with a Content-Encoding other than identity; "
         "bodies are taken uncompressed",
    422: "a rule of the ledger refuses it (issuance.*, membership.*, ...)",
    429: "submit.rate_limited: this client submits faster than the node allows; "
         "mempool.member_quota: a member that signed it has its share of the mempool "
         "pending; mempool.member_throttled: that member's transactions failed their rules "
         "in blocks lately; retry after Retry-After seconds",
    503: "store.corrupt or store.write_failed: the node stopped serving its store",
}


def error_answers(*statuses: int) -> dict:
    """Error answers; every operation that reads the store may also answer 503."""
    out = {str(s): answer(ERROR, ERROR_TEXT[s]) for s in statuses}
    if "429" in out:
        out["429"]["headers"] = RETRY_AFTER
    out.setdefault("503", answer(ERROR, ERROR_TEXT[503]))
    return out


def path_id(name: str, description: str, schema: dict | None = None) -> dict:
    """A path parameter: 64 hex digits unless `schema` says otherwise."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or HEX32_IN}


def query(name: str, description: str, schema: dict | None = None,
          required: bool = False) -> dict:
    """A query parameter: 64 hex digits unless `schema` says otherwise."""
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or HEX32_IN}


def cursor(digits: int, description: str) -> dict:
    """The `after` query: a cursor of so many hex digits."""
    return query("after", description,
                 {"type": "string", "pattern": f"^[0-9a-fA-F]{{{digits}}}$"})


LIMIT = query("limit", f"page size (default {DEFAULT_PAGE})",
              {"type": "integer", "minimum": 1, "maximum": MAX_PAGE})
PAGING = [LIMIT, cursor(64, "cursor: the `next` of the previous page")]
WAIT_MS = {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_MS}
STATUS_FILTER = "only records with this status"


def page(key: str, item: str, description: str) -> dict:
    """A page of records: `key` holds them (each an `item`), `next` the cursor."""
    return answer({"type": "object", "required": [key, "next"], "properties": {
        key: {"type": "array", "items": ref(item)}, "next": NEXT}}, description)


def bare_page(key: str, item: str, description: str) -> dict:
    """A page as the first listings (vouchers, members, applications) describe it: no key
    required, `next` without its description."""
    return answer({"type": "object", "properties": {
        key: {"type": "array", "items": ref(item)},
        "next": {"type": ["string", "null"]}}}, description)


def get(summary: str, parameters: list, ok: dict, *errors: int, description: str = "",
        more: dict | None = None) -> dict:
    """A path item with one GET: 200 answers `ok`, each of `errors` its error, `more`
    the other answers."""
    operation = {"summary": summary, "parameters": parameters,
                 "responses": {"200": ok, **error_answers(*errors), **(more or {})}}
    if description:
        operation["description"] = description
    return {"get": operation}
