"""The members' paths (node/http/members.py): the member directory, issuance
applications, confidential documents and their grants, fee schedule and fee accounts."""

from __future__ import annotations

from typing import Any

from contracts.documents import GRANT_STATUSES, MAX_GRANTS
from contracts.membership import ROLES
from node.http.openapi.common import (
    LIMIT,
    PAGING,
    STATUS_FILTER,
    answer,
    bare_page,
    cursor,
    get,
    page,
    path_id,
    query,
)
from node.http.schemas import enum, ref


def member_paths() -> dict[str, Any]:
    return {
        "/v1/members": get(
            "Members, in address order; or the active members with a role",
            [query("role", "only active members with this role (e.g. the agency and the "
                   "regulators a document is sealed to)", enum(ROLES)), *PAGING],
            bare_page("members", "Member", "a page of members"), 400),
        "/v1/members/{address}": get(
            "A member: name, roles, status", [path_id("address", "member address")],
            answer(ref("Member"), "member"), 400, 404),
        "/v1/applications": get(
            "Issuance applications by creditor or by debtor",
            [query("creditor", "creditor address"), query("debtor", "debtor address"),
             *PAGING],
            bare_page("applications", "Application", "a page of applications"), 400),
        "/v1/applications/{id}": get(
            "An issuance application and its status",
            [path_id("id", "application id (the apply transaction's id)")],
            answer(ref("Application"), "application"), 400, 404),
        "/v1/documents/{id}": get(
            "A confidential document: who attached it, its commitment, parties and "
            "readers, and its sealed envelope",
            [path_id("id", "the document's id (sha256 of a domain tag, the owner and "
                     "the commitment), as the transactions resting on it name it"),
             query("envelope", "false: the record only, without the envelope",
                   enum(["true", "false"]))],
            answer(ref("Document"), "attachment"), 400, 404,
            description="The ledger keeps the ciphertext only, and nothing an outsider "
            "could test a guess against: the document, its label and a 32-byte salt "
            "were padded to a size class, encrypted once with a fresh key, and that key "
            "sealed to each reader's X25519 key (derived from its Ed25519 address) with a "
            "sealed box. The commitment is sha256 of a domain tag, the salt and the "
            "plaintext. A reader opens its sealed key, decrypts, strips the padding and "
            "checks the commitment and the id (claimledger-wallet document get)."),
        "/v1/documents/{id}/grants": get(
            "The grants of a document the caller reads: its parties, the agency and the "
            "regulators read them all, a granter and a grantee their own",
            [path_id("id", "the document's id")],
            page("grants", "Grant", "every grant of the document the caller reads (at "
                 f"most {MAX_GRANTS}: one page, `next` is null)"), 400, 404,
            description="A holder of a voucher grants a member access to a basis "
            "document its issuance application named (document.grant), with the "
            "document key sealed to that member; the grantee then reads the document and "
            "its envelope, with its grant. A revoked grant stays listed, revoked."),
        "/v1/grants": get(
            "A grantee's grants of access to documents (a member lists its own)",
            [query("grantee", "grantee address", required=True),
             query("status", STATUS_FILTER, enum(GRANT_STATUSES)), *PAGING],
            page("grants", "Grant", "a page of grants, by document"), 400),
        "/v1/fees": get("The fee schedule in force", [],
                        answer(ref("FeeSchedule"), "fee schedule")),
        "/v1/fees/{address}": get(
            "A member's fee account and a page of its charges and payments, oldest first",
            [path_id("address", "member address"), LIMIT,
             cursor(80, "a charge's `cursor`: charges after it")],
            answer(ref("FeeAccount"), "fee account"), 400, 404,
            description="`after` is a charge's `cursor`: its height (8 bytes, big-endian) "
            "and transaction id, 80 hex digits."),
    }
