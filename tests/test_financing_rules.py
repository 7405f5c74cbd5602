"""Financing requests and quotes (融资需求推送, §000-三(四)): a holder asks chosen funders or
every funder to finance a part of a claim, which is reserved meanwhile; funders quote or
decline; the holder accepts one quote with the funder, and the pledge is registered in the
same transaction; or the holder withdraws, or the request lapses. Each rule's accepted
path and each refusal by its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts import access, financing, pledge, pricing
from contracts.financing import Accept, Decline, Quote, Request, Withdraw
from contracts.tx import Transaction, payload_id
from contracts.vouchers import part_id
from tests.memledger import DAY_MS, Ledger
from tests.test_lifecycle_rules import (
    NOBODY,
    ask_tx,
    pledge_record,
    pledge_tx,
    publish,
    refused_at_check,
    split_tx,
    transfer_tx,
    voucher,
)

FILING = "05487683000123456789"


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.admit("factor", "factor")
    ledger.admit("lender", "microlender")
    return ledger


def addresses(ledger: Ledger, names: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(sorted(ledger.addr(n) for n in names))


def request_tx(ledger: Ledger, voucher_id: bytes, amount_fen: int, to: tuple[str, ...] = (
        "bank", "bank2"), kind: str = "pledge_loan", term_days: int = 90, open_days: int = 7,
        holder: str = "supplier", funders: tuple[bytes, ...] | None = None) -> Transaction:
    body = Request(ledger.addr(holder), voucher_id, amount_fen, kind, term_days,
                   addresses(ledger, to) if funders is None else funders, open_days)
    return ledger.tx("financing", "request", body, holder)


def requested(ledger: Ledger, voucher_id: bytes, amount_fen: int, **terms) -> bytes:
    tx = request_tx(ledger, voucher_id, amount_fen, **terms)
    ledger.block(tx)
    return payload_id(tx.payload)


def quote_tx(ledger: Ledger, request_id: bytes, funder: str = "bank", amount_fen: int = 500_000,
             rate_bp: int = 435, term_days: int = 90, recourse: bool | None = None,
             expires_ms: int | None = None) -> Transaction:
    expires = ledger.time_ms + 3 * DAY_MS if expires_ms is None else expires_ms
    body = Quote(ledger.addr(funder), request_id, amount_fen, rate_bp, term_days, recourse,
                 expires)
    return ledger.tx("financing", "quote", body, funder)


def quoted(ledger: Ledger, request_id: bytes, funder: str = "bank", **terms) -> bytes:
    tx = quote_tx(ledger, request_id, funder, **terms)
    ledger.block(tx)
    return payload_id(tx.payload)


def decline_tx(ledger: Ledger, request_id: bytes, funder: str = "bank2",
               reason: str = "debtor outside our sector") -> Transaction:
    return ledger.tx("financing", "decline",
                     Decline(ledger.addr(funder), request_id, reason), funder)


def withdraw_tx(ledger: Ledger, request_id: bytes, holder: str = "supplier") -> Transaction:
    return ledger.tx("financing", "withdraw", Withdraw(ledger.addr(holder), request_id), holder)


def accept_tx(ledger: Ledger, quote_id: bytes, holder: str = "supplier", funder: str = "bank",
              contract_ref: str = "LOAN-2027-009", filing: pledge.Filing | None = None,
              documents: tuple[bytes, ...] = (),
              signers: tuple[str, ...] | None = None) -> Transaction:
    body = Accept(ledger.addr(holder), ledger.addr(funder), quote_id, contract_ref, filing,
                  documents)
    return ledger.tx("financing", "accept", body, *(signers or (holder, funder)))


def request_record(ledger: Ledger, request_id: bytes) -> financing.FinancingRequest:
    found = financing.get_request(ledger.store, request_id)
    assert found is not None
    return found


def answer(ledger: Ledger, answer_id: bytes) -> financing.Answer:
    found = financing.get_answer(ledger.store, answer_id)
    assert found is not None
    return found


def parties(ledger: Ledger, events, kind: str) -> set[bytes]:
    (found,) = [e for e in events if e.kind == kind]
    return set(found.parties)


# ------------------------------------------------------------------ request


def test_a_request_to_chosen_funders_reserves_the_part_and_tells_them(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    tx = request_tx(ledger, v, 600_000)
    events = ledger.block(tx)
    request_id = payload_id(tx.payload)
    record = request_record(ledger, request_id)
    reserved, remainder = part_id(request_id, v, 0), part_id(request_id, v, 1)
    assert (record.voucher, record.amount_fen, record.status, record.kind) == (
        reserved, 600_000, "open", "pledge_loan")
    assert record.open_until_ms == ledger.time_ms + 7 * DAY_MS
    assert record.funders == addresses(ledger, ("bank", "bank2"))
    assert voucher(ledger, reserved).reserved_by == request_id
    assert voucher(ledger, remainder).reserved_by is None
    assert voucher(ledger, remainder).amount_fen == 400_000
    assert parties(ledger, events, "financing.requested") == {
        ledger.addr(n) for n in ("supplier", "bank", "bank2")}
    # Each party finds it among its requests; the funders not asked do not.
    for name in ("supplier", "bank", "bank2"):
        page, _ = financing.requests_page(ledger.store, None, 10, party=ledger.addr(name))
        assert [r.id for r in page] == [request_id]
    assert financing.requests_page(ledger.store, None, 10, party=ledger.addr("lender"))[0] == []
    assert financing.requests_page(ledger.store, None, 10)[0] == []  # none to all
    # The reserved part moves nowhere; the remainder stays the holder's to use.
    assert ledger.refused(transfer_tx(ledger, reserved, 1)) == "voucher.reserved"
    ledger.block(transfer_tx(ledger, remainder, 400_000))


def test_a_request_on_the_whole_voucher_reserves_it_without_a_split(ledger: Ledger) -> None:
    v = ledger.issue(300_000)
    events = ledger.block(request_tx(ledger, v, 300_000))
    assert voucher(ledger, v).reserved_by is not None and voucher(ledger, v).status == "active"
    assert [e.kind for e in events] == ["financing.requested"]


def test_a_request_to_every_funder_is_listed_for_them(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    tx = request_tx(ledger, v, 1_000_000, to=(), kind="pledge_loan")
    events = ledger.block(tx)
    request_id = payload_id(tx.payload)
    assert parties(ledger, events, "financing.requested") == {ledger.addr("supplier")}
    page, _ = financing.requests_page(ledger.store, None, 10)
    assert [r.id for r in page] == [request_id]
    # Any lender answers it; a factor makes no pledge loans.
    quoted(ledger, request_id, "lender")
    assert ledger.refused(quote_tx(ledger, request_id, "factor")) == "financing.not_funder"
    # Answering files it among the funder's requests.
    page, _ = financing.requests_page(ledger.store, None, 10, party=ledger.addr("lender"))
    assert [r.id for r in page] == [request_id]
    # Closed, it leaves the list of open requests to all.
    ledger.block(withdraw_tx(ledger, request_id))
    assert financing.requests_page(ledger.store, None, 10)[0] == []


def test_request_refusals(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    assert ledger.refused(request_tx(ledger, v, 1, holder="supplier2")) == "voucher.not_holder"
    assert ledger.refused(request_tx(ledger, NOBODY, 1)) == "voucher.unknown"
    assert ledger.refused(request_tx(ledger, v, 0)) == "voucher.bad_amount"
    assert ledger.refused(request_tx(ledger, v, 1_000_001)) == "voucher.over_amount"
    for term_days in (0, financing.MAX_TERM_DAYS + 1):
        assert ledger.refused(request_tx(ledger, v, 1, term_days=term_days)) == \
            "financing.bad_term"
    for open_days in (0, financing.MAX_OPEN_DAYS + 1):
        assert ledger.refused(request_tx(ledger, v, 1, open_days=open_days)) == \
            "financing.bad_open_days"
    banks = addresses(ledger, ("bank", "bank2"))
    for funders in (banks[::-1], (banks[0], banks[0])):
        assert ledger.refused(request_tx(ledger, v, 1, funders=funders)) == \
            "financing.bad_funders"
    for to in (("factor",), ("core",)):  # a factor lends nothing; an enterprise is no funder
        assert ledger.refused(request_tx(ledger, v, 1, to=to)) == "financing.not_funder"
    assert ledger.refused(request_tx(ledger, v, 1, to=("regulator",))) == "financing.not_funder"
    assert ledger.refused(request_tx(ledger, v, 1, funders=(NOBODY,))) == \
        "membership.not_member"
    # A lender holding a claim does not ask itself.
    tx = transfer_tx(ledger, v, 5_000, to="bank")
    ledger.block(tx)
    bank_part = part_id(payload_id(tx.payload), v, 0)
    assert ledger.refused(request_tx(ledger, bank_part, 1, to=("bank", "bank2"),
                                     holder="bank")) == "financing.self"


def test_a_holder_has_a_bounded_number_of_requests_open(ledger: Ledger,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(financing, "MAX_OPEN_PER_HOLDER", 2)
    first, second, third = (ledger.issue(1_000) for _ in range(3))
    request_id = requested(ledger, first, 1_000)
    requested(ledger, second, 1_000)
    assert ledger.refused(request_tx(ledger, third, 1_000)) == "financing.too_many_open"
    assert financing.open_count(ledger.store, ledger.addr("supplier")) == 2
    ledger.block(withdraw_tx(ledger, request_id))  # one closes: room for another
    requested(ledger, third, 1_000)


def test_a_claim_in_a_request_is_financed_once_and_stays_out_of_everything_else(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000)
    # Asked again, pledged, split, paid on or offered for redemption: refused while reserved.
    assert ledger.refused(request_tx(ledger, v, 1)) == "voucher.reserved"
    assert ledger.refused(pledge_tx(ledger, v, 1)) == "voucher.reserved"
    assert ledger.refused(split_tx(ledger, v, (1, 999_999))) == "voucher.reserved"
    offer = publish(ledger, kind="consumption", price_fen=100)
    assert ledger.refused(ask_tx(ledger, v, offer, 100)) == "voucher.reserved"
    # A pledged claim is not asked on either.
    w = ledger.issue(10_000)
    ledger.block(pledge_tx(ledger, w, 10_000))
    assert ledger.refused(request_tx(ledger, w, 10_000)) == "voucher.pledged"
    # Withdrawn, the claim is free again.
    ledger.block(withdraw_tx(ledger, request_id))
    assert voucher(ledger, v).reserved_by is None
    ledger.block(transfer_tx(ledger, v, 1))


# ------------------------------------------------------------------ quote and decline


def test_an_addressed_funder_quotes_and_the_holder_is_told(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 800_000, term_days=180)
    expires = ledger.time_ms + 5 * DAY_MS
    tx = quote_tx(ledger, request_id, "bank", 700_000, 435, 180, expires_ms=expires)
    events = ledger.block(tx)
    found = answer(ledger, payload_id(tx.payload))
    assert (found.request, found.funder, found.amount_fen, found.rate_bp, found.term_days,
            found.expires_ms, found.status) == (
        request_id, ledger.addr("bank"), 700_000, 435, 180, expires, "offered")
    # ACT/360, rounded down: 700,000 × 4.35 % × 180/360 = 15,225 fen.
    assert found.interest_fen == pricing.interest_fen(700_000, 435, 180) == 15_225
    assert found.price_fen == 0 and found.recourse is None
    assert parties(ledger, events, "financing.quoted") == {
        ledger.addr("supplier"), ledger.addr("bank")}
    assert request_record(ledger, request_id).answered == 1


def test_a_new_quote_replaces_the_funders_earlier_one(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000)
    first = quoted(ledger, request_id, "bank", rate_bp=500)
    second = quoted(ledger, request_id, "bank", rate_bp=420)
    assert answer(ledger, first).status == "replaced"
    assert answer(ledger, second).status == "offered"
    assert financing.latest_answer(ledger.store, request_id, ledger.addr("bank")).id == second
    assert request_record(ledger, request_id).answered == 1  # one funder answered
    # The replaced quote is accepted no more.
    assert ledger.refused(accept_tx(ledger, first)) == "financing.quote_not_live"


def test_a_funder_the_request_is_not_addressed_to_cannot_quote(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000, to=("bank",))
    assert ledger.refused(quote_tx(ledger, request_id, "bank2")) == "financing.not_addressed"
    assert ledger.refused(decline_tx(ledger, request_id, "bank2")) == "financing.not_addressed"


def test_quote_refusals(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 600_000)
    until = request_record(ledger, request_id).open_until_ms
    now = ledger.time_ms + 1000  # the next block's time
    for bad, code in [
        (dict(amount_fen=0), "financing.bad_amount"),
        (dict(amount_fen=600_001), "financing.bad_amount"),
        (dict(rate_bp=financing.MAX_RATE_BP + 1), "financing.bad_rate"),
        (dict(expires_ms=now), "financing.bad_expiry"),
        (dict(expires_ms=until + 1), "financing.bad_expiry"),
        (dict(term_days=0), "financing.bad_term"),
        (dict(term_days=financing.MAX_TERM_DAYS + 1), "financing.bad_term"),
        (dict(recourse=False), "financing.bad_recourse"),
    ]:
        assert ledger.refused(quote_tx(ledger, request_id, **bad)) == code, bad
    assert ledger.refused(quote_tx(ledger, NOBODY)) == "financing.unknown_request"
    # The bounds themselves are taken.
    quoted(ledger, request_id, amount_fen=600_000, rate_bp=financing.MAX_RATE_BP,
           expires_ms=until, term_days=financing.MAX_TERM_DAYS)


def test_a_quote_after_the_request_s_time_is_refused_and_the_request_lapses(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000, open_days=1)
    until = request_record(ledger, request_id).open_until_ms
    late = until + 1 - ledger.time_ms
    assert ledger.refused(quote_tx(ledger, request_id, expires_ms=until),
                          advance_ms=late) == "financing.request_lapsed"
    events = ledger.block(advance_ms=late)
    assert request_record(ledger, request_id).status == "lapsed"
    assert [e.kind for e in events] == ["financing.lapsed"]
    assert ledger.refused(quote_tx(ledger, request_id, expires_ms=until + DAY_MS)) == \
        "financing.closed"


def test_a_funder_declines_with_a_reason_and_answers_no_more(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000)
    first = quoted(ledger, request_id, "bank2")
    tx = decline_tx(ledger, request_id, "bank2", "debtor outside our sector")
    events = ledger.block(tx)
    declined = answer(ledger, payload_id(tx.payload))
    assert (declined.status, declined.reason, declined.amount_fen) == (
        "declined", "debtor outside our sector", 0)
    assert answer(ledger, first).status == "replaced"  # its quote is withdrawn with it
    assert parties(ledger, events, "financing.declined") == {
        ledger.addr("supplier"), ledger.addr("bank2")}
    assert ledger.refused(quote_tx(ledger, request_id, "bank2")) == "financing.already_declined"
    assert ledger.refused(decline_tx(ledger, request_id, "bank2")) == \
        "financing.already_declined"
    assert ledger.refused(accept_tx(ledger, first, funder="bank2")) == \
        "financing.quote_not_live"


def test_a_bounded_number_of_funders_answer_one_request(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(financing, "MAX_ANSWERS", 1)
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000, to=())
    quoted(ledger, request_id, "bank")
    quoted(ledger, request_id, "bank")  # the same funder answers again
    assert ledger.refused(quote_tx(ledger, request_id, "bank2")) == \
        "financing.too_many_answers"
    assert ledger.refused(decline_tx(ledger, request_id, "lender")) == \
        "financing.too_many_answers"


def test_a_holder_that_lends_does_not_quote_on_its_own_request(ledger: Ledger) -> None:
    w = ledger.issue(5_000, creditor="supplier2")
    tx = transfer_tx(ledger, w, 5_000, to="bank", holder="supplier2")
    ledger.block(tx)
    request_id = requested(ledger, part_id(payload_id(tx.payload), w, 0), 5_000, to=(),
                           holder="bank")
    assert ledger.refused(quote_tx(ledger, request_id, "bank", amount_fen=5_000)) == \
        "financing.self"


# ------------------------------------------------------------------ withdraw and lapse


def test_the_holder_withdraws_a_request_its_quotes_lapse_and_the_part_is_free(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000)
    quote_id = quoted(ledger, request_id, "bank")
    assert ledger.refused(withdraw_tx(ledger, request_id, "supplier2")) == \
        "financing.not_holder"
    events = ledger.block(withdraw_tx(ledger, request_id))
    record = request_record(ledger, request_id)
    assert (record.status, record.closed_at_ms) == ("withdrawn", ledger.time_ms)
    assert answer(ledger, quote_id).status == "lapsed"
    assert voucher(ledger, v).reserved_by is None
    assert parties(ledger, events, "financing.withdrawn") == {
        ledger.addr(n) for n in ("supplier", "bank", "bank2")}
    assert financing.open_count(ledger.store, ledger.addr("supplier")) == 0
    assert ledger.refused(withdraw_tx(ledger, request_id)) == "financing.closed"
    assert ledger.refused(accept_tx(ledger, quote_id)) == "financing.closed"
    assert ledger.refused(withdraw_tx(ledger, NOBODY)) == "financing.unknown_request"


def test_an_open_request_lapses_after_its_time_at_the_end_of_a_block(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 400_000, open_days=2)
    until = request_record(ledger, request_id).open_until_ms
    quote_id = quoted(ledger, request_id, "bank", amount_fen=400_000, expires_ms=until)
    ledger.block(advance_ms=until - ledger.time_ms)  # at its time it is still open
    assert request_record(ledger, request_id).status == "open"
    events = ledger.block(advance_ms=1)
    assert request_record(ledger, request_id).status == "lapsed"
    assert answer(ledger, quote_id).status == "lapsed"
    reserved = request_record(ledger, request_id).voucher
    assert voucher(ledger, reserved).reserved_by is None
    assert parties(ledger, events, "financing.lapsed") == {
        ledger.addr(n) for n in ("supplier", "bank", "bank2")}
    assert ledger.store.get(financing.lapse_key(until, request_id)) is None


def test_lapses_are_bounded_per_block_and_the_rest_lapse_next(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(financing, "MAX_LAPSES_PER_BLOCK", 1)
    first, second = ledger.issue(1_000), ledger.issue(1_000)
    ledger.block(request_tx(ledger, first, 1_000, open_days=1),
                 request_tx(ledger, second, 1_000, open_days=1))
    events = ledger.block(advance_ms=2 * DAY_MS)
    assert [e.kind for e in events] == ["financing.lapsed"]
    assert [e.kind for e in ledger.block()] == ["financing.lapsed"]
    assert financing.open_count(ledger.store, ledger.addr("supplier")) == 0


# ------------------------------------------------------------------ accept


def test_accepting_a_loan_quote_registers_the_pledge_in_the_same_transaction(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 600_000)
    reserved = request_record(ledger, request_id).voucher
    ours = quoted(ledger, request_id, "bank", amount_fen=500_000, rate_bp=435, term_days=90)
    theirs = quoted(ledger, request_id, "bank2", amount_fen=550_000, rate_bp=480)
    filing = pledge.Filing(FILING, ledger.time_ms, ledger.time_ms + 3 * 365 * DAY_MS)
    tx = accept_tx(ledger, ours, filing=filing)
    events = ledger.block(tx)
    accepted_at = ledger.time_ms
    record = request_record(ledger, request_id)
    pledge_id = payload_id(tx.payload)
    assert (record.status, record.quote, record.outcome) == ("accepted", ours, pledge_id)
    registered = pledge_record(ledger, pledge_id)
    assert (registered.voucher, registered.pledgor, registered.bank, registered.secured_fen,
            registered.loan_fen, registered.loan_rate_bp, registered.loan_due_ms,
            registered.loan_ref, registered.filing) == (
        reserved, ledger.addr("supplier"), ledger.addr("bank"), 600_000, 500_000, 435,
        accepted_at + 90 * DAY_MS, "LOAN-2027-009", filing)
    held = voucher(ledger, reserved)
    assert (held.pledge, held.reserved_by) == (pledge_id, None)
    assert (answer(ledger, ours).status, answer(ledger, theirs).status) == ("accepted", "lapsed")
    assert {e.kind for e in events} == {"financing.accepted", "pledge.registered"}
    assert parties(ledger, events, "financing.accepted") == {
        ledger.addr(n) for n in ("supplier", "bank", "bank2")}
    # Never financed twice: the pledged part is neither asked on nor pledged again.
    assert ledger.refused(request_tx(ledger, reserved, 1)) == "voucher.pledged"
    assert ledger.refused(pledge_tx(ledger, reserved, 1, bank="bank2")) == "voucher.pledged"
    assert ledger.refused(accept_tx(ledger, theirs, funder="bank2")) == "financing.closed"


def test_accept_needs_both_signatures(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    quote_id = quoted(ledger, requested(ledger, v, 1_000_000), "bank")
    assert refused_at_check(ledger, accept_tx(ledger, quote_id, signers=("supplier",))) == \
        "tx.missing_signature"
    assert refused_at_check(ledger, accept_tx(ledger, quote_id, signers=("bank",))) == \
        "tx.missing_signature"


def test_accept_refusals(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000)
    quote_id = quoted(ledger, request_id, "bank", expires_ms=ledger.time_ms + 2 * DAY_MS)
    assert ledger.refused(accept_tx(ledger, NOBODY)) == "financing.unknown_quote"
    assert ledger.refused(accept_tx(ledger, quote_id, funder="bank2")) == "financing.not_quoter"
    assert ledger.refused(accept_tx(ledger, quote_id, holder="supplier2")) == \
        "financing.not_holder"
    assert ledger.refused(accept_tx(ledger, quote_id, documents=(NOBODY,))) == \
        "financing.wrong_terms"
    # The pledge's own rules run on the registration it makes.
    bad = pledge.Filing("zd-1", ledger.time_ms, ledger.time_ms + DAY_MS * 400)
    assert ledger.refused(accept_tx(ledger, quote_id, filing=bad)) == "pledge.bad_filing_no"
    # Past the quote's expiry, while the request is still open: the quote is not taken.
    expires = answer(ledger, quote_id).expires_ms
    assert ledger.refused(accept_tx(ledger, quote_id),
                          advance_ms=expires + 1 - ledger.time_ms) == "financing.quote_expired"
    ledger.block(accept_tx(ledger, quote_id), advance_ms=expires - ledger.time_ms)  # at it: yes


def test_accepting_after_the_request_s_time_is_refused(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000, open_days=1)
    until = request_record(ledger, request_id).open_until_ms
    quote_id = quoted(ledger, request_id, "bank", expires_ms=until)
    assert ledger.refused(accept_tx(ledger, quote_id),
                          advance_ms=until + 1 - ledger.time_ms) == "financing.request_lapsed"


def test_a_suspended_lender_takes_no_pledge_through_a_quote(ledger: Ledger) -> None:
    from tests.test_lifecycle_rules import suspend

    v = ledger.issue(1_000_000)
    quote_id = quoted(ledger, requested(ledger, v, 1_000_000), "bank")
    suspend(ledger, "bank")
    assert ledger.refused(accept_tx(ledger, quote_id)) == "membership.suspended"


# ------------------------------------------------------------------ accept a sale


def test_a_sale_quote_is_priced_at_the_discount_to_the_claim_s_due_date(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000, due_in_ms=181 * DAY_MS)
    request_id = requested(ledger, v, 1_000_000, kind="sale", to=("factor",))
    days = pricing.whole_days(ledger.time_ms + 1000, voucher(ledger, v).due_ms)
    quote_id = quoted(ledger, request_id, "factor", amount_fen=800_000, rate_bp=600,
                      term_days=0, recourse=False)
    found = answer(ledger, quote_id)
    # ACT/360, the discount rounded down: 800,000 × 6 % × 180/360 = 24,000 fen off.
    assert days == 180
    assert (found.price_fen, found.interest_fen, found.recourse) == (776_000, 0, False)
    assert found.price_fen == pricing.discounted_fen(800_000, 600, days)


def test_accepting_a_sale_quote_sells_the_quoted_part_in_the_same_transaction(
        ledger: Ledger) -> None:
    from contracts import sale

    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 600_000, kind="sale", to=("bank", "factor"))
    reserved = request_record(ledger, request_id).voucher
    ours = quoted(ledger, request_id, "factor", amount_fen=500_000, rate_bp=500, term_days=0,
                  recourse=True)
    theirs = quoted(ledger, request_id, "bank", amount_fen=600_000, rate_bp=700, term_days=0,
                    recourse=False)
    price = answer(ledger, ours).price_fen
    tx = accept_tx(ledger, ours, funder="factor", contract_ref="BL-2027-17")
    events = ledger.block(tx)
    record = request_record(ledger, request_id)
    assert (record.status, record.quote) == ("accepted", ours)
    sold = sale.get_sale(ledger.store, record.outcome)
    assert sold is not None
    assert (sold.seller, sold.buyer, sold.face_fen, sold.price_fen, sold.rate_bp,
            sold.recourse, sold.contract_ref) == (
        ledger.addr("supplier"), ledger.addr("factor"), 500_000, price, 500, True,
        "BL-2027-17")
    # The factor holds the 500,000 it bought; the supplier keeps the rest of the part.
    bought = voucher(ledger, sold.sold)
    assert (bought.holder, bought.amount_fen, bought.reserved_by) == (
        ledger.addr("factor"), 500_000, None)
    assert voucher(ledger, reserved).status == "consumed"
    rest = [e.subject for e in events if e.kind == "voucher.remainder"]
    assert [voucher(ledger, i).amount_fen for i in rest] == [100_000]
    assert voucher(ledger, rest[0]).holder == ledger.addr("supplier")
    assert answer(ledger, theirs).status == "lapsed"
    assert {"financing.accepted", "sale.sold", "sale.notice"} <= {e.kind for e in events}


def test_sale_quote_and_acceptance_refusals(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000, due_in_ms=30 * DAY_MS)
    request_id = requested(ledger, v, 1_000_000, kind="sale", to=())
    assert ledger.refused(quote_tx(ledger, request_id, "factor", term_days=0)) == \
        "financing.bad_recourse"
    assert ledger.refused(quote_tx(ledger, request_id, "factor", term_days=30,
                                   recourse=False)) == "financing.bad_term"
    quote_id = quoted(ledger, request_id, "factor", term_days=0, recourse=False)
    # The sale's own rules run on the sale it makes: its 中登网 filing as a pledge's.
    bad = pledge.Filing("zd-1", ledger.time_ms, ledger.time_ms + 400 * DAY_MS)
    assert ledger.refused(accept_tx(ledger, quote_id, funder="factor", filing=bad)) == \
        "pledge.bad_filing_no"


def test_an_accepted_sale_carries_the_buyer_s_transfer_registration(ledger: Ledger) -> None:
    from contracts import sale

    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000, kind="sale", to=("factor",))
    quote_id = quoted(ledger, request_id, "factor", term_days=0, recourse=False)
    filing = pledge.Filing(FILING, ledger.time_ms, ledger.time_ms + 400 * DAY_MS)
    ledger.block(accept_tx(ledger, quote_id, funder="factor", filing=filing))
    sold = sale.get_sale(ledger.store, request_record(ledger, request_id).outcome)
    assert sold is not None and sold.filing == filing


def test_the_debtor_is_never_asked_to_buy_its_own_debt(ledger: Ledger) -> None:
    ledger.admit("core_bank", "bank")
    v = ledger.issue(10_000, debtor="core_bank")
    assert ledger.refused(request_tx(ledger, v, 10_000, kind="sale", to=("core_bank",))) == \
        "financing.to_debtor"
    request_id = requested(ledger, v, 10_000, kind="sale", to=())
    assert ledger.refused(quote_tx(ledger, request_id, "core_bank", amount_fen=10_000,
                                   term_days=0, recourse=False)) == "financing.to_debtor"
    # A pledge loan from the debtor's own bank role is no settlement: it may lend.
    other = ledger.issue(10_000, debtor="core_bank")
    requested(ledger, other, 10_000, to=("core_bank",))


def test_a_claim_due_already_is_not_quoted_for_sale_and_a_price_is_at_least_a_fen(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000, due_in_ms=3 * DAY_MS)
    request_id = requested(ledger, v, 1_000, kind="sale", to=("factor",), open_days=7)
    until = request_record(ledger, request_id).open_until_ms
    assert ledger.refused(quote_tx(ledger, request_id, "factor", amount_fen=1_000,
                                   term_days=0, recourse=False, expires_ms=until),
                          advance_ms=4 * DAY_MS) == "sale.due"
    far = ledger.issue(1, due_in_ms=3000 * DAY_MS)  # 36 % for 3,000 days takes it all
    request_id = requested(ledger, far, 1, kind="sale", to=("factor",))
    assert ledger.refused(quote_tx(ledger, request_id, "factor", amount_fen=1,
                                   rate_bp=financing.MAX_RATE_BP, term_days=0,
                                   recourse=False)) == "financing.bad_price"


# ------------------------------------------------------------------ who reads


def _reads(ledger: Ledger, name: str, kind: str, record) -> bool:
    caller = access.caller_of(ledger.store, ledger.addr(name))
    return access.may_read(ledger.store, caller, kind, record)


def test_another_funder_never_reads_a_quote(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000)
    mine = answer(ledger, quoted(ledger, request_id, "bank"))
    assert _reads(ledger, "bank", "financing_answer", mine)
    assert _reads(ledger, "supplier", "financing_answer", mine)
    assert _reads(ledger, "regulator", "financing_answer", mine)
    assert not _reads(ledger, "bank2", "financing_answer", mine)  # addressed too: competes
    assert not _reads(ledger, "core", "financing_answer", mine)
    # bank2 reads the request it is asked on, the debtor does not.
    record = request_record(ledger, request_id)
    assert _reads(ledger, "bank2", "financing_request", record)
    assert not _reads(ledger, "core", "financing_request", record)
    assert not _reads(ledger, "lender", "financing_request", record)


def test_an_addressed_funder_reads_the_reserved_claim_and_its_lineage_while_open(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 600_000, to=("bank",))
    reserved = voucher(ledger, request_record(ledger, request_id).voucher)
    remainder = voucher(ledger, part_id(request_id, v, 1))
    assert _reads(ledger, "bank", "voucher", reserved)
    assert _reads(ledger, "bank", "lineage", reserved)
    assert not _reads(ledger, "bank", "voucher", remainder)  # not what it is asked on
    assert not _reads(ledger, "bank2", "voucher", reserved)  # not asked
    ledger.block(withdraw_tx(ledger, request_id))
    assert not _reads(ledger, "bank", "voucher", voucher(ledger, reserved.id))


def test_a_request_to_all_is_read_by_every_funder_it_fits(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    request_id = requested(ledger, v, 1_000_000, to=())
    record = request_record(ledger, request_id)
    claim = voucher(ledger, v)
    for name in ("bank", "bank2", "lender"):
        assert _reads(ledger, name, "financing_request", record)
        assert _reads(ledger, name, "voucher", claim)
    for name in ("factor", "supplier2", "core"):  # a factor makes no loans
        assert not _reads(ledger, name, "financing_request", record)
        assert not _reads(ledger, name, "voucher", claim) or name == "core"


def test_every_refusal_of_the_family_is_tried_here() -> None:
    source = Path(financing.__file__).read_text()
    codes = set(re.findall(r'"(financing\.[a-z_]+)"', source)) - {
        "financing.requested", "financing.quoted", "financing.declined",
        "financing.withdrawn", "financing.accepted", "financing.lapsed"}  # event kinds
    tried = set(re.findall(r'"(financing\.[a-z_]+)"', Path(__file__).read_text()))
    assert codes and codes <= tried, codes - tried
