"""The park configuration as processes: two history processes share the observations on
NATS JetStream and store them in PostgreSQL; one is killed (SIGKILL) mid-flow and the other
takes over its share, so every numbered observation is stored, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import yaml

from penworks.bus import NatsBus, NatsSettings, observation_subject
from penworks.core import Observation
from tests.conftest import require_service
from tests.integration.test_fault_mqtt_broker import numbered_site

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2026, 7, 1, tzinfo=UTC)
DEVICES = 10


def park_config(folder: Path, tag: str, connectors: list[dict[str, object]] | None = None) -> Path:
    site = folder / "site.yaml"
    site.write_text(yaml.safe_dump(numbered_site(DEVICES)))
    config: dict[str, object] = {
        "site": str(site),
        "data_dir": str(folder / "data"),
        "bus": {
            "type": "nats",
            "stream_prefix": f"PARK{tag.upper()}",
            "subject_prefix": f"park{tag}",
            "ack_wait_s": 1.0,  # what a killed process took comes back within this
        },
        "store": {"type": "postgres", "dsn": DSN, "schema": f"park_{tag}"},
        "apps": {"energy": {"enabled": False}},
        "connectors": connectors or [],
    }
    path = folder / "park.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


async def start_role(config: Path, role: str, data: Path) -> asyncio.subprocess.Process:
    """`penworks run --role <role>` in a process of its own, once it says it is up."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "penworks", "run", "--config", str(config),
        "--role", role, "--data-dir", str(data),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while b"Penworks platform" not in (line := await process.stdout.readline()):
            if not line:
                raise RuntimeError(f"the {role} process ended before it was ready")
    # Its later output is read and let go: a full pipe would stall the process.
    drain = asyncio.create_task(_discard(process.stdout))
    _DRAINS.add(drain)
    drain.add_done_callback(_DRAINS.discard)
    return process


_DRAINS: set[asyncio.Task[None]] = set()


async def _discard(output: asyncio.StreamReader) -> None:
    while await output.read(65536):
        pass


async def end(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def history_process(config: Path, data: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_role(config, "history", data)
    try:
        yield process
    finally:
        await end(process)


async def stored(schema: str) -> list[int]:
    connection = await asyncpg.connect(DSN)
    try:
        rows = await connection.fetch(
            f'SELECT s.value_f, s.value_i FROM "{schema}".samples s'  # noqa: S608
        )
    finally:
        await connection.close()
    return [int(r["value_i"] if r["value_i"] is not None else r["value_f"]) for r in rows]


async def test_a_killed_history_process_leaves_its_share_to_the_other(tmp_path: Path) -> None:
    require_service("NATS", "127.0.0.1", 4222)
    require_service("PostgreSQL", "127.0.0.1", 5432)
    tag = uuid.uuid4().hex[:8]
    config = park_config(tmp_path, tag)
    count = 2_000
    bus = NatsBus(NatsSettings(stream_prefix=f"PARK{tag.upper()}", subject_prefix=f"park{tag}"))
    await bus.connect()
    try:
        async with (
            history_process(config, tmp_path / "h1") as first,
            history_process(config, tmp_path / "h2") as second,
        ):
            for n in range(count):
                if n == count // 2:
                    first.send_signal(signal.SIGKILL)  # mid-flow, work taken and not acked
                point = f"b1.f1.d{n % DEVICES}.seq"
                ts = START + timedelta(milliseconds=n)
                await bus.publish(observation_subject(point), Observation(point, ts, n))
            async with asyncio.timeout(60):
                while len(numbers := await stored(f"park_{tag}")) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.25)  # rows come from another process: poll them
            assert second.returncode is None  # the survivor kept going
        assert sorted(numbers) == list(range(count))  # none lost, none twice
    finally:
        await drop_park(bus, tag)
        await bus.close()


async def drop_park(bus: NatsBus, tag: str) -> None:
    """The streams (through a connected bus) and the schema of the park named `tag`."""
    for stream in bus.stream_names:
        with contextlib.suppress(Exception):
            await bus.jsm().delete_stream(stream)
    connection = await asyncpg.connect(DSN)
    await connection.execute(f'DROP SCHEMA IF EXISTS "park_{tag}" CASCADE')
    await connection.close()
