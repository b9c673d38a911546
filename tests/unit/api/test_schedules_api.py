"""/api/schedules over a real ScheduleBook (weekly periods, the Chinese holiday calendar,
exceptions), in Shanghai time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from penworks.model import SiteModel
from penworks.rules import ScheduleBook
from tests.unit.api.automation_support import (
    SMALL_OFFICE,
    app_over,
    assert_kind,
    client_of,
    invalid_params,
)
from tests.unit.rules.alarm_support import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 3, 14, 0, tzinfo=SHANGHAI)  # a Tuesday afternoon
SCHEDULES = """\
timezone: Asia/Shanghai
schedules:
  - id: office
    description: Office floors, occupied hours
    weekly:
      weekdays: ["08:00-12:00", "13:00-19:00"]
      sat: "09:00-13:00"
    holidays: {calendar: cn}
    exceptions:
      - {name: Open day, date: 2026-10-03, periods: ["10:00-16:00"]}
  - id: lobby
    weekly: {daily: "00:00-24:00"}
"""


@pytest.fixture(scope="module")
def office() -> SiteModel:
    return SiteModel.load(SMALL_OFFICE)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> ScheduleBook:
    path: Path = tmp_path_factory.mktemp("schedules") / "schedules.yaml"
    path.write_text(SCHEDULES, encoding="utf-8")
    return ScheduleBook.load(path)


@pytest.fixture
async def client(office: SiteModel, book: ScheduleBook) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app_over(office, ManualClock(NOW), schedules=book)) as client:
        yield client


async def get(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_schedule_now(client: httpx.AsyncClient) -> None:
    body = await get(client, "/api/schedules")
    assert (body["timezone"], body["warnings"]) == ("Asia/Shanghai", [])
    office, lobby = body["schedules"]
    assert office == {
        "schedule": "office",
        "description": "Office floors, occupied hours",
        "at": NOW.isoformat(),
        "on": True,
        "period": "13:00-19:00",
        "next_change": "2026-03-03T19:00:00+08:00",
        "why": "weekly",
        "label": "tue",
        "today": {
            "date": "2026-03-03",
            "periods": ["08:00-12:00", "13:00-19:00"],
            "source": "weekly",
            "label": "tue",
            "calendar_covered": True,
        },
    }
    assert (lobby["schedule"], lobby["on"], lobby["next_change"]) == ("lobby", True, None)


@pytest.mark.parametrize(
    ("at", "on", "why", "label"),
    [
        ("2026-03-03T12:15:00+08:00", False, "weekly", "tue"),  # lunch
        ("2026-03-03T04:15:00Z", False, "weekly", "tue"),  # the same instant in UTC
        ("2026-02-17T10:00:00+08:00", False, "holiday", "Spring Festival"),
        ("2026-02-14T10:00:00+08:00", True, "makeup_workday", "make-up working day"),
        ("2026-10-03T11:00:00+08:00", True, "exception", "Open day"),
    ],
)
async def test_schedules_at_an_instant(
    client: httpx.AsyncClient, at: str, on: bool, why: str, label: str
) -> None:
    [office, _] = (await get(client, "/api/schedules", at=at))["schedules"]
    assert (office["on"], office["why"]) == (on, why)
    assert label in office["label"]
    assert datetime.fromisoformat(office["at"]) == datetime.fromisoformat(at)


async def test_an_unencoded_plus_of_the_offset_is_understood(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/schedules?at=2026-03-03T12:15:00+08:00")
    assert response.request.url.query == b"at=2026-03-03T12:15:00+08:00"  # sent as typed
    assert response.json()["schedules"][0]["on"] is False


async def test_a_year_the_calendar_misses_is_a_warning(client: httpx.AsyncClient) -> None:
    [warning] = (await get(client, "/api/schedules", at="2035-06-01T10:00:00+08:00"))["warnings"]
    assert "does not cover 2035" in warning


async def test_one_schedule_with_its_days(client: httpx.AsyncClient) -> None:
    body = await get(client, "/api/schedules/office")
    assert (body["schedule"], body["on"], body["period"]) == ("office", True, "13:00-19:00")
    assert [d["date"] for d in body["days"]] == [f"2026-03-{d:02}" for d in range(3, 10)]
    assert [d["periods"] for d in body["days"][3:6]] == [
        ["08:00-12:00", "13:00-19:00"],  # fri
        ["09:00-13:00"],  # sat
        [],  # sun
    ]


async def test_the_days_from_a_start_for_a_count(client: httpx.AsyncClient) -> None:
    body = await get(client, "/api/schedules/office", start="2026-02-13", days=4)
    assert [(d["date"], d["source"]) for d in body["days"]] == [
        ("2026-02-13", "weekly"),
        ("2026-02-14", "makeup_workday"),
        ("2026-02-15", "holiday"),
        ("2026-02-16", "holiday"),
    ]
    assert body["at"] == NOW.isoformat()  # the view is still of now


async def test_the_days_follow_the_instant_when_no_start_is_given(
    client: httpx.AsyncClient,
) -> None:
    body = await get(client, "/api/schedules/office", at="2026-02-28T20:00:00Z", days=1)
    assert [d["date"] for d in body["days"]] == ["2026-03-01"]  # already Sunday in Shanghai
    assert len((await get(client, "/api/schedules/lobby", days=366))["days"]) == 366


async def test_an_unknown_schedule_is_404_naming_the_known_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/schedules/ofice")
    assert_kind(response, 404, "unknown-schedule", "'ofice'", "known: office, lobby")


@pytest.mark.parametrize(
    ("query", "invalid"),
    [
        ("days=0", "days"),
        ("days=367", "days"),
        ("start=2026-02-30", "start"),
        ("at=2026-03-03T10:00:00", "at"),  # no offset
        ("at=tomorrow", "at"),
    ],
)
async def test_bad_parameters_are_422(client: httpx.AsyncClient, query: str, invalid: str) -> None:
    response = await client.get(f"/api/schedules/office?{query}")
    assert invalid_params(response) == [("query", invalid)]


async def test_a_bad_instant_for_the_list_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/schedules?at=2026-03-03")
    assert invalid_params(response) == [("query", "at")]


@pytest.mark.parametrize("path", ["/api/schedules", "/api/schedules/office"])
async def test_without_schedules_the_routes_are_404(office: SiteModel, path: str) -> None:
    async with client_of(app_over(office, ManualClock(NOW))) as client:
        response = await client.get(path)
    assert_kind(response, 404, "schedules-unavailable", "no schedules file")
