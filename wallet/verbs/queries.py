"""Reads of the ledger: vouchers and their lineage, pledges, commitments, offers,
redemptions, a debtor's record, events, a transaction."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import datetime

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.tree import Tree

from contracts import issuance
from contracts.identity import short
from contracts.vouchers import VOUCHER_STATUSES
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, filter_id, record_id
from wallet.sentences import addr, show_tx
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money, more, standing
from wallet.units import CHINA, percent, show_due, yuan
from wallet.verbs.options import one_of, voucher_id

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


def voucher_table(vouchers: list[dict]) -> Table:
    t = Table(fixed("voucher"), fixed("holder"), fixed("debtor"), money("amount"),
              fixed("due by"), "status", "standing")
    for v in vouchers:
        t.add_row(v["id"][:10], addr(v["holder"]), addr(v["debtor"]), yuan(v["amount_fen"]),
                  show_due(v["due_ms"]), _(v["status"]), standing(v))
    return t


@verbs.command()
@click.option("--holder", help="holder address (default: yours)")
@click.option("--debtor", help="debtor address")
@click.option("--status", type=click.Choice(sorted(VOUCHER_STATUSES)),
              help="only states in this status (default: every state, history included)")
@pass_wallet
def vouchers(w: Wallet, holder: str | None, debtor: str | None, status: str | None) -> None:
    """Voucher states by holder or by debtor."""
    if holder is None and debtor is None:
        holder = w.address().hex()
    found = w.ledger.vouchers(holder and address_of(w, holder).hex(),
                              debtor and address_of(w, debtor).hex(), status=status)

    def table(console: Console) -> None:
        console.print(voucher_table(found["vouchers"]))
        more(console, found)

    w.emit(found, table)


@verbs.command()
@click.option("--holder", help="a holder's address (default: yours)")
@click.option("--debtor", help="a debtor's address")
@pass_wallet
def outstanding(w: Wallet, holder: str | None, debtor: str | None) -> None:
    """What is owed: a holder's live claims, or a debtor's outstanding vouchers."""
    which = one_of(holder=holder, debtor=debtor) or ("holder", w.address().hex())
    who = address_of(w, which[1]).hex()
    if which[0] == "holder":
        totals = w.ledger.holder(who)
        live = w.ledger.vouchers(holder=who, status="active")
        headline = _("{who} holds {held} in {parts} live parts").format(
            who=short(bytes.fromhex(who)), held=yuan(totals["held_fen"]),
            parts=totals["live_parts"])
    else:
        totals = w.ledger.debtor(who)
        live = w.ledger.vouchers(debtor=who, status="active")
        headline = _("{who} owes {outstanding} outstanding of {issued} issued on {vouchers} "
                     "vouchers").format(who=short(bytes.fromhex(who)),
                                        outstanding=yuan(totals["outstanding_fen"]),
                                        issued=yuan(totals["issued_fen"]),
                                        vouchers=totals["vouchers_issued"])
    data = {which[0]: who, "totals": totals, **live}

    def table(console: Console) -> None:
        console.print(headline, markup=False)
        console.print(voucher_table(live["vouchers"]))
        more(console, live)

    w.emit(data, table)


def voucher_label(v: dict, bold: bool = False) -> str:
    text = (f"{v['id'][:16]}  {yuan(v['amount_fen'])}  holder {addr(v['holder'])}  "
            f"{v['cause']}  {v['status']}")
    extra = standing(v)
    text += f"  ({extra})" if extra else ""
    return f"[bold]{escape(text)}[/bold]" if bold else escape(text)


@verbs.command()
@click.argument("voucher")
@pass_wallet
def lineage(w: Wallet, voucher: str) -> None:
    """VOUCHER's ancestors back to its issue, and every part descended from it, as a tree."""
    found = w.ledger.lineage(voucher_id(w, voucher).hex())

    def add(parent: Tree, entries: list[dict]) -> None:
        for entry in entries:
            add(parent.add(voucher_label(entry["voucher"])), entry.get("children", []))

    def tree(console: Console) -> None:
        root: Tree | None = None
        node: Tree | None = None
        for v in found["ancestors"]:
            node = Tree(voucher_label(v)) if node is None else node.add(voucher_label(v))
            root = root or node
        here = voucher_label(found["voucher"], bold=True)
        mine = Tree(here) if node is None else node.add(here)
        add(mine, found["descendants"])
        console.print(root or mine)
        if found.get("truncated"):
            console.print(_("(the tree is longer than the node shows at once)"))

    w.emit(found, tree)


def listing_verb(found: dict, key: str, columns: list[str | Column],
                 row: Callable[[dict], list[str]]) -> Callable[[Console], None]:
    def table(console: Console) -> None:
        t = Table(*columns)
        for item in found[key]:
            t.add_row(*row(item))
        console.print(t)
        more(console, found)

    return table


@verbs.command()
@click.option("--voucher", help="a voucher id")
@click.option("--origin", help="an issued voucher's id: pledges on any of its parts")
@click.option("--pledgor", help="a pledgor's address")
@click.option("--debtor", help="a debtor's address: pledges of claims on it")
@click.option("--bank", help="a bank's address (default: yours)")
@pass_wallet
def pledges(w: Wallet, voucher: str | None, origin: str | None, pledgor: str | None,
            debtor: str | None, bank: str | None) -> None:
    """The pledge registry (质押登记) by voucher, issued voucher, pledgor, debtor or bank;
    a pledge you are no party to shows as its public notice (no loan: "–")."""
    which = one_of(voucher=voucher, origin=origin, pledgor=pledgor, debtor=debtor,
                   bank=bank) or ("bank", w.address().hex())
    found = w.ledger.pledges(**{which[0]: filter_id(w, *which).hex()})

    def loan(p: dict, show: Callable[[dict], str]) -> str:
        return "–" if p.get("notice") else show(p)

    w.emit(found, listing_verb(
        found, "pledges",
        ["registration", "pledge", "voucher", "pledgor", "bank", money("secured"),
         money("loan"), "rate", Column("loan due", no_wrap=True), "中登网", "status"],
        lambda p: [p["registration_no"], p["id"][:10], p["voucher"][:10], addr(p["pledgor"]),
                   addr(p["bank"]), loan(p, lambda r: yuan(r["secured_fen"])),
                   loan(p, lambda r: yuan(r["loan_fen"])),
                   loan(p, lambda r: percent(r["loan_rate_bp"])),
                   loan(p, lambda r: show_due(r["loan_due_ms"])),
                   (p["filing"] or {}).get("number", "–"), _(p["status"])]))


@verbs.command()
@click.option("--voucher", help="a voucher id: commitments it carries")
@click.option("--acquirer", help="an acquirer's address (default: yours)")
@pass_wallet
def commitments(w: Wallet, voucher: str | None, acquirer: str | None) -> None:
    """Acquisition commitments by voucher or by acquirer."""
    which = one_of(voucher=voucher, acquirer=acquirer) or ("acquirer", w.address().hex())
    found = w.ledger.commitments(**{which[0]: filter_id(w, *which).hex()})
    w.emit(found, listing_verb(
        found, "commitments",
        ["commitment", "acquirer", "voucher", money("per ¥10,000"),
         Column("lock until", no_wrap=True), Column("expires", no_wrap=True),
         money("bought"), "status"],
        lambda q: [q["id"][:10], addr(q["acquirer"]), q["voucher"][:10],
                   f"¥{q['price_per_10000_fen']:,}", show_due(q["lock_until_ms"]),
                   show_due(q["expires_ms"]), yuan(q["exercised_fen"]),
                   pgettext("commitment", q["status"])]))


@verbs.command()
@click.option("--debtor", help="a debtor's address (default: yours)")
@pass_wallet
def offers(w: Wallet, debtor: str | None) -> None:
    """A debtor's offers of assets and consumption."""
    found = w.ledger.offers(debtor=(address_of(w, debtor) if debtor else w.address()).hex())
    w.emit(found, listing_verb(
        found, "offers", ["offer", "debtor", "kind", "description", money("price"), "status"],
        lambda o: [o["id"][:10], addr(o["debtor"]), _(o["kind"]), escape(o["description"]),
                   yuan(o["price_fen"]), pgettext("offer", o["status"])]))


def standing_verb(name: str, doc: str) -> None:
    @click.option("--debtor", help="a debtor's address (default: every debtor)")
    @pass_wallet
    def verb(w: Wallet, debtor: str | None) -> None:
        found = w.ledger.vouchers(debtor=None if debtor is None else address_of(w, debtor).hex(),
                                  status="active", standing=name)

        def table(console: Console) -> None:
            console.print(voucher_table(found["vouchers"]))
            more(console, found)

        w.emit(found, table)

    verb.__doc__ = doc
    verbs.command(name)(verb)


standing_verb("overdue", "Live vouchers past their due date with no extension left (逾期).")
standing_verb("extended", "Live vouchers whose due date moved by their extension clause (展期).")


@verbs.command()
@click.argument("debtor")
@pass_wallet
def record(w: Wallet, debtor: str) -> None:
    """A debtor's record: what it issued and owes, confirmation delays, overdue and extended."""
    r = w.ledger.debtor(address_of(w, debtor).hex())

    def show(console: Console) -> None:
        delay = r.get("average_confirmation_delay_ms")
        t = Table("", money(""), show_header=False, box=None)
        t.add_row(_("vouchers issued"), f"{r['vouchers_issued']} ({yuan(r['issued_fen'])})")
        t.add_row(_("outstanding"), yuan(r["outstanding_fen"]))
        t.add_row(_("redeemed"), yuan(r["redeemed_fen"]))
        t.add_row(_("confirmations in time"), str(r["confirmations"]))
        t.add_row(_("average confirmation delay"),
                  "-" if delay is None else _("{days:.2f} days").format(
                      days=delay / issuance.DAY_MS))
        t.add_row(_("late confirmations (30-day rule)"), str(r["late_confirmations"]))
        t.add_row(_("vouchers extended"), str(r["extended_vouchers"]))
        t.add_row(_("vouchers overdue"), str(r["overdue_vouchers"]))
        console.print(t)

    w.emit(r, show)


@verbs.command()
@click.option("--holder", help="a holder's address (default: yours)")
@click.option("--debtor", help="a debtor's address")
@pass_wallet
def redemptions(w: Wallet, holder: str | None, debtor: str | None) -> None:
    """Redemption requests by holder or by debtor."""
    which = one_of(holder=holder, debtor=debtor) or ("holder", w.address().hex())
    found = w.ledger.redemptions(**{which[0]: address_of(w, which[1]).hex()})
    w.emit(found, listing_verb(
        found, "redemptions",
        ["request", "voucher", "holder", "debtor", "offer", money("price"), money("reduced"),
         "status"],
        lambda r: [r["id"][:10], r["voucher"][:10], addr(r["holder"]), addr(r["debtor"]),
                   r["offer"][:10], yuan(r["price_fen"]), yuan(r["reduced_fen"]),
                   pgettext("redemption", r["status"])]))


def event_line(e: dict) -> str:
    at = datetime.fromtimestamp(e["time_ms"] / 1000, CHINA).strftime("%Y-%m-%d %H:%M:%S")
    return (f"{at}  #{e['height']:<7} {e['kind']:<24} {e['subject']}"
            + (f"  tx {e['tx_id'][:16]}" if e.get("tx_id") else _("  (end of block)")))


@verbs.command()
@click.option("--address", "who", help="whose events (default: yours)")
@click.option("--after", help="a cursor: only events after it")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="events per page")
@click.option("--follow", is_flag=True, help="keep printing new events as blocks commit")
@pass_wallet
def events(w: Wallet, who: str | None, after: str | None, limit: int, follow: bool) -> None:
    """The events addressed to a member: transfers it is party to, pledges, due dates..."""
    address = (address_of(w, who) if who else w.address()).hex()
    if not follow:
        found = w.ledger.member_events(address, after, limit)

        def lines(console: Console) -> None:
            for e in found["events"]:
                console.print(event_line(e), markup=False, soft_wrap=True)
            if found["next"]:
                console.print(_("(more: events --after {cursor})").format(
                    cursor=found["next"]))

        w.emit(found, lines)
        return
    cursor = after
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends following, as asked for
        while True:
            found = w.ledger.member_events(address, cursor, limit, wait_ms=25_000)
            for e in found["events"]:
                click.echo(json.dumps(e, ensure_ascii=False) if w.as_json else event_line(e))
                cursor = e["cursor"]


@verbs.group()
def tx() -> None:
    """Transactions."""


@tx.command("show")
@click.argument("tx_id")
@pass_wallet
def tx_show(w: Wallet, tx_id: str) -> None:
    """A transaction's status, block and result. TX_ID: its whole id, or its first 8 or
    more hex digits (of a transaction you may read)."""
    view = w.ledger.tx(record_id(w, "transaction", tx_id).hex())
    w.emit(view, lambda c: show_tx(c, view))
