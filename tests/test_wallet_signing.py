"""The wallet's client signs every request a node authenticates, with the key it holds."""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import seal
from node.http.auth import CALLER, RequestVerifier, request_auth
from wallet.cli import main
from wallet.client import Client

CHAIN = "claimledger-wallet-test"
KEY = KeyPair(bytes(range(32)))


async def status(request: web.Request) -> web.Response:
    return web.json_response({"chain_id": CHAIN, "height": 1,
                              "caller": None if request[CALLER] is None else "signed"})


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"caller": request[CALLER].hex(), "target": request.raw_path,
                              "body": body.hex(), "next": None, "vouchers": []})


@contextmanager
def node_api() -> Iterator[str]:
    """A small app behind the middleware, served on 127.0.0.1 from a thread (the client
    is synchronous)."""
    app = web.Application(middlewares=[request_auth(RequestVerifier(CHAIN),
                                                    max_body_bytes=1 << 16)])
    app.add_routes([web.get("/v1/status", status), web.get("/v1/vouchers", echo),
                    web.get("/v1/vouchers/{id}", echo), web.post("/v1/txs", echo)])
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_wallet_signs_reads_queries_and_submissions_with_its_key() -> None:
    asked = []

    def signer() -> KeyPair:
        asked.append(1)
        return KEY

    with node_api() as url:
        client = Client(url, timeout_s=10, signer=signer)
        assert client.status()["caller"] is None  # exempt: no key store opened for it
        assert asked == []
        answer = client._call("/v1/vouchers/ab", holder="x y", limit=5)
        assert answer["caller"] == KEY.address.hex()
        assert answer["target"] == "/v1/vouchers/ab?holder=x+y&limit=5"
        assert client.get("/v1/vouchers", {"holder": "a&b"})["caller"] == KEY.address.hex()
        raw = b"\x93\x01\x02\x03"
        submitted = client.submit(raw)
        assert submitted["caller"] == KEY.address.hex()
        assert submitted["body"] == raw.hex()


def test_wallet_without_a_key_is_refused_by_a_signing_node() -> None:
    with node_api() as url:
        client = Client(url, timeout_s=10)
        with pytest.raises(LedgerError) as refused:
            client.get("/v1/vouchers/ab")
        assert refused.value.code == "auth.required"
        assert client.status()["chain_id"] == CHAIN


def test_wallet_cli_reads_are_signed_with_the_key_store_given() -> None:
    with tempfile.TemporaryDirectory() as tmp, node_api() as url:
        store = Path(tmp) / "member.key"
        store.write_text(json.dumps(seal(KEY, "pw", "m")), encoding="utf-8")
        store.chmod(0o600)
        command = ["--node", url, "--json", "--key", str(store), "vouchers"]
        result = CliRunner().invoke(main, command, env={"CLAIMLEDGER_PASSPHRASE": "pw"})
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["caller"] == KEY.address.hex()
        result = CliRunner().invoke(main, command, env={"CLAIMLEDGER_PASSPHRASE": "wrong"})
        assert result.exit_code == 1
        assert "keystore.wrong_passphrase" in result.stderr
