from __future__ import annotations

from datetime import timedelta

import httpx

from penworks.core import Observation, Quality
from tests.unit.api.conftest import NOW, POINTS
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.problem_check import assert_problem

TEMP = "b15.f3.r301.zone_air_temp"
OCCUPIED = "b15.f3.r301.occupied"


async def test_latest_value_of_a_point(client: httpx.AsyncClient, history: MemoryHistory) -> None:
    await history.append(
        [
            Observation(TEMP, NOW - timedelta(minutes=5), 21.0),
            Observation(TEMP, NOW, 21.5, Quality.UNCERTAIN),
        ]
    )
    response = await client.get(f"/api/points/{TEMP}/latest")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "point": TEMP,
        "ts": body["ts"],
        "value": 21.5,
        "quality": "uncertain",
    }
    assert Observation.from_json(body) == Observation(TEMP, NOW, 21.5, Quality.UNCERTAIN)


async def test_value_types_survive(client: httpx.AsyncClient, history: MemoryHistory) -> None:
    await history.append([Observation(OCCUPIED, NOW, True), Observation(TEMP, NOW, 3)])
    assert (await client.get(f"/api/points/{OCCUPIED}/latest")).json()["value"] is True
    value = (await client.get(f"/api/points/{TEMP}/latest")).json()["value"]
    assert value == 3
    assert isinstance(value, int)


async def test_known_point_without_value_is_404_saying_so(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get(f"/api/points/{TEMP}/latest"), 404)
    assert TEMP in body["detail"]
    assert "no stored value" in body["detail"]
    assert body["type"].endswith("no-value")


async def test_latest_of_unknown_point_is_unknown_point(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points/b15.nope/latest"), 404)
    assert body["type"].endswith("unknown-point")


async def test_latest_table_lists_every_point_with_or_without_value(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    await history.append([Observation(TEMP, NOW, 21.5), Observation("not.in.model", NOW, 1.0)])
    body = (await client.get("/api/latest")).json()
    assert body["count"] == len(POINTS)
    assert body["with_value"] == 1
    rows = {row["point"]: row for row in body["items"]}
    assert list(rows) == [p.id for p in POINTS]
    assert rows[TEMP]["value"] == 21.5
    assert rows[TEMP]["unit"] == "degC"
    assert rows[TEMP]["name"] == "Room 301 temperature"
    assert rows[OCCUPIED]["value"] is None
    assert rows[OCCUPIED]["ts"] is None
    assert rows[OCCUPIED]["quality"] is None


async def test_latest_table_filters_and_asks_only_for_its_points(
    client: httpx.AsyncClient, history: MemoryHistory
) -> None:
    await history.append([Observation(TEMP, NOW, 21.5), Observation(POINTS[3].id, NOW, 19.0)])
    body = (await client.get("/api/latest?within=b15.f4&brick=Temperature_Sensor")).json()
    assert [row["point"] for row in body["items"]] == [POINTS[3].id]
    assert body["items"][0]["value"] == 19.0
    assert history.latest_calls[-1] == [POINTS[3].id]


async def test_latest_table_with_no_match_is_empty(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/latest?within=b15.f4&brick=Setpoint")).json()
    assert body == {"count": 0, "with_value": 0, "items": []}


async def test_latest_table_unknown_within_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/latest?within=b99"), 404)
