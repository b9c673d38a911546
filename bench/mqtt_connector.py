"""How fast the MQTT connector turns broker messages into observations on the bus.

    .venv/bin/python bench/mqtt_connector.py                      # embedded broker (own process)
    .venv/bin/python bench/mqtt_connector.py --url mqtt://127.0.0.1:1883 -n 100000

A separate publisher process sends N small JSON messages (spread over 100 topics, one point
each). Three figures come out:
  connector  messages/s decoded to observations, counted by a MemoryBus subscriber
  raw        messages/s a bare counting aiomqtt subscriber drains from the same broker
  ingest     messages/s of the connector's mapping alone (ingest() called directly, no broker)
A broker that drops what a slow subscriber cannot take shows as received < sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import child_process  # noqa: E402

from penworks.broker import EmbeddedBroker  # noqa: E402
from penworks.bus import MemoryBus  # noqa: E402
from penworks.connectors import DeviceState  # noqa: E402
from penworks.connectors.mqtt import MqttConnector  # noqa: E402
from penworks.connectors.mqtt.buffered import Received, reading_client  # noqa: E402
from penworks.connectors.mqtt.topics import broker_address  # noqa: E402
from penworks.core import Point, RealClock  # noqa: E402
from penworks.model.schema import MqttBinding  # noqa: E402

TOPICS = 100
WINDOW = 1000  # messages a publisher keeps outstanding


@dataclass(frozen=True)
class Result:
    name: str
    sent: int
    received: int
    seconds: float

    def line(self) -> str:
        rate = self.received / self.seconds if self.seconds > 0 else 0.0
        lost = f", {self.sent - self.received} not received" if self.received < self.sent else ""
        return (
            f"{self.name:<10} {rate:>10,.0f} msg/s  "
            f"({self.received:,} of {self.sent:,} in {self.seconds:.2f} s{lost})"
        )


def topic(prefix: str, i: int) -> str:
    return f"{prefix}/dev/{i % TOPICS}"


def payload(i: int) -> bytes:
    return json.dumps({"t": 21.5 + (i % 10) / 10, "n": i}).encode()


def bindings(prefix: str) -> list[tuple[Point, MqttBinding]]:
    return [
        (
            Point(f"bench.dev{i}.temp", "Temperature_Sensor"),
            MqttBinding(connector="mqtt", topic=topic(prefix, i), path="$.t"),
        )
        for i in range(TOPICS)
    ]


# -- child processes ----------------------------------------------------------------------


def run_publisher(url: str, prefix: str, count: int, qos: int) -> None:
    """Publish `count` messages as fast as the client allows, then wait until all are sent.

    At most WINDOW messages are outstanding, so QoS 1 message ids never wrap onto ones in flight.
    """
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = broker_address(url)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{prefix[-8:]}")
    client.max_inflight_messages_set(WINDOW)
    client.connect(host, port)
    client.loop_start()
    outstanding: deque[paho.MQTTMessageInfo] = deque()
    for i in range(count):
        outstanding.append(client.publish(topic(prefix, i), payload(i), qos=qos))
        if len(outstanding) > WINDOW:
            outstanding.popleft().wait_for_publish(timeout=60)
    for info in outstanding:
        info.wait_for_publish(timeout=60)
    client.disconnect()
    client.loop_stop()


async def run_broker() -> None:
    """An embedded broker on a free port; prints the port and runs until stdin closes."""
    async with EmbeddedBroker() as broker:
        print(broker.port, flush=True)
        await asyncio.to_thread(sys.stdin.read)


@contextlib.asynccontextmanager
async def broker_process() -> AsyncIterator[str]:
    async with child_process(__file__, "broker") as (_, port):
        yield f"mqtt://127.0.0.1:{port}"


async def publish_from_another_process(url: str, prefix: str, count: int, qos: int) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "publish", url, prefix, str(count), str(qos)
    )
    if await process.wait() != 0:
        raise RuntimeError(f"publisher exited with {process.returncode}")


# -- measurements ------------------------------------------------------------------------


class Counter:
    """Counts arrivals; remembers the first and the last arrival time."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()
        self.progress = asyncio.Event()

    def add(self, n: int) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self.first = now
        self.count += n
        self.last = now
        self.progress.set()
        if self.count >= self.expected:
            self.done.set()

    async def wait(self, idle_s: float) -> None:
        """Until all arrived, or nothing arrived for idle_s (the rest was lost)."""
        while not self.done.is_set():
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), idle_s)
            except TimeoutError:
                return

    def result(self, name: str) -> Result:
        return Result(name, self.expected, self.count, self.last - self.first)


async def measure_connector(url: str, count: int, qos: int, idle_s: float) -> Result:
    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="count", maxsize=1_000_000)
    counter = Counter(count)

    async def count_observations() -> None:
        while batch := await sub.batch(10_000):
            counter.add(len(batch))

    connector = MqttConnector(bindings(prefix), bus, RealClock(), url=url, qos=qos, name="bench")
    async with asyncio.TaskGroup() as tasks:
        run = tasks.create_task(connector.run())
        counting = tasks.create_task(count_observations())
        await asyncio.wait_for(connector.wait_state(DeviceState.ONLINE), 10)
        await publish_from_another_process(url, prefix, count, qos)
        await counter.wait(idle_s)
        run.cancel()
        counting.cancel()
    dead = connector.stats()["dead_letters"]
    if dead:
        print(f"  ({dead} dead letters)")
    return counter.result("connector")


async def measure_raw(url: str, count: int, qos: int, idle_s: float) -> Result:
    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    host, port = broker_address(url)
    counter = Counter(count)

    # Read as the connector reads: large socket reads, no task per message.
    inbox: asyncio.Queue[Received] = asyncio.Queue()

    async def drain() -> None:
        while True:
            await inbox.get()
            counter.add(1 + inbox.qsize())
            while not inbox.empty():
                inbox.get_nowait()

    async with reading_client(inbox, host, port) as client, asyncio.TaskGroup() as tasks:
        await client.subscribe(f"{prefix}/#", qos=qos)
        draining = tasks.create_task(drain())
        await publish_from_another_process(url, prefix, count, qos)
        await counter.wait(idle_s)
        draining.cancel()
    return counter.result("raw")


async def measure_ingest(count: int) -> Result:
    prefix = "bench/ingest"
    bus = MemoryBus()
    sub = bus.subscribe("obs.>", name="count", maxsize=count + 1)
    connector = MqttConnector(bindings(prefix), bus, RealClock(), name="bench")
    messages = [(topic(prefix, i), payload(i)) for i in range(count)]
    ingest = connector.ingest
    start = time.perf_counter()
    for where, body in messages:
        await ingest(where, body)
    seconds = time.perf_counter() - start
    return Result("ingest", count, sub.stats().depth, seconds)


async def main(args: argparse.Namespace) -> None:
    async with contextlib.AsyncExitStack() as stack:
        url = args.url or await stack.enter_async_context(broker_process())
        where = url if args.url else f"embedded broker ({url}, own process)"
        print(f"{args.count:,} messages, QoS {args.qos}, {TOPICS} topics, broker: {where}")
        for _ in range(args.repeat):
            connector = await measure_connector(url, args.count, args.qos, args.idle)
            print(connector.line(), flush=True)
            raw = await measure_raw(url, args.count, args.qos, args.idle)
            print(raw.line(), flush=True)
    print((await measure_ingest(args.count)).line())


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--count", type=int, default=100_000, help="messages to publish")
    parser.add_argument("--url", help="broker url (default: an embedded broker in its own process)")
    parser.add_argument(
        "--qos", type=int, default=0, choices=(0, 1, 2), help="publish/subscribe QoS"
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of connector and raw runs")
    parser.add_argument(
        "--idle", type=float, default=3.0, help="give up after this long with no arrivals"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["publish"]:
        url, prefix, count, qos = sys.argv[2:6]
        run_publisher(url, prefix, int(count), int(qos))
    elif sys.argv[1:2] == ["broker"]:
        asyncio.run(run_broker())
    else:
        asyncio.run(main(parse(sys.argv[1:])))
