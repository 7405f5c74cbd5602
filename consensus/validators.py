"""The validator set: voting power, the two thresholds, and who proposes when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_VALIDATORS = 1024  # the bound certificates are parsed with


@dataclass(frozen=True)
class ValidatorSet:
    """Validators sorted by public key, each with a positive voting power."""

    members: tuple[tuple[bytes, int], ...]

    @classmethod
    def from_powers(cls, powers: Mapping[bytes, int]) -> ValidatorSet:
        assert 0 < len(powers) <= MAX_VALIDATORS, "a validator set has 1..1024 members"
        assert all(type(p) is int and p > 0 for p in powers.values()), "powers are positive"
        return cls(tuple(sorted(powers.items())))

    def __post_init__(self) -> None:
        keys = [k for k, _ in self.members]
        assert keys == sorted(set(keys)), "validators are sorted and distinct"
        object.__setattr__(self, "_powers", dict(self.members))
        object.__setattr__(self, "_total", sum(p for _, p in self.members))

    @property
    def powers(self) -> Mapping[bytes, int]:
        return self._powers  # type: ignore[attr-defined]

    @property
    def total(self) -> int:
        return self._total  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.members)

    def __contains__(self, key: object) -> bool:
        return key in self.powers

    def power(self, key: bytes) -> int:
        return self.powers.get(key, 0)

    def is_quorum(self, power: int) -> bool:
        """More than two thirds of the voting power (the paper's 2f+1)."""
        return 3 * power > 2 * self.total

    def is_skip(self, power: int) -> bool:
        """More than one third of the voting power (the paper's f+1): one correct at least."""
        return 3 * power > self.total

    def proposer(self, height: int, round_: int) -> bytes:
        """Round robin over the sorted keys, moving on by one each height and each round."""
        assert height >= 0 and round_ >= 0
        return self.members[(height + round_) % len(self.members)][0]
