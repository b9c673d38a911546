"""Who may do what: users, roles, tenants, tokens, and the access policy every route enforces."""

from penworks.auth.errors import (
    AuthError,
    Forbidden,
    InvalidUser,
    KeyFileError,
    TooManyAttempts,
    UnknownToken,
    UnknownUser,
    UserExists,
    UserRefused,
    WeakPassword,
)
from penworks.auth.keys import load_or_create_key, signing_key_path
from penworks.auth.passwords import Passwords, check_policy
from penworks.auth.policy import AccessPolicy, SharingConfig
from penworks.auth.records import KEEP, ApiTokenInfo, TokenPair, User
from penworks.auth.revocation import Revocation
from penworks.auth.service import AuthService
from penworks.auth.store import AUTH_DB, UserStore
from penworks.auth.throttle import ThrottleSettings
from penworks.auth.types import ROLE_ACTIONS, TENANT_ROLES, Action, Principal, Role

__all__ = [
    "AUTH_DB",
    "KEEP",
    "ROLE_ACTIONS",
    "TENANT_ROLES",
    "AccessPolicy",
    "Action",
    "ApiTokenInfo",
    "AuthError",
    "AuthService",
    "Forbidden",
    "InvalidUser",
    "KeyFileError",
    "Passwords",
    "Principal",
    "Revocation",
    "Role",
    "SharingConfig",
    "ThrottleSettings",
    "TokenPair",
    "TooManyAttempts",
    "UnknownToken",
    "UnknownUser",
    "User",
    "UserExists",
    "UserRefused",
    "UserStore",
    "WeakPassword",
    "check_policy",
    "load_or_create_key",
    "signing_key_path",
]
