"""A voucher's holder acts on it: split, pledge to a bank (release, enforce), commit to an
acquirer who later exercises. Transfers are wallet/verbs/transfers.py's."""

from __future__ import annotations

from pathlib import Path

import click

from contracts import acquisition, pledge, transfer
from wallet.resolve import address_of, record_id
from wallet.session import Wallet, pass_wallet
from wallet.units import DATE_HELP, parse_amounts, parse_due, parse_percent, parse_yuan
from wallet.verbs.options import (
    filing_options,
    optional_address,
    parse_filing,
    pledgee_option,
    tx_options,
    voucher_id,
    yes_option,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


# ------------------------------------------------------------------ circulation


@verbs.command("split")
@click.argument("voucher")
@click.option("--amounts", required=True,
              help="the parts in yuan, comma separated (no thousands separators); "
                   "they add up to the voucher")
@pledgee_option
@tx_options
@pass_wallet
def split_verb(w: Wallet, voucher: str, amounts: str, pledgee: str | None, out: Path | None,
               expires_in: int | None) -> None:
    """Split VOUCHER into parts you keep (to pledge, pay or transfer them separately)."""
    body = transfer.Split(w.address(), voucher_id(w, voucher), parse_amounts(amounts),
                          optional_address(w, pledgee))
    w.transact("transfer", "split", body, out, expires_in)


# ------------------------------------------------------------------ pledges


@verbs.command("pledge")
@click.argument("voucher")
@click.option("--bank", required=True, help="the pledgee bank's address")
@click.option("--secured", required=True, help="the claim the pledge secures, in yuan")
@click.option("--loan", required=True, help="the loan's principal, in yuan")
@click.option("--rate", required=True, help="the loan's annual rate in percent, e.g. 4.35")
@click.option("--loan-due", required=True, help="the loan's due date: " + DATE_HELP)
@click.option("--loan-ref", required=True, help="the loan contract's reference")
@filing_options
@tx_options
@pass_wallet
def pledge_verb(w: Wallet, voucher: str, bank: str, secured: str, loan: str, rate: str,
                loan_due: str, loan_ref: str, filing_no: str | None, filing_from: str | None,
                filing_until: str | None, out: Path | None, expires_in: int | None) -> None:
    """Pledge VOUCHER to a bank (质押); you and the bank sign, so draft it with --out."""
    body = pledge.Create(w.address(), address_of(w, bank), voucher_id(w, voucher),
                         parse_yuan(secured), parse_due(loan_due), loan_ref, parse_yuan(loan),
                         parse_percent(rate), parse_filing(filing_no, filing_from, filing_until))
    w.transact("pledge", "create", body, out, expires_in)


@verbs.command("release")
@click.argument("pledge_id")
@tx_options
@pass_wallet
def release_verb(w: Wallet, pledge_id: str, out: Path | None, expires_in: int | None) -> None:
    """The bank releases its pledge PLEDGE_ID (解除质押)."""
    body = pledge.Release(w.address(), record_id(w, "pledge", pledge_id))
    w.transact("pledge", "release", body, out, expires_in)


@verbs.command("enforce")
@click.argument("pledge_id")
@tx_options
@pass_wallet
def enforce_verb(w: Wallet, pledge_id: str, out: Path | None, expires_in: int | None) -> None:
    """After the loan fell due, the bank takes the secured claim of PLEDGE_ID."""
    body = pledge.Enforce(w.address(), record_id(w, "pledge", pledge_id))
    w.transact("pledge", "enforce", body, out, expires_in)


# ------------------------------------------------------------------ acquisition


@verbs.command("commit")
@click.argument("voucher")
@click.option("--holder", required=True, help="the voucher's holder, who co-signs")
@click.option("--price-per-10000", "price", required=True, type=click.IntRange(1, 10_000),
              help="yuan paid per ¥10,000 of claim (9600 is 96% of face)")
@click.option("--lock-until", required=True, help="no sale before: " + DATE_HELP)
@click.option("--expires", required=True, help="no sale after: " + DATE_HELP)
@click.option("--terms-ref", default="", help="the acquisition agreement's reference")
@tx_options
@pass_wallet
def commit_verb(w: Wallet, voucher: str, holder: str, price: int, lock_until: str,
                expires: str, terms_ref: str, out: Path | None, expires_in: int | None) -> None:
    """The acquirer commits to buy VOUCHER's claim after a lock (收购承诺); the holder co-signs."""
    body = acquisition.Commit(w.address(), address_of(w, holder), voucher_id(w, voucher), price,
                              parse_due(lock_until), parse_due(expires), terms_ref)
    w.transact("acquisition", "commit", body, out, expires_in)


@verbs.command("uncommit")
@click.argument("commitment_id")
@tx_options
@pass_wallet
def uncommit_verb(w: Wallet, commitment_id: str, out: Path | None, expires_in: int | None) -> None:
    """The acquirer withdraws COMMITMENT_ID, before its lock ends."""
    body = acquisition.Withdraw(w.address(), record_id(w, "commitment", commitment_id))
    w.transact("acquisition", "withdraw", body, out, expires_in)


@verbs.command("exercise")
@click.argument("voucher")
@click.option("--commitment", required=True, help="the commitment the voucher carries")
@click.option("--amount", help="claim to sell, in yuan (default: all of the voucher)")
@click.option("--payment-ref", required=True, help="reference of the acquirer's payment")
@pledgee_option
@yes_option
@tx_options
@pass_wallet
def exercise_verb(w: Wallet, voucher: str, commitment: str, amount: str | None,
                  payment_ref: str, pledgee: str | None, yes: bool, out: Path | None,
                  expires_in: int | None) -> None:
    """After the lock, sell VOUCHER's claim (all or part) to the committed acquirer, after
    the review screen asks `Sign this?` (--yes: without asking)."""
    vid = voucher_id(w, voucher)
    amount_fen = (w.ledger.voucher(vid.hex())["amount_fen"] if amount is None
                  else parse_yuan(amount))
    body = acquisition.Exercise(w.address(), vid, record_id(w, "commitment", commitment),
                                amount_fen, payment_ref, optional_address(w, pledgee))
    w.transact("acquisition", "exercise", body, out, expires_in, yes=yes)
