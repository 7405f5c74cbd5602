"""The pledge registry through `claimledger-wallet` on the devnet, each step a separate
process: a pledge with its 中登网 filing and its loan, amended and renewed with both
signing, partly released by the bank, found by any member by pledgor and by debtor, and
answered as a query certificate that the wallet verifies (and verifies again offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_wallet_lifecycle import Devnet, subject


@pytest.mark.process
def test_the_pledge_registry_through_the_wallet(demo_devnet: Devnet, tmp_path: Path) -> None:
    scenario(demo_devnet, tmp_path)


def scenario(net: Devnet, tmp: Path) -> None:
    a = net.a
    applied = net.ok("mingda", "apply", "--debtor", a["core"], "--amount", "500000",
                     "--due", "2030-12-31", "--consumption", "--basis-ref", "HT-REG-1",
                     "--basis-sha256", "33" * 32)
    net.ok("core", "confirm", applied["id"], "--yes")
    voucher = subject(net.ok("agency", "approve", applied["id"], "--yes"), "voucher.issued")

    # Mingda pledges it: the bank's 中登网 filing and a loan of ¥400,000 at 4.35 %.
    draft = tmp / "pledge.json"
    net.ok("mingda", "pledge", voucher, "--bank", a["bank"], "--secured", "450000",
           "--loan", "400000", "--rate", "4.35", "--loan-due", "2029-06-30",
           "--loan-ref", "LOAN-REG-1", "--filing-no", "05487683000123456789",
           "--filing-from", "2026-01-01", "--filing-until", "2031-12-31", "--out", str(draft))
    net.trust("bank")  # the bank proves the voucher before it signs
    pledge_id = subject(net.cosigned(draft, "mingda", "bank"), "pledge.registered")
    (mine,) = net.ok("mingda", "pledges", "--voucher", voucher)["pledges"]
    assert (mine["secured_fen"], mine["loan_fen"], mine["loan_rate_bp"]) == (
        45_000_000, 40_000_000, 435)
    assert mine["filing"]["number"] == "05487683000123456789"

    # Any member finds it by pledgor and by debtor: the notice, not the loan.
    by_pledgor = net.ok("xinhe", "pledges", "--pledgor", a["mingda"])["pledges"]
    by_debtor = net.ok("xinhe", "pledges", "--debtor", a["core"])["pledges"]
    for found in (by_pledgor, by_debtor):
        (notice,) = [p for p in found if p["id"] == pledge_id]
        assert notice["notice"] is True and "loan_fen" not in notice

    # Amended (the secured claim and the rate) and renewed, each with both signing.
    amend = tmp / "amend.json"
    net.ok("mingda", "pledge-amend", pledge_id, "--secured", "480000", "--rate", "3.9",
           "--out", str(amend))
    net.cosigned(amend, "mingda", "bank")
    renew = tmp / "renew.json"
    net.ok("bank", "pledge-renew", pledge_id, "--loan-due", "2030-06-30", "--loan-ref",
           "LOAN-REG-2", "--out", str(renew))
    net.cosigned(renew, "bank", "mingda")
    record = net.ok("bank", "pledges", "--voucher", voucher)["pledges"][0]
    assert (record["secured_fen"], record["loan_rate_bp"], record["loan_fen"]) == (
        48_000_000, 390, 40_000_000)
    assert (record["loan_ref"], record["amendments"], record["renewals"]) == (
        "LOAN-REG-2", 1, 1)
    assert record["filing"]["number"] == "05487683000123456789"  # kept as it was

    # The bank releases ¥80,000: that part is Mingda's free; the rest stays pledged.
    released = net.ok("bank", "release-part", pledge_id, "--amount", "80000")
    kept, freed = [e["subject"] for e in released["events"] if e["kind"] == "voucher.split"]
    parts = {v["id"]: v for v in net.ok("mingda", "vouchers", "--status", "active")["vouchers"]}
    assert (parts[kept]["amount_fen"], parts[kept]["pledge"]) == (42_000_000, pledge_id)
    assert (parts[freed]["amount_fen"], parts[freed]["pledge"]) == (8_000_000, None)
    assert "voucher.pledged" in net.refused(
        "mingda", "transfer", kept, "--to", a["xinhe"], "--amount", "1",
        "--contract-ref", "ZR-REG-1")
    net.ok("mingda", "transfer", freed, "--to", a["xinhe"], "--amount", "1",
           "--contract-ref", "ZR-REG-1")

    # Xinhe asks for a query certificate, which the wallet verifies, and keeps it.
    saved = tmp / "certificate.bin"
    net.trust("xinhe")
    cert = net.ok("xinhe", "pledge-certificate", "--pledgor", a["mingda"], "--save",
                  str(saved))
    assert "light client verified" in cert["checked"]
    assert pledge_id in [n["id"] for n in cert["answer"]["notices"]]
    assert cert["answer"]["query"]["key"] == a["mingda"]
    checked = net.ok("regulator", "pledge-certificate", "--check", str(saved))
    assert checked["certificate"] == saved.read_bytes().hex()
    # A certificate changed by one byte does not hold: the wallet exits with status 3.
    raw = bytearray(saved.read_bytes())
    raw[-70] ^= 1
    (tmp / "bad.bin").write_bytes(bytes(raw))
    bad = net.run("xinhe", "pledge-certificate", "--check", str(tmp / "bad.bin"))
    assert bad.returncode == 3 and "certificate." in bad.stderr

    net.ok("bank", "release", pledge_id)
    assert net.ok("agency", "pledges", "--voucher", kept)["pledges"][0]["status"] == "released"
