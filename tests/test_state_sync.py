"""State sync: a new node restores a peer's snapshot, checked against a header it followed
from genesis, then follows blocks with the same state roots as the others; a peer that
serves a tampered chunk or header is refused; the node restarts from its own store."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import msgpack
import pytest

from consensus.certificate import make_certificate
from contracts.codec import decode, encode
from contracts.identity import KeyPair
from contracts.ledger import check_transaction
from contracts.snapshot import ChunkPart, Item, Manifest, SnapshotError
from node.chain import Chain
from node.config import parse_network
from node.peers import Link, PeerError, pack, unpack
from node.replication import Replication, state_sync
from node.replication.state_sync import (
    Followed,
    StateSyncClient,
    SyncError,
    follow_headers,
)
from node.service import Node
from tests.nodeproc import (
    CLUSTER_TIMING,
    DAY_MS,
    REGISTRY,
    NodeProcess,
    apply_tx,
    approve_tx,
    cluster_toml,
    confirm_tx,
    get,
    issue_voucher,
    make_cluster,
    now_ms,
    tx_id,
)


@dataclasses.dataclass
class World:
    config: object
    keys: list[KeyPair]
    members: dict[str, KeyPair]
    source: Node
    fresh: Node


def world(tmp_path: Path, vouchers: int = 3) -> World:
    """A validator's node with `vouchers` vouchers issued over a few certified blocks, and
    a fresh observer node at genesis."""
    validators = {f"v{i}": (KeyPair.generate(), 1) for i in range(4)}
    observer = KeyPair.generate()
    members = {name: KeyPair.generate() for name in ("agency", "core", "supplier",
                                                      "supplier2")}
    config = parse_network(cluster_toml("sync-test", validators, {"obs": (observer, 2)},
                                        members, now_ms() - 60_000, CLUSTER_TIMING))
    keys = [k for k, _ in validators.values()]
    source = Node(config, tmp_path / "source", keys[0])
    fresh = Node(config, tmp_path / "fresh", observer)
    chain = source.chain
    for n in range(vouchers):
        apply = apply_tx(config.chain_id, members, now_ms() + 180 * DAY_MS, f"HT-{n}")
        for tx in (apply, confirm_tx(config.chain_id, members, tx_id(apply)),
                   approve_tx(config.chain_id, members, tx_id(apply))):
            certify(chain, keys, [tx])
    certify(chain, keys, [])
    return World(config, keys, members, source, fresh)


def certify(chain: Chain, keys: list[KeyPair], txs: list) -> None:
    height = chain.head.height + 1
    checked = [check_transaction(REGISTRY, chain.chain_id, encode(tx), height) for tx in txs]
    run = chain.execute(checked, chain.next_time_ms(now_ms()))
    assert not run.failed, run.failed
    block = chain.make_block(run, keys[0].address)
    certificate = make_certificate(chain.chain_id, height, 0, block.id,
                                   {k.address: k.sign for k in keys[1:]})
    chain.commit(block, certificate, run)


class Pipe:
    """Two ends of a link in one process: a frame sent on one end is packed, unpacked and
    handed to the other end's handler on the loop, as a websocket would."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def end(self, peer: bytes, name: str, handler) -> Link:
        link = Link(peer, name, None)  # type: ignore[arg-type]

        def send(kind: str, payload: object) -> bool:
            frame = unpack(pack(kind, payload))
            self.tasks.append(asyncio.create_task(handler(*frame)))
            return True

        link.send = send  # type: ignore[method-assign]
        return link


def connect(w: World, tmp_path: Path, tamper=None) -> tuple[StateSyncClient, Link]:
    """The fresh node's state sync client, linked to the source's replication (frames
    from the source through `tamper(kind, payload)` first)."""
    serving = SERVING[id(w.source)] = Replication(w.source, tmp_path / "source")
    pipe = Pipe()
    client: StateSyncClient | None = None
    to_client = pipe.end(w.fresh.address, "fresh", None)
    to_source = pipe.end(w.source.address, "v0", None)

    async def at_source(kind: str, payload: object) -> None:
        await serving.on_frame(to_client, kind, payload)

    async def at_client(kind: str, payload: object) -> None:
        if tamper is not None:
            kind, payload = tamper(kind, payload)
        assert client is not None
        client.on_answer(to_source, kind, payload)

    to_client = pipe.end(w.fresh.address, "fresh", at_client)
    to_source = pipe.end(w.source.address, "v0", at_source)
    client = StateSyncClient(w.fresh, lambda: [to_source],
                             {w.source.address: w.source.chain.head.height}, lambda: None)
    return client, to_source


SERVING: dict[int, Replication] = {}


def client_pins(w: World) -> list:
    return list(SERVING[id(w.source)].snapshots.pins.values())


def state_of(node: Node) -> list[tuple[bytes, bytes]]:
    return list(node.store.scan(b""))


@pytest.mark.parametrize("depth, part_bytes", [(None, None), (5, 300)])
async def test_a_fresh_node_restores_the_exact_state_of_a_certified_height(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int | None,
        part_bytes: int | None) -> None:
    # Cut finer than the server would (leaves standing above the chunks' depth, empty
    # chunks) and in parts of a few items each (chunks larger than a frame).
    if depth is not None:
        monkeypatch.setattr(state_sync, "depth_for", lambda count: depth)
    if part_bytes is not None:
        monkeypatch.setattr(state_sync, "CHUNK_PART_BYTES", part_bytes)
    w = world(tmp_path)
    client, link = connect(w, tmp_path)
    await client.attempt(link)
    pin = next(iter(client_pins(w)))
    assert len(pin.manifest.chunks) == 1 << (depth or 0)
    head = w.fresh.chain.head
    assert head == w.source.chain.head
    assert w.fresh.store.base() == head.height
    assert state_of(w.fresh) == state_of(w.source)  # the records and their indices
    assert list(w.fresh.store.tree_items()) == list(w.source.store.tree_items())
    report = w.fresh.chain.verify_all()
    assert report.height == head.height
    # The next block executes on the restored state with the source's state root.
    certify(w.source.chain, w.keys, [])
    block = w.source.chain.block(head.height + 1)
    assert block is not None
    run = w.fresh.chain.validate_block(block)
    assert run.state_root == block.header.state_root
    w.fresh.chain.commit(block, w.source.store.certificate(block.header.height), run)
    assert w.fresh.chain.verify_all().height == head.height + 1
    w.source.close()
    w.fresh.close()
    # It opens again from its own store: the start's checks stop at its base.
    again = Node(w.config, tmp_path / "fresh", w.fresh.signer)  # type: ignore[arg-type]
    assert again.chain.head.height == head.height + 1
    again.close()


def tamper_chunk(kind: str, payload: object) -> tuple[str, object]:
    if kind != "chunk":
        return kind, payload
    assert isinstance(payload, bytes)
    part = decode(ChunkPart, payload)
    if not part.items:
        return kind, payload
    first = part.items[0]
    items = (Item(first.key, first.value + b"\x00"), *part.items[1:])
    return kind, encode(dataclasses.replace(part, items=items))


async def test_a_peer_serving_a_tampered_chunk_is_refused_and_nothing_is_written(
        tmp_path: Path) -> None:
    w = world(tmp_path, vouchers=1)
    before = state_of(w.fresh)
    client, link = connect(w, tmp_path, tamper_chunk)
    with pytest.raises(SnapshotError) as refused:
        await client.attempt(link)
    assert refused.value.code == "snapshot.bad_chunk"
    assert w.fresh.chain.head.height == 0 and w.fresh.store.base() == 0
    assert state_of(w.fresh) == before
    w.source.close()
    w.fresh.close()


def tamper_more(kind: str, payload: object) -> tuple[str, object]:
    """A chunk part with one item more than the chunk holds."""
    if kind != "chunk":
        return kind, payload
    assert isinstance(payload, bytes)
    part = decode(ChunkPart, payload)
    items = (*part.items, Item(b"zz/extra", b""))
    return kind, encode(dataclasses.replace(part, items=items))


async def test_a_peer_sending_more_items_than_a_chunk_holds_is_cut_short(
        tmp_path: Path) -> None:
    w = world(tmp_path, vouchers=1)
    client, link = connect(w, tmp_path, tamper_more)
    with pytest.raises(SyncError) as refused:
        await client.attempt(link)
    assert refused.value.code == "sync.bad_answer"
    assert w.fresh.chain.head.height == 0
    w.source.close()
    w.fresh.close()


def tamper_root(kind: str, payload: object) -> tuple[str, object]:
    """A snapshot answer whose block claims another state root (its id changes, so the
    header followed from genesis no longer matches)."""
    if kind != "snapshot":
        return kind, payload
    assert isinstance(payload, list)
    block = msgpack.unpackb(payload[1], raw=False)
    block[0][7] = b"\x01" * 32  # header.state_root
    return kind, [payload[0], msgpack.packb(block, use_bin_type=True), payload[2]]


async def test_a_snapshot_of_a_block_other_than_the_certified_one_is_refused(
        tmp_path: Path) -> None:
    w = world(tmp_path, vouchers=1)
    client, link = connect(w, tmp_path, tamper_root)
    with pytest.raises((SyncError, SnapshotError)):
        await client.attempt(link)
    assert w.fresh.chain.head.height == 0
    w.source.close()
    w.fresh.close()


def test_headers_are_followed_only_with_certificates_of_the_committed_validators(
        tmp_path: Path) -> None:
    w = world(tmp_path, vouchers=1)
    chain, store = w.source.chain, w.source.store
    genesis = chain.genesis()[0].header
    trusted = Followed(genesis, None, chain.validators_at(0).powers,
                       chain.validators_at(1).powers)

    def entry(height: int, certificate=None) -> list:
        header = store.header(height)
        assert header is not None
        cert = certificate or store.certificate(height)
        return [encode(header), cert.to_wire(), None]

    top = chain.head.height
    followed = follow_headers(chain.chain_id, trusted, [entry(h) for h in range(1, top + 1)])
    assert followed.header == store.header(top)
    header = store.header(1)
    assert header is not None
    strangers = [KeyPair.generate() for _ in range(3)]
    forged = make_certificate(chain.chain_id, 1, 0, store.block(1).id,  # type: ignore[union-attr]
                              {k.address: k.sign for k in strangers})
    cases = {
        "forged certificate": [entry(1, forged)],
        "a height skipped": [entry(2)],
        "other next validators": [[*entry(1)[:2], [[k.address, 1] for k in strangers]]],
    }
    for name, entries in cases.items():
        with pytest.raises(SyncError) as refused:
            follow_headers(chain.chain_id, trusted, entries)
        assert refused.value.code == "sync.bad_header", name
    w.source.close()
    w.fresh.close()


# ------------------------------------------------------------------ real processes


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def status(api: str) -> dict:
    return get(api, "/v1/status").json()


def root_at(api: str, height: int) -> str | None:
    reply = get(api, f"/v1/blocks/{height}")
    if reply.status != 200:
        return None
    return reply.json()["header"]["state_root"]


def test_an_observer_state_syncs_then_follows_blocks_with_the_same_state_roots(
        tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4, observers=1)
    validators, observer = nets[:4], nets[4]
    procs = [NodeProcess(n).start() for n in validators]
    try:  # every process started goes into `procs`: all are stopped at the end
        for p in procs:
            p.wait_ready()
        for n in range(2):
            issue_voucher(validators[0], f"HT-SYNC-{n}")
        synced_at = status(validators[0].api)["height"]
        follower = NodeProcess(observer)
        procs.append(follower)
        follower.start(args=("--state-sync",))
        follower.wait_ready()
        wait_for(lambda: status(observer.api)["height"] >= synced_at, 60, "the state sync")
        log = follower.stderr()
        assert "state-synced to height" in log, log[-3000:]
        issue_voucher(validators[0], "HT-SYNC-AFTER")
        top = status(validators[0].api)["height"]
        wait_for(lambda: status(observer.api)["height"] >= top, 60, "block sync after it")
        base = int(log.split("state-synced to height ")[1].split()[0])
        assert base >= synced_at
        for height in range(base, top + 1):
            theirs = root_at(validators[1].api, height)
            assert theirs is not None
            assert root_at(observer.api, height) == theirs, height
        assert root_at(observer.api, base - 1) is None  # no blocks below its base
        # Nor events: a stream read from its start says so; from the base on it reads.
        agency = observer.members["agency"].address.hex()
        early = get(observer.api, f"/v1/events?address={agency}")
        assert (early.status, early.error_code()) == (400, "events.before_base"), early.body
        cursor = (base.to_bytes(8, "big") + bytes(4)).hex()
        later = get(observer.api, f"/v1/events?address={agency}&after={cursor}")
        assert later.status == 200, later.body
        follower.stop()
        again = NodeProcess(observer)
        procs.append(again)
        again.start()
        again.wait_ready()
        assert status(observer.api)["height"] >= top
        assert "state-synced" not in again.stderr()
        again.stop()
    finally:
        for p in procs:
            if p.process is not None:
                p.stop()


async def test_a_server_pins_at_most_two_snapshots_and_lets_them_go_when_unused(
        tmp_path: Path) -> None:
    w = world(tmp_path, vouchers=1)
    serving = Replication(w.source, tmp_path / "source")
    sent: list[tuple[str, object]] = []
    link = Link(w.fresh.address, "fresh", None)  # type: ignore[arg-type]
    link.send = lambda kind, payload: sent.append((kind, payload)) or True  # type: ignore
    heights = []
    for _ in range(3):
        await serving.on_frame(link, "get_snapshot", [])
        heights.append(decode(Manifest, sent[-1][1][0]).height)  # type: ignore[index]
        certify(w.source.chain, w.keys, [])
    assert len(serving.snapshots.pins) == 2
    assert heights[2] == heights[1]  # both pins in use: the newer one serves
    await serving.on_frame(link, "get_chunk", [heights[0], 0])
    assert sent[-1][0] == "chunk"
    loop_time = asyncio.get_running_loop().time()
    serving.snapshots.release(loop_time + state_sync.PIN_S + 1)
    assert serving.snapshots.pins == {}
    for kind, payload, code in (("get_chunk", [heights[0], 0], "sync.no_snapshot"),
                                ("get_chunk", ["x"], "peer.bad_frame"),
                                ("get_headers", [5, 1], "peer.bad_frame"),
                                ("get_snapshot", [1], "peer.bad_frame")):
        with pytest.raises(PeerError) as refused:
            await serving.on_frame(link, kind, payload)
        assert refused.value.code == code
    w.source.close()
    w.fresh.close()


def test_a_state_synced_validator_signs_blocks_with_the_same_state_roots(
        tmp_path: Path) -> None:
    # Five validators of power 1: the four started first make blocks (4 > 2/3 of 5).
    nets = make_cluster(tmp_path, validators=5)
    procs = [NodeProcess(n) for n in nets]
    try:  # every process started is in `procs`: all are stopped at the end
        for p in procs[:4]:
            p.start()
        for p in procs[:4]:
            p.wait_ready()
        issue_voucher(nets[0], "HT-VALIDATOR-SYNC")
        late = nets[4]
        procs[4].start(args=("--state-sync",))
        procs[4].wait_ready()
        wait_for(lambda: "state-synced to height" in procs[4].stderr(), 60, "the state sync")
        me = late.validator.address.hex()

        def signed_by_late() -> int | None:
            top = status(nets[0].api)["height"]
            for height in range(max(1, top - 5), top + 1):
                view = get(nets[0].api, f"/v1/blocks/{height}").json()
                if me in {p["validator"] for p in view["certificate"]["precommits"]}:
                    return height
            return None

        height = wait_for(signed_by_late, 60, "a precommit of the state-synced validator")
        theirs = root_at(nets[1].api, height)
        assert theirs is not None
        wait_for(lambda: root_at(late.api, height) is not None, 30, "the block it signed")
        assert root_at(late.api, height) == theirs
    finally:
        for p in procs:
            if p.process is not None:
                p.stop()
