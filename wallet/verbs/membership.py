"""Membership: the agency admits members with their legal identity, amends, suspends and
reinstates them and recovers a lost key; a member rotates its own key; anyone reads one.

`member ADDRESS` shows a member (as `member show ADDRESS`); `member rotate-key`,
`member recover-key` and `member amend` are the key and record verbs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from contracts import membership
from contracts.errors import LedgerError
from contracts.identity import KeyPair, parse_hash
from contracts.ledger import sign_transaction
from contracts.legal_identity import id_reference, resident_id_problem
from wallet.i18n import _, pgettext
from wallet.keys import write_key_store
from wallet.resolve import address_of, record_id
from wallet.review import review_and_confirm
from wallet.session import Wallet, pass_wallet
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()

# Each identity field and the option that gives it.
OPTION_OF = {"person_type": "--type", "credit_code": "--credit-code",
             "id_reference": "--id-number (or --id-reference)",
             "legal_representative": "--legal-rep", "contacts": "--contacts",
             "industry": "--industry", "region": "--region"}


def identity_options(f: Callable) -> Callable:
    """The options that give a member's legal identity (contracts.membership.Identity)."""
    for option in reversed([
        click.option("--type", "person_type", type=click.Choice(membership.PERSON_TYPES),
                     help="legal_person (企事业法人), other_organisation (其他经济组织) or "
                          "natural_person (自然人)"),
        click.option("--credit-code", help="an organisation's unified social credit code "
                                           "(统一社会信用代码, 18 characters)"),
        click.option("--id-number", help="a natural person's resident identity number: "
                                         "checked here, recorded only as a salted hash"),
        click.option("--id-reference", help="a natural person's identity reference made "
                                            "before (64 hex digits), instead of --id-number"),
        click.option("--legal-rep", "legal_representative",
                     help="an organisation's legal representative (法定代表人/负责人)"),
        click.option("--contacts", help="how the agency reaches the member (one line)"),
        click.option("--industry", help="GB/T 4754-2017 section letter, A to T"),
        click.option("--region", help="GB/T 2260 administrative division code, 6 digits"),
    ]):
        f = option(f)
    return f


def review_options(f: Callable) -> Callable:
    f = click.option("--review-file", "review_files", multiple=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="a file the review rests on (the application form, the business "
                          "licence, the member's request), attached first, sealed to the "
                          "agency and the regulators; repeatable")(f)
    return click.option("--review-document", "review_documents", multiple=True,
                        metavar="DOCUMENT_ID",
                        help="a sealed document already on the ledger the review rests on "
                             "(its id); repeatable")(f)


def document_ids(w: Wallet, texts: tuple[str, ...], files: tuple[Path, ...] = (),
                 expires_in: int | None = None) -> tuple[bytes, ...]:
    """The review's documents: those named by id, and each of `files` attached first
    (sealed to the agency, which signs, and so to the regulators), committed before the
    operation that names them."""
    attached = w.attach_documents(files, (), (w.address(),), expires_in, wait=True)
    return tuple(sorted({record_id(w, "document", t) for t in texts}
                        | {bytes.fromhex(entry["id"]) for entry in attached}))


def identity_from(options: dict[str, Any], current: membership.Identity | None
                  ) -> tuple[membership.Identity, bytes | None]:
    """The identity the options give, each field not given taken from `current` (None:
    every field must be given); and the salt of a reference made from --id-number, which
    the agency keeps with the sealed review documents (None when none was made)."""
    given = {k: v for k, v in options.items() if v is not None}
    salt = None
    if "id_number" in given:
        if "id_reference" in given:
            raise LedgerError("wallet.identity", "give --id-number or --id-reference, not both")
        problem = resident_id_problem(given["id_number"])
        if problem is not None:
            raise LedgerError("membership.bad_id_reference", problem)
        salt = os.urandom(32)
        given["id_reference"] = id_reference(given.pop("id_number"), salt)
    elif "id_reference" in given:
        given["id_reference"] = parse_hash(given["id_reference"], "an identity reference",
                                           "membership.bad_id_reference")
    fields = ("person_type", "credit_code", "id_reference", "legal_representative",
              "contacts", "industry", "region")
    if current is None:
        kind = given.get("person_type")
        needed = ["person_type", "contacts", "industry", "region"] + (
            ["id_reference"] if kind == "natural_person"
            else ["credit_code", "legal_representative"])
        missing = [OPTION_OF[n] for n in needed if n not in given]
        if missing:
            raise LedgerError("wallet.identity",
                              "a member's identity needs " + ", ".join(missing))
        defaults: dict[str, Any] = {"credit_code": "", "id_reference": b"",
                                    "legal_representative": ""}
    else:
        defaults = {n: getattr(current, n) for n in fields}
    values = {n: given.get(n, defaults.get(n)) for n in fields}
    return membership.Identity(**values), salt


def salt_note(w: Wallet, salt: bytes | None) -> None:
    if salt is not None:
        message = {"id_salt": salt.hex(), "note": "keep this salt with the sealed review "
                   "documents: only with it does a presented identity card match the record"}
        click.echo(json.dumps(message), err=True)


@verbs.command()
@click.argument("member")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(membership.ROLES))
@identity_options
@review_options
@tx_options
@pass_wallet
def admit(w: Wallet, member: str, name: str, roles: tuple[str, ...],
          review_documents: tuple[str, ...], review_files: tuple[Path, ...], out: Path | None,
          expires_in: int | None, **identity: Any) -> None:
    """The agency admits MEMBER (an address) with its legal identity, as reviewed; the new
    member co-signs."""
    record, salt = identity_from(identity, None)
    body = membership.Admit(w.address(), address_of(w, member), name,
                            tuple(sorted(set(roles))), record,
                            document_ids(w, review_documents, review_files, expires_in))
    salt_note(w, salt)
    w.transact("membership", "admit", body, out, expires_in)


@verbs.command()
@click.argument("member")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def suspend(w: Wallet, member: str, reason: str, out: Path | None, expires_in: int | None) -> None:
    """The agency suspends MEMBER."""
    body = membership.Suspend(w.address(), address_of(w, member), reason)
    w.transact("membership", "suspend", body, out, expires_in)


@verbs.command()
@click.argument("member")
@tx_options
@pass_wallet
def reinstate(w: Wallet, member: str, out: Path | None, expires_in: int | None) -> None:
    """The agency reinstates a suspended MEMBER."""
    body = membership.Reinstate(w.address(), address_of(w, member))
    w.transact("membership", "reinstate", body, out, expires_in)


class MemberGroup(click.Group):
    """`member ADDRESS` is `member show ADDRESS`, as it was before the group had verbs."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


@verbs.group(cls=MemberGroup)
def member() -> None:
    """A member's record, its key and the agency's changes to it."""


def record_of(w: Wallet, address: bytes) -> membership.Member:
    """The member at `address` as the node shows it to this wallet's key."""
    view = w.ledger.member(address.hex())
    identity = view.get("identity")
    if identity is None:
        return membership.Member(address, view["name"], tuple(view["roles"]), view["status"],
                                 0, 0, "", None, None, bytes.fromhex(view["key"]), 0)
    return membership.Member(
        address, view["name"], tuple(view["roles"]), view["status"], 0, 0, "",
        membership.Identity(identity["person_type"], identity["credit_code"],
                            bytes.fromhex(identity["id_reference"]),
                            identity["legal_representative"], identity["contacts"],
                            identity["industry"], identity["region"]),
        None, bytes.fromhex(view["key"]), 0)


@member.command()
@click.argument("member_address")
@pass_wallet
def show(w: Wallet, member_address: str) -> None:
    """A member's name, roles, status, key and legal identity (contacts, legal
    representative and review documents only for itself, the agency and regulators)."""
    m = w.ledger.member(address_of(w, member_address).hex())

    def human(c) -> None:
        c.print(_("{name}  roles {roles}  {status}").format(
            name=m["name"], roles=", ".join(pgettext("role", r) for r in m["roles"]),
            status=_(m["status"])))
        key = m.get("key")
        if key and key != m["address"]:
            c.print(_("  signs with key {key} (since height {height})").format(
                key=key, height=m.get("key_since_height")))
        identity = m.get("identity")
        if identity:
            code = identity["credit_code"] or \
                _("(natural person: identity reference {reference})").format(
                    reference=identity["id_reference"] or _("withheld"))
            c.print(_("  {person_type}  {code}  industry {industry}  region {region}").format(
                person_type=_(identity["person_type"]), code=code,
                industry=identity["industry"], region=identity["region"]))
            if "legal_representative" not in m.get("withheld", []):
                c.print(_("  legal representative {representative}  contacts {contacts}")
                        .format(representative=identity["legal_representative"] or "-",
                                contacts=identity["contacts"]))
        review = m.get("review")
        if review:
            c.print(_("  reviewed by {reviewer} at height {height}").format(
                reviewer=review["reviewer"], height=review["reviewed_height"])
                    + (f": {review['reason']}" if review["reason"] else ""))
            for document in review.get("documents", []):
                c.print(_("    document {document}").format(document=document))
    w.emit(m, human)


@member.command()
@click.argument("member_address")
@click.option("--name", default=None, help="the new name (default: unchanged)")
@click.option("--role", "roles", multiple=True, type=click.Choice(membership.ROLES),
              help="the roles it holds from now on (default: unchanged); repeatable")
@identity_options
@review_options
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def amend(w: Wallet, member_address: str, name: str | None, roles: tuple[str, ...],
          review_documents: tuple[str, ...], review_files: tuple[Path, ...], reason: str,
          out: Path | None, expires_in: int | None, **identity: Any) -> None:
    """The agency amends a member's name, roles or identity on a review; what is not given
    stays as the ledger has it."""
    address = address_of(w, member_address)
    current = record_of(w, address)
    record, salt = identity_from(identity, current.identity)
    body = membership.Amend(w.address(), address, name or current.name,
                            tuple(sorted(set(roles))) if roles else current.roles, record,
                            document_ids(w, review_documents, review_files, expires_in), reason)
    salt_note(w, salt)
    w.transact("membership", "amend", body, out, expires_in)


@member.command("rotate-key")
@click.option("--new-key-out", type=click.Path(path_type=Path), required=True,
              help="the new key store to write (protected by a passphrase)")
@click.option("--expires-in", type=click.IntRange(1, 1000), default=None)
@click.option("--yes", is_flag=True, help="rotate without asking (after the review screen)")
@pass_wallet
def rotate_key(w: Wallet, new_key_out: Path, expires_in: int | None, yes: bool) -> None:
    """Replace your signing key: after the review screen asks `Sign this?` (--yes:
    without asking), a new key store is written at --new-key-out for your same address,
    both keys sign, and once committed only the new key signs for you (use --key
    NEW_KEY_OUT from then on). Keep the old key store: documents sealed to you before the
    rotation open with it."""
    address = w.address()
    new = KeyPair.generate()
    tx = w.new_transaction("membership", "rotate_key", membership.RotateKey(address, new.address),
                           expires_in)
    review_and_confirm(w, tx, yes)
    old = w.key()
    write_key_store(new_key_out, new, f"member {address.hex()[:16]}", member=address)
    signed = sign_transaction(sign_transaction(tx, old), new)
    tx_id = w.ledger.submit(signed, wait=False).tx_id
    try:
        view = w.wait_committed(tx_id)
    except LedgerError as e:
        # Committed between two polls: the old key reads nothing any more, the new one
        # reads for the same address.
        if e.code != "auth.key_rotated":
            raise
        w.use_key(new_key_out, new)
        view = w.wait_committed(tx_id)
    w.use_key(new_key_out, new)  # this wallet goes on with the new key
    view = {**view, "address": address.hex(), "key": new.address.hex(),
            "key_store": str(new_key_out)}
    w.emit(view, lambda c: c.print(
        _("{status}: {address} signs with key {key} now; use --key {out} (keep the old key "
          "store for documents sealed before)").format(
            status=pgettext("transaction", view["status"]), address=address.hex(),
            key=new.address.hex(), out=new_key_out)))


@member.command("recover-key")
@click.argument("member_address")
@click.option("--new-key", required=True, help="the member's new key (its `keygen "
              "--member` printed it): it co-signs this draft")
@review_options
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def recover_key(w: Wallet, member_address: str, new_key: str,
                review_documents: tuple[str, ...], review_files: tuple[Path, ...], reason: str,
                out: Path | None, expires_in: int | None) -> None:
    """The agency gives a member that lost its key a new one, on a reviewed request (at
    least one --review-document or --review-file): draft it with --out, the member signs
    the draft with its new key store, the agency signs and submits. The lost key signs
    nothing after."""
    body = membership.RecoverKey(w.address(), address_of(w, member_address),
                                 parse_hash(new_key, "a new key", "address.malformed"),
                                 document_ids(w, review_documents, review_files, expires_in),
                                 reason)
    w.transact("membership", "recover_key", body, out, expires_in)
