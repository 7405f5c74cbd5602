"""The review screen a member reads before every signature: each operation another party
drafts or offers reads in words (parties by name, money in yuan and fen, China time), with
the voucher, the fee and the signers; nothing shows a raw fen field or a 64-digit hex id;
and nothing is signed without a yes (`--yes`, or y at the terminal)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contracts import (
    acquisition,
    credit,
    fees,
    financing,
    issuance,
    membership,
    obligations,
    payment,
    pledge,
    redemption,
    sale,
    setoff,
    supervision,
    transfer,
    vouchers,
)
from contracts.codec import sha256, to_json
from contracts.errors import LedgerError
from contracts.identity import KeyPair, short
from contracts.keystore import seal
from contracts.ledger import sign_transaction
from contracts.tx import MAX_VALIDITY_BLOCKS, Signature, Transaction
from tests.memledger import CHAIN, DAY_MS, Ledger
from wallet import review
from wallet.cli import Wallet, main
from wallet.proven import Proven, VoucherProof
from wallet.review import Look, review_screen
from wallet.review_words import NODE_WORDS, OPERATIONS, generic_lines
from wallet.units import yuan

HEX64 = re.compile(r"[0-9a-f]{64}")
PASSPHRASE = "kestrel-Canyon-7291-lantern"
UNUSED_NODE = "http://127.0.0.1:9"  # nothing listens there: the client is stubbed


class LedgerClient:
    """What the node would answer, read from an in-memory ledger's state (each record as
    the API shows it: to_json of the record)."""

    def __init__(self, ledger: Ledger, rounds: dict[str, dict] | None = None) -> None:
        self.ledger, self.rounds = ledger, rounds or {}

    def _found(self, record: Any, what: str) -> dict:
        if record is None:
            raise LedgerError("not_found", f"no {what}")
        return to_json(record)

    def member(self, address: str) -> dict:
        return self._found(membership.get_member(self.ledger.store, bytes.fromhex(address)),
                           "member")

    def voucher(self, voucher_id: str) -> dict:
        return self._found(vouchers.get_voucher(self.ledger.store, bytes.fromhex(voucher_id)),
                           "voucher")

    def pledge(self, pledge_id: str) -> dict:
        return self._found(pledge.get_pledge(self.ledger.store, bytes.fromhex(pledge_id)),
                           "pledge")

    def transfer(self, transfer_id: str) -> dict:
        return self._found(transfer.get_pending_transfer(self.ledger.store,
                                                         bytes.fromhex(transfer_id)),
                           "transfer")

    def obligation(self, obligation_id: str) -> dict:
        return self._found(obligations.get_obligation(self.ledger.store,
                                                      bytes.fromhex(obligation_id)),
                           "obligation")

    def financing_requests(self, party: str | None = None, status: str | None = None) -> dict:
        found, _ = financing.requests_page(self.ledger.store, None, 100,
                                           party=bytes.fromhex(party) if party else None,
                                           status=status)
        return {"requests": [to_json(r) for r in found], "next": None}

    def financing_request(self, request_id: str) -> dict:
        found = self._found(financing.get_request(self.ledger.store, bytes.fromhex(request_id)),
                            "request")
        answers = financing.answers_of(self.ledger.store, bytes.fromhex(request_id))
        return {**found, "answers": [to_json(a) for a in answers]}

    def fee_schedule(self) -> dict:
        return to_json(fees.get_schedule(self.ledger.store))

    def application(self, application_id: str) -> dict:
        return self._found(issuance.get_application(self.ledger.store,
                                                    bytes.fromhex(application_id)),
                           "application")

    def redemption(self, request_id: str) -> dict:
        return self._found(redemption.get_request(self.ledger.store,
                                                  bytes.fromhex(request_id)), "request")

    def offer(self, offer_id: str) -> dict:
        return self._found(redemption.get_offer(self.ledger.store, bytes.fromhex(offer_id)),
                           "offer")

    def setoff_round(self, round_id: str, member: str | None = None) -> dict:
        if round_id not in self.rounds:
            raise LedgerError("not_found", "no round")
        return self.rounds[round_id]


class World:
    """A ledger with a fee schedule, an issued voucher, a pledged one, a pending transfer,
    a confirmed obligation and an open set-off round, for drafts to be about."""

    def __init__(self) -> None:
        lg = self.ledger = Ledger(fee_rate_bp=10)
        self.a = lg.addr
        self.voucher = lg.issue(8_888_800)
        self.pledged = lg.issue(5_000_000)
        self.pledge = lg.run("pledge", "create", pledge.Create(
            self.a("supplier"), self.a("bank"), self.pledged, 3_000_000,
            lg.time_ms + 90 * DAY_MS, "LOAN-1", 2_500_000, 435, None), "supplier", "bank")
        offered = lg.issue(1_234_500)
        self.transfer = lg.run("transfer", "offer", transfer.Offer(
            self.a("supplier"), offered, self.a("supplier2"), 1_234_500, None, "HT-7", 7, ()),
            "supplier")
        self.obligation = lg.run("obligation", "submit", obligations.Submit(
            self.a("supplier"), self.a("core"), 777_700, lg.time_ms + 30 * DAY_MS, "PO-9",
            sha256(b"PO-9")), "supplier")
        lg.run("obligation", "confirm", obligations.Confirm(self.a("core"), self.obligation),
               "core")
        financed = lg.issue(3_000_000)
        request = lg.run("financing", "request", financing.Request(
            self.a("supplier"), financed, 2_000_000, "pledge_loan", 90, (self.a("bank"),), 7),
            "supplier")
        self.quote = lg.run("financing", "quote", financing.Quote(
            self.a("bank"), request, 1_800_000, 435, 90, None, lg.time_ms + DAY_MS), "bank")
        self.application = lg.run("issuance", "apply", issuance.Apply(self.a("supplier"),
            issuance.Terms(self.a("core"), 6_543_200, lg.time_ms + 90 * DAY_MS, True, False,
                           30, 2, "HT-APPLY-1", sha256(b"HT-APPLY-1"))), "supplier")
        self.confirmed = lg.run("issuance", "apply", issuance.Apply(self.a("supplier"),
            issuance.Terms(self.a("core"), 2_000_000, lg.time_ms + 90 * DAY_MS, False, True,
                           0, 0, "HT-APPLY-2", sha256(b"HT-APPLY-2"))), "supplier")
        lg.run("issuance", "confirm", issuance.Confirm(self.a("core"), self.confirmed), "core")
        self.owed = lg.run("obligation", "submit", obligations.Submit(
            self.a("supplier2"), self.a("core"), 333_300, lg.time_ms + 30 * DAY_MS, "PO-10",
            sha256(b"PO-10")), "supplier2")
        flat = lg.run("redemption", "publish", redemption.Publish(
            self.a("core"), "asset", "Flat 3-2-101", 500_000, "FC-3-2-101"), "core")
        self.redeemed = lg.issue(700_000)
        self.redemption = lg.run("redemption", "request", redemption.Ask(
            self.a("supplier"), self.redeemed, flat, 500_000, None), "supplier")
        self.round = sha256(b"a round")
        self.client = LedgerClient(lg, {self.round.hex(): {
            "round_no": 3, "cleared_fen": 4_200_000, "deadline_ms": lg.time_ms + DAY_MS,
            "legs": [{}, {}, {}], "asks": [{"member": self.a("core").hex(),
                                            "cleared_of_fen": 1_500_000,
                                            "cleared_to_fen": 900_000}]}})

    def look(self, me: str | bytes) -> Look:
        return Look(self.client, me if isinstance(me, bytes) else self.a(me))

    def screen(self, tx: Transaction, me: str | bytes) -> str:
        return "\n".join(review_screen(self.ledger.registry, tx, self.look(me)))


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def _due(w: World) -> int:
    return w.ledger.time_ms + 60 * DAY_MS


Sample = Callable[[World], tuple[Any, tuple[str, ...], str | bytes]]
NEWCOMER = KeyPair.generate().address  # a key the agency admits as a new member

# (contract, operation) → a body another party drafted, the members who signed it already
# and the member reviewing it. One per entry of OPERATIONS (checked below).
SAMPLES: dict[tuple[str, str], Sample] = {
    ("transfer", "transfer"): lambda w: (transfer.Transfer(
        w.a("supplier"), w.voucher, w.a("supplier2"), 88_888, None, "HT-1", ()),
        ("supplier",), "supplier2"),
    ("transfer", "offer"): lambda w: (transfer.Offer(
        w.a("supplier"), w.pledged, w.a("supplier2"), 1_000_000, w.a("bank"), "HT-2", 5, ()),
        ("supplier",), "bank"),
    ("transfer", "sign"): lambda w: (transfer.Sign(w.a("supplier2"), w.transfer), (),
                                     "supplier2"),
    ("transfer", "split"): lambda w: (transfer.Split(
        w.a("supplier"), w.pledged, (1_000_000, 4_000_000), w.a("bank")), ("supplier",), "bank"),
    ("payment", "pay"): lambda w: (payment.Pay(
        w.a("supplier"), w.voucher, w.a("merchant"), 88_888, "ORDER-1", None), ("supplier",),
        "merchant"),
    ("pledge", "create"): lambda w: (pledge.Create(
        w.a("supplier"), w.a("bank2"), w.voucher, 6_000_000, _due(w), "LOAN-9", 5_000_000, 385,
        pledge.Filing("05487683000123456789", w.ledger.time_ms, _due(w))), ("supplier",),
        "bank2"),
    ("pledge", "amend"): lambda w: (pledge.Amend(
        w.a("supplier"), w.a("bank"), w.pledge, 2_000_000, _due(w), 1_800_000, 400, None),
        ("bank",), "supplier"),
    ("pledge", "renew"): lambda w: (pledge.Renew(
        w.a("supplier"), w.a("bank"), w.pledge, _due(w) + DAY_MS, "LOAN-1b"), ("bank",),
        "supplier"),
    ("acquisition", "commit"): lambda w: (acquisition.Commit(
        w.a("acquirer"), w.a("supplier"), w.voucher, 9_650_00, w.ledger.time_ms + DAY_MS,
        _due(w), "ACQ-1"), ("supplier",), "acquirer"),
    ("acquisition", "exercise"): lambda w: (acquisition.Exercise(
        w.a("supplier"), w.pledged, sha256(b"commitment"), 1_000_000, "PAY-1", w.a("bank")),
        ("supplier",), "bank"),
    ("redemption", "request"): lambda w: (redemption.Ask(
        w.a("supplier"), w.pledged, sha256(b"offer"), 99_900, w.a("bank"), ()),
        ("supplier",), "bank"),
    ("sale", "sell"): lambda w: (sale.Sell(
        w.a("supplier"), w.a("bank2"), w.voucher, 8_888_800, 650, 8_700_000, True, "BL-1", (),
        None, None), ("supplier",), "bank2"),
    ("sale", "sell_obligation"): lambda w: (sale.SellObligation(
        w.a("supplier"), w.a("bank2"), w.obligation, 777_700, 650, 760_000, False, "BL-2", (),
        None), ("supplier",), "bank2"),
    ("financing", "accept"): lambda w: (financing.Accept(
        w.a("supplier"), w.a("bank"), w.quote, "LOAN-F-1", None, ()),
        ("supplier",), "bank"),
    ("membership", "admit"): lambda w: (membership.Admit(
        w.a("agency"), NEWCOMER, "华东新材料", ("enterprise",), w.ledger.identity("华东新材料"),
        ()), ("agency",), NEWCOMER),
    ("membership", "rotate_key"): lambda w: (membership.RotateKey(
        w.a("supplier3"), KeyPair.generate().address), (), "supplier3"),
    ("membership", "recover_key"): lambda w: (membership.RecoverKey(
        w.a("agency"), w.a("supplier3"), KeyPair.generate().address, (), "key lost"),
        ("agency",), "supplier3"),
    ("obligation", "settle"): lambda w: (obligations.Settle(
        w.a("supplier"), w.a("core"), w.obligation, "BANK-TX-1"), ("supplier",), "core"),
    ("obligation", "reduce"): lambda w: (obligations.Reduce(
        w.a("supplier"), w.a("core"), w.obligation, 100_000, "returned goods"), ("supplier",),
        "core"),
    ("obligation", "withdraw"): lambda w: (obligations.Withdraw(
        w.a("supplier"), w.a("core"), w.obligation, "entered twice"), ("core",), "supplier"),
    ("credit", "set_limit"): lambda w: (credit.SetLimit(
        w.a("agency"), w.a("core"), 50_000_000_00, w.a("bank"), "CL-1"), ("agency",), "bank"),
    ("supervision", "void_agreed"): lambda w: (supervision.VoidAgreed(
        w.a("agency"), w.a("supplier"), w.a("core"), w.voucher, "issued in error",
        sha256(b"agreement")), ("agency",), "core"),
    ("setoff", "consent"): lambda w: (setoff.Consent(w.a("core"), w.round), (), "core"),
    ("issuance", "confirm"): lambda w: (issuance.Confirm(w.a("core"), w.application), (),
                                        "core"),
    ("issuance", "approve"): lambda w: (issuance.Approve(w.a("agency"), w.confirmed), (),
                                        "agency"),
    ("obligation", "confirm"): lambda w: (obligations.Confirm(w.a("core"), w.owed), (),
                                          "core"),
    ("redemption", "accept"): lambda w: (redemption.Accept(
        w.a("core"), w.redemption, "产权登记 2026-118", ""), (), "core"),
}


def sample_tx(w: World, key: tuple[str, str]) -> tuple[Transaction, Any, str | bytes]:
    body, signed, me = SAMPLES[key](w)
    tx = w.ledger.tx(key[0], key[1], body, *signed)
    return tx, body, me


def assert_in_words(text: str, body: Any, w: World) -> None:
    """Parties by name, every amount in yuan, no raw fen figure, field name or long hex."""
    assert not HEX64.search(text), text
    assert "_fen" not in text and "_ms" not in text, text
    for field, value in vars(body).items():
        if isinstance(value, bytes) and len(value) == 32:
            found = membership.get_member(w.ledger.store, value)
            if found is not None:
                assert f"{found.name} ({short(value)}" in text, (field, text)
        if field.endswith("_fen") and isinstance(value, int):
            assert yuan(value) in text, (field, text)
            assert f"{value:,} fen" in text, (field, text)


def test_every_co_signed_operation_has_a_sample() -> None:
    assert set(SAMPLES) == set(OPERATIONS)


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda k: f"{k[0]}.{k[1]}")
def test_each_operation_reads_in_names_and_yuan(world: World, key: tuple[str, str]) -> None:
    tx, body, me = sample_tx(world, key)
    text = world.screen(tx, me)
    assert_in_words(text, body, world)
    assert not text.splitlines()[1].lstrip().startswith("Operation "), text  # its own words
    assert "Signers:" in text and ", you)" in text


def test_a_co_signer_sees_the_voucher_its_pledge_and_the_fee_the_holder_owes(
        world: World) -> None:
    tx, _, _ = sample_tx(world, ("transfer", "offer"))
    text = world.screen(tx, "bank")
    pledged = vouchers.get_voucher(world.ledger.store, world.pledged)
    assert pledged is not None
    assert f"Voucher {short(world.pledged)} (as the node shows it, not proven):" in text
    assert f"debtor    core ({short(world.a('core'))})" in text
    assert "pledge    " + short(world.pledge) + ": to bank bank (" in text
    assert "securing ¥30,000.00 (3,000,000 fen), active" in text
    assert "reserved  no" in text
    # 0.10% of ¥10,000.00, charged to the holder who moves it
    assert (f"Fee: supplier ({short(world.a('supplier'))}) will owe ¥10.00 (1,000 fen), the "
            "transfer fee of 0.10% on ¥10,000.00 (1,000,000 fen); you owe none.") in text
    assert f"supplier ({short(world.a('supplier'))}): signed" in text
    assert f"bank ({short(world.a('bank'))}, you): to sign" in text


def test_the_signer_sees_the_fee_it_will_owe(world: World) -> None:
    tx, _, _ = sample_tx(world, ("pledge", "create"))
    text = world.screen(tx, "supplier")
    # a pledge owes the pledge rate on the whole state pledged: 0.10% of ¥88,888.00
    assert "Fee: you will owe ¥88.89 (8,889 fen), the pledge fee of 0.10% on ¥88,888.00" \
        in text
    assert "中登网 filing 05487683000123456789" in text


def test_a_funder_sees_the_quote_it_is_held_to_and_the_holder_the_fee(world: World) -> None:
    tx, _, _ = sample_tx(world, ("financing", "accept"))
    text = world.screen(tx, "bank")
    assert ("A pledge loan (质押融资) of ¥18,000.00 (1,800,000 fen) at 4.35% a year for 90 "
            "days") in text
    assert "the reserved claim of ¥20,000.00 (2,000,000 fen) is pledged" in text
    assert "  amount    ¥20,000.00 (2,000,000 fen), active" in text  # the reserved part
    assert "reserved  by " in text
    assert "will owe ¥20.00 (2,000 fen), the pledge fee of 0.10% on ¥20,000.00" in text


def test_an_operation_without_a_sentence_falls_back_to_its_fields_in_words(
        world: World) -> None:
    body = fees.RecordPayment(world.a("agency"), world.a("supplier"), 88_888, "FEE-2026-1")
    assert ("fees", "record_payment") not in OPERATIONS
    tx = world.ledger.tx("fees", "record_payment", body)
    text = world.screen(tx, "agency")
    assert "Operation fees.record_payment, as its fields say:" in text
    assert f"  member: supplier ({short(world.a('supplier'))})" in text
    assert "  amount: ¥888.88 (88,888 fen)" in text
    assert "Fee: none charged by this operation." in text
    assert_in_words(text, body, world)
    # nested records and unknown ids stay in words too
    nested = generic_lines(world.look("agency"), "x.y", pledge.Amend(
        world.a("supplier"), world.a("bank"), sha256(b"unknown"), 1, _due(world), 2, 385,
        pledge.Filing("05487683000123456789", world.ledger.time_ms, _due(world))))
    said = "\n".join(nested)
    assert "  filing from: " in said and "China time" in said and "  loan rate: 3.85%" in said
    assert f"  pledge: {short(sha256(b'unknown'))}" in said and not HEX64.search(said)


def test_offline_the_screen_names_parties_by_short_address(world: World) -> None:
    tx, _, _ = sample_tx(world, ("transfer", "transfer"))
    text = "\n".join(review_screen(world.ledger.registry, tx, Look(None, world.a("supplier2"))))
    assert f"{short(world.a('supplier'))} (not in the directory)" in text
    assert "¥888.88 (88,888 fen)" in text and not HEX64.search(text)
    assert "Voucher " + short(world.voucher) + ": the node did not show it." in text


# ------------------------------------------------------------------ asking before signing


@pytest.fixture
def signing(tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch
            ) -> tuple[Path, Path, Transaction]:
    """A key store for "bank" and the agency's signed draft of a credit limit the bank
    co-signs; the node's answers come from the in-memory ledger."""
    key = world.ledger.keys["bank"]
    store = tmp_path / "bank.json"
    store.write_text(json.dumps(seal(key, PASSPHRASE, "bank")), encoding="utf-8")
    store.chmod(0o600)
    tx = sign_transaction(world.ledger.tx("credit", "set_limit", credit.SetLimit(
        world.a("agency"), world.a("core"), 100_000_00, world.a("bank"), "CL-2")),
        world.ledger.keys["agency"])
    draft = tmp_path / "limit.json"
    Wallet(UNUSED_NODE, None, False).write_draft(draft, tx)
    monkeypatch.setattr(review, "wallet_look", lambda w: Look(world.client, w.address()))
    return store, draft, tx


def run_sign(store: Path, draft: Path, *extra: str, answer: str | None = None):
    return CliRunner().invoke(main, ["--node", UNUSED_NODE, "--key", str(store), "sign",
                                     str(draft), *extra], input=answer,
                              env={"CLAIMLEDGER_PASSPHRASE": PASSPHRASE})


def signatures(draft: Path) -> list[str]:
    return json.loads(draft.read_text())["signed_by"]


def test_no_signs_nothing_and_exits_nonzero(signing, world: World,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store, draft, _ = signing
    monkeypatch.setattr(review, "interactive", lambda: True)
    before = draft.read_text()
    result = run_sign(store, draft, answer="n\n")
    assert result.exit_code == 1
    assert "Set the credit limit (授信额度) of debtor core (" in result.stderr
    assert "¥100,000.00 (10,000,000 fen)" in result.stderr
    assert f"bank ({short(world.a('bank'))}, you): to sign" in result.stderr
    assert "Sign this? [y/N]" in result.stderr
    assert "error: wallet.declined: " in result.stderr
    assert draft.read_text() == before


def test_yes_at_the_terminal_signs(signing, monkeypatch: pytest.MonkeyPatch) -> None:
    store, draft, _ = signing
    monkeypatch.setattr(review, "interactive", lambda: True)
    result = run_sign(store, draft, answer="y\n")
    assert result.exit_code == 0, result.stderr
    assert len(signatures(draft)) == 2


def test_without_a_terminal_only_yes_given_signs(signing, world: World) -> None:
    store, draft, tx = signing
    before = draft.read_text()
    refused = run_sign(store, draft)
    assert refused.exit_code == 1
    assert "error: wallet.unconfirmed: " in refused.stderr and "--yes" in refused.stderr
    assert "Sign this?" not in refused.stderr
    assert draft.read_text() == before
    signed = run_sign(store, draft, "--yes")
    assert signed.exit_code == 0, signed.stderr
    assert "Set the credit limit" in signed.stderr  # the screen is shown all the same
    assert f"signed; complete: `submit {draft}`" in signed.stdout
    assert set(signatures(draft)) == {tx.signatures[0].signer.hex(),
                                      world.ledger.keys["bank"].address.hex()}


class FakeWallet(Wallet):
    """The wallet's own transact (review, yes, sign), with its node the in-memory ledger,
    recording what it would submit or draft."""

    def __init__(self, world: World, me: str) -> None:
        super().__init__(UNUSED_NODE, None, as_json=True)
        self.world, self.me = world, me
        self.registry = world.ledger.registry
        self._client = world.client  # type: ignore[assignment]
        self._ledger = world.client  # type: ignore[assignment]  # what the review asks
        self.submitted: list[Transaction] = []
        self.drafted: list[Any] = []

    def address(self) -> bytes:
        return self.world.a(self.me)

    def key(self) -> KeyPair:
        return self.world.ledger.keys[self.me]

    def signer(self) -> KeyPair:  # the wallet signs through an agent or its key: the key
        return self.key()

    def new_transaction(self, contract: str, operation: str, body: Any,
                        expires_in: int | None, status: dict | None = None,
                        draft: bool = False) -> Transaction:
        return self.world.ledger.tx(contract, operation, body)

    def write_draft(self, path: Path, tx: Transaction) -> None:
        self.drafted.append((tx.payload.operation, path))

    def emit(self, data: Any, human: Callable) -> None:
        """Nothing to show: the test reads what was submitted or drafted."""

    def submit_and_wait(self, tx: Transaction, wait: bool,
                        attached: list[dict] | None = None) -> None:
        self.submitted.append(tx)


@pytest.mark.parametrize("answer", ["n\n", "\n", "yes please\nn\n"])
def test_a_consent_is_not_signed_without_a_yes(world: World, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str],
                                               answer: str) -> None:
    w = FakeWallet(world, "core")
    monkeypatch.setattr(review, "interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    with pytest.raises(LedgerError) as refused:
        w.transact("setoff", "consent", setoff.Consent(world.a("core"), world.round), None,
                   None)
    assert refused.value.code == "wallet.declined"
    assert w.submitted == []
    said = capsys.readouterr().err
    assert "Consent, as core (" in said and "Of yours it clears ¥15,000.00" in said


def test_transfer_sign_reviews_signs_on_yes_and_drafts_without_asking(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = FakeWallet(world, "supplier2")
    body = transfer.Sign(world.a("supplier2"), world.transfer)
    monkeypatch.setattr(review, "interactive", lambda: False)
    with pytest.raises(LedgerError, match="--yes") as refused:
        w.transact("transfer", "sign", body, None, None)
    assert refused.value.code == "wallet.unconfirmed" and w.submitted == []
    w.transact("transfer", "sign", body, Path("draft.json"), None)
    assert w.drafted == [("sign", Path("draft.json"))] and w.submitted == []
    w.transact("transfer", "sign", body, None, None, yes=True)
    (tx,) = w.submitted
    assert [s.signer for s in tx.signatures] == [world.ledger.keys["supplier2"].address]


def test_a_node_that_cannot_be_asked_is_asked_once_and_a_missing_record_alone() -> None:
    class Unreachable:
        calls = 0

        def member(self, address: str) -> dict:
            Unreachable.calls += 1
            raise LedgerError("keystore.wrong_passphrase", "the request's key did not open")

    look = Look(Unreachable())
    assert look.who(bytes(32)) == f"{short(bytes(32))} (not in the directory)"
    assert look.who(bytes(31) + b"\x01") and Unreachable.calls == 1

    class Sparse:
        calls = 0

        def member(self, address: str) -> dict:
            Sparse.calls += 1
            raise LedgerError("not_found", "no such member")

    look = Look(Sparse())
    look.who(bytes(32))
    look.who(bytes(32))  # answered once, kept
    look.who(bytes(31) + b"\x01")
    assert Sparse.calls == 2 and not look.offline


def test_a_proven_voucher_is_shown_as_proven_with_its_pledge_and_debtor_record(
        world: World) -> None:
    store = world.ledger.store
    state = vouchers.get_voucher(store, world.pledged)
    record = vouchers.get_debtor_record(store, world.a("core"))
    proof = VoucherProof(world.pledged, 7, sha256(b"block"), sha256(b"root"), state,
                         Proven("pledge", world.pledge, pledge.get_pledge(store, world.pledge)),
                         None, Proven("debtor_record", world.a("core"), record), (), 7)
    tx, _, _ = sample_tx(world, ("transfer", "offer"))
    text = "\n".join(review_screen(world.ledger.registry, tx, world.look("bank"), proof))
    assert f"(proven at height 7 against block {short(sha256(b'block'))}):" in text
    assert "securing ¥30,000.00 (3,000,000 fen), active" in text
    assert record is not None
    assert (f"debtor's record: {yuan(record.outstanding_fen)} ({record.outstanding_fen:,} fen) "
            "outstanding, 0 overdue, 0 late confirmations") in text
    assert not HEX64.search(text)


# ---------------------------------------------------------------- answers

# Each operation by which a member answers another's request or offer (review.ANSWERS),
# as its verb calls Wallet.transact, signed by the member alone: the verb's words.
ANSWER_VERBS: dict[tuple[str, str], tuple[tuple[str, ...], Sample]] = {
    ("issuance", "confirm"): (("confirm",), SAMPLES[("issuance", "confirm")]),
    ("issuance", "approve"): (("approve",), SAMPLES[("issuance", "approve")]),
    ("obligation", "confirm"): (("obligation", "confirm"),
                                SAMPLES[("obligation", "confirm")]),
    ("redemption", "accept"): (("redemption", "accept"), SAMPLES[("redemption", "accept")]),
    ("transfer", "sign"): (("transfer-sign",), SAMPLES[("transfer", "sign")]),
    ("setoff", "consent"): (("setoff", "consent"), SAMPLES[("setoff", "consent")]),
    ("acquisition", "exercise"): (("exercise",), lambda w: (acquisition.Exercise(
        w.a("supplier"), w.voucher, sha256(b"commitment"), 1_000_000, "PAY-1", None), (),
        "supplier")),
}


def test_every_answer_has_its_words_and_its_verb() -> None:
    assert set(ANSWER_VERBS) == set(review.ANSWERS)
    assert review.ANSWERS <= set(OPERATIONS)


@pytest.mark.parametrize("key", sorted(review.ANSWERS), ids=lambda k: f"{k[0]}.{k[1]}")
def test_an_answer_is_signed_only_after_its_review_and_a_yes(
        world: World, key: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    words, sample = ANSWER_VERBS[key]
    body, _, me = sample(world)
    assert isinstance(me, str)
    w = FakeWallet(world, me)
    monkeypatch.setattr(review, "interactive", lambda: False)
    with pytest.raises(LedgerError) as refused:
        w.transact(key[0], key[1], body, None, None)
    assert refused.value.code == "wallet.unconfirmed" and w.submitted == []
    screen = capsys.readouterr().err
    assert_in_words(screen, body, world)
    assert not screen.splitlines()[1].lstrip().startswith("Operation "), screen
    monkeypatch.setattr(review, "interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    w.transact(key[0], key[1], body, None, None)
    (tx,) = w.submitted
    assert [s.signer for s in tx.signatures] == [world.ledger.keys[me].address]
    help_text = CliRunner().invoke(main, [*words, "--help"])
    assert help_text.exit_code == 0 and "--yes" in help_text.output, help_text.output


def test_the_debtor_reads_the_terms_it_confirms(world: World) -> None:
    tx, _, _ = sample_tx(world, ("issuance", "confirm"))
    text = world.screen(tx, "core")
    assert f"Confirm (确权), as debtor core ({short(world.a('core'))}, you), that you owe " \
        f"supplier ({short(world.a('supplier'))}) ¥65,432.00 (6,543,200 fen)" in text
    assert "Settled by asset offset (资产抵付), never in cash." in text
    assert "Extension clause (展期): 30 days at a time, at most 2 times." in text


def test_the_debtor_reads_what_it_delivers_for_a_redemption(world: World) -> None:
    tx, _, _ = sample_tx(world, ("redemption", "accept"))
    text = world.screen(tx, "core")
    assert "you deliver offer " in text and "(asset: Flat 3-2-101)" in text
    assert "at the agreed price ¥5,000.00 (500,000 fen)" in text
    assert f"Voucher {short(world.redeemed)} (as the node shows it, not proven):" in text
    assert "reserved  by " in text  # the request holds the voucher until decided
    assert "Title transfer registration: 产权登记 2026-118." in text


# ---------------------------------------------------------------- text a member chose

FORGED = "HT-1).\n  Fee: none charged by this operation.\x1b[2K\r\u202egpj.exe"


def test_a_drafters_text_cannot_forge_a_line_of_the_screen(world: World) -> None:
    body = transfer.Transfer(world.a("supplier"), world.voucher, world.a("supplier2"), 88_888,
                             None, FORGED, ())
    tx = world.ledger.tx("transfer", "transfer", body, "supplier")
    lines = world.screen(tx, "supplier2").splitlines()
    fee_lines = [line for line in lines if "Fee:" in line]
    assert len(fee_lines) == 2  # the drafter's, shown inside its sentence, and the real one
    assert fee_lines[1].startswith("Fee: supplier (") and "will owe" in fee_lines[1]
    assert "转让合同 HT-1).\\n  Fee: none" in fee_lines[0]
    assert not any(ch in "\n\r\x1b\u202e" for line in lines for ch in line)
    assert "\\u001b[2K\\r\\u202egpj.exe" in fee_lines[0]


def test_a_table_shows_a_members_escape_sequence_as_text() -> None:
    from rich.table import Table

    from wallet.tables import SpeakingConsole

    console = SpeakingConsole(file=io.StringIO(), width=120, color_system=None)
    t = Table("member")
    t.add_row("华东\x1b[2J新材料\u202e")
    console.print(t, "reason: late\nagain\x07")
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "华东\\u001b[2J新材料\\u202e" in out and "reason: late\nagain\\u0007" in out


def test_a_co_signer_that_rotated_its_key_counts_as_signed(world: World) -> None:
    new_key = KeyPair.generate()
    supplier = world.a("supplier")

    class Rotated(FakeWallet):
        def signing_key_of(self, address: bytes) -> bytes:
            return new_key.address if address == supplier else address

    body = transfer.Transfer(supplier, world.voucher, world.a("supplier2"), 88_888, None,
                             "HT-9", ())
    tx = sign_transaction(world.ledger.tx("transfer", "transfer", body), new_key)
    w = Rotated(world, "supplier2")
    assert w.signed_for(tx) == {new_key.address, supplier}
    assert FakeWallet(world, "supplier2").signed_for(tx) == {new_key.address}


# ------------------------------------------------------------------ what the bytes say


class ReadFields:
    """A body whose fields an entry of OPERATIONS reads are noted."""

    def __init__(self, body: Any) -> None:
        object.__setattr__(self, "_body", body)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._body, name)


@pytest.mark.parametrize("key", sorted(OPERATIONS), ids=lambda k: f"{k[0]}.{k[1]}")
def test_each_operations_words_read_every_field_of_its_body(
        world: World, key: tuple[str, str]) -> None:
    """A field the screen never reads is one the drafter may set as it likes while the
    signer reads the rest."""
    body, _, me = SAMPLES[key](world)
    seen = ReadFields(body)
    OPERATIONS[key](world.look(me), seen)
    assert {f.name for f in dataclasses.fields(body)} - seen.read == set()


def test_a_newcomer_reads_the_identity_its_key_is_admitted_under(world: World) -> None:
    tx, body, me = sample_tx(world, ("membership", "admit"))
    text = world.screen(tx, me)
    identity = body.identity
    assert f"credit code {identity.credit_code}" in text
    assert f"legal representative {identity.legal_representative}" in text
    assert f"region {identity.region}" in text and identity.contacts in text


def test_a_forged_signature_in_a_draft_does_not_show_its_signer_as_signed(
        world: World) -> None:
    """The holder's entry in the draft names its key with bytes that are no signature:
    the transferee must not read that the holder has agreed."""
    tx, _, me = sample_tx(world, ("transfer", "transfer"))  # signed by the holder
    holder = world.a("supplier")
    assert f"({short(holder)}): signed" in world.screen(tx, me)
    forged = Transaction(tx.payload, tuple(
        Signature(s.signer, bytes(64)) if s.signer == holder else s for s in tx.signatures))
    text = world.screen(forged, me)
    assert f"({short(holder)}): signed" not in text
    assert f"({short(holder)}): to sign" in text
    assert f"a signature by key {short(holder)} does not verify" in text
    assert holder not in FakeWallet(world, "supplier2").signed_for(forged)
    assert holder in FakeWallet(world, "supplier2").signed_for(tx)


class ChainClient(LedgerClient):
    """The in-memory ledger's answers, and GET /v1/status: its chain at `height`."""

    def __init__(self, ledger: Ledger, chain: str, height: int) -> None:
        super().__init__(ledger)
        self.chain, self.height = chain, height

    def status(self) -> dict:
        return {"chain_id": self.chain, "height": self.height}


def review_with(world: World, client: LedgerClient, tx: Transaction
                ) -> tuple[str, LedgerError | None]:
    """What `review_and_confirm` shows the transferee and what it raises, with --yes."""
    w = FakeWallet(world, "supplier2")
    w._client = w._ledger = client  # type: ignore[assignment]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            review.review_and_confirm(w, tx, yes=True)
        except LedgerError as e:
            return err.getvalue(), e
    return err.getvalue(), None


def test_a_transaction_that_could_commit_only_much_later_is_not_signed(world: World) -> None:
    """Valid until a height far ahead, it cannot commit now (more than MAX_VALIDITY_BLOCKS
    away) but can once the chain is near it: the member would be held months later."""
    lg = world.ledger
    body, _, _ = SAMPLES[("transfer", "transfer")](world)
    far = lg.tx("transfer", "transfer", body, "supplier",
                expiry_height=lg.height + MAX_VALIDITY_BLOCKS + 5_000)
    shown, refused = review_with(world, ChainClient(lg, CHAIN, lg.height), far)
    assert refused is not None and refused.code == "wallet.far_expiry"
    assert f"it cannot commit before height {lg.height + 5_000:,}, 5,000 blocks from now" \
        in shown
    near = lg.tx("transfer", "transfer", body, "supplier")  # 1,000 blocks
    shown, refused = review_with(world, ChainClient(lg, CHAIN, lg.height), near)
    assert refused is None and "1,000 blocks left to commit it" in shown


def test_a_transaction_of_another_chain_than_the_nodes_is_not_signed(world: World) -> None:
    lg = world.ledger
    body, _, _ = SAMPLES[("transfer", "transfer")](world)
    tx = lg.tx("transfer", "transfer", body, "supplier")
    shown, refused = review_with(world, ChainClient(lg, "claimledger-main", lg.height), tx)
    assert refused is not None and refused.code == "wallet.other_chain"
    assert f"on chain {CHAIN}" in shown and "not the chain of the node you use " \
        "(claimledger-main)" in shown
    # With no node to ask, neither is known: the screen says so, and leaves it to the reader.
    shown, refused = review_with(world, LedgerClient(lg), tx)
    assert refused is None and "how far away the expiry is, and on which network, is " \
        "not checked" in shown


def test_the_screen_says_which_records_are_the_nodes_word(world: World) -> None:
    """The debtor's 确权 binds it to terms the node shows of the application: a lying
    node could show other terms, and the screen says they are not proven."""
    tx, _, _ = sample_tx(world, ("issuance", "confirm"))
    assert "What this screen says of the application is the node's word, not proven." \
        in world.screen(tx, "core").splitlines()
    tx, _, me = sample_tx(world, ("transfer", "transfer"))  # all from the bytes
    assert "the node's word" not in world.screen(tx, me)


# ---------------------------------------------------------------- an answer's proven records


class LyingAboutApplications(LedgerClient):
    """The node says every application is for one fen."""

    def application(self, application_id: str) -> dict:
        return {**super().application(application_id),
                "terms": {**super().application(application_id)["terms"], "amount_fen": 1}}


def test_the_screen_reads_a_proven_application_not_the_nodes_word(world: World) -> None:
    tx, _, _ = sample_tx(world, ("issuance", "confirm"))
    lying = Look(LyingAboutApplications(world.ledger), world.a("core"))
    unproven = "\n".join(review_screen(world.ledger.registry, tx, lying))
    assert "¥0.01 (1 fen)" in unproven and "the application is the node's word" in unproven
    record = world.client.application(world.application.hex())
    proven = review.ProvenRecords(world.ledger.height, bytes(32),
                                  (("application", world.application, record),))
    lying = Look(LyingAboutApplications(world.ledger), world.a("core"))
    shown = "\n".join(review_screen(world.ledger.registry, tx, lying, None, proven))
    assert "¥65,432.00 (6,543,200 fen)" in shown and "¥0.01" not in shown
    assert f"Proven at height {world.ledger.height} against block " in shown
    assert "node's word" not in shown


def test_every_answer_that_reads_a_record_proves_it(world: World) -> None:
    """Each record an answer's screen reads by id is named by a field of its body, and is
    one the screen would otherwise call the node's word."""
    for key, wanted in review.ANSWER_RECORDS.items():
        assert key in review.ANSWERS
        body, _, _ = SAMPLES[key](world)
        for kind, field in wanted:
            assert kind in NODE_WORDS, kind
            assert isinstance(getattr(body, field), bytes), (key, field)


class ProvingWallet(FakeWallet):
    """A wallet with a key store path, whose node answers proofs as `answer` says."""

    def __init__(self, world: World, me: str, answer: dict) -> None:
        super().__init__(world, me)
        self.key_path = Path("/nonexistent/core.json")
        answers = answer

        class Node(LedgerClient):
            def proof(self, kind: str, record_id: str, draft: bytes | None = None) -> dict:
                return answers

        self._ledger = Node(world.ledger)  # type: ignore[assignment]


def test_an_answers_records_are_proven_with_the_trust_file_given(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[Path] = []
    monkeypatch.setattr(review, "read_light", lambda path: read.append(path))
    body, _, _ = SAMPLES[("issuance", "confirm")](world)
    w = ProvingWallet(world, "core", {})
    assert review.prove_answer(w, "issuance", "confirm", body) is None  # no light client
    assert review.prove_answer(w, "issuance", "confirm", body, Path("mine.light.json")) \
        is None
    assert read == [Path("/nonexistent/core.light.json"), Path("mine.light.json")]


def test_a_proof_answer_naming_no_height_is_malformed_not_a_crash(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "read_light", lambda path: object())
    class NoHeaders:
        def header_at(self, height: int) -> None:
            raise AssertionError(f"a header asked for at {height!r}")

    monkeypatch.setattr(review, "Follower", lambda *args: NoHeaders())
    body, _, _ = SAMPLES[("issuance", "confirm")](world)
    for answer in ({"key": "", "value": None, "proof": ""}, {"height": "7"},
                   {"height": True}, {"height": 0}):
        with pytest.raises(LedgerError) as refused:
            review.prove_answer(ProvingWallet(world, "core", answer), "issuance", "confirm",
                                body)
        assert refused.value.code == "proof.malformed", answer


@pytest.mark.parametrize("words", [("confirm",), ("approve",), ("obligation", "confirm"),
                                   ("redemption", "accept")], ids=" ".join)
def test_a_verb_that_proves_what_it_answers_takes_a_trust_file(words: tuple[str, ...]
                                                              ) -> None:
    shown = CliRunner().invoke(main, [*words, "--help"])
    assert shown.exit_code == 0 and "--trust-file" in shown.output and "--yes" in shown.output
