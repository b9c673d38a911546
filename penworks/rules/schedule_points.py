"""Schedules as points: bool points bound with ``connector: schedule`` follow their schedule.

The ScheduleConnector publishes each bound point's on/off at start and at every change, so
rules, apps, history and the API read a schedule like any other point. Between changes it
sleeps on the clock until the next change of any bound schedule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from penworks.bus import Bus, observation_subject
from penworks.core import (
    Clock,
    CommandRejected,
    ConfigError,
    Observation,
    Point,
    PointKind,
    UnknownPointError,
    Value,
)
from penworks.core.clock import sleep_or_wake
from penworks.model import SiteModel
from penworks.model.schema import Binding, ScheduleBinding
from penworks.rules.schedules import ScheduleBook
from penworks.rules.sinks import ScheduleSource

log = logging.getLogger(__name__)

CONNECTOR = "schedule"
MAX_SLEEP_S = 3600.0  # look again at least hourly (clock jumps, a year with no change)


def check_schedule_bindings(
    points: Iterable[tuple[Point, Binding]], schedules: ScheduleSource
) -> list[str]:
    """Why points bound to schedules cannot follow them: unknown schedule, not a read-only bool."""
    known = schedules.schedule_ids()
    errors = []
    for point, binding in points:
        if not isinstance(binding, ScheduleBinding):
            continue
        if binding.schedule not in known:
            errors.append(
                f"{point.id}: bound to unknown schedule {binding.schedule!r} "
                f"(known: {', '.join(known) or 'none, no schedules file'})"
            )
        if point.kind is not PointKind.BOOL:
            errors.append(f"{point.id}: a schedule point must be of kind bool, not {point.kind}")
        if point.writable:
            errors.append(f"{point.id}: a schedule point is read-only (writable: false)")
    return errors


def schedule_points(model: SiteModel) -> list[tuple[Point, ScheduleBinding]]:
    """(point, binding) of every point of the model bound to a schedule."""
    return [(p, b) for p, b in model.bindings(CONNECTOR) if isinstance(b, ScheduleBinding)]


def build_schedule_connector(
    model: SiteModel, book: ScheduleBook | None, bus: Bus, clock: Clock
) -> ScheduleConnector | None:
    """The connector of the model's schedule points (None when it has none).

    ConfigError when a point is bound to a schedule the book does not have (or there is no
    schedules file at all), or is not a read-only bool.
    """
    points = schedule_points(model)
    if not points:
        return None
    if book is None:
        ids = ", ".join(p.id for p, _ in points[:5])
        raise ConfigError(
            f"points are bound to schedules but there is no schedules file: {ids} "
            "(name one under automation.schedules in the platform config)"
        )
    return ScheduleConnector(points, book, bus, clock)


class ScheduleConnector:
    """Publishes the observations of schedule points; read-only; always online."""

    def __init__(
        self,
        points: Sequence[tuple[Point, ScheduleBinding]],
        book: ScheduleBook,
        bus: Bus,
        clock: Clock,
        *,
        name: str = CONNECTOR,
    ) -> None:
        if errors := check_schedule_bindings(points, book):
            raise ConfigError("schedule points refused:\n" + "\n".join(errors))
        self.name = name
        self._points = {p.id: (p, b) for p, b in points}
        self._book = book
        self._bus = bus
        self._clock = clock
        self._latest: dict[str, Observation] = {}
        self._wake = asyncio.Event()
        self._observations = 0
        self._changes = 0
        self._wakeups = 0

    def replace_book(self, book: ScheduleBook) -> None:
        """Follow a reloaded schedules file from now on; ConfigError if a binding breaks."""
        if errors := check_schedule_bindings(((p, b) for p, b in self._points.values()), book):
            raise ConfigError("schedules refused:\n" + "\n".join(errors))
        self._book = book
        self._wake.set()

    async def run(self) -> None:
        """Publish at start and at every change, until cancelled."""
        while True:
            now = self._clock.now()
            await self._publish_changes(now)
            await self._sleep_until(self._next_change(now), now)
            self._wakeups += 1

    async def _publish_changes(self, now: datetime) -> None:
        for point, binding in self._points.values():
            value = self._book.is_on(binding.schedule, now)
            previous = self._latest.get(point.id)
            if previous is not None and previous.value == value:
                continue
            if previous is not None:
                self._changes += 1
                log.info("%s: %s is now %s", self.name, point.id, "on" if value else "off")
            observation = Observation(point.id, now, value)
            self._latest[point.id] = observation
            self._observations += 1
            await self._bus.publish(observation_subject(point.id), observation)

    def _next_change(self, now: datetime) -> datetime | None:
        changes = [
            change
            for schedule in {b.schedule for _, b in self._points.values()}
            if (change := self._book.next_change(schedule, now)) is not None
        ]
        return min(changes, default=None)

    async def _sleep_until(self, change: datetime | None, now: datetime) -> None:
        seconds = MAX_SLEEP_S if change is None else (change - now).total_seconds()
        try:
            await sleep_or_wake(self._clock, min(max(seconds, 0.0), MAX_SLEEP_S), self._wake)
        finally:
            self._wake.clear()

    async def read(self, point_id: str) -> Observation | None:
        if point_id not in self._points:
            raise UnknownPointError(point_id)
        return self._latest.get(point_id)

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        raise CommandRejected(f"{point_id}: schedule points are read-only; change the schedule")

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        raise CommandRejected(f"{point_id}: schedule points are read-only; change the schedule")

    async def scan(self, seconds: float) -> list[object]:
        return []

    async def wait_state(self, state: object) -> None:
        if str(state) != "online":
            await asyncio.Event().wait()  # always online: waits for ever on another state

    def health(self) -> list[object]:
        return []

    def stats(self) -> dict[str, int]:
        return {
            "points": len(self._points),
            "observations": self._observations,
            "changes": self._changes,
            "wakeups": self._wakeups,
        }
