"""What the API needs from the rest of Penworks, as Protocols: it depends on no concrete class."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter

from penworks.apps.types import AppStatus
from penworks.connectors import DeviceHealth
from penworks.core import Point
from penworks.model.schema import SiteDef
from penworks.rules.rule_files import RuleLoad
from penworks.rules.status import InstanceStatus, RuleStatus


class ModelView(Protocol):
    """The read side of the building model (penworks.model.SiteModel satisfies it)."""

    @property
    def definition(self) -> SiteDef:
        """The validated site file the model was built from."""
        ...

    def point(self, point_id: str) -> Point:
        """The point with this full id; UnknownPointError if there is none."""
        ...

    def points(self) -> list[Point]:
        """Every point of the site, in model order."""
        ...

    def has_point(self, point_id: str) -> bool: ...

    def entity(self, entity_id: str) -> object:
        """Any entity by full id; UnknownEntityError if there is none."""
        ...

    def find_points(self, brick: str | None = None, within: str | None = None) -> list[Point]:
        """Points of a Brick class (and its subclasses) located within an entity.

        ModelError for an unknown Brick class, UnknownEntityError for an unknown `within`.
        """
        ...

    def summary(self) -> dict[str, Any]:
        """A JSON-ready tree of the site."""
        ...


class StatusSource(Protocol):
    """Live health of the running platform: connectors, bus, ingest counters.

    Each component that has a notion of being up reports it under a "state" key
    ("online", "degraded" or "offline"); any "offline" makes the platform degraded.
    """

    async def status(self) -> dict[str, Any]: ...


class DeviceSource(Protocol):
    """How every device of every connector is doing (online, degraded, offline)."""

    def device_health(self) -> list[DeviceHealth]: ...


class RuleSource(Protocol):
    """The rules a platform runs (penworks.rules.RuleFiles satisfies it)."""

    def rules(self) -> list[RuleStatus]: ...

    def rule(self, rule_id: str) -> RuleStatus:
        """One rule; UnknownRule if the platform does not run it."""
        ...

    def instances(self, rule_id: str) -> list[InstanceStatus]: ...

    async def reload(self) -> RuleLoad:
        """Read the rule files again; ConfigError (and nothing changed) on any error."""
        ...


class AppSource(Protocol):
    """The hosted smart apps (penworks.apps.host.AppHost satisfies it)."""

    def statuses(self) -> list[AppStatus]:
        """Every enabled app: running, restarts, panels."""
        ...

    def routers(self) -> list[tuple[str, APIRouter]]:
        """(mount prefix, router) of every enabled app that has REST routes."""
        ...
