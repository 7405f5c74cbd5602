"""Sale of claims to funders (contracts/sale.py, 保理): a holder sells all or part of a
voucher, or a creditor all or part of a confirmed obligation, to a bank, a factoring
company or a microlender at the ledger's discounted price, with or without recourse; the
debtor is told; the buyer passes the claim on or holds it until the debtor settles; a
buyer with recourse gives an overdue claim back. Every refusal has its code."""

from __future__ import annotations

import pytest

from contracts import basis, documents, fees, obligations, pledge, pricing, sale, vouchers
from contracts.contract import Context
from contracts.errors import Rejected
from contracts.state import Overlay
from contracts.tx import Transaction, payload_id
from tests.memledger import DAY_MS, Ledger
from tests.test_lifecycle_rules import (
    accept_tx,
    ask_tx,
    pledge_tx,
    publish,
    transfer_tx,
    voucher,
)
from tests.test_setoff_rules import confirm_tx, obligation, owe, submit, submit_tx

FACE = 1_000_000
REF = "BL-2027-0042"
BLOCK_MS = 1000  # the memledger's default advance: the next block's time


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger(fee_rate_bp=10)
    ledger.admit("factor", "factor")
    ledger.admit("lender", "microlender")
    return ledger


def next_days(ledger: Ledger, due_ms: int) -> int:
    """The whole days the ledger will count from the next block to `due_ms`."""
    return pricing.whole_days(ledger.time_ms + BLOCK_MS, due_ms)


def sell_tx(ledger: Ledger, voucher_id: bytes, amount_fen: int, buyer: str = "factor",
            seller: str = "supplier", rate_bp: int = 600, price_fen: int | None = None,
            recourse: bool = False, ref: str = REF, docs: tuple[bytes, ...] = (),
            pledgee: str | None = None, signers: tuple[str, ...] | None = None,
            filing: pledge.Filing | None = None) -> Transaction:
    """A sale priced as the ledger prices it unless `price_fen` is given."""
    if price_fen is None:
        days = next_days(ledger, voucher(ledger, voucher_id).due_ms)
        price_fen = pricing.discounted_fen(amount_fen, rate_bp, days)
    body = sale.Sell(ledger.addr(seller), ledger.addr(buyer), voucher_id, amount_fen, rate_bp,
                     price_fen, recourse, ref, docs,
                     None if pledgee is None else ledger.addr(pledgee), filing)
    if signers is None:
        signers = (seller, buyer) if pledgee is None else (seller, buyer, pledgee)
    return ledger.tx("sale", "sell", body, *signers)


def sold(ledger: Ledger, tx: Transaction) -> sale.ClaimSale:
    """The sale `tx` made (the ledger's one sale of that transaction)."""
    ((sale_id,),) = [
        [e.subject for e in ledger.block(tx) if e.kind == "sale.sold"]]
    found = sale.get_sale(ledger.store, sale_id)
    assert found is not None
    return found


def sell_obligation_tx(ledger: Ledger, obligation_id: bytes, amount_fen: int,
                       buyer: str = "factor", creditor: str = "supplier",
                       rate_bp: int = 600, price_fen: int | None = None,
                       recourse: bool = False) -> Transaction:
    if price_fen is None:
        days = next_days(ledger, obligation(ledger, obligation_id).due_ms)
        price_fen = pricing.discounted_fen(amount_fen, rate_bp, days)
    body = sale.SellObligation(ledger.addr(creditor), ledger.addr(buyer), obligation_id,
                               amount_fen, rate_bp, price_fen, recourse, REF, ())
    return ledger.tx("sale", "sell_obligation", body, creditor, buyer)


def recourse_tx(ledger: Ledger, sale_id: bytes, buyer: str = "factor") -> Transaction:
    return ledger.tx("sale", "recourse", sale.Recourse(ledger.addr(buyer), sale_id), buyer)


def ids(ledger: Ledger, by: str, name: str) -> list[bytes]:
    page, _ = sale.sales_page(ledger.store, ledger.addr(name), None, 100, role=by)
    return [s.id for s in page]


# ------------------------------------------------------------------ voucher sales


def test_a_holder_sells_a_whole_voucher_and_the_debtor_is_told(ledger: Ledger) -> None:
    issued = ledger.issue(FACE, due_in_ms=90 * DAY_MS)
    days = next_days(ledger, voucher(ledger, issued).due_ms)
    tx = sell_tx(ledger, issued, FACE, rate_bp=600)
    events = ledger.block(tx)
    supplier, factor, core = (ledger.addr(n) for n in ("supplier", "factor", "core"))
    told = {e.kind: e.parties for e in events}
    assert told["sale.sold"] == tuple(sorted((supplier, factor)))
    assert told["sale.notice"] == (core,)  # 转让通知 goes to the debtor, and to it alone
    assert set(told["voucher.sold"]) == {supplier, factor, core}
    assert told["fees.charged"] == (supplier,)
    the_sale = sale.get_sale(ledger.store, next(
        e.subject for e in events if e.kind == "sale.sold"))
    assert the_sale is not None
    bought = voucher(ledger, the_sale.sold)
    assert (bought.holder, bought.amount_fen, bought.cause, bought.parent) == \
        (factor, FACE, "sale", issued)
    assert voucher(ledger, issued).status == "consumed"
    # The price both signed is the ledger's: 6 % a year for `days` days on ACT/360.
    assert days == 89
    assert the_sale.price_fen == FACE - FACE * 600 * days // (10_000 * 360) == 985_167
    assert (the_sale.seller, the_sale.buyer, the_sale.debtor, the_sale.kind) == \
        (supplier, factor, core, "voucher")
    assert (the_sale.face_fen, the_sale.rate_bp, the_sale.days, the_sale.recourse,
            the_sale.contract_ref, the_sale.status) == (FACE, 600, days, False, REF, "sold")
    assert the_sale.sold_from == issued and the_sale.returned is None
    for by, name in (("seller", "supplier"), ("buyer", "factor"), ("debtor", "core")):
        assert ids(ledger, by, name) == [the_sale.id]
    assert ids(ledger, "seller", "factor") == []
    # The seller owes the transfer fee on the face sold, as for a transfer.
    assert fees.get_account(ledger.store, supplier).charged_fen == fees.fee_for(FACE, 10)
    assert vouchers.get_holder_totals(ledger.store, supplier).held_fen == 0
    assert vouchers.get_holder_totals(ledger.store, factor).held_fen == FACE
    assert vouchers.get_debtor_record(ledger.store, core).outstanding_fen == FACE


def test_a_part_is_split_off_and_sold_and_the_remainder_stays(ledger: Ledger) -> None:
    issued = ledger.issue(FACE, due_in_ms=180 * DAY_MS)
    the_sale = sold(ledger, sell_tx(ledger, issued, 300_000, buyer="lender", rate_bp=875))
    bought = voucher(ledger, the_sale.sold)
    part = voucher(ledger, the_sale.sold_from)
    assert (bought.holder, bought.amount_fen) == (ledger.addr("lender"), 300_000)
    assert (part.parent, part.cause, part.status) == (issued, "split", "consumed")
    remainder = [v for v in (voucher(ledger, i) for i in vouchers.children_ids(
        ledger.store, issued)) if v.cause == "remainder"]
    assert [(v.holder, v.amount_fen, v.status) for v in remainder] == \
        [(ledger.addr("supplier"), 700_000, "active")]
    assert the_sale.face_fen == 300_000
    assert the_sale.price_fen == pricing.discounted_fen(300_000, 875, the_sale.days)
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == \
        fees.fee_for(300_000, 10)
    totals = [vouchers.get_holder_totals(ledger.store, ledger.addr(n)).held_fen
              for n in ("supplier", "lender")]
    assert totals == [700_000, 300_000]


def test_the_price_must_be_the_ledgers_discount_to_the_fen(ledger: Ledger) -> None:
    issued = ledger.issue(FACE, due_in_ms=90 * DAY_MS)
    price = pricing.discounted_fen(FACE, 600, next_days(ledger, voucher(ledger, issued).due_ms))
    for wrong in (price - 1, price + 1, FACE):
        assert ledger.refused(sell_tx(ledger, issued, FACE, price_fen=wrong)) == \
            "sale.bad_price"
    assert ledger.refused(sell_tx(ledger, issued, FACE, rate_bp=3_601)) == "sale.bad_rate"
    ledger.block(sell_tx(ledger, issued, FACE, rate_bp=3_600))


def test_a_price_of_nothing_is_refused(ledger: Ledger) -> None:
    # 1 fen due in over 1,000 days at 36 %: the rounded-down discount is the whole fen.
    issued = ledger.issue(1, due_in_ms=1_100 * DAY_MS)
    days = next_days(ledger, voucher(ledger, issued).due_ms)
    assert pricing.discounted_fen(1, 3_600, days) == 0
    assert ledger.refused(sell_tx(ledger, issued, 1, rate_bp=3_600)) == "sale.bad_price"


@pytest.mark.parametrize(("buyer", "code"), [
    ("supplier2", "sale.not_funder"),  # an enterprise buys no claims
    ("supplier", "sale.self"),
    ("core", "sale.to_debtor"),
])
def test_only_a_funder_other_than_seller_and_debtor_buys(ledger: Ledger, buyer: str,
                                                         code: str) -> None:
    issued = ledger.issue(FACE)
    signers = ("supplier",) if buyer == "supplier" else ("supplier", buyer)
    assert ledger.refused(sell_tx(ledger, issued, FACE, buyer=buyer, signers=signers)) == code


def test_a_bank_and_a_microlender_buy_as_a_factor_does(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    ledger.block(sell_tx(ledger, issued, 100_000, buyer="bank"))
    remainder = ledger.issue(FACE)
    ledger.block(sell_tx(ledger, remainder, 100_000, buyer="lender"))
    assert len(ids(ledger, "buyer", "bank")) == len(ids(ledger, "buyer", "lender")) == 1


def test_a_sale_needs_the_holder_and_an_amount_it_holds(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    assert ledger.refused(sell_tx(ledger, issued, FACE, seller="supplier2")) == \
        "voucher.not_holder"
    assert ledger.refused(sell_tx(ledger, issued, FACE + 1, price_fen=FACE)) == \
        "voucher.over_amount"
    assert ledger.refused(sell_tx(ledger, issued, 0, price_fen=0)) == "voucher.bad_amount"


def test_a_claim_due_already_is_not_sold(ledger: Ledger) -> None:
    issued = ledger.issue(FACE, due_in_ms=2 * DAY_MS)
    tx = sell_tx(ledger, issued, FACE, price_fen=FACE)
    ledger.block(advance_ms=3 * DAY_MS)
    assert voucher(ledger, issued).overdue_since_ms is not None
    assert ledger.refused(tx) == "sale.due"


def test_a_pledged_voucher_is_sold_only_with_its_bank(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    create = pledge_tx(ledger, issued, 500_000)
    ledger.block(create)
    assert ledger.refused(sell_tx(ledger, issued, FACE)) == "voucher.pledged"
    events = ledger.block(sell_tx(ledger, issued, FACE, pledgee="bank"))
    assert "pledge.released" in [e.kind for e in events]
    assert voucher(ledger, issued).status == "consumed"


def test_documents_are_sealed_to_seller_and_buyer(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    supplier, factor, core = (ledger.addr(n) for n in ("supplier", "factor", "core"))

    def attach(parties: tuple[bytes, ...], text: bytes) -> bytes:
        readers = documents.readers_for(ledger.store, parties)
        body = documents.attach_body(ledger.keys["supplier"], text, "factoring contract",
                                     parties, readers)
        ledger.run("document", "attach", body, "supplier")
        return documents.document_id(body.owner, body.commitment)

    to_debtor = attach((supplier, core), b"invoice 7")
    contract = attach((supplier, factor), b"factoring contract BL-2027-0042")
    assert ledger.refused(sell_tx(ledger, issued, FACE, docs=(to_debtor,))) == \
        "document.not_party"
    assert ledger.refused(sell_tx(ledger, issued, FACE, docs=(contract, contract))) == \
        "document.repeated"
    assert sold(ledger, sell_tx(ledger, issued, FACE, docs=(contract,))).documents == \
        (contract,)


def test_the_buyers_national_registration_is_recorded_with_the_sale(ledger: Ledger) -> None:
    """§002-(十): the factor files the transfer in the 中登网 and the sale names it."""
    issued = ledger.issue(FACE)
    now = ledger.time_ms
    filing = pledge.Filing("0471-2027-000118", now, now + 365 * DAY_MS)
    assert sold(ledger, sell_tx(ledger, issued, 100_000, filing=filing)).filing == filing
    for bad, code in ((pledge.Filing("no 118", now, now + DAY_MS), "pledge.bad_filing_no"),
                      (pledge.Filing("118", now, now - 1), "pledge.bad_filing_period"),
                      (pledge.Filing("118", now - 2, now - 1), "pledge.filing_expired")):
        remainder = next(i for i in vouchers.live_ids_by_holder(
            ledger.store, ledger.addr("supplier")))
        assert ledger.refused(sell_tx(ledger, remainder, 1_000, filing=bad)) == code


def test_both_parties_sign(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    code = ledger.refused(sell_tx(ledger, issued, FACE, signers=("supplier",)))
    assert code == "tx.missing_signature"


# ------------------------------------------------------------------ the buyer's claim


def test_the_buyer_passes_the_bought_claim_on_with_a_transfer(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    the_sale = sold(ledger, sell_tx(ledger, issued, 400_000))
    ledger.block(transfer_tx(ledger, the_sale.sold, 150_000, to="bank2", holder="factor"))
    assert voucher(ledger, the_sale.sold).status == "consumed"
    held = {n: vouchers.get_holder_totals(ledger.store, ledger.addr(n)).held_fen
            for n in ("supplier", "factor", "bank2")}
    assert held == {"supplier": 600_000, "factor": 250_000, "bank2": 150_000}


def test_the_buyer_holds_the_claim_until_the_debtor_redeems_it(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    the_sale = sold(ledger, sell_tx(ledger, issued, FACE))
    offer = publish(ledger, kind="consumption", price_fen=FACE)
    ask = ask_tx(ledger, the_sale.sold, offer, FACE, holder="factor")
    ledger.block(ask)
    ledger.block(accept_tx(ledger, payload_id(ask.payload)))
    assert voucher(ledger, the_sale.sold).status == "cancelled"
    assert vouchers.get_holder_totals(ledger.store, ledger.addr("factor")).held_fen == 0
    assert vouchers.get_debtor_record(ledger.store, ledger.addr("core")).outstanding_fen == 0


def test_a_party_lists_its_sales_in_every_role_page_by_page(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    first = sold(ledger, sell_tx(ledger, issued, FACE, buyer="bank"))
    second = sold(ledger, sell_tx(ledger, first.sold, FACE, seller="bank", buyer="factor"))
    bank = ledger.addr("bank")
    page, cursor = sale.sales_page(ledger.store, bank, None, 100)
    assert [s.id for s in page] == sorted((first.id, second.id)) and cursor is None
    seen = []
    cursor = None
    for _ in range(3):
        page, cursor = sale.sales_page(ledger.store, bank, cursor, 1)
        seen += [s.id for s in page]
        if cursor is None:
            break
    assert seen == sorted((first.id, second.id))
    assert [s.id for s in sale.sales_page(ledger.store, bank, None, 9, role="seller")[0]] == \
        [second.id]
    assert sale.sales_page(ledger.store, bank, None, 9, status="recourse_exercised")[0] == []
    core = sale.sales_page(ledger.store, ledger.addr("core"), None, 9, role="debtor")[0]
    assert {s.id for s in core} == {first.id, second.id}


# ------------------------------------------------------------------ recourse


def overdue_sale(ledger: Ledger, recourse: bool = True) -> sale.ClaimSale:
    issued = ledger.issue(FACE, due_in_ms=30 * DAY_MS)
    the_sale = sold(ledger, sell_tx(ledger, issued, 600_000, recourse=recourse))
    ledger.block(advance_ms=31 * DAY_MS)
    assert voucher(ledger, the_sale.sold).overdue_since_ms is not None
    return the_sale


def test_with_recourse_an_overdue_claim_goes_back_to_the_seller(ledger: Ledger) -> None:
    the_sale = overdue_sale(ledger)
    events = ledger.block(recourse_tx(ledger, the_sale.id))
    after = sale.get_sale(ledger.store, the_sale.id)
    assert after is not None and after.status == "recourse_exercised"
    assert after.recourse_at_ms == ledger.time_ms
    back = voucher(ledger, after.returned)
    assert (back.holder, back.amount_fen, back.cause, back.parent) == \
        (ledger.addr("supplier"), 600_000, "recourse", the_sale.sold)
    assert back.overdue_since_ms is not None  # still the debtor's default
    told = {e.kind: e.parties for e in events}
    assert told["sale.notice"] == (ledger.addr("core"),)
    assert ledger.addr("supplier") in told["sale.recourse"]
    assert vouchers.get_holder_totals(ledger.store, ledger.addr("factor")).held_fen == 0
    assert vouchers.get_holder_totals(ledger.store, ledger.addr("supplier")).held_fen == FACE
    assert ledger.refused(recourse_tx(ledger, the_sale.id)) == "sale.not_sold"


def test_recourse_is_refused_before_the_claim_is_overdue(ledger: Ledger) -> None:
    issued = ledger.issue(FACE, due_in_ms=30 * DAY_MS)
    the_sale = sold(ledger, sell_tx(ledger, issued, FACE, recourse=True))
    assert ledger.refused(recourse_tx(ledger, the_sale.id)) == "sale.not_overdue"


def test_without_recourse_the_default_stays_with_the_buyer(ledger: Ledger) -> None:
    the_sale = overdue_sale(ledger, recourse=False)
    assert ledger.refused(recourse_tx(ledger, the_sale.id)) == "sale.no_recourse"


def test_recourse_is_the_buyers_and_on_the_state_it_still_holds(ledger: Ledger) -> None:
    the_sale = overdue_sale(ledger)
    assert ledger.refused(recourse_tx(ledger, the_sale.id, buyer="bank")) == "sale.not_buyer"
    assert ledger.refused(recourse_tx(ledger, bytes(32))) == "sale.unknown"
    ledger.block(transfer_tx(ledger, the_sale.sold, 1_000, to="bank2", holder="factor"))
    assert ledger.refused(recourse_tx(ledger, the_sale.id)) == "sale.not_held"


def test_recourse_waits_for_a_pledge_by_the_buyer_to_end(ledger: Ledger) -> None:
    issued = ledger.issue(FACE, due_in_ms=30 * DAY_MS)
    the_sale = sold(ledger, sell_tx(ledger, issued, FACE, recourse=True))
    ledger.block(pledge_tx(ledger, the_sale.sold, 500_000, holder="factor"))
    ledger.block(advance_ms=31 * DAY_MS)
    assert ledger.refused(recourse_tx(ledger, the_sale.id)) == "sale.not_held"


# ------------------------------------------------------------------ execute, for other contracts


def context(ledger: Ledger) -> Context:
    return Context(Overlay(ledger.store), ledger.height + 1, ledger.time_ms + BLOCK_MS,
                   bytes([7]) * 32, frozenset(), ledger.registry)


def test_execute_sells_a_free_state_whole_at_the_callers_price(ledger: Ledger) -> None:
    issued = ledger.issue(FACE)
    ctx = context(ledger)
    sale_id = sale.execute(ctx, voucher(ledger, issued), ledger.addr("factor"), 970_000, 450,
                           True, REF, ())
    assert sale_id == sale.sale_id(ctx.tx_id, issued)
    recorded = sale.get_sale(ctx.state, sale_id)
    assert recorded is not None and (recorded.price_fen, recorded.recourse) == (970_000, True)
    assert vouchers.get_voucher(ctx.state, recorded.sold).holder == ledger.addr("factor")
    assert [e.kind for e in ctx.events] == ["voucher.sold", "sale.sold", "sale.notice",
                                            "fees.charged"]


@pytest.mark.parametrize(("price", "rate", "ref", "code"), [
    (0, 450, REF, "sale.bad_price"),
    (FACE + 1, 450, REF, "sale.bad_price"),
    (970_000, 3_601, REF, "sale.bad_rate"),
    (970_000, 450, "", "sale.bad_contract_ref"),
    (970_000, 450, "x" * 257, "sale.bad_contract_ref"),
])
def test_execute_checks_the_terms_it_is_given(ledger: Ledger, price: int, rate: int, ref: str,
                                              code: str) -> None:
    issued = ledger.issue(FACE)
    with pytest.raises(Rejected) as refused:
        sale.execute(context(ledger), voucher(ledger, issued), ledger.addr("factor"), price,
                     rate, False, ref, ())
    assert refused.value.code == code


# ------------------------------------------------------------------ obligations


def test_a_creditor_sells_part_of_a_confirmed_obligation(ledger: Ledger) -> None:
    owed = owe(ledger, "core", "supplier", 500_000)
    before = obligation(ledger, owed)
    tx = sell_obligation_tx(ledger, owed, 200_000, rate_bp=500)
    events = ledger.block(tx)
    the_sale = sale.get_sale(ledger.store, next(
        e.subject for e in events if e.kind == "sale.sold"))
    assert the_sale is not None and the_sale.kind == "obligation"
    bought = obligation(ledger, the_sale.sold)
    assert (bought.creditor, bought.debtor, bought.amount_fen, bought.status) == \
        (ledger.addr("factor"), ledger.addr("core"), 200_000, "confirmed")
    assert (bought.due_ms, bought.basis_ref, bought.basis_sha256) == \
        (before.due_ms, before.basis_ref, before.basis_sha256)
    assert bought.assigned_from == owed and bought.basis_creditor == ledger.addr("supplier")
    kept = obligation(ledger, owed)
    assert (kept.amount_fen, kept.assigned_fen, kept.status) == (300_000, 200_000, "confirmed")
    assert the_sale.price_fen == pricing.discounted_fen(200_000, 500, the_sale.days)
    told = {e.kind: e.parties for e in events}
    assert told["sale.notice"] == (ledger.addr("core"),)
    assert ledger.addr("core") in told["obligation.assigned"]
    assert "fees.charged" not in told  # an obligation is no voucher: no transfer fee


def test_a_debt_sold_in_parts_is_never_financed_again_while_a_part_is_owed(
        ledger: Ledger) -> None:
    tx = submit_tx(ledger, "core", "supplier", 500_000)
    owed = payload_id(tx.payload)
    ledger.block(tx, confirm_tx(ledger, owed, "core"))
    o = obligation(ledger, owed)
    keys = (ledger.addr("supplier"), o.debtor, o.basis_ref, o.basis_sha256)
    bought = sold(ledger, sell_obligation_tx(ledger, owed, 200_000)).sold
    # The seller and the debtor withdraw the seller's part: the basis passes to the
    # buyer's part rather than being freed.
    ledger.run("obligation", "withdraw", obligations.Withdraw(
        ledger.addr("supplier"), ledger.addr("core"), owed, "paid in kind"), "supplier", "core")
    assert basis.use_of(ledger.store, *keys) == basis.Use("obligation", bought)
    again = ledger.tx("obligation", "submit", obligations.Submit(
        ledger.addr("supplier"), ledger.addr("core"), 500_000, o.due_ms, o.basis_ref,
        o.basis_sha256), "supplier")
    assert ledger.refused(again) == "basis.in_use"
    # Once the last part leaves the ledger that way, the basis is free again.
    ledger.run("obligation", "withdraw", obligations.Withdraw(
        ledger.addr("factor"), ledger.addr("core"), bought, "bought back"), "factor", "core")
    assert basis.use_of(ledger.store, *keys) is None
    ledger.block(again)


def test_a_whole_obligation_sold_ends_as_assigned_and_its_basis_follows(
        ledger: Ledger) -> None:
    owed = owe(ledger, "core", "supplier", 500_000)
    o = obligation(ledger, owed)
    the_sale = sold(ledger, sell_obligation_tx(ledger, owed, 500_000, buyer="bank"))
    ended = obligation(ledger, owed)
    assert (ended.status, ended.amount_fen, ended.assigned_fen) == ("assigned", 0, 500_000)
    assert basis.use_of(ledger.store, ledger.addr("supplier"), o.debtor, o.basis_ref,
                        o.basis_sha256) == basis.Use("obligation", the_sale.sold)
    # The buyer's obligation settles as any other: the basis stays taken for good.
    ledger.run("obligation", "settle", obligations.Settle(
        ledger.addr("bank"), ledger.addr("core"), the_sale.sold, "wire 9"), "bank", "core")
    assert obligation(ledger, the_sale.sold).status == "settled"
    assert basis.use_of(ledger.store, ledger.addr("supplier"), o.debtor, o.basis_ref,
                        o.basis_sha256) is not None


def test_obligation_sale_refusals(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    owed = owe(ledger, "core", "supplier", 500_000)
    assert ledger.refused(sell_obligation_tx(ledger, owed, 500_001, price_fen=1)) == \
        "obligation.over_amount"
    assert ledger.refused(sell_obligation_tx(ledger, owed, 100, price_fen=101)) == \
        "sale.bad_price"
    theirs = owe(ledger, "core", "supplier2", 500_000)
    assert ledger.refused(sell_obligation_tx(ledger, theirs, 100)) == "sale.not_creditor"
    pending = submit(ledger, "core", "supplier", 1_000)
    assert ledger.refused(sell_obligation_tx(ledger, pending, 100, price_fen=100)) == \
        "obligation.not_live"
    assert ledger.refused(sell_obligation_tx(ledger, owed, 100, buyer="supplier2")) == \
        "sale.not_funder"
    monkeypatch.setattr(obligations, "MAX_SHARED_PARTS", 1)
    ledger.block(sell_obligation_tx(ledger, owed, 100))
    assert ledger.refused(sell_obligation_tx(ledger, owed, 100, buyer="bank")) == \
        "obligation.too_many_parts"


def test_with_recourse_an_obligation_past_due_goes_back_to_the_seller(
        ledger: Ledger) -> None:
    owed = owe(ledger, "core", "supplier", 500_000)
    the_sale = sold(ledger, sell_obligation_tx(ledger, owed, 200_000, recourse=True))
    assert ledger.refused(recourse_tx(ledger, the_sale.id)) == "sale.not_overdue"
    ledger.block(advance_ms=91 * DAY_MS)
    ledger.block(recourse_tx(ledger, the_sale.id))
    after = sale.get_sale(ledger.store, the_sale.id)
    assert after is not None and after.status == "recourse_exercised"
    back = obligation(ledger, after.returned)
    assert (back.creditor, back.amount_fen, back.status) == \
        (ledger.addr("supplier"), 200_000, "confirmed")
    assert obligation(ledger, the_sale.sold).status == "assigned"
