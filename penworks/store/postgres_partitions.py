"""Native partitions of the samples table: one per day (or per partition_days), by ts.

A partition is made before the first write that needs it, with the next one ahead, so the
day's first write rarely waits. Making one locks the samples table for an instant; an
advisory lock serialises the processes that would make the same one, and each process
remembers what exists so that most appends ask nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

import asyncpg

from penworks.store.codec import from_micros, to_micros
from penworks.store.postgres_rollups import DAY_US
from penworks.store.postgres_schema import Layout, ddl_lock
from penworks.store.postgres_timescale import Hypertable

_NAME: Final = re.compile(r"samples_(\d{4})(\d{2})(\d{2})")
_LAST_END: Final = to_micros(datetime.max.replace(tzinfo=UTC))  # what datetime can reach


class NativePartitions:
    def __init__(self, schema: str, partition_days: int) -> None:
        self._schema = schema
        self._span = partition_days * DAY_US
        self._known: set[int] = set()  # partition numbers: start // span
        self._first = -(2**63)  # partitions before this one are past the retention horizon

    async def ensure(self, pool: asyncpg.Pool, micros: set[int]) -> None:
        """Make sure a partition holds each of these timestamps, and the one after the last."""
        if not micros:
            return
        wanted = {ts // self._span for ts in micros}
        if (max(wanted) + 2) * self._span <= _LAST_END:
            wanted.add(max(wanted) + 1)
        if {number for number in wanted if number >= self._first} <= self._known:
            return
        async with pool.acquire() as conn, conn.transaction():
            await ddl_lock(conn, self._schema)
            existing = await self.existing(conn)
            horizon = await conn.fetchval(f"SELECT raw_horizon FROM {self._schema}.retention")
            if horizon is not None:  # appends no longer keep samples before it
                self._first = to_micros(horizon) // self._span
            for number in sorted(wanted - set(existing)):
                if number >= self._first:
                    await conn.execute(self._create_sql(number))
                    existing[number] = self._name(number)
        self._known = set(existing)

    def forget(self) -> None:
        """Ask the database again at the next write (a partition was dropped elsewhere)."""
        self._known.clear()

    async def existing(self, conn: asyncpg.Connection) -> dict[int, str]:
        """The partitions the database has, by number."""
        rows = await conn.fetch(
            """SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
               WHERE i.inhparent = $1::regclass""",
            f"{self._schema}.samples",
        )
        found: dict[int, str] = {}
        for row in rows:
            number = self._number(row["relname"])
            if number is not None:
                found[number] = row["relname"]
        return found

    async def drop_before(self, conn: asyncpg.Connection, cutoff: datetime) -> list[str]:
        """Drop every partition that ends at or before cutoff (in the caller's transaction)."""
        dropped = [
            name
            for number, name in sorted((await self.existing(conn)).items())
            if self._end(number) <= cutoff
        ]
        for name in dropped:
            await conn.execute(f"DROP TABLE IF EXISTS {self._schema}.{name}")
        self.forget()
        return dropped

    def _create_sql(self, number: int) -> str:
        start, end = self._start(number), self._end(number)
        return (
            f"CREATE TABLE IF NOT EXISTS {self._schema}.{self._name(number)}"
            f" PARTITION OF {self._schema}.samples"
            f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )

    def _start(self, number: int) -> datetime:
        return from_micros(number * self._span)

    def _end(self, number: int) -> datetime:
        return from_micros((number + 1) * self._span)

    def _name(self, number: int) -> str:
        day = self._start(number)
        return f"samples_{day.year:04d}{day.month:02d}{day.day:02d}"

    def _number(self, name: str) -> int | None:
        match = _NAME.fullmatch(name)
        if match is None:
            return None
        year, month, day = (int(part) for part in match.groups())
        start = to_micros(datetime(year, month, day, tzinfo=UTC))
        return start // self._span if start % self._span == 0 else None


Partitioning = NativePartitions | Hypertable
"""What writes and retention need of the samples layout."""


def partitioning(layout: Layout, schema: str, partition_days: int) -> Partitioning:
    if layout is Layout.TIMESCALE:
        return Hypertable(schema)
    return NativePartitions(schema, partition_days)
