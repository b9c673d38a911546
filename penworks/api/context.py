"""What every route reaches through the app: the model, the history and the live status."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from penworks.api.live_config import LiveConfig
from penworks.api.protocols import AppSource, DeviceSource, ModelView, RuleSource, StatusSource
from penworks.auth.policy import AccessPolicy
from penworks.auth.service import AuthService
from penworks.bus import Bus
from penworks.control import ControlService
from penworks.core import Clock
from penworks.rules import AlarmBook, Notifier, ScheduleBook
from penworks.store import History


@dataclass(frozen=True, slots=True)
class ApiContext:
    model: ModelView
    history: History
    status: StatusSource | None
    clock: Clock
    policy: AccessPolicy  # who sees and commands what
    auth: AuthService | None  # None: built without security; protected routes answer 503
    devices: DeviceSource | None = None
    control: ControlService | None = None
    alarms: AlarmBook | None = None
    rules: RuleSource | None = None
    schedules: ScheduleBook | None = None
    notifier: Notifier | None = None
    bus: Bus | None = None  # what /api/live streams from (None: it closes at once)
    live: LiveConfig = field(default_factory=LiveConfig)
    apps: AppSource | None = None  # the hosted smart apps (None: /api/apps lists none)
    started: float = field(default_factory=time.monotonic)  # for uptime, immune to clock jumps

    def uptime_s(self) -> float:
        return time.monotonic() - self.started


def api_context(request: Request) -> ApiContext:
    """The context create_app stored on the app (a dependency for routes)."""
    context = request.app.state.penworks
    if not isinstance(context, ApiContext):
        raise TypeError("app.state.penworks is not an ApiContext; build the app with create_app")
    return context


Context = Annotated[ApiContext, Depends(api_context)]
