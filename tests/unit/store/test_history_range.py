"""History.range: raw rows within bounds, and aggregates per epoch-aligned interval."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from penworks.core import Observation, Quality, StoreError, Value
from penworks.store import Aggregate, History

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)


def regular(point: str, count: int) -> list[Observation]:
    return [Observation(point, T0 + i * STEP, i * 0.5) for i in range(count)]


def irregular(
    point: str, count: int, start: datetime, seed: int = 7, most_s: int = 90
) -> list[Observation]:
    """Uneven timestamps (1 to most_s seconds apart), ints and floats mixed, every quality."""
    rng = random.Random(seed)
    ts, series = start, []
    for _ in range(count):
        ts += timedelta(seconds=rng.randint(1, most_s), microseconds=rng.randint(0, 999_999))
        value: float = rng.randint(-50, 50) if rng.random() < 0.5 else rng.uniform(-50, 50)
        series.append(Observation(point, ts, value, rng.choice(list(Quality))))
    return series


def bucket_of(ts: datetime, interval: timedelta) -> datetime:
    return EPOCH + ((ts - EPOCH) // interval) * interval


def expected_buckets(
    series: list[Observation],
    interval: timedelta,
    summary: Callable[[list[Observation]], tuple[Value, Quality]],
) -> list[Observation]:
    groups: dict[datetime, list[Observation]] = {}
    for obs in sorted(series, key=lambda o: o.ts):
        groups.setdefault(bucket_of(obs.ts, interval), []).append(obs)
    return [
        Observation(series[0].point, start, *summary(group))
        for start, group in sorted(groups.items())
    ]


def worst(group: list[Observation]) -> Quality:
    return max(o.quality for o in group)


REFERENCE: dict[Aggregate, Callable[[list[Observation]], tuple[Value, Quality]]] = {
    Aggregate.AVG: lambda g: (statistics.fmean(float(o.value) for o in g), worst(g)),
    Aggregate.MIN: lambda g: (min((o.value for o in g), key=float), worst(g)),
    Aggregate.MAX: lambda g: (max((o.value for o in g), key=float), worst(g)),
    Aggregate.LAST: lambda g: (g[-1].value, g[-1].quality),
}


async def test_raw_start_is_inclusive_and_end_exclusive(history: History) -> None:
    stored = regular("p", 20)
    await history.append(stored + regular("other", 20))
    start, end = stored[5].ts, stored[12].ts
    got = await history.range("p", start, end)
    assert got == [o for o in stored if start <= o.ts < end]
    assert got[0].ts == start
    assert got[-1].ts < end


async def test_raw_rows_come_oldest_first_and_stop_at_the_limit(history: History) -> None:
    stored = regular("p", 30)
    await history.append(list(reversed(stored)))
    everything = (stored[0].ts, stored[-1].ts + STEP)
    assert await history.range("p", *everything) == stored
    assert await history.range("p", *everything, limit=7) == stored[:7]


async def test_an_empty_or_reversed_span_gives_nothing(history: History) -> None:
    await history.append(regular("p", 5))
    assert await history.range("p", T0, T0) == []
    assert await history.range("p", T0 + STEP, T0, Aggregate.AVG, STEP) == []


async def test_an_unknown_point_has_no_history(history: History) -> None:
    assert await history.range("nowhere", T0, T0 + STEP) == []
    assert await history.count("nowhere") == 0


AGGREGATES = [Aggregate.AVG, Aggregate.MIN, Aggregate.MAX, Aggregate.LAST]


def assert_buckets(got: list[Observation], expected: list[Observation], agg: Aggregate) -> None:
    assert [o.ts for o in got] == [o.ts for o in expected], agg
    assert [o.quality for o in got] == [o.quality for o in expected], agg
    if agg is Aggregate.AVG:
        assert [o.value for o in got] == pytest.approx([o.value for o in expected])
    else:  # min, max and last are stored values: exact, and of the stored type
        assert [(o.value, type(o.value)) for o in got] == [
            (o.value, type(o.value)) for o in expected
        ], agg


async def test_aggregates_match_the_series(history: History) -> None:
    stored = irregular("p", 400, T0)
    await history.append(stored + irregular("other", 50, T0, seed=3))
    # A start that is not on an interval boundary: buckets still align to the epoch.
    start, end = stored[10].ts, stored[-10].ts
    inside = [o for o in stored if start <= o.ts < end]
    for interval in [timedelta(minutes=5), timedelta(seconds=37)]:
        for agg in AGGREGATES:
            got = await history.range("p", start, end, agg, interval)
            assert_buckets(got, expected_buckets(inside, interval, REFERENCE[agg]), agg)


async def test_aggregates_over_whole_hours_and_days_match_the_series(history: History) -> None:
    """Long intervals, over days, with ends on and off interval boundaries."""
    stored = irregular("p", 300, T0, most_s=1_800)  # about three days
    await history.append(stored + irregular("other", 50, T0, seed=3, most_s=1_800))
    day = timedelta(days=1)
    on_days = (bucket_of(stored[0].ts, day), bucket_of(stored[-1].ts, day) + day)
    off_days = (stored[20].ts, stored[-20].ts)
    for start, end in (on_days, off_days):
        inside = [o for o in stored if start <= o.ts < end]
        for interval in [timedelta(hours=1), timedelta(hours=3), day]:
            for agg in AGGREGATES:
                got = await history.range("p", start, end, agg, interval)
                assert_buckets(got, expected_buckets(inside, interval, REFERENCE[agg]), agg)
        limited = await history.range("p", start, end, Aggregate.MAX, timedelta(hours=1), limit=5)
        expected = expected_buckets(inside, timedelta(hours=1), REFERENCE[Aggregate.MAX])
        assert limited == expected[:5]


async def test_aggregate_buckets_before_1970_are_floored(history: History) -> None:
    stored = irregular("p", 100, datetime(1969, 12, 31, 23, 0, tzinfo=UTC))
    await history.append(stored)
    interval = timedelta(minutes=10)
    got = await history.range("p", stored[0].ts, stored[-1].ts + STEP, Aggregate.MIN, interval)
    assert got == expected_buckets(stored, interval, REFERENCE[Aggregate.MIN])


async def test_aggregates_stop_at_the_limit(history: History) -> None:
    stored = regular("p", 60)
    await history.append(stored)
    interval = timedelta(minutes=10)
    got = await history.range("p", T0, T0 + 60 * STEP, Aggregate.MAX, interval, limit=2)
    assert got == expected_buckets(stored, interval, REFERENCE[Aggregate.MAX])[:2]


async def test_last_works_for_bools_and_texts(history: History) -> None:
    flags = [Observation("flag", T0 + i * STEP, i % 3 == 0) for i in range(12)]
    modes = [Observation("mode", T0 + i * STEP, f"mode-{i}") for i in range(12)]
    await history.append(flags + modes)
    interval = timedelta(minutes=5)
    for series in (flags, modes):
        got = await history.range(series[0].point, T0, T0 + 12 * STEP, Aggregate.LAST, interval)
        assert got == expected_buckets(series, interval, REFERENCE[Aggregate.LAST])
        assert {type(o.value) for o in got} == {type(series[0].value)}


async def test_numeric_aggregates_refuse_non_numbers(history: History) -> None:
    await history.append([Observation("flag", T0, True), Observation("mode", T0, "auto")])
    for agg in [Aggregate.AVG, Aggregate.MIN, Aggregate.MAX]:
        for point, kind in [("flag", "bool"), ("mode", "text")]:
            with pytest.raises(StoreError, match=f"{agg.value} needs numbers.*{point}.*{kind}"):
                await history.range(point, T0, T0 + STEP, agg, STEP)


async def test_numeric_aggregates_refuse_a_history_that_was_once_text(
    history: History,
) -> None:
    await history.append([Observation("p", T0, "broken"), Observation("p", T0 + STEP, 1.0)])
    with pytest.raises(StoreError, match="needs numbers"):
        await history.range("p", T0, T0 + 2 * STEP, Aggregate.AVG, 2 * STEP)


BAD_REQUESTS: list[tuple[Aggregate | str, timedelta | None, int, str]] = [
    (Aggregate.AVG, None, 10, "needs an interval"),
    (Aggregate.LAST, timedelta(0), 10, "interval must be"),
    (Aggregate.MIN, timedelta(seconds=-5), 10, "interval must be"),
    (Aggregate.MAX, timedelta(days=10**8), 10, "interval must be"),
    (Aggregate.RAW, None, 0, "limit must be"),
    ("median", STEP, 10, "unknown aggregate"),
]


async def test_bad_range_requests_are_refused(history: History) -> None:
    await history.append(regular("p", 5))
    for agg, interval, limit, message in BAD_REQUESTS:
        with pytest.raises(StoreError, match=message):
            await history.range("p", T0, T0 + STEP, agg, interval, limit)  # type: ignore[arg-type]


async def test_naive_range_bounds_are_refused(history: History) -> None:
    naive = datetime(2026, 7, 1)  # noqa: DTZ001 - on purpose
    with pytest.raises(StoreError, match="timezone-aware"):
        await history.range("p", naive, T0)
