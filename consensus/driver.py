"""The driver: one validator's consensus, events in and actions out, no I/O.

A node feeds the driver what happens — proposals and votes from peers, timeouts that
fired, the application's answers, certificates from block sync — and carries out the
actions it returns, in order: broadcast, start a timer, build or validate a value, store
a decision. The driver checks every message (validator, proposer, bounds, signature)
before it counts, keeps the votes of the current height in a `VoteKeeper`, remembers the
proposals and the application's validity answers, and turns all of it into the abstract
inputs of the core (`consensus.core.apply`). Everything it signs goes through a
`SigningGuard`, which writes to its log before signing.

The paper's "upon" clauses are conditions over everything received. They can become
true when a message arrives, when the application answers, or when the core's own step
changes, so after each event the driver evaluates them all again (`_next_input`) until
none applies; "for the first time" is remembered per (line, round).

The validator set may change from one height to the next (a registry applied in the
ledger, in force two heights later): the driver is given the set of each height
(`validators`: a set for all heights, or a function height -> set) and asks it for the
current height and, for messages it buffers, the next. A validator that is not in the
set of a height follows it (votes nothing, proposes nothing) and takes part again at a
height whose set holds its key.

Bounds: votes are kept for the current height only; messages from rounds beyond
`round + round_horizon` are not stored (their round still counts for the skip rule);
at most `MAX_PROPOSALS_PER_ROUND` proposals per round are kept; messages for the next
height wait in a buffer of bounded size; everything older is dropped.

How a node drives it:
1. Open its signing log (`FileWal`) and guard, and build the driver at the height after
   its last stored block; `start()`. After a crash the guard's log puts the driver back
   at the round and step it had signed last, with its lock, and resends that message.
2. Feed `Proposal` and `Vote` from peers (`messages.decode_message`), `Timeout` when a
   timer fires, `ProposeValue` once it has built what `RequestValue` asked for,
   `Validity` once it has executed what `ValidateValue` named (fetching the block if it
   only has the id), `Commit` when block sync brings a certificate for this height.
3. Carry out the actions in order. `Decided` means: write the block with its
   certificate, synced, before anything after it. `Broadcast` messages are already in
   the signing log. `Rejected`, `EquivocationFound` and `SigningRefused` are reports.
4. While no block is decided, send `rebroadcast()` again every so often.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consensus import core
from consensus.certificate import (
    PRECOMMIT,
    PREVOTE,
    Certificate,
    CertificateError,
    Verifier,
    verify_certificate,
)
from consensus.core import Step, TimeoutKind
from consensus.guard import PROPOSAL_STEP, SigningGuard, SignRefused
from consensus.keeper import Equivocation, Reached, Threshold, VoteKeeper
from consensus.messages import (
    NIL,
    Message,
    Proposal,
    Vote,
    decode_votes,
    encode_votes,
    well_formed,
)
from consensus.timeouts import TimeoutConfig
from consensus.validators import ValidatorSet

ROUND_HORIZON = 8
MAX_PROPOSALS_PER_ROUND = 4
MAX_STEPS_PER_EVENT = 256  # each step moves the core or marks a rule fired; far fewer occur

# ---------------------------------------------------------------------------------------
# Events: what the node feeds in (besides Proposal and Vote messages from peers).
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeout:
    """A timer the driver asked for has fired."""

    kind: TimeoutKind
    height: int
    round: int


@dataclass(frozen=True)
class ProposeValue:
    """The application's answer to `RequestValue`: the id of the value it built."""

    height: int
    round: int
    value_id: bytes


@dataclass(frozen=True)
class Validity:
    """The application's answer to `ValidateValue`, for this height."""

    height: int
    value_id: bytes
    valid: bool


@dataclass(frozen=True)
class Commit:
    """A commit certificate for the current height from elsewhere (block sync, a peer)."""

    certificate: Certificate


Event = Proposal | Vote | Timeout | ProposeValue | Validity | Commit

# ---------------------------------------------------------------------------------------
# Actions: what the node carries out, in order.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast:
    """Send this signed message to every validator. It is already in the signing log."""

    message: Message


@dataclass(frozen=True)
class StartTimer:
    """Feed `timeout` back after `duration_ms`. Stale timeouts are harmless."""

    timeout: Timeout
    duration_ms: int


@dataclass(frozen=True)
class RequestValue:
    """Build a value to propose at (height, round); answer with `ProposeValue`."""

    height: int
    round: int


@dataclass(frozen=True)
class ValidateValue:
    """Judge the value with this id; answer with `Validity`. Asked once per value and
    height; the answer holds for every round of the height."""

    height: int
    round: int
    value_id: bytes


@dataclass(frozen=True)
class Decided:
    """The value is decided: store it with its certificate before anything that follows."""

    height: int
    round: int
    value_id: bytes
    certificate: Certificate


@dataclass(frozen=True)
class EnteredRound:
    height: int
    round: int
    proposer: bytes


@dataclass(frozen=True)
class Rejected:
    """A message was dropped for a stable `code` (bad signature, wrong proposer, ...)."""

    message: Message | Certificate
    code: str


@dataclass(frozen=True)
class EquivocationFound:
    evidence: Equivocation


@dataclass(frozen=True)
class SigningRefused:
    """The guard would not sign: this validator signed something else there before."""

    code: str
    message: str


Action = (
    Broadcast | StartTimer | RequestValue | ValidateValue | Decided | EnteredRound
    | Rejected | EquivocationFound | SigningRefused
)


ValidatorsAt = Callable[[int], ValidatorSet]  # height -> the set in force there


class Driver:
    def __init__(
        self,
        *,
        chain_id: str,
        validators: ValidatorSet | ValidatorsAt,
        verify: Verifier,
        height: int,
        timeouts: TimeoutConfig | None = None,
        me: bytes | None = None,
        guard: SigningGuard | None = None,
        round_horizon: int = ROUND_HORIZON,
    ) -> None:
        """`me` and `guard` make a validator; without them the driver only follows.
        `validators`: the set of every height, or the set of each height (known for the
        current height and the next; a function of the height)."""
        assert (me is None) == (guard is None), "a validator needs its key and its guard"
        assert round_horizon >= 1
        self.chain_id = chain_id
        if isinstance(validators, ValidatorSet):
            fixed = validators
            self._validators_at: ValidatorsAt = lambda height: fixed
        else:
            self._validators_at = validators
        self._verify = verify
        self._timeouts = timeouts or TimeoutConfig()
        self.me = me
        self._guard = guard
        self._horizon = round_horizon
        self._next_height: list[Message] = []
        self._started = False
        self._reset(height)

    # -- what the node reads ------------------------------------------------------------

    @property
    def state(self) -> core.State:
        return self._state

    @property
    def height(self) -> int:
        return self._state.height

    @property
    def validators(self) -> ValidatorSet:
        """The validator set of the current height."""
        return self._validators

    @property
    def votes_here(self) -> bool:
        """This validator signs at the current height (its key is in the height's set)."""
        return self.me is not None and self.me in self._validators

    @property
    def round(self) -> int:
        return self._state.round

    def rebroadcast(self) -> list[Broadcast]:
        """What to send again while waiting: this validator's own messages of the current
        and the previous round, and the polka behind its valid value. The paper assumes
        every message a correct validator received reaches all of them eventually; these
        are the ones progress needs (a validator locked on a value only unlocks on seeing
        a later polka, L28-L30)."""
        own = [Broadcast(m) for m in self._own if m.round >= self._state.round - 1]
        return own + [Broadcast(v) for v in self._valid_polka()]

    def _valid_polka(self) -> tuple[Vote, ...]:
        s = self._state
        if s.valid_value is None:
            return ()
        return self._keeper.votes(s.valid_round, PREVOTE, s.valid_value)

    # -- what the node feeds in ---------------------------------------------------------

    def start(self) -> list[Action]:
        """Begin at the height given (L10), or, after a restart, where the log says."""
        assert not self._started
        self._started = True
        out: list[Action] = []
        if self._guard is not None:
            self._resume(self._guard, out)
        self._advance(out)
        return out

    def _resume(self, guard: SigningGuard, out: list[Action]) -> None:
        """Take up the round and step of the last message signed at this height, with
        the lock (the last precommit for a value) and its polka, and send what was signed
        in the last rounds again: it may never have left, and the others may need it to
        finish the round (the paper assumes every message sent is delivered)."""
        last = guard.last
        if last is None or last.height != self.height:
            return  # a fresh height: round 0 (or a log ahead of the store: sign nothing)
        lock = guard.lock(self.height)
        locked_round, locked_value = (-1, None) if lock is None else (lock.round, lock.value_id)
        step = _RESUMED_STEP[last.step]
        self._state = core.State(
            self.height, last.round, step, locked_value=locked_value,
            locked_round=locked_round, valid_value=locked_value, valid_round=locked_round,
        )
        if lock is not None:
            self._validity[lock.value_id] = True  # we precommitted it: we judged it valid
            # The polka behind the lock, so that we can show it again (L28).
            for vote in decode_votes(lock.polka):
                if self._verify(vote.validator, vote.sign_bytes(self.chain_id), vote.signature):
                    self._admit_vote(vote, out)
        for r in guard.recent(self.height):
            again: core.Action = (
                core.Propose(r.height, r.round, r.value_id, r.pol_round)
                if r.step == PROPOSAL_STEP
                else core.CastVote(r.step, r.height, r.round, r.value_id)
            )
            self._act(again, out)
        if step is Step.PROPOSE:
            self._act(core.ScheduleTimeout(TimeoutKind.PROPOSE, last.height, last.round), out)

    def handle(self, event: Event) -> list[Action]:
        assert self._started, "start() first"
        out: list[Action] = []
        match event:
            case Proposal():
                self._on_proposal(event, out)
            case Vote():
                self._on_vote(event, out)
            case Timeout(kind=kind, height=h, round=r):
                self._apply(_TIMEOUTS[kind](h, r), out)
            case ProposeValue(height=h, round=r, value_id=v):
                if h == self.height and r == self._awaiting_value and v != NIL:
                    self._awaiting_value = -1
                    self._validity[v] = True  # the application built it
                    self._apply(core.ValueToPropose(r, v), out)
            case Validity(height=h, value_id=v, valid=valid):
                if h == self.height and v in self._asked and v not in self._validity:
                    self._validity[v] = valid
            case Commit(certificate=cert):
                self._on_commit(cert, out)
            case _:
                raise TypeError(f"not a consensus event: {event!r}")
        self._advance(out)
        return out

    # -- checking what arrives ----------------------------------------------------------

    def _on_proposal(self, p: Proposal, out: list[Action]) -> None:
        if not well_formed(p):
            out.append(Rejected(p, "consensus.malformed"))
        elif not self.height <= p.height <= self.height + 1:
            return  # an old height, or one we cannot check yet
        elif p.proposer not in self._set_of(p.height):
            out.append(Rejected(p, "consensus.unknown_validator"))
        elif p.proposer != self._set_of(p.height).proposer(p.height, p.round):
            out.append(Rejected(p, "consensus.wrong_proposer"))
        elif not self._verify(p.proposer, p.sign_bytes(self.chain_id), p.signature):
            out.append(Rejected(p, "consensus.bad_signature"))
        elif p.height > self.height:
            self._buffer(p)
        else:
            self._admit_proposal(p, out)

    def _on_vote(self, v: Vote, out: list[Action]) -> None:
        if not well_formed(v):
            out.append(Rejected(v, "consensus.malformed"))
        elif not self.height <= v.height <= self.height + 1:
            return
        elif v.validator not in self._set_of(v.height):
            out.append(Rejected(v, "consensus.unknown_validator"))
        elif not self._verify(v.validator, v.sign_bytes(self.chain_id), v.signature):
            out.append(Rejected(v, "consensus.bad_signature"))
        elif v.height > self.height:
            self._buffer(v)
        else:
            self._admit_vote(v, out)

    def _on_commit(self, cert: Certificate, out: list[Action]) -> None:
        if cert.height != self.height or self._state.step is Step.COMMIT:
            return
        try:
            verify_certificate(
                cert, self.chain_id, self.height, cert.block_id,
                self.validators.powers, self._verify,
            )
        except CertificateError as e:
            out.append(Rejected(cert, e.code))
            return
        self._commit = cert
        # L49: the certificate is 2f+1 precommits for the value; more than f of them are
        # correct, and they judged it valid before precommitting (L36).
        self._apply(core.ProposalAndPrecommitValue(cert.round, cert.block_id), out)

    def _set_of(self, height: int) -> ValidatorSet:
        """The set of the current height or the next (all the driver checks against)."""
        if height == self.height:
            return self._validators
        assert height == self.height + 1
        if self._next_validators is None:
            self._next_validators = self._validators_at(height)
        return self._next_validators

    def _buffer(self, message: Message) -> None:
        if len(self._next_height) < self._max_buffered:
            self._next_height.append(message)

    def _admit_proposal(self, p: Proposal, out: list[Action]) -> None:
        """A checked proposal of the current height."""
        self._record(self._keeper.note_round(p.proposer, p.round))
        if p.round > self._state.round + self._horizon:
            return
        kept = self._proposals.setdefault(p.round, [])
        if p in kept:
            return
        if kept:
            out.append(EquivocationFound(Equivocation(kept[0], p)))
            if len(kept) >= MAX_PROPOSALS_PER_ROUND:
                return
        kept.append(p)
        self._keeper.watch(p.value_id)
        self._ask_validity(p.round, p.value_id, out)

    def _admit_vote(self, v: Vote, out: list[Action]) -> None:
        """A checked vote of the current height."""
        if v.round > self._state.round + self._horizon:
            self._record(self._keeper.note_round(v.validator, v.round))
            return
        added = self._keeper.add(v)
        if added.evidence is not None:
            out.append(EquivocationFound(added.evidence))
        self._record(added.reached)
        for reached in added.reached:
            if reached.kind is Threshold.PRECOMMIT_VALUE:
                # L49 needs valid(v): ask even if no proposal for it reached us.
                self._ask_validity(reached.round, reached.value_id, out)

    def _record(self, reached: tuple[Reached, ...]) -> None:
        for r in reached:
            if r.kind is Threshold.SKIP:
                self._skip_round = max(self._skip_round, r.round)
            else:
                self._reached.add((r.kind, r.round, r.value_id))
                if r.kind is Threshold.PRECOMMIT_VALUE:
                    self._decidable.append((r.round, r.value_id))

    def _ask_validity(self, round_: int, value_id: bytes, out: list[Action]) -> None:
        if value_id in self._validity or value_id in self._asked:
            return
        self._asked.add(value_id)
        out.append(ValidateValue(self.height, round_, value_id))

    # -- the paper's "upon" clauses ---------------------------------------------------

    def _advance(self, out: list[Action]) -> None:
        for _ in range(MAX_STEPS_PER_EVENT):
            inp = self._next_input(out)
            if inp is None:
                return
            self._apply(inp, out)
        raise AssertionError("the driver did not settle; a rule fires without progress")

    def _next_input(self, out: list[Action]) -> core.Input | None:
        s = self._state
        r = s.round
        assert s.step is not Step.COMMIT, "a decision starts the next height at once"
        # L49, any round of this height.
        for round_, value in self._decidable:
            if self._validity.get(value) is True:
                return core.ProposalAndPrecommitValue(round_, value)
        # L55
        if self._skip_round > r:
            return core.SkipRound(self._skip_round)
        # L11
        if s.step is Step.UNSTARTED:
            proposer = self.validators.proposer(s.height, r)
            self._own = [m for m in self._own if m.round >= r - 1]
            self._awaiting_value = r if proposer == self.me else -1
            out.append(EnteredRound(s.height, r, proposer))
            return core.StartRound(r, proposer == self.me)
        proposals = self._proposals.get(r, ())
        if s.step is Step.PROPOSE and proposals:
            p = proposals[0]
            valid = self._validity.get(p.value_id)
            if valid is not None:
                # L22
                if p.pol_round == -1:
                    return core.ProposalReceived(r, p.value_id, valid)
                # L28
                if (Threshold.POLKA_VALUE, p.pol_round, p.value_id) in self._reached:
                    return core.ProposalAndPolkaPrevious(r, p.value_id, p.pol_round, valid)
        if s.step in (Step.PREVOTE, Step.PRECOMMIT) and (36, r) not in self._fired:
            for p in proposals:
                polka = (Threshold.POLKA_VALUE, r, p.value_id) in self._reached
                if polka and self._validity.get(p.value_id) is True:
                    self._fired.add((36, r))  # L36
                    return core.ProposalAndPolkaCurrent(r, p.value_id)
        if s.step is Step.PREVOTE:
            # L44
            if (Threshold.POLKA_NIL, r, NIL) in self._reached:
                return core.PolkaNil(r)
            # L34
            if (Threshold.POLKA_ANY, r, NIL) in self._reached and (34, r) not in self._fired:
                self._fired.add((34, r))
                return core.PolkaAny(r)
        # L47
        if (Threshold.PRECOMMIT_ANY, r, NIL) in self._reached and (47, r) not in self._fired:
            self._fired.add((47, r))
            return core.PrecommitAny(r)
        return None

    # -- carrying out the core's actions ------------------------------------------------

    def _apply(self, inp: core.Input, out: list[Action]) -> None:
        transition = core.apply(self._state, inp)
        self._state = transition.state
        for action in transition.actions:
            self._act(action, out)

    def _act(self, action: core.Action, out: list[Action]) -> None:
        match action:
            case core.Propose(height=h, round=r, value_id=v, pol_round=vr):
                signature = self._sign(lambda g: g.sign_proposal(h, r, v, vr), out)
                if signature is not None:
                    assert self.me is not None
                    p = Proposal(h, r, v, vr, self.me, signature)
                    self._validity[v] = True  # our own value, or our valid value (L16)
                    self._own.append(p)
                    out.append(Broadcast(p))
                    # L16: a re-proposal travels with the polka that justifies it (L28).
                    out.extend(Broadcast(v) for v in self._valid_polka() if vr >= 0)
                    self._admit_proposal(p, out)
            case core.GetValue(height=h, round=r):
                if self.me is not None:
                    out.append(RequestValue(h, r))
            case core.CastVote(type=t, height=h, round=r, value_id=v):
                polka = b""
                if t == PRECOMMIT and v != NIL:  # L40: the lock keeps its proof (guard)
                    polka = encode_votes(self._keeper.votes(r, PREVOTE, v))
                signature = self._sign(lambda g: g.sign_vote(t, h, r, v, polka), out)
                if signature is not None:
                    assert self.me is not None
                    vote = Vote(t, h, r, v, self.me, signature)
                    self._own.append(vote)
                    out.append(Broadcast(vote))
                    self._admit_vote(vote, out)
            case core.ScheduleTimeout(kind=kind, height=h, round=r):
                duration = self._timeouts.duration_ms(kind, r)
                out.append(StartTimer(Timeout(kind, h, r), duration))
            case core.MoveToRound():
                pass  # the next evaluation starts the round (L11)
            case core.Decide(height=h, round=r, value_id=v):
                cert = self._commit
                if cert is None or (cert.round, cert.block_id) != (r, v):
                    cert = Certificate(h, r, v, self._keeper.precommits(r, v))
                assert self.validators.is_quorum(
                    sum(self.validators.power(p.validator) for p in cert.precommits)
                )
                out.append(Decided(h, r, v, cert))
                self._new_height(h + 1, out)  # L52-L54
            case _:
                raise AssertionError(f"unknown core action {action!r}")

    def _sign(self, sign: Callable[[SigningGuard], bytes], out: list[Action]) -> bytes | None:
        if self._guard is None or not self.votes_here:
            return None  # a follower signs nothing, nor a validator outside this height's set
        try:
            return sign(self._guard)
        except SignRefused as e:
            out.append(SigningRefused(e.code, e.message))
            return None

    def _reset(self, height: int) -> None:
        self._validators = self._validators_at(height)
        self._next_validators: ValidatorSet | None = None  # asked for when first needed
        self._max_buffered = 4 * len(self._validators) + 8
        self._state = core.State(height)
        self._keeper = VoteKeeper(height, self._validators)
        self._proposals: dict[int, list[Proposal]] = {}
        self._validity: dict[bytes, bool] = {}
        self._asked: set[bytes] = set()
        self._reached: set[tuple[Threshold, int, bytes]] = set()
        self._decidable: list[tuple[int, bytes]] = []
        self._fired: set[tuple[int, int]] = set()
        self._skip_round = -1
        self._own: list[Message] = []
        self._awaiting_value = -1
        self._commit: Certificate | None = None

    def _new_height(self, height: int, out: list[Action]) -> None:
        waiting, self._next_height = self._next_height, []
        self._reset(height)
        for message in waiting:
            if isinstance(message, Proposal):
                self._admit_proposal(message, out)
            else:
                self._admit_vote(message, out)


_RESUMED_STEP = {PROPOSAL_STEP: Step.PROPOSE, PREVOTE: Step.PREVOTE, PRECOMMIT: Step.PRECOMMIT}

_TIMEOUTS = {
    TimeoutKind.PROPOSE: core.TimeoutPropose,
    TimeoutKind.PREVOTE: core.TimeoutPrevote,
    TimeoutKind.PRECOMMIT: core.TimeoutPrecommit,
}
