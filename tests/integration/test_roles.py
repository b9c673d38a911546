"""The platform split into processes by role: a gateway, and rules with history and the API.

Both run here on one bus, as two processes would on NATS: an observation a device publishes
reaches the other process's history, and a command made there reaches the device through
the gateway's connector.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest

from penworks.bus import Bus, MemoryBus, NatsBus, NatsSettings
from penworks.config import ApiConfig, MqttConnectorConfig, PlatformConfig, Role
from penworks.control.types import Actor, ActorKind, CommandRequest, CommandStatus
from penworks.core import ConfigError, RealClock
from penworks.model import SiteModel
from penworks.runtime import Platform, check_roles
from tests.conftest import require_service

pytestmark = pytest.mark.integration

SMALL_OFFICE = Path(__file__).resolve().parents[1] / "data" / "sites" / "small_office.yaml"
SETPOINT = "b15.f1.lobby.vav.setpoint"
TEMPERATURE = "b15.f1.lobby.zone_air_temp"


@contextlib.asynccontextmanager
async def platform(
    data: Path, roles: list[Role], bus: Bus, client_id: str
) -> AsyncIterator[Platform]:
    config = PlatformConfig(
        site=SMALL_OFFICE,
        data_dir=data,
        api=ApiConfig(port=0),
        roles=roles,
        connectors=[MqttConnectorConfig(type="mqtt", client_id=client_id)],
    )
    running = Platform(config, RealClock(), SiteModel.load(SMALL_OFFICE), bus=bus)
    ready = asyncio.Event()
    task = asyncio.create_task(running.run(on_ready=lambda _: ready.set()))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield running
    finally:
        waiter.cancel()
        running.request_stop()
        await task


@contextlib.asynccontextmanager
async def buses(kind: str, tag: str) -> AsyncIterator[tuple[Bus, Bus]]:
    """One bus for both in process; on NATS, a connection each, as two processes have."""
    if kind == "memory":
        bus = MemoryBus()
        yield bus, bus
        return
    require_service("NATS", "127.0.0.1", 4222)
    settings = NatsSettings(stream_prefix=f"ROLES{tag.upper()}", subject_prefix=f"roles{tag}")
    first, second = NatsBus(settings), NatsBus(settings)
    try:
        yield first, second
    finally:
        cleaner = NatsBus(settings)
        await cleaner.connect()
        for stream in cleaner.stream_names:
            await cleaner.jsm().delete_stream(stream)
        await cleaner.close()


@pytest.mark.parametrize("kind", ["memory", "nats"])
async def test_a_gateway_and_a_rules_process_share_the_work(tmp_path: Path, kind: str) -> None:
    require_service("Mosquitto", "127.0.0.1", 1883)
    tag = uuid.uuid4().hex[:8]
    core_roles = [Role.RULES, Role.HISTORY, Role.API]
    async with (
        buses(kind, tag) as (gateway_bus, core_bus),
        aiomqtt.Client("127.0.0.1", 1883) as device,
        platform(tmp_path / "gw", [Role.GATEWAY], gateway_bus, f"gw-{tag}") as gateway,
        platform(tmp_path / "core", core_roles, core_bus, f"c-{tag}") as core,
    ):
        assert gateway.automation is None
        assert gateway.history is None
        assert gateway.url is None
        assert core.connectors == []
        assert core.url is not None
        assert core.history is not None
        assert core.automation is not None
        await device.subscribe("b15/f1/lobby/hvac/set", qos=1)
        assert await gateway.wait_inputs_online(10)

        # In: a reading the device publishes is stored by the other process.
        ts = datetime.now(UTC).replace(microsecond=0)
        body = {"temp": 23.25, "ts": ts.isoformat()}
        await device.publish("b15/f1/lobby/hvac", json.dumps(body), qos=1)
        history = core.history
        stored: list[object] = []

        async def arrived() -> None:
            found = await history.latest([TEMPERATURE])
            stored.extend(found.values())

        async with asyncio.timeout(10):
            while not stored:
                await arrived()
        assert [o.value for o in stored] == [23.25]  # type: ignore[attr-defined]

        # Out: a command made in the rules process reaches the device through the gateway.
        request = CommandRequest(SETPOINT, 22.5, 8, Actor(ActorKind.OPERATOR, "ops"), "test")
        outcome_task = asyncio.create_task(core.automation.control.submit(request))
        async with asyncio.timeout(10):
            message = await anext(aiter(device.messages))
        assert json.loads(message.payload)["setpoint"] == 22.5  # type: ignore[arg-type]
        # The device confirms by publishing the new setpoint, as the twin's boxes do.
        echo = {"setpoint": 22.5, "ts": datetime.now(UTC).isoformat()}
        await device.publish("b15/f1/lobby/hvac", json.dumps(echo), qos=1)
        outcome = await asyncio.wait_for(outcome_task, 15)
        assert outcome.status is CommandStatus.CONFIRMED, outcome.detail
        assert gateway.port_server is not None
        assert gateway.port_server.served >= 1


def test_apps_and_the_api_need_the_rules_role_in_their_process() -> None:
    with pytest.raises(ConfigError, match="needs the rules role"):
        check_roles([Role.API, Role.HISTORY])
    with pytest.raises(ConfigError, match="at least one role"):
        check_roles([])
    assert check_roles([Role.GATEWAY]) == {Role.GATEWAY}
    assert check_roles(list(Role)) == frozenset(Role)
