"""/api/rules over a running RuleEngine and its RuleFiles on the small office, raising alarms
in a real AlarmBook; reloads rewrite the rule file on disk."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from penworks.bus import MemoryBus, observation_subject
from penworks.core import Observation, SimClock
from penworks.model import SiteModel
from penworks.rules import AlarmBook, RuleEngine
from penworks.rules.rule_files import RuleFiles
from penworks.store import MemoryJournal
from tests.unit.api.automation_support import (
    SMALL_OFFICE,
    app_over,
    assert_kind,
    client_of,
)
from tests.unit.rules.rule_support import R301, T0, ManualClock, eventually, write

HOT = f"zone_hot:{R301}"
F3_TEMPERATURES = [f"b15.f3.{room}.zone_air_temp" for room in ("r301", "r302", "r303", "m301")]

RULES = f"""\
rules:
  - id: zone_hot
    description: A room too warm
    for_each: {{point: {R301}}}
    when: "value > 28"
    alarm: {{priority: high, message: "{{name}} is {{value:.1f}}"}}
  - id: floor3_cold
    for_each: {{brick: Zone_Air_Temperature_Sensor, within: b15.f3}}
    when: "value < 16"
    alarm: {{priority: low, message: "{{name}} is cold"}}
"""
NEW_RULE = """\
  - id: roof_hot
    for_each: {brick: Outside_Air_Temperature_Sensor}
    when: "value > 40"
    alarm: {priority: medium, message: "hot outside"}
"""
NO_POINT = """\
  - id: nowhere_hot
    for_each: {brick: Lighting_Level_Command, within: b15.b1}
    when: "value > 40"
    alarm: {priority: medium, message: "never"}
"""
BROKEN = """\
  - id: broken_rule
    for_each: {brick: Outside_Air_Temperature_Sensor}
    when: "value >"
    alarm: {priority: medium, message: "never"}
"""


@dataclass
class Rig:
    path: Path
    engine: RuleEngine
    book: AlarmBook
    bus: MemoryBus
    clock: ManualClock
    client: httpx.AsyncClient

    async def get(self, path: str) -> Any:
        response = await self.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    async def observe(self, point: str, value: float) -> None:
        """Publish an observation; back once the engine has taken it in and acted on it."""
        seen = self.engine.stats().observations
        await self.bus.publish(observation_subject(point), Observation(point, T0, value))
        await eventually(lambda: self.engine.stats().observations > seen)
        await eventually(lambda: self.engine.stats().pending_work == 0)

    def rewrite(self, *extra: str) -> None:
        write(self.path.parent, RULES + "".join(extra), self.path.name)


@pytest.fixture(scope="module")
def office() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


@pytest.fixture
async def rig(office: SiteModel, tmp_path: Path) -> AsyncIterator[Rig]:
    clock, bus = ManualClock(), MemoryBus()
    book = AlarmBook(clock, MemoryJournal())
    engine = RuleEngine(office, bus, clock, alarms=book, commands=None, notify=None, schedules=None)
    path = write(tmp_path, RULES)
    files = RuleFiles(engine, [path], office, None)
    await files.reload()
    task = asyncio.create_task(engine.run(), name="rules-under-api")
    try:
        await eventually(lambda: any(s.name == "rules" for s in bus.stats()))
        async with client_of(app_over(office, clock, alarms=book, rules=files)) as client:
            yield Rig(path, engine, book, bus, clock, client)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.close()


async def test_list_every_rule_with_its_counts(rig: Rig) -> None:
    rules = await rig.get("/api/rules")
    assert [(r["id"], r["instances"], r["active"]) for r in rules] == [
        ("floor3_cold", 4, 0),
        ("zone_hot", 1, 0),
    ]
    hot = rules[1]
    assert hot == hot | {
        "owner": str(rig.path),
        "description": "A room too warm",
        "enabled": True,
        "errors": 0,
        "last_error": None,
        "last_error_at": None,
        "skipped": [],
    }


async def test_one_rule_with_its_instances(rig: Rig) -> None:
    await rig.observe(R301, 30.0)
    rule = await rig.get("/api/rules/zone_hot")
    assert (rule["id"], rule["instances"], rule["active"], rule["activations"]) == (
        "zone_hot",
        1,
        1,
        1,
    )
    assert rule["instance_list"] == [
        {
            "key": HOT,
            "point": R301,
            "active": True,
            "since": T0.isoformat(),
            "pending_since": None,
            "clearing_since": None,
            "suppressed": False,
            "value": 30.0,
        }
    ]
    alarm = (await rig.client.get(f"/api/alarms/{HOT}")).json()  # the instance's alarm
    assert (alarm["state"], alarm["message"]) == (
        "unack_active",
        "Office 301 air temperature is 30.0",
    )
    floor = await rig.get("/api/rules/floor3_cold")
    assert [i["point"] for i in floor["instance_list"]] == F3_TEMPERATURES
    assert [i["value"] for i in floor["instance_list"]] == [30.0, None, None, None]


async def test_an_unknown_rule_is_404(rig: Rig) -> None:
    assert_kind(
        await rig.client.get("/api/rules/no_such_rule"), 404, "unknown-rule", "no_such_rule"
    )


async def test_reload_runs_the_new_rules_and_keeps_the_state_of_unchanged_ones(
    rig: Rig,
) -> None:
    await rig.observe(R301, 30.0)
    rig.rewrite(NEW_RULE)
    response = await rig.client.post("/api/rules/reload")
    assert response.status_code == 200, response.text
    assert response.json() == {"files": [str(rig.path)], "rules": 3, "warnings": []}
    assert [r["id"] for r in await rig.get("/api/rules")] == ["floor3_cold", "roof_hot", "zone_hot"]
    assert (await rig.get("/api/rules/zone_hot"))["instance_list"][0]["active"] is True


async def test_reload_reports_rules_that_select_nothing(rig: Rig) -> None:
    rig.rewrite(NO_POINT)
    response = await rig.client.post("/api/rules/reload")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rules"] == 3
    [warning] = body["warnings"]
    assert str(rig.path) in warning
    assert "nowhere_hot" in warning


async def test_a_broken_file_is_refused_and_the_running_rules_stay(rig: Rig) -> None:
    await rig.observe(R301, 30.0)
    before = await rig.get("/api/rules")
    rig.rewrite(NEW_RULE, BROKEN)
    response = await rig.client.post("/api/rules/reload")
    detail = assert_kind(response, 422, "rules-refused", str(rig.path), "rule broken_rule", "when")
    assert "nothing was loaded" in detail
    assert await rig.get("/api/rules") == before
    assert (await rig.get("/api/rules/zone_hot"))["instance_list"][0]["active"] is True
    assert_kind(await rig.client.get("/api/rules/roof_hot"), 404, "unknown-rule")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("rules: [\n", "not valid YAML"),
        ("rulez: []\n", "a mapping with a list `rules:`"),
        ("rules: []\nextra: 1\n", "unknown key 'extra'"),
        (RULES.replace("value > 28", "temperature > 28"), "rule zone_hot"),
    ],
)
async def test_any_error_in_the_file_is_422_naming_it(rig: Rig, text: str, words: str) -> None:
    write(rig.path.parent, text, rig.path.name)
    assert_kind(
        await rig.client.post("/api/rules/reload"), 422, "rules-refused", str(rig.path), words
    )
    assert len(await rig.get("/api/rules")) == 2


async def test_a_missing_file_is_422_too(rig: Rig) -> None:
    rig.path.unlink()
    assert_kind(await rig.client.post("/api/rules/reload"), 422, "rules-refused", "cannot read")
    assert len(await rig.get("/api/rules")) == 2


async def test_reload_is_a_post_a_get_asks_for_a_rule_named_reload(rig: Rig) -> None:
    assert_kind(await rig.client.get("/api/rules/reload"), 404, "unknown-rule", "'reload'")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/rules"), ("GET", "/api/rules/zone_hot"), ("POST", "/api/rules/reload")],
)
async def test_without_rules_every_rule_route_is_503(
    office: SiteModel, method: str, path: str
) -> None:
    async with client_of(app_over(office, SimClock(T0))) as client:
        response = await client.request(method, path)
    assert_kind(response, 503, "rules-unavailable")
