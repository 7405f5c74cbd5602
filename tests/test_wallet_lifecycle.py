"""The voucher lifecycle through `claimledger-wallet`, each step a separate process against
the devnet: issue, split, transfer, pledge (and a refused second pledge), release, pay a
merchant, redeem, circulate the remainder, then the due date passes: one voucher extends,
the other goes overdue. And the wallet's own checks that need no node."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from contracts import payment, transfer
from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.issuance import DAY_MS
from contracts.keystore import seal
from contracts.ledger import make_transaction
from tests.identities import identity_args
from tests.nodeproc import NODE_BIN, free_port_block
from wallet.cli import Wallet, main, parse_amounts, parse_due, show_due

ROOT = Path(__file__).resolve().parent.parent
CHINA = timezone(timedelta(hours=8))
UNUSED_NODE = "http://127.0.0.1:9"  # nothing listens there: these checks need no node


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def at(ms: int) -> str:
    """An exact ledger time as the wallet takes it: ISO date-time with the +08:00 offset."""
    return datetime.fromtimestamp(ms / 1000, CHINA).isoformat(timespec="seconds")


class Devnet:
    """The wallet run as a member of a running devnet, one process per command."""

    def __init__(self, state: dict) -> None:
        self.api = state["nodes"][0]["api"]
        self.passphrase = state["passphrase"]
        self.keys = {m["handle"]: m["key_file"] for m in state["members"]}
        self.a = {m["handle"]: m["address"] for m in state["members"]}
        self.genesis = state["network"]  # the devnet's genesis.json

    def trust(self, who: str) -> None:
        """`who`'s wallet trusts the genesis block id read from the devnet's genesis.json
        (accept and sign prove the voucher of a co-sign draft against it)."""
        made = subprocess.run([str(NODE_BIN), "genesis-id", "--network", self.genesis],
                              capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        self.ok(who, "trust", made.stdout.strip())

    def run(self, who: str | None, *args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "wallet.cli", "--node", self.api, "--json"]
        if who is not None:
            command += ["--key", self.keys.get(who, who)]
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=90, cwd=ROOT,
            env={**os.environ, "CLAIMLEDGER_PASSPHRASE": self.passphrase},
        )

    def ok(self, who: str | None, *args: str) -> dict:
        result = self.run(who, *args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return json.loads(result.stdout)

    def refused(self, who: str | None, *args: str) -> str:
        result = self.run(who, *args)
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr
        return result.stderr

    def cosigned(self, draft: Path, *signers: str) -> dict:
        for who in signers:
            self.ok(who, "sign", str(draft), "--yes")
        return self.ok(signers[0], "submit", str(draft))  # one who signed submits it

    def ledger_ms(self) -> int:
        return self.ok(None, "status")["time_ms"]


def subject(view: dict, kind: str) -> str:
    (found,) = [e["subject"] for e in view["events"] if e["kind"] == kind]
    return found


def live_parts(net: Devnet, origin: str) -> dict[str, dict]:
    """The live states descending from an issued voucher, by id."""
    tree = net.ok("agency", "lineage", origin)
    assert tree["voucher"]["id"] == origin and not tree["truncated"]
    found = {}
    stack = list(tree["descendants"])
    while stack:
        entry = stack.pop()
        if entry["voucher"]["status"] == "active":
            found[entry["voucher"]["id"]] = entry["voucher"]
        stack.extend(entry["children"])
    return found


@contextmanager
def devnet(tmp: Path) -> Iterator[Devnet]:
    """The demo network of scripts/devnet started in `tmp`/devnet, stopped after."""
    directory = tmp / "devnet"
    up = subprocess.run(
        [str(ROOT / "scripts" / "devnet"), "--detach", "--dir", str(directory),
         "--port", str(free_port_block(9))],
        capture_output=True, text=True, timeout=120,
    )
    try:
        assert up.returncode == 0, up.stderr
        yield Devnet(json.loads((directory / "devnet.json").read_text()))
    finally:
        subprocess.run([str(ROOT / "scripts" / "devnet"), "stop", "--dir", str(directory)],
                       capture_output=True, timeout=60)


@pytest.mark.process
def test_voucher_lifecycle_through_the_wallet(demo_devnet: Devnet, tmp_path: Path) -> None:
    scenario(demo_devnet, tmp_path)


def scenario(net: Devnet, tmp: Path) -> None:
    a = net.a
    record_before = net.ok("agency", "record", a["core"])

    # Two vouchers of the core enterprise fall due within seconds: the first with an
    # extension clause (1 day, once), the second without. Due dates are exact times, late
    # enough that approval precedes them (the rule), soon enough that the test does not
    # idle. Should the steps below outlast the first due date, its parts have extended
    # before they move, and every assertion still holds.
    now_ms = time.time_ns() // 1_000_000
    # 30 s leaves room for two confirmations and approvals on a loaded machine.
    due_extending_ms = (now_ms // 1000 + 35) * 1000
    due_overdue_ms = (now_ms // 1000 + 30) * 1000
    applied = net.ok("mingda", "apply", "--debtor", a["core"], "--amount", "1000000.00",
                     "--due", at(due_extending_ms), "--consumption", "--extension-days", "1",
                     "--extensions", "1", "--basis-ref", "HT-LIFE-1",
                     "--basis-sha256", "11" * 32)
    applied_2 = net.ok("mingda", "apply", "--debtor", a["core"], "--amount", "80000",
                       "--due", at(due_overdue_ms), "--asset", "--basis-ref", "HT-LIFE-2",
                       "--basis-sha256", "22" * 32)
    issued = []
    for application in (applied["id"], applied_2["id"]):
        net.ok("core", "confirm", application, "--yes")
        issued.append(subject(net.ok("agency", "approve", application, "--yes"), "voucher.issued"))
    extending, overdue = issued
    voucher = net.ok("agency", "vouchers", "--holder", a["mingda"], "--status", "active")
    by_id = {v["id"]: v for v in voucher["vouchers"]}
    assert by_id[extending]["due_ms"] == due_extending_ms
    assert by_id[overdue]["due_ms"] == due_overdue_ms and by_id[overdue]["extension_days"] == 0

    # Mingda (A) splits and offers one part to Xinhe (B), who signs for it (签收); the
    # debtor is told.
    split = net.ok("mingda", "split", extending, "--amounts", "600000,400000")
    kept, passed = [e["subject"] for e in split["events"] if e["kind"] == "voucher.split"]
    offered = net.ok("mingda", "transfer", passed, "--to", a["xinhe"], "--amount", "400000",
                     "--contract-ref", "ZR-LIFE-1", "--days", "3")
    tid = offered["transfer"]["id"]
    assert offered["transfer"]["voucher"] == passed  # the whole part, reserved
    assert tid in [t["id"] for t in net.ok("xinhe", "transfers")["to_me"]]
    assert tid in [t["id"] for t in net.ok("mingda", "transfers")["offered"]]
    assert "voucher.reserved" in net.refused("mingda", "split", passed, "--amounts", "1,399999")
    net.trust("xinhe")  # transfer-sign proves the offered voucher first
    moved = net.ok("xinhe", "transfer-sign", tid, "--yes")
    xinhe_part = subject(moved, "voucher.transferred")
    signed = {t["id"]: t for t in net.ok("xinhe", "transfers", "--status", "signed")["to_me"]}
    assert signed[tid]["moved"] == xinhe_part
    assert tid not in [t["id"] for t in net.ok("xinhe", "transfers")["to_me"]]
    # Mingda offers the part it kept: Xinhe refuses it; offered again, Mingda withdraws it.
    refused = net.ok("mingda", "transfer", kept, "--to", a["xinhe"], "--amount", "600000",
                     "--contract-ref", "ZR-LIFE-2")["transfer"]["id"]
    net.ok("xinhe", "transfer-refuse", refused, "--reason", "no such delivery")
    withdrawn = net.ok("mingda", "transfer", kept, "--to", a["xinhe"], "--amount", "600000",
                       "--contract-ref", "ZR-LIFE-2")["transfer"]["id"]
    net.ok("mingda", "transfer-withdraw", withdrawn)
    decided = {t["id"]: t for t in net.ok("mingda", "transfers", "--all")["offered"]}
    assert (decided[refused]["status"], decided[refused]["reason"]) == (
        "refused", "no such delivery")
    assert decided[withdrawn]["status"] == "withdrawn"

    # B pledges its part to the bank: B drafts, B and the bank sign, anyone submits.
    draft = tmp / "pledge.json"
    net.ok("xinhe", "pledge", xinhe_part, "--bank", a["bank"], "--secured", "300000",
           "--loan", "250000", "--rate", "4.35", "--loan-due", "2027-06-30",
           "--loan-ref", "LOAN-LIFE-1", "--out", str(draft))
    net.trust("bank")  # the bank proves the voucher before it signs
    pledge_id = subject(net.cosigned(draft, "xinhe", "bank"), "pledge.registered")
    # A second pledge of the same claim, to another bank, is refused (重复质押).
    bank2 = tmp / "bank2.json"
    bank2_address = net.ok(None, "keygen", "--out", str(bank2))["address"]
    admit = tmp / "admit.json"
    net.ok("agency", "admit", bank2_address, "--name", "Second Bank", "--role", "bank",
           "--out", str(admit), *identity_args(3))
    net.cosigned(admit, "agency", str(bank2))
    again = tmp / "pledge-again.json"
    net.ok("xinhe", "pledge", xinhe_part, "--bank", bank2_address, "--secured", "100000",
           "--loan", "90000", "--rate", "5", "--loan-due", "2027-06-30",
           "--loan-ref", "LOAN-OTHER", "--out", str(again))
    net.ok("xinhe", "sign", str(again), "--yes")
    net.trust(str(bank2))
    net.ok(str(bank2), "sign", str(again), "--yes")
    assert "voucher.pledged" in net.refused("agency", "submit", str(again))
    # Nor does B transfer the pledged claim without the bank.
    assert "voucher.pledged" in net.refused(
        "xinhe", "transfer", xinhe_part, "--to", a["mingda"], "--amount", "1",
        "--contract-ref", "ZR-LIFE-3")
    (registered,) = net.ok("agency", "pledges", "--voucher", xinhe_part)["pledges"]
    assert (registered["bank"], registered["status"]) == (a["bank"], "active")
    net.ok("bank", "release", pledge_id)
    assert net.ok("agency", "pledges", "--voucher", xinhe_part)["pledges"][0]["status"] \
        == "released"

    # B pays the merchant ¥150,000 of it: B drafts and signs, the merchant accepts.
    pay = tmp / "pay.json"
    net.ok("xinhe", "pay", xinhe_part, "--merchant", a["merchant"], "--amount", "150000",
           "--order", "ORDER-LIFE-1", "--out", str(pay))
    net.ok("xinhe", "sign", str(pay), "--yes")
    assert "wallet.not_the_merchant" in net.refused("bank", "accept", str(pay), "--yes")
    net.trust("merchant")  # the merchant proves the voucher paid with before it accepts
    paid = net.ok("merchant", "accept", str(pay), "--yes")
    assert paid["status"] == "committed"
    merchant_part = subject(paid, "voucher.transferred")
    xinhe_rest = subject(paid, "voucher.remainder")

    # The core enterprise lists consumption it settles with, up to ¥100,000 in all, and a
    # flat by its title certificate number, which it cannot offer twice.
    offer = subject(net.ok("core", "offer", "publish", "--kind", "consumption",
                           "--description", "华远建材商城 building materials",
                           "--price", "100000", "--cap", "100000"), "offer.published")
    title = ("--title", "钦房权证字第2026000207号")
    net.ok("core", "offer", "publish", "--kind", "asset", "--description", "华远花园 3-1201",
           "--price", "1180000", *title)
    assert "redemption.title_in_use" in net.refused(
        "core", "offer", "publish", "--kind", "asset", "--description", "the same flat",
        "--price", "1", *title)
    assert offer in [o["id"] for o in net.ok("agency", "offers", "--debtor", a["core"])["offers"]]
    request = net.ok("merchant", "redeem", merchant_part, "--offer", offer)["id"]
    accepted = net.ok("core", "redemption", "accept", request, "--yes")
    merchant_rest = subject(accepted, "voucher.remainder")
    (asked,) = [r for r in net.ok("agency", "redemptions", "--holder", a["merchant"])["redemptions"]
                if r["id"] == request]
    assert (asked["status"], asked["reduced_fen"], asked["remainder"]) == (
        "accepted", 10_000_000, merchant_rest)
    # The merchant's ¥100,000 used up the offer's cap: it is redeemed.
    (used,) = [o for o in net.ok("agency", "offers", "--debtor", a["core"])["offers"]
               if o["id"] == offer]
    assert (used["status"], used["stock"]["used_fen"]) == ("redeemed", 10_000_000)
    # The remainder keeps circulating: the merchant passes it on to Mingda, both signing
    # one draft (Mingda proves the voucher before it signs).
    onward_draft = tmp / "onward.json"
    net.ok("merchant", "transfer", merchant_rest, "--to", a["mingda"], "--amount", "50000",
           "--contract-ref", "ZR-LIFE-4", "--cosigned", "--out", str(onward_draft))
    net.trust("mingda")
    onward = net.cosigned(onward_draft, "merchant", "mingda")
    mingda_rest = subject(onward, "voucher.transferred")
    line = net.ok("agency", "lineage", mingda_rest)
    assert line["ancestors"][0]["id"] == extending
    assert [v["id"] for v in line["ancestors"]][-3:] == [xinhe_part, merchant_part,
                                                         merchant_rest]

    # The debtor was told of the transfer to B.
    seen = net.ok("core", "events", "--limit", "1000")["events"]
    assert any(e["kind"] == "voucher.transferred" and e["subject"] == xinhe_part for e in seen)

    # Amounts are conserved: the live parts add up to face minus what was redeemed.
    parts = live_parts(net, extending)
    assert set(parts) == {kept, xinhe_rest, mingda_rest}
    assert sum(p["amount_fen"] for p in parts.values()) == 100_000_000 - 10_000_000

    # The due dates pass by ledger time (empty blocks keep it moving).
    deadline = time.monotonic() + 60
    while net.ledger_ms() <= due_extending_ms:
        assert time.monotonic() < deadline, "ledger time did not pass the due date"
        time.sleep(0.5)
    extended = {v["id"]: v for v in
                net.ok("agency", "extended", "--debtor", a["core"])["vouchers"]}
    for part in parts:
        assert extended[part]["due_ms"] == due_extending_ms + DAY_MS
        assert extended[part]["extensions_used"] == 1
    overdue_now = {v["id"]: v for v in
                   net.ok("agency", "overdue", "--debtor", a["core"])["vouchers"]}
    assert overdue_now[overdue]["overdue_since_ms"] > due_overdue_ms
    assert not set(parts) & set(overdue_now)
    record = net.ok("agency", "record", a["core"])
    assert record["overdue_vouchers"] == record_before["overdue_vouchers"] + 1 >= 1
    assert record["extended_vouchers"] == record_before["extended_vouchers"] + 1 >= 1
    assert record["vouchers_issued"] == record_before["vouchers_issued"] + 2

    setoff_round(net)


def setoff_round(net: Devnet) -> None:
    """Mingda owes Xinhe and Xinhe owes the core, which owes Mingda through vouchers: the
    agency proposes the plan, every member concerned consents from its own key store, and
    each debt goes down by exactly its leg."""
    a = net.a
    handle_of = {address: handle for handle, address in a.items()}
    owed: dict[str, tuple[str, int]] = {}
    for debtor, creditor, amount in (("mingda", "xinhe", "200000"), ("xinhe", "core", "150000")):
        submitted = net.ok(creditor, "obligation", "submit", "--debtor", a[debtor],
                           "--amount", amount, "--due", "2027-03-31",
                           "--basis-ref", f"PO-LIFE-{debtor}", "--basis-sha256",
                           hashlib.sha256(f"{debtor}-{creditor}".encode()).hexdigest())
        obligation = subject(submitted, "obligation.submitted")
        net.ok(debtor, "obligation", "confirm", obligation, "--yes")
        owed[obligation] = (creditor, int(amount) * 100)
    proposed = net.ok("agency", "setoff", "propose", "--hours", "1")["proposed"]
    assert proposed, "the plan proposes the loop"
    for p in proposed:
        assert p["status"] == "committed"
        for member in p["members"]:
            net.ok(handle_of[member], "setoff", "consent", p["id"], "--yes")
    legs: dict[str, dict] = {}
    for p in proposed:
        result = net.ok("agency", "setoff", "round", p["id"])
        assert result["status"] == "executed", result
        assert result["cleared_fen"] == sum(leg["amount_fen"] for leg in result["legs"]) > 0
        legs.update({leg["id"]: leg for leg in result["legs"]})
    for obligation, (creditor, before_fen) in owed.items():
        assert obligation in legs, "both uploaded obligations are in the loop"
        listed = {o["id"]: o for o in net.ok(  # the creditor reads its own
            creditor, "obligations", "--creditor", a[creditor])["obligations"]}
        assert listed[obligation]["amount_fen"] == before_fen - legs[obligation]["amount_fen"]
        assert listed[obligation]["setoff_fen"] == legs[obligation]["amount_fen"]
    vouchers = [leg for leg in legs.values() if leg["kind"] == "voucher"]
    assert any(leg["debtor"] == a["core"] and leg["creditor"] == a["mingda"]
               for leg in vouchers), "a voucher of the core held by Mingda closes the loop"
    for leg in vouchers:  # each voucher state set off was replaced by its remainder
        assert net.ok("agency", "lineage", leg["id"])["voucher"]["status"] in (
            "consumed", "cancelled")


# ------------------------------------------------------------------ no node needed


def test_dates_are_days_in_china_time_or_exact_times_with_an_offset() -> None:
    day_end = parse_due("2026-11-24")
    assert day_end == parse_due("2026-11-25T00:00:00+08:00") == 1_795_536_000_000
    assert parse_due("2026-11-24T20:00:05+08:00") == day_end - (4 * 3600 - 5) * 1000
    assert parse_due("2026-11-24T12:00:05Z") == parse_due("2026-11-24T20:00:05+08:00")
    assert parse_due("2026-11-24T20:00:05.250+08:00") % 1000 == 250
    assert show_due(day_end) == "2026-11-24"
    assert show_due(parse_due("2026-11-24T20:00:05+08:00")) == "2026-11-24 20:00:05"
    for bad in ("2026-11-24T20:00:05", "24/11/2026", "tomorrow", ""):
        with pytest.raises(LedgerError) as e:
            parse_due(bad)
        assert e.value.code == "wallet.bad_date"


def test_split_amounts_are_yuan_separated_by_commas() -> None:
    assert parse_amounts("600000,400000.50") == (60_000_000, 40_000_050)
    for bad in ("600,000.00,400,000.00", "1,,2", "1;2"):
        with pytest.raises(LedgerError) as e:
            parse_amounts(bad)
        assert e.value.code == "wallet.bad_amount"


@pytest.fixture
def members(tmp_path: Path) -> dict[str, tuple[KeyPair, Path]]:
    found = {}
    for name in ("payer", "merchant", "other"):
        key = KeyPair.generate()
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(seal(key, "pw", name)))
        found[name] = (key, path)
    return found


def draft(path: Path, contract: str, operation: str, body: object) -> Path:
    tx = make_transaction(default_registry(), "claimledger-test", contract, operation, body,
                          100, 1)
    Wallet(UNUSED_NODE, None, False).write_draft(path, tx)
    return path


def accept(key_file: Path, draft_file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--node", UNUSED_NODE, "--key", str(key_file),
                                       "accept", str(draft_file), "--yes"],
                                env={"CLAIMLEDGER_PASSPHRASE": "pw"})
    return result.exit_code, result.stderr


def test_accept_refuses_a_key_that_is_not_the_named_merchant(
        members: dict[str, tuple[KeyPair, Path]], tmp_path: Path) -> None:
    payer, merchant, other = (members[n][0].address for n in ("payer", "merchant", "other"))
    file = draft(tmp_path / "pay.json", "payment", "pay",
                 payment.Pay(payer, b"\x07" * 32, merchant, 15_000_000, "ORDER-1", None))
    # The file's readable summary is not what counts: the transaction's bytes are.
    document = json.loads(file.read_text())
    document["summary"]["body"]["merchant"] = other.hex()
    file.write_text(json.dumps(document))
    for name in ("other", "payer"):
        code, err = accept(members[name][1], file)
        assert code == 1 and "wallet.not_the_merchant" in err
    assert json.loads(file.read_text())["signed_by"] == []


def test_accept_refuses_a_draft_that_is_not_a_payment(
        members: dict[str, tuple[KeyPair, Path]], tmp_path: Path) -> None:
    payer, merchant = members["payer"][0].address, members["merchant"][0].address
    file = draft(tmp_path / "transfer.json", "transfer", "transfer",
                 transfer.Transfer(payer, b"\x07" * 32, merchant, 15_000_000, None, "TC-1"))
    code, err = accept(members["merchant"][1], file)
    assert code == 1 and "wallet.not_a_payment" in err
    (tmp_path / "junk.json").write_text('{"format": "something else"}')
    code, err = accept(members["merchant"][1], tmp_path / "junk.json")
    assert code == 1 and "wallet.bad_draft" in err
