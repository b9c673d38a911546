"""The MQTT broker restarted three times and killed once while numbered QoS 1 observations
flow: every number is stored, none twice.

The short form of `bench/faults.py mqtt` (100,000 observations there). The broker is one
of the test's own, saving its state on every change; the devices and the platform keep
their sessions (named clients, QoS 1), so what the broker acknowledged survives a restart.
A SIGKILL can lose what Mosquitto acknowledged in the instant before its autosave: that is
the broker's own durability bound, so the kill lands once the platform holds everything the
broker acknowledged, with the devices' messages still in flight.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from penworks.config import ApiConfig, MqttConnectorConfig, PlatformConfig
from penworks.core import RealClock
from penworks.model import SiteModel
from penworks.runtime import Platform
from tests.integration.own_servers import OwnMosquitto

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEVICES = 10
START = datetime(2026, 7, 1, tzinfo=UTC)


def numbered_site(devices: int) -> dict[str, object]:
    equipment = [
        {
            "id": f"d{d}",
            "brick": "Electrical_Meter",
            "points": [
                {
                    "id": "seq",
                    "brick": "Sensor",
                    "binding": {
                        "connector": "mqtt",
                        "topic": f"faults/d{d}",
                        "path": "$.n",
                        "ts_path": "$.ts",
                    },
                }
            ],
        }
        for d in range(devices)
    ]
    return {
        "id": "faults",
        "name": "Numbered devices",
        "buildings": [{"id": "b1", "floors": [{"id": "f1", "level": 0, "equipment": equipment}]}],
    }


class NumberedPublisher(threading.Thread):
    """Publishes 0..count-1 at QoS 1 round the devices, through every broker outage: a
    named client with a kept session resends what the broker had not acknowledged."""

    def __init__(
        self,
        port: int,
        count: int,
        faults: dict[int, Callable[[], None]],
        timeout_s: float = 60,
    ) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.count = count
        self.timeout_s = timeout_s  # for every acknowledgement, once all are sent
        self.faults = faults  # at message n, do this to the broker
        self.error: BaseException | None = None
        self.acknowledged = 0  # PUBACKs received (a message sent while down is sent later)
        self._done = threading.Event()
        self._acks = threading.Condition()

    def _on_publish(self, *_: object) -> None:
        with self._acks:
            self.acknowledged += 1
            self._acks.notify_all()
        if self.acknowledged >= self.count:
            self._done.set()

    def _flowing_to(self, n: int) -> None:
        """Wait until the broker has taken the messages before n: a fault lands mid-flow,
        not on a client queue that the broker has not seen yet."""
        with self._acks:
            if not self._acks.wait_for(lambda: self.acknowledged >= n, self.timeout_s):
                raise TimeoutError(f"{self.acknowledged} of {n} acknowledged before a fault")

    def run(self) -> None:
        try:
            client = paho.Client(
                CallbackAPIVersion.VERSION2, client_id="faults-devices", clean_session=False
            )
            client.max_inflight_messages_set(100)
            client.max_queued_messages_set(0)
            client.reconnect_delay_set(0.05, 0.5)  # type: ignore[arg-type]  # floats work
            client.on_publish = self._on_publish
            client.connect("127.0.0.1", self.port)
            client.loop_start()
            for n in range(self.count):
                if n in self.faults:
                    self._flowing_to(n)
                    self.faults[n]()
                ts = (START + timedelta(milliseconds=n)).isoformat()
                body = f'{{"n": {n}, "ts": "{ts}"}}'
                client.publish(f"faults/d{n % DEVICES}", body, qos=1)
            if not self._done.wait(self.timeout_s):
                raise TimeoutError(f"{self.acknowledged} of {self.count} acknowledged")
            client.disconnect()
            client.loop_stop()
        except BaseException as exc:  # reported to the test
            self.error = exc


async def stored_numbers(platform: Platform) -> list[int]:
    assert platform.history is not None
    numbers: list[int] = []
    end = START + timedelta(days=1)
    for d in range(DEVICES):
        rows = await platform.history.range(f"b1.f1.d{d}.seq", START, end, limit=1_000_000)
        numbers.extend(int(r.value) for r in rows)
    return numbers


async def until_stored(platform: Platform, count: int, timeout_s: float = 60) -> list[int]:
    """The numbers stored once `count` rows are there (or the timeout passed)."""
    async with asyncio.timeout(timeout_s):
        # Polling the store: there is no event for rows written in another process.
        while len(numbers := await stored_numbers(platform)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    return numbers


@dataclass(frozen=True)
class Drill:
    numbers: list[int]  # the numbers stored
    delivered: int  # messages the platform received (the broker may deliver one twice)
    published_s: float
    stored_s: float


async def broker_drill(folder: Path, count: int, timeout_s: float = 60) -> Drill:
    """`count` numbered QoS 1 observations through three restarts and one kill of the
    broker, into the embedded platform."""
    broker = OwnMosquitto(folder / "broker")
    broker.start()
    site = folder / "site.yaml"
    site.write_text(yaml.safe_dump(numbered_site(DEVICES)))
    config = PlatformConfig(
        site=site,
        data_dir=folder / "data",
        api=ApiConfig(port=0),
        connectors=[
            MqttConnectorConfig(type="mqtt", url=broker.url, client_id="faults-platform", qos=1)
        ],
    )
    platform = Platform(config, RealClock(), SiteModel.load(site))
    running = asyncio.create_task(platform.run())
    try:
        if not await platform.wait_inputs_online(10):
            raise RuntimeError("the platform did not reach the broker")
        loop = asyncio.get_running_loop()
        killed_at = 3 * count // 5

        def kill() -> None:
            # Mosquitto acknowledges a QoS 1 message before its state is on disk (autosave
            # comes after), so a SIGKILL in that window loses the message in the broker
            # itself. The kill lands once the platform holds what the broker acknowledged:
            # what is then in flight is the devices' own, and their session resends it.
            delivered = until_stored(platform, killed_at, timeout_s)
            asyncio.run_coroutine_threadsafe(delivered, loop).result()
            broker.restart(signal.SIGKILL)

        faults = {
            count // 5: broker.restart,
            2 * count // 5: broker.restart,
            killed_at: kill,
            4 * count // 5: broker.restart,
        }
        began = time.perf_counter()
        publisher = NumberedPublisher(broker.port, count, faults, timeout_s)
        publisher.start()
        await asyncio.to_thread(publisher.join, timeout_s * 2)
        if publisher.error is not None:
            raise publisher.error
        published = time.perf_counter() - began
        numbers = await until_stored(platform, count, timeout_s)
        stored = time.perf_counter() - began
    finally:
        platform.request_stop()
        await running
        broker.stop()
    delivered = int(platform.connectors[0].stats()["received"])
    return Drill(numbers, delivered, published, stored)


async def test_no_number_lost_or_stored_twice_through_broker_restarts_and_a_kill(
    tmp_path: Path,
) -> None:
    drill = await broker_drill(tmp_path, 600)
    assert sorted(drill.numbers) == list(range(600))  # none missing, none twice
