"""The wire format's test vectors (docs/vectors) are what the code makes, hold in the Python
code, and hold in the second implementation (docs/js) that other-language teams read.

A failure of the first test means the format changed: the message says how to regenerate
the vectors and which version to bump.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest

from consensus.certificate import verify_certificate
from contracts.blocks import CertificateRecord, Header, block_id
from contracts.codec import CodecError, IntRange, OneOf, Size, decode, encode
from contracts.identity import verify
from contracts.proofs import as_certificate
from contracts.requests import authenticate
from contracts.tx import Transaction, decode_transaction, payload_id, verify_signatures

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "docs" / "vectors"
FORMAT_DOC = ROOT / "docs" / "format.md"
JS_CHECKER = ROOT / "docs" / "js" / "check_vectors.mjs"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("format_vectors", ROOT / "scripts" / "vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


vectors = _load_generator()


def _file(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def test_committed_vectors_are_what_the_code_makes() -> None:
    changed = vectors.differences(VECTORS)
    assert not changed, (
        f"docs/vectors/{', '.join(changed)} differ from what the code makes: the wire format "
        "changed. If that is intended, run `scripts/vectors` to regenerate them, and bump "
        "PROTOCOL_VERSION in contracts/protocol.py for a change to the codec, the envelope, "
        "blocks, votes or signed requests (or the contract's VERSION for a change to an "
        "operation's record), and update docs/format.md. If it is not intended, undo the "
        "change: every node and every client in another language relies on these bytes.")


# ---------------------------------------------------------------- the files, read by Python


def annotation_of(description: dict[str, Any]) -> Any:
    """The Python field type a vectors type description names."""
    kind = description["kind"]
    if kind == "int":
        return Annotated[int, IntRange(int(description["min"]), int(description["max"]))]
    if kind == "bool":
        return bool
    size = Size(int(description.get("min_len", 0)), int(description.get("max_len", 0)))
    if kind == "bytes":
        return Annotated[bytes, size]
    if kind == "str":
        if "one_of" in description:
            return Annotated[str, size, OneOf(frozenset(description["one_of"]))]
        return Annotated[str, size]
    if kind == "optional":
        return annotation_of(description["of"]) | None
    if kind == "array":
        return Annotated[tuple[annotation_of(description["of"]), ...], size]
    assert kind == "record"
    return vectors.record_types()[description["name"]]


def test_records_json_names_the_fields_of_the_record_types() -> None:
    described = _file("records.json")["records"]
    types = vectors.record_types()
    assert set(described) == set(types)
    for name, schema in described.items():
        assert [f["name"] for f in schema["fields"]] == [
            f for f, _ in vectors.record_fields(types[name])], name


def test_codec_vectors_decode_to_their_values_and_encode_back() -> None:
    for case in _file("codec.json")["positive"]:
        if "encoded" not in case:
            continue  # the long cases are compared whole by the first test
        cls = vectors._case_type(annotation_of(case["type"]))
        data = bytes.fromhex(case["encoded"])
        record = decode(cls, data)
        assert vectors.value_json(record.value) == case["value"], case["name"]
        assert encode(record) == data, case["name"]


def test_negative_vectors_are_refused_with_their_codes() -> None:
    negative = _file("codec.json")["negative"]
    assert len(negative) >= 20
    for case in negative:
        cls = vectors._case_type(annotation_of(case["type"]))
        with pytest.raises(CodecError) as refused:
            decode(cls, bytes.fromhex(case["encoded"]))
        assert refused.value.code == case["error"], case["name"]


def test_transaction_vectors_decode_and_their_signatures_hold() -> None:
    types = vectors.record_types()
    for case in _file("transactions.json")["transactions"]:
        tx = decode_transaction(bytes.fromhex(case["transaction_bytes"]))
        assert encode(tx) == bytes.fromhex(case["transaction_bytes"])
        assert payload_id(tx.payload).hex() == case["tx_id"]
        body = decode(types[case["body_type"]], tx.payload.body)
        assert vectors.value_json(body) == case["body"], case["name"]
        required = tuple(bytes.fromhex(s["public_key"]) for s in case["signatures"])
        verify_signatures(tx, len(required))
        assert [s.signer for s in tx.signatures] == sorted(required)


def test_a_transaction_signed_without_the_domain_tag_does_not_verify() -> None:
    case = _file("transactions.json")["transactions"][0]
    tx = decode(Transaction, bytes.fromhex(case["transaction_bytes"]))
    signature = tx.signatures[0]
    assert verify(signature.signer, bytes.fromhex(case["signing_bytes"]), signature.signature)
    assert not verify(signature.signer, bytes.fromhex(case["payload_bytes"]),
                      signature.signature)


def test_request_vectors_authenticate() -> None:
    for case in _file("requests.json")["requests"]:
        time_ms = int(case["signed_request"]["time_ms"])
        credentials = authenticate(case["headers"], case["chain_id"], case["method"],
                                   case["target"], bytes.fromhex(case["body"]), time_ms)
        assert credentials.address.hex() == case["headers"]["X-Claimledger-Member"]


def test_block_vectors_make_a_header_a_light_client_accepts() -> None:
    blocks = _file("blocks.json")
    header = decode(Header, bytes.fromhex(blocks["header_bytes"]))
    assert block_id(header).hex() == blocks["block_id"]
    certificate = decode(CertificateRecord, bytes.fromhex(blocks["certificate_bytes"]))
    powers = {bytes.fromhex(v["key"]): int(v["power"])
              for v in blocks["validator_set"]["validators"]}
    verify_certificate(as_certificate(certificate), header.chain_id, header.height,
                       block_id(header), powers, verify)


# ---------------------------------------------------------------- the spec's tables


def test_format_doc_has_a_table_per_record_with_its_fields_in_order() -> None:
    """docs/format.md gives each record of records.json as a table under a heading
    naming it (`tx.Payload`), its rows numbered in wire order."""
    text = FORMAT_DOC.read_text(encoding="utf-8")
    for name, schema in _file("records.json")["records"].items():
        section = re.search(rf"^#+ .*`{re.escape(name)}`.*\n((?:.*\n)*?)(?=^#)", text, re.M)
        assert section, f"docs/format.md has no section headed `{name}`"
        rows = re.findall(r"^\| (\d+) \| `(\w+)` \|", section.group(1), re.M)
        assert [f for _, f in rows] == [f["name"] for f in schema["fields"]], (
            f"docs/format.md's table of {name} does not list its fields in wire order")
        assert [int(i) for i, _ in rows] == list(range(len(rows))), name


# ---------------------------------------------------------------- the second implementation


def test_the_javascript_implementation_agrees_with_every_vector() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` (Node.js 20) is not on PATH: the wire format's second "
                    "implementation (docs/js) cannot be checked. Install it (Debian: "
                    "apt-get install nodejs; scripts/test does so when it runs as root).")
    done = subprocess.run([node, str(JS_CHECKER), str(VECTORS)], capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 0, f"docs/js disagrees with docs/vectors:\n{done.stdout}{done.stderr}"
    assert re.search(r"^(\d+) of \1 checks pass", done.stdout, re.M), done.stdout
