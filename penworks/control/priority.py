"""The 16-level priority array of a writable point, with BACnet semantics.

Every level holds a value or nothing. The point follows the most urgent occupied level
(1 before 16); when every level is empty it follows the relinquish default, if it has one.
Levels 1-2 are life safety, 5 critical equipment protection, 6 is reserved (BACnet's
minimum on/off time), 8 manual operator; Penworks puts apps at 10, rules at 12 and schedules
at 14, below the operator and above the default level 16, so a person at the panel always
wins over automation and automation wins over the default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from penworks.control.types import Actor, LevelEntry
from penworks.core import Value

LEVELS: Final = 16
LIFE_SAFETY_MANUAL: Final = 1  # BACnet: manual life safety is the most urgent level
LIFE_SAFETY_AUTOMATIC: Final = 2
CRITICAL_EQUIPMENT: Final = 5
MINIMUM_ON_OFF: Final = 6  # reserved: devices use it for minimum on/off times
MANUAL_OPERATOR: Final = 8
APP: Final = 10
RULE: Final = 12
SCHEDULE: Final = 14
DEFAULT: Final = 16

LIFE_SAFETY: Final = frozenset({LIFE_SAFETY_AUTOMATIC, LIFE_SAFETY_MANUAL})


def check_level(level: int) -> int:
    """The level, or ValueError unless it is 1..16."""
    if isinstance(level, bool) or not 1 <= level <= LEVELS:
        raise ValueError(f"priority must be 1..{LEVELS}, got {level!r}")
    return level


class PriorityArray:
    """Sixteen levels and a relinquish default; the effective value is the most urgent one."""

    __slots__ = ("_levels", "relinquish_default")

    def __init__(self, relinquish_default: Value | None = None) -> None:
        self._levels: list[LevelEntry | None] = [None] * LEVELS
        self.relinquish_default = relinquish_default

    def write(
        self, level: int, value: Value, actor: Actor, ts: datetime, command: str = ""
    ) -> LevelEntry:
        """Store a value at a level (replacing what was there)."""
        entry = LevelEntry(check_level(level), value, actor, ts, command)
        self._levels[level - 1] = entry
        return entry

    def relinquish(self, level: int) -> LevelEntry | None:
        """Empty a level; what it held, if anything."""
        previous = self._levels[check_level(level) - 1]
        self._levels[level - 1] = None
        return previous

    def entry(self, level: int) -> LevelEntry | None:
        return self._levels[check_level(level) - 1]

    def levels(self) -> tuple[LevelEntry | None, ...]:
        """All sixteen, index 0 being priority 1."""
        return tuple(self._levels)

    def occupied(self) -> list[LevelEntry]:
        return [e for e in self._levels if e is not None]

    @property
    def effective_level(self) -> int | None:
        """The most urgent occupied level; None when every level is empty."""
        for entry in self._levels:
            if entry is not None:
                return entry.priority
        return None

    @property
    def effective(self) -> Value | None:
        """The value the point should have: the most urgent level, else the default."""
        for entry in self._levels:
            if entry is not None:
                return entry.value
        return self.relinquish_default

    def outranked(self, level: int) -> bool:
        """Whether a more urgent level than `level` is occupied."""
        return any(e is not None for e in self._levels[: check_level(level) - 1])

    def __repr__(self) -> str:
        held = ", ".join(f"{e.priority}={e.value!r}" for e in self.occupied())
        return f"PriorityArray({held or 'empty'}; default={self.relinquish_default!r})"
