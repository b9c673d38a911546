"""Restore: a restarted alarm book equals the one before, and carries on from there."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from penworks.rules import alarm_restore
from penworks.rules.alarm_types import AlarmPriority, AlarmState, Suppression
from penworks.rules.alarms import AlarmBook
from penworks.store import Journal, MemoryJournal, SqliteJournal
from tests.unit.rules.alarm_support import T0, ManualClock, alarm_id, condition, make_book

MINUTE = timedelta(minutes=1)
F9 = "b15.f9"
Restart = Callable[[], Awaitable[Journal]]


@pytest.fixture(params=["memory", "sqlite"])
async def journals(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Journal, Restart]]:
    """A journal, and how to open it again as a restarted process would (the same file)."""
    memory = MemoryJournal()
    opened: list[Journal] = []

    async def open_journal() -> Journal:
        journal: Journal = (
            memory if request.param == "memory" else SqliteJournal(tmp_path / "journal.db")
        )
        await journal.open()
        opened.append(journal)
        return journal

    yield await open_journal(), open_journal
    for journal in opened:
        await journal.close()


async def busy_book(clock: ManualClock, journal: Journal) -> AlarmBook:
    """A book with an alarm in every state, a flood going on, a past flood and chatter."""
    book = make_book(clock, journal)
    clock.at = T0 - timedelta(hours=5)
    for n in range(11):  # a flood in f1, over by the end
        await book.condition(condition(clock, alarm_id(n, "b15.f1"), area="b15.f1"))
    clock.advance(3600)
    await book.tick()
    clock.at = T0
    await book.condition(condition(clock, "unack:p", priority=AlarmPriority.HIGH))
    await book.condition(condition(clock, "acked:p", value=30.5))
    await book.acknowledge("acked:p", "li.wei", "on it")
    await book.condition(condition(clock, "rtn:p"))
    await book.condition(condition(clock, "rtn:p", active=False))
    await book.condition(condition(clock, "shelved:p"))
    await book.shelve("shelved:p", "li.wei", timedelta(hours=2), "sensor cleaning")
    await book.condition(condition(clock, "oos:p", active=False))
    await book.set_out_of_service("oos:p", "zhao.lei", True, "replaced")
    await book.condition(condition(clock, "design:p", suppressed=True))
    await book.comment("design:p", "li.wei", "plant off for the weekend")
    for seconds, active in ((0, True), (10, False), (20, True)):
        clock.at = T0 + timedelta(seconds=seconds)
        await book.condition(condition(clock, "chatter:p", active=active))
    for n in range(13):  # a flood in f9 now, with three held at the same instant
        clock.at = T0 + MINUTE + timedelta(seconds=min(n, 10))
        await book.condition(condition(clock, alarm_id(n, F9), area=F9))
    clock.at = T0 + 2 * MINUTE
    await book.condition(condition(clock, "twice:p"))
    await book.condition(condition(clock, "twice:p", active=False))  # two changes so far
    return book


def picture(book: AlarmBook) -> object:
    return (book.alarms(), book.floods(), book.chattering(), book.kpis())


async def test_restore_equals_the_book_before(journals: tuple[Journal, Restart]) -> None:
    journal, restart = journals
    clock = ManualClock()
    before = await busy_book(clock, journal)
    assert before.floods()[0].suppressed == tuple(alarm_id(n, F9) for n in (10, 11, 12))
    assert before.chattering() == ["chatter:p"]
    assert before.kpis().floods_24h == 2
    after = make_book(clock, await restart())
    await after.restore()
    assert picture(after) == picture(before)
    assert await after.history("acked:p") == await before.history("acked:p")


async def test_restored_book_carries_on(journals: tuple[Journal, Restart]) -> None:
    journal, restart = journals
    clock = ManualClock()
    await busy_book(clock, journal)
    book = make_book(clock, await restart())
    await book.restore()
    await book.condition(condition(clock, "twice:p"))  # the third change within a minute
    assert book.get("twice:p").suppressed_by is Suppression.CHATTER
    await book.condition(condition(clock, alarm_id(13, F9), area=F9))  # the flood counts on
    assert book.floods()[0].count == 14
    assert book.floods()[0].suppressed_total == 4
    clock.at = T0 + 2 * MINUTE + 5 * MINUTE
    await book.tick()  # chatter released
    assert book.get("chatter:p").state is AlarmState.UNACK_ACTIVE
    clock.at = T0 + 2 * timedelta(hours=1)
    await book.tick()  # shelf expired, flood over
    assert book.get("shelved:p").state is AlarmState.UNACK_ACTIVE
    assert book.floods() == []
    assert book.get(alarm_id(12, F9)).state is AlarmState.UNACK_ACTIVE
    with pytest.raises(Exception, match="already acknowledged by li.wei"):
        await book.acknowledge("acked:p", "wang.fang")


async def test_restore_reads_the_journal_in_pages(
    journals: tuple[Journal, Restart], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, restart = journals
    clock = ManualClock()
    before = await busy_book(clock, journal)
    monkeypatch.setattr(alarm_restore, "PAGE", 3)  # pages smaller than one instant's records
    after = make_book(clock, await restart())
    await after.restore()
    assert picture(after) == picture(before)


async def test_restore_of_an_empty_journal(journals: tuple[Journal, Restart]) -> None:
    journal, _ = journals
    book = make_book(ManualClock(), journal)
    await book.restore()
    assert book.alarms() == []
    assert book.floods() == []
    assert book.kpis().standing_total == 0
