"""Commands the connector refuses before sending anything, and what it offers before it runs."""

from __future__ import annotations

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import DeviceState
from penworks.connectors.bacnet import BacnetConnector
from penworks.core import (
    CommandRejected,
    ConfigError,
    ConnectorError,
    PointKind,
    RealClock,
    UnknownPointError,
)
from tests.unit.connectors.bacnet.support import binding, config, device_config, point

A = 1501


def bacnet() -> BacnetConnector:
    points = [
        (point("a.temp", writable=True), binding(A, "analog-input,1")),
        (point("a.damper", writable=True, min=0, max=100), binding(A, "analog-output,1")),
        (point("a.damper_rd", writable=True), binding(A, "analog-output,1",
                                                      property="relinquish-default")),
        (point("a.fan", PointKind.BOOL, writable=True), binding(A, "binary-output,1")),
        (point("a.mode", writable=True), binding(A, "multi-state-output,1", write_priority=6)),
        (point("a.status", PointKind.BOOL), binding(A, "binary-input,1")),
        (point("a.schedule", writable=True), binding(A, "schedule,1")),
    ]  # fmt: skip
    return BacnetConnector(
        config(device_config(A, address="127.0.0.1:47808")), points, MemoryBus(), RealClock()
    )


@pytest.mark.parametrize(
    ("point_id", "value", "priority", "why"),
    [
        ("a.nowhere", 1.0, None, "not a point of connector bacnet"),
        ("a.status", True, None, "not writable"),
        ("a.temp", 20.0, None, "analog-input,1 is an input"),
        ("a.damper_rd", 5.0, None, "commands write present-value"),
        ("a.schedule", 1.0, None, "schedule objects take no commands"),
        ("a.damper", 100.5, None, "above the point's maximum 100"),
        ("a.damper", -1, None, "below the point's minimum 0"),
        ("a.damper", "half", None, "expected a number"),
        ("a.damper", 50.0, 17, "priority must be 1..16"),
        ("a.damper", 50.0, 6, "reserved for minimum on/off"),
        ("a.fan", 1.5, None, "expected a bool"),
        ("a.mode", 2, None, "priority 6"),  # the binding's own priority
        ("a.mode", 2.5, 8, "whole number"),
    ],
)
async def test_refused_before_sending(
    point_id: str, value: object, priority: int | None, why: str
) -> None:
    connector = bacnet()
    with pytest.raises(CommandRejected, match=why):
        await connector.write(point_id, value, priority)  # type: ignore[arg-type]
    assert connector.stats()["requests.write_property"] == 0


async def test_relinquish_is_refused_for_what_takes_no_commands() -> None:
    connector = bacnet()
    with pytest.raises(CommandRejected, match="is an input"):
        await connector.relinquish("a.temp")
    with pytest.raises(CommandRejected, match="not writable"):
        await connector.relinquish("a.status", 8)


async def test_a_good_command_needs_the_device_found() -> None:
    with pytest.raises(ConnectorError, match="device 1501 has not been found yet"):
        await bacnet().write("a.damper", 50.0, 8)


async def test_before_it_runs() -> None:
    connector = bacnet()
    (health,) = connector.health()
    assert (health.connector, health.device, health.state) == (
        "bacnet",
        "1501",
        DeviceState.OFFLINE,
    )
    assert await connector.read("a.damper") is None
    with pytest.raises(UnknownPointError):
        await connector.read("a.nowhere")
    assert await connector.scan(0.1) == []
    assert set(connector.stats()) >= {"reads", "observations", "dead_letters", "errors", "writes"}
    assert all(n == 0 for n in connector.stats().values())


def test_points_of_devices_not_configured_fail_at_start() -> None:
    with pytest.raises(ConfigError, match="a.temp"):
        BacnetConnector(
            config(device_config(A + 1, address="127.0.0.1:47808")),
            [(point("a.temp"), binding(A, "analog-input,1"))],
            MemoryBus(),
            RealClock(),
        )
