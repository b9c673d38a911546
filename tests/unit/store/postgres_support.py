"""The machine's PostgreSQL for store tests: a fresh schema per test, dropped afterwards.

Making a schema (a dozen tables, each index fsynced) and dropping it take PostgreSQL
about 0.15 s; SchemaMaker does both on a thread of its own, ahead of the tests and after
them, so a test waits for neither and still has a schema no other test touched.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Final, TypeVar

import asyncpg

from penworks.store import PostgresHistory, PostgresSettings
from penworks.store.postgres_schema import migrate
from tests.conftest import require_service

HOST: Final = "127.0.0.1"
PORT: Final = 5432
DSN: Final = f"postgresql://postgres@{HOST}:{PORT}/postgres"
# Tests check what is stored, not that it outlives a server crash: no fsync per commit.
SETTINGS: Final = PostgresSettings(server_settings={"synchronous_commit": "off"})
AHEAD: Final = 2
T = TypeVar("T")


def require_postgres() -> None:
    require_service("PostgreSQL", HOST, PORT)


def new_schema() -> str:
    return f"pw_test_{uuid.uuid4().hex[:16]}"


async def drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


async def _made_schema() -> str:
    schema = new_schema()
    conn = await asyncpg.connect(DSN)
    try:
        await migrate(conn, schema, SETTINGS.partition_days)
    finally:
        await conn.close()
    return schema


class SchemaMaker:
    """Migrated schemas made ahead, and used ones dropped, on a thread with its own loop."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="postgres-schemas", daemon=True
        )
        self._thread.start()
        self._ahead: deque[Future[str]] = deque(self._later(_made_schema()) for _ in range(AHEAD))
        self._drops: list[Future[None]] = []

    async def take(self) -> str:
        ready = self._ahead.popleft()
        self._ahead.append(self._later(_made_schema()))
        return await asyncio.wrap_future(ready)

    def drop(self, schema: str) -> None:
        self._drops.append(self._later(drop_schema(schema)))

    def close(self) -> None:
        """Drop every schema made, used or not, then stop the thread."""
        for ready in self._ahead:
            if ready.exception() is None:
                self.drop(ready.result())
        for dropping in self._drops:
            dropping.result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def _later(self, work: Coroutine[object, object, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(work, self._loop)


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[str]:
    """A schema name no other test uses, not made yet; dropped after the test."""
    require_postgres()
    schema = new_schema()
    try:
        yield schema
    finally:
        await drop_schema(schema)


def postgres_history(schema: str, settings: PostgresSettings = SETTINGS) -> PostgresHistory:
    return PostgresHistory(DSN, schema=schema, settings=settings)
