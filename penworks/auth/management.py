"""Who may manage which users and tokens.

An administrator (the `users` action) manages everyone. A tenant administrator (the
`tenant_users` action) manages only the users of its own tenant, and only gives tenant roles
of that tenant. Nobody changes their own role or tenant, disables or deletes themselves: a
mistake there would lock them out, and a raise in rank must come from someone else. A user
the principal may not manage answers as an unknown one, so their existence does not leak.
"""

from __future__ import annotations

from penworks.auth.errors import Forbidden, UnknownToken, UnknownUser
from penworks.auth.records import ApiTokenInfo, User
from penworks.auth.types import TENANT_ROLES, Action, Principal, Role


def check_manager(actor: Principal) -> None:
    """Forbidden unless the actor manages some users."""
    if not (actor.may(Action.USERS) or actor.may(Action.TENANT_USERS)):
        raise Forbidden(f"{actor.username} may not manage users")


def manages(actor: Principal, user: User) -> bool:
    if actor.may(Action.USERS):
        return True
    return (
        actor.may(Action.TENANT_USERS)
        and actor.tenant is not None
        and user.role in TENANT_ROLES
        and user.tenant == actor.tenant
    )


def check_manages(actor: Principal, user: User) -> None:
    """UnknownUser (as if it did not exist) for a user the actor may not manage."""
    check_manager(actor)
    if not manages(actor, user):
        raise UnknownUser(f"no user {user.id}")


def check_grant(actor: Principal, role: Role, tenant: str | None) -> None:
    """Forbidden unless the actor may give `role` (of `tenant`) to someone."""
    check_manager(actor)
    if actor.may(Action.USERS):
        return
    if role not in TENANT_ROLES:
        raise Forbidden(f"{actor.username} may give only tenant roles")
    if tenant != actor.tenant:
        raise Forbidden(f"{actor.username} manages only the users of tenant {actor.tenant!r}")


def check_not_self(actor: Principal, user: User, what: str) -> None:
    if actor.user_id == user.id:
        raise Forbidden(f"nobody may {what} themselves; ask another administrator")


def check_token_owner(actor: Principal, token: ApiTokenInfo) -> None:
    """UnknownToken (as if it did not exist) for another user's token, unless the actor
    manages every user."""
    if token.user_id != actor.user_id and not actor.may(Action.USERS):
        raise UnknownToken(f"no API token {token.id!r}")


def check_token_maker(actor: Principal) -> None:
    """API tokens are made by a signed-in person, never by another API token (a leaked
    token must not be able to outlive its own expiry by minting new ones)."""
    if actor.scopes is not None:
        raise Forbidden("an API token cannot make API tokens; sign in to make one")
