"""Alarm records as JSON: journal bodies, bus events and back.

An alarm record (journal kind "alarm", key the alarm id) holds the transition and a full
snapshot of the alarm just after it, so the latest record of an alarm is enough to rebuild
it. Floods are records of their own (kind "alarm_flood", key the area).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from penworks.core import Value
from penworks.rules.alarm_types import (
    Acknowledgement,
    AlarmState,
    AlarmTransition,
    AlarmView,
    FloodView,
    ServiceRemoval,
    Shelf,
    Suppression,
    TransitionCause,
    parse_priority,
    priority_name,
)
from penworks.store import JournalRecord

ALARM_KIND = "alarm"
FLOOD_KIND = "alarm_flood"


def _time(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def _parse_time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _required_time(text: Any) -> datetime:
    return datetime.fromisoformat(str(text))


def view_to_json(view: AlarmView) -> dict[str, Any]:
    shelf, oos, ack = view.shelf, view.out_of_service, view.ack
    return {
        "id": view.id,
        "rule": view.rule,
        "point": view.point,
        "area": view.area,
        "priority": priority_name(view.priority),
        "message": view.message,
        "value": view.value,
        "state": view.state.value,
        "active": view.active,
        "suppressed_by": view.suppressed_by.value if view.suppressed_by else None,
        "suppressions": [s.value for s in view.suppressions],
        "shelf": None
        if shelf is None
        else {
            "by": shelf.by,
            "reason": shelf.reason,
            "since": _time(shelf.since),
            "until": _time(shelf.until),
        },
        "out_of_service": None
        if oos is None
        else {"by": oos.by, "reason": oos.reason, "since": _time(oos.since)},
        "ack": None if ack is None else {"by": ack.by, "at": _time(ack.at), "comment": ack.comment},
        "active_since": _time(view.active_since),
        "state_since": _time(view.state_since),
        "annunciated_at": _time(view.annunciated_at),
        "condition_ts": _time(view.condition_ts),
    }


def view_from_json(data: dict[str, Any]) -> AlarmView:
    shelf, oos, ack = data.get("shelf"), data.get("out_of_service"), data.get("ack")
    value: Value | None = data.get("value")
    return AlarmView(
        id=str(data["id"]),
        rule=str(data["rule"]),
        point=data.get("point"),
        area=str(data["area"]),
        priority=parse_priority(data["priority"]),
        message=str(data.get("message", "")),
        value=value,
        state=AlarmState(data["state"]),
        active=bool(data["active"]),
        suppressions=tuple(Suppression(s) for s in data.get("suppressions", ())),
        shelf=None
        if shelf is None
        else Shelf(
            by=shelf["by"],
            reason=shelf["reason"],
            since=_required_time(shelf["since"]),
            until=_required_time(shelf["until"]),
        ),
        out_of_service=None
        if oos is None
        else ServiceRemoval(by=oos["by"], reason=oos["reason"], since=_required_time(oos["since"])),
        ack=None
        if ack is None
        else Acknowledgement(by=ack["by"], at=_required_time(ack["at"]), comment=ack["comment"]),
        active_since=_parse_time(data.get("active_since")),
        state_since=_required_time(data["state_since"]),
        annunciated_at=_parse_time(data.get("annunciated_at")),
        condition_ts=_required_time(data["condition_ts"]),
    )


def transition_to_json(transition: AlarmTransition) -> dict[str, Any]:
    return {
        "alarm_id": transition.alarm_id,
        "seq": transition.seq,
        "ts": _time(transition.ts),
        "from": transition.from_state.value,
        "to": transition.to_state.value,
        "cause": transition.cause.value,
        "user": transition.user,
        "comment": transition.comment,
        "alarm": view_to_json(transition.alarm),
    }


def transition_record(transition: AlarmTransition, marks: dict[str, bool]) -> JournalRecord:
    """The journal record of a transition; `marks` say how it counts (raised, annunciated,
    condition changed) so that restore can rebuild the flood, chatter and KPI windows."""
    data = transition_to_json(transition)
    del data["seq"], data["alarm_id"]
    return JournalRecord(ALARM_KIND, transition.alarm_id, transition.ts, data | marks)


def transition_from_record(record: JournalRecord) -> AlarmTransition:
    data = record.data
    return AlarmTransition(
        alarm_id=record.key,
        ts=record.ts,
        from_state=AlarmState(data["from"]),
        to_state=AlarmState(data["to"]),
        cause=TransitionCause(data["cause"]),
        user=data.get("user"),
        comment=str(data.get("comment", "")),
        alarm=view_from_json(data["alarm"]),
        seq=record.seq,
    )


def flood_view_to_json(flood: FloodView) -> dict[str, Any]:
    return {
        "area": flood.area,
        "since": _time(flood.since),
        "count": flood.count,
        "suppressed": list(flood.suppressed),
        "suppressed_total": flood.suppressed_total,
    }


def flood_to_json(flood: FloodView, event: str, ended: datetime | None) -> dict[str, Any]:
    """A flood's start or end ("event"), as journaled and published."""
    return {"event": event, "ended": _time(ended)} | flood_view_to_json(flood)


def flood_record(flood: FloodView, event: str, ts: datetime) -> JournalRecord:
    ended = ts if event == "end" else None
    return JournalRecord(FLOOD_KIND, flood.area, ts, flood_to_json(flood, event, ended))
