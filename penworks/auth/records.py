"""What the user store keeps, as the rest of Penworks sees it (never a password or token hash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from penworks.auth.types import Action, Role


@dataclass(frozen=True, slots=True)
class User:
    """A person or an integration's owner that signs in."""

    id: int
    username: str
    display_name: str
    role: Role
    tenant: str | None  # the tenant of a tenant role, else None
    disabled: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    """An API token without its secret (shown once, when it is made)."""

    id: str
    user_id: int
    name: str
    scopes: frozenset[Action]
    created: datetime
    expires: datetime
    revoked: datetime | None = None
    last_used: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked is None and now < self.expires


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A sign-in: the family of refresh tokens that rotate from one password sign-in."""

    id: str
    user_id: int
    created: datetime
    expires: datetime  # the expiry of its newest refresh token
    revoked: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a sign-in or a refresh answers."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    session: str


class Keep(Enum):
    """Leave a field as it is (for a tenant, where None means "no tenant")."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP
