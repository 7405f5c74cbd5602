"""Multilateral set-off: limits, mandates, plans, rounds proposed and consented, agency runs."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts import setoff
from contracts.errors import LedgerError
from contracts.ledger import sign_transaction
from contracts.tx import MAX_VALIDITY_BLOCKS
from wallet.exits import Pending
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, record_id
from wallet.sentences import addr
from wallet.session import SUBMIT_EXPIRY_BLOCKS, Wallet, pass_wallet
from wallet.tables import fixed, money, more
from wallet.units import DATE_HELP, parse_due, parse_yuan, show_time, yuan
from wallet.verbs.options import tx_options, yes_option

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group("setoff")
def setoff_group() -> None:
    """Multilateral set-off (债权债务闭环抵销): members with a standing mandate are cleared
    by the agency's runs; for the rest the agency proposes rounds from the optimal plan,
    every member concerned consents, the last consent executes the round."""


def exclusions(w: Wallet, texts: tuple[str, ...]) -> list[str]:
    """--exclude values (repeated, or comma separated) as checked addresses (each a member's
    address, its prefix or its name: wallet/resolve.py)."""
    return sorted({address_of(w, part).hex() for text in texts for part in text.split(",")})


def round_id(w: Wallet, text: str) -> bytes:
    return record_id(w, "setoff_round", text)


@setoff_group.command("limit")
@click.option("--max", "max_yuan", help="clear at most this much of your debts per round, "
              "in yuan")
@click.option("--opt-out", is_flag=True, help="no round may clear your debts")
@click.option("--no-limit", is_flag=True, help="remove your limit")
@tx_options
@pass_wallet
def setoff_limit(w: Wallet, max_yuan: str | None, opt_out: bool, no_limit: bool,
                 out: Path | None, expires_in: int | None) -> None:
    """Your standing set-off limit: set it with one option, or show it with none."""
    chosen = [name for name, given in (("--max", max_yuan is not None), ("--opt-out", opt_out),
                                       ("--no-limit", no_limit)) if given]
    if len(chosen) > 1:
        raise LedgerError("wallet.one_limit", "give one of --max, --opt-out and --no-limit")
    if not chosen:
        limit = w.ledger.setoff_limit(w.address().hex())
        w.emit(limit, lambda c: c.print(limit_text(limit)))
        return
    max_fen = None if max_yuan is None else parse_yuan(max_yuan)
    if max_fen == 0:
        raise LedgerError("wallet.bad_amount", "a limit is at least ¥0.01; to take part in no "
                          "round, use --opt-out")
    body = setoff.SetLimit(w.address(), opt_out, max_fen)
    w.transact("setoff", "set_limit", body, out, expires_in)


def limit_text(limit: dict) -> str:
    if limit["opted_out"]:
        return _("opted out of set-off")
    if limit["max_fen_per_round"] is None:
        return _("no set-off limit")
    return _("at most {limit} cleared per round").format(limit=yuan(limit["max_fen_per_round"]))


def figures_table(rows: list[tuple[str, str]]) -> Table:
    t = Table("", money(""), show_header=False, box=None)
    for label, value in rows:
        t.add_row(_(label), value)
    return t


def plan_rounds_table(plan: dict) -> Table:
    t = Table(money("#"), fixed("kind"), fixed("debt"), fixed("debtor"), fixed("creditor"),
              money("clear"))
    for number, r in enumerate(plan["rounds"], 1):
        for x in r["reductions"]:
            t.add_row(str(number), _(x["kind"]), x["id"][:10], addr(x.get("debtor")),
                      addr(x.get("creditor")), yuan(x["amount_fen"]))
    return t


def show_plan(console: Console, plan: dict) -> None:
    console.print(_("set-off plan at height {height} ({time}): {debts} debts").format(
        height=plan["height"], time=show_time(plan["time_ms"]), debts=plan["debts"]))
    console.print(figures_table([
        ("debt in the graph", yuan(plan["total_fen"])),
        ("optimum cleared", yuan(plan["cleared_fen"])),
        ("remaining", yuan(plan["remaining_fen"])),
        ("bound (net internal debt)", yuan(plan["bound_fen"])),
        ("gap to the bound", yuan(plan["gap_fen"])),
        ("in rounds of 3+ members", (_("{amount} in {count} round") if len(plan["rounds"]) == 1
                                     else _("{amount} in {count} rounds")).format(
            amount=yuan(plan["in_rounds_fen"]), count=len(plan["rounds"]))),
        ("bilateral, left to the parties", yuan(plan["bilateral_fen"])),
        ("deferred to a later plan", yuan(plan["deferred_fen"])),
        *run_rows(plan),
    ]))
    if plan["rounds"]:
        console.print(plan_rounds_table(plan))


def run_rows(plan: dict) -> list[tuple[str, str]]:
    """The plan's run over members with a mandate, as figure rows (none without mandates)."""
    run = plan.get("run")
    if not run or not run["mandated_members"]:
        return []
    return [
        (_("run: optimum over {count} mandated members").format(
            count=run["mandated_members"]), yuan(run["optimum_fen"])),
        ("run: planned", (_("{amount} in {count} batch") if run["batches"] == 1
                          else _("{amount} in {count} batches")).format(
            amount=yuan(run["planned_fen"]), count=run["batches"])),
        ("run: held back by per-run limits", yuan(run["held_by_limits_fen"])),
        ("needs members without a mandate", yuan(plan["unmandated_fen"])),
        ("rounds work on (after the run)", yuan(plan["rounds_optimum_fen"])),
    ]


@setoff_group.command("plan")
@click.option("--exclude", multiple=True, metavar="ADDR",
              help="leave a member out (repeat it, or separate addresses by commas)")
@pass_wallet
def setoff_plan(w: Wallet, exclude: tuple[str, ...]) -> None:
    """The optimal set-off of the debts now, and the rounds it would propose."""
    plan = w.ledger.setoff_plan(exclusions(w, exclude))
    w.emit(plan, lambda c: show_plan(c, plan))


@setoff_group.command("propose")
@click.option("--exclude", multiple=True, metavar="ADDR",
              help="leave a member out (repeat it, or separate addresses by commas)")
@click.option("--hours", type=click.IntRange(1, setoff.MAX_CONSENT_MS // 3_600_000),
              default=48, show_default=True,
              help="consent deadline: this long after the ledger's latest block time")
@click.option("--expires-in", type=click.IntRange(1, MAX_VALIDITY_BLOCKS), default=None,
              help=f"blocks until each transaction expires (default {SUBMIT_EXPIRY_BLOCKS:,})")
@pass_wallet
def setoff_propose(w: Wallet, exclude: tuple[str, ...], hours: int, expires_in: int | None) -> None:
    """As the agency, propose the plan's rounds: one transaction per round."""
    plan = w.ledger.setoff_plan(exclusions(w, exclude))
    if plan.get("run", {}).get("batches"):
        # The rounds are the optimum of what the run leaves; proposed first, they would
        # lock debts the run's batches reduce.
        raise LedgerError("wallet.run_first", "the plan holds a run over the debts of members "
                          "with a mandate: execute it with `setoff run` first, then propose "
                          "the rounds for the rest")
    status = w.ledger.status()
    deadline_ms = status["time_ms"] + hours * 3_600_000
    me = w.signer()
    proposed: list[dict] = []
    for number, r in enumerate(plan["rounds"], 1):
        reductions = tuple(setoff.Reduction(x["kind"], bytes.fromhex(x["id"]), x["amount_fen"])
                           for x in r["reductions"])
        body = setoff.Propose(w.address(), reductions, deadline_ms, plan["total_fen"],
                              plan["bound_fen"])
        tx = sign_transaction(w.new_transaction("setoff", "propose", body, expires_in, status),
                              me)
        try:
            view = w.commit(tx)
        except Pending:
            raise  # exit status 4, naming the round's transaction to check
        except LedgerError as e:
            done = ", ".join(p["id"] for p in proposed) or "none"
            raise LedgerError(e.code, f"{e.message} (round {number} of {len(plan['rounds'])}; "
                              f"proposed before it: {done})") from None
        proposed.append({"id": view["id"], "status": view["status"],
                         "height": view.get("height"), "cleared_fen": r["cleared_fen"],
                         "members": r["members"]})

    def show(console: Console) -> None:
        show_plan(console, plan)
        if not proposed:
            console.print(_("nothing to propose: no loop of 3 or more members can be "
                            "cleared"))
        for p in proposed:
            console.print(_("round {id} proposed ({status}): clears {cleared} among {members} "
                            "members, consent by {deadline}").format(
                id=p["id"], status=pgettext("transaction", p["status"]),
                cleared=yuan(p["cleared_fen"]), members=len(p["members"]),
                deadline=show_time(deadline_ms)), soft_wrap=True)

    w.emit({"plan": plan, "deadline_ms": deadline_ms, "proposed": proposed}, show)


@setoff_group.command("mandate")
@click.option("--max", "max_yuan", help="the most one run may clear of your debts, in yuan")
@click.option("--until", help="the mandate expires then: " + DATE_HELP)
@click.option("--revoke", is_flag=True, help="revoke your standing mandate")
@tx_options
@pass_wallet
def setoff_mandate(w: Wallet, max_yuan: str | None, until: str | None, revoke: bool,
                   out: Path | None, expires_in: int | None) -> None:
    """Your standing set-off mandate (抵销授权): the agency's runs may clear your debts
    against what is owed to you, at most --max per run, until --until; a new one replaces
    the last. With --revoke, take it back; with no option, show your mandates."""
    if revoke:
        if max_yuan is not None or until is not None:
            raise LedgerError("wallet.bad_mandate", "--revoke takes neither --max nor --until")
        w.transact("setoff", "revoke_mandate", setoff.RevokeMandate(w.address()), out,
                   expires_in)
        return
    if max_yuan is None and until is None:
        found = w.ledger.setoff_mandates(w.address().hex())
        w.emit(found, lambda c: c.print(mandates_text(found)))
        return
    if max_yuan is None or until is None:
        raise LedgerError("wallet.bad_mandate", "a mandate names both --max and --until")
    max_fen = parse_yuan(max_yuan)
    if max_fen == 0:
        raise LedgerError("wallet.bad_amount", "a mandate lets a run clear at least ¥0.01")
    body = setoff.SignMandate(w.address(), max_fen, parse_due(until))
    w.transact("setoff", "mandate", body, out, expires_in)


def mandates_text(found: dict) -> str:
    if not found["mandates"]:
        return _("no set-off mandate: rounds ask for your consent each time")
    m = found["mandates"][-1]
    state = "standing" if found["live"] else (
        m["status"] if m["status"] != "standing" else "expired")
    return _("mandate #{number} ({state}): a run clears at most {limit} of your debts, until "
             "{until}").format(number=m["number"], state=pgettext("mandate", state),
                               limit=yuan(m["max_fen_per_run"]),
                               until=show_time(m["expires_ms"]))


@setoff_group.command("run")
@click.option("--exclude", multiple=True, metavar="ADDR",
              help="leave a member out (repeat it, or separate addresses by commas)")
@click.option("--hours", type=click.IntRange(1, setoff.MAX_RUN_MS // 3_600_000), default=2,
              show_default=True, help="the run closes this long after the latest block time")
@click.option("--window", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="batches submitted before waiting for them to commit")
@click.option("--expires-in", type=click.IntRange(1, MAX_VALIDITY_BLOCKS), default=None,
              help=f"blocks until each transaction expires (default {SUBMIT_EXPIRY_BLOCKS:,})")
@pass_wallet
def setoff_run(w: Wallet, exclude: tuple[str, ...], hours: int, window: int,
               expires_in: int | None) -> None:
    """As the agency, execute the plan's run over the debts of members with a mandate:
    open a run (or continue the open one), submit its batches (each a circulation, so every
    prefix keeps each net position), wait for them to commit, and close it."""
    plan = w.ledger.setoff_plan(exclusions(w, exclude), run_batches=True)
    status = w.ledger.status()
    me = w.signer()
    batches = plan["run_batches"]
    run_id = plan["run"]["open_run"]
    if run_id is None and batches:
        body = setoff.OpenRun(w.address(), status["time_ms"] + hours * 3_600_000,
                              plan["run"]["planned_fen"], plan["run"]["optimum_fen"],
                              plan["total_fen"], plan["bound_fen"])
        run_id = w.commit(sign_transaction(
            w.new_transaction("setoff", "open_run", body, expires_in, status), me))["id"]
    first = w.ledger.setoff_run(run_id)["next_batch_no"] if run_id else 0
    results: list[dict] = []
    pending: list[tuple[int, str, int]] = []

    def settle() -> None:
        for number, tx_id, cleared_fen in pending:
            try:
                view = w.wait_committed(tx_id)
                results.append({"batch": number, "id": tx_id, "status": view["status"],
                                "height": view.get("height"), "cleared_fen": cleared_fen})
            except Pending:  # may still commit: `tx show` tells
                results.append({"batch": number, "id": tx_id, "status": "pending",
                                "cleared_fen": cleared_fen})
            except LedgerError as e:  # a batch is a circulation: the others stand alone
                results.append({"batch": number, "id": tx_id, "status": "rejected",
                                "error": e.code, "message": e.message, "cleared_fen": 0})
        pending.clear()

    for offset, batch in enumerate(batches):
        number = first + offset
        reductions = tuple(setoff.Reduction(kind, bytes.fromhex(debt), fen)
                           for kind, debt, fen in batch)
        body = setoff.RunBatch(w.address(), bytes.fromhex(run_id), number, reductions)
        tx = sign_transaction(w.new_transaction("setoff", "run_batch", body, expires_in,
                                                status), me)
        pending.append((number, w.ledger.submit(tx, wait=False).tx_id,
                        sum(r.amount_fen for r in reductions)))
        if len(pending) >= window:
            settle()
    settle()
    if run_id is not None and batches:
        w.commit(sign_transaction(w.new_transaction(
            "setoff", "close_run", setoff.CloseRun(w.address(), bytes.fromhex(run_id)),
            expires_in, w.ledger.status()), me))
    run = w.ledger.setoff_run(run_id) if run_id else None
    result = {"plan": {k: v for k, v in plan.items() if k != "run_batches"}, "run": run,
              "batches": results}

    def show(console: Console) -> None:
        figures = plan["run"]
        if not batches:
            console.print(_("nothing to run: no loop among members with a mandate"))
            return
        console.print(figures_table([
            ("members with a mandate", str(figures["mandated_members"])),
            ("optimum over their debts", yuan(figures["optimum_fen"])),
            ("held back by per-run limits", yuan(figures["held_by_limits_fen"])),
            ("in loops longer than a batch", yuan(figures["deferred_fen"])),
            ("planned in the run", (_("{amount} in {count} batch") if len(batches) == 1
                                    else _("{amount} in {count} batches")).format(
                amount=yuan(figures["planned_fen"]), count=len(batches))),
            ("cleared on the ledger", yuan(run["cleared_fen"]) if run else "-"),
            ("left to rounds (members without a mandate)", yuan(plan["unmandated_fen"])),
        ]))
        refused = [r for r in results if r["status"] == "rejected"]
        codes = ", ".join(sorted({r["error"] for r in refused}))
        console.print(_("run {id}: {count} batches committed").format(
            id=run_id, count=len(results) - len(refused))
                      + (_(", {count} refused ({codes})").format(count=len(refused), codes=codes)
                         if refused else ""),
                      soft_wrap=True)

    w.emit(result, show)


def ask_text(r: dict, member: str | None) -> str:
    """What a round asks of one member: what it is cleared of and to, and its consent."""
    ask = next((a for a in r.get("asks", []) if a["member"] == member), None)
    if ask is None:
        return _("proposed it") if member == r["agency"] else "-"
    consent = (_("consented") if member in r["consented"]
               else _("consent awaited") if r["status"] == "open" else _("did not consent"))
    return _("owes {of} less, is owed {to} less; {consent}").format(
        of=yuan(ask["cleared_of_fen"]), to=yuan(ask["cleared_to_fen"]), consent=consent)


@setoff_group.command("rounds")
@click.option("--member", help="whose rounds (default: yours)")
@click.option("--open", "only_open", is_flag=True, help="only rounds waiting for consents")
@pass_wallet
def setoff_rounds(w: Wallet, member: str | None, only_open: bool) -> None:
    """Set-off rounds concerning you (or --member), and what each asks of you."""
    who = (address_of(w, member).hex() if member
           else w.address().hex() if w.key_path or not only_open else None)
    found = w.ledger.setoff_rounds(member=who, status="open" if only_open else None)

    def table(console: Console) -> None:
        t = Table(fixed("round"), fixed("id"), "status", fixed("consent by"), money("clears"),
                  money("consented"), _("asks of {who}").format(who=addr(who) if who else "-"))
        for r in found["rounds"]:
            t.add_row(r["round_no"], r["id"][:10], pgettext("round", r["status"]),
                      show_time(r["deadline_ms"]),
                      yuan(r["cleared_fen"]), f"{len(r['consented'])}/{len(r['members'])}",
                      ask_text(r, who))
        console.print(t)
        more(console, found)

    w.emit(found, table)


@setoff_group.command("round")
@click.argument("round_", metavar="ROUND")
@click.option("--member", help="show only what the round asks of this member")
@pass_wallet
def setoff_round(w: Wallet, round_: str, member: str | None) -> None:
    """ROUND's result: cleared, remaining, bound, its legs, and who has yet to consent."""
    r = w.ledger.setoff_round(round_id(w, round_).hex(),
                              None if member is None else address_of(w, member).hex())

    def show(console: Console) -> None:
        console.print(_("round {number} {id}: [bold]{status}[/bold]").format(
            number=r["round_no"], id=r["id"], status=pgettext("round", r["status"])),
            soft_wrap=True)
        console.print(_("proposed by {agency} at {when}; consent by {deadline}").format(
            agency=addr(r["agency"]), when=show_time(r["proposed_at_ms"]),
            deadline=show_time(r["deadline_ms"]))
                      + (_("; ended {when}").format(when=show_time(r["ended_at_ms"]))
                         if r["ended_at_ms"] else ""))
        if r["note"]:
            console.print(_("note: {note}").format(note=r["note"]), markup=False)
        cleared = {"executed": "cleared", "open": "clears once all consent"}.get(
            r["status"], "would have cleared")
        console.print(figures_table([
            (cleared, yuan(r["cleared_fen"])),
            ("debt in the agency's graph", yuan(r["graph_total_fen"])),
            ("remaining", yuan(r["remaining_fen"])),
            ("bound (net internal debt)", yuan(r["bound_fen"])),
            ("gap to the bound", yuan(r["gap_fen"])),
            ("members", _("{count}, consented {consented}").format(
                count=len(r["members"]), consented=len(r["consented"]))),
            ("waiting for", ", ".join(addr(m) for m in r["waiting_for"]) or "-"),
        ]))
        legs = Table(fixed("kind"), fixed("debt"), fixed("debtor"), fixed("creditor"),
                     money("cleared"))
        for leg in r["legs"]:
            legs.add_row(_(leg["kind"]), leg["id"][:10], addr(leg["debtor"]),
                         addr(leg["creditor"]), yuan(leg["amount_fen"]))
        console.print(legs)
        asks = Table(fixed("member"), money("cleared of (owed by it)"),
                     money("cleared to (owed to it)"), "consent")
        for a in r["asks"]:
            asks.add_row(addr(a["member"]), yuan(a["cleared_of_fen"]),
                         yuan(a["cleared_to_fen"]),
                         _("given") if a["member"] in r["consented"] else "-")
        console.print(asks)

    w.emit(r, show)


@setoff_group.command("consent")
@click.argument("round_", metavar="ROUND")
@yes_option
@tx_options
@pass_wallet
def setoff_consent(w: Wallet, round_: str, yes: bool, out: Path | None,
                   expires_in: int | None) -> None:
    """Consent to ROUND, after the review screen (what it clears of yours) asks `Sign
    this?` (--yes: without asking); the last member's consent executes it."""
    body = setoff.Consent(w.address(), round_id(w, round_))
    w.transact("setoff", "consent", body, out, expires_in, yes=yes)


@setoff_group.command("refuse")
@click.argument("round_", metavar="ROUND")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def setoff_refuse(w: Wallet, round_: str, reason: str, out: Path | None,
                  expires_in: int | None) -> None:
    """Refuse ROUND: it ends with nothing changed."""
    body = setoff.Refuse(w.address(), round_id(w, round_), reason)
    w.transact("setoff", "refuse", body, out, expires_in)
