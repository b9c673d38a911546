"""The bus wire codec: every message type survives the trip, and bad bytes say why."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from penworks.bus import CodecError, Message
from penworks.bus.codec import decode, encode, message_id
from penworks.core import BusError, Command, DeadLetter, Observation, Quality

TS = datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "message",
    [
        Observation("b15.f3.r301.zone_air_temp", TS, 21.5),
        Observation("b15.f3.r301.occupied", TS, True, Quality.UNCERTAIN),
        Observation("b15.meter.count", TS, 12, Quality.BAD),
        Observation("b15.meter.big", TS, 2**70),
        Observation("b15.f1.lobby.status", TS, "正常 ok"),
        Observation("b15.f1.x", TS, 1.0),
        Observation("b15.f1.x", datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC), -0.0),
        DeadLetter("mqtt", "b15/f3/r301", TS, "not JSON", b"\x00\xff\xfe raw"),
        DeadLetter("modbus", "unit 3 reg 40001", TS, "", b""),
        Command("b15.f3.r301.setpoint", 22.5, 8, "rules", "comfort", TS),
        Command("b15.f3.r301.setpoint", None, 16, "operator", "", TS),
        Command("b15.f3.fan", True, 1, "fire", "smoke control", TS),
        {"rule": "r1", "active": True, "data": {"n": 1, "x": 1.0, "s": "t", "l": [1, None]}},
        {},
    ],
)
def test_every_message_type_comes_back_equal_and_of_the_same_kinds(message: Message) -> None:
    back = decode(encode(message))
    assert back == message
    assert type(back) is type(message)
    assert _kinds(back) == _kinds(message)


def _kinds(message: Message) -> Any:
    if isinstance(message, dict):
        return {k: type(v) for k, v in message.items()}
    value = getattr(message, "value", None)
    return type(value), message.ts.utcoffset(), message.ts.microsecond


def test_an_int_stays_an_int_and_a_float_a_float() -> None:
    as_int = decode(encode(Observation("p", TS, 1)))
    as_float = decode(encode(Observation("p", TS, 1.0)))
    as_bool = decode(encode(Observation("p", TS, True)))
    assert isinstance(as_int, Observation)
    assert isinstance(as_float, Observation)
    assert isinstance(as_bool, Observation)
    assert type(as_int.value) is int
    assert type(as_float.value) is float
    assert type(as_bool.value) is bool


def test_non_finite_floats_survive() -> None:
    for value in (math.inf, -math.inf):
        back = decode(encode(Observation("p", TS, value)))
        assert isinstance(back, Observation)
        assert back.value == value
    nan = decode(encode(Observation("p", TS, math.nan)))
    assert isinstance(nan, Observation)
    assert isinstance(nan.value, float)
    assert math.isnan(nan.value)


def test_timestamps_in_other_zones_come_back_as_the_same_instant_in_utc() -> None:
    local = TS.astimezone(timezone(timedelta(hours=8)))
    back = decode(encode(Observation("p", local, 1.0)))
    assert isinstance(back, Observation)
    assert back.ts == TS
    assert back.ts.tzinfo is UTC


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(CodecError, match="naive"):
        encode(Observation("p", datetime(2026, 7, 1), 1.0))  # noqa: DTZ001


def test_a_dict_json_cannot_carry_is_refused_as_a_bus_error() -> None:
    with pytest.raises(BusError, match="cannot encode"):
        encode({"when": TS})


def test_something_else_is_no_bus_message() -> None:
    with pytest.raises(CodecError, match="not a bus message"):
        encode(["a list"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\xff\xfe", "bad JSON"),
        (b"garbage", "bad JSON"),
        (b'["e", {}] trailing', "bad JSON"),
        (b'["o", "p', "bad JSON"),
        (b'{"point": "p"}', "type tag"),
        (b"[]", "type tag"),
        (b'["x", 1]', "unknown bus message type"),
        (b'["o", "p", 1]', "malformed"),
        (b'["o", "p", "2026-07-01", 1.0, 0]', "microseconds"),
        (b'["o", "p", 1, [1], 0]', "point value"),
        (b'["o", "p", 1, 1.0, 7]', "quality"),
        (b'["o", 5, 1, 1.0, 0]', "text"),
        (b'["d", "s", "c", 1, "r", "not base64!"]', "malformed"),
        (b'["c", "p", 1.0, 0, "s", "r", 1]', "priority"),
        (b'["e", [1]]', "object"),
        (b'["o", "p", 99999999999999999999, 1.0, 0]', "malformed"),
    ],
)
def test_undecodable_bytes_raise_a_codec_error_saying_why(data: bytes, why: str) -> None:
    with pytest.raises(CodecError, match=why):
        decode(data)


def test_json_from_elsewhere_with_spaces_is_read_too() -> None:
    assert decode(b' [ "e" , {"a": 1} ]\n') == {"a": 1}


def test_an_observation_is_identified_by_point_and_instant() -> None:
    first = Observation("p", TS, 1.0)
    assert message_id(first) == message_id(Observation("p", TS, 2.0))
    assert message_id(first) != message_id(Observation("p", TS + timedelta(microseconds=1), 1.0))
    assert message_id(first) != message_id(Observation("q", TS, 1.0))
