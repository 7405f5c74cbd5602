"""Period reports (contracts/reports.py, contracts/report_periods.py): the figures of a
random ledger equal the sums computed directly from its records.

A ledger in memory records what a node stores of each block (each transaction's id,
body and events, the end-of-block events); its facts are derived after the last block,
from the final state, as a node rebuilding its index after a restart derives them. For
every month, quarter and year the ledger spans, and each grouping, the report must be
what the voucher states, pledge records and applications say on their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import issuance, pledge, vouchers
from contracts.caller import Caller
from contracts.codec import decode, encode
from contracts.contract import Event
from contracts.errors import LedgerError
from contracts.ledger import BlockInfo, apply_transaction, check_transaction, end_block
from contracts.report_periods import (
    CHINA,
    PeriodError,
    china_date,
    midnight_ms,
    months_of,
    parse_period,
)
from contracts.reports import (
    FIGURES,
    Fact,
    ReportScope,
    aggregate,
    facts_of_block_end,
    facts_of_tx,
    may_read_report,
    region_of,
)
from contracts.state import Overlay
from tests.memledger import CHAIN, DAY_MS, Ledger
from tests.test_lifecycle_rules import pay_tx, pledge_tx, transfer_tx
from tests.test_pledge_registry import amend_tx, release_part_tx


@dataclass
class Logged:
    height: int
    time_ms: int
    txs: list[tuple[bytes, Any, tuple[Event, ...]]]
    ended: tuple[Event, ...]


class RecordingLedger(Ledger):
    """A memledger that keeps what a node stores of each block."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Logged] = []
        self.secured_at_registration: dict[bytes, int] = {}

    def block(self, *txs: Any, advance_ms: int = 1000) -> list[Event]:
        self.height += 1
        self.time_ms += advance_ms
        info = BlockInfo(CHAIN, self.height, self.time_ms)
        overlay = Overlay(self.store)
        done = []
        try:
            for tx in txs:
                checked = check_transaction(self.registry, CHAIN, encode(tx), self.height)
                events = apply_transaction(self.registry, overlay, checked, info)
                done.append((checked.id, checked.body, tuple(events)))
            ended = tuple(end_block(self.registry, overlay, info))
        except LedgerError:
            self.height -= 1
            self.time_ms -= advance_ms
            raise
        self.store.apply(overlay.changes())
        self.log.append(Logged(self.height, self.time_ms, done, ended))
        return [e for _, _, events in done for e in events] + list(ended)

    def facts(self) -> list[Fact]:
        facts: list[Fact] = []
        for logged in self.log:
            for tx_id, body, events in logged.txs:
                facts += facts_of_tx(self.store, logged.height, logged.time_ms, tx_id,
                                     events, body)
            facts += facts_of_block_end(self.store, logged.height, logged.time_ms,
                                        logged.ended)
        return facts

    def records(self, prefix: bytes, cls: type) -> list[Any]:
        return [decode(cls, value) for key, value in sorted(self.store.items.items())
                if key.startswith(prefix) and len(key) == len(prefix) + 32]


# ------------------------------------------------------------------ a random ledger

ACTIONS = st.lists(st.tuples(
    st.sampled_from(["issue", "issue", "apply", "transfer", "pay", "pledge", "amend",
                     "release_part", "advance"]),
    st.integers(0, 10**6), st.integers(1, 100)), min_size=4, max_size=18)


def free_states(ledger: Ledger) -> list[vouchers.Voucher]:
    """The supplier's live states it may move: not pledged, reserved or overdue."""
    found = [vouchers.get_voucher(ledger.store, i)
             for i in vouchers.live_ids_by_holder(ledger.store, ledger.addr("supplier"))]
    return [v for v in found if v is not None and v.pledge is None and v.reserved_by is None
            and v.overdue_since_ms is None]


def active_pledges(ledger: RecordingLedger) -> list[pledge.Pledge]:
    found = [pledge.get_pledge(ledger.store, i) for i in ledger.secured_at_registration]
    return [p for p in found if p is not None and p.status == "active"]


def play(ledger: RecordingLedger, action: str, pick: int, share: int) -> None:
    if action in ("issue", "apply"):
        debtor = "core" if pick % 3 else "supplier2"
        amount = 10_000 + pick * 7
        if action == "issue":
            ledger.issue(amount, debtor=debtor, due_in_ms=(20 + pick % 300) * DAY_MS,
                         extension_days=30 * (pick % 2), extension_max=pick % 2)
            return
        terms = issuance.Terms(ledger.addr(debtor), amount, ledger.time_ms + 400 * DAY_MS,
                               True, True, 0, 0, f"HT-A-{ledger.nonce}", bytes(32))
        ledger.block(ledger.tx("issuance", "apply",
                               issuance.Apply(ledger.addr("supplier"), terms), "supplier"))
        return
    if action == "advance":
        ledger.block(advance_ms=(1 + pick % 120) * DAY_MS)
        return
    if action in ("transfer", "pay", "pledge"):
        states = free_states(ledger)
        if not states:
            return
        v = states[pick % len(states)]
        part = max(1, v.amount_fen * share // 100)
        if action == "transfer":
            ledger.block(transfer_tx(ledger, v.id, part, to="supplier3"))
        elif action == "pay":
            ledger.block(pay_tx(ledger, v.id, part))
        else:
            bank = "bank" if pick % 2 else "bank2"
            tx = pledge_tx(ledger, v.id, part, bank=bank, loan_fen=part)
            ledger.block(tx)
            pledge_id = next(p for p in pledge.pledges_page(
                ledger.store, None, 1000, voucher=v.id)[0] if p.status == "active").id
            ledger.secured_at_registration[pledge_id] = part
        return
    pledges = active_pledges(ledger)
    if not pledges:
        return
    p = pledges[pick % len(pledges)]
    bank = "bank" if p.bank == ledger.addr("bank") else "bank2"
    if action == "amend":
        secured = max(1, p.secured_fen * share // 100)
        if secured != p.secured_fen:
            ledger.block(amend_tx(ledger, p.id, bank=bank, secured_fen=secured))
        return
    held = vouchers.get_voucher(ledger.store, p.voucher)
    if p.secured_fen > 1 and held is not None and held.overdue_since_ms is None:
        ledger.block(release_part_tx(ledger, p.id, max(1, p.secured_fen * share // 101),
                                     bank=bank))


def build(actions: list[tuple[str, int, int]]) -> RecordingLedger:
    ledger = RecordingLedger()
    for action, pick, share in actions:
        try:
            play(ledger, action, pick, share)
        except LedgerError:
            pass  # a step the rules refuse (a part too small...): nothing happened
    ledger.block(advance_ms=200 * DAY_MS)  # due dates pass: extensions, overdue, lapses
    return ledger


# ------------------------------------------------------------------ the sums, directly


def expected_facts(ledger: RecordingLedger) -> list[tuple[str, int, bytes, bytes | None, int]]:
    """(figure, time_ms, debtor, bank, amount) of everything the records say happened."""
    states = ledger.records(vouchers.voucher_key(b""), vouchers.Voucher)
    by_id = {v.id: v for v in states}
    out = []
    for v in states:
        if v.cause == "issue":
            out.append(("issued", v.created_at_ms, v.debtor, None, v.amount_fen))
        if v.cause in ("transfer", "merchant_payment"):
            out.append(("transferred", v.created_at_ms, v.debtor, None, v.amount_fen))
        if v.overdue_since_ms is not None:
            out.append(("overdue", v.overdue_since_ms, v.debtor, None, v.amount_fen))
        parent = by_id.get(v.parent) if v.parent is not None else None
        if v.extensions_used and (parent is None or not parent.extensions_used):
            # extended itself (a part made after an extension carries it over); the
            # extension came at the first block after the due date it had then
            old_due = v.due_ms - v.extension_days * DAY_MS
            when = next(b.time_ms for b in ledger.log if b.time_ms > old_due)
            out.append(("extended", when, v.debtor, None, v.amount_fen))
    for p in ledger.records(pledge.pledge_key(b""), pledge.Pledge):
        out.append(("pledged", p.registered_at_ms, p.debtor, p.bank,
                    ledger.secured_at_registration[p.id]))
    for a in ledger.records(issuance.application_key(b""), issuance.Application):
        if a.status == "lapsed":
            assert a.decided_at_ms is not None
            out.append(("late_confirmations", a.decided_at_ms, a.terms.debtor, None,
                        a.terms.amount_fen))
    return out


def expected_rows(ledger: RecordingLedger, period: Any, by: str
                  ) -> dict[str, dict[str, tuple[int, int]]]:
    rows: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for figure, time_ms, debtor, bank, amount in expected_facts(ledger):
        if not period.start_ms <= time_ms < period.end_ms:
            continue
        day = china_date(time_ms)
        key = {"total": "total", "debtor": debtor.hex(),
               "bank": bank.hex() if bank else "none", "region": "unknown",
               "month": f"{day.year}-{day.month:02d}"}[by]
        rows[key][figure][0] += 1
        rows[key][figure][1] += amount
    return {k: {f: tuple(v) for f, v in figures.items()} for k, figures in rows.items()}


def report_rows(report: Any) -> dict[str, dict[str, tuple[int, int]]]:
    return {row.key: {f: (s.count, s.amount_fen) for f, s in row.figures.items() if s.count}
            for row in report.rows}


def periods_spanned(ledger: Ledger) -> list[str]:
    first, last = china_date(ledger.log[0].time_ms), china_date(ledger.time_ms)
    names: set[str] = set()
    for year in range(first.year, last.year + 1):
        names |= {str(year), f"{year}-annual"} | {f"{year}-Q{q}" for q in range(1, 5)}
        names |= {f"{year}-{m:02d}" for m in range(1, 13)}
    return sorted(names)


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(ACTIONS)
def test_report_figures_equal_the_sums_of_the_ledgers_records(actions: list) -> None:
    ledger = build(actions)
    facts = ledger.facts()
    assert len(facts) == len(expected_facts(ledger))

    def region(debtor: bytes) -> str:
        return region_of(ledger.store, debtor)

    for name in periods_spanned(ledger):
        period = parse_period(name)
        for by in ("total", "debtor", "bank", "region", "month"):
            report = aggregate(facts, period, by, region)
            assert report_rows(report) == expected_rows(ledger, period, by), (name, by)
            for figure in FIGURES:  # the rows add up to the total
                assert sum(r.figures[figure].amount_fen for r in report.rows) == \
                    report.total.figures[figure].amount_fen
    # Over all time, the issues per debtor are the debtor records' own counters.
    everything = [f for f in facts if f.figure == "issued"]
    for debtor in ("core", "supplier2"):
        record = vouchers.get_debtor_record(ledger.store, ledger.addr(debtor))
        mine = [f for f in everything if f.debtor == ledger.addr(debtor)]
        assert (len(mine), sum(f.amount_fen for f in mine)) == \
            (record.vouchers_issued, record.issued_fen)


def test_a_pledge_counts_the_claim_it_secured_when_registered_not_after_amendment() -> None:
    ledger = RecordingLedger()
    voucher = ledger.issue(1_000_000)
    ledger.block(pledge_tx(ledger, voucher, 800_000))
    (registered,) = pledge.pledges_page(ledger.store, None, 10, voucher=voucher)[0]
    ledger.block(amend_tx(ledger, registered.id, secured_fen=300_000))
    (fact,) = [f for f in ledger.facts() if f.figure == "pledged"]
    assert (fact.amount_fen, fact.bank) == (800_000, ledger.addr("bank"))
    assert pledge.get_pledge(ledger.store, registered.id).secured_fen == 300_000


def test_a_member_reads_its_own_figures_and_oversight_reads_all() -> None:
    ledger = RecordingLedger()
    state = ledger.store
    mine = ledger.addr("core")

    def caller(name: str, agency: bool = False, regulator: bool = False) -> Caller:
        return Caller(ledger.addr(name), True, agency, regulator)

    assert may_read_report(state, caller("core"), ReportScope(mine))
    assert not may_read_report(state, caller("core"), ReportScope(ledger.addr("bank")))
    assert not may_read_report(state, caller("core"), ReportScope(None))
    assert may_read_report(state, caller("regulator", regulator=True), ReportScope(None))
    assert may_read_report(state, caller("agency", agency=True), ReportScope(mine))
    ledger.issue(5_000, debtor="core")
    ledger.issue(7_000, debtor="supplier2")
    period = parse_period(str(china_date(ledger.time_ms).year))
    own = aggregate(ledger.facts(), period, "debtor", lambda d: "unknown", mine)
    assert [row.key for row in own.rows] == [mine.hex()]
    assert own.total.figures["issued"].amount_fen == 5_000


def test_region_is_the_member_records_region_or_unknown() -> None:
    ledger = RecordingLedger()
    assert region_of(ledger.store, ledger.addr("core")) == "unknown"
    assert region_of(ledger.store, bytes(32)) == "unknown"  # no record at all

    @dataclass(frozen=True)
    class WithRegion:
        region: object

    class Store:
        def get(self, key: bytes) -> bytes | None:
            return None

    import contracts.membership as membership

    original = membership.get_member
    try:
        for kept, read in (("330100", "330100"), (110101, "110101"), ("", "unknown"),
                           (None, "unknown")):
            membership.get_member = lambda state, address, kept=kept: WithRegion(kept)  # type: ignore
            assert region_of(Store(), bytes(32)) == read  # type: ignore[arg-type]
    finally:
        membership.get_member = original


@pytest.mark.parametrize(("name", "first", "after_last", "kind"), [
    ("2026-11", (2026, 11, 1), (2026, 12, 1), "month"),
    ("2026-12", (2026, 12, 1), (2027, 1, 1), "month"),
    ("2026-Q4", (2026, 10, 1), (2027, 1, 1), "quarter"),
    ("2026", (2026, 1, 1), (2027, 1, 1), "year"),
    ("2026-annual", (2026, 1, 1), (2027, 1, 1), "annual"),
])
def test_a_period_runs_from_midnight_china_time_to_the_next_periods(
        name: str, first: tuple, after_last: tuple, kind: str) -> None:
    from datetime import UTC, date, datetime

    period = parse_period(name)
    assert period.kind == kind
    start = datetime(*first, tzinfo=CHINA)
    assert period.start_ms == int(start.timestamp()) * 1000 == midnight_ms(date(*first))
    assert period.end_ms == midnight_ms(date(*after_last))
    if name == "2026-11":  # 00:00 on 1 November in Beijing is 16:00 on 31 October UTC
        assert period.start_ms == int(datetime(2026, 10, 31, 16, tzinfo=UTC).timestamp()) * 1000
        assert period.holds(period.start_ms) and not period.holds(period.end_ms)
    assert (period.due is not None) == (kind == "annual")
    assert len(months_of(period)) == {"month": 1, "quarter": 3}.get(kind, 12)


def test_a_period_name_that_is_none_is_refused() -> None:
    for bad in ("2026-13", "2026-Q5", "26-11", "2026-11-01", "1999", "", "2026-Annual"):
        with pytest.raises(PeriodError):
            parse_period(bad)
    assert parse_period("2026-annual").due == "2027-01-31"


def test_the_node_index_reads_each_block_once_and_a_request_within_its_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from types import SimpleNamespace

    from node import reports as node_reports

    reads: list[int] = []

    def block_facts(node: object, height: int) -> list[Fact]:
        reads.append(height)
        time.sleep(0.005)
        return []

    monkeypatch.setattr(node_reports, "block_facts", block_facts)
    head = SimpleNamespace(height=60)
    node = SimpleNamespace(chain=SimpleNamespace(head=head), store=SimpleNamespace(base=lambda: 0))
    index = node_reports.ReportIndex()
    index.catch_up(node, budget_ms=30)  # type: ignore[arg-type]
    assert 1 <= len(reads) < 60 and not index.complete(node)  # type: ignore[arg-type]
    while not index.complete(node):  # type: ignore[arg-type]
        index.catch_up(node, budget_ms=30)  # type: ignore[arg-type]
    head.height = 63  # three blocks later: only they are read
    index.catch_up(node)  # type: ignore[arg-type]
    assert reads == list(range(1, 64))


def test_an_export_writes_yuan_as_text_from_fen_and_the_fen_as_an_integer(
        tmp_path: Any) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from node.report_export import csv_bytes, headers, xlsx_bytes, yuan_text

    assert [yuan_text(f) for f in (0, 5, 100, 123456, 10**17 + 1)] == \
        ["0.00", "0.05", "1.00", "1234.56", "1000000000000000.01"]
    empty = {f: {"count": 0, "amount_fen": 0} for f in FIGURES}
    row = {**empty, "issued": {"count": 2, "amount_fen": 10**17 + 1}}
    view = {"period": {"name": "2026-11"}, "by": "debtor",
            "rows": [{"key": "ab" * 32, "name": "Huayuan", **row}], "total": row}
    lines = list(csv.reader(io.StringIO(csv_bytes(view).decode("utf-8-sig"))))
    assert lines[0] == headers("debtor") and lines[0][3] == "开具笔数 (Issued: count)"
    assert lines[1][:6] == ["2026-11", "ab" * 32, "Huayuan", "2", "1000000000000000.01",
                            "100000000000000001"]
    assert lines[2][1] == "合计 total"
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(view))
    cells = [[c.value for c in r] for r in load_workbook(path).active.iter_rows()]
    assert cells[0] == lines[0]
    # past 2^53 the fen goes as its digits: a spreadsheet's number would round it
    assert cells[1][3:6] == [2, "1000000000000000.01", "100000000000000001"]
    assert cells[1][6:9] == [0, "0.00", 0]  # within it, a number
