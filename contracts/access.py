"""Who may read what: the read rules of every family, assembled into one table.

Each family declares, in a `READS` table beside the rules that write its records, who may
read each kind of them (contracts.caller.Read). This module assembles those tables into
`TABLE` (the README's "who reads what", rendered by `table_markdown`), answers a read
(`may_read`, `require_read`: `Forbidden`, code `read.forbidden`), and adds the rules that
belong to no family: blocks, transactions, members' event streams, and the lineage of a
voucher (read with the voucher at its end).

Callers: `caller_of(state, address)` for the member key that signed a request, with the
agency and regulator roles read from membership in the state; `ANONYMOUS` for a request
nobody signed, which reads nothing of the ledger's business. A member asked to co-sign
presents the draft it was asked to sign; `asked_by_draft` checks it and says which voucher
states it may then read as the one asked.

Not records, and read by anyone: the node's status and health, the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar

from contracts import (
    acquisition,
    credit,
    documents,
    evidence,
    fees,
    financing,
    governance,
    issuance,
    membership,
    nodes,
    obligations,
    pledge,
    products,
    redemption,
    reports,
    sale,
    setoff,
    streams,
    supervision,
    transfer,
    vouchers,
)
from contracts.caller import OVERSIGHT, Caller, Read
from contracts.codec import CodecError
from contracts.contract import Event, Registry
from contracts.errors import Forbidden, LedgerError
from contracts.identity import verify
from contracts.ledger import resolve
from contracts.state import Reader
from contracts.tx import MAX_VALIDITY_BLOCKS, Transaction, decode_transaction, signing_bytes

T = TypeVar("T")

ANONYMOUS = Caller(address=None, member=False, agency=False, regulator=False)

# The kinds of parties the table names, and how it names them.
PARTIES = {
    "member": "every member",
    "self": "the member it is about",
    "holder": "holder",
    "transferee": "transferee",
    "earlier_holder": "a holder of an earlier state of the claim",
    "debtor": "debtor",
    "creditor": "creditor",
    "asked": "a member the holder asked to co-sign on the voucher",
    "pledgor": "pledgor",
    "pledgee": "pledgee bank",
    "acquirer": "acquirer",
    "seller": "seller",
    "buyer": "buyer",
    "party": "a party named in it",
    "round_member": "a member of the round",
    "run_member": "a member the run cleared something of",
    "signer": "signer",
    "granter": "the member that granted access",
    "grantee": "a member granted access by a holder of the voucher",
    "addressee": "addressee",
    "funder": "a funder a financing request reaches",
    "quoter": "the funder that answered",
    "agency": "agency",
    "regulator": "regulators",
}
# Kinds of callers every row of the table is tried with, besides its parties.
CALLERS = ("anonymous", "member", "asked", "agency", "regulator")


# ------------------------------------------------------------------ rules of no family


@dataclass(frozen=True)
class TxWithEvents:
    """A transaction as the ledger answers it: pending (no events yet) or committed."""

    tx: Transaction
    events: tuple[Event, ...]


def event_addressees(event: Event) -> tuple[bytes, ...]:
    """The members an event is addressed to: the parties its contract named when it
    emitted it (contracts.contract.Context.emit). The node files each event in the
    stream of each of them and of nobody else."""
    return event.parties


def may_read_event(state: Reader, caller: Caller, event: Event) -> bool:
    """An event goes to its addressees only (§000-四(一): 定向传送), and not to the agency
    or the regulators either: they read the records, not members' notifications.
    An addressee that is no member (a validator key named in evidence) reads its own."""
    return caller.address is not None and caller.address in event_addressees(event)


def may_read_transaction(state: Reader, caller: Caller, seen: TxWithEvents) -> bool:
    """A transaction (its body, signers and events) is its signers'. Its events'
    addressees learn what concerns them from the events and read the records it wrote
    by their own rules: a body may hold what an addressee does not read (a pledge's loan
    terms, told to the debtor as `pledge.registered`). A signer is the member whose key
    signed, then or since replaced (contracts.membership.owner_of_key)."""
    return caller.oversees or caller.one_of(
        *(membership.owner_of_key(state, s.signer) for s in seen.tx.signatures))


def may_read_block(state: Reader, caller: Caller, block: object) -> bool:
    """A block's header, its certificate and the ids of its transactions are every
    member's: they prove the chain and name no business. Its transactions and events
    are read by their own rules."""
    return caller.member


def may_read_lineage(state: Reader, caller: Caller, voucher: vouchers.Voucher) -> bool:
    """The states from the claim's issue down to a voucher state, earlier holders
    included, are read with that state: they are its chain of title, which whoever
    takes, lends on or buys the claim checks back to the debtor's confirmation. The
    states descending from it are read one by one by the voucher's rule."""
    return may_read(state, caller, "voucher", voucher)


def own_reads(voucher: Row) -> tuple[Read, ...]:
    """The rules of no family; the lineage's readers are the voucher's, whichever families
    add to them."""
    return (
        Read("lineage", voucher.readers, may_read_lineage, voucher.not_readers),
        Read("block", ("member",), may_read_block),
        Read("transaction", ("signer", *OVERSIGHT), may_read_transaction,
             not_readers=("addressee",)),
        Read("event", ("addressee",), may_read_event, not_readers=OVERSIGHT),
    )


# ------------------------------------------------------------------ the table

FAMILIES = (
    membership, vouchers, issuance, documents, pledge, acquisition, redemption, fees,
    obligations, setoff, evidence, governance, nodes, streams, products,
    financing, sale, transfer, credit, supervision, reports,
)


@dataclass(frozen=True)
class Row:
    """One kind of record: the family that keeps it, who reads it, who was decided not
    to, and the rules (the keeping family's first, then those that add readers)."""

    kind: str
    family: str
    readers: tuple[str, ...]
    not_readers: tuple[str, ...]
    rules: tuple[Read, ...]

    def allows(self, state: Reader, caller: Caller, record: Any) -> bool:
        return any(read.rule(state, caller, record) for read in self.rules)

    @property
    def why(self) -> str:
        """The rules' docstrings, joined into one paragraph."""
        return " ".join(" ".join((read.rule.__doc__ or "").split()) for read in self.rules)


def _family_name(module: Any) -> str:
    return module.__name__.rpartition(".")[2]


def _assemble(tables: list[tuple[str, tuple[Read, ...]]]) -> tuple[Row, ...]:
    """Rows from (family, READS) tables: a kind's rules in table order, the first
    family's the keeper."""
    declared: dict[str, list[tuple[str, Read]]] = {}
    for family, reads in tables:
        for read in reads:
            assert read.kind.isidentifier(), read.kind
            assert set(read.readers) | set(read.not_readers) <= PARTIES.keys(), read
            assert read.rule.__doc__, f"{read.rule.__name__} says why in its docstring"
            declared.setdefault(read.kind, []).append((family, read))
    rows = []
    for kind, reads in declared.items():
        # In the vocabulary's order, so that a row reads the same whichever family adds.
        readers = tuple(p for p in PARTIES if any(p in read.readers for _, read in reads))
        not_readers = tuple(p for p in PARTIES if p not in readers
                            and any(p in read.not_readers for _, read in reads))
        rows.append(Row(kind, reads[0][0], readers, not_readers,
                        tuple(read for _, read in reads)))
    return tuple(rows)


_FAMILY_TABLES = [(_family_name(m), m.READS) for m in FAMILIES]
_VOUCHER = next(row for row in _assemble(_FAMILY_TABLES) if row.kind == "voucher")
TABLE = _assemble([*_FAMILY_TABLES, ("access", own_reads(_VOUCHER))])
ROWS = {row.kind: row for row in TABLE}


def may_read(state: Reader, caller: Caller, kind: str, record: Any) -> bool:
    """May `caller` read `record`, a record of `kind` (a row of `TABLE`)?"""
    return ROWS[kind].allows(state, caller, record)


def require_read(state: Reader, caller: Caller, kind: str, record: Any) -> None:
    """`Forbidden` (code `read.forbidden`) unless `caller` may read `record` of `kind`.
    The message names the kind, never the record's content."""
    if not may_read(state, caller, kind, record):
        who = "an anonymous caller" if caller.address is None else \
            f"{caller.address.hex()[:16]}…"
        raise Forbidden(f"{who} may not read this {kind.replace('_', ' ')}: it is read by "
                        f"{readers_text(ROWS[kind])}")


def readable(state: Reader, caller: Caller, kind: str, records: Iterable[T]) -> list[T]:
    """The records of `kind` among `records` that `caller` may read, in their order: a
    listing's page, the states descending from a voucher in its lineage."""
    return [record for record in records if may_read(state, caller, kind, record)]


def readers_text(row: Row) -> str:
    return ", ".join(PARTIES[p] for p in row.readers)


def table_markdown() -> str:
    """The read-rule table as markdown: one line per kind of record."""
    lines = [
        "| record | kept by | who reads | not | why |",
        "|---|---|---|---|---|",
    ]
    for row in TABLE:
        not_text = ", ".join(PARTIES[p] for p in row.not_readers) or "–"
        lines.append(f"| {row.kind} | {row.family} | {readers_text(row)} | {not_text} "
                     f"| {row.why} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ callers


def caller_of(state: Reader, address: bytes | None,
              asked: frozenset[bytes] = frozenset()) -> Caller:
    """The caller at `address` (the key that signed the request; None: nobody did), with
    its roles as the state has them: the agency and the regulators oversee while active;
    a suspended member reads its own records but oversees nothing. A key that is no
    member reads what is addressed to it and nothing else."""
    if address is None:
        return ANONYMOUS
    member = membership.get_member(state, address)
    if member is None:
        return Caller(address, member=False, agency=False, regulator=False)
    active = member.status == "active"
    return Caller(address, member=True, agency=active and "agency" in member.roles,
                  regulator=active and "regulator" in member.roles, asked=asked)


def _voucher_named(body: Any) -> bytes | None:
    """The voucher state an operation's body names (its `voucher` field), if any."""
    if not is_dataclass(body):
        return None
    for field in fields(body):
        if field.name == "voucher":
            value = body.voucher
            return value if isinstance(value, bytes) else None
    return None


def _refuse(message: str) -> Forbidden:
    return Forbidden(message, code="read.bad_draft")


def asked_by_draft(state: Reader, draft: bytes, caller_address: bytes, height: int, *,
                   registry: Registry, chain_id: str) -> frozenset[bytes]:
    """The voucher states `caller_address` may read as a member asked to co-sign `draft`.

    The ledger never sees drafts passed between members, so the one asked presents it.
    It grants reading the voucher state the draft's operation names when: it decodes
    for `chain_id` and a contract `registry` runs; it has not expired by `height` (the
    next block's) and expires within the ledger's bound; the caller must sign it and has
    not yet; and the state is held by a member that must sign it and did, with a
    signature that verifies. Anything else: `Forbidden` with code `read.bad_draft`,
    saying which. A state consumed or cancelled since is granted too: the one asked then
    learns, proven, that the draft's claim is spent (and refuses to sign), and reads no
    more than its holder showed it (the state, never where the claim went).
    """
    try:
        tx = decode_transaction(draft)
    except CodecError as e:
        raise _refuse(f"the draft does not decode as a transaction: {e.message}") from e
    payload = tx.payload
    if payload.chain_id != chain_id:
        raise _refuse(f"the draft is for chain {payload.chain_id!r}, this is {chain_id!r}")
    if payload.expiry_height < height:
        raise _refuse(f"the draft expired at height {payload.expiry_height}")
    if payload.expiry_height > height + MAX_VALIDITY_BLOCKS:
        raise _refuse("the draft expires further ahead than a transaction may")
    try:
        _, operation, body = resolve(registry, tx)
    except LedgerError as e:
        raise _refuse(f"the draft's operation is not one this node runs: {e.message}") from e
    required = set(operation.signers(body))
    # Signatures name keys; a member signs with its current key (contracts.membership).
    signed = {s.signer: s.signature for s in tx.signatures}
    if caller_address not in required:
        raise _refuse("the draft does not ask you to sign it")
    if membership.signing_key(state, caller_address) in signed:
        raise _refuse("you signed the draft already")
    voucher_id = _voucher_named(body)
    voucher = None if voucher_id is None else vouchers.get_voucher(state, voucher_id)
    if voucher is None:
        raise _refuse("the draft names no voucher state")
    holder_key = membership.signing_key(state, voucher.holder)
    if voucher.holder not in required or holder_key not in signed:
        raise _refuse("the voucher's holder has not signed the draft (with its current key)")
    if not verify(holder_key, signing_bytes(payload), signed[holder_key]):
        raise _refuse("the holder's signature on the draft does not verify")
    return frozenset({voucher.id})
