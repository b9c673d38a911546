"""Meeting rooms: panels show the bookings, check in on arrival, release no-shows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.people import Booking
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.meeting import DISPLAY_OFF_AFTER_S, RELEASE_AFTER_S, Meeting
from penworks.sim.systems.spaces_common import hhmm
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, at


def meeting_day(hour: float = 7.0) -> Building:
    return Building(at(WEDNESDAY, hour), [Meeting(SEED)], seed=SEED)


def device(building: Building, kind: str, room: str) -> dict[str, object]:
    floor, space = room.split("/")
    return dict(building.device(f"{kind}_{floor}_{space}").values)


def afternoon_booking(building: Building) -> Booking:
    """A booking after lunch that people will attend (not a planned no-show)."""
    return next(
        b
        for b in building.people.bookings(WEDNESDAY.date())
        if b.start.hour >= 14 and not b.no_show and len(b.attendees) >= 2
    )


def test_a_booking_checks_in_when_its_people_arrive_and_wakes_the_display() -> None:
    building = meeting_day()
    booking = afternoon_booking(building)
    building.advance_to(booking.start - timedelta(minutes=20))
    panel = device(building, "panel", booking.room)
    assert panel["status"] == "free"
    assert panel["free_until"] == hhmm(booking.start)
    assert panel["title"] == booking.title
    building.advance_to(booking.start + timedelta(minutes=5))
    panel = device(building, "panel", booking.room)
    assert (panel["status"], panel["booked"], panel["checked_in"]) == ("in_use", True, True)
    assert (panel["start"], panel["end"]) == (hhmm(booking.start), hhmm(booking.end))
    assert panel["organizer"] == building.people.by_id[booking.organizer].tenant
    presence = device(building, "presence", booking.room)
    assert presence["present"] is True
    assert int(presence["count"]) >= 1  # type: ignore[call-overload]
    display = device(building, "display", booking.room)
    assert (display["power"], display["in_use"]) == (True, True)
    assert display["input"] in ("hdmi1", "hdmi2", "wireless")


def test_a_no_show_releases_the_booking_15_minutes_after_its_start() -> None:
    building = meeting_day()
    booking = afternoon_booking(building)
    building.inject(ScenarioKind.MEETING_NO_SHOW, booking.room, booking.start - timedelta(hours=1))
    building.advance_to(booking.start + timedelta(minutes=5))
    marked = [b for b in building.people.bookings(WEDNESDAY.date()) if b.start == booking.start]
    assert [(b.room, b.no_show) for b in marked if b.room == booking.room] == [(booking.room, True)]
    panel = device(building, "panel", booking.room)
    assert (panel["status"], panel["booked"], panel["checked_in"]) == ("booked", True, False)
    assert device(building, "presence", booking.room)["count"] == 0
    building.advance_to(booking.start + timedelta(seconds=RELEASE_AFTER_S + 60))
    panel = device(building, "panel", booking.room)
    assert (panel["status"], panel["booked"], panel["checked_in"]) == ("released", False, False)
    assert panel["title"] == booking.title
    assert panel["free_until"] != ""
    assert device(building, "display", booking.room)["power"] is False
    building.advance_to(booking.end + timedelta(minutes=1))
    assert device(building, "panel", booking.room)["status"] != "released"


def test_the_display_sleeps_once_the_room_has_been_empty_a_while() -> None:
    building = meeting_day()
    booking = afternoon_booking(building)
    building.advance_to(booking.start + timedelta(minutes=5))
    assert device(building, "display", booking.room)["power"] is True
    emptied: datetime | None = None
    while building.now < (booking.end + timedelta(hours=2)).astimezone(building.now.tzinfo):
        building.advance_to(building.now + timedelta(seconds=30))
        if building.people.in_place(booking.room) == 0:
            emptied = emptied or building.now
            if (building.now - emptied).total_seconds() > DISPLAY_OFF_AFTER_S + 30:
                assert device(building, "display", booking.room)["power"] is False
                return
        else:
            emptied = None
    pytest.fail("the room never stayed empty")


def test_a_day_of_panels_only_shows_todays_bookings_in_order() -> None:
    building = meeting_day(0.0)
    for hour in range(7, 20):
        building.advance_to(at(WEDNESDAY, hour))
        for room in building.people.meeting_rooms():
            panel = device(building, "panel", room)
            if panel["status"] in ("free", "released"):
                assert panel["free_until"] != ""
            if panel["next"]:
                assert str(panel["next"]) > str(panel["start"])


def test_the_platform_checks_in_and_ends_a_meeting() -> None:
    building = meeting_day()
    booking = afternoon_booking(building)
    building.advance_to(booking.start - timedelta(minutes=8))  # due, nobody there yet
    panel = building.device(f"panel_{booking.room.replace('/', '_')}")
    panel.write("checked_in", True)
    building.advance_to(building.now + timedelta(seconds=30))
    assert panel.get("status") == "in_use"
    panel.write("checked_in", False)
    building.advance_to(building.now + timedelta(seconds=30))
    assert panel.get("status") == "released"


@pytest.mark.parametrize(
    ("kind", "key", "value", "refusal"),
    [
        ("display", "input", "vga", Refusal.OUT_OF_RANGE),
        ("display", "power", "on", Refusal.WRONG_TYPE),
        ("display", "in_use", True, Refusal.READ_ONLY),
        ("panel", "checked_in", True, Refusal.OUT_OF_RANGE),  # nothing due at 07:00
        ("panel", "status", "in_use", Refusal.READ_ONLY),
        ("presence", "count", 3, Refusal.READ_ONLY),
    ],
)
def test_room_devices_refuse_what_real_ones_would(
    kind: str, key: str, value: object, refusal: Refusal
) -> None:
    building = meeting_day()
    target = building.device(f"{kind}_f3_m301")
    with pytest.raises(Refused) as refused:
        target.write(key, value)  # type: ignore[arg-type]
    assert refused.value.refusal is refusal


def test_the_display_takes_its_inputs() -> None:
    building = meeting_day()
    display = building.device("display_f3_m301")
    display.write("power", True)
    display.write("input", "wireless")
    building.advance_to(building.now + timedelta(seconds=30))
    assert (display.get("power"), display.get("input"), display.get("power_w")) == (
        True,
        "wireless",
        165.0,
    )
