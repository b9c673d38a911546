from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

import penworks
from penworks.api import create_app
from penworks.core import PenworksError
from tests.unit.api.fakes import FakeModel, FakeStatus, MemoryHistory


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
    app: FastAPI = create_app(model=model, history=history, title="Site API")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = (await client.get("/api/health")).json()
        title = (await client.get("/openapi.json")).json()["info"]["title"]
    assert body["status"] == "ok"
    assert body["components"] == {}
    assert title == "Site API"
