"""A node that lies to the member about to sign for a transfer offered to it (签收): the
offer is the node's word, the reserved state is proven (wallet.checks.verify_offered),
and the screen's words of the offer must say what was proven (wallet.review)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import transfer, vouchers
from contracts.errors import LedgerError
from contracts.tx import Transaction
from tests.test_wallet_review import LedgerClient, World
from wallet import checks
from wallet.proven import VoucherProof
from wallet.review import Look, review_screen


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def proven(world: World, voucher_id: bytes) -> VoucherProof:
    """What a proof against a verified header shows of `voucher_id`: the ledger's state."""
    state = vouchers.get_voucher(world.ledger.store, voucher_id)
    return VoucherProof(voucher_id, world.ledger.height, bytes(32), bytes(32), state, None,
                        None, None, (), 0)


class Member:
    """The wallet of the transferee, as verify_offered uses it."""

    client = ledger = None


@pytest.fixture
def proving(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "follower", lambda w, trust: None)
    monkeypatch.setattr(checks, "prove_voucher",
                        lambda client, follower, voucher: proven(world, voucher))


def offer(world: World, **lies: Any) -> dict:
    return {**world.client.transfer(world.transfer.hex()), **lies}


def test_the_reserved_state_of_an_honest_offer_is_proven(world: World, proving: None) -> None:
    proof = checks.verify_offered(Member(), world.transfer, offer(world), None, False)
    assert proof is not None and proof.voucher is not None
    assert proof.voucher.reserved_by == world.transfer


def test_an_offer_naming_another_live_voucher_of_the_transferor_is_refused(
        world: World, proving: None) -> None:
    """The node names the transferor's big unreserved voucher: proven live, held by the
    transferor, covering the amount, yet not what the transfer moves."""
    big = vouchers.get_voucher(world.ledger.store, world.voucher)
    assert big is not None and big.reserved_by is None
    lie = offer(world, voucher=world.voucher.hex(), amount_fen=big.amount_fen)
    with pytest.raises(LedgerError) as refused:
        checks.verify_offered(Member(), world.transfer, lie, None, False)
    assert refused.value.code == "wallet.voucher_reserved"


@pytest.mark.parametrize("field", ["amount_fen", "debtor", "id"])
def test_an_offer_that_does_not_say_what_was_proven_is_refused(
        world: World, proving: None, field: str) -> None:
    honest = offer(world)
    lie = offer(world, **{field: honest["amount_fen"] - 1 if field == "amount_fen"
                          else world.a("bank").hex()})
    with pytest.raises(LedgerError) as refused:
        checks.verify_offered(Member(), world.transfer, lie, None, False)
    assert refused.value.code == "wallet.bad_answer"


class SecondAnswerLies(LedgerClient):
    """A node that answers the verification truly and the review screen otherwise."""

    def transfer(self, transfer_id: str) -> dict:
        return {**super().transfer(transfer_id), "amount_fen": 99_999_999}


def test_the_screen_refuses_words_of_the_offer_other_than_what_was_proven(
        world: World, proving: None) -> None:
    proof = checks.verify_offered(Member(), world.transfer, offer(world), None, False)
    tx: Transaction = world.ledger.tx("transfer", "sign",
                                      transfer.Sign(world.a("supplier2"), world.transfer))
    shown = review_screen(world.ledger.registry, tx, world.look("supplier2"), proof)
    assert any("Sign for (签收) transfer" in line for line in shown)
    lying = Look(SecondAnswerLies(world.ledger), world.a("supplier2"))
    with pytest.raises(LedgerError) as refused:
        review_screen(world.ledger.registry, tx, lying, proof)
    assert refused.value.code == "wallet.bad_answer"
