"""Helpers of the alarm book tests: a clock tests move by hand, conditions, a book."""

from __future__ import annotations

from datetime import UTC, datetime

from penworks.core import Value
from penworks.rules.alarm_settings import AlarmSettings
from penworks.rules.alarm_types import AlarmPriority
from penworks.rules.alarms import AlarmBook
from penworks.rules.sinks import AlarmCondition
from penworks.store import Journal, MemoryJournal
from tests.clocks import ManualClock as SharedManualClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AREA = "b15.f3"
HOT = "zone_too_warm:b15.f3.r301.zone_air_temp"


class ManualClock(SharedManualClock):
    """The shared manual clock, starting at this module's T0."""

    def __init__(self, at: datetime = T0) -> None:
        super().__init__(at)


def condition(
    clock: ManualClock,
    alarm_id: str = HOT,
    active: bool = True,
    *,
    priority: AlarmPriority = AlarmPriority.MEDIUM,
    area: str = AREA,
    suppressed: bool = False,
    value: Value | None = None,
    message: str = "zone too warm",
) -> AlarmCondition:
    rule, _, point = alarm_id.partition(":")
    return AlarmCondition(
        alarm_id=alarm_id,
        rule=rule,
        point=point or None,
        area=area,
        priority=priority,
        message=message,
        active=active,
        ts=clock.now(),
        value=value,
        suppressed=suppressed,
    )


def make_book(clock: ManualClock, journal: Journal | None = None, **settings: object) -> AlarmBook:
    return AlarmBook(
        clock, journal or MemoryJournal(), settings=AlarmSettings.model_validate(settings)
    )


def alarm_id(n: int, area: str = AREA) -> str:
    return f"alarm{n}:{area}.p{n}"
