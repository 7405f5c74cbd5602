"""The explorer's reads on a big ledger, printed as JSON.

Builds a one-validator ledger in process (real LevelDB, real signed transactions through
the mempool and block production) of --txs transactions: core enterprises issue vouchers
to suppliers (apply, confirm, approve), each supplier passes a part on and that holder
passes a part further (transfer), every tenth voucher is pledged to a bank, some fall due
and go overdue or extend. It then serves the HTTP API on 127.0.0.1 and times every route
the explorer reads (median and worst of --repeat answers, each request signed by the
agency, signing included), and beside them, as the bound
the pages stay clear of, one full scan of all voucher states. With --browser it also
times each explorer page in headless Chromium until it has rendered.

    .venv/bin/python scripts/bench_explorer.py [--txs 100000] [--browser] [--keep DIR]

With --keep DIR the ledger is built in DIR and kept; a later run with the same DIR (and
the same --debtors and --suppliers) times the ledger found there without building again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import fees, issuance, pledge, transfer  # noqa: E402
from contracts.codec import encode, sha256  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.ledger import make_transaction, sign_transaction  # noqa: E402
from contracts.requests import request_headers  # noqa: E402
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, payload_id  # noqa: E402
from contracts.vouchers import issued_voucher_id, part_id  # noqa: E402
from node.config import parse_network  # noqa: E402
from node.http.app import make_app  # noqa: E402
from node.http.explorer import header_at  # noqa: E402
from node.service import Node  # noqa: E402

CHAIN_ID = "claimledger-bench-explorer"
T0 = 1_800_000_000_000
DAY_MS = 86_400_000
BLOCK_MS = 1000  # ledger time between blocks
REGISTRY = default_registry()


def keys_for(prefix: str, count: int) -> list[KeyPair]:
    return [KeyPair(sha256(f"bench-explorer/{prefix}/{i}".encode())) for i in range(count)]


def network_text(validator: KeyPair, members: list[tuple[str, str, KeyPair]],
                 block_txs: int) -> str:
    lines = [f'chain_id = "{CHAIN_ID}"', f"genesis_time = {T0}", "fee_rate_bp = 5", "",
             "[timing]", f"max_block_txs = {block_txs}", "max_mempool_txs = 50000", "",
             # The ledger is built by a few members, thousands of transactions a block.
             "[limits]", "submit_rate_per_s = 100000", "submit_burst = 1000000",
             "member_pending_txs = 1000000", "",
             "[[validators]]", 'name = "validator"', f'key = "{validator.address.hex()}"',
             'api = "127.0.0.1:1"', 'peer = "127.0.0.1:2"', "power = 1"]
    for name, role, key in members:
        lines += ["", "[[members]]", f'name = "{name}"', f'roles = ["{role}"]',
                  f'address = "{key.address.hex()}"']
    return "\n".join(lines) + "\n"


class Ledger:
    def __init__(self, root: Path, debtors: int, suppliers: int, block_txs: int) -> None:
        self.validator = KeyPair(sha256(b"bench-explorer/validator"))
        self.agency = KeyPair(sha256(b"bench-explorer/agency"))
        self.bank = KeyPair(sha256(b"bench-explorer/bank"))
        self.debtors = keys_for("debtor", debtors)
        self.suppliers = keys_for("supplier", suppliers)
        members = [("agency", "agency", self.agency), ("bank", "bank", self.bank)]
        members += [(f"Core enterprise {i:03d} (核心企业)", "enterprise", k)
                    for i, k in enumerate(self.debtors)]
        members += [(f"Supplier {i:03d} (供应商)", "enterprise", k)
                    for i, k in enumerate(self.suppliers)]
        config = parse_network(network_text(self.validator, members, block_txs))
        self.node = Node(config, root, self.validator)
        self.block_txs = block_txs
        self.time_ms = T0
        self.nonce = 0
        self.txs = 0

    def tx(self, contract: str, operation: str, body: Any, *signers: KeyPair) -> Transaction:
        self.nonce += 1
        tx = make_transaction(REGISTRY, CHAIN_ID, contract, operation, body, MAX_VALIDITY_BLOCKS,
                              self.nonce)
        for key in signers:
            tx = sign_transaction(tx, key)
        return tx

    def submit(self, tx: Transaction) -> None:
        _, new = self.node.mempool.submit(encode(tx), self.time_ms)
        assert new
        if len(self.node.mempool) >= self.block_txs:
            self.produce()

    def produce(self) -> None:
        self.time_ms += BLOCK_MS
        before = len(self.node.mempool)
        head = self.node.produce(self.time_ms)
        assert head.time_ms == self.time_ms
        committed = before - len(self.node.mempool)
        assert committed > 0 or before == 0, "every bench transaction is valid"
        self.txs += committed

    def flush(self) -> None:
        while len(self.node.mempool):
            self.produce()


def build(ledger: Ledger, target_txs: int) -> None:
    submit_voucher_units(ledger, target_txs)
    ledger.flush()
    for paid in range(20):  # fee payments the agency recorded
        ledger.submit(ledger.tx("fees", "record_payment", fees.RecordPayment(
            ledger.agency.address, ledger.suppliers[paid].address, 100 + paid, f"FEE-{paid}"),
            ledger.agency))
    ledger.flush()
    for _ in range(65):  # ledger time passes the last due dates: empty blocks
        ledger.produce()


def submit_voucher_units(ledger: Ledger, target_txs: int) -> None:
    """Submit issue-and-pass-on units until `target_txs` were submitted."""
    submitted = 0
    unit = 0
    while submitted < target_txs:
        debtor = ledger.debtors[unit % len(ledger.debtors)]
        creditor = ledger.suppliers[unit % len(ledger.suppliers)]
        second = ledger.suppliers[(unit * 7 + 1) % len(ledger.suppliers)]
        third = ledger.suppliers[(unit * 13 + 2) % len(ledger.suppliers)]
        if second == creditor:
            second = ledger.suppliers[(unit + 1) % len(ledger.suppliers)]
        if third == second:
            third = creditor
        amount = 1_000_000 + (unit % 97) * 10_000
        kind = unit % 20
        if kind == 0:  # falls due in a minute of ledger time, no extension: overdue
            due, ext_days, ext_max = ledger.time_ms + 60 * BLOCK_MS, 0, 0
        elif kind == 1:  # falls due soon with an extension clause: extended
            due, ext_days, ext_max = ledger.time_ms + 60 * BLOCK_MS, 30, 1
        else:
            due, ext_days, ext_max = T0 + 365 * DAY_MS, 0, 0
        basis = f"BENCH-{unit:07d}".encode()
        terms = issuance.Terms(
            debtor=debtor.address, amount_fen=amount, due_ms=due, asset_offset=True,
            consumption_offset=True, extension_days=ext_days, extension_max=ext_max,
            basis_ref=basis.decode(), basis_sha256=hashlib.sha256(basis).digest())
        apply = ledger.tx("issuance", "apply", issuance.Apply(creditor.address, terms), creditor)
        application = payload_id(apply.payload)
        voucher = issued_voucher_id(application)
        txs = [apply,
               ledger.tx("issuance", "confirm", issuance.Confirm(debtor.address, application),
                         debtor),
               ledger.tx("issuance", "approve", issuance.Approve(ledger.agency.address,
                                                                 application), ledger.agency)]
        moved = ledger.tx("transfer", "transfer", transfer.Transfer(
            creditor.address, voucher, second.address, amount // 2, None, "TC-1"), creditor,
            second)
        moved_part = part_id(payload_id(moved.payload), voucher, 0)
        onward = ledger.tx("transfer", "transfer", transfer.Transfer(
            second.address, moved_part, third.address, amount // 4, None, "TC-1"), second,
            third)
        txs += [moved, onward]
        if unit % 10 == 5:  # the creditor pledges what it kept
            kept = part_id(payload_id(moved.payload), voucher, 1)
            txs.append(ledger.tx("pledge", "create", pledge.Create(
                creditor.address, ledger.bank.address, kept, amount // 4,
                T0 + 200 * DAY_MS, f"LOAN-{unit:07d}", amount // 5, 400, None), creditor,
                ledger.bank))
        for tx in txs:
            ledger.submit(tx)
        submitted += len(txs)
        unit += 1


class Served:
    """The node's API on a real socket, served by an event loop in its own thread."""

    def __init__(self, node: Node) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = web.AppRunner(make_app(node), access_log=None)
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> str:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@dataclass(frozen=True)
class Reader:
    """Who reads: the agency (the explorer's reader, who reads every record) of a chain."""

    chain_id: str
    key: KeyPair

    def request(self, url: str, method: str = "GET") -> urllib.request.Request:
        """`method url`, signed now (with no body) over the target as sent."""
        request = urllib.request.Request(url, method=method)
        for name, value in request_headers(self.key, self.chain_id, method, request.selector,
                                           b"", time.time_ns() // 1_000_000).items():
            request.add_header(name, value)
        return request


def timed_get(url: str, reader: Reader) -> tuple[float, int, Any]:
    """How long a signed GET of `url` took (ms, signing included), its size and JSON."""
    started = time.perf_counter()
    with urllib.request.urlopen(reader.request(url), timeout=60) as reply:
        body = reply.read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms, len(body), json.loads(body) if body[:1] in (b"{", b"[") else None


def time_routes(url: str, reader: Reader, routes: list[str], repeat: int) -> dict[str, Any]:
    out = {}
    for route in routes:
        times = []
        size = 0
        for _ in range(repeat):
            elapsed, size, _ = timed_get(url + route, reader)
            times.append(elapsed)
        out[route] = {"first_ms": round(times[0], 2),
                      "median_ms": round(statistics.median(times), 2),
                      "max_ms": round(max(times), 2), "bytes": size}
    return out


def time_pages(url: str, reader: Reader, pages: list[str], repeat: int) -> dict[str, Any]:
    """Each page from a fresh load until it says it has rendered, in headless Chromium,
    signed in as `reader` (a one-time link from POST /v1/explorer/sign-in)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    out = {}
    try:
        with urllib.request.urlopen(reader.request(url + "/v1/explorer/sign-in", "POST"),
                                    timeout=60) as reply:
            driver.get(url + json.loads(reply.read())["link"])  # sets the session cookie
        for route in pages:
            name = route.split("/")[0]
            times = []
            for _ in range(repeat):
                driver.get("about:blank")
                started = time.perf_counter()
                driver.get(f"{url}/explorer/#/{route}")
                WebDriverWait(driver, 120).until(lambda d, n=name: d.find_element(
                    By.ID, "view").get_attribute("data-ready") == n)
                times.append((time.perf_counter() - started) * 1000)
                error = driver.find_element(By.ID, "view").get_attribute("data-error")
                assert error is None, (route, error)
            out[route.split("/")[0]] = {"median_ms": round(statistics.median(times), 1),
                                        "max_ms": round(max(times), 1)}
    finally:
        driver.quit()
    return out


def full_voucher_scan_ms(node: Node) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(1 for _ in node.store.scan(b"v/"))
    return (time.perf_counter() - started) * 1000, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=100_000)
    parser.add_argument("--debtors", type=int, default=50)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--block-txs", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the ledger in this directory and keep it (reused if there)")
    parser.add_argument("--browser", action="store_true",
                        help="also time each page in headless Chromium (Debian's chromium)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="claimledger-bench-explorer-"))
    reuse = (work / "ledger").exists()
    try:
        ledger = Ledger(work, args.debtors, args.suppliers, args.block_txs)
        started = time.perf_counter()
        if not reuse:
            build(ledger, args.txs)
        build_s = time.perf_counter() - started
        node = ledger.node
        scan_ms, voucher_states = full_voucher_scan_ms(node)
        served = Served(node)
        try:
            head = node.chain.head.height
            demo = next(k for k, _ in node.store.scan(b"vhl/"))[4 + 32:]  # a live part
            reader = Reader(node.chain.chain_id, ledger.agency)
            origin = timed_get(f"{served.url}/v1/vouchers/{demo.hex()}", reader)[2]["origin"]
            routes = [
                "/v1/status", "/v1/overview?blocks=600", "/v1/members?limit=1000",
                "/v1/registry/debtors?limit=1000", "/v1/registry/pledges?limit=100",
                "/v1/registry/pledges?status=released&limit=100",
                "/v1/registry/commitments?limit=100", "/v1/registry/rounds?limit=1000",
                "/v1/registry/fees?limit=1000", "/v1/vouchers?standing=overdue&limit=100",
                "/v1/vouchers?standing=extended&limit=100", "/v1/setoff/totals", "/v1/fees",
                f"/v1/vouchers/{demo.hex()}", f"/v1/vouchers/{origin}/lineage",
                f"/v1/pledges?origin={origin}&limit=1000",
            ]
            txs = sum(header_at(node, h).tx_count for h in range(head + 1))
            report: dict[str, Any] = {
                "ledger": {"txs": txs, "reused": reuse, "blocks": head,
                           "voucher_states": voucher_states,
                           "debtors": args.debtors, "members": args.debtors + args.suppliers + 2,
                           "build_s": round(build_s, 1),
                           "store_mib": round(sum(f.stat().st_size for f in work.rglob("*")
                                                  if f.is_file()) / 2**20, 1)},
                "bound": {"full_scan_of_voucher_states_ms": round(scan_ms, 1)},
                "routes": time_routes(served.url, reader, routes, args.repeat),
            }
            if args.browser:
                pages = ["overview", f"voucher/{demo.hex()}", "pledges", "commitments",
                         "overdue", "debtors", "setoff", "fees"]
                report["pages"] = time_pages(served.url, reader, pages, max(1, args.repeat // 2))
        finally:
            served.close()
            node.close()
        print(json.dumps(report, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
