"""What an operation a member is asked to sign says, in words: one entry per (contract,
operation) in OPERATIONS, each a function of the decoded body giving the lines of the
review screen (wallet/review.py); an operation without an entry is shown field by field
by `generic_lines`, with the same names, yuan and dates. Adding an operation is one
entry.

Parties are named from the node's member directory (`Look`), amounts are in yuan with
the fen beside them, times in China Standard Time, ids shortened: the screen never
shows a raw fen figure or a 64-digit hex string. A node that does not answer leaves the
names out (short addresses stay), never the operation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from contracts.errors import LedgerError
from contracts.identity import short
from wallet.i18n import _
from wallet.units import percent, show_due, show_time, yuan


def money(fen: int) -> str:
    """Yuan, with the exact fen beside them: ¥888.88 (88,888 fen)."""
    return _("{yuan} ({fen} fen)").format(yuan=yuan(fen), fen=f"{fen:,}")


def when(ms: int) -> str:
    """A moment in China Standard Time."""
    return _("{time} China time").format(time=show_time(ms))


def due(ms: int) -> str:
    """A due date (24:00 China time of the day shown)."""
    return _("{day} (China time)").format(day=show_due(ms))


def ident(value: bytes) -> str:
    """An id (voucher, pledge, transfer...), shortened as tables show it."""
    return short(value)


# Codes after which the node is asked nothing more: unreachable or refusing the request
# itself (its signature, its key store) rather than one record.
STOP_ASKING = ("node.", "wallet.", "keystore.", "auth.", "submit.")


class Look:
    """The node's answers a review reads, each asked once; whatever the node refuses or
    lacks is None. Once the node is unreachable it is asked nothing more (a draft is
    signed offline too: the screen then names parties by address alone)."""

    def __init__(self, client: Any, me: bytes | None = None) -> None:
        self.client, self.me = client, me
        self.offline = client is None
        self._answers: dict[tuple[str, str], Any] = {}

    def ask(self, method: str, *args: str) -> Any:
        """The client's answer to `method(*args)`, or None when it has none to give."""
        key = (method, *args)
        if key not in self._answers:
            answer = None
            if not self.offline:
                try:
                    answer = getattr(self.client, method)(*args)
                except LedgerError as e:
                    # A refusal of the record (not_found, read.forbidden) concerns it alone;
                    # one of the node, the key or the request concerns every question.
                    if e.code.startswith(STOP_ASKING):
                        self.offline = True
                except (OSError, AttributeError):
                    self.offline = True
            self._answers[key] = answer
        return self._answers[key]

    def record(self, method: str, record_id: bytes) -> dict | None:
        found = self.ask(method, record_id.hex())
        return found if isinstance(found, dict) else None

    def member(self, address: bytes) -> dict | None:
        return self.record("member", address)

    def who(self, address: bytes | str | None) -> str:
        """A party by name and short address: 鑫禾供应链 (ab12cd34…9f01), "you" marked."""
        if address is None:
            return _("nobody")
        raw = bytes.fromhex(address) if isinstance(address, str) else address
        found = self.member(raw)
        name = found.get("name") if found else None
        text = f"{name} ({short(raw)})" if name else \
            _("{address} (not in the directory)").format(address=short(raw))
        return text[:-1] + _(", you)") if raw == self.me else text


Lines = list[str]
Entry = Callable[[Look, Any], Lines]


def _documents(b: Any) -> Lines:
    docs = getattr(b, "documents", ()) or ()
    return [_("Documents named: {documents}.").format(
        documents=", ".join(ident(d) for d in docs))] if docs else []


def _pledgee(look: Look, b: Any) -> Lines:
    bank = getattr(b, "pledgee", None)
    return [_("The voucher is pledged to {bank}: the bank co-signs, and its pledge on the "
              "part moved ends.").format(bank=look.who(bank))] if bank else []


def _filing(b: Any) -> Lines:
    f = getattr(b, "filing", None)
    if f is None:
        return [_("中登网 filing: none given.")]
    return [_("中登网 filing {number}, registered from {start} until {end}.").format(
        number=f.number, start=when(f.from_ms), end=when(f.until_ms))]


def _obligation(look: Look, obligation: bytes) -> str:
    o = look.record("obligation", obligation)
    if o is None:
        return f"obligation {ident(obligation)}"
    return (f"obligation {ident(obligation)} ({look.who(o['debtor'])} owes "
            f"{look.who(o['creditor'])} {money(o['amount_fen'])}, due by {due(o['due_ms'])})")


def transfer_transfer(look: Look, b: Any) -> Lines:
    return [_("Transfer {amount} of voucher {voucher} from {holder} to {to}, at once: both "
              "sign this transaction (转让合同 {contract}).").format(
                amount=money(b.amount_fen), voucher=ident(b.voucher), holder=look.who(b.holder),
                to=look.who(b.to), contract=b.contract_ref),
            *_pledgee(look, b), *_documents(b)]


def transfer_offer(look: Look, b: Any) -> Lines:
    return [_("Offer {amount} of voucher {voucher} from {holder} to {to} (转让合同 "
              "{contract}); the part is reserved until the transferee signs for it (签收) "
              "within {days} days.").format(
                amount=money(b.amount_fen), voucher=ident(b.voucher), holder=look.who(b.holder),
                to=look.who(b.to), contract=b.contract_ref, days=b.days),
            *_pledgee(look, b), *_documents(b)]


def transfer_sign(look: Look, b: Any) -> Lines:
    t = look.record("transfer", b.transfer)
    if t is None:
        return [_("Sign for (签收) transfer {transfer} to {to}; the node did not show the "
                  "transfer.").format(transfer=ident(b.transfer), to=look.who(b.to))]
    return [_("Sign for (签收) transfer {transfer}: {amount} of voucher {voucher} from "
              "{holder} to {to} (转让合同 {contract}); offered {offered}, to be signed by "
              "{sign_by}; {status}.").format(
                transfer=ident(b.transfer), amount=money(t["amount_fen"]),
                voucher=ident(bytes.fromhex(t["voucher"])), holder=look.who(t["holder"]),
                to=look.who(b.to), contract=t["contract_ref"],
                offered=when(t["offered_at_ms"]), sign_by=when(t["sign_by_ms"]),
                status=_(t["status"]))]


def transfer_split(look: Look, b: Any) -> Lines:
    return [_("Split voucher {voucher} of {holder} into parts of {parts}.").format(
        voucher=ident(b.voucher), holder=look.who(b.holder),
        parts=", ".join(money(a) for a in b.amounts_fen)), *_pledgee(look, b)]


def payment_pay(look: Look, b: Any) -> Lines:
    return [f"Pay merchant {look.who(b.merchant)} {money(b.amount_fen)} with voucher "
            f"{ident(b.voucher)} of {look.who(b.payer)}, for order {b.order_ref}; the "
            "merchant becomes holder of that part, the rest stays with the payer.",
            *_pledgee(look, b)]


def pledge_create(look: Look, b: Any) -> Lines:
    return [_("Pledge voucher {voucher} of {holder} to bank {bank} (质押登记), securing "
              "{secured}.").format(voucher=ident(b.voucher), holder=look.who(b.holder),
                                   bank=look.who(b.bank), secured=money(b.secured_fen)),
            _("Loan {loan}: {amount} at {rate} a year, due by {due}.").format(
                loan=b.loan_ref, amount=money(b.loan_fen), rate=percent(b.loan_rate_bp),
                due=due(b.loan_due_ms)), *_filing(b)]


def _pledge_of(look: Look, pledge: bytes) -> str:
    p = look.record("pledge", pledge)
    if p is None:
        return f"pledge {ident(pledge)}"
    return (f"pledge {ident(pledge)} (no. {p.get('registration_no')}, voucher "
            f"{ident(bytes.fromhex(p['voucher']))}, securing {money(p['secured_fen'])})")


def pledge_amend(look: Look, b: Any) -> Lines:
    return [f"Amend {_pledge_of(look, b.pledge)} of {look.who(b.pledgor)} with bank "
            f"{look.who(b.bank)}: it secures {money(b.secured_fen)}; loan {money(b.loan_fen)} "
            f"at {percent(b.loan_rate_bp)} a year, due by {due(b.loan_due_ms)}.", *_filing(b)]


def pledge_renew(look: Look, b: Any) -> Lines:
    return [f"Renew (续贷) {_pledge_of(look, b.pledge)} of {look.who(b.pledgor)} with bank "
            f"{look.who(b.bank)}: loan {b.loan_ref}, due by {due(b.loan_due_ms)}."]


def acquisition_commit(look: Look, b: Any) -> Lines:
    return [f"{look.who(b.acquirer)} commits to buy the claim of {look.who(b.holder)} on "
            f"voucher {ident(b.voucher)} at {money(b.price_per_10000_fen)} per ¥10,000.00 of "
            f"claim, from {when(b.lock_until_ms)} until {when(b.expires_ms)} (terms "
            f"{b.terms_ref})."]


def acquisition_exercise(look: Look, b: Any) -> Lines:
    return [f"Sell {money(b.amount_fen)} of voucher {ident(b.voucher)} of "
            f"{look.who(b.holder)} under acquisition commitment {ident(b.commitment)} "
            f"(payment {b.payment_ref}).", *_pledgee(look, b)]


def redemption_request(look: Look, b: Any) -> Lines:
    return [f"Ask to redeem voucher {ident(b.voucher)} of {look.who(b.holder)} for "
            f"{money(b.price_fen)} against offer {ident(b.offer)}; the voucher is reserved "
            "until the debtor decides.", *_pledgee(look, b), *_documents(b)]


def sale_sell(look: Look, b: Any) -> Lines:
    return [f"Sell (保理) {money(b.amount_fen)} of voucher {ident(b.voucher)} of "
            f"{look.who(b.seller)} to {look.who(b.buyer)} for {money(b.price_fen)}, "
            f"discounted at {percent(b.rate_bp)} a year, "
            f"{'with' if b.recourse else 'without'} recourse (合同 {b.contract_ref}).",
            *_pledgee(look, b), *_filing(b), *_documents(b)]


def sale_sell_obligation(look: Look, b: Any) -> Lines:
    return [f"Sell (保理) {money(b.amount_fen)} of {_obligation(look, b.obligation)} of "
            f"{look.who(b.creditor)} to {look.who(b.buyer)} for {money(b.price_fen)}, "
            f"discounted at {percent(b.rate_bp)} a year, "
            f"{'with' if b.recourse else 'without'} recourse (合同 {b.contract_ref}).",
            *_filing(b), *_documents(b)]


MAX_REQUESTS_SEARCHED = 32  # a holder has at most this many open requests (financing)


def accepted_quote(look: Look, b: Any) -> tuple[dict, dict] | None:
    """The request and the quote a financing acceptance names, as the node shows them to
    either party (searched among the parties' open requests), or None."""
    for party in (b.holder, b.funder):
        found = look.ask("financing_requests", party.hex(), "open")
        for r in (found or {}).get("requests", [])[:MAX_REQUESTS_SEARCHED]:
            detail = look.record("financing_request", bytes.fromhex(r["id"]))
            for a in (detail or {}).get("answers", []):
                if a.get("id") == b.quote.hex():
                    return detail, a  # type: ignore[return-value]
    return None


def financing_accept(look: Look, b: Any) -> Lines:
    lines = [f"{look.who(b.holder)} accepts quote {ident(b.quote)} of funder "
             f"{look.who(b.funder)} (contract {b.contract_ref}); the request's other quotes "
             "lapse."]
    found = accepted_quote(look, b)
    if found is None:
        lines.append("The node did not show the quote: the pledge is registered, or the "
                     "claim sold, as the quote says.")
    else:
        r, a = found
        if r["kind"] == "pledge_loan":
            lines.append(f"A pledge loan (质押融资) of {money(a['amount_fen'])} at "
                         f"{percent(a['rate_bp'])} a year for {a['term_days']} days, interest "
                         f"{money(a['interest_fen'])}: the reserved claim of "
                         f"{money(r['amount_fen'])} is pledged to the funder.")
        else:
            lines.append(f"A sale (保理) of {money(a['amount_fen'])} of claim for "
                         f"{money(a['price_fen'])}, discounted at {percent(a['rate_bp'])} a "
                         f"year, {'with' if a['recourse'] else 'without'} recourse.")
        lines.append(f"The quote expires {when(a['expires_ms'])}.")
    return [*lines, *_filing(b), *_documents(b)]


def membership_admit(look: Look, b: Any) -> Lines:
    return [f"The agency {look.who(b.agency)} admits {b.name} at address "
            f"{short(b.member)} with the roles {', '.join(b.roles)}; the member's key "
            "co-signs its admission.", *_documents(b)]


def membership_rotate_key(look: Look, b: Any) -> Lines:
    return [f"Replace the signing key of {look.who(b.member)} with the new key "
            f"{short(b.new_key)}: once committed only the new key signs for this member; "
            "both keys sign this."]


def membership_recover_key(look: Look, b: Any) -> Lines:
    return [f"The agency {look.who(b.agency)} gives {look.who(b.member)} the new key "
            f"{short(b.new_key)} after review ({b.reason}); the lost key signs nothing after.",
            *_documents(b)]


def obligation_settle(look: Look, b: Any) -> Lines:
    return [f"Record {_obligation(look, b.obligation)} as settled outside the ledger "
            f"({b.reference}); both {look.who(b.creditor)} and {look.who(b.debtor)} sign."]


def obligation_reduce(look: Look, b: Any) -> Lines:
    return [f"Reduce {_obligation(look, b.obligation)} by {money(b.by_fen)}: {b.reason}; "
            f"both {look.who(b.creditor)} and {look.who(b.debtor)} sign."]


def obligation_withdraw(look: Look, b: Any) -> Lines:
    return [f"Withdraw {_obligation(look, b.obligation)}: {b.reason}; both "
            f"{look.who(b.creditor)} and {look.who(b.debtor)} sign."]


def credit_set_limit(look: Look, b: Any) -> Lines:
    with_bank = f", agreed with bank {look.who(b.bank)}" if b.bank else ""
    return [f"Set the credit limit (授信额度) of debtor {look.who(b.debtor)} to "
            f"{money(b.limit_fen)}{with_bank}; set by {look.who(b.agency)}"
            + (f" (reference {b.reference})" if b.reference else "") + "."]


def supervision_void_agreed(look: Look, b: Any) -> Lines:
    return [f"Void (作废) voucher {ident(b.voucher)} as agreed by creditor "
            f"{look.who(b.creditor)} and debtor {look.who(b.debtor)}, with the agency "
            f"{look.who(b.agency)}: every live part leaves circulation.",
            f"Reason: {b.reason}. Agreement document sha256 {short(b.agreement_sha256)}."]


def setoff_consent(look: Look, b: Any) -> Lines:
    r = look.ask("setoff_round", b.round.hex(), b.member.hex())
    if not isinstance(r, dict):
        return [f"Consent, as {look.who(b.member)}, to set-off round {ident(b.round)}; the "
                "node did not show the round."]
    ask = next((a for a in r.get("asks", []) if a.get("member") == b.member.hex()), None)
    lines = [f"Consent, as {look.who(b.member)}, to set-off round {r.get('round_no', '?')} "
             f"({ident(b.round)}): it clears {money(r['cleared_fen'])} on "
             f"{len(r.get('legs', []))} debts once every member consents, by "
             f"{when(r['deadline_ms'])}."]
    if ask is not None:
        lines.append(f"Of yours it clears {money(ask['cleared_of_fen'])} you owe and "
                     f"{money(ask['cleared_to_fen'])} owed to you.")
    return lines


# (contract, operation) → the lines saying what it does. Every operation another party
# drafts for the member to co-sign has one; so do those signed after another's offer.
OPERATIONS: dict[tuple[str, str], Entry] = {
    ("transfer", "transfer"): transfer_transfer,
    ("transfer", "offer"): transfer_offer,
    ("transfer", "sign"): transfer_sign,
    ("transfer", "split"): transfer_split,
    ("payment", "pay"): payment_pay,
    ("pledge", "create"): pledge_create,
    ("pledge", "amend"): pledge_amend,
    ("pledge", "renew"): pledge_renew,
    ("acquisition", "commit"): acquisition_commit,
    ("acquisition", "exercise"): acquisition_exercise,
    ("redemption", "request"): redemption_request,
    ("sale", "sell"): sale_sell,
    ("sale", "sell_obligation"): sale_sell_obligation,
    ("financing", "accept"): financing_accept,
    ("membership", "admit"): membership_admit,
    ("membership", "rotate_key"): membership_rotate_key,
    ("membership", "recover_key"): membership_recover_key,
    ("obligation", "settle"): obligation_settle,
    ("obligation", "reduce"): obligation_reduce,
    ("obligation", "withdraw"): obligation_withdraw,
    ("credit", "set_limit"): credit_set_limit,
    ("supervision", "void_agreed"): supervision_void_agreed,
    ("setoff", "consent"): setoff_consent,
}


# ------------------------------------------------------------------ the fallback


def label(field: str) -> str:
    """A body's field name as words, its unit suffix dropped: loan_due_ms → loan due."""
    for suffix in ("_fen", "_ms", "_bp", "_sha256"):
        if field.endswith(suffix):
            field = field[: -len(suffix)]
    return field.replace("_", " ")


def value_text(look: Look, field: str, value: Any) -> str:
    """One field's value in words: parties by name, money in yuan, times in China time."""
    if value is None:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        if field.endswith("_fen"):
            return money(value)
        if field.endswith("_ms"):
            return due(value) if "due" in field else when(value)
        if field.endswith("_bp"):
            return percent(value)
        return f"{value:,}"
    if isinstance(value, bytes):
        if len(value) == 32 and look.member(value) is not None:
            return look.who(value)
        return short(value) if len(value) >= 8 else value.hex()
    if isinstance(value, tuple):
        return ", ".join(value_text(look, field, v) for v in value) or _("none")
    return str(value)


def generic_lines(look: Look, operation: str, body: Any) -> Lines:
    """An operation without an entry: its name, then each field of its body in words
    (nested records flattened as `outer inner`)."""
    lines = [_("Operation {operation}, as its fields say:").format(operation=operation)]

    def walk(prefix: str, record: Any) -> None:
        for f in dataclasses.fields(record):
            value = getattr(record, f.name)
            name = f"{prefix}{label(f.name)}"
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                walk(name + " ", value)
            else:
                lines.append(f"  {name}: {value_text(look, f.name, value)}")

    if dataclasses.is_dataclass(body) and not isinstance(body, type):
        walk("", body)
    return lines


def operation_lines(look: Look, contract: str, operation: str, body: Any) -> Lines:
    """What the operation says in words: its entry in OPERATIONS, or the field list."""
    entry = OPERATIONS.get((contract, operation))
    return entry(look, body) if entry is not None \
        else generic_lines(look, f"{contract}.{operation}", body)
