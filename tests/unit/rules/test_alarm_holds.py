"""Shelving, suppression by design and out of service: held conditions, no annunciation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.rules.alarm_types import (
    AlarmOperationRefused,
    AlarmState,
    Suppression,
    TransitionCause,
)
from penworks.rules.alarms import AlarmBook
from tests.unit.rules.alarm_support import HOT, ManualClock, condition, make_book

HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def book(clock: ManualClock) -> AlarmBook:
    return make_book(clock)


async def causes(book: AlarmBook) -> list[tuple[str, str, str, str | None]]:
    return [
        (t.from_state.value, t.to_state.value, t.cause.value, t.user)
        for t in reversed(await book.history(HOT))
    ]


async def test_shelve_holds_the_condition_and_expires_on_its_own(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=True))
    shelved_at = clock.now()
    view = await book.shelve(HOT, "li.wei", HOUR, "sensor under repair")
    assert view.state is AlarmState.SHELVED
    assert view.shelf is not None
    assert (view.shelf.by, view.shelf.reason, view.shelf.since, view.shelf.until) == (
        "li.wei",
        "sensor under repair",
        shelved_at,
        shelved_at + HOUR,
    )
    clock.advance(600)
    await book.condition(condition(clock, active=False))
    await book.condition(condition(clock, active=True))
    assert book.get(HOT).state is AlarmState.SHELVED
    assert book.get(HOT).active
    clock.advance(HOUR.total_seconds() - 601)
    await book.tick()
    assert book.get(HOT).state is AlarmState.SHELVED  # one second to go
    clock.advance(1)
    await book.tick()
    view = book.get(HOT)
    assert (view.state, view.shelf, view.annunciated_at) == (
        AlarmState.UNACK_ACTIVE,
        None,
        clock.now(),
    )
    assert await causes(book) == [
        ("normal", "unack_active", "condition", None),
        ("unack_active", "shelved", "shelve", "li.wei"),
        ("shelved", "shelved", "condition", None),
        ("shelved", "shelved", "condition", None),
        ("shelved", "unack_active", "shelve_expired", None),
    ]


async def test_shelf_expiry_of_a_cleared_alarm_returns_it_to_normal(
    book: AlarmBook, clock: ManualClock
) -> None:
    await book.condition(condition(clock, active=True))
    await book.shelve(HOT, "li.wei", HOUR, "known fault")
    await book.condition(condition(clock, active=False))
    clock.advance(3600)
    await book.tick()
    assert book.get(HOT).state is AlarmState.NORMAL


async def test_shelving_is_limited_and_needs_a_reason(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    with pytest.raises(AlarmOperationRefused, match=r"up to 8:00:00, not 8:00:01"):
        await book.shelve(HOT, "li.wei", timedelta(hours=8, seconds=1), "long job")
    with pytest.raises(AlarmOperationRefused, match="up to"):
        await book.shelve(HOT, "li.wei", timedelta(0), "nothing")
    with pytest.raises(AlarmOperationRefused, match="a reason to shelve is required"):
        await book.shelve(HOT, "li.wei", HOUR, " ")
    view = await book.shelve(HOT, "li.wei", timedelta(hours=8), "long job")
    assert view.state is AlarmState.SHELVED


async def test_reshelving_replaces_the_shelf(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    await book.shelve(HOT, "li.wei", HOUR, "first")
    clock.advance(1800)
    view = await book.shelve(HOT, "wang.fang", 2 * HOUR, "still broken")
    assert view.shelf is not None
    assert view.shelf.until == clock.now() + 2 * HOUR
    clock.advance(1800)
    await book.tick()
    assert book.get(HOT).state is AlarmState.SHELVED


async def test_unshelve_annunciates_an_active_alarm(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    await book.acknowledge(HOT, "li.wei")
    await book.shelve(HOT, "li.wei", HOUR, "noisy")
    clock.advance(60)
    view = await book.unshelve(HOT, "wang.fang", "repaired?")
    assert (view.state, view.ack, view.annunciated_at) == (
        AlarmState.UNACK_ACTIVE,
        None,
        clock.now(),
    )
    assert (await causes(book))[-1] == ("shelved", "unack_active", "unshelve", "wang.fang")
    with pytest.raises(AlarmOperationRefused, match="is not shelved"):
        await book.unshelve(HOT, "wang.fang")
    clock.advance(3600)
    await book.tick()  # the old shelf's expiry does nothing now
    assert (await causes(book))[-1][2] == "unshelve"


async def test_unshelve_of_a_cleared_alarm_is_normal(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    await book.shelve(HOT, "li.wei", HOUR, "noisy")
    await book.condition(condition(clock, active=False))
    assert (await book.unshelve(HOT, "li.wei")).state is AlarmState.NORMAL


async def test_suppressed_by_design_holds_and_returns(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=False, suppressed=True))  # the plant is off
    await book.condition(condition(clock, active=True, suppressed=True))
    view = book.get(HOT)
    assert (view.state, view.active, view.suppressed_by, view.annunciated_at) == (
        AlarmState.SUPPRESSED,
        True,
        Suppression.DESIGN,
        None,
    )
    with pytest.raises(AlarmOperationRefused, match="is suppressed: it does not annunciate"):
        await book.acknowledge(HOT, "li.wei")
    clock.advance(60)
    await book.condition(condition(clock, active=True, suppressed=False))  # plant on, still hot
    view = book.get(HOT)
    assert (view.state, view.suppressed_by, view.annunciated_at) == (
        AlarmState.UNACK_ACTIVE,
        None,
        clock.now(),
    )
    await book.condition(condition(clock, active=True, suppressed=True))
    await book.condition(condition(clock, active=False, suppressed=True))
    await book.condition(condition(clock, active=False, suppressed=False))
    assert [c[2] for c in await causes(book)] == [
        "suppress",  # created suppressed
        "condition",
        "unsuppress",
        "suppress",
        "condition",
        "unsuppress",
    ]
    assert book.get(HOT).state is AlarmState.NORMAL


async def test_out_of_service_and_back(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=True))
    await book.shelve(HOT, "li.wei", HOUR, "noisy")
    view = await book.set_out_of_service(HOT, "zhao.lei", True, "sensor replaced next week")
    assert view.state is AlarmState.OUT_OF_SERVICE
    assert view.out_of_service is not None
    assert (view.out_of_service.by, view.out_of_service.reason) == (
        "zhao.lei",
        "sensor replaced next week",
    )
    with pytest.raises(AlarmOperationRefused, match="already out of service"):
        await book.set_out_of_service(HOT, "zhao.lei", True, "again")
    with pytest.raises(AlarmOperationRefused, match="out of service: return it to service first"):
        await book.shelve(HOT, "li.wei", HOUR, "more")
    clock.advance(3600)
    await book.tick()  # the shelf expires underneath; out of service still holds
    assert book.get(HOT).state is AlarmState.OUT_OF_SERVICE
    assert book.get(HOT).shelf is None
    view = await book.set_out_of_service(HOT, "zhao.lei", False)
    assert view.state is AlarmState.UNACK_ACTIVE
    assert view.out_of_service is None
    with pytest.raises(AlarmOperationRefused, match="is in service"):
        await book.set_out_of_service(HOT, "zhao.lei", False)
    assert [c[2] for c in await causes(book)][-3:] == [
        "out_of_service",
        "shelve_expired",
        "return_to_service",
    ]


async def test_taking_out_of_service_needs_a_reason(book: AlarmBook, clock: ManualClock) -> None:
    await book.condition(condition(clock, active=False))
    with pytest.raises(AlarmOperationRefused, match="a reason to take an alarm out of service"):
        await book.set_out_of_service(HOT, "zhao.lei", True)
    await book.set_out_of_service(HOT, "zhao.lei", True, "decommissioned zone")
    view = await book.set_out_of_service(HOT, "zhao.lei", False)
    assert view.state is AlarmState.NORMAL
    history = await book.history(HOT, limit=1)
    assert history[0].cause is TransitionCause.RETURN_TO_SERVICE
