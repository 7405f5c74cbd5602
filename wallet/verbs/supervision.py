"""Court freezes, voiding and disputes (冻结, 作废, 异议): a regulator or the agency freezes
all or part of a voucher on a court order and lifts it; the agency voids an issued voucher
whose basis fell away (co-signed by its creditor and debtor, or by a recorded decision);
a party raises a dispute and the agency resolves it; everyone lists what concerns it.

Documents (court orders, decisions, evidence) stay off the ledger: each is named by its
SHA-256, from a file (--order-file, --decision-file, --document) or given in hex."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts import supervision
from wallet.i18n import _
from wallet.resolve import address_of, any_record_id, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import money, more
from wallet.units import hex32, parse_yuan, show_time, yuan
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()
# What a dispute's subject is, as the listing filter names it: its kind's record
# (an issued voucher by its origin id).
DISPUTE_SUBJECTS = ("application", "origin", "obligation")


def digest_of(path: Path | None, given: str | None, what: str) -> bytes:
    """The SHA-256 of a document: of the file, or the hex given; exactly one of them."""
    if (path is None) == (given is None):
        raise click.UsageError(f"give the {what} as a file or as its SHA-256, one of them")
    if path is not None:
        return hashlib.sha256(path.read_bytes()).digest()
    assert given is not None
    return hex32(given, f"the {what}'s SHA-256")


def order_options(f):
    f = click.option("--order-sha256", help="the court order's SHA-256 (hex)")(f)
    f = click.option("--order-file", type=click.Path(path_type=Path, exists=True,
                                                     dir_okay=False),
                     help="the court order document (its SHA-256 is recorded)")(f)
    return click.option("--order-ref", required=True,
                        help="the court order's reference, e.g. (2027)蒙0802执保123号")(f)


@verbs.command("freeze")
@click.argument("voucher")
@click.option("--amount", help="the part to freeze, in yuan (default: all of the state)")
@order_options
@tx_options
@pass_wallet
def freeze(w: Wallet, voucher: str, amount: str | None, order_ref: str,
           order_file: Path | None, order_sha256: str | None, out: Path | None,
           expires_in: int | None) -> None:
    """As a regulator or the agency, freeze VOUCHER (a live state) or AMOUNT of it on a
    court order: a part is split off first, the rest keeps moving; the frozen state moves
    in no way until unfrozen. Its holder, debtor and bank are told."""
    vid = record_id(w, "voucher", voucher)
    amount_fen = parse_yuan(amount) if amount else w.ledger.voucher(vid.hex())["amount_fen"]
    body = supervision.Freeze(w.address(), vid, amount_fen, order_ref,
                              digest_of(order_file, order_sha256, "court order"))
    w.transact("supervision", "freeze", body, out, expires_in)


@verbs.command("unfreeze")
@click.argument("order")
@order_options
@tx_options
@pass_wallet
def unfreeze(w: Wallet, order: str, order_ref: str, order_file: Path | None,
             order_sha256: str | None, out: Path | None, expires_in: int | None) -> None:
    """As the authority that froze it, or the agency, lift freeze ORDER on the order
    lifting it (its reference and document)."""
    body = supervision.Unfreeze(w.address(), record_id(w, "freeze", order), order_ref,
                                digest_of(order_file, order_sha256, "lifting order"))
    w.transact("supervision", "unfreeze", body, out, expires_in)


@verbs.command("void")
@click.argument("voucher")
@click.option("--reason", required=True, help="why the basis fell away")
@click.option("--agreed", is_flag=True, help="co-signed by the creditor and the debtor (no "
              "part passed on): draft with --out, each signs, then submit")
@click.option("--document", "document", type=click.Path(path_type=Path, exists=True,
                                                         dir_okay=False),
              help="the parties' agreement (--agreed) or the agency's decision")
@click.option("--document-sha256", help="its SHA-256 (hex), instead of the file")
@click.option("--dispute", help="an open dispute on the voucher this decision upholds")
@tx_options
@pass_wallet
def void(w: Wallet, voucher: str, reason: str, agreed: bool, document: Path | None,
         document_sha256: str | None, dispute: str | None, out: Path | None,
         expires_in: int | None) -> None:
    """As the agency, void the issued VOUCHER (its origin id): every live part leaves
    circulation and each holder is told. --agreed: with its creditor and debtor co-signing,
    while every part is still the creditor's; otherwise by your recorded decision."""
    origin = record_id(w, "origin", voucher)
    digest = digest_of(document, document_sha256, "agreement or decision")
    if agreed:
        if dispute:
            raise click.UsageError("a dispute is upheld by a decision, not an agreement")
        if out is None:
            raise click.UsageError("an agreed voiding is co-signed by the creditor and the "
                                   "debtor: give --out FILE, have each `sign FILE`, then "
                                   "`submit FILE`")
        issued = w.ledger.voucher(origin.hex())
        body = supervision.VoidAgreed(w.address(), bytes.fromhex(issued["holder"]),
                                      bytes.fromhex(issued["debtor"]), origin, reason, digest)
        w.transact("supervision", "void_agreed", body, out, expires_in)
        return
    body_decided = supervision.VoidDecided(
        w.address(), origin, reason, digest,
        record_id(w, "dispute", dispute) if dispute else None)
    w.transact("supervision", "void_decided", body_decided, out, expires_in)


@verbs.group("freezes")
def freezes_group() -> None:
    """Freeze orders: yours, a voucher's, or all in force (agency, regulators)."""


@freezes_group.command("list")
@click.option("--party", help="a holder or debtor (default: you, unless --voucher or --all)")
@click.option("--voucher", help="an issued voucher (origin id)")
@click.option("--all", "everyone", is_flag=True, help="every order in force (oversight)")
@click.option("--status", type=click.Choice(sorted(supervision.FREEZE_STATUSES)))
@pass_wallet
def freezes_list(w: Wallet, party: str | None, voucher: str | None, everyone: bool,
                 status: str | None) -> None:
    """Freeze orders you may read."""
    who = None if voucher or everyone else (address_of(w, party) if party else w.address())
    found = w.ledger.freezes(party=who.hex() if who else None,
                             voucher=record_id(w, "voucher", voucher).hex() if voucher else None,
                             status=status)

    def table(console: Console) -> None:
        t = Table("order", "voucher", "holder", "debtor", money("amount"), "court order",
                  "frozen", "status")
        for o in found["freezes"]:
            t.add_row(o["id"][:10], o["voucher"][:10], addr(o["holder"]), addr(o["debtor"]),
                      yuan(o["amount_fen"]), o["order_ref"], show_time(o["frozen_at_ms"]),
                      _(o["status"]))
        console.print(t)
        more(console, found)

    w.emit(found, table)


@verbs.group("dispute")
def dispute_group() -> None:
    """Disputes (异议): raise, resolve, list, show."""


@dispute_group.command("raise")
@click.argument("kind", type=click.Choice(sorted(supervision.DISPUTE_KINDS)))
@click.argument("subject")
@click.option("--reason", required=True)
@click.option("--document", "documents", multiple=True, type=click.Path(
    path_type=Path, exists=True, dir_okay=False), help="evidence (its SHA-256 is recorded); "
    "repeat for more")
@click.option("--document-sha256", "digests", multiple=True, help="evidence's SHA-256 (hex)")
@tx_options
@pass_wallet
def dispute_raise(w: Wallet, kind: str, subject: str, reason: str, documents: tuple[Path, ...],
                  digests: tuple[str, ...], out: Path | None, expires_in: int | None) -> None:
    """Dispute SUBJECT, an application, a voucher (any state of it; a holder names the part
    it holds) or an obligation you are a party to. It holds the thing until the agency
    resolves it."""
    hashes = tuple(hashlib.sha256(p.read_bytes()).digest() for p in documents) + tuple(
        hex32(d, "a document's SHA-256") for d in digests)
    if not hashes:
        raise click.UsageError("a dispute names at least one document")
    body = supervision.RaiseDispute(w.address(), kind, record_id(w, kind, subject), reason,
                                    hashes)
    w.transact("supervision", "raise_dispute", body, out, expires_in)


@dispute_group.command("resolve")
@click.argument("dispute")
@click.option("--outcome", required=True, type=click.Choice(sorted(supervision.OUTCOMES)))
@click.option("--reason", required=True)
@click.option("--document", "documents", multiple=True, type=click.Path(
    path_type=Path, exists=True, dir_okay=False))
@tx_options
@pass_wallet
def dispute_resolve(w: Wallet, dispute: str, outcome: str, reason: str,
                    documents: tuple[Path, ...], out: Path | None,
                    expires_in: int | None) -> None:
    """As the agency, resolve DISPUTE: upheld or dismissed, with the reason (an upheld
    dispute on a voucher is resolved by `void --dispute` instead, in one step)."""
    body = supervision.ResolveDispute(
        w.address(), record_id(w, "dispute", dispute), outcome, reason,
        tuple(hashlib.sha256(p.read_bytes()).digest() for p in documents))
    w.transact("supervision", "resolve_dispute", body, out, expires_in)


@dispute_group.command("list")
@click.option("--party", help="whose disputes (default: yours, unless --subject or --all)")
@click.option("--subject", help="an application, issued voucher (origin) or obligation id")
@click.option("--all", "everyone", is_flag=True, help="every open dispute (oversight)")
@click.option("--status", type=click.Choice(sorted(supervision.DISPUTE_STATUSES)))
@pass_wallet
def dispute_list(w: Wallet, party: str | None, subject: str | None, everyone: bool,
                 status: str | None) -> None:
    """Disputes you may read."""
    who = None if subject or everyone else (address_of(w, party) if party else w.address())
    found = w.ledger.disputes(party=who.hex() if who else None,
                              subject=any_record_id(w, DISPUTE_SUBJECTS, subject).hex()
                              if subject else None,
                              status=status)

    def table(console: Console) -> None:
        t = Table("dispute", "kind", "subject", "raised by", "raised", "status", "reason")
        for d in found["disputes"]:
            t.add_row(d["id"][:10], _(d["kind"]), d["subject"][:10], addr(d["raised_by"]),
                      show_time(d["raised_at_ms"]), _(d["status"]), d["reason"])
        console.print(t)
        more(console, found)

    w.emit(found, table)


@dispute_group.command("show")
@click.argument("dispute")
@pass_wallet
def dispute_show(w: Wallet, dispute: str) -> None:
    """A dispute you are a party to."""
    d = w.ledger.dispute(record_id(w, "dispute", dispute).hex())

    def show(console: Console) -> None:
        console.print(_("dispute {id} on {kind} {subject}, raised by {by} {when}: {reason}"
                        "\nstatus {status}").format(
            id=d["id"], kind=_(d["kind"]), subject=d["subject"], by=addr(d["raised_by"]),
            when=show_time(d["raised_at_ms"]), reason=d["reason"], status=_(d["status"]))
            + (f": {d['resolution']}" if d["resolution"] else ""), soft_wrap=True, markup=False)
        for digest in d["documents"]:
            console.print(_("document sha256 {digest}").format(digest=digest))

    w.emit(d, show)
