"""A light node's node.toml: where its genesis, store and member key lie, which full
nodes it asks (upstream), and where it serves its member's wallet.

    genesis = "genesis.json"            # the trust root: block 0 is computed from it
    member = "<64 hex digits>"          # whose node this is (--member must agree)
    data_dir = "data"                   # LevelDB in DATA/light
    upstream = ["http://127.0.0.1:8701"]  # full nodes' APIs, tried in turn
    poll_ms = 500                       # how often it asks for new headers
    [listen]
    api = "127.0.0.1:8790"              # the wallet's API: a loopback address only
    [key]
    file = "member-key.json"            # the member's key store: signs its read requests
    # passphrase_file = "passphrase"    # else $CLAIMLEDGER_PASSPHRASE, else a prompt

Read strictly, as a full node's node.toml is (node/schema.py): a misspelt field is
`config.invalid` naming it. Relative paths are taken from node.toml's directory.
"""

from __future__ import annotations

import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from contracts.errors import LedgerError
from contracts.tls_binding import is_loopback_host
from node.home import GENESIS_FILE, NODE_TOML, toml_string
from node.schema import HexKey, HostPort, Strict, validated

DEFAULT_POLL_MS = 500
MAX_UPSTREAMS = 16
LogLevel = Annotated[str, Field(pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")]


class LightListen(Strict):
    api: HostPort


class LightKey(Strict):
    file: str
    passphrase_file: str | None = None


class LightToml(Strict):
    genesis: str = GENESIS_FILE
    member: HexKey | None = None
    data_dir: str = "data"
    log_level: LogLevel = "INFO"
    upstream: Annotated[list[str], Field(min_length=1, max_length=MAX_UPSTREAMS)]
    poll_ms: Annotated[int, Field(ge=50, le=600_000)] = DEFAULT_POLL_MS
    listen: LightListen
    key: LightKey


@dataclass(frozen=True)
class LightSettings:
    """A light node's node.toml with its paths made absolute."""

    path: Path
    genesis: Path
    member: bytes | None
    data_dir: Path
    log_level: str
    upstream: tuple[str, ...]
    poll_ms: int
    api: str
    key_file: Path
    passphrase_file: Path | None


def _upstream_url(text: str, where: str) -> str:
    """A full node's API URL: https, or http to a loopback address (as the wallet allows:
    elsewhere a plain request would show the member's reads to anyone on the way)."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LedgerError("config.invalid", f"{where}: upstream {text!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise LedgerError("config.invalid", f"{where}: upstream {text!r} is plain HTTP off "
                          "this machine; use https")
    return text.rstrip("/")


def parse_light_config(text: str, path: Path) -> LightSettings:
    """node.toml's `text` as a light node reads it, from `path`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LedgerError("config.invalid", f"{path} is not valid TOML: {e}") from None
    doc: LightToml = validated(LightToml, raw, str(path))
    host = doc.listen.api.rpartition(":")[0]
    if not is_loopback_host(host):
        raise LedgerError("config.invalid", f"{path}: listen.api {doc.listen.api!r} is not a "
                          "loopback address: a light node serves its own member's wallet, "
                          "on this machine only")
    base = path.parent
    return LightSettings(
        path=path, genesis=base / doc.genesis,
        member=bytes.fromhex(doc.member) if doc.member else None,
        data_dir=base / doc.data_dir, log_level=doc.log_level,
        upstream=tuple(_upstream_url(u, str(path)) for u in doc.upstream),
        poll_ms=doc.poll_ms, api=doc.listen.api, key_file=base / doc.key.file,
        passphrase_file=None if doc.key.passphrase_file is None
        else (base / doc.key.passphrase_file).resolve())


def load_light_config(home: Path) -> LightSettings:
    """The light node.toml in `home` (a directory, or the file itself)."""
    path = home / NODE_TOML if home.is_dir() else home
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LedgerError("config.invalid", f"cannot read {path}: {e.strerror}") from None
    return parse_light_config(text, path.absolute())


def is_light_config(home: Path) -> bool:
    """Whether `home`'s node.toml is a light node's (it names upstream nodes)."""
    path = home / NODE_TOML if home.is_dir() else home
    try:
        return "upstream" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def render_light_toml(member: bytes, upstream: list[str], api: str, key_file: str,
                      passphrase_file: str | None = None, genesis: str = GENESIS_FILE,
                      data_dir: str = "data", poll_ms: int = DEFAULT_POLL_MS,
                      log_level: str = "INFO") -> str:
    """A light node's node.toml with its fields explained."""
    passphrase = f"passphrase_file = {toml_string(passphrase_file)}" if passphrase_file \
        else '# passphrase_file = "passphrase"  # else $CLAIMLEDGER_PASSPHRASE, else a prompt'
    lines = [
        "# A light node: it follows the chain's headers from the genesis, and keeps its",
        "# member's records, each proven against a header it verified itself.",
        f"genesis = {toml_string(genesis)}  # the trust root, byte for byte the network's",
        f"member = {toml_string(member.hex())}  # whose node this is",
        f"data_dir = {toml_string(data_dir)}  # LevelDB lives in DATA/light",
        f"log_level = {toml_string(log_level)}",
        f"upstream = [{', '.join(toml_string(u) for u in upstream)}]  # full nodes, in turn",
        f"poll_ms = {poll_ms}  # how often it asks for new headers",
        "",
        "[listen]",
        f"api = {toml_string(api)}  # the member's wallet: --node http://{api}",
        "",
        "[key]",
        f"file = {toml_string(key_file)}  # the member's key store: signs its reads",
        passphrase,
    ]
    return "\n".join(lines) + "\n"
