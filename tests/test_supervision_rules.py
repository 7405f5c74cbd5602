"""Supervision (contracts/supervision.py): a court's freeze holds a claim until lifted, the
agency voids a voucher whose basis fell away, a party's dispute holds the thing disputed
until the agency resolves it; and obligations lapse and go overdue on the ledger's clock
(contracts/obligations.py). Every refusal has its code."""

from __future__ import annotations

import pytest

from contracts import issuance, obligations, supervision, vouchers
from contracts import transfer as transfers
from contracts.codec import sha256
from contracts.tx import Transaction, payload_id
from tests.memledger import DAY_MS, Ledger
from tests.test_lifecycle_rules import (
    accept_tx,
    ask_tx,
    at,
    commit_tx,
    enforce_tx,
    exercise_tx,
    pay_tx,
    pledge_tx,
    publish,
    release_tx,
    split_tx,
    transfer_tx,
    voucher,
)
from tests.test_sale_rules import sell_obligation_tx, sell_tx
from tests.test_setoff_rules import (
    confirm_tx,
    obligation,
    owe,
    propose_tx,
    reductions,
    submit,
    submit_tx,
)

FACE = 1_000_000
ORDER = "(2027)蒙0802执保123号"
ORDER_SHA = sha256(b"court order")
LIFT_SHA = sha256(b"order lifting it")
DOC = sha256(b"the dispute's evidence")


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.admit("factor", "factor")
    ledger.admit("regulator2", "regulator")
    return ledger


def freeze_tx(ledger: Ledger, voucher_id: bytes, amount_fen: int,
              authority: str = "regulator") -> Transaction:
    return ledger.tx("supervision", "freeze", supervision.Freeze(
        ledger.addr(authority), voucher_id, amount_fen, ORDER, ORDER_SHA), authority)


def frozen(ledger: Ledger, voucher_id: bytes, amount_fen: int,
           authority: str = "regulator") -> supervision.FreezeOrder:
    """Freeze and return the order."""
    tx = freeze_tx(ledger, voucher_id, amount_fen, authority)
    events = ledger.block(tx)
    order = supervision.get_freeze(ledger.store, payload_id(tx.payload))
    assert order is not None
    assert [e.subject for e in events if e.kind == "voucher.frozen"] == [order.voucher]
    return order


def unfreeze_tx(ledger: Ledger, order: bytes, authority: str = "regulator") -> Transaction:
    return ledger.tx("supervision", "unfreeze", supervision.Unfreeze(
        ledger.addr(authority), order, "(2027)解除", LIFT_SHA), authority)


def void_agreed_tx(ledger: Ledger, origin: bytes, creditor: str = "supplier",
                   debtor: str = "core") -> Transaction:
    return ledger.tx("supervision", "void_agreed", supervision.VoidAgreed(
        ledger.addr("agency"), ledger.addr(creditor), ledger.addr(debtor), origin,
        "the supply contract was rescinded", sha256(b"rescission")), "agency", creditor, debtor)


def void_decided_tx(ledger: Ledger, origin: bytes, dispute: bytes | None = None) -> Transaction:
    return ledger.tx("supervision", "void_decided", supervision.VoidDecided(
        ledger.addr("agency"), origin, "the basis contract was forged",
        sha256(b"decision 7"), dispute), "agency")


def raise_tx(ledger: Ledger, kind: str, subject: bytes, party: str = "core") -> Transaction:
    return ledger.tx("supervision", "raise_dispute", supervision.RaiseDispute(
        ledger.addr(party), kind, subject, "we never received the goods", (DOC,)), party)


def raised(ledger: Ledger, kind: str, subject: bytes, party: str = "core") -> bytes:
    tx = raise_tx(ledger, kind, subject, party)
    ledger.block(tx)
    return payload_id(tx.payload)


def resolve_tx(ledger: Ledger, dispute: bytes, outcome: str = "dismissed") -> Transaction:
    return ledger.tx("supervision", "resolve_dispute", supervision.ResolveDispute(
        ledger.addr("agency"), dispute, outcome, "the delivery notes are signed", ()), "agency")


def dispute(ledger: Ledger, dispute_id: bytes) -> supervision.Dispute:
    found = supervision.get_dispute(ledger.store, dispute_id)
    assert found is not None
    return found


def record(ledger: Ledger, debtor: str = "core") -> vouchers.DebtorRecord:
    return vouchers.get_debtor_record(ledger.store, ledger.addr(debtor))


def live_sum(ledger: Ledger, origin: bytes) -> int:
    parts = supervision.live_parts(ledger.store, origin)
    assert parts is not None
    return sum(p.amount_fen for p in parts)


def application(ledger: Ledger) -> bytes:
    """An application the creditor applied for, waiting for the debtor."""
    basis = f"HT-{ledger.nonce}"
    terms = issuance.Terms(ledger.addr("core"), FACE, ledger.time_ms + 365 * DAY_MS, True,
                           True, 0, 0, basis, sha256(basis.encode()))
    return ledger.run("issuance", "apply", issuance.Apply(ledger.addr("supplier"), terms),
                      "supplier")


# ------------------------------------------------------------------ freeze


def test_a_court_freezes_part_of_a_voucher_and_the_rest_keeps_moving(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    order = frozen(ledger, v, 300_000)
    part = voucher(ledger, order.voucher)
    assert (part.amount_fen, part.holder, part.parent, part.cause) == \
        (300_000, ledger.addr("supplier"), v, "split")
    assert (order.amount_fen, order.order_ref, order.order_sha256, order.status) == \
        (300_000, ORDER, ORDER_SHA, "frozen")
    (remainder,) = [p for p in supervision.live_parts(ledger.store, v) or [] if p.id != part.id]
    assert remainder.amount_fen == 700_000
    ledger.block(transfer_tx(ledger, remainder.id, 700_000))  # the rest moves
    assert ledger.refused(transfer_tx(ledger, part.id, 300_000)) == "voucher.frozen"
    assert voucher(ledger, part.id).holder == ledger.addr("supplier")


def test_the_holder_the_debtor_and_the_authority_are_told_of_a_freeze(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    events = ledger.block(freeze_tx(ledger, v, FACE))
    (told,) = [e.parties for e in events if e.kind == "voucher.frozen"]
    assert set(told) == {ledger.addr("supplier"), ledger.addr("core"), ledger.addr("regulator")}


@pytest.mark.parametrize("move", [
    "transfer", "split", "offer", "pledge", "redemption", "payment", "sale", "acquisition"])
def test_a_frozen_voucher_moves_in_no_way(ledger: Ledger, move: str) -> None:
    v = ledger.issue(FACE)
    if move == "acquisition":  # committed before the freeze, exercised after the lock
        commit = commit_tx(ledger, v, lock_ms=2 * DAY_MS)
        ledger.block(commit)
    order = frozen(ledger, v, FACE)
    if move == "transfer":
        tx = transfer_tx(ledger, v, 1000)
    elif move == "split":
        tx = split_tx(ledger, v, (500_000, 500_000))
    elif move == "offer":
        tx = ledger.tx("transfer", "offer", transfers.Offer(
            ledger.addr("supplier"), v, ledger.addr("supplier2"), 1000, None, "TC-1", 7),
            "supplier")
    elif move == "pledge":
        tx = pledge_tx(ledger, v, FACE)
    elif move == "redemption":
        tx = ask_tx(ledger, v, publish(ledger), 400_000)
    elif move == "payment":
        tx = pay_tx(ledger, v, 1000)
    elif move == "sale":
        tx = sell_tx(ledger, v, FACE)
    else:
        ledger.block(advance_ms=3 * DAY_MS)
        tx = exercise_tx(ledger, v, payload_id(commit.payload), FACE)
    assert ledger.refused(tx) == "voucher.frozen"
    # Lifted, the same move goes through (for those whose draft is still good).
    ledger.block(unfreeze_tx(ledger, order.id))
    if move in ("transfer", "split", "pledge", "payment"):
        ledger.block(tx)


def test_a_pledged_voucher_is_frozen_whole_and_its_bank_releases_but_does_not_enforce(
        ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    pledge_create = pledge_tx(ledger, v, FACE, loan_due_ms=ledger.time_ms + 10 * DAY_MS)
    ledger.block(pledge_create)
    pledge_id = payload_id(pledge_create.payload)
    assert ledger.refused(freeze_tx(ledger, v, 1000)) == "voucher.pledged"
    events = ledger.block(freeze_tx(ledger, v, FACE))
    (told,) = [e.parties for e in events if e.kind == "voucher.frozen"]
    assert ledger.addr("bank") in told
    ledger.block(advance_ms=11 * DAY_MS)
    assert ledger.refused(enforce_tx(ledger, pledge_id)) == "voucher.frozen"
    ledger.block(release_tx(ledger, pledge_id))  # giving up the pledge moves nothing
    assert voucher(ledger, v).pledge is None and voucher(ledger, v).holder == \
        ledger.addr("supplier")


def test_a_reserved_voucher_is_frozen_whole_and_its_request_cannot_complete(
        ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    ask = ask_tx(ledger, v, publish(ledger, price_fen=FACE), FACE)
    ledger.block(ask)
    assert ledger.refused(freeze_tx(ledger, v, 1000)) == "voucher.reserved"
    ledger.block(freeze_tx(ledger, v, FACE))
    assert ledger.refused(accept_tx(ledger, payload_id(ask.payload))) == "voucher.frozen"


def test_freeze_refusals(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    assert ledger.refused(freeze_tx(ledger, v, 1000, authority="bank")) == \
        "freeze.not_authority"
    assert ledger.refused(freeze_tx(ledger, v, 0)) == "voucher.bad_amount"
    assert ledger.refused(freeze_tx(ledger, v, FACE + 1)) == "voucher.over_amount"
    assert ledger.refused(freeze_tx(ledger, sha256(b"none"), 1)) == "voucher.unknown"
    order = frozen(ledger, v, FACE)
    assert ledger.refused(freeze_tx(ledger, v, 1000)) == "voucher.frozen"
    # Only the authority that froze it, or the agency, lifts it; once.
    assert ledger.refused(unfreeze_tx(ledger, order.id, "regulator2")) == \
        "freeze.not_authority"
    assert ledger.refused(unfreeze_tx(ledger, sha256(b"none"))) == "freeze.unknown"
    ledger.block(unfreeze_tx(ledger, order.id, "agency"))
    assert ledger.refused(unfreeze_tx(ledger, order.id)) == "freeze.not_frozen"
    lifted = supervision.get_freeze(ledger.store, order.id)
    assert lifted is not None and (lifted.status, lifted.unfrozen_by, lifted.release_sha256) \
        == ("unfrozen", ledger.addr("agency"), LIFT_SHA)
    assert supervision.freezes_page(ledger.store, None, 10, in_force=True)[0] == []
    (listed,), _ = supervision.freezes_page(ledger.store, None, 10, voucher=v)
    assert listed.id == order.id


def test_extension_and_overdue_go_on_while_frozen(ledger: Ledger) -> None:
    v = ledger.issue(FACE, due_in_ms=2 * DAY_MS)
    frozen(ledger, v, FACE)
    ledger.block(advance_ms=3 * DAY_MS)
    assert voucher(ledger, v).overdue_since_ms is not None
    assert record(ledger).overdue_vouchers == 1


# ------------------------------------------------------------------ void


def test_creditor_and_debtor_void_a_voucher_nobody_else_took(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    ledger.block(split_tx(ledger, v, (400_000, 600_000)))
    events = ledger.block(void_agreed_tx(ledger, v))
    voided = [e for e in events if e.kind == "voucher.voided"]
    assert len(voided) == 2
    assert all(voucher(ledger, e.subject).status == "voided" for e in voided)
    origin = vouchers.get_origin(ledger.store, v)
    assert origin is not None and (origin.voided_fen, origin.live_parts) == (FACE, 0)
    assert origin.redeemed_fen == origin.setoff_fen == 0
    debtor = record(ledger)
    assert (debtor.outstanding_fen, debtor.voided_fen, debtor.voided_vouchers) == (0, FACE, 1)
    assert vouchers.get_holder_totals(ledger.store, ledger.addr("supplier")).held_fen == 0


def test_void_agreed_refusals(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    assert ledger.refused(void_agreed_tx(ledger, v, creditor="supplier2")) == \
        "void.not_parties"
    assert ledger.refused(void_agreed_tx(ledger, sha256(b"none"))) == "void.unknown_voucher"
    ledger.block(transfer_tx(ledger, v, 1000))
    assert ledger.refused(void_agreed_tx(ledger, v)) == "void.passed_on"
    w = ledger.issue(FACE)
    ledger.block(pledge_tx(ledger, w, FACE))
    assert ledger.refused(void_agreed_tx(ledger, w)) == "voucher.pledged"
    x = ledger.issue(FACE)
    ledger.block(ask_tx(ledger, x, publish(ledger), 400_000))
    assert ledger.refused(void_agreed_tx(ledger, x)) == "voucher.reserved"
    y = ledger.issue(FACE)
    frozen(ledger, y, 1000)
    assert ledger.refused(void_agreed_tx(ledger, y)) == "voucher.frozen"
    ledger.block(void_agreed_tx(ledger, ledger.issue(FACE)))
    z = ledger.issue(FACE)
    ledger.block(void_agreed_tx(ledger, z))
    assert ledger.refused(void_agreed_tx(ledger, z)) == "void.nothing_live"


def test_a_decision_voids_every_part_wherever_it_went_and_tells_each_holder(
        ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    ledger.block(transfer_tx(ledger, v, 300_000))
    events = ledger.block(void_decided_tx(ledger, v))
    told = {e.subject: set(e.parties) for e in events if e.kind == "voucher.voided"}
    assert len(told) == 2
    holders = {voucher(ledger, s).holder for s in told}
    assert holders == {ledger.addr("supplier"), ledger.addr("supplier2")}
    for subject, parties in told.items():
        assert {voucher(ledger, subject).holder, ledger.addr("core"),
                ledger.addr("supplier"), ledger.addr("agency")} == parties
    assert record(ledger).outstanding_fen == 0
    assert ledger.refused(transfer_tx(ledger, next(iter(told)), 1)) in (
        "voucher.consumed", "voucher.cancelled", "voucher.voided")


def test_a_voided_state_is_refused_as_no_longer_live(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    ledger.block(void_decided_tx(ledger, v))
    assert voucher(ledger, v).status == "voided"
    assert ledger.refused(transfer_tx(ledger, v, 1)) == "voucher.consumed"


def test_conservation_counts_what_was_redeemed_and_voided(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    ask = ask_tx(ledger, v, publish(ledger, price_fen=400_000), 400_000)
    ledger.block(ask)
    ledger.block(accept_tx(ledger, payload_id(ask.payload)))
    ledger.block(void_decided_tx(ledger, v))
    origin = vouchers.get_origin(ledger.store, v)
    assert origin is not None
    assert origin.face_fen == origin.redeemed_fen + origin.setoff_fen + origin.voided_fen \
        + live_sum(ledger, v)
    assert (origin.redeemed_fen, origin.voided_fen) == (400_000, 600_000)


# ------------------------------------------------------------------ disputes


def test_a_disputed_application_is_neither_confirmed_nor_issued_until_dismissed(
        ledger: Ledger) -> None:
    a = application(ledger)
    d = raised(ledger, "application", a, party="supplier")
    confirm = ledger.tx("issuance", "confirm", issuance.Confirm(ledger.addr("core"), a), "core")
    assert ledger.refused(confirm) == "issuance.disputed"
    ledger.block(resolve_tx(ledger, d))
    ledger.block(confirm)
    ledger.block(raise_tx(ledger, "application", a))
    approve = ledger.tx("issuance", "approve", issuance.Approve(ledger.addr("agency"), a),
                        "agency")
    assert ledger.refused(approve) == "issuance.disputed"


def test_a_lapse_while_disputed_is_no_late_confirmation(ledger: Ledger) -> None:
    a = application(ledger)
    raised(ledger, "application", a)
    ledger.block(advance_ms=31 * DAY_MS)
    found = issuance.get_application(ledger.store, a)
    assert found is not None and found.status == "lapsed"
    assert record(ledger).late_confirmations == 0


def test_a_holder_disputes_its_part_and_no_part_of_the_voucher_moves(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    events = ledger.block(transfer_tx(ledger, v, 300_000))
    moved = next(e.subject for e in events if e.kind == "voucher.transferred")
    rest = next(p.id for p in supervision.live_parts(ledger.store, v) or [] if p.id != moved)
    d = raised(ledger, "voucher", moved, party="supplier2")
    found = dispute(ledger, d)
    assert (found.kind, found.subject, found.status) == ("voucher", v, "open")
    assert set(found.parties) == {ledger.addr(n) for n in ("supplier", "supplier2", "core")}
    assert ledger.refused(transfer_tx(ledger, rest, 1000)) == "voucher.disputed"
    assert ledger.refused(transfer_tx(ledger, moved, 1000, holder="supplier2",
                                      to="supplier3")) == "voucher.disputed"
    events = ledger.block(resolve_tx(ledger, d))
    (told,) = [e.parties for e in events if e.kind == "dispute.resolved"]
    assert ledger.addr("supplier2") in told and ledger.addr("agency") in told
    assert dispute(ledger, d).status == "dismissed"
    ledger.block(transfer_tx(ledger, rest, 1000))


def test_an_upheld_dispute_voids_the_voucher_in_one_decision(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    d = raised(ledger, "voucher", v)
    other = ledger.issue(FACE)
    assert ledger.refused(void_decided_tx(ledger, other, dispute=d)) == "dispute.other_subject"
    ledger.block(void_decided_tx(ledger, v, dispute=d))
    assert dispute(ledger, d).status == "upheld"
    assert voucher(ledger, v).status == "voided"
    assert ledger.refused(resolve_tx(ledger, d)) == "dispute.not_open"


def test_a_disputed_obligation_is_not_confirmed_assigned_or_set_off(ledger: Ledger) -> None:
    pending = submit(ledger, "core", "supplier", 50_000)
    raised(ledger, "obligation", pending)
    assert ledger.refused(confirm_tx(ledger, pending, "core")) == "obligation.disputed"
    live = owe(ledger, "core", "supplier", 50_000)
    raised(ledger, "obligation", live, party="supplier")
    assert ledger.refused(sell_obligation_tx(ledger, live, 10_000)) == "obligation.disputed"
    a = owe(ledger, "supplier", "supplier2", 50_000)
    b = owe(ledger, "supplier2", "core", 50_000)
    assert ledger.refused(propose_tx(ledger, reductions(
        ("obligation", live, 50_000), ("obligation", a, 50_000),
        ("obligation", b, 50_000)))) == "obligation.disputed"


def test_dispute_refusals(ledger: Ledger) -> None:
    v = ledger.issue(FACE)
    assert ledger.refused(raise_tx(ledger, "voucher", v, party="supplier2")) == \
        "dispute.not_party"
    assert ledger.refused(raise_tx(ledger, "voucher", sha256(b"none"))) == "voucher.unknown"
    assert ledger.refused(raise_tx(ledger, "obligation", sha256(b"none"))) == \
        "obligation.unknown"
    assert ledger.refused(raise_tx(ledger, "application", sha256(b"none"))) == \
        "issuance.unknown_application"
    raised(ledger, "voucher", v)
    assert ledger.refused(raise_tx(ledger, "voucher", v, party="supplier")) == \
        "dispute.already_open"
    assert ledger.refused(resolve_tx(ledger, sha256(b"none"))) == "dispute.unknown"
    w = ledger.issue(FACE)
    ledger.block(void_decided_tx(ledger, w))
    assert ledger.refused(raise_tx(ledger, "voucher", w)) == "dispute.subject_closed"


def test_a_member_holds_a_bounded_number_of_disputes_open(ledger: Ledger) -> None:
    txs = [submit_tx(ledger, "core", "supplier", 1000 + i)
           for i in range(supervision.MAX_OPEN_DISPUTES_PER_PARTY + 1)]
    ledger.block(*txs)
    ids = [payload_id(tx.payload) for tx in txs]
    ledger.block(*(raise_tx(ledger, "obligation", i) for i in ids[:-1]))
    assert supervision.open_count(ledger.store, ledger.addr("core")) == len(ids) - 1
    assert ledger.refused(raise_tx(ledger, "obligation", ids[-1])) == "dispute.too_many_open"
    first = supervision.disputes_page(ledger.store, None, 1, open_only=True)[0][0]
    ledger.block(resolve_tx(ledger, first.id))
    ledger.block(raise_tx(ledger, "obligation", ids[-1]))
    mine, _ = supervision.disputes_page(ledger.store, None, 100, party=ledger.addr("supplier"))
    assert len(mine) == len(ids)


# ------------------------------------------------------------------ obligations on the clock


def test_an_unconfirmed_obligation_lapses_after_30_days_and_counts_as_late(
        ledger: Ledger) -> None:
    o = submit(ledger, "core", "supplier", 50_000)
    deadline = obligation(ledger, o).submitted_at_ms + 30 * DAY_MS
    ledger.block(advance_ms=at(ledger, deadline))  # the last moment it may be confirmed
    assert obligation(ledger, o).status == "pending"
    assert ledger.refused(confirm_tx(ledger, o, "core")) == "obligation.confirmation_lapsed"
    events = ledger.block()
    assert [e.kind for e in events if e.subject == o] == ["obligation.lapsed"]
    assert obligation(ledger, o).status == "lapsed"
    assert record(ledger).late_obligation_confirmations == 1
    assert obligations.pending_count(ledger.store, ledger.addr("supplier"),
                                     ledger.addr("core")) == 0
    # The basis is free again: the same debt may be submitted anew.
    again = obligation(ledger, o)
    ledger.block(ledger.tx("obligation", "submit", obligations.Submit(
        again.creditor, again.debtor, again.amount_fen, again.due_ms, again.basis_ref,
        again.basis_sha256), "supplier"))


def test_a_confirmed_obligation_goes_overdue_at_its_due_date_counted_once_per_debt(
        ledger: Ledger) -> None:
    o = owe(ledger, "core", "supplier", 50_000)  # due in 90 days
    ledger.block(sell_obligation_tx(ledger, o, 20_000))  # a part owed to the factor
    due = obligation(ledger, o).due_ms
    ledger.block(advance_ms=at(ledger, due))
    assert obligation(ledger, o).overdue_since_ms is None
    events = ledger.block()
    overdue = [e.subject for e in events if e.kind == "obligation.overdue"]
    assert o in overdue and len(overdue) == 2
    assert record(ledger).overdue_obligations == 1
    assert obligation(ledger, o).status == obligations.LIVE  # still owed, still set off


def test_the_clock_works_a_bounded_number_a_block_earliest_first(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(obligations, "MAX_LAPSES_PER_BLOCK", 2)
    txs = [submit_tx(ledger, "core", "supplier", 1000 + i) for i in range(3)]
    ledger.block(*txs[:2])
    ledger.block(txs[2])
    ledger.block(advance_ms=31 * DAY_MS)
    lapsed = [obligation(ledger, payload_id(tx.payload)).status for tx in txs]
    assert lapsed == ["lapsed", "lapsed", "pending"]
    ledger.block()
    assert obligation(ledger, payload_id(txs[2].payload)).status == "lapsed"
    assert record(ledger).late_obligation_confirmations == 3


def test_a_set_off_plan_leaves_out_what_a_court_order_or_a_dispute_holds(
        ledger: Ledger) -> None:
    from node.setoff_plan import collect

    loop = [owe(ledger, "core", "supplier", 50_000), owe(ledger, "supplier", "supplier2", 50_000)]
    v = ledger.issue(50_000, creditor="supplier2", debtor="core")
    w = ledger.issue(50_000, creditor="supplier2", debtor="core")
    ids = {d.id for d in collect(ledger.store).debts}
    assert {*loop, v, w} <= ids
    raised(ledger, "obligation", loop[0])
    frozen(ledger, v, 50_000)
    raised(ledger, "voucher", w)
    ids = {d.id for d in collect(ledger.store).debts}
    assert loop[1] in ids and not {loop[0], v, w} & ids


# ------------------------------------------------------------------ oversight's list of disputes


def test_oversight_lists_every_dispute_open_or_resolved_by_status(ledger: Ledger) -> None:
    kept, dismissed_one = ledger.issue(FACE), ledger.issue(FACE)
    open_id = raised(ledger, "voucher", kept)
    closed_id = raised(ledger, "voucher", dismissed_one)
    ledger.block(resolve_tx(ledger, closed_id))
    every, after = supervision.every_dispute_page(ledger.store, None, 10)
    assert after is None and [d.id for d in every] == sorted([open_id, closed_id])
    assert [d.id for d in supervision.every_dispute_page(ledger.store, None, 10, "dismissed")[0]
            ] == [closed_id]
    assert [d.id for d in supervision.every_dispute_page(ledger.store, None, 10, "open")[0]
            ] == [open_id]
    assert supervision.every_dispute_page(ledger.store, None, 10, "upheld")[0] == []
    # the open index alone holds the open one
    assert [d.id for d in supervision.open_disputes(ledger.store)] == [open_id]


# ------------------------------------------------------------------ the alerts oversight reads
# (node/http/alerts.py's disputes and freezes sources, over this ledger's state)


def alert_query(ledger: Ledger, limit: int = 100) -> object:
    """What the alert sources read: the node's store and its head's time."""
    from types import SimpleNamespace

    from node.http.alerts import AlertQuery

    node = SimpleNamespace(store=ledger.store, chain=SimpleNamespace(
        head=SimpleNamespace(time_ms=ledger.time_ms)))
    return AlertQuery(node, None, limit, 50)  # type: ignore[arg-type]


def test_the_disputes_alert_names_each_kinds_debtor_amount_and_age(ledger: Ledger) -> None:
    from node.http.alerts import disputes
    from tests.test_credit_rules import applied

    application = applied(ledger, 70_000)
    owed = submit(ledger, "core", "supplier", 30_000)
    v = ledger.issue(FACE)
    ledger.block(transfer_tx(ledger, v, 300_000))
    ids = [raised(ledger, "application", application, party="supplier"),
           raised(ledger, "obligation", owed, party="core"),
           raised(ledger, "voucher", v, party="core")]
    ledger.block(advance_ms=3 * DAY_MS)
    found = disputes(alert_query(ledger))  # type: ignore[arg-type]
    assert found.complete
    assert [a["dispute"] for a in found.alerts] == [i.hex() for i in ids]  # oldest first
    assert [(a["dispute_kind"], a["subject"], a["amount_fen"]) for a in found.alerts] == [
        ("application", application.hex(), 70_000), ("obligation", owed.hex(), 30_000),
        ("voucher", v.hex(), FACE)]
    assert {a["debtor"] for a in found.alerts} == {ledger.addr("core").hex()}
    assert [a["member"] for a in found.alerts] == [
        ledger.addr(n).hex() for n in ("supplier", "core", "core")]
    assert all(a["age_days"] == 3 for a in found.alerts)
    bounded = disputes(alert_query(ledger, limit=2))  # type: ignore[arg-type]
    assert len(bounded.alerts) == 2 and not bounded.complete
    ledger.block(resolve_tx(ledger, ids[0]))
    assert len(disputes(alert_query(ledger)).alerts) == 2  # type: ignore[arg-type]


def test_the_freezes_alert_lists_orders_in_force_only(ledger: Ledger) -> None:
    from node.http.alerts import freezes

    v = ledger.issue(FACE)
    kept = frozen(ledger, v, 100_000)
    lifted = frozen(ledger, ledger.issue(FACE), FACE)
    ledger.block(unfreeze_tx(ledger, lifted.id))
    found = freezes(alert_query(ledger))  # type: ignore[arg-type]
    (alert,) = found.alerts
    assert found.complete and alert["subject"] == kept.id.hex()
    assert (alert["voucher"], alert["amount_fen"], alert["order_ref"], alert["authority"]) == (
        kept.voucher.hex(), 100_000, ORDER, ledger.addr("regulator").hex())
    assert (alert["member"], alert["debtor"]) == (kept.holder.hex(), kept.debtor.hex())
