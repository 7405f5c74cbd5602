"""claimledger-wallet as a subprocess against a node process: the whole issuance workflow,
three separate key stores co-signing through files, and the wallet's error paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.errors import LedgerError
from tests.identities import identity_args
from tests.nodeproc import PASSPHRASE, make_network, member_key_files, running
from wallet.cli import parse_due, parse_yuan

ROOT = Path(__file__).resolve().parent.parent


def wallet(api: str, key: Path | None, *args: str, passphrase: str = PASSPHRASE,
           ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "wallet.cli", "--node", api, "--json"]
    if key is not None:
        command += ["--key", str(key)]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=90, cwd=ROOT,
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": passphrase},
    )


def ok(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.process
def test_issuance_workflow_cosigned_through_files(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    keys = member_key_files(net, tmp_path)
    supplier = net.members["supplier"].address.hex()
    core = net.members["core"].address.hex()
    basis = tmp_path / "contract.txt"
    basis.write_text("钢材供货合同 HT-E2E-1, ¥1,250,000.00")
    with running(net):
        api = net.api
        draft = tmp_path / "apply.json"
        ok(wallet(api, keys["supplier"], "apply", "--debtor", core, "--amount", "1250000.00",
                  "--due", "2099-06-30", "--asset", "--consumption", "--extension-days", "90",
                  "--basis-ref", "HT-E2E-1", "--basis-file", str(basis), "--out", str(draft)))
        # The core enterprise is not a signer of the application: it cannot sign the draft.
        refused = wallet(api, keys["core"], "sign", str(draft), "--yes")
        assert refused.returncode == 1 and "wallet.not_a_signer" in refused.stderr
        signed = ok(wallet(api, keys["supplier"], "sign", str(draft), "--yes"))
        assert signed["missing_signers"] == []
        applied = ok(wallet(api, keys["supplier"], "submit", str(draft)))
        assert applied["status"] == "committed"
        application = applied["id"]

        confirmed = ok(wallet(api, keys["core"], "confirm", application, "--yes"))
        assert [e["kind"] for e in confirmed["events"]] == ["application.confirmed"]
        approved = ok(wallet(api, keys["agency"], "approve", application, "--yes"))
        voucher_id = next(e["subject"] for e in approved["events"]
                          if e["kind"] == "voucher.issued")

        listed = ok(wallet(api, keys["supplier"], "vouchers", "--holder", supplier))["vouchers"]
        assert [(v["id"], v["amount_fen"], v["debtor"]) for v in listed] == [
            (voucher_id, 125_000_000, core)
        ]
        assert listed[0]["due_ms"] == parse_due("2099-06-30")

        # Admission needs the agency and the new member: drafted once, signed by both.
        newcomer = tmp_path / "newcomer.json"
        address = ok(wallet(api, None, "keygen", "--out", str(newcomer)))["address"]
        assert (newcomer.stat().st_mode & 0o777) == 0o600
        admit = tmp_path / "admit.json"
        ok(wallet(api, keys["agency"], "admit", address, "--name", "Lianhua Supplies",
                  "--role", "merchant", "--out", str(admit), *identity_args(1)))
        assert ok(wallet(api, keys["agency"], "sign", str(admit), "--yes"))["missing_signers"] \
            == [address]
        ok(wallet(api, newcomer, "sign", str(admit), "--yes"))
        assert ok(wallet(api, keys["agency"], "submit", str(admit)))["status"] == "committed"
        assert ok(wallet(api, newcomer, "member", address))["roles"] == ["merchant"]

        # Without --out, a transaction that needs co-signers is refused with a hint.
        alone = wallet(api, keys["agency"], "admit", core, "--name", "x", "--role", "bank",
                       *identity_args(2))
        assert alone.returncode == 1 and "wallet.needs_cosigners" in alone.stderr
        # A rule's refusal reaches the user with its code.
        again = wallet(api, keys["core"], "confirm", application, "--yes")
        assert again.returncode == 1 and "issuance.not_awaiting_confirmation" in again.stderr
        wrong = wallet(api, keys["core"], "confirm", application, "--yes", passphrase="not it")
        assert wrong.returncode == 1 and "keystore.wrong_passphrase" in wrong.stderr
        assert "Traceback" not in wrong.stderr


def test_amounts_are_parsed_exactly_in_fen() -> None:
    assert parse_yuan("1250000.00") == 125_000_000
    assert parse_yuan("1,250,000.5") == 125_000_050
    assert parse_yuan("0.01") == 1
    assert parse_yuan("7") == 700
    for bad in ("0.015", "abc", "-1", "1e5", "", "1.2.3"):
        with pytest.raises(LedgerError) as e:
            parse_yuan(bad)
        assert e.value.code == "wallet.bad_amount"


def test_due_date_is_midnight_after_the_day_in_china_time() -> None:
    # 2027-01-01 00:00 +08:00 is 2026-12-31 16:00 UTC.
    assert parse_due("2026-12-31") == 1_798_732_800_000
    with pytest.raises(LedgerError):
        parse_due("31/12/2026")
