"""Claimledger's client library for systems (an ERP, a core banking system): the public
names a program imports to transact with, read from and follow a node.

    from wallet.sdk import Client
    ledger = Client("https://agency-node:8443", signer=key)   # any MemberSigner
    done = ledger.transact("issuance", "apply", issuance.Apply(...))
    done.tx_id, done.height, done.events

`Client` is synchronous (urllib, through wallet/client.py, which keeps the HTTP details:
signed requests, TLS pinning of a node of network.toml, error answers); `AsyncClient` has
the same methods as coroutines, on aiohttp, and pins a node's certificate the same way.
Both sign every request but status and health with the signer (contracts/requests.py),
and every transaction with it: a KeyPair from a key store, the wallet's agent
(wallet/agent.py), or any object with `address` and `sign(message)` that an HSM stands
behind (contracts.identity.MemberSigner).

Results the library makes are frozen dataclasses (`Committed`, `Event`, `Proved`): their
fields are what a program stores and compares. Records read from the node are its JSON
views, not copied into dataclasses: a node of a later release adds fields to a view, and
a dict carries them through to the program where a dataclass would drop them or fail to
build. The common records are typed field by field (`VoucherView`, `PledgeView`,
`TransferView`, `ObligationView`, `MemberView`: TypedDicts); the other records are
`Record` (the contract's record as JSON, its fields named as in the contract; README
"HTTP API", GET /v1/openapi.json). `prove` differs: what it returns is decoded from
proven bytes into the contract's own record class.

The reads are one table, wallet/reads.py's `READS`: each entry (a route, its query
parameters, what it returns; a listing followed page by page) is a method of `Client`
and of `AsyncClient` alike, `ledger.pledge(pledge_id)`, `ledger.vouchers(holder=...,
max_items=...)`. The wallet reads through them too.

Errors are `LedgerError`s with the ledger's stable code (contracts/errors.py): a refused
transaction raises `Refused` (its code, e.g. `membership.missing_role`, and its `tx_id`),
whether the node refused it on submission (its mempool checks signatures, roles and cheap
state rules) or its block did; one not committed within the wait raises
`wallet.exits.Pending` (its `tx_id`: wait for it later with `wait`).

Why a module of its own and not wallet.client: wallet.client is the transport (urllib,
signing, TLS, error answers), which a system has no need to see; this module is the
surface a system builds on, which keeps its names and types from release to release.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import yarl

from contracts.blocks import block_id
from contracts.codec import encode
from contracts.contract import Registry, default_registry
from contracts.errors import LedgerError
from contracts.identity import MemberSigner
from contracts.ledger import make_transaction, required_signers, sign_transaction
from contracts.requests import EXEMPT_PATHS, request_headers
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, payload_id
from wallet.client import Client as HttpClient
from wallet.endpoint import Endpoint, node_endpoint
from wallet.exits import Pending
from wallet.light import Follower, Light, start
from wallet.proven import prove_record
from wallet.reads import (
    READS,
    MemberView,
    ObligationView,
    Page,
    PledgeView,
    Read,
    Record,
    TransferView,
    VouchersPage,
    VoucherView,
)

__all__ = ["READS", "AsyncClient", "Client", "Committed", "Event", "MemberView",
           "ObligationView", "Page", "Pending", "PledgeView", "Proved", "Read", "Record",
           "Refused", "Submitted", "TransferView", "VoucherView", "VouchersPage"]

# How long a transaction stays valid, in blocks: briefly when submitted at once (a copy
# lost in transit cannot surface hours later), long when it waits for co-signers.
SUBMIT_EXPIRY_BLOCKS = 1_000
DRAFT_EXPIRY_BLOCKS = 50_000
assert SUBMIT_EXPIRY_BLOCKS < DRAFT_EXPIRY_BLOCKS <= MAX_VALIDITY_BLOCKS
COMMIT_TIMEOUT_S = 60
POLL_MS = 5_000  # the longest one GET /v1/txs/{id}?wait_ms= waits (the node's bound)
EVENTS_WAIT_MS = 10_000  # one long poll of the event stream
EVENTS_PAGE = 100


class Refused(LedgerError):
    """The ledger refused the transaction `tx_id`: `code` is its stable code
    (`issuance.not_debtor`, `voucher.pledged`, ...), `message` its sentence."""

    def __init__(self, code: str, message: str, tx_id: str) -> None:
        super().__init__(code, message)
        self.tx_id = tx_id


@dataclass(frozen=True)
class TxEvent:
    """An event a committed transaction raised: its kind, what it concerns, whom."""

    kind: str
    subject: str
    parties: tuple[str, ...]


@dataclass(frozen=True)
class Committed:
    """A transaction committed: its id, the block's height, id and time, its events;
    `view`, the node's whole answer (GET /v1/txs/{id}: contract, body, signers), as the
    wallet shows it."""

    tx_id: str
    height: int
    block_id: str
    time_ms: int
    events: tuple[TxEvent, ...]
    view: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def subject(self, kind: str) -> str:
        """The subject of the first event of `kind` (`voucher.issued`: the voucher id);
        `KeyError` when it raised none."""
        for event in self.events:
            if event.kind == kind:
                return event.subject
        raise KeyError(kind)


@dataclass(frozen=True)
class Submitted:
    """A transaction accepted into the node's mempool, not waited for; `view`, the
    node's answer (POST /v1/txs)."""

    tx_id: str
    view: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Event:
    """An event of a member's stream. `cursor` is where the stream resumes after it:
    persist it with what the event made you do, and give it to `follow_events(after=)`."""

    cursor: str
    height: int
    seq: int
    time_ms: int
    tx_id: str | None  # None for the end-of-block step (overdue marking, extensions)
    kind: str
    subject: str
    parties: tuple[str, ...]


@dataclass(frozen=True)
class Proved:
    """A record of `kind` proven present (`record`, the contract's record class) or absent
    (None) at `height`, against the header `block_id` verified from the genesis."""

    kind: str
    id: str
    height: int
    block_id: str
    record: Any | None


# ------------------------------------------------------------------ shared, pure


def version_in_force(registry: Registry, status: dict, contract: str) -> int | None:
    """The version of `contract` to sign under: the one the node says is in force for the
    next block, or this release's latest when the node does not say.
    `wallet.unknown_version` when this release lacks the version in force."""
    found = next((c for c in status.get("contracts", []) if c.get("name") == contract), None)
    if found is None:
        return None
    runs = registry.get(contract, found["version"])
    if runs is None or runs.code_hash.hex() != found["code_hash"]:
        raise LedgerError(
            "wallet.unknown_version",
            f"the chain runs {contract} v{found['version']} (code hash "
            f"{found['code_hash']}) from height {found['from_height']}; this release "
            "lacks it: install a release that has it")
    return found["version"]


def new_transaction(registry: Registry, status: dict, contract: str, operation: str,
                    body: Any, expires_in: int) -> Transaction:
    """An unsigned transaction on the chain `status` (GET /v1/status) describes, under the
    contract version in force there, expiring `expires_in` blocks after its head."""
    assert 0 < expires_in <= MAX_VALIDITY_BLOCKS
    return make_transaction(registry, status["chain_id"], contract, operation, body,
                            status["height"] + expires_in,
                            int.from_bytes(os.urandom(8), "big") >> 1,
                            version_in_force(registry, status, contract))


def require_sole_signer(registry: Registry, tx: Transaction, member: bytes) -> None:
    """`wallet.needs_cosigners` unless `member` alone signs `tx`."""
    required = required_signers(registry, tx)
    if required != (member,):
        raise LedgerError(
            "wallet.needs_cosigners",
            "this transaction must be signed by " + ", ".join(a.hex() for a in required)
            + ": make a draft, have each signer add its signature, then submit it")


@contextlib.contextmanager
def refusals(tx_id: str) -> Iterator[None]:
    """The node's refusal of a submission (its mempool checks signatures, roles and
    cheap state rules) as `Refused`, as a refusal in a block is; what is not the ledger's
    answer about the transaction (node.unreachable, node.tls_*) passes as it is."""
    try:
        yield
    except LedgerError as e:
        if e.code.startswith("node.") or isinstance(e, Refused):
            raise
        raise Refused(e.code, e.message, tx_id) from None


def committed_of(view: dict) -> Committed:
    """The `Committed` of a committed transaction's view (GET /v1/txs/{id})."""
    return Committed(view["id"], view["height"], view["block_id"], view["time_ms"],
                     tuple(TxEvent(e["kind"], e["subject"], tuple(e["parties"]))
                           for e in view["events"]), view)


def settled(view: dict) -> Committed | None:
    """`view` committed, None while pending; `Refused` when the ledger refused it."""
    if view["status"] == "rejected":
        raise Refused(view["error"]["code"], view["error"]["message"], view["id"])
    return committed_of(view) if view["status"] == "committed" else None


def event_of(view: dict) -> Event:
    return Event(view["cursor"], view["height"], view["seq"], view["time_ms"],
                 view.get("tx_id"), view["kind"], view["subject"], tuple(view["parties"]))


# ------------------------------------------------------------------ synchronous


class Client:
    """A node's client for a system: transactions signed by `signer`, requests too.

    `node`: the API's URL; or `endpoint` (wallet.endpoint.node_endpoint: a node of
    network.toml with its TLS certificate pinned to its node key). `member`: the address
    the signer signs for when the member's key was rotated (default: the signer's own),
    kept as `member_address`.
    `genesis_id`: the network's genesis block id, which `prove` verifies headers from.
    `http`: a wallet.client.Client to send through (the wallet's own, whose requests it
    signs itself) instead of one made from `node`."""

    def __init__(self, node: str = "", *, signer: MemberSigner | None,
                 endpoint: Endpoint | None = None, member: bytes | None = None,
                 genesis_id: bytes | None = None, request_timeout_s: float = 40,
                 registry: Registry | None = None, http: HttpClient | None = None) -> None:
        self.signer = signer
        self.member_address = (member if member is not None or signer is None
                               else signer.address)
        self.registry = registry or default_registry()
        self.http = http or HttpClient(node, timeout_s=request_timeout_s, endpoint=endpoint,
                                       signer=lambda: self.signer)
        self.genesis_id = genesis_id
        self._follower: Follower | None = None

    def _me(self) -> tuple[MemberSigner, bytes]:
        if self.signer is None or self.member_address is None:
            raise LedgerError("wallet.no_key", "this client has no signer")
        return self.signer, self.member_address

    # -------------------------------------------------------------- transactions

    def draft(self, contract: str, operation: str, body: Any,
              expires_in: int = DRAFT_EXPIRY_BLOCKS) -> Transaction:
        """An unsigned transaction for the node's chain and contract version in force,
        for its signers to sign (`add_signature`) on their own systems."""
        return new_transaction(self.registry, self.http.status(), contract, operation,
                               body, expires_in)

    def add_signature(self, tx: Transaction) -> Transaction:
        """`tx` with this client's signature added (send its bytes, `encode(tx)`, on)."""
        return sign_transaction(tx, self._me()[0])

    def required_signers(self, tx: Transaction) -> tuple[bytes, ...]:
        """The addresses whose signatures `tx` needs."""
        return required_signers(self.registry, tx)

    def transact(self, contract: str, operation: str, body: Any, wait: bool = True,
                 timeout_s: float = COMMIT_TIMEOUT_S,
                 expires_in: int = SUBMIT_EXPIRY_BLOCKS) -> Committed | Submitted:
        """Build, sign (this client's member must be its only signer), submit and, with
        `wait`, wait for the commit: `Committed`. `Refused` with the ledger's code on a
        refusal; `Pending` (its `tx_id`) when not committed within `timeout_s`."""
        signer, member = self._me()
        tx = new_transaction(self.registry, self.http.status(), contract, operation, body,
                             expires_in)
        require_sole_signer(self.registry, tx, member)
        return self.submit(sign_transaction(tx, signer), wait, timeout_s)

    def submit(self, tx: Transaction, wait: bool = True,
               timeout_s: float = COMMIT_TIMEOUT_S) -> Committed | Submitted:
        """Submit a signed transaction; with `wait` as `transact` does."""
        tx_id = payload_id(tx.payload).hex()
        with refusals(tx_id):
            answer = self.http.submit(encode(tx))
        # The id the node answers is the one to ask it about (it is the payload's).
        tx_id = answer["id"]
        return self.wait(tx_id, timeout_s) if wait else Submitted(tx_id, answer)

    def wait(self, tx_id: str, timeout_s: float = COMMIT_TIMEOUT_S) -> Committed:
        """The transaction `tx_id` once committed (asked at least once); `Refused`, or
        `Pending` when not committed within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            done = settled(self.tx(tx_id, wait_ms=max(0, min(POLL_MS, left_ms))))
            if done is not None:
                return done
            if time.monotonic() >= deadline:
                raise Pending(tx_id, timeout_s)

    # -------------------------------------------------------------- reads

    def read(self, read: Read, *args: Any, **kwargs: Any) -> Any:
        """The answer to `read` (an entry of wallet.reads.READS) called with `args` and
        `kwargs`: what the method named after it does."""
        request = read.bind(args, kwargs)
        if request.listing is not None:
            while (page := request.listing.page_query()) is not None:
                request.listing.take(self.http.get(request.path, {**request.query, **page},
                                                   request.headers))
            return request.listing.result()
        if read.raw:
            return self.http.get_bytes(request.path, request.query, request.headers)
        return self.http.get(request.path, request.query, request.headers)

    def events(self, after: str | None = None, limit: int = EVENTS_PAGE,
               wait_ms: int = 0) -> tuple[list[Event], str | None]:
        """One page of your member's events after the cursor `after`, and the cursor to
        resume from (None: the stream is read to its end)."""
        _, member = self._me()
        page = self.member_events(member.hex(), after, limit, wait_ms)
        return [event_of(e) for e in page["events"]], page["next"]

    def follow_events(self, after: str | None = None,
                      wait_ms: int = EVENTS_WAIT_MS) -> Iterator[Event]:
        """Your member's events after the cursor `after`, oldest first, as they commit,
        without end: each carries its `cursor`; persist it once the event is handled and
        resume from it, and no event is lost or seen twice."""
        while True:
            events, resume = self.events(after, EVENTS_PAGE, wait_ms)
            for event in events:
                after = event.cursor
                yield event
            # A page of events this member may not read moves the cursor on all the same.
            after = resume or after

    # -------------------------------------------------------------- proofs

    def prove(self, kind: str, record_id: str) -> Proved:
        """The record `kind` `record_id` (a kind of GET /v1/proofs: voucher, pledge,
        member, ...) decoded from bytes proven against the node's head, whose header this
        client verified from the genesis (`genesis_id`); `ProofError` (code proof.*)
        when the node's answer does not prove it."""
        if self.genesis_id is None:
            raise LedgerError("wallet.no_trust", "give genesis_id= to prove records")
        if self._follower is None:
            self._follower = Follower(self, None, start(self, self.genesis_id))
        found, header = prove_record(self, self._follower, kind, bytes.fromhex(record_id))
        return Proved(kind, record_id, header.height, block_id(header).hex(), found.record)

    @property
    def light(self) -> Light | None:
        """What `prove` verified so far (None before the first proof)."""
        return None if self._follower is None else self._follower.light


# ------------------------------------------------------------------ asynchronous


class NodeKeyPin(aiohttp.Fingerprint):
    """aiohttp's hook for checking a certificate after the handshake and before the
    request (its `Fingerprint.check`), checking instead that the certificate is bound to
    the node key the endpoint pins (wallet.endpoint). Given to the connector, while each
    request carries the endpoint's TLS context: aiohttp then uses both."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(bytes(32))  # a digest aiohttp requires and this check ignores
        self.endpoint = endpoint

    def check(self, transport: asyncio.Transport) -> None:
        tls = transport.get_extra_info("ssl_object")
        try:
            self.endpoint.check_certificate(
                None if tls is None else tls.getpeercert(binary_form=True))
        except LedgerError:
            transport.close()
            raise


class AsyncClient:
    """`Client`'s methods as coroutines, on aiohttp; use it as `async with`, or close it.

    `node` or `endpoint` as for `Client`: a node of network.toml (node_endpoint) has its
    certificate pinned to its node key, checked after the handshake and before the
    request, and a CA file given to node_endpoint verifies a CA-issued one. `ssl`: a TLS
    context to use instead of the endpoint's. `prove` runs `Client.prove` (urllib, the
    same endpoint) in a thread, one proof at a time."""

    def __init__(self, node: str = "", *, signer: MemberSigner | None,
                 endpoint: Endpoint | None = None, member: bytes | None = None,
                 genesis_id: bytes | None = None, request_timeout_s: float = 40,
                 ssl: Any = None, registry: Registry | None = None) -> None:
        self.endpoint = endpoint or node_endpoint(node)
        self.base_url = self.endpoint.url
        self.signer = signer
        self.member_address = (member if member is not None or signer is None
                               else signer.address)
        self.registry = registry or default_registry()
        self.request_timeout_s = request_timeout_s
        self._ssl = ssl if ssl is not None else self.endpoint.context
        self._session: aiohttp.ClientSession | None = None
        self._chain_id: str | None = None
        self._sync = Client(signer=signer, endpoint=self.endpoint, member=member,
                            genesis_id=genesis_id, request_timeout_s=request_timeout_s,
                            registry=self.registry)
        self._proving = asyncio.Lock()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _me(self) -> tuple[MemberSigner, bytes]:
        if self.signer is None or self.member_address is None:
            raise LedgerError("wallet.no_key", "this client has no signer")
        return self.signer, self.member_address

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            pinned = self.endpoint.pin is not None and self._ssl is self.endpoint.context
            connector = aiohttp.TCPConnector(ssl=NodeKeyPin(self.endpoint)) if pinned \
                else None
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout_s))
        return self._session

    async def _call(self, method: str, path: str, raw: bytes | None = None,
                    headers: dict[str, str] | None = None, as_bytes: bool = False,
                    **query: Any) -> Any:
        """GET, or POST `raw` bytes as application/msgpack: the answer's JSON (its bytes
        with `as_bytes`); an error answer raises as wallet.client's does."""
        params = {k: v for k, v in query.items() if v is not None}
        target = path + ("?" + urllib.parse.urlencode(params) if params else "")
        sent = {**(headers or {})}
        if raw is not None:
            sent["Content-Type"] = "application/msgpack"
        if path not in EXEMPT_PATHS and self.signer is not None:
            if self._chain_id is None:
                self._chain_id = (await self.status())["chain_id"]
            sent.update(request_headers(self.signer, self._chain_id, method, target,
                                        raw or b"", time.time_ns() // 1_000_000))
        session = self._open()
        url = yarl.URL(self.base_url + target, encoded=True)  # sent as it was signed
        try:
            async with session.request(method, url, data=raw, headers=sent,
                                       ssl=self._ssl if self._ssl is not None else True
                                       ) as response:
                body = await response.read()
                status = response.status
        except aiohttp.ClientConnectorCertificateError as e:
            raise LedgerError("node.tls_unverified",
                              f"{self.base_url} presented a certificate that does not "
                              f"verify: {e.certificate_error}; give a CA file for a private "
                              "CA, or a network file that lists the node's key") from None
        except (aiohttp.ClientError, TimeoutError) as e:
            raise LedgerError("node.unreachable",
                              f"cannot reach {self.base_url}: {e}") from None
        if as_bytes and status < 400:
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            raise LedgerError("node.http_error", f"{url} answered {status}") from None
        if status >= 400:
            error = answer.get("error") if isinstance(answer, dict) else None
            if not isinstance(error, dict) or "code" not in error:
                raise LedgerError("node.http_error", f"{url} answered {status}")
            raise LedgerError(error["code"], error.get("message", ""))
        return answer

    async def read(self, read: Read, *args: Any, **kwargs: Any) -> Any:
        """As `Client.read`."""
        request = read.bind(args, kwargs)
        if request.listing is not None:
            while (page := request.listing.page_query()) is not None:
                request.listing.take(await self._call(
                    "GET", request.path, headers=request.headers, **request.query, **page))
            return request.listing.result()
        return await self._call("GET", request.path, headers=request.headers,
                                as_bytes=read.raw, **request.query)

    # -------------------------------------------------------------- transactions

    async def draft(self, contract: str, operation: str, body: Any,
                    expires_in: int = DRAFT_EXPIRY_BLOCKS) -> Transaction:
        """As `Client.draft`."""
        return new_transaction(self.registry, await self.status(), contract, operation,
                               body, expires_in)

    def add_signature(self, tx: Transaction) -> Transaction:
        """As `Client.add_signature` (signing asks no node)."""
        return sign_transaction(tx, self._me()[0])

    def required_signers(self, tx: Transaction) -> tuple[bytes, ...]:
        return required_signers(self.registry, tx)

    async def transact(self, contract: str, operation: str, body: Any, wait: bool = True,
                       timeout_s: float = COMMIT_TIMEOUT_S,
                       expires_in: int = SUBMIT_EXPIRY_BLOCKS) -> Committed | Submitted:
        """As `Client.transact`."""
        signer, member = self._me()
        tx = new_transaction(self.registry, await self.status(), contract, operation, body,
                             expires_in)
        require_sole_signer(self.registry, tx, member)
        return await self.submit(sign_transaction(tx, signer), wait, timeout_s)

    async def submit(self, tx: Transaction, wait: bool = True,
                     timeout_s: float = COMMIT_TIMEOUT_S) -> Committed | Submitted:
        """As `Client.submit`."""
        tx_id = payload_id(tx.payload).hex()
        with refusals(tx_id):
            answer = await self._call("POST", "/v1/txs", raw=encode(tx))
        tx_id = answer["id"]
        return await self.wait(tx_id, timeout_s) if wait else Submitted(tx_id, answer)

    async def wait(self, tx_id: str, timeout_s: float = COMMIT_TIMEOUT_S) -> Committed:
        """As `Client.wait`."""
        deadline = time.monotonic() + timeout_s
        while True:
            left_ms = max(0, min(POLL_MS, int((deadline - time.monotonic()) * 1000)))
            done = settled(await self.tx(tx_id, wait_ms=left_ms))
            if done is not None:
                return done
            if time.monotonic() >= deadline:
                raise Pending(tx_id, timeout_s)

    async def events(self, after: str | None = None, limit: int = EVENTS_PAGE,
                     wait_ms: int = 0) -> tuple[list[Event], str | None]:
        """As `Client.events`."""
        _, member = self._me()
        page = await self.member_events(member.hex(), after, limit, wait_ms)
        return [event_of(e) for e in page["events"]], page["next"]

    async def follow_events(self, after: str | None = None,
                            wait_ms: int = EVENTS_WAIT_MS) -> AsyncIterator[Event]:
        """As `Client.follow_events`, an async iterator."""
        while True:
            events, resume = await self.events(after, EVENTS_PAGE, wait_ms)
            for event in events:
                after = event.cursor
                yield event
            # A page of events this member may not read moves the cursor on all the same.
            after = resume or after

    async def prove(self, kind: str, record_id: str) -> Proved:
        """As `Client.prove` (its light client's urllib requests run in a thread)."""
        async with self._proving:  # the light client it follows is one, and not shared
            return await asyncio.to_thread(self._sync.prove, kind, record_id)


# ------------------------------------------------------------------ the reads, from one table


def _sync_read(read: Read) -> Any:
    def method(self: Client, *args: Any, **kwargs: Any) -> Any:
        return self.read(read, *args, **kwargs)
    return _described(method, read)


def _async_read(read: Read) -> Any:
    async def method(self: AsyncClient, *args: Any, **kwargs: Any) -> Any:
        return await self.read(read, *args, **kwargs)
    return _described(method, read)


def _described(method: Any, read: Read) -> Any:
    method.__name__ = method.__qualname__ = read.name
    method.__doc__ = read.doc or f"GET {read.path}."
    method.__signature__ = read.signature
    return method


for _entry in READS:
    # A read never hides a method written by hand (transact, events, prove...).
    assert _entry.name not in vars(Client) and _entry.name not in vars(AsyncClient), _entry
    setattr(Client, _entry.name, _sync_read(_entry))
    setattr(AsyncClient, _entry.name, _async_read(_entry))
