"""Credit limits and the blacklist (contracts/credit.py): the agency's issuance limit on a
debtor, a funder's exposure limit, the blacklist and its criteria; and what they show."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts import credit
from wallet.i18n import _
from wallet.resolve import address_of
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, more
from wallet.units import parse_yuan, show_time, yuan
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group("credit")
def credit_group() -> None:
    """Issuance limits (授信额度), exposure limits (大额风险暴露) and the blacklist (失信名单)."""


@credit_group.command("limit")
@click.argument("debtor")
@click.option("--amount", required=True, help="the limit in yuan (0: no issuance)")
@click.option("--bank", help="the bank whose credit line the limit follows: it co-signs "
              "(draft with --out, then the bank runs `sign FILE`)")
@click.option("--ref", "reference", default="", help="the credit line's contract number, "
              "or the decision's reference")
@tx_options
@pass_wallet
def credit_limit(w: Wallet, debtor: str, amount: str, bank: str | None, reference: str,
                 out: Path | None, expires_in: int | None) -> None:
    """The agency sets (or changes) DEBTOR's issuance limit."""
    body = credit.SetLimit(w.address(), address_of(w, debtor), parse_yuan(amount),
                           None if bank is None else address_of(w, bank), reference)
    w.transact("credit", "set_limit", body, out, expires_in)


@credit_group.command("limit-remove")
@click.argument("debtor")
@tx_options
@pass_wallet
def credit_limit_remove(w: Wallet, debtor: str, out: Path | None,
                        expires_in: int | None) -> None:
    """The agency removes DEBTOR's issuance limit."""
    w.transact("credit", "remove_limit", credit.RemoveLimit(w.address(), address_of(w, debtor)),
               out, expires_in)


@credit_group.command("exposure-limit")
@click.argument("debtor")
@click.option("--amount", required=True, help="in yuan: the most you hold on DEBTOR, "
              "pledged to you and held by you")
@tx_options
@pass_wallet
def credit_exposure_limit(w: Wallet, debtor: str, amount: str, out: Path | None,
                          expires_in: int | None) -> None:
    """A funder sets (or changes) its exposure limit on DEBTOR."""
    body = credit.SetExposureLimit(w.address(), address_of(w, debtor), parse_yuan(amount))
    w.transact("credit", "set_exposure_limit", body, out, expires_in)


@credit_group.command("exposure-limit-remove")
@click.argument("debtor")
@tx_options
@pass_wallet
def credit_exposure_limit_remove(w: Wallet, debtor: str, out: Path | None,
                                 expires_in: int | None) -> None:
    """A funder removes its exposure limit on DEBTOR."""
    body = credit.RemoveExposureLimit(w.address(), address_of(w, debtor))
    w.transact("credit", "remove_exposure_limit", body, out, expires_in)


@credit_group.command("criteria")
@click.option("--overdue", type=click.IntRange(1, credit.MAX_RECENT), required=True,
              help="overdue vouchers within the period that allow a listing")
@click.option("--late", type=click.IntRange(1, credit.MAX_RECENT), required=True,
              help="late confirmations within the period that allow a listing")
@click.option("--days", type=click.IntRange(1, credit.MAX_PERIOD_DAYS), required=True,
              help="the period, in days back from the listing")
@tx_options
@pass_wallet
def credit_criteria(w: Wallet, overdue: int, late: int, days: int, out: Path | None,
                    expires_in: int | None) -> None:
    """The agency sets the blacklist criteria."""
    w.transact("credit", "set_criteria", credit.SetCriteria(w.address(), overdue, late, days),
               out, expires_in)


@credit_group.command("list")
@click.argument("debtor")
@click.option("--reason", required=True, help="why: shown to every member")
@tx_options
@pass_wallet
def credit_list(w: Wallet, debtor: str, reason: str, out: Path | None,
                expires_in: int | None) -> None:
    """The agency puts DEBTOR on the blacklist; its record must meet the criteria."""
    body = credit.ListDebtor(w.address(), address_of(w, debtor), reason)
    w.transact("credit", "list", body, out, expires_in)


@credit_group.command("delist")
@click.argument("debtor")
@click.option("--reason", required=True, help="why it leaves the list")
@tx_options
@pass_wallet
def credit_delist(w: Wallet, debtor: str, reason: str, out: Path | None,
                  expires_in: int | None) -> None:
    """The agency takes DEBTOR off the blacklist."""
    body = credit.Delist(w.address(), address_of(w, debtor), reason)
    w.transact("credit", "delist", body, out, expires_in)


@credit_group.command("show")
@click.argument("debtor")
@pass_wallet
def credit_show(w: Wallet, debtor: str) -> None:
    """DEBTOR's issuance limit and its use, its listing and its standing."""
    found = w.ledger.credit_debtor(address_of(w, debtor).hex())

    def show(console: Console) -> None:
        limit = found["limit"]
        used = _("{outstanding} outstanding + {pending} pending = {used}").format(
            outstanding=yuan(found["outstanding_fen"]), pending=yuan(found["pending_fen"]),
            used=yuan(found["used_fen"]))
        if limit is None:
            console.print(_("no issuance limit; used {used}").format(used=used))
        else:
            bank = _(", following bank {bank}'s line").format(bank=limit["bank"]) \
                if limit["bank"] else ""
            console.print(_("issuance limit {limit}{bank}; used {used}; available "
                            "{available}").format(limit=yuan(limit["limit_fen"]), bank=bank,
                                                  used=used,
                                                  available=yuan(found["available_fen"])))
        s = found["standing"]
        console.print(_("since {since}: {overdue} overdue vouchers, {late} late confirmations "
                        "(lifetime {overdue_all}, {late_all})").format(
            since=show_time(s["since_ms"]), overdue=s["overdue_in_period"],
            late=s["late_in_period"], overdue_all=s["overdue_vouchers"],
            late_all=s["late_confirmations"]))
        listing = found["listing"]
        if listing is not None and listing["status"] == "listed":
            since = show_time(listing["listed_at_ms"])
            console.print(_("ON THE BLACKLIST (失信名单) since {since}: {reason}").format(
                since=since, reason=escape(listing["reason"])))

    w.emit(found, show)


@credit_group.command("exposure")
@click.argument("debtor")
@click.option("--funder", help="the funder (default: you)")
@pass_wallet
def credit_exposure(w: Wallet, debtor: str, funder: str | None) -> None:
    """A funder's exposure to DEBTOR (pledged to it plus held by it) and its limit."""
    who = address_of(w, funder) if funder else w.address()
    found = w.ledger.credit_exposure(who.hex(), address_of(w, debtor).hex())

    def show(console: Console) -> None:
        limit = found["limit"]
        console.print(_("exposure {exposure} (pledged {pledged}, held {held}); ").format(
            exposure=yuan(found["exposure_fen"]), pledged=yuan(found["pledged_fen"]),
            held=yuan(found["held_fen"]))
            + (_("no limit") if limit is None else
               _("limit {limit}, available {available}").format(
                   limit=yuan(limit["limit_fen"]), available=yuan(found["available_fen"]))))

    w.emit(found, show)


@credit_group.command("blacklist")
@click.option("--all", "every", is_flag=True, help="delisted debtors too")
@pass_wallet
def credit_blacklist(w: Wallet, every: bool) -> None:
    """The blacklist (失信名单): the debtors listed now, and why."""
    found = w.ledger.blacklist("any" if every else "listed")

    def table(console: Console) -> None:
        t = Table(fixed("debtor"), "status", fixed("since"), "reason")
        for r in found["listings"]:
            t.add_row(r["debtor"], _(r["status"]), show_time(r["listed_at_ms"]),
                      escape(r["reason"] if r["status"] == "listed" else
                             _("{reason} (delisted: {why})").format(
                                 reason=r["reason"], why=r["delist_reason"])))
        console.print(t)
        more(console, found)

    w.emit(found, table)
