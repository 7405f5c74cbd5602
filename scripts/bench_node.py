"""Single-validator throughput and disk cost, printed as JSON.

Starts one validator process on 127.0.0.1 in a temporary directory, pre-signs N
issuance applications that do not conflict, submits them over several HTTP
connections (each request signed by the supplier, as every route but status wants),
and reports committed tx/s, commit latency, and LevelDB bytes per
transaction. In the same run it measures this machine's Ed25519 verifications per
second on one core, the bound every validator shares.

    .venv/bin/python scripts/bench_node.py [--txs 4000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import issuance  # noqa: E402
from contracts.codec import encode, sha256  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair, verify  # noqa: E402
from contracts.keystore import seal  # noqa: E402
from contracts.ledger import make_transaction, sign_transaction  # noqa: E402
from contracts.tx import MAX_VALIDITY_BLOCKS, payload_id  # noqa: E402
from tests.nodeproc import LOAD_LIMITS  # noqa: E402
from tests.signing import Signer, aiohttp_signing  # noqa: E402

PASSPHRASE = "bench"


def verify_per_second(seconds: float = 1.0) -> float:
    key = KeyPair.generate()
    message = b"x" * 200
    signature = key.sign(message)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            verify(key.address, message, signature)
        count += 200
    return count / (time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="claimledger-bench-"))
    keys = {n: KeyPair.generate() for n in ("node", "agency", "core", "supplier")}
    (work / "node.json").write_text(json.dumps(seal(keys["node"], PASSPHRASE)))
    port = free_port()
    (work / "network.toml").write_text(
        'chain_id = "bench"\ngenesis_time = 1700000000000\n'
        "[timing]\nblock_interval_ms = 50\nmax_block_txs = 2000\nmax_mempool_txs = 50000\n"
        # One client address and three members send everything: far past the defaults.
        + "[limits]\n" + "".join(f"{k} = {v}\n" for k, v in LOAD_LIMITS.items())
        + f'[[validators]]\nname = "v"\nkey = "{keys["node"].address.hex()}"\n'
        f'api = "127.0.0.1:{port}"\npeer = "127.0.0.1:{free_port()}"\n'
        + "".join(
            f'[[members]]\nname = "{n}"\nroles = ["{r}"]\naddress = "{keys[n].address.hex()}"\n'
            for n, r in (("agency", "agency"), ("core", "enterprise"), ("supplier", "enterprise"))
        )
    )
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/claimledger-node"), "run", "--network", str(work / "network.toml"),
         "--data", str(work / "data"), "--key", str(work / "node.json"), "--log-level", "WARNING"],
        env={**os.environ, "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
    )
    api = f"http://127.0.0.1:{port}"
    try:
        # Signed by the supplier, whose applications these are: a member reads its own.
        signing = aiohttp_signing(Signer.of("bench", keys["supplier"]))
        async with aiohttp.ClientSession(middlewares=(signing,)) as http:
            for _ in range(100):
                try:
                    async with http.get(f"{api}/v1/status") as r:
                        status = await r.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            registry = default_registry()
            signing_start = time.perf_counter()
            txs = []
            for i in range(args.txs):
                terms = issuance.Terms(
                    keys["core"].address, 100_000 + i, 1 << 62, True, False, 0, 0, f"B-{i}",
                    sha256(f"basis {i}".encode()),
                )
                tx = make_transaction(registry, "bench", "issuance", "apply",
                                      issuance.Apply(keys["supplier"].address, terms),
                                      status["height"] + MAX_VALIDITY_BLOCKS, i)
                txs.append(sign_transaction(tx, keys["supplier"]))
            signing_s = time.perf_counter() - signing_start
            bytes_before = disk_bytes(work / "data")
            submitted: dict[bytes, float] = {}
            latencies: list[float] = []
            queue = list(txs)

            async def client() -> None:
                while queue:
                    tx = queue.pop()
                    tx_id = payload_id(tx.payload)
                    submitted[tx_id] = time.perf_counter()
                    async with http.post(f"{api}/v1/txs", data=encode(tx),
                                         headers={"Content-Type": "application/msgpack"}) as r:
                        assert r.status == 202, await r.text()

            start = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(args.clients)))
            submit_s = time.perf_counter() - start
            while True:  # every transaction is in a block once the mempool is empty
                async with http.get(f"{api}/v1/status") as r:
                    if (await r.json())["mempool"] == 0:
                        break
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - start
            for tx in txs:  # commit time as a client sees it, by polling each
                tx_id = payload_id(tx.payload)
                async with http.get(f"{api}/v1/txs/{tx_id.hex()}?wait_ms=30000") as r:
                    view = await r.json()
                    assert view["status"] == "committed", view
                    latencies.append(time.perf_counter() - submitted[tx_id])
            async with http.get(f"{api}/v1/status") as r:
                final = await r.json()
        process.terminate()
        process.wait(timeout=15)
        latencies.sort()
        verify_rate = verify_per_second()
        tx_bytes = sum(len(encode(t)) for t in txs) / len(txs)
        return {
            "txs": args.txs,
            "clients": args.clients,
            "blocks": final["height"] - status["height"],
            "submit_s": round(submit_s, 3),
            "committed_tps": round(args.txs / elapsed, 1),
            "latency_upper_bound_s": {  # polled one by one after all were submitted
                "p50": round(latencies[len(latencies) // 2], 3),
                "max": round(latencies[-1], 3),
            },
            "client_signing_per_s": round(args.txs / signing_s, 1),
            "tx_wire_bytes": round(tx_bytes, 1),
            "disk_bytes_per_tx": round((disk_bytes(work / "data") - bytes_before) / args.txs, 1),
            "ed25519_verify_per_s_one_core": round(verify_rate, 1),
            "bound_tps_one_core_one_signature": round(verify_rate, 1),
            "ratio": round(args.txs / elapsed / verify_rate, 3),
        }
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
