"""Block sync in process: a certificate is verified before its block is executed, and a
block with a forged or short certificate is refused, logged with its code, and the link
to the peer that sent it is closed (the handler raises `PeerError`)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from consensus.certificate import make_certificate
from contracts.codec import encode
from contracts.identity import KeyPair
from node.config import parse_network
from node.peers import Link, PeerError
from node.replication import Replication
from node.service import Node
from tests.nodeproc import CLUSTER_TIMING, cluster_toml, now_ms


def world(tmp_path: Path):
    validators = {f"v{i}": (KeyPair.generate(), 1) for i in range(4)}
    observer = KeyPair.generate()
    members = {name: KeyPair.generate() for name in ("agency", "core", "supplier")}
    config = parse_network(cluster_toml("sync-test", validators, {"obs": (observer, 2)},
                                        members, now_ms() - 60_000, CLUSTER_TIMING))
    source = Node(config, tmp_path / "source", validators["v0"][0])
    follower = Node(config, tmp_path / "observer", observer)
    run = source.chain.execute([], source.chain.next_time_ms(now_ms()))
    block = source.chain.make_block(run, validators["v0"][0].address)
    return config, [k for k, _ in validators.values()], source, follower, block


def link() -> Link:
    return Link(b"\x01" * 32, "v0", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("forgery", ["short", "stranger", "other_block"])
async def test_a_forged_certificate_is_refused_and_closes_the_link(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, forgery: str
) -> None:
    config, keys, source, follower, block = world(tmp_path)
    replication = Replication(follower, tmp_path / "observer")
    assert not replication.consensus
    height = block.header.height
    signers = {
        "short": {k.address: k.sign for k in keys[:2]},
        "stranger": {k.address: k.sign for k in [*keys[:2], KeyPair.generate()]},
        "other_block": {k.address: k.sign for k in keys[:3]},
    }[forgery]
    block_id = b"\x07" * 32 if forgery == "other_block" else block.id
    cert = make_certificate(config.chain_id, height, 0, block_id, signers)
    code = {"short": "certificate.no_quorum", "stranger": "certificate.unknown_validator",
            "other_block": "certificate.wrong_block"}[forgery]
    with caplog.at_level(logging.WARNING), pytest.raises(PeerError) as refused:
        await replication.on_frame(link(), "blocks", [[encode(block), cert.to_wire()]])
    assert refused.value.code == code
    assert code in caplog.text
    assert follower.chain.head.height == 0
    source.close()
    follower.close()


async def test_a_genuine_certificate_is_followed(tmp_path: Path) -> None:
    config, keys, source, follower, block = world(tmp_path)
    replication = Replication(follower, tmp_path / "observer")
    cert = make_certificate(config.chain_id, block.header.height, 0, block.id,
                            {k.address: k.sign for k in keys[1:]})
    await replication.on_frame(link(), "blocks", [[encode(block), cert.to_wire()]])
    assert follower.chain.head.block_id == block.id
    assert follower.store.certificate(1) == cert
    source.close()
    follower.close()


async def test_a_validator_behind_runs_its_consensus_from_the_synced_head(
        tmp_path: Path) -> None:
    # Also when a later block of the frame is refused: the blocks before it are
    # committed, and a driver left at a committed height would wait there for the next
    # frame of block sync.
    config, keys, source, observer, block = world(tmp_path)
    observer.close()
    validator = Node(config, tmp_path / "v1", keys[1])
    replication = Replication(validator, tmp_path / "v1")
    consensus = replication.consensus_loop
    assert consensus is not None
    consensus.start()
    assert replication.driver is not None and replication.driver.height == 1
    quorum = {k.address: k.sign for k in keys[1:]}
    first = make_certificate(config.chain_id, 1, 0, block.id, quorum)
    source.chain.commit(block, first, source.chain.validate_block(block))
    run = source.chain.execute([], source.chain.next_time_ms(now_ms()))
    second = source.chain.make_block(run, keys[0].address)
    short = make_certificate(config.chain_id, 2, 0, second.id,
                             {k.address: k.sign for k in keys[:2]})
    with pytest.raises(PeerError) as refused:
        await replication.on_frame(link(), "blocks", [[encode(block), first.to_wire()],
                                                      [encode(second), short.to_wire()]])
    assert refused.value.code == "certificate.no_quorum"
    assert validator.chain.head.height == 1
    assert replication.driver is not None and replication.driver.height == 2
    consensus.stop()
    consensus.close()
    source.close()
    validator.close()
