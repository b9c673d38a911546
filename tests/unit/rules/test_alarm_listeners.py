"""Listeners and bus events: every transition to each listener, none can block the book."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from penworks.bus import MemoryBus
from penworks.rules.alarm_listeners import ListenerClosed
from penworks.rules.alarm_types import AlarmState, TransitionCause
from penworks.rules.alarms import AlarmBook
from penworks.store import MemoryJournal
from tests.unit.connectors.support import take
from tests.unit.rules.alarm_support import HOT, ManualClock, condition, make_book

SECOND = timedelta(seconds=1)


async def test_every_listener_gets_every_transition() -> None:
    clock = ManualClock()
    book = make_book(clock)
    first, second = book.listen(), book.listen()
    await book.condition(condition(clock, active=True))
    await book.acknowledge(HOT, "li.wei", "seen")
    for listener in (first, second):
        raised, acked = await listener.get(), await listener.get()
        assert (raised.to_state, acked.to_state) == (AlarmState.UNACK_ACTIVE, AlarmState.ACK_ACTIVE)
        assert (acked.cause, acked.user, acked.comment) == (TransitionCause.ACK, "li.wei", "seen")
        assert raised.seq is not None
        assert acked.seq == raised.seq + 1
    assert book.stats().listeners == 2


async def test_a_slow_listener_loses_its_oldest_and_counts_them() -> None:
    clock = ManualClock()
    book = make_book(clock)
    slow = book.listen(maxsize=2)
    for n in range(5):
        clock.advance(120)
        await book.condition(condition(clock, active=n % 2 == 0))
    assert (slow.qsize(), slow.dropped, slow.delivered) == (2, 3, 5)
    assert book.stats().listener_drops == 3
    kept = [slow.get_nowait(), slow.get_nowait()]
    assert [t.to_state for t in kept if t] == [AlarmState.UNACK_RTN, AlarmState.UNACK_ACTIVE]
    assert slow.get_nowait() is None


async def test_a_waiting_listener_wakes_and_a_closed_one_ends() -> None:
    clock = ManualClock()
    book = make_book(clock)
    listener = book.listen()
    waiting = asyncio.create_task(listener.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    await book.condition(condition(clock, active=True))
    async with asyncio.timeout(5):
        assert (await waiting).alarm_id == HOT
    await book.condition(condition(clock, active=False))
    listener.close()
    await book.condition(condition(clock, active=True))  # after close: not delivered
    assert [t.to_state async for t in listener] == [AlarmState.UNACK_RTN]
    with pytest.raises(ListenerClosed):
        await listener.get()
    assert book.stats().listeners == 0


async def test_transitions_are_published_on_the_bus() -> None:
    clock, bus = ManualClock(), MemoryBus()
    sub = bus.subscribe("event.alarm", name="test")
    book = AlarmBook(clock, MemoryJournal(), bus)
    await book.condition(condition(clock, active=True, value=29.0))
    await book.shelve(HOT, "li.wei", timedelta(hours=1), "cleaning")
    [(subject, raised), (_, shelved)] = await take(sub, 2)
    assert subject == "event.alarm"
    assert isinstance(raised, dict)
    assert isinstance(shelved, dict)
    assert (raised["type"], raised["alarm_id"], raised["from"], raised["to"]) == (
        "transition",
        HOT,
        "normal",
        "unack_active",
    )
    assert raised["alarm"]["value"] == 29.0
    assert raised["alarm"]["priority"] == "medium"
    assert (shelved["cause"], shelved["user"], shelved["comment"]) == (
        "shelve",
        "li.wei",
        "cleaning",
    )
    assert shelved["alarm"]["shelf"]["until"] == (clock.now() + 3600 * SECOND).isoformat()
    await bus.close()
