"""A real node process: it survives SIGKILL, refuses another network's data, and answers
every bad request with a clear JSON error while it keeps committing good ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from contracts.codec import encode
from contracts.ledger import sign_transaction
from contracts.tx import ContractRef, Signature, Transaction
from node.http.app import make_app
from node.http.auth import RequestVerifier
from node.http.params import MAX_BODY_BYTES
from node.http.submit import SubmitLimit
from tests.nodeproc import (
    DAY_MS,
    Network,
    NodeProcess,
    Reply,
    apply_tx,
    commit,
    confirm_tx,
    get,
    issue_voucher,
    make_network,
    now_ms,
    post_tx,
    request,
    running,
    tx_id,
    wait_committed,
)

pytestmark = pytest.mark.process


# ------------------------------------------------------------------ crash and restart


def test_sigkill_after_issuance_then_restart_keeps_the_chain_and_the_voucher(
    tmp_path: Path,
) -> None:
    net = make_network(tmp_path / "net")
    with running(net) as node:
        application, voucher = issue_voucher(net)
        status = get(net.api, "/v1/status").json()
        head = get(net.api, f"/v1/blocks/{status['height']}").json()
        assert node.kill() == -9

    with running(net) as node:
        after = get(net.api, "/v1/status").json()
        assert after["height"] >= status["height"]
        assert after["genesis_id"] == status["genesis_id"]
        same = get(net.api, f"/v1/blocks/{status['height']}").json()
        assert same["id"] == head["id"]
        assert same["header"]["state_root"] == head["header"]["state_root"]
        if after["height"] == status["height"]:
            assert after["state_root"] == status["state_root"]

        kept = get(net.api, f"/v1/vouchers/{voucher}")
        assert kept.status == 200, kept.body
        assert kept.json()["status"] == "active"
        assert kept.json()["application"] == application.hex()

        # It goes on producing blocks on top of the old head.
        later = commit(net.api, apply_tx(net.chain_id, net.members, now_ms() + 90 * DAY_MS,
                                         basis="HT-AFTER-RESTART"))
        assert later["height"] > status["height"]
        assert node.stop() == 0  # SIGTERM is a clean stop


def test_a_data_dir_of_another_network_is_refused(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    with running(net) as node:
        assert node.stop() == 0
    other = net.write_network(tmp_path / "other-network.toml", "claimledger-other")
    refused = NodeProcess(net, other).start()
    try:
        code = refused.wait_exit(timeout=30)
    finally:
        refused.kill()
    assert code != 0
    assert "genesis.mismatch" in refused.stderr()
    # The data directory is untouched: the right network.toml still opens it.
    with running(net):
        assert get(net.api, "/v1/status").json()["chain_id"] == net.chain_id


# ------------------------------------------------------------------ bad input


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, NodeProcess]]:
    """One node for the API tests, with one committed application to refer to."""
    net = make_network(tmp_path_factory.mktemp("api"))
    with running(net) as node:
        yield net, node


@pytest.fixture(scope="module")
def committed(live: tuple[Network, NodeProcess]) -> Transaction:
    net, _ = live
    tx = apply_tx(net.chain_id, net.members, now_ms() + 180 * DAY_MS, basis="HT-API-0001")
    commit(net.api, tx)
    return tx


def raw_post(net: Network, body: bytes, content_type: str = "application/json") -> Reply:
    return request(f"{net.api}/v1/txs", "POST", body, content_type)


def with_bad_signature(tx: Transaction) -> Transaction:
    s = tx.signatures[0]
    flipped = bytes([s.signature[0] ^ 1]) + s.signature[1:]
    return Transaction(tx.payload, (Signature(s.signer, flipped),))


BadCase = Callable[[Network, Transaction], Reply]


def _signed_payload(net: Network, tx: Transaction, **changes: object) -> Transaction:
    """The transaction with its payload changed, validly signed again by its creditor."""
    supplier = net.members["supplier"]
    unsigned = Transaction(replace(tx.payload, **changes), ())
    return sign_transaction(unsigned, supplier)


def _fresh_apply(net: Network, **kw: object) -> Transaction:
    return apply_tx(net.chain_id, net.members, now_ms() + 100 * DAY_MS,
                    basis=f"HT-BAD-{now_ms()}", **kw)


BAD_INPUT: dict[str, tuple[BadCase, int, str]] = {
    "malformed JSON": (lambda n, t: raw_post(n, b'{"tx": '), 400, "request.bad_json"),
    "JSON without tx": (lambda n, t: raw_post(n, b'{"txs": "00"}'), 400, "request.bad_json"),
    "tx not hex": (lambda n, t: raw_post(n, b'{"tx": "zz"}'), 400, "request.bad_hex"),
    "bytes that are not a transaction": (
        lambda n, t: raw_post(n, json.dumps({"tx": "c0ffee"}).encode()), 400, "codec."),
    "bad signature": (
        lambda n, t: post_tx(n.api, with_bad_signature(_fresh_apply(n))), 400,
        "tx.bad_signature"),
    "wrong chain id": (
        lambda n, t: post_tx(n.api, _signed_payload(n, _fresh_apply(n), chain_id="elsewhere")),
        400, "tx.wrong_chain"),
    "unknown contract hash": (
        lambda n, t: post_tx(n.api, _signed_payload(
            n, _fresh_apply(n),
            contract=ContractRef("issuance", 1, bytes(32)))),
        400, "tx.unknown_contract"),
    "expired": (
        lambda n, t: post_tx(n.api, _fresh_apply(n, expiry_height=0)), 400, "tx.expired"),
    "replay of a committed transaction": (lambda n, t: post_tx(n.api, t), 409, "tx.replay"),
    "confirm by a non-debtor": (
        lambda n, t: post_tx(n.api, confirm_tx(n.chain_id, n.members, tx_id(t),
                                               signer="supplier")),
        422, "issuance.not_debtor"),
    "body over the limit": (
        lambda n, t: raw_post(n, b'{"tx": "' + b"00" * (MAX_BODY_BYTES // 2) + b'"}'), 413,
        "request.too_large"),
    "unknown route": (lambda n, t: get(n.api, "/v1/nothing-here"), 404, "not_found"),
    "wrong method": (
        lambda n, t: request(f"{n.api}/v1/status", "DELETE"), 405, "method_not_allowed"),
    "GET on the submit route": (
        lambda n, t: get(n.api, "/v1/txs"), 405, "method_not_allowed"),
    "voucher id not hex": (lambda n, t: get(n.api, "/v1/vouchers/xyz"), 400, "request.bad_id"),
    "application id too short": (
        lambda n, t: get(n.api, "/v1/applications/abcd"), 400, "request.bad_id"),
    "member address not hex": (
        lambda n, t: get(n.api, "/v1/members/xyz"), 400, "address.malformed"),
    "block height not a number": (
        lambda n, t: get(n.api, "/v1/blocks/abc"), 400, "request.bad_height"),
    "block height beyond any": (
        lambda n, t: get(n.api, "/v1/blocks/" + "9" * 30), 404, "not_found"),
    "unknown transaction id": (lambda n, t: get(n.api, "/v1/txs/" + "ab" * 32), 404, "not_found"),
    "wait_ms out of range": (
        lambda n, t: get(n.api, "/v1/txs/" + "ab" * 32 + "?wait_ms=-1"), 400,
        "request.bad_parameter"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_gets_a_clear_json_error(
    case: str, live: tuple[Network, NodeProcess], committed: Transaction
) -> None:
    net, _ = live
    send, status, code = BAD_INPUT[case]
    reply = send(net, committed)
    assert reply.status == status, reply.body
    assert reply.headers.get("Content-Type", "").startswith("application/json")
    if code.endswith("."):
        assert reply.error_code().startswith(code)
    else:
        assert reply.error_code() == code


def test_wrong_method_names_the_allowed_ones(live: tuple[Network, NodeProcess]) -> None:
    net, _ = live
    reply = request(f"{net.api}/v1/txs", "PUT", b"{}")
    assert reply.status == 405
    assert "POST" in reply.headers.get("Allow", "")


def test_raw_msgpack_submission_is_committed(live: tuple[Network, NodeProcess]) -> None:
    net, _ = live
    tx = _fresh_apply(net)
    reply = raw_post(net, encode(tx), content_type="application/msgpack")
    assert reply.status == 202, reply.body
    assert reply.json() == {"id": tx_id(tx).hex(), "status": "pending"}
    view = wait_committed(net.api, tx_id(tx).hex())
    assert view["operation"] == "apply"
    assert [e["kind"] for e in view["events"]] == ["application.submitted"]


def test_openapi_lists_every_route_of_the_app(live: tuple[Network, NodeProcess]) -> None:
    net, _ = live
    reply = get(net.api, "/v1/openapi.json")
    assert reply.status == 200
    document = reply.json()
    assert document["openapi"].startswith("3.")
    routes = {
        (route.resource.canonical, route.method.lower())
        for route in make_app(None, SubmitLimit(),  # type: ignore[arg-type]
                              verifier=RequestVerifier("routes")).router.routes()
        if route.method != "HEAD"
    }
    assert len(routes) >= 11
    listed = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes <= listed, routes - listed


def test_after_all_the_bad_input_the_node_still_serves_and_commits(
    live: tuple[Network, NodeProcess], committed: Transaction
) -> None:
    net, node = live
    for send, status, _ in BAD_INPUT.values():
        assert send(net, committed).status == status
    assert node.alive()
    assert get(net.api, "/v1/status").status == 200
    view = commit(net.api, _fresh_apply(net))
    assert view["status"] == "committed"
    # Every refusal was an answer, not a crash inside a handler.
    log = node.stderr()
    assert "unexpected error" not in log and "Traceback" not in log, log
