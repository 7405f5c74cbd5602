"""Sales of claims to funders (保理): the seller drafts a sale of a voucher or of a
confirmed obligation, priced by the ledger's rule, for the buyer to co-sign; the buyer
turns an overdue claim sold with recourse back; parties list and read their sales."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts import pricing, sale
from contracts.errors import LedgerError
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money, more
from wallet.units import parse_percent, parse_yuan, percent, show_due, show_time, yuan
from wallet.verbs.options import (
    document_options,
    filing_options,
    optional_address,
    parse_filing,
    pledgee_option,
    tx_options,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()

RECOURSE = {"with": True, "without": False}


def price_text(face_fen: int, rate_bp: int, days: int, valid_until_ms: int) -> str:
    """The price the ledger will require, and how it follows from face, rate and days."""
    price = pricing.discounted_fen(face_fen, rate_bp, days)
    return _("price {price}: {face} less the discount of {discount} at {rate} a year for "
             "{days} days (ACT/360, the discount rounded down to the fen); the ledger takes "
             "this price in blocks up to {until}, when a day less remains to the due date: "
             "sign and submit by then, or draft again").format(
        price=yuan(price), face=yuan(face_fen), discount=yuan(face_fen - price),
        rate=percent(rate_bp), days=days, until=show_time(valid_until_ms))


def priced(w: Wallet, face_fen: int, rate_bp: int, due_ms: int) -> tuple[int, int]:
    """The price of `face_fen` due at `due_ms` at `rate_bp`, counted from the node's latest
    block (the ledger counts from the block the sale lands in), and when it stops holding."""
    now_ms = w.ledger.status()["time_ms"]
    days = pricing.whole_days(now_ms, due_ms)
    if days == 0 and now_ms >= due_ms:
        raise LedgerError("sale.due", "the claim is due already: it is collected, not sold")
    price = pricing.discounted_fen(face_fen, rate_bp, days)
    click.echo(price_text(face_fen, rate_bp, days, due_ms - days * pricing.DAY_MS), err=True)
    return price, days


def sale_terms(f):
    for option in reversed((
        click.option("--buyer", required=True, help="the funder's address (bank, factor, "
                     "microlender)"),
        click.option("--amount", required=True, help="the face amount sold, in yuan"),
        click.option("--rate", required=True, help="the annual discount rate in percent "
                     "(e.g. 6.5)"),
        click.option("--recourse", required=True, type=click.Choice(sorted(RECOURSE)),
                     help="with recourse to you if the debtor defaults (有追索权), or "
                     "without (无追索权)"),
        click.option("--contract-ref", required=True,
                     help="the factoring contract's number (保理合同编号)"),
    )):
        f = option(f)
    return f


def draft_out(out: Path | None) -> Path:
    if out is None:
        raise click.UsageError("a sale is co-signed by the buyer: give --out FILE for the "
                               "draft, `sign FILE` it, have the buyer `sign FILE`, then "
                               "`submit FILE`")
    return out


@verbs.group("sale")
def sale_group() -> None:
    """Sales of claims to funders (保理): draft, recourse, show."""


@sale_group.command("draft")
@click.argument("voucher")
@sale_terms
@pledgee_option
@filing_options
@document_options
@tx_options
@pass_wallet
def sale_draft(w: Wallet, voucher: str, buyer: str, amount: str, rate: str, recourse: str,
               contract_ref: str, pledgee: str | None, filing_no: str | None,
               filing_from: str | None, filing_until: str | None,
               document_files: tuple[Path, ...], document_labels: tuple[str, ...],
               out: Path | None, expires_in: int | None) -> None:
    """Draft the sale of AMOUNT of VOUCHER you hold to a funder, at the price the ledger
    computes from the rate and the days to the due date (shown before anything is
    written). Documents (the factoring contract) are sealed to you and the buyer."""
    out = draft_out(out)
    vid = record_id(w, "voucher", voucher)
    to = address_of(w, buyer)
    face_fen, rate_bp = parse_yuan(amount), parse_percent(rate)
    price_fen, _ = priced(w, face_fen, rate_bp, w.ledger.voucher(vid.hex())["due_ms"])
    attached = w.attach_documents(document_files, document_labels, (w.address(), to),
                                  expires_in, wait=True)
    body = sale.Sell(w.address(), to, vid, face_fen, rate_bp, price_fen, RECOURSE[recourse],
                     contract_ref, tuple(bytes.fromhex(d["id"]) for d in attached),
                     optional_address(w, pledgee), parse_filing(filing_no, filing_from,
                                                             filing_until))
    w.transact("sale", "sell", body, out, expires_in, attached)


@sale_group.command("draft-obligation")
@click.argument("obligation")
@sale_terms
@filing_options
@document_options
@tx_options
@pass_wallet
def sale_draft_obligation(w: Wallet, obligation: str, buyer: str, amount: str, rate: str,
                          recourse: str, contract_ref: str, filing_no: str | None,
                          filing_from: str | None, filing_until: str | None,
                          document_files: tuple[Path, ...], document_labels: tuple[str, ...],
                          out: Path | None, expires_in: int | None) -> None:
    """Draft the sale of AMOUNT of a confirmed OBLIGATION owed to you to a funder, priced
    as a voucher sale is, to its due date."""
    out = draft_out(out)
    oid = record_id(w, "obligation", obligation)
    to = address_of(w, buyer)
    face_fen, rate_bp = parse_yuan(amount), parse_percent(rate)
    price_fen, _ = priced(w, face_fen, rate_bp, w.ledger.obligation(oid.hex())["due_ms"])
    attached = w.attach_documents(document_files, document_labels, (w.address(), to),
                                  expires_in, wait=True)
    body = sale.SellObligation(w.address(), to, oid, face_fen, rate_bp, price_fen,
                               RECOURSE[recourse], contract_ref,
                               tuple(bytes.fromhex(d["id"]) for d in attached),
                               parse_filing(filing_no, filing_from, filing_until))
    w.transact("sale", "sell_obligation", body, out, expires_in, attached)


@sale_group.command("recourse")
@click.argument("sale_id")
@tx_options
@pass_wallet
def sale_recourse(w: Wallet, sale_id: str, out: Path | None, expires_in: int | None) -> None:
    """As the buyer, give the overdue claim of SALE_ID, sold with recourse, back to its
    seller (the seller repays you outside the ledger, as your contract says)."""
    body = sale.Recourse(w.address(), record_id(w, "claim_sale", sale_id))
    w.transact("sale", "recourse", body, out, expires_in)


def describe(s: dict) -> str:
    terms = _("with recourse") if s["recourse"] else _("without recourse")
    return _("{kind} {sold} sold by {seller} to {buyer} (debtor {debtor}): face {face}, "
             "price {price} ({rate} a year for {days} days), {terms}; contract "
             "{contract}").format(
        kind=_(s["kind"]), sold=s["sold"], seller=s["seller"], buyer=s["buyer"],
        debtor=s["debtor"], face=yuan(s["face_fen"]), price=yuan(s["price_fen"]),
        rate=percent(s["rate_bp"]), days=s["days"], terms=terms, contract=s["contract_ref"])


@sale_group.command("show")
@click.argument("sale_id")
@pass_wallet
def sale_show(w: Wallet, sale_id: str) -> None:
    """A sale you are seller, buyer or debtor of."""
    s = w.ledger.sale(record_id(w, "claim_sale", sale_id).hex())

    def show(console: Console) -> None:
        status = _(s["status"]) if s["returned"] is None else \
            _("{status} on {when}: back to the seller as {returned}").format(
                status=_(s["status"]), when=show_time(s["recourse_at_ms"]),
                returned=s["returned"])
        console.print(_("sale {id}\n{terms}\nsold {when}; {status}").format(
            id=s["id"], terms=describe(s), when=show_time(s["sold_at_ms"]), status=status),
            soft_wrap=True)
        if s["filing"] is not None:
            f = s["filing"]
            console.print(_("中登网 registration {number}, {start} to {end}").format(
                number=f["number"], start=show_due(f["from_ms"]), end=show_due(f["until_ms"])))
        for document in s["documents"]:
            console.print(_("document {document}").format(document=document))

    w.emit(s, show)


@verbs.group("sales")
def sales_group() -> None:
    """Your sales of claims to funders, as seller, buyer or debtor."""


@sales_group.command("list")
@click.option("--party", help="whose sales (default: yours; the agency and regulators "
              "list anyone's)")
@click.option("--role", type=click.Choice(sale.ROLES), help="only as seller, buyer or debtor")
@click.option("--status", type=click.Choice(sale.STATUSES))
@pass_wallet
def sales_list(w: Wallet, party: str | None, role: str | None, status: str | None) -> None:
    """Sales of claims to funders a party is seller, buyer or debtor of."""
    who = address_of(w, party) if party else w.address()
    found = w.ledger.sales(who.hex(), role=role, status=status)

    def table(console: Console) -> None:
        t = Table("sale", fixed("kind"), "seller", "buyer", "debtor", money("face"),
                  money("price"), fixed("rate"), fixed("days"), "recourse", "sold",
                  "status")
        for s in found["sales"]:
            t.add_row(s["id"][:10], _(s["kind"]), addr(s["seller"]), addr(s["buyer"]),
                      addr(s["debtor"]), yuan(s["face_fen"]), yuan(s["price_fen"]),
                      percent(s["rate_bp"]), str(s["days"]),
                      pgettext("recourse", "with") if s["recourse"]
                      else pgettext("recourse", "without"), show_due(s["sold_at_ms"]),
                      _(s["status"]))
        console.print(t)
        more(console, found)

    w.emit(found, table)
