"""Answers -> Observations on the bus; what cannot be converted -> DeadLetters.

Shared by every device of one connector. It keeps the latest observation of each point,
so that a point going bad is published with its last known value (once, when it goes bad).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from penworks.bus import Bus, dead_letter_subject
from penworks.connectors.modbus.codec import TABLES, register_bytes, scaled
from penworks.connectors.modbus.counters import Counters
from penworks.connectors.modbus.plan import Block, Slot
from penworks.core import (
    Clock,
    DeadLetter,
    Observation,
    PayloadError,
    PointKind,
    Quality,
    Value,
    coerce_value,
)


def channel(device: str, function: int, address: int) -> str:
    """Where a value came from, as dead letters and discovery name it: plc1/hr/100."""
    return f"{device}/{TABLES[function]}/{address}"


def point_value(slot: Slot, answer: Sequence[int] | Sequence[bool], start: int) -> Value:
    """The point's value from an answer that begins at `start`; PayloadError if it has none."""
    value = scaled(slot.binding, slot.decode(answer, slot.address - start))
    if slot.point.kind is PointKind.NUMBER and isinstance(value, bool):
        value = int(value)  # a bit read into a number point: 0 or 1
    return coerce_value(slot.point.kind, value)


class Output:
    """Publishes what devices answered, and remembers each point's latest observation."""

    def __init__(self, name: str, bus: Bus, clock: Clock, counters: Counters) -> None:
        self.name = name
        self._bus = bus
        self._now = clock.now
        self._counters = counters
        self._dead_subject = dead_letter_subject(name)
        self.latest: dict[str, Observation] = {}

    async def answer(
        self, device: str, block: Block, answer: Sequence[int] | Sequence[bool]
    ) -> None:
        """Publish the value of every point of a block read in one answer."""
        ts = self._now()
        for slot in block.slots:
            try:
                value = point_value(slot, answer, block.start)
            except PayloadError as exc:
                await self._dead_letter(device, slot, answer, block.start, str(exc))
                continue
            observation = Observation(slot.point.id, ts, value)
            self.latest[slot.point.id] = observation
            self._counters.observations += 1
            await self._bus.publish(slot.subject, observation)

    async def bad(self, slots: Iterable[Slot]) -> None:
        """Mark points bad, with their last known value; points never read are skipped."""
        ts = self._now()
        for slot in slots:
            last = self.latest.get(slot.point.id)
            if last is None or last.quality is Quality.BAD:
                continue  # nothing to say, or said already
            observation = Observation(slot.point.id, ts, last.value, Quality.BAD)
            self.latest[slot.point.id] = observation
            self._counters.bad_observations += 1
            await self._bus.publish(slot.subject, observation)

    async def _dead_letter(
        self,
        device: str,
        slot: Slot,
        answer: Sequence[int] | Sequence[bool],
        start: int,
        reason: str,
    ) -> None:
        offset = slot.address - start
        if slot.function in (1, 2):
            payload = b"\x01" if answer[offset] else b"\x00"
        else:
            payload = register_bytes([int(r) for r in answer[offset : offset + slot.binding.count]])
        where = channel(device, slot.function, slot.address)
        letter = DeadLetter(self.name, where, self._now(), f"{slot.point.id}: {reason}", payload)
        self._counters.dead_letters += 1
        await self._bus.publish(self._dead_subject, letter)
