"""Tenant isolation and the roles, over every route of the API, with the real AuthService.

The routes are walked from the app (`app.routes`): a route added without a case below fails
test_every_route_has_a_case. Each case calls its route as a user of tenant B (Nib) on tenant
A's (Inkwell's) points, places, alarms and commands; the answer must be 403 or 404, or a 200
without anything of A's in it (lists filtered to B's and shared things), never a 500. Without
a token, every route but the public ones answers 401. The role matrix checks, per role, what
it may and may not do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, WebSocketRoute

from penworks.model import SiteModel
from tests.unit.api.isolation_support import (
    A_ALARM,
    A_FLOOD,
    A_FLOOR,
    A_MARKS,
    A_ROOM,
    A_TEMP,
    A_VAV,
    B_ALARM,
    B_DOOR,
    B_TEMP,
    B_VAV,
    BUILDING15,
    LOBBY_ALARM,
    PASSWORD,
    World,
    world,
)


@dataclass(frozen=True)
class Call:
    method: str
    url: str  # may name {a_user}, {a_admin}, {a_token} (World.refs)
    json: dict[str, Any] | None = None  # its strings too, and {refresh}: the caller's
    refused: tuple[int, ...] = ()  # besides 403 and 404, statuses that mean "refused"

    def url_for(self, refs: dict[str, str]) -> str:
        return self.url.format_map(refs)

    def body_for(self, refs: dict[str, str]) -> dict[str, Any] | None:
        if self.json is None:
            return None
        return {k: v.format_map(refs) if isinstance(v, str) else v for k, v in self.json.items()}


def get(url: str) -> Call:
    return Call("GET", url)


def post(url: str, body: dict[str, Any] | None = None, *refused: int) -> Call:
    return Call("POST", url, body if body is not None else {}, refused)


REASON = {"reason": "tenant B tries"}
ENERGY_SPAN = "start=2026-01-06T00:00Z&end=2026-01-07T00:00Z"
ACTION_BODIES = {
    "ack": {"comment": "mine now"},
    "shelve": {"duration": 600} | REASON,
    "unshelve": {},
    "comment": {"text": "seen"},
    "service": {"out": True} | REASON,
}

# Each route (method, path as the app declares it) and its calls as tenant B on A's things.
CASES: dict[tuple[str, str], list[Call]] = {
    ("GET", "/api/health"): [get("/api/health")],
    ("GET", "/api/model"): [get("/api/model")],
    ("GET", "/api/points"): [
        get("/api/points?limit=1000"),
        get("/api/points?brick=Zone_Air_Temperature_Sensor&limit=1000"),
        get(f"/api/points?within={A_FLOOR}"),
        get(f"/api/points?within={A_ROOM}&brick=Temperature_Sensor"),
    ],
    ("GET", "/api/points/{point_id}"): [get(f"/api/points/{A_TEMP}"), get(f"/api/points/{A_VAV}")],
    ("GET", "/api/points/{point_id}/latest"): [get(f"/api/points/{A_TEMP}/latest")],
    ("GET", "/api/points/{point_id}/history"): [
        get(f"/api/points/{A_TEMP}/history?start=2026-03-02T08:00:00Z&end=2026-03-02T10:00:00Z"),
        get(f"/api/points/{A_TEMP}/history?agg=avg"),
    ],
    ("GET", "/api/points/{point_id}/priority"): [get(f"/api/points/{A_VAV}/priority")],
    ("DELETE", "/api/points/{point_id}/priority/{level}"): [
        Call("DELETE", f"/api/points/{A_VAV}/priority/8?reason=mine")
    ],
    ("GET", "/api/latest"): [
        get("/api/latest"),
        get("/api/latest?brick=Zone_Air_Temperature_Sensor"),
        get(f"/api/latest?within={A_FLOOR}"),
    ],
    ("GET", "/api/deadletters"): [get("/api/deadletters?source=mqtt")],
    ("GET", "/api/deadletters/counts"): [get("/api/deadletters/counts")],
    ("GET", "/api/devices"): [get("/api/devices")],
    ("POST", "/api/commands"): [
        post("/api/commands", {"point": A_VAV, "value": 24.0} | REASON),
        post("/api/commands", {"point": A_VAV, "value": None, "priority": 8} | REASON),
    ],
    ("GET", "/api/interlocks"): [get("/api/interlocks")],
    ("GET", "/api/audit"): [get(f"/api/audit?point={A_VAV}")],
    ("GET", "/api/alarms"): [
        get("/api/alarms"),
        get(f"/api/alarms?point={A_TEMP}"),
        get(f"/api/alarms?area={A_FLOOR}"),
    ],
    ("GET", "/api/alarms/kpis"): [get("/api/alarms/kpis")],
    ("GET", "/api/alarms/floods"): [get("/api/alarms/floods")],
    ("GET", "/api/alarms/{alarm_id}"): [
        get(f"/api/alarms/{A_ALARM}"),
        get(f"/api/alarms/{A_FLOOD[-1]}"),
    ],
    ("GET", "/api/alarms/{alarm_id}/history"): [get(f"/api/alarms/{A_ALARM}/history")],
    **{
        ("POST", f"/api/alarms/{{alarm_id}}/{action}"): [
            post(f"/api/alarms/{A_ALARM}/{action}", body)
        ]
        for action, body in ACTION_BODIES.items()
    },
    ("GET", "/api/notifications"): [get(f"/api/notifications?key={A_ALARM}")],
    ("GET", "/api/rules"): [get("/api/rules")],
    ("GET", "/api/rules/{rule_id}"): [get("/api/rules/zone_too_warm")],
    ("POST", "/api/rules/reload"): [post("/api/rules/reload")],
    ("GET", "/api/schedules"): [get("/api/schedules")],
    ("GET", "/api/schedules/{schedule_id}"): [get("/api/schedules/office_hours")],
    # Smart apps: the listing, and the comfort watch's route (B sees its zones' counts only).
    ("GET", "/api/apps"): [get("/api/apps")],
    ("GET", "/api/apps/comfort/summary"): [get("/api/apps/comfort/summary")],
    # The energy app: B sees its own meter, consumption and flags; A's bill is not there.
    ("GET", "/api/apps/energy/meters"): [get("/api/apps/energy/meters")],
    ("GET", "/api/apps/energy/consumption"): [
        get(f"/api/apps/energy/consumption?{ENERGY_SPAN}&by={by}")
        for by in ("floor", "system", "tenant")
    ],
    ("GET", "/api/apps/energy/bills"): [
        get(f"/api/apps/energy/bills?tenant={t}&{ENERGY_SPAN}") for t in ("inkwell", "nib")
    ],
    ("GET", "/api/apps/energy/quality"): [get("/api/apps/energy/quality")],
    ("GET", "/api/apps/energy/overview"): [get("/api/apps/energy/overview")],
    ("GET", "/api/apps/energy/baseline"): [
        get(f"/api/apps/energy/baseline?meter={m}&{ENERGY_SPAN}")
        for m in ("b15.f2.inkwell_meter", "b15.f3.nib_meter")
    ],
    ("GET", "/api/apps/energy/savings"): [get(f"/api/apps/energy/savings?{ENERGY_SPAN}")],
    ("GET", "/api/apps/energy/anomalies"): [get("/api/apps/energy/anomalies")],
    ("GET", "/api/apps/energy/comfort"): [get("/api/apps/energy/comfort")],
    ("GET", "/api/apps/energy/control"): [get("/api/apps/energy/control")],
    # Signing in and out, users and API tokens: B manages only itself (a tenant admin: its
    # tenant's users); A's users and tokens answer 404 or 403, and stay as they were.
    ("POST", "/api/auth/token"): [
        post("/api/auth/token", {"username": "nib.user", "password": PASSWORD}),
        post("/api/auth/token", {"username": "inkwell.user", "password": "guess" * 3}, 401),
    ],
    ("POST", "/api/auth/refresh"): [post("/api/auth/refresh", {"refresh_token": "{refresh}"})],
    ("POST", "/api/auth/logout"): [post("/api/auth/logout", {"refresh_token": "{refresh}"})],
    ("GET", "/api/auth/setup"): [get("/api/auth/setup")],
    ("POST", "/api/auth/setup"): [
        post(
            "/api/auth/setup",
            {"setup_token": "guessed", "username": "mole", "password": PASSWORD},
            401,
        )
    ],
    ("GET", "/api/auth/me"): [get("/api/auth/me")],
    ("POST", "/api/auth/password"): [
        post(
            "/api/auth/password",
            {"current_password": "not mine at all", "new_password": PASSWORD + "!"},
            401,
        )
    ],
    ("GET", "/api/users"): [get("/api/users")],
    ("POST", "/api/users"): [
        post(
            "/api/users",
            {"username": "mole", "password": PASSWORD, "role": "tenant_user", "tenant": "inkwell"},
        ),
        post("/api/users", {"username": "mole", "password": PASSWORD, "role": "admin"}),
    ],
    ("GET", "/api/users/{user_id}"): [get("/api/users/{a_user}"), get("/api/users/{a_admin}")],
    ("PATCH", "/api/users/{user_id}"): [
        Call("PATCH", "/api/users/{a_user}", {"disabled": True}),
        Call("PATCH", "/api/users/{a_admin}", {"password": PASSWORD + " again"}),
        Call("PATCH", "/api/users/{a_user}", {"role": "tenant_user", "tenant": "nib"}),
    ],
    ("DELETE", "/api/users/{user_id}"): [Call("DELETE", "/api/users/{a_user}")],
    ("POST", "/api/users/{user_id}/revoke"): [post("/api/users/{a_admin}/revoke")],
    ("GET", "/api/tokens"): [get("/api/tokens"), get("/api/tokens?user_id={a_user}")],
    ("POST", "/api/tokens"): [
        post(
            "/api/tokens",
            {"name": "mine", "scopes": ["read"], "expires_at": "2026-04-01T00:00:00Z"},
        )
    ],
    ("GET", "/api/tokens/{token_id}"): [get("/api/tokens/{a_token}")],
    ("DELETE", "/api/tokens/{token_id}"): [Call("DELETE", "/api/tokens/{a_token}")],
    # The web app, the API's documentation and its schema: public, and about no tenant.
    ("GET", "/"): [get("/")],
    ("GET", "/app/{path:path}"): [get("/app/index.html")],
    ("GET", "/docs"): [get("/docs")],
    ("MOUNT", "/docs/assets"): [get("/docs/assets/swagger-ui.css")],
    ("GET", "/openapi.json"): [get("/openapi.json")],
    # Authenticates in its first message, not by header: tests/unit/api/test_live.py shows a
    # tenant's socket never carries another tenant's points, alarms or events.
    ("WS", "/api/live"): [],
}

# Routes that answer without a token.
PUBLIC = {
    ("GET", "/api/health"),  # liveness only (test_health.py)
    ("POST", "/api/auth/token"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),  # ends the session of the token it is given, if any
    ("GET", "/api/auth/setup"),
    ("POST", "/api/auth/setup"),
    ("GET", "/"),
    ("GET", "/app/{path:path}"),
    ("GET", "/docs"),
    ("MOUNT", "/docs/assets"),
    ("GET", "/openapi.json"),
    ("WS", "/api/live"),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; WS for sockets, MOUNT for static files."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        original, path = route.original_route, route.path
        assert path is not None
        if isinstance(original, Mount):
            found.add(("MOUNT", path))
        elif isinstance(original, WebSocketRoute) or route.methods is None:
            found.add(("WS", path))
        else:
            found.update((m, path) for m in route.methods if m != "HEAD")
    return found


@pytest.fixture(scope="module")
def building15() -> SiteModel:
    return SiteModel.load(BUILDING15)


@pytest.fixture
async def park(building15: SiteModel, tmp_path: Path) -> AsyncIterator[World]:
    async with world(building15, tmp_path) as running:
        yield running


async def call(
    client: httpx.AsyncClient, c: Call, refs: dict[str, str] | None = None
) -> httpx.Response:
    refs = refs or {}
    return await client.request(c.method, c.url_for(refs), json=c.body_for(refs))


async def test_every_route_has_a_case(park: World) -> None:
    served = app_routes(park.app)
    assert served - CASES.keys() == set(), "routes without an isolation case"
    assert CASES.keys() - served == set(), "cases of routes the app no longer serves"


def _leaks(response: httpx.Response) -> list[str]:
    text = response.text.lower()
    return [mark for mark in A_MARKS if mark in text]


@pytest.mark.parametrize("user", ["nib.user", "nib.admin"])
@pytest.mark.parametrize("route", sorted(CASES), ids=" ".join)
async def test_tenant_b_never_gets_tenant_a(park: World, user: str, route: tuple[str, str]) -> None:
    before = park.alarms.get(A_ALARM)
    async with park.client(user) as client:
        for c in CASES[route]:
            response = await call(client, c, park.refs(user))
            status = response.status_code
            assert status in (200, 201, 204, 403, 404, *c.refused), (c, status, response.text)
            if status < 300:
                assert _leaks(response) == [], (c, response.text[:2000])
            else:
                assert response.headers["content-type"].startswith("application/problem+json")
    assert park.control.port.calls == []  # nothing of A's was written
    assert park.alarms.get(A_ALARM) == before  # nor acknowledged, shelved, commented
    assert park.rules.reloads == 0
    await park.a_still_whole()


async def test_the_filtered_answers_still_hold_b_and_the_shared(park: World) -> None:
    """The 200s above are not empty by accident: B sees its own and the lobby's."""
    async with park.client("nib.user") as client:
        points = (await client.get("/api/points?limit=1000")).json()
        alarms = (await client.get("/api/alarms")).json()
        tree = (await client.get("/api/model")).json()
        latest = (await client.get("/api/latest?brick=Zone_Air_Temperature_Sensor")).json()
    ids = {p["id"] for p in points["items"]}
    assert {B_TEMP, B_VAV, "b15.f1.lobby.zone_air_temp"} <= ids
    assert all(p.startswith(("b15.f3.", "b15.f1.lobby.")) for p in ids)
    assert points["total"] == len(ids)
    assert {a["id"] for a in alarms} == {B_ALARM, LOBBY_ALARM}
    assert {r["point"] for r in latest["items"] if r["value"] is not None} == {
        B_TEMP,
        "b15.f1.lobby.zone_air_temp",
    }
    [building] = tree["buildings"]
    floors = {f["id"]: f for f in building["floors"]}
    assert set(floors) == {"b15.f1", "b15.f3"}
    assert [s["id"] for s in floors["b15.f1"]["spaces"]] == ["b15.f1.lobby"]
    assert {s["tenant"] for s in floors["b15.f3"]["spaces"]} == {"nib"}
    assert [t["id"] for t in tree["tenants"]] == ["nib"]
    async with park.client("nib.user") as client:
        meters = (await client.get("/api/apps/energy/meters")).json()
        bill = (await client.get(f"/api/apps/energy/bills?tenant=nib&{ENERGY_SPAN}")).json()
        flags = (await client.get("/api/apps/energy/quality")).json()
    assert [m["id"] for m in meters["meters"]] == ["b15.f3.nib_meter"]
    assert bill["kwh"] > 0
    assert [(f["meter"], f["kind"]) for f in flags] == [("b15.f3.nib_meter", "reset")]


async def test_a_floor_b_may_not_see_answers_as_an_unknown_one(park: World) -> None:
    async with park.client("nib.user") as client:
        hidden = await client.get(f"/api/points/{A_TEMP}")
        unknown = await client.get("/api/points/b15.f2.r201.no_such_point")
        hidden_place = await client.get(f"/api/points?within={A_FLOOR}")
        unknown_place = await client.get("/api/points?within=b15.f9")
        hidden_alarm = await client.get(f"/api/alarms/{A_ALARM}")
        unknown_alarm = await client.get("/api/alarms/zone_too_warm:b15.f2.r201.nothing")
    for shown, missing in ((hidden, unknown), (hidden_place, unknown_place)):
        assert shown.status_code == missing.status_code == 404
        assert shown.json()["type"] == missing.json()["type"]
        assert shown.json()["title"] == missing.json()["title"]
    assert hidden_alarm.status_code == unknown_alarm.status_code == 404
    assert hidden_alarm.json()["type"] == unknown_alarm.json()["type"]


@pytest.mark.parametrize("route", sorted(CASES.keys() - PUBLIC), ids=" ".join)
async def test_without_a_token_every_route_is_401(park: World, route: tuple[str, str]) -> None:
    refs = park.refs("nib.user")
    async with park.client(None) as client:
        for c in CASES[route]:
            response = await call(client, c, refs)
            assert response.status_code == 401, (c, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"].startswith("application/problem+json")
            forged = await client.request(
                c.method,
                c.url_for(refs),
                json=c.body_for(refs),
                headers={"Authorization": "Bearer forged.token.x"},
            )
            assert forged.status_code == 401, (c, forged.text)
    await park.a_still_whole()


@pytest.mark.parametrize("route", sorted(PUBLIC - {("WS", "/api/live")}), ids=" ".join)
async def test_public_routes_answer_without_a_token(park: World, route: tuple[str, str]) -> None:
    async with park.client(None) as client:
        for c in CASES[route]:
            response = await call(client, c, park.refs("nib.user"))
            expected = c.refused or (200, 201, 204)
            assert response.status_code in expected, (c, response.text[:500])


async def test_a_revoked_session_is_refused_at_once(park: World) -> None:
    async with park.client("nib.user") as client:
        assert (await client.get(f"/api/points/{B_TEMP}")).status_code == 200
        await park.auth.revoke_user(park.user_ids["nib.user"])
        response = await client.get(f"/api/points/{B_TEMP}")
    assert response.status_code == 401


# The role matrix: per action, the status each role gets (the tenant roles are Nib's).
ROLE_NAMES = ("admin", "operator", "security", "energy", "nib.admin", "nib.user", "viewer")
COMMAND = {"priority": 8} | REASON
MATRIX: dict[str, tuple[Call, tuple[int, ...]]] = {
    "read its point": (get(f"/api/points/{B_TEMP}"), (200, 200, 200, 200, 200, 200, 200)),
    "read A's point": (get(f"/api/points/{A_TEMP}"), (200, 200, 200, 200, 404, 404, 200)),
    "command a VAV setpoint": (
        post("/api/commands", {"point": B_VAV, "value": 24.0} | COMMAND),
        (200, 200, 403, 200, 200, 200, 403),
    ),
    "command A's VAV setpoint": (
        post("/api/commands", {"point": A_VAV, "value": 24.0} | COMMAND),
        (200, 200, 403, 200, 404, 404, 403),
    ),
    "command a door lock": (
        post("/api/commands", {"point": B_DOOR, "value": True} | COMMAND),
        (200, 200, 200, 403, 404, 404, 403),
    ),
    "see a priority array": (
        get(f"/api/points/{B_VAV}/priority"),
        (200, 200, 200, 200, 200, 200, 200),
    ),
    "acknowledge its alarm": (
        post(f"/api/alarms/{B_ALARM}/ack"),
        (200, 200, 200, 200, 200, 403, 403),
    ),
    "acknowledge a shared alarm": (
        post(f"/api/alarms/{LOBBY_ALARM}/ack"),
        (200, 200, 200, 200, 403, 403, 403),
    ),
    "acknowledge A's alarm": (
        post(f"/api/alarms/{A_ALARM}/ack"),
        (200, 200, 200, 200, 404, 403, 403),
    ),
    "see alarm KPIs": (get("/api/alarms/kpis"), (200, 200, 200, 200, 403, 403, 200)),
    "see rules": (get("/api/rules"), (200, 200, 200, 200, 403, 403, 200)),
    "reload rules": (post("/api/rules/reload"), (200, 200, 403, 403, 403, 403, 403)),
    "see devices": (get("/api/devices"), (200, 200, 403, 403, 403, 403, 403)),
    "see dead letters": (get("/api/deadletters"), (200, 200, 403, 403, 403, 403, 403)),
    "see the audit log": (get("/api/audit"), (200, 200, 403, 403, 403, 403, 403)),
    "see interlocks": (get("/api/interlocks"), (200, 200, 403, 403, 403, 403, 403)),
    "see notifications": (get("/api/notifications"), (200, 200, 403, 403, 403, 403, 403)),
    "see schedules": (get("/api/schedules"), (200, 200, 200, 200, 200, 200, 200)),
    "manage users": (get("/api/users"), (200, 403, 403, 403, 200, 403, 403)),
}


@pytest.mark.parametrize("role", ROLE_NAMES)
async def test_role_matrix(park: World, role: str) -> None:
    """Each action once per role, in a world of its own (an acknowledged alarm stays so)."""
    column = ROLE_NAMES.index(role)
    got, expected = {}, {}
    async with park.client(role) as client:
        for action, (c, statuses) in MATRIX.items():
            response = await call(client, c)
            got[action], expected[action] = response.status_code, statuses[column]
            if c.url == "/api/commands" and response.status_code == 200:
                assert response.json()["status"] == "confirmed", response.text
    assert got == expected


async def test_a_command_names_the_signed_in_user(park: World) -> None:
    async with park.client("energy") as client:
        body = {"point": B_VAV, "value": 23.5} | COMMAND
        assert (await client.post("/api/commands", json=body)).status_code == 200
    async with park.client("operator") as client:
        [record] = (await client.get(f"/api/audit?point={B_VAV}")).json()
    assert (record["actor_kind"], record["actor"]) == ("operator", "energy")


async def test_health_tells_the_system_permission_everything(park: World) -> None:
    async with park.client("operator") as client:
        full = (await client.get("/api/health")).json()
    async with park.client("viewer") as client:
        short = (await client.get("/api/health")).json()
    assert set(short) == {"status", "version"}
    assert {"site", "uptime_s", "components"} <= set(full)
