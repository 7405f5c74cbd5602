"""Proposals and votes: what validators sign and send each other.

Sign bytes are domain-tagged msgpack arrays with the chain id first, so a signature for
one chain or one kind of message never verifies as another. Votes sign exactly the bytes
of `certificate.vote_bytes`, so the precommits a validator receives form a commit
certificate as they are. A nil vote carries an empty value id.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgpack

from consensus.certificate import PRECOMMIT, PREVOTE, vote_bytes

PROPOSAL_DOMAIN = b"claimledger/proposal/v1\x00"
NIL = b""
VALUE_ID_BYTES = 32
KEY_BYTES = 32
SIGNATURE_BYTES = 64
MAX_ROUND = 2**31 - 1  # rounds beyond this are malformed: a bound on every counter
MAX_HEIGHT = 2**63 - 1

TAG_PROPOSAL = 0
TAG_VOTE = 1


class MessageError(Exception):
    """A message that does not parse; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def proposal_bytes(
    chain_id: str, height: int, round_: int, value_id: bytes, pol_round: int
) -> bytes:
    """What a proposer signs: the value it proposes for (height, round) and its POL round."""
    return PROPOSAL_DOMAIN + msgpack.packb(
        [chain_id, height, round_, value_id, pol_round], use_bin_type=True
    )


@dataclass(frozen=True)
class Proposal:
    """⟨PROPOSAL, h, r, v, vr⟩ of the paper; `pol_round` is -1 for a fresh value."""

    height: int
    round: int
    value_id: bytes
    pol_round: int
    proposer: bytes
    signature: bytes

    def sign_bytes(self, chain_id: str) -> bytes:
        return proposal_bytes(chain_id, self.height, self.round, self.value_id, self.pol_round)

    def to_wire(self) -> list:
        return [
            TAG_PROPOSAL, self.height, self.round, self.value_id, self.pol_round,
            self.proposer, self.signature,
        ]


@dataclass(frozen=True)
class Vote:
    """⟨PREVOTE|PRECOMMIT, h, r, id(v) or nil⟩ of the paper; nil is an empty value id."""

    type: int
    height: int
    round: int
    value_id: bytes
    validator: bytes
    signature: bytes

    def sign_bytes(self, chain_id: str) -> bytes:
        return vote_bytes(chain_id, self.type, self.height, self.round, self.value_id)

    def to_wire(self) -> list:
        return [
            TAG_VOTE, self.type, self.height, self.round, self.value_id,
            self.validator, self.signature,
        ]


Message = Proposal | Vote


def _is_int(x: object, low: int, high: int) -> bool:
    return type(x) is int and low <= x <= high


def _is_bytes(x: object, size: int) -> bool:
    return type(x) is bytes and len(x) == size


def well_formed(message: Message) -> bool:
    """Every field of the right type and within its bound."""
    if isinstance(message, Proposal):
        return (
            _is_int(message.height, 0, MAX_HEIGHT)
            and _is_int(message.round, 0, MAX_ROUND)
            and _is_bytes(message.value_id, VALUE_ID_BYTES)
            and _is_int(message.pol_round, -1, message.round - 1)
            and _is_bytes(message.proposer, KEY_BYTES)
            and _is_bytes(message.signature, SIGNATURE_BYTES)
        )
    return (
        _is_int(message.type, PREVOTE, PRECOMMIT)
        and _is_int(message.height, 0, MAX_HEIGHT)
        and _is_int(message.round, 0, MAX_ROUND)
        and (message.value_id == NIL or _is_bytes(message.value_id, VALUE_ID_BYTES))
        and _is_bytes(message.validator, KEY_BYTES)
        and _is_bytes(message.signature, SIGNATURE_BYTES)
    )


def message_from_wire(wire: object) -> Message:
    """Parse a decoded proposal or vote, checking every field's type and bound."""
    if not (isinstance(wire, list) and len(wire) == 7 and wire[0] in (TAG_PROPOSAL, TAG_VOTE)):
        raise MessageError("consensus.malformed", "expected a tagged 7-field message")
    message: Message
    if wire[0] == TAG_PROPOSAL:
        message = Proposal(*wire[1:])
    else:
        message = Vote(*wire[1:])
    if not well_formed(message):
        raise MessageError("consensus.malformed", f"bad field in {type(message).__name__}")
    return message


def encode_message(message: Message) -> bytes:
    return msgpack.packb(message.to_wire(), use_bin_type=True)


def decode_message(data: bytes, max_bytes: int = 512) -> Message:
    """Decode and parse one message frame; `MessageError` for anything else."""
    if len(data) > max_bytes:
        raise MessageError("consensus.too_large", f"message frame over {max_bytes} bytes")
    try:
        wire = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise MessageError("consensus.malformed", "not a msgpack message") from e
    return message_from_wire(wire)


def encode_votes(votes: tuple[Vote, ...]) -> bytes:
    """Votes as one msgpack array, as the signing log keeps a lock's polka."""
    return msgpack.packb([v.to_wire() for v in votes], use_bin_type=True)


def decode_votes(data: bytes) -> tuple[Vote, ...]:
    if not data:
        return ()
    try:
        wire = msgpack.unpackb(data, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException) as e:
        raise MessageError("consensus.malformed", "not a msgpack list of votes") from e
    if not isinstance(wire, list):
        raise MessageError("consensus.malformed", "not a list of votes")
    votes = tuple(message_from_wire(w) for w in wire)
    if not all(isinstance(v, Vote) for v in votes):
        raise MessageError("consensus.malformed", "a proposal among votes")
    return votes  # type: ignore[return-value]
