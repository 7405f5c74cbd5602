"""Key store files: one member key each, sealed with a passphrase, mode 0600."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import seal, unseal

PASSPHRASE_ENV = "CLAIMLEDGER_PASSPHRASE"


def passphrase(confirm: bool = False) -> str:
    if PASSPHRASE_ENV in os.environ:
        return os.environ[PASSPHRASE_ENV]
    return click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)


def write_key_store(path: Path, key: KeyPair, name: str) -> None:
    if path.exists():
        raise LedgerError("keystore.exists", f"{path} exists; refusing to overwrite a key")
    document = seal(key, passphrase(confirm=True), name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1)


def read_address(path: Path) -> bytes:
    """The address a key store holds, without asking for its passphrase."""
    return bytes.fromhex(_document(path)["address"])


def read_key_store(path: Path) -> KeyPair:
    return unseal(_document(path), passphrase())


def _document(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise LedgerError("keystore.unreadable", f"cannot read {path}: {e.strerror}") from e
    except ValueError as e:
        raise LedgerError("keystore.bad_format", f"{path} is not a key store") from e
