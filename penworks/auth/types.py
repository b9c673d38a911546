"""Roles, the actions they allow, and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """What a user is to the park; one role per user."""

    ADMIN = "admin"  # everything, users included
    OPERATOR = "operator"  # runs the building: all points, commands, alarms, system
    SECURITY_OFFICER = "security_officer"  # all points; commands security equipment; alarms
    ENERGY_MANAGER = "energy_manager"  # all points; commands HVAC, lighting and shading
    TENANT_ADMIN = "tenant_admin"  # a tenant's spaces: read, command, alarms, its users
    TENANT_USER = "tenant_user"  # a tenant's spaces: read and command
    VIEWER = "viewer"  # reads the whole park, changes nothing


class Action(StrEnum):
    """Kinds of things a request does; a role allows a set of them."""

    READ = "read"  # model, points, values, history, alarms, schedules (within its scope)
    COMMAND = "command"  # write points (within its scope and command classes)
    ALARMS = "alarms"  # acknowledge, shelve, comment, out of service (within its scope)
    SYSTEM = "system"  # devices, dead letters, health details, rules reload, audit log
    USERS = "users"  # manage every user and token
    TENANT_USERS = "tenant_users"  # manage the users of its own tenant


ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: frozenset({Action.READ, Action.COMMAND, Action.ALARMS, Action.SYSTEM}),
    Role.SECURITY_OFFICER: frozenset({Action.READ, Action.COMMAND, Action.ALARMS}),
    Role.ENERGY_MANAGER: frozenset({Action.READ, Action.COMMAND, Action.ALARMS}),
    Role.TENANT_ADMIN: frozenset({Action.READ, Action.COMMAND, Action.ALARMS, Action.TENANT_USERS}),
    Role.TENANT_USER: frozenset({Action.READ, Action.COMMAND}),
    Role.VIEWER: frozenset({Action.READ}),
}

TENANT_ROLES: Final = frozenset({Role.TENANT_ADMIN, Role.TENANT_USER})
"""Roles bound to one tenant: they see its spaces and what the park shares, nothing else."""

# Roles that command only some equipment: Brick classes of the equipment holding the point.
COMMAND_CLASSES: Final[dict[Role, tuple[str, ...]]] = {
    Role.SECURITY_OFFICER: ("Security_Equipment",),
    Role.ENERGY_MANAGER: ("HVAC_Equipment", "Lighting_Equipment", "Shading_Equipment"),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a user signed in, or an API token of a user."""

    user_id: int
    username: str
    role: Role
    tenant: str | None  # the tenant of a tenant role, else None
    session: str  # the token (access session or API token) id: revoking it ends the session
    scopes: frozenset[Action] | None = None  # an API token's actions (None: the role's)

    def __post_init__(self) -> None:
        if (self.role in TENANT_ROLES) != (self.tenant is not None):
            raise ValueError(f"{self.role} needs a tenant" if self.tenant is None
                             else f"{self.role} has no tenant")  # fmt: skip

    @property
    def actions(self) -> frozenset[Action]:
        allowed = ROLE_ACTIONS[self.role]
        return allowed if self.scopes is None else allowed & self.scopes

    def may(self, action: Action) -> bool:
        return action in self.actions

    @property
    def park_wide(self) -> bool:
        """Whether it sees every point of the park (not only a tenant's)."""
        return self.role not in TENANT_ROLES

    @property
    def actor_name(self) -> str:
        """How commands and alarm actions name it in the audit log."""
        return self.username
