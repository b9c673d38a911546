"""Helpers for the security and life-safety tests: a probe that watches the building step by step.

Not a test module itself (it holds no tests); its name keeps it among this group's files.
`Probe` and `at` are the spaces tests' own (test_spaces_support), shared rather than copied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.world import System, World
from tests.unit.sim.test_spaces_support import Probe, at

__all__ = ["MONDAY", "SATURDAY", "Probe", "at", "building", "logged_day", "run_until"]

MONDAY = datetime(2025, 3, 3, tzinfo=SITE_TZ)  # a working day, in March
SATURDAY = datetime(2025, 3, 8, tzinfo=SITE_TZ)


def building(
    systems: Sequence[System], start: datetime, *, seed: int = 15, probe: Probe | None = None
) -> Building:
    return Building(start, [*systems, *([probe] if probe else [])], seed=seed)


def run_until(b: Building, when: datetime, check: Callable[[], None] | None = None) -> None:
    """Step to `when`, calling `check` after every step."""
    while b.now < when:
        b.advance_to(b.now + timedelta(seconds=30))
        if check is not None:
            check()


def logged_day(system: System, look: Callable[[World], None]) -> Building:
    """One system through MONDAY from midnight to midnight, `look` called after every step."""
    b = building([system], MONDAY, probe=Probe(look))
    run_until(b, MONDAY + timedelta(days=1))
    return b
