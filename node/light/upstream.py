"""The full nodes a light node asks: each request signed by its member's key, each
answer taken as a claim to verify, never as a fact.

Upstreams are tried in turn: a node that does not answer, or whose answer the light node
refuses (a header or proof that does not verify), is left for the next one
(`rotate`), so one faulty or unreachable node delays the light node, no more.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import aiohttp

from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.requests import EXEMPT_PATHS, request_headers

REQUEST_TIMEOUT_S = 20
MAX_ANSWER_BYTES = 8 << 20  # a page of headers is at most 4 MB (node/http/headers.py)


class UpstreamError(LedgerError):
    """An upstream that did not answer (`light.upstream_unreachable`) or answered with an
    error (its own code, e.g. `read.forbidden`)."""


class Upstream:
    """Signed requests to the upstream full nodes, one at a time."""

    def __init__(self, urls: tuple[str, ...], key: KeyPair, chain_id: str) -> None:
        assert urls
        self.urls = urls
        self.key = key
        self.chain_id = chain_id
        self.index = 0
        self._session: aiohttp.ClientSession | None = None
        self.requests: list[str] = []  # the targets asked, most recent last (bounded)

    @property
    def url(self) -> str:
        return self.urls[self.index]

    def rotate(self) -> None:
        """Ask the next upstream from now on."""
        self.index = (self.index + 1) % len(self.urls)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        return self._session

    def signed(self, method: str, target: str, body: bytes) -> dict[str, str]:
        path = target.partition("?")[0]
        if path in EXEMPT_PATHS:
            return {}
        return request_headers(self.key, self.chain_id, method, target, body,
                               time.time_ns() // 1_000_000)

    async def get(self, path: str, **query: Any) -> Any:
        """GET `path` with `query` from the current upstream, signed; its JSON answer."""
        params = {k: v for k, v in query.items() if v is not None}
        target = path + ("?" + urllib.parse.urlencode(params) if params else "")
        self.requests.append(target)
        del self.requests[:-1000]
        status, body = await self.send("GET", target, b"", self.signed("GET", target, b""))
        return answer_json(status, body, self.url + target)

    async def send(self, method: str, target: str, body: bytes,
                   headers: dict[str, str]) -> tuple[int, bytes]:
        """A request as it is (a wallet's, passed on with its own signature): the status
        and body of the answer."""
        try:
            async with self.session().request(method, self.url + target, data=body or None,
                                              headers=headers) as response:
                return response.status, await read_bounded(response, self.url)
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise UpstreamError("light.upstream_unreachable",
                                f"cannot reach {self.url}: {e or type(e).__name__}") from None


async def read_bounded(response: aiohttp.ClientResponse, url: str) -> bytes:
    """The whole body, read chunk by chunk up to MAX_ANSWER_BYTES (a longer one is
    refused: `light.upstream_too_large`)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await response.content.read(1 << 16):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise UpstreamError("light.upstream_too_large",
                                f"{url} answered more than {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def answer_json(status: int, body: bytes, url: str) -> Any:
    """The JSON of a 200 answer; the node's own error code for another."""
    try:
        document = json.loads(body)
    except ValueError:
        raise UpstreamError("light.upstream_bad_answer", f"{url} answered {status}, "
                            "not JSON") from None
    if status != 200:
        error = document.get("error") if isinstance(document, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            raise UpstreamError(error["code"], str(error.get("message", "")))
        raise UpstreamError("light.upstream_bad_answer", f"{url} answered {status}")
    return document
