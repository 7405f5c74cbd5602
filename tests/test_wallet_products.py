"""Funders' products through the wallet, against a real node process: the agency admits a
factor and a microlender, each publishes a product in yuan and percent, every member lists
and reads them, the factor amends and withdraws its own, and a member that is no funder is
refused with the rule's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from contracts.keystore import seal
from contracts.products import product_id
from tests.nodeproc import PASSPHRASE, make_network, running
from tests.test_wallet_e2e import ROOT
from tests.test_wallet_verify import Net, admit

pytestmark = pytest.mark.process

FACTORING = ("保理一号", "--kind", "factoring", "--recourse", "without", "--term", "30-360",
             "--price", "1.5-9", "--amount", "1000-200,000.50", "--terms-ref", "T-2026-1")


@pytest.fixture(scope="module")
def n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    tmp = tmp_path_factory.mktemp("products")
    net = make_network(tmp / "net")
    keys = {}
    for name, key in net.members.items():
        keys[name] = tmp / f"{name}.json"
        keys[name].write_text(json.dumps(seal(key, PASSPHRASE, name)))
        keys[name].chmod(0o600)
    with running(net):
        n = Net(net, net.api, keys, {k: v.address.hex() for k, v in net.members.items()},
                "", tmp)
        admit(n, "factor", "factor")
        admit(n, "lender", "microlender")
        yield n


def test_a_factor_publishes_amends_and_withdraws_a_product(n: Net) -> None:
    published = n.ok("factor", "product", "publish", *FACTORING)
    assert published["status"] == "committed"
    pid = product_id(bytes.fromhex(n.a["factor"]), "保理一号").hex()
    assert [e["subject"] for e in published["events"]] == [pid]

    shown = n.ok("supplier", "product", "show", pid)
    assert (shown["funder"], shown["kind"], shown["status"]) == (n.a["factor"], "factoring",
                                                                 "listed")
    assert shown["terms"] == {
        "recourse": False, "min_term_days": 30, "max_term_days": 360, "min_price_bp": 150,
        "max_price_bp": 900, "min_amount_fen": 100_000, "max_amount_fen": 20_000_050,
        "terms_ref": "T-2026-1"}

    n.ok("factor", "product", "amend", pid, "--price", "2-8.25", "--recourse", "with")
    amended = n.ok("supplier", "product", "show", pid)["terms"]
    assert (amended["recourse"], amended["min_price_bp"], amended["max_price_bp"]) == (
        True, 200, 825)
    assert {k: amended[k] for k in ("min_term_days", "max_amount_fen", "terms_ref")} == {
        "min_term_days": 30, "max_amount_fen": 20_000_050, "terms_ref": "T-2026-1"}

    n.ok("factor", "product", "withdraw", pid)
    listed = n.ok("supplier", "product", "list", "--funder", n.a["factor"])
    assert listed["products"] == []
    every = n.ok("supplier", "product", "list", "--funder", n.a["factor"], "--all")
    assert [(p["id"], p["status"]) for p in every["products"]] == [(pid, "withdrawn")]


def test_members_list_funders_products_by_kind_in_yuan_and_percent(n: Net) -> None:
    n.ok("lender", "product", "publish", "小额质押贷", "--kind", "pledge_loan",
         "--term", "90", "--price", "6-12.5", "--amount", "50000-3000000")
    loans = n.ok("core", "product", "list", "--kind", "pledge_loan")
    (loan,) = [p for p in loans["products"] if p["funder"] == n.a["lender"]]
    assert loan["terms"]["recourse"] is None
    assert (loan["terms"]["min_term_days"], loan["terms"]["max_term_days"]) == (90, 90)
    assert n.ok("core", "product", "list", "--kind", "factoring",
                "--funder", n.a["lender"])["products"] == []

    shown = _plain(n, "core", "product", "show", loan["id"])
    assert "pledge_loan, 90–90 days, annual rate 6.00%–12.50%" in shown
    table = _plain(n, "core", "product", "list", "--funder", n.a["lender"])
    assert "6.00%–12.50%" in table and "¥50,000.00–¥3,000,000.00" in table
    assert "90–90" in table


def test_a_member_that_is_no_funder_is_refused_with_the_rules_code(n: Net) -> None:
    result = n.run("supplier", "product", "publish", "mine", "--kind", "pledge_loan",
                   "--term", "30-90", "--price", "5-6", "--amount", "100-200")
    assert result.returncode == 1
    assert "product.not_funder" in result.stderr and "Traceback" not in result.stderr


def test_a_factoring_product_states_its_recourse_before_anything_is_signed(n: Net) -> None:
    result = n.run("factor", "product", "publish", "no recourse given", "--kind", "factoring",
                   "--term", "30-90", "--price", "1-2", "--amount", "100-200")
    assert result.returncode == 2 and "--recourse" in result.stderr
    result = n.run("factor", "product", "publish", "bad rate", "--kind", "factoring",
                   "--recourse", "with", "--term", "30-90", "--price", "1.234-2",
                   "--amount", "100-200")
    assert result.returncode == 1 and "wallet.bad_rate" in result.stderr


def _plain(n: Net, who: str, *args: str) -> str:
    """The wallet's table for people (no --json)."""
    command = [sys.executable, "-m", "wallet.cli", "--node", n.api, "--key",
               str(n.keys[who]), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90, cwd=ROOT,
                            env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE,
                                 "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_product_id_is_known_before_the_publication() -> None:
    """The id depends on the funder and the name only: a wallet shows it up front."""
    a, b = bytes(32), bytes([1]) * 32
    assert product_id(a, "x") == product_id(a, "x") != product_id(b, "x") != product_id(a, "y")
