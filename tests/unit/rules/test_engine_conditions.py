"""The engine's conditions over time: durations, hysteresis, clear delays, deadbands,
unknown values and failing expressions, on a MemoryBus with a clock moved by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from penworks.core import Quality
from penworks.model import SiteModel
from penworks.rules.alarm_types import AlarmPriority
from tests.unit.rules.rule_support import R301, SMALL_OFFICE, T0, Rig, running

HOT = f"zone_hot:{R301}"


@pytest.fixture(scope="module")
def model() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


def rig_with(model: SiteModel, folder: Path, rule: str) -> Rig:
    rig = Rig(model)
    rig.engine.replace(rig.load(folder, "rules:\n" + rule))
    return rig


HOT_FOR_10M = f"""\
  - id: zone_hot
    for_each: {{point: {R301}}}
    when: "value > 28"
    for: 10m
    alarm: {{priority: high, message: "{{name}} is {{value:.1f}}"}}
"""


async def test_not_active_before_the_duration_active_after(
    model: SiteModel, tmp_path: Path
) -> None:
    rig = rig_with(model, tmp_path, HOT_FOR_10M)
    async with running(rig):
        await rig.publish(R301, 30.0)
        [instance] = rig.engine.instances("zone_hot")
        assert instance.pending_since == T0
        assert not instance.active
        await rig.advance(minutes=9, seconds=59)
        await rig.publish(R301, 29.5)
        assert not rig.engine.instances("zone_hot")[0].active
        await rig.advance(seconds=1)  # the timer, not an observation, ends the wait
        await rig.settled()
    [change] = rig.alarms.changes
    assert change.alarm_id == HOT
    assert change.active
    assert change.ts == T0.replace(minute=10)
    assert change.priority is AlarmPriority.HIGH
    assert change.message == "Office 301 air temperature is 29.5"
    assert change.area == "b15.f3"
    assert change.point == R301
    assert change.value == 29.5
    assert not change.suppressed
    status = rig.engine.rule("zone_hot")
    assert (status.active, status.activations) == (1, 1)


async def test_a_condition_that_fails_during_the_wait_starts_over(
    model: SiteModel, tmp_path: Path
) -> None:
    rig = rig_with(model, tmp_path, HOT_FOR_10M)
    async with running(rig):
        await rig.publish(R301, 30.0)
        await rig.advance(minutes=6)
        await rig.publish(R301, 27.0)
        assert rig.engine.instances("zone_hot")[0].pending_since is None
        await rig.advance(minutes=6)  # the first wait would have ended here
        await rig.publish(R301, 30.0)
        assert rig.engine.instances("zone_hot")[0].pending_since == T0.replace(minute=12)
        await rig.advance(minutes=9)
        assert not rig.engine.instances("zone_hot")[0].active
        await rig.advance(minutes=1)
        await rig.settled()
        assert rig.engine.instances("zone_hot")[0].active
    assert [c.ts for c in rig.alarms.changes] == [T0.replace(minute=22)]


async def test_hysteresis_keeps_it_active_until_clear_when_holds(
    model: SiteModel, tmp_path: Path
) -> None:
    rig = rig_with(
        model,
        tmp_path,
        f"""\
  - id: zone_hot
    for_each: {{point: {R301}}}
    when: "value > 28"
    clear_when: "value < 26"
    alarm: {{priority: medium, message: "{{value}}"}}
""",
    )
    async with running(rig):
        await rig.publish(R301, 28.5)
        await rig.publish(R301, 27.0)  # below the limit, above the clear level
        assert rig.engine.instances("zone_hot")[0].active
        await rig.publish(R301, 25.9)
        await rig.publish(R301, 27.5)  # back in the band: it stays clear
        await rig.settled()
    assert [(c.active, c.value) for c in rig.alarms.changes] == [(True, 28.5), (False, 25.9)]


async def test_without_clear_when_it_clears_when_the_condition_fails(
    model: SiteModel, tmp_path: Path
) -> None:
    rig = rig_with(
        model,
        tmp_path,
        f"""\
  - id: zone_hot
    for_each: {{point: {R301}}}
    when: "value > 28"
    clear_for: 2m
    alarm: {{priority: medium, message: "{{value}}"}}
""",
    )
    async with running(rig):
        await rig.publish(R301, 29.0)
        await rig.publish(R301, 28.0)
        await rig.advance(minutes=1)
        await rig.publish(R301, 28.5)  # holds again: the clear delay starts over
        await rig.publish(R301, 27.0)
        await rig.advance(minutes=1, seconds=59)
        assert rig.engine.instances("zone_hot")[0].active
        await rig.advance(seconds=1)
        await rig.settled()
    assert [(c.active, c.ts) for c in rig.alarms.changes] == [
        (True, T0),
        (False, T0.replace(minute=3)),
    ]


async def test_a_deadband_ignores_small_anchor_changes(model: SiteModel, tmp_path: Path) -> None:
    rig = rig_with(
        model,
        tmp_path,
        f"""\
  - id: zone_hot
    for_each: {{point: {R301}}}
    when: "value > 28"
    deadband: 0.5
    alarm: {{priority: low, message: "{{value}}"}}
""",
    )
    async with running(rig):
        await rig.publish(R301, 27.8)
        first = rig.engine.rule("zone_hot").evaluations
        await rig.publish(R301, 28.1)  # over the limit, but only 0.3 from the last evaluation
        await rig.publish(R301, 28.2)
        assert rig.engine.rule("zone_hot").evaluations == first
        assert not rig.engine.instances("zone_hot")[0].active
        await rig.publish(R301, 28.3)  # 0.5 from 27.8
        await rig.settled()
        assert rig.engine.rule("zone_hot").evaluations == first + 1
    assert [(c.active, c.value) for c in rig.alarms.changes] == [(True, 28.3)]


async def test_bad_quality_is_unknown_and_changes_nothing(model: SiteModel, tmp_path: Path) -> None:
    rig = rig_with(model, tmp_path, HOT_FOR_10M.replace("for: 10m", "for: 0"))
    async with running(rig):
        await rig.publish(R301, 30.0)
        await rig.publish(R301, 20.0, Quality.BAD)
        await rig.settled()
        assert rig.engine.instances("zone_hot")[0].active
        assert rig.engine.instances("zone_hot")[0].value is None
        await rig.publish(R301, 20.0, Quality.UNCERTAIN)
        await rig.settled()
    assert [c.active for c in rig.alarms.changes] == [True, False]


async def test_a_failing_expression_is_counted_not_fatal(model: SiteModel, tmp_path: Path) -> None:
    rig = rig_with(
        model,
        tmp_path,
        f"""\
  - id: broken
    for_each: {{point: {R301}}}
    when: "value > 'warm'"
  - id: zone_hot
    for_each: {{point: {R301}}}
    when: "value > 28"
    alarm: {{priority: low, message: "{{value}}"}}
""",
    )
    async with running(rig):
        await rig.publish(R301, 30.0)
        await rig.publish(R301, 31.0)
        await rig.settled()
    broken = rig.engine.rule("broken")
    assert broken.errors == 2
    assert "not supported" in str(broken.last_error)
    assert broken.last_error_at == T0
    assert rig.engine.stats().errors == 2
    assert [c.alarm_id for c in rig.alarms.changes] == [HOT]  # the other rule went on


async def test_an_input_without_a_value_decides_nothing(model: SiteModel, tmp_path: Path) -> None:
    rig = rig_with(
        model,
        tmp_path,
        f"""\
  - id: zone_hot
    for_each: {{point: {R301}}}
    inputs: {{setpoint: {{point: b15.f3.r301.vav.setpoint}}}}
    when: "value > setpoint + 3"
    alarm: {{priority: low, message: "{{value}}"}}
""",
    )
    async with running(rig):
        await rig.publish(R301, 30.0)
        assert not rig.engine.instances("zone_hot")[0].active
        assert rig.engine.rule("zone_hot").errors == 0
        await rig.publish("b15.f3.r301.vav.setpoint", 26.0)  # the input alone re-evaluates
        await rig.settled()
    assert [c.active for c in rig.alarms.changes] == [True]
