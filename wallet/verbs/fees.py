"""Service fees: the schedule, payments recorded, a member's account."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from contracts import fees
from contracts.identity import short
from wallet.i18n import _
from wallet.resolve import address_of
from wallet.session import Wallet, pass_wallet
from wallet.tables import money, more
from wallet.units import parse_yuan, show_time, yuan
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group("fees")
def fees_group() -> None:
    """The service fee schedule and members' fee accounts."""


@fees_group.command("schedule")
@click.option("--transfer-bp", required=True, type=click.IntRange(0, fees.MAX_RATE_BP),
              help="basis points of each amount changing holder")
@click.option("--pledge-bp", required=True, type=click.IntRange(0, fees.MAX_RATE_BP),
              help="basis points of each claim pledged")
@tx_options
@pass_wallet
def fees_schedule(w: Wallet, transfer_bp: int, pledge_bp: int, out: Path | None,
                  expires_in: int | None) -> None:
    """The agency sets the fee schedule."""
    body = fees.SetSchedule(w.address(), transfer_bp, pledge_bp)
    w.transact("fees", "set_schedule", body, out, expires_in)


@fees_group.command("paid")
@click.argument("member_address")
@click.option("--amount", required=True, help="in yuan")
@click.option("--ref", "reference", required=True, help="the payment's reference")
@tx_options
@pass_wallet
def fees_paid(w: Wallet, member_address: str, amount: str, reference: str, out: Path | None,
              expires_in: int | None) -> None:
    """The agency records that MEMBER paid fees (outside the ledger)."""
    body = fees.RecordPayment(w.address(), address_of(w, member_address), parse_yuan(amount),
                              reference)
    w.transact("fees", "record_payment", body, out, expires_in)


@fees_group.command("show")
@click.argument("member_address", required=False)
@pass_wallet
def fees_show(w: Wallet, member_address: str | None) -> None:
    """The fee schedule, and MEMBER's fee account (default: yours, with --key)."""
    schedule = w.ledger.fee_schedule()
    member = (address_of(w, member_address) if member_address
              else w.address() if w.key_path else None)
    account = None if member is None else w.ledger.fee_account(member.hex())

    def show(console: Console) -> None:
        console.print(_("fee schedule: transfers {transfer} bp, pledges {pledge} bp (set at "
                        "height {height})").format(transfer=schedule["transfer_bp"],
                                                   pledge=schedule["pledge_bp"],
                                                   height=schedule["set_height"]))
        if account is None:
            return
        console.print(_("{member}: charged {charged}, paid {paid}, owes {owed}").format(
            member=short(member or b""), charged=yuan(account["charged_fen"]),
            paid=yuan(account["paid_fen"]), owed=yuan(account["owed_fen"])))
        t = Table(Column("time", no_wrap=True), "kind", money("on"), money("rate"),
                  money("fee / paid"), "tx", "reference")
        for c in account["charges"]:
            t.add_row(show_time(c["time_ms"]), _(c["kind"]), yuan(c["base_fen"]),
                      f"{c['rate_bp']} bp", yuan(c["fee_fen"]), c["tx_id"][:10],
                      escape(c["reference"]))
        console.print(t)
        more(console, account)

    w.emit({"schedule": schedule, "account": account}, show)
