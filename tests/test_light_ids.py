"""Ids by prefix on a light node (GET /v1/ids/{kind} in node/light/api.py): among the
records it holds for its member, each proven (a record proven absent is no match), shown
as its own routes show them (another member's personal data withheld), with `held_only`;
transactions, which it does not hold, passed on to the upstream. Its API in process over
a light store written directly; the records are the rule tests' world's."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts import membership
from contracts.codec import encode
from contracts.identity import KeyPair
from contracts.requests import request_headers
from node.light.api import make_light_app
from node.light.store import LightStore, ProvenRecord, Verified
from tests import test_read_rules
from tests.memledger import CHAIN

V1 = "ee" * 4 + "01" + "11" * 27
V2 = "ee" * 4 + "02" + "22" * 27
V3 = "0ddba11d" + "33" * 28
GONE = "0ddba11e" + "44" * 28  # proven absent


class Upstream:
    """The full node a light node passes transactions on to: what it was sent."""

    url = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, method: str, path: str, body: bytes, headers: dict[str, str]
                   ) -> tuple[int, bytes]:
        self.sent.append((method, path))
        return 200, json.dumps({"kind": "transaction", "matches": [], "more": False}).encode()

    def rotate(self) -> None:
        raise AssertionError("the stand-in answers")


@dataclasses.dataclass
class Light:
    client: TestClient
    member: KeyPair
    other: KeyPair
    upstream: Upstream

    async def get(self, path: str, key: KeyPair | None = None) -> tuple[int, Any]:
        headers = request_headers(key or self.member, CHAIN, "GET", path, b"",
                                  int(time.time() * 1000))
        response = await self.client.get(path, headers=headers)
        return response.status, await response.json()


def proven(kind: str, record_id: bytes, value: Any) -> ProvenRecord:
    return ProvenRecord(kind, record_id, 7, b"k/" + record_id,
                        None if value is None else encode(value), b"")


@pytest.fixture
async def light(tmp_path: Path) -> AsyncIterator[Light]:
    world = test_read_rules.build_world()
    ledger = world.ledger
    holder = world.parties["voucher"]["holder"]
    address = ledger.addr(holder)
    voucher = dataclasses.replace(world.records["voucher"], holder=address)
    mine = membership.get_member(ledger.store, address)
    bank = membership.get_member(ledger.store, ledger.addr("bank"))
    assert mine is not None and bank is not None
    store = LightStore(tmp_path / "light")
    store.write(Verified(records=(
        *(proven("voucher", bytes.fromhex(i), dataclasses.replace(voucher, id=bytes.fromhex(i)))
          for i in (V1, V2, V3)),
        proven("voucher", bytes.fromhex(GONE), None),
        proven("member", address, mine),
        proven("member", bank.address, bank))))
    upstream = Upstream()
    node = SimpleNamespace(store=store, member=address, upstream=upstream,
                           genesis=SimpleNamespace(chain_id=CHAIN))
    client = TestClient(TestServer(make_light_app(node)))  # type: ignore[arg-type]
    await client.start_server()
    try:
        yield Light(client, ledger.keys[holder], ledger.keys["bank"], upstream)
    finally:
        await client.close()
        store.close()


async def test_a_unique_prefix_names_the_record_the_light_node_holds(light: Light) -> None:
    status, answer = await light.get(f"/v1/ids/voucher?prefix={V3[:8].upper()}")
    assert status == 200, answer
    assert [m["id"] for m in answer["matches"]] == [V3]
    assert answer["matches"][0]["record"]["proven_height"] == 7
    assert answer["held_only"] is True and answer["more"] is False


async def test_an_ambiguous_prefix_lists_every_held_record_it_names(light: Light) -> None:
    status, answer = await light.get(f"/v1/ids/voucher?prefix={'ee' * 4}")
    assert status == 200, answer
    assert [m["id"] for m in answer["matches"]] == [V1, V2]


async def test_an_absent_or_proven_absent_record_is_no_match(light: Light) -> None:
    for prefix in ("deadbeef", GONE[:8], GONE):
        status, answer = await light.get(f"/v1/ids/voucher?prefix={prefix}")
        assert status == 200 and answer["matches"] == [], (prefix, answer)


async def test_another_members_record_is_matched_without_its_personal_data(
        light: Light) -> None:
    status, answer = await light.get(f"/v1/ids/member?prefix={light.other.address.hex()[:8]}")
    assert status == 200, answer
    [match] = answer["matches"]
    assert match["record"]["identity"]["contacts"] == ""
    assert match["record"]["identity"]["credit_code"]  # as the member directory shows it
    status, answer = await light.get(f"/v1/ids/member?prefix={light.member.address.hex()[:8]}")
    [own] = answer["matches"]
    assert own["record"]["identity"]["contacts"]  # its own, shown to itself


async def test_only_the_light_nodes_member_is_answered(light: Light) -> None:
    status, answer = await light.get(f"/v1/ids/voucher?prefix={V3[:8]}", light.other)
    assert status == 403 and answer["error"]["code"] == "read.forbidden"
    assert V3 not in json.dumps(answer)


async def test_a_transaction_prefix_is_passed_on_to_the_upstream(light: Light) -> None:
    path = f"/v1/ids/transaction?prefix={'ab' * 5}"
    status, answer = await light.get(path)
    assert status == 200 and answer["matches"] == []
    assert light.upstream.sent == [("GET", path)]


@pytest.mark.parametrize("path, status, code", [
    ("/v1/ids/voucher?prefix=abc", 400, "request.bad_prefix"),
    ("/v1/ids/nothing?prefix=abcdef01", 404, "proof.unknown_kind"),
    ("/v1/ids/voucher", 400, "missing_parameter")])
async def test_a_bad_request_is_refused_with_its_code(light: Light, path: str, status: int,
                                                      code: str) -> None:
    answered, answer = await light.get(path)
    assert (answered, answer["error"]["code"]) == (status, code)
