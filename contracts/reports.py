"""Period reports: what happened on the ledger in a month, quarter or year, summed by
debtor, by bank or by region, derived from the ledger's own events and records.

A report is built in two steps, both pure and deterministic:

1. `facts_of_tx` / `facts_of_block_end` turn what a committed block did (each
   transaction's events, its decoded body, the end-of-block events) into `Fact`s: one
   per figure that moved, with the block's time, the debtor, the bank (funder) if any,
   and an amount in fen. The amount is read from a record field that never changes once
   the event was emitted (a voucher state's amount, a sale's price, an accepted
   redemption's reduction, an executed round's legs), or from the transaction's body (a
   pledge's secured claim at registration, which a later amendment may change in the
   record): so the facts of a block are the same whenever they are derived, and a node
   can derive them again from its stored blocks after a restart.
2. `aggregate` sums the facts of a period (contracts.report_periods) into rows, one per
   debtor, bank, region or month: a count and an amount per figure.

The figures (the Chinese names are the export's column headers):

| figure | 中文 | event | amount |
|---|---|---|---|
| issued | 开具 | voucher.issued | the issued voucher's face |
| transferred | 流转 | voucher.transferred (also 签收, payments, enforcements) | the part moved |
| financed | 融资 | financing.accepted (loan), sale.sold | the loan's principal, the sale's price |
| pledged | 质押 | pledge.registered | the claim secured at registration |
| redeemed | 抵付 | redemption.accepted | the claim the redemption settled |
| set_off | 抵销 | setoff.executed, setoff.run_cleared | each leg cleared (vouchers, obligations) |
| extended | 展期 | voucher.extended | the extended part |
| overdue | 逾期 | voucher.overdue | the overdue part |
| late_confirmations | 逾期未确权 | application.lapsed | the claim applied for |

Who reads a report (`READS`, the pattern of contracts/access.py): the agency and the
regulators read every report (ledger-wide, any member's); any other member reads the
report of its own business only: the facts whose debtor or bank it is (a bank its
lending and purchases, a debtor its vouchers), never another member's.

Regions: a row "by region" is the debtor's region, read through `region_of` alone: the
member record's `region` (a 6-digit administrative division code) or "unknown" for a
record that has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts import financing, issuance, membership, pledge, redemption, sale, setoff
from contracts import vouchers as voucher_states
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.contract import Event
from contracts.report_periods import Period, month_name
from contracts.state import Reader

# figure -> (Chinese header, English header); the order is the export's column order.
FIGURES: dict[str, tuple[str, str]] = {
    "issued": ("开具", "Issued"),
    "transferred": ("流转", "Transferred"),
    "financed": ("融资", "Financed"),
    "pledged": ("质押", "Pledged"),
    "redeemed": ("抵付", "Redeemed"),
    "set_off": ("抵销", "Set off"),
    "extended": ("展期", "Extended"),
    "overdue": ("逾期", "Overdue"),
    "late_confirmations": ("逾期未确权", "Late confirmations"),
}
GROUPINGS = ("total", "debtor", "bank", "region", "month")
UNKNOWN_REGION = "unknown"
NO_BANK = "none"  # the row of facts no bank takes part in (issues, transfers, ...)
# The events a fact is derived from: a transaction's body is decoded only when one of
# these (which need it) is among its events.
NEEDS_BODY = frozenset({"pledge.registered"})


@dataclass(frozen=True)
class Fact:
    """One figure moved by one event: when (block time), about whom, how much."""

    figure: str
    height: int
    time_ms: int
    subject: bytes  # the record the event names
    debtor: bytes
    bank: bytes | None  # the funder taking part, if one does
    amount_fen: int


# ------------------------------------------------------------------ facts from events


def _voucher_fact(state: Reader, figure: str, height: int, time_ms: int,
                  voucher_id: bytes) -> Fact:
    voucher = voucher_states.get_voucher(state, voucher_id)
    assert voucher is not None, "an event's voucher state is kept for good"
    return Fact(figure, height, time_ms, voucher_id, voucher.debtor, None, voucher.amount_fen)


def _pledged_fen(state: Reader, registered: pledge.Pledge, body: Any) -> int:
    """The claim a pledge secured when it was registered: the registering body's."""
    if isinstance(body, pledge.Create):
        return body.secured_fen
    if isinstance(body, financing.Accept):  # a loan accepted: the whole reserved part
        answer = financing.get_answer(state, body.quote)
        assert answer is not None
        request = financing.load_request(state, answer.request)
        return request.amount_fen
    # An operation that registers no other way: the record, with what it released since.
    return registered.secured_fen + registered.released_fen


def facts_of_event(state: Reader, height: int, time_ms: int, event: Event,
                   body: Any = None, tx_id: bytes | None = None) -> list[Fact]:
    """The facts one event makes, its records read in `state` (a state at or after the
    event's block: only fields that no later block changes are read)."""
    kind, subject = event.kind, event.subject
    if kind == "voucher.issued":
        return [_voucher_fact(state, "issued", height, time_ms, subject)]
    if kind == "voucher.transferred":  # transfers, 签收, payments, acquisitions, enforcements
        return [_voucher_fact(state, "transferred", height, time_ms, subject)]
    if kind == "voucher.extended":
        return [_voucher_fact(state, "extended", height, time_ms, subject)]
    if kind == "voucher.overdue":
        return [_voucher_fact(state, "overdue", height, time_ms, subject)]
    if kind == "financing.accepted":
        request = financing.load_request(state, subject)
        if request.kind != "pledge_loan":
            return []  # a sale: counted once, by its sale.sold
        assert request.quote is not None
        answer = financing.get_answer(state, request.quote)
        assert answer is not None
        return [Fact("financed", height, time_ms, subject, request.debtor, answer.funder,
                     answer.amount_fen)]
    if kind == "sale.sold":
        made = sale.get_sale(state, subject)
        assert made is not None
        return [Fact("financed", height, time_ms, subject, made.debtor, made.buyer,
                     made.price_fen)]
    if kind == "pledge.registered":
        registered = pledge.get_pledge(state, subject)
        assert registered is not None
        return [Fact("pledged", height, time_ms, subject, registered.debtor, registered.bank,
                     _pledged_fen(state, registered, body))]
    if kind == "redemption.accepted":
        request = redemption.get_request(state, subject)
        assert request is not None
        return [Fact("redeemed", height, time_ms, subject, request.debtor, None,
                     request.reduced_fen)]
    if kind == "setoff.executed":
        round_ = setoff.get_round(state, subject)
        assert round_ is not None
        return [Fact("set_off", height, time_ms, leg.id, leg.debtor, None, leg.amount_fen)
                for leg in round_.legs]
    if kind == "application.lapsed":
        application = issuance.get_application(state, subject)
        assert application is not None
        return [Fact("late_confirmations", height, time_ms, subject,
                     application.terms.debtor, None, application.terms.amount_fen)]
    return []


def facts_of_tx(state: Reader, height: int, time_ms: int, tx_id: bytes,
                events: Sequence[Event], body: Any = None) -> list[Fact]:
    """The facts of one committed transaction: its events in order. `body` (the decoded
    operation body) is needed only when an event of NEEDS_BODY is among them. A set-off
    run's batch (one setoff.run_cleared per member) counts its legs once."""
    facts: list[Fact] = []
    runs_done: set[bytes] = set()
    for event in events:
        if event.kind == "setoff.run_cleared":
            if event.subject in runs_done:
                continue
            runs_done.add(event.subject)
            for batch in setoff.batches_of_run(state, event.subject):
                if batch.tx == tx_id:
                    facts += [Fact("set_off", height, time_ms, leg.id, leg.debtor, None,
                                   leg.amount_fen) for leg in batch.legs]
            continue
        facts += facts_of_event(state, height, time_ms, event, body, tx_id)
    return facts


def facts_of_block_end(state: Reader, height: int, time_ms: int,
                       events: Sequence[Event]) -> list[Fact]:
    """The facts of a block's end-of-block step (extensions, overdue marks, lapses)."""
    facts: list[Fact] = []
    for event in events:
        facts += facts_of_event(state, height, time_ms, event)
    return facts


def needs_body(events: Iterable[Event]) -> bool:
    """Must the transaction's body be decoded to derive its facts?"""
    return any(event.kind in NEEDS_BODY for event in events)


# ------------------------------------------------------------------ regions


def region_of(state: Reader, address: bytes) -> str:
    """The member's region (a 6-digit administrative division code, 行政区划代码) as its
    member record says, or "unknown" when the record has none or there is no record."""
    member = membership.get_member(state, address)
    region = getattr(member, "region", None)
    if isinstance(region, int) and not isinstance(region, bool) and region > 0:
        return f"{region:06d}"  # a code kept as a number reads as its six digits
    return region if isinstance(region, str) and region else UNKNOWN_REGION


# ------------------------------------------------------------------ sums


@dataclass
class Figure:
    """A count and an amount."""

    count: int = 0
    amount_fen: int = 0


@dataclass
class Row:
    """One row of a report: the key it groups by and each figure's sums."""

    key: str
    figures: dict[str, Figure] = field(default_factory=lambda: {f: Figure() for f in FIGURES})

    def add(self, fact: Fact) -> None:
        figure = self.figures[fact.figure]
        figure.count += 1
        figure.amount_fen += fact.amount_fen


@dataclass(frozen=True)
class Report:
    """A period's figures in rows (sorted by key) and their total."""

    period: Period
    by: str
    member: bytes | None  # the member whose business alone it covers; None: all
    rows: tuple[Row, ...]
    total: Row
    facts: int  # facts summed


def concerns(fact: Fact, member: bytes) -> bool:
    """Is the fact part of `member`'s business: is it its debtor or its bank?"""
    return member in (fact.debtor, fact.bank)


def group_key(fact: Fact, by: str, region: Callable[[bytes], str]) -> str:
    """The row a fact is summed in when grouping `by`."""
    if by == "debtor":
        return fact.debtor.hex()
    if by == "bank":
        return NO_BANK if fact.bank is None else fact.bank.hex()
    if by == "region":
        return region(fact.debtor)
    if by == "month":
        return month_name(fact.time_ms)
    assert by == "total", by
    return "total"


def aggregate(facts: Iterable[Fact], period: Period, by: str,
              region: Callable[[bytes], str], member: bytes | None = None) -> Report:
    """Sum the facts of `period` (block time in [start_ms, end_ms)) by `by`, only those
    concerning `member` when one is given. `region` maps a debtor to its region
    (`region_of` over the state read)."""
    assert by in GROUPINGS, by
    rows: dict[str, Row] = {}
    total = Row("total")
    summed = 0
    for fact in facts:
        if not period.holds(fact.time_ms):
            continue
        if member is not None and not concerns(fact, member):
            continue
        key = group_key(fact, by, region)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(key)
        row.add(fact)
        total.add(fact)
        summed += 1
    return Report(period, by, member, tuple(rows[k] for k in sorted(rows)), total, summed)


# ------------------------------------------------------------------ who reads


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: every member's business (None) or one member's."""

    member: bytes | None


def may_read_report(state: Reader, caller: Caller, scope: ReportScope) -> bool:
    """The agency and the regulators read every report: watching the business of the
    jurisdiction is their part (§000-四(二), §001-五(七)). A member reads the figures of
    its own business only (as debtor, as bank): another member's figures are that
    member's business."""
    return caller.oversees or (scope.member is not None and caller.one_of(scope.member))


READS = (
    Read("report", ("self", *OVERSIGHT), may_read_report, not_readers=("member",)),
)
