"""Prices of financing from annual rates and days, in integer fen (no floats anywhere).

Rates are annual, in basis points (1 bp = 0.01%), on the Chinese money-market day count:
a year of 360 days (ACT/360, as the People's Bank's rules for RMB loans and discounting
use). Days are whole days of ledger time between two instants, counted down: a started
day does not count.

The rounding rule: interest and discounts are rounded DOWN to the fen, so whoever pays
the charge never pays a fraction of a fen more than the rate says. A discounted price is
therefore the face value less the rounded-down discount, and never more than the face.
"""

from __future__ import annotations

DAY_MS = 86_400_000
YEAR_DAYS = 360  # the day count of RMB money-market rates
BP = 10_000  # basis points in 100%


def whole_days(from_ms: int, to_ms: int) -> int:
    """Whole days of ledger time from `from_ms` to `to_ms`; 0 if `to_ms` is not later."""
    return max(0, (to_ms - from_ms) // DAY_MS)


def interest_fen(principal_fen: int, rate_bp: int, days: int) -> int:
    """Simple interest on `principal_fen` at `rate_bp` a year for `days`, rounded down."""
    assert principal_fen >= 0 and rate_bp >= 0 and days >= 0
    return principal_fen * rate_bp * days // (BP * YEAR_DAYS)


def discounted_fen(face_fen: int, rate_bp: int, days: int) -> int:
    """What a buyer pays for a claim of `face_fen` due in `days`, discounted at
    `rate_bp` a year: the face less the rounded-down discount (贴现), never below 0."""
    return max(0, face_fen - interest_fen(face_fen, rate_bp, days))
