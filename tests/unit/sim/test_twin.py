from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from penworks.sim import Twin
from penworks.sim.physics import DISTRIBUTION_LOSS
from penworks.sim.twin import SITE_TZ

# Midnight in Shanghai on a Wednesday in July and one in January.
SUMMER = datetime(2026, 7, 15, 0, 0, tzinfo=SITE_TZ).astimezone(UTC)
WINTER = datetime(2026, 1, 14, 0, 0, tzinfo=SITE_TZ).astimezone(UTC)


def run_day(start: datetime, seed: int = 15, step_min: int = 10) -> tuple[Twin, list[dict]]:
    twin = Twin(start, seed=seed)
    samples = []
    for minute in range(0, 24 * 60, step_min):
        twin.advance_to(start + timedelta(minutes=minute))
        local = twin.now.astimezone(SITE_TZ)
        for z in twin.zones:
            samples.append(
                {
                    "hour": local.hour + local.minute / 60,
                    "zone": z.spec.space,
                    "use": z.spec.use,
                    "people": z.people,
                    "temp": z.temp_c,
                    "setpoint": z.setpoint_c,
                    "co2": z.co2_ppm,
                    "light": z.light_pct,
                }
            )
    return twin, samples


def test_the_same_seed_gives_the_same_building_and_another_seed_does_not() -> None:
    a, b, c = Twin(SUMMER, seed=1), Twin(SUMMER, seed=1), Twin(SUMMER, seed=2)
    when = SUMMER + timedelta(hours=10)
    for twin in (a, b, c):
        twin.advance_to(when)
    assert a.payloads() == b.payloads()
    assert a.payloads() != c.payloads()


@pytest.mark.parametrize("start", [SUMMER, WINTER], ids=["summer", "winter"])
def test_submeters_add_up_to_the_main_meter_less_losses(start: datetime) -> None:
    twin, _ = run_day(start)
    energy = twin.meters.energy_kwh
    submeters = energy["hvac"] + energy["lighting"] + energy["plug"]
    assert submeters > 0
    assert energy["main"] == pytest.approx(submeters * (1 + DISTRIBUTION_LOSS), rel=1e-6)
    assert energy["hvac"] > energy["lighting"] > 0


@pytest.mark.parametrize("start", [SUMMER, WINTER], ids=["summer", "winter"])
def test_occupied_office_temperatures_follow_their_setpoints(start: datetime) -> None:
    _, samples = run_day(start)
    occupied = [s for s in samples if s["use"] == "office" and 11 <= s["hour"] < 18]
    errors = [abs(s["temp"] - s["setpoint"]) for s in occupied]
    assert statistics.mean(errors) < 1.0
    assert max(errors) < 3.0


def test_co2_follows_occupancy() -> None:
    _, samples = run_day(SUMMER)
    offices = [s for s in samples if s["use"] == "office"]
    busy = [s["co2"] for s in offices if s["people"] >= 10]
    empty = [s["co2"] for s in offices if s["people"] == 0 and s["hour"] < 6]
    assert statistics.mean(busy) > statistics.mean(empty) + 150
    assert min(empty) >= 420


def test_lights_follow_occupancy() -> None:
    _, samples = run_day(SUMMER)
    assert all(s["light"] > 0 for s in samples if s["people"] > 0)
    assert all(s["light"] == 0 for s in samples if s["people"] == 0 and s["hour"] < 6)


def test_a_setpoint_command_is_obeyed_and_the_zone_follows_it() -> None:
    twin = Twin(SUMMER, seed=15)
    twin.advance_to(SUMMER + timedelta(hours=11))
    result = twin.apply_command("b15/f3/r301/hvac/set", json.dumps({"setpoint": 26}).encode())
    assert result.ok
    twin.advance_to(SUMMER + timedelta(hours=13))
    r301 = twin.payloads()["b15/f3/r301/hvac"]
    assert r301["setpoint"] == 26
    assert r301["temp"] == pytest.approx(26, abs=1.0)


@pytest.mark.parametrize(
    ("topic", "payload", "why"),
    [
        ("b15/f3/r301/hvac/set", b'{"setpoint": 45}', "outside"),
        ("b15/f3/r301/hvac/set", b'{"setpoint": "warm"}', "number"),
        ("b15/f3/r301/hvac/set", b"not json", "JSON"),
        ("b15/f3/r301/hvac/set", b'{"level": 3}', "setpoint"),
        ("b15/f9/r999/hvac/set", b'{"setpoint": 22}', "no device"),
    ],
)
def test_devices_refuse_bad_commands_and_keep_their_state(
    topic: str, payload: bytes, why: str
) -> None:
    twin = Twin(SUMMER, seed=15)
    before = twin.payloads()["b15/f3/r301/hvac"]["setpoint"]
    result = twin.apply_command(topic, payload)
    assert not result.ok
    assert why in result.detail
    assert twin.payloads()["b15/f3/r301/hvac"]["setpoint"] == before


def test_a_commanded_light_level_holds_until_relinquished() -> None:
    twin = Twin(SUMMER, seed=15)
    twin.advance_to(SUMMER + timedelta(hours=10))
    assert twin.apply_command("b15/f2/r201/light/set", b'{"level": 35}').ok
    twin.advance_to(SUMMER + timedelta(hours=10, minutes=1))
    assert twin.payloads()["b15/f2/r201/light"]["level"] == 35
    assert twin.apply_command("b15/f2/r201/light/set", b'{"level": null}').ok
    twin.advance_to(SUMMER + timedelta(hours=10, minutes=2))
    assert twin.payloads()["b15/f2/r201/light"]["level"] != 35
