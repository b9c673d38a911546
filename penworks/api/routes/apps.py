"""Smart apps: which run and how they are doing, with the dashboard panels they offer.

Each app's own routes are mounted by create_app at /api/apps/<app id>/, behind sign-in.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from penworks.api.context import Context
from penworks.api.responses import problems
from penworks.api.security import Reader

router = APIRouter(tags=["apps"])


class PanelOut(BaseModel):
    id: str = Field(description="Panel id, unique within its app")
    title: str = Field(description="Title people read")
    kind: Literal["chart", "table", "map", "value"] = Field(description="How it is drawn")
    url: str = Field(description="The app route that answers the panel's data")


class AppOut(BaseModel):
    id: str = Field(description="App id")
    name: str = Field(description="App name")
    priority: int = Field(description="Priority level of the app's commands")
    running: bool = Field(description="Whether the app is running now")
    restarts: int = Field(description="How often it failed and was started again")
    last_error: str | None = Field(description="Why it last failed, if it did")
    panels: list[PanelOut] = Field(description="Dashboard panels the app offers")


@router.get(
    "/api/apps",
    summary="Smart apps",
    description="Every enabled smart app: running or not, its restarts, and its dashboard "
    "panels with the routes that feed them.",
    responses=problems(401, 403),
)
async def list_apps(context: Context, principal: Reader) -> list[AppOut]:
    if context.apps is None:
        return []
    return [
        AppOut(
            id=s.id,
            name=s.name,
            priority=s.priority,
            running=s.running,
            restarts=s.restarts,
            last_error=s.last_error,
            panels=[
                PanelOut(id=p.id, title=p.title, kind=p.kind, url=f"/api/apps/{s.id}/{p.route}")
                for p in s.panels
            ],
        )
        for s in context.apps.statuses()
    ]
