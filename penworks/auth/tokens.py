"""The credentials Penworks hands out: signed access tokens (JWT, HS256) and opaque secrets.

Access tokens are short-lived and checked without a database; they name the session they
belong to (`sid`) so that ending the session ends them at once. Refresh tokens, API tokens
and the setup token are random secrets of which only a SHA-256 hash is ever stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import jwt

from penworks.auth.errors import AuthError
from penworks.auth.types import Role

ALGORITHM: Final = "HS256"
ISSUER: Final = "penworks"
AUDIENCE: Final = "penworks-api"
API_TOKEN_PREFIX: Final = "pwk_"
MAX_TOKEN_LENGTH: Final = 4096  # far above any token this issues; bounds what is parsed
_CLOCK_SKEW_S: Final = 5  # how far in the future `iat` may lie (another process's clock)
_REQUIRED: Final = ["sub", "role", "sid", "jti", "iat", "exp", "iss", "aud"]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What an access token says: who, as what, in which session, until when."""

    user_id: int
    role: Role
    tenant: str | None
    session: str
    token_id: str
    issued: datetime
    expires: datetime


class AccessTokens:
    """Signs and checks access tokens with the install's key; time comes from the caller
    (the platform's clock), not from the library."""

    def __init__(self, key: bytes, *, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        if len(key) < 32:
            raise ValueError("the signing key must have at least 32 bytes")
        self._key = key
        self._issuer = issuer
        self._audience = audience

    def encode(self, claims: AccessClaims) -> str:
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(claims.user_id),
            "role": claims.role.value,
            "tenant": claims.tenant,
            "sid": claims.session,
            "jti": claims.token_id,
            "iat": int(claims.issued.timestamp()),
            "exp": int(claims.expires.timestamp()),
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM)

    def decode(self, token: str, now: datetime) -> AccessClaims:
        """The claims of a genuine, current token of this install; AuthError otherwise."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError("invalid access token")
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": _REQUIRED,
                    "verify_exp": False,  # checked below against the platform's clock
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            claims = _claims(payload)
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError) as exc:
            raise AuthError("invalid access token") from exc
        if claims.expires <= now:
            raise AuthError("the access token has expired; refresh it or sign in again")
        if claims.issued.timestamp() > now.timestamp() + _CLOCK_SKEW_S:
            raise AuthError("invalid access token")
        return claims


def _claims(payload: dict[str, Any]) -> AccessClaims:
    tenant = payload.get("tenant")
    if tenant is not None and not isinstance(tenant, str):
        raise ValueError("tenant must be a string")
    for name in ("sid", "jti"):
        if not isinstance(payload[name], str):
            raise ValueError(f"{name} must be a string")
    return AccessClaims(
        user_id=int(payload["sub"]),
        role=Role(payload["role"]),
        tenant=tenant,
        session=payload["sid"],
        token_id=payload["jti"],
        issued=datetime.fromtimestamp(_number(payload["iat"]), UTC),
        expires=datetime.fromtimestamp(_number(payload["exp"]), UTC),
    )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("times must be numbers")
    return float(value)


def new_secret() -> str:
    """A refresh or setup token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    """An API token; the prefix tells it from an access token (and secret scanners find it)."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    """A public id for a session (`ses_...`), an API token (`tok_...`) or an access token."""
    return prefix + secrets.token_hex(8)


def token_hash(token: str) -> str:
    """What is stored instead of a secret. The secrets are random and long, so a plain
    SHA-256 suffices (no salt or slow hash needed, unlike passwords)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
