"""Pending transfers (签收): the offers a holder made and the transferee has to sign,
listed for the two of them (contracts/transfer.py owns the keys, the pages and the read
rule)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import transfer
from contracts.access import readable
from contracts.codec import to_json
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_param,
    choice_param,
    cursor_param,
    int_param,
    only_one,
    page_answer,
)
from node.http.reads import own_listing, reader, record_by_id


def transfer_view(pending: transfer.PendingTransfer) -> dict[str, Any]:
    return to_json(pending)


async def list_transfers(request: web.Request) -> web.Response:
    """A page of a holder's or a transferee's transfers (a member lists its own)."""
    node = request.app[NODE]
    caller = reader(request)
    name, address = only_one(holder=address_param(request, "holder"),
                             to=address_param(request, "to"))
    own_listing(caller, **{name: address})
    status = choice_param(request, "status", set(transfer.STATUSES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = transfer.transfers_page(node.store, cursor_param(request), limit,
                                                status=status, **{name: address})
    rows = readable(node.store, caller, "transfer", page)
    return page_answer("transfers", [transfer_view(p) for p in rows], next_cursor)


async def get_transfer(request: web.Request) -> web.Response:
    """A pending (or decided) transfer."""
    pending = record_by_id(request, "transfer", "transfer", transfer.get_pending_transfer)
    return web.json_response(transfer_view(pending))
