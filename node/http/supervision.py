"""Court freezes and disputes (冻结, 异议): by issued voucher, by party, those in force or
open, and one by id, as the read rules let each caller read them (contracts/supervision.py
owns the keys, the pages and the read rules).

Listings: `?party=<address>` (a member lists its own: the holder or debtor of a frozen
claim, a party named in a dispute), `?voucher=<origin id>` / `?subject=<id>` (any member;
each order or dispute answered only to whom its rule lets read it), or nothing (the
agency and the regulators: every order in force, and the open disputes, or with
`status=upheld`, `dismissed` or `any` the resolved ones too, for the explorer's alerts and
supervision page). `status=frozen` / `status=open` keeps those in force / open.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import supervision
from contracts.access import readable
from contracts.codec import to_json
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_param,
    choice_param,
    cursor_param,
    id_param,
    int_param,
    page_answer,
)
from node.http.reads import oversight_only, own_listing, reader, record_by_id


def _view(record: Any) -> dict[str, Any]:
    return to_json(record)


async def list_freezes(request: web.Request) -> web.Response:
    """A page of freeze orders: a party's, an issued voucher's, or all in force."""
    node = request.app[NODE]
    caller = reader(request)
    party, voucher = address_param(request, "party"), id_param(request, "voucher")
    status = choice_param(request, "status", supervision.FREEZE_STATUSES)
    if party is not None:
        own_listing(caller, party=party)
    elif voucher is None:
        oversight_only(caller, "every freeze order in force")
        status = "frozen"
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = supervision.freezes_page(
        node.store, cursor_param(request), limit, voucher=None if party else voucher,
        party=party, in_force=status == "frozen")
    rows = [o for o in readable(node.store, caller, "freeze", page)
            if status is None or o.status == status]
    return page_answer("freezes", [_view(o) for o in rows], next_cursor)


async def get_freeze(request: web.Request) -> web.Response:
    """A freeze order."""
    order = record_by_id(request, "freeze", "freeze order", supervision.get_freeze)
    return web.json_response(_view(order))


async def list_disputes(request: web.Request) -> web.Response:
    """A page of disputes: a party's, on a subject (an application, an issued voucher's
    origin, an obligation), or, for oversight, the open ones (default) or every one with
    a status (`status=upheld`, `dismissed`, or `any`)."""
    node = request.app[NODE]
    caller = reader(request)
    party, subject = address_param(request, "party"), id_param(request, "subject")
    status = choice_param(request, "status", supervision.DISPUTE_STATUSES | {"any"})
    wanted = None if status == "any" else status
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    if party is not None:
        own_listing(caller, party=party)
    elif subject is None:
        oversight_only(caller, "every dispute")
        if status not in (None, "open"):  # resolved ones: no index, every dispute's record
            page, next_cursor = supervision.every_dispute_page(
                node.store, cursor_param(request), limit, wanted)
            rows = readable(node.store, caller, "dispute", page)
            return page_answer("disputes", [_view(d) for d in rows], next_cursor)
        wanted = "open"
    page, next_cursor = supervision.disputes_page(
        node.store, cursor_param(request), limit, subject=None if party else subject,
        party=party, open_only=wanted == "open")
    rows = [d for d in readable(node.store, caller, "dispute", page)
            if wanted is None or d.status == wanted]
    return page_answer("disputes", [_view(d) for d in rows], next_cursor)


async def get_dispute(request: web.Request) -> web.Response:
    """A dispute."""
    dispute = record_by_id(request, "dispute", "dispute", supervision.get_dispute)
    return web.json_response(_view(dispute))


ROUTES = (
    ("/v1/freezes", list_freezes),
    ("/v1/freezes/{id}", get_freeze),
    ("/v1/disputes", list_disputes),
    ("/v1/disputes/{id}", get_dispute),
)
