"""The key store format: an Ed25519 seed sealed with a passphrase (argon2id + secretbox).

Pure functions from a document (a JSON-ready dict) to a key pair and back; reading and
writing files, and asking for the passphrase, are the callers' business. Neither the seed
nor the passphrase ever appears in an error message: they are never logged.

A key store file is written with mode 0600 (only its owner reads it). A caller that reads
one checks its mode with `unsafe_mode_warning`: like ssh with a private key, a file that
others may read or write is worth a warning and a way to fix it.
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
FILE_MODE = 0o600
UNSAFE_MODE_BITS = 0o077  # any permission for the group or for others


def _box(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> nacl.secret.SecretBox:
    key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt,
        opslimit=opslimit, memlimit=memlimit,
    )
    return nacl.secret.SecretBox(key)


def seal(key: KeyPair, passphrase: str, name: str = "", member: bytes | None = None) -> dict:
    """A key store document holding `key`, readable only with `passphrase`; `member`: the
    address the key signs for, when it is not the key itself (a member's rotated or
    recovered key, contracts.membership)."""
    if not passphrase:
        raise LedgerError("keystore.empty_passphrase", "a key store needs a passphrase")
    salt = os.urandom(nacl.pwhash.argon2id.SALTBYTES)
    sealed = _box(passphrase, salt, OPSLIMIT, MEMLIMIT).encrypt(key.seed)
    return {
        "format": FORMAT,
        "name": name,
        "address": key.address.hex(),
        **({} if member is None or member == key.address else {"member": member.hex()}),
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
    except nacl.exceptions.CryptoError:
        raise LedgerError("keystore.wrong_passphrase",
                          "the passphrase does not decrypt this key store") from None
    key = KeyPair(seed)
    if key.address != address:
        raise LedgerError("keystore.bad_format", "the key does not match the stored address")
    return key


def member_of(document: dict) -> bytes:
    """The member address a key store document signs for: its `member`, or, in a store
    without one (every store before keys could change), its key's own address.
    `LedgerError("keystore.bad_format")` when neither is 64 hex digits."""
    try:
        member = bytes.fromhex(document.get("member") or document["address"])
    except (KeyError, TypeError, ValueError, AttributeError):
        member = b""
    if len(member) != 32:
        raise LedgerError("keystore.bad_format", "the key store names no valid address")
    return member


def unsafe_mode_warning(where: str, mode: int) -> str | None:
    """`keystore.unsafe_mode` and what to do, when the file mode `mode` of the key store at
    `where` lets its group or others read or write it; None when only its owner may."""
    if mode & UNSAFE_MODE_BITS == 0:
        return None
    return (f"keystore.unsafe_mode: {where} has mode {mode & 0o777:04o}, so other users may "
            f"read or change it; run `chmod 600 {where}` to keep it to yourself")
