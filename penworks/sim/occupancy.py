"""Who is in which zone: staff arriving, lunching and leaving on working days, meetings, visitors.

Each working day every seat gets a person with their own arrival, lunch and departure times,
drawn from the seed and the date, so occupancy is reproducible and differs day to day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from penworks.sim.layout import ZoneSpec, ZoneUse


@dataclass(frozen=True, slots=True)
class _Stay:
    start_h: float
    end_h: float


class Occupancy:
    def __init__(self, zones: tuple[ZoneSpec, ...], seed: int) -> None:
        self._zones = zones
        self._seed = seed
        self._day: date | None = None
        self._stays: dict[str, list[_Stay]] = {}

    def people(self, zone: ZoneSpec, local: datetime) -> int:
        """How many people are in the zone at that local time."""
        self._plan(local.date())
        hour = local.hour + local.minute / 60 + local.second / 3600
        return sum(1 for s in self._stays[zone.space] if s.start_h <= hour < s.end_h)

    def _plan(self, day: date) -> None:
        if day == self._day:
            return
        self._day = day
        rng = random.Random(f"{self._seed}:{day.isoformat()}")
        working = day.weekday() < 5
        self._stays = {z.space: _plan_zone(z, working, rng) for z in self._zones}


def _plan_zone(zone: ZoneSpec, working: bool, rng: random.Random) -> list[_Stay]:
    if zone.use is ZoneUse.OFFICE:
        return _office_stays(zone, working, rng)
    if zone.use is ZoneUse.MEETING:
        return _meetings(zone, working, rng)
    return _visitors(zone, working, rng)


def _office_stays(zone: ZoneSpec, working: bool, rng: random.Random) -> list[_Stay]:
    if not working:
        return [_Stay(10.0, 15.0) for _ in range(rng.randint(0, 2))]  # weekend overtime
    stays: list[_Stay] = []
    for _ in range(zone.seats):
        if rng.random() < 0.12:  # away: leave, travel, sick
            continue
        arrive = rng.gauss(8.9, 0.5)
        leave = rng.gauss(18.1, 0.7)
        lunch = rng.gauss(12.1, 0.25)
        stays += [_Stay(arrive, lunch), _Stay(lunch + rng.uniform(0.5, 1.0), leave)]
    return stays


def _meetings(zone: ZoneSpec, working: bool, rng: random.Random) -> list[_Stay]:
    if not working:
        return []
    stays: list[_Stay] = []
    for start in (9.5, 11.0, 14.0, 15.5, 17.0):
        if rng.random() < 0.55:
            attendees = rng.randint(2, zone.seats)
            length = rng.choice((0.5, 1.0, 1.0, 1.5))
            stays += [_Stay(start, start + length)] * attendees
    return stays


def _visitors(zone: ZoneSpec, working: bool, rng: random.Random) -> list[_Stay]:
    busy = 1.0 if working else 0.4
    stays: list[_Stay] = []
    for hour in range(9, 18):
        for _ in range(int(rng.randint(0, zone.seats // 3) * busy)):
            start = hour + rng.random()
            stays.append(_Stay(start, start + rng.uniform(0.1, 0.8)))
    return stays
