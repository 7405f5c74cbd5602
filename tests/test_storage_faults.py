"""Storage faults on real LevelDB: a damaged store is refused at start or stops the node at
the first bad read (never a wrong answer), a full disk stops it with nothing half-written,
`verify-store` checks everything, and `resync` rebuilds a damaged validator from its peers.

Exit codes: 3 `store.corrupt`, 4 `store.write_failed`, 0 for a finished resync.
"""

from __future__ import annotations

import resource
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import plyvel
import pytest

from contracts.codec import decode, encode
from node.blocks import Block, Head, Header
from node.chain import STARTUP_CHECK_BLOCKS
from node.cli import EXIT_RESYNC_FAILED, EXIT_STORE_CORRUPT, EXIT_WRITE_FAILED
from node.config import load_network
from node.service import Node
from node.store import HEAD_MARK, StoreCorrupt, StoreWriteFailed
from tests.nodeproc import (
    DAY_MS,
    Network,
    NodeProcess,
    apply_tx,
    commit,
    free_port,
    get,
    issue_voucher,
    make_cluster,
    make_network,
    node_command,
    now_ms,
    post_tx,
    tx_id,
    wait_committed,
)

pytestmark = pytest.mark.process


# ------------------------------------------------------------------ helpers


def ledger(net: Network) -> Path:
    return net.data_dir / "ledger"


def build_chain(net: Network, height: int, txs: int = 3) -> Node:
    """Commit `txs` applications (a block each), then empty blocks up to `height`, in
    process, as the node itself does; the node is returned closed."""
    node = Node(load_network(net.network_file), net.data_dir, net.validator)
    try:
        for i in range(txs):
            tx = apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS, f"HT-BUILD-{i}")
            node.mempool.submit(encode(tx), now_ms())
            node.produce(now_ms())
        while node.chain.head.height < height:
            node.produce(now_ms())
    finally:
        node.close()
    return node


def raw_db(path: Path) -> plyvel.DB:
    return plyvel.DB(str(path), paranoid_checks=True)


def stored_head(path: Path) -> Head:
    db = raw_db(path)
    try:
        return decode(Head, db.get(b"meta/head"))
    finally:
        db.close()


def compact(path: Path) -> None:
    """Move everything from LevelDB's log into table files."""
    db = raw_db(path)
    db.compact_range()
    db.close()


def flip_byte_of(path: Path, needle: bytes) -> list[Path]:
    """Flip one byte inside every occurrence of `needle` in the store's table files
    (hashes do not compress, so they appear as they are). Every one: a table a
    compaction left behind may hold it too until LevelDB deletes that file."""
    flipped = []
    for table in sorted(path.glob("*.ldb")):
        data = bytearray(table.read_bytes())
        at = data.find(needle)
        while at >= 0:
            data[at + len(needle) // 2] ^= 0xFF
            at = data.find(needle, at + len(needle))
        if table.read_bytes() != bytes(data):
            table.write_bytes(bytes(data))
            flipped.append(table)
    assert flipped, "the bytes are in no table file"
    return flipped


def block_key(height: int) -> bytes:
    return b"b/" + height.to_bytes(8, "big")


def block_header(path: Path, height: int) -> Header:
    db = raw_db(path)
    try:
        return decode(Block, db.get(block_key(height))).header
    finally:
        db.close()


def reads_fail(path: Path, key: bytes) -> bool:
    db = raw_db(path)
    try:
        db.get(key, verify_checksums=True)
    except plyvel.CorruptionError:
        return True
    finally:
        db.close()
    return False

# Long enough that some old block lies in a table block of its own kind: a table block
# holds a few dozen records, and the first holds the genesis state beside the first blocks.
OLD_BLOCKS_CHAIN = 8 * STARTUP_CHECK_BLOCKS


def corrupt_an_old_block(net: Network, height: int) -> int:
    """Flip a byte of the state root of the lowest block whose table block holds nothing
    a start reads (the state, whose governance schedules and validator sets a start
    reads, the store's marks, the last blocks): which keys share a table block with an
    old block depends on how LevelDB flushed them. The corrupted block's height."""
    store = ledger(net)
    compact(store)
    db = raw_db(store)
    try:
        keys = list(db.iterator(include_value=False))
    finally:
        db.close()
    recent = {block_key(h) for h in range(height - STARTUP_CHECK_BLOCKS, height + 1)}
    read_at_start = [k for k in keys if k in recent or not k.startswith((b"b/", b"s/"))
                     or k.startswith((b"s/g", b"s/n/"))]  # schedules, validator sets
    spare = store.with_name("ledger.spare")
    for candidate in range(1, height - STARTUP_CHECK_BLOCKS, 8):
        shutil.copytree(store, spare)
        flip_byte_of(spare, block_header(spare, candidate).tx_root)
        if reads_fail(spare, block_key(candidate)) \
                and not any(reads_fail(spare, k) for k in read_at_start):
            shutil.rmtree(store)
            spare.rename(store)
            return candidate
        shutil.rmtree(spare)
    raise AssertionError("every old block shares a table block with what a start reads")


def start_refused(net: Network) -> tuple[int, str]:
    node = NodeProcess(net).start()
    try:
        code = node.wait_exit(timeout=30)
    finally:
        node.kill()
    return code, node.stderr()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


# ------------------------------------------------------------------ corruption at start


def test_a_flipped_byte_in_the_head_block_is_refused_at_start(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    build_chain(net, height=6)
    compact(ledger(net))
    head = stored_head(ledger(net))
    flip_byte_of(ledger(net), block_header(ledger(net), head.height).tx_root)
    assert reads_fail(ledger(net), block_key(head.height))

    code, log = start_refused(net)
    assert code == EXIT_STORE_CORRUPT, log
    assert last_line(log).startswith("Error: store.corrupt: "), log
    assert "block checksum mismatch" in log and "claimledger-node resync" in last_line(log)
    assert "serving" not in log


def test_a_cut_short_log_is_refused_at_start_though_leveldb_opens_it(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    committed = build_chain(net, height=8).chain.head
    (log_file,) = ledger(net).glob("*.log")  # every block of that run is only in the log
    log_file.write_bytes(log_file.read_bytes()[: log_file.stat().st_size * 2 // 3])
    # LevelDB takes the cut for a crash in the middle of a write: it opens, blocks fewer.
    assert stored_head(ledger(net)).height < committed.height

    code, log = start_refused(net)
    assert code == EXIT_STORE_CORRUPT, log
    assert f"committed block {committed.height}" in last_line(log), log
    assert "lost committed blocks" in last_line(log)


def test_a_flipped_byte_in_the_log_is_refused_when_the_store_opens(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    build_chain(net, height=8)
    (log_file,) = ledger(net).glob("*.log")
    data = bytearray(log_file.read_bytes())
    data[len(data) // 3] ^= 0xFF
    log_file.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt) as corrupt:
        Node(load_network(net.network_file), net.data_dir, net.validator)
    assert corrupt.value.code == "store.corrupt"


def test_a_sound_store_starts_and_its_mark_follows_the_head(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    head = build_chain(net, height=4).chain.head
    assert (ledger(net) / HEAD_MARK).exists()
    node = Node(load_network(net.network_file), net.data_dir, net.validator)
    try:
        assert node.chain.head == head
    finally:
        node.close()


# ------------------------------------------------------------------ corruption at run time


def test_a_bad_block_read_at_run_time_stops_the_node_and_everything_after(
    tmp_path: Path,
) -> None:
    net = make_network(tmp_path / "net")
    height = OLD_BLOCKS_CHAIN
    build_chain(net, height=height)
    bad = corrupt_an_old_block(net, height)
    assert reads_fail(ledger(net), block_key(bad))
    assert not reads_fail(ledger(net), block_key(height))  # start does not read block `bad`

    node = Node(load_network(net.network_file), net.data_dir, net.validator)
    try:
        assert node.chain.head.height == height and node.fault is None
        with pytest.raises(StoreCorrupt) as corrupt:
            node.store.block(bad)
        assert corrupt.value.code == "store.corrupt"
        assert node.fault is not None and node.stopping
        # From now on nothing is read, not even what is sound.
        with pytest.raises(StoreCorrupt):
            node.store.head()
        with pytest.raises(StoreCorrupt):
            node.produce(now_ms())
    finally:
        node.close()


def test_a_header_is_read_alone_and_a_malformed_block_is_corruption(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    height = 2 * STARTUP_CHECK_BLOCKS  # start checks the last blocks, not block 2
    build_chain(net, height=height, txs=2)
    with raw_db(ledger(net)) as db:  # block 2 becomes bytes that are no [header, txs]
        db.put(block_key(2), b"\x91\xc0")
    node = Node(load_network(net.network_file), net.data_dir, net.validator)
    try:
        for h in (1, 3, height):
            block = node.store.block(h)
            assert block is not None and node.store.header(h) == block.header
        assert node.store.header(height + 1) is None
        with pytest.raises(StoreCorrupt) as corrupt:
            node.store.header(2)
        assert corrupt.value.code == "store.corrupt" and node.stopping
    finally:
        node.close()


def test_an_api_read_that_meets_corruption_answers_503_and_the_node_exits_3(
    tmp_path: Path,
) -> None:
    net = make_network(tmp_path / "net")
    height = OLD_BLOCKS_CHAIN
    build_chain(net, height=height)
    bad = corrupt_an_old_block(net, height)

    node = NodeProcess(net).start()
    try:
        node.wait_ready(path="/health")
        reply = get(net.api, f"/v1/blocks/{bad}")
        assert reply.error_code() == "store.corrupt"
        assert reply.status == 503, reply.body
        code = node.wait_exit(timeout=30)
    finally:
        node.kill()
    log = node.stderr()
    assert code == EXIT_STORE_CORRUPT, log
    assert "CRITICAL" in log and "the node stops" in log
    # The signed read first reads the caller's membership (the read rules), then block 1:
    # whichever of them the flipped byte spoils is named.
    assert last_line(log).startswith("Error: store.corrupt: reading "), log


# ------------------------------------------------------------------ verify-store


def test_verify_store_checks_everything_start_does_not(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    head = build_chain(net, height=3 * STARTUP_CHECK_BLOCKS).chain.head
    done = node_command(net, "verify-store", key=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"store ok: height {head.height}, block {head.block_id.hex()}")

    # A state record changed behind the chain's back, checksums and all: start cannot see
    # it, executing the chain again does.
    db = raw_db(ledger(net))
    key, value = next(iter(db.iterator(prefix=b"s/")))
    db.put(key, value + b"\x00", sync=True)
    db.close()
    node = Node(load_network(net.network_file), net.data_dir, net.validator)
    node.close()
    done = node_command(net, "verify-store", key=False)
    assert done.returncode == EXIT_STORE_CORRUPT, done.stderr
    assert "differs from what executing the chain gives" in last_line(done.stderr)

    compact(ledger(net))
    flip_byte_of(ledger(net), block_header(ledger(net), 1).state_root)
    done = node_command(net, "verify-store", key=False)
    assert done.returncode == EXIT_STORE_CORRUPT, done.stderr
    assert "block checksum mismatch" in last_line(done.stderr)


# ------------------------------------------------------------------ disk full


class RefusedBatch:
    """A write batch whose write fails as plyvel fails on a full disk."""

    def __init__(self, batch) -> None:
        self.batch = batch

    def put(self, key: bytes, value: bytes) -> None:
        self.batch.put(key, value)

    def delete(self, key: bytes) -> None:
        self.batch.delete(key)

    def write(self) -> None:
        raise plyvel.IOError(b"IO error: 000003.log: No space left on device")


class FullDisk:
    def __init__(self, db: plyvel.DB) -> None:
        self.db = db

    def __getattr__(self, name: str):
        return getattr(self.db, name)

    def write_batch(self, **options) -> RefusedBatch:
        return RefusedBatch(self.db.write_batch(**options))


def test_a_refused_write_batch_stops_the_node_and_stores_nothing_of_the_block(
    tmp_path: Path,
) -> None:
    net = make_network(tmp_path / "net")
    before = build_chain(net, height=5).chain.head
    node = Node(load_network(net.network_file), net.data_dir, net.validator)
    tx = apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS, "HT-FULL")
    try:
        node.mempool.submit(encode(tx), now_ms())
        node.store.db = FullDisk(node.store.db)  # type: ignore[assignment]
        with pytest.raises(StoreWriteFailed) as refused:
            node.produce(now_ms())
        assert refused.value.code == "store.write_failed"
        assert "No space left on device" in refused.value.message
        assert node.chain.head == before and node.fault is not None and node.stopping
    finally:
        node.close()
    again = Node(load_network(net.network_file), net.data_dir, net.validator)
    try:
        assert again.chain.head == before
        assert again.store.tx_record(tx_id(tx)) is None
        assert again.store.block(before.height + 1) is None
    finally:
        again.close()


def small_files(limit_bytes: int):
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return limit


def test_a_disk_that_refuses_writes_stops_the_node_and_it_resumes_with_nothing_lost(
    tmp_path: Path,
) -> None:
    """A real refused write: the node process may not grow a file beyond 64 KiB, so
    LevelDB's log fills up mid-block, as on a full disk."""
    net = make_network(tmp_path / "net")
    node = NodeProcess(net).start(preexec_fn=small_files(64 << 10))
    committed: dict[str, int] = {}
    last: str | None = None
    try:
        node.wait_ready()
        for i in range(400):
            tx = apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS, f"HT-DISK-{i}")
            try:
                reply = post_tx(net.api, tx)
                if reply.status != 202:
                    break
                last = tx_id(tx).hex()
                committed[last] = wait_committed(net.api, last, timeout=5)["height"]
            except (OSError, AssertionError):
                break
        code = node.wait_exit(timeout=30)
    finally:
        node.kill()
    log = node.stderr()
    assert code == EXIT_WRITE_FAILED, log
    assert "File too large" in log
    assert last_line(log).startswith("Error: store.write_failed: writing block "), log
    assert len(committed) >= 5
    head_height = max(committed.values())

    with running_node(net) as api:
        status = get(api, "/v1/status").json()
        assert status["height"] == head_height
        for tx, height in committed.items():
            view = get(api, f"/v1/txs/{tx}").json()
            assert view["status"] == "committed" and view["height"] == height
        if last not in committed:  # the block that failed: gone whole, not in part
            assert get(api, f"/v1/txs/{last}").status == 404
        later = commit(api, apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS,
                                     "HT-AFTER-DISK"))
        assert later["height"] == head_height + 1
    done = node_command(net, "verify-store", key=False)
    assert done.returncode == 0, done.stderr


@contextmanager
def running_node(net: Network) -> Iterator[str]:
    node = NodeProcess(net).start()
    try:
        node.wait_ready()
        yield net.api
        assert node.stop() == 0
    finally:
        node.kill()


# ------------------------------------------------------------------ resync


def status(net: Network) -> dict:
    return get(net.api, "/v1/status", timeout=5).json()


def wait_tx(net: Network, tx: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while get(net.api, f"/v1/txs/{tx}?wait_ms=500").json().get("status") != "committed":
        assert time.monotonic() < deadline, f"{tx} never committed at {net.api}"


def test_resync_rebuilds_a_corrupted_validator_which_rejoins_the_cluster(
    tmp_path: Path,
) -> None:
    nets = make_cluster(tmp_path, validators=4, timing={"sync_batch_blocks": 2})
    broken = nets[3]
    procs = [NodeProcess(net).start() for net in nets]
    try:
        for proc in procs:
            proc.wait_ready()
        issue_voucher(nets[0])
        assert procs[3].stop() == 0
        wal = (broken.data_dir / "consensus.wal").read_bytes()
        assert wal

        compact(ledger(broken))
        head = stored_head(ledger(broken))
        flip_byte_of(ledger(broken), block_header(ledger(broken), head.height).tx_root)
        code, log = start_refused(broken)
        assert code == EXIT_STORE_CORRUPT and "store.corrupt" in last_line(log), log

        # The other three go on; the rebuilt node must bring what they commit meanwhile.
        while_away = apply_tx(nets[0].chain_id, nets[0].members, now_ms() + 90 * DAY_MS,
                              "HT-WHILE-AWAY")
        commit(nets[1].api, while_away)

        done = node_command(broken, "resync", timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("resynced to height "), done.stdout
        assert int(done.stdout.split()[3]) >= status(nets[1])["height"] - 2  # their head
        (aside,) = broken.data_dir.glob("store.corrupt-*")
        assert (aside / "CURRENT").exists()  # moved, not deleted
        assert (broken.data_dir / "consensus.wal").read_bytes() == wal  # never reset

        procs[3] = NodeProcess(broken).start()
        procs[3].wait_ready()
        wait_tx(broken, tx_id(while_away).hex())
        # With a second validator down, a block needs the rebuilt one's precommit.
        assert procs[2].stop() == 0
        voted = apply_tx(nets[0].chain_id, nets[0].members, now_ms() + 90 * DAY_MS, "HT-BACK")
        assert post_tx(broken.api, voted).status == 202
        live = [nets[0], nets[1], broken]
        for net in live:
            wait_tx(net, tx_id(voted).hex(), timeout=30)
        height = min(status(net)["height"] for net in live)
        for h in range(1, height + 1):
            views = [get(net.api, f"/v1/blocks/{h}").json() for net in live]
            assert len({(v["id"], v["header"]["state_root"]) for v in views}) == 1, (h, views)
        assert procs[3].stop() == 0
        done = node_command(broken, "verify-store", key=False)
        assert done.returncode == 0, done.stderr
    finally:
        for proc in procs:
            proc.kill()


def test_resync_never_moves_the_store_of_a_running_node(tmp_path: Path) -> None:
    nets = make_cluster(tmp_path, validators=4)
    node = NodeProcess(nets[0]).start()
    try:
        node.wait_ready()
        done = node_command(nets[0], "resync", "--peer", f"127.0.0.1:{free_port()}")
        assert done.returncode == 1, done.stderr
        assert last_line(done.stderr).startswith("Error: store.in_use: "), done.stderr
        assert (ledger(nets[0]) / "CURRENT").exists()
        assert not list(nets[0].data_dir.glob("store.corrupt-*"))
        assert node.alive()
    finally:
        node.kill()


def test_resync_needs_another_validator(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    build_chain(net, height=2)
    done = node_command(net, "resync")
    assert done.returncode == EXIT_RESYNC_FAILED, done.stderr
    assert "only validator" in last_line(done.stderr)
    assert not list(net.data_dir.glob("store.corrupt-*"))


def test_a_corrupt_store_met_at_start_stops_the_node_before_it_serves(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    build_chain(net, height=4, txs=2)
    with raw_db(ledger(net)) as db:  # a recent block the start check reads
        db.put(block_key(3), b"\x91\xc0")
    with pytest.raises(StoreCorrupt) as corrupt:
        Node(load_network(net.network_file), net.data_dir, net.validator)
    assert corrupt.value.code == "store.corrupt"
