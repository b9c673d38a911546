"""GET /api/devices: device health from every connector, filtered, offline first."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from penworks.connectors import DeviceHealth, DeviceState
from penworks.core import SimClock
from tests.unit.api.auth_support import ADMIN, bearer, secured_app
from tests.unit.api.fakes import FakeModel, MemoryHistory

SEEN = datetime(2025, 3, 1, 11, 59, tzinfo=UTC)


class FakeDevices:
    def __init__(self, health: list[DeviceHealth]) -> None:
        self.health = health

    def device_health(self) -> list[DeviceHealth]:
        return self.health


DEVICES = [
    DeviceHealth("modbus", "meter_main", DeviceState.ONLINE, SEEN, 0, 1.25, "answering"),
    DeviceHealth("bacnet", "1501", DeviceState.OFFLINE, None, 4, None, "no answer in 3 s"),
    DeviceHealth("modbus", "pv_inverter", DeviceState.DEGRADED, SEEN, 2, 3.5, "exception 2"),
]


async def get(model: FakeModel, path: str, devices: FakeDevices | None) -> httpx.Response:
    app = secured_app(model, MemoryHistory(), devices=devices, clock=SimClock(SEEN))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://penworks.test", headers=bearer(ADMIN)
    ) as c:
        return await c.get(path)


async def test_devices_are_listed_offline_first(model: FakeModel) -> None:
    response = await get(model, "/api/devices", FakeDevices(DEVICES))
    assert response.status_code == 200
    body = response.json()
    assert [(d["connector"], d["device"], d["state"]) for d in body] == [
        ("bacnet", "1501", "offline"),
        ("modbus", "pv_inverter", "degraded"),
        ("modbus", "meter_main", "online"),
    ]
    assert body[2] == {
        "connector": "modbus",
        "device": "meter_main",
        "state": "online",
        "last_contact": "2025-03-01T11:59:00Z",
        "errors": 0,
        "latency_ms": 1.25,
        "detail": "answering",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("connector=modbus", ["pv_inverter", "meter_main"]),
        ("state=offline", ["1501"]),
        ("connector=modbus&state=online", ["meter_main"]),
        ("connector=opcua", []),
    ],
)
async def test_devices_filter(model: FakeModel, query: str, expected: list[str]) -> None:
    response = await get(model, f"/api/devices?{query}", FakeDevices(DEVICES))
    assert [d["device"] for d in response.json()] == expected


async def test_an_unknown_state_is_a_problem(model: FakeModel) -> None:
    response = await get(model, "/api/devices?state=asleep", FakeDevices(DEVICES))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_no_device_source_means_no_devices(model: FakeModel) -> None:
    response = await get(model, "/api/devices", None)
    assert (response.status_code, response.json()) == (200, [])
