"""The light node's API on 127.0.0.1: its member's wallet reads from here, answered from
the store, each record with the height it is proven at; submissions pass on upstream.

Routes (the full node's paths and answers, so the wallet needs nothing but
`--node http://127.0.0.1:PORT`):

    GET  /v1/status                     the trusted height, the member's stream height,
                                        the last refused answer (open, as on a full node)
    GET  /v1/vouchers?holder=|debtor=   the member's own voucher states held here
    GET  /v1/vouchers/{id}              one of them, with its line of parents held here
    GET  /v1/events?address=            the member's events, proven complete
    GET  /v1/members/{address}          the member's record
    GET  /v1/holders/{address}          its holder totals
    GET  /v1/debtors/{address}          its debtor record
    GET  /v1/fees/{address}             its fee account (charges: ask a full node)
    GET  /v1/ids/{kind}?prefix=         ids by prefix among the records held (as the
                                        full node's, but of what is held here only:
                                        `held_only`); kind `transaction` passed on
    GET  /v1/light/records              everything held, with proofs (for audit)
    GET  /v1/light/requests             the last requests it made of its upstreams
    POST /v1/txs, GET /v1/txs/{id}      passed on to the upstream as they are

Every request but status is signed by the member's own key (contracts/requests.py):
the light node holds one member's business and shows it to that member only
(`read.forbidden` for any other signer, `light.not_held` for what it does not hold).
A record shows `proven_height`: the height of the header whose state root proves it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from contracts import fees, membership, vouchers
from contracts.blocks import block_id
from contracts.codec import decode, to_json
from contracts.errors import Forbidden, LedgerError, Unauthenticated
from contracts.id_prefixes import MAX_MATCHES, MAX_SCANNED, check_prefix
from contracts.record_proofs import provable
from contracts.requests import AUTH_HEADERS, EXEMPT_PATHS, WINDOW_MS, authenticate
from contracts.state import MemoryStore, Reader
from node.light.service import LightNode
from node.light.store import ProvenRecord
from node.light.upstream import UpstreamError

LIGHT = web.AppKey("light", LightNode)
MAX_PAGE = 1000
MAX_NONCES = 100_000
PASSED_ON = ("Content-Type", *AUTH_HEADERS)
STATUS_BY_CODE = {"read.forbidden": 403, "light.not_held": 404, "not_found": 404,
                  "proof.unknown_kind": 404,
                  "light.upstream_unreachable": 502, "light.upstream_bad_answer": 502,
                  "light.upstream_too_large": 502}


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def errors_as_json(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
    try:
        return await handler(request)
    except Unauthenticated as e:
        return error_response(401, e.code, e.message)
    except LedgerError as e:
        return error_response(STATUS_BY_CODE.get(e.code, 400), e.code, e.message)
    except web.HTTPNotFound:
        return error_response(404, "light.not_held", f"{request.path}: a light node holds its "
                              "member's own records only; ask a full node")


class MemberOnly:
    """Checks that a request is signed by the light node's member, with the key it signs
    with now (`member_key`: from its proven member record), once per nonce."""

    def __init__(self, chain_id: str, member: bytes,
                 member_key: Callable[[], bytes] | None = None) -> None:
        self.chain_id = chain_id
        self.member = member
        self.member_key = member_key or (lambda: member)
        self.seen: dict[bytes, int] = {}  # nonce -> its request's time

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        if request.path not in EXEMPT_PATHS:
            now_ms = time.time_ns() // 1_000_000
            body = await request.read()
            credentials = authenticate(request.headers, self.chain_id, request.method,
                                       request.raw_path, body, now_ms)
            if credentials.address != self.member_key():
                raise Forbidden("this light node serves its own member's wallet only")
            if credentials.nonce in self.seen:
                raise Unauthenticated("auth.replayed", "this request was sent before")
            if len(self.seen) >= MAX_NONCES:  # forget what the window no longer admits
                self.seen = {n: t for n, t in self.seen.items() if t > now_ms - 2 * WINDOW_MS}
            self.seen[credentials.nonce] = credentials.time_ms
        return await handler(request)


def own(request: web.Request, address_text: str | None) -> bytes:
    """The member's address, when `address_text` names it; `read.forbidden` otherwise."""
    light = request.app[LIGHT]
    try:
        address = bytes.fromhex(address_text or "")
    except ValueError:
        address = b""
    if address != light.member:
        raise Forbidden("a light node holds its own member's records only")
    return address


def record_view(proven: ProvenRecord, cls: type) -> dict[str, Any] | None:
    if proven.value is None:
        return None
    return {**to_json(decode(cls, proven.value)), "proven_height": proven.height}


def held(request: web.Request, kind: str, record_id: bytes) -> ProvenRecord:
    proven = request.app[LIGHT].store.record(kind, record_id)
    if proven is None:
        raise LedgerError("light.not_held", f"this light node holds no {kind} "
                          f"{record_id.hex()} (yet)")
    return proven


async def get_status(request: web.Request) -> web.Response:
    light = request.app[LIGHT]
    header = light.trusted.header
    point = light.store.stream(light.member)
    refusal = light.last_refusal
    return web.json_response({
        "chain_id": light.genesis.chain_id, "node": "light", "role": "light",
        "member": light.member.hex(), "height": header.height,
        "block_id": block_id(header).hex(), "state_root": header.state_root.hex(),
        "time_ms": header.time_ms, "genesis_id": light.genesis.block_id.hex(),
        "stream_height": point.height, "events": point.stream.count,
        "upstream": light.upstream.url, "rounds": light.rounds,
        "last_refusal": None if refusal is None else {
            "code": refusal.code, "message": refusal.message,
            "upstream": refusal.upstream, "at_ms": refusal.at_ms},
    })


def member_vouchers(request: web.Request) -> list[vouchers.Voucher]:
    light = request.app[LIGHT]
    out = []
    for proven in light.store.records("voucher"):
        if proven.value is not None:
            out.append(decode(vouchers.Voucher, proven.value))
    return out


async def list_vouchers(request: web.Request) -> web.Response:
    """The member's voucher states by holder= or debtor= (its own address), by id."""
    query = request.query
    if "holder" in query:
        who, field = own(request, query["holder"]), "holder"
    elif "debtor" in query:
        who, field = own(request, query["debtor"]), "debtor"
    else:
        raise LedgerError("missing_parameter", "give holder=ADDRESS or debtor=ADDRESS")
    status = query.get("status")
    try:
        limit = max(1, min(MAX_PAGE, int(query.get("limit", "100"))))
    except ValueError:
        raise LedgerError("bad_parameter", "limit is a number") from None
    after = query.get("after") or ""
    rows = [v for v in member_vouchers(request)
            if getattr(v, field) == who and (status is None or v.status == status)
            and v.id.hex() > after]
    page = rows[:limit]
    heights = {p.record_id: p.height for p in request.app[LIGHT].store.records("voucher")}
    return web.json_response({
        "vouchers": [{**to_json(v), "proven_height": heights[v.id]} for v in page],
        "next": page[-1].id.hex() if len(rows) > limit else None})


async def get_voucher(request: web.Request) -> web.Response:
    """A voucher state held here, its parents held here, and its children held here."""
    try:
        voucher_id = bytes.fromhex(request.match_info["id"])
    except ValueError:
        raise LedgerError("request.bad_id", "a voucher id is 64 hex digits") from None
    proven = held(request, "voucher", voucher_id)
    view = record_view(proven, vouchers.Voucher)
    if view is None:
        raise LedgerError("not_found", f"voucher {voucher_id.hex()} is proven absent at "
                          f"height {proven.height}")
    states = {v.id: v for v in member_vouchers(request)}
    line, parent = [], states[voucher_id].parent
    while parent is not None and parent in states and len(line) < 10_000:
        line.append(parent.hex())
        parent = states[parent].parent
    children = [v.id.hex() for v in states.values() if v.parent == voucher_id]
    return web.json_response({**view, "lineage": line[::-1], "children": children,
                              "origin_record": None})


async def get_events(request: web.Request) -> web.Response:
    """The member's events after `after`, oldest first."""
    own(request, request.query.get("address"))
    after_text = request.query.get("after")
    try:
        after = bytes.fromhex(after_text) if after_text else None
        limit = max(1, min(MAX_PAGE, int(request.query.get("limit", "100"))))
    except ValueError:
        raise LedgerError("bad_parameter", "after is a cursor in hex, limit a number") from None
    events, next_cursor = request.app[LIGHT].store.events(after, limit)
    return web.json_response({
        "events": [{"cursor": e.cursor.hex(), **to_json(e)} for e in events],
        "next": None if next_cursor is None else next_cursor.hex()})


_EMPTY = MemoryStore()  # where a family's reader finds nothing: its zero record


def own_view(request: web.Request, kind: str, cls: type,
             zero: Callable[[Reader, bytes], Any] | None = None) -> dict[str, Any]:
    """The member's own record of `kind` as held (`zero`: the family's reader, which
    answers an absent record as its zero record, as the full node does)."""
    address = own(request, request.match_info["address"])
    proven = held(request, kind, address)
    view = record_view(proven, cls)
    if view is not None:
        return view
    if zero is None:
        raise LedgerError("not_found", f"no {kind} of {address.hex()} at height "
                          f"{proven.height}")
    return {**to_json(zero(_EMPTY, address)), "proven_height": proven.height}


async def get_member(request: web.Request) -> web.Response:
    return web.json_response(own_view(request, "member", membership.Member))


async def get_holder(request: web.Request) -> web.Response:
    return web.json_response(own_view(request, "holder_totals", vouchers.HolderTotals,
                                      vouchers.get_holder_totals))


async def get_debtor(request: web.Request) -> web.Response:
    return web.json_response(own_view(request, "debtor_record", vouchers.DebtorRecord,
                                      vouchers.get_debtor_record))


async def get_fee_account(request: web.Request) -> web.Response:
    """The member's fee account; its charges are not kept here (no charge is a record of
    its own with a proof): `charges` is empty."""
    view = own_view(request, "fee_account", fees.Account, fees.get_account)
    return web.json_response({**view, "owed_fen": view["charged_fen"] - view["paid_fen"],
                              "charges": [], "next": None})


def match_view(request: web.Request, proven: ProvenRecord, cls: type) -> dict[str, Any]:
    """A held record as a match shows it: another member's record without its personal
    data, as the member directory shows it (contracts.membership's member_private)."""
    record = decode(cls, proven.value or b"")
    if isinstance(record, membership.Member) and record.address != request.app[LIGHT].member:
        record = membership.directory_entry(record)
    return {**to_json(record), "proven_height": proven.height}


async def get_ids(request: web.Request) -> web.Response:
    """The ids of one kind held here that start with `prefix`, as the full node's route
    answers (`matches`, at most 10, and `more`), with `held_only`: a full node may know
    more. Everything held is the member's to read (node/light/member.py stores no
    record the member may not read, and only the member reads this node); a record
    proven absent is no match. Transactions are not held: passed on to the upstream."""
    if request.match_info["kind"] == "transaction":
        return await pass_on(request)
    kind = provable(request.match_info["kind"])
    prefix = request.query.get("prefix")
    if prefix is None:
        raise LedgerError("missing_parameter", "give prefix= (8 or more hex digits)")
    text = check_prefix(kind, prefix)
    matches: list[dict[str, Any]] = []
    more = False
    held_records = request.app[LIGHT].store.records_from(
        kind.kind, bytes.fromhex(text[:len(text) // 2 * 2]))
    for scanned, proven in enumerate(held_records):
        if scanned >= MAX_SCANNED:
            more = True
            break
        if proven.value is None or not proven.record_id.hex().startswith(text):
            continue
        if len(matches) == MAX_MATCHES:
            more = True
            break
        matches.append({"id": proven.record_id.hex(),
                        "record": match_view(request, proven, kind.record)})
    return web.json_response({"kind": kind.kind, "prefix": text, "matches": matches,
                              "more": more, "held_only": True})


async def get_records(request: web.Request) -> web.Response:
    """Everything the light node holds, with the proofs: kind, id, height, key, value."""
    return web.json_response({"records": [
        {"kind": p.kind, "id": p.record_id.hex(), "height": p.height, "key": p.key.hex(),
         "value": None if p.value is None else p.value.hex(), "proof": p.proof.hex()}
        for p in request.app[LIGHT].store.records()]})


async def get_requests(request: web.Request) -> web.Response:
    """The last requests the light node made of its upstreams (at most 1,000): what it
    asked for, which an audit compares with what it should ask for."""
    return web.json_response({"requests": list(request.app[LIGHT].upstream.requests)})


async def pass_on(request: web.Request) -> web.Response:
    """A submission or a transaction's status, passed to the upstream with the wallet's
    own signature (the light node adds nothing: the upstream checks the member's)."""
    light = request.app[LIGHT]
    body = await request.read()
    headers = {k: request.headers[k] for k in PASSED_ON if k in request.headers}
    try:
        status, answer = await light.upstream.send(request.method, request.raw_path, body,
                                                    headers)
    except UpstreamError:
        light.upstream.rotate()
        raise
    return web.Response(status=status, body=answer, content_type="application/json")


def current_key(light: LightNode) -> bytes:
    """The key the light node's member signs with, as its proven member record says (its
    address before the node holds the record, or if the member never changed its key)."""
    proven = light.store.record("member", light.member)
    if proven is None or proven.value is None:
        return light.member
    return decode(membership.Member, proven.value).key


def make_light_app(light: LightNode) -> web.Application:
    """The light node's API over `light`."""
    guard = MemberOnly(light.genesis.chain_id, light.member, lambda: current_key(light))
    app = web.Application(middlewares=[errors_as_json, guard.middleware],
                          client_max_size=1 << 20)
    app[LIGHT] = light
    app.add_routes([
        web.get("/v1/status", get_status),
        web.get("/v1/vouchers", list_vouchers),
        web.get("/v1/vouchers/{id}", get_voucher),
        web.get("/v1/events", get_events),
        web.get("/v1/members/{address}", get_member),
        web.get("/v1/holders/{address}", get_holder),
        web.get("/v1/debtors/{address}", get_debtor),
        web.get("/v1/fees/{address}", get_fee_account),
        web.get("/v1/ids/{kind}", get_ids),
        web.get("/v1/light/records", get_records),
        web.get("/v1/light/requests", get_requests),
        web.post("/v1/txs", pass_on),
        web.post("/v1/txs/batch", pass_on),
        web.get("/v1/txs/{id}", pass_on),
    ])
    return app
