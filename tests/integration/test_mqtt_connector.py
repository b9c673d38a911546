"""The MQTT connector against real brokers: the machine's Mosquitto and the embedded one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from penworks.broker import EmbeddedBroker
from penworks.bus import MemoryBus, Message, Subscription, SubscriptionStats
from penworks.connectors import DeviceState
from penworks.connectors.mqtt import MqttConnector
from penworks.connectors.mqtt.buffered import BufferedSocket
from penworks.connectors.mqtt.topics import broker_address
from penworks.core import (
    CommandRejected,
    ConfigError,
    ConnectorError,
    DeadLetter,
    Observation,
    PointKind,
    RealClock,
)
from tests.conftest import require_service
from tests.integration.own_servers import OwnMosquitto
from tests.unit.connectors.mqtt_support import binding, point, take
from tests.unit.pipeline.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(params=["embedded", "mosquitto"])
async def broker_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "mosquitto":
        require_service("mosquitto", "127.0.0.1", 1883)
        yield "mqtt://127.0.0.1:1883"
    else:
        async with EmbeddedBroker() as broker:
            yield broker.url


@pytest.fixture
def prefix() -> str:
    return f"penworks-test/{uuid.uuid4().hex[:12]}"


@contextlib.asynccontextmanager
async def running(connector: MqttConnector) -> AsyncIterator[MqttConnector]:
    task = asyncio.create_task(connector.run(), name="connector")
    try:
        async with asyncio.timeout(10):
            await connector.wait_state(DeviceState.ONLINE)
        yield connector
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def device(url: str) -> AsyncIterator[aiomqtt.Client]:
    host, port = broker_address(url)
    async with aiomqtt.Client(host, port) as client:
        yield client


def _points(prefix: str) -> list[tuple[object, object]]:
    return [
        (point("b15.r1.temp"), binding(f"{prefix}/r1/env", "$.temp", ts_path="$.ts")),
        (point("b15.r1.co2"), binding(f"{prefix}/r1/env", "$.co2", ts_path="$.ts")),
        (point("b15.r1.occupied", PointKind.BOOL), binding(f"{prefix}/r1/env", "$.occ")),
        (point("b15.meter.power"), binding(f"{prefix}/meter", "$.p", scale=0.001)),
        (point("b15.meter.energy"), binding(f"{prefix}/meter", "$.e", ts_path="$.t_ms")),
        (
            point("b15.r1.setpoint", writable=True, min=16.0, max=28.0),
            binding(
                f"{prefix}/r1/hvac",
                "$.setpoint",
                command_topic=f"{prefix}/r1/hvac/set",
                command_key="setpoint",
            ),
        ),
        (point("b15.r1.temp_ro"), binding(f"{prefix}/r1/hvac", "$.temp")),
    ]


def _connector(url: str, prefix: str, bus: MemoryBus, **kwargs: object) -> MqttConnector:
    return MqttConnector(_points(prefix), bus, RealClock(), url=url, **kwargs)  # type: ignore[arg-type]


async def test_observations_arrive_with_their_values_and_timestamps(
    broker_url: str, prefix: str
) -> None:
    bus = MemoryBus()
    obs = bus.subscribe("obs.>", name="obs")
    async with running(_connector(broker_url, prefix, bus)) as connector, device(broker_url) as dev:
        before = datetime.now(UTC)
        env = {"temp": 21.5, "co2": 612, "occ": "on", "ts": "2025-03-01T13:00:00+01:00"}
        await dev.publish(f"{prefix}/r1/env", json.dumps(env), qos=1)
        await dev.publish(
            f"{prefix}/meter",
            json.dumps({"p": 4200, "e": 1234.5, "t_ms": 1_740_830_400_000}),
            qos=1,
        )
        got = {m.point: m for _, m in await take(obs, 5) if isinstance(m, Observation)}
        after = datetime.now(UTC)
    stamped = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert got["b15.r1.temp"] == Observation("b15.r1.temp", stamped, 21.5)
    assert got["b15.r1.co2"] == Observation("b15.r1.co2", stamped, 612)
    assert got["b15.meter.energy"] == Observation("b15.meter.energy", stamped, 1234.5)
    assert got["b15.r1.occupied"].value is True
    assert before <= got["b15.r1.occupied"].ts <= after  # no ts_path: time of receipt
    assert got["b15.meter.power"].value == pytest.approx(4.2)
    assert connector.stats()["observations"] == 5
    assert await connector.read("b15.r1.co2") == got["b15.r1.co2"]
    seen = connector.last_seen()
    assert sorted(seen) == [f"{prefix}/meter", f"{prefix}/r1/env"]
    assert all(before <= ts <= after for ts in seen.values())


async def test_bad_payloads_become_dead_letters_while_good_ones_keep_flowing(
    broker_url: str, prefix: str
) -> None:
    bus = MemoryBus()
    obs = bus.subscribe("obs.b15.r1.occupied", name="obs")
    letters = bus.subscribe("deadletter.mqtt", name="letters")
    connector = _connector(broker_url, prefix, bus, watch=[f"{prefix}/#"])
    async with running(connector), device(broker_url) as dev:
        topic = f"{prefix}/r1/env"
        sent = [
            (topic, b'{"occ": true, "temp": 20, "co2": 500, "ts": 1740830400}'),
            (topic, b"not json"),
            (topic, b"\xff\xfe"),
            (topic, b'{"occ": "maybe", "temp": 20, "co2": 500, "ts": "2025-03-01T12:00:00"}'),
            (f"{prefix}/stray", b'{"x": 1}'),
            (topic, b'{"occ": false, "temp": 21, "co2": 510, "ts": 1740830401}'),
        ]
        for where, payload in sent:
            await dev.publish(where, payload, qos=1)
        values = [m.value for _, m in await take(obs, 2) if isinstance(m, Observation)]
        dead = [m for _, m in await take(letters, 5) if isinstance(m, DeadLetter)]
    assert values == [True, False]
    assert [(d.channel, d.reason.split(":")[0], d.payload) for d in dead] == [
        (topic, "not_json", b"not json"),
        (topic, "not_utf8", b"\xff\xfe"),
        (topic, "bad_timestamp", sent[3][1]),
        (topic, "wrong_kind", sent[3][1]),
        (f"{prefix}/stray", "unbound_topic", b'{"x": 1}'),
    ]
    assert connector.dead_letter_counts()[(topic, "not_json")] == 1
    assert connector.stats()["dead_letters"] == 5


async def test_commands_are_published_as_json_on_the_command_topic(
    broker_url: str, prefix: str
) -> None:
    bus = MemoryBus()
    async with running(_connector(broker_url, prefix, bus)) as connector, device(broker_url) as dev:
        await dev.subscribe(f"{prefix}/r1/hvac/set", qos=1)
        before = datetime.now(UTC)
        with pytest.raises(CommandRejected, match="maximum"):
            await connector.write("b15.r1.setpoint", 40)
        with pytest.raises(CommandRejected, match="not writable"):
            await connector.write("b15.r1.temp_ro", 20)
        await connector.write("b15.r1.setpoint", 22.5)
        await connector.relinquish("b15.r1.setpoint")
        async with asyncio.timeout(5):
            first = json.loads(bytes((await anext(dev.messages)).payload))  # type: ignore[arg-type]
            second = json.loads(bytes((await anext(dev.messages)).payload))  # type: ignore[arg-type]
    assert first["setpoint"] == 22.5  # the refused 40 never went out: this is the first message
    assert before <= datetime.fromisoformat(first["ts"]) <= datetime.now(UTC)
    assert set(first) == {"setpoint", "ts"}
    assert second["setpoint"] is None
    assert connector.stats()["commands"] == 2


async def test_scan_finds_the_keys_on_the_watched_topics(broker_url: str, prefix: str) -> None:
    topics = {
        f"{prefix}/r1/env": {"temp_c": 21.5, "co2": 600, "occupied": True},
        f"{prefix}/meter": {"power_kw": 3.2, "energy": {"value": 100, "unit": "kWh"}},
    }
    async with device(broker_url) as dev:
        for topic, body in topics.items():  # retained: the scan sees them as it subscribes
            await dev.publish(topic, json.dumps(body), qos=1, retain=True)
        connector = _connector(broker_url, prefix, MemoryBus(), watch=[f"{prefix}/#"])
        try:
            found = {p.address: p for p in await connector.scan(1.0)}
        finally:
            for topic in topics:
                await dev.publish(topic, b"", qos=1, retain=True)
    assert sorted(found) == [
        f"{prefix}/meter $.energy.value",
        f"{prefix}/meter $.power_kw",
        f"{prefix}/r1/env $.co2",
        f"{prefix}/r1/env $.occupied",
        f"{prefix}/r1/env $.temp_c",
    ]
    bricks = {a.split(" ")[1]: (p.suggested_brick, p.unit) for a, p in found.items()}
    assert bricks["$.temp_c"] == ("Temperature_Sensor", "degC")
    assert bricks["$.co2"] == ("CO2_Sensor", None)
    assert bricks["$.occupied"] == ("Occupancy_Sensor", None)
    assert bricks["$.power_kw"] == ("Electric_Power_Sensor", "kW")
    assert bricks["$.energy.value"] == ("Energy_Sensor", "kWh")
    assert found[f"{prefix}/r1/env $.temp_c"].sample == 21.5


def _client_tasks() -> list[asyncio.Task[object]]:
    """Tasks running code of aiomqtt or of the connector (the broker's own are not counted)."""
    return [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task()
        and any(part in t.get_coro().cr_code.co_filename for part in ("aiomqtt", "connectors"))  # type: ignore[union-attr]
    ]


async def test_cancel_disconnects_cleanly(broker_url: str, prefix: str) -> None:
    connector = _connector(broker_url, prefix, MemoryBus())
    async with running(connector):
        assert connector.health()[0].state is DeviceState.ONLINE
        assert _client_tasks() != []
    [health] = connector.health()
    assert health.state is DeviceState.OFFLINE
    assert health.errors == 0
    await asyncio.sleep(0)  # let aiomqtt's cancelled keepalive task finish
    assert _client_tasks() == []
    with pytest.raises(ConnectorError, match="not connected"):
        await connector.write("b15.r1.setpoint", 21)


@pytest.mark.parametrize("turns", [0, 1, 3, 10, 30])
async def test_a_cancel_during_connect_leaves_no_socket_or_task(
    broker_url: str, prefix: str, turns: int
) -> None:
    connector = _connector(broker_url, prefix, MemoryBus())
    task = asyncio.create_task(connector.run())
    for _ in range(turns):
        await asyncio.sleep(0)
    # Python 3.11's wait_for can swallow a cancel that lands as the connection completes
    # (aiomqtt connects inside one); cancel again until the task ends, within a bound.
    async with asyncio.timeout(10):
        while not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=0.5)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert _client_tasks() == []
    assert connector.health()[0].state is DeviceState.OFFLINE


async def test_a_burst_is_read_in_chunks_with_nothing_lost(broker_url: str, prefix: str) -> None:
    bus = MemoryBus()
    obs = bus.subscribe("obs.>", name="obs", maxsize=100_000)
    count = 2_000
    async with running(_connector(broker_url, prefix, bus)) as connector, device(broker_url) as dev:
        paho = connector._client._client  # type: ignore[union-attr]  # noqa: SLF001
        assert isinstance(paho._sock, BufferedSocket)  # noqa: SLF001
        for i in range(count):
            await dev.publish(f"{prefix}/meter", json.dumps({"p": i}), qos=1)
        got = await take(obs, count)
    powers = [m.value for _, m in got if isinstance(m, Observation) and m.point.endswith("power")]
    assert powers == [pytest.approx(i / 1000) for i in range(count)]  # each once, in order


async def test_a_share_group_takes_each_message_once_across_its_connectors(prefix: str) -> None:
    require_service("mosquitto", "127.0.0.1", 1883)
    url, count = "mqtt://127.0.0.1:1883", 200
    buses = [MemoryBus(), MemoryBus()]  # one per gateway process
    subs = [bus.subscribe("obs.>", name="obs", maxsize=1_000) for bus in buses]
    first, second = (_connector(url, prefix, bus, share_group="gateways") for bus in buses)
    async with running(first), running(second), device(url) as dev:
        assert "shared in group gateways" in first.health()[0].detail
        for i in range(count):
            await dev.publish(f"{prefix}/meter", json.dumps({"p": i * 1000}), qos=1)
        await eventually(
            lambda: sum(c.stats()["observations"] for c in (first, second)) >= count, 10
        )
    got = [[m.value for _, m in await take(sub, sub.stats().depth)] for sub in subs]
    assert sorted(got[0] + got[1]) == [float(i) for i in range(count)]  # each once
    assert got[0]  # in turn
    assert got[1]


def test_a_share_group_must_be_one_topic_level() -> None:
    with pytest.raises(ConfigError, match="share group"):
        _connector("mqtt://127.0.0.1:1883", "x", MemoryBus(), share_group="a/b")


class HeldBus:
    """A MemoryBus that has kept nothing published until `kept` is set (as a spooling
    publisher still waiting for NATS): its flush waits for that."""

    def __init__(self) -> None:
        self.inner = MemoryBus()
        self.kept = asyncio.Event()

    async def publish(self, subject: str, message: Message) -> None:
        await self.inner.publish(subject, message)

    async def flush(self) -> None:
        await self.kept.wait()

    def subscribe(self, pattern: str, **options: Any) -> Subscription:
        return self.inner.subscribe(pattern, **options)

    def stats(self) -> list[SubscriptionStats]:
        return self.inner.stats()

    async def close(self) -> None:
        await self.inner.close()


async def test_a_message_is_acknowledged_only_once_the_bus_has_kept_it(prefix: str) -> None:
    require_service("mosquitto", "127.0.0.1", 1883)
    url, client_id = "mqtt://127.0.0.1:1883", f"penworks-test-{uuid.uuid4().hex[:8]}"
    held = HeldBus()
    published = held.inner.subscribe("obs.>", name="obs")
    first = _connector(url, prefix, held, client_id=client_id)  # type: ignore[arg-type]
    async with running(first), device(url) as dev:
        for i in range(5):
            await dev.publish(f"{prefix}/meter", json.dumps({"p": i * 1000}), qos=1)
        assert len(await take(published, 5)) == 5  # mapped and published, never kept
    # That process is gone; its session holds the five, unacknowledged, for the next one.
    bus = MemoryBus()
    again = bus.subscribe("obs.>", name="obs")
    try:
        async with running(_connector(url, prefix, bus, client_id=client_id)):
            got = await take(again, 5)
        assert sorted(m.value for _, m in got) == [0.0, 1.0, 2.0, 3.0, 4.0]  # type: ignore[union-attr]
    finally:
        host, port = broker_address(url)
        async with aiomqtt.Client(host, port, identifier=client_id, clean_session=True):
            pass  # leaves no session behind on the shared broker


async def test_a_broker_account_lets_the_connector_in_and_a_wrong_password_does_not(
    tmp_path: Path, prefix: str
) -> None:
    broker = OwnMosquitto(tmp_path, durable=False, accounts={"gateway": "s3cret"})
    broker.start()
    try:
        bus = MemoryBus()
        good = _connector(broker.url, prefix, bus, username="gateway", password="s3cret")
        async with running(good):
            assert good.health()[0].state is DeviceState.ONLINE
            # Scanning logs in with the same account (retained: there before the scan starts).
            host, port = broker_address(broker.url)
            async with aiomqtt.Client(host, port, username="gateway", password="s3cret") as dev:
                await dev.publish(f"{prefix}/meter", json.dumps({"p": 1}), qos=1, retain=True)
            found = await good.scan(0.5)
            assert [p.address for p in found] == [f"{prefix}/meter $.p"]
        bad = _connector(broker.url, prefix, bus, username="gateway", password="wrong")
        task = asyncio.create_task(bad.run())
        try:
            await eventually(lambda: bad.stats()["errors"] > 0)
            health = bad.health()[0]
            assert health.state is DeviceState.OFFLINE
            assert "refused this connector's account" in health.detail
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        broker.stop()
