"""Lighting: occupancy switching with a hold, daylight dimming, the 20:00 sweep, LEFT_ON."""

from __future__ import annotations

from datetime import timedelta

import pytest

from penworks.sim.building import Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.scenarios import ScenarioKind
from penworks.sim.systems.lighting import HOLD_S, SCHEDULED_H, Lighting
from penworks.sim.systems.spaces_common import ROOMS
from tests.unit.sim.test_spaces_support import SEED, WEDNESDAY, at, working_day, world_at

STEP_S = 30.0
OFFICE_USES = ("office", "meeting", "focus")


def vacant_steps() -> list[dict[str, int]]:
    """Per recorded step, how many steps each place has been empty (0: someone is there)."""
    out: list[dict[str, int]] = []
    running = {r.place: 0 for r in ROOMS}
    for step in working_day().steps:
        running = {p: 0 if step.people.get(p, 0) else n + 1 for p, n in running.items()}
        out.append(running)
    return out


def test_lights_are_on_wherever_someone_is_and_off_once_the_hold_is_over() -> None:
    rooms = [r for r in ROOMS if r.use in OFFICE_USES]
    seen_on = seen_off_after_hold = 0
    for step, vacant in zip(working_day().steps, vacant_steps(), strict=True):
        for room in rooms:
            level, occupied, mode = step.lights[room.place]
            if step.people.get(room.place, 0):
                assert (occupied, level > 0) == (True, True), (step.local, room.place)
                seen_on += 1
            elif vacant[room.place] * STEP_S > HOLD_S + STEP_S and mode == "auto":
                assert (occupied, level) == (False, 0), (step.local, room.place)
                seen_off_after_hold += 1
    assert seen_on > 1000
    assert seen_off_after_hold > 1000


def test_lights_are_off_at_night_where_nobody_is() -> None:
    nights = 0
    for step, vacant in zip(working_day().steps, vacant_steps(), strict=True):
        if 6 <= step.local.hour < 22:
            continue
        for place, (level, _, _) in step.lights.items():
            if vacant[place] >= 11:  # 5 min of after-hours hold
                assert level == 0, (step.local, place)
                nights += 1
    assert nights > 10_000


def test_the_lobby_is_lit_by_schedule_in_the_day_even_when_empty() -> None:
    start, end = SCHEDULED_H["f1/lobby"]
    dark = 0
    for step, vacant in zip(working_day().steps, vacant_steps(), strict=True):
        hour = step.local.hour + step.local.minute / 60
        level, occupied, _ = step.lights["f1/lobby"]
        if start <= hour < end:
            assert occupied
            assert level >= 20
        elif vacant["f1/lobby"] >= 11:
            assert level == 0
            dark += 1
    assert dark > 1000


def test_daylight_dims_the_lit_rooms_at_noon() -> None:
    unshaded = {r.place for r in ROOMS if r.use in ("lobby", "focus")}  # no blinds there

    def mean_level(h0: float, h1: float) -> float:
        levels = [
            level
            for step in working_day().steps
            if h0 <= step.local.hour + step.local.minute / 60 < h1
            for place, (level, occupied, _) in step.lights.items()
            if place in unshaded and occupied
        ]
        return sum(levels) / len(levels)

    noon, dusk = mean_level(11.5, 13.5), mean_level(19.2, 19.8)
    assert noon < dusk - 5
    assert dusk > 95


def test_dimming_follows_daylight_and_the_blinds() -> None:
    lighting = Lighting(SEED)
    office = "f3/r301"
    device = next(d for d in lighting.devices() if d.location == office)
    noon = at(WEDNESDAY, 12)
    lighting.step(world_at(noon, solar=800.0, people_at={office: 10}))
    sunny = float(device.get("level"))
    lighting.step(
        world_at(noon, solar=800.0, people_at={office: 10}, shared={f"{office}.blinds_pct": 100.0})
    )
    shaded = float(device.get("level"))
    lighting.step(world_at(noon, solar=0.0, people_at={office: 10}))
    dark = float(device.get("level"))
    assert 20 <= sunny < shaded < dark == 100
    assert int(device.get("lux")) == pytest.approx(500, abs=5)


def test_the_sweep_at_20_clears_manual_levels_and_switches_off_empty_rooms() -> None:
    lighting = Lighting(SEED)
    lights = {d.location: d for d in lighting.devices()}
    before = at(WEDNESDAY, 19.95)
    lighting.step(world_at(before - timedelta(minutes=5), people_at={"f3/r301": 3, "f3/r302": 2}))
    lights["f3/r301"].write("level", 40.0)
    lighting.step(world_at(before, people_at={"f3/r301": 3}))  # r302 emptied: in hold
    assert lights["f3/r301"].get("mode") == "manual"
    assert lights["f3/r302"].get("occupied")
    assert float(lights["f3/r302"].get("level")) > 0
    lighting.step(world_at(at(WEDNESDAY, 20.0), people_at={"f3/r301": 3}))
    assert lights["f3/r301"].get("mode") == "auto"
    assert float(lights["f3/r301"].get("level")) == 100  # still occupied: automatic, no daylight
    assert not lights["f3/r302"].get("occupied")
    assert lights["f3/r302"].get("level") == 0


def test_left_on_keeps_a_zone_lit_all_night_and_ends_with_the_scenario() -> None:
    start = WEDNESDAY + timedelta(hours=18)
    building = Building(start, [Lighting(SEED)], seed=SEED)
    building.inject(ScenarioKind.LEFT_ON, "f3/r302", at(WEDNESDAY, 21), duration_s=3 * 3600)
    left, other = building.device("light_f3_r302"), building.device("light_f3_r303")
    building.advance_to(at(WEDNESDAY, 23.5))
    assert (left.get("level"), left.get("mode")) == (100.0, "manual")
    assert float(left.get("power")) > 1000
    assert other.get("level") == 0
    building.advance_to(at(WEDNESDAY, 24.5))
    assert (left.get("level"), left.get("mode"), left.get("power")) == (0.0, "auto", 0.0)


def test_left_on_targets_the_zones() -> None:
    targets = Lighting(SEED).scenario_targets()[ScenarioKind.LEFT_ON]
    assert "f3/r302" in targets
    assert "f1/hall" in targets
    assert "f2/s201" not in targets


def test_the_lighting_load_is_what_the_controllers_report() -> None:
    for step in working_day().steps[1:]:
        assert step.loads.get("lighting", 0.0) == pytest.approx(
            sum(step.light_kw.values()), abs=1e-3
        )
    assert max(s.loads.get("lighting", 0.0) for s in working_day().steps) > 10


def test_a_written_level_holds_and_null_returns_to_automatic() -> None:
    lighting = Lighting(SEED)
    device = next(d for d in lighting.devices() if d.location == "f2/r201")
    noon = at(WEDNESDAY, 12)
    lighting.step(world_at(noon, solar=300.0, people_at={"f2/r201": 5}))
    device.write("level", 40)
    lighting.step(world_at(noon, solar=300.0, people_at={"f2/r201": 5}))
    assert (device.get("level"), device.get("mode")) == (40.0, "manual")
    device.write("level", None)
    lighting.step(world_at(noon, solar=300.0, people_at={"f2/r201": 5}))
    assert device.get("mode") == "auto"
    assert device.get("level") != 40.0
    device.write("mode", "off")
    lighting.step(world_at(noon, solar=300.0, people_at={"f2/r201": 5}))
    assert (device.get("level"), device.get("mode")) == (0.0, "off")


@pytest.mark.parametrize(
    ("key", "value", "refusal"),
    [
        ("level", 150, Refusal.OUT_OF_RANGE),
        ("level", -1, Refusal.OUT_OF_RANGE),
        ("level", "bright", Refusal.WRONG_TYPE),
        ("mode", "disco", Refusal.OUT_OF_RANGE),
        ("lux", 300, Refusal.READ_ONLY),
        ("occupied", True, Refusal.READ_ONLY),
        ("colour", 1, Refusal.UNKNOWN),
    ],
)
def test_a_controller_refuses_what_a_real_one_would(
    key: str, value: object, refusal: Refusal
) -> None:
    device = Lighting(SEED).devices()[0]
    before = dict(device.values)
    with pytest.raises(Refused) as refused:
        device.write(key, value)  # type: ignore[arg-type]
    assert refused.value.refusal is refusal
    assert device.values == before


def test_every_zone_and_fan_coil_room_has_one_controller() -> None:
    devices = Lighting(SEED).devices()
    assert sorted(d.location for d in devices) == sorted(r.place for r in ROOMS)
    assert all(d.address == f"b15/{d.location}/light" for d in devices)
