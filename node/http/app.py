"""The HTTP API's application: JSON under /v1, every route and what it answers with.

Every request but those to the open routes is signed by a member key (node/http/auth.py
checks it before any handler runs); each handler then answers only what the ledger's read
rules (contracts/access.py) let that member read. `ROUTE_READS` says, once for the whole
API, which kinds of records each route answers with and how it is reached.

The families of routes live beside this module: params (request parameters, error
answers), submit (transactions), chain (status, blocks, transactions, events, evidence),
headers (certified headers for light clients), vouchers, transfers (pending transfers),
members, settlement, products (funders' products), sales (claims sold to funders), setoff
and plan (the set-off plan), explorer (the regulator's page and its reads), openapi (the
document that describes every answer).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from contracts import membership
from contracts.record_proofs import READ_KINDS as PROOF_READS
from contracts.requests import EXEMPT_PATHS, member_of_key
from node.front import FRONT_LIMITS, FRONT_LOG, FrontLimits, answer_deadline, throttled_logger
from node.http.alerts import add_alerts
from node.http.auth import RequestVerifier, request_auth
from node.http.chain import (
    get_block,
    get_events,
    get_status,
    get_tx,
    list_evidence,
)
from node.http.credit import ROUTES as CREDIT_ROUTES
from node.http.explorer import add_explorer
from node.http.financing import get_request as get_financing_request
from node.http.financing import list_requests as list_financing_requests
from node.http.headers import get_genesis_header, get_headers
from node.http.ids import get_ids
from node.http.members import (
    get_application,
    get_document,
    get_fee_account,
    get_fee_schedule,
    get_member,
    list_applications,
    list_document_grants,
    list_grants,
    list_members,
)
from node.http.nodes import get_nodes, list_proposals
from node.http.openapi import openapi_document
from node.http.ops import get_health, get_metrics, get_ready, measured
from node.http.params import API_LOG, MAX_BODY_BYTES, NODE, errors_as_json
from node.http.plan import PLANNER, Planner, finish_plans, get_setoff_plan
from node.http.products import get_product, list_products
from node.http.proofs import get_record_proof
from node.http.reports import add_reports
from node.http.sales import get_sale, list_sales
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
    SMALL_BODY_BYTES,
    SUBMIT_BUCKETS,
    BatchGate,
    ClientBuckets,
    SubmitLimit,
    body_slot,
    post_tx,
    post_tx_batch,
    remote_address,
)
from node.http.supervision import ROUTES as SUPERVISION_ROUTES
from node.http.transfers import get_transfer, list_transfers
from node.http.vouchers import (
    get_commitment,
    get_debtor,
    get_holder,
    get_origin,
    get_pledge,
    get_pledge_certificate,
    get_voucher,
    get_voucher_lineage,
    list_commitments,
    list_pledges,
    list_vouchers,
)
from node.service import Node

log = logging.getLogger("claimledger.api")

# How a route is reached: open (no signature: it holds no member's business), write (a
# signed submission; the transaction's own signatures decide), record (each record by
# its rule), own (a listing: a member lists its own records, the agency and regulators
# any), oversight (the agency's and the regulators' only).
REACHES = ("open", "write", "record", "own", "oversight")


@dataclass(frozen=True)
class Reads:
    """What one route answers with: the kinds of records (rows of contracts.access.TABLE),
    the first the route's own, the rest those its views mix in; and how it is reached."""

    reach: str
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.reach in REACHES, self.reach
        assert (self.reach in ("open", "write")) == (not self.kinds), self


# Every route of the API, "METHOD path" as the router spells it.
ROUTE_READS: dict[str, Reads] = {
    "GET /v1/status": Reads("open"),
    "POST /v1/txs": Reads("write"),
    "POST /v1/txs/batch": Reads("write"),
    "GET /v1/txs/{id}": Reads("record", ("transaction", "event")),
    "GET /v1/blocks/{height}": Reads("record", ("block", "event", "evidence")),
    "GET /v1/headers": Reads("record", ("block",)),
    "GET /v1/headers/genesis": Reads("record", ("block",)),
    "GET /v1/vouchers": Reads("own", ("voucher",)),
    "GET /v1/vouchers/{id}": Reads("record", ("voucher", "lineage", "origin")),
    "GET /v1/vouchers/{id}/lineage": Reads("record", ("lineage", "voucher")),
    "GET /v1/holders/{address}": Reads("record", ("holder_totals",)),
    "GET /v1/debtors/{address}": Reads("record", ("debtor_record",)),
    "GET /v1/origins/{id}": Reads("record", ("origin",)),
    "GET /v1/pledges": Reads("own", ("pledge", "pledge_notice")),
    "GET /v1/pledges/certificate": Reads("record", ("pledge_notice",)),
    "GET /v1/pledges/{id}": Reads("record", ("pledge",)),
    "GET /v1/commitments": Reads("own", ("commitment", "voucher")),
    "GET /v1/commitments/{id}": Reads("record", ("commitment", "sale")),
    "GET /v1/offers": Reads("record", ("offer",)),
    "GET /v1/offers/{id}": Reads("record", ("offer",)),
    "GET /v1/products": Reads("record", ("product",)),
    "GET /v1/products/{id}": Reads("record", ("product",)),
    "GET /v1/financing/requests": Reads("own", ("financing_request",)),
    "GET /v1/financing/requests/{id}": Reads("record",
                                             ("financing_request", "financing_answer")),
    "GET /v1/sales": Reads("own", ("claim_sale",)),
    "GET /v1/sales/{id}": Reads("record", ("claim_sale",)),
    "GET /v1/transfers": Reads("own", ("transfer",)),
    "GET /v1/transfers/{id}": Reads("record", ("transfer",)),
    "GET /v1/redemptions": Reads("own", ("redemption",)),
    "GET /v1/redemptions/{id}": Reads("record", ("redemption",)),
    "GET /v1/fees": Reads("record", ("fee_schedule",)),
    "GET /v1/fees/{address}": Reads("record", ("fee_account",)),
    "GET /v1/obligations": Reads("own", ("obligation",)),
    "GET /v1/obligations/{id}": Reads("record", ("obligation",)),
    "GET /v1/setoff/rounds": Reads("own", ("setoff_round",)),
    "GET /v1/setoff/rounds/{id}": Reads("record", ("setoff_round",)),
    "GET /v1/setoff/plan": Reads("oversight", ("setoff_plan",)),
    "GET /v1/setoff/limits/{member}": Reads("record", ("setoff_limit",)),
    "GET /v1/setoff/totals": Reads("record", ("setoff_totals",)),
    "GET /v1/setoff/mandates/{member}": Reads("record", ("setoff_mandate",)),
    "GET /v1/setoff/runs": Reads("own", ("setoff_run", "setoff_usage")),
    "GET /v1/setoff/runs/{id}": Reads("record", ("setoff_run", "setoff_usage")),
    "GET /v1/setoff/runs/{id}/batches/{number}": Reads("record", ("setoff_batch",)),
    "GET /v1/events": Reads("own", ("event",)),
    "GET /v1/members": Reads("record", ("member",)),
    "GET /v1/members/{address}": Reads("record", ("member",)),
    "GET /v1/applications": Reads("own", ("application",)),
    "GET /v1/applications/{id}": Reads("record", ("application",)),
    "GET /v1/documents/{id}": Reads("record", ("document", "grant")),
    "GET /v1/documents/{id}/grants": Reads("record", ("grant", "document")),
    "GET /v1/grants": Reads("own", ("grant",)),
    "GET /v1/evidence": Reads("record", ("evidence",)),
    # Court freezes and disputes (node/http/supervision.py).
    "GET /v1/freezes": Reads("own", ("freeze",)),
    "GET /v1/freezes/{id}": Reads("record", ("freeze",)),
    "GET /v1/disputes": Reads("own", ("dispute",)),
    "GET /v1/disputes/{id}": Reads("record", ("dispute",)),
    "GET /v1/nodes": Reads("record", ("node",)),
    "GET /v1/nodes/proposals": Reads("record", ("node",)),
    # Any provable kind (contracts.record_proofs.PROVABLE), each by its read rule.
    "GET /v1/proofs/{kind}/{id}": Reads("record", PROOF_READS),
    # Ids of any provable kind by prefix, only those the caller reads (node/http/ids.py);
    # and of transactions (kind `transaction`), those GET /v1/txs/{id} shows the caller.
    "GET /v1/ids/{kind}": Reads("record", (*PROOF_READS, "transaction", "event")),
    "GET /v1/openapi.json": Reads("open"),
    # The operator's: liveness and readiness (ok or a code), and the node's own figures
    # for Prometheus (clients on a private address only: node/http/ops.py).
    "GET /health": Reads("open"),
    "GET /ready": Reads("open"),
    "GET /metrics": Reads("open"),
    # The explorer's static files hold no data: its pages read through /v1, signed in.
    "GET /explorer/": Reads("open"),
    "GET /explorer/{file}": Reads("open"),
    # Sign-in: a one-time link for the agency or a regulator (signed), spent by a browser.
    "POST /v1/explorer/sign-in": Reads("write"),
    "GET /explorer/sign-in": Reads("open"),
    "GET /explorer/sign-out": Reads("open"),
    "GET /v1/overview": Reads("oversight", ("block", "debtor_record", "setoff_totals")),
    "GET /v1/registry/debtors": Reads("oversight", ("debtor_record",)),
    "GET /v1/registry/pledges": Reads("oversight", ("pledge",)),
    "GET /v1/registry/financing": Reads("oversight", ("financing_request",)),
    "GET /v1/registry/sales": Reads("oversight", ("claim_sale",)),
    "GET /v1/registry/commitments": Reads("oversight", ("commitment",)),
    "GET /v1/registry/rounds": Reads("oversight", ("setoff_round",)),
    "GET /v1/registry/fees": Reads("oversight", ("fee_account",)),
    # Credit limits and the blacklist (node/http/credit.py).
    "GET /v1/credit/limits": Reads("oversight", ("debtor_credit", "listing")),
    "GET /v1/credit/debtors/{address}": Reads("record", ("debtor_credit", "listing")),
    "GET /v1/credit/exposures/{funder}/{debtor}": Reads("record", ("exposure",)),
    "GET /v1/credit/blacklist": Reads("record", ("listing",)),
    "GET /v1/credit/criteria": Reads("record", ("blacklist_criteria",)),
    # Period reports sum every member's business: the agency's and regulators'. A member
    # reads the report of its own business too, with member= its own address
    # (contracts.reports.may_read_report).
    "GET /v1/reports": Reads("oversight", (
        "report", "voucher", "application", "pledge", "financing_request", "claim_sale",
        "redemption", "setoff_round", "setoff_batch")),
    "GET /v1/alerts": Reads("oversight", ("voucher", "application", "pledge",
                                          "debtor_record", "dispute", "freeze")),
}
OPEN_PATHS = EXEMPT_PATHS | frozenset(
    route.partition(" ")[2] for route, reads in ROUTE_READS.items() if reads.reach == "open")


def member_verifier(node: Node) -> RequestVerifier:
    """The node's request verifier: a key the state does not know as a member's is a
    stranger's, whose nonces get the strangers' share of the memory only."""
    def known(address: bytes) -> bool:
        return membership.get_member(node.store, address) is not None

    return RequestVerifier(node.chain.chain_id, known=known,
                           member_of_key=lambda key: member_of_key(node.store, key))


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def make_app(node: Node, submit_limit: SubmitLimit | None = None,
             client_key: Callable[[web.Request], str] = remote_address,
             front_limits: FrontLimits | None = None,
             verifier: RequestVerifier | None = None) -> web.Application:
    """The HTTP API (peer links have their own TLS listener, node/peers.py).

    `submit_limit` bounds each client's submissions (default: the node's [limits]);
    `client_key` names the client a request counts against (default its IP address);
    `front_limits` what one connection may cost (node/front.py, default `FrontLimits()`;
    served with node.front.start_front, which applies its connection limits);
    `verifier` checks signed requests (default `member_verifier(node)`).
    """
    # The metrics' timing outermost, then the deadline: it sends every answer, error
    # answers included; then the
    # error middleware, so that the signature check's refusals and the read rules' are
    # JSON with their status (node/cli.py puts the access log outside all of them).
    auth = request_auth(verifier or member_verifier(node), max_body_bytes=MAX_BODY_BYTES,
                        exempt_paths=OPEN_PATHS, large_body=(SMALL_BODY_BYTES, body_slot))
    app = web.Application(client_max_size=MAX_BODY_BYTES,
                          middlewares=[measured(), answer_deadline, errors_as_json, auth])
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
        web.get("/v1/headers", get_headers),
        web.get("/v1/headers/genesis", get_genesis_header),
        web.get("/v1/vouchers", list_vouchers),
        web.get("/v1/vouchers/{id}", get_voucher),
        web.get("/v1/vouchers/{id}/lineage", get_voucher_lineage),
        web.get("/v1/holders/{address}", get_holder),
        web.get("/v1/debtors/{address}", get_debtor),
        web.get("/v1/origins/{id}", get_origin),
        web.get("/v1/pledges", list_pledges),
        web.get("/v1/pledges/certificate", get_pledge_certificate),  # before {id}
        web.get("/v1/pledges/{id}", get_pledge),
        web.get("/v1/commitments", list_commitments),
        web.get("/v1/commitments/{id}", get_commitment),
        web.get("/v1/offers", list_offers),
        web.get("/v1/offers/{id}", get_offer),
        web.get("/v1/products", list_products),
        web.get("/v1/products/{id}", get_product),
        web.get("/v1/financing/requests", list_financing_requests),
        web.get("/v1/financing/requests/{id}", get_financing_request),
        web.get("/v1/sales", list_sales),
        web.get("/v1/sales/{id}", get_sale),
        web.get("/v1/transfers", list_transfers),
        web.get("/v1/transfers/{id}", get_transfer),
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
        web.get("/v1/documents/{id}/grants", list_document_grants),
        web.get("/v1/grants", list_grants),
        web.get("/v1/evidence", list_evidence),
        web.get("/v1/nodes", get_nodes),
        web.get("/v1/nodes/proposals", list_proposals),
        web.get("/v1/proofs/{kind}/{id}", get_record_proof),
        web.get("/v1/ids/{kind}", get_ids),
        web.get("/v1/openapi.json", get_openapi),
        web.get("/health", get_health),
        web.get("/ready", get_ready),
        web.get("/metrics", get_metrics),
        *(web.get(path, handler) for path, handler in SUPERVISION_ROUTES),
    ])
    app.add_routes(CREDIT_ROUTES)
    add_explorer(app)  # the regulator's explorer at /explorer/ and the reads it needs
    add_reports(app)  # period reports (GET /v1/reports) and their index
    add_alerts(app)  # GET /v1/alerts, over the report index
    return app
