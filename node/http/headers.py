"""Certified headers for light clients: GET /v1/headers (a page of headers with their
commit certificates, from a height on) and GET /v1/headers/genesis (the trust root).

A client told the genesis block id starts from /v1/headers/genesis and checks every later
header with contracts/proofs.py: the canonical bytes (`header_bytes`, `certificate`) are
what it verifies; `header` is the same header as JSON, for people. Headers are every
member's, as blocks are (contracts.access.may_read_block).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.access import require_read
from contracts.blocks import Header, block_id
from contracts.codec import encode, to_json
from contracts.proofs import CertifiedHeader
from node import light_serve
from node.http.params import DEFAULT_PAGE, MAX_PAGE, NODE, int_param, not_found
from node.http.reads import reader

MAX_FROM = 10**18 - 1  # the most digits a query integer has (node.http.params.INTEGER_TEXT)
# A page stops once its headers, certificates and sets take this many bytes (a certificate
# of 1,024 precommits is 100 KB): `next_from` says where the next page starts.
MAX_PAGE_BYTES = 4 << 20


def powers_view(powers: dict[bytes, int] | None) -> list[dict[str, Any]] | None:
    """A validator set as the API writes it: [{key, power}] by key; null for None."""
    if powers is None:
        return None
    return [{"key": key.hex(), "power": power} for key, power in sorted(powers.items())]


def header_fields(header: Header) -> dict[str, Any]:
    return {"height": header.height, "block_id": block_id(header).hex(),
            "header": to_json(header), "header_bytes": encode(header).hex()}


def certified_view(certified: CertifiedHeader, next_powers: dict[bytes, int] | None
                   ) -> dict[str, Any]:
    return {**header_fields(certified.header),
            "certificate": encode(certified.certificate).hex(),
            "next_validators": powers_view(next_powers)}


async def get_headers(request: web.Request) -> web.Response:
    """Headers from `from` (default 1) up to the head, at most `limit`, each with its
    certificate and, when it changes the validator set, the next set."""
    node = request.app[NODE]
    caller = reader(request)
    start = int_param(request, "from", 1, 1, MAX_FROM)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    head = node.chain.head.height
    if start > head:
        raise not_found(f"no header at height {start} yet (head is {head})")
    views: list[dict[str, Any]] = []
    size = 0
    height = start
    while height <= head and len(views) < limit and size < MAX_PAGE_BYTES:
        certified = light_serve.certified_header(node.store, height)
        if certified is None:
            raise not_found(f"no certified header at height {height}")
        if not views:
            require_read(node.store, caller, "block", certified.header)
        view = certified_view(certified, light_serve.announced_set(node.chain,
                                                                   certified.header))
        size += len(view["header_bytes"]) + len(view["certificate"]) + \
            80 * len(view["next_validators"] or ())
        views.append(view)
        height += 1
    return web.json_response({"headers": views, "next_from": height})


async def get_genesis_header(request: web.Request) -> web.Response:
    """Block 0's header and the validator powers it names: a client that trusts the
    genesis block id checks the header's id and the sets' hashes, then follows."""
    node = request.app[NODE]
    caller = reader(request)
    header = node.store.header(0)
    if header is None:
        raise not_found("no genesis block")
    require_read(node.store, caller, "block", header)
    return web.json_response({
        **header_fields(header),
        "validators": powers_view(light_serve.powers_at(node.chain, 0)),
        "next_validators": powers_view(light_serve.announced_set(node.chain, header)),
    })
