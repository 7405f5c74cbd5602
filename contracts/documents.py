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

Grants (贸易背景真实性, §000-三(四), §002-(十四)): a funder asked to lend on a voucher, its
transferee or an acquirer judges the claim by its basis documents, which were sealed to
the creditor and the debtor only. The voucher's holder grants one member access to one
document the voucher's issuance application named: its wallet unseals the document key
and seals it to the grantee; the grant carries that sealed key, and the ledger records
it. The ledger checks what it can: the granter holds the voucher, the document is one
the voucher's application named, the granter holds a key to it (a reader, or a grantee
itself: so a transferee that was granted access passes it on down the chain), the
grantee may hold claims, is no reader yet and has no grant yet, and a document has at
most MAX_GRANTS grants. It cannot open a sealed box: a key sealed to the grantee that
opens nothing is found by the grantee, whose wallet checks what it decrypts against the
commitment (`document.tampered`). The granter revokes its grant: nodes stop serving the
document to the grantee; what it read already cannot be taken back.
  doc/<id>                       the attachment: who attached it, its commitment, its
                                 parties, readers, padded size and where its envelope
                                 lies (height, transaction)
  docn/<record><document>        documents an issuance application named (the voucher's
                                 basis documents: its `application` is the record)
  docg/<document><grantee>       grants of a document
  docgr/<grantee><document>      a grantee's grants
  docgn/<document>               how many grants a document has (revoked ones count)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.secret

from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import (
    U32,
    CodecError,
    Hash32,
    Height,
    OneOf,
    Size,
    TimeMs,
    decode,
    encode,
    replace,
)
from contracts.contract import Context, Operation
from contracts.errors import LedgerError, Rejected, require
from contracts.identity import KeyPair
from contracts.membership import active_with_role, require_active
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    indexed_page,
    put_record,
)
from contracts.tx import MAX_LARGE_BODY_BYTES
from contracts.vouchers import load_live, require_can_hold

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
# Grants one document may have, revoked ones included: funders asked, a transferee down
# the chain, an acquirer; each holds a record, so the bound keeps them few.
MAX_GRANTS = 64
GRANT_STATUSES = ("granted", "revoked")
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


@dataclass(frozen=True)
class GrantAccess:
    """The holder of `voucher` grants `grantee` access to `document`, a basis document of
    the voucher, with the document key sealed to the grantee."""

    granter: Hash32  # signs: the voucher's holder, who holds a key to the document
    document: Hash32
    voucher: Hash32  # the live voucher state the granter holds
    grantee: Hash32
    sealed: Annotated[bytes, Size(SEALED_KEY_BYTES, SEALED_KEY_BYTES)]  # to the grantee


@dataclass(frozen=True)
class RevokeAccess:
    granter: Hash32  # signs: the member that granted it
    document: Hash32
    grantee: Hash32


@dataclass(frozen=True)
class Grant:
    document: Hash32
    grantee: Hash32
    granted_by: Hash32
    voucher: Hash32  # the voucher state its holder granted access for
    sealed: Annotated[bytes, Size(SEALED_KEY_BYTES, SEALED_KEY_BYTES)]
    status: Annotated[str, OneOf(frozenset(GRANT_STATUSES))]
    granted_at_ms: TimeMs
    height: Height
    tx_id: Hash32
    revoked_at_ms: TimeMs | None


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


def seal(contents: Contents, readers: list[bytes],
         keys: Mapping[bytes, bytes] | None = None) -> Envelope:
    """Encrypt the padded contents once with a fresh key, and seal that key to each
    reader: to its current signing key (`keys`: reader address -> key, as the member
    directory shows it; a reader not in it, to its address), so that a member whose key
    changed (contracts.membership) opens it with its new key, and its replaced key
    opens nothing sealed since."""
    check_size(len(contents.plaintext))
    framed = encode(contents)
    padded = nacl.bindings.sodium_pad(framed, padded_size(len(framed)))
    key = os.urandom(KEY_BYTES)
    ciphertext = bytes(nacl.secret.SecretBox(key).encrypt(padded))
    keys = keys or {}
    sealed = tuple(SealedKey(reader, seal_key(key, keys.get(reader, reader)))
                   for reader in sorted(set(readers)))
    return Envelope(ciphertext, sealed)


def attach_body(key: KeyPair, plaintext: bytes, label: str, parties: tuple[bytes, ...],
                readers: list[bytes], owner: bytes | None = None,
                keys: Mapping[bytes, bytes] | None = None) -> Attach:
    """The attach operation of the member `owner` (the key's own address unless given:
    the member whose key `key` is now) for `plaintext`, sealed to `readers` (at `keys`)."""
    parties = tuple(sorted(set(parties)))
    salt = derive_salt(key, parties, plaintext)
    return Attach(key.address if owner is None else owner, commitment_of(salt, plaintext),
                  parties, seal(Contents(salt, label, plaintext), readers, keys))


def seal_key(document_key: bytes, reader: bytes) -> bytes:
    """`document_key` sealed to `reader`, a member's current key (its address until it
    changes): what an envelope and a grant carry."""
    assert len(document_key) == KEY_BYTES
    return nacl.public.SealedBox(
        nacl.public.PublicKey(x25519_public(reader))).encrypt(document_key)


def sealed_for(envelope: Envelope, key: KeyPair, granted: bytes | None = None,
               reader: bytes | None = None) -> bytes:
    """The document key sealed to the reader `reader` (the member whose key `key` is; the
    key's own address unless given): its own in the envelope, else the one a grant gave
    it; `document.not_reader` if neither."""
    reader = key.address if reader is None else reader
    sealed = next((k.sealed for k in envelope.keys if k.reader == reader), granted)
    if sealed is None:
        raise LedgerError("document.not_reader",
                          "this key is not among the document's readers and was granted no "
                          "access: it was sealed to the parties, the agency, the regulators "
                          "and those a holder of the voucher granted it to")
    return sealed


def open_envelope(envelope: Envelope, document: bytes, owner: bytes, commitment: bytes,
                  key: KeyPair, granted: bytes | None = None,
                  reader: bytes | None = None) -> Contents:
    """The contents of `document` for a reader, or a grantee with the key `granted` to it
    (a Grant's `sealed`), checked against its owner and commitment on the ledger;
    `LedgerError` for anyone else or a damaged envelope."""
    check_id(document, owner, commitment)
    return open_with_key(envelope, document, owner, commitment,
                         unseal_key(sealed_for(envelope, key, granted, reader), key))


def check_id(document: bytes, owner: bytes, commitment: bytes) -> None:
    """`document.hash_mismatch` unless `document` is the id of `owner`'s `commitment`."""
    if document_id(owner, commitment) != document:
        raise LedgerError("document.hash_mismatch",
                          f"document {document.hex()} is not the id of that owner's "
                          "commitment: the record was altered")


def unseal_key(sealed: bytes, key: KeyPair) -> bytes:
    """The document key in `sealed`, a sealed box to `key`; `document.tampered` if it
    does not open."""
    private = nacl.public.PrivateKey(x25519_private(key))
    try:
        return nacl.public.SealedBox(private).decrypt(sealed)
    except nacl.exceptions.CryptoError as e:
        raise LedgerError("document.tampered",
                          "the sealed key does not open with this key: it was altered, or "
                          "sealed to someone else") from e


def open_with_key(envelope: Envelope, document: bytes, owner: bytes, commitment: bytes,
                  document_key: bytes) -> Contents:
    """The contents of `document` decrypted with `document_key`, checked against its owner
    and commitment on the ledger."""
    check_id(document, owner, commitment)
    try:
        padded = nacl.secret.SecretBox(document_key).decrypt(envelope.ciphertext)
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
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


def named_key(record: bytes, document: bytes) -> bytes:
    return b"docn/" + record + document


def record_named(state: Overlay, record: bytes, ids: tuple[bytes, ...]) -> None:
    """Record that the issuance application `record` names the documents `ids`
    (`require_documents` checked them): they are the basis documents of the voucher it
    becomes, which its holders may grant access to."""
    for document in ids:
        state.put(named_key(record, document), b"")


def names_document(state: Reader, record: bytes, document: bytes) -> bool:
    """Whether the application `record` named `document`."""
    return state.get(named_key(record, document)) is not None


def grant_key(document: bytes, grantee: bytes) -> bytes:
    return b"docg/" + document + grantee


def grantee_key(grantee: bytes, document: bytes) -> bytes:
    return b"docgr/" + grantee + document


def grant_count_key(document: bytes) -> bytes:
    return b"docgn/" + document


def get_grant(state: Reader, document: bytes, grantee: bytes) -> Grant | None:
    """`grantee`'s grant of `document`, live or revoked, if any."""
    return get_record(state, grant_key(document, grantee), Grant)


def live_grant(state: Reader, document: bytes, grantee: bytes | None) -> Grant | None:
    """`grantee`'s grant of `document` if it is in force."""
    found = None if grantee is None else get_grant(state, document, grantee)
    return found if found is not None and found.status == "granted" else None


def grant_count(state: Reader, document: bytes) -> int:
    """How many grants `document` has, revoked ones included."""
    return get_count(state, grant_count_key(document))


def document_grants(state: Reader, document: bytes) -> list[Grant]:
    """Every grant of `document` (at most MAX_GRANTS), by grantee."""
    prefix = grant_key(document, b"")
    found = [decode(Grant, value) for _, value in state.scan(prefix)]
    assert len(found) <= MAX_GRANTS
    return found


def grantee_grants_page(state: Reader, grantee: bytes, after: bytes | None, limit: int,
                        status: str | None = None) -> tuple[list[Grant], bytes | None]:
    """`grantee`'s grants by document after `after`, only those of `status` if given."""
    def load(state: Reader, document: bytes) -> Grant | None:
        return get_grant(state, document, grantee)

    return indexed_page(state, grantee_key(grantee, b""), after, limit, load,
                        lambda g: status is None or g.status == status)


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


def grant(ctx: Context, body: GrantAccess) -> None:
    attachment = get_attachment(ctx.state, body.document)
    if attachment is None:
        raise Rejected("document.unknown", f"no document {body.document.hex()} was attached")
    require_active(ctx.state, body.granter)
    voucher = load_live(ctx.state, body.voucher)
    # Reserved is no bar: the transferee of a pending transfer and the funders of an open
    # financing request are those who need the documents to decide.
    require(voucher.holder == body.granter, "document.not_holder",
            "only the holder of a live voucher grants access to its basis documents")
    require(names_document(ctx.state, voucher.application, body.document), "document.not_basis",
            f"document {body.document.hex()} is not one the voucher's issuance application "
            "names: a holder grants access to the basis documents of its voucher only")
    # The ledger cannot open the sealed key; it checks that the granter holds a key to the
    # document at all, as a reader or by a grant in force.
    require(body.granter in attachment.readers
            or live_grant(ctx.state, body.document, body.granter) is not None,
            "document.not_reader",
            "you hold no key to this document (you are not among its readers and were "
            "granted no access): ask an earlier holder or the creditor to grant you access")
    require_can_hold(ctx.state, body.grantee)
    require(body.grantee not in attachment.readers, "document.already_reader",
            "the grantee is a reader of the document already: it was sealed to it")
    before = get_grant(ctx.state, body.document, body.grantee)
    require(before is None or before.status == "revoked", "document.already_granted",
            f"{body.grantee.hex()} was granted access to this document already by "
            f"{(before.granted_by if before else b'').hex()}")
    count = grant_count(ctx.state, body.document)
    if before is None:
        # A revoked grant's record is taken over by the new one: the bound counts records.
        require(count < MAX_GRANTS, "document.too_many_grants",
                f"a document is granted to at most {MAX_GRANTS} members")
        add_count(ctx.state, grant_count_key(body.document), 1, MAX_GRANTS)
        ctx.state.put(grantee_key(body.grantee, body.document), b"")
    put_record(ctx.state, grant_key(body.document, body.grantee), Grant(
        document=body.document, grantee=body.grantee, granted_by=body.granter,
        voucher=body.voucher, sealed=body.sealed, status="granted", granted_at_ms=ctx.time_ms,
        height=ctx.height, tx_id=ctx.tx_id, revoked_at_ms=None))
    ctx.emit("document.granted", body.document, body.granter, body.grantee,
             *attachment.parties)


def revoke(ctx: Context, body: RevokeAccess) -> None:
    found = live_grant(ctx.state, body.document, body.grantee)
    if found is None:
        raise Rejected("document.not_granted", f"{body.grantee.hex()} holds no grant in force "
                       f"for document {body.document.hex()}")
    require(found.granted_by == body.granter, "document.not_granter",
            "only the member that granted access revokes it")
    require_active(ctx.state, body.granter)
    put_record(ctx.state, grant_key(body.document, body.grantee),
               replace(found, status="revoked", revoked_at_ms=ctx.time_ms))
    attachment = get_attachment(ctx.state, body.document)
    assert attachment is not None, "a granted document is attached"
    ctx.emit("document.revoked", body.document, body.granter, body.grantee,
             *attachment.parties)


# ------------------------------------------------------------------ who may read


def may_read_document(state: Reader, caller: Caller, attachment: Attachment) -> bool:
    """A confidential document, its attachment record and its sealed envelope, reach only
    the parties of the transaction it supports, the agency and the regulators
    (§000-四(一): 仅在参与机构之间定向传送), and the members a holder of the voucher it
    backs granted access to, while the grant is in force (§000-三(四): 贸易背景真实性调查);
    who attached what, and when, is theirs too."""
    return caller.oversees or caller.one_of(*attachment.parties) or (
        caller.member and live_grant(state, attachment.id, caller.address) is not None)


def may_read_grant(state: Reader, caller: Caller, grant: Grant) -> bool:
    """A grant is its granter's and its grantee's, and the document's parties' (the
    creditor and the debtor learn who was shown their contract), the agency's and the
    regulators'. Its sealed key opens nothing for anyone but the grantee."""
    if caller.oversees or caller.one_of(grant.granted_by, grant.grantee):
        return True
    attachment = get_attachment(state, grant.document)
    return attachment is not None and caller.one_of(*attachment.parties)


READS = (
    Read("document", ("party", "grantee", *OVERSIGHT), may_read_document),
    Read("grant", ("party", "granter", "grantee", *OVERSIGHT), may_read_grant),
)


OPERATIONS = (
    Operation("attach", Attach, lambda b: (b.owner,), attach),
    Operation("grant", GrantAccess, lambda b: (b.granter,), grant),
    Operation("revoke", RevokeAccess, lambda b: (b.granter,), revoke),
)
