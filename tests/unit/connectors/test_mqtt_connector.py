"""The connector's mapping onto a MemoryBus, its refusals and its command checks; no broker."""

from __future__ import annotations

import json

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import Connector, DeviceState
from penworks.connectors.mqtt import MqttConnector
from penworks.core import (
    CommandRejected,
    ConfigError,
    ConnectorError,
    DeadLetter,
    Observation,
    PointKind,
    UnknownPointError,
)
from tests.unit.connectors.mqtt_support import T0, FixedClock, binding, next_message, point, take

POINTS = [
    (point("b15.r1.temp"), binding("b15/r1/env", "$.temp")),
    (point("b15.r1.co2"), binding("b15/r1/env", "$.co2")),
    (point("b15.r1.occupied", PointKind.BOOL), binding("b15/r1/env", "$.occ")),
    (
        point("b15.r1.setpoint", writable=True, min=16.0, max=28.0),
        binding(
            "b15/r1/hvac", "$.setpoint", command_topic="b15/r1/hvac/set", command_key="setpoint"
        ),
    ),
    (point("b15.r1.fan", writable=True), binding("b15/r1/hvac", "$.fan")),
    (
        point("b15.r1.mode", PointKind.TEXT),
        binding("b15/r1/hvac", "$.mode", command_topic="b15/r1/mode/set"),
    ),
]


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus()


@pytest.fixture
def connector(bus: MemoryBus) -> MqttConnector:
    return MqttConnector(POINTS, bus, FixedClock(), watch=["b15/#"], name="mqtt_test")


def test_it_is_a_connector(connector: MqttConnector) -> None:
    as_protocol: Connector = connector
    assert as_protocol.name == "mqtt_test"


async def test_observations_go_out_on_their_point_subjects(
    bus: MemoryBus, connector: MqttConnector
) -> None:
    sub = bus.subscribe("obs.>", name="test")
    await connector.ingest("b15/r1/env", b'{"temp": 21.5, "co2": 640, "occ": "on"}')
    assert await take(sub, 3) == [
        ("obs.b15.r1.temp", Observation("b15.r1.temp", T0, 21.5)),
        ("obs.b15.r1.co2", Observation("b15.r1.co2", T0, 640)),
        ("obs.b15.r1.occupied", Observation("b15.r1.occupied", T0, True)),
    ]
    assert await connector.read("b15.r1.co2") == Observation("b15.r1.co2", T0, 640)
    assert await connector.read("b15.r1.setpoint") is None
    with pytest.raises(UnknownPointError):
        await connector.read("b15.nowhere")


@pytest.mark.parametrize(
    ("topic", "payload", "reasons"),
    [
        ("b15/r1/env", b"\xff\xfe\x00", ["not_utf8: payload is not UTF-8"]),
        ("b15/r1/env", b"temp=21", ["not_json: payload is not JSON"]),
        ("b15/r9/env", b'{"temp": 1}', ["unbound_topic: no point is bound to this topic"]),
        (
            "b15/r1/env",
            b'{"temp": "warm", "co2": NaN, "occ": 1}',
            [
                "wrong_kind: b15.r1.temp: expected a number, got text at $.temp",
                "not_finite: b15.r1.co2: non-finite number at $.co2",
            ],
        ),
        (
            "b15/r1/env",
            b'{"temp": 20, "occ": true}',
            ["missing_path: b15.r1.co2: nothing at $.co2"],
        ),
    ],
)
async def test_bad_input_becomes_dead_letters_with_reasons(
    bus: MemoryBus, connector: MqttConnector, topic: str, payload: bytes, reasons: list[str]
) -> None:
    letters = bus.subscribe("deadletter.mqtt_test", name="letters")
    await connector.ingest(topic, payload)
    got = [message for _, message in await take(letters, len(reasons))]
    assert got == [DeadLetter("mqtt_test", topic, T0, reason, payload) for reason in reasons]
    assert letters.stats().depth == 0
    assert connector.stats()["dead_letters"] == len(reasons)


async def test_good_points_of_a_payload_survive_a_bad_one_and_the_pipeline_goes_on(
    bus: MemoryBus, connector: MqttConnector
) -> None:
    obs = bus.subscribe("obs.>", name="obs")
    letters = bus.subscribe("deadletter.>", name="letters")
    await connector.ingest("b15/r1/env", b'{"temp": "warm", "co2": 500, "occ": false}')
    await connector.ingest("b15/r1/env", b"garbage")
    await connector.ingest("b15/r1/env", b'{"temp": 22, "co2": 510, "occ": true}')
    values = [(m.point, m.value) for _, m in await take(obs, 5) if isinstance(m, Observation)]
    assert values == [
        ("b15.r1.co2", 500),
        ("b15.r1.occupied", False),
        ("b15.r1.temp", 22),
        ("b15.r1.co2", 510),
        ("b15.r1.occupied", True),
    ]
    assert len(await take(letters, 2)) == 2
    stats = connector.stats()
    assert stats["received"] == 3
    assert stats["observations"] == 5
    assert stats["dead_letters"] == 2
    assert stats["dead_letters.wrong_kind"] == 1
    assert stats["dead_letters.not_json"] == 1


async def test_dead_letters_are_counted_per_topic_and_reason(
    bus: MemoryBus, connector: MqttConnector
) -> None:
    for _ in range(3):
        await connector.ingest("b15/r9/env", b"{}")
    await connector.ingest("b15/r1/env", b"{}")
    await connector.ingest("b15/r1/env", b"x")
    assert connector.dead_letter_counts() == {
        ("b15/r9/env", "unbound_topic"): 3,
        ("b15/r1/env", "missing_path"): 3,
        ("b15/r1/env", "not_json"): 1,
    }


async def test_own_commands_seen_through_a_watch_filter_are_not_dead_letters(
    bus: MemoryBus, connector: MqttConnector
) -> None:
    letters = bus.subscribe("deadletter.>", name="letters")
    await connector.ingest("b15/r1/hvac/set", b'{"setpoint": 21}')
    assert letters.stats().depth == 0
    assert connector.stats()["command_echoes"] == 1


@pytest.mark.parametrize(
    ("point_id", "value", "why"),
    [
        ("b15.nowhere", 1, "not a point of connector mqtt_test"),
        ("b15.r1.temp", 21, "not writable"),
        ("b15.r1.fan", 1, "has no command_topic"),
        ("b15.r1.setpoint", 35, "above the point's maximum"),
        ("b15.r1.setpoint", "warm", "expected a number"),
        ("b15.r1.setpoint", float("nan"), "finite"),
    ],
)
async def test_refused_commands_raise_command_rejected(
    connector: MqttConnector, point_id: str, value: object, why: str
) -> None:
    with pytest.raises(CommandRejected, match=why):
        await connector.write(point_id, value)  # type: ignore[arg-type]


async def test_relinquish_checks_the_point_too(connector: MqttConnector) -> None:
    with pytest.raises(CommandRejected, match="not writable"):
        await connector.relinquish("b15.r1.temp")


async def test_commands_need_a_connection(connector: MqttConnector) -> None:
    with pytest.raises(ConnectorError, match="not connected"):
        await connector.write("b15.r1.setpoint", 21)
    with pytest.raises(ConnectorError, match="not connected"):
        await connector.relinquish("b15.r1.setpoint")


def test_health_before_connecting_is_offline(connector: MqttConnector) -> None:
    [health] = connector.health()
    assert health.connector == "mqtt_test"
    assert health.state is DeviceState.OFFLINE
    assert health.last_contact is None
    assert health.errors == 0


def test_subscribes_to_watch_filters_and_uncovered_topics_only(bus: MemoryBus) -> None:
    connector = MqttConnector(POINTS, bus, FixedClock(), watch=["b15/+/env"])
    assert connector.filters == ["b15/+/env", "b15/r1/hvac"]


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"qos": 3}, "qos"),
        ({"watch": ["b15/#/x"]}, "last level"),
        ({"url": "tcp://127.0.0.1:1883"}, "broker url"),
    ],
)
def test_bad_settings_are_config_errors(
    bus: MemoryBus, kwargs: dict[str, object], why: str
) -> None:
    with pytest.raises(ConfigError, match=why):
        MqttConnector(POINTS, bus, FixedClock(), **kwargs)  # type: ignore[arg-type]


async def test_a_watch_flood_of_stray_topics_keeps_counting_within_bounds(bus: MemoryBus) -> None:
    connector = MqttConnector([], bus, FixedClock(), watch=["#"])
    sub = bus.subscribe("deadletter.>", name="letters", maxsize=100_000)
    for i in range(10_050):
        await connector.ingest(f"stray/{i}", json.dumps(i).encode())
    counts = connector.dead_letter_counts()
    assert len(counts) == 10_001
    assert counts[("(other topics)", "unbound_topic")] == 50
    assert sum(counts.values()) == 10_050
    assert sub.stats().depth == 10_050
    _, last = await next_message(sub)
    assert isinstance(last, DeadLetter)
