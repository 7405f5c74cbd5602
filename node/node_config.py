"""node.toml: one node's own configuration, apart from the network's genesis.

Nothing here is a chain rule: two nodes of one network may differ in every field. It
says where the genesis document is, the node's name, where it listens, where its data and
key store lie, which peers to dial at other addresses than the genesis gives, the API's
CA-issued certificate, its mempool size, its sync batch, its log level and [limits] (what
one client, member or peer may ask of it; node.config.Limits says why).

Read strictly (node/schema.py): a misspelt field or a wrong type is `config.invalid`
naming it, a bad [limits] value `config.bad_limits`. Relative paths are taken from the
directory node.toml lies in, so a node's home can move as a whole.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contracts.errors import LedgerError
from contracts.tx import MAX_LARGE_TX_BYTES
from node.config import Limits
from node.schema import HostPort, Name, Strict, validated


def _int(lo: int, hi: int, default: int) -> object:
    return Annotated[int, Field(ge=lo, le=hi, default=default)]


D = Limits()


class LimitsTable(Strict):
    """[limits]: bounds that keep a value sane (a burst of at least a second's rate, a
    member's bytes room for one whole document)."""

    submit_rate_per_s: _int(1, 1_000_000, D.submit_rate_per_s)  # type: ignore[valid-type]
    submit_burst: _int(1, 10_000_000, D.submit_burst)  # type: ignore[valid-type]
    max_clients: _int(1, 10_000_000, D.max_clients)  # type: ignore[valid-type]
    member_pending_txs: _int(1, 10_000_000, D.member_pending_txs)  # type: ignore[valid-type]
    member_pending_bytes: _int(MAX_LARGE_TX_BYTES, 1 << 40,  # type: ignore[valid-type]
                               D.member_pending_bytes)
    member_failure_cost_txs: _int(0, 10_000_000,  # type: ignore[valid-type]
                                  D.member_failure_cost_txs)
    peer_share_percent: _int(1, 100, D.peer_share_percent)  # type: ignore[valid-type]
    own_reserve_percent: _int(0, 99, D.own_reserve_percent)  # type: ignore[valid-type]
    peer_failure_cost_txs: _int(0, 10_000_000, D.peer_failure_cost_txs)  # type: ignore[valid-type]
    failure_heal_s: _int(1, 86_400, D.failure_heal_s)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _burst_covers_a_second(self) -> LimitsTable:
        if self.submit_burst < self.submit_rate_per_s:
            raise ValueError("limits.submit_burst must be at least limits.submit_rate_per_s "
                             "(a second's worth)")
        return self


def parse_limits(raw: object, where: str = "[limits]") -> Limits:
    """[limits] as `Limits`; `config.bad_limits` naming the limit (`limits.NAME`)."""
    if not isinstance(raw, dict):
        raise LedgerError("config.bad_limits", f"{where} must be a table")
    table = validated(LimitsTable, raw, where, code="config.bad_limits", prefix="limits.")
    return Limits(**table.model_dump())


MAX_MEMPOOL_TXS = _int(1, 10_000_000, 20_000)
SYNC_BATCH_BLOCKS = _int(1, 1024, 64)
LogLevel = Annotated[str, Field(pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")]


class Listen(Strict):
    api: HostPort  # the HTTP API
    peer: HostPort | None = None  # TLS peer links (a validator; an observer only dials)


class KeyStore(Strict):
    file: str  # the node key's encrypted key store
    passphrase_file: str | None = None  # else $CLAIMLEDGER_PASSPHRASE, else a prompt


class ApiCertificate(Strict):
    """api_tls = "ca": the API's CA-issued certificate chain and its encrypted key."""

    cert: str
    key: str
    passphrase_file: str | None = None  # else $CLAIMLEDGER_API_KEY_PASSPHRASE


class NodeToml(Strict):
    genesis: str
    name: Name
    data_dir: str = "data"
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for a shipper
    max_mempool_txs: MAX_MEMPOOL_TXS = 20_000  # type: ignore[valid-type]
    sync_batch_blocks: SYNC_BATCH_BLOCKS = 64  # type: ignore[valid-type]
    # A new node (its store empty): start from a peer's snapshot, not from genesis.
    state_sync: bool = False
    listen: Listen
    key: KeyStore
    # Peers to dial elsewhere than their genesis address (a proxy): name -> HOST:PORT.
    dial: dict[str, HostPort] = Field(default_factory=dict)
    api_certificate: ApiCertificate | None = None
    limits: dict = Field(default_factory=dict)  # read by parse_limits, for its own error code


@dataclass(frozen=True)
class NodeSettings:
    """node.toml with its paths made absolute."""

    path: Path
    genesis: Path
    name: str
    data_dir: Path
    log_level: str
    log_format: str
    max_mempool_txs: int
    sync_batch_blocks: int
    api: str
    peer: str | None
    key_file: Path
    passphrase_file: Path | None
    dial: dict[str, str]
    api_cert: Path | None
    api_key: Path | None
    api_key_passphrase_file: Path | None
    limits: Limits
    state_sync: bool = False


def parse_node_config(text: str, path: Path) -> NodeSettings:
    """node.toml's `text`, read from `path` (relative paths are taken from its folder)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LedgerError("config.invalid", f"{path} is not valid TOML: {e}") from None
    limits = parse_limits(raw.get("limits", {}), f"{path} [limits]")
    doc: NodeToml = validated(NodeToml, {**raw, "limits": {}}, str(path))
    base = path.parent

    def at(text: str | None) -> Path | None:
        return None if text is None else (base / text).resolve()

    cert = doc.api_certificate
    return NodeSettings(
        path=path, genesis=base / doc.genesis, name=doc.name, data_dir=base / doc.data_dir,
        log_level=doc.log_level, log_format=doc.log_format, max_mempool_txs=doc.max_mempool_txs,
        sync_batch_blocks=doc.sync_batch_blocks, api=doc.listen.api, peer=doc.listen.peer,
        key_file=base / doc.key.file, passphrase_file=at(doc.key.passphrase_file),
        dial=dict(doc.dial), api_cert=at(cert.cert if cert else None),
        api_key=at(cert.key if cert else None),
        api_key_passphrase_file=at(cert.passphrase_file if cert else None), limits=limits,
        state_sync=doc.state_sync,
    )


def load_node_config(path: Path) -> NodeSettings:
    """node.toml at `path` (a file, or a node's home directory holding one)."""
    if path.is_dir():
        path = path / "node.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LedgerError("config.invalid", f"cannot read {path}: {e.strerror}") from None
    return parse_node_config(text, path.absolute())
