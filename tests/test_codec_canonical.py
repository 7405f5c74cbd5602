"""The canonical codec: round trips, one encoding per record, and every refusal's code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import issuance
from contracts.codec import (
    U64,
    CodecError,
    Fen,
    Hash32,
    IntRange,
    OneOf,
    Size,
    decode,
    digest,
    encode,
)
from contracts.tx import ContractRef, Payload, Signature, Transaction, decode_transaction


@dataclass(frozen=True)
class Inner:
    n: Annotated[int, IntRange(-5, 5)]
    tag: Annotated[str, OneOf(frozenset({"a", "b"}))]


@dataclass(frozen=True)
class Outer:
    flag: bool
    amount: Fen
    blob: Annotated[bytes, Size(0, 8)]
    name: Annotated[str, Size(1, 10)]
    maybe: Inner | None
    items: Annotated[tuple[Inner, ...], Size(0, 3)]
    big: U64


hash32 = st.binary(min_size=32, max_size=32)
inners = st.builds(Inner, st.integers(-5, 5), st.sampled_from(["a", "b"]))
outers = st.builds(
    Outer, st.booleans(), st.integers(0, 10**16), st.binary(max_size=8),
    st.text(min_size=1, max_size=10), st.none() | inners,
    st.lists(inners, max_size=3).map(tuple), st.integers(0, 2**64 - 1),
)
terms = st.builds(
    issuance.Terms, hash32, st.integers(0, 10**16), st.integers(0, 2**63 - 1), st.booleans(),
    st.booleans(), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
    st.text(min_size=1, max_size=256), hash32,
)
transactions = st.builds(
    Transaction,
    st.builds(Payload, st.text(min_size=1, max_size=64),
              st.builds(ContractRef, st.text(min_size=1, max_size=64),
                        st.integers(0, 2**32 - 1), hash32),
              st.text(min_size=1, max_size=64), st.binary(max_size=300),
              st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    st.lists(st.builds(Signature, hash32, st.binary(min_size=64, max_size=64)),
             max_size=8).map(tuple),
)


@settings(max_examples=200)
@given(st.one_of(outers, terms, transactions))
def test_every_record_round_trips_to_identical_bytes(record) -> None:
    raw = encode(record)
    back = decode(type(record), raw)
    assert back == record
    assert encode(back) == raw and digest(back) == digest(record)


@settings(max_examples=500)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_canonically_or_raise_codec_error(raw: bytes) -> None:
    try:
        tx = decode_transaction(raw)
    except CodecError as e:
        assert e.code.startswith("codec.")
    else:
        assert encode(tx) == raw


@settings(max_examples=200)
@given(transactions, st.binary(min_size=1, max_size=4))
def test_trailing_bytes_are_refused(tx, extra: bytes) -> None:
    with pytest.raises(CodecError) as e:
        decode(Transaction, encode(tx) + extra)
    assert e.value.code in ("codec.trailing_bytes", "codec.malformed")


VALID = Outer(True, 5, b"x", "n", Inner(1, "a"), (Inner(2, "b"),), 7)


def wire(**changes):
    fields = [True, 5, b"x", "n", [1, "a"], [[2, "b"]], 7]
    names = ["flag", "amount", "blob", "name", "maybe", "items", "big"]
    for k, v in changes.items():
        fields[names.index(k)] = v
    return fields


def code_of(raw: bytes, cls=Outer, **kw) -> str:
    with pytest.raises(CodecError) as e:
        decode(cls, raw, **kw)
    return e.value.code


@pytest.mark.parametrize(("fields", "code"), [
    (wire(amount=5.0), "codec.type"),  # a float where money belongs
    (wire(flag=1), "codec.type"),  # an int is not a boolean
    (wire(amount=True), "codec.type"),  # a boolean is not an int
    (wire(amount=-1), "codec.range"),
    (wire(amount=10**16 + 1), "codec.range"),
    (wire(maybe=[6, "a"]), "codec.range"),
    (wire(blob=b"123456789"), "codec.size"),
    (wire(name=""), "codec.size"),
    (wire(name=b"n"), "codec.type"),  # bytes where text belongs
    (wire(blob="x"), "codec.type"),
    (wire(maybe=[1, "c"]), "codec.value"),
    (wire(items=[[1, "a"]] * 4), "codec.size"),
    (wire(maybe={"n": 1, "tag": "a"}), "codec.type"),  # a map where an array belongs
    (wire()[:-1], "codec.field_count"),
    ([*wire(), 1], "codec.field_count"),
])
def test_non_conforming_fields_are_refused_with_their_code(fields, code: str) -> None:
    assert code_of(msgpack.packb(fields, use_bin_type=True)) == code


def test_a_map_instead_of_the_record_array_is_refused() -> None:
    assert code_of(msgpack.packb({"flag": True}, use_bin_type=True)) == "codec.type"


def test_non_minimal_encodings_are_refused() -> None:
    canonical = encode(VALID)
    # 7 as uint64 (0xcf) instead of a positive fixint.
    wide = canonical[:-1] + b"\xcf" + (7).to_bytes(8, "big")
    assert code_of(wide) == "codec.non_canonical"
    # "n" as str8 (0xd9) instead of fixstr.
    raw = msgpack.packb(wire(), use_bin_type=True)
    str8 = raw.replace(b"\xa1n", b"\xd9\x01n", 1)
    assert code_of(str8) == "codec.non_canonical"


def test_truncated_garbage_and_invalid_utf8_are_malformed() -> None:
    raw = encode(VALID)
    assert code_of(raw[:-3]) == "codec.malformed"
    assert code_of(b"\xc1") == "codec.malformed"
    bad_text = msgpack.packb(wire(), use_bin_type=True).replace(b"\xa1n", b"\xa1\xff", 1)
    assert code_of(bad_text) == "codec.malformed"


def test_over_long_input_is_refused_before_parsing() -> None:
    assert code_of(b"\x90" * 100, max_bytes=50) == "codec.too_long"
    assert code_of(b"\x00" * (70 * 1024), cls=Transaction, max_bytes=64 * 1024) == \
        "codec.too_long"


def test_encoding_checks_values_too() -> None:
    with pytest.raises(CodecError) as e:
        encode(Outer(True, -1, b"", "n", None, (), 0))
    assert e.value.code == "codec.range"


def test_hash_fields_take_exactly_32_bytes() -> None:
    @dataclass(frozen=True)
    class H:
        h: Hash32

    assert code_of(msgpack.packb([b"x" * 31], use_bin_type=True), cls=H) == "codec.size"
