"""Answers into observations and dead letters, on a MemoryBus."""

from __future__ import annotations

import pytest

from penworks.bus import MemoryBus
from penworks.connectors.modbus.counters import Counters
from penworks.connectors.modbus.observations import Output, channel, point_value
from penworks.connectors.modbus.plan import Block, Slot
from penworks.core import DeadLetter, Observation, PayloadError, PointKind, Quality
from tests.unit.connectors.modbus.support import binding, point
from tests.unit.connectors.support import T0, FixedClock


def test_point_values_take_the_points_kind() -> None:
    assert point_value(Slot(point("p"), binding(1)), [9, 7], 0) == 7
    assert point_value(Slot(point("p", PointKind.BOOL), binding(0)), [1], 0) is True
    coil = binding(4, function=1, type="bit")
    assert point_value(Slot(point("p"), coil), [False, True], 3) == 1
    with pytest.raises(PayloadError, match="expected a bool"):
        point_value(Slot(point("p", PointKind.BOOL), binding(0)), [2], 0)


def test_channels_name_device_table_and_address() -> None:
    assert channel("plc", 3, 100) == "plc/hr/100"
    assert channel("plc", 1, 0) == "plc/coil/0"


async def test_a_point_goes_bad_once_with_its_last_value() -> None:
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="test")
    counters = Counters()
    output = Output("modbus", bus, FixedClock(), counters)
    known, never = Slot(point("b.known"), binding(0)), Slot(point("b.never"), binding(1))
    await output.answer("plc", Block(3, 0, 1, (known,)), [42])
    await output.bad([known, never])
    await output.bad([known, never])  # already bad: nothing more to say
    messages = [m for _, m in await sub.batch(10)]
    assert messages == [
        Observation("b.known", T0, 42),
        Observation("b.known", T0, 42, Quality.BAD),
    ]
    assert (counters.observations, counters.bad_observations) == (1, 1)
    assert output.latest["b.known"].quality is Quality.BAD


async def test_values_that_do_not_convert_are_kept_as_dead_letters() -> None:
    bus = MemoryBus()
    letters = bus.subscribe("deadletter.modbus", name="letters")
    counters = Counters()
    output = Output("modbus", bus, FixedClock(), counters)
    inf = Slot(point("b.flow"), binding(10, type="float32"))
    text = Slot(point("b.mode", PointKind.TEXT), binding(12))
    await output.answer("plc", Block(3, 10, 3, (inf, text)), [0x7F80, 0x0000, 3])
    got = [m for _, m in await letters.batch(10)]
    assert got == [
        DeadLetter(
            "modbus",
            "plc/hr/10",
            T0,
            "b.flow: float32 registers hold inf, not a finite number",
            b"\x7f\x80\x00\x00",
        ),
        DeadLetter("modbus", "plc/hr/12", T0, "b.mode: expected a text, got int 3", b"\x00\x03"),
    ]
    assert counters.dead_letters == 2
    assert counters.observations == 0
    assert output.latest == {}
