"""NatsBus against the machine's NATS JetStream server (127.0.0.1:4222).

Every test has streams and subjects of its own (a unique stream_prefix and subject_prefix)
and deletes its streams at the end, so tests and other users share the server safely.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import nats
import nats.js.errors
import pytest
from nats.js.api import ConsumerInfo

from penworks.bus import (
    Message,
    NatsBus,
    NatsSettings,
    NatsSubscription,
    Overflow,
    StreamLimits,
    matches,
)
from penworks.core import BusError, Command, DeadLetter, Observation, Quality
from tests.conftest import free_port, require_service

pytestmark = pytest.mark.integration

HOST, PORT = "127.0.0.1", 4222
TS = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
SMALL = StreamLimits(max_age_s=600.0, max_bytes=8 << 20)

Opener = Callable[..., Awaitable[NatsBus]]


@pytest.fixture
def settings() -> NatsSettings:
    require_service("NATS", HOST, PORT)
    tag = uuid.uuid4().hex[:12]
    return NatsSettings(
        servers=(f"nats://{HOST}:{PORT}",),
        stream_prefix=f"TEST{tag}",
        subject_prefix=f"test{tag}",
        observations=SMALL,
        commands=replace(SMALL, max_age_s=60.0),
        events=SMALL,
        ack_wait_s=10.0,
        connect_timeout_s=3.0,
        pull_expires_s=1.0,
    )


@pytest.fixture
async def open_bus(settings: NatsSettings) -> AsyncIterator[Opener]:
    """Connected buses on the test's streams (as separate processes would have them)."""
    buses: list[NatsBus] = []

    async def opener(**changes: object) -> NatsBus:
        bus = NatsBus(replace(settings, **changes))  # type: ignore[arg-type]
        buses.append(bus)
        await bus.connect()
        return bus

    yield opener
    for bus in buses:
        await bus.close()
    client = await nats.connect(settings.servers[0])
    jsm = client.jsm()
    for name in NatsBus(settings).stream_names:
        try:
            await jsm.delete_stream(name)
        except nats.js.errors.NotFoundError:
            pass
    await client.close()


async def take(
    sub: NatsSubscription, count: int, timeout_s: float = 5.0
) -> list[tuple[str, Message]]:
    got: list[tuple[str, Message]] = []
    async with asyncio.timeout(timeout_s):
        while len(got) < count:
            got += await sub.batch(count - len(got))
    return got


async def until(condition: Callable[[], Awaitable[bool]], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not await condition():  # noqa: ASYNC110  # polling the server or counters
            await asyncio.sleep(0.02)


def reading(n: int, value: float | int = 1.0) -> Observation:
    return Observation(f"b15.p{n}", TS + timedelta(seconds=n), value)


async def test_every_message_type_round_trips(open_bus: Opener) -> None:
    bus = await open_bus()
    live = bus.subscribe(">", name="everything")
    work = bus.subscribe(">", name="everything-durable", durable=True)
    sent: list[tuple[str, Message]] = [
        ("obs.b15.t", Observation("b15.t", TS.replace(microsecond=654321), 21.25)),
        ("obs.b15.n", Observation("b15.n", TS, 7, Quality.UNCERTAIN)),
        ("obs.b15.b", Observation("b15.b", TS, False, Quality.BAD)),
        ("obs.b15.s", Observation("b15.s", TS, "auto")),
        ("deadletter.mqtt", DeadLetter("mqtt", "b15/x", TS, "not JSON", b"\x00\xffraw")),
        ("cmd.bacnet.b15.sp", Command("b15.sp", 22.5, 8, "rules", "comfort", TS)),
        ("cmd.bacnet.b15.sp", Command("b15.sp", None, 8, "rules", "release", TS)),
        ("event.alarm", {"alarm": "a1", "active": True, "data": {"n": 1, "x": 1.5}}),
        ("health.modbus", {"device": "plc1", "ok": False}),
    ]
    for subject, message in sent:
        await bus.publish(subject, message)
    for sub in (live, work):
        got = await take(sub, len(sent))
        assert sorted(map(repr, got)) == sorted(map(repr, sent))
        by_point = {m.point: m for _, m in got if isinstance(m, Observation)}
        assert type(by_point["b15.n"].value) is int
        assert type(by_point["b15.t"].value) is float
        assert type(by_point["b15.b"].value) is bool
        assert by_point["b15.t"].ts.microsecond == 654321
    await work.ack()
    assert bus.published == len(sent)


async def test_wildcard_subscriptions_get_exactly_what_they_match(open_bus: Opener) -> None:
    bus = await open_bus()
    patterns = ["obs.b15.>", "obs.*.f1.t", "*.b15.x", "event.>", "cmd.>"]
    subs = {p: bus.subscribe(p, name=f"w{i}") for i, p in enumerate(patterns)}
    subjects = [
        "obs.b15.f1.t",
        "obs.b16.f1.t",
        "obs.b15.x",
        "deadletter.b15.x",
        "event.b15.x",
        "event.alarm",
        "cmd.b15.x",
        "health.b15.x",
        "obs.b16.f2.t",
    ]
    for n, subject in enumerate(subjects):
        await bus.publish(subject, {"n": n})
    for pattern, sub in subs.items():
        expected = sorted(s for s in subjects if matches(pattern, s))
        got = await take(sub, len(expected))
        assert sorted(s for s, _ in got) == expected, pattern


async def test_a_durable_subscription_shared_by_two_buses_gives_each_message_to_one(
    open_bus: Opener,
) -> None:
    first, second = await open_bus(), await open_bus()
    subs = [b.subscribe("obs.>", name="writer", durable=True, maxsize=10) for b in (first, second)]
    seen: list[list[int]] = [[], []]
    count = 200

    async def work(i: int) -> None:
        while True:
            batch = await subs[i].batch(10)
            seen[i] += [m.value for _, m in batch if isinstance(m, Observation)]  # type: ignore[misc]
            await subs[i].ack()

    readers = [asyncio.create_task(work(i)) for i in (0, 1)]
    await asyncio.gather(*(first.publish(f"obs.b15.p{n}", reading(n, n)) for n in range(count)))

    async def all_seen() -> bool:
        return len(seen[0]) + len(seen[1]) >= count

    try:
        await until(all_seen, timeout_s=10)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    assert sorted(seen[0] + seen[1]) == list(range(count))  # each once, none lost
    assert seen[0]
    assert seen[1]


async def test_work_taken_and_not_acknowledged_goes_to_another_bus_after_ack_wait(
    open_bus: Opener,
) -> None:
    first = await open_bus(ack_wait_s=1.5)
    crashed = first.subscribe("obs.>", name="writer", durable=True)
    for n in range(5):
        await first.publish(f"obs.b15.p{n}", reading(n))
    taken = await take(crashed, 5)
    await crashed.close()  # as if it died mid-work: nothing acknowledged
    second = await open_bus(ack_wait_s=1.5)
    started = time.monotonic()
    heir = second.subscribe("obs.>", name="writer", durable=True)
    again = await take(heir, 5, timeout_s=6)
    assert sorted(map(repr, again)) == sorted(map(repr, taken))
    assert heir.redelivered == 5
    assert time.monotonic() - started < 5
    await heir.ack()
    info = await second.jsm().consumer_info(second.stream_name("OBS"), "writer")
    await until(lambda: _settled(second, "writer"))
    assert info.num_pending == 0


async def test_closing_a_bus_hands_its_unacknowledged_work_back_at_once(
    open_bus: Opener,
) -> None:
    first = await open_bus(ack_wait_s=30.0)
    leaving = first.subscribe("obs.>", name="writer", durable=True)
    for n in range(5):
        await first.publish(f"obs.b15.p{n}", reading(n))
    await take(leaving, 2)
    await first.close()  # two taken, three queued: none acknowledged
    second = await open_bus(ack_wait_s=30.0)
    heir = second.subscribe("obs.>", name="writer", durable=True)
    got = await take(heir, 5, timeout_s=5)  # well before ack_wait
    assert sorted(m.point for _, m in got if isinstance(m, Observation)) == [
        f"b15.p{n}" for n in range(5)
    ]


async def test_messages_are_acknowledged_only_when_the_work_is_done(open_bus: Opener) -> None:
    bus = await open_bus()
    sub = bus.subscribe("obs.>", name="writer", durable=True)
    for n in range(5):
        await bus.publish(f"obs.b15.p{n}", reading(n))
    await take(sub, 5)
    info = await bus.jsm().consumer_info(bus.stream_name("OBS"), "writer")
    assert info.num_ack_pending == 5
    await sub.ack()
    await until(lambda: _settled(bus, "writer"))


async def _settled(bus: NatsBus, name: str) -> bool:
    info: ConsumerInfo = await bus.jsm().consumer_info(bus.stream_name("OBS"), name)
    return info.num_ack_pending == 0 and info.num_pending == 0


async def test_a_full_drop_oldest_queue_drops_and_counts(open_bus: Opener) -> None:
    bus = await open_bus()
    sub = bus.subscribe("obs.>", name="view", maxsize=5, overflow=Overflow.DROP_OLDEST)
    for n in range(30):
        await bus.publish(f"obs.b15.p{n}", reading(n, n))

    async def all_in() -> bool:
        return sub.stats().delivered == 30

    await until(all_in)
    stats = sub.stats()
    assert stats.dropped == 25
    assert [m.value for _, m in await sub.batch(10)] == list(range(25, 30))  # type: ignore[union-attr]


async def test_a_full_block_queue_stops_pulling_and_loses_nothing(open_bus: Opener) -> None:
    bus = await open_bus()
    sub = bus.subscribe("obs.>", name="rules", maxsize=5, overflow=Overflow.BLOCK)
    for n in range(30):
        await bus.publish(f"obs.b15.p{n}", reading(n, n))

    async def full() -> bool:
        return sub.stats().depth >= 5 and sub.stats().blocked >= 1

    await until(full)
    assert sub.stats().delivered == 5  # the rest waits in the stream, not in memory
    got = await take(sub, 30)
    assert [m.value for _, m in got] == list(range(30))  # type: ignore[union-attr]
    assert sub.stats().dropped == 0


async def test_a_re_published_observation_is_stored_once(open_bus: Opener) -> None:
    bus = await open_bus()
    sub = bus.subscribe("obs.>", name="view")
    await bus.publish("obs.b15.p1", reading(1))
    await bus.publish("obs.b15.p1", reading(1))  # a spool replaying what was stored
    await bus.publish("obs.b15.p2", reading(2))
    got = await take(sub, 2)
    assert [s for s, _ in got] == ["obs.b15.p1", "obs.b15.p2"]
    assert bus.duplicates == 1


async def test_undecodable_messages_are_counted_and_do_not_stop_the_consumer(
    open_bus: Opener, settings: NatsSettings
) -> None:
    bus = await open_bus()
    live = bus.subscribe("obs.>", name="view")
    work = bus.subscribe("obs.>", name="writer", durable=True)
    client = await nats.connect(settings.servers[0])
    try:
        await client.jetstream().publish(bus.wire("obs.b15.junk"), b"\x00 not a message")
    finally:
        await client.close()
    await bus.publish("obs.b15.p1", reading(1))
    for sub in (live, work):
        assert [s for s, _ in await take(sub, 1)] == ["obs.b15.p1"]
        assert sub.undecodable == 1
    assert bus.undecodable == 2
    await work.ack()
    await until(lambda: _settled(bus, "writer"))  # the junk was terminated, not left pending


async def test_a_live_subscription_ends_after_close_once_its_queue_is_read(
    open_bus: Opener,
) -> None:
    bus = await open_bus()
    sub = bus.subscribe("event.>", name="view")
    for n in range(3):
        await bus.publish("event.x", {"n": n})

    async def queued() -> bool:
        return sub.stats().depth == 3

    await until(queued)
    await sub.close()
    assert [m for _, m in [item async for item in sub]] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert await sub.batch(10) == []
    assert sub not in bus._subs


async def test_publish_raises_bus_error_promptly_when_the_server_is_unreachable() -> None:
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    bus = NatsBus(NatsSettings(servers=(url,), publish_timeout_s=0.3, connect_timeout_s=0.5))
    started = time.monotonic()
    with pytest.raises(BusError, match="not reachable"):
        await bus.connect()
    assert time.monotonic() - started < 2

    bus = NatsBus(NatsSettings(servers=(url,), publish_timeout_s=0.3))
    await bus.connect(wait=False)  # a spool in front keeps trying; the platform starts
    try:
        assert not bus.connected
        started = time.monotonic()
        with pytest.raises(BusError, match="not connected"):
            await bus.publish("obs.b15.p1", reading(1))
        assert time.monotonic() - started < 1
        assert bus.publish_failures == 1
    finally:
        await bus.close()
