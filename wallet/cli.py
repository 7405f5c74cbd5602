"""`claimledger-wallet`: members sign and submit from here; co-signing goes through files.

This module is the entry point: the `main` group with the options every verb shares, and
the families of verbs it gathers. Each family is a module of wallet/verbs/ holding a
`verbs` group; a new family is one module there and one line in FAMILIES below. What
the families share lives beside them: wallet/session.py (the Wallet a verb works with),
wallet/units.py (yuan, dates, ids), wallet/sentences.py (what a transaction did, for
people), wallet/envelopes.py (confidential documents) and wallet/verbs/options.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from contracts.errors import LedgerError
from contracts.proofs import ProofError
from wallet.envelopes import envelope_of
from wallet.keys import write_key_store
from wallet.session import DRAFT_EXPIRY_BLOCKS, SUBMIT_EXPIRY_BLOCKS, Wallet
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
__all__ = ["DRAFT_EXPIRY_BLOCKS", "SUBMIT_EXPIRY_BLOCKS", "Wallet", "envelope_of",
           "main", "parse_amounts", "parse_due", "parse_yuan", "show_due", "write_key_store"]

FAMILIES = (keys, membership, issuance, vouchers, transfers, registry, redemption, products,
            fees, obligations, setoff, drafts, queries, documents, governance, nodes, light,
            financing, sales, credit, reports, supervision, agent)


# A proof that does not verify (a node's answer, header or certificate refused by the
# light client) exits apart from every other error, so that scripts tell them apart.
EXIT_PROOF_FAILED = 3


class Main(click.Group):
    """Every ledger error becomes `error: code: message` on stderr and exit status 1
    (EXIT_PROOF_FAILED for a proof.* refusal of the light client)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as e:
            click.echo(f"error: {e.code}: {e.message}", err=True)
            sys.exit(EXIT_PROOF_FAILED if isinstance(e, ProofError) else 1)


@click.group(cls=Main)
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
@click.option("--json", "as_json", is_flag=True, help="JSON output for scripts")
@click.pass_context
def main(ctx: click.Context, node: str, network_path: Path | None, ca_file: Path | None,
         key_path: Path | None, as_json: bool) -> None:
    """Sign and submit Claimledger transactions; query vouchers."""
    ctx.obj = Wallet(node, key_path, as_json, network_path, ca_file)


for family in FAMILIES:
    for command in family.verbs.commands.values():
        main.add_command(command)


if __name__ == "__main__":
    main()
