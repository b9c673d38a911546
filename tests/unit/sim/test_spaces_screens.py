"""Screens: the hall's media and the lobby screen follow the opening hours and the platform."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems.screens import Screens
from penworks.sim.world import World
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, Probe, at

SATURDAY = datetime(2026, 7, 18, tzinfo=SITE_TZ)
NAMES = (
    "screen_f1_lobby",
    "projector1_f1_hall",
    "projector2_f1_hall",
    "videowall_f1_hall",
    "audio_f1_hall",
)


def screens_from(start: datetime, loads: list[float] | None = None) -> Building:
    systems: list[Screens | Probe] = [Screens(SEED)]
    if loads is not None:
        systems.append(Probe(lambda world: _plug_f1(world, loads)))
    return Building(start, systems, seed=SEED)


def _plug_f1(world: World, loads: list[float]) -> None:
    loads.append(sum(x.kw for x in world.power.loads if (x.system, x.floor) == ("plug", "f1")))


def powers(building: Building) -> list[object]:
    return [building.device(n).get("power") for n in NAMES]


def test_the_media_come_on_when_the_hall_opens_and_go_off_when_it_closes() -> None:
    building = screens_from(WEDNESDAY)
    projector = building.device("projector1_f1_hall")
    building.advance_to(at(WEDNESDAY, 8.9))
    assert powers(building) == [False] * 5
    assert projector.get("status") == "standby"
    hours = float(projector.get("lamp_hours"))
    building.advance_to(at(WEDNESDAY, 9.0))
    assert powers(building) == [True] * 5
    assert projector.get("status") == "warming"
    building.advance_to(at(WEDNESDAY, 9.05))
    assert projector.get("status") == "on"
    assert building.device("audio_f1_hall").get("status") == "playing"
    building.advance_to(at(WEDNESDAY, 18.01))
    assert powers(building) == [False] * 5
    assert projector.get("status") == "cooling"
    building.advance_to(at(WEDNESDAY, 18.1))
    assert projector.get("status") == "standby"
    assert float(projector.get("lamp_hours")) == pytest.approx(hours + 9, abs=0.05)


def test_they_stay_off_on_a_saturday() -> None:
    building = screens_from(SATURDAY)
    for hour in (9.5, 12, 17):
        building.advance_to(at(SATURDAY, hour))
        assert powers(building) == [False] * 5


def test_a_written_power_holds_until_the_schedule_switches_again() -> None:
    building = screens_from(WEDNESDAY)
    wall = building.device("videowall_f1_hall")
    building.advance_to(at(WEDNESDAY, 12))
    wall.write("power", False)
    building.advance_to(at(WEDNESDAY, 17.9))
    assert (wall.get("power"), wall.get("status")) == (False, "standby")
    building.advance_to(at(WEDNESDAY, 20))
    wall.write("power", True)  # an evening event
    building.advance_to(at(WEDNESDAY, 22))
    assert (wall.get("power"), wall.get("status")) == (True, "on")
    building.advance_to(at(WEDNESDAY, 33.5))  # the next morning's opening
    assert wall.get("power") is True


def test_the_media_draw_on_the_ground_floor_plug_circuit() -> None:
    loads: list[float] = []
    building = screens_from(WEDNESDAY + timedelta(hours=8), loads)
    building.advance_to(at(WEDNESDAY, 8.5))
    night = loads[-1]
    building.advance_to(at(WEDNESDAY, 12))
    day = loads[-1]
    watts = sum(float(building.device(n).get("power_w")) for n in NAMES)
    assert day == pytest.approx(watts / 1000)
    assert night < 0.02 < 2.5 < day
    audio = building.device("audio_f1_hall")
    audio.write("volume", 80)
    building.advance_to(at(WEDNESDAY, 12.01))
    assert loads[-1] > day


@pytest.mark.parametrize(
    ("name", "key", "value", "refusal"),
    [
        ("audio_f1_hall", "volume", 150, Refusal.OUT_OF_RANGE),
        ("audio_f1_hall", "volume", -1, Refusal.OUT_OF_RANGE),
        ("screen_f1_lobby", "content", "", Refusal.OUT_OF_RANGE),
        ("screen_f1_lobby", "content", "x" * 65, Refusal.OUT_OF_RANGE),
        ("projector1_f1_hall", "power", "on", Refusal.WRONG_TYPE),
        ("projector1_f1_hall", "lamp_hours", 0, Refusal.READ_ONLY),
        ("videowall_f1_hall", "status", "on", Refusal.READ_ONLY),
    ],
)
def test_media_refuse_what_real_ones_would(
    name: str, key: str, value: object, refusal: Refusal
) -> None:
    target = screens_from(WEDNESDAY).device(name)
    with pytest.raises(Refused) as refused:
        target.write(key, value)  # type: ignore[arg-type]
    assert refused.value.refusal is refusal


def test_content_is_the_platforms_to_choose() -> None:
    building = screens_from(WEDNESDAY)
    screen = building.device("screen_f1_lobby")
    screen.write("content", "visitor_welcome_quill")
    building.advance_to(at(WEDNESDAY, 1))
    assert screen.get("content") == "visitor_welcome_quill"
