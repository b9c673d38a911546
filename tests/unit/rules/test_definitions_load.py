"""Loading rule files: a good file compiles into instances; any error refuses the whole file,
naming the file, the line, the rule and the reason; portable rules only warn."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.core import ConfigError
from penworks.model import SiteModel
from penworks.rules.loader import load_rule_file, load_rule_files
from tests.unit.rules.rule_support import SMALL_OFFICE, Schedules, write

F3 = ("r301", "r302", "r303", "m301")
GOOD = """\
rules:
  - id: zone_too_warm
    description: Office too warm while occupied
    for_each: {brick: Zone_Air_Temperature_Sensor}
    inputs:
      setpoint: {brick: Zone_Air_Temperature_Setpoint, within: "{space}"}
      occupied: {schedule: office_hours}
    when: "value > setpoint + 3 and occupied"
    for: 10m
    clear_when: "value < setpoint + 2"
    clear_for: 2m
    deadband: 0.3
    every: 5m
    at: ["07:30"]
    alarm: {priority: medium, message: "{point} is {value:.1f} (setpoint {setpoint:.1f})"}
    suppress_when: "not occupied"
    on_active:
      - command: {select: {brick: Lighting_Level_Command, within: "{space}"}, value: 50}
      - notify: {subject: "{name} too warm", priority: high, roles: [engineer]}
      - event: {name: zone_hot, data: {temp: value, limit: "setpoint + 3", fixed: 1}}
    on_clear:
      - command: {select: {brick: Lighting_Level_Command, within: "{space}"}, value: null}
  - id: hot_outside
    every: 1h
    inputs:
      oat: {point: b15.roof.roof.ahu1.outside_air_temp}
    when: "oat > 30"
"""


@pytest.fixture(scope="module")
def model() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


def load(model: SiteModel, folder: Path, text: str) -> None:
    load_rule_file(write(folder, text), model, Schedules())


def refusal(model: SiteModel, folder: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(model, folder, text)
    return str(caught.value)


def test_a_good_file_compiles_one_instance_per_anchor(model: SiteModel, tmp_path: Path) -> None:
    rules = load_rule_file(write(tmp_path, GOOD), model, Schedules())
    assert rules.ids() == ["zone_too_warm", "hot_outside"]
    warm = rules.get("zone_too_warm")
    assert len(warm.instances) == 13  # every zone of the small office
    r301 = next(i for i in warm.instances if i.anchor == "b15.f3.r301.zone_air_temp")
    assert r301.key == "zone_too_warm:b15.f3.r301.zone_air_temp"
    assert dict(r301.points) == {"setpoint": "b15.f3.r301.vav.setpoint"}
    assert dict(r301.schedules) == {"occupied": "office_hours"}
    assert r301.area == "b15.f3"
    assert r301.targets["on_active[0]"] == ("b15.f3.r301.lights.level",)
    assert r301.static["space"] == "b15.f3.r301"
    assert warm.definition.hold.total_seconds() == 600
    single = rules.get("hot_outside")
    assert [i.key for i in single.instances] == ["hot_outside"]
    assert single.instances[0].area == "b15"
    assert rules.warnings == ()
    assert rules.sources == (str(tmp_path / "rules.yaml"),)


RULE = """\
rules:
  - id: fine
    for_each: {point: b15.f3.r301.zone_air_temp}
    when: "value > 28"
  - id: broken
    for_each: {brick: Zone_Air_Temperature_Sensor}
"""

CASES = {
    "syntax": ('    when: "value >"', 7, "when: syntax error"),
    "not allowed": ('    when: "value.real > 3"', 7, "attribute access"),
    "unbound": ('    when: "value > setpont"', 5, "setpont is not bound"),
    "unknown key": ('    whn: "value > 3"\n    when: "value > 3"', 7, "whn: Extra inputs"),
    "bad duration": ('    when: "value > 3"\n    for: ten minutes', 8, "for: 'ten minutes' is not"),
    "bad time": ('    when: "value > 3"\n    at: ["25:00"]', 8, "is not a time of day"),
    "bad priority": (
        '    when: "value > 3"\n    alarm: {priority: urgent, message: x}',
        8,
        "alarm.priority: 'urgent' is not a priority",
    ),
    "template index": (
        '    when: "value > 3"\n    alarm: {priority: low, message: "{value[0]}"}',
        8,
        "only plain names",
    ),
    "template position": (
        '    when: "value > 3"\n    alarm: {priority: low, message: "{0}"}',
        8,
        "only plain names",
    ),
    "template name": (
        '    when: "value > 3"\n    alarm: {priority: low, message: "{setpoint}"}',
        5,
        "alarm.message: setpoint is not bound",
    ),
    "two targets": (
        '    when: "value > 3"\n    on_active: [{command: {value: 1}}]',
        8,
        "give either point or select",
    ),
    "not writable": (
        '    when: "value > 3"\n'
        "    on_active: [{command: {point: b15.f3.r301.zone_co2, value: 1}}]",
        8,
        "on_active[0].command.point: b15.f3.r301.zone_co2 is not writable",
    ),
    "unknown target": (
        '    when: "value > 3"\n    on_active: [{command: {point: b15.nowhere, value: 1}}]',
        8,
        "unknown point 'b15.nowhere'",
    ),
    "value text unquoted": (
        '    when: "value > 3"\n    on_active: [{command: {point: b15.f3.r301.lights.level, '
        "value: auto}}]",
        5,
        "on_active[0].command.value: auto is not bound",
    ),
    "unknown schedule": (
        '    inputs: {occ: {schedule: weekends}}\n    when: "value > 3 and occ"',
        7,
        "inputs.occ.schedule: unknown schedule 'weekends' (known: office_hours)",
    ),
    "unknown class": (
        '    inputs: {sp: {brick: No_Such_Class, within: "{space}"}}\n    when: "value > sp"',
        7,
        "inputs.sp: 'No_Such_Class' is not a class of Brick",
    ),
    "reserved input": (
        '    inputs: {point: {brick: Zone_CO2_Level_Sensor}}\n    when: "value > 3"',
        5,
        "input 'point': the name is reserved",
    ),
    "suppress without alarm": (
        '    when: "value > 3"\n    suppress_when: "value > 40"',
        5,
        "suppress_when needs an alarm",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_error_names_file_line_rule_and_reason(
    model: SiteModel, tmp_path: Path, case: str
) -> None:
    lines, line, reason = CASES[case]
    message = refusal(model, tmp_path, RULE + lines + "\n")
    assert "nothing was loaded" in message
    assert f"{tmp_path / 'rules.yaml'}:{line}: rule broken: " in message
    assert reason in message
    assert "rule fine" not in message  # only the broken rule is blamed


def test_every_problem_of_the_file_is_listed_at_once(model: SiteModel, tmp_path: Path) -> None:
    message = refusal(
        model,
        tmp_path,
        """\
        rules:
          - id: one
            for_each: {brick: Nope_Class}
            when: "value > 3"
          - id: two
            when: "value > 3"
            every: 1m
          - id: one
            for_each: {point: b15.f3.r301.zone_air_temp}
            when: "value > 3"
        """,
    )
    assert message.startswith("rules refused (3 problems; nothing was loaded)")
    lines = message.splitlines()[1:]
    assert lines[0].endswith(
        "rules.yaml:3: rule one: for_each: 'Nope_Class' is not a class of Brick 1.4"
    )
    assert ":5: rule two: when: value is not bound (the rule binds rule)" in lines[1]
    assert ":8: rule one: id: the id is used before, at " in lines[2]


def test_a_placeholder_needs_an_anchor(model: SiteModel, tmp_path: Path) -> None:
    message = refusal(
        model,
        tmp_path,
        """\
        rules:
          - id: orphan
            inputs: {sp: {brick: Zone_Air_Temperature_Setpoint, within: "{space}"}}
            when: "sp > 3"
          - id: anchored_to_nothing
            for_each: {brick: Zone_Air_Temperature_Sensor, within: "{floor}"}
            when: "value > 3"
        """,
    )
    assert "rule orphan: inputs.sp: a placeholder needs for_each" in message
    assert "rule anchored_to_nothing: for_each: a placeholder needs an anchor" in message


def test_a_rule_without_a_trigger_is_refused(model: SiteModel, tmp_path: Path) -> None:
    message = refusal(model, tmp_path, "rules:\n  - {id: idle, when: 'True'}\n")
    assert "rule idle: nothing triggers the rule" in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the file is empty"),
        ("- id: x\n", "a rule file is a mapping with a list `rules:`"),
        ("rules: {id: x}\n", "rules: expected a list of rules"),
        ("rules: []\nextra: 1\n", "unknown key 'extra'"),
        ("rules: [\n", "not valid YAML"),
        ("rules:\n  - 3\n", "rule #1: Input should be a valid dictionary"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(
    model: SiteModel, tmp_path: Path, text: str, reason: str
) -> None:
    assert reason in refusal(model, tmp_path, text)


def test_no_schedules_configured(model: SiteModel, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        rules:
          - id: occupied_only
            inputs: {occ: {schedule: office_hours}}
            when: occ
        """,
    )
    with pytest.raises(ConfigError, match="inputs.occ.schedule: no schedules are configured"):
        load_rule_file(path, model, None)


def test_portable_rules_warn_instead_of_failing(model: SiteModel, tmp_path: Path) -> None:
    rules = load_rule_file(
        write(
            tmp_path,
            """\
            rules:
              - id: chillers
                for_each: {brick: Chilled_Water_Supply_Temperature_Sensor}
                when: "value > 9"
              - id: co2_of_301
                for_each: {brick: Zone_Air_Temperature_Sensor, match: "b15.f[13].*"}
                inputs:
                  co2: {brick: Zone_CO2_Level_Sensor, within: "{floor}", match: "*.r301.*"}
                when: "co2 > 1000"
              - id: co2_of_floor
                for_each: {point: b15.f3.r301.zone_air_temp}
                inputs:
                  co2: {brick: Zone_CO2_Level_Sensor, within: "{floor}"}
                when: "co2 > 1000"
              - id: lights_of_plant
                for_each: {brick: Electric_Power_Sensor}
                when: "value > 100"
                on_active:
                  - command: {select: {brick: Lighting_Level_Command, within: "{holder}"}, value: 0}
              - id: co2_of_equipment
                for_each: {brick: Zone_CO2_Level_Sensor}
                when: "value > 1000"
                alarm: {priority: low, message: "{equipment}: {value}"}
            """,
        ),
        model,
        Schedules(),
    )
    assert len(rules.get("chillers").instances) == 0
    co2 = rules.get("co2_of_301")
    assert [i.anchor for i in co2.instances] == [f"b15.f3.{r}.zone_air_temp" for r in F3]
    assert co2.skipped == (
        "b15.f1.lobby.zone_air_temp: inputs.co2 matches no point (it must match exactly one)",
        "b15.f1.hall.zone_air_temp: inputs.co2 matches no point (it must match exactly one)",
    )
    warnings = "\n".join(rules.warnings)
    assert "rule chillers: for_each selects no point: no instances" in warnings
    assert "rule co2_of_301: 2 of 6 instances skipped: b15.f1.lobby" in warnings
    assert (
        "rule co2_of_floor: 1 of 1 instances skipped: b15.f3.r301.zone_air_temp: inputs.co2 "
        "matches 4 points (it must match exactly one)" in warnings
    )
    assert "rule co2_of_equipment: some anchors have no equipment (read as unknown)" in warnings
    assert "rule lights_of_plant: on_active[0].command.select selects no point" in warnings
    assert all(w.startswith(f"{tmp_path / 'rules.yaml'}: rule ") for w in rules.warnings)


def test_several_files_make_one_set_with_unique_ids(model: SiteModel, tmp_path: Path) -> None:
    first = write(tmp_path, GOOD, "a.yaml")
    second = write(
        tmp_path,
        """\
        rules:
          - id: co2_high
            for_each: {brick: Zone_CO2_Level_Sensor}
            when: "value > 1000"
        """,
        "b.yaml",
    )
    rules = load_rule_files([first, second], model, Schedules())
    assert rules.ids() == ["zone_too_warm", "hot_outside", "co2_high"]
    assert rules.get("co2_high").owner == str(second)
    again = write(tmp_path, "rules:\n  - {id: hot_outside, every: 1m, when: 'True'}\n", "c.yaml")
    with pytest.raises(ConfigError) as caught:
        load_rule_files([first, again], model, Schedules())
    assert f"{again}:2: rule hot_outside: id: the id is used before, at {first}:" in str(
        caught.value
    )
