"""Confidential documents (§000-四(一): 仅在参与机构之间定向传送): sealed to their readers.

A member attaching a document (a basis contract, an invoice, a delivery note) encrypts
it once with a fresh key (secretbox) and seals that key to each reader with a sealed box
to the reader's X25519 key, derived from its Ed25519 member key: the parties of the
transaction it supports, the agency and every regulator.

What the ledger shows of a document must let nobody outside its readers guess it:
- its identity is a commitment, sha256(domain, salt, plaintext), with a 32-byte salt
  that lies only inside the envelope (a reader learns it by decrypting and checks the
  commitment). Enumerating candidate plaintexts (an invoice whose price alone is unknown)
  cannot be checked against it without the salt. The attaching wallet derives the salt
  with a keyed hash from its own key, the parties and the plaintext (`derive_salt`):
  unpredictable to anyone else, and the same when that member attaches the same file for
  the same parties again, so its wallet finds and reuses its earlier attachment without
  any index an outsider could query;
- its size: the envelope holds the document padded (ISO/IEC 7816-4, libsodium's
  sodium_pad) to a bucket, a power of two from 4 KiB to 2 MiB or the one bucket above
  that, so the ledger tells at most which of 11 size classes a document falls in;
- its label travels inside the envelope with the document, never in clear.
A document is named by its id, sha256(domain, owner, commitment), which the contract
derives: another member attaching the same commitment (copied from a pending
transaction) lands under its own id and cannot block the owner's attachment.

A party's transaction (an issuance application, an obligation, a redemption request)
names the documents it rests on by their ids; the contract checks each was attached by
one of that transaction's parties with all of them among its parties. An attach
transaction is far larger than an ordinary one: this contract's bodies may reach
MAX_BODY_BYTES (a 4 MiB document sealed), every other's stay within
contracts.tx.MAX_BODY_BYTES.
  doc/<id>                       the attachment: who attached it, its commitment, its
                                 parties, readers, padded size and where its envelope
                                 lies (height, transaction)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Annotated

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.secret

from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, CodecError, Hash32, Height, Size, TimeMs, decode, encode
from contracts.contract import Context, Operation
from contracts.errors import LedgerError, Rejected, require
from contracts.identity import KeyPair
from contracts.membership import active_with_role, require_active
from contracts.state import Reader, get_record, put_record
from contracts.tx import MAX_LARGE_BODY_BYTES

NAME = "document"
VERSION = 2

MAX_DOCUMENT_BYTES = 4 << 20  # 4 MiB of plaintext
MAX_PARTIES = 8
MAX_READERS = 32
SALT_BYTES = 32
KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE
SEALED_KEY_BYTES = KEY_BYTES + 48  # a sealed box adds an ephemeral key (32) and a MAC (16)
BOX_OVERHEAD = nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES
# Padded sizes: powers of two from 4 KiB (an invoice, a delivery note: one class) to
# 2 MiB, then one class for everything up to 4 MiB with room for the salt, the label and
# their framing. Powers of two cost at most twice the bytes and leave 11 classes; fixed
# steps (64 KiB) would cost less for large scans but tell 65 sizes apart.
MIN_PADDED_BYTES = 4 << 10
TOP_PADDED_BYTES = MAX_DOCUMENT_BYTES + (4 << 10)
PADDED_SIZES = (*(MIN_PADDED_BYTES << i for i in range(10)), TOP_PADDED_BYTES)
MAX_CIPHERTEXT_BYTES = TOP_PADDED_BYTES + BOX_OVERHEAD
MAX_BODY_BYTES = MAX_LARGE_BODY_BYTES  # an Attach of the largest document, with its keys
# The ciphertext, plus readers' keys and parties (a few KiB), fit the body bound.
assert MAX_CIPHERTEXT_BYTES + 64 * 1024 <= MAX_BODY_BYTES
MAX_PER_TRANSACTION = 8  # documents one application, obligation or request names
READER_ROLES = ("agency", "regulator")
COMMITMENT_DOMAIN = b"claimledger/document/commitment/v2\x00"
ID_DOMAIN = b"claimledger/document/id/v2\x00"
SALT_PERSON = b"claimledger-salt"  # BLAKE2b personalisations: 16 bytes
BASIS_PERSON = b"claimledger-basi"

Label = Annotated[str, Size(1, 128)]
# What an application, an obligation or a redemption request names: document ids.
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
class Contents:
    """What the envelope's ciphertext holds, padded: only readers ever see it."""

    salt: Annotated[bytes, Size(SALT_BYTES, SALT_BYTES)]
    label: Label  # what it is, for its readers (e.g. "basis contract HT-2026-0901")
    plaintext: Annotated[bytes, Size(0, MAX_DOCUMENT_BYTES)]


@dataclass(frozen=True)
class Attach:
    owner: Hash32  # the member attaching it (signs)
    commitment: Hash32  # sha256(domain, salt, plaintext); the salt lies in the envelope
    parties: Annotated[tuple[Hash32, ...], Size(1, MAX_PARTIES)]  # sorted, owner among them
    envelope: Envelope


@dataclass(frozen=True)
class Attachment:
    id: Hash32  # document_id(owner, commitment): what transactions name
    owner: Hash32
    commitment: Hash32
    parties: Annotated[tuple[Hash32, ...], Size(1, MAX_PARTIES)]
    readers: Annotated[tuple[Hash32, ...], Size(1, MAX_READERS)]
    size: U32  # ciphertext bytes: a padded size, never the document's own
    height: Height
    tx_id: Hash32
    attached_at_ms: TimeMs


# ------------------------------------------------------------------ identities


def commitment_of(salt: bytes, plaintext: bytes) -> bytes:
    """What the ledger keeps of a document: hiding without the salt, binding with it."""
    assert len(salt) == SALT_BYTES
    return hashlib.sha256(COMMITMENT_DOMAIN + salt + plaintext).digest()


def document_id(owner: bytes, commitment: bytes) -> bytes:
    """A document's id: its owner's, so nobody else's attachment can take it."""
    return hashlib.sha256(ID_DOMAIN + owner + commitment).digest()


def derive_salt(key: KeyPair, parties: tuple[bytes, ...], plaintext: bytes) -> bytes:
    """The salt a member's wallet commits to a document with: a BLAKE2b keyed by the
    member's own key over the sorted parties and the plaintext. Nobody without the key
    can predict it; the member gets the same one for the same file and parties."""
    message = len(parties).to_bytes(1, "big") + b"".join(sorted(parties)) + plaintext
    return nacl.hash.blake2b(message, digest_size=SALT_BYTES, key=key.seed,
                             person=SALT_PERSON, encoder=nacl.encoding.RawEncoder)


def basis_digest(key: KeyPair, creditor: bytes, debtor: bytes, plaintext: bytes) -> bytes:
    """The digest of a basis document that an application or an obligation of `creditor`
    on `debtor` records (its `basis_sha256` field): a BLAKE2b keyed with the X25519
    secret the two share, over both addresses and the document. Either party computes it
    with its own key (`key` is one of them) and gets the same value, so the same file for
    the same creditor and debtor is the same digest and the ledger still refuses to
    finance it twice; nobody else can compute it, so nobody can test a guessed contract
    against it, as anyone could against a plain sha256."""
    require(key.address in (creditor, debtor), "document.not_party",
            "a basis digest is computed by the creditor or the debtor")
    other = debtor if key.address == creditor else creditor
    shared = nacl.bindings.crypto_scalarmult(x25519_private(key), x25519_public(other))
    return nacl.hash.blake2b(creditor + debtor + plaintext, digest_size=32, key=shared,
                             person=BASIS_PERSON, encoder=nacl.encoding.RawEncoder)


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


def padded_size(size: int) -> int:
    """The size class `size` bytes are padded to (sodium_pad adds at least one byte)."""
    return next(s for s in PADDED_SIZES if s > size)


def seal(contents: Contents, readers: list[bytes]) -> Envelope:
    """Encrypt the padded contents once with a fresh key, and seal that key to each
    reader."""
    check_size(len(contents.plaintext))
    framed = encode(contents)
    padded = nacl.bindings.sodium_pad(framed, padded_size(len(framed)))
    key = os.urandom(KEY_BYTES)
    ciphertext = bytes(nacl.secret.SecretBox(key).encrypt(padded))
    keys = tuple(
        SealedKey(reader, nacl.public.SealedBox(
            nacl.public.PublicKey(x25519_public(reader))).encrypt(key))
        for reader in sorted(set(readers)))
    return Envelope(ciphertext, keys)


def attach_body(key: KeyPair, plaintext: bytes, label: str, parties: tuple[bytes, ...],
                readers: list[bytes]) -> Attach:
    """The attach operation of `key`'s member for `plaintext`, sealed to `readers`."""
    parties = tuple(sorted(set(parties)))
    salt = derive_salt(key, parties, plaintext)
    return Attach(key.address, commitment_of(salt, plaintext), parties,
                  seal(Contents(salt, label, plaintext), readers))


def open_envelope(envelope: Envelope, document: bytes, owner: bytes, commitment: bytes,
                  key: KeyPair) -> Contents:
    """The contents of `document` for a reader, checked against its owner and commitment
    on the ledger; `LedgerError` for anyone else or a damaged envelope."""
    if document_id(owner, commitment) != document:
        raise LedgerError("document.hash_mismatch",
                          f"document {document.hex()} is not the id of that owner's "
                          "commitment: the record was altered")
    sealed = next((k.sealed for k in envelope.keys if k.reader == key.address), None)
    if sealed is None:
        raise LedgerError("document.not_reader",
                          "this key is not among the document's readers: it was sealed only "
                          "to the parties, the agency and the regulators")
    private = nacl.public.PrivateKey(x25519_private(key))
    try:
        document_key = nacl.public.SealedBox(private).decrypt(sealed)
        padded = nacl.secret.SecretBox(document_key).decrypt(envelope.ciphertext)
    except nacl.exceptions.CryptoError as e:
        raise LedgerError("document.tampered",
                          "the envelope does not decrypt: it was altered") from e
    try:
        require(len(padded) in PADDED_SIZES, "document.unpadded", "not a padded size")
        contents = decode(Contents, nacl.bindings.sodium_unpad(padded, len(padded)),
                          max_bytes=TOP_PADDED_BYTES)
    except (ValueError, CodecError, LedgerError, nacl.exceptions.CryptoError) as e:
        # Its owner sealed it so (the contract cannot read an envelope): every reader
        # finds out on opening it.
        raise LedgerError("document.malformed",
                          "the envelope decrypts to no padded document: its owner sealed "
                          "something else") from e
    if commitment_of(contents.salt, contents.plaintext) != commitment:
        raise LedgerError("document.hash_mismatch",
                          "the decrypted document does not match its commitment on the "
                          "ledger")
    return contents


def readers_for(state: Reader, parties: tuple[bytes, ...]) -> list[bytes]:
    """The parties, every active agency and every active regulator, sorted."""
    readers = set(parties)
    for role in READER_ROLES:
        readers.update(active_with_role(state, role))
    return sorted(readers)


# ------------------------------------------------------------------ state


def attachment_key(document: bytes) -> bytes:
    return b"doc/" + document


def get_attachment(state: Reader, document: bytes) -> Attachment | None:
    """The attachment whose id is `document`, if any."""
    return get_record(state, attachment_key(document), Attachment)


def require_documents(state: Reader, ids: tuple[bytes, ...],
                      parties: tuple[bytes, ...]) -> None:
    """Every document named was attached by one of `parties`, with all of them among its
    parties (so sealed to each), and is named once."""
    require(len(set(ids)) == len(ids), "document.repeated",
            "a transaction names each document once")
    for document in ids:
        found = get_attachment(state, document)
        if found is None:
            raise Rejected("document.unknown", f"no document {document.hex()} was attached; "
                           "attach it before the transaction that rests on it")
        # An id is its owner's: only a party's attachment can back a party's transaction.
        require(found.owner in parties, "document.outsider",
                f"document {document.hex()} was attached by {found.owner.hex()}, who is not "
                "a party to this transaction")
        missing = [p.hex() for p in parties if p not in found.parties]
        require(not missing, "document.not_party",
                f"document {document.hex()} was not sealed to {', '.join(missing)}")


# ------------------------------------------------------------------ operation


def attach(ctx: Context, body: Attach) -> None:
    require_active(ctx.state, body.owner)
    require(list(body.parties) == sorted(set(body.parties)), "document.unsorted",
            "parties are sorted, each once")
    require(body.owner in body.parties, "document.not_party",
            "the member attaching a document is one of its parties")
    for party in body.parties:
        require_active(ctx.state, party)
    # The id is derived here from the signer, never taken from the body: a commitment
    # copied from someone else's pending attachment lands under the copier's own id.
    document = document_id(body.owner, body.commitment)
    require(get_attachment(ctx.state, document) is None, "document.exists",
            f"you attached document {document.hex()} already; name it by its id")
    size = len(body.envelope.ciphertext)
    require(size - BOX_OVERHEAD in PADDED_SIZES, "document.unpadded",
            f"a sealed document is padded to one of {len(PADDED_SIZES)} sizes (4 KiB, 8 KiB, "
            f"... 2 MiB, {TOP_PADDED_BYTES}), so that its size tells nothing; this envelope "
            f"holds {size - BOX_OVERHEAD} bytes")
    readers = [k.reader for k in body.envelope.keys]
    require(readers == sorted(set(readers)), "document.unsorted",
            "sealed keys are sorted by reader, each reader once")
    wanted = readers_for(ctx.state, body.parties)
    require(readers == wanted, "document.readers",
            "a document is sealed to exactly its parties, the agency and every regulator: "
            f"{len(wanted)} readers, not {len(readers)}")
    put_record(ctx.state, attachment_key(document), Attachment(
        id=document, owner=body.owner, commitment=body.commitment, parties=body.parties,
        readers=tuple(readers), size=size, height=ctx.height, tx_id=ctx.tx_id,
        attached_at_ms=ctx.time_ms))
    ctx.emit("document.attached", document, *readers)


# ------------------------------------------------------------------ who may read


def may_read_document(state: Reader, caller: Caller, attachment: Attachment) -> bool:
    """A confidential document, its attachment record and its sealed envelope, reach only
    the parties of the transaction it supports, the agency and the regulators
    (§000-四(一): 仅在参与机构之间定向传送); who attached what, and when, is theirs too."""
    return caller.oversees or caller.one_of(*attachment.parties)


READS = (Read("document", ("party", *OVERSIGHT), may_read_document),)


OPERATIONS = (
    Operation("attach", Attach, lambda b: (b.owner,), attach),
)
