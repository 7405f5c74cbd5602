"""Confidential documents: sealed to exactly the parties, the agency and every regulator.

The rules run on the in-memory ledger: who the readers must be, one attachment per
document, applications, obligations and redemption requests resting only on documents
sealed to their parties, and the size bounds. The cryptography is checked with members'
real keys: a member that is not a reader cannot open a document, a tampered envelope or
a wrong hash is detected, the regulator opens every document. A node process then runs
the wallet's verbs end to end, from `apply --document` to `document get`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts import documents, issuance, membership, obligations, redemption
from contracts.codec import CodecError, decode, encode
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import seal
from contracts.ledger import check_transaction
from contracts.tx import MAX_BODY_BYTES, MAX_LARGE_TX_BYTES, MAX_TX_BYTES, Transaction, payload_id
from node.api import LARGE_READ_GATE, LARGE_READS, make_app
from node.blocks import MAX_BLOCK_TX_BYTES, Block, Header, evidence_root, tx_root
from node.chain import InvalidBlock
from node.config import parse_network
from node.service import Node
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
from tests.test_wallet_e2e import ok, wallet
from wallet.cli import envelope_of

CONTRACT = "钢材供货合同 HT-2026-0901: 1,200 t rebar, ¥1,250,000.00".encode()
INVOICE = b"VAT invoice 0441-2026-000917: 1,250,000.00 CNY"
DELIVERY = b"delivery note DN-7781: 1,200 t received in full"


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def parties_of(ledger: Ledger, *names: str) -> tuple[bytes, ...]:
    return tuple(sorted({ledger.addr(n) for n in names}))


def attach(ledger: Ledger, owner: str, plaintext: bytes, *others: str,
           readers: list[bytes] | None = None, parties: tuple[bytes, ...] | None = None,
           digest: bytes | None = None) -> Transaction:
    """`owner` attaches `plaintext`, by default for itself and `others`, sealed to the
    readers the rules want."""
    parties = parties_of(ledger, owner, *others) if parties is None else parties
    readers = documents.readers_for(ledger.store, parties) if readers is None else readers
    body = documents.Attach(ledger.addr(owner), digest or sha(plaintext), "basis contract",
                            parties, documents.seal(plaintext, readers))
    return ledger.tx("document", "attach", body, owner)


def envelope_in(tx: Transaction) -> documents.Envelope:
    return decode(documents.Attach, tx.payload.body, max_bytes=documents.MAX_BODY_BYTES).envelope


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
    found = documents.get_attachment(ledger.store, sha(CONTRACT))
    assert found is not None
    readers = parties_of(ledger, "supplier", "core", "agency", "agency2", "regulator")
    assert (found.owner, found.parties, found.readers) == (
        ledger.addr("supplier"), parties_of(ledger, "supplier", "core"), readers)
    assert (found.size, found.height, found.tx_id) == (
        len(CONTRACT) + documents.BOX_OVERHEAD, ledger.height, payload_id(tx.payload))
    assert [(e.kind, e.parties) for e in events] == [("document.attached", readers)]
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
    tx = attach(ledger, "supplier", CONTRACT, "core")
    body = decode(documents.Attach, tx.payload.body, max_bytes=documents.MAX_BODY_BYTES)
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
        ledger.addr("agency"), newcomer.address, "PBoC branch", ("regulator",)),
        "agency", "regulator2")
    tx = attach(ledger, "supplier", CONTRACT, "core")
    ledger.block(tx)
    readers = documents.get_attachment(ledger.store, sha(CONTRACT)).readers  # type: ignore
    assert newcomer.address in readers and ledger.addr("regulator") not in readers


def test_a_document_is_attached_once() -> None:
    ledger = Ledger()
    ledger.block(attach(ledger, "supplier", CONTRACT, "core"))
    assert ledger.refused(attach(ledger, "supplier2", CONTRACT, "core")) == "document.exists"


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
    ledger.block(attach(ledger, "supplier", CONTRACT, "supplier2"))  # not sealed to core
    assert ledger.refused(apply_tx(ledger, (sha(CONTRACT),))) == "document.not_party"
    assert ledger.refused(submit_tx(ledger, (sha(CONTRACT),))) == "document.not_party"


def test_a_document_attached_by_an_outsider_does_not_count() -> None:
    # supplier2 attaches something under the hash of supplier's contract, naming supplier
    # and core among its parties: supplier's application cannot rest on it.
    ledger = Ledger()
    ledger.block(attach(ledger, "supplier2", b"not the contract", "supplier", "core",
                        digest=sha(CONTRACT)))
    assert ledger.refused(apply_tx(ledger, (sha(CONTRACT),))) == "document.outsider"


def test_a_transaction_names_each_document_once_and_at_most_eight() -> None:
    ledger = Ledger()
    ledger.block(attach(ledger, "supplier", CONTRACT, "core"))
    assert ledger.refused(apply_tx(ledger, (sha(CONTRACT), sha(CONTRACT)))) == \
        "document.repeated"
    with pytest.raises(CodecError) as e:
        apply_tx(ledger, tuple(sha(bytes([i])) for i in range(9)))
    assert e.value.code == "codec.size"


def test_application_obligation_and_redemption_rest_on_documents_sealed_to_their_parties(
        ) -> None:
    ledger = Ledger()
    # The attachments and the application naming them go in one block, in that order.
    ledger.block(attach(ledger, "supplier", CONTRACT, "core"),
                 attach(ledger, "supplier", INVOICE, "core"),
                 apply_tx(ledger, (sha(CONTRACT), sha(INVOICE))))
    # The same invoice backs an obligation between the same parties: attached once.
    ledger.block(submit_tx(ledger, (sha(INVOICE),)))
    voucher = ledger.issue(1_000_000)
    offer = ledger.run("redemption", "publish", redemption.Publish(
        ledger.addr("core"), "consumption", "building materials", 400_000), "core")

    def ask(docs: tuple[bytes, ...]) -> Transaction:
        return ledger.tx("redemption", "request", redemption.Ask(
            ledger.addr("supplier"), voucher, offer, 400_000, None, docs), "supplier")

    ledger.block(attach(ledger, "supplier", DELIVERY, "supplier2"))  # not the debtor's
    assert ledger.refused(ask((sha(DELIVERY),))) == "document.not_party"
    note = b"delivery note DN-7782"
    asked = ask((sha(note),))
    ledger.block(attach(ledger, "supplier", note, "core"), asked)
    request = redemption.get_request(ledger.store, payload_id(asked.payload))
    assert request is not None and request.status == "requested"


# ------------------------------------------------------------------ sizes


def test_a_document_over_4_mib_is_refused_before_it_is_sealed() -> None:
    with pytest.raises(LedgerError) as e:
        documents.seal(bytes(documents.MAX_DOCUMENT_BYTES + 1), [KeyPair.generate().address])
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
        txs = [build_tx(chain_id, "document", "attach", documents.Attach(
            supplier.address, sha(p), f"scan {i}", parties, documents.seal(p, readers)),
            supplier) for i, p in enumerate(big)]
        terms = issuance.Terms(core.address, 100, now_ms() + 90 * DAY_MS, True, False, 0, 0,
                               "HT-B", sha(b"HT-B"))
        txs.append(build_tx(chain_id, "issuance", "apply", issuance.Apply(
            supplier.address, terms, tuple(sha(p) for p in big)), supplier))
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
                        node.chain.validators_hash, evidence_root([]))
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
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        supplier, core = members["supplier"], members["core"]
        parties = tuple(sorted((supplier.address, core.address)))
        scan = os.urandom(1 << 20)
        envelope = documents.seal(scan, documents.readers_for(node.store, parties))
        large = encode(build_tx(chain_id, "document", "attach", documents.Attach(
            supplier.address, sha(scan), "scan", parties, envelope), supplier))
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
    envelope = envelope_in(attach(ledger, "supplier", CONTRACT, "core"))
    with pytest.raises(LedgerError) as e:
        documents.open_envelope(envelope, sha(CONTRACT), ledger.keys["supplier2"])
    assert e.value.code == "document.not_reader"
    # Naming itself under another reader's sealed key does not help: only that reader's
    # private key opens it.
    core_key = next(k for k in envelope.keys if k.reader == ledger.addr("core"))
    forged = replace(envelope, keys=(*envelope.keys,
                                     documents.SealedKey(ledger.addr("supplier2"),
                                                         core_key.sealed)))
    with pytest.raises(LedgerError) as e:
        documents.open_envelope(forged, sha(CONTRACT), ledger.keys["supplier2"])
    assert e.value.code == "document.tampered"


def test_every_reader_opens_the_document() -> None:
    ledger = Ledger()
    envelope = envelope_in(attach(ledger, "supplier", CONTRACT, "core"))
    for name in ("supplier", "core", "agency", "agency2", "regulator"):
        assert documents.open_envelope(envelope, sha(CONTRACT), ledger.keys[name]) == CONTRACT


def test_a_tampered_envelope_is_detected() -> None:
    ledger = Ledger()
    envelope = envelope_in(attach(ledger, "supplier", CONTRACT, "core"))
    flipped = bytearray(envelope.ciphertext)
    flipped[len(flipped) // 2] ^= 1
    for damaged in (
        replace(envelope, ciphertext=bytes(flipped)),
        replace(envelope, keys=tuple(
            replace(k, sealed=bytes([k.sealed[0] ^ 1]) + k.sealed[1:])
            if k.reader == ledger.addr("core") else k for k in envelope.keys)),
    ):
        with pytest.raises(LedgerError) as e:
            documents.open_envelope(damaged, sha(CONTRACT), ledger.keys["core"])
        assert e.value.code == "document.tampered"


def test_a_document_that_is_not_the_one_its_hash_names_is_detected() -> None:
    # The contract cannot read an envelope: an owner may seal other bytes under a hash.
    # Every reader finds out on opening it.
    ledger = Ledger()
    tx = attach(ledger, "supplier", b"some other contract", "core", digest=sha(CONTRACT))
    ledger.block(tx)
    for name in ("core", "regulator"):
        with pytest.raises(LedgerError) as e:
            documents.open_envelope(envelope_in(tx), sha(CONTRACT), ledger.keys[name])
        assert e.value.code == "document.hash_mismatch"


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
        found = documents.get_attachment(ledger.store, sha(plaintext))
        assert found is not None and ledger.addr("regulator") in found.readers
        assert documents.open_envelope(envelope_in(tx), sha(plaintext),
                                       ledger.keys["regulator"]) == plaintext


# ------------------------------------------------------------------ a node and the wallet


def admit(net, name: str, role: str) -> KeyPair:
    key = KeyPair.generate()
    agency = net.members["agency"]
    commit(net.api, build_tx(net.chain_id, "membership", "admit", membership.Admit(
        agency.address, key.address, name, (role,)), agency, key))
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
    invoice = files / "invoice.txt"
    invoice.write_bytes(INVOICE)
    with running(net):
        api = net.api
        keys = {name: key_file(tmp_path, name, key) for name, key in net.members.items()}
        keys["regulator"] = key_file(tmp_path, "regulator",
                                     admit(net, "Municipal Finance Bureau", "regulator"))
        keys["outsider"] = key_file(tmp_path, "outsider",
                                    admit(net, "Xinhe Cement", "enterprise"))
        core = net.members["core"].address.hex()

        # The creditor applies with two documents: attached first, then named.
        applied = ok(wallet(api, keys["supplier"], "apply", "--debtor", core,
                            "--amount", "1250000.00", "--due", "2099-06-30", "--asset",
                            "--basis-ref", "HT-2026-0901", "--basis-file", str(contract),
                            "--document", str(contract), "--document-label", "basis contract",
                            "--document", str(invoice)))
        assert applied["status"] == "committed"
        digests = [sha(contract.read_bytes()).hex(), sha(INVOICE).hex()]
        assert [(d["sha256"], d["label"], d["reused"]) for d in applied["documents"]] == [
            (digests[0], "basis contract", False), (digests[1], "invoice.txt", False)]
        assert applied["body"]["documents"] == digests

        # The node holds ciphertext only, and says so in the transaction's view.
        reply = get(api, f"/v1/documents/{digests[1]}")
        assert reply.status == 200 and INVOICE not in reply.body
        assert INVOICE.hex().encode() not in reply.body
        readers = reply.json()["readers"]
        assert len(readers) == 4  # supplier, core, the agency, the regulator
        attach_view = get(api, f"/v1/txs/{applied['documents'][0]['tx']}").json()
        assert attach_view["body"]["envelope"]["ciphertext_bytes"] == \
            contract.stat().st_size + documents.BOX_OVERHEAD
        assert get(api, f"/v1/documents/{'ab' * 32}").status == 404

        # The debtor and the regulator open both, byte for byte.
        for reader in ("core", "regulator"):
            for digest, original in zip(digests, (contract, invoice), strict=True):
                out = tmp_path / f"{reader}-{digest[:8]}"
                got = ok(wallet(api, keys[reader], "document", "get", digest,
                                "--out", str(out)))
                assert got["bytes"] == original.stat().st_size
                assert out.read_bytes() == original.read_bytes()
                assert out.stat().st_mode & 0o777 == 0o600

        # A member that is no party is told it is not a recipient.
        refused = wallet(api, keys["outsider"], "document", "get", digests[0],
                         "--out", str(tmp_path / "stolen"))
        assert "not a recipient" in failed(refused, "document.not_reader")
        assert not (tmp_path / "stolen").exists()
        shown = ok(wallet(api, keys["outsider"], "document", "show", digests[0]))
        assert shown["you_are_reader"] is False and shown["readers"] == readers

        # Over 4 MiB: refused by the wallet before anything is sent (no node listens here).
        too_big = files / "scan.tiff"
        too_big.write_bytes(bytes(documents.MAX_DOCUMENT_BYTES + 1))
        refused = wallet("http://127.0.0.1:1", keys["supplier"], "obligation", "submit",
                         "--debtor", core, "--amount", "500.00", "--due", "2099-01-31",
                         "--basis-ref", "INV-X", "--basis-sha256", "11" * 32,
                         "--document", str(too_big))
        failed(refused, "document.too_large")

        # A 4 MiB document goes through, and the invoice already attached is reused.
        largest = files / "scan-4mib.tiff"
        largest.write_bytes(os.urandom(documents.MAX_DOCUMENT_BYTES))
        started = time.monotonic()
        submitted = ok(wallet(api, keys["supplier"], "obligation", "submit", "--debtor", core,
                              "--amount", "500.00", "--due", "2099-01-31", "--basis-ref",
                              "INV-0441", "--basis-file", str(invoice),
                              "--document", str(largest), "--document", str(invoice)))
        elapsed_s = time.monotonic() - started
        assert submitted["status"] == "committed"
        assert [d["reused"] for d in submitted["documents"]] == [False, True]
        out = tmp_path / "core-scan"
        ok(wallet(api, keys["core"], "document", "get", sha(largest.read_bytes()).hex(),
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
            net.members["core"].address, "asset", "flat 3-1201", 100_000_000),
            net.members["core"]))["id"]
        note = files / "handover.txt"
        note.write_bytes(DELIVERY)
        asked = ok(wallet(api, keys["supplier"], "redeem", voucher, "--offer", offer,
                          "--document", str(note), "--document-label", "handover note"))
        assert asked["status"] == "committed" and asked["body"]["documents"] == [
            sha(DELIVERY).hex()]
        record = get(api, f"/v1/documents/{sha(DELIVERY).hex()}?envelope=false").json()
        assert "envelope" not in record and record["label"] == "handover note"
        assert sorted(record["parties"]) == sorted([core, net.members["supplier"].address.hex()])


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
    txs = [build_tx(observer.chain_id, "document", "attach", documents.Attach(
        supplier.address, sha(scan), f"scan {i}", parties, documents.seal(scan, readers)),
        supplier) for i, scan in enumerate(scans)]
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
            found = get(net.api, f"/v1/documents/{sha(scans[4]).hex()}", timeout=30).json()
            envelope = envelope_of(found)
            assert documents.open_envelope(envelope, sha(scans[4]), core) == scans[4]
    finally:
        for proc in procs:
            if proc.alive():
                proc.kill()
