from __future__ import annotations

import httpx
import pytest

from tests.unit.api.conftest import POINTS
from tests.unit.api.problem_check import assert_problem

ALL_IDS = [p.id for p in POINTS]


async def test_list_points_in_model_order_with_all_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/points")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(POINTS)
    assert body["limit"] == 100
    assert body["offset"] == 0
    assert [p["id"] for p in body["items"]] == ALL_IDS
    setpoint = body["items"][1]
    assert setpoint == {
        "id": "b15.f3.r301.zone_air_temp_sp",
        "name": None,
        "brick": "Zone_Air_Temperature_Setpoint",
        "kind": "number",
        "unit": "degC",
        "writable": True,
        "min": 16.0,
        "max": 28.0,
        "holder": "b15.f3.r301",
        "location": "b15.f3.r301",
        "tenant": None,
    }


@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (2, 1), (3, 3), (2, 10)])
async def test_pagination_slices_and_reports_total(
    client: httpx.AsyncClient, limit: int, offset: int
) -> None:
    body = (await client.get("/api/points", params={"limit": limit, "offset": offset})).json()
    assert body["total"] == len(POINTS)
    assert (body["limit"], body["offset"]) == (limit, offset)
    assert [p["id"] for p in body["items"]] == ALL_IDS[offset : offset + limit]


async def test_pages_cover_every_point_once(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    for offset in range(0, len(POINTS), 3):
        page = (await client.get("/api/points", params={"limit": 3, "offset": offset})).json()
        seen += [p["id"] for p in page["items"]]
    assert seen == ALL_IDS


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"brick": "Temperature_Sensor"}, [ALL_IDS[0], ALL_IDS[3]]),
        ({"within": "b15.f3"}, ALL_IDS[:3]),
        ({"brick": "Temperature_Sensor", "within": "b15.f4"}, [ALL_IDS[3]]),
        ({"brick": "Setpoint", "within": "b15.f4"}, []),
    ],
)
async def test_filter_by_brick_and_location(
    client: httpx.AsyncClient, params: dict[str, str], expected: list[str]
) -> None:
    body = (await client.get("/api/points", params=params)).json()
    assert [p["id"] for p in body["items"]] == expected
    assert body["total"] == len(expected)


async def test_unknown_brick_class_is_400(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points?brick=Flux_Capacitor"), 400)
    assert "Flux_Capacitor" in body["detail"]
    assert body["type"].endswith("model-query")


async def test_unknown_within_is_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points?within=b15.f9"), 404)
    assert "b15.f9" in body["detail"]
    assert body["type"].endswith("unknown-entity")


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "limit=many"])
async def test_bad_pagination_is_422(client: httpx.AsyncClient, query: str) -> None:
    body = assert_problem(await client.get(f"/api/points?{query}"), 422)
    name = query.split("=")[0]
    assert [e["name"] for e in body["errors"]] == [name]
    assert body["errors"][0]["location"] == "query"


async def test_one_point_by_dotted_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/points/b15.f3.r301.occupied")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "b15.f3.r301.occupied"
    assert body["kind"] == "bool"


async def test_unknown_point_is_404_naming_it(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points/b15.f3.r999.zone_air_temp"), 404)
    assert "b15.f3.r999.zone_air_temp" in body["detail"]
    assert body["type"].endswith("unknown-point")


async def test_point_id_that_looks_like_a_file_routes_fine(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points/b15.json"), 404)
    assert "b15.json" in body["detail"]
