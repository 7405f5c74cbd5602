"""A member's light node (`claimledger-node run --member`), as real processes on 127.0.0.1:
it follows the chain from the genesis across a validator set change, keeps exactly its
member's records (equal to what the full nodes prove, and no other member's), refuses a
tampered answer with its code while its store stays as it was, and serves the member's
wallet."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from contracts import issuance, nodes, transfer
from contracts.identity import KeyPair
from contracts.keystore import seal
from contracts.streams import AddressedEvent
from node.home import GENESIS_FILE
from node.light.naming import named_records, subject_kind
from node.light.store import LightStore, ProvenRecord, Verified
from node.light.upstream import MAX_ANSWER_BYTES, Upstream, UpstreamError
from tests.lightproc import LightProcess, caught_up, wait_until
from tests.nodeproc import (
    DAY_MS,
    PASSPHRASE,
    ROOT,
    Network,
    NodeProcess,
    approve_tx,
    build_tx,
    commit,
    confirm_tx,
    free_port,
    get,
    make_cluster,
    make_network,
    now_ms,
    post_tx,
    running,
    terms,
    tx_id,
)

# Who runs which validator: the agency two, core and supplier2 one each; the agency and
# core together hold 3 of 4: more than 2/3, enough to pass a change.
OPERATORS = {"validator-0": "agency", "validator-1": "agency", "validator-2": "core",
             "validator-3": "supplier2"}


# ------------------------------------------------------------------ helpers


def issue(net: Network, creditor: str, debtor: str, basis: str,
          amount_fen: int = 1_000_000) -> str:
    """A voucher issued to `creditor` on `debtor` (apply, confirm, approve); its id."""
    members = net.members
    body = issuance.Apply(members[creditor].address,
                          terms(members[debtor], now_ms() + 180 * DAY_MS, basis, amount_fen))
    apply = build_tx(net.chain_id, "issuance", "apply", body, members[creditor])
    commit(net.api, apply)
    application = tx_id(apply)
    commit(net.api, confirm_tx(net.chain_id, members, application, signer=debtor))
    approved = commit(net.api, approve_tx(net.chain_id, members, application))
    return next(e["subject"] for e in approved["events"] if e["kind"] == "voucher.issued")


def transfer_tx(net: Network, holder: str, voucher: str, to: str, amount_fen: int) -> Any:
    body = transfer.Transfer(net.members[holder].address, bytes.fromhex(voucher),
                             net.members[to].address, amount_fen, None, "TC-1")
    return build_tx(net.chain_id, "transfer", "transfer", body, net.members[holder],
                    net.members[to])


class Load:
    """Applications between core and supplier2 throughout: other members' business. The
    transactions are made up front, in the test's thread (the codec compiles a type on
    its first use, once, and not from two threads at a time)."""

    def __init__(self, net: Network, count: int = 300) -> None:
        self.net = net
        self.accepted = 0
        self.refused = 0
        members = net.members
        self.txs = []
        for i in range(count):
            creditor, debtor = ("supplier2", "core") if i % 2 else ("core", "supplier2")
            body = issuance.Apply(members[creditor].address,
                                  terms(members[debtor], now_ms() + 90 * DAY_MS, f"L-{i}"))
            self.txs.append(build_tx(net.chain_id, "issuance", "apply", body,
                                     members[creditor]))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        for tx in self.txs:
            if self.stopped.is_set():
                return
            try:
                if post_tx(self.net.api, tx).status == 202:
                    self.accepted += 1
            except OSError:
                self.refused += 1  # a refused connection: counted, not accepted
            time.sleep(0.05)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)


def full_view(net: Network, kind: str, record_id: str, key: KeyPair) -> dict:
    """The full node's proof of a record, read as `key`."""
    return get(net.api, f"/v1/proofs/{kind}/{record_id}", key=key).json()


def held_vouchers(light: LightProcess) -> dict[str, dict]:
    out = {}
    for r in light.records():
        if r["kind"] == "voucher" and r["value"] is not None:
            view = get(light.api, f"/v1/vouchers/{r['id']}").json()
            out[r["id"]] = view
    return out


# ------------------------------------------------------------------ a tampering upstream


class TamperingProxy:
    """An upstream in front of a full node that passes requests on as they are and, in a
    mode the test sets, spoils its answers: "proof" flips a byte of each record proof,
    "event" drops the first event of each page, "header" flips a byte of each
    certificate."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.mode = "pass"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self.session = ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _handle(self, request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.startswith("X-Claimledger")}
        body = await request.read()
        async with self.session.request(request.method, self.target + request.raw_path,
                                        data=body or None, headers=headers) as answer:
            status, data = answer.status, await answer.read()
        if status == 200:
            data = self.spoil(request.path, data)
        return web.Response(status=status, body=data, content_type="application/json")

    def spoil(self, path: str, data: bytes) -> bytes:
        document = json.loads(data)
        if self.mode == "proof" and path.startswith("/v1/proofs/"):
            document["proof"] = flip_hex(document["proof"])
        elif self.mode == "event" and path == "/v1/events" and document["events"]:
            document["events"] = document["events"][1:]
        elif self.mode == "header" and path == "/v1/headers":
            for view in document["headers"]:
                view["certificate"] = flip_hex(view["certificate"])
        return json.dumps(document).encode()

    def __enter__(self) -> TamperingProxy:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            await self.session.close()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def flip_hex(text: str) -> str:
    """`text` with one byte near its end flipped (a signature's or a sibling's: the
    bytes stay well formed, only what they prove changes)."""
    at = len(text) - 8
    return text[:at] + format(int(text[at:at + 2], 16) ^ 0x01, "02x") + text[at + 2:]


@contextmanager
def light_node(root: Path, genesis: Path, member: KeyPair, upstream: list[str],
               chain_id: str) -> Iterator[LightProcess]:
    light = LightProcess(root, genesis, member, upstream, chain_id).start()
    try:
        yield light
    finally:
        light.stop()


# ------------------------------------------------------------------ the tests


def test_light_node_keeps_exactly_its_members_records_across_a_validator_set_change(
        tmp_path: Path) -> None:
    nets = make_cluster(tmp_path / "net", validators=4)
    text = nets[0].network_file.read_text(encoding="utf-8")
    for name, operator in OPERATORS.items():
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\noperator = "{operator}"\n')
    nets[0].network_file.write_text(text, encoding="utf-8")
    net = nets[0]
    procs = [NodeProcess(n).start() for n in nets]
    try:
        for proc in procs:
            proc.wait_ready()
        genesis = net.root / "home" / GENESIS_FILE
        supplier = net.members["supplier"]
        with light_node(tmp_path / "light", genesis, supplier, [nets[0].api, nets[1].api],
                        net.chain_id) as light:
            with Load(nets[1]) as load:
                first = issue(net, "supplier", "core", "HT-1")
                second = issue(net, "supplier", "core", "HT-2")
                theirs = issue(net, "supplier2", "core", "HT-3")  # another member's voucher
                # A part of the first moves to supplier2; the whole second one does too.
                commit(net.api, transfer_tx(net, "supplier", first, "supplier2", 300_000))
                commit(net.api, transfer_tx(net, "supplier", second, "supplier2", 1_000_000))

                # validator-3's power goes to 2, approved by the agency and core: in force
                # two heights after the approval that passes it.
                agency, core = net.members["agency"], net.members["core"]
                target = nets[3].validator.address
                propose = build_tx(net.chain_id, "nodes", "propose", nodes.Propose(
                    agency.address, nodes.Change("set_power", target, power=2),
                    now_ms() + DAY_MS), agency)
                commit(net.api, propose)
                proposal = tx_id(propose)
                commit(net.api, build_tx(net.chain_id, "nodes", "approve",
                                         nodes.Approve(agency.address, proposal), agency))
                applied = commit(net.api, build_tx(net.chain_id, "nodes", "approve",
                                                   nodes.Approve(core.address, proposal), core))
                assert "node.change_applied" in {e["kind"] for e in applied["events"]}
                changed_at = applied["height"] + nodes.APPLY_DELAY
                third = issue(net, "supplier", "core", "HT-4")  # after the change
                wait_until("the chain passes the change",
                           lambda: get(net.api, "/v1/status").json()["height"] > changed_at + 2)

                wait_until("the light node holds all its member's events",
                           lambda: caught_up(light, net))
                status = light.status()
                assert status["height"] > changed_at, status  # it followed the new set
                announced = get(net.api, f"/v1/headers?from={changed_at - 1}&limit=1").json()
                assert announced["headers"][0]["next_validators"] is not None  # a change
                assert load.accepted > 5

            held = {(r["kind"], r["id"]): r for r in light.records()}
            # Its member's vouchers: every state it held, each equal to the full node's.
            vouchers = {i: r for (k, i), r in held.items() if k == "voucher"}
            full = get(net.api, f"/v1/vouchers?holder={supplier.address.hex()}&limit=1000"
                       ).json()
            assert set(vouchers) == {v["id"] for v in full["vouchers"]}
            for voucher_id, record in vouchers.items():
                proven = full_view(net, "voucher", voucher_id, supplier)
                assert record["value"] == proven["value"], voucher_id
            # ...the consumed ones proven consumed; and no other member's voucher.
            states = held_vouchers(light)
            assert states[first]["status"] == "consumed"
            assert states[second]["status"] == "consumed"
            assert states[third]["status"] == "active"
            assert theirs not in states
            assert all(v["holder"] == supplier.address.hex() for v in states.values())
            # Its own records, equal to the full node's.
            for kind in ("member", "holder_totals", "debtor_record", "fee_account", "stream"):
                assert held[(kind, supplier.address.hex())]["value"] == \
                    full_view(net, kind, supplier.address.hex(), supplier)["value"], kind
            # Nothing it holds is about another member only.
            for kind, record_id in held:
                assert kind in ("voucher", "application", "member", "holder_totals",
                                "debtor_record", "fee_account", "stream"), kind
                if kind in ("member", "holder_totals", "debtor_record", "fee_account", "stream"):
                    assert record_id == supplier.address.hex()
            assert "refused" not in light.output()
            # What it asked for: never the other member's voucher, nor its own records.
            asked = get(light.api, "/v1/light/requests").json()["requests"]
            assert any(f"/v1/proofs/voucher/{first}" in target for target in asked)
            supplier2 = net.members["supplier2"].address.hex()
            assert not any(theirs in t or supplier2 in t for t in asked)
    finally:
        for proc in procs:
            if proc.alive():
                proc.kill()


def test_light_node_refuses_a_tampered_answer_and_keeps_its_store(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    with running(net):
        genesis = net.root / "home" / GENESIS_FILE
        supplier = net.members["supplier"]
        issue(net, "supplier", "core", "HT-1")
        with TamperingProxy(net.api) as proxy, \
                light_node(tmp_path / "light", genesis, supplier, [proxy.url],
                           net.chain_id) as light:
            wait_until("the light node catches up", lambda: caught_up(light, net))
            for mode, code in (("proof", "proof.bad_proof"), ("event", "proof.bad_stream"),
                               ("header", "proof.bad_certificate")):
                before = (light.records(), light.status()["events"])
                proxy.mode = mode
                issue(net, "supplier", "core", f"HT-{mode}")
                wait_until(f"the {mode} spoiled is refused", lambda code=code: (
                    light.status()["last_refusal"] or {}).get("code") == code)
                time.sleep(0.5)  # more rounds, all refused
                assert (light.records(), light.status()["events"]) == before, mode
                assert code in light.output()
                proxy.mode = "pass"
                wait_until("the light node catches up again", lambda: caught_up(light, net))
            assert len([r for r in light.records() if r["kind"] == "voucher"]) == 4


def test_the_wallet_reads_and_submits_through_the_light_node(tmp_path: Path) -> None:
    net = make_network(tmp_path / "net")
    with running(net):
        genesis = net.root / "home" / GENESIS_FILE
        supplier = net.members["supplier"]
        voucher = issue(net, "supplier", "core", "HT-1")
        key_file = tmp_path / "supplier-wallet.json"
        key_file.write_text(json.dumps(seal(supplier, PASSPHRASE, "supplier")))

        with light_node(tmp_path / "light", genesis, supplier, [net.api],
                        net.chain_id) as light:
            wait_until("the light node catches up", lambda: caught_up(light, net))

            def wallet(*args: str) -> dict:
                result = subprocess.run(
                    [sys.executable, "-m", "wallet.cli", "--node", light.api, "--json",
                     "--key", str(key_file), *args], capture_output=True, text=True,
                    timeout=60, cwd=ROOT, env={**os.environ, "CLAIMLEDGER_PASSPHRASE":
                                               PASSPHRASE})
                assert result.returncode == 0, result.stderr
                return json.loads(result.stdout)

            listed = wallet("vouchers")
            assert [v["id"] for v in listed["vouchers"]] == [voucher]
            assert listed["vouchers"][0]["proven_height"] > 0
            # A transfer offered through the light node: passed on, committed, the offered
            # part reserved beside the remainder; once the transferee signed for it (签收),
            # the remainder alone shows up here, proven.
            offered = wallet("transfer", voucher, "--to", net.members["agency"].address.hex(),
                             "--amount", "1000", "--contract-ref", "ZR-LIGHT-1")
            assert offered["status"] == "committed"
            wait_until("the light node catches up", lambda: caught_up(light, net))
            active = wallet("vouchers", "--status", "active")["vouchers"]
            assert sorted((v["amount_fen"], v["reserved_by"]) for v in active) == [
                (100_000, offered["id"]), (900_000, None)]
            agency = net.members["agency"]
            commit(net.api, build_tx(net.chain_id, "transfer", "sign", transfer.Sign(
                agency.address, bytes.fromhex(offered["id"])), agency))
            wait_until("the light node catches up", lambda: caught_up(light, net))
            active = wallet("vouchers", "--status", "active")["vouchers"]
            assert len(active) == 1 and active[0]["amount_fen"] == 1_000_000 - 100_000
            # Another member's records are not its to serve.
            other = get(light.api, f"/v1/vouchers?holder={net.members['core'].address.hex()}")
            assert other.status == 403 and other.error_code() == "read.forbidden"
            assert get(light.api, "/v1/members/" + supplier.address.hex()).status == 200
            stranger = get(light.api, "/v1/events?address=" + supplier.address.hex(),
                           key=net.members["core"])
            assert stranger.status == 403


# ------------------------------------------------------------------ its parts, in process


def test_a_stored_record_is_replaced_only_by_one_proven_at_a_later_height(
        tmp_path: Path) -> None:
    store = LightStore(tmp_path / "light")
    try:
        def proven(height: int, value: bytes) -> ProvenRecord:
            return ProvenRecord("voucher", b"\x01" * 32, height, b"v/" + b"\x01" * 32,
                                value, b"")

        store.write(Verified(records=(proven(5, b"five"),)))
        store.write(Verified(records=(proven(4, b"four"),)))  # an upstream behind
        held = store.record("voucher", b"\x01" * 32)
        assert held is not None and (held.height, held.value) == (5, b"five")
        store.write(Verified(records=(proven(6, b"six"),)))
        held = store.record("voucher", b"\x01" * 32)
        assert held is not None and (held.height, held.value) == (6, b"six")
    finally:
        store.close()


def test_a_member_event_names_the_records_its_light_node_fetches() -> None:
    member, other = b"\x01" * 32, b"\x02" * 32

    def event(kind: str, subject: bytes) -> AddressedEvent:
        return AddressedEvent(1, 0, 0, None, kind, subject, (member, other))

    named = named_records([event("voucher.transferred", b"\x0a" * 32),
                           event("application.submitted", b"\x0b" * 32),
                           event("pledge.registered", b"\x0c" * 32),
                           event("setoff.executed", b"\x0d" * 32),
                           event("node.change_applied", b"\x0e" * 32),  # no record of its
                           event("voucher.transferred", b"\x0a" * 32)])  # once each
    assert named == [("voucher", b"\x0a" * 32), ("application", b"\x0b" * 32),
                     ("pledge", b"\x0c" * 32), ("setoff_round", b"\x0d" * 32)]
    assert subject_kind("payment.accepted") == "voucher"


async def test_an_upstream_answer_is_read_whole_and_bounded() -> None:
    big = {"headers": ["ab" * 500] * 3000}  # some 3 MB, many reads of a socket

    async def headers(_: web.Request) -> web.Response:
        return web.json_response(big)

    async def huge(_: web.Request) -> web.Response:
        return web.Response(body=b"x" * (MAX_ANSWER_BYTES + 1))

    app = web.Application()
    app.add_routes([web.get("/v1/headers", headers), web.get("/v1/huge", huge)])
    async with TestServer(app, host="127.0.0.1") as server:
        upstream = Upstream((str(server.make_url("")).rstrip("/"),), KeyPair.generate(), "c")
        try:
            assert await upstream.get("/v1/headers") == big
            with pytest.raises(UpstreamError) as refused:
                await upstream.get("/v1/huge")
            assert refused.value.code == "light.upstream_too_large"
        finally:
            await upstream.close()
