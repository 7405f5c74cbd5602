"""Which node the wallet talks to, and how it knows it is that node.

`--node` names a node of network.toml (`agency-node`) or gives its API's URL. With the
network's genesis.json, or its network.toml (`--network`, or $CLAIMLEDGER_NETWORK), the
wallet knows each node's key and how its API is served (`api_tls`):

- "node-key": the wallet speaks TLS and checks, right after the handshake and before a
  byte of the request leaves, that the certificate is bound to the node key network.toml
  lists, for this chain, now (contracts/tls_binding.py, the check peers make of each
  other). A mismatch is `node.tls_key_mismatch` (and `node.tls_bad_binding`,
  `node.tls_no_binding`, `node.tls_expired`, `node.tls_bad_certificate` for the rest).
- "ca": the wallet verifies the certificate the usual way, against the system's CAs or
  the CA file given (`--ca-file`, $CLAIMLEDGER_CA_FILE); a failure is
  `node.tls_unverified`. An https URL of a node network.toml does not list is checked so.
- "off": plain HTTP, which the wallet sends to a loopback address only (the devnet);
  a plain http URL elsewhere is refused (`node.plain_http_refused`): its answers could
  be anyone's and its requests read by anyone on the way.

A name network.toml does not list is `wallet.unknown_node`; https through
`pinning_opener` to an address it does not list as node-key is `node.not_pinned`.
"""

from __future__ import annotations

import functools
import http.client
import json
import ssl
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import LedgerError
from contracts.identity import parse_address
from contracts.tls_binding import (
    certificate_binding,
    default_api_tls,
    is_loopback_host,
    pinning_client_context,
)


@dataclass(frozen=True)
class ListedNode:
    """A node as network.toml lists it, as far as a wallet needs it."""

    name: str
    key: bytes
    api: str  # host:port
    api_tls: str  # "node-key", "ca" or "off" (node/config.py says the default)


@dataclass(frozen=True)
class Pin:
    chain_id: str
    node_key: bytes


def listed_nodes(path: Path) -> tuple[str, list[ListedNode]]:
    """The chain id and the nodes (validators and observers) of a network's genesis.json
    or of its network.toml: the fields a wallet uses (node/genesis.py and node/config.py
    read the whole document for a node)."""
    try:
        text = path.read_text(encoding="utf-8")
        # genesis.json is a JSON object; network.toml cannot start with "{".
        raw = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise LedgerError("wallet.bad_network", f"cannot read {path}: {e}") from None
    if not isinstance(raw, dict):
        raise LedgerError("wallet.bad_network", f"{path} is no genesis.json or network.toml")
    nodes = []
    try:
        for item in [*raw.get("validators", []), *raw.get("observers", [])]:
            api = str(item.get("api", ""))
            mode = str(item.get("api_tls", default_api_tls(api)))
            if item.get("key"):
                nodes.append(ListedNode(str(item.get("name", "")),
                                        parse_address(item["key"]), api, mode))
    except (AttributeError, TypeError) as e:
        raise LedgerError("wallet.bad_network", f"{path}: a node entry is malformed "
                          f"({e})") from None
    return str(raw.get("chain_id", "")), nodes


class PinnedConnection(http.client.HTTPSConnection):
    """An HTTPS connection that refuses a certificate not bound to the pinned node key,
    after the handshake and before the request is sent."""

    def __init__(self, host: str, *, pin: Pin, **kwargs: object) -> None:
        super().__init__(host, context=pinning_client_context(), **kwargs)  # type: ignore[arg-type]
        self.pin = pin

    def connect(self) -> None:
        super().connect()
        try:
            certificate_binding(self.sock.getpeercert(binary_form=True), self.pin.chain_id,
                                self.pin.node_key, party="node")
        except LedgerError:
            self.close()
            raise


class PinnedHandler(urllib.request.HTTPSHandler):
    """https to the nodes of `pins` (by host:port), each pinned to its node key; https
    to any other address is refused (`node.not_pinned`)."""

    def __init__(self, pins: dict[str, Pin]) -> None:
        super().__init__()
        self.pins = pins

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        pin = self.pins.get(req.host)
        if pin is None:
            raise LedgerError("node.not_pinned", f"{req.host} is no node-key API of "
                              "network.toml: its certificate cannot be checked")
        return self.do_open(functools.partial(PinnedConnection, pin=pin), req)


def pinning_opener(network: Path) -> urllib.request.OpenerDirector:
    """An opener for https to every node-key API of `network`, each pinned to its node's
    key (scripts that talk to several nodes, as scripts/devnet --tls does)."""
    chain_id, nodes = listed_nodes(network)
    return urllib.request.build_opener(PinnedHandler(
        {n.api: Pin(chain_id, n.key) for n in nodes if n.api_tls == "node-key"}))


@dataclass(frozen=True)
class Endpoint:
    """A node's API: its base URL and the opener that checks its certificate; for a
    client on another stack (AsyncClient's aiohttp), the same check as data: `context`,
    the TLS context of an https node (None for plain HTTP), and `pin`, the node key its
    certificate is bound to (None: `context` verifies it)."""

    url: str
    opener: urllib.request.OpenerDirector
    pinned: bool = False
    context: ssl.SSLContext | None = None
    pin: Pin | None = None

    def check_certificate(self, der: bytes | None) -> None:
        """Refuse a certificate (DER) not bound to the pinned node key, as
        PinnedConnection does: after the handshake, before a byte of the request leaves."""
        if self.pin is not None:
            certificate_binding(der, self.pin.chain_id, self.pin.node_key, party="node")


def node_endpoint(node: str, network: Path | None = None,
                  ca_file: Path | None = None) -> Endpoint:
    """The endpoint `--node` names (a node of network.toml, or a URL), checked as the
    module's text says."""
    chain_id, nodes = listed_nodes(network) if network is not None else ("", [])
    if "://" not in node:
        found = [n for n in nodes if n.name == node]
        if not found:
            where = f"in {network}" if network is not None else \
                "without --network (or $CLAIMLEDGER_NETWORK)"
            raise LedgerError("wallet.unknown_node", f"no node is named {node!r} {where}; "
                              "give its name in network.toml or its API's URL")
        listed = found[0]
        url = f"{'http' if listed.api_tls == 'off' else 'https'}://{listed.api}"
    else:
        url = node.rstrip("/")
        parts = urllib.parse.urlsplit(url)
        address = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        listed = next((n for n in nodes if n.api == address), None)
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http":
        if not is_loopback_host(host):
            raise LedgerError("node.plain_http_refused",
                              f"{url} is plain HTTP off this machine: its answers could be "
                              "anyone's; use https (the node's api_tls)")
        return Endpoint(url, urllib.request.build_opener())
    if parts.scheme != "https":
        raise LedgerError("wallet.bad_node", f"{url}: the node's URL is http or https")
    if listed is not None and listed.api_tls == "node-key":
        pin = Pin(chain_id, listed.key)
        pins = {parts.netloc: pin}  # urllib's request.host
        return Endpoint(url, urllib.request.build_opener(PinnedHandler(pins)), pinned=True,
                        context=pinning_client_context(), pin=pin)
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    return Endpoint(url, urllib.request.build_opener(urllib.request.HTTPSHandler(
        context=context)), context=context)


def unverified(error: urllib.error.URLError) -> bool:
    """Whether a failure to reach a node is its certificate failing verification."""
    return isinstance(error.reason, ssl.SSLCertVerificationError)
