"""Signed API requests: a forged, replayed, stale or altered request is refused with its
code before any handler runs, and a signed one reaches the handler with its caller."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from contracts.codec import sha256
from contracts.errors import Unauthenticated
from contracts.identity import KeyPair
from contracts.requests import (
    MEMBER_HEADER,
    NONCE_BYTES,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    WINDOW_MS,
    SignedRequest,
    authenticate,
    request_headers,
    signing_bytes,
)
from node.front import read_body
from node.http.auth import (
    CALLER,
    Busy,
    NonceLimits,
    NonceMemory,
    RequestVerifier,
    request_auth,
)

CHAIN = "claimledger-test"
NOW_MS = 1_800_000_000_000
MAX_BODY = 4096
KEY = KeyPair(bytes(range(32)))
OTHER = KeyPair(bytes(range(1, 33)))


class Clock:
    def __init__(self) -> None:
        self.now_ms = NOW_MS

    def __call__(self) -> int:
        return self.now_ms


async def echo(request: web.Request) -> web.Response:
    caller = request[CALLER]
    if request.method == "PUT":
        body = await request.read()  # aiohttp's own way
    else:
        body = await read_body(request, MAX_BODY, "too large")  # as node/api.py's handlers do
    return web.json_response({"caller": caller.hex() if caller else None, "body": body.hex(),
                              "target": request.raw_path})


def small_app(verifier: RequestVerifier) -> web.Application:
    app = web.Application(middlewares=[request_auth(verifier, max_body_bytes=MAX_BODY)])
    app.add_routes([
        web.get("/v1/status", echo), web.get("/v1/health", echo), web.get("/metrics", echo),
        web.get("/v1/openapi.json", echo),
        web.get("/v1/vouchers", echo), web.get("/v1/vouchers/{id}", echo),
        web.post("/v1/txs", echo), web.put("/v1/txs", echo),
    ])
    return app


@asynccontextmanager
async def serving(limits: NonceLimits | None = None
                  ) -> AsyncIterator[tuple[TestClient, Clock, RequestVerifier]]:
    clock = Clock()
    verifier = RequestVerifier(CHAIN, limits=limits, clock_ms=clock)
    async with TestClient(TestServer(small_app(verifier), host="127.0.0.1")) as client:
        yield client, clock, verifier


def signed(method: str, target: str, body: bytes = b"", key: KeyPair = KEY,
           time_ms: int = NOW_MS, chain: str = CHAIN, nonce: bytes | None = None
           ) -> dict[str, str]:
    return request_headers(key, chain, method, target, body, time_ms, nonce)


def exact(client: TestClient, target: str) -> URL:
    """The URL that sends `target` on the request line as written (yarl would normalise
    its percent-encoding otherwise)."""
    return URL(f"http://{client.host}:{client.port}{target}", encoded=True)


async def code_of(response) -> tuple[int, str]:
    answer = await response.json()
    return response.status, answer["error"]["code"]


# ---------------------------------------------------------------- accepted


async def test_signed_read_reaches_handler_with_caller() -> None:
    async with serving() as (client, _, _):
        target = "/v1/vouchers?holder=ab%20cd&limit=5"
        response = await client.get(target, headers=signed("GET", target))
        assert response.status == 200
        answer = await response.json()
        assert answer["caller"] == KEY.address.hex()
        assert answer["target"] == target


async def test_signed_post_body_is_read_once_and_handler_still_reads_it() -> None:
    async with serving() as (client, _, _):
        body = b"\x93\x01\x02" * 500
        for method in ("POST", "PUT"):
            response = await client.request(method, "/v1/txs", data=body,
                                            headers=signed(method, "/v1/txs", body))
            assert response.status == 200
            assert (await response.json())["body"] == body.hex()


async def test_exempt_routes_pass_unsigned_with_no_caller() -> None:
    async with serving() as (client, _, _):
        for path in ("/v1/status", "/v1/health", "/metrics", "/v1/openapi.json"):
            response = await client.get(path)
            assert response.status == 200, path
            assert (await response.json())["caller"] is None
        assert (await client.head("/v1/status")).status == 200


async def test_time_at_the_window_edges_is_accepted() -> None:
    async with serving() as (client, _, _):
        for time_ms in (NOW_MS - WINDOW_MS, NOW_MS + WINDOW_MS):
            response = await client.get("/v1/vouchers",
                                        headers=signed("GET", "/v1/vouchers", time_ms=time_ms))
            assert response.status == 200


# ---------------------------------------------------------------- refused


async def test_unsigned_request_is_refused_as_auth_required() -> None:
    async with serving() as (client, _, _):
        for path in ("/v1/vouchers", "/v1/vouchers/00", "/no/such/route"):
            response = await client.get(path)
            assert await code_of(response) == (401, "auth.required")
            assert "X-Claimledger-Signature" in response.headers["WWW-Authenticate"]


async def test_each_missing_header_is_auth_required() -> None:
    async with serving() as (client, _, _):
        for name in (MEMBER_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER):
            headers = signed("GET", "/v1/vouchers")
            del headers[name]
            response = await client.get("/v1/vouchers", headers=headers)
            status, code = await code_of(response)
            assert (status, code) == (401, "auth.required")


@pytest.mark.parametrize(("name", "value"), [
    (MEMBER_HEADER, "zz" * 32), (MEMBER_HEADER, "ab" * 31), (MEMBER_HEADER, ""),
    (TIME_HEADER, "-1"), (TIME_HEADER, "1.5e12"), (TIME_HEADER, "+1800000000000"),
    (TIME_HEADER, "9" * 19), (TIME_HEADER, "1" * 40),
    (NONCE_HEADER, "00" * (NONCE_BYTES - 1)), (NONCE_HEADER, "00" * (NONCE_BYTES + 1)),
    (SIGNATURE_HEADER, "00" * 63), (SIGNATURE_HEADER, "g" * 128),
    (MEMBER_HEADER, "a" * 8000), (SIGNATURE_HEADER, "0" * 8000), (TIME_HEADER, "7" * 8000),
])
async def test_malformed_or_huge_header_is_auth_required(name: str, value: str) -> None:
    async with serving() as (client, _, verifier):
        headers = signed("GET", "/v1/vouchers")
        headers[name] = value
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.required")
        assert len(verifier.nonces) == 0


async def test_header_given_twice_is_auth_required() -> None:
    async with serving() as (client, _, _):
        headers = list(signed("GET", "/v1/vouchers").items())
        headers.append((MEMBER_HEADER, OTHER.address.hex()))
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.required")


async def test_signature_of_another_key_is_bad_signature() -> None:
    async with serving() as (client, _, _):
        headers = signed("GET", "/v1/vouchers", key=OTHER)
        headers[MEMBER_HEADER] = KEY.address.hex()  # claims to be KEY
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.bad_signature")


async def test_replayed_nonce_is_refused_within_the_window() -> None:
    async with serving() as (client, clock, _):
        headers = signed("GET", "/v1/vouchers")
        assert (await client.get("/v1/vouchers", headers=headers)).status == 200
        clock.now_ms += WINDOW_MS  # the request's time is still on time
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.replayed")
        clock.now_ms += 1  # now it is stale: stale, not accepted, once the nonce is gone
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.stale")


async def test_a_clock_stepped_back_does_not_reopen_forgotten_nonces() -> None:
    async with serving() as (client, clock, verifier):
        headers = signed("GET", "/v1/vouchers")
        assert (await client.get("/v1/vouchers", headers=headers)).status == 200
        clock.now_ms += 10 * WINDOW_MS  # stepped forward: the nonce is forgotten ...
        fresh = signed("GET", "/v1/vouchers", time_ms=clock.now_ms)
        assert (await client.get("/v1/vouchers", headers=fresh)).status == 200
        assert len(verifier.nonces) == 1
        clock.now_ms = NOW_MS  # ... and back: the old request must not be on time again
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.stale")


async def test_same_nonce_on_another_request_is_replayed() -> None:
    async with serving() as (client, _, _):
        nonce = bytes(NONCE_BYTES)
        first = signed("GET", "/v1/vouchers", nonce=nonce)
        assert (await client.get("/v1/vouchers", headers=first)).status == 200
        second = signed("GET", "/v1/vouchers/1", nonce=nonce)
        response = await client.get("/v1/vouchers/1", headers=second)
        assert await code_of(response) == (401, "auth.replayed")
        # Another member may use the same nonce: nonces are per member.
        third = signed("GET", "/v1/vouchers/1", key=OTHER, nonce=nonce)
        assert (await client.get("/v1/vouchers/1", headers=third)).status == 200


@pytest.mark.parametrize("offset_ms", [-WINDOW_MS - 1, WINDOW_MS + 1, -10**9, 10**9])
async def test_stale_or_future_time_is_refused(offset_ms: int) -> None:
    async with serving() as (client, _, verifier):
        headers = signed("GET", "/v1/vouchers", time_ms=NOW_MS + offset_ms)
        response = await client.get("/v1/vouchers", headers=headers)
        assert await code_of(response) == (401, "auth.stale")
        assert len(verifier.nonces) == 0


async def test_altered_request_is_bad_signature() -> None:
    body = b'{"x": 1}'
    cases = [
        # (what was signed, what is sent)
        (("POST", "/v1/txs", body, CHAIN), ("POST", "/v1/txs", b'{"x": 2}')),  # body
        (("POST", "/v1/txs", body, CHAIN), ("POST", "/v1/txs", b"")),  # body dropped
        (("GET", "/v1/vouchers?limit=5", b"", CHAIN), ("GET", "/v1/vouchers?limit=6", b"")),
        (("GET", "/v1/vouchers?limit=5", b"", CHAIN), ("GET", "/v1/vouchers", b"")),
        (("GET", "/v1/vouchers", b"", CHAIN), ("GET", "/v1/vouchers?limit=5", b"")),
        (("POST", "/v1/txs", body, CHAIN), ("PUT", "/v1/txs", body)),  # method
        (("GET", "/v1/vouchers/1", b"", CHAIN), ("GET", "/v1/vouchers/2", b"")),  # path
        (("GET", "/v1/vouchers/a%2Fb", b"", CHAIN), ("GET", "/v1/vouchers/a%2fb", b"")),
        (("GET", "/v1/vouchers", b"", "claimledger-other"), ("GET", "/v1/vouchers", b"")),
    ]
    async with serving() as (client, _, verifier):
        for (method, target, signed_body, chain), (sent_method, sent_target, sent_body) in cases:
            headers = signed(method, target, signed_body, chain=chain)
            response = await client.session.request(sent_method, exact(client, sent_target),
                                                    data=sent_body, headers=headers)
            assert await code_of(response) == (401, "auth.bad_signature"), (target, sent_target)
        assert len(verifier.nonces) == 0  # nothing unauthenticated is remembered


async def test_body_past_the_bound_is_refused_and_closes() -> None:
    async with serving() as (client, _, _):
        body = b"x" * (MAX_BODY + 1)
        response = await client.post("/v1/txs", data=body,
                                     headers=signed("POST", "/v1/txs", body))
        assert await code_of(response) == (413, "request.too_large")


async def test_full_nonce_memory_answers_auth_busy_with_retry_after() -> None:
    async with serving(NonceLimits(max_entries=3, max_per_caller=2,
                                          max_strangers=0)) as (client, clock, _):
        for key in (KEY, KEY, OTHER):
            response = await client.get("/v1/vouchers", headers=signed("GET", "/v1/vouchers",
                                                                       key=key))
            assert response.status == 200
        response = await client.get("/v1/vouchers",
                                    headers=signed("GET", "/v1/vouchers", key=OTHER))
        assert await code_of(response) == (503, "auth.busy")
        assert int(response.headers["Retry-After"]) >= 1
        clock.now_ms += 2 * WINDOW_MS + 1  # the first three fall out of the window
        response = await client.get("/v1/vouchers", headers=signed(
            "GET", "/v1/vouchers", key=OTHER, time_ms=clock.now_ms))
        assert response.status == 200


# ---------------------------------------------------------------- the nonce memory


def test_one_member_cannot_take_more_than_its_share() -> None:
    memory = NonceMemory(WINDOW_MS, NonceLimits(max_entries=10, max_per_caller=3, max_strangers=0))
    for i in range(3):
        memory.remember(KEY.address, bytes([i]) * NONCE_BYTES, NOW_MS, NOW_MS)
    with pytest.raises(Busy):
        memory.remember(KEY.address, b"\x09" * NONCE_BYTES, NOW_MS, NOW_MS)
    memory.remember(OTHER.address, b"\x09" * NONCE_BYTES, NOW_MS, NOW_MS)  # others still can


def test_strangers_cannot_fill_the_members_room() -> None:
    members = {KEY.address}
    memory = NonceMemory(WINDOW_MS, NonceLimits(max_entries=10, max_per_caller=10,
                                                max_strangers=4), known=members.__contains__)
    for _ in range(4):  # an outsider with a fresh key per request
        memory.remember(KeyPair.generate().address, bytes(NONCE_BYTES), NOW_MS, NOW_MS)
    with pytest.raises(Busy):
        memory.remember(KeyPair.generate().address, bytes(NONCE_BYTES), NOW_MS, NOW_MS)
    for i in range(6):
        memory.remember(KEY.address, bytes([i]) * NONCE_BYTES, NOW_MS, NOW_MS)
    assert len(memory) == 10


def test_a_full_memory_still_refuses_a_replay_and_never_forgets_early() -> None:
    memory = NonceMemory(WINDOW_MS, NonceLimits(max_entries=2, max_per_caller=2, max_strangers=0))
    memory.remember(KEY.address, b"\x01" * NONCE_BYTES, NOW_MS + WINDOW_MS, NOW_MS)
    memory.remember(KEY.address, b"\x02" * NONCE_BYTES, NOW_MS, NOW_MS)
    with pytest.raises(Unauthenticated, match=r"^auth\.replayed:"):
        memory.remember(KEY.address, b"\x01" * NONCE_BYTES, NOW_MS + WINDOW_MS, NOW_MS)
    later = NOW_MS + WINDOW_MS + 1  # the second's time left the window; the first's did not
    memory.remember(KEY.address, b"\x03" * NONCE_BYTES, later, later)
    assert len(memory) == 2
    with pytest.raises(Unauthenticated, match=r"^auth\.replayed:"):
        memory.remember(KEY.address, b"\x01" * NONCE_BYTES, NOW_MS + WINDOW_MS,
                        NOW_MS + 2 * WINDOW_MS)


# ---------------------------------------------------------------- the signed bytes


def test_signing_bytes_are_domain_tagged() -> None:
    request = SignedRequest(CHAIN, "GET", "/v1/vouchers", sha256(b""), NOW_MS,
                            bytes(NONCE_BYTES))
    assert signing_bytes(request).startswith(b"claimledger/request/v1\x00")


targets = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/?=&%-_.", min_size=0,
                  max_size=40).map(lambda t: "/" + t)
requests = st.builds(
    SignedRequest,
    chain_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]),
    target=targets,
    body_sha256=st.just(b""),  # replaced by the body's hash below
    time_ms=st.integers(NOW_MS - WINDOW_MS, NOW_MS + WINDOW_MS),
    nonce=st.binary(min_size=NONCE_BYTES, max_size=NONCE_BYTES),
)
changes = {
    "chain_id": st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20),
    "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
    "target": targets,
    "body": st.binary(max_size=64),
    "time_ms": st.integers(NOW_MS - WINDOW_MS, NOW_MS + WINDOW_MS),
    "nonce": st.binary(min_size=NONCE_BYTES, max_size=NONCE_BYTES),
}


@settings(max_examples=300, deadline=None)
@given(request=requests, body=st.binary(max_size=64), part=st.sampled_from(sorted(changes)),
       data=st.data())
def test_changing_any_signed_part_fails(request: SignedRequest, body: bytes, part: str,
                                        data: st.DataObject) -> None:
    assert {f.name for f in fields(SignedRequest)} - {"body_sha256"} | {"body"} == set(changes)
    headers = request_headers(KEY, request.chain_id, request.method, request.target, body,
                              request.time_ms, request.nonce)
    sent = {"chain_id": request.chain_id, "method": request.method, "target": request.target,
            "body": body, "time_ms": request.time_ms, "nonce": request.nonce}
    authenticate(headers, sent["chain_id"], sent["method"], sent["target"], sent["body"],
                 NOW_MS)  # as signed: accepted
    new = data.draw(changes[part].filter(lambda v: v != sent[part]))
    altered = {**headers}
    if part == "time_ms":
        altered[TIME_HEADER] = str(new)
    elif part == "nonce":
        altered[NONCE_HEADER] = new.hex()
    else:
        sent = {**sent, part: new}
    with pytest.raises(Unauthenticated, match=r"^auth\.bad_signature:"):
        authenticate(altered, sent["chain_id"], sent["method"], sent["target"], sent["body"],
                     NOW_MS)


def test_request_headers_refuse_a_target_that_cannot_be_sent_as_signed() -> None:
    for target in ("v1/vouchers", "/v1/vouchers/é", "http://node/v1/vouchers"):
        with pytest.raises(ValueError):
            request_headers(KEY, CHAIN, "GET", target, b"", NOW_MS)
    with pytest.raises(ValueError):
        request_headers(KEY, CHAIN, "get", "/v1/vouchers", b"", NOW_MS)


def test_answers_are_the_api_error_shape() -> None:
    # The shape clients parse (wallet/client.py): {"error": {"code", "message"}}.
    from node.http.auth import error_response

    response = error_response(401, Unauthenticated("auth.required", "sign it"), {})
    assert json.loads(response.body) == {"error": {"code": "auth.required",
                                                   "message": "sign it"}}
