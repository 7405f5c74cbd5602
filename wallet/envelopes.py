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


def open_document(document: bytes, found: dict, key: KeyPair) -> documents.Contents:
    """The contents of a node's answer for `document`, checked: the id is the owner's and
    the commitment's (so the node cannot answer for another document), and the
    decrypted document matches the commitment."""
    try:
        owner = bytes.fromhex(found["owner"])
        commitment = bytes.fromhex(found["commitment"])
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid record") from e
    return documents.open_envelope(envelope_of(found), document, owner, commitment, key)
