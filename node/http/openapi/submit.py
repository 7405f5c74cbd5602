"""The submission paths: POST /v1/txs and POST /v1/txs/batch (node/http/submit.py), and
the bounds they state, read from where they are enforced."""

from __future__ import annotations

from typing import Any

from contracts.documents import MAX_DOCUMENT_BYTES
from contracts.tx import MAX_LARGE_TX_BYTES, MAX_TX_BYTES
from node.http.openapi.common import ERROR, MAY_RETRY_AFTER, answer, error_answers
from node.http.schemas import HEX32, HEX32_OR_NULL, STR, record
from node.http.submit import MAX_BATCH_BODY_BYTES, MAX_BATCH_TXS, SMALL_BODY_BYTES

TX_HEX = {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$"}
BINARY = {"type": "string", "format": "binary"}
PENDING = record(["id", "status"], id=HEX32, status={"const": "pending"})


def submit_paths() -> dict[str, Any]:
    return {"/v1/txs": {"post": tx_operation()},
            "/v1/txs/batch": {"post": tx_batch_operation()}}


def tx_operation() -> dict[str, Any]:
    """POST /v1/txs: one signed transaction, as JSON hex or as its raw bytes."""
    return {
        "summary": "Submit a signed transaction",
        "description": "JSON {\"tx\": hex} or the raw canonical bytes as "
        "application/msgpack. Checked on arrival: 202 means it is pending. Each "
        "client (by IP address) may submit a burst, then a steady rate; past that "
        "it is answered 429 with Retry-After, as is a transaction of a member over "
        "its quota of pending transactions ([limits] of network.toml). A full "
        "mempool answers 503 mempool.full with Retry-After. A transaction is at "
        f"most {MAX_TX_BYTES >> 10} KiB, except a "
        f"document attachment (at most {MAX_LARGE_TX_BYTES} bytes: a sealed document "
        f"of up to {MAX_DOCUMENT_BYTES} bytes), best sent as raw bytes; bodies over "
        f"{SMALL_BODY_BYTES >> 10} KiB are received a few at a time, and past that "
        "answered 503 submit.busy with Retry-After.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": record(["tx"], tx={
                **TX_HEX, "maxLength": 2 * MAX_LARGE_TX_BYTES,
                "description": "the signed transaction's canonical bytes"})},
            "application/msgpack": {"schema": BINARY},
        }},
        "responses": {
            "202": answer(PENDING, "accepted, pending"),
            **error_answers(400, 403, 408, 409, 413, 415, 422, 429),
            "503": {**answer(ERROR, "mempool.full or submit.busy (retry after "
                             "Retry-After seconds), or store.corrupt / store.write_failed"),
                    "headers": MAY_RETRY_AFTER},
        },
    }


def tx_batch_operation() -> dict[str, Any]:
    """POST /v1/txs/batch: many signed transactions, an answer for each in the order sent."""
    outcome = {"oneOf": [
        PENDING,
        record(["id", "error"], id={**HEX32_OR_NULL, "description": "null when the "
                                     "bytes do not decode as a transaction"},
               error=record(["code", "message"], code=STR, message=STR)),
    ]}
    return {
        "summary": f"Submit up to {MAX_BATCH_TXS:,} signed transactions at once",
        "description": "JSON {\"txs\": [hex, ...]} or, as application/msgpack, one msgpack "
        f"array of byte strings (bin): at most {MAX_BATCH_TXS} transactions and "
        f"{MAX_BATCH_BODY_BYTES} bytes of body (ordinary transactions; a document "
        "attachment goes to POST /v1/txs). Each is checked as POST /v1/txs checks one, in "
        "the order sent, and `results` says for each, in that order, that it is pending "
        "(sent again, it is still pending) or the error POST /v1/txs would have answered "
        "(tx.bad_signature, tx.wrong_chain, tx.replay, mempool.full, a rule's code...); "
        "when one met mempool.full the answer carries Retry-After. A body that is not one "
        "array of byte strings (request.bad_msgpack, request.bad_json, request.bad_batch, "
        "request.bad_hex) or holds too many (request.too_many_txs) is refused whole, "
        "nothing admitted. A batch of n costs the client n tokens of its submission "
        "budget (at least one), all or nothing: without them it is answered 429. A few "
        "batches are received at once, some more wait, and past that 503 submit.busy.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": record(["txs"], txs={
                "type": "array", "maxItems": MAX_BATCH_TXS,
                "items": {**TX_HEX, "description": "a signed transaction's canonical bytes"}})},
            "application/msgpack": {"schema": {**BINARY,
                                               "description": "a msgpack array of bin"}},
        }},
        "responses": {
            "200": {**answer(record(["results"], results={"type": "array",
                                                          "items": outcome}),
                             "the outcome of each transaction, in the order sent"),
                    "headers": MAY_RETRY_AFTER},
            **error_answers(400, 403, 408, 415, 429),
            "413": answer(ERROR, "request.too_large: the body exceeds "
                          f"{MAX_BATCH_BODY_BYTES} bytes"),
            "503": {**answer(ERROR, "submit.busy (retry after Retry-After seconds), or "
                             "store.corrupt / store.write_failed"),
                    "headers": MAY_RETRY_AFTER},
        },
    }
