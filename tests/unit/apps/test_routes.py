"""App routes behind the platform's security, and the /api/apps listing."""

from __future__ import annotations

import httpx
import pytest

from penworks.auth.types import Role
from penworks.config import AppConfig
from penworks.model import SiteModel
from tests.unit.api.auth_support import ADMIN, FakeAuth, bearer, principal, secured_app
from tests.unit.apps.sample_app import ComfortWatch
from tests.unit.apps.support import BUILDING15, hosting

NIB = principal(Role.TENANT_USER, "nib")
ADMIN_LIKE = principal(Role.ADMIN, username="root")


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(BUILDING15)


async def test_app_routes_need_sign_in_and_see_what_the_user_may(building15: SiteModel) -> None:
    app = ComfortWatch()
    async with hosting(building15, {"comfort": AppConfig()}, app) as running:
        await app.ready.wait()
        api = secured_app(building15, running.history, auth=FakeAuth(NIB, ADMIN_LIKE),
                          apps=running.host)  # fmt: skip
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            anonymous = await client.get("/api/apps/comfort/summary")
            forged = await client.get(
                "/api/apps/comfort/summary", headers={"Authorization": "Bearer forged"}
            )
            full = await client.get("/api/apps/comfort/summary", headers=bearer(ADMIN_LIKE))
            tenant = await client.get("/api/apps/comfort/summary", headers=bearer(NIB))
            listing = await client.get("/api/apps", headers=bearer(NIB))
            unlisted = await client.get("/api/apps")
    assert anonymous.status_code == forged.status_code == unlisted.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert full.json() == {"zones": 21, "out_of_band": 0}
    nib_zones = [
        p for p in building15.find_points(brick="Zone_Air_Temperature_Sensor")
        if p.tenant == "nib"
    ]  # fmt: skip
    assert tenant.json() == {"zones": len(nib_zones), "out_of_band": 0}
    assert 0 < len(nib_zones) < 21
    [listed] = listing.json()
    assert listed["id"] == "comfort"
    assert listed["running"]
    assert listed["restarts"] == 0
    assert listed["panels"] == [
        {"id": "zones", "title": "Zones out of band", "kind": "table",
         "url": "/api/apps/comfort/summary"}
    ]  # fmt: skip


async def test_without_apps_the_listing_is_empty(building15: SiteModel) -> None:
    async with hosting(building15, {}) as running:
        api = secured_app(building15, running.history, apps=running.host)
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/api/apps", headers=bearer(ADMIN))
    assert response.status_code == 200
    assert response.json() == []
