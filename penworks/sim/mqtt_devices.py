"""The twin's devices on MQTT: they publish their state and obey commands, like real ones.

A command result is published on ``<command topic>/result`` so a refused write is visible.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import timedelta
from urllib.parse import urlparse

import aiomqtt

from penworks.core import Clock
from penworks.sim.twin import Twin

log = logging.getLogger(__name__)

COMMAND_TOPICS = ("b15/+/+/hvac/set", "b15/+/+/light/set")


def broker_address(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise ValueError(f"expected mqtt://HOST:PORT, got {url!r}")
    return parsed.hostname, parsed.port or 1883


async def run_devices(
    twin: Twin,
    clock: Clock,
    url: str,
    *,
    publish_every_s: float = 60.0,
    ready: asyncio.Event | None = None,
) -> None:
    """Run the twin's devices against a broker until cancelled, reconnecting when it drops."""
    host, port = broker_address(url)
    backoff = 0.5
    while True:
        try:
            async with aiomqtt.Client(
                host, port, identifier=f"b15-twin-{random.getrandbits(32):x}"
            ) as client:
                backoff = 0.5
                await _serve(client, twin, clock, publish_every_s, ready)
        except aiomqtt.MqttError as exc:
            log.warning("twin lost the broker (%s); retrying in %.1f s", exc, backoff)
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, 10.0)


async def _serve(
    client: aiomqtt.Client,
    twin: Twin,
    clock: Clock,
    publish_every_s: float,
    ready: asyncio.Event | None,
) -> None:
    for topic in COMMAND_TOPICS:
        await client.subscribe(topic, qos=1)
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(_obey(client, twin), name="twin-commands")
        tasks.create_task(
            _publish(client, twin, clock, publish_every_s, ready), name="twin-publish"
        )


async def _publish(
    client: aiomqtt.Client,
    twin: Twin,
    clock: Clock,
    every_s: float,
    ready: asyncio.Event | None,
) -> None:
    interval = timedelta(seconds=every_s)
    next_at = twin.now
    while True:
        twin.advance_to(clock.now())
        if twin.now >= next_at:
            for topic, body in twin.payloads().items():
                await client.publish(topic, json.dumps(body), qos=0)
            next_at = twin.now + interval
            if ready is not None:
                ready.set()
        await clock.sleep(min(every_s, 30.0) / 2)


async def _obey(client: aiomqtt.Client, twin: Twin) -> None:
    async for message in client.messages:
        topic = str(message.topic)
        payload = message.payload if isinstance(message.payload, bytes) else b""
        twin.advance_to(twin.now)
        result = twin.apply_command(topic, payload)
        body = {"ok": result.ok, "detail": result.detail, "ts": twin.now.isoformat()}
        await client.publish(f"{topic}/result", json.dumps(body), qos=1)
        if result.ok:  # the device reports its new state at once, like a real controller
            state_topic = topic.removesuffix("/set")
            await client.publish(state_topic, json.dumps(twin.payloads()[state_topic]), qos=0)
