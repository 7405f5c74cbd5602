"""Signatures: domain separation, exact signer sets, envelope refusals, replay."""

from __future__ import annotations

from dataclasses import replace

import pytest

from consensus.certificate import (
    PRECOMMIT,
    CertificateError,
    make_certificate,
    verify_certificate,
    vote_bytes,
)
from contracts import issuance
from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.identity import KeyPair, verify
from contracts.ledger import check_transaction, sign_transaction
from contracts.membership import Suspend
from contracts.tx import Signature, Transaction, payload_id, signing_bytes
from tests.memledger import CHAIN, Ledger


def confirm(ledger: Ledger, *signers: str) -> Transaction:
    body = issuance.Confirm(ledger.addr("core"), bytes(32))
    return ledger.tx("issuance", "confirm", body, *signers)


def check_code(ledger: Ledger, tx: Transaction, chain: str = CHAIN, height: int = 1) -> str:
    with pytest.raises(LedgerError) as e:
        check_transaction(ledger.registry, chain, encode(tx), height)
    return e.value.code


def test_signature_for_one_chain_does_not_verify_for_another() -> None:
    ledger = Ledger()
    tx = confirm(ledger, "core")
    assert check_code(ledger, tx, chain="other-chain") == "tx.wrong_chain"
    moved = Transaction(replace(tx.payload, chain_id="other-chain"), tx.signatures)
    assert check_code(ledger, moved, chain="other-chain") == "tx.bad_signature"


def test_signature_over_one_operation_does_not_verify_for_another() -> None:
    ledger = Ledger()
    tx = confirm(ledger, "core")
    other = issuance.Confirm(ledger.addr("core"), b"\x01" * 32)
    moved = Transaction(replace(tx.payload, body=encode(other)), tx.signatures)
    assert check_code(ledger, moved) == "tx.bad_signature"
    renamed = Transaction(replace(tx.payload, operation="withdraw"), tx.signatures)
    # Withdraw has the same shape as Confirm, so only the signature can tell them apart.
    assert check_code(ledger, renamed) == "tx.bad_signature"


def test_transaction_and_vote_signatures_are_not_interchangeable() -> None:
    ledger = Ledger()
    key = ledger.keys["core"]
    tx = confirm(ledger, "core")
    tx_sig = tx.signatures[0].signature
    vote = vote_bytes(CHAIN, PRECOMMIT, 1, 0, payload_id(tx.payload))
    assert not verify(key.address, vote, tx_sig)
    assert not verify(key.address, signing_bytes(tx.payload), key.sign(vote))
    assert signing_bytes(tx.payload)[:20] != vote[:20]


def test_missing_unexpected_unsorted_and_bad_signatures() -> None:
    ledger = Ledger()
    assert check_code(ledger, confirm(ledger)) == "tx.missing_signature"
    assert check_code(ledger, confirm(ledger, "core", "agency")) == "tx.unexpected_signature"
    signed = confirm(ledger, "core")
    forged = Transaction(signed.payload, (Signature(ledger.addr("core"), b"\x00" * 64),))
    assert check_code(ledger, forged) == "tx.bad_signature"
    twice = Transaction(signed.payload, signed.signatures * 2)
    assert check_code(ledger, twice) == "tx.unsorted_signatures"


def test_signing_does_not_change_the_transaction_id() -> None:
    ledger = Ledger()
    tx = confirm(ledger)
    assert payload_id(sign_transaction(tx, ledger.keys["core"]).payload) == payload_id(tx.payload)


def test_unknown_contract_hash_and_operation_and_expiry() -> None:
    ledger = Ledger()
    tx = confirm(ledger, "core")
    ref = replace(tx.payload.contract, code_hash=b"\x07" * 32)
    assert check_code(ledger, Transaction(replace(tx.payload, contract=ref), ())) == \
        "tx.unknown_contract"
    bumped = replace(tx.payload.contract, version=99)
    assert check_code(ledger, Transaction(replace(tx.payload, contract=bumped), ())) == \
        "tx.unknown_contract"
    op = Transaction(replace(tx.payload, operation="mint"), ())
    assert check_code(ledger, op) == "tx.unknown_operation"
    assert check_code(ledger, tx, height=tx.payload.expiry_height + 1) == "tx.expired"


def test_a_committed_transaction_cannot_be_replayed() -> None:
    ledger = Ledger()
    suspend = ledger.tx("membership", "suspend",
                        Suspend(ledger.addr("agency"), ledger.addr("merchant"), "test"), "agency")
    ledger.block(suspend)
    assert ledger.refused(suspend) == "tx.replay"


def test_certificate_needs_two_thirds_of_distinct_validators() -> None:
    keys = [KeyPair.generate() for _ in range(4)]
    powers = {k.address: 1 for k in keys}
    block = b"\x05" * 32

    def cert(signers):
        return make_certificate(CHAIN, 3, 0, block, {k.address: k.sign for k in signers})

    verify_certificate(cert(keys[:3]), CHAIN, 3, block, powers, verify)
    cases = [
        (cert(keys[:2]), block, "certificate.no_quorum"),
        (cert(keys[:3]), b"\x06" * 32, "certificate.wrong_block"),
        (cert([*keys[:2], KeyPair.generate()]), block, "certificate.unknown_validator"),
    ]
    good = cert(keys[:3])
    doubled = replace(good, precommits=(good.precommits[0],) * 3)
    cases.append((doubled, block, "certificate.duplicate_vote"))
    forged = replace(good, precommits=(replace(good.precommits[0], signature=b"\x00" * 64),
                                       *good.precommits[1:]))
    cases.append((forged, block, "certificate.bad_signature"))
    other_chain = make_certificate("other", 3, 0, block, {k.address: k.sign for k in keys[:3]})
    cases.append((other_chain, block, "certificate.bad_signature"))
    for certificate, block_id, code in cases:
        with pytest.raises(CertificateError) as e:
            verify_certificate(certificate, CHAIN, 3, block_id, powers, verify)
        assert e.value.code == code
