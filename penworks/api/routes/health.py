"""GET /api/health: is the platform up (anyone may ask), and how are its parts doing (the
system permission)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder

import penworks
from penworks.api.context import Context
from penworks.api.responses import problems
from penworks.api.schemas import Health, Liveness, SiteInfo
from penworks.api.security import MaybeAuthed
from penworks.auth.types import Action
from penworks.core import PenworksError

router = APIRouter(tags=["health"])

OFFLINE = "offline"


@router.get(
    "/api/health",
    summary="Platform health",
    description="Without a token (a load balancer's liveness probe), or for a user without "
    "the system permission: only status and version. With the system permission: also the "
    "site, uptime and the live status of every component. "
    "The status is `degraded` when any component (at any depth) reports `state: offline`; "
    "the response is 200 either way so that monitors can read the details.",
    responses=problems(401),
    openapi_extra={"security": [{}]},  # the token is optional here
)
async def health(context: Context, principal: MaybeAuthed) -> Health | Liveness:
    components = await _components(context)
    status: Literal["ok", "degraded"] = "degraded" if _any_offline(components) else "ok"
    if principal is None or not principal.may(Action.SYSTEM):
        return Liveness(status=status, version=penworks.__version__)
    site = context.model.definition
    return Health(
        status=status,
        version=penworks.__version__,
        site=SiteInfo(id=site.id, name=site.name),
        uptime_s=round(context.uptime_s(), 3),
        components=components,
    )


async def _components(context: Context) -> dict[str, Any]:
    if context.status is None:
        return {}
    try:
        reported = await context.status.status()
    except PenworksError as exc:  # a failing status source is itself news, not a crash
        return {"status_source": {"state": OFFLINE, "detail": str(exc)}}
    encoded: dict[str, Any] = jsonable_encoder(reported)
    return encoded


def _any_offline(node: object) -> bool:
    if isinstance(node, Mapping):
        if node.get("state") == OFFLINE:
            return True
        return any(_any_offline(child) for child in node.values())
    if isinstance(node, list):
        return any(_any_offline(child) for child in node)
    return False
