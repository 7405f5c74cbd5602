"""Membership: the agency admits, suspends and reinstates members; anyone reads one."""

from __future__ import annotations

from pathlib import Path

import click

from contracts import membership
from contracts.identity import parse_address
from wallet.session import Wallet, pass_wallet
from wallet.verbs.options import tx_options

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.command()
@click.argument("member")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(membership.ROLES))
@tx_options
@pass_wallet
def admit(w: Wallet, member: str, name: str, roles: tuple[str, ...], out: Path | None,
          expires_in: int | None) -> None:
    """The agency admits MEMBER (an address); the new member co-signs."""
    body = membership.Admit(w.address(), parse_address(member), name, tuple(sorted(set(roles))))
    w.transact("membership", "admit", body, out, expires_in)


@verbs.command()
@click.argument("member")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def suspend(w: Wallet, member: str, reason: str, out: Path | None, expires_in: int | None) -> None:
    """The agency suspends MEMBER."""
    body = membership.Suspend(w.address(), parse_address(member), reason)
    w.transact("membership", "suspend", body, out, expires_in)


@verbs.command()
@click.argument("member")
@tx_options
@pass_wallet
def reinstate(w: Wallet, member: str, out: Path | None, expires_in: int | None) -> None:
    """The agency reinstates a suspended MEMBER."""
    body = membership.Reinstate(w.address(), parse_address(member))
    w.transact("membership", "reinstate", body, out, expires_in)


@verbs.command()
@click.argument("member_address")
@pass_wallet
def member(w: Wallet, member_address: str) -> None:
    """A member's name, roles and status."""
    m = w.client.member(parse_address(member_address).hex())
    w.emit(m, lambda c: c.print(f"{m['name']}  roles {', '.join(m['roles'])}  {m['status']}"))
