"""High-water watch on a spool's fill, with hysteresis so a spool hovering at the line
raises one alert, not one per record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FillAlert:
    """A spool crossed its high-water mark (high=True) or fell back below its low one."""

    spool: str
    high: bool
    fill: float  # bytes on disk / capacity, 0..1
    records: int  # records held, not yet acknowledged
    bytes: int
    capacity: int


class FillWatch:
    """High from the moment fill reaches `high`, until it falls below `low` again."""

    def __init__(self, high: float = 0.8, low: float = 0.6) -> None:
        if not 0 < low < high <= 1:
            raise ValueError(f"need 0 < low < high <= 1, got low={low} high={high}")
        self.high_mark = high
        self.low_mark = low
        self.high = False

    def update(self, fill: float) -> bool:
        """Take the current fill; True when that changed the state."""
        if not self.high and fill >= self.high_mark:
            self.high = True
            return True
        if self.high and fill < self.low_mark:
            self.high = False
            return True
        return False
