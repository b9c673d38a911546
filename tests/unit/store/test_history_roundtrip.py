"""Every History: what goes in comes back, once, and survives closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from penworks.core import DeadLetter, InvalidObservation, Observation, Quality, StoreError, Value
from penworks.store import History
from tests.unit.store.conftest import NewHistory

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
ALL_TIME = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))

VALUES: list[Value] = [21, -(2**63), 2**63 - 1, 21.5, 2.0, 0.0, True, False, "on", "123", "1.0", ""]


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def series(point: str, count: int, start: datetime = T0) -> list[Observation]:
    return [Observation(point, start + minutes(i), float(i)) for i in range(count)]


async def test_values_and_qualities_come_back_with_their_type(history: History) -> None:
    qualities = list(Quality)
    sent = [
        Observation(f"b15.p{i}", T0 + minutes(i), value, qualities[i % len(qualities)])
        for i, value in enumerate(VALUES)
    ]
    assert await history.append(sent) == len(sent)

    latest = await history.latest()
    for obs in sent:
        back = latest[obs.point]
        assert back == obs
        assert type(back.value) is type(obs.value)
        assert back.ts.tzinfo is UTC
        [raw] = await history.range(obs.point, *ALL_TIME)
        assert (raw, type(raw.value)) == (obs, type(obs.value))


async def test_timestamps_keep_microseconds_and_come_back_in_utc(history: History) -> None:
    local = timezone(timedelta(hours=8))
    ts = datetime(2026, 7, 1, 16, 30, 5, 123_456, tzinfo=local)
    await history.append([Observation("p", ts, 1.0)])
    [back] = await history.range("p", *ALL_TIME)
    assert back.ts == ts
    assert back.ts.tzinfo is UTC
    assert back.ts.microsecond == ts.microsecond


async def test_replaying_a_batch_adds_nothing(history: History) -> None:
    assert await history.append([]) == 0
    batch = series("p", 50) + series("q", 20)
    assert await history.append(batch) == len(batch)
    assert await history.append(batch) == 0
    assert await history.count() == len(batch)

    overlapping = series("p", 80)
    assert await history.append(overlapping) == len(overlapping) - 50
    assert await history.count("p") == len(overlapping)


async def test_a_replay_with_another_value_keeps_the_first(history: History) -> None:
    first = Observation("p", T0, 1.0)
    await history.append([first])
    await history.append([Observation("p", T0, 99.0, Quality.BAD)])
    assert await history.range("p", *ALL_TIME) == [first]
    assert (await history.latest())["p"] == first


async def test_latest_is_the_greatest_timestamp_whatever_the_arrival_order(
    history: History,
) -> None:
    newest = Observation("p", T0 + minutes(10), 10.0)
    await history.append([newest])
    late = series("p", 10)  # all older than newest, arriving after it
    await history.append(late)
    assert (await history.latest())["p"] == newest

    shuffled = [late[3], Observation("q", T0 + minutes(5), 5), late[7], Observation("q", T0, 0)]
    await history.append(shuffled)
    assert (await history.latest())["q"].value == 5
    stored = await history.range("p", *ALL_TIME)
    assert [o.ts for o in stored] == sorted(o.ts for o in [*late, newest])


async def test_latest_for_chosen_points_skips_unknown_ones(history: History) -> None:
    await history.append(series("a", 3) + series("b", 4) + series("c", 5))
    chosen = await history.latest(["a", "c", "nowhere"])
    assert set(chosen) == {"a", "c"}
    assert chosen["c"].value == float(5 - 1)
    assert await history.latest([]) == {}


async def test_latest_for_more_points_than_one_query_binds(history: History) -> None:
    names = [f"b15.p{i}" for i in range(1_200)]
    await history.append([Observation(name, T0, i) for i, name in enumerate(names)])
    latest = await history.latest(names)
    assert [latest[name].value for name in names] == list(range(len(names)))


async def test_everything_survives_close_and_reopen(new_history: NewHistory) -> None:
    letter = DeadLetter("mqtt", "b15/x", T0, "not json", b"\x00\xff")
    first = new_history()
    await first.open()
    await first.append(series("p", 30) + series("q", 10))
    await first.append_dead_letters([letter])
    before = (await first.latest(), await first.count(), await first.dead_letter_counts())
    await first.close()

    again = new_history()
    await again.open()
    try:
        assert (await again.latest(), await again.count(), await again.dead_letter_counts()) == (
            before
        )
        assert await again.dead_letters() == [letter]
        # Known and new points both append after a reopen.
        assert await again.append(series("p", 31) + series("r", 2)) == 1 + 2
        assert await again.count("p") == 31
    finally:
        await again.close()


async def test_the_same_instance_can_be_reopened(history: History) -> None:
    await history.append(series("p", 3))
    await history.close()
    await history.open()
    assert await history.count() == 3


async def test_a_bad_observation_rejects_the_batch_and_writes_nothing(
    history: History,
) -> None:
    naive = Observation("p", datetime(2026, 7, 1, 8, 0), 1.0)  # noqa: DTZ001 - on purpose
    batch = [*series("p", 5), naive, *series("q", 5)]
    with pytest.raises(InvalidObservation, match=r"observation 5 of 11 .*timezone-aware") as err:
        await history.append(batch)
    assert err.value.index == 5
    assert await history.count() == 0
    assert await history.latest() == {}


REFUSED_VALUES: list[tuple[object, str]] = [
    (float("nan"), "finite"),
    (float("inf"), "finite"),
    (2**63, "64 bits"),
    (b"x", "bytes"),
    ("on\x00off", "NUL"),
    ("\ud800", "not valid Unicode"),
]


async def test_values_no_backend_can_keep_exactly_are_refused(history: History) -> None:
    for value, message in REFUSED_VALUES:
        with pytest.raises(InvalidObservation, match=message):
            await history.append([Observation("p", T0, value)])  # type: ignore[arg-type]
    assert await history.count() == 0


async def test_use_after_close_is_an_error(history: History) -> None:
    await history.close()
    with pytest.raises(StoreError, match="not open"):
        await history.append(series("p", 1))
    with pytest.raises(StoreError, match="not open"):
        await history.latest()
    await history.close()  # closing twice is harmless


async def test_opening_twice_is_an_error(history: History) -> None:
    with pytest.raises(StoreError, match="already open"):
        await history.open()


async def test_a_point_id_every_backend_cannot_keep_is_refused(history: History) -> None:
    batch = [*series("p", 2), Observation("b15\x00p", T0, 1.0)]
    with pytest.raises(InvalidObservation, match=r"observation 2 of 3 .*NUL") as err:
        await history.append(batch)
    assert err.value.index == 2
    assert await history.count() == 0
