"""The pledge registry's verbs beside creating, releasing and enforcing a pledge: amend its
terms and renew its loan (pledgor and bank sign), release part of it (the bank), and ask
the registry for a signed query certificate (查询证明) and verify it."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from contracts import pledge, registry_query
from contracts.codec import to_json
from contracts.errors import LedgerError
from contracts.identity import parse_address
from wallet.checks import follower, trust_option, trust_path
from wallet.files import write_private
from wallet.i18n import _
from wallet.resolve import filter_id, record_id
from wallet.sentences import addr
from wallet.session import Wallet, pass_wallet
from wallet.units import DATE_HELP, hex32, parse_due, parse_percent, parse_yuan, show_due
from wallet.verbs.options import filing_options, one_of, parse_filing, tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


def _pledge_id(w: Wallet, text: str) -> bytes:
    return record_id(w, "pledge", text)


@verbs.command("pledge-amend")
@click.argument("pledge_id")
@click.option("--secured", help="the claim it secures, in yuan (within the pledged state)")
@click.option("--loan", help="the loan's principal, in yuan")
@click.option("--rate", help="the loan's annual rate in percent, e.g. 4.35")
@click.option("--loan-due", help="the loan's due date: " + DATE_HELP)
@filing_options
@click.option("--no-filing", is_flag=True, help="the pledge has no 中登网 filing any more")
@tx_options
@pass_wallet
def amend_verb(w: Wallet, pledge_id: str, secured: str | None, loan: str | None,
               rate: str | None, loan_due: str | None, filing_no: str | None,
               filing_from: str | None, filing_until: str | None, no_filing: bool,
               out: Path | None, expires_in: int | None) -> None:
    """Amend pledge PLEDGE_ID: what you give changes, the rest stays as the registry holds
    it (read from the node). Pledgor and bank sign, so draft it with --out."""
    current = w.ledger.pledge(_pledge_id(w, pledge_id).hex())
    filing = parse_filing(filing_no, filing_from, filing_until)
    if no_filing and filing is not None:
        raise LedgerError("wallet.bad_option", "give a new filing or --no-filing, not both")
    if filing is None and not no_filing and current["filing"] is not None:
        kept = current["filing"]
        filing = pledge.Filing(kept["number"], kept["from_ms"], kept["until_ms"])
    body = pledge.Amend(
        parse_address(current["pledgor"]), parse_address(current["bank"]),
        _pledge_id(w, pledge_id),
        current["secured_fen"] if secured is None else parse_yuan(secured),
        current["loan_due_ms"] if loan_due is None else parse_due(loan_due),
        current["loan_fen"] if loan is None else parse_yuan(loan),
        current["loan_rate_bp"] if rate is None else parse_percent(rate),
        filing)
    w.transact("pledge", "amend", body, out, expires_in)


@verbs.command("pledge-renew")
@click.argument("pledge_id")
@click.option("--loan-due", required=True, help="the new loan's due date: " + DATE_HELP)
@click.option("--loan-ref", required=True, help="the new loan contract's reference")
@tx_options
@pass_wallet
def renew_verb(w: Wallet, pledge_id: str, loan_due: str, loan_ref: str, out: Path | None,
               expires_in: int | None) -> None:
    """Renew the loan pledge PLEDGE_ID secures (续贷): a new loan, due later, on the same
    pledge. Pledgor and bank sign, so draft it with --out."""
    current = w.ledger.pledge(_pledge_id(w, pledge_id).hex())
    body = pledge.Renew(parse_address(current["pledgor"]), parse_address(current["bank"]),
                        _pledge_id(w, pledge_id), parse_due(loan_due), loan_ref)
    w.transact("pledge", "renew", body, out, expires_in)


@verbs.command("release-part")
@click.argument("pledge_id")
@click.option("--amount", required=True, help="in yuan, less than the claim secured")
@tx_options
@pass_wallet
def release_part_verb(w: Wallet, pledge_id: str, amount: str, out: Path | None,
                      expires_in: int | None) -> None:
    """The bank releases part of the claim pledge PLEDGE_ID secures: that much becomes a
    part of the voucher its holder holds free; the rest stays pledged."""
    body = pledge.ReleasePart(w.address(), _pledge_id(w, pledge_id), parse_yuan(amount))
    w.transact("pledge", "release_part", body, out, expires_in)


# ------------------------------------------------------------------ query certificates


def show_answer(c: Console, answer: registry_query.Answer, checked: str) -> None:
    q = answer.query
    c.print(_("查询证明: pledges by {by} {key}").format(by=_(q.by), key=q.key.hex())
            + (f", {_(q.status)}" if q.status else "")
            + _(", answered by node {node} at height {height} ({time}, state root {root}); "
                "{checked}").format(node=answer.node.hex(), height=answer.height,
                                    time=show_due(answer.time_ms),
                                    root=answer.state_root.hex(), checked=checked),
            markup=False, soft_wrap=True)
    for n in answer.notices:
        filing = _("no 中登网 filing") if n.filing is None else (
            f"中登网 {n.filing.number} {show_due(n.filing.from_ms)}–"
            f"{show_due(n.filing.until_ms)}")
        c.print(_("  {registration} {status:9} voucher {voucher} pledgor {pledgor} debtor "
                  "{debtor} bank {bank}; {filing}").format(
            registration=n.registration_no, status=_(n.status), voucher=n.voucher.hex()[:16],
            pledgor=addr(n.pledgor.hex()), debtor=addr(n.debtor.hex()),
            bank=addr(n.bank.hex()), filing=filing), markup=False, soft_wrap=True)
    if not answer.notices:
        c.print(_("  no pledge registered"), markup=False)
    if not answer.complete:
        c.print(_("  more follow: ask again with --after {cursor}").format(
            cursor=answer.notices[-1].id.hex()), markup=False)


@verbs.command("pledge-certificate")
@click.option("--pledgor", help="a pledgor's address")
@click.option("--debtor", help="a debtor's address: pledges of claims on it")
@click.option("--voucher", help="a voucher state's id")
@click.option("--origin", help="an issued voucher's id: pledges on any of its parts")
@click.option("--status", type=click.Choice(sorted(pledge.PLEDGE_STATUSES)))
@click.option("--after", help="the page after this pledge id")
@click.option("--node-key", "node_keys", multiple=True,
              help="a node key you trust to answer (repeatable; default: the node's own)")
@click.option("--save", type=click.Path(path_type=Path, dir_okay=False),
              help="keep the certificate's bytes in FILE (check it later with --check)")
@click.option("--check", "check_file", type=click.Path(path_type=Path, dir_okay=False,
                                                       exists=True),
              help="verify the certificate saved in FILE instead of asking the node")
@click.option("--chain-id", help="with --check: the chain it must be of (default: the node's)")
@trust_option
@pass_wallet
def certificate_verb(w: Wallet, pledgor: str | None, debtor: str | None, voucher: str | None,
                     origin: str | None, status: str | None, after: str | None,
                     node_keys: tuple[str, ...], save: Path | None, check_file: Path | None,
                     chain_id: str | None, trust_file: Path | None) -> None:
    """Ask the pledge registry by pledgor, debtor, voucher or issued voucher for a query
    certificate (查询证明) and verify it: the node's signature, every result an answer to
    the query and in the registry's index under the state root it names, and, if you trust
    a genesis (`trust`), that state root in the header of that height your light client
    verified. Exit status 3 if it does not hold."""
    trusted = {parse_address(k) for k in node_keys} or None
    if check_file is not None:
        raw = check_file.read_bytes()
        answer = registry_query.verify_certificate(
            raw, chain_id or w.ledger.status()["chain_id"], trusted)
        checked = _("signature and index proofs hold")
    else:
        which = one_of(pledgor=pledgor, debtor=debtor, voucher=voucher, origin=origin)
        if which is None:
            raise LedgerError("wallet.one_filter",
                              "give one of --pledgor, --debtor, --voucher, --origin")
        key = filter_id(w, *which)
        view = w.ledger.pledge_certificate(
            **{which[0]: key.hex()}, status=status,
            after=None if after is None else hex32(after, "--after").hex())
        raw = bytes.fromhex(view["certificate"])
        status_view = w.ledger.status()
        answer = registry_query.verify_certificate(
            raw, status_view["chain_id"], trusted or {parse_address(status_view["address"])})
        checked = _("signature and index proofs hold")
        query = answer.query
        if (query.by, query.key, query.status, query.after) != (
                which[0], key, status or "", None if after is None else hex32(after, "")):
            raise registry_query.CertificateError(
                "certificate.inconsistent", "the node answered another query")
    if trust_path(w, trust_file).exists():
        header = follower(w, trust_file).header_at(answer.height)
        if (header.state_root, header.time_ms) != (answer.state_root, answer.time_ms):
            raise registry_query.CertificateError(
                "certificate.bad_proof", f"the state root of height {answer.height} your light "
                "client verified is not the certificate's")
        checked += _(", and its state root is the one your light client verified")
    if save is not None:
        write_private(save, raw)
    w.emit({"certificate": raw.hex(), "answer": to_json(answer), "checked": checked,
            "saved": None if save is None else str(save)},
           lambda c: show_answer(c, answer, checked))
