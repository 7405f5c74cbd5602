"""The node registry, from the agency's and the operators' wallets: `claimledger-wallet
nodes …`.

Validator changes take two steps (contracts/nodes.py): the agency proposes one (`nodes
propose add-validator|remove-validator|set-power|rotate-key`), and the operators of the
validators approve it (`nodes approve PROPOSAL`) until their validators hold more than two
thirds of the power; the approval that passes it applies the change in its block H, in
force from H+2. Observers are admitted and removed by the agency alone, at once.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from contracts import nodes
from wallet.i18n import _
from wallet.resolve import address_of, record_id
from wallet.session import Wallet, pass_wallet
from wallet.units import hex32, show_time
from wallet.verbs.options import tx_options

DAY_MS = 86_400_000


def node_key(text: str, what: str = "a node key") -> bytes:
    return hex32(text, what)


def expiry_options(f):  # type: ignore[no-untyped-def]
    return click.option("--expires-days", type=click.IntRange(1, 30), default=7,
                        show_default=True,
                        help="days of ledger time the proposal waits for its approvals")(f)


@click.group("nodes")
def nodes_group() -> None:
    """The node registry: validators, observers and changes to them."""


def short(hex_text: str) -> str:
    return hex_text[:16] + "…"


@nodes_group.command("list")
@pass_wallet
def nodes_list(w: Wallet) -> None:
    """Validators in force and coming, observers, and the proposals pending with the
    power their approvals hold."""
    registry = w.ledger.nodes()
    proposals = w.ledger.node_proposals()
    data = {**registry, "proposals": proposals["proposals"]}

    def show(c: Console) -> None:
        table = Table(title=_("validators at height {height} (set in force from {start}, "
                              "power {power})").format(height=registry["height"],
                                                       start=registry["from_height"],
                                                       power=registry["total_power"]))
        for column in ("name", "key", "power", "peer", "operator", "until"):
            table.add_column(column)
        for v in registry["validators"]:
            until = "" if v["until_height"] is None else str(v["until_height"])
            table.add_row(v["name"], short(v["key"]), str(v["power"]), v["peer"],
                          short(v["operator"]), until)
        c.print(table)
        for v in registry["upcoming"]:
            c.print(_("coming: {name} {key} power {power} peer {peer} from height {height}")
                    .format(name=v["name"], key=v["key"], power=v["power"], peer=v["peer"],
                            height=v["from_height"]), soft_wrap=True)
        for o in registry["observers"]:
            c.print(_("observer: {name} {key} operator {operator}").format(
                name=o["name"], key=o["key"], operator=short(o["operator"])), soft_wrap=True)
        for p in proposals["proposals"]:
            ch = p["change"]
            state = _("expired") if p["expired"] else \
                _("expires {when}").format(when=show_time(p["expires_at_ms"]))
            c.print(_("proposal {id}: {kind} {key} approved by power {approved} of {total} "
                      "(needs {needed}); {state}").format(
                id=p["id"], kind=ch["kind"], key=short(ch["key"]), approved=p["approved_power"],
                total=p["total_power"], needed=p["needed_power"], state=state), soft_wrap=True)
        if not proposals["proposals"]:
            c.print(_("no proposal pending"))

    w.emit(data, show)


def propose(w: Wallet, change: nodes.Change, expires_days: int, out: Path | None,
            expires_in: int | None) -> None:
    """The agency's proposal of `change`; its id is the transaction's id."""
    status = w.ledger.status()
    body = nodes.Propose(w.address(), change, status["time_ms"] + expires_days * DAY_MS)
    w.transact("nodes", "propose", body, out, expires_in)


@nodes_group.group("propose")
def propose_group() -> None:
    """The agency proposes a validator change (its id: the transaction's id)."""


@propose_group.command("add-validator")
@click.option("--key", required=True, help="the new node's key (`claimledger-node init` "
              "prints it)")
@click.option("--power", type=click.IntRange(1, nodes.MAX_POWER), required=True)
@click.option("--peer", required=True, help="HOST:PORT of its TLS peer links")
@click.option("--operator", required=True, help="the address of the member that runs it")
@click.option("--name", required=True, help="its name, as its node.toml gives it")
@expiry_options
@tx_options
@pass_wallet
def add_validator(w: Wallet, key: str, power: int, peer: str, operator: str, name: str,
                  expires_days: int, out: Path | None, expires_in: int | None) -> None:
    """Propose a new validator."""
    change = nodes.Change("add_validator", node_key(key), power=power, peer=peer,
                          operator=address_of(w, operator), name=name)
    propose(w, change, expires_days, out, expires_in)


@propose_group.command("remove-validator")
@click.option("--key", required=True, help="the validator's node key")
@expiry_options
@tx_options
@pass_wallet
def remove_validator(w: Wallet, key: str, expires_days: int, out: Path | None,
                     expires_in: int | None) -> None:
    """Propose to remove a validator."""
    propose(w, nodes.Change("remove_validator", node_key(key)), expires_days, out, expires_in)


@propose_group.command("set-power")
@click.option("--key", required=True, help="the validator's node key")
@click.option("--power", type=click.IntRange(1, nodes.MAX_POWER), required=True)
@expiry_options
@tx_options
@pass_wallet
def set_power(w: Wallet, key: str, power: int, expires_days: int, out: Path | None,
              expires_in: int | None) -> None:
    """Propose a validator's new power."""
    propose(w, nodes.Change("set_power", node_key(key), power=power), expires_days, out,
            expires_in)


@propose_group.command("rotate-key")
@click.option("--key", required=True, help="the validator's node key now")
@click.option("--new-key", required=True, help="its new node key (from a new key store)")
@expiry_options
@tx_options
@pass_wallet
def rotate_key(w: Wallet, key: str, new_key: str, expires_days: int, out: Path | None,
               expires_in: int | None) -> None:
    """Propose to replace a validator's node key (a key lost or compromised)."""
    change = nodes.Change("rotate_key", node_key(key), new_key=node_key(new_key, "a new key"))
    propose(w, change, expires_days, out, expires_in)


@nodes_group.command("approve")
@click.argument("proposal")
@tx_options
@pass_wallet
def approve(w: Wallet, proposal: str, out: Path | None, expires_in: int | None) -> None:
    """An operator of a validator in force approves PROPOSAL (an id)."""
    body = nodes.Approve(w.address(), record_id(w, "node_proposal", proposal))
    w.transact("nodes", "approve", body, out, expires_in)


@nodes_group.command("withdraw")
@click.argument("proposal")
@tx_options
@pass_wallet
def withdraw(w: Wallet, proposal: str, out: Path | None, expires_in: int | None) -> None:
    """The agency withdraws PROPOSAL."""
    body = nodes.Withdraw(w.address(), record_id(w, "node_proposal", proposal))
    w.transact("nodes", "withdraw", body, out, expires_in)


@nodes_group.command("admit-observer")
@click.option("--key", required=True, help="the observer's node key")
@click.option("--operator", required=True,
              help="the agency or regulator member that runs it (its address)")
@click.option("--name", required=True, help="its name, as its node.toml gives it")
@tx_options
@pass_wallet
def admit_observer(w: Wallet, key: str, operator: str, name: str, out: Path | None,
                   expires_in: int | None) -> None:
    """The agency admits an observer: it links at once, no node restarts."""
    body = nodes.AdmitObserver(w.address(), node_key(key), address_of(w, operator), name)
    w.transact("nodes", "admit_observer", body, out, expires_in)


@nodes_group.command("remove-observer")
@click.option("--key", required=True, help="the observer's node key")
@tx_options
@pass_wallet
def remove_observer(w: Wallet, key: str, out: Path | None, expires_in: int | None) -> None:
    """The agency removes an observer: its links are cut at the next block."""
    body = nodes.RemoveObserver(w.address(), node_key(key))
    w.transact("nodes", "remove_observer", body, out, expires_in)


# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group(commands=[nodes_group])
