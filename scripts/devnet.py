"""The local network: keys, node processes, demo data. Run through `scripts/devnet`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import (  # noqa: E402
    acquisition,
    credit,
    documents,
    fees,
    financing,
    issuance,
    obligations,
    payment,
    pledge,
    pricing,
    products,
    redemption,
    sale,
    setoff,
    transfer,
)
from contracts.codec import encode  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.keystore import seal, unseal  # noqa: E402
from contracts.ledger import make_transaction, sign_transaction  # noqa: E402
from contracts.requests import request_headers  # noqa: E402
from contracts.tx import Transaction, payload_id  # noqa: E402
from node.genesis import encode_genesis  # noqa: E402
from node.home import GENESIS_FILE, KEY_FILE, NODE_TOML, render_node_toml  # noqa: E402
from node.light.config import render_light_toml  # noqa: E402
from node.network_template import read_plan  # noqa: E402
from wallet.endpoint import pinning_opener  # noqa: E402

PASSPHRASE = "devnet"  # a local network's key stores; never use it for real keys
# The members that run a light node of their own (node/light): a supplier and the merchant.
LIGHT_MEMBERS = ("mingda", "merchant")
LIGHT_PORT = 8790  # their APIs, one after the other, unless --port moves every port
CHINA = timezone(timedelta(hours=8))
DEMO_CONTRACT = (
    "钢材供货合同 HT-2026-0815\n甲方: 华远建设 (Huayuan Construction)\n"
    "乙方: 明达钢铁 (Mingda Steel)\n"
    "金额: 人民币壹佰贰拾伍万元整 (¥1,250,000.00)\n双方同意以非货币方式清偿 (资产抵付/消费抵付)。\n"
)


def say(text: str = "") -> None:
    print(text, flush=True)


# ------------------------------------------------------------------ keys and config


def load_or_make_key(path: Path, name: str) -> KeyPair:
    if path.exists():
        return unseal(json.loads(path.read_text()), PASSPHRASE)
    key = KeyPair.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(seal(key, PASSPHRASE, name), indent=1))
    return key


def write_network(template: Path, out: Path, node_keys: dict[str, KeyPair],
                  member_keys: dict[str, KeyPair], apis: dict[str, str],
                  peers: dict[str, str], api_tls: str | None = None) -> None:
    """The template with every empty key and address filled in, the API and peer
    addresses, and every node's `api_tls` when one is given."""
    lines = []
    name = handle = None
    for line in template.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[["):
            name = handle = None
        elif stripped.startswith("name ="):
            name = tomllib.loads(stripped)["name"]
        elif stripped.startswith("handle ="):
            handle = tomllib.loads(stripped)["handle"]
        elif stripped == 'key = ""' and name in node_keys:
            line = f'key = "{node_keys[name].address.hex()}"'
        elif stripped.startswith("api =") and name in apis:
            line = f'api = "{apis[name]}"'
            if api_tls is not None:
                line += f'\napi_tls = "{api_tls}"'
        elif stripped.startswith("peer =") and name in peers:
            line = f'peer = "{peers[name]}"'
        elif stripped == 'address = ""' and handle in member_keys:
            line = f'address = "{member_keys[handle].address.hex()}"'
        lines.append(line)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_homes(directory: Path, network: Path, names: list[str]) -> Path:
    """DIR/genesis.json, made from the filled-in network.toml as `claimledger-node
    genesis` makes it, and each node's home DIR/<name> (its key store is there already):
    a copy of the genesis and a node.toml with its addresses and the plan's limits."""
    plan = read_plan(network.read_text(encoding="utf-8"))
    data = encode_genesis(plan.genesis)
    genesis = directory / GENESIS_FILE
    genesis.write_bytes(data)
    entries = {e.name: e for e in [*plan.genesis.validators, *plan.genesis.observers]}
    for name in names:
        home, entry = directory / name, entries[name]
        home.mkdir(parents=True, exist_ok=True)
        (home / GENESIS_FILE).write_bytes(data)
        (home / NODE_TOML).write_text(render_node_toml(
            name, entry.api, getattr(entry, "peer", None), limits=asdict(plan.limits),
            max_mempool_txs=plan.max_mempool_txs, sync_batch_blocks=plan.sync_batch_blocks),
            encoding="utf-8")
    return genesis


# ------------------------------------------------------------------ HTTP


def http(url: str, body: dict | None = None, timeout: float = 10,
         signer: Desk | None = None) -> dict:
    """The JSON answer to GET `url` (POST `body` if given), signed by `signer`'s key if given
    (every route but status, health, metrics and the OpenAPI document wants it)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if signer is not None:
        for name, value in request_headers(signer.key, signer.chain_id, request.get_method(),
                                           request.selector, data or b"",
                                           time.time_ns() // 1_000_000).items():
            request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


class Desk(NamedTuple):  # (not a dataclass: tests load this file as a bare module)
    """A node's API as one member calls it: its requests signed with the member's key. The
    devnet reads as the agency, which reads every record and runs the demo's set-off."""

    url: str
    chain_id: str
    key: KeyPair

    def call(self, path: str, body: dict | None = None, timeout: float = 10) -> dict:
        """`http` of `path` on this node, signed."""
        return http(self.url + path, body, timeout, self)


def wait_up(api: str, process: subprocess.Popen | None = None, log: Path | None = None,
            seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return http(f"{api}/v1/status", timeout=1)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process is not None and process.poll() is not None:
                last = log.read_text(errors="replace").strip().splitlines()[-1:] if log else []
                hint = ""
                if last and ("store.other_network" in last[0] or "genesis.mismatch" in last[0]):
                    hint = ("\nthe data directory holds a chain of other rules or another "
                            "network; remove it (or use --dir) to start afresh")
                raise SystemExit(f"the node at {api} exited: {' '.join(last)}{hint}") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"the node at {api} did not come up; see its log") from None
            time.sleep(0.2)


def submit(api: Desk, *txs) -> list[dict]:
    """Submit `txs` in order (the mempool accepts one that builds on another pending one),
    then wait until each is committed."""
    ids = []
    for tx in txs:
        answer = api.call("/v1/txs", {"tx": encode(tx).hex()})
        if "error" in answer:
            raise SystemExit(f"demo transaction refused: {answer['error']}")
        ids.append(answer["id"])
    results = []
    for tx_id in ids:
        for _ in range(20):
            result = api.call(f"/v1/txs/{tx_id}?wait_ms=3000")
            if result["status"] != "pending":
                break
        if result["status"] != "committed":
            raise SystemExit(f"demo transaction not committed: {result}")
        results.append(result)
    return results


# ------------------------------------------------------------------ demo data


def fen_text(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def subjects(result: dict, kind: str) -> list[str]:
    return [e["subject"] for e in result["events"] if e["kind"] == kind]


def day_end_ms(days_ahead: int) -> int:
    """24:00 China time, `days_ahead` days from today: how the wallet reads a due date."""
    day = datetime.now(CHINA).date() + timedelta(days=days_ahead)
    return int(datetime(day.year, day.month, day.day, tzinfo=CHINA).timestamp() * 1000) \
        + issuance.DAY_MS


DEMO_KEYS = ("application", "voucher", "pending_application", "xinhe_part", "pledge",
             "for_sale", "commitment", "merchant_part", "offers", "redemption", "extending",
             "overdue", "obligations", "setoff_round", "setoff_remainder", "setoff_run",
             "product", "financing_request", "financed_pledge", "claim_sale", "passed_on")
SETOFF_FEN = 5_000_000  # what the demo's set-off round clears on each of its three legs
RUN_FEN = 2_000_000  # what the demo's set-off run clears on each of its three legs


def load_demo(api: Desk, keys: dict[str, KeyPair], soon_s: int = 12) -> dict:
    """Every lifecycle operation once, so a newcomer finds each of them on the ledger."""
    registry = default_registry()
    status = api.call("/v1/status")
    chain_id, height = status["chain_id"], status["height"]
    a = {handle: key.address for handle, key in keys.items()}

    def signed(contract: str, operation: str, body, *signers: str):
        unsigned = make_transaction(registry, chain_id, contract, operation, body,
                                    height + 100_000, int.from_bytes(os.urandom(7), "big"))
        for handle in signers:
            unsigned = sign_transaction(unsigned, keys[handle])
        return unsigned

    def basis(creditor: str, debtor: str, document: bytes) -> bytes:
        """The basis digest the creditor's wallet records (keyed by the two parties)."""
        return documents.basis_digest(keys[creditor], a[creditor], a[debtor], document)

    def run(contract: str, operation: str, body, *signers: str) -> dict:
        return submit(api, signed(contract, operation, body, *signers))[0]

    def issue(creditor: str, amount_fen: int, due_ms: int, ext_days: int, ext_max: int,
              basis_ref: str, document: bytes, asset: bool = True) -> tuple[str, str]:
        terms = issuance.Terms(
            debtor=a["core"], amount_fen=amount_fen, due_ms=due_ms, asset_offset=asset,
            consumption_offset=True, extension_days=ext_days, extension_max=ext_max,
            basis_ref=basis_ref, basis_sha256=basis(creditor, "core", document),
        )
        # Apply, confirm and approve go in together: a voucher due within seconds is
        # issued in the next block or two, however slow the network is to commit each.
        apply = signed("issuance", "apply", issuance.Apply(a[creditor], terms), creditor)
        application = payload_id(apply.payload)
        *_, approved = submit(
            api, apply,
            signed("issuance", "confirm", issuance.Confirm(a["core"], application), "core"),
            signed("issuance", "approve", issuance.Approve(a["agency"], application), "agency"),
        )
        return application.hex(), subjects(approved, "voucher.issued")[0]

    now_ms = int(time.time() * 1000)
    # Two small vouchers that fall due within seconds: one extends, one goes overdue.
    _, extending = issue("xinhe", 8_000_000, now_ms + soon_s * 1000, 30, 1,
                         "HT-2026-0701 水泥供货合同 (due now, 30-day extension clause)",
                         b"HT-2026-0701 cement supply contract")
    _, overdue = issue("mingda", 5_000_000, now_ms + soon_s * 1000, 0, 0,
                       "HT-2026-0702 钢材供货合同 (due now, no extension clause)",
                       b"HT-2026-0702 steel supply contract")
    # The main demo voucher: ¥1,250,000.00 of Huayuan Construction to Mingda Steel.
    application, voucher = issue("mingda", 125_000_000, day_end_ms(180), 90, 2,
                                 "HT-2026-0815 钢材供货合同", DEMO_CONTRACT.encode())
    # Mingda offers ¥300,000 upstream to Xinhe Cement (流转): the part is reserved until
    # Xinhe signs for it (签收); then the debtor is notified and Mingda owes the fee.
    offered = run("transfer", "offer", transfer.Offer(
        a["mingda"], bytes.fromhex(voucher), a["xinhe"], 30_000_000, None,
        "ZR-2026-0816 债权转让合同", 7), "mingda")
    mingda_rest = subjects(offered, "voucher.remainder")[0]
    moved = run("transfer", "sign", transfer.Sign(
        a["xinhe"], bytes.fromhex(subjects(offered, "transfer.offered")[0])), "xinhe")
    xinhe_part = subjects(moved, "voucher.transferred")[0]
    # The bank publishes the pledge loan it offers holders of claims (资金提供方的产品).
    product = run("product", "publish", products.Publish(
        a["bank"], "应收账款质押贷款", "pledge_loan", products.Terms(
            None, 30, 360, 350, 600, 10_000_000, 500_000_000, "BANK-PRODUCT-2026-07")),
        "bank")
    # Xinhe pledges its part to the bank for a loan (质押登记).
    pledged = run("pledge", "create", pledge.Create(
        a["xinhe"], a["bank"], bytes.fromhex(xinhe_part), 25_000_000, day_end_ms(90),
        "LOAN-2026-1124-001 流动资金贷款", 20_000_000, 365,
        pledge.Filing("05487683000123456789", day_end_ms(0), day_end_ms(365))), "xinhe", "bank")
    # Mingda splits the rest: ¥600,000 for an acquirer, ¥350,000 to spend.
    split = run("transfer", "split", transfer.Split(
        a["mingda"], bytes.fromhex(mingda_rest), (60_000_000, 35_000_000), None), "mingda")
    for_sale, to_spend = subjects(split, "voucher.split")
    committed = run("acquisition", "commit", acquisition.Commit(
        a["acquirer"], a["mingda"], bytes.fromhex(for_sale), 9_500, day_end_ms(60),
        day_end_ms(180), "收购协议 SG-2026-017: 95% of face after a 60-day lock"),
        "acquirer", "mingda")
    # Mingda pays the merchant ¥150,000 for building supplies (抵付货款).
    paid = run("payment", "pay", payment.Pay(
        a["mingda"], bytes.fromhex(to_spend), a["merchant"], 15_000_000,
        "ORDER-LH-88231 钢筋 40 吨", None), "mingda", "merchant")
    merchant_part = subjects(paid, "voucher.transferred")[0]
    mingda_small = subjects(paid, "voucher.remainder")[0]
    # Huayuan lists what it settles with (资产抵付 / 消费抵付).
    flat = run("redemption", "publish", redemption.Publish(
        a["core"], "asset", "华远花园 3-1201, 98 m² flat with title transfer", 118_000_000,
        "钦房权证字第2026000118号"),
        "core")
    materials = run("redemption", "publish", redemption.Publish(
        a["core"], "consumption", "华远建材商城: building materials, up to ¥100,000", 10_000_000),
        "core")
    # The merchant redeems ¥100,000 of its part; ¥50,000 keeps circulating.
    asked = run("redemption", "request", redemption.Ask(
        a["merchant"], bytes.fromhex(merchant_part), bytes.fromhex(materials["id"]),
        10_000_000, None), "merchant")
    accepted = run("redemption", "accept", redemption.Accept(
        a["core"], bytes.fromhex(asked["id"]), "", ""), "core")
    merchant_rest = subjects(accepted, "voucher.remainder")[0]
    # A pledge released by the bank (解除质押), and a fee payment the agency recorded.
    second = run("pledge", "create", pledge.Create(
        a["mingda"], a["bank"], bytes.fromhex(mingda_small), 20_000_000, day_end_ms(30),
        "LOAN-2026-1124-002", 16_000_000, 380, None), "mingda", "bank")
    run("pledge", "release", pledge.Release(a["bank"], bytes.fromhex(second["id"])), "bank")
    run("fees", "record_payment", fees.RecordPayment(
        a["agency"], a["mingda"], 150, "BANK-TRANSFER 2026-11-24 fee"), "agency")
    financed = financing_demo(run, issue, a, api)
    # Room for the application that waits below and for what members try on the devnet
    # (¥50,000,000): the limit is there to be seen, and met only on purpose.
    limits = credit_demo(run, signed, a, api, 5_000_000_000)
    # An application waiting for the core enterprise's confirmation (确权).
    pending_terms = issuance.Terms(
        debtor=a["core"], amount_fen=38_000_000, due_ms=day_end_ms(180),
        asset_offset=False, consumption_offset=True, extension_days=0, extension_max=0,
        basis_ref="HT-2026-0902 水泥供货合同",
        basis_sha256=basis("xinhe", "core", b"HT-2026-0902 cement supply contract"),
    )
    pending = run("issuance", "apply", issuance.Apply(a["xinhe"], pending_terms), "xinhe")
    # Debts that close a loop with Huayuan's voucher to Xinhe (the extending one): Xinhe
    # owes Mingda for rebar, Mingda owes Huayuan for site services. Uploaded by each
    # creditor and confirmed by each debtor, while the small vouchers fall due.
    rebar = signed("obligation", "submit", obligations.Submit(
        a["mingda"], a["xinhe"], SETOFF_FEN, day_end_ms(60), "INV-MD-2026-1107 钢筋 12 吨",
        basis("mingda", "xinhe", b"INV-MD-2026-1107 rebar invoice")), "mingda")
    services = signed("obligation", "submit", obligations.Submit(
        a["core"], a["mingda"], SETOFF_FEN, day_end_ms(45), "HY-SVC-2026-031 场地及吊装服务",
        basis("core", "mingda", b"HY-SVC-2026-031 site services invoice")), "core")
    loop = [payload_id(rebar.payload), payload_id(services.payload)]
    submit(api, rebar, services,
           signed("obligation", "confirm", obligations.Confirm(a["xinhe"], loop[0]), "xinhe"),
           signed("obligation", "confirm", obligations.Confirm(a["mingda"], loop[1]), "mingda"))
    # Let the two small vouchers fall due: an end-of-block step extends one, marks one overdue.
    deadline = time.monotonic() + soon_s + 15
    while time.monotonic() < deadline:
        found = api.call(f"/v1/vouchers/{overdue}")
        if found.get("overdue_since_ms") is not None:
            break
        time.sleep(0.5)
    # Mingda, the merchant and the acquirer sign standing set-off mandates (抵销授权) and owe
    # each other in a loop; the agency's run clears it without a round. Xinhe signs none:
    # the loop through it is a round its members consent to, as before.
    run_loop = [("merchant", "mingda", "LH-CANTEEN-2026-11 员工餐费"),
                ("acquirer", "merchant", "SHOP-RENT-2026-Q4 店铺租金"),
                ("mingda", "acquirer", "MD-SO-2026-1120 钢材采购")]
    run_debts = [signed("obligation", "submit", obligations.Submit(
        a[creditor], a[debtor], RUN_FEN, day_end_ms(60), ref,
        basis(creditor, debtor, ref.encode())), creditor) for creditor, debtor, ref in run_loop]
    submit(api, *run_debts, *(
        signed("obligation", "confirm", obligations.Confirm(a[debtor], payload_id(tx.payload)),
               debtor) for tx, (_, debtor, _) in zip(run_debts, run_loop, strict=True)),
        *(signed("setoff", "mandate", setoff.SignMandate(a[who], RUN_FEN * 2, day_end_ms(180)),
                 who) for who in ("mingda", "merchant", "acquirer")))
    run_id = setoff_run(api, signed, a)
    round_id, remainder = setoff_round(api, signed, a)
    return {
        "application": application, "voucher": voucher, "pending_application": pending["id"],
        "xinhe_part": xinhe_part, "pledge": pledged["id"], "for_sale": for_sale,
        "commitment": committed["id"], "merchant_part": merchant_rest,
        "offers": [flat["id"], materials["id"]], "redemption": asked["id"],
        "extending": extending, "overdue": overdue, "obligations": [i.hex() for i in loop],
        "setoff_round": round_id, "setoff_remainder": remainder, "setoff_run": run_id,
        "product": subjects(product, "product.published")[0], **financed, **limits,
    }


def financing_demo(run: Callable[..., dict], issue: Callable[..., tuple[str, str]],
                   a: dict[str, bytes], api: Desk) -> dict:
    """The financing side once each: a request to two funders, a quote, a refusal, the
    acceptance that registers the pledge, its amendment; a factor buying part of a claim
    at the ledger's discount and passing it on (签收)."""
    _, cement = issue("xinhe", 40_000_000, day_end_ms(150), 0, 0,
                      "HT-2026-0910 水泥供货合同", b"HT-2026-0910 cement supply contract")
    # Xinhe asks the bank and the microlender to lend on ¥300,000 of it (融资需求推送).
    asked = run("financing", "request", financing.Request(
        a["xinhe"], bytes.fromhex(cement), 30_000_000, "pledge_loan", 90,
        tuple(sorted((a["bank"], a["microlender"]))), 7), "xinhe")
    request = bytes.fromhex(subjects(asked, "financing.requested")[0])
    run("financing", "decline", financing.Decline(
        a["microlender"], request, "本月授信额度已用完 (this month's credit line is used up)"),
        "microlender")
    now_ms = api.call("/v1/status")["time_ms"]
    quoted = run("financing", "quote", financing.Quote(
        a["bank"], request, 24_000_000, 435, 90, None, now_ms + 3 * issuance.DAY_MS), "bank")
    quote = bytes.fromhex(subjects(quoted, "financing.quoted")[0])
    accepted = run("financing", "accept", financing.Accept(
        a["xinhe"], a["bank"], quote, "LOAN-2026-1205-003 应收账款质押贷款",
        pledge.Filing("05487683000123456790", day_end_ms(0), day_end_ms(365))),
        "xinhe", "bank")
    loan = subjects(accepted, "pledge.registered")[0]
    registered = api.call(f"/v1/pledges/{loan}")
    # The loan's due date moves a month later, both signing (变更登记).
    run("pledge", "amend", pledge.Amend(
        a["xinhe"], a["bank"], bytes.fromhex(loan), registered["secured_fen"],
        registered["loan_due_ms"] + 30 * issuance.DAY_MS, registered["loan_fen"],
        registered["loan_rate_bp"], pledge.Filing(**registered["filing"])), "xinhe", "bank")
    # Mingda sells ¥100,000 of a new claim to the factor at 5.40% a year, with recourse
    # (保理): the price is the ledger's, the face discounted for the whole days to its due.
    _, steel = issue("mingda", 20_000_000, day_end_ms(120), 0, 0,
                     "HT-2026-0911 钢材供货合同", b"HT-2026-0911 steel supply contract")
    due_ms = api.call(f"/v1/vouchers/{steel}")["due_ms"]
    now_ms = api.call("/v1/status")["time_ms"]
    if pricing.whole_days(now_ms, due_ms) != pricing.whole_days(now_ms + 60_000, due_ms):
        time.sleep(61)  # a day less remains within the minute: price it after that
        now_ms += 61_000
    price = pricing.discounted_fen(10_000_000, 540, pricing.whole_days(now_ms, due_ms))
    sold = run("sale", "sell", sale.Sell(
        a["mingda"], a["factor"], bytes.fromhex(steel), 10_000_000, 540, price, True,
        "BL-2026-1205-001 保理合同", (), None), "mingda", "factor")
    bought = subjects(sold, "voucher.sold")[0]
    # The factor passes it on to the bank (再保理), which signs for it (签收).
    offered = run("transfer", "offer", transfer.Offer(
        a["factor"], bytes.fromhex(bought), a["bank"], 10_000_000, None,
        "ZR-2026-1205 再保理转让合同", 7), "factor")
    passed = run("transfer", "sign", transfer.Sign(
        a["bank"], bytes.fromhex(subjects(offered, "transfer.offered")[0])), "bank")
    return {"financing_request": request.hex(), "financed_pledge": loan,
            "claim_sale": subjects(sold, "sale.sold")[0],
            "passed_on": subjects(passed, "voucher.transferred")[0]}


def credit_demo(run: Callable[..., dict], signed: Callable[..., Transaction],
                a: dict[str, bytes], api: Desk, room_fen: int) -> dict:
    """The bank's exposure limit on Huayuan (大额风险暴露), and Huayuan's issuance limit
    (授信额度) following the bank's credit line, set with `room_fen` left for new
    applications; an application over it is refused."""
    run("credit", "set_exposure_limit", credit.SetExposureLimit(
        a["bank"], a["core"], 500_000_000), "bank")
    used_fen = api.call(f"/v1/credit/debtors/{a['core'].hex()}")["used_fen"]
    limit_fen = -(-(used_fen + room_fen) // 10_000_000) * 10_000_000  # whole ¥100,000
    run("credit", "set_limit", credit.SetLimit(
        a["agency"], a["core"], limit_fen, a["bank"], "SX-2026-1201 综合授信协议"),
        "agency", "bank")
    over = issuance.Terms(
        debtor=a["core"], amount_fen=limit_fen - used_fen + 1, due_ms=day_end_ms(180),
        asset_offset=False, consumption_offset=True, extension_days=0, extension_max=0,
        basis_ref="HT-2026-0903 超额申请", basis_sha256=bytes(32))
    answer = api.call("/v1/txs", {"tx": encode(signed(
        "issuance", "apply", issuance.Apply(a["mingda"], over), "mingda")).hex()})
    if "error" not in answer:  # checked in the block, not at the door: read its result
        answer = api.call(f"/v1/txs/{answer['id']}?wait_ms=3000")
    return {"issuance_limit_fen": limit_fen,
            "refused_over_limit": answer.get("error", {}).get("code", "not refused")}


def setoff_run(api: Desk, signed: Callable[..., Transaction], a: dict[str, bytes]) -> str:
    """The agency runs the plan's set-off over the members with a mandate: opens a run,
    submits its batch, closes it. The run's id."""
    plan = api.call("/v1/setoff/plan?run_batches=1")
    if "error" in plan or plan["run"]["planned_fen"] != 3 * RUN_FEN:
        raise SystemExit(f"demo set-off run: expected one loop of mandated members, got {plan}")
    now_ms = api.call("/v1/status")["time_ms"]
    (opened,) = submit(api, signed("setoff", "open_run", setoff.OpenRun(
        a["agency"], now_ms + 3_600_000, plan["run"]["planned_fen"], plan["run"]["optimum_fen"],
        plan["total_fen"], plan["bound_fen"]), "agency"))
    run_id = bytes.fromhex(opened["id"])
    submit(api, *(signed("setoff", "run_batch", setoff.RunBatch(
        a["agency"], run_id, number, tuple(setoff.Reduction(kind, bytes.fromhex(debt), fen)
                                           for kind, debt, fen in batch)), "agency")
        for number, batch in enumerate(plan["run_batches"])),
        signed("setoff", "close_run", setoff.CloseRun(a["agency"], run_id), "agency"))
    run = api.call(f"/v1/setoff/runs/{opened['id']}")
    if run.get("cleared_fen") != 3 * RUN_FEN:
        raise SystemExit(f"demo set-off run did not clear its loop: {run}")
    return opened["id"]


def setoff_round(api: Desk, signed: Callable[..., Transaction], a: dict[str, bytes]
                 ) -> tuple[str, str]:
    """The agency proposes the plan's round (债权债务闭环抵销) and its three members consent;
    the last consent executes it. The round's id and the voucher's remainder."""
    plan = api.call("/v1/setoff/plan")
    if "error" in plan or len(plan["rounds"]) != 1:
        raise SystemExit(f"demo set-off plan: expected one round, got {plan}")
    (planned,) = plan["rounds"]
    if len(planned["reductions"]) != 3 or planned["cleared_fen"] != 3 * SETOFF_FEN:
        raise SystemExit(f"demo set-off plan: expected three legs, got {planned}")
    reductions = tuple(setoff.Reduction(r["kind"], bytes.fromhex(r["id"]), r["amount_fen"])
                       for r in planned["reductions"])
    deadline_ms = api.call("/v1/status")["time_ms"] + 48 * 3_600_000
    (proposed,) = submit(api, signed("setoff", "propose", setoff.Propose(
        a["agency"], reductions, deadline_ms, plan["total_fen"], plan["bound_fen"]), "agency"))
    round_id = bytes.fromhex(proposed["id"])
    *_, executed = submit(api, *(signed("setoff", "consent", setoff.Consent(a[who], round_id),
                                        who) for who in ("xinhe", "mingda", "core")))
    if "setoff.executed" not in [e["kind"] for e in executed["events"]]:
        raise SystemExit(f"demo set-off round did not execute: {executed}")
    return proposed["id"], subjects(executed, "voucher.remainder")[0]


# ------------------------------------------------------------------ start and stop


def alive(pid: int) -> bool:
    try:  # reap it first if it is our own child (the foreground devnet's nodes)
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def start(directory: Path, detach: bool, port: int | None, tls: bool = False) -> None:
    state_file = directory / "devnet.json"
    if state_file.exists():
        previous = json.loads(state_file.read_text())
        if any(alive(n["pid"]) for n in [*previous["nodes"], *previous.get("lights", [])]):
            raise SystemExit(f"a devnet is already running from {directory}; "
                             f"stop it with: scripts/devnet stop --dir {directory}")
    template = ROOT / "network.toml"
    raw = tomllib.loads(template.read_text(encoding="utf-8"))
    keys_dir = directory / "keys"  # the members' key stores; each node's is in its home
    node_keys = {v["name"]: load_or_make_key(directory / v["name"] / KEY_FILE, v["name"])
                 for v in raw["validators"] + raw.get("observers", [])}
    member_keys = {m["handle"]: load_or_make_key(keys_dir / f"{m['handle']}.json", m["name"])
                   for m in raw["members"]}
    entries = [("validator", v) for v in raw["validators"]] + \
              [("observer", o) for o in raw.get("observers", [])]
    if port is not None:  # validators', then observers' APIs, then validators' peer links
        for i, (_, entry) in enumerate(entries):
            entry["api"] = f"127.0.0.1:{port + i}"
        for i, validator in enumerate(raw["validators"]):
            validator["peer"] = f"127.0.0.1:{port + len(entries) + i}"
    apis = {entry["name"]: entry["api"] for _, entry in entries}
    peers = {v["name"]: v["peer"] for v in raw["validators"]}
    network = directory / "network.toml"  # the plan with its keys: what the genesis says
    write_network(template, network, node_keys, member_keys, apis, peers,
                  "node-key" if tls else None)
    genesis = write_homes(directory, network, [entry["name"] for _, entry in entries])
    if tls:  # this script's own requests pin each node's certificate to its node key
        urllib.request.install_opener(pinning_opener(genesis))
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE}
    nodes = []
    lights: list[dict] = []  # the members' light nodes (node/light)
    processes: list[subprocess.Popen] = []
    for role, entry in entries:
        name = entry["name"]
        log = directory / "logs" / f"{name}.log"
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "claimledger-node"), "run",
             "--home", str(directory / name)],
            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        scheme = "https" if tls else "http"
        nodes.append({"name": name, "role": role, "api": f"{scheme}://{entry['api']}",
                      "pid": process.pid, "log": str(log)})
        processes.append(process)
    try:
        for n, process in zip(nodes, processes, strict=True):
            wait_up(n["api"], process, Path(n["log"]))
        api = Desk(nodes[0]["api"], raw["chain_id"], member_keys["agency"])
        holder = member_keys["mingda"].address.hex()
        existing = api.call(f"/v1/vouchers?holder={holder}").get("vouchers")
        demo = None
        if existing:  # a restart: the chain kept its demo data
            previous = json.loads(state_file.read_text()) if state_file.exists() else {}
            demo = previous.get("demo")
            if not demo or not set(DEMO_KEYS) <= demo.keys():  # devnet.json lost or old
                demo = dict.fromkeys(DEMO_KEYS, "(unknown)") | {
                    "voucher": existing[0]["id"], "application": existing[0]["application"]}
        else:
            say("loading demo data …")
            demo = load_demo(api, member_keys)
        if not tls:  # a light node checks an upstream's certificate against CAs only
            first_light = LIGHT_PORT if port is None else \
                port + len(entries) + len(raw["validators"])
            start_lights(directory, genesis, keys_dir, member_keys,
                         [n["api"] for n in nodes[:2]], first_light, env, lights)
    except BaseException:
        for n in [*nodes, *lights]:
            if alive(n["pid"]):
                os.kill(n["pid"], signal.SIGTERM)
        raise
    members = [
        {"handle": m["handle"], "name": m["name"], "roles": m["roles"],
         "address": member_keys[m["handle"]].address.hex(),
         "key_file": str((keys_dir / f"{m['handle']}.json").resolve())}
        for m in raw["members"]
    ]
    state = {"chain_id": raw["chain_id"], "dir": str(directory.resolve()),
             "network": str(genesis.resolve()), "passphrase": PASSPHRASE, "tls": tls,
             "nodes": nodes, "lights": lights, "members": members, "demo": demo}
    state_file.write_text(json.dumps(state, indent=2, ensure_ascii=False))
    guide(state)
    if detach:
        return
    follow(state, api)


def free_or_other(port: int) -> int:
    """`port` if nothing listens on it, else one the system picks."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lights(directory: Path, genesis: Path, keys_dir: Path,
                 member_keys: dict[str, KeyPair], upstream: list[str], first_port: int,
                 env: dict[str, str], lights: list[dict]) -> None:
    """A light node for each of LIGHT_MEMBERS, following the chain through `upstream`,
    added to `lights` as it starts; each answers its status before this returns (it
    catches up with the chain on its own)."""
    for i, handle in enumerate(LIGHT_MEMBERS):
        home = directory / f"light-{handle}"
        home.mkdir(parents=True, exist_ok=True)
        (home / GENESIS_FILE).write_bytes(genesis.read_bytes())
        api = f"127.0.0.1:{free_or_other(first_port + i)}"
        (home / NODE_TOML).write_text(render_light_toml(
            member_keys[handle].address, upstream, api,
            str((keys_dir / f"{handle}.json").resolve())), encoding="utf-8")
        log = directory / "logs" / f"light-{handle}.log"
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "claimledger-node"), "run", "--member",
             member_keys[handle].address.hex(), "--home", str(home)],
            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        lights.append({"name": f"light-{handle}", "member": handle, "role": "light",
                       "api": f"http://{api}", "pid": process.pid, "log": str(log)})
        wait_up(f"http://{api}", process, log)


def guide(state: dict) -> None:
    api = state["nodes"][0]["api"]
    by = {m["handle"]: m for m in state["members"]}
    say(f"\nClaimledger devnet '{state['chain_id']}' is up.")
    for n in state["nodes"]:
        say(f"  {n['role']:<10} {n['name']:<14} {n['api']}/v1/status   log {n['log']}")
    lights = state.get("lights", [])
    if lights:
        say("\nLight nodes (node/light): each follows the chain's headers from the genesis and")
        say("keeps its member's records with their proofs; its member's wallet reads from it:")
        for n in lights:
            say(f"  light      {n['member']:<14} {n['api']}   log {n['log']}")
            say(f"    CLAIMLEDGER_PASSPHRASE=devnet .venv/bin/claimledger-wallet --node {n['api']} "
                f"--key {by[n['member']]['key_file']} vouchers")
    desk = next((n for n in state["nodes"] if n["role"] == "observer"), state["nodes"][0])
    say("\nExplorer (read-only web pages, served by every node):")
    if state.get("tls"):
        say("  (over TLS with certificates bound to the node keys, which browsers do not know:")
        say("  the browser warns; the wallet checks them against genesis.json)")
    say(f"  explorer: {desk['api']}/explorer/   the regulator's desk ({desk['name']})")
    say(f"  explorer: {api}/explorer/   on a validator ({state['nodes'][0]['name']})")
    say("  Only the agency and regulators open it: sign in with a one-time link from the wallet")
    say(f"  CLAIMLEDGER_PASSPHRASE=devnet .venv/bin/claimledger-wallet --node {desk['api']} "
        f"--key {by['regulator']['key_file']} explorer")
    say("\nMembers (key stores, passphrase 'devnet'):")
    for m in state["members"]:
        say(f"  {m['handle']:<10} {m['address'][:16]}…  {m['name']}")
    demo = state["demo"]
    say("\nDemo data: every lifecycle operation once.")
    say(f"  voucher {demo['voucher']}")
    say(f"  product {demo['product'][:16]}…: the bank's pledge loan (应收账款质押贷款, 3.5–6%)")
    say("    ¥1,250,000.00 of Huayuan to Mingda Steel: ¥300,000 passed to Xinhe and pledged")
    say(f"    to the bank (pledge {demo['pledge'][:16]}…, filed at 中登网), the rest split;")
    say(f"    ¥600,000 under an acquisition commitment ({demo['commitment'][:16]}…), ¥150,000 paid")
    say("    to the merchant, who redeemed ¥100,000 against Huayuan's building-materials offer;")
    say(f"  financing request {demo['financing_request'][:16]}…: Xinhe asked the bank and the "
        "microlender to lend on ¥300,000; the microlender declined, the bank quoted and")
    say(f"    Xinhe accepted: pledge {demo['financed_pledge'][:16]}…, then amended (融资需求推送);")
    say(f"  sale {demo['claim_sale'][:16]}…: Mingda sold ¥100,000 of a claim to the factor at "
        "5.40% with recourse (保理),")
    say(f"    and the factor passed it to the bank, which signed for it (签收: "
        f"{demo['passed_on'][:16]}…);")
    say(f"  voucher {demo['extending'][:16]}… fell due and extended 30 days (展期);")
    say(f"  voucher {demo['overdue'][:16]}… fell due with no extension clause: overdue (逾期);")
    say(f"  application {demo['pending_application']} awaits the core enterprise's "
        "confirmation;")
    say(f"  Huayuan's issuance limit {fen_text(demo['issuance_limit_fen'])} follows the bank's "
        "credit line (授信额度);")
    say("    the bank caps its exposure to Huayuan at ¥5,000,000 (大额风险暴露); an application")
    say(f"    over the limit was refused ({demo['refused_over_limit']});")
    say(f"  set-off round {demo['setoff_round']}")
    say("    (债权债务闭环抵销): Huayuan owed Xinhe through that extended voucher, Xinhe owed")
    say("    Mingda for rebar, Mingda owed Huayuan for site services; the agency proposed")
    say(f"    the plan's round, all three consented, {fen_text(SETOFF_FEN)} was cleared on each")
    say(f"    leg, and the voucher's remainder {demo['setoff_remainder'][:16]}… circulates on;")
    say(f"  set-off run {demo['setoff_run']}")
    say("    Mingda, the merchant and the acquirer signed standing mandates (抵销授权); the")
    say(f"    agency's run cleared their loop, {fen_text(RUN_FEN)} on each leg, with no round.\n")
    say("Try the wallet:")
    wallet = ".venv/bin/claimledger-wallet --key"
    if state.get("tls"):  # the wallet pins the node's certificate to its key
        say(f"  export CLAIMLEDGER_NODE={state['nodes'][0]['name']} "
            f"CLAIMLEDGER_NETWORK={state['network']} CLAIMLEDGER_PASSPHRASE=devnet")
    else:
        say(f"  export CLAIMLEDGER_NODE={api} CLAIMLEDGER_PASSPHRASE=devnet")
    say(f"  {wallet} {by['mingda']['key_file']} outstanding")
    say(f"  {wallet} {by['mingda']['key_file']} lineage {demo['voucher']}")
    say(f"  {wallet} {by['core']['key_file']} record {by['core']['address']}")
    say(f"  {wallet} {by['core']['key_file']} events")
    say(f"  {wallet} {by['bank']['key_file']} pledges")
    say(f"  {wallet} {by['xinhe']['key_file']} product list")
    say(f"  {wallet} {by['mingda']['key_file']} pledge-certificate "
        f"--debtor {by['core']['address']}")
    say(f"  {wallet} {by['mingda']['key_file']} overdue")
    say(f"  {wallet} {by['core']['key_file']} confirm {demo['pending_application']}")
    say(f"  {wallet} {by['agency']['key_file']} approve {demo['pending_application']}")
    say(f"  {wallet} {by['mingda']['key_file']} obligations")
    say(f"  {wallet} {by['xinhe']['key_file']} setoff round {demo['setoff_round']}")
    say(f"  {wallet} {by['agency']['key_file']} setoff plan")
    say(f"  {wallet} {by['mingda']['key_file']} credit show {by['core']['address']}")
    say(f"  {wallet} {by['bank']['key_file']} credit exposure {by['core']['address']}")
    say(f"  {wallet} {by['mingda']['key_file']} setoff mandate")
    # Every other route wants a request signed by a member key, which the wallet makes.
    curl = "curl --insecure" if state.get("tls") else "curl"  # curl knows no node keys
    say(f"  {curl} {api}/v1/status   (status and health need no signature)")
    say(f"  scripts/devnet stop --dir {state['dir']}\n")


def follow(state: dict, api: Desk) -> None:
    say("Committed blocks (Ctrl-C stops the network):")
    seen = -1
    try:
        while True:
            try:
                height = api.call("/v1/status", timeout=2)["height"]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                say("  node is not answering; see its log")
                height = seen
            for h in range(max(seen + 1, height - 20), height + 1):
                block = api.call(f"/v1/blocks/{h}")
                header = block["header"]
                at = datetime.fromtimestamp(header["time_ms"] / 1000, UTC).astimezone(CHINA)
                say(f"  #{h:<6} {at:%H:%M:%S} txs={header['tx_count']:<4} id={block['id'][:16]}")
            seen = max(seen, height)
            time.sleep(1)
    except KeyboardInterrupt:
        say("\nstopping …")
        stop(Path(state["dir"]))


def stop(directory: Path) -> None:
    state_file = directory / "devnet.json"
    if not state_file.exists():
        raise SystemExit(f"no devnet.json in {directory}: nothing to stop")
    state = json.loads(state_file.read_text())
    nodes = [*state["nodes"], *state.get("lights", [])]
    for n in nodes:
        if alive(n["pid"]):
            os.kill(n["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(alive(n["pid"]) for n in nodes) and time.monotonic() < deadline:
        time.sleep(0.1)
    for n in nodes:
        if alive(n["pid"]):
            os.kill(n["pid"], signal.SIGKILL)
    say(f"devnet in {directory} stopped")


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/devnet", description=__doc__)
    parser.add_argument("action", nargs="?", choices=["start", "stop"], default="start")
    parser.add_argument("--detach", action="store_true", help="return once the network is up")
    parser.add_argument("--dir", type=Path, default=ROOT / ".devnet", help="state directory")
    parser.add_argument("--port", type=int, default=None,
                        help="first validator's API port (default: from network.toml)")
    parser.add_argument("--tls", action="store_true",
                        help="serve every node's API over TLS bound to its node key (the "
                        "wallet pins it with --network); default: plain HTTP on 127.0.0.1")
    args = parser.parse_args()
    if args.action == "stop":
        stop(args.dir)
    else:
        args.dir.mkdir(parents=True, exist_ok=True)
        start(args.dir, args.detach, args.port, args.tls)


if __name__ == "__main__":
    main()
