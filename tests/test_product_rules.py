"""Funders and their products: factors and microlenders are admitted beside banks, each
funder publishes, amends and withdraws its financing products, and every refusal has its
code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts import membership, products
from contracts.codec import replace
from contracts.identity import KeyPair
from contracts.products import Terms
from tests.memledger import Ledger

LOAN = Terms(None, 30, 180, 350, 600, 100_000, 50_000_000, "https://bank.example/loan-7")
FACTORING = Terms(False, 30, 360, 150, 900, 10_000, 20_000_000, "")


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.admit("factor", "factor")
    ledger.admit("lender", "microlender")
    return ledger


def publish_tx(ledger: Ledger, funder: str = "factor", name: str = "应收账款保理",
               kind: str = "factoring", terms: Terms = FACTORING):
    body = products.Publish(ledger.addr(funder), name, kind, terms)
    return ledger.tx("product", "publish", body, funder)


def publish(ledger: Ledger, funder: str = "factor", name: str = "应收账款保理",
            kind: str = "factoring", terms: Terms = FACTORING) -> bytes:
    events = ledger.block(publish_tx(ledger, funder, name, kind, terms))
    assert [(e.kind, e.parties) for e in events] == [
        ("product.published", (ledger.addr(funder),))]
    return events[0].subject


def product(ledger: Ledger, product_id: bytes) -> products.Product:
    found = products.get_product(ledger.store, product_id)
    assert found is not None
    return found


def amend_tx(ledger: Ledger, product_id: bytes, terms: Terms, funder: str = "factor"):
    return ledger.tx("product", "amend", products.Amend(ledger.addr(funder), product_id, terms),
                     funder)


def withdraw_tx(ledger: Ledger, product_id: bytes, funder: str = "factor"):
    return ledger.tx("product", "withdraw",
                     products.Withdraw(ledger.addr(funder), product_id), funder)


# ------------------------------------------------------------------ roles


def test_the_agency_admits_factors_and_microlenders_as_funders(ledger: Ledger) -> None:
    assert membership.FUNDER_ROLES == ("bank", "factor", "microlender")
    assert set(membership.FUNDER_ROLES) <= set(membership.ROLES)
    assert list(membership.ROLES) == sorted(membership.ROLES)
    factor = membership.get_member(ledger.store, ledger.addr("factor"))
    lender = membership.get_member(ledger.store, ledger.addr("lender"))
    assert factor is not None and factor.roles == ("factor",)
    assert lender is not None and lender.roles == ("microlender",)
    assert membership.active_with_role(ledger.store, "factor") == [ledger.addr("factor")]
    assert all(membership.is_funder(m) for m in (factor, lender))
    enterprise = membership.get_member(ledger.store, ledger.addr("supplier"))
    assert enterprise is not None and not membership.is_funder(enterprise)


# ------------------------------------------------------------------ publish


def test_each_kind_of_funder_publishes_its_products(ledger: Ledger) -> None:
    factoring = publish(ledger)
    published_at = ledger.time_ms
    loan = publish(ledger, "lender", "小额质押贷", "pledge_loan", LOAN)
    bank_loan = publish(ledger, "bank", "应收账款质押贷款", "pledge_loan", LOAN)
    found = product(ledger, factoring)
    assert found.id == products.product_id(ledger.addr("factor"), "应收账款保理")
    assert (found.funder, found.kind, found.terms, found.status) == (
        ledger.addr("factor"), "factoring", FACTORING, "listed")
    assert found.published_at_ms == found.updated_at_ms == published_at
    assert product(ledger, loan).terms.recourse is None
    assert product(ledger, bank_loan).funder == ledger.addr("bank")
    assert products.listed_count(ledger.store, ledger.addr("factor")) == 1


def test_the_same_name_is_another_funders_product(ledger: Ledger) -> None:
    mine = publish(ledger, "factor", "保理")
    theirs = publish(ledger, "bank", "保理")
    assert mine != theirs


@pytest.mark.parametrize("who", ["supplier", "merchant", "acquirer", "agency", "regulator"])
def test_only_funders_publish(ledger: Ledger, who: str) -> None:
    assert ledger.refused(publish_tx(ledger, who)) == "product.not_funder"


def test_a_suspended_funder_publishes_nothing(ledger: Ledger) -> None:
    ledger.run("membership", "suspend", membership.Suspend(
        ledger.addr("agency"), ledger.addr("factor"), "licence revoked"), "agency")
    assert ledger.refused(publish_tx(ledger)) == "membership.suspended"


def test_a_key_that_is_no_member_publishes_nothing(ledger: Ledger) -> None:
    ledger.keys["stranger"] = KeyPair.generate()
    assert ledger.refused(publish_tx(ledger, "stranger")) == "membership.not_member"


@pytest.mark.parametrize(("kind", "terms", "code"), [
    ("factoring", replace(FACTORING, recourse=None), "product.bad_recourse"),
    ("pledge_loan", replace(LOAN, recourse=True), "product.bad_recourse"),
    ("pledge_loan", replace(LOAN, recourse=False), "product.bad_recourse"),
    ("factoring", replace(FACTORING, min_term_days=0), "product.bad_term"),
    ("factoring", replace(FACTORING, min_term_days=181, max_term_days=180), "product.bad_term"),
    ("pledge_loan", replace(LOAN, max_term_days=products.MAX_TERM_DAYS + 1),
     "product.bad_term"),
    ("pledge_loan", replace(LOAN, min_price_bp=700, max_price_bp=600), "product.bad_price"),
    ("pledge_loan", replace(LOAN, max_price_bp=products.MAX_RATE_BP + 1), "product.bad_price"),
    ("factoring", replace(FACTORING, max_price_bp=10_000), "product.bad_price"),
    ("factoring", replace(FACTORING, min_amount_fen=0), "product.bad_amount"),
    ("pledge_loan", replace(LOAN, min_amount_fen=5, max_amount_fen=4), "product.bad_amount"),
])
def test_terms_that_do_not_hold_together_are_refused(ledger: Ledger, kind: str, terms: Terms,
                                                     code: str) -> None:
    funder = "factor" if kind == "factoring" else "lender"
    assert ledger.refused(publish_tx(ledger, funder, "p", kind, terms)) == code


def test_the_widest_terms_a_product_may_state_are_taken(ledger: Ledger) -> None:
    loan = Terms(None, 1, products.MAX_TERM_DAYS, 0, products.MAX_RATE_BP, 1, 1, "")
    publish(ledger, "lender", "wide", "pledge_loan", loan)
    factoring = replace(loan, recourse=True, max_price_bp=products.MAX_DISCOUNT_BP)
    publish(ledger, "factor", "wide", "factoring", factoring)


def test_a_name_is_published_once_by_a_funder(ledger: Ledger) -> None:
    first = publish(ledger)
    assert ledger.refused(publish_tx(ledger)) == "product.duplicate"
    ledger.block(withdraw_tx(ledger, first))
    assert ledger.refused(publish_tx(ledger)) == "product.duplicate"  # the record stays


def test_a_funder_lists_a_bounded_number_of_products(ledger: Ledger) -> None:
    bound = products.MAX_LISTED_PER_FUNDER
    for start in range(0, bound, 50):
        ledger.block(*(publish_tx(ledger, name=f"p{n}") for n in range(start, start + 50)))
    assert products.listed_count(ledger.store, ledger.addr("factor")) == bound
    assert ledger.refused(publish_tx(ledger, name="one more")) == "product.too_many"
    ledger.block(withdraw_tx(ledger, products.product_id(ledger.addr("factor"), "p0")))
    publish(ledger, name="one more")


# ------------------------------------------------------------------ amend and withdraw


def test_the_funder_amends_its_products_terms(ledger: Ledger) -> None:
    pid = publish(ledger)
    published_at = product(ledger, pid).published_at_ms
    with_recourse = replace(FACTORING, recourse=True, max_price_bp=1_200, terms_ref="v2")
    events = ledger.block(amend_tx(ledger, pid, with_recourse))
    assert [(e.kind, e.subject, e.parties) for e in events] == [
        ("product.amended", pid, (ledger.addr("factor"),))]
    found = product(ledger, pid)
    assert found.terms == with_recourse
    assert (found.published_at_ms, found.updated_at_ms) == (published_at, ledger.time_ms)
    assert (found.kind, found.name) == ("factoring", "应收账款保理")  # fixed at publication


def test_amendments_are_checked_as_publications_are(ledger: Ledger) -> None:
    pid = publish(ledger)
    assert ledger.refused(amend_tx(ledger, pid, replace(FACTORING, recourse=None))) == \
        "product.bad_recourse"
    assert ledger.refused(amend_tx(ledger, pid, replace(FACTORING, max_term_days=1))) == \
        "product.bad_term"
    assert ledger.refused(amend_tx(ledger, pid, replace(FACTORING, min_price_bp=901))) == \
        "product.bad_price"
    assert ledger.refused(amend_tx(ledger, pid, replace(FACTORING, max_amount_fen=1))) == \
        "product.bad_amount"
    assert ledger.refused(amend_tx(ledger, pid, FACTORING)) == "product.unchanged"


def test_only_the_publishing_funder_amends_or_withdraws(ledger: Ledger) -> None:
    pid = publish(ledger)
    other = replace(FACTORING, max_price_bp=800)
    assert ledger.refused(amend_tx(ledger, pid, other, funder="bank")) == "product.not_owner"
    assert ledger.refused(withdraw_tx(ledger, pid, funder="lender")) == "product.not_owner"
    assert ledger.refused(withdraw_tx(ledger, pid, funder="supplier")) == "product.not_owner"


def test_an_unknown_product_is_neither_amended_nor_withdrawn(ledger: Ledger) -> None:
    missing = products.product_id(ledger.addr("factor"), "never published")
    assert ledger.refused(amend_tx(ledger, missing, FACTORING)) == "product.unknown"
    assert ledger.refused(withdraw_tx(ledger, missing)) == "product.unknown"


def test_a_withdrawn_product_stays_on_record_and_changes_no_more(ledger: Ledger) -> None:
    pid = publish(ledger)
    events = ledger.block(withdraw_tx(ledger, pid))
    assert [(e.kind, e.subject, e.parties) for e in events] == [
        ("product.withdrawn", pid, (ledger.addr("factor"),))]
    found = product(ledger, pid)
    assert (found.status, found.terms, found.updated_at_ms) == (
        "withdrawn", FACTORING, ledger.time_ms)
    assert products.listed_count(ledger.store, ledger.addr("factor")) == 0
    assert ledger.refused(withdraw_tx(ledger, pid)) == "product.not_listed"
    assert ledger.refused(amend_tx(ledger, pid, replace(FACTORING, min_term_days=60))) == \
        "product.not_listed"


def test_a_suspended_funder_changes_none_of_its_products(ledger: Ledger) -> None:
    pid = publish(ledger)
    ledger.run("membership", "suspend", membership.Suspend(
        ledger.addr("agency"), ledger.addr("factor"), "licence revoked"), "agency")
    assert ledger.refused(amend_tx(ledger, pid, replace(FACTORING, min_term_days=60))) == \
        "membership.suspended"
    assert ledger.refused(withdraw_tx(ledger, pid)) == "membership.suspended"


# ------------------------------------------------------------------ reads


def test_products_are_listed_by_funder_by_kind_and_status(ledger: Ledger) -> None:
    factoring = publish(ledger)
    loan = publish(ledger, "lender", "loan", "pledge_loan", LOAN)
    gone = publish(ledger, "lender", "old loan", "pledge_loan", LOAN)
    ledger.block(withdraw_tx(ledger, gone, funder="lender"))
    state = ledger.store

    def ids(**filters) -> set[bytes]:
        page, next_cursor = products.products_page(state, None, 50, **filters)
        assert next_cursor is None
        return {p.id for p in page}

    assert ids() == {factoring, loan, gone}
    assert ids(status="listed") == {factoring, loan}
    assert ids(funder=ledger.addr("lender")) == {loan, gone}
    assert ids(funder=ledger.addr("lender"), status="listed") == {loan}
    assert ids(funder=ledger.addr("lender"), kind="factoring") == set()
    assert ids(kind="pledge_loan") == {loan, gone}
    assert ids(kind="factoring", status="listed") == {factoring}
    first, cursor = products.products_page(state, None, 1)
    rest, end = products.products_page(state, cursor, 50)
    assert end is None and {p.id for p in first + rest} == {factoring, loan, gone}


def test_every_refusal_of_the_family_is_tried_here() -> None:
    source = Path(products.__file__).read_text()
    codes = set(re.findall(r'"(product\.[a-z_]+)"', source)) - {
        "product.published", "product.amended", "product.withdrawn"}  # event kinds
    tried = set(re.findall(r'"(product\.[a-z_]+)"', Path(__file__).read_text()))
    assert codes and codes <= tried, codes - tried


def test_a_funders_light_node_fetches_the_product_its_events_name() -> None:
    from contracts.record_proofs import PROVABLE
    from node.light.naming import subject_kind

    for kind in ("product.published", "product.amended", "product.withdrawn"):
        assert subject_kind(kind) == "product"
    assert PROVABLE["product"].key(bytes(32)) == products.product_key(bytes(32))
