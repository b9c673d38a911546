from __future__ import annotations

from typing import Any

import httpx

from penworks.api import PROBLEM_MEDIA_TYPE

ROUTES = {
    "/api/health": {"get"},
    "/api/model": {"get"},
    "/api/points": {"get"},
    "/api/points/{point_id}": {"get"},
    "/api/points/{point_id}/latest": {"get"},
    "/api/points/{point_id}/history": {"get"},
    "/api/points/{point_id}/priority": {"get"},
    "/api/points/{point_id}/priority/{level}": {"delete"},
    "/api/latest": {"get"},
    "/api/deadletters": {"get"},
    "/api/deadletters/counts": {"get"},
    "/api/devices": {"get"},
    "/api/commands": {"post"},
    "/api/interlocks": {"get"},
    "/api/audit": {"get"},
    "/api/alarms": {"get"},
    "/api/alarms/kpis": {"get"},
    "/api/alarms/floods": {"get"},
    "/api/notifications": {"get"},
    "/api/alarms/{alarm_id}": {"get"},
    "/api/alarms/{alarm_id}/history": {"get"},
    "/api/alarms/{alarm_id}/ack": {"post"},
    "/api/alarms/{alarm_id}/shelve": {"post"},
    "/api/alarms/{alarm_id}/unshelve": {"post"},
    "/api/alarms/{alarm_id}/comment": {"post"},
    "/api/alarms/{alarm_id}/service": {"post"},
    "/api/rules": {"get"},
    "/api/rules/{rule_id}": {"get"},
    "/api/rules/reload": {"post"},
    "/api/schedules": {"get"},
    "/api/schedules/{schedule_id}": {"get"},
    "/api/auth/token": {"post"},
    "/api/auth/refresh": {"post"},
    "/api/auth/logout": {"post"},
    "/api/auth/setup": {"get", "post"},
    "/api/auth/me": {"get"},
    "/api/auth/password": {"post"},
    "/api/users": {"get", "post"},
    "/api/users/{user_id}": {"get", "patch", "delete"},
    "/api/users/{user_id}/revoke": {"post"},
    "/api/tokens": {"get", "post"},
    "/api/tokens/{token_id}": {"get", "delete"},
    "/api/apps": {"get"},
}

# Answer without a token; /api/health tells more with one.
PUBLIC = {
    ("post", "/api/auth/token"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/setup"),
    ("post", "/api/auth/setup"),
}


async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    loaded: dict[str, Any] = response.json()
    return loaded


async def test_every_route_is_documented_with_typed_responses(client: httpx.AsyncClient) -> None:
    doc = await schema(client)
    assert {path: set(operations) for path, operations in doc["paths"].items()} == ROUTES
    for path, methods in ROUTES.items():
        for method in methods:
            operation = doc["paths"][path][method]
            assert operation["summary"]
            assert operation["tags"], (method, path)
            [success] = [s for s in operation["responses"] if s.startswith("2")]
            if success != "204":
                ok = operation["responses"][success]["content"]["application/json"]["schema"]
                assert ok, (method, path)


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


async def test_every_error_of_every_operation_is_a_problem(client: httpx.AsyncClient) -> None:
    doc = await schema(client)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (method, path)
                    ref = response["content"][PROBLEM_MEDIA_TYPE]["schema"]["$ref"]
                    assert ref.endswith("/Problem"), (method, path, status)


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


async def test_docs_can_sign_in_with_the_password_flow(client: httpx.AsyncClient) -> None:
    doc = await schema(client)
    scheme = doc["components"]["securitySchemes"]["OAuth2"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"] == {"password": {"tokenUrl": "/api/auth/token", "scopes": {}}}


async def test_protected_operations_need_the_token_and_document_401_and_403(
    client: httpx.AsyncClient,
) -> None:
    doc = await schema(client)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if (method, path) in PUBLIC:
                continue
            assert {"OAuth2": []} in operation.get("security", []), (method, path)
            assert "401" in operation["responses"], (method, path)
            # No 403 where one acts on oneself, nor on health (liveness for the others).
            if path != "/api/health" and not path.startswith(("/api/auth/", "/api/tokens/")):
                assert "403" in operation["responses"], (method, path)
            for status, says in (("401", "token"), ("403", "role")):
                if status in operation["responses"]:
                    described = operation["responses"][status]["description"]
                    assert says in described, (method, path, described)


async def test_health_says_its_token_is_optional(client: httpx.AsyncClient) -> None:
    health = (await schema(client))["paths"]["/api/health"]["get"]
    assert {} in health["security"]
    assert health["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
