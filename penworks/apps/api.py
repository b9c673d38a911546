"""The App API: the one module a smart app imports.

Everything an app may use is re-exported here, and nothing that lets it go around control:

- `App` (the protocol an app implements), `Panel` (a dashboard panel it offers);
- `AppContext`, handed to `App.run`: model queries by Brick class and place
  (`PointSelector`), subscriptions to points and events, history (`latest`, `range` with an
  `Aggregate`), commands at the app's priority through the command path (a
  `CommandOutcome` back), alarms (`raise_alarm`/`clear_alarm`, rule `app.<id>.<name>`),
  app events (`event.app.<id>.<name>`), the validated settings, the clock and a logger;
- for an app's REST routes (mounted at `/api/apps/<id>/`, signed-in users only): `Reader`
  (the signed-in principal that may read), `require(Action...)` for more, and
  `VisiblePoints` (keeps the points the principal may see: tenants see their own).
"""

from penworks.api.security import Authed, Reader, VisiblePoints, require
from penworks.apps.context import AppContext
from penworks.apps.streams import EventStream, ObservationStream
from penworks.apps.types import App, AppError, Panel, PanelKind
from penworks.auth.types import Action, Principal
from penworks.control import CommandOutcome, CommandStatus, Refusal
from penworks.core import Observation, Point, PointKind, Quality, Value
from penworks.model.entities import Entity, EntityKind
from penworks.model.schema import Strict
from penworks.model.select import PointSelector
from penworks.rules.alarm_types import AlarmPriority
from penworks.store import Aggregate

__all__ = [
    "Action",
    "Aggregate",
    "AlarmPriority",
    "App",
    "AppContext",
    "AppError",
    "Authed",
    "CommandOutcome",
    "CommandStatus",
    "Entity",
    "EntityKind",
    "EventStream",
    "Observation",
    "ObservationStream",
    "Panel",
    "PanelKind",
    "Point",
    "PointKind",
    "PointSelector",
    "Principal",
    "Quality",
    "Reader",
    "Refusal",
    "Strict",
    "Value",
    "VisiblePoints",
    "require",
]
