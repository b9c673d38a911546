"""The sign-in routes over the real AuthService: tokens, refresh, logout, setup, me."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from penworks.auth import Action, AuthService, Role
from tests.unit.api.auth_api_support import (
    add_user,
    auth_app,
    client_of,
    open_service,
    sign_in,
)
from tests.unit.api.problem_check import assert_problem
from tests.unit.auth.support import GOOD_PASSWORD, OTHER_PASSWORD, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def service(tmp_path: Path, clock: ManualClock) -> AsyncIterator[AuthService]:
    async with open_service(tmp_path / "auth.db", clock) as opened:
        yield opened


@pytest.fixture
def app(service: AuthService, clock: ManualClock) -> FastAPI:
    return auth_app(service, clock)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as client:
        yield client


@pytest.fixture
async def root(service: AuthService) -> int:
    return await add_user(service, "root", Role.ADMIN)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _unauthorized(response: httpx.Response) -> dict[str, object]:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


# The password flow


@pytest.mark.usefixtures("root")
async def test_the_password_flow_gives_a_token_pair_that_signs_requests(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post(
        "/api/auth/token",
        data={"grant_type": "password", "username": "Root", "password": GOOD_PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    me = await api.get("/api/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user"]["username"] == "root"
    assert me.json()["credential"] == "session"
    assert set(me.json()["actions"]) == {a.value for a in Action}


@pytest.mark.usefixtures("root")
async def test_sign_in_takes_json_too(api: httpx.AsyncClient) -> None:
    answer = await api.post("/api/auth/token", json={"username": "root", "password": GOOD_PASSWORD})
    assert answer.status_code == 200, answer.text


@pytest.mark.usefixtures("root")
async def test_unknown_user_and_wrong_password_get_the_same_401(api: httpx.AsyncClient) -> None:
    details = set()
    for username, password in [("nobody", GOOD_PASSWORD), ("root", OTHER_PASSWORD)]:
        answer = await api.post(
            "/api/auth/token", data={"username": username, "password": password}
        )
        details.add(_unauthorized(answer)["detail"])
    assert details == {"wrong username or password"}


@pytest.mark.usefixtures("root")
async def test_guessing_is_throttled_with_retry_after(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    for _ in range(5):
        answer = await api.post("/api/auth/token", data={"username": "root", "password": "guess"})
        _unauthorized(answer)
    right = {"username": "root", "password": GOOD_PASSWORD}
    answer = await api.post("/api/auth/token", data=right)
    body = assert_problem(answer, 429)
    assert body["type"] == "urn:penworks:problem:too-many-attempts"
    assert int(answer.headers["retry-after"]) == 15 * 60
    clock.advance(15 * 60)
    assert (await api.post("/api/auth/token", data=right)).status_code == 200


async def test_one_address_cannot_try_many_usernames(app: FastAPI) -> None:
    async with client_of(app, "10.9.9.9") as attacker, client_of(app, "10.1.1.1") as other:
        for n in range(20):
            form = {"username": f"user{n}", "password": "guess"}
            assert (await attacker.post("/api/auth/token", data=form)).status_code == 401
        form = {"username": "user99", "password": "guess"}
        assert_problem(await attacker.post("/api/auth/token", data=form), 429)
        assert (await other.post("/api/auth/token", data=form)).status_code == 401


async def test_a_bad_sign_in_body_is_a_problem_that_does_not_echo_the_password(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post("/api/auth/token", data={"username": "root"})
    body = assert_problem(answer, 422)
    assert [(e["location"], e["name"]) for e in body["errors"]] == [("body", "password")]
    answer = await api.post(
        "/api/auth/token",
        data={"grant_type": "client_credentials", "username": "r", "password": "secret-pw-here"},
    )
    body = assert_problem(answer, 422)
    assert "secret-pw-here" not in answer.text
    assert_problem(
        await api.post(
            "/api/auth/token", content=b"{", headers={"content-type": "application/json"}
        ),
        422,
    )
    assert_problem(await api.post("/api/auth/token", json=["not", "an", "object"]), 422)
    assert_problem(
        await api.post("/api/auth/token", content=b"x", headers={"content-type": "text/plain"}), 415
    )
    big = {"username": "root", "password": "x" * 20_000}
    assert_problem(await api.post("/api/auth/token", data=big), 413)


# Refresh and logout


@pytest.mark.usefixtures("root")
async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(
    api: httpx.AsyncClient,
) -> None:
    first = (
        await api.post("/api/auth/token", data={"username": "root", "password": GOOD_PASSWORD})
    ).json()
    answer = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    second = answer.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await api.get("/api/auth/me", headers=_bearer(second["access_token"]))
    ).status_code == 200
    reused = await api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert "used already" in str(_unauthorized(reused)["detail"])
    _unauthorized(await api.get("/api/auth/me", headers=_bearer(second["access_token"])))
    _unauthorized(
        await api.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    )


async def test_refresh_validates_its_body(api: httpx.AsyncClient) -> None:
    assert_problem(await api.post("/api/auth/refresh", json={}), 422)
    assert_problem(await api.post("/api/auth/refresh", json={"refresh_token": "", "x": 1}), 422)
    _unauthorized(await api.post("/api/auth/refresh", json={"refresh_token": "made-up"}))


@pytest.mark.usefixtures("root")
async def test_logout_ends_the_session_at_once(api: httpx.AsyncClient) -> None:
    pair = (
        await api.post("/api/auth/token", data={"username": "root", "password": GOOD_PASSWORD})
    ).json()
    answer = await api.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert answer.status_code == 204
    _unauthorized(await api.get("/api/auth/me", headers=_bearer(pair["access_token"])))
    _unauthorized(
        await api.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    )


@pytest.mark.usefixtures("root")
async def test_logout_with_the_access_token_alone(api: httpx.AsyncClient) -> None:
    headers = await sign_in(api, "root")
    assert (await api.post("/api/auth/logout", headers=headers)).status_code == 204
    _unauthorized(await api.get("/api/auth/me", headers=headers))
    # Again, with a token that no longer works, or with nothing: still 204.
    assert (await api.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await api.post("/api/auth/logout", json={"refresh_token": "x"})).status_code == 204


# Setup


async def test_the_setup_token_makes_the_first_admin_once(
    api: httpx.AsyncClient, service: AuthService
) -> None:
    assert (await api.get("/api/auth/setup")).json() == {"needed": True}
    token = await service.setup_token()
    body = {"setup_token": "wrong", "username": "root", "password": GOOD_PASSWORD}
    _unauthorized(await api.post("/api/auth/setup", json=body))
    weak = await api.post(
        "/api/auth/setup", json=body | {"setup_token": token, "password": "short"}
    )
    assert assert_problem(weak, 422)["type"] == "urn:penworks:problem:weak-password"
    answer = await api.post("/api/auth/setup", json=body | {"setup_token": token})
    assert answer.status_code == 201, answer.text
    assert answer.json()["role"] == "admin"
    assert (await api.get("/api/auth/setup")).json() == {"needed": False}
    again = body | {"setup_token": token, "username": "second"}
    _unauthorized(await api.post("/api/auth/setup", json=again))
    await sign_in(api, "root")


# Who am I, my password


async def test_me_needs_a_token(api: httpx.AsyncClient) -> None:
    _unauthorized(await api.get("/api/auth/me"))
    _unauthorized(await api.get("/api/auth/me", headers=_bearer("not-a-token")))


async def test_me_through_an_api_token_shows_its_scopes(
    api: httpx.AsyncClient, service: AuthService, clock: ManualClock, root: int
) -> None:
    from datetime import timedelta

    text, info = await service.create_api_token(
        root, "ci", {Action.READ}, clock.now() + timedelta(days=1)
    )
    me = (await api.get("/api/auth/me", headers=_bearer(text))).json()
    assert me["credential"] == "api_token"
    assert me["session"] == info.id
    assert me["actions"] == ["read"]


@pytest.mark.usefixtures("root")
async def test_changing_my_password(api: httpx.AsyncClient) -> None:
    headers = await sign_in(api, "root")
    other = await sign_in(api, "root")
    wrong = {"current_password": "not-the-one", "new_password": OTHER_PASSWORD}
    _unauthorized(await api.post("/api/auth/password", json=wrong, headers=headers))
    right = {"current_password": GOOD_PASSWORD, "new_password": OTHER_PASSWORD}
    assert (await api.post("/api/auth/password", json=right, headers=headers)).status_code == 204
    assert (await api.get("/api/auth/me", headers=headers)).status_code == 200
    _unauthorized(await api.get("/api/auth/me", headers=other))
    await sign_in(api, "root", OTHER_PASSWORD)


# Without an AuthService


async def test_without_an_auth_service_the_routes_answer_503(clock: ManualClock) -> None:
    async with client_of(auth_app(None, clock)) as api:
        answer = await api.post("/api/auth/token", data={"username": "a", "password": "b"})
        assert_problem(answer, 503)
        assert_problem(await api.get("/api/auth/setup"), 503)


async def test_the_openapi_schema_documents_the_sign_in_form(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    body = schema["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/x-www-form-urlencoded", "application/json"}
    responses = schema["paths"]["/api/auth/token"]["post"]["responses"]
    assert "application/problem+json" in responses["429"]["content"]
    for path in ("/api/auth/refresh", "/api/auth/logout", "/api/auth/setup", "/api/auth/me"):
        assert path in schema["paths"]


@pytest.mark.usefixtures("root")
@pytest.mark.parametrize(
    "body",
    [
        {"username": "root", "password": "\ud800\udfff-broken-surrogates"},
        {"username": "\ud800root", "password": GOOD_PASSWORD},
        {"username": "root\x00", "password": GOOD_PASSWORD},
        {"username": "root", "password": GOOD_PASSWORD, "grant_type": "password", "more": 1},
        {"username": 5, "password": GOOD_PASSWORD},
    ],
)
async def test_odd_sign_in_input_is_refused_not_crashed(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    raw = json.dumps(body).encode()  # ASCII, lone surrogates escaped as JSON allows
    answer = await api.post(
        "/api/auth/token", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code in (401, 422), answer.text
    assert_problem(answer, answer.status_code)


async def test_a_swagger_ui_sign_in_form_is_accepted(api: httpx.AsyncClient, root: int) -> None:
    form = {"grant_type": "password", "username": "root", "password": GOOD_PASSWORD,
            "scope": "", "client_id": "", "client_secret": ""}  # fmt: skip
    answer = await api.post("/api/auth/token", data=form)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/refresh", {"refresh_token": "\ud800"}),
        ("/api/auth/logout", {"refresh_token": "\ud800"}),
        (
            "/api/auth/setup",
            {"setup_token": "\ud800", "username": "root", "password": "\ud800" * 12},
        ),
    ],
)
async def test_lone_surrogates_are_refused_not_crashed(
    api: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    raw = json.dumps(body).encode()
    answer = await api.post(path, content=raw, headers={"content-type": "application/json"})
    assert answer.status_code in (204, 401, 422), answer.text
