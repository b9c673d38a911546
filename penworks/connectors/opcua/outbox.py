"""Where every server link puts what it makes of its data: observations, dead letters, counts.

One Outbox per connector: it turns a DataValue of a point into an Observation (or a
DeadLetter saying why not), remembers each point's latest observation, and counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime

from asyncua import ua

from penworks.bus import Bus, dead_letter_subject
from penworks.connectors.opcua.points import PointEntry
from penworks.connectors.opcua.values import data_time, quality_of, raw_value
from penworks.core import DeadLetter, Observation, PayloadError, Quality


class Outbox:
    """Observations and dead letters of one connector, on its bus."""

    def __init__(self, name: str, bus: Bus, now: Callable[[], datetime]) -> None:
        self.name = name
        self._bus = bus
        self._now = now
        self._dead_subject = dead_letter_subject(name)
        self._latest: dict[str, Observation] = {}
        self.counts: Counter[str] = Counter()

    def latest(self, point_id: str) -> Observation | None:
        return self._latest.get(point_id)

    async def value(self, entry: PointEntry, data: ua.DataValue) -> Quality | None:
        """Publish what a DataValue says of a point; its quality, or None if nothing went out.

        Bad (and valueless uncertain) data repeats the last value with its quality; data
        that cannot become the point's value is a dead letter.
        """
        status = data.StatusCode
        if status is None or status.is_good():
            return await self._convert(entry, data, Quality.GOOD)
        quality = quality_of(status)
        if quality is Quality.UNCERTAIN and raw_value(data) is not None:
            return await self._convert(entry, data, quality)
        last = self._latest.get(entry.point.id)
        if last is None:
            return None
        ts = data_time(data, self._now)
        await self._publish(entry, Observation(last.point, ts, last.value, quality))
        return quality

    async def _convert(
        self, entry: PointEntry, data: ua.DataValue, quality: Quality
    ) -> Quality | None:
        raw = raw_value(data)
        try:
            value = entry.convert(raw)
        except PayloadError as exc:
            await self.dead_letter(entry, str(exc), raw)
            return None
        ts = data_time(data, self._now)
        await self._publish(entry, Observation(entry.point.id, ts, value, quality))
        return quality

    async def bad(self, entries: Iterable[PointEntry]) -> None:
        """Repeat the last value of each point as bad (the server is gone)."""
        now = self._now()
        for entry in entries:
            last = self._latest.get(entry.point.id)
            if last is not None and last.quality is not Quality.BAD:
                await self._publish(entry, Observation(last.point, now, last.value, Quality.BAD))

    async def _publish(self, entry: PointEntry, observation: Observation) -> None:
        self._latest[observation.point] = observation
        self.counts["observations"] += 1
        await self._bus.publish(entry.subject, observation)

    async def dead_letter(self, entry: PointEntry, reason: str, raw: object) -> None:
        self.counts["dead_letters"] += 1
        payload = repr(raw).encode("utf-8", errors="replace")
        letter = DeadLetter(self.name, entry.channel, self._now(), reason, payload)
        await self._bus.publish(self._dead_subject, letter)
