"""Who is asking, and may they: the dependencies and checks every protected route uses.

A request signs in with `Authorization: Bearer <token>` (an access token from
/api/auth/token or an API token); `current_principal` turns it into a Principal or answers
401. `require(action)` answers 403 for a principal whose role (or token scopes) lacks the
action. What a principal may see is the AccessPolicy's answer: a point, place or alarm it
may not see answers exactly as an unknown one does (404), so that existence does not leak;
a point it sees but may not command answers 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from penworks.api.context import ApiContext, Context
from penworks.api.problems import ProblemError
from penworks.auth.errors import AuthError, Forbidden
from penworks.auth.types import Action, Principal
from penworks.core import Point, UnknownPointError
from penworks.model import UnknownEntityError

log = logging.getLogger(__name__)

TOKEN_URL = "/api/auth/token"

# The OpenAPI security scheme (so /docs can sign in) and the token reader in one.
bearer_token = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    scheme_name="OAuth2",
    description="Sign in with a username and password at /api/auth/token; send the access "
    "token (or an API token) as `Authorization: Bearer <token>`.",
    auto_error=False,  # the 401 is ours: AuthError, a problem with WWW-Authenticate
)

BearerToken = Annotated[str | None, Depends(bearer_token)]


def _unsecured() -> ProblemError:
    return ProblemError(
        503,
        "Security not configured",
        "this API was built without an authentication service and refuses every request "
        "that needs one",
        kind="auth-unavailable",
    )


async def current_principal(context: Context, token: BearerToken) -> Principal:
    """The signed-in principal; 401 without a token or with a bad one, 503 when the app
    was built without security (it never runs open)."""
    if context.auth is None:
        raise _unsecured()
    if not token:
        raise AuthError("sign in: send Authorization: Bearer <access token>")
    return await context.auth.principal(token)  # AuthError (401) for a bad token


async def optional_principal(context: Context, token: BearerToken) -> Principal | None:
    """The principal when a token comes (401 if it is bad), else None: for routes that
    answer everyone but tell the signed-in more."""
    if not token or context.auth is None:
        return None
    return await context.auth.principal(token)


Authed = Annotated[Principal, Depends(current_principal)]
MaybeAuthed = Annotated[Principal | None, Depends(optional_principal)]


def require(action: Action) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the principal, if its role (and token scopes) allow `action`, else 403."""

    async def allowed(principal: Authed) -> Principal:
        if not principal.may(action):
            raise Forbidden(f"{principal.username} lacks the {action.value!r} permission")
        return principal

    return allowed


def require_park_wide(action: Action) -> Callable[[Principal], Awaitable[Principal]]:
    """Like require(action), for what spans the whole park: a tenant's roles get 403."""
    needed = require(action)

    async def allowed(principal: Authed) -> Principal:
        await needed(principal)
        if not principal.park_wide:
            raise Forbidden(f"{principal.username} sees only the spaces of its tenant")
        return principal

    return allowed


Reader = Annotated[Principal, Depends(require(Action.READ))]
Commander = Annotated[Principal, Depends(require(Action.COMMAND))]
AlarmHandler = Annotated[Principal, Depends(require(Action.ALARMS))]
ParkReader = Annotated[Principal, Depends(require_park_wide(Action.READ))]
SystemUser = Annotated[Principal, Depends(require(Action.SYSTEM))]


# Points, places and alarms


def check_point(
    context: ApiContext, principal: Principal, point_id: str, action: Action = Action.READ
) -> Point:
    """The point, if the principal may see it (404 as for an unknown point otherwise) and,
    for Action.COMMAND, command it (403). A read-only point passes the command check: the
    command path refuses it as not writable."""
    point = context.model.point(point_id)
    if not context.policy.can_read_point(principal, point):
        raise UnknownPointError(point_id)
    commanded = action is Action.COMMAND and point.writable
    if commanded and not context.policy.can_command_point(principal, point):
        log.warning("refused: %s may not command %s", principal.username, point_id)
        raise Forbidden(f"{principal.username} may not command {point_id!r}")
    return point


def visible_points(context: ApiContext, principal: Principal, points: list[Point]) -> list[Point]:
    if principal.park_wide and principal.may(Action.READ):
        return points
    return context.policy.visible_points(principal, points)


def check_place(context: ApiContext, principal: Principal, entity_id: str) -> None:
    """404 (as for an unknown entity) for a place or equipment the principal may not see."""
    if not context.policy.can_read_entity(principal, entity_id):
        raise UnknownEntityError(entity_id)


def can_see_place(context: ApiContext, principal: Principal, entity_id: str) -> bool:
    """Whether the principal sees a place; False for an id the model does not know."""
    try:
        return context.policy.can_read_entity(principal, entity_id)
    except UnknownEntityError:
        return False


def can_see_alarm(context: ApiContext, principal: Principal, point: str | None, area: str) -> bool:
    return context.policy.can_read_alarm(principal, point, area)


def check_alarm_action(
    context: ApiContext, principal: Principal, point: str | None, area: str
) -> None:
    """403 for an alarm the principal sees but may not act on (one the park shares)."""
    if not context.policy.can_act_on_alarm(principal, point, area):
        raise Forbidden(f"{principal.username} may not act on this alarm")


# For the routes of smart apps: which points the signed-in principal may see.

PointFilter = Callable[[list[Point]], list[Point]]


async def point_filter(context: Context, principal: Reader) -> PointFilter:
    """Keeps, of a list of points, those the signed-in principal may see."""

    def visible(points: list[Point]) -> list[Point]:
        return visible_points(context, principal, points)

    return visible


VisiblePoints = Annotated[PointFilter, Depends(point_filter)]
