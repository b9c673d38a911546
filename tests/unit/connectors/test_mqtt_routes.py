from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from penworks.connectors.mqtt.routes import (
    Refusal,
    Refused,
    TopicRoute,
    build_routes,
    decode,
    decode_document,
)
from penworks.core import ConfigError, Observation, PointKind, Value
from tests.unit.connectors.mqtt_support import T0, FixedClock, binding, point


def _route(kind: PointKind = PointKind.NUMBER, path: str = "$.v", **fields: object) -> TopicRoute:
    return build_routes([(point("b.p", kind), binding("t", path, **fields))])["t"]


def _values(route: TopicRoute, doc: object) -> list[Value | Refused]:
    out: list[Value | Refused] = []
    for item in decode_document(route, doc, FixedClock().now):
        out.append(item if isinstance(item, Refused) else item[1].value)
    return out


def test_routes_group_points_by_topic_with_subjects_prepared() -> None:
    routes = build_routes(
        [
            (point("b.t"), binding("dev/1", "$.t")),
            (point("b.h"), binding("dev/1", "$.h")),
            (point("b.m"), binding("dev/2")),
        ]
    )
    assert sorted(routes) == ["dev/1", "dev/2"]
    assert [p.point_id for p in routes["dev/1"].points] == ["b.t", "b.h"]
    assert [p.subject for p in routes["dev/1"].points] == ["obs.b.t", "obs.b.h"]
    assert routes["dev/2"].points[0].path.steps == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(21, 21), (21.5, 21.5), (-3, -3), (0, 0), (2**62, 2**62)],
)
def test_numbers_pass_unchanged_and_ints_stay_ints(raw: object, expected: Value) -> None:
    [value] = _values(_route(), {"v": raw})
    assert value == expected
    assert type(value) is type(expected)


def test_scale_and_offset_apply_to_numbers() -> None:
    route = _route(scale=0.1, offset=-40.0)
    assert _values(route, {"v": 615}) == [pytest.approx(21.5)]
    assert _values(route, {"v": 615.0}) == [pytest.approx(21.5)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("on", True),
        ("OFF", False),
        ("true", True),
        ("false", False),
    ],
)
def test_bool_points_accept_bools_numbers_and_words(raw: object, expected: bool) -> None:
    assert _values(_route(PointKind.BOOL), {"v": raw}) == [expected]


def test_text_points_take_text() -> None:
    assert _values(_route(PointKind.TEXT), {"v": "heating"}) == ["heating"]


@pytest.mark.parametrize(
    ("kind", "raw", "got"),
    [
        (PointKind.NUMBER, "21.5", "text"),
        (PointKind.NUMBER, True, "bool"),
        (PointKind.NUMBER, None, "null"),
        (PointKind.NUMBER, [1], "array"),
        (PointKind.NUMBER, {"x": 1}, "object"),
        (PointKind.BOOL, 2, "number"),
        (PointKind.BOOL, "maybe", "text"),
        (PointKind.TEXT, 5, "number"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(kind: PointKind, raw: object, got: str) -> None:
    [refused] = _values(_route(kind), {"v": raw})
    assert refused == Refused(Refusal.WRONG_KIND, f"b.p: expected a {kind}, got {got} at $.v")


@pytest.mark.parametrize(
    ("scale", "raw", "what"),
    [
        (1.0, math.nan, "non-finite number"),
        (1.0, math.inf, "non-finite number"),
        (1e300, 1e300, "non-finite number"),
        (1.0, 2**63, "number out of range"),
        (1.0, -(2**64), "number out of range"),
    ],
)
def test_non_finite_and_out_of_range_numbers_are_refused(
    scale: float, raw: object, what: str
) -> None:
    [refused] = _values(_route(scale=scale), {"v": raw})
    assert refused == Refused(Refusal.NOT_FINITE, f"b.p: {what} at $.v")


def test_missing_path_is_refused() -> None:
    [refused] = _values(_route(), {"w": 1})
    assert refused == Refused(Refusal.MISSING_PATH, "b.p: nothing at $.v")


@pytest.mark.parametrize("doc", [[21.5], 21.5, "v", None, {"V": 21.5}])
def test_a_key_path_on_a_document_without_that_key_is_refused_as_missing(doc: object) -> None:
    [refused] = _values(_route(), doc)
    assert refused == Refused(Refusal.MISSING_PATH, "b.p: nothing at $.v")


@pytest.mark.parametrize(
    ("path", "doc", "expected"),
    [("$", 21.5, 21.5), ("$.a.v", {"a": {"v": 7}}, 7), ("$[1]", [1, 2.5], 2.5)],
)
def test_paths_other_than_one_key_are_walked(path: str, doc: object, expected: Value) -> None:
    assert _values(_route(path=path), doc) == [expected]


def test_reasons_carry_no_values_so_they_can_be_counted() -> None:
    first = _values(_route(PointKind.BOOL), {"v": "maybe"})
    second = _values(_route(PointKind.BOOL), {"v": "perhaps"})
    assert first == second
    assert isinstance(first[0], Refused)
    assert first[0].reason == "wrong_kind: b.p: expected a bool, got text at $.v"


def test_decode_refuses_payloads_that_are_not_utf8_or_not_json() -> None:
    route = _route()
    now = FixedClock().now
    assert decode(route, b"\xff\xfe{}", now) == [Refused(Refusal.NOT_UTF8, "payload is not UTF-8")]
    assert decode(route, b"{not json", now) == [Refused(Refusal.NOT_JSON, "payload is not JSON")]
    assert decode(route, b"[" * 100_000, now) == [Refused(Refusal.NOT_JSON, "payload is not JSON")]
    assert decode(route, b"1" * 5000, now) == [Refused(Refusal.NOT_JSON, "payload is not JSON")]


def test_one_bad_point_does_not_stop_the_others_of_the_payload() -> None:
    routes = build_routes(
        [
            (point("b.t"), binding("d", "$.t")),
            (point("b.h"), binding("d", "$.h")),
            (point("b.on", PointKind.BOOL), binding("d", "$.on")),
        ]
    )
    out = decode(
        routes["d"], json.dumps({"t": 21.5, "h": "wet", "on": "on"}).encode(), FixedClock().now
    )
    assert out == [
        ("obs.b.t", Observation("b.t", T0, 21.5)),
        Refused(Refusal.WRONG_KIND, "b.h: expected a number, got text at $.h"),
        ("obs.b.on", Observation("b.on", T0, True)),
    ]


def test_receipt_time_comes_from_the_clock_once_per_message() -> None:
    routes = build_routes(
        [(point("b.t"), binding("d", "$.t")), (point("b.h"), binding("d", "$.h"))]
    )
    clock = FixedClock()
    out = decode(routes["d"], b'{"t": 1, "h": 2}', clock.now)
    assert [item[1].ts for item in out if not isinstance(item, Refused)] == [T0, T0]
    assert clock.calls == 1


def test_device_timestamps_are_read_once_per_path_and_used_by_their_points() -> None:
    routes = build_routes(
        [
            (point("b.t"), binding("d", "$.t", ts_path="$.ts")),
            (point("b.h"), binding("d", "$.h", ts_path="$.ts")),
            (point("b.e"), binding("d", "$.e", ts_path="$.meta.epoch")),
            (point("b.r"), binding("d", "$.r")),
        ]
    )
    route = routes["d"]
    assert len(route.stamps) == 2
    payload = {
        "t": 1,
        "h": 2,
        "e": 3,
        "r": 4,
        "ts": "2025-01-02T03:04:05+02:00",
        "meta": {"epoch": 1_700_000_000_000},
    }
    out = decode(route, json.dumps(payload).encode(), FixedClock().now)
    stamps = {item[1].point: item[1].ts for item in out if not isinstance(item, Refused)}
    assert stamps == {
        "b.t": datetime(2025, 1, 2, 1, 4, 5, tzinfo=UTC),
        "b.h": datetime(2025, 1, 2, 1, 4, 5, tzinfo=UTC),
        "b.e": datetime.fromtimestamp(1_700_000_000, UTC),
        "b.r": T0,
    }


def test_no_clock_read_when_every_point_has_a_device_timestamp() -> None:
    route = build_routes([(point("b.t"), binding("d", "$.t", ts_path="$.ts"))])["d"]
    clock = FixedClock()
    decode(route, b'{"t": 1, "ts": 1700000000}', clock.now)
    assert clock.calls == 0


@pytest.mark.parametrize(
    ("ts", "detail"),
    [
        ('"2025-01-02T03:04:05"', "timestamp has no time zone at $.ts"),
        ('"soon"', "timestamp text is not ISO 8601 at $.ts"),
        ("null", "timestamp is a NoneType, not ISO 8601 text or epoch number at $.ts"),
    ],
)
def test_bad_timestamps_refuse_their_points_once_and_spare_the_others(ts: str, detail: str) -> None:
    routes = build_routes(
        [
            (point("b.t"), binding("d", "$.t", ts_path="$.ts")),
            (point("b.h"), binding("d", "$.h", ts_path="$.ts")),
            (point("b.r"), binding("d", "$.r")),
        ]
    )
    out = decode(routes["d"], f'{{"t": 1, "h": 2, "r": 3, "ts": {ts}}}'.encode(), FixedClock().now)
    assert out == [Refused(Refusal.BAD_TIMESTAMP, detail), ("obs.b.r", Observation("b.r", T0, 3))]


def test_missing_timestamp_is_refused() -> None:
    route = _route(ts_path="$.ts")
    assert decode(route, b'{"v": 1}', FixedClock().now) == [
        Refused(Refusal.BAD_TIMESTAMP, "nothing at $.ts")
    ]


def test_config_errors_name_the_point() -> None:
    with pytest.raises(ConfigError, match=r"point b\.p: JSON path"):
        build_routes([(point("b.p"), binding("t", "$.[x"))])
    with pytest.raises(ConfigError, match=r"point b\.p: JSON path"):
        build_routes([(point("b.p"), binding("t", "$.v", ts_path="ts"))])
    with pytest.raises(ConfigError, match=r"point b\.p: scale and offset apply to number"):
        build_routes([(point("b.p", PointKind.BOOL), binding("t", scale=2.0))])
    with pytest.raises(ConfigError, match=r"point b\.p: scale and offset must be finite"):
        build_routes([(point("b.p"), binding("t", scale=math.inf))])
    with pytest.raises(ConfigError, match=r"point b\.p is bound twice"):
        build_routes([(point("b.p"), binding("t")), (point("b.p"), binding("u"))])
