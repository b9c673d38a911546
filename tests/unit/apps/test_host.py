"""The AppHost: config checks, entry point discovery, supervision, commands through control."""

from __future__ import annotations

import asyncio
from importlib.metadata import EntryPoint

import pytest
from pydantic import BaseModel, ValidationError

from penworks.apps import discovery
from penworks.apps.context import AppContext
from penworks.apps.discovery import discover
from penworks.apps.host import AppHost, AppServices
from penworks.apps.types import AppError
from penworks.config import AppConfig, PlatformConfig
from penworks.control import Actor, ActorKind, CommandStatus, ControlConfig, Refusal
from penworks.core import ConfigError
from penworks.model import SiteModel
from tests.unit.api.fakes import MemoryHistory
from tests.unit.apps.sample_app import ComfortSettings, ComfortWatch
from tests.unit.apps.support import BUILDING15, build_host, hosting
from tests.unit.control.support import eventually, running
from tests.unit.rules.alarm_support import make_book

B_VAV = "b15.f3.r301.vav.occupied_cooling_setpoint"
SAMPLE = EntryPoint("comfort", "tests.unit.apps.sample_app:ComfortWatch", discovery.GROUP)


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(BUILDING15)


class Crashing:
    """An app whose run fails every time."""

    id = "crashing"
    name = "Crashing app"
    settings = ComfortSettings

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, ctx: AppContext) -> None:
        self.runs += 1
        raise RuntimeError(f"boom {self.runs}")


class OtherSettings(BaseModel):
    """Not the comfort watch's settings."""


class Idle:
    id = "idle"
    name = "Idle app"
    settings = ComfortSettings

    async def run(self, ctx: AppContext) -> None:
        await asyncio.Event().wait()


async def host_error(model: SiteModel, config: dict[str, AppConfig]) -> str:
    async with running(model, ControlConfig()) as control:
        with pytest.raises(ConfigError) as error:
            build_host(model, control, make_book(control.clock), config, [ComfortWatch()])
    return str(error.value)


async def test_bad_settings_name_the_app_and_the_key(building15: SiteModel) -> None:
    said = await host_error(building15, {"comfort": AppConfig(settings={"band_k": "warm"})})
    assert "apps.comfort.settings.band_k" in said
    said = await host_error(building15, {"comfort": AppConfig(settings={"bnad_k": 1})})
    assert "apps.comfort.settings.bnad_k" in said
    assert "Extra" in said


async def test_an_unknown_app_id_is_refused(building15: SiteModel) -> None:
    said = await host_error(building15, {"energy": AppConfig()})
    assert "apps.energy" in said
    assert "comfort" in said


def test_the_platform_config_shape() -> None:
    config = PlatformConfig.model_validate(
        {"apps": {"comfort": {"priority": 12, "settings": {"band_k": 2}}}}
    )
    assert config.apps["comfort"] == AppConfig(priority=12, settings={"band_k": 2})
    assert PlatformConfig().apps == {}
    bads: list[dict[str, object]] = [
        {"comfort": {"priority": 8}},
        {"Comfort": {}},
        {"comfort": {"enable": True}},
    ]
    for bad in bads:
        with pytest.raises(ValidationError):
            PlatformConfig.model_validate({"apps": bad})


def test_entry_points_are_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    [app] = discover([SAMPLE])
    assert isinstance(app, ComfortWatch)
    asked: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        asked.append(group)
        return [SAMPLE]

    monkeypatch.setattr(discovery, "entry_points", fake_entry_points)
    assert [a.id for a in discover()] == ["comfort"]
    assert asked == ["penworks.apps"]


@pytest.mark.parametrize(
    ("value", "says"),
    [("builtins:dict", "not an App"), ("tests.unit.apps.nowhere:App", "cannot load")],
)
def test_a_bad_entry_point_is_a_config_error(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        discover([EntryPoint("bad", value, discovery.GROUP)])


async def test_a_discovered_app_runs_only_when_configured(building15: SiteModel) -> None:
    async with running(building15, ControlConfig()) as control:
        services = AppServices(
            building15, control.bus, MemoryHistory(), control.service,
            make_book(control.clock), control.clock,
        )  # fmt: skip
        assert AppHost({}, services, entries=[SAMPLE]).statuses() == []
        host = AppHost({"comfort": AppConfig()}, services, entries=[SAMPLE])
        assert [s.id for s in host.statuses()] == ["comfort"]
        with pytest.raises(ConfigError, match="two installed apps"):
            AppHost({}, services, apps=[ComfortWatch()], entries=[SAMPLE])


async def test_a_crashing_app_is_restarted_and_counted(building15: SiteModel) -> None:
    crashing, idle = Crashing(), Idle()
    config = {"crashing": AppConfig(), "idle": AppConfig()}
    async with hosting(building15, config, crashing, idle) as apps:
        await eventually(lambda: crashing.runs >= 3)
        statuses = {s.id: s for s in apps.host.statuses()}
        assert statuses["crashing"].restarts >= 2
        assert statuses["crashing"].last_error is not None
        assert statuses["crashing"].last_error.startswith("RuntimeError: boom")
        assert (statuses["idle"].running, statuses["idle"].restarts) == (True, 0)


async def test_a_disabled_app_does_not_run(building15: SiteModel) -> None:
    crashing = Crashing()
    async with hosting(building15, {"crashing": AppConfig(enabled=False)}, crashing) as apps:
        assert apps.host.statuses() == []
    assert crashing.runs == 0


async def test_commands_go_through_control_as_the_app(building15: SiteModel) -> None:
    async with hosting(building15, {"comfort": AppConfig()}, ComfortWatch()) as apps:
        context = apps.host.hosted["comfort"].context
        outcome = await context.command(B_VAV, 24.0, reason="pre-cool")
        assert outcome.status is CommandStatus.CONFIRMED
        assert outcome.request.actor == Actor(ActorKind.APP, "comfort")
        assert outcome.request.priority == 10
        assert apps.control.port.writes(B_VAV)[-1][2] == 24.0
        relinquished = await context.command(B_VAV, None, reason="done")
        assert relinquished.status is CommandStatus.RELINQUISHED


async def test_a_priority_above_the_apps_permission_is_refused(building15: SiteModel) -> None:
    async with hosting(building15, {"comfort": AppConfig(priority=9)}, ComfortWatch()) as apps:
        context = apps.host.hosted["comfort"].context
        outcome = await context.command(B_VAV, 24.0, reason="too urgent")
        assert outcome.status is CommandStatus.REFUSED
        assert outcome.refusal is Refusal.PERMISSION
        assert apps.control.port.writes(B_VAV) == []


async def test_names_and_patterns_are_checked(building15: SiteModel) -> None:
    async with hosting(building15, {"comfort": AppConfig()}, ComfortWatch()) as apps:
        context = apps.host.hosted["comfort"].context
        with pytest.raises(AppError):
            await context.publish("Not A Name", {})
        with pytest.raises(AppError):
            context.events("obs.>")
        with pytest.raises(AppError):
            context.settings_as(OtherSettings)
        assert context.settings_as(ComfortSettings).band_k == 1.5


async def test_app_events_and_other_events_reach_an_app(building15: SiteModel) -> None:
    async with hosting(building15, {"comfort": AppConfig()}, ComfortWatch()) as apps:
        context = apps.host.hosted["comfort"].context
        async with context.events("event.app.>") as stream:
            await context.publish("hello", {"n": 1})
            await apps.control.bus.publish("event.other.thing", {"n": 2})
            await context.publish("hello", {"n": 3})
            seen = []
            async for subject, event in stream:
                seen.append((subject, event["n"]))
                if len(seen) == 2:
                    break
        assert seen == [("event.app.comfort.hello", 1), ("event.app.comfort.hello", 3)]
