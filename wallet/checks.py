"""Checks before signing: a co-signer (the merchant of a payment, the bank of a pledge,
an acquirer) proves the voucher a draft is about before it signs.

The voucher is proven at the node's latest certified height (wallet/proven.py) and the
draft is refused when it is proven spent (consumed or cancelled; `wallet.voucher_spent`),
absent (`wallet.voucher_unknown`), held by another member than the one who drafted it
(`wallet.voucher_not_held`), holding less than the draft moves or secures
(`wallet.voucher_short`), or reserved by a redemption request (`wallet.voucher_reserved`:
the ledger refuses to move it until the debtor decides). A failed proof is the proof.*
error itself. The member skips all of this only by saying so (`--no-verify`).

The holder is the one the body names (`holder`, a payment's `payer`, a sale's
`seller`): it drafts and signs first (an acquirer drafts a commitment, but signs it after
the holder), since the node shows the voucher to the member asked to co-sign only once
the holder has signed (contracts.access.asked_by_draft): `wallet.holder_signs_first` until then.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.tx import Transaction
from wallet.i18n import _
from wallet.light import Follower, read_light, trust_file
from wallet.proven import VoucherProof, prove_voucher
from wallet.session import Wallet
from wallet.units import show_time, yuan

# The fields of an operation's body that say how much of the voucher it moves or secures.
AMOUNT_FIELDS = ("amount_fen", "secured_fen")


def trust_option(f: Callable) -> Callable:
    """--trust-file: where the light client state is kept (default: beside the key)."""
    return click.option(
        "--trust-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
        envvar="CLAIMLEDGER_TRUST_FILE",
        help="the light client state: the trusted genesis block id and the last verified "
        "header (default: beside the key store, KEY.light.json; or "
        "$CLAIMLEDGER_TRUST_FILE)")(f)


def trust_path(w: Wallet, given: Path | None) -> Path:
    return given if given is not None else trust_file(w.need_key_path())


def follower(w: Wallet, given: Path | None) -> Follower:
    """The wallet's light client, from its trust file: `wallet.no_trust` when there is
    none yet."""
    path = trust_path(w, given)
    light = read_light(path)
    if light is None:
        raise LedgerError("wallet.no_trust",
                          f"no light client state at {path}: read the genesis block id from "
                          "your own copy of the network (`claimledger-node genesis-id "
                          "--network genesis.json`) and run `claimledger-wallet trust ID` "
                          "once")
    return Follower(w.ledger, path, light)


@dataclass(frozen=True)
class Claim:
    """What a draft says about the voucher it names."""

    voucher: bytes
    holder: bytes  # the holder it names (the body's holder, or a payment's payer)
    amount_fen: int | None  # how much it moves or secures, if it says


def claim_of(body: Any) -> Claim | None:
    """The voucher claim an operation's body makes, if it names a voucher."""
    voucher = getattr(body, "voucher", None)
    holder = getattr(body, "holder", None) or getattr(body, "payer", None) \
        or getattr(body, "seller", None)  # a sale to a funder (contracts.sale)
    if not isinstance(voucher, bytes) or not isinstance(holder, bytes):
        return None
    amounts = [getattr(body, f) for f in AMOUNT_FIELDS if isinstance(getattr(body, f, None),
                                                                     int)]
    if isinstance(getattr(body, "amounts_fen", None), tuple):  # a split moves all of it
        amounts.append(sum(body.amounts_fen))
    return Claim(voucher, holder, max(amounts) if amounts else None)


def refusal(claim: Claim, p: VoucherProof) -> LedgerError | None:
    """Why a draft making `claim` must not be signed given what was proven, or None."""
    where = f"(proven at height {p.height} against block {p.block_id.hex()})"
    v = p.voucher
    if v is None:
        return LedgerError("wallet.voucher_unknown",
                           f"voucher {claim.voucher.hex()} does not exist {where}")
    if v.status != "active":
        how = "cancelled (fully settled)" if v.status == "cancelled" else \
            "consumed: it was transferred, split or paid on since the draft was made"
        return LedgerError("wallet.voucher_spent", f"voucher {v.id.hex()} is spent, {how} "
                           f"{where}")
    if v.holder != claim.holder:
        return LedgerError("wallet.voucher_not_held",
                           f"voucher {v.id.hex()} is held by {v.holder.hex()}, not by "
                           f"{claim.holder.hex()} whom the draft names {where}")
    if claim.amount_fen is not None and claim.amount_fen > v.amount_fen:
        return LedgerError("wallet.voucher_short",
                           f"the draft says {yuan(claim.amount_fen)}; voucher {v.id.hex()} "
                           f"holds {yuan(v.amount_fen)} {where}")
    if v.reserved_by is not None:
        return LedgerError("wallet.voucher_reserved",
                           f"voucher {v.id.hex()} is reserved by redemption request "
                           f"{v.reserved_by.hex()} until the debtor decides {where}")
    return None


def holder_key(w: Wallet, holder: bytes) -> bytes:
    """The key `holder` signs with now, as the node's member directory says (its address
    until it changes); the address itself when the node does not say. Only which
    signature to wait for: the ledger checks the keys when the transaction executes."""
    try:
        return bytes.fromhex(w.ledger.member(holder.hex()).get("key") or holder.hex())
    except (LedgerError, ValueError, AttributeError):
        return holder


def verify_before_signing(w: Wallet, tx: Transaction, body: Any, trust: Path | None,
                          no_verify: bool) -> VoucherProof | None:
    """Prove the voucher the draft `tx` names, for the member about to co-sign it, and
    raise the refusal if there is one; say on stderr what was verified (or that it was
    not, with `no_verify`). None when there is nothing to verify: the draft names no
    voucher, or the signer is the holder it names."""
    claim = claim_of(body)
    if claim is None or claim.holder == w.address():
        return None
    if no_verify:
        click.echo(_("warning: voucher {voucher} NOT verified (--no-verify): you sign on the "
                     "holder's word alone").format(voucher=claim.voucher.hex()), err=True)
        return None
    if holder_key(w, claim.holder) not in {s.signer for s in tx.signatures}:
        raise LedgerError("wallet.holder_signs_first",
                          f"the holder {claim.holder.hex()} has not signed this draft yet: "
                          "the node shows you the voucher to verify once it has; have it "
                          "signed first (or sign unverified with --no-verify)")
    proof = prove_voucher(w.ledger, follower(w, trust), claim.voucher, encode(tx))
    refused = refusal(claim, proof)
    if refused is not None:
        raise refused
    assert proof.voucher is not None  # refusal() refuses an absent voucher
    click.echo(_("voucher {voucher} verified at height {height} against block {block}: "
                 "{status}, held by {holder}, {amount}").format(
        voucher=claim.voucher.hex(), height=proof.height, block=proof.block_id.hex(),
        status=_(proof.status), holder=proof.voucher.holder.hex(),
        amount=yuan(proof.voucher.amount_fen)), err=True)
    warn_if_listed(w, proof.voucher.debtor)
    return proof


def verify_offered(w: Wallet, transfer_id: bytes, offer: dict, trust: Path | None,
                   no_verify: bool) -> VoucherProof | None:
    """Prove the state pending transfer `transfer_id` (as the node shows it, `offer`)
    reserved for the member about to sign for it (签收): live, held by the member that
    offered it, and reserved by this very transfer, so it is the state the signature
    moves whole; raise the refusal if not, say what was verified and return the proof
    (None with `no_verify`).

    The offer is the node's word, and which voucher it names too: a node that named
    another live voucher of the transferor's, reserved by nothing, would have it proven
    and shown while the transfer moves the state it really reserved. So the proven state
    must be reserved by `transfer_id` (an offer reserves the part it moves, as one state
    of exactly its amount: contracts.transfer.offer), and the offer must say what was
    proven (`wallet.bad_answer` otherwise)."""
    voucher = bytes.fromhex(offer["voucher"])
    if no_verify:
        click.echo(_("warning: voucher {voucher} NOT verified (--no-verify): you sign for it "
                     "on the transferor's word alone").format(voucher=voucher.hex()), err=True)
        return None
    proven = proof = prove_voucher(w.ledger, follower(w, trust), voucher)
    v = proof.voucher
    if v is not None and v.status == "active":
        if v.reserved_by != transfer_id:
            raise LedgerError("wallet.voucher_reserved",
                              f"voucher {v.id.hex()} is reserved by "
                              f"{v.reserved_by.hex() if v.reserved_by else 'nothing'}, not by "
                              f"transfer {transfer_id.hex()} (proven at height "
                              f"{proof.height}): not the state the transfer moves")
        said = (offer.get("id"), offer.get("holder"), offer.get("amount_fen"),
                offer.get("debtor"))
        if said != (transfer_id.hex(), v.holder.hex(), v.amount_fen, v.debtor.hex()):
            raise LedgerError("wallet.bad_answer",
                              f"the node's transfer {transfer_id.hex()} does not say what "
                              f"was proven of the state it reserved (height {proof.height}): "
                              "not trusted, nothing signed")
        proof = replace(proof, voucher=replace(v, reserved_by=None))
    refused = refusal(Claim(voucher, bytes.fromhex(offer["holder"]), int(offer["amount_fen"])),
                      proof)
    if refused is not None:
        raise refused
    assert proof.voucher is not None
    click.echo(_("voucher {voucher} verified at height {height} against block {block}: held "
                 "by {holder}, {amount}, reserved for this transfer").format(
        voucher=voucher.hex(), height=proof.height, block=proof.block_id.hex(),
        holder=proof.voucher.holder.hex(), amount=yuan(proof.voucher.amount_fen)), err=True)
    return proven


def warn_if_listed(w: Wallet, debtor: bytes | str) -> None:
    """A warning line on stderr when the claim's debtor is on the blacklist (失信名单,
    contracts.credit): a member sees the listing before it takes, lends on or buys the
    debtor's claims. Says nothing when the node does not answer: it decides nothing."""
    address = debtor if isinstance(debtor, str) else debtor.hex()
    try:
        listing = w.ledger.credit_debtor(address).get("listing")
    except LedgerError:
        return
    if listing and listing["status"] == "listed":
        click.echo(_("warning: the debtor {address} is on the blacklist (失信名单) since "
                     "{since}: {reason}").format(address=address,
                                                 since=show_time(listing["listed_at_ms"]),
                                                 reason=listing["reason"]), err=True)


def no_verify_option(f: Callable) -> Callable:
    return click.option("--no-verify", is_flag=True,
                        help="sign without proving the voucher first (a warning says so)")(f)


def signing_checks(f: Callable) -> Callable:
    """The options of a verb that verifies before it signs: --trust-file, --no-verify."""
    return functools.reduce(lambda g, option: option(g), (no_verify_option, trust_option), f)
