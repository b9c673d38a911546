from __future__ import annotations

import re

import httpx

from tests.unit.api.fakes import FakeModel


async def test_landing_page_links_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for link in ("/docs", "/api/health", "/api/latest", "/api/deadletters"):
        assert f'href="{link}"' in response.text


async def test_landing_page_loads_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    assert re.search(r"https?://", page) is None


async def test_model_summary(client: httpx.AsyncClient, model: FakeModel) -> None:
    response = await client.get("/api/model")
    assert response.status_code == 200
    assert response.json() == model.summary()
