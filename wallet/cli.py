"""`claimledger-wallet`: members sign and submit from here; co-signing goes through files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.tree import Tree

from contracts import (
    acquisition,
    documents,
    fees,
    issuance,
    membership,
    obligations,
    payment,
    pledge,
    redemption,
    setoff,
    transfer,
)
from contracts.codec import encode, to_json
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair, parse_address, parse_hash, short
from contracts.ledger import make_transaction, required_signers, resolve, sign_transaction
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, decode_transaction, payload_id
from contracts.vouchers import VOUCHER_STATUSES
from wallet.client import Client
from wallet.endpoint import node_endpoint
from wallet.files import write_private
from wallet.governance_cli import governance as governance_group
from wallet.keys import read_address, read_key_store, write_key_store

DRAFT_FORMAT = "claimledger-draft/1"
CHINA = timezone(timedelta(hours=8))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COMMIT_WAIT_S = 60
WIDE = 160  # columns of human output that goes to a file or pipe
YUAN = re.compile(r"^(\d{1,14})(?:\.(\d{1,2}))?$")
DATE_HELP = ("YYYY-MM-DD (24:00 China time) or a date-time with offset, "
             "e.g. 2026-11-24T20:00:05+08:00")


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
    """A date YYYY-MM-DD, meaning 24:00 China Standard Time of that day, or an exact ISO
    date-time with its offset (2026-11-24T20:00:05+08:00); in ms since 1970 UTC."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        end = datetime(day.year, day.month, day.day, tzinfo=CHINA) + timedelta(days=1)
        return int(end.timestamp()) * 1000
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise LedgerError("wallet.bad_date",
                          f"{text!r} is not a date YYYY-MM-DD nor a date-time with an offset "
                          "like 2026-11-24T20:00:05+08:00")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def parse_amounts(text: str) -> tuple[int, ...]:
    """Amounts in yuan separated by commas ("300000,950000.50"), no thousands separators."""
    amounts = tuple(parse_yuan(part) for part in text.split(","))
    for amount_fen in amounts:
        if amount_fen == 0:
            raise LedgerError("wallet.bad_amount",
                              f"{text!r}: every part is at least ¥0.01 (write amounts without "
                              "thousands separators, separated by commas)")
    return amounts


def show_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M")


def show_due(due_ms: int) -> str:
    """The day a voucher is due by (due at 24:00 of that day, China Standard Time), or the
    exact time to the second when it falls due at another time of day."""
    if due_ms % 1000 == 0 and (due_ms // 1000 + 8 * 3600) % 86_400 == 0:
        return datetime.fromtimestamp((due_ms - 1) / 1000, CHINA).strftime("%Y-%m-%d")
    return datetime.fromtimestamp(due_ms / 1000, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def hex32(text: str, what: str) -> bytes:
    return parse_hash(text, what, "wallet.bad_id")


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


def read_document(path: Path) -> bytes:
    """A document's bytes, at most documents.MAX_DOCUMENT_BYTES (`document.too_large`)."""
    try:
        with path.open("rb") as f:
            plaintext = f.read(documents.MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        raise LedgerError("wallet.unreadable", f"cannot read {path}: {e.strerror}") from e
    documents.check_size(len(plaintext))
    return plaintext


def envelope_of(found: dict) -> documents.Envelope:
    """The sealed envelope of a document, as GET /v1/documents gives it."""
    try:
        envelope = found["envelope"]
        return documents.Envelope(
            bytes.fromhex(envelope["ciphertext"]),
            tuple(documents.SealedKey(bytes.fromhex(k["reader"]), bytes.fromhex(k["sealed"]))
                  for k in envelope["keys"]))
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid envelope") from e


def show_documents(console: Console, attached: list[dict]) -> None:
    for d in attached:
        how = "attached already, reused" if d["reused"] else f"attached by {d['tx']}"
        console.print(f"document {d['id']} ({d['label']}): {how}", markup=False,
                      soft_wrap=True)


# ------------------------------------------------------------------ the wallet


class Wallet:
    def __init__(self, node: str, key_path: Path | None, as_json: bool,
                 network: Path | None = None, ca_file: Path | None = None) -> None:
        self.node, self.network, self.ca_file = node, network, ca_file
        self._client: Client | None = None
        self.key_path = key_path
        self.as_json = as_json
        self.registry = default_registry()
        self._key: KeyPair | None = None

    @property
    def client(self) -> Client:
        """The node's client, made at first use: verbs that only sign never resolve it."""
        if self._client is None:
            self._client = Client(endpoint=node_endpoint(self.node, self.network,
                                                         self.ca_file),
                                  signer=self.request_key)
        return self._client

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

    def request_key(self) -> KeyPair | None:
        """The key that signs the wallet's requests to the node: yours, when given."""
        return None if self.key_path is None else self.key()

    def emit(self, data: Any, human: Callable[[Console], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            console = Console()
            if not console.is_terminal:  # redirected: no terminal width to fit, so no cuts
                console.width = max(console.width, WIDE)
            human(console)

    # -------------------------------------------------------------- transactions

    def new_transaction(self, contract: str, operation: str, body: Any, expires_in: int | None,
                        status: dict | None = None, draft: bool = False) -> Transaction:
        """An unsigned transaction on the node's chain, expiring `expires_in` blocks on
        (None: SUBMIT_EXPIRY_BLOCKS, or DRAFT_EXPIRY_BLOCKS for a draft)."""
        status = status or self.client.status()
        if expires_in is None:
            expires_in = DRAFT_EXPIRY_BLOCKS if draft else SUBMIT_EXPIRY_BLOCKS
        return make_transaction(self.registry, status["chain_id"], contract, operation, body,
                                status["height"] + expires_in,
                                int.from_bytes(os.urandom(8), "big") >> 1)

    def transact(self, contract: str, operation: str, body: Any, out: Path | None,
                 expires_in: int | None, attached: list[dict] | None = None) -> None:
        """Submit the operation signed by you and wait for its commit, or with `out` write
        an unsigned draft. `attached`: the documents it names (`attach_documents`), shown
        with the result."""
        tx = self.new_transaction(contract, operation, body, expires_in, draft=out is not None)
        if out is not None:
            self.write_draft(out, tx)
            draft = {"draft": str(out), "id": payload_id(tx.payload).hex(),
                     "required_signers": [a.hex() for a in required_signers(self.registry, tx)]}
            if attached:
                draft["documents"] = attached

            def show(c: Console) -> None:
                show_documents(c, attached or [])
                c.print(f"draft written to {out}; each required signer runs "
                        f"`claimledger-wallet sign {out}`, then `submit {out}`")

            self.emit(draft, show)
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
        self.submit_and_wait(sign_transaction(tx, mine), wait=True, attached=attached)

    def write_draft(self, path: Path, tx: Transaction) -> None:
        document = {
            "format": DRAFT_FORMAT,
            "tx": encode(tx).hex(),
            "summary": self.summary(tx),
            "required_signers": [a.hex() for a in required_signers(self.registry, tx)],
            "signed_by": [s.signer.hex() for s in tx.signatures],
        }
        write_private(path, json.dumps(document, ensure_ascii=False, indent=2).encode())

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

    def commit(self, tx: Transaction) -> dict:
        """Submit a signed transaction and wait for its commit (at most COMMIT_WAIT_S); its
        view. A refusal raises the ledger's error."""
        return self.wait_committed(self.client.submit(encode(tx))["id"])

    def wait_committed(self, tx_id: str) -> dict:
        """The view of a submitted transaction once committed (or after COMMIT_WAIT_S);
        a refusal raises the ledger's error."""
        view: dict = {"id": tx_id, "status": "pending"}
        deadline = time.monotonic() + COMMIT_WAIT_S
        while time.monotonic() < deadline:
            view = self.client.tx(tx_id, wait_ms=5000)
            if view["status"] == "rejected":
                raise LedgerError(view["error"]["code"], view["error"]["message"])
            if view["status"] == "committed":
                break
        return view

    def submit_and_wait(self, tx: Transaction, wait: bool,
                        attached: list[dict] | None = None) -> None:
        view = self.commit(tx) if wait else self.client.submit(encode(tx))
        if attached:
            view = {**view, "documents": attached}

        def show(c: Console) -> None:
            show_documents(c, attached or [])
            show_tx(c, view)

        self.emit(view, show)

    # -------------------------------------------------------------- documents

    def readers(self, parties: tuple[bytes, ...]) -> list[bytes]:
        """Whom a document is sealed to: the parties, every active agency and regulator."""
        readers = set(parties)
        for role in documents.READER_ROLES:
            found = self.client.members(role=role)["members"]
            readers.update(bytes.fromhex(m["address"]) for m in found)
        return sorted(readers)

    def attach_documents(self, files: tuple[Path, ...], labels: tuple[str, ...],
                         parties: tuple[bytes, ...], expires_in: int | None,
                         wait: bool = False) -> list[dict]:
        """Attach each file, sealed to the parties, the agency and every regulator, signed
        by you (a party); a file you attached already for these same parties is reused
        (its id is the same: see documents.derive_salt). The attachments are submitted
        before the operation that names them, so they are committed in the same block or
        earlier; with `wait`, once committed. Sizes are checked before anything is sent."""
        if not files:
            if labels:
                raise LedgerError("wallet.document_label", "--document-label names a --document")
            return []
        if len(labels) > len(files):
            raise LedgerError("wallet.document_label",
                              "more --document-label than --document (one label each, in order)")
        if len(files) > documents.MAX_PER_TRANSACTION:
            raise LedgerError("document.too_many", f"a transaction names at most "
                              f"{documents.MAX_PER_TRANSACTION} documents")
        for path in files:
            documents.check_size(path.stat().st_size)
        contents = [read_document(path) for path in files]
        if len(set(contents)) < len(contents):
            raise LedgerError("document.repeated", "the same document is given twice")
        me = self.key()
        assert me.address in parties
        parties = tuple(sorted(set(parties)))
        readers: list[bytes] | None = None
        status = self.client.status()
        out: list[dict] = []
        for index, (path, plaintext) in enumerate(zip(files, contents, strict=True)):
            label = labels[index] if index < len(labels) else path.name[:128]
            salt = documents.derive_salt(me, parties, plaintext)
            document = documents.document_id(
                me.address, documents.commitment_of(salt, plaintext))
            found = self.own_document(document)
            if found is not None:
                out.append({"id": document.hex(), "label": found.label, "reused": True,
                            "tx": found.tx_id})
                continue
            readers = readers or self.readers(parties)
            body = documents.attach_body(me, plaintext, label, parties, readers)
            assert documents.document_id(me.address, body.commitment) == document
            tx = sign_transaction(
                self.new_transaction("document", "attach", body, expires_in, status), me)
            view = self.client.submit(encode(tx))
            out.append({"id": document.hex(), "label": label, "reused": False,
                        "tx": view["id"]})
        if wait:
            for entry in out:
                if not entry["reused"]:
                    self.wait_committed(entry["tx"])
        return out

    def own_document(self, document: bytes) -> OwnDocument | None:
        """Your attachment `document`, opened (its label is in the envelope), or None if
        it is not attached. Only you can have attached under this id."""
        try:
            found = self.client.document(document.hex())
        except LedgerError as e:
            if e.code == "not_found":
                return None
            raise
        contents = open_document(document, found, self.key())
        return OwnDocument(found["tx_id"], contents.label)

    def open_document(self, document: bytes) -> documents.Contents:
        """The contents of `document`, for a reader: `document.not_reader` before
        megabytes are fetched."""
        me = self.address()
        record = self.client.document(document.hex(), envelope=False)
        if me.hex() not in record["readers"]:
            raise LedgerError("document.not_reader",
                              f"{me.hex()} is not a recipient of document {document.hex()}: "
                              "it was sealed only to its parties, the agency and the "
                              "regulators")
        return open_document(document, self.client.document(document.hex()), self.key())


@dataclass(frozen=True)
class OwnDocument:
    tx_id: str
    label: str


def open_document(document: bytes, found: dict, key: KeyPair) -> documents.Contents:
    """The contents of a node's answer for `document`, checked: the id is the owner's and
    the commitment's (so the node cannot answer for another document), and the
    decrypted document matches the commitment."""
    try:
        owner = bytes.fromhex(found["owner"])
        commitment = bytes.fromhex(found["commitment"])
    except (KeyError, TypeError, ValueError) as e:
        raise LedgerError("document.tampered", "the node's answer holds no valid record") from e
    return documents.open_envelope(envelope_of(found), document, owner, commitment, key)


def subjects(view: dict, kind: str) -> list[str]:
    """The subjects of a committed transaction's events of one kind, in order."""
    return [e["subject"] for e in view.get("events", []) if e["kind"] == kind]


def addr(hex_address: str | None) -> str:
    return short(bytes.fromhex(hex_address)) if hex_address else "-"


def what_happened(view: dict) -> str | None:
    """One sentence for people on what a committed transaction did."""
    if view.get("status") != "committed" or not isinstance(view.get("body"), dict):
        return None
    b = view["body"]
    op = f"{view['contract']['name']}.{view['operation']}"

    def first(kind: str) -> str:
        found = subjects(view, kind)
        return found[0] if found else "?"

    def remainder() -> str:
        rest = subjects(view, "voucher.remainder")
        return f"; remainder {rest[0]}" if rest else "; nothing remains"

    if op == "issuance.apply":
        return f"application {view['id']} submitted; the debtor confirms it next"
    if op == "issuance.confirm":
        return "confirmed (确权); the agency reviews and approves it next"
    if op == "issuance.decline":
        return f"application {b['application']} declined: {b['reason']}"
    if op == "issuance.approve":
        return f"voucher {first('voucher.issued')} issued"
    if op == "transfer.transfer":
        return (f"transferred {yuan(b['amount_fen'])} to {addr(b['to'])}; new part "
                f"{first('voucher.transferred')}{remainder()}")
    if op == "transfer.split":
        parts = zip(subjects(view, "voucher.split"), b["amounts_fen"], strict=False)
        return "split into " + ", ".join(f"{p} ({yuan(a)})" for p, a in parts)
    if op == "pledge.create":
        return (f"pledge {first('pledge.registered')} registered: {addr(b['holder'])} pledged "
                f"voucher {b['voucher']} to bank {addr(b['bank'])}, securing "
                f"{yuan(b['secured_fen'])} until {show_due(b['loan_due_ms'])}")
    if op == "pledge.release":
        return f"pledge {b['pledge']} released (解除质押)"
    if op == "pledge.enforce":
        kept = subjects(view, "voucher.remainder")
        return (f"pledge {b['pledge']} enforced: the bank holds part "
                f"{first('voucher.transferred')}"
                + (f"; the pledgor keeps {kept[0]}" if kept else ""))
    if op == "acquisition.commit":
        return (f"commitment {first('acquisition.committed')}: {addr(b['acquirer'])} buys at "
                f"¥{b['price_per_10000_fen']:,} per ¥10,000 of claim from "
                f"{show_due(b['lock_until_ms'])} until {show_due(b['expires_ms'])}")
    if op == "acquisition.withdraw":
        return f"commitment {b['commitment']} withdrawn"
    if op == "acquisition.exercise":
        return (f"sold {yuan(b['amount_fen'])} of claim under commitment {b['commitment']}; "
                f"the acquirer's part {first('voucher.transferred')}{remainder()}")
    if op == "redemption.publish":
        return (f"offer {first('offer.published')} published: {b['kind']}, "
                f"{b['description']}, {yuan(b['price_fen'])}")
    if op == "redemption.change":
        return f"offer {b['offer']} now: {b['description']}, {yuan(b['price_fen'])}"
    if op == "redemption.withdraw_offer":
        return f"offer {b['offer']} withdrawn"
    if op == "redemption.request":
        return (f"redemption request {first('redemption.requested')}: {yuan(b['price_fen'])} "
                f"against offer {b['offer']}; voucher {b['voucher']} is reserved until the "
                "debtor decides")
    if op == "redemption.accept":
        rest = subjects(view, "voucher.remainder")
        return (f"request {b['request']} accepted; "
                + (f"the remainder {rest[0]} keeps circulating" if rest
                   else "the voucher is fully settled and cancelled (注销)"))
    if op == "redemption.decline":
        return f"request {b['request']} declined: {b['reason']}"
    if op == "redemption.cancel":
        return f"request {b['request']} cancelled; the voucher is free again"
    if op == "payment.pay":
        return (f"paid {yuan(b['amount_fen'])} to merchant {addr(b['merchant'])} for order "
                f"{b['order_ref']}; merchant's part {first('voucher.transferred')}{remainder()}")
    if op == "fees.set_schedule":
        return f"fee schedule: transfers {b['transfer_bp']} bp, pledges {b['pledge_bp']} bp"
    if op == "fees.record_payment":
        return f"recorded {yuan(b['amount_fen'])} of fees paid by {addr(b['member'])}"
    if op == "document.attach":
        readers = b["envelope"].get("readers", [])
        return (f"document {first('document.attached')} attached, sealed to {len(readers)} "
                "readers")
    if op.startswith("obligation."):
        return obligation_sentence(view["operation"], b, view["id"])
    if op.startswith("setoff."):
        return setoff_sentence(view, b)
    return None


def obligation_sentence(operation: str, b: dict, tx_id: str) -> str | None:
    if operation == "submit":
        return (f"obligation {tx_id} submitted: {addr(b['debtor'])} owes {addr(b['creditor'])} "
                f"{yuan(b['amount_fen'])}, due by {show_due(b['due_ms'])}; the debtor confirms "
                "it next")
    sentences = {
        "confirm": "confirmed; it counts now, and set-off rounds may clear it",
        "decline": f"declined: {b.get('reason')}",
        "retract": "retracted by the creditor",
        "settle": f"settled outside the ledger ({b.get('reference')})",
        "reduce": f"reduced by {yuan(b.get('by_fen', 0))}: {b.get('reason')}",
        "withdraw": f"withdrawn by both parties: {b.get('reason')}",
    }
    return f"obligation {b['obligation']} {sentences[operation]}" \
        if operation in sentences else None


def setoff_sentence(view: dict, b: dict) -> str | None:
    operation = view["operation"]
    if operation == "propose":
        cleared = sum(r["amount_fen"] for r in b["reductions"])
        return (f"set-off round {view['id']} proposed: clears {yuan(cleared)} on "
                f"{len(b['reductions'])} debts; every member consents by "
                f"{show_time(b['deadline_ms'])}")
    if operation == "consent":
        ended = [e["kind"] for e in view.get("events", [])
                 if e["kind"] in ("setoff.executed", "setoff.failed")]
        if "setoff.executed" in ended:
            return f"consented to round {b['round']}: the last consent, the round executed"
        if ended:
            return (f"consented to round {b['round']}: the last consent, but a debt changed "
                    "meanwhile and the round failed with nothing changed")
        return f"consented to round {b['round']}; it waits for the other members"
    if operation == "refuse":
        return f"refused round {b['round']}: {b['reason']}; nothing changes"
    if operation == "set_limit":
        if b["opted_out"]:
            return "opted out of set-off: no round may clear your debts"
        if b["max_fen_per_round"] is None:
            return "set-off limit removed"
        return f"set-off limit: at most {yuan(b['max_fen_per_round'])} cleared per round"
    return None


def show_tx(console: Console, view: dict) -> None:
    console.print(f"[bold]{view.get('operation', 'transaction')}[/bold] {view['id']}: "
                  f"{view['status']}" + (f" at height {view['height']}" if "height" in view
                                         else ""))
    sentence = what_happened(view)
    if sentence:
        console.print(sentence, markup=False, soft_wrap=True)
    for event in view.get("events", []):
        console.print(f"  {event['kind']}: {event['subject']}", markup=False, soft_wrap=True)


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


main.add_command(governance_group)  # wallet/governance_cli.py


# How long a transaction the wallet makes stays valid, in blocks (at most the ledger's
# MAX_VALIDITY_BLOCKS). One submitted at once commits within a few blocks or not at all,
# so it lives briefly: a copy lost in transit cannot surface hours later. A draft waits
# for its co-signers on other machines: some 3 days of idle blocks (every 5 s), some 80
# minutes under full load (every 100 ms); --expires-in gives a signing round more.
SUBMIT_EXPIRY_BLOCKS = 1_000
DRAFT_EXPIRY_BLOCKS = 50_000
assert SUBMIT_EXPIRY_BLOCKS < DRAFT_EXPIRY_BLOCKS <= MAX_VALIDITY_BLOCKS


def tx_options(f: Callable) -> Callable:
    f = click.option("--out", type=click.Path(path_type=Path), default=None,
                     help="write an unsigned draft to FILE instead of submitting")(f)
    return click.option(
        "--expires-in", type=click.IntRange(1, MAX_VALIDITY_BLOCKS), default=None,
        help=f"blocks until the transaction expires (default {SUBMIT_EXPIRY_BLOCKS:,}; "
        f"{DRAFT_EXPIRY_BLOCKS:,} for a draft with --out; at most {MAX_VALIDITY_BLOCKS:,})")(f)


BASIS_FILE_HELP = ("the basis document: its digest keyed by you and the debtor is recorded "
                   "(only the two of you can compute it; `basis digest` shows it)")
BASIS_DIGEST_HELP = "a basis digest computed before with `basis digest` (hex)"


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
    w.emit(s, lambda c: c.print(f"{s['chain_id']} height {s['height']} ledger time "
                                f"{show_time(s['time_ms'])} node {s['node']} ({s['role']}) "
                                f"state root {s['state_root']}", soft_wrap=True))


@main.command()
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
           lambda c: c.print(f"Open within {seconds} s, once:\n{url}", soft_wrap=True,
                             markup=False))


# ------------------------------------------------------------------ membership


@main.command()
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


@main.command()
@click.argument("member")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def suspend(w: Wallet, member: str, reason: str, out: Path | None, expires_in: int | None) -> None:
    """The agency suspends MEMBER."""
    body = membership.Suspend(w.address(), parse_address(member), reason)
    w.transact("membership", "suspend", body, out, expires_in)


@main.command()
@click.argument("member")
@tx_options
@pass_wallet
def reinstate(w: Wallet, member: str, out: Path | None, expires_in: int | None) -> None:
    """The agency reinstates a suspended MEMBER."""
    body = membership.Reinstate(w.address(), parse_address(member))
    w.transact("membership", "reinstate", body, out, expires_in)


# ------------------------------------------------------------------ issuance


@main.command()
@click.option("--debtor", required=True, help="the debtor's address")
@click.option("--amount", required=True, help="in yuan, e.g. 1250000.00")
@click.option("--due", required=True, help="due date: " + DATE_HELP)
@click.option("--asset", is_flag=True, help="settled by the debtor's assets (资产抵付)")
@click.option("--consumption", is_flag=True, help="settled by consumption (消费抵付)")
@click.option("--extension-days", type=click.IntRange(0, issuance.MAX_EXTENSION_DAYS),
              default=0, help="extension clause (展期): days per extension, 0 for none")
@click.option("--extensions", "extension_max", type=click.IntRange(0, issuance.MAX_EXTENSIONS),
              default=None, help="how many times it may extend (default 1 with a clause)")
@click.option("--basis-ref", required=True, help="the basis contract's reference")
@click.option("--basis-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help=BASIS_FILE_HELP)
@click.option("--basis-sha256", help=BASIS_DIGEST_HELP)
@document_options
@tx_options
@pass_wallet
def apply(w: Wallet, debtor: str, amount: str, due: str, asset: bool, consumption: bool,
          extension_days: int, extension_max: int | None, basis_ref: str, basis_file: Path | None,
          basis_sha256: str | None, document_files: tuple[Path, ...],
          document_labels: tuple[str, ...], out: Path | None, expires_in: int | None) -> None:
    """The creditor applies for a voucher against DEBTOR, with its documents sealed to both
    parties, the agency and the regulators (attached first, signed by you)."""
    digest = basis_digest(w, basis_file, basis_sha256, w.address(), parse_address(debtor))
    terms = issuance.Terms(parse_address(debtor), parse_yuan(amount), parse_due(due), asset,
                           consumption, extension_days,
                           (1 if extension_days else 0) if extension_max is None
                           else extension_max, basis_ref, digest)
    attached = w.attach_documents(document_files, document_labels,
                                  (w.address(), terms.debtor), expires_in, wait=out is not None)
    body = issuance.Apply(w.address(), terms, tuple(bytes.fromhex(d["id"]) for d in attached))
    w.transact("issuance", "apply", body, out, expires_in, attached)


def application_verb(name: str, make: Callable[[bytes, bytes, dict], Any], doc: str,
                     reason: bool = False) -> None:
    @click.argument("application_id")
    @tx_options
    @pass_wallet
    def verb(w: Wallet, application_id: str, out: Path | None, expires_in: int | None,
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
application_verb("decline", lambda me, a, o: issuance.Decline(me, a, o["reason"]),
                 "The debtor declines an application it does not owe (no 确权): it closes "
                 "with your reason, which does not count as a late confirmation.",
                 reason=True)
application_verb("approve", lambda me, a, _: issuance.Approve(me, a),
                 "The agency approves a confirmed application: the voucher is issued.")
application_verb("reject", lambda me, a, o: issuance.Reject(me, a, o["reason"]),
                 "The agency rejects an application.", reason=True)
application_verb("withdraw", lambda me, a, _: issuance.Withdraw(me, a),
                 "The creditor withdraws its application.")


def optional_address(text: str | None) -> bytes | None:
    return None if text is None else parse_address(text)


def voucher_id(text: str) -> bytes:
    return hex32(text, "a voucher id")


def pledgee_option(f: Callable) -> Callable:
    return click.option("--pledgee", metavar="BANK",
                        help="the bank the voucher is pledged to: it co-signs, the pledge ends")(f)


# ------------------------------------------------------------------ circulation


@main.command("transfer")
@click.argument("voucher")
@click.option("--to", "to", required=True, help="the transferee's address")
@click.option("--amount", required=True, help="in yuan; the rest stays with you as a new part")
@pledgee_option
@tx_options
@pass_wallet
def transfer_verb(w: Wallet, voucher: str, to: str, amount: str, pledgee: str | None,
                  out: Path | None, expires_in: int | None) -> None:
    """Transfer all or part of VOUCHER to another member (流转); the debtor is notified."""
    body = transfer.Transfer(w.address(), voucher_id(voucher), parse_address(to),
                             parse_yuan(amount), optional_address(pledgee))
    w.transact("transfer", "transfer", body, out, expires_in)


@main.command("split")
@click.argument("voucher")
@click.option("--amounts", required=True,
              help="the parts in yuan, comma separated (no thousands separators); "
                   "they add up to the voucher")
@pledgee_option
@tx_options
@pass_wallet
def split_verb(w: Wallet, voucher: str, amounts: str, pledgee: str | None, out: Path | None,
               expires_in: int | None) -> None:
    """Split VOUCHER into parts you keep (to pledge, pay or transfer them separately)."""
    body = transfer.Split(w.address(), voucher_id(voucher), parse_amounts(amounts),
                          optional_address(pledgee))
    w.transact("transfer", "split", body, out, expires_in)


# ------------------------------------------------------------------ pledges


@main.command("pledge")
@click.argument("voucher")
@click.option("--bank", required=True, help="the pledgee bank's address")
@click.option("--secured", required=True, help="the loan amount the pledge secures, in yuan")
@click.option("--loan-due", required=True, help="the loan's due date: " + DATE_HELP)
@click.option("--loan-ref", required=True, help="the loan contract's reference")
@tx_options
@pass_wallet
def pledge_verb(w: Wallet, voucher: str, bank: str, secured: str, loan_due: str,
                loan_ref: str, out: Path | None, expires_in: int | None) -> None:
    """Pledge VOUCHER to a bank (质押); you and the bank sign, so draft it with --out."""
    body = pledge.Create(w.address(), parse_address(bank), voucher_id(voucher),
                         parse_yuan(secured), parse_due(loan_due), loan_ref)
    w.transact("pledge", "create", body, out, expires_in)


@main.command("release")
@click.argument("pledge_id")
@tx_options
@pass_wallet
def release_verb(w: Wallet, pledge_id: str, out: Path | None, expires_in: int | None) -> None:
    """The bank releases its pledge PLEDGE_ID (解除质押)."""
    body = pledge.Release(w.address(), hex32(pledge_id, "a pledge id"))
    w.transact("pledge", "release", body, out, expires_in)


@main.command("enforce")
@click.argument("pledge_id")
@tx_options
@pass_wallet
def enforce_verb(w: Wallet, pledge_id: str, out: Path | None, expires_in: int | None) -> None:
    """After the loan fell due, the bank takes the secured claim of PLEDGE_ID."""
    body = pledge.Enforce(w.address(), hex32(pledge_id, "a pledge id"))
    w.transact("pledge", "enforce", body, out, expires_in)


# ------------------------------------------------------------------ acquisition


@main.command("commit")
@click.argument("voucher")
@click.option("--holder", required=True, help="the voucher's holder, who co-signs")
@click.option("--price-per-10000", "price", required=True, type=click.IntRange(1, 10_000),
              help="yuan paid per ¥10,000 of claim (9600 is 96% of face)")
@click.option("--lock-until", required=True, help="no sale before: " + DATE_HELP)
@click.option("--expires", required=True, help="no sale after: " + DATE_HELP)
@click.option("--terms-ref", default="", help="the acquisition agreement's reference")
@tx_options
@pass_wallet
def commit_verb(w: Wallet, voucher: str, holder: str, price: int, lock_until: str,
                expires: str, terms_ref: str, out: Path | None, expires_in: int | None) -> None:
    """The acquirer commits to buy VOUCHER's claim after a lock (收购承诺); the holder co-signs."""
    body = acquisition.Commit(w.address(), parse_address(holder), voucher_id(voucher), price,
                              parse_due(lock_until), parse_due(expires), terms_ref)
    w.transact("acquisition", "commit", body, out, expires_in)


@main.command("uncommit")
@click.argument("commitment_id")
@tx_options
@pass_wallet
def uncommit_verb(w: Wallet, commitment_id: str, out: Path | None, expires_in: int | None) -> None:
    """The acquirer withdraws COMMITMENT_ID, before its lock ends."""
    body = acquisition.Withdraw(w.address(), hex32(commitment_id, "a commitment id"))
    w.transact("acquisition", "withdraw", body, out, expires_in)


@main.command("exercise")
@click.argument("voucher")
@click.option("--commitment", required=True, help="the commitment the voucher carries")
@click.option("--amount", help="claim to sell, in yuan (default: all of the voucher)")
@click.option("--payment-ref", required=True, help="reference of the acquirer's payment")
@pledgee_option
@tx_options
@pass_wallet
def exercise_verb(w: Wallet, voucher: str, commitment: str, amount: str | None,
                  payment_ref: str, pledgee: str | None, out: Path | None,
                  expires_in: int | None) -> None:
    """After the lock, sell VOUCHER's claim (all or part) to the committed acquirer."""
    vid = voucher_id(voucher)
    amount_fen = (w.client.voucher(vid.hex())["amount_fen"] if amount is None
                  else parse_yuan(amount))
    body = acquisition.Exercise(w.address(), vid, hex32(commitment, "a commitment id"),
                                amount_fen, payment_ref, optional_address(pledgee))
    w.transact("acquisition", "exercise", body, out, expires_in)


# ------------------------------------------------------------------ offers and redemption


@main.group("offer")
def offer_group() -> None:
    """The debtor's offers of assets or consumption it settles claims with."""


@offer_group.command("publish")
@click.option("--kind", required=True, type=click.Choice(sorted(redemption.OFFER_KINDS)))
@click.option("--description", required=True)
@click.option("--price", required=True, help="in yuan")
@tx_options
@pass_wallet
def offer_publish(w: Wallet, kind: str, description: str, price: str, out: Path | None,
                  expires_in: int | None) -> None:
    """Publish an offer (资产抵付 asset, or 消费抵付 consumption) as the debtor."""
    body = redemption.Publish(w.address(), kind, description, parse_yuan(price))
    w.transact("redemption", "publish", body, out, expires_in)


@offer_group.command("change")
@click.argument("offer_id")
@click.option("--description", help="(default: unchanged)")
@click.option("--price", help="in yuan (default: unchanged)")
@tx_options
@pass_wallet
def offer_change(w: Wallet, offer_id: str, description: str | None, price: str | None,
                 out: Path | None, expires_in: int | None) -> None:
    """Change the description or price of your offer OFFER_ID."""
    oid = hex32(offer_id, "an offer id")
    listed = w.client.offer(oid.hex()) if description is None or price is None else {}
    body = redemption.Change(
        w.address(), oid, listed["description"] if description is None else description,
        listed["price_fen"] if price is None else parse_yuan(price))
    w.transact("redemption", "change", body, out, expires_in)


@offer_group.command("withdraw")
@click.argument("offer_id")
@tx_options
@pass_wallet
def offer_withdraw(w: Wallet, offer_id: str, out: Path | None, expires_in: int | None) -> None:
    """Withdraw your offer OFFER_ID."""
    body = redemption.WithdrawOffer(w.address(), hex32(offer_id, "an offer id"))
    w.transact("redemption", "withdraw_offer", body, out, expires_in)


@main.command("redeem")
@click.argument("voucher")
@click.option("--offer", "offer_id", required=True, help="the debtor's offer")
@click.option("--price", help="the agreed price in yuan (default: the offer's price)")
@pledgee_option
@document_options
@tx_options
@pass_wallet
def redeem_verb(w: Wallet, voucher: str, offer_id: str, price: str | None,
                pledgee: str | None, document_files: tuple[Path, ...],
                document_labels: tuple[str, ...], out: Path | None, expires_in: int | None) -> None:
    """Ask the debtor to settle VOUCHER with one of its offers (抵付); it is reserved meanwhile.
    Documents are sealed to you, the debtor, the agency and the regulators."""
    for path in document_files:  # before anything is sent, even a question
        documents.check_size(path.stat().st_size)
    oid = hex32(offer_id, "an offer id")
    vid = voucher_id(voucher)
    price_fen = w.client.offer(oid.hex())["price_fen"] if price is None else parse_yuan(price)
    attached: list[dict] = []
    if document_files or document_labels:
        debtor = bytes.fromhex(w.client.voucher(vid.hex())["debtor"])
        attached = w.attach_documents(document_files, document_labels, (w.address(), debtor),
                                      expires_in, wait=out is not None)
    body = redemption.Ask(w.address(), vid, oid, price_fen, optional_address(pledgee),
                          tuple(bytes.fromhex(d["id"]) for d in attached))
    w.transact("redemption", "request", body, out, expires_in, attached)


@main.group("redemption")
def redemption_group() -> None:
    """Redemption requests: the debtor accepts or declines, the holder may cancel."""


@redemption_group.command("accept")
@click.argument("request_id")
@click.option("--title-ref", default="", help="title transfer registration (asset offers)")
@click.option("--shortfall-ref", default="",
              help="the holder's money payment, when the price exceeds the claim")
@tx_options
@pass_wallet
def redemption_accept(w: Wallet, request_id: str, title_ref: str, shortfall_ref: str,
                      out: Path | None, expires_in: int | None) -> None:
    """The debtor accepts REQUEST_ID: the claim is reduced by the price."""
    body = redemption.Accept(w.address(), hex32(request_id, "a request id"), title_ref,
                             shortfall_ref)
    w.transact("redemption", "accept", body, out, expires_in)


@redemption_group.command("decline")
@click.argument("request_id")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def redemption_decline(w: Wallet, request_id: str, reason: str, out: Path | None,
                       expires_in: int | None) -> None:
    """The debtor declines REQUEST_ID; the voucher is free again."""
    body = redemption.Decline(w.address(), hex32(request_id, "a request id"), reason)
    w.transact("redemption", "decline", body, out, expires_in)


@redemption_group.command("cancel")
@click.argument("request_id")
@tx_options
@pass_wallet
def redemption_cancel(w: Wallet, request_id: str, out: Path | None, expires_in: int | None) -> None:
    """The holder cancels its request REQUEST_ID before the debtor decides."""
    body = redemption.Cancel(w.address(), hex32(request_id, "a request id"))
    w.transact("redemption", "cancel", body, out, expires_in)


# ------------------------------------------------------------------ merchant payment


@main.command("pay")
@click.argument("voucher")
@click.option("--merchant", required=True, help="the merchant's address")
@click.option("--amount", required=True, help="in yuan; the rest stays with you")
@click.option("--order", required=True, help="the order or invoice reference")
@pledgee_option
@tx_options
@pass_wallet
def pay_verb(w: Wallet, voucher: str, merchant: str, amount: str, order: str,
             pledgee: str | None, out: Path | None, expires_in: int | None) -> None:
    """Pay a merchant with part of VOUCHER (抵付货款): draft with --out, sign it, hand the file
    to the merchant, who runs `accept FILE`."""
    body = payment.Pay(w.address(), voucher_id(voucher), parse_address(merchant),
                       parse_yuan(amount), order, optional_address(pledgee))
    w.transact("payment", "pay", body, out, expires_in)


# ------------------------------------------------------------------ fees


@main.group("fees")
def fees_group() -> None:
    """The service fee schedule and members' fee accounts."""


@fees_group.command("schedule")
@click.option("--transfer-bp", required=True, type=click.IntRange(0, fees.MAX_RATE_BP),
              help="basis points of each amount changing holder")
@click.option("--pledge-bp", required=True, type=click.IntRange(0, fees.MAX_RATE_BP),
              help="basis points of each claim pledged")
@tx_options
@pass_wallet
def fees_schedule(w: Wallet, transfer_bp: int, pledge_bp: int, out: Path | None,
                  expires_in: int | None) -> None:
    """The agency sets the fee schedule."""
    body = fees.SetSchedule(w.address(), transfer_bp, pledge_bp)
    w.transact("fees", "set_schedule", body, out, expires_in)


@fees_group.command("paid")
@click.argument("member_address")
@click.option("--amount", required=True, help="in yuan")
@click.option("--ref", "reference", required=True, help="the payment's reference")
@tx_options
@pass_wallet
def fees_paid(w: Wallet, member_address: str, amount: str, reference: str, out: Path | None,
              expires_in: int | None) -> None:
    """The agency records that MEMBER paid fees (outside the ledger)."""
    body = fees.RecordPayment(w.address(), parse_address(member_address), parse_yuan(amount),
                              reference)
    w.transact("fees", "record_payment", body, out, expires_in)


@fees_group.command("show")
@click.argument("member_address", required=False)
@pass_wallet
def fees_show(w: Wallet, member_address: str | None) -> None:
    """The fee schedule, and MEMBER's fee account (default: yours, with --key)."""
    schedule = w.client.fee_schedule()
    member = (parse_address(member_address) if member_address
              else w.address() if w.key_path else None)
    account = None if member is None else w.client.fee_account(member.hex())

    def show(console: Console) -> None:
        console.print(f"fee schedule: transfers {schedule['transfer_bp']} bp, pledges "
                      f"{schedule['pledge_bp']} bp (set at height {schedule['set_height']})")
        if account is None:
            return
        console.print(f"{short(member or b'')}: charged {yuan(account['charged_fen'])}, paid "
                      f"{yuan(account['paid_fen'])}, owes {yuan(account['owed_fen'])}")
        t = Table(Column("time", no_wrap=True), "kind", money("on"), money("rate"),
                  money("fee / paid"), "tx", "reference")
        for c in account["charges"]:
            t.add_row(show_time(c["time_ms"]), c["kind"], yuan(c["base_fen"]),
                      f"{c['rate_bp']} bp", yuan(c["fee_fen"]), c["tx_id"][:10],
                      escape(c["reference"]))
        console.print(t)
        more(console, account)

    w.emit({"schedule": schedule, "account": account}, show)


# ------------------------------------------------------------------ obligations


@main.group("obligation")
def obligation_group() -> None:
    """Obligations members owe each other, uploaded for set-off: the creditor submits, the
    debtor confirms; a confirmed one changes only with both signing."""


def obligation_id(text: str) -> bytes:
    return hex32(text, "an obligation id")


@obligation_group.command("submit")
@click.option("--debtor", required=True, help="who owes you")
@click.option("--amount", required=True, help="in yuan, e.g. 120000.00")
@click.option("--due", required=True, help="due date: " + DATE_HELP)
@click.option("--basis-ref", required=True, help="the basis contract's or invoice's reference")
@click.option("--basis-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help=BASIS_FILE_HELP)
@click.option("--basis-sha256", help=BASIS_DIGEST_HELP)
@document_options
@tx_options
@pass_wallet
def obligation_submit(w: Wallet, debtor: str, amount: str, due: str, basis_ref: str,
                      basis_file: Path | None, basis_sha256: str | None,
                      document_files: tuple[Path, ...], document_labels: tuple[str, ...],
                      out: Path | None, expires_in: int | None) -> None:
    """As the creditor, upload what DEBTOR owes you; it counts once the debtor confirms.
    Documents are sealed to both parties, the agency and the regulators."""
    owed_by = parse_address(debtor)
    attached = w.attach_documents(document_files, document_labels, (w.address(), owed_by),
                                  expires_in, wait=out is not None)
    body = obligations.Submit(w.address(), owed_by, parse_yuan(amount), parse_due(due),
                              basis_ref,
                              basis_digest(w, basis_file, basis_sha256, w.address(), owed_by),
                              tuple(bytes.fromhex(d["id"]) for d in attached))
    w.transact("obligation", "submit", body, out, expires_in, attached)


@obligation_group.command("confirm")
@click.argument("obligation")
@tx_options
@pass_wallet
def obligation_confirm(w: Wallet, obligation: str, out: Path | None,
                       expires_in: int | None) -> None:
    """As the debtor, confirm you owe OBLIGATION."""
    body = obligations.Confirm(w.address(), obligation_id(obligation))
    w.transact("obligation", "confirm", body, out, expires_in)


@obligation_group.command("decline")
@click.argument("obligation")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def obligation_decline(w: Wallet, obligation: str, reason: str, out: Path | None,
                       expires_in: int | None) -> None:
    """As the debtor, say you do not owe OBLIGATION."""
    body = obligations.Decline(w.address(), obligation_id(obligation), reason)
    w.transact("obligation", "decline", body, out, expires_in)


@obligation_group.command("retract")
@click.argument("obligation")
@tx_options
@pass_wallet
def obligation_retract(w: Wallet, obligation: str, out: Path | None,
                       expires_in: int | None) -> None:
    """As the creditor, take back OBLIGATION before the debtor confirms it."""
    body = obligations.Retract(w.address(), obligation_id(obligation))
    w.transact("obligation", "retract", body, out, expires_in)


def parties(w: Wallet, obligation: str) -> tuple[bytes, bytes, bytes]:
    """The obligation's id, creditor and debtor, as the node records them."""
    oid = obligation_id(obligation)
    found = w.client.obligation(oid.hex())
    return oid, bytes.fromhex(found["creditor"]), bytes.fromhex(found["debtor"])


@obligation_group.command("settle")
@click.argument("obligation")
@click.option("--reference", required=True, help="the payment's reference")
@tx_options
@pass_wallet
def obligation_settle(w: Wallet, obligation: str, reference: str, out: Path | None,
                      expires_in: int | None) -> None:
    """Both parties say OBLIGATION was paid outside the ledger; draft with --out, both sign."""
    oid, creditor, debtor = parties(w, obligation)
    w.transact("obligation", "settle", obligations.Settle(creditor, debtor, oid, reference),
               out, expires_in)


@obligation_group.command("reduce")
@click.argument("obligation")
@click.option("--by", "by", required=True, help="in yuan; something must stay owed")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def obligation_reduce(w: Wallet, obligation: str, by: str, reason: str, out: Path | None,
                      expires_in: int | None) -> None:
    """Both parties reduce OBLIGATION by an amount; draft with --out, both sign."""
    by_fen = parse_yuan(by)
    oid, creditor, debtor = parties(w, obligation)
    body = obligations.Reduce(creditor, debtor, oid, by_fen, reason)
    w.transact("obligation", "reduce", body, out, expires_in)


@obligation_group.command("withdraw")
@click.argument("obligation")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def obligation_withdraw(w: Wallet, obligation: str, reason: str, out: Path | None,
                        expires_in: int | None) -> None:
    """Both parties take a confirmed OBLIGATION out of the ledger; draft with --out, both sign."""
    oid, creditor, debtor = parties(w, obligation)
    w.transact("obligation", "withdraw", obligations.Withdraw(creditor, debtor, oid, reason),
               out, expires_in)


def obligation_table(found: list[dict]) -> Table:
    t = Table(fixed("obligation"), fixed("creditor"), fixed("debtor"), money("face"),
              money("owed"), money("set off"), fixed("due by"), "status", fixed("open round"))
    for o in found:
        t.add_row(o["id"][:10], addr(o["creditor"]), addr(o["debtor"]), yuan(o["face_fen"]),
                  yuan(o["amount_fen"]), yuan(o["setoff_fen"]), show_due(o["due_ms"]),
                  o["status"], (o.get("open_round") or "-")[:10])
    return t


def owed_fen(found: list[dict]) -> int:
    return sum(o["amount_fen"] for o in found if o["status"] == obligations.LIVE)


@main.command("obligations")
@click.option("--creditor", help="a creditor's address")
@click.option("--debtor", help="a debtor's address")
@click.option("--status", type=click.Choice(sorted(obligations.STATUSES)),
              help="only obligations in this status")
@pass_wallet
def obligations_verb(w: Wallet, creditor: str | None, debtor: str | None,
                     status: str | None) -> None:
    """Obligations by creditor or by debtor (default: what you owe and what you are owed)."""
    which = one_of(creditor=creditor, debtor=debtor)
    if which is not None:
        found = w.client.obligations(**{which[0]: parse_address(which[1]).hex()}, status=status)

        def table(console: Console) -> None:
            console.print(obligation_table(found["obligations"]))
            console.print(f"confirmed and still owed: {yuan(owed_fen(found['obligations']))}")
            more(console, found)

        w.emit(found, table)
        return
    me = w.address().hex()
    owe = w.client.obligations(debtor=me, status=status)
    owed = w.client.obligations(creditor=me, status=status)

    def tables(console: Console) -> None:
        for title, found in (("you owe", owe), ("owed to you", owed)):
            console.print(f"[bold]{title}[/bold]: {yuan(owed_fen(found['obligations']))} "
                          "confirmed and still owed")
            console.print(obligation_table(found["obligations"]))
            more(console, found)

    w.emit({"address": me, "as_debtor": owe, "as_creditor": owed}, tables)


# ------------------------------------------------------------------ set-off


@main.group("setoff")
def setoff_group() -> None:
    """Multilateral set-off (债权债务闭环抵销): members with a standing mandate are cleared
    by the agency's runs; for the rest the agency proposes rounds from the optimal plan,
    every member concerned consents, the last consent executes the round."""


def exclusions(texts: tuple[str, ...]) -> list[str]:
    """--exclude values (repeated, or comma separated) as checked addresses."""
    return sorted({parse_address(part).hex() for text in texts for part in text.split(",")})


def round_id(text: str) -> bytes:
    return hex32(text, "a round id")


@setoff_group.command("limit")
@click.option("--max", "max_yuan", help="clear at most this much of your debts per round, "
              "in yuan")
@click.option("--opt-out", is_flag=True, help="no round may clear your debts")
@click.option("--no-limit", is_flag=True, help="remove your limit")
@tx_options
@pass_wallet
def setoff_limit(w: Wallet, max_yuan: str | None, opt_out: bool, no_limit: bool,
                 out: Path | None, expires_in: int | None) -> None:
    """Your standing set-off limit: set it with one option, or show it with none."""
    chosen = [name for name, given in (("--max", max_yuan is not None), ("--opt-out", opt_out),
                                       ("--no-limit", no_limit)) if given]
    if len(chosen) > 1:
        raise LedgerError("wallet.one_limit", "give one of --max, --opt-out and --no-limit")
    if not chosen:
        limit = w.client.setoff_limit(w.address().hex())
        w.emit(limit, lambda c: c.print(limit_text(limit)))
        return
    max_fen = None if max_yuan is None else parse_yuan(max_yuan)
    if max_fen == 0:
        raise LedgerError("wallet.bad_amount", "a limit is at least ¥0.01; to take part in no "
                          "round, use --opt-out")
    body = setoff.SetLimit(w.address(), opt_out, max_fen)
    w.transact("setoff", "set_limit", body, out, expires_in)


def limit_text(limit: dict) -> str:
    if limit["opted_out"]:
        return "opted out of set-off"
    if limit["max_fen_per_round"] is None:
        return "no set-off limit"
    return f"at most {yuan(limit['max_fen_per_round'])} cleared per round"


def figures_table(rows: list[tuple[str, str]]) -> Table:
    t = Table("", money(""), show_header=False, box=None)
    for label, value in rows:
        t.add_row(label, value)
    return t


def plan_rounds_table(plan: dict) -> Table:
    t = Table(money("#"), fixed("kind"), fixed("debt"), fixed("debtor"), fixed("creditor"),
              money("clear"))
    for number, r in enumerate(plan["rounds"], 1):
        for x in r["reductions"]:
            t.add_row(str(number), x["kind"], x["id"][:10], addr(x.get("debtor")),
                      addr(x.get("creditor")), yuan(x["amount_fen"]))
    return t


def show_plan(console: Console, plan: dict) -> None:
    console.print(f"set-off plan at height {plan['height']} "
                  f"({show_time(plan['time_ms'])}): {plan['debts']} debts")
    console.print(figures_table([
        ("debt in the graph", yuan(plan["total_fen"])),
        ("optimum cleared", yuan(plan["cleared_fen"])),
        ("remaining", yuan(plan["remaining_fen"])),
        ("bound (net internal debt)", yuan(plan["bound_fen"])),
        ("gap to the bound", yuan(plan["gap_fen"])),
        ("in rounds of 3+ members", f"{yuan(plan['in_rounds_fen'])} in "
                                    f"{len(plan['rounds'])} round"
                                    + ("" if len(plan["rounds"]) == 1 else "s")),
        ("bilateral, left to the parties", yuan(plan["bilateral_fen"])),
        ("deferred to a later plan", yuan(plan["deferred_fen"])),
        *run_rows(plan),
    ]))
    if plan["rounds"]:
        console.print(plan_rounds_table(plan))


def run_rows(plan: dict) -> list[tuple[str, str]]:
    """The plan's run over members with a mandate, as figure rows (none without mandates)."""
    run = plan.get("run")
    if not run or not run["mandated_members"]:
        return []
    return [
        (f"run: optimum over {run['mandated_members']} mandated members",
         yuan(run["optimum_fen"])),
        ("run: planned", f"{yuan(run['planned_fen'])} in {run['batches']} batch"
                         + ("" if run["batches"] == 1 else "es")),
        ("run: held back by per-run limits", yuan(run["held_by_limits_fen"])),
        ("needs members without a mandate", yuan(plan["unmandated_fen"])),
        ("rounds work on (after the run)", yuan(plan["rounds_optimum_fen"])),
    ]


@setoff_group.command("plan")
@click.option("--exclude", multiple=True, metavar="ADDR",
              help="leave a member out (repeat it, or separate addresses by commas)")
@pass_wallet
def setoff_plan(w: Wallet, exclude: tuple[str, ...]) -> None:
    """The optimal set-off of the debts now, and the rounds it would propose."""
    plan = w.client.setoff_plan(exclusions(exclude))
    w.emit(plan, lambda c: show_plan(c, plan))


@setoff_group.command("propose")
@click.option("--exclude", multiple=True, metavar="ADDR",
              help="leave a member out (repeat it, or separate addresses by commas)")
@click.option("--hours", type=click.IntRange(1, setoff.MAX_CONSENT_MS // 3_600_000),
              default=48, show_default=True,
              help="consent deadline: this long after the ledger's latest block time")
@click.option("--expires-in", type=click.IntRange(1, MAX_VALIDITY_BLOCKS), default=None,
              help=f"blocks until each transaction expires (default {SUBMIT_EXPIRY_BLOCKS:,})")
@pass_wallet
def setoff_propose(w: Wallet, exclude: tuple[str, ...], hours: int, expires_in: int | None) -> None:
    """As the agency, propose the plan's rounds: one transaction per round."""
    plan = w.client.setoff_plan(exclusions(exclude))
    if plan.get("run", {}).get("batches"):
        # The rounds are the optimum of what the run leaves; proposed first, they would
        # lock debts the run's batches reduce.
        raise LedgerError("wallet.run_first", "the plan holds a run over the debts of members "
                          "with a mandate: execute it with `setoff run` first, then propose "
                          "the rounds for the rest")
    status = w.client.status()
    deadline_ms = status["time_ms"] + hours * 3_600_000
    me = w.key()
    proposed: list[dict] = []
    for number, r in enumerate(plan["rounds"], 1):
        reductions = tuple(setoff.Reduction(x["kind"], bytes.fromhex(x["id"]), x["amount_fen"])
                           for x in r["reductions"])
        body = setoff.Propose(me.address, reductions, deadline_ms, plan["total_fen"],
                              plan["bound_fen"])
        tx = sign_transaction(w.new_transaction("setoff", "propose", body, expires_in, status),
                              me)
        try:
            view = w.commit(tx)
        except LedgerError as e:
            done = ", ".join(p["id"] for p in proposed) or "none"
            raise LedgerError(e.code, f"{e.message} (round {number} of {len(plan['rounds'])}; "
                              f"proposed before it: {done})") from None
        proposed.append({"id": view["id"], "status": view["status"],
                         "height": view.get("height"), "cleared_fen": r["cleared_fen"],
                         "members": r["members"]})

    def show(console: Console) -> None:
        show_plan(console, plan)
        if not proposed:
            console.print("nothing to propose: no loop of 3 or more members can be cleared")
        for p in proposed:
            console.print(f"round {p['id']} proposed ({p['status']}): clears "
                          f"{yuan(p['cleared_fen'])} among {len(p['members'])} members, "
                          f"consent by {show_time(deadline_ms)}", soft_wrap=True)

    w.emit({"plan": plan, "deadline_ms": deadline_ms, "proposed": proposed}, show)


@setoff_group.command("mandate")
@click.option("--max", "max_yuan", help="the most one run may clear of your debts, in yuan")
@click.option("--until", help="the mandate expires then: " + DATE_HELP)
@click.option("--revoke", is_flag=True, help="revoke your standing mandate")
@tx_options
@pass_wallet
def setoff_mandate(w: Wallet, max_yuan: str | None, until: str | None, revoke: bool,
                   out: Path | None, expires_in: int | None) -> None:
    """Your standing set-off mandate (抵销授权): the agency's runs may clear your debts
    against what is owed to you, at most --max per run, until --until; a new one replaces
    the last. With --revoke, take it back; with no option, show your mandates."""
    if revoke:
        if max_yuan is not None or until is not None:
            raise LedgerError("wallet.bad_mandate", "--revoke takes neither --max nor --until")
        w.transact("setoff", "revoke_mandate", setoff.RevokeMandate(w.address()), out,
                   expires_in)
        return
    if max_yuan is None and until is None:
        found = w.client.setoff_mandates(w.address().hex())
        w.emit(found, lambda c: c.print(mandates_text(found)))
        return
    if max_yuan is None or until is None:
        raise LedgerError("wallet.bad_mandate", "a mandate names both --max and --until")
    max_fen = parse_yuan(max_yuan)
    if max_fen == 0:
        raise LedgerError("wallet.bad_amount", "a mandate lets a run clear at least ¥0.01")
    body = setoff.SignMandate(w.address(), max_fen, parse_due(until))
    w.transact("setoff", "mandate", body, out, expires_in)


def mandates_text(found: dict) -> str:
    if not found["mandates"]:
        return "no set-off mandate: rounds ask for your consent each time"
    m = found["mandates"][-1]
    state = "standing" if found["live"] else (
        m["status"] if m["status"] != "standing" else "expired")
    return (f"mandate #{m['number']} ({state}): a run clears at most "
            f"{yuan(m['max_fen_per_run'])} of your debts, until {show_time(m['expires_ms'])}")


@setoff_group.command("run")
@click.option("--exclude", multiple=True, metavar="ADDR",
              help="leave a member out (repeat it, or separate addresses by commas)")
@click.option("--hours", type=click.IntRange(1, setoff.MAX_RUN_MS // 3_600_000), default=2,
              show_default=True, help="the run closes this long after the latest block time")
@click.option("--window", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="batches submitted before waiting for them to commit")
@click.option("--expires-in", type=click.IntRange(1, MAX_VALIDITY_BLOCKS), default=None,
              help=f"blocks until each transaction expires (default {SUBMIT_EXPIRY_BLOCKS:,})")
@pass_wallet
def setoff_run(w: Wallet, exclude: tuple[str, ...], hours: int, window: int,
               expires_in: int | None) -> None:
    """As the agency, execute the plan's run over the debts of members with a mandate:
    open a run (or continue the open one), submit its batches (each a circulation, so every
    prefix keeps each net position), wait for them to commit, and close it."""
    plan = w.client.setoff_plan(exclusions(exclude), run_batches=True)
    status = w.client.status()
    me = w.key()
    batches = plan["run_batches"]
    run_id = plan["run"]["open_run"]
    if run_id is None and batches:
        body = setoff.OpenRun(me.address, status["time_ms"] + hours * 3_600_000,
                              plan["run"]["planned_fen"], plan["run"]["optimum_fen"],
                              plan["total_fen"], plan["bound_fen"])
        run_id = w.commit(sign_transaction(
            w.new_transaction("setoff", "open_run", body, expires_in, status), me))["id"]
    first = w.client.setoff_run(run_id)["next_batch_no"] if run_id else 0
    results: list[dict] = []
    pending: list[tuple[int, str, int]] = []

    def settle() -> None:
        for number, tx_id, cleared_fen in pending:
            try:
                view = w.wait_committed(tx_id)
                results.append({"batch": number, "id": tx_id, "status": view["status"],
                                "height": view.get("height"), "cleared_fen": cleared_fen})
            except LedgerError as e:  # a batch is a circulation: the others stand alone
                results.append({"batch": number, "id": tx_id, "status": "rejected",
                                "error": e.code, "message": e.message, "cleared_fen": 0})
        pending.clear()

    for offset, batch in enumerate(batches):
        number = first + offset
        reductions = tuple(setoff.Reduction(kind, bytes.fromhex(debt), fen)
                           for kind, debt, fen in batch)
        body = setoff.RunBatch(me.address, bytes.fromhex(run_id), number, reductions)
        tx = sign_transaction(w.new_transaction("setoff", "run_batch", body, expires_in,
                                                status), me)
        pending.append((number, w.client.submit(encode(tx))["id"],
                        sum(r.amount_fen for r in reductions)))
        if len(pending) >= window:
            settle()
    settle()
    if run_id is not None and batches:
        w.commit(sign_transaction(w.new_transaction(
            "setoff", "close_run", setoff.CloseRun(me.address, bytes.fromhex(run_id)),
            expires_in, w.client.status()), me))
    run = w.client.setoff_run(run_id) if run_id else None
    result = {"plan": {k: v for k, v in plan.items() if k != "run_batches"}, "run": run,
              "batches": results}

    def show(console: Console) -> None:
        figures = plan["run"]
        if not batches:
            console.print("nothing to run: no loop among members with a mandate")
            return
        console.print(figures_table([
            ("members with a mandate", str(figures["mandated_members"])),
            ("optimum over their debts", yuan(figures["optimum_fen"])),
            ("held back by per-run limits", yuan(figures["held_by_limits_fen"])),
            ("in loops longer than a batch", yuan(figures["deferred_fen"])),
            ("planned in the run", f"{yuan(figures['planned_fen'])} in {len(batches)} "
                                   f"batch{'es' if len(batches) != 1 else ''}"),
            ("cleared on the ledger", yuan(run["cleared_fen"]) if run else "-"),
            ("left to rounds (members without a mandate)", yuan(plan["unmandated_fen"])),
        ]))
        refused = [r for r in results if r["status"] == "rejected"]
        codes = ", ".join(sorted({r["error"] for r in refused}))
        console.print(f"run {run_id}: {len(results) - len(refused)} batches committed"
                      + (f", {len(refused)} refused ({codes})" if refused else ""),
                      soft_wrap=True)

    w.emit(result, show)


def ask_text(r: dict, member: str | None) -> str:
    """What a round asks of one member: what it is cleared of and to, and its consent."""
    ask = next((a for a in r.get("asks", []) if a["member"] == member), None)
    if ask is None:
        return "proposed it" if member == r["agency"] else "-"
    consent = ("consented" if member in r["consented"]
               else "consent awaited" if r["status"] == "open" else "did not consent")
    return (f"owes {yuan(ask['cleared_of_fen'])} less, is owed "
            f"{yuan(ask['cleared_to_fen'])} less; {consent}")


@setoff_group.command("rounds")
@click.option("--member", help="whose rounds (default: yours)")
@click.option("--open", "only_open", is_flag=True, help="only rounds waiting for consents")
@pass_wallet
def setoff_rounds(w: Wallet, member: str | None, only_open: bool) -> None:
    """Set-off rounds concerning you (or --member), and what each asks of you."""
    who = (parse_address(member).hex() if member
           else w.address().hex() if w.key_path or not only_open else None)
    found = w.client.setoff_rounds(member=who, status="open" if only_open else None)

    def table(console: Console) -> None:
        t = Table(fixed("round"), fixed("id"), "status", fixed("consent by"), money("clears"),
                  money("consented"), "asks of " + (addr(who) if who else "-"))
        for r in found["rounds"]:
            t.add_row(r["round_no"], r["id"][:10], r["status"], show_time(r["deadline_ms"]),
                      yuan(r["cleared_fen"]), f"{len(r['consented'])}/{len(r['members'])}",
                      ask_text(r, who))
        console.print(t)
        more(console, found)

    w.emit(found, table)


@setoff_group.command("round")
@click.argument("round_", metavar="ROUND")
@click.option("--member", help="show only what the round asks of this member")
@pass_wallet
def setoff_round(w: Wallet, round_: str, member: str | None) -> None:
    """ROUND's result: cleared, remaining, bound, its legs, and who has yet to consent."""
    r = w.client.setoff_round(round_id(round_).hex(),
                              None if member is None else parse_address(member).hex())

    def show(console: Console) -> None:
        console.print(f"round {r['round_no']} {r['id']}: [bold]{r['status']}[/bold]",
                      soft_wrap=True)
        console.print(f"proposed by {addr(r['agency'])} at {show_time(r['proposed_at_ms'])}; "
                      f"consent by {show_time(r['deadline_ms'])}"
                      + (f"; ended {show_time(r['ended_at_ms'])}" if r["ended_at_ms"] else ""))
        if r["note"]:
            console.print(f"note: {r['note']}", markup=False)
        cleared = {"executed": "cleared", "open": "clears once all consent"}.get(
            r["status"], "would have cleared")
        console.print(figures_table([
            (cleared, yuan(r["cleared_fen"])),
            ("debt in the agency's graph", yuan(r["graph_total_fen"])),
            ("remaining", yuan(r["remaining_fen"])),
            ("bound (net internal debt)", yuan(r["bound_fen"])),
            ("gap to the bound", yuan(r["gap_fen"])),
            ("members", f"{len(r['members'])}, consented {len(r['consented'])}"),
            ("waiting for", ", ".join(addr(m) for m in r["waiting_for"]) or "-"),
        ]))
        legs = Table(fixed("kind"), fixed("debt"), fixed("debtor"), fixed("creditor"),
                     money("cleared"))
        for leg in r["legs"]:
            legs.add_row(leg["kind"], leg["id"][:10], addr(leg["debtor"]),
                         addr(leg["creditor"]), yuan(leg["amount_fen"]))
        console.print(legs)
        asks = Table(fixed("member"), money("cleared of (owed by it)"),
                     money("cleared to (owed to it)"), "consent")
        for a in r["asks"]:
            asks.add_row(addr(a["member"]), yuan(a["cleared_of_fen"]),
                         yuan(a["cleared_to_fen"]),
                         "given" if a["member"] in r["consented"] else "-")
        console.print(asks)

    w.emit(r, show)


@setoff_group.command("consent")
@click.argument("round_", metavar="ROUND")
@tx_options
@pass_wallet
def setoff_consent(w: Wallet, round_: str, out: Path | None, expires_in: int | None) -> None:
    """Consent to ROUND; the last member's consent executes it."""
    body = setoff.Consent(w.address(), round_id(round_))
    w.transact("setoff", "consent", body, out, expires_in)


@setoff_group.command("refuse")
@click.argument("round_", metavar="ROUND")
@click.option("--reason", required=True)
@tx_options
@pass_wallet
def setoff_refuse(w: Wallet, round_: str, reason: str, out: Path | None,
                  expires_in: int | None) -> None:
    """Refuse ROUND: it ends with nothing changed."""
    body = setoff.Refuse(w.address(), round_id(round_), reason)
    w.transact("setoff", "refuse", body, out, expires_in)


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


def payment_text(w: Wallet, tx: Transaction, body: payment.Pay) -> str:
    """What a merchant accepts, decoded from the transaction's bytes."""
    lines = [
        f"Payment {payload_id(tx.payload).hex()} on {tx.payload.chain_id}:",
        f"  payer     {body.payer.hex()}",
        f"  amount    {yuan(body.amount_fen)}",
        f"  order     {body.order_ref}",
        f"  voucher   {body.voucher.hex()}",
    ]
    if body.pledgee is not None:
        lines.append(f"  pledgee   {body.pledgee.hex()} (the bank co-signs; its pledge ends)")
    try:  # the claim behind it, as the node knows it; the check itself is the ledger's
        v = w.client.voucher(body.voucher.hex())
        payer = w.client.member(body.payer.hex())
        debtor = w.client.member(v["debtor"])
        lines[1] += f" ({payer['name']})"
        held = ("held by the payer" if v["holder"] == body.payer.hex()
                else f"held by {v['holder']}, not the payer")
        lines.append(f"  debtor    {debtor['name']}, due by {show_due(v['due_ms'])}")
        lines.append(f"  claim     {yuan(v['amount_fen'])}, {v['status']}, {held}"
                     + (f", {standing(v)}" if standing(v) else ""))
    except LedgerError as e:
        lines.append(f"  (the node did not describe the voucher: {e.code})")
    lines.append(f"  expires at height {tx.payload.expiry_height}")
    return "\n".join(lines)


@main.command("accept")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="accept without asking")
@pass_wallet
def accept_payment(w: Wallet, file: Path, yes: bool) -> None:
    """The merchant accepts the payment draft FILE: shows it, signs it and submits it."""
    tx = w.read_draft(file)
    contract, _, body = resolve(w.registry, tx)
    if (contract.name, tx.payload.operation) != ("payment", "pay"):
        raise LedgerError("wallet.not_a_payment",
                          f"{file} is a {contract.name}.{tx.payload.operation} draft, "
                          "not a merchant payment; use `sign` for other drafts")
    me = w.address()
    if body.merchant != me:
        raise LedgerError("wallet.not_the_merchant",
                          f"the payment is to merchant {body.merchant.hex()}, not to {me.hex()}")
    click.echo(payment_text(w, tx, body), err=True)
    if not yes:
        click.confirm("Accept this payment?", abort=True, err=True)
    signed = sign_transaction(tx, w.key())
    w.write_draft(file, signed)
    have = {s.signer for s in signed.signatures}
    missing = [a.hex() for a in required_signers(w.registry, signed) if a not in have]
    if missing:
        w.emit({"id": payload_id(tx.payload).hex(), "missing_signers": missing},
               lambda c: c.print(f"accepted and signed; not submitted: still to sign "
                                 f"{', '.join(missing)}, then `submit {file}`"))
        return
    w.submit_and_wait(signed, wait=True)


# ------------------------------------------------------------------ queries


def one_of(**filters: str | None) -> tuple[str, str] | None:
    """The one filter given (name, value), None if none; refuses more than one."""
    given = [(k, v) for k, v in filters.items() if v is not None]
    if len(given) > 1:
        raise LedgerError("wallet.one_filter",
                          "give one of " + ", ".join(f"--{k}" for k in filters))
    return given[0] if given else None


def standing(v: dict) -> str:
    marks = []
    if v.get("overdue_since_ms") is not None:
        marks.append("overdue")
    if v.get("extensions_used"):
        marks.append(f"extended ×{v['extensions_used']}")
    if v.get("pledge"):
        marks.append("pledged")
    if v.get("reserved_by"):
        marks.append("reserved")
    if v.get("commitments"):
        marks.append("commitment")
    return ", ".join(marks)


def money(header: str) -> Column:
    return Column(header, justify="right", no_wrap=True)


def fixed(header: str) -> Column:
    return Column(header, no_wrap=True)


def voucher_table(vouchers: list[dict]) -> Table:
    t = Table(fixed("voucher"), fixed("holder"), fixed("debtor"), money("amount"),
              fixed("due by"), "status", "standing")
    for v in vouchers:
        t.add_row(v["id"][:10], addr(v["holder"]), addr(v["debtor"]), yuan(v["amount_fen"]),
                  show_due(v["due_ms"]), v["status"], standing(v))
    return t


def more(console: Console, found: dict) -> None:
    if found.get("next"):
        console.print(f"(more after {found['next']})")


@main.command()
@click.option("--holder", help="holder address (default: yours)")
@click.option("--debtor", help="debtor address")
@click.option("--status", type=click.Choice(sorted(VOUCHER_STATUSES)),
              help="only states in this status (default: every state, history included)")
@pass_wallet
def vouchers(w: Wallet, holder: str | None, debtor: str | None, status: str | None) -> None:
    """Voucher states by holder or by debtor."""
    if holder is None and debtor is None:
        holder = w.address().hex()
    found = w.client.vouchers(holder, debtor, status=status)

    def table(console: Console) -> None:
        console.print(voucher_table(found["vouchers"]))
        more(console, found)

    w.emit(found, table)


@main.command()
@click.option("--holder", help="a holder's address (default: yours)")
@click.option("--debtor", help="a debtor's address")
@pass_wallet
def outstanding(w: Wallet, holder: str | None, debtor: str | None) -> None:
    """What is owed: a holder's live claims, or a debtor's outstanding vouchers."""
    which = one_of(holder=holder, debtor=debtor) or ("holder", w.address().hex())
    who = parse_address(which[1]).hex()
    if which[0] == "holder":
        totals = w.client.holder(who)
        live = w.client.vouchers(holder=who, status="active")
        headline = (f"{short(bytes.fromhex(who))} holds {yuan(totals['held_fen'])} in "
                    f"{totals['live_parts']} live parts")
    else:
        totals = w.client.debtor(who)
        live = w.client.vouchers(debtor=who, status="active")
        headline = (f"{short(bytes.fromhex(who))} owes {yuan(totals['outstanding_fen'])} "
                    f"outstanding of {yuan(totals['issued_fen'])} issued on "
                    f"{totals['vouchers_issued']} vouchers")
    data = {which[0]: who, "totals": totals, **live}

    def table(console: Console) -> None:
        console.print(headline, markup=False)
        console.print(voucher_table(live["vouchers"]))
        more(console, live)

    w.emit(data, table)


def voucher_label(v: dict, bold: bool = False) -> str:
    text = (f"{v['id'][:16]}  {yuan(v['amount_fen'])}  holder {addr(v['holder'])}  "
            f"{v['cause']}  {v['status']}")
    extra = standing(v)
    text += f"  ({extra})" if extra else ""
    return f"[bold]{escape(text)}[/bold]" if bold else escape(text)


@main.command()
@click.argument("voucher")
@pass_wallet
def lineage(w: Wallet, voucher: str) -> None:
    """VOUCHER's ancestors back to its issue, and every part descended from it, as a tree."""
    found = w.client.lineage(voucher_id(voucher).hex())

    def add(parent: Tree, entries: list[dict]) -> None:
        for entry in entries:
            add(parent.add(voucher_label(entry["voucher"])), entry.get("children", []))

    def tree(console: Console) -> None:
        root: Tree | None = None
        node: Tree | None = None
        for v in found["ancestors"]:
            node = Tree(voucher_label(v)) if node is None else node.add(voucher_label(v))
            root = root or node
        here = voucher_label(found["voucher"], bold=True)
        mine = Tree(here) if node is None else node.add(here)
        add(mine, found["descendants"])
        console.print(root or mine)
        if found.get("truncated"):
            console.print("(the tree is longer than the node shows at once)")

    w.emit(found, tree)


def listing_verb(found: dict, key: str, columns: list[str | Column],
                 row: Callable[[dict], list[str]]) -> Callable[[Console], None]:
    def table(console: Console) -> None:
        t = Table(*columns)
        for item in found[key]:
            t.add_row(*row(item))
        console.print(t)
        more(console, found)

    return table


@main.command()
@click.option("--voucher", help="a voucher id")
@click.option("--origin", help="an issued voucher's id: pledges on any of its parts")
@click.option("--bank", help="a bank's address (default: yours)")
@pass_wallet
def pledges(w: Wallet, voucher: str | None, origin: str | None, bank: str | None) -> None:
    """The pledge registry (质押登记) by voucher, by issued voucher or by bank."""
    which = one_of(voucher=voucher, origin=origin, bank=bank) or ("bank", w.address().hex())
    found = w.client.pledges(**{which[0]: hex32(which[1], f"--{which[0]}").hex()})
    w.emit(found, listing_verb(
        found, "pledges",
        ["registration", "pledge", "voucher", "pledgor", "bank", money("secured"),
         Column("loan due", no_wrap=True), "status"],
        lambda p: [p["registration_no"], p["id"][:10], p["voucher"][:10], addr(p["pledgor"]),
                   addr(p["bank"]), yuan(p["secured_fen"]), show_due(p["loan_due_ms"]),
                   p["status"]]))


@main.command()
@click.option("--voucher", help="a voucher id: commitments it carries")
@click.option("--acquirer", help="an acquirer's address (default: yours)")
@pass_wallet
def commitments(w: Wallet, voucher: str | None, acquirer: str | None) -> None:
    """Acquisition commitments by voucher or by acquirer."""
    which = one_of(voucher=voucher, acquirer=acquirer) or ("acquirer", w.address().hex())
    found = w.client.commitments(**{which[0]: hex32(which[1], f"--{which[0]}").hex()})
    w.emit(found, listing_verb(
        found, "commitments",
        ["commitment", "acquirer", "voucher", money("per ¥10,000"),
         Column("lock until", no_wrap=True), Column("expires", no_wrap=True),
         money("bought"), "status"],
        lambda q: [q["id"][:10], addr(q["acquirer"]), q["voucher"][:10],
                   f"¥{q['price_per_10000_fen']:,}", show_due(q["lock_until_ms"]),
                   show_due(q["expires_ms"]), yuan(q["exercised_fen"]), q["status"]]))


@main.command()
@click.option("--debtor", help="a debtor's address (default: yours)")
@pass_wallet
def offers(w: Wallet, debtor: str | None) -> None:
    """A debtor's offers of assets and consumption."""
    found = w.client.offers(debtor=(parse_address(debtor) if debtor else w.address()).hex())
    w.emit(found, listing_verb(
        found, "offers", ["offer", "debtor", "kind", "description", money("price"), "status"],
        lambda o: [o["id"][:10], addr(o["debtor"]), o["kind"], escape(o["description"]),
                   yuan(o["price_fen"]), o["status"]]))


def standing_verb(name: str, doc: str) -> None:
    @click.option("--debtor", help="a debtor's address (default: every debtor)")
    @pass_wallet
    def verb(w: Wallet, debtor: str | None) -> None:
        found = w.client.vouchers(debtor=None if debtor is None else parse_address(debtor).hex(),
                                  status="active", standing=name)

        def table(console: Console) -> None:
            console.print(voucher_table(found["vouchers"]))
            more(console, found)

        w.emit(found, table)

    verb.__doc__ = doc
    main.command(name)(verb)


standing_verb("overdue", "Live vouchers past their due date with no extension left (逾期).")
standing_verb("extended", "Live vouchers whose due date moved by their extension clause (展期).")


@main.command()
@click.argument("debtor")
@pass_wallet
def record(w: Wallet, debtor: str) -> None:
    """A debtor's record: what it issued and owes, confirmation delays, overdue and extended."""
    r = w.client.debtor(parse_address(debtor).hex())

    def show(console: Console) -> None:
        delay = r.get("average_confirmation_delay_ms")
        t = Table("", money(""), show_header=False, box=None)
        t.add_row("vouchers issued", f"{r['vouchers_issued']} ({yuan(r['issued_fen'])})")
        t.add_row("outstanding", yuan(r["outstanding_fen"]))
        t.add_row("redeemed", yuan(r["redeemed_fen"]))
        t.add_row("confirmations in time", str(r["confirmations"]))
        t.add_row("average confirmation delay",
                  "-" if delay is None else f"{delay / issuance.DAY_MS:.2f} days")
        t.add_row("late confirmations (30-day rule)", str(r["late_confirmations"]))
        t.add_row("vouchers extended", str(r["extended_vouchers"]))
        t.add_row("vouchers overdue", str(r["overdue_vouchers"]))
        console.print(t)

    w.emit(r, show)


@main.command()
@click.option("--holder", help="a holder's address (default: yours)")
@click.option("--debtor", help="a debtor's address")
@pass_wallet
def redemptions(w: Wallet, holder: str | None, debtor: str | None) -> None:
    """Redemption requests by holder or by debtor."""
    which = one_of(holder=holder, debtor=debtor) or ("holder", w.address().hex())
    found = w.client.redemptions(**{which[0]: parse_address(which[1]).hex()})
    w.emit(found, listing_verb(
        found, "redemptions",
        ["request", "voucher", "holder", "debtor", "offer", money("price"), money("reduced"),
         "status"],
        lambda r: [r["id"][:10], r["voucher"][:10], addr(r["holder"]), addr(r["debtor"]),
                   r["offer"][:10], yuan(r["price_fen"]), yuan(r["reduced_fen"]),
                   r["status"]]))


def event_line(e: dict) -> str:
    at = datetime.fromtimestamp(e["time_ms"] / 1000, CHINA).strftime("%Y-%m-%d %H:%M:%S")
    return (f"{at}  #{e['height']:<7} {e['kind']:<24} {e['subject']}"
            + (f"  tx {e['tx_id'][:16]}" if e.get("tx_id") else "  (end of block)"))


@main.command()
@click.option("--address", "who", help="whose events (default: yours)")
@click.option("--after", help="a cursor: only events after it")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="events per page")
@click.option("--follow", is_flag=True, help="keep printing new events as blocks commit")
@pass_wallet
def events(w: Wallet, who: str | None, after: str | None, limit: int, follow: bool) -> None:
    """The events addressed to a member: transfers it is party to, pledges, due dates..."""
    address = (parse_address(who) if who else w.address()).hex()
    if not follow:
        found = w.client.events(address, after, limit)

        def lines(console: Console) -> None:
            for e in found["events"]:
                console.print(event_line(e), markup=False, soft_wrap=True)
            if found["next"]:
                console.print(f"(more: events --after {found['next']})")

        w.emit(found, lines)
        return
    cursor = after
    try:
        while True:  # until interrupted: following is what was asked for
            found = w.client.events(address, cursor, limit, wait_ms=25_000)
            for e in found["events"]:
                click.echo(json.dumps(e, ensure_ascii=False) if w.as_json else event_line(e))
                cursor = e["cursor"]
    except KeyboardInterrupt:
        pass


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
                  Column("confirm by (CST)", no_wrap=True), "reason")
        for a in found["applications"]:
            # The reason of a rejection or of the debtor's decline.
            t.add_row(a["id"][:10], short(bytes.fromhex(a["creditor"])),
                      short(bytes.fromhex(a["terms"]["debtor"])),
                      yuan(a["terms"]["amount_fen"]), a["status"],
                      show_time(a["confirm_by_ms"]), escape(a["reason"]))
        console.print(t)

    w.emit(found, table)


@main.command()
@click.argument("member_address")
@pass_wallet
def member(w: Wallet, member_address: str) -> None:
    """A member's name, roles and status."""
    m = w.client.member(parse_address(member_address).hex())
    w.emit(m, lambda c: c.print(f"{m['name']}  roles {', '.join(m['roles'])}  {m['status']}"))


# ------------------------------------------------------------------ documents


@main.group("document")
def document_group() -> None:
    """Confidential documents: sealed to the parties of a transaction, the agency and every
    regulator. The ledger keeps the padded ciphertext and a salted commitment, and names
    a document by an id derived from its owner and that commitment; its label, size and
    hash are seen only by its readers."""


def document_id(text: str) -> bytes:
    return hex32(text, "a document id")


@document_group.command("get")
@click.argument("document")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="where to write the document (mode 0600, an existing file's too)")
@pass_wallet
def document_get(w: Wallet, document: str, out: Path) -> None:
    """Decrypt DOCUMENT (its id, as the transactions resting on it name it) with your key,
    check it against its commitment and write it to --out."""
    digest = document_id(document)
    contents = w.open_document(digest)
    write_private(out, contents.plaintext)
    w.emit({"id": digest.hex(), "label": contents.label, "out": str(out),
            "bytes": len(contents.plaintext),
            "sha256": hashlib.sha256(contents.plaintext).hexdigest()},
           lambda c: c.print(f"{contents.label}: {len(contents.plaintext):,} bytes, "
                             f"commitment checked, written to {out}", markup=False,
                             soft_wrap=True))


@document_group.command("show")
@click.argument("document")
@pass_wallet
def document_show(w: Wallet, document: str) -> None:
    """Who attached DOCUMENT, its parties and readers, whether you are one (with --key),
    and to a reader its label and the sha256 of its contents."""
    digest = document_id(document)
    found = w.client.document(digest.hex(), envelope=False)
    me = w.address().hex() if w.key_path else None
    view = {**found, "you_are_reader": None if me is None else me in found["readers"]}
    if view["you_are_reader"]:
        contents = w.open_document(digest)
        view.update(label=contents.label, bytes=len(contents.plaintext),
                    sha256=hashlib.sha256(contents.plaintext).hexdigest())
        view.pop("envelope", None)

    def show(console: Console) -> None:
        title = escape(view["label"]) if "label" in view else "(sealed)"
        console.print(f"[bold]{title}[/bold] {found['id']}", soft_wrap=True)
        if "sha256" in view:
            console.print(f"{view['bytes']:,} bytes, sha256 {view['sha256']}", soft_wrap=True)
        console.print(f"attached by {found['owner']} at height {found['height']} "
                      f"({show_time(found['attached_at_ms'])}), tx {found['tx_id']}; "
                      f"{found['size']:,} bytes of padded ciphertext", soft_wrap=True)
        t = Table("reader", "party")
        for reader in found["readers"]:
            mark = " (you)" if reader == me else ""
            t.add_row(reader + mark, "yes" if reader in found["parties"] else "")
        console.print(t)
        if me is not None:
            console.print("you are a reader: `document get` decrypts it" if view[
                "you_are_reader"] else "you are not a recipient of this document")

    w.emit(view, show)


@main.group("basis")
def basis_group() -> None:
    """Basis documents: the digest applications and obligations record."""


@basis_group.command("digest")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--creditor", required=True, help="the creditor's address")
@click.option("--debtor", required=True, help="the debtor's address")
@pass_wallet
def basis_digest_command(w: Wallet, file: Path, creditor: str, debtor: str) -> None:
    """The digest of the basis document FILE between CREDITOR and DEBTOR, as either of them
    computes it with its key: compare it with an application's or obligation's
    basis_sha256 before confirming."""
    digest = basis_digest(w, file, None, parse_address(creditor), parse_address(debtor))
    w.emit({"basis_sha256": digest.hex()}, lambda c: c.print(digest.hex()))


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
