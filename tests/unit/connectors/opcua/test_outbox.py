"""What the connector publishes for each DataValue: observations, bad repeats, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime

from asyncua import ua

from penworks.bus import MemoryBus
from penworks.connectors.opcua.outbox import Outbox
from penworks.connectors.opcua.points import PointEntry
from penworks.core import DeadLetter, Observation, PointKind, Quality
from tests.unit.connectors.opcua.peer import binding, point

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = datetime(2025, 3, 1, 11, 59, tzinfo=UTC)
SC = ua.StatusCodes


def entry(kind: PointKind = PointKind.NUMBER) -> PointEntry:
    bound = binding("Lift1.Position")
    return PointEntry(
        point("b15.lift1.position", kind), bound, ua.NodeId.from_string(bound.node), "lifts/p", 1
    )


def data(value: object, code: int = SC.Good, ts: datetime | None = SOURCE) -> ua.DataValue:
    return ua.DataValue(ua.Variant(value), StatusCode=ua.StatusCode(code), SourceTimestamp=ts)


def outbox() -> tuple[Outbox, MemoryBus]:
    bus = MemoryBus()
    return Outbox("opcua", bus, lambda: NOW), bus


async def test_good_data_is_an_observation_at_the_source_time() -> None:
    box, bus = outbox()
    sub = bus.subscribe("obs.>", name="obs")
    assert await box.value(entry(), data(2.5)) is Quality.GOOD
    [(subject, message)] = await sub.batch(10)
    assert subject == "obs.b15.lift1.position"
    assert message == Observation("b15.lift1.position", SOURCE, 2.5, Quality.GOOD)
    assert box.latest("b15.lift1.position") == message
    assert box.counts["observations"] == 1


async def test_uncertain_data_keeps_its_value_and_says_so() -> None:
    box, bus = outbox()
    sub = bus.subscribe("obs.>", name="obs")
    await box.value(entry(), data(3.0, SC.UncertainLastUsableValue))
    [(_, message)] = await sub.batch(10)
    assert isinstance(message, Observation)
    assert (message.value, message.quality) == (3.0, Quality.UNCERTAIN)


async def test_bad_data_repeats_the_last_value_as_bad_and_nothing_without_one() -> None:
    box, bus = outbox()
    sub = bus.subscribe("obs.>", name="obs")
    assert await box.value(entry(), data(None, SC.BadSensorFailure, ts=None)) is None
    assert sub.stats().depth == 0  # no last value: nothing to say
    await box.value(entry(), data(4.0))
    assert await box.value(entry(), data(None, SC.BadSensorFailure, ts=None)) is Quality.BAD
    messages = [m for _, m in await sub.batch(10)]
    assert messages[-1] == Observation("b15.lift1.position", NOW, 4.0, Quality.BAD)


async def test_a_lost_server_repeats_each_last_value_once_as_bad() -> None:
    box, bus = outbox()
    sub = bus.subscribe("obs.>", name="obs")
    await box.value(entry(), data(4.0))
    await box.bad([entry()])
    await box.bad([entry()])  # already bad: not repeated
    messages = [m for _, m in await sub.batch(10)]
    assert messages[1:] == [Observation("b15.lift1.position", NOW, 4.0, Quality.BAD)]


async def test_data_that_does_not_fit_is_a_dead_letter_with_the_reason() -> None:
    box, bus = outbox()
    letters = bus.subscribe("deadletter.opcua", name="dead")
    assert await box.value(entry(PointKind.BOOL), data("perhaps")) is None
    [(_, letter)] = await letters.batch(10)
    assert letter == DeadLetter(
        "opcua", "lifts/p", NOW, "expected a bool, got str 'perhaps'", b"'perhaps'"
    )
    assert box.counts["dead_letters"] == 1
    assert box.latest("b15.lift1.position") is None
