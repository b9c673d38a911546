"""Slowing down password guessing: too many failures for a username or from a client within
a window, and sign-in is refused (429) until the oldest of them leaves the window.

Per username, an attacker cannot try many passwords on one account from many addresses; per
client, one address cannot try one password on many accounts. A client gets a larger
allowance: several people may sit behind one address.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from penworks.auth.errors import TooManyAttempts
from penworks.core import Clock


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    per_user: int = 5  # failures of one username within the window
    per_client: int = 20  # failures from one client address within the window
    window_s: float = 15 * 60
    max_tracked: int = 10_000  # keys remembered; the least recently failed are forgotten


class LoginThrottle:
    """Counts failed sign-ins in memory (a restart forgives them, which is acceptable)."""

    def __init__(self, clock: Clock, settings: ThrottleSettings | None = None) -> None:
        self._clock = clock
        self._settings = settings or ThrottleSettings()
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()

    def check(self, username: str, client: str | None) -> None:
        """TooManyAttempts when either the username or the client is over its allowance."""
        waits = [self._wait(_user_key(username), self._settings.per_user)]
        if client is not None:
            waits.append(self._wait(_client_key(client), self._settings.per_client))
        longest = max(waits)
        if longest > 0:
            raise TooManyAttempts(math.ceil(longest))

    def failed(self, username: str, client: str | None) -> None:
        keys = [_user_key(username)] + ([_client_key(client)] if client is not None else [])
        now = self._clock.now()
        for key in keys:
            times = self._failures.pop(key, None) or deque()
            times.append(now)
            self._failures[key] = times  # most recent last, for forgetting the oldest
        while len(self._failures) > self._settings.max_tracked:
            self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """A correct password clears the username's count (not the client's: one good
        account must not buy an address more guesses at others)."""
        self._failures.pop(_user_key(username), None)

    def _wait(self, key: str, allowance: int) -> float:
        """Seconds until `key` may try again (0: now)."""
        times = self._failures.get(key)
        if times is None:
            return 0.0
        now = self._clock.now()
        window = timedelta(seconds=self._settings.window_s)
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < allowance:
            return 0.0
        free_at = times[-allowance] + window
        return max(1.0, (free_at - now).total_seconds())


def _user_key(username: str) -> str:
    return "user:" + username.casefold()


def _client_key(client: str) -> str:
    return "client:" + client
