"""The connector before any server answers: refusals, reads, health and counters."""

from __future__ import annotations

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import Connector, DeviceState
from penworks.connectors.opcua import OpcuaConnector
from penworks.core import (
    CommandRejected,
    ConnectorError,
    PointKind,
    RealClock,
    UnknownPointError,
)
from tests.unit.connectors.opcua.peer import binding, connector_config, point

SETPOINT = "b15.lift1.setpoint"
POSITION = "b15.lift1.position"


def make() -> OpcuaConnector:
    points = [
        (point(POSITION), binding("Lift1.Position")),
        (point(SETPOINT, writable=True, min=0.0, max=2.5), binding("Lift1.Setpoint")),
        (point("b15.lift1.door", PointKind.BOOL, writable=True), binding("Lift1.DoorOpen")),
    ]
    return OpcuaConnector(
        connector_config("opc.tcp://127.0.0.1:1/"), points, MemoryBus(), RealClock()
    )


def test_it_is_a_connector_named_by_its_config() -> None:
    connector: Connector = make()
    assert connector.name == "opcua"


@pytest.mark.parametrize(
    ("point_id", "value", "why"),
    [
        ("b15.elsewhere", 1.0, "not a point of connector opcua"),
        (POSITION, 1.0, "the point is not writable"),
        (SETPOINT, -1.0, "below the point's minimum 0.0"),
        (SETPOINT, True, "expected a number"),
        ("b15.lift1.door", 0.5, "expected a bool"),
    ],
)
async def test_commands_that_must_not_reach_a_server_are_refused(
    point_id: str, value: float, why: str
) -> None:
    connector = make()
    with pytest.raises(CommandRejected, match=why):
        await connector.write(point_id, value)
    assert connector.stats()["commands_rejected"] == 1


async def test_relinquish_is_refused_since_opc_ua_has_no_priority_array() -> None:
    with pytest.raises(CommandRejected, match="no priority array"):
        await make().relinquish(SETPOINT, 8)


async def test_a_valid_write_without_a_session_is_a_connector_error() -> None:
    with pytest.raises(ConnectorError, match="server lifts is not connected"):
        await make().write(SETPOINT, 1.0)


async def test_reads_without_a_session_give_what_is_known() -> None:
    connector = make()
    assert await connector.read(POSITION) is None
    with pytest.raises(UnknownPointError):
        await connector.read("b15.elsewhere")


def test_health_and_counters_start_offline_and_at_zero() -> None:
    connector = make()
    [report] = connector.health()
    assert (report.connector, report.device, report.state) == (
        "opcua",
        "lifts",
        DeviceState.OFFLINE,
    )
    assert report.detail == "not contacted yet"
    stats = connector.stats()
    assert stats["points"] == 3
    assert {k: v for k, v in stats.items() if k != "points"} == dict.fromkeys(
        [k for k in stats if k != "points"], 0
    )
