"""An online backup of a running node's store: a consistent copy, made by the node itself.

LevelDB lets one process open a database, so `claimledger-node backup` asks the running
node through its admin socket, DATA/admin.sock: a Unix socket that only the node's own
operating-system user may open (mode 0600), never a network port. The node takes a
LevelDB snapshot between two commits (on its event loop, where blocks are committed, so
the snapshot and the head it names belong together), copies every key of it into a new
LevelDB at OUT/ledger from a worker thread while blocks go on committing, writes the
store's head mark beside it, and then OUT/backup.json, which names the head the copy
holds.

What a backup holds: the ledger store (blocks, certificates, state, indices), nothing
else. Never a key: the node key lives in its key store file, outside the data directory.
Not the consensus signing log (DATA/consensus.wal): it records the votes this validator
signed, and an old copy of it put back would let the validator sign twice; a restore
keeps the node's current one (see the README's runbook).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import plyvel
from aiohttp import web

from contracts.codec import encode
from contracts.errors import LedgerError
from node.blocks import Head
from node.operations import release_version
from node.store import HEAD_MARK, HeadMark

if TYPE_CHECKING:
    from node.service import Node

log = logging.getLogger("claimledger.backup")

ADMIN_SOCKET = "admin.sock"  # in the data directory
MANIFEST = "backup.json"
BATCH_BYTES = 4 << 20  # keys and values written to the copy per batch
BACKUP_TIMEOUT_S = 3600
MAX_SOCKET_PATH_BYTES = 107  # sun_path holds 108 bytes with the final NUL (Linux)


class BackupError(LedgerError):
    """A backup that could not be made: `backup.*` code and a sentence."""


@dataclass(frozen=True)
class Manifest:
    """OUT/backup.json: what the copy holds."""

    chain_id: str
    genesis_id: str
    height: int
    block_id: str
    state_root: str
    time_ms: int
    keys: int
    bytes: int
    release: str
    made_at: str  # UTC, when the snapshot was taken


def copy_snapshot(snapshot: plyvel.Snapshot, target: Path) -> tuple[int, int]:
    """Every key of `snapshot` into a new LevelDB at `target`, checksums verified on the
    way; (keys, bytes of keys and values). The last batch is synced."""
    keys = size = pending = 0
    items: list[tuple[bytes, bytes]] = []
    db = plyvel.DB(str(target), create_if_missing=True, error_if_exists=True,
                   paranoid_checks=True)
    try:
        with snapshot.iterator(verify_checksums=True, fill_cache=False) as it:
            for key, value in it:
                if pending >= BATCH_BYTES:  # before adding: the last batch is never empty
                    with db.write_batch() as batch:
                        for k, v in items:
                            batch.put(k, v)
                    size += pending
                    items, pending = [], 0
                items.append((key, value))
                keys += 1
                pending += len(key) + len(value)
        with db.write_batch(sync=True) as batch:  # synced: so is every write before it
            for k, v in items:
                batch.put(k, v)
        size += pending
    finally:
        db.close()
    return keys, size


def write_backup(snapshot: plyvel.Snapshot, head: Head, manifest: dict[str, Any],
                 out: Path) -> Manifest:
    """The copy at OUT/ledger, its head mark and OUT/backup.json; a copy cut short is
    left at OUT/ledger.partial and never named ledger. The snapshot is closed here, in the
    thread that reads it, once it is read."""
    partial = out / "ledger.partial"
    try:
        keys, size = copy_snapshot(snapshot, partial)
    finally:
        snapshot.close()
    (partial / HEAD_MARK).write_bytes(encode(HeadMark(head.height, head.block_id)))
    os.replace(partial, out / "ledger")
    done = Manifest(**manifest, keys=keys, bytes=size)
    text = json.dumps(asdict(done), indent=2) + "\n"
    (out / (MANIFEST + ".tmp")).write_text(text, encoding="utf-8")
    os.replace(out / (MANIFEST + ".tmp"), out / MANIFEST)
    return done


def prepare_target(out: Path) -> None:
    """OUT must be an absolute path to a directory that is missing or empty."""
    if not out.is_absolute():
        raise BackupError("backup.bad_target", f"{out} is not an absolute path")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError("backup.target_exists", f"{out} exists and is not an empty "
                          "directory: a backup never overwrites anything")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)


class Backups:
    """The node's side: one backup at a time, awaited before the store closes."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.running: asyncio.Future | None = None

    async def make(self, out: Path) -> Manifest:
        node = self.node
        if self.running is not None:
            raise BackupError("backup.busy", "a backup is being made; one at a time")
        if node.stopping:
            raise BackupError("backup.stopping", "the node is stopping")
        prepare_target(out)
        genesis_id = node.store.genesis_id() or b""
        # On the event loop, between two commits: the snapshot holds exactly this head.
        head = node.chain.head
        snapshot = node.store.db.snapshot()
        manifest = {
            "chain_id": node.chain.chain_id, "genesis_id": genesis_id.hex(),
            "height": head.height, "block_id": head.block_id.hex(),
            "state_root": head.state_root.hex(), "time_ms": head.time_ms,
            "release": release_version(),
            "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        log.info("backing up height %d to %s", head.height, out)
        # Busy until the thread ends, even if this request goes away first.
        task = asyncio.ensure_future(
            asyncio.to_thread(write_backup, snapshot, head, manifest, out))
        self.running = task
        task.add_done_callback(self._finished)
        try:
            done = await asyncio.shield(task)
        except plyvel.Error as e:
            raise BackupError("backup.failed", f"copying the store failed: {e}") from e
        except OSError as e:
            raise BackupError("backup.failed", f"writing {out} failed: {e.strerror or e}") \
                from e
        log.info("backed up height %d to %s: %d keys, %d bytes", done.height, out,
                 done.keys, done.bytes)
        return done

    def _finished(self, task: asyncio.Future) -> None:
        if self.running is task:
            self.running = None

    async def wait(self) -> None:
        """Until a running backup ends (before the store closes under it)."""
        if self.running is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.running)


async def post_backup(request: web.Request) -> web.Response:
    backups: Backups = request.app[BACKUPS]
    try:
        body = await request.json()
        out = Path(body["out"])
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": {"code": "backup.bad_request", "message":
                                            'the body is {"out": "/absolute/path"}'}},
                                 status=400)
    try:
        done = await backups.make(out)
    except BackupError as e:
        status = 409 if e.code in ("backup.busy", "backup.target_exists") else 500
        return web.json_response({"error": {"code": e.code, "message": e.message}},
                                 status=status)
    return web.json_response(asdict(done))


BACKUPS = web.AppKey("backups", Backups)


class AdminSocket:
    """DATA/admin.sock: the operator's commands to a running node (a backup)."""

    def __init__(self, node: Node, data_dir: Path) -> None:
        self.path = data_dir / ADMIN_SOCKET
        self.backups = Backups(node)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on DATA/admin.sock; a path too long for a Unix socket (over 107 bytes)
        or one that cannot be bound leaves the node without online backups, said at
        WARNING, never without its service."""
        if len(os.fsencode(self.path)) > MAX_SOCKET_PATH_BYTES:
            log.warning("no online backups: %s is longer than a Unix socket path may be "
                        "(%d bytes); use a shorter data directory", self.path,
                        MAX_SOCKET_PATH_BYTES)
            return
        try:
            await self._listen()
        except OSError as e:
            log.warning("no online backups: cannot listen on %s: %s", self.path,
                        e.strerror or e)
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None

    async def _listen(self) -> None:
        app = web.Application()
        app[BACKUPS] = self.backups
        app.router.add_post("/backup", post_backup)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self.path.unlink(missing_ok=True)  # left by a node that was killed
        # Created private: no other user may connect between bind and chmod.
        old = os.umask(0o177)
        try:
            await web.UnixSite(self._runner, str(self.path)).start()
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.path.unlink(missing_ok=True)
        await self.backups.wait()


async def request_backup(data_dir: Path, out: Path,
                         timeout_s: float = BACKUP_TIMEOUT_S) -> dict[str, Any]:
    """Ask the node running on `data_dir` for a backup at `out`; its manifest, or
    BackupError."""
    path = data_dir / ADMIN_SOCKET
    if not path.exists():
        raise BackupError("backup.no_node", f"no node runs on {data_dir} ({path} is "
                          "missing); a stopped node's data directory can be copied as is")
    connector = aiohttp.UnixConnector(path=str(path))
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session, \
                session.post("http://node/backup", json={"out": str(out)}) as reply:
            answer = await reply.json()
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
        raise BackupError("backup.no_node", f"the node on {data_dir} does not answer on "
                          f"{path}: {e}") from e
    if "error" in answer:
        raise BackupError(answer["error"]["code"], answer["error"]["message"])
    return answer
