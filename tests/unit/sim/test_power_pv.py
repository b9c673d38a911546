"""The rooftop PV inverter: output follows the sun, and its SunSpec map reads as SunSpec.

The map is checked the way the platform's Modbus discovery reads it: the holding registers
the device serves, walked from "SunS" at 40000 through its models with
penworks.connectors.modbus.sunspec.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import pytest

from penworks.connectors.modbus.discovery import discover_modbus
from penworks.connectors.modbus.sunspec import (
    END_OF_MODELS,
    MARKER,
    SunSpecModel,
    common_label,
    model_points,
)
from penworks.sim.building import SITE_TZ
from penworks.sim.devices import Refusal, Refused, SimDevice
from penworks.sim.servers.modbus import ModbusGateway
from penworks.sim.servers.modbus_codec import encode
from penworks.sim.servers.modbus_map import RegisterMap
from penworks.sim.systems.pv import (
    ARRAY_KWP,
    RATED_AC_KW,
    OperatingState,
    Pv,
    dc_power_kw,
)
from penworks.sim.world import World
from tests.unit.sim.power_support import Row, moment, run

SUMMER_DAY = datetime(2026, 7, 14, tzinfo=SITE_TZ)


def inverter_rows(start: datetime, hours: float, pv: Pv | None = None) -> tuple[Pv, list[Row]]:
    """The inverter's output, state and energy with the sun and the ledger, step by step."""
    pv = pv or Pv(15)

    def take(world: World) -> Row:
        values = pv.inverter.values
        row = moment(world) | {k: float(values[k]) for k in ("ac_power", "dc_power", "ac_energy")}
        row |= {"state": float(values["operating_state"]), "sun": world.weather.solar_w_m2}
        row["ledger"] = world.power.total()
        return row

    return pv, run(start, hours, [pv], take)


@pytest.fixture(scope="module")
def day() -> list[Row]:
    return inverter_rows(SUMMER_DAY, 24)[1]


def test_output_follows_the_sun(day: list[Row]) -> None:
    night = [r for r in day if r["sun"] < 1.0]
    assert night
    assert all(r["ac_power"] == 0.0 for r in night)
    assert all(r["state"] == OperatingState.SLEEPING for r in night)
    feeding = [r for r in day if r["ac_power"] > 0]
    assert all(r["state"] == OperatingState.MPPT for r in feeding)
    peak = max(day, key=lambda r: r["ac_power"])
    assert 11.0 <= peak["hour"] <= 13.0
    assert 0.3 * ARRAY_KWP < peak["ac_power"] <= RATED_AC_KW
    sun = [r["sun"] for r in day]
    out = [r["ac_power"] for r in day]
    assert statistics.correlation(sun, out) > 0.99
    for row in feeding:
        assert row["ledger"] == pytest.approx(-row["ac_power"], abs=0.01)  # generation
        if row["dc_power"] > 5:
            assert 0.9 < row["ac_power"] / row["dc_power"] < 0.99


def test_the_energy_counter_counts_what_was_fed_in(day: list[Row]) -> None:
    counts = [r["ac_energy"] for r in day]
    assert all(b >= a for a, b in zip(counts, counts[1:], strict=False))
    fed = sum(r["ac_power"] * r["dt"] / 3600 for r in day[1:])
    assert counts[-1] - counts[0] == pytest.approx(fed, abs=0.01)
    assert fed > 100.0  # a summer day on 80 kWp


def test_hot_cells_give_less() -> None:
    assert dc_power_kw(800, 35.0) < dc_power_kw(800, 10.0) < dc_power_kw(1000, 10.0)
    assert dc_power_kw(0, 20.0) == 0.0


def holding_registers(device: SimDevice) -> dict[int, int]:
    """The holding registers a device serves, as the Modbus gateway encodes them."""
    words: dict[int, int] = {}
    for point in RegisterMap(device.type).tables[3].points:
        encoded = encode(point.register, device.get(point.key))
        for offset, word in enumerate(encoded.words):
            words[point.start + offset] = word
    return words


def test_the_map_reads_as_sunspec_the_way_discovery_reads_it() -> None:
    pv, _ = inverter_rows(SUMMER_DAY + timedelta(hours=12), 0.5)
    device = pv.inverter
    words = holding_registers(device)
    assert (words[40000], words[40001]) == MARKER
    models: list[SunSpecModel] = []
    address = 40002
    while words[address] != END_OF_MODELS:
        models.append(SunSpecModel(words[address], address + 2, words[address + 1]))
        address += 2 + words[address + 1]
    assert [m.id for m in models] == [1, 103, 123]
    assert address + 2 == max(words) + 1  # the end marker closes the map
    common, inverter = models[0], models[1]
    data = [words[a] for a in range(common.address, common.address + common.length)]
    label, serial = common_label(data)
    assert label == "Penworks Twin PV-75K3 string inverter"
    assert serial == pv.serial
    data = [words[a] for a in range(inverter.address, inverter.address + inverter.length)]
    found = model_points("pv_inverter", inverter, data)
    names = {p.name for p in found}
    assert {"ac_power", "ac_energy", "dc_power", "operating_state"} <= names
    assert "transformer_temperature" not in names  # not implemented, so not offered
    for point in found:
        spec = device.type.spec(point.name)  # discovery names them as the twin does
        assert spec.modbus is not None
        binding = point.binding
        assert (binding["address"], binding["type"]) == (spec.modbus.address, spec.modbus.type)
        assert binding.get("scale", 1.0) == pytest.approx(spec.modbus.scale)
        assert point.sample == pytest.approx(float(device.get(point.name)), abs=spec.modbus.scale)


def test_a_power_limit_throttles_the_inverter() -> None:
    pv = Pv(15)
    pv.inverter.write("power_limit", 30)
    pv.inverter.write("power_limit_enabled", True)
    _, rows = inverter_rows(SUMMER_DAY + timedelta(hours=11), 2, pv)
    assert max(r["ac_power"] for r in rows) <= 0.30 * RATED_AC_KW + 1e-6
    throttled = [r for r in rows if r["state"] == OperatingState.THROTTLED]
    assert throttled
    assert all(r["ac_power"] == pytest.approx(0.30 * RATED_AC_KW) for r in throttled)


def test_a_disconnected_inverter_feeds_nothing() -> None:
    pv = Pv(15)
    pv.inverter.write("connect", 0)
    _, rows = inverter_rows(SUMMER_DAY + timedelta(hours=11), 0.5, pv)
    assert all(r["ac_power"] == 0 and r["state"] == OperatingState.OFF for r in rows)


def test_the_inverter_refuses_what_it_cannot_do() -> None:
    inverter = Pv(15).inverter
    with pytest.raises(Refused) as too_much:
        inverter.write("power_limit", 120)
    assert too_much.value.refusal is Refusal.OUT_OF_RANGE
    for key in ("ac_power", "sunspec_w_sf", "sunspec_marker_0"):
        with pytest.raises(Refused) as read_only:
            inverter.write(key, 1)
        assert read_only.value.refusal is Refusal.READ_ONLY


async def test_the_platforms_discovery_finds_the_inverter_over_modbus_tcp() -> None:
    pv, _ = inverter_rows(SUMMER_DAY + timedelta(hours=12), 0.25)
    gateway = ModbusGateway("gw_power", [pv.inverter])
    await gateway.sync()
    await gateway.start()
    try:
        found = await discover_modbus(f"127.0.0.1:{gateway.port}", unit_id=30, timeout_s=1.0)
    finally:
        await gateway.stop()
    [device] = found.devices
    assert device.label == "Penworks Twin PV-75K3 string inverter"
    assert device.brick == "Inverter"
    by_name = {p.name: p for p in device.points}
    assert by_name["ac_power"].sample == pytest.approx(float(pv.inverter.get("ac_power")))
    assert by_name["ac_energy"].unit == "kWh"
