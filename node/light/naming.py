"""Which records a member's events name, and which records are its own whatever happens.

An event's subject is the id of the record it is about (contracts/*.py `ctx.emit`); the
event's kind says which kind of record that is. A light node fetches exactly these, with
their proofs, and nothing else: it never asks for a record its member's events do not
name, so it never receives another member's business (the full node's read rules refuse
what its member may not read all the same).

Two kinds of events name a record only through another: a transfer (or a payment, an
acquisition, an enforcement) names the *new* part, which the member that gave it away
may not read; the state it consumed is the member's own. So for a voucher event the
light node also refreshes the parent of each part it can read, and, for a part it may
not read, its member's live states of that claim's debtor (`refresh_vouchers`).
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.streams import AddressedEvent

# Event kind (or kind prefix, ending in ".") -> the provable kind its subject is.
SUBJECT_KINDS: tuple[tuple[str, str], ...] = (
    ("voucher.", "voucher"),
    ("payment.accepted", "voucher"),
    ("application.", "application"),
    ("pledge.", "pledge"),
    ("acquisition.", "commitment"),
    ("offer.", "offer"),
    ("redemption.", "redemption"),
    ("product.", "product"),
    ("sale.", "claim_sale"),
    ("obligation.", "obligation"),
    ("setoff.proposed", "setoff_round"),
    ("setoff.consented", "setoff_round"),
    *((f"setoff.{status}", "setoff_round")  # a round's end (contracts.setoff._close)
      for status in ("executed", "refused", "lapsed", "failed")),
    ("setoff.run_opened", "setoff_run"),
    ("setoff.run_cleared", "setoff_run"),
    ("setoff.run_closed", "setoff_run"),
    ("setoff.limit_set", "setoff_limit"),
    ("document.attached", "document"),
    ("document.granted", "document"),
    ("member.", "member"),
)
# A member's own records, fetched every round with its stream: what it holds, owes and
# pays, and whether it is a member in good standing.
OWN_KINDS = ("member", "holder_totals", "debtor_record", "fee_account")


def subject_kind(event_kind: str) -> str | None:
    """The provable kind of an event's subject; None for events about no record the
    light node keeps (node registry, governance, fee schedule)."""
    for prefix, kind in SUBJECT_KINDS:
        if event_kind == prefix or (prefix.endswith(".") and event_kind.startswith(prefix)):
            return kind
    return None


def named_records(events: Iterable[AddressedEvent]) -> list[tuple[str, bytes]]:
    """(kind, id) of each record the events name, once each, in the order first named."""
    out: dict[tuple[str, bytes], None] = {}
    for event in events:
        kind = subject_kind(event.kind)
        if kind is not None:
            out[(kind, event.subject)] = None
    return list(out)


def own_records(member: bytes) -> list[tuple[str, bytes]]:
    return [(kind, member) for kind in OWN_KINDS]
