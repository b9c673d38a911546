"""/api/commands, priority arrays, interlocks and the audit log, over a running
ControlService on the small office (a fake connector echoes each write on the bus)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from penworks.auth.policy import SharingConfig
from penworks.auth.types import Role
from penworks.control import (
    ControlConfig,
    InterlockAction,
    InterlockDef,
    PointPolicy,
    RateLimit,
)
from penworks.control.config import CommandLimits
from penworks.core import SimClock
from penworks.model import SiteModel
from penworks.model.select import PointSelector
from tests.unit.api.auth_support import FakeAuth, principal
from tests.unit.api.automation_support import (
    SMALL_OFFICE,
    app_over,
    assert_kind,
    client_of,
    invalid_params,
)
from tests.unit.control.support import (
    LIGHTS,
    SETPOINT,
    T0,
    TEMPERATURE,
    Harness,
    eventually,
    running,
)

LIMITED = "b15.f3.r302.vav.setpoint"  # one write a minute
OCCUPANCY = "b15.f3.r301.lights.occupancy"  # triggers the lights interlock
LI_WEI = principal(Role.OPERATOR, username="li.wei")

CONFIG = ControlConfig(
    confirm_timeout_s=2.0,
    policies=[
        PointPolicy(
            id="comfort", select=PointSelector(point=SETPOINT), limits=CommandLimits(min=18, max=26)
        ),
        PointPolicy(
            id="slow",
            select=PointSelector(point=LIMITED),
            rate_limit=RateLimit(count=1, per=timedelta(minutes=1)),
        ),
    ],
    interlocks=[
        InterlockDef(
            id="occupied_lights",
            description="lights full on while the room is occupied",
            for_each=PointSelector(point=OCCUPANCY),
            active_when="value == True",
            actions=[InterlockAction(select=PointSelector(point=LIGHTS), value=100, priority=2)],
        )
    ],
)


@dataclass
class Rig:
    control: Harness
    client: httpx.AsyncClient

    async def command(self, value: Any = 22.0, **fields: Any) -> httpx.Response:
        body = {"point": SETPOINT, "value": value, "reason": "too cold"}
        return await self.client.post("/api/commands", json=body | fields)

    async def audit(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/api/audit", params=params)
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()
        return records


@pytest.fixture(scope="module")
def office() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


@pytest.fixture
async def rig(office: SiteModel) -> AsyncIterator[Rig]:
    async with (
        running(office, CONFIG) as control,
        client_of(
            app_over(office, control.clock, control=control.service, auth=FakeAuth(LI_WEI)),
            LI_WEI,
        ) as client,
    ):
        yield Rig(control, client)


async def test_a_command_answers_once_the_device_read_it_back(rig: Rig) -> None:
    response = await rig.command(22.5, priority=9)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "point": SETPOINT,
        "status": "confirmed",
        "detail": body["detail"],
        "value": 22.5,
        "priority": 9,
        "effective": 22.5,
        "effective_priority": 9,
        "duplicate": False,
        "ts": body["ts"],
    }
    assert datetime.fromisoformat(body["ts"]) == T0
    assert rig.control.port.writes() == [("write", SETPOINT, 22.5, 9)]
    [record] = await rig.audit(point=SETPOINT)
    assert (record["id"], record["status"], record["refusal"]) == (body["id"], "confirmed", None)
    assert (record["actor_kind"], record["actor"], record["reason"]) == (
        "operator",
        "li.wei",
        "too cold",
    )


async def test_priority_defaults_to_manual_operator(rig: Rig) -> None:
    body = (await rig.command(21.0)).json()
    assert (body["priority"], body["effective_priority"]) == (8, 8)


@pytest.mark.parametrize(
    ("fields", "status", "kind", "words"),
    [
        ({"priority": 3}, 403, "command-permission", "levels 8-16, not 3"),
        ({"priority": 6}, 403, "command-permission", "level 6 is reserved"),
        ({"point": TEMPERATURE}, 409, "command-not-writable", "read-only"),
        ({"expires_at": "2026-03-02T08:59:59Z"}, 409, "command-expired", "expired at"),
        ({"value": 35.0}, 422, "command-limits", "above the point's maximum 30"),
        ({"value": 27.0}, 422, "command-limits", "policy comfort"),
        ({"value": "warm"}, 422, "command-invalid-value", "expected a number"),
        ({"value": True}, 422, "command-invalid-value", "expected a number"),
    ],
)
async def test_a_refusal_is_a_problem_naming_why_and_is_audited(
    rig: Rig, fields: dict[str, Any], status: int, kind: str, words: str
) -> None:
    detail = assert_kind(await rig.command(**fields), status, kind, words)
    assert rig.control.port.calls == []
    [record] = await rig.audit()
    assert detail.startswith(f"command {record['id']}: ")
    assert (record["status"], record["refusal"]) == (
        "refused",
        kind.removeprefix("command-").replace("-", "_"),
    )


async def test_an_unknown_point_is_404_before_the_command_path(rig: Rig) -> None:
    # as for a point the user may not see (test_isolation): the command path never runs
    assert_kind(await rig.command(point="b15.f3.nowhere"), 404, "unknown-point", "b15.f3.nowhere")
    assert rig.control.port.calls == []
    assert await rig.audit() == []


async def test_a_point_no_connector_reaches_is_503(rig: Rig) -> None:
    rig.control.unconnected.add(SETPOINT)
    assert_kind(await rig.command(), 503, "command-no-connector", "no running connector")
    assert [r["refusal"] for r in await rig.audit()] == ["no_connector"]


async def test_an_interlock_holds_its_point_against_operators(rig: Rig) -> None:
    before = (await rig.client.get("/api/interlocks")).json()
    assert before == [
        {
            "interlock": "occupied_lights",
            "description": "lights full on while the room is occupied",
            "trigger": OCCUPANCY,
            "active": None,
            "since": None,
            "value": None,
            "error": None,
            "targets": [{"point": LIGHTS, "value": 100, "priority": 2}],
        }
    ]
    await rig.control.port.report(OCCUPANCY, True)
    service = rig.control.service
    await eventually(lambda: service.priority_array(LIGHTS).effective_priority == 2)
    [active] = (await rig.client.get("/api/interlocks")).json()
    assert (active["active"], active["value"], active["since"]) == (True, True, T0.isoformat())

    refused = await rig.command(50.0, point=LIGHTS)
    assert_kind(refused, 409, "command-interlock", "held by interlock occupied_lights")
    array = (await rig.client.get(f"/api/points/{LIGHTS}/priority")).json()
    assert array["holds"] == [
        {"interlock": "occupied_lights", "trigger": OCCUPANCY, "priority": 2, "value": 100}
    ]
    assert (array["effective"], array["levels"][1]["actor_kind"]) == (100, "interlock")
    assert [r["refusal"] for r in await rig.audit(point=LIGHTS)] == ["interlock", None]


async def test_a_hold_hides_a_trigger_the_user_may_not_see(office: SiteModel) -> None:
    # Nib's lights are shared with every tenant here: Inkwell's user sees them, held by an
    # interlock, but not Nib's occupancy sensor that triggered it.
    inkwell = principal(Role.TENANT_USER, "inkwell")
    async with running(office, CONFIG) as control:
        app = app_over(
            office,
            control.clock,
            control=control.service,
            auth=FakeAuth(inkwell),
            sharing=SharingConfig(shared=[LIGHTS]),
        )
        await control.port.report(OCCUPANCY, True)
        await eventually(lambda: control.service.priority_array(LIGHTS).effective_priority == 2)
        async with client_of(app, inkwell) as client:
            array = (await client.get(f"/api/points/{LIGHTS}/priority")).json()
        async with client_of(app) as client:  # the administrator sees it
            full = (await client.get(f"/api/points/{LIGHTS}/priority")).json()
    assert array["holds"] == [
        {"interlock": "occupied_lights", "trigger": None, "priority": 2, "value": 100}
    ]
    assert full["holds"][0]["trigger"] == OCCUPANCY


async def test_the_rate_limit_is_429(rig: Rig) -> None:
    assert (await rig.command(20.0, point=LIMITED)).json()["status"] == "confirmed"
    detail = assert_kind(
        await rig.command(21.0, point=LIMITED), 429, "command-rate-limit", "policy slow"
    )
    assert "at most 1 write" in detail
    assert len(rig.control.port.writes(LIMITED)) == 1


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"priority": 1}, "priority"),  # life safety: interlocks only
        ({"priority": 2}, "priority"),
        ({"priority": 17}, "priority"),
        ({"reason": None}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "  "}, "reason"),  # the audit log must say why
        ({"user": "li.wei"}, "user"),  # who commands is who signed in
        ({"point": ""}, "point"),
        ({"value": None, "priority": 2.5}, "priority"),
        ({"ttl_s": 0}, "ttl_s"),
        ({"ttl_s": 86_401}, "ttl_s"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"expires_at": "2026-03-02T10:00:00"}, "expires_at"),  # no offset
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(
    rig: Rig, fields: dict[str, Any], invalid: str
) -> None:
    body = {"point": SETPOINT, "value": 22.0, "reason": "too cold"} | fields
    body = {k: v for k, v in body.items() if v is not None or k == "value"}  # None: left out
    response = await rig.client.post("/api/commands", json=body)
    assert invalid_params(response) == [("body", invalid)]
    assert rig.control.port.calls == []
    assert await rig.audit() == []


async def test_a_missing_value_is_422_not_a_relinquish(rig: Rig) -> None:
    body = {"point": SETPOINT, "reason": "r"}
    response = await rig.client.post("/api/commands", json=body)
    assert invalid_params(response) == [("body", "value")]


async def test_a_retry_with_the_same_key_takes_effect_once(rig: Rig) -> None:
    first = (await rig.command(23.0, idempotency_key="k-42")).json()
    again = (await rig.command(23.0, idempotency_key="k-42")).json()
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert again["id"] == first["id"]
    assert again["status"] == first["status"] == "confirmed"
    assert rig.control.port.writes() == [("write", SETPOINT, 23.0, 8)]
    assert [r["duplicate"] for r in await rig.audit(point=SETPOINT)] == [True, False]
    other = (await rig.command(23.0, idempotency_key="k-43")).json()
    assert (other["duplicate"], other["id"] != first["id"]) == (False, True)


@pytest.mark.parametrize(
    ("fields", "expires"),
    [
        ({"ttl_s": 90}, T0 + timedelta(seconds=90)),
        ({"expires_at": "2026-03-02T09:05:00+00:00"}, T0 + timedelta(minutes=5)),
        ({"expires_at": "2026-03-02T17:05:00+08:00"}, T0 + timedelta(minutes=5)),
        ({"ttl_s": 60, "expires_at": "2026-03-02T10:00:00Z"}, T0 + timedelta(seconds=60)),
        ({"ttl_s": 3600, "expires_at": "2026-03-02T09:01:00Z"}, T0 + timedelta(seconds=60)),
    ],
)
async def test_ttl_and_expiry_are_kept_with_the_command(
    rig: Rig, fields: dict[str, Any], expires: datetime
) -> None:
    assert (await rig.command(**fields)).json()["status"] == "confirmed"
    [record] = await rig.audit()
    assert datetime.fromisoformat(record["expires_at"]) == expires


async def test_relinquish_hands_the_point_to_the_next_level(rig: Rig) -> None:
    await rig.command(22.0, priority=8)
    await rig.command(24.0, priority=10)
    response = await rig.client.delete(
        f"/api/points/{SETPOINT}/priority/8", params={"reason": "done"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["value"], body["priority"], body["effective"], body["effective_priority"]) == (
        None,
        8,
        24.0,
        10,
    )
    assert rig.control.port.writes()[-1] == ("write", SETPOINT, 24.0, 10)
    array = (await rig.client.get(f"/api/points/{SETPOINT}/priority")).json()
    assert array["levels"][7] is None
    assert array["levels"][9]["value"] == 24.0
    [record] = await rig.audit(point=SETPOINT, limit=1)
    assert (record["id"], record["value"], record["reason"]) == (body["id"], None, "done")


async def test_relinquishing_the_last_level_leaves_the_point_free(rig: Rig) -> None:
    await rig.command(22.0)
    path = f"/api/points/{SETPOINT}/priority/8"
    body = (await rig.client.delete(path, params={"reason": "done"})).json()
    assert (body["status"], body["effective"], body["effective_priority"]) == (
        "relinquished",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("path", "params", "invalid"),
    [
        (f"/api/points/{SETPOINT}/priority/2", {"reason": "r"}, ("path", "level")),
        (f"/api/points/{SETPOINT}/priority/17", {"reason": "r"}, ("path", "level")),
        (f"/api/points/{SETPOINT}/priority/x", {"reason": "r"}, ("path", "level")),
        (f"/api/points/{SETPOINT}/priority/8", {}, ("query", "reason")),
        (f"/api/points/{SETPOINT}/priority/8", {"reason": " "}, ("query", "reason")),
    ],
)
async def test_a_bad_relinquish_is_422(
    rig: Rig, path: str, params: dict[str, str], invalid: tuple[str, str]
) -> None:
    assert invalid_params(await rig.client.delete(path, params=params)) == [invalid]


async def test_a_relinquish_is_checked_like_any_command(rig: Rig) -> None:
    params = {"reason": "r"}
    unknown = await rig.client.delete("/api/points/b15.nowhere/priority/8", params=params)
    assert_kind(unknown, 404, "unknown-point")
    read_only = await rig.client.delete(f"/api/points/{TEMPERATURE}/priority/8", params=params)
    assert_kind(read_only, 409, "command-not-writable")
    too_urgent = await rig.client.delete(f"/api/points/{SETPOINT}/priority/5", params=params)
    assert_kind(too_urgent, 403, "command-permission", "not 5")


async def test_the_priority_array_shows_each_level_and_who_wrote_it(rig: Rig) -> None:
    empty = (await rig.client.get(f"/api/points/{SETPOINT}/priority")).json()
    assert empty == {
        "point": SETPOINT,
        "writable": True,
        "levels": [None] * 16,
        "effective": None,
        "effective_priority": None,
        "relinquish_default": None,
        "holds": [],
    }
    command = (await rig.command(21.5, priority=12)).json()
    array = (await rig.client.get(f"/api/points/{SETPOINT}/priority")).json()
    assert array["levels"][11] == {
        "priority": 12,
        "value": 21.5,
        "actor_kind": "operator",
        "actor": "li.wei",
        "ts": T0.isoformat(),
        "command": command["id"],
    }
    assert (array["effective"], array["effective_priority"]) == (21.5, 12)


async def test_a_read_only_point_has_an_empty_array(rig: Rig) -> None:
    array = (await rig.client.get(f"/api/points/{TEMPERATURE}/priority")).json()
    assert (array["writable"], array["levels"], array["effective"]) == (False, [None] * 16, None)


async def test_the_array_of_an_unknown_point_is_404(rig: Rig) -> None:
    assert_kind(await rig.client.get("/api/points/b15.nowhere/priority"), 404, "unknown-point")


async def test_the_audit_lists_refusals_too_newest_first(rig: Rig) -> None:
    await rig.command(22.0)
    await rig.command(40.0)
    await rig.command(30.0, point=LIGHTS)
    everything = await rig.audit()
    assert [(r["point"], r["status"]) for r in everything] == [
        (LIGHTS, "confirmed"),
        (SETPOINT, "refused"),
        (SETPOINT, "confirmed"),
    ]
    assert [r["refusal"] for r in await rig.audit(point=SETPOINT)] == ["limits", None]
    assert await rig.audit(point=TEMPERATURE) == []
    assert len(await rig.audit(limit=2)) == 2
    assert len(await rig.audit(start="2026-03-02T09:00:00Z")) == 3
    assert await rig.audit(end="2026-03-02T09:00:00Z") == []


@pytest.mark.parametrize(
    ("query", "invalid"),
    [("limit=0", "limit"), ("limit=10001", "limit"), ("start=2026-03-02T09:00:00", "start")],
)
async def test_bad_audit_queries_are_422(rig: Rig, query: str, invalid: str) -> None:
    assert invalid_params(await rig.client.get(f"/api/audit?{query}")) == [("query", invalid)]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/commands"),
        ("DELETE", f"/api/points/{SETPOINT}/priority/8?reason=r"),
        ("GET", f"/api/points/{SETPOINT}/priority"),
        ("GET", "/api/interlocks"),
        ("GET", "/api/audit"),
    ],
)
async def test_without_control_every_command_route_is_503(
    office: SiteModel, method: str, path: str
) -> None:
    body = {"point": SETPOINT, "value": 22.0, "reason": "r"}
    async with client_of(app_over(office, SimClock(T0))) as client:
        sent = body if method == "POST" else None
        response = await client.request(method, path, json=sent)
    assert_kind(response, 503, "control-unavailable")
