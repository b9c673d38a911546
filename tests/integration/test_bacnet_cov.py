"""COV against bacpypes3 devices: notifications, renewal before expiry, refusal -> polling."""

from __future__ import annotations

import time

import pytest

from penworks.bus import MemoryBus
from penworks.connectors.bacnet.cov import RENEW_AT
from penworks.core import PointKind, Quality
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
from tests.unit.connectors.support import eventually

pytestmark = pytest.mark.integration

A = 1501
LIFETIME_S = 2


async def test_notifications_arrive_and_the_subscription_outlives_its_lifetime() -> None:
    async with devices(PeerDevice(A, free_port())) as (a,):
        points = [
            (point("a.zone_temp"), binding(A, "analog-input,1", cov=True)),
            (point("a.fan_cmd", PointKind.BOOL), binding(A, "binary-output,1", cov=True)),
        ]
        bus = MemoryBus()
        sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
        # polls are an hour apart: whatever arrives after the first comes by COV
        bacnet = connector([device_config(a, poll_s=3600, cov_lifetime_s=LIFETIME_S)], points, bus)
        async with running(bacnet):
            await eventually(lambda: bacnet.stats()["cov_active"] == 2, within_s=5)
            subscribed = time.monotonic()
            a["analog-input,1"].presentValue = 24.0
            assert (await observation(sub, "a.zone_temp", lambda o: o.value == 24.0)).value == 24
            a["binary-output,1"].presentValue = "active"
            assert (await observation(sub, "a.fan_cmd", lambda o: o.value is True)).value is True
            await eventually(lambda: bacnet.stats()["cov_renewed"] >= 2, within_s=5)  # both
            first_renewal = time.monotonic() - subscribed
            await eventually(lambda: bacnet.stats()["cov_renewed"] >= 4, within_s=5)
            past = time.monotonic() - subscribed  # the first lifetime is over: renewed or gone
            a["analog-input,1"].presentValue = 26.5
            late = await observation(sub, "a.zone_temp", lambda o: o.value == 26.5)
            held = a.subscriptions("analog-input,1")
            stats = bacnet.stats()
    assert RENEW_AT * LIFETIME_S - 0.2 < first_renewal < LIFETIME_S  # renewed before expiry
    assert past > LIFETIME_S
    assert late.quality is Quality.GOOD
    assert held == 1
    assert stats["requests.read_property_multiple"] == 1  # the first poll, before COV
    assert stats["cov_notifications"] >= 4
    assert stats["cov_lost"] == 0


async def test_a_fault_reported_by_cov_makes_the_value_bad() -> None:
    async with devices(PeerDevice(A, free_port())) as (a,):
        points = [(point("a.zone_temp"), binding(A, "analog-input,1", cov=True))]
        bus = MemoryBus()
        sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
        bacnet = connector([device_config(a, poll_s=3600)], points, bus)
        async with running(bacnet):
            await eventually(lambda: bacnet.stats()["cov_active"] == 1, within_s=5)
            a.set_reliability("analog-input,1", "over-range")
            bad = await observation(sub, "a.zone_temp", lambda o: o.quality is Quality.BAD)
    assert bad.value == 21.5


async def test_an_object_without_cov_is_polled_instead() -> None:
    async with devices(PeerDevice(A, free_port())) as (a,):
        points = [(point("a.static"), binding(A, "analog-value,4", cov=True))]
        bus = MemoryBus()
        sub = bus.subscribe("obs.>", name="test", maxsize=10_000)
        bacnet = connector([device_config(a)], points, bus)
        async with running(bacnet):
            await eventually(lambda: bacnet.stats()["cov_refused"] == 1, within_s=5)
            a["analog-value,4"].presentValue = 300.0
            polled = await observation(sub, "a.static", lambda o: o.value == 300.0)
            stats = bacnet.stats()
    assert polled.quality is Quality.GOOD
    assert stats["cov_active"] == 0
    assert stats["requests.subscribe_cov"] == 1  # refused once, not asked again
