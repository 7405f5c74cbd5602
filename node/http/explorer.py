"""The regulator's explorer: a read-only web page at /explorer/ and the JSON it needs.

The page (node/explorer/: index.html, app.js, style.css) is a static single-page app
that reads the JSON API; every node serves it, an observer being the regulator's desk.
Besides the files, this module adds the reads the API lacked, each bounded:

  GET /v1/overview                  the head, the last N blocks' times and transaction
                                    counts, who signed them, and the debtors' totals
  GET /v1/registry/debtors          every debtor record, paged
  GET /v1/registry/pledges          every pledge registration, paged
  GET /v1/registry/commitments      every acquisition commitment, paged
  GET /v1/registry/financing        every financing request, paged
  GET /v1/registry/sales            every sale of a claim to a funder, paged
  GET /v1/registry/rounds           every set-off round, paged
  GET /v1/registry/fees             every fee account, paged

Only the agency and regulators open it (node/http/sessions.py): their wallet asks
`POST /v1/explorer/sign-in` (a signed request) for a one-time link; `GET
/explorer/sign-in?token=` spends it and sets the session cookie the pages' requests then
carry; `GET /explorer/sign-out` ends the session. The page's files hold no data and are
served to anyone; every read they make is checked as any other.

A registry pages over one key space holding one record per item, in key order (the
address or the id), so a page reads `limit` records however long the chain is; a
`status=` filter examines at most MAX_SCAN records per page, like the API's other
filtered lists. The reads are the families' own (contracts.vouchers.debtor_records_page,
contracts.pledge.all_pledges_page, ...), which own the keys.

The overview reads N blocks back from the head by height (headers only)
and their certificates, keeping what it read (committed blocks never change), so a
later overview reads only the blocks committed since; its debtors' totals sum the debtor
records once per block.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from aiohttp import web

from contracts import acquisition, fees, financing, pledge, sale, setoff, vouchers
from contracts.access import readable
from contracts.codec import to_json
from contracts.errors import Forbidden
from contracts.state import MAX_SCAN
from node.blocks import Header
from node.http.financing import request_view
from node.http.members import fee_account_view
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    choice_param,
    cursor_param,
    int_param,
    not_found,
    page_answer,
)
from node.http.reads import oversight_only, reader
from node.http.sales import sale_view
from node.http.sessions import COOKIE, SESSIONS, ExplorerSessions, SessionError
from node.http.setoff import round_view
from node.http.vouchers import commitment_view, debtor_record_view, pledge_view
from node.service import Node

STATIC_DIR = Path(__file__).resolve().parent.parent / "explorer"  # node/explorer/
# The files the page is made of, and their content types: nothing else is served.
FILES = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
# Same origin only: no inline script, nothing fetched from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
DEFAULT_BLOCKS = 120
MAX_BLOCKS = 1000  # blocks one overview reads back from the head
MAX_DEBTORS_SUMMED = MAX_SCAN  # debtor records the overview's totals add up
MAX_CACHED_BLOCKS = 2 * MAX_BLOCKS  # block summaries kept between overviews


@dataclass(frozen=True)
class DebtorTotals:
    """The debtor records added up, at one head."""

    block_id: bytes
    debtors: int
    complete: bool  # False when there were more than MAX_DEBTORS_SUMMED records
    outstanding_fen: int
    issued_fen: int
    redeemed_fen: int
    vouchers_issued: int
    late_confirmations: int
    extended_vouchers: int
    overdue_vouchers: int


class TotalsCache:
    """The debtors' totals of the latest head asked about (recomputed once per block)."""

    def __init__(self) -> None:
        self.totals: DebtorTotals | None = None


@dataclass(frozen=True)
class BlockSummary:
    """What the overview shows of one committed block, and who signed its certificate."""

    time_ms: int
    tx_count: int
    proposer: bytes
    round: int | None  # None: no certificate (genesis)
    signers: tuple[bytes, ...]


class SummaryCache:
    """Summaries of the blocks read lately. A committed block never changes, so a block
    read once is not read again while it stays among the newest MAX_CACHED_BLOCKS read."""

    def __init__(self) -> None:
        self.by_height: dict[int, BlockSummary] = {}

    def get(self, node: Node, height: int) -> BlockSummary:
        found = self.by_height.get(height)
        if found is None:
            found = self.by_height[height] = summary_at(node, height)
            if len(self.by_height) > 2 * MAX_CACHED_BLOCKS:  # keep the newest, in one go
                kept = sorted(self.by_height)[-MAX_CACHED_BLOCKS:]
                self.by_height = {h: self.by_height[h] for h in kept}
        return found


TOTALS = web.AppKey("explorer_debtor_totals", TotalsCache)
SUMMARIES = web.AppKey("explorer_block_summaries", SummaryCache)


# ---------------------------------------------------------------- the page's files


def _file_response(name: str) -> web.Response:
    try:
        body = (STATIC_DIR / name).read_bytes()
    except OSError:
        raise not_found(f"the explorer's {name} is not installed with this node") from None
    return web.Response(body=body, content_type=FILES[name], charset="utf-8",
                        headers=PAGE_HEADERS)


async def get_page(request: web.Request) -> web.Response:
    return _file_response("index.html")


async def get_file(request: web.Request) -> web.Response:
    name = request.match_info["file"]
    if name not in FILES:
        raise not_found(f"the explorer has no file {name[:80]!r}")
    return _file_response(name)


# ---------------------------------------------------------------- sign-in

SIGN_IN_PATH = "/explorer/sign-in"
# The answers that carry a token or set a session are never cached, nor sent on as a
# Referer from the page they lead to.
SIGN_IN_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                   "X-Content-Type-Options": "nosniff"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000  # sessions are the node's, not the ledger's


async def post_sign_in(request: web.Request) -> web.Response:
    """A one-time sign-in link for the signing member, if it is the agency or a regulator
    (claimledger-wallet explorer asks for it)."""
    caller = reader(request)
    if caller.address is None or not caller.oversees:
        raise Forbidden("only the agency and regulators open the explorer")
    token = request.app[SESSIONS].issue_link(caller.address, now_ms())
    limits = request.app[SESSIONS].limits
    return web.json_response({"link": f"{SIGN_IN_PATH}?token={token}",
                              "expires_in_ms": limits.link_ttl_ms,
                              "session_ms": limits.session_ttl_ms,
                              "idle_ms": limits.idle_ms}, headers=SIGN_IN_HEADERS)


def _signed_out_page(status: int, message: str) -> web.Response:
    """A page of one sentence (no script, nothing of the ledger) for a browser."""
    text = html.escape(message)
    body = ("<!doctype html><meta charset='utf-8'><title>Claimledger explorer</title>"
            f"<p id='sign-in-message'>{text}</p>"
            "<p>claimledger-wallet explorer</p>")
    return web.Response(status=status, text=body, content_type="text/html",
                        headers={**PAGE_HEADERS, **SIGN_IN_HEADERS})


async def get_sign_in(request: web.Request) -> web.Response:
    """Open a one-time link: its token spent, a session cookie set, on to the pages."""
    token = request.query.get("token", "")[:128]
    try:
        session_id, _ = request.app[SESSIONS].redeem(token, now_ms())
    except SessionError as e:
        return _signed_out_page(403 if e.code == "session.bad_link" else 503, e.message)
    response = web.Response(status=303, headers={**SIGN_IN_HEADERS, "Location": "/explorer/"})
    response.set_cookie(COOKIE, session_id, path="/", httponly=True, samesite="Strict",
                        secure=request.secure,
                        max_age=request.app[SESSIONS].limits.session_ttl_ms // 1000)
    return response


async def get_sign_out(request: web.Request) -> web.Response:
    """End the browser's session (if any) and forget its cookie."""
    if COOKIE in request.cookies:
        request.app[SESSIONS].end(request.cookies[COOKIE])
    response = _signed_out_page(200, "Signed out. To sign in again, run in your wallet:")
    response.del_cookie(COOKIE, path="/")
    return response


# ---------------------------------------------------------------- overview


def header_at(node: Node, height: int) -> Header:
    """A stored block's header, read without decoding its transactions."""
    header = node.store.header(height)
    assert header is not None, "every height up to the head holds a block"
    return header


def summary_at(node: Node, height: int) -> BlockSummary:
    header = header_at(node, height)
    certificate = node.store.certificate(height)
    if certificate is None:
        return BlockSummary(header.time_ms, header.tx_count, header.proposer, None, ())
    return BlockSummary(header.time_ms, header.tx_count, header.proposer, certificate.round,
                        tuple(sorted(p.validator for p in certificate.precommits)))


def debtor_totals(node: Node) -> DebtorTotals:
    """The sums over the debtor records (one key per debtor), at the head."""
    block_id = node.chain.head.block_id
    counted = 0
    sums = dict.fromkeys(("outstanding_fen", "issued_fen", "redeemed_fen", "vouchers_issued",
                          "late_confirmations", "extended_vouchers", "overdue_vouchers"), 0)
    complete = True
    for record in islice(vouchers.debtor_records(node.store), MAX_DEBTORS_SUMMED + 1):
        if counted == MAX_DEBTORS_SUMMED:
            complete = False
            break
        counted += 1
        for name in sums:
            sums[name] += getattr(record, name)
    return DebtorTotals(block_id, counted, complete, **sums)


def cached_debtor_totals(request: web.Request) -> DebtorTotals:
    cache = request.app[TOTALS]
    head_id = request.app[NODE].chain.head.block_id
    if cache.totals is None or cache.totals.block_id != head_id:
        cache.totals = debtor_totals(request.app[NODE])
    return cache.totals


async def get_overview(request: web.Request) -> web.Response:
    """The head, the last `blocks` blocks (newest first) and who signed them.

    Each validator's `last_signed_height` is the highest of those blocks whose commit
    certificate holds its precommit (null if none does); `latest_certificate` is the
    head's. Everything is read by height from the head down, `blocks` blocks at most, and
    only those an earlier overview did not read (block headers, not their transactions).
    """
    oversight_only(reader(request), "the overview")
    node = request.app[NODE]
    count = int_param(request, "blocks", DEFAULT_BLOCKS, 1, MAX_BLOCKS)
    head = node.chain.head
    summaries = request.app[SUMMARIES]
    blocks = []
    last_signed: dict[bytes, int] = {}
    latest = None
    for height in range(head.height, max(-1, head.height - count), -1):
        block = summaries.get(node, height)
        blocks.append({"height": height, "time_ms": block.time_ms,
                       "tx_count": block.tx_count, "proposer": block.proposer.hex()})
        if block.round is None:
            continue
        if latest is None:
            latest = {"height": height, "round": block.round,
                      "signers": [s.hex() for s in block.signers]}
        for signer in block.signers:
            last_signed.setdefault(signer, height)
    totals = cached_debtor_totals(request)
    signers = set(latest["signers"]) if latest else set()
    return web.json_response({
        "chain_id": node.chain.chain_id,
        "node": node.name,
        "role": node.role or "follower",
        "height": head.height,
        "block_id": head.block_id.hex(),
        "time_ms": head.time_ms,
        "blocks": blocks,
        "validators": [
            {"name": v.name, "key": v.key.hex(), "power": v.power,
             "last_signed_height": last_signed.get(v.key),
             "signed_latest": v.key.hex() in signers}
            for v in node.chain.registry_entries().validators  # the registry's, in force
        ],
        "latest_certificate": latest,
        "debtors": {k: v for k, v in to_json(totals).items() if k != "block_id"},
        "setoff": {**to_json(setoff.get_totals(node.store)),
                   "rounds_proposed": setoff.rounds_proposed(node.store)},
    })


# ---------------------------------------------------------------- registries


def registry_params(request: web.Request) -> tuple[bytes | None, int]:
    """A registry page's cursor and size; the registries are the agency's and the
    regulators' (`read.forbidden` for others)."""
    oversight_only(reader(request), "a registry of every member's records")
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    return cursor_param(request), limit


async def list_debtor_records(request: web.Request) -> web.Response:
    """Every debtor record, paged."""
    state = request.app[NODE].store
    page, next_cursor = vouchers.debtor_records_page(state, *registry_params(request))
    rows = readable(state, reader(request), "debtor_record", page)
    return page_answer("debtors", [debtor_record_view(r) for r in rows], next_cursor)


async def list_all_pledges(request: web.Request) -> web.Response:
    """Every pledge registration, paged."""
    status = choice_param(request, "status", pledge.PLEDGE_STATUSES)
    state = request.app[NODE].store
    page, next_cursor = pledge.all_pledges_page(state, *registry_params(request), status)
    rows = readable(state, reader(request), "pledge", page)
    return page_answer("pledges", [pledge_view(p) for p in rows], next_cursor)


async def list_all_financing(request: web.Request) -> web.Response:
    """Every financing request, paged (its answers: GET /v1/financing/requests/{id})."""
    status = choice_param(request, "status", set(financing.REQUEST_STATUSES))
    state = request.app[NODE].store
    page, next_cursor = financing.all_requests_page(state, *registry_params(request), status)
    rows = readable(state, reader(request), "financing_request", page)
    return page_answer("requests", [request_view(r) for r in rows], next_cursor)


async def list_all_sales(request: web.Request) -> web.Response:
    """Every sale of a claim to a funder, paged."""
    status = choice_param(request, "status", set(sale.STATUSES))
    state = request.app[NODE].store
    page, next_cursor = sale.all_sales_page(state, *registry_params(request), status)
    rows = readable(state, reader(request), "claim_sale", page)
    return page_answer("sales", [sale_view(r) for r in rows], next_cursor)


async def list_all_commitments(request: web.Request) -> web.Response:
    """Every acquisition commitment, paged."""
    status = choice_param(request, "status", acquisition.COMMITMENT_STATUSES)
    node = request.app[NODE]
    page, next_cursor = acquisition.all_commitments_page(node.store, *registry_params(request),
                                                         status)
    now_ms = node.chain.head.time_ms
    rows = readable(node.store, reader(request), "commitment", page)
    return page_answer("commitments", [commitment_view(c, now_ms) for c in rows], next_cursor)


async def list_all_rounds(request: web.Request) -> web.Response:
    """Every set-off round, paged."""
    status = choice_param(request, "status", setoff.ROUND_STATUSES)
    state = request.app[NODE].store
    page, next_cursor = setoff.all_rounds_page(state, *registry_params(request), status)
    rows = readable(state, reader(request), "setoff_round", page)
    return page_answer("rounds", [round_view(r, None) for r in rows], next_cursor)


async def list_fee_accounts(request: web.Request) -> web.Response:
    """Every fee account, paged."""
    state = request.app[NODE].store
    page, next_cursor = fees.accounts_page(state, *registry_params(request))
    rows = readable(state, reader(request), "fee_account", page)
    return page_answer("accounts", [fee_account_view(a) for a in rows], next_cursor)


def add_explorer(app: web.Application) -> None:
    """Serve the explorer at /explorer/ and register the reads it needs."""
    app[TOTALS] = TotalsCache()
    app[SUMMARIES] = SummaryCache()
    app[SESSIONS] = ExplorerSessions()
    app.add_routes([
        web.get("/explorer/", get_page),
        web.get(SIGN_IN_PATH, get_sign_in),  # before {file}, which would match it
        web.get("/explorer/sign-out", get_sign_out),
        web.get("/explorer/{file}", get_file),
        web.post("/v1/explorer/sign-in", post_sign_in),
        web.get("/v1/overview", get_overview),
        web.get("/v1/registry/debtors", list_debtor_records),
        web.get("/v1/registry/pledges", list_all_pledges),
        web.get("/v1/registry/commitments", list_all_commitments),
        web.get("/v1/registry/financing", list_all_financing),
        web.get("/v1/registry/sales", list_all_sales),
        web.get("/v1/registry/rounds", list_all_rounds),
        web.get("/v1/registry/fees", list_fee_accounts),
    ])
