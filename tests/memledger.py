"""An in-memory ledger for rule tests: genesis members, blocks at chosen ledger times."""

from __future__ import annotations

from typing import Any

from contracts.codec import encode
from contracts.contract import Event, Registry, default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.ledger import (
    BlockInfo,
    Genesis,
    GenesisMember,
    apply_transaction,
    check_transaction,
    end_block,
    genesis_state,
    make_transaction,
    sign_transaction,
)
from contracts.state import MemoryStore, Overlay
from contracts.tx import Transaction, payload_id

CHAIN = "rules-test"
GENESIS_MS = 1_800_000_000_000
DAY_MS = 86_400_000
ROLES = {
    "agency": ("agency",), "agency2": ("agency",), "core": ("enterprise",),
    "supplier": ("enterprise",), "supplier2": ("enterprise",), "bank": ("bank",),
    "merchant": ("merchant",), "regulator": ("regulator",), "bank2": ("bank",),
    "acquirer": ("acquirer",), "supplier3": ("enterprise",),
}


class Ledger:
    def __init__(self, registry: Registry | None = None, fee_rate_bp: int = 0) -> None:
        self.registry = registry or default_registry()
        self.keys = {name: KeyPair.generate() for name in ROLES}
        members = tuple(GenesisMember(self.keys[n].address, n, r) for n, r in ROLES.items())
        self.store = MemoryStore()
        genesis = Genesis(CHAIN, GENESIS_MS, members, fee_rate_bp)
        self.store.apply(genesis_state(self.registry, genesis))
        self.height = 0
        self.time_ms = GENESIS_MS
        self.nonce = 0

    def addr(self, name: str) -> bytes:
        return self.keys[name].address

    def tx(self, contract: str, operation: str, body: Any, *signers: str,
           version: int | None = None) -> Transaction:
        self.nonce += 1
        tx = make_transaction(self.registry, CHAIN, contract, operation, body,
                              self.height + 1000, self.nonce, version)
        for name in signers:
            tx = sign_transaction(tx, self.keys[name])
        return tx

    def block(self, *txs: Transaction, advance_ms: int = 1000) -> list[Event]:
        """Commit one block holding `txs` (all must succeed) `advance_ms` after the last."""
        self.height += 1
        self.time_ms += advance_ms
        info = BlockInfo(CHAIN, self.height, self.time_ms)
        overlay = Overlay(self.store)
        events: list[Event] = []
        for tx in txs:
            checked = check_transaction(self.registry, CHAIN, encode(tx), self.height)
            events += apply_transaction(self.registry, overlay, checked, info)
        events += end_block(self.registry, overlay, info)
        self.store.apply(overlay.changes())
        return events

    def refused(self, tx: Transaction, advance_ms: int = 1000) -> str:
        """The error code with which a block holding only `tx` is refused; nothing changes."""
        before = dict(self.store.items)
        try:
            self.block(tx, advance_ms=advance_ms)
        except LedgerError as e:
            self.height -= 1
            self.time_ms -= advance_ms
            assert self.store.items == before
            return e.code
        raise AssertionError("the transaction was accepted")

    def run(self, contract: str, operation: str, body: Any, *signers: str) -> bytes:
        tx = self.tx(contract, operation, body, *signers)
        self.block(tx)
        return payload_id(tx.payload)
