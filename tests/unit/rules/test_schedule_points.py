"""Schedules as points: bound bool points follow their schedule, published at each change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from penworks.bus import MemoryBus, Subscription
from penworks.connectors import DeviceState
from penworks.core import (
    CommandRejected,
    ConfigError,
    Point,
    PointKind,
    SimClock,
    UnknownPointError,
)
from penworks.model import SiteModel
from penworks.model.schema import HealthBinding, ScheduleBinding
from penworks.rules.schedule_points import (
    ScheduleConnector,
    build_schedule_connector,
    check_schedule_bindings,
)
from penworks.rules.schedules import ScheduleBook
from penworks.rules.schedules_config import SchedulesConfig
from tests.unit.connectors.support import next_observation

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 3, 7, 40, tzinfo=SHANGHAI)  # a Tuesday
SPEED = 10_000  # 20 minutes of the schedule pass in 0.12 s


def book() -> ScheduleBook:
    config = SchedulesConfig.model_validate(
        {
            "schedules": [
                {"id": "office", "weekly": {"daily": ["08:00-08:20"]}},
                {"id": "lobby", "weekly": {"daily": "00:00-24:00"}},
            ]
        }
    )
    return ScheduleBook(config, {})


def bound(point_id: str, schedule: str, **kw: object) -> tuple[Point, ScheduleBinding]:
    fields: dict[str, object] = {"kind": PointKind.BOOL} | kw
    point = Point(point_id, "On_Off_Status", **fields)  # type: ignore[arg-type]
    return point, ScheduleBinding(connector="schedule", schedule=schedule)


@contextlib.asynccontextmanager
async def running(connector: ScheduleConnector, bus: MemoryBus) -> AsyncIterator[Subscription]:
    sub = bus.subscribe("obs.>", name="test", maxsize=1000)
    task = asyncio.create_task(connector.run())
    try:
        yield sub
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sub.close()


def of(point_id: str) -> object:
    return lambda o: o.point == point_id


async def test_points_are_published_at_start_and_at_each_change() -> None:
    clock = SimClock(START, speed=SPEED)
    bus = MemoryBus()
    points = [bound("b15.f3.occupied", "office"), bound("b15.lobby.open", "lobby")]
    connector = ScheduleConnector(points, book(), bus, clock)
    async with running(connector, bus) as sub:
        first = [await next_observation(sub), await next_observation(sub)]
        assert {(o.point, o.value) for o in first} == {
            ("b15.f3.occupied", False),
            ("b15.lobby.open", True),
        }
        on = await next_observation(sub, of("b15.f3.occupied"))
        assert on.value is True
        assert on.ts >= datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
        off = await next_observation(sub, of("b15.f3.occupied"))
        assert off.value is False
        assert off.ts >= datetime(2026, 3, 3, 8, 20, tzinfo=SHANGHAI)
        lobby = await connector.read("b15.lobby.open")
        assert lobby is not None
        assert lobby.value is True
        assert lobby in first
    stats = connector.stats()
    assert stats["changes"] == 2
    assert stats["observations"] == 4
    assert stats["points"] == 2


async def test_a_reloaded_book_is_followed_at_once() -> None:
    clock = SimClock(START, speed=1)  # real time: only the reload can change anything
    bus = MemoryBus()
    connector = ScheduleConnector([bound("b15.f3.occupied", "lobby")], book(), bus, clock)
    async with running(connector, bus) as sub:
        assert (await next_observation(sub)).value is True
        closed = SchedulesConfig.model_validate(
            {"schedules": [{"id": "lobby", "weekly": {"daily": []}}]}
        )
        connector.replace_book(ScheduleBook(closed, {}))
        assert (await next_observation(sub)).value is False
        with pytest.raises(ConfigError, match="unknown schedule 'lobby'"):
            connector.replace_book(ScheduleBook(SchedulesConfig(), {}))


async def test_schedule_points_are_read_only_and_always_online() -> None:
    connector = ScheduleConnector(
        [bound("b15.f3.occupied", "office")], book(), MemoryBus(), SimClock(START)
    )
    with pytest.raises(CommandRejected, match="read-only"):
        await connector.write("b15.f3.occupied", True)
    with pytest.raises(CommandRejected, match="read-only"):
        await connector.relinquish("b15.f3.occupied", 8)
    with pytest.raises(UnknownPointError):
        await connector.read("b15.f3.nothing")
    async with asyncio.timeout(1):
        await connector.wait_state(DeviceState.ONLINE)
    assert connector.health() == []
    assert await connector.scan(1) == []


def test_bindings_to_unknown_schedules_or_unfit_points_are_refused() -> None:
    health = HealthBinding(connector="health", source="modbus", device="pm1", field="online")
    points = [
        bound("b15.f3.a", "office"),
        bound("b15.f3.b", "offce"),
        bound("b15.f3.c", "lobby", kind=PointKind.NUMBER),
        bound("b15.f3.d", "lobby", writable=True),
        (Point("b15.f3.e", "On_Off_Status", kind=PointKind.BOOL), health),
    ]
    assert check_schedule_bindings(points, book()) == [
        "b15.f3.b: bound to unknown schedule 'offce' (known: office, lobby)",
        "b15.f3.c: a schedule point must be of kind bool, not number",
        "b15.f3.d: a schedule point is read-only (writable: false)",
    ]
    with pytest.raises(ConfigError, match="b15.f3.b: bound to unknown schedule 'offce'"):
        ScheduleConnector(points[:2], book(), MemoryBus(), SimClock(START))


SITE = """\
id: tiny
name: Tiny site
timezone: Asia/Shanghai
brick_version: "1.4"
buildings:
  - id: b15
    floors:
      - id: f3
        level: 3
        points:
          - id: occupied
            brick: On_Off_Status
            kind: bool
            binding: {connector: schedule, schedule: office}
          - id: temp
            brick: Zone_Air_Temperature_Sensor
            unit: degC
"""


def test_a_site_binds_points_to_schedules(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    model = SiteModel.load(path)
    binding = model.binding("b15.f3.occupied")
    assert isinstance(binding, ScheduleBinding)
    assert binding.schedule == "office"
    connector = build_schedule_connector(model, book(), MemoryBus(), SimClock(START))
    assert connector is not None
    assert connector.stats()["points"] == 1
    with pytest.raises(ConfigError, match="no schedules file: b15.f3.occupied"):
        build_schedule_connector(model, None, MemoryBus(), SimClock(START))
    path.write_text(SITE.replace("schedule: office", "schedule: Office"), encoding="utf-8")
    with pytest.raises(ConfigError, match="schedule"):
        SiteModel.load(path)
