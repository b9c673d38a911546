"""The user store: a real SQLite file, only hashes of secrets, rotation in one transaction."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from penworks.auth import Action, ApiTokenInfo, Role, UserExists, UserStore
from penworks.auth.store import Rotation
from penworks.core import StoreError
from tests.unit.auth.support import T0

LATER = T0 + timedelta(days=30)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[UserStore]:
    opened = UserStore(tmp_path / "auth.db")
    await opened.open()
    yield opened
    await opened.close()


async def _user(store: UserStore, name: str = "alice") -> int:
    user = await store.add_user(name, "", "hash", Role.OPERATOR, None, T0)
    assert user is not None
    return user.id


async def test_the_file_is_private(store: UserStore) -> None:
    await _user(store)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


async def test_usernames_are_unique_whatever_their_case(store: UserStore) -> None:
    await _user(store, "alice")
    with pytest.raises(UserExists, match="ALICE.*taken"):
        await store.add_user("ALICE", "", "hash", Role.VIEWER, None, T0)
    found = await store.login("Alice")
    assert found is not None
    assert found[0].role is Role.OPERATOR
    assert found[1] == "hash"


async def test_only_if_none_adds_only_the_first_user(store: UserStore) -> None:
    first = await store.add_user("root", "", "h", Role.ADMIN, None, T0, only_if_none=True)
    assert first is not None
    assert await store.add_user("two", "", "h", Role.ADMIN, None, T0, only_if_none=True) is None
    assert await store.count_users() == 1


async def test_a_deleted_users_id_is_never_given_again(store: UserStore) -> None:
    first = await _user(store, "alice")
    assert await store.delete_user(first)
    assert not await store.delete_user(first)
    assert await _user(store, "bob") != first


async def test_deleting_a_user_deletes_its_sessions_and_tokens(store: UserStore) -> None:
    user = await _user(store)
    await store.add_session("ses_1", user, "r1", T0, LATER)
    token = ApiTokenInfo("tok_1", user, "ci", frozenset({Action.READ}), T0, LATER)
    await store.add_api_token(token, "t1")
    await store.delete_user(user)
    assert await store.live_sessions(T0) == []
    assert await store.api_tokens() == []
    assert (await store.use_refresh("r1", "r2", T0, LATER)).outcome is Rotation.UNKNOWN


async def test_a_refresh_token_rotates_once_and_a_reuse_ends_the_session(
    store: UserStore,
) -> None:
    user = await _user(store)
    await store.add_session("ses_1", user, "r1", T0, LATER)
    used = await store.use_refresh("r1", "r2", T0, LATER + timedelta(hours=1))
    assert (used.outcome, used.session, used.user_id) == (Rotation.ROTATED, "ses_1", user)
    assert (await store.live_sessions(T0))[0].expires == LATER + timedelta(hours=1)
    again = await store.use_refresh("r1", "r3", T0, LATER)
    assert again.outcome is Rotation.REUSED
    assert await store.live_sessions(T0) == []
    assert (await store.use_refresh("r2", "r4", T0, LATER)).outcome is Rotation.REVOKED


async def test_an_expired_refresh_token_does_not_rotate(store: UserStore) -> None:
    user = await _user(store)
    await store.add_session("ses_1", user, "r1", T0, T0 + timedelta(days=1))
    late = T0 + timedelta(days=1)
    assert (await store.use_refresh("r1", "r2", late, LATER)).outcome is Rotation.EXPIRED
    assert await store.live_sessions(late) == []


async def test_revoking_by_user_keeps_the_session_asked_for(store: UserStore) -> None:
    user = await _user(store)
    for n in range(3):
        await store.add_session(f"ses_{n}", user, f"r{n}", T0, LATER)
    ended = await store.revoke_sessions(T0, user_id=user, keep="ses_1")
    assert sorted(s.id for s in ended) == ["ses_0", "ses_2"]
    assert [s.id for s in await store.live_sessions(T0)] == ["ses_1"]
    assert await store.revoke_sessions(T0, user_id=user, keep="ses_1") == []


async def test_api_tokens_keep_scopes_expiry_and_last_use(store: UserStore) -> None:
    user = await _user(store)
    token = ApiTokenInfo("tok_1", user, "ci", frozenset({Action.READ, Action.COMMAND}), T0, LATER)
    await store.add_api_token(token, "hash1")
    await store.touch_api_token("tok_1", T0 + timedelta(hours=2))
    await store.touch_api_token("tok_1", T0 + timedelta(hours=1))  # never goes back
    stored = await store.api_token("tok_1")
    assert stored is not None
    assert stored.scopes == token.scopes
    assert stored.last_used == T0 + timedelta(hours=2)
    assert [h for h, _ in await store.live_api_tokens(T0)] == ["hash1"]
    assert await store.live_api_tokens(LATER) == []
    revoked = await store.revoke_api_tokens(T0, token_id="tok_1")
    assert [t.id for t in revoked] == ["tok_1"]
    assert await store.live_api_tokens(T0) == []


async def test_prune_forgets_what_ended_before(store: UserStore) -> None:
    user = await _user(store)
    await store.add_session("old", user, "r1", T0, T0 + timedelta(days=1))
    await store.add_session("live", user, "r2", T0, LATER)
    assert await store.prune(T0 + timedelta(days=2)) == 1
    assert (await store.use_refresh("r1", "x", T0, LATER)).outcome is Rotation.UNKNOWN


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not open"):
        await UserStore(tmp_path / "auth.db").users()


async def test_an_unwritable_place_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="user store"):
        await UserStore(blocker / "auth.db").open()
