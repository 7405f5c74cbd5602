"""The client library's synchronous transport (wallet/sdk.py's `Client`): urllib, signed
requests, the TLS check of wallet/endpoint.py, the node's error answers as LedgerErrors.
The reads themselves are wallet/reads.py's table; this module sends them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from contracts.errors import LedgerError
from contracts.identity import MemberSigner
from contracts.requests import EXEMPT_PATHS, request_headers
from wallet.endpoint import Endpoint, node_endpoint, unverified
from wallet.reads import DRAFT_HEADER as DRAFT_HEADER  # where it was before


class Client:
    """Talks to the node at `base_url`, or at `endpoint` (wallet/endpoint.py: a node of
    network.toml, its TLS certificate pinned to its node key)."""

    def __init__(self, base_url: str = "", timeout_s: float = 40,
                 endpoint: Endpoint | None = None,
                 signer: Callable[[], MemberSigner | None] | None = None) -> None:
        """`signer` gives the key that signs every request but status, health, metrics
        and the OpenAPI document (contracts/requests.py); asked on the first such request,
        so a command that reads only status never opens a key store. None: unsigned."""
        self.endpoint = endpoint or node_endpoint(base_url)
        self.base_url = self.endpoint.url
        self.timeout_s = timeout_s
        self.signer = signer
        self._chain_id: str | None = None  # the node's, from /v1/status, to sign with

    def _call(self, path: str, body: dict | None = None, raw: bytes | None = None,
              extra_headers: dict[str, str] | None = None, **query: Any) -> Any:
        """GET, or POST `body` as JSON or `raw` bytes as application/msgpack."""
        return json.loads(self._fetch(path, body, raw, extra_headers, **query))

    def _fetch(self, path: str, body: dict | None = None, raw: bytes | None = None,
               extra_headers: dict[str, str] | None = None, **query: Any) -> bytes:
        """The answer's bytes, as _call asks; an error answer raises as there."""
        params = {k: v for k, v in query.items() if v is not None}
        url = self.base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        content_type = "application/json" if raw is None else "application/msgpack"
        request = urllib.request.Request(url, data=data, headers={
            "Content-Type": content_type, **(extra_headers or {})})
        self._sign(request, path, data or b"")
        try:
            with self.endpoint.opener.open(request, timeout=self.timeout_s) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            try:
                error = json.loads(e.read())["error"]
            except (ValueError, KeyError, TypeError):
                raise LedgerError("node.http_error", f"{url} answered {e.code}") from None
            raise LedgerError(error["code"], error["message"]) from None
        except urllib.error.URLError as e:
            if unverified(e):
                raise LedgerError("node.tls_unverified",
                                  f"{self.base_url} presented a certificate that does not "
                                  f"verify: {e.reason}; give --ca-file for a private CA, "
                                  "or --network for a node whose key it lists") from None
            raise LedgerError("node.unreachable", f"cannot reach {self.base_url}: {e}") from None
        except (ConnectionError, TimeoutError) as e:
            raise LedgerError("node.unreachable", f"cannot reach {self.base_url}: {e}") from None

    def _sign(self, request: urllib.request.Request, path: str, body: bytes) -> None:
        key = None if path in EXEMPT_PATHS or self.signer is None else self.signer()
        if key is None:
            return
        if self._chain_id is None:
            self._chain_id = self.status()["chain_id"]
        # The selector is the request target urllib sends, as the node will read it.
        headers = request_headers(key, self._chain_id, request.get_method(), request.selector,
                                  body, time.time_ns() // 1_000_000)
        for name, value in headers.items():
            request.add_header(name, value)

    def get(self, path: str, query: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Any:
        """GET `path` with `query` (None values left out): the answer's JSON. The client
        library's reads (wallet/reads.py) are made of this."""
        return self._call(path, extra_headers=headers, **(query or {}))

    def get_bytes(self, path: str, query: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None) -> bytes:
        """As `get`, the answer's bytes (a file the node exports)."""
        return self._fetch(path, extra_headers=headers, **(query or {}))

    def status(self) -> dict:
        """GET /v1/status, which every signed request needs first (the chain id)."""
        return self._call("/v1/status")

    def submit(self, raw: bytes) -> dict:
        """Post a signed transaction's canonical bytes as they are (half the size of hex)."""
        return self._call("/v1/txs", raw=raw)

    def explorer_sign_in(self) -> dict:
        """A one-time link that opens the explorer for the signing member (agency or
        regulator): `link` (a path on this node), `expires_in_ms`."""
        return self._call("/v1/explorer/sign-in", body={})
