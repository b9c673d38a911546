"""ServerLink: one OPC UA server held in one session, kept up for as long as the connector runs.

A session is opened, its subscription created (a monitored item per subscribed point) and
the first keep-alive read made; then three loops run side by side until one ends the
session: the data changes, the polls (polled points and the server's clock as keep-alive,
whose round trip is the latency), and a watch on the connection. A lost session makes the
server offline and its points bad; the next one is opened after a jittered backoff and
subscribes afresh.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Sequence

from asyncua import ua
from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent, Subscription

from penworks.connectors.base import DeviceState
from penworks.connectors.health import DeviceHealthTracker
from penworks.connectors.opcua.config import OpcuaServerConfig
from penworks.connectors.opcua.items import monitored_items, subscription_parameters
from penworks.connectors.opcua.outbox import Outbox
from penworks.connectors.opcua.points import PointEntry
from penworks.connectors.opcua.session import (
    ENDED_ERRORS,
    OPEN_ERRORS,
    SESSION_ERRORS,
    SessionLost,
    close_session,
    describe,
    first_to_end,
    open_session,
    wait_disconnected,
)
from penworks.connectors.opcua.uanames import AttributeIds, Client, ObjectIds, standard_node
from penworks.connectors.opcua.values import (
    UNRESOLVED_TYPES,
    natural_type,
    status_text,
    to_variant,
)
from penworks.core import (
    Clock,
    CommandRejected,
    ConfigError,
    ConnectorError,
    Observation,
    PayloadError,
    Value,
)
from penworks.core.backoff import Backoff

log = logging.getLogger(__name__)

CURRENT_TIME = standard_node(ObjectIds.Server_ServerStatus_CurrentTime)
READ_CHUNK = 500  # nodes per polled Read request
ITEMS_CHUNK = 1000  # monitored items per CreateMonitoredItems request
BAD_LISTED = 3  # bad nodes named in a health detail


class ServerLink:
    """The session with one server, its points, and its health."""

    def __init__(
        self,
        config: OpcuaServerConfig,
        entries: Sequence[PointEntry],
        outbox: Outbox,
        tracker: DeviceHealthTracker,
        clock: Clock,
        backoff: Backoff,
    ) -> None:
        self.config = config
        self.name = config.name
        self._entries = list(entries)
        self._subscribed = {e.handle: e for e in entries if e.binding.subscribe}
        self._polled: dict[ua.NodeId, list[PointEntry]] = {}
        for entry in entries:
            if not entry.binding.subscribe:
                self._polled.setdefault(entry.node, []).append(entry)
        self._poll_nodes = [CURRENT_TIME, *self._polled]  # what each poll reads
        self._outbox = outbox
        self._counts = outbox.counts
        self._tracker = tracker
        self._clock = clock
        self._backoff = backoff
        self._password = _password(config)
        self._client: Client | None = None
        self._bad: dict[str, str] = {}  # point id -> "node: status" while its data is bad
        self._latency_s: float | None = None
        self._types: dict[ua.NodeId, ua.VariantType] = {}
        self._sessions = 0
        tracker.add(self.name, offline_after=config.offline_after)

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> Client | None:
        """The client of the current session (None between sessions)."""
        return self._client

    # -- the session -----------------------------------------------------------------------

    async def run(self) -> None:
        """Hold a session until cancelled, opening a new one whenever it is lost."""
        while True:
            client = await self._open()
            if client is not None:
                try:
                    await self._hold(client)
                except ENDED_ERRORS as exc:
                    await self._lost(describe(exc, self.config))
                finally:
                    self._client = None
                    await close_session(client, self.config.timeout_s)
            # Backoff is wall time: it paces network retries, not building time.
            await asyncio.sleep(self._backoff.next_delay())

    async def _open(self) -> Client | None:
        try:
            client = await open_session(self.config, self._password, watchdog_s=self._watchdog_s)
        except OPEN_ERRORS as exc:
            self._counts["errors"] += 1
            await self._tracker.failure(self.name, f"cannot connect: {describe(exc, self.config)}")
            return None
        self._counts["sessions"] += 1
        if self._sessions:
            self._counts["reconnects"] += 1
        self._sessions += 1
        return client

    @property
    def _watchdog_s(self) -> float:
        # The library's own liveness probe is only a backstop, slower than offline_after
        # failed keep-alive reads, so that health goes degraded before it goes offline.
        config = self.config
        return (config.poll_s + config.timeout_s) * (config.offline_after + 1)

    async def _hold(self, client: Client) -> None:
        self._bad.clear()
        subscription = await self._subscribe(client)
        await self._poll(client)
        self._client = client
        self._backoff.reset()
        log.info("opcua %s: session open to %s", self.name, self.config.url)
        await first_to_end(
            self._receive(subscription),
            self._keep_polling(client),
            wait_disconnected(client),
        )
        raise SessionLost("the connection was closed")

    async def _lost(self, detail: str) -> None:
        self._counts["errors"] += 1
        self._counts["sessions_lost"] += 1
        self._bad.clear()
        await self._tracker.offline(self.name, f"session lost: {detail}")
        await self._outbox.bad(self._entries)

    # -- subscription ----------------------------------------------------------------------

    async def _subscribe(self, client: Client) -> Subscription | None:
        entries = list(self._subscribed.values())
        if not entries:
            return None
        subscription = await client.create_subscription(
            subscription_parameters(self.config.publishing_ms),
            None,  # no handler: notifications are taken from its queue (see _receive)
            queue_maxsize=max(10_000, 10 * len(entries)),
        )
        results: list[int | ua.StatusCode] = []
        for start in range(0, len(entries), ITEMS_CHUNK):
            chunk = monitored_items(entries[start : start + ITEMS_CHUNK])
            results += await subscription.create_monitored_items(chunk)
        for entry, result in zip(entries, results, strict=True):
            if isinstance(result, ua.StatusCode):
                await self._item_bad(entry, status_text(result))
                await self._outbox.bad([entry])
        return subscription

    async def _receive(self, subscription: Subscription | None) -> None:
        if subscription is None:
            await asyncio.Event().wait()  # nothing subscribed: the other loops end the session
            return
        subscribed = self._subscribed
        counts = self._counts
        async for event in subscription:
            if type(event) is DataChangeEvent:
                item = event.data.monitored_item
                entry = subscribed.get(item.ClientHandle)
                if entry is not None:
                    counts["data_changes"] += 1
                    await self._ingest(entry, item.Value)
            elif isinstance(event, StatusChangeEvent) and event.notification.Status.is_bad():
                raise SessionLost(f"subscription {status_text(event.notification.Status)}")

    async def _ingest(self, entry: PointEntry, data: ua.DataValue) -> None:
        await self._outbox.value(entry, data)
        status = data.StatusCode
        if status is not None and status.is_bad():
            await self._item_bad(entry, status_text(status))
        elif self._bad and entry.point.id in self._bad:
            await self._item_recovered(entry)

    async def _item_bad(self, entry: PointEntry, status: str) -> None:
        news = entry.point.id not in self._bad
        self._bad[entry.point.id] = f"{entry.binding.node} {status}"
        if news and self._client is not None:  # before that, the first poll reports
            await self._tracker.degraded(self.name, self._bad_detail(), self._latency_s)

    async def _item_recovered(self, entry: PointEntry) -> None:
        del self._bad[entry.point.id]
        if not self._bad and self._client is not None:
            await self._tracker.success(self.name, self._latency_s, self._good_detail())

    def _bad_detail(self) -> str:
        named = "; ".join(list(self._bad.values())[:BAD_LISTED])
        more = ", ..." if len(self._bad) > BAD_LISTED else ""
        return f"{len(self._bad)} of {len(self._entries)} points bad: {named}{more}"

    def _good_detail(self) -> str:
        return (
            f"session to {self.config.url}: {len(self._subscribed)} monitored items, "
            f"{len(self._polled)} polled nodes"
        )

    # -- polls and keep-alive --------------------------------------------------------------

    async def _keep_polling(self, client: Client) -> None:
        while True:
            await self._clock.sleep(self.config.poll_s)
            await self._poll(client)

    async def _poll(self, client: Client) -> None:
        """Read the server's clock and every polled node; report health with the latency."""
        try:
            values, latency = await self._read(client, self._poll_nodes)
        except TimeoutError as exc:
            self._counts["errors"] += 1
            await self._tracker.failure(self.name, f"keep-alive: {describe(exc, self.config)}")
            if self._tracker.device(self.name).state is DeviceState.OFFLINE:
                raise SessionLost(f"{self.config.offline_after} keep-alive reads failed") from exc
            return
        self._latency_s = latency
        self._counts["polls"] += 1
        for data, node in zip(values[1:], self._polled, strict=True):
            for entry in self._polled[node]:
                self._counts["reads"] += 1
                await self._ingest(entry, data)
        if self._bad:
            await self._tracker.degraded(self.name, self._bad_detail(), latency)
        else:
            await self._tracker.success(self.name, latency, self._good_detail())

    async def _read(
        self, client: Client, nodes: Sequence[ua.NodeId]
    ) -> tuple[list[ua.DataValue], float]:
        """The Value of each node, in batches; the round trip of the first batch."""
        values: list[ua.DataValue] = []
        latency = 0.0
        for start in range(0, len(nodes), READ_CHUNK):
            began = time.perf_counter()
            chunk = list(nodes[start : start + READ_CHUNK])
            values += await client.uaclient.read_attributes(chunk, AttributeIds.Value)
            if start == 0:
                latency = time.perf_counter() - began
        return values, latency

    async def read_now(self, entry: PointEntry) -> Observation | None:
        """Read one point's node now and publish it; its latest observation."""
        client = self._client
        if client is not None:
            try:
                [data], _ = await self._read(client, [entry.node])
            except SESSION_ERRORS as exc:
                self._counts["errors"] += 1
                await self._tracker.failure(self.name, f"read: {describe(exc, self.config)}")
            else:
                self._counts["reads"] += 1
                await self._ingest(entry, data)
        return self._outbox.latest(entry.point.id)

    # -- writes ----------------------------------------------------------------------------

    async def write(self, entry: PointEntry, value: Value) -> None:
        """Write a checked value to the point's node, as the node's own type."""
        point_id, node = entry.point.id, entry.binding.node
        client = self._client
        if client is None:
            detail = self._tracker.device(self.name).detail
            raise ConnectorError(f"{point_id}: server {self.name} is not connected ({detail})")
        vtype = await self._variant_type(client, entry)
        if vtype in UNRESOLVED_TYPES:
            vtype = natural_type(value)
        try:
            variant = to_variant(value, vtype, entry.binding.scale, entry.binding.offset)
        except PayloadError as exc:
            self._counts["commands_rejected"] += 1
            raise CommandRejected(f"{point_id}: {exc}") from None
        # Value only: many servers refuse writes that carry a status or timestamps.
        data = ua.DataValue(Value=variant, StatusCode=None)
        try:
            [status] = await client.uaclient.write_attributes([entry.node], [data])
        except SESSION_ERRORS as exc:
            self._counts["errors"] += 1
            raise ConnectorError(
                f"{point_id}: writing {node}: {describe(exc, self.config)}"
            ) from exc
        if status.is_bad():
            self._counts["writes_refused"] += 1
            raise ConnectorError(
                f"{point_id}: server {self.name} refused the write to {node}: "
                f"{status_text(status)} ({status.doc})"
            )
        self._counts["writes"] += 1
        if not entry.binding.subscribe:
            await self.read_now(entry)  # the read-back confirms it; subscriptions report it

    async def _variant_type(self, client: Client, entry: PointEntry) -> ua.VariantType:
        """The VariantType the node holds: from its DataType, read once."""
        known = self._types.get(entry.node)
        if known is not None:
            return known
        node = client.get_node(entry.node)
        try:
            vtype = await node.read_data_type_as_variant_type()
            if vtype in UNRESOLVED_TYPES:  # an abstract DataType: the value's own type
                data = await node.read_data_value(raise_on_bad_status=False)
                vtype = data.Value.VariantType if data.Value is not None else vtype
        except SESSION_ERRORS as exc:
            raise ConnectorError(
                f"{entry.point.id}: cannot learn the type of {entry.binding.node}: "
                f"{describe(exc, self.config)}"
            ) from exc
        if vtype not in UNRESOLVED_TYPES:
            self._types[entry.node] = vtype
        return vtype


def _password(config: OpcuaServerConfig) -> str | None:
    if config.password_env is None:
        return None
    password = os.environ.get(config.password_env)
    if password is None:
        raise ConfigError(
            f"opcua server {config.name}: environment variable {config.password_env} "
            "(password_env) is not set"
        )
    return password
