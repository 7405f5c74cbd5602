"""Which records can be proven against a state root, at which key, and to whom.

A record is *provable* when it is kept whole at one committed state key of its own
(contracts.commitment): its value there is its canonical encoding, so a proof of that
key against a header's state root (contracts.state_tree) proves the record itself,
present or absent. `PROVABLE` lists them by kind: the state key of an id (the family's
own key function: its key layout stays in its module; an id is always the end of its
key), the record class stored there, and the read-rule kind (contracts.access.TABLE)
that decides who may see it.

The table sits here rather than in each family module because a contract module's
imports are part of its code hash (contracts.code_identity), and a deployed version's
hash never changes; it names nothing but each family's key functions, record classes
and readers.

Who may learn what (`prove_record`):
- a record present: whoever its read rule lets read it, as its own route answers;
- a record absent, for a kind the family answers a zero record for (a member's holder
  totals, debtor record, fee account, event stream, set-off limit, a run's usage of a
  member; a mandate number it never signed): whoever may read that zero record, as its
  own route answers it;
- a record absent, for the other kinds: any member. Their ids are hashes nobody guesses
  (of transactions, of applications) or addresses the member directory shows, and their
  own routes answer any member 404 for an unknown id.
Not provable here: what is kept under no key of its own (lineage, pledge notices, blocks,
transactions, events, set-off plans), what is keyed by no id (the fee schedule, the
set-off totals), evidence (keyed by validator, height, round and step), contract
schedules (keyed by name) and set-off batches (the agency's and regulators' only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts import (
    acquisition,
    commitment,
    documents,
    fees,
    financing,
    issuance,
    membership,
    nodes,
    obligations,
    pledge,
    products,
    redemption,
    sale,
    setoff,
    state_tree,
    streams,
    supervision,
    transfer,
    vouchers,
)
from contracts.access import ROWS, require_read
from contracts.caller import Caller
from contracts.codec import decode
from contracts.errors import Forbidden, LedgerError
from contracts.state import MemoryStore, Reader


class UnknownKind(LedgerError):
    """A kind of record that is not provable (`proof.unknown_kind`)."""

    def __init__(self, kind: str) -> None:
        super().__init__("proof.unknown_kind",
                         f"{kind[:40]!r} is not a kind of record with proofs; the kinds are "
                         f"{', '.join(PROVABLE)}")


@dataclass(frozen=True)
class Provable:
    """A kind of record kept whole at one state key: its name on the proof route, the
    key of an id (`id_bytes` long), the record class stored there, the read-rule kind
    (the provable kind's own name when empty), and `zero`: the family's reader of a
    record that answers a zero record for an absent id (None when it answers nothing:
    any member then learns an absence)."""

    kind: str
    key: Callable[[bytes], bytes]
    record: type
    read: str = ""
    id_bytes: int = 32
    zero: Callable[[Reader, bytes], Any] | None = None

    @property
    def read_kind(self) -> str:
        return self.read or self.kind


def _split(id_: bytes, at: int) -> tuple[bytes, int]:
    return id_[:at], int.from_bytes(id_[at:], "big")


def _no_limit(state: Reader, member: bytes) -> setoff.Limit:
    # What a member that set no limit is shown: no limit, and not opted out.
    return setoff.get_limit(state, member) or setoff.Limit(member, False, None, 0)


def _no_mandate(state: Reader, id_: bytes) -> setoff.Mandate:
    # A member's mandate number n that it never signed: the read rule reads only whose
    # it is, so that its number of mandates is its own business, as its mandates are.
    member, number = _split(id_, 32)
    return setoff.Mandate(member, number, 0, 0, "revoked", 0, bytes(32), None)


_TABLE = (
    Provable("member", membership.member_key, membership.Member),
    Provable("voucher", vouchers.voucher_key, vouchers.Voucher),
    Provable("origin", vouchers.origin_key, vouchers.Origin),
    Provable("holder_totals", vouchers.holder_totals_key, vouchers.HolderTotals,
             zero=vouchers.get_holder_totals),
    Provable("debtor_record", vouchers.debtor_record_key, vouchers.DebtorRecord,
             zero=vouchers.get_debtor_record),
    Provable("application", issuance.application_key, issuance.Application),
    Provable("document", documents.attachment_key, documents.Attachment),
    # A grant's id: the document's id, then the grantee's address.
    Provable("grant", lambda i: documents.grant_key(i[:32], i[32:]), documents.Grant,
             id_bytes=64),
    Provable("pledge", pledge.pledge_key, pledge.Pledge),
    Provable("commitment", acquisition.commitment_key, acquisition.Commitment),
    # A sale's id: the commitment's id, then the exercising transaction's.
    Provable("sale", lambda i: acquisition.exercise_key(i[:32], i[32:]), acquisition.Sale,
             id_bytes=64),
    Provable("offer", redemption.offer_key, redemption.Offer),
    Provable("redemption", redemption.request_key, redemption.Request),
    Provable("product", products.product_key, products.Product),
    Provable("financing_request", financing.request_key, financing.FinancingRequest),
    Provable("financing_answer", financing.answer_key, financing.Answer),
    Provable("claim_sale", sale.sale_key, sale.ClaimSale),
    Provable("transfer", transfer.pending_transfer_key, transfer.PendingTransfer),
    Provable("fee_account", fees.account_key, fees.Account, zero=fees.get_account),
    Provable("obligation", obligations.obligation_key, obligations.Obligation),
    Provable("freeze", supervision.freeze_key, supervision.FreezeOrder),
    Provable("dispute", supervision.dispute_key, supervision.Dispute),
    Provable("setoff_round", setoff.round_key, setoff.Round),
    Provable("setoff_run", setoff.run_key, setoff.Run),
    Provable("setoff_limit", setoff.limit_key, setoff.Limit, zero=_no_limit),
    # A mandate's id: the member's address, then its number (4 bytes, big-endian).
    Provable("setoff_mandate", lambda i: setoff.mandate_key(*_split(i, 32)), setoff.Mandate,
             id_bytes=36, zero=_no_mandate),
    # A run's usage of a member: the run's id, then the member's address.
    Provable("setoff_usage", lambda i: setoff.usage_key(i[:32], i[32:]), setoff.Usage,
             id_bytes=64, zero=lambda s, i: setoff.get_usage(s, i[:32], i[32:])),
    Provable("stream", streams.stream_key, streams.Stream, zero=streams.get_stream),
    # A validator set's id: the height it holds from (8 bytes, big-endian).
    Provable("validator_set", lambda i: nodes.set_key(int.from_bytes(i, "big")), nodes.NodeSet,
             read="node", id_bytes=8),
    Provable("observer", nodes.observer_key, nodes.Observer, read="node"),
    Provable("node_proposal", nodes.pending_key, nodes.Pending, read="node"),
)
PROVABLE = {p.kind: p for p in _TABLE}
READ_KINDS = tuple(dict.fromkeys(p.read_kind for p in _TABLE))  # the rules that decide
assert len(PROVABLE) == len(_TABLE)
for _p in _TABLE:
    assert _p.read_kind in ROWS, _p
    assert 1 <= _p.id_bytes <= 64, _p
    _sample = bytes(range(1, _p.id_bytes + 1))
    assert commitment.is_committed(_p.key(_sample)), _p
    assert _p.key(_sample).endswith(_sample), f"{_p.kind}: an id is the end of its key"


@dataclass(frozen=True)
class RecordProof:
    """A record (None: absent) at `key`, its stored bytes, and the proof of them under
    `root`."""

    provable: Provable
    record_id: bytes
    root: bytes
    key: bytes
    value: bytes | None
    record: Any | None
    proof: state_tree.Proof


def provable(kind: str) -> Provable:
    """The provable kind `kind`; `UnknownKind` (`proof.unknown_kind`) if there is none."""
    found = PROVABLE.get(kind)
    if found is None:
        raise UnknownKind(kind)
    return found


def prove_record(state: Reader, tree: state_tree.TreeReader, root: bytes, caller: Caller,
                 kind: Provable, record_id: bytes) -> RecordProof:
    """The record of `kind` with `record_id` in `state`, proven under `root` (the root of
    `tree`, both of the same height as `state`), if `caller` may learn it: `Forbidden`
    (`read.forbidden`) otherwise, before any proof is taken."""
    assert len(record_id) == kind.id_bytes
    key = kind.key(record_id)
    value = state.get(key)
    record = None if value is None else decode(kind.record, value)
    if record is not None:
        require_read(state, caller, kind.read_kind, record)
    elif kind.zero is not None:
        require_read(state, caller, kind.read_kind, kind.zero(MemoryStore(), record_id))
    elif not caller.member:
        raise Forbidden(f"only members learn whether a {kind.kind.replace('_', ' ')} exists")
    proof = state_tree.prove(tree, root, key)
    return RecordProof(kind, record_id, root, key, value, record, proof)
