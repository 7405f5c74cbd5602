"""What a contract is, the context an operation runs in, and the registry of contracts.

A contract is a module with `NAME`, `VERSION`, `OPERATIONS` and optionally
`end_block(ctx)` with `MAX_END_BLOCK_EVENTS` (the most events that step emits in one
block: its work per block is bounded, the rest waits for the next blocks), and
`MAX_BODY_BYTES` (a larger bound on its operations' bodies than
contracts.tx.MAX_BODY_BYTES, for a contract that carries bulk data). Its code hash
covers the module's own rules in a normalised form (contracts.code_identity: comments,
docstrings, formatting and read rules left out), so a transaction pins the exact rules
it was signed for; what all versions share is covered by contracts.protocol's
PROTOCOL_VERSION instead. The hash of a deployed version never changes
(contracts.deployed): rules change by adding a module with a new version beside the old
one; both stay registered so history replays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

from contracts.code_identity import declared_identity, source_code_hash
from contracts.codec import Hash32, Name, Size
from contracts.state import Overlay
from contracts.tx import MAX_BODY_BYTES, MAX_LARGE_BODY_BYTES


@dataclass(frozen=True)
class Event:
    """Something a member should learn: the kind, what it concerns, whom it concerns."""

    kind: Name
    subject: Hash32
    parties: Annotated[tuple[Hash32, ...], Size(0, 64)]


@dataclass
class Context:
    """What an operation sees: the state, ledger time and height, who signed."""

    state: Overlay
    height: int
    time_ms: int
    tx_id: bytes
    signers: frozenset[bytes]
    registry: Registry
    events: list[Event] = field(default_factory=list)

    def emit(self, kind: str, subject: bytes, *parties: bytes) -> None:
        unique = tuple(sorted(set(parties)))
        self.events.append(Event(kind, subject, unique))


@dataclass(frozen=True)
class Operation:
    name: str
    body: type
    signers: Callable[[Any], tuple[bytes, ...]]  # who must sign, read from the body alone
    apply: Callable[[Context, Any], None]
    # At most this many of the operation in one block (0: only the block's own bounds).
    # For operations whose work is far above an ordinary transaction's, so that one block
    # stays quick to execute on every node whatever its proposer packs into it.
    per_block: int = 0


@dataclass(frozen=True)
class Contract:
    name: str
    version: int
    code_hash: bytes
    operations: dict[str, Operation]
    end_block: Callable[[Context], None] | None
    max_body_bytes: int = MAX_BODY_BYTES  # the largest operation body it takes
    max_end_block_events: int = 0  # the most events its end_block emits in one block


# The end-of-block steps of all contracts together emit at most this many events in one
# block (each step declares its own bound; a registry whose bounds add up to more is
# refused). The node stores a block's end-of-block events as one record, and reads it
# back with the bound this gives (node.blocks.MAX_BLOCK_EVENTS_BYTES).
MAX_BLOCK_EVENTS = 4096
# Of these, the record of the equivocations a block carries (one event each, at most
# node.blocks.MAX_BLOCK_EVIDENCE of them) is reserved apart from the contracts' steps.
MAX_EVIDENCE_EVENTS = 16


def code_hash(module: ModuleType) -> bytes:
    """The code hash of a contract module: its own rules, normalised
    (contracts.code_identity), not the shared modules it imports. Computed once per
    module file and process."""
    path = module.__file__
    assert path is not None, f"{module.__name__} is a contract module read from a file"
    found, declared = _read_identity(path)
    assert declared == (module.NAME, module.VERSION), \
        f"{module.__name__}: NAME and VERSION are assigned once, as literals"
    return found


@functools.cache
def _read_identity(path: str) -> tuple[bytes, tuple[str, int]]:
    source = Path(path).read_bytes()
    return source_code_hash(source), declared_identity(source)


def contract_from_module(module: ModuleType) -> Contract:
    max_body_bytes = getattr(module, "MAX_BODY_BYTES", MAX_BODY_BYTES)
    assert MAX_BODY_BYTES <= max_body_bytes <= MAX_LARGE_BODY_BYTES, module.NAME
    end_block = getattr(module, "end_block", None)
    max_end_block_events = getattr(module, "MAX_END_BLOCK_EVENTS", 0)
    assert (end_block is None) == (max_end_block_events == 0), \
        f"{module.NAME}: an end_block step declares MAX_END_BLOCK_EVENTS > 0"
    return Contract(
        name=module.NAME,
        version=module.VERSION,
        code_hash=code_hash(module),
        operations={op.name: op for op in module.OPERATIONS},
        end_block=end_block,
        max_body_bytes=max_body_bytes,
        max_end_block_events=max_end_block_events,
    )


class Registry:
    """The contracts this node runs, by (name, version)."""

    def __init__(self, contracts: list[Contract]) -> None:
        self.by_key: dict[tuple[str, int], Contract] = {}
        for c in contracts:
            assert (c.name, c.version) not in self.by_key, f"{c.name} v{c.version} twice"
            self.by_key[(c.name, c.version)] = c
        # One version of each contract runs a block's end: the largest bound of each counts.
        worst = sum(max(c.max_end_block_events for c in self.by_key.values() if c.name == name)
                    for name in self.names())
        assert worst + MAX_EVIDENCE_EVENTS <= MAX_BLOCK_EVENTS, (
            f"end-of-block steps may emit {worst} events a block, over the "
            f"{MAX_BLOCK_EVENTS - MAX_EVIDENCE_EVENTS} left beside the evidence's")

    @classmethod
    def from_modules(cls, modules: list[ModuleType]) -> Registry:
        return cls([contract_from_module(m) for m in modules])

    def get(self, name: str, version: int) -> Contract | None:
        return self.by_key.get((name, version))

    def names(self) -> list[str]:
        """Contract names in a fixed order (the order end-of-block steps run in)."""
        return sorted({name for name, _ in self.by_key})

    def latest(self, name: str) -> Contract:
        versions = [c for (n, _), c in self.by_key.items() if n == name]
        return max(versions, key=lambda c: c.version)

    def first(self, name: str) -> Contract:
        versions = [c for (n, _), c in self.by_key.items() if n == name]
        return min(versions, key=lambda c: c.version)


def default_registry() -> Registry:
    """Every contract module this release runs."""
    from contracts import (
        acquisition,
        credit,
        documents,
        extension,
        fees,
        financing,
        governance,
        issuance,
        membership,
        nodes,
        obligations,
        payment,
        pledge,
        products,
        redemption,
        sale,
        setoff,
        supervision,
        transfer,
    )

    return Registry.from_modules([
        governance, membership, issuance, fees, transfer, pledge, acquisition, redemption,
        payment, obligations, setoff, extension, documents, nodes, products,
        financing, sale, credit, supervision,
    ])
