"""Files the wallet writes: every one holds a secret or a signature, so every one is 0600.

Drafts carry signatures (a signed draft is a bearer instrument until it expires),
decrypted documents carry what was sealed to a few readers, key stores carry a sealed
seed. A file is written whole to a new temporary file created 0600 beside it (whatever
the umask), synced, and renamed over the target: an existing file's looser mode, owner
or hard links never carry over, and a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from contracts.errors import LedgerError

PRIVATE_MODE = 0o600


def write_private(path: Path, data: bytes) -> None:
    """`data` at `path`, mode 0600, replacing any file there; `wallet.unwritable` if the
    directory refuses it."""
    try:
        # mkstemp opens with O_CREAT | O_EXCL and mode 0600; fchmod says so whatever the
        # umask or the directory's default ACL.
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    except OSError as e:
        raise LedgerError("wallet.unwritable", f"cannot write {path}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), PRIVATE_MODE)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as e:
        Path(temporary).unlink(missing_ok=True)
        raise LedgerError("wallet.unwritable", f"cannot write {path}: {e.strerror}") from e
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
