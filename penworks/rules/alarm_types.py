"""Alarm priorities and ISA-18.2 states, shared by the rule engine, the alarm book and notices;
the views, records and errors of the alarm book."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from penworks.core import PenworksError, Value


class AlarmPriority(IntEnum):
    """How urgent an alarm is (1 most urgent); rule files name them in lowercase."""

    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


class AlarmState(StrEnum):
    """The ISA-18.2 states of an alarm."""

    NORMAL = "normal"
    UNACK_ACTIVE = "unack_active"
    ACK_ACTIVE = "ack_active"
    UNACK_RTN = "unack_rtn"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"
    OUT_OF_SERVICE = "out_of_service"


def parse_priority(value: object) -> AlarmPriority:
    """A priority from its name in any case ("medium"), its number (3) or itself."""
    if isinstance(value, AlarmPriority):
        return value
    if isinstance(value, str) and value.upper() in AlarmPriority.__members__:
        return AlarmPriority[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value in set(AlarmPriority):
        return AlarmPriority(value)
    names = ", ".join(p.name.lower() for p in AlarmPriority)
    raise ValueError(f"{value!r} is not an alarm priority: use one of {names}")


def priority_name(priority: AlarmPriority) -> str:
    """The name files and JSON use for a priority: "critical", "high", "medium", "low"."""
    return priority.name.lower()


SUPPRESSED_STATES = frozenset(
    {AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE}
)
"""States that hold the process condition without annunciating it."""


class Suppression(StrEnum):
    """Why an alarm in the suppressed state does not annunciate."""

    DESIGN = "design"  # the rule's suppress_when holds (e.g. the plant is off)
    CHATTER = "chatter"  # its condition changes too often to be worth an operator's attention
    FLOOD = "flood"  # its area is in an alarm flood and its priority is low enough to wait


class TransitionCause(StrEnum):
    """What made the alarm book write a record of an alarm."""

    CONDITION = "condition"
    ACK = "ack"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    SHELVE_EXPIRED = "shelve_expired"
    SUPPRESS = "suppress"
    UNSUPPRESS = "unsuppress"
    OUT_OF_SERVICE = "out_of_service"
    RETURN_TO_SERVICE = "return_to_service"
    COMMENT = "comment"
    FLOOD = "flood"
    CHATTER = "chatter"


@dataclass(frozen=True, slots=True)
class Shelf:
    """Who shelved an alarm, why, and until when (it returns on its own then)."""

    by: str
    reason: str
    since: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class ServiceRemoval:
    """Who took an alarm out of service and why."""

    by: str
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The operator's acknowledgement of the latest annunciation."""

    by: str
    at: datetime
    comment: str = ""


@dataclass(frozen=True, slots=True)
class AlarmView:
    """One alarm as operators and the API see it."""

    id: str
    rule: str
    point: str | None
    area: str
    priority: AlarmPriority
    message: str
    value: Value | None
    state: AlarmState
    active: bool  # the process condition, whatever the state shows
    suppressions: tuple[Suppression, ...]  # every reason holding it, most important first
    shelf: Shelf | None
    out_of_service: ServiceRemoval | None
    ack: Acknowledgement | None  # of the latest annunciation, if any
    active_since: datetime | None
    state_since: datetime
    annunciated_at: datetime | None  # the latest entry into unack_active
    condition_ts: datetime  # the rule's time of the latest condition

    @property
    def suppressed_by(self) -> Suppression | None:
        """The visible mark of suppression: design, chatter or flood (None if none)."""
        return self.suppressions[0] if self.suppressions else None

    @property
    def chattering(self) -> bool:
        return Suppression.CHATTER in self.suppressions

    @property
    def unacknowledged(self) -> bool:
        return self.state in (AlarmState.UNACK_ACTIVE, AlarmState.UNACK_RTN)


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """One record of an alarm's history: a state change, an acknowledgement, a comment..."""

    alarm_id: str
    ts: datetime
    from_state: AlarmState
    to_state: AlarmState
    cause: TransitionCause
    user: str | None  # None when the condition or a timer caused it
    comment: str
    alarm: AlarmView  # the alarm just after
    seq: int | None = None  # the journal's sequence number


@dataclass(frozen=True, slots=True)
class FloodView:
    """An alarm flood in one area: when it began, how many alarms in the window, who waits."""

    area: str
    since: datetime
    count: int  # alarms raised in the area within the flood window, now
    suppressed: tuple[str, ...]  # alarm ids held by the flood now
    suppressed_total: int  # annunciations the flood has held back since it began


class UnknownAlarm(PenworksError, KeyError):
    """An alarm id the alarm book does not know."""

    def __init__(self, alarm_id: str) -> None:
        super().__init__(alarm_id)
        self.alarm_id = alarm_id

    def __str__(self) -> str:
        return f"unknown alarm {self.alarm_id!r}"


class AlarmOperationRefused(PenworksError):
    """An operator action the alarm's state does not allow; the message says why."""
