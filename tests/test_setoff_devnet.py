"""A set-off round through `claimledger-wallet`, each member a separate process with its own
key store, against a node process: obligations uploaded and confirmed (one reduced by both
parties through a co-signed draft), the agency proposes the plan's round, the three
members consent, and the round executes: every debt is reduced by exactly its leg."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from contracts.identity import KeyPair
from contracts.keystore import seal
from tests.nodeproc import (
    PASSPHRASE,
    Network,
    get,
    issue_voucher,
    make_network,
    member_key_files,
    running,
)

ROOT = Path(__file__).resolve().parent.parent


class Members:
    """The wallet run by one member or another, one process per command."""

    def __init__(self, net: Network, keys: dict[str, Path]) -> None:
        self.api = net.api
        self.keys = keys
        self.a = {name: key.address.hex() for name, key in net.members.items()}

    def run(self, who: str | None, *args: str, as_json: bool = True
            ) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "wallet.cli", "--node", self.api]
        command += ["--json"] if as_json else []
        command += [] if who is None else ["--key", str(self.keys[who])]
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=90, cwd=ROOT,
            env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
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


def network_with_second_supplier(root: Path) -> tuple[Network, dict[str, Path]]:
    """A one-validator network whose members are agency, core, supplier and supplier2,
    and a key store file for each."""
    net = make_network(root)
    supplier2 = KeyPair.generate()
    with net.network_file.open("a", encoding="utf-8") as f:
        f.write(f'\n[[members]]\nname = "supplier2"\nroles = ["enterprise"]\n'
                f'address = "{supplier2.address.hex()}"\n')
    net.members["supplier2"] = supplier2
    return net, member_key_files(net, root)


def event(view: dict, kind: str) -> str:
    (found,) = [e["subject"] for e in view["events"] if e["kind"] == kind]
    return found


@pytest.mark.process
def test_members_clear_a_loop_of_debts_through_the_wallet(tmp_path: Path) -> None:
    net, keys = network_with_second_supplier(tmp_path / "net")
    m = Members(net, keys)
    a = m.a
    basis = tmp_path / "invoice.pdf"
    basis.write_bytes(b"cement delivery note 2026-11")
    with running(net):
        # The loop: core owes supplier ¥10,000 through a voucher; supplier owes supplier2
        # ¥4,000 and supplier2 owes core ¥3,000 through obligations they upload.
        _, voucher = issue_voucher(net)
        owed_to_2 = m.ok("supplier2", "obligation", "submit", "--debtor", a["supplier"],
                         "--amount", "4000", "--due", "2099-03-31", "--basis-ref", "INV-77",
                         "--basis-file", str(basis))["id"]
        owed_to_core = m.ok("core", "obligation", "submit", "--debtor", a["supplier2"],
                            "--amount", "3,000.00", "--due", "2099-03-31", "--basis-ref",
                            "RENT-2026-Q4", "--basis-sha256", "ab" * 32)["id"]
        # Only its debtor confirms an obligation.
        assert "obligation.not_debtor" in m.refused("core", "obligation", "confirm", owed_to_2,
                                                    "--yes")
        m.ok("supplier", "obligation", "confirm", owed_to_2, "--yes")
        m.ok("supplier2", "obligation", "confirm", owed_to_core, "--yes")

        # Both parties reduce the first obligation by ¥500: drafted, each signs, submitted.
        assert "wallet.needs_cosigners" in m.refused(
            "supplier2", "obligation", "reduce", owed_to_2, "--by", "500", "--reason", "returns")
        draft = tmp_path / "reduce.json"
        m.ok("supplier2", "obligation", "reduce", owed_to_2, "--by", "500", "--reason",
             "returned bags", "--out", str(draft))
        m.ok("supplier2", "sign", str(draft), "--yes")
        m.ok("supplier", "sign", str(draft), "--yes")
        assert m.ok("agency", "submit", str(draft))["status"] == "committed"
        mine = m.ok("supplier", "obligations")
        assert [(o["id"], o["amount_fen"], o["status"]) for o in
                mine["as_debtor"]["obligations"]] == [(owed_to_2, 350_000, "confirmed")]
        assert mine["as_creditor"]["obligations"] == []

        # The plan: one round of three members clearing ¥3,000 on each leg.
        plan = m.ok("agency", "setoff", "plan")
        (planned,) = plan["rounds"]
        assert sorted(planned["members"]) == sorted([a["core"], a["supplier"], a["supplier2"]])
        assert {(x["kind"], x["id"], x["amount_fen"]) for x in planned["reductions"]} == {
            ("voucher", voucher, 300_000), ("obligation", owed_to_2, 300_000),
            ("obligation", owed_to_core, 300_000)}
        assert (plan["total_fen"], plan["cleared_fen"], plan["bound_fen"]) == (
            1_650_000, 900_000, 700_000)

        proposed = m.ok("agency", "setoff", "propose", "--hours", "2")
        (round_,) = [p["id"] for p in proposed["proposed"]]
        # The agency is not a member of the round: it cannot consent to it.
        assert "setoff.not_concerned" in m.refused("agency", "setoff", "consent", round_, "--yes")
        m.ok("supplier", "setoff", "consent", round_, "--yes")
        m.ok("supplier2", "setoff", "consent", round_, "--yes")
        (waiting,) = m.ok("core", "setoff", "rounds", "--open")["rounds"]
        assert waiting["id"] == round_ and waiting["waiting_for"] == [a["core"]]
        (ask,) = waiting["asks"]
        assert ask["member"] == a["core"] and ask["cleared_of_fen"] == ask["cleared_to_fen"] \
            == 300_000
        executed = m.ok("core", "setoff", "consent", round_, "--yes")
        assert [e["kind"] for e in executed["events"]][-1] == "setoff.executed"

        shown = m.ok("agency", "setoff", "round", round_)
        assert (shown["status"], shown["waiting_for"]) == ("executed", [])
        assert (shown["cleared_fen"], shown["remaining_fen"], shown["bound_fen"],
                shown["gap_fen"]) == (900_000, 750_000, 700_000, 50_000)
        legs = {leg["id"]: leg["amount_fen"] for leg in shown["legs"]}
        human = m.run("agency", "setoff", "round", round_, as_json=False)
        assert human.returncode == 0 and "executed" in human.stdout
        assert "¥7,500.00" in human.stdout and "¥7,000.00" in human.stdout  # remaining, bound

        # Every debt went down by exactly its leg.
        by_id = {o["id"]: o for o in m.ok("agency", "obligations", "--creditor", a["supplier2"])
                 ["obligations"] + m.ok("agency", "obligations", "--creditor", a["core"])
                 ["obligations"]}
        assert (by_id[owed_to_2]["amount_fen"], by_id[owed_to_2]["setoff_fen"],
                by_id[owed_to_2]["status"]) == (350_000 - legs[owed_to_2], 300_000, "confirmed")
        assert (by_id[owed_to_core]["amount_fen"], by_id[owed_to_core]["status"]) == (
            300_000 - legs[owed_to_core], "cleared")
        (rest,) = m.ok("agency", "vouchers", "--holder", a["supplier"], "--status",
                       "active")["vouchers"]
        assert (rest["parent"], rest["amount_fen"], rest["cause"]) == (
            voucher, 1_000_000 - legs[voucher], "setoff_remainder")
        assert get(net.api, f"/v1/origins/{voucher}").json()["setoff_fen"] == legs[voucher]
        assert get(net.api, "/v1/setoff/totals").json()["cleared_fen"] == 900_000
        # Nothing is left to clear, and a round that executed takes no more consents.
        assert m.ok("agency", "setoff", "plan")["rounds"] == []
        assert "setoff.not_open" in m.refused("supplier", "setoff", "consent", round_, "--yes")

        # Bad input is refused with its code, by the node and by the wallet.
        reply = get(net.api, "/v1/setoff/plan?exclude=not-an-address")
        assert reply.status == 400 and reply.error_code() == "address.malformed"
        # "zz" is no address nor any member's name (wallet/resolve.py).
        assert "wallet.unknown_member" in m.refused("agency", "setoff", "plan", "--exclude", "zz")
        assert "wallet.bad_amount" in m.refused(
            "core", "obligation", "submit", "--debtor", a["supplier"], "--amount", "12.345",
            "--due", "2099-03-31", "--basis-ref", "X", "--basis-sha256", "ab" * 32)
        assert "wallet.one_limit" in m.refused("core", "setoff", "limit", "--max", "100",
                                               "--opt-out")


def add_member(net: Network, keys: dict[str, Path], root: Path, name: str) -> None:
    """One more genesis member with its key store file (before the network starts)."""
    key = KeyPair.generate()
    with net.network_file.open("a", encoding="utf-8") as f:
        f.write(f'\n[[members]]\nname = "{name}"\nroles = ["enterprise"]\n'
                f'address = "{key.address.hex()}"\n')
    net.members[name] = key
    keys[name] = root / f"{name}.json"
    keys[name].write_text(json.dumps(seal(key, PASSPHRASE, name)))


@pytest.mark.process
def test_a_run_clears_the_mandated_members_loop_and_a_round_asks_the_member_without(
        tmp_path: Path) -> None:
    net, keys = network_with_second_supplier(tmp_path / "net")
    add_member(net, keys, tmp_path / "net", "supplier3")
    m = Members(net, keys)
    a = m.a
    until = (date.today() + timedelta(days=200)).isoformat()

    def owe(debtor: str, creditor: str, yuan: str) -> str:
        found = m.ok(creditor, "obligation", "submit", "--debtor", a[debtor], "--amount", yuan,
                     "--due", "2099-03-31", "--basis-ref", f"INV-{debtor}-{creditor}",
                     "--basis-sha256", "cd" * 32)["id"]
        m.ok(debtor, "obligation", "confirm", found, "--yes")
        return found

    with running(net):
        # core owes supplier ¥10,000 (a voucher), supplier owes supplier2 ¥4,000, supplier2
        # owes core ¥3,000: a loop of three members who sign mandates. supplier2 owes
        # supplier3 ¥1,000 and supplier3 owes supplier ¥1,000: with ¥1,000 of supplier's debt
        # to supplier2 they close a loop through supplier3, which signs no mandate.
        _, voucher = issue_voucher(net)
        to_2 = owe("supplier", "supplier2", "4000")
        to_core = owe("supplier2", "core", "3000")
        to_3 = owe("supplier2", "supplier3", "1000")
        from_3 = owe("supplier3", "supplier", "1000")
        for who in ("core", "supplier", "supplier2"):
            m.ok(who, "setoff", "mandate", "--max", "5000", "--until", until)
        shown = m.ok("supplier", "setoff", "mandate")
        assert shown["live"] and shown["mandates"][-1]["max_fen_per_run"] == 500_000
        assert "wallet.bad_mandate" in m.refused("core", "setoff", "mandate", "--max", "1")
        assert "setoff.bad_expiry" in m.refused("core", "setoff", "mandate", "--max", "1",
                                                "--until", "2099-01-01")

        plan = m.ok("agency", "setoff", "plan")
        assert (plan["run"]["optimum_fen"], plan["run"]["planned_fen"], plan["run"]["batches"],
                plan["unmandated_fen"]) == (900_000, 900_000, 1, 300_000)
        # Rounds come after the run: proposed first, they would lock the run's debts.
        assert "wallet.run_first" in m.refused("agency", "setoff", "propose")
        human = m.run("agency", "setoff", "plan", as_json=False)
        assert human.returncode == 0 and "run: planned" in human.stdout

        ran = m.ok("agency", "setoff", "run")
        assert ran["run"]["cleared_fen"] == 900_000 and ran["run"]["status"] == "closed"
        assert [b["status"] for b in ran["batches"]] == ["committed"]
        run_id = ran["run"]["id"]
        mine = get(net.api, f"/v1/setoff/runs/{run_id}?member={a['supplier']}").json()
        assert mine["usage"]["cleared_of_fen"] == mine["usage"]["cleared_to_fen"] == 300_000
        (listed,) = get(net.api, f"/v1/setoff/runs?member={a['core']}").json()["runs"]
        assert listed["id"] == run_id
        batch = get(net.api, f"/v1/setoff/runs/{run_id}/batches/0").json()
        assert {leg["id"] for leg in batch["legs"]} == {voucher, to_2, to_core}
        owed = {o["id"]: o["amount_fen"] for who in ("supplier2", "core", "supplier3",
                                                     "supplier")
                for o in m.ok("agency", "obligations", "--creditor", a[who])["obligations"]}
        assert (owed[to_2], owed[to_core], owed[to_3], owed[from_3]) == (
            100_000, 0, 100_000, 100_000)

        # What is left needs supplier3, which has no mandate: a round it consents to.
        plan = m.ok("agency", "setoff", "plan")
        assert plan["run"]["batches"] == 0
        (planned,) = plan["rounds"]
        assert sorted(planned["members"]) == sorted([a["supplier"], a["supplier2"],
                                                     a["supplier3"]])
        (round_,) = [p["id"] for p in m.ok("agency", "setoff", "propose")["proposed"]]
        for who in ("supplier", "supplier2"):
            m.ok(who, "setoff", "consent", round_, "--yes")
        executed = m.ok("supplier3", "setoff", "consent", round_, "--yes")
        assert [e["kind"] for e in executed["events"]][-1] == "setoff.executed"
        totals = get(net.api, "/v1/setoff/totals").json()
        assert (totals["cleared_fen"], totals["run_cleared_fen"], totals["runs"]) == (
            300_000, 900_000, 1)

        # A revoked mandate keeps a member out of the next run.
        m.ok("core", "setoff", "mandate", "--revoke")
        mandates = get(net.api, f"/v1/setoff/mandates/{a['core']}").json()
        assert not mandates["live"] and mandates["mandates"][-1]["status"] == "revoked"
        human = m.run("core", "setoff", "mandate", as_json=False)
        assert human.returncode == 0 and "revoked" in human.stdout
