"""A small synchronous client of the node's HTTP API."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from contracts.errors import LedgerError


class Client:
    def __init__(self, base_url: str, timeout_s: float = 40) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, path: str, body: dict | None = None, **query: Any) -> Any:
        params = {k: v for k, v in query.items() if v is not None}
        url = self.base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            try:
                error = json.loads(e.read())["error"]
            except (ValueError, KeyError, TypeError):
                raise LedgerError("node.http_error", f"{url} answered {e.code}") from None
            raise LedgerError(error["code"], error["message"]) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            raise LedgerError("node.unreachable", f"cannot reach {self.base_url}: {e}") from None

    def status(self) -> dict:
        return self._call("/v1/status")

    def submit(self, raw: bytes) -> dict:
        return self._call("/v1/txs", {"tx": raw.hex()})

    def tx(self, tx_id: str, wait_ms: int = 0) -> dict:
        return self._call(f"/v1/txs/{tx_id}", wait_ms=wait_ms or None)

    def vouchers(self, holder: str | None, debtor: str | None) -> dict:
        return self._call("/v1/vouchers", holder=holder, debtor=debtor)

    def applications(self, creditor: str | None, debtor: str | None) -> dict:
        return self._call("/v1/applications", creditor=creditor, debtor=debtor)

    def member(self, address: str) -> dict:
        return self._call(f"/v1/members/{address}")
