"""Whatever a client sends, the API answers JSON below 500 and the node keeps serving."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.identity import KeyPair
from node.config import parse_network
from node.http.app import make_app
from node.service import Node
from tests.nodeproc import MEMBER_ROLES, network_toml, now_ms
from tests.signing import signed_by

ROUTES = ["/v1/status", "/v1/txs", "/v1/txs/{}", "/v1/blocks/{}", "/v1/vouchers",
          "/v1/vouchers/{}", "/v1/members", "/v1/members/{}", "/v1/applications",
          "/v1/applications/{}", "/v1/obligations", "/v1/obligations/{}",
          "/v1/setoff/rounds", "/v1/setoff/rounds/{}", "/v1/setoff/plan",
          "/v1/setoff/limits/{}", "/v1/setoff/totals", "/v1/setoff/mandates/{}",
          "/v1/setoff/runs", "/v1/setoff/runs/{}", "/v1/setoff/runs/{0}/batches/{0}",
          "/v1/proofs/voucher/{}", "/v1/proofs/setoff_mandate/{}", "/v1/proofs/{0}/{0}",
          "/v1/openapi.json", "/v1/{}", "/{}"]
PARAMS = ["holder", "debtor", "creditor", "status", "limit", "after", "wait_ms", "member",
          "exclude", "run_batches"]
segment = st.one_of(st.text(max_size=70), st.binary(min_size=32, max_size=32).map(bytes.hex),
                    st.integers(-(2**70), 2**70).map(str))
query = st.dictionaries(st.sampled_from(PARAMS), segment, max_size=3)
body = st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                 st.builds(lambda v: json.dumps({"tx": v}).encode(),
                           st.one_of(st.text(max_size=80), st.binary(max_size=80).map(bytes.hex),
                                     st.integers())))


class Harness:
    def __init__(self, root: Path) -> None:
        validator = KeyPair.generate()
        members = {name: KeyPair.generate() for name in MEMBER_ROLES}
        config = parse_network(network_toml("fuzz", validator, members, 1, now_ms()))
        self.loop = asyncio.new_event_loop()
        self.node = Node(config, root, validator)
        # Signed as the agency: random requests reach the handlers, not only the signature
        # check (tests/test_openapi_schema.py sends them unsigned too).
        self.client = TestClient(TestServer(make_app(self.node)), loop=self.loop,
                                 **signed_by("fuzz", members))
        self.loop.run_until_complete(self.client.start_server())

    def request(self, method: str, path: str, params: dict, data: bytes, content_type: str):
        async def go():
            response = await self.client.request(
                method, path, params=params, data=data, headers={"Content-Type": content_type})
            return response.status, await response.read()

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.node.close()
        self.loop.close()


def test_random_requests_get_json_answers_below_500(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    try:
        @settings(max_examples=300, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.sampled_from(["GET", "POST", "PUT", "DELETE"]), st.sampled_from(ROUTES),
               segment, query, body,
               st.sampled_from(["application/json", "application/msgpack", "text/plain"]))
        def one(method, route, part, params, data, content_type):
            path = route.format(part.replace("/", "_").replace("?", "_").replace("#", "_")
                                .replace("%", "_"))
            status, raw = harness.request(method, path, params, data, content_type)
            assert status < 500, (method, path, params, raw[:200])
            document = json.loads(raw)
            if status >= 400:
                assert set(document["error"]) == {"code", "message"}

        one()
        status, raw = harness.request("GET", "/v1/status", {}, b"", "application/json")
        assert status == 200 and json.loads(raw)["height"] == 0
    finally:
        harness.close()
