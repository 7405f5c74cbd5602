"""`claimledger-wallet`: members sign and submit from here; co-signing goes through files.

This module is the entry point: the `main` group with the options every verb shares, and
the families of verbs it gathers. Each family is a module of wallet/verbs/ holding a
`verbs` group; a new family is one module there and one line in FAMILIES below. What
the families share lives beside them: wallet/session.py (the Wallet a verb works with),
wallet/units.py (yuan, dates, ids), wallet/sentences.py (what a transaction did, for
people), wallet/envelopes.py (confidential documents) and wallet/verbs/options.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from contracts.errors import LedgerError
from contracts.proofs import ProofError
from wallet.envelopes import envelope_of
from wallet.exits import (
    EXIT_ERROR,
    EXIT_PENDING,
    EXIT_PROOF_FAILED,
    EXIT_USAGE,
    HELP_EPILOG,
    Pending,
)
from wallet.help import SpeakingGroup, speak_in_groups
from wallet.i18n import (
    LANGUAGES,
    UNITS,
    Speech,
    _,
    current,
    error_line,
    language_from_env,
    set_speech,
    use,
)
from wallet.keys import write_key_store
from wallet.resolve import LISTING_CODES
from wallet.session import COMMIT_WAIT_S, DRAFT_EXPIRY_BLOCKS, SUBMIT_EXPIRY_BLOCKS, Wallet
from wallet.shown import visible, visible_lines
from wallet.units import parse_amounts, parse_due, parse_yuan, show_due
from wallet.verbs import (
    agent,
    credit,
    documents,
    drafts,
    fees,
    financing,
    governance,
    issuance,
    keys,
    light,
    membership,
    nodes,
    obligations,
    products,
    queries,
    redemption,
    registry,
    reports,
    sales,
    setoff,
    supervision,
    transfers,
    vouchers,
)

# Names other code and the tests import from here.
__all__ = ["DRAFT_EXPIRY_BLOCKS", "EXIT_PENDING", "EXIT_PROOF_FAILED", "SUBMIT_EXPIRY_BLOCKS",
           "Wallet", "envelope_of", "main", "parse_amounts", "parse_due", "parse_yuan",
           "show_due", "write_key_store"]

FAMILIES = (keys, membership, issuance, vouchers, transfers, registry, redemption, products,
            fees, obligations, setoff, drafts, queries, documents, governance, nodes, light,
            financing, sales, credit, reports, supervision, agent)


def exit_status(error: LedgerError) -> int:
    """The exit status of an error (wallet/exits.py): a proof that does not verify and a
    submission still pending exit apart from every other error, so that scripts tell
    them apart."""
    if isinstance(error, ProofError):
        return EXIT_PROOF_FAILED
    return EXIT_PENDING if isinstance(error, Pending) else EXIT_ERROR


def error_json(code: str, message: str, error: Exception | None = None) -> str:
    """An error as --json prints it on stdout: {"error": {"code", "message"}}, and a
    pending transaction's id and the command that checks it."""
    body: dict[str, Any] = {"code": code, "message": message}
    if isinstance(error, Pending):
        body.update(id=error.tx_id, check=error.check)
    return json.dumps({"error": body}, ensure_ascii=False, indent=2)


class Main(SpeakingGroup):
    """Every ledger error becomes `error: code: message` on stderr and its exit status
    (wallet/exits.py); with --json it is also printed on stdout as JSON, and so is a
    usage error (code `wallet.usage`, exit status 2)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run with the language and unit its options choose (the environment's language
        until --lang is read, so that `--help` alone speaks it too), and as before
        afterwards (a run in-process, as the tests make, leaves no language behind)."""
        with use(Speech(language_from_env())):
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as e:
            shown = visible_lines if e.code in LISTING_CODES else visible
            click.echo(shown(error_line(e.code, e.message)), err=True)
            if as_json(ctx):
                click.echo(error_json(e.code, e.message, e))
            sys.exit(exit_status(e))
        except click.UsageError as e:
            if as_json(ctx):
                click.echo(error_json("wallet.usage", e.format_message()))
            assert e.exit_code == EXIT_USAGE
            raise

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The exit table, in the language chosen (--lang comes before --help)."""
        if self.epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(_(self.epilog))


def choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """--lang, else LANGUAGE/LC_ALL/LANG; set at once (eager) so that --help speaks it."""
    language = value or language_from_env()
    set_speech(Speech(language, current().unit))
    return language


def choose_unit(ctx: click.Context, param: click.Parameter, value: str) -> str:
    set_speech(Speech(current().language, value))
    return value


def as_json(ctx: click.Context) -> bool:
    return isinstance(ctx.obj, Wallet) and ctx.obj.as_json


@click.group(cls=Main, epilog=HELP_EPILOG)
@click.option("--node", envvar="CLAIMLEDGER_NODE", default="http://127.0.0.1:8701",
              show_default=True, help="the node's name in network.toml or its API's URL "
              "(or $CLAIMLEDGER_NODE); plain http to a loopback address only")
@click.option("--network", "network_path", envvar="CLAIMLEDGER_NETWORK",
              type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="the network's genesis.json (or its network.toml): the wallet pins the "
              "node's TLS certificate to the node key it lists (or $CLAIMLEDGER_NETWORK)")
@click.option("--ca-file", envvar="CLAIMLEDGER_CA_FILE",
              type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CA certificates (PEM) for a node whose api_tls is \"ca\" (default: the "
              "system's; or $CLAIMLEDGER_CA_FILE)")
@click.option("--key", "key_path", envvar="CLAIMLEDGER_KEY", type=click.Path(path_type=Path),
              help="your key store (or $CLAIMLEDGER_KEY)")
@click.option("--json", "as_json", is_flag=True,
              help="JSON output for scripts (keys and messages in English whatever --lang)")
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default=None,
              is_eager=True, expose_value=False, callback=choose_language,
              help="the language of the output: zh (中文) or en (default: from LANGUAGE, "
              "LC_ALL or LANG, e.g. zh_CN.UTF-8; else en)")
@click.option("--unit", type=click.Choice(UNITS), default="yuan", show_default=True,
              is_eager=True, expose_value=False, callback=choose_unit,
              help="amounts in yuan (¥1,250,000.00) or in 万元 (¥125.00万)")
@click.option("--wait", "wait_s", envvar="CLAIMLEDGER_WAIT", type=click.FloatRange(0, 3600),
              default=COMMIT_WAIT_S, show_default=True, metavar="SECONDS",
              help="how long a submission waits for its commit before exiting 4 (pending; "
              "or $CLAIMLEDGER_WAIT)")
@click.pass_context
def main(ctx: click.Context, node: str, network_path: Path | None, ca_file: Path | None,
         key_path: Path | None, as_json: bool, wait_s: float) -> None:
    """Sign and submit Claimledger transactions; query vouchers.

    Ids: wherever a command takes an id, its first 8 or more hex digits do (or the
    `1a2b3c4d…9f0e` the tables print), if they name one record you may read; a member
    is also named by its address's first digits or by its name."""
    ctx.obj = Wallet(node, key_path, as_json, network_path, ca_file)
    ctx.obj.wait_s = wait_s


for family in FAMILIES:
    for command in family.verbs.commands.values():
        main.add_command(command)
speak_in_groups(main)


if __name__ == "__main__":
    main()
