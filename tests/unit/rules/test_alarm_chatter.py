"""Chattering alarms: 3 condition changes within a minute stop annunciating, visibly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.rules.alarm_types import AlarmState, Suppression, TransitionCause
from penworks.rules.alarms import AlarmBook
from tests.unit.rules.alarm_support import HOT, T0, ManualClock, condition, make_book


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def book(clock: ManualClock) -> AlarmBook:
    return make_book(clock)


async def toggle(book: AlarmBook, clock: ManualClock, *steps: tuple[float, bool]) -> None:
    """Condition changes at seconds after T0."""
    for seconds, active in steps:
        clock.at = T0 + timedelta(seconds=seconds)
        await book.condition(condition(clock, active=active))


async def test_three_changes_in_a_minute_start_chattering(
    book: AlarmBook, clock: ManualClock
) -> None:
    await toggle(book, clock, (0, True), (10, False))
    assert book.get(HOT).state is AlarmState.UNACK_RTN
    assert book.chattering() == []
    await toggle(book, clock, (20, True))
    view = book.get(HOT)
    assert (view.state, view.suppressed_by, view.chattering, view.annunciated_at) == (
        AlarmState.SUPPRESSED,
        Suppression.CHATTER,
        True,
        T0,
    )
    assert book.chattering() == [HOT]
    latest = (await book.history(HOT, limit=1))[0]
    assert (latest.from_state, latest.to_state, latest.cause) == (
        AlarmState.UNACK_RTN,
        AlarmState.SUPPRESSED,
        TransitionCause.CHATTER,
    )
    await toggle(book, clock, (30, False), (40, True))  # recorded, not annunciated
    assert book.get(HOT).annunciated_at == T0
    assert book.get(HOT).active
    assert len(await book.history(HOT)) == 5
    assert book.kpis().chattering == 1


async def test_changes_spread_over_more_than_a_minute_do_not_chatter(
    book: AlarmBook, clock: ManualClock
) -> None:
    await toggle(book, clock, (0, True), (31, False), (62, True), (93, False), (124, True))
    assert book.chattering() == []
    assert book.get(HOT).state is AlarmState.UNACK_ACTIVE


async def test_chattering_ends_after_a_quiet_time_and_follows_the_condition(
    book: AlarmBook, clock: ManualClock
) -> None:
    await toggle(book, clock, (0, True), (10, False), (20, True), (40, False), (50, True))
    clock.at = T0 + timedelta(seconds=50 + 299)
    await book.tick()
    assert book.chattering() == [HOT]
    clock.at += timedelta(seconds=1)
    await book.tick()
    view = book.get(HOT)
    assert book.chattering() == []
    assert (view.state, view.suppressed_by, view.annunciated_at) == (
        AlarmState.UNACK_ACTIVE,
        None,
        clock.now(),
    )
    latest = (await book.history(HOT, limit=1))[0]
    assert (latest.from_state, latest.cause) == (AlarmState.SUPPRESSED, TransitionCause.CHATTER)


async def test_chattering_alarm_that_cleared_returns_to_normal(
    book: AlarmBook, clock: ManualClock
) -> None:
    await toggle(book, clock, (0, True), (10, False), (20, True), (30, False))
    clock.at = T0 + timedelta(minutes=6)
    await book.tick()
    assert book.get(HOT).state is AlarmState.NORMAL
    assert book.chattering() == []
    await toggle(book, clock, (400, True))  # counting starts afresh
    assert book.get(HOT).state is AlarmState.UNACK_ACTIVE


async def test_a_shelved_alarm_chatters_underneath(book: AlarmBook, clock: ManualClock) -> None:
    await toggle(book, clock, (0, True))
    await book.shelve(HOT, "li.wei", timedelta(hours=1), "noisy")
    await toggle(book, clock, (10, False), (20, True))
    view = book.get(HOT)
    assert (view.state, view.suppressed_by) == (AlarmState.SHELVED, Suppression.CHATTER)
    await book.unshelve(HOT, "li.wei")
    assert book.get(HOT).state is AlarmState.SUPPRESSED  # chatter still holds it
