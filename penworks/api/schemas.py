"""The API's response bodies as pydantic models, and how domain objects become them."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from penworks.connectors import DeviceHealth
from penworks.core import DeadLetter, Observation, Point, PointKind, Quality
from penworks.store import Aggregate, DeadLetterCount

JsonValue = bool | int | float | str
QualityName = Literal["good", "uncertain", "bad"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteInfo(Body):
    id: str = Field(description="Site id from the site file")
    name: str = Field(description="Site name")


class Liveness(Body):
    """What /api/health tells anyone (a load balancer): up, and which version."""

    status: Literal["ok", "degraded"] = Field(
        description="degraded when any component reports state offline"
    )
    version: str = Field(description="Penworks version")


class Health(Liveness):
    """The full report, for principals with the system permission."""

    site: SiteInfo
    uptime_s: float = Field(description="Seconds since the API was created")
    components: dict[str, Any] = Field(
        default_factory=dict,
        description="Live status of connectors, bus and ingest, as the runtime reports it",
    )


class PointOut(Body):
    id: str = Field(description="Full dotted id, e.g. b15.f3.r301.zone_air_temp")
    name: str | None = Field(description="Human name")
    brick: str = Field(description="Brick class")
    kind: PointKind = Field(description="number, bool or text")
    unit: str | None = Field(description="Unit symbol, e.g. degC")
    writable: bool = Field(description="Whether commands may be written to it")
    min: float | None = Field(description="Lowest valid value")
    max: float | None = Field(description="Highest valid value")
    holder: str = Field(description="Full id of the equipment or space it belongs to")
    location: str = Field(description="Full id of the nearest space, floor or building")
    tenant: str | None = Field(description="Tenant of its location, if any")

    @classmethod
    def of(cls, point: Point) -> PointOut:
        return cls(
            id=point.id,
            name=point.name,
            brick=point.brick,
            kind=point.kind,
            unit=point.unit,
            writable=point.writable,
            min=point.min,
            max=point.max,
            holder=point.holder,
            location=point.location,
            tenant=point.tenant,
        )


class PointPage(Body):
    total: int = Field(description="How many points match, across all pages")
    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Index of the first item of this page")
    items: list[PointOut]


def quality_name(quality: Quality) -> QualityName:
    names: dict[Quality, QualityName] = {
        Quality.GOOD: "good",
        Quality.UNCERTAIN: "uncertain",
        Quality.BAD: "bad",
    }
    return names[quality]


class Sample(Body):
    ts: datetime = Field(description="When the value was observed (UTC)")
    value: JsonValue
    quality: QualityName

    @classmethod
    def of(cls, obs: Observation) -> Sample:
        return cls(ts=obs.ts, value=obs.value, quality=quality_name(obs.quality))


class LatestValue(Body):
    point: str = Field(description="Full point id")
    ts: datetime = Field(description="When the value was observed (UTC)")
    value: JsonValue
    quality: QualityName

    @classmethod
    def of(cls, obs: Observation) -> LatestValue:
        return cls(point=obs.point, ts=obs.ts, value=obs.value, quality=quality_name(obs.quality))


class HistoryOut(Body):
    point: str
    agg: Aggregate = Field(description="raw, or how each interval was summarised")
    interval_s: float | None = Field(description="Interval length in seconds; null for raw")
    start: datetime = Field(description="Inclusive start of the window (UTC)")
    end: datetime = Field(description="Exclusive end of the window (UTC)")
    truncated: bool = Field(description="True when `limit` cut the answer short")
    values: list[Sample] = Field(description="Oldest first")


class LatestRow(Body):
    point: str = Field(description="Full point id")
    name: str | None
    brick: str
    unit: str | None
    ts: datetime | None = Field(description="null when the point has no value yet")
    value: JsonValue | None
    quality: QualityName | None

    @classmethod
    def of(cls, point: Point, obs: Observation | None) -> LatestRow:
        return cls(
            point=point.id,
            name=point.name,
            brick=point.brick,
            unit=point.unit,
            ts=obs.ts if obs else None,
            value=obs.value if obs else None,
            quality=quality_name(obs.quality) if obs else None,
        )


class LatestTable(Body):
    count: int = Field(description="How many points matched")
    with_value: int = Field(description="How many of them have a value")
    items: list[LatestRow] = Field(description="In model order")


class DeadLetterOut(Body):
    source: str = Field(description="Connector that received it, e.g. mqtt")
    channel: str = Field(description="Topic, register or node it came from")
    ts: datetime
    reason: str = Field(description="Why it could not become an observation")
    size: int = Field(description="Payload length in bytes")
    truncated: bool = Field(description="True when the payload was longer than shown")
    payload_text: str = Field(description="The payload as UTF-8 (undecodable bytes replaced)")
    payload_base64: str | None = Field(
        description="The shown bytes in base64, when the payload is not valid UTF-8"
    )

    @classmethod
    def of(cls, letter: DeadLetter, limit: int) -> DeadLetterOut:
        shown = letter.payload[:limit]
        return cls(
            source=letter.source,
            channel=letter.channel,
            ts=letter.ts,
            reason=letter.reason,
            size=len(letter.payload),
            truncated=len(letter.payload) > limit,
            payload_text=letter.payload_text(limit),
            payload_base64=None if _is_utf8(letter.payload) else base64.b64encode(shown).decode(),
        )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class DeadLetterCountOut(Body):
    source: str
    channel: str
    reason: str
    count: int
    last_ts: datetime = Field(description="When the newest of them arrived")

    @classmethod
    def of(cls, counted: DeadLetterCount) -> DeadLetterCountOut:
        return cls(
            source=counted.source,
            channel=counted.channel,
            reason=counted.reason,
            count=counted.count,
            last_ts=counted.last_ts,
        )


class DeviceOut(Body):
    connector: str = Field(description="Connector that reaches the device")
    device: str = Field(description="The device as its connector names it")
    state: Literal["online", "degraded", "offline"] = Field(description="How it is doing")
    last_contact: datetime | None = Field(description="When it last answered")
    errors: int = Field(description="Errors counted since the connector started")
    latency_ms: float | None = Field(description="Latency of its last read")
    detail: str = Field(description="What the connector last said about it")

    @classmethod
    def of(cls, health: DeviceHealth) -> DeviceOut:
        return cls(
            connector=health.connector,
            device=health.device,
            state=health.state.value,
            last_contact=health.last_contact,
            errors=health.errors,
            latency_ms=health.latency_ms,
            detail=health.detail,
        )
