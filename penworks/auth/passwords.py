"""Password hashing (argon2id) and the password policy.

Hashes carry their own parameters, so stronger parameters apply to old hashes at the next
successful sign-in (`needs_rehash`). Hashing is slow on purpose: callers run it in a worker
thread, never on the event loop.
"""

from __future__ import annotations

import secrets
import string
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from penworks.auth.errors import WeakPassword

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 256  # long enough for any passphrase; bounds the work a request can ask for
MIN_DISTINCT: Final = 6
PASSPHRASE_LENGTH: Final = 16  # from this length one kind of character is enough
# Words that make a password the first guess of anyone who knows what this is.
_GUESSABLE: Final = ("password", "penworks", "qwerty", "123456", "letmein", "admin123")
_CLASSES: Final = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


class Passwords:
    """argon2id hashing with the given cost (argon2-cffi's defaults unless told otherwise;
    tests pass small costs to stay fast)."""

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_kib: int | None = None,
        lanes: int | None = None,
    ) -> None:
        defaults = PasswordHasher()
        self._hasher = PasswordHasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_kib or defaults.memory_cost,
            parallelism=lanes or defaults.parallelism,
        )
        # Verified against when the user is unknown, so that answer takes as long as a
        # wrong password does. Made at the first need: a hash is slow, and a command that
        # only adds a user never needs it.
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(_bytes(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches; a missing or damaged hash never matches."""
        if not password_hash:
            self._decoy = self._decoy or self._hasher.hash(secrets.token_urlsafe(16))
            password_hash = self._decoy
        try:
            return self._hasher.verify(password_hash, _bytes(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


def _bytes(password: str) -> bytes:
    # surrogatepass: a lone surrogate (valid in JSON, not in UTF-8) must not crash a request
    return password.encode("utf-8", "surrogatepass")


def check_policy(password: str, username: str) -> None:
    """Refuse a password that is easy to guess, naming the rule it breaks (WeakPassword)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    folded = password.casefold()
    if username and username.casefold() in folded:
        raise WeakPassword("the password must not contain the username")
    if any(word in folded for word in _GUESSABLE):
        raise WeakPassword("the password must not contain a common password")
    if len(set(password)) < MIN_DISTINCT:
        raise WeakPassword(f"the password must use at least {MIN_DISTINCT} different characters")
    if len(password) < PASSPHRASE_LENGTH and len({_kind(c) for c in password}) < 2:
        raise WeakPassword(
            "the password must mix kinds of characters (lower case, upper case, digits, "
            f"spaces or symbols) or have at least {PASSPHRASE_LENGTH} characters"
        )


def _kind(char: str) -> int:
    """Lower case, upper case, digit, other ASCII (spaces, symbols), other letters."""
    for i, chars in enumerate(_CLASSES):
        if char in chars:
            return i
    return len(_CLASSES) + (not char.isascii())
