"""The ledger's memory of applied transactions (contracts.applied): one committed record
per block, a derived index, and nothing kept past the validity window."""

from __future__ import annotations

import pytest

from contracts import applied, commitment
from contracts import transfer as transfers
from contracts.codec import encode
from contracts.errors import Rejected
from contracts.ledger import BlockInfo, apply_transaction, check_transaction
from contracts.state import Overlay, get_record
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, payload_id
from tests.memledger import CHAIN, Ledger

W = MAX_VALIDITY_BLOCKS


def transfer(ledger: Ledger, voucher_id: bytes, amount_fen: int,
             expiry_height: int | None = None) -> Transaction:
    body = transfers.Transfer(ledger.addr("supplier"), voucher_id, ledger.addr("supplier2"),
                              amount_fen, None, "TC-1")
    return ledger.tx("transfer", "transfer", body, "supplier", "supplier2",
                     expiry_height=expiry_height)


def test_a_block_records_the_sorted_ids_it_applied_and_the_index_follows() -> None:
    ledger = Ledger()
    txs = [transfer(ledger, ledger.issue(1_000_000), 1000) for _ in range(5)]
    ledger.block(*txs)
    record = get_record(ledger.store, applied.record_key(ledger.height), applied.AppliedBlock)
    assert record is not None
    assert record.ids == tuple(sorted(payload_id(tx.payload) for tx in txs))
    assert all(applied.is_applied(ledger.store, i) for i in record.ids)
    # The index is derived, not committed: the record alone is in the state root.
    assert not commitment.is_committed(applied.index_key(record.ids[0]))
    assert commitment.is_committed(applied.record_key(ledger.height))
    assert sorted(commitment.index_entries(applied.record_key(ledger.height),
                                           encode(record))) == \
        [(applied.index_key(i), b"") for i in record.ids]


def test_a_block_that_applies_nothing_writes_no_record() -> None:
    ledger = Ledger()
    ledger.block()
    assert get_record(ledger.store, applied.record_key(ledger.height),
                      applied.AppliedBlock) is None


def test_ids_leave_with_the_validity_window_and_the_transaction_stays_refused() -> None:
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    tx = transfer(ledger, v, 1000, expiry_height=ledger.height + 1 + W)  # the furthest
    ledger.block(tx)
    at, tx_id = ledger.height, payload_id(tx.payload)
    assert ledger.refused(tx) == "tx.replay"

    ledger.height = at + W - 2  # the blocks between change nothing here
    ledger.block()  # block at + W - 1: the transaction could still be replayed at at + W
    assert applied.is_applied(ledger.store, tx_id)
    assert ledger.refused(tx) == "tx.replay"  # a block at at + W

    ledger.block()  # block at + W: the last height at which it was valid is behind
    assert not applied.is_applied(ledger.store, tx_id)
    assert get_record(ledger.store, applied.record_key(at), applied.AppliedBlock) is None
    with pytest.raises(Rejected) as refused:  # what a block at at + W + 1 would say
        apply_transaction(ledger.registry, Overlay(ledger.store),
                          check_transaction(ledger.registry, CHAIN, encode(tx), at),
                          BlockInfo(CHAIN, ledger.height + 1, ledger.time_ms + 1000))
    assert refused.value.code == "tx.expired"


def test_a_transaction_valid_past_the_window_is_refused_when_applied() -> None:
    """check_transaction bounds the expiry from the height it was admitted at; a block
    executing it at an earlier height (which no honest proposer builds) refuses it too,
    so no id can outlive the window that keeps it."""
    ledger = Ledger()
    v = ledger.issue(1_000_000)
    ledger.height += 10
    tx = transfer(ledger, v, 1000, expiry_height=ledger.height + 1 + W)
    checked = check_transaction(ledger.registry, CHAIN, encode(tx), ledger.height + 1)
    with pytest.raises(Rejected) as refused:
        apply_transaction(ledger.registry, Overlay(ledger.store), checked,
                          BlockInfo(CHAIN, ledger.height - 5, ledger.time_ms))
    assert refused.value.code == "tx.expiry_too_far"
