"""The people of the twin: plans per day, presence that follows moves, bookings, no-shows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ as TZ
from penworks.sim.people import CARPARK, LOBBY, OUTSIDE, Move, People, level_of

WEDNESDAY = datetime(2026, 7, 15, tzinfo=TZ)
SATURDAY = datetime(2026, 7, 18, tzinfo=TZ)


def run(people: People, start: datetime, hours: float, step_s: float = 30.0) -> list[Move]:
    moves: list[Move] = []
    for i in range(int(hours * 3600 / step_s) + 1):
        moves += people.advance(start + timedelta(seconds=i * step_s))
    return moves


def test_presence_is_the_sum_of_the_moves() -> None:
    people = People(15, TZ)
    moves = run(people, WEDNESDAY, 24)
    assert sum(people.count.values()) == len(people.where)
    assert all(n >= 0 for n in people.count.values())
    replay: dict[str, str] = {}
    for move in moves:
        assert replay.get(move.person, move.origin) == move.origin  # every move starts where
        replay[move.person] = move.to  # the previous one ended
    assert moves == sorted(moves)


def test_a_working_day_fills_the_building_and_a_night_empties_it() -> None:
    people = People(15, TZ)
    run(people, WEDNESDAY, 10.5)
    staff = sum(1 for p in people.persons if p.role == "staff")
    assert 0.7 * staff < people.inside() <= staff + 40  # most staff, a few visitors
    assert people.in_place("f3/r301") > 10
    run(people, WEDNESDAY + timedelta(hours=10.5), 13)
    assert people.inside() <= 3  # a guard, perhaps a cleaner
    assert people.in_place("f1/sec") == 1  # the security office is never left empty


def test_weekends_are_quiet() -> None:
    people = People(15, TZ)
    run(people, SATURDAY, 12)
    assert people.inside() < 15
    assert people.bookings(SATURDAY.date()) == []


def test_drivers_come_through_the_car_park_and_take_lifts() -> None:
    people = People(15, TZ)
    moves = run(people, WEDNESDAY, 12)
    by_car = [m for m in moves if m.by_car]
    assert by_car
    assert all(m.to == CARPARK and m.origin == OUTSIDE for m in by_car)
    drivers = {m.person for m in by_car}
    assert all(people.by_id[p].plate for p in drivers)
    lifts = [m for m in moves if m.lift]
    assert lifts
    assert all(level_of(m.origin) != level_of(m.to) for m in lifts)
    doors = Counter(m.door for m in moves if m.door is not None)
    assert doors["carpark"] == len(drivers)
    assert doors["f3"] > 10  # the tenant's floor door


def test_meetings_follow_the_bookings() -> None:
    people = People(15, TZ)
    bookings = people.bookings(WEDNESDAY.date())
    held = [b for b in bookings if not b.no_show and b.attendees]
    assert held
    booking = held[0]
    run(people, WEDNESDAY, (booking.start - WEDNESDAY).total_seconds() / 3600 + 0.1)
    assert people.in_place(booking.room) > 0


def test_a_no_show_keeps_the_room_empty() -> None:
    people = People(15, TZ)
    run(people, WEDNESDAY, 7)
    room = "f3/m301"
    cancelled = people.no_show(room, WEDNESDAY + timedelta(hours=7))
    assert cancelled is not None
    assert cancelled.no_show
    assert cancelled.attendees  # people were expected
    hours = (cancelled.start - WEDNESDAY).total_seconds() / 3600 + 0.1
    run(people, WEDNESDAY + timedelta(hours=7), hours - 7)
    assert people.in_place(room) == 0  # bookings of a room never overlap: nobody is there
    assert cancelled in people.bookings(WEDNESDAY.date())


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_seed_gives_the_same_day(seed: int) -> None:
    a, b, c = People(seed, TZ), People(seed, TZ), People(seed + 10, TZ)
    assert run(a, WEDNESDAY, 12) == run(b, WEDNESDAY, 12)
    assert run(c, WEDNESDAY, 12) != run(People(seed, TZ), WEDNESDAY, 12)


def test_starting_mid_day_places_everyone_without_moves() -> None:
    people = People(15, TZ)
    first = people.advance(WEDNESDAY + timedelta(hours=11))
    assert first == []
    walked = People(15, TZ)
    run(walked, WEDNESDAY, 11)
    assert people.count == walked.count
    assert people.in_place(LOBBY) == walked.in_place(LOBBY)


def test_visitors_come_and_go_through_the_main_entrance() -> None:
    people = People(15, TZ)
    moves = run(people, WEDNESDAY, 24)
    visitors = [m for m in moves if m.person.startswith("v")]
    assert visitors
    arrivals = [m for m in visitors if m.origin == OUTSIDE]
    assert all(m.entrance == "main" for m in arrivals)
    last = {m.person: m for m in visitors}  # each visitor's last move of the day
    assert {(m.to, m.entrance) for m in last.values()} == {(OUTSIDE, "main")}
    assert not [p for p in people.where if p.startswith("v")]  # forgotten the next day
