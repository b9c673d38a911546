"""What the rule engine tells about itself: per rule, per instance, and in total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from penworks.core import PenworksError, Value


class UnknownRule(PenworksError, KeyError):
    """A rule id the engine does not run."""

    def __init__(self, rule_id: str) -> None:
        super().__init__(rule_id)
        self.rule_id = rule_id

    def __str__(self) -> str:
        return f"unknown rule {self.rule_id!r}"


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """One rule as it runs."""

    id: str
    owner: str  # the rule file, or the app that added it
    description: str
    enabled: bool
    instances: int
    active: int  # instances whose condition is active now
    evaluations: int
    errors: int  # expression errors and failed actions
    last_error: str | None
    last_error_at: datetime | None
    activations: int
    skipped: tuple[str, ...]  # instances that could not be built, with the reason


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """One instance of a rule: its anchor and where its condition stands."""

    key: str  # also the alarm id
    point: str | None
    active: bool
    since: datetime | None  # when it last became active or cleared
    pending_since: datetime | None  # `when` holds since then, waiting for `for`
    clearing_since: datetime | None  # the clear condition holds since then, waiting for clear_for
    suppressed: bool
    value: Value | None


@dataclass(frozen=True, slots=True)
class EngineStats:
    """Counters of the whole engine since it was made."""

    rules: int
    instances: int
    active: int
    observations: int  # observations received
    observations_used: int  # of which some instance reads the point
    evaluations: int
    errors: int  # expression errors over all rules
    alarm_conditions: int  # AlarmSink.condition calls made
    actions: int  # actions run (commands, notices, events)
    action_errors: int  # actions and alarm conditions that failed
    pending_work: int  # alarm conditions and actions waiting to run
    timers: int  # timers in the heap (some may be stale)
