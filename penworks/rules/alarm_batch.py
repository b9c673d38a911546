"""What one alarm book operation changed, and how it goes out: journal, listeners, bus.

An operation collects its transitions (and flood starts or ends) in a Batch; `Publisher`
writes them to the journal in one append, then hands them, with their sequence numbers,
to the listeners and to the bus, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from penworks.bus import Bus
from penworks.rules.alarm_entry import AlarmEntry
from penworks.rules.alarm_journal import (
    flood_record,
    flood_to_json,
    transition_record,
    transition_to_json,
)
from penworks.rules.alarm_listeners import Fanout
from penworks.rules.alarm_types import AlarmState, AlarmTransition, FloodView, TransitionCause
from penworks.store import Journal

ALARM_SUBJECT = "event.alarm"
FLOOD_SUBJECT = "event.alarm_flood"


@dataclass(frozen=True, slots=True)
class Settled:
    """How an alarm's return to its condition counted."""

    raised: bool = False  # counted toward a flood
    annunciated: bool = False  # reached the operator
    held: bool = False  # held back by a flood


NOTHING = Settled()


@dataclass(slots=True)
class Batch:
    now: datetime
    transitions: list[tuple[AlarmTransition, dict[str, bool]]] = field(default_factory=list)
    floods: list[tuple[FloodView, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.transitions or self.floods)

    def step(
        self,
        entry: AlarmEntry,
        before: AlarmState,
        cause: TransitionCause,
        *,
        user: str | None = None,
        comment: str = "",
        settled: Settled = NOTHING,
        changed: bool = False,
    ) -> None:
        """Record what happened to the alarm, with a snapshot of it now; `changed` says
        that its condition changed (restore counts chatter from it)."""
        after = entry.state
        if after is not before:
            entry.state_since = self.now
        transition = AlarmTransition(
            entry.id, self.now, before, after, cause, user, comment, entry.view()
        )
        marks = {
            "raised": settled.raised,
            "annunciated": settled.annunciated,
            "held": settled.held,
            "changed": changed,
        }
        self.transitions.append((transition, marks))

    def flood(self, view: FloodView, event: str) -> None:
        self.floods.append((view, event))


class Publisher:
    def __init__(self, journal: Journal, bus: Bus | None, fanout: Fanout) -> None:
        self._journal = journal
        self._bus = bus
        self._fanout = fanout
        self.records = 0

    async def publish(self, batch: Batch) -> None:
        records = [transition_record(t, marks) for t, marks in batch.transitions]
        records += [flood_record(view, event, batch.now) for view, event in batch.floods]
        stored = await self._journal.append(records)
        self.records += len(stored)
        done = stored[: len(batch.transitions)]
        transitions = [
            replace(t, seq=r.seq) for (t, _), r in zip(batch.transitions, done, strict=True)
        ]
        for transition in transitions:
            self._fanout.put(transition)
        if self._bus is None:
            return
        for transition in transitions:
            message = {"type": "transition"} | transition_to_json(transition)
            await self._bus.publish(ALARM_SUBJECT, message)
        for view, event in batch.floods:
            ended = batch.now if event == "end" else None
            message = {"type": "flood"} | flood_to_json(view, event, ended)
            await self._bus.publish(FLOOD_SUBJECT, message)
