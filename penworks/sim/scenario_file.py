"""Scenario files: scenarios scheduled for a run, at an instant or after its start.

    # scenarios.yaml
    - {scenario: fire, target: f3/r301, after: PT2H, duration_s: 1800}
    - {scenario: water_leak, target: b1/plant, at: "2026-07-15T23:00+08:00"}

Each entry gives `at` (ISO 8601 with a zone) or `after` (an ISO 8601 duration from the
start of the run, e.g. PT90M, P1DT2H); `duration_s` defaults to the scenario's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from penworks.core import ConfigError
from penworks.core.durations import parse_duration
from penworks.core.yamlfile import load_yaml_model
from penworks.sim.building import Building
from penworks.sim.scenarios import Injection, ScenarioError, ScenarioKind


class ScheduledScenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: ScenarioKind = Field(description="What happens: fire, water_leak, ...")
    target: str = Field(min_length=1, description="Where: a place (f3/r301) or equipment id")
    at: datetime | None = Field(None, description="When (ISO 8601 with a time zone)")
    after: str | None = Field(None, description="Or: how long after the run starts (PT2H, 2h, 90m)")
    duration_s: float | None = Field(None, gt=0, description="How long (default: its own)")

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-07-15T10:00+08:00")
        return v

    @field_validator("after")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration(v)
        return v

    @model_validator(mode="after")
    def _one_time(self) -> ScheduledScenario:
        if (self.at is None) == (self.after is None):
            raise ValueError("give exactly one of at or after")
        return self

    def start(self, run_start: datetime) -> datetime:
        if self.at is not None:
            return self.at
        assert self.after is not None
        try:
            return run_start + parse_duration(self.after)
        except OverflowError:
            raise ScenarioError(f"{self.after} after the start is past the calendar") from None


class ScenarioFile(RootModel[list[ScheduledScenario]]):
    pass


def read_file(path: Path, building: Building) -> list[ScheduledScenario]:
    """The entries of a file, each checked as if the run started at the building's now;
    ConfigError naming the entry that cannot be."""
    entries = load_yaml_model(path, ScenarioFile).root
    for i, entry in enumerate(entries):
        try:
            building.scenarios.check(
                entry.scenario, entry.target, entry.start(building.now), entry.duration_s
            )
        except ScenarioError as exc:
            raise ConfigError(f"{path}: [{i}]: {exc}") from exc
    return entries


def schedule(entries: Sequence[ScheduledScenario], building: Building) -> list[Injection]:
    """Schedule checked entries for a run that starts at the building's now."""
    return [
        building.inject(entry.scenario, entry.target, entry.start(building.now), entry.duration_s)
        for entry in entries
    ]


def schedule_file(path: Path, building: Building) -> list[Injection]:
    """Schedule every scenario of a file; ConfigError naming the entry that cannot be."""
    return schedule(read_file(path, building), building)
