"""Valid legal identities for test members (contracts.membership.Identity)."""

from __future__ import annotations

import hashlib

from contracts.legal_identity import RESIDENT_ID_WEIGHTS, complete_credit_code, id_reference
from contracts.membership import Identity

REGION = "150802"  # 巴彦淖尔市临河区


def credit_code(seed: int, region: str = REGION) -> str:
    """A unified social credit code (GB 32100-2015) whose checks hold, one per `seed`:
    registered by the market regulator (9), an enterprise (1), in `region`."""
    return complete_credit_code("91" + region + f"{seed:08d}"[-8:])


def resident_id(seed: int) -> str:
    """An 18-character resident identity number whose check digit holds."""
    first17 = f"15080219800101{seed % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def organisation(seed: int, name: str = "") -> Identity:
    """A legal person with a valid credit code unique to `seed`."""
    return Identity("legal_person", credit_code(seed), b"", f"Representative {seed}",
                    f"+86 478 000 {seed:04d} {name}".strip(), "C", REGION)


def person(seed: int) -> Identity:
    """A natural person, identified by the salted reference of its identity number."""
    salt = hashlib.sha256(f"salt {seed}".encode()).digest()
    return Identity("natural_person", "", id_reference(resident_id(seed), salt), "",
                    f"+86 139 0000 {seed:04d}", "F", REGION)


def identity_args(seed: int) -> list[str]:
    """The wallet's `admit` options for `organisation(seed)`."""
    identity = organisation(seed)
    return ["--type", identity.person_type, "--credit-code", identity.credit_code,
            "--legal-rep", identity.legal_representative, "--contacts", identity.contacts,
            "--industry", identity.industry, "--region", identity.region]
