"""GET /api/live: the WebSocket that streams observations, alarm transitions and events.

Every frame is a JSON text frame holding one object with a `type`.

Client -> server:
  {"type": "auth", "token": T}  first, within 5 s (an access token or an API token; never in
      the URL, which servers log)
  {"type": "subscribe", "id"?, "points"?: [ids], "brick"?, "within"?, "alarms"?, "events"?}
      adds the listed points and those of the Brick class within the place (each listed
      point must be one the user may read, else an error names it as unknown and nothing
      changes); "alarms"/"events": true turns them on
  {"type": "unsubscribe", "id"?, "points"?, "brick"?, "within"?, "alarms"?, "events"?, "all"?}
  {"type": "ping", "id"?}
Server -> client:
  {"type": "ready", "user", "role", "tenant", "flush_s", "heartbeat_s"}  after auth
  {"type": "subscription", "id", "added": [ids], "removed": [ids], "points": n, "alarms",
      "events"}  the answer to subscribe and unsubscribe
  {"type": "observations", "items": [{"point", "ts", "value", "quality"}, ...]}  at most one
      per flush_s (0.1 s), oldest first
  {"type": "alarm", "alarm_id", "seq", "ts", "from", "to", "cause", "user", "comment",
      "alarm": {snapshot}}  a transition of an alarm the user may see
  {"type": "alarm_flood", "event": "start"|"end", "area", ...}  park-wide users only
  {"type": "event", "subject", "data"}  event.command for points the user may read;
      rule and other events for park-wide users
  {"type": "status", "ts", "dropped", "points", "alarms", "events"}  every heartbeat_s (20 s)
      and after new drops; "dropped" counts messages this socket lost since it opened
  {"type": "pong", "id"}
  {"type": "error", "id", "problem": {type, title, status, detail, instance, errors?}}
      a refused message (RFC 9457 fields); the socket stays open
Close codes: 4401 no, a late or a bad auth message; 4403 the session or user was revoked
(or the token may not read); 1008 too many refused messages or a client too slow to take
what it is sent; 1001 the server is shutting down; 1011 the server cannot serve live data.

The session itself is penworks.api.live_session; this module adapts Starlette's WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from penworks.api.context import ApiContext
from penworks.api.live_messages import LIVE_PATH
from penworks.api.live_session import SERVER_ERROR, ChannelClosed, LiveServices, LiveSession

log = logging.getLogger(__name__)

router = APIRouter()  # a WebSocket: not in the OpenAPI document

CLOSE_TIMEOUT_S: Final = 5.0  # a client that never answers the close handshake is let go


class StarletteChannel:
    """A LiveChannel over a Starlette WebSocket: a client that has gone reads as None and
    makes send raise ChannelClosed, whatever the server's way of saying so."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def receive(self) -> str | bytes | None:
        try:
            message = await self._websocket.receive()
        except (WebSocketDisconnect, RuntimeError, OSError):
            return None
        if message["type"] != "websocket.receive":
            return None
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def send(self, text: str) -> None:
        try:
            await self._websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            raise ChannelClosed("the client has gone") from exc

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self._websocket.close(code, reason)


def live_services(context: ApiContext) -> LiveServices:
    return LiveServices(
        auth=context.auth,
        bus=context.bus,
        model=context.model,
        policy=context.policy,
        clock=context.clock,
        config=context.live,
    )


@router.websocket(LIVE_PATH, name="live")
async def live(websocket: WebSocket) -> None:
    """Stream live data to an authenticated client (see penworks.api.live_session)."""
    context = websocket.app.state.penworks
    if not isinstance(context, ApiContext):
        raise TypeError("app.state.penworks is not an ApiContext; build the app with create_app")
    try:
        await websocket.accept()
    except (WebSocketDisconnect, RuntimeError, OSError):
        return  # gone before it was accepted
    channel = StarletteChannel(websocket)
    try:
        await LiveSession(channel, live_services(context)).run()
    except Exception:  # one socket's bug must not reach the server: log it, close the socket
        log.exception("live socket failed")
        await channel.close(SERVER_ERROR, "internal error; it has been logged")
