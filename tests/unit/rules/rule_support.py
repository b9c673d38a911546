"""Helpers of the rule engine tests: a hand-moved clock, recording sinks, a running engine."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from penworks.bus import MemoryBus, observation_subject
from penworks.core import Observation, Quality, Value
from penworks.model import SiteModel
from penworks.rules.engine import RuleEngine
from penworks.rules.loader import RuleSet, load_rule_file
from penworks.rules.sinks import AlarmCondition, Notice
from tests.clocks import ManualClock as SharedManualClock

REPO = Path(__file__).resolve().parents[3]
SMALL_OFFICE = REPO / "tests" / "data" / "sites" / "small_office.yaml"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
R301 = "b15.f3.r301.zone_air_temp"
R301_SP = "b15.f3.r301.vav.setpoint"
R301_LIGHTS = "b15.f3.r301.lights.level"


class ManualClock(SharedManualClock):
    """The shared manual clock, starting at this module's T0."""

    def __init__(self, at: datetime = T0) -> None:
        super().__init__(at)


@dataclass
class Alarms:
    """An AlarmSink that records every condition."""

    changes: list[AlarmCondition] = field(default_factory=list)

    async def condition(self, change: AlarmCondition) -> None:
        self.changes.append(change)

    def active(self) -> dict[str, bool]:
        """The last state reported per alarm id."""
        return {c.alarm_id: c.active for c in self.changes}


@dataclass
class Commands:
    """A CommandSink that records (point, value, priority, source, reason)."""

    sent: list[tuple[str, Value | None, int, str, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def command(
        self, point: str, value: Value | None, priority: int, *, source: str, reason: str
    ) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((point, value, priority, source, reason))


@dataclass
class Notices:
    """A NotifySink that records notices."""

    sent: list[Notice] = field(default_factory=list)

    async def notify(self, notice: Notice) -> None:
        self.sent.append(notice)


@dataclass
class Schedules:
    """A ScheduleSource whose schedules tests switch by hand."""

    on: dict[str, bool] = field(default_factory=lambda: {"office_hours": True})

    def is_on(self, schedule_id: str, at: datetime) -> bool:
        return self.on[schedule_id]

    def schedule_ids(self) -> list[str]:
        return sorted(self.on)


@dataclass
class Rig:
    """An engine over a MemoryBus with recording sinks and a manual clock."""

    model: SiteModel
    clock: ManualClock = field(default_factory=ManualClock)
    bus: MemoryBus = field(default_factory=MemoryBus)
    alarms: Alarms = field(default_factory=Alarms)
    commands: Commands = field(default_factory=Commands)
    notices: Notices = field(default_factory=Notices)
    schedules: Schedules = field(default_factory=Schedules)
    engine: RuleEngine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = RuleEngine(
            self.model,
            self.bus,
            self.clock,
            alarms=self.alarms,
            commands=self.commands,
            notify=self.notices,
            schedules=self.schedules,
        )

    def load(self, folder: Path, text: str, name: str = "rules.yaml") -> RuleSet:
        return load_rule_file(write(folder, text, name), self.model, self.schedules)

    async def publish(self, point: str, value: Value, quality: Quality = Quality.GOOD) -> None:
        """Publish an observation and wait until the engine has taken it in."""
        seen = self.engine.stats().observations
        observation = Observation(point, self.clock.now(), value, quality)
        await self.bus.publish(observation_subject(point), observation)
        await eventually(lambda: self.engine.stats().observations > seen)

    async def advance(self, seconds: float = 0, **delta: float) -> None:
        """Move the clock and let the engine fire what is due (it then sleeps again)."""
        self.clock.advance(seconds, **delta)
        await eventually(lambda: self.clock.sleepers > 0 and not self._due())

    def _due(self) -> bool:
        due = self.engine.next_timer()
        return due is not None and due <= self.clock.now()

    async def settled(self) -> None:
        """Wait until every queued alarm condition and action has run."""
        await eventually(lambda: self.engine.stats().pending_work == 0)


@contextlib.asynccontextmanager
async def running(rig: Rig) -> AsyncIterator[Rig]:
    """The rig's engine running for the body of the block (started and idle)."""
    task = asyncio.create_task(rig.engine.run(), name="rules-under-test")
    try:
        await eventually(lambda: rig.clock.sleepers > 0 or task.done())
        if task.done():
            task.result()
        yield rig
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def write(folder: Path, text: str, name: str = "rules.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    """Wait until check() holds, for state that has no event to wait on; TimeoutError after."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110  # there is no event for this to wait on
            await asyncio.sleep(0.001)
