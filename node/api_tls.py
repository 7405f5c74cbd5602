"""TLS for the API: which certificate a node serves its clients, and where plain HTTP may go.

A node's entry in network.toml says how its API is served (`api_tls`), so that every
wallet knows how to check it:

- "node-key": a certificate bound to the node key, made as the peer port's is
  (node/tls.py): a fresh TLS key in memory at each start, renewed daily, vouched for
  by the node key. A wallet that knows the node key from network.toml checks the
  binding (contracts/tls_binding.py); no CA, and no secret on disk.
- "ca": a certificate chain issued by a CA, for clients that verify the usual way
  (browsers, curl, a wallet without network.toml). Its private key lies on disk only
  encrypted (PKCS#8 with a passphrase, e.g. `openssl pkcs8 -topk8 -v2 aes-256-cbc`); the
  passphrase comes from a file or from $CLAIMLEDGER_API_KEY_PASSPHRASE, as the node
  key store's does. A key file in clear is refused at start.
- "off": plain HTTP, allowed on a loopback listen address only (the devnet); a
  non-loopback plain listener is refused at start, naming the field.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from contracts.errors import LedgerError
from contracts.tls_binding import is_loopback_host
from node import tls
from node.signer import NodeSigner

CA_KEY_PASSPHRASE_ENV = "CLAIMLEDGER_API_KEY_PASSPHRASE"


@dataclass(frozen=True)
class CaCertificate:
    """A CA-issued certificate chain (PEM, leaf first) and its encrypted private key."""

    chain: Path
    key: Path
    passphrase: str = field(repr=False)


def check_listener(mode: str, host: str, where: str) -> None:
    """Refuse plain HTTP on anything but a loopback address (`config.plain_api`)."""
    if mode == "off" and not is_loopback_host(host):
        raise LedgerError(
            "config.plain_api",
            f'{where}: api_tls = "off" serves plain HTTP, which is allowed on a loopback '
            f'address only, not on {host}; set api_tls = "node-key" (or "ca")')


def ca_context(ca: CaCertificate) -> ssl.SSLContext:
    """A server context with the CA-issued certificate; its key must be encrypted."""
    try:
        pem = ca.key.read_bytes()
    except OSError as e:
        raise LedgerError("config.api_key_unreadable",
                          f"cannot read the API key file {ca.key}: {e.strerror}") from None
    try:
        load_pem_private_key(pem, password=None)
    except TypeError:
        pass  # it asks for a password: encrypted, as it must be
    except ValueError as e:
        raise LedgerError("config.api_key_unreadable",
                          f"{ca.key} holds no PEM private key: {e}") from None
    else:
        raise LedgerError("config.api_key_in_clear",
                          f"{ca.key} holds the API's private key in clear; encrypt it "
                          "(openssl pkcs8 -topk8 -v2 aes-256-cbc) and give its passphrase "
                          f"in ${CA_KEY_PASSPHRASE_ENV} or --api-key-passphrase-file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # what browsers and curl speak
    try:
        context.load_cert_chain(ca.chain, ca.key, password=ca.passphrase.encode())
    except (ssl.SSLError, OSError) as e:
        raise LedgerError("config.api_certificate",
                          f"cannot load the API certificate {ca.chain} with the key {ca.key} "
                          f"(wrong passphrase, or a key of another certificate?): {e}"
                          ) from None
    return context


@dataclass
class ApiTls:
    """The API's server context (None: plain HTTP) and what keeps it fresh."""

    context: ssl.SSLContext | None
    renewal: asyncio.Task[None] | None = None

    @property
    def scheme(self) -> str:
        return "http" if self.context is None else "https"

    def stop(self) -> None:
        if self.renewal is not None:
            self.renewal.cancel()


def check_api_tls(mode: str, host: str, where: str,
                  ca: CaCertificate | None) -> ssl.SSLContext | None:
    """Check the API's TLS settings before the node starts: the listener (plain HTTP on
    the loopback only) and the certificate options for `mode` (network.toml's api_tls of
    this node, at `where`). The CA mode's server context, loaded now; None otherwise."""
    check_listener(mode, host, where)
    if ca is not None and mode != "ca":
        raise LedgerError("config.api_certificate",
                          f'{where}: api_tls is "{mode}"; a certificate (--api-cert) is '
                          'served with api_tls = "ca" only')
    if mode != "ca":
        return None
    if ca is None:
        raise LedgerError("config.api_certificate",
                          f'{where}: api_tls = "ca" needs --api-cert (the chain, PEM) '
                          "and --api-key (its encrypted PKCS#8 key)")
    return ca_context(ca)


def api_tls(mode: str, ca_loaded: ssl.SSLContext | None, signer: NodeSigner,
            chain_id: str, name: str) -> ApiTls:
    """The API's TLS for `mode` (after `check_api_tls`, whose context is `ca_loaded`); a
    "node-key" identity is made now and renewed every tls.RENEW_S (call in the loop)."""
    if mode == "off":
        return ApiTls(None)
    if mode == "ca":
        assert ca_loaded is not None
        return ApiTls(ca_loaded)
    context = tls.server_context(tls.make_identity(signer, chain_id, name))

    def renew() -> None:
        tls.renew(context, tls.make_identity(signer, chain_id, name))

    return ApiTls(context, asyncio.get_running_loop().create_task(
        tls.keep_renewing(renew, tls.RENEW_S, "the API's")))
