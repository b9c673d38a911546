"""SqliteHistory only: its file, its transactions, its schema version."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.core import Observation, StoreError
from penworks.store import History, SqliteHistory
from penworks.store.sqlite_schema import SCHEMA_VERSION

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def series(point: str, count: int, start: datetime = T0) -> list[Observation]:
    return [Observation(point, start + timedelta(minutes=i), float(i)) for i in range(count)]


def test_sqlite_history_is_a_history(db_path: Path) -> None:
    store: History = SqliteHistory(db_path)  # checked by mypy against the protocol
    assert not db_path.exists()  # nothing happens before open()
    assert isinstance(store, SqliteHistory)


async def test_large_appends_are_split_into_transactions(db_path: Path) -> None:
    store = SqliteHistory(db_path, batch_rows=3)
    await store.open()
    try:
        batch = series("p", 10) + series("q", 4)
        assert await store.append(batch) == len(batch)
        assert await store.count() == len(batch)
        assert (await store.latest())["p"] == batch[9]
    finally:
        await store.close()


def test_batch_rows_must_be_positive(db_path: Path) -> None:
    with pytest.raises(StoreError, match="batch_rows"):
        SqliteHistory(db_path, batch_rows=0)


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"open failed on .*notes\.db"):
        await SqliteHistory(path).open()
    assert path.read_bytes().startswith(b"this is not sqlite")


async def test_the_schema_version_is_recorded(db_path: Path) -> None:
    store = SqliteHistory(db_path)
    await store.open()
    await store.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


async def test_a_file_from_a_newer_schema_is_refused(db_path: Path) -> None:
    store = SqliteHistory(db_path)
    await store.open()
    await store.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(StoreError, match="newer than this Penworks knows"):
        await store.open()
