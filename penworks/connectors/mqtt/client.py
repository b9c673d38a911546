"""Connecting and disconnecting an aiomqtt client so that a cancel never leaves anything open."""

from __future__ import annotations

import asyncio
import contextlib

import aiomqtt

CONNECT_GRACE_S = 5.0
"""How long a connect that was cancelled midway may take to finish, so it can be closed again."""


async def connect(client: aiomqtt.Client) -> None:
    """Connect the client (MqttError if the broker cannot be reached).

    aiomqtt connects in a worker thread; a cancel that lands meanwhile would leave the socket
    and a keepalive task behind. Here the connect is let finish and then disconnected.
    """
    entering = asyncio.ensure_future(client.__aenter__())
    try:
        await asyncio.shield(entering)
    except asyncio.CancelledError:
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            async with asyncio.timeout(CONNECT_GRACE_S):
                await entering
                await client.__aexit__(None, None, None)
        raise


async def disconnect(client: aiomqtt.Client) -> None:
    """Leave the broker. A failed goodbye changes nothing, and must not replace a cancel."""
    with contextlib.suppress(aiomqtt.MqttError):
        await client.__aexit__(None, None, None)
