"""The OpenAPI 3.1 document of the HTTP API, served at /v1/openapi.json."""

from __future__ import annotations

from typing import Any

HEX32 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    text = {400: "bad input", 403: "read-only node", 404: "not found", 409: "replay",
            413: "body too large", 422: "a rule refuses it", 503: "mempool full, retry"}
    return {str(s): _json(ERROR, text[s]) for s in statuses}


def _path_id(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


PAGING = [
    _query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 1000}),
    _query("after", "cursor: the `next` of the previous page"),
]

OBJECT = {"type": "object"}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Claimledger node API",
            "version": "1",
            "description": "Receivable claim vouchers (应收账款债权凭证) on a permissioned "
            "ledger. Money is integer fen; times are ledger milliseconds since 1970 UTC; "
            "ids, addresses and bytes are lowercase hex. Errors are "
            '{"error": {"code", "message"}} with a stable code.',
        },
        "paths": {
            "/v1/status": {"get": {
                "summary": "Chain id, this node, head height, block id and state root",
                "responses": {"200": _json({"$ref": "#/components/schemas/Status"}, "status")},
            }},
            "/v1/txs": {"post": {
                "summary": "Submit a signed transaction",
                "description": "JSON {\"tx\": hex} or the raw canonical bytes as "
                "application/msgpack. Checked on arrival: 202 means it is pending.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["tx"],
                        "properties": {"tx": {"type": "string"}}}},
                    "application/msgpack": {"schema": {"type": "string",
                                                       "format": "binary"}},
                }},
                "responses": {
                    "202": _json({"type": "object", "required": ["id", "status"], "properties": {
                        "id": HEX32, "status": {"const": "pending"}}}, "accepted, pending"),
                    **_errors(400, 403, 409, 413, 422, 503),
                },
            }},
            "/v1/txs/{id}": {"get": {
                "summary": "A transaction's status (pending, committed, rejected), block and "
                "result",
                "parameters": [
                    _path_id("id", "transaction id"),
                    _query("wait_ms", "wait up to this long while it is pending",
                           {"type": "integer", "minimum": 0, "maximum": 30000}),
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/Tx"}, "the tx"),
                              **_errors(400, 404)},
            }},
            "/v1/blocks/{height}": {"get": {
                "summary": "A block: header, transaction ids, commit certificate, events",
                "parameters": [_path_id("height", "block height")],
                "responses": {"200": _json({"$ref": "#/components/schemas/Block"}, "block"),
                              **_errors(400, 404)},
            }},
            "/v1/vouchers": {"get": {
                "summary": "Vouchers by holder or by debtor, optionally by status",
                "parameters": [_query("holder", "holder address"),
                               _query("debtor", "debtor address"),
                               _query("status", "active, consumed or cancelled"), *PAGING],
                "responses": {"200": _json({"type": "object", "properties": {
                    "vouchers": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Voucher"}},
                    "next": {"type": ["string", "null"]}}}, "a page of vouchers"),
                    **_errors(400)},
            }},
            "/v1/vouchers/{id}": {"get": {
                "summary": "A voucher state with its lineage back to the issued voucher",
                "parameters": [_path_id("id", "voucher id")],
                "responses": {"200": _json({"$ref": "#/components/schemas/Voucher"}, "voucher"),
                              **_errors(400, 404)},
            }},
            "/v1/members": {"get": {
                "summary": "Members, in address order",
                "parameters": PAGING,
                "responses": {"200": _json({"type": "object", "properties": {
                    "members": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Member"}},
                    "next": {"type": ["string", "null"]}}}, "a page of members"),
                    **_errors(400)},
            }},
            "/v1/members/{address}": {"get": {
                "summary": "A member: name, roles, status",
                "parameters": [_path_id("address", "member address")],
                "responses": {"200": _json({"$ref": "#/components/schemas/Member"}, "member"),
                              **_errors(400, 404)},
            }},
            "/v1/applications": {"get": {
                "summary": "Issuance applications by creditor or by debtor",
                "parameters": [_query("creditor", "creditor address"),
                               _query("debtor", "debtor address"), *PAGING],
                "responses": {"200": _json({"type": "object", "properties": {
                    "applications": {"type": "array", "items": OBJECT},
                    "next": {"type": ["string", "null"]}}}, "a page of applications"),
                    **_errors(400)},
            }},
            "/v1/applications/{id}": {"get": {
                "summary": "An issuance application and its status",
                "parameters": [_path_id("id", "application id (the apply transaction's id)")],
                "responses": {"200": _json(OBJECT, "application"), **_errors(400, 404)},
            }},
            "/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": _json(OBJECT, "OpenAPI document")},
            }},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            "Status": {"type": "object",
                       "required": ["chain_id", "node", "role", "height", "state_root"],
                       "properties": {
                           "chain_id": {"type": "string"}, "node": {"type": "string"},
                           "role": {"enum": ["validator", "observer"]},
                           "height": {"type": "integer"}, "state_root": HEX32,
                           "block_id": HEX32, "time_ms": {"type": "integer"}}},
            "Tx": {"type": "object", "required": ["id", "status"], "properties": {
                "id": HEX32, "status": {"enum": ["pending", "committed", "rejected"]},
                "height": {"type": "integer"}, "operation": {"type": "string"},
                "body": {"type": ["object", "null"]}, "events": {"type": "array"},
                "error": {"type": "object"}}},
            "Block": {"type": "object", "required": ["id", "header", "txs"], "properties": {
                "id": HEX32, "header": OBJECT, "txs": {"type": "array", "items": HEX32},
                "certificate": {"type": ["object", "null"]}, "events": {"type": "array"}}},
            "Voucher": {"type": "object", "required": ["id", "holder", "debtor", "amount_fen"],
                        "properties": {
                            "id": HEX32, "origin": HEX32, "holder": HEX32, "debtor": HEX32,
                            "amount_fen": {"type": "integer"}, "due_ms": {"type": "integer"},
                            "status": {"type": "string"},
                            "lineage": {"type": "array", "items": HEX32}}},
            "Member": {"type": "object", "required": ["address", "name", "roles", "status"],
                       "properties": {
                           "address": HEX32, "name": {"type": "string"},
                           "roles": {"type": "array", "items": {"type": "string"}},
                           "status": {"enum": ["active", "suspended"]}}},
        }},
    }
