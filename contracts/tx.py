"""The transaction envelope and its signatures.

A transaction names the chain, the contract it invokes (name, version and the sha256
of that contract's source, so every signer agrees on the exact rules), the operation,
the operation's body (canonical bytes of the operation's record), an expiry height and
a nonce. Signers sign the domain-tagged canonical bytes of that payload; the payload's
sha256 is the transaction id, so adding signatures never changes the id. A signature
names the key that made it; which member that key signs for is the ledger's state
(contracts.membership.check_signer_keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated

from contracts.codec import U32, U64, Hash32, Name, Sig64, Size, decode, encode, sha256
from contracts.errors import LedgerError
from contracts.identity import verify

TX_DOMAIN = b"claimledger/tx/v1\x00"
# An ordinary operation's body is at most MAX_BODY_BYTES, so its transaction stays within
# MAX_TX_BYTES. A contract that carries bulk data (a sealed document) declares a larger
# body bound of its own (`MAX_BODY_BYTES` in its module), at most MAX_LARGE_BODY_BYTES;
# the envelope's codec and `decode_transaction` take the largest bound, and
# `contracts.ledger.resolve` holds each contract to its own.
MAX_TX_BYTES = 64 * 1024
MAX_BODY_BYTES = 48 * 1024
MAX_LARGE_BODY_BYTES = (4 << 20) + (512 << 10)  # a 4 MiB document, sealed, with room to spare
MAX_LARGE_TX_BYTES = MAX_LARGE_BODY_BYTES + 16 * 1024  # the rest of the envelope, signatures
MAX_SIGNATURES = 8
# How far ahead of the next block a transaction may expire. A signed transaction (a
# co-signed draft above all) can be submitted by whoever holds its bytes until it expires,
# so its life is bounded: 200,000 blocks is some 5.5 hours of blocks every 100 ms under
# full load and some 11 days of idle blocks every 5 s. The wallet picks far less.
MAX_VALIDITY_BLOCKS = 200_000


@dataclass(frozen=True)
class ContractRef:
    name: Name
    version: U32
    code_hash: Hash32


@dataclass(frozen=True)
class Payload:
    chain_id: Name
    contract: ContractRef
    operation: Name
    body: Annotated[bytes, Size(0, MAX_LARGE_BODY_BYTES)]
    expiry_height: U64
    nonce: U64


@dataclass(frozen=True)
class Signature:
    # The Ed25519 public key that signed: a member's current key (contracts.membership:
    # its address until the key changes), or a key that is no member's yet.
    signer: Hash32
    signature: Sig64


@dataclass(frozen=True)
class Transaction:
    payload: Payload
    signatures: Annotated[tuple[Signature, ...], Size(0, MAX_SIGNATURES)]


def payload_id(payload: Payload) -> bytes:
    return sha256(encode(payload))


def signing_bytes(payload: Payload) -> bytes:
    """What a signer signs: the domain tag, then the payload's canonical bytes."""
    return TX_DOMAIN + encode(payload)


def decode_transaction(raw: bytes) -> Transaction:
    """The transaction whose canonical bytes are `raw` (at most MAX_LARGE_TX_BYTES); the
    body's bound for its contract is checked where the contract is known."""
    return decode(Transaction, raw, max_bytes=MAX_LARGE_TX_BYTES)


def add_signature(tx: Transaction, signer_key: bytes, signature: bytes) -> Transaction:
    """The transaction with one more signature by `signer_key` (the public key that
    signed), kept in canonical (ascending key) order."""
    others = [s for s in tx.signatures if s.signer != signer_key]
    signatures = sorted([*others, Signature(signer_key, signature)], key=lambda s: s.signer)
    return Transaction(tx.payload, tuple(signatures))


def verify_signatures(tx: Transaction, required: int, message: bytes | None = None) -> None:
    """Each signature verifies against the key it names (`Signature.signer`: the public
    key that signed), in canonical order, one signature for each of the operation's
    `required` distinct signers (each signs with one key, and a key is one member's).
    `message` is `signing_bytes(tx.payload)` when the caller has it already.

    Which keys must sign is state: a member's key can change (contracts.membership), so
    contracts.ledger.apply_transaction matches the keys with the required addresses
    (`membership.check_signer_keys`); what is checked here needs no state and holds for
    good, so a node verifies it once, on arrival.

    Raises `LedgerError` with `tx.unsorted_signatures`, `tx.unexpected_signature`,
    `tx.missing_signature` or `tx.bad_signature`.
    """
    keys = [s.signer for s in tx.signatures]
    if any(a >= b for a, b in pairwise(keys)):
        raise LedgerError(
            "tx.unsorted_signatures", "signatures must be sorted by signer, each signer once"
        )
    if len(keys) > required:
        raise LedgerError("tx.unexpected_signature",
                          f"{len(keys)} signatures, and the operation has {required} signers")
    if len(keys) < required:
        raise LedgerError("tx.missing_signature",
                          f"{required - len(keys)} of the operation's {required} signers "
                          "still to sign")
    if message is None:
        message = signing_bytes(tx.payload)
    for s in tx.signatures:
        if not verify(s.signer, message, s.signature):
            raise LedgerError(
                "tx.bad_signature", f"the signature of {s.signer.hex()} does not verify"
            )
