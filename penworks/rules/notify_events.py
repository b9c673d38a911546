"""What the notifier reads and what it sends: alarm events in, messages out.

`alarm_event()` is the one place that maps the alarm book's transitions onto the notifier's
own `AlarmEvent`; the rest of the notifier reads only AlarmEvent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from penworks.core import Value
from penworks.rules.alarm_types import AlarmPriority, AlarmState, AlarmTransition, priority_name
from penworks.rules.sinks import Notice

_ACTIVE = frozenset({AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE})
_RETURNED = frozenset({AlarmState.UNACK_RTN, AlarmState.NORMAL})


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """An alarm's change of state, as the notifier needs it."""

    alarm_id: str
    rule: str
    point: str | None
    area: str
    priority: AlarmPriority
    message: str
    from_state: AlarmState | None
    to_state: AlarmState
    ts: datetime
    user: str | None = None
    value: Value | None = None

    @property
    def annunciated(self) -> bool:
        """It has just become unacknowledged-active: people must be told."""
        return self.to_state is AlarmState.UNACK_ACTIVE and self.from_state is not self.to_state

    @property
    def returned(self) -> bool:
        """Its condition has just returned to normal."""
        return self.to_state in _RETURNED and self.from_state in _ACTIVE

    @property
    def settled(self) -> bool:
        """Nobody needs chasing any more: acknowledged, returned, shelved, suppressed..."""
        return self.to_state is not AlarmState.UNACK_ACTIVE


def alarm_event(transition: AlarmTransition | AlarmEvent) -> AlarmEvent:
    """The alarm book's transition as an AlarmEvent (an AlarmEvent is returned as it is)."""
    if isinstance(transition, AlarmEvent):
        return transition
    alarm = transition.alarm
    return AlarmEvent(
        alarm_id=transition.alarm_id,
        rule=alarm.rule,
        point=alarm.point,
        area=alarm.area,
        priority=alarm.priority,
        message=alarm.message,
        from_state=transition.from_state,
        to_state=transition.to_state,
        ts=transition.ts,
        user=transition.user,
        value=alarm.value,
    )


class MessageKind(StrEnum):
    ALARM = "alarm"  # an annunciation
    ESCALATION = "escalation"  # still unacknowledged after a step's delay
    RETURN = "return"  # the condition returned to normal
    NOTICE = "notice"  # a rule's notify action


@dataclass(frozen=True, slots=True)
class Message:
    """One notification, before it is addressed to a channel's recipients."""

    kind: MessageKind
    subject: str
    body: str
    priority: AlarmPriority
    area: str
    key: str  # the alarm id or the notice key: the journal's key
    ts: datetime
    alarm: AlarmEvent | None = None
    step: int | None = None  # escalation step, 1 first (repeats count on)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # the same for every retry

    def to_json(self) -> dict[str, Any]:
        alarm = self.alarm
        return {
            "id": self.id,
            "kind": self.kind.value,
            "subject": self.subject,
            "body": self.body,
            "priority": priority_name(self.priority),
            "priority_level": int(self.priority),
            "area": self.area,
            "key": self.key,
            "ts": self.ts.isoformat(),
            "step": self.step,
            "alarm": None
            if alarm is None
            else {
                "id": alarm.alarm_id,
                "rule": alarm.rule,
                "point": alarm.point,
                "state": alarm.to_state.value,
                "from_state": None if alarm.from_state is None else alarm.from_state.value,
                "message": alarm.message,
                "value": alarm.value,
                "ts": alarm.ts.isoformat(),
                "user": alarm.user,
            },
        }


def notice_message(notice: Notice) -> Message:
    key = notice.key or "notice"
    return Message(
        MessageKind.NOTICE,
        notice.subject,
        notice.body,
        notice.priority,
        notice.area,
        key,
        notice.ts,
    )


def alarm_message(
    event: AlarmEvent,
    kind: MessageKind,
    zone: tzinfo,
    *,
    step: int | None = None,
    since: datetime | None = None,
) -> Message:
    """The message of an annunciation, an escalation step or a return, for people to read."""
    label = priority_name(event.priority).upper()
    prefix = {
        MessageKind.ALARM: f"[{label}]",
        MessageKind.ESCALATION: f"[ESCALATION {step}] [{label}]",
        MessageKind.RETURN: f"[RETURNED] [{label}]",
        MessageKind.NOTICE: f"[{label}]",
    }[kind]
    subject = f"{prefix} {event.area}: {event.message}"
    lines = [
        event.message,
        "",
        f"Alarm:    {event.alarm_id}",
        f"Rule:     {event.rule}",
        f"Point:    {event.point or '-'}",
        f"Area:     {event.area}",
        f"Priority: {priority_name(event.priority)}",
        f"State:    {event.to_state.value}",
        f"Time:     {_local(event.ts, zone)}",
    ]
    if event.value is not None:
        lines.append(f"Value:    {event.value}")
    if kind is MessageKind.ESCALATION and since is not None:
        lines += ["", f"Unacknowledged since {_local(since, zone)} (escalation step {step})."]
    if kind is MessageKind.RETURN:
        lines += ["", "The condition has returned to normal."]
    return Message(
        kind, subject, "\n".join(lines), event.priority, event.area, event.alarm_id, event.ts,
        alarm=event, step=step,
    )  # fmt: skip


def _local(ts: datetime, zone: tzinfo) -> str:
    return ts.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")
