"""What a node hands a light client (contracts/proofs.py): each height's header with the
commit certificate that finalised it, and the validator set a header announces for the
next height when that is not its own set (how a light client follows set changes)."""

from __future__ import annotations

from contracts.blocks import Header, validators_hash
from contracts.proofs import CertifiedHeader, certificate_record
from node.chain import Chain
from node.store import Store


def certified_header(store: Store, height: int) -> CertifiedHeader | None:
    """The stored header of `height` with its certificate; None when the store holds no
    certificate there (genesis has none) or no block."""
    header = store.header(height)
    certificate = store.certificate(height)
    if header is None or certificate is None:
        return None
    return CertifiedHeader(header, certificate_record(certificate))


def powers_at(chain: Chain, height: int) -> dict[bytes, int]:
    """The validator powers in force at `height` (up to head + 2)."""
    return dict(chain.validators_at(height).powers)


def announced_set(chain: Chain, header: Header) -> dict[bytes, int] | None:
    """The powers `header` announces for the height after it, when they are not its own
    set's; None when the set stays (the light client keeps the one it has)."""
    if header.next_validators_hash == header.validators_hash:
        return None
    powers = powers_at(chain, header.height + 1)
    # The chain made the header from the same sets: a mismatch is a corrupt store.
    assert validators_hash(powers) == header.next_validators_hash, header.height
    return powers
