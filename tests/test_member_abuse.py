"""One member cannot hurt another through the ledger's rules, and no block's work grows
without bound.

A suspended member signs nothing, whatever the operation: one rule, run before every
operation. A creditor that applies alone cannot spoil a debtor's record: the debtor
declines (not a late confirmation), and a creditor's pending applications and
obligations against one debtor are capped. Lapses, due dates and set-off deadlines are
worked off a bounded number per block, the rest in the next blocks. A signed
transaction lives a bounded number of blocks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import get_type_hints

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import (
    acquisition,
    documents,
    extension,
    fees,
    financing,
    issuance,
    membership,
    obligations,
    payment,
    pledge,
    redemption,
    setoff,
)
from contracts import transfer as transfers
from contracts.codec import Size, encode
from contracts.contract import (
    MAX_BLOCK_EVENTS,
    MAX_EVIDENCE_EVENTS,
    Event,
    Registry,
    contract_from_module,
    default_registry,
)
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.ledger import check_transaction, sign_transaction
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, payload_id
from contracts.vouchers import children_ids, get_debtor_record, get_voucher
from node.blocks import MAX_BLOCK_EVENTS_BYTES, MAX_BLOCK_EVIDENCE, MAX_EVENT_BYTES, BlockEvents
from node.store import Store
from tests.memledger import CHAIN, DAY_MS, Ledger
from tests.test_api_lifecycle import T0, World, terms
from wallet import cli, session

YEAR_MS = 365 * DAY_MS


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def suspend(ledger: Ledger, name: str) -> None:
    ledger.run("membership", "suspend",
               membership.Suspend(ledger.addr("agency"), ledger.addr(name), "under review"),
               "agency")


def reinstate(ledger: Ledger, name: str) -> None:
    ledger.run("membership", "reinstate",
               membership.Reinstate(ledger.addr("agency"), ledger.addr(name)), "agency")


# ------------------------------------------------------------------ builders


def apply_tx(ledger: Ledger, creditor: str = "supplier", debtor: str = "core",
             basis: str | None = None) -> Transaction:
    basis = basis or f"HT-{creditor}-{ledger.nonce}"
    terms = issuance.Terms(ledger.addr(debtor), 1_000_000, ledger.time_ms + YEAR_MS, True, False,
                           0, 0, basis, sha(basis))
    return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr(creditor), terms), creditor)


def applied(ledger: Ledger, creditor: str = "supplier", debtor: str = "core",
            basis: str | None = None) -> bytes:
    tx = apply_tx(ledger, creditor, debtor, basis)
    ledger.block(tx)
    return payload_id(tx.payload)


def decline_tx(ledger: Ledger, application: bytes, debtor: str = "core",
               reason: str = "no such delivery") -> Transaction:
    return ledger.tx("issuance", "decline",
                     issuance.Decline(ledger.addr(debtor), application, reason), debtor)


def submit_tx(ledger: Ledger, creditor: str = "supplier", debtor: str = "core",
              amount_fen: int = 500_000) -> Transaction:
    basis = f"INV-{ledger.nonce}"
    body = obligations.Submit(ledger.addr(creditor), ledger.addr(debtor), amount_fen,
                              ledger.time_ms + 90 * DAY_MS, basis, sha(basis))
    return ledger.tx("obligation", "submit", body, creditor)


def submitted(ledger: Ledger, creditor: str = "supplier", debtor: str = "core") -> bytes:
    tx = submit_tx(ledger, creditor, debtor)
    ledger.block(tx)
    return payload_id(tx.payload)


def owed(ledger: Ledger, creditor: str = "supplier", debtor: str = "core",
         amount_fen: int = 500_000) -> bytes:
    """A confirmed obligation."""
    tx = submit_tx(ledger, creditor, debtor, amount_fen)
    obligation = payload_id(tx.payload)
    ledger.block(tx, ledger.tx("obligation", "confirm",
                               obligations.Confirm(ledger.addr(debtor), obligation), debtor))
    return obligation


def loop_round(ledger: Ledger, amount_fen: int = 100_000,
               deadline_ms: int = 2 * DAY_MS) -> bytes:
    """An open set-off round over a loop core → supplier → supplier2 → core."""
    legs = [owed(ledger, "supplier", "core", amount_fen),
            owed(ledger, "supplier2", "supplier", amount_fen),
            owed(ledger, "core", "supplier2", amount_fen)]
    reductions = tuple(setoff.Reduction("obligation", i, amount_fen) for i in sorted(legs))
    return propose(ledger, reductions, deadline_ms)


def propose(ledger: Ledger, reductions: tuple[setoff.Reduction, ...],
            deadline_ms: int = 2 * DAY_MS) -> bytes:
    cleared = sum(r.amount_fen for r in reductions)
    return ledger.run("setoff", "propose", setoff.Propose(
        ledger.addr("agency"), reductions, ledger.time_ms + deadline_ms, cleared, 0), "agency")


# ------------------------------------------------------------------ suspended members sign nothing


@dataclass(frozen=True)
class Case:
    """An operation `signer` signs; `prepare` builds what it acts on and returns a maker of
    the transaction (a fresh one each call)."""

    operation: str
    signer: str
    prepare: Callable[[Ledger], Callable[[], Transaction]]


def _obligation_pair(ledger: Ledger, op: str, creditor: str, debtor: str,
                     body: Callable[[bytes], object], *signers: str,
                     confirmed: bool = True) -> Callable[[], Transaction]:
    make_one = owed if confirmed else submitted

    def make() -> Transaction:
        # Each attempt acts on an obligation of its own, so the one refused stays untouched.
        obligation = make_one(ledger, creditor, debtor)
        return ledger.tx("obligation", op, body(obligation), *signers)
    return make


def _voucher_op(op_contract: str, op: str, body: Callable[[Ledger, bytes], object],
                *signers: str) -> Callable[[Ledger], Callable[[], Transaction]]:
    def prepare(ledger: Ledger) -> Callable[[], Transaction]:
        def make() -> Transaction:
            voucher = ledger.issue(1_000_000)
            return ledger.tx(op_contract, op, body(ledger, voucher), *signers)
        return make
    return prepare


def _offered(ledger: Ledger) -> bytes:
    """A transfer the supplier offered supplier2, waiting for it to sign."""
    voucher = ledger.issue(1_000_000)
    return ledger.run("transfer", "offer", transfers.Offer(
        A(ledger, "supplier"), voucher, A(ledger, "supplier2"), 1_000, None, "TC-1", 7),
        "supplier")


def _pledged(ledger: Ledger) -> bytes:
    voucher = ledger.issue(1_000_000)
    tx = ledger.tx("pledge", "create", pledge.Create(
        ledger.addr("supplier"), ledger.addr("bank"), voucher, 1_000_000,
        ledger.time_ms + 90 * DAY_MS, "LOAN-1", 800_000, 400, None), "supplier", "bank")
    ledger.block(tx)
    return payload_id(tx.payload)


def _offer(ledger: Ledger) -> bytes:
    return ledger.run("redemption", "publish", redemption.Publish(
        ledger.addr("core"), "consumption", "canteen vouchers", 100_000), "core")


def _request(ledger: Ledger) -> bytes:
    offer = _offer(ledger)
    voucher = ledger.issue(1_000_000)
    return ledger.run("redemption", "request", redemption.Ask(
        ledger.addr("supplier"), voucher, offer, 100_000, None), "supplier")


def _commitment(ledger: Ledger) -> bytes:
    voucher = ledger.issue(1_000_000)
    return ledger.run("acquisition", "commit", acquisition.Commit(
        ledger.addr("acquirer"), ledger.addr("supplier"), voucher, 9_500,
        ledger.time_ms + 30 * DAY_MS, ledger.time_ms + 60 * DAY_MS, "terms"),
        "acquirer", "supplier")


def _attach(ledger: Ledger) -> Transaction:
    plaintext = f"invoice {ledger.nonce}".encode()
    parties = (ledger.addr("supplier"), ledger.addr("core"))
    body = documents.attach_body(ledger.keys["supplier"], plaintext, "invoice", parties,
                                 documents.readers_for(ledger.store, tuple(sorted(parties))))
    return ledger.tx("document", "attach", body, "supplier")


def _round_op(op: str, member: str) -> Callable[[Ledger], Callable[[], Transaction]]:
    def prepare(ledger: Ledger) -> Callable[[], Transaction]:
        def make() -> Transaction:
            round_id = loop_round(ledger)
            body = (setoff.Consent(ledger.addr(member), round_id) if op == "consent"
                    else setoff.Refuse(ledger.addr(member), round_id, "not now"))
            return ledger.tx("setoff", op, body, member)
        return make
    return prepare


A = Ledger.addr
CASES = [
    Case("obligation.submit", "supplier", lambda lg: lambda: submit_tx(lg)),
    Case("obligation.confirm", "core", lambda lg: _obligation_pair(
        lg, "confirm", "supplier", "core",
        lambda o: obligations.Confirm(A(lg, "core"), o), "core", confirmed=False)),
    Case("obligation.decline", "core", lambda lg: _obligation_pair(
        lg, "decline", "supplier", "core",
        lambda o: obligations.Decline(A(lg, "core"), o, "not ours"), "core", confirmed=False)),
    Case("obligation.retract", "supplier", lambda lg: _obligation_pair(
        lg, "retract", "supplier", "core",
        lambda o: obligations.Retract(A(lg, "supplier"), o), "supplier", confirmed=False)),
    Case("obligation.settle", "core", lambda lg: _obligation_pair(
        lg, "settle", "supplier", "core",
        lambda o: obligations.Settle(A(lg, "supplier"), A(lg, "core"), o, "wire 1"),
        "supplier", "core")),
    Case("obligation.reduce", "supplier", lambda lg: _obligation_pair(
        lg, "reduce", "supplier", "core",
        lambda o: obligations.Reduce(A(lg, "supplier"), A(lg, "core"), o, 1, "discount"),
        "supplier", "core")),
    Case("obligation.withdraw", "core", lambda lg: _obligation_pair(
        lg, "withdraw", "supplier", "core",
        lambda o: obligations.Withdraw(A(lg, "supplier"), A(lg, "core"), o, "error"),
        "supplier", "core")),
    Case("issuance.apply", "supplier", lambda lg: lambda: apply_tx(lg)),
    Case("issuance.confirm", "core", lambda lg: lambda: lg.tx(
        "issuance", "confirm", issuance.Confirm(A(lg, "core"), applied(lg)), "core")),
    Case("issuance.decline", "core", lambda lg: lambda: decline_tx(lg, applied(lg))),
    Case("issuance.withdraw", "supplier", lambda lg: lambda: lg.tx(
        "issuance", "withdraw", issuance.Withdraw(A(lg, "supplier"), applied(lg)),
        "supplier")),
    Case("transfer.transfer", "supplier", _voucher_op(
        "transfer", "transfer", lambda lg, v: transfers.Transfer(
            A(lg, "supplier"), v, A(lg, "supplier2"), 1_000, None, "TC-1"),
        "supplier", "supplier2")),
    Case("transfer.offer", "supplier", _voucher_op(
        "transfer", "offer", lambda lg, v: transfers.Offer(
            A(lg, "supplier"), v, A(lg, "supplier2"), 1_000, None, "TC-1", 7), "supplier")),
    Case("transfer.sign", "supplier2", lambda lg: lambda: lg.tx(
        "transfer", "sign", transfers.Sign(A(lg, "supplier2"), _offered(lg)), "supplier2")),
    Case("transfer.refuse", "supplier2", lambda lg: lambda: lg.tx(
        "transfer", "refuse", transfers.Refuse(A(lg, "supplier2"), _offered(lg), "no"),
        "supplier2")),
    Case("transfer.withdraw", "supplier", lambda lg: lambda: lg.tx(
        "transfer", "withdraw", transfers.Withdraw(A(lg, "supplier"), _offered(lg)),
        "supplier")),
    Case("transfer.split", "supplier", _voucher_op(
        "transfer", "split", lambda lg, v: transfers.Split(
            A(lg, "supplier"), v, (1_000, 999_000), None), "supplier")),
    Case("payment.pay", "merchant", _voucher_op(
        "payment", "pay", lambda lg, v: payment.Pay(
            A(lg, "supplier"), v, A(lg, "merchant"), 1_000, "order 7", None),
        "supplier", "merchant")),
    Case("pledge.create", "bank", _voucher_op(
        "pledge", "create", lambda lg, v: pledge.Create(
            A(lg, "supplier"), A(lg, "bank"), v, 500_000, lg.time_ms + 90 * DAY_MS, "LOAN-2",
            400_000, 400, None),
        "supplier", "bank")),
    Case("pledge.release", "bank", lambda lg: lambda: lg.tx(
        "pledge", "release", pledge.Release(A(lg, "bank"), _pledged(lg)), "bank")),
    Case("acquisition.commit", "acquirer", _voucher_op(
        "acquisition", "commit", lambda lg, v: acquisition.Commit(
            A(lg, "acquirer"), A(lg, "supplier"), v, 9_500, lg.time_ms + 30 * DAY_MS,
            lg.time_ms + 60 * DAY_MS, "terms"), "acquirer", "supplier")),
    Case("acquisition.withdraw", "acquirer", lambda lg: lambda: lg.tx(
        "acquisition", "withdraw", acquisition.Withdraw(A(lg, "acquirer"), _commitment(lg)),
        "acquirer")),
    Case("redemption.publish", "core", lambda lg: lambda: lg.tx(
        "redemption", "publish", redemption.Publish(A(lg, "core"), "asset", "a flat", 10, "FC-1"),
        "core")),
    Case("redemption.change", "core", lambda lg: lambda: lg.tx(
        "redemption", "change", redemption.Change(A(lg, "core"), _offer(lg), "dearer", 200),
        "core")),
    Case("redemption.withdraw_offer", "core", lambda lg: lambda: lg.tx(
        "redemption", "withdraw_offer", redemption.WithdrawOffer(A(lg, "core"), _offer(lg)),
        "core")),
    Case("redemption.request", "supplier", lambda lg: lambda: lg.tx(
        "redemption", "request", redemption.Ask(
            A(lg, "supplier"), lg.issue(1_000_000), _offer(lg), 100_000, None), "supplier")),
    Case("redemption.accept", "core", lambda lg: lambda: lg.tx(
        "redemption", "accept", redemption.Accept(A(lg, "core"), _request(lg), "", ""),
        "core")),
    Case("redemption.decline", "core", lambda lg: lambda: lg.tx(
        "redemption", "decline", redemption.Decline(A(lg, "core"), _request(lg), "no stock"),
        "core")),
    Case("redemption.cancel", "supplier", lambda lg: lambda: lg.tx(
        "redemption", "cancel", redemption.Cancel(A(lg, "supplier"), _request(lg)),
        "supplier")),
    Case("setoff.consent", "supplier2", _round_op("consent", "supplier2")),
    Case("setoff.refuse", "supplier2", _round_op("refuse", "supplier2")),
    Case("setoff.set_limit", "supplier", lambda lg: lambda: lg.tx(
        "setoff", "set_limit", setoff.SetLimit(A(lg, "supplier"), False, 5_000), "supplier")),
    Case("document.attach", "supplier", lambda lg: lambda: _attach(lg)),
    Case("fees.set_schedule", "agency2", lambda lg: lambda: lg.tx(
        "fees", "set_schedule", fees.SetSchedule(A(lg, "agency2"), 3, 3), "agency2")),
    Case("membership.suspend", "agency2", lambda lg: lambda: lg.tx(
        "membership", "suspend", membership.Suspend(A(lg, "agency2"), A(lg, "bank2"), "check"),
        "agency2")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.operation for c in CASES])
def test_suspended_member_cannot_sign(case: Case) -> None:
    """README: a suspended member cannot sign anything. Refused with `membership.suspended`
    (nothing changes), and the very same operation passes once the member is reinstated."""
    ledger = Ledger()
    make = case.prepare(ledger)
    tx = make()  # everything it acts on is on the ledger now
    suspend(ledger, case.signer)
    assert ledger.refused(tx) == "membership.suspended"
    reinstate(ledger, case.signer)
    ledger.block(tx)


def test_suspended_member_cannot_settle_obligation() -> None:
    """The issue's example: a suspended debtor co-signed a settlement and it went through."""
    ledger = Ledger()
    obligation = owed(ledger)
    suspend(ledger, "core")
    settle = ledger.tx("obligation", "settle", obligations.Settle(
        ledger.addr("supplier"), ledger.addr("core"), obligation, "wire 1"), "supplier", "core")
    assert ledger.refused(settle) == "membership.suspended"
    found = obligations.get_obligation(ledger.store, obligation)
    assert found is not None and found.status == "confirmed"


def test_admission_is_cosigned_by_a_key_that_is_not_yet_a_member() -> None:
    ledger = Ledger()
    newcomer = KeyPair.generate()
    tx = ledger.tx("membership", "admit", membership.Admit(
        ledger.addr("agency"), newcomer.address, "newcomer", ("enterprise",),
        ledger.identity(), ()), "agency")
    ledger.block(sign_transaction(tx, newcomer))
    member = membership.get_member(ledger.store, newcomer.address)
    assert member is not None and member.status == "active"


def test_a_suspended_member_is_reinstated_by_the_agency_alone_and_signs_again() -> None:
    ledger = Ledger()
    suspend(ledger, "supplier")
    assert ledger.refused(apply_tx(ledger)) == "membership.suspended"
    reinstate(ledger, "supplier")
    ledger.block(apply_tx(ledger))


# ------------------------------------------------------------------ a debtor declines


def test_debtor_declines_bogus_application_without_late_mark() -> None:
    ledger = Ledger()
    debtor = ledger.addr("core")
    bogus = [applied(ledger, basis=f"FAKE-{i}") for i in range(50)]
    events = ledger.block(*(decline_tx(ledger, a, reason=f"never delivered {i}")
                            for i, a in enumerate(bogus)))
    assert {(e.kind, e.parties) for e in events} == {
        ("application.declined", tuple(sorted((ledger.addr("supplier"), debtor))))}
    for i, application_id in enumerate(bogus):
        found = issuance.get_application(ledger.store, application_id)
        assert found is not None
        assert (found.status, found.reason, found.decided_at_ms) == (
            "declined", f"never delivered {i}", ledger.time_ms)
    ledger.block(advance_ms=issuance.CONFIRMATION_WINDOW_MS + DAY_MS)  # nothing left to lapse
    record = get_debtor_record(ledger.store, debtor)
    assert (record.late_confirmations, record.confirmations) == (0, 0)
    # The basis document is free again: a genuine application on it goes through.
    again = applied(ledger, basis="FAKE-0")
    assert issuance.get_application(ledger.store, again).status == "applied"


def test_undeclined_applications_still_lapse_as_late_confirmations() -> None:
    ledger = Ledger()
    applied(ledger)
    ledger.block(advance_ms=issuance.CONFIRMATION_WINDOW_MS + DAY_MS)
    assert get_debtor_record(ledger.store, ledger.addr("core")).late_confirmations == 1


def test_only_the_debtor_declines_and_only_while_the_application_waits_for_it() -> None:
    ledger = Ledger()
    application = applied(ledger)
    assert ledger.refused(decline_tx(ledger, application, debtor="supplier2")) == \
        "issuance.not_debtor"
    ledger.block(ledger.tx("issuance", "confirm",
                           issuance.Confirm(ledger.addr("core"), application), "core"))
    assert ledger.refused(decline_tx(ledger, application)) == \
        "issuance.not_awaiting_confirmation"
    late = applied(ledger)
    assert ledger.refused(decline_tx(ledger, late),
                          advance_ms=issuance.CONFIRMATION_WINDOW_MS + 1) == \
        "issuance.confirmation_lapsed"
    with pytest.raises(LedgerError) as refused:
        ledger.tx("issuance", "decline", issuance.Decline(ledger.addr("core"), late, ""), "core")
    assert refused.value.code == "codec.size"  # a decline gives its reason


def test_creditor_cannot_flood_a_debtor_with_applications() -> None:
    ledger = Ledger()
    cap = issuance.MAX_PENDING_PER_DEBTOR
    waiting = [apply_tx(ledger) for _ in range(cap)]
    ledger.block(*waiting)
    assert ledger.refused(apply_tx(ledger)) == "issuance.too_many_pending"
    # Other creditors and other debtors are not affected.
    ledger.block(apply_tx(ledger, creditor="supplier2"), apply_tx(ledger, debtor="supplier3"))
    # Each answer of the debtor frees a place: a decline, a confirmation.
    ledger.block(decline_tx(ledger, payload_id(waiting[0].payload)))
    ledger.block(apply_tx(ledger))
    assert ledger.refused(apply_tx(ledger)) == "issuance.too_many_pending"
    ledger.block(ledger.tx("issuance", "confirm", issuance.Confirm(
        ledger.addr("core"), payload_id(waiting[1].payload)), "core"))
    ledger.block(apply_tx(ledger))
    # So does the creditor's own withdrawal, and a lapse.
    ledger.block(ledger.tx("issuance", "withdraw", issuance.Withdraw(
        ledger.addr("supplier"), payload_id(waiting[2].payload)), "supplier"))
    ledger.block(apply_tx(ledger))
    assert ledger.refused(apply_tx(ledger)) == "issuance.too_many_pending"
    ledger.block(advance_ms=issuance.CONFIRMATION_WINDOW_MS + DAY_MS)
    assert issuance.pending_count(ledger.store, ledger.addr("supplier"), ledger.addr("core")) \
        == 0
    ledger.block(apply_tx(ledger))


def test_creditor_cannot_flood_a_debtor_with_obligations() -> None:
    ledger = Ledger()
    cap = obligations.MAX_PENDING_PER_DEBTOR
    waiting = [submit_tx(ledger) for _ in range(cap)]
    ledger.block(*waiting)
    assert ledger.refused(submit_tx(ledger)) == "obligation.too_many_pending"
    ledger.block(submit_tx(ledger, creditor="supplier2"))
    ledger.block(ledger.tx("obligation", "decline", obligations.Decline(
        ledger.addr("core"), payload_id(waiting[0].payload), "not ours"), "core"))
    ledger.block(submit_tx(ledger))
    assert ledger.refused(submit_tx(ledger)) == "obligation.too_many_pending"
    ledger.block(ledger.tx("obligation", "retract", obligations.Retract(
        ledger.addr("supplier"), payload_id(waiting[1].payload)), "supplier"))
    ledger.block(submit_tx(ledger))
    # A confirmed obligation no longer waits for the debtor.
    ledger.block(ledger.tx("obligation", "confirm", obligations.Confirm(
        ledger.addr("core"), payload_id(waiting[2].payload)), "core"))
    assert obligations.pending_count(ledger.store, ledger.addr("supplier"),
                                     ledger.addr("core")) == cap - 1


OBLIGATION_STEPS = st.lists(st.tuples(
    st.sampled_from(["submit", "confirm", "decline", "retract", "settle"]),
    st.sampled_from(["supplier", "supplier2"]), st.integers(0, 7)), max_size=30)


def obligation_step(ledger: Ledger, op: str, creditor: str, target: bytes) -> Transaction:
    me, core = ledger.addr(creditor), ledger.addr("core")
    if op == "submit":
        return submit_tx(ledger, creditor)
    if op == "confirm":
        return ledger.tx("obligation", "confirm", obligations.Confirm(core, target), "core")
    if op == "decline":
        return ledger.tx("obligation", "decline", obligations.Decline(core, target, "no"),
                         "core")
    if op == "retract":
        return ledger.tx("obligation", "retract", obligations.Retract(me, target), creditor)
    return ledger.tx("obligation", "settle", obligations.Settle(me, core, target, "wire"),
                     creditor, "core")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=OBLIGATION_STEPS)
def test_pending_obligations_are_counted_exactly(steps: list[tuple[str, str, int]]) -> None:
    """The count a creditor's submissions are capped by is its obligations still waiting
    for the debtor, whatever happened to the others."""
    ledger = Ledger()
    ids: list[bytes] = []
    core = ledger.addr("core")
    for op, creditor, pick in steps:
        target = ids[pick % len(ids)] if ids else bytes(32)
        tx = obligation_step(ledger, op, creditor, target)
        try:
            ledger.block(tx)
        except LedgerError:
            ledger.height -= 1
            ledger.time_ms -= 1000
            continue
        if op == "submit":
            ids.append(payload_id(tx.payload))
    for creditor in ("supplier", "supplier2"):
        waiting = [i for i in ids if (o := obligations.get_obligation(ledger.store, i))
                   and o.creditor == ledger.addr(creditor) and o.status == "pending"]
        assert obligations.pending_count(ledger.store, ledger.addr(creditor), core) == \
            len(waiting)


def test_holder_cannot_flood_a_debtor_with_redemption_requests() -> None:
    ledger = Ledger()
    cap = redemption.MAX_OPEN_PER_DEBTOR
    issued = ledger.issue(256_000)
    ledger.block(ledger.tx("transfer", "split", transfers.Split(
        ledger.addr("supplier"), issued, (16_000,) * 16, None), "supplier"))
    sixteen = children_ids(ledger.store, issued)
    ledger.block(*(ledger.tx("transfer", "split", transfers.Split(
        ledger.addr("supplier"), p, (1_000,) * 16, None), "supplier") for p in sixteen))
    parts = [c for p in sixteen for c in children_ids(ledger.store, p)]
    offer = _offer(ledger)

    def ask(part: bytes, holder: str = "supplier") -> Transaction:
        return ledger.tx("redemption", "request", redemption.Ask(
            ledger.addr(holder), part, offer, 100, None), holder)

    asks = [ask(p) for p in parts[:cap]]
    ledger.block(*asks)
    assert ledger.refused(ask(parts[cap])) == "redemption.too_many_open"
    # Another holder is not affected.
    ledger.block(ledger.tx("transfer", "transfer", transfers.Transfer(
        ledger.addr("supplier"), parts[cap + 1], ledger.addr("supplier2"), 1_000, None, "TC-1"),
        "supplier", "supplier2"))
    moved = children_ids(ledger.store, parts[cap + 1])[0]
    ledger.block(ask(moved, "supplier2"))
    # A cancellation, a decline or an acceptance frees a place.
    first, second, third = (payload_id(tx.payload) for tx in asks[:3])
    ledger.block(ledger.tx("redemption", "cancel", redemption.Cancel(
        ledger.addr("supplier"), first), "supplier"))
    ledger.block(ask(parts[cap]))
    ledger.block(ledger.tx("redemption", "decline", redemption.Decline(
        ledger.addr("core"), second, "sold out"), "core"))
    ledger.block(ledger.tx("redemption", "accept", redemption.Accept(
        ledger.addr("core"), third, "", ""), "core"))
    assert redemption.open_count(ledger.store, ledger.addr("supplier"), ledger.addr("core")) \
        == cap - 2


# ------------------------------------------------------------------ bounded end-of-block work


def test_lapse_wave_is_carried_over_across_blocks() -> None:
    ledger = Ledger()
    bound = issuance.MAX_LAPSES_PER_BLOCK
    creditors = ["supplier", "supplier2", "supplier3", "bank", "bank2", "merchant"]
    assert len(creditors) * issuance.MAX_PENDING_PER_DEBTOR >= bound + 5
    wave: list[bytes] = []
    for creditor in creditors:
        count = min(issuance.MAX_PENDING_PER_DEBTOR, bound + 5 - len(wave))
        txs = [apply_tx(ledger, creditor=creditor) for _ in range(count)]
        ledger.block(*txs)
        wave += [payload_id(tx.payload) for tx in txs]
    assert len(wave) == bound + 5

    def lapsed() -> int:
        return sum(issuance.get_application(ledger.store, a).status == "lapsed" for a in wave)

    events = ledger.block(advance_ms=issuance.CONFIRMATION_WINDOW_MS + DAY_MS)
    # Every deadline has passed, but one block lapses only `bound` of them.
    assert all(issuance.get_application(ledger.store, a).confirm_by_ms < ledger.time_ms
               for a in wave)
    assert [e.kind for e in events] == ["application.lapsed"] * bound
    assert lapsed() == bound
    # The five left over cannot be answered any more: their 30 days are over.
    rest = [a for a in wave if issuance.get_application(ledger.store, a).status == "applied"]
    assert set(rest) == set(wave[-5:])  # earliest deadline first: these came last
    assert ledger.refused(decline_tx(ledger, rest[0])) == "issuance.confirmation_lapsed"
    events = ledger.block()
    assert sorted(e.subject for e in events) == sorted(rest)
    assert lapsed() == bound + 5
    assert get_debtor_record(ledger.store, ledger.addr("core")).late_confirmations == bound + 5
    assert ledger.block() == []


def test_due_date_wave_is_carried_over_across_blocks() -> None:
    ledger = Ledger()
    bound = extension.MAX_PER_BLOCK
    due_in_ms = 30 * DAY_MS
    assert bound == 1_000  # a block's worth of work, not 100,000
    parts: list[bytes] = []
    for _ in range(4):  # 4 issued vouchers in 16 × 16 parts each: 1,024 parts
        issued = ledger.issue(256_000, due_in_ms=due_in_ms)
        ledger.block(ledger.tx("transfer", "split", transfers.Split(
            ledger.addr("supplier"), issued, (16_000,) * 16, None), "supplier"))
        sixteen = children_ids(ledger.store, issued)
        ledger.block(*(ledger.tx("transfer", "split", transfers.Split(
            ledger.addr("supplier"), p, (1_000,) * 16, None), "supplier") for p in sixteen))
        for p in sixteen:
            parts += children_ids(ledger.store, p)
    assert len(parts) == bound + 24
    latest_due = max(get_voucher(ledger.store, p).due_ms for p in parts)
    events = ledger.block(advance_ms=latest_due - ledger.time_ms + 1)
    assert [e.kind for e in events] == ["voucher.overdue"] * bound
    events = ledger.block()
    assert [e.kind for e in events] == ["voucher.overdue"] * 24
    assert all(get_voucher(ledger.store, p).overdue_since_ms is not None for p in parts)
    assert get_debtor_record(ledger.store, ledger.addr("core")).overdue_vouchers == 4
    assert ledger.block() == []


def test_set_off_deadline_wave_is_carried_over_across_blocks() -> None:
    ledger = Ledger()
    bound = setoff.MAX_LAPSES_PER_BLOCK
    assert bound == 100  # each round frees up to 512 debt locks when it lapses
    amount_fen = 100_000
    loops = [(submit_tx(ledger, "supplier", "core", amount_fen),
              submit_tx(ledger, "supplier2", "supplier", amount_fen),
              submit_tx(ledger, "core", "supplier2", amount_fen)) for _ in range(bound + 1)]
    debtor_of = {"supplier": "core", "supplier2": "supplier", "core": "supplier2"}
    confirms = [ledger.tx("obligation", "confirm", obligations.Confirm(
        ledger.addr(debtor_of[name]), payload_id(tx.payload)), debtor_of[name])
        for loop in loops for name, tx in zip(debtor_of, loop, strict=True)]
    ledger.block(*(tx for loop in loops for tx in loop), *confirms)
    deadline_ms = ledger.time_ms + DAY_MS
    proposals = [ledger.tx("setoff", "propose", setoff.Propose(
        ledger.addr("agency"),
        tuple(setoff.Reduction("obligation", i, amount_fen)
              for i in sorted(payload_id(tx.payload) for tx in loop)),
        deadline_ms, 3 * amount_fen, 0), "agency")
        for loop in loops]
    ledger.block(*proposals)
    rounds = [payload_id(tx.payload) for tx in proposals]
    assert len(setoff.open_round_ids(ledger.store)) == bound + 1
    events = ledger.block(advance_ms=2 * DAY_MS)
    assert [e.kind for e in events] == ["setoff.lapsed"] * bound
    events = ledger.block()
    assert [e.kind for e in events] == ["setoff.lapsed"]
    assert all(setoff.get_round(ledger.store, r).status == "lapsed" for r in rounds)
    assert setoff.open_round_ids(ledger.store) == []


def test_end_of_block_steps_declare_bounds_within_the_block_record() -> None:
    registry = default_registry()
    steps = {c.name: c.max_end_block_events for c in registry.by_key.values() if c.end_block}
    assert steps == {"extension": 2 * extension.MAX_PER_BLOCK,
                     "issuance": issuance.MAX_LAPSES_PER_BLOCK,
                     "setoff": setoff.MAX_LAPSES_PER_BLOCK,
                     "financing": financing.MAX_LAPSES_PER_BLOCK,
                     "transfer": transfers.MAX_LAPSES_PER_BLOCK,
                     "obligation": obligations.MAX_LAPSES_PER_BLOCK
                     + obligations.MAX_OVERDUE_PER_BLOCK}
    # The evidence a block carries records one event each, beside the contracts' steps.
    assert MAX_BLOCK_EVIDENCE == MAX_EVIDENCE_EVENTS
    assert sum(steps.values()) + MAX_EVIDENCE_EVENTS <= MAX_BLOCK_EVENTS
    assert extension.MAX_PER_BLOCK <= 1_000


def test_a_registry_whose_end_of_block_steps_could_overflow_the_block_record_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Bounds that fill the record all by themselves leave no room for a block's evidence.
    monkeypatch.setattr(issuance, "MAX_END_BLOCK_EVENTS",
                        MAX_BLOCK_EVENTS - MAX_EVIDENCE_EVENTS + 1)
    with pytest.raises(AssertionError, match="end-of-block steps may emit"):
        Registry([contract_from_module(m) for m in (issuance, extension)])


# ------------------------------------------------------------------ a bounded validity window


def check_code(ledger: Ledger, tx: Transaction, next_height: int) -> str | None:
    try:
        check_transaction(ledger.registry, CHAIN, encode(tx), next_height)
    except LedgerError as e:
        return e.code
    return None


def test_expiry_far_in_future_is_refused() -> None:
    ledger = Ledger()
    body = issuance.Withdraw(ledger.addr("supplier"), bytes(32))
    for expiry, code in [
        (2**64 - 1, "tx.expiry_too_far"),
        (11 + MAX_VALIDITY_BLOCKS, "tx.expiry_too_far"),
        (10 + MAX_VALIDITY_BLOCKS, None),
        (10, None),
    ]:
        tx = ledger.tx("issuance", "withdraw", body, "supplier", expiry_height=expiry)
        assert check_code(ledger, tx, next_height=10) == code, expiry


# ------------------------------------------------------------------ the end-of-block record


def test_largest_end_of_block_record_reads_back(tmp_path: Path) -> None:
    # The bound it is written with, read from the record type itself.
    (size,) = [a for a in get_type_hints(BlockEvents, include_extras=True)["events"]
               .__metadata__ if isinstance(a, Size)]
    largest = Event("\U0010ffff" * 64, bytes(32), tuple(bytes([i]) * 32 for i in range(64)))
    assert len(encode(largest)) == MAX_EVENT_BYTES
    assert size.hi * MAX_EVENT_BYTES < MAX_BLOCK_EVENTS_BYTES  # before building it at all
    record = BlockEvents(1, (largest,) * size.hi)
    assert len(encode(record)) <= MAX_BLOCK_EVENTS_BYTES
    store = Store(tmp_path / "ledger")
    try:
        # The record as commit_block writes it (its events' copies addressed to each party
        # are other keys, each one small).
        store.db.put(b"e/" + (1).to_bytes(8, "big"), encode(record))
        assert store.block_events(1) == record
    finally:
        store.close()


# ------------------------------------------------------------------ the wallet


class FakeNode:
    """Just enough of the node's API for the wallet to draft a transaction."""

    def __init__(self, node: str = "", **options: object) -> None:  # as Client(...)
        self.node = node

    def status(self) -> dict:
        return {"chain_id": "claimledger-test", "height": 7}


def test_wallet_drafts_a_debtors_decline_with_its_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "Client", FakeNode)  # the Wallet makes its client there
    monkeypatch.setenv("CLAIMLEDGER_PASSPHRASE", "test passphrase")
    debtor = KeyPair.generate()
    key_file = tmp_path / "core.json"
    cli.write_key_store(key_file, debtor, "core")
    application = bytes(range(32))
    draft = tmp_path / "decline.json"
    result = CliRunner().invoke(cli.main, [
        "--node", "http://127.0.0.1:9", "--key", str(key_file), "--json", "decline",
        application.hex(), "--reason", "never delivered", "--out", str(draft)])
    assert result.exit_code == 0, result.output
    tx = cli.Wallet("http://127.0.0.1:9", None, False).read_draft(draft)
    assert (tx.payload.contract.name, tx.payload.operation) == ("issuance", "decline")
    assert tx.payload.body == encode(issuance.Decline(debtor.address, application,
                                                      "never delivered"))
    assert tx.payload.expiry_height == 7 + cli.DRAFT_EXPIRY_BLOCKS
    # A transaction submitted at once lives a short while; none beyond the ledger's window.
    wallet = cli.Wallet("http://127.0.0.1:9", None, False)
    direct = wallet.new_transaction("issuance", "decline", issuance.Decline(
        debtor.address, application, "never delivered"), None)
    assert direct.payload.expiry_height == 7 + cli.SUBMIT_EXPIRY_BLOCKS
    too_far = CliRunner().invoke(cli.main, [
        "--node", "http://127.0.0.1:9", "--key", str(key_file), "decline", application.hex(),
        "--reason", "x", "--expires-in", str(MAX_VALIDITY_BLOCKS + 1), "--out",
        str(tmp_path / "far.json")])
    assert too_far.exit_code == 2 and "--expires-in" in too_far.output


# ------------------------------------------------------------------ through a node's API


def test_node_shows_a_declined_application_and_refuses_what_the_rules_refuse(
        tmp_path: Path) -> None:
    w = World(tmp_path)  # an in-process node with its HTTP API
    try:
        application = w.tx("issuance", "apply", issuance.Apply(
            w.addr("supplier"), terms(w, 1_000_000, T0 + 90 * DAY_MS, "FAKE-1")), "supplier")
        w.block(T0 + 1_000, application)
        w.block(T0 + 2_000, w.tx("issuance", "decline", issuance.Decline(
            w.addr("core"), payload_id(application.payload), "no such delivery"), "core"))
        found = w.ok(f"/v1/applications/{payload_id(application.payload).hex()}")
        assert (found["status"], found["reason"], found["decided_at_ms"]) == (
            "declined", "no such delivery", T0 + 2_000)
        listed = w.ok("/v1/applications", debtor=w.hex("core"))["applications"]
        assert [a["status"] for a in listed] == ["declined"]
        assert w.ok(f"/v1/debtors/{w.hex('core')}")["late_confirmations"] == 0

        w.block(T0 + 3_000, w.tx("membership", "suspend", membership.Suspend(
            w.addr("agency"), w.addr("supplier"), "under review"), "agency"))
        again = w.tx("issuance", "apply", issuance.Apply(
            w.addr("supplier"), terms(w, 1_000_000, T0 + 90 * DAY_MS, "FAKE-1")), "supplier")
        with pytest.raises(LedgerError) as refused:
            w.node.mempool.submit(encode(again), T0 + 4_000)
        assert refused.value.code == "membership.suspended"
        far = w.tx("issuance", "apply", issuance.Apply(
            w.addr("core"), terms(w, 1, T0 + 90 * DAY_MS, "FAR")), "core")
        far = Transaction(replace(far.payload, expiry_height=2**64 - 1), ())
        far = sign_transaction(far, w.keys["core"])

        async def post() -> tuple[int, dict]:
            response = await w.client.post("/v1/txs", json={"tx": encode(far).hex()})
            return response.status, await response.json()

        status, document = w.loop.run_until_complete(post())
        assert (status, document["error"]["code"]) == (400, "tx.expiry_too_far")
    finally:
        w.close()
