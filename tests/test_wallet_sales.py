"""Sales of claims to funders through the wallet, against a real node process: the
supplier drafts the sale of part of a voucher to a factor, sees the ledger's price before
anything is written, signs; the factor proves the voucher and signs; the sale commits at
that price; seller, buyer and debtor read it, an unrelated member does not; the factor
passes the bought claim on to a bank the same way; recourse before the claim is overdue
is refused with the rule's code. On the same network, the supervision verbs: a freeze, a
dispute, its resolution and a voiding."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contracts import pricing
from tests.test_wallet_verify import Net, wallet_network

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    with wallet_network(tmp_path_factory.mktemp("sales"), {
            "factor": "factor", "bank": "bank", "other": "enterprise"},
            ("supplier", "factor", "bank")) as n:
        yield n


def issue_due_in_90_days(n: Net) -> tuple[str, int]:
    """A voucher of 1,000.00 the core owes the supplier, due in 90 days; its id and due."""
    due = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
    applied = n.ok("supplier", "apply", "--debtor", n.a["core"], "--amount", "1000",
                   "--due", due, "--asset", "--basis-ref", "HT-SALE-1",
                   "--basis-sha256", "5a" * 32)
    n.ok("core", "confirm", applied["id"], "--yes")
    approved = n.ok("agency", "approve", applied["id"], "--yes")
    voucher = next(e["subject"] for e in approved["events"] if e["kind"] == "voucher.issued")
    return voucher, n.ok("supplier", "lineage", voucher)["voucher"]["due_ms"]


def cosign(n: Net, seller: str, buyer: str, draft: Path, *args: str
           ) -> tuple[subprocess.CompletedProcess, dict]:
    """`sale draft` by the seller, signed by it and then by the buyer, submitted."""
    drafted = n.run(seller, "sale", "draft", *args, "--out", str(draft))
    assert drafted.returncode == 0, drafted.stderr
    n.ok(seller, "sign", str(draft), "--yes")
    signed = n.run(buyer, "sign", str(draft), "--yes")
    assert signed.returncode == 0, signed.stderr
    assert "verified at height" in signed.stderr  # the buyer proved the voucher first
    return drafted, n.ok(buyer, "submit", str(draft))


def test_a_factor_buys_part_of_a_voucher_and_passes_it_on(n: Net) -> None:
    voucher, due_ms = issue_due_in_90_days(n)
    drafted, view = cosign(n, "supplier", "factor", n.tmp / "sale.json", voucher,
                           "--buyer", n.a["factor"], "--amount", "400", "--rate", "6.5",
                           "--recourse", "with", "--contract-ref", "BL-2027-0042")
    assert view["status"] == "committed"
    kinds = [e["kind"] for e in view["events"]]
    assert {"voucher.sold", "sale.sold", "sale.notice"} <= set(kinds)
    sale_id = next(e["subject"] for e in view["events"] if e["kind"] == "sale.sold")

    shown = n.ok("core", "sale", "show", sale_id)  # the debtor is told and reads it
    days = pricing.whole_days(shown["sold_at_ms"], due_ms)
    assert shown["price_fen"] == pricing.discounted_fen(40_000, 650, days)
    assert f"price ¥{shown['price_fen'] // 100:,}.{shown['price_fen'] % 100:02d}" in \
        drafted.stderr  # shown to the seller before it signed
    assert (shown["seller"], shown["buyer"], shown["debtor"]) == (
        n.a["supplier"], n.a["factor"], n.a["core"])
    assert (shown["face_fen"], shown["rate_bp"], shown["recourse"], shown["status"]) == (
        40_000, 650, True, "sold")
    bought = shown["sold"]
    assert n.ok("factor", "lineage", bought)["voucher"]["holder"] == n.a["factor"]

    listed = n.ok("factor", "sales", "list")["sales"]
    assert [s["id"] for s in listed] == [sale_id]
    assert n.ok("supplier", "sales", "list", "--role", "buyer")["sales"] == []
    refused = n.run("other", "sale", "show", sale_id)
    assert refused.returncode != 0 and "read.forbidden" in refused.stderr

    early = n.run("factor", "sale", "recourse", sale_id)
    assert early.returncode != 0 and "sale.not_overdue" in early.stderr

    # The factor passes the bought claim on to a bank, the same way.
    _, onward = cosign(n, "factor", "bank", n.tmp / "onward.json", bought,
                       "--buyer", n.a["bank"], "--amount", "150", "--rate", "5",
                       "--recourse", "without", "--contract-ref", "BL-2027-0043")
    assert onward["status"] == "committed"
    banks = n.ok("bank", "sales", "list")["sales"]
    assert [(s["seller"], s["face_fen"]) for s in banks] == [(n.a["factor"], 15_000)]
    assert {s["id"] for s in n.ok("core", "sales", "list")["sales"]} == \
        {sale_id, banks[0]["id"]}
    gone = n.run("factor", "sale", "recourse", sale_id)
    assert gone.returncode != 0 and "sale.not_held" in gone.stderr


# ------------------------------------------------------------------ supervision, same network


def test_a_freeze_a_dispute_and_a_voiding_through_the_wallet(n: Net) -> None:
    """The agency freezes part of a claim on a court order, the debtor disputes the
    voucher, the holder's split is refused with the rule's code, the agency dismisses
    the dispute, lifts the freeze and at last voids the voucher by a decision."""
    voucher = n.issue("500")
    (n.tmp / "order.pdf").write_bytes(b"court order")
    frozen = n.ok("agency", "freeze", voucher, "--amount", "200", "--order-ref",
                  "(2027)执保9号", "--order-file", str(n.tmp / "order.pdf"))
    order = next(e["subject"] for e in frozen["events"] if e["kind"] == "voucher.frozen")
    # `order` is the frozen part split off; the rest keeps moving.
    listed = n.ok("supplier", "freezes", "list")["freezes"]
    assert [(o["voucher"], o["amount_fen"], o["status"]) for o in listed] == [
        (order, 20_000, "frozen")]
    refused = n.run("supplier", "split", order, "--amounts", "100,100")
    assert refused.returncode == 1 and "voucher.frozen" in refused.stderr

    raised = n.ok("core", "dispute", "raise", "voucher", voucher, "--reason", "not delivered",
                  "--document-sha256", "ab" * 32)
    dispute = next(e["subject"] for e in raised["events"] if e["kind"] == "dispute.raised")
    (rest,) = [d["voucher"]["id"] for d in n.ok("supplier", "lineage", voucher)["descendants"]
               if d["voucher"]["id"] != order]
    refused = n.run("supplier", "split", rest, "--amounts", "100,200")
    assert refused.returncode == 1 and "voucher.disputed" in refused.stderr
    assert [d["id"] for d in n.ok("supplier", "dispute", "list")["disputes"]] == [dispute]
    n.ok("agency", "dispute", "resolve", dispute, "--outcome", "dismissed", "--reason",
         "delivery notes signed")
    assert n.ok("core", "dispute", "show", dispute)["status"] == "dismissed"
    n.ok("agency", "unfreeze", listed[0]["id"], "--order-ref", "(2027)解除9号",
         "--order-sha256", "cd" * 32)
    voided = n.ok("agency", "void", voucher, "--reason", "basis rescinded",
                  "--document-sha256", "ef" * 32)
    assert sorted(e["subject"] for e in voided["events"] if e["kind"] == "voucher.voided") \
        == sorted([order, rest])
