"""An API over the real AuthService (SQLite in tmp_path, a manual clock), and sign-in helpers
for the tests of the auth, users and token routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from penworks.api import create_app
from penworks.auth import AccessPolicy, AuthService, Role
from penworks.core import Point
from penworks.model.schema import SiteDef
from tests.unit.api.fakes import FakeModel, MemoryHistory
from tests.unit.auth.support import GOOD_PASSWORD, ManualClock, make_service

BASE = "http://penworks.test"
TENANTS = ("acme", "globex")
POINTS = [
    Point(
        id=f"b15.f3.{room}.zone_air_temp",
        brick="Zone_Air_Temperature_Sensor",
        unit="degC",
        holder=f"b15.f3.{room}",
        location=f"b15.f3.{room}",
        tenant=tenant,
    )
    for room, tenant in (("r301", "acme"), ("r302", "globex"))
]


def tenant_site() -> SiteDef:
    return SiteDef.model_validate(
        {
            "id": "park",
            "name": "Innovation Park",
            "tenants": [{"id": t, "name": t.title()} for t in TENANTS],
            "buildings": [{"id": "b15"}],
        }
    )


def auth_app(service: AuthService | None, clock: ManualClock) -> FastAPI:
    model = FakeModel(tenant_site(), POINTS)
    return create_app(
        model=model,
        history=MemoryHistory(),
        policy=AccessPolicy(model),
        auth=service,
        clock=clock,
    )


@asynccontextmanager
async def open_service(path: Path, clock: ManualClock) -> AsyncIterator[AuthService]:
    service = make_service(path, clock)
    await service.open()
    try:
        yield service
    finally:
        await service.close()


def client_of(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = GOOD_PASSWORD
) -> dict[str, str]:
    """The bearer header of a fresh session."""
    answer = await client.post("/api/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def add_user(
    service: AuthService, username: str, role: Role, tenant: str | None = None
) -> int:
    return (await service.create_user(username, GOOD_PASSWORD, role, tenant)).id
