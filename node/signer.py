"""The node key's one door: everything the node signs with its consensus key goes here.

A node signs four kinds of message with its node key, each under its own domain tag:

- consensus messages (proposals and votes), only through `consensus.SigningGuard`, which
  logs each one to DATA/consensus.wal before asking for the signature;
- peer handshakes (node/peers.py), only for a peer that has already proved its own key;
- the binding of a fresh TLS key to the node key (node/tls.py), once per start;
- its answers to pledge registry queries, as query certificates (查询证明,
  contracts.registry_query), one per certificate a member asks for.

`NodeSigner` is that interface and nothing more: the node never holds the seed itself.
`LocalSigner` stands behind it with a key unsealed from the passphrase-protected key
store. A remote signer or an HSM (a PKCS#11 token holding the Ed25519 key, with
CKM_EDDSA) stands behind the same five members: `address` from the token's public key
object, each `sign_*` one signing call. Because every message carries its domain tag
and each method accepts only its own, such a signer can enforce the same rule on its
side (and a consensus signer can keep its own high-water mark of (height, round, step)).

Backups: keep the key store file (it is sealed) and, apart from it, its passphrase; never
a key in clear (the node writes none). Never put back an older DATA/consensus.wal: it is
what keeps a validator from signing twice at a step, so a validator whose log was lost
or rolled back stays out of consensus until the network is past every height it may have
signed at, or gets a new node key.
"""

from __future__ import annotations

from typing import Protocol

from consensus.certificate import VOTE_DOMAIN
from consensus.messages import PROPOSAL_DOMAIN
from contracts.identity import KeyPair
from contracts.registry_query import CERTIFICATE_DOMAIN
from contracts.tls_binding import TLS_BINDING_DOMAIN

HANDSHAKE_DOMAIN = b"claimledger/peer/v2\x00"


class SignerError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class NodeSigner(Protocol):
    """What the node may ask of its node key."""

    @property
    def address(self) -> bytes:
        """The node key (Ed25519 public key), as network.toml lists it."""
        ...

    def sign_consensus(self, message: bytes) -> bytes:
        """A proposal or a vote (PROPOSAL_DOMAIN or VOTE_DOMAIN); the signing guard's
        signer, called only after the guard logged the step."""
        ...

    def sign_handshake(self, message: bytes) -> bytes:
        """A peer handshake proof (HANDSHAKE_DOMAIN)."""
        ...

    def sign_tls_binding(self, message: bytes) -> bytes:
        """The binding of a TLS key to the node key (TLS_BINDING_DOMAIN)."""
        ...

    def sign_query_certificate(self, message: bytes) -> bytes:
        """A registry query's answer (CERTIFICATE_DOMAIN)."""
        ...


def _check_domain(message: bytes, domains: tuple[bytes, ...], what: str) -> None:
    if not any(message.startswith(d) for d in domains):
        raise SignerError("signer.wrong_domain", f"asked to sign something that is not {what}")


class LocalSigner:
    """The node key held in this process's memory, unsealed from its key store."""

    __slots__ = ("_key",)

    def __init__(self, key: KeyPair) -> None:
        self._key = key

    @property
    def address(self) -> bytes:
        return self._key.address

    def sign_consensus(self, message: bytes) -> bytes:
        _check_domain(message, (PROPOSAL_DOMAIN, VOTE_DOMAIN), "a proposal or a vote")
        return self._key.sign(message)

    def sign_handshake(self, message: bytes) -> bytes:
        _check_domain(message, (HANDSHAKE_DOMAIN,), "a peer handshake")
        return self._key.sign(message)

    def sign_tls_binding(self, message: bytes) -> bytes:
        _check_domain(message, (TLS_BINDING_DOMAIN,), "a TLS key binding")
        return self._key.sign(message)

    def sign_query_certificate(self, message: bytes) -> bytes:
        _check_domain(message, (CERTIFICATE_DOMAIN,), "a registry query's answer")
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"LocalSigner({self._key!r})"


def as_signer(key: KeyPair | NodeSigner) -> NodeSigner:
    """A signer for `key`: a bare key pair (tests, tools) is wrapped in a `LocalSigner`."""
    return LocalSigner(key) if isinstance(key, KeyPair) else key
