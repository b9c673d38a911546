"""The energy app's hands: decisions every period, sent through the App API's command path.

The controller keeps the latest value of every point the strategies read, asks them what
each point should be, and sends only what changed since it last sent, at the app's
priority: an operator's command above wins, and a refusal (a limit, an interlock, a rate
limit) is logged, counted and tried again at the next decision. At start it lets go of
every point it may command, so nothing held by an earlier run outlives it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from penworks.apps.api import AppContext, CommandStatus, Observation, Value
from penworks.apps.energy.strategies import STRATEGIES, ControlSettings, Intent, Memory, decide
from penworks.apps.energy.zones import Plant

UNSET = object()  # nothing sent yet for a point


@dataclass(slots=True)
class Controller:
    plant: Plant
    settings: ControlSettings
    tz: tzinfo
    values: dict[str, Value] = field(default_factory=dict)
    memory: Memory = field(default_factory=Memory)
    sent: dict[str, Value | None] = field(default_factory=dict)  # point -> held at our level
    commands: Counter[str] = field(default_factory=Counter)  # strategy -> commands sent
    refused: Counter[str] = field(default_factory=Counter)
    last_decision: datetime | None = None

    def update(self, observation: Observation) -> None:
        self.values[observation.point] = observation.value

    def update_all(self, latest: Mapping[str, Observation]) -> None:
        for observation in latest.values():
            self.update(observation)

    def commandable(self) -> list[str]:
        points = {p for z in self.plant.zones.values() for p in z.commands()}
        for unit in self.plant.air_units.values():
            points.add(unit.start_stop)
            for point in (unit.co2_setpoint, unit.occupancy_command, unit.outdoor_damper):
                if point is not None:
                    points.add(point)
        points.update(self.plant.chw_setpoints)
        return sorted(points)

    async def release_all(self, ctx: AppContext) -> None:
        """Let go of the app's level on every point it may command."""

        async def release(point: str) -> None:
            outcome = await ctx.command(point, None, reason="energy app starting: let go")
            if outcome.status is not CommandStatus.REFUSED:
                self.sent[point] = None

        await asyncio.gather(*(release(p) for p in self.commandable()))

    async def step(self, ctx: AppContext, now: datetime) -> list[Intent]:
        """One decision: what changed is sent; returns the intents decided."""
        self.last_decision = now
        intents = decide(self.plant, self.values, self.memory, now, self.tz, self.settings)
        changed = [i for i in intents if self.sent.get(i.point, UNSET) != i.value]
        changed = [i for i in changed if not (i.value is None and i.point not in self.sent)]
        await asyncio.gather(*(self._send(ctx, intent) for intent in changed))
        return intents

    async def _send(self, ctx: AppContext, intent: Intent) -> None:
        reason = f"energy: {STRATEGIES[intent.strategy].lower()}"
        outcome = await ctx.command(intent.point, intent.value, reason=reason)
        # Anything but a refusal is held in the point's priority array at our level.
        if outcome.status is not CommandStatus.REFUSED:
            self.sent[intent.point] = intent.value
            self.commands[intent.strategy] += 1
        else:
            self.refused[intent.strategy] += 1
            ctx.log.info("%s %s refused: %s", intent.point, intent.value, outcome.detail)

    def state(self) -> dict[str, Any]:
        use = set(self.settings.strategies)
        return {
            "enabled": self.settings.enabled,
            "last_decision": None if self.last_decision is None else self.last_decision.isoformat(),
            "held": sum(1 for v in self.sent.values() if v is not None),
            "strategies": [
                {
                    "id": sid,
                    "name": name,
                    "enabled": self.settings.enabled and sid in use,
                    "commands": self.commands[sid],
                    "refused": self.refused[sid],
                }
                for sid, name in STRATEGIES.items()
            ],
        }
