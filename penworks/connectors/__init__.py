"""Protocol connectors: client side only, one module per protocol."""

from penworks.connectors.base import (
    Connector,
    DeviceHealth,
    DeviceState,
    DiscoveredDevice,
    DiscoveredPoint,
    Discovery,
)

__all__ = [
    "Connector",
    "DeviceHealth",
    "DeviceState",
    "DiscoveredDevice",
    "DiscoveredPoint",
    "Discovery",
]
