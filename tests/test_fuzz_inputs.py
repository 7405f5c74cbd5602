"""Hostile input: decoders refuse with a code and never crash; every route answers below 500.

Hypothesis draws arbitrary bytes, msgpack that is well-formed but wrong (nested arrays
and maps, floats, huge integers, wrong lengths, type confusion) and one-byte mutations of
valid encodings, and feeds them to the decoder of every record type, to the transaction
decoder and checker, to a validator's peer link, and to every route of the HTTP API of a
node whose ledger ran every lifecycle operation. scripts/fuzz runs the same targets for
longer from a seed; its harness is tested at the end.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import quote, urlencode

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.codec import IntRange, OneOf, Size, decode, encode
from contracts.errors import CodecError, LedgerError
from contracts.ledger import check_transaction
from contracts.tx import Transaction, decode_transaction
from node.peers import PeerError, pack, unpack
from node.replication import KINDS

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "fuzz.py"
MiB = 1 << 20
SEED = 11


def _load_script() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("claimledger_fuzz", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["claimledger_fuzz"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_script()
RECORDS: dict[str, type] = fuzz.record_types()
CHAIN_ID: str = fuzz.CHAIN_ID
FEW = settings(max_examples=100, deadline=None, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture,
                                      HealthCheck.too_slow])

# ------------------------------------------------------------------ strategies

MSGPACK_INTS = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([0, -1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, -(2**63), 10**16 + 1]),
)
LEAVES = st.one_of(st.none(), st.booleans(), MSGPACK_INTS, st.floats(), st.text(max_size=70),
                   st.binary(max_size=70))
WIRE = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=9),
        st.dictionaries(st.one_of(st.text(max_size=6), st.binary(max_size=6)), children,
                        max_size=4),
    ),
    max_leaves=40,
)


def packed(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def values(annotation: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Every value of a codec-annotated type, within its bounds."""
    constraints: tuple[Any, ...] = ()
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        constraints = tuple(extra)

    def find(kind: type) -> Any:
        return next((c for c in constraints if isinstance(c, kind)), None)

    origin = get_origin(annotation)
    size = find(Size)
    if origin in (Union, types.UnionType):
        inner = next(a for a in get_args(annotation) if a is not type(None))
        return st.none() | values(inner, depth)
    if origin is tuple:
        lo, hi = (size.lo, size.hi) if size else (0, 1024)
        top = lo if depth > 3 else min(hi, lo + 3)
        return st.lists(values(get_args(annotation)[0], depth + 1), min_size=lo,
                        max_size=top).map(tuple)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        bounds = find(IntRange)
        return st.integers(*((bounds.lo, bounds.hi) if bounds else (-(2**63), 2**64 - 1)))
    if annotation is bytes:
        lo, hi = (size.lo, size.hi) if size else (0, 64)
        return st.binary(min_size=lo, max_size=min(hi, lo + 40))
    if annotation is str:
        one_of = find(OneOf)
        if one_of is not None:
            return st.sampled_from(sorted(one_of.values))
        lo, hi = (size.lo, size.hi) if size else (0, 4096)
        return st.text(min_size=lo, max_size=min(hi, lo + 24))
    assert isinstance(annotation, type) and is_dataclass(annotation), annotation
    hints = get_type_hints(annotation, include_extras=True)
    return st.builds(annotation, *(values(hints[f.name], depth + 1) for f in fields(annotation)))


def records() -> st.SearchStrategy[tuple[str, Any]]:
    return st.sampled_from(sorted(RECORDS)).flatmap(
        lambda name: st.tuples(st.just(name), values(RECORDS[name])))


def one_byte_changed(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` with one byte replaced by a different value."""
    return st.integers(0, len(data) - 1).flatmap(
        lambda i: st.integers(0, 255).filter(lambda b: b != data[i]).map(
            lambda b: data[:i] + bytes([b]) + data[i + 1:]))


def decodes_canonically_or_refuses(cls: type, data: bytes) -> Any:
    """`decode` either refuses with a codec code or gives what re-encodes to `data`."""
    try:
        record = decode(cls, data)
    except CodecError as e:
        assert e.code.startswith("codec."), e.code
        return None
    assert encode(record) == data
    return record


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def tx_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    target = fuzz.TxTarget(SEED, tmp_path_factory.mktemp("fuzz-tx"))
    yield target
    asyncio.run(target.close())


class OnItsLoop:
    """A fuzz target whose node runs on a private event loop, one input at a time."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.loop = asyncio.new_event_loop()

    def run(self, label: str, data: bytes) -> str:
        return self.loop.run_until_complete(self.target.run((label, data)))

    def close(self) -> None:
        self.loop.run_until_complete(self.target.close())
        self.loop.close()


@pytest.fixture(scope="module")
def link(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnItsLoop]:
    harness = OnItsLoop(fuzz.FrameTarget(SEED, tmp_path_factory.mktemp("fuzz-frame")))
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnItsLoop]:
    harness = OnItsLoop(fuzz.ApiTarget(SEED, tmp_path_factory.mktemp("fuzz-api")))
    yield harness
    harness.close()


# ------------------------------------------------------------------ codec and transactions


@FEW
@given(st.binary(max_size=400), st.sampled_from(sorted(RECORDS)))
def test_arbitrary_bytes_are_refused_with_a_codec_code_by_every_record_type(
        data: bytes, name: str) -> None:
    decodes_canonically_or_refuses(RECORDS[name], data)
    decodes_canonically_or_refuses(Transaction, data)


@FEW
@given(WIRE, st.sampled_from(sorted(RECORDS)))
def test_well_formed_but_wrong_msgpack_is_refused_with_a_codec_code(
        wire: Any, name: str) -> None:
    data = packed(wire)
    decodes_canonically_or_refuses(RECORDS[name], data)
    decodes_canonically_or_refuses(Transaction, data)


@FEW
@given(records(), st.data())
def test_a_record_survives_encoding_and_a_changed_byte_is_refused_or_canonical(
        named: tuple[str, Any], data: st.DataObject) -> None:
    name, record = named
    raw = encode(record)
    assert decode(RECORDS[name], raw) == record
    mutated = data.draw(one_byte_changed(raw))
    other = decodes_canonically_or_refuses(RECORDS[name], mutated)
    assert other != record


@FEW
@given(st.data())
def test_wrong_transactions_are_refused_with_a_ledger_code(
        tx_target: Any, data: st.DataObject) -> None:
    raw = data.draw(st.one_of(
        st.binary(max_size=300),
        WIRE.map(packed),
        # A transaction's shape with wrong fields: lengths, types, huge integers.
        st.tuples(st.lists(WIRE, min_size=4, max_size=8), st.lists(WIRE, max_size=3)).map(packed),
        st.sampled_from(tx_target.corpus).map(lambda r: r[:-1]),
        st.sampled_from(tx_target.corpus).map(lambda r: r + b"\x00"),
    ))
    with pytest.raises(LedgerError) as refused:
        check_transaction(tx_target.world.registry, CHAIN_ID, raw, 1)
    assert refused.value.code.split(".")[0] in ("codec", "tx")


@FEW
@given(st.data())
def test_a_signed_transaction_changed_at_one_byte_is_always_refused(
        tx_target: Any, data: st.DataObject) -> None:
    raw = data.draw(st.sampled_from(tx_target.corpus))
    original = decode_transaction(raw)
    mutated = data.draw(one_byte_changed(raw))
    # The envelope may still decode (to another transaction, canonically) ...
    other = decodes_canonically_or_refuses(Transaction, mutated)
    assert other != original
    # ... but every byte is signed or is a signature: the checker refuses it.
    with pytest.raises(LedgerError):
        check_transaction(tx_target.world.registry, CHAIN_ID, mutated, 1)


@FEW
@given(st.randoms(use_true_random=False))
def test_well_typed_signed_bodies_of_every_operation_are_applied_or_refused_with_a_code(
        tx_target: Any, rng: Any) -> None:
    # check_transaction, apply_transaction and end_block on a scratch overlay; the
    # target raises on anything but a LedgerError and on non-canonical acceptance.
    outcome = tx_target.check(("signed", tx_target.world.signed_variant(rng)))
    assert outcome == fuzz.ACCEPTED or "." in outcome


def test_every_operation_has_a_signed_transaction_in_the_corpus(tx_target: Any) -> None:
    operations = set()
    for raw in tx_target.corpus:
        payload = decode_transaction(raw).payload
        operations.add((payload.contract.name, payload.operation))
    assert operations == set(tx_target.world.operations)


# ------------------------------------------------------------------ peer frames


@FEW
@given(st.binary(max_size=300))
def test_the_frame_decoder_refuses_garbage_with_a_peer_code(data: bytes) -> None:
    try:
        kind, _ = unpack(data)
    except PeerError as e:
        assert e.code == "peer.bad_frame"
    else:
        assert isinstance(kind, str)


@FEW
@given(st.one_of(
    st.binary(max_size=300),
    WIRE.map(packed),
    st.tuples(st.sampled_from(sorted(KINDS)) | st.text(max_size=10), WIRE).map(
        lambda f: pack(*f)),
    st.tuples(st.just("status"), st.lists(MSGPACK_INTS, max_size=3)).map(lambda f: pack(*f)),
    st.tuples(st.just("get_blocks"), st.lists(MSGPACK_INTS, max_size=3)).map(
        lambda f: pack(*f)),
    st.tuples(st.just("blocks"), st.lists(st.tuples(st.binary(max_size=60), WIRE).map(list),
                                          max_size=3)).map(lambda f: pack(*f)),
    st.tuples(st.just("txs"), st.lists(st.binary(max_size=200) | WIRE, max_size=4)).map(
        lambda f: pack(*f)),
    st.tuples(st.just("vote"), st.lists(LEAVES, min_size=7, max_size=7)).map(
        lambda f: pack(*f)),
    st.tuples(st.just("proposal"), st.tuples(st.lists(LEAVES, min_size=7, max_size=7),
                                             st.binary(max_size=200)).map(list)).map(
        lambda f: pack(*f)),
))
def test_a_validator_link_refuses_hostile_frames_with_a_code(link: OnItsLoop,
                                                             frame: bytes) -> None:
    # The target raises on any exception but PeerError, and on `peer.internal`.
    assert isinstance(link.run("frame", frame), str)


@FEW
@given(st.data())
def test_a_valid_frame_changed_at_one_byte_is_handled_or_refused_with_a_code(
        link: OnItsLoop, data: st.DataObject) -> None:
    frame = data.draw(st.sampled_from(link.target.corpus))
    assert isinstance(link.run("frame", data.draw(one_byte_changed(frame))), str)


@FEW
@given(st.randoms(use_true_random=False))
def test_signed_blocks_with_hostile_contents_are_refused_not_crashed_on(
        link: OnItsLoop, rng: Any) -> None:
    target = link.target
    mutator = fuzz.Mutator(rng, [target.fresh], [""])
    assert isinstance(link.run("byzantine", target.byzantine(rng, mutator)), str)


def test_the_link_still_serves_after_hostile_frames(link: OnItsLoop) -> None:
    height = link.target.world.node.chain.head.height
    assert link.run("frame", pack("status", [height])) == fuzz.ACCEPTED
    assert link.run("frame", pack("get_blocks", [1, height])) == fuzz.ACCEPTED


@pytest.mark.parametrize("shape", fuzz.PREAUTH_SHAPES)
def test_strangers_on_the_peer_port_are_closed_within_the_deadline(link: OnItsLoop,
                                                                   shape: str) -> None:
    # The target raises when a stranger's connection outlives the handshake deadline or
    # still counts as pending after it; a large declared frame is cut by the byte budget.
    index = fuzz.PREAUTH_SHAPES.index(shape)
    knob = (1 << 62).to_bytes(8, "big")
    outcome = link.run("preauth", bytes([index]) + knob + fuzz.client_hello_sample())
    assert outcome.startswith("peer."), outcome
    if shape == "large_frame":
        assert "peer.preauth_bytes" in outcome


# ------------------------------------------------------------------ every API route

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=70)),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=30,
)
SEGMENTS = st.one_of(
    st.text(max_size=70),
    st.binary(min_size=32, max_size=32).map(bytes.hex),
    st.integers(-(2**70), 2**70).map(str),
)
WAITS = st.sampled_from(["0", "5", "-1", "30001", str(2**64), "x", ""])  # never a long wait
BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    JSON.map(lambda j: json.dumps({"tx": j}).encode()),
    JSON.map(lambda j: json.dumps(j).encode()),
    # Nesting below Python's recursion limit: deeper is test_deeply_nested_json_*.
    st.integers(1, 300).map(lambda depth: b"[" * depth + b"]" * depth),
)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data())
def test_every_route_answers_hostile_requests_below_500_with_json_errors(
        api: OnItsLoop, data: st.DataObject) -> None:
    target = api.target
    method, template = data.draw(st.sampled_from(target.routes))
    method = data.draw(st.just(method) | st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    real = st.sampled_from(target.hex_pool)
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        segment = data.draw(real | SEGMENTS, label=path[start:end + 1])
        path = path[:start] + quote(segment, safe="") + path[end + 1:]
    names = target.query_names.get(template) or target.generic_names
    query = [(name, data.draw(WAITS if name == "wait_ms" else real | SEGMENTS, label=name))
             for name in data.draw(st.lists(st.sampled_from(names), max_size=4))]
    if query:
        path += "?" + urlencode(query, quote_via=quote)
    body = data.draw(BODIES) if method in ("POST", "PUT") else b""
    content_type = data.draw(st.sampled_from(["application/json", "application/msgpack",
                                              "text/plain"]))
    request = fuzz.ApiRequest(method, path, body, (("Content-Type", content_type),))
    # The target raises on a status of 500 or more, on a body that is not JSON, and on
    # an error without a code and a message.
    outcome = api.run(method, json.dumps(request.to_json()).encode())
    assert outcome == fuzz.ACCEPTED or isinstance(outcome, str)


def test_the_routes_fuzzed_are_the_app_router_s_and_include_the_lifecycle_reads(
        api: OnItsLoop) -> None:
    templates = {template for _, template in api.target.routes}
    assert {"/v1/txs", "/v1/vouchers/{id}", "/v1/vouchers/{id}/lineage",
            "/v1/pledges/{id}", "/v1/events"} <= templates
    assert ("POST", "/v1/txs") in api.target.routes


def _post_tx(api: OnItsLoop, body: bytes, *headers: tuple[str, str]) -> tuple[int, str, bytes]:
    request = fuzz.ApiRequest("POST", "/v1/txs", body,
                              (("Content-Type", "application/json"), *headers))
    return api.loop.run_until_complete(api.target.send(request))


def test_deeply_nested_json_submission_is_refused_with_400(api: OnItsLoop) -> None:
    status, _, raw = _post_tx(api, b"[" * 100_000)
    assert status == 400, raw[:200]


def test_submission_with_a_content_encoding_is_refused_with_415(api: OnItsLoop) -> None:
    status, _, raw = _post_tx(api, b'{"tx": "00"}', ("Content-Encoding", "deflate"))
    assert status == 415, raw[:200]
    assert json.loads(raw)["error"]["code"] == "request.encoding_refused"


# ------------------------------------------------------------------ scripts/fuzz


def test_fuzz_reports_every_decoder_target_as_json_and_is_deterministic(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = []
    for _ in range(2):
        status = fuzz.main(["--inputs", "600", "--seed", "5", "--target", "codec",
                            "--out-dir", str(tmp_path / "crashes")])
        reports.append(json.loads(capsys.readouterr().out))
        assert status == 0
    first, again = (r["targets"]["codec"] for r in reports)
    assert first["refused_by_code"] == again["refused_by_code"]
    assert first["accepted"] + first["refused"] == first["inputs"] == 600
    assert first["crashes"] == 0 and reports[0]["ok"] is True
    assert set(first["rss_kib"]) == {"before_setup", "start", "end", "every_tenth"}
    for name in ("tx", "frame"):
        assert fuzz.main(["--inputs", "300", "--seed", "5", "--target", name]) == 0
        report = json.loads(capsys.readouterr().out)["targets"][name]
        assert report["accepted"] + report["refused"] == 300 and report["crashes"] == 0


class Fragile:
    """A target with a bug: any input starting with 0xc1 crashes it."""

    name = "codec"

    def __init__(self, seed: int, root: Path) -> None:
        del seed, root

    def cases(self, rng: Any, count: int) -> Iterator[tuple[str, bytes]]:
        for i in range(count):
            yield "x", bytes([0xC1 if i % 3 == 0 else 0x90, rng.getrandbits(8)])

    async def run(self, case: tuple[str, bytes]) -> str:
        if case[1][0] == 0xC1:
            raise KeyError("boom")
        return fuzz.ACCEPTED

    def describe(self, case: tuple[str, bytes]) -> dict[str, Any]:
        return {"label": case[0], "input_hex": case[1].hex()}

    def stats(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        """Nothing to close."""


def test_a_crash_is_counted_saved_and_replayable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(fuzz.TARGET_CLASSES, "codec", Fragile)
    out = tmp_path / "crashes"
    assert fuzz.main(["--inputs", "30", "--seed", "1", "--target", "codec",
                      "--out-dir", str(out)]) == 1
    report = json.loads(capsys.readouterr().out)
    codec = report["targets"]["codec"]
    assert report["ok"] is False and codec["crashes"] == 10 and codec["accepted"] == 20
    (kind,) = codec["crashes_by_kind"]
    assert kind.startswith("KeyError at ")
    saved = [Path(p) for p in codec["reproducers"]]
    assert len(saved) == fuzz.MAX_REPRODUCERS_PER_KIND and all(p.parent == out for p in saved)
    document = json.loads(saved[0].read_text())
    assert document["input_hex"].startswith("c1") and "KeyError" in document["traceback"]
    assert fuzz.main(["--replay", str(saved[0])]) == 1
    assert "KeyError: 'boom'" in capsys.readouterr().err


def test_the_fuzz_command_runs_from_a_seed_and_exits_0_without_crashes() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "fuzz"), "--inputs", "200", "--seed", "2", "--target", "tx"],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["targets"]["tx"]["inputs"] == 200


@pytest.mark.parametrize("shape, headers, body", [
    ("compressed", (("Content-Encoding", "gzip"),),
     gzip.compress(b'{"tx": "' + b"00" * MiB + b'"}')),
    ("compressed", (("Content-Encoding", "br"),), b"\x00" * 64),
    ("slow_head", (), b""),
    ("slow_body", (("Content-Type", "application/json"),), b'{"tx": "00'),
])
def test_the_api_target_sends_hostile_shapes_to_the_node_s_front(
        api: OnItsLoop, shape: str, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
    request = fuzz.ApiRequest("POST", "/v1/txs", body, headers, shape)
    outcome = api.run("POST", json.dumps(request.to_json()).encode())
    assert outcome == {"compressed": "request.encoding_refused", "slow_head": "closed.slow_head",
                       "slow_body": "request.body_timeout"}[shape]
