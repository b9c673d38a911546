"""Fixtures: an app over a small fake site, and an httpx client that talks to it in-process,
signed in as an administrator (tests about security sign in as others)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from penworks.core import Point, PointKind, SimClock
from penworks.model.schema import SiteDef
from tests.unit.api.auth_support import ADMIN, FakeAuth, bearer, secured_app
from tests.unit.api.fakes import FakeModel, FakeStatus, MemoryHistory

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

POINTS = [
    Point(
        id="b15.f3.r301.zone_air_temp",
        brick="Zone_Air_Temperature_Sensor",
        unit="degC",
        name="Room 301 temperature",
        holder="b15.f3.r301",
        location="b15.f3.r301",
        tenant="acme",
    ),
    Point(
        id="b15.f3.r301.zone_air_temp_sp",
        brick="Zone_Air_Temperature_Setpoint",
        unit="degC",
        writable=True,
        min=16.0,
        max=28.0,
        holder="b15.f3.r301",
        location="b15.f3.r301",
    ),
    Point(
        id="b15.f3.r301.occupied",
        brick="Occupancy_Sensor",
        kind=PointKind.BOOL,
        holder="b15.f3.r301",
        location="b15.f3.r301",
    ),
    Point(
        id="b15.f4.r401.zone_air_temp",
        brick="Zone_Air_Temperature_Sensor",
        unit="degC",
        holder="b15.f4.r401",
        location="b15.f4.r401",
    ),
]


def site_def() -> SiteDef:
    return SiteDef.model_validate(
        {"id": "park", "name": "Innovation Park", "buildings": [{"id": "b15"}]}
    )


@pytest.fixture
def model() -> FakeModel:
    return FakeModel(site_def(), POINTS)


@pytest.fixture
def history() -> MemoryHistory:
    return MemoryHistory()


@pytest.fixture
def status() -> FakeStatus:
    return FakeStatus()


@pytest.fixture
def auth() -> FakeAuth:
    return FakeAuth()


@pytest.fixture
def app(model: FakeModel, history: MemoryHistory, status: FakeStatus, auth: FakeAuth) -> FastAPI:
    return secured_app(model, history, auth=auth, status=status, clock=SimClock(NOW))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://penworks.test", headers=bearer(ADMIN)
    ) as c:
        yield c


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that does not sign in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://penworks.test") as c:
        yield c
