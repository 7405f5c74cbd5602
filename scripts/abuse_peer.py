"""What anonymous connections to a validator's peer port cost it: memory and CPU.

    .venv/bin/python scripts/abuse_peer.py [--root DIR] [--large N] [--frame-mib M]
                                           [--silent N] [--hold-s S]

Starts a one-validator network on 127.0.0.1 (the node process runs the code of --root,
this checkout by default, so an older checkout can be measured the same way), and in a
fresh node process for each scenario, as a stranger holding no key:

- large: N connections at once finish TLS and the websocket upgrade, then each sends a
  frame header declaring M MiB and streams M MiB of zeros (no handshake at all);
- silent_tcp: N TCP connections that send nothing;
- silent_tls: N connections that finish the TLS handshake and send nothing;
- churn: --churn TLS handshakes, 8 at a time, each connection dropped at once.

For each: the validator's resident set size before, its peak during (sampled), the CPU
seconds the node process spent, how many of the connections the node still held open
after 1 s and after --hold-s seconds.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.nodeproc import PASSPHRASE, make_network, request  # noqa: E402

UPGRADE = (b"GET /v1/peer HTTP/1.1\r\nHost: peer\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")
CHUNK = bytes(1 << 16)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def client_tls() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


class Validator:
    """A validator process of the network, running the code under `root`."""

    def __init__(self, work: Path, root: Path, run: int) -> None:
        self.net = make_network(work / f"run-{run}", chain_id="claimledger-abuse")
        self.log = work / f"node-{run}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from node.cli import main; main()", "run",
                 "--network", str(self.net.network_file), "--data", str(self.net.data_dir),
                 "--key", str(self.net.key_file), "--log-level", "WARNING"],
                cwd=root, env={**os.environ, "PYTHONPATH": str(root),
                               "CLAIMLEDGER_PASSPHRASE": PASSPHRASE},
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if request(f"{self.net.api}/v1/status", timeout=1).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the validator did not start"
            time.sleep(0.1)
        time.sleep(1.0)  # settle

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return self.net.peer_port

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


async def still_open(reader: asyncio.StreamReader) -> bool:
    """Whether the server has not closed the connection (reading what it sent)."""
    try:
        while True:
            data = await asyncio.wait_for(reader.read(1 << 16), 0.05)
            if not data:
                return False
    except TimeoutError:
        return True
    except (ConnectionError, ssl.SSLError):
        return False


async def connect(port: int, use_tls: bool):
    try:
        return await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", port, ssl=client_tls() if use_tls else None), 10)
    except (OSError, TimeoutError, ssl.SSLError):
        return None


async def large(port: int, frame_bytes: int) -> int:
    """One stranger: upgrade, then a frame of `frame_bytes`; the bytes it wrote (its own
    view: writes after the node's reset may vanish in this client's TLS layer)."""
    opened = await connect(port, use_tls=True)
    if opened is None:
        return 0
    reader, writer = opened
    sent = 0
    try:
        writer.write(UPGRADE)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        if not head.startswith(b"HTTP/1.1 101"):
            return 0
        writer.write(b"\x82" + bytes([0x80 | 127]) + struct.pack(">Q", frame_bytes) + bytes(4))
        while sent < frame_bytes and not (writer.is_closing() or reader.at_eof()
                                          or reader.exception() is not None):
            writer.write(CHUNK)
            await writer.drain()
            sent += len(CHUNK)
        await asyncio.sleep(1.0)  # the node holds what it read
    except (ConnectionError, ssl.SSLError, TimeoutError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
    return sent


def sampler(pid: int, stop: asyncio.Event) -> asyncio.Task:
    async def sample() -> int:
        peak = 0
        while not stop.is_set():
            peak = max(peak, status_kib(pid, "VmRSS"))
            await asyncio.sleep(0.05)
        return peak
    return asyncio.create_task(sample())


async def scenario(node: Validator, name: str, count: int, frame_mib: int,
                   hold_s: float) -> dict:
    rss_before = status_kib(node.pid, "VmRSS")
    cpu_before = cpu_s(node.pid)
    stop = asyncio.Event()
    peak_task = sampler(node.pid, stop)
    started = time.monotonic()
    result: dict = {"connections": count}
    if name == "churn":  # TLS handshakes one after another, 8 at a time
        async def churn(n: int) -> int:
            done = 0
            for _ in range(n):
                opened = await connect(node.port, use_tls=True)
                if opened is not None:
                    opened[1].close()
                    done += 1
            return done
        handshakes = sum(await asyncio.gather(*(churn(count // 8) for _ in range(8))))
        result["tls_handshakes"] = handshakes
        result["node_cpu_ms_per_handshake"] = round(
            (cpu_s(node.pid) - cpu_before) * 1000 / max(1, handshakes), 3)
    elif name == "large":
        sent = await asyncio.gather(*(large(node.port, frame_mib << 20) for _ in range(count)))
        result |= {"frame_mib": frame_mib, "upgraded": sum(1 for n in sent if n)}
    else:
        opened = [c for c in await asyncio.gather(
            *(connect(node.port, name == "silent_tls") for _ in range(count))) if c]
        result["established"] = len(opened)
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        result["open_after_1s"] = sum(await asyncio.gather(*(still_open(r) for r, _ in opened)))
        await asyncio.sleep(max(0.0, hold_s - (time.monotonic() - started)))
        result[f"open_after_{hold_s:g}s"] = sum(
            await asyncio.gather(*(still_open(r) for r, _ in opened)))
        for _, writer in opened:
            writer.close()
    stop.set()
    peak = await peak_task
    result |= {
        "seconds": round(time.monotonic() - started, 2),
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),  # sampled every 50 ms
        "rss_growth_mib": round((peak - rss_before) / 1024, 1),
        "node_cpu_s": round(cpu_s(node.pid) - cpu_before, 2),
    }
    return result


async def measure(args: argparse.Namespace) -> dict:
    root = Path(args.root).resolve()
    code = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True).stdout.strip()[:100]
    if not (root / ".git").exists():
        code = "(an exported tree, not a git checkout)"
    report: dict = {"root": str(root), "node_code": code, "scenarios": {}}
    plan = [("large", args.large), ("silent_tcp", args.silent), ("silent_tls", args.silent),
            ("churn", args.churn)]
    with tempfile.TemporaryDirectory(prefix="claimledger-abuse-") as tmp:
        for run, (name, count) in enumerate(plan):
            node = Validator(Path(tmp), root, run)
            try:
                report["scenarios"][name] = await scenario(node, name, count, args.frame_mib,
                                                           args.hold_s)
                report["scenarios"][name]["node_alive"] = node.process.poll() is None
            finally:
                node.stop()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/abuse_peer.py", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--root", default=str(ROOT),
                        help="checkout whose node code the validator runs (this one)")
    parser.add_argument("--large", type=int, default=12, help="strangers sending a frame (12)")
    parser.add_argument("--frame-mib", type=int, default=15, help="size of their frame (15)")
    parser.add_argument("--silent", type=int, default=200,
                        help="silent connections, TCP and TLS each (200)")
    parser.add_argument("--churn", type=int, default=800,
                        help="TLS handshakes made and dropped one after another (800)")
    parser.add_argument("--hold-s", type=float, default=7.0,
                        help="when silent connections are counted again (7)")
    args = parser.parse_args()
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # this client's writes after a reset
    print(json.dumps(asyncio.run(measure(args)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
