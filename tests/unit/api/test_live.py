"""/api/live: the session over a test channel and a real MemoryBus, then the route in-process."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI

from penworks.api import create_app
from penworks.api.live_config import LiveConfig
from penworks.api.live_messages import parse_client_message
from penworks.api.live_outbox import Outbox
from penworks.api.live_session import LiveServices, LiveSession
from penworks.auth import AccessPolicy, Principal
from penworks.auth.revocation import Revocation
from penworks.bus import MemoryBus
from penworks.core import SimClock
from penworks.model import SiteModel
from tests.unit.api.fakes import MemoryHistory
from tests.unit.api.live_support import (
    HALL_TEMP,
    INKWELL_TEMP,
    INKWELL_USER,
    LOBBY_TEMP,
    NIB_SETPOINT,
    NIB_TEMP,
    NIB_USER,
    OPERATOR,
    T0,
    AsgiSocket,
    FakeChannel,
    FakeLiveAuth,
    alarm_transition,
    command_event,
    load_site,
    observation,
    policy_for,
)

FAST = LiveConfig(auth_timeout_s=0.05, flush_s=0, heartbeat_s=60, max_errors=3)


@pytest.fixture(scope="module")
def site() -> SiteModel:
    return load_site()


@pytest.fixture(scope="module")
def policy(site: SiteModel) -> AccessPolicy:
    return policy_for(site)


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus()
    yield bus
    await bus.close()


@pytest.fixture
def auth() -> FakeLiveAuth:
    return FakeLiveAuth()


Start = Callable[..., FakeChannel]


@pytest.fixture
async def start(
    site: SiteModel, policy: AccessPolicy, bus: MemoryBus, auth: FakeLiveAuth
) -> AsyncIterator[Start]:
    """Open sessions: start(config=..., auth=..., bus=...) -> the channel to play client on."""
    running: list[tuple[FakeChannel, asyncio.Task[None]]] = []

    def open_session(
        config: LiveConfig = FAST, auth: FakeLiveAuth | None = auth, bus: MemoryBus | None = bus
    ) -> FakeChannel:
        channel = FakeChannel()
        services = LiveServices(auth, bus, site, policy, SimClock(T0), config)
        channel.session = asyncio.create_task(LiveSession(channel, services).run())
        running.append((channel, channel.session))
        return channel

    yield open_session
    for channel, task in running:
        channel.leave()
        async with asyncio.timeout(2):
            await task  # a session's own failure fails the test here


async def signed_in(start: Start, principal: Principal, **kwargs: Any) -> FakeChannel:
    channel = start(**kwargs)
    channel.say({"type": "auth", "token": f"token-{principal.username}"})
    ready = await channel.expect("ready")
    assert (ready["user"], ready["role"], ready["tenant"]) == (
        principal.username,
        principal.role.value,
        principal.tenant,
    )
    return channel


async def subscribed(channel: FakeChannel, **request: Any) -> dict[str, Any]:
    channel.say({"type": "subscribe", "id": "s1", **request})
    reply = await channel.expect("subscription")
    assert reply["id"] == "s1"
    return reply


async def refused(channel: FakeChannel, message: dict[str, Any] | str | bytes) -> dict[str, Any]:
    channel.say(message)
    return (await channel.expect("error"))["problem"]


# --- the handshake --------------------------------------------------------------------------


async def test_a_good_token_is_answered_with_ready(start: Start) -> None:
    channel = await signed_in(start, OPERATOR)
    assert channel.close_code is None


async def test_a_bad_token_closes_4401(start: Start) -> None:
    channel = start()
    channel.say({"type": "auth", "token": "forged"})
    assert await channel.closed() == (4401, "invalid or expired token")
    assert channel.sent.empty()


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ({"type": "subscribe", "points": [NIB_TEMP]}, "authenticate first: send an auth message"),
        ("{not json", "authenticate first: invalid json"),
        ({"type": "auth"}, "authenticate first: invalid message"),
        (b"\x00", "authenticate first: binary frame"),
    ],
)
async def test_anything_but_auth_first_closes_4401(
    start: Start, first: dict[str, Any] | str | bytes, reason: str
) -> None:
    channel = start()
    channel.say(first)
    assert await channel.closed() == (4401, reason)


async def test_no_auth_in_time_closes_4401(start: Start) -> None:
    channel = start()  # says nothing; the session's own timeout (0.05 s here) ends it
    code, reason = await channel.closed()
    assert (code, reason) == (4401, "authenticate first: no auth message in time")


async def test_a_token_that_may_not_read_closes_4403(start: Start) -> None:
    channel = start()
    channel.say({"type": "auth", "token": "token-bot"})
    assert await channel.closed() == (4403, "bot may not read live data")


async def test_without_auth_service_or_bus_it_closes_1011(start: Start) -> None:
    assert (await start(auth=None).closed())[0] == 1011
    assert (await start(bus=None).closed())[0] == 1011


async def test_a_client_that_leaves_before_auth_is_not_closed_again(start: Start) -> None:
    channel = start()
    channel.leave()
    channel.say({"type": "auth", "token": "token-olga"})  # never read: the session is over
    await channel.ended()
    assert channel.close_code is None
    assert channel.sent.empty()


# --- subscriptions and what they deliver ----------------------------------------------------


async def test_observations_of_listed_points_arrive_batched(start: Start, bus: MemoryBus) -> None:
    channel = await signed_in(start, OPERATOR)
    reply = await subscribed(channel, points=[NIB_TEMP, HALL_TEMP])
    assert reply == {"type": "subscription", "id": "s1", "added": [NIB_TEMP, HALL_TEMP],
                     "removed": [], "points": 2, "alarms": False, "events": False}  # fmt: skip
    for minute, point in enumerate([NIB_TEMP, INKWELL_TEMP, HALL_TEMP, NIB_TEMP]):
        await bus.publish(f"obs.{point}", observation(point, 20.0 + minute, minute))
    batch = await channel.expect("observations")
    assert [(i["point"], i["value"]) for i in batch["items"]] == [
        (NIB_TEMP, 20.0), (HALL_TEMP, 22.0), (NIB_TEMP, 23.0)
    ]  # fmt: skip
    assert batch["items"][0] == {"point": NIB_TEMP, "ts": T0.isoformat(), "value": 20.0,
                                 "quality": "good"}  # fmt: skip


async def test_a_busy_spell_is_gathered_into_one_message_per_flush(
    start: Start, bus: MemoryBus
) -> None:
    channel = await signed_in(start, OPERATOR, config=FAST.model_copy(update={"flush_s": 0.1}))
    await subscribed(channel, points=[NIB_TEMP])
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 1.0))
    assert len((await channel.expect("observations"))["items"]) == 1  # the first goes at once
    for value in (2.0, 3.0, 4.0):
        await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, value))
        await asyncio.sleep(0)  # let the pump take each one: they still wait for the flush
    batch = await channel.expect("observations")
    assert [i["value"] for i in batch["items"]] == [2.0, 3.0, 4.0]


async def test_brick_and_within_select_points(start: Start, site: SiteModel) -> None:
    channel = await signed_in(start, OPERATOR)
    reply = await subscribed(channel, brick="Temperature_Sensor", within="b15.f3")
    expected = [p.id for p in site.find_points(brick="Temperature_Sensor", within="b15.f3")]
    assert NIB_TEMP in expected
    assert reply["added"] == expected
    reply = await subscribed(channel, within="b15.f3.r301")
    assert NIB_TEMP not in reply["added"]  # followed already
    in_room = {p.id for p in site.find_points(within="b15.f3.r301")}
    assert reply["points"] == len(set(expected) | in_room)


async def test_unsubscribe_stops_a_point(start: Start, bus: MemoryBus) -> None:
    channel = await signed_in(start, OPERATOR)
    await subscribed(channel, points=[NIB_TEMP, HALL_TEMP])
    channel.say({"type": "unsubscribe", "id": 2, "points": [NIB_TEMP, "b15.nowhere"]})
    reply = await channel.expect("subscription")
    assert (reply["id"], reply["removed"], reply["points"]) == (2, [NIB_TEMP], 1)
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 1.0))
    await bus.publish(f"obs.{HALL_TEMP}", observation(HALL_TEMP, 2.0))
    assert [i["point"] for i in (await channel.expect("observations"))["items"]] == [HALL_TEMP]
    assert [s.pattern for s in bus.stats()] == ["obs.>"]
    channel.say({"type": "unsubscribe", "all": True})
    assert (await channel.expect("subscription"))["points"] == 0
    assert bus.stats() == []  # following nothing costs the bus nothing
    await subscribed(channel, points=[NIB_TEMP], events=True)
    assert sorted(s.pattern for s in bus.stats()) == ["event.>", "obs.>"]
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 3.0))
    assert [i["value"] for i in (await channel.expect("observations"))["items"]] == [3.0]


async def test_operator_gets_alarms_floods_and_events(start: Start, bus: MemoryBus) -> None:
    channel = await signed_in(start, OPERATOR)
    await subscribed(channel, alarms=True, events=True)
    await bus.publish("event.alarm", alarm_transition(INKWELL_TEMP, "b15.f2.r201"))
    alarm = await channel.expect("alarm")
    assert (alarm["alarm_id"], alarm["to"], alarm["alarm"]["point"]) == (
        f"zone_too_warm:{INKWELL_TEMP}", "unack_alarm", INKWELL_TEMP
    )  # fmt: skip
    await bus.publish("event.alarm_flood", {"type": "flood", "event": "start", "area": "b15.f2"})
    assert (await channel.expect("alarm_flood"))["area"] == "b15.f2"
    await bus.publish("event.command", command_event(INKWELL_TEMP))
    event = await channel.expect("event")
    assert (event["subject"], event["data"]["point"]) == ("event.command", INKWELL_TEMP)
    await bus.publish("event.rule.night_setback", {"rule": "night_setback", "active": True})
    assert (await channel.expect("event"))["subject"] == "event.rule.night_setback"


async def test_events_and_alarms_are_separate_choices(start: Start, bus: MemoryBus) -> None:
    channel = await signed_in(start, OPERATOR)
    await subscribed(channel, events=True)
    await bus.publish("event.alarm", alarm_transition(NIB_TEMP, "b15.f3.r301"))
    await bus.publish("event.command", command_event(NIB_TEMP))
    assert (await channel.expect("event"))["subject"] == "event.command"  # the alarm was not sent
    channel.say({"type": "unsubscribe", "events": True})
    await channel.expect("subscription")
    await subscribed(channel, alarms=True)
    await bus.publish("event.command", command_event(NIB_TEMP))
    await bus.publish("event.alarm", alarm_transition(NIB_TEMP, "b15.f3.r301"))
    assert (await channel.expect("alarm"))["alarm"]["point"] == NIB_TEMP


# --- tenants ------------------------------------------------------------------------------


async def test_a_tenant_cannot_subscribe_to_another_tenants_point(start: Start) -> None:
    channel = await signed_in(start, NIB_USER)
    hidden = await refused(
        channel, {"type": "subscribe", "id": 7, "points": [NIB_TEMP, INKWELL_TEMP]}
    )
    unknown = await refused(channel, {"type": "subscribe", "points": ["b15.f9.r999.zone_air_temp"]})
    assert hidden["status"] == unknown["status"] == 404
    assert hidden["title"] == unknown["title"] == "Unknown point"
    assert hidden["detail"] == f"unknown point {INKWELL_TEMP!r}"  # as if it did not exist
    assert hidden["errors"] == [
        {"location": "message", "name": "points.1", "reason": f"unknown point {INKWELL_TEMP!r}"}
    ]
    channel.say({"type": "ping", "id": "after"})
    assert await channel.expect("pong") == {"type": "pong", "id": "after"}
    channel.say({"type": "subscribe", "points": []})
    assert (await channel.expect("subscription"))["points"] == 0  # the refusal added nothing


async def test_a_tenant_cannot_look_within_another_tenants_room(start: Start) -> None:
    channel = await signed_in(start, NIB_USER)
    hidden = await refused(channel, {"type": "subscribe", "within": "b15.f2.r201"})
    unknown = await refused(channel, {"type": "subscribe", "within": "b15.f9"})
    assert hidden["detail"] == "unknown entity 'b15.f2.r201'"
    assert (hidden["status"], hidden["title"]) == (unknown["status"], unknown["title"])


async def test_a_tenant_finds_only_its_own_and_shared_points(start: Start) -> None:
    channel = await signed_in(start, NIB_USER)
    reply = await subscribed(channel, brick="Zone_Air_Temperature_Sensor", within="b15")
    assert LOBBY_TEMP in reply["added"]  # the park shares the lobby
    assert NIB_TEMP in reply["added"]
    assert all(p.startswith(("b15.f3.", "b15.f1.lobby.")) for p in reply["added"])
    assert INKWELL_TEMP not in reply["added"]
    assert HALL_TEMP not in reply["added"]


async def test_a_tenant_receives_only_what_it_may_read(start: Start, bus: MemoryBus) -> None:
    channel = await signed_in(start, NIB_USER)
    await subscribed(channel, within="b15", alarms=True, events=True)
    await bus.publish(f"obs.{INKWELL_TEMP}", observation(INKWELL_TEMP, 30.0))
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 21.0))
    assert [i["point"] for i in (await channel.expect("observations"))["items"]] == [NIB_TEMP]
    for message in (
        alarm_transition(INKWELL_TEMP, "b15.f2.r201"),  # another tenant's point
        alarm_transition(None, "b15.f3"),  # an area alarm: the park's
        alarm_transition(NIB_TEMP, "b15.f3.r301"),
    ):
        await bus.publish("event.alarm", message)
    await bus.publish("event.alarm_flood", {"type": "flood", "event": "start", "area": "b15.f3"})
    await bus.publish("event.command", command_event(INKWELL_TEMP))
    await bus.publish("event.rule.night_setback", {"rule": "night_setback", "active": True})
    await bus.publish("event.command", command_event(NIB_SETPOINT))
    assert (await channel.expect("alarm"))["alarm"]["point"] == NIB_TEMP
    assert (await channel.expect("event"))["data"]["point"] == NIB_SETPOINT
    channel.say({"type": "ping"})
    await channel.expect("pong")  # nothing else was waiting


async def test_two_tenants_listening_together_each_get_their_own(
    start: Start, bus: MemoryBus
) -> None:
    nina = await signed_in(start, NIB_USER)
    ivan = await signed_in(start, INKWELL_USER)
    await subscribed(nina, within="b15", alarms=True)
    await subscribed(ivan, within="b15", alarms=True)
    await bus.publish(f"obs.{INKWELL_TEMP}", observation(INKWELL_TEMP, 30.0))
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 21.0))
    await bus.publish("event.alarm", alarm_transition(INKWELL_TEMP, "b15.f2.r201"))
    await bus.publish("event.alarm", alarm_transition(NIB_TEMP, "b15.f3.r301"))
    assert [i["point"] for i in (await nina.expect("observations"))["items"]] == [NIB_TEMP]
    assert [i["point"] for i in (await ivan.expect("observations"))["items"]] == [INKWELL_TEMP]
    assert (await nina.expect("alarm"))["alarm"]["point"] == NIB_TEMP
    assert (await ivan.expect("alarm"))["alarm"]["point"] == INKWELL_TEMP


# --- revocation ---------------------------------------------------------------------------


async def test_revoking_the_session_closes_the_socket_at_once(
    start: Start, auth: FakeLiveAuth, bus: MemoryBus
) -> None:
    channel = await signed_in(start, NIB_USER)
    await subscribed(channel, points=[NIB_TEMP])
    assert auth.listeners == 1
    auth.revoke(Revocation(OPERATOR.user_id, whole_user=True))  # someone else: stays open
    auth.revoke(Revocation(NIB_USER.user_id, frozenset({"another-session"})))
    channel.say({"type": "ping"})
    await channel.expect("pong")
    auth.revoke(Revocation(NIB_USER.user_id, frozenset({NIB_USER.session}), reason="signed out"))
    assert await channel.closed() == (4403, "signed out")
    assert auth.listeners == 0
    assert bus.stats() == []  # its bus subscription is gone with it


async def test_revoking_the_user_closes_every_socket_of_it(
    start: Start, auth: FakeLiveAuth
) -> None:
    first = await signed_in(start, NIB_USER)
    second = await signed_in(start, NIB_USER)
    auth.revoke(Revocation(NIB_USER.user_id, whole_user=True))
    assert (await first.closed())[0] == (await second.closed())[0] == 4403
    again = start()
    again.say({"type": "auth", "token": "token-nina"})  # the revoked token is refused now
    assert (await again.closed())[0] == 4401


# --- drops, heartbeat, client errors ------------------------------------------------------


async def test_drops_are_counted_and_reported(start: Start, bus: MemoryBus) -> None:
    config = FAST.model_copy(update={"queue_size": 10})
    channel = await signed_in(start, OPERATOR, config=config)
    await subscribed(channel, points=[NIB_TEMP])
    for value in range(50):  # MemoryBus delivers without yielding: the socket's queue overflows
        await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, float(value)))
    batch = await channel.next()
    assert [i["value"] for i in batch["items"]] == [float(v) for v in range(40, 50)]
    status = await channel.next()
    assert datetime.fromisoformat(status.pop("ts")) >= T0  # the platform clock's time
    assert status == {"type": "status", "dropped": 40, "points": 1, "alarms": False,
                      "events": False}  # fmt: skip


async def test_the_heartbeat_is_a_status_message(start: Start) -> None:
    channel = await signed_in(start, OPERATOR, config=FAST.model_copy(update={"heartbeat_s": 0.01}))
    status = await channel.expect("status")
    assert status["dropped"] == 0


async def test_a_session_that_expired_closes_4401_at_the_heartbeat(
    start: Start, auth: FakeLiveAuth
) -> None:
    channel = await signed_in(start, NIB_USER, config=FAST.model_copy(update={"heartbeat_s": 0.01}))
    await channel.expect("status")
    auth.expire(NIB_USER)
    assert await channel.closed() == (4401, "the session has ended; sign in again")


async def test_bad_messages_are_answered_without_closing(start: Start) -> None:
    channel = await signed_in(start, OPERATOR)
    assert (await refused(channel, "{oops"))["type"] == "urn:penworks:problem:live-invalid-json"
    problem = await refused(channel, {"type": "dance", "id": 9})
    assert (problem["status"], problem["title"]) == (400, "Unknown message type")
    assert "expected one of auth, subscribe, unsubscribe, ping" in problem["detail"]
    channel.say({"type": "subscribe", "id": "x", "points": "b15", "colour": "red"})
    error = await channel.expect("error")
    assert (error["id"], error["problem"]["status"]) == ("x", 422)
    assert {e["name"] for e in error["problem"]["errors"]} == {"points", "colour"}
    channel.say({"type": "ping", "id": 1})
    assert (await channel.expect("pong"))["id"] == 1
    assert channel.close_code is None


async def test_other_refusals_are_problems_too(start: Start) -> None:
    channel = await signed_in(start, OPERATOR, config=FAST.model_copy(update={"max_errors": 10}))
    assert (await refused(channel, {"type": "auth", "token": "token-olga"}))["status"] == 400
    assert (await refused(channel, {"type": "subscribe", "brick": "Not_A_Class"}))["title"] == (
        "Invalid model query"
    )
    assert (await refused(channel, json.dumps({"type": "ping", "pad": "x" * 70_000})))[
        "title"
    ] == "Message too large"
    assert (await refused(channel, b"{}"))["title"] == "Binary frame"
    assert (await refused(channel, "[1, 2]"))["title"] == "Invalid message"


async def test_too_many_points_are_refused(start: Start) -> None:
    channel = await signed_in(start, OPERATOR, config=FAST.model_copy(update={"max_points": 5}))
    problem = await refused(channel, {"type": "subscribe", "within": "b15"})
    assert (problem["status"], problem["title"]) == (422, "Too many points")


async def test_too_many_errors_close_1008(start: Start) -> None:
    channel = await signed_in(start, OPERATOR)  # max_errors 3
    for _ in range(3):
        await refused(channel, "nope")
    channel.say("nope")
    assert await channel.closed() == (1008, "too many invalid messages")


# --- the end of a session ------------------------------------------------------------------


async def test_a_client_gone_mid_send_ends_the_session_quietly(
    start: Start, bus: MemoryBus, auth: FakeLiveAuth
) -> None:
    channel = await signed_in(start, OPERATOR)
    await subscribed(channel, points=[NIB_TEMP], alarms=True)
    channel.gone = True
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 1.0))
    await channel.ended()
    assert (bus.stats(), auth.listeners) == ([], 0)  # it cleaned up after itself
    assert channel.close_code is None  # nobody to send a close to


async def test_the_bus_closing_closes_sockets_1001(start: Start, bus: MemoryBus) -> None:
    channel = await signed_in(start, OPERATOR)
    await subscribed(channel, points=[NIB_TEMP])
    await bus.close()
    assert (await channel.closed())[0] == 1001


# --- pieces ---------------------------------------------------------------------------------


def test_the_outbox_drops_its_oldest_and_counts() -> None:
    outbox = Outbox(limit=2)
    for value in range(3):
        outbox.observation({"value": value})
    outbox.message({"type": "alarm", "n": 1})
    assert (len(outbox), outbox.dropped, outbox.ready.is_set()) == (3, 1, True)
    assert outbox.take() == [
        {"type": "observations", "items": [{"value": 1}, {"value": 2}]},
        {"type": "alarm", "n": 1},
    ]
    assert (len(outbox), outbox.ready.is_set(), outbox.take()) == (0, False, [])


def test_client_messages_parse_by_type() -> None:
    message = parse_client_message('{"type": "subscribe", "within": "b15.f3", "alarms": 1}', 1024)
    assert message.model_dump() == {
        "type": "subscribe", "id": None, "points": [], "brick": None, "within": "b15.f3",
        "alarms": True, "events": False,
    }  # fmt: skip


# --- the route, in-process ------------------------------------------------------------------


@pytest.fixture
def app(site: SiteModel, policy: AccessPolicy, bus: MemoryBus, auth: FakeLiveAuth) -> FastAPI:
    history = MemoryHistory()
    return create_app(
        model=site,
        history=history,
        policy=policy,
        auth=auth,
        bus=bus,
        live=FAST,
        clock=SimClock(T0),
    )


async def test_the_route_streams_to_a_signed_in_client(app: FastAPI, bus: MemoryBus) -> None:
    socket = AsgiSocket(app)
    await socket.connect()
    socket.say({"type": "auth", "token": "token-nina"})
    assert (await socket.expect("ready"))["tenant"] == "nib"
    socket.say({"type": "subscribe", "points": [NIB_TEMP]})
    assert (await socket.expect("subscription"))["added"] == [NIB_TEMP]
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 21.5))
    assert (await socket.expect("observations"))["items"][0]["value"] == 21.5
    socket.disconnect()
    await socket.ended()
    assert bus.stats() == []


async def test_the_route_closes_4401_on_a_bad_token(app: FastAPI) -> None:
    socket = AsgiSocket(app)
    await socket.connect()
    socket.say({"type": "auth", "token": "token-mallory"})
    assert await socket.closed() == (4401, "invalid or expired token")
    await socket.ended()


async def test_a_transport_broken_mid_send_ends_the_socket_quietly(
    app: FastAPI, bus: MemoryBus, caplog: pytest.LogCaptureFixture
) -> None:
    socket = AsgiSocket(app)
    await socket.connect()
    socket.say({"type": "auth", "token": "token-olga"})
    await socket.expect("ready")
    socket.say({"type": "subscribe", "points": [NIB_TEMP]})
    await socket.expect("subscription")
    socket.broken = True
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 21.5))
    await socket.ended()  # returns, does not raise
    assert bus.stats() == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_session_bug_closes_1011_and_is_logged(
    app: FastAPI, bus: MemoryBus, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, message: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr("penworks.api.live_filter.LiveFilter.observation", broken)
    socket = AsgiSocket(app)
    await socket.connect()
    socket.say({"type": "auth", "token": "token-olga"})
    await socket.expect("ready")
    socket.say({"type": "subscribe", "points": [NIB_TEMP]})
    await socket.expect("subscription")
    await bus.publish(f"obs.{NIB_TEMP}", observation(NIB_TEMP, 21.5))
    assert await socket.closed() == (1011, "internal error; it has been logged")
    await socket.ended()
    assert bus.stats() == []
    assert "live socket failed" in caplog.text
