"""Confidential documents and basis digests: get and show a document, compute a digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts import documents
from wallet.envelopes import grant_body
from wallet.files import write_private
from wallet.i18n import _, pgettext
from wallet.resolve import address_of, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.tables import more
from wallet.units import show_time
from wallet.verbs.options import basis_digest, tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group("document")
def document_group() -> None:
    """Confidential documents: sealed to the parties of a transaction, the agency and every
    regulator, and to the members a voucher's holder grants access to its basis documents.
    The ledger keeps the padded ciphertext and a salted commitment, and names a document
    by an id derived from its owner and that commitment; its label, size and hash are seen
    only by its readers."""


def document_id(w: Wallet, text: str) -> bytes:
    return record_id(w, "document", text)


@document_group.command("get")
@click.argument("document")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="where to write the document (mode 0600, an existing file's too)")
@pass_wallet
def document_get(w: Wallet, document: str, out: Path) -> None:
    """Decrypt DOCUMENT (its id, as the transactions resting on it name it) with your key,
    check it against its commitment and write it to --out."""
    digest = document_id(w, document)
    contents = w.open_document(digest)
    write_private(out, contents.plaintext)
    w.emit({"id": digest.hex(), "label": contents.label, "out": str(out),
            "bytes": len(contents.plaintext),
            "sha256": hashlib.sha256(contents.plaintext).hexdigest()},
           lambda c: c.print(_("{label}: {size:,} bytes, commitment checked, written to "
                               "{out}").format(label=contents.label,
                                               size=len(contents.plaintext), out=out),
                             markup=False, soft_wrap=True))


@document_group.command("show")
@click.argument("document")
@pass_wallet
def document_show(w: Wallet, document: str) -> None:
    """Who attached DOCUMENT, its parties and readers, whether you are one (with --key),
    and to a reader its label and the sha256 of its contents."""
    digest = document_id(w, document)
    found = w.ledger.document(digest.hex(), envelope=False)
    me = w.address().hex() if w.key_path else None
    view = {**found, "you_are_reader": None if me is None else
            me in found["readers"] or "grant" in found}
    if view["you_are_reader"]:
        contents = w.open_document(digest)
        view.update(label=contents.label, bytes=len(contents.plaintext),
                    sha256=hashlib.sha256(contents.plaintext).hexdigest())
        view.pop("envelope", None)

    def show(console: Console) -> None:
        title = escape(view["label"]) if "label" in view else _("(sealed)")
        console.print(f"[bold]{title}[/bold] {found['id']}", soft_wrap=True)
        if "sha256" in view:
            console.print(_("{size:,} bytes, sha256 {sha256}").format(
                size=view["bytes"], sha256=view["sha256"]), soft_wrap=True)
        console.print(_("attached by {owner} at height {height} ({time}), tx {tx}; {size:,} "
                        "bytes of padded ciphertext").format(
            owner=found["owner"], height=found["height"],
            time=show_time(found["attached_at_ms"]), tx=found["tx_id"], size=found["size"]),
            soft_wrap=True)
        t = Table("reader", "party")
        for reader in found["readers"]:
            mark = _(" (you)") if reader == me else ""
            t.add_row(reader + mark, _("yes") if reader in found["parties"] else "")
        console.print(t)
        if "grant" in found:
            grant = found["grant"]
            console.print(_("granted to you by {by} for voucher {voucher} ({time})").format(
                by=grant["granted_by"], voucher=grant["voucher"],
                time=show_time(grant["granted_at_ms"])), soft_wrap=True)
        if me is not None:
            console.print(_("you are a reader: `document get` decrypts it") if view[
                "you_are_reader"] else _("you are not a recipient of this document"))

    w.emit(view, show)


@document_group.command("grant")
@click.argument("document")
@click.option("--to", "to", required=True, help="the grantee's address: a funder asked to "
              "lend, the voucher's transferee, an acquirer")
@click.option("--voucher", required=True, help="the live voucher you hold, whose issuance "
              "application named DOCUMENT")
@tx_options
@pass_wallet
def document_grant(w: Wallet, document: str, to: str, voucher: str, out: Path | None,
                   expires_in: int | None) -> None:
    """Grant the member --to access to DOCUMENT, a basis document of --voucher: your wallet
    unseals the document key (yours as a reader, or the one granted to you), checks that it
    opens the document, and seals it to the grantee; the ledger records the grant.
    Revoking it later stops nodes serving the grantee: what it read is not taken back."""
    digest = document_id(w, document)
    grantee = address_of(w, to)
    body = grant_body(digest, w.ledger.document(digest.hex()), w.key(),
                      record_id(w, "voucher", voucher), grantee, w.address(),
                      w.signing_key_of(grantee))
    w.transact("document", "grant", body, out, expires_in)


@document_group.command("revoke")
@click.argument("document")
@click.option("--to", "to", required=True, help="the grantee's address")
@tx_options
@pass_wallet
def document_revoke(w: Wallet, document: str, to: str, out: Path | None,
                    expires_in: int | None) -> None:
    """Revoke the access you granted --to to DOCUMENT: nodes serve it the document no
    more. What it read already, it keeps; a grant it passed on stands."""
    body = documents.RevokeAccess(w.address(), document_id(w, document), address_of(w, to))
    w.transact("document", "revoke", body, out, expires_in)


@document_group.command("grants")
@click.argument("document", required=False)
@click.option("--grantee", help="list this grantee's grants (default: yours, when no "
              "DOCUMENT is given)")
@click.option("--status", type=click.Choice(documents.GRANT_STATUSES))
@pass_wallet
def document_grants(w: Wallet, document: str | None, grantee: str | None,
                    status: str | None) -> None:
    """Grants of access: of DOCUMENT (those you may read: all of them to its parties, the
    agency and the regulators), or a grantee's (yours by default)."""
    if document is not None:
        if grantee is not None:
            raise click.UsageError("give DOCUMENT or --grantee, not both")
        found = w.ledger.document_grants(document_id(w, document).hex())
        if status is not None:
            found["grants"] = [g for g in found["grants"] if g["status"] == status]
    else:
        who = address_of(w, grantee).hex() if grantee else w.address().hex()
        found = w.ledger.grants(who, status)

    def table(console: Console) -> None:
        t = Table("document", "grantee", "granted by", "voucher", "status", "granted")
        for g in found["grants"]:
            t.add_row(g["document"][:10], addr(g["grantee"]), addr(g["granted_by"]),
                      g["voucher"][:10], pgettext("grant", g["status"]),
                      show_time(g["granted_at_ms"]))
        console.print(t)
        more(console, found)

    w.emit(found, table)


@verbs.group("basis")
def basis_group() -> None:
    """Basis documents: the digest applications and obligations record."""


@basis_group.command("digest")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--creditor", required=True, help="the creditor's address")
@click.option("--debtor", required=True, help="the debtor's address")
@pass_wallet
def basis_digest_command(w: Wallet, file: Path, creditor: str, debtor: str) -> None:
    """The digest of the basis document FILE between CREDITOR and DEBTOR, as either of them
    computes it with its key: compare it with an application's or obligation's
    basis_sha256 before confirming."""
    digest = basis_digest(w, file, None, address_of(w, creditor), address_of(w, debtor))
    w.emit({"basis_sha256": digest.hex()}, lambda c: c.print(digest.hex()))
