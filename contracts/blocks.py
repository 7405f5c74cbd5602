"""The block header format every verifier shares: full nodes, observers and light clients.

A header commits to everything a block did (its transactions, evidence and state root)
and to the validator sets in force at its height and the next; its id, `block_id`, is
the sha256 of its canonical bytes, and the next header names it as `prev_hash`. A commit
certificate (`CertificateRecord`) carries the precommits of more than 2/3 of the voting
power for one block id: that is what makes a header final.

It lives in contracts/ so that a wallet, which imports nothing of node/, verifies
headers with the same types and bytes as the nodes that made them (node/blocks.py
re-exports them beside the block body). The bytes are part of the chain: changing a
field, its type or its order changes every block id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from contracts.codec import U32, U64, Hash32, Height, Name, Sig64, Size, TimeMs, digest
from contracts.nodes import MAX_VALIDATORS


@dataclass(frozen=True)
class Header:
    chain_id: Name
    height: Height
    prev_hash: Hash32
    time_ms: TimeMs
    proposer: Hash32
    tx_root: Hash32  # Merkle root over sha256 of each transaction's full bytes
    tx_count: U32
    state_root: Hash32  # the state commitment after executing this block
    validators_hash: Hash32  # the set in force at this height (validators_hash())
    next_validators_hash: Hash32  # the set in force at the next height
    evidence_root: Hash32  # Merkle root over sha256 of each evidence's canonical bytes


@dataclass(frozen=True)
class Validator:
    key: Hash32
    power: U32


@dataclass(frozen=True)
class ValidatorSet:
    validators: Annotated[tuple[Validator, ...], Size(1, MAX_VALIDATORS)]


@dataclass(frozen=True)
class PrecommitRecord:
    validator: Hash32
    signature: Sig64


@dataclass(frozen=True)
class CertificateRecord:
    """A commit certificate as a canonical record. Its bytes are those of the consensus
    wire form (consensus.certificate.Certificate.to_wire): [height, round, block id,
    [[validator, signature], ...]]."""

    height: Height
    round: U64
    block_id: Hash32
    precommits: Annotated[tuple[PrecommitRecord, ...], Size(0, MAX_VALIDATORS)]


def block_id(header: Header) -> bytes:
    """The id of the block `header` heads: sha256 of the header's canonical bytes."""
    return digest(header)


def validators_hash(powers: Mapping[bytes, int]) -> bytes:
    """The hash a header names a validator set by: its (key, power) pairs sorted by key."""
    members = tuple(Validator(k, p) for k, p in sorted(powers.items()))
    return digest(ValidatorSet(members))
