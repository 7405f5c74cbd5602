"""Transfer and split (流转/转让, §001-三(三)): the holder passes all or part of a claim on.

A transfer consumes the voucher and creates the transferred part for the transferee
and, for a part transfer, the remainder for the holder; each new state points to its
parent and its origin. The debtor's obligation and settlement method never change. The
debtor is notified (an event addressed to it) and the transferor owes the service fee.
A split divides a voucher among its own holder (to pledge or pay a part), without fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import fees
from contracts.codec import Fen, Hash32, Size
from contracts.contract import Context, Operation
from contracts.errors import require
from contracts.pledge import clear_for
from contracts.vouchers import (
    MAX_PARTS,
    load_held,
    replace_with,
    require_amount,
    require_can_hold,
)

NAME = "transfer"
VERSION = 1


@dataclass(frozen=True)
class Transfer:
    holder: Hash32
    voucher: Hash32
    to: Hash32
    amount_fen: Fen
    pledgee: Hash32 | None  # the bank of a pledged voucher, co-signing its release


@dataclass(frozen=True)
class Split:
    holder: Hash32
    voucher: Hash32
    amounts_fen: Annotated[tuple[Fen, ...], Size(2, MAX_PARTS)]
    pledgee: Hash32 | None


def with_pledgee(signers: tuple[bytes, ...], pledgee: bytes | None) -> tuple[bytes, ...]:
    return signers if pledgee is None else (*signers, pledgee)


def move_part(ctx: Context, body_holder: bytes, voucher_id: bytes, to: bytes, amount_fen: int,
              pledgee: bytes | None, cause: str, operation: str) -> bytes:
    """Move `amount_fen` of a voucher from its holder to `to`; returns the moved part's id."""
    voucher = load_held(ctx.state, voucher_id, body_holder)
    require(to != voucher.holder, "transfer.to_self", "the transferee is already the holder")
    require(to != voucher.debtor, "transfer.to_debtor",
            "a claim passed to its own debtor would be settled; use a redemption")
    require_can_hold(ctx.state, to)
    require_amount(amount_fen, voucher.amount_fen)
    voucher = clear_for(ctx, voucher, pledgee, operation)
    parts = [(to, amount_fen, cause)]
    if amount_fen < voucher.amount_fen:
        parts.append((voucher.holder, voucher.amount_fen - amount_fen, "remainder"))
    moved, *rest = replace_with(ctx.state, voucher, parts, ctx.tx_id, ctx.time_ms, ctx.height)
    ctx.emit("voucher.transferred", moved.id, voucher.holder, to, voucher.debtor)
    for remainder in rest:
        ctx.emit("voucher.remainder", remainder.id, voucher.holder, voucher.debtor)
    fees.charge(ctx, voucher.holder, "transfer", amount_fen)
    return moved.id


def transfer(ctx: Context, body: Transfer) -> None:
    move_part(ctx, body.holder, body.voucher, body.to, body.amount_fen, body.pledgee,
              "transfer", "transfer")


def split(ctx: Context, body: Split) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    for amount_fen in body.amounts_fen:
        require(amount_fen > 0, "voucher.bad_amount", "every part is at least 1 fen")
    require(
        sum(body.amounts_fen) == voucher.amount_fen,
        "voucher.parts_mismatch",
        f"the parts add up to {sum(body.amounts_fen)} fen; the voucher holds "
        f"{voucher.amount_fen}",
    )
    voucher = clear_for(ctx, voucher, body.pledgee, "split")
    parts = [(voucher.holder, amount_fen, "split") for amount_fen in body.amounts_fen]
    for part in replace_with(ctx.state, voucher, parts, ctx.tx_id, ctx.time_ms, ctx.height):
        ctx.emit("voucher.split", part.id, voucher.holder, voucher.debtor)


OPERATIONS = (
    Operation("transfer", Transfer, lambda b: with_pledgee((b.holder,), b.pledgee), transfer),
    Operation("split", Split, lambda b: with_pledgee((b.holder,), b.pledgee), split),
)
