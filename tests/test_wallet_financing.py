"""Financing requests through the wallet, against a real node process: the supplier asks
two banks to lend on part of its voucher, one quotes and the other declines, each bank
reads only its own answer, the supplier accepts the quote with the bank co-signing the
draft, and the pledge is registered; a factor buys part of another voucher at its quoted
discount; another request is withdrawn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.nodeproc import make_network, member_key_files, running
from tests.test_wallet_verify import Net, admit

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    tmp = tmp_path_factory.mktemp("financing")
    net = make_network(tmp / "net")
    keys = member_key_files(net, tmp)
    with running(net):
        n = Net(net, net.api, keys, {k: v.address.hex() for k, v in net.members.items()},
                "", tmp)
        admit(n, "bank", "bank")
        admit(n, "bank2", "bank")
        admit(n, "factor", "factor")
        yield n


def test_a_supplier_asks_two_banks_one_quotes_one_declines_and_the_loan_is_pledged(
        n: Net) -> None:
    voucher = n.issue("10,000.00")
    asked = n.ok("supplier", "finance", "request", voucher, "--amount", "6,000",
                 "--kind", "pledge_loan", "--term-days", "90", "--to", n.a["bank"],
                 "--to", n.a["bank2"])
    request = next(e["subject"] for e in asked["events"] if e["kind"] == "financing.requested")
    listed = n.ok("bank", "finance", "requests")
    assert [r["id"] for r in listed["requests"]] == [request]

    quoted = n.ok("bank", "finance", "quote", request, "--amount", "5,000", "--rate", "4.35",
                  "--term-days", "90")
    quote = next(e["subject"] for e in quoted["events"] if e["kind"] == "financing.quoted")
    n.ok("bank2", "finance", "decline", request, "--reason", "sector limit reached")

    # The supplier reads both answers; each bank its own only.
    assert {a["status"] for a in n.ok("supplier", "finance", "show", request)["answers"]} == {
        "offered", "declined"}
    assert [a["id"] for a in n.ok("bank", "finance", "show", request)["answers"]] == [quote]
    assert [a["status"] for a in n.ok("bank2", "finance", "show", request)["answers"]] == [
        "declined"]

    draft = n.tmp / "accept.json"
    n.ok("supplier", "finance", "accept", quote, "--contract-ref", "LOAN-F-1",
         "--out", str(draft))
    n.ok("supplier", "sign", str(draft), "--yes")
    n.ok("bank", "sign", str(draft), "--yes")
    view = n.ok("bank", "submit", str(draft))
    assert view["status"] == "committed"
    pledge = next(e["subject"] for e in view["events"] if e["kind"] == "pledge.registered")
    shown = n.ok("supplier", "finance", "show", request)
    assert (shown["status"], shown["quote"], shown["outcome"]) == ("accepted", quote, pledge)


def test_a_holder_withdraws_a_request_to_every_funder(n: Net) -> None:
    voucher = n.issue("300.00")
    asked = n.ok("supplier", "finance", "request", voucher, "--amount", "300",
                 "--kind", "pledge_loan", "--term-days", "30")
    request = next(e["subject"] for e in asked["events"] if e["kind"] == "financing.requested")
    # Addressed to no one: every bank finds it among the open requests to all.
    assert request in {r["id"] for r in n.ok("bank2", "finance", "requests")["requests"]}
    n.ok("supplier", "finance", "withdraw", request)
    assert n.ok("supplier", "finance", "show", request)["status"] == "withdrawn"
    refused = n.run("supplier", "finance", "withdraw", request)
    assert refused.returncode == 1 and "financing.closed" in refused.stderr


def test_a_factor_buys_part_of_a_claim_at_the_discount_it_quoted(n: Net) -> None:
    voucher = n.issue("2,000.00")  # due 2099: a low discount rate keeps a price
    asked = n.ok("supplier", "finance", "request", voucher, "--amount", "2,000",
                 "--kind", "sale", "--term-days", "60", "--to", n.a["factor"])
    request = next(e["subject"] for e in asked["events"] if e["kind"] == "financing.requested")
    quoted = n.ok("factor", "finance", "quote", request, "--amount", "1,500", "--rate", "0.1",
                  "--recourse", "without")
    quote = next(e["subject"] for e in quoted["events"] if e["kind"] == "financing.quoted")
    (answer,) = n.ok("supplier", "finance", "show", request)["answers"]
    assert answer["recourse"] is False and 0 < answer["price_fen"] < 150_000
    draft = n.tmp / "sale.json"
    n.ok("supplier", "finance", "accept", quote, "--contract-ref", "BL-2099-1",
         "--out", str(draft))
    n.ok("supplier", "sign", str(draft), "--yes")
    n.ok("factor", "sign", str(draft), "--yes")
    view = n.ok("factor", "submit", str(draft))
    assert {"financing.accepted", "sale.sold"} <= {e["kind"] for e in view["events"]}
    shown = n.ok("supplier", "finance", "show", request)
    assert (shown["status"], shown["quote"]) == ("accepted", quote)
