"""The periods reports are made for: calendar months, quarters and years in China's time.

The seeds' reporting periods are Chinese calendar periods: the monthly notice of
§004-(六) (按月通报进展情况) and the annual report due before 31 January for the year
before (§000-四(二): 每年1月31日前将上年度工作开展情况...报送). A period is therefore
the half-open interval of ledger time [start_ms, end_ms) between two midnights of
China Standard Time (UTC+8, no daylight saving): ledger milliseconds are UTC, so the
bounds are the UTC instants of those midnights. A block belongs to the period its
block time falls in.

Names: `2026-11` (November 2026), `2026-Q4` (its quarter), `2026` (the year) and
`2026-annual` (the year, as the annual report of §000-四(二), which is due on
`2027-01-31`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")  # China Standard Time: UTC+8 all year
KINDS = ("month", "quarter", "year", "annual")
MIN_YEAR, MAX_YEAR = 2000, 2200
# The names, as the API documents them (a month's digits are checked apart: 01 to 12).
PERIOD_PATTERN = r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|annual))?$"
_NAME = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|(annual)))?$")


class PeriodError(ValueError):
    """A period name that is not one of the forms the module names."""


@dataclass(frozen=True)
class Period:
    """A reporting period: its name, kind and ledger-time bounds [start_ms, end_ms)."""

    name: str
    kind: str
    start_ms: int
    end_ms: int
    due: str | None  # the annual report's due date (ISO), None for the other kinds

    def holds(self, time_ms: int) -> bool:
        return self.start_ms <= time_ms < self.end_ms


def midnight_ms(day: date) -> int:
    """Ledger milliseconds (UTC) of 00:00 China time on `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=CHINA).timestamp()) * 1000


def china_date(time_ms: int) -> date:
    """The calendar date in China at ledger time `time_ms`."""
    return datetime.fromtimestamp(time_ms // 1000, UTC).astimezone(CHINA).date()


def month_name(time_ms: int) -> str:
    """`YYYY-MM`: the China-time month ledger time `time_ms` falls in."""
    day = china_date(time_ms)
    return f"{day.year:04d}-{day.month:02d}"


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(name: str) -> Period:
    """The period `name` names (`2026-11`, `2026-Q4`, `2026`, `2026-annual`);
    `PeriodError` for anything else."""
    found = _NAME.match(name.strip())
    if found is None:
        raise PeriodError(f"{name[:40]!r} is no period: give YYYY-MM, YYYY-Qn, YYYY or "
                          "YYYY-annual")
    year = int(found.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"the year is between {MIN_YEAR} and {MAX_YEAR}")
    month, quarter, annual = found.group(2), found.group(3), found.group(4)
    due = None
    if month is not None:
        first = int(month)
        if not 1 <= first <= 12:
            raise PeriodError(f"{name!r}: a month is 01 to 12")
        kind, months, text = "month", 1, f"{year:04d}-{first:02d}"
    elif quarter is not None:
        first = 3 * (int(quarter) - 1) + 1
        kind, months, text = "quarter", 3, f"{year:04d}-Q{quarter}"
    else:
        first = 1
        kind, months = ("annual" if annual else "year"), 12
        text = f"{year:04d}-annual" if annual else f"{year:04d}"
        if annual:
            due = f"{year + 1:04d}-01-31"
    start = midnight_ms(_month_start(year, first))
    end = midnight_ms(_month_start(year, first + months))
    return Period(text, kind, start, end, due)


def months_of(period: Period) -> list[str]:
    """The `YYYY-MM` months a period spans, in order."""
    names = []
    day = china_date(period.start_ms)
    while midnight_ms(day) < period.end_ms:
        names.append(f"{day.year:04d}-{day.month:02d}")
        day = _month_start(day.year, day.month + 1)
    return names
