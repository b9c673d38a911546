"""Signing in and out: the OAuth2 password flow, refresh, logout, first setup, who am I.

These routes need no bearer token (but /me and /password): they are how one gets one. Every
answer that carries a token says `Cache-Control: no-store`. Failed sign-ins are throttled per
username and per client address (429 with Retry-After).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from penworks.api.auth_schemas import (
    LogoutIn,
    MeOut,
    PasswordChangeIn,
    PasswordSignIn,
    RefreshIn,
    SetupIn,
    SetupState,
    TokenOut,
    UserOut,
)
from penworks.api.context import ApiContext, Context
from penworks.api.problems import ProblemError
from penworks.api.responses import problems
from penworks.api.security import Authed, BearerToken
from penworks.auth.errors import AuthError
from penworks.auth.records import TokenPair
from penworks.auth.service import AuthService

router = APIRouter(tags=["auth"])

MAX_FORM_BYTES = 16_384  # a sign-in form is a few hundred bytes
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_SIGN_IN_SCHEMA = PasswordSignIn.model_json_schema()


def auth_service(context: ApiContext) -> AuthService:
    if context.auth is None:
        raise ProblemError(503, "Security not configured",
                           "this API was built without an authentication service",
                           kind="auth-unavailable")  # fmt: skip
    return context.auth


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


@router.post(
    "/api/auth/token",
    summary="Sign in (OAuth2 password flow)",
    description="Exchange a username and password for a token pair. The body is the OAuth2 "
    "form (`application/x-www-form-urlencoded`: grant_type=password, username, password) or "
    "the same fields as JSON. An unknown user and a wrong password get the same 401; after "
    "5 failures for a username (or 20 from an address) within 15 minutes, 429 with "
    "Retry-After, whatever the password.",
    response_model=TokenOut,
    responses=problems(401, 413, 415, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {_FORM: {"schema": _SIGN_IN_SCHEMA}, _JSON: {"schema": _SIGN_IN_SCHEMA}},
        }
    },
)
async def sign_in(context: Context, request: Request, response: Response) -> TokenOut:
    service = auth_service(context)
    form = await _sign_in_form(request)
    pair = await service.sign_in(form.username, form.password, client=client_address(request))
    return _tokens(response, pair)


@router.post(
    "/api/auth/refresh",
    summary="Refresh the token pair",
    description="Exchange the refresh token for a new pair. Each refresh token works once: "
    "one presented again (stolen, or replayed) ends its whole session.",
    responses=problems(401, 422, 503),
)
async def refresh(context: Context, body: RefreshIn, response: Response) -> TokenOut:
    pair = await auth_service(context).refresh(body.refresh_token)
    return _tokens(response, pair)


@router.post(
    "/api/auth/logout",
    status_code=204,
    summary="Sign out",
    description="End the session of the refresh token (or, without one, of the bearer access "
    "token): its access tokens stop working at once, open live connections close. Always "
    "204, also for a token that was not valid.",
    responses=problems(422, 503),
)
async def logout(context: Context, token: BearerToken, body: LogoutIn | None = None) -> Response:
    service = auth_service(context)
    if body is not None and body.refresh_token is not None:
        await service.logout(body.refresh_token)
    if token:
        try:
            principal = await service.principal(token)
        except AuthError:
            principal = None  # signing out with an expired token is no error
        if principal is not None and principal.scopes is None:
            await service.revoke_session(principal.session)
    return Response(status_code=204)


@router.get(
    "/api/auth/setup",
    summary="Is first setup needed",
    description="True while the install has no user: the web app then asks for the setup "
    "token printed at first start.",
    responses=problems(503),
)
async def setup_state(context: Context) -> SetupState:
    return SetupState(needed=not await auth_service(context).has_users())


@router.post(
    "/api/auth/setup",
    status_code=201,
    summary="Make the first administrator",
    description="With the one-time setup token printed at first start, and only while no "
    "user exists: makes an administrator with this username and password. Then sign in.",
    responses=problems(401, 422, 429, 503),
)
async def setup(context: Context, body: SetupIn, request: Request) -> UserOut:
    user = await auth_service(context).setup(
        body.setup_token,
        body.username,
        body.password,
        display_name=body.display_name,
        client=client_address(request),
    )
    return UserOut.of(user)


@router.get(
    "/api/auth/me",
    summary="Who am I",
    description="The signed-in user, and what this session or API token may do.",
    responses=problems(401, 503),
)
async def me(context: Context, principal: Authed) -> MeOut:
    user = await auth_service(context).get_user(principal.user_id)
    return MeOut.of(user, principal)


@router.post(
    "/api/auth/password",
    status_code=204,
    summary="Change my password",
    description="With the current password; the user's other sessions end.",
    responses=problems(401, 422, 429, 503),
)
async def change_password(context: Context, principal: Authed, body: PasswordChangeIn) -> Response:
    service = auth_service(context)
    await service.change_password(principal, body.current_password, body.new_password)
    return Response(status_code=204)


def _tokens(response: Response, pair: TokenPair) -> TokenOut:
    response.headers.update(_NO_STORE)
    return TokenOut.of(pair)


async def _sign_in_form(request: Request) -> PasswordSignIn:
    """The sign-in fields from a form or JSON body, validated like any body (422)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in (_FORM, _JSON):
        raise ProblemError(415, "Unsupported media type",
                           f"send the sign-in as {_FORM} (OAuth2) or {_JSON}",
                           kind="unsupported-media-type")  # fmt: skip
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise ProblemError(413, "Body too large", f"a sign-in has at most {MAX_FORM_BYTES} bytes",
                           kind="body-too-large")  # fmt: skip
    fields = _parse(raw, media)
    try:
        return PasswordSignIn.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        ) from None


def _parse(raw: bytes, media: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if media == _FORM:
        try:
            return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=20))
        except ValueError:
            return None  # too many fields: refused by validation as "not a form"
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "the body is not valid JSON", "type": "json_invalid"}]
        ) from None
