"""The light verifier: headers followed from genesis, and records proven against them.

A light client trusts one thing it was told out of band: the genesis block id. From the
genesis header (which must hash to that id) and the validator powers it names, it
follows the chain one height at a time. A header of height h+1 is accepted when

- it is of the same chain, at h+1, and names the trusted header h as `prev_hash`;
- it names as its validator set the one header h announced (`next_validators_hash`);
- its commit certificate carries precommits for its block id from more than 2/3 of
  that set's voting power (consensus.certificate.verify_certificate);
- when it announces another set for h+2, that set (handed over by the node serving the
  header) hashes to what it announces.

So a node serving headers can withhold them but cannot forge one: that would take the
signatures of more than 2/3 of the power of a set the client already trusts, the same
assumption (fewer than 1/3 faulty) every full node makes. A record is then proven
present with its value, or absent, against an accepted header's `state_root`
(contracts.state_tree.verify).

Imports: contracts, and consensus.certificate, a pure module (no I/O) that defines what a
precommit signs and how a certificate is counted: the one arrow from contracts/ to
consensus/, so that the client and the nodes check certificates with the same code.
Each check below is one line, with its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from consensus.certificate import Certificate, CertificateError, Precommit, verify_certificate
from contracts import state_tree
from contracts.blocks import (
    CertificateRecord,
    Header,
    PrecommitRecord,
    block_id,
    validators_hash,
)
from contracts.codec import decode
from contracts.errors import CodecError, LedgerError
from contracts.identity import verify


class ProofError(LedgerError):
    """What a light client refuses: `proof.wrong_chain`, `proof.not_next`,
    `proof.bad_validators`, `proof.bad_certificate`, `proof.bad_proof`, `proof.malformed`."""


def _require(condition: bool, code: str, message: str) -> None:
    if not condition:
        raise ProofError(code, message)


@dataclass(frozen=True)
class CertifiedHeader:
    """A header and the commit certificate that finalised it: one canonical encoding."""

    header: Header
    certificate: CertificateRecord


@dataclass(frozen=True)
class Trusted:
    """What a light client holds after verifying up to `height`."""

    chain_id: str
    height: int
    header: Header  # the last verified header
    # The validator powers in force at height + 1: what the next certificate is checked by.
    validators: Mapping[bytes, int]


def certificate_record(cert: Certificate) -> CertificateRecord:
    """A consensus certificate as a canonical record (the same bytes as its wire form)."""
    return CertificateRecord(cert.height, cert.round, cert.block_id, tuple(
        PrecommitRecord(p.validator, p.signature) for p in cert.precommits))


def as_certificate(record: CertificateRecord) -> Certificate:
    """The consensus certificate a record holds."""
    return Certificate(record.height, record.round, record.block_id, tuple(
        Precommit(p.validator, p.signature) for p in record.precommits))


def certified_from_bytes(header_bytes: bytes, certificate_bytes: bytes) -> CertifiedHeader:
    """A certified header from the canonical bytes of its header and certificate (as
    GET /v1/headers gives them in hex); `proof.malformed` for any other bytes."""
    try:
        return CertifiedHeader(decode(Header, header_bytes),
                               decode(CertificateRecord, certificate_bytes))
    except CodecError as e:
        raise ProofError("proof.malformed", f"not a certified header: {e.message}") from e


def _set_hash(powers: Mapping[bytes, int]) -> bytes | None:
    """The hash of a set, or None for one no header can name (empty, too large, a power
    or key out of range)."""
    try:
        return validators_hash(powers)
    except CodecError:
        return None


def trust_genesis(genesis_id: bytes, header: Header, powers: Mapping[bytes, int],
                  next_powers: Mapping[bytes, int] | None = None) -> Trusted:
    """Start from the header whose block id the caller trusts (the genesis block id), with
    the validator powers in force at its height and, when the header announces another
    set, at the next (at genesis both are the same set: `next_powers` None)."""
    following = powers if next_powers is None else next_powers
    _require(block_id(header) == genesis_id, "proof.wrong_chain",
             f"the header's block id is not the trusted {genesis_id.hex()}")
    _require(_set_hash(powers) == header.validators_hash, "proof.bad_validators",
             "the validator set does not hash to the header's validators_hash")
    _require(_set_hash(following) == header.next_validators_hash, "proof.bad_validators",
             "the next validator set does not hash to the header's next_validators_hash")
    return Trusted(header.chain_id, header.height, header, dict(following))


def advance(trusted: Trusted, certified: CertifiedHeader,
            next_powers: Mapping[bytes, int] | None = None) -> Trusted:
    """Accept the header of the next height, or raise `ProofError`. `next_powers` is the
    set the header announces for the height after it, needed when it is not the header's
    own set (a validator set change)."""
    h = certified.header
    _require(h.chain_id == trusted.chain_id, "proof.wrong_chain",
             f"the header is of chain {h.chain_id!r}, not {trusted.chain_id!r}")
    _require(h.height == trusted.height + 1, "proof.not_next",
             f"the header is at height {h.height}, not {trusted.height + 1}")
    _require(h.prev_hash == block_id(trusted.header), "proof.not_next",
             f"the header does not follow the trusted block at height {trusted.height}")
    _require(h.validators_hash == trusted.header.next_validators_hash, "proof.bad_validators",
             "the header names another validator set than the one its parent announced")
    try:
        verify_certificate(as_certificate(certified.certificate), h.chain_id, h.height,
                           block_id(h), trusted.validators, verify)
    except CertificateError as e:
        raise ProofError("proof.bad_certificate",
                         f"the commit certificate does not finalise the header "
                         f"({e.code}: {e.message})") from e
    following = trusted.validators if next_powers is None else next_powers
    _require(_set_hash(following) == h.next_validators_hash, "proof.bad_validators",
             "the next validator set does not hash to the header's next_validators_hash"
             + ("" if next_powers is not None else " (the header changes the set: give it)"))
    return Trusted(h.chain_id, h.height, h, dict(following))


def verify_record(header: Header, key: bytes, value: bytes | None,
                  proof: state_tree.Proof) -> None:
    """`proof.bad_proof` unless `proof` shows that after the block of `header` the state
    holds `value` at `key` (value None: that `key` is absent)."""
    _require(state_tree.verify(header.state_root, key, value, proof), "proof.bad_proof",
             f"the proof does not show the record {key.hex()[:80]} "
             f"{'absent' if value is None else 'with this value'} at height {header.height}")
