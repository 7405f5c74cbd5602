"""A TLS certificate bound to a node key: what a peer and a wallet both check.

A node serves TLS (its peer links and its API) with a fresh TLS key of its own, and
vouches for it with its node key: the certificate carries, in an extension, the node
key's signature over (domain tag, chain id, node key, TLS public key, validity). Whoever
knows the node key from network.toml checks, right after the handshake, that the
binding names that key, verifies under it for this TLS key and chain, and holds now.
Only a holder of the node key can make such a binding, and only a holder of the TLS key
it binds can finish the handshake (node/tls.py makes them; this module checks them).

Here, not in node/, because the wallet checks the same binding: contracts is what the
node and the wallet share.
"""

from __future__ import annotations

import ipaddress
import ssl
import time

import msgpack
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.errors import LedgerError
from contracts.identity import verify

TLS_BINDING_DOMAIN = b"claimledger/tls-binding/v1\x00"
# An OID minted from a UUID (ITU-T X.667, arc 2.25): no registry needed, no collision.
BINDING_OID = x509.ObjectIdentifier("2.25.237738535656549312556804199432502334081")
BINDING_VERSION = 1
MAX_CERTIFICATE_BYTES = 4096


class TlsError(LedgerError):
    """A certificate that is not bound to the expected node key; codes `<party>.tls_*`
    (`peer.` for a peer link, `node.` for the node a wallet talks to)."""


def binding_bytes(chain_id: str, node_key: bytes, tls_key: bytes, not_before_s: int,
                  not_after_s: int) -> bytes:
    """What the node key signs to vouch for a TLS key."""
    return TLS_BINDING_DOMAIN + msgpack.packb(
        [chain_id, node_key, tls_key, not_before_s, not_after_s], use_bin_type=True)


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def certificate_binding(der: bytes | None, chain_id: str, expected: bytes,
                        now_s: int | None = None, party: str = "peer") -> bytes:
    """The TLS key of a DER certificate whose binding names `expected` (the node key
    network.toml lists), verifies under it and holds at `now_s`; `TlsError` otherwise,
    its code `<party>.tls_...`."""
    who = "the peer" if party == "peer" else "the node"
    if not der:
        raise TlsError(f"{party}.tls_no_certificate", f"{who} presented no certificate")
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise TlsError(f"{party}.tls_bad_certificate", "the certificate is too large")
    try:
        certificate = x509.load_der_x509_certificate(der)
        public = certificate.public_key()
    except ValueError as e:
        raise TlsError(f"{party}.tls_bad_certificate", "unreadable certificate") from e
    if not isinstance(public, Ed25519PublicKey):
        raise TlsError(f"{party}.tls_bad_certificate", "the certificate's key is not Ed25519")
    try:
        value = certificate.extensions.get_extension_for_oid(BINDING_OID).value
        fields = msgpack.unpackb(value.value, raw=False, max_bin_len=128, max_array_len=8)
    except (x509.ExtensionNotFound, ValueError, AttributeError, msgpack.UnpackException) as e:
        raise TlsError(f"{party}.tls_no_binding",
                       "the certificate carries no node key binding") from e
    if not (isinstance(fields, list) and len(fields) == 5 and fields[0] == BINDING_VERSION
            and isinstance(fields[1], bytes) and type(fields[2]) is int
            and type(fields[3]) is int and isinstance(fields[4], bytes)):
        raise TlsError(f"{party}.tls_no_binding", "the certificate's binding is malformed")
    _, node_key, not_before, not_after, signature = fields
    if node_key != expected:
        raise TlsError(f"{party}.tls_key_mismatch",
                       f"the certificate is bound to node key {node_key.hex()[:16]}…, not "
                       f"to the node key {expected.hex()[:16]}… network.toml lists")
    tls_key = raw_public(public)
    message = binding_bytes(chain_id, node_key, tls_key, not_before, not_after)
    if not verify(expected, message, signature):
        raise TlsError(f"{party}.tls_bad_binding",
                       "the binding does not verify under the node key for this TLS key "
                       f"and chain {chain_id!r}")
    now_s = int(time.time()) if now_s is None else now_s
    if not not_before <= now_s <= not_after:
        raise TlsError(f"{party}.tls_expired", "the certificate's binding is not valid now")
    return tls_key


def pinning_client_context() -> ssl.SSLContext:
    """A client context that accepts any certificate during the handshake;
    `certificate_binding` checks it right after (TLS 1.3 has already made the server
    prove it holds the certificate's key)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def is_loopback_host(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) names this
    machine's loopback: the only place an API may be served, or reached, in plain HTTP."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# How a node's API is served (network.toml's api_tls): a certificate bound to the node
# key, a CA-issued one, or plain HTTP (loopback only). See node/api_tls.py.
API_TLS_MODES = ("node-key", "ca", "off")


def default_api_tls(api: str) -> str:
    """api_tls for an entry that leaves it out: plain HTTP on a loopback `api` address
    (host:port; the devnet), a certificate bound to the node key on any other."""
    return "off" if api and is_loopback_host(api.rpartition(":")[0]) else "node-key"
