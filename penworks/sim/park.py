"""A load generator standing for the devices of a park: every point sampled at a set period.

It publishes on the topics a park site binds (see penworks.model.park): each topic's points
as one JSON object with a timestamp, every topic once per period, spread evenly over it, so
that the load is steady rather than a burst at the top of each period. Numbers wander within
their limits, bools change now and then, texts stay. One seed gives the same values.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import aiomqtt

log = logging.getLogger(__name__)

Kind = Literal["number", "bool", "text"]


@dataclass(frozen=True, slots=True)
class TopicField:
    key: str
    kind: Kind
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    fields: tuple[TopicField, ...]


@dataclass(slots=True)
class LoadStats:
    messages: int = 0
    points: int = 0
    late: int = 0  # publishes that could not keep to their slot
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        return self.points / max(1e-9, time.monotonic() - self.started)


class ParkLoad:
    """Publishes every topic once per `period_s`; `stats` counts what went out."""

    def __init__(
        self, topics: Sequence[Topic], *, period_s: float = 60.0, qos: int = 0, seed: int = 15
    ) -> None:
        if period_s <= 0:
            raise ValueError("the sampling period must be positive")
        if not topics:
            raise ValueError("no topics to publish on")
        self.topics = list(topics)
        self.period_s = period_s
        self.qos = qos
        self.stats = LoadStats()
        self._random = random.Random(seed)
        self._values: dict[tuple[str, str], float | bool] = {}

    @property
    def points_per_s(self) -> float:
        return sum(len(t.fields) for t in self.topics) / self.period_s

    async def run(
        self,
        client: aiomqtt.Client,
        stop: asyncio.Event,
        report: Callable[[LoadStats], None] | None = None,
    ) -> None:
        """Publish round after round until `stop` is set."""
        gap = self.period_s / len(self.topics)
        began = time.monotonic()
        sent = 0
        next_report = began + 10.0
        while not stop.is_set():
            topic = self.topics[sent % len(self.topics)]
            due = began + sent * gap
            ahead = due - time.monotonic()
            if ahead > 0:
                try:
                    await asyncio.wait_for(stop.wait(), ahead)
                    return
                except TimeoutError:
                    pass
            elif ahead < -1.0:
                self.stats.late += 1
            await client.publish(topic.name, self.payload(topic), qos=self.qos)
            sent += 1
            self.stats.messages += 1
            self.stats.points += len(topic.fields)
            if report is not None and time.monotonic() >= next_report:
                report(self.stats)
                next_report += 10.0

    def payload(self, topic: Topic) -> bytes:
        body: dict[str, object] = {"ts": datetime.now(UTC).isoformat()}
        for f in topic.fields:
            body[f.key] = self._next(topic.name, f)
        return json.dumps(body).encode()

    def _next(self, topic: str, f: TopicField) -> object:
        if f.kind == "text":
            return "ok"
        key = (topic, f.key)
        last = self._values.get(key)
        if f.kind == "bool":
            flip = self._random.random() < 0.02
            value: float | bool = (not last) if flip and last is not None else bool(last)
        else:
            span = max(f.high - f.low, 1e-6)
            start = f.low + span * self._random.random() if last is None else float(last)
            value = min(f.high, max(f.low, start + span * 0.02 * self._random.uniform(-1, 1)))
            value = round(value, 3)
        self._values[key] = value
        return value
