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


# The records an operation's words read by id from the node, as the screen names them
# (the voucher section says itself whether its voucher was proven; names come from the
# member directory and the fee from the schedule in force).
NODE_WORDS = {"application": "application", "obligation": "obligation",
              "transfer": "transfer", "redemption": "redemption request", "offer": "offer",
              "financing_request": "financing request", "setoff_round": "set-off round",
              "pledge": "pledge"}


class Look:
    """The node's answers a review reads, each asked once; whatever the node refuses or
    lacks is None. Once the node is unreachable it is asked nothing more (a draft is
    signed offline too: the screen then names parties by address alone)."""

    def __init__(self, client: Any, me: bytes | None = None) -> None:
        self.client, self.me = client, me
        self.offline = client is None
        self._answers: dict[tuple[str, str], Any] = {}
        self._proven: set[tuple[str, str]] = set()

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

    def node_words(self) -> list[str]:
        """The kinds of record (NODE_WORDS) the node answered for this screen, in words:
        what the screen says of them is the node's word, proven by nothing."""
        asked = {key[0] for key, answer in self._answers.items()
                 if isinstance(answer, dict) and key not in self._proven}
        return [_(words) for method, words in NODE_WORDS.items() if method in asked]

    def hold_proven(self, method: str, record_id: bytes, record: dict | None) -> None:
        """What `method(record_id)` answers from now on: `record`, proven against a header
        the wallet verified (None: proven absent), never the node's word."""
        key = (method, record_id.hex())
        self._answers[key] = record
        self._proven.add(key)

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
        return _("obligation {obligation}").format(obligation=ident(obligation))
    return _("obligation {obligation} ({debtor} owes {creditor} {amount}, due by {due})").format(
        obligation=ident(obligation), debtor=look.who(o["debtor"]),
        creditor=look.who(o["creditor"]), amount=money(o["amount_fen"]), due=due(o["due_ms"]))


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
    return [_("Pay merchant {merchant} {amount} with voucher {voucher} of {payer}, for order "
              "{order}; the merchant becomes holder of that part, the rest stays with the "
              "payer.").format(merchant=look.who(b.merchant), amount=money(b.amount_fen),
                               voucher=ident(b.voucher), payer=look.who(b.payer),
                               order=b.order_ref), *_pledgee(look, b)]


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
        return _("pledge {pledge}").format(pledge=ident(pledge))
    return _("pledge {pledge} (no. {number}, voucher {voucher}, securing {secured})").format(
        pledge=ident(pledge), number=p.get("registration_no"),
        voucher=ident(bytes.fromhex(p["voucher"])), secured=money(p["secured_fen"]))


def pledge_amend(look: Look, b: Any) -> Lines:
    return [_("Amend {pledge} of {pledgor} with bank {bank}: it secures {secured}; loan "
              "{loan} at {rate} a year, due by {due}.").format(
                pledge=_pledge_of(look, b.pledge), pledgor=look.who(b.pledgor),
                bank=look.who(b.bank), secured=money(b.secured_fen), loan=money(b.loan_fen),
                rate=percent(b.loan_rate_bp), due=due(b.loan_due_ms)), *_filing(b)]


def pledge_renew(look: Look, b: Any) -> Lines:
    return [_("Renew (续贷) {pledge} of {pledgor} with bank {bank}: loan {loan}, due by "
              "{due}.").format(pledge=_pledge_of(look, b.pledge), pledgor=look.who(b.pledgor),
                               bank=look.who(b.bank), loan=b.loan_ref, due=due(b.loan_due_ms))]


def acquisition_commit(look: Look, b: Any) -> Lines:
    return [_("{acquirer} commits to buy the claim of {holder} on voucher {voucher} at "
              "{price} per ¥10,000.00 of claim, from {start} until {end} (terms {terms}).")
            .format(acquirer=look.who(b.acquirer), holder=look.who(b.holder),
                    voucher=ident(b.voucher), price=money(b.price_per_10000_fen),
                    start=when(b.lock_until_ms), end=when(b.expires_ms), terms=b.terms_ref)]


def acquisition_exercise(look: Look, b: Any) -> Lines:
    return [_("Sell {amount} of voucher {voucher} of {holder} under acquisition commitment "
              "{commitment} (payment {payment}).").format(
                amount=money(b.amount_fen), voucher=ident(b.voucher), holder=look.who(b.holder),
                commitment=ident(b.commitment), payment=b.payment_ref), *_pledgee(look, b)]


def redemption_request(look: Look, b: Any) -> Lines:
    return [_("Ask to redeem voucher {voucher} of {holder} for {price} against offer "
              "{offer}; the voucher is reserved until the debtor decides.").format(
                voucher=ident(b.voucher), holder=look.who(b.holder), price=money(b.price_fen),
                offer=ident(b.offer)), *_pledgee(look, b), *_documents(b)]


def sale_sell(look: Look, b: Any) -> Lines:
    return [_("Sell (保理) {amount} of {what} of {seller} to {buyer} for {price}, discounted "
              "at {rate} a year, {recourse} (合同 {contract}).").format(
                amount=money(b.amount_fen),
                what=_("voucher {voucher}").format(voucher=ident(b.voucher)),
                seller=look.who(b.seller), buyer=look.who(b.buyer), price=money(b.price_fen),
                rate=percent(b.rate_bp), recourse=_recourse(b.recourse),
                contract=b.contract_ref),
            *_pledgee(look, b), *_filing(b), *_documents(b)]


def _recourse(recourse: bool) -> str:
    return _("with recourse") if recourse else _("without recourse")


def sale_sell_obligation(look: Look, b: Any) -> Lines:
    return [_("Sell (保理) {amount} of {what} of {seller} to {buyer} for {price}, discounted "
              "at {rate} a year, {recourse} (合同 {contract}).").format(
                amount=money(b.amount_fen), what=_obligation(look, b.obligation),
                seller=look.who(b.creditor), buyer=look.who(b.buyer), price=money(b.price_fen),
                rate=percent(b.rate_bp), recourse=_recourse(b.recourse),
                contract=b.contract_ref),
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
    lines = [_("{holder} accepts quote {quote} of funder {funder} (contract {contract}); the "
               "request's other quotes lapse.").format(
                   holder=look.who(b.holder), quote=ident(b.quote), funder=look.who(b.funder),
                   contract=b.contract_ref)]
    found = accepted_quote(look, b)
    if found is None:
        lines.append(_("The node did not show the quote: the pledge is registered, or the "
                       "claim sold, as the quote says."))
    else:
        r, a = found
        if r["kind"] == "pledge_loan":
            lines.append(_("A pledge loan (质押融资) of {amount} at {rate} a year for {days} "
                           "days, interest {interest}: the reserved claim of {claim} is "
                           "pledged to the funder.").format(
                               amount=money(a["amount_fen"]), rate=percent(a["rate_bp"]),
                               days=a["term_days"], interest=money(a["interest_fen"]),
                               claim=money(r["amount_fen"])))
        else:
            lines.append(_("A sale (保理) of {amount} of claim for {price}, discounted at "
                           "{rate} a year, {recourse}.").format(
                               amount=money(a["amount_fen"]), price=money(a["price_fen"]),
                               rate=percent(a["rate_bp"]),
                               recourse=_recourse(a["recourse"])))
        lines.append(_("The quote expires {when}.").format(when=when(a["expires_ms"])))
    return [*lines, *_filing(b), *_documents(b)]


def _identity(i: Any) -> Lines:
    """Who the member is in law, as its admission records it: the key that co-signs binds
    itself to this identity, so each field is shown (a credit code or a legal
    representative the screen left out could be another organisation's)."""
    who = _("resident id reference {reference}").format(reference=short(i.id_reference)) \
        if i.id_reference else _("credit code {code}, legal representative {rep}").format(
            code=i.credit_code or _("none"), rep=i.legal_representative or _("none"))
    return [_("Identity: {kind}, {who}; industry {industry}, region {region}; contacts "
              "{contacts}.").format(kind=_(i.person_type), who=who, industry=i.industry,
                                    region=i.region, contacts=i.contacts)]


def membership_admit(look: Look, b: Any) -> Lines:
    return [_("The agency {agency} admits {name} at address {address} with the roles "
              "{roles}; the member's key co-signs its admission.").format(
                agency=look.who(b.agency), name=b.name, address=short(b.member),
                roles=", ".join(b.roles)), *_identity(b.identity), *_documents(b)]


def membership_rotate_key(look: Look, b: Any) -> Lines:
    return [_("Replace the signing key of {member} with the new key {key}: once committed "
              "only the new key signs for this member; both keys sign this.").format(
                member=look.who(b.member), key=short(b.new_key))]


def membership_recover_key(look: Look, b: Any) -> Lines:
    return [_("The agency {agency} gives {member} the new key {key} after review ({reason}); "
              "the lost key signs nothing after.").format(
                agency=look.who(b.agency), member=look.who(b.member), key=short(b.new_key),
                reason=b.reason), *_documents(b)]


def obligation_settle(look: Look, b: Any) -> Lines:
    return [_("Record {obligation} as settled outside the ledger ({reference}); both "
              "{creditor} and {debtor} sign.").format(
                obligation=_obligation(look, b.obligation), reference=b.reference,
                creditor=look.who(b.creditor), debtor=look.who(b.debtor))]


def obligation_reduce(look: Look, b: Any) -> Lines:
    return [_("Reduce {obligation} by {by}: {reason}; both {creditor} and {debtor} sign.")
            .format(obligation=_obligation(look, b.obligation), by=money(b.by_fen),
                    reason=b.reason, creditor=look.who(b.creditor), debtor=look.who(b.debtor))]


def obligation_withdraw(look: Look, b: Any) -> Lines:
    return [_("Withdraw {obligation}: {reason}; both {creditor} and {debtor} sign.").format(
        obligation=_obligation(look, b.obligation), reason=b.reason,
        creditor=look.who(b.creditor), debtor=look.who(b.debtor))]


def credit_set_limit(look: Look, b: Any) -> Lines:
    with_bank = _(", agreed with bank {bank}").format(bank=look.who(b.bank)) if b.bank else ""
    return [_("Set the credit limit (授信额度) of debtor {debtor} to {limit}").format(
        debtor=look.who(b.debtor), limit=money(b.limit_fen)) + with_bank
        + _("; set by {agency}").format(agency=look.who(b.agency))
        + (_(" (reference {reference})").format(reference=b.reference) if b.reference else "")
        + _(".")]


def supervision_void_agreed(look: Look, b: Any) -> Lines:
    return [_("Void (作废) voucher {voucher} as agreed by creditor {creditor} and debtor "
              "{debtor}, with the agency {agency}: every live part leaves circulation.").format(
                voucher=ident(b.voucher), creditor=look.who(b.creditor),
                debtor=look.who(b.debtor), agency=look.who(b.agency)),
            _("Reason: {reason}. Agreement document sha256 {digest}.").format(
                reason=b.reason, digest=short(b.agreement_sha256))]


def _settled_by(terms: dict) -> str:
    methods = [_("asset offset (资产抵付)")] if terms.get("asset_offset") else []
    if terms.get("consumption_offset"):
        methods.append(_("consumption offset (消费抵付)"))
    return _(" and ").join(methods) or _("no method named")


def issuance_confirm(look: Look, b: Any) -> Lines:
    a = look.record("application", b.application)
    if a is None:
        return [_("Confirm (确权), as debtor {debtor}, the debt of application {application}; "
                  "the node did not show the application.").format(
                      debtor=look.who(b.debtor), application=ident(b.application))]
    t = a["terms"]
    extension = _("Extension clause (展期): {days} days at a time, at most {times} "
                  "times.").format(days=t["extension_days"], times=t["extension_max"]) \
        if t["extension_days"] else \
        _("No extension clause: what is unsettled at the due date becomes overdue and "
          "counts in your credit record.")
    return [_("Confirm (确权), as debtor {debtor}, that you owe {creditor} {amount}, due by "
              "{due}, as application {application} says (basis {basis}).").format(
                debtor=look.who(b.debtor), creditor=look.who(a["creditor"]),
                amount=money(t["amount_fen"]), due=due(t["due_ms"]),
                application=ident(b.application), basis=t["basis_ref"]),
            _("Settled by {methods}, never in cash.").format(methods=_settled_by(t)),
            extension,
            _("The agency then reviews it and issues the voucher to the creditor; whoever "
              "holds it later, you owe them instead.")]


def issuance_approve(look: Look, b: Any) -> Lines:
    a = look.record("application", b.application)
    if a is None:
        return [_("The agency {agency} approves application {application}: the voucher is "
                  "issued; the node did not show the application.").format(
                      agency=look.who(b.agency), application=ident(b.application))]
    t = a["terms"]
    return [_("The agency {agency} approves application {application} ({status}): a voucher "
              "of {amount} owed by {debtor} is issued to {creditor}, due by {due}, settled "
              "by {methods}.").format(
                agency=look.who(b.agency), application=ident(b.application),
                status=_(a["status"]), amount=money(t["amount_fen"]),
                debtor=look.who(t["debtor"]), creditor=look.who(a["creditor"]),
                due=due(t["due_ms"]), methods=_settled_by(t))]


def obligation_confirm(look: Look, b: Any) -> Lines:
    return [_("Confirm, as debtor {debtor}, {obligation}: once confirmed it counts in set-off "
              "rounds and its creditor may sell it (保理).").format(
                debtor=look.who(b.debtor), obligation=_obligation(look, b.obligation))]


def redemption_accept(look: Look, b: Any) -> Lines:
    r = look.record("redemption", b.request)
    if r is None:
        return [_("Accept, as debtor {debtor}, redemption request {request}; the node did not "
                  "show the request.").format(debtor=look.who(b.debtor),
                                                request=ident(b.request))]
    offer = look.record("offer", bytes.fromhex(r["offer"]))
    what = _("offer {offer}").format(offer=ident(bytes.fromhex(r["offer"]))) if offer is None \
        else _("offer {offer} ({kind}: {description})").format(
            offer=ident(bytes.fromhex(r["offer"])), kind=_(offer["kind"]),
            description=offer["description"])
    lines = [_("Accept, as debtor {debtor}, redemption request {request} of {holder}: you "
               "deliver {what} at the agreed price {price}, and voucher {voucher} is reduced "
               "by it (at most its whole claim; the holder pays any shortfall in "
               "money).").format(
                   debtor=look.who(b.debtor), request=ident(b.request),
                   holder=look.who(r["holder"]), what=what, price=money(r["price_fen"]),
                   voucher=ident(bytes.fromhex(r["voucher"])))]
    if b.title_ref:
        lines.append(_("Title transfer registration: {reference}.").format(
            reference=b.title_ref))
    if b.shortfall_ref:
        lines.append(_("The holder's payment of the shortfall: {reference}.").format(
            reference=b.shortfall_ref))
    return lines


def setoff_consent(look: Look, b: Any) -> Lines:
    r = look.ask("setoff_round", b.round.hex(), b.member.hex())
    if not isinstance(r, dict):
        return [_("Consent, as {member}, to set-off round {round}; the node did not show the "
                  "round.").format(member=look.who(b.member), round=ident(b.round))]
    ask = next((a for a in r.get("asks", []) if a.get("member") == b.member.hex()), None)
    lines = [_("Consent, as {member}, to set-off round {number} ({round}): it clears "
               "{cleared} on {debts} debts once every member consents, by {deadline}.").format(
                   member=look.who(b.member), number=r.get("round_no", "?"),
                   round=ident(b.round), cleared=money(r["cleared_fen"]),
                   debts=len(r.get("legs", [])), deadline=when(r["deadline_ms"]))]
    if ask is not None:
        lines.append(_("Of yours it clears {owed_by_you} you owe and {owed_to_you} owed to "
                       "you.").format(owed_by_you=money(ask["cleared_of_fen"]),
                                      owed_to_you=money(ask["cleared_to_fen"])))
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
    ("issuance", "confirm"): issuance_confirm,
    ("issuance", "approve"): issuance_approve,
    ("obligation", "confirm"): obligation_confirm,
    ("redemption", "accept"): redemption_accept,
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
