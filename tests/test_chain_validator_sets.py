"""The chain with a changing validator set: each header names its height's set and the
next; every certificate is checked against the set in force at its block's height, on
commit, on block sync and when the store is checked again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consensus.certificate import PREVOTE, Certificate, make_certificate, vote_bytes
from consensus.messages import NIL, Vote
from contracts import nodes
from contracts.codec import encode
from contracts.contract import default_registry
from contracts.identity import KeyPair, verify
from contracts.ledger import check_transaction
from contracts.tx import Transaction
from node.blocks import Block, DuplicateVote, validators_hash
from node.chain import Chain, InvalidBlock
from node.config import parse_network
from node.evidence import EvidenceError, duplicate_vote, verify_duplicate_vote
from node.store import Store
from tests.nodeproc import build_tx, tx_id

CHAIN_ID = "claimledger-sets-test"
T0 = 1_800_000_000_000
SEC = 1000
REGISTRY = default_registry()


def network_text(validators: list[KeyPair], agency: KeyPair, regulator: KeyPair) -> str:
    lines = [f'chain_id = "{CHAIN_ID}"', f"genesis_time = {T0}"]
    for i, key in enumerate(validators):
        lines += ["", "[[validators]]", f'name = "v{i}"', f'key = "{key.address.hex()}"',
                  f'api = "127.0.0.1:{9000 + i}"', f'peer = "127.0.0.1:{9100 + i}"',
                  "power = 1"]  # no operator: the agency runs them all
    for name, key, role in (("agency", agency, "agency"),
                            ("regulator", regulator, "regulator")):
        lines += ["", "[[members]]", f'name = "{name}"', f'roles = ["{role}"]',
                  f'address = "{key.address.hex()}"']
    return "\n".join(lines) + "\n"


@dataclass
class World:
    validators: list[KeyPair]  # v0..v2 at genesis
    newcomer: KeyPair
    agency: KeyPair
    chain: Chain
    store: Store
    config: object
    certificates: dict[int, Certificate]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    validators = [KeyPair.generate() for _ in range(3)]
    agency, regulator = KeyPair.generate(), KeyPair.generate()
    config = parse_network(network_text(validators, agency, regulator))
    store = Store(tmp_path / "ledger")
    w = World(validators, KeyPair.generate(), agency, Chain(store, REGISTRY, config), store,
              config, {})
    yield w
    store.close()


def next_block(w: World, *txs: Transaction) -> tuple[Block, object]:
    chain = w.chain
    height = chain.head.height + 1
    checked = [check_transaction(REGISTRY, CHAIN_ID, encode(tx), height) for tx in txs]
    run = chain.execute(checked, T0 + height * SEC)
    assert not run.failed, [e.code for _, e in run.failed]
    return chain.make_block(run, w.validators[0].address), run


def certify(w: World, block: Block, *signers: KeyPair) -> Certificate:
    return make_certificate(CHAIN_ID, block.header.height, 0, block.id,
                            {k.address: k.sign for k in signers})


def commit(w: World, signers: list[KeyPair], *txs: Transaction) -> Block:
    block, run = next_block(w, *txs)
    certificate = certify(w, block, *signers)
    w.chain.verify_certificate(block, certificate)
    w.chain.commit(block, certificate, run)  # type: ignore[arg-type]
    w.certificates[block.header.height] = certificate
    return block


def change(w: World, body: nodes.Change) -> list[Transaction]:
    """Propose and approve `body` (the agency runs every validator: its approval is all)."""
    propose = build_tx(CHAIN_ID, "nodes", "propose",
                       nodes.Propose(w.agency.address, body, T0 + 86_400_000), w.agency)
    approve = build_tx(CHAIN_ID, "nodes", "approve",
                       nodes.Approve(w.agency.address, tx_id(propose)), w.agency)
    return [propose, approve]


def test_certificates_are_checked_against_the_set_in_force_at_each_height(world: World) -> None:
    w = world
    v0, v1, v2 = w.validators
    new = w.newcomer
    genesis_set = w.chain.validators_at(1)
    add = nodes.Change("add_validator", new.address, power=1, peer="127.0.0.1:9200",
                       operator=w.agency.address, name="v3")
    propose, approve = change(w, add)
    commit(w, [v0, v1, v2], propose)  # block 1
    applied = commit(w, [v0, v1, v2], approve)  # block 2 applies: in force from 4
    assert applied.header.height == 2
    assert w.chain.validators_at(3) == genesis_set
    four = w.chain.validators_at(4)
    assert new.address in four and four.total == 4
    # Block 3 names the set of height 4 as its next; block 2 did not.
    b3, run3 = next_block(w)
    assert b3.header.validators_hash == validators_hash(dict(genesis_set.powers))
    assert b3.header.next_validators_hash == validators_hash(dict(four.powers))
    assert applied.header.next_validators_hash == validators_hash(dict(genesis_set.powers))
    # At height 3 the newcomer is not a validator yet: its precommit makes the certificate
    # unknown; the old set's quorum finalises the block.
    with pytest.raises(InvalidBlock) as e:
        w.chain.verify_certificate(b3, certify(w, b3, v0, v1, new))
    assert e.value.code == "certificate.unknown_validator"
    cert3 = certify(w, b3, v0, v1, v2)
    w.chain.verify_certificate(b3, cert3)
    w.chain.commit(b3, cert3, run3)  # type: ignore[arg-type]
    # From height 4 the newcomer signs, and three of the old validators are no longer a
    # quorum question: 3 of 4 is over 2/3, 2 of 4 is not.
    b4, run4 = next_block(w)
    with pytest.raises(InvalidBlock) as e:
        w.chain.verify_certificate(b4, certify(w, b4, v0, v1))
    assert e.value.code == "certificate.no_quorum"
    cert4 = certify(w, b4, v1, v2, new)
    w.chain.verify_certificate(b4, cert4)
    w.chain.commit(b4, cert4, run4)  # type: ignore[arg-type]

    # v0 is removed at block 6: it still signs at 7, not at 8.
    remove = nodes.Change("remove_validator", v0.address)
    propose, approve = change(w, remove)
    commit(w, [v1, v2, new], propose)  # 5
    commit(w, [v1, v2, new], approve)  # 6 applies: in force from 8
    commit(w, [v0, v1, v2])  # 7: v0 still in force
    b8, run8 = next_block(w)
    with pytest.raises(InvalidBlock) as e:
        w.chain.verify_certificate(b8, certify(w, b8, v0, v1, v2))
    assert e.value.code == "certificate.unknown_validator"
    cert8 = certify(w, b8, v1, v2, new)
    w.chain.verify_certificate(b8, cert8)
    w.chain.commit(b8, cert8, run8)  # type: ignore[arg-type]
    assert v0.address not in w.chain.validators_at(9)
    with pytest.raises(InvalidBlock) as e:
        w.chain.validators_at(w.chain.head.height + 3)
    assert e.value.code == "block.unknown_validators"

    # The registry's entries for peer links: v0 gone, the newcomer with its peer address.
    entries = w.chain.registry_entries()
    assert {v.name: v.peer for v in entries.validators} == {
        "v1": "127.0.0.1:9101", "v2": "127.0.0.1:9102", "v3": "127.0.0.1:9200"}
    assert w.chain.node_role(v0.address) is None
    assert w.chain.node_role(new.address) == "validator"

    # The store checks every header's hashes and every certificate against its height's set.
    report = w.chain.verify_all()
    assert report.height == 8


def test_a_follower_syncs_the_blocks_checking_each_certificate_by_its_height(
        world: World, tmp_path: Path) -> None:
    w = world
    v0, v1, v2 = w.validators
    add = nodes.Change("rotate_key", v2.address, new_key=w.newcomer.address)
    propose, approve = change(w, add)
    commit(w, [v0, v1, v2], propose)
    commit(w, [v0, v1, v2], approve)  # 2: v2's key is the newcomer's from 4
    commit(w, [v0, v1, v2])  # 3
    commit(w, [v0, v1, w.newcomer])  # 4
    commit(w, [w.newcomer, v1, v0])  # 5
    follower_store = Store(tmp_path / "follower")
    try:
        follower = Chain(follower_store, REGISTRY, w.config)  # type: ignore[arg-type]
        for height in range(1, 6):
            block = w.store.block(height)
            assert block is not None
            # A certificate of another height's signers is refused (block sync's check).
            other = certify(w, block, v0, v1, v2 if height >= 4 else w.newcomer)
            with pytest.raises(InvalidBlock):
                follower.verify_certificate(block, other)
            follower.verify_certificate(block, w.certificates[height])
            run = follower.validate_block(block)
            follower.commit(block, w.certificates[height], run)
        assert follower.head == w.chain.head
        assert follower.validators_at(6) == w.chain.validators_at(6)
    finally:
        follower_store.close()


def test_a_reopened_store_knows_every_height_s_set(world: World, tmp_path: Path) -> None:
    w = world
    v0, v1, v2 = w.validators
    propose, approve = change(w, nodes.Change("set_power", v0.address, power=5))
    commit(w, [v0, v1, v2], propose)
    commit(w, [v0, v1, v2], approve)  # in force from 4: v0 holds 5 of 7
    commit(w, [v0, v1, v2])
    commit(w, [v0, v1])  # 4: 6 of 7
    w.store.close()
    store = Store(tmp_path / "ledger")
    try:
        reopened = Chain(store, REGISTRY, w.config)  # type: ignore[arg-type]
        assert reopened.validators_at(3).total == 3
        assert reopened.validators_at(4).power(v0.address) == 5
        reopened.verify_all()
    finally:
        store.close()
        w.store = Store(tmp_path / "other")


def signed_prevote(key: KeyPair, height: int, value: bytes) -> Vote:
    signature = key.sign(vote_bytes(CHAIN_ID, PREVOTE, height, 0, value))
    return Vote(PREVOTE, height, 0, value, key.address, signature)


def test_evidence_is_checked_against_the_set_of_the_votes_height(world: World) -> None:
    """A validator removed from height 4 on can be proven to have equivocated at height 3,
    not at height 4, where its votes count for nothing."""
    w = world
    v0, v1, v2 = w.validators
    propose, approve = change(w, nodes.Change("remove_validator", v0.address))
    commit(w, [v0, v1, v2], propose)
    commit(w, [v0, v1, v2], approve)  # 2: v0 is out from 4
    commit(w, [v0, v1, v2])  # 3
    commit(w, [v1, v2])  # 4

    def equivocation(height: int) -> DuplicateVote:
        return duplicate_vote(signed_prevote(v0, height, b"\x01" * 32),
                              signed_prevote(v0, height, NIL))

    record = verify_duplicate_vote(CHAIN_ID, w.chain.powers_at, verify, equivocation(3), 5,
                                   T0 + 5 * SEC)
    assert (record.validator, record.height) == (v0.address, 3)
    with pytest.raises(EvidenceError) as e:
        verify_duplicate_vote(CHAIN_ID, w.chain.powers_at, verify, equivocation(4), 5,
                              T0 + 5 * SEC)
    assert e.value.code == "evidence.unknown_validator"
