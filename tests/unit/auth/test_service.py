"""AuthService: sign-in, sessions, refresh rotation, revocation at once, users, setup."""

from __future__ import annotations

import asyncio
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from penworks.auth import (
    Action,
    AuthError,
    AuthService,
    InvalidUser,
    Passwords,
    Revocation,
    Role,
    TooManyAttempts,
    UnknownUser,
    UserExists,
    UserRefused,
    WeakPassword,
)
from penworks.auth.service import BAD_SIGN_IN
from tests.unit.auth.support import (
    FAST,
    GOOD_PASSWORD,
    OTHER_PASSWORD,
    ManualClock,
    make_service,
)


async def _admin(service: AuthService, name: str = "root") -> int:
    return (await service.create_user(name, GOOD_PASSWORD, Role.ADMIN)).id


def year_on(clock: ManualClock) -> datetime:
    return clock.now() + timedelta(days=365)


def _drain(queue: asyncio.Queue[Revocation]) -> list[Revocation]:
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found


# Signing in


async def test_a_user_signs_in_and_its_access_token_names_it(service: AuthService) -> None:
    await service.create_user("Alice", GOOD_PASSWORD, Role.TENANT_USER, "acme", "Alice A.")
    pair = await service.sign_in("ALICE", GOOD_PASSWORD)
    assert pair.expires_in == 15 * 60
    principal = await service.principal(pair.access_token)
    assert (principal.username, principal.role, principal.tenant) == (
        "alice",
        Role.TENANT_USER,
        "acme",
    )
    assert principal.session == pair.session
    assert principal.scopes is None


async def test_unknown_user_wrong_password_and_disabled_user_get_one_answer(
    service: AuthService,
) -> None:
    await _admin(service)
    user = await service.create_user("bob", GOOD_PASSWORD, Role.VIEWER)
    await service.update_user(user.id, disabled=True)
    for name, password in [
        ("nobody", GOOD_PASSWORD),
        ("bob", OTHER_PASSWORD),
        ("bob", GOOD_PASSWORD),
    ]:
        with pytest.raises(AuthError) as caught:
            await service.authenticate(name, password)
        assert str(caught.value) == BAD_SIGN_IN


async def test_repeated_failures_lock_the_username_even_for_the_right_password(
    service: AuthService, clock: ManualClock
) -> None:
    await _admin(service)
    for _ in range(5):
        with pytest.raises(AuthError, match=BAD_SIGN_IN):
            await service.authenticate("root", "wrong-password-1", client="10.0.0.9")
    with pytest.raises(TooManyAttempts) as caught:
        await service.authenticate("root", GOOD_PASSWORD, client="10.0.0.7")
    assert 0 < caught.value.retry_after_s <= 15 * 60
    clock.advance(15 * 60)
    await service.authenticate("root", GOOD_PASSWORD)


async def test_an_access_token_expires_after_fifteen_minutes(
    service: AuthService, clock: ManualClock
) -> None:
    await _admin(service)
    pair = await service.sign_in("root", GOOD_PASSWORD)
    clock.advance(15 * 60 - 1)
    await service.principal(pair.access_token)
    clock.advance(1)
    with pytest.raises(AuthError, match="expired"):
        await service.principal(pair.access_token)


async def test_a_stronger_hasher_rehashes_at_the_next_sign_in(db: Path, clock: ManualClock) -> None:
    weak = make_service(db, clock)
    await weak.open()
    user = await _admin(weak)
    old = await weak.store.password_hash(user)
    await weak.close()
    strong = make_service(db, clock, passwords=Passwords(time_cost=2, memory_kib=16, lanes=1))
    await strong.open()
    await strong.authenticate("root", GOOD_PASSWORD)
    new = await strong.store.password_hash(user)
    await strong.close()
    assert new != old
    assert new is not None
    assert "t=2" in new


# Refresh rotation


async def test_refresh_rotates_and_reuse_ends_the_whole_session(
    service: AuthService, clock: ManualClock
) -> None:
    await _admin(service)
    first = await service.sign_in("root", GOOD_PASSWORD)
    clock.advance(600)
    second = await service.refresh(first.refresh_token)
    assert second.session == first.session
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    await service.principal(second.access_token)
    queue = service.listen_revocations()
    # The old refresh token again: whoever presents it, the session ends for everyone.
    with pytest.raises(AuthError, match="used already"):
        await service.refresh(first.refresh_token)
    for token in (first.access_token, second.access_token):
        with pytest.raises(AuthError, match="session has ended"):
            await service.principal(token)
    with pytest.raises(AuthError):
        await service.refresh(second.refresh_token)
    assert [r.sessions for r in _drain(queue)] == [frozenset({first.session})]


async def test_a_refresh_token_expires_after_thirty_days(
    service: AuthService, clock: ManualClock
) -> None:
    await _admin(service)
    pair = await service.sign_in("root", GOOD_PASSWORD)
    clock.advance(30 * 86400)
    with pytest.raises(AuthError, match="invalid, expired or revoked"):
        await service.refresh(pair.refresh_token)


async def test_refresh_refuses_garbage(service: AuthService) -> None:
    for token in ("", "nope", "x" * 10_000):
        with pytest.raises(AuthError):
            await service.refresh(token)


async def test_logout_ends_the_session_at_once(service: AuthService) -> None:
    await _admin(service)
    pair = await service.sign_in("root", GOOD_PASSWORD)
    other = await service.sign_in("root", GOOD_PASSWORD)
    await service.logout(pair.refresh_token)
    with pytest.raises(AuthError, match="session has ended"):
        await service.principal(pair.access_token)
    with pytest.raises(AuthError):
        await service.refresh(pair.refresh_token)
    await service.principal(other.access_token)  # another session lives on
    await service.logout("unknown")  # no error


# Revocation


async def test_disabling_a_user_ends_its_sessions_and_tokens_at_once(
    service: AuthService, clock: ManualClock
) -> None:
    await _admin(service)
    bob = await service.create_user("bob", GOOD_PASSWORD, Role.OPERATOR)
    pair = await service.sign_in("bob", GOOD_PASSWORD)
    api, _ = await service.create_api_token(bob.id, "ci", {Action.READ}, year_on(clock))
    principal = await service.principal(pair.access_token)
    queue = service.listen_revocations()
    await service.update_user(bob.id, disabled=True)
    for token in (pair.access_token, api):
        with pytest.raises(AuthError):
            await service.principal(token)
    assert not service.still_valid(principal)
    (revocation,) = _drain(queue)
    assert revocation.whole_user
    assert revocation.ends(principal)
    # Enabled again, it signs in anew; the old session stays dead.
    await service.update_user(bob.id, disabled=False)
    await service.sign_in("bob", GOOD_PASSWORD)
    with pytest.raises(AuthError):
        await service.refresh(pair.refresh_token)


async def test_a_deleted_user_is_refused_at_once(service: AuthService) -> None:
    await _admin(service)
    bob = await service.create_user("bob", GOOD_PASSWORD, Role.VIEWER)
    pair = await service.sign_in("bob", GOOD_PASSWORD)
    await service.delete_user(bob.id)
    with pytest.raises(AuthError):
        await service.principal(pair.access_token)
    with pytest.raises(UnknownUser):
        await service.get_user(bob.id)
    again = await service.create_user("bob", GOOD_PASSWORD, Role.VIEWER)
    assert again.id != bob.id  # the old token names the old id, never the new bob


async def test_revoke_user_signs_out_everywhere(service: AuthService, clock: ManualClock) -> None:
    await _admin(service)
    bob = await service.create_user("bob", GOOD_PASSWORD, Role.OPERATOR)
    pairs = [await service.sign_in("bob", GOOD_PASSWORD) for _ in range(2)]
    api, info = await service.create_api_token(bob.id, "ci", {Action.READ}, year_on(clock))
    queue = service.listen_revocations()
    await service.revoke_user(bob.id)
    for token in (pairs[0].access_token, pairs[1].access_token, api):
        with pytest.raises(AuthError):
            await service.principal(token)
    (revocation,) = _drain(queue)
    assert revocation.sessions == {pairs[0].session, pairs[1].session, info.id}
    await service.sign_in("bob", GOOD_PASSWORD)  # not disabled


async def test_a_new_role_applies_to_the_next_request_and_closes_live_connections(
    service: AuthService,
) -> None:
    await _admin(service)
    bob = await service.create_user("bob", GOOD_PASSWORD, Role.TENANT_USER, "acme")
    pair = await service.sign_in("bob", GOOD_PASSWORD)
    before = await service.principal(pair.access_token)
    queue = service.listen_revocations()
    await service.update_user(bob.id, role=Role.TENANT_ADMIN)
    after = await service.principal(pair.access_token)
    assert (after.role, after.tenant) == (Role.TENANT_ADMIN, "acme")
    assert not service.still_valid(before)
    assert service.still_valid(after)
    assert [r.whole_user for r in _drain(queue)] == [True]
    service.unlisten(queue)
    await service.update_user(bob.id, role=Role.VIEWER)  # park-wide: the tenant goes
    assert (await service.get_user(bob.id)).tenant is None
    assert queue.empty()


async def test_the_last_administrator_cannot_be_removed(service: AuthService) -> None:
    root = await _admin(service)
    with pytest.raises(UserRefused, match="last enabled administrator"):
        await service.delete_user(root)
    with pytest.raises(UserRefused):
        await service.update_user(root, disabled=True)
    with pytest.raises(UserRefused):
        await service.update_user(root, role=Role.OPERATOR)
    other = await _admin(service, "second")
    await service.update_user(root, role=Role.OPERATOR)
    with pytest.raises(UserRefused):
        await service.delete_user(other)


async def test_an_admin_password_reset_ends_the_users_sessions(service: AuthService) -> None:
    await _admin(service)
    bob = await service.create_user("bob", GOOD_PASSWORD, Role.VIEWER)
    pair = await service.sign_in("bob", GOOD_PASSWORD)
    await service.update_user(bob.id, password=OTHER_PASSWORD)
    with pytest.raises(AuthError):
        await service.principal(pair.access_token)
    with pytest.raises(AuthError):
        await service.authenticate("bob", GOOD_PASSWORD)
    await service.authenticate("bob", OTHER_PASSWORD)


async def test_changing_ones_password_needs_the_current_and_ends_other_sessions(
    service: AuthService,
) -> None:
    await _admin(service)
    mine = await service.sign_in("root", GOOD_PASSWORD)
    other = await service.sign_in("root", GOOD_PASSWORD)
    principal = await service.principal(mine.access_token)
    with pytest.raises(AuthError, match="current password"):
        await service.change_password(principal, "not-it-at-all", OTHER_PASSWORD)
    with pytest.raises(WeakPassword):
        await service.change_password(principal, GOOD_PASSWORD, "short")
    await service.change_password(principal, GOOD_PASSWORD, OTHER_PASSWORD)
    await service.principal(mine.access_token)
    with pytest.raises(AuthError):
        await service.principal(other.access_token)
    await service.authenticate("root", OTHER_PASSWORD)


# State across restarts and processes


async def test_revocations_survive_a_restart(db: Path, clock: ManualClock) -> None:
    first = make_service(db, clock)
    await first.open()
    await _admin(first)
    kept = await first.sign_in("root", GOOD_PASSWORD)
    ended = await first.sign_in("root", GOOD_PASSWORD)
    await first.logout(ended.refresh_token)
    await first.close()
    second = make_service(db, clock)
    await second.open()
    try:
        await second.principal(kept.access_token)
        with pytest.raises(AuthError):
            await second.principal(ended.access_token)
    finally:
        await second.close()


async def test_a_change_by_another_process_is_seen_at_the_next_sync(
    db: Path, clock: ManualClock, service: AuthService
) -> None:
    await _admin(service)
    bob = await service.create_user("bob", GOOD_PASSWORD, Role.VIEWER)
    pair = await service.sign_in("bob", GOOD_PASSWORD)
    queue = service.listen_revocations()
    cli = make_service(db, clock)  # as `penworks user disable bob` would
    await cli.open()
    await cli.update_user(bob.id, disabled=True)
    await cli.close()
    await service.sync()
    with pytest.raises(AuthError):
        await service.principal(pair.access_token)
    assert [r.user_id for r in _drain(queue)] == [bob.id]


async def test_the_watcher_syncs_on_its_own(db: Path) -> None:
    from penworks.core import RealClock

    service = make_service(db, RealClock(), watch_s=0.01)  # type: ignore[arg-type]
    await service.open()
    try:
        cli = make_service(db, RealClock())  # type: ignore[arg-type]
        await cli.open()
        await cli.create_user("root", GOOD_PASSWORD, Role.ADMIN)
        pair = await cli.sign_in("root", GOOD_PASSWORD)
        await cli.close()
        for _ in range(500):  # each round yields to the watcher; no fixed sleep
            try:
                await service.principal(pair.access_token)
                break
            except AuthError:
                await asyncio.sleep(0.01)
        else:
            pytest.fail("the watcher never read the other process's sign-in")
    finally:
        await service.close()


# Users


async def test_user_settings_are_validated(service: AuthService) -> None:
    with pytest.raises(InvalidUser, match="needs a tenant"):
        await service.create_user("bob", GOOD_PASSWORD, Role.TENANT_USER)
    with pytest.raises(InvalidUser, match="park-wide"):
        await service.create_user("bob", GOOD_PASSWORD, Role.OPERATOR, "acme")
    with pytest.raises(InvalidUser, match="unknown tenant 'nope'"):
        await service.create_user("bob", GOOD_PASSWORD, Role.TENANT_USER, "nope", tenants={"acme"})
    with pytest.raises(InvalidUser, match="invalid username"):
        await service.create_user("b", GOOD_PASSWORD, Role.VIEWER)
    with pytest.raises(WeakPassword):
        await service.create_user("bob", "bob-is-my-password", Role.VIEWER)
    await service.create_user("bob", GOOD_PASSWORD, Role.VIEWER)
    with pytest.raises(UserExists):
        await service.create_user("Bob", GOOD_PASSWORD, Role.VIEWER)
    assert [u.username for u in await service.list_users()] == ["bob"]


# Setup


async def test_the_setup_token_makes_the_first_admin_once(service: AuthService) -> None:
    token = await service.setup_token()
    assert token is not None
    assert await service.setup_token() == token  # the same until used
    with pytest.raises(AuthError, match="invalid setup token"):
        await service.setup("wrong", "root", GOOD_PASSWORD)
    user = await service.setup(token, "root", GOOD_PASSWORD)
    assert user.role is Role.ADMIN
    with pytest.raises(AuthError):
        await service.setup(token, "second", GOOD_PASSWORD)
    assert await service.setup_token() is None
    assert len(await service.list_users()) == 1


async def test_no_setup_token_once_a_user_exists(service: AuthService) -> None:
    await _admin(service)
    assert await service.setup_token() is None
    with pytest.raises(AuthError):
        await service.setup("anything", "root2", GOOD_PASSWORD)


async def test_a_weak_password_at_setup_keeps_the_token(service: AuthService) -> None:
    token = await service.setup_token()
    assert token is not None
    with pytest.raises(WeakPassword):
        await service.setup(token, "root", "short")
    await service.setup(token, "root", GOOD_PASSWORD)


async def test_setup_token_guesses_are_throttled(service: AuthService) -> None:
    token = await service.setup_token()
    assert token is not None
    for n in range(5):
        with pytest.raises(AuthError):
            await service.setup("guess", "root", GOOD_PASSWORD, client=f"10.0.0.{n}")
    with pytest.raises(TooManyAttempts):  # five guesses from anywhere: the token rests
        await service.setup(token, "root", GOOD_PASSWORD, client="10.0.0.99")


async def test_in_data_dir_makes_a_private_key_and_database(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = tmp_path / "data"
    service = AuthService.in_data_dir(data, clock, passwords=FAST, watch_s=None)
    await service.open()
    await _admin(service)
    pair = await service.sign_in("root", GOOD_PASSWORD)
    await service.close()
    for name in ("signing.key", "auth.db"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
    again = AuthService.in_data_dir(data, clock, passwords=FAST, watch_s=None)
    await again.open()
    try:
        await again.principal(pair.access_token)  # the same key signs and checks
    finally:
        await again.close()
