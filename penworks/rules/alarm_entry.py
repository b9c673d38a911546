"""One alarm's state inside the book: the ISA-18.2 annunciation state and what holds it.

The annunciation state (`base`) follows the process condition as in the ISA-18.2 state
figure: normal -> unack_active -> ack_active -> normal, unack_active -> unack_rtn ->
normal on acknowledgement, unack_rtn -> unack_active on re-activation. Out of service,
shelving and suppression (by design, chatter or flood) hold the alarm: the condition is
still tracked, nothing annunciates, and when the last hold goes the state is evaluated
again from the condition (active: annunciated afresh; else normal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from penworks.core import Value
from penworks.rules.alarm_types import (
    Acknowledgement,
    AlarmPriority,
    AlarmState,
    AlarmView,
    ServiceRemoval,
    Shelf,
    Suppression,
)
from penworks.rules.sinks import AlarmCondition

ANNUNCIATION_STATES = frozenset(
    {AlarmState.NORMAL, AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE, AlarmState.UNACK_RTN}
)

# Where the condition takes the annunciation state (unack_active when it becomes active is
# an annunciation, decided by the book because a flood may hold it).
_ON_RETURN = {
    AlarmState.UNACK_ACTIVE: AlarmState.UNACK_RTN,
    AlarmState.ACK_ACTIVE: AlarmState.NORMAL,
}


@dataclass(slots=True)
class AlarmEntry:
    id: str
    rule: str
    point: str | None
    area: str
    priority: AlarmPriority
    message: str
    value: Value | None
    condition_ts: datetime
    state_since: datetime
    active: bool = False
    base: AlarmState = AlarmState.NORMAL
    design: bool = False
    chatter: bool = False
    flood: bool = False
    shelf: Shelf | None = None
    out_of_service: ServiceRemoval | None = None
    ack: Acknowledgement | None = None
    active_since: datetime | None = None
    annunciated_at: datetime | None = None

    @classmethod
    def new(cls, change: AlarmCondition, now: datetime) -> AlarmEntry:
        return cls(
            id=change.alarm_id,
            rule=change.rule,
            point=change.point,
            area=change.area,
            priority=change.priority,
            message=change.message,
            value=change.value,
            condition_ts=change.ts,
            state_since=now,
        )

    @property
    def suppressions(self) -> tuple[Suppression, ...]:
        flags = (
            (self.design, Suppression.DESIGN),
            (self.chatter, Suppression.CHATTER),
            (self.flood, Suppression.FLOOD),
        )
        return tuple(reason for on, reason in flags if on)

    @property
    def held(self) -> bool:
        """Whether anything keeps the alarm from annunciating."""
        return bool(self.out_of_service or self.shelf or self.design or self.chatter or self.flood)

    @property
    def state(self) -> AlarmState:
        if self.out_of_service is not None:
            return AlarmState.OUT_OF_SERVICE
        if self.shelf is not None:
            return AlarmState.SHELVED
        if self.design or self.chatter or self.flood:
            return AlarmState.SUPPRESSED
        return self.base

    def describe(self, change: AlarmCondition) -> bool:
        """Take the rule's description of the alarm; whether a recorded field changed."""
        changed = (change.rule, change.point, change.area, change.priority) != (
            self.rule,
            self.point,
            self.area,
            self.priority,
        )
        self.rule, self.point, self.area = change.rule, change.point, change.area
        self.priority, self.message, self.value = change.priority, change.message, change.value
        self.condition_ts = change.ts
        return changed

    def set_active(self, active: bool, now: datetime) -> bool:
        """Track the process condition; whether it changed."""
        if active == self.active:
            return False
        self.active = active
        self.active_since = now if active else None
        if not active:
            self.flood = False  # a flood holds active alarms only: one that cleared is gone
        return True

    def settled_base(self, was_held: bool) -> AlarmState:
        """The annunciation state the condition asks for, once nothing holds the alarm."""
        if was_held:
            return AlarmState.UNACK_ACTIVE if self.active else AlarmState.NORMAL
        if self.active:
            return self.base if self.base is AlarmState.ACK_ACTIVE else AlarmState.UNACK_ACTIVE
        return _ON_RETURN.get(self.base, self.base)

    def view(self) -> AlarmView:
        return AlarmView(
            id=self.id,
            rule=self.rule,
            point=self.point,
            area=self.area,
            priority=self.priority,
            message=self.message,
            value=self.value,
            state=self.state,
            active=self.active,
            suppressions=self.suppressions,
            shelf=self.shelf,
            out_of_service=self.out_of_service,
            ack=self.ack,
            active_since=self.active_since,
            state_since=self.state_since,
            annunciated_at=self.annunciated_at,
            condition_ts=self.condition_ts,
        )

    @classmethod
    def from_view(cls, view: AlarmView) -> AlarmEntry:
        """The entry a snapshot describes (for restore); a held alarm's base is re-evaluated
        when the hold ends, so normal stands in for it."""
        base = view.state if view.state in ANNUNCIATION_STATES else AlarmState.NORMAL
        return cls(
            id=view.id,
            rule=view.rule,
            point=view.point,
            area=view.area,
            priority=view.priority,
            message=view.message,
            value=view.value,
            condition_ts=view.condition_ts,
            state_since=view.state_since,
            active=view.active,
            base=base,
            design=Suppression.DESIGN in view.suppressions,
            chatter=Suppression.CHATTER in view.suppressions,
            flood=Suppression.FLOOD in view.suppressions,
            shelf=view.shelf,
            out_of_service=view.out_of_service,
            ack=view.ack,
            active_since=view.active_since,
            annunciated_at=view.annunciated_at,
        )
