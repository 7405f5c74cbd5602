"""The HTTP API's application: JSON under /v1, every route and what it answers with.

The families of routes live beside this module: params (request parameters, error
answers), submit (transactions), chain (status, blocks, transactions, events, evidence),
vouchers, members, settlement, setoff and plan (the set-off plan), explorer (the
regulator's page and its reads), openapi (the document that describes every answer).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from aiohttp import web

from node.front import FRONT_LIMITS, FRONT_LOG, FrontLimits, answer_deadline, throttled_logger
from node.http.auth import RequestVerifier, request_auth
from node.http.chain import (
    get_block,
    get_events,
    get_status,
    get_tx,
    list_evidence,
)
from node.http.explorer import add_explorer
from node.http.members import (
    get_application,
    get_document,
    get_fee_account,
    get_fee_schedule,
    get_member,
    list_applications,
    list_members,
)
from node.http.openapi import openapi_document
from node.http.params import API_LOG, MAX_BODY_BYTES, NODE, errors_as_json
from node.http.plan import PLANNER, Planner, finish_plans, get_setoff_plan
from node.http.setoff import (
    get_setoff_limit,
    get_setoff_mandates,
    get_setoff_round,
    get_setoff_run,
    get_setoff_run_batch,
    get_setoff_totals,
    list_setoff_rounds,
    list_setoff_runs,
)
from node.http.settlement import (
    get_obligation,
    get_offer,
    get_redemption,
    list_obligations,
    list_offers,
    list_redemptions,
)
from node.http.submit import (
    BATCH_GATE,
    BATCH_SLOTS,
    CLIENT_KEY,
    LARGE_READ_GATE,
    LARGE_READERS,
    LARGE_READS,
    MAX_BATCH_WAITING,
    SUBMIT_BUCKETS,
    BatchGate,
    ClientBuckets,
    SubmitLimit,
    post_tx,
    post_tx_batch,
    remote_address,
)
from node.http.vouchers import (
    get_commitment,
    get_debtor,
    get_holder,
    get_origin,
    get_pledge,
    get_voucher,
    get_voucher_lineage,
    list_commitments,
    list_pledges,
    list_vouchers,
)
from node.service import Node

log = logging.getLogger("claimledger.api")

async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def make_app(node: Node, submit_limit: SubmitLimit | None = None,
             client_key: Callable[[web.Request], str] = remote_address,
             front_limits: FrontLimits | None = None) -> web.Application:
    """The HTTP API (peer links have their own TLS listener, node/peers.py).

    `submit_limit` bounds each client's submissions (default: the node's [limits]);
    `client_key` names the client a request counts against (default its IP address);
    `front_limits` what one connection may cost (node/front.py, default `FrontLimits()`;
    served with node.front.start_front, which applies its connection limits).
    """
    # make_app(None) only lists the routes (tests/test_node_process.py).
    verifier = RequestVerifier(node.chain.chain_id if node is not None else "")
    # The deadline outermost: it sends every answer, error answers included.
    app = web.Application(client_max_size=MAX_BODY_BYTES,
                          middlewares=[answer_deadline, errors_as_json,
                                       request_auth(verifier, max_body_bytes=MAX_BODY_BYTES)])
    app[NODE] = node
    app[FRONT_LIMITS] = front_limits or FrontLimits()
    app[API_LOG] = throttled_logger(log.name, app[FRONT_LIMITS])  # bugs any client may reach
    app[FRONT_LOG] = throttled_logger("claimledger.http", app[FRONT_LIMITS])
    app[PLANNER] = Planner()
    app.on_cleanup.append(finish_plans)
    app[SUBMIT_BUCKETS] = ClientBuckets(submit_limit or SubmitLimit.of(node.config.limits))
    app[LARGE_READ_GATE] = asyncio.Semaphore(LARGE_READS)
    app[LARGE_READERS] = Counter()
    app[BATCH_GATE] = BatchGate(BATCH_SLOTS, MAX_BATCH_WAITING)
    app[CLIENT_KEY] = client_key
    app.add_routes([
        web.get("/v1/status", get_status),
        web.post("/v1/txs", post_tx),
        web.post("/v1/txs/batch", post_tx_batch),
        web.get("/v1/txs/{id}", get_tx),
        web.get("/v1/blocks/{height}", get_block),
        web.get("/v1/vouchers", list_vouchers),
        web.get("/v1/vouchers/{id}", get_voucher),
        web.get("/v1/vouchers/{id}/lineage", get_voucher_lineage),
        web.get("/v1/holders/{address}", get_holder),
        web.get("/v1/debtors/{address}", get_debtor),
        web.get("/v1/origins/{id}", get_origin),
        web.get("/v1/pledges", list_pledges),
        web.get("/v1/pledges/{id}", get_pledge),
        web.get("/v1/commitments", list_commitments),
        web.get("/v1/commitments/{id}", get_commitment),
        web.get("/v1/offers", list_offers),
        web.get("/v1/offers/{id}", get_offer),
        web.get("/v1/redemptions", list_redemptions),
        web.get("/v1/redemptions/{id}", get_redemption),
        web.get("/v1/fees", get_fee_schedule),
        web.get("/v1/fees/{address}", get_fee_account),
        web.get("/v1/obligations", list_obligations),
        web.get("/v1/obligations/{id}", get_obligation),
        web.get("/v1/setoff/rounds", list_setoff_rounds),
        web.get("/v1/setoff/rounds/{id}", get_setoff_round),
        web.get("/v1/setoff/plan", get_setoff_plan),
        web.get("/v1/setoff/limits/{member}", get_setoff_limit),
        web.get("/v1/setoff/totals", get_setoff_totals),
        web.get("/v1/setoff/mandates/{member}", get_setoff_mandates),
        web.get("/v1/setoff/runs", list_setoff_runs),
        web.get("/v1/setoff/runs/{id}", get_setoff_run),
        web.get("/v1/setoff/runs/{id}/batches/{number}", get_setoff_run_batch),
        web.get("/v1/events", get_events),
        web.get("/v1/members", list_members),
        web.get("/v1/members/{address}", get_member),
        web.get("/v1/applications", list_applications),
        web.get("/v1/applications/{id}", get_application),
        web.get("/v1/documents/{id}", get_document),
        web.get("/v1/evidence", list_evidence),
        web.get("/v1/openapi.json", get_openapi),
    ])
    add_explorer(app)  # the regulator's explorer at /explorer/ and the reads it needs
    return app
