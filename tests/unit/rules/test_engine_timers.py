"""When `every` and `at` fire next, and the timer heap's order."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from penworks.rules.timers import TimerHeap, next_at, next_every, parse_time_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_every_is_aligned_to_multiples_of_its_period() -> None:
    now = datetime(2026, 3, 2, 1, 7, 30, tzinfo=UTC)
    assert next_every(now, timedelta(minutes=5)) == now.replace(minute=10, second=0)
    on_the_dot = now.replace(minute=10, second=0)
    assert next_every(on_the_dot, timedelta(minutes=5)) == now.replace(minute=15, second=0)
    assert next_every(now, timedelta(hours=1)) == now.replace(hour=2, minute=0, second=0)


def test_at_is_a_local_time_of_day() -> None:
    times = (parse_time_of_day("07:30"), parse_time_of_day("18:00:15"))
    assert times == (time(7, 30), time(18, 0, 15))
    morning = datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI)
    assert next_at(morning, times, SHANGHAI) == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    evening = datetime(2026, 3, 2, 18, 0, 15, tzinfo=SHANGHAI)  # exactly at: the next one
    assert next_at(evening, times, SHANGHAI) == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def test_at_over_a_daylight_saving_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)
    due = next_at(before, (time(2, 30),), berlin)  # 02:30 does not exist on 29 March
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(berlin).hour == 3


def test_the_heap_pops_due_timers_in_order_and_says_when_the_head_changes() -> None:
    heap: TimerHeap[str] = TimerHeap()
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    assert heap.push(t0 + timedelta(seconds=10), "b")
    assert not heap.push(t0 + timedelta(seconds=20), "c")
    assert heap.push(t0 + timedelta(seconds=5), "a")
    assert not heap.push(t0 + timedelta(seconds=5), "a2")  # equal times keep push order
    assert heap.next_due() == t0 + timedelta(seconds=5)
    assert [t for _, t in heap.pop_due(t0 + timedelta(seconds=10))] == ["a", "a2", "b"]
    assert len(heap) == 1
    assert heap.pop_due(t0) == []
