"""The lifecycle read API over a ledger built by real signed transactions, in process.

One node runs one scenario: two vouchers issued by `core` to `supplier`; part of the
first transferred to `supplier2`, the rest pledged to `bank`; an acquirer's commitment
on the transferred part; an offer redeemed against it, another withdrawn; the second
voucher extends and then goes overdue by ledger time; a fee payment; and a sale under
the commitment. Every route is then read back: amounts, parties, paging, 404s, 400s,
and each member's event stream, including waiting for the next event.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import acquisition, fees, issuance, pledge, redemption, transfer
from contracts.codec import encode
from contracts.identity import KeyPair
from contracts.tx import Transaction
from contracts.vouchers import issued_voucher_id, part_id
from node.config import parse_network
from node.http import vouchers as http_vouchers
from node.http.app import make_app
from node.http.vouchers import commitment_view
from node.service import Node
from node.store import AddressedEvent, event_cursor
from tests.nodeproc import DAY_MS, MEMBER_ROLES, build_tx, network_toml, tx_id
from tests.signing import Signer, aiohttp_signing

CHAIN_ID = "claimledger-api-lifecycle"
T0 = 1_800_000_000_000
SEC = 1000
EXTRA_ROLES = {"supplier2": "enterprise", "bank": "bank", "acquirer": "acquirer",
               "regulator": "regulator"}
UNKNOWN = "ab" * 32


def network_text(validator: KeyPair, keys: dict[str, KeyPair]) -> str:
    base = {name: keys[name] for name in MEMBER_ROLES}
    text = network_toml(CHAIN_ID, validator, base, port=1, genesis_ms=T0)
    for name, role in EXTRA_ROLES.items():
        text += (f'\n[[members]]\nname = "{name}"\nroles = ["{role}"]\n'
                 f'address = "{keys[name].address.hex()}"\n')
    return text


class World:
    """A node with its HTTP app on a private event loop, and the ids the scenario made."""

    def __init__(self, root: Path) -> None:
        self.validator = KeyPair.generate()
        self.keys = {name: KeyPair.generate() for name in [*MEMBER_ROLES, *EXTRA_ROLES]}
        config = parse_network(network_text(self.validator, self.keys))
        self.node = Node(config, root, self.validator)
        self.loop = asyncio.new_event_loop()
        # Read as the agency, which reads every record; events as their addressee.
        signer = Signer.of(CHAIN_ID, self.keys["agency"], self.keys.values())
        self.client = TestClient(TestServer(make_app(self.node)), loop=self.loop,
                                 middlewares=(aiohttp_signing(signer),))
        self.loop.run_until_complete(self.client.start_server())
        self.ids: dict[str, bytes] = {}
        self.heights: dict[str, int] = {}

    def addr(self, name: str) -> bytes:
        return self.keys[name].address

    def hex(self, name: str) -> str:
        return self.addr(name).hex()

    def tx(self, contract: str, operation: str, body: Any, *signers: str) -> Transaction:
        return build_tx(CHAIN_ID, contract, operation, body, *(self.keys[s] for s in signers))

    def block(self, at_ms: int, *txs: Transaction) -> int:
        """Commit one block at ledger time `at_ms` holding exactly `txs`; its height."""
        for tx in txs:
            _, new = self.node.mempool.submit(encode(tx), at_ms)
            assert new
        head = self.node.produce(at_ms)
        assert head.time_ms == at_ms
        for tx in txs:
            record = self.node.store.tx_record(tx_id(tx))
            assert record is not None and record.height == head.height
        return head.height

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        async def go() -> tuple[int, Any]:
            response = await self.client.get(path, params={k: str(v) for k, v in params.items()})
            return response.status, json.loads(await response.read())

        return self.loop.run_until_complete(go())

    def ok(self, path: str, **params: Any) -> Any:
        status, document = self.get(path, **params)
        assert status == 200, (path, params, document)
        return document

    def error(self, path: str, **params: Any) -> tuple[int, str]:
        status, document = self.get(path, **params)
        assert status >= 400, (path, params, document)
        assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
        return status, document["error"]["code"]

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.node.close()
        self.loop.close()


def terms(world: World, amount_fen: int, due_ms: int, basis: str, **kw: Any) -> issuance.Terms:
    values: dict[str, Any] = dict(asset_offset=True, consumption_offset=False,
                                  extension_days=0, extension_max=0)
    values.update(kw)
    return issuance.Terms(debtor=world.addr("core"), amount_fen=amount_fen, due_ms=due_ms,
                          basis_ref=basis, basis_sha256=hashlib.sha256(basis.encode()).digest(),
                          **values)


def build_scenario(w: World) -> None:
    ids = w.ids
    at = iter(range(T0 + SEC, T0 + 100 * SEC, SEC))
    w.block(next(at), w.tx("fees", "set_schedule",
                           fees.SetSchedule(w.addr("agency"), 10, 5), "agency"))
    apply_a = w.tx("issuance", "apply", issuance.Apply(
        w.addr("supplier"), terms(w, 1_000_000, T0 + 180 * DAY_MS, "HT-A")), "supplier")
    apply_b = w.tx("issuance", "apply", issuance.Apply(
        w.addr("supplier"), terms(w, 500_000, T0 + 10 * DAY_MS, "HT-B",
                                  consumption_offset=True, extension_days=5,
                                  extension_max=1)), "supplier")
    w.block(next(at), apply_a, apply_b)
    confirms = [w.tx("issuance", "confirm", issuance.Confirm(w.addr("core"), tx_id(a)), "core")
                for a in (apply_a, apply_b)]
    w.block(next(at), *confirms)
    approvals = [w.tx("issuance", "approve", issuance.Approve(w.addr("agency"), tx_id(a)),
                      "agency") for a in (apply_a, apply_b)]
    w.block(next(at), *approvals)
    ids["VA"] = issued_voucher_id(tx_id(apply_a))
    ids["VB"] = issued_voucher_id(tx_id(apply_b))

    move = w.tx("transfer", "transfer", transfer.Transfer(
        w.addr("supplier"), ids["VA"], w.addr("supplier2"), 300_000, None, "TC-2027-001"),
        "supplier", "supplier2")
    w.heights["transfer"] = w.block(next(at), move)
    ids["transfer"] = tx_id(move)
    ids["T1"] = part_id(tx_id(move), ids["VA"], 0)  # supplier2's 300,000
    ids["R1"] = part_id(tx_id(move), ids["VA"], 1)  # supplier's remainder, 700,000

    pledged = w.tx("pledge", "create", pledge.Create(
        w.addr("supplier"), w.addr("bank"), ids["R1"], 200_000, T0 + 90 * DAY_MS, "LN-1",
        160_000, 420, None),
        "supplier", "bank")
    w.block(next(at), pledged)
    ids["P"] = tx_id(pledged)

    committed = w.tx("acquisition", "commit", acquisition.Commit(
        w.addr("acquirer"), w.addr("supplier2"), ids["T1"], 9_500, T0 + 20 * DAY_MS,
        T0 + 60 * DAY_MS, "AQ-1"), "acquirer", "supplier2")
    w.block(next(at), committed)
    ids["C"] = tx_id(committed)

    flat = w.tx("redemption", "publish", redemption.Publish(
        w.addr("core"), "asset", "Flat 3-2-101", 100_000, "FC-3-2-101"), "core")
    canteen = w.tx("redemption", "publish", redemption.Publish(
        w.addr("core"), "consumption", "Canteen meals", 50_000), "core")
    w.block(next(at), flat, canteen)
    ids["O1"], ids["O2"] = tx_id(flat), tx_id(canteen)
    w.block(next(at), w.tx("redemption", "withdraw_offer",
                           redemption.WithdrawOffer(w.addr("core"), ids["O2"]), "core"))

    ask = w.tx("redemption", "request", redemption.Ask(
        w.addr("supplier2"), ids["T1"], ids["O1"], 100_000, None), "supplier2")
    w.block(next(at), ask)
    ids["Q"] = tx_id(ask)
    accepted = w.tx("redemption", "accept", redemption.Accept(
        w.addr("core"), ids["Q"], "FC-2030-001", ""), "core")
    w.block(next(at), accepted)
    ids["T1r"] = part_id(tx_id(accepted), ids["T1"], 0)  # 200,000 left after 100,000 redeemed

    # Ledger time moves on: VB falls due and extends by 5 days, then goes overdue in a
    # block that also carries a transaction (its events come before the end-of-block's).
    w.heights["extended"] = w.block(T0 + 11 * DAY_MS)
    paid = w.tx("fees", "record_payment", fees.RecordPayment(
        w.addr("agency"), w.addr("supplier"), 100, "BANK-REF-1"), "agency")
    w.heights["overdue"] = w.block(T0 + 16 * DAY_MS, paid)

    exercised = w.tx("acquisition", "exercise", acquisition.Exercise(
        w.addr("supplier2"), ids["T1r"], ids["C"], 50_000, "PAY-1", None), "supplier2")
    w.block(T0 + 21 * DAY_MS, exercised)
    ids["X"] = tx_id(exercised)
    ids["S"] = part_id(tx_id(exercised), ids["T1r"], 0)  # the acquirer's 50,000
    ids["T1rr"] = part_id(tx_id(exercised), ids["T1r"], 1)  # supplier2 keeps 150,000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World(tmp_path_factory.mktemp("lifecycle"))
    try:
        build_scenario(w)
        yield w
    finally:
        w.close()


def h(world: World, name: str) -> str:
    return world.ids[name].hex()


def all_pages(world: World, path: str, key: str, **params: Any) -> list[dict]:
    """Every item of a paged list, following `next` one small page at a time."""
    items: list[dict] = []
    after = None
    for _ in range(100):
        query = dict(params, **({"after": after} if after else {}))
        document = world.ok(path, **query)
        items += document[key]
        after = document["next"]
        if after is None:
            return items
    raise AssertionError("paging did not end")


# ------------------------------------------------------------------ vouchers


def test_voucher_answer_has_lineage_children_and_origin_record(world: World) -> None:
    part = world.ok(f"/v1/vouchers/{h(world, 'T1rr')}")
    assert part["amount_fen"] == 150_000 and part["holder"] == world.hex("supplier2")
    assert part["lineage"] == [h(world, "VA"), h(world, "T1"), h(world, "T1r")]
    assert part["children"] == []
    assert part["commitments"] == [h(world, "C")]
    assert part["origin_record"] == {
        "id": h(world, "VA"), "debtor": world.hex("core"), "face_fen": 1_000_000,
        "redeemed_fen": 100_000, "setoff_fen": 0, "due_ms": T0 + 180 * DAY_MS,
        "extensions": 0, "overdue_since_ms": None, "live_parts": 3, "voided_fen": 0,
    }
    parent = world.ok(f"/v1/vouchers/{h(world, 'T1r')}")
    assert parent["status"] == "consumed"
    assert sorted(parent["children"]) == sorted([h(world, "S"), h(world, "T1rr")])


def test_lineage_route_gives_full_ancestors_and_the_descendant_tree(world: World) -> None:
    document = world.ok(f"/v1/vouchers/{h(world, 'T1')}/lineage")
    assert [v["id"] for v in document["ancestors"]] == [h(world, "VA")]
    assert document["ancestors"][0]["amount_fen"] == 1_000_000
    assert document["voucher"]["id"] == h(world, "T1")
    assert document["truncated"] is False
    (only,) = document["descendants"]
    assert only["voucher"]["id"] == h(world, "T1r")
    assert only["voucher"]["cause"] == "redemption_remainder"
    grandchildren = {c["voucher"]["id"]: c for c in only["children"]}
    assert set(grandchildren) == {h(world, "S"), h(world, "T1rr")}
    assert grandchildren[h(world, "S")]["voucher"]["holder"] == world.hex("acquirer")
    assert all(c["children"] == [] for c in grandchildren.values())

    whole = world.ok(f"/v1/vouchers/{h(world, 'VA')}/lineage")
    assert whole["ancestors"] == []

    def count(nodes: list[dict]) -> int:
        return sum(1 + count(n["children"]) for n in nodes)

    assert count(whole["descendants"]) == 5  # T1, R1, T1r, S, T1rr


def test_lineage_tree_is_cut_at_its_bounds_and_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_vouchers, "MAX_TREE_NODES", 2)
    document = world.ok(f"/v1/vouchers/{h(world, 'VA')}/lineage")
    assert document["truncated"] is True
    tops = document["descendants"]
    assert len(tops) == 2 and all(t["children"] == [] for t in tops)
    t1 = next(t for t in tops if t["voucher"]["id"] == h(world, "T1"))
    assert t1.get("truncated") is True  # T1 has a child left out; R1 has none
    r1 = next(t for t in tops if t["voucher"]["id"] == h(world, "R1"))
    assert "truncated" not in r1

    monkeypatch.setattr(http_vouchers, "MAX_TREE_NODES", 10_000)
    monkeypatch.setattr(http_vouchers, "MAX_TREE_DEPTH", 1)
    shallow = world.ok(f"/v1/vouchers/{h(world, 'T1')}/lineage")
    assert shallow["truncated"] is True
    assert shallow["descendants"][0]["children"] == []
    assert shallow["descendants"][0]["truncated"] is True


def test_active_vouchers_come_from_the_live_index_and_page_exactly(world: World) -> None:
    supplier = world.hex("supplier")
    live = all_pages(world, "/v1/vouchers", "vouchers", holder=supplier, status="active",
                     limit=1)
    assert {v["id"] for v in live} == {h(world, "R1"), h(world, "VB")}
    first = world.ok("/v1/vouchers", holder=supplier, status="active", limit=1)
    assert len(first["vouchers"]) == 1 and first["next"] == first["vouchers"][0]["id"]

    history = all_pages(world, "/v1/vouchers", "vouchers", holder=supplier, limit=1)
    assert {v["id"] for v in history} == {h(world, "VA"), h(world, "R1"), h(world, "VB")}
    # A filter over history with small pages loses nothing.
    filtered = all_pages(world, "/v1/vouchers", "vouchers", holder=supplier,
                         debtor=world.hex("core"), limit=1)
    assert [v["id"] for v in filtered] == [v["id"] for v in history]

    by_debtor = world.ok("/v1/vouchers", debtor=world.hex("core"), status="active")
    assert {v["id"] for v in by_debtor["vouchers"]} == {
        h(world, "R1"), h(world, "VB"), h(world, "S"), h(world, "T1rr")}
    assert sum(v["amount_fen"] for v in by_debtor["vouchers"]) == 1_400_000
    consumed = world.ok("/v1/vouchers", debtor=world.hex("core"), status="consumed")
    assert {v["id"] for v in consumed["vouchers"]} == {
        h(world, "VA"), h(world, "T1"), h(world, "T1r")}
    for limit in (1, 2):
        paged = all_pages(world, "/v1/vouchers", "vouchers", debtor=world.hex("core"),
                          status="consumed", limit=limit)
        assert [v["id"] for v in paged] == [v["id"] for v in consumed["vouchers"]]


def test_standing_lists_overdue_and_extended_states(world: World) -> None:
    overdue = world.ok("/v1/vouchers", standing="overdue")
    assert [v["id"] for v in overdue["vouchers"]] == [h(world, "VB")]
    assert overdue["vouchers"][0]["overdue_since_ms"] == T0 + 16 * DAY_MS
    extended = world.ok("/v1/vouchers", standing="extended", holder=world.hex("supplier"))
    assert [v["id"] for v in extended["vouchers"]] == [h(world, "VB")]
    assert extended["vouchers"][0]["due_ms"] == T0 + 15 * DAY_MS
    assert world.ok("/v1/vouchers", standing="overdue",
                    holder=world.hex("supplier2"))["vouchers"] == []
    assert world.ok("/v1/vouchers", standing="overdue", status="active")["next"] is None


def test_voucher_queries_refuse_bad_parameters(world: World) -> None:
    assert world.error("/v1/vouchers") == (400, "request.missing_parameter")
    assert world.error("/v1/vouchers", standing="late") == (400, "request.bad_parameter")
    assert world.error("/v1/vouchers", standing="overdue", status="consumed") == (
        400, "request.bad_parameter")
    assert world.error("/v1/vouchers", holder="xyz") == (400, "address.malformed")
    assert world.error("/v1/vouchers", holder=world.hex("supplier"), after="12") == (
        400, "request.bad_id")
    assert world.error(f"/v1/vouchers/{UNKNOWN}/lineage") == (404, "not_found")
    assert world.error("/v1/vouchers/xyz/lineage") == (400, "request.bad_id")


# ------------------------------------------------------------------ totals and records


def test_holder_totals_count_live_claims(world: World) -> None:
    assert world.ok(f"/v1/holders/{world.hex('supplier')}") == {
        "holder": world.hex("supplier"), "held_fen": 1_200_000, "live_parts": 2}
    assert world.ok(f"/v1/holders/{world.hex('acquirer')}")["held_fen"] == 50_000
    assert world.ok(f"/v1/holders/{world.hex('bank')}")["live_parts"] == 0
    assert world.error(f"/v1/holders/{UNKNOWN}") == (404, "not_found")
    assert world.error("/v1/holders/xyz") == (400, "address.malformed")


def test_debtor_record_with_average_confirmation_delay(world: World) -> None:
    record = world.ok(f"/v1/debtors/{world.hex('core')}")
    assert record == {
        "debtor": world.hex("core"), "vouchers_issued": 2, "issued_fen": 1_500_000,
        "outstanding_fen": 1_400_000, "redeemed_fen": 100_000, "confirmations": 2,
        "confirmation_delay_ms": 2 * SEC, "late_confirmations": 0, "extended_vouchers": 1,
        "overdue_vouchers": 1, "average_confirmation_delay_ms": SEC,
        "voided_vouchers": 0, "voided_fen": 0, "late_obligation_confirmations": 0,
        "overdue_obligations": 0,
    }
    never = world.ok(f"/v1/debtors/{world.hex('bank')}")
    assert never["confirmations"] == 0 and never["average_confirmation_delay_ms"] is None
    assert world.error(f"/v1/debtors/{UNKNOWN}") == (404, "not_found")
    assert world.error("/v1/debtors/12") == (400, "address.malformed")


def test_origin_record_by_issued_voucher_id(world: World) -> None:
    origin = world.ok(f"/v1/origins/{h(world, 'VB')}")
    assert origin["face_fen"] == 500_000 and origin["extensions"] == 1
    assert origin["overdue_since_ms"] == T0 + 16 * DAY_MS and origin["live_parts"] == 1
    assert world.error(f"/v1/origins/{h(world, 'T1')}") == (404, "not_found")
    assert world.error("/v1/origins/nothex") == (400, "request.bad_id")


# ------------------------------------------------------------------ pledges


def test_pledge_registry_by_voucher_origin_and_bank(world: World) -> None:
    (found,) = world.ok("/v1/pledges", voucher=h(world, "R1"))["pledges"]
    assert found["id"] == h(world, "P") and found["registration_no"] == "ZY0000000001"
    assert found["pledgor"] == world.hex("supplier") and found["bank"] == world.hex("bank")
    assert found["secured_fen"] == 200_000 and found["status"] == "active"
    assert world.ok("/v1/pledges", origin=h(world, "VA"))["pledges"] == [found]
    assert world.ok("/v1/pledges", bank=world.hex("bank"), status="active") == {
        "pledges": [found], "next": None}
    assert world.ok("/v1/pledges", bank=world.hex("bank"), status="released")["pledges"] == []
    assert world.ok(f"/v1/pledges/{h(world, 'P')}") == found
    assert world.ok("/v1/vouchers/" + h(world, "R1"))["pledge"] == h(world, "P")


def test_pledge_queries_refuse_bad_parameters(world: World) -> None:
    assert world.error("/v1/pledges") == (400, "request.missing_parameter")
    assert world.error("/v1/pledges", voucher=h(world, "R1"), bank=world.hex("bank")) == (
        400, "request.bad_parameter")
    assert world.error("/v1/pledges", voucher="xyz") == (400, "request.bad_id")
    assert world.error("/v1/pledges", bank="xyz") == (400, "address.malformed")
    assert world.error("/v1/pledges", bank=world.hex("bank"), status="gone") == (
        400, "request.bad_parameter")
    assert world.error(f"/v1/pledges/{UNKNOWN}") == (404, "not_found")


# ------------------------------------------------------------------ acquisition


def test_commitments_a_voucher_carries_with_exercisability(world: World) -> None:
    (carried,) = world.ok("/v1/commitments", voucher=h(world, "T1rr"))["commitments"]
    assert carried["id"] == h(world, "C") and carried["acquirer"] == world.hex("acquirer")
    assert carried["status"] == "open" and carried["exercisable"] is True  # head at day 21
    assert carried["exercised_fen"] == 50_000 and carried["paid_fen"] == 47_500
    # The acquirer's own part no longer carries the promise.
    assert world.ok("/v1/commitments", voucher=h(world, "S")) == {
        "commitments": [], "next": None}
    assert world.ok("/v1/commitments", voucher=h(world, "T1rr"), after=h(world, "C")) == {
        "commitments": [], "next": None}
    assert world.ok("/v1/commitments", acquirer=world.hex("acquirer"))["commitments"] == [
        carried]
    assert world.error("/v1/commitments", voucher=UNKNOWN) == (404, "not_found")
    assert world.error("/v1/commitments") == (400, "request.missing_parameter")
    assert world.error("/v1/commitments", voucher=h(world, "S"),
                       acquirer=world.hex("acquirer")) == (400, "request.bad_parameter")


def test_exercisable_only_between_lock_and_expiry_while_open() -> None:
    record = acquisition.Commitment(
        id=bytes(32), acquirer=bytes(32), voucher=bytes(32), origin=bytes(32),
        price_per_10000_fen=9_000, lock_until_ms=1_000, expires_ms=2_000, terms_ref="",
        status="open", committed_at_ms=0, exercised_fen=0, paid_fen=0)
    assert [commitment_view(record, t)["exercisable"] for t in (999, 1_000, 1_999, 2_000)
            ] == [False, True, True, False]
    withdrawn = acquisition.Commitment(**{**record.__dict__, "status": "withdrawn"})
    assert commitment_view(withdrawn, 1_500)["exercisable"] is False


def test_commitment_with_its_sales(world: World) -> None:
    document = world.ok(f"/v1/commitments/{h(world, 'C')}")
    assert document["price_per_10000_fen"] == 9_500
    assert document["sales"] == [{
        "tx_id": h(world, "X"), "commitment": h(world, "C"), "voucher": h(world, "S"),
        "seller": world.hex("supplier2"), "claim_fen": 50_000, "price_fen": 47_500,
        "payment_ref": "PAY-1", "time_ms": T0 + 21 * DAY_MS,
    }]
    assert document["next"] is None
    assert world.error(f"/v1/commitments/{UNKNOWN}") == (404, "not_found")


# ------------------------------------------------------------------ offers and redemptions


def test_offers_of_a_debtor_by_status(world: World) -> None:
    offers = world.ok("/v1/offers", debtor=world.hex("core"))["offers"]
    assert {o["id"] for o in offers} == {h(world, "O1"), h(world, "O2")}
    # The flat was redeemed (request Q): sold once, it is listed no more.
    assert world.ok("/v1/offers", debtor=world.hex("core"), status="listed")["offers"] == []
    (sold,) = world.ok("/v1/offers", debtor=world.hex("core"), status="redeemed")["offers"]
    assert sold["id"] == h(world, "O1") and sold["price_fen"] == 100_000
    assert sold["stock"] == {"offer": h(world, "O1"), "title_ref": "FC-3-2-101", "cap_fen": 0,
                             "used_fen": 0}
    (gone,) = world.ok("/v1/offers", debtor=world.hex("core"), status="withdrawn")["offers"]
    assert gone["kind"] == "consumption" and gone["stock"] is None
    assert world.ok(f"/v1/offers/{h(world, 'O1')}") == sold
    assert len(all_pages(world, "/v1/offers", "offers", debtor=world.hex("core"), limit=1)) == 2
    assert world.error("/v1/offers") == (400, "request.missing_parameter")
    assert world.error("/v1/offers", debtor=world.hex("core"), status="sold") == (
        400, "request.bad_parameter")
    assert world.error(f"/v1/offers/{UNKNOWN}") == (404, "not_found")


def test_redemptions_by_holder_and_debtor(world: World) -> None:
    (request,) = world.ok("/v1/redemptions", holder=world.hex("supplier2"))["redemptions"]
    assert request["id"] == h(world, "Q") and request["status"] == "accepted"
    assert request["reduced_fen"] == 100_000 and request["shortfall_fen"] == 0
    assert request["title_ref"] == "FC-2030-001" and request["remainder"] == h(world, "T1r")
    assert world.ok("/v1/redemptions", debtor=world.hex("core"))["redemptions"] == [request]
    assert world.ok("/v1/redemptions", debtor=world.hex("core"),
                    status="requested")["redemptions"] == []
    assert world.ok(f"/v1/redemptions/{h(world, 'Q')}") == request
    assert world.error("/v1/redemptions", holder=world.hex("supplier2"),
                       debtor=world.hex("core")) == (400, "request.bad_parameter")
    assert world.error(f"/v1/redemptions/{UNKNOWN}") == (404, "not_found")


# ------------------------------------------------------------------ fees


def test_fee_schedule_and_a_members_account_with_its_charges(world: World) -> None:
    schedule = world.ok("/v1/fees")
    assert (schedule["transfer_bp"], schedule["pledge_bp"]) == (10, 5)
    account = world.ok(f"/v1/fees/{world.hex('supplier')}")
    # 300 on the 300,000 transferred, 350 on the 700,000 pledged; 100 paid.
    assert (account["charged_fen"], account["paid_fen"], account["owed_fen"]) == (650, 100, 550)
    assert [(c["kind"], c["fee_fen"]) for c in account["charges"]] == [
        ("transfer", 300), ("pledge", 350), ("payment", 100)]
    assert account["charges"][0]["tx_id"] == h(world, "transfer")
    assert account["charges"][0]["height"] == world.heights["transfer"]
    assert account["next"] is None
    paged = all_pages(world, f"/v1/fees/{world.hex('supplier')}", "charges", limit=1)
    assert paged == account["charges"]
    first = world.ok(f"/v1/fees/{world.hex('supplier')}", limit=1)
    assert first["next"] == first["charges"][0]["cursor"] and len(first["next"]) == 80
    assert world.ok(f"/v1/fees/{world.hex('supplier2')}")["charged_fen"] == 50
    assert world.error(f"/v1/fees/{world.hex('supplier')}", after=UNKNOWN) == (
        400, "request.bad_parameter")
    assert world.error(f"/v1/fees/{UNKNOWN}") == (404, "not_found")


# ------------------------------------------------------------------ events


def test_debtor_learns_of_the_transfer_from_its_event_stream(world: World) -> None:
    core = world.hex("core")
    events = world.ok("/v1/events", address=core, limit=1000)["events"]
    transferred = [e for e in events if e["kind"] == "voucher.transferred"]
    assert [e["subject"] for e in transferred] == [h(world, "T1"), h(world, "S")]
    first = transferred[0]
    assert core in first["parties"] and world.hex("supplier2") in first["parties"]
    assert first["tx_id"] == h(world, "transfer")
    assert first["height"] == world.heights["transfer"]
    assert all(core in e["parties"] for e in events)
    cursors = [e["cursor"] for e in events]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert all(len(c) == 24 for c in cursors)
    assert all_pages(world, "/v1/events", "events", address=core, limit=2) == events
    assert world.ok("/v1/events", address=core, after=cursors[-1]) == {
        "events": [], "next": None}


def test_event_sequence_puts_transactions_before_the_end_of_block_step(world: World) -> None:
    supplier = world.hex("supplier")
    events = world.ok("/v1/events", address=supplier, limit=1000)["events"]
    extended = next(e for e in events if e["kind"] == "voucher.extended")
    assert extended["tx_id"] is None and extended["height"] == world.heights["extended"]
    in_block = [(e["seq"], e["kind"]) for e in events
                if e["height"] == world.heights["overdue"]]
    assert in_block == [(0, "fees.paid"), (1, "voucher.overdue")]
    # A member sees only what concerns it: the bank was never told of the redemption.
    bank_kinds = {e["kind"] for e in world.ok("/v1/events", address=world.hex("bank"))["events"]}
    assert bank_kinds == {"pledge.registered"}


def test_store_pages_events_by_cursor(world: World) -> None:
    store = world.node.store
    everything, end = store.events_for(world.addr("supplier2"), None, 1000)
    assert end is None and all(isinstance(e, AddressedEvent) for e in everything)
    page, cursor = store.events_for(world.addr("supplier2"), None, 3)
    assert page == everything[:3] and cursor == event_cursor(page[-1].height, page[-1].seq)
    rest, end = store.events_for(world.addr("supplier2"), cursor, 1000)
    assert page + rest == everything and end is None
    assert store.events_for(bytes(32), None, 10) == ([], None)


def test_event_queries_refuse_bad_parameters(world: World) -> None:
    assert world.error("/v1/events") == (400, "request.missing_parameter")
    assert world.error("/v1/events", address="xyz") == (400, "address.malformed")
    assert world.error("/v1/events", address=world.hex("core"), after=UNKNOWN) == (
        400, "request.bad_parameter")
    assert world.error("/v1/events", address=world.hex("core"), wait_ms=30_001) == (
        400, "request.bad_parameter")
    assert world.error("/v1/events", address=world.hex("core"), limit=0) == (
        400, "request.bad_parameter")


def test_waiting_for_events_returns_when_the_next_block_brings_one(tmp_path: Path) -> None:
    w = World(tmp_path)
    try:
        core = w.hex("core")

        async def scenario() -> tuple[float, dict, float, dict]:
            started = time.monotonic()
            idle = await w.client.get("/v1/events", params={"address": core, "wait_ms": "200"})
            idle_s = time.monotonic() - started
            idle_doc = await idle.json()

            started = time.monotonic()
            waiting = asyncio.ensure_future(w.client.get(
                "/v1/events", params={"address": core, "wait_ms": "20000"}))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            tx = w.tx("redemption", "publish", redemption.Publish(
                w.addr("core"), "asset", "Warehouse 7", 80_000, "FC-W7"), "core")
            w.block(T0 + SEC, tx)
            reply = await asyncio.wait_for(waiting, timeout=10)
            assert reply.status == 200
            return idle_s, idle_doc, time.monotonic() - started, await reply.json()

        idle_s, idle_doc, woke_s, document = w.loop.run_until_complete(scenario())
        assert idle_doc == {"events": [], "next": None} and idle_s >= 0.19
        (event,) = document["events"]
        assert event["kind"] == "offer.published" and event["parties"] == [core]
        assert event["height"] == 1 and event["seq"] == 0
        assert woke_s < 5
    finally:
        w.close()


# ------------------------------------------------------------------ every route answers


def test_openapi_describes_every_lifecycle_route(world: World) -> None:
    document = world.ok("/v1/openapi.json")
    for path in ["/v1/vouchers/{id}/lineage", "/v1/holders/{address}", "/v1/debtors/{address}",
                 "/v1/origins/{id}", "/v1/pledges", "/v1/pledges/{id}", "/v1/commitments",
                 "/v1/commitments/{id}", "/v1/offers", "/v1/offers/{id}", "/v1/redemptions",
                 "/v1/redemptions/{id}", "/v1/fees", "/v1/fees/{address}", "/v1/events"]:
        assert "get" in document["paths"][path], path
    schemas = document["components"]["schemas"]
    for name in ["Origin", "HolderTotals", "DebtorRecord", "Pledge", "Commitment", "Sale",
                 "Offer", "Redemption", "FeeSchedule", "FeeAccount", "Charge", "Event"]:
        assert schemas[name]["type"] == "object" and schemas[name]["properties"], name


LIFECYCLE_ROUTES = [
    "/v1/vouchers", "/v1/vouchers/{}", "/v1/vouchers/{}/lineage", "/v1/holders/{}",
    "/v1/debtors/{}", "/v1/origins/{}", "/v1/pledges", "/v1/pledges/{}", "/v1/commitments",
    "/v1/commitments/{}", "/v1/offers", "/v1/offers/{}", "/v1/redemptions",
    "/v1/redemptions/{}", "/v1/fees", "/v1/fees/{}", "/v1/events",
]
PARAMS = ["holder", "debtor", "status", "standing", "voucher", "origin", "bank", "acquirer",
          "address", "after", "limit"]


def test_random_requests_to_lifecycle_routes_get_json_answers_below_500(world: World) -> None:
    known = [world.hex(n) for n in world.keys] + [v.hex() for v in world.ids.values()]
    segment = st.one_of(st.text(max_size=70), st.sampled_from(known),
                        st.binary(min_size=12, max_size=40).map(bytes.hex),
                        st.sampled_from(["active", "overdue", "extended", "listed", "0",
                                         "1", "-1", "1001", "ok"]),
                        st.integers(-(2**70), 2**70).map(str))
    query = st.dictionaries(st.sampled_from(PARAMS), segment, max_size=3)

    @settings(max_examples=250, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(LIFECYCLE_ROUTES), segment, query)
    def one(route: str, part: str, params: dict[str, str]) -> None:
        for bad in "/?#%":
            part = part.replace(bad, "_")
        status, document = world.get(route.format(part), **params)
        assert status < 500, (route, part, params, document)
        if status >= 400:
            assert set(document["error"]) == {"code", "message"}

    one()
