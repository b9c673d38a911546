"""BACnet values in (decoded, status flags as quality) and out (commands encoded by type)."""

from __future__ import annotations

import pytest
from bacpypes3.basetypes import BinaryPV, EngineeringUnits, StatusFlags
from bacpypes3.primitivedata import (
    Boolean,
    CharacterString,
    Double,
    Integer,
    Null,
    Real,
    Unsigned,
)

from penworks.connectors.bacnet.objects import ObjectRef
from penworks.connectors.bacnet.values import (
    Undecoded,
    describe,
    encode_command,
    plain,
    point_value,
    quality,
    relinquish_value,
    status_flags,
)
from penworks.core import PayloadError, Point, PointKind, Quality


def _id(value: object) -> str:
    """A test id (pytest cannot make one of a CharacterString, a str that encodes itself)."""
    return repr(value)[:40]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Real(21.5), 21.5),
        (Double(1e6), 1e6),
        (Unsigned(3), 3),
        (Integer(-4), -4),
        (Boolean(True), True),
        (BinaryPV("active"), True),
        (BinaryPV("inactive"), False),
        (CharacterString("Zone Temp"), "Zone Temp"),
        (EngineeringUnits("degreesCelsius"), "degrees-celsius"),
    ],
    ids=_id,
)
def test_decoded_values_become_plain(raw: object, expected: object) -> None:
    value = plain(raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (Null(()), "null"),
        (Undecoded("bacpypes3 cannot decode it"), "cannot decode"),
        (StatusFlags([0, 0, 0, 0]), "StatusFlags is not a number"),
    ],
)
def test_values_that_are_no_value(raw: object, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        plain(raw)


def test_point_values_follow_the_point_kind() -> None:
    number, flag, text = (Point("p", "X", kind=k) for k in PointKind)
    assert point_value(number, BinaryPV("active")) == 1  # a binary object as 1/0
    assert point_value(flag, Unsigned(0)) is False
    assert point_value(text, CharacterString("auto")) == "auto"
    with pytest.raises(PayloadError, match="expected a number"):
        point_value(number, CharacterString("Zone Temp"))
    with pytest.raises(PayloadError, match="expected a bool"):
        point_value(flag, Real(0.5))
    assert describe(CharacterString("Zone Temp")) == b"CharacterString Zone Temp"


@pytest.mark.parametrize(
    ("flags", "out_of_service", "expected"),
    [
        ([0, 0, 0, 0], False, Quality.GOOD),
        ([1, 0, 0, 0], False, Quality.GOOD),  # in alarm: the value is real
        ([0, 1, 0, 0], False, Quality.BAD),  # fault
        ([1, 1, 1, 1], True, Quality.BAD),  # a fault outweighs the rest
        ([0, 0, 1, 0], False, Quality.UNCERTAIN),  # overridden
        ([0, 0, 0, 1], False, Quality.UNCERTAIN),  # out of service
        ([0, 0, 0, 0], True, Quality.UNCERTAIN),  # the property says so
        (None, None, Quality.GOOD),  # nothing known against the value
    ],
)
def test_status_flags_make_the_quality(
    flags: list[int] | None, out_of_service: bool | None, expected: Quality
) -> None:
    raw = None if flags is None else StatusFlags(flags)
    oos = None if out_of_service is None else Boolean(out_of_service)
    assert quality(status_flags(raw), oos) is expected


@pytest.mark.parametrize(
    ("obj", "value", "datatype", "expected"),
    [
        ("analog-output,1", 42, Real, 42.0),
        ("analog-value,2", 13.5, Real, 13.5),
        ("large-analog-value,1", 2.5, Double, 2.5),
        ("binary-output,1", True, BinaryPV, BinaryPV("active")),
        ("binary-value,1", 0, BinaryPV, BinaryPV("inactive")),
        ("multi-state-output,1", 3, Unsigned, 3),
        ("multi-state-value,1", 2.0, Unsigned, 2),
        ("integer-value,1", -5, Integer, -5),
        ("characterstring-value,1", "auto", CharacterString, "auto"),
    ],
    ids=_id,
)
def test_commands_are_encoded_as_the_object_type_takes_them(
    obj: str, value: object, datatype: type, expected: object
) -> None:
    encoded = encode_command(ObjectRef.parse(obj), value)  # type: ignore[arg-type]
    assert isinstance(encoded, datatype)
    assert encoded == expected


@pytest.mark.parametrize(
    ("obj", "value", "why"),
    [
        ("analog-output,1", True, "takes a number"),
        ("analog-output,1", "50", "takes a number"),
        ("analog-output,1", float("nan"), "finite"),
        ("binary-output,1", 2, "true/false"),
        ("multi-state-value,1", 2.5, "whole number"),
        ("multi-state-value,1", 0, "from 1"),
        ("characterstring-value,1", 3, "takes a text"),
        ("schedule,1", 1, "not an object type"),
    ],
)
def test_commands_that_do_not_fit_the_object(obj: str, value: object, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        encode_command(ObjectRef.parse(obj), value)  # type: ignore[arg-type]


def test_relinquish_writes_null() -> None:
    assert isinstance(relinquish_value(), Null)
