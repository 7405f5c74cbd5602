"""Obligations members owe each other, uploaded for set-off, and the list of what you owe
and are owed."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts import obligations
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money, more
from wallet.units import DATE_HELP, parse_due, parse_yuan, show_due, yuan
from wallet.verbs.options import (
    basis_digest,
    basis_options,
    document_options,
    one_of,
    proving_answer_options,
    tx_options,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group("obligation")
def obligation_group() -> None:
    """Obligations members owe each other, uploaded for set-off: the creditor submits, the
    debtor confirms; a confirmed one changes only with both signing."""


def obligation_id(w: Wallet, text: str) -> bytes:
    return record_id(w, "obligation", text)


@obligation_group.command("submit")
@click.option("--debtor", required=True, help="who owes you")
@click.option("--amount", required=True, help="in yuan, e.g. 120000.00")
@click.option("--due", required=True, help="due date: " + DATE_HELP)
@click.option("--basis-ref", required=True, help="the basis contract's or invoice's reference")
@basis_options
@document_options
@tx_options
@pass_wallet
def obligation_submit(w: Wallet, debtor: str, amount: str, due: str, basis_ref: str,
                      basis_file: Path | None, basis_sha256: str | None,
                      document_files: tuple[Path, ...], document_labels: tuple[str, ...],
                      out: Path | None, expires_in: int | None) -> None:
    """As the creditor, upload what DEBTOR owes you; it counts once the debtor confirms.
    Documents are sealed to both parties, the agency and the regulators."""
    owed_by = address_of(w, debtor)
    attached = w.attach_documents(document_files, document_labels, (w.address(), owed_by),
                                  expires_in, wait=out is not None)
    body = obligations.Submit(w.address(), owed_by, parse_yuan(amount), parse_due(due),
                              basis_ref,
                              basis_digest(w, basis_file, basis_sha256, w.address(), owed_by),
                              tuple(bytes.fromhex(d["id"]) for d in attached))
    w.transact("obligation", "submit", body, out, expires_in, attached)


@obligation_group.command("confirm")
@click.argument("obligation")
@proving_answer_options
@tx_options
@pass_wallet
def obligation_confirm(w: Wallet, obligation: str, yes: bool, trust_file: Path | None,
                       out: Path | None,
                       expires_in: int | None) -> None:
    """As the debtor, confirm you owe OBLIGATION, after the review screen asks `Sign
    this?` (--yes: without asking)."""
    body = obligations.Confirm(w.address(), obligation_id(w, obligation))
    w.transact("obligation", "confirm", body, out, expires_in, yes=yes, trust=trust_file)


@obligation_group.command("decline")
@click.argument("obligation")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def obligation_decline(w: Wallet, obligation: str, reason: str, out: Path | None,
                       expires_in: int | None) -> None:
    """As the debtor, say you do not owe OBLIGATION."""
    body = obligations.Decline(w.address(), obligation_id(w, obligation), reason)
    w.transact("obligation", "decline", body, out, expires_in)


@obligation_group.command("retract")
@click.argument("obligation")
@tx_options
@pass_wallet
def obligation_retract(w: Wallet, obligation: str, out: Path | None,
                       expires_in: int | None) -> None:
    """As the creditor, take back OBLIGATION before the debtor confirms it."""
    body = obligations.Retract(w.address(), obligation_id(w, obligation))
    w.transact("obligation", "retract", body, out, expires_in)


def parties(w: Wallet, obligation: str) -> tuple[bytes, bytes, bytes]:
    """The obligation's id, creditor and debtor, as the node records them."""
    oid = obligation_id(w, obligation)
    found = w.ledger.obligation(oid.hex())
    return oid, bytes.fromhex(found["creditor"]), bytes.fromhex(found["debtor"])


@obligation_group.command("settle")
@click.argument("obligation")
@click.option("--reference", required=True, help="the payment's reference")
@tx_options
@pass_wallet
def obligation_settle(w: Wallet, obligation: str, reference: str, out: Path | None,
                      expires_in: int | None) -> None:
    """Both parties say OBLIGATION was paid outside the ledger; draft with --out, both sign."""
    oid, creditor, debtor = parties(w, obligation)
    w.transact("obligation", "settle", obligations.Settle(creditor, debtor, oid, reference),
               out, expires_in)


@obligation_group.command("reduce")
@click.argument("obligation")
@click.option("--by", "by", required=True, help="in yuan; something must stay owed")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def obligation_reduce(w: Wallet, obligation: str, by: str, reason: str, out: Path | None,
                      expires_in: int | None) -> None:
    """Both parties reduce OBLIGATION by an amount; draft with --out, both sign."""
    by_fen = parse_yuan(by)
    oid, creditor, debtor = parties(w, obligation)
    body = obligations.Reduce(creditor, debtor, oid, by_fen, reason)
    w.transact("obligation", "reduce", body, out, expires_in)


@obligation_group.command("withdraw")
@click.argument("obligation")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def obligation_withdraw(w: Wallet, obligation: str, reason: str, out: Path | None,
                        expires_in: int | None) -> None:
    """Both parties take a confirmed OBLIGATION out of the ledger; draft with --out, both sign."""
    oid, creditor, debtor = parties(w, obligation)
    w.transact("obligation", "withdraw", obligations.Withdraw(creditor, debtor, oid, reason),
               out, expires_in)


def obligation_table(found: list[dict]) -> Table:
    t = Table(fixed("obligation"), fixed("creditor"), fixed("debtor"), money("face"),
              money("owed"), money("set off"), fixed("due by"), "status", fixed("open round"))
    for o in found:
        t.add_row(o["id"][:10], addr(o["creditor"]), addr(o["debtor"]), yuan(o["face_fen"]),
                  yuan(o["amount_fen"]), yuan(o["setoff_fen"]), show_due(o["due_ms"]),
                  pgettext("obligation", o["status"]), (o.get("open_round") or "-")[:10])
    return t


def owed_fen(found: list[dict]) -> int:
    return sum(o["amount_fen"] for o in found if o["status"] == obligations.LIVE)


@verbs.command("obligations")
@click.option("--creditor", help="a creditor's address")
@click.option("--debtor", help="a debtor's address")
@click.option("--status", type=click.Choice(sorted(obligations.STATUSES)),
              help="only obligations in this status")
@pass_wallet
def obligations_verb(w: Wallet, creditor: str | None, debtor: str | None,
                     status: str | None) -> None:
    """Obligations by creditor or by debtor (default: what you owe and what you are owed)."""
    which = one_of(creditor=creditor, debtor=debtor)
    if which is not None:
        found = w.ledger.obligations(**{which[0]: address_of(w, which[1]).hex()}, status=status)

        def table(console: Console) -> None:
            console.print(obligation_table(found["obligations"]))
            console.print(_("confirmed and still owed: {owed}").format(
                owed=yuan(owed_fen(found["obligations"]))))
            more(console, found)

        w.emit(found, table)
        return
    me = w.address().hex()
    owe = w.ledger.obligations(debtor=me, status=status)
    owed = w.ledger.obligations(creditor=me, status=status)

    def tables(console: Console) -> None:
        for title, found in (("you owe", owe), ("owed to you", owed)):
            console.print(_("[bold]{title}[/bold]: {owed} confirmed and still owed").format(
                title=_(title), owed=yuan(owed_fen(found["obligations"]))))
            console.print(obligation_table(found["obligations"]))
            more(console, found)

    w.emit({"address": me, "as_debtor": owe, "as_creditor": owed}, tables)
