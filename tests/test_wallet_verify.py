"""`claimledger-wallet verify` and the checks `accept` and `sign` make before signing,
against a real node process: vouchers proven live, pledged and reserved against headers
the wallet verified from the genesis block id it was given; a merchant refusing a voucher
proven spent; answers tampered with on the way refused with their proof.* code and exit
status 3, with nothing signed; the trust file advancing over new headers only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contracts.identity import KeyPair
from contracts.keystore import seal
from tests.identities import identity_args
from tests.nodeproc import (
    NODE_BIN,
    PASSPHRASE,
    Network,
    get,
    make_network,
    member_key_files,
    running,
)
from tests.test_wallet_e2e import ROOT, ok, wallet
from wallet.cli import EXIT_PROOF_FAILED
from wallet.client import DRAFT_HEADER

pytestmark = pytest.mark.process


@dataclass
class Net:
    net: Network
    api: str
    keys: dict[str, Path]
    a: dict[str, str]  # addresses by name
    genesis_id: str
    tmp: Path
    issued: int = 0

    def ok(self, who: str, *args: str, api: str | None = None) -> dict:
        return ok(wallet(api or self.api, self.keys[who], *args))

    def run(self, who: str, *args: str, api: str | None = None
            ) -> subprocess.CompletedProcess:
        return wallet(api or self.api, self.keys[who], *args)

    def issue(self, amount: str) -> str:
        """A voucher of the core enterprise held by the supplier, on a basis of its own."""
        self.issued += 1
        applied = self.ok("supplier", "apply", "--debtor", self.a["core"], "--amount", amount,
                          "--due", "2099-06-30", "--asset", "--consumption",
                          "--basis-ref", f"HT-VERIFY-{self.issued}",
                          "--basis-sha256", f"{self.issued:064x}")
        self.ok("core", "confirm", applied["id"], "--yes")
        approved = self.ok("agency", "approve", applied["id"], "--yes")
        return next(e["subject"] for e in approved["events"] if e["kind"] == "voucher.issued")

    def payment(self, voucher: str, amount: str, order: str) -> Path:
        """A payment of `amount` yuan of `voucher` to the merchant, drafted and signed by
        the supplier: what the merchant's accept takes."""
        draft = self.tmp / f"pay-{order}.json"
        self.ok("supplier", "pay", voucher, "--merchant", self.a["merchant"], "--amount",
                amount, "--order", order, "--out", str(draft))
        self.ok("supplier", "sign", str(draft), "--yes")
        return draft


def admit(n: Net, name: str, role: str) -> None:
    key = KeyPair.generate()
    n.keys[name] = n.tmp / f"{name}.json"
    n.keys[name].write_text(json.dumps(seal(key, PASSPHRASE, name)))
    n.keys[name].chmod(0o600)
    n.a[name] = key.address.hex()
    draft = n.tmp / f"admit-{name}.json"
    n.ok("agency", "admit", n.a[name], "--name", name, "--role", role, "--out", str(draft),
         *identity_args(len(n.a)))
    n.ok("agency", "sign", str(draft), "--yes")
    n.ok(name, "sign", str(draft), "--yes")
    assert n.ok("agency", "submit", str(draft))["status"] == "committed"


@contextmanager
def wallet_network(tmp: Path, roles: dict[str, str], trusting: tuple[str, ...]
                   ) -> Iterator[Net]:
    """A one-node network running with its members' key files: `roles` (name -> role)
    admitted through the wallet, and `trusting` members' wallets trusting the genesis
    block id, read from their own copy of the network (to prove before they sign)."""
    net = make_network(tmp / "net")
    keys = member_key_files(net, tmp)
    made = subprocess.run([str(NODE_BIN), "genesis-id", "--network", str(net.network_file)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    with running(net):
        n = Net(net, net.api, keys, {k: v.address.hex() for k, v in net.members.items()},
                made.stdout.strip(), tmp)
        for name, role in roles.items():
            admit(n, name, role)
        for name in trusting:
            n.ok(name, "trust", n.genesis_id)
        yield n


@pytest.fixture(scope="module")
def n(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    with wallet_network(tmp_path_factory.mktemp("verify"), {"merchant": "merchant",
                                                            "bank": "bank"},
                        ("supplier", "merchant", "bank")) as n:
        yield n


# ------------------------------------------------------------------ a tampering proxy


def tampering_proxy(target: str, tamper: Callable[[str, dict], None]
                    ) -> tuple[ThreadingHTTPServer, str]:
    """An HTTP proxy on 127.0.0.1 to the node at `target` that lets `tamper(path, answer)`
    change each JSON answer of 200 on the way back."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            """Quiet: the test reads the answers, not the server's log lines."""

        def do_GET(self) -> None:
            self.forward()

        def do_POST(self) -> None:
            self.forward()

        def forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "content-length", "connection")}
            request = urllib.request.Request(target + self.path, data=body, headers=headers,
                                             method=self.command)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status, data = response.status, response.read()
            except urllib.error.HTTPError as e:
                status, data = e.code, e.read()
            if status == 200:
                answer = json.loads(data)
                tamper(self.path, answer)
                data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def flip_last(text: str) -> str:
    """The hex `text` with its last digit changed."""
    return text[:-1] + ("0" if text[-1] != "0" else "1")


def flip_proofs(path: str, answer: dict) -> None:
    if path.startswith("/v1/proofs/"):
        answer["proof"] = flip_last(answer["proof"])


def flip_headers(path: str, answer: dict) -> None:
    if path.startswith("/v1/headers?"):
        for view in answer["headers"]:
            view["header_bytes"] = flip_last(view["header_bytes"])


def trust_height(n: Net, who: str) -> int:
    return json.loads((n.tmp / f"{who}.light.json").read_text())["height"]


# ------------------------------------------------------------------ tests


def test_the_genesis_block_id_read_from_genesis_is_the_one_the_node_started(n: Net) -> None:
    status = ok(wallet(n.api, None, "status"))
    assert status["genesis_id"] == n.genesis_id
    # Another network's id is refused at once: the node's genesis header is not it.
    other = n.run("core", "trust", "ab" * 32, "--trust-file", str(n.tmp / "other.json"))
    assert other.returncode == EXIT_PROOF_FAILED
    assert "proof.wrong_chain" in other.stderr and "Traceback" not in other.stderr


def test_verify_proves_a_live_voucher_and_the_trust_file_advances_over_new_headers_only(
        n: Net) -> None:
    before = trust_height(n, "supplier")
    voucher = n.issue("1000.00")  # three blocks at least
    first = n.ok("supplier", "verify", voucher)
    assert (first["status"], first["holder"], first["amount_fen"], first["debtor"]) == (
        "active", n.a["supplier"], 100_000, n.a["core"])
    assert first["pledge"] is None and first["reservation"] is None
    assert first["debtor_record"]["present"] and first["debtor_record"]["outstanding_fen"] > 0
    assert first["height"] >= before + 3
    assert first["headers_checked"] == first["height"] - before  # only the new ones
    assert trust_height(n, "supplier") == first["height"]
    block = get(n.api, f"/v1/blocks/{first['height']}").json()
    assert block["id"] == first["block_id"]
    assert block["header"]["state_root"] == first["state_root"]
    again = n.ok("supplier", "verify", voucher)
    assert again["headers_checked"] == again["height"] - first["height"]

    human = subprocess.run(
        [sys.executable, "-m", "wallet.cli", "--node", n.api, "--key", str(n.keys["supplier"]),
         "verify", voucher], capture_output=True, text=True, timeout=90, cwd=ROOT,
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE})
    assert human.returncode == 0, human.stderr
    assert f"voucher {voucher} proven at height" in human.stdout
    assert "status    active" in human.stdout and n.a["supplier"] in human.stdout

    # A voucher state that does not exist is reported so, proven absent.
    absent = n.ok("supplier", "verify", "77" * 32)
    assert absent["status"] == "absent" and absent["holder"] is None


def test_verify_proves_a_pledge_signed_by_a_bank_that_verified_the_voucher(n: Net) -> None:
    voucher = n.issue("500.00")
    draft = n.tmp / "pledge.json"
    n.ok("supplier", "pledge", voucher, "--bank", n.a["bank"], "--secured", "400",
         "--loan", "350", "--rate", "4.35", "--loan-due", "2099-01-31",
         "--loan-ref", "LOAN-V-1", "--out", str(draft))
    # The node shows the bank the voucher once its holder has signed the draft.
    early = n.run("bank", "sign", str(draft), "--yes")
    assert early.returncode == 1 and "wallet.holder_signs_first" in early.stderr
    n.ok("supplier", "sign", str(draft), "--yes")
    signed = n.run("bank", "--json", "sign", str(draft), "--yes")
    assert signed.returncode == 0, signed.stderr
    assert "verified at height" in signed.stderr and "against block" in signed.stderr
    view = n.ok("bank", "submit", str(draft))
    pledge = next(e["subject"] for e in view["events"] if e["kind"] == "pledge.registered")
    proven = n.ok("supplier", "verify", voucher)
    assert proven["pledge"]["id"] == pledge and proven["pledge"]["present"]
    assert (proven["pledge"]["status"], proven["pledge"]["bank"],
            proven["pledge"]["secured_fen"]) == ("active", n.a["bank"], 40_000)


def test_verify_proves_the_redemption_request_a_voucher_is_reserved_by(n: Net) -> None:
    voucher = n.issue("300.00")
    offer = next(e["subject"] for e in n.ok(
        "core", "offer", "publish", "--kind", "consumption", "--description", "steel",
        "--price", "100")["events"] if e["kind"] == "offer.published")
    request = n.ok("supplier", "redeem", voucher, "--offer", offer)["id"]
    proven = n.ok("supplier", "verify", voucher)
    assert proven["reservation"]["id"] == request
    assert (proven["reservation"]["status"], proven["reservation"]["price_fen"]) == (
        "requested", 10_000)
    # A merchant is not asked to accept a reserved claim: the ledger would refuse it.
    pay = n.payment(voucher, "10", "O-R")
    refused = n.run("merchant", "accept", str(pay), "--yes")
    assert refused.returncode == 1 and "wallet.voucher_reserved" in refused.stderr


def test_a_merchant_refuses_a_voucher_proven_spent_after_the_payment_was_drafted(
        n: Net) -> None:
    voucher = n.issue("200.00")
    pay = n.payment(voucher, "150", "O-1")
    # The payer moves the claim on before the merchant accepts: the draft's state is spent.
    n.ok("supplier", "split", voucher, "--amounts", "100,100")
    refused = n.run("merchant", "accept", str(pay), "--yes")
    assert refused.returncode == 1, refused.stderr
    assert "wallet.voucher_spent" in refused.stderr and "proven at height" in refused.stderr
    assert json.loads(pay.read_text())["signed_by"] == [n.a["supplier"]]  # not signed
    # Only by saying so does the merchant sign unverified; the ledger then refuses it.
    unverified = n.run("merchant", "accept", str(pay), "--yes", "--no-verify")
    assert "NOT verified" in unverified.stderr
    assert "voucher.consumed" in unverified.stderr


def test_a_merchant_accepts_a_live_voucher_after_proving_it(n: Net) -> None:
    voucher = n.issue("200.00")
    pay = n.payment(voucher, "150", "O-2")
    accepted = n.run("merchant", "accept", str(pay), "--yes")
    assert accepted.returncode == 0, accepted.stderr
    assert f"voucher {voucher} verified at height" in accepted.stderr
    assert json.loads(accepted.stdout)["status"] == "committed"
    # A payment of more than the voucher holds is refused before signing.
    small = n.issue("20.00")
    over = n.payment(small, "30", "O-3")
    refused = n.run("merchant", "accept", str(over), "--yes")
    assert refused.returncode == 1 and "wallet.voucher_short" in refused.stderr
    assert json.loads(over.read_text())["signed_by"] == [n.a["supplier"]]


def test_a_tampered_proof_gives_its_code_and_no_signature(n: Net) -> None:
    voucher = n.issue("100.00")
    pay = n.payment(voucher, "50", "O-T")
    server, proxy = tampering_proxy(n.api, flip_proofs)
    try:
        refused = n.run("merchant", "accept", str(pay), "--yes", api=proxy)
        assert refused.returncode == EXIT_PROOF_FAILED, refused.stderr
        assert "error: proof.bad_proof:" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert json.loads(pay.read_text())["signed_by"] == [n.a["supplier"]]
        verify = n.run("supplier", "verify", voucher, api=proxy)
        assert verify.returncode == EXIT_PROOF_FAILED and "proof.bad_proof" in verify.stderr
    finally:
        server.shutdown()
    # Through the node itself the same voucher verifies.
    assert n.ok("supplier", "verify", voucher)["status"] == "active"


def test_a_tampered_header_gives_its_code_and_the_trust_file_keeps_what_verified(
        n: Net) -> None:
    fresh = n.tmp / "fresh.light.json"
    server, proxy = tampering_proxy(n.api, flip_headers)
    try:
        refused = n.run("supplier", "trust", n.genesis_id, "--trust-file", str(fresh),
                        api=proxy)
        assert refused.returncode == EXIT_PROOF_FAILED, refused.stderr
        assert "error: proof." in refused.stderr and "Traceback" not in refused.stderr
    finally:
        server.shutdown()
    assert json.loads(fresh.read_text())["height"] == 0  # the genesis, and nothing forged
    followed = n.ok("supplier", "trust", n.genesis_id, "--trust-file", str(fresh))
    assert followed["height"] >= 1 and followed["headers_checked"] == followed["height"]


def test_a_trust_file_that_does_not_decode_is_refused(n: Net) -> None:
    broken = n.tmp / "broken.light.json"
    broken.write_text('{"format": "claimledger-light/1", "header": "zz"}')
    refused = n.run("supplier", "verify", "77" * 32, "--trust-file", str(broken))
    assert refused.returncode == 1 and "wallet.bad_trust_file" in refused.stderr
    missing = n.run("supplier", "verify", "77" * 32, "--trust-file", str(n.tmp / "none.json"))
    assert missing.returncode == 1 and "wallet.no_trust" in missing.stderr
    assert "claimledger-node genesis-id" in missing.stderr


def test_the_draft_header_is_the_one_the_node_reads() -> None:
    from node.http.reads import DRAFT_HEADER as NODE_DRAFT_HEADER
    assert DRAFT_HEADER == NODE_DRAFT_HEADER


# ------------------------------------------------------------------ member identity and keys


def test_a_member_rotates_its_key_through_the_wallet_and_keeps_its_address(n: Net) -> None:
    admit(n, "rotator", "enterprise")
    address = n.a["rotator"]
    shown = n.ok("rotator", "member", "show", address)
    assert shown["identity"]["person_type"] == "legal_person"
    assert shown["identity"]["contacts"]  # its own personal data, shown to itself
    seen_by_other = n.ok("supplier", "member", address)
    assert seen_by_other["identity"]["contacts"] == "" and "contacts" in seen_by_other["withheld"]
    old = n.keys["rotator"]
    new = n.tmp / "rotator-new.json"
    rotated = n.ok("rotator", "member", "rotate-key", "--new-key-out", str(new), "--yes")
    assert rotated["status"] == "committed" and rotated["address"] == address
    refused = n.run("rotator", "member", address)  # the old key store
    assert refused.returncode == 1 and "auth.key_rotated" in refused.stderr
    n.keys["rotator"] = new
    assert n.ok("rotator", "address")["address"] == address
    assert n.ok("rotator", "member", address)["key"] == rotated["key"] != address
    assert old.exists()


def test_the_agency_recovers_a_lost_key_on_a_reviewed_request_through_the_wallet(
        n: Net) -> None:
    admit(n, "forgetful", "enterprise")
    address = n.a["forgetful"]
    new = n.tmp / "forgetful-new.json"
    made = ok(wallet(n.api, None, "keygen", "--out", str(new), "--member", address))
    assert made["address"] == address and made["key"] != address
    request = n.tmp / "key-request.txt"
    request.write_text("Forgetful Ltd asks for a new key: the old one was on a stolen laptop.")
    draft = n.tmp / "recover.json"
    n.ok("agency", "member", "recover-key", address, "--new-key", made["key"],
         "--review-file", str(request), "--reason", "key lost with a laptop",
         "--out", str(draft))
    n.keys["forgetful-new"] = new
    n.ok("forgetful-new", "sign", str(draft), "--yes")  # the new key proves its holder
    n.ok("agency", "sign", str(draft), "--yes")
    assert n.ok("agency", "submit", str(draft))["status"] == "committed"
    lost = n.run("forgetful", "member", address)
    assert lost.returncode == 1 and "auth.key_rotated" in lost.stderr
    shown = n.ok("forgetful-new", "member", address)
    assert shown["key"] == made["key"] and len(shown["review"]["documents"]) == 1
    assert shown["review"]["reason"] == "key lost with a laptop"


# ------------------------------------------------------------------ ids and names as typed


def test_ids_and_names_as_people_type_them_and_a_pending_submission_exits_4(n: Net) -> None:
    """wallet/resolve.py against a real node (GET /v1/ids/{kind}), and wallet/exits.py."""
    voucher = n.issue("1000.00")
    for text in (voucher[:10], f"{voucher[:8]}…{voucher[-4:]}", voucher):
        shown = n.ok("supplier", "lineage", text)
        assert shown["voucher"]["id"] == voucher
    # A member who may not read the voucher learns nothing of it from a prefix.
    hidden = n.run("merchant", "lineage", voucher[:10])
    assert hidden.returncode == 1
    assert json.loads(hidden.stdout)["error"]["code"] == "wallet.unknown_id"
    short = n.run("supplier", "lineage", voucher[:7])
    assert short.returncode == 1
    assert json.loads(short.stdout)["error"]["code"] == "wallet.short_id"
    # Members by name (either case) and by a prefix of their address.
    assert n.ok("supplier", "record", "CORE")["debtor"] == n.a["core"]
    assert n.ok("supplier", "record", n.a["core"][:8])["debtor"] == n.a["core"]
    # Submitted, not committed within a wait of 0 s: exit 4 with the id to check later.
    pending = n.run("supplier", "--wait", "0", "split", voucher[:12], "--amounts", "400,600")
    assert pending.returncode == 4, pending.stderr
    error = json.loads(pending.stdout)["error"]
    assert error["code"] == "wallet.pending" and "tx show" in error["check"]
    for _ in range(100):
        view = n.ok("supplier", "tx", "show", error["id"])
        if view["status"] == "committed":
            break
        time.sleep(0.1)
    assert view["status"] == "committed"


# ------------------------------------------------------------------ an answer's records proven


def lie_about_applications(path: str, answer: dict) -> None:
    """The node says another amount for every application than the ledger holds."""
    if path.startswith("/v1/applications/"):
        answer["terms"]["amount_fen"] = 1


def test_a_debtor_confirms_the_terms_the_ledger_holds_not_the_nodes_word(n: Net) -> None:
    n.ok("core", "trust", n.genesis_id)  # the debtor keeps a light client from now on
    applied = n.ok("supplier", "apply", "--debtor", n.a["core"], "--amount", "4321.00",
                   "--due", "2099-06-30", "--asset", "--basis-ref", "HT-PROVEN-1",
                   "--basis-sha256", "ef" * 32)
    server, proxy = tampering_proxy(n.api, lie_about_applications)
    try:
        confirmed = n.run("core", "confirm", applied["id"], "--yes", api=proxy)
        assert confirmed.returncode == 0, confirmed.stderr
        assert "¥4,321.00 (432,100 fen)" in confirmed.stderr  # the proven terms
        assert "¥0.01" not in confirmed.stderr
        assert "Proven at height " in confirmed.stderr and "the application." in \
            confirmed.stderr
        assert "node's word" not in confirmed.stderr
    finally:
        server.shutdown()


def test_a_tampered_proof_of_an_application_signs_nothing(n: Net) -> None:
    applied = n.ok("supplier", "apply", "--debtor", n.a["core"], "--amount", "1234.00",
                   "--due", "2099-06-30", "--asset", "--basis-ref", "HT-PROVEN-2",
                   "--basis-sha256", "ee" * 32)
    n.ok("core", "trust", n.genesis_id)
    server, proxy = tampering_proxy(n.api, flip_proofs)
    try:
        refused = n.run("core", "confirm", applied["id"], "--yes", api=proxy)
        assert refused.returncode == EXIT_PROOF_FAILED, refused.stderr
        assert "error: proof." in refused.stderr and "Traceback" not in refused.stderr
    finally:
        server.shutdown()
    assert n.ok("supplier", "applications")  # the node is fine
    found = [a for a in n.ok("supplier", "applications")["applications"]
             if a["id"] == applied["id"]]
    assert found and found[0]["status"] == "applied"  # not confirmed
