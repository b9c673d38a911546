"""What the connector benchmarks share: the peer (a device, a server, a broker) in its own process.

A benchmark runs its peer as the same script with a subcommand, in a child process, so that
peer and connector do not share a core. The child prints a line when it is ready (its port,
or just "ready") and stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from penworks.bus import NatsBus
from penworks.config import NatsBusConfig, PlatformConfig, PostgresStoreConfig


@contextlib.asynccontextmanager
async def child_process(
    script: str, *args: str, stop_s: float = 10.0
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`script` run with `args` in a process of its own: the process, and its first line.

    Leaving closes its stdin (unless the body did), then waits `stop_s` for it to end before
    killing it.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        script,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        ready = (await process.stdout.readline()).decode().strip()
        yield process, ready
    finally:
        if not process.stdin.is_closing():
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), stop_s)
        except TimeoutError:
            process.kill()
            await process.wait()


def find_key(message: Any, key: str) -> Any:
    """The first value of `key` anywhere in a nested JSON-like message, else None."""
    if isinstance(message, dict):
        if key in message:
            return message[key]
        for value in message.values():
            found = find_key(value, key)
            if found is not None:
                return found
    return None


async def drop_park_state(config: PlatformConfig) -> None:
    """The streams and the schema a park-configuration run made, so runs leave nothing."""
    assert isinstance(config.bus, NatsBusConfig)
    assert isinstance(config.store, PostgresStoreConfig)
    bus = NatsBus(config.bus.settings())
    await bus.connect()
    for stream in bus.stream_names:
        await bus.jsm().delete_stream(stream)
    await bus.close()
    connection = await asyncpg.connect(config.store.dsn)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{config.store.schema_name}" CASCADE')
    await connection.close()
