"""The signing guard: the only way the consensus signs, and never twice differently.

Every proposal and vote is signed here. Before the signature exists, the guard appends
what it is about to sign — (height, round, step, value id, POL round) — to its log and
syncs it. It refuses to sign a message whose (height, round, step) is below the last one
it signed, or equal to it with different content. After a crash the log tells it where
it was, so a restarted validator can never sign a conflicting message: the failure the
CometBFT signing-state bugs (#5695, #6031) show when that state is lost or stale. It
resumes where `last` says, and may sign again exactly what it signed in its last two
rounds (`recent`), to send it again. The signer it is handed (the node's signer, which
may stand for a remote signer or an HSM) is called only after the record is synced.

Steps order as the protocol moves: proposal < prevote < precommit within a round. The
log also gives back the lock: a validator's lock at a height is its last precommit for a
value there (L36-L41 lock exactly when they precommit a value), so a restart keeps it.
That record also carries the polka the lock rests on (the prevotes, opaque here): a lock
kept without its proof would hold the validator to a value it can no longer show anyone,
and other validators only follow a re-proposal with its polka (L28).

A record's payload (see `consensus.wal` for the framing) is the msgpack array
    [step, height, round, value_id, pol_round, polka]
step 0 proposal, 1 prevote, 2 precommit; value_id empty for nil; pol_round -1 but for
proposals; polka empty but for precommits of a value (then a msgpack array of votes).
Records only go forward in (height, round, step); a log that goes back is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgpack

from consensus.certificate import PRECOMMIT, PREVOTE, Signer, vote_bytes
from consensus.messages import NIL, proposal_bytes
from consensus.wal import Wal, WalCorrupt

PROPOSAL_STEP = 0  # votes use their type: PREVOTE = 1, PRECOMMIT = 2
MAX_RECORDS = 1024  # beyond this the log is rewritten to its last rounds and lock


class SignRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Signed:
    """One signed message, as the log records it."""

    height: int
    round: int
    step: int  # PROPOSAL_STEP, PREVOTE or PRECOMMIT
    value_id: bytes  # NIL for a nil vote
    pol_round: int = -1  # a proposal's POL round; -1 for votes
    polka: bytes = field(default=b"", compare=False)  # a lock's prevotes; not signed

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.height, self.round, self.step)

    def encode(self) -> bytes:
        return msgpack.packb(
            [self.step, self.height, self.round, self.value_id, self.pol_round, self.polka],
            use_bin_type=True,
        )

    @classmethod
    def decode(cls, payload: bytes) -> Signed:
        try:
            step, height, round_, value_id, pol_round, polka = msgpack.unpackb(
                payload, raw=False
            )
        except (ValueError, TypeError, msgpack.UnpackException) as e:
            raise WalCorrupt("wal.bad_record", "a checksummed record does not parse") from e
        ok = (
            step in (PROPOSAL_STEP, PREVOTE, PRECOMMIT)
            and type(height) is int and height >= 0
            and type(round_) is int and round_ >= 0
            and type(value_id) is bytes
            and type(pol_round) is int
            and (-1 <= pol_round < round_ if step == PROPOSAL_STEP else pol_round == -1)
            and type(polka) is bytes
        )
        if not ok:
            raise WalCorrupt("wal.bad_record", "a checksummed record has a bad field")
        return cls(height, round_, step, value_id, pol_round, polka)


class SigningGuard:
    def __init__(
        self, chain_id: str, signer: Signer, wal: Wal, max_records: int = MAX_RECORDS
    ) -> None:
        assert max_records >= 8, "room for the last two rounds and the lock"
        self._chain_id = chain_id
        self._signer = signer
        self._wal = wal
        self._max_records = max_records
        self.last: Signed | None = None
        self._lock: Signed | None = None  # last precommit for a value at last.height
        self._recent: list[Signed] = []  # last.height, rounds last.round - 1 and up: ≤ 6
        records = [Signed.decode(p) for p in wal.records()]
        for record in records:
            if self.last is not None and record.position <= self.last.position:
                raise WalCorrupt("wal.out_of_order", "signed steps in the log go backwards")
            self._remember(record)
        self._records = len(records)

    def lock(self, height: int) -> Signed | None:
        """The precommit that locked this validator at `height`, with its polka, if any."""
        if self._lock is None or self._lock.height != height:
            return None
        return self._lock

    def recent(self, height: int) -> tuple[Signed, ...]:
        """What was signed at `height` in the last two rounds signed in, oldest first:
        a restarted validator sends these again, as peers may never have had them."""
        if self.last is None or self.last.height != height:
            return ()
        return tuple(self._recent)

    def sign_proposal(self, height: int, round_: int, value_id: bytes, pol_round: int) -> bytes:
        assert value_id != NIL and -1 <= pol_round < round_
        record = Signed(height, round_, PROPOSAL_STEP, value_id, pol_round)
        message = proposal_bytes(self._chain_id, height, round_, value_id, pol_round)
        return self._sign(record, message)

    def sign_vote(
        self, type_: int, height: int, round_: int, value_id: bytes, polka: bytes = b""
    ) -> bytes:
        """`polka`: for a precommit of a value, the prevotes it locks on, kept with it."""
        assert type_ in (PREVOTE, PRECOMMIT)
        assert not polka or (type_ == PRECOMMIT and value_id != NIL)
        record = Signed(height, round_, type_, value_id, polka=polka)
        return self._sign(record, vote_bytes(self._chain_id, type_, height, round_, value_id))

    def _sign(self, record: Signed, message: bytes) -> bytes:
        last = self.last
        if record in self._recent:
            return self._signer(message)  # the very same message again, to resend it
        if last is not None and record.position < last.position:
            raise SignRefused(
                "sign.regression",
                f"asked to sign {record.position}, already signed {last.position}",
            )
        if last is not None and record.position == last.position:
            raise SignRefused(
                "sign.conflict", f"already signed something else at {last.position}"
            )
        # Written and synced before the signature exists: a crash after this line keeps
        # the record, a crash before it leaves nothing signed.
        self._wal.append(record.encode())
        self._wal.sync()
        self._records += 1
        self._remember(record)
        if self._records > self._max_records:
            self._compact()
        return self._signer(message)

    def _remember(self, record: Signed) -> None:
        if self.last is not None and record.height != self.last.height:
            self._lock = None
        if record.step == PRECOMMIT and record.value_id != NIL:
            self._lock = record
        self.last = record
        self._recent = [
            r for r in self._recent
            if r.height == record.height and r.round >= record.round - 1
        ] + [record]
        assert len(self._recent) <= 6

    def _compact(self) -> None:
        assert self.last is not None
        keep = list(self._recent)
        if self._lock is not None and self._lock not in keep:
            keep.insert(0, self._lock)
        self._wal.rewrite([r.encode() for r in keep])
        self._records = len(keep)
