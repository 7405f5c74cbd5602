"""The client library's asynchronous client against a real node serving its API over TLS
with a certificate bound to its node key: it pins the certificate to the key network.toml
lists as the synchronous client does, refuses a node whose key is not the one listed (and
a self-made certificate with no network file), and proves a record over the same pinned
endpoint without blocking its loop."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.membership import Member
from tests.nodeproc import NODE_BIN, Network, NodeProcess, make_network
from tests.test_api_tls import wait_answering, with_api_tls
from wallet.client import Client as HttpClient
from wallet.endpoint import node_endpoint
from wallet.sdk import AsyncClient, Client


@dataclass
class TlsNode:
    net: Network
    genesis_id: bytes
    url: str


@pytest.fixture(scope="module")
def tls_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsNode]:
    net = make_network(tmp_path_factory.mktemp("client-library-tls"))
    with_api_tls(net, "node-key")
    made = subprocess.run([str(NODE_BIN), "genesis-id", "--network", str(net.network_file)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    node = NodeProcess(net).start()
    try:
        wait_answering(node, HttpClient(endpoint=node_endpoint("validator", net.network_file)))
        yield TlsNode(net, bytes.fromhex(made.stdout.strip()), f"https://127.0.0.1:{net.port}")
    finally:
        node.stop()


def lying_network(tls: TlsNode, where: Path) -> Path:
    """network.toml naming another node key for the node's address."""
    where.write_text(tls.net.network_file.read_text(encoding="utf-8").replace(
        tls.net.validator.address.hex(), KeyPair.generate().address.hex(), 1),
        encoding="utf-8")
    return where


def test_the_async_client_reads_from_a_node_pinned_to_its_key(tls_node: TlsNode) -> None:
    agency = tls_node.net.members["agency"]
    endpoint = node_endpoint("validator", tls_node.net.network_file)
    assert endpoint.pin is not None and endpoint.url == tls_node.url

    async def read() -> tuple[dict, dict]:
        async with AsyncClient(endpoint=endpoint, signer=agency) as client:
            return await client.status(), await client.member(agency.address.hex())

    status, member = asyncio.run(read())
    assert status["chain_id"] == tls_node.net.chain_id
    assert member["address"] == agency.address.hex()
    assert Client(endpoint=endpoint, signer=agency).member(agency.address.hex()) == member


def test_the_async_client_refuses_a_node_whose_key_is_not_the_one_listed(
        tls_node: TlsNode, tmp_path: Path) -> None:
    endpoint = node_endpoint("validator", lying_network(tls_node, tmp_path / "lying.toml"))
    agency = tls_node.net.members["agency"]

    async def read() -> None:
        async with AsyncClient(endpoint=endpoint, signer=agency) as client:
            await client.member(agency.address.hex())

    with pytest.raises(LedgerError) as refused:
        asyncio.run(read())
    with pytest.raises(LedgerError) as refused_sync:
        Client(endpoint=endpoint, signer=agency).member(agency.address.hex())
    assert refused.value.code == refused_sync.value.code == "node.tls_key_mismatch"


def test_the_async_client_refuses_a_self_made_certificate_without_the_network(
        tls_node: TlsNode) -> None:
    async def read() -> None:
        async with AsyncClient(tls_node.url, signer=None) as client:
            await client.status()

    with pytest.raises(LedgerError) as refused:
        asyncio.run(read())
    assert refused.value.code == "node.tls_unverified"


def test_the_async_client_proves_over_the_pinned_endpoint(tls_node: TlsNode) -> None:
    agency = tls_node.net.members["agency"]

    async def proved() -> object:
        async with AsyncClient(endpoint=node_endpoint("validator", tls_node.net.network_file),
                               signer=agency, genesis_id=tls_node.genesis_id) as client:
            return await client.prove("member", agency.address.hex())

    found = asyncio.run(proved())
    assert isinstance(found.record, Member)  # type: ignore[attr-defined]
    assert found.record.address == agency.address  # type: ignore[attr-defined]
