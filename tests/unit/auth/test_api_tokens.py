"""API tokens: scoped to a subset of the owner's actions, expiring, revocable at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.auth import Action, AuthError, AuthService, InvalidUser, Role, UnknownToken
from tests.unit.auth.support import GOOD_PASSWORD, ManualClock

DAY = timedelta(days=1)


async def _operator(service: AuthService) -> int:
    await service.create_user("root", GOOD_PASSWORD, Role.ADMIN)
    return (await service.create_user("ops", GOOD_PASSWORD, Role.OPERATOR)).id


async def test_a_token_acts_as_its_owner_with_its_scopes_only(
    service: AuthService, clock: ManualClock
) -> None:
    owner = await _operator(service)
    text, info = await service.create_api_token(owner, " ci ", {Action.READ}, clock.now() + DAY)
    assert text.startswith("pwk_")
    assert info.name == "ci"
    principal = await service.principal(text)
    assert (principal.user_id, principal.session) == (owner, info.id)
    assert principal.may(Action.READ)
    assert not principal.may(Action.COMMAND)  # the operator may; the token may not
    assert service.still_valid(principal)


async def test_a_token_stops_at_its_expiry(service: AuthService, clock: ManualClock) -> None:
    owner = await _operator(service)
    text, _ = await service.create_api_token(owner, "ci", {Action.READ}, clock.now() + DAY)
    clock.advance(DAY.total_seconds() - 1)
    await service.principal(text)
    clock.advance(1)
    with pytest.raises(AuthError, match="expired"):
        await service.principal(text)


async def test_revoking_a_token_takes_effect_at_once(
    service: AuthService, clock: ManualClock
) -> None:
    owner = await _operator(service)
    text, info = await service.create_api_token(owner, "ci", {Action.READ}, clock.now() + DAY)
    principal = await service.principal(text)
    queue = service.listen_revocations()
    await service.revoke_api_token(info.id)
    with pytest.raises(AuthError):
        await service.principal(text)
    assert not service.still_valid(principal)
    assert queue.get_nowait().sessions == {info.id}
    assert (await service.get_api_token(info.id)).revoked == clock.now()
    with pytest.raises(UnknownToken):
        await service.revoke_api_token("tok_0000000000000000")


@pytest.mark.parametrize(
    ("scopes", "expires_in", "error"),
    [
        ({Action.USERS}, DAY, "does not allow users"),
        (set(), DAY, "at least one scope"),
        ({Action.READ}, -DAY, "in the future"),
        ({Action.READ}, timedelta(0), "in the future"),
        ({Action.READ}, timedelta(days=367), "at most a year"),
    ],
)
async def test_token_settings_are_checked(
    service: AuthService,
    clock: ManualClock,
    scopes: set[Action],
    expires_in: timedelta,
    error: str,
) -> None:
    owner = await _operator(service)
    with pytest.raises(InvalidUser, match=error):
        await service.create_api_token(owner, "ci", scopes, clock.now() + expires_in)


async def test_a_token_needs_a_name_and_an_aware_expiry(
    service: AuthService, clock: ManualClock
) -> None:
    owner = await _operator(service)
    with pytest.raises(InvalidUser, match="name"):
        await service.create_api_token(owner, "  ", {Action.READ}, clock.now() + DAY)
    with pytest.raises(InvalidUser, match="time zone"):
        await service.create_api_token(
            owner, "ci", {Action.READ}, (clock.now() + DAY).replace(tzinfo=None)
        )


async def test_last_use_is_recorded_and_written_at_most_each_minute(
    service: AuthService, clock: ManualClock
) -> None:
    owner = await _operator(service)
    text, info = await service.create_api_token(owner, "ci", {Action.READ}, clock.now() + DAY)
    assert (await service.get_api_token(info.id)).last_used is None
    clock.advance(10)
    await service.principal(text)
    first = clock.now()
    clock.advance(10)
    await service.principal(text)
    assert (await service.get_api_token(info.id)).last_used == clock.now()  # seen in memory
    assert (await service.store.api_token(info.id)).last_used == first  # type: ignore[union-attr]
    listed = await service.list_api_tokens(owner)
    assert [t.last_used for t in listed] == [clock.now()]


async def test_a_disabled_owners_tokens_stop(service: AuthService, clock: ManualClock) -> None:
    owner = await _operator(service)
    text, _ = await service.create_api_token(owner, "ci", {Action.READ}, clock.now() + DAY)
    await service.update_user(owner, disabled=True)
    with pytest.raises(AuthError):
        await service.principal(text)
    await service.update_user(owner, disabled=False)
    with pytest.raises(AuthError):  # revoked when disabled: enabling does not revive them
        await service.principal(text)


async def test_unknown_and_malformed_tokens_are_refused(service: AuthService) -> None:
    for text in ("pwk_nothing", "pwk_" + "x" * 5000, " ", "Bearer"):
        with pytest.raises(AuthError):
            await service.principal(text)
