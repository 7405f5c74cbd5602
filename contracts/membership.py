"""Membership (会员注册, §001-二): the agency admits members with roles and can suspend them.

Only active members may sign transactions, hold or receive vouchers. A suspended member
signs nothing: `require_signers_active` is that rule, run once for every transaction
before its operation (contracts.ledger.apply_transaction), so no operation can forget
it. Genesis members come from network.toml.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

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


@dataclass(frozen=True)
class Member:
    address: Hash32
    name: MemberName
    roles: Roles
    status: Status
    admitted_at_ms: TimeMs
    admitted_height: Height
    note: Text  # why it was suspended, if it was


@dataclass(frozen=True)
class Admit:
    agency: Hash32
    member: Hash32
    name: MemberName
    roles: Roles


@dataclass(frozen=True)
class Suspend:
    agency: Hash32
    member: Hash32
    reason: Annotated[str, Size(1, 512)]


@dataclass(frozen=True)
class Reinstate:
    agency: Hash32
    member: Hash32


def member_key(address: bytes) -> bytes:
    return b"m/" + address


def get_member(state: Reader, address: bytes) -> Member | None:
    return get_record(state, member_key(address), Member)


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


def role_key(role: str, address: bytes) -> bytes:
    return b"mr/" + role.encode() + b"/" + address


def write_member(state: Overlay, member: Member) -> None:
    """The member, and the index of active members by role (`mr/<role>/<address>`)."""
    put_record(state, member_key(member.address), member)
    for role in member.roles:
        if member.status == "active":
            state.put(role_key(role, member.address), b"")
        else:
            state.delete(role_key(role, member.address))


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


def admit(ctx: Context, body: Admit) -> None:
    require_active(ctx.state, body.agency, "agency")
    require(
        get_member(ctx.state, body.member) is None,
        "membership.already_member",
        f"{body.member.hex()} is already a member",
    )
    check_roles(body.roles)
    write_member(
        ctx.state,
        Member(body.member, body.name, body.roles, "active", ctx.time_ms, ctx.height, ""),
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
    write_member(
        ctx.state,
        Member(
            member.address, member.name, member.roles, "suspended",
            member.admitted_at_ms, member.admitted_height, body.reason,
        ),
    )
    ctx.emit("member.suspended", body.member, body.member, body.agency)


def reinstate(ctx: Context, body: Reinstate) -> None:
    require_active(ctx.state, body.agency, "agency")
    member = get_member(ctx.state, body.member)
    if member is None:
        raise Rejected("membership.not_member", f"{body.member.hex()} is not a member")
    require(member.status == "suspended", "membership.not_suspended", "member is not suspended")
    write_member(
        ctx.state,
        Member(
            member.address, member.name, member.roles, "active",
            member.admitted_at_ms, member.admitted_height, "",
        ),
    )
    ctx.emit("member.reinstated", body.member, body.member, body.agency)


# ------------------------------------------------------------------ who may read


def may_read_member(state: Reader, caller: Caller, member: Member) -> bool:
    """The member directory is open to every member: whom one deals with, and in which
    roles, is what a member needs to know to transact at all."""
    return caller.member


READS = (Read("member", ("member",), may_read_member),)


OPERATIONS = (
    Operation("admit", Admit, lambda b: (b.agency, b.member), admit),
    Operation("suspend", Suspend, lambda b: (b.agency,), suspend),
    Operation("reinstate", Reinstate, lambda b: (b.agency,), reinstate),
)
