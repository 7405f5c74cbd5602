"""Errors with a stable code (what clients and tests match on) and a sentence for people."""


class LedgerError(Exception):
    """Base of every error the ledger reports to a client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class CodecError(LedgerError):
    """Bytes that are not the canonical encoding of the expected type."""


class Rejected(LedgerError):
    """A transaction that breaks a rule of the ledger; it changes nothing."""


def require(condition: bool, code: str, message: str) -> None:
    """Raise `Rejected(code, message)` unless `condition` holds."""
    if not condition:
        raise Rejected(code, message)


class Unauthenticated(LedgerError):
    """A request that does not prove which member sent it, or that was sent before:
    `auth.required`, `auth.bad_signature`, `auth.stale`, `auth.replayed` (HTTP 401)."""


class Forbidden(LedgerError):
    """A read the ledger's rules do not allow this caller (contracts/access.py):
    `read.forbidden`, or `read.bad_draft` for a co-sign draft that grants nothing (HTTP 403)."""

    def __init__(self, message: str, code: str = "read.forbidden") -> None:
        super().__init__(code, message)
