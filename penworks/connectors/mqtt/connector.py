"""MqttConnector: device JSON over MQTT in, Observations on the bus out; commands back out.

The broker connection is an aiomqtt client, reconnected with jittered backoff whenever it is
lost. Mapping is prepared once (see routes.py); each message is one dict look-up and a walk
over prepared tuples. Input that cannot be mapped becomes a DeadLetter, counted, never dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime

import aiomqtt

from penworks.bus import Bus, KeepingBus, dead_letter_subject
from penworks.connectors.base import DeviceHealth, DeviceState, DiscoveredPoint
from penworks.connectors.mqtt.buffered import (
    Received,
    acknowledge,
    next_message,
    reading_client,
)
from penworks.connectors.mqtt.client import connect, disconnect
from penworks.connectors.mqtt.counts import RefusalCounts
from penworks.connectors.mqtt.routes import Refusal, Refused, build_routes, decode
from penworks.connectors.mqtt.scan import scan_broker
from penworks.connectors.mqtt.topics import broker_address, subscriptions, validate_filter
from penworks.core import (
    Clock,
    CommandRejected,
    ConfigError,
    ConnectorError,
    DeadLetter,
    Observation,
    PayloadError,
    Point,
    UnknownPointError,
    Value,
)
from penworks.core.backoff import Backoff
from penworks.model.schema import MqttBinding

log = logging.getLogger(__name__)

_UNBOUND = Refused(Refusal.UNBOUND_TOPIC, "no point is bound to this topic")
_SUBSCRIBE_CHUNK = 100  # filters per SUBSCRIBE packet
_SHARE_GROUP = re.compile(r"[A-Za-z0-9_-]+")  # no level separator, wildcard or $
# CONNACK refusals for the account: MQTT 3.1.1 (bad name or password, not authorised) and 5
_CREDENTIALS_REFUSED = frozenset({4, 5, 134, 135})


class MqttConnector:
    """The MQTT connector (a penworks.connectors.Connector).

    ``points`` are the points bound to it, with their bindings (``SiteModel.bindings("mqtt")``).
    It subscribes to every bound topic and to the ``watch`` filters (a topic a watch filter
    covers is not subscribed again, so nothing arrives twice); data on a watched topic that no
    point binds becomes a dead letter. A named ``client_id`` keeps its broker session across
    reconnections, so the broker holds QoS 1 messages while the connector is away. On a bus
    that keeps messages only after publish returns (a `KeepingBus`: the gateway's spooling
    publisher), a QoS 1 or 2 message is acknowledged to the broker once the bus has kept it,
    so a gateway killed before then gets it again from its session.

    With a ``share_group`` it subscribes to ``$share/<group>/<filter>``: the connectors of
    the group (one per gateway process) take the broker's messages in turn, and while one is
    away the others take them all. A point's messages may then reach the bus through
    different gateways, not always in order; the history keeps each (point, ts) once and a
    point's latest value only moves forward.
    """

    def __init__(
        self,
        points: Sequence[tuple[Point, MqttBinding]],
        bus: Bus,
        clock: Clock,
        *,
        url: str = "mqtt://127.0.0.1:1883",
        client_id: str | None = None,
        watch: Sequence[str] = (),
        qos: int = 1,
        name: str = "mqtt",
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        keepalive_s: int = 30,
        share_group: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        if qos not in (0, 1, 2):
            raise ConfigError(f"MQTT qos must be 0, 1 or 2, got {qos}")
        if share_group is not None and not _SHARE_GROUP.fullmatch(share_group):
            raise ConfigError(f"MQTT share group {share_group!r}: letters, digits, _ and - only")
        for pattern in watch:
            validate_filter(pattern)
        self.name = name
        self.url = url
        self._bus = bus
        self._now = clock.now
        self._host, self._port = broker_address(url)
        self._client_id = client_id
        self._qos = qos
        self._keepalive_s = keepalive_s
        self._backoff = Backoff(reconnect_initial_s, reconnect_max_s)
        self._routes = build_routes(points)
        self._watch = tuple(watch)
        self._filters = subscriptions(self._routes, self._watch)
        self._share_group = share_group
        self._username = username
        self._password = password
        # A bus that keeps messages after publish returns: QoS 1 and 2 messages are
        # acknowledged to the broker only once it has them (see _receive).
        self._keeping = bus if isinstance(bus, KeepingBus) else None
        self._connection = 0
        self._bindings = {point.id: (point, binding) for point, binding in points}
        self._dead_subject = dead_letter_subject(name)
        # What aiomqtt receives into: kept here so that ready messages are taken in a batch
        # and messages received just before a connection drops are still mapped after it.
        self._inbox: asyncio.Queue[Received] | None = None
        self._client: aiomqtt.Client | None = None
        self._latest: dict[str, Observation] = {}
        self._seen: dict[str, datetime] = {}  # bound topic -> when a message last came
        self._refusals = RefusalCounts()
        self._command_topics = frozenset(
            b.command_topic for _, b in points if b.command_topic is not None
        )
        self._state = DeviceState.OFFLINE
        self._state_reached = {state: asyncio.Event() for state in DeviceState}
        self._state_reached[DeviceState.OFFLINE].set()
        self._detail = "not connected yet"
        self._last_contact: datetime | None = None
        self._received = 0
        self._observations = 0
        self._connects = 0
        self._errors = 0
        self._commands = 0
        self._echoes = 0

    @property
    def filters(self) -> list[str]:
        """The topic filters run() subscribes to."""
        return list(self._filters)

    async def wait_state(self, state: DeviceState) -> None:
        """Wait until the broker connection is in `state` (now or later)."""
        await self._state_reached[state].wait()

    def _set_state(self, state: DeviceState, detail: str) -> None:
        self._detail = detail
        if state is not self._state:
            self._state_reached[self._state].clear()
            self._state = state
            self._state_reached[state].set()

    # -- receiving -------------------------------------------------------------------------

    async def run(self) -> None:
        """Receive and map until cancelled, reconnecting whenever the broker is lost."""
        while True:
            try:
                await self._session()
            except aiomqtt.MqttError as exc:
                self._lost(exc)
            # Backoff is wall time: it paces network retries, not building time.
            await asyncio.sleep(self._backoff.next_delay())

    async def _session(self) -> None:
        client = self._new_client()
        await connect(client)
        try:
            refused = await self._subscribe(client)
            self._connected(client, refused)
            await self._receive(client)
        finally:
            self._client = None
            if self._state is not DeviceState.OFFLINE:
                self._set_state(DeviceState.OFFLINE, f"disconnected from {self.url}")
            await disconnect(client)

    def _new_client(self) -> aiomqtt.Client:
        if self._inbox is None:
            self._inbox = asyncio.Queue()
        identifier = self._client_id or f"penworks-{self.name}-{secrets.token_hex(4)}"
        self._connection += 1
        return reading_client(
            self._inbox,
            self._host,
            self._port,
            connection=self._connection,
            manual_ack=self._keeping is not None,
            identifier=identifier,
            # A named client keeps its session, so the broker holds QoS 1/2 messages meanwhile.
            clean_session=self._client_id is None,
            keepalive=self._keepalive_s,
            username=self._username,
            password=self._password,
        )

    async def _subscribe(self, client: aiomqtt.Client) -> list[str]:
        """Subscribe to every filter; the filters the broker refused."""
        refused: list[str] = []
        share = f"$share/{self._share_group}/" if self._share_group is not None else ""
        for start in range(0, len(self._filters), _SUBSCRIBE_CHUNK):
            chunk = self._filters[start : start + _SUBSCRIBE_CHUNK]
            granted = await client.subscribe([(share + f, self._qos) for f in chunk])
            refused += [f for f, code in zip(chunk, granted, strict=False) if _failed(code)]
        if refused:
            self._errors += 1
            log.warning("%s: broker refused subscriptions %s", self.name, refused)
        return refused

    def _connected(self, client: aiomqtt.Client, refused: list[str]) -> None:
        self._client = client
        self._connects += 1
        self._backoff.reset()
        self._last_contact = self._now()
        detail = f"connected to {self.url}, {len(self._filters)} topic filters"
        if self._share_group is not None:
            detail += f" shared in group {self._share_group}"
        if refused:
            detail += f"; refused: {', '.join(refused)}"
        self._set_state(DeviceState.DEGRADED if refused else DeviceState.ONLINE, detail)
        log.info("%s: %s", self.name, detail)

    def _lost(self, exc: aiomqtt.MqttError) -> None:
        self._errors += 1
        rc = getattr(exc, "rc", None)  # MqttCodeError: an int (3.1.1) or a ReasonCode (5)
        if getattr(rc, "value", rc) in _CREDENTIALS_REFUSED:
            detail = f"broker {self.url} refused this connector's account: {exc}"
        else:
            detail = f"broker {self.url} unreachable: {exc}"
        self._set_state(DeviceState.OFFLINE, detail)
        log.warning("%s: %s", self.name, self._detail)

    async def _receive(self, client: aiomqtt.Client) -> None:
        inbox = self._inbox
        assert inbox is not None
        messages = client.messages
        ingest = self.ingest
        keeping, connection = self._keeping, self._connection
        taken: list[tuple[int, int]] = []  # (mid, qos) to acknowledge once kept
        while True:
            message = await next_message(messages)  # MqttError when the connection drops
            self._last_contact = self._now()
            while True:
                await ingest(message.topic, message.payload)
                if message.qos and message.connection == connection:
                    taken.append((message.mid, message.qos))
                if inbox.empty():
                    break
                message = inbox.get_nowait()  # what else is ready, without a task per message
            if keeping is not None and taken:
                # Acknowledged only once kept: a process killed before then gets them again
                # from the broker (a named client's session), and the bus stores them once.
                await keeping.flush()
                acknowledge(client, taken)
                taken.clear()

    async def ingest(self, topic: str, payload: bytes) -> None:
        """Map one received message onto the bus: what run() does with each message."""
        self._received += 1
        route = self._routes.get(topic)
        if route is None:
            await self._unbound(topic, payload)
            return
        if self._last_contact is not None:
            self._seen[topic] = self._last_contact
        latest, publish = self._latest, self._bus.publish
        for item in decode(route, payload, self._now):
            if type(item) is Refused:
                await self._refuse(topic, item, payload)
            else:
                subject, observation = item
                latest[observation.point] = observation
                self._observations += 1
                await publish(subject, observation)

    async def _unbound(self, topic: str, payload: bytes) -> None:
        if topic in self._command_topics:
            self._echoes += 1  # our own command, seen through a watch filter
        else:
            await self._refuse(topic, _UNBOUND, payload)

    async def _refuse(self, topic: str, refused: Refused, payload: bytes) -> None:
        self._refusals.add(topic, refused.code)
        letter = DeadLetter(self.name, topic, self._now(), refused.reason, bytes(payload))
        await self._bus.publish(self._dead_subject, letter)

    # -- the rest of the Connector contract --------------------------------------------------

    async def read(self, point_id: str) -> Observation | None:
        """The last observation received for the point (MQTT devices push; nothing to poll)."""
        if point_id not in self._bindings:
            raise UnknownPointError(point_id)
        return self._latest.get(point_id)

    async def write(self, point_id: str, value: Value, priority: int | None = None) -> None:
        """Publish ``{command_key: value, "ts": ...}`` on the point's command topic at QoS 1.

        MQTT devices have no priority array; `priority` is accepted and not sent.
        """
        point, binding = self._commandable(point_id)
        try:
            checked = point.check_command_value(value)
        except PayloadError as exc:
            raise CommandRejected(f"{point_id}: {exc}") from None
        await self._command(binding, checked)

    async def relinquish(self, point_id: str, priority: int | None = None) -> None:
        """Publish ``{command_key: null, "ts": ...}``: the device goes back to its own control."""
        _, binding = self._commandable(point_id)
        await self._command(binding, None)

    def _commandable(self, point_id: str) -> tuple[Point, MqttBinding]:
        found = self._bindings.get(point_id)
        if found is None:
            raise CommandRejected(f"{point_id}: not a point of connector {self.name}")
        point, binding = found
        if not point.writable:
            raise CommandRejected(f"{point_id}: the point is not writable")
        if binding.command_topic is None:
            raise CommandRejected(f"{point_id}: its MQTT binding has no command_topic")
        return point, binding

    async def _command(self, binding: MqttBinding, value: Value | None) -> None:
        client = self._client
        topic = binding.command_topic
        assert topic is not None
        if client is None:
            raise ConnectorError(f"{self.name}: not connected to {self.url}")
        body: dict[str, object] = {binding.command_key: value}
        body.setdefault("ts", self._now().isoformat())
        try:
            await client.publish(topic, json.dumps(body, allow_nan=False), qos=1)
        except aiomqtt.MqttError as exc:
            raise ConnectorError(f"{self.name}: publishing on {topic} failed: {exc}") from exc
        self._commands += 1

    async def scan(self, seconds: float) -> list[DiscoveredPoint]:
        """Listen `seconds` (wall clock) on the watch filters, or '#', and list the JSON leaves."""
        filters = self._watch or ("#",)
        return await scan_broker(
            self.name,
            self._host,
            self._port,
            filters,
            seconds,
            username=self._username,
            password=self._password,
        )

    def health(self) -> list[DeviceHealth]:
        return [
            DeviceHealth(
                connector=self.name,
                device=self.url,
                state=self._state,
                last_contact=self._last_contact,
                errors=self._errors,
                detail=self._detail,
            )
        ]

    def stats(self) -> dict[str, int]:
        counts = {
            "received": self._received,
            "observations": self._observations,
            "dead_letters": self._refusals.total,
            "reconnects": max(0, self._connects - 1),
            "commands": self._commands,
            "command_echoes": self._echoes,
            "errors": self._errors,
        }
        counts.update({f"dead_letters.{code}": n for code, n in self._refusals.by_code().items()})
        return counts

    def last_seen(self) -> dict[str, datetime]:
        """When a message last came on each bound topic (to the time its batch was taken)."""
        return dict(self._seen)

    def dead_letter_counts(self) -> dict[tuple[str, str], int]:
        """Dead letters so far per (topic, reason code)."""
        return self._refusals.by_topic()


def _failed(code: object) -> bool:
    """Whether a SUBACK return code (int, or paho ReasonCode) refuses the subscription."""
    value = getattr(code, "value", code)
    return isinstance(value, int) and value >= 0x80
