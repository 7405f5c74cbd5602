"""Members' records: the member directory, issuance applications, confidential documents
and fees (the schedule, a member's account and its charges).

Each handler answers with the record kind its name and its view function say; the reads
are contracts/' (membership, issuance, documents, fees), which own the keys.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import documents, fees, issuance, membership
from contracts.access import may_read, readable, require_read
from contracts.codec import to_json
from contracts.ledger import resolve
from contracts.membership import ROLES
from contracts.tx import decode_transaction
from node.http.params import (
    DEFAULT_PAGE,
    MAX_PAGE,
    NODE,
    address_of,
    address_param,
    bad_request,
    choice_param,
    cursor_param,
    hex_cursor_param,
    hex_id,
    int_param,
    next_text,
    not_found,
    page_answer,
    require_member,
)
from node.http.reads import member_record, own_listing, reader, record_by_id

# ---------------------------------------------------------------- members


def member_view(member: membership.Member, private: bool) -> dict[str, Any]:
    """A member's record; without `private` (contracts.membership's member_private read
    rule), its personal data emptied and named in `withheld`."""
    if private:
        return to_json(member)
    withheld = [*membership.PRIVATE_IDENTITY_FIELDS,
                *(f"review.{f}" for f in membership.PRIVATE_REVIEW_FIELDS)]
    return {**to_json(membership.directory_entry(member)), "withheld": withheld}


async def get_member(request: web.Request) -> web.Response:
    """A member."""
    caller = reader(request)
    node = request.app[NODE]
    address = address_of(request.match_info["address"])
    member = require_member(node, address)
    require_read(node.store, caller, "member", member)
    return web.json_response(
        member_view(member, may_read(node.store, caller, "member_private", member)))


async def list_members(request: web.Request) -> web.Response:
    """A page of members: all, or the active ones holding a role."""
    node = request.app[NODE]
    caller = reader(request)
    role = choice_param(request, "role", set(ROLES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = membership.members_page(node.store, cursor_param(request), limit, role)
    rows = readable(node.store, caller, "member", page)
    return page_answer("members", [
        member_view(m, may_read(node.store, caller, "member_private", m)) for m in rows],
        next_cursor)


# ---------------------------------------------------------------- applications


def application_view(application: issuance.Application) -> dict[str, Any]:
    return to_json(application)


async def get_application(request: web.Request) -> web.Response:
    """An issuance application."""
    application = record_by_id(request, "application", "application",
                               issuance.get_application)
    return web.json_response(application_view(application))


async def list_applications(request: web.Request) -> web.Response:
    """A page of a creditor's or a debtor's issuance applications (a member lists its own)."""
    node = request.app[NODE]
    caller = reader(request)
    creditor = address_param(request, "creditor")
    debtor = address_param(request, "debtor")
    if (creditor is None) == (debtor is None):
        raise bad_request("missing_parameter", "give creditor=ADDRESS or debtor=ADDRESS")
    own_listing(caller, creditor=creditor, debtor=debtor)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = issuance.applications_page(node.store, cursor_param(request), limit,
                                                   creditor=creditor, debtor=debtor)
    rows = readable(node.store, caller, "application", page)
    return page_answer("applications", [application_view(a) for a in rows], next_cursor)


# ---------------------------------------------------------------- documents


def document_view(attachment: documents.Attachment,
                  envelope: documents.Envelope | None) -> dict[str, Any]:
    """A document's attachment record and, if given, its sealed envelope."""
    view = to_json(attachment)
    if envelope is not None:
        view["envelope"] = to_json(envelope)
    return view


async def get_document(request: web.Request) -> web.Response:
    """A confidential document's attachment record and, unless envelope=false, its sealed
    envelope (ciphertext and sealed keys) read from the attach transaction's block."""
    node = request.app[NODE]
    caller = reader(request)
    document = hex_id(request.match_info["id"], "a document id")
    with_envelope = choice_param(request, "envelope", {"true", "false"}) != "false"
    attachment = documents.get_attachment(node.store, document)
    if attachment is None:
        raise not_found(f"no document {document.hex()} is attached")
    require_read(node.store, caller, "document", attachment)
    # A grantee's key is not in the envelope: its grant carries it, shown to it alone.
    grant = None if caller.address in attachment.readers else \
        documents.live_grant(node.store, document, caller.address)
    envelope = None
    if with_envelope:
        record = node.store.tx_record(attachment.tx_id)
        block = None if record is None else node.store.block(record.height)
        assert record is not None and block is not None, "an attachment's block is stored"
        _, _, body = resolve(node.registry, decode_transaction(block.txs[record.index]))
        assert isinstance(body, documents.Attach) and body.commitment == attachment.commitment
        envelope = body.envelope
    view = document_view(attachment, envelope)
    if grant is not None:
        view["grant"] = grant_view(grant)
    return web.json_response(view)


def grant_view(grant: documents.Grant) -> dict[str, Any]:
    """A grant of access to a document, with the document key sealed to its grantee."""
    return to_json(grant)


async def list_document_grants(request: web.Request) -> web.Response:
    """The grants of a document the caller may read (at most documents.MAX_GRANTS, one
    page): its parties, the agency and the regulators see them all, a granter its own, a
    grantee its own. 403 for a caller that reads neither the document nor any grant."""
    node = request.app[NODE]
    caller = reader(request)
    document = hex_id(request.match_info["id"], "a document id")
    attachment = documents.get_attachment(node.store, document)
    if attachment is None:
        raise not_found(f"no document {document.hex()} is attached")
    rows = readable(node.store, caller, "grant", documents.document_grants(node.store, document))
    if not rows:
        require_read(node.store, caller, "document", attachment)
    return page_answer("grants", [grant_view(g) for g in rows], None)


async def list_grants(request: web.Request) -> web.Response:
    """A page of a grantee's grants, by document (a member lists its own), in force or
    revoked if status= is given."""
    node = request.app[NODE]
    caller = reader(request)
    grantee = address_param(request, "grantee")
    if grantee is None:
        raise bad_request("missing_parameter", "give grantee=ADDRESS")
    own_listing(caller, grantee=grantee)
    status = choice_param(request, "status", set(documents.GRANT_STATUSES))
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    page, next_cursor = documents.grantee_grants_page(node.store, grantee,
                                                      cursor_param(request), limit, status)
    rows = readable(node.store, caller, "grant", page)
    return page_answer("grants", [grant_view(g) for g in rows], next_cursor)


# ---------------------------------------------------------------- fees


def fee_account_view(account: fees.Account) -> dict[str, Any]:
    """A fee account and what it owes."""
    return {**to_json(account), "owed_fen": account.owed_fen}


def charge_view(cursor: bytes, charge: fees.Charge) -> dict[str, Any]:
    """A charge or payment, its height and its cursor."""
    return {**to_json(charge), "height": fees.charge_height(cursor), "cursor": cursor.hex()}


async def get_fee_schedule(request: web.Request) -> web.Response:
    """The fee schedule."""
    caller = reader(request)
    state = request.app[NODE].store
    schedule = fees.get_schedule(state)
    require_read(state, caller, "fee_schedule", schedule)
    return web.json_response(to_json(schedule))


async def get_fee_account(request: web.Request) -> web.Response:
    """A member's fee account and a page of its charges and payments, oldest first.

    The cursor is the charge's key suffix: its height (8 bytes, big-endian) and its
    transaction id, as 80 hex digits; each charge carries it as `cursor`.
    """
    node = request.app[NODE]
    caller = reader(request)
    address, account = member_record(request, "fee_account", fees.get_account)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    after = hex_cursor_param(request, fees.CHARGE_CURSOR_BYTES)
    charges, next_cursor = fees.charges_page(node.store, address, after, limit)
    charges = [(c, charge) for c, charge in charges
               if may_read(node.store, caller, "fee_account", charge)]
    return web.json_response({**fee_account_view(account),
                              "charges": [charge_view(c, charge) for c, charge in charges],
                              "next": next_text(next_cursor)})
