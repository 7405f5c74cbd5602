"""A small synchronous client of the node's HTTP API."""

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

MAX_PAGES = 100  # a bound on how many pages one listing follows
# The header a member asked to co-sign presents the draft in (the transaction's canonical
# bytes in hex), so that the node lets it read the voucher state the draft names: the
# name node/http/reads.py reads (DRAFT_HEADER), spelled here since the wallet imports no
# node module.
DRAFT_HEADER = "X-Claimledger-Draft"


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

    def listing(self, path: str, key: str, max_items: int, **query: Any) -> dict:
        """Up to `max_items` of a paged listing, following `next`; `next` is where it stopped.

        Fields beside the list (an account, totals) are taken from the first page.
        """
        assert max_items > 0
        first: dict | None = None
        items: list = []
        after = None
        for _ in range(MAX_PAGES):
            answer = self._call(path, **query, after=after,
                                limit=min(max_items - len(items), 1000))
            first = first or answer
            items.extend(answer[key])
            after = answer.get("next")
            if after is None or len(items) >= max_items:
                break
        assert first is not None
        return {**first, key: items[:max_items], "next": after}

    # -------------------------------------------------------------- chain

    def status(self) -> dict:
        return self._call("/v1/status")

    def submit(self, raw: bytes) -> dict:
        """Post a signed transaction's canonical bytes as they are (half the size of hex)."""
        return self._call("/v1/txs", raw=raw)

    def explorer_sign_in(self) -> dict:
        """A one-time link that opens the explorer for the signing member (agency or
        regulator): `link` (a path on this node), `expires_in_ms`."""
        return self._call("/v1/explorer/sign-in", body={})

    def tx(self, tx_id: str, wait_ms: int = 0) -> dict:
        return self._call(f"/v1/txs/{tx_id}", wait_ms=wait_ms or None)

    def events(self, address: str, after: str | None, limit: int, wait_ms: int = 0) -> dict:
        return self._call("/v1/events", address=address, after=after, limit=limit,
                          wait_ms=wait_ms or None)

    def nodes(self) -> dict:
        """The node registry: validators in force and coming, later sets, observers."""
        return self._call("/v1/nodes")

    def node_proposals(self) -> dict:
        """The validator changes proposed and pending, with their approvals' power."""
        return self._call("/v1/nodes/proposals")

    # -------------------------------------------------------------- light client

    def genesis_header(self) -> dict:
        """Block 0's header (JSON and canonical bytes) with the validator sets it names."""
        return self._call("/v1/headers/genesis")

    def headers(self, from_height: int, limit: int) -> dict:
        """Certified headers from `from_height` on, at most `limit`: `headers`, `next_from`."""
        return self._call("/v1/headers", **{"from": from_height, "limit": limit})

    def proof(self, kind: str, record_id: str, draft: bytes | None = None) -> dict:
        """A record of `kind` (contracts.record_proofs) or its absence, with its proof
        against the state root of the node's head. `draft`: the canonical bytes of a draft
        the caller was asked to co-sign, which lets it read the voucher state it names."""
        extra = None if draft is None else {DRAFT_HEADER: draft.hex()}
        return self._call(f"/v1/proofs/{kind}/{record_id}", extra_headers=extra)

    def ids(self, kind: str, prefix: str) -> dict:
        """The ids of `kind` (a kind of GET /v1/proofs, or `transaction`) that start with
        `prefix` (8+ hex digits) among the records you may read: `matches` ({"id",
        "record"}, at most 10), `more`."""
        return self._call(f"/v1/ids/{kind}", prefix=prefix)

    # -------------------------------------------------------------- members and issuance

    def member(self, address: str) -> dict:
        return self._call(f"/v1/members/{address}")

    def members(self, role: str | None = None, max_items: int = 10_000) -> dict:
        """Members; with `role`, the active members holding it."""
        return self.listing("/v1/members", "members", max_items, role=role)

    def document(self, document_id: str, envelope: bool = True) -> dict:
        """A document's attachment record (by its id, hex), with its sealed envelope unless
        `envelope` is False."""
        return self._call(f"/v1/documents/{document_id}",
                          envelope=None if envelope else "false")

    def document_grants(self, document_id: str) -> dict:
        """The grants of a document the caller reads."""
        return self._call(f"/v1/documents/{document_id}/grants")

    def grants(self, grantee: str, status: str | None = None, max_items: int = 1000) -> dict:
        """A grantee's grants of access to documents."""
        return self.listing("/v1/grants", "grants", max_items, grantee=grantee, status=status)

    def applications(self, creditor: str | None, debtor: str | None) -> dict:
        return self._call("/v1/applications", creditor=creditor, debtor=debtor)

    def application(self, application_id: str) -> dict:
        return self._call(f"/v1/applications/{application_id}")

    # -------------------------------------------------------------- vouchers

    def voucher(self, voucher_id: str) -> dict:
        return self._call(f"/v1/vouchers/{voucher_id}")

    def lineage(self, voucher_id: str) -> dict:
        return self._call(f"/v1/vouchers/{voucher_id}/lineage")

    def vouchers(self, holder: str | None = None, debtor: str | None = None,
                 status: str | None = None, standing: str | None = None,
                 max_items: int = 1000) -> dict:
        return self.listing("/v1/vouchers", "vouchers", max_items, holder=holder,
                            debtor=debtor, status=status, standing=standing)

    def holder(self, address: str) -> dict:
        return self._call(f"/v1/holders/{address}")

    def debtor(self, address: str) -> dict:
        return self._call(f"/v1/debtors/{address}")

    def origin(self, origin_id: str) -> dict:
        return self._call(f"/v1/origins/{origin_id}")

    # -------------------------------------------------------------- pledges and acquisition

    def pledges(self, voucher: str | None = None, origin: str | None = None,
                bank: str | None = None, pledgor: str | None = None,
                debtor: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/pledges", "pledges", max_items, voucher=voucher,
                            origin=origin, bank=bank, pledgor=pledgor, debtor=debtor)

    def pledge_certificate(self, **query: str | None) -> dict:
        """A query certificate of the registry (voucher=, origin=, pledgor= or debtor=,
        status= and after= optional)."""
        return self._call("/v1/pledges/certificate", **query)

    def pledge(self, pledge_id: str) -> dict:
        return self._call(f"/v1/pledges/{pledge_id}")

    def commitments(self, voucher: str | None = None, acquirer: str | None = None,
                    max_items: int = 1000) -> dict:
        return self.listing("/v1/commitments", "commitments", max_items, voucher=voucher,
                            acquirer=acquirer)

    def commitment(self, commitment_id: str) -> dict:
        return self._call(f"/v1/commitments/{commitment_id}")

    # -------------------------------------------------------------- redemption and fees

    def offers(self, debtor: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/offers", "offers", max_items, debtor=debtor)

    def offer(self, offer_id: str) -> dict:
        return self._call(f"/v1/offers/{offer_id}")

    def products(self, funder: str | None = None, kind: str | None = None,
                 status: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/products", "products", max_items, funder=funder, kind=kind,
                            status=status)

    def product(self, product_id: str) -> dict:
        return self._call(f"/v1/products/{product_id}")

    def financing_requests(self, party: str | None = None, status: str | None = None,
                           max_items: int = 1000) -> dict:
        return self.listing("/v1/financing/requests", "requests", max_items, party=party,
                            status=status)

    def financing_request(self, request_id: str) -> dict:
        return self._call(f"/v1/financing/requests/{request_id}")
    def sales(self, party: str, role: str | None = None, status: str | None = None,
              max_items: int = 1000) -> dict:
        return self.listing("/v1/sales", "sales", max_items, party=party, role=role,
                            status=status)

    def sale(self, sale_id: str) -> dict:
        return self._call(f"/v1/sales/{sale_id}")
    def transfers(self, holder: str | None = None, to: str | None = None,
                  status: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/transfers", "transfers", max_items, holder=holder, to=to,
                            status=status)

    def transfer(self, transfer_id: str) -> dict:
        return self._call(f"/v1/transfers/{transfer_id}")

    def redemptions(self, holder: str | None = None, debtor: str | None = None,
                    max_items: int = 1000) -> dict:
        return self.listing("/v1/redemptions", "redemptions", max_items, holder=holder,
                            debtor=debtor)

    def redemption(self, request_id: str) -> dict:
        return self._call(f"/v1/redemptions/{request_id}")

    # -------------------------------------------------------------- credit and the blacklist

    def credit_debtor(self, address: str) -> dict:
        return self._call(f"/v1/credit/debtors/{address}")

    def credit_exposure(self, funder: str, debtor: str) -> dict:
        return self._call(f"/v1/credit/exposures/{funder}/{debtor}")

    def blacklist(self, status: str = "listed", max_items: int = 1000) -> dict:
        return self.listing("/v1/credit/blacklist", "listings", max_items, status=status)

    def blacklist_criteria(self) -> dict:
        return self._call("/v1/credit/criteria")

    def fee_schedule(self) -> dict:
        return self._call("/v1/fees")

    def fee_account(self, address: str, max_items: int = 1000) -> dict:
        return self.listing(f"/v1/fees/{address}", "charges", max_items)

    # -------------------------------------------------------------- reports

    def report(self, period: str, by: str = "total", member: str | None = None) -> dict:
        """A period report as JSON (GET /v1/reports)."""
        return self._call("/v1/reports", period=period, by=by, member=member)

    def report_file(self, period: str, by: str, fmt: str, member: str | None = None
                    ) -> bytes:
        """A period report as the node exports it: CSV or XLSX bytes."""
        return self._fetch("/v1/reports", period=period, by=by, member=member, format=fmt)

    # -------------------------------------------------------------- obligations and set-off

    def obligations(self, creditor: str | None = None, debtor: str | None = None,
                    status: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/obligations", "obligations", max_items, creditor=creditor,
                            debtor=debtor, status=status)

    def obligation(self, obligation_id: str) -> dict:
        return self._call(f"/v1/obligations/{obligation_id}")

    def setoff_rounds(self, member: str | None = None, status: str | None = None,
                      max_items: int = 1000) -> dict:
        return self.listing("/v1/setoff/rounds", "rounds", max_items, member=member,
                            status=status)

    def setoff_round(self, round_id: str, member: str | None = None) -> dict:
        return self._call(f"/v1/setoff/rounds/{round_id}", member=member)

    def setoff_plan(self, exclude: list[str], run_batches: bool = False) -> dict:
        return self._call("/v1/setoff/plan", exclude=",".join(exclude) or None,
                          run_batches="1" if run_batches else None)

    def setoff_mandates(self, member: str) -> dict:
        return self._call(f"/v1/setoff/mandates/{member}")

    def setoff_run(self, run_id: str, member: str | None = None) -> dict:
        return self._call(f"/v1/setoff/runs/{run_id}", member=member)

    def setoff_runs(self, member: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/setoff/runs", "runs", max_items, member=member)

    def setoff_limit(self, member: str) -> dict:
        return self._call(f"/v1/setoff/limits/{member}")

    def setoff_totals(self) -> dict:
        return self._call("/v1/setoff/totals")

    # Court freezes and disputes (node/http/supervision.py).
    def freezes(self, party: str | None = None, voucher: str | None = None,
                status: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/freezes", "freezes", max_items, party=party, voucher=voucher,
                            status=status)

    def freeze(self, order_id: str) -> dict:
        return self._call(f"/v1/freezes/{order_id}")

    def disputes(self, party: str | None = None, subject: str | None = None,
                 status: str | None = None, max_items: int = 1000) -> dict:
        return self.listing("/v1/disputes", "disputes", max_items, party=party,
                            subject=subject, status=status)

    def dispute(self, dispute_id: str) -> dict:
        return self._call(f"/v1/disputes/{dispute_id}")
