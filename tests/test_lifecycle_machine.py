"""Random sequences of every lifecycle operation keep the ledger's promises (hypothesis).

The machine drives the in-memory ledger with issue, transfer, split, pledge, its
amendment, renewal and partial release, release, enforce, acquisition
commit/withdraw/exercise, offers, redemption requests and their decisions, merchant
payments, transfer offers and their answers (签收: sign, refuse, withdraw, lapse at the end
of a block), financing requests with their quotes, refusals, acceptances (a pledge loan or
a sale), withdrawals and lapses, fee schedules, suspensions, and ledger time crossing
due dates, lock ends, loan due dates and requests' open times; and it tries to finance
an issued voucher's basis contract again (an
application or an obligation on the same document or reference), which must be refused
with `basis.in_use`. A suspended member signs nothing: any attempt it
signs, in any family (obligations, issuance and set-off included), must be refused with
`membership.suspended` before the operation's own rules run. Each attempt is built
valid from a model of the ledger and then, now and then, broken in exactly one way, so
the model knows the code it must be refused with; a refusal must change nothing. Now and
then the attempt is also signed by the wrong keys first, which must be refused at check
time with a `tx.*` code.

After every step the ledger's own records are checked against each other (each origin's
live parts add up to what the debtor still owes on it, one holder per live part in
exactly one live index, holder and debtor totals, one active pledge per voucher, waiting
requests, pending transfers and the reservations they hold, open financing requests and
theirs (never a part financed twice), each basis contract backing one voucher, title
certificate numbers named by one offer, consumption caps never exceeded) and against the
model.
After every block, every voucher state that left circulation or lost its pledge did so
with the signature of the member whose right it was: its holder, its bank, the debtor
settling the holder's request, or the transferee signing for the holder's offer; a bank's
partial release splits a state into parts its holder holds, adding up to it.

Supervision (its own block of rules): regulators and the agency freeze all or part of a
claim on a court order and lift it, members dispute a voucher and the agency resolves
it, and the agency voids a voucher by the parties' agreement or by a decision. A frozen
state, and every live part of a disputed voucher, never changes holder or amount; live
parts add up to face − redeemed − set off − voided; voiding leaves circulation only by
the agency's signature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from contracts import (
    acquisition,
    basis,
    commitment,
    credit,
    fees,
    financing,
    holds,
    issuance,
    membership,
    obligations,
    payment,
    pledge,
    pricing,
    redemption,
    sale,
    setoff,
    supervision,
)
from contracts import transfer as transfers
from contracts.codec import decode, encode, sha256
from contracts.errors import LedgerError
from contracts.identity import KeyPair
from contracts.issuance import DAY_MS
from contracts.ledger import check_transaction, sign_transaction
from contracts.pricing import discounted_fen, whole_days
from contracts.state import Reader
from contracts.tx import Transaction, payload_id
from contracts.vouchers import (
    MAX_COMMITMENTS,
    DebtorRecord,
    HolderTotals,
    Origin,
    Voucher,
    children_ids,
    issued_voucher_id,
    live_ids_by_holder,
    part_id,
)
from contracts.vouchers import held_on as vouchers_held_on  # credit limits
from tests.memledger import CHAIN, ROLES, Ledger

NAMES = tuple(ROLES)
BANKS = ("bank", "bank2")
DEBTORS = ("core", "supplier3")
CREDITORS = ("supplier", "supplier2")
ACQUIRER = "acquirer"
MERCHANT = "merchant"
FEE_BP = 5
UNKNOWN = sha256(b"no such record")
OUTSIDER = "outsider"  # a key that signs, never admitted
BLOCK_MS = 1000


# ------------------------------------------------------------------ the model


@dataclass
class ModelVoucher:
    holder: str
    debtor: str
    amount_fen: int
    origin: bytes
    asset: bool
    consumption: bool
    due_ms: int
    extension_days: int
    extension_max: int
    extensions_used: int = 0
    overdue: bool = False
    status: str = "active"
    pledge: bytes | None = None
    reserved_by: bytes | None = None
    commitments: tuple[bytes, ...] = ()


@dataclass
class ModelPledge:
    voucher: bytes
    pledgor: str
    bank: str
    secured_fen: int
    loan_due_ms: int
    loan_fen: int
    rate_bp: int
    loan_ref: str = "LOAN-1"
    status: str = "active"


@dataclass
class ModelCommitment:
    acquirer: str
    price_per_10000_fen: int
    lock_until_ms: int
    expires_ms: int
    status: str = "open"
    exercised_fen: int = 0
    paid_fen: int = 0


@dataclass
class ModelOffer:
    debtor: str
    kind: str
    price_fen: int
    title: str = ""  # an asset's title certificate number
    cap_fen: int = 0  # a consumption offer's cap, 0 for none
    used_fen: int = 0
    status: str = "listed"  # listed, withdrawn, redeemed (asset taken or cap used up)

    def left_fen(self) -> int | None:
        return None if self.cap_fen == 0 else self.cap_fen - self.used_fen


@dataclass
class ModelRequest:
    voucher: bytes
    holder: str
    debtor: str
    offer: bytes
    price_fen: int
    status: str = "requested"


@dataclass
class ModelFinancing:
    voucher: bytes  # the reserved state
    holder: str
    debtor: str
    amount_fen: int
    kind: str
    funders: tuple[str, ...]  # empty: every funder
    open_until_ms: int
    status: str = "open"
    outcome: bytes | None = None  # the pledge or the sale made on acceptance


@dataclass
class ModelAnswer:
    request: bytes
    funder: str
    amount_fen: int
    rate_bp: int
    term_days: int
    recourse: bool | None
    price_fen: int
    expires_ms: int
    status: str  # offered, replaced, accepted, lapsed or declined


@dataclass
class ModelSale:
    seller: str
    buyer: str
    sold: bytes  # the buyer's state
    recourse: bool
    status: str = "sold"


@dataclass
class ModelTransfer:
    voucher: bytes  # the reserved state
    holder: str
    to: str
    amount_fen: int
    sign_by_ms: int
    status: str = "pending"


@dataclass
class Attempt:
    """One transaction, the code it must be refused with (None: accepted) and its effect."""

    contract: str
    operation: str
    body: Any
    signers: tuple[str, ...]
    expect: str | None
    effect: Callable[[bytes], None]  # the model's change, given the transaction id
    advance_ms: int = BLOCK_MS


def records(state: Reader, prefix: bytes, cls: type) -> list:
    return [decode(cls, raw) for _, raw in state.scan(prefix)]


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger(fee_rate_bp=FEE_BP, key_seed=b"lifecycle machine")
        self.ledger.keys[OUTSIDER] = KeyPair(sha256(b"lifecycle machine outsider"))
        self.name_of = {self.ledger.addr(n): n for n in NAMES}
        self.member_status = dict.fromkeys(NAMES, "active")
        self.vouchers: dict[bytes, ModelVoucher] = {}
        self.face: dict[bytes, int] = {}
        self.redeemed: dict[bytes, int] = {}
        self.pledges: dict[bytes, ModelPledge] = {}
        self.commitments: dict[bytes, ModelCommitment] = {}
        self.offers: dict[bytes, ModelOffer] = {}
        self.bases: dict[bytes, tuple[str, str, str]] = {}  # origin: creditor, debtor, ref
        self.requests: dict[bytes, ModelRequest] = {}
        self.financings: dict[bytes, ModelFinancing] = {}
        self.answers: dict[bytes, ModelAnswer] = {}
        self.transfers: dict[bytes, ModelTransfer] = {}
        self.fee_bp = (FEE_BP, FEE_BP)
        self.charged: dict[str, int] = {}
        self.sales: dict[bytes, ModelSale] = {}
        self.init_credit()
        # Supervision (the block "supervision" below): frozen state -> (order, holder,
        # amount, authority); disputed origin -> (dispute, raiser, fen by holder when
        # raised); origin -> voided fen.
        self.frozen: dict[bytes, tuple[bytes, str, int, str]] = {}
        self.disputed: dict[bytes, tuple[bytes, str, dict[str, int]]] = {}
        self.voided: dict[bytes, int] = {}

    # -------------------------------------------------------------- model queries

    def address(self, who: str | bytes | None) -> bytes | None:
        if who is None or isinstance(who, bytes):
            return who
        return self.ledger.addr(who)

    def active(self, name: str) -> bool:
        return self.member_status[name] == "active"

    def can_hold(self, name: str) -> bool:
        return self.active(name) and ROLES[name] != ("regulator",)

    def live(self) -> list[bytes]:
        return [i for i, v in self.vouchers.items() if v.status == "active"]

    def held(self) -> list[bytes]:
        """Live vouchers whose holder may act on them: active holder, no waiting request,
        no court order or dispute holding them."""
        return [i for i in self.live() if self.vouchers[i].reserved_by is None
                and self.active(self.vouchers[i].holder)
                and not self.on_hold_supervision(i)]

    def movable(self) -> list[bytes]:
        """Held vouchers that may move now, with their bank's consent if pledged."""
        return [i for i in self.held() if self.vouchers[i].pledge is None
                or self.active(self.pledges[self.vouchers[i].pledge].bank)]

    def bank_of(self, voucher: ModelVoucher) -> str | None:
        return None if voucher.pledge is None else self.pledges[voucher.pledge].bank

    @staticmethod
    def pick(data: st.DataObject, items: list) -> Any:
        return data.draw(st.sampled_from(items)) if items else None

    @staticmethod
    def amount(data: st.DataObject, available_fen: int) -> int:
        """The whole claim or a part of it."""
        if data.draw(st.booleans()):
            return available_fen
        return data.draw(st.integers(1, available_fen))

    @staticmethod
    def up_to(data: st.DataObject, lo: int, hi: int) -> int:
        """A value in lo..hi, often hi itself: the last moment before a limit."""
        if data.draw(st.booleans()):
            return hi
        return data.draw(st.integers(lo, hi))

    @staticmethod
    def price(data: st.DataObject, claim_fen: int) -> int:
        """A redemption price below, equal to or above the claim."""
        relation = data.draw(st.sampled_from(["below", "equal", "above"]))
        if relation == "below" and claim_fen > 1:
            return data.draw(st.integers(1, claim_fen - 1))
        if relation == "above":
            return claim_fen + data.draw(st.integers(1, claim_fen))
        return claim_fen

    @staticmethod
    def mutation(data: st.DataObject, options: list[str]) -> str | None:
        """Mostly none, so the ledger grows; otherwise one of the applicable breakages."""
        if not options or data.draw(st.integers(0, 2)) > 0:
            return None
        return data.draw(st.sampled_from(options))

    # -------------------------------------------------------------- breakages shared by rules

    def voucher_breakages(self) -> list[str]:
        found = ["unknown voucher", "not the holder"]
        statuses = {v.status for v in self.vouchers.values()}
        found += [f"{s} voucher" for s in ("consumed", "cancelled") if s in statuses]
        if any(not self.active(self.vouchers[i].holder) for i in self.live()):
            found.append("suspended holder")
        if any(self.vouchers[i].reserved_by and self.active(self.vouchers[i].holder)
               for i in self.live()):
            found.append("reserved voucher")
        return found

    def break_voucher(self, data: st.DataObject, kind: str, p: dict,
                      holder_key: str = "holder") -> str:
        """Point `p` at a voucher its holder field may not act on; the code load_held gives."""
        if kind == "unknown voucher":
            p["voucher"] = UNKNOWN
            return "voucher.unknown"
        if kind == "not the holder":
            holder = self.vouchers[p["voucher"]].holder
            p[holder_key] = self.pick(data, [n for n in NAMES if n != holder])
            return "voucher.not_holder"
        if kind in ("consumed voucher", "cancelled voucher"):
            status = kind.split()[0]
            choices = [i for i, v in self.vouchers.items() if v.status == status]
            code = f"voucher.{status}"
        elif kind == "suspended holder":
            choices = [i for i in self.live() if not self.active(self.vouchers[i].holder)]
            code = "membership.suspended"
        else:
            assert kind == "reserved voucher"
            choices = [i for i in self.live() if self.vouchers[i].reserved_by
                       and self.active(self.vouchers[i].holder)]
            code = "voucher.reserved"
        p["voucher"] = self.pick(data, choices)
        p[holder_key] = self.vouchers[p["voucher"]].holder
        return code

    @staticmethod
    def pledgee_breakages(voucher: ModelVoucher) -> list[str]:
        if voucher.pledge is None:
            return ["needless pledgee"]
        return ["no pledgee", "wrong bank"]

    def break_pledgee(self, data: st.DataObject, kind: str, p: dict) -> str:
        if kind == "needless pledgee":
            p["pledgee"] = self.pick(data, list(BANKS))
            return "pledge.not_pledged"
        if kind == "no pledgee":
            p["pledgee"] = None
            return "voucher.pledged"
        assert kind == "wrong bank"
        p["pledgee"] = self.pick(data, [b for b in BANKS if b != p["pledgee"]])
        return "pledge.wrong_bank"

    def break_amount(self, kind: str, p: dict, available_fen: int, key: str = "amount") -> str:
        if kind == "zero amount":
            p[key] = 0
            return "voucher.bad_amount"
        assert kind == "amount over"
        p[key] = available_fen + 1
        return "voucher.over_amount"

    # -------------------------------------------------------------- model changes

    def charge(self, name: str, fee_fen: int) -> None:
        self.charged[name] = self.charged.get(name, 0) + fee_fen

    def end_pledge(self, voucher: ModelVoucher, status: str) -> None:
        if voucher.pledge is not None:
            self.pledges[voucher.pledge].status = status
            voucher.pledge = None

    def replace_with(self, tx_id: bytes, voucher_id: bytes,
                     parts: list[tuple[str, int]]) -> list[bytes]:
        parent = self.vouchers[voucher_id]
        assert parent.pledge is None and sum(a for _, a in parts) <= parent.amount_fen
        parent.status = "consumed"
        created = []
        for index, (holder, amount_fen) in enumerate(parts):
            child_id = part_id(tx_id, voucher_id, index)
            self.vouchers[child_id] = replace(
                parent, holder=holder, amount_fen=amount_fen, status="active", pledge=None,
                reserved_by=None)
            created.append(child_id)
        return created

    def move(self, tx_id: bytes, voucher_id: bytes, to: str, amount_fen: int) -> list[bytes]:
        """A change of holder of `amount_fen` (transfer, payment, sale): the rest stays."""
        voucher = self.vouchers[voucher_id]
        self.end_pledge(voucher, "released")
        parts = [(to, amount_fen)]
        if amount_fen < voucher.amount_fen:
            parts.append((voucher.holder, voucher.amount_fen - amount_fen))
        self.charge(voucher.holder, fees.fee_for(amount_fen, self.fee_bp[0]))
        return self.replace_with(tx_id, voucher_id, parts)

    def end_block(self, time_ms: int) -> None:
        for t in self.transfers.values():
            if t.status == "pending" and t.sign_by_ms < time_ms:
                t.status = "lapsed"
                self.vouchers[t.voucher].reserved_by = None
                event("transfer lapsed at the end of a block")
        for voucher in self.vouchers.values():
            if voucher.status != "active" or voucher.overdue:
                continue
            # After a long pause a state takes every extension it owes in one block.
            while voucher.due_ms < time_ms and voucher.extension_days \
                    and voucher.extensions_used < voucher.extension_max:
                voucher.due_ms += voucher.extension_days * DAY_MS
                voucher.extensions_used += 1
            if voucher.due_ms < time_ms:
                voucher.overdue = True
        for request_id, r in self.financings.items():
            if r.status == "open" and r.open_until_ms < time_ms:
                self.close_financing(request_id, "lapsed")

    # -------------------------------------------------------------- submitting

    def try_wrong_signers(self, data: st.DataObject, attempt: Attempt) -> None:
        """The same operation signed by the wrong keys is refused before any rule runs."""
        required = sorted(set(attempt.signers))
        outsiders = [n for n in NAMES if n not in required]
        kind = data.draw(st.sampled_from(["drop", "add", "swap"]))
        signers = list(required)
        if kind in ("drop", "swap"):
            signers.remove(data.draw(st.sampled_from(required)))
        if kind in ("add", "swap"):
            signers.append(data.draw(st.sampled_from(outsiders)))
        code = "tx.missing_signature" if kind == "drop" else "tx.unexpected_signature"
        tx = self.ledger.tx(attempt.contract, attempt.operation, attempt.body, *signers)
        if kind == "swap":
            # As many signatures as signers, one by the wrong key: which key signs for a
            # member is the state's (it can change), so the block refuses it.
            assert self.ledger.refused(tx) == code
        else:
            with pytest.raises(LedgerError) as refused:
                check_transaction(self.ledger.registry, CHAIN, encode(tx),
                                  self.ledger.height + 1)
            assert refused.value.code == code
        event(f"wrong signers: {code}")

    def submit(self, data: st.DataObject, attempt: Attempt) -> None:
        if data.draw(st.integers(0, 3)) == 0:
            self.try_wrong_signers(data, attempt)
        if any(self.member_status.get(n) == "suspended" for n in attempt.signers):
            # A suspended member signs nothing: checked before any rule of the operation.
            attempt = replace(attempt, expect="membership.suspended")
        attempt = self.with_exposure_limit(attempt)  # credit limits
        tx = self.ledger.tx(attempt.contract, attempt.operation, attempt.body, *attempt.signers)
        name = f"{attempt.contract}.{attempt.operation}"
        if attempt.expect is not None:
            code = self.ledger.refused(tx, advance_ms=attempt.advance_ms)  # asserts no change
            assert code == attempt.expect, f"{name} refused with {code}, not {attempt.expect}"
            event(f"{name}: {code}")
            return
        tx_id = payload_id(tx.payload)
        self.commit_block([tx], attempt.advance_ms, lambda: attempt.effect(tx_id))
        consented = getattr(attempt.body, "pledgee", None) is not None
        event(f"{name}: accepted" + (" with the bank's consent" if consented else ""))

    def commit_block(self, txs: list[Transaction], advance_ms: int,
                     effect: Callable[[], None]) -> None:
        before = {v.id: v for v in records(self.ledger.store, b"v/", Voucher)
                  if v.status == "active"}
        # The members whose keys signed (a key stands for its member, rotated or not).
        signers = {membership.owner_of_key(self.ledger.store, s.signer)
                   for tx in txs for s in tx.signatures}
        try:
            self.ledger.block(*txs, advance_ms=advance_ms)
        except LedgerError as e:
            raise AssertionError(f"refused with {e.code}, though valid by the model") from e
        effect()
        self.end_block(self.ledger.time_ms)
        self.check_consent(before, signers)

    def check_consent(self, before: dict[bytes, Voucher], signers: set[bytes]) -> None:
        """A state left circulation or lost its pledge only with the right signatures."""
        state = self.ledger.store
        for voucher_id, old in before.items():
            new = decode(Voucher, state.get(b"v/" + voucher_id))
            if old.pledge is not None and (new.status != "active" or new.pledge != old.pledge):
                registered = pledge.get_pledge(state, old.pledge)
                assert registered is not None and registered.bank in signers, \
                    "a pledged voucher moved or was freed without its bank"
            if new.status == "active":
                continue
            by_bank = old.pledge is not None and pledge.get_pledge(
                state, old.pledge).status == "enforced"
            if old.pledge is not None and not by_bank:
                # A partial release: the bank splits the state into parts of its holder.
                parts = [decode(Voucher, state.get(b"v/" + c))
                         for c in children_ids(state, voucher_id)]
                by_bank = parts != [] and new.status == "consumed" \
                    and all(c.holder == old.holder for c in parts) \
                    and sum(c.amount_fen for c in parts) == old.amount_fen
            request = old.reserved_by and redemption.get_request(state, old.reserved_by)
            settled = bool(request) and request.status == "accepted" \
                and request.holder == old.holder and request.debtor in signers
            # The holder consented when it offered the transfer; the transferee signs now.
            offered = old.reserved_by and transfers.get_pending_transfer(state, old.reserved_by)
            signed_for = bool(offered) and offered.status == "signed" \
                and offered.holder == old.holder and offered.to in signers
            # The agency voids by a recorded decision; a court's freeze splits off the part
            # it holds, for the same holder (contracts.supervision).
            voided = new.status == "voided" and self.ledger.addr("agency") in signers
            ordered = new.ended_by is not None and supervision.get_freeze(
                state, new.ended_by) is not None
            assert old.holder in signers or by_bank or settled or signed_for or voided \
                or ordered, \
                "a voucher state left circulation without its holder's consent"

    # -------------------------------------------------------------- issue

    def issue(self, data: st.DataObject) -> None:
        creditor = self.pick(data, [c for c in CREDITORS if self.active(c)])
        debtor = self.pick(data, [d for d in DEBTORS if self.active(d)])
        if creditor is None or debtor is None:
            return
        amount_fen = data.draw(st.integers(1, 2_000_000))
        due_ms = self.ledger.time_ms + BLOCK_MS + data.draw(st.integers(1, 120 * DAY_MS))
        extension_days, extension_max = data.draw(
            st.sampled_from([(0, 0), (0, 0), (7, 1), (30, 2), (15, 3)]))
        asset, consumption = data.draw(
            st.sampled_from([(True, False), (False, True), (True, True)]))
        basis = f"HT-{self.ledger.nonce}"
        terms = issuance.Terms(self.ledger.addr(debtor), amount_fen, due_ms, asset, consumption,
                               extension_days, extension_max, basis, sha256(basis.encode()))
        apply = self.ledger.tx("issuance", "apply",
                               issuance.Apply(self.ledger.addr(creditor), terms), creditor)
        application = payload_id(apply.payload)
        confirm = self.ledger.tx("issuance", "confirm",
                                 issuance.Confirm(self.ledger.addr(debtor), application), debtor)
        approve = self.ledger.tx("issuance", "approve",
                                 issuance.Approve(self.ledger.addr("agency"), application),
                                 "agency")
        voucher_id = issued_voucher_id(application)
        if self.over_issuance_limit(debtor, amount_fen):  # credit limits
            assert self.ledger.refused(apply, confirm, approve) == "credit.issuance_limit"
            event("issuance: over the debtor's limit")
            return

        def effect() -> None:
            self.bases[voucher_id] = (creditor, debtor, basis)
            self.vouchers[voucher_id] = ModelVoucher(
                creditor, debtor, amount_fen, voucher_id, asset, consumption, due_ms,
                extension_days, extension_max)
            self.face[voucher_id] = amount_fen
            self.redeemed[voucher_id] = 0

        self.commit_block([apply, confirm, approve], BLOCK_MS, effect)
        event("issuance: accepted")

    @initialize(data=st.data())
    def start_with_two_vouchers(self, data: st.DataObject) -> None:
        self.issue(data)
        self.issue(data)

    @rule(data=st.data())
    def issue_voucher(self, data: st.DataObject) -> None:
        self.issue(data)

    @rule(data=st.data())
    def finance_twice(self, data: st.DataObject) -> None:
        """An issued voucher's basis contract backs nothing else: another application or
        an obligation on the same document (under a renamed reference too) or on the same
        reference (with an amended document) is refused."""
        origin = self.pick(data, [o for o, (c, d, _) in self.bases.items()
                                  if self.active(c) and self.active(d)])
        if origin is None:
            return
        creditor, debtor, ref = self.bases[origin]
        digest = sha256(ref.encode())
        how = self.pick(data, ["same", "renamed reference", "amended document"])
        if how == "renamed reference":
            ref = f"{ref} (renamed)"
        elif how == "amended document":
            ref, digest = f" {ref.lower()}", sha256(b"amended " + ref.encode())
        due_ms = self.ledger.time_ms + 90 * DAY_MS
        me, them = self.ledger.addr(creditor), self.ledger.addr(debtor)
        if self.pick(data, ["issuance", "obligation"]) == "issuance":
            body: Any = issuance.Apply(me, issuance.Terms(them, 1_000, due_ms, True, False, 0,
                                                          0, ref, digest))
            attempt = Attempt("issuance", "apply", body, (creditor,), "basis.in_use",
                              lambda _: None)
        else:
            body = obligations.Submit(me, them, 1_000, due_ms, ref, digest)
            attempt = Attempt("obligation", "submit", body, (creditor,), "basis.in_use",
                              lambda _: None)
        event(f"finance twice: {how}")
        self.submit(data, attempt)

    # -------------------------------------------------------------- transfer and split

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, self.movable())
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        to = self.pick(data, [n for n in NAMES
                              if n not in (v.holder, v.debtor) and self.can_hold(n)])
        if to is None:
            return
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, to=to,
                                 amount=self.amount(data, v.amount_fen),
                                 pledgee=self.bank_of(v))
        options = [*self.voucher_breakages(), "to self", "to debtor", "to non-member",
                   "zero amount", "amount over", *self.pledgee_breakages(v)]
        if self.active("regulator"):
            options.append("to regulator")
        suspended = [n for n in NAMES if n not in (v.holder, v.debtor) and not self.active(n)]
        if suspended:
            options.append("to suspended")
        kind = self.mutation(data, options)
        expect = None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind is not None:
            p["to"], expect = {
                "to self": (v.holder, "transfer.to_self"),
                "to debtor": (v.debtor, "transfer.to_debtor"),
                "to non-member": (OUTSIDER, "membership.not_member"),
                "to regulator": ("regulator", "membership.cannot_hold"),
                "to suspended": (self.pick(data, suspended), "membership.suspended"),
            }[kind]
        body = transfers.Transfer(self.address(p["holder"]), p["voucher"], self.address(p["to"]),
                                  p["amount"], self.address(p["pledgee"]), "TC-1")
        signers = (p["holder"], p["to"]) if p["pledgee"] is None \
            else (p["holder"], p["to"], p["pledgee"])
        self.submit(data, Attempt(
            "transfer", "transfer", body, signers, expect,
            lambda tx_id: self.move(tx_id, voucher_id, to, p["amount"])))

    @rule(data=st.data())
    def spend_twice_in_one_block(self, data: st.DataObject) -> None:
        """Two transfers of one voucher in one block: the second finds it consumed."""
        voucher_id = self.pick(data, [i for i in self.movable()
                                      if self.vouchers[i].pledge is None])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        # Not to a funder with an exposure limit on the debtor: the first transfer could meet
        # it (credit.exposure_limit), which the rules of the credit block try on their own.
        targets = [n for n in NAMES if n not in (v.holder, v.debtor) and self.can_hold(n)
                   and (n, v.debtor) not in self.exposure_limits]
        if not targets:
            return
        to = self.pick(data, targets)
        txs = [self.ledger.tx("transfer", "transfer", transfers.Transfer(
            self.ledger.addr(v.holder), voucher_id, self.ledger.addr(to),
            self.amount(data, v.amount_fen), None, "TC-1"), v.holder, to) for _ in range(2)]
        assert self.ledger.refused(*txs) == "voucher.consumed"  # and nothing changed
        event("transfer.transfer twice in a block: voucher.consumed")

    @rule(data=st.data())
    def offer_transfer(self, data: st.DataObject) -> None:
        """The holder offers all or part of a voucher; the part is reserved (签收)."""
        voucher_id = self.pick(data, self.movable())
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        to = self.pick(data, [n for n in NAMES
                              if n not in (v.holder, v.debtor) and self.can_hold(n)])
        if to is None:
            return
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, to=to,
                                 amount=self.amount(data, v.amount_fen),
                                 pledgee=self.bank_of(v),
                                 days=self.up_to(data, 1, transfers.MAX_SIGN_DAYS))
        options = [*self.voucher_breakages(), "to self", "to debtor", "to non-member",
                   "zero amount", "amount over", "no days", "too many days",
                   *self.pledgee_breakages(v)]
        suspended = [n for n in NAMES if n not in (v.holder, v.debtor) and not self.active(n)]
        if suspended:
            options.append("to suspended")
        kind = self.mutation(data, options)
        expect = None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind in ("no days", "too many days"):
            p["days"] = 0 if kind == "no days" else transfers.MAX_SIGN_DAYS + 1
            expect = "transfer.bad_days"
        elif kind is not None:
            p["to"], expect = {
                "to self": (v.holder, "transfer.to_self"),
                "to debtor": (v.debtor, "transfer.to_debtor"),
                "to non-member": (OUTSIDER, "membership.not_member"),
                "to suspended": (self.pick(data, suspended), "membership.suspended"),
            }[kind]
        body = transfers.Offer(self.address(p["holder"]), p["voucher"], self.address(p["to"]),
                               p["amount"], self.address(p["pledgee"]), "TC-1", p["days"])
        signers = (p["holder"],) if p["pledgee"] is None else (p["holder"], p["pledgee"])

        def effect(tx_id: bytes) -> None:
            self.end_pledge(v, "released")
            reserved = voucher_id
            if p["amount"] < v.amount_fen:
                reserved, _ = self.replace_with(tx_id, voucher_id, [
                    (v.holder, p["amount"]), (v.holder, v.amount_fen - p["amount"])])
            self.vouchers[reserved].reserved_by = tx_id
            self.transfers[tx_id] = ModelTransfer(reserved, v.holder, to, p["amount"],
                                                  self.ledger.time_ms + p["days"] * DAY_MS)

        self.submit(data, Attempt("transfer", "offer", body, signers, expect, effect))

    @rule(data=st.data())
    def answer_transfer(self, data: st.DataObject) -> None:
        """The transferee signs or refuses a pending transfer, or its holder withdraws it;
        past its time to sign, signing and refusing are refused (it lapses at the block's
        end)."""
        transfer_id = self.pick(data, [i for i, t in self.transfers.items()
                                       if t.status == "pending"])
        if transfer_id is None:
            return self.offer_transfer(data)  # nothing to act on yet: make it
        t = self.transfers[transfer_id]
        operation = self.pick(data, ["sign", "sign", "refuse", "withdraw"])
        signer_key = "holder" if operation == "withdraw" else "to"
        advance_ms = self.pick(data, [BLOCK_MS, BLOCK_MS, max(
            1, t.sign_by_ms - self.ledger.time_ms), t.sign_by_ms - self.ledger.time_ms + 1])
        late = self.ledger.time_ms + advance_ms > t.sign_by_ms
        p: dict[str, Any] = dict(holder=t.holder, to=t.to, transfer=transfer_id)
        expect = None
        if operation != "withdraw" and late:
            expect = "transfer.lapsed"
        elif operation == "sign" and not self.active(t.holder):
            expect = "membership.suspended"
        decided = [i for i, x in self.transfers.items() if x.status != "pending"]
        options = ["not the signer", "unknown transfer"] + (["decided"] if decided else [])
        kind = self.mutation(data, options)
        if kind == "not the signer":
            p[signer_key] = self.pick(data, [n for n in NAMES if n != p[signer_key]])
            if operation == "withdraw":
                expect = "transfer.not_holder"
            elif not late:
                expect = "transfer.not_transferee"
        elif kind == "unknown transfer":
            p["transfer"] = UNKNOWN
            expect = "transfer.unknown"
        elif kind == "decided":
            p["transfer"] = self.pick(data, decided)
            other = self.transfers[p["transfer"]]
            p["holder"], p["to"] = other.holder, other.to
            lapsed = operation != "withdraw" and other.status == "lapsed"
            expect = "transfer.lapsed" if lapsed else "transfer.not_pending"
        holder, to = self.address(p["holder"]), self.address(p["to"])
        body: Any = {
            "sign": lambda: transfers.Sign(to, p["transfer"]),
            "refuse": lambda: transfers.Refuse(to, p["transfer"], "not ours"),
            "withdraw": lambda: transfers.Withdraw(holder, p["transfer"]),
        }[operation]()

        def effect(tx_id: bytes) -> None:
            v = self.vouchers[t.voucher]
            v.reserved_by = None
            t.status = {"sign": "signed", "refuse": "refused", "withdraw": "withdrawn"}[
                operation]
            if operation == "sign":
                self.move(tx_id, t.voucher, t.to, v.amount_fen)

        self.submit(data, Attempt("transfer", operation, body, (p[signer_key],), expect,
                                  effect, advance_ms))

    @rule(data=st.data())
    def split(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, [i for i in self.movable()
                                      if self.vouchers[i].amount_fen >= 2])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        count = data.draw(st.integers(2, min(4, v.amount_fen)))
        cuts = sorted(data.draw(st.lists(st.integers(1, v.amount_fen - 1), min_size=count - 1,
                                         max_size=count - 1, unique=True)))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, v.amount_fen], strict=True)]
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, amounts=amounts,
                                 pledgee=self.bank_of(v))
        options = [*self.voucher_breakages(), "zero part", "parts above",
                   *self.pledgee_breakages(v)]
        if max(amounts) > 1:
            options.append("parts below")
        kind = self.mutation(data, options)
        expect = None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind == "zero part":
            p["amounts"] = [0, *amounts[1:]]
            expect = "voucher.bad_amount"
        elif kind == "parts above":
            p["amounts"] = [*amounts[:-1], amounts[-1] + 1]
            expect = "voucher.parts_mismatch"
        elif kind == "parts below":
            index = amounts.index(max(amounts))
            p["amounts"] = [a - (i == index) for i, a in enumerate(amounts)]
            expect = "voucher.parts_mismatch"
        body = transfers.Split(self.address(p["holder"]), p["voucher"], tuple(p["amounts"]),
                               self.address(p["pledgee"]))
        signers = (p["holder"],) if p["pledgee"] is None else (p["holder"], p["pledgee"])

        def effect(tx_id: bytes) -> None:
            self.end_pledge(v, "released")
            self.replace_with(tx_id, voucher_id, [(v.holder, a) for a in amounts])

        self.submit(data, Attempt("transfer", "split", body, signers, expect, effect))

    # -------------------------------------------------------------- merchant payment

    @rule(data=st.data())
    def pay_merchant(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, [i for i in self.movable()
                                      if MERCHANT not in (self.vouchers[i].holder,
                                                          self.vouchers[i].debtor)])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, merchant=MERCHANT,
                                 amount=self.amount(data, v.amount_fen),
                                 pledgee=self.bank_of(v))
        expect = None if self.active(MERCHANT) else "membership.suspended"
        non_merchants = [n for n in NAMES if "merchant" not in ROLES[n] and self.active(n)]
        options = [] if expect else [
            *self.voucher_breakages(), "zero amount", "amount over", "not a merchant",
            *self.pledgee_breakages(v)]
        kind = self.mutation(data, options)
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind == "not a merchant":
            p["merchant"] = self.pick(data, non_merchants)
            expect = "membership.missing_role"
        body = payment.Pay(self.address(p["holder"]), p["voucher"], self.address(p["merchant"]),
                           p["amount"], "order 1", self.address(p["pledgee"]))
        signers = (p["holder"], p["merchant"])
        if p["pledgee"] is not None:
            signers = (*signers, p["pledgee"])
        self.submit(data, Attempt(
            "payment", "pay", body, signers, expect,
            lambda tx_id: self.move(tx_id, voucher_id, MERCHANT, p["amount"])))

    # -------------------------------------------------------------- pledge

    @rule(data=st.data())
    def pledge_voucher(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, [i for i in self.held() if self.vouchers[i].pledge is None])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        bank = self.pick(data, [b for b in BANKS if self.active(b) and b != v.holder])
        if bank is None:
            return
        block_ms = self.ledger.time_ms + BLOCK_MS
        p: dict[str, Any] = dict(
            holder=v.holder, voucher=voucher_id, bank=bank,
            secured=self.amount(data, v.amount_fen),
            loan_due=block_ms + data.draw(st.integers(1, 150 * DAY_MS)),
            loan=data.draw(st.integers(1, 2_000_000)), rate=data.draw(st.integers(0, 3_600)))
        pledged = [i for i in self.held() if self.vouchers[i].pledge is not None
                   and self.vouchers[i].holder != bank]
        non_banks = [n for n in NAMES if "bank" not in ROLES[n] and self.active(n)]
        options = [*self.voucher_breakages(), "not a bank", "zero amount", "amount over",
                   "loan due now"]
        if pledged:
            options.append("already pledged")
        if any(not self.active(b) for b in BANKS):
            options.append("suspended bank")
        if "bank" in ROLES[v.holder]:
            options.append("to itself")
        kind = self.mutation(data, options)
        expect = None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen, "secured")
        elif kind == "already pledged":
            p["voucher"] = self.pick(data, pledged)
            p["holder"] = self.vouchers[p["voucher"]].holder
            expect = "voucher.pledged"
        elif kind == "not a bank":
            p["bank"] = self.pick(data, non_banks)
            expect = "membership.missing_role"
        elif kind == "suspended bank":
            p["bank"] = self.pick(data, [b for b in BANKS if not self.active(b)])
            expect = "membership.suspended"
        elif kind == "to itself":
            p["bank"] = v.holder
            expect = "pledge.self"
        elif kind == "loan due now":
            p["loan_due"] = block_ms - data.draw(st.integers(0, DAY_MS))
            expect = "pledge.loan_due_in_past"
        body = pledge.Create(self.address(p["holder"]), self.address(p["bank"]), p["voucher"],
                             p["secured"], p["loan_due"], "LOAN-1", p["loan"], p["rate"], None)

        def effect(tx_id: bytes) -> None:
            self.pledges[tx_id] = ModelPledge(voucher_id, v.holder, bank, p["secured"],
                                              p["loan_due"], p["loan"], p["rate"])
            v.pledge = tx_id
            self.charge(v.holder, fees.fee_for(v.amount_fen, self.fee_bp[1]))

        self.submit(data, Attempt("pledge", "create", body, (p["holder"], p["bank"]), expect,
                                  effect))

    def pledge_breakages(self, data: st.DataObject, p: dict, kind: str | None) -> str | None:
        """Breakages of a bank's release or enforcement, checked before anything else."""
        if kind == "not the pledgee":
            p["bank"] = self.pick(data, [n for n in NAMES if n != p["bank"]])
            return "pledge.not_pledgee"
        if kind == "unknown pledge":
            p["pledge"] = UNKNOWN
            return "pledge.unknown"
        if kind == "ended pledge":
            p["pledge"] = self.pick(data, self.ended_pledges())
            p["bank"] = self.pledges[p["pledge"]].bank
            return "pledge.not_active"
        if kind == "suspended bank":
            p["pledge"] = self.pick(data, self.active_pledges(bank_active=False))
            p["bank"] = self.pledges[p["pledge"]].bank
            return "membership.suspended"
        return None

    def active_pledges(self, bank_active: bool = True) -> list[bytes]:
        return [i for i, pl in self.pledges.items()
                if pl.status == "active" and self.active(pl.bank) == bank_active]

    def ended_pledges(self) -> list[bytes]:
        return [i for i, pl in self.pledges.items()
                if pl.status != "active" and self.active(pl.bank)]

    def pledge_options(self) -> list[str]:
        options = ["not the pledgee", "unknown pledge"]
        if self.ended_pledges():
            options.append("ended pledge")
        if self.active_pledges(bank_active=False):
            options.append("suspended bank")
        return options

    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        pledge_id = self.pick(data, self.active_pledges())
        if pledge_id is None:
            return self.pledge_voucher(data)  # nothing to act on yet: make it
        registered = self.pledges[pledge_id]
        p: dict[str, Any] = dict(bank=registered.bank, pledge=pledge_id)
        expect = self.pledge_breakages(data, p, self.mutation(data, self.pledge_options()))
        body = pledge.Release(self.address(p["bank"]), p["pledge"])

        def effect(tx_id: bytes) -> None:
            registered.status = "released"
            self.vouchers[registered.voucher].pledge = None

        self.submit(data, Attempt("pledge", "release", body, (p["bank"],), expect, effect))

    @rule(data=st.data())
    def enforce(self, data: st.DataObject) -> None:
        pledge_id = self.pick(data, self.active_pledges())
        if pledge_id is None:
            return self.pledge_voucher(data)  # nothing to act on yet: make it
        registered = self.pledges[pledge_id]
        now_ms = self.ledger.time_ms
        p: dict[str, Any] = dict(bank=registered.bank, pledge=pledge_id)
        advance_ms = max(BLOCK_MS, registered.loan_due_ms - now_ms
                         + data.draw(st.integers(1, 3 * DAY_MS)))
        options = self.pledge_options()
        if registered.loan_due_ms > now_ms:
            options.append("loan not due")
        kind = self.mutation(data, options)
        expect = self.pledge_breakages(data, p, kind)
        if kind == "loan not due":
            advance_ms = registered.loan_due_ms - now_ms  # the last instant before it falls due
            expect = "pledge.loan_not_due"
        body = pledge.Enforce(self.address(p["bank"]), p["pledge"])

        def effect(tx_id: bytes) -> None:
            v = self.vouchers[registered.voucher]
            self.end_pledge(v, "enforced")
            taken_fen = min(registered.secured_fen, v.amount_fen)
            parts = [(registered.bank, taken_fen)]
            if taken_fen < v.amount_fen:
                parts.append((v.holder, v.amount_fen - taken_fen))
            self.replace_with(tx_id, registered.voucher, parts)

        self.submit(data, Attempt("pledge", "enforce", body, (p["bank"],), expect, effect,
                                  advance_ms))

    # -------------------------------------------------------------- the registry's changes

    @rule(data=st.data())
    def amend_pledge(self, data: st.DataObject) -> None:
        pledge_id = self.pick(data, self.active_pledges())
        if pledge_id is None:
            return self.pledge_voucher(data)  # nothing to act on yet: make it
        registered = self.pledges[pledge_id]
        v = self.vouchers[registered.voucher]
        block_ms = self.ledger.time_ms + BLOCK_MS
        p: dict[str, Any] = dict(
            pledgor=registered.pledgor, bank=registered.bank, pledge=pledge_id,
            secured=self.amount(data, v.amount_fen),
            loan_due=block_ms + data.draw(st.integers(1, 150 * DAY_MS)),
            loan=data.draw(st.integers(1, 2_000_000)), rate=data.draw(st.integers(0, 3_600)))
        options = [*self.pledge_options(), "not the pledgor", "zero amount", "amount over",
                   "no change", "rate over"]
        kind = self.mutation(data, options)
        expect = self.pledge_breakages(data, p, kind)
        if kind == "not the pledgor":
            p["pledgor"] = self.pick(data, [n for n in NAMES if n != registered.pledgor])
            expect = "pledge.not_pledgor"
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen, "secured")
        elif kind == "rate over":
            p["rate"] = pledge.MAX_RATE_BP + 1
            expect = "pledge.bad_rate"
        elif kind == "no change":
            p.update(secured=registered.secured_fen, loan_due=registered.loan_due_ms,
                     loan=registered.loan_fen, rate=registered.rate_bp)
            expect = "pledge.loan_due_in_past" if registered.loan_due_ms <= block_ms \
                else "pledge.no_change"
        elif p["secured"] == registered.secured_fen and p["loan_due"] == registered.loan_due_ms \
                and p["loan"] == registered.loan_fen and p["rate"] == registered.rate_bp:
            expect = "pledge.no_change"
        body = pledge.Amend(self.address(p["pledgor"]), self.address(p["bank"]), p["pledge"],
                            p["secured"], p["loan_due"], p["loan"], p["rate"], None)

        def effect(tx_id: bytes) -> None:
            registered.secured_fen, registered.loan_due_ms = p["secured"], p["loan_due"]
            registered.loan_fen, registered.rate_bp = p["loan"], p["rate"]

        self.submit(data, Attempt("pledge", "amend", body, (p["pledgor"], p["bank"]), expect,
                                  effect))

    @rule(data=st.data())
    def renew_pledge(self, data: st.DataObject) -> None:
        pledge_id = self.pick(data, self.active_pledges())
        if pledge_id is None:
            return self.pledge_voucher(data)  # nothing to act on yet: make it
        registered = self.pledges[pledge_id]
        block_ms = self.ledger.time_ms + BLOCK_MS
        later_than = max(registered.loan_due_ms, block_ms)
        p: dict[str, Any] = dict(
            pledgor=registered.pledgor, bank=registered.bank, pledge=pledge_id,
            loan_due=later_than + data.draw(st.integers(1, 150 * DAY_MS)),
            loan_ref=f"LOAN-{self.ledger.nonce}")
        options = [*self.pledge_options(), "not the pledgor", "not later", "same loan"]
        kind = self.mutation(data, options)
        expect = self.pledge_breakages(data, p, kind)
        if kind == "not the pledgor":
            p["pledgor"] = self.pick(data, [n for n in NAMES if n != registered.pledgor])
            expect = "pledge.not_pledgor"
        elif kind == "not later":
            p["loan_due"] = later_than - data.draw(st.integers(0, DAY_MS))
            expect = "pledge.renewal_not_later"
        elif kind == "same loan":
            p["loan_ref"] = registered.loan_ref
            expect = "pledge.same_loan"
        body = pledge.Renew(self.address(p["pledgor"]), self.address(p["bank"]), p["pledge"],
                            p["loan_due"], p["loan_ref"])

        def effect(tx_id: bytes) -> None:
            registered.loan_due_ms, registered.loan_ref = p["loan_due"], p["loan_ref"]

        self.submit(data, Attempt("pledge", "renew", body, (p["pledgor"], p["bank"]), expect,
                                  effect))

    @rule(data=st.data())
    def release_part_of_pledge(self, data: st.DataObject) -> None:
        pledge_id = self.pick(data, [i for i in self.active_pledges()
                                     if self.pledges[i].secured_fen > 1])
        if pledge_id is None:
            return self.pledge_voucher(data)  # nothing to act on yet: make it
        registered = self.pledges[pledge_id]
        p: dict[str, Any] = dict(bank=registered.bank, pledge=pledge_id,
                                 amount=data.draw(st.integers(1, registered.secured_fen - 1)))
        kind = self.mutation(data, [*self.pledge_options(), "zero amount", "the whole"])
        expect = self.pledge_breakages(data, p, kind)
        if kind == "zero amount":
            p["amount"] = 0
            expect = "voucher.bad_amount"
        elif kind == "the whole":
            p["amount"] = registered.secured_fen + data.draw(st.integers(0, 1))
            expect = "pledge.part_not_less"
        body = pledge.ReleasePart(self.address(p["bank"]), p["pledge"], p["amount"])

        def effect(tx_id: bytes) -> None:
            v = self.vouchers[registered.voucher]
            v.pledge = None
            kept, _ = self.replace_with(tx_id, registered.voucher, [
                (v.holder, v.amount_fen - p["amount"]), (v.holder, p["amount"])])
            self.vouchers[kept].pledge = pledge_id
            registered.voucher = kept
            registered.secured_fen -= p["amount"]

        self.submit(data, Attempt("pledge", "release_part", body, (p["bank"],), expect,
                                  effect))

    # -------------------------------------------------------------- acquisition

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, [
            i for i in self.held() if self.vouchers[i].holder != ACQUIRER
            and len(self.vouchers[i].commitments) < MAX_COMMITMENTS])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        block_ms = self.ledger.time_ms + BLOCK_MS
        lock_ms = block_ms + data.draw(st.integers(1, 40 * DAY_MS))
        p: dict[str, Any] = dict(
            acquirer=ACQUIRER, holder=v.holder, voucher=voucher_id,
            price=data.draw(st.integers(1, acquisition.PER_FEN)), lock=lock_ms,
            expires=lock_ms + data.draw(st.integers(1, 40 * DAY_MS)))
        expect = None if self.active(ACQUIRER) else "membership.suspended"
        non_acquirers = [n for n in NAMES if "acquirer" not in ROLES[n] and self.active(n)]
        options = [] if expect else [*self.voucher_breakages(), "not an acquirer", "free",
                                     "above par", "lock now", "expires at lock"]
        kind = self.mutation(data, options)
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind == "not an acquirer":
            p["acquirer"] = self.pick(data, non_acquirers)
            expect = "membership.missing_role"
        elif kind in ("free", "above par"):
            p["price"] = 0 if kind == "free" else acquisition.PER_FEN + 1
            expect = "acquisition.bad_price"
        elif kind == "lock now":
            p["lock"] = block_ms - data.draw(st.integers(0, DAY_MS))
            expect = "acquisition.lock_in_past"
        elif kind == "expires at lock":
            p["expires"] = p["lock"] - data.draw(st.integers(0, DAY_MS))
            expect = "acquisition.bad_expiry"
        body = acquisition.Commit(self.address(p["acquirer"]), self.address(p["holder"]),
                                  p["voucher"], p["price"], p["lock"], p["expires"], "terms")

        def effect(tx_id: bytes) -> None:
            self.commitments[tx_id] = ModelCommitment(ACQUIRER, p["price"], p["lock"],
                                                      p["expires"])
            v.commitments = (*v.commitments, tx_id)

        self.submit(data, Attempt("acquisition", "commit", body, (p["acquirer"], p["holder"]),
                                  expect, effect))

    @rule(data=st.data())
    def withdraw_commitment(self, data: st.DataObject) -> None:
        now_ms = self.ledger.time_ms
        commitment_id = self.pick(data, [
            i for i, c in self.commitments.items()
            if c.status == "open" and c.lock_until_ms > now_ms + BLOCK_MS])
        if commitment_id is None:
            return self.commit(data)  # nothing to act on yet: make it
        c = self.commitments[commitment_id]
        p: dict[str, Any] = dict(acquirer=c.acquirer, commitment=commitment_id)
        advance_ms = BLOCK_MS
        withdrawn = [i for i, x in self.commitments.items() if x.status == "withdrawn"]
        expect = None if self.active(c.acquirer) else "membership.suspended"
        options = [] if expect else ["not the acquirer", "unknown commitment", "lock ended"]
        if withdrawn and not expect:
            options.append("withdrawn")
        kind = self.mutation(data, options)
        if kind == "not the acquirer":
            p["acquirer"] = self.pick(data, [n for n in NAMES if n != c.acquirer])
            expect = "acquisition.not_acquirer"
        elif kind == "unknown commitment":
            p["commitment"] = UNKNOWN
            expect = "acquisition.unknown"
        elif kind == "withdrawn":
            p["commitment"] = self.pick(data, withdrawn)
            p["acquirer"] = self.commitments[p["commitment"]].acquirer
            expect = "acquisition.withdrawn"
        elif kind == "lock ended":
            advance_ms = c.lock_until_ms - now_ms + data.draw(st.integers(0, DAY_MS))
            expect = "acquisition.locked"
        body = acquisition.Withdraw(self.address(p["acquirer"]), p["commitment"])

        def effect(tx_id: bytes) -> None:
            c.status = "withdrawn"

        self.submit(data, Attempt("acquisition", "withdraw", body, (p["acquirer"],), expect,
                                  effect, advance_ms))

    @rule(data=st.data())
    def exercise(self, data: st.DataObject) -> None:
        now_ms = self.ledger.time_ms
        choices = [
            (i, c) for i in self.movable() for c in self.vouchers[i].commitments
            if self.commitments[c].status == "open" and self.commitments[c].expires_ms > now_ms + 1
            and self.commitments[c].acquirer != self.vouchers[i].holder
            and self.active(self.commitments[c].acquirer)]
        if not choices:
            return self.commit(data)  # nothing to act on yet: make it
        voucher_id, commitment_id = self.pick(data, choices)
        v, c = self.vouchers[voucher_id], self.commitments[commitment_id]
        block_ms = data.draw(st.integers(max(c.lock_until_ms, now_ms + 1), c.expires_ms - 1))
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, commitment=commitment_id,
                                 amount=self.amount(data, v.amount_fen),
                                 pledgee=self.bank_of(v), time=block_ms)
        withdrawn_here = [x for x in v.commitments if self.commitments[x].status == "withdrawn"]
        options = [*self.voucher_breakages(), "not on voucher", "expired", "zero amount",
                   "amount over", *self.pledgee_breakages(v)]
        if withdrawn_here:
            options.append("withdrawn")
        if c.lock_until_ms > now_ms + 1:
            options.append("locked")
        kind = self.mutation(data, options)
        expect = None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind == "not on voucher":
            others = [x for x in self.commitments if x not in v.commitments]
            p["commitment"] = self.pick(data, [UNKNOWN, *others])
            expect = "acquisition.not_on_voucher"
        elif kind == "withdrawn":
            p["commitment"] = self.pick(data, withdrawn_here)
            expect = "acquisition.withdrawn"
        elif kind == "locked":
            p["time"] = self.up_to(data, now_ms + 1, c.lock_until_ms - 1)
            expect = "acquisition.locked"
        elif kind == "expired":
            p["time"] = c.expires_ms + data.draw(st.integers(0, DAY_MS))
            expect = "acquisition.expired"
        body = acquisition.Exercise(self.address(p["holder"]), p["voucher"], p["commitment"],
                                    p["amount"], "wire", self.address(p["pledgee"]))
        signers = (p["holder"],) if p["pledgee"] is None else (p["holder"], p["pledgee"])

        def effect(tx_id: bytes) -> None:
            sold, *_ = self.move(tx_id, voucher_id, c.acquirer, p["amount"])
            self.vouchers[sold].commitments = tuple(
                x for x in self.vouchers[sold].commitments if x != commitment_id)
            c.exercised_fen += p["amount"]
            c.paid_fen += acquisition.price_for(p["amount"], c.price_per_10000_fen)

        self.submit(data, Attempt("acquisition", "exercise", body, signers, expect, effect,
                                  p["time"] - now_ms))

    # -------------------------------------------------------------- offers and redemption

    @rule(data=st.data())
    def publish_offer(self, data: st.DataObject) -> None:
        debtor = self.pick(data, list(DEBTORS))
        kind = self.pick(data, ["asset", "consumption"])
        price_fen = data.draw(st.integers(1, 2_000_000))
        title = f"FC-{self.ledger.nonce}" if kind == "asset" else ""
        cap_fen = 0 if kind == "asset" else data.draw(st.sampled_from([0, 500_000, 3_000_000]))
        expect = None if self.active(debtor) else "membership.suspended"
        held = [o.title for o in self.offers.values()
                if o.title and o.status != "withdrawn"]
        options = [] if expect else ["free"]
        options += ["no title"] if kind == "asset" and not expect else []
        options += ["title in use"] if kind == "asset" and held and not expect else []
        mutation = self.mutation(data, options)
        if mutation == "free":
            price_fen, expect = 0, "redemption.bad_price"
        elif mutation == "no title":
            title, expect = "", "redemption.title_ref_required"
        elif mutation == "title in use":  # the same number, typed another way
            title = " " + self.pick(data, held).lower() + " "
            expect = "redemption.title_in_use"
        body = redemption.Publish(self.ledger.addr(debtor), kind, f"{kind} offer", price_fen,
                                  title, cap_fen)

        def effect(tx_id: bytes) -> None:
            self.offers[tx_id] = ModelOffer(debtor, kind, price_fen, title, cap_fen)

        self.submit(data, Attempt("redemption", "publish", body, (debtor,), expect, effect))

    @rule(data=st.data())
    def manage_offer(self, data: st.DataObject) -> None:
        offer_id = self.pick(data, [i for i, o in self.offers.items()
                                    if o.status == "listed" and self.active(o.debtor)])
        if offer_id is None:
            return self.publish_offer(data)  # nothing to act on yet: make it
        offer = self.offers[offer_id]
        operation = self.pick(data, ["change", "withdraw_offer"])
        p: dict[str, Any] = dict(debtor=offer.debtor, offer=offer_id,
                                 price=data.draw(st.integers(1, 2_000_000)))
        withdrawn = [i for i, o in self.offers.items() if o.status == "withdrawn"]
        redeemed = [i for i, o in self.offers.items() if o.status == "redeemed"]
        options = ["not the debtor", "unknown offer"]
        options += ["withdrawn"] if withdrawn else []
        options += ["redeemed"] if redeemed else []
        options += ["free"] if operation == "change" else []
        kind = self.mutation(data, options)
        expect = None
        if kind == "not the debtor":
            p["debtor"] = self.pick(data, [n for n in NAMES if n != offer.debtor])
            expect = "redemption.not_debtor"
        elif kind == "unknown offer":
            p["offer"] = UNKNOWN
            expect = "redemption.unknown_offer"
        elif kind == "withdrawn":
            p["offer"] = self.pick(data, withdrawn)
            p["debtor"] = self.offers[p["offer"]].debtor
            expect = "redemption.offer_withdrawn"
        elif kind == "redeemed":
            p["offer"] = self.pick(data, redeemed)
            p["debtor"] = self.offers[p["offer"]].debtor
            expect = "redemption.offer_taken"
        elif kind == "free":
            p["price"] = 0
            expect = "redemption.bad_price"
        debtor = self.address(p["debtor"])
        if operation == "change":
            body: Any = redemption.Change(debtor, p["offer"], "changed", p["price"])
        else:
            body = redemption.WithdrawOffer(debtor, p["offer"])

        def effect(tx_id: bytes) -> None:
            if operation == "change":
                offer.price_fen = p["price"]
            else:
                offer.status = "withdrawn"

        self.submit(data, Attempt("redemption", operation, body, (p["debtor"],), expect, effect))

    def allowed(self, voucher: ModelVoucher, offer: ModelOffer) -> bool:
        return voucher.asset if offer.kind == "asset" else voucher.consumption

    @rule(data=st.data())
    def request_redemption(self, data: st.DataObject) -> None:
        listed = [i for i, o in self.offers.items() if o.status == "listed"]
        choices = [(v, o) for v in self.movable() for o in listed
                   if self.offers[o].debtor == self.vouchers[v].debtor
                   and self.allowed(self.vouchers[v], self.offers[o])]
        if not choices:
            return self.publish_offer(data)  # nothing to act on yet: make it
        voucher_id, offer_id = self.pick(data, choices)
        v = self.vouchers[voucher_id]
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, offer=offer_id,
                                 price=self.price(data, v.amount_fen),
                                 pledgee=self.bank_of(v))
        others = [o for o in listed if self.offers[o].debtor != v.debtor]
        withdrawn = [i for i, o in self.offers.items() if o.status == "withdrawn"]
        redeemed = [i for i, o in self.offers.items() if o.status == "redeemed"]
        left = self.offers[offer_id].left_fen()
        if left is not None and p["price"] > left and data.draw(st.booleans()):
            p["price"] = data.draw(st.integers(1, left))  # mostly within the cap
        not_allowed = [o for o in listed if self.offers[o].debtor == v.debtor
                       and not self.allowed(v, self.offers[o])]
        options = [*self.voucher_breakages(), "unknown offer", "free",
                   *self.pledgee_breakages(v)]
        options += ["other debtor's offer"] if others else []
        options += ["withdrawn offer"] if withdrawn else []
        options += ["redeemed offer"] if redeemed else []
        options += ["method not allowed"] if not_allowed else []
        kind = self.mutation(data, options)
        expect = "redemption.over_cap" if left is not None and p["price"] > left else None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind == "unknown offer":
            p["offer"] = UNKNOWN
            expect = "redemption.unknown_offer"
        elif kind == "free":
            p["price"] = 0
            expect = "redemption.bad_price"
        elif kind == "other debtor's offer":
            p["offer"] = self.pick(data, others)
            expect = "redemption.wrong_debtor"
        elif kind == "withdrawn offer":
            p["offer"] = self.pick(data, withdrawn)
            expect = "redemption.offer_withdrawn"
        elif kind == "redeemed offer":
            p["offer"] = self.pick(data, redeemed)
            expect = "redemption.offer_taken"
        if kind in self.pledgee_breakages(v) and left is not None and p["price"] > left:
            expect = "redemption.over_cap"  # the cap is checked before the pledge
        elif kind == "method not allowed":
            p["offer"] = self.pick(data, not_allowed)
            expect = "redemption.method_not_allowed"
        body = redemption.Ask(self.address(p["holder"]), p["voucher"], p["offer"], p["price"],
                              self.address(p["pledgee"]))
        signers = (p["holder"],) if p["pledgee"] is None else (p["holder"], p["pledgee"])

        def effect(tx_id: bytes) -> None:
            self.end_pledge(v, "released")
            self.requests[tx_id] = ModelRequest(voucher_id, v.holder, v.debtor, offer_id,
                                                p["price"])
            v.reserved_by = tx_id

        self.submit(data, Attempt("redemption", "request", body, signers, expect, effect))

    @rule(data=st.data())
    def decide_redemption(self, data: st.DataObject) -> None:
        request_id = self.pick(data, [i for i, r in self.requests.items()
                                      if r.status == "requested"])
        if request_id is None:
            return self.request_redemption(data)  # nothing to act on yet: make it
        r = self.requests[request_id]
        v = self.vouchers[r.voucher]
        offer = self.offers[r.offer]
        asset = offer.kind == "asset"
        shortfall = r.price_fen > v.amount_fen
        operation = self.pick(data, ["accept", "accept", "decline", "cancel"])
        signer_key = "holder" if operation == "cancel" else "debtor"
        p: dict[str, Any] = dict(holder=r.holder, debtor=r.debtor, request=request_id,
                                 title="FC-1" if asset else "",
                                 shortfall_ref="BANK-1" if shortfall else "")
        # The signer must be active; accepting also needs the holder to be.
        expect = None
        if not self.active(p[signer_key]) or (operation == "accept"
                                              and not self.active(r.holder)):
            expect = "membership.suspended"
        decided = [i for i, x in self.requests.items() if x.status != "requested"]
        options = [] if expect else ["not the signer", "unknown request"]
        options += ["decided"] if decided and not expect else []
        if operation == "accept" and not expect:
            # Another request may have taken the asset, or used the cap, since this asked.
            left = offer.left_fen()
            if offer.status == "redeemed":
                expect = "redemption.offer_taken"
            elif asset and offer.status == "withdrawn":
                expect = "redemption.offer_withdrawn"
            elif left is not None and r.price_fen > left:
                expect = "redemption.over_cap"
            else:
                options += ["no title"] if asset else []
                options += ["no shortfall reference"] if shortfall else []
        kind = self.mutation(data, options)
        if kind == "not the signer":
            p[signer_key] = self.pick(data, [n for n in NAMES if n != p[signer_key]])
            expect = "redemption.not_holder" if operation == "cancel" else "redemption.not_debtor"
        elif kind == "unknown request":
            p["request"] = UNKNOWN
            expect = "redemption.unknown_request"
        elif kind == "decided":
            p["request"] = self.pick(data, decided)
            p["holder"] = self.requests[p["request"]].holder
            p["debtor"] = self.requests[p["request"]].debtor
            expect = "redemption.already_decided"
        elif kind == "no title":
            p["title"] = ""
            expect = "redemption.title_ref_required"
        elif kind == "no shortfall reference":
            p["shortfall_ref"] = ""
            expect = "redemption.shortfall_ref_required"
        holder, debtor = self.address(p["holder"]), self.address(p["debtor"])
        body: Any = {
            "accept": lambda: redemption.Accept(debtor, p["request"], p["title"],
                                                p["shortfall_ref"]),
            "decline": lambda: redemption.Decline(debtor, p["request"], "not available"),
            "cancel": lambda: redemption.Cancel(holder, p["request"]),
        }[operation]()

        def effect(tx_id: bytes) -> None:
            v.reserved_by = None
            if operation != "accept":
                r.status = "declined" if operation == "decline" else "cancelled"
                return
            r.status = "accepted"
            event("redemption.accept: " + ("shortfall" if shortfall else "no shortfall"))
            if asset:
                offer.status = "redeemed"  # one flat is sold once
            elif offer.cap_fen:
                offer.used_fen += r.price_fen
                if offer.used_fen == offer.cap_fen and offer.status == "listed":
                    offer.status = "redeemed"  # a withdrawn one stays withdrawn
            reduced_fen = min(r.price_fen, v.amount_fen)
            self.redeemed[v.origin] += reduced_fen
            if reduced_fen < v.amount_fen:
                self.replace_with(tx_id, r.voucher, [(v.holder, v.amount_fen - reduced_fen)])
            else:
                v.status = "cancelled"

        self.submit(data, Attempt("redemption", operation, body, (p[signer_key],), expect,
                                  effect))


    # -------------------------------------------------------------- financing requests

    def close_financing(self, request_id: bytes, status: str,
                        accepted: bytes | None = None) -> None:
        r = self.financings[request_id]
        r.status = status
        self.vouchers[r.voucher].reserved_by = None
        for answer_id, a in self.answers.items():
            if a.request == request_id and a.status == "offered":
                a.status = "accepted" if answer_id == accepted else "lapsed"

    def latest(self, request_id: bytes, funder: str) -> ModelAnswer | None:
        found = [a for a in self.answers.values()
                 if a.request == request_id and a.funder == funder
                 and a.status in ("offered", "declined", "accepted", "lapsed")]
        return found[0] if found else None

    def reached(self, r: ModelFinancing) -> list[str]:
        """The funders a request reaches (all of them banks here: lenders and buyers)."""
        return list(r.funders) if r.funders else [b for b in BANKS if b != r.holder]

    def sorted_names(self, names: list[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=self.ledger.addr))

    @rule(data=st.data())
    def request_financing(self, data: st.DataObject) -> None:
        """A holder asks chosen banks, or every funder, to lend on or buy a part of a claim:
        the part is reserved, and a claim reserved or pledged is never asked on again."""
        voucher_id = self.pick(data, [i for i in self.held() if self.vouchers[i].pledge is None])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        kind = self.pick(data, list(financing.KINDS))
        others = [b for b in BANKS if b != v.holder and self.active(b)]
        funders = self.sorted_names([b for b in others if data.draw(st.booleans())])
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id,
                                 amount=self.amount(data, v.amount_fen), kind=kind,
                                 term=data.draw(st.integers(1, 365)),
                                 open_days=data.draw(st.integers(1, 10)), funders=funders)
        pledged = [i for i in self.held() if self.vouchers[i].pledge is not None]
        options = [*self.voucher_breakages(), "zero amount", "amount over", "bad term",
                   "bad open days"]
        enterprises = [d for d in DEBTORS if self.active(d) and d != v.holder]
        options += ["not a funder"] if enterprises else []
        options += ["pledged voucher"] if pledged else []
        options += ["unsorted funders"] if len(funders) == 2 else []
        options += ["holder among funders"] if v.holder in BANKS else []
        kind_of_break = self.mutation(data, options)
        expect = None
        if kind_of_break in self.voucher_breakages():
            expect = self.break_voucher(data, kind_of_break, p)
        elif kind_of_break in ("zero amount", "amount over"):
            expect = self.break_amount(kind_of_break, p, v.amount_fen)
        elif kind_of_break == "pledged voucher":
            p["voucher"] = self.pick(data, pledged)
            p["holder"] = self.vouchers[p["voucher"]].holder
            expect = "voucher.pledged"
        elif kind_of_break == "bad term":
            p["term"] = self.pick(data, [0, financing.MAX_TERM_DAYS + 1])
            expect = "financing.bad_term"
        elif kind_of_break == "bad open days":
            p["open_days"] = self.pick(data, [0, financing.MAX_OPEN_DAYS + 1])
            expect = "financing.bad_open_days"
        elif kind_of_break == "unsorted funders":
            p["funders"] = funders[::-1]
            expect = "financing.bad_funders"
        elif kind_of_break == "holder among funders":
            p["funders"] = self.sorted_names([v.holder])
            expect = "financing.self"
        elif kind_of_break == "not a funder":
            p["funders"] = self.sorted_names([self.pick(data, enterprises)])
            expect = "financing.not_funder"
        body = financing.Request(self.address(p["holder"]), p["voucher"], p["amount"], kind,
                                 p["term"], tuple(self.ledger.addr(f) for f in p["funders"]),
                                 p["open_days"])

        def effect(tx_id: bytes) -> None:
            reserved = voucher_id
            if p["amount"] < v.amount_fen:
                reserved, _ = self.replace_with(tx_id, voucher_id, [
                    (v.holder, p["amount"]), (v.holder, v.amount_fen - p["amount"])])
            self.vouchers[reserved].reserved_by = tx_id
            self.financings[tx_id] = ModelFinancing(
                reserved, v.holder, v.debtor, p["amount"], kind, funders,
                self.ledger.time_ms + p["open_days"] * DAY_MS)

        self.submit(data, Attempt("financing", "request", body, (p["holder"],), expect,
                                  effect))

    @rule(data=st.data())
    def answer_financing(self, data: st.DataObject) -> None:
        """A funder the request reaches quotes (replacing its earlier quote) or declines."""
        block_ms = self.ledger.time_ms + BLOCK_MS
        request_id = self.pick(data, [i for i, r in self.financings.items()
                                      if r.status == "open" and r.open_until_ms > block_ms])
        if request_id is None:
            return self.request_financing(data)
        r = self.financings[request_id]
        funder = self.pick(data, [f for f in self.reached(r) if self.active(f)])
        if funder is None:
            return
        v = self.vouchers[r.voucher]
        loan = r.kind == "pledge_loan"
        operation = self.pick(data, ["quote", "quote", "decline"])
        p: dict[str, Any] = dict(
            funder=funder, request=request_id, amount=self.amount(data, r.amount_fen),
            rate=self.up_to(data, 0, financing.MAX_RATE_BP),
            term=data.draw(st.integers(1, 365)) if loan else 0,
            recourse=None if loan else data.draw(st.booleans()),
            expires=self.up_to(data, block_ms + 1, r.open_until_ms))
        latest = self.latest(request_id, funder)
        expect = "financing.already_declined" if latest and latest.status == "declined" \
            else None
        price = 0
        if expect is None and operation == "quote" and not loan:
            if v.due_ms <= block_ms:
                expect = "sale.due"
            else:
                price = discounted_fen(p["amount"], p["rate"], whole_days(block_ms, v.due_ms))
                expect = None if price > 0 else "financing.bad_price"
        closed = [i for i, x in self.financings.items() if x.status != "open"]
        options = ["unknown request"] + (["closed request"] if closed else [])
        if expect is None:
            if r.funders and len(r.funders) < len(BANKS) and r.holder not in BANKS:
                options.append("not addressed")
            if operation == "quote":
                options += ["amount over", "rate over", "expiry late", "bad term",
                            "bad recourse"]
        kind = self.mutation(data, options)
        if kind == "unknown request":
            p["request"], expect = UNKNOWN, "financing.unknown_request"
        elif kind == "closed request":
            p["request"] = self.pick(data, closed)
            expect = "financing.closed"
        elif kind == "not addressed":
            p["funder"] = next(b for b in BANKS if b not in r.funders)
            if not self.active(p["funder"]):
                return
            expect = "financing.not_addressed"
        elif kind == "amount over":
            p["amount"], expect = r.amount_fen + 1, "financing.bad_amount"
        elif kind == "rate over":
            p["rate"], expect = financing.MAX_RATE_BP + 1, "financing.bad_rate"
        elif kind == "expiry late":
            p["expires"], expect = r.open_until_ms + 1, "financing.bad_expiry"
        elif kind == "bad term":
            p["term"], expect = (0 if loan else 30), "financing.bad_term"
        elif kind == "bad recourse":
            p["recourse"], expect = (True if loan else None), "financing.bad_recourse"
        me = self.ledger.addr(p["funder"])
        if operation == "quote":
            body: Any = financing.Quote(me, p["request"], p["amount"], p["rate"], p["term"],
                                        p["recourse"], p["expires"])
        else:
            body = financing.Decline(me, p["request"], "not for us")

        def effect(tx_id: bytes) -> None:
            if latest is not None:
                assert latest.status == "offered"
                latest.status = "replaced"
            if operation == "quote":
                self.answers[tx_id] = ModelAnswer(request_id, funder, p["amount"], p["rate"],
                                                  p["term"], p["recourse"], price,
                                                  p["expires"], "offered")
            else:
                self.answers[tx_id] = ModelAnswer(request_id, funder, 0, 0, 0, None, 0,
                                                  self.ledger.time_ms, "declined")

        self.submit(data, Attempt("financing", operation, body, (p["funder"],), expect, effect))

    @rule(data=st.data())
    def accept_financing(self, data: st.DataObject) -> None:
        """The holder and the funder take a live quote: the pledge is registered or the
        quoted part sold in the same transaction, and the other quotes lapse."""
        block_ms = self.ledger.time_ms + BLOCK_MS
        quote_id = self.pick(data, [i for i, a in self.answers.items()
                                    if a.status == "offered"])
        if quote_id is None:
            return self.answer_financing(data)
        q = self.answers[quote_id]
        r = self.financings[q.request]
        v = self.vouchers[r.voucher]
        p: dict[str, Any] = dict(holder=r.holder, funder=q.funder, quote=quote_id)
        expect = None
        if r.open_until_ms < block_ms:
            expect = "financing.request_lapsed"
        elif q.expires_ms < block_ms:
            expect = "financing.quote_expired"
        elif r.kind == "sale" and v.due_ms <= block_ms:
            expect = "sale.due"
        dead = [i for i, a in self.answers.items() if a.status != "offered"]
        options = ["unknown quote", "not the quoter", "not the holder"]
        options += ["dead quote"] if dead else []
        kind = self.mutation(data, options)
        if kind == "unknown quote":
            p["quote"], expect = UNKNOWN, "financing.unknown_quote"
        elif kind == "not the quoter":
            p["funder"] = self.pick(data, [n for n in NAMES if n != q.funder])
            expect = "financing.not_quoter"
        elif kind == "not the holder":
            p["holder"] = self.pick(data, [n for n in NAMES if n not in (r.holder, q.funder)])
            expect = "financing.not_holder"
        elif kind == "dead quote":
            p["quote"] = self.pick(data, dead)
            dq = self.answers[p["quote"]]
            p["holder"], p["funder"] = self.financings[dq.request].holder, dq.funder
            dr = self.financings[dq.request]
            expect = "financing.closed" if dr.status != "open" else \
                "financing.request_lapsed" if dr.open_until_ms < block_ms else \
                "financing.quote_not_live"
        body = financing.Accept(self.address(p["holder"]), self.address(p["funder"]),
                                p["quote"], "LOAN-1", None, ())

        def effect(tx_id: bytes) -> None:
            self.close_financing(q.request, "accepted", accepted=quote_id)
            r.outcome = tx_id
            event(f"financing.accept: a {r.kind}")
            if r.kind == "pledge_loan":
                self.pledges[tx_id] = ModelPledge(
                    r.voucher, r.holder, q.funder, v.amount_fen,
                    self.ledger.time_ms + q.term_days * DAY_MS, q.amount_fen, q.rate_bp)
                v.pledge = tx_id
                self.charge(r.holder, fees.fee_for(v.amount_fen, self.fee_bp[1]))
                return
            sold_from = r.voucher
            if q.amount_fen < v.amount_fen:
                sold_from, _ = self.replace_with(tx_id, r.voucher, [
                    (r.holder, q.amount_fen), (r.holder, v.amount_fen - q.amount_fen)])
            (bought,) = self.replace_with(tx_id, sold_from, [(q.funder, q.amount_fen)])
            r.outcome = sale.sale_id(tx_id, sold_from)
            assert q.recourse is not None
            self.sales[r.outcome] = ModelSale(r.holder, q.funder, bought, q.recourse)
            self.charge(r.holder, fees.fee_for(q.amount_fen, self.fee_bp[0]))

        self.submit(data, Attempt("financing", "accept", body, (p["holder"], p["funder"]),
                                  expect, effect))

    @rule(data=st.data())
    def financing_round(self, data: st.DataObject) -> None:
        """A request, an answer and an acceptance in three blocks, so that quotes are
        taken often enough, each step broken now and then as the rules above break it."""
        self.request_financing(data)
        self.answer_financing(data)
        self.accept_financing(data)

    @rule(data=st.data())
    def withdraw_financing(self, data: st.DataObject) -> None:
        request_id = self.pick(data, [i for i, r in self.financings.items()
                                      if r.status == "open"])
        if request_id is None:
            return self.request_financing(data)
        r = self.financings[request_id]
        p: dict[str, Any] = dict(holder=r.holder, request=request_id)
        expect = None
        closed = [i for i, x in self.financings.items() if x.status != "open"]
        kind = self.mutation(data, ["not the holder", "unknown request",
                                    *(["closed request"] if closed else [])])
        if kind == "not the holder":
            p["holder"] = self.pick(data, [n for n in NAMES if n != r.holder])
            expect = "financing.not_holder"
        elif kind == "unknown request":
            p["request"], expect = UNKNOWN, "financing.unknown_request"
        elif kind == "closed request":
            p["request"] = self.pick(data, closed)
            p["holder"] = self.financings[p["request"]].holder
            expect = "financing.closed"
        body = financing.Withdraw(self.address(p["holder"]), p["request"])
        self.submit(data, Attempt("financing", "withdraw", body, (p["holder"],), expect,
                                  lambda tx_id: self.close_financing(request_id, "withdrawn")))

    # -------------------------------------------------------------- members, fees, time

    @rule(data=st.data())
    def suspended_member_signs_nothing(self, data: st.DataObject) -> None:
        """Whatever a suspended member signs, in any family, is refused before its rules run."""
        name = self.pick(data, [n for n in NAMES if not self.active(n)])
        if name is None:
            return self.suspend_or_reinstate(data)
        other = self.pick(data, [n for n in NAMES if n != name and self.active(n)
                                 and ROLES[n] != ("regulator",)])
        me, them = self.ledger.addr(name), self.ledger.addr(other or "agency")
        held = [i for i in self.live() if self.vouchers[i].holder == name]
        voucher_id = self.pick(data, held) or UNKNOWN
        basis = f"SUSPENDED-{self.ledger.nonce}"
        terms = issuance.Terms(them, 1_000, self.ledger.time_ms + 90 * DAY_MS, True, False, 0,
                               0, basis, sha256(basis.encode()))
        menu: dict[str, tuple[Any, tuple[str, ...]]] = {
            "issuance.apply": (issuance.Apply(me, terms), (name,)),
            "issuance.confirm": (issuance.Confirm(me, UNKNOWN), (name,)),
            "issuance.decline": (issuance.Decline(me, UNKNOWN, "not owed"), (name,)),
            "issuance.withdraw": (issuance.Withdraw(me, UNKNOWN), (name,)),
            "obligation.submit": (obligations.Submit(me, them, 1_000, terms.due_ms, basis,
                                                     terms.basis_sha256), (name,)),
            "obligation.confirm": (obligations.Confirm(me, UNKNOWN), (name,)),
            "obligation.decline": (obligations.Decline(me, UNKNOWN, "not owed"), (name,)),
            "obligation.retract": (obligations.Retract(me, UNKNOWN), (name,)),
            "obligation.settle": (obligations.Settle(me, them, UNKNOWN, "wire"),
                                  (name, other or "agency")),
            "obligation.reduce": (obligations.Reduce(them, me, UNKNOWN, 1, "discount"),
                                  (name, other or "agency")),
            "obligation.withdraw": (obligations.Withdraw(them, me, UNKNOWN, "error"),
                                    (name, other or "agency")),
            "transfer.transfer": (transfers.Transfer(me, voucher_id, them, 1, None, "TC-1"),
                                  (name, other or "agency")),
            "transfer.offer": (transfers.Offer(me, voucher_id, them, 1, None, "TC-1", 7),
                               (name,)),
            "transfer.sign": (transfers.Sign(me, UNKNOWN), (name,)),
            "transfer.refuse": (transfers.Refuse(me, UNKNOWN, "no"), (name,)),
            "transfer.withdraw": (transfers.Withdraw(me, UNKNOWN), (name,)),
            "pledge.release": (pledge.Release(me, UNKNOWN), (name,)),
            "acquisition.withdraw": (acquisition.Withdraw(me, UNKNOWN), (name,)),
            "redemption.publish": (redemption.Publish(me, "asset", "a flat", 1), (name,)),
            "redemption.cancel": (redemption.Cancel(me, UNKNOWN), (name,)),
            "setoff.consent": (setoff.Consent(me, UNKNOWN), (name,)),
            "setoff.refuse": (setoff.Refuse(me, UNKNOWN, "no"), (name,)),
            "setoff.set_limit": (setoff.SetLimit(me, True, None), (name,)),
            "fees.set_schedule": (fees.SetSchedule(me, 1, 1), (name,)),
            "membership.reinstate": (membership.Reinstate(me, me), (name,)),
        }
        operation = data.draw(st.sampled_from(sorted(menu)))
        body, signers = menu[operation]
        contract, op = operation.split(".")
        self.submit(data, Attempt(contract, op, body, signers, "membership.suspended",
                                  lambda tx_id: None))

    @rule(data=st.data())
    def suspend_or_reinstate(self, data: st.DataObject) -> None:
        name = self.pick(data, [n for n in NAMES if "agency" not in ROLES[n]])
        suspending = self.active(name)
        expect = None
        if self.mutation(data, ["the other way round"]):
            suspending = not suspending
            expect = "membership.suspended" if suspending else "membership.not_suspended"
        agency, member = self.ledger.addr("agency"), self.ledger.addr(name)
        if suspending:
            body: Any = membership.Suspend(agency, member, "under review")
        else:
            body = membership.Reinstate(agency, member)

        def effect(tx_id: bytes) -> None:
            self.member_status[name] = "suspended" if suspending else "active"

        self.submit(data, Attempt("membership", "suspend" if suspending else "reinstate", body,
                                  ("agency",), expect, effect))

    @rule(data=st.data())
    def set_fee_schedule(self, data: st.DataObject) -> None:
        rates = [data.draw(st.integers(0, 50)), data.draw(st.integers(0, 50))]
        agency = "agency"
        expect = None
        kind = self.mutation(data, ["rate too high", "not the agency"])
        if kind == "rate too high":
            rates[data.draw(st.integers(0, 1))] = fees.MAX_RATE_BP + 1
            expect = "fees.bad_rate"
        elif kind == "not the agency":
            agency = self.pick(data, [n for n in NAMES
                                      if "agency" not in ROLES[n] and self.active(n)])
            expect = "membership.missing_role"
        body = fees.SetSchedule(self.ledger.addr(agency), rates[0], rates[1])

        def effect(tx_id: bytes) -> None:
            self.fee_bp = (rates[0], rates[1])

        self.submit(data, Attempt("fees", "set_schedule", body, (agency,), expect, effect))

    @rule(data=st.data())
    def advance_time(self, data: st.DataObject) -> None:
        """A block with no transactions, often landing next to a due date or a lock end."""
        now_ms = self.ledger.time_ms
        marks = [v.due_ms for v in self.vouchers.values()
                 if v.status == "active" and not v.overdue]
        marks += [t for c in self.commitments.values() if c.status == "open"
                  for t in (c.lock_until_ms, c.expires_ms)]
        marks += [pl.loan_due_ms for pl in self.pledges.values() if pl.status == "active"]
        marks += [r.open_until_ms for r in self.financings.values() if r.status == "open"]
        marks += [a.expires_ms for a in self.answers.values() if a.status == "offered"]
        marks += [t.sign_by_ms for t in self.transfers.values() if t.status == "pending"]
        marks = sorted(m for m in marks if m > now_ms)
        if marks and data.draw(st.booleans()):
            target = data.draw(st.sampled_from(marks)) + data.draw(st.sampled_from([-1, 0, 1]))
            advance_ms = max(1, target - now_ms)
        else:
            advance_ms = data.draw(st.integers(1, 45 * DAY_MS))
        self.commit_block([], advance_ms, lambda: None)

    # -------------------------------------------------------------- sales to funders

    @rule(data=st.data())
    def sell_to_a_funder(self, data: st.DataObject) -> None:
        """保理: all or part of a voucher sold to a bank at the ledger's discounted price."""
        next_ms = self.ledger.time_ms + BLOCK_MS
        voucher_id = self.pick(data, [i for i in self.movable()
                                      if self.vouchers[i].due_ms > next_ms])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        buyer = self.pick(data, [b for b in BANKS if b not in (v.holder, v.debtor)
                                 and self.active(b)])
        if buyer is None:
            return
        rate_bp = data.draw(st.sampled_from([0, 450, 900, sale.MAX_RATE_BP]))
        p: dict[str, Any] = dict(holder=v.holder, voucher=voucher_id, buyer=buyer,
                                 amount=self.amount(data, v.amount_fen), rate=rate_bp,
                                 pledgee=self.bank_of(v), recourse=data.draw(st.booleans()))
        options = [*self.voucher_breakages(), "zero amount", "amount over", "price off",
                   "rate over", "to self", "to debtor", "not a funder",
                   *self.pledgee_breakages(v)]
        due = [i for i in self.movable() if self.vouchers[i].due_ms <= next_ms]
        if due:
            options.append("due voucher")
        kind = self.mutation(data, options)
        expect = None
        if kind in self.voucher_breakages():
            expect = self.break_voucher(data, kind, p)
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen)
        elif kind in ("needless pledgee", "no pledgee", "wrong bank"):
            expect = self.break_pledgee(data, kind, p)
        elif kind == "due voucher":
            p["voucher"] = self.pick(data, due)
            p["holder"] = self.vouchers[p["voucher"]].holder
            p["amount"] = self.vouchers[p["voucher"]].amount_fen
            expect = "sale.due"
        elif kind == "rate over":
            p["rate"], expect = sale.MAX_RATE_BP + 1, "sale.bad_rate"
        elif kind in ("to self", "to debtor"):
            p["buyer"] = v.holder if kind == "to self" else v.debtor
            expect = "sale.self" if kind == "to self" else "sale.to_debtor"
        elif kind == "not a funder":
            p["buyer"] = self.pick(data, [n for n in CREDITORS + DEBTORS
                                          if n not in (v.holder, v.debtor)])
            expect = "sale.not_funder"
        target = self.vouchers.get(p["voucher"])
        days = pricing.whole_days(next_ms, target.due_ms if target else next_ms)
        price = pricing.discounted_fen(p["amount"], p["rate"], days)
        if kind == "price off":
            price, expect = price + data.draw(st.sampled_from([-1, 1])), "sale.bad_price"
        body = sale.Sell(self.address(p["holder"]), self.address(p["buyer"]), p["voucher"],
                         p["amount"], p["rate"], price, p["recourse"], "BL-1", (),
                         self.address(p["pledgee"]))
        signers = tuple(dict.fromkeys(
            (p["holder"], p["buyer"]) + (() if p["pledgee"] is None else (p["pledgee"],))))

        def effect(tx_id: bytes) -> None:
            sold_from = voucher_id
            if p["amount"] < v.amount_fen:  # the part is split off first
                self.end_pledge(v, "released")
                sold_from, _ = self.replace_with(tx_id, voucher_id, [
                    (v.holder, p["amount"]), (v.holder, v.amount_fen - p["amount"])])
            self.end_pledge(self.vouchers[sold_from], "released")
            (bought,) = self.replace_with(tx_id, sold_from, [(p["buyer"], p["amount"])])
            self.charge(v.holder, fees.fee_for(p["amount"], self.fee_bp[0]))
            self.sales[sale.sale_id(tx_id, sold_from)] = ModelSale(
                v.holder, p["buyer"], bought, p["recourse"])

        self.submit(data, Attempt("sale", "sell", body, signers, expect, effect))

    @rule(data=st.data())
    def recourse_to_the_seller(self, data: st.DataObject) -> None:
        """The buyer of an overdue claim sold with recourse gives it back to the seller;
        anything else is refused with the reason."""
        def due_back(i: bytes) -> bool:
            s, v = self.sales[i], self.vouchers[self.sales[i].sold]
            return s.recourse and s.status == "sold" and v.status == "active" \
                and v.holder == s.buyer and v.overdue and not (v.reserved_by or v.pledge)

        def waiting(i: bytes) -> bool:  # due back once its last due date passes
            s, v = self.sales[i], self.vouchers[self.sales[i].sold]
            return s.recourse and s.status == "sold" and v.status == "active" \
                and v.holder == s.buyer and not (v.reserved_by or v.pledge or v.overdue)

        def last_due_ms(v: ModelVoucher) -> int:  # after every extension left
            return v.due_ms + v.extension_days * DAY_MS * (v.extension_max - v.extensions_used)

        # Often one that is due back, waiting for its due date first if need be, so that
        # the rare case is tried too.
        eligible = [i for i in sorted(self.sales) if due_back(i)]
        later = [i for i in sorted(self.sales) if waiting(i)]
        if not eligible and later and data.draw(st.integers(0, 3)) > 0:
            due_ms = last_due_ms(self.vouchers[self.sales[self.pick(data, later)].sold])
            self.commit_block([], max(1, due_ms + 1 - self.ledger.time_ms), lambda: None)
            eligible = [i for i in sorted(self.sales) if due_back(i)]
        sale_id = self.pick(data, eligible if eligible and data.draw(st.booleans())
                            else sorted(self.sales))
        if sale_id is None:
            return
        s = self.sales[sale_id]
        buyer = s.buyer
        if data.draw(st.integers(0, 4)) == 0:
            buyer = self.pick(data, [b for b in BANKS if b != s.buyer])
        v = self.vouchers[s.sold]
        if buyer != s.buyer:
            expect = "sale.not_buyer"
        elif not s.recourse:
            expect = "sale.no_recourse"
        elif s.status != "sold":
            expect = "sale.not_sold"
        elif v.status != "active" or v.holder != s.buyer or v.reserved_by or v.pledge:
            expect = "sale.not_held"
        elif not v.overdue:
            expect = "sale.not_overdue"
        else:
            expect = None

        def effect(tx_id: bytes) -> None:
            self.replace_with(tx_id, s.sold, [(s.seller, v.amount_fen)])
            s.status = "recourse_exercised"

        body = sale.Recourse(self.address(buyer), sale_id)
        self.submit(data, Attempt("sale", "recourse", body, (buyer,), expect, effect))

    @invariant()
    def sales_are_as_sold(self) -> None:
        state = self.ledger.store
        for sale_id, s in self.sales.items():
            found = sale.get_sale(state, sale_id)
            assert found is not None and found.status == s.status and found.sold == s.sold
            assert (found.seller, found.buyer) == (self.address(s.seller),
                                                   self.address(s.buyer))
            bought = self.vouchers[s.sold]
            assert found.face_fen == bought.amount_fen and found.price_fen <= found.face_fen

    # -------------------------------------------------------------- supervision
    # Court freezes, voiding and disputes (contracts/supervision.py). A hold is put only
    # on states nothing else waits on (no reservation, pledge or pending recourse), and
    # `held` leaves held states out, so every other rule's model stays right; these rules
    # predict their own outcomes and the invariant below checks that a frozen or
    # disputed part never changes holder.

    def on_hold_supervision(self, voucher_id: bytes) -> bool:
        return voucher_id in self.frozen or self.vouchers[voucher_id].origin in self.disputed

    def quiet_supervision(self, voucher_id: bytes) -> bool:
        """A live state no other rule would complete anything on."""
        v = self.vouchers[voucher_id]
        return v.status == "active" and v.reserved_by is None and v.pledge is None \
            and not any(s.sold == voucher_id and s.status == "sold" and s.recourse
                        for s in self.sales.values())

    def parts_supervision(self, origin: bytes) -> list[bytes]:
        return [i for i in self.live() if self.vouchers[i].origin == origin]

    def fen_by_holder_supervision(self, origin: bytes) -> dict[str, int]:
        found: dict[str, int] = {}
        for i in self.parts_supervision(origin):
            v = self.vouchers[i]
            found[v.holder] = found.get(v.holder, 0) + v.amount_fen
        return found

    @rule(data=st.data())
    def freeze_supervision(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, [i for i in self.live() if self.quiet_supervision(i)
                                      and i not in self.frozen])
        if voucher_id is None:
            return
        v = self.vouchers[voucher_id]
        p: dict[str, Any] = dict(authority=self.pick(data, ["regulator", "agency"]),
                                 voucher=voucher_id, amount=self.amount(data, v.amount_fen))
        options = ["not an authority", "zero amount", "amount over", "unknown voucher"]
        if self.frozen:
            options.append("frozen already")
        kind = self.mutation(data, options)
        expect = None
        if kind == "not an authority":
            p["authority"] = self.pick(data, list(BANKS))
            expect = "freeze.not_authority"
        elif kind in ("zero amount", "amount over"):
            expect = self.break_amount(kind, p, v.amount_fen)
        elif kind == "unknown voucher":
            p["voucher"] = UNKNOWN
            expect = "voucher.unknown"
        elif kind == "frozen already":
            p["voucher"] = self.pick(data, sorted(self.frozen))
            expect = "voucher.frozen"
        body = supervision.Freeze(self.address(p["authority"]), p["voucher"], p["amount"],
                                  "(2027)执保1号", sha256(b"court order"))

        def effect(tx_id: bytes) -> None:
            frozen_id = voucher_id
            if p["amount"] < v.amount_fen:
                frozen_id, _ = self.replace_with(tx_id, voucher_id, [
                    (v.holder, p["amount"]), (v.holder, v.amount_fen - p["amount"])])
            self.frozen[frozen_id] = (tx_id, v.holder, p["amount"], p["authority"])

        self.submit(data, Attempt("supervision", "freeze", body, (p["authority"],), expect,
                                  effect))

    @rule(data=st.data())
    def unfreeze_supervision(self, data: st.DataObject) -> None:
        voucher_id = self.pick(data, sorted(self.frozen))
        if voucher_id is None:
            return self.freeze_supervision(data)
        order, _, _, authority = self.frozen[voucher_id]
        p: dict[str, Any] = dict(authority=self.pick(data, sorted({authority, "agency"})),
                                 order=order)
        kind = self.mutation(data, ["not an authority", "unknown order"])
        expect = None
        if kind == "not an authority":
            p["authority"] = self.pick(data, list(BANKS))
            expect = "freeze.not_authority"
        elif kind == "unknown order":
            p["order"] = UNKNOWN
            expect = "freeze.unknown"
        body = supervision.Unfreeze(self.address(p["authority"]), p["order"], "(2027)解除1号",
                                    sha256(b"lifted"))

        def effect(tx_id: bytes) -> None:
            del self.frozen[voucher_id]

        self.submit(data, Attempt("supervision", "unfreeze", body, (p["authority"],), expect,
                                  effect))

    @rule(data=st.data())
    def raise_dispute_supervision(self, data: st.DataObject) -> None:
        quiet = [o for o in sorted(self.bases) if o not in self.disputed
                 and self.parts_supervision(o)
                 and all(self.quiet_supervision(i) for i in self.parts_supervision(o))]
        origin = self.pick(data, quiet)
        if origin is None:
            return
        creditor, debtor, _ = self.bases[origin]
        p: dict[str, Any] = dict(party=self.pick(data, [creditor, debtor]),
                                 subject=self.pick(data, self.parts_supervision(origin)))
        options = ["not a party"]
        still_open = [o for o in sorted(self.disputed) if self.parts_supervision(o)]
        if still_open:
            options.append("already open")
        kind = self.mutation(data, options)
        if kind == "not a party":
            holders = {self.vouchers[i].holder for i in self.parts_supervision(origin)}
            p["party"] = self.pick(data, [n for n in NAMES if n not in
                                          {creditor, debtor, *holders}])
            expect = "dispute.not_party"
        elif kind == "already open":
            other = self.pick(data, still_open)
            p["subject"] = self.pick(data, self.parts_supervision(other))
            p["party"] = self.bases[other][1]
            expect = "dispute.already_open"
        else:
            opened = sum(1 for _, raiser, _ in self.disputed.values() if raiser == p["party"])
            expect = None if opened < supervision.MAX_OPEN_DISPUTES_PER_PARTY \
                else "dispute.too_many_open"
        body = supervision.RaiseDispute(self.address(p["party"]), "voucher", p["subject"],
                                        "the goods were never delivered",
                                        (sha256(b"delivery log"),))

        def effect(tx_id: bytes) -> None:
            self.disputed[origin] = (tx_id, p["party"], self.fen_by_holder_supervision(origin))

        self.submit(data, Attempt("supervision", "raise_dispute", body, (p["party"],), expect,
                                  effect))

    @rule(data=st.data())
    def resolve_dispute_supervision(self, data: st.DataObject) -> None:
        origin = self.pick(data, sorted(self.disputed))
        if origin is None:
            return self.raise_dispute_supervision(data)
        dispute_id = self.disputed[origin][0]
        kind = self.mutation(data, ["unknown dispute"])
        expect = "dispute.unknown" if kind else None
        body = supervision.ResolveDispute(
            self.ledger.addr("agency"), UNKNOWN if kind else dispute_id,
            data.draw(st.sampled_from(sorted(supervision.OUTCOMES))), "heard both sides", ())

        def effect(tx_id: bytes) -> None:
            del self.disputed[origin]

        self.submit(data, Attempt("supervision", "resolve_dispute", body, ("agency",), expect,
                                  effect))

    @rule(data=st.data())
    def void_supervision(self, data: st.DataObject) -> None:
        origin = self.pick(data, sorted(self.bases))
        if origin is None:
            return
        creditor, debtor, _ = self.bases[origin]
        agreed = data.draw(st.booleans())
        dispute_id = None
        if not agreed and origin in self.disputed and data.draw(st.booleans()):
            dispute_id = self.disputed[origin][0]
        p: dict[str, Any] = dict(voucher=origin, creditor=creditor)
        kind = self.mutation(data, ["unknown voucher", *(["not the creditor"] if agreed
                                                         else [])])
        if kind == "unknown voucher":
            p["voucher"] = UNKNOWN
        elif kind == "not the creditor":
            p["creditor"] = self.pick(data, [c for c in CREDITORS if c != creditor])
        # The ledger checks the parts in its walk's order; the model says what each is.
        walk = supervision.live_parts(self.ledger.store, origin) or []
        parts = [w.id for w in walk]
        assert sorted(parts) == sorted(self.parts_supervision(origin))
        expect = None
        if kind == "unknown voucher":
            expect = "void.unknown_voucher"
        elif not parts:
            expect = "void.nothing_live"
        for i in parts if expect is None else []:
            v = self.vouchers[i]
            if i in self.frozen:
                expect = "voucher.frozen"
            elif v.pledge is not None:
                expect = "voucher.pledged"
            elif v.reserved_by is not None:
                expect = "voucher.reserved"
            if expect is not None:
                break
        if expect is None and agreed and p["creditor"] != creditor:
            expect = "void.not_parties"
        if expect is None and agreed and any(self.vouchers[i].holder != creditor
                                             for i in parts):
            expect = "void.passed_on"
        if agreed:
            body: Any = supervision.VoidAgreed(
                self.ledger.addr("agency"), self.address(p["creditor"]), self.address(debtor),
                p["voucher"], "the contract was rescinded", sha256(b"rescission"))
            signers: tuple[str, ...] = ("agency", p["creditor"], debtor)
        else:
            body = supervision.VoidDecided(self.ledger.addr("agency"), p["voucher"],
                                           "the basis was forged", sha256(b"decision"),
                                           dispute_id)
            signers = ("agency",)

        def effect(tx_id: bytes) -> None:
            for i in parts:
                self.vouchers[i].status = "voided"
                self.voided[origin] = self.voided.get(origin, 0) + self.vouchers[i].amount_fen
            if dispute_id is not None:
                del self.disputed[origin]
            elif origin in self.disputed:  # still open, holding nothing live now
                dispute, raiser, _ = self.disputed[origin]
                self.disputed[origin] = (dispute, raiser, {})

        self.submit(data, Attempt("supervision", "void_agreed" if agreed else "void_decided",
                                  body, signers, expect, effect))

    @invariant()
    def holds_keep_claims_in_place_supervision(self) -> None:
        """A frozen state stays live with its holder and amount; a disputed voucher's live
        parts stay with the holders they had when the dispute was raised; nothing else is
        held; the voided totals are the model's."""
        state = self.ledger.store
        for voucher_id, (order, holder, amount_fen, _) in self.frozen.items():
            v = decode(Voucher, state.get(b"v/" + voucher_id))
            assert (v.status, self.name_of[v.holder], v.amount_fen) == \
                ("active", holder, amount_fen)
            assert holds.freeze_holding(state, voucher_id) == order
        assert sorted(k[4:] for k, _ in state.scan(b"vfz/")) == sorted(self.frozen)
        for origin, (dispute_id, _, by_holder) in self.disputed.items():
            parts = supervision.live_parts(state, origin) or []
            found: dict[str, int] = {}
            for v in parts:
                found[self.name_of[v.holder]] = found.get(self.name_of[v.holder], 0) \
                    + v.amount_fen
            assert found == by_holder
            assert holds.dispute_holding(state, origin) == dispute_id
        assert sorted(k[4:] for k, _ in state.scan(b"dsh/")) == sorted(self.disputed)
        assert {d.subject for d in supervision.open_disputes(state)} == set(self.disputed)
        records_voided = sum(r.voided_fen for r in records(state, b"dr/", DebtorRecord))
        assert records_voided == sum(self.voided.values())

    # -------------------------------------------------------------- invariants

    @invariant()
    def ledger_keeps_its_promises(self) -> None:
        state = self.ledger.store
        states = {v.id: v for v in records(state, b"v/", Voucher)}
        live = [v for v in states.values() if v.status == "active"]
        origins = records(state, b"o/", Origin)

        # Amounts are conserved: live parts add up to face − redeemed − set off − voided.
        for origin in origins:
            parts = [v for v in live if v.origin == origin.id]
            assert sum(v.amount_fen for v in parts) == \
                origin.face_fen - origin.redeemed_fen - origin.setoff_fen - origin.voided_fen
            assert origin.live_parts == len(parts)
            assert (origin.face_fen, origin.redeemed_fen, origin.setoff_fen,
                    origin.voided_fen) == (self.face[origin.id], self.redeemed[origin.id], 0,
                                           self.voided.get(origin.id, 0))
        assert all(v.amount_fen > 0 for v in live)

        # One holder per live part, in exactly that holder's live index and no other.
        by_holder = sorted(key[4:] for key, _ in state.scan(b"vhl/"))
        assert by_holder == sorted(v.holder + v.id for v in live)
        by_debtor = sorted(key[4:] for key, _ in state.scan(b"vdl/"))
        assert by_debtor == sorted(v.debtor + v.id for v in live)
        history = {key[3:] for key, _ in state.scan(b"vh/")}
        assert all(v.holder + v.id in history for v in states.values())

        # The state root written block by block is the root of the whole state built
        # from nothing: no sequence of blocks leaves the tree off its key set.
        assert self.ledger.root == commitment.root_of(state.items.items())

        # The derived indices (of the voucher states, of the blocks' applied ids) are
        # exactly what their records imply: the state root commits to the records only,
        # and a node restoring a snapshot rebuilds these.
        derived = sorted(item for key, value in state.items.items()
                         for item in commitment.index_entries(key, value))
        assert derived == sorted(item for space in commitment.DERIVED_SPACES
                                 for item in state.scan(space))

        # Holder totals and debtor records are the sums of live parts.
        totals = {t.holder: t for t in records(state, b"hl/", HolderTotals)}
        for address in {v.holder for v in live} | set(totals):
            held = [v.amount_fen for v in live if v.holder == address]
            assert (totals[address].held_fen, totals[address].live_parts) == (
                sum(held), len(held))
        for record in records(state, b"dr/", DebtorRecord):
            mine = [o for o in origins if o.debtor == record.debtor]
            assert record.outstanding_fen == sum(
                v.amount_fen for v in live if v.debtor == record.debtor)
            assert record.redeemed_fen == sum(o.redeemed_fen for o in mine)
            assert record.voided_fen == sum(o.voided_fen for o in mine)
            assert (record.vouchers_issued, record.issued_fen) == (
                len(mine), sum(o.face_fen for o in mine))
            # Extensions and overdue count once per issued voucher, however many parts.
            lineage = {o.id: [v for v in states.values() if v.origin == o.id] for o in mine}
            assert record.extended_vouchers == sum(
                max(v.extensions_used for v in vs) for vs in lineage.values())
            assert record.overdue_vouchers == sum(
                any(v.overdue_since_ms is not None for v in vs) for vs in lineage.values())

        # At most one active pledge per voucher, each on a live voucher that points back.
        pledges = {pl.id: pl for pl in records(state, b"p/", pledge.Pledge)}
        active = [pl for pl in pledges.values() if pl.status == "active"]
        assert len({pl.voucher for pl in active}) == len(active)
        for pl in active:
            assert states[pl.voucher].status == "active"
            assert states[pl.voucher].pledge == pl.id
            # What it secures lies within the state it holds, whatever was amended.
            assert 0 < pl.secured_fen <= states[pl.voucher].amount_fen
        # The registry finds each pledge by its pledgor, its debtor and its state.
        for pl in pledges.values():
            for by, key in (("pledgor", pl.pledgor), ("debtor", pl.debtor),
                            ("voucher", pl.voucher), ("origin", pl.origin)):
                assert state.get(pledge.QUERY_INDEX[by](key, pl.id)) == b""
        for v in live:
            if v.pledge is not None:
                assert pledges[v.pledge].status == "active" and pledges[v.pledge].voucher == v.id
            assert v.pledge is None or v.reserved_by is None

        # A waiting request reserves its live voucher, and only it does.
        requests = {r.id: r for r in records(state, b"rq/", redemption.Request)}
        for r in requests.values():
            if r.status == "requested":
                assert states[r.voucher].status == "active"
                assert states[r.voucher].reserved_by == r.id
        # An open financing request reserves its live part, and only it does: a part is
        # reserved by one request at a time, never while pledged (never financed twice).
        asked = {r.id: r for r in records(state, b"fn/", financing.FinancingRequest)}
        for r in asked.values():
            if r.status == "open":
                assert states[r.voucher].status == "active"
                assert states[r.voucher].reserved_by == r.id
                assert r.amount_fen == states[r.voucher].amount_fen
        open_by_holder: dict[bytes, int] = {}
        for r in asked.values():
            if r.status == "open":
                open_by_holder[r.holder] = open_by_holder.get(r.holder, 0) + 1
        assert {k[4:]: int.from_bytes(raw, "big") for k, raw in state.scan(b"fnc/")} == \
            open_by_holder
        # An accepted request financed its part once: the pledge registered on it, or the
        # sale of (a part split off) it; no open answer survives a closed request.
        for r in asked.values():
            if r.status == "accepted":
                if r.kind == "pledge_loan":
                    registered = pledges[r.outcome]
                    assert (registered.pledgor, registered.origin) == (r.holder, r.origin)
                else:
                    sold = sale.get_sale(state, r.outcome)
                    assert sold is not None and sold.sold_from in (
                        r.voucher, *children_ids(state, r.voucher))
        for a in records(state, b"fnq/", financing.Answer):
            if asked[a.request].status != "open":
                assert a.status != "offered"
        # A pending transfer reserves its live part, whole and still its holder's, and a
        # reserved state is held by a waiting request or a pending transfer, nothing else.
        offers = {t.id: t for t in records(state, b"tp/", transfers.PendingTransfer)}
        for t in offers.values():
            if t.status == "pending":
                held = states[t.voucher]
                assert (held.status, held.reserved_by, held.holder, held.amount_fen) == (
                    "active", t.id, t.holder, t.amount_fen)
            elif t.status == "signed":
                assert t.moved is not None and states[t.moved].holder == t.to
                assert states[t.moved].amount_fen == t.amount_fen
        for v in live:
            if v.reserved_by is not None:
                assert (v.reserved_by in requests and requests[v.reserved_by].status
                        == "requested") or (
                    v.reserved_by in asked and asked[v.reserved_by].status == "open") or (
                    v.reserved_by in offers and offers[v.reserved_by].status == "pending")
        # Pending transfers are counted per holder and transferee, and queued by deadline.
        pending = [t for t in offers.values() if t.status == "pending"]
        pairs: dict[tuple[bytes, bytes], int] = {}
        for t in pending:
            pairs[(t.holder, t.to)] = pairs.get((t.holder, t.to), 0) + 1
        assert {(key[4:36], key[36:]): int.from_bytes(raw, "big")
                for key, raw in state.scan(b"tpn/")} == pairs
        assert sorted(key for key, _ in state.scan(b"tpq/")) == sorted(
            transfers.deadline_key(t.sign_by_ms, t.id) for t in pending)
        assert {i: t.status for i, t in offers.items()} == {
            i: t.status for i, t in self.transfers.items()}
        # A holder's waiting requests are counted per debtor (what caps them), exactly.
        waiting: dict[tuple[bytes, bytes], int] = {}
        for r in requests.values():
            if r.status == "requested":
                waiting[(r.holder, r.debtor)] = waiting.get((r.holder, r.debtor), 0) + 1
        counted = {(key[4:36], key[36:]): int.from_bytes(raw, "big")
                   for key, raw in state.scan(b"rqp/")}
        assert counted == waiting

        # One debt, one financing: each issued voucher's basis contract backs it, under
        # both its keys (document and reference), and nothing else holds a basis.
        uses = [decode(basis.Use, raw) for _, raw in state.scan(b"bc/")]
        assert sorted(u.id for u in uses) == sorted(2 * [o.id for o in origins])
        assert all(u.backer == "voucher" for u in uses)

        # One asset is offered once: each title number names one listed or redeemed
        # offer; a capped offer never settles more than its cap.
        offers = {o.id: o for o in records(state, b"r/", redemption.Offer)}
        titled = {}
        for offer_id in offers:
            stock = redemption.get_stock(state, offer_id)
            if stock is None:
                continue
            if stock.cap_fen:
                assert stock.used_fen <= stock.cap_fen
                if offers[offer_id].status != "withdrawn":
                    assert (offers[offer_id].status == "redeemed") == (
                        stock.used_fen == stock.cap_fen)
            if stock.title_ref and offers[offer_id].status != "withdrawn":
                titled[redemption.title_key(stock.title_ref)] = offer_id
        assert dict(state.scan(b"rt/")) == titled

        self.ledger_matches_model(states, pledges, requests)

    def ledger_matches_model(self, states: dict, pledges: dict, requests: dict) -> None:
        state = self.ledger.store
        assert set(states) == set(self.vouchers)
        for voucher_id, m in self.vouchers.items():
            v = states[voucher_id]
            assert (self.name_of[v.holder], self.name_of[v.debtor], v.amount_fen, v.origin) == (
                m.holder, m.debtor, m.amount_fen, m.origin)
            assert (v.status, v.pledge, v.reserved_by, v.commitments) == (
                m.status, m.pledge, m.reserved_by, m.commitments)
            assert (v.due_ms, v.extensions_used, v.overdue_since_ms is not None) == (
                m.due_ms, m.extensions_used, m.overdue)
        assert {i: (pl.status, pl.voucher, pl.secured_fen, pl.loan_due_ms, pl.loan_ref,
                    pl.loan_fen, pl.loan_rate_bp) for i, pl in pledges.items()} == {
            i: (pl.status, pl.voucher, pl.secured_fen, pl.loan_due_ms, pl.loan_ref,
                pl.loan_fen, pl.rate_bp) for i, pl in self.pledges.items()}
        assert {i: r.status for i, r in requests.items()} == {
            i: r.status for i, r in self.requests.items()}
        assert {r.id: (r.status, r.voucher, r.outcome) for r in records(
            state, b"fn/", financing.FinancingRequest)} == {
            i: (r.status, r.voucher, r.outcome) for i, r in self.financings.items()}
        assert {a.id: (a.status, a.amount_fen, a.price_fen) for a in records(
            state, b"fnq/", financing.Answer)} == {
            i: (a.status, a.amount_fen, a.price_fen) for i, a in self.answers.items()}
        for commitment_id, m in self.commitments.items():
            c = acquisition.get_commitment(state, commitment_id)
            assert c is not None
            assert (c.status, c.exercised_fen, c.paid_fen) == (
                m.status, m.exercised_fen, m.paid_fen)
        for offer_id, o in self.offers.items():
            found = redemption.get_offer(state, offer_id)
            assert found is not None and (found.status, found.price_fen) == (o.status, o.price_fen)
            stock = redemption.get_stock(state, offer_id)
            assert (stock.title_ref, stock.cap_fen, stock.used_fen) == (
                o.title, o.cap_fen, o.used_fen) if stock else not (o.title or o.cap_fen)
        for name in NAMES:
            member = membership.get_member(state, self.ledger.addr(name))
            assert member is not None and member.status == self.member_status[name]
            assert fees.get_account(state, self.ledger.addr(name)).charged_fen == \
                self.charged.get(name, 0)


    # -------------------------------------------------------------- credit limits
    # The agency's issuance limits on the debtors and the banks' exposure limits on them
    # (contracts/credit.py). Each limit keeps a ceiling: the limit, or what was used when
    # it was set if more (a lowered limit refuses new use only); use never rises above it.

    def init_credit(self) -> None:
        self.issuance_limits: dict[str, tuple[int, int]] = {}  # debtor: limit, ceiling
        self.exposure_limits: dict[tuple[str, str], tuple[int, int]] = {}  # (bank, debtor)
        self.credit_pending: dict[bytes, tuple[str, int, int]] = {}  # debtor, fen, confirm_by

    def model_pending_fen(self, debtor: str) -> int:
        return sum(fen for d, fen, confirm_by_ms in self.credit_pending.values()
                   if d == debtor and confirm_by_ms >= self.ledger.time_ms)

    def model_outstanding_fen(self, debtor: str) -> int:
        return sum(v.amount_fen for v in self.vouchers.values()
                   if v.status == "active" and v.debtor == debtor)

    def model_used_fen(self, debtor: str) -> int:
        return self.model_outstanding_fen(debtor) + self.model_pending_fen(debtor)

    def model_pledged_fen(self, bank: str, debtor: str) -> int:
        return sum(p.secured_fen for p in self.pledges.values() if p.status == "active"
                   and p.bank == bank and self.vouchers[p.voucher].debtor == debtor)

    def model_held_fen(self, holder: str, debtor: str) -> int:
        return sum(v.amount_fen for v in self.vouchers.values()
                   if v.status == "active" and v.holder == holder and v.debtor == debtor)

    def model_exposure_fen(self, bank: str, debtor: str) -> int:
        return self.model_pledged_fen(bank, debtor) + self.model_held_fen(bank, debtor)

    def over_issuance_limit(self, debtor: str, amount_fen: int) -> bool:
        limit = self.issuance_limits.get(debtor)
        return limit is not None and self.model_used_fen(debtor) + amount_fen > limit[0]

    def exposure_added(self, attempt: Attempt) -> tuple[str, str, int] | None:
        """(funder, debtor, fen) an accepted attempt adds to a funder's exposure, less what
        a pledge to that funder it ends first gives back; None for what adds none."""
        body = attempt.body
        freed = 0
        if isinstance(body, pledge.Create):
            funder, voucher, added = self.name_of[body.bank], body.voucher, body.secured_fen
        elif isinstance(body, pledge.Amend):
            found = self.pledges[body.pledge]
            funder, voucher = found.bank, found.voucher
            added = body.secured_fen - found.secured_fen
        elif isinstance(body, (transfers.Transfer, sale.Sell)):
            to = body.to if isinstance(body, transfers.Transfer) else body.buyer
            funder, voucher, added = self.name_of.get(to, ""), body.voucher, body.amount_fen
            pledged = self.vouchers[voucher].pledge if voucher in self.vouchers else None
            if pledged is not None and self.pledges[pledged].bank == funder \
                    and body.pledgee == to:
                freed = self.pledges[pledged].secured_fen  # released before it moves
        elif isinstance(body, transfers.Sign):
            t = self.transfers[body.transfer]
            funder, voucher, added = t.to, t.voucher, t.amount_fen
        elif isinstance(body, financing.Accept) and body.quote in self.answers:
            answer = self.answers[body.quote]
            request = self.financings[answer.request]
            funder, voucher = answer.funder, request.voucher
            added = request.amount_fen if request.kind == "pledge_loan" else answer.amount_fen
        else:
            return None
        if voucher not in self.vouchers:
            return None
        return funder, self.vouchers[voucher].debtor, added - freed

    def with_exposure_limit(self, attempt: Attempt) -> Attempt:
        """An attempt the model accepts but that would take a bank's exposure over its
        limit is refused with credit.exposure_limit (checked after every other rule)."""
        added = self.exposure_added(attempt) if attempt.expect is None else None
        if added is None:
            return attempt
        funder, debtor, fen = added
        limit = self.exposure_limits.get((funder, debtor))
        if limit is None or fen <= 0 or self.model_exposure_fen(funder, debtor) + fen <= limit[0]:
            return attempt
        return replace(attempt, expect="credit.exposure_limit")

    @rule(data=st.data())
    def set_issuance_limit(self, data: st.DataObject) -> None:
        debtor = data.draw(st.sampled_from(DEBTORS))
        if debtor in self.issuance_limits and data.draw(st.booleans()):
            body = credit.RemoveLimit(self.ledger.addr("agency"), self.ledger.addr(debtor))

            def removed(tx_id: bytes) -> None:
                del self.issuance_limits[debtor]

            self.submit(data, Attempt("credit", "remove_limit", body, ("agency",), None,
                                      removed))
            return
        used = self.model_used_fen(debtor)
        limit_fen = max(0, used + data.draw(st.integers(-1_000_000, 4_000_000)))
        body = credit.SetLimit(self.ledger.addr("agency"), self.ledger.addr(debtor), limit_fen,
                               None, "SX-machine")

        def effect(tx_id: bytes) -> None:
            self.issuance_limits[debtor] = (limit_fen, max(limit_fen, used))

        self.submit(data, Attempt("credit", "set_limit", body, ("agency",), None, effect))

    @rule(data=st.data())
    def apply_against_a_limit(self, data: st.DataObject) -> None:
        """A creditor applies alone; the application waits for the debtor (and lapses)."""
        creditor = self.pick(data, [c for c in CREDITORS if self.active(c)])
        debtor = self.pick(data, [d for d in DEBTORS if self.active(d)])
        if creditor is None or debtor is None:
            return
        amount_fen = data.draw(st.integers(1, 2_000_000))
        basis_ref = f"HT-credit-{self.ledger.nonce}"
        terms = issuance.Terms(self.ledger.addr(debtor), amount_fen,
                               self.ledger.time_ms + 60 * DAY_MS, True, False, 0, 0,
                               basis_ref, sha256(basis_ref.encode()))
        body = issuance.Apply(self.ledger.addr(creditor), terms)
        expect = "credit.issuance_limit" if self.over_issuance_limit(debtor, amount_fen) \
            else None

        def effect(tx_id: bytes) -> None:
            confirm_by_ms = self.ledger.time_ms + issuance.CONFIRMATION_WINDOW_MS
            self.credit_pending[tx_id] = (debtor, amount_fen, confirm_by_ms)

        self.submit(data, Attempt("issuance", "apply", body, (creditor,), expect, effect))

    @rule(data=st.data())
    def set_exposure_limit(self, data: st.DataObject) -> None:
        bank = data.draw(st.sampled_from(BANKS))
        debtor = data.draw(st.sampled_from(DEBTORS))
        if not self.active(bank):
            return
        if (bank, debtor) in self.exposure_limits and data.draw(st.booleans()):
            body = credit.RemoveExposureLimit(self.ledger.addr(bank), self.ledger.addr(debtor))

            def removed(tx_id: bytes) -> None:
                del self.exposure_limits[(bank, debtor)]

            self.submit(data, Attempt("credit", "remove_exposure_limit", body, (bank,), None,
                                      removed))
            return
        exposure = self.model_exposure_fen(bank, debtor)
        limit_fen = max(0, exposure + data.draw(st.integers(-500_000, 2_000_000)))
        body = credit.SetExposureLimit(self.ledger.addr(bank), self.ledger.addr(debtor),
                                       limit_fen)

        def effect(tx_id: bytes) -> None:
            self.exposure_limits[(bank, debtor)] = (limit_fen, max(limit_fen, exposure))

        self.submit(data, Attempt("credit", "set_exposure_limit", body, (bank,), None, effect))

    @invariant()
    def credit_use_stays_within_the_limits(self) -> None:
        """The ledger's counters are the model's, and no use rises above its ceiling."""
        state = self.ledger.store
        for debtor in DEBTORS:
            found = credit.debtor_credit(state, self.ledger.addr(debtor))
            assert (found.outstanding_fen, found.pending_fen) == (
                self.model_outstanding_fen(debtor), self.model_pending_fen(debtor))
            if debtor in self.issuance_limits:
                limit_fen, ceiling = self.issuance_limits[debtor]
                used = found.outstanding_fen + found.pending_fen
                assert used <= ceiling, f"{debtor} uses {used} fen over its limit {limit_fen}"
                self.issuance_limits[debtor] = (limit_fen, max(limit_fen, min(ceiling, used)))
            for holder in NAMES:
                assert vouchers_held_on(state, self.ledger.addr(holder),
                                        self.ledger.addr(debtor)) == \
                    self.model_held_fen(holder, debtor)
            for bank in BANKS:
                exposure = credit.exposure(state, self.ledger.addr(bank), self.ledger.addr(debtor))
                assert exposure.pledged_fen == self.model_pledged_fen(bank, debtor)
                if (bank, debtor) in self.exposure_limits:
                    limit_fen, ceiling = self.exposure_limits[(bank, debtor)]
                    taken = exposure.pledged_fen + exposure.held_fen
                    assert taken <= ceiling, f"{bank} holds {taken} fen on {debtor}, over " \
                        f"its limit {limit_fen}"
                    self.exposure_limits[(bank, debtor)] = (
                        limit_fen, max(limit_fen, min(ceiling, taken)))

# ------------------------------------------------------------------ key rotation
# A member replaces its signing key: its address (identity) stays, its vouchers with it;
# the old key's signature is refused from then on and the new key moves the vouchers.


ROTATING = "rotating"  # the ledger's name, while it co-signs, of a member's next key


def rotate_member_key(self: LifecycleMachine, data: st.DataObject) -> None:
    name = self.pick(data, [n for n in NAMES if self.active(n)])
    if name is None:
        return
    self.rotations = getattr(self, "rotations", 0) + 1
    old = self.ledger.keys[name]
    new = KeyPair(sha256(b"lifecycle machine rotation %d" % self.rotations))
    self.ledger.keys[ROTATING] = new
    address = self.address(name)
    held = sorted(vouchers_held(self, name))
    body = membership.RotateKey(address, new.address)
    self.submit(data, Attempt("membership", "rotate_key", body, (name, ROTATING), None,
                              lambda tx_id: self.ledger.use_key(name, new)))
    assert membership.get_member(self.ledger.store, address).key == new.address
    assert sorted(vouchers_held(self, name)) == held  # the address holds them still
    # The old key signs nothing now, whatever it signs.
    self.ledger.keys[ROTATING] = old
    again = self.ledger.tx("membership", "rotate_key", membership.RotateKey(
        address, KeyPair(sha256(b"never used %d" % self.rotations)).address), ROTATING)
    assert self.ledger.refused(sign_transaction(again, KeyPair(
        sha256(b"never used %d" % self.rotations)))) == "membership.key_rotated"
    del self.ledger.keys[ROTATING]
    event("key rotated" + (" with vouchers held" if held else ""))
    # The new key moves what the member holds.
    voucher_id = self.pick(data, [i for i in self.movable() if self.vouchers[i].holder == name])
    if voucher_id is None:
        return
    v = self.vouchers[voucher_id]
    to = self.pick(data, [n for n in NAMES if n not in (v.holder, v.debtor) and self.can_hold(n)])
    if to is None:
        return
    amount = self.amount(data, v.amount_fen)
    pledgee = self.bank_of(v)
    body_t = transfers.Transfer(address, voucher_id, self.address(to), amount,
                                self.address(pledgee), "TC-1")
    signers = (name, to) if pledgee is None else (name, to, pledgee)
    self.submit(data, Attempt("transfer", "transfer", body_t, signers, None,
                              lambda tx_id: self.move(tx_id, voucher_id, to, amount)))
    event("vouchers moved with the new key")


def vouchers_held(self: LifecycleMachine, name: str) -> list[bytes]:
    return live_ids_by_holder(self.ledger.store, self.address(name))


LifecycleMachine.rotate_member_key = rule(data=st.data())(rotate_member_key)  # type: ignore


LifecycleMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycle = LifecycleMachine.TestCase
