"""The driver: checking what arrives, turning it into core inputs, signing through the guard."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import replace

import pytest

from consensus.certificate import PRECOMMIT, PREVOTE, make_certificate, verify_certificate
from consensus.core import Step, TimeoutKind
from consensus.driver import (
    ROUND_HORIZON,
    Action,
    Broadcast,
    Commit,
    Decided,
    Driver,
    EnteredRound,
    EquivocationFound,
    ProposeValue,
    Rejected,
    RequestValue,
    StartTimer,
    Timeout,
    ValidateValue,
    Validity,
)
from consensus.guard import SigningGuard
from consensus.messages import (
    NIL,
    MessageError,
    Proposal,
    Vote,
    decode_message,
    encode_message,
)
from consensus.sim import sim_signer, sim_verify
from consensus.timeouts import TimeoutConfig
from consensus.validators import ValidatorSet
from consensus.wal import MemoryWal

CHAIN = "driver-test"
KEYS = sorted(hashlib.sha256(b"driver-%d" % i).digest() for i in range(4))
VALIDATORS = ValidatorSet.from_powers({k: 1 for k in KEYS})
V = b"\x0a" * 32
W = b"\x0c" * 32


def value_for(height: int, round_: int) -> bytes:
    return hashlib.sha256(b"value %d %d" % (height, round_)).digest()


def make_driver(key: bytes | None, height: int = 1, wal: MemoryWal | None = None) -> Driver:
    guard = None
    if key is not None:
        guard = SigningGuard(CHAIN, sim_signer(key), wal if wal is not None else MemoryWal())
    return Driver(
        chain_id=CHAIN, validators=VALIDATORS, verify=sim_verify, height=height, me=key,
        guard=guard,
    )


def signed_vote(key: bytes, type_: int, height: int, round_: int, value: bytes) -> Vote:
    unsigned = Vote(type_, height, round_, value, key, b"")
    return replace(unsigned, signature=sim_signer(key)(unsigned.sign_bytes(CHAIN)))


def signed_proposal(height: int, round_: int, value: bytes, pol_round: int = -1) -> Proposal:
    key = VALIDATORS.proposer(height, round_)
    unsigned = Proposal(height, round_, value, pol_round, key, b"")
    return replace(unsigned, signature=sim_signer(key)(unsigned.sign_bytes(CHAIN)))


class Network:
    """Validators wired together without loss; the application answers at once."""

    def __init__(self, follower: bool = False) -> None:
        self.drivers = [make_driver(k) for k in KEYS]
        if follower:
            self.drivers.append(make_driver(None))
        self.queue: deque = deque()
        self.decided: list[list[Decided]] = [[] for _ in self.drivers]
        self.timers: list[list[StartTimer]] = [[] for _ in self.drivers]

    def start(self) -> None:
        for i, driver in enumerate(self.drivers):
            self.carry_out(i, driver.start())

    def carry_out(self, i: int, actions: list[Action]) -> None:
        for action in actions:
            match action:
                case Broadcast(message=m):
                    self.queue.extend((j, m) for j in range(len(self.drivers)) if j != i)
                case RequestValue(height=h, round=r):
                    self.queue.append((i, ProposeValue(h, r, value_for(h, r))))
                case ValidateValue(height=h, value_id=v):
                    self.queue.append((i, Validity(h, v, True)))
                case Decided():
                    self.decided[i].append(action)
                case StartTimer():
                    self.timers[i].append(action)

    def run(self, until_height: int) -> None:
        for _ in range(100_000):
            if all(d.height >= until_height for d in self.drivers) or not self.queue:
                return
            i, event = self.queue.popleft()
            self.carry_out(i, self.drivers[i].handle(event))
        raise AssertionError("the network did not settle")


def test_four_validators_decide_the_same_values_with_certificates():
    net = Network()
    net.start()
    net.run(until_height=4)
    for decided in net.decided:
        assert [(d.height, d.value_id) for d in decided[:3]] == [
            (h, value_for(h, 0)) for h in (1, 2, 3)
        ]
        for d in decided:
            verify_certificate(
                d.certificate, CHAIN, d.height, d.value_id, VALIDATORS.powers, sim_verify
            )


def test_a_follower_without_a_key_decides_by_watching():
    net = Network(follower=True)
    net.start()
    net.run(until_height=3)
    follower = net.decided[-1]
    assert [d.value_id for d in follower[:2]] == [value_for(1, 0), value_for(2, 0)]


def test_timeouts_are_asked_for_with_durations_growing_by_round():
    config = TimeoutConfig(propose_ms=100, propose_delta_ms=10, max_ms=125)
    assert config.duration_ms(TimeoutKind.PROPOSE, 0) == 100
    assert config.duration_ms(TimeoutKind.PROPOSE, 2) == 120
    assert config.duration_ms(TimeoutKind.PROPOSE, 9) == 125  # the ceiling
    driver = make_driver(KEYS[3])
    actions = driver.start()
    assert StartTimer(Timeout(TimeoutKind.PROPOSE, 1, 0), 3000) in actions


def test_a_vote_with_a_bad_signature_is_dropped_and_reported():
    driver = make_driver(KEYS[0])
    driver.start()
    vote = signed_vote(KEYS[1], PREVOTE, 1, 0, V)
    bad = replace(vote, signature=bytes(64))
    assert driver.handle(bad) == [Rejected(bad, "consensus.bad_signature")]
    assert driver._keeper.power(0, PREVOTE) == 0


def test_a_vote_signed_for_another_chain_is_dropped():
    driver = make_driver(KEYS[0])
    driver.start()
    unsigned = Vote(PREVOTE, 1, 0, V, KEYS[1], b"")
    other_chain = replace(unsigned, signature=sim_signer(KEYS[1])(unsigned.sign_bytes("other")))
    assert driver.handle(other_chain) == [Rejected(other_chain, "consensus.bad_signature")]


def test_a_proposal_from_someone_not_the_proposer_is_dropped():
    driver = make_driver(KEYS[0])
    driver.start()
    impostor = next(k for k in KEYS if k != VALIDATORS.proposer(1, 0))
    unsigned = Proposal(1, 0, V, -1, impostor, b"")
    p = replace(unsigned, signature=sim_signer(impostor)(unsigned.sign_bytes(CHAIN)))
    assert driver.handle(p) == [Rejected(p, "consensus.wrong_proposer")]


def test_a_vote_from_a_stranger_is_dropped():
    driver = make_driver(KEYS[0])
    driver.start()
    stranger = hashlib.sha256(b"stranger").digest()
    vote = signed_vote(stranger, PREVOTE, 1, 0, V)
    assert driver.handle(vote) == [Rejected(vote, "consensus.unknown_validator")]


def test_a_proposal_is_validated_once_then_prevoted():
    driver = make_driver(KEYS[0])
    driver.start()
    p = signed_proposal(1, 0, V)
    assert driver.handle(p) == [ValidateValue(1, 0, V)]
    assert driver.handle(p) == []  # a duplicate asks nothing again
    actions = driver.handle(Validity(1, V, True))
    votes = [a.message for a in actions if isinstance(a, Broadcast)]
    assert [(v.type, v.value_id) for v in votes] == [(PREVOTE, V)]


def test_an_invalid_proposal_is_prevoted_nil():
    driver = make_driver(KEYS[0])
    driver.start()
    driver.handle(signed_proposal(1, 0, V))
    actions = driver.handle(Validity(1, V, False))
    votes = [a.message for a in actions if isinstance(a, Broadcast)]
    assert [(v.type, v.value_id) for v in votes] == [(PREVOTE, NIL)]


def test_a_second_proposal_from_the_proposer_is_evidence():
    driver = make_driver(KEYS[0])
    driver.start()
    driver.handle(signed_proposal(1, 0, V))
    second = signed_proposal(1, 0, W)
    actions = driver.handle(second)
    assert any(isinstance(a, EquivocationFound) for a in actions)


def test_a_commit_certificate_from_elsewhere_decides_and_moves_on():
    driver = make_driver(KEYS[0])
    driver.start()
    cert = make_certificate(CHAIN, 1, 3, V, {k: sim_signer(k) for k in KEYS[1:]})
    actions = driver.handle(Commit(cert))
    assert Decided(1, 3, V, cert) in actions
    assert driver.height == 2
    assert any(isinstance(a, EnteredRound) and a.height == 2 for a in actions)


def test_a_certificate_without_a_quorum_is_refused():
    driver = make_driver(KEYS[0])
    driver.start()
    cert = make_certificate(CHAIN, 1, 0, V, {k: sim_signer(k) for k in KEYS[1:3]})
    assert driver.handle(Commit(cert)) == [Rejected(cert, "certificate.no_quorum")]
    assert driver.height == 1


def test_precommits_from_any_round_decide_once_the_value_is_judged_valid():
    driver = make_driver(KEYS[0])
    driver.start()
    asked = []
    for key in KEYS[1:]:
        asked += driver.handle(signed_vote(key, PRECOMMIT, 1, 2, V))
    assert ValidateValue(1, 2, V) in asked  # L49 needs valid(v), even without a proposal
    actions = driver.handle(Validity(1, V, True))
    decided = [a for a in actions if isinstance(a, Decided)]
    assert [(d.height, d.round, d.value_id) for d in decided] == [(1, 2, V)]
    assert len(decided[0].certificate.precommits) == 3


def test_f_plus_one_votes_from_a_higher_round_move_there():
    driver = make_driver(KEYS[0])
    driver.start()
    driver.handle(signed_vote(KEYS[1], PREVOTE, 1, 3, NIL))
    assert driver.round == 0
    driver.handle(signed_vote(KEYS[2], PREVOTE, 1, 3, NIL))
    assert driver.round == 3  # L55


def test_votes_beyond_the_round_horizon_are_not_kept_but_still_pull_the_round():
    driver = make_driver(KEYS[0])
    driver.start()
    far = ROUND_HORIZON + 5
    driver.handle(signed_vote(KEYS[1], PREVOTE, 1, far, NIL))
    assert driver._keeper.power(far, PREVOTE) == 0
    driver.handle(signed_vote(KEYS[2], PREVOTE, 1, far, NIL))
    assert driver.round == far


def test_votes_for_the_next_height_wait_for_it():
    driver = make_driver(KEYS[0])
    driver.start()
    early = [signed_vote(k, PRECOMMIT, 2, 0, W) for k in KEYS[1:]]
    for vote in early:
        assert driver.handle(vote) == []
    cert = make_certificate(CHAIN, 1, 0, V, {k: sim_signer(k) for k in KEYS[1:]})
    actions = driver.handle(Commit(cert))
    assert ValidateValue(2, 0, W) in actions  # the buffered precommits reached a quorum
    assert driver.height == 2
    actions = driver.handle(Validity(2, W, True))
    assert [a.height for a in actions if isinstance(a, Decided)] == [2]


def restarted_after(*signed: tuple) -> tuple[Driver, list[Action]]:
    """A validator that signed `signed` (guard calls), crashed and started again."""
    wal = MemoryWal()
    guard = SigningGuard(CHAIN, sim_signer(KEYS[0]), wal)
    for method, *args in signed:
        getattr(guard, method)(*args)
    driver = make_driver(KEYS[0], height=1, wal=MemoryWal(bytes(wal.data)))
    return driver, driver.start()


def test_a_restarted_validator_resumes_its_step_keeps_its_lock_and_resends_its_votes():
    driver, actions = restarted_after(
        ("sign_vote", PREVOTE, 1, 0, V), ("sign_vote", PRECOMMIT, 1, 0, V)
    )
    assert (driver.round, driver.state.step) == (0, Step.PRECOMMIT)
    assert driver.state.locked_value == V
    sent = [a.message for a in actions if isinstance(a, Broadcast)]
    assert sent == [
        signed_vote(KEYS[0], PREVOTE, 1, 0, V), signed_vote(KEYS[0], PRECOMMIT, 1, 0, V)
    ]
    # L65 takes it to round 1, where, locked on V, it prevotes nil for a fresh W (L26).
    driver.handle(Timeout(TimeoutKind.PRECOMMIT, 1, 0))
    assert driver.round == 1
    driver.handle(signed_proposal(1, 1, W))
    actions = driver.handle(Validity(1, W, True))
    votes = [a.message for a in actions if isinstance(a, Broadcast)]
    assert [(v.type, v.round, v.value_id) for v in votes] == [(PREVOTE, 1, NIL)]


def test_a_restarted_validator_can_still_show_the_polka_its_lock_rests_on():
    driver = make_driver(KEYS[0])
    driver.start()
    driver.handle(signed_proposal(1, 0, V))
    driver.handle(Validity(1, V, True))
    for key in KEYS[1:3]:
        driver.handle(signed_vote(key, PREVOTE, 1, 0, V))
    assert driver.state.locked_value == V  # L36, with its own prevote and two others
    wal = driver._guard._wal
    restarted = make_driver(KEYS[0], height=1, wal=MemoryWal(bytes(wal.data)))
    restarted.start()
    shown = [b.message for b in restarted.rebroadcast()]
    polka = {m.validator for m in shown if isinstance(m, Vote) and m.type == PREVOTE}
    assert polka == set(KEYS[:3])


def test_a_validator_restarted_after_prevoting_can_still_precommit_that_round():
    driver, _ = restarted_after(("sign_vote", PREVOTE, 1, 0, V))
    assert (driver.round, driver.state.step) == (0, Step.PREVOTE)
    driver.handle(signed_proposal(1, 0, V))
    driver.handle(Validity(1, V, True))
    actions = []
    for key in KEYS[1:3]:
        actions += driver.handle(signed_vote(key, PREVOTE, 1, 0, V))
    votes = [a.message for a in actions if isinstance(a, Broadcast)]
    assert [(v.type, v.value_id) for v in votes] == [(PRECOMMIT, V)]  # L36
    assert driver.state.locked_value == V


def test_a_proposer_restarted_after_proposing_sends_the_same_proposal_and_waits():
    key = VALIDATORS.proposer(1, 3)
    wal = MemoryWal()
    guard = SigningGuard(CHAIN, sim_signer(key), wal)
    guard.sign_proposal(1, 3, V, -1)
    driver = make_driver(key, height=1, wal=MemoryWal(bytes(wal.data)))
    actions = driver.start()
    assert Broadcast(signed_proposal(1, 3, V)) in actions
    assert StartTimer(Timeout(TimeoutKind.PROPOSE, 1, 3), 4500) in actions
    # Its own proposal counts as valid: it prevotes it at once (L24).
    votes = [a.message for a in actions if isinstance(a, Broadcast) and isinstance(a.message, Vote)]
    assert [(v.type, v.round, v.value_id) for v in votes] == [(PREVOTE, 3, V)]


def test_a_validator_whose_log_is_ahead_of_its_store_signs_nothing_there():
    wal = MemoryWal()
    SigningGuard(CHAIN, sim_signer(KEYS[0]), wal).sign_vote(PREVOTE, 5, 0, NIL)
    driver = make_driver(KEYS[0], height=4, wal=MemoryWal(bytes(wal.data)))
    driver.start()
    actions = driver.handle(Timeout(TimeoutKind.PROPOSE, 4, 0))
    assert not any(isinstance(a, Broadcast) for a in actions)
    assert driver.state.step is Step.PREVOTE


def test_rebroadcast_repeats_own_messages_and_the_polka_behind_the_valid_value():
    net = Network()
    net.start()
    # Deliver only prevotes: everyone locks in round 0, nobody sees precommits.
    while net.queue:
        i, event = net.queue.popleft()
        if isinstance(event, Vote) and event.type == PRECOMMIT:
            continue
        net.carry_out(i, net.drivers[i].handle(event))
    driver = net.drivers[0]
    assert driver.state.locked_value == value_for(1, 0)
    again = [b.message for b in driver.rebroadcast()]
    prevotes = [m for m in again if isinstance(m, Vote) and m.type == PREVOTE]
    assert {m.validator for m in prevotes} == set(KEYS)


def test_messages_round_trip_through_the_wire_and_malformed_ones_are_refused():
    vote = signed_vote(KEYS[1], PRECOMMIT, 7, 2, NIL)
    proposal = signed_proposal(7, 2, V, pol_round=1)
    assert decode_message(encode_message(vote)) == vote
    assert decode_message(encode_message(proposal)) == proposal
    for junk in (b"", b"\xc1", encode_message(vote)[:-3], b"\x93\x01\x02\x03"):
        with pytest.raises(MessageError) as e:
            decode_message(junk)
        assert e.value.code == "consensus.malformed"
    with pytest.raises(MessageError) as e:
        decode_message(bytes(600))
    assert e.value.code == "consensus.too_large"


def test_a_malformed_message_is_dropped_and_reported_not_a_crash():
    driver = make_driver(KEYS[0])
    driver.start()
    vote = signed_vote(KEYS[1], PREVOTE, 1, 0, V)
    for bad in (
        replace(vote, type=3), replace(vote, type=True), replace(vote, value_id=b"short"),
        replace(vote, round=-1), replace(vote, signature=b""),
    ):
        assert driver.handle(bad) == [Rejected(bad, "consensus.malformed")]
    proposal = signed_proposal(1, 0, V)
    for bad in (replace(proposal, value_id=NIL), replace(proposal, pol_round=0)):
        assert driver.handle(bad) == [Rejected(bad, "consensus.malformed")]


# ------------------------------------------------------------------ changing sets


def test_a_validator_outside_a_height_s_set_signs_nothing_there_and_votes_where_it_is_in() -> None:
    """The set of height 2 drops KEYS[0] and adds a key of a fifth validator: at height 1
    KEYS[0] prevotes, at height 2 it follows, and votes of height 2 are checked against
    the set of height 2 (the newcomer's count, KEYS[0]'s are unknown)."""
    newcomer = hashlib.sha256(b"driver-new").digest()
    later = ValidatorSet.from_powers({k: 1 for k in (*KEYS[1:], newcomer)})

    def validators_at(height: int) -> ValidatorSet:
        return VALIDATORS if height < 2 else later

    def driver(height: int) -> Driver:
        guard = SigningGuard(CHAIN, sim_signer(KEYS[0]), MemoryWal())
        return Driver(chain_id=CHAIN, validators=validators_at, verify=sim_verify,
                      height=height, me=KEYS[0], guard=guard)

    first = driver(1)
    first.start()
    assert first.votes_here and first.validators == VALIDATORS
    out = first.handle(Timeout(TimeoutKind.PROPOSE, 1, 0))
    assert any(isinstance(a, Broadcast) and isinstance(a.message, Vote) for a in out)
    # A vote of height 2 by the newcomer is buffered, not refused: it is in height 2's set.
    early = first.handle(signed_vote(newcomer, PREVOTE, 2, 0, NIL))
    assert not any(isinstance(a, Rejected) for a in early)
    removed = first.handle(signed_vote(KEYS[0], PREVOTE, 2, 0, NIL))
    assert [a.code for a in removed if isinstance(a, Rejected)] == \
        ["consensus.unknown_validator"]

    second = driver(2)
    second.start()
    assert not second.votes_here and second.validators == later
    out = second.handle(Timeout(TimeoutKind.PROPOSE, 2, 0))
    assert not any(isinstance(a, Broadcast) for a in out)  # it follows: signs nothing
    # It still decides with the others: a certificate of height 2's set.
    value = value_for(2, 0)
    cert = make_certificate(CHAIN, 2, 0, value, {k: sim_signer(k) for k in later.powers
                                                  if k != KEYS[1]})
    decided = second.handle(Commit(cert))
    assert [a.height for a in decided if isinstance(a, Decided)] == [2]
