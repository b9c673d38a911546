"""The Modbus TCP connector: register maps as data, polled with pymodbus."""

from penworks.connectors.modbus.config import ModbusConnectorConfig, ModbusDeviceConfig
from penworks.connectors.modbus.connector import ModbusConnector
from penworks.connectors.modbus.discovery import DEFAULT_RANGES, ScanRange, discover_modbus

__all__ = [
    "DEFAULT_RANGES",
    "ModbusConnector",
    "ModbusConnectorConfig",
    "ModbusDeviceConfig",
    "ScanRange",
    "discover_modbus",
]
