"""Blinds: sun protection when occupied, solar gain or insulation when empty, manual holds."""

from __future__ import annotations

from datetime import datetime

import pytest

from penworks.sim.building import SITE_TZ
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.systems.blinds import MANUAL_HOLD_S, Blinds, facade_irradiance
from penworks.sim.weather import WeatherSample
from penworks.sim.world import World
from tests.unit.sim.test_spaces_support import SEED, working_day, world_at

JULY_NOON = datetime(2026, 7, 15, 12, tzinfo=SITE_TZ)
JANUARY_NOON = datetime(2026, 1, 14, 12, tzinfo=SITE_TZ)
JANUARY_NIGHT = datetime(2026, 1, 14, 23, tzinfo=SITE_TZ)
OFFICE = "f3/r301"


def run(blinds: Blinds, world: World, steps: int = 4) -> SimDevice:
    """A few steps in the same conditions (the motor needs 50 s); the office's actuator."""
    for _ in range(steps):
        blinds.step(world)
    return next(d for d in blinds.devices() if d.location == OFFICE)


def state(device: SimDevice) -> tuple[object, ...]:
    return tuple(device.get(k) for k in ("position", "tilt", "sun_protection", "auto"))


def test_occupied_rooms_are_shaded_against_strong_sun_and_open_otherwise() -> None:
    sunny = world_at(JULY_NOON, solar=950.0, people_at={OFFICE: 8})
    assert facade_irradiance(sunny.weather, JULY_NOON) > 200
    assert state(run(Blinds(SEED), sunny)) == (100.0, 45, True, True)
    dull = world_at(JULY_NOON, solar=200.0, people_at={OFFICE: 8})
    assert state(run(Blinds(SEED), dull)) == (0.0, 0, False, True)


def test_empty_rooms_take_the_winter_sun_and_close_at_night() -> None:
    winter_day = world_at(JANUARY_NOON, solar=500.0, daily_mean=5.0)
    assert facade_irradiance(winter_day.weather, JANUARY_NOON) > 200
    assert state(run(Blinds(SEED), winter_day)) == (0.0, 0, False, True)
    winter_night = world_at(JANUARY_NIGHT, solar=0.0, daily_mean=5.0)
    assert state(run(Blinds(SEED), winter_night)) == (100.0, 90, False, True)


def test_empty_rooms_keep_the_summer_sun_out() -> None:
    sunny = world_at(JULY_NOON, solar=950.0, daily_mean=29.0)
    assert state(run(Blinds(SEED), sunny)) == (100.0, 90, True, True)


def test_the_sun_sensor_has_hysteresis() -> None:
    blinds = Blinds(SEED)
    run(blinds, world_at(JULY_NOON, solar=950.0, people_at={OFFICE: 8}))
    between = 160.0 / facade_irradiance(WeatherSample(25, 60, 1.0, 25), JULY_NOON)
    device = run(blinds, world_at(JULY_NOON, solar=between, people_at={OFFICE: 8}))
    assert device.get("sun_protection") is True  # 160 W/m2: still above the release level
    device = run(Blinds(SEED), world_at(JULY_NOON, solar=between, people_at={OFFICE: 8}))
    assert device.get("sun_protection") is False  # and below the level that lowers them


def test_the_motor_takes_its_time() -> None:
    blinds = Blinds(SEED)
    device = run(blinds, world_at(JULY_NOON, solar=950.0, people_at={OFFICE: 8}), steps=1)
    assert 0 < float(device.get("position")) < 100


def test_a_manual_position_holds_for_two_hours_then_automatic_returns() -> None:
    blinds = Blinds(SEED)
    sunny = world_at(JULY_NOON, solar=950.0, people_at={OFFICE: 8})
    device = run(blinds, sunny)
    device.write("position", 30.0)
    assert device.get("auto") is False
    run(blinds, sunny, steps=int(MANUAL_HOLD_S / 30) - 2)
    assert (device.get("position"), device.get("auto")) == (30.0, False)
    run(blinds, sunny, steps=6)
    assert state(device) == (100.0, 45, True, True)


def test_auto_false_holds_until_auto_is_written_back() -> None:
    blinds = Blinds(SEED)
    sunny = world_at(JULY_NOON, solar=950.0, people_at={OFFICE: 8})
    device = run(blinds, sunny, steps=1)
    device.write("auto", False)
    device.write("tilt", 10.0)
    run(blinds, sunny, steps=int(MANUAL_HOLD_S / 30) + 10)
    assert (device.get("tilt"), device.get("auto")) == (10, False)
    device.write("auto", True)
    assert state(run(blinds, sunny)) == (100.0, 45, True, True)


def test_blinds_share_their_position_and_lighting_reads_it() -> None:
    world = world_at(JULY_NOON, solar=950.0, people_at={OFFICE: 8})
    run(Blinds(SEED), world)
    assert world.shared[f"{OFFICE}.blinds_pct"] == 100.0


def test_a_day_of_blinds_stays_in_range_and_moves() -> None:
    positions = [
        float(values[d]["position"])
        for _, values, _ in working_day().snapshots
        for d in values
        if d.startswith("blinds_")
    ]
    assert min(positions) >= 0
    assert max(positions) <= 100
    assert len(set(positions)) > 1


def test_the_perimeter_offices_meeting_rooms_and_hall_have_blinds() -> None:
    places = {d.location for d in Blinds(SEED).devices()}
    assert {"f2/r201", "f4/r402", "f3/m301", "f1/hall"} <= places
    assert not places & {"f1/lobby", "f1/srv", "f2/s201"}


@pytest.mark.parametrize(
    ("key", "value", "refusal"),
    [
        ("position", 120, Refusal.OUT_OF_RANGE),
        ("tilt", -5, Refusal.OUT_OF_RANGE),
        ("tilt", 91, Refusal.OUT_OF_RANGE),
        ("auto", 5, Refusal.WRONG_TYPE),
        ("sun_protection", False, Refusal.READ_ONLY),
        ("irradiance", 0, Refusal.READ_ONLY),
    ],
)
def test_an_actuator_refuses_what_a_real_one_would(
    key: str, value: object, refusal: Refusal
) -> None:
    device = Blinds(SEED).devices()[0]
    with pytest.raises(Refused) as refused:
        device.write(key, value)  # type: ignore[arg-type]
    assert refused.value.refusal is refusal
    assert device.get("auto") is True
