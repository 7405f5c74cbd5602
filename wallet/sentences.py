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
        return f"application {view['id']} submitted; the debtor confirms it next"
    if op == "issuance.confirm":
        return "confirmed (确权); the agency reviews and approves it next"
    if op == "issuance.decline":
        return f"application {b['application']} declined: {b['reason']}"
    if op == "issuance.approve":
        return f"voucher {first('voucher.issued')} issued"
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
        return "split into " + ", ".join(f"{p} ({yuan(a)})" for p, a in parts)
    if op == "pledge.create":
        return (f"pledge {first('pledge.registered')} registered: {addr(b['holder'])} pledged "
                f"voucher {b['voucher']} to bank {addr(b['bank'])}, securing "
                f"{yuan(b['secured_fen'])} until {show_due(b['loan_due_ms'])}")
    if op == "pledge.release":
        return f"pledge {b['pledge']} released (解除质押)"
    if op == "pledge.amend":
        return (f"pledge {b['pledge']} amended: secures {yuan(b['secured_fen'])}, loan "
                f"{yuan(b['loan_fen'])} at {percent(b['loan_rate_bp'])} until "
                f"{show_due(b['loan_due_ms'])}")
    if op == "pledge.renew":
        return (f"pledge {b['pledge']} renewed (续贷): loan {b['loan_ref']} until "
                f"{show_due(b['loan_due_ms'])}")
    if op == "pledge.release_part":
        parts = subjects(view, "voucher.split")
        return (f"released {yuan(b['amount_fen'])} of pledge {b['pledge']}"
                + (f": part {parts[1]} is free, part {parts[0]} stays pledged"
                   if len(parts) == 2 else ""))
    if op == "pledge.enforce":
        kept = subjects(view, "voucher.remainder")
        return (f"pledge {b['pledge']} enforced: the bank holds part "
                f"{first('voucher.transferred')}"
                + (f"; the pledgor keeps {kept[0]}" if kept else ""))
    if op == "acquisition.commit":
        return (f"commitment {first('acquisition.committed')}: {addr(b['acquirer'])} buys at "
                f"¥{b['price_per_10000_fen']:,} per ¥10,000 of claim from "
                f"{show_due(b['lock_until_ms'])} until {show_due(b['expires_ms'])}")
    if op == "acquisition.withdraw":
        return f"commitment {b['commitment']} withdrawn"
    if op == "acquisition.exercise":
        return (f"sold {yuan(b['amount_fen'])} of claim under commitment {b['commitment']}; "
                f"the acquirer's part {first('voucher.transferred')}{remainder()}")
    if op == "redemption.publish":
        title = f", title {b['title_ref']}" if b.get("title_ref") else ""
        cap = f", up to {yuan(b['cap_fen'])} in all" if b.get("cap_fen") else ""
        return (f"offer {first('offer.published')} published: {b['kind']}, "
                f"{b['description']}, {yuan(b['price_fen'])}{title}{cap}")
    if op == "redemption.change":
        return f"offer {b['offer']} now: {b['description']}, {yuan(b['price_fen'])}"
    if op == "redemption.withdraw_offer":
        return f"offer {b['offer']} withdrawn"
    if op == "redemption.request":
        return (f"redemption request {first('redemption.requested')}: {yuan(b['price_fen'])} "
                f"against offer {b['offer']}; voucher {b['voucher']} is reserved until the "
                "debtor decides")
    if op == "redemption.accept":
        rest = subjects(view, "voucher.remainder")
        return (f"request {b['request']} accepted; "
                + (f"the remainder {rest[0]} keeps circulating" if rest
                   else "the voucher is fully settled and cancelled (注销)"))
    if op == "redemption.decline":
        return f"request {b['request']} declined: {b['reason']}"
    if op == "redemption.cancel":
        return f"request {b['request']} cancelled; the voucher is free again"
    if op == "product.publish":
        t = b["terms"]
        recourse = "" if t["recourse"] is None else \
            (" with recourse" if t["recourse"] else " without recourse")
        return (f"product {first('product.published')} published: {b['name']}, "
                f"{b['kind']}{recourse}, {t['min_term_days']}–{t['max_term_days']} days, "
                f"{percent(t['min_price_bp'])}–{percent(t['max_price_bp'])}, "
                f"{yuan(t['min_amount_fen'])}–{yuan(t['max_amount_fen'])}")
    if op == "product.amend":
        return f"product {b['product']} amended"
    if op == "product.withdraw":
        return f"product {b['product']} withdrawn"
    if op in ("sale.sell", "sale.sell_obligation"):
        what = "obligation" if op == "sale.sell_obligation" else "voucher"
        bought = first("obligation.assigned") if what == "obligation" else \
            first("voucher.sold")
        return (f"sale {first('sale.sold')}: {yuan(b['amount_fen'])} of {what} "
                f"{b.get('voucher') or b.get('obligation')} sold to {addr(b['buyer'])} for "
                f"{yuan(b['price_fen'])} ({percent(b['rate_bp'])} a year, "
                f"{'with' if b['recourse'] else 'without'} recourse); the buyer's {what} "
                f"{bought}; the debtor is told")
    if op == "sale.recourse":
        return f"sale {b['sale']}: recourse exercised, the claim is the seller's again"
    if op == "payment.pay":
        return (f"paid {yuan(b['amount_fen'])} to merchant {addr(b['merchant'])} for order "
                f"{b['order_ref']}; merchant's part {first('voucher.transferred')}{remainder()}")
    if op == "fees.set_schedule":
        return f"fee schedule: transfers {b['transfer_bp']} bp, pledges {b['pledge_bp']} bp"
    if op == "fees.record_payment":
        return f"recorded {yuan(b['amount_fen'])} of fees paid by {addr(b['member'])}"
    if op == "document.attach":
        readers = b["envelope"].get("readers", [])
        return (f"document {first('document.attached')} attached, sealed to {len(readers)} "
                "readers")
    if op == "document.grant":
        return (f"{addr(b['grantee'])} granted access to document {b['document']}, a basis "
                f"document of voucher {b['voucher']}")
    if op == "document.revoke":
        return (f"access of {addr(b['grantee'])} to document {b['document']} revoked: nodes "
                "serve it no more; what it read is not taken back")
    if op.startswith("obligation."):
        return obligation_sentence(view["operation"], b, view["id"])
    if op.startswith("setoff."):
        return setoff_sentence(view, b)
    return None


def obligation_sentence(operation: str, b: dict, tx_id: str) -> str | None:
    if operation == "submit":
        return (f"obligation {tx_id} submitted: {addr(b['debtor'])} owes {addr(b['creditor'])} "
                f"{yuan(b['amount_fen'])}, due by {show_due(b['due_ms'])}; the debtor confirms "
                "it next")
    sentences = {
        "confirm": "confirmed; it counts now, and set-off rounds may clear it",
        "decline": f"declined: {b.get('reason')}",
        "retract": "retracted by the creditor",
        "settle": f"settled outside the ledger ({b.get('reference')})",
        "reduce": f"reduced by {yuan(b.get('by_fen', 0))}: {b.get('reason')}",
        "withdraw": f"withdrawn by both parties: {b.get('reason')}",
    }
    return f"obligation {b['obligation']} {sentences[operation]}" \
        if operation in sentences else None


def setoff_sentence(view: dict, b: dict) -> str | None:
    operation = view["operation"]
    if operation == "propose":
        cleared = sum(r["amount_fen"] for r in b["reductions"])
        return (f"set-off round {view['id']} proposed: clears {yuan(cleared)} on "
                f"{len(b['reductions'])} debts; every member consents by "
                f"{show_time(b['deadline_ms'])}")
    if operation == "consent":
        ended = [e["kind"] for e in view.get("events", [])
                 if e["kind"] in ("setoff.executed", "setoff.failed")]
        if "setoff.executed" in ended:
            return f"consented to round {b['round']}: the last consent, the round executed"
        if ended:
            return (f"consented to round {b['round']}: the last consent, but a debt changed "
                    "meanwhile and the round failed with nothing changed")
        return f"consented to round {b['round']}; it waits for the other members"
    if operation == "refuse":
        return f"refused round {b['round']}: {b['reason']}; nothing changes"
    if operation == "set_limit":
        if b["opted_out"]:
            return "opted out of set-off: no round may clear your debts"
        if b["max_fen_per_round"] is None:
            return "set-off limit removed"
        return f"set-off limit: at most {yuan(b['max_fen_per_round'])} cleared per round"
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
