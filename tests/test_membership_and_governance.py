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
    body = membership.Admit(ledger.addr(agency), newcomer.address, "Lianhua", roles,
                           ledger.identity(), ())
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
        ledger.addr("agency"), newcomer.address, "x", ("merchant",), ledger.identity(), ()),
        "agency")
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


def registry_with_v3() -> Registry:
    return Registry([*default_registry().by_key.values(), contract_from_module(issuance_v2)])


def test_new_version_applies_from_its_activation_height_and_the_old_one_before() -> None:
    ledger = Ledger(registry_with_v3())
    v2 = ledger.registry.get("issuance", 3)
    assert v2.code_hash != ledger.registry.get("issuance", 2).code_hash
    activate = governance.Activate(ledger.addr("agency"), "issuance", 3, v2.code_hash,
                                   4)
    ledger.run("governance", "activate", activate, "agency")  # at height 1

    def apply(version: int, basis: str):
        terms = issuance.Terms(ledger.addr("core"), 100, ledger.time_ms + 10**10, True, False,
                               0, 0, basis, basis.encode().ljust(32, b"."))
        return ledger.tx("issuance", "apply", issuance.Apply(ledger.addr("supplier"), terms),
                         "supplier", version=version)

    assert ledger.refused(apply(3, "early")) == "tx.contract_inactive"
    ledger.block(apply(2, "v2-at-2"))
    ledger.block(apply(2, "v2-at-3"))
    assert ledger.refused(apply(2, "late")) == "tx.contract_inactive"  # height 4
    ledger.block(apply(3, "v3-at-4"))


@pytest.mark.parametrize(("change", "code"), [
    ({"from_height": 0}, "governance.height_not_future"),
    ({"from_height": 1}, "governance.height_not_future"),  # the block it is in
    ({"version": 1, "code_hash": None}, "governance.not_newer"),
    ({"agency": "bank"}, "membership.missing_role"),
])
def test_activation_refusals(change: dict, code: str) -> None:
    ledger = Ledger(registry_with_v3())
    values = {"agency": ledger.addr("agency"), "contract": "issuance", "version": 3,
              "code_hash": ledger.registry.get("issuance", 3).code_hash, "from_height": 10}
    signer = "agency"
    if change.get("agency"):
        signer = change["agency"]
        change = {"agency": ledger.addr(signer)}
    if change.get("code_hash", 0) is None:
        change = {"version": 2, "code_hash": ledger.registry.get("issuance", 2).code_hash}
    values.update(change)
    tx = ledger.tx("governance", "activate", governance.Activate(**values), signer)
    assert ledger.refused(tx) == code


def test_a_later_activation_needs_a_higher_version_and_a_later_height() -> None:
    ledger = Ledger(registry_with_v3())
    v2 = ledger.registry.get("issuance", 3).code_hash
    agency = ledger.addr("agency")
    ledger.run("governance", "activate", governance.Activate(agency, "issuance", 3, v2, 10),
               "agency")
    again = governance.Activate(agency, "issuance", 3, v2, 20)
    earlier = governance.Activate(agency, "issuance", 3, bytes(32), 9)
    for body in (again, earlier):
        assert ledger.refused(ledger.tx("governance", "activate", body, "agency")) == \
            "governance.not_newer"


def test_an_activation_is_valid_whatever_code_the_node_runs() -> None:
    """Whether a block is valid never depends on the code a node's release holds: a node
    of the release before accepts the block that schedules a version it lacks (its
    wallet refused to sign it: wallet/verbs/governance.py), or it forks at that block."""
    new_release = Ledger(registry_with_v3(), key_seed=b"upgrade")
    old_release = Ledger(key_seed=b"upgrade")
    assert old_release.store.items == new_release.store.items
    v2 = new_release.registry.get("issuance", 3).code_hash
    body = governance.Activate(new_release.addr("agency"), "issuance", 3, v2, 10)
    tx = new_release.tx("governance", "activate", body, "agency")
    new_release.block(tx)
    old_release.block(tx)  # the old release signs nothing of issuance v3, but applies this
    assert old_release.store.items == new_release.store.items
    unknown = governance.Activate(new_release.addr("agency"), "issuance", 4, b"\x01" * 32, 20)
    new_release.run("governance", "activate", unknown, "agency")  # the ledger cannot know
    schedule = governance.get_schedule(new_release.store, "issuance")
    assert [(a.version, a.from_height) for a in schedule.activations] == \
        [(2, 0), (3, 10), (4, 20)]


def test_the_protocol_version_changes_only_by_governance_from_a_future_height() -> None:
    ledger = Ledger()
    agency = ledger.addr("agency")
    assert governance.protocol_version(ledger.store, 1) == 1
    ledger.run("governance", "activate_protocol", governance.ActivateProtocol(agency, 2, 5),
               "agency")  # at height 1
    assert [governance.protocol_version(ledger.store, h) for h in (1, 4, 5, 100)] == \
        [1, 1, 2, 2]
    refusals = [
        (governance.ActivateProtocol(agency, 3, ledger.height + 1), "agency",
         "governance.height_not_future"),
        (governance.ActivateProtocol(agency, 2, 50), "agency", "governance.not_newer"),
        (governance.ActivateProtocol(agency, 3, 5), "agency", "governance.not_newer"),
        (governance.ActivateProtocol(ledger.addr("bank"), 3, 50), "bank",
         "membership.missing_role"),
    ]
    for body, signer, code in refusals:
        tx = ledger.tx("governance", "activate_protocol", body, signer)
        assert ledger.refused(tx) == code, body
    ledger.run("governance", "activate_protocol", governance.ActivateProtocol(agency, 3, 6),
               "agency")
    assert governance.protocol_version(ledger.store, 6) == 3
