"""Blocks, transaction Merkle roots and the records kept with them.

The header, its id, the validator-set records and the certificate record are the format
every verifier shares (contracts/blocks.py); they are re-exported here for the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.applied import MAX_BLOCK_TXS  # bounds the record of a block's ids too
from contracts.blocks import (
    CertificateRecord,
    Header,
    PrecommitRecord,
    Validator,
    ValidatorSet,
    block_id,
    validators_hash,
)
from contracts.codec import U32, Hash32, Height, Size, TimeMs, digest, encode, sha256
from contracts.contract import MAX_BLOCK_EVENTS, MAX_EVIDENCE_EVENTS, Event
from contracts.evidence import VoteBytes
from contracts.tx import MAX_LARGE_TX_BYTES

__all__ = [  # the shared header format, re-exported, and the node's own block records
    "MAX_BLOCK_EVENTS_BYTES", "MAX_BLOCK_EVIDENCE", "MAX_BLOCK_TXS", "MAX_BLOCK_TX_BYTES",
    "MAX_EVENT_BYTES", "ZERO_HASH", "Block", "BlockEvents", "CertificateRecord",
    "DuplicateVote", "Head", "Header", "PrecommitRecord", "TxRecord", "Validator",
    "ValidatorSet", "block_id", "body_matches_header", "evidence_root", "merkle_root",
    "tx_root", "validators_hash",
]

# The transactions of one block add up to at most this many bytes, so that a block, in a
# consensus proposal or a block sync frame, stays well within a peer frame
# (node.peers.MAX_FRAME_BYTES, 16 MiB) with its header and certificate: two documents of
# the largest size and plenty of ordinary transactions.
MAX_BLOCK_TX_BYTES = 12 << 20
ZERO_HASH = bytes(32)
# Equivocations one block brings to the ledger: two signature checks each, a bound on
# what a faulty proposer can make every node verify; more wait for the next blocks.
MAX_BLOCK_EVIDENCE = MAX_EVIDENCE_EVENTS  # each is one event of the block's record
assert MAX_LARGE_TX_BYTES <= MAX_BLOCK_TX_BYTES


@dataclass(frozen=True)
class DuplicateVote:
    """Evidence: two votes one validator signed for one height, round and step with
    different values, as consensus sends them (consensus.messages wire bytes), the
    vote for the lower value first (bytes order; nil is the lowest)."""

    vote_a: VoteBytes
    vote_b: VoteBytes


@dataclass(frozen=True)
class Block:
    header: Header
    txs: Annotated[tuple[Annotated[bytes, Size(1, MAX_LARGE_TX_BYTES)], ...],
                   Size(0, MAX_BLOCK_TXS)]  # adding up to at most MAX_BLOCK_TX_BYTES
    evidence: Annotated[tuple[DuplicateVote, ...], Size(0, MAX_BLOCK_EVIDENCE)] = ()

    @property
    def id(self) -> bytes:
        return block_id(self.header)


@dataclass(frozen=True)
class TxRecord:
    """Where a committed transaction is and what it did."""

    tx_id: Hash32
    height: Height
    index: U32
    events: Annotated[tuple[Event, ...], Size(0, 1024)]


@dataclass(frozen=True)
class BlockEvents:
    """What the end-of-block step did (lapses, due dates)."""

    height: Height
    events: Annotated[tuple[Event, ...], Size(0, MAX_BLOCK_EVENTS)]


def _largest_event() -> Event:
    """An event as large as its type allows: the longest kind in 4-byte UTF-8 characters,
    and every party it may name."""
    return Event("\U0010ffff" * 64, bytes(32), tuple(bytes([i]) * 32 for i in range(64)))


MAX_EVENT_BYTES = len(encode(_largest_event()))
# The most bytes a stored BlockEvents takes (array headers, height, every event the
# largest): the bound it is read back with, derived from the bound it is written with.
MAX_BLOCK_EVENTS_BYTES = 32 + MAX_BLOCK_EVENTS * MAX_EVENT_BYTES


@dataclass(frozen=True)
class Head:
    height: Height
    block_id: Hash32
    state_root: Hash32
    time_ms: TimeMs


def merkle_root(leaves: list[bytes]) -> bytes:
    """Merkle root with RFC 6962 prefixes (leaf 0x00, node 0x01); an odd node moves up as is."""
    if not leaves:
        return sha256(b"")
    level = [sha256(b"\x00" + leaf) for leaf in leaves]
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def tx_root(raw_txs: list[bytes] | tuple[bytes, ...]) -> bytes:
    return merkle_root([sha256(raw) for raw in raw_txs])


def evidence_root(evidence: list[DuplicateVote] | tuple[DuplicateVote, ...]) -> bytes:
    return merkle_root([digest(item) for item in evidence])


def body_matches_header(block: Block) -> bool:
    """Whether the block's transactions and evidence are those its header commits to. Its
    id is the header's hash alone, so a relay can pair a genuine header with another body."""
    h = block.header
    return (h.tx_count == len(block.txs) and h.tx_root == tx_root(block.txs)
            and h.evidence_root == evidence_root(block.evidence))
