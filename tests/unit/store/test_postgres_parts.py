"""The parts of PostgresHistory that need no server: settings, codec, range plans, layout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from penworks.core import Observation, Quality, StoreError, Value
from penworks.store import Aggregate, History, PostgresHistory, PostgresSettings
from penworks.store.codec import to_micros
from penworks.store.postgres_codec import decode_columns, encode_samples, value_columns
from penworks.store.postgres_partitions import NativePartitions, partitioning
from penworks.store.postgres_read import plan
from penworks.store.postgres_rollups import DAILY, HOURLY, rollup_for
from penworks.store.postgres_schema import Layout
from penworks.store.postgres_settings import checked_schema, redacted
from penworks.store.postgres_timescale import (
    Hypertable,
    enable_timescale,
    hypertable_statements,
    timescale_available,
)
from penworks.store.range_query import RangeQuery

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class FakeConnection:
    """Answers the extension query as told, and records what is executed."""

    def __init__(self, available: bool, refuse: bool = False) -> None:
        self.available = available
        self.refuse = refuse
        self.executed: list[str] = []

    async def fetchval(self, sql: str) -> bool:
        assert "pg_available_extensions" in sql
        return self.available

    async def execute(self, sql: str) -> None:
        if self.refuse:
            raise asyncpg.exceptions.FeatureNotSupportedError("must be preloaded")
        self.executed.append(sql)

    def transaction(self) -> Any:
        return _NoTransaction()


class _NoTransaction:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_timescale_is_used_only_when_the_server_has_it_and_loads_it() -> None:
    absent = FakeConnection(available=False)
    assert not await timescale_available(absent)
    assert not await enable_timescale(absent)
    assert absent.executed == []

    present = FakeConnection(available=True)
    assert await timescale_available(present)
    assert await enable_timescale(present)
    assert present.executed == ["CREATE EXTENSION IF NOT EXISTS timescaledb"]

    # Installed but not loadable (not preloaded, no right): native partitions instead.
    assert not await enable_timescale(FakeConnection(available=True, refuse=True))


def test_each_layout_has_its_own_partitioning() -> None:
    assert isinstance(partitioning(Layout.NATIVE, "site_a", 1), NativePartitions)
    assert isinstance(partitioning(Layout.TIMESCALE, "site_a", 1), Hypertable)
    [hypertable] = hypertable_statements("site_a", 7)
    assert "create_hypertable('site_a.samples', 'ts'" in hypertable
    assert "interval '7 days'" in hypertable


def test_settings_are_checked_when_made() -> None:
    wrong_settings: list[tuple[dict[str, Any], str]] = [
        ({"pool_min": 0}, "pool sizes"),
        ({"pool_min": 5, "pool_max": 4}, "pool sizes"),
        ({"batch_rows": 0}, "batch_rows"),
        ({"raw_days": 0}, "raw_days"),
        ({"raw_days": 400, "rollup_days": 30}, "rollup_days .* must be at least raw_days"),
        ({"command_timeout_s": 0}, "timeouts"),
    ]
    for wrong, message in wrong_settings:
        with pytest.raises(StoreError, match=message):
            PostgresSettings(**wrong)


def test_postgres_history_is_a_history_that_connects_only_on_open() -> None:
    store: History = PostgresHistory("postgresql://nobody@192.0.2.1:1/none")  # checked by mypy
    assert isinstance(store, PostgresHistory)


def test_schema_names_are_plain_lower_case_identifiers() -> None:
    assert checked_schema("site_b15") == "site_b15"
    for wrong in ["Penworks", "1site", "a-b", "x; DROP TABLE y", "", "s" * 64]:
        with pytest.raises(StoreError, match="schema name"):
            PostgresHistory(schema=wrong)


def test_messages_never_show_a_password() -> None:
    assert redacted("postgresql://ops:s3cret@db.local:5433/bms?password=x&sslmode=require") == (
        "postgresql://ops@db.local:5433/bms"
    )
    assert redacted("postgresql://[::1]:5432/postgres") == "postgresql://[::1]:5432/postgres"


def test_each_value_goes_to_the_column_of_its_type_and_comes_back() -> None:
    assert value_columns(21, 0) == (None, 21, None)
    assert value_columns(21.0, 0) == (21.0, None, None)
    assert value_columns(1, 1) == (None, 1, None)  # a bool, as the shared codec keeps it
    assert value_columns("21", 2) == (None, None, "21")
    values: list[Value] = [21, 21.0, True, False, "21", ""]
    for value in values:
        [(_, _, ts, columns, kind, quality)] = encode_samples([Observation("p", T0, value)])
        back = decode_columns("p", ts, *columns, kind, quality)
        assert (back.value, type(back.value)) == (value, type(value))


def test_the_first_of_equal_point_and_time_is_kept() -> None:
    batch = [
        Observation("p", T0, 1.0),
        Observation("p", T0, 2.0, Quality.BAD),
        Observation("q", T0, 3.0),
    ]
    kept = encode_samples(batch)
    assert [(name, columns[0]) for name, _, _, columns, _, _ in kept] == [("p", 1.0), ("q", 3.0)]


def query(start: datetime, end: datetime, interval: timedelta) -> RangeQuery:
    return RangeQuery.build("p", start, end, Aggregate.AVG, interval, 100)


def spans(q: RangeQuery) -> list[tuple[str, datetime, datetime]]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return [
        (
            "raw" if piece.rollup is None else piece.rollup.table,
            epoch + timedelta(microseconds=piece.start),
            epoch + timedelta(microseconds=piece.end),
        )
        for piece in plan(q)
    ]


def test_whole_intervals_come_from_rollups_and_the_partial_ends_from_raw() -> None:
    day = T0.replace(hour=0)
    assert rollup_for(to_micros(day + timedelta(days=2)) - to_micros(day)) is DAILY
    assert rollup_for(3 * 3_600_000_000) is HOURLY
    assert rollup_for(90 * 60_000_000) is None

    aligned = query(day, day + timedelta(days=3), timedelta(days=1))
    assert spans(aligned) == [("rollup_day", day, day + timedelta(days=3))]

    start, end = day + timedelta(minutes=30), day + timedelta(days=2, hours=5)
    assert spans(query(start, end, 3 * HOUR)) == [
        ("raw", start, day + 3 * HOUR),
        ("rollup_hour", day + 3 * HOUR, day + timedelta(days=2, hours=3)),
        ("raw", day + timedelta(days=2, hours=3), end),
    ]
    # Within one interval, or an interval that is not whole hours: raw only.
    assert spans(query(start, start + HOUR, 2 * HOUR)) == [("raw", start, start + HOUR)]
    assert spans(query(day, end, timedelta(minutes=90))) == [("raw", day, end)]
