"""Drafts that go from signer to signer as files: sign, submit, and accept a payment."""

from __future__ import annotations

from pathlib import Path

import click

from contracts.errors import LedgerError
from contracts.ledger import required_signers, resolve, sign_transaction
from contracts.tx import payload_id
from wallet.checks import signing_checks, verify_before_signing
from wallet.i18n import _
from wallet.review import review_and_confirm
from wallet.session import Wallet, pass_wallet

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="sign without asking (after the review screen)")
@signing_checks
@pass_wallet
def sign(w: Wallet, file: Path, yes: bool, trust_file: Path | None, no_verify: bool) -> None:
    """Add your signature to the draft FILE, after showing what it does. A draft on a
    voucher that another member drafted (a pledge to your bank, a commitment you make as
    acquirer) is signed only once the voucher is proven live, held by that member and
    covering the draft's amount (wallet/checks.py), unless --no-verify."""
    tx = w.read_draft(file)
    required = required_signers(w.registry, tx)
    me = w.address()
    # A new key co-signs its own admission to a member (membership.rotate_key,
    # recover_key) under its key's own address, not yet the member's.
    if me not in required and w.signer().address not in required:
        raise LedgerError("wallet.not_a_signer",
                          f"{me.hex()} is not among the required signers of this transaction")
    body = resolve(w.registry, tx)[2]
    proof = verify_before_signing(w, tx, body, trust_file, no_verify)
    review_and_confirm(w, tx, yes, proof)
    signed = sign_transaction(tx, w.signer())
    w.write_draft(file, signed)
    missing = [a.hex() for a in required if a not in w.signed_for(signed)]
    w.emit({"id": payload_id(tx.payload).hex(), "missing_signers": missing},
           lambda c: c.print(_("signed; ") + (
               _("still to sign: {missing}").format(missing=", ".join(missing)) if missing
               else _("complete: `submit {file}`").format(file=file))))


@verbs.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--no-wait", is_flag=True, help="return once the node accepted it")
@pass_wallet
def submit(w: Wallet, file: Path, no_wait: bool) -> None:
    """Submit a fully signed draft FILE and wait for it to be committed."""
    w.submit_and_wait(w.read_draft(file), wait=not no_wait)


@verbs.command("accept")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="accept without asking (after the review screen)")
@signing_checks
@pass_wallet
def accept_payment(w: Wallet, file: Path, yes: bool, trust_file: Path | None,
                   no_verify: bool) -> None:
    """The merchant accepts the payment draft FILE: proves the voucher paid with (live,
    held by the payer, covering the amount; unless --no-verify), shows the payment,
    signs it and submits it."""
    tx = w.read_draft(file)
    contract, _operation, body = resolve(w.registry, tx)
    if (contract.name, tx.payload.operation) != ("payment", "pay"):
        raise LedgerError("wallet.not_a_payment",
                          f"{file} is a {contract.name}.{tx.payload.operation} draft, "
                          "not a merchant payment; use `sign` for other drafts")
    me = w.address()
    if body.merchant != me:
        raise LedgerError("wallet.not_the_merchant",
                          f"the payment is to merchant {body.merchant.hex()}, not to {me.hex()}")
    proof = verify_before_signing(w, tx, body, trust_file, no_verify)
    review_and_confirm(w, tx, yes, proof, "Accept this payment and sign it?")
    signed = sign_transaction(tx, w.signer())
    w.write_draft(file, signed)
    have = w.signed_for(signed)
    missing = [a.hex() for a in required_signers(w.registry, signed) if a not in have]
    if missing:
        w.emit({"id": payload_id(tx.payload).hex(), "missing_signers": missing},
               lambda c: c.print(_("accepted and signed; not submitted: still to sign "
                                   "{missing}, then `submit {file}`").format(
                   missing=", ".join(missing), file=file)))
        return
    w.submit_and_wait(signed, wait=True)
