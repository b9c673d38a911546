"""Ingest end to end: numbered observations over MQTT, through Penworks, into history.

    .venv/bin/python bench/ingest.py                        # embedded configuration, QoS 0 and 1
    .venv/bin/python bench/ingest.py --configs embedded park park-split --qos 1 -n 20000

Simulated devices (one MQTT topic each, `--points` points per message) are published by a
child process as fast as it can, at QoS 0 and QoS 1, to the broker (`--broker`, Mosquitto
by default). For each QoS the same messages are sent once as the ceiling and once for each
configuration asked for:

  raw         a subscriber that only counts drains the broker: the ceiling, in points/s
  embedded    the platform on its embedded defaults (MemoryBus, SQLite): published,
              decoded, mapped, rules evaluated and stored durably
  park        the platform on the park configuration (NATS JetStream, PostgreSQL), every
              role in one process
  park-split  the same, with the gateway role in a process of its own, as a park runs it

For each platform run it prints points stored per second (from the first publish to the
last row stored), the ratio to the raw ceiling, p50 and p99 latency from publish to stored
and from publish to an alarm raised by a rule, the platform's CPU seconds per second (its
processes together) and peak resident memory. Every message carries its sequence number as
a point: after the run the bench checks that each device's numbers were all stored, once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import child_process, drop_park_state, find_key  # noqa: E402

from penworks.bus import Message  # noqa: E402
from penworks.config import (  # noqa: E402
    ApiConfig,
    AutomationConfig,
    MqttConnectorConfig,
    NatsBusConfig,
    PlatformConfig,
    PostgresStoreConfig,
    Role,
)
from penworks.connectors.mqtt.buffered import Received, reading_client  # noqa: E402
from penworks.connectors.mqtt.topics import broker_address  # noqa: E402
from penworks.core import Observation, RealClock  # noqa: E402
from penworks.model import SiteModel  # noqa: E402
from penworks.runtime import Platform, keep_startup_heap  # noqa: E402
from tests.integration.own_servers import OwnMosquitto  # noqa: E402

WINDOW = 1000  # QoS 1 messages a publisher keeps in flight
ALARM_EVERY = 200  # each device raises an alarm on one message in this many
SEQ_POINT = "seq"
ALARM_POINT = "trip"


# -- the generated site -------------------------------------------------------------------


def site(devices: int, points: int, root: str) -> dict[str, Any]:
    """One floor of `devices` meters; each publishes its points as one JSON object."""

    def point(device: int, index: int) -> dict[str, Any]:
        name = SEQ_POINT if index == 0 else ALARM_POINT if index == 1 else f"p{index}"
        brick = "Sensor" if index > 1 else "Status"
        return {
            "id": name,
            "brick": brick,
            "binding": {
                "connector": "mqtt",
                "topic": f"{root}/d{device}",
                "path": f"$.{name}",
                "ts_path": "$.ts",
            },
        }

    equipment = [
        {
            "id": f"d{d}",
            "brick": "Electrical_Meter",
            "points": [point(d, i) for i in range(points)],
        }
        for d in range(devices)
    ]
    return {
        "id": "ingest",
        "name": "Ingest bench",
        "buildings": [
            {"id": "bench", "floors": [{"id": "f1", "level": 0, "equipment": equipment}]}
        ],
    }


def rules() -> dict[str, Any]:
    """A rule per device on its trip point; the alarm's message carries the publish time."""
    return {
        "rules": [
            {
                "id": "trip",
                "for_each": {"match": f"bench.*.*.{ALARM_POINT}"},
                "when": "value > 0",
                "alarm": {"priority": "low", "message": "{value}"},
            }
        ]
    }


def payload(seq: int, now: float, points: int) -> bytes:
    body: dict[str, float | int] = {"ts": now, SEQ_POINT: seq}
    body[ALARM_POINT] = now if seq % ALARM_EVERY == ALARM_EVERY - 1 else 0
    for i in range(2, points):
        body[f"p{i}"] = round(20 + (seq % 97) / 10 + i, 2)
    return json.dumps(body).encode()


# -- the publisher (a child process) ------------------------------------------------------


def run_publisher(
    url: str, root: str, devices: int, count: int, points: int, qos: int, rate: float
) -> None:
    """Publish `count` messages round the devices, `rate` a second (0: as fast as it can).

    Prints the wall time of the first publish: the runs are timed from there, not from the
    start of this process (its imports take longer than a QoS 0 run).
    """
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    host, port = broker_address(url)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(WINDOW)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    outstanding: deque[paho.MQTTMessageInfo] = deque()
    first_publish = time.time()
    began = time.perf_counter()
    for i in range(count):
        if rate and i % 50 == 0:
            ahead = i / rate - (time.perf_counter() - began)
            if ahead > 0:
                time.sleep(ahead)
        device, seq = i % devices, i // devices
        info = client.publish(f"{root}/d{device}", payload(seq, time.time(), points), qos=qos)
        outstanding.append(info)
        if len(outstanding) > WINDOW:
            outstanding.popleft().wait_for_publish(timeout=60)
    for info in outstanding:
        info.wait_for_publish(timeout=60)
    client.disconnect()
    client.loop_stop()
    print(first_publish, flush=True)


async def publish(args: argparse.Namespace, root: str, qos: int) -> float:
    """Publish from another process; returns the wall time of its first publish."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "publish", args.broker, root, str(args.devices),
        str(args.count), str(args.points), str(qos), str(args.rate),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"publisher exited with {process.returncode}")
    return float(output.decode().split()[-1])


# -- what is measured ---------------------------------------------------------------------


@dataclass
class Run:
    name: str
    expected_points: int
    points: int = 0
    first: float = 0.0
    last: float = 0.0
    stored_latency: list[float] = field(default_factory=list)
    alarm_latency: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    gateway_rss_mb: float = 0.0  # park-split: the gateway process's, beside this one's
    missing: int = 0
    duplicates: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, n: int, now: float) -> None:
        self.points += n
        self.last = now
        self.progress.set()

    async def wait(self, idle_s: float) -> None:
        """Until all points arrived, or nothing arrived for idle_s."""
        await self.wait_for(lambda: self.points >= self.expected_points, idle_s)

    async def wait_for(self, done: Callable[[], bool], idle_s: float) -> None:
        """Until done(), or nothing new happened for idle_s."""
        while not done():
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), idle_s)
            except TimeoutError:
                return

    @property
    def seconds(self) -> float:
        return max(1e-9, self.last - self.first)

    @property
    def rate(self) -> float:
        return self.points / self.seconds

    def line(self, ceiling: float | None) -> str:
        text = f"{self.name:<11}{self.rate:>11,.0f} points/s"
        text += f" ({self.points:,} of {self.expected_points:,} in {self.seconds:.1f} s)"
        if ceiling:
            text += f", {self.rate / ceiling:.2f} of raw"
        if self.stored_latency:
            what = "received" if self.name == "raw" else "stored"
            stored = self.stored_latency
            text += f"; to {what} p50 {ms(stored, 50)} p99 {ms(stored, 99)}"
        if self.alarm_latency:
            text += f"; to alarm p50 {ms(self.alarm_latency, 50)} p99 {ms(self.alarm_latency, 99)}"
            text += f" ({len(self.alarm_latency)} trips)"
        if self.cpu_s:
            text += f"; CPU {self.cpu_s / self.seconds:.2f} s/s, peak RSS {self.rss_mb:.0f} MB"
        if self.gateway_rss_mb:
            text += f" + gateway {self.gateway_rss_mb:.0f} MB"
        if self.missing or self.duplicates:
            text += f"; MISSING {self.missing}, DUPLICATED {self.duplicates}"
        return text


def ms(values: Sequence[float], pct: int) -> str:
    ordered = sorted(values)
    at = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return f"{1000 * ordered[at]:.0f} ms" if ordered[at] >= 0.01 else f"{1000 * ordered[at]:.1f} ms"


async def measure_raw(args: argparse.Namespace, qos: int) -> Run:
    root = f"ingest/{uuid.uuid4().hex[:8]}"
    host, port = broker_address(args.broker)
    run = Run("raw", args.count * args.points)

    sampled = f"{root}/d0"

    # The fastest reading the client library allows, as the connector reads: large socket
    # reads, and the message queue emptied without a task per message.
    inbox: asyncio.Queue[Received] = asyncio.Queue()

    def count(message: Received, now: float) -> None:
        run.add(args.points, now)
        if message.topic == sampled:
            run.stored_latency.append(now - json.loads(message.payload)["ts"])

    async def drain() -> None:
        while True:
            count(await inbox.get(), time.time())
            while not inbox.empty():
                count(inbox.get_nowait(), time.time())

    async with reading_client(inbox, host, port) as client:
        await client.subscribe(f"{root}/#", qos=qos)
        async with asyncio.TaskGroup() as tasks:
            draining = tasks.create_task(drain())
            run.first = await publish(args, root, qos)
            await run.wait(args.idle)
            draining.cancel()
    return run


@dataclass(frozen=True)
class Setup:
    """What every process of one platform run is configured from."""

    config_name: str
    broker: str
    qos: int
    nats: str
    postgres: str
    tag: str
    data: str

    def config(
        self, roles: Sequence[Role] = tuple(Role), data: Path | None = None
    ) -> PlatformConfig:
        folder = Path(self.data)
        extra: dict[str, Any] = {}
        if self.config_name != "embedded":
            extra["bus"] = NatsBusConfig(
                type="nats",
                servers=[self.nats],
                stream_prefix=f"INGEST{self.tag.upper()}",
                subject_prefix=f"ingest{self.tag}",
            )
            extra["store"] = PostgresStoreConfig(
                type="postgres", dsn=self.postgres, schema_name=f"ingest_{self.tag}"
            )
        return PlatformConfig(
            site=folder / "site.yaml",
            data_dir=data or folder,
            api=ApiConfig(port=0),
            connectors=[MqttConnectorConfig(type="mqtt", url=self.broker, qos=self.qos)],
            automation=AutomationConfig(rules=[folder / "rules.yaml"]),
            roles=list(roles),
            **extra,
        )


@dataclass
class Gateway:
    """The gateway role in a process of its own (park-split): its CPU and peak memory."""

    pid: int
    cpu0: float = 0.0

    def cpu_s(self) -> float:
        """User and system CPU seconds of the process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


async def run_gateway(setup: Setup) -> None:
    """A gateway process: prints "ready" once its connector is online, stops when stdin closes."""
    config = setup.config([Role.GATEWAY], Path(setup.data) / "gateway")
    platform = Platform(config, RealClock(), SiteModel.load(config.site))
    task = asyncio.create_task(platform.run())
    if not await platform.wait_inputs_online(15):
        raise RuntimeError("the gateway's MQTT connector did not come online")
    keep_startup_heap()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    platform.request_stop()
    await task


@contextlib.asynccontextmanager
async def platform_for(
    config_name: str, args: argparse.Namespace, qos: int, root: str, data: Path
) -> AsyncIterator[tuple[Platform, Gateway | None]]:
    (data / "site.yaml").write_text(yaml.safe_dump(site(args.devices, args.points, root)))
    (data / "rules.yaml").write_text(yaml.safe_dump(rules()))
    setup = Setup(
        config_name, args.broker, qos, args.nats, args.postgres, uuid.uuid4().hex[:8], str(data)
    )
    split = config_name == "park-split"
    config = setup.config([Role.RULES, Role.HISTORY] if split else tuple(Role))
    platform = Platform(config, RealClock(), SiteModel.load(config.site))
    task = asyncio.create_task(platform.run())
    try:
        async with contextlib.AsyncExitStack() as stack:
            gateway = None
            if split:
                process, ready = await stack.enter_async_context(
                    child_process(__file__, "gateway", json.dumps(asdict(setup)))
                )
                if ready != "ready":
                    raise RuntimeError(f"the gateway process did not start: {ready!r}")
                gateway = Gateway(process.pid)
            elif not await platform.wait_inputs_online(15):
                raise RuntimeError("the MQTT connector did not come online")
            keep_startup_heap()  # as `penworks run` does once its platform is up
            yield platform, gateway
    finally:
        platform.request_stop()
        await task
        if config_name != "embedded":
            await drop_park_state(config)


async def measure_platform(config_name: str, args: argparse.Namespace, qos: int) -> Run:
    root = f"ingest/{uuid.uuid4().hex[:8]}"
    run = Run(config_name, args.count * args.points)
    with tempfile.TemporaryDirectory() as folder:
        async with platform_for(config_name, args, qos, root, Path(folder)) as (
            platform,
            gateway,
        ):
            watch_stores(platform, run)
            alarms = platform.bus.subscribe("event.alarm", name="ingest-alarms", maxsize=100_000)
            watching = asyncio.create_task(watch_alarms(alarms, run))
            cpu0 = time.process_time()
            if gateway is not None:
                gateway.cpu0 = gateway.cpu_s()
            run.first = await publish(args, root, qos)
            await run.wait(args.idle)
            # The rules may still be catching up when the last row is stored: wait for them.
            trips = args.devices * (args.count // args.devices // ALARM_EVERY)
            await run.wait_for(lambda: len(run.alarm_latency) >= trips, args.idle)
            run.cpu_s = time.process_time() - cpu0
            run.rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if gateway is not None:
                run.cpu_s += gateway.cpu_s() - gateway.cpu0
                run.gateway_rss_mb = gateway.rss_mb()
            watching.cancel()
            await check_numbers(platform, args, run)
    return run


def watch_stores(platform: Platform, run: Run) -> None:
    """Count what the history writer has stored, and when, by wrapping the store's append."""
    history = platform.history
    if history is None:
        raise RuntimeError("this platform keeps no history")
    append = history.append

    async def timed(observations: Sequence[Observation]) -> int:
        new = await append(observations)
        now = time.time()
        run.add(len(observations), now)
        for obs in observations:
            if obs.point.endswith(f".{SEQ_POINT}") and int(obs.value) % 10 == 0:
                run.stored_latency.append(now - obs.ts.timestamp())
        return new

    history.append = timed  # type: ignore[method-assign]


async def watch_alarms(alarms: Any, run: Run) -> None:
    """Publish to the first record of each trip in the alarm book: raised, or held by chatter
    or flood suppression (which then annunciates later, as ISA-18.2 wants)."""
    seen: set[tuple[object, float]] = set()
    async for _, message in alarms:
        now = time.time()
        sent = _alarm_publish_time(message)
        trip = (message.get("alarm_id") if isinstance(message, dict) else None, sent or 0.0)
        if sent is not None and trip not in seen:
            seen.add(trip)
            run.alarm_latency.append(now - sent)
            run.progress.set()


def _alarm_publish_time(message: Message) -> float | None:
    """The publish time the rule put in the alarm's message, when the alarm was raised."""
    text = find_key(message, "message")
    try:
        sent = float(text) if isinstance(text, str) else 0.0
    except ValueError:
        return None
    return sent if sent > 0 else None


async def check_numbers(platform: Platform, args: argparse.Namespace, run: Run) -> None:
    """Every device's sequence numbers stored once each: none missing, none twice."""
    per_device = args.count // args.devices
    history = platform.history
    assert history is not None
    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = datetime(2100, 1, 1, tzinfo=UTC)
    for device in range(args.devices):
        point = f"bench.f1.d{device}.{SEQ_POINT}"
        rows = await history.range(point, start, end, limit=per_device * 2 + 10)
        numbers = [int(r.value) for r in rows]
        run.duplicates += len(numbers) - len(set(numbers))
        run.missing += len(set(range(per_device)) - set(numbers))


# -- main ---------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        broker = None
        if args.broker is None:
            # A broker of the run's own: unbounded queues, so what a slow subscriber cannot
            # take yet waits instead of being dropped (a shared broker's limits would count
            # as losses of the platform).
            broker = OwnMosquitto(Path(folder), durable=False)
            broker.start()
            args.broker = broker.url
        try:
            await measure_all(args)
        finally:
            if broker is not None:
                broker.stop()


async def measure_all(args: argparse.Namespace) -> None:
    cpus = os.cpu_count()
    print(
        f"{args.count:,} messages of {args.points} points from {args.devices} devices, "
        f"broker {args.broker}, {cpus} CPUs"
    )
    for qos in args.qos:
        print(f"QoS {qos}")
        raw = await measure_raw(args, qos)
        print("  " + raw.line(None), flush=True)
        for name in args.configs:
            run = await measure_platform(name, args, qos)
            print("  " + run.line(raw.rate), flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--count", type=int, default=50_000, help="messages per run")
    parser.add_argument("--devices", type=int, default=200, help="simulated devices (topics)")
    parser.add_argument("--points", type=int, default=10, help="points per message")
    parser.add_argument("--qos", type=int, nargs="+", default=[0, 1], choices=(0, 1))
    parser.add_argument(
        "--configs", nargs="+", default=["embedded"], choices=("embedded", "park", "park-split")
    )
    parser.add_argument(
        "--broker", help="an MQTT broker's URL (default: a mosquitto of the run's own)"
    )
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="messages/s to publish (0: as fast as it can)"
    )
    parser.add_argument("--idle", type=float, default=5.0, help="stop after this long idle")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["publish"]:
        url, root, devices, count, points, qos, rate = sys.argv[2:9]
        run_publisher(url, root, int(devices), int(count), int(points), int(qos), float(rate))
    elif sys.argv[1:2] == ["gateway"]:
        asyncio.run(run_gateway(Setup(**json.loads(sys.argv[2]))))
    else:
        asyncio.run(main(parse(sys.argv[1:])))
