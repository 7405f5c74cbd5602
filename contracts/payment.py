"""Merchant payment (抵付货款, §001-四(三)): a member pays a merchant with part of a claim.

The payer names the merchant, the amount and the order; the merchant signs acceptance
from its wallet, and becomes holder of that part. Only members with the merchant role
accept. The remainder stays with the payer; the payer owes the transfer fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.codec import Fen, Hash32, Size
from contracts.contract import Context, Operation
from contracts.membership import require_active
from contracts.transfer import move_part, with_pledgee

NAME = "payment"
VERSION = 1


@dataclass(frozen=True)
class Pay:
    payer: Hash32
    voucher: Hash32
    merchant: Hash32
    amount_fen: Fen
    order_ref: Annotated[str, Size(1, 256)]
    pledgee: Hash32 | None


def pay(ctx: Context, body: Pay) -> None:
    require_active(ctx.state, body.merchant, "merchant")
    part = move_part(ctx, body.payer, body.voucher, body.merchant, body.amount_fen,
                     body.pledgee, "merchant_payment", "merchant payment")
    ctx.emit("payment.accepted", part, body.payer, body.merchant)


OPERATIONS = (
    Operation("pay", Pay, lambda b: with_pledgee((b.payer, b.merchant), b.pledgee), pay),
)
