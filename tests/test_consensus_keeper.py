"""The vote keeper: first votes count, equivocation is evidence, thresholds fire once."""

from __future__ import annotations

import hashlib

from consensus.certificate import PRECOMMIT, PREVOTE, Certificate, verify_certificate
from consensus.keeper import Reached, Threshold, VoteKeeper
from consensus.messages import NIL, Vote
from consensus.sim import CHAIN_ID, sim_signer, sim_verify
from consensus.validators import ValidatorSet

H = 3
V = b"\x0a" * 32
W = b"\x0b" * 32
KEYS = [hashlib.sha256(b"keeper-%d" % i).digest() for i in range(4)]
A, B, C, D = KEYS
FOUR = ValidatorSet.from_powers({k: 1 for k in KEYS})


def vote(who: bytes, value: bytes, type_: int = PREVOTE, round_: int = 0) -> Vote:
    unsigned = Vote(type_, H, round_, value, who, b"")
    return Vote(type_, H, round_, value, who, sim_signer(who)(unsigned.sign_bytes(CHAIN_ID)))


def kinds(reached: tuple[Reached, ...]) -> list[Threshold]:
    return [r.kind for r in reached]


def test_two_of_four_is_no_quorum_and_three_is():
    keeper = VoteKeeper(H, FOUR)
    assert keeper.add(vote(A, V)).reached == ()
    assert keeper.add(vote(B, V)).reached == ()
    added = keeper.add(vote(C, V))
    assert Reached(Threshold.POLKA_VALUE, 0, V) in added.reached
    assert Reached(Threshold.POLKA_ANY, 0) in added.reached


def test_each_threshold_is_emitted_once_per_round():
    keeper = VoteKeeper(H, FOUR)
    seen = []
    for who in KEYS:
        seen += kinds(keeper.add(vote(who, V)).reached)
    assert seen.count(Threshold.POLKA_VALUE) == 1
    assert seen.count(Threshold.POLKA_ANY) == 1
    # The next round has thresholds of its own.
    seen = []
    for who in KEYS[:3]:
        seen += kinds(keeper.add(vote(who, V, round_=1)).reached)
    assert seen.count(Threshold.POLKA_VALUE) == 1


def test_a_duplicate_vote_counts_once():
    keeper = VoteKeeper(H, FOUR)
    assert keeper.add(vote(A, V)).counted
    again = keeper.add(vote(A, V))
    assert not again.counted and again.evidence is None
    assert keeper.power(0, PREVOTE, V) == 1


def test_only_the_first_vote_counts_and_the_second_is_evidence():
    keeper = VoteKeeper(H, FOUR)
    first = vote(A, V)
    keeper.add(first)
    second = vote(A, W)
    added = keeper.add(second)
    assert not added.counted
    assert added.evidence is not None
    assert (added.evidence.first, added.evidence.second) == (first, second)
    assert keeper.power(0, PREVOTE) == 1
    assert keeper.power(0, PREVOTE, W) == 0
    # The evidence is reported once; a third vote adds nothing either.
    third = keeper.add(vote(A, b"\x0c" * 32))
    assert third.evidence is None and not third.counted


def test_an_equivocators_vote_for_a_proposed_value_counts_toward_that_value_only():
    keeper = VoteKeeper(H, FOUR)
    keeper.watch(W)
    keeper.add(vote(A, V))
    added = keeper.add(vote(A, W))
    assert added.counted and added.evidence is not None
    assert keeper.power(0, PREVOTE) == 1  # the round's total counts A once
    assert keeper.power(0, PREVOTE, W) == 1
    keeper.add(vote(B, W))
    reached = keeper.add(vote(C, W)).reached
    assert Reached(Threshold.POLKA_VALUE, 0, W) in reached  # B, C and A's second vote


def test_polka_for_nil_and_any():
    keeper = VoteKeeper(H, FOUR)
    keeper.add(vote(A, NIL))
    keeper.add(vote(B, V))
    reached = keeper.add(vote(C, NIL)).reached
    assert kinds(reached) == [Threshold.POLKA_ANY]
    assert kinds(keeper.add(vote(D, NIL)).reached) == [Threshold.POLKA_NIL]


def test_precommit_thresholds():
    keeper = VoteKeeper(H, FOUR)
    keeper.add(vote(A, V, PRECOMMIT))
    keeper.add(vote(B, NIL, PRECOMMIT))
    assert kinds(keeper.add(vote(C, V, PRECOMMIT)).reached) == [Threshold.PRECOMMIT_ANY]
    reached = keeper.add(vote(D, V, PRECOMMIT)).reached
    assert reached == (Reached(Threshold.PRECOMMIT_VALUE, 0, V),)


def test_prevotes_and_precommits_are_counted_apart():
    keeper = VoteKeeper(H, FOUR)
    keeper.add(vote(A, V, PREVOTE))
    keeper.add(vote(B, V, PREVOTE))
    assert keeper.add(vote(C, V, PRECOMMIT)).reached == ()


def test_weighted_quorum_is_more_than_two_thirds_of_the_power():
    heavy = ValidatorSet.from_powers({A: 1, B: 1, C: 1, D: 3})
    keeper = VoteKeeper(H, heavy)
    keeper.add(vote(D, V))
    assert keeper.add(vote(A, V)).reached == ()  # 4 of 6: 12 > 12 is false
    assert Threshold.POLKA_VALUE in kinds(keeper.add(vote(B, V)).reached)  # 5 of 6


def test_skip_needs_more_than_a_third_from_higher_rounds():
    keeper = VoteKeeper(H, FOUR)
    assert keeper.add(vote(A, NIL, round_=4)).reached == ()  # 1 of 4 could be faulty
    assert keeper.add(vote(B, NIL, round_=2)).reached == (Reached(Threshold.SKIP, 2),)
    # A third validator at round 3 lifts the round that more than a third has reached.
    assert keeper.add(vote(C, NIL, round_=3)).reached == (Reached(Threshold.SKIP, 3),)
    # Nothing new: the skip target stays at 3.
    assert keeper.note_round(D, 1) == ()


def test_counted_precommits_form_a_certificate_that_verifies():
    keeper = VoteKeeper(H, FOUR)
    for who in (C, A, B):
        keeper.add(vote(who, V, PRECOMMIT, round_=2))
    keeper.add(vote(D, NIL, PRECOMMIT, round_=2))
    precommits = keeper.precommits(2, V)
    assert [p.validator for p in precommits] == sorted([A, B, C])
    cert = Certificate(H, 2, V, precommits)
    verify_certificate(cert, CHAIN_ID, H, V, FOUR.powers, sim_verify)
