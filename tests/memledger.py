"""An in-memory ledger for rule tests: genesis members, blocks at chosen ledger times."""

from __future__ import annotations

from typing import Any

from contracts import documents, issuance, membership, state_tree
from contracts.codec import encode, sha256
from contracts.commitment import committed
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
from contracts.vouchers import issued_voucher_id
from tests.identities import organisation

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
    def __init__(self, registry: Registry | None = None, fee_rate_bp: int = 0,
                 key_seed: bytes | None = None, validators: tuple = (),
                 observers: tuple = ()) -> None:
        """Fresh random keys, or keys derived from `key_seed` for a run that replays exactly.
        `validators` and `observers` (contracts.nodes records) seed the node registry."""
        self.registry = registry or default_registry()
        self.keys = {
            name: KeyPair.generate() if key_seed is None
            else KeyPair(sha256(key_seed + name.encode()))
            for name in ROLES
        }
        members = tuple(GenesisMember(self.keys[n].address, n, r, organisation(i, n))
                        for i, (n, r) in enumerate(ROLES.items(), 1))
        # A member's address is the key it was admitted with; `keys` holds the key each
        # signs with now (contracts.membership: rotate_key changes it, not the address).
        self.addresses: dict[str, bytes] = {}
        self._review_document: bytes | None = None
        self._identities = len(ROLES)
        self.store = MemoryStore()
        genesis = Genesis(CHAIN, GENESIS_MS, members, fee_rate_bp, validators, observers)
        self.store.apply(genesis_state(self.registry, genesis))
        # The state tree, written block by block as a node writes it (its root is what a
        # header would carry), to compare with one built from the whole state.
        self.tree = state_tree.MemoryTree()
        self.root = state_tree.build(self.tree, committed(self.store.items.items()))
        self.height = 0
        self.time_ms = GENESIS_MS
        self.nonce = 0

    def addr(self, name: str) -> bytes:
        """The address of `name`: the key it was admitted with, whatever it signs with now."""
        return self.addresses.get(name) or self.keys[name].address

    def use_key(self, name: str, key: KeyPair) -> None:
        """`name` signs with `key` from now on (after a rotate or recover transaction)."""
        self.addresses.setdefault(name, self.addr(name))
        self.keys[name] = key

    def review_document(self) -> bytes:
        """A document the agency attached (an applicant's papers), for reviews to name."""
        if self._review_document is None:
            agency = self.addr("agency")
            body = documents.attach_body(self.keys["agency"], b"business licence scan",
                                         "review papers", (agency,),
                                         documents.readers_for(self.store, (agency,)))
            tx = self.tx("document", "attach", body, "agency")
            self.block(tx)
            self._review_document = documents.document_id(agency, body.commitment)
        return self._review_document

    def identity(self, name: str = "") -> membership.Identity:
        """A valid organisation's identity no member has yet."""
        self._identities += 1
        return organisation(self._identities, name)

    def tx(self, contract: str, operation: str, body: Any, *signers: str,
           version: int | None = None, expiry_height: int | None = None) -> Transaction:
        self.nonce += 1
        expiry = self.height + 1000 if expiry_height is None else expiry_height
        tx = make_transaction(self.registry, CHAIN, contract, operation, body,
                              expiry, self.nonce, version)
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
        changes = overlay.changes()
        self.store.apply(changes)
        self.root = state_tree.apply(self.tree, self.root, committed(changes))
        return events

    def refused(self, *txs: Transaction, advance_ms: int = 1000) -> str:
        """The error code with which a block holding `txs` is refused; nothing changes."""
        before = dict(self.store.items)
        try:
            self.block(*txs, advance_ms=advance_ms)
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

    def admit(self, name: str, *roles: str) -> bytes:
        """Admit a new member `name` with `roles` (sorted), by the agency; its address."""
        self.keys[name] = KeyPair.generate()
        self.run("membership", "admit", self.admit_body(name, roles), "agency", name)
        return self.addr(name)

    def admit_body(self, name: str, roles: tuple[str, ...],
                   identity: membership.Identity | None = None) -> membership.Admit:
        """The agency's admission of `name` (its key in `keys`) with a fresh identity."""
        return membership.Admit(self.addr("agency"), self.addr(name), name, roles,
                                identity or self.identity(name), ())

    def issue(self, amount_fen: int = 1_000_000, creditor: str = "supplier",
              debtor: str = "core", due_in_ms: int = 365 * DAY_MS, asset: bool = True,
              consumption: bool = True, extension_days: int = 0,
              extension_max: int = 0) -> bytes:
        """Apply, confirm and approve in one block; the issued voucher's id."""
        basis = f"HT-{self.nonce}"
        terms = issuance.Terms(
            self.addr(debtor), amount_fen, self.time_ms + due_in_ms, asset, consumption,
            extension_days, extension_max, basis, sha256(basis.encode()))
        apply = self.tx("issuance", "apply", issuance.Apply(self.addr(creditor), terms),
                        creditor)
        application = payload_id(apply.payload)
        self.block(
            apply,
            self.tx("issuance", "confirm", issuance.Confirm(self.addr(debtor), application),
                    debtor),
            self.tx("issuance", "approve", issuance.Approve(self.addr("agency"), application),
                    "agency"),
        )
        return issued_voucher_id(application)
