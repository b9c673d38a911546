"""The fire alarm panel: fires confirmed on their floor, nuisances kept apart, reset, faults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems import fire as fire_module
from penworks.sim.systems.fire import Fire
from penworks.sim.systems.security_fire_catalogue import (
    DETECTORS,
    FIRE_ALARM,
    FLOORS,
    NORMAL,
    PRE_ALARM,
    Detector,
)
from penworks.sim.world import World
from tests.unit.sim.test_security_support import MONDAY, Probe, at, building, run_until

SMOKE_ALARM_WITHIN = timedelta(minutes=5)
FIRE_ALARM_WITHIN = timedelta(minutes=10)


def _smoke(place: str) -> Detector:
    return next(d for d in DETECTORS if d.kind == "smoke" and d.place == place)


def _first(
    fire: Fire, place: str, start_hour: float, duration_s: float = 1800.0
) -> dict[str, float]:
    """Minutes from ignition until the room's detector and the panel alarm, and the floors."""
    b = building([fire], at(MONDAY, start_hour - 0.2))
    start = at(MONDAY, start_hour)
    b.inject("fire", place, start, duration_s=duration_s)
    detector = _smoke(place)
    firsts: dict[str, float] = {}

    def check() -> None:
        elapsed = (b.now - start).total_seconds() / 60
        if fire.device.get(detector.key) == "alarm":
            firsts.setdefault("detector", elapsed)
        if fire.device.get("fire_alarm") is True:
            firsts.setdefault("panel", elapsed)
            assert b.shared["fire.floors"] == detector.floor
            assert fire.device.get(f"zone_{detector.floor}") == "alarm"
            assert fire.device.get("sounders") is True
            assert fire.device.get("evacuation") is True
            assert fire.device.get("mode") == FIRE_ALARM

    run_until(b, start + FIRE_ALARM_WITHIN + timedelta(minutes=2), check)
    assert b.shared["fire.alarm"] is True
    assert b.shared[f"fire.{detector.floor}"] is True
    assert not any(b.shared[f"fire.{f}"] for f in FLOORS if f != detector.floor)
    assert float(b.shared[f"{place}.smoke"]) > 3.0
    return firsts


@pytest.mark.parametrize(
    ("place", "hour"),
    [("f3/r301", 10.5), ("f2/s201", 3.0), ("b1/carpark", 2.0), ("f1/srv", 14.0)],
)
def test_a_fire_alarms_its_detector_within_minutes_and_the_panel_on_its_floor(
    place: str, hour: float
) -> None:
    firsts = _first(Fire(15), place, hour)
    assert firsts["detector"] <= SMOKE_ALARM_WITHIN.total_seconds() / 60
    # confirmed by a second detector, or earlier by someone breaking a call point's glass
    assert firsts["panel"] <= FIRE_ALARM_WITHIN.total_seconds() / 60


def test_smoke_comes_first_then_heat_and_co() -> None:
    fire = Fire(15)
    b = building([fire], at(MONDAY, 1.8))
    start = at(MONDAY, 2.0)
    b.inject("fire", "b1/carpark", start, duration_s=1800)
    before = {k: fire.device.get(k) for k in ("heat_b1_carpark_temp", "co_b1_carpark_level")}
    states: dict[str, list[str]] = {"smoke": [], "heat": [], "co": []}

    def check() -> None:
        for kind in states:
            states[kind].append(str(fire.device.get(f"{kind}_b1_carpark")))

    run_until(b, start + timedelta(minutes=20), check)
    first = {k: next(i for i, s in enumerate(v) if s == "alarm") for k, v in states.items()}
    assert first["smoke"] < first["co"] < first["heat"]
    assert "pre-alarm" in states["heat"]  # rate of rise shows before the fixed threshold
    assert (
        float(fire.device.get("heat_b1_carpark_temp")) > float(before["heat_b1_carpark_temp"]) + 20
    )
    assert float(fire.device.get("co_b1_carpark_level")) > 150


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("place", ["f2/r203", "b1/carpark"])
def test_nuisance_smoke_reaches_one_detector_without_heat_co_or_a_fire_alarm(
    seed: int, place: str
) -> None:
    fire = Fire(seed)
    b = building([fire], at(MONDAY, 12.0), seed=seed)
    start = at(MONDAY, 12.2)
    b.inject("nuisance_smoke", place, start, duration_s=600)
    floor = place.split("/")[0]
    heat = next(d for d in DETECTORS if d.kind == "heat" and d.place == place)
    baseline = float(fire.device.get(heat.reading_key))
    peaks: set[str] = set()

    def check() -> None:
        for d in DETECTORS:
            if fire.device.get(d.key) in ("pre-alarm", "alarm"):
                peaks.add(d.key)
        assert fire.device.get("fire_alarm") is False
        assert fire.device.get("mode") in (NORMAL, PRE_ALARM)
        assert abs(float(fire.device.get(heat.reading_key)) - baseline) < 1.0
        assert fire.device.get(heat.key) == "quiet"
        assert float(fire.device.get("co_b1_carpark_level")) < 40
        assert b.shared[f"fire.{floor}"] is False

    run_until(b, start + timedelta(minutes=25), check)
    assert peaks == {_smoke(place).key}
    assert fire.device.get(_smoke(place).key) == "quiet"
    assert fire.device.get(f"zone_{floor}") == "quiet"
    assert fire.device.get("mode") == NORMAL


def test_the_alarm_latches_until_the_fire_is_out_then_resets() -> None:
    fire = Fire(15)
    b = building([fire], at(MONDAY, 9.8))
    start = at(MONDAY, 10.0)
    injection = b.inject("fire", "f4/r401", start, duration_s=900)
    run_until(b, injection.end - timedelta(seconds=30))
    latched = [d.key for d in DETECTORS if fire.device.get(d.key) == "alarm"]
    assert fire.device.get("fire_alarm") is True
    assert len(latched) >= 2
    run_until(b, injection.end + timedelta(minutes=3))
    assert fire.device.get("fire_alarm") is True  # still latched, sounders silenced
    assert fire.device.get("silenced") is True
    assert fire.device.get("sounders") is False
    run_until(b, injection.end + timedelta(minutes=20))
    assert fire.device.get("fire_alarm") is False
    assert fire.device.get("evacuation") is False
    assert fire.device.get("silenced") is False
    assert fire.device.get("mode") == NORMAL
    assert all(fire.device.get(d.key) == "quiet" for d in DETECTORS)
    assert all(fire.device.get(f"zone_{f}") == "quiet" for f in FLOORS)
    assert all(fire.device.get(f"call_point_{f}") == "quiet" for f in FLOORS)
    assert b.shared["fire.alarm"] is False
    assert b.shared["fire.floors"] == ""


def test_someone_in_the_room_breaks_a_call_point() -> None:
    fire = Fire(15)
    b = building([fire], at(MONDAY, 10.3))
    start = at(MONDAY, 10.5)
    assert b.people.in_place("f4/r402") > 0
    b.inject("fire", "f4/r402", start)
    run_until(b, start + timedelta(minutes=6))
    assert fire.device.get("call_point_f4") == "alarm"
    assert fire.device.get("fire_alarm") is True


def test_a_quiet_day_raises_nothing_and_car_exhaust_stays_below_pre_alarm() -> None:
    fire = Fire(15)
    b = building([fire], MONDAY)
    highest = {"co": 0.0}

    def check() -> None:
        assert fire.device.get("fire_alarm") is False
        highest["co"] = max(highest["co"], float(fire.device.get("co_b1_carpark_level")))
        for d in DETECTORS:
            assert fire.device.get(d.key) in ("quiet", "fault")

    run_until(b, MONDAY + timedelta(days=1), check)
    assert 5.0 < highest["co"] < 70.0  # cars in the morning and evening rush


def test_detectors_fault_now_and_then_and_are_serviced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fire_module, "MEAN_FAULT_INTERVAL_S", 4 * 3600.0)
    fire = Fire(15)
    b = building([fire], MONDAY)
    seen: list[tuple[bool, int, int]] = []

    def check() -> None:
        faulted = sum(1 for d in DETECTORS if fire.device.get(d.key) == "fault")
        seen.append((fire.device.get("fault") is True, faulted, int(fire.device.get("mode"))))

    run_until(b, MONDAY + timedelta(days=2), check)
    assert any(flag and n > 0 and mode == 5 for flag, n, mode in seen)
    assert all(flag == (n > 0) for flag, n, _ in seen)
    streak = longest = 0
    for flag, _, _ in seen:
        streak = streak + 1 if flag else 0
        longest = max(longest, streak)
    assert longest < len(seen)  # serviced: not faulted for good


def test_every_fire_object_is_read_only() -> None:
    fire = Fire(15)
    for spec in fire.device.type.points:
        with pytest.raises(Refused) as refused:
            fire.device.write(spec.key, "alarm" if spec.kind == "text" else True)
        assert refused.value.refusal is Refusal.READ_ONLY
    with pytest.raises(Refused) as unknown:
        fire.device.write("reset", True)
    assert unknown.value.refusal is Refusal.UNKNOWN


def test_the_panel_serves_one_bacnet_device_with_life_safety_objects() -> None:
    fire = Fire(15)
    (device,) = fire.devices()
    assert (device.protocol, device.address) == ("bacnet", 15900)
    types = [p.bacnet.type for p in device.type.points if p.bacnet is not None]
    assert len(types) == len(device.type.points) == 80
    assert types.count("life-safety-point") == len(DETECTORS) + len(FLOORS)
    assert types.count("life-safety-zone") == len(FLOORS)
    assert set(fire.scenario_targets()) == {"fire", "nuisance_smoke"}


def test_one_detector_in_alarm_is_an_investigation_not_a_fire() -> None:
    fire = Fire(1)  # this seed's steam is thick enough to alarm its detector
    b = building([fire], at(MONDAY, 12.0), seed=1)
    start = at(MONDAY, 12.2)
    b.inject("nuisance_smoke", "f2/r203", start, duration_s=600)
    modes: set[int] = set()

    def check() -> None:
        if fire.device.get("smoke_f2_r203") == "alarm":
            modes.add(int(fire.device.get("mode")))
            assert fire.device.get("zone_f2") == "pre-alarm"

    run_until(b, start + timedelta(minutes=12), check)
    assert modes == {PRE_ALARM}
    assert b.shared["fire.alarm"] is False


def test_heat_detectors_follow_their_room_without_a_false_rate_of_rise() -> None:
    fire = Fire(15)
    hvac_like = {"c": 12.0}  # a cold room when the twin starts, warmed up by the HVAC

    def share(world: World) -> None:
        hvac_like["c"] = min(26.0, hvac_like["c"] + 0.4)
        world.shared["f2/r203.temp"] = hvac_like["c"]

    b = building([fire], at(MONDAY, 6.0), probe=Probe(share))

    def check() -> None:
        assert fire.device.get("heat_f2_r203") == "quiet"

    run_until(b, at(MONDAY, 7.0), check)
    assert abs(float(fire.device.get("heat_f2_r203_temp")) - 26.0) < 0.5
