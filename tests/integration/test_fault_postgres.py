"""PostgreSQL stopped under load: the history writer spools to disk meanwhile, replays when
the server is back, loses nothing, and its live latency comes back to normal.

The short form of `bench/faults.py postgres` (a 60 s outage there). The server is one of the
test's own; the machine's PostgreSQL is never stopped.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.bus import MemoryBus, observation_subject
from penworks.config import PlatformConfig, PostgresStoreConfig, Role
from penworks.core import Observation, RealClock
from penworks.model import SiteModel
from penworks.runtime import Platform
from tests.integration.own_servers import OwnPostgres
from tests.integration.test_fault_mqtt_broker import DEVICES, numbered_site

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 7, 1, tzinfo=UTC)


class Timed:
    """Wraps the store's append: when each observation was stored, in wall time."""

    def __init__(self, platform: Platform) -> None:
        assert platform.history is not None
        self.stored_at: dict[int, float] = {}
        append = platform.history.append

        async def timed(observations: Sequence[Observation]) -> int:
            new = await append(observations)
            now = time.monotonic()
            for o in observations:
                self.stored_at.setdefault(int(o.value), now)
            return new

        platform.history.append = timed  # type: ignore[method-assign]


async def run_outage(
    tmp_path: Path, count: int, rate: float, outage_s: float
) -> tuple[list[int], list[float], list[float], Platform]:
    """Publish `count` numbered observations at `rate`; stop the server for `outage_s` from
    a third of the way. The numbers stored, the latencies before and after, the platform."""
    import yaml

    server = OwnPostgres()
    server.init()
    server.start()
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(numbered_site(DEVICES)))
    config = PlatformConfig(
        site=site,
        data_dir=tmp_path / "data",
        roles=[Role.HISTORY],
        store=PostgresStoreConfig(type="postgres", dsn=server.dsn),
    )
    bus = MemoryBus()
    platform = Platform(config, RealClock(), SiteModel.load(site), bus=bus)
    timing = Timed(platform)
    published_at: dict[int, float] = {}
    ready = asyncio.Event()
    running = asyncio.create_task(platform.run(on_ready=lambda _: ready.set()))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        began = time.monotonic()
        stopped = False
        for n in range(count):
            if n == count // 3:
                await asyncio.to_thread(server.stop)
                stopped, down_since = True, time.monotonic()
            if stopped and time.monotonic() - down_since >= outage_s:
                await asyncio.to_thread(server.start)
                stopped = False
            ahead = began + n / rate - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)  # the load's own pace
            point = f"b1.f1.d{n % DEVICES}.seq"
            published_at[n] = time.monotonic()
            await bus.publish(
                observation_subject(point),
                Observation(point, START + timedelta(milliseconds=n), n),
            )
        if stopped:
            await asyncio.to_thread(server.start)
        async with asyncio.timeout(60):
            while len(timing.stored_at) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # rows land as the replay catches up
        assert platform.history is not None
        rows: list[int] = []
        for d in range(DEVICES):
            found = await platform.history.range(
                f"b1.f1.d{d}.seq", START, START + timedelta(days=1), limit=count * 2
            )
            rows.extend(int(r.value) for r in found)
    finally:
        platform.request_stop()
        await running
        server.stop()
        server.remove()
    latency = [timing.stored_at[n] - published_at[n] for n in range(count)]
    return rows, latency[: count // 4], latency[-count // 10 :], platform


async def test_nothing_lost_while_postgresql_is_down(tmp_path: Path) -> None:
    count = 8_000
    rows, before, after, platform = await run_outage(tmp_path, count, 2000.0, 1.5)
    assert sorted(rows) == list(range(count))  # none lost, none twice
    assert platform.writer is not None
    stats = platform.writer.stats()
    assert stats.spooled > 0  # the outage was spooled...
    assert stats.replayed >= stats.spooled  # ...and all of it replayed
    # Live latency is back to what it was before the outage (within a second here).
    assert statistics.median(after) < statistics.median(before) + 1.0
