"""Hourly and daily rollups: per point and interval, a summary that long ranges read.

Each append merges its new rows into both tables in the same statement, so a rollup is
always the summary of exactly the samples stored. Sum, min and max cover numbers only;
kind_max tells whether the interval held a bool or a text (then avg/min/max refuse it, as
on raw data). first_* and last_* are whole samples, of any kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from penworks.store.postgres_codec import VALUE_COLUMNS, columns

HOUR_US: Final = 3_600_000_000
DAY_US: Final = 24 * HOUR_US


# date_bin floors only from an origin at or before the timestamp: no datetime is before
# year 1, and whole hours and days from there are whole hours and days from the epoch.
ORIGIN: Final = "timestamptz '0001-01-01 00:00:00+00'"


@dataclass(frozen=True, slots=True)
class Rollup:
    table: str
    interval: str  # as PostgreSQL writes the interval
    micros: int


HOURLY: Final = Rollup("rollup_hour", "1 hour", HOUR_US)
DAILY: Final = Rollup("rollup_day", "1 day", DAY_US)
ROLLUPS: Final = (HOURLY, DAILY)


def rollup_for(step: int) -> Rollup | None:
    """The coarsest rollup whose intervals tile a range interval of `step` µs exactly."""
    for rollup in (DAILY, HOURLY):
        if step % rollup.micros == 0:
            return rollup
    return None


def rollup_table(s: str, rollup: Rollup) -> str:
    ends = ",\n".join(
        f"{end}_ts timestamptz NOT NULL, "
        f"{end}_value_f double precision, {end}_value_i bigint, {end}_value_t text, "
        f"{end}_kind smallint NOT NULL, {end}_quality smallint NOT NULL"
        for end in ("first", "last")
    )
    return f"""CREATE TABLE {s}.{rollup.table} (
        point_id integer NOT NULL,
        bucket timestamptz NOT NULL,
        samples bigint NOT NULL,
        numbers bigint NOT NULL,
        total double precision NOT NULL,
        min_f double precision,
        min_i bigint,
        max_f double precision,
        max_i bigint,
        kind_max smallint NOT NULL,
        quality_max smallint NOT NULL,
        {ends},
        PRIMARY KEY (point_id, bucket)
    ) WITH (fillfactor = 70)"""


def _end_columns(end: str) -> str:
    return ", ".join(f"{end}_{c}" for c in ("ts", *VALUE_COLUMNS))


def _newer_wins(end: str, newer: str) -> str:
    """SET clauses keeping the first (or last) sample of the stored and the new summary."""
    clauses = [
        f"{end}_ts = {'least' if newer == '<' else 'greatest'}(r.{end}_ts, excluded.{end}_ts)"
    ]
    clauses += [
        f"{end}_{c} = CASE WHEN excluded.{end}_ts {newer} r.{end}_ts"
        f" THEN excluded.{end}_{c} ELSE r.{end}_{c} END"
        for c in VALUE_COLUMNS
    ]
    return ",\n            ".join(clauses)


def merge_cte(s: str, rollup: Rollup, fresh: str) -> str:
    """A WITH item that merges the rows of the CTE `fresh` into the rollup table.

    Rows are upserted in key order, as every writer does, so two writers never wait on
    each other in a circle.
    """
    sample = columns()
    return f"""{rollup.table} AS (
    INSERT INTO {s}.{rollup.table} AS r (point_id, bucket, samples, numbers, total,
        min_f, min_i, max_f, max_i, kind_max, quality_max,
        {_end_columns("first")}, {_end_columns("last")})
    SELECT g.point_id, g.bucket, g.samples, g.numbers, g.total,
        g.min_f, g.min_i, g.max_f, g.max_i, g.kind_max, g.quality_max,
        f.ts, {columns("f.")},
        l.ts, {columns("l.")}
    FROM (
        SELECT point_id,
            date_bin(interval '{rollup.interval}', ts, {ORIGIN}) AS bucket,
            count(*) AS samples,
            count(*) FILTER (WHERE kind = 0) AS numbers,
            coalesce(sum(coalesce(value_f, value_i)) FILTER (WHERE kind = 0), 0) AS total,
            min(value_f) AS min_f,
            min(value_i) FILTER (WHERE kind = 0) AS min_i,
            max(value_f) AS max_f,
            max(value_i) FILTER (WHERE kind = 0) AS max_i,
            max(kind) AS kind_max,
            max(quality) AS quality_max,
            min(ts) AS first_ts,
            max(ts) AS last_ts
        FROM {fresh} GROUP BY 1, 2
    ) AS g
    JOIN (SELECT point_id, ts, {sample} FROM {fresh}) AS f
        ON f.point_id = g.point_id AND f.ts = g.first_ts
    JOIN (SELECT point_id, ts, {sample} FROM {fresh}) AS l
        ON l.point_id = g.point_id AND l.ts = g.last_ts
    ORDER BY g.point_id, g.bucket
    ON CONFLICT (point_id, bucket) DO UPDATE SET
            samples = r.samples + excluded.samples,
            numbers = r.numbers + excluded.numbers,
            total = r.total + excluded.total,
            min_f = least(r.min_f, excluded.min_f),
            min_i = least(r.min_i, excluded.min_i),
            max_f = greatest(r.max_f, excluded.max_f),
            max_i = greatest(r.max_i, excluded.max_i),
            kind_max = greatest(r.kind_max, excluded.kind_max),
            quality_max = greatest(r.quality_max, excluded.quality_max),
            {_newer_wins("first", "<")},
            {_newer_wins("last", ">")}
)"""


def stats_sql(s: str, rollup: Rollup) -> str:
    """avg, min_f, min_i, max_f, max_i, kind_max, quality_max per range interval.

    $1 point id, $2 start, $3 end, $4 interval, $5 origin, $6 limit.
    """
    return f"""SELECT date_bin($4, bucket, $5) AS b,
        sum(total) / nullif(sum(numbers), 0), min(min_f), min(min_i), max(max_f), max(max_i),
        max(kind_max), max(quality_max)
    FROM {s}.{rollup.table}
    WHERE point_id = $1 AND bucket >= $2 AND bucket < $3
    GROUP BY b ORDER BY b LIMIT $6"""


def last_sql(s: str, rollup: Rollup) -> str:
    """The last sample of each range interval; parameters as stats_sql."""
    return f"""SELECT DISTINCT ON (b) b, {columns("last_")}
    FROM (
        SELECT date_bin($4, bucket, $5) AS b, * FROM {s}.{rollup.table}
        WHERE point_id = $1 AND bucket >= $2 AND bucket < $3
    ) AS r
    ORDER BY b, last_ts DESC LIMIT $6"""
