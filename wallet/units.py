"""Money, dates and ids as people type them and as the wallet shows them: yuan to
integer fen and back, due dates in China Standard Time, 32-byte hex ids."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from contracts.errors import LedgerError
from contracts.identity import parse_hash
from wallet.i18n import current

CHINA = timezone(timedelta(hours=8))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


YUAN = re.compile(r"^(\d{1,14})(?:\.(\d{1,2}))?$")
DATE_HELP = ("YYYY-MM-DD (24:00 China time) or a date-time with offset, "
             "e.g. 2026-11-24T20:00:05+08:00")


def parse_yuan(text: str) -> int:
    """An amount in yuan ("1,250,000.50") as integer fen, exactly; no floats."""
    match = YUAN.match(text.replace(",", "").strip())
    if not match:
        raise LedgerError("wallet.bad_amount",
                          f"{text!r} is not an amount in yuan with at most 2 decimals")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def yuan(fen: int) -> str:
    """Fen as the wallet shows money: ¥1,250,000.00, or ¥125.00万 under --unit wan."""
    return wan(fen) if current().unit == "wan" else plain_yuan(fen)


def plain_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


FEN_PER_WAN = 1_000_000  # 万元 = 10,000 yuan = 1,000,000 fen
WAN = re.compile(r"^(-?)¥?(\d[\d,]*)(?:\.(\d{1,6}))?万元?$")


def wan(fen: int) -> str:
    """Fen in 万元, exactly (integer arithmetic): at least two decimals, more only when
    the fen need them: 125,000,000 fen → ¥125.00万, 125,000,050 → ¥125.00005万."""
    sign, fen = ("-" if fen < 0 else ""), abs(fen)
    decimals = f"{fen % FEN_PER_WAN:06d}".rstrip("0").ljust(2, "0")
    return f"{sign}¥{fen // FEN_PER_WAN:,}.{decimals}万"


def parse_wan(text: str) -> int:
    """An amount in 万元 as `wan` shows it ("¥125.00005万", "12.5万元") as integer fen."""
    match = WAN.match(text.strip())
    if not match:
        raise LedgerError("wallet.bad_amount",
                          f"{text!r} is not an amount in 万元 with at most 6 decimals")
    sign, whole, decimals = match.group(1), match.group(2), match.group(3) or ""
    fen = int(whole.replace(",", "")) * FEN_PER_WAN + int(decimals.ljust(6, "0"))
    return -fen if sign else fen


PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?%?$")


def parse_percent(text: str) -> int:
    """A rate in percent ("3.85" or "3.85%") as integer basis points, exactly; no floats."""
    match = PERCENT.match(text.strip())
    if not match:
        raise LedgerError("wallet.bad_rate",
                          f"{text!r} is not a rate in percent with at most 2 decimals")
    whole, hundredths = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(hundredths)


def percent(bp: int) -> str:
    """Basis points as percent: 385 -> "3.85%"."""
    return f"{bp // 100}.{bp % 100:02d}%"


def parse_due(text: str) -> int:
    """A date YYYY-MM-DD, meaning 24:00 China Standard Time of that day, or an exact ISO
    date-time with its offset (2026-11-24T20:00:05+08:00); in ms since 1970 UTC."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        end = datetime(day.year, day.month, day.day, tzinfo=CHINA) + timedelta(days=1)
        return int(end.timestamp()) * 1000
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise LedgerError("wallet.bad_date",
                          f"{text!r} is not a date YYYY-MM-DD nor a date-time with an offset "
                          "like 2026-11-24T20:00:05+08:00")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def parse_amounts(text: str) -> tuple[int, ...]:
    """Amounts in yuan separated by commas ("300000,950000.50"), no thousands separators."""
    amounts = tuple(parse_yuan(part) for part in text.split(","))
    for amount_fen in amounts:
        if amount_fen == 0:
            raise LedgerError("wallet.bad_amount",
                              f"{text!r}: every part is at least ¥0.01 (write amounts without "
                              "thousands separators, separated by commas)")
    return amounts


def show_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M")


def show_due(due_ms: int) -> str:
    """The day a voucher is due by (due at 24:00 of that day, China Standard Time), or the
    exact time to the second when it falls due at another time of day."""
    if due_ms % 1000 == 0 and (due_ms // 1000 + 8 * 3600) % 86_400 == 0:
        return datetime.fromtimestamp((due_ms - 1) / 1000, CHINA).strftime("%Y-%m-%d")
    return datetime.fromtimestamp(due_ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def hex32(text: str, what: str) -> bytes:
    return parse_hash(text, what, "wallet.bad_id")
