"""POST /v1/txs/batch in-process: a batch is checked transaction by transaction as
POST /v1/txs checks one, answered in the order sent; a malformed or oversized body is
refused whole; an observer refuses it; it costs the client a token per transaction."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import msgpack
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.tx import Signature, Transaction
from node.config import NetworkConfig, parse_network
from node.http.app import make_app
from node.http.submit import (
    MAX_BATCH_BODY_BYTES,
    MAX_BATCH_TXS,
    SUBMIT_BUCKETS,
    BatchGate,
    ClientBuckets,
    SubmitLimit,
)
from node.service import Node
from tests.nodeproc import (
    DAY_MS,
    MEMBER_ROLES,
    apply_tx,
    confirm_tx,
    network_toml,
    now_ms,
    tx_id,
)
from tests.signing import signed_by

CHAIN = "batch-test"


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


@dataclass
class Ledger:
    node: Node
    client: TestClient
    members: dict[str, KeyPair]

    def applies(self, count: int, prefix: str = "B") -> list[Transaction]:
        """`count` issuance applications, each on its own basis (so all may pass)."""
        due = now_ms() + 100 * DAY_MS
        return [apply_tx(CHAIN, self.members, due, basis=f"{prefix}-{i}") for i in range(count)]

    async def post(self, body: bytes, content_type: str = "application/msgpack"):
        return await self.client.post("/v1/txs/batch", data=body,
                                      headers={"Content-Type": content_type})

    async def post_batch(self, raws: list[bytes], as_json: bool = False):
        if as_json:
            return await self.post(json.dumps({"txs": [r.hex() for r in raws]}).encode(),
                                   "application/json")
        return await self.post(msgpack.packb(raws, use_bin_type=True))


def config_for(validator: KeyPair, members: dict[str, KeyPair], **observers: KeyPair
               ) -> NetworkConfig:
    return parse_network(network_toml(CHAIN, validator, members, 1, now_ms(),
                                      observers=observers or None))


@asynccontextmanager
async def ledger(tmp_path: Path, max_mempool_txs: int | None = None,
                 limit: SubmitLimit | None = None,
                 clock: FakeClock | None = None) -> AsyncIterator[Ledger]:
    """A validator whose producer does not run (blocks come from `node.produce`)."""
    validator = KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    config = config_for(validator, members)
    if max_mempool_txs is not None:
        config = replace(config, timing=replace(config.timing, max_mempool_txs=max_mempool_txs))
    node = Node(config, tmp_path, validator)
    app = make_app(node)
    if limit is not None:
        app[SUBMIT_BUCKETS] = ClientBuckets(limit, clock or FakeClock())
    client = TestClient(TestServer(app), **signed_by(CHAIN, members))
    await client.start_server()
    try:
        yield Ledger(node, client, members)
    finally:
        await client.close()
        node.close()


async def error_code(response) -> str:
    document = await response.json()
    assert set(document["error"]) == {"code", "message"} and document["error"]["message"]
    return document["error"]["code"]


def with_bad_signature(tx: Transaction) -> Transaction:
    first = tx.signatures[0]
    forged = bytes([first.signature[0] ^ 1]) + first.signature[1:]
    return Transaction(tx.payload, (Signature(first.signer, forged), *tx.signatures[1:]))


# ------------------------------------------------------------------ accepted batches


@pytest.mark.parametrize("as_json", [False, True], ids=["msgpack", "json"])
async def test_a_good_batch_is_pending_in_order_then_committed(tmp_path: Path,
                                                               as_json: bool) -> None:
    async with ledger(tmp_path) as w:
        txs = w.applies(25)
        response = await w.post_batch([encode(tx) for tx in txs], as_json=as_json)
        assert response.status == 200, await response.text()
        assert "Retry-After" not in response.headers
        assert (await response.json()) == {
            "results": [{"id": tx_id(tx).hex(), "status": "pending"} for tx in txs]}
        assert list(w.node.mempool.pending) == [tx_id(tx) for tx in txs]  # in the order sent
        w.node.produce(now_ms())
        for tx in txs:
            view = await (await w.client.get(f"/v1/txs/{tx_id(tx).hex()}")).json()
            assert view["status"] == "committed" and view["height"] == 1
        assert len(w.node.mempool) == 0


async def test_a_mixed_batch_reports_each_outcome_in_the_order_sent(tmp_path: Path) -> None:
    async with ledger(tmp_path) as w:
        committed, good, later = w.applies(3)
        response = await w.post_batch([encode(committed)])
        assert response.status == 200
        w.node.produce(now_ms())
        due = now_ms() + 100 * DAY_MS
        bad_signature = with_bad_signature(w.applies(1, "SIG")[0])
        wrong_chain = apply_tx("another-chain", w.members, due, basis="OTHER")
        refused_by_rule = confirm_tx(CHAIN, w.members, b"\x07" * 32)  # no such application
        raws = [encode(good), encode(bad_signature), encode(wrong_chain), encode(committed),
                encode(good), b"\x93not a transaction", encode(refused_by_rule), encode(later)]
        response = await w.post_batch(raws)
        assert response.status == 200
        results = (await response.json())["results"]
        assert len(results) == len(raws)
        pending = {"status": "pending"}
        assert results[0] == {"id": tx_id(good).hex(), **pending}
        assert results[1]["id"] == tx_id(bad_signature).hex()
        assert results[1]["error"]["code"] == "tx.bad_signature"
        assert results[2]["id"] == tx_id(wrong_chain).hex()
        assert results[2]["error"]["code"] == "tx.wrong_chain"
        assert results[3]["id"] == tx_id(committed).hex()
        assert results[3]["error"]["code"] == "tx.replay"
        # Sent twice in one batch: pending once, as POST /v1/txs answers a resubmission.
        assert results[4] == {"id": tx_id(good).hex(), **pending}
        assert results[5]["id"] is None and results[5]["error"]["code"].startswith("codec.")
        assert results[6]["id"] == tx_id(refused_by_rule).hex()
        assert results[6]["error"]["code"].startswith("issuance.")
        assert results[7] == {"id": tx_id(later).hex(), **pending}
        for result in results:
            assert set(result) in ({"id", "status"}, {"id", "error"})
            if "error" in result:
                assert set(result["error"]) == {"code", "message"}
                assert result["error"]["message"]
        assert list(w.node.mempool.pending) == [tx_id(good), tx_id(later)]
        # The rule's refusal is remembered as for POST /v1/txs.
        view = await (await w.client.get(f"/v1/txs/{tx_id(refused_by_rule).hex()}")).json()
        assert view["status"] == "rejected"
        assert view["error"]["code"] == results[6]["error"]["code"]


async def test_a_full_mempool_is_reported_per_transaction_with_retry_after(
        tmp_path: Path) -> None:
    async with ledger(tmp_path, max_mempool_txs=2) as w:
        txs = w.applies(3)
        response = await w.post_batch([encode(tx) for tx in txs])
        assert response.status == 200
        assert response.headers["Retry-After"] == "1"
        results = (await response.json())["results"]
        assert [r.get("status") for r in results[:2]] == ["pending", "pending"]
        assert results[2]["id"] == tx_id(txs[2]).hex()
        assert results[2]["error"]["code"] == "mempool.full"
        w.node.produce(now_ms())
        response = await w.post_batch([encode(txs[2])])
        assert (await response.json())["results"] == [
            {"id": tx_id(txs[2]).hex(), "status": "pending"}]


async def test_an_empty_batch_is_answered_with_no_results(tmp_path: Path) -> None:
    async with ledger(tmp_path) as w:
        for as_json in (False, True):
            response = await w.post_batch([], as_json=as_json)
            assert response.status == 200 and (await response.json()) == {"results": []}


# ------------------------------------------------------------------ refused bodies


def malformed_bodies() -> Iterator[tuple[str, bytes, str, str]]:
    """(case, body, content type, code) of bodies refused whole."""
    mp = "application/msgpack"
    yield "not msgpack", b"\xc1\xc1", mp, "request.bad_msgpack"
    yield "empty msgpack body", b"", mp, "request.bad_msgpack"
    yield "msgpack map", msgpack.packb({"txs": []}), mp, "request.bad_msgpack"
    yield "truncated array", msgpack.packb([b"a", b"b"])[:-1], mp, "request.bad_msgpack"
    yield "two arrays", msgpack.packb([b"a"]) * 2, mp, "request.bad_msgpack"
    yield "nested too deep", b"\x91" * 100_000, mp, "request.bad_msgpack"
    yield "element is a str", msgpack.packb(["00"]), mp, "request.bad_batch"
    yield "element is an int", msgpack.packb([5]), mp, "request.bad_batch"
    yield "element is a list", msgpack.packb([[b"a"]], use_bin_type=True), mp, \
        "request.bad_batch"
    yield "too many", msgpack.packb([b""] * (MAX_BATCH_TXS + 1), use_bin_type=True), mp, \
        "request.too_many_txs"
    yield "array header past the bound", b"\xdd\xff\xff\xff\xff", mp, "request.too_many_txs"
    js = "application/json"
    yield "not JSON", b'{"txs": [', js, "request.bad_json"
    yield "JSON nested too deep", b"[" * 200_000, js, "request.bad_json"
    yield "no txs", b'{"tx": "00"}', js, "request.bad_json"
    yield "txs not a list", b'{"txs": "00"}', js, "request.bad_json"
    yield "JSON element not a string", b'{"txs": [5]}', js, "request.bad_batch"
    yield "JSON element not hex", b'{"txs": ["zz"]}', js, "request.bad_hex"
    yield "JSON element of odd length", b'{"txs": ["abc"]}', js, "request.bad_hex"
    yield "JSON too many", json.dumps({"txs": ["00"] * (MAX_BATCH_TXS + 1)}).encode(), js, \
        "request.too_many_txs"


@pytest.mark.parametrize("case,body,content_type,code",
                         list(malformed_bodies()), ids=[c[0] for c in malformed_bodies()])
async def test_a_malformed_body_is_refused_whole_with_a_code(
        tmp_path: Path, case: str, body: bytes, content_type: str, code: str) -> None:
    async with ledger(tmp_path) as w:
        response = await w.post(body, content_type)
        assert response.status == 400, (case, await response.text())
        assert await error_code(response) == code


async def test_one_malformed_element_admits_nothing_of_the_batch(tmp_path: Path) -> None:
    async with ledger(tmp_path) as w:
        good = [encode(tx) for tx in w.applies(3)]
        response = await w.post(msgpack.packb([*good, "not bytes"], use_bin_type=True))
        assert response.status == 400 and await error_code(response) == "request.bad_batch"
        body = json.dumps({"txs": [*(r.hex() for r in good), "xyz"]}).encode()
        response = await w.post(body, "application/json")
        assert response.status == 400 and await error_code(response) == "request.bad_hex"
        assert len(w.node.mempool) == 0


async def test_a_compressed_body_is_refused_415_undecoded(tmp_path: Path) -> None:
    """Compression gains nothing on signed bytes and would let a few kilobytes expand to
    megabytes before any bound sees them: bodies are taken only as sent."""
    async with ledger(tmp_path) as w:
        for coding, body in (("deflate", b'{"txs": []}'),
                             ("deflate", zlib.compress(msgpack.packb([b"\x00" * 100] * 3))),
                             ("gzip", gzip.compress(b'{"txs": []}'))):
            response = await w.client.post(
                "/v1/txs/batch", data=body,
                headers={"Content-Type": "application/json", "Content-Encoding": coding})
            assert response.status == 415
            assert await error_code(response) == "request.encoding_refused"
        good = w.applies(2)
        response = await w.client.post(
            "/v1/txs/batch", data=msgpack.packb([encode(tx) for tx in good]),
            headers={"Content-Type": "application/msgpack", "Content-Encoding": "identity"})
        assert response.status == 200
        assert [r["id"] for r in (await response.json())["results"]] == [
            tx_id(tx).hex() for tx in good]


async def test_a_body_over_the_bound_is_refused_413(tmp_path: Path) -> None:
    async with ledger(tmp_path) as w:
        element = b"\x00" * (MAX_BATCH_BODY_BYTES // 4)
        body = msgpack.packb([element] * 4, use_bin_type=True)
        assert len(body) > MAX_BATCH_BODY_BYTES
        response = await w.post(body)
        assert response.status == 413
        assert await error_code(response) == "request.too_large"

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
            for _ in range(5):
                yield b"\x00" * (MAX_BATCH_BODY_BYTES // 4)

        response = await w.client.post("/v1/txs/batch", data=chunked(),
                                       headers={"Content-Type": "application/msgpack"})
        assert response.status == 413
        assert await error_code(response) == "request.too_large"
        # The node goes on serving.
        response = await w.post_batch([encode(w.applies(1)[0])])
        assert response.status == 200
        assert (await response.json())["results"][0]["status"] == "pending"


async def test_an_observer_refuses_batches(tmp_path: Path) -> None:
    validator, observer = KeyPair.generate(), KeyPair.generate()
    members = {name: KeyPair.generate() for name in MEMBER_ROLES}
    node = Node(config_for(validator, members, regulator=observer), tmp_path, observer)
    client = TestClient(TestServer(make_app(node)), **signed_by(CHAIN, members))
    await client.start_server()
    try:
        tx = apply_tx(CHAIN, members, now_ms() + 100 * DAY_MS)
        response = await client.post("/v1/txs/batch", data=msgpack.packb([encode(tx)]),
                                     headers={"Content-Type": "application/msgpack"})
        assert response.status == 403
        assert await error_code(response) == "observer.read_only"
        assert len(node.mempool) == 0
    finally:
        await client.close()
        node.close()


# ------------------------------------------------------------------ the client's budget


def test_a_bucket_charges_several_tokens_at_once_or_none() -> None:
    clock = FakeClock()
    buckets = ClientBuckets(SubmitLimit(rate_per_s=2, burst=10), clock)
    assert buckets.take("a", 6) == 0
    assert buckets.wait_s("a", 4) == 0 and buckets.wait_s("a", 4) == 0  # looking is free
    assert buckets.take("a", 5) == pytest.approx(0.5)  # 4 left: one more in half a second
    assert buckets.take("a", 4) == 0
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now_s += 5
    assert buckets.take("a", 10) == 0
    assert buckets.take("b", 11) == pytest.approx(0.5)  # over the burst: never at once


async def test_a_batch_costs_one_token_per_transaction_all_or_nothing(tmp_path: Path) -> None:
    clock = FakeClock()  # time stands still: spent tokens do not come back
    async with ledger(tmp_path, limit=SubmitLimit(rate_per_s=1, burst=10), clock=clock) as w:
        txs = w.applies(11)
        response = await w.post_batch([encode(tx) for tx in txs[:6]])
        assert response.status == 200  # 6 of 10 tokens
        response = await w.post_batch([encode(tx) for tx in txs[6:11]])
        assert response.status == 429  # 5 asked, 4 left: refused whole, nothing spent
        assert await error_code(response) == "submit.rate_limited"
        assert int(response.headers["Retry-After"]) >= 1
        assert len(w.node.mempool) == 6  # the refused batch cost no signature check
        response = await w.post_batch([encode(tx) for tx in txs[6:10]])
        assert response.status == 200  # the 4 left
        assert [r["status"] for r in (await response.json())["results"]] == ["pending"] * 4
        response = await w.post_batch([encode(txs[10])])
        assert response.status == 429  # out of tokens: refused before the body is read
        response = await w.client.post("/v1/txs", json={"tx": encode(txs[10]).hex()})
        assert response.status == 429  # one budget for both routes
        assert len(w.node.mempool) == 10
        clock.now_s += 1
        response = await w.post_batch([encode(txs[10])])
        assert response.status == 200


async def test_a_batch_larger_than_the_burst_is_told_to_split(tmp_path: Path) -> None:
    async with ledger(tmp_path, limit=SubmitLimit(rate_per_s=1, burst=3)) as w:
        response = await w.post_batch([encode(tx) for tx in w.applies(4)])
        assert response.status == 429
        assert "smaller batches" in (await response.json())["error"]["message"]
        assert len(w.node.mempool) == 0


# ------------------------------------------------------------------ bounded concurrency


async def test_batches_past_the_waiting_room_are_told_the_node_is_busy() -> None:
    gate = BatchGate(slots=1, waiting=1)
    async with gate.slot():
        waiter = asyncio.create_task(enter_and_leave(gate))
        await asyncio.sleep(0)
        assert gate.waiting == 1
        with pytest.raises(LedgerError) as busy:
            async with gate.slot():
                pass
        assert busy.value.code == "submit.busy"
    await waiter  # the waiting one got the slot once it was free
    assert gate.waiting == 0 and not gate.slots.locked()


async def enter_and_leave(gate: BatchGate) -> None:
    async with gate.slot():
        pass
