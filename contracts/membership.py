"""Membership (会员注册, §001-二(二)): the agency admits members with roles and can suspend
them; a member is a legal person, another organisation or a natural person, identified in
its record, reviewed by the agency, and signs with a key that can change.

Only active members may sign transactions, hold or receive vouchers. A suspended member
signs nothing: `require_signers_active` is that rule, run once for every transaction
before its operation (contracts.ledger.apply_transaction), so no operation can forget
it. Genesis members come from network.toml.

Identity and key. A member's address is the Ed25519 key it was admitted with, and stays
its identity for good: vouchers, records and events name the address. The key it signs
with is `Member.key`, the address until the member rotates it (`rotate_key`, signed by
the current key and the new one) or the agency replaces a lost one on a reviewed request
(`recover_key`). A transaction's signatures name the keys that signed;
`check_signer_keys` (contracts.ledger.apply_transaction) requires them to be exactly the
current keys of the addresses the operation requires. A key belongs to one member only,
ever: a former key is refused (`membership.key_rotated`) and cannot be taken by anyone.

Keys:
  m/<address>              the member (`Member`)
  mr/<role>/<address>      the active members holding a role
  mk/<key>                 whose key it is or was (`KeyEntry`): every member's address
                           (its first key), current key and former keys
  mc/<credit code>         the organisation holding a unified social credit code
`write_member` is their only writer and keeps them in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Annotated

from contracts import legal_identity
from contracts.caller import Caller, Read
from contracts.codec import Hash32, Height, OneOf, Size, Text, TimeMs
from contracts.contract import Context, Operation
from contracts.errors import Rejected, require
from contracts.state import Overlay, Reader, get_record, page_suffixes, put_record

NAME = "membership"
VERSION = 2

# v2 adds the funders beside banks (§000-二(二)): commercial factoring companies (商业保理公司)
# and microlenders (小额贷款公司).
ROLES = ("acquirer", "agency", "bank", "enterprise", "factor", "merchant", "microlender",
         "regulator")
# Who provides financing against claims: banks lend on pledges, factors buy claims,
# microlenders lend (contracts.products: their published products).
FUNDER_ROLES = ("bank", "factor", "microlender")
Role = Annotated[str, OneOf(frozenset(ROLES))]
Roles = Annotated[tuple[Role, ...], Size(1, len(ROLES))]
MemberName = Annotated[str, Size(1, 128)]
Status = Annotated[str, OneOf(frozenset({"active", "suspended"}))]

# §001-二(二): 企(事)业法人、其他经济组织或自然人.
PERSON_TYPES = ("legal_person", "natural_person", "other_organisation")
ORGANISATION_TYPES = ("legal_person", "other_organisation")
MAX_CONTACTS_CHARS = 512
MAX_REPRESENTATIVE_CHARS = 64
MAX_REVIEW_DOCUMENTS = 16
# The codec bounds each field loosely (so that any value decodes and is bounded in size);
# the rules below give each malformed field its own code.
LooseCode = Annotated[str, Size(0, 32)]
Documents = Annotated[tuple[Hash32, ...], Size(0, MAX_REVIEW_DOCUMENTS)]
Reason = Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class Identity:
    """Who a member is in law, as the agency reviewed it."""

    person_type: LooseCode  # one of PERSON_TYPES
    credit_code: LooseCode  # organisations: 统一社会信用代码 (GB 32100-2015); else ""
    # Natural persons: legal_identity.id_reference of the resident identity number, never
    # the number itself (no personal data in clear on a replicated ledger); else b"".
    id_reference: Annotated[bytes, Size(0, 32)]
    legal_representative: Annotated[str, Size(0, MAX_REPRESENTATIVE_CHARS)]  # organisations
    contacts: Annotated[str, Size(0, MAX_CONTACTS_CHARS)]  # how the agency reaches it
    industry: LooseCode  # a GB/T 4754-2017 section letter
    region: LooseCode  # a GB/T 2260 administrative division code, six digits


@dataclass(frozen=True)
class Review:
    """The agency's review behind a member's record: who, when, on which documents."""

    reviewer: Hash32  # the agency member
    reviewed_at_ms: TimeMs  # ledger time
    reviewed_height: Height
    documents: Documents  # ids of sealed documents (contracts.documents), sorted
    reason: Text  # why the record changed ("" for the admission)


@dataclass(frozen=True)
class Member:
    address: Hash32  # the member's identity, for good
    name: MemberName
    roles: Roles
    status: Status
    admitted_at_ms: TimeMs
    admitted_height: Height
    note: Text  # why it was suspended, if it was
    # None only for a genesis member whose genesis document states no identity (a test
    # network's); every member the agency admits or amends has one.
    identity: Identity | None
    review: Review | None  # None for genesis members: the genesis document admitted them
    key: Hash32  # the Ed25519 key it signs with now; its address until it changes
    key_since_height: Height  # when that key took over (0: since admission at genesis)


@dataclass(frozen=True)
class KeyEntry:
    """Whose key a key is or was (`mk/<key>`)."""

    address: Hash32
    retired_height: Height | None  # None while it is the member's current key


@dataclass(frozen=True)
class Admit:
    agency: Hash32
    member: Hash32  # the key being admitted: the member's address for good
    name: MemberName
    roles: Roles
    identity: Identity
    documents: Documents  # the sealed documents the agency reviewed, sorted


@dataclass(frozen=True)
class Suspend:
    agency: Hash32
    member: Hash32
    reason: Reason


@dataclass(frozen=True)
class Reinstate:
    agency: Hash32
    member: Hash32


@dataclass(frozen=True)
class Amend:
    """The agency changes a member's name, roles or identity on a new review."""

    agency: Hash32
    member: Hash32
    name: MemberName
    roles: Roles
    identity: Identity
    documents: Documents
    reason: Reason


@dataclass(frozen=True)
class RotateKey:
    """A member replaces its signing key; the member's current key and `new_key` sign."""

    member: Hash32
    new_key: Hash32


@dataclass(frozen=True)
class RecoverKey:
    """The agency gives a member that lost its key a new one, on a reviewed request;
    `new_key` co-signs to prove its holder has it."""

    agency: Hash32
    member: Hash32
    new_key: Hash32
    documents: Documents
    reason: Reason


def member_key(address: bytes) -> bytes:
    return b"m/" + address


def signing_key_key(key: bytes) -> bytes:
    return b"mk/" + key


def credit_code_key(code: str) -> bytes:
    return b"mc/" + code.encode()


def get_member(state: Reader, address: bytes) -> Member | None:
    return get_record(state, member_key(address), Member)


def key_entry(state: Reader, key: bytes) -> KeyEntry | None:
    """Whose key `key` is or was; None for a key no member ever had."""
    return get_record(state, signing_key_key(key), KeyEntry)


def holder_of_credit_code(state: Reader, code: str) -> bytes | None:
    """The member whose identity carries the unified social credit code `code`."""
    return state.get(credit_code_key(code))


def signing_key(state: Reader, address: bytes) -> bytes:
    """The key that signs for `address` now: the member's current key, or `address`
    itself for a key that is no member's (a key being admitted, a new key co-signing)."""
    member = get_member(state, address)
    return address if member is None else member.key


def owner_of_key(state: Reader, key: bytes) -> bytes:
    """The address of the member that holds or held `key`; `key` itself if none ever did.
    For who signed a transaction already on the ledger, whatever happened to the key since."""
    entry = key_entry(state, key)
    return key if entry is None else entry.address


def address_of_key(state: Reader, key: bytes) -> bytes:
    """The address `key` signs for now: its member's, or `key` itself if no member ever
    had it; `Rejected("membership.key_rotated")` for a member's former key."""
    entry = key_entry(state, key)
    if entry is None:
        return key
    if entry.retired_height is not None:
        raise key_rotated(key, entry)
    return entry.address


def key_rotated(key: bytes, entry: KeyEntry) -> Rejected:
    return Rejected(
        "membership.key_rotated",
        f"key {key.hex()[:16]}… of member {entry.address.hex()[:16]}… was replaced at height "
        f"{entry.retired_height} and signs nothing since: sign with the member's current key")


def check_signer_keys(state: Reader, required: Iterable[bytes], keys: Iterable[bytes]) -> None:
    """The signatures' keys are exactly the current keys of the `required` addresses
    (`signing_key`). A key that signed is verified already (contracts.ledger's stateless
    check); this is which keys count, and that is state: it changes when a key rotates.

    `membership.key_rotated` for a member's former key, `tx.unexpected_signature` for any
    other key not wanted, `tx.missing_signature` for a wanted key that did not sign."""
    wanted = {signing_key(state, address) for address in required}
    signed = set(keys)
    for key in sorted(signed - wanted):
        entry = key_entry(state, key)
        if entry is not None and entry.retired_height is not None:
            raise key_rotated(key, entry)
        raise Rejected("tx.unexpected_signature", f"not a required signer's key: {key.hex()}")
    missing = sorted(wanted - signed)
    if missing:
        raise Rejected("tx.missing_signature",
                       f"still to sign: {', '.join(k.hex() for k in missing)}")


def require_active(state: Reader, address: bytes, role: str | None = None) -> Member:
    """The active member at `address`, holding `role` if one is named; `Rejected` otherwise."""
    member = get_member(state, address)
    if member is None:
        raise Rejected("membership.not_member", f"{address.hex()} is not a member")
    require(
        member.status == "active",
        "membership.suspended",
        f"member {member.name} ({address.hex()[:16]}…) is suspended",
    )
    if role is not None:
        require(
            role in member.roles,
            "membership.missing_role",
            f"member {member.name} does not have the role {role}",
        )
    return member


def require_member(state: Reader, address: bytes) -> Member:
    """The member at `address`, active or suspended; `membership.not_member` otherwise."""
    member = get_member(state, address)
    if member is None:
        raise Rejected("membership.not_member", f"{address.hex()} is not a member")
    return member


def is_funder(member: Member) -> bool:
    """Whether `member` holds a funder's role (FUNDER_ROLES)."""
    return any(role in FUNDER_ROLES for role in member.roles)


def require_signers_active(state: Reader, signers: Iterable[bytes]) -> None:
    """Every signer that is a member is active; `membership.suspended` otherwise.

    A key that is not a member is left to the operation's own rules: admission is
    co-signed by the key being admitted, and every other operation requires its signers
    to be members where it needs them (`require_active`, `require_can_hold`). Reinstatement
    is signed by the agency alone, so a suspended member is reinstated without signing.
    """
    for address in sorted(signers):
        member = get_member(state, address)
        if member is not None:
            require(
                member.status == "active",
                "membership.suspended",
                f"member {member.name} ({address.hex()[:16]}…) is suspended and signs nothing",
            )


def check_roles(roles: tuple[str, ...]) -> None:
    require(
        list(roles) == sorted(set(roles)),
        "membership.bad_roles",
        "roles must be listed once each, in alphabetical order",
    )


def check_identity(identity: Identity) -> None:
    """Each field of `identity` well formed for its type of person; `Rejected` with the
    field's code (`membership.bad_<field>`) otherwise."""
    kind = identity.person_type
    require(len(kind) <= 32 and kind in PERSON_TYPES, "membership.bad_person_type",
            f"a member is one of {', '.join(PERSON_TYPES)}, not {kind!r}")
    if kind in ORGANISATION_TYPES:
        problem = legal_identity.credit_code_problem(identity.credit_code)
        require(problem is None, "membership.bad_credit_code", f"{problem}")
        require(identity.id_reference == b"", "membership.bad_id_reference",
                "an organisation is identified by its credit code, not an identity number")
        require(0 < len(identity.legal_representative.strip()) <= MAX_REPRESENTATIVE_CHARS and
                identity.legal_representative == identity.legal_representative.strip(),
                "membership.bad_legal_representative",
                "an organisation names its legal representative (法定代表人/负责人), "
                f"at most {MAX_REPRESENTATIVE_CHARS} characters, no surrounding spaces")
    else:
        require(identity.credit_code == "", "membership.bad_credit_code",
                "a natural person has no unified social credit code")
        require(len(identity.id_reference) == 32, "membership.bad_id_reference",
                "a natural person is identified by the 32-byte reference of its identity "
                "number (legal_identity.id_reference), never the number itself")
        require(identity.legal_representative == "", "membership.bad_legal_representative",
                "a natural person has no legal representative")
    require(0 < len(identity.contacts.strip()) <= MAX_CONTACTS_CHARS
            and identity.contacts.isprintable(),
            "membership.bad_contacts",
            f"contacts are one line of printable text, 1 to {MAX_CONTACTS_CHARS} characters")
    problem = legal_identity.industry_problem(identity.industry)
    require(problem is None, "membership.bad_industry", f"{problem}")
    problem = legal_identity.region_problem(identity.region)
    require(problem is None, "membership.bad_region", f"{problem}")


def check_documents(state: Reader, documents: tuple[bytes, ...], at_least: int = 0) -> None:
    """The review's documents: at least `at_least`, sorted, each once, each attached on the
    ledger (contracts.documents) so that the agency and the regulators can open it. An
    admission may name none: a review on site (现场审核, §001-二(二)) keeps its papers on
    file; a key's recovery names at least one (the member's request)."""
    from contracts.documents import get_attachment  # documents requires members: no circle

    require(len(documents) >= at_least and list(documents) == sorted(set(documents)),
            "membership.bad_documents",
            f"a review names the sealed documents it rests on (at least {at_least}), "
            "sorted, each once")
    for document in documents:
        require(get_attachment(state, document) is not None, "membership.unknown_document",
                f"no document {document.hex()} is attached: attach it first")


def role_key(role: str, address: bytes) -> bytes:
    return b"mr/" + role.encode() + b"/" + address


def write_member(state: Overlay, member: Member) -> None:
    """The member, and its indices: active members by role (`mr/<role>/<address>`), its
    keys (`mk/<key>`: a replaced key retired at `key_since_height`) and its credit code
    (`mc/<code>`)."""
    previous = get_member(state, member.address)
    put_record(state, member_key(member.address), member)
    for role in ROLES:
        if role in member.roles and member.status == "active":
            state.put(role_key(role, member.address), b"")
        elif previous is not None and role in previous.roles:
            state.delete(role_key(role, member.address))
    if previous is None or previous.key != member.key:
        entry = key_entry(state, member.key)
        assert entry is None, "a key belongs to one member, once"
        put_record(state, signing_key_key(member.key), KeyEntry(member.address, None))
        if previous is not None:
            put_record(state, signing_key_key(previous.key),
                       KeyEntry(member.address, member.key_since_height))
    old_code = credit_code_of(previous)
    new_code = credit_code_of(member)
    if old_code != new_code:
        if old_code:
            state.delete(credit_code_key(old_code))
        if new_code:
            state.put(credit_code_key(new_code), member.address)


def credit_code_of(member: Member | None) -> str:
    return "" if member is None or member.identity is None else member.identity.credit_code


def active_with_role(state: Reader, role: str) -> list[bytes]:
    """Addresses of the active members holding `role`, in ascending order."""
    prefix = b"mr/" + role.encode() + b"/"
    return [key[len(prefix):] for key, _ in state.scan(prefix)]


def members_page(state: Reader, after: bytes | None, limit: int, role: str | None = None
                 ) -> tuple[list[Member], bytes | None]:
    """Members by address after `after`: every member, or the active ones holding `role`."""
    prefix = member_key(b"") if role is None else role_key(role, b"")
    addresses, next_cursor = page_suffixes(state, prefix, after, limit)
    found = [get_member(state, address) for address in addresses]
    assert all(m is not None for m in found), "an indexed member is stored"
    return found, next_cursor  # type: ignore[return-value]


def genesis_member(address: bytes, name: str, roles: tuple[str, ...], time_ms: int,
                   identity: Identity | None) -> Member:
    """A member the genesis document admits."""
    check_roles(roles)
    if identity is not None:
        check_identity(identity)
    return Member(address, name, roles, "active", time_ms, 0, "", identity, None, address, 0)


def require_new_key(state: Reader, key: bytes) -> None:
    """`membership.key_taken` if `key` is, or was, any member's key (its address included)."""
    entry = key_entry(state, key)
    if entry is not None:
        was = "is" if entry.retired_height is None else "was"
        raise Rejected("membership.key_taken",
                       f"key {key.hex()[:16]}… {was} a key of member {entry.address.hex()[:16]}…"
                       ": a key belongs to one member, ever")


def require_credit_code_free(state: Reader, identity: Identity, address: bytes) -> None:
    if identity.credit_code:
        holder = holder_of_credit_code(state, identity.credit_code)
        require(holder is None or holder == address, "membership.credit_code_taken",
                f"credit code {identity.credit_code} is member {(holder or b'').hex()[:16]}…'s: "
                "an organisation is a member once")


def admit(ctx: Context, body: Admit) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(
        get_member(ctx.state, body.member) is None,
        "membership.already_member",
        f"{body.member.hex()} is already a member",
    )
    require_new_key(ctx.state, body.member)
    check_roles(body.roles)
    check_identity(body.identity)
    require_credit_code_free(ctx.state, body.identity, body.member)
    check_documents(ctx.state, body.documents)
    review = Review(body.agency, ctx.time_ms, ctx.height, body.documents, "")
    write_member(
        ctx.state,
        Member(body.member, body.name, body.roles, "active", ctx.time_ms, ctx.height, "",
               body.identity, review, body.member, ctx.height),
    )
    ctx.emit("member.admitted", body.member, body.member, body.agency)


def active_agencies(state: Reader) -> int:
    return len(active_with_role(state, "agency"))


def suspend(ctx: Context, body: Suspend) -> None:
    require_active(ctx.state, body.agency, "agency")
    member = require_active(ctx.state, body.member)
    if "agency" in member.roles:
        require(
            active_agencies(ctx.state) > 1,
            "membership.last_agency",
            "the last active agency member cannot be suspended",
        )
    write_member(ctx.state, replace(member, status="suspended", note=body.reason))
    ctx.emit("member.suspended", body.member, body.member, body.agency)


def reinstate(ctx: Context, body: Reinstate) -> None:
    require_active(ctx.state, body.agency, "agency")
    member = require_member(ctx.state, body.member)
    require(member.status == "suspended", "membership.not_suspended", "member is not suspended")
    write_member(ctx.state, replace(member, status="active", note=""))
    ctx.emit("member.reinstated", body.member, body.member, body.agency)


def amend(ctx: Context, body: Amend) -> None:
    require_active(ctx.state, body.agency, "agency")
    member = require_member(ctx.state, body.member)
    check_roles(body.roles)
    if "agency" in member.roles and "agency" not in body.roles and member.status == "active":
        require(active_agencies(ctx.state) > 1, "membership.last_agency",
                "the last active agency member keeps the agency role")
    check_identity(body.identity)
    require_credit_code_free(ctx.state, body.identity, body.member)
    check_documents(ctx.state, body.documents)
    review = Review(body.agency, ctx.time_ms, ctx.height, body.documents, body.reason)
    write_member(ctx.state, replace(member, name=body.name, roles=body.roles,
                                    identity=body.identity, review=review))
    ctx.emit("member.amended", body.member, body.member, body.agency)


def rotate_key(ctx: Context, body: RotateKey) -> None:
    # Both keys signed (contracts.ledger): the member's current one, and the new one,
    # which proves its holder has it, so nobody rotates to a key it cannot use.
    member = require_active(ctx.state, body.member)
    require(body.new_key != member.key, "membership.same_key",
            "the new key is the member's key already")
    require_new_key(ctx.state, body.new_key)
    write_member(ctx.state, replace(member, key=body.new_key, key_since_height=ctx.height))
    ctx.emit("member.key_rotated", body.member, body.member)


def recover_key(ctx: Context, body: RecoverKey) -> None:
    # Recovering a lost key is the agency's power (threat model: the agency can rebind
    # any member's identity to a key of its choosing; the review documents and the
    # event to the member make it answerable).
    require_active(ctx.state, body.agency, "agency")
    member = require_member(ctx.state, body.member)
    require(body.new_key != member.key, "membership.same_key",
            "the new key is the member's key already")
    require_new_key(ctx.state, body.new_key)
    check_documents(ctx.state, body.documents, at_least=1)
    review = Review(body.agency, ctx.time_ms, ctx.height, body.documents, body.reason)
    write_member(ctx.state, replace(member, key=body.new_key, key_since_height=ctx.height,
                                    review=review))
    ctx.emit("member.key_recovered", body.member, body.member, body.agency)


# ------------------------------------------------------------------ who may read


def may_read_member(state: Reader, caller: Caller, member: Member) -> bool:
    """The member directory (names, roles, type of person, credit code, industry,
    region, keys) is open to every member: whom one deals with, and in which roles, is
    what a member needs to know to transact at all."""
    return caller.member


def may_read_member_private(state: Reader, caller: Caller, member: Member) -> bool:
    """A member's contacts, legal representative, identity reference and review
    documents are personal data (个人信息): the member itself reads them, and the agency
    and the regulators who review and supervise members; other members do not."""
    return caller.oversees or caller.one_of(member.address)


# What of a member's record only may_read_member_private's readers see.
PRIVATE_IDENTITY_FIELDS = ("legal_representative", "contacts", "id_reference")
PRIVATE_REVIEW_FIELDS = ("documents",)


def directory_entry(member: Member) -> Member:
    """`member` as every member reads it: the private fields (PRIVATE_IDENTITY_FIELDS,
    PRIVATE_REVIEW_FIELDS) emptied."""
    identity = None if member.identity is None else replace(
        member.identity, legal_representative="", contacts="", id_reference=b"")
    review = None if member.review is None else replace(member.review, documents=())
    return replace(member, identity=identity, review=review)


READS = (
    Read("member", ("member",), may_read_member),
    Read("member_private", ("self", "agency", "regulator"), may_read_member_private,
         not_readers=("member",)),
)


OPERATIONS = (
    Operation("admit", Admit, lambda b: (b.agency, b.member), admit),
    Operation("suspend", Suspend, lambda b: (b.agency,), suspend),
    Operation("reinstate", Reinstate, lambda b: (b.agency,), reinstate),
    Operation("amend", Amend, lambda b: (b.agency,), amend),
    Operation("rotate_key", RotateKey, lambda b: (b.member, b.new_key), rotate_key),
    Operation("recover_key", RecoverKey, lambda b: (b.agency, b.new_key), recover_key),
)
