"""Confidential documents on the wallet's side: files read within the size limit, and the
node's answers opened and checked against their commitments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contracts import documents
from contracts.errors import LedgerError
from contracts.identity import KeyPair


def read_document(path: Path) -> bytes:
    """A document's bytes, at most documents.MAX_DOCUMENT_BYTES (`document.too_large`)."""
    try:
        with path.open("rb") as f:
            plaintext = f.read(documents.MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        raise LedgerError("wallet.unreadable", f"cannot read {path}: {e.strerror}") from e
    documents.check_size(len(plaintext))
    return plaintext


def envelope_of(found: dict) -> documents.Envelope:
    """The sealed envelope of a document, as GET /v1/documents gives it."""
    try:
        envelope = found["envelope"]
        return documents.Envelope(
            bytes.fromhex(envelope["ciphertext"]),
            tuple(documents.SealedKey(bytes.fromhex(k["reader"]), bytes.fromhex(k["sealed"]))
                  for k in envelope["keys"]))
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid envelope") from e


@dataclass(frozen=True)
class OwnDocument:
    tx_id: str
    label: str


def open_document(document: bytes, found: dict, key: KeyPair,
                  reader: bytes | None = None) -> documents.Contents:
    """The contents of a node's answer for `document`, checked: the id is the owner's and
    the commitment's (so the node cannot answer for another document), and the
    decrypted document matches the commitment. A grantee opens it with the key its grant
    sealed to it, which the answer carries. `reader`: the member `key` signs for (the
    key's own address unless given)."""
    try:
        owner = bytes.fromhex(found["owner"])
        commitment = bytes.fromhex(found["commitment"])
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid record") from e
    return documents.open_envelope(envelope_of(found), document, owner, commitment, key,
                                   granted_key(found), reader)


def granted_key(found: dict) -> bytes | None:
    """The document key a grant in force sealed to the caller, as GET /v1/documents gives
    it to a grantee (`grant`), or None."""
    grant = found.get("grant")
    if grant is None:
        return None
    try:
        return bytes.fromhex(grant["sealed"])
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid grant") from e


def grant_body(document: bytes, found: dict, key: KeyPair, voucher: bytes,
               grantee: bytes, granter: bytes | None = None,
               grantee_key: bytes | None = None) -> documents.GrantAccess:
    """The grant by `granter` (the member `key` signs for; the key's own address unless
    given) of `document` (the node's answer `found`, with its envelope) to `grantee` for
    `voucher`: the document key, unsealed with `key` (a reader's, or one granted to it)
    and checked to open the document, sealed to the grantee's current key `grantee_key`
    (its address unless given)."""
    granter = key.address if granter is None else granter
    try:
        owner = bytes.fromhex(found["owner"])
        commitment = bytes.fromhex(found["commitment"])
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid record") from e
    envelope = envelope_of(found)
    documents.check_id(document, owner, commitment)
    document_key = documents.unseal_key(
        documents.sealed_for(envelope, key, granted_key(found), granter), key)
    # Never grant a key that opens nothing: the ledger cannot check it, the grantee would.
    documents.open_with_key(envelope, document, owner, commitment, document_key)
    return documents.GrantAccess(granter, document, voucher, grantee,
                                 documents.seal_key(document_key, grantee_key or grantee))
