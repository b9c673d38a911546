"""Users and API tokens over the real AuthService: who manages whom, revocation at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from penworks.auth import AuthService, Role
from tests.unit.api.auth_api_support import add_user, auth_app, client_of, open_service, sign_in
from tests.unit.api.problem_check import assert_problem
from tests.unit.auth.support import GOOD_PASSWORD, OTHER_PASSWORD, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def service(tmp_path: Path, clock: ManualClock) -> AsyncIterator[AuthService]:
    async with open_service(tmp_path / "auth.db", clock) as opened:
        await add_user(opened, "root", Role.ADMIN)
        await add_user(opened, "acme.boss", Role.TENANT_ADMIN, "acme")
        await add_user(opened, "acme.ann", Role.TENANT_USER, "acme")
        await add_user(opened, "globex.gus", Role.TENANT_USER, "globex")
        await add_user(opened, "ops", Role.OPERATOR)
        yield opened


@pytest.fixture
async def api(service: AuthService, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(auth_app(service, clock)) as client:
        yield client


async def _id(service: AuthService, username: str) -> int:
    return (await service.find_user(username)).id


def _new(username: str, role: str, tenant: str | None = None, **more: Any) -> dict[str, Any]:
    return {"username": username, "password": GOOD_PASSWORD, "role": role, "tenant": tenant} | more


# An administrator


async def test_an_admin_manages_everyone(api: httpx.AsyncClient, service: AuthService) -> None:
    root = await sign_in(api, "root")
    names = [u["username"] for u in (await api.get("/api/users", headers=root)).json()]
    assert names == ["root", "acme.boss", "acme.ann", "globex.gus", "ops"]
    answer = await api.post("/api/users", json=_new("Eve", "energy_manager"), headers=root)
    assert answer.status_code == 201, answer.text
    eve = answer.json()
    assert (eve["username"], eve["role"], eve["tenant"], eve["disabled"]) == (
        "eve",
        "energy_manager",
        None,
        False,
    )
    assert "password" not in answer.text
    patch = {"role": "tenant_admin", "tenant": "globex", "display_name": "Eve G."}
    changed = await api.patch(f"/api/users/{eve['id']}", json=patch, headers=root)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["tenant"]) == ("tenant_admin", "globex")
    assert (await api.delete(f"/api/users/{eve['id']}", headers=root)).status_code == 204
    assert_problem(await api.get(f"/api/users/{eve['id']}", headers=root), 404)


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (_new("x1", "tenant_user", "nowhere"), 422, "invalid-user"),
        (_new("x1", "tenant_user"), 422, "invalid-user"),
        (_new("x1", "operator", "acme"), 422, "invalid-user"),
        (_new("x1", "viewer") | {"password": "short"}, 422, "weak-password"),
        (_new("OPS", "viewer"), 409, "user-exists"),
        (_new("no spaces", "viewer"), 422, "invalid-params"),
        (_new("x1", "king"), 422, "invalid-params"),
        (_new("x1", "viewer") | {"extra": 1}, 422, "invalid-params"),
        (_new("x1", "viewer") | {"display_name": "bell\x07"}, 422, "invalid-user"),
    ],
)
async def test_a_bad_new_user_is_a_problem(
    api: httpx.AsyncClient, body: dict[str, Any], status: int, kind: str
) -> None:
    root = await sign_in(api, "root")
    problem = assert_problem(await api.post("/api/users", json=body, headers=root), status)
    assert problem["type"] == f"urn:penworks:problem:{kind}"


async def test_disabling_or_deleting_a_user_stops_its_tokens_at_once(
    api: httpx.AsyncClient, service: AuthService
) -> None:
    root = await sign_in(api, "root")
    ops = await sign_in(api, "ops")
    gus = await sign_in(api, "globex.gus")
    ops_id, gus_id = await _id(service, "ops"), await _id(service, "globex.gus")
    answer = await api.patch(f"/api/users/{ops_id}", json={"disabled": True}, headers=root)
    assert answer.json()["disabled"] is True
    assert_problem(await api.get("/api/auth/me", headers=ops), 401)
    assert_problem(
        await api.post("/api/auth/token", data={"username": "ops", "password": GOOD_PASSWORD}),
        401,
    )
    assert (await api.delete(f"/api/users/{gus_id}", headers=root)).status_code == 204
    assert_problem(await api.get("/api/auth/me", headers=gus), 401)


async def test_sign_out_everywhere(api: httpx.AsyncClient, service: AuthService) -> None:
    root = await sign_in(api, "root")
    ops = await sign_in(api, "ops")
    answer = await api.post(f"/api/users/{await _id(service, 'ops')}/revoke", headers=root)
    assert answer.status_code == 204
    assert_problem(await api.get("/api/auth/me", headers=ops), 401)
    await sign_in(api, "ops")  # it may sign in again


async def test_an_admin_resets_a_password(api: httpx.AsyncClient, service: AuthService) -> None:
    root = await sign_in(api, "root")
    ops = await sign_in(api, "ops")
    body = {"password": OTHER_PASSWORD}
    answer = await api.patch(f"/api/users/{await _id(service, 'ops')}", json=body, headers=root)
    assert answer.status_code == 200, answer.text
    assert_problem(await api.get("/api/auth/me", headers=ops), 401)
    await sign_in(api, "ops", OTHER_PASSWORD)


# Nobody raises themselves


@pytest.mark.parametrize(
    "body",
    [
        {"role": "operator"},
        {"tenant": "globex"},
        {"disabled": True},
        {"password": OTHER_PASSWORD},
    ],
)
@pytest.mark.parametrize("who", ["root", "acme.boss"])
async def test_nobody_changes_their_own_role_or_status(
    api: httpx.AsyncClient, service: AuthService, who: str, body: dict[str, Any]
) -> None:
    headers = await sign_in(api, who)
    answer = await api.patch(f"/api/users/{await _id(service, who)}", json=body, headers=headers)
    assert assert_problem(answer, 403)["detail"].startswith("nobody may")
    assert (await service.find_user(who)).role is not Role.OPERATOR


async def test_nobody_deletes_themselves_but_may_rename(
    api: httpx.AsyncClient, service: AuthService
) -> None:
    root = await sign_in(api, "root")
    me = await _id(service, "root")
    assert_problem(await api.delete(f"/api/users/{me}", headers=root), 403)
    answer = await api.patch(f"/api/users/{me}", json={"display_name": "The Root"}, headers=root)
    assert answer.json()["display_name"] == "The Root"


async def test_the_last_admin_stays(api: httpx.AsyncClient, service: AuthService) -> None:
    root = await sign_in(api, "root")
    second = await add_user(service, "root2", Role.ADMIN)
    assert (await api.delete(f"/api/users/{second}", headers=root)).status_code == 204
    other = await add_user(service, "root3", Role.ADMIN)
    await api.delete(f"/api/users/{other}", headers=root)
    # root is now the only admin; another admin cannot remove it either
    assert (await service.find_user("root")).role is Role.ADMIN


# A tenant administrator


async def test_a_tenant_admin_sees_and_manages_only_its_tenant(
    api: httpx.AsyncClient, service: AuthService
) -> None:
    boss = await sign_in(api, "acme.boss")
    names = [u["username"] for u in (await api.get("/api/users", headers=boss)).json()]
    assert names == ["acme.boss", "acme.ann"]
    made = await api.post("/api/users", json=_new("acme.bob", "tenant_user", "acme"), headers=boss)
    assert made.status_code == 201, made.text
    bob = made.json()["id"]
    promoted = await api.patch(f"/api/users/{bob}", json={"role": "tenant_admin"}, headers=boss)
    assert (promoted.json()["role"], promoted.json()["tenant"]) == ("tenant_admin", "acme")
    assert (await api.delete(f"/api/users/{bob}", headers=boss)).status_code == 204
    ann = await _id(service, "acme.ann")
    disabled = await api.patch(f"/api/users/{ann}", json={"disabled": True}, headers=boss)
    assert disabled.json()["disabled"] is True


@pytest.mark.parametrize(
    "body",
    [
        _new("x1", "tenant_user", "globex"),
        _new("x1", "tenant_admin", "globex"),
        _new("x1", "operator"),
        _new("x1", "admin"),
        _new("x1", "viewer"),
    ],
)
async def test_a_tenant_admin_gives_only_its_tenants_roles(
    api: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    boss = await sign_in(api, "acme.boss")
    assert_problem(await api.post("/api/users", json=body, headers=boss), 403)


async def test_a_tenant_admin_cannot_reach_other_users(
    api: httpx.AsyncClient, service: AuthService
) -> None:
    boss = await sign_in(api, "acme.boss")
    ann = await _id(service, "acme.ann")
    for other in ("globex.gus", "ops", "root"):
        user = await _id(service, other)
        assert_problem(await api.get(f"/api/users/{user}", headers=boss), 404)
        patch = await api.patch(f"/api/users/{user}", json={"disabled": True}, headers=boss)
        assert_problem(patch, 404)
        assert_problem(await api.delete(f"/api/users/{user}", headers=boss), 404)
        assert_problem(await api.post(f"/api/users/{user}/revoke", headers=boss), 404)
    # nor move its own users out of its tenant or out of the tenant roles
    for body in ({"tenant": "globex"}, {"role": "operator"}, {"role": "admin"}):
        assert_problem(await api.patch(f"/api/users/{ann}", json=body, headers=boss), 403)
    assert_problem(await api.get("/api/users/999999", headers=boss), 404)


@pytest.mark.parametrize("who", ["ops", "acme.ann", "globex.gus"])
async def test_others_do_not_manage_users(api: httpx.AsyncClient, who: str) -> None:
    headers = await sign_in(api, who)
    assert_problem(await api.get("/api/users", headers=headers), 403)
    assert_problem(await api.post("/api/users", json=_new("x1", "viewer"), headers=headers), 403)
    assert_problem(await api.get("/api/users/1", headers=headers), 403)


async def test_user_routes_need_a_token(api: httpx.AsyncClient) -> None:
    for method, path in [("GET", "/api/users"), ("GET", "/api/users/1"), ("DELETE", "/api/users/1"),
                         ("GET", "/api/tokens"), ("POST", "/api/tokens")]:  # fmt: skip
        answer = await api.request(method, path)
        assert_problem(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer"


async def test_bad_ids_are_problems(api: httpx.AsyncClient) -> None:
    root = await sign_in(api, "root")
    for path in ("/api/users/abc", "/api/users/0", f"/api/users/{2**64}", "/api/tokens/nope"):
        assert_problem(await api.get(path, headers=root), 422)


# API tokens


def _token(clock: ManualClock, scopes: list[str], days: float = 30, **more: Any) -> dict[str, Any]:
    expires = clock.now() + timedelta(days=days)
    return {"name": "integration", "scopes": scopes, "expires_at": expires.isoformat()} | more


async def test_an_api_token_is_shown_once_and_acts_with_its_scopes(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    ops = await sign_in(api, "ops")
    answer = await api.post("/api/tokens", json=_token(clock, ["read"]), headers=ops)
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    secret, info = answer.json()["token"], answer.json()["info"]
    assert secret.startswith("pwk_")
    listed = (await api.get("/api/tokens", headers=ops)).json()
    assert [t["id"] for t in listed] == [info["id"]]
    assert secret not in (await api.get("/api/tokens", headers=ops)).text
    as_token = {"Authorization": f"Bearer {secret}"}
    me = (await api.get("/api/auth/me", headers=as_token)).json()
    assert (me["user"]["username"], me["actions"]) == ("ops", ["read"])
    again = await api.post("/api/tokens", json=_token(clock, ["read"]), headers=as_token)
    assert "cannot make API tokens" in assert_problem(again, 403)["detail"]
    used = (await api.get(f"/api/tokens/{info['id']}", headers=ops)).json()
    assert used["last_used"] is not None


async def test_an_admin_token_scoped_to_read_manages_no_one(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    root = await sign_in(api, "root")
    secret = (await api.post("/api/tokens", json=_token(clock, ["read"]), headers=root)).json()
    headers = {"Authorization": f"Bearer {secret['token']}"}
    assert_problem(await api.get("/api/users", headers=headers), 403)


@pytest.mark.parametrize(
    ("scopes", "days", "status"),
    [
        (["users"], 30, 422),  # an operator does not have it
        ([], 30, 422),
        (["read"], 367, 422),
        (["read"], -1, 422),
        (["sudo"], 30, 422),
    ],
)
async def test_token_settings_are_checked(
    api: httpx.AsyncClient, clock: ManualClock, scopes: list[str], days: float, status: int
) -> None:
    ops = await sign_in(api, "ops")
    answer = await api.post("/api/tokens", json=_token(clock, scopes, days), headers=ops)
    assert_problem(answer, status)


async def test_a_token_needs_an_expiry_with_a_zone(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    ops = await sign_in(api, "ops")
    body = _token(clock, ["read"])
    del body["expires_at"]
    assert_problem(await api.post("/api/tokens", json=body, headers=ops), 422)
    naive = _token(clock, ["read"]) | {"expires_at": "2025-04-01T00:00:00"}
    assert_problem(await api.post("/api/tokens", json=naive, headers=ops), 422)


async def test_revoking_or_expiry_stops_a_token_at_once(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    ops = await sign_in(api, "ops")
    made = [
        (await api.post("/api/tokens", json=_token(clock, ["read"], days), headers=ops)).json()
        for days in (30, 1)
    ]
    revoked, short = ({"Authorization": f"Bearer {m['token']}"} for m in made)
    assert (
        await api.delete(f"/api/tokens/{made[0]['info']['id']}", headers=ops)
    ).status_code == 204
    assert_problem(await api.get("/api/auth/me", headers=revoked), 401)
    assert (await api.get("/api/auth/me", headers=short)).status_code == 200
    clock.advance(86400)
    assert_problem(await api.get("/api/auth/me", headers=short), 401)


async def test_tokens_are_their_owners_and_an_admins(
    api: httpx.AsyncClient, clock: ManualClock, service: AuthService
) -> None:
    ops = await sign_in(api, "ops")
    ann = await sign_in(api, "acme.ann")
    root = await sign_in(api, "root")
    made = (await api.post("/api/tokens", json=_token(clock, ["read"]), headers=ops)).json()
    token_id = made["info"]["id"]
    assert_problem(await api.get(f"/api/tokens/{token_id}", headers=ann), 404)
    assert_problem(await api.delete(f"/api/tokens/{token_id}", headers=ann), 404)
    ops_id = await _id(service, "ops")
    assert (await api.get(f"/api/tokens?user_id={ops_id}", headers=ann)).json() == []
    assert [t["id"] for t in (await api.get("/api/tokens", headers=root)).json()] == [token_id]
    listed = (await api.get(f"/api/tokens?user_id={ops_id}", headers=root)).json()
    assert [t["id"] for t in listed] == [token_id]
    assert (await api.delete(f"/api/tokens/{token_id}", headers=root)).status_code == 204
    assert (await api.get(f"/api/tokens/{token_id}", headers=ops)).json()["revoked"] is not None


async def test_a_wrong_method_lists_every_method_of_the_path(api: httpx.AsyncClient) -> None:
    for path, allowed in [
        ("/api/users", "GET, POST"),
        ("/api/users/1", "DELETE, GET, PATCH"),
        ("/api/tokens/tok_0123456789abcdef", "DELETE, GET"),
    ]:
        answer = await api.put(path)
        assert_problem(answer, 405)
        assert answer.headers["allow"] == allowed
