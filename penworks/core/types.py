"""Domain types shared by every room: points, observations, commands, dead letters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from penworks.core.errors import PayloadError

Value = float | int | bool | str
"""What a point carries: a number, a bool or a text."""


class Quality(IntEnum):
    """How far an observation can be trusted (OPC UA / BACnet style: good, uncertain, bad)."""

    GOOD = 0
    UNCERTAIN = 1
    BAD = 2


class PointKind(StrEnum):
    """The kind of value a point carries."""

    NUMBER = "number"
    BOOL = "bool"
    TEXT = "text"


def coerce_value(kind: PointKind, raw: object) -> Value:
    """Turn a decoded device value into the point's kind, or raise PayloadError saying why."""
    if kind is PointKind.NUMBER:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise PayloadError(f"expected a number, got {type(raw).__name__} {raw!r:.40}")
        if isinstance(raw, float) and not math.isfinite(raw):
            raise PayloadError(f"expected a finite number, got {raw!r}")
        return raw
    if kind is PointKind.BOOL:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str) and raw.lower() in _BOOL_WORDS:
            return _BOOL_WORDS[raw.lower()]
        raise PayloadError(f"expected a bool, got {type(raw).__name__} {raw!r:.40}")
    if isinstance(raw, str):
        return raw
    raise PayloadError(f"expected a text, got {type(raw).__name__} {raw!r:.40}")


_BOOL_WORDS = {"true": True, "false": False, "on": True, "off": False, "1": True, "0": False}


def utc(ts: datetime) -> datetime:
    """Return ts as an aware UTC datetime; naive datetimes are refused rather than guessed."""
    if ts.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return ts.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Point:
    """A point of the building as every room sees it, resolved from the site model."""

    id: str  # full dotted id, e.g. b15.f3.r301.zone_air_temp
    brick: str  # Brick class name, e.g. Zone_Air_Temperature_Sensor
    kind: PointKind = PointKind.NUMBER
    unit: str | None = None
    writable: bool = False
    min: float | None = None
    max: float | None = None
    name: str | None = None
    holder: str = ""  # full id of the equipment, space, floor or building it belongs to
    location: str = ""  # full id of the nearest space, floor or building
    tenant: str | None = None

    def check_command_value(self, value: Value) -> Value:
        """The value a command may write, or PayloadError saying why it may not."""
        coerced = coerce_value(self.kind, value)
        if self.kind is PointKind.NUMBER and isinstance(coerced, int | float):
            if self.min is not None and coerced < self.min:
                raise PayloadError(f"{coerced} is below the point's minimum {self.min}")
            if self.max is not None and coerced > self.max:
                raise PayloadError(f"{coerced} is above the point's maximum {self.max}")
        return coerced


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of one point at one instant, as a connector saw it."""

    point: str
    ts: datetime
    value: Value
    quality: Quality = Quality.GOOD

    def to_json(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "ts": self.ts.isoformat(),
            "value": self.value,
            "quality": self.quality.name.lower(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observation:
        return cls(
            point=str(data["point"]),
            ts=utc(datetime.fromisoformat(data["ts"])),
            value=data["value"],
            quality=Quality[str(data.get("quality", "good")).upper()],
        )


@dataclass(frozen=True, slots=True)
class Command:
    """A request that a writable point take a value, at a BACnet-style priority (1 highest)."""

    point: str
    value: Value | None  # None relinquishes the priority level
    priority: int = 16
    source: str = "operator"
    reason: str = ""
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if not 1 <= self.priority <= 16:
            raise ValueError(f"priority must be 1..16, got {self.priority}")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Input that could not become an observation, kept with the reason so nothing is lost."""

    source: str  # the connector that received it, e.g. "mqtt"
    channel: str  # where it came from: a topic, a register, a node id
    ts: datetime
    reason: str
    payload: bytes

    def payload_text(self, limit: int = 4096) -> str:
        return self.payload[:limit].decode("utf-8", errors="replace")
