"""The node's reads the client library offers (wallet/sdk.py), as one table: `READS`.

Each `Read` names a method, the route it asks (its path's {fields} are the method's first
arguments), the query parameters that follow them, and what it returns; a paged listing
names the key of its list and is followed page by page, up to `max_items`. `Client` and
`AsyncClient` get one method per entry, made from the entry (`bind` turns a call into the
request both send), so the two cannot differ, and adding a read is one entry.

What a read returns is the node's JSON view as a dict: a node of a later release adds
fields to a view, and a dict carries them through where a class would drop them or fail
to build. The common records are typed field by field (`VoucherView`, `PledgeView`,
`TransferView`, `ObligationView`, `MemberView`: TypedDicts, their fields those of the
contract's record, tests/test_client_library.py checks them against it); the rest are
`Record` (the contract's record as JSON, contracts/codec.to_json: bytes as hex; README
"HTTP API", GET /v1/openapi.json).

Pure: no I/O here. The transports are wallet/client.py (urllib) and AsyncClient (aiohttp).
"""

from __future__ import annotations

import inspect
import string
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

__all__ = ["READS", "FilingView", "IdentityView", "Listing", "MemberView",
           "ObligationView", "Page", "PledgeView", "Read", "Record", "ReviewView",
           "TransferView", "VoucherView", "VouchersPage"]

# The header a member asked to co-sign presents the draft in (the transaction's canonical
# bytes in hex), so that the node lets it read the voucher state the draft names: the
# name node/http/reads.py reads (DRAFT_HEADER), spelled here since the wallet imports no
# node module.
DRAFT_HEADER = "X-Claimledger-Draft"
PAGE_LIMIT = 1000  # the most one page of a listing holds (the node's MAX_PAGE)
MAX_PAGES = 100  # a bound on how many pages one listing follows

# ------------------------------------------------------------------ what reads return

# A record as the node shows it: the contract's record as JSON (bytes as hex, the
# dataclass's fields by name).
Record = dict[str, Any]
# A listing: its list under the read's `items` key, `next` (the cursor after the last
# item given, None at the end), and the fields beside the list of its first page.
Page = dict[str, Any]


class VoucherView(TypedDict, total=False):
    """GET /v1/vouchers/{id}: a voucher state with its line (`lineage`: the ids of the
    states it descends from, nearest first) and the children the caller may read."""

    id: str
    origin: str
    parent: str | None
    application: str
    debtor: str
    holder: str
    amount_fen: int
    due_ms: int
    asset_offset: bool
    consumption_offset: bool
    extension_days: int
    extension_max: int
    extensions_used: int
    overdue_since_ms: int | None
    basis_ref: str
    basis_sha256: str
    cause: str
    created_by: str
    created_at_ms: int
    created_height: int
    status: str
    ended_by: str | None
    pledge: str | None
    reserved_by: str | None
    commitments: list[str]
    lineage: list[str]
    children: list[str]
    origin_record: dict[str, Any] | None


class VouchersPage(TypedDict):
    vouchers: list[VoucherView]
    next: str | None


class FilingView(TypedDict):
    """A pledge's 中登网 registration: its 登记编号 and period, as ledger times."""

    number: str
    from_ms: int
    until_ms: int


class PledgeView(TypedDict, total=False):
    """GET /v1/pledges/{id}: a pledge (contracts.pledge.Pledge) as its parties, the agency
    and the regulators read it."""

    id: str
    registration_no: str
    voucher: str
    origin: str
    debtor: str
    pledgor: str
    bank: str
    secured_fen: int
    loan_due_ms: int
    loan_ref: str
    loan_fen: int
    loan_rate_bp: int
    filing: FilingView | None
    status: str
    registered_at_ms: int
    changed_at_ms: int
    amendments: int
    renewals: int
    released_fen: int
    ended_at_ms: int | None
    ended_by: str | None
    end_reason: str


class TransferView(TypedDict, total=False):
    """GET /v1/transfers/{id}: a transfer offered, and what became of it
    (contracts.transfer.PendingTransfer)."""

    id: str
    holder: str
    to: str
    debtor: str
    voucher: str
    amount_fen: int
    contract_ref: str
    documents: list[str]
    offered_at_ms: int
    sign_by_ms: int
    status: str
    decided_at_ms: int | None
    moved: str | None
    reason: str


class ObligationView(TypedDict, total=False):
    """GET /v1/obligations/{id}: an obligation (contracts.obligations.Obligation) and
    `open_round`, the open set-off round it is in (None when in none)."""

    id: str
    creditor: str
    debtor: str
    face_fen: int
    amount_fen: int
    setoff_fen: int
    reduced_fen: int
    due_ms: int
    basis_ref: str
    basis_sha256: str
    status: str
    submitted_at_ms: int
    confirmed_at_ms: int | None
    ended_at_ms: int | None
    ended_by: str | None
    note: str
    assigned_fen: int
    assigned_from: str | None
    basis_creditor: str | None
    overdue_since_ms: int | None
    debt: str | None
    open_round: str | None


class IdentityView(TypedDict, total=False):
    """Who a member is in law; the personal fields are empty for a reader that is not
    the member, the agency or a regulator (named in the member's `withheld`)."""

    person_type: str
    credit_code: str
    id_reference: str
    legal_representative: str
    contacts: str
    industry: str
    region: str


class ReviewView(TypedDict, total=False):
    reviewer: str
    reviewed_at_ms: int
    reviewed_height: int
    documents: list[str]
    reason: str


class MemberView(TypedDict, total=False):
    """GET /v1/members/{address}: a member (contracts.membership.Member). `key` is the
    key it signs with now; `withheld` names the private fields emptied for this reader
    (absent when it reads them)."""

    address: str
    name: str
    roles: list[str]
    status: str
    admitted_at_ms: int
    admitted_height: int
    note: str
    identity: IdentityView | None
    review: ReviewView | None
    key: str
    key_since_height: int
    withheld: list[str]


# ------------------------------------------------------------------ the table


def _no_zero(ms: int | None) -> int | None:
    return ms or None


def _commas(values: list[str] | tuple[str, ...]) -> str | None:
    return ",".join(values) or None


@dataclass(frozen=True)
class Read:
    """One read of the node's API, and the method `Client` and `AsyncClient` make of it.

    `path`: the route, its {fields} the method's first arguments (in order); `query`: the
    query parameters after them, each "name" or "name:wire" (the parameter the node
    reads, when the name is a Python keyword), default None (left out: the node's
    default); `forms`: how a value is sent when it is not sent as it is (None: left out);
    `headers`: arguments sent as request headers (bytes as hex); `items`: a paged
    listing's key (the method takes `after=` and `max_items=` too); `raw`: the answer's
    bytes (a file), not JSON."""

    name: str
    path: str
    returns: Any = Record
    query: tuple[str, ...] = ()
    items: str | None = None
    max_items: int = 1000
    forms: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bool = False
    doc: str = ""

    def __post_init__(self) -> None:
        assert self.path.startswith("/"), self.path
        names = [*self.args, *self.params, *self.headers]
        if self.items is not None:
            names += ["after", "max_items"]
        assert len(set(names)) == len(names), self.name
        assert set(self.forms) <= set(self.params), self.name

    @property
    def args(self) -> tuple[str, ...]:
        """The path's fields: the method's first arguments."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.path) if name)

    @property
    def params(self) -> dict[str, str]:
        """The query parameters: the method's name for each, and the node's."""
        return dict((q.partition(":")[0], q.partition(":")[2] or q.partition(":")[0])
                    for q in self.query)

    @property
    def signature(self) -> inspect.Signature:
        """The method's signature, `self` first."""
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters = [inspect.Parameter("self", kind)]
        parameters += [inspect.Parameter(a, kind, annotation=str) for a in self.args]
        parameters += [inspect.Parameter(q, kind, default=None) for q in self.params]
        parameters += [inspect.Parameter(h, kind, default=None, annotation=bytes | None)
                       for h in self.headers]
        if self.items is not None:
            only = inspect.Parameter.KEYWORD_ONLY
            parameters += [inspect.Parameter("after", only, default=None, annotation=str | None),
                           inspect.Parameter("max_items", only, default=self.max_items,
                                             annotation=int)]
        return inspect.Signature(parameters, return_annotation=self.returns)

    def bind(self, args: tuple, kwargs: dict[str, Any]) -> Request:
        """The request a call with `args` and `kwargs` makes; a call the method's
        signature refuses raises TypeError, as a method's would."""
        bound = self.signature.bind(None, *args, **kwargs)
        bound.apply_defaults()
        given = bound.arguments
        path = self.path.format(**{a: urllib.parse.quote(str(given[a]), safe="")
                                   for a in self.args})
        query: dict[str, Any] = {}
        for name, wire in self.params.items():
            value = given[name]
            if value is not None and name in self.forms:
                value = self.forms[name](value)
            if value is not None:
                query[wire] = value
        headers = {header: given[name].hex() for name, header in self.headers.items()
                   if given[name] is not None}
        listing = None if self.items is None else Listing(self.items, given["max_items"],
                                                          given["after"])
        return Request(path, query, headers, listing)


@dataclass(frozen=True)
class Request:
    """What one read asks: GET `path` with `query` and `headers`; a listing's pages."""

    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    listing: Listing | None


class Listing:
    """The pages of a listing, without I/O: ask `page_query()` (None: done), give each
    answer to `take`, and `result()` is the listing: up to `max_items` items and `next`,
    where it stopped (give it as `after=` to go on)."""

    def __init__(self, key: str, max_items: int, after: str | None) -> None:
        assert max_items > 0
        self.key, self.max_items, self.after = key, max_items, after
        self.first: dict | None = None
        self.items: list = []
        self.pages = 0
        self.done = False

    def page_query(self) -> dict[str, Any] | None:
        if self.done:
            return None
        return {"after": self.after,
                "limit": min(self.max_items - len(self.items), PAGE_LIMIT)}

    def take(self, answer: dict) -> None:
        assert not self.done
        self.first = self.first or answer
        self.items.extend(answer[self.key])
        self.after = answer.get("next")
        self.pages += 1
        self.done = (self.after is None or len(self.items) >= self.max_items
                     or self.pages >= MAX_PAGES)

    def result(self) -> Page:
        assert self.first is not None
        return {**self.first, self.key: self.items[:self.max_items], "next": self.after}


def _read(name: str, path: str, returns: Any = Record, *query: str, **options: Any) -> Read:
    return Read(name, path, returns, tuple(query), **options)


def _listing(name: str, path: str, items: str, *query: str, returns: Any = Page,
             **options: Any) -> Read:
    return Read(name, path, returns, tuple(query), items=items, **options)


# Every read, by family; a method's name is the entry's. Listings follow their pages.
READS: tuple[Read, ...] = (
    # chain
    _read("status", "/v1/status", doc="The node's head, chain id, contract versions."),
    _read("tx", "/v1/txs/{tx_id}", Record, "wait_ms", forms={"wait_ms": _no_zero},
          doc="A transaction's status, block and events; `wait_ms`: wait that long for "
              "its commit."),
    _read("member_events", "/v1/events", Page, "address", "after", "limit", "wait_ms",
          forms={"wait_ms": _no_zero},
          doc="One page of the events addressed to `address` after the cursor `after` "
              "(`events` and `follow_events` read your own, as `Event`s)."),
    _read("nodes", "/v1/nodes",
          doc="The node registry: validators in force and coming, later sets, observers."),
    _read("node_proposals", "/v1/nodes/proposals",
          doc="The validator changes proposed and pending, with their approvals' power."),
    # light client and proofs
    _read("genesis_header", "/v1/headers/genesis",
          doc="Block 0's header (JSON and canonical bytes) with its validator sets."),
    _read("headers", "/v1/headers", Record, "from_height:from", "limit",
          doc="Certified headers from `from_height` on, at most `limit`."),
    _read("proof", "/v1/proofs/{kind}/{record_id}", headers={"draft": DRAFT_HEADER},
          doc="A record of `kind` or its absence, with its proof against the head's state "
              "root; `draft`: a draft you were asked to co-sign, which lets you read the "
              "voucher state it names. `prove` checks it."),
    _read("ids", "/v1/ids/{kind}", Record, "prefix",
          doc="The ids of `kind` (a kind of /v1/proofs, or `transaction`) starting with "
              "`prefix` (8+ hex digits) that you may read: `matches` ({id, record}, at "
              "most 10), `more`."),
    # members and documents
    _read("member", "/v1/members/{address}", MemberView, doc="A member."),
    _listing("members", "/v1/members", "members", "role", max_items=10_000,
             doc="The members; with `role`, the active members holding it."),
    _read("applications", "/v1/applications", Record, "creditor", "debtor",
          doc="Pending applications for vouchers, of a creditor or a debtor."),
    _read("application", "/v1/applications/{application_id}", Record,
          doc="An issuance application and its status."),
    _read("document", "/v1/documents/{document_id}", Record, "envelope",
          forms={"envelope": lambda on: None if on else "false"},
          doc="A document's attachment record, with its sealed envelope unless "
              "`envelope` is False."),
    _read("document_grants", "/v1/documents/{document_id}/grants",
          doc="The grants of a document you read."),
    _listing("grants", "/v1/grants", "grants", "grantee", "status",
             doc="A grantee's grants of access to documents."),
    # vouchers
    _read("voucher", "/v1/vouchers/{voucher_id}", VoucherView,
          doc="A voucher state with its lineage and the children you may read."),
    _read("lineage", "/v1/vouchers/{voucher_id}/lineage",
          doc="A voucher state with the states above it and the tree below it."),
    _listing("vouchers", "/v1/vouchers", "vouchers", "holder", "debtor", "status",
             "standing", returns=VouchersPage,
             doc="Voucher states by holder or debtor (`status`: active, consumed, "
                 "cancelled)."),
    _read("holder", "/v1/holders/{address}", doc="A holder's totals."),
    _read("debtor", "/v1/debtors/{address}",
          doc="A debtor's record: outstanding, overdue and extended vouchers, late "
              "confirmations."),
    _read("origin", "/v1/origins/{origin_id}", doc="An issued voucher's origin record."),
    # pledges and acquisition
    _listing("pledges", "/v1/pledges", "pledges", "voucher", "origin", "bank", "pledgor",
             "debtor", doc="Pledges (a pledge you are no party to: its public notice)."),
    _read("pledge_certificate", "/v1/pledges/certificate", Record, "voucher", "origin",
          "pledgor", "debtor", "status", "after",
          doc="A query certificate of the registry, signed by the node."),
    _read("pledge", "/v1/pledges/{pledge_id}", PledgeView, doc="A pledge."),
    _listing("commitments", "/v1/commitments", "commitments", "voucher", "acquirer"),
    _read("commitment", "/v1/commitments/{commitment_id}"),
    # redemption, products, financing, sales, transfers
    _listing("offers", "/v1/offers", "offers", "debtor"),
    _read("offer", "/v1/offers/{offer_id}"),
    _listing("products", "/v1/products", "products", "funder", "kind", "status"),
    _read("product", "/v1/products/{product_id}"),
    _listing("financing_requests", "/v1/financing/requests", "requests", "party", "status"),
    _read("financing_request", "/v1/financing/requests/{request_id}"),
    _listing("sales", "/v1/sales", "sales", "party", "role", "status"),
    _read("sale", "/v1/sales/{sale_id}"),
    _listing("transfers", "/v1/transfers", "transfers", "holder", "to", "status"),
    _read("transfer", "/v1/transfers/{transfer_id}", TransferView,
          doc="A transfer offered, and what became of it."),
    _listing("redemptions", "/v1/redemptions", "redemptions", "holder", "debtor"),
    _read("redemption", "/v1/redemptions/{request_id}"),
    # credit, the blacklist, fees
    _read("credit_debtor", "/v1/credit/debtors/{address}"),
    _read("credit_exposure", "/v1/credit/exposures/{funder}/{debtor}"),
    _listing("blacklist", "/v1/credit/blacklist", "listings", "status",
             doc="Blacklisted debtors (`status`: listed, the default, delisted, any)."),
    _read("blacklist_criteria", "/v1/credit/criteria"),
    _read("fee_schedule", "/v1/fees"),
    _listing("fee_account", "/v1/fees/{address}", "charges"),
    # reports
    _read("report", "/v1/reports", Record, "period", "by", "member",
          doc="A period report as JSON (`by`: total, the default, or a grouping)."),
    _read("report_file", "/v1/reports", bytes, "period", "by", "fmt:format", "member",
          raw=True, doc="A period report as the node exports it: CSV or XLSX bytes."),
    # obligations and set-off
    _listing("obligations", "/v1/obligations", "obligations", "creditor", "debtor",
             "status"),
    _read("obligation", "/v1/obligations/{obligation_id}", ObligationView,
          doc="An obligation and the open set-off round it is in."),
    _listing("setoff_rounds", "/v1/setoff/rounds", "rounds", "member", "status"),
    _read("setoff_round", "/v1/setoff/rounds/{round_id}", Record, "member"),
    _read("setoff_plan", "/v1/setoff/plan", Record, "exclude", "run_batches",
          forms={"exclude": _commas, "run_batches": lambda on: "1" if on else None},
          doc="The agency's set-off plan, leaving out the members `exclude` names."),
    _read("setoff_mandates", "/v1/setoff/mandates/{member}"),
    _read("setoff_run", "/v1/setoff/runs/{run_id}", Record, "member"),
    _listing("setoff_runs", "/v1/setoff/runs", "runs", "member"),
    _read("setoff_limit", "/v1/setoff/limits/{member}"),
    _read("setoff_totals", "/v1/setoff/totals"),
    # court freezes and disputes
    _listing("freezes", "/v1/freezes", "freezes", "party", "voucher", "status"),
    _read("freeze", "/v1/freezes/{order_id}"),
    _listing("disputes", "/v1/disputes", "disputes", "party", "subject", "status"),
    _read("dispute", "/v1/disputes/{dispute_id}"),
)
assert len({r.name for r in READS}) == len(READS)

