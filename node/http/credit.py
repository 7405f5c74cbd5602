"""Credit limits and the blacklist (contracts/credit.py owns the keys, the reads and the
read rules): a debtor's issuance limit and its use (one debtor's, or, for oversight, every
limit set), a funder's exposure to a debtor, the blacklist and its criteria. The routes'
OpenAPI paths and schemas are here too."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import credit
from contracts.access import readable, require_read
from contracts.codec import to_json
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_of,
    choice_param,
    cursor_param,
    int_param,
    page_answer,
    require_member,
)
from node.http.reads import member_record, oversight_only, reader


def debtor_credit_view(state: Any, found: credit.DebtorCredit, time_ms: int,
                       listing: credit.Listing | None) -> dict[str, Any]:
    """The limit, what uses it and what is left; the listing and the criteria's reading."""
    used = found.outstanding_fen + found.pending_fen
    limit = found.limit
    return {
        **to_json(found),
        "used_fen": used,
        "available_fen": None if limit is None else max(0, limit.limit_fen - used),
        "listing": None if listing is None else to_json(listing),
        "standing": to_json(credit.standing(state, found.debtor, time_ms)),
    }


async def get_debtor_credit(request: web.Request) -> web.Response:
    """A debtor's issuance limit and its use, its listing and its standing."""
    node = request.app[NODE]
    _, found = member_record(request, "debtor_credit", credit.debtor_credit)
    listing = credit.get_listing(node.store, found.debtor)
    if listing is not None:
        require_read(node.store, reader(request), "listing", listing)
    return web.json_response(debtor_credit_view(node.store, found, node.chain.head.time_ms,
                                                listing))


def exposure_view(found: credit.Exposure) -> dict[str, Any]:
    exposure_fen = found.pledged_fen + found.held_fen
    limit = found.limit
    return {**to_json(found), "exposure_fen": exposure_fen,
            "available_fen": None if limit is None else max(0, limit.limit_fen - exposure_fen)}


async def get_exposure(request: web.Request) -> web.Response:
    """A funder's exposure to a debtor and the limit it set (the funder's own)."""
    node = request.app[NODE]
    caller = reader(request)
    funder = address_of(request.match_info["funder"])
    debtor = address_of(request.match_info["debtor"])
    require_member(node, funder)
    require_member(node, debtor)
    found = credit.exposure(node.store, funder, debtor)
    require_read(node.store, caller, "exposure", found)
    return web.json_response(exposure_view(found))


async def list_limits(request: web.Request) -> web.Response:
    """Every debtor's issuance limit with its use, its listing and its standing: the
    agency's and the regulators' list (a member reads one debtor's at a time)."""
    node = request.app[NODE]
    caller = reader(request)
    oversight_only(caller, "the list of every debtor's issuance limit")
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = credit.limits_page(node.store, cursor_param(request), limit)
    rows = []
    for found in readable(node.store, caller, "debtor_credit",
                          [credit.debtor_credit(node.store, lim.debtor) for lim in page]):
        listing = credit.get_listing(node.store, found.debtor)
        if listing is not None:
            require_read(node.store, caller, "listing", listing)
        rows.append(debtor_credit_view(node.store, found, node.chain.head.time_ms, listing))
    return page_answer("limits", rows, next_cursor)


async def list_blacklist(request: web.Request) -> web.Response:
    """The blacklist: the debtors listed now, or every listing with status=delisted/any."""
    node = request.app[NODE]
    caller = reader(request)
    status = choice_param(request, "status", credit.LISTING_STATUSES | {"any"}) or "listed"
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = credit.listings_page(node.store, cursor_param(request), limit,
                                             None if status == "any" else status)
    rows = readable(node.store, caller, "listing", page)
    return page_answer("listings", [to_json(r) for r in rows], next_cursor)


async def get_criteria(request: web.Request) -> web.Response:
    """The blacklist criteria in force."""
    caller = reader(request)
    state = request.app[NODE].store
    criteria = credit.get_criteria(state)
    require_read(state, caller, "blacklist_criteria", criteria)
    return web.json_response(to_json(criteria))


ROUTES = (
    web.get("/v1/credit/limits", list_limits),
    web.get("/v1/credit/debtors/{address}", get_debtor_credit),
    web.get("/v1/credit/exposures/{funder}/{debtor}", get_exposure),
    web.get("/v1/credit/blacklist", list_blacklist),
    web.get("/v1/credit/criteria", get_criteria),
)
