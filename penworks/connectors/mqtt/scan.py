"""Scanning a broker: listen a while and list what the JSON payloads offer."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence

import aiomqtt

from penworks.connectors.base import DiscoveredPoint
from penworks.connectors.mqtt.client import connect, disconnect
from penworks.connectors.mqtt.discovery import discover
from penworks.connectors.mqtt.routes import Refused, parse_payload
from penworks.core import ConnectorError

MAX_FOUND = 10_000  # distinct addresses kept; later new ones are not added


async def scan_broker(
    connector: str,
    host: str,
    port: int,
    filters: Sequence[str],
    seconds: float,
    *,
    username: str | None = None,
    password: str | None = None,
) -> list[DiscoveredPoint]:
    """Listen on `filters` for `seconds` and return one entry per leaf address, latest sample."""
    found: dict[str, DiscoveredPoint] = {}
    identifier = f"penworks-{connector}-scan-{secrets.token_hex(4)}"
    client = aiomqtt.Client(host, port, identifier=identifier, username=username, password=password)
    try:
        await connect(client)
        try:
            await client.subscribe([(f, 0) for f in filters])
            await _listen(client, found, connector, seconds)
        finally:
            await disconnect(client)
    except aiomqtt.MqttError as exc:
        raise ConnectorError(f"{connector}: scanning mqtt://{host}:{port} failed: {exc}") from exc
    return sorted(found.values(), key=lambda p: p.address)


async def _listen(
    client: aiomqtt.Client, found: dict[str, DiscoveredPoint], connector: str, seconds: float
) -> None:
    try:
        async with asyncio.timeout(seconds):
            async for message in client.messages:
                _take(found, connector, message.topic.value, message.payload)
    except TimeoutError:
        pass  # the scan time is up


def _take(found: dict[str, DiscoveredPoint], connector: str, topic: str, payload: bytes) -> None:
    doc = parse_payload(payload)
    if isinstance(doc, Refused):
        return  # not JSON: nothing a binding could read
    for point in discover(connector, topic, doc):
        if point.address in found or len(found) < MAX_FOUND:
            found[point.address] = point
