"""A park of buildings on the park configuration: the load, the CPU it takes, alarm latency.

    .venv/bin/python bench/park.py                         # 50 buildings, a sample a minute
    .venv/bin/python bench/park.py --buildings 10 --seconds 60

Makes a park of copies of Building 15 (penworks.model.park), runs the platform on the park
configuration (NATS JetStream on 127.0.0.1:4222, PostgreSQL on 127.0.0.1:5432, Mosquitto on
127.0.0.1:1883; every role in this one process, so its CPU is all of the platform's) with
Building 15's rules, and the park's load generator (`penworks sim --park N`) in a process
of its own. A probe device publishes a trip point twice a second whose rule raises an
alarm; the alarm's arrival on the bus against the probe's publish time gives the
publish-to-alarm latency. After a warm-up it prints, over the measured window: points
published and stored per second, CPU seconds per second of the platform process (2 cores
here: 2.0 would be all of them), its resident memory, and p50/p99 publish-to-alarm latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiomqtt
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import drop_park_state, find_key  # noqa: E402

from penworks.config import (  # noqa: E402
    DEFAULT_SITE,
    ApiConfig,
    AppConfig,
    AutomationConfig,
    MqttConnectorConfig,
    NatsBusConfig,
    PlatformConfig,
    PostgresStoreConfig,
)
from penworks.core import RealClock  # noqa: E402
from penworks.model import SiteModel, dump_site_yaml  # noqa: E402
from penworks.model.park import park_site  # noqa: E402
from penworks.model.schema import SiteDef  # noqa: E402
from penworks.runtime import Platform  # noqa: E402

B15_AUTOMATION = DEFAULT_SITE.parent / "building15" / "automation"
PROBE_TOPIC = "probe/trip"


def with_probe(site: SiteDef) -> SiteDef:
    data = site.model_dump(mode="json", exclude_none=True)
    floor = data["buildings"][0]["floors"][0]
    point = {
        "id": "trip",
        "brick": "Alarm",
        "binding": {"connector": "mqtt", "topic": PROBE_TOPIC, "path": "$.v", "ts_path": "$.ts"},
    }
    floor.setdefault("equipment", []).append({"id": "probe", "brick": "Sensor_Equipment",
                                             "points": [point]})  # fmt: skip
    return SiteDef.model_validate(data)


def rules_file(folder: Path) -> Path:
    rules = yaml.safe_load((B15_AUTOMATION / "rules.yaml").read_text())
    rules["rules"].append(
        {
            "id": "probe_trip",
            "for_each": {"match": "*.*.probe.trip"},
            "when": "value > 0",
            "alarm": {"priority": "low", "message": "{value}"},
        }
    )
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    return path


async def probe(broker: tuple[str, int], stop: asyncio.Event, sent: dict[float, float]) -> None:
    """Trip and reset the probe point twice a second; `sent` maps each trip value to its
    publish time."""
    async with aiomqtt.Client(*broker) as client:
        trip = True
        while not stop.is_set():
            now = time.time()
            value = round(now, 6) if trip else 0
            body = {"v": value, "ts": now}
            if trip:
                sent[value] = time.monotonic()
            await client.publish(PROBE_TOPIC, json.dumps(body), qos=1)
            trip = not trip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    tag = uuid.uuid4().hex[:8]
    site = with_probe(park_site(SiteModel.load(DEFAULT_SITE).expanded, args.buildings))
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        site_file = folder / "park.yaml"
        site_file.write_text(dump_site_yaml(site))
        model = SiteModel.from_def(site, source=str(site_file))
        points = len(model.points())
        print(f"a park of {args.buildings} buildings, {points:,} points "
              f"(made in {time.perf_counter() - began:.0f} s)", flush=True)  # fmt: skip
        config = PlatformConfig(
            site=site_file,
            data_dir=folder / "data",
            api=ApiConfig(port=0),
            bus=NatsBusConfig(
                type="nats", stream_prefix=f"PARK{tag.upper()}", subject_prefix=f"park{tag}"
            ),
            store=PostgresStoreConfig(
                type="postgres", dsn=args.postgres, schema_name=f"park_{tag}"
            ),
            connectors=[MqttConnectorConfig(type="mqtt", url=args.broker, qos=0)],
            automation=AutomationConfig(
                rules=[rules_file(folder)], schedules=B15_AUTOMATION / "schedules.yaml"
            ),
            apps={"energy": AppConfig(enabled=False)},
        )
        platform = Platform(config, RealClock(), model)
        running = asyncio.create_task(platform.run())
        try:
            await measure(platform, args, points)
        finally:
            platform.request_stop()
            await running
            await drop_park_state(config)


async def measure(platform: Platform, args: argparse.Namespace, points: int) -> None:
    if not await platform.wait_inputs_online(120):
        raise RuntimeError("the platform did not reach the broker")
    host, _, port = args.broker.removeprefix("mqtt://").partition(":")
    alarms = platform.bus.subscribe("event.alarm", name=f"bench-{uuid.uuid4().hex[:6]}")
    sent: dict[float, float] = {}
    latency: list[float] = []

    async def watch() -> None:
        async for _, message in alarms:
            text = find_key(message, "message")
            with contextlib.suppress(TypeError, ValueError):
                at = sent.pop(round(float(text), 6), None)
                if at is not None:
                    latency.append(time.monotonic() - at)

    load = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "penworks", "sim", "--park", str(args.buildings),
        "--period", str(args.period), "--broker", args.broker,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    stop = asyncio.Event()
    assert load.stdout is not None
    print((await load.stdout.readline()).decode().strip(), flush=True)
    watching = asyncio.create_task(watch())
    probing = asyncio.create_task(probe((host, int(port or 1883)), stop, sent))
    try:
        await asyncio.sleep(args.warmup)  # the load settles into its steady pace
        assert platform.writer is not None
        stored0, cpu0, t0 = platform.writer.stats().new_rows, time.process_time(), time.monotonic()
        latency.clear()
        await asyncio.sleep(args.seconds)
        took = time.monotonic() - t0
        stored = platform.writer.stats().new_rows - stored0
        cpu = (time.process_time() - cpu0) / took
    finally:
        stop.set()
        load.terminate()
        await load.wait()
        await probing
        watching.cancel()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    offered = points / args.period
    print(
        f"offered about {offered:,.0f} points/s; stored {stored / took:,.0f} rows/s over "
        f"{took:.0f} s; platform CPU {cpu:.2f} s/s of 2 cores; peak RSS {rss:,.0f} MB"
    )
    if latency:
        ordered = sorted(latency)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        print(f"publish to alarm: p50 {1000 * statistics.median(ordered):.0f} ms, "
              f"p99 {1000 * p99:.0f} ms ({len(ordered)} alarms)")  # fmt: skip
    else:
        print("publish to alarm: no probe alarm arrived")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buildings", type=int, default=50)
    parser.add_argument("--period", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--seconds", type=float, default=120.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before measuring")
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
