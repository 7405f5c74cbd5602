"""Financing requests and quotes (融资需求推送, §000-三(四)): a holder asks funders to finance
a claim, funders answer, and the holder accepts one answer.

The holder posts a request on a voucher or a part of one: the amount of claim to finance,
the kind (a pledge loan: 质押融资, or a sale: 保理/转让融资), the term it wishes, and to whom
it goes: up to MAX_FUNDERS chosen funders, or every funder. The part is reserved
(contracts.vouchers.reserve: split off, the remainder stays free) while the request is
open, so it is not transferred, pledged, set off, redeemed or asked for twice meanwhile
(§002-(十四): 重复融资). A holder has at most MAX_OPEN_PER_HOLDER requests open at a time,
and each stays open at most MAX_OPEN_DAYS.

Each funder the request reaches answers once: a quote (amount, annual rate, term,
expiry) or a refusal with a reason. A quote the funder makes again replaces its earlier
one, so it may better its terms while the request is open; after a refusal it answers no
more. At most MAX_ANSWERS funders answer one request. A pledge loan is quoted by a
lender only (contracts.pledge.LENDER_ROLES); a sale by any funder
(contracts.membership.FUNDER_ROLES).

The figures (contracts.pricing: ACT/360, rounded down, so whoever pays never pays a
fraction of a fen more than the rate says):
- a pledge loan lends `amount_fen` at `rate_bp` a year for `term_days`; its interest
  for the term is `interest_fen(amount_fen, rate_bp, term_days)`. The pledge secures the
  whole reserved part; the loan falls due `term_days` after the acceptance.
- a sale buys `amount_fen` of the claim at `discounted_fen(amount_fen, rate_bp, days)`,
  days being the whole days from the quote to the claim's due date: the price is fixed
  when the funder quotes, and the quote's expiry bounds how long it holds.

The holder and the quoting funder both sign the acceptance of a live quote (not expired,
the request still open); in the same transaction the part is freed and the pledge is
registered (contracts.pledge.register, with the 中登网 filing the acceptance carries) or
the claim is sold (contracts.sale.execute, with the transfer's filing if it carries one).
A claim's debtor is never asked to buy it. The other quotes lapse. A request the
holder withdraws, or that stays open past its time, ends the same way without a deal:
the end-of-block step lapses at most MAX_LAPSES_PER_BLOCK a block, earliest first.
  fn/<request>                   the request
  fnp/<party><request>           requests by party: the holder, each funder addressed
                                 and each funder that answered
  fna/<request>                  open requests to every funder
  fnt/<open_until_ms:8><request> open requests by the time they lapse
  fnc/<holder>                   how many of the holder's requests are open
  fnq/<answer>                   a funder's answer: a quote or a refusal
  fnr/<request><answer>          a request's answers
  fnl/<request><funder>          the funder's latest answer to the request
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from contracts import pledge, sale
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import U32, Fen, Hash32, OneOf, Size, TimeMs, replace
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.membership import Member, get_member, is_funder, require_active
from contracts.pricing import DAY_MS, discounted_fen, interest_fen, whole_days
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
from contracts.vouchers import (
    Voucher,
    get_voucher,
    load_held,
    require_amount,
    reserve,
    split_off,
    unreserve,
)

NAME = "financing"
VERSION = 1

KINDS = ("pledge_loan", "sale")
REQUEST_STATUSES = ("open", "accepted", "withdrawn", "lapsed")
# An answer is offered until it is replaced by the funder's next one, accepted, or lapses
# with its request; a refusal stays declined.
ANSWER_STATUSES = ("offered", "replaced", "accepted", "lapsed", "declined")
MAX_FUNDERS = 16  # funders one request is addressed to; none: every funder
MAX_ANSWERS = 32  # funders that answer one request
MAX_OPEN_PER_HOLDER = 32
MAX_OPEN_DAYS = 30  # a request waits a month at most: a receivable's financing is urgent
MAX_TERM_DAYS = 3660  # ten years, as contracts.products bounds a product's term
MAX_RATE_BP = pledge.MAX_RATE_BP  # 36 % a year, for a loan's rate and a sale's discount
MAX_LAPSES_PER_BLOCK = 200  # the end-of-block step's bound; the rest lapse in the next blocks
MAX_END_BLOCK_EVENTS = MAX_LAPSES_PER_BLOCK  # one `financing.lapsed` each

Kind = Annotated[str, OneOf(frozenset(KINDS))]
Funders = Annotated[tuple[Hash32, ...], Size(0, MAX_FUNDERS)]
Reason = Annotated[str, Size(1, 512)]
Ref = Annotated[str, Size(1, 256)]


@dataclass(frozen=True)
class FinancingRequest:
    id: Hash32
    holder: Hash32
    voucher: Hash32  # the reserved state (split off the voucher asked on, if a part)
    origin: Hash32
    debtor: Hash32
    amount_fen: Fen  # the claim to finance: the reserved state's amount
    kind: Kind
    term_days: U32  # the term the holder wishes
    funders: Funders  # sorted; empty: every funder
    open_until_ms: TimeMs  # it lapses in the first block after this time
    status: Annotated[str, OneOf(frozenset(REQUEST_STATUSES))]
    created_at_ms: TimeMs
    closed_at_ms: TimeMs | None
    answered: U32  # funders that answered
    quote: Hash32 | None  # the accepted quote
    outcome: Hash32 | None  # the pledge registered or the sale made on acceptance


@dataclass(frozen=True)
class Answer:
    """A funder's answer to a request: a quote (status offered, then replaced, accepted or
    lapsed) or a refusal (declined, with its reason and no figures)."""

    id: Hash32
    request: Hash32
    funder: Hash32
    amount_fen: Fen  # a loan's principal; the face amount of claim a sale buys
    rate_bp: U32  # a loan's annual interest rate; a sale's annual discount rate
    term_days: U32  # a loan's term; 0 for a sale, held to the claim's due date
    recourse: bool | None  # a sale's: may the buyer turn back to the seller; None for a loan
    price_fen: Fen  # a sale's price, fixed when quoted; 0 for a loan
    interest_fen: Fen  # a loan's interest over its term; 0 for a sale
    expires_ms: TimeMs
    status: Annotated[str, OneOf(frozenset(ANSWER_STATUSES))]
    reason: Annotated[str, Size(0, 512)]  # a refusal's
    answered_at_ms: TimeMs
    closed_at_ms: TimeMs | None


@dataclass(frozen=True)
class Request:
    holder: Hash32
    voucher: Hash32
    amount_fen: Fen
    kind: Kind
    term_days: U32
    funders: Funders
    open_days: U32


@dataclass(frozen=True)
class Quote:
    funder: Hash32
    request: Hash32
    amount_fen: Fen
    rate_bp: U32
    term_days: U32
    recourse: bool | None
    expires_ms: TimeMs


@dataclass(frozen=True)
class Decline:
    funder: Hash32
    request: Hash32
    reason: Reason


@dataclass(frozen=True)
class Withdraw:
    holder: Hash32
    request: Hash32


@dataclass(frozen=True)
class Accept:
    """The holder and the funder take the quote: for a loan, `contract_ref` is the loan
    contract's reference and `filing` the pledgee's 中登网 registration of the pledge, if
    made already; for a sale, `contract_ref` is the sale (保理) contract's, `filing` the
    buyer's 中登网 registration of the transfer (转让登记), if made already, and
    `documents` the attached documents it rests on."""

    holder: Hash32
    funder: Hash32
    quote: Hash32
    contract_ref: Ref
    filing: pledge.Filing | None
    documents: Annotated[tuple[Hash32, ...], Size(0, 16)] = ()


# ------------------------------------------------------------------ keys and reads


def request_key(request_id: bytes) -> bytes:
    return b"fn/" + request_id


def party_key(party: bytes, request_id: bytes) -> bytes:
    return b"fnp/" + party + request_id


def to_all_key(request_id: bytes) -> bytes:
    return b"fna/" + request_id


def lapse_key(open_until_ms: int, request_id: bytes) -> bytes:
    return b"fnt/" + open_until_ms.to_bytes(8, "big") + request_id


def open_count_key(holder: bytes) -> bytes:
    return b"fnc/" + holder


def answer_key(answer_id: bytes) -> bytes:
    return b"fnq/" + answer_id


def request_answer_key(request_id: bytes, answer_id: bytes) -> bytes:
    return b"fnr/" + request_id + answer_id


def latest_key(request_id: bytes, funder: bytes) -> bytes:
    return b"fnl/" + request_id + funder


def get_request(state: Reader, request_id: bytes) -> FinancingRequest | None:
    return get_record(state, request_key(request_id), FinancingRequest)


def get_answer(state: Reader, answer_id: bytes) -> Answer | None:
    return get_record(state, answer_key(answer_id), Answer)


def open_count(state: Reader, holder: bytes) -> int:
    """How many of `holder`'s requests are open."""
    return get_count(state, open_count_key(holder))


def latest_answer(state: Reader, request_id: bytes, funder: bytes) -> Answer | None:
    """`funder`'s latest answer to the request, if it answered."""
    raw = state.get(latest_key(request_id, funder))
    return None if raw is None else get_answer(state, raw)


def requests_page(state: Reader, after: bytes | None, limit: int, *,
                  party: bytes | None = None, status: str | None = None
                  ) -> tuple[list[FinancingRequest], bytes | None]:
    """Requests by id after `after`: those of `party` (its own as holder, those addressed
    to it and those it answered) if given, else the open requests to every funder; only
    those with `status` if given."""
    prefix = party_key(party, b"") if party is not None else to_all_key(b"")
    return indexed_page(state, prefix, after, limit, get_request, with_status(status))


def all_requests_page(state: Reader, after: bytes | None, limit: int,
                      status: str | None = None) -> tuple[list[FinancingRequest], bytes | None]:
    """Every financing request, by id after `after`, only those with `status` if given."""
    return records_page(state, request_key(b""), FinancingRequest, after, limit,
                        with_status(status))


def answers_of(state: Reader, request_id: bytes) -> list[Answer]:
    """Every answer to a request (at most MAX_ANSWERS funders' answers and the quotes they
    replaced), in id order."""
    prefix = request_answer_key(request_id, b"")
    found = [get_answer(state, key[len(prefix):]) for key, _ in state.scan(prefix)]
    assert all(a is not None for a in found), "an indexed answer is stored"
    return found  # type: ignore[return-value]


def may_answer(state: Reader, request: FinancingRequest, funder: bytes) -> bool:
    """Whether the request reaches `funder`: addressed to it, or to every funder and it
    is an active member whose role fits the kind (a lender for a pledge loan)."""
    if request.funders:
        return funder in request.funders
    member = get_member(state, funder)
    return member is not None and member.status == "active" and fits(member, request.kind)


def fits(member: Member, kind: str) -> bool:
    """A lender takes pledges; any funder buys claims."""
    if kind == "pledge_loan":
        return any(role in pledge.LENDER_ROLES for role in member.roles)
    return is_funder(member)


# ------------------------------------------------------------------ rules


def load_request(state: Reader, request_id: bytes) -> FinancingRequest:
    found = get_request(state, request_id)
    if found is None:
        raise Rejected("financing.unknown_request", f"no financing request {request_id.hex()}")
    return found


def _open_request(ctx: Context, request_id: bytes) -> FinancingRequest:
    """The request, open and not past its time."""
    request = load_request(ctx.state, request_id)
    require(request.status == "open", "financing.closed", f"the request is {request.status}")
    require(ctx.time_ms <= request.open_until_ms, "financing.request_lapsed",
            "the request's open time is over; it lapses at the end of this block")
    return request


def require_fitting_funder(state: Reader, address: bytes, kind: str) -> Member:
    """An active funder whose role fits `kind` (`financing.not_funder`)."""
    member = require_active(state, address)
    require(fits(member, kind), "financing.not_funder",
            f"member {member.name} is not a lender (a bank or a microlender): it makes no "
            "pledge loans" if kind == "pledge_loan" else
            f"member {member.name} is no funder (a bank, a factor or a microlender)")
    return member


def _count_open(state: Overlay, holder: bytes, change: int) -> None:
    add_count(state, open_count_key(holder), change, MAX_OPEN_PER_HOLDER)


def _parties(state: Reader, request: FinancingRequest) -> tuple[bytes, ...]:
    """Whom the request's end concerns: its holder, the funders it was addressed to and
    those that answered it."""
    answered = {a.funder for a in answers_of(state, request.id)}
    return (request.holder, *request.funders, *sorted(answered))


def _close(ctx: Context, request: FinancingRequest, status: str,
           accepted: bytes | None = None) -> FinancingRequest:
    """End an open request: out of the open indices, its offered quotes lapse (but the one
    `accepted`), the part freed; the caller emits the event."""
    assert request.status == "open"
    for answer in answers_of(ctx.state, request.id):
        if answer.status == "offered":
            put_record(ctx.state, answer_key(answer.id), replace(
                answer, status="accepted" if answer.id == accepted else "lapsed",
                closed_at_ms=ctx.time_ms))
    ctx.state.delete(lapse_key(request.open_until_ms, request.id))
    if not request.funders:
        ctx.state.delete(to_all_key(request.id))
    _count_open(ctx.state, request.holder, -1)
    closed = replace(request, status=status, closed_at_ms=ctx.time_ms)
    put_record(ctx.state, request_key(request.id), closed)
    return closed


# ------------------------------------------------------------------ operations


def request(ctx: Context, body: Request) -> None:
    voucher = load_held(ctx.state, body.voucher, body.holder)
    require(voucher.pledge is None, "voucher.pledged",
            "the voucher is pledged; a claim is financed once (重复融资)")
    require_amount(body.amount_fen, voucher.amount_fen)
    require(1 <= body.term_days <= MAX_TERM_DAYS, "financing.bad_term",
            f"a wished term is 1 to {MAX_TERM_DAYS} days")
    require(1 <= body.open_days <= MAX_OPEN_DAYS, "financing.bad_open_days",
            f"a request stays open 1 to {MAX_OPEN_DAYS} days")
    require(list(body.funders) == sorted(set(body.funders)), "financing.bad_funders",
            "the funders are named once each, in ascending order of address")
    require(body.holder not in body.funders, "financing.self",
            "a holder does not ask itself for financing")
    for funder in body.funders:
        require_fitting_funder(ctx.state, funder, body.kind)
        _require_not_debtor(body.kind, funder, voucher.debtor)
    require(open_count(ctx.state, body.holder) < MAX_OPEN_PER_HOLDER, "financing.too_many_open",
            f"you have {MAX_OPEN_PER_HOLDER} requests open; withdraw one first")
    reserved, remainder = reserve(ctx.state, voucher, body.amount_fen, ctx.tx_id, ctx.tx_id,
                                  ctx.time_ms, ctx.height)
    open_until_ms = ctx.time_ms + body.open_days * DAY_MS
    made = FinancingRequest(
        id=ctx.tx_id, holder=body.holder, voucher=reserved.id, origin=reserved.origin,
        debtor=reserved.debtor, amount_fen=body.amount_fen, kind=body.kind,
        term_days=body.term_days, funders=body.funders, open_until_ms=open_until_ms,
        status="open", created_at_ms=ctx.time_ms, closed_at_ms=None, answered=0, quote=None,
        outcome=None)
    put_record(ctx.state, request_key(made.id), made)
    for party in (body.holder, *body.funders):
        ctx.state.put(party_key(party, made.id), b"")
    if not body.funders:
        ctx.state.put(to_all_key(made.id), b"")
    ctx.state.put(lapse_key(open_until_ms, made.id), b"")
    _count_open(ctx.state, body.holder, +1)
    if remainder is not None:
        for part in (reserved, remainder):
            ctx.emit("voucher.split", part.id, voucher.holder, voucher.debtor)
    ctx.emit("financing.requested", made.id, body.holder, *body.funders)


def _require_not_debtor(kind: str, funder: bytes, debtor: bytes) -> None:
    require(kind != "sale" or funder != debtor, "financing.to_debtor",
            "a claim sold to its own debtor would be settled; ask the debtor for a redemption")


def _answering(ctx: Context, request_id: bytes, funder: bytes
               ) -> tuple[FinancingRequest, Answer | None]:
    """The open request `funder` may answer, and its latest answer to it."""
    request = _open_request(ctx, request_id)
    require(funder != request.holder, "financing.self",
            "a holder does not finance its own claim")
    require(request.funders == () or funder in request.funders, "financing.not_addressed",
            "the request is not addressed to you")
    require_fitting_funder(ctx.state, funder, request.kind)
    _require_not_debtor(request.kind, funder, request.debtor)
    latest = latest_answer(ctx.state, request.id, funder)
    require(latest is None or latest.status != "declined", "financing.already_declined",
            "you declined this request; you answer it no more")
    require(latest is not None or request.answered < MAX_ANSWERS, "financing.too_many_answers",
            f"{MAX_ANSWERS} funders answered this request already")
    return request, latest


def _record_answer(ctx: Context, request: FinancingRequest, latest: Answer | None,
                   answer: Answer) -> None:
    if latest is None:
        request = replace(request, answered=request.answered + 1)
        put_record(ctx.state, request_key(request.id), request)
        ctx.state.put(party_key(answer.funder, request.id), b"")
    else:
        assert latest.status == "offered"
        put_record(ctx.state, answer_key(latest.id), replace(
            latest, status="replaced", closed_at_ms=ctx.time_ms))
    put_record(ctx.state, answer_key(answer.id), answer)
    ctx.state.put(request_answer_key(request.id, answer.id), b"")
    ctx.state.put(latest_key(request.id, answer.funder), answer.id)


def quote(ctx: Context, body: Quote) -> None:
    request, latest = _answering(ctx, body.request, body.funder)
    require(1 <= body.amount_fen <= request.amount_fen, "financing.bad_amount",
            f"a quote finances 1 to the {request.amount_fen} fen requested")
    require(body.rate_bp <= MAX_RATE_BP, "financing.bad_rate",
            f"an annual rate is at most {MAX_RATE_BP} basis points ({MAX_RATE_BP // 100} %)")
    require(ctx.time_ms < body.expires_ms <= request.open_until_ms, "financing.bad_expiry",
            "a quote expires after the ledger time and no later than the request closes")
    loan = request.kind == "pledge_loan"
    require(1 <= body.term_days <= MAX_TERM_DAYS if loan else body.term_days == 0,
            "financing.bad_term",
            f"a loan's term is 1 to {MAX_TERM_DAYS} days" if loan else
            "a sale has no term (0): the buyer holds the claim to its due date")
    require((body.recourse is None) == loan, "financing.bad_recourse",
            "recourse is a term of a sale; a loan has none" if loan else
            "a sale says whether it is with recourse to the seller or without")
    price_fen = interest = 0
    if loan:
        interest = interest_fen(body.amount_fen, body.rate_bp, body.term_days)
    else:
        # The price is fixed now, from the days left to the claim's due date.
        claim = get_voucher(ctx.state, request.voucher)
        assert claim is not None and claim.reserved_by == request.id
        sale.require_not_due(claim.due_ms, ctx.time_ms)
        price_fen = discounted_fen(body.amount_fen, body.rate_bp,
                                   whole_days(ctx.time_ms, claim.due_ms))
        require(price_fen > 0, "financing.bad_price",
                "the discount takes the whole claim: a price is at least 1 fen")
    answer = Answer(ctx.tx_id, request.id, body.funder, body.amount_fen, body.rate_bp,
                    body.term_days, body.recourse, price_fen, interest, body.expires_ms,
                    "offered", "", ctx.time_ms, None)
    _record_answer(ctx, request, latest, answer)
    ctx.emit("financing.quoted", answer.id, request.holder, body.funder)


def decline(ctx: Context, body: Decline) -> None:
    request, latest = _answering(ctx, body.request, body.funder)
    answer = Answer(ctx.tx_id, request.id, body.funder, 0, 0, 0, None, 0, 0, ctx.time_ms,
                    "declined", body.reason, ctx.time_ms, ctx.time_ms)
    _record_answer(ctx, request, latest, answer)
    ctx.emit("financing.declined", answer.id, request.holder, body.funder)


def withdraw(ctx: Context, body: Withdraw) -> None:
    request = load_request(ctx.state, body.request)
    require(request.holder == body.holder, "financing.not_holder",
            "only the holder who asked withdraws a request")
    require(request.status == "open", "financing.closed", f"the request is {request.status}")
    unreserve(ctx.state, request.voucher, request.id)
    _close(ctx, request, "withdrawn")
    ctx.emit("financing.withdrawn", request.id, *_parties(ctx.state, request))


def accept(ctx: Context, body: Accept) -> None:
    answer = get_answer(ctx.state, body.quote)
    if answer is None:
        raise Rejected("financing.unknown_quote", f"no quote {body.quote.hex()}")
    require(answer.funder == body.funder, "financing.not_quoter",
            "the quote is accepted with the funder that made it")
    request = load_request(ctx.state, answer.request)
    require(request.holder == body.holder, "financing.not_holder",
            "only the holder who asked accepts a quote")
    request = _open_request(ctx, request.id)
    require(answer.status == "offered", "financing.quote_not_live",
            f"the quote is {answer.status}")
    require(ctx.time_ms <= answer.expires_ms, "financing.quote_expired",
            "the quote expired; ask the funder for a new one")
    require_fitting_funder(ctx.state, body.funder, request.kind)
    voucher = unreserve(ctx.state, request.voucher, request.id)
    if request.kind == "pledge_loan":
        require(body.documents == (), "financing.wrong_terms",
                "a pledge loan's acceptance names no sale documents")
        outcome = _lend(ctx, voucher, answer, body)
    else:
        outcome = _sell(ctx, voucher, answer, body)
    closed = _close(ctx, request, "accepted", accepted=answer.id)
    put_record(ctx.state, request_key(request.id), replace(
        closed, quote=answer.id, outcome=outcome))
    ctx.emit("financing.accepted", request.id, *_parties(ctx.state, request))


def _lend(ctx: Context, voucher: Voucher, answer: Answer, body: Accept) -> bytes:
    """Register the pledge of the whole reserved part for the quoted loan."""
    registered = pledge.register(ctx, voucher, pledge.Create(
        holder=voucher.holder, bank=answer.funder, voucher=voucher.id,
        secured_fen=voucher.amount_fen, loan_due_ms=ctx.time_ms + answer.term_days * DAY_MS,
        loan_ref=body.contract_ref, loan_fen=answer.amount_fen, loan_rate_bp=answer.rate_bp,
        filing=body.filing))
    return registered.id


def _sell(ctx: Context, voucher: Voucher, answer: Answer, body: Accept) -> bytes:
    """Sell the quoted amount of the reserved part at the quoted price; any rest stays the
    holder's."""
    voucher, remainder = split_off(ctx.state, voucher, answer.amount_fen, ctx.tx_id,
                                   ctx.time_ms, ctx.height)
    if remainder is not None:
        # Named to the holder: the state the funder gets is not the holder's to read.
        ctx.emit("voucher.split", voucher.id, voucher.holder, voucher.debtor)
        ctx.emit("voucher.remainder", remainder.id, voucher.holder, voucher.debtor)
    assert answer.recourse is not None
    return sale.execute(ctx, voucher, answer.funder, answer.price_fen, answer.rate_bp,
                        answer.recourse, body.contract_ref, body.documents, body.filing)


def end_block(ctx: Context) -> None:
    """Lapse the open requests whose open time passed before this block's time, earliest
    first and at most MAX_LAPSES_PER_BLOCK; the rest in the next blocks (nobody quotes on
    or accepts them meanwhile: `financing.request_lapsed`)."""
    due: list[bytes] = []
    for key, _ in ctx.state.scan(b"fnt/"):
        open_until_ms = int.from_bytes(key[4:12], "big")
        if open_until_ms >= ctx.time_ms or len(due) >= MAX_LAPSES_PER_BLOCK:
            break
        due.append(key[12:])
    for request_id in due:
        request = load_request(ctx.state, request_id)
        unreserve(ctx.state, request.voucher, request.id)
        _close(ctx, request, "lapsed")
        ctx.emit("financing.lapsed", request.id, *_parties(ctx.state, request))


# ------------------------------------------------------------------ who may read


def may_read_request(state: Reader, caller: Caller, request: FinancingRequest) -> bool:
    """A request is its holder's and the funders' it reaches (§000-三(四): 融资需求推送):
    those it names, or every funder whose role fits it when it goes to all; a funder
    that answered reads it still after. Not the debtor's: it learns of a sale or a
    pledge when one is made."""
    if caller.oversees or caller.one_of(request.holder):
        return True
    if not caller.member or caller.address is None:
        return False
    return may_answer(state, request, caller.address) \
        or state.get(latest_key(request.id, caller.address)) is not None


def may_read_answer(state: Reader, caller: Caller, answer: Answer) -> bool:
    """A quote or refusal is the holder's and the funder's that made it: the funders a
    request reaches compete, and none reads another's price."""
    if caller.oversees or caller.one_of(answer.funder):
        return True
    request = get_request(state, answer.request)
    assert request is not None, "an answer's request is stored"
    return caller.one_of(request.holder)


def may_read_voucher_as_funder(state: Reader, caller: Caller, voucher: Voucher) -> bool:
    """A funder an open request reaches reads the reserved state, and with it its lineage
    back to the debtor's confirmation, to judge the claim (贸易背景真实性调查, §000-三(四));
    the debtor's record is every member's already. Once the request ends it reads no more."""
    if voucher.reserved_by is None or not caller.member or caller.address is None:
        return False
    request = get_request(state, voucher.reserved_by)
    return request is not None and request.status == "open" \
        and request.voucher == voucher.id and may_answer(state, request, caller.address)


READS = (
    Read("financing_request", ("holder", "funder", *OVERSIGHT), may_read_request,
         not_readers=("debtor",)),
    Read("financing_answer", ("holder", "quoter", *OVERSIGHT), may_read_answer,
         not_readers=("funder",)),
    Read("voucher", ("funder",), may_read_voucher_as_funder),
)


OPERATIONS = (
    Operation("request", Request, lambda b: (b.holder,), request),
    Operation("quote", Quote, lambda b: (b.funder,), quote),
    Operation("decline", Decline, lambda b: (b.funder,), decline),
    Operation("withdraw", Withdraw, lambda b: (b.holder,), withdraw),
    Operation("accept", Accept, lambda b: (b.holder, b.funder), accept),
)
