"""What a username, a display name, a role with its tenant and an API token must look like.

The API validates the same shapes with pydantic before they get here; these checks make the
service safe for every caller (the CLI, the runtime, tests).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Final

from penworks.auth.errors import InvalidUser
from penworks.auth.records import Keep, User
from penworks.auth.types import ROLE_ACTIONS, TENANT_ROLES, Action, Role

USERNAME_PATTERN: Final = r"^[a-z0-9][a-z0-9._@-]{1,63}$"
TENANT_PATTERN: Final = r"^[a-z][a-z0-9_]*$"  # a tenant id of the site file
MAX_DISPLAY_NAME: Final = 100
MAX_TOKEN_NAME: Final = 100
MAX_TOKEN_LIFETIME: Final = timedelta(days=366)  # a year, leap days included
USERNAME: Final = re.compile(USERNAME_PATTERN)
_TENANT = re.compile(TENANT_PATTERN)


def normalize_username(text: str) -> str:
    """Usernames are compared without case; they are kept in lower case."""
    username = text.strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidUser(
            f"invalid username {text!r}: 2 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return username


def check_display_name(text: str) -> str:
    name = text.strip()
    if len(name) > MAX_DISPLAY_NAME or not name.isprintable():
        raise InvalidUser(f"a display name has at most {MAX_DISPLAY_NAME} printable characters")
    return name


def check_role(role: Role, tenant: str | None, tenants: Collection[str] | None = None) -> None:
    """Tenant roles need a tenant (one of `tenants`, when known); other roles have none."""
    if role in TENANT_ROLES:
        if tenant is None:
            raise InvalidUser(f"the role {role} needs a tenant")
        if not _TENANT.fullmatch(tenant):
            raise InvalidUser(f"invalid tenant id {tenant!r}")
        if tenants is not None and tenant not in tenants:
            known = ", ".join(sorted(tenants)) or "none"
            raise InvalidUser(f"unknown tenant {tenant!r}; the site's tenants: {known}")
    elif tenant is not None:
        raise InvalidUser(f"the role {role} is park-wide and has no tenant")


def check_api_token(
    name: str, scopes: Collection[Action], expires: datetime, now: datetime, role: Role
) -> str:
    """The token's name, stripped; InvalidUser for an empty name, no scope, a scope the
    owner's role lacks, or an expiry that is past or more than a year away."""
    name = name.strip()
    if not name or len(name) > MAX_TOKEN_NAME or not name.isprintable():
        raise InvalidUser(f"a token name has 1 to {MAX_TOKEN_NAME} printable characters")
    if not scopes:
        raise InvalidUser("an API token needs at least one scope")
    beyond = sorted(set(scopes) - ROLE_ACTIONS[role])
    if beyond:
        raise InvalidUser(
            f"the role {role} does not allow {', '.join(beyond)}; a token gets a subset of "
            f"its owner's actions: {', '.join(sorted(ROLE_ACTIONS[role]))}"
        )
    if expires.tzinfo is None:
        raise InvalidUser("the expiry needs a time zone")
    if expires <= now:
        raise InvalidUser("the expiry must be in the future")
    if expires > now + MAX_TOKEN_LIFETIME:
        raise InvalidUser("an API token lives at most a year")
    return name


def next_role(user: User, role: Role | None, tenant: str | None | Keep) -> tuple[Role, str | None]:
    """The role and tenant a change gives `user`: a kept tenant stays only with a tenant
    role (a park-wide role drops it)."""
    new_role = role or user.role
    if not isinstance(tenant, Keep):
        return new_role, tenant
    return new_role, user.tenant if new_role in TENANT_ROLES else None
