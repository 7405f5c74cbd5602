"""Obligations and set-off rounds: each rule's accepted path and each refusal by its code.

A triangle of debts (core owes supplier on a voucher, supplier owes supplier2 and
supplier2 owes core on obligations) is the smallest loop a round may clear; a second
loop through supplier3 sharing the voucher makes two overlapping loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from contracts import obligations, pledge, redemption, setoff
from contracts import transfer as transfers
from contracts.codec import sha256
from contracts.contract import Event
from contracts.setoff import Reduction, Round, Totals, get_totals, open_round_ids, open_round_of
from contracts.tx import Transaction, payload_id
from contracts.vouchers import (
    Voucher,
    children_ids,
    get_debtor_record,
    get_holder_totals,
    get_origin,
    get_voucher,
    live_ids_by_holder,
    part_id,
)
from node.setoff_plan import plan
from tests.memledger import DAY_MS, Ledger

NOBODY = bytes(32)
ROUND_OPEN_MS = 7 * DAY_MS


# ------------------------------------------------------------------ helpers


def submit_tx(ledger: Ledger, debtor: str, creditor: str, amount_fen: int,
              debtor_address: bytes | None = None,
              signers: tuple[str, ...] | None = None) -> Transaction:
    """The creditor's submission of what `debtor` owes it."""
    basis = f"INV-{ledger.nonce}"
    body = obligations.Submit(
        ledger.addr(creditor), debtor_address or ledger.addr(debtor), amount_fen,
        ledger.time_ms + 90 * DAY_MS, basis, sha256(basis.encode()))
    return ledger.tx("obligation", "submit", body, *(signers or (creditor,)))


def confirm_tx(ledger: Ledger, obligation_id: bytes, debtor: str) -> Transaction:
    return ledger.tx("obligation", "confirm",
                     obligations.Confirm(ledger.addr(debtor), obligation_id), debtor)


def submit(ledger: Ledger, debtor: str, creditor: str, amount_fen: int) -> bytes:
    """A pending obligation: `debtor` owes `creditor` `amount_fen`, as the creditor says."""
    tx = submit_tx(ledger, debtor, creditor, amount_fen)
    ledger.block(tx)
    return payload_id(tx.payload)


def owe(ledger: Ledger, debtor: str, creditor: str, amount_fen: int) -> bytes:
    """A confirmed obligation: submitted and confirmed in one block."""
    tx = submit_tx(ledger, debtor, creditor, amount_fen)
    obligation_id = payload_id(tx.payload)
    ledger.block(tx, confirm_tx(ledger, obligation_id, debtor))
    return obligation_id


def obligation(ledger: Ledger, obligation_id: bytes) -> obligations.Obligation:
    found = obligations.get_obligation(ledger.store, obligation_id)
    assert found is not None
    return found


def voucher(ledger: Ledger, voucher_id: bytes) -> Voucher:
    found = get_voucher(ledger.store, voucher_id)
    assert found is not None
    return found


def settle_tx(ledger: Ledger, obligation_id: bytes, debtor: str, creditor: str,
              signers: tuple[str, ...] | None = None) -> Transaction:
    body = obligations.Settle(ledger.addr(creditor), ledger.addr(debtor), obligation_id,
                              "wire 2027-118")
    return ledger.tx("obligation", "settle", body, *(signers or (creditor, debtor)))


def reduce_tx(ledger: Ledger, obligation_id: bytes, debtor: str, creditor: str, by_fen: int,
              signers: tuple[str, ...] | None = None) -> Transaction:
    body = obligations.Reduce(ledger.addr(creditor), ledger.addr(debtor), obligation_id, by_fen,
                              "credit note 7")
    return ledger.tx("obligation", "reduce", body, *(signers or (creditor, debtor)))


def withdraw_tx(ledger: Ledger, obligation_id: bytes, debtor: str, creditor: str,
                signers: tuple[str, ...] | None = None) -> Transaction:
    body = obligations.Withdraw(ledger.addr(creditor), ledger.addr(debtor), obligation_id,
                                "entered twice")
    return ledger.tx("obligation", "withdraw", body, *(signers or (creditor, debtor)))


def reductions(*items: tuple[str, bytes, int]) -> tuple[Reduction, ...]:
    """(kind, id, amount) triples as a proposal takes them: sorted by (kind, id)."""
    return tuple(sorted((Reduction(*item) for item in items), key=lambda r: (r.kind, r.id)))


def propose_tx(ledger: Ledger, proposed: tuple[Reduction, ...], deadline_ms: int | None = None,
               total_fen: int | None = None, bound_fen: int = 0,
               agency: str = "agency") -> Transaction:
    body = setoff.Propose(
        ledger.addr(agency), proposed,
        ledger.time_ms + ROUND_OPEN_MS if deadline_ms is None else deadline_ms,
        sum(r.amount_fen for r in proposed) if total_fen is None else total_fen, bound_fen)
    return ledger.tx("setoff", "propose", body, agency)


def propose(ledger: Ledger, proposed: tuple[Reduction, ...], **kwargs) -> bytes:
    tx = propose_tx(ledger, proposed, **kwargs)
    ledger.block(tx)
    return payload_id(tx.payload)


def consent_tx(ledger: Ledger, member: str, round_id: bytes) -> Transaction:
    return ledger.tx("setoff", "consent", setoff.Consent(ledger.addr(member), round_id), member)


def refuse_tx(ledger: Ledger, member: str, round_id: bytes,
              reason: str = "we dispute the invoice") -> Transaction:
    return ledger.tx("setoff", "refuse", setoff.Refuse(ledger.addr(member), round_id, reason),
                     member)


def limit_tx(ledger: Ledger, member: str, opted_out: bool,
             max_fen_per_round: int | None) -> Transaction:
    return ledger.tx("setoff", "set_limit",
                     setoff.SetLimit(ledger.addr(member), opted_out, max_fen_per_round), member)


def round_of(ledger: Ledger, round_id: bytes) -> Round:
    found = setoff.get_round(ledger.store, round_id)
    assert found is not None
    return found


def addresses(ledger: Ledger, *names: str) -> tuple[bytes, ...]:
    return tuple(sorted(ledger.addr(name) for name in names))


def event(events: list[Event], kind: str) -> Event:
    (found,) = [e for e in events if e.kind == kind]
    return found


@dataclass
class Triangle:
    """core owes supplier (a voucher), supplier owes supplier2, supplier2 owes core."""

    ledger: Ledger
    voucher: bytes
    supplier_owes: bytes  # to supplier2
    supplier2_owes: bytes  # to core

    def legs(self, amount_fen: int) -> tuple[Reduction, ...]:
        return reductions(("voucher", self.voucher, amount_fen),
                          ("obligation", self.supplier_owes, amount_fen),
                          ("obligation", self.supplier2_owes, amount_fen))

    def members(self) -> tuple[bytes, ...]:
        return addresses(self.ledger, "core", "supplier", "supplier2")


def triangle(voucher_fen: int = 1_000_000, supplier_owes_fen: int = 300_000,
             supplier2_owes_fen: int = 500_000) -> Triangle:
    ledger = Ledger()
    v = ledger.issue(voucher_fen, creditor="supplier", debtor="core")
    return Triangle(ledger, v, owe(ledger, "supplier", "supplier2", supplier_owes_fen),
                    owe(ledger, "supplier2", "core", supplier2_owes_fen))


@dataclass
class TwoLoops:
    """core→supplier (voucher 500_000) shared by core→supplier→supplier2→core (300_000
    clearable) and core→supplier→supplier3→core (200_000 clearable)."""

    ledger: Ledger
    voucher: bytes
    to_supplier2: bytes  # supplier owes supplier2 400_000
    supplier2_owes: bytes  # supplier2 owes core 300_000
    to_supplier3: bytes  # supplier owes supplier3 200_000
    supplier3_owes: bytes  # supplier3 owes core 500_000


def two_loops() -> TwoLoops:
    ledger = Ledger()
    v = ledger.issue(500_000, creditor="supplier", debtor="core")
    return TwoLoops(ledger, v, owe(ledger, "supplier", "supplier2", 400_000),
                    owe(ledger, "supplier2", "core", 300_000),
                    owe(ledger, "supplier", "supplier3", 200_000),
                    owe(ledger, "supplier3", "core", 500_000))


def debts_fen(ledger: Ledger, *ids: bytes) -> list[int]:
    """What is still owed on each debt (an obligation or a voucher state)."""
    owed = []
    for debt_id in ids:
        found = obligations.get_obligation(ledger.store, debt_id)
        owed.append(found.amount_fen if found is not None else voucher(ledger, debt_id).amount_fen)
    return owed


def pledge_tx(ledger: Ledger, voucher_id: bytes, holder: str = "supplier",
              bank: str = "bank") -> Transaction:
    body = pledge.Create(ledger.addr(holder), ledger.addr(bank), voucher_id, 100_000,
                         ledger.time_ms + 90 * DAY_MS, "LOAN-2027-001", 80_000, 400, None)
    return ledger.tx("pledge", "create", body, holder, bank)


# ------------------------------------------------------------------ obligations


def test_submitted_obligation_waits_for_the_debtor_and_does_not_count() -> None:
    ledger = Ledger()
    tx = submit_tx(ledger, "core", "supplier", 500_000)
    events = ledger.block(tx)
    o = obligation(ledger, payload_id(tx.payload))
    assert (o.creditor, o.debtor) == (ledger.addr("supplier"), ledger.addr("core"))
    assert (o.status, o.face_fen, o.amount_fen, o.setoff_fen, o.reduced_fen) == (
        "pending", 500_000, 500_000, 0, 0)
    assert (o.submitted_at_ms, o.confirmed_at_ms, o.ended_at_ms) == (ledger.time_ms, None, None)
    assert obligations.live_ids(ledger.store) == []
    submitted = event(events, "obligation.submitted")
    assert (submitted.subject, submitted.parties) == (o.id, addresses(ledger, "core", "supplier"))


def test_debtor_confirmation_makes_the_obligation_live() -> None:
    ledger = Ledger()
    obligation_id = submit(ledger, "core", "supplier", 500_000)
    events = ledger.block(confirm_tx(ledger, obligation_id, "core"))
    o = obligation(ledger, obligation_id)
    assert (o.status, o.amount_fen, o.confirmed_at_ms) == ("confirmed", 500_000, ledger.time_ms)
    assert obligations.live_ids(ledger.store) == [obligation_id]
    assert event(events, "obligation.confirmed").parties == addresses(ledger, "core", "supplier")


def test_a_member_does_not_owe_itself() -> None:
    ledger = Ledger()
    assert ledger.refused(submit_tx(ledger, "supplier", "supplier", 500_000)) == "obligation.self"


def test_an_obligation_is_at_least_one_fen() -> None:
    ledger = Ledger()
    assert ledger.refused(submit_tx(ledger, "core", "supplier", 0)) == "obligation.bad_amount"
    ledger.block(submit_tx(ledger, "core", "supplier", 1))


def test_only_members_that_hold_claims_owe_or_are_owed() -> None:
    ledger = Ledger()
    assert ledger.refused(submit_tx(ledger, "core", "supplier", 500_000,
                                    debtor_address=NOBODY)) == "membership.not_member"
    assert ledger.refused(submit_tx(ledger, "regulator", "supplier", 500_000)) == \
        "membership.cannot_hold"
    assert ledger.refused(submit_tx(ledger, "core", "regulator", 500_000)) == \
        "membership.cannot_hold"


def test_only_the_debtor_confirms_an_obligation() -> None:
    ledger = Ledger()
    obligation_id = submit(ledger, "core", "supplier", 500_000)
    assert ledger.refused(confirm_tx(ledger, obligation_id, "supplier2")) == \
        "obligation.not_debtor"
    assert ledger.refused(confirm_tx(ledger, obligation_id, "supplier")) == \
        "obligation.not_debtor"
    assert obligation(ledger, obligation_id).status == "pending"


def test_an_obligation_is_confirmed_once() -> None:
    ledger = Ledger()
    obligation_id = owe(ledger, "core", "supplier", 500_000)
    assert ledger.refused(confirm_tx(ledger, obligation_id, "core")) == "obligation.not_pending"


def test_a_declined_obligation_cannot_be_confirmed() -> None:
    ledger = Ledger()
    obligation_id = submit(ledger, "core", "supplier", 500_000)
    decline = ledger.tx("obligation", "decline", obligations.Decline(
        ledger.addr("core"), obligation_id, "no such delivery"), "core")
    ledger.block(decline)
    o = obligation(ledger, obligation_id)
    assert (o.status, o.note, o.ended_at_ms, o.ended_by) == (
        "declined", "no such delivery", ledger.time_ms, payload_id(decline.payload))
    assert ledger.refused(confirm_tx(ledger, obligation_id, "core")) == "obligation.not_pending"
    assert obligations.live_ids(ledger.store) == []


def test_only_the_creditor_retracts_a_pending_obligation() -> None:
    ledger = Ledger()
    obligation_id = submit(ledger, "core", "supplier", 500_000)

    def retract(creditor: str) -> Transaction:
        return ledger.tx("obligation", "retract",
                         obligations.Retract(ledger.addr(creditor), obligation_id), creditor)

    assert ledger.refused(retract("core")) == "obligation.not_creditor"
    assert ledger.refused(retract("supplier2")) == "obligation.not_creditor"
    ledger.block(retract("supplier"))
    assert obligation(ledger, obligation_id).status == "retracted"
    assert ledger.refused(confirm_tx(ledger, obligation_id, "core")) == "obligation.not_pending"


def test_a_confirmed_obligation_is_not_retracted() -> None:
    ledger = Ledger()
    obligation_id = owe(ledger, "core", "supplier", 500_000)
    retract = ledger.tx("obligation", "retract",
                        obligations.Retract(ledger.addr("supplier"), obligation_id), "supplier")
    assert ledger.refused(retract) == "obligation.not_pending"


def test_a_pending_obligation_is_not_settled_reduced_or_withdrawn() -> None:
    ledger = Ledger()
    obligation_id = submit(ledger, "core", "supplier", 500_000)
    for tx in (settle_tx(ledger, obligation_id, "core", "supplier"),
               reduce_tx(ledger, obligation_id, "core", "supplier", 100_000),
               withdraw_tx(ledger, obligation_id, "core", "supplier")):
        assert ledger.refused(tx) == "obligation.not_live"


def test_both_parties_reduce_a_confirmed_obligation_leaving_something_owed() -> None:
    ledger = Ledger()
    obligation_id = owe(ledger, "core", "supplier", 500_000)
    ledger.block(reduce_tx(ledger, obligation_id, "core", "supplier", 100_000))
    o = obligation(ledger, obligation_id)
    assert (o.status, o.face_fen, o.amount_fen, o.reduced_fen, o.note) == (
        "confirmed", 500_000, 400_000, 100_000, "credit note 7")
    assert ledger.refused(reduce_tx(ledger, obligation_id, "core", "supplier", 400_000)) == \
        "obligation.over_amount"
    assert ledger.refused(reduce_tx(ledger, obligation_id, "core", "supplier", 400_001)) == \
        "obligation.over_amount"
    assert ledger.refused(reduce_tx(ledger, obligation_id, "core", "supplier", 0)) == \
        "obligation.bad_amount"
    ledger.block(reduce_tx(ledger, obligation_id, "core", "supplier", 399_999))
    assert (obligation(ledger, obligation_id).amount_fen,
            obligation(ledger, obligation_id).reduced_fen) == (1, 499_999)


def test_settlement_and_withdrawal_end_a_confirmed_obligation() -> None:
    ledger = Ledger()
    settled, withdrawn = (owe(ledger, "core", "supplier", 500_000),
                          owe(ledger, "core", "supplier", 200_000))
    settle = settle_tx(ledger, settled, "core", "supplier")
    withdraw = withdraw_tx(ledger, withdrawn, "core", "supplier")
    ledger.block(settle, withdraw)
    assert (obligation(ledger, settled).status, obligation(ledger, settled).note,
            obligation(ledger, settled).ended_by) == (
        "settled", "settled: wire 2027-118", payload_id(settle.payload))
    assert (obligation(ledger, withdrawn).status, obligation(ledger, withdrawn).note) == (
        "withdrawn", "entered twice")
    assert obligations.live_ids(ledger.store) == []
    for tx in (settle_tx(ledger, settled, "core", "supplier"),
               reduce_tx(ledger, withdrawn, "core", "supplier", 1)):
        assert ledger.refused(tx) == "obligation.not_live"


@pytest.mark.parametrize(("debtor", "creditor"), [
    ("core", "supplier2"), ("supplier2", "supplier"), ("supplier", "core"),
])
def test_only_the_obligation_s_parties_settle_reduce_or_withdraw_it(debtor: str,
                                                                    creditor: str) -> None:
    ledger = Ledger()
    obligation_id = owe(ledger, "core", "supplier", 500_000)
    for tx in (settle_tx(ledger, obligation_id, debtor, creditor),
               reduce_tx(ledger, obligation_id, debtor, creditor, 100_000),
               withdraw_tx(ledger, obligation_id, debtor, creditor)):
        assert ledger.refused(tx) == "obligation.not_party"


@pytest.mark.parametrize("signer", ["core", "supplier"])
def test_settle_reduce_and_withdraw_need_both_parties_signatures(signer: str) -> None:
    ledger = Ledger()
    obligation_id = owe(ledger, "core", "supplier", 500_000)
    for tx in (settle_tx(ledger, obligation_id, "core", "supplier", signers=(signer,)),
               reduce_tx(ledger, obligation_id, "core", "supplier", 1, signers=(signer,)),
               withdraw_tx(ledger, obligation_id, "core", "supplier", signers=(signer,))):
        assert ledger.refused(tx) == "tx.missing_signature"
    assert obligation(ledger, obligation_id).amount_fen == 500_000


# ------------------------------------------------------------------ rounds that execute


def test_a_round_waits_for_every_member_then_executes() -> None:
    t = triangle()
    ledger = t.ledger
    propose_events = ledger.block(tx := propose_tx(ledger, t.legs(300_000)))
    round_id = payload_id(tx.payload)
    r = round_of(ledger, round_id)
    assert (r.status, r.round_no, r.members, r.consented, r.cleared_fen) == (
        "open", "DX0000000001", t.members(), (), 900_000)
    assert sorted((leg.id, leg.debtor, leg.creditor, leg.amount_fen) for leg in r.legs) == sorted([
        (t.voucher, ledger.addr("core"), ledger.addr("supplier"), 300_000),
        (t.supplier_owes, ledger.addr("supplier"), ledger.addr("supplier2"), 300_000),
        (t.supplier2_owes, ledger.addr("supplier2"), ledger.addr("core"), 300_000),
    ])
    assert event(propose_events, "setoff.proposed").parties == addresses(
        ledger, "agency", "core", "supplier", "supplier2")
    for debt in (t.voucher, t.supplier_owes, t.supplier2_owes):
        assert open_round_of(ledger.store, debt) == round_id
    assert setoff.round_ids_of_member(ledger.store, ledger.addr("agency")) == [round_id]
    assert setoff.round_ids_of_member(ledger.store, ledger.addr("supplier3")) == []

    consented = ledger.block(consent_tx(ledger, "supplier2", round_id))
    assert event(consented, "setoff.consented").parties == addresses(ledger, "agency",
                                                                      "supplier2")
    ledger.block(consent_tx(ledger, "core", round_id))
    r = round_of(ledger, round_id)
    assert (r.status, r.consented) == ("open", addresses(ledger, "core", "supplier2"))
    assert debts_fen(ledger, t.voucher, t.supplier_owes, t.supplier2_owes) == [
        1_000_000, 300_000, 500_000]
    assert get_totals(ledger.store) == Totals(0, 0)

    events = ledger.block(last := consent_tx(ledger, "supplier", round_id))
    r = round_of(ledger, round_id)
    assert (r.status, r.consented, r.ended_by, r.ended_at_ms) == (
        "executed", t.members(), payload_id(last.payload), ledger.time_ms)
    assert event(events, "setoff.executed").parties == addresses(
        ledger, "agency", "core", "supplier", "supplier2")
    assert get_totals(ledger.store) == Totals(1, 900_000)
    assert open_round_ids(ledger.store) == []
    for debt in (t.voucher, t.supplier_owes, t.supplier2_owes):
        assert open_round_of(ledger.store, debt) is None


def test_an_executed_round_reduces_each_debt_by_its_leg_and_keeps_the_voucher_s_remainder(
) -> None:
    t = triangle()
    ledger = t.ledger
    round_id = propose(ledger, t.legs(300_000))
    ledger.block(consent_tx(ledger, "core", round_id), consent_tx(ledger, "supplier2", round_id))
    events = ledger.block(last := consent_tx(ledger, "supplier", round_id))
    tx_id = payload_id(last.payload)

    cleared = obligation(ledger, t.supplier_owes)
    assert (cleared.status, cleared.amount_fen, cleared.setoff_fen, cleared.face_fen,
            cleared.ended_by) == ("cleared", 0, 300_000, 300_000, tx_id)
    kept = obligation(ledger, t.supplier2_owes)
    assert (kept.status, kept.amount_fen, kept.setoff_fen, kept.face_fen) == (
        "confirmed", 200_000, 300_000, 500_000)
    assert obligations.live_ids(ledger.store) == [t.supplier2_owes]

    old = voucher(ledger, t.voucher)
    assert (old.status, old.ended_by, old.amount_fen) == ("consumed", tx_id, 1_000_000)
    remainder_id = part_id(tx_id, t.voucher, 0)
    assert children_ids(ledger.store, t.voucher) == [remainder_id]
    remainder = voucher(ledger, remainder_id)
    assert (remainder.status, remainder.holder, remainder.debtor, remainder.amount_fen,
            remainder.cause, remainder.parent, remainder.origin) == (
        "active", ledger.addr("supplier"), ledger.addr("core"), 700_000, "setoff_remainder",
        t.voucher, t.voucher)
    assert live_ids_by_holder(ledger.store, ledger.addr("supplier")) == [remainder_id]
    origin = get_origin(ledger.store, t.voucher)
    assert origin is not None
    assert (origin.face_fen, origin.redeemed_fen, origin.setoff_fen, origin.live_parts) == (
        1_000_000, 0, 300_000, 1)
    held = get_holder_totals(ledger.store, ledger.addr("supplier"))
    assert (held.held_fen, held.live_parts) == (700_000, 1)
    core = get_debtor_record(ledger.store, ledger.addr("core"))
    assert (core.issued_fen, core.outstanding_fen, core.redeemed_fen) == (1_000_000, 700_000, 0)
    assert event(events, "voucher.remainder").subject == remainder_id
    assert get_totals(ledger.store) == Totals(1, 900_000)


def test_a_round_clearing_all_of_a_voucher_cancels_it() -> None:
    t = triangle(voucher_fen=300_000, supplier_owes_fen=400_000, supplier2_owes_fen=500_000)
    ledger = t.ledger
    round_id = propose(ledger, t.legs(300_000))
    ledger.block(consent_tx(ledger, "core", round_id), consent_tx(ledger, "supplier2", round_id))
    events = ledger.block(last := consent_tx(ledger, "supplier", round_id))
    v = voucher(ledger, t.voucher)
    assert (v.status, v.ended_by) == ("cancelled", payload_id(last.payload))
    assert children_ids(ledger.store, t.voucher) == []
    origin = get_origin(ledger.store, t.voucher)
    assert origin is not None
    assert (origin.setoff_fen, origin.live_parts) == (300_000, 0)
    held = get_holder_totals(ledger.store, ledger.addr("supplier"))
    assert (held.held_fen, held.live_parts) == (0, 0)
    assert get_debtor_record(ledger.store, ledger.addr("core")).outstanding_fen == 0
    assert event(events, "voucher.cancelled").subject == t.voucher
    assert debts_fen(ledger, t.supplier_owes, t.supplier2_owes) == [100_000, 200_000]
    assert get_totals(ledger.store) == Totals(1, 900_000)


def test_two_overlapping_loops_clear_in_one_round_from_the_plan() -> None:
    t = two_loops()
    ledger = t.ledger
    found = plan(ledger.store)
    assert (found.total_fen, found.bound_fen, found.cleared_fen, found.bilateral_fen,
            found.deferred_fen) == (1_900_000, 400_000, 1_500_000, 0, 0)
    (proposed,) = found.rounds
    assert proposed == list(reductions(
        ("voucher", t.voucher, 500_000), ("obligation", t.to_supplier2, 300_000),
        ("obligation", t.supplier2_owes, 300_000), ("obligation", t.to_supplier3, 200_000),
        ("obligation", t.supplier3_owes, 200_000)))
    round_id = propose(ledger, tuple(proposed), total_fen=found.total_fen,
                       bound_fen=found.bound_fen)
    members = ("core", "supplier", "supplier2", "supplier3")
    assert round_of(ledger, round_id).members == addresses(ledger, *members)
    ledger.block(*(consent_tx(ledger, m, round_id) for m in members))
    assert round_of(ledger, round_id).status == "executed"
    assert debts_fen(ledger, t.to_supplier2, t.supplier2_owes, t.to_supplier3,
                     t.supplier3_owes) == [100_000, 0, 0, 300_000]
    assert voucher(ledger, t.voucher).status == "cancelled"
    assert get_totals(ledger.store) == Totals(1, 1_500_000)
    assert plan(ledger.store).cleared_fen == 0


# ------------------------------------------------------------------ proposals refused


def test_a_proposal_that_changes_a_net_position_is_refused() -> None:
    t = triangle()
    proposed = reductions(("voucher", t.voucher, 300_000),
                          ("obligation", t.supplier_owes, 300_000),
                          ("obligation", t.supplier2_owes, 299_999))
    assert t.ledger.refused(propose_tx(t.ledger, proposed)) == "setoff.net_changed"


def test_a_proposal_beyond_what_a_debt_owes_is_refused() -> None:
    t = triangle()
    assert t.ledger.refused(propose_tx(t.ledger, t.legs(300_001))) == "setoff.over_amount"


def test_a_reduction_of_nothing_is_refused() -> None:
    t = triangle()
    assert t.ledger.refused(propose_tx(t.ledger, t.legs(0), total_fen=1)) == "setoff.bad_amount"


def test_a_proposal_touching_a_pledged_voucher_is_refused() -> None:
    t = triangle()
    t.ledger.block(pledge_tx(t.ledger, t.voucher))
    assert t.ledger.refused(propose_tx(t.ledger, t.legs(300_000))) == "voucher.pledged"


def test_a_proposal_touching_a_reserved_voucher_is_refused() -> None:
    t = triangle()
    ledger = t.ledger
    offer = ledger.run("redemption", "publish", redemption.Publish(
        ledger.addr("core"), "asset", "flat 12-3", 400_000, "FC-12-3"), "core")
    ledger.run("redemption", "request", redemption.Ask(
        ledger.addr("supplier"), t.voucher, offer, 400_000, None), "supplier")
    assert voucher(ledger, t.voucher).reserved_by is not None
    assert ledger.refused(propose_tx(ledger, t.legs(300_000))) == "voucher.reserved"


def test_a_proposal_touching_a_pending_or_unknown_debt_is_refused() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    pending = submit(ledger, "supplier", "supplier2", 300_000)
    confirmed = owe(ledger, "supplier2", "core", 300_000)
    assert ledger.refused(propose_tx(ledger, reductions(
        ("voucher", v, 300_000), ("obligation", pending, 300_000),
        ("obligation", confirmed, 300_000)))) == "obligation.not_live"
    assert ledger.refused(propose_tx(ledger, reductions(
        ("voucher", v, 300_000), ("obligation", sha256(b"none"), 300_000),
        ("obligation", confirmed, 300_000)))) == "obligation.unknown"
    ledger.block(confirm_tx(ledger, pending, "supplier"))
    assert ledger.refused(propose_tx(ledger, reductions(
        ("voucher", sha256(b"none"), 300_000), ("obligation", pending, 300_000),
        ("obligation", confirmed, 300_000)))) == "voucher.unknown"
    propose(ledger, reductions(("voucher", v, 300_000), ("obligation", pending, 300_000),
                               ("obligation", confirmed, 300_000)))


def test_a_loop_of_two_members_is_refused_as_bilateral() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000, creditor="supplier", debtor="core")
    back = owe(ledger, "supplier", "core", 300_000)
    assert ledger.refused(propose_tx(ledger, reductions(
        ("voucher", v, 300_000), ("obligation", back, 300_000)))) == "setoff.bilateral"


def test_a_two_member_loop_beside_a_triangle_is_refused_as_bilateral() -> None:
    t = triangle()
    ledger = t.ledger
    one, other = owe(ledger, "bank", "bank2", 50_000), owe(ledger, "bank2", "bank", 50_000)
    proposed = reductions(*((r.kind, r.id, r.amount_fen) for r in t.legs(300_000)),
                          ("obligation", one, 50_000), ("obligation", other, 50_000))
    assert ledger.refused(propose_tx(ledger, proposed)) == "setoff.bilateral"


def test_two_bilateral_loops_sharing_a_member_are_refused_as_bilateral() -> None:
    ledger = Ledger()
    owed = [owe(ledger, "core", "supplier", 100_000), owe(ledger, "supplier", "core", 100_000),
            owe(ledger, "supplier", "supplier2", 70_000),
            owe(ledger, "supplier2", "supplier", 70_000)]
    proposed = reductions(*(("obligation", o, obligation(ledger, o).amount_fen) for o in owed))
    assert ledger.refused(propose_tx(ledger, proposed)) == "setoff.bilateral"


def test_unsorted_or_repeated_reductions_are_refused() -> None:
    t = triangle()
    legs = t.legs(300_000)
    assert t.ledger.refused(propose_tx(t.ledger, legs[::-1])) == "setoff.unsorted"
    assert t.ledger.refused(propose_tx(t.ledger, (legs[0], *legs))) == "setoff.unsorted"
    split = (Reduction(legs[0].kind, legs[0].id, 100_000),
             Reduction(legs[0].kind, legs[0].id, 200_000), *legs[1:])
    assert t.ledger.refused(propose_tx(t.ledger, split)) == "setoff.unsorted"


@pytest.mark.parametrize("proposer", ["core", "bank", "regulator"])
def test_only_the_agency_proposes_a_round(proposer: str) -> None:
    t = triangle()
    assert t.ledger.refused(propose_tx(t.ledger, t.legs(300_000), agency=proposer)) == \
        "membership.missing_role"


def test_the_consent_deadline_lies_after_the_block_and_at_most_30_days_ahead() -> None:
    t = triangle()
    ledger = t.ledger
    block_ms = ledger.time_ms + 1000  # the time of the next block
    for deadline_ms in (block_ms - 1, block_ms, block_ms + setoff.MAX_CONSENT_MS + 1):
        assert ledger.refused(propose_tx(ledger, t.legs(300_000), deadline_ms=deadline_ms)) == \
            "setoff.bad_deadline"
    round_id = propose(ledger, t.legs(300_000), deadline_ms=block_ms + setoff.MAX_CONSENT_MS)
    assert round_of(ledger, round_id).deadline_ms == ledger.time_ms + setoff.MAX_CONSENT_MS


def test_a_debt_already_in_an_open_round_is_refused() -> None:
    t = triangle()
    ledger = t.ledger
    first = propose(ledger, t.legs(100_000))
    assert ledger.refused(propose_tx(ledger, t.legs(100_000))) == "setoff.in_open_round"
    # Another loop sharing only the voucher is refused too.
    to_supplier3, supplier3_owes = (owe(ledger, "supplier", "supplier3", 50_000),
                                    owe(ledger, "supplier3", "core", 50_000))
    assert ledger.refused(propose_tx(ledger, reductions(
        ("voucher", t.voucher, 50_000), ("obligation", to_supplier3, 50_000),
        ("obligation", supplier3_owes, 50_000)))) == "setoff.in_open_round"
    assert open_round_ids(ledger.store) == [first]


def test_a_member_who_opted_out_is_not_in_a_round() -> None:
    t = triangle()
    t.ledger.block(limit_tx(t.ledger, "supplier2", True, None))
    assert t.ledger.refused(propose_tx(t.ledger, t.legs(300_000))) == "setoff.opted_out"


def test_a_member_clears_at_most_its_limit_in_a_round() -> None:
    t = triangle()
    ledger = t.ledger
    ledger.block(limit_tx(ledger, "supplier2", False, 299_999))
    assert ledger.refused(propose_tx(ledger, t.legs(300_000))) == "setoff.over_limit"
    ledger.block(limit_tx(ledger, "supplier2", False, 300_000))
    limit = setoff.get_limit(ledger.store, ledger.addr("supplier2"))
    assert limit == setoff.Limit(ledger.addr("supplier2"), False, 300_000, ledger.time_ms)
    propose(ledger, t.legs(300_000))


def test_a_limit_is_either_an_opt_out_or_an_amount() -> None:
    ledger = Ledger()
    assert ledger.refused(limit_tx(ledger, "supplier", True, 100)) == "setoff.bad_limit"


@pytest.mark.parametrize(("total_fen", "bound_fen", "code"), [
    (899_999, 0, "setoff.bad_figures"),  # the graph holds less than the round clears
    (1_000_000, 100_001, "setoff.bad_figures"),  # what remains is below the stated floor
    (1_000_000, 100_000, None),
])
def test_a_proposal_states_figures_that_fit_what_it_clears(total_fen: int, bound_fen: int,
                                                           code: str | None) -> None:
    t = triangle()
    tx = propose_tx(t.ledger, t.legs(300_000), total_fen=total_fen, bound_fen=bound_fen)
    if code is not None:
        assert t.ledger.refused(tx) == code
        return
    t.ledger.block(tx)
    r = round_of(t.ledger, payload_id(tx.payload))
    assert (r.graph_total_fen, r.graph_bound_fen) == (total_fen, bound_fen)


# ------------------------------------------------------------------ consent refused


def test_consent_by_a_member_the_round_does_not_concern_is_refused() -> None:
    t = triangle()
    round_id = propose(t.ledger, t.legs(300_000))
    for outsider in ("supplier3", "agency", "bank"):
        assert t.ledger.refused(consent_tx(t.ledger, outsider, round_id)) == \
            "setoff.not_concerned"
    assert t.ledger.refused(refuse_tx(t.ledger, "supplier3", round_id)) == "setoff.not_concerned"


def test_a_member_consents_once() -> None:
    t = triangle()
    round_id = propose(t.ledger, t.legs(300_000))
    t.ledger.block(consent_tx(t.ledger, "core", round_id))
    assert t.ledger.refused(consent_tx(t.ledger, "core", round_id)) == \
        "setoff.already_consented"


def test_a_member_that_consented_is_bound_and_cannot_refuse() -> None:
    t = triangle()
    round_id = propose(t.ledger, t.legs(300_000))
    t.ledger.block(consent_tx(t.ledger, "core", round_id))
    assert t.ledger.refused(refuse_tx(t.ledger, "core", round_id)) == \
        "setoff.already_consented"
    assert setoff.get_round(t.ledger.store, round_id).status == "open"


def test_consent_to_an_unknown_round_is_refused() -> None:
    ledger = Ledger()
    assert ledger.refused(consent_tx(ledger, "core", sha256(b"no round"))) == \
        "setoff.unknown_round"


def test_consent_is_taken_up_to_the_deadline_and_refused_after_it() -> None:
    t = triangle()
    ledger = t.ledger
    round_id = propose(ledger, t.legs(300_000))
    deadline_ms = round_of(ledger, round_id).deadline_ms
    late = consent_tx(ledger, "core", round_id)
    assert ledger.refused(late, advance_ms=deadline_ms + 1 - ledger.time_ms) == \
        "setoff.deadline_passed"
    ledger.block(consent_tx(ledger, "core", round_id), advance_ms=deadline_ms - ledger.time_ms)
    r = round_of(ledger, round_id)
    assert (r.status, r.consented) == ("open", addresses(ledger, "core"))


def test_consent_or_refusal_on_a_closed_round_is_refused() -> None:
    t = triangle()
    ledger = t.ledger
    refused = propose(ledger, t.legs(100_000))
    ledger.block(refuse_tx(ledger, "core", refused))
    assert ledger.refused(consent_tx(ledger, "supplier", refused)) == "setoff.not_open"
    executed = propose(ledger, t.legs(100_000))
    ledger.block(*(consent_tx(ledger, m, executed) for m in ("core", "supplier", "supplier2")))
    assert ledger.refused(consent_tx(ledger, "core", executed)) == "setoff.not_open"
    assert ledger.refused(refuse_tx(ledger, "core", executed)) == "setoff.not_open"


# ------------------------------------------------------------------ rounds that end unexecuted


def test_a_round_lacking_a_consent_lapses_at_its_deadline_and_changes_nothing() -> None:
    t = triangle()
    ledger = t.ledger
    round_id = propose(ledger, t.legs(300_000), deadline_ms=ledger.time_ms + DAY_MS)
    deadline_ms = round_of(ledger, round_id).deadline_ms
    ledger.block(consent_tx(ledger, "core", round_id), consent_tx(ledger, "supplier", round_id))
    ledger.block(advance_ms=deadline_ms - ledger.time_ms)  # the deadline itself: still open
    assert round_of(ledger, round_id).status == "open"

    events = ledger.block(advance_ms=1)
    r = round_of(ledger, round_id)
    assert (r.status, r.ended_at_ms, r.ended_by, r.consented) == (
        "lapsed", deadline_ms + 1, bytes(32), addresses(ledger, "core", "supplier"))
    assert r.note == "the consent deadline passed before every member consented"
    assert event(events, "setoff.lapsed").parties == addresses(
        ledger, "agency", "core", "supplier", "supplier2")
    assert open_round_ids(ledger.store) == []
    for debt in (t.voucher, t.supplier_owes, t.supplier2_owes):
        assert open_round_of(ledger.store, debt) is None
    assert debts_fen(ledger, t.voucher, t.supplier_owes, t.supplier2_owes) == [
        1_000_000, 300_000, 500_000]
    assert voucher(ledger, t.voucher).status == "active"
    assert get_totals(ledger.store) == Totals(0, 0)
    assert ledger.refused(consent_tx(ledger, "supplier2", round_id)) == "setoff.not_open"

    again = propose(ledger, t.legs(300_000))
    assert round_of(ledger, again).round_no == "DX0000000002"


def test_a_refusal_ends_the_round_and_the_agency_proposes_again_without_that_member() -> None:
    t = two_loops()
    ledger = t.ledger
    (proposed,) = plan(ledger.store).rounds
    round_id = propose(ledger, tuple(proposed))
    ledger.block(consent_tx(ledger, "core", round_id))
    events = ledger.block(refuse := refuse_tx(ledger, "supplier2", round_id))
    r = round_of(ledger, round_id)
    assert (r.status, r.refused_by, r.note, r.ended_by) == (
        "refused", ledger.addr("supplier2"), "we dispute the invoice", payload_id(refuse.payload))
    assert event(events, "setoff.refused").parties == addresses(
        ledger, "agency", "core", "supplier", "supplier2", "supplier3")
    assert open_round_ids(ledger.store) == []
    assert debts_fen(ledger, t.voucher, t.to_supplier2, t.supplier2_owes, t.to_supplier3,
                     t.supplier3_owes) == [500_000, 400_000, 300_000, 200_000, 500_000]

    without = plan(ledger.store, exclude=frozenset({ledger.addr("supplier2")}))
    assert (without.cleared_fen, without.bilateral_fen) == (600_000, 0)
    (proposed,) = without.rounds
    assert proposed == list(reductions(
        ("voucher", t.voucher, 200_000), ("obligation", t.to_supplier3, 200_000),
        ("obligation", t.supplier3_owes, 200_000)))
    again = propose(ledger, tuple(proposed))
    ledger.block(*(consent_tx(ledger, m, again) for m in ("core", "supplier", "supplier3")))
    assert round_of(ledger, again).status == "executed"
    assert get_totals(ledger.store) == Totals(1, 600_000)
    assert debts_fen(ledger, t.to_supplier2, t.supplier2_owes, t.to_supplier3,
                     t.supplier3_owes) == [400_000, 300_000, 0, 300_000]


def assert_failed_with_nothing_reduced(t: Triangle, round_id: bytes, code: str) -> None:
    ledger = t.ledger
    events = ledger.block(*(consent_tx(ledger, m, round_id)
                            for m in ("core", "supplier", "supplier2")))
    r = round_of(ledger, round_id)
    assert r.status == "failed"
    assert r.note.startswith(f"{code}: ")
    assert event(events, "setoff.failed").parties == addresses(
        ledger, "agency", "core", "supplier", "supplier2")
    assert get_totals(ledger.store) == Totals(0, 0)
    assert open_round_ids(ledger.store) == []
    assert obligation(ledger, t.supplier_owes).setoff_fen == 0
    assert obligation(ledger, t.supplier2_owes).setoff_fen == 0
    origin = get_origin(ledger.store, t.voucher)
    assert origin is not None and origin.setoff_fen == 0


def test_a_voucher_transferred_after_the_proposal_fails_the_round_at_the_last_consent() -> None:
    t = triangle()
    ledger = t.ledger
    round_id = propose(ledger, t.legs(300_000))
    move = ledger.tx("transfer", "transfer", transfers.Transfer(
        ledger.addr("supplier"), t.voucher, ledger.addr("supplier3"), 1_000_000, None, "TC-1"),
        "supplier", "supplier3")
    ledger.block(move)
    assert_failed_with_nothing_reduced(t, round_id, "voucher.consumed")
    moved = voucher(ledger, part_id(payload_id(move.payload), t.voucher, 0))
    assert (moved.holder, moved.amount_fen, moved.status) == (
        ledger.addr("supplier3"), 1_000_000, "active")
    assert debts_fen(ledger, t.supplier_owes, t.supplier2_owes) == [300_000, 500_000]


def test_an_obligation_settled_after_the_proposal_fails_the_round_at_the_last_consent() -> None:
    t = triangle()
    ledger = t.ledger
    round_id = propose(ledger, t.legs(300_000))
    ledger.block(settle_tx(ledger, t.supplier2_owes, "supplier2", "core"))
    assert_failed_with_nothing_reduced(t, round_id, "obligation.not_live")
    assert obligation(ledger, t.supplier2_owes).status == "settled"
    assert debts_fen(ledger, t.voucher, t.supplier_owes) == [1_000_000, 300_000]
    assert voucher(ledger, t.voucher).status == "active"


def test_a_voucher_pledged_after_the_proposal_fails_the_round_at_the_last_consent() -> None:
    t = triangle()
    round_id = propose(t.ledger, t.legs(300_000))
    t.ledger.block(pledge_tx(t.ledger, t.voucher))
    assert_failed_with_nothing_reduced(t, round_id, "voucher.pledged")
    assert debts_fen(t.ledger, t.voucher, t.supplier_owes, t.supplier2_owes) == [
        1_000_000, 300_000, 500_000]


def test_a_loop_through_a_pledged_voucher_is_not_planned_and_not_accepted() -> None:
    t = triangle()
    ledger = t.ledger
    ledger.block(pledge_tx(ledger, t.voucher))
    assert (plan(ledger.store).cleared_fen, plan(ledger.store).rounds) == (0, [])
    free = ledger.issue(100_000, creditor="supplier", debtor="core")
    found = plan(ledger.store)
    assert found.cleared_fen == 300_000
    (proposed,) = found.rounds
    assert t.voucher not in {r.id for r in proposed}
    assert proposed == list(reductions(
        ("voucher", free, 100_000), ("obligation", t.supplier_owes, 100_000),
        ("obligation", t.supplier2_owes, 100_000)))
    assert ledger.refused(propose_tx(ledger, t.legs(100_000))) == "voucher.pledged"


def test_the_same_basis_document_backs_one_live_obligation_between_two_members() -> None:
    ledger = Ledger()
    basis = "INV-TWICE"
    body = obligations.Submit(ledger.addr("supplier"), ledger.addr("core"), 500_000,
                              ledger.time_ms + 90 * DAY_MS, basis, sha256(basis.encode()))
    first = ledger.tx("obligation", "submit", body, "supplier")
    ledger.block(first)
    again = ledger.tx("obligation", "submit", body, "supplier")
    assert ledger.refused(again) == "basis.in_use"
    # Once the first is declined, the document may back a corrected upload.
    ledger.block(ledger.tx("obligation", "decline", obligations.Decline(
        ledger.addr("core"), payload_id(first.payload), "wrong amount"), "core"))
    ledger.block(ledger.tx("obligation", "submit", body, "supplier"))


def test_a_limit_of_zero_is_refused_in_favour_of_opting_out() -> None:
    ledger = Ledger()
    assert ledger.refused(limit_tx(ledger, "core", False, 0)) == "setoff.bad_limit"
    assert ledger.refused(limit_tx(ledger, "core", True, 5)) == "setoff.bad_limit"
    ledger.block(limit_tx(ledger, "core", True, None))
    assert setoff.get_limit(ledger.store, ledger.addr("core")).opted_out
