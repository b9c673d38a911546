"""Discovery against pymodbus's own TCP server: SunSpec maps, register probes, identification."""

from __future__ import annotations

import pytest

from penworks.bus import MemoryBus
from penworks.connectors import DiscoveredPoint
from penworks.connectors.modbus import (
    ModbusConnector,
    ModbusConnectorConfig,
    ScanRange,
    discover_modbus,
)
from penworks.core import ConnectorError, Point, Quality, RealClock
from penworks.model.schema import ModbusBinding
from tests.conftest import free_port
from tests.unit.connectors.modbus.support import (
    END,
    SUNS,
    Peer,
    binding,
    common_model,
    config,
    inverter_model,
    meter_model,
    point,
    running,
)

pytestmark = pytest.mark.integration


def draft_connector(found: list[DiscoveredPoint], cfg: dict[str, object]) -> ModbusConnector:
    """A connector built from what discovery wrote, as a person would accept it."""
    points = [
        (
            Point(f"b15.pv.{p.name}", p.suggested_brick or "Point", unit=p.unit),
            ModbusBinding.model_validate({"connector": "modbus", **p.binding}),
        )
        for p in found
    ]
    return ModbusConnector(
        ModbusConnectorConfig.model_validate(cfg), points, MemoryBus(), RealClock()
    )


async def test_a_sunspec_inverter_is_discovered_with_named_scaled_points() -> None:
    holding = {40000: SUNS + common_model() + inverter_model() + END}
    async with running(Peer(holding=holding)) as peer:
        discovery = await discover_modbus(peer.target, timeout_s=0.5)
        (device,) = discovery.devices
        assert device.label == "Penworks PV-10"
        assert device.name == device.health_device == "penworks_pv_10"
        assert device.brick == "Inverter"
        found = {p.name: p for p in device.points}
        power = found["ac_power"]
        assert (power.unit, power.sample, power.suggested_brick) == (
            "kW",
            pytest.approx(5.0),
            "Electric_Power_Sensor",
        )
        assert power.binding == {
            "device": "penworks_pv_10",
            "function": 3,
            "address": 40072 + 12,
            "type": "int16",
            "scale": 0.001,
        }
        assert found["ac_energy"].sample == pytest.approx(123.456)
        assert found["ac_energy"].suggested_brick == "Energy_Sensor"
        assert found["ac_frequency"].sample == pytest.approx(50.0)
        assert found["ac_current"].sample == pytest.approx(12.5)
        assert found["cabinet_temperature"].unit == "degC"
        assert found["cabinet_temperature"].sample == pytest.approx(35.5)
        assert "heat_sink_temperature" not in found  # 'not implemented' in this device
        assert found["operating_state"].sample == 4
        assert all(p.device == device.name for p in device.points)
        for p in device.points:
            ModbusBinding.model_validate({"connector": "modbus", **p.binding})
        ModbusConnectorConfig.model_validate(discovery.connector_config)
        assert discovery.connector_config["devices"][0]["port"] == peer.port
        # The draft reads back, through the connector, the values discovery sampled.
        connector = draft_connector(device.points, discovery.connector_config)
        assert await connector.pollers[device.name].poll()
        for p in device.points:
            seen = await connector.read(f"b15.pv.{p.name}")
            assert seen is not None
            assert seen.quality is Quality.GOOD
            assert seen.value == pytest.approx(p.sample)


async def test_a_sunspec_meter_at_50000_is_discovered() -> None:
    holding = {50000: SUNS + common_model() + meter_model() + END}
    async with running(Peer(holding=holding)) as peer:
        (device,) = (await discover_modbus(peer.target, name="main_meter")).devices
    found = {p.name: p for p in device.points}
    assert device.brick == "Electrical_Meter"
    assert device.name == "main_meter"
    assert found["ac_power"].sample == pytest.approx(6.9)
    assert found["ac_power_phase_a"].sample == pytest.approx(2.3)
    assert found["energy_imported"].sample == pytest.approx(131.072)
    assert found["energy_imported"].unit == "kWh"
    assert found["ac_frequency"].sample == pytest.approx(50.0)
    assert found["ac_power_factor"].suggested_brick == "Power_Factor_Sensor"


async def test_a_plain_device_is_probed_register_by_register() -> None:
    identity = {"VendorName": "Acme", "ProductCode": "AHU-3", "ModelName": "AirBox"}
    peer = Peer(holding={0: [1, 2, 3], 100: [7, 8]}, inputs={0: [11, 12]}, identity=identity)
    ranges = (ScanRange(3, 0, 200), ScanRange(4, 0, 50))
    async with running(peer):
        discovery = await discover_modbus(peer.target, ranges=ranges, timeout_s=0.5)
    (device,) = discovery.devices
    assert device.label == "Acme AHU-3 AirBox"
    assert device.name == "acme_ahu_3_air_box"
    assert [(p.name, p.sample) for p in device.points] == [
        ("hr_40001", 1),
        ("hr_40002", 2),
        ("hr_40003", 3),
        ("hr_40101", 7),
        ("hr_40102", 8),
        ("ir_30001", 11),
        ("ir_30002", 12),
    ]
    assert {p.suggested_brick for p in device.points} == {None}
    for p in device.points:
        parsed = ModbusBinding.model_validate({"connector": "modbus", **p.binding})
        assert parsed.type == "uint16"
    assert device.points[3].binding == {
        "device": "acme_ahu_3_air_box",
        "function": 3,
        "address": 100,
        "type": "uint16",
    }
    ModbusConnectorConfig.model_validate(discovery.connector_config)


async def test_scan_lists_what_each_configured_device_offers() -> None:
    async with running(Peer(holding={0: [4, 5]})) as peer:
        points = [(point("b15.plc.a"), binding(0))]
        connector = ModbusConnector(config(peer.device()), points, MemoryBus(), RealClock())
        found = await connector.scan(10.0)
    assert [(p.name, p.device, p.sample) for p in found] == [
        ("hr_40001", "plc", 4),
        ("hr_40002", "plc", 5),
        ("ir_30001", "plc", 0),  # the peer's one input register
    ]


async def test_an_unreachable_target_is_a_connector_error() -> None:
    with pytest.raises(ConnectorError, match="cannot connect"):
        await discover_modbus(f"127.0.0.1:{free_port()}", timeout_s=0.3)
