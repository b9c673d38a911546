"""NatsBus across a SIGKILL of its nats-server: what was acknowledged survives.

The test runs its own nats-server on a free port with its store in a temporary folder, kills
it with SIGKILL and starts it again on the same port and store; the machine's shared NATS is
not touched.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nats.js.api import ConsumerInfo

from penworks.bus import NatsBus, NatsSettings, NatsSubscription, StreamLimits
from penworks.core import BusError, Observation
from tests.conftest import free_port

pytestmark = pytest.mark.integration

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
HAVE_SERVER = Path(NATS_SERVER).exists()
TS = datetime(2026, 7, 1, tzinfo=UTC)
SMALL = StreamLimits(max_age_s=600.0, max_bytes=8 << 20)


class OwnNats:
    """A nats-server with JetStream in file storage, to kill and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._store = folder
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            NATS_SERVER,
            *("-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self._store)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(10):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                await writer.wait_closed()
                return

    async def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)
            await self._process.wait()


def reading(n: int) -> Observation:
    return Observation(f"b15.p{n % 7}", TS + timedelta(seconds=n), n)


async def work_through(sub: NatsSubscription, numbers: list[int], wanted: set[int]) -> None:
    """Take, 'process' and acknowledge batches until every wanted number has been seen."""
    async with asyncio.timeout(10):
        while not wanted <= set(numbers):
            batch = await sub.batch(20)
            numbers += [int(m.value) for _, m in batch if isinstance(m, Observation)]
            await sub.ack()


async def settled(bus: NatsBus) -> bool:
    info: ConsumerInfo = await bus.jsm().consumer_info(bus.stream_name("OBS"), "writer")
    return info.num_ack_pending == 0 and info.num_pending == 0


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[OwnNats]:
    if not HAVE_SERVER:
        pytest.skip("nats-server is not installed")
    own = OwnNats(tmp_path)
    await own.start()
    yield own
    await own.kill()


def settings_for(server: OwnNats, **changes: Any) -> NatsSettings:
    return NatsSettings(
        servers=(server.url,),
        stream_prefix="FAULT",
        subject_prefix="fault",
        observations=SMALL,
        commands=StreamLimits(60.0, 8 << 20),
        events=SMALL,
        publish_timeout_s=0.5,
        reconnect_wait_s=0.05,
        reconnect_max_wait_s=0.3,
        pull_expires_s=1.0,
        ack_wait_s=30.0,  # longer than the test: anything seen twice was not lost in between
        **changes,
    )


async def kill_and_restart(server: OwnNats, bus: NatsBus) -> None:
    await server.kill()
    async with asyncio.timeout(5):
        await bus.wait_disconnected()
    started = time.monotonic()
    with pytest.raises(BusError):
        await bus.publish("obs.b15.p0", reading(1000))
    assert time.monotonic() - started < 2  # refused promptly: a spool can keep it
    await server.start()  # same port, same store folder
    async with asyncio.timeout(10):
        await bus.wait_connected()


async def test_acknowledged_messages_survive_a_killed_server_and_work_resumes(
    server: OwnNats,
) -> None:
    bus = NatsBus(settings_for(server))
    try:
        await bus.connect()
        writer = bus.subscribe("obs.>", name="writer", durable=True)
        for n in range(100):
            await bus.publish(f"obs.b15.p{n % 7}", reading(n))  # returned: stored
        done: list[int] = []
        await work_through(writer, done, set(range(40)))

        await kill_and_restart(server, bus)
        for n in range(100, 150):
            await bus.publish(f"obs.b15.p{n % 7}", reading(n))
        await work_through(writer, done, set(range(150)))

        assert sorted(set(done)) == list(range(150))  # every acknowledged publish survived
        assert not [n for n, times in Counter(done).items() if times > 1]  # each done once
        state = await bus.jsm().stream_info(bus.stream_name("OBS"))
        assert state.state.messages == 150
        async with asyncio.timeout(5):
            while not await settled(bus):  # noqa: ASYNC110  # acks are processed behind flush
                await asyncio.sleep(0.05)
        assert bus.disconnects == 1
    finally:
        await bus.close()


async def test_memory_streams_start_empty_after_a_restart_and_subscribers_follow(
    server: OwnNats,
) -> None:
    bus = NatsBus(settings_for(server, storage="memory"))
    try:
        await bus.connect()
        writer = bus.subscribe("obs.>", name="writer", durable=True)
        view = bus.subscribe("obs.>", name="view")
        for n in range(20):
            await bus.publish(f"obs.b15.p{n % 7}", reading(n))
        done: list[int] = []
        await work_through(writer, done, set(range(10)))
        seen: list[int] = []
        await work_through(view, seen, set(range(20)))

        await kill_and_restart(server, bus)  # memory storage: the streams are gone
        state = await bus.jsm().stream_info(bus.stream_name("OBS"))
        assert state.state.messages == 0  # made anew, empty: unacknowledged work is lost
        for n in range(100, 110):
            await bus.publish(f"obs.b15.p{n % 7}", reading(n))
        fresh = set(range(100, 110))
        await work_through(writer, done, fresh)  # not skipped for their low sequence numbers
        await work_through(view, seen, fresh)
        assert [n for n in done if n >= 20] == sorted(fresh)
        assert [n for n in seen if n >= 20] == sorted(fresh)
    finally:
        await bus.close()
