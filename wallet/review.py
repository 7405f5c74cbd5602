"""One review screen before every signature: what the transaction's bytes say, in words,
then `Sign this? [y/N]`.

The screen is made from the decoded transaction alone (never from a draft file's text):
the operation in words (wallet/review_words.py), the voucher it is about with its debtor,
due date, pledge and reservation (proven against a verified header when the caller
proved it, wallet/checks.py; else as the node shows it, and marked so), the service fee
the operation charges and to whom (contracts/fees.py), and who must sign and who has.
Every signature on what another member drafted (`sign`, `accept`), and every operation
in ANSWERS by which a member binds itself to what another asked or offered, is shown
through `review_and_confirm` and signed only on a yes: `--yes` for scripts; a run with
no terminal to ask on and no `--yes` is refused (`wallet.unconfirmed`), an answer other
than yes signs nothing (`wallet.declined`). `member rotate-key` asks the same."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from contracts import fees
from contracts.blocks import block_id
from contracts.codec import to_json
from contracts.contract import Registry
from contracts.errors import LedgerError
from contracts.identity import short, verify
from contracts.ledger import required_signers, resolve
from contracts.tx import MAX_VALIDITY_BLOCKS, Payload, Transaction, payload_id, signing_bytes
from wallet.i18n import _
from wallet.light import Follower, read_light, trust_file
from wallet.proven import VoucherProof, prove_record
from wallet.review_words import (
    NODE_WORDS,
    Look,
    accepted_quote,
    due,
    ident,
    money,
    operation_lines,
)
from wallet.shown import visible
from wallet.units import percent

QUESTION = "Sign this?"  # shown through _() when asked

# Operations a member signs alone in answer to what another member asked or offered:
# the debtor's 确权 of an application or an obligation, the agency's approval that issues
# a voucher, a debtor's acceptance of a redemption, a transferee's 签收, a holder's sale
# to its committed acquirer, a member's consent to a set-off round. Wallet.transact shows
# their review screen and signs on a yes. (Operations with co-signers go through a draft,
# and `sign` reviews each signature.)
ANSWERS: frozenset[tuple[str, str]] = frozenset({
    ("issuance", "confirm"),
    ("issuance", "approve"),
    ("obligation", "confirm"),
    ("redemption", "accept"),
    ("transfer", "sign"),
    ("acquisition", "exercise"),
    ("setoff", "consent"),
})


@dataclass(frozen=True)
class Fee:
    """A service fee an operation charges: to `payer`, of `kind` (a rate of the schedule)
    on `base_fen`; None when the base is not known before it commits."""

    payer: bytes
    kind: str
    base_fen: int | None


def _transfer_fee(look: Look, b: Any) -> Fee | None:
    t = look.record("transfer", b.transfer)
    return None if t is None else Fee(bytes.fromhex(t["holder"]), "transfer", t["amount_fen"])


def _acceptance_fee(look: Look, b: Any) -> Fee:
    """An accepted quote registers a pledge of the reserved claim (the pledge rate on it)
    or sells it (the transfer rate), as the request's kind says; the holder owes it."""
    found = accepted_quote(look, b)
    if found is None:
        return Fee(b.holder, "transfer or pledge", None)
    request = found[0]
    kind = "pledge" if request["kind"] == "pledge_loan" else "transfer"
    return Fee(b.holder, kind, request["amount_fen"])


# (contract, operation) → the fee it charges when it commits (contracts/fees.py: each
# change of holder owes the transfer rate of the amount moved, charged to the member that
# moves it; a pledge owes the pledge rate of the whole state pledged, charged to its
# holder). `voucher` is the state the screen shows, when it has one.
FEES: dict[tuple[str, str], Callable[[Look, Any, dict | None], Fee | None]] = {
    ("transfer", "transfer"): lambda look, b, v: Fee(b.holder, "transfer", b.amount_fen),
    ("transfer", "offer"): lambda look, b, v: Fee(b.holder, "transfer", b.amount_fen),
    ("transfer", "sign"): lambda look, b, v: _transfer_fee(look, b),
    ("payment", "pay"): lambda look, b, v: Fee(b.payer, "transfer", b.amount_fen),
    ("acquisition", "exercise"): lambda look, b, v: Fee(b.holder, "transfer", b.amount_fen),
    ("sale", "sell"): lambda look, b, v: Fee(b.seller, "transfer", b.amount_fen),
    ("pledge", "create"): lambda look, b, v: Fee(b.holder, "pledge",
                                                 None if v is None else v["amount_fen"]),
    ("financing", "accept"): lambda look, b, v: _acceptance_fee(look, b),
}


def fee_lines(look: Look, contract: str, operation: str, body: Any,
              voucher: dict | None) -> list[str]:
    """The fee line: what the signer (look.me) will be charged, or who is, or none."""
    rule = FEES.get((contract, operation))
    fee = None if rule is None else rule(look, body, voucher)
    if fee is None:
        return [_("Fee: none charged by this operation.")] if rule is None else \
            [_("Fee: a service fee is charged when it commits; the node did not show how "
               "much.")]
    schedule = look.ask("fee_schedule")
    rates = {k: schedule.get(f"{k}_bp") for k in ("transfer", "pledge")} \
        if isinstance(schedule, dict) else {}
    payer = _("you") if fee.payer == look.me else look.who(fee.payer)
    rate = rates.get(fee.kind)
    kind = _(fee.kind)
    if rate is None:
        return [(_("Fee: {payer} will owe the {kind} fee of the schedule in force.") if rates
                 else _("Fee: {payer} will owe the {kind} fee of the schedule in force (the "
                        "node did not show the schedule).")).format(payer=payer, kind=kind)]
    if rate == 0:
        return [_("Fee: none (the {kind} fee rate is 0).").format(kind=kind)]
    if fee.base_fen is None:
        return [_("Fee: {payer} will owe the {kind} fee, {rate} of the amount.").format(
            payer=payer, kind=kind, rate=percent(rate))]
    owed = fees.fee_for(fee.base_fen, rate)
    text = _("Fee: {payer} will owe {owed}, the {kind} fee of {rate} on {base}.") \
        if fee.payer == look.me else \
        _("Fee: {payer} will owe {owed}, the {kind} fee of {rate} on {base}; you owe none.")
    return [text.format(payer=payer, owed=money(owed), kind=kind, rate=percent(rate),
                        base=money(fee.base_fen))]


def voucher_of(look: Look, body: Any) -> bytes | None:
    """The voucher state an operation is about: its body's, a pending transfer's, a
    pledge's, a redemption request's."""
    voucher = getattr(body, "voucher", None)
    if isinstance(voucher, bytes):
        return voucher
    if isinstance(getattr(body, "quote", None), bytes):  # a financing acceptance
        found = accepted_quote(look, body)
        return None if found is None else bytes.fromhex(found[0]["voucher"])
    for field, method in (("transfer", "transfer"), ("pledge", "pledge"),
                          ("request", "redemption")):
        named = getattr(body, field, None)
        if isinstance(named, bytes):
            found = look.record(method, named)
            if found and isinstance(found.get("voucher"), str):
                return bytes.fromhex(found["voucher"])
    return None


def voucher_lines(look: Look, voucher_id: bytes, proof: VoucherProof | None
                  ) -> tuple[list[str], dict | None]:
    """The voucher section and the state it shows (as the API's JSON of the record)."""
    if proof is not None and proof.voucher_id == voucher_id and proof.voucher is not None:
        v: dict | None = to_json(proof.voucher)
        source = _("proven at height {height} against block {block}").format(
            height=proof.height, block=short(proof.block_id))
        pledge = None if proof.pledge is None or proof.pledge.record is None \
            else to_json(proof.pledge.record)
    else:
        v = look.record("voucher", voucher_id)
        source = _("as the node shows it, not proven")
        pledge = None
        if v is not None and v.get("pledge"):
            pledge = look.record("pledge", bytes.fromhex(v["pledge"]))
    if v is None:
        return [_("Voucher {voucher}: the node did not show it.").format(
            voucher=ident(voucher_id))], None
    lines = [_("Voucher {voucher} ({source}):").format(voucher=ident(voucher_id), source=source),
             _("  debtor    {who}").format(who=look.who(v["debtor"])),
             _("  holder    {who}").format(who=look.who(v["holder"])),
             _("  amount    {amount}, {status}").format(amount=money(v["amount_fen"]),
                                                       status=_(v["status"])),
             _("  due by    {due}").format(due=due(v["due_ms"]))
             + (_(", overdue") if v.get("overdue_since_ms") is not None else "")
             + (_(", extended ×{times}").format(times=v["extensions_used"])
                if v.get("extensions_used") else "")]
    if v.get("pledge"):
        pledge_id = ident(bytes.fromhex(v["pledge"]))
        lines.append(_("  pledge    {pledge}").format(pledge=pledge_id) if pledge is None else
                     _("  pledge    {pledge}: to bank {bank}, securing {secured}, "
                       "{status}").format(pledge=pledge_id, bank=look.who(pledge["bank"]),
                                          secured=money(pledge["secured_fen"]),
                                          status=_(pledge["status"])))
    else:
        lines.append(_("  pledge    none"))
    reserved = v.get("reserved_by")
    lines.append(_("  reserved  by {by} until it is decided").format(
        by=ident(bytes.fromhex(reserved))) if reserved else _("  reserved  no"))
    record = None if proof is None or proof.voucher_id != voucher_id \
        or proof.debtor_record is None else proof.debtor_record.record
    if record is not None:  # the debtor's standing, proven with the voucher
        lines.append(_("  debtor's record: {outstanding} outstanding, {overdue} overdue, "
                       "{late} late confirmations").format(
                           outstanding=money(record.outstanding_fen),
                           overdue=record.overdue_vouchers, late=record.late_confirmations))
    return lines, v


def verified_keys(tx: Transaction) -> set[bytes]:
    """The keys whose signatures in `tx` verify over its payload. A draft's file is the
    drafter's to write: an entry naming a co-signer's key with bytes that are no
    signature must not show that co-signer as having signed (and the member sign in the
    belief that a bank, say, has agreed already)."""
    message = signing_bytes(tx.payload)
    return {s.signer for s in tx.signatures if verify(s.signer, message, s.signature)}


def signed_by(required: Iterable[bytes], keys: set[bytes],
              key_of: Callable[[bytes], bytes]) -> set[bytes]:
    """The required signers whose signature is among `keys` (verified_keys): under their
    address, or under the key `key_of` says they sign with now (the member directory's:
    a member that rotated its key signs with the new one)."""
    return {a for a in required if a in keys or key_of(a) in keys}


def signer_lines(look: Look, registry: Registry, tx: Transaction) -> list[str]:
    """Who must sign, each marked signed or to sign (a member's signature counts by the
    key its directory entry names, or by its address, and only if it verifies)."""
    keys = verified_keys(tx)
    required = required_signers(registry, tx)

    def key_of(address: bytes) -> bytes:
        member = look.member(address)
        return bytes.fromhex(member["key"]) if member and member.get("key") else address

    signed = signed_by(required, keys, key_of)
    lines = [_("Signers:")]
    for address in required:
        lines.append(f"  {look.who(address)}: "
                     f"{_('signed') if address in signed else _('to sign')}")
    lines += [_("  a signature by key {key} does not verify: not counted").format(
        key=short(s.signer)) for s in tx.signatures if s.signer not in keys]
    return lines


def standing(look: Look, p: Payload) -> tuple[list[str], LedgerError | None]:
    """Where the transaction stands against the node's chain: the screen's lines, and
    why it must not be signed, or None. Another chain's transaction (a main network's
    drafted to a member whose wallet uses a test network) binds the member there; one
    whose expiry is more than MAX_VALIDITY_BLOCKS ahead cannot commit now but can once
    the chain has grown near it, months later perhaps, when the member has forgotten it:
    the wallet never drafts either. A node that does not answer leaves both unknown."""
    status = look.ask("status")
    chain = status.get("chain_id") if isinstance(status, dict) else None
    height = status.get("height") if isinstance(status, dict) else None
    if not isinstance(chain, str) or not isinstance(height, int):
        return [_("Validity: the node did not show its chain and height; how far away the "
                  "expiry is, and on which network, is not checked.")], None
    if chain != p.chain_id:
        return [_("Validity: not the chain of the node you use ({chain}).").format(chain=chain)], \
            LedgerError("wallet.other_chain",
                        f"not signed: the transaction is for chain {p.chain_id}, your node's "
                        f"is {chain}")
    if p.expiry_height > height + MAX_VALIDITY_BLOCKS:
        start = p.expiry_height - MAX_VALIDITY_BLOCKS
        return [_("Validity: it cannot commit before height {start}, {blocks} blocks from "
                  "now (height {height}).").format(start=f"{start:,}",
                                               blocks=f"{start - height:,}",
                                               height=f"{height:,}")], \
            LedgerError("wallet.far_expiry",
                        f"not signed: the transaction expires at height "
                        f"{p.expiry_height}, more than {MAX_VALIDITY_BLOCKS} blocks after "
                        f"the chain's {height}: it could commit only much later")
    if p.expiry_height < height:
        return [_("Validity: expired already (the chain is at height {height}); it cannot "
                  "commit.").format(height=f"{height:,}")], None
    return [_("Validity: the chain is at height {height}; {blocks} blocks left to "
             "commit it.").format(
        height=f"{height:,}", blocks=f"{p.expiry_height - height:,}")], None


def check_offer_shown(look: Look, transfer_id: bytes, proof: VoucherProof) -> None:
    """Nothing when the node's pending transfer, whose words the screen shows, names the
    state proven reserved by it (wallet.checks.verify_offered) with its holder, debtor and
    amount; `wallet.bad_answer` otherwise. The node is asked again for the screen, and a
    node that lies could answer otherwise the second time than the first."""
    t, v = look.record("transfer", transfer_id), proof.voucher
    if t is None or v is None or (t.get("voucher"), t.get("holder"), t.get("debtor"),
                                  t.get("amount_fen")) != (
            proof.voucher_id.hex(), v.holder.hex(), v.debtor.hex(), v.amount_fen):
        raise LedgerError("wallet.bad_answer",
                          f"the node's transfer {transfer_id.hex()} does not say what was "
                          f"proven of the state it reserved (height {proof.height}): not "
                          "trusted, nothing signed")


def review_screen(registry: Registry, tx: Transaction, look: Look,
                  proof: VoucherProof | None = None,
                  proven: ProvenRecords | None = None) -> list[str]:
    """The review screen of `tx` as lines: the operation in words, the voucher, the fee,
    the signers; each line `visible` (wallet/shown.py), whatever text the drafter or the
    directory put in it. `proven`: records the screen reads as proven, not as the node
    says them."""
    contract, _operation, body = resolve(registry, tx)
    for kind, record_id, record in proven.records if proven is not None else ():
        look.hold_proven(kind, record_id, record)
    p = tx.payload
    if proof is not None and (contract.name, p.operation) == ("transfer", "sign"):
        check_offer_shown(look, body.transfer, proof)
    lines = [_("Transaction {id}: {contract} v{version} {operation} on chain {chain}, valid "
               "until height {expiry}").format(
                   id=short(payload_id(p)), contract=contract.name, version=contract.version,
                   operation=p.operation, chain=p.chain_id, expiry=f"{p.expiry_height:,}")]
    lines += ["  " + line if not line.startswith("  ") else line
              for line in operation_lines(look, contract.name, p.operation, body)]
    voucher = None
    voucher_id = voucher_of(look, body)
    if voucher_id is not None:
        section, voucher = voucher_lines(look, voucher_id, proof)
        lines += section
    lines += fee_lines(look, contract.name, p.operation, body, voucher)
    lines += signer_lines(look, registry, tx)
    if proven is not None:
        lines.append(_("Proven at height {height} against block {block}: the {records}.")
                     .format(height=proven.height, block=short(proven.block_id),
                             records=", ".join(_(NODE_WORDS.get(kind, kind))
                                               for kind, _id, _r in proven.records)))
    unproven = look.node_words()
    if unproven:  # a lying node could say another amount, party or term than the ledger's
        lines.append(_("What this screen says of the {records} is the node's word, not "
                       "proven.").format(records=", ".join(unproven)))
    lines += standing(look, p)[0]  # asked last: a node without the route is asked no more
    return [visible(line) for line in lines]  # no text of a member's can forge a line


# ------------------------------------------------------------------ proving an answer's records

# The records an answer's screen reads by id (review_words: an application's terms, an
# obligation, a redemption request and the offer it names), proven against a header the
# wallet's light client verified whenever the member keeps one (`trust`), so that what
# the debtor binds itself to is the ledger's, not the node's word: (provable kind, the
# body's field naming it). LINKED: the records a proven one names, proven after it.
ANSWER_RECORDS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("issuance", "confirm"): (("application", "application"),),
    ("issuance", "approve"): (("application", "application"),),
    ("obligation", "confirm"): (("obligation", "obligation"),),
    ("redemption", "accept"): (("redemption", "request"),),
}
LINKED: dict[str, tuple[tuple[str, str], ...]] = {"redemption": (("offer", "offer"),)}


@dataclass(frozen=True)
class ProvenRecords:
    """Records proven for a screen: (kind, id, the record as the API's JSON or None when
    proven absent), the last at `height` against the header `block_id`."""

    height: int
    block_id: bytes
    records: tuple[tuple[str, bytes, dict | None], ...]


def prove_answer(w: Any, contract: str, operation: str, body: Any,
                 trust: Path | None = None) -> ProvenRecords | None:
    """Prove the records the screen of the answer `body` reads (ANSWER_RECORDS, LINKED)
    with the wallet's light client (kept at `trust`, else beside the key store, as
    wallet.checks reads it); None when there is none to prove, or no light client
    (the screen then says they are the node's word). A record the node will not show this
    member is left to the node's word too; a proof that fails raises (`proof.*`)."""
    wanted = list(ANSWER_RECORDS.get((contract, operation), ()))
    light_path = trust if trust is not None or w.key_path is None \
        else trust_file(w.key_path)
    light = None if light_path is None else read_light(light_path)
    if not wanted or light is None:
        return None
    follower = Follower(w.ledger, light_path, light)
    queue = [(kind, getattr(body, field)) for kind, field in wanted]
    records: list[tuple[str, bytes, dict | None]] = []
    height, block = 0, b""
    while queue and len(records) < 8:  # a bound: each record names at most one more
        kind, record_id = queue.pop(0)
        try:
            found, header = prove_record(w.ledger, follower, kind, record_id)
        except LedgerError as e:
            if e.code in ("read.forbidden", "not_found"):
                continue
            raise
        height, block = header.height, block_id(header)
        records.append((kind, record_id,
                        None if found.record is None else to_json(found.record)))
        for linked, field in LINKED.get(kind, ()) if found.record is not None else ():
            queue.append((linked, getattr(found.record, field)))
    return ProvenRecords(height, block, tuple(records)) if records else None


# ------------------------------------------------------------------ asking


def interactive() -> bool:
    """Whether there is somebody at a terminal to ask."""
    return sys.stdin.isatty()


def confirm(yes: bool, question: str = QUESTION) -> None:
    """Go on only on a yes: `yes` given (--yes), or answered at the terminal."""
    if yes:
        return
    if not interactive():
        raise LedgerError("wallet.unconfirmed",  # the English message; the code translates
                          "not signed: no terminal to ask on; read the review above and "
                          "run again with --yes to sign without asking")
    if not click.confirm(_(question), default=False, err=True):
        raise LedgerError("wallet.declined", "not signed: you answered no")


def wallet_look(w: Any) -> Look:
    """A Look through the wallet's node client, for the wallet's member."""
    try:
        client = w.ledger
    except LedgerError:  # no node to ask (a bad --node): review from the bytes alone
        client = None
    return Look(client, w.address())


def review_and_confirm(w: Any, tx: Transaction, yes: bool,
                       proof: VoucherProof | None = None, question: str = QUESTION,
                       proven: ProvenRecords | None = None) -> None:
    """Show `tx`'s review screen on stderr and go on only on a yes (`confirm`); a
    transaction of another chain, or one that could commit only much later, is refused
    (`wallet.other_chain`, `wallet.far_expiry`: `standing`), --yes or not."""
    look = wallet_look(w)
    click.echo("\n".join(review_screen(w.registry, tx, look, proof, proven)), err=True)
    refused = standing(look, tx.payload)[1]
    if refused is not None:
        raise refused
    confirm(yes, question)
