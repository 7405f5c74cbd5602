"""The key store format: an Ed25519 seed sealed with a passphrase (argon2id + secretbox).

Pure functions from a document (a JSON-ready dict) to a key pair and back; reading and
writing files, and asking for the passphrase, are the callers' business.
"""

from __future__ import annotations

import os

import nacl.exceptions
import nacl.pwhash
import nacl.secret

from contracts.errors import LedgerError
from contracts.identity import KeyPair

FORMAT = "claimledger-keystore/1"
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


def _box(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> nacl.secret.SecretBox:
    key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt,
        opslimit=opslimit, memlimit=memlimit,
    )
    return nacl.secret.SecretBox(key)


def seal(key: KeyPair, passphrase: str, name: str = "") -> dict:
    """A key store document holding `key`, readable only with `passphrase`."""
    if not passphrase:
        raise LedgerError("keystore.empty_passphrase", "a key store needs a passphrase")
    salt = os.urandom(nacl.pwhash.argon2id.SALTBYTES)
    sealed = _box(passphrase, salt, OPSLIMIT, MEMLIMIT).encrypt(key.seed)
    return {
        "format": FORMAT,
        "name": name,
        "address": key.address.hex(),
        "kdf": {"name": "argon2id", "salt": salt.hex(), "opslimit": OPSLIMIT,
                "memlimit": MEMLIMIT},
        "sealed_seed": bytes(sealed).hex(),
    }


def unseal(document: dict, passphrase: str) -> KeyPair:
    """The key pair in a key store document; `LedgerError` for a wrong passphrase or file."""
    try:
        if document["format"] != FORMAT:
            raise LedgerError("keystore.bad_format", f"not a {FORMAT} file")
        kdf = document["kdf"]
        box = _box(passphrase, bytes.fromhex(kdf["salt"]), int(kdf["opslimit"]),
                   int(kdf["memlimit"]))
        sealed = bytes.fromhex(document["sealed_seed"])
        address = bytes.fromhex(document["address"])
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("keystore.bad_format", f"not a valid key store ({e})") from e
    try:
        seed = box.decrypt(sealed)
    except nacl.exceptions.CryptoError as e:
        raise LedgerError("keystore.wrong_passphrase", "wrong passphrase for this key store") from e
    key = KeyPair(seed)
    if key.address != address:
        raise LedgerError("keystore.bad_format", "the key does not match the stored address")
    return key
