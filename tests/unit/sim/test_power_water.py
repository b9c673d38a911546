"""Domestic water: tanks stay in their tanks, pumps follow demand, meters count, leaks show."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.water import LEAK_M3H, LEAK_PLACES, Water
from penworks.sim.world import World
from tests.unit.sim.power_support import Row, mean, moment, readings, watch

TUESDAY = datetime(2026, 5, 12, tzinfo=SITE_TZ)
FLOORS = ("f2", "f3", "f4")


def run(
    start: datetime,
    hours: float,
    leak: tuple[str, float, float] | None = None,
    water: Water | None = None,
) -> list[Row]:
    """Every device's readings and the pumps' power, step by step."""
    w = water or Water(15)

    def take(world: World) -> Row:
        row = moment(world) | readings("booster", w.booster)
        row |= readings("break", w.break_tank.device) | readings("roof", w.roof_tank.device)
        row |= readings("main", w.main_meter.device)
        for floor, meter in w.floor_meters.items():
            row |= readings(floor, meter.device)
        for place, detector in w.leak_detectors.items():
            row[f"{place}.leak"] = float(detector.get("leak"))
        row["pump_kw"] = sum(x.kw for x in world.power.loads if x.system == "water")
        return row

    b, recorder = watch(start, [w], take)
    if leak is not None:
        place, after_h, duration_h = leak
        b.inject(
            ScenarioKind.WATER_LEAK, place, start + timedelta(hours=after_h), duration_h * 3600
        )
    b.advance_to(start + timedelta(hours=hours))
    return recorder.rows


@pytest.fixture(scope="module")
def day() -> list[Row]:
    return run(TUESDAY, 24)


def test_tanks_stay_within_their_tanks_and_their_alarms(day: list[Row]) -> None:
    for row in day:
        for tank in ("break", "roof"):
            assert 0 < row[f"{tank}.level"] < 100
            assert row[f"{tank}.high_alarm"] == row[f"{tank}.low_alarm"] == 0.0
        assert 75 < row["break.level"] < 95  # the float valve keeps it near 90 %


def test_the_pumps_follow_demand(day: list[Row]) -> None:
    running = [r["booster.pump1_running"] or r["booster.pump2_running"] for r in day]
    work = [on for on, r in zip(running, day, strict=True) if 9 <= r["hour"] < 18]
    night = [on for on, r in zip(running, day, strict=True) if 1 <= r["hour"] < 5]
    assert sum(work) / len(work) > 0.5
    assert sum(night) / len(night) < 0.1
    assert mean(day, "booster.flow", 9, 18) > 5 * mean(day, "booster.flow", 1, 5)
    assert mean(day, "pump_kw", 9, 18) > mean(day, "pump_kw", 1, 5)
    for row in day:
        setpoint = row["booster.pressure_setpoint"]
        assert setpoint - 0.6 < row["booster.discharge_pressure"] < setpoint + 0.3
        for n in (1, 2):
            on = row[f"booster.pump{n}_running"]
            assert (row[f"booster.pump{n}_speed"] >= 30) == bool(on)
            assert (row[f"booster.pump{n}_power"] > 0) == bool(on)
    lead = int(day[0]["booster.lead_pump"])
    assert all(r["booster.lead_pump"] == lead for r in day[:-1])
    assert any(r[f"booster.pump{lead}_running"] for r in day)


def test_floor_meters_follow_people_and_count(day: list[Row]) -> None:
    for floor in FLOORS:
        assert mean(day, f"{floor}.flow", 10, 17) > 0.1
        assert mean(day, f"{floor}.flow", 1, 5) == 0.0
        volumes = [r[f"{floor}.volume"] for r in day]
        assert all(b >= a for a, b in zip(volumes, volumes[1:], strict=False))
        used = sum(r[f"{floor}.flow"] * r["dt"] / 3600 for r in day[1:])
        assert volumes[-1] - volumes[0] == pytest.approx(used, abs=0.002)


def test_the_main_meter_sees_what_the_building_uses(day: list[Row]) -> None:
    bought = day[-1]["main.volume"] - day[0]["main.volume"]
    pumped = sum(r["booster.flow"] * r["dt"] / 3600 for r in day[1:])
    stored = day[-1]["break.volume"] - day[0]["break.volume"]
    assert bought == pytest.approx(pumped + stored, abs=0.01)
    floors = sum(day[-1][f"{f}.volume"] - day[0][f"{f}.volume"] for f in FLOORS)
    assert floors < pumped < 2 * floors  # the ground floor is not metered per floor


def test_a_leak_alarms_and_shows_as_a_base_flow_on_its_floor() -> None:
    rows = run(TUESDAY, 4, leak=("f3/wet_core", 1.0, 2.0))
    during = [r for r in rows if 1.05 < r["hour"] < 2.95]
    after = [r for r in rows if r["hour"] > 3.05]
    assert all(r["f3/wet_core.leak"] == 1.0 for r in during)
    assert all(r["f3.flow"] == pytest.approx(LEAK_M3H, rel=1e-6) for r in during)
    assert all(r["f2.flow"] == r["f4.flow"] == 0.0 for r in during)
    assert all(r["b1/plant.leak"] == 0.0 for r in during)
    assert all(r["f3/wet_core.leak"] == 0.0 and r["f3.flow"] == 0.0 for r in after)
    assert any(r["booster.flow"] > 0 for r in during)  # the set wakes to feed it


def test_a_plant_room_leak_shows_on_the_main_meter_only() -> None:
    quiet = run(TUESDAY, 4)
    leak = run(TUESDAY, 4, leak=("b1/plant", 1.0, 2.0))
    assert any(r["b1/plant.leak"] for r in leak)
    assert all(r[f"{f}.flow"] == 0.0 for r in leak for f in FLOORS)

    def bought(rows: list[Row]) -> float:
        return rows[-1]["main.volume"] - rows[0]["main.volume"]

    assert bought(leak) - bought(quiet) > 0.5 * 2 * LEAK_M3H


def test_every_leak_detector_is_a_scenario_target() -> None:
    assert Water(15).scenario_targets() == {ScenarioKind.WATER_LEAK: list(LEAK_PLACES)}


def test_the_booster_holds_a_written_setpoint() -> None:
    water = Water(15)
    water.booster.write("pressure_setpoint", 5.2)
    rows = run(TUESDAY + timedelta(hours=10), 1, water=water)
    running = [r for r in rows if r["booster.pump1_running"] or r["booster.pump2_running"]]
    assert running
    assert all(r["booster.discharge_pressure"] == pytest.approx(5.2, abs=0.2) for r in running)


def test_with_both_pumps_disabled_the_pressure_falls_and_alarms() -> None:
    water = Water(15)
    water.booster.write("pump1_enable", False)
    water.booster.write("pump2_enable", False)
    rows = run(TUESDAY + timedelta(hours=10), 1, water=water)
    assert not any(r["booster.pump1_running"] or r["booster.pump2_running"] for r in rows)
    assert rows[-1]["booster.low_pressure_alarm"] == 1.0


def test_the_devices_refuse_what_they_would_refuse() -> None:
    water = Water(15)
    cases = [
        (water.booster, "pressure_setpoint", 7.0, Refusal.OUT_OF_RANGE),
        (water.booster, "flow", 1.0, Refusal.READ_ONLY),
        (water.break_tank.device, "low_limit", 60.0, Refusal.OUT_OF_RANGE),
        (water.break_tank.device, "level", 50.0, Refusal.READ_ONLY),
        (water.main_meter.device, "volume", 0.0, Refusal.READ_ONLY),
        (water.leak_detectors["f1/srv"], "leak", False, Refusal.READ_ONLY),
    ]
    for device, key, value, refusal in cases:
        with pytest.raises(Refused) as refused:
            device.write(key, value)
        assert refused.value.refusal is refusal, (device.name, key)
    tank = water.break_tank.device  # alarms at 20 % and 96 %
    tank.write("high_limit", 50.0)
    with pytest.raises(Refused) as crossed:
        tank.write("low_limit", 50.0)  # each in its range, but the alarms would overlap
    assert crossed.value.refusal is Refusal.OUT_OF_RANGE


def test_the_duty_pump_alternates_daily() -> None:
    leads = set()
    for day in range(2):
        start = TUESDAY + timedelta(days=day, hours=12)
        water = Water(15)
        Building(start, [water], seed=15)
        leads.add(water.booster.get("lead_pump"))
    assert leads == {1, 2}
