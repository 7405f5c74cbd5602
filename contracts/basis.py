"""The registry of basis contracts (债权依据): one debt backs one financing (§002-(十四):
重复抵质押, 重复融资).

A basis contract backs at most one live thing at a time: a confirmed issuance
application, the voucher it became, or an obligation uploaded for set-off. So the same
receivable is never both a voucher and an obligation, nor two obligations, nor two
vouchers. The issuance and obligation contracts take and free entries here, through
`take`, `repoint` and `free`, and nothing else writes under this prefix.

What is "the same basis contract": the same document, or the same reference, between
the same creditor and debtor. Each entry therefore holds two keys, one per identity,
both pointing at what the basis backs:
- the document digest (contracts.documents.basis_digest, keyed by the two parties), so
  that renaming the reference does not pass the same document twice;
- the reference, normalised (`normalise_ref`: full-width forms and dashes folded,
  whitespace dropped, ASCII letters upper-cased), so that an amended copy of the
  document (another digest) under the same contract number does not pass either.
Both keys are scoped by the ordered pair (creditor, debtor): contract numbers are
numbered by each firm, so another pair's "HT-001" is another contract, and a member who
copies a digest from someone else's transaction lands under its own pair and blocks
nobody. A contract under which each party owes the other backs one debt each way.
  bc/<sha256(domain, kind, creditor, debtor, identity)>   what the basis backs (Use)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.codec import Hash32, OneOf, sha256
from contracts.errors import Rejected
from contracts.state import Overlay, Reader, get_record, put_record

BACKERS = frozenset({"application", "voucher", "obligation"})
_DOMAIN = b"claimledger/basis/v1\x00"
_DIGEST = b"digest\x00"
_REF = b"ref\x00"
# Forms a contract number is typed in that mean the same number: full-width ASCII
# (U+FF01..U+FF5E, as Chinese input methods type it), the ideographic space, and the
# dashes people use for a hyphen. Spelled out rather than unicodedata's NFKC, whose
# tables follow the Python version: every node must normalise alike.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_FOLD = {0xFF01 + i: chr(0x21 + i) for i in range(0x5E)} | {ord(d): "-" for d in _DASHES}


@dataclass(frozen=True)
class Use:
    """What a basis contract backs now: a confirmed application, a voucher or an
    obligation, by id."""

    backer: Annotated[str, OneOf(BACKERS)]
    id: Hash32


def normalise_ref(basis_ref: str) -> str:
    """The reference as compared: full-width forms and dashes folded, every whitespace
    dropped, ASCII letters upper-cased (other letters are kept as written)."""
    folded = basis_ref.translate(_FOLD)
    kept = "".join(c for c in folded if not c.isspace())
    return "".join(c.upper() if "a" <= c <= "z" else c for c in kept)


def _key(kind: bytes, creditor: bytes, debtor: bytes, identity: bytes) -> bytes:
    assert len(creditor) == 32 and len(debtor) == 32
    return b"bc/" + sha256(_DOMAIN + kind + creditor + debtor + identity)


def keys(creditor: bytes, debtor: bytes, basis_ref: str, basis_sha256: bytes
         ) -> tuple[bytes, bytes]:
    """The two keys of a basis: by its document digest and by its normalised reference."""
    return (_key(_DIGEST, creditor, debtor, basis_sha256),
            _key(_REF, creditor, debtor, normalise_ref(basis_ref).encode()))


def use_of(state: Reader, creditor: bytes, debtor: bytes, basis_ref: str,
           basis_sha256: bytes) -> Use | None:
    """What the basis (by its digest, else by its reference) backs now, if anything."""
    for key in keys(creditor, debtor, basis_ref, basis_sha256):
        found = get_record(state, key, Use)
        if found is not None:
            return found
    return None


def require_free(state: Reader, creditor: bytes, debtor: bytes, basis_ref: str,
                 basis_sha256: bytes) -> None:
    """`basis.in_use`, naming what it backs, if the basis already backs something."""
    found = use_of(state, creditor, debtor, basis_ref, basis_sha256)
    if found is not None:
        raise Rejected(
            "basis.in_use",
            f"this basis contract (the same document or the same reference "
            f"{normalise_ref(basis_ref)!r} between these parties) already backs "
            f"{found.backer} {found.id.hex()}; one debt is financed once",
        )


def take(state: Overlay, creditor: bytes, debtor: bytes, basis_ref: str,
         basis_sha256: bytes, backer: str, backer_id: bytes) -> None:
    """Record that the basis now backs `backer` `backer_id`; `basis.in_use` if it already
    backs something."""
    require_free(state, creditor, debtor, basis_ref, basis_sha256)
    use = Use(backer, backer_id)
    for key in keys(creditor, debtor, basis_ref, basis_sha256):
        put_record(state, key, use)


def repoint(state: Overlay, creditor: bytes, debtor: bytes, basis_ref: str,
            basis_sha256: bytes, was: Use, now: Use) -> None:
    """The basis held for `was` now backs `now` (an application became a voucher)."""
    for key in keys(creditor, debtor, basis_ref, basis_sha256):
        assert get_record(state, key, Use) == was, "the basis is held for what it backed"
        put_record(state, key, now)


def free(state: Overlay, creditor: bytes, debtor: bytes, basis_ref: str,
         basis_sha256: bytes, was: Use) -> None:
    """Free the basis if `was` holds it (a second application on the same basis that is
    refused must not free the first's)."""
    for key in keys(creditor, debtor, basis_ref, basis_sha256):
        if get_record(state, key, Use) == was:
            state.delete(key)
