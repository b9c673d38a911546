"""Revocations and who they end."""

from __future__ import annotations

from penworks.auth import Principal, Revocation, Role
from penworks.auth.revocation import RevocationFeed

ALICE = Principal(1, "alice", Role.OPERATOR, None, "ses_a")
ALICE_TOKEN = Principal(1, "alice", Role.OPERATOR, None, "tok_a", frozenset())
BOB = Principal(2, "bob", Role.OPERATOR, None, "ses_b")


def test_a_revocation_ends_only_its_sessions_of_its_user() -> None:
    one = Revocation(1, frozenset({"ses_a"}))
    assert one.ends(ALICE)
    assert not one.ends(ALICE_TOKEN)
    assert not one.ends(BOB)
    assert not Revocation(2, frozenset({"ses_a"})).ends(ALICE)  # a session id of another user


def test_a_whole_user_revocation_ends_every_session_of_the_user() -> None:
    everything = Revocation(1, whole_user=True, reason="user disabled")
    assert everything.ends(ALICE)
    assert everything.ends(ALICE_TOKEN)
    assert not everything.ends(BOB)


def test_every_listener_hears_every_revocation_until_it_stops() -> None:
    feed = RevocationFeed()
    first, second = feed.listen(), feed.listen()
    revocation = Revocation(1, whole_user=True)
    feed.publish(revocation)
    assert first.get_nowait() == second.get_nowait() == revocation
    feed.unlisten(first)
    feed.publish(revocation)
    assert first.empty()
    assert second.get_nowait() == revocation
    assert feed.listeners == 1
