"""What an app is (the App protocol), what it shows (panels) and how the host reports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from penworks.core import PenworksError

if TYPE_CHECKING:
    from penworks.apps.context import AppContext

PanelKind = Literal["chart", "table", "map", "value"]

APP_ID = r"^[a-z][a-z0-9_]*$"  # an app id is one subject token and one URL segment


class AppError(PenworksError):
    """An app used the App API wrongly (e.g. settings of another type, a bad name)."""


@dataclass(frozen=True, slots=True)
class Panel:
    """A dashboard panel an app offers: what it is called, how it draws, what feeds it.

    `route` is the app's own route that answers the panel's data, relative to the app's
    mount (`summary` is served at `/api/apps/<app id>/summary`).
    """

    id: str
    title: str
    kind: PanelKind
    route: str


@runtime_checkable
class App(Protocol):
    """A smart app: an id, a name, a settings schema, and `run` until cancelled.

    Optional, found by name: `router() -> fastapi.APIRouter | None` (REST routes, mounted at
    `/api/apps/<id>/` behind sign-in) and `panels() -> list[Panel]` (dashboard panels).
    """

    @property
    def id(self) -> str:
        """Stable id: config key, alarm and event names, URL segment (a-z, 0-9, _)."""
        ...

    @property
    def name(self) -> str:
        """Name people read."""
        ...

    @property
    def settings(self) -> type[BaseModel]:
        """The pydantic model the app's settings in the platform config must validate as."""
        ...

    async def run(self, ctx: AppContext) -> None:
        """Do the app's work until cancelled; an exception restarts it after a pause."""
        ...


@dataclass(frozen=True, slots=True)
class AppStatus:
    """What /api/apps says of one hosted app."""

    id: str
    name: str
    priority: int
    running: bool
    restarts: int
    panels: tuple[Panel, ...] = field(default_factory=tuple)
    last_error: str | None = None
