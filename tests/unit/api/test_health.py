from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

import penworks
from penworks.api import create_app
from penworks.auth.policy import AccessPolicy
from penworks.auth.types import Role
from penworks.core import PenworksError
from tests.unit.api.auth_support import ADMIN, FakeAuth, bearer, principal, secured_app
from tests.unit.api.fakes import FakeModel, FakeStatus, MemoryHistory
from tests.unit.api.problem_check import assert_problem


async def test_health_is_ok_with_site_version_and_components(
    client: httpx.AsyncClient, status: FakeStatus
) -> None:
    status.report = {
        "connectors": {"mqtt": {"state": "online", "received": 12}},
        "bus": {"subscriptions": 3},
    }
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == penworks.__version__
    assert body["site"] == {"id": "park", "name": "Innovation Park"}
    assert body["uptime_s"] >= 0
    assert body["components"] == status.report


@pytest.mark.parametrize(
    "report",
    [
        {"connectors": {"mqtt": {"state": "offline"}}},
        {"connectors": {"mqtt": {"state": "online", "devices": [{"state": "offline"}]}}},
    ],
)
async def test_any_offline_component_makes_health_degraded(
    client: httpx.AsyncClient, status: FakeStatus, report: dict[str, object]
) -> None:
    status.report = report
    body = (await client.get("/api/health")).json()
    assert body["status"] == "degraded"


async def test_degraded_state_alone_is_not_offline(
    client: httpx.AsyncClient, status: FakeStatus
) -> None:
    status.report = {"connectors": {"mqtt": {"state": "degraded"}}}
    assert (await client.get("/api/health")).json()["status"] == "ok"


async def test_components_are_made_json_ready(
    client: httpx.AsyncClient, status: FakeStatus
) -> None:
    last = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    status.report = {"mqtt": {"state": "online", "last_contact": last}}
    body = (await client.get("/api/health")).json()
    assert datetime.fromisoformat(body["components"]["mqtt"]["last_contact"]) == last


async def test_failing_status_source_degrades_instead_of_crashing(
    client: httpx.AsyncClient, status: FakeStatus
) -> None:
    status.error = PenworksError("bus stats unavailable")
    body = (await client.get("/api/health")).json()
    assert body["status"] == "degraded"
    assert body["components"]["status_source"]["detail"] == "bus stats unavailable"


async def test_health_without_status_source(model: FakeModel, history: MemoryHistory) -> None:
    app: FastAPI = secured_app(model, history, title="Site API")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=bearer(ADMIN)
    ) as client:
        body = (await client.get("/api/health")).json()
        title = (await client.get("/openapi.json")).json()["info"]["title"]
    assert body["status"] == "ok"
    assert body["components"] == {}
    assert title == "Site API"


# Liveness: anyone may ask whether the platform is up; only the system permission sees how.


async def test_liveness_without_a_token_is_status_and_version_only(
    anonymous: httpx.AsyncClient, status: FakeStatus
) -> None:
    status.report = {"connectors": {"mqtt": {"state": "offline", "host": "10.0.0.7"}}}
    response = await anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "version": penworks.__version__}


@pytest.mark.parametrize(
    ("role", "tenant"),
    [(Role.VIEWER, None), (Role.ENERGY_MANAGER, None), (Role.TENANT_USER, "acme")],
)
async def test_without_the_system_permission_health_is_liveness_only(
    anonymous: httpx.AsyncClient, auth: FakeAuth, role: Role, tenant: str | None
) -> None:
    who = auth.add(principal(role, tenant))
    body = (await anonymous.get("/api/health", headers=bearer(who))).json()
    assert body == {"status": "ok", "version": penworks.__version__}


async def test_an_operator_gets_the_full_report(
    anonymous: httpx.AsyncClient, auth: FakeAuth
) -> None:
    who = auth.add(principal(Role.OPERATOR))
    body = (await anonymous.get("/api/health", headers=bearer(who))).json()
    assert set(body) == {"status", "version", "site", "uptime_s", "components"}


async def test_a_bad_token_on_health_is_401_not_liveness(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/health", headers={"Authorization": "Bearer forged"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_without_security_health_still_answers_liveness(
    model: FakeModel, history: MemoryHistory
) -> None:
    app = create_app(model=model, history=history, policy=AccessPolicy(model), auth=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        live = await client.get("/api/health", headers=bearer(ADMIN))
        model_tree = await client.get("/api/model", headers=bearer(ADMIN))
    assert live.json() == {"status": "ok", "version": penworks.__version__}
    body = assert_problem(model_tree, 503)  # never open: protected routes refuse
    assert body["type"] == "urn:penworks:problem:auth-unavailable"
