"""create_app: the FastAPI application, with its dependencies passed in explicitly."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

import penworks
from penworks.api.context import ApiContext
from penworks.api.live_config import LiveConfig
from penworks.api.problems import CrashToProblem, exception_handlers
from penworks.api.protocols import AppSource, DeviceSource, ModelView, RuleSource, StatusSource
from penworks.api.responses import problem_openapi, problems
from penworks.api.routes import alarms as alarm_routes
from penworks.api.routes import apps as app_routes
from penworks.api.routes import auth as auth_routes
from penworks.api.routes import commands as command_routes
from penworks.api.routes import deadletters, docs, health, latest, points, site, web
from penworks.api.routes import devices as device_routes
from penworks.api.routes import live as live_routes
from penworks.api.routes import notifications as notification_routes
from penworks.api.routes import rules as rule_routes
from penworks.api.routes import schedules as schedule_routes
from penworks.api.routes import users as user_routes
from penworks.api.security import require
from penworks.auth.policy import AccessPolicy
from penworks.auth.service import AuthService
from penworks.auth.types import Action
from penworks.bus import Bus
from penworks.control import ControlService
from penworks.core import Clock, RealClock
from penworks.rules import AlarmBook, Notifier, ScheduleBook
from penworks.store import History

DESCRIPTION = """\
The Penworks HTTP API: the building model, its points, their latest values and history,
the dead letters of input that could not be used, the platform's health, commands with
their priority arrays, interlocks and audit log, alarms, rules and schedules.

Point ids are dotted paths such as `b15.f3.r301.zone_air_temp`. Times are ISO 8601, must
carry a UTC offset (or `Z`) and lie in the years 1900 to 2999.

Every route but the liveness answer of `/api/health` and the sign-in routes needs
`Authorization: Bearer <token>`: an access token from `POST /api/auth/token` (OAuth2
password flow) or an API token. Without one the answer is 401; a role that may not do
something gets 403; a point, place or alarm the signed-in user may not see (another
tenant's) answers 404, exactly as an unknown one. Every error is an RFC 9457 problem
(`application/problem+json`) with `type`, `title`, `status`, `detail` and `instance`.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "health", "description": "Is the platform up"},
    {"name": "model", "description": "The building model"},
    {"name": "points", "description": "Points, latest values and history"},
    {"name": "dead letters", "description": "Input that could not become observations"},
    {"name": "devices", "description": "How the devices that connectors reach are doing"},
    {"name": "commands", "description": "Commands, priority arrays, interlocks, audit log"},
    {"name": "alarms", "description": "ISA-18.2 alarms: states, operator actions, KPIs"},
    {"name": "rules", "description": "The rules that run, and reloading their files"},
    {"name": "schedules", "description": "Weekly schedules with holidays and exceptions"},
    {"name": "auth", "description": "Sign in and out, first setup, who am I"},
    {"name": "users", "description": "Users and API tokens"},
    {"name": "apps", "description": "Smart apps: which run, and their own routes"},
]


def create_app(
    *,
    model: ModelView,
    history: History,
    policy: AccessPolicy,
    auth: AuthService | None,
    status: StatusSource | None = None,
    devices: DeviceSource | None = None,
    title: str = "Penworks",
    clock: Clock | None = None,
    control: ControlService | None = None,
    alarms: AlarmBook | None = None,
    rules: RuleSource | None = None,
    schedules: ScheduleBook | None = None,
    notifier: Notifier | None = None,
    bus: Bus | None = None,
    live: LiveConfig | None = None,
    apps: AppSource | None = None,
) -> FastAPI:
    """Build the API over a model and a history store; `auth` says who a request is and
    `policy` what it may see and do (without `auth` every protected route answers 503: the
    API never runs open); `status` feeds /api/health and
    `devices` /api/devices; `control`, `alarms`, `rules`, `schedules` and `notifier` their routes
    (which answer 503, or 404 for schedules and notifications, without them). The WebSocket
    /api/live streams from `bus`, as `live` sets it (without a bus it closes at once).
    `apps` are the hosted smart apps: /api/apps lists them and each one's routes are mounted
    at /api/apps/<app id>/ behind sign-in (Action.READ at least).

    The caller owns the history store: it opens it before serving and closes it after.
    `clock` decides what "now" is for default history windows (real time by default).
    """
    app = FastAPI(
        title=title,
        version=penworks.__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        exception_handlers=exception_handlers(),
        docs_url=None,  # served by routes.docs from local assets, not a CDN
        redoc_url=None,
    )
    app.state.penworks = ApiContext(
        model=model,
        history=history,
        status=status,
        clock=clock or RealClock(),
        policy=policy,
        auth=auth,
        devices=devices,
        control=control,
        alarms=alarms,
        rules=rules,
        schedules=schedules,
        notifier=notifier,
        bus=bus,
        live=live or LiveConfig(),
        apps=apps,
    )
    app.add_middleware(CrashToProblem)
    for module in (
        health, site, points, latest, deadletters, device_routes,
        command_routes, alarm_routes, notification_routes, rule_routes, schedule_routes,
        live_routes, auth_routes, user_routes, app_routes, web, docs,
    ):  # fmt: skip
        app.include_router(module.router)
    for prefix, router in apps.routers() if apps is not None else []:
        app.include_router(
            router,
            prefix=prefix,
            tags=["apps"],
            dependencies=[Depends(require(Action.READ))],
            responses=problems(401, 403),
        )
    docs.mount_assets(app)
    app.openapi = lambda: problem_openapi(app)  # type: ignore[method-assign]
    return app
