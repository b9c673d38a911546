"""Device values onto the bus: observations, bad-quality marks and dead letters."""

from __future__ import annotations

import logging
from collections import Counter

from penworks.bus import Bus, dead_letter_subject, observation_subject
from penworks.connectors.bacnet.points import BoundPoint
from penworks.connectors.bacnet.values import describe, point_value
from penworks.core import Clock, DeadLetter, Observation, PayloadError, Quality

log = logging.getLogger(__name__)


class Publisher:
    """Publishes for one connector, and keeps the latest observation of each point."""

    def __init__(self, name: str, bus: Bus, clock: Clock, counts: Counter[str]) -> None:
        self._name = name
        self._bus = bus
        self._clock = clock
        self._counts = counts
        self._dead_subject = dead_letter_subject(name)
        self._latest: dict[str, Observation] = {}

    def latest(self, point_id: str) -> Observation | None:
        return self._latest.get(point_id)

    async def reading(self, bp: BoundPoint, raw: object, quality: Quality) -> Observation | None:
        """An observation of a value the device sent, or a dead letter if it does not fit."""
        try:
            value = point_value(bp.point, raw)
        except PayloadError as exc:
            await self._dead_letter(bp, str(exc), describe(raw))
            return None
        return await self._publish(Observation(bp.point.id, self._clock.now(), value, quality))

    async def bad(self, bp: BoundPoint) -> Observation | None:
        """Mark the point's last value bad (once: a point already bad stays quiet)."""
        last = self._latest.get(bp.point.id)
        if last is None or last.quality is Quality.BAD:
            return last
        return await self._publish(
            Observation(bp.point.id, self._clock.now(), last.value, Quality.BAD)
        )

    async def _publish(self, observation: Observation) -> Observation:
        self._latest[observation.point] = observation
        self._counts["observations"] += 1
        await self._bus.publish(observation_subject(observation.point), observation)
        return observation

    async def _dead_letter(self, bp: BoundPoint, reason: str, payload: bytes) -> None:
        self._counts["dead_letters"] += 1
        log.debug("%s: %s: %s", self._name, bp.channel, reason)
        letter = DeadLetter(self._name, bp.channel, self._clock.now(), reason, payload)
        await self._bus.publish(self._dead_subject, letter)
