"""Benchmark of NatsBus on a running NATS JetStream server (file storage, as in production).

    .venv/bin/python bench/bus_nats.py [--url nats://127.0.0.1:4222] [--count 20000]

Prints the publish rate when each publish is awaited in turn (one connector loop) and with
many publishes waiting for their PubAcks at once (many connectors), then the end-to-end
rate and latency (publish to a durable consumer's batch, acknowledged per batch), flat out
and at a steady paced rate. Publisher and consumer share this one process (and its event
loop), as they would in an all-in-one platform. The bench makes streams of its own and
deletes them after.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import nats

from penworks.bus import NatsBus, NatsSettings, NatsSubscription, StreamLimits
from penworks.core import Observation

START = datetime(2026, 7, 1, tzinfo=UTC)
LIMITS = StreamLimits(max_age_s=3600.0, max_bytes=512 << 20)


def observation(n: int, value: float) -> Observation:
    return Observation(
        f"b15.f{n % 8}.r{n % 500:04d}.zone_air_temp", START + timedelta(microseconds=n), value
    )


async def publish_all(bus: NatsBus, first: int, count: int, window: int) -> float:
    """Publish `count` observations with up to `window` awaiting their PubAck; seconds."""
    started = time.perf_counter()
    for chunk in range(first, first + count, window):
        end = min(chunk + window, first + count)
        await asyncio.gather(
            *(
                bus.publish(f"obs.b15.r{n % 500}", observation(n, time.perf_counter()))
                for n in range(chunk, end)
            )
        )
    return time.perf_counter() - started


async def consume(sub: NatsSubscription, count: int, latencies: list[float]) -> float:
    """Take and acknowledge until `count` arrived; the time the last one arrived."""
    got = 0
    while got < count:
        batch = await sub.batch(1_000)
        now = time.perf_counter()
        latencies += [now - float(m.value) for _, m in batch if isinstance(m, Observation)]
        got += len(batch)
        await sub.ack()
    return time.perf_counter()


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49] * 1e3:.2f} ms, p99 {q[98] * 1e3:.2f} ms, max {max(values) * 1e3:.2f} ms"


async def run(url: str, count: int, window: int) -> None:
    tag = uuid.uuid4().hex[:8]
    settings = NatsSettings(
        servers=(url,),
        stream_prefix=f"BENCH{tag}",
        subject_prefix=f"bench{tag}",
        observations=LIMITS,
        commands=StreamLimits(60.0, 64 << 20),
        events=LIMITS,
        publish_timeout_s=10.0,
    )
    bus = NatsBus(settings)
    await bus.connect()
    try:
        await publish_all(bus, 30 * count, 200, 1)  # warm up: connections, stream files
        sequential = min(count // 10, 2_000)
        took = await publish_all(bus, 0, sequential, 1)
        each = took / sequential * 1e6
        print(f"publish, awaited one by one: {sequential / took:>9,.0f} msg/s ({each:.0f} µs each)")
        took = await publish_all(bus, sequential, count, window)
        print(f"publish, {window} in flight:     {count / took:>9,.0f} msg/s")

        sub = bus.subscribe("obs.>", name="bench-writer", durable=True, maxsize=20_000)
        latencies: list[float] = []
        reader = asyncio.create_task(consume(sub, count, latencies))
        started = time.perf_counter()
        await publish_all(bus, 10 * count, count, window)
        finished = await reader
        rate_e2e = count / (finished - started)
        print(f"end to end, flat out:         {rate_e2e:>9,.0f} msg/s ({percentiles(latencies)})")

        paced, rate = min(count, 5_000), 1_000
        latencies = []
        reader = asyncio.create_task(consume(sub, paced, latencies))
        started = time.perf_counter()
        for n in range(paced):
            await bus.publish(
                f"obs.b15.r{n % 500}", observation(20 * count + n, time.perf_counter())
            )
            delay = started + (n + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await reader
        print(f"end to end at {rate:,} msg/s:     latency {percentiles(latencies)}")
        print(f"duplicates {bus.duplicates}, failures {bus.publish_failures}")
    finally:
        await bus.close()
        client = await nats.connect(url)
        for name in bus.stream_names:
            await client.jsm().delete_stream(name)
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=1_000, help="publishes in flight")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.count, args.window))


if __name__ == "__main__":
    main()
