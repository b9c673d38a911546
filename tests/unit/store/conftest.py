"""A real SQLite history file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from penworks.store import SqliteHistory


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history" / "penworks.db"


@pytest.fixture
async def history(db_path: Path) -> AsyncIterator[SqliteHistory]:
    store = SqliteHistory(db_path)
    await store.open()
    yield store
    await store.close()
