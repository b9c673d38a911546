"""Request and response bodies of sign-in, users and API tokens."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from penworks.auth.passwords import MAX_LENGTH
from penworks.auth.records import ApiTokenInfo, TokenPair, User
from penworks.auth.tokens import MAX_TOKEN_LENGTH
from penworks.auth.types import Action, Principal, Role
from penworks.auth.validation import (
    MAX_DISPLAY_NAME,
    MAX_TOKEN_NAME,
    TENANT_PATTERN,
    USERNAME_PATTERN,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Usernames are compared without case: the pattern lets upper case in, the service lowers it.
_USERNAME = USERNAME_PATTERN.replace("a-z0-9", "A-Za-z0-9")
Secret = str  # documented per field; never echoed in an error


class PasswordSignIn(_In):
    """The OAuth2 password grant (RFC 6749 4.3), as a form or as JSON."""

    grant_type: Literal["password"] = Field("password", description="Always `password`")
    username: str = Field(min_length=1, max_length=64, description="The username")
    password: Secret = Field(min_length=1, max_length=MAX_LENGTH, description="The password")
    scope: str = Field("", max_length=1000, description="Ignored: a session gets its role")
    client_id: str | None = Field(None, max_length=200, description="Ignored")
    client_secret: str | None = Field(None, max_length=200, description="Ignored")


class TokenOut(BaseModel):
    """A token pair: send the access token as `Authorization: Bearer ...`; before it
    expires, exchange the refresh token at /api/auth/refresh (each works once)."""

    access_token: str = Field(description="Short-lived signed token for API requests")
    token_type: Literal["bearer"] = Field("bearer", description="Always bearer")
    expires_in: int = Field(description="Seconds the access token lives")
    refresh_token: str = Field(description="Single-use token for the next pair")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenOut:
        return cls(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
        )


class RefreshIn(_In):
    refresh_token: Secret = Field(
        min_length=1, max_length=MAX_TOKEN_LENGTH, description="The refresh token last received"
    )


class LogoutIn(_In):
    refresh_token: Secret | None = Field(
        None,
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        description="The session's refresh token; without it, the session of the bearer "
        "access token ends",
    )


class SetupIn(_In):
    setup_token: Secret = Field(
        min_length=1, max_length=200, description="The one-time token printed at first start"
    )
    username: str = Field(pattern=_USERNAME, description="The first administrator's username")
    password: Secret = Field(
        min_length=1, max_length=MAX_LENGTH, description="At least 12 characters"
    )
    display_name: str = Field("", max_length=MAX_DISPLAY_NAME, description="Name shown")


class SetupState(BaseModel):
    needed: bool = Field(description="True while no user exists: sign-in starts with setup")


class PasswordChangeIn(_In):
    current_password: Secret = Field(min_length=1, max_length=MAX_LENGTH, description="Now")
    new_password: Secret = Field(
        min_length=1, max_length=MAX_LENGTH, description="At least 12 characters"
    )


class UserOut(BaseModel):
    id: int = Field(description="User id")
    username: str = Field(description="Username (lower case)")
    display_name: str = Field(description="Name shown")
    role: Role = Field(description="The user's role")
    tenant: str | None = Field(description="Tenant of a tenant role")
    disabled: bool = Field(description="A disabled user cannot sign in or use its tokens")
    created: AwareDatetime = Field(description="When the user was made")

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            tenant=user.tenant,
            disabled=user.disabled,
            created=user.created,
        )


class MeOut(BaseModel):
    """Who the bearer is and what it may do."""

    user: UserOut
    actions: list[Action] = Field(description="What this session (or API token) may do")
    credential: Literal["session", "api_token"] = Field(description="How it signed in")
    session: str = Field(description="Session or API token id")
    park_wide: bool = Field(description="Sees the whole park, not only a tenant's spaces")

    @classmethod
    def of(cls, user: User, principal: Principal) -> MeOut:
        return cls(
            user=UserOut.of(user),
            actions=sorted(principal.actions),
            credential="session" if principal.scopes is None else "api_token",
            session=principal.session,
            park_wide=principal.park_wide,
        )


class UserIn(_In):
    username: str = Field(pattern=_USERNAME, description="2-64 characters; kept in lower case")
    password: Secret = Field(
        min_length=1,
        max_length=MAX_LENGTH,
        description="At least 12 characters, not containing the username, mixing kinds of "
        "characters (or 16 characters of one kind)",
    )
    role: Role = Field(description="The user's role")
    tenant: str | None = Field(
        None, pattern=TENANT_PATTERN, description="Tenant id (tenant roles only)"
    )
    display_name: str = Field("", max_length=MAX_DISPLAY_NAME, description="Name shown")


class UserPatch(_In):
    """Fields to change; absent ones stay. A new role comes with its tenant."""

    display_name: str | None = Field(None, max_length=MAX_DISPLAY_NAME, description="Name")
    role: Role | None = Field(None, description="New role")
    tenant: str | None = Field(
        None, pattern=TENANT_PATTERN, description="New tenant (tenant roles only)"
    )
    disabled: bool | None = Field(None, description="Disable (ends its sessions) or enable")
    password: Secret | None = Field(
        None, min_length=1, max_length=MAX_LENGTH, description="New password (ends sessions)"
    )


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=MAX_TOKEN_NAME, description="What the token is for")
    scopes: list[Action] = Field(
        min_length=1, max_length=len(Action), description="Actions it allows (of yours)"
    )
    expires_at: AwareDatetime = Field(description="When it stops working: at most a year on")


class TokenInfoOut(BaseModel):
    id: str = Field(description="Token id (not the secret)")
    user_id: int = Field(description="Its owner")
    name: str = Field(description="What it is for")
    scopes: list[Action] = Field(description="Actions it allows")
    created: AwareDatetime
    expires: AwareDatetime
    revoked: AwareDatetime | None = Field(description="When it was revoked")
    last_used: AwareDatetime | None = Field(description="Last request (to the minute)")

    @classmethod
    def of(cls, token: ApiTokenInfo) -> TokenInfoOut:
        return cls(
            id=token.id,
            user_id=token.user_id,
            name=token.name,
            scopes=sorted(token.scopes),
            created=token.created,
            expires=token.expires,
            revoked=token.revoked,
            last_used=token.last_used,
        )


class NewTokenOut(BaseModel):
    token: str = Field(description="The secret: shown this once, never again")
    info: TokenInfoOut
