"""Query and path parameter types shared by the routes, with forgiving parsing where it helps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

_SPACE_FOR_PLUS = re.compile(r" (\d{2}:?\d{2})$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")

# The instants and days the API takes: wide enough for any building's data, and far enough
# from the ends of the calendar (years 1 and 9999) that moving them to another time zone, or
# a year on, cannot overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2999
_FIRST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
_AFTER_LAST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)


def _restore_plus(value: object) -> object:
    """An unencoded '+' of a UTC offset arrives as a space; put it back."""
    if isinstance(value, str):
        return _SPACE_FOR_PLUS.sub(r"+\1", value.strip())
    return value


def _in_years(value: datetime) -> datetime:
    if not _FIRST <= value < _AFTER_LAST:
        raise ValueError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def _day_in_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def _seconds_as_number(value: object) -> object:
    """Plain seconds ("300", "2.5") become a number, which pydantic reads as seconds."""
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_restore_plus), AfterValidator(_in_years)]
Day = Annotated[date, AfterValidator(_day_in_years)]
Duration = Annotated[timedelta, BeforeValidator(_seconds_as_number)]

PointId = Annotated[
    str, Path(description="Full dotted point id", examples=["b15.f3.r301.zone_air_temp"])
]
Brick = Annotated[
    str | None,
    Query(description="Brick class; subclasses match too", examples=["Temperature_Sensor"]),
]
Within = Annotated[
    str | None,
    Query(description="Full id of a building, floor, space or equipment", examples=["b15.f3"]),
]
