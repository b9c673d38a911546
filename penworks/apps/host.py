"""AppHost: finds the apps, checks their config, runs each one supervised, serves them.

Apps come from the `penworks.apps` entry points (and, for tests, directly). The platform
config says which run (`apps: {<id>: {enabled, priority, settings}}`; none by default); an
id no app has, or settings the app's schema refuses, is a ConfigError naming the app and the
key. Each enabled app runs in a task of its own: an exception is logged, counted and the app
started again after a growing pause, so a faulty app never takes the platform down. Its
routes are mounted by the API at `/api/apps/<id>/`, behind sign-in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint

from fastapi import APIRouter
from pydantic import BaseModel, ValidationError

from penworks.apps.context import AppContext
from penworks.apps.discovery import discover
from penworks.apps.types import App, AppStatus, Panel
from penworks.bus import Bus
from penworks.config import AppConfig
from penworks.control import ControlService
from penworks.core import Clock, ConfigError
from penworks.core.backoff import Backoff
from penworks.core.repeats import repeated
from penworks.model import SiteModel
from penworks.rules.sinks import AlarmSink
from penworks.store import History

log = logging.getLogger(__name__)

PREFIX = "/api/apps"


@dataclass(frozen=True, slots=True)
class AppServices:
    """The platform services every app's context is built over."""

    model: SiteModel
    bus: Bus
    history: History
    control: ControlService
    alarms: AlarmSink
    clock: Clock


@dataclass(slots=True)
class Hosted:
    """One enabled app, its context and how it is doing."""

    app: App
    config: AppConfig
    context: AppContext
    router: APIRouter | None
    panels: tuple[Panel, ...]
    running: bool = False
    restarts: int = 0
    last_error: str | None = None

    def status(self) -> AppStatus:
        return AppStatus(
            id=self.app.id,
            name=self.app.name,
            priority=self.config.priority,
            running=self.running,
            restarts=self.restarts,
            panels=self.panels,
            last_error=self.last_error,
        )


class AppHost:
    """The enabled apps of one platform, supervised."""

    def __init__(
        self,
        config: Mapping[str, AppConfig],
        services: AppServices,
        *,
        apps: Iterable[App] = (),
        entries: Iterable[EntryPoint] | None = None,
        backoff_s: tuple[float, float] = (1.0, 60.0),
        queue_size: int = 10_000,
    ) -> None:
        """`entries`: the entry points to load (None: the installed `penworks.apps` ones)."""
        available = {app.id: app for app in _unique([*discover(entries), *apps])}
        self._backoff_s = backoff_s
        self._hosted: dict[str, Hosted] = {}
        for app_id, app_config in config.items():
            if app_id not in available:
                known = ", ".join(sorted(available)) or "none installed"
                raise ConfigError(f"apps.{app_id}: no installed app has this id ({known})")
            if app_config.enabled:
                app = available[app_id]
                self._hosted[app_id] = _host(app, app_config, services, queue_size)
        self.started = asyncio.Event()  # set once every app task has been started

    @property
    def hosted(self) -> dict[str, Hosted]:
        return dict(self._hosted)

    def statuses(self) -> list[AppStatus]:
        """Every enabled app: running, restarts, panels (what /api/apps lists)."""
        return [h.status() for h in self._hosted.values()]

    def routers(self) -> list[tuple[str, APIRouter]]:
        """(mount prefix, router) of every enabled app that has routes."""
        return [(f"{PREFIX}/{i}", h.router) for i, h in self._hosted.items() if h.router]

    async def run(self) -> None:
        """Run every enabled app until cancelled (returns at once without any)."""
        async with asyncio.TaskGroup() as tasks:
            for app_id, hosted in self._hosted.items():
                tasks.create_task(self._supervise(hosted), name=f"app-{app_id}")
            self.started.set()

    async def _supervise(self, hosted: Hosted) -> None:
        """Run one app; if it fails, log why, count it and start it again after a pause.

        Like the connectors' supervisor: a fault in one app's code must not take the
        platform, or the other apps, down with it.
        """
        backoff = Backoff(*self._backoff_s)
        while True:
            hosted.running = True
            try:
                await hosted.app.run(hosted.context)
                log.info("app %s finished", hosted.app.id)
                return
            except Exception as error:
                hosted.restarts += 1
                hosted.last_error = f"{type(error).__name__}: {error}"
                log.exception("app %s failed; restarting it", hosted.app.id)
            finally:
                hosted.running = False
            await asyncio.sleep(backoff.next_delay())


def _unique(apps: list[App]) -> list[App]:
    twice = repeated(app.id for app in apps)
    if twice:
        raise ConfigError(f"two installed apps have the id {', '.join(twice)}")
    return apps


def _host(app: App, config: AppConfig, services: AppServices, queue_size: int) -> Hosted:
    context = AppContext(
        app.id,
        settings=_settings(app, config),
        priority=config.priority,
        model=services.model,
        bus=services.bus,
        history=services.history,
        control=services.control,
        alarms=services.alarms,
        clock=services.clock,
        queue_size=queue_size,
    )
    return Hosted(app, config, context, _router(app), _panels(app))


def _settings(app: App, config: AppConfig) -> BaseModel:
    """The app's settings validated by its schema; ConfigError naming the app and the key."""
    try:
        return app.settings.model_validate(config.settings)
    except ValidationError as error:
        problems = "; ".join(
            f"apps.{app.id}.settings.{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigError(problems) from None


def _router(app: App) -> APIRouter | None:
    make = getattr(app, "router", None)
    router = make() if callable(make) else None
    if router is not None and not isinstance(router, APIRouter):
        raise ConfigError(f"app {app.id}: router() gave a {type(router).__name__}, not APIRouter")
    return router


def _panels(app: App) -> tuple[Panel, ...]:
    make = getattr(app, "panels", None)
    panels = tuple(make()) if callable(make) else ()
    for panel in panels:
        if not isinstance(panel, Panel):
            raise ConfigError(f"app {app.id}: panels() gave a {type(panel).__name__}, not Panel")
    return panels
