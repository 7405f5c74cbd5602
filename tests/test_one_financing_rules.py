"""One debt, one financing (§002-(十四): 重复抵质押, 重复融资): a basis contract backs one
voucher or one obligation, an asset offered is sold once, a title certificate number is
offered once, and a pledged claim stays out of redemption and set-off until released.
Each rule's accepted path, each refusal by its code, and each way a basis is freed."""

from __future__ import annotations

import pytest

from contracts import basis, issuance, obligations, pledge, redemption
from contracts.codec import sha256
from contracts.errors import LedgerError
from contracts.issuance import CONFIRMATION_WINDOW_MS
from contracts.tx import Transaction, payload_id
from contracts.vouchers import get_voucher, issued_voucher_id
from tests.memledger import DAY_MS, Ledger
from tests.test_setoff_rules import consent_tx, pledge_tx, propose_tx, triangle

REF = "HT-2027-0042"
DOC = sha256(b"the purchase contract, signed")
OTHER_DOC = sha256(b"the purchase contract, amended")


# ------------------------------------------------------------------ helpers


def apply_tx(ledger: Ledger, ref: str = REF, digest: bytes = DOC, creditor: str = "supplier",
             debtor: str = "core") -> Transaction:
    terms = issuance.Terms(ledger.addr(debtor), 1_000_000, ledger.time_ms + 365 * DAY_MS, True,
                           True, 0, 0, ref, digest)
    return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr(creditor), terms),
                     creditor)


def applied(ledger: Ledger, ref: str = REF, digest: bytes = DOC) -> bytes:
    tx = apply_tx(ledger, ref, digest)
    ledger.block(tx)
    return payload_id(tx.payload)


def confirm_tx(ledger: Ledger, application: bytes) -> Transaction:
    return ledger.tx("issuance", "confirm",
                     issuance.Confirm(ledger.addr("core"), application), "core")


def confirmed(ledger: Ledger, ref: str = REF, digest: bytes = DOC) -> bytes:
    application = applied(ledger, ref, digest)
    ledger.block(confirm_tx(ledger, application))
    return application


def issued(ledger: Ledger, ref: str = REF, digest: bytes = DOC) -> bytes:
    """The voucher issued on the basis."""
    application = confirmed(ledger, ref, digest)
    ledger.run("issuance", "approve", issuance.Approve(ledger.addr("agency"), application),
               "agency")
    return issued_voucher_id(application)


def submit_tx(ledger: Ledger, ref: str = REF, digest: bytes = DOC, creditor: str = "supplier",
              debtor: str = "core") -> Transaction:
    body = obligations.Submit(ledger.addr(creditor), ledger.addr(debtor), 500_000,
                              ledger.time_ms + 90 * DAY_MS, ref, digest)
    return ledger.tx("obligation", "submit", body, creditor)


def submitted(ledger: Ledger, ref: str = REF, digest: bytes = DOC) -> bytes:
    tx = submit_tx(ledger, ref, digest)
    ledger.block(tx)
    return payload_id(tx.payload)


def owed(ledger: Ledger, ref: str = REF, digest: bytes = DOC) -> bytes:
    """A confirmed obligation on the basis: core owes supplier."""
    obligation = submitted(ledger, ref, digest)
    ledger.run("obligation", "confirm", obligations.Confirm(ledger.addr("core"), obligation),
               "core")
    return obligation


def refusal(ledger: Ledger, tx: Transaction) -> tuple[str, str]:
    """The code and the sentence a transaction is refused with (nothing changes)."""
    before = dict(ledger.store.items)
    try:
        ledger.block(tx)
    except LedgerError as e:
        ledger.height -= 1
        ledger.time_ms -= 1000
        assert ledger.store.items == before
        return e.code, e.message
    raise AssertionError("the transaction was accepted")


def use(ledger: Ledger, ref: str = REF, digest: bytes = DOC) -> basis.Use | None:
    return basis.use_of(ledger.store, ledger.addr("supplier"), ledger.addr("core"), ref, digest)


# ------------------------------------------------------------------ what "the same basis" is


def test_a_reference_is_compared_normalised() -> None:
    assert basis.normalise_ref(" ht-2027-0042 ") == "HT-2027-0042"
    assert basis.normalise_ref("ＨＴ－２０２７－００４２") == "HT-2027-0042"  # full-width
    assert basis.normalise_ref("HT\u20142027\u20130042") == "HT-2027-0042"  # dashes
    assert basis.normalise_ref("HT 2027\u30000042") == "HT20270042"  # spaces dropped
    assert basis.normalise_ref("购销合同 HT-7") == "购销合同HT-7"  # other letters as written
    assert basis.normalise_ref("HT-7") != basis.normalise_ref("HT-17")


def test_a_renamed_reference_does_not_pass_the_same_document_twice() -> None:
    ledger = Ledger()
    confirmed(ledger)
    assert ledger.refused(apply_tx(ledger, ref="HT-2027-0042 (copy)")) == "basis.in_use"
    assert ledger.refused(submit_tx(ledger, ref="another name")) == "basis.in_use"


@pytest.mark.parametrize("ref", [REF, "ht-2027-0042", "ＨＴ－２０２７－００４２", " HT-2027-0042 "])
def test_the_same_reference_with_another_document_is_the_same_contract(ref: str) -> None:
    ledger = Ledger()
    confirmed(ledger)
    assert ledger.refused(apply_tx(ledger, ref=ref, digest=OTHER_DOC)) == "basis.in_use"
    assert ledger.refused(submit_tx(ledger, ref=ref, digest=OTHER_DOC)) == "basis.in_use"


def test_another_reference_and_document_is_another_contract() -> None:
    ledger = Ledger()
    confirmed(ledger)
    ledger.block(confirm_tx(ledger, applied(ledger, "HT-2027-0043", OTHER_DOC)))
    ledger.block(submit_tx(ledger, "HT-2027-0044", sha256(b"a third contract")))


def test_another_pair_of_parties_may_number_its_contract_alike() -> None:
    # Contract numbers are each firm's own; a digest copied from another pair's
    # transaction lands under the copier's pair and blocks nobody.
    ledger = Ledger()
    application = confirmed(ledger)
    ledger.block(submit_tx(ledger, creditor="supplier2"))
    ledger.block(submit_tx(ledger, creditor="core", debtor="supplier"))  # the other way
    assert use(ledger) == basis.Use("application", application)


# ------------------------------------------------------------------ a voucher and an obligation


def test_an_obligation_on_a_voucher_s_basis_is_refused_naming_the_voucher() -> None:
    ledger = Ledger()
    voucher = issued(ledger)
    assert use(ledger) == basis.Use("voucher", voucher)
    code, message = refusal(ledger, submit_tx(ledger))
    assert code == "basis.in_use"
    assert f"voucher {voucher.hex()}" in message


def test_an_application_on_an_obligation_s_basis_is_refused_naming_the_obligation() -> None:
    ledger = Ledger()
    pending = submitted(ledger)  # held from submission: the creditor signs it alone
    code, message = refusal(ledger, apply_tx(ledger))
    assert (code, f"obligation {pending.hex()}" in message) == ("basis.in_use", True)
    ledger.run("obligation", "confirm", obligations.Confirm(ledger.addr("core"), pending), "core")
    assert ledger.refused(apply_tx(ledger)) == "basis.in_use"


def test_an_application_waiting_for_the_debtor_holds_nothing_and_loses_to_an_obligation(
) -> None:
    ledger = Ledger()
    application = applied(ledger)
    assert use(ledger) is None
    obligation = submitted(ledger)
    code, message = refusal(ledger, confirm_tx(ledger, application))
    assert (code, f"obligation {obligation.hex()}" in message) == ("basis.in_use", True)


def test_two_obligations_on_one_basis_are_refused() -> None:
    ledger = Ledger()
    first = submitted(ledger)
    code, message = refusal(ledger, submit_tx(ledger))
    assert (code, f"obligation {first.hex()}" in message) == ("basis.in_use", True)
    ledger.run("obligation", "confirm", obligations.Confirm(ledger.addr("core"), first), "core")
    assert ledger.refused(submit_tx(ledger, digest=OTHER_DOC)) == "basis.in_use"


def test_a_confirmed_application_is_named_until_it_is_issued() -> None:
    ledger = Ledger()
    application = confirmed(ledger)
    code, message = refusal(ledger, submit_tx(ledger))
    assert (code, f"application {application.hex()}" in message) == ("basis.in_use", True)


# ------------------------------------------------------------------ when a basis is freed


def test_a_declined_or_lapsed_application_held_nothing() -> None:
    ledger = Ledger()
    declined = applied(ledger)
    ledger.run("issuance", "decline",
               issuance.Decline(ledger.addr("core"), declined, "not owed"), "core")
    lapsed = applied(ledger)
    ledger.block(advance_ms=CONFIRMATION_WINDOW_MS + 1)
    assert issuance.get_application(ledger.store, lapsed).status == "lapsed"
    assert use(ledger) is None
    ledger.block(submit_tx(ledger))


@pytest.mark.parametrize("how", ["reject", "withdraw"])
def test_a_confirmed_application_rejected_or_withdrawn_frees_its_basis(how: str) -> None:
    ledger = Ledger()
    application = confirmed(ledger)
    if how == "reject":
        ledger.run("issuance", "reject", issuance.Reject(
            ledger.addr("agency"), application, "contract unsigned"), "agency")
    else:
        ledger.run("issuance", "withdraw",
                   issuance.Withdraw(ledger.addr("supplier"), application), "supplier")
    assert use(ledger) is None
    obligation = submitted(ledger)
    assert use(ledger) == basis.Use("obligation", obligation)


def test_an_issued_voucher_keeps_its_basis_even_once_fully_redeemed() -> None:
    # A debt settled through its voucher is not owed again.
    ledger = Ledger()
    voucher = issued(ledger)
    offer = publish(ledger, "consumption", title="")
    request = ledger.run("redemption", "request", redemption.Ask(
        ledger.addr("supplier"), voucher, offer, 1_000_000, None), "supplier")
    ledger.run("redemption", "accept", redemption.Accept(ledger.addr("core"), request, "", ""),
               "core")
    assert get_voucher(ledger.store, voucher).status == "cancelled"
    assert use(ledger) == basis.Use("voucher", voucher)
    assert ledger.refused(submit_tx(ledger)) == "basis.in_use"
    assert ledger.refused(apply_tx(ledger)) == "basis.in_use"


@pytest.mark.parametrize("how", ["decline", "retract", "withdraw"])
def test_an_obligation_declined_retracted_or_withdrawn_frees_its_basis(how: str) -> None:
    ledger = Ledger()
    supplier, core = ledger.addr("supplier"), ledger.addr("core")
    obligation = owed(ledger) if how == "withdraw" else submitted(ledger)
    if how == "decline":
        ledger.run("obligation", "decline",
                   obligations.Decline(core, obligation, "not owed"), "core")
    elif how == "retract":
        ledger.run("obligation", "retract", obligations.Retract(supplier, obligation),
                   "supplier")
    else:
        ledger.run("obligation", "withdraw", obligations.Withdraw(
            supplier, core, obligation, "to be financed as a voucher"), "supplier", "core")
    assert use(ledger) is None
    voucher = issued(ledger)  # the debt may now be financed otherwise
    assert use(ledger) == basis.Use("voucher", voucher)


def test_an_obligation_reduced_or_settled_keeps_its_basis() -> None:
    ledger = Ledger()
    supplier, core = ledger.addr("supplier"), ledger.addr("core")
    obligation = owed(ledger)
    ledger.run("obligation", "reduce", obligations.Reduce(
        supplier, core, obligation, 100_000, "credit note"), "supplier", "core")
    assert ledger.refused(apply_tx(ledger)) == "basis.in_use"
    ledger.run("obligation", "settle", obligations.Settle(supplier, core, obligation,
                                                          "wire 2027-9"), "supplier", "core")
    assert use(ledger) == basis.Use("obligation", obligation)
    assert ledger.refused(apply_tx(ledger)) == "basis.in_use"
    assert ledger.refused(submit_tx(ledger)) == "basis.in_use"


def test_an_obligation_cleared_by_set_off_keeps_its_basis() -> None:
    t = triangle()
    ledger = t.ledger
    tx = propose_tx(ledger, t.legs(300_000))
    ledger.block(tx)
    round_id = payload_id(tx.payload)
    ledger.block(*(consent_tx(ledger, m, round_id) for m in ("core", "supplier2", "supplier")))
    cleared = obligations.get_obligation(ledger.store, t.supplier_owes)
    assert cleared.status == "cleared"
    again = obligations.Submit(cleared.creditor, cleared.debtor, 1_000,
                               ledger.time_ms + DAY_MS, cleared.basis_ref,
                               cleared.basis_sha256)
    assert ledger.refused(ledger.tx("obligation", "submit", again, "supplier2")) == \
        "basis.in_use"


def test_a_refused_second_application_does_not_free_the_first_s_basis() -> None:
    ledger = Ledger()
    first, second = applied(ledger), applied(ledger)
    ledger.block(confirm_tx(ledger, first))
    ledger.run("issuance", "reject", issuance.Reject(ledger.addr("agency"), second, "twice"),
               "agency")
    assert use(ledger) == basis.Use("application", first)


# ------------------------------------------------------------------ offers


def publish(ledger: Ledger, kind: str = "asset", price_fen: int = 400_000,
            title: str = "钦房权证字第2027000001号", cap_fen: int = 0,
            debtor: str = "core") -> bytes:
    return ledger.run("redemption", "publish", redemption.Publish(
        ledger.addr(debtor), kind, f"{kind} offer", price_fen, title, cap_fen), debtor)


def publish_tx(ledger: Ledger, kind: str = "asset", title: str = "钦房权证字第2027000001号",
               cap_fen: int = 0, debtor: str = "core") -> Transaction:
    return ledger.tx("redemption", "publish", redemption.Publish(
        ledger.addr(debtor), kind, f"{kind} offer", 400_000, title, cap_fen), debtor)


def ask_tx(ledger: Ledger, voucher: bytes, offer: bytes, price_fen: int,
           holder: str = "supplier", pledgee: str | None = None) -> Transaction:
    body = redemption.Ask(ledger.addr(holder), voucher, offer, price_fen,
                          ledger.addr(pledgee) if pledgee else None)
    return ledger.tx("redemption", "request", body, holder, *([pledgee] if pledgee else []))


def ask(ledger: Ledger, voucher: bytes, offer: bytes, price_fen: int) -> bytes:
    tx = ask_tx(ledger, voucher, offer, price_fen)
    ledger.block(tx)
    return payload_id(tx.payload)


def accept_tx(ledger: Ledger, request: bytes, title_ref: str = "TR-1") -> Transaction:
    return ledger.tx("redemption", "accept",
                     redemption.Accept(ledger.addr("core"), request, title_ref, ""), "core")


def offer(ledger: Ledger, offer_id: bytes) -> redemption.Offer:
    found = redemption.get_offer(ledger.store, offer_id)
    assert found is not None
    return found


def test_an_accepted_redemption_consumes_the_asset_offer() -> None:
    ledger = Ledger()
    flat = publish(ledger)
    first, second = ledger.issue(1_000_000), ledger.issue(1_000_000)
    asked_first, asked_second = ask(ledger, first, flat, 400_000), ask(ledger, second, flat,
                                                                       400_000)
    events = ledger.block(accept_tx(ledger, asked_first))
    assert offer(ledger, flat).status == "redeemed"
    assert any(e.kind == "offer.redeemed" and e.subject == flat for e in events)
    # The flat is sold: the other request cannot be accepted, nor a new one made.
    assert ledger.refused(accept_tx(ledger, asked_second)) == "redemption.offer_taken"
    assert ledger.refused(ask_tx(ledger, ledger.issue(1_000_000), flat, 400_000)) == \
        "redemption.offer_taken"
    for operation, body in (
            ("change", redemption.Change(ledger.addr("core"), flat, "again", 1)),
            ("withdraw_offer", redemption.WithdrawOffer(ledger.addr("core"), flat))):
        assert ledger.refused(ledger.tx("redemption", operation, body, "core")) == \
            "redemption.offer_taken"
    # The waiting request is declined, and its voucher circulates again.
    ledger.run("redemption", "decline", redemption.Decline(
        ledger.addr("core"), asked_second, "the flat is sold"), "core")
    assert get_voucher(ledger.store, second).reserved_by is None


def test_an_asset_offer_withdrawn_after_a_request_is_not_sold() -> None:
    ledger = Ledger()
    flat = publish(ledger)
    request = ask(ledger, ledger.issue(1_000_000), flat, 400_000)
    ledger.run("redemption", "withdraw_offer", redemption.WithdrawOffer(
        ledger.addr("core"), flat), "core")
    assert ledger.refused(accept_tx(ledger, request)) == "redemption.offer_withdrawn"


def test_a_title_number_is_offered_once() -> None:
    ledger = Ledger()
    flat = publish(ledger)
    assert redemption.title_holder(ledger.store, "钦房权证字第2027000001号") == flat
    code, message = refusal(ledger, publish_tx(ledger, title=" 钦房权证字第２０２７０００００１号"))
    assert (code, flat.hex() in message) == ("redemption.title_in_use", True)
    # Another debtor cannot offer the same flat either: a title number names one asset.
    assert ledger.refused(publish_tx(ledger, debtor="supplier3")) == "redemption.title_in_use"
    # Withdrawn, the flat may be offered again; once redeemed, never again.
    ledger.run("redemption", "withdraw_offer", redemption.WithdrawOffer(
        ledger.addr("core"), flat), "core")
    assert redemption.title_holder(ledger.store, "钦房权证字第2027000001号") is None
    again = publish(ledger)
    ledger.block(accept_tx(ledger, ask(ledger, ledger.issue(1_000_000), again, 400_000)))
    assert ledger.refused(publish_tx(ledger)) == "redemption.title_in_use"


def test_an_asset_names_its_title_and_only_an_asset_does() -> None:
    ledger = Ledger()
    assert ledger.refused(publish_tx(ledger, title="")) == "redemption.title_ref_required"
    assert ledger.refused(publish_tx(ledger, title="  ")) == "redemption.title_ref_required"
    assert ledger.refused(publish_tx(ledger, cap_fen=1_000)) == "redemption.bad_cap"
    assert ledger.refused(publish_tx(ledger, kind="consumption")) == "redemption.bad_title_ref"


def test_a_capped_consumption_offer_is_used_up_by_its_redemptions() -> None:
    ledger = Ledger()
    shop = publish(ledger, "consumption", title="", cap_fen=100_000)
    assert redemption.get_stock(ledger.store, shop) == redemption.Stock(shop, "", 100_000, 0)
    voucher = ledger.issue(1_000_000)
    first = ask(ledger, voucher, shop, 60_000)
    ledger.block(accept_tx(ledger, first, ""))
    assert redemption.get_stock(ledger.store, shop).used_fen == 60_000
    assert offer(ledger, shop).status == "listed"
    (remainder,) = [v for v in (redemption.get_request(ledger.store, first).remainder,) if v]
    code, message = refusal(ledger, ask_tx(ledger, remainder, shop, 40_001))
    assert (code, "40000 fen" in message) == ("redemption.over_cap", True)
    # Two requests within what is left, each alone: the second accepted would exceed it.
    other = ledger.issue(1_000_000)
    a, b = ask(ledger, remainder, shop, 30_000), ask(ledger, other, shop, 30_000)
    ledger.block(accept_tx(ledger, a, ""))
    assert ledger.refused(accept_tx(ledger, b, "")) == "redemption.over_cap"
    ledger.run("redemption", "cancel", redemption.Cancel(ledger.addr("supplier"), b),
               "supplier")
    ledger.block(accept_tx(ledger, ask(ledger, other, shop, 10_000), ""))
    assert redemption.get_stock(ledger.store, shop).used_fen == 100_000
    assert offer(ledger, shop).status == "redeemed"
    assert ledger.refused(ask_tx(ledger, ledger.issue(1_000), shop, 1)) == \
        "redemption.offer_taken"


def test_a_withdrawn_capped_offer_settles_what_was_asked_and_stays_withdrawn() -> None:
    ledger = Ledger()
    shop = publish(ledger, "consumption", title="", cap_fen=100_000)
    request = ask(ledger, ledger.issue(1_000_000), shop, 100_000)
    ledger.run("redemption", "withdraw_offer", redemption.WithdrawOffer(
        ledger.addr("core"), shop), "core")
    ledger.block(accept_tx(ledger, request, ""))
    assert redemption.get_stock(ledger.store, shop).used_fen == 100_000
    assert offer(ledger, shop).status == "withdrawn"


def test_an_uncapped_consumption_offer_stays_listed() -> None:
    ledger = Ledger()
    canteen = publish(ledger, "consumption", title="")
    assert redemption.get_stock(ledger.store, canteen) is None
    for _ in range(3):
        ledger.block(accept_tx(ledger, ask(ledger, ledger.issue(500_000), canteen, 500_000), ""))
    assert offer(ledger, canteen).status == "listed"


# ------------------------------------------------------------------ a pledged claim


def test_a_pledged_voucher_is_out_of_redemption_and_set_off_until_released() -> None:
    t = triangle()
    ledger = t.ledger
    pledge_id = payload_id((pledged := pledge_tx(ledger, t.voucher)).payload)
    ledger.block(pledged)
    canteen = publish(ledger, "consumption", title="")
    assert ledger.refused(ask_tx(ledger, t.voucher, canteen, 1_000)) == "voucher.pledged"
    assert ledger.refused(propose_tx(ledger, t.legs(300_000))) == "voucher.pledged"
    ledger.run("pledge", "release", pledge.Release(ledger.addr("bank"), pledge_id), "bank")
    # Released, it may be redeemed, and (that request cancelled) set off.
    request = ask(ledger, t.voucher, canteen, 1_000)
    assert redemption.get_request(ledger.store, request).status == "requested"
    ledger.run("redemption", "cancel", redemption.Cancel(ledger.addr("supplier"), request),
               "supplier")
    ledger.block(propose_tx(ledger, t.legs(300_000)))

