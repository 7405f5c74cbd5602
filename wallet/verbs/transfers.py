"""Transfers and 签收: a holder offers all or part of a voucher, the transferee signs for it
(or refuses), the holder may withdraw it until then; both list what waits between them.
A transfer both sign at once goes as a draft (`transfer --cosigned --out FILE`, then the
transferee's `sign FILE`)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts import documents, transfer
from contracts.errors import LedgerError
from contracts.ledger import sign_transaction
from wallet.checks import signing_checks, verify_offered, warn_if_listed
from wallet.i18n import _
from wallet.resolve import address_of, record_id
from wallet.sentences import addr, show_documents, show_tx
from wallet.session import Wallet, pass_wallet
from wallet.tables import fixed, money, more
from wallet.units import parse_yuan, show_time, yuan
from wallet.verbs.options import (
    document_options,
    optional_address,
    pledgee_option,
    tx_options,
    voucher_id,
    yes_option,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


def parse_transfer_id(w: Wallet, text: str) -> bytes:
    return record_id(w, "transfer", text)


@verbs.command("transfer")
@click.argument("voucher")
@click.option("--to", "to", required=True, help="the transferee's address")
@click.option("--amount", required=True, help="in yuan; the rest stays with you as a new part")
@click.option("--contract-ref", required=True,
              help="the transfer contract's reference (转让合同), recorded with the transfer")
@click.option("--days", type=click.IntRange(1, transfer.MAX_SIGN_DAYS), default=7,
              show_default=True, help="the transferee signs within this many days, or the "
              "offer lapses and the part is yours to use again")
@click.option("--cosigned", is_flag=True,
              help="a transfer you and the transferee sign at once: draft it with --out, the "
                   "transferee runs `sign FILE`, then `submit FILE`")
@pledgee_option
@document_options
@tx_options
@pass_wallet
def transfer_verb(w: Wallet, voucher: str, to: str, amount: str, contract_ref: str,
                  days: int, cosigned: bool, pledgee: str | None,
                  document_files: tuple[Path, ...], document_labels: tuple[str, ...],
                  out: Path | None, expires_in: int | None) -> None:
    """Offer all or part of VOUCHER to another member (流转): the part is reserved until the
    transferee signs for it (签收; the debtor is then notified and you owe the fee),
    refuses, you withdraw the offer, or it lapses. Documents are sealed to you, the
    transferee, the agency and the regulators."""
    for path in document_files:  # before anything is sent
        documents.check_size(path.stat().st_size)
    me, transferee = w.address(), address_of(w, to)
    attached: list[dict] = []
    if document_files or document_labels:
        attached = w.attach_documents(document_files, document_labels, (me, transferee),
                                      expires_in, wait=out is not None)
    docs = tuple(bytes.fromhex(d["id"]) for d in attached)
    vid, amount_fen, bank = voucher_id(w, voucher), parse_yuan(amount), optional_address(w, pledgee)
    if cosigned:
        body = transfer.Transfer(me, vid, transferee, amount_fen, bank, contract_ref, docs)
        w.transact("transfer", "transfer", body, out, expires_in, attached)
        return
    offer = transfer.Offer(me, vid, transferee, amount_fen, bank, contract_ref, days, docs)
    if out is not None or bank is not None:  # a draft, or the bank co-signs its release
        w.transact("transfer", "offer", offer, out, expires_in, attached)
        return
    view = w.commit(sign_transaction(w.new_transaction("transfer", "offer", offer, expires_in),
                                     w.signer()))
    pending = None
    if view["status"] == "committed":
        try:
            pending = w.ledger.transfer(view["id"])
        except LedgerError:  # a light node serves its member's own records only
            pending = None

    def show(c: Console) -> None:
        show_documents(c, attached)
        show_tx(c, view)
        if pending is not None:
            c.print(_("pending transfer {id}: {to} signs it by {sign_by} with `transfer-sign "
                      "{id}`").format(id=pending["id"], to=addr(pending["to"]),
                                      sign_by=show_time(pending["sign_by_ms"])),
                    markup=False, soft_wrap=True)

    w.emit({**view, "transfer": pending, "documents": attached}, show)


@verbs.command("transfers")
@click.option("--status", type=click.Choice(transfer.STATUSES), default="pending",
              show_default=True)
@click.option("--all", "every", is_flag=True, help="whatever their status")
@pass_wallet
def transfers_verb(w: Wallet, status: str, every: bool) -> None:
    """Transfers between you and another member: those you offered and those offered to
    you, waiting for the transferee's signature unless --status or --all."""
    me = w.address().hex()
    wanted = None if every else status
    offered = w.ledger.transfers(holder=me, status=wanted)
    to_me = w.ledger.transfers(to=me, status=wanted)
    found = {"offered": offered["transfers"], "to_me": to_me["transfers"]}

    def table(console: Console) -> None:
        t = Table(fixed("transfer"), "with", money("amount"), fixed("voucher"), "contract",
                  fixed("sign by"), "status")
        for direction, rows in (("to", found["offered"]), ("from", found["to_me"])):
            for p in rows:
                other = p["to"] if direction == "to" else p["holder"]
                t.add_row(p["id"], _(direction) + f" {addr(other)}", yuan(p["amount_fen"]),
                          p["voucher"][:10], escape(p["contract_ref"]),
                          show_time(p["sign_by_ms"]), _(p["status"]))
        console.print(t)
        more(console, offered)
        more(console, to_me)

    w.emit(found, table)


@verbs.command("transfer-sign")
@click.argument("transfer_id")
@yes_option
@signing_checks
@tx_options
@pass_wallet
def transfer_sign(w: Wallet, transfer_id: str, yes: bool, trust_file: Path | None,
                  no_verify: bool, out: Path | None, expires_in: int | None) -> None:
    """Sign for the transfer TRANSFER_ID offered to you (签收): the reserved part becomes
    yours, the debtor is notified, the transferor owes the fee. The reserved voucher is
    proven first against a header your light client verified (--no-verify skips it),
    then the review screen asks `Sign this?` (--yes: without asking)."""
    tid = parse_transfer_id(w, transfer_id)
    offer = w.ledger.transfer(tid.hex())
    proof = verify_offered(w, tid, offer, trust_file, no_verify)
    warn_if_listed(w, offer["debtor"])
    w.transact("transfer", "sign", transfer.Sign(w.address(), tid), out, expires_in,
               yes=yes, proof=proof)


@verbs.command("transfer-refuse")
@click.argument("transfer_id")
@click.option("--reason", required=True, help="why you do not take it, kept in the record")
@tx_options
@pass_wallet
def transfer_refuse(w: Wallet, transfer_id: str, reason: str, out: Path | None,
                    expires_in: int | None) -> None:
    """Refuse the transfer TRANSFER_ID offered to you; the part is free again for its holder."""
    body = transfer.Refuse(w.address(), parse_transfer_id(w, transfer_id), reason)
    w.transact("transfer", "refuse", body, out, expires_in)


@verbs.command("transfer-withdraw")
@click.argument("transfer_id")
@tx_options
@pass_wallet
def transfer_withdraw(w: Wallet, transfer_id: str, out: Path | None,
                      expires_in: int | None) -> None:
    """Withdraw your offer TRANSFER_ID before its transferee signs; the part is free again."""
    body = transfer.Withdraw(w.address(), parse_transfer_id(w, transfer_id))
    w.transact("transfer", "withdraw", body, out, expires_in)

