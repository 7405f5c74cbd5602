"""A funder's products (banks, factors, microlenders): publish, amend, withdraw, and the
list every member reads."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts import products
from contracts.errors import LedgerError
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money, more
from wallet.units import parse_percent, parse_yuan, percent, show_time, yuan
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()

RECOURSE = {"with": True, "without": False}
PRICE_OF = {"pledge_loan": "annual rate", "factoring": "discount"}


def parse_range(text: str, what: str, parse) -> tuple[int, int]:
    """"LOW-HIGH" (or one value: both ends) parsed by `parse`."""
    low, sep, high = text.partition("-")
    if not low.strip() or (sep and not high.strip()):
        raise LedgerError("wallet.bad_range", f"{what} {text!r}: give LOW-HIGH, or one value")
    return parse(low), parse(high if sep else low)


def days(text: str) -> int:
    if not text.strip().isdecimal():
        raise LedgerError("wallet.bad_range", f"{text!r} is not a number of days")
    return int(text)


def recourse_of(kind: str, recourse: str | None) -> bool | None:
    if kind == "factoring" and recourse is None:
        raise click.UsageError("a factoring product says --recourse with or without")
    if kind == "pledge_loan" and recourse is not None:
        raise click.UsageError("--recourse is a term of factoring, not of a pledge loan")
    return None if recourse is None else RECOURSE[recourse]


def terms_from(recourse: bool | None, term: str | None, price: str | None,
               amount: str | None, terms_ref: str, current: dict | None = None
               ) -> products.Terms:
    """The terms the options give; those not given are `current`'s (a product's JSON
    terms), when amending."""
    def given(text: str | None, option: str, parse, low: str, high: str) -> tuple[int, int]:
        if text is not None:
            return parse_range(text, option, parse)
        assert current is not None
        return current[low], current[high]

    min_days, max_days = given(term, "--term", days, "min_term_days", "max_term_days")
    min_bp, max_bp = given(price, "--price", parse_percent, "min_price_bp", "max_price_bp")
    min_fen, max_fen = given(amount, "--amount", parse_yuan, "min_amount_fen",
                             "max_amount_fen")
    return products.Terms(recourse, min_days, max_days, min_bp, max_bp, min_fen, max_fen,
                          terms_ref)


def describe(p: dict) -> str:
    """A product's terms in one line: kind, recourse, term, price and amount ranges."""
    t = p["terms"]
    kind = _(p["kind"]) if t["recourse"] is None else "{} {}".format(
        _(p["kind"]), _("with recourse") if t["recourse"] else _("without recourse"))
    return _("{kind}, {min_days}–{max_days} days, {price_of} {min_price}–{max_price}, "
             "{min_amount}–{max_amount}").format(
        kind=kind, min_days=t["min_term_days"], max_days=t["max_term_days"],
        price_of=_(PRICE_OF[p["kind"]]), min_price=percent(t["min_price_bp"]),
        max_price=percent(t["max_price_bp"]), min_amount=yuan(t["min_amount_fen"]),
        max_amount=yuan(t["max_amount_fen"]))


TERM_OPTIONS = (
    click.option("--term", help="term range in days, LOW-HIGH (e.g. 30-180)"),
    click.option("--price", help="in percent, LOW-HIGH: a loan's annual interest rate, a "
                 "factoring's discount off the claim's face amount (e.g. 3.5-6)"),
    click.option("--amount", help="amount range in yuan, LOW-HIGH (e.g. 1000-500000)"),
    click.option("--terms-ref", help="where the full terms are published (a URL, a number)"),
)


def term_options(f):
    for option in reversed(TERM_OPTIONS):
        f = option(f)
    return f


@verbs.group("product")
def product_group() -> None:
    """Financing products of funders: pledge loans (质押融资) and factoring (保理)."""


@product_group.command("publish")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(products.KINDS))
@click.option("--recourse", type=click.Choice(sorted(RECOURSE)),
              help="factoring: with recourse to the seller (有追索权) or without (无追索权)")
@term_options
@tx_options
@pass_wallet
def product_publish(w: Wallet, name: str, kind: str, recourse: str | None, term: str | None,
                    price: str | None, amount: str | None, terms_ref: str | None,
                    out: Path | None, expires_in: int | None) -> None:
    """Publish the product NAME as a funder (a bank, a factor or a microlender)."""
    missing = [o for o, v in (("--term", term), ("--price", price), ("--amount", amount))
               if v is None]
    if missing:
        raise click.UsageError(f"a product states {', '.join(missing)}")
    assert term is not None and price is not None and amount is not None
    terms = terms_from(recourse_of(kind, recourse), term, price, amount, terms_ref or "")
    body = products.Publish(w.address(), name, kind, terms)
    if not w.as_json:
        click.echo(_("product {id}").format(id=products.product_id(w.address(), name).hex()))
    w.transact("product", "publish", body, out, expires_in)


@product_group.command("amend")
@click.argument("product_id")
@click.option("--recourse", type=click.Choice(sorted(RECOURSE)), help="factoring only")
@term_options
@tx_options
@pass_wallet
def product_amend(w: Wallet, product_id: str, recourse: str | None, term: str | None,
                  price: str | None, amount: str | None, terms_ref: str | None,
                  out: Path | None, expires_in: int | None) -> None:
    """Amend the terms of your product PRODUCT_ID (each one not given stays)."""
    pid = record_id(w, "product", product_id)
    listed = w.ledger.product(pid.hex())
    current = listed["terms"]
    if recourse is not None and listed["kind"] != "factoring":
        raise click.UsageError("--recourse is a term of factoring, not of a pledge loan")
    terms = terms_from(current["recourse"] if recourse is None else RECOURSE[recourse],
                       term, price, amount,
                       current["terms_ref"] if terms_ref is None else terms_ref, current)
    w.transact("product", "amend", products.Amend(w.address(), pid, terms), out, expires_in)


@product_group.command("withdraw")
@click.argument("product_id")
@tx_options
@pass_wallet
def product_withdraw(w: Wallet, product_id: str, out: Path | None,
                     expires_in: int | None) -> None:
    """Withdraw your product PRODUCT_ID (it stays on record, withdrawn)."""
    body = products.Withdraw(w.address(), record_id(w, "product", product_id))
    w.transact("product", "withdraw", body, out, expires_in)


@product_group.command("list")
@click.option("--funder", help="one funder's address (default: every funder)")
@click.option("--kind", type=click.Choice(products.KINDS))
@click.option("--status", type=click.Choice(products.STATUSES), default="listed",
              show_default=True)
@click.option("--all", "every", is_flag=True, help="withdrawn products too")
@pass_wallet
def product_list(w: Wallet, funder: str | None, kind: str | None, status: str,
                 every: bool) -> None:
    """Funders' products, every member's to read."""
    found = w.ledger.products(funder=address_of(w, funder).hex() if funder else None,
                              kind=kind, status=None if every else status)

    def table(console: Console) -> None:
        t = Table("product", "funder", "name", fixed("kind"), "recourse", fixed("days"),
                  fixed("price"), money("amount"), "status")
        for p in found["products"]:
            terms = p["terms"]
            t.add_row(
                p["id"][:10], addr(p["funder"]), escape(p["name"]), _(p["kind"]),
                {None: "-", True: pgettext("recourse", "with"),
                 False: pgettext("recourse", "without")}[terms["recourse"]],
                f"{terms['min_term_days']}–{terms['max_term_days']}",
                f"{percent(terms['min_price_bp'])}–{percent(terms['max_price_bp'])}",
                f"{yuan(terms['min_amount_fen'])}–{yuan(terms['max_amount_fen'])}",
                pgettext("product", p["status"]))
        console.print(t)
        more(console, found)

    w.emit(found, table)


@product_group.command("show")
@click.argument("product_id")
@pass_wallet
def product_show(w: Wallet, product_id: str) -> None:
    """A product: its funder, kind and terms."""
    p = w.ledger.product(record_id(w, "product", product_id).hex())

    def show(console: Console) -> None:
        ref = p["terms"]["terms_ref"]
        console.print(
            _("product {id} {name} of funder {funder}").format(
                id=p["id"], name=escape(p["name"]), funder=p["funder"]) + f"\n{describe(p)}\n"
            + (_("terms: {ref}").format(ref=escape(ref)) + "\n" if ref else "")
            + _("{status}; published {published}, last changed {changed}").format(
                status=pgettext("product", p["status"]), published=show_time(p["published_at_ms"]),
                changed=show_time(p["updated_at_ms"])), soft_wrap=True)

    w.emit(p, show)
