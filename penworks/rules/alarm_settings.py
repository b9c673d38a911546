"""Limits of the alarm book: shelving, flood and chatter detection, staleness."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from penworks.core.durations import parse_duration
from penworks.model.schema import Strict
from penworks.rules.alarm_types import AlarmPriority, parse_priority

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Priority = Annotated[AlarmPriority, BeforeValidator(parse_priority)]


class AlarmSettings(Strict):
    """How the alarm book judges floods, chattering and stale alarms (ISA-18.2 / EEMUA 191)."""

    max_shelve: Duration = Field(
        timedelta(hours=8), description="Longest an operator may shelve an alarm (e.g. 8h)"
    )
    flood_threshold: int = Field(
        10,
        ge=1,
        description="A flood starts when more alarms than this are raised in an area "
        "within flood_window",
    )
    flood_window: Duration = Field(
        timedelta(minutes=10), description="Sliding window of flood counting (e.g. 10m)"
    )
    flood_release_below: int = Field(
        5, ge=1, description="A flood ends when the count within flood_window drops below this"
    )
    flood_suppresses_at_or_below: Priority = Field(
        AlarmPriority.MEDIUM,
        description="During a flood, new alarms of this priority and less urgent ones wait "
        "(suppressed, visibly); more urgent ones still annunciate",
    )
    chatter_transitions: int = Field(
        3,
        ge=2,
        description="An alarm chatters when its condition changes this often within chatter_window",
    )
    chatter_window: Duration = Field(
        timedelta(seconds=60), description="Window of chatter counting (e.g. 60s)"
    )
    chatter_release: Duration = Field(
        timedelta(minutes=5),
        description="Quiet time without condition changes after which chattering ends",
    )
    stale_after: Duration = Field(
        timedelta(hours=24), description="An alarm active longer than this is stale"
    )

    @model_validator(mode="after")
    def _consistent(self) -> AlarmSettings:
        for name in (
            "max_shelve",
            "flood_window",
            "chatter_window",
            "chatter_release",
            "stale_after",
        ):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be longer than zero")
        if self.flood_release_below > self.flood_threshold:
            raise ValueError(
                f"flood_release_below ({self.flood_release_below}) must not exceed "
                f"flood_threshold ({self.flood_threshold}), or a flood would end as it starts"
            )
        return self
