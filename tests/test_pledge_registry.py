"""The pledge registry in full: the 中登网 filing and the loan on a registration, amendment,
renewal (续贷) and partial release, the registry's queries with their signed certificate
(查询证明), and the pledgee told what happens to its collateral. Each rule's accepted path
and each refusal by its code."""

from __future__ import annotations

import pytest

from contracts import pledge, setoff
from contracts.codec import encode, replace
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.registry_query import (
    CERTIFICATE_DOMAIN,
    At,
    Certificate,
    Query,
    answer_query,
    certify,
    signed_bytes,
    verify_certificate,
)
from contracts.tx import payload_id
from contracts.vouchers import get_holder_totals, get_origin, live_ids_by_holder, part_id
from tests.memledger import CHAIN, DAY_MS, Ledger
from tests.test_lifecycle_rules import (
    NOBODY,
    ask_tx,
    enforce_tx,
    pledge_record,
    pledge_tx,
    publish,
    refused_at_check,
    release_tx,
    suspend,
    transfer_tx,
    voucher,
)

YEAR_MS = 365 * DAY_MS


def filing(ledger: Ledger, number: str = "05487683000123456789", years: int = 3
           ) -> pledge.Filing:
    return pledge.Filing(number, ledger.time_ms, ledger.time_ms + years * YEAR_MS)


def pledged(ledger: Ledger, amount_fen: int = 1_000_000, secured_fen: int = 600_000,
            **terms) -> tuple[bytes, bytes]:
    """An issued voucher pledged to "bank": (voucher id, pledge id)."""
    v = ledger.issue(amount_fen, **terms)
    tx = pledge_tx(ledger, v, secured_fen, filing=filing(ledger))
    ledger.block(tx)
    return v, payload_id(tx.payload)


def amend_tx(ledger: Ledger, pledge_id: bytes, pledgor: str = "supplier", bank: str = "bank",
             signers: tuple[str, ...] | None = None, **changes):
    record = pledge.get_pledge(ledger.store, pledge_id)
    terms = dict(secured_fen=600_000, loan_due_ms=ledger.time_ms + 90 * DAY_MS,
                 loan_fen=500_000, loan_rate_bp=435, filing=None)
    if record is not None:
        terms = {name: getattr(record, name) for name in terms}
    terms.update(changes)
    body = pledge.Amend(ledger.addr(pledgor), ledger.addr(bank), pledge_id, **terms)
    return ledger.tx("pledge", "amend", body, *(signers or (pledgor, bank)))


def renew_tx(ledger: Ledger, pledge_id: bytes, loan_due_ms: int, loan_ref: str = "LOAN-2",
             pledgor: str = "supplier", bank: str = "bank",
             signers: tuple[str, ...] | None = None):
    body = pledge.Renew(ledger.addr(pledgor), ledger.addr(bank), pledge_id, loan_due_ms,
                        loan_ref)
    return ledger.tx("pledge", "renew", body, *(signers or (pledgor, bank)))


def release_part_tx(ledger: Ledger, pledge_id: bytes, amount_fen: int, bank: str = "bank"):
    return ledger.tx("pledge", "release_part",
                     pledge.ReleasePart(ledger.addr(bank), pledge_id, amount_fen), bank)


# ------------------------------------------------------------------ filing and loan


def test_a_registration_carries_the_filing_and_the_loan_apart_from_the_secured_claim() -> None:
    ledger = Ledger()
    v, pledge_id = pledged(ledger, 1_000_000, 600_000)
    record = pledge_record(ledger, pledge_id)
    assert record.filing == pledge.Filing("05487683000123456789", ledger.time_ms - 1000,
                                          ledger.time_ms - 1000 + 3 * YEAR_MS)
    assert (record.secured_fen, record.loan_fen, record.loan_rate_bp) == (600_000, 500_000, 435)
    assert (record.pledgor, record.debtor, record.origin) == (
        ledger.addr("supplier"), ledger.addr("core"), v)
    assert (record.amendments, record.renewals, record.released_fen) == (0, 0, 0)
    # A pledge without a filing yet is registered too: the bank files with 中登网 later.
    other = ledger.issue(10_000)
    tx = pledge_tx(ledger, other, 10_000)
    ledger.block(tx)
    assert pledge_record(ledger, payload_id(tx.payload)).filing is None


def test_loan_and_filing_refusals() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    now = ledger.time_ms + 1000  # the next block's time
    assert ledger.refused(pledge_tx(ledger, v, 1000, loan_fen=0)) == "pledge.bad_loan"
    assert ledger.refused(pledge_tx(ledger, v, 1000, loan_rate_bp=3_601)) == "pledge.bad_rate"
    ledger.block(pledge_tx(ledger, ledger.issue(10), 10, loan_rate_bp=3_600))  # the bound
    for bad, code in [
        (pledge.Filing("05487683 0001", now, now + YEAR_MS), "pledge.bad_filing_no"),
        (pledge.Filing("zd-0001", now, now + YEAR_MS), "pledge.bad_filing_no"),
        (pledge.Filing("ZD-0001", now + YEAR_MS, now + YEAR_MS), "pledge.bad_filing_period"),
        (pledge.Filing("ZD-0001", now, now + pledge.MAX_FILING_MS + 1),
         "pledge.bad_filing_period"),
        (pledge.Filing("ZD-0001", now - YEAR_MS, now), "pledge.filing_expired"),
    ]:
        assert ledger.refused(pledge_tx(ledger, v, 1000, filing=bad)) == code
    ledger.block(pledge_tx(ledger, v, 1000, filing=pledge.Filing(
        "ZD-0001", now, now + pledge.MAX_FILING_MS)))  # 30 years is allowed


# ------------------------------------------------------------------ amendment


def test_pledgor_and_bank_amend_the_secured_amount_the_loan_and_the_filing() -> None:
    ledger = Ledger()
    v, pledge_id = pledged(ledger, 1_000_000, 600_000)
    new_filing = filing(ledger, "ZD-2027-0002", years=5)
    new_due = ledger.time_ms + 200 * DAY_MS
    events = ledger.block(amend_tx(ledger, pledge_id, secured_fen=1_000_000, loan_fen=900_000,
                                   loan_rate_bp=390, loan_due_ms=new_due, filing=new_filing))
    record = pledge_record(ledger, pledge_id)
    assert (record.secured_fen, record.loan_fen, record.loan_rate_bp, record.loan_due_ms,
            record.filing, record.amendments) == (1_000_000, 900_000, 390, new_due,
                                                   new_filing, 1)
    assert record.changed_at_ms == ledger.time_ms and record.loan_ref == "LOAN-2027-001"
    amended = next(e for e in events if e.kind == "pledge.amended")
    assert set(amended.parties) == {ledger.addr("supplier"), ledger.addr("bank")}
    ledger.block(amend_tx(ledger, pledge_id, secured_fen=1))  # and down again
    assert pledge_record(ledger, pledge_id).secured_fen == 1
    assert voucher(ledger, v).pledge == pledge_id  # the claim stays pledged as it was


def test_amendment_refusals() -> None:
    ledger = Ledger()
    _, pledge_id = pledged(ledger, 1_000_000, 600_000)
    assert refused_at_check(ledger, amend_tx(ledger, pledge_id, secured_fen=1,
                                             signers=("bank",))) == "tx.missing_signature"
    assert refused_at_check(ledger, amend_tx(ledger, pledge_id, secured_fen=1,
                                             signers=("supplier",))) == "tx.missing_signature"
    assert ledger.refused(amend_tx(ledger, NOBODY, secured_fen=1)) == "pledge.unknown"
    assert ledger.refused(amend_tx(ledger, pledge_id, bank="bank2", secured_fen=1)) == \
        "pledge.not_pledgee"
    assert ledger.refused(amend_tx(ledger, pledge_id, pledgor="supplier2", secured_fen=1)) == \
        "pledge.not_pledgor"
    assert ledger.refused(amend_tx(ledger, pledge_id, secured_fen=0)) == "voucher.bad_amount"
    assert ledger.refused(amend_tx(ledger, pledge_id, secured_fen=1_000_001)) == \
        "voucher.over_amount"  # within the pledged state only
    assert ledger.refused(amend_tx(ledger, pledge_id, loan_fen=0)) == "pledge.bad_loan"
    assert ledger.refused(amend_tx(ledger, pledge_id, loan_rate_bp=3_601)) == "pledge.bad_rate"
    assert ledger.refused(amend_tx(ledger, pledge_id, loan_due_ms=ledger.time_ms + 1000)) == \
        "pledge.loan_due_in_past"
    now = ledger.time_ms + 1000
    assert ledger.refused(amend_tx(ledger, pledge_id, filing=pledge.Filing(
        "ZD 1", now, now + YEAR_MS))) == "pledge.bad_filing_no"
    assert ledger.refused(amend_tx(ledger, pledge_id, filing=pledge.Filing(
        "ZD-1", now, now))) == "pledge.bad_filing_period"
    assert ledger.refused(amend_tx(ledger, pledge_id, filing=pledge.Filing(
        "ZD-1", now - YEAR_MS, now))) == "pledge.filing_expired"
    assert ledger.refused(amend_tx(ledger, pledge_id)) == "pledge.no_change"
    suspend(ledger, "bank")
    assert ledger.refused(amend_tx(ledger, pledge_id, secured_fen=1)) == "membership.suspended"
    ledger2 = Ledger()
    _, ended = pledged(ledger2)
    ledger2.block(release_tx(ledger2, ended))
    assert ledger2.refused(amend_tx(ledger2, ended, secured_fen=1)) == "pledge.not_active"


# ------------------------------------------------------------------ renewal


def test_renewal_replaces_the_loan_with_a_later_one_and_both_sign() -> None:
    ledger = Ledger()
    _, pledge_id = pledged(ledger)
    old_due = pledge_record(ledger, pledge_id).loan_due_ms
    events = ledger.block(renew_tx(ledger, pledge_id, old_due + 180 * DAY_MS, "LOAN-2028-007"))
    record = pledge_record(ledger, pledge_id)
    assert (record.loan_due_ms, record.loan_ref, record.renewals) == (
        old_due + 180 * DAY_MS, "LOAN-2028-007", 1)
    renewed = next(e for e in events if e.kind == "pledge.renewed")
    assert set(renewed.parties) == {ledger.addr("supplier"), ledger.addr("bank")}
    # Renewed after the first loan fell due (无还本续贷), the pledge is not enforceable then.
    ledger.block(advance_ms=200 * DAY_MS)
    assert ledger.refused(enforce_tx(ledger, pledge_id)) == "pledge.loan_not_due"


def test_renewal_refusals() -> None:
    ledger = Ledger()
    _, pledge_id = pledged(ledger)
    due = pledge_record(ledger, pledge_id).loan_due_ms
    assert refused_at_check(ledger, renew_tx(ledger, pledge_id, due + DAY_MS,
                                             signers=("bank",))) == "tx.missing_signature"
    assert ledger.refused(renew_tx(ledger, pledge_id, due)) == "pledge.renewal_not_later"
    assert ledger.refused(renew_tx(ledger, pledge_id, due + DAY_MS, "LOAN-2027-001")) == \
        "pledge.same_loan"
    assert ledger.refused(renew_tx(ledger, pledge_id, due + DAY_MS, pledgor="supplier2")) == \
        "pledge.not_pledgor"
    assert ledger.refused(renew_tx(ledger, pledge_id, due + DAY_MS, bank="bank2")) == \
        "pledge.not_pledgee"
    assert ledger.refused(renew_tx(ledger, NOBODY, due + DAY_MS)) == "pledge.unknown"
    # Later than the old due date is not enough once the ledger time is past it too.
    ledger.block(advance_ms=due + 10 * DAY_MS - ledger.time_ms)
    assert ledger.refused(renew_tx(ledger, pledge_id, due + DAY_MS)) == \
        "pledge.renewal_not_later"
    ledger.block(release_tx(ledger, pledge_id))
    assert ledger.refused(renew_tx(ledger, pledge_id, due + 30 * DAY_MS)) == "pledge.not_active"


# ------------------------------------------------------------------ partial release


def test_a_partial_release_frees_that_much_and_the_rest_stays_pledged() -> None:
    ledger = Ledger()
    v, pledge_id = pledged(ledger, 1_000_000, 600_000)
    tx = release_part_tx(ledger, pledge_id, 250_000)
    events = ledger.block(tx)
    kept, freed = (part_id(payload_id(tx.payload), v, i) for i in range(2))
    assert voucher(ledger, v).status == "consumed" and voucher(ledger, v).pledge is None
    assert (voucher(ledger, kept).amount_fen, voucher(ledger, kept).pledge) == (750_000,
                                                                                pledge_id)
    assert (voucher(ledger, freed).amount_fen, voucher(ledger, freed).pledge) == (250_000, None)
    assert voucher(ledger, kept).holder == voucher(ledger, freed).holder == ledger.addr("supplier")
    record = pledge_record(ledger, pledge_id)
    assert (record.voucher, record.secured_fen, record.released_fen, record.status) == (
        kept, 350_000, 250_000, "active")
    # Amounts are conserved: the parts add up to what the debtor owes, held by the holder.
    origin = get_origin(ledger.store, v)
    assert origin is not None and origin.live_parts == 2
    assert get_holder_totals(ledger.store, ledger.addr("supplier")).held_fen == 1_000_000
    told = next(e for e in events if e.kind == "pledge.part_released")
    assert {ledger.addr("supplier"), ledger.addr("bank"), ledger.addr("core")} <= set(
        told.parties)
    # The registry finds the pledge by its new state as by its old one.
    assert [p.id for p in pledge.pledges_page(ledger.store, None, 10, voucher=kept)[0]] == \
        [pledge_id]
    assert [p.id for p in pledge.pledges_page(ledger.store, None, 10, voucher=v)[0]] == \
        [pledge_id]
    # The freed part moves without the bank; the kept one only with it.
    ledger.block(transfer_tx(ledger, freed, 250_000))
    assert ledger.refused(transfer_tx(ledger, kept, 1000)) == "voucher.pledged"
    # Enforced, the bank takes what is still secured and the excess stays with the pledgor.
    ledger.block(advance_ms=100 * DAY_MS)
    enforce = enforce_tx(ledger, pledge_id)
    ledger.block(enforce)
    taken = part_id(payload_id(enforce.payload), kept, 0)
    assert (voucher(ledger, taken).holder, voucher(ledger, taken).amount_fen) == (
        ledger.addr("bank"), 350_000)


def test_partial_release_refusals() -> None:
    ledger = Ledger()
    _, pledge_id = pledged(ledger, 1_000_000, 600_000)
    assert refused_at_check(ledger, ledger.tx("pledge", "release_part", pledge.ReleasePart(
        ledger.addr("bank"), pledge_id, 1), "supplier")) == "tx.unexpected_signature"
    assert ledger.refused(release_part_tx(ledger, pledge_id, 0)) == "voucher.bad_amount"
    assert ledger.refused(release_part_tx(ledger, pledge_id, 600_000)) == "pledge.part_not_less"
    assert ledger.refused(release_part_tx(ledger, pledge_id, 1, bank="bank2")) == \
        "pledge.not_pledgee"
    assert ledger.refused(release_part_tx(ledger, NOBODY, 1)) == "pledge.unknown"
    ledger.block(release_part_tx(ledger, pledge_id, 599_999))  # the most: 1 fen stays secured
    assert pledge_record(ledger, pledge_id).secured_fen == 1
    assert ledger.refused(release_part_tx(ledger, pledge_id, 1)) == "pledge.part_not_less"
    ledger.block(release_tx(ledger, pledge_id))
    assert ledger.refused(release_part_tx(ledger, pledge_id, 1)) == "pledge.not_active"


# ------------------------------------------------------------------ queries


def test_the_registry_answers_by_pledgor_by_debtor_by_voucher_and_by_origin() -> None:
    ledger = Ledger()
    v1, p1 = pledged(ledger)
    v2 = ledger.issue(500_000, creditor="supplier2", debtor="core")
    tx = pledge_tx(ledger, v2, 100_000, holder="supplier2", bank="bank2")
    ledger.block(tx)
    p2 = payload_id(tx.payload)
    v3 = ledger.issue(500_000, debtor="supplier2")
    tx3 = pledge_tx(ledger, v3, 100_000)
    ledger.block(tx3)
    p3 = payload_id(tx3.payload)
    ledger.block(release_tx(ledger, p3))

    def ids(**by) -> set[bytes]:
        return {p.id for p in pledge.pledges_page(ledger.store, None, 100, **by)[0]}

    assert ids(pledgor=ledger.addr("supplier")) == {p1, p3}
    assert ids(pledgor=ledger.addr("supplier"), status="active") == {p1}
    assert ids(debtor=ledger.addr("core")) == {p1, p2}
    assert ids(debtor=ledger.addr("supplier2")) == {p3}
    assert ids(voucher=v2) == {p2} and ids(origin=v1) == {p1}
    assert ids(bank=ledger.addr("bank2")) == {p2}
    assert ids(pledgor=ledger.addr("merchant")) == set()


# ------------------------------------------------------------------ the pledgee told


def test_the_pledgee_is_told_when_its_collateral_extends_and_goes_overdue() -> None:
    ledger = Ledger()
    v, _ = pledged(ledger, 900_000, 600_000, due_in_ms=10 * DAY_MS, extension_days=30,
                   extension_max=1)
    plain = ledger.issue(100_000, due_in_ms=10 * DAY_MS, extension_days=30, extension_max=1)
    events = ledger.block(advance_ms=11 * DAY_MS)
    extended = {e.subject: e for e in events if e.kind == "voucher.extended"}
    assert ledger.addr("bank") in extended[v].parties
    assert ledger.addr("bank") not in extended[plain].parties  # not its collateral
    events = ledger.block(advance_ms=31 * DAY_MS)
    overdue = {e.subject: e for e in events if e.kind == "voucher.overdue"}
    assert ledger.addr("bank") in overdue[v].parties
    assert ledger.addr("bank") not in overdue[plain].parties


def test_collateral_is_reserved_or_set_off_only_with_the_pledgee_signing_and_told() -> None:
    ledger = Ledger()
    v, pledge_id = pledged(ledger)
    offer = publish(ledger)
    # Reserving a pledged claim for a redemption needs the bank's signature: the bank
    # consents, the pledge ends and the bank is told.
    assert ledger.refused(ask_tx(ledger, v, offer, 400_000)) == "voucher.pledged"
    events = ledger.block(ask_tx(ledger, v, offer, 400_000, pledgee="bank"))
    released = next(e for e in events if e.kind == "pledge.released")
    assert released.subject == pledge_id and ledger.addr("bank") in released.parties
    assert pledge_record(ledger, pledge_id).end_reason == "consented: redemption"
    # A set-off never takes a pledged claim (the bank would not have signed the round).
    w, _ = pledged(ledger)
    refusal = setoff.voucher_refusal(voucher(ledger, w))
    assert refusal is not None and refusal.code == "voucher.pledged"


# ------------------------------------------------------------------ the query certificate


def head(ledger: Ledger) -> At:
    return At(CHAIN, ledger.height, ledger.time_ms, ledger.root)


def certificate(ledger: Ledger, node: KeyPair, query: Query) -> Certificate:
    return certify(answer_query(ledger.store, ledger.tree, head(ledger), query, node.address),
                   node.sign)


def test_a_query_certificate_verifies_offline_and_proves_each_result_indexed() -> None:
    ledger = Ledger()
    _, p1 = pledged(ledger)
    _, p2 = pledged(ledger)
    node = KeyPair.generate()
    query = Query("pledgor", ledger.addr("supplier"), "", None)
    cert = certificate(ledger, node, query)
    answer = verify_certificate(encode(cert), CHAIN, {node.address})
    assert [n.id for n in answer.notices] == sorted([p1, p2])
    assert (answer.height, answer.state_root, answer.complete) == (ledger.height, ledger.root,
                                                                   True)
    assert all(n.pledgor == ledger.addr("supplier") for n in answer.notices)
    # The public notice carries no loan.
    assert not hasattr(answer.notices[0], "loan_fen")
    assert signed_bytes(answer).startswith(CERTIFICATE_DOMAIN)
    # Paged: the page after the first result holds the second.
    first = min(p1, p2)
    after = verify_certificate(certificate(ledger, node, replace(query, after=first)), CHAIN)
    assert [n.id for n in after.notices] == [max(p1, p2)]
    none = verify_certificate(certificate(ledger, node, Query(
        "debtor", ledger.addr("merchant"), "active", None)), CHAIN)
    assert none.notices == () and none.complete


def test_a_query_certificate_that_does_not_hold_is_refused_by_its_code() -> None:
    ledger = Ledger()
    v, _ = pledged(ledger)
    other_v, _ = pledged(ledger)
    node = KeyPair.generate()
    query = Query("voucher", v, "", None)
    cert = certificate(ledger, node, query)

    def code(found: Certificate | bytes, trusted=None) -> str:
        with pytest.raises(LedgerError) as e:
            verify_certificate(found, CHAIN, trusted)
        return e.value.code

    def resigned(**changes) -> Certificate:
        return certify(replace(cert.answer, **changes), node.sign)

    assert code(b"\x93junk") == "certificate.malformed"
    assert code(encode(cert)[:-1]) == "certificate.malformed"
    with pytest.raises(LedgerError) as e:
        verify_certificate(cert, "another-chain")
    assert e.value.code == "certificate.wrong_chain"
    assert code(cert, trusted={KeyPair.generate().address}) == "certificate.untrusted_node"
    notice = cert.answer.notices[0]
    forged = replace(cert, answer=replace(cert.answer, notices=(replace(
        notice, status="released"),)))
    assert code(forged) == "certificate.bad_signature"
    # A node that signs a notice that does not answer the query, or one its state does not
    # index under the query, is caught even though its signature holds.
    other = certificate(ledger, node, Query("voucher", other_v, "", None)).answer.notices[0]
    assert code(resigned(notices=(other,))) == "certificate.inconsistent"
    assert code(resigned(notices=(replace(other, voucher=v),))) == "certificate.bad_proof"
    assert code(resigned(state_root=bytes(32))) == "certificate.bad_proof"
    assert code(resigned(proofs=())) == "certificate.inconsistent"
    assert code(resigned(notices=(notice, notice), proofs=cert.answer.proofs * 2)) == \
        "certificate.inconsistent"
    assert code(resigned(query=replace(query, status="released"))) == "certificate.inconsistent"


def test_every_pledge_of_a_holder_is_found_after_partial_releases() -> None:
    ledger = Ledger()
    _, pledge_id = pledged(ledger, 1_000_000, 600_000)
    for _ in range(3):
        ledger.block(release_part_tx(ledger, pledge_id, 100_000))
    record = pledge_record(ledger, pledge_id)
    assert (record.secured_fen, record.released_fen) == (300_000, 300_000)
    live = live_ids_by_holder(ledger.store, ledger.addr("supplier"))
    assert sorted(voucher(ledger, i).amount_fen for i in live) == [100_000] * 3 + [700_000]
    assert [voucher(ledger, i).pledge for i in live].count(pledge_id) == 1
