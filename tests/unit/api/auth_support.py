"""Who the API tests are: principals of each role and a stand-in for the AuthService.

Most API tests are not about security: they sign in as an administrator through the real
`Authorization: Bearer` path, with FakeAuth standing in for the AuthService (it knows a token
per principal and refuses any other, as the real service does). test_isolation.py also runs
over the real AuthService.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI

from penworks.api import create_app
from penworks.auth.errors import AuthError
from penworks.auth.policy import AccessPolicy, PlaceModel, SharingConfig
from penworks.auth.types import Principal, Role
from penworks.store import History

_ids = itertools.count(1)


def principal(role: Role, tenant: str | None = None, username: str | None = None) -> Principal:
    """A principal of this role (a tenant role needs its tenant)."""
    user_id = next(_ids)
    name = username or (f"{role.value}.{tenant}" if tenant else role.value)
    return Principal(user_id, name, role, tenant, session=f"session-{user_id}")


ADMIN = principal(Role.ADMIN, username="admin")


def token_of(who: Principal) -> str:
    return f"token-{who.username}"


def bearer(who: Principal) -> dict[str, str]:
    """The request headers that sign in as `who`."""
    return {"Authorization": f"Bearer {token_of(who)}"}


class FakeAuth:
    """An AuthService as the API uses it: `principal(token)`, AuthError for a bad token."""

    def __init__(self, *principals: Principal) -> None:
        self.tokens = {token_of(p): p for p in (ADMIN, *principals)}
        self.asked: list[str] = []

    def add(self, who: Principal) -> Principal:
        self.tokens[token_of(who)] = who
        return who

    def revoke(self, who: Principal) -> None:
        del self.tokens[token_of(who)]

    async def principal(self, bearer_token: str) -> Principal:
        self.asked.append(bearer_token)
        try:
            return self.tokens[bearer_token]
        except KeyError:
            raise AuthError("invalid, expired or revoked token") from None


def secured_app(
    model: PlaceModel,
    history: History,
    *,
    auth: FakeAuth | None = None,
    sharing: SharingConfig | None = None,
    **services: Any,
) -> FastAPI:
    """create_app with the access policy over `model` and `auth` (by default one that knows
    only the administrator); `services` are create_app's other arguments."""
    return create_app(
        model=model,  # type: ignore[arg-type]  # a PlaceModel that is also a ModelView
        history=history,
        policy=AccessPolicy(model, sharing),
        auth=auth or FakeAuth(),  # type: ignore[arg-type]  # the API asks only principal()
        **services,
    )
