"""Issuance: apply → confirm (within 30 days of ledger time) → approve, and every refusal."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import basis, issuance, membership
from contracts.codec import decode
from contracts.errors import LedgerError
from contracts.issuance import CONFIRMATION_WINDOW_MS, get_application
from contracts.tx import payload_id
from contracts.vouchers import Voucher, get_voucher, voucher_ids_by_debtor, voucher_ids_by_holder
from tests.memledger import DAY_MS, Ledger

YEAR_MS = 365 * DAY_MS


def terms(ledger: Ledger, amount_fen: int = 125_000_000, basis: str = "HT-1", **changes):
    values = dict(debtor=ledger.addr("core"), amount_fen=amount_fen,
                  due_ms=ledger.time_ms + YEAR_MS, asset_offset=True, consumption_offset=False,
                  extension_days=90, extension_max=2, basis_ref=basis,
                  basis_sha256=sha256(basis.encode()).digest())
    values.update(changes)
    return issuance.Terms(**values)


def apply_tx(ledger: Ledger, creditor: str = "supplier", **changes):
    return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr(creditor),
                                                        terms(ledger, **changes)), creditor)


def applied(ledger: Ledger, **changes) -> bytes:
    return ledger.run("issuance", "apply",
                      issuance.Apply(ledger.addr("supplier"), terms(ledger, **changes)),
                      "supplier")


def confirm_tx(ledger: Ledger, application: bytes, debtor: str = "core"):
    return ledger.tx("issuance", "confirm", issuance.Confirm(ledger.addr(debtor), application),
                     debtor)


def approve_tx(ledger: Ledger, application: bytes, agency: str = "agency"):
    return ledger.tx("issuance", "approve", issuance.Approve(ledger.addr(agency), application),
                     agency)


def test_approved_application_issues_a_voucher_to_the_creditor() -> None:
    ledger = Ledger()
    application = applied(ledger)
    ledger.block(confirm_tx(ledger, application))
    events = ledger.block(approve_tx(ledger, application))
    voucher_id = next(e.subject for e in events if e.kind == "voucher.issued")
    voucher = get_voucher(ledger.store, voucher_id)
    assert voucher is not None
    assert (voucher.holder, voucher.debtor, voucher.amount_fen) == (
        ledger.addr("supplier"), ledger.addr("core"), 125_000_000)
    assert voucher.origin == voucher.id and voucher.parent is None
    assert voucher.status == "active" and voucher.application == application
    assert voucher_ids_by_holder(ledger.store, ledger.addr("supplier")) == [voucher_id]
    assert voucher_ids_by_debtor(ledger.store, ledger.addr("core")) == [voucher_id]
    assert get_application(ledger.store, application).status == "issued"
    parties = next(e.parties for e in events if e.kind == "voucher.issued")
    assert ledger.addr("core") in parties  # the debtor hears of it


@pytest.mark.parametrize(("changes", "code"), [
    ({"debtor": None}, "issuance.self_dealing"),
    ({"amount_fen": 0}, "issuance.bad_amount"),
    ({"due_ms": 0}, "issuance.due_in_past"),
    ({"asset_offset": False}, "issuance.no_settlement_method"),
    ({"extension_days": issuance.MAX_EXTENSION_DAYS + 1}, "issuance.bad_extension"),
])
def test_apply_refuses_bad_terms(changes: dict, code: str) -> None:
    ledger = Ledger()
    if "debtor" in changes:
        changes["debtor"] = ledger.addr("supplier")
    assert ledger.refused(apply_tx(ledger, **changes)) == code


def test_apply_needs_members_on_both_sides() -> None:
    ledger = Ledger()
    stranger = bytes(32)
    assert ledger.refused(apply_tx(ledger, debtor=stranger)) == "membership.not_member"


def test_same_basis_document_cannot_back_two_confirmed_applications_until_freed() -> None:
    ledger = Ledger()
    first = applied(ledger)
    ledger.block(confirm_tx(ledger, first))
    assert ledger.refused(apply_tx(ledger)) == "basis.in_use"
    ledger.run("issuance", "withdraw", issuance.Withdraw(ledger.addr("supplier"), first),
               "supplier")
    ledger.block(confirm_tx(ledger, applied(ledger)))  # freed by the withdrawal


def test_two_pending_applications_on_one_basis_are_confirmed_once() -> None:
    ledger = Ledger()
    first, second = applied(ledger), applied(ledger)
    ledger.block(confirm_tx(ledger, first))
    assert ledger.refused(confirm_tx(ledger, second)) == "basis.in_use"
    # The unconfirmed one closing leaves the confirmed one's basis taken.
    ledger.run("issuance", "withdraw", issuance.Withdraw(ledger.addr("supplier"), second),
               "supplier")
    assert ledger.refused(apply_tx(ledger)) == "basis.in_use"


def test_an_application_copying_a_basis_digest_does_not_block_the_creditor() -> None:
    # supplier2 applies first with the basis digest of supplier's pending application:
    # it holds nothing until the debtor confirms, so supplier's application is confirmed.
    ledger = Ledger()
    ledger.block(apply_tx(ledger, "supplier2"))
    application = applied(ledger)
    ledger.block(confirm_tx(ledger, application))
    assert get_application(ledger.store, application).status == "confirmed"


def test_basis_is_freed_by_rejection_and_by_lapse_but_not_by_issue() -> None:
    ledger = Ledger()
    rejected = applied(ledger, basis="R")
    ledger.block(confirm_tx(ledger, rejected))
    ledger.run("issuance", "reject",
               issuance.Reject(ledger.addr("agency"), rejected, "basis contract unsigned"),
               "agency")
    assert get_application(ledger.store, rejected).reason == "basis contract unsigned"
    ledger.block(confirm_tx(ledger, applied(ledger, basis="R")))
    applied(ledger, basis="L")
    ledger.block(advance_ms=CONFIRMATION_WINDOW_MS + 1)
    ledger.block(confirm_tx(ledger, applied(ledger, basis="L")))  # the lapsed one held nothing
    issued = applied(ledger, basis="I")
    ledger.block(confirm_tx(ledger, issued))
    ledger.block(approve_tx(ledger, issued))
    assert ledger.refused(apply_tx(ledger, basis="I")) == "basis.in_use"


def test_only_the_named_debtor_confirms() -> None:
    ledger = Ledger()
    application = applied(ledger)
    assert ledger.refused(confirm_tx(ledger, application, "supplier2")) == "issuance.not_debtor"


def test_confirmation_on_the_last_millisecond_of_30_days_is_accepted() -> None:
    ledger = Ledger()
    application = applied(ledger)
    applied_at = get_application(ledger.store, application).applied_at_ms
    ledger.block(confirm_tx(ledger, application),
                 advance_ms=applied_at + CONFIRMATION_WINDOW_MS - ledger.time_ms)
    assert get_application(ledger.store, application).status == "confirmed"


def test_confirmation_one_millisecond_after_30_days_is_refused_and_lapses() -> None:
    ledger = Ledger()
    application = applied(ledger)
    applied_at = get_application(ledger.store, application).applied_at_ms
    late = applied_at + CONFIRMATION_WINDOW_MS + 1 - ledger.time_ms
    assert ledger.refused(confirm_tx(ledger, application), advance_ms=late) == \
        "issuance.confirmation_lapsed"
    events = ledger.block(advance_ms=late)
    assert [e.kind for e in events] == ["application.lapsed"]
    assert get_application(ledger.store, application).status == "lapsed"
    assert ledger.refused(confirm_tx(ledger, application)) == "issuance.confirmation_lapsed"


def test_application_does_not_lapse_on_wall_clock_only_on_ledger_time() -> None:
    ledger = Ledger()
    application = applied(ledger)
    ledger.block(advance_ms=CONFIRMATION_WINDOW_MS - 1000)
    assert get_application(ledger.store, application).status == "applied"


def test_approval_needs_confirmation_and_the_agency_role() -> None:
    ledger = Ledger()
    application = applied(ledger)
    assert ledger.refused(approve_tx(ledger, application)) == "issuance.not_confirmed"
    ledger.block(confirm_tx(ledger, application))
    assert ledger.refused(confirm_tx(ledger, application)) == \
        "issuance.not_awaiting_confirmation"
    code = ledger.refused(ledger.tx("issuance", "approve",
                                    issuance.Approve(ledger.addr("bank"), application), "bank"))
    assert code == "membership.missing_role"
    ledger.block(approve_tx(ledger, application))
    assert ledger.refused(approve_tx(ledger, application)) == "issuance.not_confirmed"
    reject = ledger.tx("issuance", "reject",
                       issuance.Reject(ledger.addr("agency"), application, "late"), "agency")
    assert ledger.refused(reject) == "issuance.already_decided"


def test_approval_after_the_due_date_is_refused() -> None:
    ledger = Ledger()
    application = applied(ledger, due_ms=ledger.time_ms + 10 * DAY_MS)
    ledger.block(confirm_tx(ledger, application))
    assert ledger.refused(approve_tx(ledger, application), advance_ms=11 * DAY_MS) == \
        "issuance.due_in_past"


def test_unknown_application_and_wrong_creditor() -> None:
    ledger = Ledger()
    assert ledger.refused(confirm_tx(ledger, bytes(32))) == "issuance.unknown_application"
    application = applied(ledger)
    withdraw = ledger.tx("issuance", "withdraw",
                         issuance.Withdraw(ledger.addr("supplier2"), application), "supplier2")
    assert ledger.refused(withdraw) == "issuance.not_creditor"


def test_suspended_member_cannot_apply_or_confirm() -> None:
    ledger = Ledger()
    application = applied(ledger)
    ledger.run("membership", "suspend",
               membership.Suspend(ledger.addr("agency"), ledger.addr("core"), "fraud review"),
               "agency")
    assert ledger.refused(confirm_tx(ledger, application)) == "membership.suspended"
    assert ledger.refused(apply_tx(ledger, "supplier2", basis="x")) == "membership.suspended"


def random_tx(ledger: Ledger, op: str, pick: int, days: int, target: bytes):
    if op == "apply":
        return apply_tx(ledger, ["supplier", "supplier2"][pick % 2], basis=f"B{pick}",
                        amount_fen=days * 100)
    if op == "confirm":
        return confirm_tx(ledger, target)
    if op == "approve":
        return approve_tx(ledger, target)
    if op == "reject":
        return ledger.tx("issuance", "reject",
                         issuance.Reject(ledger.addr("agency"), target, "no"), "agency")
    if op == "decline":
        return ledger.tx("issuance", "decline",
                         issuance.Decline(ledger.addr("core"), target, "not owed"), "core")
    return ledger.tx("issuance", "withdraw",
                     issuance.Withdraw(ledger.addr("supplier"), target), "supplier")


operation = st.sampled_from(["apply", "confirm", "approve", "reject", "withdraw", "decline",
                             "wait"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(operation, st.integers(0, 5), st.integers(1, 40)),
                      max_size=25))
def test_any_sequence_keeps_issuance_invariants(steps: list[tuple[str, int, int]]) -> None:
    """Vouchers exist only for issued applications, with their amount; a basis backs one
    confirmed application or voucher, and the basis registry names it; exactly the
    applications waiting for the debtor are queued and counted per creditor."""
    ledger = Ledger()
    applications: list[bytes] = []
    for op, pick, days in steps:
        target = applications[pick % len(applications)] if applications else bytes(32)
        if op == "wait":
            ledger.block(advance_ms=days * DAY_MS)
            continue
        tx = random_tx(ledger, op, pick, days, target)
        try:
            ledger.block(tx, advance_ms=days * 3_600_000)
        except LedgerError:  # a refusal is fine; anything else fails the test
            ledger.height -= 1
            ledger.time_ms -= days * 3_600_000
            continue
        if op == "apply":
            applications.append(payload_id(tx.payload))
    live_bases: dict[tuple[bytes, bytes], int] = {}
    for application_id in applications:
        a = get_application(ledger.store, application_id)
        if a.status in ("confirmed", "issued"):
            held = (a.creditor, a.terms.basis_sha256)
            live_bases[held] = live_bases.get(held, 0) + 1
            use = basis.use_of(ledger.store, a.creditor, a.terms.debtor, a.terms.basis_ref,
                               a.terms.basis_sha256)
            assert use == (basis.Use("application", a.id) if a.status == "confirmed"
                           else basis.Use("voucher", a.voucher))
        if a.status == "applied":
            assert ledger.time_ms <= a.confirm_by_ms
        if a.status == "issued":
            voucher = get_voucher(ledger.store, a.voucher)
            assert voucher.amount_fen == a.terms.amount_fen
            assert voucher.holder == a.creditor
    assert all(count == 1 for count in live_bases.values())
    waiting = [get_application(ledger.store, i) for i in applications]
    waiting = [a for a in waiting if a.status == "applied"]
    assert sorted(key[11:] for key, _ in ledger.store.scan(b"aq/")) == sorted(
        a.id for a in waiting)
    for creditor in ("supplier", "supplier2"):
        assert issuance.pending_count(ledger.store, ledger.addr(creditor), ledger.addr("core")) \
            == sum(a.creditor == ledger.addr(creditor) for a in waiting)
    for _, raw in ledger.store.scan(b"v/"):
        voucher = decode(Voucher, raw)
        assert get_application(ledger.store, voucher.application).status == "issued"
