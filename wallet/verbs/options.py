"""Options and argument parsers several families of verbs share: a transaction's --out
and --expires-in, confidential --document files, a basis document, a pledgee co-signing,
a pledge's 中登网 filing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from contracts import documents, pledge
from contracts.errors import LedgerError
from contracts.tx import MAX_VALIDITY_BLOCKS
from wallet.checks import trust_option
from wallet.resolve import optional_member, record_id
from wallet.session import DRAFT_EXPIRY_BLOCKS, SUBMIT_EXPIRY_BLOCKS, Wallet
from wallet.units import DATE_HELP, hex32, parse_due


def tx_options(f: Callable) -> Callable:
    f = click.option("--out", type=click.Path(path_type=Path), default=None,
                     help="write an unsigned draft to FILE instead of submitting")(f)
    return click.option(
        "--expires-in", type=click.IntRange(1, MAX_VALIDITY_BLOCKS), default=None,
        help=f"blocks until the transaction expires (default {SUBMIT_EXPIRY_BLOCKS:,}; "
        f"{DRAFT_EXPIRY_BLOCKS:,} for a draft with --out; at most {MAX_VALIDITY_BLOCKS:,})")(f)


def yes_option(f: Callable) -> Callable:
    """--yes, on a verb answering what another member asked or offered (review.ANSWERS):
    sign after the review screen without asking."""
    return click.option("--yes", is_flag=True,
                        help="sign without asking, after the review screen (for scripts)")(f)


def proving_answer_options(f: Callable) -> Callable:
    """--yes and --trust-file, on a verb whose review proves the records it answers
    (review.ANSWER_RECORDS) with the member's light client, kept where --trust-file says
    (as `sign` reads it; without one the screen says they are the node's word)."""
    return trust_option(yes_option(f))


def basis_options(f: Callable) -> Callable:
    """--basis-file and --basis-sha256: exactly one gives the digest `basis_digest` returns."""
    f = click.option("--basis-sha256",
                     help="a basis digest computed before with `basis digest` (hex)")(f)
    return click.option(
        "--basis-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
        help="the basis document: its digest keyed by you and the debtor is recorded (only "
        "the two of you can compute it; `basis digest` shows it)")(f)


def document_options(f: Callable) -> Callable:
    f = click.option("--document-label", "document_labels", multiple=True, metavar="TEXT",
                     help="what a --document is, sealed with it for its readers (one per "
                     "--document, in order; default: the file's name)")(f)
    return click.option(
        "--document", "document_files", multiple=True,
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        help="a confidential document (basis contract, invoice, delivery note) padded, "
        "encrypted and sealed to the parties, the agency and every regulator, and named by "
        "its document id; repeatable, at most "
        f"{documents.MAX_PER_TRANSACTION}, each at most 4 MiB")(f)


def basis_digest(w: Wallet, basis_file: Path | None, basis_sha256: str | None,
                 creditor: bytes, debtor: bytes) -> bytes:
    """The basis digest an application or obligation records: of --basis-file, keyed by
    the creditor and the debtor (documents.basis_digest; either computes it with its
    own key), or as --basis-sha256 gives it (a digest computed before, e.g. by
    `basis digest`)."""
    if (basis_file is None) == (basis_sha256 is None):
        raise LedgerError("wallet.basis", "give exactly one of --basis-file and --basis-sha256")
    if basis_file is None:
        return hex32(basis_sha256 or "", "--basis-sha256")
    try:
        plaintext = basis_file.read_bytes()
    except OSError as e:
        raise LedgerError("wallet.unreadable", f"cannot read {basis_file}: {e.strerror}") from e
    return documents.basis_digest(w.key(), creditor, debtor, plaintext)


def optional_address(w: Wallet, text: str | None) -> bytes | None:
    """A member (address, its prefix or its name: wallet/resolve.py), if given."""
    return optional_member(w, text)


def voucher_id(w: Wallet, text: str) -> bytes:
    """A voucher state's id, or a prefix of it (wallet/resolve.py)."""
    return record_id(w, "voucher", text)


def pledgee_option(f: Callable) -> Callable:
    return click.option("--pledgee", metavar="BANK",
                        help="the bank the voucher is pledged to: it co-signs, the pledge ends")(f)


def one_of(**filters: str | None) -> tuple[str, str] | None:
    """The one filter given (name, value), None if none; refuses more than one."""
    given = [(k, v) for k, v in filters.items() if v is not None]
    if len(given) > 1:
        raise LedgerError("wallet.one_filter",
                          "give one of " + ", ".join(f"--{k}" for k in filters))
    return given[0] if given else None


def filing_options(f: Callable) -> Callable:
    """--filing-no, --filing-from, --filing-until: the pledgee's (or a claim's buyer's)
    中登网 registration."""
    f = click.option("--filing-until", help="the end of its registration period: " +
                     DATE_HELP)(f)
    f = click.option("--filing-from", help="the start of its registration period: " +
                     DATE_HELP)(f)
    return click.option("--filing-no", help="the 中登网 registration number (登记编号) of "
                        "the pledge or the sale, once the bank or the buyer filed it")(f)


def parse_filing(number: str | None, from_text: str | None, until_text: str | None
                 ) -> pledge.Filing | None:
    """The filing the three options give, all or none of them."""
    given = [number, from_text, until_text]
    if given.count(None) == 3:
        return None
    if None in given:
        raise LedgerError("wallet.partial_filing",
                          "give --filing-no, --filing-from and --filing-until together")
    return pledge.Filing(str(number), parse_due(str(from_text)), parse_due(str(until_text)))
