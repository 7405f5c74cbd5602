"""Real-name members and keys that can change (§001-二(二)): a member's record carries its
legal identity, reviewed by the agency; its address stays its identity when its key
changes, and a replaced key signs and reads nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import access, documents, issuance, membership, transfer, vouchers
from contracts.codec import encode
from contracts.contract import default_registry
from contracts.errors import LedgerError, Unauthenticated
from contracts.identity import KeyPair
from contracts.ledger import (
    Genesis,
    GenesisMember,
    check_transaction,
    genesis_state,
    sign_transaction,
)
from contracts.legal_identity import (
    CREDIT_CODE_CHARS,
    complete_credit_code,
    credit_code_check_char,
    credit_code_problem,
    id_reference,
    resident_id_problem,
)
from contracts.membership import Identity, get_member
from contracts.requests import member_of_key
from contracts.tx import payload_id
from node.http.auth import RequestVerifier
from tests.identities import organisation, person, resident_id
from tests.memledger import CHAIN, GENESIS_MS, Ledger
from tests.nodeproc import build_tx, local_node, now_ms, terms
from tests.test_request_auth import Clock, signed, small_app

# ------------------------------------------------------------------ the codes' checks


def test_published_credit_codes_are_valid() -> None:
    for code in ("91350100M000100Y43", "9144030071526726XG"):
        assert credit_code_problem(code) is None, code


def test_the_organisation_code_s_own_check_character_is_checked() -> None:
    # Position 17 altered and the final check character recomputed over it: the code's
    # own check (GB 32100) holds, the organisation code's (GB 11714) does not.
    good = "91350100M000100Y43"
    first17 = good[:16] + ("X" if good[16] != "X" else "0")
    altered = first17 + credit_code_check_char(first17)
    problem = credit_code_problem(altered)
    assert problem is not None and "position 17" in problem


VALID_CODES = st.builds(
    lambda head, region, body: complete_credit_code(head + region + body),
    st.text(CREDIT_CODE_CHARS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CREDIT_CODE_CHARS, min_size=8, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(VALID_CODES, st.integers(0, 17), st.characters(codec="ascii"))
def test_a_valid_credit_code_with_any_one_character_changed_is_refused(
        code: str, position: int, new: str) -> None:
    """GB 32100-2015's check character is a weighted sum modulo 31, a prime, over 31
    characters: every single substitution changes it."""
    assert credit_code_problem(code) is None
    changed = code[:position] + new + code[position + 1:]
    if changed != code:
        assert credit_code_problem(changed) is not None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 999), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_a_resident_id_with_any_one_character_changed_is_refused(
        seed: int, position: int, new: str) -> None:
    number = resident_id(seed)
    assert resident_id_problem(number) is None
    changed = number[:position] + new + number[position + 1:]
    if changed != number:
        assert resident_id_problem(changed) is not None


def test_an_id_reference_hides_the_number_and_needs_its_salt() -> None:
    number = resident_id(7)
    salt = bytes(32)
    reference = id_reference(number, salt)
    assert number.encode() not in reference and len(reference) == 32
    assert reference != id_reference(number, bytes([1]) * 32)
    with pytest.raises(ValueError):
        id_reference(number[:17] + ("0" if number[17] != "0" else "1"), salt)


# ------------------------------------------------------------------ admission


def admit(ledger: Ledger, name: str, identity: Identity, roles=("enterprise",),
          documents: tuple[bytes, ...] = ()) -> str:
    """The code with which the agency's admission of a new key `name` is refused, or
    "ok" once it is admitted."""
    ledger.keys[name] = KeyPair.generate()
    body = membership.Admit(ledger.addr("agency"), ledger.addr(name), name, roles, identity,
                            documents)
    tx = ledger.tx("membership", "admit", body, "agency", name)
    try:
        ledger.block(tx)
    except LedgerError as e:
        ledger.height -= 1
        ledger.time_ms -= 1000
        return e.code
    return "ok"


def test_an_admitted_member_carries_its_identity_and_the_review() -> None:
    ledger = Ledger()
    document = ledger.review_document()
    identity = ledger.identity("Lianhua")
    assert admit(ledger, "lianhua", identity, documents=(document,)) == "ok"
    member = get_member(ledger.store, ledger.addr("lianhua"))
    assert member is not None and member.identity == identity
    assert member.review == membership.Review(ledger.addr("agency"), ledger.time_ms,
                                              ledger.height, (document,), "")
    assert member.key == member.address and member.key_since_height == ledger.height
    assert membership.holder_of_credit_code(ledger.store, identity.credit_code) == \
        ledger.addr("lianhua")


def test_a_natural_person_is_admitted_by_the_reference_of_its_identity_number() -> None:
    ledger = Ledger()
    assert admit(ledger, "zhang", person(3)) == "ok"
    identity = get_member(ledger.store, ledger.addr("zhang")).identity  # type: ignore
    assert identity.person_type == "natural_person" and len(identity.id_reference) == 32
    assert resident_id(3).encode() not in encode(identity)


ORG = organisation(500)
PERSON = person(500)


@pytest.mark.parametrize(("identity", "code"), [
    (replace(ORG, person_type="company"), "membership.bad_person_type"),
    (replace(ORG, person_type=""), "membership.bad_person_type"),
    (replace(ORG, credit_code=ORG.credit_code[:17] + "0"
             if ORG.credit_code[17] != "0" else ORG.credit_code[:17] + "1"),
     "membership.bad_credit_code"),
    (replace(ORG, credit_code=ORG.credit_code.lower()), "membership.bad_credit_code"),
    (replace(ORG, credit_code=""), "membership.bad_credit_code"),
    (replace(PERSON, credit_code=ORG.credit_code), "membership.bad_credit_code"),
    (replace(ORG, id_reference=bytes(32)), "membership.bad_id_reference"),
    (replace(PERSON, id_reference=b""), "membership.bad_id_reference"),
    (replace(PERSON, id_reference=bytes(31)), "membership.bad_id_reference"),
    (replace(ORG, legal_representative=""), "membership.bad_legal_representative"),
    (replace(ORG, legal_representative=" Li "), "membership.bad_legal_representative"),
    (replace(PERSON, legal_representative="Li"), "membership.bad_legal_representative"),
    (replace(ORG, contacts="  "), "membership.bad_contacts"),
    (replace(ORG, contacts="line\nbreak"), "membership.bad_contacts"),
    (replace(ORG, industry="U"), "membership.bad_industry"),
    (replace(ORG, industry="c"), "membership.bad_industry"),
    (replace(ORG, industry=""), "membership.bad_industry"),
    (replace(ORG, region="15080"), "membership.bad_region"),
    (replace(ORG, region="990100"), "membership.bad_region"),
    (replace(ORG, region="15080a"), "membership.bad_region"),
])
def test_each_malformed_identity_field_is_refused_with_its_code(identity: Identity,
                                                                 code: str) -> None:
    assert admit(Ledger(), "newcomer", identity) == code


def test_the_review_documents_must_be_sorted_once_each_and_attached() -> None:
    ledger = Ledger()
    document = ledger.review_document()
    assert admit(ledger, "a", ledger.identity(), documents=(document, document)) == \
        "membership.bad_documents"
    assert admit(ledger, "b", ledger.identity(), documents=(bytes(32),)) == \
        "membership.unknown_document"


def test_an_organisation_is_a_member_once() -> None:
    ledger = Ledger()
    identity = ledger.identity()
    assert admit(ledger, "first", identity) == "ok"
    assert admit(ledger, "second", identity) == "membership.credit_code_taken"


def test_a_new_member_s_address_may_not_be_another_member_s_key_current_or_past() -> None:
    ledger = Ledger()
    old = ledger.keys["supplier"]
    new = KeyPair.generate()
    rotate(ledger, "supplier", new)

    def admit_key(key: KeyPair):
        body = membership.Admit(ledger.addr("agency"), key.address, "reuser", ("enterprise",),
                                ledger.identity(), ())
        return sign_with(ledger, "membership", "admit", body, ledger.keys["agency"], key)

    # The supplier's current key: the newcomer's signature is the key's, so it passes the
    # signature check, and the key is taken.
    assert ledger.refused(admit_key(new)) == "membership.key_taken"
    # Its first key is its address, which signs with its new key now: the old key's
    # signature is refused before the operation runs.
    assert ledger.refused(admit_key(old)) == "membership.key_rotated"
    # A former key that is not an address: the bank's, after the bank rotated twice.
    bank_first, bank_second = ledger.keys["bank"], KeyPair.generate()
    rotate(ledger, "bank", bank_second)
    rotate(ledger, "bank", KeyPair.generate())
    assert ledger.refused(admit_key(bank_second)) == "membership.key_taken"
    assert ledger.refused(admit_key(bank_first)) == "membership.key_rotated"


# ------------------------------------------------------------------ genesis


def test_genesis_members_carry_checked_identities() -> None:
    registry = default_registry()
    agency = KeyPair.generate().address
    good = (GenesisMember(agency, "agency", ("agency",), organisation(1)),)
    changes = dict(genesis_state(registry, Genesis(CHAIN, GENESIS_MS, good)))
    assert changes[membership.member_key(agency)] is not None
    twice = (*good, GenesisMember(KeyPair.generate().address, "b", ("bank",), organisation(1)))
    with pytest.raises(LedgerError) as e:
        genesis_state(registry, Genesis(CHAIN, GENESIS_MS, twice))
    assert e.value.code == "genesis.credit_code_twice"
    bad = (GenesisMember(agency, "agency", ("agency",), replace(organisation(1), region="0")),)
    with pytest.raises(LedgerError) as e:
        genesis_state(registry, Genesis(CHAIN, GENESIS_MS, bad))
    assert e.value.code == "membership.bad_region"


# ------------------------------------------------------------------ amendment


def amend_body(ledger: Ledger, name: str, roles: tuple[str, ...], **changes) -> membership.Amend:
    member = get_member(ledger.store, ledger.addr(name))
    assert member is not None and member.identity is not None
    return membership.Amend(ledger.addr("agency"), ledger.addr(name), changes.pop("new_name",
                            member.name), roles, replace(member.identity, **changes),
                            (ledger.review_document(),), "licence renewed")


def test_the_agency_amends_names_roles_and_identity_on_a_review() -> None:
    ledger = Ledger()
    body = amend_body(ledger, "supplier", ("enterprise", "merchant"), new_name="Mingda Steel Co.",
                      contacts="+86 478 111 2222")
    events = ledger.block(ledger.tx("membership", "amend", body, "agency"))
    member = get_member(ledger.store, ledger.addr("supplier"))
    assert member is not None and member.name == "Mingda Steel Co."
    assert member.roles == ("enterprise", "merchant")
    assert member.identity.contacts == "+86 478 111 2222"  # type: ignore[union-attr]
    assert member.review.reason == "licence renewed"  # type: ignore[union-attr]
    assert ledger.addr("supplier") in membership.active_with_role(ledger.store, "merchant")
    assert [e.kind for e in events if e.kind.startswith("member.")] == ["member.amended"]
    # A role taken away leaves the index too.
    ledger.block(ledger.tx("membership", "amend", amend_body(ledger, "supplier",
                                                              ("enterprise",)), "agency"))
    assert ledger.addr("supplier") not in membership.active_with_role(ledger.store, "merchant")


def test_amendment_refusals() -> None:
    ledger = Ledger()
    body = amend_body(ledger, "supplier", ("enterprise",))
    assert ledger.refused(ledger.tx("membership", "amend", replace(
        body, agency=ledger.addr("bank")), "bank")) == "membership.missing_role"
    assert ledger.refused(ledger.tx("membership", "amend", replace(
        body, member=bytes(32)), "agency")) == "membership.not_member"
    assert ledger.refused(ledger.tx("membership", "amend", replace(
        body, roles=("merchant", "enterprise")), "agency")) == "membership.bad_roles"
    taken = get_member(ledger.store, ledger.addr("core")).identity.credit_code  # type: ignore
    assert ledger.refused(ledger.tx("membership", "amend", replace(
        body, identity=replace(body.identity, credit_code=taken)), "agency")) == \
        "membership.credit_code_taken"
    assert ledger.refused(ledger.tx("membership", "amend", replace(
        body, identity=replace(body.identity, industry="Z")), "agency")) == \
        "membership.bad_industry"
    # The last active agency keeps its role: agency2 is suspended first.
    ledger.run("membership", "suspend", membership.Suspend(
        ledger.addr("agency"), ledger.addr("agency2"), "merger"), "agency")
    assert ledger.refused(ledger.tx("membership", "amend", amend_body(
        ledger, "agency", ("enterprise",)), "agency")) == "membership.last_agency"


# ------------------------------------------------------------------ keys


def sign_with(ledger: Ledger, contract: str, operation: str, body, *keys: KeyPair):
    """A transaction of `body` signed by `keys` (whatever they are)."""
    tx = ledger.tx(contract, operation, body)
    return sign_with_tx(tx, *keys)


def sign_with_tx(tx, *keys: KeyPair):
    for key in keys:
        tx = sign_transaction(tx, key)
    return tx


def rotate(ledger: Ledger, name: str, new: KeyPair) -> list:
    """`name` rotates to `new`, signed by its current key and `new`; the events."""
    body = membership.RotateKey(ledger.addr(name), new.address)
    events = ledger.block(sign_with(ledger, "membership", "rotate_key", body,
                                    ledger.keys[name], new))
    ledger.use_key(name, new)
    return events


def transfer_tx(ledger: Ledger, voucher: bytes, amount: int, holder: str, to: str):
    body = transfer.Transfer(ledger.addr(holder), voucher, ledger.addr(to), amount, None, "T-1")
    return ledger.tx("transfer", "transfer", body, holder, to)


def test_a_rotated_key_is_refused_and_the_member_keeps_its_vouchers() -> None:
    ledger = Ledger()
    voucher = ledger.issue(1_000_000, creditor="supplier")
    old = ledger.keys["supplier"]
    address = ledger.addr("supplier")
    # Signed with the old key before the rotation, waiting (as in a mempool) meanwhile.
    waiting = transfer_tx(ledger, voucher, 1000, "supplier", "supplier2")
    check_transaction(ledger.registry, CHAIN, encode(waiting), ledger.height + 1)
    new = KeyPair.generate()
    events = rotate(ledger, "supplier", new)
    rotated_at = ledger.height
    assert [(e.kind, e.parties) for e in events if e.kind.startswith("member.")] == \
        [("member.key_rotated", (address,))]
    member = get_member(ledger.store, address)
    assert member is not None and member.key == new.address
    assert member.key_since_height == rotated_at
    assert membership.signing_key(ledger.store, address) == new.address
    # The stateless check still passes (the signature verifies under its key); the block
    # refuses it, naming the height the key was replaced.
    check_transaction(ledger.registry, CHAIN, encode(waiting), ledger.height + 1)
    with pytest.raises(LedgerError) as e:
        ledger.block(waiting)
    assert e.value.code == "membership.key_rotated"
    assert f"height {rotated_at}" in e.value.message
    ledger.height -= 1
    ledger.time_ms -= 1000
    ledger.keys["old"] = old
    again = ledger.tx("transfer", "transfer", transfer.Transfer(
        address, voucher, ledger.addr("supplier2"), 1000, None, "T-1"), "old", "supplier2")
    assert ledger.refused(again) == "membership.key_rotated"
    # The address holds the vouchers; the new key moves them.
    assert vouchers.live_ids_by_holder(ledger.store, address) == [voucher]
    ledger.block(transfer_tx(ledger, voucher, 250_000, "supplier", "supplier2"))
    assert vouchers.get_holder_totals(ledger.store, address).held_fen == 750_000
    assert vouchers.get_holder_totals(ledger.store, ledger.addr("supplier2")).held_fen == \
        250_000


def test_rotation_refusals() -> None:
    ledger = Ledger()
    new = KeyPair.generate()
    address = ledger.addr("supplier")
    body = membership.RotateKey(address, new.address)
    # The new key must co-sign: proof its holder has it.
    assert refusal(ledger, sign_with(ledger, "membership", "rotate_key", body,
                                     ledger.keys["supplier"])) == "tx.missing_signature"
    # Someone holding only the new key cannot take the member's identity.
    stranger = KeyPair.generate()
    assert refusal(ledger, sign_with(ledger, "membership", "rotate_key", body, new,
                                     stranger)) == "tx.unexpected_signature"
    same = membership.RotateKey(address, address)
    assert refusal(ledger, sign_with(ledger, "membership", "rotate_key", same,
                                     ledger.keys["supplier"])) == "membership.same_key"
    # Another member's key (its address) is not for the taking.
    taken = membership.RotateKey(address, ledger.addr("core"))
    assert refusal(ledger, sign_with(ledger, "membership", "rotate_key", taken,
                                     ledger.keys["supplier"], ledger.keys["core"])) == \
        "membership.key_taken"
    # A suspended member signs nothing, its rotation included.
    ledger.run("membership", "suspend", membership.Suspend(
        ledger.addr("agency"), address, "review"), "agency")
    assert refusal(ledger, sign_with(ledger, "membership", "rotate_key", body,
                                     ledger.keys["supplier"], new)) == "membership.suspended"


def refusal(ledger: Ledger, tx) -> str:
    """The code `tx` is refused with, on arrival or in a block."""
    try:
        check_transaction(ledger.registry, CHAIN, encode(tx), ledger.height + 1)
    except LedgerError as e:
        return e.code
    return ledger.refused(tx)


def test_a_member_may_not_rotate_back_to_a_key_it_had() -> None:
    ledger = Ledger()
    first, second = ledger.keys["supplier"], KeyPair.generate()
    rotate(ledger, "supplier", second)
    rotate(ledger, "supplier", KeyPair.generate())
    body = membership.RotateKey(ledger.addr("supplier"), second.address)
    assert ledger.refused(sign_with(ledger, "membership", "rotate_key", body,
                                    ledger.keys["supplier"], second)) == "membership.key_taken"
    # Its first key is its address: one signer named twice, so one signature is too many.
    body = membership.RotateKey(ledger.addr("supplier"), first.address)
    assert refusal(ledger, sign_with(ledger, "membership", "rotate_key", body,
                                     ledger.keys["supplier"], first)) == \
        "tx.unexpected_signature"


def recover_body(ledger: Ledger, name: str, new: KeyPair,
                 documents: tuple[bytes, ...] | None = None) -> membership.RecoverKey:
    docs = (ledger.review_document(),) if documents is None else documents
    return membership.RecoverKey(ledger.addr("agency"), ledger.addr(name), new.address, docs,
                                 "key store lost with a laptop; request reviewed on site")


def test_the_agency_recovers_a_lost_key_on_a_reviewed_request() -> None:
    ledger = Ledger()
    voucher = ledger.issue(1_000_000, creditor="supplier")
    lost = ledger.keys["supplier"]
    address = ledger.addr("supplier")
    new = KeyPair.generate()
    body = recover_body(ledger, "supplier", new)
    events = ledger.block(sign_with(ledger, "membership", "recover_key", body,
                                    ledger.keys["agency"], new))
    assert [(e.kind, e.parties) for e in events if e.kind.startswith("member.")] == \
        [("member.key_recovered", tuple(sorted((address, ledger.addr("agency")))))]
    member = get_member(ledger.store, address)
    assert member is not None and member.key == new.address
    assert member.review.documents == body.documents  # type: ignore[union-attr]
    assert member.review.reason == body.reason  # type: ignore[union-attr]
    ledger.keys["lost"] = lost
    stolen = ledger.tx("transfer", "transfer", transfer.Transfer(
        address, voucher, ledger.addr("supplier2"), 1000, None, "T-1"), "lost", "supplier2")
    assert ledger.refused(stolen) == "membership.key_rotated"
    ledger.use_key("supplier", new)
    ledger.block(transfer_tx(ledger, voucher, 1000, "supplier", "supplier2"))


def test_recovery_refusals() -> None:
    ledger = Ledger()
    new = KeyPair.generate()
    assert ledger.refused(sign_with(ledger, "membership", "recover_key", recover_body(
        ledger, "supplier", new, documents=()), ledger.keys["agency"], new)) == \
        "membership.bad_documents"
    bank_body = replace(recover_body(ledger, "supplier", new), agency=ledger.addr("bank"))
    assert ledger.refused(sign_with(ledger, "membership", "recover_key", bank_body,
                                    ledger.keys["bank"], new)) == "membership.missing_role"
    assert refusal(ledger, sign_with(ledger, "membership", "recover_key", recover_body(
        ledger, "supplier", new), ledger.keys["agency"])) == "tx.missing_signature"
    assert ledger.refused(sign_with(ledger, "membership", "recover_key", replace(
        recover_body(ledger, "supplier", new), new_key=ledger.addr("core")),
        ledger.keys["agency"], ledger.keys["core"])) == "membership.key_taken"
    assert ledger.refused(sign_with(ledger, "membership", "recover_key", replace(
        recover_body(ledger, "supplier", new), member=bytes(32)),
        ledger.keys["agency"], new)) == "membership.not_member"


# ------------------------------------------------------------------ reads


def test_other_members_read_the_directory_without_personal_data() -> None:
    ledger = Ledger()
    member = get_member(ledger.store, ledger.addr("supplier"))
    assert member is not None
    for who, private in (("supplier", True), ("agency", True), ("regulator", True),
                         ("core", False), ("bank", False)):
        caller = access.caller_of(ledger.store, ledger.addr(who))
        assert access.may_read(ledger.store, caller, "member", member)
        assert access.may_read(ledger.store, caller, "member_private", member) is private, who
    entry = membership.directory_entry(member)
    assert entry.identity is not None and member.identity is not None
    assert (entry.identity.contacts, entry.identity.legal_representative,
            entry.identity.id_reference) == ("", "", b"")
    assert entry.identity.credit_code == member.identity.credit_code
    assert entry.name == member.name and entry.key == member.key


def test_a_transaction_signed_before_a_rotation_is_still_its_signer_s_to_read() -> None:
    ledger = Ledger()
    voucher = ledger.issue(1_000_000, creditor="supplier")
    tx = transfer_tx(ledger, voucher, 1000, "supplier", "supplier2")
    events = ledger.block(tx)
    rotate(ledger, "supplier", KeyPair.generate())
    caller = access.caller_of(ledger.store, ledger.addr("supplier"))
    assert access.may_read(ledger.store, caller, "transaction",
                           access.TxWithEvents(tx, tuple(events)))
    assert payload_id(tx.payload)


# ------------------------------------------------------------------ signed requests


def test_a_request_key_resolves_to_its_member_and_a_former_key_is_refused() -> None:
    ledger = Ledger()
    old = ledger.keys["supplier"]
    address = ledger.addr("supplier")
    assert member_of_key(ledger.store, old.address) == address
    new = KeyPair.generate()
    rotate(ledger, "supplier", new)
    assert member_of_key(ledger.store, new.address) == address
    with pytest.raises(Unauthenticated) as e:
        member_of_key(ledger.store, old.address)
    assert e.value.code == "auth.key_rotated"
    stranger = KeyPair.generate().address
    assert member_of_key(ledger.store, stranger) == stranger


async def test_a_signed_request_with_a_rotated_key_is_refused_and_the_new_key_reads() -> None:
    ledger = Ledger()
    old = ledger.keys["supplier"]
    new = KeyPair.generate()
    rotate(ledger, "supplier", new)
    verifier = RequestVerifier("claimledger-test", clock_ms=Clock(),
                               member_of_key=lambda key: member_of_key(ledger.store, key))
    async with TestClient(TestServer(small_app(verifier), host="127.0.0.1")) as client:
        response = await client.get("/v1/vouchers", headers=signed("GET", "/v1/vouchers",
                                                                   key=new))
        assert response.status == 200
        assert (await response.json())["caller"] == ledger.addr("supplier").hex()
        response = await client.get("/v1/vouchers", headers=signed("GET", "/v1/vouchers",
                                                                   key=old))
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "auth.key_rotated"


# ------------------------------------------------------------------ documents


def test_a_document_sealed_after_a_rotation_opens_with_the_new_key_only() -> None:
    ledger = Ledger()
    old = ledger.keys["supplier"]
    new = KeyPair.generate()
    rotate(ledger, "supplier", new)
    address = ledger.addr("supplier")
    parties = (address, ledger.addr("core"))
    readers = documents.readers_for(ledger.store, parties)
    keys = {r: membership.signing_key(ledger.store, r) for r in readers}
    body = documents.attach_body(new, b"delivery note 7", "DN-7", parties, readers, address,
                                 keys)
    ledger.block(ledger.tx("document", "attach", body, "supplier"))
    document = documents.document_id(address, body.commitment)
    contents = documents.open_envelope(body.envelope, document, address, body.commitment, new,
                                       reader=address)
    assert contents.plaintext == b"delivery note 7"
    with pytest.raises(LedgerError):
        documents.open_envelope(body.envelope, document, address, body.commitment, old,
                                reader=address)


# ------------------------------------------------------------------ a node's mempool


def test_a_node_s_mempool_refuses_a_replaced_key_and_takes_the_new_one(tmp_path) -> None:
    chain = "identity-mempool"
    with local_node(tmp_path, chain, now_ms() - 60_000) as local:
        node, members, now = local.node, local.members, now_ms()
        old, new = members["supplier"], KeyPair.generate()
        address = old.address
        rotation = build_tx(chain, "membership", "rotate_key",
                            membership.RotateKey(address, new.address), old, new)
        node.mempool.submit(encode(rotation), now)
        node.produce(now)
        assert membership.signing_key(node.store, address) == new.address
        due = now + 200 * 86_400_000
        body = issuance.Apply(address, terms(members["core"], due, "HT-ROTATED"))
        with pytest.raises(LedgerError) as e:
            node.mempool.submit(encode(build_tx(chain, "issuance", "apply", body, old)), now)
        assert e.value.code == "membership.key_rotated"
        node.mempool.submit(encode(build_tx(chain, "issuance", "apply", body, new)), now)
        node.produce(now)
        page, _ = issuance.applications_page(node.store, None, 10, creditor=address)
        assert [a.creditor for a in page] == [address]  # the address applied, by its new key
        node.mempool.check_invariants()


# ------------------------------------------------------------------ the wallet's identity options


def test_the_wallet_hashes_an_identity_number_with_a_fresh_salt_and_names_what_is_missing(
) -> None:
    from wallet.verbs.membership import identity_from

    none = dict.fromkeys(("credit_code", "id_number", "id_reference", "legal_representative"))
    given = {**none, "person_type": "natural_person", "contacts": "+86 139 0000 0001",
             "industry": "F", "region": "150802", "id_number": resident_id(1)}
    identity, salt = identity_from(given, None)
    assert salt is not None and identity.id_reference == id_reference(resident_id(1), salt)
    membership.check_identity(identity)
    assert identity_from(given, None)[0].id_reference != identity.id_reference  # new salt
    wrong = resident_id(1)[:17] + ("0" if resident_id(1)[17] != "0" else "1")
    with pytest.raises(LedgerError) as e:
        identity_from({**given, "id_number": wrong}, None)
    assert e.value.code == "membership.bad_id_reference"
    with pytest.raises(LedgerError) as e:
        identity_from({**none, "person_type": "legal_person", "contacts": "x",
                       "industry": "C", "region": "150802"}, None)
    assert e.value.code == "wallet.identity" and "--credit-code" in e.value.message
    # An amendment changes what it names and keeps the rest.
    current = organisation(9)
    amended, _ = identity_from({**none, "person_type": None, "contacts": "new desk",
                                "industry": None, "region": None}, current)
    assert amended == replace(current, contacts="new desk")
