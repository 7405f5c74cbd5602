"""Ids by prefix (contracts.id_prefixes): the wallet resolves `abcd1234` to the one id it
names among the records the member may read; a record the member may not read is never a
match, so a prefix reveals nothing of it."""

from __future__ import annotations

import dataclasses

import pytest

from contracts import access, membership, vouchers
from contracts.codec import encode
from contracts.errors import LedgerError
from contracts.id_prefixes import ids_with_prefix
from contracts.record_proofs import PROVABLE
from contracts.state import MemoryStore
from tests import test_read_rules
from tests.test_read_rules import UNRELATED, World


@pytest.fixture(scope="module")
def world() -> World:
    return test_read_rules.build_world()


def caller(world: World, name: str) -> access.Caller:
    return access.caller_of(world.ledger.store, world.ledger.addr(name))


def test_a_prefix_finds_the_voucher_its_holder_reads(world: World) -> None:
    voucher = world.records["voucher"]
    holder = world.parties["voucher"]["holder"]
    for digits in (8, 9, 10, 64):
        found, more = ids_with_prefix(world.ledger.store, caller(world, holder),
                                      PROVABLE["voucher"], voucher.id.hex()[:digits].upper())
        assert [m.record_id for m in found] == [voucher.id] and not more
        assert found[0].record == voucher


def test_a_prefix_never_reveals_a_voucher_the_caller_may_not_read(world: World) -> None:
    voucher = world.records["voucher"]
    found, _ = ids_with_prefix(world.ledger.store, caller(world, UNRELATED),
                               PROVABLE["voucher"], voucher.id.hex()[:8])
    assert found == []


def test_members_are_found_by_address_prefix_by_every_member(world: World) -> None:
    bank = world.ledger.addr("bank")
    found, _ = ids_with_prefix(world.ledger.store, caller(world, UNRELATED),
                               PROVABLE["member"], bank.hex()[:8])
    assert [m.record_id for m in found] == [bank]


@pytest.mark.parametrize("prefix", ["abcdef1", "abcdefgh", "", "a" * 65])
def test_a_prefix_shorter_than_8_or_not_hex_is_refused(world: World, prefix: str) -> None:
    with pytest.raises(LedgerError) as e:
        ids_with_prefix(world.ledger.store, caller(world, UNRELATED), PROVABLE["voucher"],
                        prefix)
    assert e.value.code == "request.bad_prefix"


# ------------------------------------------------------------------ what `more` tells


def test_more_is_told_by_a_readable_match_past_the_limit_never_an_unreadable_one(
        world: World) -> None:
    voucher = world.records["voucher"]
    holder = world.parties["voucher"]["holder"]
    other = world.ledger.addr(UNRELATED)
    mine = dataclasses.replace(voucher, id=bytes.fromhex("ee" * 4 + "01" * 28))
    theirs = dataclasses.replace(voucher, id=bytes.fromhex("ee" * 4 + "02" * 28),
                                 holder=other)
    state = MemoryStore(dict(world.ledger.store.items))
    state.apply([(vouchers.voucher_key(v.id), encode(v)) for v in (mine, theirs)])
    found, more = ids_with_prefix(state, caller(world, holder), PROVABLE["voucher"],
                                  "ee" * 4, limit=1)
    assert [m.record_id for m in found] == [mine.id] and more is False
    state.apply([(vouchers.voucher_key(theirs.id), encode(dataclasses.replace(
        theirs, holder=mine.holder)))])  # now the holder's too: a readable one past it
    found, more = ids_with_prefix(state, caller(world, holder), PROVABLE["voucher"],
                                  "ee" * 4, limit=1)
    assert [m.record_id for m in found] == [mine.id] and more is True


def test_a_members_credit_code_is_in_the_directory_every_member_reads(world: World) -> None:
    """Why the wallet may name a member by its 统一社会信用代码: the directory every member
    reads shows an organisation's code (public, as in the state's own registers); only
    the personal data is withheld."""
    bank = membership.get_member(world.ledger.store, world.ledger.addr("bank"))
    assert bank is not None and bank.identity is not None and bank.identity.credit_code
    assert access.may_read(world.ledger.store, caller(world, UNRELATED), "member", bank)
    assert not access.may_read(world.ledger.store, caller(world, UNRELATED),
                               "member_private", bank)
    shown = membership.directory_entry(bank)
    assert shown.identity is not None and shown.identity.contacts == ""
    assert shown.identity.credit_code == bank.identity.credit_code
