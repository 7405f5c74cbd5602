"""Alerts for oversight: GET /v1/alerts, one table of alert sources.

  GET /v1/alerts?kind=overdue&threshold_pct=50&limit=200

Each kind of alert is one `AlertSource` in `ALERT_SOURCES`: its name, its Chinese and
English titles and a function that finds its alerts (at most `limit`, and whether it saw
everything it looked at). The explorer's alerts page draws one table per source from
the answer, so a new kind of alert is one entry here (and nothing in the page):

  overdue             live voucher states past due with no extension left (逾期)
  late_confirmations  applications the debtor left unconfirmed past the 30 days
                      (逾期未确权, the 30-day rule), newest first
  concentration       a holder's or a bank's share of one debtor's outstanding claims
                      above `threshold_pct` percent (集中度): what a holder holds live,
                      what a bank holds pledged (active pledges' secured claims)
  disputes            open disputes (异议), oldest first: what is disputed (an application,
                      an issued voucher, an obligation), by whom, why, and for how many
                      days the thing has been held
  freezes             freeze orders in force (冻结), oldest first: the frozen state, its
                      amount, the authority and the court order's reference

Every alert is a JSON object with `kind`, `subject` (the record's id; a dispute's is what
it disputes, the dispute's own id is `dispute`), `debtor`,
`member` (the holder, bank or disputing party concerned, if one), `amount_fen` and `since_ms`, plus
what the kind adds. Only the agency and the regulators read alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from aiohttp import web

from contracts import issuance, obligations, pledge, supervision, vouchers
from contracts.state import MAX_SCAN, Reader
from node.http.params import DEFAULT_PAGE, MAX_PAGE, NODE, choice_param, int_param
from node.http.reads import oversight_only, reader
from node.http.reports import CATCH_UP_BUDGET_MS, REPORT_INDEX
from node.reports import ReportIndex
from node.service import Node

DEFAULT_THRESHOLD_PCT = 50
DAY_MS = 86_400_000
MAX_DEBTORS = 1000  # debtors the concentration alert examines per request


@dataclass(frozen=True)
class AlertQuery:
    """What a source is asked with."""

    node: Node
    index: ReportIndex
    limit: int
    threshold_pct: int


@dataclass(frozen=True)
class Found:
    alerts: list[dict[str, Any]]
    complete: bool  # False: the source stopped at a bound (limit or scan) before the end


@dataclass(frozen=True)
class AlertSource:
    """One kind of alert: its name, titles, and how its alerts are found."""

    kind: str
    zh: str
    en: str
    find: Callable[[AlertQuery], Found]


def _alert(kind: str, subject: bytes, debtor: bytes, member: bytes | None, amount_fen: int,
           since_ms: int, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "subject": subject.hex(), "debtor": debtor.hex(),
            "member": None if member is None else member.hex(), "amount_fen": amount_fen,
            "since_ms": since_ms, **more}


def overdue(query: AlertQuery) -> Found:
    """Live voucher states past due with no extension left."""
    page, more = vouchers.vouchers_page(query.node.store, None, query.limit,
                                        standing="overdue")
    alerts = [_alert("overdue", v.id, v.debtor, v.holder, v.amount_fen,
                     v.overdue_since_ms or v.due_ms, due_ms=v.due_ms) for v in page]
    return Found(sorted(alerts, key=lambda a: a["since_ms"]), more is None)


def late_confirmations(query: AlertQuery) -> Found:
    """Applications left unconfirmed past 30 days (they lapsed), newest first: from the
    report index's facts (each an application.lapsed event)."""
    query.index.catch_up(query.node, CATCH_UP_BUDGET_MS)
    lapsed = [f for f in query.index.facts() if f.figure == "late_confirmations"]
    lapsed.sort(key=lambda f: (-f.time_ms, f.subject))
    alerts = [_alert("late_confirmations", f.subject, f.debtor, None, f.amount_fen,
                     f.time_ms, height=f.height) for f in lapsed[:query.limit]]
    return Found(alerts, len(lapsed) <= query.limit and query.index.complete(query.node))


def concentration(query: AlertQuery) -> Found:
    """Holders and banks whose share of one debtor's outstanding exceeds the threshold:
    share_bp = part * 10000 // outstanding (integers), alert when part * 100 >
    threshold_pct * outstanding."""
    state = query.node.store
    alerts: list[dict[str, Any]] = []
    complete = True
    scanned = 0
    for record in islice(vouchers.debtor_records(state), MAX_DEBTORS + 1):
        if scanned >= MAX_DEBTORS:
            complete = False
            break
        scanned += 1
        outstanding = record.outstanding_fen
        if outstanding <= 0:
            continue
        held: dict[bytes, int] = {}
        ids = vouchers.live_ids_by_debtor(state, record.debtor)
        complete = complete and len(ids) <= MAX_SCAN
        for voucher_id in ids[:MAX_SCAN]:
            voucher = vouchers.get_voucher(state, voucher_id)
            assert voucher is not None
            held[voucher.holder] = held.get(voucher.holder, 0) + voucher.amount_fen
        pledged: dict[bytes, int] = {}
        pledges, more = pledge.pledges_page(state, None, MAX_PAGE, debtor=record.debtor,
                                            status="active")
        complete = complete and more is None
        for p in pledges:
            pledged[p.bank] = pledged.get(p.bank, 0) + p.secured_fen
        for role, parts in (("holder", held), ("bank", pledged)):
            for member in sorted(parts):
                part = parts[member]
                if part * 100 > query.threshold_pct * outstanding:
                    alerts.append(_alert(
                        "concentration", record.debtor, record.debtor, member, part, 0,
                        role=role, outstanding_fen=outstanding,
                        share_bp=part * 10000 // outstanding))
    alerts.sort(key=lambda a: (-a["share_bp"], a["debtor"], a["role"], a["member"]))
    return Found(alerts[:query.limit], complete and len(alerts) <= query.limit)


def _disputed(state: Reader, dispute: supervision.Dispute) -> tuple[bytes, int]:
    """The debtor of what a dispute holds and its amount: the application's terms, the
    issued voucher's live claim (face less what was redeemed, set off and voided), the
    obligation's amount still owed."""
    if dispute.kind == "application":
        application = issuance.get_application(state, dispute.subject)
        assert application is not None
        return application.terms.debtor, application.terms.amount_fen
    if dispute.kind == "obligation":
        obligation = obligations.get_obligation(state, dispute.subject)
        assert obligation is not None
        return obligation.debtor, obligation.amount_fen
    origin = vouchers.get_origin(state, dispute.subject)
    assert origin is not None
    return origin.debtor, (origin.face_fen - origin.redeemed_fen - origin.setoff_fen
                           - origin.voided_fen)


def disputes(query: AlertQuery) -> Found:
    """Open disputes (at most `limit` read, by id), oldest first, each with its age in
    whole days of ledger time."""
    state = query.node.store
    now_ms = query.node.chain.head.time_ms
    read = list(islice(supervision.open_disputes(state), query.limit + 1))
    alerts = []
    for dispute in read[:query.limit]:
        debtor, amount_fen = _disputed(state, dispute)
        alerts.append(_alert(
            "disputes", dispute.subject, debtor, dispute.raised_by, amount_fen,
            dispute.raised_at_ms, dispute=dispute.id.hex(), dispute_kind=dispute.kind,
            reason=dispute.reason, age_days=max(0, now_ms - dispute.raised_at_ms) // DAY_MS))
    alerts.sort(key=lambda a: (a["since_ms"], a["dispute"]))
    return Found(alerts, len(read) <= query.limit)


def freezes(query: AlertQuery) -> Found:
    """Freeze orders in force (at most `limit` read, by id), oldest first."""
    read = list(islice(supervision.orders_in_force(query.node.store), query.limit + 1))
    alerts = [_alert("freezes", order.id, order.debtor, order.holder, order.amount_fen,
                     order.frozen_at_ms, voucher=order.voucher.hex(),
                     authority=order.authority.hex(), order_ref=order.order_ref)
              for order in read[:query.limit]]
    alerts.sort(key=lambda a: (a["since_ms"], a["subject"]))
    return Found(alerts, len(read) <= query.limit)


ALERT_SOURCES: tuple[AlertSource, ...] = (
    AlertSource("overdue", "逾期凭证", "Overdue vouchers", overdue),
    AlertSource("late_confirmations", "逾期未确权", "Late confirmations (30 days)",
                late_confirmations),
    AlertSource("concentration", "集中度", "Concentration", concentration),
    AlertSource("disputes", "异议", "Open disputes", disputes),
    AlertSource("freezes", "冻结", "Freeze orders in force", freezes),
)
SOURCES = {source.kind: source for source in ALERT_SOURCES}


async def get_alerts(request: web.Request) -> web.Response:
    """Every alert source's alerts (or one kind's), for the agency and regulators."""
    oversight_only(reader(request), "alerts")
    kind = choice_param(request, "kind", set(SOURCES))
    query = AlertQuery(request.app[NODE], request.app[REPORT_INDEX],
                       int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE),
                       int_param(request, "threshold_pct", DEFAULT_THRESHOLD_PCT, 1, 100))
    answer = []
    for source in ALERT_SOURCES:
        if kind is not None and source.kind != kind:
            continue
        found = source.find(query)
        answer.append({"kind": source.kind, "zh": source.zh, "en": source.en,
                       "alerts": found.alerts, "complete": found.complete})
    return web.json_response({"threshold_pct": query.threshold_pct,
                              "height": query.node.chain.head.height, "sources": answer})


def add_alerts(app: web.Application) -> None:
    """Register GET /v1/alerts (after add_reports: it reads the report index)."""
    app.add_routes([web.get("/v1/alerts", get_alerts)])
