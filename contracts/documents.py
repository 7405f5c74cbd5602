"""Confidential documents (§000-四(一): 仅在参与机构之间定向传送): sealed to their readers.

A member attaching a document (a basis contract, an invoice, a delivery note) encrypts
it once with a fresh key (secretbox) and seals that key to each reader with a sealed box
to the reader's X25519 key, derived from its Ed25519 member key: the parties of the
transaction it supports, the agency and every regulator. The ledger keeps the sha256 of
the plaintext and the envelope (ciphertext and sealed keys), never a plaintext or a
private key. A party's transaction (an issuance application, an obligation, a
redemption request) names the documents it rests on by their sha256; the contract
checks each was attached by one of that transaction's parties with all of them among
its parties. An attach transaction is far larger than an ordinary one: this contract's
bodies may reach MAX_BODY_BYTES (a 4 MiB document sealed), every other's stay within
contracts.tx.MAX_BODY_BYTES.
  doc/<sha256>                   the attachment: who attached it, its parties, readers,
                                 size and where its envelope lies (height, transaction)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Annotated

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.secret

from contracts.codec import U32, Hash32, Height, Size, TimeMs
from contracts.contract import Context, Operation
from contracts.errors import LedgerError, Rejected, require
from contracts.identity import KeyPair
from contracts.membership import active_with_role, require_active
from contracts.state import Reader, get_record, put_record
from contracts.tx import MAX_LARGE_BODY_BYTES

NAME = "document"
VERSION = 1

MAX_DOCUMENT_BYTES = 4 << 20  # 4 MiB of plaintext
MAX_PARTIES = 8
MAX_READERS = 32
KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE
SEALED_KEY_BYTES = KEY_BYTES + 48  # a sealed box adds an ephemeral key (32) and a MAC (16)
BOX_OVERHEAD = nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES
MAX_CIPHERTEXT_BYTES = MAX_DOCUMENT_BYTES + BOX_OVERHEAD
MAX_BODY_BYTES = MAX_LARGE_BODY_BYTES  # an Attach of the largest document, with its keys
# The ciphertext, plus readers' keys, parties and label (a few KiB), fit the body bound.
assert MAX_CIPHERTEXT_BYTES + 64 * 1024 <= MAX_BODY_BYTES
MAX_PER_TRANSACTION = 8  # documents one application, obligation or request names
READER_ROLES = ("agency", "regulator")

Label = Annotated[str, Size(1, 128)]
# What an application, an obligation or a redemption request names: sha256s of documents.
Documents = Annotated[tuple[Hash32, ...], Size(0, MAX_PER_TRANSACTION)]


@dataclass(frozen=True)
class SealedKey:
    reader: Hash32  # a member address (its Ed25519 key)
    sealed: Annotated[bytes, Size(SEALED_KEY_BYTES, SEALED_KEY_BYTES)]


@dataclass(frozen=True)
class Envelope:
    ciphertext: Annotated[bytes, Size(BOX_OVERHEAD, MAX_CIPHERTEXT_BYTES)]
    keys: Annotated[tuple[SealedKey, ...], Size(1, MAX_READERS)]  # sorted by reader


@dataclass(frozen=True)
class Attach:
    owner: Hash32  # the member attaching it (signs)
    sha256: Hash32  # of the plaintext
    label: Label  # what it is, for its readers (e.g. "basis contract HT-2026-0901")
    parties: Annotated[tuple[Hash32, ...], Size(1, MAX_PARTIES)]  # sorted, owner among them
    envelope: Envelope


@dataclass(frozen=True)
class Attachment:
    sha256: Hash32
    owner: Hash32
    label: Label
    parties: Annotated[tuple[Hash32, ...], Size(1, MAX_PARTIES)]
    readers: Annotated[tuple[Hash32, ...], Size(1, MAX_READERS)]
    size: U32  # ciphertext bytes
    height: Height
    tx_id: Hash32
    attached_at_ms: TimeMs


# ------------------------------------------------------------------ the cryptography


def x25519_public(address: bytes) -> bytes:
    """The X25519 public key of a member's Ed25519 address."""
    return nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(address)


def x25519_private(key: KeyPair) -> bytes:
    _, secret = nacl.bindings.crypto_sign_seed_keypair(key.seed)
    return nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(secret)


def check_size(size: int) -> None:
    """`document.too_large` for a document over MAX_DOCUMENT_BYTES."""
    if size > MAX_DOCUMENT_BYTES:
        raise LedgerError("document.too_large", f"a document is at most {MAX_DOCUMENT_BYTES} "
                          f"bytes (4 MiB); this one has {size}")


def seal(plaintext: bytes, readers: list[bytes]) -> Envelope:
    """Encrypt once with a fresh key, and seal that key to each reader."""
    check_size(len(plaintext))
    key = os.urandom(KEY_BYTES)
    ciphertext = bytes(nacl.secret.SecretBox(key).encrypt(plaintext))
    keys = tuple(
        SealedKey(reader, nacl.public.SealedBox(
            nacl.public.PublicKey(x25519_public(reader))).encrypt(key))
        for reader in sorted(set(readers)))
    return Envelope(ciphertext, keys)


def open_envelope(envelope: Envelope, sha256: bytes, key: KeyPair) -> bytes:
    """The plaintext for a reader; `LedgerError` for anyone else or a damaged envelope."""
    sealed = next((k.sealed for k in envelope.keys if k.reader == key.address), None)
    if sealed is None:
        raise LedgerError("document.not_reader",
                          "this key is not among the document's readers: it was sealed only "
                          "to the parties, the agency and the regulators")
    private = nacl.public.PrivateKey(x25519_private(key))
    try:
        document_key = nacl.public.SealedBox(private).decrypt(sealed)
        plaintext = nacl.secret.SecretBox(document_key).decrypt(envelope.ciphertext)
    except nacl.exceptions.CryptoError as e:
        raise LedgerError("document.tampered",
                          "the envelope does not decrypt: it was altered") from e
    if hashlib.sha256(plaintext).digest() != sha256:
        raise LedgerError("document.hash_mismatch",
                          "the decrypted document does not match the sha256 on the ledger")
    return plaintext


def readers_for(state: Reader, parties: tuple[bytes, ...]) -> list[bytes]:
    """The parties, every active agency and every active regulator, sorted."""
    readers = set(parties)
    for role in READER_ROLES:
        readers.update(active_with_role(state, role))
    return sorted(readers)


# ------------------------------------------------------------------ state


def attachment_key(sha256: bytes) -> bytes:
    return b"doc/" + sha256


def get_attachment(state: Reader, sha256: bytes) -> Attachment | None:
    return get_record(state, attachment_key(sha256), Attachment)


def require_documents(state: Reader, documents: tuple[bytes, ...],
                      parties: tuple[bytes, ...]) -> None:
    """Every document named was attached by one of `parties`, with all of them among its
    parties (so sealed to each), and is named once."""
    require(len(set(documents)) == len(documents), "document.repeated",
            "a transaction names each document once")
    for sha256 in documents:
        found = get_attachment(state, sha256)
        if found is None:
            raise Rejected("document.unknown", f"no document {sha256.hex()} was attached; "
                           "attach it before the transaction that rests on it")
        # Anyone may attach under any sha256 it has seen; only a party's attachment counts,
        # so nobody else's envelope can stand for a party's document.
        require(found.owner in parties, "document.outsider",
                f"document {sha256.hex()} was attached by {found.owner.hex()}, who is not a "
                "party to this transaction")
        missing = [p.hex() for p in parties if p not in found.parties]
        require(not missing, "document.not_party",
                f"document {sha256.hex()} was not sealed to {', '.join(missing)}")


# ------------------------------------------------------------------ operation


def attach(ctx: Context, body: Attach) -> None:
    require_active(ctx.state, body.owner)
    require(list(body.parties) == sorted(set(body.parties)), "document.unsorted",
            "parties are sorted, each once")
    require(body.owner in body.parties, "document.not_party",
            "the member attaching a document is one of its parties")
    for party in body.parties:
        require_active(ctx.state, party)
    require(get_attachment(ctx.state, body.sha256) is None, "document.exists",
            f"document {body.sha256.hex()} is attached already; name it by its sha256")
    readers = [k.reader for k in body.envelope.keys]
    require(readers == sorted(set(readers)), "document.unsorted",
            "sealed keys are sorted by reader, each reader once")
    wanted = readers_for(ctx.state, body.parties)
    require(readers == wanted, "document.readers",
            "a document is sealed to exactly its parties, the agency and every regulator: "
            f"{len(wanted)} readers, not {len(readers)}")
    put_record(ctx.state, attachment_key(body.sha256), Attachment(
        sha256=body.sha256, owner=body.owner, label=body.label, parties=body.parties,
        readers=tuple(readers), size=len(body.envelope.ciphertext), height=ctx.height,
        tx_id=ctx.tx_id, attached_at_ms=ctx.time_ms))
    ctx.emit("document.attached", body.sha256, *readers)


OPERATIONS = (
    Operation("attach", Attach, lambda b: (b.owner,), attach),
)
