"""The consensus core, rule by rule, against the lines of Algorithm 1 of the paper."""

from __future__ import annotations

from dataclasses import replace

from consensus.certificate import PRECOMMIT, PREVOTE
from consensus.core import (
    CastVote,
    Decide,
    GetValue,
    MoveToRound,
    PolkaAny,
    PolkaNil,
    PrecommitAny,
    ProposalAndPolkaCurrent,
    ProposalAndPolkaPrevious,
    ProposalAndPrecommitValue,
    ProposalReceived,
    Propose,
    ScheduleTimeout,
    SkipRound,
    StartRound,
    State,
    Step,
    TimeoutKind,
    TimeoutPrecommit,
    TimeoutPrevote,
    TimeoutPropose,
    ValueToPropose,
    apply,
)
from consensus.messages import NIL

H = 5
V = b"\x0a" * 32
W = b"\x0b" * 32


def at(step: Step, round_: int = 2, **fields: object) -> State:
    return replace(State(H, round_), step=step, **fields)


def locked_on(value: bytes, round_: int, **fields: object) -> dict:
    return dict(
        locked_value=value, locked_round=round_, valid_value=value, valid_round=round_,
        **fields,
    )


def test_l11_proposer_without_a_valid_value_asks_the_application_and_waits_at_most_a_timeout():
    t = apply(State(H, 0), StartRound(0, proposer=True))
    assert t.state.step is Step.PROPOSE
    assert t.actions == (GetValue(H, 0), ScheduleTimeout(TimeoutKind.PROPOSE, H, 0))


def test_l16_proposer_with_a_valid_value_proposes_it_with_its_valid_round():
    state = State(H, 3, **locked_on(V, 1))
    t = apply(state, StartRound(3, proposer=True))
    assert t.actions == (Propose(H, 3, V, 1), ScheduleTimeout(TimeoutKind.PROPOSE, H, 3))
    assert t.state.step is Step.PROPOSE


def test_l18_the_applications_value_is_proposed_fresh():
    t = apply(at(Step.PROPOSE, 0), ValueToPropose(0, V))
    assert t.actions == (Propose(H, 0, V, -1),)


def test_l18_a_value_for_another_round_is_ignored():
    state = at(Step.PROPOSE, 2)
    assert apply(state, ValueToPropose(1, V)).actions == ()


def test_l21_non_proposer_schedules_the_propose_timeout():
    t = apply(State(H, 0), StartRound(0, proposer=False))
    assert t.actions == (ScheduleTimeout(TimeoutKind.PROPOSE, H, 0),)
    assert t.state.step is Step.PROPOSE


def test_l24_valid_proposal_is_prevoted_when_not_locked():
    t = apply(at(Step.PROPOSE), ProposalReceived(2, V, valid=True))
    assert t.actions == (CastVote(PREVOTE, H, 2, V),)
    assert t.state.step is Step.PREVOTE


def test_l24_valid_proposal_is_prevoted_when_locked_on_it():
    t = apply(at(Step.PROPOSE, **locked_on(V, 1)), ProposalReceived(2, V, valid=True))
    assert t.actions == (CastVote(PREVOTE, H, 2, V),)


def test_l26_invalid_proposal_gets_a_nil_prevote():
    t = apply(at(Step.PROPOSE), ProposalReceived(2, V, valid=False))
    assert t.actions == (CastVote(PREVOTE, H, 2, NIL),)
    assert t.state.step is Step.PREVOTE


def test_l26_locked_on_another_value_prevotes_nil():
    t = apply(at(Step.PROPOSE, **locked_on(W, 1)), ProposalReceived(2, V, valid=True))
    assert t.actions == (CastVote(PREVOTE, H, 2, NIL),)


def test_l22_a_proposal_is_only_considered_at_the_propose_step_of_its_round():
    assert apply(at(Step.PREVOTE), ProposalReceived(2, V, valid=True)).actions == ()
    assert apply(at(Step.PROPOSE), ProposalReceived(1, V, valid=True)).actions == ()


def test_l30_reproposal_with_a_polka_no_older_than_the_lock_is_prevoted():
    state = at(Step.PROPOSE, 3, **locked_on(W, 1))
    t = apply(state, ProposalAndPolkaPrevious(3, V, pol_round=2, valid=True))
    assert t.actions == (CastVote(PREVOTE, H, 3, V),)


def test_l30_reproposal_of_the_locked_value_is_prevoted_whatever_the_polka_round():
    state = at(Step.PROPOSE, 3, **locked_on(V, 2))
    t = apply(state, ProposalAndPolkaPrevious(3, V, pol_round=0, valid=True))
    assert t.actions == (CastVote(PREVOTE, H, 3, V),)


def test_l32_reproposal_older_than_a_lock_on_another_value_gets_nil():
    state = at(Step.PROPOSE, 3, **locked_on(W, 2))
    t = apply(state, ProposalAndPolkaPrevious(3, V, pol_round=1, valid=True))
    assert t.actions == (CastVote(PREVOTE, H, 3, NIL),)


def test_l32_invalid_reproposal_gets_nil():
    t = apply(at(Step.PROPOSE, 3), ProposalAndPolkaPrevious(3, V, pol_round=1, valid=False))
    assert t.actions == (CastVote(PREVOTE, H, 3, NIL),)


def test_l28_polka_round_must_be_before_the_current_round():
    state = at(Step.PROPOSE, 3)
    assert apply(state, ProposalAndPolkaPrevious(3, V, pol_round=3, valid=True)).actions == ()


def test_l34_polka_for_anything_schedules_the_prevote_timeout():
    t = apply(at(Step.PREVOTE), PolkaAny(2))
    assert t.actions == (ScheduleTimeout(TimeoutKind.PREVOTE, H, 2),)
    assert t.state.step is Step.PREVOTE


def test_l34_applies_only_at_the_prevote_step():
    assert apply(at(Step.PROPOSE), PolkaAny(2)).actions == ()
    assert apply(at(Step.PRECOMMIT), PolkaAny(2)).actions == ()


def test_l36_polka_for_a_valid_proposal_locks_and_precommits_it():
    t = apply(at(Step.PREVOTE), ProposalAndPolkaCurrent(2, V))
    assert t.actions == (CastVote(PRECOMMIT, H, 2, V),)
    assert t.state.step is Step.PRECOMMIT
    assert (t.state.locked_value, t.state.locked_round) == (V, 2)
    assert (t.state.valid_value, t.state.valid_round) == (V, 2)


def test_l42_polka_after_precommitting_only_updates_the_valid_value():
    state = at(Step.PRECOMMIT, **locked_on(W, 1))
    t = apply(state, ProposalAndPolkaCurrent(2, V))
    assert t.actions == ()
    assert (t.state.valid_value, t.state.valid_round) == (V, 2)
    assert (t.state.locked_value, t.state.locked_round) == (W, 1)


def test_l36_needs_the_prevote_step_at_least():
    assert apply(at(Step.PROPOSE), ProposalAndPolkaCurrent(2, V)).actions == ()


def test_l44_polka_for_nil_precommits_nil():
    t = apply(at(Step.PREVOTE), PolkaNil(2))
    assert t.actions == (CastVote(PRECOMMIT, H, 2, NIL),)
    assert t.state.step is Step.PRECOMMIT
    assert t.state.locked_value is None


def test_l47_precommits_for_anything_schedule_the_precommit_timeout():
    for step in (Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT):
        t = apply(at(step), PrecommitAny(2))
        assert t.actions == (ScheduleTimeout(TimeoutKind.PRECOMMIT, H, 2),)
        assert t.state.step is step


def test_l49_precommits_for_a_value_decide_it_from_any_round():
    t = apply(at(Step.PROPOSE, 4), ProposalAndPrecommitValue(1, V))
    assert t.actions == (Decide(H, 1, V),)
    assert t.state.step is Step.COMMIT
    assert t.state.decision == V


def test_l49_nothing_happens_after_deciding():
    decided = apply(at(Step.PRECOMMIT), ProposalAndPrecommitValue(2, V)).state
    for inp in (
        ProposalAndPrecommitValue(3, W), SkipRound(9), TimeoutPrecommit(H, 2), PolkaNil(2),
    ):
        assert apply(decided, inp).actions == ()
        assert apply(decided, inp).state == decided


def test_l55_messages_from_a_higher_round_move_there():
    t = apply(at(Step.PREVOTE, 2), SkipRound(5))
    assert t.actions == (MoveToRound(H, 5),)
    assert (t.state.round, t.state.step) == (5, Step.UNSTARTED)


def test_l55_never_moves_back_or_stays():
    assert apply(at(Step.PREVOTE, 2), SkipRound(2)).actions == ()
    assert apply(at(Step.PREVOTE, 2), SkipRound(1)).actions == ()


def test_l55_keeps_the_lock_and_valid_value_across_rounds():
    t = apply(at(Step.PRECOMMIT, 2, **locked_on(V, 2)), SkipRound(4))
    assert (t.state.locked_value, t.state.valid_value) == (V, V)


def test_l57_propose_timeout_prevotes_nil():
    t = apply(at(Step.PROPOSE), TimeoutPropose(H, 2))
    assert t.actions == (CastVote(PREVOTE, H, 2, NIL),)
    assert t.state.step is Step.PREVOTE


def test_l58_stale_propose_timeouts_do_nothing():
    assert apply(at(Step.PROPOSE), TimeoutPropose(H, 1)).actions == ()
    assert apply(at(Step.PROPOSE), TimeoutPropose(H - 1, 2)).actions == ()
    assert apply(at(Step.PREVOTE), TimeoutPropose(H, 2)).actions == ()


def test_l61_prevote_timeout_precommits_nil():
    t = apply(at(Step.PREVOTE), TimeoutPrevote(H, 2))
    assert t.actions == (CastVote(PRECOMMIT, H, 2, NIL),)
    assert t.state.step is Step.PRECOMMIT


def test_l62_stale_prevote_timeouts_do_nothing():
    assert apply(at(Step.PRECOMMIT), TimeoutPrevote(H, 2)).actions == ()
    assert apply(at(Step.PREVOTE), TimeoutPrevote(H, 1)).actions == ()


def test_l65_precommit_timeout_moves_to_the_next_round():
    for step in (Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT):
        t = apply(at(step), TimeoutPrecommit(H, 2))
        assert t.actions == (MoveToRound(H, 3),)
        assert (t.state.round, t.state.step) == (3, Step.UNSTARTED)


def test_l66_stale_precommit_timeouts_do_nothing():
    assert apply(at(Step.PRECOMMIT), TimeoutPrecommit(H, 1)).actions == ()
    assert apply(at(Step.PRECOMMIT), TimeoutPrecommit(H + 1, 2)).actions == ()


def test_a_round_starts_only_once():
    state = apply(State(H, 0), StartRound(0, proposer=False)).state
    assert apply(state, StartRound(0, proposer=True)).actions == ()
