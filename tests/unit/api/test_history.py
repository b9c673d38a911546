from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from penworks.core import Observation, Quality
from penworks.store import Aggregate
from tests.unit.api.conftest import NOW
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.problem_check import assert_problem

TEMP = "b15.f3.r301.zone_air_temp"
URL = f"/api/points/{TEMP}/history"
START = NOW - timedelta(hours=1)


@pytest.fixture
async def filled(history: MemoryHistory) -> MemoryHistory:
    """One value a minute for the hour before NOW: 0.0, 1.0, ... 59.0."""
    await history.append(
        [Observation(TEMP, START + timedelta(minutes=m), float(m)) for m in range(60)]
    )
    return history


def window(**extra: str) -> dict[str, str]:
    return {"start": START.isoformat(), "end": NOW.isoformat(), **extra}


async def test_raw_history_oldest_first(client: httpx.AsyncClient, filled: MemoryHistory) -> None:
    response = await client.get(URL, params=window())
    assert response.status_code == 200
    body = response.json()
    assert body["point"] == TEMP
    assert body["agg"] == "raw"
    assert body["interval_s"] is None
    assert body["truncated"] is False
    assert [v["value"] for v in body["values"]] == [float(m) for m in range(60)]
    assert datetime.fromisoformat(body["values"][0]["ts"]) == START
    assert body["values"][0]["quality"] == "good"
    assert datetime.fromisoformat(body["start"]) == START
    assert datetime.fromisoformat(body["end"]) == NOW


@pytest.mark.parametrize(
    ("interval", "seconds"), [("600", 600.0), ("PT10M", 600.0), ("PT1H", 3600.0), ("90.5", 90.5)]
)
async def test_interval_as_seconds_or_iso_duration_reaches_the_store(
    client: httpx.AsyncClient, filled: MemoryHistory, interval: str, seconds: float
) -> None:
    body = (await client.get(URL, params=window(agg="avg", interval=interval))).json()
    assert body["interval_s"] == seconds
    call = filled.range_calls[-1]
    assert call["agg"] is Aggregate.AVG
    assert call["interval"] == timedelta(seconds=seconds)
    assert (call["start"], call["end"]) == (START, NOW)


@pytest.mark.parametrize(
    ("agg", "expected"),
    [
        ("avg", [4.5, 14.5, 24.5, 34.5, 44.5, 54.5]),
        ("min", [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]),
        ("max", [9.0, 19.0, 29.0, 39.0, 49.0, 59.0]),
        ("last", [9.0, 19.0, 29.0, 39.0, 49.0, 59.0]),
    ],
)
async def test_aggregates_pass_through(
    client: httpx.AsyncClient, filled: MemoryHistory, agg: str, expected: list[float]
) -> None:
    body = (await client.get(URL, params=window(agg=agg, interval="PT10M"))).json()
    assert body["agg"] == agg
    assert [v["value"] for v in body["values"]] == expected
    starts = [datetime.fromisoformat(v["ts"]) for v in body["values"]]
    assert starts == [START + timedelta(minutes=10 * i) for i in range(6)]


async def test_aggregate_without_interval_splits_window(
    client: httpx.AsyncClient, filled: MemoryHistory
) -> None:
    body = (await client.get(URL, params=window(agg="max"))).json()
    assert body["interval_s"] == 10.0  # one hour in 360 intervals
    assert filled.range_calls[-1]["interval"] == timedelta(seconds=10)


async def test_default_window_is_the_last_hour(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    await history.append(
        [
            Observation(TEMP, NOW - timedelta(hours=2), 1.0),
            Observation(TEMP, NOW - timedelta(minutes=30), 2.0, Quality.BAD),
        ]
    )
    body = (await client.get(URL)).json()
    assert [(v["value"], v["quality"]) for v in body["values"]] == [(2.0, "bad")]
    end = datetime.fromisoformat(body["end"])
    assert end - datetime.fromisoformat(body["start"]) == timedelta(hours=1)
    assert NOW <= end < NOW + timedelta(minutes=1)


async def test_start_alone_ends_now_and_end_alone_starts_an_hour_before(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    early = NOW - timedelta(hours=5)
    body = (await client.get(URL, params={"start": early.isoformat()})).json()
    assert datetime.fromisoformat(body["start"]) == early
    assert datetime.fromisoformat(body["end"]) >= NOW
    body = (await client.get(URL, params={"end": early.isoformat()})).json()
    assert datetime.fromisoformat(body["start"]) == early - timedelta(hours=1)


async def test_unencoded_plus_of_an_offset_is_understood(
    client: httpx.AsyncClient, filled: MemoryHistory
) -> None:
    response = await client.get(
        f"{URL}?start=2025-03-01T13:00:00+02:00&end=2025-03-01T14:00:00+02:00"
    )
    body = response.json()
    assert datetime.fromisoformat(body["start"]) == NOW - timedelta(hours=1)
    assert len(body["values"]) == 60


async def test_limit_truncates_and_says_so(
    client: httpx.AsyncClient, filled: MemoryHistory
) -> None:
    body = (await client.get(URL, params=window(limit="10"))).json()
    assert body["truncated"] is True
    assert [v["value"] for v in body["values"]] == [float(m) for m in range(10)]
    body = (await client.get(URL, params=window(limit="60"))).json()
    assert body["truncated"] is False
    assert len(body["values"]) == 60


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"start": "2025-03-01T10:00:00"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"agg": "median"}, "agg"),
        ({"agg": "avg", "interval": "five minutes"}, "interval"),
        ({"limit": "0"}, "limit"),
    ],
)
async def test_malformed_params_are_422_naming_them(
    client: httpx.AsyncClient, params: dict[str, str], bad: str
) -> None:
    body = assert_problem(await client.get(URL, params=params), 422)
    assert [e["name"] for e in body["errors"]] == [bad]
    assert bad in body["detail"]


async def test_naive_time_says_timezone_is_needed(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get(URL, params={"start": "2025-03-01T10:00:00"}), 422)
    assert "timezone" in body["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        (window(start=NOW.isoformat()), "must be before"),
        ({"start": NOW.isoformat(), "end": START.isoformat()}, "must be before"),
        (window(agg="avg", interval="0"), "positive"),
        (window(agg="avg", interval="-PT5M"), "positive"),
        (window(agg="avg", interval="0.01"), "intervals"),
    ],
)
async def test_senseless_windows_are_400(
    client: httpx.AsyncClient, history: MemoryHistory, params: dict[str, str], words: str
) -> None:
    body = assert_problem(await client.get(URL, params=params), 400)
    assert words in body["detail"]
    assert body["type"].endswith("history-window")
    assert history.range_calls == []


@pytest.mark.parametrize("agg", ["avg", "min", "max"])
async def test_numeric_aggregate_of_a_bool_point_is_400(
    client: httpx.AsyncClient, history: MemoryHistory, agg: str
) -> None:
    body = assert_problem(
        await client.get("/api/points/b15.f3.r301.occupied/history", params={"agg": agg}), 400
    )
    assert "b15.f3.r301.occupied" in body["detail"]
    assert history.range_calls == []


async def test_last_of_a_bool_point_is_fine(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    await history.append([Observation("b15.f3.r301.occupied", NOW - timedelta(minutes=1), True)])
    response = await client.get(
        "/api/points/b15.f3.r301.occupied/history", params={"agg": "last", "interval": "60"}
    )
    assert [v["value"] for v in response.json()["values"]] == [True]


async def test_history_of_unknown_point_is_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points/b15.ghost/history"), 404)
    assert "b15.ghost" in body["detail"]
