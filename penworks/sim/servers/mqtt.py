"""The twin's MQTT devices: each publishes its state as JSON on its topic and obeys commands.

A device publishes ``{"ts": ..., key: value, ...}`` on its topic (`SimDevice.address`) when
an event-like value changes (a bool or a text: a door opened, a plate read), at most every
`report_s` simulated seconds while analog values change, and every `heartbeat_s` in any
case, as real sensors do. Commands arrive on ``<topic>/set`` as a JSON object of keys and
values (null relinquishes); the result goes to ``<topic>/set/result`` and, when accepted,
the new state is published at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import aiomqtt

from penworks.core import PointKind
from penworks.sim.devices import Refused, SimDevice
from penworks.sim.servers.base import Endpoint

log = logging.getLogger(__name__)

REPORT_S = 60.0
HEARTBEAT_S = 300.0


def broker_address(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise ValueError(f"expected mqtt://HOST:PORT, got {url!r}")
    return parsed.hostname, parsed.port or 1883


class MqttDevices:
    """A DeviceServer for the twin's MQTT devices, all through one broker connection."""

    def __init__(
        self,
        name: str,
        devices: Sequence[SimDevice],
        url: str,
        now: Callable[[], datetime],
        *,
        report_s: float = REPORT_S,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.name = name
        self.url = url
        self._host, self._port = broker_address(url)
        self._now = now
        self._report_s = report_s
        self._heartbeat_s = heartbeat_s
        self._devices = list(devices)
        self._by_command = {f"{d.address}/set": d for d in self._devices if _commandable(d)}
        # The keys whose change is an event, published at once: bools and texts.
        self._events = {
            d.name: frozenset(p.key for p in d.type.points if p.kind is not PointKind.NUMBER)
            for d in self._devices
        }
        self._last: dict[str, datetime] = {}
        self._unsent: set[str] = set()  # devices with an analog change not yet published
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.published = 0
        self.commands = 0
        self.refused = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"twin-mqtt-{self.name}")
        async with asyncio.timeout(30):
            await self._ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        """Stay connected to the broker, reconnecting with jittered backoff."""
        backoff = 0.5
        while True:
            try:
                identifier = f"b15-twin-{self.name}-{random.getrandbits(32):x}"
                async with aiomqtt.Client(self._host, self._port, identifier=identifier) as client:
                    backoff = 0.5
                    for topic in self._by_command:
                        await client.subscribe(topic, qos=1)
                    self._client = client
                    self._last.clear()  # publish everything again after a reconnect
                    await self.sync()
                    self._ready.set()
                    await self._obey(client)
            except aiomqtt.MqttError as exc:
                log.warning(
                    "twin %s lost the broker (%s); retrying in %.1f s", self.name, exc, backoff
                )
            finally:
                self._client = None
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, 10.0)

    async def sync(self) -> None:
        now = self._now()
        for device in self._devices:
            changed = device.take_changes()
            if not device.online:
                continue
            if changed:
                self._unsent.add(device.name)
            last = self._last.get(device.name)
            since = None if last is None else (now - last).total_seconds()
            due = (
                since is None
                or not self._events[device.name].isdisjoint(changed)
                or since >= self._heartbeat_s
                or (device.name in self._unsent and since >= self._report_s)
            )
            if due:
                await self._publish(device, now)

    async def _publish(self, device: SimDevice, now: datetime) -> None:
        client = self._client
        if client is None:
            return
        body: dict[str, Any] = {"ts": now.isoformat(), **device.values}
        if device.fault is not None:
            body["fault"] = device.fault
        try:
            await client.publish(str(device.address), json.dumps(body, ensure_ascii=False), qos=0)
        except aiomqtt.MqttError as exc:
            log.warning("twin %s: publishing %s failed: %s", self.name, device.name, exc)
            return
        self._last[device.name] = now
        self._unsent.discard(device.name)
        self.published += 1

    async def _obey(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            device = self._by_command.get(topic)
            if device is None:
                continue
            payload = message.payload if isinstance(message.payload, bytes) else b""
            ok, detail = self._apply(device, payload)
            result = {"ok": ok, "detail": detail, "ts": self._now().isoformat()}
            await client.publish(f"{topic}/result", json.dumps(result), qos=1)
            if ok:  # a real controller reports its new state at once
                device.take_changes()
                await self._publish(device, self._now())

    def _apply(self, device: SimDevice, payload: bytes) -> tuple[bool, str]:
        self.commands += 1
        try:
            body = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.refused += 1
            return False, "payload is not JSON"
        if not isinstance(body, dict):
            self.refused += 1
            return False, "expected a JSON object of point keys and values"
        writes = {k: v for k, v in body.items() if k != "ts"}
        if not writes:
            self.refused += 1
            return False, "no point to write"
        done = []
        for key, value in writes.items():
            try:
                device.write(key, value)
            except Refused as exc:
                self.refused += 1
                return False, exc.detail
            done.append(f"{key}={value}" if value is not None else f"{key} relinquished")
        return True, ", ".join(done)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint.of(
                d,
                server=self.name,
                host=self._host,
                port=self._port,
                address=str(d.address),
                url=self.url,
            )
            for d in self._devices
        ]


def _commandable(device: SimDevice) -> bool:
    return any(p.writable for p in device.type.points)
