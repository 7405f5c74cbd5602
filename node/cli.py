"""`claimledger-node`: run a node of the network described by network.toml, check its
store (`verify-store`), or rebuild a damaged store from its peers (`resync`).

Exit codes (stable): 0 done or stopped cleanly; 1 bad configuration, key or passphrase,
or a store that cannot be opened (in use); 2 bad usage; 3 `store.corrupt`, the store
fails a check at start or a read at run time (the node served nothing wrong: it stops);
4 `store.write_failed`, the disk refused a write (full): the last block is stored whole
or not at all; 5 `resync.failed`, the peers did not bring the store up to their head;
6 `backup.*`, no backup was made (no node runs on the data directory, the target is not
empty, ...); 7 `node.missing_contract`, the chain uses a contract version this release
lacks (at start, or a running node at the height before the version takes over: its store
holds whole blocks up to there, and a release that has the version resumes from it);
8 `node.unsupported_protocol`, the same for a protocol version other than this release's.
The last line on stderr is `Error: <code>: <sentence>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib.metadata
import json
import logging
import os
import signal
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import uvloop

from contracts.contract import default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair, parse_address
from contracts.keystore import member_of, unsafe_mode_warning, unseal
from contracts.tls_binding import is_loopback_host
from node import home as home_files
from node import logs, tls
from node.api_tls import CA_KEY_PASSPHRASE_ENV, CaCertificate, api_tls, check_api_tls
from node.backup import AdminSocket, BackupError, request_backup
from node.blocks import block_id
from node.chain import Chain, genesis_block
from node.config import Limits, NetworkConfig, NodeEntry, load_network
from node.front import FrontLimits, start_front
from node.genesis import (
    PROTOCOL_VERSION,
    GenesisDocument,
    encode_genesis,
    genesis_hash,
    load_genesis,
    network_config,
    parse_genesis,
)
from node.http.access_log import AccessLog, AccessLogConfig, access_logged
from node.http.app import make_app
from node.http.submit import SubmitLimit
from node.light.config import is_light_config, load_light_config
from node.light.run import serve_light
from node.network_template import read_plan
from node.node_config import NodeSettings, load_node_config
from node.replication import Replication
from node.service import Node, identify
from node.signer import LocalSigner, NodeSigner
from node.store import Store, StoreError, StoreFault

PASSPHRASE_ENV = "CLAIMLEDGER_PASSPHRASE"
EXIT_STORE_CORRUPT = 3
EXIT_WRITE_FAILED = 4
EXIT_RESYNC_FAILED = 5
EXIT_BACKUP_FAILED = 6
EXIT_MISSING_CONTRACT = 7
EXIT_UNSUPPORTED_PROTOCOL = 8
FAULT_EXITS = {"store.corrupt": EXIT_STORE_CORRUPT, "store.write_failed": EXIT_WRITE_FAILED,
               "node.missing_contract": EXIT_MISSING_CONTRACT,
               "node.unsupported_protocol": EXIT_UNSUPPORTED_PROTOCOL}
UPGRADE_HINT = ("the store holds every block up to the node's head, whole: start the node "
                "again from a release that runs it (same --home), and it catches up")
FAULT_HINTS = {
    "store.corrupt": "rebuild the store from the peers with `claimledger-node resync` "
                     "(same --home, or --network, --data and --key; it keeps the damaged "
                     "store aside)",
    "store.write_failed": "free disk space and start the node again: it resumes from its "
                          "last whole block",
    "node.missing_contract": UPGRADE_HINT,
    "node.unsupported_protocol": UPGRADE_HINT,
}
RESYNC_STALL_S = 60


class Failure(click.ClickException):
    """`Error: <code>: <sentence>` on stderr and a stable exit code."""

    def __init__(self, code: str, message: str, exit_code: int) -> None:
        super().__init__(f"{code}: {message}")
        self.exit_code = exit_code


def fault_exit(fault: StoreFault) -> Failure:
    return Failure(fault.code, f"{fault.message}; {FAULT_HINTS[fault.code]}",
                   FAULT_EXITS[fault.code])


def read_passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is not None:
        return passphrase_file.read_text(encoding="utf-8").rstrip("\n")
    if PASSPHRASE_ENV in os.environ:
        return os.environ[PASSPHRASE_ENV]
    return click.prompt("Passphrase of the node key", hide_input=True)


def ca_certificate(chain: Path | None, key: Path | None,
                   passphrase_file: Path | None) -> CaCertificate | None:
    """--api-cert and --api-key, with the key's passphrase from its file or the
    environment (never an option's value: it would show in the process list)."""
    if chain is None and key is None:
        return None
    if chain is None or key is None:
        raise click.UsageError("--api-cert and --api-key go together")
    if passphrase_file is not None:
        passphrase = passphrase_file.read_text(encoding="utf-8").rstrip("\n")
    elif CA_KEY_PASSPHRASE_ENV in os.environ:
        passphrase = os.environ[CA_KEY_PASSPHRASE_ENV]
    else:
        passphrase = click.prompt("Passphrase of the API key", hide_input=True)
    return CaCertificate(chain, key, passphrase)


def split_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{text!r} is not HOST:PORT")
    return host, int(port)


async def listen_for_peers(node: Node, replication: Replication,
                           peer_address: str | None) -> None:
    """A validator serves its peer links over TLS on its peer address (an observer only
    dials), with a TLS key made now and kept in memory."""
    address = peer_address or node.identity.entry.peer
    if address and node.role != "observer":  # validators, and those the registry may add
        peer_host, peer_port = split_address(address)
        await replication.peers.listen(peer_host, peer_port)
        logging.getLogger("claimledger.node").info("peer links over TLS on %s", address)


def parse_routes(config: NetworkConfig, routes: tuple[str, ...]) -> dict[bytes | str, str]:
    """`NAME=HOST:PORT` options as name -> address (a validator the node registry adds
    later, or whose key it rotates), and as genesis key -> address for a name the genesis
    lists."""
    by_name = {entry.name: entry.key for entry in config.validators}
    out: dict[bytes | str, str] = {}
    for route in routes:
        name, _, address = route.partition("=")
        if not name:
            raise click.BadParameter(f"{route!r} is not NAME=HOST:PORT",
                                     param_hint="--peer-route")
        split_address(address)
        out[by_name.get(name, name)] = address
        out[name] = address  # by name too: a validator whose key the registry rotates
    return out


def where_in_network(node: Node) -> str:
    """How an error names this node's entry of network.toml."""
    if not node.identity.role:
        return f"node.toml of {node.name!r}"
    return f"network.toml, [[{node.identity.role}s]] {node.name!r}"


async def serve(node: Node, data_dir: Path, host: str, port: int,
                peer_address: str | None = None,
                routes: dict[bytes | str, str] | None = None,
                front_limits: FrontLimits | None = None,
                ca_loaded: ssl.SSLContext | None = None,
                access_log: AccessLogConfig | None = None,
                state_sync: bool = False) -> StoreFault | None:
    """Serve until stopped; the store fault that stopped the node, if one did.

    `front_limits` bounds what one API client may cost (default `FrontLimits()`); the
    API is served as the node's api_tls says (node/api_tls.py; `ca_loaded`, from
    check_api_tls, for "ca"), and
    every request is logged to `access_log` when one is given. `state_sync`: a node whose
    store holds the genesis only starts from a peer's snapshot (node.replication.state_sync)."""
    # Before anything answers: a client that saw the API up may stop the node at once.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, node.stop)
    api = api_tls(node.identity.entry.api_tls, ca_loaded, node.signer, node.config.chain_id,
                  node.name)
    replication = Replication(node, data_dir, routes=routes, state_sync=state_sync)
    node.replication = replication  # /v1/status, /ready and /metrics read its links
    admin = AdminSocket(node, data_dir)  # DATA/admin.sock: `claimledger-node backup`
    # Behind the front's limits: connection caps, head and body deadlines (node/front.py);
    # [limits] of network.toml: each client's budget here, each member's and peer's share
    # in the mempool (node.service gives the mempool its part).
    app = make_app(node, SubmitLimit.of(node.config.limits), front_limits=front_limits)
    requests = None
    if access_log is not None:
        requests = AccessLog(access_log)
        requests.start()
        app.middlewares.insert(0, access_logged(requests))  # outermost: sees what is sent
    runner, _ = await start_front(app, host, port, api.context)
    await listen_for_peers(node, replication, peer_address)
    await admin.start()
    logging.getLogger("claimledger.node").info(
        "%s (%s) serving %s://%s:%d/v1/status at height %d",
        node.name, node.describe_role(), api.scheme, host, port, node.chain.head.height,
    )
    replication.start()
    try:
        if node.is_validator and not replication.consensus:
            await node.run_producer()  # the only validator makes the blocks alone
        else:
            await node.wait_stopped()
    finally:
        api.stop()
        await admin.stop()  # waits for a backup being made: the store closes below
        await replication.stop()
        await runner.cleanup()
        if requests is not None:
            requests.close()
        node.close()
    return node.fault


def configure_logging(level: str, log_format: str = "text") -> None:
    logs.configure_logging(level, log_format)


def unseal_node_key(key_path: Path, passphrase_file: Path | None) -> NodeSigner:
    """A signer over the node key, unsealed from its key store: the node key lives
    nowhere else (no copy on disk, in clear or not)."""
    try:
        document = json.loads(key_path.read_text(encoding="utf-8"))
        warning = unsafe_mode_warning(str(key_path), key_path.stat().st_mode)
        if warning is not None:  # through the log: a line of its format (JSON or text)
            logging.getLogger("claimledger.node").warning(
                "%s", warning, extra={"code": "keystore.unsafe_mode"})
        return LocalSigner(unseal(document, read_passphrase(passphrase_file)))
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None


@dataclass(frozen=True)
class Setup:
    """Where a command finds the network, the store and the key: a node's home
    (node.toml and the genesis it names), or network.toml with --data and --key."""

    config: NetworkConfig
    data_dir: Path
    key_path: Path | None
    passphrase_file: Path | None
    settings: NodeSettings | None = None


def node_setup(home: Path | None, config_path: Path | None, network_path: Path | None,
               data_dir: Path | None, key_path: Path | None,
               passphrase_file: Path | None) -> Setup:
    """The setup the options give; --data, --key and --passphrase-file override
    node.toml's."""
    try:
        if home is not None or config_path is not None:
            if network_path is not None:
                raise click.UsageError("--network goes without --home and --config")
            settings = load_node_config(config_path or home)  # type: ignore[arg-type]
            document, hash_ = load_genesis(settings.genesis)
            config = network_config(document, hash_, settings.max_mempool_txs,
                                    settings.sync_batch_blocks, settings.limits,
                                    default_registry())
            return Setup(config, data_dir or settings.data_dir, key_path or settings.key_file,
                         passphrase_file or settings.passphrase_file, settings)
        if network_path is None or data_dir is None:
            raise click.UsageError("give --home DIR (or --config DIR/node.toml), or "
                                   "--network network.toml with --data (and --key)")
        return Setup(load_network(network_path), data_dir, key_path, passphrase_file)
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None


def own_entry(settings: NodeSettings | None, key: NodeSigner) -> NodeEntry | None:
    """This node's name and addresses from node.toml, for a key the genesis does not
    list (a node the registry admits later, or a rotated key)."""
    if settings is None:
        return None
    host = settings.api.rpartition(":")[0]
    return NodeEntry(settings.name, key.address, settings.api, 0, settings.peer or "",
                     "off" if is_loopback_host(host) else "node-key")


def check_name(setup: Setup, node: Node) -> None:
    """node.toml's name must be the one the genesis gives this node's key (a key the
    genesis does not list goes by node.toml's name)."""
    if setup.settings is not None and setup.settings.name != node.name:
        node.close()
        raise click.ClickException(
            f"config.invalid: {setup.settings.path} names this node "
            f"{setup.settings.name!r}, but the genesis lists its key as {node.name!r}")


def open_node(config: NetworkConfig, data_dir: Path, signer: NodeSigner,
              own: NodeEntry | None = None) -> Node:
    """The node over its store; a node key left in clear by earlier versions (DATA/tls)
    is deleted first. `own`: node.toml's entry, for a key the genesis does not list."""
    try:
        tls.remove_legacy_files(data_dir)
        return Node(config, data_dir, signer, own=own)
    except StoreFault as e:
        raise fault_exit(e) from None
    except LedgerError as e:
        if e.code in FAULT_EXITS:  # a release that lacks what the chain runs
            raise Failure(e.code, e.message, FAULT_EXITS[e.code]) from None
        raise click.ClickException(f"{e.code}: {e.message}") from None
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None


def release_version() -> str:
    try:
        return importlib.metadata.version("claimledger")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the release, its protocol version and the contract versions it runs."""
    if not value or ctx.resilient_parsing:
        return
    registry = default_registry()
    click.echo(f"claimledger-node {release_version()}")
    click.echo(f"protocol {PROTOCOL_VERSION}")
    for name in registry.names():
        for (n, version), contract in sorted(registry.by_key.items()):
            if n == name:
                click.echo(f"contract {name} v{version} {contract.code_hash.hex()}")
    ctx.exit()


@click.group()
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=print_version, help="the release, protocol and contract versions")
def main() -> None:
    """Run and inspect a Claimledger node."""


def setup_options(command: Callable) -> Callable:
    """--home / --config, or --network with --data and --key (node_setup)."""
    for option in reversed([
        click.option("--home", type=click.Path(path_type=Path, file_okay=False),
                     default=None, help="the node's home (node.toml, genesis.json, key "
                     "store), as `claimledger-node init` made it"),
        click.option("--config", "config_path", type=click.Path(path_type=Path),
                     default=None, help="node.toml, when it is not in --home"),
        click.option("--network", "network_path", type=click.Path(path_type=Path),
                     default=None, help="instead of --home: network.toml with keys filled "
                     "in (its genesis is made from it), with --data and --key"),
        click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
                     help="data directory (LevelDB lives in DATA/ledger); default: "
                     "node.toml's"),
    ]):
        command = option(command)
    return command


@main.command()
@setup_options
@click.option("--key", "key_path", type=click.Path(path_type=Path), default=None,
              help="the node's key store file (default: node.toml's)")
@click.option("--passphrase-file", type=click.Path(path_type=Path), default=None,
              help=f"file holding the key store passphrase (else ${PASSPHRASE_ENV}, else a prompt)")
@click.option("--api", "api_address", default=None,
              help="HOST:PORT for the HTTP API (default: this node's entry in network.toml)")
@click.option("--peer", "peer_address", default=None,
              help="HOST:PORT for TLS peer links (default: this node's entry in network.toml)")
@click.option("--peer-route", "peer_routes", multiple=True, metavar="NAME=HOST:PORT",
              help="dial the peer NAME at HOST:PORT instead of its network.toml address "
                   "(a proxy; its certificate is still pinned to its key)")
@click.option("--api-cert", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help='with api_tls = "ca": the API\'s CA-issued certificate chain (PEM, leaf '
                   "first)")
@click.option("--api-key", "api_key", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="with --api-cert: its private key, encrypted PKCS#8 (PEM)")
@click.option("--api-key-passphrase-file", type=click.Path(path_type=Path), default=None,
              help=f"file holding --api-key's passphrase (else ${CA_KEY_PASSPHRASE_ENV})")
@click.option("--access-log", "access_log_path", type=click.Path(path_type=Path),
              default=None, help="write a JSON line for every API request to this file")
@click.option("--access-log-max-bytes", type=click.IntRange(4096), default=64 << 20,
              show_default=True, help="roll the access log over before it passes this size")
@click.option("--access-log-backups", type=click.IntRange(1, 1000), default=10,
              show_default=True, help="rolled-over access log files kept (FILE.1 ... FILE.N)")
@click.option("--log-level", default=None, help="default: node.toml's, else INFO")
@click.option("--log-format", type=click.Choice(logs.FORMATS), default=None,
              envvar="CLAIMLEDGER_LOG_FORMAT",
              help="text lines for people, or one JSON object per line (time, level, "
                   "logger, message and fields; also from $CLAIMLEDGER_LOG_FORMAT); "
                   "default: node.toml's log_format, else text")
@click.option("--event-loop", type=click.Choice(["uvloop", "asyncio"]), default="uvloop",
              show_default=True, envvar="CLAIMLEDGER_EVENT_LOOP",
              help="uvloop (libuv) or the standard library's loop (also from "
                   "$CLAIMLEDGER_EVENT_LOOP)")
@click.option("--state-sync", is_flag=True, default=False,
              help="a new node (its store empty): start from a peer's snapshot of the "
                   "state, checked against a header certified from genesis, then block "
                   "sync (also node.toml's state_sync = true)")
@click.option("--member", "member", default=None, metavar="ADDRESS",
              help="run a light node for this member instead (its home's node.toml names "
                   "the upstream full nodes and the member's key store: node/light)")
def run(home: Path | None, config_path: Path | None, network_path: Path | None,
        data_dir: Path | None, key_path: Path | None, passphrase_file: Path | None,
        api_address: str | None, peer_address: str | None, peer_routes: tuple[str, ...],
        api_cert: Path | None, api_key: Path | None, api_key_passphrase_file: Path | None,
        access_log_path: Path | None, access_log_max_bytes: int, access_log_backups: int,
        log_level: str | None, log_format: str | None, event_loop: str,
        state_sync: bool, member: str | None) -> None:
    """Run a node until SIGTERM or Ctrl-C (or a store fault: exit 3 or 4); with --member,
    a member's light node."""
    if member is not None:
        run_light(home or config_path, member, passphrase_file, log_level, log_format,
                  event_loop)
        return
    if (home or config_path) is not None and is_light_config(home or config_path):
        raise click.UsageError("this home is a light node's (its node.toml names upstream "
                               "nodes): run it with --member ADDRESS")
    setup = node_setup(home, config_path, network_path, data_dir, key_path, passphrase_file)
    settings = setup.settings
    configure_logging(log_level or (settings.log_level if settings else "INFO"),
                      log_format or (settings.log_format if settings else "text"))
    if setup.key_path is None:
        raise click.UsageError("--network needs --key (the node's key store file)")
    key = unseal_node_key(setup.key_path, setup.passphrase_file)
    config, data_dir = setup.config, setup.data_dir
    if settings is not None:  # node.toml's, unless an option says otherwise
        peer_routes = (*(f"{k}={v}" for k, v in settings.dial.items()), *peer_routes)
        peer_address = peer_address or settings.peer
        if api_cert is None and api_key is None:
            api_cert, api_key = settings.api_cert, settings.api_key
            api_key_passphrase_file = api_key_passphrase_file or \
                settings.api_key_passphrase_file
    routes = parse_routes(config, peer_routes)
    ca = ca_certificate(api_cert, api_key, api_key_passphrase_file)
    access_log = None if access_log_path is None else AccessLogConfig(
        access_log_path, access_log_max_bytes, access_log_backups)
    node = open_node(config, data_dir, key, own_entry(settings, key))
    check_name(setup, node)
    host, port = split_address(api_address or (settings.api if settings else None)
                               or node.identity.entry.api)
    try:  # before anything starts: a plain listener off the loopback is refused at once
        ca_loaded = check_api_tls(node.identity.entry.api_tls, host, where_in_network(node),
                                  ca)
    except LedgerError as e:
        node.close()
        raise click.ClickException(f"{e.code}: {e.message}") from None
    logging.getLogger("claimledger.node").debug("running on the %s event loop", event_loop)
    state_sync = state_sync or (settings is not None and settings.state_sync)
    main = serve(node, data_dir, host, port, peer_address, routes, ca_loaded=ca_loaded,
                 access_log=access_log, state_sync=state_sync)
    fault = uvloop.run(main) if event_loop == "uvloop" else asyncio.run(main)
    if fault is not None:
        raise fault_exit(fault)


def run_light(home: Path | None, member: str, passphrase_file: Path | None,
              log_level: str | None, log_format: str | None, event_loop: str) -> None:
    """A member's light node from its home (node/light): follows the chain from the
    genesis, keeps the member's records with their proofs, serves its wallet."""
    if home is None:
        raise click.UsageError("--member needs --home DIR (a light node's home)")
    try:
        address = parse_address(member)
        settings = load_light_config(home)
        if settings.member is not None and settings.member != address:
            raise LedgerError("config.invalid", f"{settings.path} is the light node of "
                              f"{settings.member.hex()}, not of {address.hex()}")
        configure_logging(log_level or settings.log_level, log_format or "text")
        document = json.loads(settings.key_file.read_text(encoding="utf-8"))
        warning = unsafe_mode_warning(str(settings.key_file), settings.key_file.stat().st_mode)
        if warning is not None:
            logging.getLogger("claimledger.light").warning("%s", warning)
        key = unseal(document, read_passphrase(passphrase_file or settings.passphrase_file))
        if member_of(document) != address:
            raise LedgerError("config.invalid", f"{settings.key_file} holds the key of "
                              f"{member_of(document).hex()}, not of the member "
                              f"{address.hex()}")
        main = serve_light(settings, key, address)
        uvloop.run(main) if event_loop == "uvloop" else asyncio.run(main)
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None


@main.command("verify-store")
@setup_options
@click.option("--log-level", default="WARNING", show_default=True)
def verify_store(home: Path | None, config_path: Path | None, network_path: Path | None,
                 data_dir: Path | None, log_level: str) -> None:
    """Check the whole store of a stopped node: every key's checksum, every block's links
    and certificate, and every block executed again from genesis (exit 0 or 3)."""
    configure_logging(log_level)
    setup = node_setup(home, config_path, network_path, data_dir, None, None)
    config, data_dir = setup.config, setup.data_dir
    try:
        store = Store(data_dir / "ledger", create=False)
    except StoreFault as e:
        raise fault_exit(e) from None
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    try:
        if store.genesis_id() is None:
            raise click.ClickException(f"store.empty: {data_dir / 'ledger'} holds no chain")
        chain = Chain(store, default_registry(), config)
        started = time.monotonic()
        report = chain.verify_all()
    except StoreFault as e:
        raise fault_exit(e) from None
    except StoreError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    except LedgerError as e:
        if e.code in FAULT_EXITS:  # a release that lacks what the chain runs
            raise Failure(e.code, e.message, FAULT_EXITS[e.code]) from None
        raise
    finally:
        store.close()
    keys = sum(report.keys.values())
    click.echo(f"store ok: height {report.height}, block {report.block_id.hex()}, state root "
               f"{report.state_root.hex()}, {report.txs} transactions, {keys} keys "
               f"({time.monotonic() - started:.1f} s)")


def set_aside(ledger: Path, data_dir: Path) -> Path | None:
    """Rename a store to DATA/store.corrupt-<UTC time>; never delete it."""
    if not ledger.exists():
        return None
    lock = ledger / "LOCK"
    if lock.exists():
        with lock.open("rb+") as f:  # LevelDB's own lock: held while a node runs
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise click.ClickException(
                    f"store.in_use: {ledger} is open in a running node; stop it first"
                ) from None
            fcntl.lockf(f, fcntl.LOCK_UN)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = data_dir / f"store.corrupt-{stamp}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = data_dir / f"store.corrupt-{stamp}-{suffix}"
    os.rename(ledger, target)
    return target


def check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror}") from None


async def sync_from_peers(node: Node, data_dir: Path, host: str, port: int,
                          stall_s: float) -> None:
    """Block sync alone until the store reaches the head the peers report; `Failure`
    when no block comes for `stall_s` seconds or the process is told to stop."""
    replication = Replication(node, data_dir, sync_only=True)
    # Validators whose keys sort before this node's dial it: serve their links.
    await replication.peers.listen(host, port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, node.stop)
    log = logging.getLogger("claimledger.resync")
    replication.start()
    try:
        height, progress_at = node.chain.head.height, loop.time()
        while not node.stopping:
            target = replication.sync_target()
            head = node.chain.head.height
            if target is not None and head >= target:
                log.info("caught up with the peers' head at height %d", head)
                return
            if head > height:
                height, progress_at = head, loop.time()
            elif loop.time() - progress_at > stall_s:
                heard = "no validator reported its head" if target is None else \
                    f"the peers report height {target}"
                raise Failure("resync.failed", f"no block came for {stall_s:g} s at height "
                              f"{head} ({len(replication.peers.links)} peers linked, "
                              f"{heard}); the store keeps the blocks verified so far",
                              EXIT_RESYNC_FAILED)
            with contextlib.suppress(TimeoutError):  # a tenth of a second between looks
                await asyncio.wait_for(node.wait_stopped(), timeout=0.1)
        if node.fault is None:
            raise Failure("resync.failed", f"interrupted at height {node.chain.head.height}; "
                          "the store keeps the blocks verified so far", EXIT_RESYNC_FAILED)
    finally:
        await replication.stop()


@main.command()
@setup_options
@click.option("--key", "key_path", type=click.Path(path_type=Path), default=None,
              help="the node's key store file (default: node.toml's)")
@click.option("--passphrase-file", type=click.Path(path_type=Path), default=None,
              help=f"file holding the key store passphrase (else ${PASSPHRASE_ENV}, else a prompt)")
@click.option("--peer", "peer_address", default=None,
              help="HOST:PORT where peers reach this node over TLS (default: its entry in "
                   "network.toml)")
@click.option("--stall-s", default=RESYNC_STALL_S, show_default=True, type=click.IntRange(1),
              help="give up when no block comes for this many seconds")
@click.option("--log-level", default="INFO", show_default=True)
def resync(home: Path | None, config_path: Path | None, network_path: Path | None,
           data_dir: Path | None, key_path: Path | None, passphrase_file: Path | None,
           peer_address: str | None, stall_s: int, log_level: str) -> None:
    """Rebuild a damaged store from the peers: move it aside (DATA/store.corrupt-<time>),
    start again at genesis, and fetch, verify and execute every block up to the peers'
    head. DATA/consensus.wal stays: a validator never signs twice. Then exit 0."""
    configure_logging(log_level)
    setup = node_setup(home, config_path, network_path, data_dir, key_path, passphrase_file)
    if setup.key_path is None:
        raise click.UsageError("--network needs --key (the node's key store file)")
    config, data_dir = setup.config, setup.data_dir
    key = unseal_node_key(setup.key_path, setup.passphrase_file)
    if setup.settings is not None:
        peer_address = peer_address or setup.settings.peer
    try:
        identity = identify(config, key, own_entry(setup.settings, key))
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    if not any(v.key != key.address for v in config.validators):
        raise Failure("resync.failed", "this node is the network's only validator: there "
                      "is no peer to resync from", EXIT_RESYNC_FAILED)
    host, port = split_address(peer_address or identity.entry.peer)
    check_port_free(host, port)
    data_dir.mkdir(parents=True, exist_ok=True)
    aside = set_aside(data_dir / "ledger", data_dir)
    log = logging.getLogger("claimledger.resync")
    if aside is not None:
        log.warning("moved the damaged store to %s", aside)
    node = open_node(config, data_dir, key, own_entry(setup.settings, key))
    check_name(setup, node)
    try:
        asyncio.run(sync_from_peers(node, data_dir, host, port, stall_s))
    finally:
        node.close()
    if node.fault is not None:
        raise fault_exit(node.fault)
    head = node.chain.head
    kept = f"; the damaged store is kept at {aside}" if aside is not None else ""
    click.echo(f"resynced to height {head.height} (block {head.block_id.hex()}, state root "
               f"{head.state_root.hex()}), every certificate verified and every block "
               f"executed{kept}; start the node with `claimledger-node run`")


def new_passphrase(passphrase_file: Path | None) -> str:
    """The passphrase a new key store is sealed with: from its file, the environment,
    or asked twice."""
    if passphrase_file is not None or PASSPHRASE_ENV in os.environ:
        return read_passphrase(passphrase_file)
    return click.prompt("Passphrase for the new node key", hide_input=True,
                        confirmation_prompt=True)


@main.command()
@click.option("--genesis", "genesis_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="the network's genesis.json (copied into the home); left "
              "out for a founding node, whose key the genesis is yet to list: put the "
              "genesis.json in the home before the first run")
@click.option("--name", required=True, help="the node's name, as the genesis or the node "
              "registry lists it")
@click.option("--home", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="the directory to make (it must hold no node.toml yet)")
@click.option("--passphrase-file", type=click.Path(path_type=Path), default=None,
              help=f"file holding the new key store's passphrase (else ${PASSPHRASE_ENV}, "
                   "else asked twice); node.toml refers to it when given")
@click.option("--api", "api_address", default=None,
              help="HOST:PORT for the API (default: the genesis's entry, else "
                   f"{home_files.DEFAULT_API})")
@click.option("--peer", "peer_address", default=None,
              help="HOST:PORT for TLS peer links (default: the genesis's entry; else "
                   f"{home_files.DEFAULT_PEER})")
def init(genesis_path: Path, name: str, home: Path, passphrase_file: Path | None,
         api_address: str | None, peer_address: str | None) -> None:
    """Make a node's home: a copy of the genesis, a new encrypted node key store and a
    node.toml to edit; then print what the operators must register for this node."""
    if genesis_path is None:
        founding_home(name, home, passphrase_file, api_address, peer_address)
        return
    try:
        data = genesis_path.read_bytes()
        document = parse_genesis(data, str(genesis_path))
        network_config(document, genesis_hash(data), 1, 1, Limits(), default_registry())
    except OSError as e:
        raise click.ClickException(f"config.invalid: cannot read {genesis_path}: "
                                   f"{e.strerror}") from None
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    entry = home_files.listed(document, name)
    api = api_address or entry.api or home_files.DEFAULT_API
    peer = peer_address or entry.peer or (home_files.DEFAULT_PEER if not entry.role else None)
    key = make_home(home, data, name, api, peer, passphrase_file)
    address = key.address.hex()
    click.echo(f"made {home}: {home_files.GENESIS_FILE} (genesis "
               f"{genesis_hash(data).hex()}), {home_files.KEY_FILE}, {home_files.NODE_TOML}")
    click.echo(f"node key: {address}")
    click.echo("")
    if entry.role and entry.key == address:
        click.echo(f"the genesis lists {name} as a {entry.role} with this key")
    elif entry.role:
        click.echo(f"the genesis lists {name} as a {entry.role} with the key {entry.key}, "
                   "not this new one: the network refuses this node until its operators "
                   "register the new key (a new genesis before the chain starts, a key "
                   "rotation after)")
    if not (entry.role and entry.key == address):
        print_registration(document, name, address, api, peer, entry.role)
    click.echo(f"Edit {home / home_files.NODE_TOML}, then start the node with: "
               f"claimledger-node run --home {home}")


def make_home(home: Path, genesis: bytes | None, name: str, api: str, peer: str | None,
              passphrase_file: Path | None) -> KeyPair:
    """A node's home with a new node key sealed under the passphrase; the key."""
    for text in (api, peer):
        if text is not None:
            split_address(text)
    key = KeyPair.generate()
    passphrase = new_passphrase(passphrase_file)
    kept = str(passphrase_file.resolve()) if passphrase_file is not None else None
    try:
        home_files.write_home(home, genesis, name, home_files.render_node_toml(
            name, api, peer, passphrase_file=kept), key, passphrase)
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    return key


def founding_home(name: str, home: Path, passphrase_file: Path | None,
                  api_address: str | None, peer_address: str | None) -> None:
    """`init` before the genesis exists: the key and node.toml of a founding node, and
    its entry of network.toml for the agency, which writes the genesis from them."""
    api = api_address or home_files.DEFAULT_API
    peer = peer_address or home_files.DEFAULT_PEER
    key = make_home(home, None, name, api, peer, passphrase_file)
    click.echo(f"made {home}: {home_files.KEY_FILE}, {home_files.NODE_TOML}; no genesis yet")
    click.echo(f"node key: {key.address.hex()}")
    click.echo("")
    click.echo("Send the agency this entry for the network's network.toml (an observer: "
               "[[observers]], without peer and power); put the genesis.json it writes "
               f"into {home} and compare its hash before the first run.")
    click.echo("")
    click.echo("  [[validators]]")
    click.echo(f'  name = "{name}"')
    click.echo(f'  key = "{key.address.hex()}"')
    click.echo(f'  api = "{api}"  # where wallets reach it')
    click.echo(f'  peer = "{peer}"  # where the other validators dial it')
    click.echo("  power = 1")
    click.echo('  operator = "<the handle of the member that runs this node>"')
    click.echo("")
    click.echo(f"Then start the node with: claimledger-node run --home {home}")


def print_registration(document: GenesisDocument, name: str, address: str, api: str,
                       peer: str | None, listed_as: str) -> None:
    """What the operators submit for a node the chain does not know yet: the registry
    transactions on a running chain (wallet command lines), or an entry of network.toml
    before the genesis is written."""
    wallet = (f"claimledger-wallet --network genesis.json --node "
              f"{document.validators[0].name} --key AGENCY-KEY.json")
    observer = listed_as == "observer"
    click.echo("On a running chain, the node registry admits it (the node may start now: "
               "it follows the chain and links once admitted).")
    if not observer:
        click.echo("As a validator: the agency proposes, then the operators of validators "
                   "holding more than 2/3 of the power approve (in force two blocks after "
                   "the approval that passes it):")
        click.echo("")
        click.echo(f"  {wallet} nodes propose add-validator --key {address} --power 1 "
                   f"--peer {peer or home_files.DEFAULT_PEER} --operator OPERATOR-ADDRESS "
                   f"--name {name}")
        click.echo("  claimledger-wallet --network genesis.json --node VALIDATOR "
                   "--key OPERATOR-KEY.json nodes approve PROPOSAL-ID   # each operator")
        click.echo("")
        click.echo("As an observer (run by the agency or a regulator), the agency alone:")
    else:
        click.echo("As an observer, the agency alone:")
    click.echo("")
    click.echo(f"  {wallet} nodes admit-observer --key {address} --operator "
               f"OPERATOR-ADDRESS --name {name}")
    click.echo("")
    click.echo("Before the chain starts instead: this entry of network.toml, from which "
               "`claimledger-node genesis` writes the genesis (a validator has a peer "
               "address and a power, an observer neither):")
    click.echo("")
    click.echo("  [[observers]]" if observer else "  [[validators]]  # or [[observers]]")
    click.echo(f'  name = "{name}"')
    click.echo(f'  key = "{address}"')
    click.echo(f'  api = "{api}"')
    if peer and not observer:
        click.echo(f'  peer = "{peer}"')
        click.echo("  power = 1")
    click.echo('  operator = "<the handle of the member that runs this node>"')
    click.echo("")


@main.command("genesis")
@click.option("--network", "network_path", type=click.Path(path_type=Path, dir_okay=False),
              required=True, help="network.toml with every key and address filled in")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False),
              required=True, help="the genesis.json to write (never over an existing one)")
def make_genesis(network_path: Path, out_path: Path) -> None:
    """Write the genesis document of the network network.toml plans, with the contract
    versions of this release in force; print its genesis hash."""
    try:
        plan = read_plan(network_path.read_text(encoding="utf-8"))
    except OSError as e:
        raise click.ClickException(f"config.invalid: cannot read {network_path}: "
                                   f"{e.strerror}") from None
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    data = encode_genesis(plan.genesis)
    try:
        with out_path.open("xb") as f:
            f.write(data)
    except FileExistsError:
        raise click.ClickException(f"init.exists: {out_path} exists already; a network's "
                                   "genesis is written once") from None
    click.echo(f"wrote {out_path}: chain {plan.genesis.chain_id}, genesis hash "
               f"{genesis_hash(data).hex()}")


@main.command("genesis-id")
@click.option("--home", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="a node's home: its genesis.json, as node.toml names it")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="node.toml, when it is not in --home")
@click.option("--network", "network_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="instead of --home: the network's genesis.json, or its "
              "network.toml with every key filled in")
def print_genesis_id(home: Path | None, config_path: Path | None,
                     network_path: Path | None) -> None:
    """Print the genesis block id: the id of block 0, computed here from your own copy
    of the network's genesis, with no store and no node asked. A wallet trusts this id
    and nothing else (`claimledger-wallet trust ID`): every header after it is checked."""
    if (home is None and config_path is None) == (network_path is None):
        raise click.UsageError("give --home DIR (or --config DIR/node.toml), or --network "
                               "genesis.json")
    try:
        if network_path is None:
            settings = load_node_config(config_path or home)  # type: ignore[arg-type]
            network_path = settings.genesis
        text = network_path.read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):  # genesis.json; network.toml cannot start so
            document, hash_ = load_genesis(network_path)
            # Block 0 is made of the genesis alone: this node's own settings play no part.
            genesis = network_config(document, hash_, 1, 1, Limits(), default_registry()).genesis
        else:
            genesis = load_network(network_path).genesis
        block, _, _ = genesis_block(default_registry(), genesis)
    except OSError as e:
        raise click.ClickException(f"config.invalid: cannot read {network_path}: "
                                   f"{e.strerror}") from None
    except LedgerError as e:
        raise click.ClickException(f"{e.code}: {e.message}") from None
    click.echo(block_id(block.header).hex())


@main.command()
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="the data directory of the RUNNING node to back up")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="a new or empty directory: OUT/ledger and OUT/backup.json")
def backup(data_dir: Path, out_dir: Path) -> None:
    """Back up a running node's store while it runs: the node copies a consistent
    snapshot of its store to OUT/ledger (through DATA/admin.sock) and names the head it
    holds in OUT/backup.json. Never a key, nor the consensus signing log. Exit 0 or 6."""
    try:
        manifest = asyncio.run(request_backup(data_dir, out_dir.resolve()))
    except BackupError as e:
        raise Failure(e.code, e.message, EXIT_BACKUP_FAILED) from None
    click.echo(f"backed up height {manifest['height']} (block {manifest['block_id']}, state "
               f"root {manifest['state_root']}): {manifest['keys']} keys, "
               f"{manifest['bytes']} bytes in {out_dir.resolve() / 'ledger'}")


if __name__ == "__main__":
    main()
