"""Signed API requests for the tests' and scripts' HTTP clients.

Every API route but status, health, metrics and the OpenAPI document wants a request
signed by a member key (contracts/requests.py). A `Signer` holds the chain id and the
keys of one test network: the key that reads by default (the agency's or a regulator's:
they read every record) and every key of the network by address, because a member's
event stream is read by that member alone (contracts/access.py, may_read_event).

`signer.headers(method, target, body)` gives the four headers for urllib or any client;
`aiohttp_signing(signer)` is a client middleware (ClientSession(middlewares=...),
TestClient(..., middlewares=...)) that signs the exact target and body aiohttp sends;
`signed_by(chain_id, members)` the keyword arguments that install it.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientHandlerType, ClientRequest, ClientResponse
from aiohttp.client_middlewares import ClientMiddlewareType

from contracts.identity import KeyPair
from contracts.requests import request_headers

EVENTS_PATH = "/v1/events"


@dataclass(frozen=True)
class Signer:
    """Who signs a network's requests: `reader` by default, an addressee its own events."""

    chain_id: str
    reader: KeyPair
    keys: dict[bytes, KeyPair] = field(default_factory=dict)

    @classmethod
    def of(cls, chain_id: str, reader: KeyPair, keys: Iterable[KeyPair] = ()) -> Signer:
        """A signer for `chain_id` reading with `reader`; `keys` may read their events."""
        return cls(chain_id, reader, {k.address: k for k in (reader, *keys)})

    def with_reader(self, reader: KeyPair) -> Signer:
        """The same network's signer reading as `reader`."""
        return Signer(self.chain_id, reader, {**self.keys, reader.address: reader})

    def key_for(self, target: str) -> KeyPair:
        """The key to sign `target` with: an event stream's addressee if its key is known
        (nobody else reads it), else the reader."""
        path, _, query = target.partition("?")
        if path == EVENTS_PATH:
            for value in urllib.parse.parse_qs(query).get("address", []):
                try:
                    key = self.keys.get(bytes.fromhex(value))
                except ValueError:
                    key = None
                if key is not None:
                    return key
        return self.reader

    def headers(self, method: str, target: str, body: bytes = b"",
                key: KeyPair | None = None) -> dict[str, str]:
        """The four signature headers of `method target` with `body`, signed now by `key`
        (default `key_for(target)`)."""
        key = key or self.key_for(target)
        return request_headers(key, self.chain_id, method.upper(), target, body,
                               time.time_ns() // 1_000_000)


def aiohttp_signing(signer: Signer | Callable[[str], Signer | None],
                    key: KeyPair | None = None) -> ClientMiddlewareType:
    """An aiohttp client middleware signing every request with `signer` (and `key` if
    given), or with the signer `signer(host_and_port)` names for the request's node (none:
    unsigned): the target is the one aiohttp puts on the request line (`raw_path_qs`), the
    body the bytes of its payload (a streamed body cannot be signed ahead: sign those
    by hand with `Signer.headers`)."""

    async def sign(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        chosen = signer if isinstance(signer, Signer) else signer(
            f"{request.url.host}:{request.url.port}")
        if chosen is not None:
            body = request.body
            data = body if isinstance(body, bytes) else await body.as_bytes()
            request.headers.update(chosen.headers(request.method, request.url.raw_path_qs,
                                                  data, key))
        return await handler(request)

    return sign


def signed_by(chain_id: str, members: Mapping[str, KeyPair], reader: str = "agency",
              *others: KeyPair) -> dict[str, Any]:
    """Keyword arguments for an aiohttp ClientSession or TestClient that sign every request
    for `chain_id` as `members[reader]` (by default the agency, which reads every record),
    and each member's (and `others`') event stream with its own key."""
    signer = Signer.of(chain_id, members[reader], [*members.values(), *others])
    return {"middlewares": (aiohttp_signing(signer),)}
