"""Funders' products (§000-二(二), §000-三(四)): what banks, factors and microlenders offer.

Banks, commercial factoring companies (商业保理公司) and microlenders (小额贷款公司) are the
funders (contracts.membership.FUNDER_ROLES). Each may publish its financing products so
that holders know, before they ask, who finances what and on which terms: a pledge loan
(质押融资: the funder lends against a pledged claim) or factoring (保理: the funder buys
claims, with recourse to the seller (有追索权) or without (无追索权)). A product states its
term range in days, its price range in basis points (a loan's annual interest rate, a
factoring's discount off the claim's face amount), its amount range in fen and, if the
funder wishes, a reference to its full terms. The funder amends or withdraws its own
products; a withdrawn product stays on record, as everything on the ledger does.

A product's id is derived from the funder and the product's name (`product_id`), so a
funder's names are unique and a wallet knows the id before it submits. A funder lists at
most MAX_LISTED_PER_FUNDER products at a time.
  fp/<product>                  products
  fpf/<funder><product>         a funder's products
  fpk/<kind>/<product>          products by kind
  fpn/<funder>                  how many of the funder's products are listed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts.caller import Caller, Read
from contracts.codec import Fen, Hash32, IntRange, OneOf, Size, TimeMs, replace, sha256
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import is_funder, require_active
from contracts.state import (
    Overlay,
    Reader,
    add_count,
    get_count,
    get_record,
    indexed_page,
    put_record,
    records_page,
    with_status,
)

NAME = "product"
VERSION = 1

KINDS = ("factoring", "pledge_loan")
STATUSES = ("listed", "withdrawn")
Kind = Annotated[str, OneOf(frozenset(KINDS))]
ProductName = Annotated[str, Size(1, 128)]
TermsRef = Annotated[str, Size(0, 256)]
Count = Annotated[int, IntRange(0, 2**32 - 1)]  # checked by the rules, not the codec
MAX_TERM_DAYS = 3660  # ten years: beyond any receivable's financing
MAX_RATE_BP = 10_000  # a loan's annual rate of 100%: far above any lawful one
MAX_DISCOUNT_BP = 9_999  # a discount of 100% would buy a claim for nothing
MAX_LISTED_PER_FUNDER = 100
ID_DOMAIN = b"claimledger/product\x00"


@dataclass(frozen=True)
class Terms:
    """What a product offers. For a loan `recourse` is None; for factoring it says whether
    the buyer may turn back to the seller when the debtor does not settle."""

    recourse: bool | None
    min_term_days: Count
    max_term_days: Count
    min_price_bp: Count  # pledge_loan: annual interest rate; factoring: discount
    max_price_bp: Count
    min_amount_fen: Fen
    max_amount_fen: Fen
    terms_ref: TermsRef  # where the full terms are published (a URL, a document number)


@dataclass(frozen=True)
class Product:
    id: Hash32
    funder: Hash32
    name: ProductName
    kind: Kind
    terms: Terms
    status: Annotated[str, OneOf(frozenset(STATUSES))]
    published_at_ms: TimeMs
    updated_at_ms: TimeMs


@dataclass(frozen=True)
class Publish:
    funder: Hash32
    name: ProductName
    kind: Kind
    terms: Terms


@dataclass(frozen=True)
class Amend:
    funder: Hash32
    product: Hash32
    terms: Terms


@dataclass(frozen=True)
class Withdraw:
    funder: Hash32
    product: Hash32


def product_id(funder: bytes, name: str) -> bytes:
    """The id of `funder`'s product called `name`."""
    return sha256(ID_DOMAIN + funder + name.encode())


def product_key(product: bytes) -> bytes:
    return b"fp/" + product


def funder_product_key(funder: bytes, product: bytes) -> bytes:
    return b"fpf/" + funder + product


def kind_product_key(kind: str, product: bytes) -> bytes:
    return b"fpk/" + kind.encode() + b"/" + product


def listed_key(funder: bytes) -> bytes:
    return b"fpn/" + funder


def get_product(state: Reader, product: bytes) -> Product | None:
    return get_record(state, product_key(product), Product)


def listed_count(state: Reader, funder: bytes) -> int:
    """How many of `funder`'s products are listed."""
    return get_count(state, listed_key(funder))


def _count_listed(state: Overlay, funder: bytes, change: int) -> None:
    add_count(state, listed_key(funder), change, MAX_LISTED_PER_FUNDER)


def products_page(state: Reader, after: bytes | None, limit: int, *,
                  funder: bytes | None = None, kind: str | None = None,
                  status: str | None = None) -> tuple[list[Product], bytes | None]:
    """Products by id after `after`: a funder's if `funder` is given, else those of `kind`
    if given, else every one; only those of `kind` and `status` where given."""
    def keep(product: Product) -> bool:
        return (kind is None or product.kind == kind) and \
            (status is None or product.status == status)

    if funder is not None:
        return indexed_page(state, funder_product_key(funder, b""), after, limit,
                            get_product, keep)
    if kind is not None:
        return indexed_page(state, kind_product_key(kind, b""), after, limit, get_product,
                            with_status(status))
    return records_page(state, product_key(b""), Product, after, limit, with_status(status))


# ------------------------------------------------------------------ rules


def require_funder(state: Reader, address: bytes) -> None:
    """`address` is an active member holding a funder's role (`product.not_funder`)."""
    member = require_active(state, address)
    require(is_funder(member), "product.not_funder",
            f"member {member.name} is no funder: banks, factors and microlenders publish "
            "financing products")


def check_terms(kind: str, terms: Terms) -> None:
    """The terms are whole and consistent for a product of `kind`."""
    if kind == "factoring":
        require(terms.recourse is not None, "product.bad_recourse",
                "a factoring product says whether it buys claims with or without recourse")
    else:
        require(terms.recourse is None, "product.bad_recourse",
                "recourse is a term of factoring; a pledge loan has none")
    require(1 <= terms.min_term_days <= terms.max_term_days <= MAX_TERM_DAYS,
            "product.bad_term",
            f"a term range runs from at least 1 day up to at most {MAX_TERM_DAYS} days, "
            "its minimum not above its maximum")
    top = MAX_DISCOUNT_BP if kind == "factoring" else MAX_RATE_BP
    require(terms.min_price_bp <= terms.max_price_bp <= top, "product.bad_price",
            f"a price range in basis points goes up to at most {top}, its minimum not "
            "above its maximum")
    require(1 <= terms.min_amount_fen <= terms.max_amount_fen, "product.bad_amount",
            "an amount range starts at 1 fen at least, its minimum not above its maximum")


def _own_listed(ctx: Context, product_id_: bytes, funder: bytes) -> Product:
    product = get_product(ctx.state, product_id_)
    if product is None:
        raise Rejected("product.unknown", f"no product {product_id_.hex()}")
    require(product.funder == funder, "product.not_owner",
            "only the funder who published a product changes it")
    require(product.status == "listed", "product.not_listed", "the product was withdrawn")
    return product


def publish(ctx: Context, body: Publish) -> None:
    require_funder(ctx.state, body.funder)
    check_terms(body.kind, body.terms)
    new_id = product_id(body.funder, body.name)
    require(get_product(ctx.state, new_id) is None, "product.duplicate",
            f"you already published a product called {body.name!r}; amend it, or name "
            "the new one otherwise")
    require(listed_count(ctx.state, body.funder) < MAX_LISTED_PER_FUNDER, "product.too_many",
            f"you list {MAX_LISTED_PER_FUNDER} products already; withdraw one first")
    product = Product(new_id, body.funder, body.name, body.kind, body.terms, "listed",
                      ctx.time_ms, ctx.time_ms)
    put_record(ctx.state, product_key(new_id), product)
    ctx.state.put(funder_product_key(body.funder, new_id), b"")
    ctx.state.put(kind_product_key(body.kind, new_id), b"")
    _count_listed(ctx.state, body.funder, +1)
    ctx.emit("product.published", new_id, body.funder)


def amend(ctx: Context, body: Amend) -> None:
    product = _own_listed(ctx, body.product, body.funder)
    require_funder(ctx.state, body.funder)
    check_terms(product.kind, body.terms)
    require(body.terms != product.terms, "product.unchanged", "the terms are those in force")
    put_record(ctx.state, product_key(product.id),
               replace(product, terms=body.terms, updated_at_ms=ctx.time_ms))
    ctx.emit("product.amended", product.id, body.funder)


def withdraw(ctx: Context, body: Withdraw) -> None:
    product = _own_listed(ctx, body.product, body.funder)
    require_active(ctx.state, body.funder)
    put_record(ctx.state, product_key(product.id),
               replace(product, status="withdrawn", updated_at_ms=ctx.time_ms))
    _count_listed(ctx.state, body.funder, -1)
    ctx.emit("product.withdrawn", product.id, body.funder)


# ------------------------------------------------------------------ who may read


def may_read_product(state: Reader, caller: Caller, product: Product) -> bool:
    """A funder's products are published for every member, the regulators among them:
    holders choose whom to ask for financing from them, as §000-三(四) has funders answer
    the needs members post."""
    return caller.member


READS = (Read("product", ("member",), may_read_product),)


OPERATIONS = (
    Operation("publish", Publish, lambda b: (b.funder,), publish),
    Operation("amend", Amend, lambda b: (b.funder,), amend),
    Operation("withdraw", Withdraw, lambda b: (b.funder,), withdraw),
)
