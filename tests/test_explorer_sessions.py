"""The explorer's one-time sign-in links and the sessions they open (node/sessions.py)."""

from __future__ import annotations

import pytest

from node.http.sessions import ExplorerSessions, SessionError, SessionLimits

AGENCY = b"\x01" * 32
REGULATOR = b"\x02" * 32


def test_a_link_opens_one_session_for_its_member() -> None:
    sessions = ExplorerSessions()
    token = sessions.issue_link(REGULATOR, now_ms=1_000)
    session_id, member = sessions.redeem(token, now_ms=2_000)
    assert member == REGULATOR
    assert sessions.member_of(session_id, now_ms=3_000) == REGULATOR


def test_a_link_is_spent_by_its_first_use() -> None:
    sessions = ExplorerSessions()
    token = sessions.issue_link(AGENCY, now_ms=0)
    sessions.redeem(token, now_ms=1)
    with pytest.raises(SessionError) as refused:
        sessions.redeem(token, now_ms=2)
    assert refused.value.code == "session.bad_link"


def test_an_expired_or_unknown_link_is_refused() -> None:
    sessions = ExplorerSessions(SessionLimits(link_ttl_ms=60_000))
    token = sessions.issue_link(AGENCY, now_ms=0)
    with pytest.raises(SessionError) as late:
        sessions.redeem(token, now_ms=60_000)
    assert late.value.code == "session.bad_link"
    with pytest.raises(SessionError) as unknown:
        sessions.redeem("not-a-token", now_ms=0)
    assert unknown.value.code == "session.bad_link"


def test_a_session_ends_when_idle_when_old_and_on_sign_out() -> None:
    sessions = ExplorerSessions(SessionLimits(session_ttl_ms=10_000, idle_ms=3_000))
    idle_id, _ = sessions.redeem(sessions.issue_link(AGENCY, 0), 0)
    assert sessions.member_of(idle_id, 2_999) == AGENCY  # a request keeps it alive
    assert sessions.member_of(idle_id, 5_998) == AGENCY
    assert sessions.member_of(idle_id, 8_998) is None  # 3 s without a request
    old_id, _ = sessions.redeem(sessions.issue_link(AGENCY, 0), 0)
    for now in range(2_000, 10_000, 2_000):
        assert sessions.member_of(old_id, now) == AGENCY
    assert sessions.member_of(old_id, 10_000) is None  # however busy, it ends
    out_id, _ = sessions.redeem(sessions.issue_link(AGENCY, 0), 0)
    sessions.end(out_id)
    assert sessions.member_of(out_id, 1) is None


def test_a_members_sessions_all_end_when_its_role_goes() -> None:
    sessions = ExplorerSessions()
    ids = [sessions.redeem(sessions.issue_link(REGULATOR, 0), 0)[0] for _ in range(3)]
    other, _ = sessions.redeem(sessions.issue_link(AGENCY, 0), 0)
    assert sessions.end_member(REGULATOR) == 3
    assert all(sessions.member_of(i, 1) is None for i in ids)
    assert sessions.member_of(other, 1) == AGENCY


def test_full_tables_refuse_new_links_but_forget_no_live_one() -> None:
    sessions = ExplorerSessions(SessionLimits(max_links=2, max_sessions=1, link_ttl_ms=100))
    first = sessions.issue_link(AGENCY, 0)
    sessions.issue_link(AGENCY, 0)
    with pytest.raises(SessionError) as busy:
        sessions.issue_link(AGENCY, 50)
    assert busy.value.code == "session.busy"
    session_id, _ = sessions.redeem(first, 50)  # the live link still opens
    sessions.issue_link(AGENCY, 200)  # expired links are swept when the table is full
    with pytest.raises(SessionError) as full:
        sessions.redeem(sessions.issue_link(AGENCY, 200), 200)
    assert full.value.code == "session.busy"
    assert sessions.member_of(session_id, 200) == AGENCY


def test_tokens_and_session_ids_are_distinct_secrets() -> None:
    sessions = ExplorerSessions()
    token = sessions.issue_link(AGENCY, 0)
    assert sessions.member_of(token, 1) is None  # a token is no session id
    session_id, _ = sessions.redeem(token, 1)
    with pytest.raises(SessionError):
        sessions.redeem(session_id, 2)  # nor a session id a token
    assert len(token) >= 43 and len(session_id) >= 43  # 32 random bytes each
