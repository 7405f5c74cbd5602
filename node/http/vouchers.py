"""Voucher records: voucher states with their lineage, origins, holders' totals, debtors'
records, the pledge registry and acquisition commitments with their sales.

Each handler answers with the record kind its name and its view function say; the reads
are contracts/' (vouchers, pledge, acquisition), which own the keys.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from aiohttp import web

from contracts import acquisition, pledge, registry_query, vouchers
from contracts.access import may_read, readable, require_read
from contracts.caller import Caller
from contracts.codec import encode, to_json
from contracts.errors import Forbidden
from contracts.vouchers import VOUCHER_STANDINGS, VOUCHER_STATUSES, DebtorRecord, Voucher
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_param,
    bad_request,
    choice_param,
    cursor_param,
    found,
    hex_id,
    id_param,
    int_param,
    next_text,
    only_one,
    page_answer,
)
from node.http.reads import member_record, own_listing, reader, record_by_id
from node.service import Node

MAX_LINEAGE = 10_000
MAX_TREE_NODES = 10_000  # descendants shown by /lineage
MAX_TREE_DEPTH = 100  # levels of nesting in that tree: JSON parsers have depth limits
MAX_CHILDREN = 1_000  # one operation creates at most 16; a bound all the same


# ---------------------------------------------------------------- voucher states


def voucher_view(voucher: Voucher) -> dict[str, Any]:
    """A voucher state as the API shows it."""
    return to_json(voucher)


def load_voucher(node: Node, voucher_id: bytes) -> Voucher:
    return found(vouchers.get_voucher(node.store, voucher_id), f"no voucher {voucher_id.hex()}")


def children_of(node: Node, voucher_id: bytes, caller: Caller) -> list[Voucher]:
    """The states made from `voucher_id` that `caller` may read (each by the voucher's
    rule: a transferred part is its new holder's, not the seller's)."""
    children = []
    for child_id in vouchers.first_children_ids(node.store, voucher_id, MAX_CHILDREN):
        child = vouchers.get_voucher(node.store, child_id)
        assert child is not None, "an indexed child is stored"
        children.append(child)
    return readable(node.store, caller, "voucher", children)


def descendant_tree(node: Node, root: Voucher, caller: Caller
                    ) -> tuple[list[dict[str, Any]], bool]:
    """The states descending from `root` that `caller` may read, breadth first, as nested
    {voucher, children}; a state it may not read is left out with the states below it.

    At most MAX_TREE_NODES nodes and MAX_TREE_DEPTH levels; a node whose children are
    left out carries "truncated": true, and so does the answer.
    """
    top: list[dict[str, Any]] = []
    queue: deque[tuple[bytes, dict[str, Any] | None, int]] = deque([(root.id, None, 0)])
    count = 0
    truncated = False
    while queue:
        voucher_id, entry, depth = queue.popleft()
        children = children_of(node, voucher_id, caller)
        if children and (count + len(children) > MAX_TREE_NODES or depth >= MAX_TREE_DEPTH):
            truncated = True
            if entry is not None:
                entry["truncated"] = True
            if count >= MAX_TREE_NODES:
                continue  # no room left: only mark the nodes that have children
            children = children[:MAX_TREE_NODES - count] if depth < MAX_TREE_DEPTH else []
        siblings = top if entry is None else entry["children"]
        for child in children:
            node_entry: dict[str, Any] = {"voucher": voucher_view(child), "children": []}
            siblings.append(node_entry)
            count += 1
            queue.append((child.id, node_entry, depth + 1))
    return top, truncated


async def get_voucher(request: web.Request) -> web.Response:
    """A voucher state, the ids of its line and of the children the caller may read, and
    its origin record if the caller may read it (null otherwise: a later holder reads the
    claim's chain of title, not the first holder's totals)."""
    node = request.app[NODE]
    caller = reader(request)
    voucher = load_voucher(node, hex_id(request.match_info["id"], "a voucher id"))
    require_read(node.store, caller, "voucher", voucher)
    origin = found(vouchers.get_origin(node.store, voucher.origin), "origin")
    return web.json_response({
        **voucher_view(voucher),
        "lineage": [v.id.hex() for v in vouchers.ancestors(node.store, voucher, MAX_LINEAGE)],
        "children": [c.id.hex() for c in children_of(node, voucher.id, caller)],
        "origin_record": origin_view(origin)
        if may_read(node.store, caller, "origin", origin) else None,
    })


async def get_voucher_lineage(request: web.Request) -> web.Response:
    """A voucher state with the states above it and the tree of states below it."""
    node = request.app[NODE]
    caller = reader(request)
    voucher = load_voucher(node, hex_id(request.match_info["id"], "a voucher id"))
    require_read(node.store, caller, "lineage", voucher)
    line = vouchers.ancestors(node.store, voucher, MAX_LINEAGE)
    tree, truncated = descendant_tree(node, voucher, caller)
    cut_above = bool(line) and line[0].parent is not None
    return web.json_response({
        "ancestors": [voucher_view(v) for v in line],
        "voucher": voucher_view(voucher),
        "descendants": tree,
        "truncated": truncated or cut_above,
    })


async def list_vouchers(request: web.Request) -> web.Response:
    """A page of voucher states of a holder, of a debtor or of a standing: a member lists
    its own (holder= or debtor= its address), the agency and the regulators any."""
    node = request.app[NODE]
    caller = reader(request)
    holder = address_param(request, "holder")
    debtor = address_param(request, "debtor")
    status = choice_param(request, "status", VOUCHER_STATUSES)
    standing = choice_param(request, "standing", VOUCHER_STANDINGS)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = cursor_param(request)
    if standing is not None:
        if status not in (None, "active"):
            raise bad_request("bad_parameter", "standing lists live (active) states only")
    elif holder is None and debtor is None:
        raise bad_request("missing_parameter", "give holder=ADDRESS, debtor=ADDRESS or standing=")
    own_listing(caller, holder=holder, debtor=debtor)
    page, next_cursor = vouchers.vouchers_page(node.store, cursor, limit, holder=holder,
                                               debtor=debtor, status=status, standing=standing)
    rows = readable(node.store, caller, "voucher", page)
    return page_answer("vouchers", [voucher_view(v) for v in rows], next_cursor)


# ---------------------------------------------------------------- origins, holders, debtors


def origin_view(origin: vouchers.Origin) -> dict[str, Any]:
    return to_json(origin)


def debtor_record_view(record: DebtorRecord) -> dict[str, Any]:
    """A debtor's record and its average confirmation delay (null before the first)."""
    average = (record.confirmation_delay_ms // record.confirmations
               if record.confirmations else None)
    return {**to_json(record), "average_confirmation_delay_ms": average}


async def get_holder(request: web.Request) -> web.Response:
    """A member's holder totals."""
    _, totals = member_record(request, "holder_totals", vouchers.get_holder_totals)
    return web.json_response(to_json(totals))


async def get_debtor(request: web.Request) -> web.Response:
    """A member's debtor record."""
    _, record = member_record(request, "debtor_record", vouchers.get_debtor_record)
    return web.json_response(debtor_record_view(record))


async def get_origin(request: web.Request) -> web.Response:
    """An issued voucher's origin record."""
    origin = record_by_id(request, "origin", "issued voucher", vouchers.get_origin)
    return web.json_response(origin_view(origin))


# ---------------------------------------------------------------- pledges


def pledge_view(record: pledge.Pledge) -> dict[str, Any]:
    return to_json(record)


def notice_view(record: pledge.Pledge) -> dict[str, Any]:
    """What the registry shows every member of a pledge (its public notice)."""
    return {**to_json(pledge.notice_of(record)), "notice": True}


async def list_pledges(request: web.Request) -> web.Response:
    """A page of pledges of a voucher state, an origin, a pledgor, on the claims of a
    debtor, or of a bank (a bank lists its own).

    By voucher=, origin=, pledgor= or debtor=, any member asks the registry (public as
    中登网 is) what is pledged: a pledge the caller may not read as a party is answered as
    its public notice (`"notice": true`: the claim, its debtor, pledgor and bank, the
    numbers, the filing, the dates; no loan)."""
    node = request.app[NODE]
    caller = reader(request)
    name, key = only_one(voucher=id_param(request, "voucher"),
                         origin=id_param(request, "origin"),
                         pledgor=address_param(request, "pledgor"),
                         debtor=address_param(request, "debtor"),
                         bank=address_param(request, "bank"))
    if name == "bank":
        own_listing(caller, bank=key)
    status = choice_param(request, "status", pledge.PLEDGE_STATUSES)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = pledge.pledges_page(node.store, cursor_param(request), limit,
                                            status=status, **{name: key})
    views = []
    for record in page:
        if may_read(node.store, caller, "pledge", record):
            views.append(pledge_view(record))
        elif may_read(node.store, caller, "pledge_notice", pledge.notice_of(record)):
            views.append(notice_view(record))
    return page_answer("pledges", views, next_cursor)


async def get_pledge(request: web.Request) -> web.Response:
    """A pledge."""
    record = record_by_id(request, "pledge", "pledge", pledge.get_pledge)
    return web.json_response(pledge_view(record))


def certificate_view(certificate: registry_query.Certificate) -> dict[str, Any]:
    """A query certificate: its canonical bytes (what a verifier checks) and, to read,
    the answer they carry."""
    return {"certificate": encode(certificate).hex(), "answer": to_json(certificate.answer),
            "signature": certificate.signature.hex()}


async def get_pledge_certificate(request: web.Request) -> web.Response:
    """A query certificate (查询证明): the registry's answer to a query by pledgor=,
    debtor=, voucher= or origin= (status= and after= optional), as public notices, signed
    by this node's key with the head's height, ledger time and state root. Any member asks
    it, as it asks the registry; the state, the tree and the head are read with no await
    between them, so all three are of one height."""
    node = request.app[NODE]
    caller = reader(request)
    name, key = only_one(voucher=id_param(request, "voucher"),
                         origin=id_param(request, "origin"),
                         pledgor=address_param(request, "pledgor"),
                         debtor=address_param(request, "debtor"))
    query = registry_query.Query(name, key,
                                 choice_param(request, "status", pledge.PLEDGE_STATUSES) or "",
                                 cursor_param(request))
    head = node.chain.head
    at = registry_query.At(node.chain.chain_id, head.height, head.time_ms, head.state_root)
    answer = registry_query.answer_query(node.store, node.store.tree, at, query, node.address)
    if not caller.member:  # a regulator or the agency is a member too
        raise Forbidden("the pledge registry answers members")
    for notice in answer.notices:
        require_read(node.store, caller, "pledge_notice", notice)
    certificate = registry_query.certify(answer, node.signer.sign_query_certificate)
    return web.json_response(certificate_view(certificate))


# ---------------------------------------------------------------- acquisition commitments


def commitment_view(commitment: acquisition.Commitment, now_ms: int) -> dict[str, Any]:
    """The commitment and whether a holder may exercise it at the head's ledger time."""
    exercisable = (commitment.status == "open"
                   and commitment.lock_until_ms <= now_ms < commitment.expires_ms)
    return {**to_json(commitment), "exercisable": exercisable}


def sale_view(tx_id: bytes, sale: acquisition.Sale) -> dict[str, Any]:
    """A sale under a commitment and the transaction that made it."""
    return {"tx_id": tx_id.hex(), **to_json(sale)}


def load_commitment_view(node: Node, commitment_id: bytes, caller: Caller) -> dict[str, Any]:
    commitment = found(acquisition.get_commitment(node.store, commitment_id),
                       f"no commitment {commitment_id.hex()}")
    require_read(node.store, caller, "commitment", commitment)
    return commitment_view(commitment, node.chain.head.time_ms)


async def list_commitments(request: web.Request) -> web.Response:
    """A page of commitments of an acquirer (its own) or carried by a voucher state (one
    the caller may read)."""
    node = request.app[NODE]
    caller = reader(request)
    name, key = only_one(voucher=id_param(request, "voucher"),
                         acquirer=address_param(request, "acquirer"))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = cursor_param(request)
    if name == "acquirer":
        own_listing(caller, acquirer=key)
        page, next_cursor = acquisition.acquirer_commitments_page(node.store, key, cursor, limit)
    else:
        voucher = load_voucher(node, key)
        require_read(node.store, caller, "voucher", voucher)
        page, next_cursor = acquisition.carried_commitments_page(node.store, voucher, cursor,
                                                                 limit)
    now_ms = node.chain.head.time_ms
    rows = readable(node.store, caller, "commitment", page)
    return page_answer("commitments", [commitment_view(c, now_ms) for c in rows], next_cursor)


async def get_commitment(request: web.Request) -> web.Response:
    """A commitment and a page of the sales made under it that the caller may read (the
    acquirer and the agency and regulators read all; a seller its own)."""
    node = request.app[NODE]
    caller = reader(request)
    commitment_id = hex_id(request.match_info["id"], "a commitment id")
    view = load_commitment_view(node, commitment_id, caller)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    sales, next_cursor = acquisition.sales_page(node.store, commitment_id,
                                                cursor_param(request), limit)
    shown = [(t, s) for t, s in sales if may_read(node.store, caller, "sale", s)]
    return web.json_response({**view, "sales": [sale_view(t, s) for t, s in shown],
                              "next": next_text(next_cursor)})
