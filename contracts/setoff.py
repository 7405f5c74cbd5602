"""Multilateral set-off (债权债务闭环抵销, §001-三(六)): rounds the members concerned sign.

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
  sr/<round>                     the round
  srn                            the last round number given
  sro/<round>                    open rounds
  srd/<deadline_ms:8><round>     open rounds by consent deadline, for the end-of-block step
  srm/<member><round>            every round that concerns a member
  srk/<debt>                     the open round a debt is in
  sl/<member>                    a member's standing limit
  st                             totals over executed rounds
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated

from contracts import obligations, vouchers
from contracts.codec import U32, U64, Fen, Hash32, OneOf, Size, Text, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.state import Overlay, Reader, get_record, put_record

NAME = "setoff"
VERSION = 1

MAX_REDUCTIONS = 512  # debts one round may reduce (keeps a proposal well inside a tx)
MAX_MEMBERS = 60  # members one round may concern (each signs; an event names 64 at most)
MIN_LOOP_MEMBERS = 3  # 三个以上主体
MAX_CONSENT_MS = 30 * 24 * 3600 * 1000  # the longest a round stays open
# Rounds the end-of-block step lapses in one block: each frees up to MAX_REDUCTIONS debt
# locks, so 100 is up to 51,200 deletions; the rest lapse in the next blocks.
MAX_LAPSES_PER_BLOCK = 100
MAX_END_BLOCK_EVENTS = MAX_LAPSES_PER_BLOCK  # one `setoff.lapsed` each

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


# ------------------------------------------------------------------ the check


def _leg(state: Reader, reduction: Reduction) -> Leg:
    require(reduction.amount_fen > 0, "setoff.bad_amount", "a reduction is at least 1 fen")
    if reduction.kind == "obligation":
        obligation = obligations.load_live(state, reduction.id)
        debtor, creditor, owed_fen = obligation.debtor, obligation.creditor, obligation.amount_fen
    else:
        voucher = vouchers.load_live(state, reduction.id)
        require(voucher.pledge is None, "voucher.pledged",
                f"voucher {voucher.id.hex()} is pledged; its bank has not agreed to a set-off")
        require(voucher.reserved_by is None, "voucher.reserved",
                f"voucher {voucher.id.hex()} waits for its debtor on a redemption request")
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


def _clear_voucher(ctx: Context, leg: Leg) -> None:
    voucher = vouchers.load_live(ctx.state, leg.id)
    vouchers.reduce_origin(ctx.state, voucher, leg.amount_fen, "setoff")
    if leg.amount_fen == voucher.amount_fen:
        vouchers.cancel(ctx.state, voucher, ctx.tx_id)
        ctx.emit("voucher.cancelled", voucher.id, voucher.holder, voucher.debtor)
        return
    (kept,) = vouchers.replace_with(
        ctx.state, voucher,
        [(voucher.holder, voucher.amount_fen - leg.amount_fen, "setoff_remainder")],
        ctx.tx_id, ctx.time_ms, ctx.height)
    ctx.emit("voucher.remainder", kept.id, voucher.holder, voucher.debtor)


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


OPERATIONS = (
    Operation("propose", Propose, lambda b: (b.agency,), propose),
    Operation("consent", Consent, lambda b: (b.member,), consent),
    Operation("refuse", Refuse, lambda b: (b.member,), refuse),
    Operation("set_limit", SetLimit, lambda b: (b.member,), set_limit),
)
