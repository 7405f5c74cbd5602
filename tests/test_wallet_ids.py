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
from wallet import resolve, session
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


# ------------------------------------------------------------------ transactions by prefix

# Transactions the member reads (the node answers GET /v1/ids/transaction with those only,
# tests/test_tx_prefixes.py): two share their first 9 hex digits.
T1 = "7e57ab1e0" + "1" * 55
T2 = "7e57ab1e0" + "2" * 55
T3 = "0ddba11d" + "3" * 56
TXS = {T1: {"id": T1, "operation": "split", "status": "committed", "height": 4},
       T2: {"id": T2, "operation": "set_limit", "status": "pending"},
       T3: {"id": T3, "operation": "transfer", "status": "rejected"}}


@pytest.fixture
def txs(node: Node, monkeypatch: pytest.MonkeyPatch) -> Node:
    monkeypatch.setitem(RECORDS, "transaction", TXS)
    return node


def test_a_unique_prefix_shows_its_transaction(txs: Node) -> None:
    for text, prefix, whole in ((T3[:8], T3[:8], T3), (T3[:8].upper(), T3[:8], T3),
                                (f"{T1[:10]}…{T1[-4:]}", T1[:10], T1)):
        result = run("tx", "show", text)
        assert result.exit_code == 0, result.output
        assert txs.asked[-2:] == [("ids", ("transaction", prefix)), ("tx", (whole, 0))]


def test_an_ambiguous_transaction_prefix_lists_each_with_its_operation_and_status(
        txs: Node) -> None:
    result = run("tx", "show", T1[:9])
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.ambiguous_id"
    assert f"{T1}  transaction split committed" in error["message"]
    assert f"{T2}  transaction set_limit pending" in error["message"]
    assert not any(kind == "tx" for kind, _ in txs.asked)


def test_a_transaction_absent_or_not_yours_to_read_is_unknown_alike(txs: Node) -> None:
    # The node answers a prefix of another member's transaction with no match, as it
    # answers one of no transaction: the wallet cannot tell them apart, and says so.
    result = run("tx", "show", "abcdef0123")
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.unknown_id"
    assert "no transaction you may read has an id starting abcdef0123" in error["message"]
    assert not any(kind == "tx" for kind, _ in txs.asked)


def test_a_whole_transaction_id_is_asked_for_as_it_is(txs: Node) -> None:
    whole = "fe" * 32
    result = run("tx", "show", whole)
    assert result.exit_code == 0, result.output
    assert txs.asked == [("tx", (whole, 0))]


# ------------------------------------------------------------------ members by credit code

CODED = "a5" * 32
CODE = "91110000MA01AB2C32"  # legal_identity.complete_credit_code("91110000MA01AB2C")
CODED_MEMBER = {"address": CODED, "name": "Coded Works", "status": "active",
                "identity": {"person_type": "organisation", "credit_code": CODE}}
PERSON = {"address": "a6" * 32, "name": "A Person", "status": "active",
          "identity": {"person_type": "natural_person", "credit_code": ""}}


@pytest.fixture
def coded(node: Node, monkeypatch: pytest.MonkeyPatch) -> Node:
    def members(role: str | None = None, max_items: int = 10_000) -> dict:
        node.asked.append(("members", role))
        return {"members": [*MEMBERS, CODED_MEMBER, PERSON], "next": None}

    monkeypatch.setattr(node, "members", members)
    return node


def test_a_member_is_named_by_its_credit_code_in_either_case(coded: Node) -> None:
    for text in (CODE, CODE.lower()):
        result = run("record", text)
        assert result.exit_code == 0, result.output
        assert coded.asked[-1] == ("debtor", CODED)
    assert not any(kind == "ids" for kind, _ in coded.asked)


def test_a_credit_code_of_hex_digits_is_tried_as_an_address_then_as_a_code(
        coded: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    digits = "913100001234567028"  # legal_identity.complete_credit_code("9131000012345670")
    monkeypatch.setitem(CODED_MEMBER["identity"], "credit_code", digits)
    result = run("record", digits)
    assert result.exit_code == 0, result.output
    assert [kind for kind, _ in coded.asked] == ["ids", "members", "debtor"]
    assert coded.asked[-1] == ("debtor", CODED)


def test_a_valid_credit_code_no_member_has_is_an_unknown_member(coded: Node) -> None:
    result = run("record", "91440300123456788M")  # valid, and no member's
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.unknown_member"
    assert "credit code" in error["message"]


def test_a_credit_code_the_directory_does_not_show_names_no_member(
        coded: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    # A directory that withholds the code (as a read rule would) leaves nothing to match.
    withheld = {**CODED_MEMBER, "identity": {"person_type": "organisation"}}
    monkeypatch.setattr(coded, "members", lambda role=None, max_items=10_000: {
        "members": [*MEMBERS, withheld], "next": None})
    result = run("record", CODE)
    assert result.exit_code == EXIT_ERROR
    assert error_of(result)["code"] == "wallet.unknown_member"


# ------------------------------------------------------------------ through a light node


@pytest.fixture
def light(node: Node, monkeypatch: pytest.MonkeyPatch) -> Node:
    """The stand-in answering as a light node: ids of what it holds (`held_only`), no
    member directory."""
    full = node.ids

    def ids(kind: str, prefix: str) -> dict:
        return {**full(kind, prefix), "held_only": True}

    def members(role: str | None = None, max_items: int = 10_000) -> dict:
        raise LedgerError("light.not_held", "/v1/members: a light node holds its member's "
                          "own records only; ask a full node")

    monkeypatch.setattr(node, "ids", ids)
    monkeypatch.setattr(node, "members", members)
    return node


def test_a_light_node_resolves_a_prefix_among_the_records_it_holds(light: Node) -> None:
    result = run("lineage", V3[:8])
    assert result.exit_code == 0, result.output
    assert light.asked[-1] == ("lineage", V3)
    result = run("record", CORE[:8])
    assert result.exit_code == 0, result.output
    assert light.asked[-1] == ("debtor", CORE)


def test_a_light_node_lists_an_ambiguous_prefix_among_what_it_holds(light: Node) -> None:
    result = run("lineage", V1[:10])
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.ambiguous_id"
    assert V1 in error["message"] and V2 in error["message"]


def test_a_prefix_a_light_node_does_not_hold_says_a_full_node_may_know_it(
        light: Node) -> None:
    result = run("lineage", "deadbeef00")
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.unknown_id"
    assert "light node holds" in error["message"]


def test_a_light_node_has_no_member_directory_to_name_a_member_by(light: Node) -> None:
    result = run("record", "Core Enterprise")
    assert result.exit_code == EXIT_ERROR
    assert error_of(result)["code"] == "wallet.no_directory"


# ------------------------------------------------------------------ a node that lies


@pytest.mark.parametrize("answered", [V3, V3[:8] + "…", "1a2b3c4d", 7])
def test_a_node_answering_an_id_the_prefix_does_not_name_is_not_followed(
        node: Node, monkeypatch: pytest.MonkeyPatch, answered: Any) -> None:
    """Asked for the vouchers starting 1a2b3c4d5e1, a node answers another voucher (one
    of its choosing, or no id at all): the wallet refuses rather than act on it."""
    monkeypatch.setattr(Node, "ids", lambda self, kind, prefix: {
        "kind": kind, "prefix": prefix, "more": False,
        "matches": [{"id": answered, "record": {"amount_fen": 1, "status": "active"}}]})
    for text in ("1a2b3c4d5e1", "1a2b3c4d…9f0e"):
        with pytest.raises(LedgerError) as refused:
            resolve.resolve_id(node, "voucher", text)
        assert refused.value.code == "wallet.bad_answer"
    with pytest.raises(LedgerError) as refused:
        resolve.any_record_id(session_with(node), ("application", "voucher"), "1a2b3c4d5e1")
    assert refused.value.code == "wallet.bad_answer"


def session_with(node: Node) -> Any:
    class Held:
        client = ledger = node
    return Held()


# ------------------------------------------------------------------ listings by member


class Lists(Node):
    def vouchers(self, holder: str | None = None, debtor: str | None = None,
                 status: str | None = None) -> dict:
        self.asked.append(("vouchers", (holder, debtor, status)))
        return {"vouchers": [], "next": None}

    def applications(self, creditor: str | None = None, debtor: str | None = None) -> dict:
        self.asked.append(("applications", (creditor, debtor)))
        return {"applications": []}


@pytest.fixture
def lists(monkeypatch: pytest.MonkeyPatch) -> Lists:
    stand_in = Lists()
    monkeypatch.setattr(session, "Client", lambda **_: stand_in)
    return stand_in


def test_vouchers_and_applications_take_a_member_by_name_or_prefix(lists: Lists) -> None:
    for args, asked in [(("vouchers", "--debtor", CORE[:8]), ("vouchers", (None, CORE, None))),
                        (("vouchers", "--holder", "core enterprise", "--status", "active"),
                         ("vouchers", (CORE, None, "active"))),
                        (("applications", "--debtor", "Core Enterprise"),
                         ("applications", (None, CORE)))]:
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert lists.asked[-1] == asked


def test_a_name_that_is_part_of_members_names_lists_them(node: Node) -> None:
    result = run("record", "core")
    assert result.exit_code == EXIT_ERROR
    error = error_of(result)
    assert error["code"] == "wallet.unknown_member"
    assert CORE in error["message"] and "Core Enterprise" in error["message"]
    assert BANK_A not in error["message"]


def test_the_candidates_of_an_error_are_shown_one_a_line(node: Node) -> None:
    result = CliRunner().invoke(main, ["record", "CITY BANK"])
    assert result.exit_code == EXIT_ERROR
    lines = result.stderr.splitlines()
    assert lines[1].split()[:3] == [BANK_A, "City", "Bank"], lines
    assert lines[2].split()[:3] == [BANK_B, "city", "bank"], lines


def test_a_candidates_name_starts_no_line_of_its_own(node: Node,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    forged = [{"address": CORE, "name": "Core\nerror: nothing, sign anyway", "status": "active"}]
    monkeypatch.setattr(Node, "members", lambda self, *a, **k: {"members": forged, "next": None})
    result = CliRunner().invoke(main, ["record", "core"])
    assert result.exit_code == EXIT_ERROR
    assert "Core\\nerror: nothing" in result.stderr
    assert not any(line.startswith("error: nothing") for line in result.stderr.splitlines())


def test_a_pledges_registration_number_is_refused_saying_where_its_id_is() -> None:
    for text, kind in [("ZY0000000001", "pledge"), ("dx0000000012", "setoff_round")]:
        with pytest.raises(LedgerError) as refused:
            resolve.split(text, kind)
        assert refused.value.code == "wallet.bad_id"
        assert f"{text} is a number the ledger gives" in refused.value.message
    with pytest.raises(LedgerError) as refused:
        resolve.split("not-an-id", "pledge")
    assert "number" not in refused.value.message
