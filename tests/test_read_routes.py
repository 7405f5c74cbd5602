"""Who may read what, tried route by route over HTTP: every route of the API, read by an
anonymous client, an unrelated member, each kind of party of the record it answers with,
a member asked to co-sign (presenting the draft in X-Claimledger-Draft), the agency and a
regulator. Allowed callers get 200 and the record; every other one 403 `read.forbidden`,
whose body carries nothing of the record.

The ledger is tests/test_read_rules.py's world (one record of every kind, built by real
signed transactions), replayed block by block, at the same ledger times, into a real
node whose API runs in process. What each route answers with is declared once in
node.http.app.ROUTE_READS; the callers each route is tried with, and who of them reads,
come from contracts.access's table and the world's parties. A route of the app missing
from the declaration, or one declared without a sample request here, fails the test.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts import access, registry_query
from contracts.codec import encode, to_json
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.requests import request_headers
from contracts.tx import Transaction, payload_id
from node.config import parse_network
from node.http.access_log import AccessLog, AccessLogConfig, access_logged
from node.http.app import ROUTE_READS, make_app
from node.http.reads import DRAFT_HEADER
from node.service import Node
from tests import memledger, nodeproc, test_read_rules
from tests.memledger import CHAIN, DAY_MS, GENESIS_MS, ROLES
from tests.nodeproc import (
    LOAD_LIMITS,
    limits_lines,
)

UNRELATED = test_read_rules.UNRELATED
ASKED = test_read_rules.ASKED
HEX64 = re.compile(r"[0-9a-f]{64}")


class RecordingLedger(memledger.Ledger):
    """A rule-test ledger that also keeps each block's transactions and time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocks: list[tuple[tuple[Transaction, ...], int]] = []

    def block(self, *txs: Transaction, advance_ms: int = 1000) -> list:
        events = super().block(*txs, advance_ms=advance_ms)
        self.blocks.append((txs, self.time_ms))
        return events


def network_text(ledger: memledger.Ledger, validator: KeyPair) -> str:
    lines = [f'chain_id = "{CHAIN}"', f"genesis_time = {GENESIS_MS}", "fee_rate_bp = 10", "",
             "[timing]", "block_interval_ms = 50", "empty_block_interval_ms = 10000",
             *limits_lines(LOAD_LIMITS), "", "[[validators]]", 'name = "validator"',
             f'key = "{validator.address.hex()}"', 'api = "127.0.0.1:1"',
             'peer = "127.0.0.1:2"', "power = 1"]
    for name, roles in ROLES.items():
        role_text = ", ".join(f'"{r}"' for r in roles)
        lines += ["", "[[members]]", f'name = "{name}"', f"roles = [{role_text}]",
                  f'address = "{ledger.addr(name).hex()}"']
    return "\n".join(lines) + "\n"


@dataclass
class Api:
    """The rule tests' world on a node, its API in process, and signed reads of it."""

    world: test_read_rules.World
    node: Node
    loop: asyncio.AbstractEventLoop
    client: TestClient
    keys: dict[str, KeyPair] = field(default_factory=dict)

    def addr(self, name: str) -> bytes:
        return self.keys[name].address

    def get(self, path: str, who: str | None, headers: dict[str, str] | None = None
            ) -> tuple[int, bytes]:
        """GET `path` (with its query) signed by member `who` (None: unsigned)."""
        sent = dict(headers or {})
        if who is not None:
            sent.update(request_headers(self.keys[who], CHAIN, "GET", path, b"",
                                        int(time.time() * 1000)))

        async def go() -> tuple[int, bytes]:
            response = await self.client.get(path, headers=sent)
            return response.status, await response.read()

        return self.loop.run_until_complete(go())


def build_api(root: Path) -> Api:
    saved = test_read_rules.Ledger
    test_read_rules.Ledger = RecordingLedger  # type: ignore[misc]
    try:
        world = test_read_rules.build_world()
    finally:
        test_read_rules.Ledger = saved  # type: ignore[misc]
    ledger = world.ledger
    assert isinstance(ledger, RecordingLedger)
    node = replay(ledger, root)
    loop = asyncio.new_event_loop()
    client = TestClient(TestServer(make_app(node)), loop=loop)
    loop.run_until_complete(client.start_server())
    return Api(world, node, loop, client, dict(ledger.keys))


def replay(ledger: RecordingLedger, root: Path) -> Node:
    """A node holding the ledger's blocks: the same transactions at the same times."""
    validator = KeyPair.generate()
    node = Node(parse_network(network_text(ledger, validator)), root, validator)
    for txs, at_ms in ledger.blocks:
        for tx in txs:
            node.mempool.submit(encode(tx), at_ms)
        head = node.produce(at_ms)
        for tx in txs:
            record = node.store.tx_record(payload_id(tx.payload))
            assert record is not None and record.height == head.height, tx.payload.operation
    assert node.chain.head.height == ledger.height
    return node


def served_api(root: Path) -> Iterator[Api]:
    """`build_api(root)` for a module's tests, closed after them."""
    built = build_api(root)
    try:
        yield built
    finally:
        built.loop.run_until_complete(built.client.close())
        built.node.close()
        built.loop.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from served_api(tmp_path_factory.mktemp("read-routes"))


# ------------------------------------------------------------------ what each route is asked


@dataclass(frozen=True)
class Sample:
    """One request to a route: the kind of record it should answer with (a row of the
    table, the world's record of that kind), and for a listing the member it is scoped to
    (the party of the record that lists it)."""

    path: str
    kind: str | None
    scope: str | None = None  # a party kind of the record: the listing is that member's


def samples(api: Api) -> dict[str, Sample]:
    w = api.world
    r = w.records

    def a(name: str) -> str:
        return api.addr(name).hex()

    def party(kind: str, role: str) -> str:
        return a(w.parties[kind][role])

    v = r["voucher"]
    transfer_id = payload_id(next(t for txs, _ in w.ledger.blocks for t in txs
                                  if t.payload.operation == "transfer").payload)
    run = r["setoff_run"]
    return {
        "GET /v1/status": Sample("/v1/status", None),
        "POST /v1/txs": Sample("/v1/txs", None),
        "POST /v1/txs/batch": Sample("/v1/txs/batch", None),
        "POST /v1/explorer/sign-in": Sample("/v1/explorer/sign-in", None),
        "GET /explorer/sign-in": Sample("/explorer/sign-in?token=unknown", None),
        "GET /explorer/sign-out": Sample("/explorer/sign-out", None),
        "GET /v1/txs/{id}": Sample(f"/v1/txs/{transfer_id.hex()}", "transaction"),
        "GET /v1/blocks/{height}": Sample("/v1/blocks/2", "block"),
        "GET /v1/headers": Sample("/v1/headers?from=1&limit=2", "block"),
        "GET /v1/headers/genesis": Sample("/v1/headers/genesis", "block"),
        "GET /v1/vouchers": Sample(f"/v1/vouchers?holder={party('voucher', 'holder')}",
                                   "voucher", "holder"),
        "GET /v1/vouchers/{id}": Sample(f"/v1/vouchers/{v.id.hex()}", "voucher"),
        "GET /v1/vouchers/{id}/lineage": Sample(f"/v1/vouchers/{v.id.hex()}/lineage",
                                                "lineage"),
        "GET /v1/holders/{address}": Sample(
            f"/v1/holders/{party('holder_totals', 'self')}", "holder_totals"),
        "GET /v1/debtors/{address}": Sample(f"/v1/debtors/{a('core')}", "debtor_record"),
        "GET /v1/origins/{id}": Sample(f"/v1/origins/{r['origin'].id.hex()}", "origin"),
        "GET /v1/pledges": Sample(f"/v1/pledges?bank={party('pledge', 'pledgee')}", "pledge",
                                  "pledgee"),
        "GET /v1/pledges/certificate": Sample(
            f"/v1/pledges/certificate?voucher={r['pledge'].voucher.hex()}", "pledge_notice"),
        "GET /v1/pledges/{id}": Sample(f"/v1/pledges/{r['pledge'].id.hex()}", "pledge"),
        "GET /v1/commitments": Sample(
            f"/v1/commitments?acquirer={party('commitment', 'acquirer')}", "commitment",
            "acquirer"),
        "GET /v1/commitments/{id}": Sample(f"/v1/commitments/{r['commitment'].id.hex()}",
                                           "commitment"),
        "GET /v1/offers": Sample(f"/v1/offers?debtor={a('core')}", "offer"),
        "GET /v1/offers/{id}": Sample(f"/v1/offers/{r['offer'].id.hex()}", "offer"),
        "GET /v1/products": Sample(f"/v1/products?funder={a('bank')}&kind=pledge_loan",
                                   "product"),
        "GET /v1/products/{id}": Sample(f"/v1/products/{r['product'].id.hex()}", "product"),
        "GET /v1/financing/requests": Sample(
            f"/v1/financing/requests?party={party('financing_request', 'holder')}",
            "financing_request", "holder"),
        "GET /v1/financing/requests/{id}": Sample(
            f"/v1/financing/requests/{r['financing_request'].id.hex()}", "financing_request"),
        "GET /v1/sales": Sample(f"/v1/sales?party={party('claim_sale', 'buyer')}",
                                "claim_sale", "buyer"),
        "GET /v1/sales/{id}": Sample(f"/v1/sales/{r['claim_sale'].id.hex()}", "claim_sale"),
        "GET /v1/freezes": Sample(f"/v1/freezes?party={party('freeze', 'holder')}", "freeze",
                                  "holder"),
        "GET /v1/freezes/{id}": Sample(f"/v1/freezes/{r['freeze'].id.hex()}", "freeze"),
        "GET /v1/disputes": Sample(f"/v1/disputes?party={party('dispute', 'party')}",
                                   "dispute", "party"),
        "GET /v1/disputes/{id}": Sample(f"/v1/disputes/{r['dispute'].id.hex()}", "dispute"),
        "GET /v1/transfers": Sample(
            f"/v1/transfers?to={party('transfer', 'transferee')}&status=pending", "transfer",
            "transferee"),
        "GET /v1/transfers/{id}": Sample(f"/v1/transfers/{r['transfer'].id.hex()}",
                                         "transfer"),
        "GET /v1/redemptions": Sample(
            f"/v1/redemptions?holder={party('redemption', 'holder')}", "redemption",
            "holder"),
        "GET /v1/redemptions/{id}": Sample(f"/v1/redemptions/{r['redemption'].id.hex()}",
                                           "redemption"),
        "GET /v1/fees": Sample("/v1/fees", "fee_schedule"),
        "GET /v1/fees/{address}": Sample(f"/v1/fees/{party('fee_account', 'self')}",
                                         "fee_account"),
        "GET /v1/obligations": Sample(
            f"/v1/obligations?creditor={party('obligation', 'creditor')}", "obligation",
            "creditor"),
        "GET /v1/obligations/{id}": Sample(f"/v1/obligations/{r['obligation'].id.hex()}",
                                           "obligation"),
        "GET /v1/setoff/rounds": Sample(
            f"/v1/setoff/rounds?member={party('setoff_round', 'round_member')}",
            "setoff_round", "round_member"),
        "GET /v1/setoff/rounds/{id}": Sample(f"/v1/setoff/rounds/{r['setoff_round'].id.hex()}",
                                             "setoff_round"),
        "GET /v1/setoff/plan": Sample("/v1/setoff/plan", "setoff_plan"),
        "GET /v1/setoff/limits/{member}": Sample(
            f"/v1/setoff/limits/{party('setoff_limit', 'self')}", "setoff_limit"),
        "GET /v1/setoff/totals": Sample("/v1/setoff/totals", "setoff_totals"),
        "GET /v1/setoff/mandates/{member}": Sample(
            f"/v1/setoff/mandates/{party('setoff_mandate', 'self')}", "setoff_mandate"),
        "GET /v1/setoff/runs": Sample(
            f"/v1/setoff/runs?member={party('setoff_run', 'run_member')}", "setoff_run",
            "run_member"),
        "GET /v1/setoff/runs/{id}": Sample(f"/v1/setoff/runs/{run.id.hex()}", "setoff_run"),
        "GET /v1/setoff/runs/{id}/batches/{number}": Sample(
            f"/v1/setoff/runs/{run.id.hex()}/batches/0", "setoff_batch"),
        "GET /v1/events": Sample(f"/v1/events?address={party('event', 'addressee')}",
                                 "event", "addressee"),
        "GET /v1/members": Sample("/v1/members", "member"),
        "GET /v1/nodes": Sample("/v1/nodes", "node"),
        "GET /v1/nodes/proposals": Sample("/v1/nodes/proposals", "node"),
        "GET /v1/members/{address}": Sample(f"/v1/members/{a('supplier')}", "member"),
        "GET /v1/applications": Sample(
            f"/v1/applications?creditor={party('application', 'creditor')}", "application",
            "creditor"),
        "GET /v1/applications/{id}": Sample(
            f"/v1/applications/{r['application'].id.hex()}", "application"),
        "GET /v1/documents/{id}": Sample(f"/v1/documents/{r['document'].id.hex()}",
                                         "document"),
        "GET /v1/documents/{id}/grants": Sample(
            f"/v1/documents/{r['document'].id.hex()}/grants", "grant"),
        "GET /v1/grants": Sample(f"/v1/grants?grantee={party('grant', 'grantee')}", "grant",
                                 "grantee"),
        "GET /v1/evidence": Sample("/v1/evidence", "evidence"),
        "GET /v1/proofs/{kind}/{id}": Sample(f"/v1/proofs/voucher/{v.id.hex()}", "voucher"),
        # Ids by prefix: a caller the voucher's rule refuses gets no match (tested apart
        # in tests/test_id_prefixes.py), so the sample is the member directory's.
        "GET /v1/ids/{kind}": Sample(
            f"/v1/ids/member?prefix={r['member'].address.hex()[:10]}", "member"),
        "GET /v1/openapi.json": Sample("/v1/openapi.json", None),
        "GET /health": Sample("/health", None),
        "GET /ready": Sample("/ready", None),
        "GET /metrics": Sample("/metrics", None),  # the test's client is on 127.0.0.1
        "GET /explorer/": Sample("/explorer/", None),
        "GET /explorer/{file}": Sample("/explorer/app.js", None),
        "GET /v1/overview": Sample("/v1/overview", "block"),
        "GET /v1/registry/debtors": Sample("/v1/registry/debtors", "debtor_record"),
        "GET /v1/registry/pledges": Sample("/v1/registry/pledges", "pledge"),
        "GET /v1/registry/commitments": Sample("/v1/registry/commitments", "commitment"),
        "GET /v1/registry/financing": Sample("/v1/registry/financing", "financing_request"),
        "GET /v1/registry/sales": Sample("/v1/registry/sales", "claim_sale"),
        "GET /v1/registry/rounds": Sample("/v1/registry/rounds", "setoff_round"),
        "GET /v1/registry/fees": Sample("/v1/registry/fees", "fee_account"),
        # credit limits and the blacklist
        "GET /v1/credit/debtors/{address}": Sample(f"/v1/credit/debtors/{a('core')}",
                                                   "debtor_credit"),
        "GET /v1/credit/exposures/{funder}/{debtor}": Sample(
            f"/v1/credit/exposures/{party('exposure', 'self')}/{a('core')}", "exposure"),
        "GET /v1/credit/blacklist": Sample("/v1/credit/blacklist", "listing"),
        "GET /v1/credit/criteria": Sample("/v1/credit/criteria", "blacklist_criteria"),
        # supervision view: every debtor's limit, oversight's list
        "GET /v1/credit/limits": Sample("/v1/credit/limits", "debtor_credit"),
        # reports: the ledger-wide report is oversight's (a member's own: below)
        "GET /v1/reports": Sample(f"/v1/reports?period={REPORT_YEAR}&by=debtor", "report"),
        "GET /v1/alerts": Sample("/v1/alerts", "voucher"),
    }


# ------------------------------------------------------------------ who is tried, who reads

GENERIC = access.CALLERS  # anonymous, member, asked, agency, regulator


def callers(api: Api, route: str, sample: Sample) -> list[tuple[str, str | None]]:
    """(caller kind, member name or None for anonymous) for every caller tried."""
    out: list[tuple[str, str | None]] = [("anonymous", None), ("member", UNRELATED),
                                         ("asked", ASKED), ("agency", "agency"),
                                         ("regulator", "regulator")]
    if sample.kind is not None:
        row = access.ROWS[sample.kind]
        for party in (*row.readers, *row.not_readers):
            name = api.world.parties.get(sample.kind, {}).get(party)
            if party not in GENERIC and name is not None:
                out.append((party, name))
    if sample.scope is not None:
        out.append(("scope", api.world.parties[sample.kind][sample.scope]))
    return out


def allowed(api: Api, route: str, sample: Sample, who: str, name: str | None) -> bool:
    """What the table (and the route's reach) says of this caller."""
    reads = ROUTE_READS[route]
    if reads.reach == "open":
        return True
    if name is None:
        return False
    row = access.ROWS[sample.kind]
    oversees = who in ("agency", "regulator") or name in ("agency", "regulator")
    if reads.reach == "oversight":
        return oversees
    if reads.reach == "own":
        scoped = api.world.parties[sample.kind][sample.scope]
        return name == scoped or (oversees and "agency" in row.readers)
    kinds = {who}
    if name in ("agency", "regulator"):
        kinds.add(name)
    return "member" in row.readers or bool(kinds & set(row.readers))


def headers_for(api: Api, who: str) -> dict[str, str]:
    if who != "asked":
        return {}
    return {DRAFT_HEADER: encode(api.world.draft).hex()}


def record_json(api: Api, kind: str) -> Any:
    record = api.world.records[kind]
    if record is None:
        return None
    if isinstance(record, access.TxWithEvents):
        return {"id": payload_id(record.tx.payload).hex()}
    if kind == "setoff_totals":  # the world's is the runs' totals, as the view names them
        return {"runs": record.runs, "run_batches": record.batches,
                "run_cleared_fen": record.cleared_fen}
    return to_json(record)


def contains(answer: Any, wanted: dict[str, Any]) -> bool:
    """Whether some object in `answer` is the record `wanted`: it has every field of it,
    with the same id, or the same addresses for a record kept per member (the world's
    records were read while it was built: their figures may have moved on since)."""
    identity = {k: v for k, v in wanted.items()
                if k == "id" or ("id" not in wanted and isinstance(v, str)
                                 and HEX64.fullmatch(v))}
    if isinstance(answer, dict):
        if set(wanted) <= set(answer) and all(answer[k] == v for k, v in identity.items()):
            return True
        return any(contains(v, wanted) for v in answer.values())
    if isinstance(answer, list):
        return any(contains(v, wanted) for v in answer)
    return False


def shown(secret: str, text: str) -> bool:
    """Whether `text` shows `secret` as a token of its own: an amount inside the hex of an
    id the refusal names (the id the caller sent) is no amount shown."""
    return re.search(rf"(?<![0-9a-fA-F]){re.escape(secret)}(?![0-9a-fA-F])", text) is not None


def secrets_of(wanted: Any) -> set[str]:
    """What a refusal must not show of a record: its ids and its amounts."""
    found: set[str] = set()
    if isinstance(wanted, dict):
        for key, value in wanted.items():
            if isinstance(value, int) and not isinstance(value, bool) and key.endswith("_fen") \
                    and value > 0:
                found.add(str(value))
            else:
                found |= secrets_of(value)
    elif isinstance(wanted, list):
        for value in wanted:
            found |= secrets_of(value)
    elif isinstance(wanted, str) and HEX64.fullmatch(wanted):
        found.add(wanted)
    return found


@pytest.mark.parametrize("route", sorted(ROUTE_READS))
def test_each_route_answers_each_caller_as_the_table_says(api: Api, route: str) -> None:
    sample = samples(api)[route]
    reads = ROUTE_READS[route]
    if route == "GET /explorer/sign-in":  # open to any browser; only a live token opens it
        for who, name in callers(api, route, sample):
            status, body = api.get(sample.path, name, headers_for(api, who))
            assert status == 403 and b"unknown, used or expired" in body, (who, status)
        return
    if reads.reach == "write":
        status, body = api.get(sample.path, None)  # a GET: the route is POST only
        assert status in (401, 405), body
        return
    failures = []
    for who, name in callers(api, route, sample):
        # A party tried on another record of the kind (test_read_rules.World.seen_by) asks
        # for that record.
        path, seen = sample.path, api.world.seen_by.get((sample.kind, who))
        if seen is not None:
            path = path.replace(api.world.records[sample.kind].id.hex(), seen.id.hex())
        status, body = api.get(path, name, headers_for(api, who))
        document = json.loads(body) if body.startswith((b"{", b"[")) else None
        if allowed(api, route, sample, who, name):
            if status != 200:
                failures.append((who, name, status, body[:300]))
                continue
            # The world's equivocation is written beside its blocks, not by a transaction:
            # the node holds none, and the evidence route is tried for who reads it only;
            # so is its node record (an observer the world's ledger never admitted).
            if sample.kind not in (None, "evidence", "node") and reads.reach != "oversight":
                wanted = record_json(api, sample.kind) if seen is None else to_json(seen)
                if isinstance(wanted, dict) and not contains(document, wanted):
                    failures.append((who, name, "record missing", body[:300]))
            continue
        expected_status = 401 if name is None else 403
        code = "auth.required" if name is None else "read.forbidden"
        if status != expected_status or document is None \
                or document.get("error", {}).get("code") != code:
            failures.append((who, name, status, body[:300]))
            continue
        assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
        sent = set(HEX64.findall(sample.path)) | ({api.addr(name).hex()} if name else set())
        leaked = {s for s in secrets_of(record_json(api, sample.kind)) - sent
                  if shown(s, body.decode())}
        if leaked:
            failures.append((who, name, "leaked", leaked))
    assert not failures, failures


def test_every_route_of_the_app_is_declared_and_sampled(api: Api) -> None:
    routes = set()
    for route in api.client.app.router.routes():
        if route.method != "HEAD":
            routes.add(f"{route.method} {route.resource.canonical}")
    assert routes == set(ROUTE_READS)
    assert set(samples(api)) == set(ROUTE_READS)
    for route, reads in ROUTE_READS.items():
        assert all(kind in access.ROWS for kind in reads.kinds), route


def test_anonymous_gets_401_auth_required_on_every_route_but_the_open_ones(api: Api) -> None:
    for route, sample in samples(api).items():
        method = route.partition(" ")[0]

        async def go(method: str = method, path: str = sample.path) -> tuple[int, dict]:
            response = await api.client.request(method, path, data=b"{}" if method == "POST"
                                                else None)
            return response.status, json.loads(await response.read()) \
                if response.content_type == "application/json" else {}

        status, document = api.loop.run_until_complete(go())
        if route == "GET /explorer/sign-in":
            assert status == 403, route  # the sample's token opens nothing
        elif ROUTE_READS[route].reach == "open":
            assert status == 200, route
        else:
            assert status == 401, route
            assert document["error"]["code"] == "auth.required", route


def test_an_unrelated_member_reads_a_pledged_claims_notice_not_the_pledge(api: Api) -> None:
    pledge = api.world.records["pledge"]
    status, body = api.get(f"/v1/pledges?voucher={pledge.voucher.hex()}", UNRELATED)
    assert status == 200
    [row] = json.loads(body)["pledges"]
    assert row["notice"] is True and row["bank"] == pledge.bank.hex()
    # The registry is public as 中登网 is: who pledged, on whose debt, to whom; the loan
    # (the secured amount, the principal, the rate) is not.
    assert (row["pledgor"], row["debtor"]) == (pledge.pledgor.hex(), pledge.debtor.hex())
    assert not {"secured_fen", "loan_fen", "loan_rate_bp", "loan_ref"} & set(row)
    assert str(pledge.secured_fen) not in body.decode()
    status, body = api.get(f"/v1/pledges?voucher={pledge.voucher.hex()}", "bank")
    [row] = json.loads(body)["pledges"]
    assert row["pledgor"] == pledge.pledgor.hex() and "notice" not in row
    assert row["loan_fen"] == pledge.loan_fen
    for by in ("pledgor", "debtor"):
        status, body = api.get(f"/v1/pledges?{by}={getattr(pledge, by).hex()}", UNRELATED)
        assert status == 200
        assert [r["id"] for r in json.loads(body)["pledges"]] == [pledge.id.hex()]


def test_a_query_certificate_names_the_head_and_verifies_offline(api: Api) -> None:
    pledge = api.world.records["pledge"]
    status, body = api.get(f"/v1/pledges/certificate?pledgor={pledge.pledgor.hex()}",
                           UNRELATED)
    assert status == 200
    view = json.loads(body)
    head = api.node.chain.head
    answer = registry_query.verify_certificate(bytes.fromhex(view["certificate"]), CHAIN,
                                               {api.node.address})
    assert (answer.height, answer.state_root) == (head.height, head.state_root)
    assert [n.id for n in answer.notices] == [pledge.id]
    assert view["answer"]["notices"][0]["pledgor"] == pledge.pledgor.hex()
    status, body = api.get("/v1/pledges/certificate", UNRELATED)
    assert status == 400 and json.loads(body)["error"]["code"] == "request.missing_parameter"
    status, _ = api.get(f"/v1/pledges/certificate?bank={pledge.bank.hex()}", UNRELATED)
    assert status == 400  # a bank's list is its own, not the public registry's


def test_a_lineage_and_a_voucher_view_show_only_the_states_the_caller_reads(api: Api) -> None:
    """The creditor's issued state was split: the creditor reads the part it kept, not the
    part it passed on; the debtor reads both. The later holder sees the chain of title
    but not the first holder's origin record."""
    issued = api.world.records["origin"].id.hex()
    _, body = api.get(f"/v1/vouchers/{issued}/lineage", "supplier")
    holders = {d["voucher"]["holder"] for d in json.loads(body)["descendants"]}
    assert holders == {api.addr("supplier").hex()}
    _, body = api.get(f"/v1/vouchers/{issued}/lineage", "core")
    holders = {d["voucher"]["holder"] for d in json.loads(body)["descendants"]}
    assert holders == {api.addr("supplier").hex(), api.addr("supplier2").hex()}
    v = api.world.records["voucher"]
    status, body = api.get(f"/v1/vouchers/{v.id.hex()}", "supplier2")
    view = json.loads(body)
    assert status == 200 and view["origin_record"] is None and issued in view["lineage"]
    _, body = api.get(f"/v1/vouchers/{v.id.hex()}", "core")
    assert json.loads(body)["origin_record"]["id"] == issued


def test_listings_are_the_callers_own_unless_it_oversees(api: Api) -> None:
    holder = api.addr("supplier2").hex()
    for path in (f"/v1/vouchers?holder={holder}", "/v1/vouchers?standing=overdue",
                 "/v1/setoff/rounds?status=open", "/v1/setoff/runs"):
        status, body = api.get(path, "supplier")
        assert status == 403 and json.loads(body)["error"]["code"] == "read.forbidden", path
        assert api.get(path, "regulator")[0] == 200, path
    status, body = api.get(f"/v1/events?address={holder}", "agency")
    assert status == 403  # events go to their addressee only, the agency's included


def test_a_draft_that_grants_nothing_is_refused_with_its_code(api: Api) -> None:
    v = api.world.records["voucher"].id.hex()
    status, body = api.get(f"/v1/vouchers/{v}", UNRELATED,
                           {DRAFT_HEADER: encode(api.world.draft).hex()})
    assert status == 403 and json.loads(body)["error"]["code"] == "read.bad_draft"
    status, body = api.get(f"/v1/vouchers/{v}", ASKED, {DRAFT_HEADER: "zz"})
    assert status == 400 and json.loads(body)["error"]["code"] == "request.bad_draft"
    status, body = api.get(f"/v1/vouchers/{v}", ASKED, {DRAFT_HEADER: "00" * 4001})
    assert status == 400


def test_a_key_that_is_no_member_reads_its_events_only(api: Api) -> None:
    stranger = KeyPair.generate()
    api.keys["stranger"] = stranger
    status, _ = api.get(f"/v1/members/{api.addr('supplier').hex()}", "stranger")
    assert status == 403
    status, _ = api.get(f"/v1/vouchers/{'ab' * 32}", "stranger")
    assert status == 403  # not 404: a stranger learns nothing of what exists
    status, body = api.get(f"/v1/events?address={stranger.address.hex()}", "stranger")
    assert status == 200 and json.loads(body)["events"] == []


def test_a_missing_record_is_404_for_a_member(api: Api) -> None:
    status, body = api.get(f"/v1/vouchers/{'ab' * 32}", UNRELATED)
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_a_blocks_end_of_block_events_are_shown_to_their_addressees_only(
        tmp_path: Path) -> None:
    """A voucher falls overdue in the end-of-block step: its holder and its debtor see the
    event in the block, an unrelated member sees the block without it."""
    ledger = RecordingLedger()
    ledger.issue(1_000_000, creditor="supplier", debtor="core", due_in_ms=memledger.DAY_MS)
    events = ledger.block(advance_ms=2 * memledger.DAY_MS)
    assert events, "the voucher falls due in this block"
    node = replay(ledger, tmp_path / "node")
    loop = asyncio.new_event_loop()
    client = TestClient(TestServer(make_app(node)), loop=loop)
    loop.run_until_complete(client.start_server())
    try:
        def block_events(name: str) -> list:
            path = f"/v1/blocks/{ledger.height}"
            headers = request_headers(ledger.keys[name], CHAIN, "GET", path, b"",
                                      int(time.time() * 1000))

            async def go() -> tuple[int, Any]:
                response = await client.get(path, headers=headers)
                return response.status, json.loads(await response.read())

            status, document = loop.run_until_complete(go())
            assert status == 200, document
            return document["events"]

        shown = [to_json(e) for e in events]
        assert block_events("supplier") == shown
        assert block_events("core") == shown
        assert block_events(UNRELATED) == []
        assert block_events("regulator") == []  # events are their addressees', not oversight's
    finally:
        loop.run_until_complete(client.close())
        node.close()
        loop.close()


def test_a_pending_or_rejected_transaction_is_its_signers_and_oversights(
        tmp_path: Path) -> None:
    """Before a block holds it, a transaction is read by the same parties as after: its
    signers, the agency and the regulators; a rejected one too, the node keeping who
    signed what it rejected."""
    ledger = RecordingLedger()
    issued = ledger.issue(1_000_000, creditor="supplier", debtor="core")
    node = replay(ledger, tmp_path / "node")
    loop = asyncio.new_event_loop()
    client = TestClient(TestServer(make_app(node)), loop=loop)
    loop.run_until_complete(client.start_server())
    try:
        def read(path: str, name: str) -> tuple[int, dict]:
            headers = request_headers(ledger.keys[name], CHAIN, "GET", path, b"",
                                      int(time.time() * 1000))

            async def go() -> tuple[int, dict]:
                response = await client.get(path, headers=headers)
                return response.status, json.loads(await response.read())

            return loop.run_until_complete(go())

        at_ms = ledger.time_ms + 1000
        pending = test_read_rules.transfer_tx(ledger, issued, 1_000, to="supplier2")
        node.mempool.submit(encode(pending), at_ms)
        lost = test_read_rules.transfer_tx(ledger, b"\x07" * 32, 1_000, to="supplier2")
        with pytest.raises(LedgerError):
            node.mempool.submit(encode(lost), at_ms)
        for tx, status in ((pending, "pending"), (lost, "rejected")):
            path = f"/v1/txs/{payload_id(tx.payload).hex()}"
            for name in ("supplier", "supplier2", "agency", "regulator"):  # both sign
                code, view = read(path, name)
                assert code == 200 and view["status"] == status, (name, view)
            for name in ("core", UNRELATED):  # its debtor, an addressee, too
                code, view = read(path, name)
                assert code == 403 and view["error"]["code"] == "read.forbidden", (name, view)
    finally:
        loop.run_until_complete(client.close())
        node.close()
        loop.close()


def test_the_access_log_outside_names_who_read_and_who_was_refused(
        api: Api, tmp_path: Path) -> None:
    """As node/cli.py serves it: the access log outermost sees the caller the signature
    check found, on answers and refusals alike; the regulator's reads are logged too."""
    path = tmp_path / "access.log"
    log = AccessLog(AccessLogConfig(path))
    app = make_app(api.node)
    app.middlewares.insert(0, access_logged(log))
    log.start()
    client = TestClient(TestServer(app), loop=api.loop)
    api.loop.run_until_complete(client.start_server())
    voucher = api.world.records["voucher"].id.hex()
    route = f"/v1/vouchers/{voucher}"
    try:
        for name in ("regulator", UNRELATED, None):
            headers = {} if name is None else request_headers(
                api.keys[name], CHAIN, "GET", route, b"", int(time.time() * 1000))
            api.loop.run_until_complete(client.get(route, headers=headers))
    finally:
        api.loop.run_until_complete(client.close())
        log.close()
    found = [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]
    assert [(line["caller"], line["status"]) for line in found] == [
        (api.addr("regulator").hex(), 200), (api.addr(UNRELATED).hex(), 403), (None, 401)]


# ------------------------------------------------------------------ a real node process


def signed(api_url: str, chain_id: str, key: KeyPair | None, path: str, method: str = "GET",
           body: bytes = b"") -> nodeproc.Reply:
    """A request to a node process, signed by `key` (None: unsigned)."""
    headers = {"Content-Type": "application/json"} if body else {}
    if key is not None:
        headers.update(request_headers(key, chain_id, method, path, body,
                                       int(time.time() * 1000)))
    request = urllib.request.Request(api_url + path, data=body or None, method=method,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return nodeproc.Reply(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as e:
        return nodeproc.Reply(e.code, e.read(), dict(e.headers))


def test_a_node_process_serves_a_voucher_to_its_parties_only(tmp_path: Path) -> None:
    net = nodeproc.make_network(tmp_path, "read-routes-process")
    members = net.members
    with nodeproc.running(net):
        def commit(tx: Transaction, key: KeyPair) -> dict:
            body = json.dumps({"tx": encode(tx).hex()}).encode()
            reply = signed(net.api, net.chain_id, key, "/v1/txs", "POST", body)
            assert reply.status == 202, reply.body
            path = f"/v1/txs/{nodeproc.tx_id(tx).hex()}?wait_ms=2000"
            for _ in range(10):
                view = signed(net.api, net.chain_id, key, path).json()
                if view["status"] != "pending":
                    break
            assert view["status"] == "committed", view
            return view

        apply = nodeproc.apply_tx(net.chain_id, members, nodeproc.now_ms() + 180 * DAY_MS)
        commit(apply, members["supplier"])
        application = nodeproc.tx_id(apply)
        commit(nodeproc.confirm_tx(net.chain_id, members, application), members["core"])
        approved = commit(nodeproc.approve_tx(net.chain_id, members, application),
                          members["agency"])
        voucher = next(e["subject"] for e in approved["events"]
                       if e["kind"] == "voucher.issued")
        path = f"/v1/vouchers/{voucher}"

        assert signed(net.api, net.chain_id, None, "/v1/status").status == 200
        anonymous = signed(net.api, net.chain_id, None, path)
        assert anonymous.status == 401 and anonymous.error_code() == "auth.required"
        for holder_or_debtor_or_agency in ("supplier", "core", "agency"):
            reply = signed(net.api, net.chain_id, members[holder_or_debtor_or_agency], path)
            assert reply.status == 200 and reply.json()["id"] == voucher
        stranger = signed(net.api, net.chain_id, KeyPair.generate(), path)
        assert stranger.status == 403 and stranger.error_code() == "read.forbidden"
        assert voucher not in stranger.body.decode()
        # Someone else's transaction: the agency's approval is not the supplier's to read.
        approval = f"/v1/txs/{approved['id']}"
        reply = signed(net.api, net.chain_id, members["supplier"], approval)
        assert reply.status == 403 and reply.error_code() == "read.forbidden"


def test_the_explorer_opens_by_a_one_time_link_for_the_agency_and_regulators_only(
        api: Api) -> None:
    def request(method: str, path: str, who: str | None = None,
                cookies: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        sent = {} if who is None else request_headers(
            api.keys[who], CHAIN, method, path, b"", int(time.time() * 1000))
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())

        async def go() -> tuple[int, dict[str, str], bytes]:
            response = await api.client.request(method, path, headers=sent,
                                                allow_redirects=False)
            return response.status, dict(response.headers), await response.read()

        return api.loop.run_until_complete(go())

    status, _, body = request("POST", "/v1/explorer/sign-in", UNRELATED)
    assert status == 403 and json.loads(body)["error"]["code"] == "read.forbidden"
    assert request("POST", "/v1/explorer/sign-in")[0] == 401
    status, _, body = request("POST", "/v1/explorer/sign-in", "regulator")
    assert status == 200
    link = json.loads(body)["link"]
    assert request("GET", "/v1/overview")[0] == 401  # no session yet

    status, headers, _ = request("GET", link)
    assert status == 303 and headers["Location"] == "/explorer/"
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    session = headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    api.client.session.cookie_jar.clear()  # each request below says which cookie it sends
    assert request("GET", link)[0] == 403  # spent
    cookie = {"claimledger_session": session}
    assert request("GET", "/v1/overview", cookies=cookie)[0] == 200
    assert request("GET", "/v1/registry/fees", cookies=cookie)[0] == 200
    # A session reads only: a POST with it alone is unauthenticated.
    assert request("POST", "/v1/explorer/sign-in", cookies=cookie)[0] == 401
    assert request("GET", "/v1/overview", cookies={"claimledger_session": "forged"})[0] == 401

    assert request("GET", "/explorer/sign-out", cookies=cookie)[0] == 200
    assert request("GET", "/v1/overview", cookies=cookie)[0] == 401


# ------------------------------------------------------------------ reports: a member's own

REPORT_YEAR = "2027"  # the world's ledger time (tests/memledger.py GENESIS_MS) lies in it


def test_a_member_reads_the_report_of_its_own_business_and_no_one_elses(api: Api) -> None:
    core, bank = api.addr("core").hex(), api.addr("bank").hex()
    path = f"/v1/reports?period={REPORT_YEAR}&by=debtor"
    status, body = api.get(f"{path}&member={core}", "core")
    assert status == 200, body[:300]
    report = json.loads(body)
    assert report["member"] == core and [r["key"] for r in report["rows"]] == [core]
    assert report["total"]["issued"]["count"] >= 1  # the world's vouchers are core's debts
    for asked in (f"{path}&member={bank}", path):  # another's, or everyone's
        status, body = api.get(asked, "core")
        assert status == 403 and json.loads(body)["error"]["code"] == "read.forbidden"
    status, body = api.get(f"{path}&member={core}", "regulator")
    assert status == 200 and json.loads(body)["rows"] == report["rows"]
