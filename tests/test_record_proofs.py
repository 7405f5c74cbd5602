"""Record proofs over HTTP: GET /v1/proofs/{kind}/{id} proves a record, or its absence,
against the state root of a block whose header the caller reads from /v1/blocks.

Two ledgers. The read-rule world of tests/test_read_routes.py (one record of every kind,
made by real signed transactions, replayed into a real node with its API in process):
every provable kind it holds is proven and checked against the block's root, unknown
ids are proven absent, and callers the read rules refuse get the refusal and no proof.
Then a real node process: a voucher issued through the API is proven live, transferred
in part, and proven consumed at the new height, where its old proof no longer holds;
every byte flipped in a proof or a value the API gave makes verification fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import state_tree, transfer
from contracts.codec import CodecError, decode, to_json
from contracts.identity import KeyPair
from contracts.record_proofs import PROVABLE, Provable
from contracts.requests import request_headers
from contracts.state_tree import Proof
from tests import nodeproc
from tests.memledger import CHAIN
from tests.test_read_routes import UNRELATED, Api, served_api

UNKNOWN = bytes.fromhex("ab" * 64)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from served_api(tmp_path_factory.mktemp("record-proofs"))


def answer(api: Api, path: str, who: str | None) -> tuple[int, dict[str, Any]]:
    status, body = api.get(path, who)
    return status, json.loads(body)


def root_at(api: Api, height: int) -> bytes:
    status, block = answer(api, f"/v1/blocks/{height}", "regulator")
    assert status == 200, block
    return bytes.fromhex(block["header"]["state_root"])


def holds(root: bytes, proven: dict[str, Any]) -> bool:
    """Whether the API's answer verifies against `root` with nothing but its own bytes."""
    value = None if proven["value"] is None else bytes.fromhex(proven["value"])
    try:
        proof = decode(Proof, bytes.fromhex(proven["proof"]))
    except CodecError:
        return False
    return state_tree.verify(root, bytes.fromhex(proven["key"]), value, proof)


def key_prefix(kind: Provable) -> bytes:
    """The key prefix of a kind's records: every kind's id is the end of its key."""
    key = kind.key(bytes(kind.id_bytes))
    return key[:len(key) - kind.id_bytes]


def present_id(api: Api, kind: Provable) -> bytes | None:
    """The id of a record of `kind` the world's ledger holds, if any."""
    prefix = key_prefix(kind)
    for key, _ in api.node.store.scan(prefix):
        if len(key) == len(prefix) + kind.id_bytes:
            return key[len(prefix):]
    return None


def reader_of(api: Api, kind: Provable, record_id: bytes) -> str:
    """A caller that reads the record: a regulator, or for a stream its own member."""
    if kind.kind != "stream":
        return "regulator"
    return next(name for name, keys in api.keys.items() if keys.address == record_id)


def test_every_provable_record_verifies_against_its_blocks_state_root(api: Api) -> None:
    proven = []
    for kind in PROVABLE.values():
        record_id = present_id(api, kind)
        if record_id is None:
            continue
        status, body = answer(api, f"/v1/proofs/{kind.kind}/{record_id.hex()}",
                              reader_of(api, kind, record_id))
        assert status == 200, (kind.kind, body)
        assert (body["kind"], body["id"]) == (kind.kind, record_id.hex())
        assert body["key"] == kind.key(record_id).hex()
        assert body["height"] == api.node.chain.head.height
        assert bytes.fromhex(body["state_root"]) == root_at(api, body["height"])
        assert holds(root_at(api, body["height"]), body), kind.kind
        assert body["record"] == to_json(decode(kind.record, bytes.fromhex(body["value"])))
        assert body["siblings"] == len(decode(Proof, bytes.fromhex(body["proof"])).siblings)
        proven.append(kind.kind)
    # The world holds a record of nearly every kind; those it lacks are named here.
    assert set(PROVABLE) - set(proven) <= {"node_proposal", "observer"}, proven


def test_the_record_shown_is_the_one_its_own_route_shows(api: Api) -> None:
    voucher = api.world.records["voucher"]
    _, proven = answer(api, f"/v1/proofs/voucher/{voucher.id.hex()}", "regulator")
    _, shown = answer(api, f"/v1/vouchers/{voucher.id.hex()}", "regulator")
    assert {k: shown[k] for k in proven["record"]} == proven["record"]


@pytest.mark.parametrize("kind", sorted(k for k in PROVABLE if k != "stream"))
def test_an_unknown_id_is_proven_absent(api: Api, kind: str) -> None:
    record_id = UNKNOWN[:PROVABLE[kind].id_bytes]
    status, body = answer(api, f"/v1/proofs/{kind}/{record_id.hex()}", "regulator")
    assert status == 200, body
    assert body["value"] is None and body["record"] is None
    assert holds(root_at(api, body["height"]), body)
    # The same proof does not pass the key off as holding anything.
    assert not state_tree.verify(bytes.fromhex(body["state_root"]),
                                 bytes.fromhex(body["key"]), b"\x90",
                                 decode(Proof, bytes.fromhex(body["proof"])))


def test_any_member_learns_an_unknown_voucher_is_absent(api: Api) -> None:
    status, body = answer(api, f"/v1/proofs/voucher/{UNKNOWN[:32].hex()}", UNRELATED)
    assert status == 200 and body["value"] is None
    assert holds(root_at(api, body["height"]), body)


def test_a_caller_the_read_rules_refuse_gets_the_refusal_and_no_proof(api: Api) -> None:
    w = api.world
    voucher = w.records["voucher"]
    holder = w.parties["holder_totals"]["self"]
    for path, who in [
        (f"/v1/proofs/voucher/{voucher.id.hex()}", UNRELATED),
        (f"/v1/proofs/pledge/{w.records['pledge'].id.hex()}", UNRELATED),
        (f"/v1/proofs/holder_totals/{api.addr(holder).hex()}", UNRELATED),
        # A member's stream is its own, not even oversight's.
        (f"/v1/proofs/stream/{api.addr(holder).hex()}", "regulator"),
        # Its absence is told by the rule too: whether a member holds anything is its own.
        (f"/v1/proofs/holder_totals/{UNKNOWN[:32].hex()}", UNRELATED),
    ]:
        status, body = answer(api, path, who)
        assert status == 403, (path, body)
        assert body["error"]["code"] == "read.forbidden"
        assert set(body) == {"error"}
        assert voucher.holder.hex() not in json.dumps(body)
    status, body = answer(api, f"/v1/proofs/voucher/{voucher.id.hex()}", None)
    assert (status, body["error"]["code"]) == (401, "auth.required")


def test_a_key_that_is_no_member_learns_nothing(api: Api) -> None:
    stranger = KeyPair.generate()
    path = f"/v1/proofs/voucher/{UNKNOWN[:32].hex()}"

    async def go() -> tuple[int, dict[str, Any]]:
        headers = request_headers(stranger, CHAIN, "GET", path, b"", nodeproc.now_ms())
        response = await api.client.get(path, headers=headers)
        return response.status, await response.json()

    status, body = api.loop.run_until_complete(go())
    assert (status, body["error"]["code"]) == (403, "read.forbidden")


def test_an_unknown_kind_is_404_and_a_malformed_id_400(api: Api) -> None:
    status, body = answer(api, f"/v1/proofs/lineage/{UNKNOWN[:32].hex()}", "regulator")
    assert (status, body["error"]["code"]) == (404, "proof.unknown_kind")
    for bad in ("ab" * 31, "ab" * 33, "zz" * 32, "a" * 63):
        status, body = answer(api, f"/v1/proofs/voucher/{bad}", "regulator")
        assert (status, body["error"]["code"]) == (400, "request.bad_id"), bad
    status, body = answer(api, f"/v1/proofs/setoff_mandate/{UNKNOWN[:32].hex()}", "regulator")
    assert (status, body["error"]["code"]) == (400, "request.bad_id")


# ------------------------------------------------------------------ a real node process


def proof_of(api: str, path: str) -> dict[str, Any]:
    reply = nodeproc.get(api, path)
    assert reply.status == 200, reply.body
    return reply.json()


def block_root(api: str, height: int) -> bytes:
    reply = nodeproc.get(api, f"/v1/blocks/{height}")
    assert reply.status == 200, reply.body
    return bytes.fromhex(reply.json()["header"]["state_root"])


@pytest.fixture(scope="module")
def spent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A voucher proven live, then transferred in part (consumed) and proven again, with
    the part the transferee received, on a node process (read as the agency)."""
    net = nodeproc.make_network(Path(tmp_path_factory.mktemp("proofs-process")))
    with nodeproc.running(net):
        _, voucher = nodeproc.issue_voucher(net)
        live = proof_of(net.api, f"/v1/proofs/voucher/{voucher}")
        live_root = block_root(net.api, live["height"])
        supplier, agency = net.members["supplier"], net.members["agency"]
        move = nodeproc.build_tx(net.chain_id, "transfer", "transfer", transfer.Transfer(
            supplier.address, bytes.fromhex(voucher), agency.address, 400_000, None, "TC-1"),
            supplier, agency)
        moved = next(e["subject"] for e in nodeproc.commit(net.api, move)["events"]
                     if e["kind"] == "voucher.transferred")
        consumed = proof_of(net.api, f"/v1/proofs/voucher/{voucher}")
        received = proof_of(net.api, f"/v1/proofs/voucher/{moved}")
        yield {"voucher": voucher, "live": live, "live_root": live_root,
               "consumed": consumed, "consumed_root": block_root(net.api, consumed["height"]),
               "received": received, "agency": agency.address.hex()}


def test_a_voucher_transferred_later_is_proven_consumed_and_its_old_proof_fails(
        spent: dict[str, Any]) -> None:
    live, consumed, received = spent["live"], spent["consumed"], spent["received"]
    assert live["record"]["status"] == "active" and holds(spent["live_root"], live)
    assert consumed["height"] > live["height"]
    assert consumed["record"]["status"] == "consumed"
    assert consumed["record"]["ended_by"] is not None
    assert holds(spent["consumed_root"], consumed)
    assert spent["consumed_root"] != spent["live_root"]
    assert not holds(spent["consumed_root"], live)  # the live state is no longer proven
    assert not holds(spent["live_root"], consumed)
    # The part the transferee holds now is proven at the same height.
    assert received["height"] == consumed["height"]
    assert received["record"]["holder"] == spent["agency"]
    assert received["record"]["amount_fen"] == 400_000
    assert received["record"]["parent"] == spent["voucher"]
    assert holds(spent["consumed_root"], received)


@given(data=st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_byte_flipped_in_a_value_or_a_proof_fails_verification(
        spent: dict[str, Any], data: st.DataObject) -> None:
    proven = spent["consumed"]
    field = data.draw(st.sampled_from(["value", "proof"]))
    raw = bytearray.fromhex(proven[field])
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    assert not holds(spent["consumed_root"], {**proven, field: raw.hex()})
