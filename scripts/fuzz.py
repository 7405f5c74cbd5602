"""Hostile input for the node: a seeded mutation fuzzer of its decoders and its HTTP API.

    scripts/fuzz --inputs N --seed S [--target codec|tx|frame|api|all] [--api-inputs M]
                 [--jobs J] [--out-dir D]
    scripts/fuzz --replay CRASH.json

Each target starts from a corpus of valid inputs built from the seed and feeds mutated
copies through the node's own code, in process. Mutations are stacked 1 to 4 at a time:
bit flips, byte sets and inserts, deletions, duplications, truncation, splicing with
another corpus item, non-minimal msgpack forms, length bombs, deep nesting, and
msgpack-aware edits (a field replaced by a huge integer, a float, a map or another
field's value; an array made longer or shorter; bytes nested inside mutated in turn).

- codec: `contracts.codec.decode` of every encodable record type (a tenth of the inputs
  as another type than the one they were made from); whatever decodes must re-encode to
  exactly the input.
- tx: `check_transaction`, then `apply_transaction` and the end-of-block step on a
  scratch overlay of a ledger that ran every lifecycle operation; a quarter of the inputs
  are well-typed bodies of every operation (sampled, or a real one with a field changed),
  signed by the members they name.
- frame: what a validator's peer link does with a binary websocket message
  (`node.peers.unpack`, the kind check of the link, `Replication.on_frame`) against a live
  consensus driver: votes, proposals with their blocks, transactions, status, block sync;
  a tenth of the inputs are blocks with hostile contents signed by their rightful
  proposer or certified by a quorum. When the node commits a block (the corpus carries
  quorums), the frames follow it to its new height. A share of the inputs are strangers
  on the validator's real peer port (TLS, a handshake deadline of 0.3 s): a frame header
  declaring up to 2**63 bytes and its first bytes before the handshake, a burst of
  connections beyond the caps on pending ones, a slow handshake (the upgrade request a
  byte at a time), garbage (or a mutated ClientHello) instead of TLS, mutated handshake
  frames. Each must be closed within the deadline, the count of pending connections
  must come back to zero, and a crash is a connection that outlives it.
- api: every route of the HTTP app (read from its router, query names from the OpenAPI
  document) with path parameters, query strings, bodies and headers drawn from the ids
  of that ledger and mutated, through aiohttp's in-process test server. A plain-text 400
  from aiohttp's HTTP parser (a request line over 8190 bytes, an unknown
  Content-Encoding), before any route sees the request, is counted apart. A few requests
  take a hostile shape and go to the node's own front (node.front.start_front, with
  short deadlines) on 127.0.0.1 instead: a compressed body (a gzip or deflate bomb, or
  any coding; it must be refused 415 `request.encoding_refused`), a head trickled a line
  at a time (the connection must be closed) and a body trickled a byte at a time (it
  must be answered below 500, 408 `request.body_timeout` where the route reads it, and
  the connection closed). Every request is signed as the regulator, who reads every
  record (a member's event stream as that member), over the target and body as sent,
  so that it reaches its route; unsigned requests are refused before any route runs.

The report gives, per target, inputs, accepted, refusals by error code, crashes by kind
(exception type and the place it was raised), the rate, and the resident set size before
and after setup, at every tenth of the run and at the end, to show memory stays bounded.

A crash is an exception other than the documented ones (`CodecError` from `decode`,
`LedgerError` from checking and applying a transaction, `PeerError` from a peer link
except `peer.internal`, the link's catch-all for a bug), a broken invariant, or an HTTP
answer of 500 or more, not JSON, or an error without a code and a message. Each crash is
saved with its input under --out-dir (a new temporary directory by default) with the
command that replays it. One JSON report goes to stdout; the exit status is 1 on any crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import logging
import os
import random
import re
import resource
import socket
import ssl
import struct
import sys
import tempfile
import time
import traceback
import types
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Protocol, Union, get_args, get_origin, get_type_hints
from urllib.parse import quote, urlencode

import msgpack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from consensus.certificate import PRECOMMIT, PREVOTE, make_certificate, vote_bytes  # noqa: E402
from consensus.messages import NIL, Proposal, Vote, proposal_bytes  # noqa: E402
from consensus.validators import ValidatorSet  # noqa: E402
from contracts import (  # noqa: E402
    acquisition,
    fees,
    issuance,
    membership,
    obligations,
    payment,
    pledge,
    redemption,
    transfer,
)
from contracts.codec import IntRange, OneOf, Size, decode, encode, sha256  # noqa: E402
from contracts.errors import CodecError, LedgerError  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.ledger import (  # noqa: E402
    BlockInfo,
    apply_transaction,
    check_transaction,
    end_block,
    make_transaction,
    resolve,
    sign_transaction,
)
from contracts.legal_identity import complete_credit_code  # noqa: E402
from contracts.state import Overlay  # noqa: E402
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, payload_id  # noqa: E402
from contracts.vouchers import issued_voucher_id, part_id  # noqa: E402
from node import tls  # noqa: E402
from node.blocks import Block, tx_root  # noqa: E402
from node.config import parse_network  # noqa: E402
from node.front import FrontLimits, start_front  # noqa: E402
from node.http.app import make_app  # noqa: E402
from node.http.openapi import openapi_document  # noqa: E402
from node.peer_gate import PeerLimits  # noqa: E402
from node.peers import Link, PeerError, pack, unpack  # noqa: E402
from node.replication import KINDS, Replication  # noqa: E402
from node.service import Node  # noqa: E402
from tests.nodeproc import closed_within  # noqa: E402
from tests.signing import Signer, aiohttp_signing  # noqa: E402

TARGETS = ("codec", "tx", "frame", "api")
ACCEPTED = "accepted"
# /health and /ready answer 503 with a code when the node is not up or not ready (a node
# of four validators alone here has no quorum): what a load balancer asks them for.
PROBES = frozenset({"/health", "/ready"})
PROBE_NOT_OK = "probe.503"
PARSER_REFUSED = "http.parser_refused"  # a plain-text 400 from aiohttp, before the app
CHAIN_ID = "claimledger-fuzz"
GENESIS_MS = 1_767_196_800_000  # 2026-01-01 00:00 +08:00: block times lie in the past
DAY_MS = 86_400_000
SEC_MS = 1000
FAR_EXPIRY = MAX_VALIDITY_BLOCKS  # within the validity window from any height
MEMBERS = {
    "agency": "agency", "core": "enterprise", "supplier": "enterprise",
    "supplier2": "enterprise", "bank": "bank", "acquirer": "acquirer",
    "merchant": "merchant", "regulator": "regulator",
}
NEWCOMER = "newcomer"  # admitted by a transaction, not at genesis
VALIDATORS = 4
DEFAULT_API_INPUTS = 20_000
SAMPLES_PER_TYPE = 4
SIGNED_SHARE = 0.25  # of the tx target's inputs: well-typed, correctly signed bodies
BYZANTINE_SHARE = 0.1  # of the frame target's: signed blocks with hostile contents
PREAUTH_SHARE = 0.005  # of the frame target's: strangers on the real peer port
PREAUTH_LIMITS = PeerLimits(handshake_deadline_s=0.3, max_pending=16, max_pending_per_address=4)
PREAUTH_SHAPES = ("large_frame", "burst", "slow_handshake", "garbage_tls", "handshake_frame")
PREAUTH_GRACE_S = 2.0  # beyond the deadline, for a loaded machine
UPGRADE = (b"GET /v1/peer HTTP/1.1\r\nHost: peer\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")
YIELD_EVERY = 64  # frames between two turns of the event loop (timers, the ticker)
MAX_MUTANT_BYTES = 1 << 18
MAX_NESTED_MUTATION = 3  # bytes inside bytes (a tx in a block in a frame)
MAX_SLOTS = 4096  # msgpack nodes considered by one structural mutation
MAX_REPRODUCERS_PER_KIND = 5
MAX_HISTORY_BLOCKS = 8  # blocks in the corpus's block sync answer
MAX_CRASH_KINDS = 100
REQUEST_TIMEOUT_S = 40
# The front the hostile shapes meet: short deadlines, so a trickle costs the run little.
FUZZ_FRONT = FrontLimits(head_timeout_s=0.3, body_grace_s=0.3, min_body_bytes_per_s=16_384,
                         linger_s=0.2)
SHAPES = {"compressed": 0.02, "slow_head": 0.002, "slow_body": 0.002}  # share of requests
SLOW_BOUND_S = 10 * FUZZ_FRONT.head_timeout_s + 5  # a trickled link must be closed by then


class InvariantBroken(AssertionError):
    """A decoder or route answered, but not as its contract says."""


class ServerError(AssertionError):
    """An HTTP answer of 500 or more."""


Case = tuple[str, bytes]  # (label, input): a record type, a kind of input, a request


# ------------------------------------------------------------------ well-typed values


def _unwrap(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(annotation) is Annotated:
        inner, *extra = get_args(annotation)
        return inner, tuple(extra)
    return annotation, ()


def _constraint(constraints: tuple[Any, ...], kind: type) -> Any:
    return next((c for c in constraints if isinstance(c, kind)), None)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


TEXT_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ ./"
    "凭证质押收购展期逾期注销é€\u00a0\u200b\t\n\x00\U0001f600"
)


def random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(TEXT_ALPHABET) for _ in range(length))


def _pick_int(rng: random.Random, lo: int, hi: int) -> int:
    choice = rng.randrange(7)
    if choice == 0:
        return lo
    if choice == 1:
        return hi
    if choice == 2:
        return min(max(GENESIS_MS + rng.randrange(-DAY_MS, 400 * DAY_MS), lo), hi)
    if choice == 3:
        return rng.randint(max(lo, 0), min(hi, max(lo, 0) + 10_000_000))
    return rng.randint(lo, hi)


def sample(annotation: Any, rng: random.Random, pool: Sequence[bytes]) -> Any:
    """A random value of a codec-annotated type, within its bounds; 32-byte values are
    mostly drawn from `pool` (addresses and ids that exist)."""
    annotation, constraints = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = next(a for a in get_args(annotation) if a is not type(None))
        return None if rng.random() < 0.3 else sample(inner, rng, pool)
    if origin is tuple:
        size = _constraint(constraints, Size)
        lo, hi = (size.lo, size.hi) if size else (0, 1024)
        count = rng.randint(lo, min(hi, lo + 3))
        return tuple(sample(get_args(annotation)[0], rng, pool) for _ in range(count))
    if annotation is bool:
        return rng.random() < 0.5
    if annotation is int:
        bounds = _constraint(constraints, IntRange)
        return _pick_int(rng, *((bounds.lo, bounds.hi) if bounds else (-(2**63), 2**64 - 1)))
    if annotation is bytes:
        size = _constraint(constraints, Size)
        lo, hi = (size.lo, size.hi) if size else (0, 64)
        if lo <= 32 <= hi and pool and rng.random() < 0.8:
            return rng.choice(pool)
        return rng.randbytes(rng.randint(lo, min(hi, lo + 40)))
    if annotation is str:
        one_of = _constraint(constraints, OneOf)
        if one_of is not None:
            return rng.choice(sorted(one_of.values))
        size = _constraint(constraints, Size)
        lo, hi = (size.lo, size.hi) if size else (0, 4096)
        return random_text(rng, hi if rng.random() < 0.1 else rng.randint(lo, min(hi, lo + 24)))
    if isinstance(annotation, type) and is_dataclass(annotation):
        hints = _hints(annotation)
        return annotation(*(sample(hints[f.name], rng, pool) for f in fields(annotation)))
    raise TypeError(f"no sample for {annotation!r}")


def vary(record: Any, rng: random.Random, pool: Sequence[bytes]) -> Any:
    """The record with one field (possibly of a nested record) drawn afresh."""
    name = rng.choice([f.name for f in fields(record)])
    value = getattr(record, name)
    if is_dataclass(value) and rng.random() < 0.7:
        return replace(record, **{name: vary(value, rng, pool)})
    return replace(record, **{name: sample(_hints(type(record))[name], rng, pool)})


def record_types() -> dict[str, type]:
    """Every encodable record type of the ledger and the node's store, by module.name."""
    import importlib
    import pkgutil

    import contracts

    modules = [importlib.import_module(f"contracts.{m.name}")
               for m in pkgutil.iter_modules(contracts.__path__)]
    modules += [importlib.import_module(name) for name in ("node.blocks", "node.store")]
    rng = random.Random(0)
    found: dict[str, type] = {}
    for module in modules:
        for value in vars(module).values():
            if not (isinstance(value, type) and is_dataclass(value)
                    and value.__module__ == module.__name__
                    and value.__dataclass_params__.frozen):  # type: ignore[attr-defined]
                continue
            try:
                encode(sample(value, rng, [bytes(32)]))
            except (TypeError, LedgerError):
                continue  # not a record of the canonical encoding (a config, a view)
            found[f"{module.__name__.rsplit('.', 1)[-1]}.{value.__name__}"] = value
    return dict(sorted(found.items()))


# ------------------------------------------------------------------ mutations

INTERESTING_BYTES = bytes([
    0x00, 0x01, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4,
    0xC5, 0xC7, 0xCA, 0xCB, 0xCC, 0xCF, 0xD0, 0xD3, 0xD4, 0xD9, 0xDC, 0xDD, 0xDE, 0xDF,
    0xE0, 0xFF,
])
LENGTH_BOMBS = (
    b"\xdd\xff\xff\xff\xff", b"\xdc\xff\xff", b"\xc6\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff",
    b"\xdf\xff\xff\xff\xff", b"\xc9\xff\xff\xff\xff\x01", b"\xc7\x00\xff", b"\xd6\xff\x00",
    b"\xcf" + b"\xff" * 8, b"\xd3\x80" + bytes(7), b"\xcb\x7f\xf8" + bytes(6),
)
INTERESTING_VALUES: tuple[Any, ...] = (
    0, 1, -1, 2**7, 2**8, 2**16, 2**31 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1,
    -(2**63), 10**16, 10**16 + 1, 0.0, -0.0, 1.5, float("nan"), float("inf"), None, True,
    False, "", "a", "x" * 65, "x" * 513, "状态", "\x00", b"", b"\x00", bytes(31), bytes(32),
    bytes(33), bytes(64), b"\xff" * 65, [], [None], [0] * 17, {}, {"a": 1}, {b"k": b"v"},
    msgpack.ExtType(5, b""),
)
INT_STEPS = (-1, 1, -2, 2, 10**16, -(2**32), 2**32, 2**63)
STACKED = (1, 1, 1, 2, 2, 3, 4)


def _clamp_msgpack_int(value: int) -> int:
    return min(max(value, -(2**63)), 2**64 - 1)


def _slots(root: list) -> list[tuple[list | dict, Any]]:
    """(container, key) of every msgpack node under `root`, at most MAX_SLOTS."""
    found: list[tuple[list | dict, Any]] = []
    stack: list[Any] = [root]
    while stack and len(found) < MAX_SLOTS:
        node = stack.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                found.append((node, index))
                stack.append(item)
        elif isinstance(node, dict):
            for key, item in node.items():
                found.append((node, key))
                stack.append(item)
    return found


def strings_of(corpus: Sequence[bytes]) -> list[str]:
    """The strings inside msgpack corpus items (kinds, names, statuses): a dictionary."""
    words: set[str] = set()
    for data in corpus:
        try:
            root = [msgpack.unpackb(data, raw=False)]
        except (ValueError, msgpack.UnpackException):
            continue
        words.update(node[key] for node, key in _slots(root) if isinstance(node[key], str))
    return sorted(words) or [""]


class Mutator:
    """Seeded mutations of msgpack inputs, byte-level and structure-aware."""

    def __init__(self, rng: random.Random, corpus: Sequence[bytes], words: Sequence[str]) -> None:
        assert corpus, "a mutator needs a corpus to splice from"
        self.rng = rng
        self.corpus = corpus
        self.words = words
        self.byte_ops: tuple[Callable[[bytes], bytes], ...] = (
            self.flip_bit, self.set_byte, self.add_to_byte, self.insert, self.delete,
            self.duplicate, self.truncate, self.splice, self.widen, self.nest,
        )

    def mutate(self, data: bytes, depth: int = 0) -> bytes:
        for _ in range(self.rng.choice(STACKED)):
            if self.rng.random() < 0.35:
                data = self.structural(data, depth)
            else:
                data = self.rng.choice(self.byte_ops)(data)
        return data[:MAX_MUTANT_BYTES]

    # ---------------------------------------------------------------- byte level

    def _at(self, data: bytes) -> int:
        return self.rng.randrange(len(data) + 1)

    def flip_bit(self, data: bytes) -> bytes:
        if not data:
            return bytes([self.rng.getrandbits(8)])
        out = bytearray(data)
        out[self.rng.randrange(len(out))] ^= 1 << self.rng.randrange(8)
        return bytes(out)

    def set_byte(self, data: bytes) -> bytes:
        if not data:
            return bytes([self.rng.choice(INTERESTING_BYTES)])
        out = bytearray(data)
        out[self.rng.randrange(len(out))] = self.rng.choice(INTERESTING_BYTES)
        return bytes(out)

    def add_to_byte(self, data: bytes) -> bytes:
        if not data:
            return data
        out = bytearray(data)
        i = self.rng.randrange(len(out))
        out[i] = (out[i] + self.rng.choice((-16, -2, -1, 1, 2, 16))) & 0xFF
        return bytes(out)

    def insert(self, data: bytes) -> bytes:
        i = self._at(data)
        choice = self.rng.randrange(3)
        if choice == 0:
            chunk = self.rng.randbytes(self.rng.randint(1, 8))
        elif choice == 1:
            chunk = self.rng.choice(LENGTH_BOMBS)
        else:
            chunk = bytes([self.rng.choice(INTERESTING_BYTES)])
        return data[:i] + chunk + data[i:]

    def delete(self, data: bytes) -> bytes:
        if not data:
            return data
        i = self.rng.randrange(len(data))
        return data[:i] + data[i + self.rng.randint(1, 16):]

    def duplicate(self, data: bytes) -> bytes:
        if not data:
            return data
        i = self.rng.randrange(len(data))
        chunk = data[i:i + self.rng.randint(1, 64)]
        j = self._at(data)
        return data[:j] + chunk + data[j:]

    def truncate(self, data: bytes) -> bytes:
        return data[:self.rng.randrange(len(data))] if data else data

    def splice(self, data: bytes) -> bytes:
        other = self.rng.choice(self.corpus)
        return data[:self._at(data)] + other[self.rng.randrange(len(other) + 1):]

    def widen(self, data: bytes) -> bytes:
        """A non-minimal msgpack form of a small int, array, string or bin header."""
        if not data:
            return data
        start = self.rng.randrange(len(data))
        for i in range(start, min(len(data), start + 64)):
            b = data[i]
            if b <= 0x7F:
                return data[:i] + bytes([0xCC, b]) + data[i + 1:]
            if 0x90 <= b <= 0x9F:
                return data[:i] + b"\xdc" + (b & 0x0F).to_bytes(2, "big") + data[i + 1:]
            if 0xA0 <= b <= 0xBF:
                return data[:i] + bytes([0xD9, b & 0x1F]) + data[i + 1:]
            if b == 0xC4 and i + 1 < len(data):
                return data[:i] + b"\xc5\x00" + data[i + 1:]
        return data

    def nest(self, data: bytes) -> bytes:
        """Deep nesting: arrays or maps inside each other, hundreds to thousands deep."""
        depth = self.rng.choice((100, 600, 5000))
        unit = b"\x91" if self.rng.random() < 0.7 else b"\x81\xa1k"
        i = self._at(data)
        return data[:i] + unit * depth + b"\xc0" + data[i:]

    # ---------------------------------------------------------------- msgpack-aware

    def structural(self, data: bytes, depth: int) -> bytes:
        try:
            root = [msgpack.unpackb(data, raw=False, strict_map_key=False)]
        except (ValueError, TypeError, msgpack.UnpackException, UnicodeDecodeError,
                RecursionError):
            return self.flip_bit(data)
        slots = _slots(root)
        container, key = self.rng.choice(slots)
        container[key] = self._edit(container[key], slots, depth)
        try:
            return msgpack.packb(root[0], use_bin_type=self.rng.random() > 0.03)
        except (OverflowError, ValueError, TypeError):
            return data

    def _edit(self, value: Any, slots: list[tuple[list | dict, Any]], depth: int) -> Any:
        rng = self.rng
        r = rng.random()
        if isinstance(value, bytes) and value and depth < MAX_NESTED_MUTATION and r < 0.6:
            return self.mutate(value, depth + 1)
        if type(value) is int and r < 0.5:
            return _clamp_msgpack_int(value + rng.choice(INT_STEPS))
        if isinstance(value, str) and r < 0.5:
            return rng.choice(self.words) if rng.random() < 0.7 else value + random_text(rng, 1)
        if isinstance(value, list) and value and r < 0.5:
            edited = list(value)
            choice = rng.randrange(5)
            if choice == 0:
                del edited[rng.randrange(len(edited))]
            elif choice == 1:
                edited.insert(rng.randrange(len(edited) + 1), rng.choice(edited))
            elif choice == 2:
                edited.append(rng.choice(INTERESTING_VALUES))
            elif choice == 3:
                edited.reverse()
            else:
                edited = []
            return edited
        if r < 0.8:
            return rng.choice(INTERESTING_VALUES)
        container, key = rng.choice(slots)
        return container[key]  # another field's value: type confusion


# ------------------------------------------------------------------ the ledger to fuzz


def network_text(validators: Sequence[KeyPair], members: dict[str, KeyPair]) -> str:
    """network.toml of four validators (addresses nobody dials) and the members."""
    lines = [
        f'chain_id = "{CHAIN_ID}"', f"genesis_time = {GENESIS_MS}", "fee_rate_bp = 0", "",
        "[timing]", "block_interval_ms = 50", "empty_block_interval_ms = 3600000",
        "timeout_propose_ms = 200", "timeout_vote_ms = 100", "timeout_delta_ms = 50",
        # The fuzzer sends thousands of requests from 127.0.0.1: past the defaults.
        "", "[limits]", "submit_rate_per_s = 100000", "submit_burst = 1000000",
        "member_pending_txs = 1000000",
    ]
    for i, key in enumerate(validators):
        lines += ["", "[[validators]]", f'name = "validator-{i}"',
                  f'key = "{key.address.hex()}"', 'api = "127.0.0.1:9"',
                  'peer = "127.0.0.1:9"', "power = 1"]
    for name, role in MEMBERS.items():
        lines += ["", "[[members]]", f'name = "{name}"', f'roles = ["{role}"]',
                  f'address = "{members[name].address.hex()}"']
    return "\n".join(lines) + "\n"


class World:
    """A validator of a four-validator network on a temporary LevelDB, whose ledger ran
    every lifecycle operation; it holds the keys of every member and validator.

    The node is the validator whose key sorts last, so its peer links dial nobody.
    """

    def __init__(self, seed: int, root: Path) -> None:
        def key(name: str) -> KeyPair:
            return KeyPair(sha256(f"claimledger-fuzz/{seed}/{name}".encode()))

        self.seed = seed
        self.root = root
        self.keys = {name: key(name) for name in [*MEMBERS, NEWCOMER]}
        self.by_address = {k.address: k for k in self.keys.values()}
        self.validators = sorted((key(f"validator-{i}") for i in range(VALIDATORS)),
                                 key=lambda k: k.address)
        self.me = self.validators[-1]
        self.config = parse_network(network_text(self.validators, self.keys))
        (root / "node").mkdir(parents=True, exist_ok=True)
        self.node = Node(self.config, root / "node", self.me)
        self.registry = self.node.registry
        self.nonce = 0
        self.ids: dict[str, bytes] = {}
        self.txs: list[Transaction] = []
        try:
            self._scenario()
        except BaseException:
            self.node.close()
            raise
        self.pool = self.hash_pool()
        self.operations = [(c.name, op) for c in self.registry.by_key.values()
                           for op in c.operations]
        self.bodies: list[tuple[str, str, Any]] = []
        for tx in self.txs:
            contract, operation, body = resolve(self.registry, tx)
            self.bodies.append((contract.name, operation.name, body))
        self.variants = 0

    def addr(self, name: str) -> bytes:
        return self.keys[name].address

    def tx(self, contract: str, operation: str, body: Any, *signers: str) -> Transaction:
        self.nonce += 1
        tx = make_transaction(self.registry, CHAIN_ID, contract, operation, body,
                              FAR_EXPIRY, self.nonce)
        for name in signers:
            tx = sign_transaction(tx, self.keys[name])
        return tx

    def block(self, at_ms: int, *txs: Transaction) -> None:
        """Commit one block at ledger time `at_ms` holding exactly `txs`."""
        for tx in txs:
            self.node.mempool.submit(encode(tx), at_ms)
        head = self.node.produce(at_ms)
        for tx in txs:
            record = self.node.store.tx_record(payload_id(tx.payload))
            assert record is not None and record.height == head.height, "a scenario tx failed"
        self.txs += txs

    def _scenario(self) -> None:
        a, ids = self.addr, self.ids
        at = iter(range(GENESIS_MS + SEC_MS, GENESIS_MS + 100 * SEC_MS, SEC_MS))

        def terms(amount_fen: int, due_ms: int, basis: str, **kw: Any) -> issuance.Terms:
            values: dict[str, Any] = dict(asset_offset=True, consumption_offset=True,
                                          extension_days=0, extension_max=0)
            values.update(kw)
            return issuance.Terms(a("core"), amount_fen, due_ms, basis_ref=basis,
                                  basis_sha256=sha256(basis.encode()), **values)

        def tid(tx: Transaction) -> bytes:
            return payload_id(tx.payload)

        self.block(next(at), self.tx("fees", "set_schedule",
                                     fees.SetSchedule(a("agency"), 10, 5), "agency"))
        apply_a = self.tx("issuance", "apply", issuance.Apply(
            a("supplier"), terms(1_000_000, GENESIS_MS + 180 * DAY_MS, "HT-A")), "supplier")
        apply_b = self.tx("issuance", "apply", issuance.Apply(
            a("supplier"), terms(500_000, GENESIS_MS + 10 * DAY_MS, "HT-B", extension_days=5,
                                 extension_max=1)), "supplier")
        apply_c = self.tx("issuance", "apply", issuance.Apply(
            a("supplier"), terms(80_000, GENESIS_MS + 90 * DAY_MS, "HT-C")), "supplier")
        self.block(next(at), apply_a, apply_b, apply_c)
        ids["application"] = tid(apply_c)  # left unconfirmed
        self.block(next(at), *(self.tx("issuance", "confirm",
                                       issuance.Confirm(a("core"), tid(x)), "core")
                               for x in (apply_a, apply_b)))
        self.block(next(at), *(self.tx("issuance", "approve",
                                       issuance.Approve(a("agency"), tid(x)), "agency")
                               for x in (apply_a, apply_b)))
        ids["VA"], ids["VB"] = issued_voucher_id(tid(apply_a)), issued_voucher_id(tid(apply_b))

        move = self.tx("transfer", "transfer", transfer.Transfer(
            a("supplier"), ids["VA"], a("supplier2"), 300_000, None, "TC-2027-001"),
            "supplier", "supplier2")
        self.block(next(at), move)
        ids["T1"], ids["R1"] = part_id(tid(move), ids["VA"], 0), part_id(tid(move), ids["VA"], 1)
        pledged = self.tx("pledge", "create", pledge.Create(
            a("supplier"), a("bank"), ids["R1"], 200_000, GENESIS_MS + 90 * DAY_MS, "LN-1",
            180_000, 435, None),
            "supplier", "bank")
        committed = self.tx("acquisition", "commit", acquisition.Commit(
            a("acquirer"), a("supplier2"), ids["T1"], 9_500, GENESIS_MS + 20 * DAY_MS,
            GENESIS_MS + 60 * DAY_MS, "AQ-1"), "acquirer", "supplier2")
        flat = self.tx("redemption", "publish", redemption.Publish(
            a("core"), "asset", "Flat 3-2-101", 100_000, "FC-3-2-101"), "core")
        canteen = self.tx("redemption", "publish", redemption.Publish(
            a("core"), "consumption", "Canteen meals", 50_000), "core")
        self.block(next(at), pledged, committed, flat, canteen)
        ids["P"], ids["C"], ids["O1"], ids["O2"] = map(tid, (pledged, committed, flat, canteen))
        self.block(next(at), self.tx("redemption", "withdraw_offer",
                                     redemption.WithdrawOffer(a("core"), ids["O2"]), "core"))
        ask = self.tx("redemption", "request", redemption.Ask(
            a("supplier2"), ids["T1"], ids["O1"], 100_000, None), "supplier2")
        self.block(next(at), ask)
        ids["Q"] = tid(ask)
        accepted = self.tx("redemption", "accept", redemption.Accept(
            a("core"), ids["Q"], "FC-2030-001", ""), "core")
        self.block(next(at), accepted)
        ids["T1r"] = part_id(tid(accepted), ids["T1"], 0)
        owed = self.tx("obligation", "submit", obligations.Submit(
            a("supplier"), a("core"), 70_000, GENESIS_MS + 30 * DAY_MS, "PO-7",
            sha256(b"PO-7")), "supplier")
        admitted = self.tx("membership", "admit", membership.Admit(
            a("agency"), a(NEWCOMER), "Newcomer Ltd", ("merchant",), membership.Identity(
                "legal_person", complete_credit_code("9115080200000001"), b"", "Representative",
                "fuzz", "F", "150802"), ()), "agency", NEWCOMER)
        self.block(next(at), owed, admitted)
        ids["OB"] = tid(owed)
        self.block(next(at), self.tx("obligation", "confirm",
                                     obligations.Confirm(a("core"), ids["OB"]), "core"))
        paid_merchant = self.tx("payment", "pay", payment.Pay(
            a("supplier2"), ids["T1r"], a("merchant"), 20_000, "ORDER-1", None),
            "supplier2", "merchant")
        self.block(next(at), paid_merchant)
        ids["T1p"] = part_id(tid(paid_merchant), ids["T1r"], 1)
        # Ledger time moves on: VB extends at its due date, then goes overdue.
        self.block(GENESIS_MS + 11 * DAY_MS)
        self.block(GENESIS_MS + 16 * DAY_MS, self.tx("fees", "record_payment", fees.RecordPayment(
            a("agency"), a("supplier"), 100, "BANK-REF-1"), "agency"))
        exercised = self.tx("acquisition", "exercise", acquisition.Exercise(
            a("supplier2"), ids["T1p"], ids["C"], 50_000, "PAY-1", None), "supplier2")
        self.block(GENESIS_MS + 21 * DAY_MS, exercised)
        ids["X"] = tid(exercised)
        ids["S"] = part_id(tid(exercised), ids["T1p"], 0)

    def hash_pool(self) -> list[bytes]:
        """32-byte values that mean something here: addresses, ids, tx ids, and strangers."""
        pool = [k.address for k in (*self.keys.values(), *self.validators)]
        pool += list(self.ids.values())
        pool += [payload_id(tx.payload) for tx in self.txs]
        return [*pool, bytes(32), b"\xff" * 32]

    def signed(self, contract: str, operation: str, body: Any, nonce: int,
               expiry: int = FAR_EXPIRY) -> Transaction:
        """A transaction signed by every required signer whose key this world holds."""
        found = self.registry.latest(contract)
        tx = make_transaction(self.registry, CHAIN_ID, found.name, operation, body, expiry,
                              nonce, found.version)
        for signer in sorted(set(found.operations[operation].signers(body))):
            if signer in self.by_address:
                tx = sign_transaction(tx, self.by_address[signer])
        return tx

    def body_type(self, contract: str, operation: str) -> type:
        return self.registry.latest(contract).operations[operation].body

    def signed_variant(self, rng: random.Random) -> bytes:
        """A well-typed body of some operation, signed as it asks (by the keys held here):
        sampled, or a real one with a field drawn afresh."""
        if rng.random() < 0.5:
            contract, operation = rng.choice(self.operations)
            body = sample(self.body_type(contract, operation), rng, self.pool)
        else:
            contract, operation, body = rng.choice(self.bodies)
            body = vary(body, rng, self.pool)
        self.variants += 1
        expiry = rng.choice((FAR_EXPIRY, FAR_EXPIRY, 0, 2**64 - 1))
        return encode(self.signed(contract, operation, body, 1 << 40 | self.variants, expiry))

    def close(self) -> None:
        self.node.close()


# ------------------------------------------------------------------ targets


class Target(Protocol):
    name: str

    def cases(self, rng: random.Random, count: int) -> Iterator[Case]: ...

    async def run(self, case: Case) -> str: ...

    def describe(self, case: Case) -> dict[str, Any]: ...

    def stats(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class CodecTarget:
    """`decode` of every record type; what decodes re-encodes to exactly the input."""

    name = "codec"

    def __init__(self, seed: int, root: Path) -> None:
        del root  # no ledger needed
        rng = random.Random(f"{seed}/codec/corpus")
        pool = [rng.randbytes(32) for _ in range(8)]
        self.types = record_types()
        self.corpus = [(name, encode(sample(cls, rng, pool)))
                       for name, cls in self.types.items() for _ in range(SAMPLES_PER_TYPE)]

    def cases(self, rng: random.Random, count: int) -> Iterator[Case]:
        raw = [data for _, data in self.corpus]
        mutator = Mutator(rng, raw, strings_of(raw))
        names = list(self.types)
        for _ in range(count):
            name, data = rng.choice(self.corpus)
            if rng.random() < 0.1:
                name = rng.choice(names)
            yield name, mutator.mutate(data)

    def check(self, case: Case) -> str:
        name, data = case
        try:
            record = decode(self.types[name], data)
        except CodecError as e:
            return e.code
        if encode(record) != data:
            raise InvariantBroken(f"{name}: decoded bytes that are not the canonical encoding")
        return ACCEPTED

    async def run(self, case: Case) -> str:
        return self.check(case)

    def describe(self, case: Case) -> dict[str, Any]:
        return {"label": case[0], "input_hex": case[1].hex()}

    def stats(self) -> dict[str, Any]:
        return {"record_types": len(self.types), "corpus": len(self.corpus)}

    async def close(self) -> None:
        """The decoder targets hold no node and nothing to close."""


class TxTarget:
    """`check_transaction`, then `apply_transaction` and `end_block` on a scratch overlay."""

    name = "tx"

    def __init__(self, seed: int, root: Path) -> None:
        self.world = World(seed, root)
        world = self.world
        rng = random.Random(f"{seed}/tx/corpus")
        sampled = [world.signed(c, op, sample(world.body_type(c, op), rng, world.pool), i)
                   for i, (c, op) in enumerate(world.operations)]
        self.corpus = [encode(tx) for tx in (*world.txs, *sampled)]

    def cases(self, rng: random.Random, count: int) -> Iterator[Case]:
        mutator = Mutator(rng, self.corpus, strings_of(self.corpus))
        for _ in range(count):
            if rng.random() < SIGNED_SHARE:
                yield "signed", self.world.signed_variant(rng)
            else:
                yield "mutant", mutator.mutate(rng.choice(self.corpus))

    def check(self, case: Case) -> str:
        _, raw = case
        chain = self.world.node.chain
        head = chain.head
        try:
            checked = check_transaction(self.world.registry, CHAIN_ID, raw, head.height + 1)
        except LedgerError as e:
            return e.code
        if encode(checked.tx) != raw:
            raise InvariantBroken("check_transaction accepted non-canonical bytes")
        # Ledger time from the input itself, so that a saved case replays exactly.
        offsets = (1, SEC_MS, DAY_MS, 40 * DAY_MS, 400 * DAY_MS)
        info = BlockInfo(CHAIN_ID, head.height + 1, head.time_ms + offsets[raw[-1] % 5])
        overlay = Overlay(self.world.node.store)
        try:
            apply_transaction(self.world.registry, overlay, checked, info)
        except LedgerError as e:
            return e.code
        end_block(self.world.registry, overlay, info)
        return ACCEPTED

    async def run(self, case: Case) -> str:
        return self.check(case)

    def describe(self, case: Case) -> dict[str, Any]:
        return {"label": case[0], "input_hex": case[1].hex()}

    def stats(self) -> dict[str, Any]:
        return {"operations": len(self.world.operations), "corpus": len(self.corpus)}

    async def close(self) -> None:
        self.world.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ws_frame_header(length: int) -> bytes:
    """A client's binary websocket frame header declaring `length` bytes (mask zero)."""
    if length < 126:
        return bytes([0x82, 0x80 | length]) + bytes(4)
    if length < 1 << 16:
        return bytes([0x82, 0x80 | 126]) + struct.pack(">H", length) + bytes(4)
    return bytes([0x82, 0x80 | 127]) + struct.pack(">Q", length) + bytes(4)


async def stranger(port: int, use_tls: bool = True
                   ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(
        "127.0.0.1", port, ssl=tls.client_context() if use_tls else None), 5)


@cache
def client_hello_sample() -> bytes:
    """The first bytes a TLS client sends (a ClientHello), for garbage_tls to mutate."""
    context = tls.client_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing)
    with contextlib.suppress(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()



class FrameTarget:
    """A validator's peer link fed binary messages: `unpack`, the kind check, `on_frame`."""

    name = "frame"

    def __init__(self, seed: int, root: Path) -> None:
        self.world = World(seed, root)
        self.start_height = self.world.node.chain.head.height
        self.rebuilds = 0
        self.corpus = self._frames()
        self.replication: Replication | None = None
        peer = self.world.validators[0].address
        # The handler never touches the websocket; what it sends piles up in the queue.
        self.link = Link(peer, "fuzz-peer", None)  # type: ignore[arg-type]

    def _frames(self) -> list[bytes]:
        world = self.world
        node, chain = world.node, world.node.chain
        height = chain.head.height + 1
        keys = {k.address: k for k in world.validators}
        vset = ValidatorSet.from_powers(world.config.validator_powers())
        self.rebuilds += 1
        fresh = world.signed("fees", "record_payment", fees.RecordPayment(
            world.addr("agency"), world.addr("bank"), 7, f"FUZZ-{self.rebuilds}"),
            world.nonce + self.rebuilds)
        checked = check_transaction(world.registry, CHAIN_ID, encode(fresh), height)
        frames = [pack("txs", [encode(tx) for tx in world.txs[:4]]),
                  pack("txs", [encode(world.txs[0])])]
        frames += [pack("txs", [encode(fresh)]), pack("status", [height - 1]),
                   pack("status", [height + 3]), pack("get_blocks", [1, height - 1]),
                   pack("get_blocks", [height - 2, 2**63 - 1])]
        first = None
        for round_ in range(4):
            proposer = keys[vset.proposer(height, round_)]
            run = chain.execute([checked] if round_ % 2 == 0 else [],
                                chain.head.time_ms + SEC_MS)
            block = chain.make_block(run, proposer.address)
            first = first or block
            signature = proposer.sign(proposal_bytes(CHAIN_ID, height, round_, block.id, -1))
            proposal = Proposal(height, round_, block.id, -1, proposer.address, signature)
            frames.append(pack("proposal", [proposal.to_wire(), encode(block)]))
        assert first is not None
        self.block, self.fresh = first, encode(fresh)
        for key in world.validators[:-1]:
            for kind in (PREVOTE, PRECOMMIT):
                for value in (first.id, NIL):
                    signature = key.sign(vote_bytes(CHAIN_ID, kind, height, 0, value))
                    vote = Vote(kind, height, 0, value, key.address, signature)
                    frames.append(pack("vote", vote.to_wire()))
        quorum = {k.address: k.sign for k in world.validators[:3]}
        certificate = make_certificate(CHAIN_ID, height, 0, first.id, quorum)
        frames.append(pack("blocks", [[encode(first), certificate.to_wire()]]))
        history = []
        for h in range(max(1, height - MAX_HISTORY_BLOCKS), height):
            stored = node.store.certificate(h)
            assert stored is not None
            history.append([node.store.block_bytes(h), stored.to_wire()])
        frames.append(pack("blocks", history))
        return frames

    def byzantine(self, rng: random.Random, txs: Mutator) -> bytes:
        """A well-formed block with hostile contents, signed by its rightful proposer (a
        faulty validator) or certified by a quorum (block sync from faulty validators):
        a field of its header drawn afresh, or transactions that are mutated, replayed,
        duplicated or well-typed but refused, with a header that matches them."""
        world, block = self.world, self.block
        height = block.header.height
        if rng.random() < 0.4:
            block = Block(vary(block.header, rng, world.pool), block.txs)
        else:
            raws = [rng.choice((self.fresh, encode(rng.choice(world.txs)),
                                world.signed_variant(rng), txs.mutate(self.fresh)))
                    for _ in range(rng.randint(0, 4))]
            raws = [raw or b"\x00" for raw in raws]
            header = replace(block.header, tx_root=tx_root(raws), tx_count=len(raws))
            block = Block(header, tuple(raws))
        keys = {k.address: k for k in world.validators}
        round_ = rng.choice((0, 0, 1))
        if rng.random() < 0.6 or block.header.time_ms != self.block.header.time_ms:
            proposer = keys[ValidatorSet.from_powers(world.config.validator_powers())
                            .proposer(height, round_)]
            signature = proposer.sign(proposal_bytes(CHAIN_ID, height, round_, block.id, -1))
            proposal = Proposal(height, round_, block.id, -1, proposer.address, signature)
            return pack("proposal", [proposal.to_wire(), encode(block)])
        # (Not with another time: a faulty quorum could move ledger time anywhere.)
        quorum = {k.address: k.sign for k in world.validators[:3]}
        certificate = make_certificate(CHAIN_ID, height, round_, block.id, quorum)
        return pack("blocks", [[encode(block), certificate.to_wire()]])

    def _mutators(self, rng: random.Random) -> tuple[Mutator, Mutator]:
        """Mutators of whole frames and of their payloads."""
        payloads = [msgpack.packb(unpack(f)[1], use_bin_type=True) for f in self.corpus]
        words = [*strings_of(self.corpus), *KINDS]
        return Mutator(rng, self.corpus, words), Mutator(rng, payloads, words)

    def cases(self, rng: random.Random, count: int) -> Iterator[Case]:
        height = self.world.node.chain.head.height
        whole, inner = self._mutators(rng)
        txs = Mutator(rng, [encode(tx) for tx in self.world.txs], strings_of([self.fresh]))
        for _ in range(count):
            if self.world.node.chain.head.height != height:
                # The node committed a block (fuzzed frames can carry a quorum): frames
                # for its new height, so that the fuzz keeps reaching the live driver.
                height = self.world.node.chain.head.height
                self.corpus = self._frames()
                whole, inner = self._mutators(rng)
            frame = rng.choice(self.corpus)
            r = rng.random()
            if r < PREAUTH_SHARE:
                shape = rng.randrange(len(PREAUTH_SHAPES))
                body = rng.choice((whole.mutate(frame), rng.randbytes(rng.randint(0, 4096)),
                                   client_hello_sample()))
                yield "preauth", bytes([shape]) + rng.randbytes(8) + body
            elif r < PREAUTH_SHARE + BYZANTINE_SHARE:
                yield "byzantine", self.byzantine(rng, txs)
            elif r < 0.35:
                yield "frame", whole.mutate(frame)
            else:  # the envelope [kind, payload] kept, the payload mutated
                kind, payload = unpack(frame)
                head = b"\x92" + msgpack.packb(kind)
                yield "frame", head + inner.mutate(msgpack.packb(payload, use_bin_type=True))

    async def run(self, case: Case) -> str:
        if self.replication is None:
            self.replication = Replication(self.world.node, self.world.root)
            self.replication.peers.limits = PREAUTH_LIMITS
            self.peer_port = free_port()
            await self.replication.peers.listen("127.0.0.1", self.peer_port)
            self.replication.start()
        label, data = case
        if label == "preauth":
            return await self.preauth(data)
        try:
            # As the link's receive loop (Peers._serve_link) does with a binary message,
            # less its flood and replay budget: a fuzzer floods and repeats by design.
            kind, payload = unpack(data)
            if kind not in KINDS:
                raise PeerError("peer.bad_frame", f"unknown kind {kind!r}")
            await self.replication.on_frame(self.link, kind, payload)
        except PeerError as e:
            if e.code == "peer.internal":  # the link's catch-all: a bug behind it
                raise (e.__cause__ or e) from None
            return e.code
        finally:
            while not self.link.queue.empty():
                self.link.queue.get_nowait()
        return ACCEPTED

    async def preauth(self, data: bytes) -> str:
        """A stranger on the peer port in one of PREAUTH_SHAPES (data[0]), parameters
        from data[1:9], bytes from data[9:]; the refusal codes it caused."""
        assert self.replication is not None and self.replication.peers.listener is not None
        listener = self.replication.peers.listener
        shape = PREAUTH_SHAPES[data[0] % len(PREAUTH_SHAPES)]
        knob = int.from_bytes(data[1:9], "big")
        body = data[9:]
        before = Counter(listener.refusals.counts)
        limits = PREAUTH_LIMITS
        deadline_s = limits.handshake_deadline_s + PREAUTH_GRACE_S
        port = self.peer_port
        opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        try:
            if shape == "burst":
                extra = 1 + knob % 8
                count = limits.max_pending_per_address + extra
                for _ in range(count):
                    opened.append(await stranger(port, use_tls=False))
                shut = await asyncio.gather(*(closed_within(r, 0.2) for r, _ in opened))
                if sum(shut) < extra:
                    raise InvariantBroken(f"{count} pending connections from one address, "
                                          f"only {sum(shut)} closed at once")
            else:
                reader, writer = await stranger(port, use_tls=shape != "garbage_tls")
                opened.append((reader, writer))
                if shape == "garbage_tls":
                    writer.write(body or b"\x00")
                elif shape == "slow_handshake":
                    for byte in UPGRADE[: 1 + knob % len(UPGRADE)]:
                        writer.write(bytes([byte]))
                        await asyncio.sleep(0.05)
                        if writer.is_closing():
                            break
                else:
                    writer.write(UPGRADE)
                    if shape == "large_frame":
                        declared = max(1, knob % (1 << 63))
                        writer.write(ws_frame_header(declared) + body[: 1 << 15])
                        writer.write(bytes(min(declared, 1 << 15)))
                    else:
                        writer.write(ws_frame_header(len(body)) + body)
                with contextlib.suppress(ConnectionError, ssl.SSLError):
                    await writer.drain()
                if not await closed_within(reader, deadline_s):
                    raise InvariantBroken(f"a stranger ({shape}) outlived the handshake "
                                          f"deadline of {limits.handshake_deadline_s} s")
        finally:
            for _, writer in opened:
                writer.close()
        for _ in range(int(deadline_s / 0.02)):
            if listener.pending == 0:
                break
            await asyncio.sleep(0.02)
        else:
            raise InvariantBroken(f"{listener.pending} connections still count as pending")
        caused = listener.refusals.counts - before
        return "+".join(sorted(caused)) or "peer.closed_quietly"

    def describe(self, case: Case) -> dict[str, Any]:
        return {"label": case[0], "input_hex": case[1].hex(),
                "note": "the node's consensus state when it crashed is not saved"}

    def stats(self) -> dict[str, Any]:
        driver = self.replication.driver if self.replication else None
        return {"corpus": len(self.corpus), "head_height_start": self.start_height,
                "head_height_end": self.world.node.chain.head.height,
                "driver_round_end": driver.round if driver else None}

    async def close(self) -> None:
        if self.replication is not None:
            await self.replication.stop()
        self.world.close()


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # percent-encoded, with its query string
    body: bytes
    headers: tuple[tuple[str, str], ...]
    shape: str = "plain"  # or one of SHAPES: sent to the node's front, see ApiTarget.run

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body_hex": self.body.hex(),
                "headers": [list(h) for h in self.headers], "shape": self.shape}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ApiRequest:
        return cls(document["method"], document["path"], bytes.fromhex(document["body_hex"]),
                   tuple((k, v) for k, v in document["headers"]),
                   document.get("shape", "plain"))


ADDRESS_PARAMS = {"address", "holder", "debtor", "creditor", "bank", "acquirer", "member"}
ID_PARAMS = {"id", "voucher", "origin", "after"}
STATUS_WORDS = ("active", "consumed", "cancelled", "pending", "open", "released",
                "enforced", "overdue", "extended", "asset", "consumption", "live")
CONTENT_TYPES = ("application/json", "application/msgpack", "application/octet-stream",
                 "text/plain", "application/json; charset=latin-1", "multipart/form-data",
                 "application/x-www-form-urlencoded", "")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")


class ApiTarget:
    """Every route of the HTTP app through an in-process aiohttp test server."""

    name = "api"

    def __init__(self, seed: int, root: Path) -> None:
        self.world = World(seed, root)
        self.client: TestClient | None = None
        self.front: tuple[web.AppRunner, int] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.status: Counter[int] = Counter()
        app = make_app(self.world.node)
        self.app = app
        # HEAD twins of GET routes come in through the occasional random method.
        self.routes = sorted({(r.method, r.resource.canonical) for r in app.router.routes()
                              if r.resource is not None and r.method != "HEAD"})
        documented = openapi_document().get("paths", {})
        self.query_names: dict[str, list[str]] = {}
        for _, template in self.routes:
            names = []
            for operation in documented.get(template, {}).values():
                if isinstance(operation, dict):
                    names += [p["name"] for p in operation.get("parameters", [])
                              if p.get("in") == "query"]
            self.query_names[template] = sorted(set(names))
        self.generic_names = sorted({n for names in self.query_names.values() for n in names}
                                    | {"limit", "after", "wait_ms", "status", "x"})
        world = self.world
        self.signer = Signer.of(CHAIN_ID, world.keys["regulator"],
                                [*world.keys.values(), *world.validators])
        self.hex_pool = [h.hex() for h in world.hash_pool()]
        self.tx_corpus = [encode(tx) for tx in world.txs]
        self.fresh_txs = [encode(world.signed("fees", "record_payment", fees.RecordPayment(
            world.addr("agency"), world.addr("bank"), 1 + i, f"API-{i}"), 2**50 + i))
            for i in range(16)]
        self.height = world.node.chain.head.height

    async def _client(self) -> TestClient:
        if self.client is None:
            # A connection per request: an answer the client cannot parse (a HEAD answered
            # with a body by the HTTP parser) must not spoil the next request.
            self.client = TestClient(TestServer(self.app),
                                     connector=aiohttp.TCPConnector(force_close=True),
                                     middlewares=(aiohttp_signing(self.signer),))
            await self.client.start_server()
        return self.client

    async def _front(self) -> tuple[aiohttp.ClientSession, int]:
        """The node's own front on 127.0.0.1 (no inflating, deadlines) and a session."""
        if self.front is None:
            runner, site = await start_front(
                make_app(self.world.node, front_limits=FUZZ_FRONT), "127.0.0.1", 0)
            self.front = (runner, site.port_bound)
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True), auto_decompress=False,
                middlewares=(aiohttp_signing(self.signer),))
        assert self.session is not None
        return self.session, self.front[1]

    # ---------------------------------------------------------------- request parts

    def _text(self, rng: random.Random) -> str:
        choice = rng.randrange(8)
        if choice == 0:
            return random_text(rng, rng.randint(0, 12))
        if choice == 1:
            return rng.choice(self.hex_pool).upper()
        if choice == 2:
            return " " + rng.choice(self.hex_pool) + "\t"
        if choice == 3:
            return rng.choice(self.hex_pool)[: rng.randrange(64)]
        if choice == 4:
            return rng.choice(self.hex_pool) + rng.choice(("0", "00", "zz", "é", "%00"))
        if choice == 5:
            return "9" * rng.choice((19, 20, 400, 5000))
        if choice == 6:
            return rng.choice(("", "null", "-1", "0x10", "1e3", "NaN", "..", "٣", "½", "\x00"))
        return rng.randbytes(rng.randint(1, 24)).hex()

    def _value(self, rng: random.Random, name: str) -> str:
        if name != "wait_ms" and rng.random() < 0.3:
            return self._text(rng)
        if name in ADDRESS_PARAMS or name in ID_PARAMS:
            if name == "after" and rng.random() < 0.3:
                return rng.randbytes(rng.choice((12, 40))).hex()  # event and charge cursors
            return rng.choice(self.hex_pool)
        if name == "height":
            return str(rng.choice((0, 1, self.height, self.height + 1, -1, 2**63, 2**64)))
        if name == "limit":
            return str(rng.choice((0, 1, 2, 100, 1000, 1001, -5, 2**70)))
        if name == "wait_ms":  # short waits only (never random digits): the run must not stall
            return rng.choice(("0", "1", "5", "20", "-1", "30001", str(2**64), "1.5", "x", "",
                               " 3", "٣", "0x10"))
        if name in ("status", "standing", "kind"):
            return rng.choice(STATUS_WORDS)
        return self._text(rng)

    def _body(self, rng: random.Random, mutator: Mutator) -> tuple[bytes, str]:
        choice = rng.randrange(11)
        if choice <= 2:
            raw = rng.choice(self.fresh_txs + self.tx_corpus)
            raw = mutator.mutate(raw) if rng.random() < 0.7 else raw
            return json.dumps({"tx": raw.hex()}).encode(), "application/json"
        if choice == 3:
            return mutator.mutate(rng.choice(self.tx_corpus)), "application/msgpack"
        if choice == 4:
            value = rng.choice(([], "tx", None, 5, {"tx": 5}, {"tx": None}, {"tx": "zz"},
                                {"tx": ["00"]}, {"tx": "0" * 200_000}, {"TX": "00"}))
            return json.dumps(value).encode(), "application/json"
        if choice == 5:
            depth = rng.choice((100, 1_000, 50_000, 200_000))
            opener = rng.choice(("[", '{"tx":'))
            return (opener * depth).encode(), "application/json"
        if choice == 6:
            return b"\x00" * (256 * 1024 + rng.randint(1, 4096)), "application/msgpack"
        if choice == 7:
            return b'{"tx": "' + rng.randbytes(16) + b'"}', "application/json"
        if choice == 8:
            return rng.randbytes(rng.randint(0, 64)), rng.choice(CONTENT_TYPES)
        if choice == 9:  # batches (POST /v1/txs/batch), of sound and mutated transactions
            raws = [rng.choice(self.fresh_txs + self.tx_corpus) for _ in range(rng.randint(0, 6))]
            raws = [mutator.mutate(raw) if rng.random() < 0.3 else raw for raw in raws]
            if rng.random() < 0.5:
                return msgpack.packb(raws, use_bin_type=True), "application/msgpack"
            return json.dumps({"txs": [raw.hex() for raw in raws]}).encode(), "application/json"
        return b"", rng.choice(CONTENT_TYPES)

    def _request(self, rng: random.Random, mutator: Mutator) -> ApiRequest:
        method, template = rng.choice(self.routes)
        if rng.random() < 0.1:
            method = rng.choice(METHODS)

        def fill(match: re.Match[str]) -> str:
            return quote(self._value(rng, match.group(1)), safe="")

        path = re.sub(r"\{(\w+)\}", fill, template)
        if rng.random() < 0.03:
            path = rng.choice((path + "/", "/v1/" + quote(self._text(rng), safe=""),
                               path.replace("/v1/", "/v2/"), path + "/x", "/"))
        names = self.query_names.get(template) or self.generic_names
        query = [(n, self._value(rng, n)) for n in
                 (rng.choice(names if rng.random() < 0.8 else self.generic_names)
                  for _ in range(rng.choice((0, 1, 1, 2, 3, 5))))]
        if query:
            path += "?" + urlencode(query, quote_via=quote)
        body, content_type = b"", "application/json"
        if method in ("POST", "PUT", "PATCH") or rng.random() < 0.05:
            body, content_type = self._body(rng, mutator)
        headers = [("Content-Type", content_type)] if content_type else []
        if method != "HEAD" and rng.random() < 0.03:
            # (aiohttp answers a HEAD it cannot decode with a body the client refuses.)
            headers.append(("Content-Encoding", rng.choice(("gzip", "deflate", "br", "x"))))
        draw = rng.random()
        for shape, share in SHAPES.items():
            if draw < share and method != "HEAD":
                return self._shaped(rng, shape, method, path, body, headers)
            draw -= share
        return ApiRequest(method, path, body, tuple(headers))

    def _shaped(self, rng: random.Random, shape: str, method: str, path: str, body: bytes,
                headers: list[tuple[str, str]]) -> ApiRequest:
        headers = [h for h in headers if h[0] != "Content-Encoding"]
        if shape == "compressed":
            if rng.random() < 0.5:  # a bomb: megabytes of hex once inflated
                inflated = b'{"tx": "' + b"00" * rng.choice((1 << 20, 5 << 20)) + b'"}'
            else:
                inflated = body or b'{"tx": "00"}'
            coding = rng.choice(("gzip", "deflate", "br", "x-bomb", "gzip, identity"))
            body = gzip.compress(inflated) if coding != "deflate" else zlib.compress(inflated)
            headers.append(("Content-Encoding", coding))
        elif shape == "slow_body":
            method = rng.choice(("POST", "POST", method))
            body = body or b'{"tx": "' + b"00" * rng.randint(1, 200_000) + b'"}'
        return ApiRequest(method, path, body, tuple(headers), shape)

    def cases(self, rng: random.Random, count: int) -> Iterator[Case]:
        corpus = self.tx_corpus + self.fresh_txs
        mutator = Mutator(rng, corpus, strings_of(corpus))
        for _ in range(count):
            request = self._request(rng, mutator)
            yield request.method, json.dumps(request.to_json()).encode()

    async def send(self, request: ApiRequest) -> tuple[int, str, bytes]:
        """Status, content type and body of the answer, on a connection of its own."""
        client = await self._client()
        # Through the session itself: TestClient.request keeps every response until close.
        async with client.session.request(
            request.method, client.make_url(request.path), data=request.body,
            headers=dict(request.headers), skip_auto_headers={"Content-Type"},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        ) as response:
            return response.status, response.content_type, await response.read()

    async def send_to_front(self, request: ApiRequest) -> tuple[int, str, bytes]:
        """Status, content type and body of the front's answer (nothing inflated)."""
        session, port = await self._front()
        async with session.request(
            request.method, f"http://127.0.0.1:{port}{request.path}", data=request.body,
            headers=dict(request.headers), skip_auto_headers={"Content-Type"},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        ) as response:
            return response.status, response.content_type, await response.read()

    async def trickle(self, request: ApiRequest) -> tuple[bytes, bool]:
        """Send the head (slow_head: a header line every 50 ms, never ending it) or the
        body (slow_body: a byte every 50 ms) to the front: what it answered, and whether
        it closed the connection within SLOW_BOUND_S."""
        _, port = await self._front()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = f"{request.method} {request.path} HTTP/1.1\r\nHost: fuzz\r\n".encode()
        head += b"".join(f"{k}: {v}\r\n".encode() for k, v in request.headers)
        if request.path.isascii() and request.path.startswith("/"):
            # Signed over the whole body it would send: the node reads the body first.
            start = request.body[:64]
            whole = start + b"0" * (len(request.body) + 1_000_000 - len(start))
            signed = self.signer.headers(request.method, request.path,
                                         whole if request.shape == "slow_body" else b"")
            head += b"".join(f"{k}: {v}\r\n".encode() for k, v in signed.items())
        if request.shape == "slow_body":
            head += f"Content-Length: {len(request.body) + 1_000_000}\r\n\r\n".encode()
            head += request.body[:64]
        answer = b""
        deadline = time.monotonic() + SLOW_BOUND_S
        try:
            writer.write(head)
            while time.monotonic() < deadline:
                writer.write(b"0" if request.shape == "slow_body" else b"X-Slow: 1\r\n")
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), timeout=0.05)
                except TimeoutError:
                    continue
                if not chunk:
                    return answer, True
                answer += chunk
        except ConnectionError:
            return answer, True
        finally:
            writer.close()
        return answer, False

    async def run_shaped(self, request: ApiRequest) -> str:
        if request.shape == "compressed":
            status, content_type, raw = await self.send_to_front(request)
            self.status[status] += 1
            if status == 400 and content_type == "text/plain":
                return PARSER_REFUSED
            code = json.loads(raw).get("error", {}).get("code") if raw[:1] == b"{" else None
            if (status, code) != (415, "request.encoding_refused"):
                raise InvariantBroken(f"a {dict(request.headers).get('Content-Encoding')} "
                                      f"body to {request.path[:100]} answered {status} {code}")
            return code
        answer, closed = await self.trickle(request)
        if not closed:
            raise InvariantBroken(f"a {request.shape} connection to {request.path[:100]} "
                                  f"stayed open {SLOW_BOUND_S} s")
        if not answer:
            return f"closed.{request.shape}"
        status = int(answer.split(b" ", 2)[1])
        self.status[status] += 1
        if status >= 500:
            raise ServerError(f"a {request.shape} request answered {answer[:300]!r}")
        if b"request.body_timeout" in answer:
            return "request.body_timeout"
        return f"{request.shape}.{status}"

    async def run(self, case: Case) -> str:
        request = ApiRequest.from_json(json.loads(case[1]))
        if request.shape != "plain":
            return await self.run_shaped(request)
        status, content_type, raw = await self.send(request)
        self.status[status] += 1
        if status == 503 and request.path.split("?")[0] in PROBES:
            return PROBE_NOT_OK  # the probes' answer by design: not up, or not ready
        if status >= 500:
            raise ServerError(f"{request.method} {request.path[:200]} answered {status}: "
                              f"{raw[:300].decode(errors='replace')}")
        if status < 400:
            return ACCEPTED
        if request.method == "HEAD":
            return f"head.{status}"  # no body to read a code from
        if status == 400 and content_type == "text/plain":
            # aiohttp's HTTP parser refused the request before any route saw it: a
            # request line or header over 8190 bytes, an unknown Content-Encoding.
            return PARSER_REFUSED
        if request.path.startswith("/explorer/") and content_type == "text/html":
            return f"explorer.page_{status}"  # the sign-in's answers are for a browser
        try:
            document = json.loads(raw)
        except ValueError:
            raise InvariantBroken(f"{request.method} {request.path[:200]}: not JSON") from None
        error = document.get("error") if isinstance(document, dict) else None
        if not (isinstance(error, dict) and isinstance(error.get("code"), str)
                and isinstance(error.get("message"), str)):
            raise InvariantBroken(f"{status} without an error code and message: {raw[:200]!r}")
        return error["code"]

    def describe(self, case: Case) -> dict[str, Any]:
        return {"label": case[0], "request": json.loads(case[1])}

    def stats(self) -> dict[str, Any]:
        return {"routes": len(self.routes),
                "status": {str(k): v for k, v in sorted(self.status.items())},
                "5xx": sum(v for k, v in self.status.items() if k >= 500)}

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.session is not None:
            await self.session.close()
        if self.front is not None:
            await self.front[0].cleanup()
        self.world.close()


TARGET_CLASSES: dict[str, Callable[[int, Path], Target]] = {
    "codec": CodecTarget, "tx": TxTarget, "frame": FrameTarget, "api": ApiTarget,
}


# ------------------------------------------------------------------ the run


def rss_kib() -> int:
    """The resident set size now (Linux), else the peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return peak_rss_kib()


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def crash_kind(error: BaseException) -> str:
    """The exception's type and the place it was raised: what tells two crashes apart."""
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"


class ServerLog(logging.Handler):
    """Keeps the last error a server-side logger reported (with its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None
        self.where: str | None = None  # exception type and place of the last error

    def clear(self) -> None:
        self.last = self.where = None

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += "\n" + "".join(traceback.format_exception(error))
            self.where = crash_kind(error)
        self.last = text


@contextmanager
def quiet_logs() -> Iterator[ServerLog]:
    """Meanwhile the node's and aiohttp's logs go to a handler that keeps the last error
    only; the root logger is put back as it was afterwards."""
    handler = ServerLog()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    for existing in saved_handlers:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.ERROR)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for existing in saved_handlers:
            root.addHandler(existing)
        root.setLevel(saved_level)


@dataclass
class Tally:
    """What one target's run saw."""

    target: str
    seed: int
    out_dir: Path
    inputs: int = 0
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)
    reproducers: list[str] = field(default_factory=list)

    def crash(self, error: BaseException, described: dict[str, Any], server: ServerLog) -> None:
        kind = crash_kind(error)
        if isinstance(error, ServerError) and server.where:
            kind = f"HTTP 5xx: {server.where}"  # the server's exception, not the client's
        if kind not in self.crashes and len(self.crashes) >= MAX_CRASH_KINDS:
            kind = "other"
        self.crashes[kind] += 1
        if self.crashes[kind] > MAX_REPRODUCERS_PER_KIND:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{self.target}-{sum(self.crashes.values()):06d}.json"
        document = {
            "target": self.target, "seed": self.seed, "crash": kind,
            "exception": "".join(traceback.format_exception_only(type(error), error)).strip(),
            "traceback": "".join(traceback.format_exception(error)),
            "server_log": server.last, **described,
            "replay": f"scripts/fuzz --replay {path}",
        }
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        self.reproducers.append(str(path))


async def fuzz_target(name: str, seed: int, count: int, out_dir: Path) -> dict[str, Any]:
    """Run `count` inputs of one target from `seed`; its part of the report."""
    with quiet_logs() as server_log:
        return await _fuzz(name, seed, count, out_dir, server_log)


async def _fuzz(name: str, seed: int, count: int, out_dir: Path,
                server_log: ServerLog) -> dict[str, Any]:
    rss_before = rss_kib()
    with tempfile.TemporaryDirectory(prefix=f"claimledger-fuzz-{name}-") as tmp:
        target = TARGET_CLASSES[name](seed, Path(tmp))
        tally = Tally(name, seed, out_dir)
        rss_start = rss_kib()
        rss_samples: list[int] = []  # at every tenth of the run: memory stays bounded
        sample_every = max(1, count // 10)
        started = time.perf_counter()
        try:
            for case in target.cases(random.Random(f"{seed}/{name}"), count):
                tally.inputs += 1
                server_log.clear()
                try:
                    outcome = await target.run(case)
                except Exception as e:  # a crash is what we are looking for
                    tally.crash(e, target.describe(case), server_log)
                else:
                    if outcome == ACCEPTED:
                        tally.accepted += 1
                    else:
                        tally.refused[outcome] += 1
                if tally.inputs % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # the node's timers and tasks run meanwhile
                if tally.inputs % sample_every == 0:
                    rss_samples.append(rss_kib())
        finally:
            seconds = time.perf_counter() - started
            await target.close()
        rss_end = rss_kib()
    report: dict[str, Any] = {
        "inputs": tally.inputs,
        "accepted": tally.accepted,
        "refused": sum(tally.refused.values()),
        "refused_by_code": dict(tally.refused.most_common()),
        "crashes": sum(tally.crashes.values()),
        "crashes_by_kind": dict(tally.crashes.most_common()),
        "reproducers": tally.reproducers,
        "seconds": round(seconds, 2),
        "inputs_per_s": round(tally.inputs / seconds) if seconds else None,
        "rss_kib": {"before_setup": rss_before, "start": rss_start, "end": rss_end,
                    "every_tenth": rss_samples},
        "peak_rss_kib": peak_rss_kib(),
    }
    report.update(target.stats())
    return report


def run_target(job: tuple[str, int, int, str]) -> dict[str, Any]:
    name, seed, count, out_dir = job
    return asyncio.run(fuzz_target(name, seed, count, Path(out_dir)))


async def replay(path: Path) -> int:
    """Run one saved crash again; print its outcome or traceback; 1 if it still crashes."""
    document = json.loads(path.read_text(encoding="utf-8"))
    name = document["target"]
    with quiet_logs() as server_log, \
            tempfile.TemporaryDirectory(prefix=f"claimledger-fuzz-{name}-") as tmp:
        target = TARGET_CLASSES[name](document["seed"], Path(tmp))
        if "request" in document:
            case: Case = (document["label"], json.dumps(document["request"]).encode())
        else:
            case = (document["label"], bytes.fromhex(document["input_hex"]))
        try:
            outcome = await target.run(case)
        except Exception:  # shown to the person replaying it
            traceback.print_exc()
            if server_log.last:
                print(f"the server logged: {server_log.last}", file=sys.stderr)
            return 1
        finally:
            await target.close()
    print(json.dumps({"target": name, "outcome": outcome}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/fuzz",
        description="Feed mutated inputs to the node's decoders and HTTP API; "
                    "exit 1 on any crash or answer of 500 or more.",
    )
    parser.add_argument("--inputs", type=int, default=100_000,
                        help="inputs per decoder target (100000)")
    parser.add_argument("--api-inputs", type=int,
                        help=f"requests of the api target (default: the smaller of --inputs "
                             f"and {DEFAULT_API_INPUTS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of corpus and mutations (0)")
    parser.add_argument("--target", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--jobs", type=int, default=1,
                        help="targets run side by side in this many processes (1)")
    parser.add_argument("--out-dir", type=Path,
                        help="where crash reproducers go (default: a new temporary directory)")
    parser.add_argument("--replay", type=Path, metavar="CRASH.json",
                        help="run one saved crash again and show its traceback")
    args = parser.parse_args(argv)
    if args.replay is not None:
        return asyncio.run(replay(args.replay))
    if args.inputs < 1 or args.jobs < 1 or (args.api_inputs is not None and args.api_inputs < 1):
        parser.error("--inputs, --api-inputs and --jobs must be positive")
    api_inputs = args.api_inputs or min(args.inputs, DEFAULT_API_INPUTS)
    out_dir = args.out_dir or Path(tempfile.gettempdir()) / f"claimledger-fuzz-{os.getpid()}"
    names = TARGETS if args.target == "all" else (args.target,)
    jobs = [(n, args.seed, api_inputs if n == "api" else args.inputs, str(out_dir))
            for n in names]
    peak_start = peak_rss_kib()
    started = time.perf_counter()
    if args.jobs == 1 or len(jobs) == 1:
        reports = [run_target(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=min(args.jobs, len(jobs))) as pool:
            reports = list(pool.map(run_target, jobs))
    crashes = sum(r["crashes"] for r in reports)
    server_errors = sum(r.get("5xx", 0) for r in reports)
    summary = {
        "seed": args.seed,
        "targets": dict(zip(names, reports, strict=True)),
        "inputs": sum(r["inputs"] for r in reports),
        "crashes": crashes,
        "5xx": server_errors,
        "out_dir": str(out_dir) if out_dir.exists() else None,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_kib": {"start": peak_start, "end": peak_rss_kib()},
        "ok": crashes == 0 and server_errors == 0,
    }
    print(json.dumps(summary, indent=1))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
