"""The operator's paths (node/http/ops.py): liveness, readiness and the node's metrics."""

from __future__ import annotations

from typing import Any

from node.http.openapi.common import ERROR, answer
from node.metrics import CONTENT_TYPE

OK = {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}


def operator_paths() -> dict[str, Any]:
    """/health, /ready and /metrics."""
    return {
        "/health": {"get": {
            "summary": "Liveness: the process is up and its store answers",
            "responses": {"200": answer(OK, "healthy"), "503": answer(
                ERROR, "the store fails (store.corrupt, store.write_failed, store.empty) or "
                "the node is stopping (node.stopping)")}}},
        "/ready": {"get": {
            "summary": "Readiness: healthy, caught up with its peers and, for a validator, "
                       "linked to validators holding more than 2/3 of the power",
            "responses": {"200": answer(OK, "ready"), "503": answer(
                ERROR, "node.catching_up (behind the peers' head, or no head reported "
                "yet), node.no_quorum (a validator linked to too little power), or what "
                "/health answers")}}},
        "/metrics": {"get": {
            "summary": "The node's metrics in Prometheus' text format",
            "description": "Served to clients on a loopback or private network address "
            "only. The node's own figures: height, rounds, blocks, transactions, mempool, "
            "peers, sync lag, verification and execution time, API latency by route "
            "template, refusals by code, store size; no member address, no amount.",
            "responses": {
                "200": {"description": "metrics", "content": {
                    CONTENT_TYPE: {
                        "schema": {"type": "string"}}}},
                "403": answer(ERROR, "metrics.forbidden: the client is not on a loopback "
                              "or private network address")}}},
    }
