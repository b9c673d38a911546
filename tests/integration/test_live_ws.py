"""/api/live over the wire: uvicorn on a free port, the real AuthService on a SQLite file,
and a real WebSocket client (the `websockets` package)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from penworks.api import create_app
from penworks.api.live_config import LiveConfig
from penworks.auth import Role
from penworks.auth.passwords import Passwords
from penworks.auth.service import AuthService
from penworks.auth.store import UserStore
from penworks.bus import MemoryBus
from penworks.core import RealClock
from penworks.model import SiteModel
from tests.conftest import free_port
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.live_support import (
    INKWELL_TEMP,
    NIB_TEMP,
    WAIT_S,
    alarm_transition,
    load_site,
    observation,
    policy_for,
)

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
CONFIG = LiveConfig(auth_timeout_s=5, flush_s=0.05, heartbeat_s=30)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the test stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


@pytest.fixture(scope="module")
def site() -> SiteModel:
    return load_site()


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus()
    yield bus
    await bus.close()


@pytest.fixture
async def auth(tmp_path: Path) -> AsyncIterator[AuthService]:
    cheap = Passwords(time_cost=1, memory_kib=8, lanes=1)
    service = AuthService(
        UserStore(tmp_path / "auth.db"),
        secrets.token_bytes(32),
        RealClock(),
        passwords=cheap,
        watch_s=None,
    )
    await service.open()
    await service.create_user("olga", PASSWORD, Role.OPERATOR)
    await service.create_user("nina", PASSWORD, Role.TENANT_USER, "nib")
    yield service
    await service.close()


@contextlib.asynccontextmanager
async def serving(
    site: SiteModel, auth: AuthService, bus: MemoryBus, config: LiveConfig = CONFIG
) -> AsyncIterator[str]:
    """The API on uvicorn on a free port; yields the URL of /api/live."""
    app = create_app(
        model=site,
        history=MemoryHistory(),
        policy=policy_for(site),
        auth=auth,
        bus=bus,
        live=config,
    )
    port = free_port()
    server = _Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110  # uvicorn only sets a flag
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/api/live"
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task


@pytest.fixture
async def url(site: SiteModel, auth: AuthService, bus: MemoryBus) -> AsyncIterator[str]:
    async with serving(site, auth, bus) as live_url:
        yield live_url


async def token(auth: AuthService, username: str) -> str:
    return (await auth.sign_in(username, PASSWORD)).access_token


async def receive(socket: ClientConnection, kind: str) -> dict[str, Any]:
    """The next message of this type (status messages skipped; anything else fails)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if message["type"] != "status":
                assert message["type"] == kind, message
                return message


async def close_of(socket: ClientConnection) -> tuple[int, str]:
    """The close code and reason the server sent."""
    async with asyncio.timeout(WAIT_S):
        await socket.wait_closed()
    assert socket.close_code is not None
    return socket.close_code, socket.close_reason or ""


async def signed_in(url: str, access_token: str) -> ClientConnection:
    socket = await connect(url)
    await socket.send(json.dumps({"type": "auth", "token": access_token}))
    await receive(socket, "ready")
    return socket


async def test_a_signed_in_user_streams_its_points(
    url: str, auth: AuthService, bus: MemoryBus
) -> None:
    async with await signed_in(url, await token(auth, "nina")) as socket:
        await socket.send(json.dumps({"type": "subscribe", "within": "b15", "alarms": True}))
        added = (await receive(socket, "subscription"))["added"]
        assert NIB_TEMP in added
        assert INKWELL_TEMP not in added
        await bus.publish(f"obs.{INKWELL_TEMP}", observation(INKWELL_TEMP, 30.0))
        await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 21.5))
        await bus.publish("event.alarm", alarm_transition(INKWELL_TEMP, "b15.f2.r201"))
        await bus.publish("event.alarm", alarm_transition(NIB_TEMP, "b15.f3.r301"))
        items = (await receive(socket, "observations"))["items"]
        assert [(i["point"], i["value"]) for i in items] == [(NIB_TEMP, 21.5)]
        assert (await receive(socket, "alarm"))["alarm"]["point"] == NIB_TEMP
        await socket.send(json.dumps({"type": "subscribe", "points": [INKWELL_TEMP]}))
        problem = (await receive(socket, "error"))["problem"]
        assert (problem["status"], problem["detail"]) == (404, f"unknown point {INKWELL_TEMP!r}")


async def test_a_bad_token_closes_4401(url: str) -> None:
    async with connect(url) as socket:
        await socket.send(json.dumps({"type": "auth", "token": "not.a.jwt"}))
        code, _ = await close_of(socket)
        assert code == 4401


async def test_silence_closes_4401(site: SiteModel, auth: AuthService, bus: MemoryBus) -> None:
    impatient = CONFIG.model_copy(update={"auth_timeout_s": 0.1})
    async with serving(site, auth, bus, impatient) as url, connect(url) as socket:
        assert await close_of(socket) == (4401, "authenticate first: no auth message in time")


async def test_signing_out_closes_the_socket_at_once(url: str, auth: AuthService) -> None:
    nina = await auth.sign_in("nina", PASSWORD)
    async with (
        await signed_in(url, nina.access_token) as nina_socket,
        await signed_in(url, await token(auth, "olga")) as olga_socket,
    ):
        await auth.logout(nina.refresh_token)
        assert await close_of(nina_socket) == (4403, "signed out")
        await olga_socket.send(json.dumps({"type": "ping", "id": 1}))
        assert (await receive(olga_socket, "pong"))["id"] == 1


async def test_disabling_a_user_closes_its_sockets(url: str, auth: AuthService) -> None:
    async with await signed_in(url, await token(auth, "nina")) as socket:
        user = await auth.find_user("nina")
        await auth.update_user(user.id, disabled=True)
        code, _ = await close_of(socket)
        assert code == 4403


async def test_a_client_that_vanishes_mid_stream_harms_no_one(
    url: str, auth: AuthService, bus: MemoryBus, caplog: pytest.LogCaptureFixture
) -> None:
    access = await token(auth, "olga")
    vanishing = await signed_in(url, access)
    await vanishing.send(json.dumps({"type": "subscribe", "points": [NIB_TEMP]}))
    await receive(vanishing, "subscription")
    vanishing.transport.abort()  # no close handshake: the TCP connection just drops
    async with await signed_in(url, access) as staying:
        await staying.send(json.dumps({"type": "subscribe", "points": [NIB_TEMP]}))
        await receive(staying, "subscription")
        for value in range(500):
            await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, float(value)))
            if value % 50 == 0:
                await asyncio.sleep(0)  # let the sessions send as the data comes
        seen = 0.0
        while seen < 499.0:
            seen = (await receive(staying, "observations"))["items"][-1]["value"]
    async with asyncio.timeout(WAIT_S):
        # Both sessions end and let go of their subscriptions; the server tells no one when.
        while bus.stats():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
