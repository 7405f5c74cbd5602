"""The OpenAPI 3.1 document of the HTTP API, served at /v1/openapi.json: every path,
its parameters and answers; the record schemas are node/http/schemas.py's."""

from __future__ import annotations

from typing import Any

from contracts import (
    acquisition,
    credit,
    evidence,
    financing,
    obligations,
    pledge,
    products,
    redemption,
    registry_query,
    sale,
    setoff,
    supervision,
    transfer,
    vouchers,
)
from contracts.documents import GRANT_STATUSES, MAX_DOCUMENT_BYTES, MAX_GRANTS
from contracts.membership import ROLES
from contracts.record_proofs import PROVABLE
from contracts.report_periods import KINDS, PERIOD_PATTERN
from contracts.reports import FIGURES, GROUPINGS
from contracts.tx import MAX_LARGE_TX_BYTES
from node.http.alerts import SOURCES as ALERT_SOURCES
from node.http.headers import MAX_FROM
from node.http.schemas import (
    HEX32,
    HEX32_OR_NULL,
    INT,
    NEXT,
    OBJECT,
    RECORD_SCHEMAS,
    STR,
    enum,
    record,
    ref,
)
from node.http.submit import MAX_BATCH_BODY_BYTES, MAX_BATCH_TXS
from node.metrics import CONTENT_TYPE
from node.report_export import CONTENT_TYPES as EXPORT_TYPES
from node.report_export import FORMATS as EXPORT_FORMATS
from node.setoff_plan import MAX_PLAN_DEBTS

# What the API takes in a path or a query: 64 hex digits, either case.
HEX32_IN = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
ERROR = {"$ref": "#/components/schemas/Error"}
RETRY_AFTER = {"Retry-After": {
    "description": "seconds to wait before trying again", "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_TEXT = {
    400: "bad input: request.*, codec.*, address.malformed, tx.* (signature, chain, "
         "contract, expiry)",
    403: "observer.read_only: this node takes no submissions",
    404: "not_found",
    408: "request.body_timeout: the body came slower than the node's minimum rate (after a "
         "grace of seconds); the connection is closed",
    409: "tx.replay: already on the ledger",
    413: "request.too_large: the body exceeds the hex of the largest transaction in JSON "
         f"(2 x {MAX_LARGE_TX_BYTES} bytes + 64 KiB)",
    415: "request.encoding_refused: a body with a Content-Encoding other than identity; "
         "bodies are taken uncompressed",
    422: "a rule of the ledger refuses it (issuance.*, membership.*, ...)",
    429: "submit.rate_limited: this client submits faster than the node allows; "
         "mempool.member_quota: a member that signed it has its share of the mempool "
         "pending; mempool.member_throttled: that member's transactions failed their rules "
         "in blocks lately; retry after Retry-After seconds",
    503: "store.corrupt or store.write_failed: the node stopped serving its store",
}


def _errors(*statuses: int) -> dict:
    """Error answers; every operation that reads the store may also answer 503."""
    out = {str(s): _json(ERROR, ERROR_TEXT[s]) for s in statuses}
    if "429" in out:
        out["429"]["headers"] = RETRY_AFTER
    out.setdefault("503", _json(ERROR, ERROR_TEXT[503]))
    return out


def _path_id(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or HEX32_IN}


def _query(name: str, description: str, schema: dict | None = None,
           required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or HEX32_IN}


def _cursor(digits: int, description: str) -> dict:
    return _query("after", description,
                  {"type": "string", "pattern": f"^[0-9a-fA-F]{{{digits}}}$"})


LIMIT = _query("limit", "page size (default 100)",
               {"type": "integer", "minimum": 1, "maximum": 1000})
PAGING = [LIMIT, _cursor(64, "cursor: the `next` of the previous page")]
WAIT_MS = {"type": "integer", "minimum": 0, "maximum": 30000}


def _page(key: str, item: str, description: str) -> dict:
    return _json({"type": "object", "required": [key, "next"], "properties": {
        key: {"type": "array", "items": ref(item)}, "next": NEXT}}, description)


def _get(summary: str, parameters: list, ok: dict, *errors: int, description: str = "",
         more: dict | None = None) -> dict:
    operation = {"summary": summary, "parameters": parameters,
                 "responses": {"200": ok, **_errors(*errors), **(more or {})}}
    if description:
        operation["description"] = description
    return {"get": operation}


STATUS_FILTER = "only records with this status"


def supervision_paths() -> dict[str, Any]:
    """Court freezes and disputes (node/http/supervision.py)."""
    return {
        "/v1/freezes": _get(
            "Freeze orders (冻结): a party's (holder or debtor; a member lists its own), an "
            "issued voucher's, or, with neither, every order in force (agency, regulators)",
            [_query("party", "holder or debtor address"),
             _query("voucher", "the issued voucher (origin id)"),
             _query("status", STATUS_FILTER, enum(supervision.FREEZE_STATUSES)), *PAGING],
            _page("freezes", "FreezeOrder", "a page of freeze orders"), 400),
        "/v1/freezes/{id}": _get(
            "A freeze order", [_path_id("id", "order id (the freezing transaction's id)")],
            _json(ref("FreezeOrder"), "freeze order"), 400, 404),
        "/v1/disputes": _get(
            "Disputes (异议): a party's (a member lists its own), a subject's, or, with "
            "neither, every open dispute, or every one of a status (agency, regulators)",
            [_query("party", "party address"),
             _query("subject", "application id, issued voucher (origin) id or obligation id"),
             _query("status", STATUS_FILTER + " (any: every status; with neither party nor "
                    "subject the default is open)",
                    enum(supervision.DISPUTE_STATUSES | {"any"})), *PAGING],
            _page("disputes", "Dispute", "a page of disputes"), 400),
        "/v1/disputes/{id}": _get(
            "A dispute", [_path_id("id", "dispute id (the raising transaction's id)")],
            _json(ref("Dispute"), "dispute"), 400, 404),
    }


def lifecycle_paths() -> dict[str, Any]:
    id_ = _path_id
    address = _path_id("address", "member address")
    return {
        "/v1/vouchers/{id}/lineage": _get(
            "A voucher state with every ancestor state and the tree of its descendants",
            [id_("id", "voucher id")], _json(ref("Lineage"), "lineage"), 400, 404),
        "/v1/holders/{address}": _get(
            "What a member holds: live claim in fen and number of live parts",
            [address], _json(ref("HolderTotals"), "holder totals"), 400, 404),
        "/v1/debtors/{address}": _get(
            "A debtor's record: outstanding, issued, redeemed, confirmations, lateness",
            [address], _json(ref("DebtorRecord"), "debtor record"), 400, 404),
        "/v1/origins/{id}": _get(
            "An issued voucher as a whole: face value, redeemed, set off, live parts",
            [id_("id", "id of the issued voucher")], _json(ref("Origin"), "origin"), 400, 404),
        "/v1/pledges": _get(
            "The pledge registry by voucher state, issued voucher, pledgor, debtor or bank "
            "(one of them)",
            [_query("voucher", "voucher state id"), _query("origin", "issued voucher id"),
             _query("pledgor", "pledgor address"),
             _query("debtor", "address of the debtor of the pledged claims"),
             _query("bank", "bank address (a bank lists its own)"),
             _query("status", STATUS_FILTER, enum(pledge.PLEDGE_STATUSES)),
             *PAGING],
            _json({"type": "object", "required": ["pledges", "next"], "properties": {
                "pledges": {"type": "array",
                            "items": {"anyOf": [ref("Pledge"), ref("PledgeNotice")]}},
                "next": NEXT}}, "a page of pledges: the registration to its parties, the "
                "public notice to other members"), 400),
        "/v1/pledges/certificate": _get(
            "A query certificate (查询证明): the registry's answer signed by this node",
            [_query("voucher", "voucher state id"), _query("origin", "issued voucher id"),
             _query("pledgor", "pledgor address"),
             _query("debtor", "address of the debtor of the pledged claims"),
             _query("status", STATUS_FILTER, enum(pledge.PLEDGE_STATUSES)),
             _query("after", "the page after this pledge id")],
            _json(ref("PledgeCertificate"), "the certificate: verify it offline with "
                  "contracts.registry_query.verify_certificate (wallet: pledge-certificate)"),
            400, 403,
            description=f"One of voucher=, origin=, pledgor=, debtor=. At most "
            f"{registry_query.MAX_RESULTS} public notices, by pledge id, each with a proof "
            "of its index entry under the state root of the head it was answered at."),
        "/v1/pledges/{id}": _get(
            "A pledge registration", [id_("id", "pledge id (the create transaction's id)")],
            _json(ref("Pledge"), "pledge"), 400, 404),
        "/v1/commitments": _get(
            "Acquisition commitments a voucher state carries, or an acquirer's (one of them)",
            [_query("voucher", "voucher state id"), _query("acquirer", "acquirer address"),
             *PAGING],
            _page("commitments", "Commitment", "a page of commitments"), 400, 404),
        "/v1/commitments/{id}": _get(
            "An acquisition commitment and a page of its sales",
            [id_("id", "commitment id (the commit transaction's id)"), *PAGING],
            _json({"allOf": [ref("Commitment"), {"type": "object", "properties": {
                "sales": {"type": "array", "items": ref("Sale")}, "next": NEXT}}]},
                "commitment with sales"), 400, 404,
            description="`after` is the exercise transaction id of the last sale seen."),
        "/v1/offers": _get(
            "A debtor's redemption offers",
            [_query("debtor", "debtor address", required=True),
             _query("status", STATUS_FILTER, enum(redemption.OFFER_STATUSES)), *PAGING],
            _page("offers", "Offer", "a page of offers"), 400),
        "/v1/offers/{id}": _get(
            "A redemption offer", [id_("id", "offer id (the publish transaction's id)")],
            _json(ref("Offer"), "offer"), 400, 404),
        "/v1/products": _get(
            "Funders' products (banks', factors' and microlenders'): every one, or one "
            "funder's, of one kind",
            [_query("funder", "funder address"),
             _query("kind", "only products of this kind", enum(products.KINDS)),
             _query("status", STATUS_FILTER, enum(products.STATUSES)), *PAGING],
            _page("products", "Product", "a page of products"), 400),
        "/v1/products/{id}": _get(
            "A funder's product", [id_("id", "product id (sha256 of a domain tag, the "
                                         "funder and the product's name)")],
            _json(ref("Product"), "product"), 400, 404),
        "/v1/financing/requests": _get(
            "Financing requests: a member's own (made, addressed to it or answered by it), "
            "or without party= the open requests to every funder",
            [_query("party", "member address (a member lists its own)"),
             _query("status", STATUS_FILTER, enum(financing.REQUEST_STATUSES)), *PAGING],
            _page("requests", "FinancingRequest", "a page of financing requests"), 400, 403),
        "/v1/financing/requests/{id}": _get(
            "A financing request with the answers the caller reads",
            [id_("id", "request id (the request transaction's id)")],
            _json(ref("FinancingRequestAnswered"), "financing request"), 400, 404),
        "/v1/sales": _get(
            "Sales of claims to funders (保理) a party is seller, buyer or debtor of (a "
            "member lists its own)",
            [_query("party", "the party's address", required=True),
             _query("role", "only sales in which the party has this role",
                    enum(sale.ROLES)),
             _query("status", STATUS_FILTER, enum(sale.STATUSES)), *PAGING],
            _page("sales", "ClaimSale", "a page of sales"), 400),
        "/v1/sales/{id}": _get(
            "A sale of a claim to a funder",
            [id_("id", "sale id (sha256 of a domain tag, the transaction's id and the "
                       "state or obligation sold)")],
            _json(ref("ClaimSale"), "sale"), 400, 404),
        "/v1/transfers": _get(
            "Transfers (签收) a holder offered or a transferee is to sign (one of them)",
            [_query("holder", "holder address"), _query("to", "transferee address"),
             _query("status", STATUS_FILTER, enum(transfer.STATUSES)), *PAGING],
            _page("transfers", "Transfer", "a page of transfers"), 400),
        "/v1/transfers/{id}": _get(
            "A transfer offer and its answer", [id_("id", "transfer id (the offer "
                                                      "transaction's id)")],
            _json(ref("Transfer"), "transfer"), 400, 404),
        "/v1/redemptions": _get(
            "Redemption requests by holder or by debtor (one of them)",
            [_query("holder", "holder address"), _query("debtor", "debtor address"),
             _query("status", STATUS_FILTER,
                    enum(redemption.REQUEST_STATUSES)), *PAGING],
            _page("redemptions", "Redemption", "a page of redemption requests"), 400),
        "/v1/redemptions/{id}": _get(
            "A redemption request", [id_("id", "request id (the request transaction's id)")],
            _json(ref("Redemption"), "redemption request"), 400, 404),
        "/v1/fees": _get("The fee schedule in force", [],
                         _json(ref("FeeSchedule"), "fee schedule")),
        "/v1/fees/{address}": _get(
            "A member's fee account and a page of its charges and payments, oldest first",
            [address, LIMIT, _cursor(80, "a charge's `cursor`: charges after it")],
            _json(ref("FeeAccount"), "fee account"), 400, 404,
            description="`after` is a charge's `cursor`: its height (8 bytes, big-endian) "
            "and transaction id, 80 hex digits."),
        "/v1/events": _get(
            "Events addressed to a member, oldest first",
            [_query("address", "member address", required=True),
             _cursor(24, "an event's `cursor` (24 hex digits): events after it"),
             LIMIT,
             _query("wait_ms", "if no event follows the cursor, wait up to this long for "
                    "the next block that brings one", WAIT_MS)],
            _page("events", "Event", "a page of events"), 400,
            description="An event is listed for each address among its parties. The cursor "
            "is the block height (8 bytes, big-endian) and the event's sequence number in "
            "that block (4 bytes, big-endian: transactions' events in order, then the "
            "end-of-block step's). `next` is null once the stream is read to its end; to "
            "follow it, pass the last event's `cursor` as `after` with wait_ms. A node "
            "that started from a snapshot (state sync) holds no events before its base: a "
            "read from the start or from an earlier cursor answers 400 events.before_base."),
    }


def setoff_paths() -> dict[str, Any]:
    return {
        "/v1/obligations": _get(
            "Obligations uploaded for set-off, by creditor or by debtor (one of them)",
            [_query("creditor", "creditor address"), _query("debtor", "debtor address"),
             _query("status", STATUS_FILTER, enum(obligations.STATUSES)), *PAGING],
            _page("obligations", "Obligation", "a page of obligations"), 400),
        "/v1/obligations/{id}": _get(
            "An obligation", [_path_id("id", "obligation id (the submit transaction's id)")],
            _json(ref("Obligation"), "obligation"), 400, 404),
        "/v1/setoff/rounds": _get(
            "Set-off rounds concerning a member (its own debts, or proposed by it), or every "
            "open round",
            [_query("member", "member address"),
             _query("status", STATUS_FILTER + "; without member= only open",
                    enum(setoff.ROUND_STATUSES)), *PAGING],
            _page("rounds", "SetoffRound", "a page of rounds, in round id order"), 400,
            description="With member=, each round's `asks` holds that member's only."),
        "/v1/setoff/rounds/{id}": _get(
            "A set-off round: legs, members, consents, result figures and what it asks of "
            "each member",
            [_path_id("id", "round id (the propose transaction's id)"),
             _query("member", "only this member's entry in `asks`")],
            _json(ref("SetoffRound"), "round"), 400, 404),
        "/v1/setoff/plan": _get(
            "The optimal set-off of the debts now, cut into rounds the contract accepts",
            [_query("exclude", "addresses to leave out, comma separated (or the parameter "
                    "repeated), at most 1000",
                    {"type": "string", "pattern": "^([0-9a-fA-F]{64}(,[0-9a-fA-F]{64})*)?$"}),
             _query("run_batches", "1: include the run's batches", enum(["0", "1"]))],
            _json(ref("SetoffPlan"), "plan"), 400,
            description="Confirmed obligations and live vouchers that are not pledged, not "
            "reserved and in no open round, between active members that did not opt out. "
            "The optimum comes from a min-cost flow. The run is the optimum over debts "
            "between members with a live mandate, within their per-run limits, in batches "
            "of at most 500 debts; the rounds are the optimum of what the run leaves, each "
            "connected part with 3 or more members a round. Debts are read from a snapshot "
            "of one head beside the node, one plan at a time, and the answer is kept per "
            "head and exclusions. Past "
            f"{MAX_PLAN_DEBTS:,} live obligations and vouchers it answers 503 "
            "setoff.plan_too_large; while plans for other exclusions keep the solver busy, "
            "503 setoff.plan_busy with Retry-After."),
        "/v1/setoff/limits/{member}": _get(
            "A member's standing set-off limit",
            [_path_id("member", "member address")], _json(ref("SetoffLimit"), "limit"),
            400, 404),
        "/v1/setoff/totals": _get(
            "Set-off rounds executed and what they cleared in all; runs, their batches and "
            "what they cleared", [],
            _json(ref("SetoffTotals"), "totals")),
        "/v1/setoff/mandates/{member}": _get(
            "Every set-off mandate a member signed, and whether the latest stands",
            [_path_id("member", "member address")], _json(ref("SetoffMandates"), "mandates"),
            400, 404),
        "/v1/setoff/runs": _get(
            "Set-off runs in id order, or those that cleared something of a member",
            [_query("member", "member address: its runs, each with its `usage`"), *PAGING],
            _page("runs", "SetoffRun", "a page of runs"), 400),
        "/v1/setoff/runs/{id}": _get(
            "A set-off run: its figures and, with member=, what it cleared of that member",
            [_path_id("id", "run id (the open_run transaction's id)"),
             _query("member", "member address")], _json(ref("SetoffRun"), "run"), 400, 404),
        "/v1/setoff/runs/{id}/batches/{number}": _get(
            "One batch of a run, with its legs",
            [_path_id("id", "run id"),
             _path_id("number", "batch number", {"type": "string", "pattern": "^[0-9]+$"})],
            _json(ref("SetoffRunBatch"), "batch"), 400, 404),
    }


PAGE_FILES = ["app.js", "index.html", "style.css"]  # node/http/explorer.py serves these only
REGISTRY_TEXT = ("Every record of one kind, in key order ({order}), after the cursor `after`. "
                 "A page reads at most `limit` records; with `status=` at most 10,000 are "
                 "examined, so a page may be short and still carry a `next`.")


def explorer_paths() -> dict[str, Any]:
    """The regulator's explorer (a web page) and the reads it needs beside the API's."""

    def registry(summary: str, key: str, item: str, order: str, *statuses: str) -> dict:
        status = ([_query("status", STATUS_FILTER, enum(statuses))] if statuses else [])
        return _get(summary, [*status, *PAGING], _page(key, item, f"a page of {key}"), 400,
                    description=REGISTRY_TEXT.format(order=order))

    page = {"description": "the page", "content": {"text/html": {"schema": STR}}}
    return {
        "/explorer/": _get("The explorer: a read-only web page over this API", [], page,
                           description="A single-page app (hash routes: #/overview, "
                           "#/voucher/ID, #/pledges, #/commitments, #/overdue, #/debtors, "
                           "#/setoff, #/fees, #/reports, #/alerts) that reads the routes "
                           "below; every list has a filter box and a CSV download of the "
                           "rows it shows."),
        "/explorer/{file}": _get(
            "A file of the explorer page",
            [_path_id("file", "the file's name", {"type": "string", "enum": PAGE_FILES})],
            {"description": "the file", "content": {
                "text/html": {"schema": STR}, "text/javascript": {"schema": STR},
                "text/css": {"schema": STR}}}, 404),
        "/explorer/sign-in": _get(
            "Open a one-time sign-in link: a session for the explorer's pages",
            [_query("token", "the link's token (claimledger-wallet explorer)", STR)],
            {"description": "unused: a live token is answered 303"}, 503,
            description="A live token is spent and answered 303 to /explorer/ with the "
            "session cookie (claimledger_session: HttpOnly, SameSite=Strict, Secure over "
            "TLS); the pages' GET requests then carry it instead of a signature. An unknown, "
            "used or expired token is answered 403 with a page that says so.",
            more={"303": {"description": "signed in: on to /explorer/, the cookie set"},
                  "403": {"description": "the token is unknown, used or expired",
                          "content": {"text/html": {"schema": STR}}}}),
        "/explorer/sign-out": _get("End the browser's explorer session", [], page),
        "/v1/explorer/sign-in": {"post": {
            "summary": "A one-time link that opens the explorer (the agency and regulators)",
            "description": "Signed by the agency or a regulator (any other member: 403 "
            "read.forbidden); the link is good for one use within expires_in_ms.",
            "responses": {
                "200": _json({"type": "object", "required": [
                    "link", "expires_in_ms", "session_ms", "idle_ms"], "properties": {
                    "link": STR, "expires_in_ms": {"type": "integer"},
                    "session_ms": {"type": "integer"}, "idle_ms": {"type": "integer"}}},
                    "the link, a path on this node"),
                "403": READ_ERRORS["403"],
                "503": _json(ERROR, "session.busy: too many links wait to be opened")}}},
        "/v1/overview": _get(
            "The head, the last blocks' times and transaction counts, the validators' last "
            "signatures, and the debtors' totals",
            [_query("blocks", "how many blocks back from the head to read (default 120)",
                    {"type": "integer", "minimum": 1, "maximum": 1000})],
            _json(ref("Overview"), "overview"), 400,
            description="Blocks are read by height from the head down (headers and "
            "certificates only; a block read once is kept, so a later overview reads only "
            "newer blocks). The debtors' totals add up the debtor records, one per debtor, "
            "once per block."),
        "/v1/registry/debtors": registry(
            "Every debtor's record: outstanding, confirmations and their delay, late "
            "confirmations, extended and overdue vouchers", "debtors", "DebtorRecord",
            "by debtor address"),
        "/v1/registry/pledges": registry(
            "The whole pledge registry", "pledges", "Pledge", "by pledge id",
            *pledge.PLEDGE_STATUSES),
        "/v1/registry/financing": registry(
            "Every financing request (融资需求), whatever its status", "requests",
            "FinancingRequest", "by request id", *financing.REQUEST_STATUSES),
        "/v1/registry/sales": registry(
            "Every sale of a claim to a funder (保理)", "sales", "ClaimSale", "by sale id",
            *sale.STATUSES),
        "/v1/registry/commitments": registry(
            "Every acquisition commitment", "commitments", "Commitment", "by commitment id",
            *acquisition.COMMITMENT_STATUSES),
        "/v1/registry/rounds": registry(
            "Every set-off round, whatever its status", "rounds", "SetoffRound",
            "by round id; `round_no` and `proposed_at_ms` give the order they came in",
            *setoff.ROUND_STATUSES),
        "/v1/registry/fees": registry(
            "Every member's fee account: charged, paid, owed", "accounts",
            "FeeAccountSummary", "by member address"),
    }


ALERT_KINDS = sorted(ALERT_SOURCES)


def report_paths() -> dict[str, Any]:
    """Period reports (node/http/reports.py) and oversight alerts (node/http/alerts.py)."""
    figure = record(["count", "amount_fen"], count={"type": "integer", "minimum": 0},
                    amount_fen={"type": "integer", "minimum": 0})
    figures = {name: figure for name in FIGURES}
    row = record(["key", "name", *FIGURES], key=STR, name=STR, **figures)
    report = record(
        ["period", "by", "key_header", "member", "figures", "rows", "total", "facts",
         "from_height", "height", "complete"],
        period=record(["name", "kind", "start_ms", "end_ms", "time_zone", "due", "seed"],
                      name=STR, kind=enum(KINDS), start_ms=INT, end_ms=INT,
                      time_zone={"const": "UTC+8"},
                      due={"type": ["string", "null"], "description":
                           "the annual report's due date (§000-四(二): 31 January)"},
                      seed=STR),
        by=enum(GROUPINGS), key_header=record(["zh", "en"], zh=STR, en=STR),
        member=HEX32_OR_NULL,
        figures={"type": "array", "items": record(["key", "zh", "en"], key=enum(FIGURES),
                                                   zh=STR, en=STR)},
        rows={"type": "array", "items": row}, total=record(list(FIGURES), **figures),
        facts=INT, from_height=INT, height=INT,
        complete={"type": "boolean", "description": "the figures count every block up to "
                  "the head (false: the node's index is still reading a long chain; ask "
                  "again)"})
    alert = record(["kind", "subject", "debtor", "member", "amount_fen", "since_ms"],
                   kind=enum(ALERT_KINDS), subject=HEX32, debtor=HEX32, member=HEX32_OR_NULL,
                   amount_fen=INT, since_ms=INT,
                   # what the disputes and freezes sources add
                   dispute={**HEX32, "description": "disputes: the dispute's id (subject: "
                            "what it disputes)"},
                   dispute_kind={**enum(supervision.DISPUTE_KINDS), "description":
                                 "disputes: what is disputed"},
                   reason={**STR, "description": "disputes: the raising party's reason"},
                   age_days={**INT, "description": "disputes: whole days open, in ledger "
                             "time"},
                   voucher={**HEX32, "description": "freezes: the frozen voucher state"},
                   authority={**HEX32, "description": "freezes: the regulator or agency "
                              "that froze it"},
                   order_ref={**STR, "description": "freezes: the court order's reference"})
    alerts = record(["threshold_pct", "height", "sources"], threshold_pct=INT, height=INT,
                    sources={"type": "array", "items": record(
                        ["kind", "zh", "en", "alerts", "complete"], kind=enum(ALERT_KINDS),
                        zh=STR, en=STR, alerts={"type": "array", "items": alert},
                        complete={"type": "boolean"})})
    period_text = {"type": "string", "pattern": PERIOD_PATTERN}
    download = {"description": "the report as a table (Chinese headers; yuan as text with "
                "two decimals beside integer fen)", "content": {
                    "application/json": {"schema": report},
                    "text/csv": {"schema": STR},
                    EXPORT_TYPES["xlsx"]: {"schema": {"type": "string",
                                                      "format": "binary"}}}}
    return {
        "/v1/reports": _get(
            "A period's figures by debtor, bank, region or month, as JSON, CSV or XLSX",
            [_query("period", "YYYY-MM, YYYY-Qn, YYYY or YYYY-annual: a calendar period "
                    "in China Standard Time (UTC+8)", period_text, required=True),
             _query("by", "how the rows group (default total)", enum(GROUPINGS)),
             _query("member", "only this member's business (the facts whose debtor or bank "
                    "it is); required of a member that is neither agency nor regulator"),
             _query("format", "json (default), csv or xlsx", enum(EXPORT_FORMATS))],
            download, 400,
            description="Counts and amounts in fen of vouchers issued, transferred, "
            "financed (loans accepted, claims sold), pledged, redeemed, set off, extended "
            "and overdue, and of late confirmations, in [start_ms, end_ms) of block time. "
            "The agency and regulators read every report; another member reads its own "
            "(member= its address), else 403 read.forbidden."),
        "/v1/alerts": _get(
            "Oversight alerts: overdue vouchers, late confirmations, concentration, open "
            "disputes, freeze orders in force",
            [_query("kind", "only this kind of alert", enum(ALERT_KINDS)),
             _query("threshold_pct", "concentration: a holder's or bank's share of one "
                    "debtor's outstanding above this percent (default 50)",
                    {"type": "integer", "minimum": 1, "maximum": 100}),
             LIMIT],
            _json(alerts, "each alert source's alerts"), 400,
            description="One entry per alert source (node/http/alerts.py ALERT_SOURCES); "
            "the agency and regulators only."),
    }


def tx_batch_operation() -> dict[str, Any]:
    """POST /v1/txs/batch: many signed transactions, an answer for each in the order sent."""
    outcome = {"oneOf": [
        record(["id", "status"], id=HEX32, status={"const": "pending"}),
        record(["id", "error"], id={**HEX32_OR_NULL, "description": "null when the "
                                     "bytes do not decode as a transaction"},
                error=record(["code", "message"], code=STR, message=STR)),
    ]}
    return {
        "summary": "Submit up to 1,000 signed transactions at once",
        "description": "JSON {\"txs\": [hex, ...]} or, as application/msgpack, one msgpack "
        f"array of byte strings (bin): at most {MAX_BATCH_TXS} transactions and "
        f"{MAX_BATCH_BODY_BYTES} bytes of body (ordinary transactions; a document "
        "attachment goes to POST /v1/txs). Each is checked as POST /v1/txs checks one, in "
        "the order sent, and `results` says for each, in that order, that it is pending "
        "(sent again, it is still pending) or the error POST /v1/txs would have answered "
        "(tx.bad_signature, tx.wrong_chain, tx.replay, mempool.full, a rule's code...); "
        "when one met mempool.full the answer carries Retry-After. A body that is not one "
        "array of byte strings (request.bad_msgpack, request.bad_json, request.bad_batch, "
        "request.bad_hex) or holds too many (request.too_many_txs) is refused whole, "
        "nothing admitted. A batch of n costs the client n tokens of its submission "
        "budget (at least one), all or nothing: without them it is answered 429. A few "
        "batches are received at once, some more wait, and past that 503 submit.busy.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": record(["txs"], txs={
                "type": "array", "maxItems": MAX_BATCH_TXS,
                "items": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$",
                          "description": "a signed transaction's canonical bytes"}})},
            "application/msgpack": {"schema": {"type": "string", "format": "binary",
                                               "description": "a msgpack array of bin"}},
        }},
        "responses": {
            "200": {**_json(record(["results"], results={"type": "array",
                                                          "items": outcome}),
                            "the outcome of each transaction, in the order sent"),
                    "headers": {"Retry-After": {**RETRY_AFTER["Retry-After"],
                                                "required": False}}},
            **_errors(400, 403, 408, 415, 429),
            "413": _json(ERROR, "request.too_large: the body exceeds "
                         f"{MAX_BATCH_BODY_BYTES} bytes"),
            "503": {**_json(ERROR, "submit.busy (retry after Retry-After seconds), or "
                            "store.corrupt / store.write_failed"),
                    "headers": {"Retry-After": {**RETRY_AFTER["Retry-After"],
                                                "required": False}}},
        },
    }


# Routes that hold no member's business: no signature, no read rule.
OPEN_PATHS = frozenset({"/v1/status", "/v1/openapi.json", "/explorer/", "/explorer/{file}",
                        "/explorer/sign-in", "/explorer/sign-out", "/health", "/ready",
                        "/metrics"})
OK = {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}


def credit_paths() -> dict[str, Any]:
    """Credit limits and the blacklist (node/http/credit.py)."""
    return {
        "/v1/credit/limits": _get(
            "Every debtor's issuance limit (授信额度) with its use, listing and standing, by "
            "debtor address (agency, regulators)", PAGING,
            _page("limits", "DebtorCredit", "a page of debtors' credit, each with a limit"),
            400),
        "/v1/credit/debtors/{address}": _get(
            "A debtor's issuance limit (授信额度) and its use (outstanding + pending "
            "applications), its blacklist listing and its standing under the criteria",
            [_path_id("address", "debtor address")],
            _json(ref("DebtorCredit"), "the debtor's credit"), 400, 404),
        "/v1/credit/exposures/{funder}/{debtor}": _get(
            "A funder's exposure (大额风险暴露) to a debtor: claims pledged to it plus held "
            "by it, and the limit it set (the funder's own and oversight's)",
            [_path_id("funder", "funder address"), _path_id("debtor", "debtor address")],
            _json(ref("Exposure"), "exposure"), 400, 404),
        "/v1/credit/blacklist": _get(
            "The blacklist (失信名单): the debtors listed now, by address",
            [_query("status", "listed (default), delisted, or any",
                    enum(credit.LISTING_STATUSES | {"any"})), *PAGING],
            _page("listings", "Listing", "a page of listings"), 400),
        "/v1/credit/criteria": _get(
            "The blacklist criteria in force", [],
            _json(ref("BlacklistCriteria"), "criteria")),
    }


def proof_paths() -> dict[str, Any]:
    """GET /v1/proofs/{kind}/{id} (node/http/proofs.py); kinds and ids from
    contracts.record_proofs.PROVABLE."""
    ids = "; ".join(f"{p.kind}: {2 * p.id_bytes}" for p in PROVABLE.values())
    longest = max(p.id_bytes for p in PROVABLE.values())
    return {"/v1/proofs/{kind}/{id}": _get(
        "A record, or its absence, with its Merkle proof against the head's state root",
        [_path_id("kind", "a kind of record kept whole at one state key", enum(PROVABLE)),
         _path_id("id", "the record's id in hex; its length is the kind's",
                  {"type": "string", "pattern": f"^([0-9a-fA-F]{{2}}){{1,{longest}}}$"})],
        _json(ref("RecordProof"), "the record or its absence, proven"), 400,
        more={"404": _json(ERROR, "proof.unknown_kind: not a kind of record with proofs")},
        description="contracts.state_tree.verify(state_root, key, value, proof) holds, "
        "and state_root is the one in the header of block `height` (GET "
        "/v1/blocks/{height}). A record is shown to whoever its read rule lets read it; "
        "its absence to any member, or for a record kept per member (holder totals, "
        "debtor record, fee account, stream, set-off limit, mandate, usage) to whoever "
        "may read that member's zero record. A set-off mandate's id is the member's "
        "address then its number (4 bytes), a usage's the run's id then the member's "
        "address, a sale's the commitment's id then the exercise transaction's, a "
        "validator set's the height it holds from (8 bytes). Hex digits per kind: "
        f"{ids}. An id of another length: 400 request.bad_id.")}


def id_paths() -> dict[str, Any]:
    """GET /v1/ids/{kind} (node/http/ids.py): ids by prefix, the caller's readable only."""
    longest = max(p.id_bytes for p in PROVABLE.values())
    match = {"type": "object", "required": ["id", "record"], "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]+$"},
        "record": {"type": "object", "description": "the record, as its own route shows "
                   "its fields"}}}
    return {"/v1/ids/{kind}": _get(
        "The ids of a kind of record that start with a prefix, among those the caller reads",
        [_path_id("kind", "a kind of record kept whole at one state key, or `transaction`",
                  enum((*PROVABLE, "transaction"))),
         _query("prefix", "the id's first hex digits (at least 8)",
                {"type": "string", "pattern": f"^[0-9a-fA-F]{{8,{2 * longest}}}$"},
                required=True)],
        _json({"type": "object", "required": ["kind", "prefix", "matches", "more"],
               "properties": {"kind": {"type": "string"}, "prefix": {"type": "string"},
                              "matches": {"type": "array", "maxItems": 10, "items": match},
                              "more": {"type": "boolean"}}},
              "at most 10 matches in id order; more: the scan stopped before its end"), 400,
        more={"404": _json(ERROR, "proof.unknown_kind: not a kind of record kept by id")},
        description="A record the caller may not read is never a match, so that a prefix "
        "tells nothing of ids the caller does not read (contracts/id_prefixes.py). Kind "
        "`transaction`: the transactions committed, pending or rejected (as the node "
        "still remembers them) whose id starts with the prefix, each as GET /v1/txs/{id} "
        "shows it and only to whom that route shows it (its signers, the agency, the "
        "regulators); at most 100 committed ids are read per request "
        "(node/http/ids.py).")}


def operator_paths() -> dict[str, Any]:
    """/health, /ready and /metrics (node/http/ops.py)."""
    return {
        "/health": {"get": {
            "summary": "Liveness: the process is up and its store answers",
            "responses": {"200": _json(OK, "healthy"), "503": _json(
                ERROR, "the store fails (store.corrupt, store.write_failed, store.empty) or "
                "the node is stopping (node.stopping)")}}},
        "/ready": {"get": {
            "summary": "Readiness: healthy, caught up with its peers and, for a validator, "
                       "linked to validators holding more than 2/3 of the power",
            "responses": {"200": _json(OK, "ready"), "503": _json(
                ERROR, "node.catching_up (behind the peers' head, or no head reported "
                "yet), node.no_quorum (a validator linked to too little power), or what "
                "/health answers")}}},
        "/metrics": {"get": {
            "summary": "The node's metrics in Prometheus' text format",
            "description": "Served to clients on a loopback or private network address "
            "only. The node's own figures: height, rounds, blocks, transactions, mempool, "
            "peers, sync lag, verification and execution time, API latency by route "
            "template, refusals by code, store size; no member address, no amount.",
            "responses": {
                "200": {"description": "metrics", "content": {
                    CONTENT_TYPE: {
                        "schema": {"type": "string"}}}},
                "403": _json(ERROR, "metrics.forbidden: the client is not on a loopback "
                             "or private network address")}}},
    }
DRAFT = {"name": "X-Claimledger-Draft", "in": "header", "required": False,
         "description": "A member asked to co-sign a transaction on a voucher state (a bank "
         "on a pledge, an acquirer, a merchant on a payment) presents the draft it was asked "
         "to sign: the transaction's canonical bytes in hex (at most 4000 bytes), signed by "
         "the voucher's holder and not yet by the caller. It then reads what it needs to "
         "decide: the voucher state, its lineage and its pledge. A draft that grants "
         "nothing is answered 403 read.bad_draft; malformed hex 400 request.bad_draft.",
         "schema": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$", "maxLength": 8000}}
READ_ERRORS = {
    "401": _json(ERROR, "auth.required, auth.bad_signature, auth.stale, auth.replayed, "
                 "auth.key_rotated: the request is not signed by a member key "
                 "(X-Claimledger-Member, -Time, -Nonce, -Signature), was sent before, or is "
                 "signed by a key its member replaced"),
    "403": _json(ERROR, "read.forbidden: the ledger's read rules do not let the caller read "
                 "this record or listing (a member lists its own records only); "
                 "read.bad_draft: the X-Claimledger-Draft grants nothing"),
}


BAD_DRAFT = _json(ERROR, "request.bad_draft: the X-Claimledger-Draft header is not hex of "
                  "at most 4000 bytes")


def with_read_access(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation but the open ones answers 401 unsigned and 403 when the read rules
    refuse; every read takes a co-sign draft."""
    for path, operations in paths.items():
        if path in OPEN_PATHS:
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses["401"] = READ_ERRORS["401"]
            if method == "get":
                responses["403"] = READ_ERRORS["403"]
                responses.setdefault("400", BAD_DRAFT)
                operation["parameters"] = [*operation.get("parameters", []), DRAFT]
    return paths


def openapi_document() -> dict[str, Any]:
    document = _document()
    with_read_access(document["paths"])
    return document


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Claimledger node API",
            "version": "1",
            "description": "Receivable claim vouchers (应收账款债权凭证) on a permissioned "
            "ledger. Money is integer fen; times are ledger milliseconds since 1970 UTC; "
            "ids, addresses and bytes are lowercase hex in answers (either case in paths and "
            "queries). Errors are "
            '{"error": {"code", "message"}} with a stable code. Validators link to '
            "each other over TLS websockets at /v1/peer on their peer address, not on this "
            "API. Every request but /v1/status, /health, /ready, /metrics, this document "
            "and the explorer's files is "
            "signed by a member key (headers X-Claimledger-Member, -Time, -Nonce, "
            "-Signature; the wallet adds them; the Member header is the key that signed, "
            "the member's current key: a replaced key is 401 auth.key_rotated), and "
            "answers only what the ledger's read rules let that member read (403 "
            "read.forbidden otherwise).",
        },
        "paths": {
            "/v1/status": {"get": {
                "summary": "Chain id, this node, head height, block id and state root",
                "responses": {"200": _json({"$ref": "#/components/schemas/Status"}, "status"),
                              **_errors()},
            }},
            "/v1/txs": {"post": {
                "summary": "Submit a signed transaction",
                "description": "JSON {\"tx\": hex} or the raw canonical bytes as "
                "application/msgpack. Checked on arrival: 202 means it is pending. Each "
                "client (by IP address) may submit a burst, then a steady rate; past that "
                "it is answered 429 with Retry-After, as is a transaction of a member over "
                "its quota of pending transactions ([limits] of network.toml). A full "
                "mempool answers 503 mempool.full with Retry-After. A transaction is at "
                "most 64 KiB, except a "
                f"document attachment (at most {MAX_LARGE_TX_BYTES} bytes: a sealed document "
                f"of up to {MAX_DOCUMENT_BYTES} bytes), best sent as raw bytes; bodies over "
                "256 KiB are received a few at a time, and past that answered 503 "
                "submit.busy with Retry-After.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["tx"],
                        "properties": {"tx": {
                            "type": "string", "pattern": "^([0-9a-fA-F]{2})*$",
                            "maxLength": 2 * MAX_LARGE_TX_BYTES,
                            "description": "the signed transaction's canonical bytes"}}}},
                    "application/msgpack": {"schema": {"type": "string",
                                                       "format": "binary"}},
                }},
                "responses": {
                    "202": _json({"type": "object", "required": ["id", "status"], "properties": {
                        "id": HEX32, "status": {"const": "pending"}}}, "accepted, pending"),
                    **_errors(400, 403, 408, 409, 413, 415, 422, 429),
                    "503": {**_json(ERROR, "mempool.full or submit.busy (retry after "
                                    "Retry-After seconds), "
                                    "or store.corrupt / store.write_failed"),
                            "headers": {"Retry-After": {**RETRY_AFTER["Retry-After"],
                                                        "required": False}}},
                },
            }},
            "/v1/txs/batch": {"post": tx_batch_operation()},
            "/v1/txs/{id}": {"get": {
                "summary": "A transaction's status (pending, committed, rejected), block and "
                "result",
                "parameters": [
                    _path_id("id", "transaction id"),
                    _query("wait_ms", "wait up to this long while it is pending", WAIT_MS),
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/Tx"}, "the tx"),
                              **_errors(400, 404)},
            }},
            "/v1/blocks/{height}": {"get": {
                "summary": "A block: header, transaction ids, commit certificate, events",
                "parameters": [_path_id("height", "block height",
                                        {"type": "integer", "minimum": 0})],
                "responses": {"200": _json({"$ref": "#/components/schemas/Block"}, "block"),
                              **_errors(400, 404)},
            }},
            "/v1/headers": _get(
                "Certified headers from a height up to the head, for light clients",
                [_query("from", "the first height (default 1: genesis is at "
                        "/v1/headers/genesis)",
                        {"type": "integer", "minimum": 1, "maximum": MAX_FROM}),
                 _query("limit", "at most this many headers (default 100)",
                        {"type": "integer", "minimum": 1, "maximum": 1000})],
                _json(ref("Headers"), "a page of certified headers"), 400, 404,
                description="Each header with its commit certificate, as canonical bytes "
                "in hex (what contracts/proofs.py verifies), and the validator set it "
                "announces for the next height when it changes the set. A page may hold "
                "fewer than `limit` headers (it stops at the head, or at 4 MiB); "
                "`next_from` is where the next starts. `from` beyond the head is 404 "
                "not_found: poll until the chain gets there."),
            "/v1/headers/genesis": _get(
                "Block 0's header and the validator sets it names: a light client's start",
                [], _json(ref("GenesisHeader"), "the genesis header"),
                description="A client told the genesis block id checks that the header "
                "hashes to it and that the sets hash to its validators_hash and "
                "next_validators_hash (contracts.proofs.trust_genesis), then follows "
                "/v1/headers."),
            "/v1/vouchers": {"get": {
                "summary": "Vouchers by holder or by debtor, optionally by status; or live "
                "overdue or extended states (standing), optionally by holder or debtor",
                "description": "status=active reads the live indices. A page may hold fewer "
                "than `limit` vouchers and still have a `next` cursor when filters apply.",
                "parameters": [_query("holder", "holder address"),
                               _query("debtor", "debtor address"),
                               _query("status", "active, consumed or cancelled",
                                      enum(vouchers.VOUCHER_STATUSES)),
                               _query("standing", "live states that are overdue or extended",
                                      enum(vouchers.VOUCHER_STANDINGS)), *PAGING],
                "responses": {"200": _json({"type": "object", "properties": {
                    "vouchers": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/VoucherState"}},
                    "next": {"type": ["string", "null"]}}}, "a page of vouchers"),
                    **_errors(400)},
            }},
            "/v1/vouchers/{id}": {"get": {
                "summary": "A voucher state with its lineage back to the issued voucher, its "
                "direct children and its origin record",
                "parameters": [_path_id("id", "voucher id")],
                "responses": {"200": _json({"$ref": "#/components/schemas/Voucher"}, "voucher"),
                              **_errors(400, 404)},
            }},
            "/v1/members": {"get": {
                "summary": "Members, in address order; or the active members with a role",
                "parameters": [_query("role", "only active members with this role (e.g. "
                                      "the agency and the regulators a document is sealed "
                                      "to)", enum(ROLES)), *PAGING],
                "responses": {"200": _json({"type": "object", "properties": {
                    "members": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Member"}},
                    "next": {"type": ["string", "null"]}}}, "a page of members"),
                    **_errors(400)},
            }},
            "/v1/members/{address}": {"get": {
                "summary": "A member: name, roles, status",
                "parameters": [_path_id("address", "member address")],
                "responses": {"200": _json({"$ref": "#/components/schemas/Member"}, "member"),
                              **_errors(400, 404)},
            }},
            "/v1/applications": {"get": {
                "summary": "Issuance applications by creditor or by debtor",
                "parameters": [_query("creditor", "creditor address"),
                               _query("debtor", "debtor address"), *PAGING],
                "responses": {"200": _json({"type": "object", "properties": {
                    "applications": {"type": "array", "items": ref("Application")},
                    "next": {"type": ["string", "null"]}}}, "a page of applications"),
                    **_errors(400)},
            }},
            "/v1/applications/{id}": {"get": {
                "summary": "An issuance application and its status",
                "parameters": [_path_id("id", "application id (the apply transaction's id)")],
                "responses": {"200": _json(ref("Application"), "application"),
                              **_errors(400, 404)},
            }},
            "/v1/evidence": _get(
                "Equivocations on the ledger: validators that signed two different votes "
                "for one height, round and step",
                [_query("validator", "only this validator's (its node key)"), LIMIT,
                 _query("after", "cursor: the `next` of the previous page",
                        {"type": "string",
                         "pattern": f"^[0-9a-fA-F]{{{2 * evidence.KEY_BYTES}}}$"})],
                _page("evidence", "Equivocation", "a page of equivocations"), 400,
                description="In key order: validator, height, round, step. A proposer puts "
                "the evidence its node found into its block; every node verifies both votes "
                "(signatures for this chain, one validator of the set, one height, round "
                "and step, two values) before the block is executed, and each step's "
                "equivocation is kept once. `vote_a` and `vote_b` are the votes as signed "
                "and sent (msgpack [1, type, height, round, value, validator, signature]); "
                "anyone can verify them again against the vote sign bytes."),
            "/v1/documents/{id}": _get(
                "A confidential document: who attached it, its commitment, parties and "
                "readers, and its sealed envelope",
                [_path_id("id", "the document's id (sha256 of a domain tag, the owner and "
                          "the commitment), as the transactions resting on it name it"),
                 _query("envelope", "false: the record only, without the envelope",
                        enum(["true", "false"]))],
                _json(ref("Document"), "attachment"), 400, 404,
                description="The ledger keeps the ciphertext only, and nothing an outsider "
                "could test a guess against: the document, its label and a 32-byte salt "
                "were padded to a size class, encrypted once with a fresh key, and that key "
                "sealed to each reader's X25519 key (derived from its Ed25519 address) with a "
                "sealed box. The commitment is sha256 of a domain tag, the salt and the "
                "plaintext. A reader opens its sealed key, decrypts, strips the padding and "
                "checks the commitment and the id (claimledger-wallet document get)."),
            "/v1/documents/{id}/grants": _get(
                "The grants of a document the caller reads: its parties, the agency and the "
                "regulators read them all, a granter and a grantee their own",
                [_path_id("id", "the document's id")],
                _page("grants", "Grant", "every grant of the document the caller reads (at "
                      f"most {MAX_GRANTS}: one page, `next` is null)"), 400, 404,
                description="A holder of a voucher grants a member access to a basis "
                "document its issuance application named (document.grant), with the "
                "document key sealed to that member; the grantee then reads the document and "
                "its envelope, with its grant. A revoked grant stays listed, revoked."),
            "/v1/grants": _get(
                "A grantee's grants of access to documents (a member lists its own)",
                [_query("grantee", "grantee address", required=True),
                 _query("status", STATUS_FILTER, enum(GRANT_STATUSES)), *PAGING],
                _page("grants", "Grant", "a page of grants, by document"), 400),
            "/v1/nodes": _get(
                "The node registry: validators in force and coming, later sets, observers",
                [], _json(ref("NodeRegistry"), "node registry"),
                description="Validators change by governance (the agency proposes, the "
                "operators of validators holding more than 2/3 of the power approve); a "
                "change applied in block H is in force from H+2. Observers are admitted and "
                "removed by the agency at once. Peer links read this registry at each "
                "handshake."),
            "/v1/nodes/proposals": _get(
                "Proposed validator changes, with the power their approvals hold",
                [], _json(ref("NodeProposals"), "pending changes")),
            **lifecycle_paths(),
            **supervision_paths(),
            **setoff_paths(),
            **explorer_paths(),
            **report_paths(),
            **proof_paths(),
            **id_paths(),
            **credit_paths(),
            **operator_paths(),
            "/v1/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": _json(OBJECT, "OpenAPI document")},
            }},
        },
        "components": {"schemas": RECORD_SCHEMAS},
    }
