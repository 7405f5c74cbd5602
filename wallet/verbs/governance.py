"""Governance: the agency activates contract and protocol versions from a height; anyone
shows which versions are in force and which are scheduled.

The ledger cannot know whether a version exists: it records the (name, version, code
hash) the agency signs. So the wallet checks before signing that its own release runs
that version with that code hash (the code hash comes from the release, never from the
command line): the agency activates from the release that adds the version, after the
validators installed it.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts import governance as rules
from contracts.errors import LedgerError
from contracts.protocol import PROTOCOL_VERSION
from wallet.i18n import _
from wallet.session import Wallet, pass_wallet
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


def _check_height(status: dict, from_height: int) -> None:
    head = status["height"]
    if from_height <= head + 1:
        raise LedgerError("governance.height_not_future",
                          f"the node is at height {head}: activate from a height after "
                          f"{head + 1}, leaving the operators time to upgrade")


@verbs.group("governance")
def governance() -> None:
    """Contract and protocol versions: activate one from a height (agency), show them."""


@governance.command("activate")
@click.argument("contract")
@click.argument("version", type=click.IntRange(1, 2**32 - 1))
@click.option("--from-height", type=click.IntRange(1), required=True,
              help="the first height the version is in force at (a future one)")
@tx_options
@pass_wallet
def activate(w: Wallet, contract: str, version: int, from_height: int, out: Path | None,
             expires_in: int | None) -> None:
    """The agency activates CONTRACT VERSION from --from-height, with the code hash of
    this wallet's release (refused when the release lacks that version). Nodes whose
    release lacks it warn at once and stop before that height."""
    runs = w.registry.get(contract, version)
    if runs is None:
        raise LedgerError(
            "wallet.unknown_version",
            f"this wallet's release does not run {contract} v{version}, so it cannot say "
            "which code the chain would run: activate it from the release that adds it")
    _check_height(w.ledger.status(), from_height)
    if not w.as_json:
        click.echo(_("activating {contract} v{version} (code hash {hash}, as this release "
                     "runs it) from height {height}").format(
            contract=contract, version=version, hash=runs.code_hash.hex(), height=from_height),
            err=True)
    body = rules.Activate(w.address(), contract, version, runs.code_hash, from_height)
    w.transact("governance", "activate", body, out, expires_in)


@governance.command("protocol")
@click.argument("version", type=click.IntRange(1, 2**32 - 1))
@click.option("--from-height", type=click.IntRange(1), required=True,
              help="the first height the protocol version is in force at (a future one)")
@tx_options
@pass_wallet
def protocol(w: Wallet, version: int, from_height: int, out: Path | None,
             expires_in: int | None) -> None:
    """The agency puts protocol VERSION in force from --from-height. A release runs one
    protocol version: this wallet's must be VERSION (refused otherwise), and every node
    stops before that height until its operator installs a release that runs it."""
    if version != PROTOCOL_VERSION:
        raise LedgerError(
            "wallet.unknown_version",
            f"this wallet's release runs protocol version {PROTOCOL_VERSION}, not "
            f"{version}: activate it from a release that runs it")
    _check_height(w.ledger.status(), from_height)
    body = rules.ActivateProtocol(w.address(), version, from_height)
    w.transact("governance", "activate_protocol", body, out, expires_in)


@governance.command("show")
@pass_wallet
def show(w: Wallet) -> None:
    """The contract and protocol versions in force for the next block, those scheduled
    for later heights, and what the node's own release lacks (from its /v1/status)."""
    status = w.ledger.status()
    view = {"height": status["height"], "protocol": status.get("protocol"),
            "contracts": status.get("contracts", []),
            "contracts_scheduled": status.get("contracts_scheduled", []),
            "upgrade_needed": status.get("upgrade_needed")}

    def human(c: Console) -> None:
        table = Table("contract", "version", "from height", "code hash", "state",
                      title=_("contract versions at height {height}").format(
                          height=view["height"] + 1))
        for a in view["contracts"]:
            table.add_row(a["name"], str(a["version"]), str(a["from_height"]),
                          a["code_hash"], _("in force"))
        for a in view["contracts_scheduled"]:
            runs = "" if a.get("this_release_runs", True) else \
                _(", the node's release lacks it")
            table.add_row(a["name"], str(a["version"]), str(a["from_height"]),
                          a["code_hash"], _("scheduled") + runs)
        c.print(table)
        p = view["protocol"]
        if isinstance(p, dict):
            later = ", ".join(_("v{version} from height {height}").format(
                version=s["version"], height=s["from_height"]) for s in p.get("scheduled", []))
            c.print(_("protocol v{version} in force (the node's release runs v{release})")
                    .format(version=p["in_force"], release=p["release"])
                    + (_("; scheduled: {later}").format(later=later) if later else ""))
        elif p is not None:
            c.print(_("protocol v{version}").format(version=p))
        needed = view["upgrade_needed"]
        if needed:
            c.print(_("[bold red]upgrade needed[/]: {message}").format(
                message=needed["message"]), soft_wrap=True)

    w.emit(view, human)
