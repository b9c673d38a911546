"""The automation half of the composition root: Building 15's own files, start-up checks,
and rule commands going through the command path."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.automation import Automation, RuleCommands
from penworks.bus import MemoryBus
from penworks.config import DEFAULT_SITE, AutomationConfig, site_automation
from penworks.control import ActorKind, ControlConfig, ControlService
from penworks.core import CommandRejected, ConfigError, SimClock
from penworks.model import SiteModel
from penworks.rules import load_notification_config
from penworks.store import MemoryJournal
from tests.unit.connectors.support import T0

AUTOMATION = DEFAULT_SITE.parent / "building15" / "automation"


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(DEFAULT_SITE)


def _automation(model: SiteModel, config: AutomationConfig) -> Automation:
    clock = SimClock(T0, 1.0)
    return Automation(config, model, MemoryBus(), clock, MemoryJournal(), lambda _: None)


def test_building15_keeps_its_automation_files_next_to_it() -> None:
    found = site_automation(DEFAULT_SITE)
    assert found.control == (AUTOMATION / "control.yaml").resolve()
    assert found.rules == [(AUTOMATION / "rules.yaml").resolve()]
    assert found.schedules == (AUTOMATION / "schedules.yaml").resolve()
    assert found.notifications == (AUTOMATION / "notifications.yaml").resolve()


def test_building15_automation_binds_to_its_model(building15: SiteModel) -> None:
    automation = _automation(building15, site_automation(DEFAULT_SITE))
    rules = {r.id: r for r in automation.rules.rules()}
    assert rules["zone_too_warm"].instances == 21
    assert rules["device_offline"].instances == len(
        building15.find_points(brick="Communication_Loss_Alarm")
    )
    assert all(not r.skipped for r in rules.values())
    assert automation.schedules is not None
    assert set(automation.schedules.schedule_ids()) >= {"office_hours", "hvac_occupied"}
    assert automation.schedule_points is not None
    (interlock,) = {s.interlock for s in automation.control.interlocks()}
    assert interlock == "fire_zone_response"


def test_the_notification_files_are_valid() -> None:
    example = load_notification_config(AUTOMATION / "notifications.example.yaml")
    assert {c.id for c in example.channels} == {"mail", "ops_hook"}
    demo = load_notification_config(AUTOMATION / "notifications.yaml")
    assert [c.type for c in demo.channels] == ["log"]


def test_a_bad_rule_file_stops_the_start_naming_the_file_and_rule(
    building15: SiteModel, tmp_path: Path
) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "rules:\n  - id: too_warm\n    for_each: {brick: Zone_Air_Temperature_Sensor}\n"
        '    when: "value > limit"\n',
        encoding="utf-8",
    )
    config = AutomationConfig(rules=[bad], schedules=site_automation(DEFAULT_SITE).schedules)
    with pytest.raises(ConfigError, match=r"rules.yaml:\d+: rule too_warm: .*limit"):
        _automation(building15, config)


def test_schedule_points_without_a_schedules_file_are_refused(building15: SiteModel) -> None:
    with pytest.raises(ConfigError, match="no schedules file"):
        _automation(building15, AutomationConfig())


async def test_a_rule_command_goes_through_control_as_the_rule(building15: SiteModel) -> None:
    clock = SimClock(T0, 1.0)
    journal = MemoryJournal()
    control = ControlService(
        building15, MemoryBus(), clock, journal, ControlConfig(), lambda _: None
    )
    commands = RuleCommands(control)
    with pytest.raises(CommandRejected, match="refused"):
        await commands.command(
            "b15.f3.r301.light.mode", "off", 12, source="lights_left_on", reason=""
        )
    (record,) = await control.audit()
    assert (record["actor_kind"], record["actor"]) == (ActorKind.RULE.value, "lights_left_on")
    assert record["reason"] == "rule lights_left_on"
    assert record["refusal"] == "no_connector"
