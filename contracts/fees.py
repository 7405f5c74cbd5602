"""Service fees (系统服务费, §001-三(三)): a rate the agency sets, owed on every transfer.

Each change of holder (transfer, merchant payment, acquisition) and each pledge owes
the agency `ceil(amount × rate_bp / 10000)` fen, charged to the member who moves or
pledges the claim. Fees are paid outside the ledger; the agency records payments.
  fs                          the schedule in force
  fa/<member>                 what a member was charged, paid, and still owes
  fc/<member><height:8><tx>   each charge, for the member's statement
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, U64, Fen, Hash32, Height, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import get_member, require_active
from contracts.state import (
    Overlay,
    Reader,
    get_record,
    put_record,
    records_page,
    suffixed_records_page,
)

NAME = "fees"
VERSION = 1

MAX_RATE_BP = 1000  # 10%: a service fee, not a toll
BP = 10_000
FEE_KINDS = frozenset({"transfer", "pledge"})


@dataclass(frozen=True)
class Schedule:
    transfer_bp: U32  # on each change of holder, of the amount moved
    pledge_bp: U32  # on each pledge, of the claim pledged
    set_at_ms: TimeMs
    set_height: Height


@dataclass(frozen=True)
class Account:
    member: Hash32
    charged_fen: U64
    paid_fen: U64

    @property
    def owed_fen(self) -> int:
        return self.charged_fen - self.paid_fen


@dataclass(frozen=True)
class Charge:
    member: Hash32
    tx_id: Hash32
    kind: Annotated[str, OneOf(FEE_KINDS | {"payment"})]
    base_fen: Fen  # the amount the rate applied to; for a payment, 0
    rate_bp: U32
    fee_fen: Fen  # for a payment: the amount paid
    time_ms: TimeMs
    reference: Annotated[str, Size(0, 256)]


@dataclass(frozen=True)
class SetSchedule:
    agency: Hash32
    transfer_bp: U32
    pledge_bp: U32


@dataclass(frozen=True)
class RecordPayment:
    agency: Hash32
    member: Hash32
    amount_fen: Fen
    reference: Annotated[str, Size(1, 256)]


def schedule_key() -> bytes:
    return b"fs"


def account_key(member: bytes) -> bytes:
    return b"fa/" + member


def charge_key(member: bytes, height: int, tx_id: bytes) -> bytes:
    return b"fc/" + member + height.to_bytes(8, "big") + tx_id


def get_schedule(state: Reader) -> Schedule:
    return get_record(state, schedule_key(), Schedule) or Schedule(0, 0, 0, 0)


def write_schedule(state: Overlay, schedule: Schedule) -> None:
    require(
        schedule.transfer_bp <= MAX_RATE_BP and schedule.pledge_bp <= MAX_RATE_BP,
        "fees.bad_rate",
        f"a fee rate is at most {MAX_RATE_BP} basis points",
    )
    put_record(state, schedule_key(), schedule)


def get_account(state: Reader, member: bytes) -> Account:
    return get_record(state, account_key(member), Account) or Account(member, 0, 0)


CHARGE_CURSOR_BYTES = 8 + 32  # a charge's key suffix: height:8 + tx id


def charges_page(state: Reader, member: bytes, after: bytes | None, limit: int
                 ) -> tuple[list[tuple[bytes, Charge]], bytes | None]:
    """A member's charges and payments, oldest first, after the cursor `after`; each with
    its cursor (its height, 8 bytes big-endian, and its transaction id)."""
    # charge_key less the height and the id
    return suffixed_records_page(state, b"fc/" + member, Charge, after, limit)


def charge_height(cursor: bytes) -> int:
    """The height a charge's cursor names."""
    return int.from_bytes(cursor[:8], "big")


def accounts_page(state: Reader, after: bytes | None, limit: int
                  ) -> tuple[list[Account], bytes | None]:
    """Every member's fee account, by address after `after`."""
    return records_page(state, account_key(b""), Account, after, limit)


def fee_for(amount_fen: int, rate_bp: int) -> int:
    """ceil(amount × rate / 10000) in integers: the agency never rounds in its favour twice."""
    return -(-amount_fen * rate_bp // BP)


def charge(ctx: Context, member: bytes, kind: str, base_fen: int) -> int:
    """Charge `member` the fee of `kind` on `base_fen`; returns the fee in fen."""
    assert kind in FEE_KINDS
    schedule = get_schedule(ctx.state)
    rate_bp = schedule.transfer_bp if kind == "transfer" else schedule.pledge_bp
    fee_fen = fee_for(base_fen, rate_bp)
    if fee_fen == 0:
        return 0
    account = get_account(ctx.state, member)
    put_record(ctx.state, account_key(member),
               replace(account, charged_fen=account.charged_fen + fee_fen))
    key = charge_key(member, ctx.height, ctx.tx_id)  # new: a transaction applies once
    put_record(ctx.state, key,
               Charge(member, ctx.tx_id, kind, base_fen, rate_bp, fee_fen, ctx.time_ms, ""))
    ctx.emit("fees.charged", ctx.tx_id, member)
    return fee_fen


# ------------------------------------------------------------------ operations


def set_schedule(ctx: Context, body: SetSchedule) -> None:
    require_active(ctx.state, body.agency, "agency")
    write_schedule(ctx.state, Schedule(body.transfer_bp, body.pledge_bp, ctx.time_ms, ctx.height))
    ctx.emit("fees.schedule_set", ctx.tx_id, body.agency)


def record_payment(ctx: Context, body: RecordPayment) -> None:
    require_active(ctx.state, body.agency, "agency")
    if get_member(ctx.state, body.member) is None:
        raise Rejected("membership.not_member", f"{body.member.hex()} is not a member")
    account = get_account(ctx.state, body.member)
    require(body.amount_fen > 0, "fees.bad_amount", "a payment is at least 1 fen")
    require(
        body.amount_fen <= account.owed_fen,
        "fees.overpaid",
        f"the member owes {account.owed_fen} fen, less than {body.amount_fen}",
    )
    put_record(ctx.state, account_key(body.member),
               replace(account, paid_fen=account.paid_fen + body.amount_fen))
    put_record(ctx.state, charge_key(body.member, ctx.height, ctx.tx_id),
               Charge(body.member, ctx.tx_id, "payment", 0, 0, body.amount_fen, ctx.time_ms,
                      body.reference))
    ctx.emit("fees.paid", ctx.tx_id, body.member, body.agency)


# ------------------------------------------------------------------ who may read


def may_read_fee_schedule(state: Reader, caller: Caller, schedule: Schedule) -> bool:
    """The rates in force are every member's: every member pays them."""
    return caller.member


def may_read_fee_account(state: Reader, caller: Caller, record: Account | Charge) -> bool:
    """A member's fee account and each charge and payment on it are its own business:
    its charges trace every transfer and pledge it made."""
    return caller.oversees or caller.one_of(record.member)


READS = (
    Read("fee_schedule", ("member",), may_read_fee_schedule),
    Read("fee_account", ("self", *OVERSIGHT), may_read_fee_account),
)


OPERATIONS = (
    Operation("set_schedule", SetSchedule, lambda b: (b.agency,), set_schedule),
    Operation("record_payment", RecordPayment, lambda b: (b.agency,), record_payment),
)
