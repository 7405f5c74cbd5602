"""Issuance: the creditor applies, the debtor confirms (确权) or declines, the agency
approves or rejects; applications are listed by party."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from contracts import issuance
from contracts.identity import short
from wallet.i18n import pgettext
from wallet.resolve import address_of, record_id
from wallet.review import ANSWER_RECORDS, ANSWERS
from wallet.session import Wallet, pass_wallet
from wallet.units import DATE_HELP, parse_due, parse_yuan, show_time, yuan
from wallet.verbs.options import (
    basis_digest,
    basis_options,
    document_options,
    proving_answer_options,
    tx_options,
    yes_option,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.command()
@click.option("--debtor", required=True, help="the debtor's address")
@click.option("--amount", required=True, help="in yuan, e.g. 1250000.00")
@click.option("--due", required=True, help="due date: " + DATE_HELP)
@click.option("--asset", is_flag=True, help="settled by the debtor's assets (资产抵付)")
@click.option("--consumption", is_flag=True, help="settled by consumption (消费抵付)")
@click.option("--extension-days", type=click.IntRange(0, issuance.MAX_EXTENSION_DAYS),
              default=0, help="extension clause (展期): days per extension, 0 for none")
@click.option("--extensions", "extension_max", type=click.IntRange(0, issuance.MAX_EXTENSIONS),
              default=None, help="how many times it may extend (default 1 with a clause)")
@click.option("--basis-ref", required=True, help="the basis contract's reference")
@basis_options
@document_options
@tx_options
@pass_wallet
def apply(w: Wallet, debtor: str, amount: str, due: str, asset: bool, consumption: bool,
          extension_days: int, extension_max: int | None, basis_ref: str, basis_file: Path | None,
          basis_sha256: str | None, document_files: tuple[Path, ...],
          document_labels: tuple[str, ...], out: Path | None, expires_in: int | None) -> None:
    """The creditor applies for a voucher against DEBTOR, with its documents sealed to both
    parties, the agency and the regulators (attached first, signed by you)."""
    digest = basis_digest(w, basis_file, basis_sha256, w.address(), address_of(w, debtor))
    terms = issuance.Terms(address_of(w, debtor), parse_yuan(amount), parse_due(due), asset,
                           consumption, extension_days,
                           (1 if extension_days else 0) if extension_max is None
                           else extension_max, basis_ref, digest)
    attached = w.attach_documents(document_files, document_labels,
                                  (w.address(), terms.debtor), expires_in, wait=out is not None)
    body = issuance.Apply(w.address(), terms, tuple(bytes.fromhex(d["id"]) for d in attached))
    w.transact("issuance", "apply", body, out, expires_in, attached)


def application_verb(name: str, make: Callable[[bytes, bytes, dict], Any], doc: str,
                     reason: bool = False) -> None:
    """A verb on an application; one that answers it (review.ANSWERS: the debtor's 确权,
    the agency's approval) is signed after its review screen, and takes --yes."""
    @click.argument("application_id")
    @tx_options
    @pass_wallet
    def verb(w: Wallet, application_id: str, out: Path | None, expires_in: int | None,
             reason: str = "", yes: bool = False, trust_file: Path | None = None) -> None:
        body = make(w.address(), record_id(w, "application", application_id),
                    {"reason": reason})
        w.transact("issuance", name, body, out, expires_in, yes=yes, trust=trust_file)

    verb.__doc__ = doc
    if reason:
        verb = click.option("--reason", required=True)(verb)
    if ("issuance", name) in ANSWERS:
        verb = proving_answer_options(verb) if ("issuance", name) in ANSWER_RECORDS \
            else yes_option(verb)
    verbs.command(name)(verb)


application_verb("confirm", lambda me, a, _: issuance.Confirm(me, a),
                 "The debtor confirms the debt of an application (确权), after the review screen "
                 "shows its terms and asks `Sign this?` (--yes: without asking).")
application_verb("decline", lambda me, a, o: issuance.Decline(me, a, o["reason"]),
                 "The debtor declines an application it does not owe (no 确权): it closes "
                 "with your reason, which does not count as a late confirmation.",
                 reason=True)
application_verb("approve", lambda me, a, _: issuance.Approve(me, a),
                 "The agency approves a confirmed application: the voucher is issued (after the "
                 "review screen; --yes: without asking).")
application_verb("reject", lambda me, a, o: issuance.Reject(me, a, o["reason"]),
                 "The agency rejects an application.", reason=True)
application_verb("withdraw", lambda me, a, _: issuance.Withdraw(me, a),
                 "The creditor withdraws its application.")


@verbs.command()
@click.option("--creditor", help="creditor address")
@click.option("--debtor", help="debtor address")
@pass_wallet
def applications(w: Wallet, creditor: str | None, debtor: str | None) -> None:
    """Issuance applications by creditor or by debtor (default: you as creditor)."""
    if creditor is None and debtor is None:
        creditor = w.address().hex()
    found = w.ledger.applications(creditor and address_of(w, creditor).hex(),
                                  debtor and address_of(w, debtor).hex())

    def table(console: Console) -> None:
        t = Table("application", "creditor", "debtor",
                  Column("amount", justify="right", no_wrap=True), "status",
                  Column("confirm by (CST)", no_wrap=True), "reason")
        for a in found["applications"]:
            # The reason of a rejection or of the debtor's decline.
            t.add_row(a["id"][:10], short(bytes.fromhex(a["creditor"])),
                      short(bytes.fromhex(a["terms"]["debtor"])),
                      yuan(a["terms"]["amount_fen"]), pgettext("application", a["status"]),
                      show_time(a["confirm_by_ms"]), escape(a["reason"]))
        console.print(t)

    w.emit(found, table)
