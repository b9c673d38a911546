"""What the rule engine hands its decisions to, and where it reads schedules from.

The engine knows these shapes only: the alarm book, the command path, the notifier and the
schedule book implement them, and the runtime passes them in. Tests pass recording fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from penworks.core import Value
from penworks.rules.alarm_types import AlarmPriority


@dataclass(frozen=True, slots=True)
class AlarmCondition:
    """What a rule instance tells the alarm book, on every change of its condition."""

    alarm_id: str  # f"{rule_id}:{anchor point id}", or the rule id without an anchor
    rule: str
    point: str | None
    area: str  # the anchor's floor id, else its building id
    priority: AlarmPriority
    message: str
    active: bool
    ts: datetime
    value: Value | None = None
    suppressed: bool = False  # the rule's suppress_when holds (suppressed by design)


class AlarmSink(Protocol):
    async def condition(self, change: AlarmCondition) -> None: ...


class CommandSink(Protocol):
    async def command(
        self, point: str, value: Value | None, priority: int, *, source: str, reason: str
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to people, from a rule's notify action or from an alarm."""

    subject: str
    body: str
    priority: AlarmPriority
    area: str
    ts: datetime
    roles: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    key: str = ""


class NotifySink(Protocol):
    async def notify(self, notice: Notice) -> None: ...


class ScheduleSource(Protocol):
    def is_on(self, schedule_id: str, at: datetime) -> bool:
        """Whether the schedule is on at that instant; a KeyError-like error if unknown."""
        ...

    def schedule_ids(self) -> list[str]: ...
