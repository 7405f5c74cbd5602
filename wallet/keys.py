"""Key store files: one member key each, sealed with a passphrase, mode 0600.

A key store that its group or others may read still opens, with a warning on stderr
that says how to fix it (`keystore.unsafe_mode`); a wrong passphrase is the error
`keystore.wrong_passphrase` naming the file. The seed and the passphrase are never
printed or logged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import FILE_MODE, member_of, seal, unsafe_mode_warning, unseal
from wallet.i18n import _

PASSPHRASE_ENV = "CLAIMLEDGER_PASSPHRASE"


def given_passphrase() -> str | None:
    """The passphrase the environment gives; an empty one is none (a variable set
    empty, e.g. `CLAIMLEDGER_PASSPHRASE= cmd` to clear it, asks as if unset)."""
    return os.environ.get(PASSPHRASE_ENV) or None


def passphrase(confirm: bool = False) -> str:
    given = given_passphrase()
    if given is not None:
        return given
    # On stderr (click before 8.2 echoes a prompt to stdout), so that stdout holds only
    # the answer: `--json`, `eval "$(claimledger-wallet agent start)"`.
    return click.prompt(_("Passphrase"), hide_input=True, confirmation_prompt=confirm, err=True)


def passphrase_source() -> str:
    return f"${PASSPHRASE_ENV}" if given_passphrase() is not None else "the prompt"


def write_key_store(path: Path, key: KeyPair, name: str, member: bytes | None = None) -> None:
    """A new key store file at `path`, mode 0600 from its creation on (whatever the umask);
    `member`: the address `key` signs for, when it is not `key`'s own (a new key)."""
    if path.exists():
        raise LedgerError("keystore.exists", f"{path} exists; refusing to overwrite a key")
    document = seal(key, passphrase(confirm=True), name, member)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), FILE_MODE)
        json.dump(document, f, indent=1)
        f.flush()
        os.fsync(f.fileno())


def read_address(path: Path) -> bytes:
    """The member address a key store signs for, without asking for its passphrase: the
    key's own address, or the member's when the key replaced the one it was admitted with
    (a key store whose address is its key keeps working)."""
    try:
        return member_of(_document(path))
    except LedgerError:
        raise LedgerError("keystore.bad_format", f"{path} holds no valid address") from None


def read_signing_key(path: Path) -> bytes:
    """The public key a key store holds (its `address` field), without its passphrase."""
    try:
        key = bytes.fromhex(_document(path)["address"])
    except (TypeError, ValueError):
        key = b""
    if len(key) != 32:
        raise LedgerError("keystore.bad_format", f"{path} holds no valid key")
    return key


def read_key_store(path: Path) -> KeyPair:
    """The key in the key store at `path`, opened with the passphrase."""
    document = _document(path)
    warn_if_unsafe(path)
    try:
        return unseal(document, passphrase())
    except LedgerError as e:
        if e.code != "keystore.wrong_passphrase":
            raise
        raise LedgerError(
            e.code, f"the passphrase from {passphrase_source()} does not open {path}; "
            f"give the one it was created with",
        ) from None


def warn_if_unsafe(path: Path) -> None:
    """A warning on stderr when others than the owner may read or write the key store."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # it was just read; a vanished file fails where it is used
    warning = unsafe_mode_warning(str(path), mode)
    if warning is not None:
        click.echo(_("warning: {warning}").format(warning=warning), err=True)


def _document(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise LedgerError("keystore.unreadable", f"cannot read {path}: {e.strerror}") from e
    except ValueError as e:
        raise LedgerError("keystore.bad_format", f"{path} is not a key store") from e
    if not isinstance(document, dict) or "address" not in document:
        raise LedgerError("keystore.bad_format", f"{path} is not a key store")
    return document
