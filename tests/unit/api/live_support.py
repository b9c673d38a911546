"""What the /api/live tests share: a small site with three tenants, principals, an auth
service stand-in with a real revocation feed, a channel the test plays the client on, and
bus messages as the platform publishes them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from penworks.api.live_session import ChannelClosed
from penworks.auth import AccessPolicy, Action, Principal, Role, SharingConfig
from penworks.auth.errors import AuthError
from penworks.auth.revocation import Revocation, RevocationFeed
from penworks.core import Observation
from penworks.model import SiteModel

SITE_FILE = Path(__file__).parents[2] / "data" / "sites" / "small_office.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT_S = 2.0  # a guard against a hung test, not a pause: every wait ends on a message

NIB_TEMP = "b15.f3.r301.zone_air_temp"  # tenant nib's room
NIB_SETPOINT = "b15.f3.r301.vav.setpoint"
INKWELL_TEMP = "b15.f2.r201.zone_air_temp"  # tenant inkwell's room
LOBBY_TEMP = "b15.f1.lobby.zone_air_temp"  # shared with every tenant
HALL_TEMP = "b15.f1.hall.zone_air_temp"  # the park's, not shared

OPERATOR = Principal(1, "olga", Role.OPERATOR, None, "s-olga")
NIB_USER = Principal(2, "nina", Role.TENANT_USER, "nib", "s-nina")
INKWELL_USER = Principal(3, "ivan", Role.TENANT_USER, "inkwell", "s-ivan")
NO_READ_TOKEN = Principal(4, "bot", Role.OPERATOR, None, "t-bot", frozenset({Action.SYSTEM}))
PRINCIPALS = {
    "token-olga": OPERATOR,
    "token-nina": NIB_USER,
    "token-ivan": INKWELL_USER,
    "token-bot": NO_READ_TOKEN,
}


def load_site() -> SiteModel:
    return SiteModel.load(SITE_FILE)


def policy_for(site: SiteModel) -> AccessPolicy:
    return AccessPolicy(site, SharingConfig(shared=["b15.f1.lobby"]))


class FakeLiveAuth:
    """The slice of the auth service a live socket uses: tokens to principals, revocations."""

    def __init__(self, principals: dict[str, Principal] | None = None) -> None:
        self._tokens = dict(PRINCIPALS if principals is None else principals)
        self._feed = RevocationFeed()

    async def principal(self, bearer: str) -> Principal:
        try:
            return self._tokens[bearer]
        except KeyError:
            raise AuthError("invalid or expired token") from None

    def still_valid(self, principal: Principal) -> bool:
        return principal in self._tokens.values()

    def expire(self, principal: Principal) -> None:
        """The principal's session ends quietly, as at its expiry: no revocation is sent."""
        self._tokens = {token: p for token, p in self._tokens.items() if p != principal}

    def listen_revocations(self) -> asyncio.Queue[Revocation]:
        return self._feed.listen()

    def unlisten(self, queue: asyncio.Queue[Revocation]) -> None:
        self._feed.unlisten(queue)

    @property
    def listeners(self) -> int:
        return self._feed.listeners

    def revoke(self, revocation: Revocation) -> None:
        self._tokens = {token: p for token, p in self._tokens.items() if not revocation.ends(p)}
        self._feed.publish(revocation)


class FakeChannel:
    """The socket: the test writes the client's frames and reads what the session sent."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.gone = False
        self.close_code: tuple[int, str] | None = None
        self.session: asyncio.Task[None] | None = None  # the session serving it, once started
        self._closed = asyncio.Event()

    # The session's side

    async def receive(self) -> str | bytes | None:
        return await self.frames.get()

    async def send(self, text: str) -> None:
        if self.gone:
            raise ChannelClosed("the test client has gone")
        self.sent.put_nowait(json.loads(text))

    async def close(self, code: int, reason: str) -> None:
        self.close_code = (code, reason)
        self._closed.set()

    # The client's side

    def say(self, message: dict[str, Any] | str | bytes) -> None:
        self.frames.put_nowait(json.dumps(message) if isinstance(message, dict) else message)

    def leave(self) -> None:
        self.frames.put_nowait(None)

    async def next(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_S):
            return await self.sent.get()

    async def expect(self, kind: str) -> dict[str, Any]:
        """The next message, which must be of this type (status messages are skipped)."""
        while True:
            message = await self.next()
            if message["type"] != "status" or kind == "status":
                assert message["type"] == kind, message
                return message

    async def ended(self) -> None:
        """Wait for the session to finish (its failure fails the test here)."""
        assert self.session is not None
        async with asyncio.timeout(WAIT_S):
            await asyncio.shield(self.session)

    async def closed(self) -> tuple[int, str]:
        async with asyncio.timeout(WAIT_S):
            await self._closed.wait()
        assert self.close_code is not None
        return self.close_code


def observation(point: str, value: float, minute: int = 0) -> Observation:
    return Observation(point, T0.replace(minute=minute), value)


def alarm_transition(point: str | None, area: str, to: str = "unack_alarm") -> dict[str, Any]:
    """An `event.alarm` message as the alarm book publishes it (the fields a client uses)."""
    alarm_id = f"zone_too_warm:{point or area}"
    return {
        "type": "transition",
        "alarm_id": alarm_id,
        "seq": 1,
        "ts": T0.isoformat(),
        "from": "normal",
        "to": to,
        "cause": "condition",
        "user": None,
        "comment": "",
        "alarm": {
            "id": alarm_id,
            "rule": "zone_too_warm",
            "point": point,
            "area": area,
            "priority": "high",
            "state": to,
            "active": True,
        },  # fmt: skip
    }


def command_event(point: str) -> dict[str, Any]:
    return {"id": "c1", "ts": T0.isoformat(), "point": point, "actor_kind": "operator",
            "actor": "olga", "value": 22.0, "priority": 8, "status": "confirmed"}  # fmt: skip


class AsgiSocket:
    """One WebSocket connection to an ASGI app, driven in-process (no server): what a
    server does with the app's messages, including a transport that breaks."""

    def __init__(self, app: Any, path: str = "/api/live") -> None:
        self._app = app
        self._path = path
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.broken = False  # the transport fails: sends raise OSError, as a server's do
        self.task: asyncio.Task[None] | None = None

    async def _send(self, message: dict[str, Any]) -> None:
        if self.broken:
            raise OSError("connection reset by peer")
        self._from_app.put_nowait(message)

    async def connect(self) -> None:
        scope = {
            "type": "websocket", "path": self._path, "raw_path": self._path.encode(),
            "root_path": "", "scheme": "ws", "query_string": b"", "headers": [],
            "client": ("127.0.0.1", 50000), "server": ("penworks.test", 80),
            "subprotocols": [], "asgi": {"version": "3.0"}, "state": {},
        }  # fmt: skip
        self.task = asyncio.create_task(self._app(scope, self._to_app.get, self._send))
        self._to_app.put_nowait({"type": "websocket.connect"})
        assert (await self._next())["type"] == "websocket.accept"

    def say(self, message: dict[str, Any]) -> None:
        self._to_app.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    def disconnect(self, code: int = 1001) -> None:
        self._to_app.put_nowait({"type": "websocket.disconnect", "code": code})

    async def _next(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_S):
            return await self._from_app.get()

    async def expect(self, kind: str) -> dict[str, Any]:
        message = await self._next()
        assert message["type"] == "websocket.send", message
        data: dict[str, Any] = json.loads(message["text"])
        assert data["type"] == kind, data
        return data

    async def closed(self) -> tuple[int, str]:
        message = await self._next()
        assert message["type"] == "websocket.close", message
        return message["code"], message["reason"]

    async def ended(self) -> None:
        """Wait for the app to finish with this connection (its failure fails the test)."""
        assert self.task is not None
        async with asyncio.timeout(WAIT_S):
            await self.task
