"""The point map as data: topic -> the points it carries, and decoding a payload along it.

Everything that can be worked out from the bindings is worked out once in ``build_routes``;
``decode`` then only walks prepared tuples. It is pure: no bus, no broker, no logging.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import final

from penworks.bus import observation_subject
from penworks.connectors.mqtt.jsonpath import MISSING, JsonPath, compile_path
from penworks.connectors.mqtt.timestamps import device_time
from penworks.connectors.mqtt.topics import is_filter
from penworks.core import (
    ConfigError,
    Observation,
    PayloadError,
    Point,
    PointKind,
    Value,
    coerce_value,
)
from penworks.model.schema import MqttBinding

INT64_MAX = 2**63 - 1
"""Integers beyond 64 bits cannot be stored or compared as numbers downstream."""

RECEIPT = 0
"""Index of the time of receipt among a message's timestamps; device timestamps follow it."""

_NO_TIME = datetime.min.replace(tzinfo=UTC)  # placeholder where no point uses receipt time


class Refusal(StrEnum):
    """Why input became a dead letter; the code starts every dead letter's reason."""

    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    UNBOUND_TOPIC = "unbound_topic"
    MISSING_PATH = "missing_path"
    WRONG_KIND = "wrong_kind"
    NOT_FINITE = "not_finite"
    BAD_TIMESTAMP = "bad_timestamp"


@final
@dataclass(frozen=True, slots=True)
class Refused:
    """One reason a message (or one point of it) could not become an observation."""

    code: Refusal
    detail: str

    @property
    def reason(self) -> str:
        """Stable text for counting: the code, the point or path, what was wrong; no values."""
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True, slots=True)
class PointRoute:
    """How one point is read out of its topic's payloads."""

    point_id: str
    subject: str
    path: JsonPath
    kind: PointKind
    scale: float
    offset: float
    scaled: bool  # False when scale is 1 and offset 0: integers then stay integers
    stamp: int  # index into the message's timestamps: RECEIPT or 1 + index into stamps


@dataclass(frozen=True, slots=True)
class TopicRoute:
    """Everything one topic carries."""

    topic: str
    points: tuple[PointRoute, ...]
    stamps: tuple[JsonPath, ...]  # the distinct timestamp paths, each read once per message
    uses_receipt: bool


Decoded = tuple[str, Observation] | Refused
"""A decoded point (bus subject and observation) or a refusal."""


def build_routes(points: Sequence[tuple[Point, MqttBinding]]) -> dict[str, TopicRoute]:
    """Compile bindings into routes by topic; ConfigError names the point that is wrong."""
    by_topic: dict[str, list[tuple[Point, MqttBinding]]] = {}
    seen: set[str] = set()
    for point, binding in points:
        if point.id in seen:
            raise ConfigError(f"point {point.id} is bound twice to the MQTT connector")
        seen.add(point.id)
        if is_filter(binding.topic):
            raise ConfigError(f"point {point.id}: topic {binding.topic!r} has MQTT wildcards")
        by_topic.setdefault(binding.topic, []).append((point, binding))
    return {topic: _topic_route(topic, bound) for topic, bound in by_topic.items()}


def _topic_route(topic: str, bound: list[tuple[Point, MqttBinding]]) -> TopicRoute:
    stamps: list[JsonPath] = []
    slots: dict[str, int] = {}  # timestamp path -> index among the message's timestamps
    routes: list[PointRoute] = []
    for point, binding in bound:
        stamp = RECEIPT
        if binding.ts_path is not None:
            if binding.ts_path not in slots:
                stamps.append(_compile(binding.ts_path, point.id))
                slots[binding.ts_path] = RECEIPT + len(stamps)
            stamp = slots[binding.ts_path]
        routes.append(_point_route(point, binding, stamp))
    uses_receipt = any(r.stamp == RECEIPT for r in routes)
    return TopicRoute(topic, tuple(routes), tuple(stamps), uses_receipt)


def _point_route(point: Point, binding: MqttBinding, stamp: int) -> PointRoute:
    scaled = binding.scale != 1.0 or binding.offset != 0.0
    if scaled and point.kind is not PointKind.NUMBER:
        raise ConfigError(f"point {point.id}: scale and offset apply to number points only")
    if not (math.isfinite(binding.scale) and math.isfinite(binding.offset)):
        raise ConfigError(f"point {point.id}: scale and offset must be finite")
    return PointRoute(
        point_id=point.id,
        subject=observation_subject(point.id),
        path=_compile(binding.path, point.id),
        kind=point.kind,
        scale=binding.scale,
        offset=binding.offset,
        scaled=scaled,
        stamp=stamp,
    )


def _compile(text: str, point_id: str) -> JsonPath:
    try:
        return compile_path(text)
    except ConfigError as exc:
        raise ConfigError(f"point {point_id}: {exc}") from None


def parse_payload(payload: bytes) -> object | Refused:
    """The decoded JSON document of a payload, or why it is not one."""
    try:
        doc: object = json.loads(payload.decode())
    except UnicodeDecodeError:
        return Refused(Refusal.NOT_UTF8, "payload is not UTF-8")
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return Refused(Refusal.NOT_JSON, "payload is not JSON")
    return doc


def decode(route: TopicRoute, payload: bytes, now: Callable[[], datetime]) -> list[Decoded]:
    """Observations and refusals of one message; one bad point never hides the others."""
    doc = parse_payload(payload)
    if type(doc) is Refused:
        return [doc]
    return decode_document(route, doc, now)


def decode_document(route: TopicRoute, doc: object, now: Callable[[], datetime]) -> list[Decoded]:
    """Like decode, for a payload already parsed."""
    out: list[Decoded] = []
    times: list[datetime | Refused] = [now() if route.uses_receipt else _NO_TIME]
    for path in route.stamps:
        stamp = _timestamp(path, doc)
        times.append(stamp)
        if type(stamp) is Refused:
            out.append(stamp)
    for point in route.points:
        ts = times[point.stamp]
        if type(ts) is Refused:
            continue  # refused once above for every point that uses it
        raw = point.path.get(doc)
        if raw is MISSING:
            out.append(_refused(point, Refusal.MISSING_PATH, "nothing"))
            continue
        value = point_value(point, raw)
        if type(value) is Refused:
            out.append(value)
        else:
            out.append((point.subject, Observation(point.point_id, ts, value)))
    return out


def point_value(point: PointRoute, raw: object) -> Value | Refused:
    """The point's value of a raw JSON value: scaled, offset and of the point's kind."""
    if point.kind is not PointKind.NUMBER:
        try:
            return coerce_value(point.kind, raw)
        except PayloadError:
            return _wrong_kind(point, raw)
    if type(raw) is int:  # not isinstance: bool is an int, and not a number here
        if not -INT64_MAX <= raw <= INT64_MAX:
            return _refused(point, Refusal.NOT_FINITE, "number out of range")
        if not point.scaled:
            return raw
        value = raw * point.scale + point.offset
    elif type(raw) is float:
        value = raw * point.scale + point.offset if point.scaled else raw
    else:
        return _wrong_kind(point, raw)
    if not math.isfinite(value):
        return _refused(point, Refusal.NOT_FINITE, "non-finite number")
    return value


def _refused(point: PointRoute, code: Refusal, what: str) -> Refused:
    return Refused(code, f"{point.point_id}: {what} at {point.path.text}")


def _wrong_kind(point: PointRoute, raw: object) -> Refused:
    return _refused(point, Refusal.WRONG_KIND, f"expected a {point.kind}, got {json_type(raw)}")


def _timestamp(path: JsonPath, doc: object) -> datetime | Refused:
    raw = path.get(doc)
    if raw is MISSING:
        return Refused(Refusal.BAD_TIMESTAMP, f"nothing at {path.text}")
    try:
        return device_time(raw)
    except PayloadError as exc:
        return Refused(Refusal.BAD_TIMESTAMP, f"{exc} at {path.text}")


def json_type(raw: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "bool"
    if isinstance(raw, int | float):
        return "number"
    if isinstance(raw, str):
        return "text"
    if isinstance(raw, list):
        return "array"
    return "object"
