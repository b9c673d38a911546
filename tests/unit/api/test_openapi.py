from __future__ import annotations

from typing import Any

import httpx

from penworks.api import PROBLEM_MEDIA_TYPE

ROUTES = {
    "/api/health",
    "/api/model",
    "/api/points",
    "/api/points/{point_id}",
    "/api/points/{point_id}/latest",
    "/api/points/{point_id}/history",
    "/api/latest",
    "/api/deadletters",
    "/api/deadletters/counts",
    "/api/devices",
}


async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    loaded: dict[str, Any] = response.json()
    return loaded


async def test_every_route_is_documented_with_typed_responses(client: httpx.AsyncClient) -> None:
    doc = await schema(client)
    assert set(doc["paths"]) == ROUTES
    for path in ROUTES:
        operation = doc["paths"][path]["get"]
        assert operation["summary"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok, path


async def test_errors_are_documented_as_problems(client: httpx.AsyncClient) -> None:
    doc = await schema(client)
    history = doc["paths"]["/api/points/{point_id}/history"]["get"]
    for status in ("400", "404", "422"):
        content = history["responses"][status]["content"]
        assert list(content) == [PROBLEM_MEDIA_TYPE]
        assert content[PROBLEM_MEDIA_TYPE]["schema"]["$ref"].endswith("/Problem")
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["properties"])


async def test_history_params_are_described(client: httpx.AsyncClient) -> None:
    doc = await schema(client)
    params = {
        p["name"]: p for p in doc["paths"]["/api/points/{point_id}/history"]["get"]["parameters"]
    }
    assert set(params) == {"point_id", "start", "end", "agg", "interval", "limit"}
    assert all(p.get("description") for p in params.values())


async def test_docs_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


async def test_docs_are_served_without_any_external_url(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text.replace("http://127", "")
    assert "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = await client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200
        assert len(response.content) > 10_000
