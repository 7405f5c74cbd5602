"""What signing through the wallet's agent costs, as JSON.

The agent (wallet/agent.py) holds an unlocked key in its own process and signs over a
Unix socket, one request per connection, so that people unlock once. A signature through
it pays a connection, two frames, the agent's check that the bytes are a transaction's
(decoding the payload) and the wallet's check that the answer verifies. In one run, on
this machine, of a transfer's signing bytes:

- ed25519: raw Ed25519 signatures per second on one core (pynacl's crypto_sign, as
  contracts.identity.KeyPair calls it): the bound;
- key: signatures per second through KeyPair.sign in this process (the passphrase's key);
- agent: signatures per second through AgentSigner.sign, the agent serving from a thread
  of this process (so the figure is both sides on one core: a lower bound), and its
  microseconds per signature beside the raw one.

A member's verb signs once or twice; the figure says whether the agent is felt there
(it is not: milliseconds are the node's), and what a script signing thousands pays.

    scripts/bench_agent [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nacl.bindings import crypto_sign, crypto_sign_seed_keypair  # noqa: E402

from contracts import transfer  # noqa: E402
from contracts.contract import default_registry  # noqa: E402
from contracts.identity import KeyPair  # noqa: E402
from contracts.tx import signing_bytes  # noqa: E402
from wallet import agent as agent_module  # noqa: E402
from wallet.sdk import new_transaction  # noqa: E402


def rate(work: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Calls per second of `work` over about `seconds` of wall time, and how many."""
    done = 0
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        for _ in range(50):
            work()
        done += 50
    return done / (time.perf_counter() - start), done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()

    key = KeyPair.generate()
    other = KeyPair.generate()
    registry = default_registry()
    status = {"chain_id": "bench", "height": 1}
    body = transfer.Offer(key.address, bytes(32), other.address, 1_000_00, None, "HT-1", 7, ())
    tx = new_transaction(registry, status, "transfer", "offer", body, 100)
    message = signing_bytes(tx.payload)

    _, secret = crypto_sign_seed_keypair(bytes(range(32)))
    raw, _ = rate(lambda: crypto_sign(message, secret), args.seconds)
    in_process, _ = rate(lambda: key.sign(message), args.seconds)

    path, listener = agent_module.listen_privately()
    held = agent_module.Agent(key, key.address, "bench.json",
                              time.monotonic() + 10 * args.seconds + 60)
    server = threading.Thread(target=agent_module.serve, args=(listener, held), daemon=True)
    server.start()
    signer = agent_module.AgentSigner(str(path), key.address, key.address)
    try:
        through_agent, count = rate(lambda: signer.sign(message), args.seconds)
    finally:
        agent_module.call(str(path), ["stop"])
        server.join(timeout=5)
        agent_module.close(listener, path)
    print(json.dumps({
        "message_bytes": len(message),
        "ed25519_signs_per_s": round(raw),
        "key_signs_per_s": round(in_process),
        "agent_signs_per_s": round(through_agent),
        "agent_signatures": count,
        "agent_us_per_signature": round(1e6 / through_agent, 1),
        "raw_us_per_signature": round(1e6 / raw, 1),
        "agent_in_raw_signatures": round(raw / through_agent, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
