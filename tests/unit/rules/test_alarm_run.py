"""run(): the book's timers fire on the clock, without anyone calling tick()."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from penworks.rules.alarm_listeners import AlarmListener
from penworks.rules.alarm_types import AlarmState, AlarmTransition, TransitionCause
from penworks.rules.alarms import AlarmBook
from tests.unit.rules.alarm_support import HOT, T0, ManualClock, alarm_id, condition, make_book


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def book(clock: ManualClock) -> AsyncIterator[AlarmBook]:
    book = make_book(clock)
    task = asyncio.create_task(book.run(), name="alarm-book")
    yield book
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def next_of(listener: AlarmListener, cause: TransitionCause) -> AlarmTransition:
    async with asyncio.timeout(5):
        while (transition := await listener.get()).cause is not cause:
            pass
    return transition


async def test_shelf_expires_on_time(book: AlarmBook, clock: ManualClock) -> None:
    listener = book.listen()
    await book.condition(condition(clock, active=True))
    await book.shelve(HOT, "li.wei", timedelta(hours=1), "cleaning")
    await clock.move(hours=1)
    expired = await next_of(listener, TransitionCause.SHELVE_EXPIRED)
    assert (expired.ts, expired.to_state) == (T0 + timedelta(hours=1), AlarmState.UNACK_ACTIVE)


async def test_chatter_is_released_on_time(book: AlarmBook, clock: ManualClock) -> None:
    listener = book.listen()
    for active in (True, False, True):
        await clock.move(10)
        await book.condition(condition(clock, active=active))
    assert book.chattering() == [HOT]
    await clock.move(minutes=5)
    released = await next_of(listener, TransitionCause.CHATTER)
    released = await next_of(listener, TransitionCause.CHATTER)  # the first was the start
    assert (released.ts, released.to_state) == (
        T0 + timedelta(seconds=330),
        AlarmState.UNACK_ACTIVE,
    )
    assert book.chattering() == []


async def test_flood_ends_on_time(book: AlarmBook, clock: ManualClock) -> None:
    listener = book.listen()
    for n in range(11):  # raised at 0..10 s; the 11th is held
        await book.condition(condition(clock, alarm_id(n)))
        await clock.move(1)
    assert book.floods()[0].suppressed == (alarm_id(10),)
    # below 5 once the one raised at 6 s leaves the 10-minute window
    await clock.move(seconds=600 + 6 - 11)
    released = await next_of(listener, TransitionCause.FLOOD)
    released = await next_of(listener, TransitionCause.FLOOD)  # the first was the hold
    assert (released.alarm_id, released.ts) == (alarm_id(10), T0 + timedelta(seconds=606))
    assert released.to_state is AlarmState.UNACK_ACTIVE
    assert book.floods() == []
