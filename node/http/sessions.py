"""The explorer's sign-in: one-time links and the browser sessions they open.

Only the agency and regulators open the explorer. A browser holds no member key, so the
member asks its wallet (`claimledger-wallet explorer`), which sends a signed request for
a link; the node answers with a one-time token, good for LINK_TTL_MS and bound to that
member. Opening the link spends the token and sets a session cookie (HttpOnly,
SameSite=Strict, Secure over TLS) naming a session bound to the same member; the page's
own requests then carry the cookie instead of a signature. A session ends after
SESSION_TTL_MS, or IDLE_MS without a request, or when the node restarts (nothing of it is
written anywhere). A session only reads: the node accepts the cookie on GET and HEAD
alone, so a forged cross-site form could change nothing even where SameSite fails.

Tokens and session ids are 32 random bytes; the tables key them by their sha256, so the
comparison that finds one is a dictionary look-up on a hash, not a comparison of secrets.
Both tables are bounded: when full of live entries, a new link is refused
(`session.busy`) rather than an old one forgotten early.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from hashlib import sha256

from aiohttp import web

from contracts.errors import LedgerError

LINK_TTL_MS = 60_000
SESSION_TTL_MS = 8 * 3600_000
IDLE_MS = 30 * 60_000
MAX_LINKS = 256
MAX_SESSIONS = 1024
COOKIE = "claimledger_session"
SESSION_METHODS = frozenset({"GET", "HEAD"})  # a session reads; it never writes


class SessionError(LedgerError):
    """A sign-in link or session that cannot be used; `code` says why."""


@dataclass
class _Session:
    member: bytes
    expires_ms: int
    seen_ms: int


@dataclass(frozen=True)
class SessionLimits:
    link_ttl_ms: int = LINK_TTL_MS
    session_ttl_ms: int = SESSION_TTL_MS
    idle_ms: int = IDLE_MS
    max_links: int = MAX_LINKS
    max_sessions: int = MAX_SESSIONS


def _key(secret: str) -> bytes:
    return sha256(secret.encode("ascii", "replace")).digest()


class ExplorerSessions:
    """Links waiting to be opened and sessions open, in memory only. Time is the node's
    wall clock in milliseconds, passed in (sessions are not part of the ledger)."""

    def __init__(self, limits: SessionLimits = SessionLimits()) -> None:
        self.limits = limits
        self._links: dict[bytes, tuple[bytes, int]] = {}  # sha256(token) -> (member, expiry)
        self._sessions: dict[bytes, _Session] = {}  # sha256(session id) -> session

    def issue_link(self, member: bytes, now_ms: int) -> str:
        """A one-time token for `member` (who must already be known to be the agency or a
        regulator), good for the link's time to live."""
        if len(self._links) >= self.limits.max_links:
            self._drop_expired_links(now_ms)
        if len(self._links) >= self.limits.max_links:
            raise SessionError("session.busy", "too many sign-in links wait to be opened; "
                               "try again in a minute")
        token = secrets.token_urlsafe(32)
        self._links[_key(token)] = (member, now_ms + self.limits.link_ttl_ms)
        return token

    def redeem(self, token: str, now_ms: int) -> tuple[str, bytes]:
        """Spend a link's token: (a new session id, its member). A token opens at most one
        session; unknown, spent and expired tokens are refused alike."""
        link = self._links.pop(_key(token), None)
        if link is None or link[1] <= now_ms:
            raise SessionError("session.bad_link", "this sign-in link is unknown, used or "
                               "expired: ask the wallet for a new one "
                               "(claimledger-wallet explorer)")
        if len(self._sessions) >= self.limits.max_sessions:
            self._drop_expired_sessions(now_ms)
        if len(self._sessions) >= self.limits.max_sessions:
            raise SessionError("session.busy", "too many explorer sessions are open")
        session_id = secrets.token_urlsafe(32)
        self._sessions[_key(session_id)] = _Session(
            link[0], now_ms + self.limits.session_ttl_ms, now_ms)
        return session_id, link[0]

    def member_of(self, session_id: str, now_ms: int) -> bytes | None:
        """The member a live session belongs to (and the session kept alive), else None."""
        key = _key(session_id)
        session = self._sessions.get(key)
        if session is None:
            return None
        if session.expires_ms <= now_ms or now_ms - session.seen_ms >= self.limits.idle_ms:
            del self._sessions[key]
            return None
        session.seen_ms = now_ms
        return session.member

    def end(self, session_id: str) -> None:
        """Sign out: the session is forgotten."""
        self._sessions.pop(_key(session_id), None)

    def end_member(self, member: bytes) -> int:
        """Every session of `member` ends (its role was taken away); how many there were."""
        ended = [k for k, s in self._sessions.items() if s.member == member]
        for key in ended:
            del self._sessions[key]
        return len(ended)

    def open_sessions(self) -> int:
        return len(self._sessions)

    # Expired entries are swept only when a table is full: a sweep costs one pass over a
    # bounded table, and only the agency's or a regulator's own requests fill them.
    def _drop_expired_links(self, now_ms: int) -> None:
        for key in [k for k, (_, expiry) in self._links.items() if expiry <= now_ms]:
            del self._links[key]

    def _drop_expired_sessions(self, now_ms: int) -> None:
        idle = self.limits.idle_ms
        for key in [k for k, s in self._sessions.items()
                    if s.expires_ms <= now_ms or now_ms - s.seen_ms >= idle]:
            del self._sessions[key]


SESSIONS = web.AppKey("explorer_sessions", ExplorerSessions)
