"""One /api/live connection, from its first message to its close.

The client authenticates with its first message; then its subscribe and unsubscribe
messages shape a LiveFilter, and bus subscriptions, open while needed (`obs.>` for points,
`event.>` for alarms and events; DROP_OLDEST, bounded), feed an Outbox that is flushed at
most every `flush_s`. A status message reports drops and doubles as the heartbeat. A
revocation of the principal's session or user closes the socket at once; a session that
merely expired closes it at the next heartbeat.

The session speaks to the client through a LiveChannel, so it is tested without a server.
Its timings are wall-clock (asyncio) seconds, not the platform Clock: they are about the
network and the browser, which do not run on simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, Protocol

from penworks.api.live_config import LiveConfig
from penworks.api.live_filter import OBSERVATION_PREFIX, LiveFilter
from penworks.api.live_messages import (
    AuthIn,
    ClientMessage,
    LiveError,
    PingIn,
    SubscribeIn,
    UnsubscribeIn,
    parse_client_message,
)
from penworks.api.live_outbox import Outbox
from penworks.api.protocols import ModelView
from penworks.auth import AccessPolicy, Action, Principal
from penworks.auth.errors import AuthError
from penworks.auth.revocation import Revocation
from penworks.bus import Bus, Overflow, Subscription
from penworks.core import Clock, PenworksError

log = logging.getLogger(__name__)

# Close codes: 4401/4403 mirror HTTP 401/403 (RFC 6455 leaves 4000-4999 to applications).
UNAUTHORIZED: Final = 4401
FORBIDDEN: Final = 4403
POLICY_VIOLATION: Final = 1008
GOING_AWAY: Final = 1001
SERVER_ERROR: Final = 1011

OBSERVATIONS: Final = "obs.>"
EVENTS: Final = "event.>"


class LiveChannel(Protocol):
    """The socket as the session sees it."""

    async def receive(self) -> str | bytes | None:
        """The next frame's text or bytes; None once the client has gone."""
        ...

    async def send(self, text: str) -> None:
        """Send one text frame; ChannelClosed if the client has gone."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Close the socket (a no-op if it is closed already); never raises."""
        ...


class LiveAuth(Protocol):
    """What the session needs of the authentication service."""

    async def principal(self, bearer: str) -> Principal: ...

    def still_valid(self, principal: Principal) -> bool:
        """Whether a principal found earlier may still act (its session has not ended)."""
        ...

    def listen_revocations(self) -> asyncio.Queue[Revocation]: ...

    def unlisten(self, queue: asyncio.Queue[Revocation]) -> None: ...


class ChannelClosed(PenworksError):
    """The client went away (mid-send included)."""


class SessionEnd(PenworksError):
    """Why a session ends: the close code and reason to send (code None: the client left)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(reason or "client gone")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LiveServices:
    """What a session reads from: the app's services (auth None: the app runs unsecured)."""

    auth: LiveAuth | None
    bus: Bus | None
    model: ModelView
    policy: AccessPolicy
    clock: Clock
    config: LiveConfig


class LiveSession:
    def __init__(self, channel: LiveChannel, services: LiveServices) -> None:
        self._channel = channel
        self._services = services
        self._config = services.config
        self._outbox = Outbox(self._config.outbox_size)
        self._subscriptions: dict[str, Subscription] = {}
        self._errors: deque[float] = deque()
        self._send_lock = asyncio.Lock()
        self._filter: LiveFilter | None = None
        self._spawn: Callable[[Coroutine[Any, Any, None]], object] | None = None
        self._reported = 0
        self._dropped_before = 0  # by subscriptions closed since

    async def run(self) -> None:
        """Serve the client until it leaves or the session ends; closes the socket."""
        try:
            principal = await self._authenticate()
        except SessionEnd as refused:
            await self._end(refused)
            return
        # Nothing awaits between the token check and _serve listening for revocations, so
        # none can slip in between.
        self._filter = LiveFilter(
            self._services.model, self._services.policy, principal, self._config.max_points
        )
        ending = SessionEnd(None)
        try:
            await self._serve(principal)
        except* SessionEnd as group:
            ending = _first_end(group)
        finally:
            await self._close_subscriptions()
        await self._end(ending)

    async def _end(self, end: SessionEnd) -> None:
        if end.code is None:
            return
        log.debug("live socket closed: %s %s", end.code, end.reason)
        await self._channel.close(end.code, end.reason)

    # Authentication

    async def _authenticate(self) -> Principal:
        auth = self._services.auth
        if auth is None or self._services.bus is None:
            missing = "authentication" if auth is None else "the bus"
            raise SessionEnd(SERVER_ERROR, f"live data unavailable: no {missing}")
        try:
            async with asyncio.timeout(self._config.auth_timeout_s):
                frame = await self._channel.receive()
        except TimeoutError:
            raise SessionEnd(UNAUTHORIZED, "authenticate first: no auth message in time") from None
        if frame is None:
            raise SessionEnd(None)
        try:
            message = parse_client_message(frame, self._config.max_message_bytes)
        except LiveError as exc:
            raise SessionEnd(UNAUTHORIZED, f"authenticate first: {exc.title.lower()}") from None
        if not isinstance(message, AuthIn):
            raise SessionEnd(UNAUTHORIZED, "authenticate first: send an auth message")
        try:
            principal = await auth.principal(message.token)
        except AuthError as exc:
            raise SessionEnd(UNAUTHORIZED, _reason(str(exc) or "invalid token")) from None
        if not principal.may(Action.READ):
            raise SessionEnd(FORBIDDEN, f"{principal.username} may not read live data")
        return principal

    # Serving

    async def _serve(self, principal: Principal) -> None:
        auth = self._services.auth
        assert auth is not None  # checked by _authenticate
        revocations = auth.listen_revocations()
        try:
            async with asyncio.TaskGroup() as group:
                self._spawn = group.create_task
                await self._send(self._ready(principal))
                group.create_task(self._watch_revocations(revocations, principal))
                group.create_task(self._read_client())
                group.create_task(self._flush())
                group.create_task(self._heartbeat(auth, principal))
        finally:
            self._spawn = None
            auth.unlisten(revocations)

    def _ready(self, principal: Principal) -> dict[str, Any]:
        return {
            "type": "ready",
            "user": principal.username,
            "role": principal.role.value,
            "tenant": principal.tenant,
            "flush_s": self._config.flush_s,
            "heartbeat_s": self._config.heartbeat_s,
        }

    async def _watch_revocations(
        self, queue: asyncio.Queue[Revocation], principal: Principal
    ) -> None:
        while True:
            revocation = await queue.get()
            if revocation.ends(principal):
                raise SessionEnd(FORBIDDEN, _reason(revocation.reason or "session revoked"))

    async def _read_client(self) -> None:
        while True:
            frame = await self._channel.receive()
            if frame is None:
                raise SessionEnd(None)
            try:
                message = parse_client_message(frame, self._config.max_message_bytes)
                reply = await self._handle(message)
            except LiveError as exc:
                await self._refused(exc)
                continue
            await self._send(reply)

    async def _handle(self, message: ClientMessage) -> dict[str, Any]:
        live = self._live_filter
        if isinstance(message, SubscribeIn):
            added = live.subscribe(message)
            self._open_feeds()
            return self._subscription(message.id, added=added, removed=[])
        if isinstance(message, UnsubscribeIn):
            removed = live.unsubscribe(message)
            await self._close_feeds()
            return self._subscription(message.id, added=[], removed=removed)
        if isinstance(message, PingIn):
            return {"type": "pong", "id": message.id}
        raise LiveError(400, "Already authenticated", "this socket is signed in already",
                        "live-already-authenticated")  # fmt: skip

    def _subscription(
        self, request_id: str | int | None, *, added: list[str], removed: list[str]
    ) -> dict[str, Any]:
        live = self._live_filter
        return {
            "type": "subscription",
            "id": request_id,
            "added": added,
            "removed": removed,
            "points": len(live.points),
            "alarms": live.alarms,
            "events": live.events,
        }

    async def _refused(self, error: LiveError) -> None:
        now = time.monotonic()
        self._errors.append(now)
        while self._errors and self._errors[0] <= now - self._config.error_window_s:
            self._errors.popleft()
        if len(self._errors) > self._config.max_errors:
            raise SessionEnd(POLICY_VIOLATION, "too many invalid messages")
        await self._send(error.message())

    # Feeding from the bus

    def _needed(self) -> dict[str, bool]:
        live = self._live_filter
        return {OBSERVATIONS: live.wants_observations, EVENTS: live.wants_events}

    def _open_feeds(self) -> None:
        """Subscribe to what the filter now needs (a socket that follows nothing costs the
        bus nothing)."""
        for pattern, needed in self._needed().items():
            if needed and pattern not in self._subscriptions and self._spawn is not None:
                bus = self._services.bus
                assert bus is not None  # checked by _authenticate
                subscription = bus.subscribe(
                    pattern,
                    name=f"live:{self._live_filter.principal.username}:{pattern}",
                    maxsize=self._config.queue_size,
                    overflow=Overflow.DROP_OLDEST,
                )
                self._subscriptions[pattern] = subscription
                self._spawn(self._pump(subscription))

    async def _close_feeds(self) -> None:
        """Let go of the subscriptions the filter no longer needs (their drops still count)."""
        for pattern, needed in self._needed().items():
            subscription = None if needed else self._subscriptions.pop(pattern, None)
            if subscription is not None:
                await subscription.close()
                self._dropped_before += subscription.stats().dropped

    async def _pump(self, subscription: Subscription) -> None:
        live, outbox = self._live_filter, self._outbox
        while batch := await subscription.batch(1000):
            for subject, message in batch:
                if subject.startswith(OBSERVATION_PREFIX):
                    item = live.observation(message)
                    if item is not None:
                        outbox.observation(item)
                else:
                    out = live.event(subject, message)
                    if out is not None:
                        outbox.message(out)
        if subscription in self._subscriptions.values():  # the bus ended it, not the session
            raise SessionEnd(GOING_AWAY, "the server is shutting down")

    # Sending

    async def _flush(self) -> None:
        """Send what waits, at most once per flush_s: the first item of a quiet spell goes
        out at once, a busy spell is gathered into one batch per flush_s."""
        while True:
            await self._outbox.ready.wait()
            for message in self._outbox.take():
                await self._send(message)
            if self.dropped > self._reported:
                await self._send(self._status())
            await asyncio.sleep(self._config.flush_s)

    async def _heartbeat(self, auth: LiveAuth, principal: Principal) -> None:
        """A status message every heartbeat_s; and a session that ended without a revocation
        (it expired) ends the socket too."""
        while True:
            await asyncio.sleep(self._config.heartbeat_s)
            if not auth.still_valid(principal):
                raise SessionEnd(UNAUTHORIZED, "the session has ended; sign in again")
            await self._send(self._status())

    def _status(self) -> dict[str, Any]:
        live = self._live_filter
        dropped = self.dropped
        self._reported = dropped
        return {
            "type": "status",
            "ts": self._services.clock.now().isoformat(),
            "dropped": dropped,
            "points": len(live.points),
            "alarms": live.alarms,
            "events": live.events,
        }

    @property
    def dropped(self) -> int:
        """Messages this socket lost to its bounded queues since it opened."""
        on_bus = sum(s.stats().dropped for s in self._subscriptions.values())
        return self._dropped_before + on_bus + self._outbox.dropped

    async def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), default=str)
        async with self._send_lock:
            try:
                async with asyncio.timeout(self._config.send_timeout_s):
                    await self._channel.send(text)
            except ChannelClosed:
                raise SessionEnd(None) from None
            except TimeoutError:
                raise SessionEnd(POLICY_VIOLATION, "client too slow") from None

    # Ending

    async def _close_subscriptions(self) -> None:
        for subscription in self._subscriptions.values():
            with contextlib.suppress(PenworksError):
                await subscription.close()

    @property
    def _live_filter(self) -> LiveFilter:
        assert self._filter is not None, "the session is not authenticated"
        return self._filter


def _first_end(group: BaseExceptionGroup[SessionEnd]) -> SessionEnd:
    """The reason to report when several tasks ended the session together: a close code
    beats a client that simply left."""
    ends = [e for e in group.exceptions if isinstance(e, SessionEnd)]
    with_code = [e for e in ends if e.code is not None]
    return (with_code or ends)[0]


def _reason(text: str) -> str:
    """A close reason: RFC 6455 allows 123 bytes of UTF-8."""
    encoded = text.encode()
    if len(encoded) <= 123:
        return text
    return encoded[:120].decode(errors="ignore") + "..."
