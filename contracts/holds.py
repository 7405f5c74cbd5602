"""Holds: what keeps a voucher state, an application or an obligation from moving on while
a court order or a dispute stands (冻结 / 异议; contracts.supervision writes them).

Two kinds, each one key read to check:
  vfz/<voucher state id>        the freeze order that holds that state (a court order)
  dsh/<subject id>              the open dispute that holds the subject: an issuance
                                application, an issued voucher (its origin: every live part
                                of it at once) or an obligation

This module is the one place that says what a hold is; contracts.vouchers checks it in
`load_held` and in its writers (nothing moves a held claim, whichever contract asks),
contracts.issuance before a confirmation or an issue, contracts.obligations before a
confirmation, an assignment or a set-off. It imports no family, so every family may import it.
"""

from __future__ import annotations

from contracts.errors import Rejected
from contracts.state import Overlay, Reader


def freeze_hold_key(voucher_id: bytes) -> bytes:
    return b"vfz/" + voucher_id


def dispute_hold_key(subject: bytes) -> bytes:
    return b"dsh/" + subject


def freeze_holding(state: Reader, voucher_id: bytes) -> bytes | None:
    """The id of the freeze order that holds the voucher state, if one does."""
    return state.get(freeze_hold_key(voucher_id))


def dispute_holding(state: Reader, subject: bytes) -> bytes | None:
    """The id of the open dispute that holds `subject`, if one does."""
    return state.get(dispute_hold_key(subject))


def require_not_frozen(state: Reader, voucher_id: bytes) -> None:
    """`voucher.frozen` while a court order holds the voucher state."""
    order = freeze_holding(state, voucher_id)
    if order is not None:
        raise Rejected("voucher.frozen", f"the voucher state {voucher_id.hex()} is frozen by "
                       f"order {order.hex()} (冻结); it moves in no way until unfrozen")


def require_undisputed(state: Reader, subject: bytes, code: str, what: str) -> None:
    """`code` (e.g. `voucher.disputed`) while an open dispute holds `subject`."""
    dispute = dispute_holding(state, subject)
    if dispute is not None:
        raise Rejected(code, f"the {what} is under dispute {dispute.hex()} (异议) until the "
                       "agency resolves it")


def hold_by_freeze(state: Overlay, voucher_id: bytes, order: bytes) -> None:
    assert freeze_holding(state, voucher_id) is None
    state.put(freeze_hold_key(voucher_id), order)


def release_freeze(state: Overlay, voucher_id: bytes, order: bytes) -> None:
    assert freeze_holding(state, voucher_id) == order
    state.delete(freeze_hold_key(voucher_id))


def hold_by_dispute(state: Overlay, subject: bytes, dispute: bytes) -> None:
    assert dispute_holding(state, subject) is None
    state.put(dispute_hold_key(subject), dispute)


def release_dispute(state: Overlay, subject: bytes, dispute: bytes) -> None:
    assert dispute_holding(state, subject) == dispute
    state.delete(dispute_hold_key(subject))
