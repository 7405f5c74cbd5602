"""Ids and names as people type them, and exit statuses that tell (wallet/resolve.py,
wallet/exits.py), through the CLI in process against a node stand-in that answers as
GET /v1/ids/{kind} and the member directory do. The node's side (which ids a caller is
answered) is tests/test_id_prefixes.py's; a real node's, tests/test_wallet_verify.py's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from contracts import transfer
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.ledger import make_transaction
from tests.standins import NodeRoutes
from wallet import session
from wallet.cli import main
from wallet.exits import EXIT_ERROR, EXIT_PENDING, EXIT_USAGE

# Three vouchers the member reads: two share their first 10 hex digits.
V1 = "1a2b3c4d5e" + "1" * 50 + "9f0e"
V2 = "1a2b3c4d5e" + "2" * 50 + "7777"
V3 = "99887766" + "3" * 56
CORE = "c0" * 32
BANK_A = "ba" * 32
BANK_B = "bb" * 32
MEMBERS = [
    {"address": CORE, "name": "Core Enterprise", "status": "active"},
    {"address": BANK_A, "name": "City Bank", "status": "active"},
    {"address": BANK_B, "name": "city bank", "status": "suspended"},
]
RECORDS = {"voucher": {V1: {"amount_fen": 100_000, "status": "active"},
                       V2: {"amount_fen": 250_000, "status": "consumed"},
                       V3: {"amount_fen": 7, "status": "active"}},
           "member": {m["address"]: m for m in MEMBERS}}


class Node(NodeRoutes):
    """What the wallet asks of the node in these tests, and the requests it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def ids(self, kind: str, prefix: str) -> dict:
        self.asked.append(("ids", (kind, prefix)))
        assert len(prefix) >= 8
        found = [{"id": i, "record": r} for i, r in sorted(RECORDS.get(kind, {}).items())
                 if i.startswith(prefix)]
        return {"kind": kind, "prefix": prefix, "matches": found, "more": False}

    def members(self, role: str | None = None, max_items: int = 10_000) -> dict:
        self.asked.append(("members", role))
        return {"members": MEMBERS, "next": None}

    def lineage(self, voucher_id: str) -> dict:
        self.asked.append(("lineage", voucher_id))
        return {"ancestors": [{"id": voucher_id}], "children": []}

    def debtor(self, address: str) -> dict:
        self.asked.append(("debtor", address))
        return {"debtor": address}

    def submit(self, raw: bytes) -> dict:
        self.asked.append(("submit", raw))
        return {"id": "ab" * 32, "status": "pending"}

    def tx(self, tx_id: str, wait_ms: int = 0) -> dict:
        self.asked.append(("tx", (tx_id, wait_ms)))
        return {"id": tx_id, "status": "pending"}  # a node that makes no block


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> Node:
    stand_in = Node()
    monkeypatch.setattr(session, "Client", lambda **_: stand_in)
    return stand_in


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--json", *args])


def error_of(result: Result) -> dict:
    """The error --json prints on stdout; stderr keeps the `error: code: message` line."""
    error = json.loads(result.stdout)["error"]
    assert f"error: {error['code']}: " in result.stderr
    return error


# ------------------------------------------------------------------ ids


def test_a_unique_prefix_names_its_voucher(node: Node) -> None:
    result = run("lineage", V3[:8])
    assert result.exit_code == 0, result.output
    assert ("lineage", V3) in node.asked


def test_the_short_form_the_tables_print_names_its_voucher(node: Node) -> None:
    for text in (f"{V1[:10]}…{V1[-4:]}", f"{V1[:8]}...{V1[-4:]}"):
        result = run("lineage", text)
        assert result.exit_code == 0, result.output
        assert node.asked[-1] == ("lineage", V1)


def test_an_ambiguous_prefix_lists_the_candidates_and_what_each_is(node: Node) -> None:
    result = run("lineage", V1[:10])
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.ambiguous_id"
    assert f"{V1}  voucher active ¥1,000.00" in error["message"]
    assert f"{V2}  voucher consumed ¥2,500.00" in error["message"]
    assert not any(kind == "lineage" for kind, _ in node.asked)


def test_a_prefix_nothing_you_read_starts_with_is_unknown(node: Node) -> None:
    result = run("lineage", "deadbeef00")
    assert result.exit_code == EXIT_ERROR
    assert error_of(result)["code"] == "wallet.unknown_id"


def test_a_prefix_shorter_than_8_digits_is_refused_before_asking_the_node(node: Node) -> None:
    result = run("lineage", V3[:7])
    assert result.exit_code == EXIT_ERROR
    assert error_of(result)["code"] == "wallet.short_id"
    assert node.asked == []


def test_a_whole_id_is_taken_as_it_is_without_a_lookup(node: Node) -> None:
    whole = "ef" * 32  # no record the stand-in knows: the node answers for it
    result = run("lineage", whole.upper())
    assert result.exit_code == 0, result.output
    assert node.asked == [("lineage", whole)]


def test_a_node_that_does_not_resolve_prefixes_asks_for_the_whole_id(
        node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_route(kind: str, prefix: str) -> dict:
        raise LedgerError("not_found", f"no route GET /v1/ids/{kind}")

    monkeypatch.setattr(node, "ids", no_route)  # a light node's API
    result = run("lineage", V3[:8])
    assert result.exit_code == EXIT_ERROR
    assert error_of(result)["code"] == "wallet.no_prefixes"


# ------------------------------------------------------------------ members


def test_a_member_is_named_by_its_name_in_either_case(node: Node) -> None:
    result = run("record", "core enterprise")
    assert result.exit_code == 0, result.output
    assert node.asked[-1] == ("debtor", CORE)


def test_a_member_is_named_by_a_prefix_of_its_address(node: Node) -> None:
    result = run("record", CORE[:8])
    assert result.exit_code == 0, result.output
    assert node.asked[-1] == ("debtor", CORE)


def test_a_name_two_members_share_lists_both(node: Node) -> None:
    result = run("record", "CITY BANK")
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.ambiguous_name"
    assert BANK_A in error["message"] and BANK_B in error["message"]


def test_an_unknown_name_is_refused(node: Node) -> None:
    result = run("record", "Nobody Ltd")
    assert result.exit_code == EXIT_ERROR
    assert error_of(result)["code"] == "wallet.unknown_member"


# ------------------------------------------------------------------ exit statuses


def draft(path: Path) -> Path:
    tx = make_transaction(default_registry(), "test-chain", "transfer", "split",
                          transfer.Split(bytes(32), bytes.fromhex(V1), (1, 2), None), 100, 1)
    session.Wallet("http://127.0.0.1:1", None, True).write_draft(path, tx)
    return path


def test_a_submission_not_committed_within_its_wait_exits_4_naming_it(
        node: Node, tmp_path: Path) -> None:
    result = run("--wait", "0", "submit", str(draft(tmp_path / "split.json")))
    assert result.exit_code == EXIT_PENDING, result.output
    error = error_of(result)
    assert error["code"] == "wallet.pending"
    assert error["id"] == "ab" * 32
    assert error["check"] == f"claimledger-wallet tx show {'ab' * 32}"
    assert f"tx show {'ab' * 32}" in error["message"]
    assert [kind for kind, _ in node.asked] == ["submit", "tx"]  # asked once, not waited


def test_a_usage_error_exits_2_and_says_so_in_json(node: Node) -> None:
    result = run("lineage")
    assert result.exit_code == EXIT_USAGE
    assert json.loads(result.stdout)["error"]["code"] == "wallet.usage"


def test_the_help_lists_the_exit_statuses() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for line in ("0  done", "1  refused or failed", "2  usage", "3  a proof did not verify",
                 "4  pending"):
        assert line in result.stdout
