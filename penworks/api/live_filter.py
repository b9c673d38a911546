"""What one live socket receives: its subscription, checked against the access policy.

Points are resolved once, when subscribed (listed ids, or a Brick class and a location),
into a set of ids the principal may read; each bus message is then matched in O(1). Alarm
transitions go out when the principal may read the alarm's point (or, without one, its
area); floods and rule events only to park-wide principals; command events only for points
it may read. What it may not read is never sent, whatever it subscribed to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from penworks.api.live_messages import LiveError, MessageId, SubscribeIn, UnsubscribeIn
from penworks.api.problems import InvalidParam
from penworks.api.protocols import ModelView
from penworks.auth import AccessPolicy, Action, Principal
from penworks.bus import Message
from penworks.core import ModelError, Observation
from penworks.model import UnknownEntityError

ALARM_SUBJECT: Final = "event.alarm"
FLOOD_SUBJECT: Final = "event.alarm_flood"
COMMAND_SUBJECT: Final = "event.command"
OBSERVATION_PREFIX: Final = "obs."
EVENT_PREFIX: Final = "event."


class LiveFilter:
    """A principal's subscription: the point ids it follows, and whether alarms and events."""

    def __init__(
        self, model: ModelView, policy: AccessPolicy, principal: Principal, max_points: int
    ) -> None:
        self.principal = principal
        self.points: set[str] = set()
        self.alarms = False
        self.events = False
        self._model = model
        self._policy = policy
        self._max_points = max_points

    # Changing the subscription

    def subscribe(self, request: SubscribeIn) -> list[str]:
        """Add what `request` names; the ids added. LiveError (and no change) if it names a
        point or place the principal may not see, an unknown Brick class, or too many points."""
        wanted = self._listed(request.points, request.id)
        wanted += self._found(request.brick, request.within, request.id)
        added = [p for p in dict.fromkeys(wanted) if p not in self.points]
        if len(self.points) + len(added) > self._max_points:
            detail = f"a socket follows at most {self._max_points} points; narrow the selection"
            raise LiveError(422, "Too many points", detail, "live-too-many-points",
                            request_id=request.id)  # fmt: skip
        self.points.update(added)
        self.alarms = self.alarms or request.alarms
        self.events = self.events or request.events
        return added

    def unsubscribe(self, request: UnsubscribeIn) -> list[str]:
        """Remove what `request` names; the ids removed (unknown ids are simply not there)."""
        if request.all:
            removed = sorted(self.points)
            self.points.clear()
            self.alarms = self.events = False
            return removed
        named = list(request.points)
        if request.brick is not None or request.within is not None:
            named += self._found(request.brick, request.within, request.id)
        removed = [p for p in dict.fromkeys(named) if p in self.points]
        self.points.difference_update(removed)
        self.alarms = self.alarms and not request.alarms
        self.events = self.events and not request.events
        return removed

    def _listed(self, points: Iterable[str], request_id: MessageId | None) -> list[str]:
        ids = list(points)
        hidden = [
            InvalidParam(location="message", name=f"points.{i}", reason=f"unknown point {p!r}")
            for i, p in enumerate(ids)
            if not self._readable(p)
        ]
        if hidden:
            detail = "; ".join(e.reason for e in hidden)
            raise LiveError(404, "Unknown point", detail, "unknown-point",
                            errors=hidden, request_id=request_id)  # fmt: skip
        return ids

    def _found(
        self, brick: str | None, within: str | None, request_id: MessageId | None
    ) -> list[str]:
        if brick is None and within is None:
            return []
        if within is not None and not self._place_readable(within):
            detail = f"unknown entity {within!r}"  # as if it did not exist: nothing leaks
            raise LiveError(404, "Unknown entity", detail, "unknown-entity", request_id=request_id)
        try:
            found = self._model.find_points(brick=brick, within=within)
        except ModelError as exc:
            raise LiveError(400, "Invalid model query", str(exc), "model-query",
                            request_id=request_id) from None  # fmt: skip
        return [p.id for p in found if self._policy.can_read_point(self.principal, p)]

    def _readable(self, point_id: str) -> bool:
        return self._model.has_point(point_id) and self._policy.can_read_point(
            self.principal, self._model.point(point_id)
        )

    def _place_readable(self, entity_id: str) -> bool:
        try:
            return self._policy.can_read_entity(self.principal, entity_id)
        except UnknownEntityError:
            return False

    # Matching bus messages

    def observation(self, message: Message) -> dict[str, Any] | None:
        """The item of an `observations` message, for an observation it follows."""
        if isinstance(message, Observation) and message.point in self.points:
            return message.to_json()
        return None

    def event(self, subject: str, message: Message) -> dict[str, Any] | None:
        """The message to send for an `event.*` bus message, or None."""
        if not isinstance(message, dict):
            return None
        if subject == ALARM_SUBJECT:
            return self._alarm(message) if self.alarms else None
        if subject == FLOOD_SUBJECT:
            return self._flood(message) if self.alarms else None
        if not self.events:
            return None
        if subject == COMMAND_SUBJECT:
            point = message.get("point")
            visible = isinstance(point, str) and self._readable(point)
        else:  # rule and app events: about the park, not one tenant's points
            visible = self._park_wide
        return {"type": "event", "subject": subject, "data": message} if visible else None

    def _alarm(self, message: dict[str, Any]) -> dict[str, Any] | None:
        alarm = message.get("alarm")
        if not isinstance(alarm, dict):
            return None
        point = alarm.get("point")
        point = point if isinstance(point, str) else None
        area = str(alarm.get("area", ""))
        if not self._policy.can_read_alarm(self.principal, point, area):
            return None
        return {**message, "type": "alarm"}

    def _flood(self, message: dict[str, Any]) -> dict[str, Any] | None:
        return {**message, "type": "alarm_flood"} if self._park_wide else None

    @property
    def _park_wide(self) -> bool:
        return self.principal.park_wide and self.principal.may(Action.READ)

    @property
    def wants_observations(self) -> bool:
        return bool(self.points)

    @property
    def wants_events(self) -> bool:
        return self.alarms or self.events
