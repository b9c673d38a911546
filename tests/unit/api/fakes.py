"""Small in-memory stand-ins for the model, the history store and the status source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from penworks.core import DeadLetter, ModelError, Observation, Point, StoreError, UnknownPointError
from penworks.model import Entity, EntityKind, UnknownEntityError
from penworks.model.schema import SiteDef
from penworks.store import Aggregate, DeadLetterCount

# Brick classes the fake knows, with their parent: enough to test subclass matching.
BRICK_PARENTS = {
    "Point": None,
    "Sensor": "Point",
    "Temperature_Sensor": "Sensor",
    "Zone_Air_Temperature_Sensor": "Temperature_Sensor",
    "Occupancy_Sensor": "Sensor",
    "Setpoint": "Point",
    "Zone_Air_Temperature_Setpoint": "Setpoint",
}


def _is_a(brick: str, ancestor: str) -> bool:
    current: str | None = brick
    while current is not None:
        if current == ancestor:
            return True
        current = BRICK_PARENTS.get(current)
    return False


class FakeModel:
    """A ModelView over a fixed list of points; entities are the prefixes of their ids (the
    access policy reads them too: their tenant is that of the points they hold, if one)."""

    def __init__(self, definition: SiteDef, points: Sequence[Point]) -> None:
        self.definition = definition
        self._points = list(points)
        self._by_id = {p.id: p for p in points}
        self._entities = {p.id.rsplit(".", 1)[0] for p in points} | {
            ".".join(p.id.split(".")[:n]) for p in points for n in range(1, p.id.count(".") + 1)
        }

    def point(self, point_id: str) -> Point:
        try:
            return self._by_id[point_id]
        except KeyError:
            raise UnknownPointError(point_id) from None

    def points(self) -> list[Point]:
        return list(self._points)

    def has_point(self, point_id: str) -> bool:
        return point_id in self._by_id

    def entity(self, entity_id: str) -> Entity:
        if entity_id not in self._entities and entity_id not in self._by_id:
            raise UnknownEntityError(entity_id)
        parent, _, local = entity_id.rpartition(".")
        tenants = {p.tenant for p in self._points if p.id.startswith(entity_id + ".")}
        return Entity(
            entity_id,
            local,
            local,
            "Location",
            EntityKind.SPACE,
            parent=parent or None,
            tenant=tenants.pop() if len(tenants) == 1 else None,
        )

    def find_entities(self, brick: str | None = None, within: str | None = None) -> list[Entity]:
        if brick is not None and brick not in BRICK_PARENTS:
            return []  # the fake knows only point classes
        return [
            self.entity(e)
            for e in sorted(self._entities)
            if within is None or e.startswith(within + ".")
        ]

    def find_points(self, brick: str | None = None, within: str | None = None) -> list[Point]:
        if brick is not None and brick not in BRICK_PARENTS:
            raise ModelError(f"unknown Brick class {brick!r}")
        if within is not None:
            self.entity(within)
        return [
            p
            for p in self._points
            if (brick is None or _is_a(p.brick, brick))
            and (within is None or p.id.startswith(within + "."))
        ]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.definition.id,
            "name": self.definition.name,
            "points": [p.id for p in self._points],
        }


class MemoryHistory:
    """A History that keeps everything in lists; `failing` makes every call a StoreError."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, datetime], Observation] = {}
        self.letters: list[DeadLetter] = []
        self.failing = False
        self.range_calls: list[dict[str, Any]] = []
        self.latest_calls: list[Sequence[str] | None] = []

    def _check(self) -> None:
        if self.failing:
            raise StoreError("disk I/O error")

    async def open(self) -> None:
        self._check()

    async def close(self) -> None:
        self._check()

    async def append(self, observations: Sequence[Observation]) -> int:
        self._check()
        new = [o for o in observations if (o.point, o.ts) not in self.rows]
        for o in observations:
            self.rows[(o.point, o.ts)] = o
        return len(new)

    async def latest(self, points: Sequence[str] | None = None) -> dict[str, Observation]:
        self._check()
        self.latest_calls.append(points)
        newest: dict[str, Observation] = {}
        for o in sorted(self.rows.values(), key=lambda o: o.ts):
            if points is None or o.point in points:
                newest[o.point] = o
        return newest

    async def range(
        self,
        point: str,
        start: datetime,
        end: datetime,
        agg: Aggregate = Aggregate.RAW,
        interval: timedelta | None = None,
        limit: int = 100_000,
    ) -> list[Observation]:
        self._check()
        self.range_calls.append(
            {"point": point, "start": start, "end": end, "agg": agg, "interval": interval}
        )
        found = sorted(
            (o for o in self.rows.values() if o.point == point and start <= o.ts < end),
            key=lambda o: o.ts,
        )
        if agg is Aggregate.RAW or interval is None:
            return found[:limit]
        return _aggregated(found, agg, interval)[:limit]

    async def count(self, point: str | None = None) -> int:
        self._check()
        return sum(1 for o in self.rows.values() if point is None or o.point == point)

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self._check()
        self.letters.extend(letters)

    async def dead_letters(self, source: str | None = None, limit: int = 100) -> list[DeadLetter]:
        self._check()
        newest = sorted(self.letters, key=lambda d: d.ts, reverse=True)
        return [d for d in newest if source is None or d.source == source][:limit]

    async def dead_letter_counts(self) -> list[DeadLetterCount]:
        self._check()
        groups: dict[tuple[str, str, str], list[DeadLetter]] = {}
        for d in self.letters:
            groups.setdefault((d.source, d.channel, d.reason), []).append(d)
        return [
            DeadLetterCount(*key, count=len(group), last_ts=max(d.ts for d in group))
            for key, group in sorted(groups.items())
        ]


def _aggregated(found: list[Observation], agg: Aggregate, interval: timedelta) -> list[Observation]:
    step = interval.total_seconds()
    buckets: dict[float, list[Observation]] = {}
    for o in found:
        buckets.setdefault(o.ts.timestamp() // step * step, []).append(o)
    return [
        Observation(
            group[0].point,
            datetime.fromtimestamp(start, group[0].ts.tzinfo),
            _summarise(agg, [o.value for o in group]),
        )
        for start, group in sorted(buckets.items())
    ]


def _summarise(agg: Aggregate, values: list[Any]) -> Any:
    if agg is Aggregate.AVG:
        return sum(values) / len(values)
    if agg is Aggregate.MIN:
        return min(values)
    if agg is Aggregate.MAX:
        return max(values)
    return values[-1]


class FakeStatus:
    """A StatusSource that reports whatever the test puts in `report`."""

    def __init__(self, report: dict[str, Any] | None = None) -> None:
        self.report: dict[str, Any] = report or {}
        self.error: Exception | None = None

    async def status(self) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        return self.report
