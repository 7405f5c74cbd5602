"""The voucher lifecycle after issue: every rule's accepted path and each refusal by its code.

Transfer and split, pledge, acquisition, redemption, merchant payment, extension and
overdue at the end of a block, the debtor's record, and service fees.
"""

from __future__ import annotations

import msgpack
import pytest

from contracts import acquisition, fees, issuance, membership, payment, pledge, redemption
from contracts import transfer as transfers
from contracts.codec import MAX_FEN, decode, encode, sha256, to_wire
from contracts.errors import CodecError, LedgerError
from contracts.identity import KeyPair
from contracts.ledger import check_transaction
from contracts.tx import Transaction, payload_id
from contracts.vouchers import (
    MAX_COMMITMENTS,
    Voucher,
    children_ids,
    get_debtor_record,
    get_holder_totals,
    get_origin,
    get_voucher,
    live_ids_by_debtor,
    live_ids_by_holder,
    part_id,
)
from tests.memledger import CHAIN, DAY_MS, Ledger

NOBODY = bytes(32)


# ------------------------------------------------------------------ helpers


def voucher(ledger: Ledger, voucher_id: bytes) -> Voucher:
    found = get_voucher(ledger.store, voucher_id)
    assert found is not None
    return found


def refused_at_check(ledger: Ledger, tx: Transaction) -> str:
    """The code with which `tx` is refused before its operation's rules run; the ledger
    stays as it was. A missing signature or a bad envelope is refused on arrival; a
    signature by a key that is not a required signer's is refused by the block, because
    which key signs for a member is the state's (contracts.membership.check_signer_keys)."""
    try:
        check_transaction(ledger.registry, CHAIN, encode(tx), ledger.height + 1)
    except LedgerError as e:
        assert ledger.refused(tx) == e.code
        return e.code
    code = ledger.refused(tx)
    assert code in ("tx.unexpected_signature", "tx.missing_signature"), code
    return code


def member_address(ledger: Ledger, name: str | None) -> bytes | None:
    return None if name is None else ledger.addr(name)


def transfer_tx(ledger: Ledger, voucher_id: bytes, amount_fen: int, to: str = "supplier2",
                holder: str = "supplier", pledgee: str | None = None,
                signers: tuple[str, ...] | None = None) -> Transaction:
    body = transfers.Transfer(ledger.addr(holder), voucher_id, ledger.addr(to), amount_fen,
                              member_address(ledger, pledgee), "TC-2027-001")
    if signers is None:
        signers = (holder, to) if pledgee is None else (holder, to, pledgee)
    return ledger.tx("transfer", "transfer", body, *signers)


def transfer_to(ledger: Ledger, voucher_id: bytes, to: str,
                amount_fen: int = 1000) -> Transaction:
    body = transfers.Transfer(ledger.addr("supplier"), voucher_id, ledger.addr(to), amount_fen,
                              None, "TC-2027-001")
    return ledger.tx("transfer", "transfer", body, "supplier", to)


def split_tx(ledger: Ledger, voucher_id: bytes, amounts_fen: tuple[int, ...],
             holder: str = "supplier", pledgee: str | None = None) -> Transaction:
    body = transfers.Split(ledger.addr(holder), voucher_id, amounts_fen,
                           member_address(ledger, pledgee))
    signers = (holder,) if pledgee is None else (holder, pledgee)
    return ledger.tx("transfer", "split", body, *signers)


def pledge_tx(ledger: Ledger, voucher_id: bytes, secured_fen: int, holder: str = "supplier",
              bank: str = "bank", loan_due_ms: int | None = None,
              signers: tuple[str, ...] | None = None, loan_fen: int = 500_000,
              loan_rate_bp: int = 435, filing: pledge.Filing | None = None) -> Transaction:
    due = ledger.time_ms + 90 * DAY_MS if loan_due_ms is None else loan_due_ms
    body = pledge.Create(ledger.addr(holder), ledger.addr(bank), voucher_id, secured_fen, due,
                         "LOAN-2027-001", loan_fen, loan_rate_bp, filing)
    return ledger.tx("pledge", "create", body, *(signers or (holder, bank)))


def release_tx(ledger: Ledger, pledge_id: bytes, bank: str = "bank") -> Transaction:
    return ledger.tx("pledge", "release", pledge.Release(ledger.addr(bank), pledge_id), bank)


def enforce_tx(ledger: Ledger, pledge_id: bytes, bank: str = "bank") -> Transaction:
    return ledger.tx("pledge", "enforce", pledge.Enforce(ledger.addr(bank), pledge_id), bank)


def commit_tx(ledger: Ledger, voucher_id: bytes, holder: str = "supplier",
              acquirer: str = "acquirer", price: int = 9_500, lock_ms: int = 30 * DAY_MS,
              expires_ms: int = 60 * DAY_MS) -> Transaction:
    body = acquisition.Commit(ledger.addr(acquirer), ledger.addr(holder), voucher_id, price,
                              ledger.time_ms + lock_ms, ledger.time_ms + expires_ms,
                              "framework agreement 7")
    return ledger.tx("acquisition", "commit", body, acquirer, holder)


def exercise_tx(ledger: Ledger, voucher_id: bytes, commitment: bytes, amount_fen: int,
                holder: str = "supplier", pledgee: str | None = None) -> Transaction:
    body = acquisition.Exercise(ledger.addr(holder), voucher_id, commitment, amount_fen,
                                "wire 88", member_address(ledger, pledgee))
    signers = (holder,) if pledgee is None else (holder, pledgee)
    return ledger.tx("acquisition", "exercise", body, *signers)


def withdraw_commitment_tx(ledger: Ledger, commitment: bytes,
                           acquirer: str = "acquirer") -> Transaction:
    return ledger.tx("acquisition", "withdraw",
                     acquisition.Withdraw(ledger.addr(acquirer), commitment), acquirer)


def publish(ledger: Ledger, kind: str = "asset", price_fen: int = 400_000,
            debtor: str = "core") -> bytes:
    title_ref = f"FC-{ledger.nonce}" if kind == "asset" else ""  # one certificate per asset
    return ledger.run("redemption", "publish", redemption.Publish(
        ledger.addr(debtor), kind, f"{kind} offer", price_fen, title_ref), debtor)


def ask_tx(ledger: Ledger, voucher_id: bytes, offer: bytes, price_fen: int,
           holder: str = "supplier", pledgee: str | None = None) -> Transaction:
    body = redemption.Ask(ledger.addr(holder), voucher_id, offer, price_fen,
                          member_address(ledger, pledgee))
    signers = (holder,) if pledgee is None else (holder, pledgee)
    return ledger.tx("redemption", "request", body, *signers)


def accept_tx(ledger: Ledger, request: bytes, debtor: str = "core", title_ref: str = "FC-118",
              shortfall_ref: str = "") -> Transaction:
    return ledger.tx("redemption", "accept", redemption.Accept(
        ledger.addr(debtor), request, title_ref, shortfall_ref), debtor)


def pay_tx(ledger: Ledger, voucher_id: bytes, amount_fen: int, merchant: str = "merchant",
           payer: str = "supplier", pledgee: str | None = None,
           signers: tuple[str, ...] | None = None) -> Transaction:
    body = payment.Pay(ledger.addr(payer), voucher_id, ledger.addr(merchant), amount_fen,
                       "order 5521", member_address(ledger, pledgee))
    if signers is None:
        signers = (payer, merchant) if pledgee is None else (payer, merchant, pledgee)
    return ledger.tx("payment", "pay", body, *signers)


def suspend(ledger: Ledger, name: str) -> None:
    ledger.run("membership", "suspend",
               membership.Suspend(ledger.addr("agency"), ledger.addr(name), "under review"),
               "agency")


def pledge_record(ledger: Ledger, pledge_id: bytes) -> pledge.Pledge:
    found = pledge.get_pledge(ledger.store, pledge_id)
    assert found is not None
    return found


def at(ledger: Ledger, time_ms: int) -> int:
    """The block advance that lands the next block exactly on `time_ms`."""
    assert time_ms > ledger.time_ms
    return time_ms - ledger.time_ms


# ------------------------------------------------------------------ transfer


def test_part_transfer_gives_the_part_to_the_transferee_and_the_rest_to_the_holder() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tx = transfer_tx(ledger, v, 300_000)
    events = ledger.block(tx)
    tx_id = payload_id(tx.payload)
    moved, rest = part_id(tx_id, v, 0), part_id(tx_id, v, 1)
    assert voucher(ledger, v).status == "consumed" and voucher(ledger, v).ended_by == tx_id
    assert (voucher(ledger, moved).holder, voucher(ledger, moved).amount_fen) == (
        ledger.addr("supplier2"), 300_000)
    assert (voucher(ledger, rest).holder, voucher(ledger, rest).amount_fen) == (
        ledger.addr("supplier"), 700_000)
    for part in (moved, rest):
        assert voucher(ledger, part).parent == v and voucher(ledger, part).origin == v
        assert voucher(ledger, part).debtor == ledger.addr("core")
    assert sorted(children_ids(ledger.store, v)) == sorted([moved, rest])
    assert live_ids_by_holder(ledger.store, ledger.addr("supplier")) == [rest]
    assert live_ids_by_holder(ledger.store, ledger.addr("supplier2")) == [moved]
    assert get_holder_totals(ledger.store, ledger.addr("supplier2")).held_fen == 300_000
    assert get_debtor_record(ledger.store, ledger.addr("core")).outstanding_fen == 1_000_000
    transferred = next(e for e in events if e.kind == "voucher.transferred")
    assert transferred.subject == moved
    assert ledger.addr("core") in transferred.parties  # the debtor is notified
    assert ledger.addr("supplier") in transferred.parties
    assert ledger.addr("supplier2") in transferred.parties


def test_whole_transfer_leaves_no_remainder_and_the_new_holder_transfers_again() -> None:
    ledger = Ledger()
    v = ledger.issue(500_000)
    tx = transfer_tx(ledger, v, 500_000)
    ledger.block(tx)
    moved = part_id(payload_id(tx.payload), v, 0)
    assert children_ids(ledger.store, v) == [moved]
    assert live_ids_by_holder(ledger.store, ledger.addr("supplier")) == []
    ledger.block(transfer_tx(ledger, moved, 200_000, to="supplier3", holder="supplier2"))
    assert get_holder_totals(ledger.store, ledger.addr("supplier3")).held_fen == 200_000
    assert get_holder_totals(ledger.store, ledger.addr("supplier2")).held_fen == 300_000


def test_transfer_not_signed_by_both_holder_and_transferee_is_refused_at_check_time() -> None:
    ledger = Ledger()
    v = ledger.issue()
    assert refused_at_check(ledger, transfer_tx(ledger, v, 1000, signers=("supplier2",))) == \
        "tx.missing_signature"
    assert refused_at_check(ledger, transfer_tx(ledger, v, 1000, signers=())) == \
        "tx.missing_signature"
    assert refused_at_check(ledger, transfer_tx(ledger, v, 1000, signers=("supplier",))) == \
        "tx.missing_signature"
    assert refused_at_check(
        ledger, transfer_tx(ledger, v, 1000, signers=("supplier", "supplier2", "supplier3"))) \
        == "tx.unexpected_signature"


def test_transfer_naming_someone_who_is_not_the_holder_is_refused() -> None:
    ledger = Ledger()
    v = ledger.issue()
    assert ledger.refused(transfer_tx(ledger, v, 1000, holder="supplier2", to="supplier3")) == \
        "voucher.not_holder"


def test_transfer_from_or_to_a_suspended_member_is_refused() -> None:
    ledger = Ledger()
    v = ledger.issue()
    suspend(ledger, "supplier2")
    assert ledger.refused(transfer_tx(ledger, v, 1000, to="supplier2")) == "membership.suspended"
    suspend(ledger, "supplier")
    assert ledger.refused(transfer_tx(ledger, v, 1000, to="supplier3")) == "membership.suspended"


@pytest.mark.parametrize(("to", "code"), [
    ("supplier", "transfer.to_self"),
    ("core", "transfer.to_debtor"),
    ("regulator", "membership.cannot_hold"),
])
def test_transfer_refuses_a_transferee_that_cannot_take_the_claim(to: str, code: str) -> None:
    ledger = Ledger()
    v = ledger.issue()
    assert ledger.refused(transfer_tx(ledger, v, 1000, to=to)) == code


def test_transfer_to_a_non_member_is_refused() -> None:
    ledger = Ledger()
    v = ledger.issue()
    ledger.keys["stranger"] = KeyPair.generate()  # a key, never admitted
    assert ledger.refused(transfer_to(ledger, v, "stranger")) == "membership.not_member"


@pytest.mark.parametrize(("amount_fen", "code"), [
    (0, "voucher.bad_amount"),
    (1_000_001, "voucher.over_amount"),
    (MAX_FEN, "voucher.over_amount"),
])
def test_transfer_refuses_an_amount_outside_the_voucher(amount_fen: int, code: str) -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    assert ledger.refused(transfer_tx(ledger, v, amount_fen)) == code


def test_negative_amounts_cannot_even_be_encoded() -> None:
    ledger = Ledger()
    v = ledger.issue()
    body = transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"), -1, None,
                              "TC-1")
    with pytest.raises(CodecError) as e:
        encode(body)
    assert e.value.code == "codec.range"
    with pytest.raises(CodecError):
        ledger.tx("transfer", "transfer", body, "supplier", "supplier2")
    # Nor can a hand-made body carry one: decoding refuses it before any rule runs.
    wire = to_wire(transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"), 1,
                                      None, "TC-1"))
    wire[3] = -1
    with pytest.raises(CodecError) as e:
        decode(transfers.Transfer, msgpack.packb(wire, use_bin_type=True))
    assert e.value.code == "codec.range"


def test_acting_on_a_parent_after_a_split_is_refused_as_consumed() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(split_tx(ledger, v, (400_000, 600_000)))
    assert ledger.refused(transfer_tx(ledger, v, 1000)) == "voucher.consumed"
    assert ledger.refused(split_tx(ledger, v, (1, 999_999))) == "voucher.consumed"
    assert ledger.refused(pledge_tx(ledger, v, 1000)) == "voucher.consumed"
    assert ledger.refused(pay_tx(ledger, v, 1000)) == "voucher.consumed"
    assert ledger.refused(commit_tx(ledger, v)) == "voucher.consumed"
    offer = publish(ledger)
    assert ledger.refused(ask_tx(ledger, v, offer, 1000)) == "voucher.consumed"


def test_unknown_voucher_is_refused() -> None:
    ledger = Ledger()
    assert ledger.refused(transfer_tx(ledger, NOBODY, 1000)) == "voucher.unknown"


def test_transaction_past_its_expiry_height_is_refused() -> None:
    ledger = Ledger()
    v = ledger.issue()
    body = transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"), 1000, None,
                              "TC-1")
    stale = ledger.tx("transfer", "transfer", body, "supplier", "supplier2",
                      expiry_height=ledger.height)
    assert refused_at_check(ledger, stale) == "tx.expired"
    last_chance = ledger.tx("transfer", "transfer", body, "supplier", "supplier2",
                            expiry_height=ledger.height + 1)
    ledger.block(last_chance)


# ------------------------------------------------------------------ split


def test_split_divides_a_voucher_among_its_holder_without_fee() -> None:
    ledger = Ledger(fee_rate_bp=10)
    v = ledger.issue(1_000_000)
    tx = split_tx(ledger, v, (100_000, 250_000, 650_000))
    ledger.block(tx)
    parts = [part_id(payload_id(tx.payload), v, i) for i in range(3)]
    assert [voucher(ledger, p).amount_fen for p in parts] == [100_000, 250_000, 650_000]
    assert all(voucher(ledger, p).cause == "split" for p in parts)
    assert sorted(live_ids_by_holder(ledger.store, ledger.addr("supplier"))) == sorted(parts)
    assert get_holder_totals(ledger.store, ledger.addr("supplier")).live_parts == 3
    assert get_origin(ledger.store, v).live_parts == 3
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 0


@pytest.mark.parametrize(("amounts_fen", "code"), [
    ((400_000, 500_000), "voucher.parts_mismatch"),
    ((500_000, 500_001), "voucher.parts_mismatch"),
    ((0, 1_000_000), "voucher.bad_amount"),
])
def test_split_refuses_parts_that_do_not_add_up(amounts_fen: tuple[int, ...], code: str) -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    assert ledger.refused(split_tx(ledger, v, amounts_fen)) == code


def test_split_into_one_part_cannot_be_encoded() -> None:
    ledger = Ledger()
    with pytest.raises(CodecError) as e:
        split_tx(ledger, NOBODY, (1_000_000,))
    assert e.value.code == "codec.size"


# ------------------------------------------------------------------ pledge


def test_pledge_is_registered_once_with_holder_and_bank_signing() -> None:
    ledger = Ledger(fee_rate_bp=5)
    v = ledger.issue(1_000_000)
    tx = pledge_tx(ledger, v, 800_000)
    events = ledger.block(tx)
    pledge_id = payload_id(tx.payload)
    record = pledge_record(ledger, pledge_id)
    assert record.registration_no == "ZY0000000001"
    assert (record.status, record.secured_fen, record.voucher) == ("active", 800_000, v)
    assert (record.pledgor, record.bank) == (ledger.addr("supplier"), ledger.addr("bank"))
    assert voucher(ledger, v).pledge == pledge_id
    registered = next(e for e in events if e.kind == "pledge.registered")
    assert ledger.addr("core") in registered.parties
    # The pledge fee is on the claim pledged: ceil(1,000,000 × 5 / 10,000) = 500 fen.
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 500
    tx2 = pledge_tx(ledger, ledger.issue(10), 10)
    ledger.block(tx2)
    assert pledge_record(ledger, payload_id(tx2.payload)).registration_no == "ZY0000000002"


def test_pledge_needs_the_bank_to_sign() -> None:
    ledger = Ledger()
    v = ledger.issue()
    assert refused_at_check(ledger, pledge_tx(ledger, v, 1000, signers=("supplier",))) == \
        "tx.missing_signature"
    # The right number of signatures, one by the wrong key: which keys must sign is the
    # state's (contracts.membership.check_signer_keys), so a block refuses it.
    assert ledger.refused(pledge_tx(ledger, v, 1000, signers=("supplier", "bank2"))) \
        == "tx.unexpected_signature"


def test_a_microlender_lends_on_a_pledge_and_a_factor_does_not() -> None:
    """Banks and microlenders lend against pledged claims (§000-二(二)); a factoring
    company buys claims instead, so it takes no pledge."""
    ledger = Ledger()
    ledger.admit("lender", "microlender")
    ledger.admit("factor", "factor")
    v = ledger.issue(1_000_000)
    assert ledger.refused(pledge_tx(ledger, v, 1000, bank="factor")) == \
        "membership.missing_role"
    tx = pledge_tx(ledger, v, 400_000, bank="lender")
    ledger.block(tx)
    pledge_id = payload_id(tx.payload)
    assert voucher(ledger, v).pledge == pledge_id
    ledger.block(release_tx(ledger, pledge_id, bank="lender"))
    assert pledge_record(ledger, pledge_id).status == "released"
    assert voucher(ledger, v).pledge is None


def test_pledge_refusals() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    assert ledger.refused(pledge_tx(ledger, v, 1000, bank="acquirer")) == \
        "membership.missing_role"
    assert ledger.refused(pledge_tx(ledger, v, 1000, holder="supplier2")) == "voucher.not_holder"
    assert ledger.refused(pledge_tx(ledger, v, 0)) == "voucher.bad_amount"
    assert ledger.refused(pledge_tx(ledger, v, 1_000_001)) == "voucher.over_amount"
    assert ledger.refused(pledge_tx(ledger, v, 1000, loan_due_ms=ledger.time_ms + 1000)) == \
        "pledge.loan_due_in_past"  # the block is 1000 ms later: due == ledger time
    suspend(ledger, "bank2")
    assert ledger.refused(pledge_tx(ledger, v, 1000, bank="bank2")) == "membership.suspended"


def test_a_claim_is_pledged_once() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(pledge_tx(ledger, v, 500_000))
    assert ledger.refused(pledge_tx(ledger, v, 100_000)) == "voucher.pledged"
    assert ledger.refused(pledge_tx(ledger, v, 100_000, bank="bank2")) == "voucher.pledged"


def test_a_bank_does_not_pledge_to_itself() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(transfer_tx(ledger, v, 1_000_000, to="bank"))
    held = live_ids_by_holder(ledger.store, ledger.addr("bank"))[0]
    assert ledger.refused(pledge_tx(ledger, held, 1000, holder="bank", signers=("bank",))) == \
        "pledge.self"


def test_pledged_voucher_cannot_move_without_the_bank() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(pledge_tx(ledger, v, 500_000))
    ledger.block(commit_tx(ledger, v))  # a commitment does not move the claim
    commitment = voucher(ledger, v).commitments[0]
    offer = publish(ledger)
    assert ledger.refused(transfer_tx(ledger, v, 1000)) == "voucher.pledged"
    assert ledger.refused(split_tx(ledger, v, (1, 999_999))) == "voucher.pledged"
    assert ledger.refused(pay_tx(ledger, v, 1000)) == "voucher.pledged"
    assert ledger.refused(ask_tx(ledger, v, offer, 1000)) == "voucher.pledged"
    assert ledger.refused(exercise_tx(ledger, v, commitment, 1000), advance_ms=31 * DAY_MS) == \
        "voucher.pledged"


def test_naming_the_wrong_bank_or_a_pledgee_of_an_unpledged_voucher_is_refused() -> None:
    ledger = Ledger()
    pledged = ledger.issue(1_000_000)
    free = ledger.issue(1_000_000)
    ledger.block(pledge_tx(ledger, pledged, 500_000))
    assert ledger.refused(transfer_tx(ledger, pledged, 1000, pledgee="bank2")) == \
        "pledge.wrong_bank"
    assert ledger.refused(transfer_tx(ledger, free, 1000, pledgee="bank")) == "pledge.not_pledged"
    assert ledger.refused(split_tx(ledger, free, (1, 999_999), pledgee="bank")) == \
        "pledge.not_pledged"


@pytest.mark.parametrize("operation", ["transfer", "split", "pay", "request", "exercise"])
def test_pledged_voucher_moves_with_the_bank_co_signing_and_the_pledge_ends(
        operation: str) -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(commit_tx(ledger, v, lock_ms=DAY_MS))
    commitment = voucher(ledger, v).commitments[0]
    pledge_tx_ = pledge_tx(ledger, v, 500_000)
    ledger.block(pledge_tx_)
    pledge_id = payload_id(pledge_tx_.payload)
    offer = publish(ledger)
    tx = {
        "transfer": lambda: transfer_tx(ledger, v, 1000, pledgee="bank"),
        "split": lambda: split_tx(ledger, v, (1, 999_999), pledgee="bank"),
        "pay": lambda: pay_tx(ledger, v, 1000, pledgee="bank"),
        "request": lambda: ask_tx(ledger, v, offer, 1000, pledgee="bank"),
        "exercise": lambda: exercise_tx(ledger, v, commitment, 1000, pledgee="bank"),
    }[operation]()
    events = ledger.block(tx, advance_ms=2 * DAY_MS)
    record = pledge_record(ledger, pledge_id)
    assert record.status == "released"
    assert record.end_reason.startswith("consented: ")
    assert record.ended_by == payload_id(tx.payload)
    assert any(e.kind == "pledge.released" for e in events)
    assert voucher(ledger, v).pledge is None
    if operation != "request":
        assert voucher(ledger, v).status == "consumed"


def test_consent_needs_the_bank_s_signature_and_an_active_bank() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(pledge_tx(ledger, v, 500_000))
    without_bank = transfer_tx(ledger, v, 1000, pledgee="bank", signers=("supplier", "supplier2"))
    assert refused_at_check(ledger, without_bank) == "tx.missing_signature"
    suspend(ledger, "bank")
    assert ledger.refused(transfer_tx(ledger, v, 1000, pledgee="bank")) == "membership.suspended"


def test_bank_releases_a_pledge_and_the_voucher_moves_again() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tx = pledge_tx(ledger, v, 500_000)
    ledger.block(tx)
    pledge_id = payload_id(tx.payload)
    assert ledger.refused(release_tx(ledger, pledge_id, bank="bank2")) == "pledge.not_pledgee"
    assert ledger.refused(ledger.tx("pledge", "release", pledge.Release(
        ledger.addr("bank"), pledge_id), "supplier")) == "tx.unexpected_signature"
    ledger.block(release_tx(ledger, pledge_id))
    record = pledge_record(ledger, pledge_id)
    assert (record.status, record.end_reason) == ("released", "released by the bank")
    assert voucher(ledger, v).pledge is None
    assert ledger.refused(release_tx(ledger, pledge_id)) == "pledge.not_active"
    assert ledger.refused(enforce_tx(ledger, pledge_id), advance_ms=100 * DAY_MS) == \
        "pledge.not_active"
    assert ledger.refused(release_tx(ledger, NOBODY)) == "pledge.unknown"
    ledger.block(transfer_tx(ledger, v, 1000))
    ledger.block(pledge_tx(ledger, live_ids_by_holder(ledger.store, ledger.addr("supplier"))[0],
                           1000, bank="bank2"))  # pledged again, to another bank


def test_enforcement_waits_for_the_loan_due_date() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    loan_due_ms = ledger.time_ms + 30 * DAY_MS
    tx = pledge_tx(ledger, v, 400_000, loan_due_ms=loan_due_ms)
    ledger.block(tx)
    pledge_id = payload_id(tx.payload)
    assert ledger.refused(enforce_tx(ledger, pledge_id), advance_ms=at(ledger, loan_due_ms)) == \
        "pledge.loan_not_due"
    assert ledger.refused(enforce_tx(ledger, pledge_id, bank="bank2"),
                          advance_ms=at(ledger, loan_due_ms + 1)) == "pledge.not_pledgee"
    enforce = enforce_tx(ledger, pledge_id)
    events = ledger.block(enforce, advance_ms=at(ledger, loan_due_ms + 1))
    taken, kept = (part_id(payload_id(enforce.payload), v, i) for i in range(2))
    assert (voucher(ledger, taken).holder, voucher(ledger, taken).amount_fen) == (
        ledger.addr("bank"), 400_000)
    assert (voucher(ledger, kept).holder, voucher(ledger, kept).amount_fen) == (
        ledger.addr("supplier"), 600_000)  # the excess stays with the pledgor
    assert pledge_record(ledger, pledge_id).status == "enforced"
    assert voucher(ledger, v).status == "consumed" and voucher(ledger, v).pledge is None
    assert any(e.kind == "voucher.transferred" and ledger.addr("core") in e.parties
               for e in events)
    assert ledger.refused(enforce_tx(ledger, pledge_id)) == "pledge.not_active"


def test_enforcement_of_a_fully_secured_part_takes_all_of_it() -> None:
    ledger = Ledger()
    v = ledger.issue(300_000)
    ledger.block(split_tx(ledger, v, (100_000, 200_000)))
    part = min(live_ids_by_holder(ledger.store, ledger.addr("supplier")),
               key=lambda p: voucher(ledger, p).amount_fen)
    tx = pledge_tx(ledger, part, 100_000, loan_due_ms=ledger.time_ms + DAY_MS)
    ledger.block(tx)
    enforce = enforce_tx(ledger, payload_id(tx.payload))
    ledger.block(enforce, advance_ms=2 * DAY_MS)
    assert children_ids(ledger.store, part) == [part_id(payload_id(enforce.payload), part, 0)]
    assert get_holder_totals(ledger.store, ledger.addr("bank")).held_fen == 100_000
    assert get_holder_totals(ledger.store, ledger.addr("supplier")).held_fen == 200_000


# ------------------------------------------------------------------ acquisition


def test_commitment_refusals() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    assert ledger.refused(commit_tx(ledger, v, acquirer="bank")) == "membership.missing_role"
    assert refused_at_check(ledger, ledger.tx("acquisition", "commit", acquisition.Commit(
        ledger.addr("acquirer"), ledger.addr("supplier"), v, 9000, ledger.time_ms + DAY_MS,
        ledger.time_ms + 2 * DAY_MS, ""), "supplier")) == "tx.missing_signature"
    assert ledger.refused(commit_tx(ledger, v, price=0)) == "acquisition.bad_price"
    assert ledger.refused(commit_tx(ledger, v, price=10_001)) == "acquisition.bad_price"
    assert ledger.refused(commit_tx(ledger, v, lock_ms=1000)) == "acquisition.lock_in_past"
    assert ledger.refused(commit_tx(ledger, v, lock_ms=DAY_MS, expires_ms=DAY_MS)) == \
        "acquisition.bad_expiry"
    ledger.block(transfer_tx(ledger, v, 1000, to="acquirer"))
    own = live_ids_by_holder(ledger.store, ledger.addr("acquirer"))[0]
    own_commit = ledger.tx("acquisition", "commit", acquisition.Commit(
        ledger.addr("acquirer"), ledger.addr("acquirer"), own, 9000, ledger.time_ms + DAY_MS,
        ledger.time_ms + 2 * DAY_MS, ""), "acquirer")
    assert ledger.refused(own_commit) == "acquisition.self"
    suspend(ledger, "acquirer")
    rest = live_ids_by_holder(ledger.store, ledger.addr("supplier"))[0]
    assert ledger.refused(commit_tx(ledger, rest)) == "membership.suspended"


def test_a_voucher_carries_a_bounded_number_of_commitments() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    for _ in range(MAX_COMMITMENTS):
        ledger.block(commit_tx(ledger, v))
    assert len(voucher(ledger, v).commitments) == MAX_COMMITMENTS
    assert ledger.refused(commit_tx(ledger, v)) == "acquisition.too_many"


def test_exercise_only_between_lock_end_and_expiry() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tx = commit_tx(ledger, v, lock_ms=10 * DAY_MS, expires_ms=20 * DAY_MS)
    ledger.block(tx)
    commitment = payload_id(tx.payload)
    record = acquisition.get_commitment(ledger.store, commitment)
    assert record is not None and voucher(ledger, v).commitments == (commitment,)
    assert ledger.refused(exercise_tx(ledger, v, commitment, 1000),
                          advance_ms=at(ledger, record.lock_until_ms - 1)) == "acquisition.locked"
    assert ledger.refused(exercise_tx(ledger, v, commitment, 1000),
                          advance_ms=at(ledger, record.expires_ms)) == "acquisition.expired"
    assert ledger.refused(exercise_tx(ledger, v, commitment, 0),
                          advance_ms=at(ledger, record.lock_until_ms)) == "voucher.bad_amount"
    assert ledger.refused(exercise_tx(ledger, v, commitment, 1_000_001),
                          advance_ms=at(ledger, record.lock_until_ms)) == "voucher.over_amount"
    assert ledger.refused(exercise_tx(ledger, v, NOBODY, 1000),
                          advance_ms=at(ledger, record.lock_until_ms)) == \
        "acquisition.not_on_voucher"
    ledger.block(exercise_tx(ledger, v, commitment, 1_000_000),
                 advance_ms=at(ledger, record.lock_until_ms))
    assert get_holder_totals(ledger.store, ledger.addr("acquirer")).held_fen == 1_000_000


def test_withdrawal_only_before_the_lock_ends() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    first, second = commit_tx(ledger, v, lock_ms=10 * DAY_MS), commit_tx(ledger, v)
    ledger.block(first, second)
    kept, withdrawn = payload_id(first.payload), payload_id(second.payload)
    assert ledger.refused(withdraw_commitment_tx(ledger, withdrawn, acquirer="bank")) == \
        "acquisition.not_acquirer"
    assert ledger.refused(withdraw_commitment_tx(ledger, NOBODY)) == "acquisition.unknown"
    ledger.block(withdraw_commitment_tx(ledger, withdrawn))
    assert acquisition.get_commitment(ledger.store, withdrawn).status == "withdrawn"
    assert ledger.refused(withdraw_commitment_tx(ledger, withdrawn)) == "acquisition.withdrawn"
    lock_ms = acquisition.get_commitment(ledger.store, kept).lock_until_ms
    assert ledger.refused(withdraw_commitment_tx(ledger, kept),
                          advance_ms=at(ledger, lock_ms)) == "acquisition.locked"
    ledger.block(advance_ms=at(ledger, acquisition.get_commitment(
        ledger.store, withdrawn).lock_until_ms))
    assert ledger.refused(exercise_tx(ledger, v, withdrawn, 1000)) == "acquisition.withdrawn"
    ledger.block(exercise_tx(ledger, v, kept, 1000))


def test_commitment_travels_to_later_holders_and_parts_and_is_exercised_pro_rata() -> None:
    ledger = Ledger(fee_rate_bp=5)
    v = ledger.issue(1_000_000)
    commit = commit_tx(ledger, v, price=9_750, lock_ms=10 * DAY_MS)
    ledger.block(commit)
    commitment = payload_id(commit.payload)
    whole = transfer_tx(ledger, v, 1_000_000)
    ledger.block(whole)
    moved = part_id(payload_id(whole.payload), v, 0)
    assert voucher(ledger, moved).commitments == (commitment,)
    split = split_tx(ledger, moved, (333_333, 666_667), holder="supplier2")
    ledger.block(split)
    small, large = (part_id(payload_id(split.payload), moved, i) for i in range(2))
    assert voucher(ledger, small).commitments == (commitment,)
    assert voucher(ledger, large).commitments == (commitment,)
    sell = exercise_tx(ledger, small, commitment, 333_333, holder="supplier2")
    events = ledger.block(sell, advance_ms=10 * DAY_MS)
    sold = part_id(payload_id(sell.payload), small, 0)
    assert (voucher(ledger, sold).holder, voucher(ledger, sold).amount_fen) == (
        ledger.addr("acquirer"), 333_333)
    assert voucher(ledger, sold).commitments == ()  # the acquirer needs no promise to itself
    # price = floor(333,333 × 9,750 / 10,000) = floor(324,999.675)
    sale = acquisition.get_record(
        ledger.store, acquisition.exercise_key(commitment, payload_id(sell.payload)),
        acquisition.Sale)
    assert sale is not None and (sale.claim_fen, sale.price_fen) == (333_333, 324_999)
    assert sale.seller == ledger.addr("supplier2")
    record = acquisition.get_commitment(ledger.store, commitment)
    assert (record.exercised_fen, record.paid_fen) == (333_333, 324_999)
    assert any(e.kind == "voucher.transferred" and ledger.addr("core") in e.parties
               for e in events)
    # A part of the other piece is sold too; its remainder keeps the commitment.
    sell2 = exercise_tx(ledger, large, commitment, 100_000, holder="supplier2")
    ledger.block(sell2)
    remainder = part_id(payload_id(sell2.payload), large, 1)
    assert voucher(ledger, remainder).commitments == (commitment,)
    assert voucher(ledger, remainder).amount_fen == 566_667
    record = acquisition.get_commitment(ledger.store, commitment)
    assert (record.exercised_fen, record.paid_fen) == (433_333, 324_999 + 97_500)
    assert get_holder_totals(ledger.store, ledger.addr("acquirer")).held_fen == 433_333
    # The seller owes the transfer fee on each sale: ceil(333,333 × 5 / 10,000) = 167.
    charged = fees.get_account(ledger.store, ledger.addr("supplier2")).charged_fen
    assert charged == 167 + 50


def test_acquirer_holding_a_covered_part_cannot_exercise_on_itself() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    commit = commit_tx(ledger, v, lock_ms=DAY_MS)
    ledger.block(commit)
    ledger.block(transfer_tx(ledger, v, 1000, to="acquirer"))
    part = live_ids_by_holder(ledger.store, ledger.addr("acquirer"))[0]
    assert ledger.refused(exercise_tx(ledger, part, payload_id(commit.payload), 1000,
                                      holder="acquirer"), advance_ms=2 * DAY_MS) == \
        "acquisition.self"


# ------------------------------------------------------------------ redemption


def test_debtor_publishes_changes_and_withdraws_offers() -> None:
    ledger = Ledger()
    offer = publish(ledger, "consumption", 5_000)
    found = redemption.get_offer(ledger.store, offer)
    assert found is not None and (found.kind, found.price_fen, found.status) == (
        "consumption", 5_000, "listed")
    change = redemption.Change(ledger.addr("core"), offer, "meals, hotel", 6_000)
    ledger.run("redemption", "change", change, "core")
    assert redemption.get_offer(ledger.store, offer).price_fen == 6_000
    other = redemption.Change(ledger.addr("supplier3"), offer, "mine now", 1)
    assert ledger.refused(ledger.tx("redemption", "change", other, "supplier3")) == \
        "redemption.not_debtor"
    assert ledger.refused(ledger.tx("redemption", "change", redemption.Change(
        ledger.addr("core"), offer, "free", 0), "core")) == "redemption.bad_price"
    assert ledger.refused(ledger.tx("redemption", "publish", redemption.Publish(
        ledger.addr("core"), "asset", "flat", 0), "core")) == "redemption.bad_price"
    assert refused_at_check(ledger, ledger.tx("redemption", "publish", redemption.Publish(
        ledger.addr("core"), "asset", "flat", 1), "supplier")) == "tx.unexpected_signature"
    ledger.run("redemption", "withdraw_offer", redemption.WithdrawOffer(ledger.addr("core"),
                                                                        offer), "core")
    assert redemption.get_offer(ledger.store, offer).status == "withdrawn"
    assert ledger.refused(ledger.tx("redemption", "change", change, "core")) == \
        "redemption.offer_withdrawn"
    assert ledger.refused(ledger.tx("redemption", "withdraw_offer", redemption.WithdrawOffer(
        ledger.addr("core"), NOBODY), "core")) == "redemption.unknown_offer"


def test_redemption_request_refusals() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000, asset=True, consumption=False)
    other_debtors = publish(ledger, "asset", debtor="supplier3")
    consumption = publish(ledger, "consumption")
    gone = publish(ledger, "asset")
    ledger.run("redemption", "withdraw_offer",
               redemption.WithdrawOffer(ledger.addr("core"), gone), "core")
    assert ledger.refused(ask_tx(ledger, v, other_debtors, 1000)) == "redemption.wrong_debtor"
    assert ledger.refused(ask_tx(ledger, v, consumption, 1000)) == \
        "redemption.method_not_allowed"
    assert ledger.refused(ask_tx(ledger, v, gone, 1000)) == "redemption.offer_withdrawn"
    assert ledger.refused(ask_tx(ledger, v, NOBODY, 1000)) == "redemption.unknown_offer"
    flat = publish(ledger, "asset")
    assert ledger.refused(ask_tx(ledger, v, flat, 0)) == "redemption.bad_price"
    assert ledger.refused(ask_tx(ledger, v, flat, 1000, holder="supplier2")) == \
        "voucher.not_holder"
    assert ledger.refused(ask_tx(ledger, v, flat, 1000, pledgee="bank")) == "pledge.not_pledged"


def test_a_waiting_request_reserves_the_voucher() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    flat = publish(ledger)
    ask = ask_tx(ledger, v, flat, 400_000)
    ledger.block(ask)
    assert voucher(ledger, v).reserved_by == payload_id(ask.payload)
    assert ledger.refused(transfer_tx(ledger, v, 1000)) == "voucher.reserved"
    assert ledger.refused(split_tx(ledger, v, (1, 999_999))) == "voucher.reserved"
    assert ledger.refused(pledge_tx(ledger, v, 1000)) == "voucher.reserved"
    assert ledger.refused(pay_tx(ledger, v, 1000)) == "voucher.reserved"
    assert ledger.refused(commit_tx(ledger, v)) == "voucher.reserved"
    assert ledger.refused(ask_tx(ledger, v, flat, 1000)) == "voucher.reserved"


def test_claim_above_the_price_leaves_a_remainder_that_keeps_circulating() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    flat = publish(ledger)
    ask = ask_tx(ledger, v, flat, 400_000)
    ledger.block(ask)
    accept = accept_tx(ledger, payload_id(ask.payload))
    events = ledger.block(accept)
    remainder = part_id(payload_id(accept.payload), v, 0)
    assert voucher(ledger, v).status == "consumed"
    kept = voucher(ledger, remainder)
    assert (kept.holder, kept.amount_fen, kept.cause) == (
        ledger.addr("supplier"), 600_000, "redemption_remainder")
    request = redemption.get_request(ledger.store, payload_id(ask.payload))
    assert (request.status, request.reduced_fen, request.shortfall_fen) == (
        "accepted", 400_000, 0)
    assert (request.title_ref, request.remainder) == ("FC-118", remainder)
    origin = get_origin(ledger.store, v)
    assert (origin.face_fen, origin.redeemed_fen, origin.live_parts) == (1_000_000, 400_000, 1)
    record = get_debtor_record(ledger.store, ledger.addr("core"))
    assert (record.outstanding_fen, record.redeemed_fen) == (600_000, 400_000)
    assert any(e.kind == "redemption.accepted" for e in events)
    ledger.block(transfer_tx(ledger, remainder, 600_000))  # and it circulates on
    assert get_holder_totals(ledger.store, ledger.addr("supplier2")).held_fen == 600_000


def test_claim_below_the_price_is_cancelled_and_the_shortfall_recorded() -> None:
    ledger = Ledger()
    v = ledger.issue(300_000)
    flat = publish(ledger)
    ask = ask_tx(ledger, v, flat, 400_000)
    ledger.block(ask)
    request_id = payload_id(ask.payload)
    assert ledger.refused(accept_tx(ledger, request_id)) == "redemption.shortfall_ref_required"
    assert ledger.refused(accept_tx(ledger, request_id, title_ref="", shortfall_ref="BANK-7")) \
        == "redemption.title_ref_required"
    events = ledger.block(accept_tx(ledger, request_id, shortfall_ref="BANK-7"))
    assert voucher(ledger, v).status == "cancelled"
    request = redemption.get_request(ledger.store, request_id)
    assert (request.reduced_fen, request.shortfall_fen, request.shortfall_ref) == (
        300_000, 100_000, "BANK-7")
    assert request.remainder is None
    assert get_origin(ledger.store, v).redeemed_fen == 300_000
    assert get_origin(ledger.store, v).live_parts == 0
    assert get_debtor_record(ledger.store, ledger.addr("core")).outstanding_fen == 0
    assert live_ids_by_debtor(ledger.store, ledger.addr("core")) == []
    assert any(e.kind == "voucher.cancelled" for e in events)
    assert ledger.refused(transfer_tx(ledger, v, 1000)) == "voucher.cancelled"
    assert ledger.refused(ask_tx(ledger, v, flat, 1000)) == "voucher.cancelled"


def test_claim_equal_to_the_price_is_cancelled_without_shortfall() -> None:
    ledger = Ledger()
    v = ledger.issue(5_000, asset=False, consumption=True)
    meals = publish(ledger, "consumption", 5_000)
    ask = ask_tx(ledger, v, meals, 5_000)
    ledger.block(ask)
    ledger.block(accept_tx(ledger, payload_id(ask.payload), title_ref=""))  # no title needed
    assert voucher(ledger, v).status == "cancelled"
    request = redemption.get_request(ledger.store, payload_id(ask.payload))
    assert (request.reduced_fen, request.shortfall_fen) == (5_000, 0)
    assert ledger.refused(pledge_tx(ledger, v, 1000)) == "voucher.cancelled"


def test_only_the_debtor_decides_once_and_the_holder_may_cancel() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    flat = publish(ledger)
    ask = ask_tx(ledger, v, flat, 400_000)
    ledger.block(ask)
    request_id = payload_id(ask.payload)
    assert ledger.refused(accept_tx(ledger, request_id, debtor="supplier3")) == \
        "redemption.not_debtor"
    decline_other = redemption.Decline(ledger.addr("supplier3"), request_id, "no")
    assert ledger.refused(ledger.tx("redemption", "decline", decline_other, "supplier3")) == \
        "redemption.not_debtor"
    assert refused_at_check(ledger, ledger.tx("redemption", "accept", redemption.Accept(
        ledger.addr("core"), request_id, "FC", ""), "supplier")) == "tx.unexpected_signature"
    decline = redemption.Decline(ledger.addr("core"), request_id, "flat already sold")
    ledger.run("redemption", "decline", decline, "core")
    assert redemption.get_request(ledger.store, request_id).status == "declined"
    assert voucher(ledger, v).reserved_by is None
    assert ledger.refused(accept_tx(ledger, request_id)) == "redemption.already_decided"
    assert ledger.refused(ledger.tx("redemption", "decline", decline, "core")) == \
        "redemption.already_decided"
    assert ledger.refused(accept_tx(ledger, NOBODY)) == "redemption.unknown_request"
    again = ask_tx(ledger, v, flat, 400_000)
    ledger.block(again)
    cancel_other = redemption.Cancel(ledger.addr("supplier2"), payload_id(again.payload))
    assert ledger.refused(ledger.tx("redemption", "cancel", cancel_other, "supplier2")) == \
        "redemption.not_holder"
    cancel = redemption.Cancel(ledger.addr("supplier"), payload_id(again.payload))
    ledger.run("redemption", "cancel", cancel, "supplier")
    assert redemption.get_request(ledger.store, payload_id(again.payload)).status == \
        "cancelled"
    assert voucher(ledger, v).reserved_by is None
    assert ledger.refused(ledger.tx("redemption", "cancel", cancel, "supplier")) == \
        "redemption.already_decided"
    ledger.block(transfer_tx(ledger, v, 1000))  # free again


def test_accept_refused_while_the_holder_is_suspended() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    flat = publish(ledger)
    ask = ask_tx(ledger, v, flat, 400_000)
    ledger.block(ask)
    suspend(ledger, "supplier")
    assert ledger.refused(accept_tx(ledger, payload_id(ask.payload))) == "membership.suspended"


# ------------------------------------------------------------------ merchant payment


def test_merchant_payment_makes_the_merchant_holder() -> None:
    ledger = Ledger(fee_rate_bp=5)
    v = ledger.issue(1_000_000)
    tx = pay_tx(ledger, v, 12_345)
    events = ledger.block(tx)
    paid = part_id(payload_id(tx.payload), v, 0)
    assert (voucher(ledger, paid).holder, voucher(ledger, paid).amount_fen) == (
        ledger.addr("merchant"), 12_345)
    assert voucher(ledger, paid).cause == "merchant_payment"
    assert get_holder_totals(ledger.store, ledger.addr("supplier")).held_fen == 987_655
    assert any(e.kind == "payment.accepted" for e in events)
    # ceil(12,345 × 5 / 10,000) = ceil(6.1725) = 7, owed by the payer
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 7


def test_merchant_payment_needs_a_merchant_who_signs() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    assert refused_at_check(ledger, pay_tx(ledger, v, 1000, signers=("supplier",))) == \
        "tx.missing_signature"
    assert ledger.refused(pay_tx(ledger, v, 1000, merchant="supplier2")) == \
        "membership.missing_role"
    assert ledger.refused(pay_tx(ledger, v, 0)) == "voucher.bad_amount"
    assert ledger.refused(pay_tx(ledger, v, 1_000_001)) == "voucher.over_amount"
    assert ledger.refused(pay_tx(ledger, v, 1000, payer="supplier2")) == "voucher.not_holder"
    suspend(ledger, "merchant")
    assert ledger.refused(pay_tx(ledger, v, 1000)) == "membership.suspended"


# ------------------------------------------------------------------ extension and overdue


def test_extension_clause_extends_as_often_as_allowed_then_overdue_counted_once() -> None:
    ledger = Ledger()
    v = ledger.issue(900_000, due_in_ms=10 * DAY_MS, extension_days=30, extension_max=2)
    due_ms = voucher(ledger, v).due_ms
    split = split_tx(ledger, v, (300_000, 300_000, 300_000))
    ledger.block(split)
    parts = [part_id(payload_id(split.payload), v, i) for i in range(3)]
    debtor = ledger.addr("core")

    assert ledger.block(advance_ms=at(ledger, due_ms - 1)) == []  # one ms before: nothing
    assert ledger.block(advance_ms=1) == []  # on the due date the claim is still in term
    events = ledger.block(advance_ms=1)
    assert sorted(e.subject for e in events if e.kind == "voucher.extended") == sorted(parts)
    assert all(debtor in e.parties for e in events)
    for part in parts:
        assert (voucher(ledger, part).due_ms, voucher(ledger, part).extensions_used) == (
            due_ms + 30 * DAY_MS, 1)
    assert get_origin(ledger.store, v).extensions == 1
    assert get_debtor_record(ledger.store, debtor).extended_vouchers == 1

    events = ledger.block(advance_ms=at(ledger, due_ms + 30 * DAY_MS + 1))
    assert [e.kind for e in events] == ["voucher.extended"] * 3
    assert get_debtor_record(ledger.store, debtor).extended_vouchers == 2
    assert get_debtor_record(ledger.store, debtor).overdue_vouchers == 0

    last_due_ms = due_ms + 60 * DAY_MS
    assert ledger.block(advance_ms=at(ledger, last_due_ms)) == []
    events = ledger.block(advance_ms=1)
    assert [e.kind for e in events] == ["voucher.overdue"] * 3
    for part in parts:
        assert voucher(ledger, part).overdue_since_ms == ledger.time_ms
        assert voucher(ledger, part).extensions_used == 2
    record = get_debtor_record(ledger.store, debtor)
    assert (record.extended_vouchers, record.overdue_vouchers) == (2, 1)
    assert get_origin(ledger.store, v).overdue_since_ms == ledger.time_ms
    assert ledger.block(advance_ms=365 * DAY_MS) == []  # overdue once, not again
    # An overdue claim still circulates and carries its status to its parts.
    tx = transfer_tx(ledger, parts[0], 100_000)
    ledger.block(tx)
    assert voucher(ledger, part_id(payload_id(tx.payload), parts[0], 0)).overdue_since_ms \
        is not None
    assert get_debtor_record(ledger.store, debtor).overdue_vouchers == 1


def test_after_a_long_pause_a_voucher_takes_every_extension_it_owes_in_one_block() -> None:
    ledger = Ledger()
    v = ledger.issue(900_000, due_in_ms=10 * DAY_MS, extension_days=10, extension_max=3)
    due_ms = voucher(ledger, v).due_ms
    debtor = ledger.addr("core")
    # The chain stood still for 15 days past the due date: two extensions are owed at once.
    events = ledger.block(advance_ms=at(ledger, due_ms + 15 * DAY_MS))
    # One event tells holder and debtor; the state says how many extensions it took.
    assert [e.kind for e in events] == ["voucher.extended"]
    assert (voucher(ledger, v).due_ms, voucher(ledger, v).extensions_used) == (
        due_ms + 20 * DAY_MS, 2)
    assert voucher(ledger, v).overdue_since_ms is None
    assert get_debtor_record(ledger.store, debtor).extended_vouchers == 2
    # Another 40 days: the last extension runs out within the pause, so it is overdue now.
    events = ledger.block(advance_ms=40 * DAY_MS)
    assert [e.kind for e in events] == ["voucher.extended", "voucher.overdue"]
    assert voucher(ledger, v).overdue_since_ms == ledger.time_ms
    record = get_debtor_record(ledger.store, debtor)
    assert (record.extended_vouchers, record.overdue_vouchers) == (3, 1)


def test_voucher_without_extension_clause_goes_overdue_at_once() -> None:
    ledger = Ledger()
    v = ledger.issue(500_000, due_in_ms=5 * DAY_MS)
    other = ledger.issue(500_000, due_in_ms=50 * DAY_MS)
    due_ms = voucher(ledger, v).due_ms
    assert ledger.block(advance_ms=at(ledger, due_ms - 1)) == []
    assert voucher(ledger, v).overdue_since_ms is None
    events = ledger.block(advance_ms=2)
    assert [(e.kind, e.subject) for e in events] == [("voucher.overdue", v)]
    assert voucher(ledger, v).overdue_since_ms == due_ms + 1
    assert voucher(ledger, other).overdue_since_ms is None
    record = get_debtor_record(ledger.store, ledger.addr("core"))
    assert (record.extended_vouchers, record.overdue_vouchers) == (0, 1)


def test_each_issued_voucher_counts_once_in_the_debtor_record() -> None:
    ledger = Ledger()
    first = ledger.issue(100_000, due_in_ms=5 * DAY_MS)
    second = ledger.issue(100_000, due_in_ms=5 * DAY_MS)
    ledger.block(split_tx(ledger, first, (50_000, 50_000)), transfer_tx(ledger, second, 1))
    ledger.block(advance_ms=6 * DAY_MS)
    assert get_debtor_record(ledger.store, ledger.addr("core")).overdue_vouchers == 2


# ------------------------------------------------------------------ confirmations


def test_timely_confirmation_counts_with_its_delay_and_a_lapse_counts_as_late() -> None:
    ledger = Ledger()
    debtor = ledger.addr("core")

    def apply(basis: str) -> bytes:
        terms = issuance.Terms(debtor, 1000, ledger.time_ms + 365 * DAY_MS, True, False, 0, 0,
                               basis, sha256(basis.encode()))
        return ledger.run("issuance", "apply", issuance.Apply(ledger.addr("supplier"), terms),
                          "supplier")

    timely = apply("T")
    applied_ms = ledger.time_ms
    ledger.block(ledger.tx("issuance", "confirm", issuance.Confirm(debtor, timely), "core"),
                 advance_ms=3 * DAY_MS)
    record = get_debtor_record(ledger.store, debtor)
    assert (record.confirmations, record.confirmation_delay_ms) == (1, ledger.time_ms - applied_ms)
    assert record.late_confirmations == 0

    apply("L")
    ledger.block(advance_ms=issuance.CONFIRMATION_WINDOW_MS)
    assert get_debtor_record(ledger.store, debtor).late_confirmations == 0  # the last ms
    events = ledger.block(advance_ms=1)
    assert [e.kind for e in events] == ["application.lapsed"]
    record = get_debtor_record(ledger.store, debtor)
    assert (record.confirmations, record.late_confirmations) == (1, 1)


# ------------------------------------------------------------------ fees


@pytest.mark.parametrize(("amount_fen", "rate_bp", "fee_fen"), [
    (1, 5, 1),  # a fraction of a fen is owed as a whole fen
    (20_000, 5, 10),
    (20_001, 5, 11),
    (19_999, 5, 10),
    (1_000_000, 0, 0),
    (1_000_000, 1000, 100_000),
])
def test_fee_is_the_ceiling_of_amount_times_rate(amount_fen: int, rate_bp: int,
                                                 fee_fen: int) -> None:
    assert fees.fee_for(amount_fen, rate_bp) == fee_fen
    ledger = Ledger(fee_rate_bp=rate_bp)
    v = ledger.issue(1_000_000)
    ledger.block(transfer_tx(ledger, v, amount_fen))
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == fee_fen


def test_schedule_set_by_the_agency_applies_from_the_next_transaction() -> None:
    ledger = Ledger(fee_rate_bp=5)
    v = ledger.issue(1_000_000)
    before = transfer_tx(ledger, v, 10_000)
    rest = part_id(payload_id(before.payload), v, 1)
    schedule = ledger.tx("fees", "set_schedule",
                         fees.SetSchedule(ledger.addr("agency"), 100, 20), "agency")
    after = transfer_tx(ledger, rest, 10_000)
    ledger.block(before, schedule, after)
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 5 + 100
    current = fees.get_schedule(ledger.store)
    assert (current.transfer_bp, current.pledge_bp, current.set_height) == (100, 20, ledger.height)


def test_only_the_agency_sets_the_schedule_within_bounds() -> None:
    ledger = Ledger()
    assert ledger.refused(ledger.tx("fees", "set_schedule",
                                    fees.SetSchedule(ledger.addr("bank"), 1, 1), "bank")) == \
        "membership.missing_role"
    assert refused_at_check(ledger, ledger.tx(
        "fees", "set_schedule", fees.SetSchedule(ledger.addr("agency"), 1, 1), "bank")) == \
        "tx.unexpected_signature"
    for transfer_bp, pledge_bp in ((fees.MAX_RATE_BP + 1, 0), (0, fees.MAX_RATE_BP + 1)):
        assert ledger.refused(ledger.tx("fees", "set_schedule", fees.SetSchedule(
            ledger.addr("agency"), transfer_bp, pledge_bp), "agency")) == "fees.bad_rate"
    ledger.run("fees", "set_schedule",
               fees.SetSchedule(ledger.addr("agency"), fees.MAX_RATE_BP, 0), "agency")


def test_fee_payments_are_recorded_up_to_what_is_owed() -> None:
    ledger = Ledger(fee_rate_bp=10)
    v = ledger.issue(1_000_000)
    ledger.block(transfer_tx(ledger, v, 1_000_000))  # 1,000 fen owed

    def record(amount_fen: int, agency: str = "agency") -> Transaction:
        return ledger.tx("fees", "record_payment", fees.RecordPayment(
            ledger.addr(agency), ledger.addr("supplier"), amount_fen, "receipt 1"), agency)

    assert ledger.refused(record(1_001)) == "fees.overpaid"
    assert ledger.refused(record(0)) == "fees.bad_amount"
    assert ledger.refused(record(1, agency="bank")) == "membership.missing_role"
    ledger.block(record(600))
    assert fees.get_account(ledger.store, ledger.addr("supplier")).owed_fen == 400
    assert ledger.refused(record(401)) == "fees.overpaid"
    ledger.block(record(400))
    assert fees.get_account(ledger.store, ledger.addr("supplier")).owed_fen == 0


# ------------------------------------------------------------------ no claim spent twice


def test_a_voucher_spent_twice_in_one_block_is_refused_the_second_time() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    to_one = transfer_tx(ledger, v, 1_000_000, to="supplier2")
    to_other = pay_tx(ledger, v, 1_000_000)
    assert ledger.refused(to_one, to_other) == "voucher.consumed"
    ledger.block(to_one)
    assert ledger.refused(to_other) == "voucher.consumed"
    assert ledger.refused(to_one) == "tx.replay"


# ------------------------------------------------------------------ suspended members


def test_a_suspended_member_signs_nothing_not_even_a_withdrawal() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    w = ledger.issue(1_000_000, creditor="supplier2")
    commit = commit_tx(ledger, v)
    ledger.block(commit)
    flat = publish(ledger)
    to_decline, to_cancel = ask_tx(ledger, v, flat, 1000), ask_tx(
        ledger, w, flat, 1000, holder="supplier2")
    ledger.block(to_decline, to_cancel)
    terms = issuance.Terms(ledger.addr("core"), 1000, ledger.time_ms + 365 * DAY_MS, True,
                           False, 0, 0, "HT-W", sha256(b"HT-W"))
    application = ledger.run("issuance", "apply",
                             issuance.Apply(ledger.addr("supplier3"), terms), "supplier3")
    for name in ("acquirer", "core", "supplier2", "supplier3"):
        suspend(ledger, name)
    assert ledger.refused(withdraw_commitment_tx(ledger, payload_id(commit.payload))) == \
        "membership.suspended"
    assert ledger.refused(ledger.tx("redemption", "decline", redemption.Decline(
        ledger.addr("core"), payload_id(to_decline.payload), "no"), "core")) == \
        "membership.suspended"
    assert ledger.refused(ledger.tx("redemption", "cancel", redemption.Cancel(
        ledger.addr("supplier2"), payload_id(to_cancel.payload)), "supplier2")) == \
        "membership.suspended"
    assert ledger.refused(ledger.tx("issuance", "withdraw", issuance.Withdraw(
        ledger.addr("supplier3"), application), "supplier3")) == "membership.suspended"
    # The other side, still active, may end the waiting request.
    ledger.run("redemption", "cancel",
               redemption.Cancel(ledger.addr("supplier"), payload_id(to_decline.payload)),
               "supplier")
    assert voucher(ledger, v).reserved_by is None
