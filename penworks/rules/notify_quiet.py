"""Quiet hours: less urgent notifications wait until they end (urgent ones go through)."""

from __future__ import annotations

from datetime import datetime

from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.notify_config import QuietDef
from penworks.rules.schedules import ScheduleBook
from penworks.rules.schedules_config import ScheduleDef, SchedulesConfig

_QUIET = "quiet"


class QuietHours:
    """The quiet periods of a notifications file, read like a schedule's weekly periods."""

    def __init__(self, spec: QuietDef, timezone: str) -> None:
        self.spec = spec
        config = SchedulesConfig(schedules=[ScheduleDef(id=_QUIET, weekly=spec.weekly)])
        self._book = ScheduleBook(config, {}, timezone=timezone)

    def holds(self, priority: AlarmPriority) -> bool:
        """Whether quiet hours hold back messages of this priority."""
        return priority > self.spec.allow_priority_at_most

    def until(self, now: datetime) -> datetime | None:
        """When the quiet hours that hold `now` end; None when it is not quiet now.

        Quiet hours that never end within a year are no quiet hours: None as well.
        """
        if not self._book.is_on(_QUIET, now):
            return None
        return self._book.next_change(_QUIET, now)
