"""The Tendermint consensus core: Algorithm 1 of Buchman, Kwon and Milosevic (2018).

`apply(state, input)` is the whole state machine. It is pure: it reads the state and one
abstract input and returns the next state with the actions to take. Every branch names
the line of the paper it implements, so it can be read side by side with Algorithm 1.

The core does not count votes, check signatures or judge values. The driver does that
and hands over what the paper's "upon" clauses ask for (a proposal together with a polka,
f+1 messages from a higher round, ...), each at most once where the paper says "for the
first time". The core keeps what the paper's process keeps: height, round, step, the
locked value and the valid value. An input that does not apply in the current state (a
stale timeout, a message for another round) returns the state unchanged and no actions.

Departures from the paper, each for a reason:
- A round is entered in two steps: `MoveToRound` leaves the old round (L55, L65) and the
  driver answers with `StartRound`, telling the core whether it proposes (L11).
- The proposer schedules the propose timeout too, as CometBFT does (L11-L21 give it only
  to the others). It asks the application for a value (`GetValue`) and is told it later;
  an application that never answers, or a re-proposal whose polka it no longer holds
  (after a restart), must not stall the round.
- Deciding (L49) ends the core's work on a height; the driver starts the next height
  with a fresh state (L52-L54).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

from consensus.certificate import PRECOMMIT, PREVOTE
from consensus.messages import NIL


class Step(IntEnum):
    UNSTARTED = 0  # between leaving a round and StartRound (L11)
    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3
    COMMIT = 4  # decided (L51); nothing more happens at this height


class TimeoutKind(IntEnum):
    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3


@dataclass(frozen=True)
class State:
    """What process p keeps (L2-L9) for one height; `None`/-1 are the paper's nil/-1."""

    height: int
    round: int = 0
    step: Step = Step.UNSTARTED
    locked_value: bytes | None = None
    locked_round: int = -1
    valid_value: bytes | None = None
    valid_round: int = -1
    decision: bytes | None = None

    def __post_init__(self) -> None:
        assert self.height >= 0 and self.round >= 0
        assert (self.locked_value is None) == (self.locked_round == -1)
        assert (self.valid_value is None) == (self.valid_round == -1)
        assert self.locked_round <= self.valid_round, "L36 sets valid whenever it locks"
        assert self.valid_round <= self.round
        assert (self.decision is not None) == (self.step is Step.COMMIT)


# ---------------------------------------------------------------------------------------
# Inputs. Each one stands for the condition of one "upon" clause, already established.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartRound:
    """Enter `round` (L11); `proposer` says whether proposer(h_p, round) = p."""

    round: int
    proposer: bool


@dataclass(frozen=True)
class ValueToPropose:
    """The application's answer to `GetValue` (L18)."""

    round: int
    value_id: bytes


@dataclass(frozen=True)
class ProposalReceived:
    """⟨PROPOSAL, h_p, round_p, v, -1⟩ from the proposer, and whether valid(v) (L22)."""

    round: int
    value_id: bytes
    valid: bool


@dataclass(frozen=True)
class ProposalAndPolkaPrevious:
    """⟨PROPOSAL, h_p, round_p, v, vr⟩ and 2f+1 ⟨PREVOTE, h_p, vr, id(v)⟩, vr < round_p (L28)."""

    round: int
    value_id: bytes
    pol_round: int
    valid: bool


@dataclass(frozen=True)
class PolkaAny:
    """2f+1 ⟨PREVOTE, h_p, round_p, ∗⟩ for the first time (L34)."""

    round: int


@dataclass(frozen=True)
class ProposalAndPolkaCurrent:
    """⟨PROPOSAL, h_p, round_p, v, ∗⟩, 2f+1 ⟨PREVOTE, h_p, round_p, id(v)⟩, valid(v),
    for the first time (L36)."""

    round: int
    value_id: bytes


@dataclass(frozen=True)
class PolkaNil:
    """2f+1 ⟨PREVOTE, h_p, round_p, nil⟩ (L44)."""

    round: int


@dataclass(frozen=True)
class PrecommitAny:
    """2f+1 ⟨PRECOMMIT, h_p, round_p, ∗⟩ for the first time (L47)."""

    round: int


@dataclass(frozen=True)
class ProposalAndPrecommitValue:
    """2f+1 ⟨PRECOMMIT, h_p, r, id(v)⟩ for any round r, with valid(v) (L49).

    The driver also gives it for a verified commit certificate received from elsewhere:
    the certificate is the same 2f+1 precommits."""

    round: int
    value_id: bytes


@dataclass(frozen=True)
class SkipRound:
    """f+1 messages of height h_p from a round higher than round_p (L55)."""

    round: int


@dataclass(frozen=True)
class TimeoutPropose:
    height: int
    round: int


@dataclass(frozen=True)
class TimeoutPrevote:
    height: int
    round: int


@dataclass(frozen=True)
class TimeoutPrecommit:
    height: int
    round: int


Input = (
    StartRound | ValueToPropose | ProposalReceived | ProposalAndPolkaPrevious | PolkaAny
    | ProposalAndPolkaCurrent | PolkaNil | PrecommitAny | ProposalAndPrecommitValue
    | SkipRound | TimeoutPropose | TimeoutPrevote | TimeoutPrecommit
)


# ---------------------------------------------------------------------------------------
# Actions.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Propose:
    """Broadcast ⟨PROPOSAL, height, round, value, pol_round⟩ (L19)."""

    height: int
    round: int
    value_id: bytes
    pol_round: int


@dataclass(frozen=True)
class GetValue:
    """Ask the application for a value to propose (L18)."""

    height: int
    round: int


@dataclass(frozen=True)
class CastVote:
    """Broadcast ⟨PREVOTE|PRECOMMIT, height, round, value or nil⟩."""

    type: int
    height: int
    round: int
    value_id: bytes  # NIL for nil


@dataclass(frozen=True)
class ScheduleTimeout:
    kind: TimeoutKind
    height: int
    round: int


@dataclass(frozen=True)
class MoveToRound:
    """The core left its round for `round`; the driver answers with StartRound (L56, L67)."""

    height: int
    round: int


@dataclass(frozen=True)
class Decide:
    """decision_p[h_p] = v (L51)."""

    height: int
    round: int
    value_id: bytes


Action = Propose | GetValue | CastVote | ScheduleTimeout | MoveToRound | Decide


@dataclass(frozen=True)
class Transition:
    state: State
    actions: tuple[Action, ...] = ()


def apply(state: State, inp: Input) -> Transition:
    """One step of Algorithm 1: the next state and the actions to take."""
    s = state
    h = s.height
    if s.step is Step.COMMIT:
        return Transition(s)  # decided: the driver moves to the next height (L52-L54)
    this_round = getattr(inp, "round", -1) == s.round
    match inp:
        # L11-L19: we propose. The valid value if there is one (L15-L16), else the
        # application's (L18, answered by ValueToPropose).
        case StartRound(proposer=True) if this_round and s.step is Step.UNSTARTED:
            s = replace(s, step=Step.PROPOSE)
            timeout = ScheduleTimeout(TimeoutKind.PROPOSE, h, s.round)
            if s.valid_value is not None:
                return _to(s, Propose(h, s.round, s.valid_value, s.valid_round), timeout)
            return _to(s, GetValue(h, s.round), timeout)

        # L11-L13, L20-L21: someone else proposes; wait for it at most timeoutPropose.
        case StartRound(proposer=False) if this_round and s.step is Step.UNSTARTED:
            s = replace(s, step=Step.PROPOSE)
            return _to(s, ScheduleTimeout(TimeoutKind.PROPOSE, h, s.round))

        # L18-L19: the application gave the value to propose.
        case ValueToPropose(value_id=v) if this_round and s.step is Step.PROPOSE:
            assert v != NIL
            if s.valid_value is not None:
                return Transition(s)  # L15: the valid value was proposed already
            return _to(s, Propose(h, s.round, v, -1))

        # L22-L27: a fresh proposal. Prevote it if valid and not locked on another value.
        case ProposalReceived(value_id=v, valid=valid) if this_round and s.step is Step.PROPOSE:
            if valid and (s.locked_round == -1 or s.locked_value == v):
                return _prevote(s, v)  # L24
            return _prevote(s, NIL)  # L26

        # L28-L33: a re-proposal with a polka from round vr. Prevote it if valid and our
        # lock is no newer than vr, or is on this very value.
        case ProposalAndPolkaPrevious(value_id=v, pol_round=vr, valid=valid) if (
            this_round and s.step is Step.PROPOSE and 0 <= vr < s.round
        ):
            if valid and (s.locked_round <= vr or s.locked_value == v):
                return _prevote(s, v)  # L30
            return _prevote(s, NIL)  # L32

        # L34-L35: 2f+1 prevotes for anything; give the rest timeoutPrevote to arrive.
        case PolkaAny() if this_round and s.step is Step.PREVOTE:
            return _to(s, ScheduleTimeout(TimeoutKind.PREVOTE, h, s.round))

        # L36-L43: a polka for a valid proposal. Lock and precommit if still at prevote
        # (L37-L41); remember the value as valid either way (L42-L43).
        case ProposalAndPolkaCurrent(value_id=v) if this_round and s.step in (
            Step.PREVOTE, Step.PRECOMMIT
        ):
            assert v != NIL
            if s.step is Step.PREVOTE:
                s = replace(
                    s, locked_value=v, locked_round=s.round, valid_value=v,
                    valid_round=s.round, step=Step.PRECOMMIT,
                )
                return _to(s, CastVote(PRECOMMIT, h, s.round, v))
            return Transition(replace(s, valid_value=v, valid_round=s.round))

        # L44-L46: a polka for nil; precommit nil.
        case PolkaNil() if this_round and s.step is Step.PREVOTE:
            return _precommit_nil(s)

        # L47-L48: 2f+1 precommits for anything; give the rest timeoutPrecommit.
        case PrecommitAny() if this_round and s.step is not Step.UNSTARTED:
            return _to(s, ScheduleTimeout(TimeoutKind.PRECOMMIT, h, s.round))

        # L49-L51: 2f+1 precommits for a valid value in any round of this height: decide.
        case ProposalAndPrecommitValue(round=r, value_id=v) if s.decision is None:
            assert v != NIL and r >= 0
            return _to(replace(s, step=Step.COMMIT, decision=v), Decide(h, r, v))

        # L55-L56: f+1 messages from a higher round; go there.
        case SkipRound(round=r) if r > s.round:
            return _move_to_round(s, r)

        # L57-L60: no proposal in time; prevote nil.
        case TimeoutPropose(height=th) if th == h and this_round and s.step is Step.PROPOSE:
            return _prevote(s, NIL)

        # L61-L64: no polka in time; precommit nil.
        case TimeoutPrevote(height=th) if th == h and this_round and s.step is Step.PREVOTE:
            return _precommit_nil(s)

        # L65-L67: no decision in time; next round.
        case TimeoutPrecommit(height=th) if th == h and this_round:
            return _move_to_round(s, s.round + 1)

        case _:
            return Transition(s)


def _to(state: State, *actions: Action) -> Transition:
    return Transition(state, actions)


def _prevote(s: State, value_id: bytes) -> Transition:
    s = replace(s, step=Step.PREVOTE)  # L27, L33, L60
    return _to(s, CastVote(PREVOTE, s.height, s.round, value_id))


def _precommit_nil(s: State) -> Transition:
    s = replace(s, step=Step.PRECOMMIT)  # L46, L64
    return _to(s, CastVote(PRECOMMIT, s.height, s.round, NIL))


def _move_to_round(s: State, round_: int) -> Transition:
    assert round_ > s.round
    s = replace(s, round=round_, step=Step.UNSTARTED)  # L12-L13 finish at StartRound
    return _to(s, MoveToRound(s.height, round_))
