"""The UPS and the standby generator: the weekly exercise run, commands, a mains failure."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from penworks.sim.building import SITE_TZ, Building
from penworks.sim.devices import Refusal, Refused
from penworks.sim.systems.backup import UPS_RATED_KW, Backup, EngineState, Mode
from penworks.sim.systems.plugs import Plugs
from penworks.sim.world import World
from tests.unit.sim.power_support import Recorder, Row, moment, readings, watch
from tests.unit.sim.probing import Passive

MONDAY = datetime(2026, 7, 13, tzinfo=SITE_TZ)
SECURITY_KW = 1.5


class SecurityLoad(Passive):
    """Stands in for the security systems' load."""

    name = "security_load"

    def step(self, world: World) -> None:
        world.power.draw(SECURITY_KW, "security", "f1")


def building(start: datetime) -> tuple[Building, Backup, Recorder[Row]]:
    """The UPS and the generator with the loads they carry; a row per step of their readings."""
    backup = Backup(15)

    def take(world: World) -> Row:
        row = moment(world) | readings("ups", backup.ups) | readings("gen", backup.generator)
        row["protected_kw"] = sum(
            load.kw for load in world.power.loads if load.system in ("it", "security")
        )
        row["carried_kw"] = float(world.shared["it.load_kw"]) + SECURITY_KW
        return row

    b, recorder = watch(start, [Plugs(15), SecurityLoad(), backup], take)
    return b, backup, recorder


def test_the_generator_exercises_off_load_on_monday_mornings() -> None:
    start = MONDAY + timedelta(hours=9, minutes=30)
    b, _, probe = building(start)
    b.advance_to(start + timedelta(hours=1.25))
    rows = probe.rows
    running = [r for r in rows if r["gen.running"]]
    assert running
    assert min(r["hour"] for r in running) == pytest.approx(10.0 + 1 / 120)  # after cranking
    assert max(r["hour"] for r in running) == pytest.approx(10.25 - 1 / 120)
    assert all(r["gen.output_power"] == 0.0 for r in rows)  # a test run carries no load
    assert all(r["gen.engine_speed"] > 1400 for r in running)
    before = [r for r in rows if r["hour"] < 10.0]
    after = [r for r in rows if r["hour"] > 10.3]
    assert all(r["gen.engine_state"] == EngineState.STOPPED for r in before + after)
    hours = rows[-1]["gen.running_hours"] - rows[0]["gen.running_hours"]
    assert hours == pytest.approx(0.25 + 1 / 60, abs=0.02)  # the run and the cool-down
    assert rows[-1]["gen.starts"] == rows[0]["gen.starts"] + 1
    assert rows[-1]["gen.fuel_level"] < rows[0]["gen.fuel_level"]
    assert rows[-1]["gen.coolant_temperature"] > rows[0]["gen.coolant_temperature"]


def test_no_exercise_on_other_days() -> None:
    start = MONDAY + timedelta(days=1, hours=9, minutes=50)
    b, _, probe = building(start)
    b.advance_to(start + timedelta(minutes=40))
    assert not any(r["gen.running"] for r in probe.rows)


def test_the_ups_carries_the_it_and_security_loads() -> None:
    start = MONDAY + timedelta(hours=11)
    b, _, probe = building(start)
    b.advance_to(start + timedelta(minutes=30))
    for row in probe.rows:
        assert row["ups.output_power"] == pytest.approx(row["carried_kw"], abs=0.01)
        assert row["ups.load"] == pytest.approx(row["ups.output_power"] / UPS_RATED_KW * 100, 0.01)
        assert row["ups.on_battery"] == 0.0
        assert row["ups.general_alarm"] == 0.0
        assert row["ups.battery_charge"] == 100.0
        assert 60 < row["ups.runtime"] < 300
    # The ledger's 'it' and 'security' loads are the UPS's output plus its losses.
    last = probe.rows[-1]
    assert 4.0 + SECURITY_KW <= last["ups.output_power"] <= 4.5 + SECURITY_KW
    assert last["protected_kw"] - last["ups.output_power"] == pytest.approx(0.55, abs=0.1)


def test_a_mains_failure_starts_the_generator_and_the_ups_bridges_the_gap() -> None:
    start = MONDAY + timedelta(hours=14)
    b, _, probe = building(start)
    b.shared["grid.voltage_v"] = 0.0  # no power system here: the mains are what this says
    b.advance_to(start + timedelta(minutes=10))
    first = probe.rows[0]
    assert first["ups.on_battery"] == 1.0
    assert first["ups.general_alarm"] == 1.0
    assert first["ups.battery_charge"] < 100.0
    running = [r for r in probe.rows if r["gen.running"]]
    assert running
    assert all(r["gen.output_power"] > 4.0 for r in running)
    assert probe.rows[-1]["ups.on_battery"] == 0.0  # the generator feeds it now
    b.shared["grid.voltage_v"] = 231.0
    b.advance_to(start + timedelta(minutes=20))
    assert probe.rows[-1]["gen.engine_state"] == EngineState.STOPPED
    assert probe.rows[-1]["ups.on_battery"] == 0.0


def test_manual_mode_starts_and_stops_on_command() -> None:
    start = MONDAY + timedelta(days=2, hours=15)
    b, backup, probe = building(start)
    generator = backup.generator
    with pytest.raises(Refused) as in_auto:
        generator.write("start_command", True)
    assert in_auto.value.refusal is Refusal.OUT_OF_RANGE
    generator.write("mode", int(Mode.MANUAL))
    generator.write("start_command", True)
    b.advance_to(start + timedelta(minutes=5))
    assert probe.rows[-1]["gen.running"] == 1.0
    assert probe.rows[-1]["gen.not_in_auto"] == 1.0
    assert probe.rows[-1]["gen.common_alarm"] == 1.0
    generator.write("mode", int(Mode.AUTO))  # back in auto: the remote start is dropped
    assert generator.get("start_command") is False
    b.advance_to(start + timedelta(minutes=10))
    assert probe.rows[-1]["gen.engine_state"] == EngineState.STOPPED


def test_the_controllers_refuse_bad_writes() -> None:
    backup = Backup(15)
    for value in (3, 1.5):
        with pytest.raises(Refused) as bad_mode:
            backup.generator.write("mode", value)
        assert bad_mode.value.refusal is Refusal.OUT_OF_RANGE
    with pytest.raises(Refused) as read_only:
        backup.generator.write("engine_speed", 1500)
    assert read_only.value.refusal is Refusal.READ_ONLY
    with pytest.raises(Refused) as ups_read_only:
        backup.ups.write("battery_charge", 50)
    assert ups_read_only.value.refusal is Refusal.READ_ONLY
