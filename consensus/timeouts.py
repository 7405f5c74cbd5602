"""How long each step waits: a base plus a delta for every round, in milliseconds.

Growing with the round is what makes the protocol live under partial synchrony: after
enough rounds a timeout outlasts the network's (unknown) delay. The ceiling bounds what
a long outage can make a validator wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from consensus.core import TimeoutKind


@dataclass(frozen=True)
class TimeoutConfig:
    propose_ms: int = 3000
    propose_delta_ms: int = 500
    prevote_ms: int = 1000
    prevote_delta_ms: int = 500
    precommit_ms: int = 1000
    precommit_delta_ms: int = 500
    max_ms: int = 120_000

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            assert type(value) is int and value >= 0, f"{name} is a non-negative integer"
        assert self.max_ms > 0

    def duration_ms(self, kind: TimeoutKind, round_: int) -> int:
        """timeoutPropose(r), timeoutPrevote(r), timeoutPrecommit(r) of the paper."""
        assert round_ >= 0
        base, delta = {
            TimeoutKind.PROPOSE: (self.propose_ms, self.propose_delta_ms),
            TimeoutKind.PREVOTE: (self.prevote_ms, self.prevote_delta_ms),
            TimeoutKind.PRECOMMIT: (self.precommit_ms, self.precommit_delta_ms),
        }[kind]
        return min(base + delta * round_, self.max_ms)
