"""Financing requests and quotes (融资需求推送): a holder asks funders to finance a claim,
funders quote or decline, and the holder accepts a quote with the funder co-signing."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts import financing
from contracts.errors import LedgerError
from wallet.checks import warn_if_listed
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money, more
from wallet.units import (
    DATE_HELP,
    parse_due,
    parse_percent,
    parse_yuan,
    percent,
    show_time,
    yuan,
)
from wallet.verbs.options import filing_options, parse_filing, tx_options, voucher_id

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()

RECOURSE = {"with": True, "without": False}


def request_id(w: Wallet, text: str) -> bytes:
    return record_id(w, "financing_request", text)


@verbs.group("finance")
def finance_group() -> None:
    """Financing requests (融资需求推送): ask funders to lend on or buy a claim, answer,
    accept."""


@finance_group.command("request")
@click.argument("voucher")
@click.option("--amount", required=True, help="the part of the claim to finance, in yuan")
@click.option("--kind", required=True, type=click.Choice(financing.KINDS))
@click.option("--term-days", required=True, type=int, help="the term you wish, in days")
@click.option("--to", "funders", multiple=True, metavar="FUNDER",
              help="a funder to ask (repeatable, at most "
              f"{financing.MAX_FUNDERS}); none: every funder")
@click.option("--open-days", type=int, default=7, show_default=True,
              help=f"how long the request stays open (at most {financing.MAX_OPEN_DAYS})")
@tx_options
@pass_wallet
def finance_request(w: Wallet, voucher: str, amount: str, kind: str, term_days: int,
                    funders: tuple[str, ...], open_days: int, out: Path | None,
                    expires_in: int | None) -> None:
    """Ask funders to finance AMOUNT of your voucher VOUCHER; the part is reserved until
    you accept a quote or withdraw, or the request lapses."""
    addresses = tuple(sorted({address_of(w, f) for f in funders}))
    body = financing.Request(w.address(), voucher_id(w, voucher), parse_yuan(amount), kind,
                             term_days, addresses, open_days)
    w.transact("financing", "request", body, out, expires_in)


def _to(r: dict) -> str:
    return _("all funders") if not r["funders"] else ", ".join(addr(f) for f in r["funders"])


@finance_group.command("requests")
@click.option("--status", type=click.Choice(financing.REQUEST_STATUSES))
@pass_wallet
def finance_requests(w: Wallet, status: str | None) -> None:
    """Your requests (made, addressed to you, or answered by you) and the open requests
    to every funder that you may answer."""
    mine = w.ledger.financing_requests(party=w.address().hex(), status=status)
    to_all = w.ledger.financing_requests(status=status) if status in (None, "open") \
        else {"requests": []}
    seen = {r["id"] for r in mine["requests"]}
    rows = mine["requests"] + [r for r in to_all["requests"] if r["id"] not in seen]
    found = {"requests": rows, "next": mine.get("next")}

    def table(console: Console) -> None:
        t = Table("request", "holder", fixed("kind"), money("amount"), fixed("days"),
                  "to", "status", "open until")
        for r in rows:
            t.add_row(r["id"][:10], addr(r["holder"]), _(r["kind"]), yuan(r["amount_fen"]),
                      str(r["term_days"]), escape(_to(r)), pgettext("financing", r["status"]),
                      show_time(r["open_until_ms"]))
        console.print(t)
        more(console, found)

    w.emit(found, table)


def describe_answer(a: dict) -> str:
    if a["status"] == "declined":
        return _("declined by {funder}: {reason}").format(funder=addr(a["funder"]),
                                                          reason=a["reason"])
    figures = _("{amount} at {rate} a year").format(amount=yuan(a["amount_fen"]),
                                                    rate=percent(a["rate_bp"]))
    if a["recourse"] is None:
        figures += _(" for {days} days, interest {interest}").format(
            days=a["term_days"], interest=yuan(a["interest_fen"]))
    else:
        figures += _(", price {price}, {recourse}").format(
            price=yuan(a["price_fen"]),
            recourse=_("with recourse") if a["recourse"] else _("without recourse"))
    return _("quote {id} of {funder}: {figures}; expires {expires}; {status}").format(
        id=a["id"], funder=addr(a["funder"]), figures=figures,
        expires=show_time(a["expires_ms"]), status=_(a["status"]))


@finance_group.command("show")
@click.argument("request")
@pass_wallet
def finance_show(w: Wallet, request: str) -> None:
    """A request with the answers you may read (the holder reads every one, a funder its
    own)."""
    r = w.ledger.financing_request(request_id(w, request).hex())

    def show(console: Console) -> None:
        console.print(
            _("request {id} of {holder}: {kind} of {amount} on voucher {voucher}, {days} "
              "days wished, to {to}\n{status}; open until {until}").format(
                id=r["id"], holder=addr(r["holder"]), kind=_(r["kind"]),
                amount=yuan(r["amount_fen"]), voucher=r["voucher"], days=r["term_days"],
                to=_to(r), status=pgettext("financing", r["status"]),
                until=show_time(r["open_until_ms"])),
            soft_wrap=True)
        for a in r["answers"]:
            console.print(describe_answer(a), soft_wrap=True, markup=False)

    w.emit(r, show)


@finance_group.command("quote")
@click.argument("request")
@click.option("--amount", required=True,
              help="yuan: a loan's principal, or the face amount of claim a sale buys")
@click.option("--rate", required=True,
              help="percent a year: a loan's interest rate, or a sale's discount rate")
@click.option("--term-days", type=int, default=0, help="a loan's term in days")
@click.option("--recourse", type=click.Choice(sorted(RECOURSE)),
              help="a sale: with recourse to the seller (有追索权) or without (无追索权)")
@click.option("--expires", help="when the quote expires (default: when the request "
              "closes): " + DATE_HELP)
@tx_options
@pass_wallet
def finance_quote(w: Wallet, request: str, amount: str, rate: str, term_days: int,
                  recourse: str | None, expires: str | None, out: Path | None,
                  expires_in: int | None) -> None:
    """Quote on REQUEST as a funder; a quote you make again replaces your earlier one."""
    asked = request_id(w, request)
    found = w.ledger.financing_request(asked.hex())
    warn_if_listed(w, found["debtor"])
    expires_ms = parse_due(expires) if expires is not None else found["open_until_ms"]
    body = financing.Quote(w.address(), asked, parse_yuan(amount), parse_percent(rate),
                           term_days, None if recourse is None else RECOURSE[recourse],
                           expires_ms)
    w.transact("financing", "quote", body, out, expires_in)


@finance_group.command("decline")
@click.argument("request")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def finance_decline(w: Wallet, request: str, reason: str, out: Path | None,
                    expires_in: int | None) -> None:
    """Decline REQUEST as a funder, saying why; you answer it no more."""
    body = financing.Decline(w.address(), request_id(w, request), reason)
    w.transact("financing", "decline", body, out, expires_in)


@finance_group.command("withdraw")
@click.argument("request")
@tx_options
@pass_wallet
def finance_withdraw(w: Wallet, request: str, out: Path | None,
                     expires_in: int | None) -> None:
    """Withdraw your open REQUEST: the part is free again, its quotes lapse."""
    body = financing.Withdraw(w.address(), request_id(w, request))
    w.transact("financing", "withdraw", body, out, expires_in)


def find_quote(w: Wallet, quote_id: bytes) -> dict:
    """Your open requests' answer `quote_id`, as the node shows it to you."""
    mine = w.ledger.financing_requests(party=w.address().hex(), status="open")
    for r in mine["requests"]:
        if r["holder"] != w.address().hex():
            continue
        for a in w.ledger.financing_request(r["id"])["answers"]:
            if a["id"] == quote_id.hex():
                return a
    raise LedgerError("wallet.unknown_quote",
                      f"no quote {quote_id.hex()} on an open request of yours")


@finance_group.command("accept")
@click.argument("quote")
@click.option("--contract-ref", required=True,
              help="the loan contract's reference (a pledge loan) or the sale contract's")
@filing_options
@click.option("--document", "document_ids", multiple=True, metavar="ID",
              help="a sale: an attached document the sale rests on (repeatable)")
@tx_options
@pass_wallet
def finance_accept(w: Wallet, quote: str, contract_ref: str, filing_no: str | None,
                   filing_from: str | None, filing_until: str | None,
                   document_ids: tuple[str, ...], out: Path | None,
                   expires_in: int | None) -> None:
    """Accept QUOTE on your request: draft it with --out FILE, sign it (`sign FILE`), and
    the funder signs it (`sign FILE`) and submits it; the pledge is registered (or the
    claim sold) when it commits, and the other quotes lapse. The --filing-* options give
    the pledge's 中登网 registration, or for a sale the transfer's (转让登记)."""
    quote_id = record_id(w, "financing_answer", quote)
    found = find_quote(w, quote_id)
    warn_if_listed(w, w.ledger.financing_request(found["request"])["debtor"])
    body = financing.Accept(w.address(), bytes.fromhex(found["funder"]), quote_id, contract_ref,
                            parse_filing(filing_no, filing_from, filing_until),
                            tuple(record_id(w, "document", d) for d in document_ids))
    w.transact("financing", "accept", body, out, expires_in)
