"""The vote keeper: voting power per (round, vote type, value) for one height.

A validator's first vote of each (round, type) counts, toward its value and toward the
round's total (the "any" thresholds). The same vote again is a duplicate and ignored.
A second, different vote is kept as evidence of equivocation and never adds to the
total. It counts toward its own value only if that value is nil or *watched* (named by a
proposal of this height), and only once per validator and value. The paper's polka is
2f+1 distinct signers of one value, an equivocator included; counting only first votes
lets one equivocator split correct validators into locks on different values that no
one can ever prove a polka for again. Watching bounds what is kept to the values that
can matter, as CometBFT bounds it to values a peer claims a majority for.

Each threshold is emitted once per round, the first time it is crossed: quorum is
3·w > 2·total (the paper's 2f+1), skip is 3·w > total (f+1). Two quorums for different
values at one (round, type) would need more than f equivocators.

The skip threshold (L55) is counted over each validator's highest round seen in any
message of this height, so one integer per validator bounds it, even for rounds far
beyond what the driver keeps votes for. Moving to the highest round that f+1 of the
power has reached is safe (round changes never touch safety) and live (one of them at
least is correct and already there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from consensus.certificate import PRECOMMIT, PREVOTE, Precommit
from consensus.messages import NIL, Message, Vote
from consensus.validators import ValidatorSet


class Threshold(IntEnum):
    POLKA_VALUE = 1  # 2f+1 prevotes for one value
    POLKA_NIL = 2  # 2f+1 prevotes for nil
    POLKA_ANY = 3  # 2f+1 prevotes in all
    PRECOMMIT_VALUE = 4  # 2f+1 precommits for one value
    PRECOMMIT_ANY = 5  # 2f+1 precommits in all
    SKIP = 6  # f+1 of the power has been seen at this round or higher


@dataclass(frozen=True)
class Reached:
    kind: Threshold
    round: int
    value_id: bytes = NIL  # the value of POLKA_VALUE and PRECOMMIT_VALUE


@dataclass(frozen=True)
class Equivocation:
    """Two different signed messages of one validator for the same step: evidence."""

    first: Message
    second: Message


@dataclass(frozen=True)
class Added:
    counted: bool  # the vote adds power toward its value
    reached: tuple[Reached, ...] = ()
    evidence: Equivocation | None = None


@dataclass
class _Tally:
    first: dict[bytes, Vote] = field(default_factory=dict)  # validator -> its first vote
    counted: dict[tuple[bytes, bytes], Vote] = field(default_factory=dict)  # (who, value)
    power_by_value: dict[bytes, int] = field(default_factory=dict)
    power: int = 0
    emitted: set[tuple[Threshold, bytes]] = field(default_factory=set)
    evidence: dict[bytes, Equivocation] = field(default_factory=dict)  # one per validator


class VoteKeeper:
    def __init__(self, height: int, validators: ValidatorSet) -> None:
        self.height = height
        self.validators = validators
        self._tallies: dict[tuple[int, int], _Tally] = {}
        self._highest_round: dict[bytes, int] = {}
        self._skip_emitted = 0  # no round is higher than round 0
        self._watched: set[bytes] = set()  # membership only

    def add(self, vote: Vote) -> Added:
        """Count a vote whose signature the caller has verified."""
        assert vote.height == self.height, "the driver gives each height its own keeper"
        assert vote.validator in self.validators, "the driver drops unknown validators"
        assert vote.type in (PREVOTE, PRECOMMIT)
        skip = self.note_round(vote.validator, vote.round)
        tally = self._tallies.setdefault((vote.round, vote.type), _Tally())
        key = (vote.validator, vote.value_id)
        if key in tally.counted:
            return Added(False, skip)  # a duplicate
        power = self.validators.power(vote.validator)
        first = tally.first.get(vote.validator)
        evidence = None
        if first is None:
            tally.first[vote.validator] = vote
            tally.power += power
            assert tally.power <= self.validators.total
        else:
            if vote.validator not in tally.evidence:
                evidence = tally.evidence[vote.validator] = Equivocation(first, vote)
            if not (vote.value_id == NIL or vote.value_id in self._watched):
                return Added(False, skip, evidence)
        tally.counted[key] = vote
        tally.power_by_value[vote.value_id] = tally.power_by_value.get(vote.value_id, 0) + power
        assert tally.power_by_value[vote.value_id] <= self.validators.total
        return Added(True, skip + self._crossed(tally, vote), evidence)

    def watch(self, value_id: bytes) -> None:
        """A proposal of this height names `value_id`: equivocators' votes for it count."""
        assert value_id != NIL
        self._watched.add(value_id)

    def note_round(self, validator: bytes, round_: int) -> tuple[Reached, ...]:
        """Record that `validator` sent a message at `round_`; the skip threshold if new."""
        assert validator in self.validators
        if round_ <= self._highest_round.get(validator, -1):
            return ()
        self._highest_round[validator] = round_
        by_round = sorted(
            ((r, self.validators.power(v)) for v, r in self._highest_round.items()),
            reverse=True,
        )
        power = 0
        for r, p in by_round:
            power += p
            if self.validators.is_skip(power):
                if r > self._skip_emitted:
                    self._skip_emitted = r
                    return (Reached(Threshold.SKIP, r),)
                return ()
        return ()

    def votes(self, round_: int, type_: int, value_id: bytes) -> tuple[Vote, ...]:
        """The counted votes of one (round, type) for `value_id`, sorted by validator."""
        tally = self._tallies.get((round_, type_))
        if tally is None:
            return ()
        return tuple(
            v for (_, value), v in sorted(tally.counted.items()) if value == value_id
        )

    def precommits(self, round_: int, value_id: bytes) -> tuple[Precommit, ...]:
        """The counted precommits for `value_id` at `round_`: a certificate's content."""
        return tuple(
            Precommit(v.validator, v.signature) for v in self.votes(round_, PRECOMMIT, value_id)
        )

    def power(self, round_: int, type_: int, value_id: bytes | None = None) -> int:
        """Counted power at (round, type), for one value or (None) in all."""
        tally = self._tallies.get((round_, type_))
        if tally is None:
            return 0
        return tally.power if value_id is None else tally.power_by_value.get(value_id, 0)

    def _crossed(self, tally: _Tally, vote: Vote) -> tuple[Reached, ...]:
        reached: list[Reached] = []
        value_power = tally.power_by_value[vote.value_id]
        if vote.type == PREVOTE:
            value_kind = Threshold.POLKA_NIL if vote.value_id == NIL else Threshold.POLKA_VALUE
            any_kind = Threshold.POLKA_ANY
        else:
            # A quorum of nil precommits needs no rule of its own: PRECOMMIT_ANY covers it.
            value_kind = None if vote.value_id == NIL else Threshold.PRECOMMIT_VALUE
            any_kind = Threshold.PRECOMMIT_ANY
        if value_kind is not None and self.validators.is_quorum(value_power):
            key = (value_kind, vote.value_id)
            if key not in tally.emitted:
                tally.emitted.add(key)
                reached.append(Reached(value_kind, vote.round, vote.value_id))
        if self.validators.is_quorum(tally.power) and (any_kind, NIL) not in tally.emitted:
            tally.emitted.add((any_kind, NIL))
            reached.append(Reached(any_kind, vote.round))
        return tuple(reached)
