"""How long a new validator takes to join a chain of N transactions, printed as JSON.

Starts four validators on 127.0.0.1 (real processes, real LevelDB), fills the chain with
N committed transactions (membership admissions: each one succeeds, two signatures, no
per-member bound), then does what a new bank does: `claimledger-node init` from the
network's genesis, the agency proposes it as a fifth validator and the operator (the
agency runs the four) approves, and the node starts. It reports, from its start: when
it answered its API, when it had caught up with the head the others had when it
started, and when its first precommit appeared in a block's certificate (it votes from
H+2 of the approving block H, once it has synced past it). In the same run: this
machine's Ed25519 verifications per second on one core, the bound of block sync.

    .venv/bin/python scripts/bench_join.py [--txs 100000] [--batch 500] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import msgpack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import membership, nodes  # noqa: E402
from contracts.codec import encode  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.keystore import unseal  # noqa: E402
from contracts.ledger import make_transaction, sign_transaction  # noqa: E402
from contracts.legal_identity import complete_credit_code  # noqa: E402
from contracts.tx import MAX_VALIDITY_BLOCKS, decode_transaction, payload_id  # noqa: E402
from scripts.bench_node import verify_per_second  # noqa: E402  (the same bound)
from tests.nodeproc import (  # noqa: E402
    PASSPHRASE,
    NodeProcess,
    build_tx,
    commit,
    free_port,
    get,
    make_cluster,
)
from tests.signing import Signer, aiohttp_signing  # noqa: E402

NODE_BIN = ROOT / ".venv" / "bin" / "claimledger-node"
TIMING = {"max_block_txs": 2000, "max_mempool_txs": 50_000}


def bench_identity(i: int) -> membership.Identity:
    """A valid legal identity for the benchmark's i-th member (a made-up enterprise)."""
    return membership.Identity("legal_person", complete_credit_code(f"91150802{i:08d}"), b"",
                               "Representative", "bench", "C", "150802")


def admissions(chain_id: str, agency: KeyPair, count: int, height: int) -> list[bytes]:
    """`count` signed admissions of fresh members, as canonical bytes."""
    registry = default_registry()
    out = []
    for i in range(count):
        member = KeyPair.generate()
        tx = make_transaction(registry, chain_id, "membership", "admit",
                              membership.Admit(agency.address, member.address, f"m-{i}",
                                               ("enterprise",), bench_identity(i), ()),
                              height + MAX_VALIDITY_BLOCKS - 10, i)
        out.append(encode(sign_transaction(sign_transaction(tx, agency), member)))
    return out


async def fill(apis: list[str], signer: Signer, raws: list[bytes], batch: int) -> None:
    """Submit every transaction in batches to the validators in turn, again after a
    full mempool, until each is pending."""
    queue = [raws[i:i + batch] for i in range(0, len(raws), batch)]
    async with aiohttp.ClientSession(middlewares=(aiohttp_signing(lambda _: signer),)) as http:

        async def client(n: int) -> None:
            while queue:
                part = queue.pop()
                api = apis[n % len(apis)]
                async with http.post(f"{api}/v1/txs/batch", data=msgpack.packb(part),
                                     headers={"Content-Type": "application/msgpack"}) as r:
                    body = await r.json()
                if r.status != 200:
                    queue.append(part)
                    await asyncio.sleep(0.5)
                    continue
                again = [raw for raw, res in zip(part, body["results"], strict=True)
                         if res.get("error", {}).get("code") in ("mempool.full",
                                                                  "mempool.peer_quota")]
                failed = [res for res in body["results"] if "error" in res
                          and res["error"]["code"] not in ("mempool.full", "mempool.peer_quota",
                                                           "mempool.duplicate")]
                assert not failed, failed[:3]
                if again:
                    queue.append(again)
                    await asyncio.sleep(0.3)

        await asyncio.gather(*(client(n) for n in range(len(apis) * 2)))


def status(api: str) -> dict:
    """The node's status; a node busy verifying a sync batch may answer late: asked again."""
    for _ in range(30):
        try:
            return get(api, "/v1/status", timeout=10).json()
        except (OSError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"{api} did not answer /v1/status for 5 minutes")


def signers(api: str, height: int) -> set[str]:
    view = get(api, f"/v1/blocks/{height}", timeout=10).json()
    return {p["validator"] for p in view["certificate"]["precommits"]}


def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="claimledger-bench-join-"))
    nets = make_cluster(work / "net", validators=4, timing=TIMING)
    procs = [NodeProcess(net).start() for net in nets]
    joining = None
    try:
        for proc in procs:
            proc.wait_ready(timeout=60)
        agency = nets[0].members["agency"]
        signer = Signer.of(nets[0].chain_id, agency)
        started = time.perf_counter()
        raws = admissions(nets[0].chain_id, agency, args.txs, status(nets[0].api)["height"])
        signing_s = time.perf_counter() - started
        started = time.perf_counter()
        asyncio.run(fill([n.api for n in nets], signer, raws, args.batch))
        last = payload_id(decode_transaction(raws[-1]).payload).hex()
        while any(status(n.api)["mempool"] for n in nets):
            time.sleep(0.2)
        fill_s = time.perf_counter() - started
        view = get(nets[0].api, f"/v1/txs/{last}").json()
        assert view["status"] == "committed", view

        # The new bank: a home from the genesis, registered, then started.
        genesis = nets[0].root / "home" / "genesis.json"
        home = work / "bank-5"
        passphrase = work / "passphrase"
        passphrase.write_text(PASSPHRASE + "\n")
        api, peer = free_port(), free_port()
        made = subprocess.run(
            [str(NODE_BIN), "init", "--genesis", str(genesis), "--name", "bank-5", "--home",
             str(home), "--passphrase-file", str(passphrase), "--api", f"127.0.0.1:{api}",
             "--peer", f"127.0.0.1:{peer}"], capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        key = unseal(json.loads((home / "node-key.json").read_text()), PASSPHRASE)
        head = status(nets[0].api)
        change = nodes.Change("add_validator", key.address, power=1, peer=f"127.0.0.1:{peer}",
                              operator=agency.address, name="bank-5")
        proposed = commit(nets[0].api, build_tx(
            nets[0].chain_id, "nodes", "propose",
            nodes.Propose(agency.address, change, head["time_ms"] + 86_400_000), agency))
        approved = commit(nets[0].api, build_tx(
            nets[0].chain_id, "nodes", "approve",
            nodes.Approve(agency.address, bytes.fromhex(proposed["id"])), agency))
        applied_at = approved["height"]
        new = type(nets[0])(
            root=home, chain_id=nets[0].chain_id, port=api, genesis_ms=nets[0].genesis_ms,
            validator=key, members=nets[0].members, network_file=nets[0].network_file,
            key_file=home / "node-key.json", data_dir=home / "data", peer_port=peer, home=home)
        target = status(nets[0].api)["height"]
        t0 = time.perf_counter()
        joining = NodeProcess(new).start()
        joining.wait_ready(timeout=120)
        ready_s = time.perf_counter() - t0
        new_api = f"http://127.0.0.1:{api}"
        while status(new_api)["height"] < target:
            time.sleep(0.05)
        caught_up_s = time.perf_counter() - t0
        me = key.address.hex()
        first = None
        checked = applied_at + 1
        while first is None:
            top = status(nets[0].api)["height"]
            for height in range(checked + 1, top + 1):
                if me in signers(nets[0].api, height):
                    first = height
                    break
            checked = top if first is None else checked
            assert time.perf_counter() - t0 < 600, "no precommit of the new validator"
            time.sleep(0.05)
        signed_s = time.perf_counter() - t0
        txs_total = len(raws)
        return {
            "txs": txs_total,
            "blocks": target,
            "validators": 4,
            "signing_s": round(signing_s, 1),
            "fill_s": round(fill_s, 1),
            "fill_tx_per_s": round(txs_total / fill_s),
            "change_applied_height": applied_at,
            "join": {
                "start_to_api_s": round(ready_s, 2),
                "start_to_caught_up_s": round(caught_up_s, 2),
                "start_to_first_precommit_s": round(signed_s, 2),
                "first_precommit_height": first,
                "sync_tx_per_s": round(txs_total / caught_up_s),
                "sync_blocks_per_s": round(target / caught_up_s),
            },
            "ed25519_verify_per_s_one_core": round(verify_per_second()),
            "work": str(work) if args.keep else None,
        }
    finally:
        tidy([*procs, *([joining] if joining else [])], work, args.keep)


def tidy(procs: list, work: Path, keep: bool) -> None:
    """Stop the node processes still running and remove the work directory (unless kept):
    the end of every benchmark that starts a network."""
    for proc in procs:
        if proc.alive():
            proc.stop()
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    os.environ.setdefault("CLAIMLEDGER_EVENT_LOOP", "uvloop")
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
