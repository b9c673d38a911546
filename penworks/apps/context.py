"""AppContext: everything an app may use, and nothing that goes around control.

The host builds one per app. Model queries go to the site model, live data to bounded bus
subscriptions, history to the store, commands to `ControlService` as `Actor(APP, <app id>)`
at the app's priority (the control file's permission for apps decides what it may use),
alarms to the alarm book as conditions of rule `app.<app id>.<name>`, and events to
`event.app.<app id>.<name>`.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from penworks.apps.streams import EventStream, ObservationStream
from penworks.apps.types import AppError
from penworks.bus import Bus, Overflow, Subscription, validate_pattern
from penworks.control import Actor, ActorKind, CommandOutcome, CommandRequest, ControlService
from penworks.core import Clock, Observation, Point, Value
from penworks.model import SiteModel
from penworks.model.entities import Entity, EntityKind
from penworks.model.select import PointSelector, anchor_places, select_points
from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.sinks import AlarmCondition, AlarmSink
from penworks.store import Aggregate, History

S = TypeVar("S", bound=BaseModel)

NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # one subject token: alarm and event names


class AppContext:
    """What one app is handed: its settings, clock and logger, and the platform's services."""

    def __init__(
        self,
        app_id: str,
        *,
        settings: BaseModel,
        priority: int,
        model: SiteModel,
        bus: Bus,
        history: History,
        control: ControlService,
        alarms: AlarmSink,
        clock: Clock,
        queue_size: int = 10_000,
    ) -> None:
        self.app_id = app_id
        self.settings = settings
        self.priority = priority
        self.clock = clock
        self.log = logging.getLogger(f"penworks.apps.{app_id}")
        self.model = model
        self._bus = bus
        self._history = history
        self._control = control
        self._alarms = alarms
        self._queue_size = queue_size
        self._actor = Actor(ActorKind.APP, app_id)
        self._streams = itertools.count(1)

    def settings_as(self, kind: type[S]) -> S:
        """The app's validated settings as its own model (AppError if they are not)."""
        if not isinstance(self.settings, kind):
            raise AppError(f"app {self.app_id}: settings are {type(self.settings).__name__}")
        return self.settings

    # The model

    def points(self, selector: PointSelector, anchor: Point | None = None) -> list[Point]:
        """The points a selector names (by Brick class, place, pattern, what they serve);
        placeholders such as {space} resolve around `anchor`."""
        return select_points(self.model, selector, anchor)

    def find_points(self, brick: str | None = None, within: str | None = None) -> list[Point]:
        """Points of a Brick class (and subclasses) inside an entity."""
        return self.model.find_points(brick=brick, within=within)

    def point(self, point_id: str) -> Point:
        return self.model.point(point_id)

    def entity(self, entity_id: str) -> Entity:
        return self.model.entity(entity_id)

    def entities(self, brick: str | None = None, within: str | None = None) -> list[Entity]:
        """Buildings, floors, spaces and equipment of a Brick class inside an entity."""
        return self.model.find_entities(brick=brick, within=within)

    def feeds(self, entity_id: str) -> list[Entity]:
        """What the equipment feeds (air, water, power)."""
        return self.model.feeds(entity_id)

    def fed_by(self, entity_id: str) -> list[Entity]:
        return self.model.fed_by(entity_id)

    def places(self, point: Point) -> dict[str, str]:
        """The point's building, floor, space, holder and equipment (those it has)."""
        return anchor_places(self.model, point)

    # Live data

    def subscribe(
        self, points: PointSelector | Iterable[str], *, maxsize: int = 1_000
    ) -> ObservationStream:
        """Observations of the selected points from now on (open before the first await
        that could miss one); the oldest are dropped, and counted, if the app lags."""
        if isinstance(points, PointSelector):
            wanted = frozenset(p.id for p in self.points(points))
        else:
            wanted = frozenset(self.model.point(p).id for p in points)
        subscription = self._subscribe("obs.>", "obs", maxsize)
        return ObservationStream(subscription, wanted)

    def events(self, pattern: str = "event.>", *, maxsize: int = 1_000) -> EventStream:
        """Events on `event.<...>` subjects matching `pattern` (NATS-style `*` and `>`)."""
        if not pattern.startswith("event."):
            raise AppError(f"app {self.app_id}: event patterns start with 'event.': {pattern}")
        validate_pattern(pattern)
        return EventStream(self._subscribe(pattern, "events", maxsize))

    def _subscribe(self, pattern: str, kind: str, maxsize: int) -> Subscription:
        name = f"app.{self.app_id}.{kind}.{next(self._streams)}"
        size = min(maxsize, self._queue_size)
        return self._bus.subscribe(pattern, name=name, maxsize=size, overflow=Overflow.DROP_OLDEST)

    # History

    async def latest(self, points: Sequence[str]) -> dict[str, Observation]:
        """The last stored observation of each point that has one."""
        return await self._history.latest([self.model.point(p).id for p in points])

    async def range(
        self,
        point: str,
        start: datetime,
        end: datetime,
        agg: Aggregate = Aggregate.RAW,
        interval: timedelta | None = None,
        limit: int = 100_000,
    ) -> list[Observation]:
        """Stored observations with start <= ts < end, raw or one per interval."""
        self.model.point(point)
        return await self._history.range(point, start, end, agg, interval, limit)

    # Commands

    async def command(
        self,
        point: str,
        value: Value | None,
        *,
        reason: str,
        idempotency_key: str | None = None,
        expires_at: datetime | None = None,
    ) -> CommandOutcome:
        """Command a point at the app's priority through the command path (value None:
        relinquish the app's level). Refusals come back as the outcome, not as errors."""
        request = CommandRequest(
            point=point,
            value=value,
            priority=self.priority,
            actor=self._actor,
            reason=reason or f"app {self.app_id}",
            idempotency_key=idempotency_key,
            expires_at=expires_at,
        )
        return await self._control.submit(request)

    # Alarms and events

    async def raise_alarm(
        self,
        name: str,
        message: str,
        *,
        point: str | None = None,
        area: str | None = None,
        priority: AlarmPriority = AlarmPriority.MEDIUM,
        value: Value | None = None,
    ) -> str:
        """Raise (or keep) the app's alarm `name` on a point (or app-wide); its alarm id."""
        return await self._alarm(name, True, message, point, area, priority, value)

    async def clear_alarm(
        self,
        name: str,
        *,
        point: str | None = None,
        area: str | None = None,
        message: str = "returned to normal",
        priority: AlarmPriority = AlarmPriority.MEDIUM,
    ) -> str:
        """The condition of the app's alarm `name` is gone; its alarm id."""
        return await self._alarm(name, False, message, point, area, priority, None)

    async def _alarm(
        self,
        name: str,
        active: bool,
        message: str,
        point: str | None,
        area: str | None,
        priority: AlarmPriority,
        value: Value | None,
    ) -> str:
        rule = f"app.{self.app_id}.{self._name(name)}"
        alarm_id = rule if point is None else f"{rule}:{self.model.point(point).id}"
        change = AlarmCondition(
            alarm_id=alarm_id,
            rule=rule,
            point=point,
            area=area or self._area(point),
            priority=priority,
            message=message,
            active=active,
            ts=self.clock.now(),
            value=value,
        )
        await self._alarms.condition(change)
        return alarm_id

    def _area(self, point: str | None) -> str:
        """The point's floor, else its building; without a point the first building."""
        if point is not None:
            places = self.places(self.model.point(point))
            return places.get("floor") or places.get("building") or places["holder"]
        buildings = [e for e in self.model.entities() if e.kind is EntityKind.BUILDING]
        return buildings[0].id if buildings else self.app_id

    async def publish(self, name: str, data: dict[str, Any]) -> None:
        """Publish an app event on `event.app.<app id>.<name>`."""
        subject = f"event.app.{self.app_id}.{self._name(name)}"
        event = {"app": self.app_id, "name": name, "ts": self.clock.now().isoformat(), **data}
        await self._bus.publish(subject, event)

    def _name(self, name: str) -> str:
        if not NAME.match(name):
            raise AppError(f"app {self.app_id}: {name!r} is not a name (a-z, 0-9, _)")
        return name
