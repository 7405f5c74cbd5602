"""An append-only log of checksummed records: what a validator signed, written first.

Format. A log is a sequence of records, nothing else (no file header):

    record  = length  crc  payload
    length  = u32 big-endian, 1..MAX_RECORD_BYTES (256 KiB), the payload's size
    crc     = u32 big-endian, CRC-32 (zlib) of the 4 length bytes followed by the payload
    payload = `length` bytes, opaque here (the signing guard writes msgpack arrays)

Reading. Records are read from the start. A record that is cut short by the end of the
log, or fails its checksum, ends the log *if no valid record follows it*: that is a torn
last write, which was never synced and so never acknowledged, and it is reported and cut
off. A bad record with a valid record anywhere after it is corruption of data that was
synced: reading refuses it (`WalCorrupt`) rather than forget what was signed.

The state machine never touches files: it is handed a `Wal`. `MemoryWal` is for tests and
the simulator (a crash keeps the synced prefix and perhaps part of the rest); `FileWal`
is the one place in this package that does I/O, and only when a node constructs one.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

HEADER = struct.Struct(">II")
MAX_RECORD_BYTES = 1 << 18  # a lock's polka from 1024 validators fits


class WalCorrupt(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def encode_record(payload: bytes) -> bytes:
    assert 0 < len(payload) <= MAX_RECORD_BYTES, "a record holds 1 byte to 256 KiB"
    length = struct.pack(">I", len(payload))
    return length + struct.pack(">I", zlib.crc32(length + payload)) + payload


@dataclass(frozen=True)
class LogScan:
    payloads: tuple[bytes, ...]
    valid_bytes: int  # the log's length up to the end of the last good record
    torn_bytes: int  # what follows it: a torn last write, to be cut off


def _record_at(data: bytes, offset: int) -> bytes | None:
    """The payload of a whole, valid record at `offset`, or None."""
    if len(data) - offset < HEADER.size:
        return None
    length, crc = HEADER.unpack_from(data, offset)
    end = offset + HEADER.size + length
    if not 0 < length <= MAX_RECORD_BYTES or end > len(data):
        return None
    payload = data[offset + HEADER.size : end]
    if zlib.crc32(data[offset : offset + 4] + payload) != crc:
        return None
    return payload


def scan_log(data: bytes) -> LogScan:
    """Split a log into its records; a torn tail is reported, corruption raised."""
    payloads: list[bytes] = []
    offset = 0
    while offset < len(data):
        payload = _record_at(data, offset)
        if payload is None:
            # Bounded by the log's size: each start offset is tried once.
            for later in range(offset + 1, len(data) - HEADER.size + 1):
                if _record_at(data, later) is not None:
                    raise WalCorrupt(
                        "wal.corrupt",
                        f"bad record at byte {offset} with a valid record after it",
                    )
            return LogScan(tuple(payloads), offset, len(data) - offset)
        payloads.append(payload)
        offset += HEADER.size + len(payload)
    return LogScan(tuple(payloads), offset, 0)


class Wal(Protocol):
    """What the signing guard needs of a log."""

    def records(self) -> tuple[bytes, ...]:
        """The payloads read when the log was opened (a torn tail already cut off)."""
        ...

    def append(self, payload: bytes) -> None: ...

    def sync(self) -> None:
        """Return only once every appended record is durable."""
        ...

    def rewrite(self, payloads: Sequence[bytes]) -> None:
        """Atomically replace the whole log with `payloads`, durably."""
        ...


class MemoryWal:
    """A log in memory with a synced prefix, to model crashes exactly."""

    def __init__(self, data: bytes = b"") -> None:
        scan = scan_log(data)
        self.torn_bytes = scan.torn_bytes
        self._opened = scan.payloads
        self.data = bytearray(data[: scan.valid_bytes])
        self.synced = len(self.data)

    def records(self) -> tuple[bytes, ...]:
        return self._opened

    def append(self, payload: bytes) -> None:
        self.data += encode_record(payload)

    def sync(self) -> None:
        self.synced = len(self.data)

    def rewrite(self, payloads: Sequence[bytes]) -> None:
        self.data = bytearray(b"".join(encode_record(p) for p in payloads))
        self.synced = len(self.data)

    def after_crash(self, unsynced_kept: int = 0) -> MemoryWal:
        """The log as a restart finds it: the synced prefix and `unsynced_kept` bytes of
        what was appended but not synced (the disk may have written some of it)."""
        assert 0 <= unsynced_kept <= len(self.data) - self.synced
        return MemoryWal(bytes(self.data[: self.synced + unsynced_kept]))


class FileWal:
    """A log in one file: os.write to append, os.fsync to sync, rename to rewrite."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        existed = os.path.exists(self.path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        data = b""
        while chunk := os.read(self._fd, 1 << 20):
            data += chunk
        scan = scan_log(data)
        self.torn_bytes = scan.torn_bytes
        self._opened = scan.payloads
        if scan.torn_bytes:
            os.ftruncate(self._fd, scan.valid_bytes)
            os.fsync(self._fd)
        if not existed:
            _fsync_dir(self.path)

    def records(self) -> tuple[bytes, ...]:
        return self._opened

    def append(self, payload: bytes) -> None:
        _write_all(self._fd, encode_record(payload))

    def sync(self) -> None:
        os.fsync(self._fd)

    def rewrite(self, payloads: Sequence[bytes]) -> None:
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, b"".join(encode_record(p) for p in payloads))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        _fsync_dir(self.path)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)

    def close(self) -> None:
        os.close(self._fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        assert written > 0
        view = view[written:]


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
