"""Scenarios: scheduled, started and ended on time, recorded, refused when they make no sense."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from penworks.core import SimClock
from penworks.sim.building import Building
from penworks.sim.run import RunningTwin
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


@pytest.mark.parametrize(
    ("duration_s", "message"),
    [
        (0, "positive"),
        (float("nan"), "positive"),
        (float("inf"), "positive"),
        (1e300, "past the calendar"),
    ],
)
def test_a_bad_duration_is_refused(duration_s: float, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenarios().inject("fire", "f3/r301", T0, duration_s)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ScenarioError, match="time zone"):
        Scenarios().inject("fire", "f3/r301", T0.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"not json", "Expecting value"),
        (b"[1]", "expected a JSON object"),
        (b'{"request": 7, "target": "f3/m301"}', "scenario"),
        (b'{"request": 7, "scenario": "meeting_no_show", "target": "f3/m301", "duration_s": 1e300}',
         "past the calendar"),
        (b'{"request": 7, "scenario": "meeting_no_show", "target": "f3/m301", "duration_s": "x"}',
         "could not convert"),
    ],
)  # fmt: skip
def test_a_bad_scenario_request_is_answered_not_raised(payload: bytes, detail: str) -> None:
    twin = RunningTwin(Building(T0, []), SimClock(T0), "mqtt://127.0.0.1:1883")
    answer = twin.inject_request(payload)
    assert answer["ok"] is False
    assert detail in answer["detail"]
    assert answer["request"] == ("7" if b"request" in payload else None)
    assert twin.building.scenarios.scheduled() == []


def test_a_scenario_request_is_scheduled_and_answered_with_its_id() -> None:
    twin = RunningTwin(Building(T0, []), SimClock(T0), "mqtt://127.0.0.1:1883")
    payload = b'{"request": "r1", "scenario": "meeting_no_show", "target": "f3/m301"}'
    answer = twin.inject_request(payload)
    assert (answer["ok"], answer["request"]) == (True, "r1")
    assert "meeting_no_show at f3/m301" in answer["detail"]


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
