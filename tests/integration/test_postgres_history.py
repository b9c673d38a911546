"""PostgresHistory on the machine's PostgreSQL: partitions, rollups, retention, processes.

The History contract itself (what SqliteHistory does, PostgresHistory does) is tested for
both stores in tests/unit/store; these tests are about what only PostgreSQL has.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from penworks.core import Observation, Quality, StoreError
from penworks.store import Aggregate, PostgresHistory
from penworks.store.postgres_schema import SCHEMA_VERSION, Layout
from penworks.store.postgres_timescale import timescale_available
from tests.conftest import free_port
from tests.unit.store.postgres_support import (
    DSN,
    SETTINGS,
    SchemaMaker,
    fresh_schema,
    postgres_history,
    require_postgres,
)

pytestmark = pytest.mark.integration

DAY0 = datetime(2026, 7, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
EVER = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def hourly(point: str, days: int, start: datetime = DAY0, offset: int = 0) -> list[Observation]:
    """A value every 20 minutes for `days` days: ints and floats mixed, qualities mixed."""
    return [
        Observation(
            point,
            start + i * timedelta(minutes=20),
            (i + offset) if i % 3 else (i + offset) / 4,
            Quality.UNCERTAIN if i % 7 == 0 else Quality.GOOD,
        )
        for i in range(days * 72)
    ]


@pytest.fixture(scope="module")
def maker() -> Iterator[SchemaMaker]:
    require_postgres()
    schemas = SchemaMaker()
    yield schemas
    schemas.close()


@pytest.fixture
async def schema(maker: SchemaMaker) -> AsyncIterator[str]:
    name = await maker.take()
    yield name
    maker.drop(name)


@pytest.fixture
async def history(schema: str) -> AsyncIterator[PostgresHistory]:
    store = postgres_history(schema)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def conn() -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(DSN)
    yield connection
    await connection.close()


async def partitions(conn: asyncpg.Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
           WHERE i.inhparent = $1::regclass ORDER BY 1""",
        f"{schema}.samples",
    )
    return [row[0] for row in rows]


async def rollup_rows(conn: asyncpg.Connection, schema: str, table: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(f"SELECT * FROM {schema}.{table} ORDER BY point_id, bucket"))


async def test_open_makes_the_schema_and_records_its_version(conn: asyncpg.Connection) -> None:
    async with fresh_schema() as schema:
        name = f"penworks-{schema}"  # extra server settings reach every connection
        store = postgres_history(
            schema, replace(SETTINGS, server_settings={"application_name": name})
        )
        await store.open()
        try:
            assert store.layout is Layout.NATIVE
            connected = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            assert await conn.fetchval(connected, name) == SETTINGS.pool_min
            row = await conn.fetchrow(f"SELECT * FROM {schema}.schema_version")
            assert dict(row) == {
                "id": 1,
                "version": SCHEMA_VERSION,
                "layout": "native",
                "partition_days": 1,
            }
        finally:
            await store.close()
        await conn.execute(f"UPDATE {schema}.schema_version SET version = version + 1")
        with pytest.raises(StoreError, match="newer than this Penworks knows"):
            await store.open()


async def test_timescale_is_detected_from_the_server(
    history: PostgresHistory, conn: asyncpg.Connection
) -> None:
    offered = await conn.fetchval(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"
    )
    assert await timescale_available(conn) is (offered == 1)
    if offered == 0:  # this machine's server: plain PostgreSQL, native partitions
        assert history.layout is Layout.NATIVE


async def test_a_batch_over_several_days_gets_a_partition_per_day(
    history: PostgresHistory, schema: str, conn: asyncpg.Connection
) -> None:
    assert await partitions(conn, schema) == []
    batch = hourly("p", 3) + hourly("q", 1, start=DAY0 + 5 * DAY)
    assert await history.append(batch) == len(batch)
    # July 1-3 and 6, and July 7 made ahead of the newest samples.
    days = ["20260701", "20260702", "20260703", "20260706", "20260707"]
    assert await partitions(conn, schema) == [f"samples_{day}" for day in days]
    counts = await conn.fetch(
        f"SELECT tableoid::regclass::text, count(*) FROM {schema}.samples GROUP BY 1 ORDER BY 1"
    )
    assert [n for _, n in counts] == [72, 72, 72, 72]
    indexes = await conn.fetch(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2",
        schema,
        "samples_20260702",
    )
    definitions = " ".join(row[0] for row in indexes)
    assert "USING brin (ts)" in definitions
    assert "UNIQUE INDEX samples_20260702_pkey" in definitions
    assert "(point_id, ts)" in definitions


async def test_a_replay_in_small_transactions_adds_nothing_and_rollups_stay(
    schema: str, conn: asyncpg.Connection
) -> None:
    store = postgres_history(schema, replace(SETTINGS, batch_rows=50))
    await store.open()
    try:
        batch = hourly("p", 2) + hourly("q", 2, offset=5)
        assert await store.append(batch) == len(batch)
        before = [await rollup_rows(conn, schema, t) for t in ("rollup_hour", "rollup_day")]
        assert await store.append(batch) == 0
        assert await store.append(list(reversed(batch[:130]))) == 0
        after = [await rollup_rows(conn, schema, t) for t in ("rollup_hour", "rollup_day")]
        assert after == before
        assert await store.count() == len(batch)
    finally:
        await store.close()


async def test_rollups_are_the_summary_of_the_raw_samples(
    history: PostgresHistory, schema: str, conn: asyncpg.Connection
) -> None:
    series = hourly("p", 2)
    # In three appends, out of order: each merges into what the others left.
    for part in (series[100:], series[:40], series[40:100]):
        await history.append(part)
    rows = await rollup_rows(conn, schema, "rollup_hour")
    assert len(rows) == 48
    for row, hour in zip(rows, [series[i : i + 3] for i in range(0, len(series), 3)], strict=True):
        values = [float(o.value) for o in hour]
        assert row["bucket"] == hour[0].ts
        assert (row["samples"], row["numbers"]) == (3, 3)
        assert row["total"] == pytest.approx(sum(values))
        assert min(v for v in (row["min_f"], row["min_i"]) if v is not None) == min(values)
        assert max(v for v in (row["max_f"], row["max_i"]) if v is not None) == max(values)
        assert (row["first_ts"], row["last_ts"]) == (hour[0].ts, hour[-1].ts)
        assert row["quality_max"] == max(o.quality for o in hour)
    [day1, day2] = await rollup_rows(conn, schema, "rollup_day")
    assert (day1["samples"], day2["samples"]) == (72, 72)
    assert day2["last_ts"] == series[-1].ts


async def test_long_ranges_read_rollups_not_raw_samples(
    history: PostgresHistory, schema: str, conn: asyncpg.Connection
) -> None:
    await history.append(hourly("p", 3))
    span = (DAY0, DAY0 + 3 * DAY)
    wanted = {
        (agg, interval): await history.range("p", *span, agg, interval)
        for agg in (Aggregate.AVG, Aggregate.MIN, Aggregate.LAST)
        for interval in (HOUR, 6 * HOUR, DAY)
    }
    # With the raw samples gone, whole-hour intervals still have every answer.
    await conn.execute(f"DELETE FROM {schema}.samples")
    for (agg, interval), expected in wanted.items():
        assert len(expected) == 3 * DAY // interval
        assert await history.range("p", *span, agg, interval) == expected
    assert await history.range("p", *span, Aggregate.AVG, timedelta(minutes=30)) == []


async def test_retention_drops_old_partitions_and_old_rollups(
    schema: str, conn: asyncpg.Connection
) -> None:
    settings = replace(SETTINGS, raw_days=2, rollup_days=3)
    store = postgres_history(schema, settings)
    await store.open()
    try:
        batch = hourly("p", 6)
        await store.append(batch)
        now = DAY0 + 6 * DAY
        report = await store.apply_retention(now)

        assert report.raw_horizon == now - 2 * DAY
        assert report.dropped == (
            "samples_20260701",
            "samples_20260702",
            "samples_20260703",
            "samples_20260704",
        )
        assert await partitions(conn, schema) == [
            "samples_20260705",
            "samples_20260706",
            "samples_20260707",
        ]
        kept = [o for o in batch if o.ts >= now - 2 * DAY]
        assert await store.range("p", *EVER) == kept
        assert report.rollup_rows_deleted == 3 * 24 + 3
        assert (
            await conn.fetchval(f"SELECT min(bucket) FROM {schema}.rollup_hour") == DAY0 + 3 * DAY
        )
        # Day 4 has no raw samples left, but its rollups answer whole hours.
        day4 = await store.range("p", DAY0 + 3 * DAY, DAY0 + 4 * DAY, Aggregate.MAX, HOUR)
        assert len(day4) == 24

        # Old samples arriving again are not kept (nor counted twice in the rollups).
        hour_rows = await rollup_rows(conn, schema, "rollup_hour")
        assert await store.append(batch) == 0
        assert await rollup_rows(conn, schema, "rollup_hour") == hour_rows
        assert await partitions(conn, schema) == [
            "samples_20260705",
            "samples_20260706",
            "samples_20260707",
        ]
        late = Observation("p", now - timedelta(minutes=1), 1.5)
        assert await store.append([late]) == 1
    finally:
        await store.close()


async def test_two_processes_appending_the_same_days_keep_one_row_each(
    schema: str, conn: asyncpg.Connection
) -> None:
    first, second = postgres_history(schema), postgres_history(schema)
    await asyncio.gather(first.open(), second.open())
    try:
        mine = hourly("p", 3) + hourly("q", 2)
        theirs = hourly("p", 4)[100:] + hourly("r", 2)  # overlaps mine on p
        for _ in range(2):  # twice: both make the same partitions, then both replay
            new = await asyncio.gather(first.append(mine), second.append(theirs))
        unique = {(o.point, o.ts) for o in mine + theirs}
        assert await first.count() == len(unique)
        assert await conn.fetchval(f"SELECT sum(samples) FROM {schema}.rollup_hour") == len(unique)
        assert list(new) == [0, 0]
        assert (await second.latest(["p"]))["p"] == hourly("p", 4)[-1]
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_a_partition_dropped_by_hand_is_made_again(
    history: PostgresHistory, schema: str, conn: asyncpg.Connection
) -> None:
    await history.append(hourly("p", 1))
    await conn.execute(f"DROP TABLE {schema}.samples_20260701")
    later = [Observation("p", DAY0 + timedelta(hours=5, seconds=1), 7.0)]
    assert await history.append(later) == 1
    assert await history.range("p", *EVER) == later


async def test_schemas_in_one_database_do_not_meet(
    history: PostgresHistory, maker: SchemaMaker
) -> None:
    other_schema = await maker.take()
    other = postgres_history(other_schema)
    await other.open()
    try:
        await history.append(hourly("p", 1))
        assert await other.count() == 0
        assert await other.latest() == {}
        assert await other.append(hourly("p", 1)) == 72
    finally:
        await other.close()
        maker.drop(other_schema)


async def test_an_unreachable_server_is_a_clear_store_error() -> None:
    port = free_port()  # nothing listens there
    dsn = f"postgresql://penworks:s3cret@127.0.0.1:{port}/bms"
    store = PostgresHistory(dsn, schema="site_a", settings=SETTINGS)
    with pytest.raises(StoreError) as err:
        await store.open()
    message = str(err.value)
    assert f"cannot reach PostgreSQL at postgresql://penworks@127.0.0.1:{port}/bms" in message
    assert "schema site_a" in message
    assert "s3cret" not in message
    with pytest.raises(StoreError, match="not open"):
        await store.count()
