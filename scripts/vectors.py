"""Test vectors of the wire format (docs/format.md), made by the code that defines it.

    scripts/vectors            rewrite docs/vectors/*.json from the code
    scripts/vectors --check    exit 1, naming the files that differ, if any would change

Each file is JSON for people who implement the format in another language: the inputs
(records with their field names; bytes as lowercase hex; integers as decimal strings, since
many JSON parsers read numbers as doubles), the canonical bytes, hashes, and Ed25519 keys
from fixed seeds with the signatures they make (Ed25519 is deterministic). `records.json`
describes every record type the vectors use, field by field, as contracts/codec.py reads
its annotations. Negative vectors are bytes a conforming decoder must refuse, with the
error code the Python decoder gives.

A change to the format shows up as a difference here (tests/test_format_vectors.py): if it
is intended, run `scripts/vectors` and bump contracts/protocol.py's PROTOCOL_VERSION.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import types
from dataclasses import dataclass, fields, make_dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python scripts/vectors.py` from anywhere
    sys.path.insert(0, str(ROOT))

from consensus.certificate import PRECOMMIT, PREVOTE, VOTE_DOMAIN, vote_bytes  # noqa: E402
from contracts import issuance, pledge, setoff, transfer  # noqa: E402
from contracts.blocks import (  # noqa: E402
    CertificateRecord,
    Header,
    PrecommitRecord,
    Validator,
    ValidatorSet,
    block_id,
    validators_hash,
)
from contracts.codec import (  # noqa: E402
    MAX_INPUT_BYTES,
    U32,
    U64,
    CodecError,
    Hash32,
    IntRange,
    OneOf,
    Size,
    decode,
    encode,
    sha256,
)
from contracts.deployed import DEPLOYED  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.requests import (  # noqa: E402
    NONCE_HEADER,
    REQUEST_DOMAIN,
    SignedRequest,
    request_headers,
)
from contracts.requests import signing_bytes as request_signing_bytes  # noqa: E402
from contracts.tx import (  # noqa: E402
    MAX_SIGNATURES,
    MAX_TX_BYTES,
    MAX_VALIDITY_BLOCKS,
    TX_DOMAIN,
    ContractRef,
    Payload,
    Signature,
    Transaction,
    add_signature,
    payload_id,
    signing_bytes,
)
from contracts.vouchers import issued_voucher_id, part_id  # noqa: E402
from node.blocks import evidence_root, merkle_root, tx_root  # noqa: E402

VECTORS_DIR = ROOT / "docs" / "vectors"
FORMAT_VERSION = 1  # of these files' layout, not of the protocol
REGENERATE = "scripts/vectors"
FULL_HEX_BYTES = 1024  # longer encodings are given by length, head and sha256
CHAIN_ID = "claimledger-devnet"

# The codec's bounds for a field annotated without Size/IntRange (contracts/codec.py).
DEFAULT_INT = (-(2**63), 2**64 - 1)
DEFAULT_BYTES = (0, MAX_INPUT_BYTES)
DEFAULT_STR = (0, 4096)
DEFAULT_ARRAY = (0, 1024)


# ---------------------------------------------------------------- types and values as JSON


def _record_name(cls: type) -> str:
    """A record type's name in the vectors: its module's last part, a dot, its class."""
    return f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}"


def describe(annotation: Any, found: dict[str, type]) -> dict[str, Any]:
    """The JSON description of a field type, read as contracts.codec reads it; record types
    met on the way are added to `found`."""
    extra: tuple = ()
    if get_origin(annotation) is Annotated:
        annotation, *rest = get_args(annotation)
        extra = tuple(rest)

    def bound(kind: type, default: tuple[int, int]) -> tuple[int, int]:
        c = next((c for c in extra if isinstance(c, kind)), None)
        return default if c is None else (c.lo, c.hi)

    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return {"kind": "optional", "of": describe(inner, found)}
    if origin is tuple:
        lo, hi = bound(Size, DEFAULT_ARRAY)
        return {"kind": "array", "of": describe(get_args(annotation)[0], found),
                "min_len": str(lo), "max_len": str(hi)}
    if annotation is bool:
        return {"kind": "bool"}
    if annotation is int:
        lo, hi = bound(IntRange, DEFAULT_INT)
        return {"kind": "int", "min": str(lo), "max": str(hi)}
    if annotation is bytes:
        lo, hi = bound(Size, DEFAULT_BYTES)
        return {"kind": "bytes", "min_len": str(lo), "max_len": str(hi)}
    if annotation is str:
        lo, hi = bound(Size, DEFAULT_STR)
        out: dict[str, Any] = {"kind": "str", "min_len": str(lo), "max_len": str(hi)}
        one_of = next((c for c in extra if isinstance(c, OneOf)), None)
        if one_of is not None:
            out["one_of"] = sorted(one_of.values)
        return out
    name = _record_name(annotation)
    if name not in found:
        found[name] = annotation
        for f in record_fields(annotation):
            describe(f[1], found)
    return {"kind": "record", "name": name}


def record_fields(cls: type) -> list[tuple[str, Any]]:
    hints = get_type_hints(cls, include_extras=True)
    return [(f.name, hints[f.name]) for f in fields(cls)]


def record_schema(cls: type, found: dict[str, type]) -> dict[str, Any]:
    return {"fields": [{"name": name, "type": describe(t, found)}
                       for name, t in record_fields(cls)]}


def value_json(value: Any) -> Any:
    """A value as the vectors write it: bytes as hex, integers as decimal strings."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple | list):
        return [value_json(v) for v in value]
    return {f.name: value_json(getattr(value, f.name)) for f in fields(value)}


def encoded_json(data: bytes) -> dict[str, Any]:
    """Canonical bytes as hex, or, when long, by their length, first bytes and sha256."""
    if len(data) <= FULL_HEX_BYTES:
        return {"encoded": data.hex()}
    return {"encoded_length": len(data), "encoded_head": data[:16].hex(),
            "encoded_sha256": sha256(data).hex()}


def long_json(unit: str, times: int) -> dict[str, Any]:
    """A long value written as a unit repeated (hex for bytes, text for str)."""
    return {"repeat": unit, "times": times}


# ---------------------------------------------------------------- keys


SEED_NAMES = ("alice", "bob", "carol", "bank", "agency", "v1", "v2", "v3", "v4")


def seed_of(name: str) -> bytes:
    """A fixed seed per name: the byte (index + 1) 32 times."""
    return bytes([SEED_NAMES.index(name) + 1]) * 32


@functools.cache
def key(name: str) -> KeyPair:
    return KeyPair(seed_of(name))


def keys_json() -> dict[str, Any]:
    return {name: {"seed": seed_of(name).hex(), "public_key": key(name).address.hex()}
            for name in SEED_NAMES}


# ---------------------------------------------------------------- codec vectors


def _case_type(annotation: Any) -> type:
    """A one-field record `[value]` of the given field type: the codec encodes records only."""
    return make_dataclass("Case", [("value", annotation)], frozen=True)


LongStr = Annotated[str, Size(0, 70_000)]
LongBytes = Annotated[bytes, Size(0, 70_000)]
LongArray = Annotated[tuple[U32, ...], Size(0, 70_000)]
OneChar = Annotated[str, Size(1, 1)]
Colour = Annotated[str, OneOf(frozenset({"red", "green"}))]
Nested = tuple[tuple[U32, ...], ...]


@dataclass(frozen=True)
class CodecCase:
    name: str
    annotation: Any
    value: Any
    json: Any = None  # the value as written, when it is long


def codec_cases() -> list[CodecCase]:
    cases = [CodecCase(f"uint {n}", U64, n) for n in
             (0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1)]
    cases += [CodecCase(f"int {n}", int, n) for n in
              (-1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63))]
    cases += [CodecCase("bool false", bool, False), CodecCase("bool true", bool, True)]
    for n in (0, 1, 31, 32, 255, 256, 65535, 65536):
        text, data = "x" * n, bytes([0xA5]) * n
        long = n > 300
        cases.append(CodecCase(f"str of {n} bytes", LongStr, text,
                               long_json("x", n) if long else None))
        cases.append(CodecCase(f"bytes of {n}", LongBytes, data,
                               long_json("a5", n) if long else None))
    cases += [
        # str bounds count Unicode code points; msgpack's size class counts UTF-8 bytes.
        CodecCase("str of 10 CJK characters, 30 bytes (fixstr)", str, "签" * 10),
        CodecCase("str of 11 CJK characters, 33 bytes (str 8)", str, "签" * 11),
        CodecCase("str of one code point outside the BMP, 4 bytes", OneChar, "\U0001f600"),
        CodecCase("str from an enumeration", Colour, "green"),
    ]
    for n in (0, 15, 16, 65535, 65536):
        long = n > 300
        cases.append(CodecCase(f"array of {n} items", LongArray, (7,) * n,
                               {"repeat": "7", "times": n} if long else None))
    cases += [
        CodecCase("optional absent", U64 | None, None),
        CodecCase("optional present", U64 | None, 5),
        CodecCase("optional record present", pledge.Filing | None,
                  pledge.Filing("ZD2026-0001", 1_767_225_600_000, 1_798_761_600_000)),
        CodecCase("nested arrays", Nested, ((1, 2), (), (3,))),
        CodecCase("record in a record, records in an array", Transaction, Transaction(
            Payload(CHAIN_ID, ContractRef("transfer", 1, bytes(32)), "sign", b"", 1, 0),
            (Signature(bytes([1]) * 32, bytes([2]) * 64),))),
    ]
    return cases


@dataclass(frozen=True)
class Refusal:
    name: str
    annotation: Any
    data: bytes
    error: str
    reason: str


def refusals() -> list[Refusal]:
    one = b"\x91"  # a one-field record's array header
    return [
        Refusal("non-minimal int: 5 as uint 8", U64, one + b"\xcc\x05", "codec.non_canonical",
                "5 fits a positive fixint (0x05)"),
        Refusal("non-minimal int: 255 as uint 16", U64, one + b"\xcd\x00\xff",
                "codec.non_canonical", "255 fits uint 8 (0xcc 0xff)"),
        Refusal("non-minimal int: 5 as int 8", U64, one + b"\xd0\x05", "codec.non_canonical",
                "a non-negative integer takes the unsigned forms"),
        Refusal("non-minimal int: -1 as int 8", int, one + b"\xd0\xff", "codec.non_canonical",
                "-1 fits a negative fixint (0xff)"),
        Refusal("non-minimal str: 'a' as str 8", str, one + b"\xd9\x01a", "codec.non_canonical",
                "a str of 1 byte takes fixstr (0xa1)"),
        Refusal("non-minimal bytes: 1 byte as bin 16", LongBytes, one + b"\xc5\x00\x01\xa5",
                "codec.non_canonical", "1 byte takes bin 8"),
        Refusal("non-minimal array: 1 item as array 16", U64, b"\xdc\x00\x01\x05",
                "codec.non_canonical", "1 item takes fixarray (0x91)"),
        Refusal("map instead of array", U64, b"\x81\xa5value\x05", "codec.type",
                "records are arrays, never maps"),
        Refusal("float 64", U64, one + b"\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", "codec.type",
                "no floats: 1.0 is not the integer 1"),
        Refusal("float 32", U64, one + b"\xca\x3f\x80\x00\x00", "codec.type", "no floats"),
        Refusal("trailing bytes", U64, one + b"\x05\x00", "codec.trailing_bytes",
                "one record, nothing after it"),
        Refusal("extra field", U64, b"\x92\x05\x05", "codec.field_count",
                "a record has exactly its fields"),
        Refusal("missing field", U64, b"\x90", "codec.field_count",
                "a record has exactly its fields; an absent optional is nil, not omitted"),
        Refusal("truncated", ContractRef, b"\x93\xa8transfer\x01", "codec.malformed",
                "the input ends inside the record"),
        Refusal("str where bytes are expected", LongBytes, one + b"\xa1a", "codec.type",
                "bytes are bin, never str"),
        Refusal("bytes where a str is expected", str, one + b"\xc4\x01a", "codec.type",
                "a str is str, never bin"),
        Refusal("invalid UTF-8 in a str", str, one + b"\xa1\xff", "codec.malformed",
                "a str is valid UTF-8"),
        Refusal("bool where an integer is expected", U64, one + b"\xc3", "codec.type",
                "true is not 1"),
        Refusal("integer where a bool is expected", bool, one + b"\x01", "codec.type",
                "1 is not true"),
        Refusal("nil where a value is required", U64, one + b"\xc0", "codec.type",
                "only an optional field may be nil"),
        Refusal("integer above the field's bound", U32, one + b"\xcf" + (2**32).to_bytes(8, "big"),
                "codec.range", "U32 is at most 2^32-1"),
        Refusal("negative integer in an unsigned field", U64, one + b"\xff", "codec.range",
                "U64 is at least 0"),
        Refusal("31 bytes where 32 are required", Hash32, one + b"\xc4\x1f" + bytes(31),
                "codec.size", "a Hash32 is exactly 32 bytes"),
        Refusal("str longer than its bound in code points", OneChar, one + b"\xa2ab",
                "codec.size", "at most 1 code point"),
        Refusal("str outside its enumeration", Colour, one + b"\xa4blue", "codec.value",
                "one of: green, red"),
        Refusal("ext type", U64, one + b"\xd4\x01\x00", "codec.malformed",
                "no extension types"),
        Refusal("the unused byte 0xc1", U64, one + b"\xc1", "codec.malformed",
                "0xc1 is no msgpack form"),
        Refusal("map with an integer key", U64, one + b"\x81\x01\x02", "codec.malformed",
                "no maps; a map key that is not str or bin is not even read"),
        Refusal("not an array at the top", U64, b"\x05", "codec.type",
                "a record is an array"),
    ]


def check_refusal(r: Refusal) -> None:
    """The Python decoder refuses the bytes with the code the vector states."""
    try:
        decode(_case_type(r.annotation), r.data)
    except CodecError as e:
        if e.code != r.error:
            raise AssertionError(f"{r.name}: refused with {e.code}, not {r.error}") from e
        return
    raise AssertionError(f"{r.name}: the decoder accepts it")


def codec_document(found: dict[str, type]) -> dict[str, Any]:
    positive = []
    for case in codec_cases():
        data = encode(_case_type(case.annotation)(case.value))
        positive.append({"name": case.name, "type": describe(case.annotation, found),
                         "value": case.json if case.json is not None else value_json(case.value),
                         **encoded_json(data)})
    negative = []
    for r in refusals():
        check_refusal(r)
        negative.append({"name": r.name, "type": describe(r.annotation, found),
                         "encoded": r.data.hex(), "error": r.error, "reason": r.reason})
    return {
        "about": "Each case is a record of one field, `value`, of the type given: its canonical "
                 "bytes are a one-item array (0x91) then the value, except where the type is "
                 "itself a record. A `repeat` value is `unit` repeated `times` times (hex for "
                 "bytes). Negative cases must be refused; `error` is the Python decoder's code.",
        "positive": positive, "negative": negative,
    }


# ---------------------------------------------------------------- transactions


def contract_json(module: types.ModuleType) -> tuple[ContractRef, dict[str, Any]]:
    """The contract a vector invokes: the deployed code hash when the version is frozen,
    else a stand-in (a node answers the real one in /v1/status `contracts`)."""
    deployed = DEPLOYED.get((module.NAME, module.VERSION))
    if deployed is not None:
        ref, source = ContractRef(module.NAME, module.VERSION, bytes.fromhex(deployed)), "deployed"
    else:
        stand_in = sha256(f"stand-in code hash of {module.NAME} v{module.VERSION}".encode())
        ref, source = ContractRef(module.NAME, module.VERSION, stand_in), "stand-in"
    return ref, {**value_json(ref), "code_hash_source": source}


@dataclass(frozen=True)
class TxCase:
    name: str
    module: types.ModuleType
    operation: str
    body: Any
    expiry_height: int
    nonce: int


DOCUMENT_ID = sha256(b"an attached invoice")  # an id of a document attached beforehand


def tx_cases() -> list[TxCase]:
    a, b, c = key("alice").address, key("bob").address, key("carol").address
    bank = key("bank").address
    apply_body = issuance.Apply(a, issuance.Terms(
        debtor=c, amount_fen=12_345_600, due_ms=1_798_761_600_000, asset_offset=False,
        consumption_offset=True, extension_days=30, extension_max=2,
        basis_ref="购销合同 HT-2026-0042", basis_sha256=sha256(b"the basis contract")),
        (DOCUMENT_ID,))
    apply_id = payload_id(_payload(TxCase("", issuance, "apply", apply_body, 1_000, 1)))
    voucher = issued_voucher_id(apply_id)
    transfer_case = TxCase("transfer of part of a voucher", transfer, "transfer",
                           transfer.Transfer(holder=a, voucher=voucher, to=b,
                                             amount_fen=5_000_000, pledgee=None,
                                             contract_ref="转让合同 ZR-2026-007"), 1_200, 2)
    moved = part_id(payload_id(_payload(transfer_case)), voucher, 0)  # bob's part
    return [
        TxCase("issuance apply", issuance, "apply", apply_body, 1_000, 1),
        transfer_case,
        TxCase("pledge create", pledge, "create", pledge.Create(
            holder=b, bank=bank, voucher=moved, secured_fen=5_000_000,
            loan_due_ms=1_790_000_000_000, loan_ref="LOAN-2026-88", loan_fen=4_000_000,
            loan_rate_bp=435,
            filing=pledge.Filing("ZD2026-0001", 1_767_225_600_000, 1_798_761_600_000)),
            1_500, 3),
        TxCase("set-off consent", setoff, "consent", setoff.Consent(
            member=c, round=sha256(b"a set-off round's propose transaction")), 2_000, 2**40),
    ]


def _payload(case: TxCase) -> Payload:
    ref, _ = contract_json(case.module)
    return Payload(CHAIN_ID, ref, case.operation, encode(case.body), case.expiry_height,
                   case.nonce)


def _operation(case: TxCase) -> Any:
    return {op.name: op for op in case.module.OPERATIONS}[case.operation]


def signed(case: TxCase) -> Transaction:
    """The case's transaction with every required signer's signature, in canonical order."""
    payload = _payload(case)
    by_address = {key(n).address: key(n) for n in SEED_NAMES}
    tx = Transaction(payload, ())
    for signer in _operation(case).signers(case.body):
        tx = add_signature(tx, signer, by_address[signer].sign(signing_bytes(payload)))
    return tx


def names_of(address: bytes) -> str:
    return next(n for n in SEED_NAMES if key(n).address == address)


def tx_document(found: dict[str, type]) -> dict[str, Any]:
    out = []
    for case in tx_cases():
        op = _operation(case)
        describe(op.body, found)
        tx = signed(case)
        payload = tx.payload
        _, contract = contract_json(case.module)
        out.append({
            "name": case.name,
            "contract": contract,
            "operation": case.operation,
            "body_type": _record_name(op.body),
            "body": value_json(case.body),
            "body_bytes": payload.body.hex(),
            "payload": {**value_json(payload), "contract": value_json(payload.contract)},
            "payload_bytes": encode(payload).hex(),
            "tx_id": payload_id(payload).hex(),
            "signing_bytes": signing_bytes(payload).hex(),
            "required_signers": [names_of(s) for s in op.signers(case.body)],
            "signatures": [{"signer": names_of(s.signer), "public_key": s.signer.hex(),
                            "signature": s.signature.hex()} for s in tx.signatures],
            "transaction_bytes": encode(tx).hex(),
        })
    describe(Transaction, found)
    return {
        "about": "Transactions fully signed by the seeds in keys.json. body_bytes is the "
                 "canonical encoding of `body` (a record of `body_type`); payload_bytes that "
                 "of the payload; tx_id = sha256(payload_bytes); each signature is Ed25519 "
                 "over signing_bytes = the domain tag then payload_bytes; signatures are "
                 "sorted by public key. A stand-in code hash stands for a contract version "
                 "still being developed: a client reads the real one from GET /v1/status.",
        "tx_domain": TX_DOMAIN.hex(),
        "max_tx_bytes": MAX_TX_BYTES,
        "max_signatures": MAX_SIGNATURES,
        "max_validity_blocks": MAX_VALIDITY_BLOCKS,
        "transactions": out,
    }


# ---------------------------------------------------------------- ids


def ids_document() -> dict[str, Any]:
    apply_case, transfer_case = tx_cases()[:2]
    application = payload_id(signed(apply_case).payload)
    voucher = issued_voucher_id(application)
    transfer_id = payload_id(signed(transfer_case).payload)
    return {
        "about": "Ids derived from transaction ids. An application, pledge, set-off round "
                 "or pending transfer is known by the id of the transaction that made it.",
        "issued_voucher": {"application": application.hex(), "voucher": voucher.hex(),
                           "rule": "sha256('claimledger/voucher/issue' 0x00 application)"},
        "parts": [{"tx_id": transfer_id.hex(), "parent": voucher.hex(), "index": i,
                   "part": part_id(transfer_id, voucher, i).hex(),
                   "rule": "sha256('claimledger/voucher/part' 0x00 tx_id parent index:u8)"}
                  for i in (0, 1)],
    }


# ---------------------------------------------------------------- requests


REQUEST_TIME_MS = 1_764_936_000_000


def request_document(found: dict[str, type]) -> dict[str, Any]:
    describe(SignedRequest, found)
    alice = key("alice")
    transfer_tx = encode(signed(tx_cases()[1]))
    cases = [
        ("GET with a query", "GET", f"/v1/vouchers?holder={alice.address.hex()}&status=active",
         b""),
        ("POST of a transaction as JSON", "POST", "/v1/txs",
         json.dumps({"tx": transfer_tx.hex()}).encode()),
        ("GET with percent-encoding, signed as sent", "GET",
         "/v1/vouchers?basis_ref=%E8%B4%AD%E9%94%80", b""),
    ]
    out = []
    for i, (name, method, target, body) in enumerate(cases):
        nonce = bytes([i + 1]) * 16
        time_ms = REQUEST_TIME_MS + i
        request = SignedRequest(CHAIN_ID, method, target, sha256(body), time_ms, nonce)
        headers = request_headers(alice, CHAIN_ID, method, target, body, time_ms, nonce)
        assert headers[NONCE_HEADER] == nonce.hex()
        out.append({
            "name": name, "signer": "alice", "chain_id": CHAIN_ID, "method": method,
            "target": target, "body": body.hex(),
            "signed_request": value_json(request),
            "signed_request_bytes": encode(request).hex(),
            "signing_bytes": request_signing_bytes(request).hex(),
            "headers": headers,
        })
    return {
        "about": "Signed API requests by alice (keys.json). The signature is Ed25519 over "
                 "signing_bytes = the request domain tag then the canonical SignedRequest; the "
                 "four headers carry the address, time, nonce and signature.",
        "request_domain": REQUEST_DOMAIN.hex(),
        "requests": out,
    }


# ---------------------------------------------------------------- blocks


def blocks_document(found: dict[str, type]) -> dict[str, Any]:
    for cls in (Header, ValidatorSet, CertificateRecord):
        describe(cls, found)
    validators = [key(n) for n in ("v1", "v2", "v3", "v4")]
    powers = {v.address: 1 for v in validators}
    vset = ValidatorSet(tuple(Validator(k, p) for k, p in sorted(powers.items())))
    raw_txs = [encode(signed(case)) for case in tx_cases()]
    header = Header(
        chain_id=CHAIN_ID, height=42, prev_hash=sha256(b"the block at height 41"),
        time_ms=REQUEST_TIME_MS, proposer=validators[1].address, tx_root=tx_root(raw_txs),
        tx_count=len(raw_txs), state_root=sha256(b"the state after height 42"),
        validators_hash=validators_hash(powers), next_validators_hash=validators_hash(powers),
        evidence_root=evidence_root([]))
    bid = block_id(header)
    round_ = 1
    precommit = vote_bytes(CHAIN_ID, PRECOMMIT, header.height, round_, bid)
    signers = sorted(validators[:3], key=lambda k: k.address)  # 3 of 4: more than 2/3
    certificate = CertificateRecord(header.height, round_, bid, tuple(
        PrecommitRecord(k.address, k.sign(precommit)) for k in signers))
    leaves = [sha256(bytes([i])) for i in range(5)]
    return {
        "about": "A block header at height 42 carrying the four transactions of "
                 "transactions.json, its id, the validator set v1..v4 of keys.json (power 1 "
                 "each), the sign bytes of votes, and a commit certificate of 3 precommits.",
        "validator_set": value_json(vset),
        "validator_set_bytes": encode(vset).hex(),
        "validators_hash": validators_hash(powers).hex(),
        "transactions": [raw.hex() for raw in raw_txs],
        "tx_root": header.tx_root.hex(),
        "header": value_json(header),
        "header_bytes": encode(header).hex(),
        "block_id": bid.hex(),
        "vote_domain": VOTE_DOMAIN.hex(),
        "votes": [
            {"name": "precommit", "type": PRECOMMIT, "height": str(header.height),
             "round": str(round_), "block_id": bid.hex(), "sign_bytes": precommit.hex()},
            {"name": "prevote", "type": PREVOTE, "height": str(header.height),
             "round": str(round_), "block_id": bid.hex(),
             "sign_bytes": vote_bytes(CHAIN_ID, PREVOTE, header.height, round_, bid).hex()},
            {"name": "nil prevote", "type": PREVOTE, "height": str(header.height),
             "round": "0", "block_id": "",
             "sign_bytes": vote_bytes(CHAIN_ID, PREVOTE, header.height, 0, b"").hex()},
        ],
        "certificate": value_json(certificate),
        "certificate_bytes": encode(certificate).hex(),
        "merkle": [{"leaves": [leaf.hex() for leaf in leaves[:n]],
                    "root": merkle_root(leaves[:n]).hex()} for n in (0, 1, 2, 3, 5)],
        "empty_evidence_root": evidence_root([]).hex(),
    }


# ---------------------------------------------------------------- the files


def build() -> dict[str, Any]:
    """Every vector file's JSON document, by file name."""
    found: dict[str, type] = {}
    documents = {
        "codec.json": codec_document(found),
        "transactions.json": tx_document(found),
        "ids.json": ids_document(),
        "requests.json": request_document(found),
        "blocks.json": blocks_document(found),
        "keys.json": {"about": "Ed25519 (RFC 8032) keys from fixed seeds: the public key "
                               "is the member's address.", "keys": keys_json()},
    }
    records = {name: record_schema(cls, {}) for name, cls in sorted(found.items())}
    documents["records.json"] = {
        "about": "The record types the vectors use: fields in wire order, each with its type. "
                 "Integer bounds and lengths are decimal strings; str lengths count Unicode "
                 "code points, bytes and array lengths count bytes and items.",
        "records": records,
    }
    return {name: {"format_version": FORMAT_VERSION, "generated_by": REGENERATE, **doc}
            for name, doc in documents.items()}


@functools.cache
def record_types() -> dict[str, type]:
    """The record types named in records.json, by their names there."""
    found: dict[str, type] = {}
    codec_document(found)
    tx_document(found)
    request_document(found)
    blocks_document(found)
    return found


def render(document: Any) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def differences(directory: Path = VECTORS_DIR) -> list[str]:
    """The vector files that are missing, differ from what the code makes, or are extra."""
    made = {name: render(doc) for name, doc in build().items()}
    present = {p.name for p in directory.glob("*.json")} if directory.is_dir() else set()
    out = [name for name, text in sorted(made.items())
           if name not in present or (directory / name).read_text(encoding="utf-8") != text]
    return out + sorted(present - made.keys())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file would change")
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    args = parser.parse_args(argv)
    if args.check:
        changed = differences(args.out)
        for name in changed:
            print(f"{args.out / name} differs from what the code makes", file=sys.stderr)
        return 1 if changed else 0
    args.out.mkdir(parents=True, exist_ok=True)
    documents = build()
    for name, document in documents.items():
        (args.out / name).write_text(render(document), encoding="utf-8")
    for stale in sorted({p.name for p in args.out.glob("*.json")} - documents.keys()):
        (args.out / stale).unlink()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
