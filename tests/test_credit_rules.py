"""Credit limits and the blacklist (授信额度, 大额风险暴露, 失信名单; §002-(十三)(十九),
§000-三(四)): the agency's issuance limit on a debtor, a funder's exposure limit on a
debtor, and the blacklist the agency keeps by criteria the ledger checks. Each rule's
accepted path and each refusal by its code."""

from __future__ import annotations

import pytest

from contracts import access, credit, issuance, pledge
from contracts.access import caller_of
from contracts.codec import sha256
from contracts.errors import LedgerError
from contracts.ledger import BlacklistCriteria, Genesis, GenesisMember, genesis_state
from contracts.state import MemoryStore
from contracts.tx import Transaction, payload_id
from contracts.vouchers import get_debtor_record, held_on, live_ids_by_holder
from tests.memledger import DAY_MS, Ledger
from tests.test_financing_rules import accept_tx, quoted, requested
from tests.test_lifecycle_rules import (
    enforce_tx,
    pledge_record,
    pledge_tx,
    refused_at_check,
    release_tx,
    transfer_tx,
    voucher,
)
from tests.test_sale_rules import sell_tx


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.admit("factor", "factor")
    return ledger


# ------------------------------------------------------------------ helpers


def refusal(ledger: Ledger, tx: Transaction) -> tuple[str, str]:
    """The code and the sentence a block holding `tx` is refused with; nothing changes."""
    before = dict(ledger.store.items)
    with pytest.raises(LedgerError) as e:
        ledger.block(tx)
    ledger.height -= 1
    ledger.time_ms -= 1000
    assert ledger.store.items == before
    return e.value.code, e.value.message


def set_limit_tx(ledger: Ledger, limit_fen: int, debtor: str = "core", bank: str | None = None,
                 signers: tuple[str, ...] | None = None) -> Transaction:
    body = credit.SetLimit(ledger.addr("agency"), ledger.addr(debtor), limit_fen,
                           None if bank is None else ledger.addr(bank), "SX-2027-001")
    return ledger.tx("credit", "set_limit", body,
                     *(signers or (("agency",) if bank is None else ("agency", bank))))


def exposure_limit_tx(ledger: Ledger, limit_fen: int, funder: str = "bank",
                      debtor: str = "core") -> Transaction:
    body = credit.SetExposureLimit(ledger.addr(funder), ledger.addr(debtor), limit_fen)
    return ledger.tx("credit", "set_exposure_limit", body, funder)


def apply_tx(ledger: Ledger, amount_fen: int, creditor: str = "supplier",
             debtor: str = "core") -> Transaction:
    basis = f"HT-{ledger.nonce}-{amount_fen}"
    terms = issuance.Terms(ledger.addr(debtor), amount_fen, ledger.time_ms + 365 * DAY_MS,
                           True, True, 0, 0, basis, sha256(basis.encode()))
    return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr(creditor), terms),
                     creditor)


def applied(ledger: Ledger, amount_fen: int, **kwargs) -> bytes:
    tx = apply_tx(ledger, amount_fen, **kwargs)
    ledger.block(tx)
    return payload_id(tx.payload)


def used(ledger: Ledger, debtor: str = "core") -> tuple[int, int]:
    found = credit.debtor_credit(ledger.store, ledger.addr(debtor))
    return found.outstanding_fen, found.pending_fen


def taken(ledger: Ledger, funder: str = "bank", debtor: str = "core") -> tuple[int, int]:
    found = credit.exposure(ledger.store, ledger.addr(funder), ledger.addr(debtor))
    return found.pledged_fen, found.held_fen


def counted_exposure(ledger: Ledger, funder: str = "bank", debtor: str = "core"
                     ) -> tuple[int, int]:
    """The exposure counted from the records themselves (every pledge, every held state)."""
    pledged = 0
    for found in pledge.all_pledges_page(ledger.store, None, 1000, "active")[0]:
        if (found.bank, found.debtor) == (ledger.addr(funder), ledger.addr(debtor)):
            pledged += found.secured_fen
    held = sum(voucher(ledger, v).amount_fen
               for v in live_ids_by_holder(ledger.store, ledger.addr(funder))
               if voucher(ledger, v).debtor == ledger.addr(debtor))
    return pledged, held


def lapse(ledger: Ledger, count: int, debtor: str = "core") -> None:
    """Let `count` applications against `debtor` lapse unconfirmed (the 30-day rule)."""
    for _ in range(count):
        applied(ledger, 1000, debtor=debtor)
    ledger.block(advance_ms=31 * DAY_MS)


def list_tx(ledger: Ledger, debtor: str = "core", agency: str = "agency") -> Transaction:
    body = credit.ListDebtor(ledger.addr(agency), ledger.addr(debtor),
                             "三次逾期未确权 (three confirmations left to lapse)")
    return ledger.tx("credit", "list", body, agency)


def delist_tx(ledger: Ledger, debtor: str = "core") -> Transaction:
    body = credit.Delist(ledger.addr("agency"), ledger.addr(debtor), "rectified")
    return ledger.tx("credit", "delist", body, "agency")


def criteria_tx(ledger: Ledger, overdue: int, late: int, days: int,
                agency: str = "agency") -> Transaction:
    body = credit.SetCriteria(ledger.addr(agency), overdue, late, days)
    return ledger.tx("credit", "set_criteria", body, agency)


# ------------------------------------------------------------------ issuance limits


def test_an_application_over_the_debtors_limit_is_refused_naming_limit_used_and_asked(
        ledger: Ledger) -> None:
    ledger.block(set_limit_tx(ledger, 1_500_000))
    ledger.issue(1_000_000)
    pending = applied(ledger, 300_000)
    assert used(ledger) == (1_000_000, 300_000)
    code, message = refusal(ledger, apply_tx(ledger, 200_001))
    assert code == "credit.issuance_limit"
    assert "1500000" in message and "1300000" in message and "200001" in message
    applied(ledger, 200_000)  # up to the limit exactly
    assert used(ledger) == (1_000_000, 500_000)
    assert refusal(ledger, apply_tx(ledger, 1))[0] == "credit.issuance_limit"
    # Withdrawing a pending application makes room again.
    ledger.run("issuance", "withdraw",
               issuance.Withdraw(ledger.addr("supplier"), pending), "supplier")
    assert used(ledger) == (1_000_000, 200_000)
    applied(ledger, 300_000)


def test_a_limit_counts_pending_applications_until_they_are_issued_or_closed(
        ledger: Ledger) -> None:
    ledger.block(set_limit_tx(ledger, 10_000_000))
    declined = applied(ledger, 100_000)
    lapsing = applied(ledger, 200_000)
    issued = applied(ledger, 400_000)
    rejected = applied(ledger, 800_000)
    assert used(ledger) == (0, 1_500_000)
    ledger.block(
        ledger.tx("issuance", "decline", issuance.Decline(
            ledger.addr("core"), declined, "no such delivery"), "core"),
        ledger.tx("issuance", "confirm", issuance.Confirm(ledger.addr("core"), issued), "core"),
        ledger.tx("issuance", "confirm", issuance.Confirm(ledger.addr("core"), rejected), "core"))
    assert used(ledger) == (0, 1_400_000)
    ledger.block(
        ledger.tx("issuance", "approve", issuance.Approve(ledger.addr("agency"), issued),
                  "agency"),
        ledger.tx("issuance", "reject", issuance.Reject(ledger.addr("agency"), rejected,
                                                        "basis unclear"), "agency"))
    assert used(ledger) == (400_000, 200_000)  # issued is outstanding now
    ledger.block(advance_ms=31 * DAY_MS)
    assert issuance.get_application(ledger.store, lapsing).status == "lapsed"
    assert used(ledger) == (400_000, 0)


def test_a_lowered_limit_refuses_new_applications_only(ledger: Ledger) -> None:
    ledger.issue(1_000_000)
    ledger.block(set_limit_tx(ledger, 500_000))
    assert refusal(ledger, apply_tx(ledger, 1))[0] == "credit.issuance_limit"
    assert used(ledger) == (1_000_000, 0)  # what is outstanding stays


def test_a_limit_following_a_banks_credit_line_needs_the_banks_signature(
        ledger: Ledger) -> None:
    assert refused_at_check(ledger, set_limit_tx(ledger, 1_000_000, bank="bank",
                                                 signers=("agency",))) == "tx.missing_signature"
    assert refusal(ledger, set_limit_tx(ledger, 1_000_000, bank="factor"))[0] == \
        "membership.missing_role"
    assert refusal(ledger, set_limit_tx(ledger, 1_000_000, debtor="bank", bank="bank"))[0] \
        == "credit.self"
    events = ledger.block(set_limit_tx(ledger, 1_000_000, bank="bank"))
    limit = credit.get_limit(ledger.store, ledger.addr("core"))
    assert limit is not None and (limit.limit_fen, limit.bank) == (1_000_000, ledger.addr("bank"))
    assert set(events[0].parties) == {ledger.addr(n) for n in ("core", "agency", "bank")}


def test_the_agency_alone_sets_and_removes_a_limit(ledger: Ledger) -> None:
    body = credit.SetLimit(ledger.addr("bank"), ledger.addr("core"), 1, None, "")
    assert ledger.refused(ledger.tx("credit", "set_limit", body, "bank")) == \
        "membership.missing_role"
    ledger.block(set_limit_tx(ledger, 0))
    assert refusal(ledger, apply_tx(ledger, 1))[0] == "credit.issuance_limit"
    remove = credit.RemoveLimit(ledger.addr("agency"), ledger.addr("core"))
    ledger.run("credit", "remove_limit", remove, "agency")
    applied(ledger, 5_000_000)
    assert ledger.refused(ledger.tx("credit", "remove_limit", remove, "agency")) == \
        "credit.no_limit"
    unknown = credit.SetLimit(ledger.addr("agency"), bytes(32), 1, None, "")
    assert ledger.refused(ledger.tx("credit", "set_limit", unknown, "agency")) == \
        "membership.not_member"


# ------------------------------------------------------------------ exposure limits


def test_a_pledge_over_the_banks_exposure_limit_is_refused(ledger: Ledger) -> None:
    first, second = ledger.issue(1_000_000), ledger.issue(1_000_000)
    ledger.block(exposure_limit_tx(ledger, 800_000))
    pledge_tx_1 = pledge_tx(ledger, first, 500_000)
    ledger.block(pledge_tx_1)
    assert taken(ledger) == (500_000, 0) == counted_exposure(ledger)
    code, message = refusal(ledger, pledge_tx(ledger, second, 300_001))
    assert code == "credit.exposure_limit"
    assert "800000" in message and "500000" in message and "300001" in message
    ledger.block(pledge_tx(ledger, second, 300_000, bank="bank2"))  # another bank's own limit
    ledger.block(release_tx(ledger, payload_id(pledge_tx_1.payload)))
    assert taken(ledger) == (0, 0)
    ledger.block(pledge_tx(ledger, ledger.issue(1_000_000), 800_000))
    assert taken(ledger) == (800_000, 0) == counted_exposure(ledger)


def test_an_amendment_raising_the_secured_amount_over_the_limit_is_refused(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    ledger.block(exposure_limit_tx(ledger, 600_000))
    tx = pledge_tx(ledger, v, 500_000)
    ledger.block(tx)
    found = pledge_record(ledger, payload_id(tx.payload))

    def amend(secured_fen: int) -> Transaction:
        body = pledge.Amend(found.pledgor, found.bank, found.id, secured_fen, found.loan_due_ms,
                            found.loan_fen, found.loan_rate_bp, found.filing)
        return ledger.tx("pledge", "amend", body, "supplier", "bank")

    assert refusal(ledger, amend(600_001))[0] == "credit.exposure_limit"
    ledger.block(amend(600_000))
    assert taken(ledger) == (600_000, 0)
    ledger.block(amend(200_000))  # lowering is always allowed
    assert taken(ledger) == (200_000, 0) == counted_exposure(ledger)


def test_a_part_released_and_an_enforced_pledge_keep_the_exposure_in_step(
        ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    ledger.block(exposure_limit_tx(ledger, 900_000))
    tx = pledge_tx(ledger, v, 900_000, loan_due_ms=ledger.time_ms + 10 * DAY_MS)
    ledger.block(tx)
    pledge_id = payload_id(tx.payload)
    ledger.run("pledge", "release_part", pledge.ReleasePart(ledger.addr("bank"), pledge_id,
                                                            100_000), "bank")
    assert taken(ledger) == (800_000, 0) == counted_exposure(ledger)
    ledger.block(enforce_tx(ledger, pledge_id), advance_ms=11 * DAY_MS)
    # What was pledged is held now: the exposure did not grow.
    assert taken(ledger) == (0, 800_000) == counted_exposure(ledger)


def test_a_purchase_by_a_funder_over_its_limit_is_refused(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    ledger.block(exposure_limit_tx(ledger, 400_000, funder="factor"),
                 exposure_limit_tx(ledger, 300_000, funder="bank"))
    assert refusal(ledger, sell_tx(ledger, v, 400_001))[0] == "credit.exposure_limit"
    ledger.block(sell_tx(ledger, v, 400_000))
    assert taken(ledger, "factor") == (0, 400_000) == counted_exposure(ledger, "factor")
    v = live_ids_by_holder(ledger.store, ledger.addr("supplier"))[0]
    assert refusal(ledger, transfer_tx(ledger, v, 300_001, to="bank"))[0] == \
        "credit.exposure_limit"
    ledger.block(transfer_tx(ledger, v, 300_000, to="bank"))
    assert taken(ledger, "bank") == (0, 300_000) == counted_exposure(ledger, "bank")
    assert held_on(ledger.store, ledger.addr("supplier"), ledger.addr("core")) == 300_000


def test_a_signed_transfer_offer_is_checked_when_the_transferee_signs(ledger: Ledger) -> None:
    from contracts import transfer

    v = ledger.issue(1_000_000)
    ledger.block(exposure_limit_tx(ledger, 100_000))
    offer = ledger.tx("transfer", "offer", transfer.Offer(
        ledger.addr("supplier"), v, ledger.addr("bank"), 200_000, None, "TC-1", 7),
        "supplier")
    ledger.block(offer)  # the offer reveals nothing of the bank's limit to the holder
    sign = ledger.tx("transfer", "sign", transfer.Sign(ledger.addr("bank"),
                                                       payload_id(offer.payload)), "bank")
    assert refusal(ledger, sign)[0] == "credit.exposure_limit"


def test_an_accepted_pledge_quote_over_the_limit_is_refused(ledger: Ledger) -> None:
    v = ledger.issue(1_000_000)
    ledger.block(exposure_limit_tx(ledger, 500_000))
    request_id = requested(ledger, v, 600_000)
    quote = quoted(ledger, request_id, "bank", amount_fen=500_000)
    assert refusal(ledger, accept_tx(ledger, quote))[0] == "credit.exposure_limit"


def test_exposure_limit_refusals(ledger: Ledger) -> None:
    assert refusal(ledger, exposure_limit_tx(ledger, 1, funder="supplier"))[0] == \
        "membership.missing_role"
    assert refusal(ledger, exposure_limit_tx(ledger, 1, debtor="bank"))[0] == "credit.self"
    remove = credit.RemoveExposureLimit(ledger.addr("bank"), ledger.addr("core"))
    assert ledger.refused(ledger.tx("credit", "remove_exposure_limit", remove, "bank")) == \
        "credit.no_exposure_limit"
    ledger.block(exposure_limit_tx(ledger, 1))
    ledger.run("credit", "remove_exposure_limit", remove, "bank")
    ledger.block(pledge_tx(ledger, ledger.issue(1_000_000), 900_000))


# ------------------------------------------------------------------ the blacklist


def test_the_genesis_sets_the_criteria_the_network_chose() -> None:
    members = (GenesisMember(bytes(31) + b"\x01", "agency", ("agency",)),)
    state = MemoryStore()
    state.apply(genesis_state(Ledger().registry, Genesis(
        "criteria-test", 1_800_000_000_000, members, 0, blacklist=BlacklistCriteria(5, 2, 90))))
    found = credit.get_criteria(state)
    assert (found.overdue_vouchers, found.late_confirmations, found.period_days) == (5, 2, 90)


def test_a_debtor_is_listed_only_when_its_record_meets_the_criteria(ledger: Ledger) -> None:
    lapse(ledger, 2)
    code, message = refusal(ledger, list_tx(ledger))
    assert code == "credit.criteria_not_met" and "2 late confirmations" in message
    lapse(ledger, 1)
    assert credit.standing(ledger.store, ledger.addr("core"), ledger.time_ms).late_in_period == 3
    events = ledger.block(list_tx(ledger))
    assert [e.kind for e in events] == ["credit.listed"]
    listing = credit.get_listing(ledger.store, ledger.addr("core"))
    assert listing is not None and (listing.status, listing.late_in_period) == ("listed", 3)
    assert credit.listings_page(ledger.store, None, 10)[0] == [listing]
    assert refusal(ledger, list_tx(ledger))[0] == "credit.already_listed"


def test_a_listed_debtor_issues_nothing_until_delisted(ledger: Ledger) -> None:
    waiting = applied(ledger, 1000)
    ledger.run("issuance", "confirm", issuance.Confirm(ledger.addr("core"), waiting), "core")
    lapse(ledger, 3)
    ledger.block(list_tx(ledger))
    code, message = refusal(ledger, apply_tx(ledger, 1000))
    assert code == "credit.blacklisted" and "三次逾期未确权" in message
    approve = ledger.tx("issuance", "approve",
                        issuance.Approve(ledger.addr("agency"), waiting), "agency")
    assert refusal(ledger, approve)[0] == "credit.blacklisted"
    ledger.block(delist_tx(ledger))
    assert credit.listings_page(ledger.store, None, 10)[0] == []
    assert credit.listings_page(ledger.store, None, 10, None)[0][0].delist_reason == "rectified"
    ledger.block(approve)
    applied(ledger, 1000)
    assert refusal(ledger, delist_tx(ledger))[0] == "credit.not_listed"


def test_overdue_vouchers_count_towards_the_criteria(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.issue(1000, due_in_ms=2 * DAY_MS)
    assert refusal(ledger, list_tx(ledger))[0] == "credit.criteria_not_met"
    ledger.block(advance_ms=3 * DAY_MS)
    assert get_debtor_record(ledger.store, ledger.addr("core")).overdue_vouchers == 3
    assert credit.standing(ledger.store, ledger.addr("core"), ledger.time_ms) \
        .overdue_in_period == 3
    ledger.block(list_tx(ledger))


def test_only_lapses_within_the_period_count(ledger: Ledger) -> None:
    ledger.block(criteria_tx(ledger, 5, 3, 10))
    lapse(ledger, 3)
    ledger.block(advance_ms=11 * DAY_MS)
    assert refusal(ledger, list_tx(ledger))[0] == "credit.criteria_not_met"
    found = credit.standing(ledger.store, ledger.addr("core"), ledger.time_ms)
    assert (found.late_in_period, found.late_confirmations) == (0, 3)  # lifetime stays


def test_criteria_and_listing_refusals(ledger: Ledger) -> None:
    for bad in ((0, 3, 365), (3, credit.MAX_RECENT + 1, 365), (3, 3, 0),
                (3, 3, credit.MAX_PERIOD_DAYS + 1)):
        assert refusal(ledger, criteria_tx(ledger, *bad))[0] == "credit.bad_criteria"
    assert refusal(ledger, criteria_tx(ledger, 1, 1, 1, agency="bank"))[0] == \
        "membership.missing_role"
    assert refusal(ledger, list_tx(ledger, agency="bank"))[0] == "membership.missing_role"
    body = credit.ListDebtor(ledger.addr("agency"), bytes(32), "unknown")
    assert ledger.refused(ledger.tx("credit", "list", body, "agency")) == \
        "membership.not_member"


def test_the_history_keeps_the_latest_times_only(ledger: Ledger) -> None:
    from contracts.state import Overlay

    state = Overlay(ledger.store)
    for t in range(credit.MAX_RECENT + 5):
        credit.note_late_confirmation(state, ledger.addr("core"), t)
    kept = credit.get_history(state, ledger.addr("core")).late_ms
    assert kept == tuple(range(5, credit.MAX_RECENT + 5))


# ------------------------------------------------------------------ who reads


def test_every_member_reads_the_blacklist_and_a_funder_its_own_exposure(
        ledger: Ledger) -> None:
    lapse(ledger, 3)
    ledger.block(list_tx(ledger), exposure_limit_tx(ledger, 1000))
    listing = credit.get_listing(ledger.store, ledger.addr("core"))
    found = credit.exposure(ledger.store, ledger.addr("bank"), ledger.addr("core"))

    def may(name: str, kind: str, record: object) -> bool:
        return access.may_read(ledger.store, caller_of(ledger.store, ledger.addr(name)),
                               kind, record)

    assert all(may(n, "listing", listing) for n in ("supplier", "bank", "core", "merchant"))
    assert not access.may_read(ledger.store, access.ANONYMOUS, "listing", listing)
    assert may("bank", "exposure", found) and may("regulator", "exposure", found)
    assert not may("core", "exposure", found) and not may("bank2", "exposure", found)
    limits = credit.debtor_credit(ledger.store, ledger.addr("core"))
    assert may("supplier2", "debtor_credit", limits)
    assert may("merchant", "blacklist_criteria", credit.get_criteria(ledger.store))


# ------------------------------------------------------------------ the wallet's warning


class _Client:
    def __init__(self, answer: dict | None) -> None:
        self.answer = answer

    def credit_debtor(self, address: str) -> dict:
        if self.answer is None:
            raise LedgerError("not_found", "an older node")
        return self.answer


class _Wallet:
    def __init__(self, answer: dict | None) -> None:
        self.client = _Client(answer)
        self.ledger = self.client  # what the wallet reads through


def test_the_wallet_warns_before_signing_for_a_listed_debtors_claim(
        capsys: pytest.CaptureFixture[str]) -> None:
    from wallet.checks import warn_if_listed

    listed = {"listing": {"status": "listed", "listed_at_ms": 1_800_000_000_000,
                          "reason": "三次逾期 (overdue three times)"}}
    warn_if_listed(_Wallet(listed), "ab" * 32)  # type: ignore[arg-type]
    said = capsys.readouterr().err
    assert said.startswith("warning: the debtor " + "ab" * 32 + " is on the blacklist")
    assert "三次逾期" in said
    for answer in ({"listing": None}, {"listing": {**listed["listing"], "status": "delisted"}},
                   None):
        warn_if_listed(_Wallet(answer), bytes(32))  # type: ignore[arg-type]
        assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ oversight's list of limits


def test_oversight_lists_every_debtors_limit_in_address_order_and_a_removed_one_leaves_it(
        ledger: Ledger) -> None:
    ledger.block(set_limit_tx(ledger, 5_000_000), set_limit_tx(ledger, 700_000,
                                                               debtor="supplier2"))
    found, after = credit.limits_page(ledger.store, None, 10)
    assert after is None
    assert [(lim.debtor, lim.limit_fen) for lim in found] == sorted(
        [(ledger.addr("core"), 5_000_000), (ledger.addr("supplier2"), 700_000)])
    first, cursor = credit.limits_page(ledger.store, None, 1)
    rest, end = credit.limits_page(ledger.store, cursor, 1)
    assert first + rest == found and end is None
    ledger.run("credit", "remove_limit", credit.RemoveLimit(
        ledger.addr("agency"), ledger.addr("core")), "agency")
    assert [lim.debtor for lim in credit.limits_page(ledger.store, None, 10)[0]] == [
        ledger.addr("supplier2")]
