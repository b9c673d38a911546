"""Every error takes the RFC 9457 shape, whatever raised it."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from penworks.core import PenworksError, UnknownPointError
from tests.unit.api.auth_support import ADMIN, bearer
from tests.unit.api.fakes import FakeModel, MemoryHistory
from tests.unit.api.problem_check import assert_problem


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/nowhere"), 404)
    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"
    assert "/api/nowhere" in body["detail"]


async def test_wrong_method_is_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/points")
    body = assert_problem(response, 405)
    assert response.headers["allow"] == "GET"
    assert "POST" in body["detail"]


async def test_validation_problem_lists_every_invalid_param(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/points?limit=x&offset=-5"), 422)
    assert body["title"] == "Invalid request parameters"
    assert {(e["location"], e["name"]) for e in body["errors"]} == {
        ("query", "limit"),
        ("query", "offset"),
    }
    assert all(e["reason"] for e in body["errors"])


async def test_store_error_is_503_problem(
    client: httpx.AsyncClient, history: MemoryHistory, caplog: pytest.LogCaptureFixture
) -> None:
    history.failing = True
    with caplog.at_level(logging.ERROR, logger="penworks.api"):
        body = assert_problem(await client.get("/api/points/b15.f3.r301.zone_air_temp/latest"), 503)
    assert body["type"].endswith("store-unavailable")
    assert "disk I/O error" in caplog.text


async def test_other_project_errors_are_400(
    client: httpx.AsyncClient, model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> dict[str, object]:
        raise PenworksError("model is reloading")

    monkeypatch.setattr(model, "summary", refuse)
    body = assert_problem(await client.get("/api/model"), 400)
    assert body["detail"] == "model is reloading"


async def test_unknown_point_anywhere_is_404(
    client: httpx.AsyncClient, model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unknown() -> dict[str, object]:
        raise UnknownPointError("b15.x")

    monkeypatch.setattr(model, "summary", unknown)
    body = assert_problem(await client.get("/api/model"), 404)
    assert "b15.x" in body["detail"]


async def test_crash_is_500_problem_without_traceback_and_logged(
    app: FastAPI,
    model: FakeModel,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def crash() -> dict[str, object]:
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(model, "summary", crash)
    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.ERROR, logger="penworks.api"):
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer(ADMIN)
        ) as client:
            response = await client.get("/api/model")
    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "ZeroDivisionError" in caplog.text
    assert "secret internals" in caplog.text
    assert body["title"] == "Internal Server Error"
