"""Who may read what (contracts/access.py), tried as the table says it: every kind of record,
over a state built by real transactions, read by an anonymous caller, an unrelated member,
each kind of party, a member asked to co-sign, the agency and a regulator. Each answer
must be the table's: a reader reads, everyone else is refused with `read.forbidden`.

One ledger holds one record of every kind (`world`); `FIXTURES` says, for each kind, which
record it is and which member is which party of it. The matrix is generated from
`access.TABLE`: a kind without a fixture, or a party the table names that no fixture
plays, fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from contracts import (
    access,
    acquisition,
    credit,  # credit limits and the blacklist
    documents,
    evidence,
    fees,
    financing,
    governance,
    issuance,
    membership,
    nodes,
    obligations,
    payment,
    pledge,
    products,
    redemption,
    reports,  # period reports
    setoff,
    streams,
    supervision,
    vouchers,
)
from contracts import sale as claim_sales
from contracts import transfer as transfers
from contracts.caller import Caller
from contracts.codec import decode, encode, sha256
from contracts.errors import Forbidden
from contracts.identity import KeyPair
from contracts.ledger import sign_transaction
from contracts.setoff import Reduction
from contracts.state import Overlay
from contracts.tx import Transaction, payload_id
from tests.memledger import CHAIN, DAY_MS, Ledger
from tests.test_document_grants import attach as attach_document
from tests.test_document_grants import grant_tx, issue_with
from tests.test_lifecycle_rules import (
    ask_tx,
    commit_tx,
    exercise_tx,
    pledge_tx,
    publish,
    transfer_tx,
)
from tests.test_sale_rules import sell_tx
from tests.test_setoff_rules import owe, propose, reductions
from tests.test_setoff_runs import batch_tx, mandate, open_run

UNRELATED = "supplier3"  # a member that is no party to anything in the world
ASKED = "merchant"  # asked by V's holder to accept a payment from it, and nothing else
GENERIC = access.CALLERS  # tried on every kind, besides the parties the table names


@dataclass
class World:
    """A ledger with one record of every kind, and who is who for each."""

    ledger: Ledger
    records: dict[str, Any]
    parties: dict[str, dict[str, str]]  # kind -> party kind -> member name
    draft: Transaction  # V's holder asks the merchant to accept a payment
    # Records of a kind a party reads in place of the kind's record, where no one record
    # can have every party (a funder asked on a claim reads it while it is reserved, and V
    # is pledged): (kind, party kind) -> the record that party is tried on.
    seen_by: dict[tuple[str, str], Any]


def admit(ledger: Ledger, *names: str) -> None:
    """New enterprise members (the run's members), admitted by the agency."""
    txs = []
    for name in names:
        ledger.keys[name] = KeyPair.generate()
        body = ledger.admit_body(name, ("enterprise",))
        txs.append(ledger.tx("membership", "admit", body, "agency", name))
    ledger.block(*txs)


def build_world() -> World:
    ledger = Ledger(fee_rate_bp=10)
    records: dict[str, Any] = {}
    parties: dict[str, dict[str, str]] = {}

    def record(kind: str, value: Any, **who: str) -> None:
        records[kind] = value
        parties[kind] = who

    # V: 600,000 fen of an issued voucher, transferred from its creditor to supplier2,
    # with an acquirer's commitment and a pledge to the bank on it.
    issued = ledger.issue(1_000_000, creditor="supplier", debtor="core")
    transfer = transfer_tx(ledger, issued, 600_000, to="supplier2", holder="supplier")
    events = ledger.block(transfer)
    v_id = vouchers.part_id(payload_id(transfer.payload), issued, 0)
    remainder = vouchers.part_id(payload_id(transfer.payload), issued, 1)
    commit = commit_tx(ledger, v_id, holder="supplier2")
    ledger.block(commit)
    create = pledge_tx(ledger, v_id, 500_000, holder="supplier2")
    ledger.block(create)
    store = ledger.store
    v = vouchers.get_voucher(store, v_id)
    assert v is not None and v.pledge == payload_id(create.payload)

    v_parties = {"holder": "supplier2", "debtor": "core", "pledgee": "bank",
                 "acquirer": "acquirer", "earlier_holder": "supplier"}
    record("voucher", v, **v_parties)
    record("lineage", v, **v_parties)
    origin = vouchers.get_origin(store, issued)
    record("origin", origin, debtor="core", creditor="supplier", holder="supplier2")
    record("holder_totals", vouchers.get_holder_totals(store, ledger.addr("supplier2")),
           self="supplier2", debtor="core")
    record("debtor_record", vouchers.get_debtor_record(store, ledger.addr("core")))
    the_pledge = pledge.get_pledge(store, v.pledge)
    record("pledge", the_pledge, pledgor="supplier2", pledgee="bank", debtor="core")
    record("pledge_notice", pledge.notice_of(the_pledge))
    record("commitment", acquisition.get_commitment(store, payload_id(commit.payload)),
           acquirer="acquirer", holder="supplier2", debtor="core", earlier_holder="supplier")
    application = issuance.get_application(store, v.application)
    record("application", application, creditor="supplier", debtor="core",
           holder="supplier2")
    record("member", membership.get_member(store, ledger.addr("supplier")))
    # member identity: contacts, legal representative, id reference, review documents
    record("member_private", membership.get_member(store, ledger.addr("supplier")),
           self="supplier")
    record("transaction", access.TxWithEvents(transfer, tuple(events)),
           signer="supplier", addressee="core")
    moved = next(e for e in events if e.kind == "voucher.transferred")
    assert ledger.addr("supplier2") in moved.parties
    record("event", moved, addressee="supplier2")
    record("fee_account", fees.get_account(store, ledger.addr("supplier")), self="supplier")
    record("stream", streams.Stream(ledger.addr("supplier"), 3, bytes(range(32))),
           self="supplier")
    record("fee_schedule", fees.get_schedule(store))
    # The bank's pledge-loan product.
    terms = products.Terms(None, 30, 180, 350, 600, 100_000, 50_000_000, "")
    ledger.run("product", "publish", products.Publish(
        ledger.addr("bank"), "receivable pledge loan", "pledge_loan", terms), "bank")
    record("product", products.get_product(ledger.store, products.product_id(
        ledger.addr("bank"), "receivable pledge loan")))

    # A document the creditor attached for itself and the debtor, named by the application
    # of a voucher whose holder granted the second bank access to it.
    document, attach = attach_document(ledger, b"invoice 7")
    basis_voucher = issue_with(ledger, (document,))
    ledger.block(grant_tx(ledger, document, attach, basis_voucher, "bank2"))
    record("document", documents.get_attachment(ledger.store, document), party="core",
           grantee="bank2")
    record("grant", documents.get_grant(ledger.store, document, ledger.addr("bank2")),
           party="core", granter="supplier", grantee="bank2")

    # The debtor's offer, and the creditor's request to redeem what it kept against it.
    offer = publish(ledger, kind="consumption", price_fen=100_000)
    record("offer", redemption.get_offer(ledger.store, offer))
    ask = ask_tx(ledger, remainder, offer, 100_000, holder="supplier")
    ledger.block(ask)
    record("redemption", redemption.get_request(ledger.store, payload_id(ask.payload)),
           holder="supplier", debtor="core")

    # A transfer the creditor offered a new member out of a new voucher, waiting for its
    # signature (签收).
    admit(ledger, "transferee")
    offered = ledger.run("transfer", "offer", transfers.Offer(
        ledger.addr("supplier"), ledger.issue(200_000, creditor="supplier", debtor="core"),
        ledger.addr("transferee"), 50_000, None, "TC-2027-9", 7), "supplier")
    pending = transfers.get_pending_transfer(ledger.store, offered)
    offered_state = vouchers.get_voucher(ledger.store, pending.voucher)
    record("transfer", transfers.get_pending_transfer(ledger.store, offered),
           holder="supplier", transferee="transferee", debtor="core")

    # W: supplier2's own voucher, part of it sold under a commitment after its lock.
    w = ledger.issue(300_000, creditor="supplier2", debtor="core")
    commit_w = commit_tx(ledger, w, holder="supplier2", lock_ms=DAY_MS, expires_ms=9 * DAY_MS)
    ledger.block(commit_w)
    ledger.block(advance_ms=2 * DAY_MS)
    sell = exercise_tx(ledger, w, payload_id(commit_w.payload), 100_000, holder="supplier2")
    ledger.block(sell)
    sale = acquisition.get_commitment(ledger.store, payload_id(commit_w.payload))
    assert sale is not None and sale.exercised_fen == 100_000
    ((_, raw),) = ledger.store.scan(acquisition.exercise_key(sale.id, b""))
    record("sale", decode(acquisition.Sale, raw),
           acquirer="acquirer", seller="supplier2", debtor="core")

    # A claim sold to a funder: issued to supplier, passed to supplier2, sold to bank2.
    claim = ledger.issue(200_000, creditor="supplier", debtor="core")
    ledger.block(transfer_tx(ledger, claim, 200_000, to="supplier2", holder="supplier"))
    (passed,) = vouchers.children_ids(ledger.store, claim)
    ledger.block(sell_tx(ledger, passed, 200_000, buyer="bank2", seller="supplier2"))
    ((key, _),) = ledger.store.scan(claim_sales.buyer_key(ledger.addr("bank2"), b""))
    record("claim_sale", claim_sales.get_sale(ledger.store, key[-32:]), seller="supplier2",
           buyer="bank2", debtor="core", earlier_holder="supplier")

    # An open round over a loop: core owes supplier, supplier owes supplier2, supplier2
    # owes core.
    o1 = owe(ledger, "core", "supplier", 50_000)
    o2 = owe(ledger, "supplier", "supplier2", 50_000)
    o3 = owe(ledger, "supplier2", "core", 50_000)
    round_id = propose(ledger, reductions(("obligation", o1, 50_000),
                                          ("obligation", o2, 50_000),
                                          ("obligation", o3, 50_000)))
    record("obligation", obligations.get_obligation(ledger.store, o1),
           creditor="supplier", debtor="core", round_member="supplier2")
    record("setoff_round", setoff.get_round(ledger.store, round_id), round_member="supplier")

    # A run over three mandated members' loop of debts.
    admit(ledger, "m1", "m2", "m3")
    mandate(ledger, "m1", "m2", "m3")
    legs = [owe(ledger, "m1", "m2", 7_000), owe(ledger, "m2", "m3", 7_000),
            owe(ledger, "m3", "m1", 7_000)]
    run_id = open_run(ledger)
    ledger.block(batch_tx(ledger, run_id, 0, tuple(sorted(
        (Reduction("obligation", leg, 7_000) for leg in legs), key=lambda r: r.id))))
    ledger.run("setoff", "set_limit", setoff.SetLimit(ledger.addr("m2"), False, 9_000), "m2")
    record("setoff_run", setoff.get_run(ledger.store, run_id), run_member="m1")
    record("setoff_usage", setoff.get_usage(ledger.store, run_id, ledger.addr("m1")),
           self="m1", run_member="m2")
    record("setoff_batch", setoff.batches_of_run(ledger.store, run_id)[0], run_member="m1")
    record("setoff_mandate", setoff.get_mandate(ledger.store, ledger.addr("m1")), self="m1")
    record("setoff_limit", setoff.get_limit(ledger.store, ledger.addr("m2")), self="m2")
    record("setoff_totals", setoff.get_run_totals(ledger.store))
    record("setoff_plan", None)

    # An equivocation on the ledger, and the rules in force.
    overlay = Overlay(ledger.store)
    evidence.record_evidence(overlay, evidence.Equivocation(
        bytes(range(32)), 3, 0, "prevote", b"", b"\x01" * 32, b"vote a", b"vote b", 4,
        ledger.time_ms))
    ledger.store.apply(overlay.changes())
    record("evidence", next(r for _, r in evidence.scan_evidence(ledger.store)))
    record("contract_schedule", governance.get_schedule(ledger.store, "transfer"))
    record("node", nodes.Observer(bytes(32), ledger.addr("regulator"), "regulator-node"))
    record("block", None)

    # Supervision: a court's freeze of part of supplier2's voucher, and the debtor's
    # dispute on a voucher of supplier's.
    build_supervision(ledger, record)

    # V's holder asks the merchant to accept a payment from V (its bank co-signs too).
    pay = payment.Pay(ledger.addr("supplier2"), v_id, ledger.addr("merchant"), 10_000,
                      "order 5", ledger.addr("bank"))
    draft = ledger.tx("payment", "pay", pay, "supplier2")

    # F: part of the creditor's voucher, which it asks two banks to lend on; one quotes.
    f = ledger.issue(200_000, creditor="supplier", debtor="core")
    ask = ledger.tx("financing", "request", financing.Request(
        ledger.addr("supplier"), f, 150_000, "pledge_loan", 90,
        tuple(sorted((ledger.addr("bank"), ledger.addr("bank2")))), 7), "supplier")
    ledger.block(ask)
    quote = ledger.tx("financing", "quote", financing.Quote(
        ledger.addr("bank"), payload_id(ask.payload), 100_000, 435, 90, None,
        ledger.time_ms + DAY_MS), "bank")
    ledger.block(quote)
    request = financing.get_request(ledger.store, payload_id(ask.payload))
    record("financing_request", request, holder="supplier", funder="bank2", debtor="core")
    record("financing_answer", financing.get_answer(ledger.store, payload_id(quote.payload)),
           holder="supplier", quoter="bank", funder="bank2")
    reserved = vouchers.get_voucher(ledger.store, request.voucher)
    parties["voucher"]["funder"] = parties["lineage"]["funder"] = "bank2"
    parties["voucher"]["transferee"] = parties["lineage"]["transferee"] = "transferee"
    seen_by = {("voucher", "funder"): reserved, ("lineage", "funder"): reserved,
               ("voucher", "transferee"): offered_state, ("lineage", "transferee"): offered_state}
    add_credit_records(ledger, record)
    add_report_scope(ledger, record)
    return World(ledger, records, parties, draft, seen_by)


# ---- credit limits and the blacklist (contracts/credit.py)
def add_credit_records(ledger: Ledger, record: Any) -> None:
    """The core enterprise's limit and listing, the bank's exposure to it, the criteria."""
    ledger.run("credit", "set_limit", credit.SetLimit(
        ledger.addr("agency"), ledger.addr("core"), 50_000_000, None, "SX-1"), "agency")
    ledger.run("credit", "set_exposure_limit", credit.SetExposureLimit(
        ledger.addr("bank"), ledger.addr("core"), 10_000_000), "bank")
    store = ledger.store
    record("debtor_credit", credit.debtor_credit(store, ledger.addr("core")))
    record("exposure", credit.exposure(store, ledger.addr("bank"), ledger.addr("core")),
           self="bank", debtor="core")
    # Supplier2 let a voucher it owes go overdue; with the criteria at one overdue voucher
    # the agency lists it.
    ledger.run("credit", "set_criteria", credit.SetCriteria(ledger.addr("agency"), 1, 3, 365),
               "agency")
    ledger.issue(1000, creditor="supplier", debtor="supplier2", due_in_ms=2000)
    ledger.block(advance_ms=3000)
    ledger.run("credit", "list", credit.ListDebtor(
        ledger.addr("agency"), ledger.addr("supplier2"), "overdue voucher"), "agency")
    record("listing", credit.get_listing(ledger.store, ledger.addr("supplier2")))
    record("blacklist_criteria", credit.get_criteria(ledger.store))


# ---- period reports (contracts/reports.py)
def add_report_scope(ledger: Ledger, record: Any) -> None:
    """A report of the core enterprise's own business: what a report covers is its
    scope (every member's business, or one member's)."""
    record("report", reports.ReportScope(ledger.addr("core")), self="core")


def build_supervision(ledger: Ledger, record: Any) -> None:
    """The supervision family's records (contracts/supervision.py): a freeze order and a
    dispute."""
    frozen_from = ledger.issue(100_000, creditor="supplier2", debtor="core")
    freeze = ledger.tx("supervision", "freeze", supervision.Freeze(
        ledger.addr("regulator"), frozen_from, 40_000, "(2027)执保1号", sha256(b"order")),
        "regulator")
    ledger.block(freeze)
    record("freeze", supervision.get_freeze(ledger.store, payload_id(freeze.payload)),
           holder="supplier2", debtor="core")
    disputed = ledger.issue(100_000, creditor="supplier", debtor="core")
    raised = ledger.tx("supervision", "raise_dispute", supervision.RaiseDispute(
        ledger.addr("core"), "voucher", disputed, "goods never delivered",
        (sha256(b"delivery log"),)), "core")
    ledger.block(raised)
    record("dispute", supervision.get_dispute(ledger.store, payload_id(raised.payload)),
           party="supplier")


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def asked(world: World, name: str = ASKED) -> frozenset[bytes]:
    ledger = world.ledger
    return access.asked_by_draft(ledger.store, encode(world.draft), ledger.addr(name),
                                 ledger.height + 1, registry=ledger.registry, chain_id=CHAIN)


def caller(world: World, kind: str, parties: dict[str, str]) -> Caller:
    """The caller of a kind: a generic one, or the member playing that party."""
    ledger = world.ledger
    if kind == "anonymous":
        return access.ANONYMOUS
    if kind == "asked":
        return access.caller_of(ledger.store, ledger.addr(ASKED), asked(world))
    name = {"member": UNRELATED, "agency": "agency", "regulator": "regulator"}.get(kind)
    return access.caller_of(ledger.store, ledger.addr(name or parties[kind]))


def expected(row: access.Row, kind: str) -> bool:
    """What the table says of a caller of `kind`."""
    if kind == "anonymous":
        return False
    return kind in row.readers or "member" in row.readers


MATRIX = [(row.kind, kind) for row in access.TABLE for kind in GENERIC] + [
    (row.kind, party) for row in access.TABLE
    for party in (*row.readers, *row.not_readers) if party not in GENERIC]


# ------------------------------------------------------------------ the table, tried


def test_every_kind_of_record_has_a_fixture_and_every_party_is_played(world: World) -> None:
    assert set(world.records) == set(access.ROWS)
    for row in access.TABLE:
        named = (set(row.readers) | set(row.not_readers)) - set(GENERIC)
        assert set(world.parties[row.kind]) == named, row.kind


@pytest.mark.parametrize(("kind", "who"), MATRIX, ids=[f"{k}-{w}" for k, w in MATRIX])
def test_the_rule_answers_as_the_table_says(world: World, kind: str, who: str) -> None:
    row = access.ROWS[kind]
    record = world.seen_by.get((kind, who), world.records[kind])
    reader = caller(world, who, world.parties[kind])
    state = world.ledger.store
    assert access.may_read(state, reader, kind, record) is expected(row, who)
    if expected(row, who):
        access.require_read(state, reader, kind, record)
    else:
        with pytest.raises(Forbidden) as refused:
            access.require_read(state, reader, kind, record)
        assert refused.value.code == "read.forbidden"


def test_the_parties_of_a_record_read_it_and_nobody_unrelated_does(world: World) -> None:
    """The point of the table, said once plainly: no kind of record but the public ones
    is read by a member unrelated to it, and none at all by an anonymous caller."""
    state = world.ledger.store
    stranger = caller(world, "member", {})
    public = {row.kind for row in access.TABLE if "member" in row.readers}
    assert public == {"member", "debtor_record", "pledge_notice", "offer", "fee_schedule",
                      "setoff_totals", "evidence", "contract_schedule", "block", "node",
                      "product",
                      "debtor_credit", "listing", "blacklist_criteria"}  # credit
    for row in access.TABLE:
        record = world.records[row.kind]
        assert not access.may_read(state, access.ANONYMOUS, row.kind, record)
        assert access.may_read(state, stranger, row.kind, record) is (row.kind in public)


def test_a_lineage_shows_each_descendant_only_to_who_reads_it(world: World) -> None:
    """The creditor's issued state has two parts: the one it kept and the one it passed
    on. It reads the first, not where the second went; the debtor reads both."""
    ledger = world.ledger
    state = ledger.store
    issued = world.records["origin"].id
    parts = [vouchers.get_voucher(state, i) for i in vouchers.children_ids(state, issued)]
    assert {p.holder for p in parts} == {ledger.addr("supplier"), ledger.addr("supplier2")}
    creditor = access.caller_of(state, ledger.addr("supplier"))
    debtor = access.caller_of(state, ledger.addr("core"))
    assert [p.holder for p in access.readable(state, creditor, "voucher", parts)] == \
        [ledger.addr("supplier")]
    assert access.readable(state, debtor, "voucher", parts) == parts


def test_the_markdown_table_has_a_line_per_kind_in_table_order() -> None:
    text = access.table_markdown()
    lines = text.splitlines()
    assert lines[0].startswith("| record | kept by | who reads |")
    assert [line.split(" | ")[0].removeprefix("| ") for line in lines[2:]] == \
        [row.kind for row in access.TABLE]
    assert all(line.count(" | ") == 4 for line in lines[2:])


# ------------------------------------------------------------------ callers


def test_a_suspended_regulator_oversees_nothing_but_still_reads_the_directory(
        world: World) -> None:
    ledger = Ledger()
    body = membership.Suspend(ledger.addr("agency"), ledger.addr("regulator"), "key lost")
    ledger.run("membership", "suspend", body, "agency")
    suspended = access.caller_of(ledger.store, ledger.addr("regulator"))
    assert suspended.member and not suspended.regulator
    issued = ledger.issue()
    v = vouchers.get_voucher(ledger.store, issued)
    assert not access.may_read(ledger.store, suspended, "voucher", v)
    assert access.may_read(ledger.store, suspended, "member",
                           membership.get_member(ledger.store, ledger.addr("core")))


def test_a_key_that_is_no_member_reads_only_what_is_addressed_to_it(world: World) -> None:
    stranger_key = KeyPair.generate().address
    outsider = access.caller_of(world.ledger.store, stranger_key)
    assert not outsider.member
    for row in access.TABLE:
        if row.kind != "event":
            assert not access.may_read(world.ledger.store, outsider, row.kind,
                                       world.records[row.kind])
    event = evidence.record_evidence(Overlay(world.ledger.store), evidence.Equivocation(
        stranger_key, 9, 1, "precommit", b"", b"\x02" * 32, b"a", b"b", 10, 0))
    assert access.event_addressees(event) == (stranger_key,)
    assert access.may_read(world.ledger.store, outsider, "event", event)


# ------------------------------------------------------------------ asked to co-sign


def test_a_member_asked_to_co_sign_reads_the_voucher_its_lineage_and_its_pledge(
        world: World) -> None:
    v = world.records["voucher"]
    assert asked(world) == frozenset({v.id})
    merchant = caller(world, "asked", {})
    state = world.ledger.store
    for kind in ("voucher", "lineage", "pledge", "debtor_record"):
        assert access.may_read(state, merchant, kind, world.records[kind]), kind
    for kind in ("commitment", "origin", "holder_totals", "fee_account", "application"):
        assert not access.may_read(state, merchant, kind, world.records[kind]), kind
    # So does the bank the same draft asks (it must sign it too).
    assert asked(world, "bank") == frozenset({v.id})


def refusal(world: World, draft: Transaction | bytes, name: str = ASKED,
            height: int | None = None, chain_id: str = CHAIN) -> str:
    ledger = world.ledger
    raw = draft if isinstance(draft, bytes) else encode(draft)
    with pytest.raises(Forbidden) as refused:
        access.asked_by_draft(ledger.store, raw, ledger.addr(name),
                              ledger.height + 1 if height is None else height,
                              registry=ledger.registry, chain_id=chain_id)
    assert refused.value.code == "read.bad_draft"
    return refused.value.message


def test_a_draft_grants_nothing_unless_the_holder_signed_it_for_the_caller(
        world: World) -> None:
    ledger = world.ledger
    draft = world.draft
    assert "decode" in refusal(world, b"\x93garbage")
    assert "chain" in refusal(world, draft, chain_id="another-chain")
    assert "expired" in refusal(world, draft, height=draft.payload.expiry_height + 1)
    assert "does not ask you" in refusal(world, draft, name=UNRELATED)
    signed = sign_transaction(draft, ledger.keys[ASKED])
    assert "signed the draft already" in refusal(world, signed)
    unsigned = Transaction(draft.payload, ())
    assert "holder has not signed" in refusal(world, unsigned)
    forged = Transaction(draft.payload, (draft.signatures[0].__class__(
        draft.signatures[0].signer, bytes(64)),))
    assert "does not verify" in refusal(world, forged)
    # A draft its signer makes on a voucher another member holds grants nothing.
    v = world.records["voucher"]
    other = payment.Pay(ledger.addr("supplier"), v.id, ledger.addr(ASKED), 10_000, "order 6",
                        None)
    assert "holder has not signed" in refusal(
        world, ledger.tx("payment", "pay", other, "supplier"))
    # A draft naming no voucher state grants nothing.
    none = payment.Pay(ledger.addr("supplier"), b"\x05" * 32, ledger.addr(ASKED), 1, "o", None)
    assert "no voucher state" in refusal(world, ledger.tx("payment", "pay", none, "supplier"))


def test_a_draft_on_a_state_spent_since_grants_that_state_so_the_one_asked_sees_it_spent(
        world: World) -> None:
    ledger = world.ledger
    v = world.records["voucher"]
    consumed = vouchers.get_voucher(ledger.store, v.parent)
    assert consumed is not None and consumed.status == "consumed"
    old = payment.Pay(consumed.holder, consumed.id, ledger.addr(ASKED), 1, "o", None)
    raw = encode(ledger.tx("payment", "pay", old, "supplier"))
    asked_now = access.asked_by_draft(ledger.store, raw, ledger.addr(ASKED), ledger.height + 1,
                                      registry=ledger.registry, chain_id=CHAIN)
    assert asked_now == frozenset({consumed.id})
    merchant = caller(world, "asked", {})
    merchant = replace(merchant, asked=asked_now)
    assert access.may_read(ledger.store, merchant, "voucher", consumed)
    # Only that state: not the live part that descends from it.
    assert not access.may_read(ledger.store, merchant, "voucher", v)


# ------------------------------------------------------------------ commitments travel


def test_later_holders_of_parts_carrying_a_commitment_read_it_and_earlier_ones_do_not(
        ) -> None:
    ledger = Ledger()
    issued = ledger.issue(1_000_000)
    commit = commit_tx(ledger, issued, holder="supplier")
    ledger.block(commit)
    commitment = acquisition.get_commitment(ledger.store, payload_id(commit.payload))
    first = transfer_tx(ledger, issued, 400_000, to="supplier2", holder="supplier")
    ledger.block(first)
    part = vouchers.part_id(payload_id(first.payload), issued, 0)
    second = transfer_tx(ledger, part, 400_000, to="bank2", holder="supplier2")
    ledger.block(second)

    def reads(name: str) -> bool:
        return access.may_read(ledger.store, access.caller_of(ledger.store, ledger.addr(name)),
                               "commitment", commitment)

    assert reads("supplier")  # commissioned it
    assert reads("bank2")  # holds a live part that carries it
    assert not reads("supplier2")  # held a part, passed it on
    assert not reads("core")  # the debtor


def test_the_readme_shows_the_read_rule_table_the_contracts_declare() -> None:
    from pathlib import Path

    from contracts.access import table_markdown

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert table_markdown().strip() in readme, "README's 'Who reads what' table is stale: " \
        "paste contracts.access.table_markdown()"
