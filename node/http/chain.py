"""The chain's records: the node's status, blocks, transactions (committed, pending or
rejected), equivocation evidence and the events addressed to a member."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from aiohttp import web

from contracts import documents, evidence, membership
from contracts.access import TxWithEvents, readable, require_read
from contracts.caller import Caller
from contracts.codec import to_json
from contracts.errors import Forbidden, LedgerError
from contracts.ledger import resolve
from contracts.tx import Transaction, decode_transaction, payload_id
from node import operations
from node.blocks import Block
from node.http.params import (
    DEFAULT_PAGE,
    HEIGHT_TEXT,
    MAX_PAGE,
    MAX_WAIT_MS,
    NODE,
    address_of,
    address_param,
    bad_request,
    hex_cursor_param,
    hex_id,
    int_param,
    not_found,
)
from node.http.reads import reader
from node.service import Node
from node.store import CURSOR_BYTES, AddressedEvent


async def get_status(request: web.Request) -> web.Response:
    node = request.app[NODE]
    head = node.chain.head
    mempool = node.mempool
    return web.json_response({
        "chain_id": node.chain.chain_id,
        "node": node.name,
        "role": node.role or "follower",
        "address": node.address.hex(),
        "height": head.height,
        "block_id": head.block_id.hex(),
        "state_root": head.state_root.hex(),
        "time_ms": head.time_ms,
        "genesis_id": (node.store.genesis_id() or b"").hex(),
        "mempool": len(node.mempool),
        "evidence_pending": len(node.evidence),
        # What each peer's gossip holds here, and what of it was dropped past its share
        # or failed its rules in this node's blocks (since this node started).
        "validators": [
            {"name": v.name, "key": v.key.hex(), "power": v.power,
             "gossip_pending": mempool.peer_load.get(v.key, (0, 0))[0],
             "gossip_dropped": mempool.gossip_dropped.get(v.key, 0),
             "gossip_failed": mempool.gossip_failed.get(v.key, 0)}
            for v in node.chain.registry_entries().validators  # the registry's, in force
        ],
        # The operator's: release and protocol versions, contract versions in force, peer
        # links, and whether this node is behind its peers (node/operations.py).
        **operations.status_fields(node),
    })


# ---------------------------------------------------------------- transactions and blocks


def tx_view(node: Node, tx: Transaction) -> dict[str, Any]:
    payload = tx.payload
    view: dict[str, Any] = {
        "id": payload_id(payload).hex(),
        "chain_id": payload.chain_id,
        "contract": to_json(payload.contract),
        "operation": payload.operation,
        "expiry_height": payload.expiry_height,
        "nonce": payload.nonce,
        "signers": [s.signer.hex() for s in tx.signatures],
    }
    body = None
    try:
        _, _, body = resolve(node.registry, tx)
        view["body"] = to_json(body)
    except LedgerError:
        view["body"] = None
    if isinstance(body, documents.Attach):
        # Megabytes of ciphertext stay out of transaction views: GET /v1/documents has them.
        view["body"]["envelope"] = {"ciphertext_bytes": len(body.envelope.ciphertext),
                                    "readers": [k.reader.hex() for k in body.envelope.keys]}
    return view


def committed_tx(node: Node, tx_id: bytes, caller: Caller) -> dict[str, Any] | None:
    record = node.store.tx_record(tx_id)
    if record is None:
        return None
    block = node.store.block(record.height)
    assert block is not None, "a committed transaction's block is stored"
    tx = decode_transaction(block.txs[record.index])
    require_read(node.store, caller, "transaction", TxWithEvents(tx, record.events))
    view = tx_view(node, tx)
    view.update(
        status="committed",
        height=record.height,
        index=record.index,
        block_id=block.id.hex(),
        time_ms=block.header.time_ms,
        events=to_json(record.events),
    )
    return view


def tx_status(node: Node, tx_id: bytes, caller: Caller) -> dict[str, Any]:
    """A transaction as `caller` may read it: committed (with its events) or pending, by
    the transaction's rule (its signers, the agency, the regulators); rejected, by the
    same parties, the node keeping the signers of what it rejected but not its bytes."""
    view = committed_tx(node, tx_id, caller)
    if view is not None:
        return view
    status, error = node.mempool.status(tx_id)
    if status == "pending":
        tx = node.mempool.pending[tx_id].tx
        require_read(node.store, caller, "transaction", TxWithEvents(tx, ()))
        view = tx_view(node, tx)
        view["status"] = "pending"
        return view
    if status == "rejected":
        assert error is not None
        # contracts.access.may_read_transaction's parties, without the bytes it reads them
        # from: the rejection's code and message may tell of the state the tx touched.
        signers = (membership.owner_of_key(node.store, key)
                   for key in node.mempool.rejected_signers(tx_id))  # keys: their members
        if not (caller.oversees or caller.one_of(*signers)):
            raise Forbidden("a rejected transaction is read by its signers, the agency and "
                            "the regulators")
        return {
            "id": tx_id.hex(),
            "status": "rejected",
            "error": {"code": error.code, "message": error.message},
        }
    raise not_found(f"no transaction {tx_id.hex()} on the ledger or in the mempool")


async def get_tx(request: web.Request) -> web.Response:
    node = request.app[NODE]
    tx_id = hex_id(request.match_info["id"], "a transaction id")
    wait_ms = int_param(request, "wait_ms", 0, 0, MAX_WAIT_MS)
    caller = reader(request)
    deadline = asyncio.get_running_loop().time() + wait_ms / 1000
    while True:
        view = tx_status(node, tx_id, caller)
        remaining = deadline - asyncio.get_running_loop().time()
        if view["status"] != "pending" or remaining <= 0:
            return web.json_response(view)
        with contextlib.suppress(TimeoutError):  # the deadline: answer what there is
            await asyncio.wait_for(node.committed.wait(), timeout=remaining)


def block_view(node: Node, block: Block, caller: Caller) -> dict[str, Any]:
    """The block as `caller` reads it: its end-of-block events are those addressed to it."""
    height = block.header.height
    certificate = node.store.certificate(height)
    stored = node.store.block_events(height)
    events = readable(node.store, caller, "event", stored.events if stored else ())
    return {
        "id": block.id.hex(),
        "header": to_json(block.header),
        "txs": [payload_id(decode_transaction(raw).payload).hex() for raw in block.txs],
        "evidence": to_json(block.evidence),  # [{vote_a, vote_b}]: see GET /v1/evidence
        "certificate": None if certificate is None else {
            "height": certificate.height,
            "round": certificate.round,
            "block_id": certificate.block_id.hex(),
            "precommits": [
                {"validator": p.validator.hex(), "signature": p.signature.hex()}
                for p in certificate.precommits
            ],
        },
        "events": [to_json(e) for e in events],
    }


async def get_block(request: web.Request) -> web.Response:
    node = request.app[NODE]
    caller = reader(request)
    text = request.match_info["height"]
    if not HEIGHT_TEXT.fullmatch(text):
        raise bad_request("bad_height", "a height is a non-negative integer")
    head = node.chain.head.height
    height = int(text) if len(text) <= 20 else head + 1  # more digits: beyond any head
    block = node.store.block(height) if height <= head else None
    if block is None:
        raise not_found(f"no block at height {text[:40]} (head is {head})")
    require_read(node.store, caller, "block", block)
    return web.json_response(block_view(node, block, caller))


# ---------------------------------------------------------------- events and evidence


def event_view(event: AddressedEvent) -> dict[str, Any]:
    return {"cursor": event.cursor.hex(), **to_json(event)}


async def get_events(request: web.Request) -> web.Response:
    """Events addressed to the caller, oldest first; waits up to wait_ms for the next one.
    Each member reads its own stream only (the agency and the regulators too)."""
    node = request.app[NODE]
    caller = reader(request, strangers=True)  # a validator key named in evidence reads its own
    address = address_param(request, "address")
    if address is None:
        raise bad_request("missing_parameter", "give address=ADDRESS")
    if address != caller.address:
        raise Forbidden("a member reads its own event stream only: give address=your address")
    after = hex_cursor_param(request, CURSOR_BYTES)
    base = node.store.base()
    if base and (after is None or int.from_bytes(after[:8], "big") < base):
        # A state-synced node holds the events of the blocks after its base only.
        raise LedgerError("events.before_base", f"this node started from a snapshot at "
                          f"height {base} and holds the events of later blocks only: give a "
                          f"cursor of height {base} or later, or read the stream from its "
                          "start on a node that holds the whole chain")
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    wait_ms = int_param(request, "wait_ms", 0, 0, MAX_WAIT_MS)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_ms / 1000
    while True:
        stored, next_cursor = node.store.events_for(address, after, limit)
        events = readable(node.store, caller, "event", stored)
        remaining = deadline - loop.time()
        if stored or remaining <= 0:
            return web.json_response({
                "events": [event_view(e) for e in events],
                "next": None if next_cursor is None else next_cursor.hex(),
            })
        with contextlib.suppress(TimeoutError):  # the deadline: answer what there is
            await asyncio.wait_for(node.committed.wait(), timeout=remaining)


EVIDENCE_CURSOR_TEXT = re.compile(f"[0-9a-fA-F]{{{2 * evidence.KEY_BYTES}}}")


async def list_evidence(request: web.Request) -> web.Response:
    """Equivocations on the ledger (every one, or one validator's), in key order:
    validator, height, round, step."""
    node = request.app[NODE]
    caller = reader(request)
    limit = int_param(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    validator = request.query.get("validator")
    prefix = evidence.PREFIX if validator is None else \
        evidence.validator_prefix(address_of(validator))
    after = request.query.get("after")
    if after is not None and not EVIDENCE_CURSOR_TEXT.fullmatch(after):
        raise bad_request("bad_cursor", f"after must be {2 * evidence.KEY_BYTES} hex digits "
                          "(the `next` of the previous page)")
    out: list[dict[str, Any]] = []
    last = b""
    for suffix, record in evidence.scan_evidence(
            node.store, prefix, b"" if after is None else bytes.fromhex(after)):
        if len(out) >= limit:
            return web.json_response({"evidence": out, "next": last.hex()})
        require_read(node.store, caller, "evidence", record)
        out.append(to_json(record))
        last = suffix
    return web.json_response({"evidence": out, "next": None})
