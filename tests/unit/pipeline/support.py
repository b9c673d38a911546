"""Helpers the pipeline tests share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    """Wait until check() holds, for state that has no event to wait on; TimeoutError after."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110  # there is no event for this to wait on
            await asyncio.sleep(0.002)
