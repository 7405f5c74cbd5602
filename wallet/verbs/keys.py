"""Your key and the node: keygen, address, status, explorer."""

from __future__ import annotations

from pathlib import Path

import click

from contracts.errors import LedgerError
from contracts.identity import KeyPair, parse_address
from wallet.i18n import _
from wallet.keys import write_key_store
from wallet.session import (
    Wallet,
    pass_wallet,
)
from wallet.units import (
    show_time,
)

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.command()
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--name", default="", help="a label kept in the file")
@click.option("--member", default=None, metavar="ADDRESS",
              help="the member address the new key is to sign for (a key the agency "
                   "recovers for it: `member recover-key`); default: the key's own")
@pass_wallet
def keygen(w: Wallet, out: Path, name: str, member: str | None) -> None:
    """Create a new key store file (mode 0600)."""
    key = KeyPair.generate()
    address = key.address if member is None else parse_address(member)
    write_key_store(out, key, name, member=address)
    w.emit({"address": address.hex(), "key": key.address.hex(), "file": str(out)},
           lambda c: c.print(_("address {address}\nkey {key}\nkey store {out}").format(
               address=address.hex(), key=key.address.hex(), out=out)))


@verbs.command()
@pass_wallet
def address(w: Wallet) -> None:
    """The address of --key."""
    a = w.address().hex()
    w.emit({"address": a}, lambda c: c.print(a))


@verbs.command()
@pass_wallet
def status(w: Wallet) -> None:
    """The node's chain, height and state root."""
    s = w.ledger.status()
    w.emit(s, lambda c: c.print(_("{chain} height {height} ledger time {time} node {node} "
                                  "({role}) state root {root}").format(
        chain=s["chain_id"], height=s["height"], time=show_time(s["time_ms"]), node=s["node"],
        role=_(s["role"]), root=s["state_root"]), soft_wrap=True))


@verbs.command()
@pass_wallet
def explorer(w: Wallet) -> None:
    """A one-time link that opens the node's explorer in a browser (agency and regulators).

    The link holds a token good for one use within a minute, bound to --key's member;
    opening it starts a browser session (ended by the page's sign-out, by 30 minutes
    without a request, or after 8 hours)."""
    if w.key_path is None:
        raise LedgerError("wallet.no_key", "give --key FILE (or set CLAIMLEDGER_KEY): the "
                          "explorer opens for the agency's or a regulator's key")
    answer = w.client.explorer_sign_in()
    url = w.client.base_url + answer["link"]
    seconds = answer["expires_in_ms"] // 1000
    w.emit({**answer, "url": url},
           lambda c: c.print(_("Open within {seconds} s, once:\n{url}").format(
               seconds=seconds, url=url), soft_wrap=True, markup=False))
