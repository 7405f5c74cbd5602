"""A node's home directory: its copy of the genesis, its key store and its node.toml.

`claimledger-node init` makes one for a new node, scripts/devnet one for each node of the
local network, and `claimledger-node run --home DIR` runs from it:

    DIR/genesis.json   the network's genesis document, byte for byte as distributed
    DIR/node-key.json  the node key, sealed with a passphrase (argon2id + secretbox)
    DIR/node.toml      this node's own settings (node/node_config.py), to edit
    DIR/data/          its store (LevelDB), made at first start
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.keystore import FILE_MODE, seal
from node.genesis import GenesisDocument

GENESIS_FILE = "genesis.json"
KEY_FILE = "node-key.json"
NODE_TOML = "node.toml"
DEFAULT_API = "127.0.0.1:8700"
DEFAULT_PEER = "127.0.0.1:8710"


@dataclass(frozen=True)
class Listed:
    """How the genesis lists a node of this name, if it does."""

    role: str  # "validator", "observer", or "" (not listed)
    key: str  # the node key the genesis gives it
    api: str
    peer: str


def listed(document: GenesisDocument, name: str) -> Listed:
    for v in document.validators:
        if v.name == name:
            return Listed("validator", v.key, v.api, v.peer)
    for o in document.observers:
        if o.name == name:
            return Listed("observer", o.key, o.api, "")
    return Listed("", "", "", "")


def write_private(path: Path, text: str) -> None:
    """A new file only its owner may read; never over an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def write_key_store(path: Path, key: KeyPair, passphrase: str, name: str) -> None:
    write_private(path, json.dumps(seal(key, passphrase, name), indent=1) + "\n")


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is a JSON string


def render_node_toml(name: str, api: str, peer: str | None, key_file: str = KEY_FILE,
                     passphrase_file: str | None = None, genesis: str = GENESIS_FILE,
                     data_dir: str = "data", dial: dict[str, str] | None = None,
                     limits: dict[str, int] | None = None, log_level: str = "INFO",
                     max_mempool_txs: int = 20_000, sync_batch_blocks: int = 64) -> str:
    """A node.toml with its fields explained; what is not given keeps its default."""
    peer_line = f"peer = {toml_string(peer)}" if peer else \
        '# peer = "0.0.0.0:8710"  # a validator\'s TLS peer links; an observer only dials'
    passphrase = f"passphrase_file = {toml_string(passphrase_file)}" if passphrase_file else \
        '# passphrase_file = "passphrase"  # else $CLAIMLEDGER_PASSPHRASE, else a prompt'
    lines = [
        "# This node's own settings; the network's rules are in the genesis document.",
        "# Relative paths are taken from this file's directory.",
        f"genesis = {toml_string(genesis)}  # every node holds the same file, byte for byte",
        f"name = {toml_string(name)}  # as the genesis (or the node registry) lists it",
        f"data_dir = {toml_string(data_dir)}  # LevelDB lives in DATA/ledger",
        f"log_level = {toml_string(log_level)}  # DEBUG, INFO, WARNING, ERROR",
        'log_format = "text"  # or "json": one JSON object per line, for a log shipper',
        f"max_mempool_txs = {max_mempool_txs}  # pending transactions it holds at most",
        f"sync_batch_blocks = {sync_batch_blocks}  # blocks per block sync request",
        "# state_sync = true  # a new node: start from a peer's snapshot, checked against "
        "a certified header",
        "",
        "[listen]",
        f"api = {toml_string(api)}  # the HTTP API (as the genesis lists it for wallets)",
        peer_line,
        "",
        "[key]",
        f"file = {toml_string(key_file)}  # the node key, sealed with a passphrase",
        passphrase,
        "",
        "# [api_certificate]  # with api_tls = \"ca\" in the genesis: a CA-issued certificate",
        '# cert = "api-chain.pem"          # chain, leaf first',
        '# key = "api-key.pem"             # encrypted PKCS#8',
        '# passphrase_file = "api-key-passphrase"',
        "",
        "# Peers to dial at another address than the genesis gives (a proxy; the peer's",
        "# certificate is still pinned to its node key): NAME = \"HOST:PORT\".",
        "[dial]",
        *(f"{toml_string(k)} = {toml_string(v)}" for k, v in (dial or {}).items()),
        "",
        "# What one client, member or peer may ask of this node; left out, the defaults",
        "# (fit for a node that faces the internet; see the README).",
        "[limits]",
        *(f"{k} = {v}" for k, v in (limits or {}).items()),
    ]
    return "\n".join(lines) + "\n"


def write_home(home: Path, genesis_bytes: bytes | None, name: str, node_toml: str,
               key: KeyPair | None = None, passphrase: str = "") -> None:
    """Fill `home` (made if missing) with the genesis (when given), node.toml and, when
    `key` is given, a new key store sealed with `passphrase`. Refuses a home that has a node.toml
    or a key store already: an operator's key is never overwritten."""
    home.mkdir(parents=True, exist_ok=True)
    for taken in (NODE_TOML, KEY_FILE):
        if (home / taken).exists() and (taken == NODE_TOML or key is not None):
            raise LedgerError("init.exists", f"{home / taken} exists already; init makes "
                              "a new home and never overwrites a node's key or settings")
    if key is not None:
        write_key_store(home / KEY_FILE, key, passphrase, name)
    if genesis_bytes is not None:  # a founding node gets the genesis once it is written
        (home / GENESIS_FILE).write_bytes(genesis_bytes)
    (home / NODE_TOML).write_text(node_toml, encoding="utf-8")
