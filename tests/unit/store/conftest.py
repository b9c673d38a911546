"""A real history per test: a SQLite file, and the same tests on PostgreSQL.

Tests that take `history` (or `new_history`) hold for every History backend. The
PostgreSQL runs talk to the machine's server, so they carry the integration marker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from penworks.store import History, SqliteHistory
from tests.unit.store.postgres_support import SchemaMaker, postgres_history, require_postgres

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)]

NewHistory = Callable[[], History]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history" / "penworks.db"


@pytest.fixture(scope="session")
def schema_maker() -> Iterator[SchemaMaker]:
    require_postgres()
    maker = SchemaMaker()
    yield maker
    maker.close()


@pytest.fixture(params=BACKENDS)
async def new_history(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[NewHistory]:
    """Makes unopened histories that all keep the same data (the same file or schema)."""
    if request.param == "sqlite":
        yield lambda: SqliteHistory(db_path)
        return
    maker: SchemaMaker = request.getfixturevalue("schema_maker")
    schema = await maker.take()
    try:
        yield lambda: postgres_history(schema)
    finally:
        maker.drop(schema)


@pytest.fixture
async def history(new_history: NewHistory) -> AsyncIterator[History]:
    store = new_history()
    await store.open()
    yield store
    await store.close()
