"""Equivocation evidence: found by the consensus, carried in blocks, verified by every
node, recorded on the ledger (contracts/evidence.py).

When a validator's driver sees two different votes of one validator for one height,
round and step (`consensus.driver.EquivocationFound`), the node keeps them in its
`EvidencePool`. When it proposes, it puts up to MAX_BLOCK_EVIDENCE of them in the block
(`Block.evidence`, committed to by the header's `evidence_root`). Every validator
validating the block, and every node syncing it, verifies each with the consensus' own
vote checks (`verify_duplicate_vote`): both votes parse as the consensus parses them,
are canonically encoded, are of one validator of the set, one height (before the block,
at most MAX_EVIDENCE_AGE heights back), one round and one step, name two different
values in byte order, and both signatures verify for this chain. Block execution then
records each (once: a second proof of the same step is `evidence.duplicate`), so the
record is part of the state root every node agrees on.

Why in the block rather than as a transaction signed by the reporting validator's key:
validators' node keys are not members, and a transaction would need the contracts to
verify consensus signatures, which they cannot import; the block is already what every
node verifies against the consensus, and the proposer is the one that has the evidence.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping

from consensus.certificate import PRECOMMIT, PREVOTE
from consensus.messages import MessageError, Vote, decode_message, encode_message
from contracts.errors import LedgerError
from contracts.evidence import MAX_VOTE_BYTES, Equivocation, get_evidence
from contracts.state import Reader
from node.blocks import MAX_BLOCK_EVIDENCE, DuplicateVote

log = logging.getLogger("claimledger.evidence")

MAX_EVIDENCE_AGE = 1_000  # heights: older equivocations are refused (and dropped)
MAX_POOLED = 256  # equivocations a node keeps waiting for its next proposal
STEP_OF = {PREVOTE: "prevote", PRECOMMIT: "precommit"}

Verifier = Callable[[bytes, bytes, bytes], bool]


class EvidenceError(LedgerError):
    """Evidence a block must not carry."""


def duplicate_vote(first: Vote, second: Vote) -> DuplicateVote:
    """The evidence of two conflicting votes, in its one canonical order."""
    a, b = sorted((first, second), key=lambda v: v.value_id)
    return DuplicateVote(encode_message(a), encode_message(b))


def _vote(raw: bytes, which: str) -> Vote:
    try:
        vote = decode_message(raw, max_bytes=MAX_VOTE_BYTES)
    except MessageError as e:
        raise EvidenceError("evidence.malformed", f"{which} is not a vote: {e.code}") from e
    if not isinstance(vote, Vote) or encode_message(vote) != raw:
        raise EvidenceError("evidence.malformed", f"{which} is not a canonically encoded vote")
    return vote


def verify_duplicate_vote(chain_id: str, powers_at: Callable[[int], Mapping[bytes, int]],
                          verify: Verifier, item: DuplicateVote, height: int,
                          time_ms: int) -> Equivocation:
    """The record of `item` for a block at `height` (time `time_ms`); `EvidenceError`
    (evidence.malformed, .not_conflicting, .unknown_validator, .too_old, .future,
    .bad_signature) unless it proves an equivocation of a validator of the set in force
    at the votes' height (`powers_at(height)`, known for every height before `height`)."""
    a, b = _vote(item.vote_a, "vote_a"), _vote(item.vote_b, "vote_b")
    if (a.validator, a.height, a.round, a.type) != (b.validator, b.height, b.round, b.type):
        raise EvidenceError("evidence.not_conflicting", "the two votes are not of one "
                            "validator for one height, round and step")
    if not a.value_id < b.value_id:
        raise EvidenceError("evidence.not_conflicting", "the two votes must name different "
                            "values, the lower one first")
    if a.height >= height:
        raise EvidenceError("evidence.future", f"evidence of height {a.height} in block "
                            f"{height}: only earlier heights")
    if a.height + MAX_EVIDENCE_AGE < height:
        raise EvidenceError("evidence.too_old", f"evidence of height {a.height} is more "
                            f"than {MAX_EVIDENCE_AGE} heights old")
    if a.validator not in powers_at(a.height):
        raise EvidenceError("evidence.unknown_validator", f"{a.validator.hex()[:16]}… is "
                            f"not a validator at height {a.height}")
    for vote, which in ((a, "vote_a"), (b, "vote_b")):
        if not verify(vote.validator, vote.sign_bytes(chain_id), vote.signature):
            raise EvidenceError("evidence.bad_signature",
                                f"the signature of {which} does not verify")
    return Equivocation(a.validator, a.height, a.round, STEP_OF[a.type], a.value_id,
                        b.value_id, item.vote_a, item.vote_b, height, time_ms)


class EvidencePool:
    """Equivocations this node found, waiting for a block of its own to carry them; at
    most MAX_POOLED (the oldest found go first when more come)."""

    def __init__(self) -> None:
        self.items: OrderedDict[tuple[bytes, int, int, int], DuplicateVote] = OrderedDict()

    def __len__(self) -> int:
        return len(self.items)

    def add(self, first: Vote, second: Vote) -> None:
        assert first.validator == second.validator and first.value_id != second.value_id
        key = (first.validator, first.height, first.round, first.type)
        if key in self.items:
            return  # one proof of a step is enough
        self.items[key] = duplicate_vote(first, second)
        while len(self.items) > MAX_POOLED:
            self.items.popitem(last=False)

    def for_block(self, chain_id: str, powers_at: Callable[[int], Mapping[bytes, int]],
                  verify: Verifier, state: Reader, height: int, time_ms: int
                  ) -> list[Equivocation]:
        """What a block at `height` may carry: verified, not on the ledger yet, at most
        MAX_BLOCK_EVIDENCE; what no block may carry any more leaves the pool."""
        out: list[Equivocation] = []
        for key, item in list(self.items.items()):
            try:
                record = verify_duplicate_vote(chain_id, powers_at, verify, item, height,
                                               time_ms)
            except EvidenceError as e:
                if e.code != "evidence.future":  # a later block may carry that one
                    log.info("dropped evidence against %s: %s", key[0].hex()[:16], e.code)
                    del self.items[key]
                continue
            if get_evidence(state, record.validator, record.height, record.round,
                            record.step) is not None:
                del self.items[key]  # on the ledger already
                continue
            out.append(record)
            if len(out) >= MAX_BLOCK_EVIDENCE:
                break
        return out

    def after_commit(self, records: list[Equivocation]) -> None:
        """Forget what a committed block recorded."""
        for r in records:
            step = PREVOTE if r.step == "prevote" else PRECOMMIT
            self.items.pop((r.validator, r.height, r.round, step), None)
