"""Changing the running rules: replace() keeps what did not change, apps add and remove
rules through the Python API, and a refused file leaves the engine as it was."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from penworks.core import ConfigError, PenworksError
from penworks.model import SiteModel
from penworks.rules.definitions import RuleDef
from penworks.rules.engine import RuleEngine
from penworks.rules.status import UnknownRule
from tests.unit.rules.rule_support import R301, SMALL_OFFICE, T0, Rig, eventually, running

TWO_RULES = f"""\
rules:
  - id: zone_hot
    for_each: {{point: {R301}}}
    when: "value > 28"
    alarm: {{priority: high, message: "{{value}}"}}
  - id: zone_cold
    for_each: {{point: {R301}}}
    when: "value < 18"
    for: 10m
    alarm: {{priority: low, message: "{{value}}"}}
"""


@pytest.fixture(scope="module")
def model() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


async def test_replace_keeps_the_state_of_unchanged_rules(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TWO_RULES))
    async with running(rig):
        await rig.publish(R301, 29.0)
        await rig.settled()
        evaluations = rig.engine.rule("zone_hot").evaluations
        rig.engine.replace(rig.load(tmp_path, TWO_RULES, "again.yaml"))  # the same rules
        await rig.settled()
        assert rig.engine.instances("zone_hot")[0].active
        assert rig.engine.instances("zone_hot")[0].since == T0
        assert rig.engine.rule("zone_hot").evaluations == evaluations
        assert rig.engine.rule("zone_hot").owner == str(tmp_path / "again.yaml")
        assert len(rig.alarms.changes) == 1  # nothing was cleared and raised again
        await rig.publish(R301, 27.0)
        await rig.settled()
    assert [c.active for c in rig.alarms.changes] == [True, False]


async def test_a_changed_or_dropped_rule_clears_its_alarms(
    model: SiteModel, tmp_path: Path
) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TWO_RULES))
    async with running(rig):
        await rig.publish(R301, 29.0)
        changed = TWO_RULES.replace("value > 28", "value > 28.5").replace(
            TWO_RULES[TWO_RULES.index("  - id: zone_cold") :], ""
        )
        rig.engine.replace(rig.load(tmp_path, changed))
        await rig.settled()
        assert [r.id for r in rig.engine.rules()] == ["zone_hot"]
        assert rig.engine.rule("zone_hot").evaluations == 1  # new state, evaluated once
        assert rig.engine.instances("zone_hot")[0].active  # 29.0 is over the new limit too
        rig.engine.replace(rig.load(tmp_path, "rules: []\n"))
        await rig.settled()
        assert rig.engine.rules() == []
    assert [(c.alarm_id, c.active) for c in rig.alarms.changes] == [
        (f"zone_hot:{R301}", True),
        (f"zone_hot:{R301}", False),  # the old definition's alarm, retracted
        (f"zone_hot:{R301}", True),  # raised by the new definition
        (f"zone_hot:{R301}", False),  # the rule was dropped
    ]


async def test_a_refused_file_leaves_the_running_rules(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TWO_RULES))
    broken = TWO_RULES + "  - id: zone_odd\n    for_each: {point: b15.nowhere}\n    when: 'True'\n"
    with pytest.raises(ConfigError, match="rule zone_odd: for_each: unknown point 'b15.nowhere'"):
        rig.engine.replace(rig.load(tmp_path, broken))
    assert [r.id for r in rig.engine.rules()] == ["zone_cold", "zone_hot"]


async def test_apps_add_and_remove_rules(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TWO_RULES))
    rule = RuleDef.model_validate(
        {
            "id": "lights_left_on",
            "for_each": {"brick": "Lighting_Level_Command", "within": "b15.f3"},
            "when": "value > 0",
            "for": "2h",
            "alarm": {"priority": "low", "message": "{name} on for two hours"},
        }
    )
    status = rig.engine.add(rule, owner="energy_app")
    assert (status.owner, status.instances, status.enabled) == ("energy_app", 4, True)
    in_python = RuleDef(id="in_python", for_each={"point": R301}, when="value > 40", hold=60)
    assert rig.engine.add(in_python, owner="energy_app").instances == 1
    with pytest.raises(ConfigError, match="rule in_python .* the id is already used"):
        rig.engine.add(in_python, owner="other_app")
    with pytest.raises(ConfigError, match=r"rule nowhere \(energy_app\): for_each: unknown point"):
        rig.engine.add(
            RuleDef(id="nowhere", for_each={"point": "b15.x"}, when="True"), "energy_app"
        )
    rig.engine.replace(rig.load(tmp_path, "rules: []\n"))  # file rules go, app rules stay
    assert [r.id for r in rig.engine.rules()] == ["in_python", "lights_left_on"]
    clash = "rules:\n  - {id: in_python, every: 1m, when: 'True'}\n"
    with pytest.raises(ConfigError, match="rule ids already used by apps: in_python"):
        rig.engine.replace(rig.load(tmp_path, clash))
    rig.engine.remove("lights_left_on")
    with pytest.raises(UnknownRule, match="unknown rule 'lights_left_on'"):
        rig.engine.remove("lights_left_on")
    with pytest.raises(UnknownRule):
        rig.engine.instances("lights_left_on")
    assert [r.id for r in rig.engine.rules()] == ["in_python"]


async def test_a_disabled_rule_is_checked_but_does_not_run(
    model: SiteModel, tmp_path: Path
) -> None:
    rig = Rig(model)
    rig.engine.replace(
        rig.load(
            tmp_path,
            TWO_RULES.replace(
                '    when: "value > 28"', '    enabled: false\n    when: "value > 28"'
            ),
        )
    )
    async with running(rig):
        await rig.publish(R301, 29.0)
    status = rig.engine.rule("zone_hot")
    assert (status.enabled, status.instances, status.evaluations) == (False, 0, 0)


async def test_stats_count_observations_and_work(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TWO_RULES))
    async with running(rig):
        await rig.publish(R301, 17.0)
        await rig.publish("b15.f3.r302.zone_air_temp", 17.0)  # no rule reads it
        await rig.settled()
        stats = rig.engine.stats()
    assert (stats.rules, stats.instances, stats.active) == (2, 2, 0)
    assert (stats.observations, stats.observations_used) == (2, 1)
    assert stats.evaluations == 4  # each rule once when added, once for the observation
    assert stats.timers >= 1  # zone_cold waits for its 10 minutes


def test_an_unknown_time_zone_is_a_config_error(model: SiteModel) -> None:
    rig = Rig(model)
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        RuleEngine(
            model,
            rig.bus,
            rig.clock,
            alarms=None,
            commands=None,
            notify=None,
            schedules=None,
            timezone="Mars/Olympus",
        )


async def test_the_engine_ends_when_the_bus_closes(model: SiteModel, tmp_path: Path) -> None:
    rig = Rig(model)
    rig.engine.replace(rig.load(tmp_path, TWO_RULES))
    task = asyncio.create_task(rig.engine.run())
    await eventually(lambda: rig.clock.sleepers > 0)  # subscribed, waiting for its next timer
    await rig.publish(R301, 29.0)
    await rig.bus.close()
    async with asyncio.timeout(5):
        await task  # ends without an error
    assert rig.engine.stats().pending_work == 0


async def test_one_engine_runs_once(model: SiteModel) -> None:
    rig = Rig(model)
    async with running(rig):
        with pytest.raises(PenworksError, match="already running"):
            await rig.engine.run()
