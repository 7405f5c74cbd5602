"""TLS for peer links: each node's certificate carries its own Ed25519 node key.

A node makes a self-signed certificate for the key network.toml lists for it (no public
CA, nothing to distribute), and serves its peer port over TLS 1.3 with it. A node
dialling a peer accepts only a certificate whose public key is the key network.toml
lists for that peer (pinning): a man in the middle cannot present it, so the link is
private and its server end authentic. The dialling end then proves its own key by
signing the server's challenge (node/peers.py); that proof cannot be relayed to another
server, because it names the server's key and only the pinned server can read it.
"""

from __future__ import annotations

import datetime
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from contracts.identity import KeyPair

VALID_DAYS = 3650
NOT_BEFORE = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


class TlsError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def certificate_pem(key: KeyPair, name: str) -> tuple[bytes, bytes]:
    """A self-signed certificate for the node key, and that key, both PEM."""
    private = Ed25519PrivateKey.from_private_bytes(key.seed)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{name[:32]} {key.address.hex()[:16]}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "claimledger node"),
    ])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(int.from_bytes(key.address[:16], "big") >> 1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_BEFORE + datetime.timedelta(days=VALID_DAYS))
        .sign(private, algorithm=None)
    )
    key_pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def write_certificate(key: KeyPair, name: str, directory: Path) -> tuple[Path, Path]:
    """The node's certificate and key files under `directory` (the key file mode 0600)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = certificate_pem(key, name)
    cert_path, key_path = directory / "node.crt", directory / "node.key"
    cert_path.write_bytes(cert_pem)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(cert_path, key_path)
    return context


def client_context() -> ssl.SSLContext:
    """Accepts any certificate during the handshake; `pinned_key` checks it right after."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def certificate_key(der: bytes | None) -> bytes:
    """The raw Ed25519 public key a DER certificate carries; `TlsError` if it has none."""
    if not der:
        raise TlsError("peer.tls_no_certificate", "the peer presented no certificate")
    try:
        public = x509.load_der_x509_certificate(der).public_key()
    except ValueError as e:
        raise TlsError("peer.tls_bad_certificate", f"unreadable certificate: {e}") from e
    if not isinstance(public, Ed25519PublicKey):
        raise TlsError("peer.tls_bad_certificate", "the certificate's key is not Ed25519")
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def check_pinned(ssl_object: ssl.SSLObject | None, expected: bytes) -> None:
    """Refuse a link whose certificate does not carry the node key network.toml lists."""
    if ssl_object is None:
        raise TlsError("peer.tls_missing", "the link is not TLS")
    found = certificate_key(ssl_object.getpeercert(binary_form=True))
    if found != expected:
        raise TlsError("peer.tls_key_mismatch",
                       f"the certificate's key {found.hex()[:16]}… is not the node key "
                       f"{expected.hex()[:16]}… network.toml lists")
