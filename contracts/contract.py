"""What a contract is, the context an operation runs in, and the registry of contracts.

A contract is a module with `NAME`, `VERSION`, `OPERATIONS` and optionally
`end_block(ctx)` and `MAX_BODY_BYTES` (a larger bound on its operations' bodies than
contracts.tx.MAX_BODY_BYTES, for a contract that carries bulk data). Its code hash is
the sha256 of the module's source file, so a transaction pins the exact rules it was
signed for. Rules change by adding a module with a new version beside the old one; both
stay registered so history replays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

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


@dataclass(frozen=True)
class Contract:
    name: str
    version: int
    code_hash: bytes
    operations: dict[str, Operation]
    end_block: Callable[[Context], None] | None
    max_body_bytes: int = MAX_BODY_BYTES  # the largest operation body it takes


def contract_from_module(module: ModuleType) -> Contract:
    source = Path(module.__file__ or "").read_bytes()
    max_body_bytes = getattr(module, "MAX_BODY_BYTES", MAX_BODY_BYTES)
    assert MAX_BODY_BYTES <= max_body_bytes <= MAX_LARGE_BODY_BYTES, module.NAME
    return Contract(
        name=module.NAME,
        version=module.VERSION,
        code_hash=hashlib.sha256(source).digest(),
        operations={op.name: op for op in module.OPERATIONS},
        end_block=getattr(module, "end_block", None),
        max_body_bytes=max_body_bytes,
    )


class Registry:
    """The contracts this node runs, by (name, version)."""

    def __init__(self, contracts: list[Contract]) -> None:
        self.by_key: dict[tuple[str, int], Contract] = {}
        for c in contracts:
            assert (c.name, c.version) not in self.by_key, f"{c.name} v{c.version} twice"
            self.by_key[(c.name, c.version)] = c

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
        documents,
        extension,
        fees,
        governance,
        issuance,
        membership,
        obligations,
        payment,
        pledge,
        redemption,
        setoff,
        transfer,
    )

    return Registry.from_modules([
        governance, membership, issuance, fees, transfer, pledge, acquisition, redemption,
        payment, obligations, setoff, extension, documents,
    ])
