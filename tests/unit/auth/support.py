"""What the auth tests share: a clock that moves only when told, cheap argon2, a service."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from penworks.auth import AuthService, Passwords, UserStore
from tests.clocks import ManualClock as SharedManualClock

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
KEY = bytes(range(32))
GOOD_PASSWORD = "Correct-Horse-42"
OTHER_PASSWORD = "Battery-Staple-77"

# The smallest argon2 cost: tests hash many passwords, and what they check is the logic.
FAST = Passwords(time_cost=1, memory_kib=8, lanes=1)


class ManualClock(SharedManualClock):
    """The shared manual clock, starting at this module's T0."""

    def __init__(self, at: datetime = T0) -> None:
        super().__init__(at)


def make_service(path: Path, clock: ManualClock, **options: Any) -> AuthService:
    options.setdefault("passwords", FAST)
    options.setdefault("watch_s", None)
    return AuthService(UserStore(path), KEY, clock, **options)
