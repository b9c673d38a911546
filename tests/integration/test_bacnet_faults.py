"""Faults: a device that stops answering and comes back, one never found, an unbindable port."""

from __future__ import annotations

import pytest

from penworks.bus import MemoryBus, health_subject
from penworks.connectors import DeviceState
from penworks.core import Quality
from tests.unit.connectors.bacnet.peer import PeerDevice
from tests.unit.connectors.bacnet.support import (
    binding,
    connector,
    device_config,
    devices,
    free_port,
    observation,
    point,
    running,
)
from tests.unit.connectors.support import eventually, reach

pytestmark = pytest.mark.integration

A = 1501


async def test_a_device_that_stops_goes_offline_and_comes_back_with_cov() -> None:
    async with devices(PeerDevice(A, free_port())) as (a,):
        points = [
            (point("a.zone_temp"), binding(A, "analog-input,1", cov=True)),
            (point("a.co2"), binding(A, "analog-input,2")),
        ]
        bus = MemoryBus()
        obs = bus.subscribe("obs.>", name="obs", maxsize=10_000)
        health = bus.subscribe(health_subject("bacnet"), name="health", maxsize=10_000)
        bacnet = connector([device_config(a, cov_lifetime_s=60)], points, bus)
        async with running(bacnet):
            await eventually(lambda: bacnet.stats()["cov_active"] == 1, within_s=5)
            await a.stop()
            await reach(bacnet, DeviceState.OFFLINE, within_s=10)
            bad_temp = await observation(obs, "a.zone_temp", lambda o: o.quality is Quality.BAD)
            bad_co2 = await observation(obs, "a.co2", lambda o: o.quality is Quality.BAD)
            (offline,) = bacnet.health()
            await a.start()  # a restart: the device has forgotten its subscriptions
            await reach(bacnet, DeviceState.ONLINE, within_s=10)
            await eventually(lambda: a.subscriptions("analog-input,1") == 1, within_s=5)
            a["analog-input,1"].presentValue = 27.0
            after = await observation(obs, "a.zone_temp", lambda o: o.value == 27.0)
            stats = bacnet.stats()
    states: list[str] = []
    for _, report in await health.batch(10_000):
        assert isinstance(report, dict)
        if not states or states[-1] != report["state"]:
            states.append(report["state"])
    assert states == ["online", "degraded", "offline", "online"]
    assert (bad_temp.value, bad_co2.value) == (21.5, 450.0)
    assert "no answer" in offline.detail
    assert offline.errors >= 2
    assert after.quality is Quality.GOOD
    assert stats["timeouts"] >= 2


async def test_a_device_without_address_is_offline_while_looked_for_by_who_is() -> None:
    points = [(point("x.zone_temp"), binding(4242, "analog-input,1"))]
    bacnet = connector([device_config(4242, poll_s=0.2)], points, MemoryBus())
    async with running(bacnet, state=None):
        await eventually(lambda: bacnet.stats()["requests.who_is"] >= 2, within_s=5)
        (health,) = bacnet.health()
        nothing = await bacnet.read("x.zone_temp")
    assert health.state is DeviceState.OFFLINE
    assert "Who-Is" in health.detail
    assert nothing is None


async def test_an_address_the_machine_does_not_have_is_reported() -> None:
    points = [(point("a.zone_temp"), binding(A, "analog-input,1"))]
    bacnet = connector(
        [device_config(A, address=f"127.0.0.1:{free_port()}")],
        points,
        MemoryBus(),
        address="192.0.2.1/32:47808",  # TEST-NET-1: no interface of this machine
    )
    async with running(bacnet, state=None):
        await eventually(lambda: "cannot bind" in bacnet.health()[0].detail, within_s=5)
        (health,) = bacnet.health()
    assert health.state is DeviceState.OFFLINE
