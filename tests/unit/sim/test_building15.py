"""Building 15 as a whole: a simulated day with every system, physical sanity across systems,
every scenario recorded in the ground truth, and the same seed giving the same building.

Each system's own tests check it in depth; these check that together they make one building.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.sim.building import Building
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.truth import GroundTruth, read_truth
from penworks.sim.twin import SITE_TZ, building15

WEDNESDAY = datetime(2026, 7, 15, tzinfo=SITE_TZ).astimezone(UTC)  # midnight, local
OFFICE = "f3/r301"


@dataclass(frozen=True)
class Sample:
    hour: int
    people: int
    co2: float
    temp: float
    import_kw: float
    load_kw: float
    pv_kw: float


def hourly(building: Building, hours: int) -> list[Sample]:
    samples = []
    for hour in range(1, hours + 1):
        building.advance_to(WEDNESDAY + timedelta(hours=hour))
        shared = building.shared
        samples.append(
            Sample(
                hour=hour,
                people=building.people.in_place(OFFICE),
                co2=float(shared[f"{OFFICE}.co2"]),
                temp=float(shared[f"{OFFICE}.temp"]),
                import_kw=float(shared["grid.import_kw"]),
                load_kw=float(shared["power.load_kw"]),
                pv_kw=float(shared.get("pv.power_kw", 0.0)),
            )
        )
    return samples


Day = tuple[Building, list[Sample], Path]


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    path = tmp_path_factory.mktemp("truth") / "truth.jsonl"
    truth = GroundTruth(path)
    building = building15(WEDNESDAY, seed=15, truth=truth)
    samples = hourly(building, 24)
    truth.close()
    return building, samples, path


def test_co2_follows_the_people(day: Day) -> None:
    _, samples, _ = day
    busy = [s.co2 for s in samples if s.people > 10]
    empty = [s.co2 for s in samples if s.people == 0]
    assert busy
    assert empty
    assert statistics.mean(busy) > statistics.mean(empty) + 150
    assert min(empty) > 380  # never below the outdoor air


def test_the_meters_balance_the_loads(day: Day) -> None:
    _, samples, _ = day
    for s in samples:
        assert s.import_kw == pytest.approx(s.load_kw * 1.03 - s.pv_kw, abs=0.5)
    working = [s.load_kw for s in samples if 9 <= s.hour <= 17]
    night = [s.load_kw for s in samples if s.hour <= 5]
    assert min(working) > 2 * max(night)  # a working day draws far more than the night


def test_occupied_offices_stay_comfortable(day: Day) -> None:
    _, samples, _ = day
    occupied = [s.temp for s in samples if s.people > 10]
    assert all(21.0 <= t <= 27.0 for t in occupied)


def test_the_ground_truth_has_occupancy_and_bookings(day: Day) -> None:
    building, _, path = day
    records = read_truth(path)
    occupancy = [r for r in records if r["type"] == "occupancy"]
    assert len(occupancy) == 24 * 12 + 1  # every five minutes
    assert max(r["inside"] for r in occupancy) > 150
    bookings = [r for r in records if r["type"] == "booking"]
    assert len(bookings) == len(building.people.bookings(WEDNESDAY.astimezone(SITE_TZ).date()))


def test_every_scenario_can_be_injected_and_is_recorded(tmp_path: Path) -> None:
    start = WEDNESDAY + timedelta(hours=9)
    truth = GroundTruth(tmp_path / "truth.jsonl")
    building = building15(start, truth=truth)
    injected = []
    for i, kind in enumerate(ScenarioKind):
        targets = building.scenarios.targets(kind)
        assert targets, f"no system acts out {kind.value}"
        when = start + timedelta(minutes=5 + i)
        injected.append(building.inject(kind, targets[-1], when, duration_s=600))
    building.advance_to(start + timedelta(minutes=40))
    truth.close()
    records = [r for r in read_truth(tmp_path / "truth.jsonl") if r["type"] == "scenario"]
    seen = {(r["kind"], r["target"], r["event"]) for r in records}
    for injection in injected:
        assert (injection.kind.value, injection.target, "start") in seen
        assert (injection.kind.value, injection.target, "end") in seen


def test_the_same_seed_gives_the_same_building() -> None:
    start = WEDNESDAY + timedelta(hours=8)
    values = []
    for seed in (7, 7, 8):
        building = building15(start, seed=seed)
        building.advance_to(start + timedelta(hours=2))
        values.append({d.name: dict(d.values) for d in building.devices()})
    assert values[0] == values[1]
    assert values[0] != values[2]
