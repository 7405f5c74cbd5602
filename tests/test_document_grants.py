"""Access grants to basis documents (贸易背景真实性, §000-三(四), §002-(十四)): the holder of a
voucher grants a funder, its transferee or an acquirer access to a document the voucher's
issuance application named, with the document key sealed to it; every refusal has its
code, and the cryptography is real: the grantee opens the document with the key granted
to it, a member without a grant cannot, and a grant the ledger cannot check (a key sealed
to nobody) is found out by the grantee."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contracts import documents, issuance, transfer, vouchers
from contracts.access import caller_of, may_read
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.state import Overlay
from contracts.tx import Transaction, payload_id
from tests.memledger import DAY_MS, Ledger
from tests.nodeproc import build_tx, commit, make_network, running
from tests.test_documents import admit, failed, key_file
from tests.test_wallet_e2e import ok, wallet

CONTRACT = "钢材供货合同 HT-2026-0901: 1,200 t rebar, ¥1,250,000.00".encode()
INVOICE = b"VAT invoice 0441-2026-000917: 1,250,000.00 CNY"
LABEL = "basis contract HT-2026-0901"


def attach(ledger: Ledger, plaintext: bytes, owner: str = "supplier",
           other: str = "core") -> tuple[bytes, documents.Attach]:
    """`owner` attaches `plaintext` for itself and `other`; the id and the body."""
    parties = tuple(sorted({ledger.addr(owner), ledger.addr(other)}))
    body = documents.attach_body(ledger.keys[owner], plaintext, LABEL, parties,
                                 documents.readers_for(ledger.store, parties))
    ledger.run("document", "attach", body, owner)
    return documents.document_id(body.owner, body.commitment), body


def issue_with(ledger: Ledger, docs: tuple[bytes, ...], amount_fen: int = 1_000_000,
               creditor: str = "supplier", debtor: str = "core") -> bytes:
    """A voucher issued on an application naming `docs`: apply, confirm, approve."""
    basis = f"HT-{ledger.nonce}"
    terms = issuance.Terms(ledger.addr(debtor), amount_fen, ledger.time_ms + 180 * DAY_MS,
                           True, False, 0, 0, basis, bytes(32))
    apply = ledger.tx("issuance", "apply", issuance.Apply(ledger.addr(creditor), terms, docs),
                      creditor)
    application = payload_id(apply.payload)
    ledger.block(
        apply,
        ledger.tx("issuance", "confirm", issuance.Confirm(ledger.addr(debtor), application),
                  debtor),
        ledger.tx("issuance", "approve", issuance.Approve(ledger.addr("agency"), application),
                  "agency"))
    return vouchers.issued_voucher_id(application)


def key_of(ledger: Ledger, name: str, body: documents.Attach,
           granted: bytes | None = None) -> bytes:
    """The document key as `name`'s wallet unseals it (a reader's, or granted to it)."""
    key = ledger.keys[name]
    return documents.unseal_key(documents.sealed_for(body.envelope, key, granted), key)


def grant_tx(ledger: Ledger, document: bytes, body: documents.Attach, voucher: bytes,
             to: str, granter: str = "supplier", sealed: bytes | None = None,
             granted: bytes | None = None) -> Transaction:
    """`granter` grants `to` access to `document`, sealing the key it holds to `to`."""
    if sealed is None:
        sealed = documents.seal_key(key_of(ledger, granter, body, granted), ledger.addr(to))
    return ledger.tx("document", "grant", documents.GrantAccess(
        ledger.addr(granter), document, voucher, ledger.addr(to), sealed), granter)


def revoke_tx(ledger: Ledger, document: bytes, to: str,
              granter: str = "supplier") -> Transaction:
    return ledger.tx("document", "revoke", documents.RevokeAccess(
        ledger.addr(granter), document, ledger.addr(to)), granter)


def transfer_tx(ledger: Ledger, voucher: bytes, to: str, holder: str) -> Transaction:
    body = transfer.Transfer(ledger.addr(holder), voucher, ledger.addr(to), 1_000_000, None)
    return ledger.tx("transfer", "transfer", body, holder)


def the_grant(ledger: Ledger, document: bytes, to: str) -> documents.Grant:
    found = documents.get_grant(ledger.store, document, ledger.addr(to))
    assert found is not None
    return found


def reads(ledger: Ledger, name: str, attachment: documents.Attachment) -> bool:
    return may_read(ledger.store, caller_of(ledger.store, ledger.addr(name)), "document",
                    attachment)


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.admit("factor", "factor")
    return ledger


@pytest.fixture
def basis(ledger: Ledger) -> tuple[bytes, documents.Attach, bytes]:
    """The basis contract, and the voucher whose application named it."""
    document, body = attach(ledger, CONTRACT)
    return document, body, issue_with(ledger, (document,))


# ------------------------------------------------------------------ granting


def test_the_holder_grants_a_funder_that_then_opens_the_document(ledger: Ledger,
                                                                  basis) -> None:
    document, body, voucher = basis
    attachment = documents.get_attachment(ledger.store, document)
    assert attachment is not None and not reads(ledger, "factor", attachment)
    tx = grant_tx(ledger, document, body, voucher, "factor")
    events = ledger.block(tx)
    assert [(e.kind, e.subject, e.parties) for e in events] == [
        ("document.granted", document,
         tuple(sorted(ledger.addr(n) for n in ("supplier", "core", "factor"))))]
    grant = the_grant(ledger, document, "factor")
    assert (grant.granted_by, grant.voucher, grant.status, grant.height, grant.tx_id,
            grant.granted_at_ms, grant.revoked_at_ms) == (
        ledger.addr("supplier"), voucher, "granted", ledger.height, payload_id(tx.payload),
        ledger.time_ms, None)
    assert documents.grant_count(ledger.store, document) == 1
    assert documents.document_grants(ledger.store, document) == [grant]
    assert documents.grantee_grants_page(ledger.store, ledger.addr("factor"), None, 10) == (
        [grant], None)
    # The read rule lets the grantee read the record and the envelope now, and its key
    # opens the document, checked against the commitment.
    assert reads(ledger, "factor", attachment)
    contents = documents.open_envelope(body.envelope, document, body.owner, body.commitment,
                                       ledger.keys["factor"], grant.sealed)
    assert (contents.label, contents.plaintext) == (LABEL, CONTRACT)
    # Nobody else opens it with the grant's key: it is sealed to the grantee alone.
    with pytest.raises(LedgerError) as refused:
        documents.open_envelope(body.envelope, document, body.owner, body.commitment,
                                ledger.keys["bank"], grant.sealed)
    assert refused.value.code == "document.tampered"


def test_a_grant_passes_down_the_chain_of_holders(ledger: Ledger, basis) -> None:
    """The creditor grants its transferee before passing the voucher on; the transferee,
    holding it, grants the funder it asks for a loan, with the key granted to it."""
    document, body, voucher = basis
    ledger.block(grant_tx(ledger, document, body, voucher, "supplier2"))
    transfer = transfer_tx(ledger, voucher, "supplier2", "supplier")
    ledger.block(transfer)
    held = vouchers.part_id(payload_id(transfer.payload), voucher, 0)
    granted = the_grant(ledger, document, "supplier2").sealed
    ledger.block(grant_tx(ledger, document, body, held, "factor", granter="supplier2",
                          granted=granted))
    grant = the_grant(ledger, document, "factor")
    assert (grant.granted_by, grant.voucher) == (ledger.addr("supplier2"), held)
    contents = documents.open_envelope(body.envelope, document, body.owner, body.commitment,
                                       ledger.keys["factor"], grant.sealed)
    assert contents.plaintext == CONTRACT


def test_a_later_holder_never_granted_access_cannot_grant(ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    transfer = transfer_tx(ledger, voucher, "supplier2", "supplier")
    ledger.block(transfer)
    held = vouchers.part_id(payload_id(transfer.payload), voucher, 0)
    # It holds no key: its wallet cannot unseal one...
    with pytest.raises(LedgerError) as refused:
        key_of(ledger, "supplier2", body)
    assert refused.value.code == "document.not_reader"
    # ...and the ledger refuses a key sealed by anyone else in its name.
    sealed = documents.seal_key(key_of(ledger, "supplier", body), ledger.addr("factor"))
    assert ledger.refused(grant_tx(ledger, document, body, held, "factor",
                                   granter="supplier2", sealed=sealed)) == "document.not_reader"


def test_only_the_holder_of_a_live_voucher_grants(ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    # The debtor is a reader but does not hold the voucher.
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "factor",
                                   granter="core")) == "document.not_holder"
    assert ledger.refused(grant_tx(ledger, document, body, bytes(32), "factor")) == \
        "voucher.unknown"
    # The creditor, having passed the voucher on, holds a consumed state only.
    ledger.block(transfer_tx(ledger, voucher, "supplier2", "supplier"))
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "factor")) == \
        "voucher.consumed"


def test_a_reserved_voucher_is_still_granted_on(ledger: Ledger, basis) -> None:
    """A pending transfer or an open financing request reserves the voucher: those it
    waits for are who need the documents."""
    document, body, voucher = basis
    held = vouchers.get_voucher(ledger.store, voucher)
    assert held is not None
    overlay = Overlay(ledger.store)
    vouchers.reserve(overlay, held, held.amount_fen, b"\x07" * 32, b"\x08" * 32,
                     ledger.time_ms, ledger.height)
    ledger.store.apply(overlay.changes())
    reserved = vouchers.get_voucher(ledger.store, voucher)
    assert reserved is not None and reserved.reserved_by == b"\x07" * 32
    ledger.block(grant_tx(ledger, document, body, voucher, "factor"))
    assert the_grant(ledger, document, "factor").status == "granted"


def test_only_a_basis_document_of_the_voucher_is_granted(ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    # The invoice lies between the same parties, but the application did not name it.
    invoice, invoice_body = attach(ledger, INVOICE)
    assert ledger.refused(grant_tx(ledger, invoice, invoice_body, voucher, "factor")) == \
        "document.not_basis"
    # Nor is a voucher's document granted on another voucher of the same parties.
    other = ledger.issue(500_000)
    assert ledger.refused(grant_tx(ledger, document, body, other, "factor")) == \
        "document.not_basis"
    assert ledger.refused(grant_tx(ledger, b"\x05" * 32, body, voucher, "factor")) == \
        "document.unknown"


def test_the_grantee_is_an_active_member_that_may_hold_and_not_yet_a_reader(
        ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "core")) == \
        "document.already_reader"
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "regulator")) == \
        "membership.cannot_hold"
    ledger.keys["stranger"] = KeyPair.generate()
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "stranger")) == \
        "membership.not_member"


def test_a_member_is_granted_a_document_once(ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    ledger.block(grant_tx(ledger, document, body, voucher, "factor"))
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "factor")) == \
        "document.already_granted"


def test_a_document_has_a_bounded_number_of_grants(ledger: Ledger, basis,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    document, body, voucher = basis
    monkeypatch.setattr(documents, "MAX_GRANTS", 2)
    ledger.block(grant_tx(ledger, document, body, voucher, "factor"),
                 grant_tx(ledger, document, body, voucher, "bank"))
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "bank2")) == \
        "document.too_many_grants"
    # A revoked grant still counts; granting its grantee again takes its record over.
    ledger.block(revoke_tx(ledger, document, "bank"))
    assert ledger.refused(grant_tx(ledger, document, body, voucher, "bank2")) == \
        "document.too_many_grants"
    ledger.block(grant_tx(ledger, document, body, voucher, "bank"))
    assert documents.grant_count(ledger.store, document) == 2
    assert the_grant(ledger, document, "bank").status == "granted"


def test_the_ledger_cannot_check_the_sealed_key_and_the_grantee_finds_out(
        ledger: Ledger, basis) -> None:
    """A key sealed to nobody, or to another member, is accepted: the ledger cannot open
    a sealed box. The grantee's wallet finds it out on opening."""
    document, body, voucher = basis
    wrong = documents.seal_key(key_of(ledger, "supplier", body), ledger.addr("bank"))
    ledger.block(grant_tx(ledger, document, body, voucher, "factor", sealed=wrong))
    grant = the_grant(ledger, document, "factor")
    with pytest.raises(LedgerError) as refused:
        documents.open_envelope(body.envelope, document, body.owner, body.commitment,
                                ledger.keys["factor"], grant.sealed)
    assert refused.value.code == "document.tampered"
    # A key that opens, but another document's: the commitment check finds it.
    _, invoice_body = attach(ledger, INVOICE)
    other = documents.seal_key(key_of(ledger, "supplier", invoice_body), ledger.addr("bank"))
    ledger.block(grant_tx(ledger, document, body, voucher, "bank", sealed=other))
    with pytest.raises(LedgerError) as refused:
        documents.open_envelope(body.envelope, document, body.owner, body.commitment,
                                ledger.keys["bank"], the_grant(ledger, document, "bank").sealed)
    assert refused.value.code == "document.tampered"


# ------------------------------------------------------------------ revoking


def test_the_granter_revokes_and_the_grantee_reads_no_more(ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    ledger.block(grant_tx(ledger, document, body, voucher, "factor"))
    attachment = documents.get_attachment(ledger.store, document)
    assert attachment is not None and reads(ledger, "factor", attachment)
    events = ledger.block(revoke_tx(ledger, document, "factor"))
    assert [(e.kind, e.parties) for e in events] == [
        ("document.revoked", tuple(sorted(ledger.addr(n)
                                          for n in ("supplier", "core", "factor"))))]
    grant = the_grant(ledger, document, "factor")
    assert (grant.status, grant.revoked_at_ms) == ("revoked", ledger.time_ms)
    assert not reads(ledger, "factor", attachment)
    assert documents.live_grant(ledger.store, document, ledger.addr("factor")) is None
    # Revoked grants stay on record for their readers: who was shown what, and when.
    assert documents.grantee_grants_page(ledger.store, ledger.addr("factor"), None, 10,
                                         status="revoked") == ([grant], None)


def test_a_revoked_grantee_can_no_longer_pass_the_document_on(ledger: Ledger,
                                                              basis) -> None:
    document, body, voucher = basis
    ledger.block(grant_tx(ledger, document, body, voucher, "supplier2"))
    granted = the_grant(ledger, document, "supplier2").sealed
    transfer = transfer_tx(ledger, voucher, "supplier2", "supplier")
    ledger.block(transfer, revoke_tx(ledger, document, "supplier2"))
    held = vouchers.part_id(payload_id(transfer.payload), voucher, 0)
    assert ledger.refused(grant_tx(ledger, document, body, held, "factor",
                                   granter="supplier2", granted=granted)) == \
        "document.not_reader"


def test_only_the_granter_revokes_a_grant_in_force(ledger: Ledger, basis) -> None:
    document, body, voucher = basis
    assert ledger.refused(revoke_tx(ledger, document, "factor")) == "document.not_granted"
    ledger.block(grant_tx(ledger, document, body, voucher, "factor"))
    assert ledger.refused(revoke_tx(ledger, document, "factor", granter="core")) == \
        "document.not_granter"
    ledger.block(revoke_tx(ledger, document, "factor"))
    assert ledger.refused(revoke_tx(ledger, document, "factor")) == "document.not_granted"


# ------------------------------------------------------------------ through the wallet


@pytest.mark.process
def test_a_grantee_opens_a_basis_document_through_the_wallet_on_a_node(
        tmp_path: Path) -> None:
    """The supplier grants a factor access to the basis contract of its voucher: before,
    the node refuses the factor the document and its envelope (read.forbidden); after,
    the factor's wallet fetches the envelope with its grant and decrypts the document,
    byte for byte. The supplier revokes: the node refuses the factor again. The member the
    supplier then passes the voucher to, granted access first, grants the factor again."""
    net = make_network(tmp_path / "net")
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(CONTRACT + os.urandom(5_000))
    with running(net):
        api = net.api
        keys = {name: key_file(tmp_path, name, key) for name, key in net.members.items()}
        factor = admit(net, "Qinzhou Commercial Factoring", "factor")
        keys["factor"] = key_file(tmp_path, "factor", factor)
        transferee = admit(net, "Xinhe Cement", "enterprise")  # an outsider, until granted
        keys["outsider"] = key_file(tmp_path, "outsider", transferee)
        core = net.members["core"]
        applied = ok(wallet(api, keys["supplier"], "apply", "--debtor", core.address.hex(),
                            "--amount", "1250000.00", "--due", "2099-06-30", "--asset",
                            "--basis-ref", "HT-2026-0901", "--basis-file", str(contract),
                            "--document", str(contract), "--document-label", "basis contract"))
        (document,) = [d["id"] for d in applied["documents"]]
        application = bytes.fromhex(applied["id"])
        agency = net.members["agency"]
        commit(api, build_tx(net.chain_id, "issuance", "confirm",
                             issuance.Confirm(core.address, application), core))
        approved = commit(api, build_tx(net.chain_id, "issuance", "approve",
                                        issuance.Approve(agency.address, application), agency))
        voucher = next(e["subject"] for e in approved["events"] if e["kind"] == "voucher.issued")

        # No grant: the node refuses the record and its envelope, the wallet writes nothing.
        for name in ("factor", "outsider"):
            refused = wallet(api, keys[name], "document", "get", document,
                             "--out", str(tmp_path / f"{name}-before"))
            failed(refused, "read.forbidden")
            assert not (tmp_path / f"{name}-before").exists()
        assert failed(wallet(api, keys["factor"], "document", "grants", document),
                      "read.forbidden")

        granted = ok(wallet(api, keys["supplier"], "document", "grant", document,
                            "--to", factor.address.hex(), "--voucher", voucher))
        assert granted["status"] == "committed"
        assert [e["kind"] for e in granted["events"]] == ["document.granted"]

        out = tmp_path / "factor-copy.pdf"
        got = ok(wallet(api, keys["factor"], "document", "get", document, "--out", str(out)))
        assert out.read_bytes() == contract.read_bytes()
        assert got["label"] == "basis contract"
        shown = ok(wallet(api, keys["factor"], "document", "show", document))
        assert shown["you_are_reader"] and shown["grant"]["granted_by"] == \
            net.members["supplier"].address.hex()
        # The grant is listed to its granter and to its grantee; not to an outsider, who
        # still reads nothing of the document.
        listed = ok(wallet(api, keys["supplier"], "document", "grants", document))["grants"]
        assert [(g["grantee"], g["voucher"], g["status"]) for g in listed] == [
            (factor.address.hex(), voucher, "granted")]
        assert ok(wallet(api, keys["factor"], "document", "grants"))["grants"] == listed
        failed(wallet(api, keys["outsider"], "document", "get", document,
                      "--out", str(tmp_path / "outsider-after")), "read.forbidden")
        failed(wallet(api, keys["outsider"], "document", "grants", document), "read.forbidden")
        # Only a holder grants, and only its voucher's basis documents.
        failed(wallet(api, keys["core"], "document", "grant", document, "--to",
                      factor.address.hex(), "--voucher", voucher), "document.not_holder")

        revoked = ok(wallet(api, keys["supplier"], "document", "revoke", document,
                            "--to", factor.address.hex()))
        assert revoked["status"] == "committed"
        failed(wallet(api, keys["factor"], "document", "get", document,
                      "--out", str(tmp_path / "factor-after")), "read.forbidden")
        assert ok(wallet(api, keys["factor"], "document", "grants", "--status",
                         "revoked"))["grants"][0]["status"] == "revoked"

        # Down the chain: the supplier grants the member it passes the voucher to; that
        # member, holding it, grants the factor again with the key granted to it.
        supplier = net.members["supplier"]
        ok(wallet(api, keys["supplier"], "document", "grant", document,
                  "--to", transferee.address.hex(), "--voucher", voucher))
        moved = commit(api, build_tx(net.chain_id, "transfer", "transfer", transfer.Transfer(
            supplier.address, bytes.fromhex(voucher), transferee.address, 125_000_000, None),
            supplier))
        held = next(e["subject"] for e in moved["events"] if e["kind"] == "voucher.transferred")
        regranted = ok(wallet(api, keys["outsider"], "document", "grant", document,
                              "--to", factor.address.hex(), "--voucher", held))
        assert regranted["status"] == "committed"
        again = tmp_path / "factor-again.pdf"
        ok(wallet(api, keys["factor"], "document", "get", document, "--out", str(again)))
        assert again.read_bytes() == contract.read_bytes()
