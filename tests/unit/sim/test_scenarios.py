"""Scenarios: scheduled, started and ended on time, recorded, refused when they make no sense."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.sim.building import Building
from penworks.sim.scenarios import Injection, ScenarioError, ScenarioKind, Scenarios
from penworks.sim.truth import GroundTruth, read_truth

T0 = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_injections_start_and_end_on_time_and_are_recorded() -> None:
    scenarios = Scenarios({ScenarioKind.WATER_LEAK: ["b1/plant"]})
    events: list[tuple[str, Injection]] = []
    scenarios.record(lambda event, i: events.append((event, i)))
    leak = scenarios.inject("water_leak", "b1/plant", T0 + timedelta(minutes=5), 600)
    scenarios.step(T0)
    assert scenarios.active(ScenarioKind.WATER_LEAK) == []
    scenarios.step(T0 + timedelta(minutes=5))
    assert scenarios.at(ScenarioKind.WATER_LEAK, "b1/plant") == leak
    scenarios.step(T0 + timedelta(minutes=15))
    assert scenarios.all_active() == []
    assert events == [("start", leak), ("end", leak)]
    assert scenarios.ended == [leak]


@pytest.mark.parametrize(
    ("kind", "target", "message"),
    [
        ("earthquake", "b1/plant", "unknown scenario"),
        ("water_leak", "f9/nowhere", "cannot happen at"),
    ],
)
def test_nonsense_is_refused_with_what_would_do(kind: str, target: str, message: str) -> None:
    scenarios = Scenarios({ScenarioKind.WATER_LEAK: ["b1/plant"]})
    with pytest.raises(ScenarioError, match=message):
        scenarios.inject(kind, target, T0)


def test_a_naive_start_or_a_bad_duration_is_refused() -> None:
    scenarios = Scenarios()
    with pytest.raises(ScenarioError, match="time zone"):
        scenarios.inject("fire", "f3/r301", T0.replace(tzinfo=None))
    with pytest.raises(ScenarioError, match="positive"):
        scenarios.inject("fire", "f3/r301", T0, 0)


def test_the_ground_truth_keeps_scenarios_occupancy_and_bookings(tmp_path: Path) -> None:
    truth = GroundTruth(tmp_path / "truth.jsonl", every_s=600)
    building = Building(T0, [], truth=truth)
    injection = building.inject("meeting_no_show", "f3/m301", duration_s=3600)
    building.advance_to(T0 + timedelta(hours=5.5))  # past the end of the room's next booking
    truth.close()
    records = read_truth(tmp_path / "truth.jsonl")
    scenario = [r for r in records if r["type"] == "scenario"]
    assert [(r["event"], r["kind"], r["target"]) for r in scenario] == [
        ("start", "meeting_no_show", "f3/m301"),
        ("end", "meeting_no_show", "f3/m301"),
    ]
    assert scenario[0]["start"] == injection.start.isoformat()
    occupancy = [r for r in records if r["type"] == "occupancy"]
    assert len(occupancy) == 5.5 * 6 + 1  # every 10 minutes, both ends
    assert all(r["inside"] == sum(r["places"].values()) for r in occupancy)
    assert occupancy[-1]["inside"] == building.people.inside()
    bookings = [r for r in records if r["type"] == "booking"]
    assert bookings
    no_shows = [r for r in bookings if r["no_show"]]
    assert "f3/m301" in {r["room"] for r in no_shows}
    assert all(datetime.fromisoformat(r["end"]) <= building.now for r in bookings)
