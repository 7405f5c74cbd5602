"""Financing requests through the wallet, against a real node process: the supplier asks
two banks to lend on part of its voucher, one quotes and the other declines, each bank
reads only its own answer, the supplier accepts the quote with the bank co-signing the
draft, and the pledge is registered, amended (both signing), partly released and released,
the registry and the supplier's parts read after each step; a factor buys part of another
voucher at its quoted discount and passes it on (签收): one transferee refuses and the part
is free again, another signs for it and holds it; another request is withdrawn."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.nodeproc import PASSPHRASE
from tests.test_wallet_e2e import ROOT
from tests.test_wallet_verify import Net, wallet_network

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    # the bank's transfer-sign proves the offered voucher: it trusts the genesis
    with wallet_network(tmp_path_factory.mktemp("financing"), {
            "bank": "bank", "bank2": "bank", "factor": "factor"}, ("bank",)) as n:
        yield n


def shown(n: Net, who: str, *args: str) -> str:
    """What the wallet prints for people (no --json), on a line wide enough for a table."""
    run = subprocess.run(
        [sys.executable, "-m", "wallet.cli", "--node", n.api, "--key", str(n.keys[who]), *args],
        capture_output=True, text=True, timeout=90, cwd=ROOT,
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE, "COLUMNS": "240"})
    assert run.returncode == 0, run.stderr
    return run.stdout


def live_parts(n: Net, who: str, origin: str) -> list[dict]:
    """`who`'s live parts of the issued voucher `origin`, smallest first."""
    held = n.ok(who, "vouchers", "--status", "active")["vouchers"]
    return sorted((v for v in held if v["origin"] == origin), key=lambda v: v["amount_fen"])


def registered(n: Net, who: str, origin: str) -> dict:
    """The one pledge on a part of the issued voucher `origin`, as the registry shows `who`."""
    (found,) = n.ok(who, "pledges", "--origin", origin)["pledges"]
    return found


def test_a_supplier_asks_two_banks_and_the_loan_is_pledged_amended_and_released(
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
    answered = n.ok("supplier", "finance", "show", request)
    assert (answered["status"], answered["quote"], answered["outcome"]) == (
        "accepted", quote, pledge)

    # The whole 6,000 asked for is pledged for the 5,000 lent; the registry shows every
    # member the pledge, its loan to its parties only.
    p = registered(n, "bank", voucher)
    assert (p["id"], p["status"], p["secured_fen"], p["loan_fen"], p["loan_rate_bp"],
            p["loan_ref"]) == (pledge, "active", 600_000, 500_000, 435, "LOAN-F-1")
    notice = registered(n, "bank2", voucher)
    assert notice["notice"] is True and "loan_fen" not in notice and notice["id"] == pledge

    # Amended: pledgor and bank both sign the draft; what is not given stays.
    draft = n.tmp / "amend.json"
    n.ok("supplier", "pledge-amend", pledge, "--secured", "5,500", "--loan", "4,500",
         "--out", str(draft))
    n.ok("supplier", "sign", str(draft), "--yes")
    n.ok("bank", "sign", str(draft), "--yes")
    assert n.ok("bank", "submit", str(draft))["status"] == "committed"
    p = registered(n, "supplier", voucher)
    assert (p["secured_fen"], p["loan_fen"], p["loan_rate_bp"], p["loan_ref"],
            p["amendments"]) == (550_000, 450_000, 435, "LOAN-F-1", 1)

    # Partly released: no more than what is secured, else the whole pledge is released.
    refused = n.run("bank", "release-part", pledge, "--amount", "5,500")
    assert refused.returncode == 1 and "pledge.part_not_less" in refused.stderr
    n.ok("bank", "release-part", pledge, "--amount", "2,000")
    p = registered(n, "supplier", voucher)
    assert (p["status"], p["secured_fen"], p["released_fen"]) == ("active", 350_000, 200_000)
    parts = live_parts(n, "supplier", voucher)
    # Free beside it: the part released and the part never asked for.
    assert [v["amount_fen"] for v in parts if v["pledge"] is None] == [200_000, 400_000]
    (pledged,) = [v for v in parts if v["pledge"] is not None]
    assert (pledged["id"], pledged["pledge"], pledged["amount_fen"]) == (
        p["voucher"], pledge, 400_000)
    assert sum(v["amount_fen"] for v in parts) == 1_000_000
    table = shown(n, "bank", "pledges", "--origin", voucher)
    assert "¥3,500.00" in table and "¥4,500.00" in table and "active" in table

    # Released: the claim is the supplier's, free, and still adds up to what core owes.
    n.ok("bank", "release", pledge)
    p = registered(n, "supplier", voucher)
    assert (p["status"], p["secured_fen"]) == ("released", 350_000)
    parts = live_parts(n, "supplier", voucher)
    assert [(v["amount_fen"], v["pledge"]) for v in parts] == [
        (200_000, None), (400_000, None), (400_000, None)]


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


def test_a_factor_buys_part_of_a_claim_at_its_discount_and_passes_it_on(n: Net) -> None:
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
    answered = n.ok("supplier", "finance", "show", request)
    assert (answered["status"], answered["quote"]) == ("accepted", quote)
    (bought,) = live_parts(n, "factor", voucher)
    assert bought["amount_fen"] == 150_000

    # The factor offers 1,000 of it on; until the transferee signs the part is reserved.
    offered = n.ok("factor", "transfer", bought["id"], "--to", n.a["bank2"], "--amount",
                   "1,000", "--contract-ref", "ZR-2099-1")
    first = offered["transfer"]
    assert (first["status"], first["amount_fen"], first["to"]) == (
        "pending", 100_000, n.a["bank2"])
    assert [(v["amount_fen"], v["reserved_by"]) for v in live_parts(n, "factor", voucher)] == [
        (50_000, None), (100_000, first["id"])]
    assert [t["id"] for t in n.ok("bank2", "transfers")["to_me"]] == [first["id"]]

    # Refused: the part is the factor's to use again.
    n.ok("bank2", "transfer-refuse", first["id"], "--reason", "no claims on this debtor")
    parts = live_parts(n, "factor", voucher)
    assert [(v["amount_fen"], v["reserved_by"]) for v in parts] == [
        (50_000, None), (100_000, None)]
    (refused,) = n.ok("factor", "transfers", "--status", "refused")["offered"]
    assert (refused["id"], refused["reason"]) == (first["id"], "no claims on this debtor")

    # Offered again, to the bank: it finds the offer, signs for it and holds the part.
    offered = n.ok("factor", "transfer", parts[1]["id"], "--to", n.a["bank"], "--amount",
                   "1,000", "--contract-ref", "ZR-2099-2")
    second = offered["transfer"]["id"]
    (waiting,) = n.ok("bank", "transfers")["to_me"]
    assert (waiting["id"], waiting["amount_fen"], waiting["contract_ref"]) == (
        second, 100_000, "ZR-2099-2")
    signed = n.ok("bank", "transfer-sign", second, "--yes")
    (moved,) = [e for e in signed["events"] if e["kind"] == "voucher.transferred"]
    assert n.a["core"] in moved["parties"]  # the debtor is told who holds its claim now
    assert [(v["id"], v["amount_fen"]) for v in live_parts(n, "bank", voucher)] == [
        (moved["subject"], 100_000)]
    assert [v["amount_fen"] for v in live_parts(n, "factor", voucher)] == [50_000]
    # The new holder traces its part back to the issue through the factor's.
    traced = n.ok("bank", "lineage", moved["subject"])
    assert traced["ancestors"][0]["id"] == voucher
    assert bought["id"] in {v["id"] for v in traced["ancestors"]}
    assert n.ok("bank", "transfers")["to_me"] == []
