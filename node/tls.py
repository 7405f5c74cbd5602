"""TLS for peer links: a fresh TLS key per start, bound to the node key by a signature.

The node key never serves TLS and never lies on disk: it stays in the key store (and in
the signer, node/signer.py). At each start (and each `RENEW_S`) a node makes a fresh
Ed25519 TLS key in memory and a self-signed certificate for it that carries a binding:
the node key's signature over (domain tag, chain id, node key, TLS public key, validity),
in a certificate extension. A node dialling a peer checks, right after the TLS handshake,
that the certificate's binding names the node key network.toml lists for that peer and
verifies under it, and that its validity holds now: only a holder of that node key can
make such a certificate, and only a holder of the TLS key it binds can finish the TLS
handshake with it. A copy of the TLS key is worth nothing without the node key: the
peer handshake (node/peers.py) still asks both ends for a node key signature. The API
serves the same kind of certificate (node/api_tls.py), and the wallet checks it the same
way: the check itself lives in contracts/tls_binding.py, which both import.

Python's ssl loads keys from files only: the TLS key goes encrypted (PKCS#8 under a
random password held in memory) into an anonymous memory file (memfd; elsewhere a
private temporary file, removed at once), is loaded, and the file is closed. Nothing of
either key is left on disk. Earlier versions kept the node key's seed in DATA/tls/node.key;
`remove_legacy_files` deletes it at start.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import secrets
import shutil
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgpack
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from contracts.tls_binding import (
    BINDING_OID,
    BINDING_VERSION,
    MAX_CERTIFICATE_BYTES,
    TlsError,
    binding_bytes,
    certificate_binding,
    pinning_client_context,
    raw_public,
)
from node.signer import NodeSigner

# Checked in contracts/tls_binding.py (the wallet checks the same bindings); named here too.
__all__ = [
    "BINDING_OID",
    "MAX_CERTIFICATE_BYTES",
    "TlsError",
    "TlsIdentity",
    "binding_bytes",
    "certificate_binding",
    "check_binding",
    "client_context",
    "keep_renewing",
    "make_identity",
    "remove_legacy_files",
    "renew",
    "server_context",
]

log = logging.getLogger("claimledger.tls")

VALID_S = 7 * 86_400  # a binding's lifetime
RENEW_S = 86_400  # a running node makes a new TLS key and binding this often
SKEW_S = 300  # a binding is dated this much earlier, for peers whose clocks lag


@dataclass(frozen=True)
class TlsIdentity:
    """A TLS key (in memory only) and its certificate with the node key's binding."""

    node_key: bytes
    tls_key: bytes  # raw Ed25519 public key of `private`
    private: Ed25519PrivateKey
    certificate_pem: bytes
    not_after_s: int

    def __repr__(self) -> str:  # never print the private key
        return f"TlsIdentity(node={self.node_key.hex()[:16]}, tls={self.tls_key.hex()[:16]})"


def make_identity(signer: NodeSigner, chain_id: str, name: str,
                  now_s: int | None = None) -> TlsIdentity:
    """A fresh TLS key and its certificate, bound to the node key through `signer`."""
    now_s = int(time.time()) if now_s is None else now_s
    not_before, not_after = now_s - SKEW_S, now_s + VALID_S
    private = Ed25519PrivateKey.generate()
    tls_key = raw_public(private.public_key())
    node_key = signer.address
    signature = signer.sign_tls_binding(
        binding_bytes(chain_id, node_key, tls_key, not_before, not_after))
    extension = msgpack.packb([BINDING_VERSION, node_key, not_before, not_after, signature],
                              use_bin_type=True)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{name[:32]} {node_key.hex()[:16]}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "claimledger node"),
    ])
    when = datetime.datetime.fromtimestamp
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(when(not_before, datetime.UTC))
        .not_valid_after(when(not_after, datetime.UTC))
        .add_extension(x509.UnrecognizedExtension(BINDING_OID, extension), critical=False)
        .sign(private, algorithm=None)
    )
    return TlsIdentity(node_key, tls_key, private,
                       certificate.public_bytes(serialization.Encoding.PEM), not_after)


def _load_into(context: ssl.SSLContext, identity: TlsIdentity) -> None:
    """Load the identity's key and certificate through a file that never reaches a disk:
    an anonymous memory file, the key in it encrypted under a password kept here."""
    password = secrets.token_bytes(32)
    key_pem = identity.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password))
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("claimledger-tls", os.MFD_CLOEXEC)
        try:
            os.write(fd, identity.certificate_pem + key_pem)
            context.load_cert_chain(f"/proc/self/fd/{fd}", password=password)
        finally:
            os.close(fd)
        return
    directory = tempfile.mkdtemp(prefix="claimledger-tls-")  # mode 0700
    try:
        path = Path(directory) / "tls.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(identity.certificate_pem + key_pem)
        context.load_cert_chain(path, password=password)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def server_context(identity: TlsIdentity) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    _load_into(context, identity)
    return context


def renew(context: ssl.SSLContext, identity: TlsIdentity) -> None:
    """Serve new connections with `identity` from now on (links up keep theirs)."""
    _load_into(context, identity)


def client_context() -> ssl.SSLContext:
    """Accepts any certificate during the handshake; `check_binding` checks it right after."""
    return pinning_client_context()


def check_binding(ssl_object: ssl.SSLObject | None, chain_id: str, expected: bytes) -> bytes:
    """Refuse a link whose certificate is not bound to the node key network.toml lists;
    the TLS key it binds (the handshake proofs name it)."""
    if ssl_object is None:
        raise TlsError("peer.tls_missing", "the link is not TLS")
    return certificate_binding(ssl_object.getpeercert(binary_form=True), chain_id, expected)


async def keep_renewing(renew: Callable[[], None], every_s: float, what: str) -> None:
    """Call `renew` (a fresh TLS key and binding for `what`) every `every_s`, for ever. A
    renewal that fails (a remote signer out of reach) is logged and tried again a minute
    later: the binding in use stays valid for days, and its end must not come
    unannounced."""
    delay_s = every_s
    while True:
        await asyncio.sleep(delay_s)
        try:
            renew()
            delay_s = every_s
        except Exception as e:  # the old identity serves on; say why and try again
            log.error("renewing %s TLS key failed (the current binding serves on until it "
                      "expires): %s", what, e)
            delay_s = min(60.0, every_s)


def remove_legacy_files(data_dir: Path) -> bool:
    """Delete DATA/tls/node.key and node.crt that earlier versions left: the key file
    holds the node key's seed in clear. Whether there was one."""
    directory = data_dir / "tls"
    key_file = directory / "node.key"
    found = key_file.exists()
    if found:
        key_file.unlink()
        log.warning("removed %s, which earlier versions wrote: it held the node key in "
                    "clear; if it could have been copied, replace the node key", key_file)
    (directory / "node.crt").unlink(missing_ok=True)
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
    return found
