"""The voucher (债权凭证) as a ledger state, and its indices by holder and by debtor.

Vouchers are UTXO-like: each state has an id, and a change of holder or amount consumes
it and creates new states that point to their parent and to their origin (the issued
voucher), so lineage is always traceable and a claim is never spent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.codec import U32, Fen, Hash32, Height, OneOf, Size, TimeMs, sha256
from contracts.state import Overlay, Reader, get_record, put_record

VOUCHER_STATUSES = frozenset({"active", "consumed", "cancelled"})


@dataclass(frozen=True)
class Voucher:
    id: Hash32
    origin: Hash32  # the issued voucher this claim descends from (itself, for an issue)
    parent: Hash32 | None  # the state it was split or transferred from
    application: Hash32  # the issuance application behind the origin
    debtor: Hash32
    holder: Hash32
    amount_fen: Fen  # what the debtor still owes on this state
    due_ms: TimeMs  # 清偿期限, ledger time
    asset_offset: bool  # settled by the debtor's assets (资产抵付)
    consumption_offset: bool  # settled by consumption (消费抵付)
    extension_days: U32  # 展期条款: 0 means no extension clause
    basis_ref: Annotated[str, Size(1, 256)]
    basis_sha256: Hash32
    created_at_ms: TimeMs
    created_height: Height
    status: Annotated[str, OneOf(VOUCHER_STATUSES)]


def voucher_key(voucher_id: bytes) -> bytes:
    return b"v/" + voucher_id


def holder_index_key(holder: bytes, voucher_id: bytes) -> bytes:
    return b"vh/" + holder + voucher_id


def debtor_index_key(debtor: bytes, voucher_id: bytes) -> bytes:
    return b"vd/" + debtor + voucher_id


def issued_voucher_id(application_id: bytes) -> bytes:
    return sha256(b"claimledger/voucher/issue\x00" + application_id)


def get_voucher(state: Reader, voucher_id: bytes) -> Voucher | None:
    return get_record(state, voucher_key(voucher_id), Voucher)


def write_voucher(state: Overlay, voucher: Voucher) -> None:
    """Store a voucher state and keep the holder and debtor indices in step with it."""
    previous = get_voucher(state, voucher.id)
    if previous is not None and previous.holder != voucher.holder:
        state.delete(holder_index_key(previous.holder, voucher.id))
    put_record(state, voucher_key(voucher.id), voucher)
    state.put(holder_index_key(voucher.holder, voucher.id), b"")
    state.put(debtor_index_key(voucher.debtor, voucher.id), b"")


def voucher_ids_by_holder(state: Reader, holder: bytes) -> list[bytes]:
    prefix = b"vh/" + holder
    return [key[len(prefix):] for key, _ in state.scan(prefix)]


def voucher_ids_by_debtor(state: Reader, debtor: bytes) -> list[bytes]:
    prefix = b"vd/" + debtor
    return [key[len(prefix):] for key, _ in state.scan(prefix)]
