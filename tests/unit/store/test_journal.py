"""The journal: append-only records, the same contract in memory and in SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.core import StoreError
from penworks.store import Journal, JournalRecord, MemoryJournal, SqliteJournal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def journal(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Journal]:
    store: Journal = (
        MemoryJournal() if request.param == "memory" else SqliteJournal(tmp_path / "j.db")
    )
    await store.open()
    yield store
    await store.close()


def _record(kind: str, key: str, minutes: int, **data: object) -> JournalRecord:
    return JournalRecord(kind, key, T0 + timedelta(minutes=minutes), dict(data))


async def test_records_come_back_filtered_and_ordered(journal: Journal) -> None:
    stored = await journal.append(
        [
            _record("audit", "b15.f1.door_main.locked", 0, value=True, who="li.wei"),
            _record("audit", "b15.f2.door_f2.locked", 1, value=False),
            _record("alarm", "too_warm:b15.f3.r301.zone_air_temp", 2, to="unack_active"),
            _record("audit", "b15.f1.door_main.locked", 3, value=None),
        ]
    )
    assert [r.seq for r in stored] == [1, 2, 3, 4]
    newest = await journal.query("audit")
    assert [r.ts for r in newest] == [T0 + timedelta(minutes=m) for m in (3, 1, 0)]
    one = await journal.query("audit", key="b15.f1.door_main.locked", newest_first=False)
    assert [r.data for r in one] == [{"value": True, "who": "li.wei"}, {"value": None}]
    floor = await journal.query("audit", key_prefix="b15.f2.")
    assert [r.key for r in floor] == ["b15.f2.door_f2.locked"]
    window = await journal.query(
        "audit", start=T0 + timedelta(minutes=1), end=T0 + timedelta(minutes=3)
    )
    assert [r.seq for r in window] == [2]
    assert len(await journal.query("audit", limit=2)) == 2
    assert await journal.query("notification") == []


async def test_a_record_that_is_not_json_is_refused_and_nothing_is_written(
    journal: Journal,
) -> None:
    with pytest.raises(StoreError, match="not JSON"):
        await journal.append(
            [_record("audit", "p", 0, ok=1), _record("audit", "p", 1, bad=object())]
        )
    assert await journal.query("audit") == []


async def test_the_sqlite_journal_keeps_records_across_a_restart(tmp_path: Path) -> None:
    first = SqliteJournal(tmp_path / "j.db")
    await first.open()
    await first.append([_record("alarm", "a", 0, to="ack_active")])
    await first.close()
    again = SqliteJournal(tmp_path / "j.db")
    await again.open()
    try:
        (record,) = await again.query("alarm")
        assert (record.key, record.ts, record.data, record.seq) == (
            "a",
            T0,
            {"to": "ack_active"},
            1,
        )
        (more,) = await again.append([_record("alarm", "a", 1)])
        assert more.seq == 2
    finally:
        await again.close()


async def test_a_closed_sqlite_journal_says_so(tmp_path: Path) -> None:
    closed = SqliteJournal(tmp_path / "j.db")
    with pytest.raises(StoreError, match="not open"):
        await closed.query("audit")
