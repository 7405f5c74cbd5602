"""The client library a system (an ERP, a core banking system) integrates with, against a
real node: an issuance transacted sync and async, a refusal's code, a pending result,
an event stream resumed from a saved cursor, and a voucher proven against a header the
client verified from the genesis (a tampered proof refused)."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from contracts import issuance
from contracts.errors import LedgerError
from contracts.proofs import ProofError
from contracts.vouchers import Voucher
from tests.nodeproc import DAY_MS, NODE_BIN, make_network, now_ms, running, terms
from wallet.sdk import AsyncClient, Client, Committed, Pending, Refused


@dataclass
class Ledger:
    api: str
    genesis_id: bytes
    keys: dict

    def client(self, name: str, **kw) -> Client:
        return Client(self.api, signer=self.keys[name], genesis_id=self.genesis_id, **kw)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    net = make_network(tmp_path_factory.mktemp("client-library"))
    made = subprocess.run([str(NODE_BIN), "genesis-id", "--network", str(net.network_file)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    with running(net):
        yield Ledger(net.api, bytes.fromhex(made.stdout.strip()), net.members)


def application(ledger: Ledger, basis: str) -> issuance.Apply:
    return issuance.Apply(ledger.keys["supplier"].address,
                          terms(ledger.keys["core"], now_ms() + 120 * DAY_MS, basis))


def issue(ledger: Ledger, basis: str) -> str:
    """Apply as the supplier, confirm as the core enterprise, approve as the agency: the
    voucher id."""
    applied = ledger.client("supplier").transact("issuance", "apply",
                                                 application(ledger, basis))
    assert isinstance(applied, Committed)
    core = ledger.client("core")
    core.transact("issuance", "confirm",
                  issuance.Confirm(ledger.keys["core"].address, bytes.fromhex(applied.tx_id)))
    approved = ledger.client("agency").transact(
        "issuance", "approve",
        issuance.Approve(ledger.keys["agency"].address, bytes.fromhex(applied.tx_id)))
    assert isinstance(approved, Committed)
    return approved.subject("voucher.issued")


def test_an_issuance_transacted_synchronously_reads_back_with_its_lineage(ledger: Ledger
                                                                         ) -> None:
    voucher_id = issue(ledger, "ERP-SYNC-1")
    supplier = ledger.client("supplier")
    voucher = supplier.voucher(voucher_id)
    assert voucher["holder"] == ledger.keys["supplier"].address.hex()
    assert voucher["amount_fen"] == 1_000_000 and voucher["status"] == "active"
    assert voucher["lineage"] == [] or voucher["lineage"][0] != voucher_id
    held = supplier.vouchers(ledger.keys["supplier"].address.hex())["vouchers"]
    assert voucher_id in [v["id"] for v in held]
    debtor = supplier.debtor(ledger.keys["core"].address.hex())
    assert debtor["outstanding_fen"] >= 1_000_000
    core = ledger.keys["core"].address.hex()
    assert supplier.member(core)["address"] == core
    assert [m["address"] for m in supplier.members(role="agency")["members"]] == [
        ledger.keys["agency"].address.hex()]


async def test_an_issuance_transacted_asynchronously_commits_with_its_events(
        ledger: Ledger) -> None:
    keys = ledger.keys
    async with AsyncClient(ledger.api, signer=keys["supplier"]) as supplier, \
            AsyncClient(ledger.api, signer=keys["core"]) as core, \
            AsyncClient(ledger.api, signer=keys["agency"]) as agency:
        applied = await supplier.transact("issuance", "apply",
                                          application(ledger, "ERP-ASYNC-1"))
        assert isinstance(applied, Committed) and applied.height > 0
        assert applied.subject("application.submitted") == applied.tx_id
        await core.transact("issuance", "confirm", issuance.Confirm(
            keys["core"].address, bytes.fromhex(applied.tx_id)))
        approved = await agency.transact("issuance", "approve", issuance.Approve(
            keys["agency"].address, bytes.fromhex(applied.tx_id)))
        assert isinstance(approved, Committed)
        voucher = await supplier.voucher(approved.subject("voucher.issued"))
        assert voucher["holder"] == keys["supplier"].address.hex()
        assert (await supplier.member(keys["core"].address.hex()))["address"] == \
            keys["core"].address.hex()


def test_a_refused_transaction_raises_the_ledgers_code(ledger: Ledger) -> None:
    supplier = ledger.client("supplier")
    applied = supplier.transact("issuance", "apply", application(ledger, "ERP-REFUSE-1"))
    assert isinstance(applied, Committed)
    # Only the agency approves: the supplier's approval is refused, with the ledger's code.
    with pytest.raises(Refused) as not_agency:
        supplier.transact("issuance", "approve", issuance.Approve(
            ledger.keys["supplier"].address, bytes.fromhex(applied.tx_id)))
    assert isinstance(not_agency.value, Refused)
    assert not_agency.value.code == "membership.missing_role"
    assert len(not_agency.value.tx_id) == 64


def test_a_co_signed_transaction_is_drafted_signed_by_its_signer_and_submitted(
        ledger: Ledger) -> None:
    supplier, core = ledger.client("supplier"), ledger.client("core")
    applied = supplier.transact("issuance", "apply", application(ledger, "ERP-DRAFT-1"))
    assert isinstance(applied, Committed)
    draft = supplier.draft("issuance", "confirm", issuance.Confirm(
        ledger.keys["core"].address, bytes.fromhex(applied.tx_id)))
    assert supplier.required_signers(draft) == (ledger.keys["core"].address,)
    with pytest.raises(LedgerError) as unsigned:
        supplier.submit(draft)
    assert unsigned.value.code.startswith("tx.")
    # A signer submits: a transaction is read by its signers (and the agency, regulators).
    confirmed = core.submit(core.add_signature(draft))
    assert isinstance(confirmed, Committed)


def test_a_transaction_not_committed_in_time_is_pending_with_its_id(ledger: Ledger) -> None:
    supplier = ledger.client("supplier")
    with pytest.raises(Pending) as pending:
        supplier.transact("issuance", "apply", application(ledger, "ERP-PENDING-1"),
                          timeout_s=0)
    committed = supplier.wait(pending.value.tx_id, timeout_s=30)
    assert committed.tx_id == pending.value.tx_id


def test_following_events_resumes_from_a_saved_cursor_without_loss_or_repeat(
        ledger: Ledger) -> None:
    supplier = ledger.client("supplier")
    supplier.transact("issuance", "apply", application(ledger, "ERP-EVENTS-1"))
    seen, _ = supplier.events(limit=1000)
    assert len(seen) >= 1
    saved = seen[len(seen) // 2].cursor  # the system stopped here, then restarted
    handled_before = seen[:len(seen) // 2 + 1]
    later = supplier.transact("issuance", "apply", application(ledger, "ERP-EVENTS-2"))
    assert isinstance(later, Committed)
    missing = len(seen) - len(handled_before) + 1
    resumed = list(itertools.islice(supplier.follow_events(after=saved, wait_ms=2000),
                                    missing))
    assert resumed[-1].tx_id == later.tx_id
    assert resumed[-1].kind == "application.submitted"
    whole, _ = supplier.events(limit=1000)
    cursors = [e.cursor for e in handled_before + resumed]
    assert cursors == [e.cursor for e in whole[:len(cursors)]]
    assert len(set(cursors)) == len(cursors)


def test_a_voucher_is_proven_against_a_verified_header_and_a_tampered_proof_refused(
        ledger: Ledger) -> None:
    voucher_id = issue(ledger, "ERP-PROVE-1")
    supplier = ledger.client("supplier")
    proved = supplier.prove("voucher", voucher_id)
    assert isinstance(proved.record, Voucher)
    assert proved.record.holder == ledger.keys["supplier"].address
    assert proved.record.amount_fen == 1_000_000 and proved.height >= 1

    honest = supplier.proof

    def tampered(kind: str, record_id: str, draft: bytes | None = None) -> dict:
        answer = honest(kind, record_id, draft)
        value = bytearray(bytes.fromhex(answer["value"]))
        value[-1] ^= 1
        return {**answer, "value": value.hex()}

    supplier.proof = tampered  # type: ignore[method-assign]
    with pytest.raises(ProofError) as refused:
        supplier.prove("voucher", voucher_id)
    assert refused.value.code.startswith("proof.")
