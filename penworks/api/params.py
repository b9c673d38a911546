"""Query and path parameter types shared by the routes, with forgiving parsing where it helps."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import Path, Query
from pydantic import AwareDatetime, BeforeValidator

_SPACE_FOR_PLUS = re.compile(r" (\d{2}:?\d{2})$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def _restore_plus(value: object) -> object:
    """An unencoded '+' of a UTC offset arrives as a space; put it back."""
    if isinstance(value, str):
        return _SPACE_FOR_PLUS.sub(r"+\1", value.strip())
    return value


def _seconds_as_number(value: object) -> object:
    """Plain seconds ("300", "2.5") become a number, which pydantic reads as seconds."""
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_restore_plus)]
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
