"""The ISA-18.2 state machine of one alarm: condition, acknowledgement, comments, history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.core import PenworksError
from penworks.rules.alarm_types import (
    AlarmOperationRefused,
    AlarmPriority,
    AlarmState,
    TransitionCause,
    UnknownAlarm,
)
from penworks.rules.alarms import AlarmBook
from tests.unit.rules.alarm_support import HOT, T0, ManualClock, condition, make_book

NORMAL, UNACK, ACKED, RTN = (
    AlarmState.NORMAL,
    AlarmState.UNACK_ACTIVE,
    AlarmState.ACK_ACTIVE,
    AlarmState.UNACK_RTN,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def book(clock: ManualClock) -> AlarmBook:
    return make_book(clock)


async def states(book: AlarmBook, alarm: str = HOT) -> list[tuple[str, str, str]]:
    """The alarm's history oldest first, as (from, to, cause)."""
    return [
        (t.from_state.value, t.to_state.value, t.cause.value)
        for t in reversed(await book.history(alarm))
    ]


async def test_activation_annunciates_then_ack_then_return_to_normal(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=True, value=29.5))
    view = book.get(HOT)
    assert (view.state, view.active, view.annunciated_at, view.active_since) == (
        UNACK,
        True,
        T0,
        T0,
    )
    assert (view.rule, view.point, view.area, view.value) == (
        "zone_too_warm",
        "b15.f3.r301.zone_air_temp",
        "b15.f3",
        29.5,
    )
    clock.advance(30)
    acked = await book.acknowledge(HOT, "li.wei", "checking the VAV")
    assert acked.state is ACKED
    assert acked.ack is not None
    assert (acked.ack.by, acked.ack.at, acked.ack.comment) == (
        "li.wei",
        clock.now(),
        "checking the VAV",
    )
    clock.advance(60)
    await book.condition(condition(clock, active=False))
    view = book.get(HOT)
    assert (view.state, view.active, view.active_since, view.state_since) == (
        NORMAL,
        False,
        None,
        clock.now(),
    )
    assert await states(book) == [
        ("normal", "unack_active", "condition"),
        ("unack_active", "ack_active", "ack"),
        ("ack_active", "normal", "condition"),
    ]


async def test_return_unacknowledged_waits_for_ack(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    await book.condition(condition(clock, active=False))
    assert book.get(HOT).state is RTN
    view = await book.acknowledge(HOT, "li.wei")
    assert view.state is NORMAL
    assert view.ack is not None
    assert view.ack.by == "li.wei"
    assert (await states(book))[-1] == ("unack_rtn", "normal", "ack")


async def test_reactivation_from_unack_rtn_annunciates_again(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=True))
    clock.advance(120)
    await book.condition(condition(clock, active=False))
    clock.advance(120)
    await book.condition(condition(clock, active=True))
    view = book.get(HOT)
    assert (view.state, view.annunciated_at) == (UNACK, clock.now())
    assert [s[1] for s in await states(book)] == ["unack_active", "unack_rtn", "unack_active"]


async def test_new_annunciation_clears_the_previous_ack(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=True))
    await book.acknowledge(HOT, "li.wei")
    clock.advance(120)
    await book.condition(condition(clock, active=False))
    assert book.get(HOT).ack is not None  # the last acknowledgement stays visible
    clock.advance(120)
    await book.condition(condition(clock, active=True))
    assert book.get(HOT).state is UNACK
    assert book.get(HOT).ack is None


async def test_acknowledging_what_does_not_await_it_is_refused(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=False))
    with pytest.raises(AlarmOperationRefused, match="is normal: nothing to acknowledge"):
        await book.acknowledge(HOT, "li.wei")
    await book.condition(condition(clock, active=True))
    await book.acknowledge(HOT, "li.wei")
    with pytest.raises(AlarmOperationRefused, match="already acknowledged by li.wei"):
        await book.acknowledge(HOT, "wang.fang")
    with pytest.raises(AlarmOperationRefused, match="must be named"):
        await book.comment(HOT, "  ", "x")
    assert [s[2] for s in await states(book)] == [
        "condition",
        "condition",
        "ack",
    ]  # refusals: no record


async def test_a_new_inactive_alarm_is_known_and_normal(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=False))
    assert book.get(HOT).state is NORMAL
    assert await states(book) == [("normal", "normal", "condition")]
    await book.condition(condition(clock, active=False, value=21.0, message="fine"))
    assert book.get(HOT).value == 21.0
    assert book.get(HOT).message == "fine"
    assert len(await states(book)) == 1  # a value alone is not worth a record


async def test_priority_change_is_recorded(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    await book.condition(condition(clock, active=True, priority=AlarmPriority.HIGH))
    history = await book.history(HOT)
    assert history[0].alarm.priority is AlarmPriority.HIGH
    assert (history[0].from_state, history[0].to_state) == (UNACK, UNACK)


async def test_comment_is_recorded_without_changing_state(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=True))
    clock.advance(5)
    view = await book.comment(HOT, "li.wei", "VAV damper stuck, ticket 4411")
    assert view.state is UNACK
    latest = (await book.history(HOT, limit=1))[0]
    assert (latest.cause, latest.user, latest.comment, latest.ts) == (
        TransitionCause.COMMENT,
        "li.wei",
        "VAV damper stuck, ticket 4411",
        clock.now(),
    )
    assert latest.seq is not None
    assert latest.alarm == view
    with pytest.raises(AlarmOperationRefused, match="a comment is required"):
        await book.comment(HOT, "li.wei", "")


async def test_unknown_alarm(book: AlarmBook) -> None:
    with pytest.raises(UnknownAlarm, match="unknown alarm 'nope'") as caught:
        await book.acknowledge("nope", "li.wei")
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, PenworksError)
    with pytest.raises(UnknownAlarm):
        book.get("nope")
    with pytest.raises(UnknownAlarm):
        await book.history("nope")


async def test_history_is_newest_first_and_limited(book: AlarmBook, clock: ManualClock) -> None:
    for n in range(5):
        clock.advance(100)
        await book.condition(condition(clock, active=n % 2 == 0))
    history = await book.history(HOT, limit=3)
    assert [t.ts for t in history] == sorted((t.ts for t in history), reverse=True)
    assert len(history) == 3
    assert history[0].to_state is UNACK
    window = await book.history(HOT, start=T0 + timedelta(seconds=250))
    assert len(window) == 3


async def test_alarm_list_filters_and_order(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, "a:x.1", True, priority=AlarmPriority.LOW))
    clock.advance(1)
    await book.condition(
        condition(clock, "b:x.2", True, priority=AlarmPriority.CRITICAL, area="b15.f1")
    )
    clock.advance(1)
    await book.condition(condition(clock, "c:x.3", True, priority=AlarmPriority.LOW))
    await book.condition(condition(clock, "d:x.4", False, priority=AlarmPriority.HIGH))
    await book.acknowledge("c:x.3", "li.wei")
    assert [v.id for v in book.alarms()] == ["b:x.2", "d:x.4", "c:x.3", "a:x.1"]
    assert [v.id for v in book.alarms(priority_at_most=AlarmPriority.HIGH)] == ["b:x.2", "d:x.4"]
    assert [v.id for v in book.alarms(area="b15.f1")] == ["b:x.2"]
    assert [v.id for v in book.alarms(active=False)] == ["d:x.4"]
    assert [v.id for v in book.alarms(state=UNACK)] == ["b:x.2", "a:x.1"]
    assert [v.id for v in book.alarms(unacknowledged=True)] == ["b:x.2", "a:x.1"]
    assert [v.id for v in book.alarms(rule="c")] == ["c:x.3"]
    assert [v.id for v in book.alarms(point="x.4")] == ["d:x.4"]
