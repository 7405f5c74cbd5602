"""Equivocation evidence on the ledger: a validator that signs two different votes for
one height, round and step is recorded once, in a block every node verifies; forged
evidence makes a block invalid, with a code."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from consensus.certificate import PRECOMMIT, PREVOTE, make_certificate, vote_bytes
from consensus.messages import (
    NIL,
    Proposal,
    Vote,
    decode_message,
    encode_message,
    proposal_bytes,
)
from consensus.validators import ValidatorSet
from contracts import evidence
from contracts.codec import encode
from contracts.identity import KeyPair, verify
from node.blocks import Block, DuplicateVote, evidence_root
from node.chain import InvalidBlock
from node.config import load_network, parse_network
from node.evidence import MAX_EVIDENCE_AGE, duplicate_vote
from node.peers import Link, PeerError, Peers
from node.replication import KINDS, Replication
from node.replication.consensus_loop import MAX_BLOCKS_KEPT
from node.service import Node
from tests.nodeproc import (
    CLUSTER_MEMBERS,
    CLUSTER_TIMING,
    NodeProcess,
    cluster_toml,
    get,
    make_cluster,
    now_ms,
)
from tests.signing import signed_by

CHAIN = "evidence-test"


def vote(key: KeyPair, height: int, round_: int, value: bytes, type_: int = PREVOTE,
         chain_id: str = CHAIN) -> Vote:
    signature = key.sign(vote_bytes(chain_id, type_, height, round_, value))
    return Vote(type_, height, round_, value, key.address, signature)


class Network4:
    """Four validators' keys; the first three and an observer as nodes in this process
    (no sockets): blocks are made, certified by three and committed by hand."""

    def __init__(self, root: Path) -> None:
        self.keys = [KeyPair.generate() for _ in range(4)]
        observer = KeyPair.generate()
        self.members = members = {name: KeyPair.generate() for name in CLUSTER_MEMBERS}
        config = parse_network(cluster_toml(
            CHAIN, {f"v{i}": (k, 1) for i, k in enumerate(self.keys)}, {"obs": (observer, 1)},
            members, now_ms() - 60_000, CLUSTER_TIMING))
        self.nodes = [Node(config, root / f"v{i}", k) for i, k in enumerate(self.keys[:3])]
        self.nodes.append(Node(config, root / "obs", observer))

    def close(self) -> None:
        for node in self.nodes:
            node.close()

    def propose(self, by: int) -> Block:
        """The block node `by` proposes now, with the evidence its pool holds."""
        node = self.nodes[by]
        run = node.chain.execute([], *node.block_extras(now_ms()))
        return node.chain.make_block(run, node.address)

    def commit(self, block: Block) -> None:
        """Every node validates the block and commits it with three precommits."""
        signers = {k.address: k.sign for k in self.keys[:3]}
        certificate = make_certificate(CHAIN, block.header.height, 0, block.id, signers)
        for node in self.nodes:
            run = node.chain.validate_block(block)
            node.chain.commit(block, certificate, run)
            node.evidence.after_commit(run.evidence)

    def forged(self, by: int, *items: DuplicateVote) -> Block:
        """A block of node `by` whose evidence is `items`, its header naming them."""
        block = self.propose(by)
        return Block(replace(block.header, evidence_root=evidence_root(items)), block.txs,
                     items)


@pytest.fixture
def net(tmp_path: Path):
    network = Network4(tmp_path)
    try:
        yield network
    finally:
        network.close()


def records(node: Node) -> list[evidence.Equivocation]:
    return [record for _, record in evidence.scan_evidence(node.store)]


def test_an_equivocation_is_recorded_once_on_every_node(net: Network4) -> None:
    byzantine = net.keys[3]
    a, b = vote(byzantine, 1, 0, os.urandom(32)), vote(byzantine, 1, 0, NIL)
    for node in net.nodes[:2]:  # two validators saw both votes
        node.evidence.add(a, b)
    block = net.propose(0)
    assert block.evidence == ()  # evidence of height 1 waits for a later block
    net.commit(block)
    block = net.propose(0)
    assert len(block.evidence) == 1
    net.commit(block)
    for node in net.nodes:  # validators and the observer alike
        [record] = records(node)
        assert (record.validator, record.height, record.round, record.step) == \
            (byzantine.address, 1, 0, "prevote")
        assert (record.value_a, record.value_b) == (NIL, a.value_id)  # nil sorts first
        assert record.included_height == 2
        for raw in (record.vote_a, record.vote_b):  # anyone can check the votes again
            v = decode_message(raw)
            assert isinstance(v, Vote)
            assert verify(v.validator, v.sign_bytes(CHAIN), v.signature)
        events = node.store.block_events(2)
        assert events is not None and [e.kind for e in events.events] == \
            [evidence.EVENT_KIND]
    assert net.nodes[0].chain.head.state_root == net.nodes[3].chain.head.state_root
    # What a block recorded leaves every pool; found again later, it is on the ledger
    # already: a block carries it no second time.
    assert len(net.nodes[1].evidence) == 0
    net.nodes[1].evidence.add(b, a)
    block = net.propose(1)
    assert block.evidence == () and len(net.nodes[1].evidence) == 0
    net.commit(block)
    # Proving the same step again, even with a third value, is refused.
    again = duplicate_vote(vote(byzantine, 1, 0, os.urandom(32)), a)
    with pytest.raises(InvalidBlock) as refused:
        net.nodes[1].chain.validate_block(net.forged(2, again))
    assert refused.value.code == "evidence.duplicate"


def test_precommit_equivocation_and_several_in_one_block(net: Network4) -> None:
    net.commit(net.propose(0))
    net.commit(net.propose(0))
    byzantine = net.keys[3]
    for height in (1, 2):
        for type_ in (PREVOTE, PRECOMMIT):
            net.nodes[2].evidence.add(vote(byzantine, height, 0, b"\x01" * 32, type_),
                                      vote(byzantine, height, 0, b"\x02" * 32, type_))
    block = net.propose(2)
    assert len(block.evidence) == 4
    net.commit(block)
    steps = [(r.height, r.step) for r in records(net.nodes[3])]
    assert sorted(steps) == [(1, "precommit"), (1, "prevote"), (2, "precommit"),
                             (2, "prevote")]


def forgeries(net: Network4) -> dict[str, DuplicateVote]:
    """Evidence no block may carry, each with the code it is refused with."""
    byzantine, stranger = net.keys[3], KeyPair.generate()
    x, y = b"\x01" * 32, b"\x02" * 32
    good = vote(byzantine, 1, 0, x)
    bad_signature = replace(vote(byzantine, 1, 0, y), signature=bytes(64))
    other_chain = vote(byzantine, 1, 0, y, chain_id="another-chain")
    return {
        "evidence.bad_signature": duplicate_vote(good, bad_signature),
        "evidence.bad_signature ": duplicate_vote(good, other_chain),
        "evidence.not_conflicting": DuplicateVote(encode_message(good), encode_message(good)),
        "evidence.not_conflicting ": duplicate_vote(good, vote(byzantine, 1, 1, y)),
        "evidence.not_conflicting  ": DuplicateVote(encode_message(vote(byzantine, 1, 0, y)),
                                                    encode_message(good)),  # unordered
        "evidence.not_conflicting   ": duplicate_vote(good, vote(net.keys[2], 1, 0, y)),
        "evidence.unknown_validator": duplicate_vote(vote(stranger, 1, 0, x),
                                                     vote(stranger, 1, 0, y)),
        "evidence.future": duplicate_vote(vote(byzantine, 2, 0, x), vote(byzantine, 2, 0, y)),
        "evidence.malformed": DuplicateVote(b"\x93\x01\x02\x03", encode_message(good)),
    }


def test_forged_evidence_makes_a_block_invalid_with_its_code(net: Network4) -> None:
    net.commit(net.propose(0))  # the blocks below are at height 2
    for code, item in forgeries(net).items():
        block = net.forged(0, item)
        for node in net.nodes[1:]:
            with pytest.raises(InvalidBlock) as refused:
                node.chain.validate_block(block)
            assert refused.value.code == code.strip(), code
    # The same evidence twice in one block.
    byzantine = net.keys[3]
    item = duplicate_vote(vote(byzantine, 1, 0, b"\x01" * 32), vote(byzantine, 1, 0, NIL))
    with pytest.raises(InvalidBlock) as refused:
        net.nodes[1].chain.validate_block(net.forged(0, item, item))
    assert refused.value.code == "evidence.duplicate"
    # A header that does not commit to the evidence it carries.
    block = net.forged(0, item)
    with pytest.raises(InvalidBlock) as refused:
        net.nodes[1].chain.validate_block(Block(block.header, block.txs, ()))
    assert refused.value.code == "block.bad_header"
    # A pool drops what no block may carry, and keeps what a later block may.
    pool = net.nodes[0].evidence
    stranger = KeyPair.generate()
    pool.add(vote(stranger, 1, 0, b"\x01" * 32), vote(stranger, 1, 0, NIL))
    pool.add(vote(byzantine, 5, 0, b"\x01" * 32), vote(byzantine, 5, 0, NIL))
    assert net.propose(0).evidence == () and len(pool) == 1


def test_evidence_older_than_the_bound_is_refused(net: Network4) -> None:
    from node.evidence import EvidenceError, verify_duplicate_vote
    byzantine = net.keys[3]
    item = duplicate_vote(vote(byzantine, 1, 0, b"\x01" * 32), vote(byzantine, 1, 0, NIL))
    powers = net.nodes[0].config.validator_powers()
    verify_duplicate_vote(CHAIN, lambda h: powers, verify, item, 1 + MAX_EVIDENCE_AGE, 0)
    with pytest.raises(EvidenceError) as refused:
        verify_duplicate_vote(CHAIN, lambda h: powers, verify, item, 2 + MAX_EVIDENCE_AGE, 0)
    assert refused.value.code == "evidence.too_old"


async def test_a_proposal_relayed_with_other_evidence_cannot_spoil_the_genuine_block(
        net: Network4, tmp_path: Path) -> None:
    # A block's id is its header's hash: a faulty validator can relay an honest proposal
    # with a body of its own (forged evidence, a short frame that arrives first). Kept
    # under that id, it would make this validator judge the honest block invalid for the
    # whole height; refused as not the proposed block, the genuine one is judged.
    validators = ValidatorSet.from_powers(net.nodes[0].config.validator_powers())
    first = next(k for k in net.keys if k.address == validators.proposer(1, 0))
    receiver = next(n for n in net.nodes[:3] if n.address != first.address)
    faulty = next(k for k in net.keys if k.address not in (first.address, receiver.address))
    (tmp_path / "replication").mkdir()
    replication = Replication(receiver, tmp_path / "replication")
    consensus = replication.consensus_loop
    assert consensus is not None
    consensus.start()
    assert replication.driver is not None
    sent: list[object] = []
    consensus._broadcast = sent.append  # type: ignore[method-assign]
    run = receiver.chain.execute([], receiver.chain.next_time_ms(now_ms()))
    genuine = receiver.chain.make_block(run, first.address)
    proposal = Proposal(1, 0, genuine.id, -1, first.address,
                        first.sign(proposal_bytes(CHAIN, 1, 0, genuine.id, -1)))
    byzantine = net.keys[3]
    forged = duplicate_vote(vote(byzantine, 0, 0, b"\x01" * 32), vote(byzantine, 0, 0, NIL))
    spoiled = Block(genuine.header, genuine.txs, (forged,))
    assert spoiled.id == genuine.id
    with pytest.raises(PeerError) as refused:
        await replication.on_frame(Link(faulty.address, "faulty", None),  # type: ignore[arg-type]
                                   "proposal", [proposal.to_wire(), encode(spoiled)])
    assert refused.value.code == "consensus.block_mismatch"
    await replication.on_frame(Link(first.address, "proposer", None),  # type: ignore[arg-type]
                               "proposal", [proposal.to_wire(), encode(genuine)])
    prevotes = [m for m in sent if isinstance(m, Vote) and m.type == PREVOTE]
    assert [(v.height, v.round, v.value_id) for v in prevotes] == [(1, 0, genuine.id)]
    consensus.stop()
    consensus.close()


@pytest.mark.parametrize("flood", ["unsigned", "own_rounds"])
async def test_a_faulty_validator_cannot_crowd_the_proposed_block_out(
        net: Network4, tmp_path: Path, flood: str) -> None:
    # A validator keeps a bounded number of proposed blocks a height, to commit the one
    # decided without fetching it again (and to propose it again as its valid value).
    # Blocks of proposals nobody signed, or a faulty proposer's many blocks for its own
    # later rounds, must not take the room of the block the current round's proposer
    # proposes: each height would then wait for block sync.
    validators = ValidatorSet.from_powers(net.nodes[0].config.validator_powers())
    first = next(k for k in net.keys if k.address == validators.proposer(1, 0))
    receiver = next(n for n in net.nodes[:3] if n.address != first.address)
    later = next(r for r in range(1, 9) if validators.proposer(1, r) not in
                 (first.address, receiver.address))
    faulty = next(k for k in net.keys if k.address == validators.proposer(1, later))
    (tmp_path / "replication").mkdir()
    replication = Replication(receiver, tmp_path / "replication")
    consensus = replication.consensus_loop
    assert consensus is not None
    consensus.start()
    sent: list[object] = []
    consensus._broadcast = sent.append  # type: ignore[method-assign]
    start = receiver.chain.next_time_ms(now_ms())

    def block_of(proposer: KeyPair, offset_ms: int) -> Block:
        run = receiver.chain.execute([], start + offset_ms)
        return receiver.chain.make_block(run, proposer.address)

    for i in range(40):
        junk = block_of(faulty, -1000 - i)
        round_ = 0 if flood == "unsigned" else later
        signature = bytes(64) if flood == "unsigned" else \
            faulty.sign(proposal_bytes(CHAIN, 1, round_, junk.id, -1))
        proposer = first.address if flood == "unsigned" else faulty.address
        wire = Proposal(1, round_, junk.id, -1, proposer, signature).to_wire()
        await replication.on_frame(Link(faulty.address, "faulty", None),  # type: ignore[arg-type]
                                   "proposal", [wire, encode(junk)])
    genuine = block_of(first, 0)
    proposal = Proposal(1, 0, genuine.id, -1, first.address,
                        first.sign(proposal_bytes(CHAIN, 1, 0, genuine.id, -1)))
    await replication.on_frame(Link(first.address, "proposer", None),  # type: ignore[arg-type]
                               "proposal", [proposal.to_wire(), encode(genuine)])
    prevotes = [m for m in sent if isinstance(m, Vote) and m.type == PREVOTE]
    assert [(v.height, v.round, v.value_id) for v in prevotes] == [(1, 0, genuine.id)]
    assert consensus.blocks.get(genuine.id) == genuine
    assert len(consensus.blocks) <= MAX_BLOCKS_KEPT
    consensus.stop()
    consensus.close()


# ------------------------------------------------------------------ a real network


def evidence_of(api: str) -> list[dict]:
    reply = get(api, "/v1/evidence?limit=10", timeout=5)
    assert reply.status == 200, reply.body
    return reply.json()["evidence"]


@pytest.mark.process
async def test_a_validator_signing_two_prevotes_is_on_every_ledger_once(
        tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4, observers=1)
    honest, byzantine, observer = nets[:3], nets[3], nets[4]
    procs = [NodeProcess(n).start() for n in [*honest, observer]]
    config = load_network(byzantine.network_file)
    heights: list[int] = []

    async def on_frame(link: Link, kind: str, payload: object) -> None:
        if kind == "status":
            heights.append(payload[0])  # type: ignore[index]

    # Validator 3 runs no node: this process holds its key, links to the others and
    # sends them two different prevotes for one height and round.
    peers = Peers(config, byzantine.validator, KINDS, on_frame)
    try:
        for proc in procs:
            await asyncio.to_thread(proc.wait_ready)
        await peers.listen("127.0.0.1", byzantine.peer_port)
        peers.start()
        deadline = time.monotonic() + 30
        while len(peers.links) < 3 or not heights:
            assert time.monotonic() < deadline, "the validators never linked"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the latest status frames
        height = max(heights) + 1  # the height they are deciding
        key = byzantine.validator
        for value in (os.urandom(32), os.urandom(32)):
            signature = key.sign(vote_bytes(byzantine.chain_id, PREVOTE, height, 0, value))
            peers.broadcast("vote", Vote(PREVOTE, height, 0, value, key.address,
                                         signature).to_wire())
        deadline = time.monotonic() + 60
        while True:
            found = [await asyncio.to_thread(evidence_of, n.api)
                     for n in [*honest, observer]]
            if all(found):
                break
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.2)
        for records_here in found:
            assert records_here == found[0] and len(records_here) == 1
        [record] = found[0]
        assert (record["validator"], record["height"], record["round"], record["step"]) == \
            (key.address.hex(), height, 0, "prevote")
        for raw in (record["vote_a"], record["vote_b"]):
            v = decode_message(bytes.fromhex(raw))
            assert isinstance(v, Vote) and verify(v.validator, v.sign_bytes(byzantine.chain_id),
                                                  v.signature)
        # Further blocks (each validator proposing in turn) bring it no second time.
        included = record["included_height"]
        while min([await asyncio.to_thread(lambda n=n: get(n.api, "/v1/status").json()
                                           ["height"]) for n in honest]) < included + 4:
            assert time.monotonic() < deadline + 60, "the chain stopped"
            await asyncio.sleep(0.2)
        for n in [*honest, observer]:
            assert len(await asyncio.to_thread(evidence_of, n.api)) == 1
    finally:
        await peers.stop()
        for proc in procs:
            proc.stop()


async def test_evidence_reads_as_pages_and_as_the_document_describes(net: Network4) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from node.http.app import make_app
    from node.http.openapi import openapi_document

    net.commit(net.propose(0))
    net.commit(net.propose(0))
    for i in (0, 1, 2):
        net.nodes[0].evidence.add(vote(net.keys[i], 1, 0, b"\x01" * 32),
                                  vote(net.keys[i], 1, 0, NIL))
    net.nodes[0].evidence.add(vote(net.keys[3], 2, 0, b"\x01" * 32),
                              vote(net.keys[3], 2, 0, NIL))
    net.commit(net.propose(0))
    client = TestClient(TestServer(make_app(net.nodes[3])),  # the observer
                        **signed_by(CHAIN, net.members))
    await client.start_server()
    try:
        seen, after = [], ""
        for _ in range(10):
            page = await (await client.get(f"/v1/evidence?limit=3{after}")).json()
            seen += page["evidence"]
            if page["next"] is None:
                break
            after = f"&after={page['next']}"
        assert len(seen) == 4 and len({(r["validator"], r["height"]) for r in seen}) == 4
        schema = openapi_document()["components"]["schemas"]["Equivocation"]
        for record in seen:
            assert set(record) == set(schema["properties"]) == set(schema["required"])
        mine = await (await client.get(
            f"/v1/evidence?validator={net.keys[3].address.hex()}")).json()
        assert [r["height"] for r in mine["evidence"]] == [2] and mine["next"] is None
        block = await (await client.get("/v1/blocks/3")).json()
        assert len(block["evidence"]) == 4
        assert {e["vote_a"] for e in block["evidence"]} == {r["vote_a"] for r in seen}
        response = await client.get("/v1/evidence?after=00")
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "request.bad_cursor"
    finally:
        await client.close()
