"""What a committed transaction did, in one sentence for people, and how the wallet prints
a transaction's view and its attached documents."""

from __future__ import annotations

from rich.console import Console

from contracts.identity import short
from wallet.i18n import _, pgettext
from wallet.units import percent, show_due, show_time, yuan


def show_documents(console: Console, attached: list[dict]) -> None:
    for d in attached:
        how = _("attached already, reused") if d["reused"] else \
            _("attached by {tx}").format(tx=d["tx"])
        console.print(_("document {id} ({label}): {how}").format(
            id=d["id"], label=d["label"], how=how), markup=False, soft_wrap=True)


def subjects(view: dict, kind: str) -> list[str]:
    """The subjects of a committed transaction's events of one kind, in order."""
    return [e["subject"] for e in view.get("events", []) if e["kind"] == kind]


def addr(hex_address: str | None) -> str:
    return short(bytes.fromhex(hex_address)) if hex_address else "-"


def what_happened(view: dict) -> str | None:
    """One sentence for people on what a committed transaction did."""
    if view.get("status") != "committed" or not isinstance(view.get("body"), dict):
        return None
    b = view["body"]
    op = f"{view['contract']['name']}.{view['operation']}"

    def first(kind: str) -> str:
        found = subjects(view, kind)
        return found[0] if found else "?"

    def remainder() -> str:
        rest = subjects(view, "voucher.remainder")
        return _("; remainder {part}").format(part=rest[0]) if rest else _("; nothing remains")

    if op == "issuance.apply":
        return _("application {id} submitted; the debtor confirms it next").format(
            id=view["id"])
    if op == "issuance.confirm":
        return _("confirmed (确权); the agency reviews and approves it next")
    if op == "issuance.decline":
        return _("application {application} declined: {reason}").format(
            application=b["application"], reason=b["reason"])
    if op == "issuance.approve":
        return _("voucher {voucher} issued").format(voucher=first("voucher.issued"))
    if op == "transfer.transfer":
        return _("transferred {amount} to {to}; new part {part}").format(
            amount=yuan(b["amount_fen"]), to=addr(b["to"]),
            part=first("voucher.transferred")) + remainder()
    if op == "transfer.offer":
        reserved = subjects(view, "voucher.split") or [b["voucher"]]
        rest = subjects(view, "voucher.remainder")
        return (_("offered {amount} to {to} (contract {contract}): part {part} reserved")
                .format(amount=yuan(b["amount_fen"]), to=addr(b["to"]),
                        contract=b["contract_ref"], part=reserved[0])
                + (_(", remainder {part} free").format(part=rest[0]) if rest else "")
                + _("; the transferee signs within {days} days").format(days=b["days"]))
    if op == "transfer.sign":
        return _("signed for transfer {transfer} (签收): new part {part}").format(
            transfer=b["transfer"], part=first("voucher.transferred"))
    if op == "transfer.refuse":
        return _("transfer {transfer} refused: {reason}; the part is free again").format(
            transfer=b["transfer"], reason=b["reason"])
    if op == "transfer.withdraw":
        return _("transfer {transfer} withdrawn; the part is free again").format(
            transfer=b["transfer"])
    if op == "transfer.split":
        parts = zip(subjects(view, "voucher.split"), b["amounts_fen"], strict=False)
        return _("split into {parts}").format(
            parts=", ".join(f"{p} ({yuan(a)})" for p, a in parts))
    if op == "pledge.create":
        return _("pledge {pledge} registered: {holder} pledged voucher {voucher} to bank "
                 "{bank}, securing {secured} until {due}").format(
            pledge=first("pledge.registered"), holder=addr(b["holder"]), voucher=b["voucher"],
            bank=addr(b["bank"]), secured=yuan(b["secured_fen"]),
            due=show_due(b["loan_due_ms"]))
    if op == "pledge.release":
        return _("pledge {pledge} released (解除质押)").format(pledge=b["pledge"])
    if op == "pledge.amend":
        return _("pledge {pledge} amended: secures {secured}, loan {loan} at {rate} until "
                 "{due}").format(pledge=b["pledge"], secured=yuan(b["secured_fen"]),
                                 loan=yuan(b["loan_fen"]), rate=percent(b["loan_rate_bp"]),
                                 due=show_due(b["loan_due_ms"]))
    if op == "pledge.renew":
        return _("pledge {pledge} renewed (续贷): loan {loan} until {due}").format(
            pledge=b["pledge"], loan=b["loan_ref"], due=show_due(b["loan_due_ms"]))
    if op == "pledge.release_part":
        parts = subjects(view, "voucher.split")
        return (_("released {amount} of pledge {pledge}").format(
            amount=yuan(b["amount_fen"]), pledge=b["pledge"])
                + (_(": part {free} is free, part {kept} stays pledged").format(
                    free=parts[1], kept=parts[0]) if len(parts) == 2 else ""))
    if op == "pledge.enforce":
        kept = subjects(view, "voucher.remainder")
        return (_("pledge {pledge} enforced: the bank holds part {part}").format(
            pledge=b["pledge"], part=first("voucher.transferred"))
                + (_("; the pledgor keeps {part}").format(part=kept[0]) if kept else ""))
    if op == "acquisition.commit":
        return _("commitment {commitment}: {acquirer} buys at ¥{price:,} per ¥10,000 of claim "
                 "from {start} until {end}").format(
            commitment=first("acquisition.committed"), acquirer=addr(b["acquirer"]),
            price=b["price_per_10000_fen"], start=show_due(b["lock_until_ms"]),
            end=show_due(b["expires_ms"]))
    if op == "acquisition.withdraw":
        return _("commitment {commitment} withdrawn").format(commitment=b["commitment"])
    if op == "acquisition.exercise":
        return _("sold {amount} of claim under commitment {commitment}; the acquirer's part "
                 "{part}").format(amount=yuan(b["amount_fen"]), commitment=b["commitment"],
                                  part=first("voucher.transferred")) + remainder()
    if op == "redemption.publish":
        title = _(", title {title}").format(title=b["title_ref"]) if b.get("title_ref") else ""
        cap = _(", up to {cap} in all").format(cap=yuan(b["cap_fen"])) \
            if b.get("cap_fen") else ""
        return _("offer {offer} published: {kind}, {description}, {price}").format(
            offer=first("offer.published"), kind=_(b["kind"]), description=b["description"],
            price=yuan(b["price_fen"])) + title + cap
    if op == "redemption.change":
        return _("offer {offer} now: {description}, {price}").format(
            offer=b["offer"], description=b["description"], price=yuan(b["price_fen"]))
    if op == "redemption.withdraw_offer":
        return _("offer {offer} withdrawn").format(offer=b["offer"])
    if op == "redemption.request":
        return _("redemption request {request}: {price} against offer {offer}; voucher "
                 "{voucher} is reserved until the debtor decides").format(
            request=first("redemption.requested"), price=yuan(b["price_fen"]),
            offer=b["offer"], voucher=b["voucher"])
    if op == "redemption.accept":
        rest = subjects(view, "voucher.remainder")
        return (_("request {request} accepted; ").format(request=b["request"])
                + (_("the remainder {part} keeps circulating").format(part=rest[0]) if rest
                   else _("the voucher is fully settled and cancelled (注销)")))
    if op == "redemption.decline":
        return _("request {request} declined: {reason}").format(request=b["request"],
                                                                 reason=b["reason"])
    if op == "redemption.cancel":
        return _("request {request} cancelled; the voucher is free again").format(
            request=b["request"])
    if op == "product.publish":
        t = b["terms"]
        recourse = "" if t["recourse"] is None else \
            (_(" with recourse") if t["recourse"] else _(" without recourse"))
        return _("product {product} published: {name}, {kind}{recourse}, {min_days}–{max_days} "
                 "days, {min_price}–{max_price}, {min_amount}–{max_amount}").format(
            product=first("product.published"), name=b["name"], kind=_(b["kind"]),
            recourse=recourse, min_days=t["min_term_days"], max_days=t["max_term_days"],
            min_price=percent(t["min_price_bp"]), max_price=percent(t["max_price_bp"]),
            min_amount=yuan(t["min_amount_fen"]), max_amount=yuan(t["max_amount_fen"]))
    if op == "product.amend":
        return _("product {product} amended").format(product=b["product"])
    if op == "product.withdraw":
        return _("product {product} withdrawn").format(product=b["product"])
    if op in ("sale.sell", "sale.sell_obligation"):
        what = "obligation" if op == "sale.sell_obligation" else "voucher"
        bought = first("obligation.assigned") if what == "obligation" else \
            first("voucher.sold")
        return _("sale {sale}: {amount} of {what} {sold} sold to {buyer} for {price} ({rate} a "
                 "year, {recourse}); the buyer's {what} {bought}; the debtor is told").format(
            sale=first("sale.sold"), amount=yuan(b["amount_fen"]), what=_(what),
            sold=b.get("voucher") or b.get("obligation"), buyer=addr(b["buyer"]),
            price=yuan(b["price_fen"]), rate=percent(b["rate_bp"]),
            recourse=_("with recourse") if b["recourse"] else _("without recourse"),
            bought=bought)
    if op == "sale.recourse":
        return _("sale {sale}: recourse exercised, the claim is the seller's again").format(
            sale=b["sale"])
    if op == "payment.pay":
        return _("paid {amount} to merchant {merchant} for order {order}; merchant's part "
                 "{part}").format(amount=yuan(b["amount_fen"]), merchant=addr(b["merchant"]),
                                  order=b["order_ref"], part=first("voucher.transferred")) \
            + remainder()
    if op == "fees.set_schedule":
        return _("fee schedule: transfers {transfer} bp, pledges {pledge} bp").format(
            transfer=b["transfer_bp"], pledge=b["pledge_bp"])
    if op == "fees.record_payment":
        return _("recorded {amount} of fees paid by {member}").format(
            amount=yuan(b["amount_fen"]), member=addr(b["member"]))
    if op == "document.attach":
        readers = b["envelope"].get("readers", [])
        return _("document {document} attached, sealed to {count} readers").format(
            document=first("document.attached"), count=len(readers))
    if op == "document.grant":
        return _("{grantee} granted access to document {document}, a basis document of "
                 "voucher {voucher}").format(grantee=addr(b["grantee"]),
                                             document=b["document"], voucher=b["voucher"])
    if op == "document.revoke":
        return _("access of {grantee} to document {document} revoked: nodes serve it no more; "
                 "what it read is not taken back").format(grantee=addr(b["grantee"]),
                                                          document=b["document"])
    if op.startswith("obligation."):
        return obligation_sentence(view["operation"], b, view["id"])
    if op.startswith("setoff."):
        return setoff_sentence(view, b)
    return None


def obligation_sentence(operation: str, b: dict, tx_id: str) -> str | None:
    if operation == "submit":
        return _("obligation {id} submitted: {debtor} owes {creditor} {amount}, due by {due}; "
                 "the debtor confirms it next").format(
            id=tx_id, debtor=addr(b["debtor"]), creditor=addr(b["creditor"]),
            amount=yuan(b["amount_fen"]), due=show_due(b["due_ms"]))
    sentences = {
        "confirm": _("confirmed; it counts now, and set-off rounds may clear it"),
        "decline": _("declined: {reason}").format(reason=b.get("reason")),
        "retract": _("retracted by the creditor"),
        "settle": _("settled outside the ledger ({reference})").format(
            reference=b.get("reference")),
        "reduce": _("reduced by {by}: {reason}").format(by=yuan(b.get("by_fen", 0)),
                                                        reason=b.get("reason")),
        "withdraw": _("withdrawn by both parties: {reason}").format(reason=b.get("reason")),
    }
    return _("obligation {obligation} {what}").format(obligation=b["obligation"],
                                                      what=sentences[operation]) \
        if operation in sentences else None


def setoff_sentence(view: dict, b: dict) -> str | None:
    operation = view["operation"]
    if operation == "propose":
        cleared = sum(r["amount_fen"] for r in b["reductions"])
        return _("set-off round {id} proposed: clears {cleared} on {debts} debts; every "
                 "member consents by {deadline}").format(
            id=view["id"], cleared=yuan(cleared), debts=len(b["reductions"]),
            deadline=show_time(b["deadline_ms"]))
    if operation == "consent":
        ended = [e["kind"] for e in view.get("events", [])
                 if e["kind"] in ("setoff.executed", "setoff.failed")]
        if "setoff.executed" in ended:
            return _("consented to round {round}: the last consent, the round executed")\
                .format(round=b["round"])
        if ended:
            return _("consented to round {round}: the last consent, but a debt changed "
                     "meanwhile and the round failed with nothing changed").format(
                round=b["round"])
        return _("consented to round {round}; it waits for the other members").format(
            round=b["round"])
    if operation == "refuse":
        return _("refused round {round}: {reason}; nothing changes").format(
            round=b["round"], reason=b["reason"])
    if operation == "set_limit":
        if b["opted_out"]:
            return _("opted out of set-off: no round may clear your debts")
        if b["max_fen_per_round"] is None:
            return _("set-off limit removed")
        return _("set-off limit: at most {limit} cleared per round").format(
            limit=yuan(b["max_fen_per_round"]))
    return None


def show_tx(console: Console, view: dict) -> None:
    console.print(f"[bold]{view.get('operation', 'transaction')}[/bold] {view['id']}: "
                  + pgettext("transaction", view["status"])
                  + (_(" at height {height}").format(height=view["height"]) if "height" in view
                     else ""))
    sentence = what_happened(view)
    if sentence:
        console.print(sentence, markup=False, soft_wrap=True)
    for event in view.get("events", []):
        console.print(f"  {event['kind']}: {event['subject']}", markup=False, soft_wrap=True)
