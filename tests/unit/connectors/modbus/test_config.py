"""The connector's config model, and the checks made when a connector is built."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from penworks.bus import MemoryBus
from penworks.connectors import Connector, DeviceState
from penworks.connectors.modbus import ModbusConnector, ModbusConnectorConfig, ModbusDeviceConfig
from penworks.core import CommandRejected, ConfigError, RealClock, UnknownPointError
from tests.unit.connectors.modbus.support import binding, point


def device(name: str = "plc", **fields: object) -> ModbusDeviceConfig:
    return ModbusDeviceConfig(name=name, host="10.0.0.5", **fields)  # type: ignore[arg-type]


def test_defaults() -> None:
    config = ModbusConnectorConfig.model_validate(
        {"type": "modbus", "devices": [{"name": "plc", "host": "10.0.0.5"}]}
    )
    assert config.name == "modbus"
    (d,) = config.devices
    assert (d.port, d.unit_id, d.poll_s, d.timeout_s, d.retries) == (502, 1, 10.0, 2.0, 2)
    assert (d.max_block, d.max_gap, d.offline_after) == (125, 0, 3)
    assert config.device("plc") is d
    assert config.device("other") is None


def test_every_field_is_described() -> None:
    for model in (ModbusConnectorConfig, ModbusDeviceConfig):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"type": "modbus", "devices": [{"name": "a", "host": "h"}] * 2}, "repeated: a"),
        ({"type": "modbus", "devices": [{"name": "A", "host": "h"}]}, "pattern"),
        ({"type": "modbus", "devices": [{"name": "a", "host": "h", "unit_id": 256}]}, "255"),
        ({"type": "modbus", "devices": [{"name": "a", "host": "h", "max_block": 126}]}, "125"),
        ({"type": "modbus", "devices": [{"name": "a", "host": "h", "poll_s": 0}]}, "greater"),
        ({"type": "modbus", "devices": [{"name": "a", "host": "h", "speed": 1}]}, "extra"),
        ({"type": "modbus", "name": "Bad Name"}, "pattern"),
        ({"type": "mqtt"}, "modbus"),
        ({"type": "modbus", "reconnect_initial_s": 5, "reconnect_max_s": 1}, "above"),
    ],
)
def test_invalid_configs_are_refused(data: dict[str, object], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        ModbusConnectorConfig.model_validate(data)


def test_configs_are_frozen() -> None:
    config = device()
    with pytest.raises(ValidationError):
        config.port = 5020  # type: ignore[misc]


def connector(*points: tuple[object, object], **fields: object) -> ModbusConnector:
    config = ModbusConnectorConfig(type="modbus", devices=[device(), device("meter")], **fields)  # type: ignore[arg-type]
    return ModbusConnector(config, points, MemoryBus(), RealClock())  # type: ignore[arg-type]


def test_a_binding_to_an_unknown_device_is_a_config_error_naming_both() -> None:
    with pytest.raises(ConfigError) as raised:
        connector((point("b15.x.temp"), binding(0, device="boiler")))
    message = str(raised.value)
    assert "b15.x.temp" in message
    assert "'boiler'" in message
    assert "known: plc, meter" in message


def test_a_value_past_the_last_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="runs past the last Modbus address"):
        connector((point("b15.x.big"), binding(65534, type="float64")))


def test_it_is_a_connector_with_every_device_offline_until_contacted() -> None:
    built: Connector = connector((point("b15.x.temp"), binding(0)), name="field")
    assert built.name == "field"
    assert [(h.connector, h.device, h.state) for h in built.health()] == [
        ("field", "plc", DeviceState.OFFLINE),
        ("field", "meter", DeviceState.OFFLINE),
    ]
    stats = built.stats()
    for key in ("reads", "observations", "dead_letters", "errors", "writes", "max_in_flight"):
        assert stats[key] == 0


async def test_commands_to_points_it_does_not_own_are_refused() -> None:
    built = connector((point("b15.x.temp", writable=True), binding(0)))
    with pytest.raises(CommandRejected, match="not a point of connector modbus"):
        await built.write("b15.y.other", 1)
    with pytest.raises(UnknownPointError):
        await built.read("b15.y.other")
    with pytest.raises(CommandRejected, match="no priority array"):
        await built.relinquish("b15.x.temp")
    assert built.stats()["commands_rejected"] == 2
