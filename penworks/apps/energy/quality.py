"""Data quality of cumulative kWh registers: what is flagged, and the rules that flag it.

A drop of the register is one of three things: a rollover (it was near the register's
maximum and is now near zero: counting goes on across the wrap), a reset (it is now near
zero: counting starts again from zero), or the meter running backwards (flagged, and not
counted until the register climbs back above its high-water mark). A drop within
`backwards_tolerance_kwh` is noise and ignored. A gap between readings longer than
`gap_limit_h` is flagged missing and its energy is put in no hour; a shorter one is split
linearly over the hours it spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field

from penworks.apps.api import Strict

FlagKind = Literal["rollover", "reset", "backwards", "gap", "invalid"]


class QualitySettings(Strict):
    gap_limit_h: float = Field(2.0, gt=0, description="Longest gap split over its hours")
    register_max_kwh: float = Field(
        42_949_672.95, gt=0, description="Where a register wraps (uint32 x 0.01 kWh)"
    )
    rollover_band: float = Field(
        0.05, gt=0, lt=0.5, description="Share of the maximum counted as near it or near zero"
    )
    reset_near_zero_kwh: float = Field(
        10.0, ge=0, description="A drop to at most this is a reset of the register"
    )
    backwards_tolerance_kwh: float = Field(0.05, ge=0, description="A smaller drop is noise")


@dataclass(frozen=True, slots=True)
class Flag:
    """One data-quality finding: what, on which point, over which interval, and the detail."""

    kind: FlagKind
    point: str
    start: datetime
    end: datetime
    detail: str
    kwh: float = 0.0  # energy concerned (the energy of a gap, the size of a backwards run)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "point": self.point,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "detail": self.detail,
            "kwh": round(self.kwh, 3),
        }


@dataclass(frozen=True, slots=True)
class Step:
    """What one new reading adds: counted kWh, the new reference, and a flag if any."""

    kwh: float
    reference: float
    flag: FlagKind | None = None
    detail: str = ""


def step(reference: float, value: float, settings: QualitySettings) -> Step:
    """The energy between the register's reference (its high-water mark) and a new value."""
    if value >= reference:
        return Step(value - reference, value)
    drop = reference - value
    if drop <= settings.backwards_tolerance_kwh:
        return Step(0.0, reference)
    band = settings.rollover_band * settings.register_max_kwh
    if reference >= settings.register_max_kwh - band and value <= band:
        kwh = settings.register_max_kwh - reference + value
        return Step(kwh, value, "rollover", f"wrapped at {settings.register_max_kwh:g} kWh")
    if value <= settings.reset_near_zero_kwh:
        return Step(value, value, "reset", f"register reset from {reference:g} to {value:g} kWh")
    return Step(0.0, reference, "backwards", f"ran backwards by {drop:g} kWh, not counted")
