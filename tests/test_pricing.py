"""Financing prices: integer fen, ACT/360, rounded down for whoever pays the charge."""

from hypothesis import given
from hypothesis import strategies as st

from contracts.pricing import DAY_MS, discounted_fen, interest_fen, whole_days


def test_a_known_discount() -> None:
    # 1,000,000.00 yuan at 3.60% for 90 days: 100,000,000 fen * 360 bp * 90 / 3,600,000
    assert interest_fen(100_000_000, 360, 90) == 900_000
    assert discounted_fen(100_000_000, 360, 90) == 99_100_000


def test_rounding_is_down_for_the_payer() -> None:
    # 1 fen at 36% for 1 day is 0.001 fen of interest: nothing
    assert interest_fen(1, 3600, 1) == 0
    assert discounted_fen(1, 3600, 1) == 1
    # 10,001 fen at 1 bp for 360 days is 1.0001 fen: 1
    assert interest_fen(10_001, 1, 360) == 1


def test_whole_days_count_down() -> None:
    assert whole_days(0, DAY_MS - 1) == 0
    assert whole_days(0, DAY_MS) == 1
    assert whole_days(5 * DAY_MS, 0) == 0


@given(st.integers(0, 10**15), st.integers(0, 100_000), st.integers(0, 3650))
def test_interest_is_the_exact_rate_rounded_down(principal: int, rate: int, days: int) -> None:
    charged = interest_fen(principal, rate, days)
    exact_times = principal * rate * days  # the interest times 3,600,000
    assert charged * 3_600_000 <= exact_times < (charged + 1) * 3_600_000
    assert 0 <= discounted_fen(principal, rate, days) <= principal
