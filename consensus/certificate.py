"""Votes and commit certificates.

A precommit is a validator's signature over the chain id, the vote type, height, round
and block id (domain-tagged msgpack). A commit certificate holds precommits for one
(height, round, block id) from more than 2/3 of the voting power, each validator once.
The encoding is fixed-order msgpack arrays, like everything else on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import msgpack

VOTE_DOMAIN = b"claimledger/vote/v1\x00"
PREVOTE = 1
PRECOMMIT = 2

Verifier = Callable[[bytes, bytes, bytes], bool]  # (public key, message, signature)
Signer = Callable[[bytes], bytes]


class CertificateError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Precommit:
    validator: bytes
    signature: bytes


@dataclass(frozen=True)
class Certificate:
    height: int
    round: int
    block_id: bytes
    precommits: tuple[Precommit, ...]

    def to_wire(self) -> list:
        return [
            self.height,
            self.round,
            self.block_id,
            [[p.validator, p.signature] for p in self.precommits],
        ]

    @classmethod
    def from_wire(cls, wire: object) -> Certificate:
        """Parse a decoded certificate, checking every field's type and size."""
        if not (isinstance(wire, list) and len(wire) == 4):
            raise CertificateError("certificate.malformed", "expected [height, round, id, votes]")
        height, round_, block_id, votes = wire
        ok = (
            type(height) is int and height >= 0
            and type(round_) is int and round_ >= 0
            and type(block_id) is bytes and len(block_id) == 32
            and type(votes) is list and len(votes) <= 1024
        )
        if not ok:
            raise CertificateError("certificate.malformed", "bad field in certificate")
        precommits = []
        for v in votes:
            if not (
                isinstance(v, list) and len(v) == 2
                and type(v[0]) is bytes and len(v[0]) == 32
                and type(v[1]) is bytes and len(v[1]) == 64
            ):
                raise CertificateError("certificate.malformed", "bad precommit in certificate")
            precommits.append(Precommit(v[0], v[1]))
        return cls(height, round_, block_id, tuple(precommits))


def vote_bytes(chain_id: str, vote_type: int, height: int, round_: int, block_id: bytes) -> bytes:
    """What a validator signs for a vote. A nil vote has an empty block id."""
    return VOTE_DOMAIN + msgpack.packb(
        [chain_id, vote_type, height, round_, block_id], use_bin_type=True
    )


def make_certificate(
    chain_id: str,
    height: int,
    round_: int,
    block_id: bytes,
    signers: Mapping[bytes, Signer],
) -> Certificate:
    """A certificate signed by each of `signers` (validator key → its signing function)."""
    message = vote_bytes(chain_id, PRECOMMIT, height, round_, block_id)
    precommits = tuple(
        Precommit(validator, sign(message)) for validator, sign in sorted(signers.items())
    )
    return Certificate(height, round_, block_id, precommits)


def verify_certificate(
    cert: Certificate,
    chain_id: str,
    height: int,
    block_id: bytes,
    powers: Mapping[bytes, int],
    verify: Verifier,
) -> None:
    """Check that `cert` finalises `block_id` at `height`; `CertificateError` otherwise."""
    if cert.height != height or cert.block_id != block_id:
        raise CertificateError(
            "certificate.wrong_block", f"certificate is for another block than height {height}"
        )
    message = vote_bytes(chain_id, PRECOMMIT, cert.height, cert.round, cert.block_id)
    seen: set[bytes] = set()
    power = 0
    for p in cert.precommits:
        if p.validator in seen:
            raise CertificateError("certificate.duplicate_vote", "a validator signed twice")
        seen.add(p.validator)
        if p.validator not in powers:
            raise CertificateError("certificate.unknown_validator", "signer is not a validator")
        if not verify(p.validator, message, p.signature):
            raise CertificateError("certificate.bad_signature", "a precommit does not verify")
        power += powers[p.validator]
    total = sum(powers.values())
    if not 3 * power > 2 * total:
        raise CertificateError(
            "certificate.no_quorum", f"precommits carry {power} of {total} voting power"
        )
