"""Settling with the debtor: its offers, redemption requests against them, and payment
to a merchant."""

from __future__ import annotations

from pathlib import Path

import click

from contracts import documents, payment, redemption
from wallet.resolve import address_of, record_id
from wallet.session import Wallet, pass_wallet
from wallet.units import parse_yuan
from wallet.verbs.options import (
    document_options,
    optional_address,
    pledgee_option,
    proving_answer_options,
    tx_options,
    voucher_id,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group("offer")
def offer_group() -> None:
    """The debtor's offers of assets or consumption it settles claims with."""


@offer_group.command("publish")
@click.option("--kind", required=True, type=click.Choice(sorted(redemption.OFFER_KINDS)))
@click.option("--description", required=True)
@click.option("--price", required=True, help="in yuan")
@click.option("--title", "title_ref", default="",
              help="an asset's title certificate number (产权证号); required for an asset")
@click.option("--cap", default=None, help="in yuan: the most a consumption offer settles")
@tx_options
@pass_wallet
def offer_publish(w: Wallet, kind: str, description: str, price: str, title_ref: str,
                  cap: str | None, out: Path | None, expires_in: int | None) -> None:
    """Publish an offer (资产抵付 asset, or 消费抵付 consumption) as the debtor. One
    asset is offered once (its title number in no other offer); a consumption offer
    with a cap is used up by the redemptions it settles."""
    body = redemption.Publish(w.address(), kind, description, parse_yuan(price), title_ref,
                              parse_yuan(cap) if cap is not None else 0)
    w.transact("redemption", "publish", body, out, expires_in)


@offer_group.command("change")
@click.argument("offer_id")
@click.option("--description", help="(default: unchanged)")
@click.option("--price", help="in yuan (default: unchanged)")
@tx_options
@pass_wallet
def offer_change(w: Wallet, offer_id: str, description: str | None, price: str | None,
                 out: Path | None, expires_in: int | None) -> None:
    """Change the description or price of your offer OFFER_ID."""
    oid = record_id(w, "offer", offer_id)
    listed = w.ledger.offer(oid.hex()) if description is None or price is None else {}
    body = redemption.Change(
        w.address(), oid, listed["description"] if description is None else description,
        listed["price_fen"] if price is None else parse_yuan(price))
    w.transact("redemption", "change", body, out, expires_in)


@offer_group.command("withdraw")
@click.argument("offer_id")
@tx_options
@pass_wallet
def offer_withdraw(w: Wallet, offer_id: str, out: Path | None, expires_in: int | None) -> None:
    """Withdraw your offer OFFER_ID."""
    body = redemption.WithdrawOffer(w.address(), record_id(w, "offer", offer_id))
    w.transact("redemption", "withdraw_offer", body, out, expires_in)


@verbs.command("redeem")
@click.argument("voucher")
@click.option("--offer", "offer_id", required=True, help="the debtor's offer")
@click.option("--price", help="the agreed price in yuan (default: the offer's price)")
@pledgee_option
@document_options
@tx_options
@pass_wallet
def redeem_verb(w: Wallet, voucher: str, offer_id: str, price: str | None,
                pledgee: str | None, document_files: tuple[Path, ...],
                document_labels: tuple[str, ...], out: Path | None, expires_in: int | None) -> None:
    """Ask the debtor to settle VOUCHER with one of its offers (抵付); it is reserved meanwhile.
    Documents are sealed to you, the debtor, the agency and the regulators."""
    for path in document_files:  # before anything is sent, even a question
        documents.check_size(path.stat().st_size)
    oid = record_id(w, "offer", offer_id)
    vid = voucher_id(w, voucher)
    price_fen = w.ledger.offer(oid.hex())["price_fen"] if price is None else parse_yuan(price)
    attached: list[dict] = []
    if document_files or document_labels:
        debtor = bytes.fromhex(w.ledger.voucher(vid.hex())["debtor"])
        attached = w.attach_documents(document_files, document_labels, (w.address(), debtor),
                                      expires_in, wait=out is not None)
    body = redemption.Ask(w.address(), vid, oid, price_fen, optional_address(w, pledgee),
                          tuple(bytes.fromhex(d["id"]) for d in attached))
    w.transact("redemption", "request", body, out, expires_in, attached)


@verbs.group("redemption")
def redemption_group() -> None:
    """Redemption requests: the debtor accepts or declines, the holder may cancel."""


@redemption_group.command("accept")
@click.argument("request_id")
@click.option("--title-ref", default="", help="title transfer registration (asset offers)")
@click.option("--shortfall-ref", default="",
              help="the holder's money payment, when the price exceeds the claim")
@proving_answer_options
@tx_options
@pass_wallet
def redemption_accept(w: Wallet, request_id: str, title_ref: str, shortfall_ref: str,
                      yes: bool, trust_file: Path | None, out: Path | None,
                      expires_in: int | None) -> None:
    """The debtor accepts REQUEST_ID: the claim is reduced by the price (after the review
    screen asks `Sign this?`; --yes: without asking)."""
    body = redemption.Accept(w.address(), record_id(w, "redemption", request_id), title_ref,
                             shortfall_ref)
    w.transact("redemption", "accept", body, out, expires_in, yes=yes, trust=trust_file)


@redemption_group.command("decline")
@click.argument("request_id")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def redemption_decline(w: Wallet, request_id: str, reason: str, out: Path | None,
                       expires_in: int | None) -> None:
    """The debtor declines REQUEST_ID; the voucher is free again."""
    body = redemption.Decline(w.address(), record_id(w, "redemption", request_id), reason)
    w.transact("redemption", "decline", body, out, expires_in)


@redemption_group.command("cancel")
@click.argument("request_id")
@tx_options
@pass_wallet
def redemption_cancel(w: Wallet, request_id: str, out: Path | None, expires_in: int | None) -> None:
    """The holder cancels its request REQUEST_ID before the debtor decides."""
    body = redemption.Cancel(w.address(), record_id(w, "redemption", request_id))
    w.transact("redemption", "cancel", body, out, expires_in)


# ------------------------------------------------------------------ merchant payment


@verbs.command("pay")
@click.argument("voucher")
@click.option("--merchant", required=True, help="the merchant's address")
@click.option("--amount", required=True, help="in yuan; the rest stays with you")
@click.option("--order", required=True, help="the order or invoice reference")
@pledgee_option
@tx_options
@pass_wallet
def pay_verb(w: Wallet, voucher: str, merchant: str, amount: str, order: str,
             pledgee: str | None, out: Path | None, expires_in: int | None) -> None:
    """Pay a merchant with part of VOUCHER (抵付货款): draft with --out, sign it, hand the file
    to the merchant, who runs `accept FILE`."""
    body = payment.Pay(w.address(), voucher_id(w, voucher), address_of(w, merchant),
                       parse_yuan(amount), order, optional_address(w, pledgee))
    w.transact("payment", "pay", body, out, expires_in)
