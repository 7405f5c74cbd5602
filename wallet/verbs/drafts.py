"""Drafts that go from signer to signer as files: sign, submit, and accept a payment."""

from __future__ import annotations

import json
from pathlib import Path

import click

from contracts import payment
from contracts.errors import LedgerError
from contracts.ledger import required_signers, resolve, sign_transaction
from contracts.tx import Transaction, payload_id
from wallet.checks import signing_checks, verify_before_signing
from wallet.session import Wallet, pass_wallet
from wallet.tables import standing
from wallet.units import show_due, yuan

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="sign without asking")
@signing_checks
@pass_wallet
def sign(w: Wallet, file: Path, yes: bool, trust_file: Path | None, no_verify: bool) -> None:
    """Add your signature to the draft FILE, after showing what it does. A draft on a
    voucher that another member drafted (a pledge to your bank, a commitment you make as
    acquirer) is signed only once the voucher is proven live, held by that member and
    covering the draft's amount (wallet/checks.py), unless --no-verify."""
    tx = w.read_draft(file)
    summary = w.summary(tx)
    required = required_signers(w.registry, tx)
    me = w.address()
    # A new key co-signs its own admission to a member (membership.rotate_key,
    # recover_key) under its key's own address, not yet the member's.
    if me not in required and w.signer().address not in required:
        raise LedgerError("wallet.not_a_signer",
                          f"{me.hex()} is not among the required signers of this transaction")
    _, _, body = resolve(w.registry, tx)
    verify_before_signing(w, tx, body, trust_file, no_verify)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2), err=True)
    if not yes:
        click.confirm("Sign this transaction?", abort=True, err=True)
    signed = sign_transaction(tx, w.signer())
    w.write_draft(file, signed)
    missing = [a.hex() for a in required if a not in w.signed_for(signed)]
    w.emit({"id": summary["id"], "missing_signers": missing},
           lambda c: c.print("signed; " + (f"still to sign: {', '.join(missing)}" if missing
                                           else f"complete: `submit {file}`")))


@verbs.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--no-wait", is_flag=True, help="return once the node accepted it")
@pass_wallet
def submit(w: Wallet, file: Path, no_wait: bool) -> None:
    """Submit a fully signed draft FILE and wait for it to be committed."""
    w.submit_and_wait(w.read_draft(file), wait=not no_wait)


def payment_text(w: Wallet, tx: Transaction, body: payment.Pay) -> str:
    """What a merchant accepts, decoded from the transaction's bytes."""
    lines = [
        f"Payment {payload_id(tx.payload).hex()} on {tx.payload.chain_id}:",
        f"  payer     {body.payer.hex()}",
        f"  amount    {yuan(body.amount_fen)}",
        f"  order     {body.order_ref}",
        f"  voucher   {body.voucher.hex()}",
    ]
    if body.pledgee is not None:
        lines.append(f"  pledgee   {body.pledgee.hex()} (the bank co-signs; its pledge ends)")
    try:  # the claim behind it, as the node knows it; the check itself is the ledger's
        v = w.client.voucher(body.voucher.hex())
        payer = w.client.member(body.payer.hex())
        debtor = w.client.member(v["debtor"])
        lines[1] += f" ({payer['name']})"
        held = ("held by the payer" if v["holder"] == body.payer.hex()
                else f"held by {v['holder']}, not the payer")
        lines.append(f"  debtor    {debtor['name']}, due by {show_due(v['due_ms'])}")
        lines.append(f"  claim     {yuan(v['amount_fen'])}, {v['status']}, {held}"
                     + (f", {standing(v)}" if standing(v) else ""))
    except LedgerError as e:
        lines.append(f"  (the node did not describe the voucher: {e.code})")
    lines.append(f"  expires at height {tx.payload.expiry_height}")
    return "\n".join(lines)


@verbs.command("accept")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="accept without asking")
@signing_checks
@pass_wallet
def accept_payment(w: Wallet, file: Path, yes: bool, trust_file: Path | None,
                   no_verify: bool) -> None:
    """The merchant accepts the payment draft FILE: proves the voucher paid with (live,
    held by the payer, covering the amount; unless --no-verify), shows the payment,
    signs it and submits it."""
    tx = w.read_draft(file)
    contract, _, body = resolve(w.registry, tx)
    if (contract.name, tx.payload.operation) != ("payment", "pay"):
        raise LedgerError("wallet.not_a_payment",
                          f"{file} is a {contract.name}.{tx.payload.operation} draft, "
                          "not a merchant payment; use `sign` for other drafts")
    me = w.address()
    if body.merchant != me:
        raise LedgerError("wallet.not_the_merchant",
                          f"the payment is to merchant {body.merchant.hex()}, not to {me.hex()}")
    verify_before_signing(w, tx, body, trust_file, no_verify)
    click.echo(payment_text(w, tx, body), err=True)
    if not yes:
        click.confirm("Accept this payment?", abort=True, err=True)
    signed = sign_transaction(tx, w.signer())
    w.write_draft(file, signed)
    have = w.signed_for(signed)
    missing = [a.hex() for a in required_signers(w.registry, signed) if a not in have]
    if missing:
        w.emit({"id": payload_id(tx.payload).hex(), "missing_signers": missing},
               lambda c: c.print(f"accepted and signed; not submitted: still to sign "
                                 f"{', '.join(missing)}, then `submit {file}`"))
        return
    w.submit_and_wait(signed, wait=True)
