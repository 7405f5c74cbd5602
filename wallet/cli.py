"""`claimledger-wallet`: members sign and submit from here; co-signing goes through files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Column, Table

from contracts import issuance, membership
from contracts.codec import encode, to_json
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair, parse_address, parse_hash, short
from contracts.ledger import make_transaction, required_signers, resolve, sign_transaction
from contracts.tx import Transaction, decode_transaction, payload_id
from wallet.client import Client
from wallet.keys import read_address, read_key_store, write_key_store

DRAFT_FORMAT = "claimledger-draft/1"
CHINA = timezone(timedelta(hours=8))
COMMIT_WAIT_S = 60
YUAN = re.compile(r"^(\d{1,14})(?:\.(\d{1,2}))?$")


# ------------------------------------------------------------------ parsing and showing


def parse_yuan(text: str) -> int:
    """An amount in yuan ("1,250,000.50") as integer fen, exactly; no floats."""
    match = YUAN.match(text.replace(",", "").strip())
    if not match:
        raise LedgerError("wallet.bad_amount",
                          f"{text!r} is not an amount in yuan with at most 2 decimals")
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def parse_due(text: str) -> int:
    """A due date YYYY-MM-DD: due at 24:00 China Standard Time of that day, in ms."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise LedgerError("wallet.bad_date", f"{text!r} is not a date YYYY-MM-DD") from None
    end = datetime(day.year, day.month, day.day, tzinfo=CHINA) + timedelta(days=1)
    return int(end.timestamp()) * 1000


def show_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M")


def show_due(due_ms: int) -> str:
    """The day a voucher is due by: due at 24:00 of that day, China Standard Time."""
    return datetime.fromtimestamp((due_ms - 1) / 1000, CHINA).strftime("%Y-%m-%d")


def hex32(text: str, what: str) -> bytes:
    return parse_hash(text, what, "wallet.bad_id")


# ------------------------------------------------------------------ the wallet


class Wallet:
    def __init__(self, node: str, key_path: Path | None, as_json: bool) -> None:
        self.client = Client(node)
        self.key_path = key_path
        self.as_json = as_json
        self.registry = default_registry()
        self._key: KeyPair | None = None

    def need_key_path(self) -> Path:
        if self.key_path is None:
            raise LedgerError("wallet.no_key", "give --key FILE (or set CLAIMLEDGER_KEY)")
        return self.key_path

    def key(self) -> KeyPair:
        if self._key is None:
            self._key = read_key_store(self.need_key_path())
        return self._key

    def address(self) -> bytes:
        return read_address(self.need_key_path())

    def emit(self, data: Any, human: Callable[[Console], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            human(Console())

    # -------------------------------------------------------------- transactions

    def transact(self, contract: str, operation: str, body: Any, out: Path | None,
                 expires_in: int) -> None:
        status = self.client.status()
        tx = make_transaction(self.registry, status["chain_id"], contract, operation, body,
                              status["height"] + expires_in,
                              int.from_bytes(os.urandom(8), "big") >> 1)
        if out is not None:
            self.write_draft(out, tx)
            self.emit({"draft": str(out), "id": payload_id(tx.payload).hex(),
                       "required_signers": [a.hex() for a in required_signers(self.registry, tx)]},
                      lambda c: c.print(f"draft written to {out}; each required signer runs "
                                        f"`claimledger-wallet sign {out}`, then `submit {out}`"))
            return
        required = required_signers(self.registry, tx)
        mine = self.key()
        others = [a for a in required if a != mine.address]
        if others or mine.address not in required:
            raise LedgerError(
                "wallet.needs_cosigners",
                "this transaction must be signed by " + ", ".join(a.hex() for a in required)
                + "; draft it with --out FILE, then `sign FILE` with each key and `submit FILE`",
            )
        self.submit_and_wait(sign_transaction(tx, mine), wait=True)

    def write_draft(self, path: Path, tx: Transaction) -> None:
        document = {
            "format": DRAFT_FORMAT,
            "tx": encode(tx).hex(),
            "summary": self.summary(tx),
            "required_signers": [a.hex() for a in required_signers(self.registry, tx)],
            "signed_by": [s.signer.hex() for s in tx.signatures],
        }
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")

    def read_draft(self, path: Path) -> Transaction:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("format") != DRAFT_FORMAT:
                raise ValueError("format")
            return decode_transaction(bytes.fromhex(document["tx"]))
        except OSError as e:
            raise LedgerError("wallet.unreadable", f"cannot read {path}: {e.strerror}") from e
        except (ValueError, KeyError, TypeError) as e:
            raise LedgerError("wallet.bad_draft", f"{path} is not a transaction draft") from e

    def summary(self, tx: Transaction) -> dict:
        """What a transaction does, decoded from its bytes (never taken from a file's text)."""
        _, _, body = resolve(self.registry, tx)
        p = tx.payload
        return {"id": payload_id(p).hex(), "chain_id": p.chain_id,
                "contract": f"{p.contract.name} v{p.contract.version}",
                "operation": p.operation, "body": to_json(body),
                "expiry_height": p.expiry_height}

    def submit_and_wait(self, tx: Transaction, wait: bool) -> None:
        answer = self.client.submit(encode(tx))
        tx_id = answer["id"]
        view = answer
        deadline = time.monotonic() + COMMIT_WAIT_S
        while wait and time.monotonic() < deadline:
            view = self.client.tx(tx_id, wait_ms=5000)
            if view["status"] == "rejected":
                raise LedgerError(view["error"]["code"], view["error"]["message"])
            if view["status"] == "committed":
                break
        self.emit(view, lambda c: show_tx(c, view))


def show_tx(console: Console, view: dict) -> None:
    console.print(f"[bold]{view.get('operation', 'transaction')}[/bold] {view['id']}: "
                  f"{view['status']}" + (f" at height {view['height']}" if "height" in view
                                         else ""))
    for event in view.get("events", []):
        console.print(f"  {event['kind']}: {event['subject']}")


pass_wallet = click.make_pass_decorator(Wallet)


class Main(click.Group):
    """Every ledger error becomes `error: code: message` on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as e:
            click.echo(f"error: {e.code}: {e.message}", err=True)
            sys.exit(1)


@click.group(cls=Main)
@click.option("--node", envvar="CLAIMLEDGER_NODE", default="http://127.0.0.1:8701",
              show_default=True, help="the node's API (or $CLAIMLEDGER_NODE)")
@click.option("--key", "key_path", envvar="CLAIMLEDGER_KEY", type=click.Path(path_type=Path),
              help="your key store (or $CLAIMLEDGER_KEY)")
@click.option("--json", "as_json", is_flag=True, help="JSON output for scripts")
@click.pass_context
def main(ctx: click.Context, node: str, key_path: Path | None, as_json: bool) -> None:
    """Sign and submit Claimledger transactions; query vouchers."""
    ctx.obj = Wallet(node, key_path, as_json)


def tx_options(f: Callable) -> Callable:
    f = click.option("--out", type=click.Path(path_type=Path), default=None,
                     help="write an unsigned draft to FILE instead of submitting")(f)
    return click.option("--expires-in", type=click.IntRange(1, 10_000_000), default=100_000,
                        show_default=True, help="blocks until the transaction expires")(f)


# ------------------------------------------------------------------ keys


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--name", default="", help="a label kept in the file")
@pass_wallet
def keygen(w: Wallet, out: Path, name: str) -> None:
    """Create a new key store file (mode 0600)."""
    key = KeyPair.generate()
    write_key_store(out, key, name)
    w.emit({"address": key.address.hex(), "file": str(out)},
           lambda c: c.print(f"address {key.address.hex()}\nkey store {out}"))


@main.command()
@pass_wallet
def address(w: Wallet) -> None:
    """The address of --key."""
    a = w.address().hex()
    w.emit({"address": a}, lambda c: c.print(a))


@main.command()
@pass_wallet
def status(w: Wallet) -> None:
    """The node's chain, height and state root."""
    s = w.client.status()
    w.emit(s, lambda c: c.print(f"{s['chain_id']} height {s['height']} node {s['node']} "
                                f"({s['role']}) state root {s['state_root']}"))


# ------------------------------------------------------------------ membership


@main.command()
@click.argument("member")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(membership.ROLES))
@tx_options
@pass_wallet
def admit(w: Wallet, member: str, name: str, roles: tuple[str, ...], out: Path | None,
          expires_in: int) -> None:
    """The agency admits MEMBER (an address); the new member co-signs."""
    body = membership.Admit(w.address(), parse_address(member), name, tuple(sorted(set(roles))))
    w.transact("membership", "admit", body, out, expires_in)


@main.command()
@click.argument("member")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def suspend(w: Wallet, member: str, reason: str, out: Path | None, expires_in: int) -> None:
    """The agency suspends MEMBER."""
    body = membership.Suspend(w.address(), parse_address(member), reason)
    w.transact("membership", "suspend", body, out, expires_in)


@main.command()
@click.argument("member")
@tx_options
@pass_wallet
def reinstate(w: Wallet, member: str, out: Path | None, expires_in: int) -> None:
    """The agency reinstates a suspended MEMBER."""
    body = membership.Reinstate(w.address(), parse_address(member))
    w.transact("membership", "reinstate", body, out, expires_in)


# ------------------------------------------------------------------ issuance


@main.command()
@click.option("--debtor", required=True, help="the debtor's address")
@click.option("--amount", required=True, help="in yuan, e.g. 1250000.00")
@click.option("--due", required=True, help="due date YYYY-MM-DD (24:00 China time)")
@click.option("--asset", is_flag=True, help="settled by the debtor's assets (资产抵付)")
@click.option("--consumption", is_flag=True, help="settled by consumption (消费抵付)")
@click.option("--extension-days", type=click.IntRange(0, issuance.MAX_EXTENSION_DAYS),
              default=0, help="extension clause (展期): days per extension, 0 for none")
@click.option("--extensions", "extension_max", type=click.IntRange(0, issuance.MAX_EXTENSIONS),
              default=None, help="how many times it may extend (default 1 with a clause)")
@click.option("--basis-ref", required=True, help="the basis contract's reference")
@click.option("--basis-file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--basis-sha256", help="the basis document's sha256 (hex)")
@tx_options
@pass_wallet
def apply(w: Wallet, debtor: str, amount: str, due: str, asset: bool, consumption: bool,
          extension_days: int, extension_max: int | None, basis_ref: str, basis_file: Path | None,
          basis_sha256: str | None, out: Path | None, expires_in: int) -> None:
    """The creditor applies for a voucher against DEBTOR."""
    if (basis_file is None) == (basis_sha256 is None):
        raise LedgerError("wallet.basis", "give exactly one of --basis-file and --basis-sha256")
    digest = (hashlib.sha256(basis_file.read_bytes()).digest() if basis_file
              else hex32(basis_sha256 or "", "--basis-sha256"))
    terms = issuance.Terms(parse_address(debtor), parse_yuan(amount), parse_due(due), asset,
                           consumption, extension_days,
                           (1 if extension_days else 0) if extension_max is None
                           else extension_max, basis_ref, digest)
    w.transact("issuance", "apply", issuance.Apply(w.address(), terms), out, expires_in)


def application_verb(name: str, make: Callable[[bytes, bytes, dict], Any], doc: str,
                     reason: bool = False) -> None:
    @click.argument("application_id")
    @tx_options
    @pass_wallet
    def verb(w: Wallet, application_id: str, out: Path | None, expires_in: int,
             reason: str = "") -> None:
        body = make(w.address(), hex32(application_id, "an application id"),
                    {"reason": reason})
        w.transact("issuance", name, body, out, expires_in)

    verb.__doc__ = doc
    if reason:
        verb = click.option("--reason", required=True)(verb)
    main.command(name)(verb)


application_verb("confirm", lambda me, a, _: issuance.Confirm(me, a),
                 "The debtor confirms the debt of an application (确权).")
application_verb("approve", lambda me, a, _: issuance.Approve(me, a),
                 "The agency approves a confirmed application: the voucher is issued.")
application_verb("reject", lambda me, a, o: issuance.Reject(me, a, o["reason"]),
                 "The agency rejects an application.", reason=True)
application_verb("withdraw", lambda me, a, _: issuance.Withdraw(me, a),
                 "The creditor withdraws its application.")


# ------------------------------------------------------------------ drafts


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="sign without asking")
@pass_wallet
def sign(w: Wallet, file: Path, yes: bool) -> None:
    """Add your signature to the draft FILE, after showing what it does."""
    tx = w.read_draft(file)
    summary = w.summary(tx)
    required = required_signers(w.registry, tx)
    me = w.address()
    if me not in required:
        raise LedgerError("wallet.not_a_signer",
                          f"{me.hex()} is not among the required signers of this transaction")
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2), err=True)
    if not yes:
        click.confirm("Sign this transaction?", abort=True, err=True)
    signed = sign_transaction(tx, w.key())
    w.write_draft(file, signed)
    missing = [a.hex() for a in required if a not in {s.signer for s in signed.signatures}]
    w.emit({"id": summary["id"], "missing_signers": missing},
           lambda c: c.print("signed; " + (f"still to sign: {', '.join(missing)}" if missing
                                           else f"complete: `submit {file}`")))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--no-wait", is_flag=True, help="return once the node accepted it")
@pass_wallet
def submit(w: Wallet, file: Path, no_wait: bool) -> None:
    """Submit a fully signed draft FILE and wait for it to be committed."""
    w.submit_and_wait(w.read_draft(file), wait=not no_wait)


# ------------------------------------------------------------------ queries


@main.command()
@click.option("--holder", help="holder address (default: yours)")
@click.option("--debtor", help="debtor address")
@pass_wallet
def vouchers(w: Wallet, holder: str | None, debtor: str | None) -> None:
    """Vouchers by holder or by debtor."""
    if holder is None and debtor is None:
        holder = w.address().hex()
    found = w.client.vouchers(holder, debtor)

    def table(console: Console) -> None:
        t = Table("voucher", "holder", "debtor", Column("amount", justify="right", no_wrap=True),
                  Column("due by", no_wrap=True), "status")
        for v in found["vouchers"]:
            t.add_row(v["id"][:10], short(bytes.fromhex(v["holder"])),
                      short(bytes.fromhex(v["debtor"])), yuan(v["amount_fen"]),
                      show_due(v["due_ms"]), v["status"])
        console.print(t)

    w.emit(found, table)


@main.command()
@click.option("--creditor", help="creditor address")
@click.option("--debtor", help="debtor address")
@pass_wallet
def applications(w: Wallet, creditor: str | None, debtor: str | None) -> None:
    """Issuance applications by creditor or by debtor (default: you as creditor)."""
    if creditor is None and debtor is None:
        creditor = w.address().hex()
    found = w.client.applications(creditor, debtor)

    def table(console: Console) -> None:
        t = Table("application", "creditor", "debtor",
                  Column("amount", justify="right", no_wrap=True), "status",
                  Column("confirm by (CST)", no_wrap=True))
        for a in found["applications"]:
            t.add_row(a["id"][:10], short(bytes.fromhex(a["creditor"])),
                      short(bytes.fromhex(a["terms"]["debtor"])),
                      yuan(a["terms"]["amount_fen"]), a["status"],
                      show_time(a["confirm_by_ms"]))
        console.print(t)

    w.emit(found, table)


@main.command()
@click.argument("member_address")
@pass_wallet
def member(w: Wallet, member_address: str) -> None:
    """A member's name, roles and status."""
    m = w.client.member(parse_address(member_address).hex())
    w.emit(m, lambda c: c.print(f"{m['name']}  roles {', '.join(m['roles'])}  {m['status']}"))


@main.group()
def tx() -> None:
    """Transactions."""


@tx.command("show")
@click.argument("tx_id")
@pass_wallet
def tx_show(w: Wallet, tx_id: str) -> None:
    """A transaction's status, block and result."""
    view = w.client.tx(hex32(tx_id, "a transaction id").hex())
    w.emit(view, lambda c: show_tx(c, view))


if __name__ == "__main__":
    main()
