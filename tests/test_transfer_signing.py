"""签收 (§001-三(三): 双方当事人): a transfer completes only when the transferee signs.

Both parties sign one transfer on the spot, or the holder offers a part alone: the part
is reserved until the transferee signs (and receives it whole), refuses, the holder
withdraws, or the time to sign passes and the end of a block lapses it. Every refusal
code of the transfer family has its test here."""

from __future__ import annotations

import pytest

from contracts import documents, fees, pledge
from contracts import transfer as transfers
from contracts.codec import encode
from contracts.errors import CodecError, LedgerError
from contracts.ledger import check_transaction
from contracts.transfer import DAY_MS, MAX_SIGN_DAYS, PendingTransfer
from contracts.tx import Transaction, payload_id
from contracts.vouchers import (
    Voucher,
    children_ids,
    get_holder_totals,
    get_voucher,
    live_ids_by_holder,
    part_id,
)
from tests.memledger import CHAIN, Ledger
from tests.test_lifecycle_rules import (
    ask_tx,
    commit_tx,
    pay_tx,
    pledge_tx,
    publish,
    split_tx,
    suspend,
    transfer_tx,
)
from tests.test_setoff_rules import propose_tx, triangle

REF = "ZR-2027-0042 债权转让合同"


# ------------------------------------------------------------------ helpers


def voucher(ledger: Ledger, voucher_id: bytes) -> Voucher:
    found = get_voucher(ledger.store, voucher_id)
    assert found is not None
    return found


def pending(ledger: Ledger, transfer_id: bytes) -> PendingTransfer:
    found = transfers.get_pending_transfer(ledger.store, transfer_id)
    assert found is not None
    return found


def offer_tx(ledger: Ledger, voucher_id: bytes, amount_fen: int, to: str = "supplier2",
             holder: str = "supplier", days: int = 7, pledgee: str | None = None,
             docs: tuple[bytes, ...] = ()) -> Transaction:
    body = transfers.Offer(ledger.addr(holder), voucher_id, ledger.addr(to), amount_fen,
                           None if pledgee is None else ledger.addr(pledgee), REF, days, docs)
    signers = (holder,) if pledgee is None else (holder, pledgee)
    return ledger.tx("transfer", "offer", body, *signers)


def offer(ledger: Ledger, voucher_id: bytes, amount_fen: int, **kwargs) -> bytes:
    tx = offer_tx(ledger, voucher_id, amount_fen, **kwargs)
    ledger.block(tx)
    return payload_id(tx.payload)


def sign_tx(ledger: Ledger, transfer_id: bytes, to: str = "supplier2") -> Transaction:
    return ledger.tx("transfer", "sign", transfers.Sign(ledger.addr(to), transfer_id), to)


def refuse_tx(ledger: Ledger, transfer_id: bytes, to: str = "supplier2",
              reason: str = "no such delivery") -> Transaction:
    return ledger.tx("transfer", "refuse",
                     transfers.Refuse(ledger.addr(to), transfer_id, reason), to)


def withdraw_tx(ledger: Ledger, transfer_id: bytes, holder: str = "supplier") -> Transaction:
    return ledger.tx("transfer", "withdraw",
                     transfers.Withdraw(ledger.addr(holder), transfer_id), holder)


def attach(ledger: Ledger, owner: str, *parties: str) -> bytes:
    """A document `owner` attached, sealed to `parties`; its id."""
    addresses = tuple(ledger.addr(p) for p in parties)
    readers = documents.readers_for(ledger.store, addresses)
    body = documents.attach_body(ledger.keys[owner], b"contract text " + owner.encode(),
                                 "transfer contract", addresses, readers)
    ledger.run("document", "attach", body, owner)
    return documents.document_id(body.owner, body.commitment)


def kinds(events: list) -> list[str]:
    return [e.kind for e in events]


# ------------------------------------------------------------------ on the spot


def test_both_parties_sign_a_transfer_on_the_spot_and_the_debtor_is_told() -> None:
    ledger = Ledger(fee_rate_bp=10)
    v = ledger.issue(1_000_000)
    tx = transfer_tx(ledger, v, 400_000)
    events = ledger.block(tx)
    moved = part_id(payload_id(tx.payload), v, 0)
    assert voucher(ledger, moved).holder == ledger.addr("supplier2")
    told = next(e for e in events if e.kind == "voucher.transferred")
    assert set(told.parties) == {ledger.addr(n) for n in ("supplier", "supplier2", "core")}
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 400


def test_a_transfer_names_documents_sealed_to_both_parties_and_no_other() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    both = attach(ledger, "supplier", "supplier", "supplier2")
    with_debtor = attach(ledger, "supplier", "supplier", "core")
    body = transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"), 1_000,
                              None, REF, (with_debtor,))
    assert ledger.refused(ledger.tx("transfer", "transfer", body, "supplier", "supplier2")) \
        == "document.not_party"
    body = transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"), 1_000,
                              None, REF, (bytes(32),))
    assert ledger.refused(ledger.tx("transfer", "transfer", body, "supplier", "supplier2")) \
        == "document.unknown"
    body = transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"), 1_000,
                              None, REF, (both,))
    ledger.block(ledger.tx("transfer", "transfer", body, "supplier", "supplier2"))
    assert voucher(ledger, v).status == "consumed"


def test_a_transfer_without_its_contract_reference_cannot_be_encoded() -> None:
    ledger = Ledger()
    v = ledger.issue()
    for ref in ("", "x" * 257):
        with pytest.raises(CodecError):
            encode(transfers.Transfer(ledger.addr("supplier"), v, ledger.addr("supplier2"),
                                      1_000, None, ref))


def test_the_holder_alone_cannot_transfer_on_the_spot() -> None:
    ledger = Ledger()
    v = ledger.issue()
    tx = transfer_tx(ledger, v, 1_000, signers=("supplier",))
    with pytest.raises(LedgerError) as refused:
        check_transaction(ledger.registry, CHAIN, encode(tx), ledger.height + 1)
    assert refused.value.code == "tx.missing_signature"


# ------------------------------------------------------------------ offer


def test_an_offer_reserves_the_part_and_leaves_the_remainder_free() -> None:
    ledger = Ledger(fee_rate_bp=10)
    v = ledger.issue(1_000_000)
    tx = offer_tx(ledger, v, 300_000, days=10)
    events = ledger.block(tx)
    tid = payload_id(tx.payload)
    reserved_id, rest_id = part_id(tid, v, 0), part_id(tid, v, 1)
    assert children_ids(ledger.store, v) == sorted([reserved_id, rest_id])
    reserved, rest = voucher(ledger, reserved_id), voucher(ledger, rest_id)
    assert (reserved.holder, reserved.amount_fen, reserved.reserved_by) == (
        ledger.addr("supplier"), 300_000, tid)
    assert (rest.amount_fen, rest.reserved_by) == (700_000, None)
    p = pending(ledger, tid)
    assert (p.holder, p.to, p.debtor, p.voucher, p.amount_fen, p.contract_ref, p.status) == (
        ledger.addr("supplier"), ledger.addr("supplier2"), ledger.addr("core"), reserved_id,
        300_000, REF, "pending")
    assert p.sign_by_ms == ledger.time_ms + 10 * DAY_MS and p.decided_at_ms is None
    offered = next(e for e in events if e.kind == "transfer.offered")
    assert (offered.subject, set(offered.parties)) == (
        tid, {ledger.addr("supplier"), ledger.addr("supplier2")})
    # The holder still holds it all, owes no fee yet, and the transferee holds nothing.
    assert get_holder_totals(ledger.store, ledger.addr("supplier")).held_fen == 1_000_000
    assert get_holder_totals(ledger.store, ledger.addr("supplier2")).held_fen == 0
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 0
    assert transfers.pending_count(ledger.store, ledger.addr("supplier"),
                                   ledger.addr("supplier2")) == 1
    # The remainder moves freely meanwhile.
    ledger.block(transfer_tx(ledger, rest_id, 700_000, to="supplier3"))


def test_an_offer_of_the_whole_voucher_reserves_that_state_itself() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tid = offer(ledger, v, 1_000_000)
    assert pending(ledger, tid).voucher == v
    assert voucher(ledger, v).reserved_by == tid and children_ids(ledger.store, v) == []


def test_both_parties_are_listed_their_offers() -> None:
    ledger = Ledger()
    tid = offer(ledger, ledger.issue(), 1_000)
    by_holder, _ = transfers.transfers_page(ledger.store, None, 10, holder=ledger.addr("supplier"))
    to_me, _ = transfers.transfers_page(ledger.store, None, 10, to=ledger.addr("supplier2"),
                                        status="pending")
    assert [p.id for p in by_holder] == [p.id for p in to_me] == [tid]
    assert transfers.transfers_page(ledger.store, None, 10, to=ledger.addr("supplier2"),
                                    status="signed")[0] == []


@pytest.mark.parametrize(("days", "ok"), [(0, False), (1, True), (MAX_SIGN_DAYS, True),
                                          (MAX_SIGN_DAYS + 1, False)])
def test_the_time_to_sign_is_one_day_to_a_month(days: int, ok: bool) -> None:
    ledger = Ledger()
    tx = offer_tx(ledger, ledger.issue(), 1_000, days=days)
    if ok:
        ledger.block(tx)
    else:
        assert ledger.refused(tx) == "transfer.bad_days"


@pytest.mark.parametrize(("to", "amount_fen", "holder", "code"), [
    ("supplier", 1_000, "supplier", "transfer.to_self"),
    ("core", 1_000, "supplier", "transfer.to_debtor"),
    ("regulator", 1_000, "supplier", "membership.cannot_hold"),
    ("supplier2", 0, "supplier", "voucher.bad_amount"),
    ("supplier2", 1_000_001, "supplier", "voucher.over_amount"),
    ("supplier3", 1_000, "supplier2", "voucher.not_holder"),
])
def test_an_offer_is_checked_as_a_transfer_is(to: str, amount_fen: int, holder: str,
                                              code: str) -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    assert ledger.refused(offer_tx(ledger, v, amount_fen, to=to, holder=holder)) == code


def test_an_offer_names_documents_sealed_to_both_parties() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    with_debtor = attach(ledger, "supplier", "supplier", "core")
    assert ledger.refused(offer_tx(ledger, v, 1_000, docs=(with_debtor,))) == \
        "document.not_party"
    both = attach(ledger, "supplier2", "supplier", "supplier2")
    tid = offer(ledger, v, 1_000, docs=(both,))
    assert pending(ledger, tid).documents == (both,)


def test_the_offer_needs_only_the_holder_and_the_signing_only_the_transferee() -> None:
    ledger = Ledger()
    v = ledger.issue()
    body = transfers.Offer(ledger.addr("supplier"), v, ledger.addr("supplier2"), 1_000, None,
                           REF, 7)
    for signers, code in [(("supplier", "supplier2"), "tx.unexpected_signature"),
                          (("supplier2",), "tx.unexpected_signature"),
                          ((), "tx.missing_signature")]:
        tx = ledger.tx("transfer", "offer", body, *signers)
        assert signature_refusal(ledger, tx) == code
    tid = offer(ledger, v, 1_000)
    tx = ledger.tx("transfer", "sign", transfers.Sign(ledger.addr("supplier2"), tid),
                   "supplier")
    assert signature_refusal(ledger, tx) == "tx.unexpected_signature"


def signature_refusal(ledger: Ledger, tx: Transaction) -> str:
    """Why `tx`'s signatures are refused: on arrival when their number is wrong, else by
    the block, since which key signs for a member is the state's (a key can change)."""
    try:
        check_transaction(ledger.registry, CHAIN, encode(tx), ledger.height + 1)
    except LedgerError as e:
        return e.code
    return ledger.refused(tx)


def test_a_holder_cannot_flood_a_member_with_offers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfers, "MAX_PENDING_PER_PAIR", 2)
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    first = offer_tx(ledger, v, 1_000)
    ledger.block(first)
    rest = part_id(payload_id(first.payload), v, 1)
    second = offer_tx(ledger, rest, 1_000)
    ledger.block(second)
    rest = part_id(payload_id(second.payload), rest, 1)
    assert ledger.refused(offer_tx(ledger, rest, 1_000)) == "transfer.too_many_pending"
    # Another transferee is not affected, and a withdrawal frees a place.
    third = offer_tx(ledger, rest, 1_000, to="supplier3")
    ledger.block(third)
    rest = part_id(payload_id(third.payload), rest, 1)
    ledger.block(withdraw_tx(ledger, payload_id(first.payload)))
    ledger.block(offer_tx(ledger, rest, 1_000))


# ------------------------------------------------------------------ while it waits


def test_a_reserved_part_cannot_be_moved_pledged_sold_redeemed_or_offered_again() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.block(commit_tx(ledger, v, lock_ms=DAY_MS))
    offer(ledger, v, 1_000_000)
    flat = publish(ledger)
    for tx in (transfer_tx(ledger, v, 1_000), split_tx(ledger, v, (1, 999_999)),
               pledge_tx(ledger, v, 1_000), pay_tx(ledger, v, 1_000),
               ask_tx(ledger, v, flat, 1_000), offer_tx(ledger, v, 1_000, to="supplier3")):
        assert ledger.refused(tx, advance_ms=2 * DAY_MS) == "voucher.reserved"


def test_a_reserved_part_cannot_be_set_off() -> None:
    t = triangle()
    offer(t.ledger, t.voucher, 1_000_000, to="supplier3")
    assert t.ledger.refused(propose_tx(t.ledger, t.legs(300_000))) == "voucher.reserved"


def test_a_pledged_voucher_is_offered_with_its_bank_co_signing() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    create = pledge_tx(ledger, v, 500_000)
    ledger.block(create)
    assert ledger.refused(offer_tx(ledger, v, 400_000)) == "voucher.pledged"
    assert ledger.refused(offer_tx(ledger, v, 400_000, pledgee="bank2")) == "pledge.wrong_bank"
    events = ledger.block(offer_tx(ledger, v, 400_000, pledgee="bank"))
    assert "pledge.released" in kinds(events)

    registered = pledge.get_pledge(ledger.store, payload_id(create.payload))
    assert registered is not None and registered.status == "released"
    tid = next(e.subject for e in events if e.kind == "transfer.offered")
    ledger.block(sign_tx(ledger, tid))  # the bank's consent was given with the offer
    assert pending(ledger, tid).status == "signed"
    assert ledger.refused(offer_tx(ledger, ledger.issue(), 1_000, pledgee="bank")) == \
        "pledge.not_pledged"


# ------------------------------------------------------------------ sign


def test_the_transferee_signs_and_receives_the_reserved_part_whole() -> None:
    ledger = Ledger(fee_rate_bp=10)
    v = ledger.issue(1_000_000)
    tid = offer(ledger, v, 300_000)
    reserved = pending(ledger, tid).voucher
    sign = sign_tx(ledger, tid)
    events = ledger.block(sign)
    moved = part_id(payload_id(sign.payload), reserved, 0)
    assert children_ids(ledger.store, reserved) == [moved]
    got = voucher(ledger, moved)
    assert (got.holder, got.amount_fen, got.reserved_by, got.cause) == (
        ledger.addr("supplier2"), 300_000, None, "transfer")
    assert voucher(ledger, reserved).status == "consumed"
    p = pending(ledger, tid)
    assert (p.status, p.moved, p.decided_at_ms) == ("signed", moved, ledger.time_ms)
    told = next(e for e in events if e.kind == "voucher.transferred")
    assert set(told.parties) == {ledger.addr(n) for n in ("supplier", "supplier2", "core")}
    assert "transfer.signed" in kinds(events)
    # The transferor owes the fee, now that the transfer is done.
    assert fees.get_account(ledger.store, ledger.addr("supplier")).charged_fen == 300
    assert get_holder_totals(ledger.store, ledger.addr("supplier2")).held_fen == 300_000
    assert transfers.pending_count(ledger.store, ledger.addr("supplier"),
                                   ledger.addr("supplier2")) == 0
    assert ledger.refused(sign_tx(ledger, tid)) == "transfer.not_pending"
    assert ledger.refused(withdraw_tx(ledger, tid)) == "transfer.not_pending"
    # Past its time to sign, a signed transfer is still signed, not lapsed.
    assert ledger.refused(refuse_tx(ledger, tid), advance_ms=9 * DAY_MS) == \
        "transfer.not_pending"


def test_only_the_named_transferee_signs_or_refuses() -> None:
    ledger = Ledger()
    tid = offer(ledger, ledger.issue(), 1_000)
    assert ledger.refused(sign_tx(ledger, tid, to="supplier3")) == "transfer.not_transferee"
    assert ledger.refused(refuse_tx(ledger, tid, to="supplier3")) == "transfer.not_transferee"


def test_an_unknown_transfer_is_refused_by_every_answer() -> None:
    ledger = Ledger()
    for tx in (sign_tx(ledger, bytes(32)), refuse_tx(ledger, bytes(32)),
               withdraw_tx(ledger, bytes(32))):
        assert ledger.refused(tx) == "transfer.unknown"


def test_a_suspended_transferee_or_holder_cannot_complete_the_transfer() -> None:
    ledger = Ledger()
    tid = offer(ledger, ledger.issue(), 1_000)
    suspend(ledger, "supplier")
    assert ledger.refused(sign_tx(ledger, tid)) == "membership.suspended"
    ledger = Ledger()
    tid = offer(ledger, ledger.issue(), 1_000)
    suspend(ledger, "supplier2")
    assert ledger.refused(sign_tx(ledger, tid)) == "membership.suspended"


# ------------------------------------------------------------------ refuse and withdraw


def test_the_transferee_refuses_with_a_reason_and_the_part_is_free_again() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tid = offer(ledger, v, 1_000_000)
    events = ledger.block(refuse_tx(ledger, tid, reason="goods never delivered"))
    p = pending(ledger, tid)
    assert (p.status, p.reason, p.moved) == ("refused", "goods never delivered", None)
    refused = next(e for e in events if e.kind == "transfer.refused")
    assert set(refused.parties) == {ledger.addr("supplier"), ledger.addr("supplier2")}
    assert voucher(ledger, v).reserved_by is None
    assert ledger.refused(sign_tx(ledger, tid)) == "transfer.not_pending"
    ledger.block(transfer_tx(ledger, v, 1_000_000, to="supplier3"))


def test_a_refusal_states_its_reason() -> None:
    ledger = Ledger()
    tid = offer(ledger, ledger.issue(), 1_000)
    with pytest.raises(CodecError):
        encode(transfers.Refuse(ledger.addr("supplier2"), tid, ""))


def test_the_holder_withdraws_its_offer_and_only_it() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tid = offer(ledger, v, 1_000_000)
    assert ledger.refused(withdraw_tx(ledger, tid, holder="supplier2")) == \
        "transfer.not_holder"
    events = ledger.block(withdraw_tx(ledger, tid))
    assert "transfer.withdrawn" in kinds(events)
    assert pending(ledger, tid).status == "withdrawn"
    assert voucher(ledger, v).reserved_by is None
    assert ledger.refused(sign_tx(ledger, tid)) == "transfer.not_pending"
    assert ledger.refused(refuse_tx(ledger, tid)) == "transfer.not_pending"
    assert ledger.refused(withdraw_tx(ledger, tid)) == "transfer.not_pending"
    ledger.block(pledge_tx(ledger, v, 500_000))


# ------------------------------------------------------------------ lapse


def test_an_offer_is_signed_up_to_its_last_millisecond() -> None:
    ledger = Ledger()
    tid = offer(ledger, ledger.issue(), 1_000, days=1)
    ledger.block(sign_tx(ledger, tid), advance_ms=pending(ledger, tid).sign_by_ms
                 - ledger.time_ms)
    assert pending(ledger, tid).status == "signed"


def test_an_unsigned_offer_lapses_at_the_end_of_the_block_after_its_time() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tid = offer(ledger, v, 1_000_000, days=1)
    sign_by_ms = pending(ledger, tid).sign_by_ms
    ledger.block(advance_ms=sign_by_ms - ledger.time_ms)  # at the deadline: still pending
    assert pending(ledger, tid).status == "pending"
    # Signing in a block past the deadline is refused before the step would lapse it.
    assert ledger.refused(sign_tx(ledger, tid)) == "transfer.lapsed"
    events = ledger.block()
    lapsed = next(e for e in events if e.kind == "transfer.lapsed")
    assert lapsed.subject == tid
    assert set(lapsed.parties) == {ledger.addr("supplier"), ledger.addr("supplier2")}
    p = pending(ledger, tid)
    assert (p.status, p.decided_at_ms) == ("lapsed", ledger.time_ms)
    assert voucher(ledger, v).reserved_by is None
    assert live_ids_by_holder(ledger.store, ledger.addr("supplier")) == [v]
    assert transfers.pending_count(ledger.store, ledger.addr("supplier"),
                                   ledger.addr("supplier2")) == 0
    assert ledger.refused(sign_tx(ledger, tid)) == "transfer.lapsed"
    assert ledger.refused(refuse_tx(ledger, tid)) == "transfer.lapsed"
    assert ledger.refused(withdraw_tx(ledger, tid)) == "transfer.not_pending"
    ledger.block(offer_tx(ledger, v, 1_000_000))  # the holder offers it again


def test_lapses_are_bounded_per_block_and_carried_over(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfers, "MAX_LAPSES_PER_BLOCK", 2)
    ledger = Ledger()
    ids = [offer(ledger, ledger.issue(1_000), 1_000, days=1) for _ in range(3)]
    events = ledger.block(advance_ms=2 * DAY_MS)
    assert kinds(events).count("transfer.lapsed") == 2
    events = ledger.block()
    assert kinds(events).count("transfer.lapsed") == 1
    assert [pending(ledger, i).status for i in ids] == ["lapsed"] * 3


def test_a_decided_offer_does_not_lapse() -> None:
    ledger = Ledger()
    signed = offer(ledger, ledger.issue(), 1_000, days=1)
    withdrawn = offer(ledger, ledger.issue(), 1_000, days=1)
    ledger.block(sign_tx(ledger, signed), withdraw_tx(ledger, withdrawn))
    events = ledger.block(advance_ms=2 * DAY_MS)
    assert "transfer.lapsed" not in kinds(events)
    assert [pending(ledger, i).status for i in (signed, withdrawn)] == ["signed", "withdrawn"]
