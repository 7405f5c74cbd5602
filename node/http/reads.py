"""Who is reading: the caller of a request as the read rules see it, and the checks every
handler makes before it answers with a record.

request_auth (node/http/auth.py) has authenticated the key that signed the request
(`request["caller"]`); `reader` turns it into a contracts.caller.Caller, with its roles
read from the state the handler reads, and with the voucher states it was asked to
co-sign on when the request carries the draft it was asked to sign (`DRAFT_HEADER`).
Handlers then check each record they answer with (`contracts.access.require_read`), drop
the rows of a page the caller may not read (`readable`), and refuse listings that are not
the caller's own (`own_listing`) or that only oversight reads (`oversight_only`).

A key that is no member reads nothing but its own event stream: it is refused before any
record is looked up, so that only members learn whether an id exists (a missing record
is a 404, a record the member may not read a 403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from contracts.access import ANONYMOUS, asked_by_draft, caller_of, require_read
from contracts.caller import Caller
from contracts.errors import Forbidden
from contracts.state import Reader
from node.http.auth import CALLER
from node.http.params import (
    NODE,
    address_of,
    bad_request,
    found,
    hex_bytes,
    hex_id,
    require_member,
)

T = TypeVar("T")

# A co-sign draft, as the member asked to sign it presents it: the transaction's canonical
# bytes (the wallet's draft file) in hex. A co-signed operation's draft is a few hundred
# bytes; the bound keeps the header under aiohttp's 8,190-byte field limit.
DRAFT_HEADER = "X-Claimledger-Draft"
MAX_DRAFT_BYTES = 4000

READER = "reader"  # request[READER]: the Caller, built once per request


def reader(request: web.Request, *, strangers: bool = False) -> Caller:
    """The caller of `request` with its roles at the head and what a draft asks of it.

    A signer that is no member is refused (`read.forbidden`) unless `strangers`: the one
    read open to it is the events addressed to it. A malformed draft header is
    `request.bad_draft` (400); a draft that grants nothing is `read.bad_draft` (403)."""
    caller = request.get(READER)
    if caller is None:
        caller = _build(request)
        request[READER] = caller
    if not strangers and caller.address is not None and not caller.member:
        raise Forbidden("this key is not a member's: it reads only the events addressed to it")
    return caller


def _build(request: web.Request) -> Caller:
    address = request.get(CALLER)
    if address is None:
        return ANONYMOUS
    node = request.app[NODE]
    state = node.store
    text = request.headers.get(DRAFT_HEADER)
    caller = caller_of(state, address)
    if text is None or not caller.member:
        return caller
    draft = hex_bytes(text.strip(), MAX_DRAFT_BYTES)
    if not draft:
        raise bad_request("bad_draft", f"{DRAFT_HEADER} is a transaction draft in hex, "
                          f"at most {MAX_DRAFT_BYTES} bytes")
    asked = asked_by_draft(state, draft, address, node.chain.head.height + 1,
                           registry=node.registry, chain_id=node.chain.chain_id)
    return caller_of(state, address, asked)


def record_by_id(request: web.Request, kind: str, name: str,
                 get: Callable[[Reader, bytes], T | None]) -> T:
    """The record of `kind` (a row of the read-rule table) whose id is the path's {id}, if
    the caller may read it: 400 for a malformed id, 404 when there is none (`name` says
    what is missing), 403 when the rules refuse it."""
    caller = reader(request)
    state = request.app[NODE].store
    article = "an" if name[0] in "aeiou" else "a"
    record_id = hex_id(request.match_info["id"], f"{article} {name} id")
    record = found(get(state, record_id), f"no {name} {record_id.hex()}")
    require_read(state, caller, kind, record)
    return record


def member_record(request: web.Request, kind: str, get: Callable[[Reader, bytes], T],
                  param: str = "address") -> tuple[bytes, T]:
    """The member in the path's {param} and its record of `kind` (one kept per member), if
    the caller may read it: 400 for a malformed address, 404 for one that is no member,
    403 when the rules refuse it."""
    caller = reader(request)
    node = request.app[NODE]
    address = address_of(request.match_info[param])
    require_member(node, address)
    record = get(node.store, address)
    require_read(node.store, caller, kind, record)
    return address, record


def oversight_only(caller: Caller, what: str) -> None:
    """`read.forbidden` unless the caller is the agency or a regulator."""
    if not caller.oversees:
        raise Forbidden(f"{what} is read by the agency and the regulators only")


def own_listing(caller: Caller, **given: bytes | None) -> None:
    """`read.forbidden` unless the listing is the caller's own: one of the addresses it
    is scoped by (holder=, debtor=, ...) is the caller's. The agency and the regulators
    list anyone's, and every listing."""
    if caller.oversees:
        return
    if caller.address is None or caller.address not in given.values():
        names = " or ".join(f"{name}=" for name in given)
        raise Forbidden(f"a member lists its own records only: give {names}your address")
