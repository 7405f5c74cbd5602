"""The voucher (债权凭证) as ledger states, and every write that creates or ends one.

Vouchers are UTXO-like: each state has an id, and a change of holder or amount consumes
it and creates new states that point to their parent and to their origin (the issued
voucher), so lineage is always traceable and a claim is never spent twice.

Every contract changes vouchers only through the functions here (`issue`, `replace_with`,
`cancel`, `void`, `update`), which keep the indices and the running totals in step. They
refuse to move a held state (contracts.holds: a court's freeze, `voucher.frozen`, or an open
dispute on the issued voucher, `voucher.disputed`), whichever contract asks; `load_held`
refuses it early, with the same codes:
  v/<id>                         the voucher state
  vh/<holder><id>, vd/<debtor><id>     every state a holder held / of a debtor (history)
  vhl/<holder><id>, vdl/<debtor><id>   live (active) states only
  vc/<parent><child>             descendants
  vq/<due_ms:8><id>              live states by due date, for the end-of-block step
  vov/<id>, vex/<id>             live states that are overdue / extended
  o/<origin>                     the origin's face value, redeemed and set-off totals
  dr/<debtor>                    the debtor's record (outstanding, confirmations, overdue)
  hl/<holder>                    what a holder holds in all
  hd/<holder><debtor>            what a holder holds of one debtor's claims (fen; a
                                 funder's exposure to that debtor, contracts.credit)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Annotated

from contracts import holds
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import (
    U32,
    U64,
    Fen,
    Hash32,
    Height,
    OneOf,
    Size,
    TimeMs,
    decode,
    replace,
    sha256,
)
from contracts.errors import Rejected, require
from contracts.membership import require_active
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    indexed_page,
    put_record,
    records_page,
)

# voided (作废): taken out of circulation by the agency when the basis fell away
# (contracts.supervision): neither redeemed nor set off, counted in `voided_fen`.
VOUCHER_STATUSES = frozenset({"active", "consumed", "cancelled", "voided"})
CAUSES = frozenset({
    "issue", "transfer", "split", "remainder", "merchant_payment", "acquisition",
    "enforcement", "redemption_remainder", "setoff_remainder",
    "sale", "recourse",  # contracts.sale: sold to a funder, given back on recourse
})
MAX_COMMITMENTS = 8
MAX_PARTS = 16  # new states one operation may create

BasisRef = Annotated[str, Size(1, 256)]
Commitments = Annotated[tuple[Hash32, ...], Size(0, MAX_COMMITMENTS)]


@dataclass(frozen=True)
class Voucher:
    id: Hash32
    origin: Hash32  # the issued voucher this claim descends from (itself, for an issue)
    parent: Hash32 | None  # the state it was split or transferred from
    application: Hash32  # the issuance application behind the origin
    debtor: Hash32
    holder: Hash32
    amount_fen: Fen  # what the debtor still owes on this state
    due_ms: TimeMs  # 清偿期限, ledger time; moves on with each extension
    asset_offset: bool  # settled by the debtor's assets (资产抵付)
    consumption_offset: bool  # settled by consumption (消费抵付)
    extension_days: U32  # 展期条款: days per extension, 0 means no extension clause
    extension_max: U32  # how many extensions the clause allows
    extensions_used: U32
    overdue_since_ms: TimeMs | None  # 逾期: due passed with no extension left
    basis_ref: BasisRef
    basis_sha256: Hash32
    cause: Annotated[str, OneOf(CAUSES)]  # how this state came to be
    created_by: Hash32  # the transaction that created it
    created_at_ms: TimeMs
    created_height: Height
    status: Annotated[str, OneOf(VOUCHER_STATUSES)]
    ended_by: Hash32 | None  # the transaction that consumed or cancelled it
    pledge: Hash32 | None  # the active pledge registration on it, if any
    reserved_by: Hash32 | None  # a redemption request waiting for the debtor
    commitments: Commitments  # acquisition commitments that travel with the claim


@dataclass(frozen=True)
class Origin:
    """An issued voucher as a whole: live parts add up to face − redeemed − set off."""

    id: Hash32
    debtor: Hash32
    face_fen: Fen
    redeemed_fen: Fen
    setoff_fen: Fen
    due_ms: TimeMs  # the latest due date of its live parts
    extensions: U32
    overdue_since_ms: TimeMs | None
    live_parts: U32
    # Voided (作废, contracts.supervision) when its basis fell away: live parts add up to
    # face − redeemed − set off − voided.
    voided_fen: Fen = 0


@dataclass(frozen=True)
class DebtorRecord:
    """What regulators and banks read about a debtor (the late-payer list's inputs)."""

    debtor: Hash32
    vouchers_issued: U32
    issued_fen: U64
    outstanding_fen: U64
    redeemed_fen: U64
    confirmations: U32  # 确权 given in time
    confirmation_delay_ms: U64  # summed over those confirmations
    late_confirmations: U32  # applications left unconfirmed past 30 days (the 30-day rule)
    extended_vouchers: U32  # extensions, counted once per issued voucher and due date
    overdue_vouchers: U32  # issued vouchers that became overdue (逾期)
    # Supervision (contracts.supervision) and obligations (contracts.obligations):
    voided_vouchers: U32 = 0  # issued vouchers voided (作废) because their basis fell away
    voided_fen: U64 = 0  # what those voided vouchers still owed when voided
    # Obligations left unconfirmed past 30 days after submission (the 30-day rule, as
    # `late_confirmations` counts applications); not those a dispute held meanwhile.
    late_obligation_confirmations: U32 = 0
    overdue_obligations: U32 = 0  # confirmed debts (obligations) past their due date, once each


@dataclass(frozen=True)
class HolderTotals:
    holder: Hash32
    held_fen: U64
    live_parts: U32


# ------------------------------------------------------------------ keys


def voucher_key(voucher_id: bytes) -> bytes:
    return b"v/" + voucher_id


def holder_index_key(holder: bytes, voucher_id: bytes) -> bytes:
    return b"vh/" + holder + voucher_id


def debtor_index_key(debtor: bytes, voucher_id: bytes) -> bytes:
    return b"vd/" + debtor + voucher_id


def live_holder_key(holder: bytes, voucher_id: bytes) -> bytes:
    return b"vhl/" + holder + voucher_id


def live_debtor_key(debtor: bytes, voucher_id: bytes) -> bytes:
    return b"vdl/" + debtor + voucher_id


def child_key(parent: bytes, child: bytes) -> bytes:
    return b"vc/" + parent + child


def due_key(due_ms: int, voucher_id: bytes) -> bytes:
    return b"vq/" + due_ms.to_bytes(8, "big") + voucher_id


def overdue_key(voucher_id: bytes) -> bytes:
    return b"vov/" + voucher_id


def extended_key(voucher_id: bytes) -> bytes:
    return b"vex/" + voucher_id


def origin_key(origin: bytes) -> bytes:
    return b"o/" + origin


def debtor_record_key(debtor: bytes) -> bytes:
    return b"dr/" + debtor


def holder_totals_key(holder: bytes) -> bytes:
    return b"hl/" + holder


def held_on_key(holder: bytes, debtor: bytes) -> bytes:
    return b"hd/" + holder + debtor


def issued_voucher_id(application_id: bytes) -> bytes:
    return sha256(b"claimledger/voucher/issue\x00" + application_id)


def part_id(tx_id: bytes, parent: bytes, index: int) -> bytes:
    """The id of the `index`-th state a transaction creates from `parent`."""
    return sha256(b"claimledger/voucher/part\x00" + tx_id + parent + bytes([index]))


# ------------------------------------------------------------------ reads


def get_voucher(state: Reader, voucher_id: bytes) -> Voucher | None:
    return get_record(state, voucher_key(voucher_id), Voucher)


def get_origin(state: Reader, origin: bytes) -> Origin | None:
    return get_record(state, origin_key(origin), Origin)


def get_debtor_record(state: Reader, debtor: bytes) -> DebtorRecord:
    found = get_record(state, debtor_record_key(debtor), DebtorRecord)
    return found or DebtorRecord(debtor, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def get_holder_totals(state: Reader, holder: bytes) -> HolderTotals:
    found = get_record(state, holder_totals_key(holder), HolderTotals)
    return found or HolderTotals(holder, 0, 0)


def held_on(state: Reader, holder: bytes, debtor: bytes) -> int:
    """The fen of `debtor`'s claims that `holder` holds in live voucher states."""
    return get_count(state, held_on_key(holder, debtor))


def _ids(state: Reader, prefix: bytes) -> list[bytes]:
    return [key[len(prefix):] for key, _ in state.scan(prefix)]


def voucher_ids_by_holder(state: Reader, holder: bytes) -> list[bytes]:
    return _ids(state, b"vh/" + holder)


def voucher_ids_by_debtor(state: Reader, debtor: bytes) -> list[bytes]:
    return _ids(state, b"vd/" + debtor)


def live_ids_by_holder(state: Reader, holder: bytes) -> list[bytes]:
    return _ids(state, b"vhl/" + holder)


def live_ids_by_debtor(state: Reader, debtor: bytes) -> list[bytes]:
    return _ids(state, b"vdl/" + debtor)


def children_ids(state: Reader, parent: bytes) -> list[bytes]:
    return _ids(state, b"vc/" + parent)


VOUCHER_STANDINGS = frozenset({"overdue", "extended"})  # live states with a standing index


def vouchers_page(state: Reader, after: bytes | None, limit: int, *,
                  holder: bytes | None = None, debtor: bytes | None = None,
                  status: str | None = None, standing: str | None = None
                  ) -> tuple[list[Voucher], bytes | None]:
    """A page of voucher states, by id after `after`: the live states of a standing, or a
    holder's or a debtor's states (live ones only with status="active", from the live
    index), each filtered by all that is given. At least one of `standing`, `holder` and
    `debtor` is given; a `standing` lists live states only."""
    if standing is not None:
        assert standing in VOUCHER_STANDINGS and status in (None, "active")
        prefix = overdue_key(b"") if standing == "overdue" else extended_key(b"")
    elif holder is not None:
        prefix = live_holder_key(holder, b"") if status == "active" \
            else holder_index_key(holder, b"")
    else:
        assert debtor is not None, "a voucher list is of a standing, a holder or a debtor"
        prefix = live_debtor_key(debtor, b"") if status == "active" \
            else debtor_index_key(debtor, b"")

    def keep(voucher: Voucher) -> bool:
        return holder in (None, voucher.holder) and debtor in (None, voucher.debtor) \
            and status in (None, voucher.status)

    return indexed_page(state, prefix, after, limit, get_voucher, keep)


def first_children_ids(state: Reader, parent: bytes, most: int) -> list[bytes]:
    """The ids of the states split or transferred from `parent`, at most `most`."""
    prefix = child_key(parent, b"")
    return [key[len(prefix):] for key, _ in islice(state.scan(prefix), most)]


def ancestors(state: Reader, voucher: Voucher, most: int) -> list[Voucher]:
    """The states from the origin down to this state's parent (at most `most`, the nearest
    ones, if the line is longer)."""
    line: list[Voucher] = []
    current = voucher
    while current.parent is not None and len(line) < most:
        parent = get_voucher(state, current.parent)
        assert parent is not None, "a voucher's parent is stored"
        line.append(parent)
        current = parent
    return list(reversed(line))


def debtor_records_page(state: Reader, after: bytes | None, limit: int
                        ) -> tuple[list[DebtorRecord], bytes | None]:
    """Every debtor's record, by address after `after`."""
    return records_page(state, debtor_record_key(b""), DebtorRecord, after, limit)


def debtor_records(state: Reader) -> Iterator[DebtorRecord]:
    """Every debtor's record, by address (the caller bounds how many it reads)."""
    for _, value in state.scan(debtor_record_key(b"")):
        yield decode(DebtorRecord, value)


def live_voucher_ids(state: Reader) -> Iterator[bytes]:
    """The ids of every live (active) voucher state, by holder then id, read lazily."""
    for key, _ in state.scan(live_holder_key(b"", b"")):
        yield key[-32:]


def load_live(state: Reader, voucher_id: bytes) -> Voucher:
    """The active voucher state `voucher_id`; `Rejected` if unknown, consumed or cancelled."""
    voucher = get_voucher(state, voucher_id)
    if voucher is None:
        raise Rejected("voucher.unknown", f"no voucher {voucher_id.hex()}")
    require(
        voucher.status != "cancelled",
        "voucher.cancelled",
        "the voucher was cancelled (注销): it is fully settled",
    )
    require(
        voucher.status == "active",
        "voucher.consumed",
        "this voucher state was replaced by newer ones; use its live parts",
    )
    return voucher


def require_movable(state: Reader, voucher: Voucher) -> None:
    """Refuse to move a held state: frozen by a court order (`voucher.frozen`) or of an
    issued voucher under an open dispute (`voucher.disputed`). Moving is any change of
    holder or amount, a split, a reservation or a pledge (contracts.holds)."""
    holds.require_not_frozen(state, voucher.id)
    holds.require_undisputed(state, voucher.origin, "voucher.disputed", "voucher")


def load_held(state: Reader, voucher_id: bytes, holder: bytes) -> Voucher:
    """A live voucher held by `holder`, not reserved, frozen or disputed. The holder signs
    for what it does with it, so it is active (contracts.membership.require_signers_active)."""
    voucher = load_live(state, voucher_id)
    require_movable(state, voucher)
    require(voucher.holder == holder, "voucher.not_holder",
            "only the voucher's holder may do this")
    require(
        voucher.reserved_by is None,
        "voucher.reserved",
        f"the voucher is reserved by {(voucher.reserved_by or b'').hex()} (a pending "
        "transfer, financing request or redemption request); end that first",
    )
    return voucher


def require_can_hold(state: Reader, address: bytes) -> None:
    """Only active members other than pure regulators hold claims."""
    member = require_active(state, address)
    require(
        any(role != "regulator" for role in member.roles),
        "membership.cannot_hold",
        f"member {member.name} is a regulator and does not hold claims",
    )


def require_amount(amount_fen: int, available_fen: int) -> None:
    require(amount_fen > 0, "voucher.bad_amount", "an amount is at least 1 fen")
    require(
        amount_fen <= available_fen,
        "voucher.over_amount",
        f"the voucher holds {available_fen} fen, less than {amount_fen}",
    )


# ------------------------------------------------------------------ writes


def _put(state: Overlay, voucher: Voucher) -> None:
    put_record(state, voucher_key(voucher.id), voucher)


def _add_totals(state: Overlay, voucher: Voucher, sign: int) -> None:
    _write_held_on(state, voucher.debtor, {voucher.holder: sign * voucher.amount_fen})
    _write_totals(state, {voucher.holder: (sign * voucher.amount_fen, sign)},
                  {voucher.debtor: sign * voucher.amount_fen}, {voucher.origin: sign})


def _write_held_on(state: Overlay, debtor: bytes, changes: dict[bytes, int]) -> None:
    """Add each holder's change of fen held of `debtor`'s claims to `hd/`."""
    for holder in sorted(changes):
        if changes[holder]:
            add_count(state, held_on_key(holder, debtor), changes[holder], 2**64 - 1, 8)


def _write_totals(state: Overlay, holders: dict[bytes, tuple[int, int]],
                  debtors: dict[bytes, int], origins: dict[bytes, int]) -> None:
    """Add what changed (fen and live parts per holder, outstanding fen per debtor, live
    parts per origin) to the records that keep the totals; a total that does not change
    is not written (a whole transfer leaves the debtor's and the origin's as they were)."""
    for holder in sorted(holders):
        fen, parts = holders[holder]
        if fen or parts:
            totals = get_holder_totals(state, holder)
            put_record(state, holder_totals_key(holder), HolderTotals(
                holder, totals.held_fen + fen, totals.live_parts + parts))
    for debtor in sorted(debtors):
        if debtors[debtor]:
            record = get_debtor_record(state, debtor)
            put_record(state, debtor_record_key(debtor), replace(
                record, outstanding_fen=record.outstanding_fen + debtors[debtor]))
    for origin_id in sorted(origins):
        if origins[origin_id]:
            origin = get_origin(state, origin_id)
            assert origin is not None, "a voucher's origin is recorded"
            put_record(state, origin_key(origin_id), replace(
                origin, live_parts=origin.live_parts + origins[origin_id]))


def _go_live(state: Overlay, voucher: Voucher, totals: bool = True) -> None:
    assert voucher.status == "active" and voucher.amount_fen > 0
    _put(state, voucher)
    state.put(holder_index_key(voucher.holder, voucher.id), b"")
    state.put(debtor_index_key(voucher.debtor, voucher.id), b"")
    state.put(live_holder_key(voucher.holder, voucher.id), b"")
    state.put(live_debtor_key(voucher.debtor, voucher.id), b"")
    if voucher.overdue_since_ms is None:
        state.put(due_key(voucher.due_ms, voucher.id), b"")
    else:
        state.put(overdue_key(voucher.id), b"")
    if voucher.extensions_used:
        state.put(extended_key(voucher.id), b"")
    if totals:
        _add_totals(state, voucher, +1)


def _end(state: Overlay, voucher: Voucher, status: str, tx_id: bytes,
         totals: bool = True) -> Voucher:
    """Take a live state out of circulation."""
    assert voucher.status == "active"
    assert voucher.pledge is None, "a pledge ends before its voucher state does"
    state.delete(live_holder_key(voucher.holder, voucher.id))
    state.delete(live_debtor_key(voucher.debtor, voucher.id))
    # Exactly the index keys `_go_live`, `move_due` and `mark_overdue` keep for it.
    if voucher.overdue_since_ms is None:
        state.delete(due_key(voucher.due_ms, voucher.id))
    else:
        state.delete(overdue_key(voucher.id))
    if voucher.extensions_used:
        state.delete(extended_key(voucher.id))
    if totals:
        _add_totals(state, voucher, -1)
    ended = replace(voucher, status=status, ended_by=tx_id, reserved_by=None)
    _put(state, ended)
    return ended


def issue(state: Overlay, voucher: Voucher) -> None:
    """A newly issued voucher: its origin record and the debtor's record start here."""
    assert voucher.origin == voucher.id and voucher.parent is None
    put_record(state, origin_key(voucher.id), Origin(
        voucher.id, voucher.debtor, voucher.amount_fen, 0, 0, voucher.due_ms, 0, None, 0))
    record = get_debtor_record(state, voucher.debtor)
    put_record(state, debtor_record_key(voucher.debtor), replace(
        record, vouchers_issued=record.vouchers_issued + 1,
        issued_fen=record.issued_fen + voucher.amount_fen))
    _go_live(state, voucher)


def replace_with(
    state: Overlay,
    voucher: Voucher,
    parts: list[tuple[bytes, int, str]],
    tx_id: bytes,
    time_ms: int,
    height: int,
) -> list[Voucher]:
    """Consume `voucher` and create `parts` (holder, amount, cause) from it, in order.

    The parts may add up to less than the voucher only through `reduce_origin` (a
    redemption or a set-off), never to more. Each part keeps the debtor, the terms and
    the commitments; a part going to the acquirer of a commitment leaves it behind.
    A held state is refused (`require_movable`).
    """
    require_movable(state, voucher)
    return _replace_with(state, voucher, parts, tx_id, time_ms, height)


def _replace_with(state: Overlay, voucher: Voucher, parts: list[tuple[bytes, int, str]],
                  tx_id: bytes, time_ms: int, height: int) -> list[Voucher]:
    assert 0 < len(parts) <= MAX_PARTS
    assert sum(amount for _, amount, _ in parts) <= voucher.amount_fen
    _end(state, voucher, "consumed", tx_id, totals=False)
    holders = {voucher.holder: (-voucher.amount_fen, -1)}
    created = []
    for index, (holder, amount_fen, cause) in enumerate(parts):
        child = replace(
            voucher,
            id=part_id(tx_id, voucher.id, index),
            parent=voucher.id,
            holder=holder,
            amount_fen=amount_fen,
            cause=cause,
            created_by=tx_id,
            created_at_ms=time_ms,
            created_height=height,
            status="active",
            ended_by=None,
            pledge=None,
            reserved_by=None,
        )
        _go_live(state, child, totals=False)
        state.put(child_key(voucher.id, child.id), b"")
        fen, count = holders.get(holder, (0, 0))
        holders[holder] = (fen + amount_fen, count + 1)
        created.append(child)
    moved_fen = sum(amount for _, amount, _ in parts)
    _write_held_on(state, voucher.debtor, {h: fen for h, (fen, _) in holders.items()})
    _write_totals(state, holders, {voucher.debtor: moved_fen - voucher.amount_fen},
                  {voucher.origin: len(parts) - 1})
    return created


def cancel(state: Overlay, voucher: Voucher, tx_id: bytes) -> Voucher:
    """注销: the state is fully settled and leaves circulation with no successor."""
    require_movable(state, voucher)
    return _end(state, voucher, "cancelled", tx_id)


def void(state: Overlay, voucher: Voucher, tx_id: bytes) -> Voucher:
    """作废: the agency takes the live state out of circulation because the claim's basis
    fell away (contracts.supervision checks who agreed, and that no court order holds
    it). What it still owed counts as voided on its origin and its debtor's record,
    not as redeemed or set off; an open dispute does not hold a voiding (it may be
    the dispute's upshot)."""
    holds.require_not_frozen(state, voucher.id)
    origin = get_origin(state, voucher.origin)
    assert origin is not None
    write_origin(state, replace(origin, voided_fen=origin.voided_fen + voucher.amount_fen))
    record = get_debtor_record(state, voucher.debtor)
    write_debtor_record(state, replace(record, voided_fen=record.voided_fen + voucher.amount_fen))
    return _end(state, voucher, "voided", tx_id)


def update(state: Overlay, voucher: Voucher, **changes) -> Voucher:
    """Change what is not the holder or the amount (pledge, reservation, commitments).
    Pledging or reserving a held state is refused (`require_movable`); ending a pledge
    or a reservation is not."""
    assert voucher.status == "active"
    assert not {"holder", "amount_fen", "status", "id", "origin", "due_ms"} & changes.keys()
    if changes.get("pledge") is not None or changes.get("reserved_by") is not None:
        require_movable(state, voucher)
    updated = replace(voucher, **changes)
    _put(state, updated)
    return updated


def reserve(state: Overlay, voucher: Voucher, amount_fen: int, by: bytes, tx_id: bytes,
            time_ms: int, height: int) -> tuple[Voucher, Voucher | None]:
    """Set `amount_fen` of a held, unreserved, unpledged voucher aside for `by` (a pending
    transfer, a financing request, a redemption request): the state that holds it is
    marked `reserved_by`, and nothing else may move it until `unreserve`. A part is
    split off first (cause `split`), so the remainder stays free for its holder.
    Returns the reserved state and the remainder (None for the whole voucher); the
    caller emits their events."""
    assert voucher.reserved_by is None and voucher.pledge is None
    require_movable(state, voucher)
    voucher, remainder = split_off(state, voucher, amount_fen, tx_id, time_ms, height)
    return update(state, voucher, reserved_by=by), remainder


def split_off(state: Overlay, voucher: Voucher, amount_fen: int, tx_id: bytes, time_ms: int,
              height: int, *, for_order: bool = False) -> tuple[Voucher, Voucher | None]:
    """`amount_fen` of a live voucher as a state of its own, its holder's (cause `split`),
    and the remainder beside it (cause `remainder`); the voucher itself, and None, when
    the amount is all of it. The caller emits their events. A held state is refused
    (`require_movable`), except that a court's freeze (`for_order`) splits off the part
    it freezes from a voucher under dispute: the split changes no holder."""
    assert 0 < amount_fen <= voucher.amount_fen
    if amount_fen == voucher.amount_fen:
        return voucher, None
    if for_order:
        holds.require_not_frozen(state, voucher.id)
    else:
        require_movable(state, voucher)
    part, remainder = _replace_with(state, voucher, [
        (voucher.holder, amount_fen, "split"),
        (voucher.holder, voucher.amount_fen - amount_fen, "remainder")],
        tx_id, time_ms, height)
    return part, remainder


def unreserve(state: Overlay, voucher_id: bytes, by: bytes) -> Voucher:
    """Free the live state that `reserve` set aside for `by`."""
    voucher = get_voucher(state, voucher_id)
    assert voucher is not None and voucher.status == "active" and voucher.reserved_by == by
    return update(state, voucher, reserved_by=None)


def reduce_origin(state: Overlay, voucher: Voucher, amount_fen: int, how: str) -> None:
    """Record that the debtor settled `amount_fen` of an origin (redeemed or set off)."""
    origin = get_origin(state, voucher.origin)
    assert origin is not None and amount_fen > 0
    if how == "redeemed":
        origin = replace(origin, redeemed_fen=origin.redeemed_fen + amount_fen)
        record = get_debtor_record(state, voucher.debtor)
        put_record(state, debtor_record_key(voucher.debtor), replace(
            record, redeemed_fen=record.redeemed_fen + amount_fen))
    else:
        assert how == "setoff"
        origin = replace(origin, setoff_fen=origin.setoff_fen + amount_fen)
    put_record(state, origin_key(origin.id), origin)


def move_due(state: Overlay, voucher: Voucher, due_ms: int) -> Voucher:
    """Extend a live state's due date by its extension clause (展期)."""
    assert voucher.status == "active" and due_ms > voucher.due_ms
    state.delete(due_key(voucher.due_ms, voucher.id))
    state.put(due_key(due_ms, voucher.id), b"")
    state.put(extended_key(voucher.id), b"")
    updated = replace(voucher, due_ms=due_ms, extensions_used=voucher.extensions_used + 1)
    _put(state, updated)
    return updated


def mark_overdue(state: Overlay, voucher: Voucher, time_ms: int) -> Voucher:
    """逾期: the due date passed with no extension left."""
    assert voucher.status == "active" and voucher.overdue_since_ms is None
    state.delete(due_key(voucher.due_ms, voucher.id))
    state.put(overdue_key(voucher.id), b"")
    updated = replace(voucher, overdue_since_ms=time_ms)
    _put(state, updated)
    return updated


def index_entries(voucher: Voucher) -> list[bytes]:
    """Every index key the writers above keep for `voucher` (each holds b""): the state
    root commits to voucher states only, and these follow from them (INDEX_SPACES)."""
    keys = [holder_index_key(voucher.holder, voucher.id),
            debtor_index_key(voucher.debtor, voucher.id)]
    if voucher.parent is not None:
        keys.append(child_key(voucher.parent, voucher.id))
    if voucher.status == "active":
        keys += [live_holder_key(voucher.holder, voucher.id),
                 live_debtor_key(voucher.debtor, voucher.id)]
        keys.append(due_key(voucher.due_ms, voucher.id) if voucher.overdue_since_ms is None
                    else overdue_key(voucher.id))
        if voucher.extensions_used:
            keys.append(extended_key(voucher.id))
    return keys


# The key spaces `index_entries` gives, all derived from the voucher states under b"v/".
INDEX_SPACES = (b"vh/", b"vd/", b"vhl/", b"vdl/", b"vc/", b"vq/", b"vov/", b"vex/")


def write_origin(state: Overlay, origin: Origin) -> None:
    put_record(state, origin_key(origin.id), origin)


def write_debtor_record(state: Overlay, record: DebtorRecord) -> None:
    put_record(state, debtor_record_key(record.debtor), record)


# ------------------------------------------------------------------ who may read


def may_read_voucher(state: Reader, caller: Caller, voucher: Voucher) -> bool:
    """A voucher state is its holder's and its debtor's business. The debtor reads every
    state of the claims it owes, current holders included: it is told of each transfer
    (§001-三(三)) and checks the holder's identity before it settles (§001-三(五)). A
    member the holder asked to co-sign on this state reads it to decide. A member that
    held an earlier state of the claim does not read where the claim went after it."""
    return caller.oversees or caller.one_of(voucher.holder, voucher.debtor) \
        or (caller.member and voucher.id in caller.asked)


def may_read_origin(state: Reader, caller: Caller, origin: Origin) -> bool:
    """An issued voucher as a whole (face value, what was redeemed and set off, its live
    parts) is its debtor's and its creditor's, the first holder: its totals tell what
    the holders of the other parts did, which the holder of one part does not read."""
    issued = get_voucher(state, origin.id)
    assert issued is not None, "an origin's issued state is stored"
    return caller.oversees or caller.one_of(origin.debtor, issued.holder)


def may_read_holder_totals(state: Reader, caller: Caller, totals: HolderTotals) -> bool:
    """What a member holds in all is its own business."""
    return caller.oversees or caller.one_of(totals.holder)


def may_read_debtor_record(state: Reader, caller: Caller, record: DebtorRecord) -> bool:
    """A debtor's record (issued, outstanding, redeemed, confirmations and their delays,
    extensions, overdue vouchers) is disclosed to every member, as acceptors' records
    are (§002-(十一)) and as late payers are published (§002-(十九)): whoever takes,
    lends on or buys a claim judges its debtor by it."""
    return caller.member


READS = (
    Read("voucher", ("holder", "debtor", "asked", *OVERSIGHT), may_read_voucher,
         not_readers=("earlier_holder",)),
    Read("origin", ("debtor", "creditor", *OVERSIGHT), may_read_origin, not_readers=("holder",)),
    Read("holder_totals", ("self", *OVERSIGHT), may_read_holder_totals, not_readers=("debtor",)),
    Read("debtor_record", ("member",), may_read_debtor_record),
)
