"""Signed API requests: which member sent a request, proved by an Ed25519 signature.

A member signs the domain-tagged canonical bytes of `SignedRequest`:

    REQUEST_DOMAIN + encode(SignedRequest(chain_id, method, target, sha256(body),
                                          time_ms, nonce))

- `chain_id`: the chain the node serves (its /v1/status `chain_id`), so a request made
  for one network is worth nothing on another;
- `method`: the HTTP method as sent, upper case (`GET`, `POST`);
- `target`: the request target exactly as sent on the request line, in origin form:
  the path, then `?` and the query if the request line has a `?`, byte for byte,
  percent-encoding and all (the node reads aiohttp's `request.raw_path`). Nothing is
  decoded, re-ordered or normalised, on either side: the client signs the string it
  puts on the wire, so no two parsers have to agree on a canonical form. It is ASCII,
  as RFC 3986 requires (anything else is percent-encoded);
- `body_sha256`: sha256 of the body bytes as sent (of b"" when there is none);
- `time_ms`: the signer's clock, milliseconds since the Unix epoch;
- `nonce`: NONCE_BYTES random bytes, never used twice by one member.

The four headers below carry the signing key (the member's current key, which is its
address until the member changes it), `time_ms`, `nonce` and the signature, each in a
fixed format (lowercase or uppercase hex, decimal time). A node resolves the key to its
member (`member_of_key`) and refuses a member's former key (`auth.key_rotated`); it
refuses a time more than WINDOW_MS away from its own clock, either way, and a nonce it
has seen from the same member whose time is still inside that window: the window bounds
how long it must remember nonces.

Requests to EXEMPT_PATHS (status, health, metrics, the OpenAPI document) need no
signature: a client reads the chain id from /v1/status before it can sign.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from contracts import membership
from contracts.codec import Hash32, Name, Size, TimeMs, encode, sha256
from contracts.errors import Rejected, Unauthenticated
from contracts.identity import ADDRESS_BYTES, SIGNATURE_BYTES, MemberSigner, verify
from contracts.state import Reader

REQUEST_DOMAIN = b"claimledger/request/v1\x00"

# The key that signed, 64 hex digits: a member's current key (its address until the key
# changes: contracts.membership), which the node resolves to the member (`member_of_key`).
MEMBER_HEADER = "X-Claimledger-Member"
TIME_HEADER = "X-Claimledger-Time"  # milliseconds since the Unix epoch, decimal
NONCE_HEADER = "X-Claimledger-Nonce"  # NONCE_BYTES random bytes, 32 hex digits
SIGNATURE_HEADER = "X-Claimledger-Signature"  # Ed25519 signature, 128 hex digits
AUTH_HEADERS = (MEMBER_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

WINDOW_MS = 60_000  # a request's time may differ from the node's clock by this, either way
NONCE_BYTES = 16  # 128 random bits: no two requests of a member share one by chance
MAX_TARGET_CHARS = 8190  # aiohttp's bound on a request line; a target is shorter
MAX_METHOD_CHARS = 16

EXEMPT_PATHS = frozenset({"/v1/status", "/v1/health", "/metrics", "/v1/openapi.json"})

# Each header is checked for its length before any pattern is tried on it, so a huge
# value costs one len().
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGITS = re.compile(r"[0-9]+")
_TIME_DIGITS = 19  # 2**63 - 1 has 19 digits: TimeMs's bound
_METHOD = re.compile(r"[A-Z]+")

Nonce = Annotated[bytes, Size(NONCE_BYTES, NONCE_BYTES)]
Method = Annotated[str, Size(1, MAX_METHOD_CHARS)]
Target = Annotated[str, Size(1, MAX_TARGET_CHARS)]


@dataclass(frozen=True)
class SignedRequest:
    """What a member signs for one request (see the module's docstring)."""

    chain_id: Name
    method: Method
    target: Target
    body_sha256: Hash32
    time_ms: TimeMs
    nonce: Nonce


@dataclass(frozen=True)
class Credentials:
    """The four authentication headers of a request, parsed; not yet verified."""

    address: bytes  # the key that signed (MEMBER_HEADER); `member_of_key` gives its member
    time_ms: int
    nonce: bytes
    signature: bytes


def signing_bytes(request: SignedRequest) -> bytes:
    """What a member signs: the domain tag, then the request's canonical bytes."""
    return REQUEST_DOMAIN + encode(request)


def request_headers(key: MemberSigner, chain_id: str, method: str, target: str, body: bytes,
                    time_ms: int, nonce: bytes | None = None) -> dict[str, str]:
    """The four headers that sign a request `method target` with `body` for `chain_id`,
    made at `time_ms` (the caller's clock), with a fresh random nonce unless one is given.

    `target` is the request target exactly as it will be sent (see the module's
    docstring); a `ValueError` if it is not ASCII or not in origin form."""
    if not target.startswith("/") or not target.isascii():
        raise ValueError(f"a request target is an ASCII path from '/', got {target[:80]!r}")
    if not _METHOD.fullmatch(method):
        raise ValueError(f"an HTTP method is upper-case letters, got {method[:20]!r}")
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    signed = SignedRequest(chain_id, method, target, sha256(body), time_ms, nonce)
    return {
        MEMBER_HEADER: key.address.hex(),
        TIME_HEADER: str(time_ms),
        NONCE_HEADER: nonce.hex(),
        SIGNATURE_HEADER: key.sign(signing_bytes(signed)).hex(),
    }


def parse_credentials(headers: Mapping[str, str]) -> Credentials:
    """The authentication headers of a request; `Unauthenticated("auth.required")` naming
    the first that is missing, given twice or malformed.

    `headers` is a case-insensitive multidict (aiohttp's `request.headers`), whose
    `getall` shows a header given twice, or a plain mapping with the exact names."""
    address = _hex_header(headers, MEMBER_HEADER, ADDRESS_BYTES)
    time_text = _header(headers, TIME_HEADER)
    if not 0 < len(time_text) <= _TIME_DIGITS or not _DIGITS.fullmatch(time_text):
        raise _malformed(TIME_HEADER, "milliseconds since the Unix epoch, in decimal digits")
    time_ms = int(time_text)
    if time_ms >= 2**63:
        raise _malformed(TIME_HEADER, "milliseconds since the Unix epoch, below 2**63")
    nonce = _hex_header(headers, NONCE_HEADER, NONCE_BYTES)
    signature = _hex_header(headers, SIGNATURE_HEADER, SIGNATURE_BYTES)
    return Credentials(address, time_ms, nonce, signature)


def check_time(time_ms: int, now_ms: int, window_ms: int = WINDOW_MS) -> None:
    """`Unauthenticated("auth.stale")` unless `time_ms` is within `window_ms` of `now_ms`."""
    if abs(time_ms - now_ms) > window_ms:
        side = "behind" if time_ms < now_ms else "ahead of"
        raise Unauthenticated(
            "auth.stale", f"the request's time {time_ms} is {abs(time_ms - now_ms)} ms {side} "
            f"the node's clock ({now_ms}); at most {window_ms} ms either way is accepted: "
            f"sign it again now, and check this machine's clock")


def check_signature(credentials: Credentials, chain_id: str, method: str, target: str,
                    body: bytes) -> None:
    """`Unauthenticated("auth.bad_signature")` unless `credentials` sign this request."""
    if not target.isascii() or not 0 < len(target) <= MAX_TARGET_CHARS:
        raise Unauthenticated("auth.bad_signature", "the request target is not ASCII or too "
                              "long, so it cannot be what was signed; percent-encode it")
    if len(method) > MAX_METHOD_CHARS or not _METHOD.fullmatch(method):
        raise Unauthenticated("auth.bad_signature", "the request method cannot be signed")
    signed = SignedRequest(chain_id, method, target, sha256(body), credentials.time_ms,
                           credentials.nonce)
    if not verify(credentials.address, signing_bytes(signed), credentials.signature):
        raise Unauthenticated(
            "auth.bad_signature", f"the signature is not {credentials.address.hex()}'s over "
            f"this request on chain {chain_id} (method, target, body, time and nonce)")


def authenticate(headers: Mapping[str, str], chain_id: str, method: str, target: str,
                 body: bytes, now_ms: int, window_ms: int = WINDOW_MS) -> Credentials:
    """The credentials of a request whose headers are well formed, whose time is within
    the window and whose signature holds; `Unauthenticated` otherwise. Whether its nonce
    was seen before is the caller's to check (it needs a memory)."""
    credentials = parse_credentials(headers)
    check_time(credentials.time_ms, now_ms, window_ms)
    check_signature(credentials, chain_id, method, target, body)
    return credentials


def _header(headers: Mapping[str, str], name: str) -> str:
    getall: Any = getattr(headers, "getall", None)
    values = getall(name, []) if getall is not None else (
        [headers[name]] if name in headers else [])
    if not values:
        raise Unauthenticated(
            "auth.required", f"this request must be signed by a member key: it lacks the "
            f"{name} header (headers {', '.join(AUTH_HEADERS)}; the wallet adds them)")
    if len(values) > 1:
        raise _malformed(name, "given once")
    return values[0]


def _hex_header(headers: Mapping[str, str], name: str, size: int) -> bytes:
    text = _header(headers, name)
    if len(text) != 2 * size or not _HEX.fullmatch(text):
        raise _malformed(name, f"{2 * size} hex digits")
    return bytes.fromhex(text)


def _malformed(name: str, expected: str) -> Unauthenticated:
    # The same code as a missing header: either way the client must send the headers the
    # wallet makes; the sentence says which one is wrong.
    return Unauthenticated("auth.required", f"the {name} header must be {expected}")


def member_of_key(state: Reader, key: bytes) -> bytes:
    """The address a request signed by `key` comes from: the member whose current key it
    is, or `key` itself for a key no member ever had (a stranger, who reads what is
    addressed to it only). A member's former key is refused with
    `Unauthenticated("auth.key_rotated")`: a lost or replaced key reads nothing."""
    try:
        return membership.address_of_key(state, key)
    except Rejected as e:
        raise Unauthenticated("auth.key_rotated", e.message) from None
