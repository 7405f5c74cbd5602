"""Transaction ids by prefix (GET /v1/ids/transaction, node/http/ids.py): the committed,
pending and rejected transactions whose id starts with 8+ hex digits, each only to whom
GET /v1/txs/{id} shows it (its signers, the agency, the regulators), so that a prefix
tells nothing of a transaction the caller may not read: it answers as a prefix of no
transaction does. The node is tests/test_read_routes.py's (the rule tests' world replayed
into a real node, its API in process)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from contracts import setoff
from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.ledger import make_transaction, sign_transaction
from contracts.tx import Transaction, payload_id
from tests.memledger import CHAIN
from tests.test_read_routes import Api, served_api
from tests.test_read_rules import UNRELATED

SIGNER = "supplier"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from served_api(tmp_path_factory.mktemp("tx-prefixes"))


def ids(api: Api, prefix: str, who: str) -> dict[str, Any]:
    status, body = api.get(f"/v1/ids/transaction?prefix={prefix}", who)
    assert status == 200, body
    return json.loads(body)


def set_limit(api: Api, max_fen: int, nonce: int) -> Transaction:
    """The signer's set-off limit, signed (a rule refuses a limit of 0)."""
    body = setoff.SetLimit(api.addr(SIGNER), False, max_fen)
    tx = make_transaction(api.node.registry, CHAIN, "setoff", "set_limit", body,
                          api.node.chain.head.height + 1000, nonce)
    return sign_transaction(tx, api.keys[SIGNER])


def twins(api: Api) -> tuple[Transaction, Transaction]:
    """Two transactions of the signer whose ids share their first 8 hex digits (found
    among some 2**16 nonces, as two ids of 2**32 prefixes meet)."""
    unsigned = set_limit(api, 5_000, 0)
    seen: dict[bytes, int] = {}
    for nonce in range(1 << 40, (1 << 40) + 2_000_000):
        payload = dataclasses.replace(unsigned.payload, nonce=nonce)
        head = payload_id(payload)[:4]
        if head in seen:
            return set_limit(api, 5_000, seen[head]), set_limit(api, 5_000, nonce)
        seen[head] = nonce
    raise AssertionError("no two ids met")


@pytest.fixture(scope="module")
def pending(api: Api) -> tuple[str, str]:
    """Two pending transactions of the signer sharing 8 hex digits, in id order."""
    first, second = twins(api)
    for tx in (first, second):
        api.node.mempool.submit(encode(tx), int(time.time() * 1000))
    return tuple(sorted(payload_id(t.payload).hex() for t in (first, second)))  # type: ignore[return-value]


def committed_id(api: Api) -> str:
    """The world's transaction of one signer (test_read_rules' `transaction` record)."""
    return payload_id(api.world.records["transaction"].tx.payload).hex()


def absent_prefix(api: Api) -> str:
    """8 hex digits no transaction id here (committed, pending or rejected) starts with."""
    mempool = api.node.mempool
    known = [*api.node.store.tx_ids(b"", 100_000)[0], *mempool.pending, *mempool.rejected]
    taken = {i.hex()[:8] for i in known}
    return next(p for p in (f"{n:08x}" for n in range(1, 1000)) if p not in taken)


def test_a_unique_prefix_finds_the_committed_transaction_its_signer_reads(api: Api) -> None:
    tx_id = committed_id(api)
    signer = api.world.parties["transaction"]["signer"]
    for who in (signer, "agency", "regulator"):
        answer = ids(api, tx_id[:9].upper(), who)
        assert [m["id"] for m in answer["matches"]] == [tx_id], who
        assert answer["matches"][0]["record"]["status"] == "committed"
        assert answer["more"] is False and answer["kind"] == "transaction"


def test_a_prefix_never_reveals_a_transaction_the_caller_may_not_read(api: Api) -> None:
    tx_id = committed_id(api)
    # An unrelated member, and the member its events are addressed to (who reads the
    # events, not the transaction): answered as for a prefix of no transaction.
    nothing = ids(api, absent_prefix(api), UNRELATED)
    for who in (UNRELATED, api.world.parties["transaction"]["addressee"]):
        answer = ids(api, tx_id[:8], who)
        assert answer["matches"] == [] and answer["more"] is False, who
        assert {**answer, "prefix": ""} == {**nothing, "prefix": ""}
        assert tx_id not in json.dumps(answer)


def test_an_ambiguous_prefix_lists_the_pending_transactions_it_names(
        api: Api, pending: tuple[str, str]) -> None:
    answer = ids(api, pending[0][:8], SIGNER)
    assert [m["id"] for m in answer["matches"]] == list(pending)
    assert [m["record"]["status"] for m in answer["matches"]] == ["pending", "pending"]
    assert all(m["record"]["operation"] == "set_limit" for m in answer["matches"])
    # One more digit, where they part, names one.
    apart = next(i for i in range(8, 64) if pending[0][i] != pending[1][i]) + 1
    assert [m["id"] for m in ids(api, pending[1][:apart], SIGNER)["matches"]] == [pending[1]]
    assert ids(api, pending[0][:8], UNRELATED)["matches"] == []


def test_a_rejected_transaction_is_found_by_its_signer_only(api: Api) -> None:
    refused = set_limit(api, 0, 7)  # setoff.bad_limit: a limit of 0
    with pytest.raises(LedgerError) as e:
        api.node.mempool.submit(encode(refused), int(time.time() * 1000))
    assert e.value.code == "setoff.bad_limit"
    tx_id = payload_id(refused.payload).hex()
    [match] = ids(api, tx_id[:8], SIGNER)["matches"]
    assert match["id"] == tx_id and match["record"]["status"] == "rejected"
    assert match["record"]["error"]["code"] == "setoff.bad_limit"
    assert ids(api, tx_id[:8], UNRELATED)["matches"] == []


def test_a_prefix_of_no_transaction_answers_no_match(api: Api) -> None:
    answer = ids(api, absent_prefix(api), "agency")
    assert answer["matches"] == [] and answer["more"] is False


@pytest.mark.parametrize("prefix", ["abcdef1", "abcdefgh", "a" * 65])
def test_a_transaction_prefix_shorter_than_8_or_not_hex_is_refused(api: Api,
                                                                    prefix: str) -> None:
    status, body = api.get(f"/v1/ids/transaction?prefix={prefix}", SIGNER)
    assert status == 400 and json.loads(body)["error"]["code"] == "request.bad_prefix"


def test_the_committed_ids_scan_stops_at_its_bound(api: Api) -> None:
    tx_id = bytes.fromhex(committed_id(api))
    assert api.node.store.tx_ids(tx_id[:4], 1) == ([tx_id], False)
    every, _ = api.node.store.tx_ids(b"", 100_000)
    assert len(every) > 2 and every == sorted(every)
    assert api.node.store.tx_ids(b"", 2) == (every[:2], True)
