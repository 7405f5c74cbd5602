"""The node registry (contracts/nodes.py): validator set changes proposed by the agency,
approved by more than 2/3 of the power, in force from H+2; observers by the agency alone."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import nodes
from contracts.codec import sha256
from contracts.errors import LedgerError
from contracts.ledger import Genesis, genesis_state
from contracts.tx import payload_id
from tests.memledger import CHAIN, GENESIS_MS, Ledger

OPERATORS = ("agency", "bank", "bank2", "core")


def node_key(name: str) -> bytes:
    return sha256(b"node-key/" + name.encode())


def registry_ledger(powers: tuple[int, ...] = (1, 1, 1, 1), observers: bool = True) -> Ledger:
    """Four validators run by the agency, two banks and the core enterprise; the
    regulator's observer."""
    probe = Ledger(key_seed=b"registry")
    validators = tuple(
        nodes.Validator(node_key(op), power, f"10.0.0.{i}:8711", probe.addr(op), f"{op}-node")
        for i, (op, power) in enumerate(zip(OPERATORS, powers, strict=True)))
    watch = (nodes.Observer(node_key("regulator"), probe.addr("regulator"), "regulator-node"),)
    return Ledger(key_seed=b"registry", validators=validators,
                  observers=watch if observers else ())


def in_force(ledger: Ledger, height: int) -> dict[bytes, int]:
    found = nodes.set_at(ledger.store, height)
    assert found is not None
    return {v.key: v.power for v in found.validators}


def propose(ledger: Ledger, change: nodes.Change, agency: str = "agency",
            expires_in_ms: int = 86_400_000):
    body = nodes.Propose(ledger.addr(agency), change, ledger.time_ms + expires_in_ms)
    return ledger.tx("nodes", "propose", body, agency)


def approve(ledger: Ledger, proposal: bytes, operator: str):
    return ledger.tx("nodes", "approve", nodes.Approve(ledger.addr(operator), proposal),
                     operator)


def proposed(ledger: Ledger, change: nodes.Change, **kw) -> bytes:
    tx = propose(ledger, change, **kw)
    ledger.block(tx)
    return payload_id(tx.payload)


def approve_until_applied(ledger: Ledger, proposal: bytes) -> int:
    """Approvals one block at a time, in operator order, until the change applies; the
    height of the block that applied it."""
    now = nodes.set_at(ledger.store, ledger.height + 1)
    assert now is not None
    names = {ledger.addr(n): n for n in OPERATORS}
    for operator in sorted({v.operator for v in now.validators}):
        ledger.block(approve(ledger, proposal, names[operator]))
        if nodes.get_pending(ledger.store, proposal) is None:
            return ledger.height
    raise AssertionError("every operator approved and the change did not apply")


def add_change(ledger: Ledger, name: str = "bank3", power: int = 1,
               operator: str = "bank") -> nodes.Change:
    return nodes.Change("add_validator", node_key(name), power=power, peer="10.0.0.9:8711",
                        operator=ledger.addr(operator), name=f"{name}-node")


def test_genesis_writes_the_validators_in_force_from_height_zero_and_the_observers() -> None:
    ledger = registry_ledger()
    assert in_force(ledger, 0) == in_force(ledger, 1) == {node_key(o): 1 for o in OPERATORS}
    assert [o.name for o in nodes.observers(ledger.store)] == ["regulator-node"]
    assert nodes.node_role(ledger.store, node_key("bank"), 1) == "validator"
    assert nodes.node_role(ledger.store, node_key("regulator"), 1) == "observer"
    assert nodes.node_role(ledger.store, node_key("stranger"), 1) is None


def test_an_added_validator_is_in_force_two_heights_after_the_approving_block() -> None:
    ledger = registry_ledger()
    proposal = proposed(ledger, add_change(ledger))
    ledger.block(approve(ledger, proposal, "agency"), approve(ledger, proposal, "bank"))
    assert nodes.get_pending(ledger.store, proposal) is not None  # 2 of 4: not yet
    events = ledger.block(approve(ledger, proposal, "core"))
    applied = [e for e in events if e.kind == "node.change_applied"]
    assert [(e.subject, e.parties) for e in applied] == [
        (proposal, tuple(sorted((ledger.addr("agency"), ledger.addr("bank")))))]
    applied_at = ledger.height
    assert node_key("bank3") not in in_force(ledger, applied_at)
    assert node_key("bank3") not in in_force(ledger, applied_at + 1)
    assert in_force(ledger, applied_at + 2)[node_key("bank3")] == 1
    assert nodes.get_pending(ledger.store, proposal) is None
    # A newcomer already links as a validator: it syncs before it votes.
    assert nodes.node_role(ledger.store, node_key("bank3"), applied_at + 1) == "validator"


def test_an_operator_approves_with_the_power_of_every_validator_it_runs() -> None:
    ledger = registry_ledger(powers=(5, 1, 1, 1))  # the agency alone holds 5 of 8
    proposal = proposed(ledger, nodes.Change("set_power", node_key("core"), power=3))
    ledger.block(approve(ledger, proposal, "agency"))
    assert nodes.get_pending(ledger.store, proposal) is not None  # 5 of 8 is not over 2/3
    ledger.block(approve(ledger, proposal, "bank"))  # 6 of 8 is
    assert in_force(ledger, ledger.height + 2)[node_key("core")] == 3


def test_removal_and_rotation_keep_what_they_do_not_change() -> None:
    ledger = registry_ledger()
    rotate = nodes.Change("rotate_key", node_key("bank"), new_key=node_key("bank-new"))
    remove = nodes.Change("remove_validator", node_key("core"))
    first, second = proposed(ledger, rotate), proposed(ledger, remove)
    ledger.block(*(approve(ledger, p, op) for p in (first, second)
                   for op in ("agency", "bank", "bank2")))
    after = nodes.set_at(ledger.store, ledger.height + 2)
    assert after is not None
    by_name = {v.name: v for v in after.validators}
    assert sorted(by_name) == ["agency-node", "bank-node", "bank2-node"]
    assert by_name["bank-node"].key == node_key("bank-new")
    assert (by_name["bank-node"].power, by_name["bank-node"].operator) == (1, ledger.addr("bank"))


def test_a_removed_validators_operator_no_longer_approves_once_the_removal_is_in_force() -> None:
    ledger = registry_ledger()
    gone = proposed(ledger, nodes.Change("remove_validator", node_key("core")))
    ledger.block(*(approve(ledger, gone, op) for op in ("agency", "bank", "bank2")))
    ledger.block()
    ledger.block()  # the removal is in force now
    later = proposed(ledger, add_change(ledger))
    assert ledger.refused(approve(ledger, later, "core")) == "nodes.not_operator"
    ledger.block(*(approve(ledger, later, op) for op in ("agency", "bank", "bank2")))
    assert node_key("bank3") in in_force(ledger, ledger.height + 2)


def test_observers_are_admitted_and_removed_by_the_agency_at_once() -> None:
    ledger = registry_ledger()
    body = nodes.AdmitObserver(ledger.addr("agency"), node_key("audit"), ledger.addr("agency"),
                               "audit-node")
    ledger.run("nodes", "admit_observer", body, "agency")
    assert nodes.node_role(ledger.store, node_key("audit"), ledger.height + 1) == "observer"
    ledger.run("nodes", "remove_observer",
               nodes.RemoveObserver(ledger.addr("agency"), node_key("audit")), "agency")
    assert nodes.node_role(ledger.store, node_key("audit"), ledger.height + 1) is None


def test_a_withdrawn_proposal_frees_its_node() -> None:
    ledger = registry_ledger()
    proposal = proposed(ledger, nodes.Change("set_power", node_key("core"), power=2))
    ledger.run("nodes", "withdraw", nodes.Withdraw(ledger.addr("agency"), proposal), "agency")
    assert ledger.refused(approve(ledger, proposal, "bank")) == "nodes.unknown_proposal"
    proposed(ledger, nodes.Change("set_power", node_key("core"), power=3))


def test_an_expired_proposal_is_refused_and_frees_its_node() -> None:
    ledger = registry_ledger()
    proposal = proposed(ledger, nodes.Change("set_power", node_key("core"), power=2),
                        expires_in_ms=5_000)
    ledger.block(advance_ms=10_000)
    assert ledger.refused(approve(ledger, proposal, "bank")) == "nodes.expired"
    proposed(ledger, nodes.Change("set_power", node_key("core"), power=3))


# ------------------------------------------------------------------ every refusal


def refusal_cases(ledger: Ledger) -> list[tuple[str, nodes.Change]]:
    return [
        ("nodes.bad_power", add_change(ledger, power=0)),
        ("nodes.bad_power", add_change(ledger, power=nodes.MAX_POWER + 1)),
        ("nodes.bad_power", nodes.Change("set_power", node_key("core"), power=0)),
        ("nodes.bad_peer", nodes.Change("add_validator", node_key("x"), power=1, peer="host",
                                        operator=ledger.addr("bank"), name="x")),
        ("nodes.bad_name", nodes.Change("add_validator", node_key("x"), power=1,
                                        peer="h:1", operator=ledger.addr("bank"))),
        ("nodes.duplicate_key", add_change(ledger, name="core")),
        ("nodes.duplicate_key", add_change(ledger, name="regulator")),
        ("nodes.duplicate_key", nodes.Change("rotate_key", node_key("bank"),
                                             new_key=node_key("core"))),
        ("nodes.key_in_use", nodes.Change("add_validator", ledger.addr("merchant"), power=1,
                                          peer="h:1", operator=ledger.addr("bank"),
                                          name="x")),
        ("nodes.unknown_node", nodes.Change("remove_validator", node_key("nobody"))),
        ("nodes.unknown_node", nodes.Change("set_power", node_key("nobody"), power=2)),
        ("nodes.unknown_node", nodes.Change("rotate_key", node_key("nobody"),
                                            new_key=node_key("y"))),
        ("nodes.no_change", nodes.Change("set_power", node_key("core"), power=1)),
        ("nodes.no_change", nodes.Change("rotate_key", node_key("core"),
                                         new_key=node_key("core"))),
        ("membership.not_member", nodes.Change("add_validator", node_key("x"), power=1,
                                               peer="h:1", operator=bytes(32), name="x")),
    ]


@pytest.mark.parametrize("index", range(15))
def test_a_change_that_does_not_fit_the_set_is_refused_with_its_code(index: int) -> None:
    ledger = registry_ledger()
    code, change = refusal_cases(ledger)[index]
    assert ledger.refused(propose(ledger, change)) == code


def test_the_last_validator_cannot_be_removed() -> None:
    ledger = registry_ledger()
    for op in ("agency", "bank", "bank2"):
        gone = proposed(ledger, nodes.Change("remove_validator", node_key(op)))
        approve_until_applied(ledger, gone)
        ledger.block()
        ledger.block()
    assert list(in_force(ledger, ledger.height + 1)) == [node_key("core")]
    last = nodes.Change("remove_validator", node_key("core"))
    assert ledger.refused(propose(ledger, last)) == "nodes.last_validator"


def test_only_the_agency_proposes_and_a_proposal_expires_within_thirty_days() -> None:
    ledger = registry_ledger()
    assert ledger.refused(propose(ledger, add_change(ledger), agency="bank")) \
        == "membership.missing_role"
    assert ledger.refused(propose(ledger, add_change(ledger), expires_in_ms=0)) \
        == "nodes.bad_expiry"
    too_far = nodes.MAX_PROPOSAL_MS + 2_000
    assert ledger.refused(propose(ledger, add_change(ledger), expires_in_ms=too_far)) \
        == "nodes.bad_expiry"


def test_two_live_proposals_never_touch_one_node() -> None:
    ledger = registry_ledger()
    proposed(ledger, nodes.Change("set_power", node_key("core"), power=2))
    again = nodes.Change("remove_validator", node_key("core"))
    assert ledger.refused(propose(ledger, again)) == "nodes.change_pending"
    proposed(ledger, add_change(ledger))
    same_newcomer = add_change(ledger, operator="core")
    assert ledger.refused(propose(ledger, same_newcomer)) == "nodes.change_pending"


def test_approvals_are_refused_from_strangers_twice_and_for_unknown_proposals() -> None:
    ledger = registry_ledger()
    proposal = proposed(ledger, add_change(ledger))
    assert ledger.refused(approve(ledger, proposal, "merchant")) == "nodes.not_operator"
    ledger.block(approve(ledger, proposal, "bank"))
    assert ledger.refused(approve(ledger, proposal, "bank")) == "nodes.already_approved"
    assert ledger.refused(approve(ledger, bytes(32), "bank")) == "nodes.unknown_proposal"


def test_a_change_that_no_longer_fits_when_approved_is_refused() -> None:
    ledger = registry_ledger()
    proposal = proposed(ledger, add_change(ledger, operator="supplier"))
    ledger.block(approve(ledger, proposal, "agency"), approve(ledger, proposal, "bank"))
    ledger.run("membership", "suspend", nodes_suspend(ledger, "supplier"), "agency")
    assert ledger.refused(approve(ledger, proposal, "core")) == "membership.suspended"


def nodes_suspend(ledger: Ledger, name: str):
    from contracts.membership import Suspend
    return Suspend(ledger.addr("agency"), ledger.addr(name), "licence review")


def test_observer_refusals() -> None:
    ledger = registry_ledger()
    agency = ledger.addr("agency")

    def admit(key: bytes, operator: str = "regulator", signer: str = "agency"):
        body = nodes.AdmitObserver(ledger.addr(signer), key, ledger.addr(operator), "o")
        return ledger.tx("nodes", "admit_observer", body, signer)

    assert ledger.refused(admit(node_key("o"), operator="bank")) == "nodes.bad_operator"
    assert ledger.refused(admit(node_key("regulator"))) == "nodes.duplicate_key"
    assert ledger.refused(admit(node_key("core"))) == "nodes.duplicate_key"
    assert ledger.refused(admit(ledger.addr("bank"))) == "nodes.key_in_use"
    assert ledger.refused(admit(node_key("o"), signer="bank")) == "membership.missing_role"
    remove = ledger.tx("nodes", "remove_observer",
                       nodes.RemoveObserver(agency, node_key("nobody")), "agency")
    assert ledger.refused(remove) == "nodes.unknown_node"


def test_the_registry_bounds_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = registry_ledger()
    monkeypatch.setattr(nodes, "MAX_VALIDATORS", 4)
    monkeypatch.setattr(nodes, "MAX_OBSERVERS", 1)
    assert ledger.refused(propose(ledger, add_change(ledger))) == "nodes.too_many"
    body = nodes.AdmitObserver(ledger.addr("agency"), node_key("o"), ledger.addr("agency"), "o")
    assert ledger.refused(ledger.tx("nodes", "admit_observer", body, "agency")) \
        == "nodes.too_many"


def test_a_chain_without_a_registry_refuses_changes() -> None:
    ledger = Ledger()
    assert ledger.refused(propose(ledger, add_change(ledger))) == "nodes.no_registry"


@pytest.mark.parametrize(("case", "code"), [
    ("twice", "nodes.duplicate_key"), ("member", "nodes.key_in_use"),
    ("power", "nodes.bad_power"), ("observer_operator", "nodes.bad_operator"),
])
def test_genesis_refuses_a_registry_no_transaction_could_have_made(case: str, code: str) -> None:
    ledger = registry_ledger()
    start = {v.name: v for v in nodes.set_at(ledger.store, 0).validators}  # type: ignore
    validators = list(start.values())
    watch = nodes.observers(ledger.store)
    if case == "twice":
        validators.append(validators[0])
    elif case == "member":
        validators.append(nodes.Validator(ledger.addr("bank"), 1, "h:1", ledger.addr("bank"),
                                          "x"))
    elif case == "power":
        validators[0] = nodes.Validator(validators[0].key, 0, "h:1", validators[0].operator,
                                        "x")
    else:
        watch = [nodes.Observer(node_key("o"), ledger.addr("core"), "o")]
    from contracts.ledger import GenesisMember
    from tests.memledger import ROLES
    genesis_members = tuple(GenesisMember(ledger.addr(n), n, r) for n, r in ROLES.items())
    genesis = Genesis(CHAIN, GENESIS_MS, genesis_members, 0, tuple(validators), tuple(watch))
    with pytest.raises(LedgerError) as e:
        genesis_state(ledger.registry, genesis)
    assert e.value.code == code


# ------------------------------------------------------------------ the property


change_steps = st.lists(
    st.tuples(st.sampled_from(nodes.CHANGES), st.integers(0, 7), st.integers(1, 5)),
    min_size=1, max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=change_steps)
def test_approved_changes_keep_a_set_and_each_one_is_exactly_in_force_at_h_plus_2(steps) -> None:
    ledger = registry_ledger(observers=False)
    fresh = 0
    for kind, pick, power in steps:
        before = nodes.latest_set(ledger.store)
        assert before is not None
        keys = sorted(v.key for v in before.validators)
        key = keys[pick % len(keys)]
        if kind == "add_validator":
            fresh += 1
            change = nodes.Change(kind, node_key(f"new-{fresh}"), power=power, peer="h:1",
                                  operator=ledger.addr(OPERATORS[pick % 4]), name="n")
        elif kind == "rotate_key":
            fresh += 1
            change = nodes.Change(kind, key, new_key=node_key(f"new-{fresh}"))
        else:
            change = nodes.Change(kind, key, power=power)
        tx = propose(ledger, change)
        try:
            ledger.block(tx)
        except LedgerError as e:  # a change that does not fit: nothing changed
            assert e.code in ("nodes.last_validator", "nodes.no_change")
            ledger.height -= 1
            ledger.time_ms -= 1000
            continue
        proposal = payload_id(tx.payload)
        applied = approve_until_applied(ledger, proposal)
        after = nodes.set_at(ledger.store, applied + 2)
        assert after is not None and after.from_height == applied + 2
        assert nodes.set_at(ledger.store, applied + 1) == nodes.set_at(ledger.store, applied)
        expected = {v.key: v.power for v in before.validators}
        if kind == "add_validator":
            expected[change.key] = power
        elif kind == "remove_validator":
            del expected[key]
        elif kind == "set_power":
            expected[key] = power
        else:
            expected[change.new_key] = expected.pop(key)
        assert {v.key: v.power for v in after.validators} == expected
        assert after.validators and all(v.power > 0 for v in after.validators)
        assert [v.key for v in after.validators] == sorted(expected)

