"""The wallet a verb works with: your key, the node's client, drafts on disk, and
transactions made, signed, submitted and waited for."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from contracts import documents
from contracts.codec import encode, to_json
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair, MemberSigner
from contracts.ledger import required_signers, resolve, sign_transaction
from contracts.tx import Transaction, decode_transaction, payload_id
from wallet import sdk
from wallet.agent import agent_for
from wallet.client import Client
from wallet.endpoint import node_endpoint
from wallet.envelopes import OwnDocument, open_document, read_document
from wallet.files import write_private
from wallet.i18n import _
from wallet.keys import read_address, read_key_store, read_signing_key
from wallet.proven import VoucherProof
from wallet.review import (
    ANSWERS,
    prove_answer,
    review_and_confirm,
    signed_by,
    verified_keys,
)
from wallet.sentences import show_documents, show_tx
from wallet.tables import SpeakingConsole

DRAFT_FORMAT = "claimledger-draft/1"
COMMIT_WAIT_S = sdk.COMMIT_TIMEOUT_S
WIDE = 160  # columns of human output that goes to a file or pipe

# How long a transaction the wallet makes stays valid, in blocks (at most the ledger's
# MAX_VALIDITY_BLOCKS). One submitted at once commits within a few blocks or not at all,
# so it lives briefly: a copy lost in transit cannot surface hours later. A draft waits
# for its co-signers on other machines: some 3 days of idle blocks (every 5 s), some 80
# minutes under full load (every 100 ms); --expires-in gives a signing round more.
SUBMIT_EXPIRY_BLOCKS = sdk.SUBMIT_EXPIRY_BLOCKS
DRAFT_EXPIRY_BLOCKS = sdk.DRAFT_EXPIRY_BLOCKS


class Wallet:
    def __init__(self, node: str, key_path: Path | None, as_json: bool,
                 network: Path | None = None, ca_file: Path | None = None) -> None:
        self.node, self.network, self.ca_file = node, network, ca_file
        self._client: Client | None = None
        self._ledger: sdk.Client | None = None
        self.key_path = key_path
        self.as_json = as_json
        self.registry = default_registry()
        self._key: KeyPair | None = None
        self._signer: MemberSigner | None = None
        self.wait_s: float = COMMIT_WAIT_S  # how long a submission waits for its commit

    @property
    def client(self) -> Client:
        """The node's client, made at first use: verbs that only sign never resolve it."""
        if self._client is None:
            self._client = Client(endpoint=node_endpoint(self.node, self.network,
                                                         self.ca_file),
                                  signer=self.request_key)
        return self._client

    @property
    def ledger(self) -> sdk.Client:
        """The client library (wallet/sdk.py) over the node's client: what builds,
        submits and waits for transactions and reads the common records. It signs no
        transaction itself here: the wallet's verbs choose their signer."""
        if self._ledger is None:
            self._ledger = sdk.Client(signer=None, http=self.client, registry=self.registry)
        return self._ledger

    def need_key_path(self) -> Path:
        if self.key_path is None:
            raise LedgerError("wallet.no_key", "give --key FILE (or set CLAIMLEDGER_KEY)")
        return self.key_path

    def key(self) -> KeyPair:
        if self._key is None:
            self._key = read_key_store(self.need_key_path())
        return self._key

    def use_key(self, key_path: Path, key: KeyPair) -> None:
        """Go on with `key` from the key store at `key_path` (a member's new key)."""
        self.key_path, self._key, self._signer = key_path, key, None

    def signer(self) -> MemberSigner:
        """What signs your transactions and requests: the agent at $CLAIMLEDGER_AGENT
        when it holds --key's key (wallet/agent.py: no passphrase asked), else the key
        itself, opened with the passphrase. What needs the seed (opening and sealing
        documents) asks `key()`."""
        if self._key is not None:
            return self._key
        if self._signer is None:
            path = self.need_key_path()
            agent, why_not = agent_for(read_signing_key(path), read_address(path))
            if why_not is not None:
                click.echo(_("note: not using the agent: {why_not}; opening {path} instead")
                           .format(why_not=why_not, path=path), err=True)
            self._signer = agent or self.key()
        return self._signer

    def address(self) -> bytes:
        return read_address(self.need_key_path())

    def signed_for(self, tx: Transaction) -> set[bytes]:
        """The addresses whose signatures `tx` carries: each signing key stands for the
        address equal to it, this wallet's key for its member, and a required signer's
        key as the node's member directory names it (a co-signer that rotated its key
        signs with the new one)."""
        keys = verified_keys(tx)  # a drafter's bytes that are no signature count for none
        signed = keys | signed_by(required_signers(self.registry, tx), keys,
                                  self.signing_key_of)
        if self.key_path is not None and self.signer().address in keys:
            signed.add(self.address())
        return signed

    def request_key(self) -> MemberSigner | None:
        """What signs the wallet's requests to the node: your signer, when --key is given."""
        return None if self.key_path is None else self.signer()

    def emit(self, data: Any, human: Callable[[Console], None]) -> None:
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            console = SpeakingConsole()
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
        return sdk.new_transaction(self.registry, status, contract, operation, body,
                                   expires_in)

    def version_in_force(self, status: dict, contract: str) -> int | None:
        """The version of `contract` to sign under: the one the node says is in force for
        the next block (a release that adds a version runs the old one too, until the
        agency's activation height), or this release's latest when the node does not say.
        `wallet.unknown_version` when this release lacks the version in force."""
        return sdk.version_in_force(self.registry, status, contract)

    def transact(self, contract: str, operation: str, body: Any, out: Path | None,
                 expires_in: int | None, attached: list[dict] | None = None,
                 yes: bool = False, proof: VoucherProof | None = None,
                 trust: Path | None = None) -> None:
        """Submit the operation signed by you and wait for its commit, or with `out` write
        an unsigned draft. `attached`: the documents it names (`attach_documents`), shown
        with the result. An answer to another member (review.ANSWERS) is signed after its
        review screen (showing `proof`'s voucher, when given, and the records it answers,
        proven with the light client at `trust`, or beside the key) and a yes (`yes`:
        given)."""
        tx = self.new_transaction(contract, operation, body, expires_in, draft=out is not None)
        if out is not None:
            self.write_draft(out, tx)
            draft = {"draft": str(out), "id": payload_id(tx.payload).hex(),
                     "required_signers": [a.hex() for a in required_signers(self.registry, tx)]}
            if attached:
                draft["documents"] = attached

            def show(c: Console) -> None:
                show_documents(c, attached or [])
                c.print(_("draft written to {out}; each required signer runs "
                          "`claimledger-wallet sign {out}`, then `submit {out}`").format(out=out))

            self.emit(draft, show)
            return
        required = required_signers(self.registry, tx)
        mine = self.signer()
        me = self.address()
        others = [a for a in required if a != me]
        if others or me not in required:
            raise LedgerError(
                "wallet.needs_cosigners",
                "this transaction must be signed by " + ", ".join(a.hex() for a in required)
                + "; draft it with --out FILE, then `sign FILE` with each key and `submit FILE`",
            )
        if (contract, operation) in ANSWERS:
            review_and_confirm(self, tx, yes, proof,
                               proven=prove_answer(self, contract, operation, body, trust))
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
        """Submit a signed transaction and wait for its commit (at most `wait_s`); its
        view. A refusal raises the ledger's error (sdk.Refused); no commit in time
        raises `Pending`."""
        return self.ledger.submit(tx, wait=True, timeout_s=self.wait_s).view

    def wait_committed(self, tx_id: str) -> dict:
        """The view of a submitted transaction once committed; a refusal raises the
        ledger's error, and no commit within `wait_s` (asked at least once) `Pending`
        (wallet.exits: exit status 4), naming the transaction to check later."""
        return self.ledger.wait(tx_id, self.wait_s).view

    def submit_and_wait(self, tx: Transaction, wait: bool,
                        attached: list[dict] | None = None) -> None:
        view = self.commit(tx) if wait else self.ledger.submit(tx, wait=False).view
        if attached:
            view = {**view, "documents": attached}

        def show(c: Console) -> None:
            show_documents(c, attached or [])
            show_tx(c, view)

        self.emit(view, show)

    # -------------------------------------------------------------- documents

    def readers(self, parties: tuple[bytes, ...]) -> tuple[list[bytes], dict[bytes, bytes]]:
        """Whom a document is sealed to: the parties, every active agency and regulator;
        and the key each signs with now, as the member directory shows it (a reader
        whose key changed opens it with its new key)."""
        readers = set(parties)
        keys: dict[bytes, bytes] = {}
        for role in documents.READER_ROLES:
            for m in self.ledger.members(role=role)["members"]:
                address = bytes.fromhex(m["address"])
                readers.add(address)
                keys[address] = bytes.fromhex(m.get("key") or m["address"])
        for party in parties:
            keys.setdefault(party, self.signing_key_of(party))
        return sorted(readers), keys

    def signing_key_of(self, address: bytes) -> bytes:
        """The key `address` signs with now, as the node's member directory says (its
        address when it is no member or the node does not say)."""
        try:
            return bytes.fromhex(self.ledger.member(address.hex()).get("key") or address.hex())
        except LedgerError:
            return address

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
        owner = self.address()  # the member; `me` is the key it signs with now
        assert owner in parties
        parties = tuple(sorted(set(parties)))
        readers: tuple[list[bytes], dict[bytes, bytes]] | None = None
        status = self.client.status()
        out: list[dict] = []
        for index, (path, plaintext) in enumerate(zip(files, contents, strict=True)):
            label = labels[index] if index < len(labels) else path.name[:128]
            salt = documents.derive_salt(me, parties, plaintext)
            document = documents.document_id(
                owner, documents.commitment_of(salt, plaintext))
            found = self.own_document(document)
            if found is not None:
                out.append({"id": document.hex(), "label": found.label, "reused": True,
                            "tx": found.tx_id})
                continue
            readers = readers or self.readers(parties)
            body = documents.attach_body(me, plaintext, label, parties, readers[0], owner,
                                         readers[1])
            assert documents.document_id(owner, body.commitment) == document
            tx = sign_transaction(
                self.new_transaction("document", "attach", body, expires_in, status), me)
            view = self.ledger.submit(tx, wait=False).view
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
            found = self.ledger.document(document.hex())
        except LedgerError as e:
            if e.code == "not_found":
                return None
            raise
        contents = open_document(document, found, self.key(), self.address())
        return OwnDocument(found["tx_id"], contents.label)

    def open_document(self, document: bytes) -> documents.Contents:
        """The contents of `document`, for a reader or a grantee (its grant carries the
        key): `document.not_reader` before megabytes are fetched."""
        me = self.address()
        record = self.ledger.document(document.hex(), envelope=False)
        if me.hex() not in record["readers"] and "grant" not in record:
            raise LedgerError("document.not_reader",
                              f"{me.hex()} is not a recipient of document {document.hex()}: "
                              "it was sealed to its parties, the agency and the regulators, "
                              "and nobody granted you access")
        return open_document(document, self.ledger.document(document.hex()), self.key(),
                             self.address())


pass_wallet = click.make_pass_decorator(Wallet)
