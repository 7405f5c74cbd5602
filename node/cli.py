"""`claimledger-node`: run a node of the network described by network.toml."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

import click
from aiohttp import web

from contracts.errors import LedgerError
from contracts.keystore import unseal
from node.api import make_app
from node.config import load_network
from node.service import Node
from node.validator import Replication

PASSPHRASE_ENV = "CLAIMLEDGER_PASSPHRASE"


def read_passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is not None:
        return passphrase_file.read_text(encoding="utf-8").rstrip("\n")
    if PASSPHRASE_ENV in os.environ:
        return os.environ[PASSPHRASE_ENV]
    return click.prompt("Passphrase of the node key", hide_input=True)


def split_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{text!r} is not HOST:PORT")
    return host, int(port)


async def serve(node: Node, data_dir: Path, host: str, port: int) -> None:
    replication = Replication(node, data_dir)
    runner = web.AppRunner(make_app(node, replication.peers.accept), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    logging.getLogger("claimledger.node").info(
        "%s (%s) serving http://%s:%d/v1/status at height %d",
        node.name, node.identity.role, host, port, node.chain.head.height,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, node.stop)
    replication.start()
    try:
        if node.is_validator and not replication.consensus:
            await node.run_producer()  # the only validator makes the blocks alone
        else:
            await node.wait_stopped()
    finally:
        await replication.stop()
        await runner.cleanup()
        node.close()


@click.group()
def main() -> None:
    """Run and inspect a Claimledger node."""


@main.command()
@click.option("--network", "network_path", type=click.Path(path_type=Path), required=True,
              help="network.toml with keys filled in")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), required=True,
              help="data directory (LevelDB lives in DATA/ledger)")
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True,
              help="the node's key store file")
@click.option("--passphrase-file", type=click.Path(path_type=Path), default=None,
              help=f"file holding the key store passphrase (else ${PASSPHRASE_ENV}, else a prompt)")
@click.option("--api", "api_address", default=None,
              help="HOST:PORT for the HTTP API (default: this node's entry in network.toml)")
@click.option("--log-level", default="INFO", show_default=True)
def run(network_path: Path, data_dir: Path, key_path: Path, passphrase_file: Path | None,
        api_address: str | None, log_level: str) -> None:
    """Run a node until SIGTERM or Ctrl-C."""
    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_network(network_path)
        document = json.loads(key_path.read_text(encoding="utf-8"))
        key = unseal(document, read_passphrase(passphrase_file))
        node = Node(config, data_dir, key)
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    host, port = split_address(api_address or node.identity.entry.api)
    asyncio.run(serve(node, data_dir, host, port))


if __name__ == "__main__":
    main()
