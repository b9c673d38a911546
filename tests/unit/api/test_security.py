"""Signing in to the API: the bearer token, its problems, permissions and token scopes.

(Which tenant sees what, over every route: test_isolation.py.)
"""

from __future__ import annotations

import httpx
import pytest

from penworks.api import create_app
from penworks.auth.policy import AccessPolicy
from penworks.auth.types import Action, Principal, Role
from tests.unit.api.auth_support import ADMIN, FakeAuth, bearer, principal
from tests.unit.api.fakes import FakeModel, MemoryHistory
from tests.unit.api.problem_check import assert_problem

URN = "urn:penworks:problem:"
POINT = "b15.f3.r301.zone_air_temp"


def assert_unauthorized(response: httpx.Response) -> None:
    body = assert_problem(response, 401)
    assert body["type"] == URN + "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},  # only bearer tokens sign in
        {"Authorization": "Bearer token-nobody"},
        {"Authorization": f"Token {bearer(ADMIN)['Authorization'].split()[1]}"},
    ],
)
async def test_without_a_good_bearer_token_it_is_401(
    anonymous: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    assert_unauthorized(await anonymous.get("/api/points", headers=headers))


async def test_the_scheme_is_case_insensitive(anonymous: httpx.AsyncClient) -> None:
    token = bearer(ADMIN)["Authorization"].split()[1]
    response = await anonymous.get("/api/points", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


async def test_401_comes_before_the_request_is_validated(anonymous: httpx.AsyncClient) -> None:
    assert_unauthorized(await anonymous.get("/api/points?limit=0"))
    assert_unauthorized(await anonymous.post("/api/commands", json={"colour": "red"}))


async def test_a_revoked_token_is_refused_at_once(
    anonymous: httpx.AsyncClient, auth: FakeAuth
) -> None:
    viewer = auth.add(principal(Role.VIEWER))
    assert (await anonymous.get("/api/points", headers=bearer(viewer))).status_code == 200
    auth.revoke(viewer)
    assert_unauthorized(await anonymous.get("/api/points", headers=bearer(viewer)))


async def test_a_missing_permission_is_403_naming_it(
    anonymous: httpx.AsyncClient, auth: FakeAuth
) -> None:
    viewer = auth.add(principal(Role.VIEWER, username="vera"))
    response = await anonymous.get("/api/deadletters", headers=bearer(viewer))
    body = assert_problem(response, 403)
    assert body["type"] == URN + "forbidden"
    assert "vera" in body["detail"]
    assert "'system'" in body["detail"]


async def test_an_api_token_may_only_what_its_scopes_say(
    anonymous: httpx.AsyncClient, auth: FakeAuth
) -> None:
    scoped = Principal(99, "integration", Role.OPERATOR, None, "tok_1", frozenset({Action.READ}))
    auth.add(scoped)
    assert (await anonymous.get(f"/api/points/{POINT}", headers=bearer(scoped))).status_code == 200
    refused = await anonymous.get("/api/devices", headers=bearer(scoped))
    assert "'system'" in assert_problem(refused, 403)["detail"]


async def test_without_an_auth_service_protected_routes_are_503_never_open(
    model: FakeModel, history: MemoryHistory
) -> None:
    app = create_app(model=model, history=history, policy=AccessPolicy(model), auth=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/api/model", "/api/points", f"/api/points/{POINT}", "/api/devices"):
            for headers in ({}, bearer(ADMIN)):
                body = assert_problem(await client.get(path, headers=headers), 503)
                assert body["type"] == URN + "auth-unavailable"
