"""OpenAPI documentation of problem responses.

Routes declare their error statuses with `problems(...)`; FastAPI files those under
application/json, so `problem_openapi` moves them to application/problem+json, which is
what the handlers really send.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from penworks.api.problems import PROBLEM_MEDIA_TYPE, Problem

_WHY = {
    400: "The request makes no sense for the model (bad Brick class, bad window, ...)",
    401: "Not signed in: no bearer token, or one that is invalid, expired or revoked",
    403: "Signed in, but the role (or the API token's scopes) does not allow this",
    404: "Unknown point, entity or route",
    405: "Method not allowed",
    422: "Invalid parameters; `errors` lists each",
    500: "Unexpected error (logged, never shown)",
    503: "A service the route needs is not running or failed (history store, security, ...)",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that may answer with these problem statuses."""
    return {
        status: {"model": Problem, "description": _WHY.get(status, HTTPStatus(status).phrase)}
        for status in statuses
    }


def problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI schema with error responses served as application/problem+json."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        for operation in _operations(schema):
            _retype_problems(operation)
        app.openapi_schema = schema
    return app.openapi_schema


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema.get("paths", {}).values() for op in path.values()]


def _retype_problems(operation: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        if status.isdigit() and int(status) >= 400 and "application/json" in content:
            content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
