"""The errors of authentication and user management; the API maps each to a problem."""

from __future__ import annotations

from penworks.core import ConfigError, PenworksError


class AuthError(PenworksError):
    """Who the request is could not be established: no, a bad, an expired or a revoked
    credential, or a user that is disabled or gone (401)."""


class TooManyAttempts(AuthError):
    """Sign-in refused without trying the password: too many recent failures (429)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class Forbidden(PenworksError):
    """The principal is known but may not do this (403)."""


class UnknownUser(PenworksError):
    """No such user (or none the principal may see) (404)."""


class UnknownToken(PenworksError):
    """No such API token (or none the principal may see) (404)."""


class UserExists(PenworksError):
    """The username is taken (409)."""


class UserRefused(PenworksError):
    """A user change that would break the install: the last administrator, oneself (409)."""


class WeakPassword(PenworksError):
    """The password does not meet the policy; the message says which rule (422)."""


class InvalidUser(PenworksError):
    """A username, role, tenant or token setting that makes no sense (422)."""


class KeyFileError(ConfigError):
    """The signing key file is unsafe or damaged; the message says how to fix it."""
