"""The API over the real Building 15 model and a real SQLite history file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from penworks.api import ModelView, create_app
from penworks.auth.policy import AccessPolicy
from penworks.core import DeadLetter, Observation, Quality, SimClock
from penworks.model import SiteModel
from penworks.store import SqliteHistory
from tests.unit.api.auth_support import ADMIN, FakeAuth, bearer
from tests.unit.api.problem_check import assert_problem

SITE_FILE = Path(__file__).parents[3] / "sites" / "building15.yaml"
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
TEMP = "b15.f3.r301.zone_air_temp"
OCCUPANCY = "b15.f3.r301.light.occupied"


@pytest.fixture(scope="module")
def site() -> SiteModel:
    return SiteModel.load(SITE_FILE)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteHistory]:
    history = SqliteHistory(tmp_path / "history.db")
    await history.open()
    yield history
    await history.close()


@pytest.fixture
async def client(site: SiteModel, store: SqliteHistory) -> AsyncIterator[httpx.AsyncClient]:
    view: ModelView = site  # the real model satisfies the API's protocol
    app = create_app(
        model=view,
        history=store,
        policy=AccessPolicy(site),
        auth=FakeAuth(),  # type: ignore[arg-type]  # the API asks only principal()
        clock=SimClock(NOW),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://penworks.test", headers=bearer(ADMIN)
    ) as c:
        yield c


async def test_health_names_the_site(client: httpx.AsyncClient, site: SiteModel) -> None:
    body = (await client.get("/api/health")).json()
    assert body["site"] == {"id": site.definition.id, "name": site.definition.name}
    assert body["status"] == "ok"


async def test_model_summary_is_the_site_tree(client: httpx.AsyncClient, site: SiteModel) -> None:
    assert (await client.get("/api/model")).json() == site.summary()


async def test_points_by_brick_superclass_and_floor(
    client: httpx.AsyncClient, site: SiteModel
) -> None:
    params = {"brick": "Temperature_Sensor", "within": "b15.f3", "limit": "1000"}
    body = (await client.get("/api/points", params=params)).json()
    expected = [p.id for p in site.find_points(brick="Temperature_Sensor", within="b15.f3")]
    assert expected
    assert [p["id"] for p in body["items"]] == expected
    assert TEMP in expected


async def test_every_point_pages_out(client: httpx.AsyncClient, site: SiteModel) -> None:
    seen: list[str] = []
    total = len(site.points())
    for offset in range(0, total, 50):
        page = await client.get("/api/points", params={"limit": 50, "offset": offset})
        seen += [p["id"] for p in page.json()["items"]]
    assert seen == [p.id for p in site.points()]


async def test_real_errors_map_to_problems(client: httpx.AsyncClient) -> None:
    unknown_class = assert_problem(await client.get("/api/points?brick=Flux_Capacitor"), 400)
    assert "Flux_Capacitor" in unknown_class["detail"]
    unknown_place = assert_problem(await client.get("/api/points?within=b15.f99"), 404)
    assert "b15.f99" in unknown_place["detail"]
    unknown_point = assert_problem(await client.get("/api/points/b15.f3.r301.nothing"), 404)
    assert "b15.f3.r301.nothing" in unknown_point["detail"]


async def test_latest_and_history_from_sqlite(
    client: httpx.AsyncClient, store: SqliteHistory
) -> None:
    start = NOW - timedelta(minutes=30)
    await store.append(
        [Observation(TEMP, start + timedelta(minutes=m), 20.0 + m / 10) for m in range(30)]
        + [Observation(OCCUPANCY, start, True, Quality.UNCERTAIN)]
    )
    latest = (await client.get(f"/api/points/{TEMP}/latest")).json()
    assert latest["value"] == pytest.approx(22.9)
    assert datetime.fromisoformat(latest["ts"]) == NOW - timedelta(minutes=1)

    window = {"start": start.isoformat(), "end": NOW.isoformat()}
    raw = (await client.get(f"/api/points/{TEMP}/history", params=window)).json()
    assert len(raw["values"]) == 30
    avg = (
        await client.get(
            f"/api/points/{TEMP}/history", params={**window, "agg": "avg", "interval": "PT10M"}
        )
    ).json()
    assert [v["value"] for v in avg["values"]] == pytest.approx([20.45, 21.45, 22.45])

    table = (await client.get("/api/latest", params={"within": "b15.f3.r301"})).json()
    rows = {row["point"]: row for row in table["items"]}
    assert rows[OCCUPANCY]["value"] is True
    assert rows[OCCUPANCY]["quality"] == "uncertain"
    assert {point for point, row in rows.items() if row["ts"]} == {OCCUPANCY, TEMP}


async def test_dead_letters_from_sqlite(client: httpx.AsyncClient, store: SqliteHistory) -> None:
    await store.append_dead_letters(
        [
            DeadLetter("mqtt", "b15/f3/r301/hvac", NOW, "not JSON", b"\xff\x00"),
            DeadLetter("mqtt", "b15/f3/r301/hvac", NOW + timedelta(seconds=1), "not JSON", b"{"),
        ]
    )
    letters = (await client.get("/api/deadletters?source=mqtt")).json()
    assert [letter["payload_text"] for letter in letters][0] == "{"
    assert letters[1]["payload_base64"] == "/wA="
    (counted,) = (await client.get("/api/deadletters/counts")).json()
    assert counted["count"] == 2
