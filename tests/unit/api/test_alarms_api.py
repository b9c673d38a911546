"""/api/alarms over a real AlarmBook: conditions are told to the book as a rule would, the
operator acts through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from penworks.auth.policy import SharingConfig
from penworks.auth.types import Role
from penworks.core import SimClock
from penworks.model import SiteModel
from penworks.rules import AlarmBook, AlarmPriority
from tests.unit.api.auth_support import FakeAuth, principal
from tests.unit.api.automation_support import (
    SMALL_OFFICE,
    app_over,
    assert_kind,
    client_of,
    invalid_params,
)
from tests.unit.rules.alarm_support import HOT, T0, ManualClock, condition, make_book

COLD = "zone_too_cold:b15.f3.r302.zone_air_temp"
STUFFY = "co2_high:b15.f4.r401.zone_co2"
FLOODED = "b15.f2"
ACTIONS = ("ack", "shelve", "unshelve", "comment", "service")
LI_WEI = principal(Role.OPERATOR, username="li.wei")
LOBBY = "b15.f1.lobby"


@dataclass
class Rig:
    book: AlarmBook
    clock: ManualClock
    client: httpx.AsyncClient

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def act(self, action: str, alarm: str = HOT, **body: Any) -> httpx.Response:
        return await self.client.post(f"/api/alarms/{alarm}/{action}", json=body)

    async def ok(self, action: str, alarm: str = HOT, **body: Any) -> dict[str, Any]:
        response = await self.act(action, alarm, **body)
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        assert view == await self.get(f"/api/alarms/{alarm}")
        return view

    async def causes(self, alarm: str = HOT) -> list[str]:
        return [t["cause"] for t in await self.get(f"/api/alarms/{alarm}/history")]


@pytest.fixture(scope="module")
def office() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


@pytest.fixture
async def rig(office: SiteModel) -> AsyncIterator[Rig]:
    """Three alarms: HOT unacknowledged (medium), COLD unacknowledged (high, a minute later),
    STUFFY in normal (low, on another floor)."""
    clock = ManualClock()
    book = make_book(clock, flood_threshold=3, flood_release_below=1)
    await book.condition(condition(clock, HOT, value=29.5))
    clock.advance(60)
    await book.condition(condition(clock, COLD, priority=AlarmPriority.HIGH, value=15.0))
    await book.condition(
        condition(clock, STUFFY, active=False, priority=AlarmPriority.LOW, area="b15.f4")
    )
    app = app_over(office, clock, alarms=book, auth=FakeAuth(LI_WEI))
    async with client_of(app, LI_WEI) as client:
        yield Rig(book, clock, client)


async def test_list_most_urgent_first(rig: Rig) -> None:
    alarms = await rig.get("/api/alarms")
    assert [(a["id"], a["priority"], a["state"]) for a in alarms] == [
        (COLD, "high", "unack_active"),
        (HOT, "medium", "unack_active"),
        (STUFFY, "low", "normal"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "unack_active"}, [COLD, HOT]),
        ({"state": "normal"}, [STUFFY]),
        ({"state": "shelved"}, []),
        ({"priority": "high"}, [COLD]),
        ({"priority": "medium"}, [COLD, HOT]),
        ({"priority": "low"}, [COLD, HOT, STUFFY]),
        ({"priority": "critical"}, []),
        ({"area": "b15.f4"}, [STUFFY]),
        ({"active": "false"}, [STUFFY]),
        ({"active": "true", "area": "b15.f3"}, [COLD, HOT]),
        ({"unacknowledged": "true"}, [COLD, HOT]),
        ({"rule": "zone_too_warm"}, [HOT]),
        ({"point": "b15.f3.r302.zone_air_temp"}, [COLD]),
        ({"point": "b15.f3.r302.zone_air_temp", "rule": "zone_too_warm"}, []),
    ],
)
async def test_filters(rig: Rig, params: dict[str, str], expected: list[str]) -> None:
    assert [a["id"] for a in await rig.get("/api/alarms", **params)] == expected


@pytest.mark.parametrize(
    ("query", "invalid"),
    [("state=burning", "state"), ("priority=urgent", "priority"), ("active=maybe", "active")],
)
async def test_a_bad_filter_is_422(rig: Rig, query: str, invalid: str) -> None:
    assert invalid_params(await rig.client.get(f"/api/alarms?{query}")) == [("query", invalid)]


async def test_one_alarm(rig: Rig) -> None:
    alarm = await rig.get(f"/api/alarms/{HOT}")
    assert alarm == alarm | {
        "id": HOT,
        "rule": "zone_too_warm",
        "point": "b15.f3.r301.zone_air_temp",
        "area": "b15.f3",
        "priority": "medium",
        "message": "zone too warm",
        "value": 29.5,
        "state": "unack_active",
        "active": True,
        "suppressed_by": None,
        "shelf": None,
        "out_of_service": None,
        "ack": None,
        "active_since": T0.isoformat(),
        "annunciated_at": T0.isoformat(),
    }


async def test_acknowledge_as_the_signed_in_user_with_a_comment(rig: Rig) -> None:
    rig.clock.advance(30)
    view = await rig.ok("ack", comment="checking the VAV")
    assert view["state"] == "ack_active"
    assert view["ack"] == {
        "by": "li.wei",
        "at": rig.clock.now().isoformat(),
        "comment": "checking the VAV",
    }
    [latest, _] = await rig.get(f"/api/alarms/{HOT}/history")
    assert (latest["cause"], latest["user"], latest["comment"]) == (
        "ack",
        "li.wei",
        "checking the VAV",
    )
    assert (latest["from"], latest["to"]) == ("unack_active", "ack_active")
    detail = assert_kind(await rig.act("ack"), 409, "alarm-refused")
    assert "already acknowledged by li.wei" in detail


async def test_the_comment_of_an_ack_is_optional(rig: Rig) -> None:
    view = await rig.ok("ack", COLD)
    assert view["ack"]["comment"] == ""


async def test_acknowledging_a_normal_alarm_is_409(rig: Rig) -> None:
    response = await rig.act("ack", STUFFY)
    assert_kind(response, 409, "alarm-refused", "is normal: nothing to acknowledge")
    assert (await rig.get(f"/api/alarms/{STUFFY}"))["ack"] is None


@pytest.mark.parametrize("duration", ["PT1H30M", 5400, "5400", 5400.0])
async def test_shelve_for_a_duration_in_iso_or_seconds(rig: Rig, duration: object) -> None:
    view = await rig.ok("shelve", duration=duration, reason="sensor recalibration")
    assert view["state"] == "shelved"
    assert view["shelf"] == {
        "by": "li.wei",
        "reason": "sensor recalibration",
        "since": T0.replace(minute=1).isoformat(),
        "until": (T0 + timedelta(minutes=1, seconds=5400)).isoformat(),
    }
    assert [a["id"] for a in await rig.get("/api/alarms", state="shelved")] == [HOT]


async def test_shelving_beyond_the_maximum_is_409(rig: Rig) -> None:
    response = await rig.act("shelve", duration="PT8H1S", reason="r")
    assert_kind(response, 409, "alarm-refused", "up to 8:00:00")
    assert (await rig.get(f"/api/alarms/{HOT}"))["shelf"] is None
    assert (await rig.ok("shelve", duration="PT8H", reason="r"))["shelf"]


async def test_unshelve_returns_the_alarm_now(rig: Rig) -> None:
    await rig.ok("shelve", duration=600, reason="r")
    view = await rig.ok("unshelve", comment="fixed sooner")
    assert (view["state"], view["shelf"]) == ("unack_active", None)
    assert (await rig.causes())[:2] == ["unshelve", "shelve"]
    again = await rig.act("unshelve")
    assert_kind(again, 409, "alarm-refused", "is not shelved")


async def test_a_comment_goes_into_the_history_only(rig: Rig) -> None:
    view = await rig.ok("comment", text="tenant says it is fine")
    assert view["state"] == "unack_active"
    [latest, _] = await rig.get(f"/api/alarms/{HOT}/history")
    assert (latest["cause"], latest["user"], latest["comment"]) == (
        "comment",
        "li.wei",
        "tenant says it is fine",
    )
    assert latest["from"] == latest["to"] == "unack_active"


async def test_out_of_service_and_back(rig: Rig) -> None:
    out = await rig.ok("service", out=True, reason="sensor replaced")
    assert out["state"] == "out_of_service"
    assert out["out_of_service"] == {
        "by": "li.wei",
        "reason": "sensor replaced",
        "since": rig.clock.now().isoformat(),
    }
    assert_kind(
        await rig.act("service", out=True, reason="again"),
        409,
        "alarm-refused",
        "already out of service",
    )
    assert_kind(
        await rig.act("shelve", duration=60, reason="r"),
        409,
        "alarm-refused",
        "return it to service first",
    )
    back = await rig.ok("service", out=False)
    assert (back["state"], back["out_of_service"]) == ("unack_active", None)
    assert (await rig.causes())[:2] == ["return_to_service", "out_of_service"]
    again = await rig.act("service", out=False)
    assert_kind(again, 409, "alarm-refused", "is in service")


async def test_history_newest_first_with_a_limit(rig: Rig) -> None:
    await rig.ok("comment", text="one")
    await rig.ok("ack")
    history = await rig.get(f"/api/alarms/{HOT}/history")
    assert [t["cause"] for t in history] == ["ack", "comment", "condition"]
    assert history[0]["alarm"]["state"] == "ack_active"  # the alarm just after each
    assert history[2]["alarm"]["state"] == "unack_active"
    assert [t["seq"] for t in history] == sorted((t["seq"] for t in history), reverse=True)
    assert [t["cause"] for t in await rig.get(f"/api/alarms/{HOT}/history", limit=1)] == ["ack"]
    bad = await rig.client.get(f"/api/alarms/{HOT}/history", params={"limit": 0})
    assert invalid_params(bad) == [("query", "limit")]


async def test_kpis(rig: Rig) -> None:
    await rig.ok("shelve", COLD, duration=60, reason="r")
    kpis = await rig.get("/api/alarms/kpis")
    assert kpis["at"] == rig.clock.now().isoformat()
    assert (kpis["standing_total"], kpis["unacknowledged"], kpis["shelved"]) == (1, 1, 1)
    assert kpis["standing"]["medium"] == 1
    assert {o["alarm_id"] for o in kpis["top_offenders"]} == {HOT, COLD}
    assert len(kpis["hourly"]) == 24
    assert len(kpis["daily"]) == 7
    assert kpis["flooding_areas"] == []
    assert kpis["guidance"]


async def test_floods_per_area(rig: Rig) -> None:
    assert await rig.get("/api/alarms/floods") == []
    ids = [f"leak{n}:{FLOODED}.r20{n}.leak" for n in range(4)]
    for alarm in ids:
        await rig.book.condition(condition(rig.clock, alarm, area=FLOODED))
    [flood] = await rig.get("/api/alarms/floods")
    assert flood == {
        "area": FLOODED,
        "since": rig.clock.now().isoformat(),
        "count": 4,
        "suppressed": [ids[3]],
        "suppressed_total": 1,
    }
    held = await rig.get(f"/api/alarms/{ids[3]}")
    assert (held["state"], held["suppressed_by"]) == ("suppressed", "flood")
    assert (await rig.get("/api/alarms/kpis"))["flooding_areas"] == [FLOODED]


async def test_a_tenant_sees_floods_where_it_sees_with_only_its_alarms(
    office: SiteModel,
) -> None:
    """The ground floor floods; Nib sees it (the lobby is shared), with only the lobby's
    alarm among the suppressed, not the exhibition hall's."""
    clock = ManualClock()
    book = make_book(clock, flood_threshold=3, flood_release_below=1)
    raised = ["lobby.zone_air_temp", "hall.zone_air_temp", "hall.zone_co2"]
    held = ["hall.vav.damper", "lobby.zone_co2"]
    for point in raised + held:
        await book.condition(condition(clock, f"odd:b15.f1.{point}", area="b15.f1"))
    nib = principal(Role.TENANT_USER, "nib")
    app = app_over(
        office, clock, alarms=book, auth=FakeAuth(nib), sharing=SharingConfig(shared=[LOBBY])
    )
    async with client_of(app, nib) as client:
        [seen] = (await client.get("/api/alarms/floods")).json()
        listed = (await client.get("/api/alarms")).json()
        kpis = await client.get("/api/alarms/kpis")
    async with client_of(app) as client:
        [everything] = (await client.get("/api/alarms/floods")).json()
    assert everything["suppressed"] == [f"odd:b15.f1.{p}" for p in held]
    assert (seen["area"], seen["suppressed"]) == ("b15.f1", ["odd:b15.f1.lobby.zone_co2"])
    assert {a["id"] for a in listed} == {
        "odd:b15.f1.lobby.zone_air_temp",
        "odd:b15.f1.lobby.zone_co2",
    }
    assert kpis.status_code == 403  # they count the whole park


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("GET", "/history")] + [("POST", f"/{action}") for action in ACTIONS],
)
async def test_an_unknown_alarm_is_404(rig: Rig, method: str, path: str) -> None:
    body = {
        "/ack": {},
        "/shelve": {"duration": 60, "reason": "r"},
        "/unshelve": {},
        "/comment": {"text": "t"},
        "/service": {"out": True, "reason": "r"},
    }.get(path)
    response = await rig.client.request(method, f"/api/alarms/nope:b15.x{path}", json=body)
    assert_kind(response, 404, "unknown-alarm", "nope:b15.x")


@pytest.mark.parametrize(
    ("action", "body", "invalid"),
    [
        ("ack", {"user": "li.wei"}, "user"),  # who acts is who signed in
        ("ack", {"colour": "red"}, "colour"),
        ("ack", {"comment": "x" * 2001}, "comment"),
        ("shelve", {"reason": "r"}, "duration"),
        ("shelve", {"duration": "soon", "reason": "r"}, "duration"),
        ("shelve", {"duration": 60}, "reason"),
        ("shelve", {"duration": 60, "reason": ""}, "reason"),
        ("unshelve", {"comment": "c", "user": "u"}, "user"),
        ("comment", {}, "text"),
        ("comment", {"text": ""}, "text"),
        ("comment", {"text": " \n"}, "text"),
        ("shelve", {"duration": 0, "reason": "r"}, "duration"),
        ("shelve", {"duration": "-PT1M", "reason": "r"}, "duration"),
        ("shelve", {"duration": 60, "reason": "  "}, "reason"),
        ("service", {"out": True}, "reason"),
        ("service", {"out": True, "reason": " "}, "reason"),
        ("service", {}, "out"),
        ("service", {"out": "perhaps"}, "out"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(
    rig: Rig, action: str, body: dict[str, Any], invalid: str
) -> None:
    before = await rig.get(f"/api/alarms/{HOT}/history")
    response = await rig.act(action, **body)
    assert invalid_params(response) == [("body", invalid)]
    assert await rig.get(f"/api/alarms/{HOT}/history") == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/alarms"),
        ("GET", "/api/alarms/kpis"),
        ("GET", "/api/alarms/floods"),
        ("GET", f"/api/alarms/{HOT}"),
        ("GET", f"/api/alarms/{HOT}/history"),
    ]
    + [("POST", f"/api/alarms/{HOT}/{action}") for action in ACTIONS],
)
async def test_without_an_alarm_book_every_alarm_route_is_503(
    office: SiteModel, method: str, path: str
) -> None:
    body = {"duration": 60, "reason": "r", "text": "t", "out": True}
    fields = {
        "ack": (),
        "shelve": ("duration", "reason"),
        "unshelve": (),
        "comment": ("text",),
        "service": ("out", "reason"),
    }
    sent = {k: body[k] for k in fields[path.rsplit("/", 1)[1]]} if method == "POST" else None
    async with client_of(app_over(office, SimClock(T0))) as client:
        response = await client.request(method, path, json=sent)
    assert_kind(response, 503, "alarms-unavailable")
