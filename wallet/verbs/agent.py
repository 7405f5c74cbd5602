"""Unlock once: `agent start`, `agent status`, `agent stop` (wallet/agent.py)."""

from __future__ import annotations

import os
import shlex
import time

import click

from contracts.errors import LedgerError
from wallet.agent import (
    AGENT_ENV,
    DEFAULT_LIFETIME_S,
    Agent,
    agent_status,
    call,
    clock,
    harden,
    listen_privately,
    parse_lifetime,
    run_detached,
)
from wallet.i18n import _
from wallet.keys import read_address, read_key_store
from wallet.review_words import when
from wallet.session import Wallet, pass_wallet

STOP_WAIT_S = 2.0  # how long `agent stop` waits for the socket to go

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.group()
def agent() -> None:
    """Unlock your key store once: an agent signs for you for a while (like ssh-agent).

    `eval "$(claimledger-wallet --key ME.json agent start --for 1h)"` asks the passphrase
    once; later commands with the same --key sign through the agent, asking nothing."""


@agent.command()
@click.option("--for", "lifetime", default=f"{DEFAULT_LIFETIME_S // 60}m", show_default=True,
              metavar="DURATION", help="how long the agent signs (e.g. 90s, 15m, 2h; at "
              "most 12h); then it forgets the key and exits")
@click.option("--idle", default=None, metavar="DURATION",
              help="also end after this long without signing anything")
@pass_wallet
def start(w: Wallet, lifetime: str, idle: str | None) -> None:
    """Open --key with its passphrase and start an agent holding it in memory; print the
    shell lines that export CLAIMLEDGER_AGENT (for `eval`)."""
    lifetime_s = parse_lifetime(lifetime)
    idle_s = None if idle is None else parse_lifetime(idle)
    path = w.need_key_path()
    harden()  # before the key is in this process's memory: the agent is its fork
    key = read_key_store(path)
    member = read_address(path)
    socket_path, listener = listen_privately()
    pid = run_detached(listener, socket_path, Agent(
        key, member, str(path.resolve()), clock() + lifetime_s, idle_s))
    del key
    # In China time, as every time the wallet shows (the machine's zone may differ).
    ends = when(int((time.time() + lifetime_s) * 1000))
    if w.as_json:
        w.emit({"socket": str(socket_path), "pid": pid, "member": member.hex(),
                "expires_in_ms": lifetime_s * 1000}, lambda c: None)
        return
    click.echo(f"{AGENT_ENV}={socket_path}; export {AGENT_ENV};")  # shell code
    said = _("Agent pid {pid} signs for {member} until {ends}").format(
        pid=pid, member=member.hex(), ends=ends)
    click.echo(f"echo {shlex.quote(said)};")  # shell code


@agent.command()
@pass_wallet
def status(w: Wallet) -> None:
    """Which member the agent at $CLAIMLEDGER_AGENT signs for, and how long it still does."""
    s = agent_status(_agent_path())
    left_s = s["expires_in_ms"] // 1000
    idle = "" if s["idle_ms"] is None else \
        _("; ends after {idle} s without signing").format(idle=s["idle_ms"] // 1000)
    w.emit(s, lambda c: c.print(
        _("agent pid {pid} signs for {member} (key {key}, from {store}): {minutes} min "
          "{seconds} s left").format(pid=s["pid"], member=s["member"], key=s["key"],
                                     store=s["key_store"], minutes=left_s // 60,
                                     seconds=left_s % 60) + idle,
        soft_wrap=True, markup=False))


@agent.command()
@pass_wallet
def stop(w: Wallet) -> None:
    """Stop the agent at $CLAIMLEDGER_AGENT: it forgets the key, removes its socket and
    exits; print the shell line that unsets CLAIMLEDGER_AGENT (for `eval`)."""
    path = _agent_path()
    call(path, ["stop"])
    deadline = time.monotonic() + STOP_WAIT_S
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    if w.as_json:
        w.emit({"stopped": path}, lambda c: None)
        return
    click.echo(f"unset {AGENT_ENV};")  # shell code
    click.echo(f"echo {shlex.quote(_('Agent stopped'))};")  # shell code


def _agent_path() -> str:
    path = os.environ.get(AGENT_ENV)
    if not path:
        raise LedgerError("agent.not_set", f"${AGENT_ENV} is not set: "
                          "`eval \"$(claimledger-wallet agent start)\"` starts an agent")
    return path
