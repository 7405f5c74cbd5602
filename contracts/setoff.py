"""Multilateral set-off (债权债务闭环抵销, §001-三(六)): rounds the members concerned
sign, and runs over the debts of members who signed a standing mandate.

The agency computes the best set-off off the ledger (node/setoff_solver.py) and
proposes it as a round: a list of reductions of confirmed obligations and unpledged
vouchers, and a consent deadline. The contract checks the round itself, cheaply and
without a solver: every debt live, unpledged, not reserved and within its amount; every
member's net position unchanged (what it is cleared of equals what it is cleared to);
every loop joins 3 or more members (三个以上主体, two members set off directly); each
member's standing limit kept. Each member concerned then consents by signing. When the
last consent arrives before the deadline the round is checked again and executes
atomically; a member's refusal, a passed deadline or a debt that changed in the
meantime ends it with nothing changed. A debt is in at most one open round.

A member may instead sign a standing mandate (抵销授权) once: the most its debts may be
cleared in one run, and an expiry by ledger time; a new mandate replaces the last, and
the member may revoke it. The agency then opens a run (one at a time, open at most
MAX_RUN_MS) and submits its batches: each batch is a list of reductions that is a
circulation on its own (every member cleared of exactly as much as it is cleared to), so
every prefix of the run keeps every net position. The contract checks each leg as it
checks a round's (live, within its amount, not pledged, not reserved, in no open round)
and that both parties hold a live mandate whose per-run limit the run keeps, in time
linear in the legs. Two mandated members may be cleared both ways: their mandates are
the agreement a two-member set-off needs (a round, signed per loop, joins 3 or more).
A batch names each debt by the id it had when the run was planned: a voucher an earlier
batch of the run reduced in part is followed to its remainder.
  sr/<round>                     the round
  srn                            the last round number given
  sro/<round>                    open rounds
  srd/<deadline_ms:8><round>     open rounds by consent deadline, for the end-of-block step
  srm/<member><round>            every round that concerns a member
  srk/<debt>                     the open round a debt is in
  sl/<member>                    a member's standing limit
  st                             totals over executed rounds
  sm/<member>                    the number of a member's latest mandate
  smh/<member><number:4>         every mandate a member signed
  sx/<run>                       a run      sxn  the last run number    sxo  the open run
  sxb/<run><batch:4>             a batch of a run, with its legs
  sxu/<run><member>              what a run cleared of a member's debts and of its claims
  sxm/<member><run>              the runs that cleared something of a member
  sxv/<run><voucher>             the remainder a run left of a voucher it reduced in part
  sxt                            totals over runs
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated

from contracts import obligations, vouchers
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, U64, Fen, Hash32, OneOf, Size, Text, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.state import (
    Overlay,
    Reader,
    get_record,
    indexed_page,
    put_record,
    records_page,
    with_status,
)

NAME = "setoff"
VERSION = 1

MAX_REDUCTIONS = 512  # debts one round may reduce (keeps a proposal well inside a tx)
MAX_MEMBERS = 60  # members one round may concern (each signs; an event names 64 at most)
MIN_LOOP_MEMBERS = 3  # 三个以上主体
MAX_CONSENT_MS = 30 * 24 * 3600 * 1000  # the longest a round stays open
# Rounds the end-of-block step lapses in one block: each frees up to MAX_REDUCTIONS debt
# locks, so 100 is up to 51,200 deletions; the rest lapse in the next blocks.
MAX_LAPSES_PER_BLOCK = 100
# Run batches one block may carry: a batch of 500 reductions takes some 40 ms to check and
# apply, so 25 keep a block near a second of work on every node (a run of 10^5 debts is a
# few hundred batches, some twenty blocks).
MAX_RUN_BATCHES_PER_BLOCK = 25
MAX_END_BLOCK_EVENTS = MAX_LAPSES_PER_BLOCK  # one `setoff.lapsed` each
# Debts one batch of a run reduces: a reduction encodes in at most 55 bytes, so a batch
# stays well inside a body (contracts.tx.MAX_BODY_BYTES); each leg emits one event and
# each member (at most one per leg in a circulation) one more, within a transaction's
# 1,024 events (node.blocks.TxRecord).
MAX_RUN_LEGS = 500
MAX_RUN_MS = 24 * 3600 * 1000  # the longest a run stays open
MAX_MANDATE_MS = 366 * 24 * 3600 * 1000  # the longest a mandate stands before renewal
MANDATE_STATUSES = frozenset({"standing", "revoked", "replaced"})
RUN_STATUSES = frozenset({"open", "closed"})

KINDS = frozenset({"obligation", "voucher"})
ROUND_STATUSES = frozenset({"open", "executed", "refused", "lapsed", "failed"})
Kind = Annotated[str, OneOf(KINDS)]


@dataclass(frozen=True)
class Reduction:
    """Clear `amount_fen` of a debt: a confirmed obligation or an unpledged voucher."""

    kind: Kind
    id: Hash32
    amount_fen: Fen


@dataclass(frozen=True)
class Leg:
    """A reduction with its parties, as the round recorded them."""

    kind: Kind
    id: Hash32
    debtor: Hash32
    creditor: Hash32  # the obligation's creditor or the voucher's holder
    amount_fen: Fen


@dataclass(frozen=True)
class Round:
    id: Hash32
    round_no: Annotated[str, Size(1, 32)]
    agency: Hash32
    legs: Annotated[tuple[Leg, ...], Size(1, MAX_REDUCTIONS)]
    members: Annotated[tuple[Hash32, ...], Size(MIN_LOOP_MEMBERS, MAX_MEMBERS)]  # sorted
    consented: Annotated[tuple[Hash32, ...], Size(0, MAX_MEMBERS)]  # sorted
    cleared_fen: U64
    graph_total_fen: U64  # all debt in the agency's graph at proposal, as it stated
    graph_bound_fen: U64  # that graph's net internal debt, the floor of what can remain
    deadline_ms: TimeMs
    status: Annotated[str, OneOf(ROUND_STATUSES)]
    proposed_at_ms: TimeMs
    ended_at_ms: TimeMs | None
    ended_by: Hash32 | None
    refused_by: Hash32 | None
    note: Text  # the refusal's reason or why the execution failed


@dataclass(frozen=True)
class Limit:
    member: Hash32
    opted_out: bool
    max_fen_per_round: Fen | None  # None: no limit
    set_at_ms: TimeMs


@dataclass(frozen=True)
class Totals:
    rounds_executed: U32
    cleared_fen: U64


@dataclass(frozen=True)
class Mandate:
    """A member's standing consent that the agency's runs clear its debts within the rules."""

    member: Hash32
    number: U32  # 1, 2, ... per member
    max_fen_per_run: Fen  # the most of its debts one run clears
    expires_ms: TimeMs  # ledger time from which it no longer counts
    status: Annotated[str, OneOf(MANDATE_STATUSES)]
    signed_at_ms: TimeMs
    signed_by: Hash32  # the transaction
    ended_at_ms: TimeMs | None  # revoked or replaced


@dataclass(frozen=True)
class Run:
    id: Hash32
    run_no: Annotated[str, Size(1, 32)]
    agency: Hash32
    status: Annotated[str, OneOf(RUN_STATUSES)]
    opened_at_ms: TimeMs
    closes_ms: TimeMs  # no batch from this ledger time on
    closed_at_ms: TimeMs | None
    planned_fen: U64  # what the agency's plan said the run clears
    optimum_fen: U64  # the optimum over the mandated members' debts, as the plan stated
    graph_total_fen: U64  # all debt in the agency's graph at opening, as it stated
    graph_bound_fen: U64  # that graph's net internal debt
    batches: U32
    next_batch_no: U32  # one more than the highest batch number on the ledger
    legs: U32
    members: U32  # members the run cleared something of
    cleared_fen: U64
    bilateral_fen: U64  # of cleared_fen, what two members were cleared of both ways


@dataclass(frozen=True)
class Batch:
    run: Hash32
    batch_no: U32
    tx: Hash32
    legs: Annotated[tuple[Leg, ...], Size(1, MAX_RUN_LEGS)]  # the ids as named in the batch
    cleared_fen: U64
    at_ms: TimeMs


@dataclass(frozen=True)
class Usage:
    """What one run cleared of a member: of the debts it owes, and of the debts owed to it
    (always equal once a batch is through)."""

    run: Hash32
    member: Hash32
    cleared_of_fen: U64
    cleared_to_fen: U64
    batches: U32


@dataclass(frozen=True)
class RunTotals:
    runs: U32
    batches: U32
    cleared_fen: U64


@dataclass(frozen=True)
class SignMandate:
    member: Hash32
    max_fen_per_run: Fen
    expires_ms: TimeMs


@dataclass(frozen=True)
class RevokeMandate:
    member: Hash32


@dataclass(frozen=True)
class OpenRun:
    agency: Hash32
    closes_ms: TimeMs
    planned_fen: U64
    optimum_fen: U64
    graph_total_fen: U64
    graph_bound_fen: U64


@dataclass(frozen=True)
class RunBatch:
    agency: Hash32
    run: Hash32
    batch_no: U32
    reductions: Annotated[tuple[Reduction, ...], Size(1, MAX_RUN_LEGS)]  # sorted by (kind, id)


@dataclass(frozen=True)
class CloseRun:
    agency: Hash32
    run: Hash32


@dataclass(frozen=True)
class Propose:
    agency: Hash32
    reductions: Annotated[tuple[Reduction, ...], Size(1, MAX_REDUCTIONS)]  # sorted by (kind, id)
    deadline_ms: TimeMs
    graph_total_fen: U64
    graph_bound_fen: U64


@dataclass(frozen=True)
class Consent:
    member: Hash32
    round: Hash32


@dataclass(frozen=True)
class Refuse:
    member: Hash32
    round: Hash32
    reason: Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class SetLimit:
    member: Hash32
    opted_out: bool
    max_fen_per_round: Fen | None


# ------------------------------------------------------------------ keys and reads


def round_key(round_id: bytes) -> bytes:
    return b"sr/" + round_id


def open_key(round_id: bytes) -> bytes:
    return b"sro/" + round_id


def deadline_key(deadline_ms: int, round_id: bytes) -> bytes:
    return b"srd/" + deadline_ms.to_bytes(8, "big") + round_id


def member_round_key(member: bytes, round_id: bytes) -> bytes:
    return b"srm/" + member + round_id


def lock_key(debt_id: bytes) -> bytes:
    return b"srk/" + debt_id


def limit_key(member: bytes) -> bytes:
    return b"sl/" + member


def get_round(state: Reader, round_id: bytes) -> Round | None:
    return get_record(state, round_key(round_id), Round)


def load_round(state: Reader, round_id: bytes) -> Round:
    found = get_round(state, round_id)
    if found is None:
        raise Rejected("setoff.unknown_round", f"no set-off round {round_id.hex()}")
    return found


def get_limit(state: Reader, member: bytes) -> Limit | None:
    return get_record(state, limit_key(member), Limit)


def get_totals(state: Reader) -> Totals:
    return get_record(state, b"st", Totals) or Totals(0, 0)


def open_round_of(state: Reader, debt_id: bytes) -> bytes | None:
    """The open round a debt is in, if any."""
    return state.get(lock_key(debt_id))


def open_round_ids(state: Reader) -> list[bytes]:
    return [key[4:] for key, _ in state.scan(b"sro/")]


def round_ids_of_member(state: Reader, member: bytes) -> list[bytes]:
    prefix = b"srm/" + member
    return [key[len(prefix):] for key, _ in state.scan(prefix)]


def mandate_key(member: bytes, number: int) -> bytes:
    return b"smh/" + member + number.to_bytes(4, "big")


def run_key(run_id: bytes) -> bytes:
    return b"sx/" + run_id


def batch_key(run_id: bytes, batch_no: int) -> bytes:
    return b"sxb/" + run_id + batch_no.to_bytes(4, "big")


def usage_key(run_id: bytes, member: bytes) -> bytes:
    return b"sxu/" + run_id + member


def member_run_key(member: bytes, run_id: bytes) -> bytes:
    return b"sxm/" + member + run_id


def remainder_key(run_id: bytes, voucher_id: bytes) -> bytes:
    return b"sxv/" + run_id + voucher_id


def get_mandate(state: Reader, member: bytes) -> Mandate | None:
    """The member's latest mandate (standing, revoked or expired), if it ever signed one."""
    raw = state.get(b"sm/" + member)
    if raw is None:
        return None
    return get_record(state, mandate_key(member, int.from_bytes(raw, "big")), Mandate)


def mandates_of(state: Reader, member: bytes) -> list[Mandate]:
    """Every mandate the member signed, oldest first."""
    prefix = b"smh/" + member
    return [get_record(state, key, Mandate) for key, _ in state.scan(prefix)]  # type: ignore[misc]


def mandate_live(mandate: Mandate | None, time_ms: int) -> bool:
    return mandate is not None and mandate.status == "standing" and time_ms < mandate.expires_ms


def get_run(state: Reader, run_id: bytes) -> Run | None:
    return get_record(state, run_key(run_id), Run)


def load_run(state: Reader, run_id: bytes) -> Run:
    found = get_run(state, run_id)
    if found is None:
        raise Rejected("setoff.unknown_run", f"no set-off run {run_id.hex()}")
    return found


def open_run_id(state: Reader, time_ms: int) -> bytes | None:
    """The run open at ledger time `time_ms`, if any."""
    run_id = state.get(b"sxo")
    if run_id is None:
        return None
    run = get_run(state, run_id)
    return run_id if run is not None and run.status == "open" and time_ms < run.closes_ms \
        else None


def run_ids(state: Reader) -> list[bytes]:
    return [key[3:] for key, _ in state.scan(b"sx/")]


def run_ids_of_member(state: Reader, member: bytes) -> list[bytes]:
    prefix = b"sxm/" + member
    return [key[len(prefix):] for key, _ in state.scan(prefix)]


def get_usage(state: Reader, run_id: bytes, member: bytes) -> Usage:
    return get_record(state, usage_key(run_id, member), Usage) or Usage(run_id, member, 0, 0, 0)


def usages_of_run(state: Reader, run_id: bytes) -> list[Usage]:
    prefix = b"sxu/" + run_id
    return [get_record(state, key, Usage) for key, _ in state.scan(prefix)]  # type: ignore[misc]


def batches_of_run(state: Reader, run_id: bytes) -> list[Batch]:
    prefix = b"sxb/" + run_id
    return [get_record(state, key, Batch) for key, _ in state.scan(prefix)]  # type: ignore[misc]


def get_run_totals(state: Reader) -> RunTotals:
    return get_record(state, b"sxt", RunTotals) or RunTotals(0, 0, 0)


def current_voucher_id(state: Reader, run_id: bytes, voucher_id: bytes) -> bytes:
    """Where a voucher a run names stands now: its remainder if the run reduced it in part."""
    return state.get(remainder_key(run_id, voucher_id)) or voucher_id


def rounds_page(state: Reader, after: bytes | None, limit: int, *,
                member: bytes | None = None, status: str | None = None
                ) -> tuple[list[Round], bytes | None]:
    """A member's rounds (with `member`) or the open rounds (status="open" without it), by
    id after `after`, only those with `status` if given."""
    if member is not None:
        prefix = member_round_key(member, b"")
    else:
        assert status == "open", "without a member only the open rounds are indexed"
        prefix = open_key(b"")
    return indexed_page(state, prefix, after, limit, get_round, with_status(status))


def all_rounds_page(state: Reader, after: bytes | None, limit: int,
                    status: str | None = None) -> tuple[list[Round], bytes | None]:
    """Every set-off round, by id after `after`, only those with `status` if given."""
    return records_page(state, round_key(b""), Round, after, limit, with_status(status))


def rounds_proposed(state: Reader) -> int:
    """How many rounds were ever proposed (the last round number given)."""
    raw = state.get(b"srn")
    return 0 if raw is None else int.from_bytes(raw, "big")


def runs_page(state: Reader, after: bytes | None, limit: int, member: bytes | None = None
              ) -> tuple[list[Run], bytes | None]:
    """Runs by id after `after`: every run, or those that cleared something of `member`."""
    prefix = run_key(b"") if member is None else member_run_key(member, b"")
    return indexed_page(state, prefix, after, limit, get_run)


def get_batch(state: Reader, run_id: bytes, batch_no: int) -> Batch | None:
    return get_record(state, batch_key(run_id, batch_no), Batch)


# ------------------------------------------------------------------ what may take part


@dataclass(frozen=True)
class Debt:
    """A debt a round or a run may reduce now."""

    kind: str  # "obligation" | "voucher"
    id: bytes
    debtor: bytes
    creditor: bytes
    amount_fen: int
    due_ms: int


def voucher_refusal(voucher: vouchers.Voucher) -> Rejected | None:
    """Why a live voucher state may not be set off now (pledged, reserved), or None."""
    if voucher.pledge is not None:
        return Rejected("voucher.pledged", f"voucher {voucher.id.hex()} is pledged; its bank "
                        "has not agreed to a set-off")
    if voucher.reserved_by is not None:
        return Rejected("voucher.reserved", f"voucher {voucher.id.hex()} waits for its debtor "
                        "on a redemption request")
    return None


def open_debts(state: Reader, read: Callable[[], None] = lambda: None) -> Iterator[Debt]:
    """Every debt a set-off may take now: the live obligations, then the live vouchers that
    are neither pledged nor reserved, none in an open round, each between two different
    members who may hold claims (`vouchers.require_can_hold`), as `check_reductions` and
    `check_run_batch` require. `read` is called once per live obligation or voucher read
    (taking part or not), so a caller can bound the work."""
    able: dict[bytes, bool] = {}

    def may_hold(address: bytes) -> bool:
        if address not in able:
            try:
                vouchers.require_can_hold(state, address)
                able[address] = True
            except Rejected:
                able[address] = False
        return able[address]

    def takes_part(debt: Debt) -> bool:
        # A voucher that came to its own debtor (an enforcing bank, an acquirer that is
        # the debtor) is not a debt between two members.
        return debt.debtor != debt.creditor and may_hold(debt.debtor) \
            and may_hold(debt.creditor)

    for obligation_id in obligations.iter_live_ids(state):
        read()
        if open_round_of(state, obligation_id) is not None:
            continue
        o = obligations.get_obligation(state, obligation_id)
        assert o is not None and o.status == obligations.LIVE
        debt = Debt("obligation", o.id, o.debtor, o.creditor, o.amount_fen, o.due_ms)
        if takes_part(debt):
            yield debt
    for voucher_id in vouchers.live_voucher_ids(state):
        read()
        v = vouchers.get_voucher(state, voucher_id)
        assert v is not None and v.status == "active"
        if voucher_refusal(v) is not None or open_round_of(state, voucher_id) is not None:
            continue
        debt = Debt("voucher", v.id, v.debtor, v.holder, v.amount_fen, v.due_ms)
        if takes_part(debt):
            yield debt


# ------------------------------------------------------------------ the check


def _leg(state: Reader, reduction: Reduction) -> Leg:
    require(reduction.amount_fen > 0, "setoff.bad_amount", "a reduction is at least 1 fen")
    if reduction.kind == "obligation":
        obligation = obligations.load_live(state, reduction.id)
        debtor, creditor, owed_fen = obligation.debtor, obligation.creditor, obligation.amount_fen
    else:
        voucher = vouchers.load_live(state, reduction.id)
        refusal = voucher_refusal(voucher)
        if refusal is not None:
            raise refusal
        debtor, creditor, owed_fen = voucher.debtor, voucher.holder, voucher.amount_fen
    require(reduction.amount_fen <= owed_fen, "setoff.over_amount",
            f"{reduction.kind} {reduction.id.hex()} owes {owed_fen} fen, "
            f"less than the {reduction.amount_fen} fen to clear")
    return Leg(reduction.kind, reduction.id, debtor, creditor, reduction.amount_fen)


def check_reductions(state: Reader, reductions: tuple[Reduction, ...]) -> list[Leg]:
    """The legs of a valid round; `Rejected` naming the first rule it breaks."""
    require(0 < len(reductions) <= MAX_REDUCTIONS, "setoff.size",
            f"a round reduces 1 to {MAX_REDUCTIONS} debts")
    require(all((a.kind, a.id) < (b.kind, b.id) for a, b in pairwise(reductions)),
            "setoff.unsorted", "reductions are sorted by (kind, id), each debt once")
    legs = [_leg(state, r) for r in reductions]
    cleared_of: dict[bytes, int] = defaultdict(int)  # what a member owed that is cleared
    cleared_to: dict[bytes, int] = defaultdict(int)  # what was owed to it that is cleared
    for leg in legs:
        cleared_of[leg.debtor] += leg.amount_fen
        cleared_to[leg.creditor] += leg.amount_fen
    members = sorted(cleared_of.keys() | cleared_to.keys())
    require(len(members) <= MAX_MEMBERS, "setoff.too_many_members",
            f"a round concerns at most {MAX_MEMBERS} members, not {len(members)}")
    for member in members:
        change = cleared_to[member] - cleared_of[member]
        require(change == 0, "setoff.net_changed",
                f"member {member.hex()} would be cleared of {cleared_of[member]} fen it owes "
                f"and {cleared_to[member]} fen owed to it: its net position changes by "
                f"{-change} fen")
    # A loop of two members needs debts both ways between them; without such a pair every
    # loop the round can be read as joins 3 or more members.
    pairs = {(leg.debtor, leg.creditor) for leg in legs}
    for debtor, creditor in sorted(pairs):
        require((creditor, debtor) not in pairs, "setoff.bilateral",
                f"members {debtor.hex()} and {creditor.hex()} would be cleared of debts to "
                "each other both ways: two members set off directly; a round's loops join 3 "
                "or more members (三个以上主体)")
    for member in members:
        vouchers.require_can_hold(state, member)
        limit = get_limit(state, member)
        if limit is None:
            continue
        require(not limit.opted_out, "setoff.opted_out",
                f"member {member.hex()} opted out of set-off")
        require(limit.max_fen_per_round is None or cleared_of[member] <= limit.max_fen_per_round,
                "setoff.over_limit",
                f"member {member.hex()} clears at most {limit.max_fen_per_round} fen a round, "
                f"not {cleared_of[member]}")
    return legs


# ------------------------------------------------------------------ writes


def _next_round_no(state: Overlay) -> str:
    raw = state.get(b"srn")
    number = (int.from_bytes(raw, "big") if raw else 0) + 1
    state.put(b"srn", number.to_bytes(8, "big"))
    return f"DX{number:010d}"


def _close(ctx: Context, round_: Round, status: str, note: str = "",
           refused_by: bytes | None = None) -> Round:
    closed = replace(round_, status=status, ended_at_ms=ctx.time_ms, ended_by=ctx.tx_id,
                     refused_by=refused_by, note=note[:512])
    put_record(ctx.state, round_key(round_.id), closed)
    ctx.state.delete(open_key(round_.id))
    ctx.state.delete(deadline_key(round_.deadline_ms, round_.id))
    for leg in round_.legs:
        ctx.state.delete(lock_key(leg.id))
    ctx.emit(f"setoff.{status}", round_.id, round_.agency, *round_.members)
    return closed


def _clear_voucher(ctx: Context, leg: Leg) -> bytes | None:
    """Clear a leg of a voucher; the id of the remainder it leaves, if any."""
    voucher = vouchers.load_live(ctx.state, leg.id)
    vouchers.reduce_origin(ctx.state, voucher, leg.amount_fen, "setoff")
    if leg.amount_fen == voucher.amount_fen:
        vouchers.cancel(ctx.state, voucher, ctx.tx_id)
        ctx.emit("voucher.cancelled", voucher.id, voucher.holder, voucher.debtor)
        return None
    (kept,) = vouchers.replace_with(
        ctx.state, voucher,
        [(voucher.holder, voucher.amount_fen - leg.amount_fen, "setoff_remainder")],
        ctx.tx_id, ctx.time_ms, ctx.height)
    ctx.emit("voucher.remainder", kept.id, voucher.holder, voucher.debtor)
    return kept.id


def _execute(ctx: Context, round_: Round) -> None:
    """Check the round against the state now; apply every leg, or fail with nothing changed."""
    try:
        legs = check_reductions(
            ctx.state, tuple(Reduction(leg.kind, leg.id, leg.amount_fen) for leg in round_.legs))
    except Rejected as error:
        _close(ctx, round_, "failed", f"{error.code}: {error.message}")
        return
    assert legs == list(round_.legs), "a live debt keeps its parties"
    for leg in legs:
        if leg.kind == "obligation":
            obligation = obligations.load_live(ctx.state, leg.id)
            obligations.reduce_by_setoff(ctx, obligation, leg.amount_fen)
        else:
            _clear_voucher(ctx, leg)
    totals = get_totals(ctx.state)
    put_record(ctx.state, b"st", Totals(totals.rounds_executed + 1,
                                        totals.cleared_fen + round_.cleared_fen))
    _close(ctx, round_, "executed")


# ------------------------------------------------------------------ operations


def propose(ctx: Context, body: Propose) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(ctx.time_ms < body.deadline_ms <= ctx.time_ms + MAX_CONSENT_MS, "setoff.bad_deadline",
            "the consent deadline lies after the ledger time and at most 30 days ahead")
    legs = check_reductions(ctx.state, body.reductions)
    for leg in legs:
        other = open_round_of(ctx.state, leg.id)
        require(other is None, "setoff.in_open_round",
                f"{leg.kind} {leg.id.hex()} is already in open round {(other or b'').hex()}")
    cleared_fen = sum(leg.amount_fen for leg in legs)
    require(cleared_fen <= body.graph_total_fen
            and body.graph_bound_fen <= body.graph_total_fen - cleared_fen,
            "setoff.bad_figures",
            "the graph's total debt covers what the round clears, and what remains covers "
            "the net internal debt")
    members = tuple(sorted({leg.debtor for leg in legs} | {leg.creditor for leg in legs}))
    round_ = Round(
        id=ctx.tx_id, round_no=_next_round_no(ctx.state), agency=body.agency,
        legs=tuple(legs), members=members, consented=(), cleared_fen=cleared_fen,
        graph_total_fen=body.graph_total_fen, graph_bound_fen=body.graph_bound_fen,
        deadline_ms=body.deadline_ms, status="open", proposed_at_ms=ctx.time_ms,
        ended_at_ms=None, ended_by=None, refused_by=None, note="",
    )
    put_record(ctx.state, round_key(round_.id), round_)
    ctx.state.put(open_key(round_.id), b"")
    ctx.state.put(deadline_key(round_.deadline_ms, round_.id), b"")
    for member in {*members, body.agency}:
        ctx.state.put(member_round_key(member, round_.id), b"")
    for leg in legs:
        ctx.state.put(lock_key(leg.id), round_.id)
    ctx.emit("setoff.proposed", round_.id, body.agency, *members)


def _open_round_of_member(ctx: Context, round_id: bytes, member: bytes) -> Round:
    round_ = load_round(ctx.state, round_id)
    require(round_.status == "open", "setoff.not_open", f"the round is {round_.status}")
    require(ctx.time_ms <= round_.deadline_ms, "setoff.deadline_passed",
            "the round's consent deadline has passed")
    require(member in round_.members, "setoff.not_concerned",
            "only members whose debts the round clears consent to it or refuse it")
    return round_


def consent(ctx: Context, body: Consent) -> None:
    round_ = _open_round_of_member(ctx, body.round, body.member)
    require(body.member not in round_.consented, "setoff.already_consented",
            "this member has already consented to the round")
    round_ = replace(round_, consented=tuple(sorted({*round_.consented, body.member})))
    put_record(ctx.state, round_key(round_.id), round_)
    ctx.emit("setoff.consented", round_.id, body.member, round_.agency)
    if round_.consented == round_.members:
        _execute(ctx, round_)


def refuse(ctx: Context, body: Refuse) -> None:
    round_ = _open_round_of_member(ctx, body.round, body.member)
    require(body.member not in round_.consented, "setoff.already_consented",
            "a member that consented is bound by it until the round executes or lapses")
    _close(ctx, round_, "refused", body.reason, refused_by=body.member)


def set_limit(ctx: Context, body: SetLimit) -> None:
    require_active(ctx.state, body.member)
    require(not (body.opted_out and body.max_fen_per_round is not None), "setoff.bad_limit",
            "a member either opts out or names a limit per round")
    require(body.max_fen_per_round != 0, "setoff.bad_limit",
            "a limit is at least 1 fen a round; to take no part, opt out")
    put_record(ctx.state, limit_key(body.member),
               Limit(body.member, body.opted_out, body.max_fen_per_round, ctx.time_ms))
    ctx.emit("setoff.limit_set", body.member, body.member)


# ------------------------------------------------------------------ mandates and runs


def sign_mandate(ctx: Context, body: SignMandate) -> None:
    vouchers.require_can_hold(ctx.state, body.member)
    limit = get_limit(ctx.state, body.member)
    require(limit is None or not limit.opted_out, "setoff.opted_out",
            "this member opted out of set-off; take the opt-out back (setoff limit) first")
    require(body.max_fen_per_run > 0, "setoff.bad_mandate",
            "a mandate lets a run clear at least 1 fen of the member's debts")
    require(ctx.time_ms < body.expires_ms <= ctx.time_ms + MAX_MANDATE_MS, "setoff.bad_expiry",
            "a mandate expires after the ledger time and at most 366 days ahead")
    last = get_mandate(ctx.state, body.member)
    if last is not None and last.status == "standing":
        put_record(ctx.state, mandate_key(body.member, last.number),
                   replace(last, status="replaced", ended_at_ms=ctx.time_ms))
    number = (last.number if last is not None else 0) + 1
    put_record(ctx.state, mandate_key(body.member, number), Mandate(
        body.member, number, body.max_fen_per_run, body.expires_ms, "standing", ctx.time_ms,
        ctx.tx_id, None))
    ctx.state.put(b"sm/" + body.member, number.to_bytes(4, "big"))
    ctx.emit("setoff.mandated", body.member, body.member)


def revoke_mandate(ctx: Context, body: RevokeMandate) -> None:
    last = get_mandate(ctx.state, body.member)
    require(mandate_live(last, ctx.time_ms), "setoff.no_mandate",
            "this member holds no standing mandate to revoke")
    assert last is not None
    put_record(ctx.state, mandate_key(body.member, last.number),
               replace(last, status="revoked", ended_at_ms=ctx.time_ms))
    ctx.emit("setoff.mandate_revoked", body.member, body.member)


def open_run(ctx: Context, body: OpenRun) -> None:
    require_active(ctx.state, body.agency, "agency")
    other = open_run_id(ctx.state, ctx.time_ms)
    require(other is None, "setoff.run_open",
            f"run {(other or b'').hex()} is open: one run at a time, so a mandate's limit "
            "per run means what it says")
    require(ctx.time_ms < body.closes_ms <= ctx.time_ms + MAX_RUN_MS, "setoff.bad_deadline",
            "a run closes after the ledger time and at most 24 hours ahead")
    require(body.planned_fen <= body.optimum_fen <= body.graph_total_fen
            and body.graph_bound_fen <= body.graph_total_fen - body.optimum_fen,
            "setoff.bad_figures",
            "the run's plan lies within the optimum, the optimum within the graph's total "
            "debt, and what remains covers the net internal debt")
    raw = ctx.state.get(b"sxn")
    number = (int.from_bytes(raw, "big") if raw else 0) + 1
    ctx.state.put(b"sxn", number.to_bytes(8, "big"))
    put_record(ctx.state, run_key(ctx.tx_id), Run(
        ctx.tx_id, f"RX{number:010d}", body.agency, "open", ctx.time_ms, body.closes_ms, None,
        body.planned_fen, body.optimum_fen, body.graph_total_fen, body.graph_bound_fen,
        0, 0, 0, 0, 0, 0))
    ctx.state.put(b"sxo", ctx.tx_id)
    totals = get_run_totals(ctx.state)
    put_record(ctx.state, b"sxt", replace(totals, runs=totals.runs + 1))
    ctx.emit("setoff.run_opened", ctx.tx_id, body.agency)


def _open_run_of(ctx: Context, agency: bytes, run_id: bytes) -> Run:
    require_active(ctx.state, agency, "agency")
    run = load_run(ctx.state, run_id)
    require(run.agency == agency, "setoff.not_run_agency",
            "only the agency that opened a run submits its batches and closes it")
    require(run.status == "open" and ctx.time_ms < run.closes_ms, "setoff.run_closed",
            f"run {run.run_no} is closed")
    return run


def check_run_batch(state: Reader, run_id: bytes, time_ms: int,
                    reductions: tuple[Reduction, ...]) -> tuple[list[Leg], dict[bytes, int]]:
    """The legs of a valid batch of run `run_id` (their debts as they stand now) and what
    it clears of each member; `Rejected` naming the first rule it breaks. Linear in the legs:
    each debt, each member's mandate, usage and membership is read once."""
    require(0 < len(reductions) <= MAX_RUN_LEGS, "setoff.size",
            f"a batch reduces 1 to {MAX_RUN_LEGS} debts")
    require(all((a.kind, a.id) < (b.kind, b.id) for a, b in pairwise(reductions)),
            "setoff.unsorted", "reductions are sorted by (kind, id), each debt once")
    legs = []
    for reduction in reductions:
        if reduction.kind == "voucher":
            reduction = replace(reduction, id=current_voucher_id(state, run_id, reduction.id))
        leg = _leg(state, reduction)
        require(leg.debtor != leg.creditor, "setoff.self_debt",
                f"{leg.kind} {leg.id.hex()} is held by its own debtor")
        other = open_round_of(state, leg.id)
        require(other is None, "setoff.in_open_round",
                f"{leg.kind} {leg.id.hex()} is in open round {(other or b'').hex()}")
        legs.append(leg)
    cleared_of: dict[bytes, int] = defaultdict(int)
    cleared_to: dict[bytes, int] = defaultdict(int)
    for leg in legs:
        cleared_of[leg.debtor] += leg.amount_fen
        cleared_to[leg.creditor] += leg.amount_fen
    members = sorted(cleared_of.keys() | cleared_to.keys())
    for member in members:
        change = cleared_to[member] - cleared_of[member]
        require(change == 0, "setoff.net_changed",
                f"member {member.hex()} would be cleared of {cleared_of[member]} fen it owes "
                f"and {cleared_to[member]} fen owed to it: its net position changes by "
                f"{-change} fen")
    for member in members:
        vouchers.require_can_hold(state, member)
        limit = get_limit(state, member)
        require(limit is None or not limit.opted_out, "setoff.opted_out",
                f"member {member.hex()} opted out of set-off")
        mandate = get_mandate(state, member)
        require(mandate is not None, "setoff.no_mandate",
                f"member {member.hex()} signed no mandate: its debts are set off in rounds")
        assert mandate is not None
        require(mandate.status != "revoked", "setoff.mandate_revoked",
                f"member {member.hex()} revoked its mandate")
        require(time_ms < mandate.expires_ms, "setoff.mandate_expired",
                f"the mandate of member {member.hex()} expired")
        used = get_usage(state, run_id, member).cleared_of_fen
        require(used + cleared_of[member] <= mandate.max_fen_per_run, "setoff.over_mandate",
                f"member {member.hex()} lets a run clear at most {mandate.max_fen_per_run} "
                f"fen of its debts; this run cleared {used} and the batch would clear "
                f"{cleared_of[member]} more")
    return legs, dict(cleared_of)


def run_batch(ctx: Context, body: RunBatch) -> None:
    run = _open_run_of(ctx, body.agency, body.run)
    require(ctx.state.get(batch_key(run.id, body.batch_no)) is None, "setoff.batch_done",
            f"batch {body.batch_no} of run {run.run_no} is on the ledger already")
    legs, cleared = check_run_batch(ctx.state, run.id, ctx.time_ms, body.reductions)
    for named, leg in zip(body.reductions, legs, strict=True):
        if leg.kind == "obligation":
            obligations.reduce_by_setoff(ctx, obligations.load_live(ctx.state, leg.id),
                                         leg.amount_fen)
            continue
        kept = _clear_voucher(ctx, leg)
        if kept is not None:
            ctx.state.put(remainder_key(run.id, named.id), kept)
        elif leg.id != named.id:
            ctx.state.delete(remainder_key(run.id, named.id))
    new_members = 0
    for member in sorted(cleared):
        usage = get_usage(ctx.state, run.id, member)
        if usage.batches == 0:
            new_members += 1
            ctx.state.put(member_run_key(member, run.id), b"")
        put_record(ctx.state, usage_key(run.id, member), replace(
            usage, cleared_of_fen=usage.cleared_of_fen + cleared[member],
            cleared_to_fen=usage.cleared_to_fen + cleared[member], batches=usage.batches + 1))
        ctx.emit("setoff.run_cleared", run.id, member)
    cleared_fen = sum(leg.amount_fen for leg in legs)
    by_pair = {(leg.debtor, leg.creditor): 0 for leg in legs}
    for leg in legs:
        by_pair[(leg.debtor, leg.creditor)] += leg.amount_fen
    bilateral_fen = sum(min(fen, by_pair.get((creditor, debtor), 0))
                        for (debtor, creditor), fen in by_pair.items())
    put_record(ctx.state, batch_key(run.id, body.batch_no), Batch(
        run.id, body.batch_no, ctx.tx_id,
        tuple(replace(leg, id=named.id) for named, leg in zip(body.reductions, legs,
                                                               strict=True)),
        cleared_fen, ctx.time_ms))
    put_record(ctx.state, run_key(run.id), replace(
        run, batches=run.batches + 1, next_batch_no=max(run.next_batch_no, body.batch_no + 1),
        legs=run.legs + len(legs),
        members=run.members + new_members, cleared_fen=run.cleared_fen + cleared_fen,
        bilateral_fen=run.bilateral_fen + bilateral_fen))
    totals = get_run_totals(ctx.state)
    put_record(ctx.state, b"sxt", replace(totals, batches=totals.batches + 1,
                                          cleared_fen=totals.cleared_fen + cleared_fen))


def close_run(ctx: Context, body: CloseRun) -> None:
    run = _open_run_of(ctx, body.agency, body.run)
    put_record(ctx.state, run_key(run.id), replace(run, status="closed",
                                                   closed_at_ms=ctx.time_ms))
    ctx.state.delete(b"sxo")
    ctx.emit("setoff.run_closed", run.id, run.agency)


def end_block(ctx: Context) -> None:
    """Rounds whose consent deadline passed without every consent lapse, earliest deadline
    first and at most MAX_LAPSES_PER_BLOCK; nothing else changes. Until a round lapses no
    member can consent to it (its deadline has passed)."""
    lapsed: list[bytes] = []
    for key, _ in ctx.state.scan(b"srd/"):
        if int.from_bytes(key[4:12], "big") >= ctx.time_ms or len(lapsed) >= MAX_LAPSES_PER_BLOCK:
            break
        lapsed.append(key[12:])
    for round_id in lapsed:
        _close(ctx, load_round(ctx.state, round_id), "lapsed",
               "the consent deadline passed before every member consented")


# ------------------------------------------------------------------ who may read


def may_read_round(state: Reader, caller: Caller, round_: Round) -> bool:
    """A round is its members': each signs the set-off agreement of the whole loop
    (§001-三(六)), so each reads every leg of it, amounts and parties."""
    return caller.oversees or caller.one_of(*round_.members)


def may_read_limit(state: Reader, caller: Caller, limit: Limit) -> bool:
    """A member's standing limit or opt-out is its own."""
    return caller.oversees or caller.one_of(limit.member)


def may_read_mandate(state: Reader, caller: Caller, mandate: Mandate) -> bool:
    """A member's mandates (抵销授权) and their limits are its own."""
    return caller.oversees or caller.one_of(mandate.member)


def may_read_run(state: Reader, caller: Caller, run: Run) -> bool:
    """A run's record (its figures) is read by the members it cleared something of, and
    what it cleared of each (its usage) by that member alone."""
    if caller.oversees:
        return True
    return caller.member and caller.address is not None \
        and state.get(member_run_key(caller.address, run.id)) is not None


def may_read_usage(state: Reader, caller: Caller, usage: Usage) -> bool:
    """What a run cleared of a member's debts and claims is that member's."""
    return caller.oversees or caller.one_of(usage.member)


def may_read_batch(state: Reader, caller: Caller, batch: Batch) -> bool:
    """A batch of a run clears the debts of many members who did not sign it one by one
    (their mandates stand for that): its legs are the agency's and the regulators'. A
    member reads what the run did to its own debts on them and in its usage."""
    return caller.oversees


def may_read_setoff_totals(state: Reader, caller: Caller, totals: Totals | RunTotals) -> bool:
    """How much debt rounds and runs cleared in all is every member's to know: it names
    nobody."""
    return caller.member


def may_read_plan(state: Reader, caller: Caller, plan: object) -> bool:
    """A set-off plan is computed over every member's live debts: it is the agency's,
    which proposes rounds and runs from it, and the regulators'. A member learns what a
    plan asks of it from the round it is asked to sign."""
    return caller.oversees


READS = (
    Read("setoff_round", ("round_member", *OVERSIGHT), may_read_round),
    Read("setoff_limit", ("self", *OVERSIGHT), may_read_limit),
    Read("setoff_mandate", ("self", *OVERSIGHT), may_read_mandate),
    Read("setoff_run", ("run_member", *OVERSIGHT), may_read_run),
    Read("setoff_usage", ("self", *OVERSIGHT), may_read_usage, not_readers=("run_member",)),
    Read("setoff_batch", OVERSIGHT, may_read_batch, not_readers=("run_member",)),
    Read("setoff_totals", ("member",), may_read_setoff_totals),
    Read("setoff_plan", OVERSIGHT, may_read_plan),
)


OPERATIONS = (
    Operation("propose", Propose, lambda b: (b.agency,), propose),
    Operation("consent", Consent, lambda b: (b.member,), consent),
    Operation("refuse", Refuse, lambda b: (b.member,), refuse),
    Operation("set_limit", SetLimit, lambda b: (b.member,), set_limit),
    Operation("mandate", SignMandate, lambda b: (b.member,), sign_mandate),
    Operation("revoke_mandate", RevokeMandate, lambda b: (b.member,), revoke_mandate),
    Operation("open_run", OpenRun, lambda b: (b.agency,), open_run),
    Operation("run_batch", RunBatch, lambda b: (b.agency,), run_batch,
              per_block=MAX_RUN_BATCHES_PER_BLOCK),
    Operation("close_run", CloseRun, lambda b: (b.agency,), close_run),
)
