"""Ids and members as people type them: a whole id, its first hex digits, the short form
the wallet's tables print, or a member's name.

- A whole id (64 hex digits) is taken as it is, with no request to the node.
- A prefix of at least MIN_DIGITS hex digits, as git abbreviates commits, names the one
  record of that kind you may read whose id starts with it: the node answers the
  matches it lets you read (GET /v1/ids/{kind}, contracts/id_prefixes.py), so a prefix
  never tells you of a record you could not read. The tables' `1a2b3c4d…9f0e` (first 8
  and last 4 digits, contracts.identity.short) is such a prefix with its last digits.
- A member is also named by its name in the member directory (exact, either case), or
  by its unified social credit code (统一社会信用代码, 18 characters, either case): the
  directory shows every member an organisation's code, as the public registers do.
- A transaction (kind `transaction`) likewise by a prefix of its id, among those you may
  read (the node's transaction index and mempool, as GET /v1/txs/{id} shows them).
- A light node answers from the records it holds for its member: a prefix it answers
  with no match says so (`held_only`); a full node may know records it does not hold.

Errors: `wallet.short_id` (fewer than MIN_DIGITS digits), `wallet.bad_id` (not hex),
`wallet.unknown_id` (nothing you read starts so), `wallet.ambiguous_id` (several do:
they are listed, up to 10, with what each is), `wallet.ambiguous_name` and
`wallet.unknown_member` for members; `wallet.bad_answer` when the node answers an id
that does not start with the prefix asked (or end with the digits given): the wallet
acts on the id it resolves (signs for it, pays with it), so a node that lies or errs must
not make a prefix name a record other than one that prefix names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from contracts.errors import LedgerError
from contracts.legal_identity import credit_code_problem
from contracts.record_proofs import PROVABLE
from wallet.shown import visible
from wallet.units import yuan

MIN_DIGITS = 8
WHOLE = re.compile(r"[0-9a-fA-F]{64}")
HEX_DIGITS = re.compile(r"[0-9a-f]+")  # an id as the node answers it
# A prefix, optionally with the last digits the tables show after an ellipsis.
ABBREVIATED = re.compile(r"([0-9a-fA-F]+)(?:(?:…|\.\.\.)([0-9a-fA-F]{1,56}))?")
# Fields of a record that say what it is, in the order they are shown.
WHAT_FIELDS = ("name", "kind", "operation", "status")
AMOUNT_FIELDS = ("amount_fen", "face_fen", "price_fen", "owed_fen", "total_fen")


class IdClient(Protocol):
    """What resolving asks of the node (the client library, wallet/sdk.py)."""

    def ids(self, kind: str, prefix: str) -> dict: ...

    def members(self, role: str | None = None) -> dict: ...


class HasClient(Protocol):
    """A wallet (wallet.session.Wallet): its client library is made at first use."""

    @property
    def ledger(self) -> IdClient: ...


def label(kind: str) -> str:
    """How a kind of record is named in sentences: `financing_request` -> financing request."""
    return {"claim_sale": "sale", "financing_answer": "quote", "origin": "issued voucher",
            "setoff_round": "set-off round"}.get(kind, kind.replace("_", " "))


# A number the ledger gives a record in order (contracts.pledge's ZY0000000001,
# contracts.setoff's DX0000000001): shown in the tables, but not an id.
NUMBERED = re.compile(r"[A-Z]{2}[0-9]{10}")


def is_abbreviation(text: str) -> bool:
    """Whether `text` is written as an id or a prefix of one (hex digits, with the tables'
    ellipsis or not), rather than a name."""
    return ABBREVIATED.fullmatch(text.strip()) is not None


def split(text: str, kind: str) -> tuple[str, str]:
    """The prefix and the last digits (empty when not given) `text` spells;
    `wallet.bad_id` or `wallet.short_id` when it spells none that may be looked up."""
    match = ABBREVIATED.fullmatch(text.strip())
    if match is None:
        raise LedgerError("wallet.bad_id",
                          f"{text[:80]!r} is not a {label(kind)} id: give its hex digits "
                          f"(the whole 64, or the first {MIN_DIGITS} or more)"
                          + (f"; {text.strip()} is a number the ledger gives in order (a "
                             "pledge's ZY…, a set-off round's DX…): the listing that shows "
                             f"it shows the {label(kind)}'s id beside it"
                             if NUMBERED.fullmatch(text.strip().upper()) else ""))
    prefix, last = match.group(1).lower(), (match.group(2) or "").lower()
    if len(prefix) < MIN_DIGITS:
        raise LedgerError("wallet.short_id",
                          f"{text!r} is too short to name a {label(kind)}: give at least "
                          f"{MIN_DIGITS} hex digits of its id")
    if len(prefix) + len(last) > 64:
        raise LedgerError("wallet.bad_id", f"{text[:80]!r} has more than 64 hex digits")
    return prefix, last


def describe(kind: str, match: dict) -> str:
    """One line on a candidate: its whole id, then what it is."""
    record = match.get("record") or {}
    bits = [label(kind)]
    bits += [str(record[f]) for f in WHAT_FIELDS if isinstance(record.get(f), str)]
    amount = next((record[f] for f in AMOUNT_FIELDS if isinstance(record.get(f), int)), None)
    if amount is not None:
        bits.append(yuan(amount))
    return visible(f"{match['id']}  {' '.join(bits)}")


def ambiguous(kind: str, text: str, candidates: Iterable[str], more: bool) -> LedgerError:
    listed = list(candidates)
    return LedgerError(
        "wallet.ambiguous_id",
        f"{text!r} names {'more than ' if more else ''}{len(listed)} {label(kind)}s you may "
        "read; give more digits of the one you mean:\n  " + "\n  ".join(listed))


def ids_of(client: IdClient, kind: str, prefix: str) -> dict:
    """The node's answer to GET /v1/ids/{kind}; `wallet.no_prefixes` from a node that
    has no such route (one older than it)."""
    try:
        return client.ids(kind, prefix)
    except LedgerError as e:
        if e.code != "not_found" or "no route" not in e.message:
            raise
        raise LedgerError("wallet.no_prefixes",
                          "this node does not resolve ids by prefix: give the whole id "
                          "(64 hex digits)") from None


def matches_of(answer: dict, kind: str, prefix: str, last: str) -> list[dict]:
    """The node's matches for `prefix` that end with `last`; `wallet.bad_answer` if one
    is no hex id starting with `prefix`: the node lied or erred, and the wallet would
    act on a record the person did not name."""
    known = PROVABLE.get(kind)
    digits = 2 * (known.id_bytes if known is not None else 32)  # a transaction's: 32
    found = []
    for m in answer["matches"]:
        text = m.get("id") if isinstance(m, dict) else None
        if not isinstance(text, str) or not text.startswith(prefix) \
                or len(text) != digits or HEX_DIGITS.fullmatch(text) is None:
            raise LedgerError("wallet.bad_answer",
                              f"asked for the {label(kind)}s starting {prefix}, the node "
                              f"answered {str(text)[:80]!r}: not trusted, nothing done")
        if text.endswith(last):
            found.append(m)
    return found


def resolve_id(client: IdClient, kind: str, text: str) -> bytes:
    """The id of the one record of `kind` (a kind of contracts.record_proofs) that `text`
    names: a whole id as it is; a prefix (with or without the tables' `…last`), the one
    record you may read that it names."""
    text = text.strip()
    if WHOLE.fullmatch(text):
        return bytes.fromhex(text)
    prefix, last = split(text, kind)
    answer = ids_of(client, kind, prefix)
    matches = matches_of(answer, kind, prefix, last)
    more = bool(answer.get("more"))
    if not matches and not more:
        raise LedgerError("wallet.unknown_id",
                          f"no {label(kind)} you may read has an id starting {prefix}"
                          + (f" and ending {last}" if last else "")
                          + (" among the records this light node holds; a full node may "
                             "know it" if answer.get("held_only") else ""))
    if len(matches) != 1 or more:
        raise ambiguous(kind, text, (describe(kind, m) for m in matches), more)
    return bytes.fromhex(matches[0]["id"])


def credit_code_of(entry: dict) -> str:
    """A directory entry's unified social credit code ("" for none: a natural person)."""
    identity = entry.get("identity")
    return str(identity.get("credit_code") or "") if isinstance(identity, dict) else ""


def directory(client: IdClient) -> list[dict] | None:
    """The member directory (GET /v1/members); None from a light node, which keeps none
    (it holds its own member's records only)."""
    try:
        return client.members()["members"]
    except LedgerError as e:
        if e.code != "light.not_held":
            raise
        return None


# The errors whose message lists candidates one a line, each line made `visible` where it
# is written: shown with their line breaks (wallet.cli), where another error's are escaped.
LISTING_CODES = frozenset({"wallet.ambiguous_id", "wallet.ambiguous_name",
                           "wallet.unknown_member"})


def resolve_member(client: IdClient, text: str) -> bytes:
    """The address of the member `text` names: its whole address; a prefix of it (with
    or without the tables' `…last`); its unified social credit code (either case); or
    its name in the member directory, exact in either case. A hex text is
    tried as an address first, then as a credit code or a name."""
    text = text.strip()
    if WHOLE.fullmatch(text):
        return bytes.fromhex(text)
    refused: LedgerError | None = None
    if is_abbreviation(text):
        try:
            return resolve_id(client, "member", text)
        except LedgerError as e:
            if e.code not in ("wallet.unknown_id", "wallet.short_id"):
                raise
            refused = e
    members = directory(client)
    if members is None:
        if refused is not None:
            raise refused
        raise LedgerError("wallet.no_directory",
                          "this node keeps no member directory (a light node holds its own "
                          "member's records only): name the member by its address or the "
                          f"first {MIN_DIGITS}+ hex digits of it")
    code = text.upper()
    if credit_code_problem(code) is None:
        # Codes are unique on the ledger (contracts.membership's credit code index).
        coded = [m for m in members if credit_code_of(m) == code]
        if coded:
            return bytes.fromhex(coded[0]["address"])
    wanted = text.casefold()
    named = [m for m in members if str(m.get("name", "")).casefold() == wanted]
    if len(named) == 1:
        return bytes.fromhex(named[0]["address"])
    if len(named) > 1:
        listed = [visible(f"{m['address']}  {m['name']} {m.get('status', '')}".rstrip())
                  for m in named[:10]]
        raise LedgerError("wallet.ambiguous_name",
                          f"{len(named)} members are named {text!r}; give the address of "
                          "the one you mean:\n  " + "\n  ".join(listed))
    if refused is not None and refused.code == "wallet.short_id":
        raise refused
    raise LedgerError("wallet.unknown_member",
                      f"{text[:80]!r} is neither a member's name or credit code nor the "
                      f"address (or its first {MIN_DIGITS}+ hex digits) of a member you "
                      "may read" + near_names(members, wanted))


def near_names(members: list[dict], wanted: str) -> str:
    """The members whose name holds `wanted` (a name is matched whole, so 'Mingda' names
    no 'Mingda Steel Co.'), as the error's next step: up to 10, each with its address."""
    near = [m for m in members if wanted and wanted in str(m.get("name", "")).casefold()]
    if not near:
        return ""
    listed = [visible(f"{m['address']}  {m['name']} {m.get('status', '')}".rstrip())
              for m in near[:10]]
    return ("; give the whole name or the address of the one you mean:\n  "
            + "\n  ".join(listed))


def record_id(w: HasClient, kind: str, text: str) -> bytes:
    """`resolve_id` with the wallet's client, made only when a prefix is looked up."""
    text = text.strip()
    return bytes.fromhex(text) if WHOLE.fullmatch(text) else resolve_id(w.ledger, kind, text)


def optional_record_id(w: HasClient, kind: str, text: str | None) -> bytes | None:
    return None if text is None else record_id(w, kind, text)


def address_of(w: HasClient, text: str) -> bytes:
    """`resolve_member` with the wallet's client, made only when a name or a prefix is
    looked up."""
    text = text.strip()
    return bytes.fromhex(text) if WHOLE.fullmatch(text) else resolve_member(w.ledger, text)


def optional_member(w: HasClient, text: str | None) -> bytes | None:
    return None if text is None else address_of(w, text)


# The listing filters that name a member (the rest name a record of their own kind).
MEMBER_FILTERS = frozenset({"holder", "debtor", "creditor", "pledgor", "bank", "acquirer",
                            "party", "funder", "member", "to"})


def filter_id(w: HasClient, name: str, text: str) -> bytes:
    """A listing filter's value (`--voucher`, `--origin`, `--pledgor`...): a member's for
    the filters that name one, else a record of the filter's kind."""
    return address_of(w, text) if name in MEMBER_FILTERS else record_id(w, name, text)


def any_record_id(w: HasClient, kinds: tuple[str, ...], text: str) -> bytes:
    """The id of the one record of any of `kinds` that `text` names (a dispute's subject:
    an application, an issued voucher or an obligation)."""
    text = text.strip()
    if WHOLE.fullmatch(text):
        return bytes.fromhex(text)
    prefix, last = split(text, kinds[0])
    found: list[str] = []
    more = False
    for kind in kinds:
        answer = ids_of(w.ledger, kind, prefix)
        more = more or bool(answer.get("more"))
        found += [describe(kind, m) for m in matches_of(answer, kind, prefix, last)]
    if not found and not more:
        raise LedgerError("wallet.unknown_id",
                          f"no {', '.join(label(k) for k in kinds)} you may read has an id "
                          f"starting {prefix}")
    if len(found) != 1 or more:
        raise LedgerError("wallet.ambiguous_id",
                          f"{text!r} names several records you may read; give more digits "
                          "of the one you mean:\n  " + "\n  ".join(found))
    return bytes.fromhex(found[0].split()[0])
