"""The BACnet/IP connector, on bacpypes3: objects of devices -> observations; commands back."""

from penworks.connectors.bacnet.config import BacnetConnectorConfig, BacnetDeviceConfig
from penworks.connectors.bacnet.connector import BacnetConnector
from penworks.connectors.bacnet.discovery import discover_bacnet

__all__ = ["BacnetConnector", "BacnetConnectorConfig", "BacnetDeviceConfig", "discover_bacnet"]
