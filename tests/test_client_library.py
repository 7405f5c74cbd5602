"""The client library a system (an ERP, a core banking system) integrates with, against a
real node: an issuance transacted sync and async, a refusal's code, a pending result,
an event stream resumed from a saved cursor, and a voucher proven against a header the
client verified from the genesis (a tampered proof refused)."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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


# ------------------------------------------------------------------ the reads, from one table

import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import inspect  # noqa: E402
import re  # noqa: E402
from hashlib import sha256  # noqa: E402

from contracts import membership, obligations, pledge, transfer  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from node.http.app import ROUTE_READS  # noqa: E402
from tests.identities import organisation  # noqa: E402
from wallet.sdk import (  # noqa: E402
    READS,
    MemberView,
    ObligationView,
    PledgeView,
    TransferView,
    VoucherView,
)


def route_shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_read_of_the_table_is_a_route_of_the_node() -> None:
    routes = {route_shape(r.partition(" ")[2]) for r in ROUTE_READS if r.startswith("GET ")}
    assert [r.name for r in READS if route_shape(r.path) not in routes] == []


def test_sync_and_async_clients_have_the_same_reads_with_the_same_signatures() -> None:
    for read in READS:
        sync, aio = getattr(Client, read.name), getattr(AsyncClient, read.name)
        assert inspect.signature(sync) == inspect.signature(aio) == read.signature
        assert inspect.iscoroutinefunction(aio) and not inspect.iscoroutinefunction(sync)


def test_the_typed_views_have_the_contract_records_fields() -> None:
    def names(record: type) -> set[str]:
        return {f.name for f in dataclasses.fields(record)}

    assert set(PledgeView.__annotations__) == names(pledge.Pledge)
    assert set(TransferView.__annotations__) == names(transfer.PendingTransfer)
    assert set(ObligationView.__annotations__) == names(obligations.Obligation) | {
        "open_round"}
    assert set(MemberView.__annotations__) == names(membership.Member) | {"withheld"}
    assert set(VoucherView.__annotations__) == names(Voucher) | {
        "lineage", "children", "origin_record"}


@dataclass
class Business:
    """A voucher pledged to a bank, a part of another offered to the bank, an obligation."""

    bank: KeyPair
    voucher: str
    pledge: str
    transfer: str
    obligation: str


def cosigned(ledger: Ledger, by: str, contract: str, operation: str, body: object,
             *signers: KeyPair) -> Committed:
    """`body` drafted by `by`, signed by it and `signers`, submitted by `by`."""
    client = ledger.client(by)
    tx = client.add_signature(client.draft(contract, operation, body))
    for key in signers:
        tx = Client(ledger.api, signer=key).add_signature(tx)
    done = client.submit(tx)
    assert isinstance(done, Committed)
    return done


@pytest.fixture(scope="module")
def business(ledger: Ledger) -> Business:
    keys = ledger.keys
    bank = KeyPair.generate()
    cosigned(ledger, "agency", "membership", "admit", membership.Admit(
        keys["agency"].address, bank.address, "Reads Bank", ("bank",),
        organisation(int.from_bytes(bank.address[:3]), "Reads Bank"), ()), bank)
    pledged_voucher = issue(ledger, "ERP-READS-1")
    pledged = cosigned(ledger, "supplier", "pledge", "create", pledge.Create(
        keys["supplier"].address, bank.address, bytes.fromhex(pledged_voucher), 200_000,
        now_ms() + 90 * DAY_MS, "LN-READS-1", 160_000, 420, None), bank)
    supplier = ledger.client("supplier")
    offered = supplier.transact("transfer", "offer", transfer.Offer(
        keys["supplier"].address, bytes.fromhex(issue(ledger, "ERP-READS-2")), bank.address,
        300_000, None, "HT-READS-2", 7))
    owed = supplier.transact("obligation", "submit", obligations.Submit(
        keys["supplier"].address, keys["core"].address, 777_700, now_ms() + 30 * DAY_MS,
        "PO-READS-3", sha256(b"PO-READS-3").digest()))
    assert isinstance(offered, Committed) and isinstance(owed, Committed)
    return Business(bank, pledged_voucher, pledged.subject("pledge.registered"),
                    offered.subject("transfer.offered"),
                    owed.subject("obligation.submitted"))


def sync_and_async(ledger: Ledger, name: str, *args: object, **kwargs: object
                   ) -> tuple[object, object]:
    """The supplier's answer to the read `name`, asked by Client and by AsyncClient."""
    async def asked() -> object:
        async with AsyncClient(ledger.api, signer=ledger.keys["supplier"]) as client:
            return await getattr(client, name)(*args, **kwargs)

    return getattr(ledger.client("supplier"), name)(*args, **kwargs), asyncio.run(asked())


def test_sync_and_async_reads_give_the_same_answers(ledger: Ledger, business: Business
                                                    ) -> None:
    supplier, core = (ledger.keys[n].address.hex() for n in ("supplier", "core"))
    asked = [("voucher", (business.voucher,), {}), ("lineage", (business.voucher,), {}),
             ("pledge", (business.pledge,), {}), ("transfer", (business.transfer,), {}),
             ("obligation", (business.obligation,), {}), ("member", (core,), {}),
             ("holder", (supplier,), {}), ("debtor", (core,), {}),
             ("vouchers", (), {"holder": supplier}), ("pledges", (), {"pledgor": supplier}),
             ("transfers", (), {"holder": supplier}),
             ("obligations", (), {"creditor": supplier, "status": "pending"}),
             ("members", (), {"role": "bank"}), ("ids", ("pledge", business.pledge[:8]), {})]
    for name, args, kwargs in asked:
        sync, aio = sync_and_async(ledger, name, *args, **kwargs)
        assert sync == aio, name


def test_typed_reads_answer_the_records_views(ledger: Ledger, business: Business) -> None:
    supplier = ledger.client("supplier")
    keys = ledger.keys
    pledged = supplier.pledge(business.pledge)
    assert set(pledged) == set(PledgeView.__annotations__)
    assert (pledged["bank"], pledged["voucher"], pledged["status"]) == (
        business.bank.address.hex(), business.voucher, "active")
    offered = supplier.transfer(business.transfer)
    assert set(offered) == set(TransferView.__annotations__)
    assert (offered["to"], offered["amount_fen"], offered["status"]) == (
        business.bank.address.hex(), 300_000, "pending")
    owed = supplier.obligation(business.obligation)
    assert set(owed) == set(ObligationView.__annotations__)
    assert (owed["debtor"], owed["amount_fen"], owed["open_round"]) == (
        keys["core"].address.hex(), 777_700, None)
    # Another member's record: its personal fields withheld, and named.
    bank = supplier.member(business.bank.address.hex())
    assert set(bank) == set(MemberView.__annotations__)
    assert bank["roles"] == ["bank"] and "contacts" in bank["withheld"]
    assert [m["address"] for m in supplier.members(role="bank")["members"]] == [
        business.bank.address.hex()]


def test_a_listing_stops_at_max_items_and_resumes_after_its_next(
        ledger: Ledger, business: Business) -> None:
    supplier = ledger.client("supplier")
    holder = ledger.keys["supplier"].address.hex()
    whole = supplier.vouchers(holder=holder)
    assert len(whole["vouchers"]) >= 3 and whole["next"] is None
    first = supplier.vouchers(holder=holder, max_items=2)
    assert [v["id"] for v in first["vouchers"]] == [v["id"] for v in whole["vouchers"][:2]]
    assert first["next"] is not None
    rest = supplier.vouchers(holder=holder, after=first["next"])
    assert [v["id"] for v in first["vouchers"] + rest["vouchers"]] == [
        v["id"] for v in whole["vouchers"]]

    async def pages() -> list[str]:
        async with AsyncClient(ledger.api, signer=ledger.keys["supplier"]) as client:
            one = await client.vouchers(holder=holder, max_items=2)
            two = await client.vouchers(holder=holder, after=one["next"])
            return [v["id"] for v in one["vouchers"] + two["vouchers"]]

    assert asyncio.run(pages()) == [v["id"] for v in whole["vouchers"]]


def test_a_read_the_node_refuses_raises_its_code_sync_and_async(ledger: Ledger,
                                                                business: Business) -> None:
    # The obligation is the supplier's and the core enterprise's, not the bank's.
    with pytest.raises(LedgerError) as sync:
        Client(ledger.api, signer=business.bank).obligation(business.obligation)

    async def asked() -> None:
        async with AsyncClient(ledger.api, signer=business.bank) as bank:
            await bank.obligation(business.obligation)

    with pytest.raises(LedgerError) as aio:
        asyncio.run(asked())
    assert sync.value.code == aio.value.code == "read.forbidden"


def test_a_pledge_is_proven_asynchronously_without_blocking_the_loop(
        ledger: Ledger, business: Business) -> None:
    async def proved() -> tuple[object, int]:
        ticks = 0

        async def ticking() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        async with AsyncClient(ledger.api, signer=ledger.keys["supplier"],
                               genesis_id=ledger.genesis_id) as client:
            ticker = asyncio.create_task(ticking())
            found = await client.prove("pledge", business.pledge)
            ticker.cancel()
            return found, ticks

    found, ticks = asyncio.run(proved())
    assert isinstance(found.record, pledge.Pledge)
    assert found.record.id.hex() == business.pledge and found.record.status == "active"
    assert ticks > 1  # the loop ran while the proof was fetched and checked


# ---------------------------------------------------------------- the README's ERP example

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_erp_example() -> str:
    """The README's example of an ERP integration, as printed there."""
    text = README.read_text(encoding="utf-8")
    start = text.index("A supplier's ERP applies for a voucher when an invoice is confirmed")
    block = text.index("```python\n", start) + len("```python\n")
    return text[block:text.index("```", block)]


class Followed(Exception):
    """The example's event loop has done its work (it follows events forever)."""


@dataclass
class FakeErp:
    """What the example calls on the ERP: records what it was told."""

    applications: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)
    financed: list = field(default_factory=list)
    cursors: list = field(default_factory=list)
    until: str | None = None  # the voucher whose issue ends the example's loop

    def set_application(self, invoice: Any, tx_id: str) -> None:
        self.applications[invoice.number] = tx_id

    def flag(self, invoice: Any, code: str, message: str) -> None:
        self.flags.append((invoice.number, code))

    def mark_financed(self, application: str, voucher: str) -> None:
        self.financed.append((application, voucher))

    def load_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None

    def save_cursor(self, cursor: str) -> None:
        self.cursors.append(cursor)
        if any(voucher == self.until for _, voucher in self.financed):
            raise Followed


def test_the_readmes_erp_example_runs_against_a_node(ledger: Ledger) -> None:
    code = readme_erp_example()
    assert len(code.strip().splitlines()) <= 30, "the README promises a short integration"
    for spelled in ('"http://127.0.0.1:8080"', 'read_key_store(Path("supplier.json"))'):
        assert spelled in code, f"the README's example no longer says {spelled}"
    code = code.replace('"http://127.0.0.1:8080"', "NODE").replace(
        'read_key_store(Path("supplier.json"))', "SUPPLIER_KEY")
    erp = FakeErp()
    namespace: dict[str, Any] = {"NODE": ledger.api, "SUPPLIER_KEY": ledger.keys["supplier"],
                                 "erp": erp}
    invoice = SimpleNamespace(buyer=ledger.keys["core"].address, amount_fen=2_345_600,
                              due_ms=now_ms() + 90 * DAY_MS, number="INV-2026-0042",
                              basis_digest=hashlib.sha256(b"INV-2026-0042").digest())
    head, loop = code.split("for event in", 1)
    exec(compile(head, "README.md", "exec"), namespace)  # defines on_invoice_confirmed
    namespace["on_invoice_confirmed"](invoice)
    application = erp.applications["INV-2026-0042"]
    nothing = SimpleNamespace(**{**vars(invoice), "number": "INV-2026-0043",
                                 "amount_fen": 0})
    namespace["on_invoice_confirmed"](nothing)  # refused by the ledger: flagged
    assert erp.flags == [("INV-2026-0043", "issuance.bad_amount")]
    assert "INV-2026-0043" not in erp.applications
    ledger.client("core").transact("issuance", "confirm", issuance.Confirm(
        ledger.keys["core"].address, bytes.fromhex(application)))
    approved = ledger.client("agency").transact("issuance", "approve", issuance.Approve(
        ledger.keys["agency"].address, bytes.fromhex(application)))
    erp.until = approved.subject("voucher.issued")
    with pytest.raises(Followed):  # other tests' vouchers on this node came first
        exec(compile("for event in" + loop, "README.md", "exec"), namespace)
    assert erp.financed[-1] == (application, erp.until)
    assert len(erp.cursors) == len(set(erp.cursors))  # each event once, its cursor saved
