"""RFC 9457 problem details: the one shape every API error takes.

Domain errors map to a status by class (most specific first); FastAPI's validation errors,
Starlette's 404/405 and unexpected crashes are turned into the same shape. A body the
framework cannot read answers 422, as any invalid body does (not the bare 400 it raises).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from penworks.auth.errors import (
    AuthError,
    Forbidden,
    InvalidUser,
    TooManyAttempts,
    UnknownToken,
    UnknownUser,
    UserExists,
    UserRefused,
    WeakPassword,
)
from penworks.core import ModelError, PenworksError, StoreError, UnknownPointError
from penworks.model import UnknownEntityError
from penworks.rules import AlarmOperationRefused, UnknownAlarm, UnknownSchedule
from penworks.rules.status import UnknownRule

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_URN = "urn:penworks:problem:"
_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


class InvalidParam(BaseModel):
    """One request parameter that failed validation."""

    model_config = ConfigDict(extra="forbid")

    location: str = Field(description="Where the parameter is: query, path, header or body")
    name: str = Field(description="The parameter's name (dotted for nested body fields)")
    reason: str = Field(description="What is wrong with it")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (served as application/problem+json)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        "about:blank",
        description="URI naming the kind of problem; about:blank when the status says it all",
    )
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str | None = Field(None, description="What went wrong in this occurrence")
    instance: str | None = Field(None, description="The request path this occurrence concerns")
    errors: list[InvalidParam] | None = Field(
        None, description="The invalid parameters (validation problems only)"
    )


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class ProblemError(PenworksError):
    """Raised by a route for a request it refuses with a specific problem."""

    def __init__(self, status: int, title: str, detail: str, kind: str = "bad-request") -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = _URN + kind


@dataclass(frozen=True, slots=True)
class _Mapping:
    error: type[PenworksError]
    status: int
    kind: str
    title: str
    headers: Callable[[Any], dict[str, str]] | None = None  # from the error


def _retry_after(exc: TooManyAttempts) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after_s)}


def _bearer_challenge(exc: AuthError) -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer"}


# Most specific first: the first class an error is an instance of decides its problem.
_DOMAIN_PROBLEMS = (
    _Mapping(TooManyAttempts, 429, "too-many-attempts", "Too many attempts", _retry_after),
    _Mapping(AuthError, 401, "unauthorized", "Not signed in", _bearer_challenge),
    _Mapping(Forbidden, 403, "forbidden", "Forbidden"),
    _Mapping(UnknownUser, 404, "unknown-user", "Unknown user"),
    _Mapping(UnknownToken, 404, "unknown-token", "Unknown API token"),
    _Mapping(UserExists, 409, "user-exists", "Username taken"),
    _Mapping(UserRefused, 409, "user-refused", "User change refused"),
    _Mapping(WeakPassword, 422, "weak-password", "Password too weak"),
    _Mapping(InvalidUser, 422, "invalid-user", "Invalid user or token settings"),
    _Mapping(UnknownPointError, 404, "unknown-point", "Unknown point"),
    _Mapping(UnknownAlarm, 404, "unknown-alarm", "Unknown alarm"),
    _Mapping(UnknownSchedule, 404, "unknown-schedule", "Unknown schedule"),
    _Mapping(UnknownRule, 404, "unknown-rule", "Unknown rule"),
    _Mapping(AlarmOperationRefused, 409, "alarm-refused", "Alarm action refused"),
    _Mapping(UnknownEntityError, 404, "unknown-entity", "Unknown entity"),
    _Mapping(ModelError, 400, "model-query", "Invalid model query"),
    _Mapping(StoreError, 503, "store-unavailable", "History store unavailable"),
    _Mapping(PenworksError, 400, "bad-request", "Bad request"),
)


def problem_response(
    status: int,
    *,
    instance: str | None,
    title: str | None = None,
    detail: str | None = None,
    type_: str = "about:blank",
    errors: Sequence[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    problem = Problem(
        type=type_,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
    )
    body = problem.model_dump(mode="json", exclude_none=True)
    return ProblemResponse(body, status_code=status, headers=headers)


async def domain_error_handler(request: Request, exc: Exception) -> ProblemResponse:
    if isinstance(exc, ProblemError):
        return problem_response(
            exc.status,
            instance=request.url.path,
            title=exc.title,
            detail=exc.detail,
            type_=exc.type,
        )
    mapping = next(m for m in _DOMAIN_PROBLEMS if isinstance(exc, m.error))
    if mapping.status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return problem_response(
        mapping.status,
        instance=request.url.path,
        title=mapping.title,
        detail=str(exc),
        type_=_URN + mapping.kind,
        headers=mapping.headers(exc) if mapping.headers else None,
    )


async def validation_error_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    params = [_invalid_param(error) for error in exc.errors()]
    detail = "; ".join(f"{p.location} parameter {p.name!r}: {p.reason}" for p in params)
    return problem_response(
        422,
        instance=request.url.path,
        title="Invalid request parameters",
        detail=detail,
        type_=_URN + "invalid-params",
        errors=params,
    )


def _invalid_param(error: Any) -> InvalidParam:
    loc = [str(part) for part in error.get("loc", ())]
    return InvalidParam(
        location=loc[0] if loc else "request",
        name=".".join(loc[1:]) or "(whole)",
        reason=str(error.get("msg", "invalid")),
    )


async def http_error_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:  # raised by the framework only: a body it could not read
        return await validation_error_handler(request, _unreadable_body(exc))
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        exc.status_code,
        instance=request.url.path,
        detail=_http_detail(request, exc, headers.get("Allow", "")),
        headers=headers or None,
    )


def _unreadable_body(exc: HTTPException) -> RequestValidationError:
    """FastAPI and Starlette refuse a body they cannot read (JSON that is not UTF-8 or nests too
    deep, a broken form) with a 400 that no route documents: it is an invalid body."""
    cause = exc.__cause__
    reason = f"cannot be read: {cause}" if isinstance(cause, ValueError) else str(exc.detail)
    return RequestValidationError([{"loc": ("body",), "msg": reason, "type": "body_unreadable"}])


def _allowed_methods(request: Request) -> str:
    """Every method served at the path: Starlette names only those of the first route that
    matched it, and a path may have a route per method."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


def _http_detail(request: Request, exc: HTTPException, allowed: str) -> str:
    if exc.detail != HTTPStatus(exc.status_code).phrase:
        return str(exc.detail)
    if exc.status_code == 404:
        return f"nothing is served at {request.url.path}"
    if exc.status_code == 405:
        return f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    return str(exc.detail)


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]


def exception_handlers() -> dict[int | type[Exception], Handler]:
    """The handlers create_app installs; domain classes all share one handler."""
    handlers: dict[int | type[Exception], Handler] = {
        RequestValidationError: validation_error_handler,
        HTTPException: http_error_handler,
        ProblemError: domain_error_handler,
    }
    for mapping in _DOMAIN_PROBLEMS:
        handlers[mapping.error] = domain_error_handler
    return handlers


class CrashToProblem:
    """ASGI middleware: an unexpected error becomes a bare 500 problem, logged with its traceback.

    The client sees no traceback and no exception text; the log has both.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # the outermost boundary: nothing may escape as a traceback
            log.exception("%s %s crashed", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = problem_response(
                500,
                instance=str(scope.get("path", "")),
                detail="an unexpected error occurred; it has been logged",
            )
            await response(scope, receive, send)
