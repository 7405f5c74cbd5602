"""Standing set-off mandates and the runs that clear mandated members' debts: each rule's
accepted path and each refusal by its code, and property tests that a run keeps every net
position after every batch and clears exactly what its batches say.

The triangle of tests/test_setoff_rules.py (core owes supplier on a voucher, supplier owes
supplier2, supplier2 owes core) is the smallest loop; here its members sign mandates.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import obligations, setoff, vouchers
from contracts.codec import encode, replace
from contracts.errors import CodecError, Rejected
from contracts.setoff import Reduction
from contracts.tx import Transaction, payload_id
from contracts.vouchers import get_voucher, part_id
from tests.memledger import DAY_MS, Ledger
from tests.test_setoff_rules import (
    debts_fen,
    limit_tx,
    owe,
    pledge_tx,
    propose,
    reductions,
    submit_tx,
    triangle,
)

TRIANGLE = ("core", "supplier", "supplier2")
NO_LIMIT_FEN = 10**12


# ------------------------------------------------------------------ helpers


def mandate_tx(ledger: Ledger, member: str, max_fen: int = NO_LIMIT_FEN,
               expires_ms: int | None = None) -> Transaction:
    body = setoff.SignMandate(ledger.addr(member), max_fen,
                              ledger.time_ms + 30 * DAY_MS if expires_ms is None else expires_ms)
    return ledger.tx("setoff", "mandate", body, member)


def mandate(ledger: Ledger, *members: str, max_fen: int = NO_LIMIT_FEN,
            expires_ms: int | None = None) -> None:
    ledger.block(*(mandate_tx(ledger, m, max_fen, expires_ms) for m in members))


def revoke_tx(ledger: Ledger, member: str) -> Transaction:
    return ledger.tx("setoff", "revoke_mandate", setoff.RevokeMandate(ledger.addr(member)), member)


def open_run_tx(ledger: Ledger, agency: str = "agency", closes_in_ms: int = 3_600_000,
                planned_fen: int = 0, optimum_fen: int = 0, total_fen: int = 0,
                bound_fen: int = 0) -> Transaction:
    body = setoff.OpenRun(ledger.addr(agency), ledger.time_ms + closes_in_ms, planned_fen,
                          optimum_fen, total_fen, bound_fen)
    return ledger.tx("setoff", "open_run", body, agency)


def open_run(ledger: Ledger, **kwargs) -> bytes:
    tx = open_run_tx(ledger, **kwargs)
    ledger.block(tx)
    return payload_id(tx.payload)


def batch_tx(ledger: Ledger, run_id: bytes, batch_no: int, legs: tuple[Reduction, ...],
             agency: str = "agency") -> Transaction:
    return ledger.tx("setoff", "run_batch",
                     setoff.RunBatch(ledger.addr(agency), run_id, batch_no, legs), agency)


def close_tx(ledger: Ledger, run_id: bytes, agency: str = "agency") -> Transaction:
    return ledger.tx("setoff", "close_run", setoff.CloseRun(ledger.addr(agency), run_id), agency)


def mandated_triangle(**kwargs):
    t = triangle(**kwargs)
    mandate(t.ledger, *TRIANGLE)
    return t, open_run(t.ledger)


def run_of(ledger: Ledger, run_id: bytes) -> setoff.Run:
    found = setoff.get_run(ledger.store, run_id)
    assert found is not None
    return found


# ------------------------------------------------------------------ mandates


def test_a_member_signs_a_mandate_and_a_new_one_replaces_it() -> None:
    ledger = Ledger()
    mandate(ledger, "supplier", max_fen=500_000)
    first = setoff.get_mandate(ledger.store, ledger.addr("supplier"))
    assert first is not None
    assert (first.number, first.max_fen_per_run, first.status) == (1, 500_000, "standing")
    assert setoff.mandate_live(first, ledger.time_ms)
    mandate(ledger, "supplier", max_fen=900_000)
    history = setoff.mandates_of(ledger.store, ledger.addr("supplier"))
    assert [(m.number, m.status, m.max_fen_per_run) for m in history] == [
        (1, "replaced", 500_000), (2, "standing", 900_000)]
    assert history[0].ended_at_ms == ledger.time_ms


def test_a_mandate_clears_at_least_one_fen_and_expires_within_366_days() -> None:
    ledger = Ledger()
    assert ledger.refused(mandate_tx(ledger, "supplier", 0)) == "setoff.bad_mandate"
    assert ledger.refused(mandate_tx(ledger, "supplier", expires_ms=ledger.time_ms)) \
        == "setoff.bad_expiry"
    assert ledger.refused(mandate_tx(
        ledger, "supplier", expires_ms=ledger.time_ms + 1000 + setoff.MAX_MANDATE_MS + 1)) \
        == "setoff.bad_expiry"
    ledger.block(mandate_tx(ledger, "supplier",
                            expires_ms=ledger.time_ms + 1000 + setoff.MAX_MANDATE_MS))


def test_a_member_that_opted_out_signs_no_mandate_and_a_regulator_none_at_all() -> None:
    ledger = Ledger()
    ledger.block(limit_tx(ledger, "supplier", True, None))
    assert ledger.refused(mandate_tx(ledger, "supplier")) == "setoff.opted_out"
    assert ledger.refused(mandate_tx(ledger, "regulator")) == "membership.cannot_hold"


def test_a_member_revokes_its_standing_mandate_once() -> None:
    ledger = Ledger()
    assert ledger.refused(revoke_tx(ledger, "supplier")) == "setoff.no_mandate"
    mandate(ledger, "supplier")
    ledger.block(revoke_tx(ledger, "supplier"))
    revoked = setoff.get_mandate(ledger.store, ledger.addr("supplier"))
    assert revoked is not None and revoked.status == "revoked"
    assert ledger.refused(revoke_tx(ledger, "supplier")) == "setoff.no_mandate"


def test_only_the_member_signs_its_own_mandate() -> None:
    ledger = Ledger()
    body = setoff.SignMandate(ledger.addr("supplier"), 1, ledger.time_ms + DAY_MS)
    assert ledger.refused(ledger.tx("setoff", "mandate", body, "agency")) in (
        "tx.missing_signature", "tx.unexpected_signature")


# ------------------------------------------------------------------ runs


def test_a_run_clears_a_loop_of_mandated_members_at_once() -> None:
    t, run_id = mandated_triangle()
    ledger = t.ledger
    tx = batch_tx(ledger, run_id, 0, t.legs(300_000))
    events = ledger.block(tx)
    assert debts_fen(ledger, t.supplier_owes, t.supplier2_owes) == [0, 200_000]
    assert obligations.get_obligation(ledger.store, t.supplier_owes).status == "cleared"
    remainder = part_id(payload_id(tx.payload), t.voucher, 0)
    assert debts_fen(ledger, remainder) == [700_000]
    run = run_of(ledger, run_id)
    assert (run.batches, run.legs, run.members, run.cleared_fen, run.bilateral_fen) == (
        1, 3, 3, 900_000, 0)
    for member in TRIANGLE:
        usage = setoff.get_usage(ledger.store, run_id, ledger.addr(member))
        assert (usage.cleared_of_fen, usage.cleared_to_fen, usage.batches) == (300_000, 300_000, 1)
        assert run_id in setoff.run_ids_of_member(ledger.store, ledger.addr(member))
    cleared = [e for e in events if e.kind == "setoff.run_cleared"]
    assert sorted(e.parties for e in cleared) == sorted((ledger.addr(m),) for m in TRIANGLE)
    assert all(e.subject == run_id for e in cleared)
    (batch,) = setoff.batches_of_run(ledger.store, run_id)
    assert batch.cleared_fen == 900_000 and {leg.id for leg in batch.legs} == {
        t.voucher, t.supplier_owes, t.supplier2_owes}
    assert setoff.get_run_totals(ledger.store) == setoff.RunTotals(1, 1, 900_000)


def test_a_later_batch_follows_a_voucher_to_the_remainder_an_earlier_one_left() -> None:
    t, run_id = mandated_triangle()
    ledger = t.ledger
    first = batch_tx(ledger, run_id, 0, t.legs(100_000))
    ledger.block(first)
    after_first = part_id(payload_id(first.payload), t.voucher, 0)
    assert setoff.current_voucher_id(ledger.store, run_id, t.voucher) == after_first
    second = batch_tx(ledger, run_id, 1, t.legs(100_000))  # names the voucher as planned
    ledger.block(second)
    after_second = part_id(payload_id(second.payload), after_first, 0)
    assert setoff.current_voucher_id(ledger.store, run_id, t.voucher) == after_second
    live = get_voucher(ledger.store, after_second)
    assert live is not None and (live.amount_fen, live.status) == (800_000, "active")
    assert debts_fen(ledger, t.supplier_owes, t.supplier2_owes) == [100_000, 300_000]
    assert run_of(ledger, run_id).cleared_fen == 600_000


def test_two_mandated_members_are_cleared_both_ways_in_a_run() -> None:
    ledger = Ledger()
    a = owe(ledger, "supplier", "supplier2", 400_000)
    b = owe(ledger, "supplier2", "supplier", 250_000)
    mandate(ledger, "supplier", "supplier2")
    run_id = open_run(ledger)
    ledger.block(batch_tx(ledger, run_id, 0, reductions(("obligation", a, 250_000),
                                                        ("obligation", b, 250_000))))
    assert debts_fen(ledger, a, b) == [150_000, 0]
    assert run_of(ledger, run_id).bilateral_fen == 500_000


def test_a_batch_that_changes_a_net_position_is_refused() -> None:
    t, run_id = mandated_triangle()
    ledger = t.ledger
    legs = reductions(("voucher", t.voucher, 300_000), ("obligation", t.supplier_owes, 300_000),
                      ("obligation", t.supplier2_owes, 200_000))
    assert ledger.refused(batch_tx(ledger, run_id, 0, legs)) == "setoff.net_changed"


def test_a_batch_of_a_member_without_a_mandate_is_refused() -> None:
    t = triangle()
    mandate(t.ledger, "core", "supplier")
    run_id = open_run(t.ledger)
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1))) == "setoff.no_mandate"


def test_a_batch_of_a_member_whose_mandate_expired_is_refused() -> None:
    t = triangle()
    mandate(t.ledger, "core", "supplier")
    mandate(t.ledger, "supplier2", expires_ms=t.ledger.time_ms + 1500)
    run_id = open_run(t.ledger)  # one second later: the mandate stands half a second more
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1))) == "setoff.mandate_expired"


def test_a_batch_of_a_member_that_revoked_its_mandate_is_refused() -> None:
    t, run_id = mandated_triangle()
    t.ledger.block(revoke_tx(t.ledger, "supplier2"))
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1))) == "setoff.mandate_revoked"


def test_a_run_clears_at_most_a_member_s_limit_over_all_its_batches() -> None:
    t = triangle()
    mandate(t.ledger, "core", "supplier")
    mandate(t.ledger, "supplier2", max_fen=150_000)
    run_id = open_run(t.ledger)
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(150_001))) \
        == "setoff.over_mandate"
    t.ledger.block(batch_tx(t.ledger, run_id, 0, t.legs(100_000)))
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 1, t.legs(50_001))) \
        == "setoff.over_mandate"
    t.ledger.block(batch_tx(t.ledger, run_id, 1, t.legs(50_000)))
    # The limit is per run: the next run may clear as much again.
    now = setoff.current_voucher_id(t.ledger.store, run_id, t.voucher)
    t.ledger.block(close_tx(t.ledger, run_id))
    next_run = open_run(t.ledger)
    t.ledger.block(batch_tx(t.ledger, next_run, 0, reductions(
        ("voucher", now, 100_000), ("obligation", t.supplier_owes, 100_000),
        ("obligation", t.supplier2_owes, 100_000))))


def test_a_member_that_opted_out_after_its_mandate_is_not_in_a_run() -> None:
    t, run_id = mandated_triangle()
    t.ledger.block(limit_tx(t.ledger, "supplier", True, None))
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1))) == "setoff.opted_out"


def test_a_batch_number_is_used_once() -> None:
    t, run_id = mandated_triangle()
    t.ledger.block(batch_tx(t.ledger, run_id, 7, t.legs(1)))
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 7, t.legs(1))) == "setoff.batch_done"
    t.ledger.block(batch_tx(t.ledger, run_id, 2, t.legs(1)))
    run = run_of(t.ledger, run_id)
    assert (run.batches, run.next_batch_no) == (2, 8)  # where a continued run numbers on


def test_a_closed_or_timed_out_run_takes_no_batch() -> None:
    t, run_id = mandated_triangle()
    t.ledger.block(close_tx(t.ledger, run_id))
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1))) == "setoff.run_closed"
    assert t.ledger.refused(close_tx(t.ledger, run_id)) == "setoff.run_closed"
    short = open_run(t.ledger, closes_in_ms=1500)
    assert t.ledger.refused(batch_tx(t.ledger, short, 0, t.legs(1))) == "setoff.run_closed"
    assert setoff.open_run_id(t.ledger.store, t.ledger.time_ms + 1000) is None
    open_run(t.ledger)  # the timed-out run does not stand in the way of the next


def test_one_run_at_a_time_opened_by_an_agency_within_a_day() -> None:
    t, run_id = mandated_triangle()
    assert t.ledger.refused(open_run_tx(t.ledger)) == "setoff.run_open"
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1), agency="agency2")) \
        == "setoff.not_run_agency"
    t.ledger.block(close_tx(t.ledger, run_id))
    assert t.ledger.refused(open_run_tx(t.ledger, agency="supplier")) == "membership.missing_role"
    assert t.ledger.refused(open_run_tx(t.ledger, closes_in_ms=setoff.MAX_RUN_MS + 1001)) \
        == "setoff.bad_deadline"
    assert t.ledger.refused(open_run_tx(t.ledger, planned_fen=2, optimum_fen=1, total_fen=5)) \
        == "setoff.bad_figures"
    assert t.ledger.refused(batch_tx(t.ledger, bytes(32), 0, t.legs(1))) == "setoff.unknown_run"


def test_a_batch_keeps_the_round_rules_of_every_leg() -> None:
    t, run_id = mandated_triangle()
    ledger = t.ledger
    assert ledger.refused(batch_tx(ledger, run_id, 0, t.legs(300_001))) == "setoff.over_amount"
    assert ledger.refused(batch_tx(ledger, run_id, 0, t.legs(0))) == "setoff.bad_amount"
    legs = t.legs(1)
    assert ledger.refused(batch_tx(ledger, run_id, 0, legs[::-1])) == "setoff.unsorted"
    pending = submit_tx(ledger, "supplier3", "supplier", 5)
    ledger.block(pending)
    stray = reductions(*(("obligation" if r.kind == "obligation" else "voucher", r.id, 1)
                         for r in legs), ("obligation", payload_id(pending.payload), 1))
    assert ledger.refused(batch_tx(ledger, run_id, 0, stray)) == "obligation.not_live"
    ledger.block(pledge_tx(ledger, t.voucher))
    assert ledger.refused(batch_tx(ledger, run_id, 0, t.legs(1))) == "voucher.pledged"


def test_a_debt_in_an_open_round_is_not_in_a_run() -> None:
    t = triangle()
    propose(t.ledger, t.legs(100_000))
    mandate(t.ledger, *TRIANGLE)
    run_id = open_run(t.ledger)
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, t.legs(1))) == "setoff.in_open_round"


def test_a_batch_holds_at_most_max_run_legs() -> None:
    ledger = Ledger()
    mandate(ledger, "supplier")
    run_id = open_run(ledger)
    too_many = tuple(Reduction("obligation", i.to_bytes(32, "big"), 1)
                     for i in range(1, setoff.MAX_RUN_LEGS + 2))
    with pytest.raises(CodecError) as encoding:
        batch_tx(ledger, run_id, 0, too_many)  # a signer cannot even build it
    assert encoding.value.code == "codec.size"
    with pytest.raises(Rejected) as checking:
        setoff.check_run_batch(ledger.store, run_id, ledger.time_ms, too_many)
    assert checking.value.code == "setoff.size"


# ------------------------------------------------------------------ properties

MEMBERS = ("core", "supplier", "supplier2", "supplier3", "merchant", "acquirer")


@st.composite
def debts_and_cycles(draw):
    """Random debts among six members and random loops over them, each loop a chain of
    debt indices (a loop's arc reuses a debt of its pair when one exists, or adds one)."""
    debts = draw(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5),
                                    st.integers(1, 1_000)).filter(lambda d: d[0] != d[1]),
                          max_size=8))
    cycles = []
    for _ in range(draw(st.integers(0, 6))):
        loop = draw(st.lists(st.integers(0, 5), min_size=2, max_size=6, unique=True))
        chain = []
        for a, b in zip(loop, loop[1:] + loop[:1], strict=True):
            same = [i for i, (d, c, _) in enumerate(debts) if (d, c) == (a, b)]
            if same and draw(st.booleans()):
                chain.append(draw(st.sampled_from(same)))
            else:
                debts.append((a, b, draw(st.integers(1, 1_000))))
                chain.append(len(debts) - 1)
        cycles.append((chain, draw(st.integers(1, 400))))
    batches = draw(st.integers(1, 4))
    return debts, cycles, batches


def _closed(debts: list[tuple[int, int, int]], chain: list[int]) -> bool:
    """Whether the debts named by `chain`, in order, close a loop debtor→creditor→…."""
    return all(debts[chain[i]][1] == debts[chain[(i + 1) % len(chain)]][0]
               for i in range(len(chain)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(debts_and_cycles())
def test_a_run_clears_exactly_its_batches_and_keeps_every_net_position(case) -> None:
    debts, cycles, batch_count = case
    ledger = Ledger()
    ids = [owe(ledger, MEMBERS[d], MEMBERS[c], fen) for d, c, fen in debts]
    mandate(ledger, *MEMBERS)
    run_id = open_run(ledger)
    owed = {i: fen for i, (_, _, fen) in enumerate(debts)}

    def net() -> dict[bytes, int]:
        position: dict[bytes, int] = defaultdict(int)
        for obligation_id in obligations.live_ids(ledger.store):
            o = obligations.get_obligation(ledger.store, obligation_id)
            position[o.creditor] += o.amount_fen
            position[o.debtor] -= o.amount_fen
        return {m: v for m, v in position.items() if v}

    before = net()
    cleared_total = 0
    loops = [(chain, fen) for chain, fen in cycles if _closed(debts, chain)]
    assert len(loops) == len(cycles)
    for batch_no in range(batch_count):
        batch: dict[int, int] = defaultdict(int)
        for chain, fen in loops[batch_no::batch_count]:
            if all(owed[i] - batch[i] >= fen for i in chain):
                for i in chain:
                    batch[i] += fen
        batch = {i: fen for i, fen in batch.items() if fen}
        if not batch:
            continue
        legs = reductions(*(("obligation", ids[i], fen) for i, fen in batch.items()))
        ledger.block(batch_tx(ledger, run_id, batch_no, legs))
        for i, fen in batch.items():
            owed[i] -= fen
        cleared_total += sum(batch.values())
        assert net() == before  # every prefix of the run keeps each net position
        assert debts_fen(ledger, *ids) == [owed[i] for i in range(len(ids))]
    assert run_of(ledger, run_id).cleared_fen == cleared_total
    # A batch that is not a circulation changes nothing.
    live = [i for i in range(len(ids)) if owed[i] > 0]
    if live:
        assert ledger.refused(batch_tx(ledger, run_id, 99, reductions(
            ("obligation", ids[live[0]], 1)))) == "setoff.net_changed"
    assert debts_fen(ledger, *ids) == [owed[i] for i in range(len(ids))]


def test_a_voucher_held_by_its_own_debtor_is_no_debt_to_clear() -> None:
    t, run_id = mandated_triangle()
    # Written straight into the state: a claim that came back to its debtor (an enforcing
    # bank or an acquirer that is the debtor) is the case the rule guards.
    held = get_voucher(t.ledger.store, t.voucher)
    t.ledger.store.items[vouchers.voucher_key(t.voucher)] = encode(
        replace(held, holder=held.debtor))
    assert t.ledger.refused(batch_tx(t.ledger, run_id, 0, reductions(
        ("voucher", t.voucher, 1)))) == "setoff.self_debt"
