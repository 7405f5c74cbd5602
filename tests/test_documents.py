"""Confidential documents: sealed to exactly the parties, the agency and every regulator,
and shown on the ledger by nothing an outsider could guess them from.

The rules run on the in-memory ledger: who the readers must be, one attachment per id,
an id that is its owner's (nobody can squat it), applications, obligations and
redemption requests resting only on documents sealed to their parties, padded sizes and
the size bounds. What the ledger shows is searched for the plaintext's hash, its size and
its label, and an outsider's guessing attack on an invoice's price is run against it. The
cryptography is checked with members' real keys: a member that is not a reader cannot
open a document, a tampered envelope or a wrong commitment is detected, the regulator
opens every document. A node process then runs the wallet's verbs end to end, from
`apply --document` to `document get`, and the files the wallet writes are 0600.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import nacl.public
import nacl.secret
import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from contracts import documents, issuance, membership, obligations, redemption
from contracts.codec import CodecError, decode, encode, to_json
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import seal
from contracts.ledger import check_transaction
from contracts.tx import MAX_BODY_BYTES, MAX_LARGE_TX_BYTES, MAX_TX_BYTES, Transaction, payload_id
from node.blocks import MAX_BLOCK_TX_BYTES, Block, Header, evidence_root, tx_root
from node.chain import InvalidBlock
from node.config import parse_network
from node.http.app import make_app
from node.http.submit import LARGE_READ_GATE, LARGE_READS
from node.service import Node
from tests.identities import organisation
from tests.memledger import CHAIN, DAY_MS, Ledger
from tests.nodeproc import (
    MEMBER_ROLES,
    PASSPHRASE,
    NodeProcess,
    build_tx,
    commit,
    get,
    make_cluster,
    make_network,
    network_toml,
    now_ms,
    request,
    running,
    wait_committed,
)
from tests.signing import signed_by
from tests.test_wallet_e2e import ok, wallet
from wallet.cli import Wallet, envelope_of, main
from wallet.files import write_private

CONTRACT = "钢材供货合同 HT-2026-0901: 1,200 t rebar, ¥1,250,000.00".encode()
INVOICE = b"VAT invoice 0441-2026-000917: 1,250,000.00 CNY"
DELIVERY = b"delivery note DN-7781: 1,200 t received in full"
LABEL = "basis contract HT-2026-0901"


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def parties_of(ledger: Ledger, *names: str) -> tuple[bytes, ...]:
    return tuple(sorted({ledger.addr(n) for n in names}))


def attach(ledger: Ledger, owner: str, plaintext: bytes, *others: str,
           readers: list[bytes] | None = None, parties: tuple[bytes, ...] | None = None,
           commitment: bytes | None = None, label: str = LABEL) -> Transaction:
    """`owner` attaches `plaintext` as its wallet does, by default for itself and
    `others`, sealed to the readers the rules want; or under another `commitment`."""
    parties = parties_of(ledger, owner, *others) if parties is None else parties
    readers = documents.readers_for(ledger.store, parties) if readers is None else readers
    body = documents.attach_body(ledger.keys[owner], plaintext, label, parties, readers)
    body = replace(body, parties=parties)  # as given, sorted or not
    if commitment is not None:
        body = replace(body, commitment=commitment)
    return ledger.tx("document", "attach", body, owner)


def body_of(tx: Transaction) -> documents.Attach:
    return decode(documents.Attach, tx.payload.body, max_bytes=documents.MAX_BODY_BYTES)


def envelope_in(tx: Transaction) -> documents.Envelope:
    return body_of(tx).envelope


def doc(tx: Transaction) -> bytes:
    """The id of the document an attach transaction attaches."""
    body = body_of(tx)
    return documents.document_id(body.owner, body.commitment)


def opened(tx: Transaction, key: KeyPair,
           envelope: documents.Envelope | None = None) -> documents.Contents:
    body = body_of(tx)
    return documents.open_envelope(envelope or body.envelope, doc(tx), body.owner,
                                   body.commitment, key)


def apply_tx(ledger: Ledger, docs: tuple[bytes, ...], creditor: str = "supplier",
             debtor: str = "core", basis: str = "HT-2026-0901") -> Transaction:
    terms = issuance.Terms(ledger.addr(debtor), 125_000_000, ledger.time_ms + 180 * DAY_MS,
                           True, False, 0, 0, basis, sha(basis.encode()))
    return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr(creditor), terms, docs),
                     creditor)


def submit_tx(ledger: Ledger, docs: tuple[bytes, ...], creditor: str = "supplier",
              debtor: str = "core", basis: str = "INV-0441") -> Transaction:
    body = obligations.Submit(ledger.addr(creditor), ledger.addr(debtor), 50_000,
                              ledger.time_ms + 60 * DAY_MS, basis, sha(basis.encode()), docs)
    return ledger.tx("obligation", "submit", body, creditor)


# ------------------------------------------------------------------ the rules


def test_an_attachment_records_its_parties_and_exactly_its_readers() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "core")
    events = ledger.block(tx)
    found = documents.get_attachment(ledger.store, doc(tx))
    assert found is not None
    readers = parties_of(ledger, "supplier", "core", "agency", "agency2", "regulator")
    assert (found.id, found.owner, found.commitment, found.parties, found.readers) == (
        doc(tx), ledger.addr("supplier"), body_of(tx).commitment,
        parties_of(ledger, "supplier", "core"), readers)
    assert (found.size, found.height, found.tx_id) == (
        4096 + documents.BOX_OVERHEAD, ledger.height, payload_id(tx.payload))
    assert [(e.kind, e.subject, e.parties) for e in events] == [
        ("document.attached", doc(tx), readers)]
    # The state keeps the record; the ciphertext lies only in the block's transaction.
    ciphertext = envelope_in(tx).ciphertext
    assert not any(ciphertext in v or CONTRACT in v for v in ledger.store.items.values())


@pytest.mark.parametrize("change", ["without the regulator", "without an agency",
                                    "without the debtor", "with an outsider"])
def test_readers_must_be_exactly_the_parties_the_agencies_and_the_regulators(
        change: str) -> None:
    ledger = Ledger()
    readers = documents.readers_for(ledger.store, parties_of(ledger, "supplier", "core"))
    name = {"without the regulator": "regulator", "without an agency": "agency2",
            "without the debtor": "core", "with an outsider": "supplier2"}[change]
    if change.startswith("without"):
        readers.remove(ledger.addr(name))
    else:
        readers = sorted([*readers, ledger.addr(name)])
    assert ledger.refused(attach(ledger, "supplier", CONTRACT, "core", readers=readers)) == \
        "document.readers"


def test_sealed_keys_are_sorted_by_reader_each_once() -> None:
    ledger = Ledger()
    body = body_of(attach(ledger, "supplier", CONTRACT, "core"))
    envelope = replace(body.envelope, keys=tuple(reversed(body.envelope.keys)))
    swapped = ledger.tx("document", "attach", replace(body, envelope=envelope), "supplier")
    assert ledger.refused(swapped) == "document.unsorted"


def test_a_suspended_regulator_is_no_longer_sealed_to_and_a_new_one_is() -> None:
    ledger = Ledger()
    before = documents.readers_for(ledger.store, parties_of(ledger, "supplier", "core"))
    ledger.run("membership", "suspend", membership.Suspend(
        ledger.addr("agency"), ledger.addr("regulator"), "mandate ended"), "agency")
    assert ledger.refused(attach(ledger, "supplier", CONTRACT, "core", readers=before)) == \
        "document.readers"
    newcomer = KeyPair.generate()
    ledger.keys["regulator2"] = newcomer
    ledger.run("membership", "admit", membership.Admit(
        ledger.addr("agency"), newcomer.address, "PBoC branch", ("regulator",),
        ledger.identity(), ()),
        "agency", "regulator2")
    tx = attach(ledger, "supplier", CONTRACT, "core")
    ledger.block(tx)
    readers = documents.get_attachment(ledger.store, doc(tx)).readers  # type: ignore
    assert newcomer.address in readers and ledger.addr("regulator") not in readers


def test_a_member_attaches_a_document_once_and_another_member_attaches_its_own() -> None:
    ledger = Ledger()
    first = attach(ledger, "supplier", CONTRACT, "core")
    ledger.block(first)
    again = attach(ledger, "supplier", CONTRACT, "core", label="the same contract again")
    assert doc(again) == doc(first)  # the same file for the same parties: the same id
    assert ledger.refused(again) == "document.exists"
    # The same file attached by another member is another document, under its own id.
    theirs = attach(ledger, "supplier2", CONTRACT, "core")
    ledger.block(theirs)
    assert doc(theirs) != doc(first)
    # The same file for other parties is another document too (sealed to other readers).
    other_parties = attach(ledger, "supplier", CONTRACT, "supplier3")
    ledger.block(other_parties)
    assert doc(other_parties) != doc(first)


def test_attach_under_anothers_commitment_does_not_block_the_owner() -> None:
    # supplier2 copies the commitment of supplier's pending attachment (and its envelope,
    # parties and all) and gets into a block first: it lands under supplier2's own id,
    # and supplier's attachment and the application resting on it go through after it.
    ledger = Ledger()
    owners = attach(ledger, "supplier", CONTRACT, "core")
    squatter = ledger.tx("document", "attach", replace(
        body_of(owners), owner=ledger.addr("supplier2"),
        parties=parties_of(ledger, "supplier", "supplier2", "core"),
        envelope=envelope_in(attach(ledger, "supplier2", b"garbage", "supplier", "core"))),
        "supplier2")
    ledger.block(squatter)
    assert doc(squatter) != doc(owners)
    assert documents.get_attachment(ledger.store, doc(owners)) is None
    ledger.block(owners, apply_tx(ledger, (doc(owners),)))
    found = documents.get_attachment(ledger.store, doc(owners))
    assert found is not None and found.owner == ledger.addr("supplier")
    # Nor can the squatter's attachment stand for the owner's document.
    assert ledger.refused(apply_tx(ledger, (doc(squatter),), basis="HT-OTHER")) == \
        "document.outsider"
    # Whatever id a body would claim, the contract derives it from the signer.
    again = ledger.tx("document", "attach", replace(body_of(squatter)), "supplier2")
    assert ledger.refused(again) == "document.exists"


def test_the_member_attaching_is_one_of_the_sorted_parties() -> None:
    ledger = Ledger()
    others = parties_of(ledger, "core", "supplier2")
    assert ledger.refused(attach(ledger, "supplier", CONTRACT, parties=others)) == \
        "document.not_party"
    backwards = tuple(reversed(parties_of(ledger, "supplier", "core")))
    assert ledger.refused(attach(ledger, "supplier", CONTRACT, parties=backwards)) == \
        "document.unsorted"


def test_an_application_names_only_attached_documents() -> None:
    ledger = Ledger()
    assert ledger.refused(apply_tx(ledger, (sha(b"never attached"),))) == "document.unknown"


def test_every_party_must_be_among_the_documents_parties() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "supplier2")  # not sealed to core
    ledger.block(tx)
    assert ledger.refused(apply_tx(ledger, (doc(tx),))) == "document.not_party"
    assert ledger.refused(submit_tx(ledger, (doc(tx),))) == "document.not_party"


def test_a_document_attached_by_an_outsider_does_not_count() -> None:
    # supplier2 attaches something naming supplier and core among its parties: supplier's
    # application cannot rest on it.
    ledger = Ledger()
    tx = attach(ledger, "supplier2", b"not the contract", "supplier", "core")
    ledger.block(tx)
    assert ledger.refused(apply_tx(ledger, (doc(tx),))) == "document.outsider"


def test_a_transaction_names_each_document_once_and_at_most_eight() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "core")
    ledger.block(tx)
    assert ledger.refused(apply_tx(ledger, (doc(tx), doc(tx)))) == "document.repeated"
    with pytest.raises(CodecError) as e:
        apply_tx(ledger, tuple(sha(bytes([i])) for i in range(9)))
    assert e.value.code == "codec.size"


def test_application_obligation_and_redemption_rest_on_documents_sealed_to_their_parties(
        ) -> None:
    ledger = Ledger()
    # The attachments and the application naming them go in one block, in that order.
    contract = attach(ledger, "supplier", CONTRACT, "core")
    invoice = attach(ledger, "supplier", INVOICE, "core")
    ledger.block(contract, invoice, apply_tx(ledger, (doc(contract), doc(invoice))))
    # The same invoice backs an obligation between the same parties: attached once.
    ledger.block(submit_tx(ledger, (doc(invoice),)))
    voucher = ledger.issue(1_000_000)
    offer = ledger.run("redemption", "publish", redemption.Publish(
        ledger.addr("core"), "consumption", "building materials", 400_000), "core")

    def ask(docs: tuple[bytes, ...]) -> Transaction:
        return ledger.tx("redemption", "request", redemption.Ask(
            ledger.addr("supplier"), voucher, offer, 400_000, None, docs), "supplier")

    delivery = attach(ledger, "supplier", DELIVERY, "supplier2")  # not the debtor's
    ledger.block(delivery)
    assert ledger.refused(ask((doc(delivery),))) == "document.not_party"
    note = attach(ledger, "supplier", b"delivery note DN-7782", "core")
    asked = ask((doc(note),))
    ledger.block(note, asked)
    request = redemption.get_request(ledger.store, payload_id(asked.payload))
    assert request is not None and request.status == "requested"


# ------------------------------------------------------------------ what the ledger shows


def shown(ledger: Ledger, tx: Transaction, events: list) -> tuple[bytes, str]:
    """Everything the ledger and the API show of an attachment to anyone: the transaction's
    bytes as blocks carry them, every state value, the events, and the JSON of the record
    and of the transaction's view (as the HTTP API gives them)."""
    raw = encode(tx) + b"".join(ledger.store.items.values()) + b"".join(map(encode, events))
    found = documents.get_attachment(ledger.store, doc(tx))
    body = to_json(body_of(tx))
    body["envelope"] = {"ciphertext_bytes": len(envelope_in(tx).ciphertext)}
    text = json.dumps([to_json(found), body, to_json(events)], ensure_ascii=False)
    return raw, text


def test_ledger_record_shows_no_plaintext_hash_size_or_label() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "core", label=LABEL)
    events = ledger.block(tx)
    raw, text = shown(ledger, tx, events)
    for secret in (sha(CONTRACT), LABEL.encode(), CONTRACT):
        assert secret not in raw and secret.hex() not in text
    assert LABEL not in text
    # Sizes: every document up to 4 KiB less its framing shows the same size, and larger
    # ones show their power-of-two class, never their own length.
    found = documents.get_attachment(ledger.store, doc(tx))
    assert found is not None and found.size == 4096 + documents.BOX_OVERHEAD
    sizes = {}
    for length in (0, 1, 100, 3000, 4000, 5000, 70_000, 3_000_000):
        tx = attach(ledger, "supplier", os.urandom(length), "core")
        sizes[length] = len(envelope_in(tx).ciphertext) - documents.BOX_OVERHEAD
    assert sizes == {0: 4096, 1: 4096, 100: 4096, 3000: 4096, 4000: 4096, 5000: 8192,
                     70_000: 131_072, 3_000_000: documents.TOP_PADDED_BYTES}
    # The reader sees all of it after decrypting.
    contents = opened(attach(ledger, "supplier", CONTRACT, "core"), ledger.keys["core"])
    assert (contents.label, contents.plaintext) == (LABEL, CONTRACT)


def test_an_unpadded_envelope_is_refused() -> None:
    ledger = Ledger()
    body = body_of(attach(ledger, "supplier", CONTRACT, "core"))
    readers = [k.reader for k in body.envelope.keys]
    unpadded = replace(body.envelope, ciphertext=body.envelope.ciphertext[:-1])
    for envelope in (unpadded, replace(unpadded, keys=tuple(
            documents.SealedKey(r, bytes(documents.SEALED_KEY_BYTES)) for r in readers))):
        tx = ledger.tx("document", "attach", replace(body, envelope=envelope), "supplier")
        assert ledger.refused(tx) == "document.unpadded"


def invoice(price_fen: int) -> bytes:
    """A templated invoice: everything but its price is known to an outsider."""
    return (f"VAT invoice 0441-2026-000917\nseller: Hebei Rebar Co.\nbuyer: Jinan Core "
            f"Works\n1,200 t rebar HRB400\ntotal: {price_fen // 100}.{price_fen % 100:02d} "
            "CNY\n").encode()


def guess_price(raw: bytes, text: str, candidates: range) -> list[int]:
    """The outsider's attack: every candidate price whose invoice's sha256 appears in what
    the ledger shows (in bytes, or in hex in the API's JSON)."""
    windows = {raw[i:i + 32] for i in range(len(raw) - 31)}
    return [p for p in candidates if (h := sha(invoice(p))) in windows or h.hex() in text]


def test_guessing_an_invoice_price_from_the_ledger_fails() -> None:
    price_fen = 125_000_037
    candidates = range(124_990_000, 125_010_000)  # ¥100 either side, to the fen
    ledger = Ledger()
    tx = attach(ledger, "supplier", invoice(price_fen), "core", label="invoice 0441")
    events = ledger.block(tx)
    raw, text = shown(ledger, tx, events)
    assert guess_price(raw, text, candidates) == []
    # Nor does the size tell one candidate from another: all pad to the same class.
    size = documents.get_attachment(ledger.store, doc(tx)).size  # type: ignore[union-attr]
    assert {len(envelope_in(attach(ledger, "supplier", invoice(p), "core",
                                   label="invoice 0441")).ciphertext)
            for p in (candidates[0], price_fen, candidates[-1], 1, 10**12)} == {size}
    # The same attack finds the price at once where the plaintext's sha256 is shown, as
    # the records of document v1 did.
    assert guess_price(raw + sha(invoice(price_fen)), text, candidates) == [price_fen]
    assert guess_price(raw, text + sha(invoice(price_fen)).hex(), candidates) == [price_fen]


def test_basis_digest_is_the_parties_own_and_no_outsider_can_test_a_guess() -> None:
    ledger = Ledger()
    supplier, core = ledger.addr("supplier"), ledger.addr("core")
    price_fen = 125_000_037
    contract = invoice(price_fen)
    by_creditor = documents.basis_digest(ledger.keys["supplier"], supplier, core, contract)
    # The debtor computes the same with its own key, and can check it before confirming.
    assert documents.basis_digest(ledger.keys["core"], supplier, core, contract) == by_creditor
    # An outsider has neither key: with its own it gets something else, and no plain
    # hash of a candidate is what the ledger records.
    with pytest.raises(LedgerError) as e:
        documents.basis_digest(ledger.keys["supplier2"], supplier, core, contract)
    assert e.value.code == "document.not_party"
    outsider = ledger.addr("supplier2")
    assert documents.basis_digest(ledger.keys["supplier2"], outsider, core, contract) != \
        by_creditor
    candidates = range(price_fen - 10_000, price_fen + 10_000)
    assert [p for p in candidates if sha(invoice(p)) == by_creditor] == []
    # Another direction or another pair is another digest.
    assert documents.basis_digest(ledger.keys["supplier"], core, supplier, contract) != \
        by_creditor


def test_a_basis_document_still_backs_one_confirmed_application_of_its_parties() -> None:
    # Against double financing: the same file for the same creditor and debtor is the
    # same digest, whichever of them computed it.
    ledger = Ledger()
    supplier, core = ledger.addr("supplier"), ledger.addr("core")

    def apply_on(key: str, ref: str) -> Transaction:
        terms = issuance.Terms(core, 125_000_000, ledger.time_ms + 180 * DAY_MS, True,
                               False, 0, 0, ref, documents.basis_digest(
                                   ledger.keys[key], supplier, core, CONTRACT))
        return ledger.tx("issuance", "apply", issuance.Apply(supplier, terms), "supplier")

    first = apply_on("supplier", "HT-2026-0901")
    ledger.block(first, ledger.tx("issuance", "confirm", issuance.Confirm(
        core, payload_id(first.payload)), "core"))
    assert ledger.refused(apply_on("supplier", "HT-2026-0901 again")) == \
        "basis.in_use"
    assert ledger.refused(apply_on("core", "HT-2026-0901 as the debtor has it")) == \
        "basis.in_use"


# ------------------------------------------------------------------ sizes


def test_a_document_over_4_mib_is_refused_before_it_is_sealed() -> None:
    with pytest.raises(LedgerError) as e:
        documents.seal(documents.Contents(bytes(32), "scan",
                                          bytes(documents.MAX_DOCUMENT_BYTES + 1)),
                       [KeyPair.generate().address])
    assert e.value.code == "document.too_large"


def test_the_largest_document_is_one_transaction_within_the_larger_bound() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", os.urandom(documents.MAX_DOCUMENT_BYTES), "core")
    raw = encode(tx)
    assert MAX_TX_BYTES < len(raw) <= MAX_LARGE_TX_BYTES
    assert 2 * len(raw) <= MAX_BLOCK_TX_BYTES < 3 * len(raw)  # two of them fill a block
    check_transaction(ledger.registry, CHAIN, raw, ledger.height + 1)
    ledger.block(tx)


def test_an_ordinary_operation_body_stays_within_48_kib() -> None:
    ledger = Ledger()
    tx = apply_tx(ledger, ())
    big = Transaction(replace(tx.payload, body=bytes(MAX_BODY_BYTES + 1)), ())
    with pytest.raises(LedgerError) as e:
        check_transaction(ledger.registry, CHAIN, encode(big), ledger.height + 1)
    assert e.value.code == "tx.body_too_large"


def test_a_block_takes_transactions_up_to_its_byte_budget_in_arrival_order(
        tmp_path: Path) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    chain_id = "documents-block-test"
    node = Node(parse_network(network_toml(chain_id, validator, members, 1, now_ms())),
                tmp_path, validator)
    try:
        supplier, core = members["supplier"], members["core"]
        parties = tuple(sorted((supplier.address, core.address)))
        readers = documents.readers_for(node.store, parties)
        big = [os.urandom(documents.MAX_DOCUMENT_BYTES) for _ in range(3)]
        bodies = [documents.attach_body(supplier, p, f"scan {i}", parties, readers)
                  for i, p in enumerate(big)]
        txs = [build_tx(chain_id, "document", "attach", body, supplier) for body in bodies]
        terms = issuance.Terms(core.address, 100, now_ms() + 90 * DAY_MS, True, False, 0, 0,
                               "HT-B", sha(b"HT-B"))
        txs.append(build_tx(chain_id, "issuance", "apply", issuance.Apply(
            supplier.address, terms, tuple(documents.document_id(b.owner, b.commitment)
                                           for b in bodies)), supplier))
        for tx in txs:
            node.mempool.submit(encode(tx), now_ms())
        # Two documents fill the block; the third and the application resting on all
        # three wait for the next one, in their order.
        first = node.produce(now_ms())
        block = node.store.block(first.height)
        assert block is not None and block.txs == tuple(encode(tx) for tx in txs[:2])
        second = node.produce(now_ms())
        block = node.store.block(second.height)
        assert block is not None and block.txs == tuple(encode(tx) for tx in txs[2:])
        # A block over the budget is invalid, whoever proposes it.
        raws = tuple(encode(tx) for tx in txs[:3])
        head = node.chain.head
        header = Header(chain_id, head.height + 1, head.block_id, head.time_ms + 1,
                        validator.address, tx_root(raws), 3, head.state_root,
                        node.chain.validators_hash_at(head.height + 1),
                        node.chain.validators_hash_at(head.height + 2), evidence_root([]))
        with pytest.raises(InvalidBlock) as e:
            node.chain.validate_block(Block(header, raws))
        assert e.value.code == "block.too_large"
    finally:
        node.close()


async def test_large_uploads_are_received_a_few_at_a_time(tmp_path: Path) -> None:
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    chain_id = "documents-upload-test"
    node = Node(parse_network(network_toml(chain_id, validator, members, 1, now_ms())),
                tmp_path, validator)
    app = make_app(node)
    client = TestClient(TestServer(app), **signed_by(chain_id, members, "supplier"))
    await client.start_server()
    try:
        supplier, core = members["supplier"], members["core"]
        parties = tuple(sorted((supplier.address, core.address)))
        scan = os.urandom(1 << 20)
        large = encode(build_tx(chain_id, "document", "attach", documents.attach_body(
            supplier, scan, "scan", parties, documents.readers_for(node.store, parties)),
            supplier))
        terms = issuance.Terms(core.address, 100, now_ms() + 90 * DAY_MS, True, False, 0, 0,
                               "HT-U", sha(b"HT-U"))
        small = encode(build_tx(chain_id, "issuance", "apply", issuance.Apply(
            supplier.address, terms), supplier))
        raw = {"Content-Type": "application/msgpack"}
        gate = app[LARGE_READ_GATE]
        for _ in range(LARGE_READS):  # as many uploads as are received at once
            await gate.acquire()
        busy = await client.post("/v1/txs", data=large, headers=raw)
        assert busy.status == 503 and busy.headers["Retry-After"] == "1"
        assert (await busy.json())["error"]["code"] == "submit.busy"
        # Ordinary transactions go on meanwhile, and the upload once a reader is free.
        assert (await client.post("/v1/txs", data=small, headers=raw)).status == 202
        gate.release()
        assert (await client.post("/v1/txs", data=large, headers=raw)).status == 202
    finally:
        await client.close()
        node.close()


# ------------------------------------------------------------------ the cryptography


def test_a_member_not_among_the_readers_cannot_open_a_document() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "core")
    envelope = envelope_in(tx)
    with pytest.raises(LedgerError) as e:
        opened(tx, ledger.keys["supplier2"])
    assert e.value.code == "document.not_reader"
    # Naming itself under another reader's sealed key does not help: only that reader's
    # private key opens it.
    core_key = next(k for k in envelope.keys if k.reader == ledger.addr("core"))
    forged = replace(envelope, keys=(*envelope.keys,
                                     documents.SealedKey(ledger.addr("supplier2"),
                                                         core_key.sealed)))
    with pytest.raises(LedgerError) as e:
        opened(tx, ledger.keys["supplier2"], forged)
    assert e.value.code == "document.tampered"


def test_every_reader_opens_the_document_and_its_label() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "core")
    for name in ("supplier", "core", "agency", "agency2", "regulator"):
        contents = opened(tx, ledger.keys[name])
        assert (contents.plaintext, contents.label) == (CONTRACT, LABEL)
        assert documents.commitment_of(contents.salt, CONTRACT) == body_of(tx).commitment


def test_a_tampered_envelope_is_detected() -> None:
    ledger = Ledger()
    tx = attach(ledger, "supplier", CONTRACT, "core")
    envelope = envelope_in(tx)
    flipped = bytearray(envelope.ciphertext)
    flipped[len(flipped) // 2] ^= 1
    for damaged in (
        replace(envelope, ciphertext=bytes(flipped)),
        replace(envelope, keys=tuple(
            replace(k, sealed=bytes([k.sealed[0] ^ 1]) + k.sealed[1:])
            if k.reader == ledger.addr("core") else k for k in envelope.keys)),
    ):
        with pytest.raises(LedgerError) as e:
            opened(tx, ledger.keys["core"], damaged)
        assert e.value.code == "document.tampered"


def test_a_document_that_is_not_the_one_its_commitment_names_is_detected() -> None:
    # The contract cannot read an envelope: an owner may seal other bytes under a
    # commitment. Every reader finds out on opening it.
    ledger = Ledger()
    honest = attach(ledger, "supplier", CONTRACT, "core")
    tx = attach(ledger, "supplier", b"some other contract", "core",
                commitment=body_of(honest).commitment)
    ledger.block(tx)
    for name in ("core", "regulator"):
        with pytest.raises(LedgerError) as e:
            opened(tx, ledger.keys[name])
        assert e.value.code == "document.hash_mismatch"
    # Nor does a record whose id is not its owner's and commitment's pass (a node
    # answering for another document).
    body = body_of(honest)
    with pytest.raises(LedgerError) as e:
        documents.open_envelope(body.envelope, doc(tx), ledger.addr("supplier2"),
                                body.commitment, ledger.keys["core"])
    assert e.value.code == "document.hash_mismatch"


def test_an_envelope_without_padding_is_detected_by_its_readers() -> None:
    ledger = Ledger()
    parties = parties_of(ledger, "supplier", "core")
    readers = documents.readers_for(ledger.store, parties)
    key = os.urandom(documents.KEY_BYTES)
    bare = documents.Envelope(
        bytes(nacl.secret.SecretBox(key).encrypt(bytes(4096))),
        tuple(documents.SealedKey(r, nacl.public.SealedBox(nacl.public.PublicKey(
            documents.x25519_public(r))).encrypt(key)) for r in readers))
    tx = ledger.tx("document", "attach", documents.Attach(
        ledger.addr("supplier"), sha(b"x"), parties, bare), "supplier")
    ledger.block(tx)  # the contract cannot tell: the size is a padded one
    with pytest.raises(LedgerError) as e:
        opened(tx, ledger.keys["core"])
    assert e.value.code == "document.malformed"


def test_the_regulator_opens_every_document() -> None:
    ledger = Ledger()
    attached = {
        CONTRACT: attach(ledger, "supplier", CONTRACT, "core"),
        INVOICE: attach(ledger, "supplier2", INVOICE, "supplier"),
        DELIVERY: attach(ledger, "bank", DELIVERY, "merchant", "acquirer"),
        b"": attach(ledger, "core", b"", "supplier3"),
    }
    ledger.block(*attached.values())
    for plaintext, tx in attached.items():
        found = documents.get_attachment(ledger.store, doc(tx))
        assert found is not None and ledger.addr("regulator") in found.readers
        assert opened(tx, ledger.keys["regulator"]).plaintext == plaintext


# ------------------------------------------------------------------ the files the wallet writes


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that lets everyone read new files, as many shells have."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_files_are_0600_new_or_overwritten(tmp_path: Path, loose_umask: None) -> None:
    new = tmp_path / "new.pdf"
    write_private(new, b"sealed to a few")
    assert (new.read_bytes(), mode(new)) == (b"sealed to a few", 0o600)
    existing = tmp_path / "existing.pdf"
    existing.write_bytes(b"an older, longer file")
    existing.chmod(0o644)
    linked = tmp_path / "hard-link"
    os.link(existing, linked)
    write_private(existing, b"new")
    assert (existing.read_bytes(), mode(existing)) == (b"new", 0o600)
    # A hard link to the old file keeps the old bytes: nothing is written through it.
    assert linked.read_bytes() == b"an older, longer file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.pdf", "hard-link",
                                                          "new.pdf"]
    with pytest.raises(LedgerError) as e:
        write_private(tmp_path / "no such dir" / "x", b"")
    assert e.value.code == "wallet.unwritable"


def test_signed_draft_is_0600(tmp_path: Path, loose_umask: None) -> None:
    ledger = Ledger()
    store = tmp_path / "supplier.json"
    store.write_text(json.dumps(seal(ledger.keys["supplier"], PASSPHRASE, "supplier")))
    store.chmod(0o600)
    tx = ledger.tx("document", "attach", body_of(attach(ledger, "supplier", INVOICE, "core")))
    w = Wallet("http://127.0.0.1:1", store, as_json=True)
    unsigned = tmp_path / "draft.json"
    w.write_draft(unsigned, tx)
    assert mode(unsigned) == 0o600
    # A draft handed over by a path that kept 0644 is 0600 once signed.
    unsigned.chmod(0o644)
    result = CliRunner().invoke(main, ["--node", "http://127.0.0.1:1", "--key", str(store),
                                       "--json", "sign", str(unsigned), "--yes"],
                                env={"CLAIMLEDGER_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert mode(unsigned) == 0o600
    assert w.read_draft(unsigned).signatures[0].signer == ledger.addr("supplier")


# ------------------------------------------------------------------ a node and the wallet


def admit(net, name: str, role: str) -> KeyPair:
    key = KeyPair.generate()
    agency = net.members["agency"]
    commit(net.api, build_tx(net.chain_id, "membership", "admit", membership.Admit(
        agency.address, key.address, name, (role,), organisation(int.from_bytes(
            key.address[:3]), name), ()), agency, key))
    return key


def key_file(tmp_path: Path, name: str, key: KeyPair) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(seal(key, PASSPHRASE, name)))
    return path


def failed(result, code: str) -> str:
    assert result.returncode == 1, result.stdout
    assert f"error: {code}:" in result.stderr and "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.process
def test_documents_through_the_wallet_on_a_node(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    files = tmp_path / "files"
    files.mkdir()
    contract = files / "contract.pdf"
    contract.write_bytes(CONTRACT + os.urandom(20_000))
    invoice_file = files / "invoice.txt"
    invoice_file.write_bytes(INVOICE)
    with running(net):
        api = net.api
        keys = {name: key_file(tmp_path, name, key) for name, key in net.members.items()}
        keys["regulator"] = key_file(tmp_path, "regulator",
                                     admit(net, "Municipal Finance Bureau", "regulator"))
        keys["outsider"] = key_file(tmp_path, "outsider",
                                    admit(net, "Xinhe Cement", "enterprise"))
        core = net.members["core"].address.hex()

        # The creditor applies with two documents: attached first, then named by their ids.
        applied = ok(wallet(api, keys["supplier"], "apply", "--debtor", core,
                            "--amount", "1250000.00", "--due", "2099-06-30", "--asset",
                            "--basis-ref", "HT-2026-0901", "--basis-file", str(contract),
                            "--document", str(contract), "--document-label", "basis contract",
                            "--document", str(invoice_file)))
        assert applied["status"] == "committed"
        ids = [d["id"] for d in applied["documents"]]
        assert [(d["label"], d["reused"]) for d in applied["documents"]] == [
            ("basis contract", False), ("invoice.txt", False)]
        assert applied["body"]["documents"] == ids
        # The basis digest is keyed by the two parties: the debtor's wallet gives the same,
        # and it is not the file's sha256, which anyone could test a guess against.
        basis = applied["body"]["terms"]["basis_sha256"]
        assert basis != sha(contract.read_bytes()).hex()
        assert ok(wallet(api, keys["core"], "basis", "digest", str(contract), "--creditor",
                         net.members["supplier"].address.hex(), "--debtor", core)) == {
            "basis_sha256": basis}

        # The node holds ciphertext only, and shows no hash, size or label of the files.
        reply = get(api, f"/v1/documents/{ids[1]}")
        assert reply.status == 200
        for secret in (INVOICE, INVOICE.hex().encode(), sha(INVOICE).hex().encode(),
                       b"invoice.txt"):
            assert secret not in reply.body
        record = reply.json()
        assert record["id"] == ids[1] and record["size"] == 4096 + documents.BOX_OVERHEAD
        readers = record["readers"]
        assert len(readers) == 4  # supplier, core, the agency, the regulator
        attach_view = get(api, f"/v1/txs/{applied['documents'][0]['tx']}").json()
        assert attach_view["body"]["envelope"]["ciphertext_bytes"] == \
            32768 + documents.BOX_OVERHEAD  # 20 KiB and more: the 32 KiB class
        assert "label" not in attach_view["body"] and "sha256" not in attach_view["body"]
        assert get(api, f"/v1/documents/{'ab' * 32}").status == 404

        # The debtor and the regulator open both, byte for byte, into files 0600: a new
        # one, and one that was there with a looser mode.
        for reader in ("core", "regulator"):
            for document, original in zip(ids, (contract, invoice_file), strict=True):
                out = tmp_path / f"{reader}-{document[:8]}"
                if reader == "regulator":
                    out.write_bytes(b"an older file, readable by all")
                    out.chmod(0o644)
                got = ok(wallet(api, keys[reader], "document", "get", document,
                                "--out", str(out)))
                assert got["bytes"] == original.stat().st_size
                assert got["sha256"] == sha(original.read_bytes()).hex()
                assert out.read_bytes() == original.read_bytes()
                assert out.stat().st_mode & 0o777 == 0o600
        # A reader's `document show` gives the label, the size and the sha256.
        shown_to_core = ok(wallet(api, keys["core"], "document", "show", ids[1]))
        assert (shown_to_core["label"], shown_to_core["bytes"], shown_to_core["sha256"]) == (
            "invoice.txt", len(INVOICE), sha(INVOICE).hex())

        # A member that is no party reads nothing of it: the node refuses the record
        # (the read rules: its parties, the agency and the regulators read a document).
        refused = wallet(api, keys["outsider"], "document", "get", ids[0],
                         "--out", str(tmp_path / "stolen"))
        assert "may not read this document" in failed(refused, "read.forbidden")
        assert not (tmp_path / "stolen").exists()
        shown = wallet(api, keys["outsider"], "document", "show", ids[0])
        assert ids[0] not in failed(shown, "read.forbidden").split("read.forbidden")[1]

        # Over 4 MiB: refused by the wallet before anything is sent (no node listens here).
        too_big = files / "scan.tiff"
        too_big.write_bytes(bytes(documents.MAX_DOCUMENT_BYTES + 1))
        refused = wallet("http://127.0.0.1:1", keys["supplier"], "obligation", "submit",
                         "--debtor", core, "--amount", "500.00", "--due", "2099-01-31",
                         "--basis-ref", "INV-X", "--basis-sha256", "11" * 32,
                         "--document", str(too_big))
        failed(refused, "document.too_large")

        # A 4 MiB document goes through, and the invoice already attached for the same
        # parties is found by its id and reused, with its sealed label.
        largest = files / "scan-4mib.tiff"
        largest.write_bytes(os.urandom(documents.MAX_DOCUMENT_BYTES))
        started = time.monotonic()
        submitted = ok(wallet(api, keys["supplier"], "obligation", "submit", "--debtor", core,
                              "--amount", "500.00", "--due", "2099-01-31", "--basis-ref",
                              "INV-0441", "--basis-file", str(invoice_file),
                              "--document", str(largest), "--document", str(invoice_file),
                              "--document-label", "scan", "--document-label", "relabelled"))
        elapsed_s = time.monotonic() - started
        assert submitted["status"] == "committed"
        assert [(d["reused"], d["label"]) for d in submitted["documents"]] == [
            (False, "scan"), (True, "invoice.txt")]
        assert submitted["documents"][1]["id"] == ids[1]
        out = tmp_path / "core-scan"
        ok(wallet(api, keys["core"], "document", "get", submitted["documents"][0]["id"],
                  "--out", str(out)))
        assert out.read_bytes() == largest.read_bytes()
        print(f"a 4 MiB document sealed, submitted and committed in {elapsed_s:.2f} s")

        # A redemption request with a delivery note, sealed to the holder and the debtor.
        application = applied["id"]
        agency = net.members["agency"]
        commit(api, build_tx(net.chain_id, "issuance", "confirm", issuance.Confirm(
            net.members["core"].address, bytes.fromhex(application)), net.members["core"]))
        approved = commit(api, build_tx(net.chain_id, "issuance", "approve", issuance.Approve(
            agency.address, bytes.fromhex(application)), agency))
        voucher = next(e["subject"] for e in approved["events"] if e["kind"] == "voucher.issued")
        offer = commit(api, build_tx(net.chain_id, "redemption", "publish", redemption.Publish(
            net.members["core"].address, "asset", "flat 3-1201", 100_000_000, "FC-3-1201"),
            net.members["core"]))["id"]
        note = files / "handover.txt"
        note.write_bytes(DELIVERY)
        asked = ok(wallet(api, keys["supplier"], "redeem", voucher, "--offer", offer,
                          "--document", str(note), "--document-label", "handover note"))
        (note_id,) = [d["id"] for d in asked["documents"]]
        assert asked["status"] == "committed" and asked["body"]["documents"] == [note_id]
        record = get(api, f"/v1/documents/{note_id}?envelope=false").json()
        assert "envelope" not in record and "label" not in record
        assert sorted(record["parties"]) == sorted([core, net.members["supplier"].address.hex()])
        assert ok(wallet(api, keys["core"], "document", "show", note_id))["label"] == \
            "handover note"

        # A draft written with --out, whatever the umask, is 0600.
        draft = tmp_path / "draft.json"
        ok(wallet(api, keys["supplier"], "obligation", "submit", "--debtor", core,
                  "--amount", "1.00", "--due", "2099-01-31", "--basis-ref", "INV-D",
                  "--basis-sha256", "22" * 32, "--out", str(draft)))
        assert draft.stat().st_mode & 0o777 == 0o600


@pytest.mark.process
def test_documents_travel_in_proposals_and_block_sync(tmp_path: Path) -> None:
    # Four validators agree on blocks of two of the largest documents each (a proposal
    # frame of some 8.5 MiB); an observer started afterwards fetches them by block sync,
    # each frame within the peer frame limit however many blocks it asked for.
    nets = make_cluster(tmp_path, validators=4, observers=1, timing={"sync_batch_blocks": 8})
    validators, observer = nets[:4], nets[4]
    members = validators[0].members
    supplier, core = members["supplier"], members["core"]
    parties = tuple(sorted((supplier.address, core.address)))
    readers = sorted({*parties, members["agency"].address})
    scans = [os.urandom(documents.MAX_DOCUMENT_BYTES) for _ in range(5)]
    bodies = [documents.attach_body(supplier, scan, f"scan {i}", parties, readers)
              for i, scan in enumerate(scans)]
    txs = [build_tx(observer.chain_id, "document", "attach", body, supplier)
           for body in bodies]
    procs = [NodeProcess(net).start() for net in nets[:4]]
    try:
        for proc in procs:
            proc.wait_ready()
        for tx in txs:
            reply = request(f"{validators[0].api}/v1/txs", "POST", encode(tx),
                            "application/msgpack", timeout=30)
            assert reply.status == 202, reply.body
        views = [wait_committed(validators[0].api, payload_id(tx.payload).hex(), timeout=60)
                 for tx in txs]
        heights = [v["height"] for v in views]
        assert max(heights.count(h) for h in heights) == 2  # two fill a block
        procs.append(NodeProcess(observer).start())
        procs[-1].wait_ready()
        last = max(v["height"] for v in views)
        deadline = time.monotonic() + 60
        while get(observer.api, "/v1/status").json()["height"] < last:
            assert time.monotonic() < deadline, procs[-1].stderr()[-3000:]
            time.sleep(0.2)
        for net in (validators[3], observer):
            last_id = documents.document_id(supplier.address, bodies[4].commitment)
            found = get(net.api, f"/v1/documents/{last_id.hex()}", timeout=30).json()
            assert documents.open_envelope(envelope_of(found), last_id, supplier.address,
                                           bodies[4].commitment, core).plaintext == scans[4]
    finally:
        for proc in procs:
            if proc.alive():
                proc.kill()
