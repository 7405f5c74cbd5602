"""Membership (admit, suspend, reinstate) and contract versions activated by height."""

from __future__ import annotations

import pytest

from contracts import governance, issuance, membership
from contracts.contract import Registry, contract_from_module, default_registry
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.ledger import sign_transaction
from contracts.membership import get_member
from tests.fixtures import issuance_v2
from tests.memledger import Ledger


def admit_tx(ledger: Ledger, newcomer: KeyPair, roles=("merchant",), agency: str = "agency"):
    body = membership.Admit(ledger.addr(agency), newcomer.address, "Lianhua", roles)
    tx = ledger.tx("membership", "admit", body, agency)
    return sign_transaction(tx, newcomer)


def test_agency_admits_a_member_who_co_signs() -> None:
    ledger = Ledger()
    newcomer = KeyPair.generate()
    ledger.block(admit_tx(ledger, newcomer))
    member = get_member(ledger.store, newcomer.address)
    assert member is not None and member.roles == ("merchant",) and member.status == "active"
    assert ledger.refused(admit_tx(ledger, newcomer)) == "membership.already_member"


@pytest.mark.parametrize(("roles", "code"), [
    (("merchant", "bank"), "membership.bad_roles"),  # not in order
    (("bank", "bank"), "membership.bad_roles"),
])
def test_admission_refuses_bad_roles(roles, code) -> None:
    ledger = Ledger()
    assert ledger.refused(admit_tx(ledger, KeyPair.generate(), roles)) == code


def test_only_an_agency_admits_and_the_newcomer_must_sign() -> None:
    ledger = Ledger()
    newcomer = KeyPair.generate()
    assert ledger.refused(admit_tx(ledger, newcomer, agency="bank")) == "membership.missing_role"
    unsigned = ledger.tx("membership", "admit", membership.Admit(
        ledger.addr("agency"), newcomer.address, "x", ("merchant",)), "agency")
    with pytest.raises(LedgerError) as e:
        ledger.block(unsigned)
    assert e.value.code == "tx.missing_signature"


def test_suspend_and_reinstate() -> None:
    ledger = Ledger()
    suspend = membership.Suspend(ledger.addr("agency"), ledger.addr("bank"), "licence review")
    ledger.run("membership", "suspend", suspend, "agency")
    assert get_member(ledger.store, ledger.addr("bank")).note == "licence review"
    again = ledger.tx("membership", "suspend", suspend, "agency")
    assert ledger.refused(again) == "membership.suspended"
    ledger.run("membership", "reinstate",
               membership.Reinstate(ledger.addr("agency"), ledger.addr("bank")), "agency")
    assert get_member(ledger.store, ledger.addr("bank")).status == "active"
    twice = ledger.tx("membership", "reinstate",
                      membership.Reinstate(ledger.addr("agency"), ledger.addr("bank")), "agency")
    assert ledger.refused(twice) == "membership.not_suspended"
    stranger = ledger.tx("membership", "reinstate",
                         membership.Reinstate(ledger.addr("agency"), bytes(32)), "agency")
    assert ledger.refused(stranger) == "membership.not_member"


def test_the_last_active_agency_cannot_be_suspended() -> None:
    ledger = Ledger()
    ledger.run("membership", "suspend",
               membership.Suspend(ledger.addr("agency"), ledger.addr("agency2"), "x"), "agency")
    last = ledger.tx("membership", "suspend",
                     membership.Suspend(ledger.addr("agency"), ledger.addr("agency"), "x"),
                     "agency")
    assert ledger.refused(last) == "membership.last_agency"


# ------------------------------------------------------------------ versions


def registry_with_v2() -> Registry:
    return Registry([*default_registry().by_key.values(), contract_from_module(issuance_v2)])


def test_new_version_applies_from_its_activation_height_and_the_old_one_before() -> None:
    ledger = Ledger(registry_with_v2())
    v2 = ledger.registry.get("issuance", 2)
    assert v2.code_hash != ledger.registry.get("issuance", 1).code_hash
    activate = governance.Activate(ledger.addr("agency"), "issuance", 2, v2.code_hash,
                                   4)
    ledger.run("governance", "activate", activate, "agency")  # at height 1

    def apply(version: int, basis: str):
        terms = issuance.Terms(ledger.addr("core"), 100, ledger.time_ms + 10**10, True, False,
                               0, 0, basis, basis.encode().ljust(32, b"."))
        return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr("supplier"), terms),
                         "supplier", version=version)

    assert ledger.refused(apply(2, "early")) == "tx.contract_inactive"
    ledger.block(apply(1, "v1-at-2"))
    ledger.block(apply(1, "v1-at-3"))
    assert ledger.refused(apply(1, "late")) == "tx.contract_inactive"  # height 4
    ledger.block(apply(2, "v2-at-4"))


@pytest.mark.parametrize(("change", "code"), [
    ({"code_hash": b"\x01" * 32}, "governance.unknown_contract"),
    ({"version": 3}, "governance.unknown_contract"),
    ({"from_height": 0}, "governance.height_not_future"),
    ({"version": 1, "code_hash": None}, "governance.not_newer"),
    ({"agency": "bank"}, "membership.missing_role"),
])
def test_activation_refusals(change: dict, code: str) -> None:
    ledger = Ledger(registry_with_v2())
    values = {"agency": ledger.addr("agency"), "contract": "issuance", "version": 2,
              "code_hash": ledger.registry.get("issuance", 2).code_hash, "from_height": 10}
    signer = "agency"
    if change.get("agency"):
        signer = change["agency"]
        change = {"agency": ledger.addr(signer)}
    if change.get("code_hash", 0) is None:
        change = {"version": 1, "code_hash": ledger.registry.get("issuance", 1).code_hash}
    values.update(change)
    tx = ledger.tx("governance", "activate", governance.Activate(**values), signer)
    assert ledger.refused(tx) == code
