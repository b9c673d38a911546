"""The electricity meters: partitions add up, counters count, a drifting meter drifts.

A day of the building with the plug, EV, water, PV and backup loads, plus stand-ins for the
HVAC, lighting, lift and security loads (other systems of the twin), metered by the power
system. Each step a recorder, stepped after the meters, reads what the meters report and what
the ledger really drew.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.physics import DISTRIBUTION_LOSS
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.backup import Backup
from penworks.sim.systems.ev import Ev
from penworks.sim.systems.plugs import Plugs
from penworks.sim.systems.power import FLOORS, SYSTEMS, TENANTS, Power
from penworks.sim.systems.pv import Pv
from penworks.sim.systems.water import Water
from penworks.sim.world import System, World
from tests.unit.sim.power_support import Recorder, Row, mean, moment, watch
from tests.unit.sim.probing import Passive

MONDAY = datetime(2026, 7, 13, tzinfo=SITE_TZ)
SUNDAY = datetime(2026, 7, 12, tzinfo=SITE_TZ)
COUNTER_KWH = 0.01  # the energy registers' resolution


class OtherLoads(Passive):
    """Stand-in for the HVAC, lighting, lift and security systems' loads."""

    name = "other_loads"

    def step(self, world: World) -> None:
        busy = world.working_day and 7 <= world.hour < 19
        for tenant, floor in (("inkwell", "f2"), ("nib", "f3"), ("quill", "f4")):
            people = world.people.on_floor(floor)
            world.power.draw(4 + 0.15 * people, "hvac", floor, tenant)
            world.power.draw(1 + 0.06 * people, "lighting", floor, tenant)
        world.power.draw((45 if busy else 6) * world.rng.uniform(0.9, 1.1), "hvac", "roof")
        world.power.draw(3.0 if busy else 0.8, "lighting", "f1")
        world.power.draw(0.6, "lighting", "b1")
        world.power.draw(world.rng.uniform(0.5, 6.0) if busy else 0.5, "lifts", "roof")
        world.power.draw(1.8, "security", "f1")


def building(start: datetime, seed: int = 15) -> tuple[Building, Recorder[Row]]:
    """The loads and the meters; a row per step of what the meters read and the ledger's truth."""
    power, pv = Power(seed), Pv(seed)
    meters = {name.removeprefix("power_meter_"): m.device for name, m in power.meters.items()}

    def take(world: World) -> Row:
        row = moment(world)
        for meter, device in meters.items():
            for key in ("power", "energy_import", "energy_export", "demand", "peak_demand"):
                row[f"{meter}.{key}"] = float(device.get(key))
        row["pv"] = float(pv.inverter.get("ac_power"))
        loads = [load for load in world.power.loads if load.system != "pv"]
        row["true.load"] = sum(load.kw for load in loads)
        row["true.pv"] = -sum(load.kw for load in world.power.loads if load.system == "pv")
        for floor in FLOORS:
            row[f"true.{floor}"] = sum(load.kw for load in loads if load.floor == floor)
        return row

    systems: list[System] = [
        Plugs(seed),
        OtherLoads(),
        Ev(seed),
        Water(seed),
        pv,
        Backup(seed),
        power,
    ]
    return watch(start, systems, take, seed)


@pytest.fixture(scope="module")
def monday() -> list[Row]:
    b, probe = building(MONDAY)
    b.advance_to(MONDAY + timedelta(days=1))
    return probe.rows


def test_floor_and_system_meters_add_up_to_the_main_meter(monday: list[Row]) -> None:
    for row in monday:
        main = row["main.power"]
        pv = row["true.pv"]
        for partition in (FLOORS, SYSTEMS):
            parts = sum(row[f"{name}.power"] for name in partition)
            assert parts * (1 + DISTRIBUTION_LOSS) - pv == pytest.approx(main, abs=1e-6)
        assert row["pv"] == pytest.approx(pv, abs=0.01)
        tenants = sum(row[f"{t}.power"] for t in TENANTS)
        assert 0 < tenants <= row["true.load"]
        for floor in FLOORS:
            assert row[f"{floor}.power"] == pytest.approx(row[f"true.{floor}"])


def test_the_load_follows_the_working_day(monday: list[Row]) -> None:
    assert mean(monday, "plug.power", 10, 12) > 2.5 * mean(monday, "plug.power", 1, 4)
    # 4 kW and the UPS's losses
    assert mean(monday, "it.power", 1, 4) == pytest.approx(4.4, rel=0.15)
    assert mean(monday, "ev.power", 1, 4) == 0.0
    assert mean(monday, "ev.power", 9, 11) > 10.0


def test_energy_counters_never_fall_and_integrate_power(monday: list[Row]) -> None:
    meters = ["main", *FLOORS, *SYSTEMS, *TENANTS]
    for meter in meters:
        for direction in ("energy_import", "energy_export"):
            counts = [r[f"{meter}.{direction}"] for r in monday]
            assert all(b >= a for a, b in zip(counts, counts[1:], strict=False)), meter
        integral = sum(max(r[f"{meter}.power"], 0.0) * r["dt"] / 3600 for r in monday)
        counted = monday[-1][f"{meter}.energy_import"] - monday[0][f"{meter}.energy_import"]
        first = max(monday[0][f"{meter}.power"], 0.0) * monday[0]["dt"] / 3600
        assert counted == pytest.approx(integral - first, abs=2 * COUNTER_KWH), meter


def test_demand_is_the_mean_power_of_the_last_quarter_hour(
    monday: list[Row],
) -> None:
    # The step that ends at 10:15 closes the 10:00-10:15 block; the next one shows it.
    block = [r for r in monday if 10.0 < r["hour"] <= 10.25 + 1e-9]
    assert len(block) == 30
    shown = next(r for r in monday if r["hour"] > 10.25 + 1e-9)
    mean = sum(r["main.power"] for r in block) / len(block)
    assert shown["main.demand"] == pytest.approx(mean, abs=0.001)
    peaks = [r["main.peak_demand"] for r in monday]
    assert all(b >= a for a, b in zip(peaks, peaks[1:], strict=False))
    assert max(peaks) >= max(r["main.demand"] for r in monday)


def test_pv_exports_on_a_sunny_weekend() -> None:
    b, probe = building(SUNDAY)
    b.advance_to(SUNDAY + timedelta(hours=15))
    noon = [r for r in probe.rows if 11 <= r["hour"] < 13]
    assert max(r["pv"] for r in noon) > 20.0
    exporting = [r for r in noon if r["main.power"] < 0]
    assert exporting, "the PV should cover a weekend's load at noon"
    assert probe.rows[-1]["main.energy_export"] > probe.rows[0]["main.energy_export"]


def test_a_drifting_meter_parts_from_the_truth_and_comes_back() -> None:
    start = MONDAY + timedelta(hours=8)
    b, probe = building(start)
    b.inject(ScenarioKind.METER_DRIFT, "power_meter_f3", start + timedelta(hours=1), 6 * 3600)
    b.advance_to(start + timedelta(hours=9))
    rows = probe.rows

    def ratio(hour: float) -> float:
        row = min(rows, key=lambda r: abs(r["hour"] - hour))
        return row["f3.power"] / row["true.f3"]

    assert ratio(8.5) == pytest.approx(1.0)
    assert 1.002 < ratio(10.0) < ratio(12.0) < ratio(14.9)
    assert ratio(14.9) > 1.025
    assert ratio(15.5) == pytest.approx(1.0)
    for row in rows:  # the other meters keep the balance all along
        systems = sum(row[f"{name}.power"] for name in SYSTEMS)
        assert systems * (1 + DISTRIBUTION_LOSS) - row["true.pv"] == pytest.approx(
            row["main.power"]
        )
    counts = [r["f3.energy_import"] for r in rows]
    assert all(b >= a for a, b in zip(counts, counts[1:], strict=False))


def test_meters_refuse_writes() -> None:
    meter = Power(15).meters["power_meter_main"].device
    with pytest.raises(Refused) as refused:
        meter.write("power", 12.0)
    assert refused.value.refusal is Refusal.READ_ONLY
    with pytest.raises(Refused) as unknown:
        meter.write("setpoint", 1.0)
    assert unknown.value.refusal is Refusal.UNKNOWN


def test_the_same_seed_gives_the_same_readings_and_another_does_not() -> None:
    def readings(seed: int) -> dict[str, object]:
        b, _ = building(MONDAY + timedelta(hours=9), seed)
        b.advance_to(MONDAY + timedelta(hours=10))
        return {f"{d.name}.{k}": v for d in b.devices() for k, v in d.values.items()}

    first = readings(15)
    assert readings(15) == first
    other = readings(16)
    assert other["power_meter_main.power"] != first["power_meter_main.power"]
