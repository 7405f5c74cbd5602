"""Extension and overdue (展期 / 逾期, §001-三(五), §002-(十九)), decided at the end of a block.

When a live voucher state's due date passes (by ledger time), its unsettled claim
extends automatically if its extension clause has an extension left: the due date
moves on by the clause's days. Otherwise it becomes overdue, and the debtor's record
counts the issued voucher once. The step reads the due-date index (`vq/`), so it
touches only what fell due, never all vouchers. All live parts of an issued voucher
share its due date, so they extend or go overdue together. A bank holding a pledge on a
state is told too: its collateral extended or went overdue.
"""

from __future__ import annotations

from contracts import credit
from contracts.codec import replace
from contracts.contract import Context
from contracts.issuance import DAY_MS
from contracts.pledge import pledgee_of
from contracts.vouchers import (
    get_debtor_record,
    get_origin,
    get_voucher,
    mark_overdue,
    move_due,
    write_debtor_record,
    write_origin,
)

NAME = "extension"
VERSION = 2

# A bound on one block's work: each voucher state due costs a few records written and two
# events at most; the rest stays in the due-date index and is taken, earliest due first,
# in the next blocks.
MAX_PER_BLOCK = 1_000
MAX_END_BLOCK_EVENTS = 2 * MAX_PER_BLOCK  # one `voucher.extended`, one `voucher.overdue`


def end_block(ctx: Context) -> None:
    """Extend or mark overdue the live voucher states due before this block's time,
    earliest due first, at most MAX_PER_BLOCK of them."""
    due: list[bytes] = []
    for key, _ in ctx.state.scan(b"vq/"):
        due_ms = int.from_bytes(key[3:11], "big")
        if due_ms >= ctx.time_ms or len(due) >= MAX_PER_BLOCK:
            break
        due.append(key[11:])
    for voucher_id in due:
        voucher = get_voucher(ctx.state, voucher_id)
        assert voucher is not None and voucher.status == "active"
        # After a long pause of the chain a state may owe several extensions at once; its
        # holder and debtor hear of them in one event.
        extended = False
        while voucher.due_ms < ctx.time_ms and voucher.extension_days \
                and voucher.extensions_used < voucher.extension_max:
            new_due_ms = voucher.due_ms + voucher.extension_days * DAY_MS
            voucher = move_due(ctx.state, voucher, new_due_ms)
            origin = get_origin(ctx.state, voucher.origin)
            assert origin is not None
            if origin.due_ms < new_due_ms:  # the first part of this origin to extend so far
                write_origin(ctx.state, replace(
                    origin, due_ms=new_due_ms, extensions=origin.extensions + 1))
                record = get_debtor_record(ctx.state, voucher.debtor)
                write_debtor_record(ctx.state, replace(
                    record, extended_vouchers=record.extended_vouchers + 1))
            extended = True
        if extended:
            ctx.emit("voucher.extended", voucher.id, voucher.holder, voucher.debtor,
                     *pledgee_of(ctx.state, voucher))
        if voucher.due_ms >= ctx.time_ms:
            continue
        mark_overdue(ctx.state, voucher, ctx.time_ms)
        origin = get_origin(ctx.state, voucher.origin)
        assert origin is not None
        if origin.overdue_since_ms is None:  # the first part of this origin to go overdue
            write_origin(ctx.state, replace(origin, overdue_since_ms=ctx.time_ms))
            record = get_debtor_record(ctx.state, voucher.debtor)
            write_debtor_record(ctx.state, replace(
                record, overdue_vouchers=record.overdue_vouchers + 1))
            credit.note_overdue(ctx.state, voucher.debtor, ctx.time_ms)
        ctx.emit("voucher.overdue", voucher.id, voucher.holder, voucher.debtor,
                 *pledgee_of(ctx.state, voucher))


OPERATIONS = ()
