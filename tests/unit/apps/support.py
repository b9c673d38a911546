"""A running AppHost over a real ControlService (fake connector), alarm book and bus."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from penworks.apps.host import AppHost, AppServices
from penworks.apps.types import App
from penworks.config import AppConfig
from penworks.control import ControlConfig
from penworks.model import SiteModel
from penworks.rules import AlarmBook
from tests.unit.api.fakes import MemoryHistory
from tests.unit.control.support import Harness, running
from tests.unit.rules.alarm_support import make_book

REPO = Path(__file__).resolve().parents[3]
BUILDING15 = REPO / "sites" / "building15.yaml"
CEDAR_HOUSE = REPO / "tests" / "data" / "sites" / "cedar_house.yaml"


@dataclass
class Hosting:
    host: AppHost
    control: Harness
    alarms: AlarmBook
    history: MemoryHistory


def build_host(
    model: SiteModel,
    control: Harness,
    alarms: AlarmBook,
    config: dict[str, AppConfig],
    apps: Iterable[App],
    history: MemoryHistory | None = None,
) -> AppHost:
    services = AppServices(
        model, control.bus, history or MemoryHistory(), control.service, alarms, control.clock
    )
    return AppHost(config, services, apps=apps, entries=[], backoff_s=(0.001, 0.004))


@contextlib.asynccontextmanager
async def hosting(
    model: SiteModel,
    config: dict[str, AppConfig],
    *apps: App,
    history: MemoryHistory | None = None,
) -> AsyncIterator[Hosting]:
    """The host's apps running for the body of the block (over `history`, else an empty
    one)."""
    async with running(model, ControlConfig(confirm_timeout_s=2.0)) as control:
        alarms = make_book(control.clock)
        history = history or MemoryHistory()
        host = build_host(model, control, alarms, config, apps, history)
        task = asyncio.create_task(host.run(), name="apps-under-test")
        try:
            yield Hosting(host, control, alarms, history)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
