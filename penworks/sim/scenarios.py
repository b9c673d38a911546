"""Scenarios injected into the twin: fires, intruders, faults, leaks, no-shows.

An `Injection` is a scenario of a kind at a target (a place such as 'f3/r301', or a piece of
equipment such as 'chiller1') from a start for a duration. Systems ask `Scenarios.active`
each step and behave accordingly (smoke rising in the room on fire, a damper that no longer
moves); the twin records every injection's start and end in the ground truth, so apps can be
scored against what really happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class ScenarioKind(StrEnum):
    FIRE = "fire"  # a room on fire: smoke, then heat and CO rising
    NUISANCE_SMOKE = "nuisance_smoke"  # steam or cooking: smoke without heat or CO
    INTRUDER = "intruder"  # someone in a restricted area at night
    TAILGATING = "tailgating"  # two people through a door on one badge
    STUCK_DAMPER = "stuck_damper"  # a VAV damper that no longer moves
    CHILLER_FAULT = "chiller_fault"  # a chiller trips
    LEFT_ON = "left_on"  # lights and fan-coils of a zone left on at night
    METER_DRIFT = "meter_drift"  # a meter reading drifts away from the truth
    WATER_LEAK = "water_leak"  # water on the floor of a room
    ELEVATOR_FAULT = "elevator_fault"  # a lift stops with a fault
    MEETING_NO_SHOW = "meeting_no_show"  # the next booking of a room: nobody comes


DESCRIPTIONS: dict[ScenarioKind, str] = {
    ScenarioKind.FIRE: "a fire in a room (target: a place such as f3/r301)",
    ScenarioKind.NUISANCE_SMOKE: "steam or cooking smoke in a room, no fire (target: a place)",
    ScenarioKind.INTRUDER: "an intruder in a restricted area (target: b1/plant, roof/roof, ...)",
    ScenarioKind.TAILGATING: "two people through a door on one badge (target: a door id)",
    ScenarioKind.STUCK_DAMPER: "a VAV damper stuck where it is (target: a zone place)",
    ScenarioKind.CHILLER_FAULT: "a chiller trips (target: chiller1 or chiller2)",
    ScenarioKind.LEFT_ON: "lights and fan-coils left on at night (target: a place)",
    ScenarioKind.METER_DRIFT: "a meter drifts from the truth (target: a meter id)",
    ScenarioKind.WATER_LEAK: "a water leak (target: a place with a leak detector)",
    ScenarioKind.ELEVATOR_FAULT: "a lift stops with a fault (target: lift1, lift2, lift3)",
    ScenarioKind.MEETING_NO_SHOW: "the next booking of a meeting room: nobody comes",
}

DEFAULT_DURATION_S: dict[ScenarioKind, float] = {
    ScenarioKind.FIRE: 1800.0,
    ScenarioKind.NUISANCE_SMOKE: 600.0,
    ScenarioKind.INTRUDER: 900.0,
    ScenarioKind.TAILGATING: 60.0,
    ScenarioKind.STUCK_DAMPER: 6 * 3600.0,
    ScenarioKind.CHILLER_FAULT: 2 * 3600.0,
    ScenarioKind.LEFT_ON: 10 * 3600.0,
    ScenarioKind.METER_DRIFT: 24 * 3600.0,
    ScenarioKind.WATER_LEAK: 3600.0,
    ScenarioKind.ELEVATOR_FAULT: 3600.0,
    ScenarioKind.MEETING_NO_SHOW: 2 * 3600.0,
}


class ScenarioError(ValueError):
    """A scenario that cannot be injected: unknown kind or target, bad time."""


@dataclass(frozen=True, slots=True)
class Injection:
    kind: ScenarioKind
    target: str
    start: datetime  # UTC, aware
    end: datetime
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def elapsed_s(self, now: datetime) -> float:
        return (now - self.start).total_seconds()


Recorder = Callable[[str, Injection], None]
"""Told 'start' and 'end' of each injection (the ground truth log)."""


class Scenarios:
    """The injections of a run: scheduled, active, ended."""

    def __init__(self, targets: dict[ScenarioKind, list[str]] | None = None) -> None:
        self._targets = targets or {}
        self._scheduled: list[Injection] = []
        self._active: list[Injection] = []
        self.ended: list[Injection] = []
        self._recorders: list[Recorder] = []

    def targets(self, kind: ScenarioKind) -> list[str]:
        return list(self._targets.get(kind, []))

    def record(self, recorder: Recorder) -> None:
        self._recorders.append(recorder)

    def inject(
        self,
        kind: ScenarioKind | str,
        target: str,
        start: datetime,
        duration_s: float | None = None,
        **params: Any,
    ) -> Injection:
        """Schedule a scenario; ScenarioError for an unknown kind or target."""
        injection = self.check(kind, target, start, duration_s, **params)
        self._scheduled.append(injection)
        self._scheduled.sort(key=lambda i: i.start)
        return injection

    def check(
        self,
        kind: ScenarioKind | str,
        target: str,
        start: datetime,
        duration_s: float | None = None,
        **params: Any,
    ) -> Injection:
        """The injection a scenario would be, scheduling nothing; ScenarioError if none can."""
        try:
            kind = ScenarioKind(kind)
        except ValueError:
            known = ", ".join(k.value for k in ScenarioKind)
            raise ScenarioError(f"unknown scenario {kind!r}; known: {known}") from None
        allowed = self._targets.get(kind)
        if allowed is not None and target not in allowed:
            raise ScenarioError(
                f"{kind.value} cannot happen at {target!r}; targets: {', '.join(allowed)}"
            )
        if start.tzinfo is None:
            raise ScenarioError("a scenario's start needs a time zone")
        duration = DEFAULT_DURATION_S[kind] if duration_s is None else duration_s
        if not (math.isfinite(duration) and duration > 0):
            raise ScenarioError(f"duration must be a positive number of seconds, got {duration}")
        try:
            end = start + timedelta(seconds=duration)
        except OverflowError:
            raise ScenarioError(f"a duration of {duration} s ends past the calendar") from None
        return Injection(kind, target, start, end, params)

    def step(self, now: datetime) -> None:
        """Start what is due and end what is over, telling the recorders."""
        while self._scheduled and self._scheduled[0].start <= now:
            injection = self._scheduled.pop(0)
            self._active.append(injection)
            self._tell("start", injection)
        for injection in [i for i in self._active if i.end <= now]:
            self._active.remove(injection)
            self.ended.append(injection)
            self._tell("end", injection)

    def _tell(self, event: str, injection: Injection) -> None:
        for recorder in self._recorders:
            recorder(event, injection)

    def active(self, kind: ScenarioKind) -> list[Injection]:
        return [i for i in self._active if i.kind is kind]

    def at(self, kind: ScenarioKind, target: str) -> Injection | None:
        """The active injection of a kind at a target, if any."""
        return next((i for i in self._active if i.kind is kind and i.target == target), None)

    def all_active(self) -> list[Injection]:
        return list(self._active)

    def scheduled(self) -> list[Injection]:
        return list(self._scheduled)
