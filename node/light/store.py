"""A light node's own store (LevelDB in DATA/light): the headers it verified, and its
member's events and records, each record with the proof that showed it.

Key layout (every value the canonical encoding of the record named):

    H/<height: 8 bytes>        StoredHeader: a verified header and its certificate
    T                          TrustPoint: the height verified up to, and the validator
                               powers that check the next certificate
    S                          StreamPoint: the member's stream record as last proven,
                               and the cursor of the last event it covers
    E/<cursor: 12 bytes>       AddressedEvent: the member's events, in stream order
    R/<kind>/<id>              ProvenRecord: a record (or its absence) with its proof

(Upper case: these are the light store's own keys, never the ledger state's, which
contracts/ spells in lower case.)

A header is written only with the trust point that accepts it, in one write batch, and
every header names the one below it (`prev_hash`, checked by contracts.proofs.advance):
the stored headers form a hash chain from the genesis, and the trust point never moves
back. Events, the stream point and the records proven with them go in one batch too:
after a crash the store holds a round's work whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import plyvel

from contracts.blocks import CertificateRecord, Header, Validator
from contracts.codec import Height, Name, Size, decode, encode
from contracts.errors import LedgerError
from contracts.streams import START, AddressedEvent, Stream

HEADER = b"H/"
EVENT = b"E/"
EVENT_END = b"E0"  # the first key after every E/ key
RECORD = b"R/"
TRUST = b"T"
STREAM = b"S"
MAX_VALUE_BYTES = 1 << 22  # a stored record, proof included: 256 siblings are 8 KB


class LightStoreError(LedgerError):
    """The light store cannot be opened (`light.store_in_use`) or holds something its
    writers never write (`light.store_corrupt`)."""


@dataclass(frozen=True)
class StoredHeader:
    header: Header
    certificate: CertificateRecord | None  # None for the genesis, trusted by its id


@dataclass(frozen=True)
class TrustPoint:
    height: Height
    validators: Annotated[tuple[Validator, ...], Size(1, 1024)]  # in force at height + 1

    @property
    def powers(self) -> dict[bytes, int]:
        return {v.key: v.power for v in self.validators}


@dataclass(frozen=True)
class StreamPoint:
    stream: Stream  # the member's stream record at `height`, proven
    height: Height
    cursor: Annotated[bytes, Size(0, 12)]  # of the last event it covers (empty: none)


@dataclass(frozen=True)
class ProvenRecord:
    """A record of a provable kind (contracts.record_proofs) as proven at `height`:
    its state key, the bytes stored there (None: absent) and the proof's bytes."""

    kind: Name
    record_id: Annotated[bytes, Size(1, 64)]
    height: Height
    key: Annotated[bytes, Size(1, 256)]
    value: Annotated[bytes, Size(0, MAX_VALUE_BYTES)] | None
    proof: Annotated[bytes, Size(0, MAX_VALUE_BYTES)]


@dataclass(frozen=True)
class Verified:
    """One round's verified work, written whole: new headers with the trust point that
    accepted the last of them, new events with the stream point, proven records."""

    headers: tuple[StoredHeader, ...] = ()
    trust: TrustPoint | None = None
    events: tuple[AddressedEvent, ...] = ()
    stream: StreamPoint | None = None
    records: tuple[ProvenRecord, ...] = ()


def powers_tuple(powers: dict[bytes, int]) -> tuple[Validator, ...]:
    return tuple(Validator(k, p) for k, p in sorted(powers.items()))


def height_key(height: int) -> bytes:
    return HEADER + height.to_bytes(8, "big")


def record_key(kind: str, record_id: bytes) -> bytes:
    return RECORD + kind.encode() + b"/" + record_id


class LightStore:
    """The store; one process at a time (LevelDB's lock)."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        try:
            self.db = plyvel.DB(str(path), create_if_missing=True, paranoid_checks=True)
        except plyvel.Error as e:
            raise LightStoreError("light.store_in_use", f"cannot open {path}: {e}") from None

    def close(self) -> None:
        self.db.close()

    def _get(self, key: bytes, cls: type) -> object | None:
        raw = self.db.get(key)
        if raw is None:
            return None
        try:
            return decode(cls, raw, MAX_VALUE_BYTES)
        except LedgerError as e:
            raise LightStoreError("light.store_corrupt", f"{key[:40]!r}: {e.message}") from None

    # ------------------------------------------------------------ reads

    def trust(self) -> TrustPoint | None:
        return self._get(TRUST, TrustPoint)  # type: ignore[return-value]

    def header(self, height: int) -> StoredHeader | None:
        return self._get(height_key(height), StoredHeader)  # type: ignore[return-value]

    def stream(self, member: bytes) -> StreamPoint:
        found = self._get(STREAM, StreamPoint)
        return found or StreamPoint(Stream(member, 0, START), 0, b"")  # type: ignore[return-value]

    def record(self, kind: str, record_id: bytes) -> ProvenRecord | None:
        return self._get(record_key(kind, record_id), ProvenRecord)  # type: ignore[return-value]

    def records(self, kind: str | None = None) -> Iterator[ProvenRecord]:
        prefix = RECORD if kind is None else RECORD + kind.encode() + b"/"
        for _, raw in self.db.iterator(prefix=prefix):
            yield decode(ProvenRecord, raw, MAX_VALUE_BYTES)

    def records_from(self, kind: str, id_prefix: bytes) -> Iterator[ProvenRecord]:
        """The records of `kind` held whose id starts with `id_prefix`, in id order."""
        for _, raw in self.db.iterator(prefix=record_key(kind, id_prefix)):
            yield decode(ProvenRecord, raw, MAX_VALUE_BYTES)

    def events(self, after: bytes | None, limit: int) -> tuple[list[AddressedEvent], bytes | None]:
        """Up to `limit` events after the cursor `after`, and the next cursor (None at
        the end)."""
        start = EVENT + after + b"\x00" if after else EVENT
        out: list[AddressedEvent] = []
        for raw in self.db.iterator(start=start, stop=EVENT_END, include_key=False):
            if len(out) == limit:
                return out, out[-1].cursor
            out.append(decode(AddressedEvent, raw))
        return out, None

    def size_counts(self) -> dict[str, int]:
        """How many headers, events and records the store holds."""
        counts = {"headers": 0, "events": 0, "records": 0}
        for name, prefix in (("headers", HEADER), ("events", EVENT), ("records", RECORD)):
            counts[name] = sum(1 for _ in self.db.iterator(prefix=prefix, include_value=False))
        return counts

    # ------------------------------------------------------------ the one writer

    def write(self, work: Verified) -> None:
        """Write a round's verified work in one synced batch. The trust point only moves
        up, and a record is replaced only by one proven at a later height."""
        trust = self.trust()
        if work.trust is not None and trust is not None:
            assert work.trust.height > trust.height, "the trust point never moves back"
        with self.db.write_batch(transaction=True, sync=True) as batch:
            for stored in work.headers:
                key = height_key(stored.header.height)
                assert self.db.get(key) is None, "a verified header is never replaced"
                batch.put(key, encode(stored))
            if work.trust is not None:
                batch.put(TRUST, encode(work.trust))
            for event in work.events:
                batch.put(EVENT + event.cursor, encode(event))
            if work.stream is not None:
                batch.put(STREAM, encode(work.stream))
            for proven in work.records:
                held = self.record(proven.kind, proven.record_id)
                if held is None or proven.height > held.height:
                    batch.put(record_key(proven.kind, proven.record_id), encode(proven))
