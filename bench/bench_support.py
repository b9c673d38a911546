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
