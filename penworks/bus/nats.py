"""NatsBus: the Bus on NATS JetStream, for a platform run as several processes.

Streams (made or brought up to date at every connect, named `<stream_prefix>_<kind>`):
  OBS     obs.>, deadletter.>   observations and dead letters
  CMD     cmd.>                 commands, kept a minute only: a command is meant for now,
                                and one not taken within a minute is dropped rather than
                                acted on when a connector comes back later
  EVENTS  event.>, health.>     alarms, audit and app events, device health
All keep messages within max_age / max_bytes (oldest dropped first) in file storage by
default, with a duplicate window in which a re-published observation (same point and
timestamp, the Nats-Msg-Id) is stored once.

publish() returns once JetStream has acknowledged storing the message (its PubAck). With
file storage an acknowledged message survives a crash or SIGKILL of nats-server: it is in
the server's files (the operating system writes them out; surviving a power cut as well
takes replicas=3 in a cluster). With memory storage a server restart loses the streams;
they are made again, empty, on reconnect. Many publishes may wait for their PubAcks at
once, up to max_publishes_in_flight. When the server is unreachable or does not answer,
publish raises BusError within publish_timeout_s, so a spool in front of it can keep the
message.

Subscriptions are JetStream pull consumers (see nats_subscription). Messages are encoded by
penworks.bus.codec. A `subject_prefix` puts every subject under a root of its own, so that
several sites (or tests) can share one server with their own streams.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import nats.errors
import nats.js.errors
from nats.aio.client import Client, Server
from nats.aio.msg import Msg
from nats.js import JetStreamManager, api

from penworks.bus.base import Message, Overflow, SubscriptionStats
from penworks.bus.codec import encode, message_id
from penworks.bus.nats_subscription import (
    NatsSubscription,
    NetworkErrors,
    consumer_name,
    plan_consumers,
)
from penworks.bus.subjects import (
    COMMANDS,
    DEAD_LETTERS,
    EVENTS,
    HEALTH,
    OBSERVATIONS,
    validate_pattern,
)
from penworks.core import BusError, Observation
from penworks.core.deadlines import Deadlines

log = logging.getLogger(__name__)

MiB = 1 << 20
GiB = 1 << 30
_STREAM_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_SUBJECT_TOKEN = re.compile(r"^[^\s.*>]+$")
_STREAM_IN_USE = 10058  # JetStream error codes
_SUBJECTS_OVERLAP = 10065
_NO_RESOURCES = 10047
_LOG_UNDECODABLE_FIRST = 10


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """How much of one stream the server keeps: whichever limit is reached first."""

    max_age_s: float
    max_bytes: int


@dataclass(frozen=True, slots=True)
class NatsSettings:
    """Everything NatsBus needs; penworks.config's NatsBusConfig builds one."""

    servers: tuple[str, ...] = ("nats://127.0.0.1:4222",)
    connection_name: str = "penworks"
    stream_prefix: str = "PENWORKS"
    subject_prefix: str = ""  # a root for every subject, to share a server ("" for none)
    storage: Literal["file", "memory"] = "file"
    replicas: int = 1
    observations: StreamLimits = StreamLimits(48 * 3600.0, 8 * GiB)
    commands: StreamLimits = StreamLimits(60.0, 64 * MiB)
    events: StreamLimits = StreamLimits(7 * 24 * 3600.0, 1 * GiB)
    duplicate_window_s: float = 120.0
    ack_wait_s: float = 30.0
    max_ack_pending: int = 20_000
    publish_timeout_s: float = 2.0
    max_publishes_in_flight: int = 10_000
    connect_timeout_s: float = 5.0
    reconnect_wait_s: float = 0.25  # first retry; doubles up to reconnect_max_wait_s
    reconnect_max_wait_s: float = 5.0
    pull_expires_s: float = 5.0  # how long a pull waits at the server; also the handover delay
    pull_batch: int = 1_000

    def __post_init__(self) -> None:
        if not self.servers:
            raise ValueError("at least one NATS server URL is needed")
        if not _STREAM_NAME.match(self.stream_prefix):
            raise ValueError(f"stream_prefix {self.stream_prefix!r}: letters, digits, _ and -")
        tokens = self.subject_prefix.split(".") if self.subject_prefix else []
        if not all(_SUBJECT_TOKEN.match(t) for t in tokens):
            raise ValueError(f"subject_prefix {self.subject_prefix!r}: dotted words only")
        if self.publish_timeout_s <= 0 or self.ack_wait_s <= 0 or self.pull_expires_s <= 0:
            raise ValueError("timeouts must be positive")


@dataclass(frozen=True, slots=True)
class _Stream:
    kind: str
    roots: tuple[str, ...]
    limits: StreamLimits
    subjects: tuple[str, ...] = field(default=())


class _PubAcks:
    """Publishes waiting for their PubAck, all answered on one wildcard inbox.

    Those not answered within the timeout are failed with TimeoutError by one watching task
    (`Deadlines`), which costs less than a timer per publish.
    """

    def __init__(self, timeout_s: float) -> None:
        self._prefix = ""
        self._waiting: dict[str, asyncio.Future[Msg]] = {}
        self._deadlines = Deadlines(timeout_s, self._answered, self._time_out)
        self._next = 0

    async def open(self, client: Client) -> None:
        if not self._prefix:
            prefix = client.new_inbox() + "."
            await client.subscribe(prefix + "*", cb=self._answer)
            self._prefix = prefix

    async def close(self) -> None:
        await self._deadlines.close()

    def expect(self) -> tuple[str, asyncio.Future[Msg]]:
        self._next += 1
        token = str(self._next)
        future: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        self._deadlines.add(token)
        return token, future

    def reply_to(self, token: str) -> str:
        return self._prefix + token

    def forget(self, token: str) -> None:
        self._waiting.pop(token, None)

    async def _answer(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.subject[len(self._prefix) :], None)
        if future is not None and not future.done():
            future.set_result(msg)

    def _answered(self, token: str) -> bool:
        return token not in self._waiting

    def _time_out(self, token: str) -> None:
        future = self._waiting.pop(token)
        if not future.done():
            future.set_exception(TimeoutError())


class NatsBus:
    """The Bus protocol on NATS JetStream. Connect before use; close when done."""

    def __init__(self, settings: NatsSettings | None = None) -> None:
        self.settings = settings = settings or NatsSettings()
        self._root = f"{settings.subject_prefix}." if settings.subject_prefix else ""
        self._streams = self._plan_streams(settings)
        self._roots = {root for s in self._streams for root in s.roots}
        self._client: Client | None = None
        self._jsm: JetStreamManager | None = None
        self._acks = _PubAcks(settings.publish_timeout_s)
        self._window = asyncio.Semaphore(settings.max_publishes_in_flight)
        self._subs: list[NatsSubscription] = []
        self._ready = asyncio.Event()  # connected and the streams are there
        self._down = asyncio.Event()
        self._down.set()
        self._setup_failed: BusError | None = None
        self._failed = asyncio.Event()  # the server refused the stream settings
        self._connecting: asyncio.Task[None] | None = None
        self._preparing: asyncio.Task[None] | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._last_error: BaseException | None = None
        self._warned = False
        self.epoch = 0  # changes whenever the connection goes or comes back
        self.published = 0
        self.duplicates = 0
        self.publish_failures = 0
        self.undecodable = 0
        self.ack_failures = 0
        self.disconnects = 0

    # Streams

    def _plan_streams(self, settings: NatsSettings) -> tuple[_Stream, ...]:
        plan = (
            ("OBS", (OBSERVATIONS, DEAD_LETTERS), settings.observations),
            ("CMD", (COMMANDS,), settings.commands),
            ("EVENTS", (EVENTS, HEALTH), settings.events),
        )
        return tuple(
            _Stream(kind, roots, limits, tuple(f"{self._root}{r}.>" for r in roots))
            for kind, roots, limits in plan
        )

    def stream_name(self, kind: str) -> str:
        """The server's name of one stream: OBS, CMD or EVENTS."""
        return f"{self.settings.stream_prefix}_{kind}"

    @property
    def stream_names(self) -> list[str]:
        return [self.stream_name(s.kind) for s in self._streams]

    def _stream_config(self, stream: _Stream) -> api.StreamConfig:
        s = self.settings
        storage = api.StorageType.FILE if s.storage == "file" else api.StorageType.MEMORY
        return api.StreamConfig(
            name=self.stream_name(stream.kind),
            description=f"penworks {', '.join(stream.roots)}",
            subjects=list(stream.subjects),
            retention=api.RetentionPolicy.LIMITS,
            discard=api.DiscardPolicy.OLD,
            storage=storage,
            num_replicas=s.replicas,
            max_age=stream.limits.max_age_s,
            max_bytes=stream.limits.max_bytes,
            duplicate_window=min(s.duplicate_window_s, stream.limits.max_age_s),
        )

    async def _ensure_streams(self) -> None:
        jsm = self.jsm()
        for stream in self._streams:
            config = self._stream_config(stream)
            try:
                await jsm.add_stream(config)
            except nats.js.errors.APIError as exc:
                if exc.err_code != _STREAM_IN_USE:
                    raise self._stream_error(config, exc) from None
                try:
                    await jsm.update_stream(config)
                except nats.js.errors.APIError as again:
                    raise self._stream_error(config, again) from None

    def _stream_error(self, config: api.StreamConfig, exc: nats.js.errors.APIError) -> Exception:
        if exc.code == 503 or exc.code is None:
            return exc  # JetStream not up yet: worth retrying
        fix = {
            _SUBJECTS_OVERLAP: "another stream on this server holds these subjects: "
            "give this platform its own subject_prefix",
            _NO_RESOURCES: "the server has no room for max_bytes: lower it or give "
            "JetStream more storage",
        }.get(exc.err_code or 0, "change the bus settings or the stream on the server")
        return BusError(f"stream {config.name} ({exc.description}): {fix}")

    # Connection

    @property
    def client(self) -> Client:
        if self._client is None:
            raise BusError("the NATS bus is not connected: call connect() first")
        return self._client

    def jsm(self) -> JetStreamManager:
        if self._jsm is None:
            self._jsm = self.client.jsm(timeout=self.settings.publish_timeout_s)
        return self._jsm

    @property
    def connected(self) -> bool:
        """Connected and the streams in place: publish can be expected to succeed."""
        return self._ready.is_set()

    async def wait_connected(self) -> None:
        """Return once connected with the streams in place (at once if so now)."""
        await self._ready.wait()

    async def wait_disconnected(self) -> None:
        """Return once the connection is lost (at once if it is down now)."""
        await self._down.wait()

    async def connect(self, *, wait: bool = True) -> None:
        """Connect and set up the streams; the connection then comes back by itself.

        With wait, raise BusError unless that is done within connect_timeout_s. Without,
        return at once and keep trying: `connected` tells when it is done, and publish
        raises BusError until then.
        """
        if self._closed or self._client is not None:
            raise BusError("connect() is called once, on a bus that is not closed")
        self._client = Client()
        self._connecting = asyncio.create_task(self._connect(), name="nats-connect")
        for sub in self._subs:
            sub.start()
        if not wait:
            return
        waits = {asyncio.create_task(e.wait()) for e in (self._ready, self._failed)}
        try:
            await asyncio.wait(
                waits, timeout=self.settings.connect_timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in waits:
                task.cancel()
        if self._ready.is_set():
            return
        failure = self._setup_failed or BusError(
            f"NATS is not reachable at {', '.join(self.settings.servers)} within "
            f"{self.settings.connect_timeout_s} s ({self._describe_error()})"
        )
        await self.close()
        raise failure

    def _describe_error(self) -> str:
        exc = self._last_error
        return f"{type(exc).__name__}: {exc}" if exc is not None else "no answer"

    async def _connect(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "servers": list(s.servers),
            "name": s.connection_name,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "connect_timeout": s.connect_timeout_s,
            "reconnect_time_wait": s.reconnect_wait_s,
            "reconnect_to_server_handler": self._next_server,
            "drain_timeout": s.publish_timeout_s,
            "flush_timeout": s.publish_timeout_s,  # a stuck socket must not hold publish
            "error_cb": self._on_error,
            "disconnected_cb": self._on_disconnected,
            "reconnected_cb": self._on_reconnected,
            "closed_cb": self._on_disconnected,
        }
        await self.client.connect(**options)
        await self._prepare()

    def _next_server(self, servers: list[Server], info: dict[str, Any]) -> tuple[Server, float]:
        """Reconnect forever: the least tried server, after an exponential, jittered wait."""
        server = min(servers, key=lambda s: s.reconnects)
        tries = server.reconnects
        s = self.settings
        if tries == 0:
            return server, 0.0
        wait = min(s.reconnect_max_wait_s, s.reconnect_wait_s * 2 ** min(tries - 1, 20))
        return server, wait * random.uniform(0.5, 1.0)

    async def _prepare(self) -> None:
        """Once (re)connected: streams and the PubAck inbox, then open for business."""
        delay = self.settings.reconnect_wait_s
        client = self.client
        while client.is_connected and not self._closed:
            try:
                await self._acks.open(client)
                await self._ensure_streams()
            except BusError as exc:
                self._setup_failed = exc
                self._failed.set()
                log.error("NATS bus setup failed: %s", exc)
            except (*NetworkErrors, nats.js.errors.APIError) as exc:
                self._last_error = exc
                log.debug("NATS bus setup will be retried: %r", exc)
            else:
                self._setup_failed = None
                self._failed.clear()
                self._warned = False
                self.epoch += 1
                self._down.clear()
                self._ready.set()
                for sub in self._subs:
                    sub.restart()
                url = client.connected_url
                log.info("NATS bus ready on %s", url.netloc if url else "?")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max_wait_s)

    async def _on_error(self, exc: Exception) -> None:
        self._last_error = exc
        if not self._ready.is_set() and not self._warned and not self._closed:
            self._warned = True  # once per outage: the client retries every few seconds
            log.warning("NATS not reachable at %s (%r); retrying", self.settings.servers, exc)
        else:
            log.debug("NATS: %r", exc)

    async def _on_disconnected(self) -> None:
        if self._ready.is_set() and not self._closed:
            self.disconnects += 1
            log.warning("NATS connection lost; reconnecting")
        self._ready.clear()
        self._down.set()
        self.epoch += 1
        for sub in self._subs:
            sub.restart()

    async def _on_reconnected(self) -> None:
        if self._preparing is not None:
            self._preparing.cancel()
        self._preparing = asyncio.create_task(self._prepare(), name="nats-prepare")

    # Publishing

    def wire(self, subject: str) -> str:
        """The subject on the server for a bus subject (BusError when no stream holds it)."""
        if "*" in subject or ">" in subject:
            raise BusError(f"cannot publish to a wildcard subject {subject!r}")
        if subject.partition(".")[0] not in self._roots:
            roots = ", ".join(sorted(self._roots))
            raise BusError(f"no stream holds {subject!r}: the NATS bus carries {roots}")
        return self._root + subject

    def unwire(self, subject: str) -> str:
        return subject[len(self._root) :]

    async def publish(self, subject: str, message: Message) -> None:
        """Return once JetStream has stored the message; BusError when it has not."""
        if self._closed:
            raise BusError("publish on a closed bus")
        wire = self.wire(subject)
        data = encode(message)
        msg_id = message_id(message) if isinstance(message, Observation) else None
        headers = {"Nats-Msg-Id": msg_id} if msg_id is not None else None
        self._in_flight += 1
        self._idle.clear()
        try:
            if self._ready.is_set() and not self._window.locked():
                answer = await self._store(wire, data, headers)
            else:  # wait for the connection or for room, all within the timeout
                async with asyncio.timeout(self.settings.publish_timeout_s):
                    await self._ready.wait()
                    answer = await self._store(wire, data, headers)
        except TimeoutError:
            self.publish_failures += 1
            state = "no PubAck" if self.connected else f"not connected ({self._describe_error()})"
            raise BusError(
                f"{subject} not stored within {self.settings.publish_timeout_s} s: {state}"
            ) from None
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        self._check_pub_ack(subject, answer)

    async def _store(self, wire: str, data: bytes, headers: dict[str, str] | None) -> Msg:
        await self._window.acquire()
        token, future = self._acks.expect()
        try:
            await self.client.publish(wire, data, self._acks.reply_to(token), headers)
            return await future
        except nats.errors.Error as exc:
            if isinstance(exc, TimeoutError):
                raise
            self.publish_failures += 1
            raise BusError(f"publish to {wire} failed: {exc!r}") from None
        finally:
            self._acks.forget(token)
            self._window.release()

    def _check_pub_ack(self, subject: str, answer: Msg) -> None:
        if answer.headers and answer.headers.get("Status") == "503":
            self.publish_failures += 1
            raise BusError(f"no JetStream stream answered for {subject}")
        try:
            ack = json.loads(answer.data)
        except ValueError:
            ack = {"error": {"description": f"unreadable PubAck {answer.data[:80]!r}"}}
        if "error" in ack:
            self.publish_failures += 1
            raise BusError(f"JetStream refused {subject}: {ack['error'].get('description')}")
        if ack.get("duplicate"):
            self.duplicates += 1
        self.published += 1

    # Subscribing

    def subscribe(
        self,
        pattern: str,
        *,
        name: str,
        maxsize: int = 10_000,
        overflow: Overflow = Overflow.BLOCK,
        durable: bool = False,
    ) -> NatsSubscription:
        """See Bus.subscribe. A live subscription gets what is stored from now on, a durable
        one from its first creation on; for either, a full BLOCK queue stops pulling (the
        backlog waits in the stream, within its limits) rather than holding publishers."""
        if self._closed:
            raise BusError("subscribe on a closed bus")
        validate_pattern(pattern)
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if durable:
            consumer_name(name)  # raises when the name cannot name a consumer
        streams = [(self.stream_name(s.kind), s.subjects) for s in self._streams]
        targets = plan_consumers(self._root + pattern, streams)
        if not targets:
            log.warning("subscription %r: no stream holds %r, nothing will arrive", name, pattern)
        # JetStream stamps messages with the server's wall clock, so "from now on" is wall time
        since = datetime.now(UTC)
        sub = NatsSubscription(self, pattern, name, maxsize, overflow, durable, since, targets)
        self._subs.append(sub)
        if self._client is not None:
            sub.start()
        return sub

    def forget(self, sub: NatsSubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    async def acknowledge(self, replies: list[str], verb: bytes, confirm: bool = True) -> None:
        """Send an ack verb for each message, with confirm waiting until the server has them
        all; on failure they simply come again later."""
        try:
            client = self.client
            for reply in replies:
                await client.publish(reply, verb)
            if confirm:
                await client.flush(timeout=math.ceil(self.settings.publish_timeout_s))
        except (*NetworkErrors, BusError) as exc:
            self.ack_failures += len(replies)
            log.warning(
                "could not acknowledge %d messages (%r): they come again after ack_wait",
                len(replies),
                exc,
            )

    async def delete_consumer(self, stream: str, consumer: str) -> None:
        """Remove a consumer no longer needed; the server also drops idle ephemeral ones."""
        if not self.connected:
            return
        try:
            await self.jsm().delete_consumer(stream, consumer)
        except (*NetworkErrors, nats.js.errors.APIError):
            pass

    def undecodable_seen(self, subject: str, exc: Exception) -> None:
        self.undecodable += 1
        if self.undecodable <= _LOG_UNDECODABLE_FIRST or self.undecodable % 1000 == 0:
            log.warning("undecodable message on %s (%d so far): %s", subject, self.undecodable, exc)

    def stats(self) -> list[SubscriptionStats]:
        return [s.stats() for s in self._subs]

    # Closing

    async def close(self) -> None:
        """Hand back unacknowledged durable work, let publishes finish, then disconnect."""
        if self._closed:
            return
        self._closed = True
        for sub in list(self._subs):
            await sub.hand_back()
        try:
            async with asyncio.timeout(self.settings.publish_timeout_s):
                await self._idle.wait()
        except TimeoutError:
            pass
        await self._acks.close()
        for task in (self._preparing, self._connecting):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        client = self._client
        if client is not None and not client.is_closed:
            try:
                if client.is_connected:
                    await client.drain()
                else:
                    await client.close()
            except NetworkErrors as exc:
                log.debug("closing the NATS connection: %r", exc)
        self._ready.clear()
        self._down.set()

    async def __aenter__(self) -> NatsBus:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
