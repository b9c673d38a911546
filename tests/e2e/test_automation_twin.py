"""Commands, rules, alarms and notifications against the twin of Building 15.

One run of the twin and the platform in this process, at 60x, with Building 15's own control,
rule and schedule files plus a few test rules, notifications to a real SMTP server and a real
webhook receiver, and a scenario file: water in the plant room and a fire in the exhibition
hall. Everything is checked through the HTTP API, as an operator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller

from penworks.config import DEFAULT_SITE, AutomationConfig, site_automation
from penworks.core import SimClock
from penworks.demo import TwinOptions, run_demo
from penworks.model import SiteModel
from penworks.rules import AlarmSettings
from penworks.sim.run import Ports
from tests.conftest import OPERATOR, add_operator, free_port, sign_in
from tests.integration.receivers import Mailbox, Receiver, receiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

SPEED = 60.0
START = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
WAIT_S = 90.0  # wall seconds for anything to happen (minutes of building time at 60x)

TEST_RULES = """
rules:
  - id: leak_for_two_minutes
    description: Water on the plant-room floor for two minutes
    for_each: {point: b15.b1.plant.leak_detector.leak}
    when: "value"
    for: 2m
    alarm: {priority: critical, message: "{name}: water for two minutes"}
  - id: bay_probe
    description: Every car-park bay at once, to flood the basement with alarms
    for_each: {match: "b15.b1.carpark.bay*.occupied"}
    when: "value or not value"
    alarm: {priority: low, message: "{name} seen"}
  - id: chatter_probe
    description: Blinds out of automatic, which the test flips as a flapping contact would
    for_each: {point: b15.f3.r303.blinds.auto}
    when: "not value"
    alarm: {priority: low, message: "{name} flips"}
"""

SCENARIOS = """
- {scenario: fire, target: f1/hall, after: PT3M, duration_s: 7200}
- {scenario: water_leak, target: b1/plant, after: PT5M, duration_s: 1200}
"""


def notifications(smtp_port: int, hook_port: int) -> str:
    return json.dumps(
        {
            "channels": [
                {"id": "mail", "type": "smtp", "host": "127.0.0.1", "port": smtp_port,
                 "sender": "penworks@b15.example", "timeout": "5s"},
                {"id": "hook", "type": "webhook", "url": f"http://127.0.0.1:{hook_port}/alarms",
                 "timeout": "5s"},
            ],
            "recipients": [
                {"id": "duty", "name": "Duty engineer", "email": "duty@b15.example",
                 "roles": ["duty_engineer"]},
            ],
            "routes": [
                {"id": "critical", "match": {"priority_at_most": "critical"},
                 "to": {"roles": ["duty_engineer"]}, "channels": ["mail", "hook"]},
            ],
            "retry": {"attempts": 3, "backoff": "1s"},
        }
    )  # fmt: skip


@dataclass
class Running:
    api: httpx.AsyncClient
    clock: SimClock
    mailbox: Mailbox
    hooks: Receiver

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.api.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.api.post(path, json=body)


async def until(check: Callable[[], Awaitable[Any]], what: str, within_s: float = WAIT_S) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` otherwise."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"within {within_s:.0f} s: {what}")
        await asyncio.sleep(0.25)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def twin(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    folder = tmp_path_factory.mktemp("automation")
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    async with receiver() as hooks, contextlib.AsyncExitStack() as stack:
        stack.callback(smtp.stop)
        (folder / "test-rules.yaml").write_text(TEST_RULES, encoding="utf-8")
        (folder / "notifications.yaml").write_text(
            notifications(smtp.port, hooks.port), encoding="utf-8"
        )
        (folder / "scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
        site = site_automation(DEFAULT_SITE)
        automation = AutomationConfig(
            control=site.control,
            rules=[*site.rules, folder / "test-rules.yaml"],
            schedules=site.schedules,
            notifications=folder / "notifications.yaml",
            # The twin steps every 30 s and a command is confirmed by its readback: four
            # flips take a few building minutes, more where the machine is slow.
            alarms=AlarmSettings.model_validate({"chatter_window": "15m"}),
        )
        await add_operator(folder / "data")
        clock = SimClock(START, SPEED)
        ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        stop = asyncio.Event()
        options = TwinOptions(
            seed=15, speed=SPEED, ports=Ports(), truth=None, scenarios=folder / "scenarios.yaml"
        )
        demo = asyncio.create_task(
            run_demo(
                clock,
                SiteModel.load(DEFAULT_SITE),
                DEFAULT_SITE,
                folder / "data",
                0,  # the API takes a free port when it binds: no race with the twin's servers
                None,
                free_port(),
                options,
                lambda api, _, __: ready.done() or ready.set_result(api),
                stop,
                automation,
            )
        )
        try:
            url = await asyncio.wait_for(asyncio.shield(ready), 120)
            async with httpx.AsyncClient(base_url=url, timeout=30) as api:
                await sign_in(api)
                yield Running(api, clock, mailbox, hooks)
        finally:
            stop.set()
            await asyncio.wait_for(demo, 60)


async def _alarm(run: Running, alarm_id: str) -> dict[str, Any] | None:
    response = await run.api.get(f"/api/alarms/{alarm_id}")
    return response.json() if response.status_code == 200 else None


async def test_an_alarm_with_a_duration_is_raised_acknowledged_shelved_and_cleared(
    twin: Running,
) -> None:
    alarm_id = "leak_for_two_minutes:b15.b1.plant.leak_detector.leak"

    async def raised() -> dict[str, Any] | None:
        found = await _alarm(twin, alarm_id)
        return found if found and found["active"] else None

    alarm = await until(raised, "the leak alarm is raised")
    assert alarm["state"] == "unack_active"
    assert alarm["priority"] == "critical"
    leak_seen = await twin.get(
        "/api/points/b15.b1.plant.leak_detector.leak/history", agg="raw",
        start=(START - timedelta(hours=1)).isoformat(), end=twin.clock.now().isoformat(),
    )  # fmt: skip
    first_wet = min(
        datetime.fromisoformat(v["ts"]) for v in leak_seen["values"] if v["value"] is True
    )
    assert datetime.fromisoformat(alarm["active_since"]) - first_wet >= timedelta(minutes=2)

    acked = await twin.post(f"/api/alarms/{alarm_id}/ack", {"comment": "plumber called"})
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "ack_active"
    again = await twin.post(f"/api/alarms/{alarm_id}/ack", {})
    assert again.status_code == 409

    shelved = await twin.post(
        f"/api/alarms/{alarm_id}/shelve",
        {"duration": "PT2M", "reason": "plumber on site"},
    )
    assert shelved.status_code == 200, shelved.text
    assert shelved.json()["state"] == "shelved"
    too_long = await twin.post(f"/api/alarms/{alarm_id}/shelve", {"duration": "P2D", "reason": "x"})
    assert too_long.status_code == 409

    async def unshelved() -> dict[str, Any] | None:
        found = await _alarm(twin, alarm_id)
        return found if found and found["state"] != "shelved" else None

    await until(unshelved, "the shelf expires on its own")

    async def cleared() -> dict[str, Any] | None:
        found = await _alarm(twin, alarm_id)
        return found if found and not found["active"] else None

    await until(cleared, "the leak alarm clears when the water is gone")
    history = await twin.get(f"/api/alarms/{alarm_id}/history")
    causes = [h["cause"] for h in history]
    for cause in ("condition", "ack", "shelve", "shelve_expired"):
        assert cause in causes, causes
    ack = next(h for h in history if h["cause"] == "ack")
    assert (ack["user"], ack["comment"]) == (OPERATOR, "plumber called")


async def test_the_fire_interlock_holds_doors_lifts_and_ahus(twin: Running) -> None:
    async def fire() -> list[dict[str, Any]]:
        statuses = await twin.get("/api/interlocks")
        return [s for s in statuses if s["trigger"] == "b15.f1.fire_zone" and s["active"]]

    (instance,) = await until(fire, "the fire interlock of the ground floor is active")
    assert instance["interlock"] == "fire_zone_response"

    door = "b15.f1.door_main.locked"
    recall = "b15.roof.lift_room.lift_group.fire_recall_command"
    fan = "b15.roof.roof.ahu1.supply_fan.start_stop"
    for point, value, level in ((door, False, 1), (recall, True, 1), (fan, False, 2)):
        array = await twin.get(f"/api/points/{point}/priority")
        assert (array["effective"], array["effective_priority"]) == (value, level), array
        assert array["holds"][0]["interlock"] == "fire_zone_response"

    async def unlocked_and_recalled() -> bool:
        door_now = await twin.get(f"/api/points/{door}/latest")
        lifts = await twin.get(
            "/api/points/b15.roof.lift_room.lift_group.fire_recall_active/latest"
        )
        return door_now["value"] is False and lifts["value"] is True

    await until(unlocked_and_recalled, "the door reads back unlocked and the lifts recalled")

    refused = await twin.post(
        "/api/commands",
        {"point": door, "value": True, "priority": 8, "reason": "lock the lobby"},
    )  # fmt: skip
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("command-interlock")
    assert "fire_zone_response" in problem["detail"]
    audit = await twin.get("/api/audit", point=door)
    refusal = next(a for a in audit if a["actor"] == OPERATOR)
    assert (refusal["status"], refusal["refusal"]) == ("refused", "interlock")
    assert any(a["actor_kind"] == "interlock" and a["status"] == "confirmed" for a in audit)


async def test_a_flood_of_alarms_in_the_basement_is_suppressed_and_reported(
    twin: Running,
) -> None:
    # Every bay reports as the platform starts: the basement floods at once, and the flood
    # ends ten minutes later, so what remains to see is its record.
    async def flooded() -> dict[str, Any] | None:
        kpis = await twin.get("/api/alarms/kpis")
        return kpis if kpis["floods_24h"] >= 1 else None

    await until(flooded, "the basement floods with bay alarms")
    bays = await twin.get("/api/alarms", rule="bay_probe")
    assert len(bays) > 10
    marks: list[str | None] = []
    causes: set[str] = set()
    for bay in bays:
        for record in await twin.get(f"/api/alarms/{bay['id']}/history", limit=100):
            marks.append(record["alarm"]["suppressed_by"])
            causes.add(record["cause"])
    assert "flood" in marks, marks  # held while the flood lasted
    assert "flood" in causes  # and released, annunciated, when it ended


async def test_a_chattering_alarm_is_suppressed_and_listed(twin: Running) -> None:
    point = "b15.f3.r303.blinds.auto"
    alarm_id = f"chatter_probe:{point}"
    for i, value in enumerate((False, True, False, True, False)):
        body = {"point": point, "value": value, "priority": 8, "reason": f"flap {i}"}
        flipped = await twin.post("/api/commands", body)
        assert flipped.status_code == 200, flipped.text
        assert flipped.json()["status"] == "confirmed", flipped.json()

    async def marked() -> list[dict[str, Any]]:
        if await _alarm(twin, alarm_id) is None:
            return []
        history = await twin.get(f"/api/alarms/{alarm_id}/history", limit=1000)
        return [h for h in history if h["alarm"]["suppressed_by"] == "chatter"]

    held = await until(marked, "the flapping condition is marked chattering")
    assert {h["to"] for h in held} == {"suppressed"}
    assert "chatter" in {h["cause"] for h in held}


async def test_an_operator_command_is_confirmed_by_the_device(twin: Running) -> None:
    point = "b15.f3.r302.blinds.position"
    body = {"point": point, "value": 40, "priority": 8,
            "reason": "glare on the screens", "idempotency_key": "blinds-r302-1"}  # fmt: skip
    first = await twin.post("/api/commands", body)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "confirmed"
    retry = await twin.post("/api/commands", body)
    assert retry.json()["duplicate"] is True
    assert retry.json()["id"] == first.json()["id"]
    array = await twin.get(f"/api/points/{point}/priority")
    assert array["levels"][7]["actor"] == OPERATOR
    out_of_range = await twin.post("/api/commands", {**body, "value": 140, "idempotency_key": None})
    assert out_of_range.status_code == 422


async def test_critical_alarms_reach_the_mail_server_and_the_webhook(twin: Running) -> None:
    async def mailed() -> bool:
        return any("water" in m.get("Subject", "").lower() or "water" in m.get_content().lower()
                   for _, _, m in twin.mailbox.messages)  # fmt: skip

    await until(mailed, "the leak alarm is mailed to the duty engineer")
    (_, recipients, _), *_ = twin.mailbox.messages
    assert recipients == ["duty@b15.example"]

    async def posted() -> bool:
        return any(status == 200 for _, _, _, status in twin.hooks.requests)

    await until(posted, "the leak alarm is posted to the webhook")
    bodies = [json.loads(body) for _, _, body, status in twin.hooks.requests if status == 200]
    assert any("leak" in json.dumps(b) for b in bodies)
    leak = "leak_for_two_minutes:b15.b1.plant.leak_detector.leak"
    sent = await twin.get("/api/notifications", key=leak)
    assert {(d["channel"], d["status"]) for d in sent} >= {("mail", "sent"), ("hook", "sent")}
