"""Financing requests and their answers (融资需求推送): a member lists the requests it made,
was asked on or answered, a funder the open requests to every funder, and each reads a
request with the answers the read rules let it see (contracts/financing.py owns the
keys, the pages and the rules)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import financing
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
    page_answer,
)
from node.http.reads import own_listing, reader, record_by_id


def request_view(request: financing.FinancingRequest) -> dict[str, Any]:
    return to_json(request)


async def list_requests(request: web.Request) -> web.Response:
    """A page of a member's requests (party=: made, addressed to it or answered by it; a
    member lists its own), or without party= the open requests to every funder, each
    shown to whom it reaches."""
    node = request.app[NODE]
    caller = reader(request)
    party = address_param(request, "party")
    if party is not None:
        own_listing(caller, party=party)
    status = choice_param(request, "status", set(financing.REQUEST_STATUSES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = financing.requests_page(node.store, cursor_param(request), limit,
                                                party=party, status=status)
    rows = readable(node.store, caller, "financing_request", page)
    return page_answer("requests", [request_view(r) for r in rows], next_cursor)


async def get_request(request: web.Request) -> web.Response:
    """A financing request with the answers to it the caller may read: the holder reads
    every one, a funder its own only."""
    found = record_by_id(request, "financing_request", "financing request",
                         financing.get_request)
    node = request.app[NODE]
    answers = readable(node.store, reader(request), "financing_answer",
                       financing.answers_of(node.store, found.id))
    return web.json_response({**request_view(found), "answers": [to_json(a) for a in answers]})
