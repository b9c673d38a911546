"""Values between OPC UA and points: quality, time, kinds, scale, and what a node type holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asyncua import ua

from penworks.connectors.opcua.points import PointEntry
from penworks.connectors.opcua.values import (
    data_time,
    natural_type,
    quality_of,
    raw_value,
    status_text,
    to_variant,
)
from penworks.core import PayloadError, PointKind, Quality
from tests.unit.connectors.opcua.peer import binding, point

VT = ua.VariantType
SOURCE = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
SERVER = datetime(2025, 3, 1, 12, 0, 1, tzinfo=UTC)
RECEIPT = datetime(2025, 3, 1, 12, 0, 2, tzinfo=UTC)
SC = ua.StatusCodes
HALT = ua.LocalizedText("Halt")


def entry(kind: PointKind = PointKind.NUMBER, **fields: float) -> PointEntry:
    bound = binding("Lift1.Position", **fields)
    return PointEntry(point("b15.p", kind), bound, ua.NodeId.from_string(bound.node), "lifts/x", 1)


@pytest.mark.parametrize(
    ("code", "quality"),
    [
        (SC.Good, Quality.GOOD),
        (SC.UncertainLastUsableValue, Quality.UNCERTAIN),
        (SC.BadSensorFailure, Quality.BAD),
        (SC.BadNodeIdUnknown, Quality.BAD),
    ],
)
def test_status_severity_is_the_quality(code: int, quality: Quality) -> None:
    assert quality_of(ua.StatusCode(code)) is quality


def test_no_status_is_good_and_names_read_as_the_spec_spells_them() -> None:
    assert quality_of(None) is Quality.GOOD
    assert status_text(ua.StatusCode(SC.BadUserAccessDenied)) == "BadUserAccessDenied"
    with_limit_bits = ua.StatusCode(SC.UncertainLastUsableValue | 0x100)
    assert status_text(with_limit_bits) == "UncertainLastUsableValue"
    assert status_text(ua.StatusCode(0x80FF0000)) == "Bad (0x80FF0000)"


def test_time_is_the_sources_else_the_servers_else_receipt() -> None:
    def receipt() -> datetime:
        return RECEIPT

    both = ua.DataValue(ua.Variant(1.0), SourceTimestamp=SOURCE, ServerTimestamp=SERVER)
    assert data_time(both, receipt) == SOURCE
    assert data_time(ua.DataValue(ua.Variant(1.0), ServerTimestamp=SERVER), receipt) == SERVER
    assert data_time(ua.DataValue(ua.Variant(1.0)), receipt) == RECEIPT


def test_raw_values_unwrap_localized_text() -> None:
    assert raw_value(ua.DataValue(ua.Variant(ua.LocalizedText("auto")))) == "auto"
    assert raw_value(ua.DataValue(ua.Variant(None))) is None


def test_reading_keeps_the_kind_and_applies_scale_and_offset() -> None:
    assert entry().convert(7) == 7
    assert isinstance(entry().convert(7), int)  # Int32 stays a whole number
    assert entry(scale=0.1, offset=-5.0).convert(600) == pytest.approx(55.0)
    assert entry(PointKind.BOOL).convert(1) is True
    assert entry(PointKind.TEXT).convert("auto") == "auto"


@pytest.mark.parametrize(
    ("kind", "raw", "why"),
    [
        (PointKind.NUMBER, "fast", "expected a number"),
        (PointKind.NUMBER, True, "expected a number"),
        (PointKind.NUMBER, float("nan"), "finite"),
        (PointKind.BOOL, "perhaps", "expected a bool"),
        (PointKind.TEXT, 3.0, "expected a text"),
        (PointKind.NUMBER, [1.0, 2.0], "array of 2"),
        (PointKind.NUMBER, None, "expected a number"),
    ],
)
def test_values_that_do_not_fit_the_point_say_why(kind: PointKind, raw: object, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        entry(kind).convert(raw)


@pytest.mark.parametrize(
    ("value", "vtype", "scale", "offset", "sent"),
    [
        (2.0, VT.Int32, 1.0, 0.0, ua.Variant(2, VT.Int32)),
        (1.2, VT.UInt16, 0.1, 0.0, ua.Variant(12, VT.UInt16)),
        (21.5, VT.Int16, 0.5, 0.0, ua.Variant(43, VT.Int16)),
        (55.0, VT.Double, 0.1, -5.0, ua.Variant(600.0, VT.Double)),
        (3, VT.Float, 1.0, 0.0, ua.Variant(3.0, VT.Float)),
        (True, VT.Boolean, 1.0, 0.0, ua.Variant(True, VT.Boolean)),
        (1, VT.Boolean, 1.0, 0.0, ua.Variant(True, VT.Boolean)),
        (True, VT.Byte, 1.0, 0.0, ua.Variant(1, VT.Byte)),
        ("service", VT.String, 1.0, 0.0, ua.Variant("service", VT.String)),
        (
            "Halt",
            VT.LocalizedText,
            1.0,
            0.0,
            ua.Variant(ua.LocalizedText("Halt"), VT.LocalizedText),
        ),
    ],
)
def test_writes_use_the_nodes_type_and_invert_scale(
    value: float | bool | str, vtype: ua.VariantType, scale: float, offset: float, sent: ua.Variant
) -> None:
    got = to_variant(value, vtype, scale, offset)
    assert got == sent
    assert type(got.Value) is type(sent.Value)


@pytest.mark.parametrize(
    ("value", "vtype", "scale", "why"),
    [
        (2.5, VT.Int32, 1.0, "not a whole number"),
        (300, VT.Byte, 1.0, r"outside the range of Byte \(0..255\)"),
        (-1, VT.UInt32, 1.0, "outside the range of UInt32"),
        (1e39, VT.Float, 1.0, "does not fit in Float"),
        (2, VT.Boolean, 1.0, "expected 0 or 1"),
        ("fast", VT.Double, 1.0, "expected a number"),
        (1.0, VT.String, 1.0, "expected a text"),
        (1.0, VT.DateTime, 1.0, "holds DateTime"),
        (1.0, VT.Double, 0.0, "scale is 0"),
    ],
)
def test_writes_the_node_cannot_hold_are_refused(
    value: float | str, vtype: ua.VariantType, scale: float, why: str
) -> None:
    with pytest.raises(PayloadError, match=why):
        to_variant(value, vtype, scale, 0.0)


def test_abstract_node_types_take_the_values_own_type() -> None:
    assert natural_type(True) is VT.Boolean
    assert natural_type(3) is VT.Int64
    assert natural_type(2.5) is VT.Double
    assert natural_type("x") is VT.String
