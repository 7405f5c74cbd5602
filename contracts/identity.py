"""Identities: a member is its Ed25519 public key; its address is that key, shown as hex."""

from __future__ import annotations

import os
from typing import Protocol

from nacl.bindings import (
    crypto_sign,
    crypto_sign_open,
    crypto_sign_seed_keypair,
)
from nacl.exceptions import BadSignatureError

from contracts.errors import LedgerError

ADDRESS_BYTES = 32
SEED_BYTES = 32
SIGNATURE_BYTES = 64


def address_hex(address: bytes) -> str:
    return address.hex()


def parse_address(text: str) -> bytes:
    """The 32-byte address written as 64 hex digits; `LedgerError` otherwise."""
    try:
        address = bytes.fromhex(text.strip())
    except ValueError:
        address = b""
    if len(address) != ADDRESS_BYTES:
        raise LedgerError("address.malformed", f"{text!r} is not an address (64 hex digits)")
    return address


def parse_hash(text: str, what: str, code: str) -> bytes:
    """A 32-byte id written as 64 hex digits; `LedgerError(code)` naming `what` otherwise."""
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        value = b""
    if len(value) != 32:
        raise LedgerError(code, f"{what} must be 64 hex digits")
    return value


def short(address: bytes) -> str:
    """An abbreviation for tables: the first 8 and last 4 hex digits."""
    h = address.hex()
    return f"{h[:8]}…{h[-4:]}"


class KeyPair:
    """An Ed25519 signing key. The seed never leaves this object except to a key store."""

    __slots__ = ("_secret", "address", "seed")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_BYTES:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self.seed = seed
        self.address, self._secret = crypto_sign_seed_keypair(seed)

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(os.urandom(SEED_BYTES))

    def sign(self, message: bytes) -> bytes:
        return crypto_sign(message, self._secret)[:SIGNATURE_BYTES]

    def __repr__(self) -> str:  # never print the seed
        return f"KeyPair({short(self.address)})"


class MemberSigner(Protocol):
    """What signs for a member: a KeyPair in memory, the wallet's agent
    (wallet/agent.py), or a remote signer or HSM behind the same two members. Every
    message it is asked to sign starts with its domain tag (contracts.tx.TX_DOMAIN,
    contracts.requests.REQUEST_DOMAIN), so a signer outside the process can refuse
    anything else."""

    @property
    def address(self) -> bytes:
        """The Ed25519 public key that signs."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        ...


def verify(address: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `address`'s Ed25519 signature of `message`."""
    if len(address) != ADDRESS_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, address)
    except (BadSignatureError, ValueError):
        return False
    return True
