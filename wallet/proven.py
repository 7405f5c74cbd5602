"""A voucher proven against a header the wallet verified itself: its state (holder,
amount, status, due date), its pledge, the redemption request it is reserved by, and its
debtor's record, each present with its value or absent, at one height.

The node answers each record with a Merkle proof against the state root of its head
(GET /v1/proofs/{kind}/{id}); the wallet works out the state key of each record itself
(contracts.record_proofs), decodes the record from the proven bytes (never from the
answer's JSON), follows its own light client to the answer's height (wallet/light.py)
and checks every proof against that header's state root
(contracts.proofs.verify_record). A node can refuse to answer; it cannot make the wallet
believe a record it does not hold. The records are asked for at one height: when a block
commits between two answers, they are asked for again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from contracts.blocks import Header, block_id
from contracts.codec import decode
from contracts.errors import CodecError, LedgerError
from contracts.proofs import ProofError, verify_record
from contracts.record_proofs import provable
from contracts.state_tree import Proof
from contracts.vouchers import Voucher
from wallet.light import Follower

MAX_ROUNDS = 5  # times the records are asked for again when a block commits meanwhile


class Proofs(Protocol):
    """What proving asks of a node: the client library (wallet/sdk.py)."""

    def proof(self, kind: str, record_id: str, draft: bytes | None = None) -> dict: ...


@dataclass(frozen=True)
class Proven:
    """A record of `kind` proven present (`record`) or absent (None)."""

    kind: str
    id: bytes
    record: Any | None


@dataclass(frozen=True)
class VoucherProof:
    """What was proven about a voucher at `height`, against the header `block_id`.
    `pledge` and `reservation` are None when the voucher names none; `unreadable` lists
    the records it names that the node would not show this caller (the voucher's own
    proven fields still name them)."""

    voucher_id: bytes
    height: int
    block_id: bytes
    state_root: bytes
    voucher: Voucher | None
    pledge: Proven | None
    reservation: Proven | None
    debtor_record: Proven | None
    unreadable: tuple[str, ...]
    headers_checked: int

    @property
    def status(self) -> str:
        """active, consumed, cancelled, or absent (no such voucher state)."""
        return "absent" if self.voucher is None else self.voucher.status


def _fetch(client: Proofs, kind: str, record_id: bytes, draft: bytes | None,
           unreadable: list[str]) -> dict | None:
    try:
        return client.proof(kind, record_id.hex(), draft)
    except LedgerError as e:
        if e.code == "read.forbidden" and kind != "voucher":
            unreadable.append(kind)
            return None
        raise


def answer_height(answer: dict) -> int:
    """The height a proof answer says it proves at; `proof.malformed` when it names none."""
    height = answer.get("height")
    if not isinstance(height, int) or isinstance(height, bool) or height < 1:
        raise ProofError("proof.malformed", "the node's proof names no height")
    return height


def prove_record(client: Proofs, follower: Follower, kind: str, record_id: bytes
                 ) -> tuple[Proven, Header]:
    """One record of `kind`, present or absent, proven at the node's head against a header
    `follower` verifies; that header. `ProofError` when the answer does not prove it."""
    answer = client.proof(kind, record_id.hex())
    header = follower.header_at(answer_height(answer))
    return proven_record(header, kind, record_id, answer), header


def proven_record(header: Header, kind: str, record_id: bytes, answer: dict) -> Proven:
    """The record `answer` proves under `header`'s state root, at the key the wallet
    works out itself; `ProofError` otherwise."""
    entry = provable(kind)
    key = entry.key(record_id)
    try:
        answered_key = bytes.fromhex(answer["key"])
        value = None if answer["value"] is None else bytes.fromhex(answer["value"])
        proof = decode(Proof, bytes.fromhex(answer["proof"]))
    except (ValueError, KeyError, TypeError, CodecError) as e:
        raise ProofError("proof.malformed", f"the node's {kind} proof does not decode: "
                         f"{e}") from None
    if answered_key != key:
        raise ProofError("proof.bad_proof", f"the node answered for another key than the "
                         f"{kind} {record_id.hex()}")
    verify_record(header, key, value, proof)
    try:
        record = None if value is None else decode(entry.record, value)
    except CodecError as e:
        raise ProofError("proof.malformed", f"the proven {kind} does not decode: "
                         f"{e.message}") from None
    return Proven(kind, record_id, record)


def prove_voucher(client: Proofs, follower: Follower, voucher_id: bytes,
                  draft: bytes | None = None) -> VoucherProof:
    """Prove the voucher state `voucher_id` and the records it names at the node's head,
    against a header `follower` verifies. `draft`: the co-sign draft that lets the caller
    read them (client.proof)."""
    for _ in range(MAX_ROUNDS):
        unreadable: list[str] = []
        answers: list[tuple[str, bytes, dict]] = []
        first = client.proof("voucher", voucher_id.hex(), draft)
        answers.append(("voucher", voucher_id, first))
        height = answer_height(first)
        # What the voucher names is read from its bytes now and proven below with it.
        named = None
        if first.get("value") is not None:
            try:
                named = decode(Voucher, bytes.fromhex(first["value"]))
            except (ValueError, TypeError, CodecError):
                named = None  # the proof check below refuses it
        links = [] if named is None else [
            ("pledge", named.pledge), ("redemption", named.reserved_by),
            ("debtor_record", named.debtor)]
        for kind, record_id in links:
            if record_id is not None:
                answer = _fetch(client, kind, record_id, draft, unreadable)
                if answer is not None:
                    answers.append((kind, record_id, answer))
        if all(a.get("height") == height for _, _, a in answers):
            break
    else:
        raise LedgerError("wallet.chain_moving", f"blocks committed between the node's "
                          f"answers {MAX_ROUNDS} times; try again")
    header = follower.header_at(height)
    proven = {kind: proven_record(header, kind, record_id, answer)
              for kind, record_id, answer in answers}
    voucher = proven["voucher"].record
    return VoucherProof(voucher_id, height, block_id(header), header.state_root, voucher,
                        proven.get("pledge"), proven.get("redemption"),
                        proven.get("debtor_record"), tuple(unreadable), follower.checked)


def proof_view(p: VoucherProof) -> dict:
    """What was proven, as `verify --json` prints it."""
    v = p.voucher

    def record(found: Proven | None, *fields: str) -> dict | None:
        if found is None:
            return None
        if found.record is None:
            return {"id": found.id.hex(), "present": False}
        return {"id": found.id.hex(), "present": True,
                **{f: _plain(getattr(found.record, f)) for f in fields}}

    return {
        "voucher": p.voucher_id.hex(),
        "height": p.height,
        "block_id": p.block_id.hex(),
        "state_root": p.state_root.hex(),
        "status": p.status,
        "holder": None if v is None else v.holder.hex(),
        "debtor": None if v is None else v.debtor.hex(),
        "amount_fen": None if v is None else v.amount_fen,
        "due_ms": None if v is None else v.due_ms,
        "pledge": record(p.pledge, "status", "bank", "secured_fen", "registration_no"),
        "reservation": record(p.reservation, "status", "price_fen"),
        "debtor_record": record(p.debtor_record, "outstanding_fen", "overdue_vouchers",
                                "late_confirmations", "extended_vouchers"),
        "unreadable": list(p.unreadable),
        "headers_checked": p.headers_checked,
    }


def _plain(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value
