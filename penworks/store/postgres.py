"""PostgresHistory: the History on PostgreSQL (asyncpg), for larger sites and long history.

Samples are partitioned by day (or kept in a TimescaleDB hypertable when the server has
the extension), written in batches through COPY, summarised into hourly and daily
rollups as they are written, and dropped partition by partition by apply_retention().
Every table lives in one PostgreSQL schema, made by open() if it is missing.

Appends are serialised in this process, as in SqliteHistory; reads run side by side on
the pool. Several processes may write the same schema: writes stay idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeVar

import asyncpg

from penworks.core import DeadLetter, Observation, StoreError
from penworks.store.base import Aggregate, DeadLetterCount
from penworks.store.postgres_partitions import Partitioning, partitioning
from penworks.store.postgres_read import PostgresReader
from penworks.store.postgres_retention import RetentionReport, apply_retention
from penworks.store.postgres_schema import Layout, migrate
from penworks.store.postgres_settings import (
    DEFAULT_DSN,
    DEFAULT_SCHEMA,
    PostgresSettings,
    checked_schema,
    redacted,
)
from penworks.store.postgres_write import CREATE_STAGE, PostgresWriter
from penworks.store.range_query import RangeQuery

T = TypeVar("T")

_MIN_SERVER: Final = 14  # date_bin
_FAILURES: Final = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class _Open:
    pool: asyncpg.Pool
    layout: Layout
    partitions: Partitioning
    writer: PostgresWriter
    reader: PostgresReader


class PostgresHistory:
    """History kept in PostgreSQL; see penworks.store.base.History for the contract."""

    def __init__(
        self,
        dsn: str = DEFAULT_DSN,
        *,
        schema: str = DEFAULT_SCHEMA,
        settings: PostgresSettings | None = None,
    ) -> None:
        self._dsn = dsn
        self._schema = checked_schema(schema)
        self._settings = settings or PostgresSettings()
        self._where = f"{redacted(dsn)} (schema {schema})"
        self._write_lock = asyncio.Lock()
        self._open: _Open | None = None

    @property
    def schema(self) -> str:
        return self._schema

    @property
    def layout(self) -> Layout:
        """Native partitions or a TimescaleDB hypertable, as the schema was made."""
        return self._require().layout

    async def open(self) -> None:
        async with self._write_lock:
            if self._open is not None:
                raise StoreError(f"history {self._where} is already open")
            async with self._failures("open"):
                self._open = await self._connect()

    async def close(self) -> None:
        """Wait for the write under way, then close the pool. Closing twice is fine."""
        async with self._write_lock:
            state, self._open = self._open, None
            if state is None:
                return
            try:
                async with self._failures("close"):
                    await state.pool.close()
            except BaseException:
                state.pool.terminate()  # no connection outlives a close that failed
                raise

    async def append(self, observations: Sequence[Observation]) -> int:
        batch = tuple(observations)  # the caller may reuse its list while the write goes on
        async with self._write_lock:
            writer = self._require().writer
            return await _finished(
                self._guarded("append", writer.append(batch, self._settings.batch_rows))
            )

    async def append_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        batch = tuple(letters)
        async with self._write_lock:
            writer = self._require().writer
            await _finished(self._guarded("append_dead_letters", writer.append_dead_letters(batch)))

    async def latest(self, points: Sequence[str] | None = None) -> dict[str, Observation]:
        names = None if points is None else tuple(points)
        return await self._guarded("latest", self._require().reader.latest(names))

    async def range(
        self,
        point: str,
        start: datetime,
        end: datetime,
        agg: Aggregate = Aggregate.RAW,
        interval: timedelta | None = None,
        limit: int = 100_000,
    ) -> list[Observation]:
        query = RangeQuery.build(point, start, end, agg, interval, limit)
        reader = self._require().reader
        if query.empty:
            return []
        return await self._guarded("range", reader.range(query))

    async def count(self, point: str | None = None) -> int:
        return await self._guarded("count", self._require().reader.count(point))

    async def dead_letters(self, source: str | None = None, limit: int = 100) -> list[DeadLetter]:
        if limit < 1:
            raise StoreError(f"limit must be at least 1, got {limit}")
        return await self._guarded(
            "dead_letters", self._require().reader.dead_letters(source, limit)
        )

    async def dead_letter_counts(self) -> list[DeadLetterCount]:
        return await self._guarded(
            "dead_letter_counts", self._require().reader.dead_letter_counts()
        )

    async def apply_retention(self, now: datetime) -> RetentionReport:
        """Drop raw partitions older than raw_days and rollup rows older than rollup_days.

        Afterwards appends no longer keep samples older than the raw horizon.
        """
        state = self._require()
        work = apply_retention(state.pool, self._schema, state.partitions, self._settings, now)
        return await self._guarded("apply_retention", work)

    async def _connect(self) -> _Open:
        settings = self._settings
        pool = asyncpg.create_pool(
            self._dsn,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            timeout=settings.connect_timeout_s,
            command_timeout=settings.command_timeout_s,
            server_settings={"application_name": "penworks", **settings.server_settings},
            init=_init_connection,
        )
        try:
            await pool
            async with pool.acquire() as conn:
                version = conn.get_server_version()
                if version.major < _MIN_SERVER:
                    raise StoreError(
                        f"PostgreSQL {_MIN_SERVER} or newer is needed; {self._where} runs"
                        f" {version.major}.{version.minor}"
                    )
                info = await migrate(conn, self._schema, settings.partition_days)
            parts = partitioning(info.layout, self._schema, info.partition_days)
            writer = await PostgresWriter.load(pool, self._schema, parts)
            return _Open(pool, info.layout, parts, writer, PostgresReader(pool, self._schema))
        except BaseException:
            pool.terminate()
            raise

    def _require(self) -> _Open:
        if self._open is None:
            raise StoreError(f"history {self._where} is not open")
        return self._open

    async def _guarded(self, what: str, work: Awaitable[T]) -> T:
        async with self._failures(what):
            return await work

    @asynccontextmanager
    async def _failures(self, what: str) -> AsyncIterator[None]:
        """Database and connection errors become a StoreError that says what and where."""
        try:
            yield
        except StoreError:
            raise
        except TimeoutError as err:
            raise StoreError(f"history {what} timed out on {self._where}") from err
        except OSError as err:
            raise StoreError(
                f"history {what} failed: cannot reach PostgreSQL at {self._where}: {err}"
            ) from err
        except _FAILURES as err:
            raise StoreError(
                f"history {what} failed on {self._where}: {type(err).__name__}: {err}"
            ) from err


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.execute(CREATE_STAGE)


async def _finished(work: Awaitable[T]) -> T:
    """Await work; if the caller is cancelled, let the work finish first, then cancel.

    As with SqliteHistory, a cancelled append is either not begun or completed, never cut
    off between two of its transactions, and the next write starts after it.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # mark it retrieved: the caller was cancelled and will not look
        raise
