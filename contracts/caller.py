"""Who asks to read, as every family's read rules see it, and how a family declares them.

A family says who may read each kind of its records with `Read` entries in a `READS`
table beside the rules that write them; contracts/access.py assembles the tables into one
(the README's "who reads what") and answers reads. This module imports nothing of the
families, so each of them can import it and access.py can import them all: no circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.state import Reader


@dataclass(frozen=True)
class Caller:
    """The signer of a read request, with what the ledger says of it.

    Built by contracts.access.caller_of (roles from membership in the state) or
    contracts.access.ANONYMOUS for a request nobody signed.
    """

    address: bytes | None  # the key that signed the request; None: anonymous
    member: bool  # an admitted member, active or suspended
    agency: bool  # an active member with the agency role
    regulator: bool  # an active member with the regulator role
    # Voucher states whose holder asked this member to co-sign a transaction on them
    # (contracts.access.asked_by_draft): it may read what it needs to decide.
    asked: frozenset[bytes] = frozenset()

    @property
    def oversees(self) -> bool:
        """The agency and the regulators read every record (§001-五(七))."""
        return self.agency or self.regulator

    def one_of(self, *addresses: bytes | None) -> bool:
        """The caller is a member at one of `addresses`."""
        return self.member and self.address is not None and self.address in addresses


# The agency and the regulators, who read every record but members' event streams.
OVERSIGHT = ("agency", "regulator")

# A rule: may `caller` read `record` (of the kind it is declared for) in `state`?
Rule = Callable[[Reader, Caller, Any], bool]


@dataclass(frozen=True)
class Read:
    """Who may read one kind of record, as a family declares it.

    `readers` and `not_readers` name kinds of parties (contracts.access.PARTIES): those
    the rule lets read, and those it was decided not to, so that the table says both and
    the tests try both. The rule's docstring says why. Several families may declare
    the same kind: each adds its own parties (a bank reads the voucher it holds a pledge
    on: a rule of the pledge family), and a caller reads if any of them lets it.
    """

    kind: str
    readers: tuple[str, ...]
    rule: Rule
    not_readers: tuple[str, ...] = ()
